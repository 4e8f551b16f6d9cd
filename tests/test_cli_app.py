"""``assetmap app``: local mode only on 127.0.0.1 or ::1, accounts elsewhere, safe options;
and stopping the command stops the Streamlit server it started.

The refusal and option tests never start a server: the command's ``_serve`` is
replaced by a recorder, so they connect to nothing. The stop tests run the real
command on a free loopback port (a workspace with an account, so it may serve);
SIGTERM to the command must leave no server behind.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from support import run_cli

from assetmap.access import Principal, Role
from assetmap.cli import app as cli_app
from assetmap.people.accounts import AuthConfig, create_user
from assetmap.people.serving import LOCAL_ENV
from assetmap.workspace import close_stores, create_workspace, open_workspace

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "a long enough password 1"


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record the servers ``assetmap app`` would start (command and environment)."""
    calls: list[dict[str, Any]] = []

    def record(command: list[str], *, env: dict[str, str], cwd: Path) -> int:
        calls.append({"command": command, "env": env, "cwd": cwd})
        return 0

    monkeypatch.setattr(cli_app, "_serve", record)
    monkeypatch.delenv(LOCAL_ENV, raising=False)
    return calls


@pytest.fixture
def bare(workspace_path: Path) -> Path:
    """A workspace with no accounts."""
    return create_workspace(workspace_path).path


@pytest.fixture
def with_admin(bare: Path) -> Path:
    """The same workspace once its first administrator exists."""
    first = Principal("setup", Role.ADMIN)
    create_user(open_workspace(bare).store(), "ada", PASSWORD, "admin", actor=first)
    return bare


def _option(command: list[str], name: str) -> list[str]:
    return [command[i + 1] for i, part in enumerate(command) if part == name]


@pytest.mark.parametrize("address", ["0.0.0.0", "127.0.0.2", "192.168.1.20", "127.0.0.1"])
def test_a_workspace_without_accounts_is_not_served_without_local(bare, started, capsys, address):
    code, _, err = run_cli(capsys, "app", str(bare), "--address", address)
    assert code == 1
    assert started == []  # nothing started
    assert len(err.strip().splitlines()) == 1, err
    assert f"has no user accounts, so it cannot be served on {address}" in err
    assert f"assetmap user add {bare} NAME --role admin" in err


@pytest.mark.parametrize("address", ["0.0.0.0", "127.0.0.2", "::", "192.168.1.20", "localhost"])
def test_local_mode_is_refused_anywhere_but_exact_loopback(bare, started, capsys, address):
    code, _, err = run_cli(capsys, "app", str(bare), "--local", "--address", address)
    assert code == 1
    assert started == []
    assert len(err.strip().splitlines()) == 1, err
    assert "--local is for one person on this computer" in err


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_local_mode_on_loopback_is_granted_to_that_address_only(bare, started, capsys, address):
    code, out, _ = run_cli(capsys, "app", str(bare), "--local", "--address", address)
    assert code == 0
    (call,) = started
    assert call["env"][LOCAL_ENV] == address
    assert _option(call["command"], "--server.address") == [address]
    assert "local mode" in out


def test_local_mode_is_refused_once_accounts_exist(with_admin, started, capsys):
    code, _, err = run_cli(capsys, "app", str(with_admin), "--local")
    assert code == 1
    assert started == []
    assert "has user accounts, so everyone signs in" in err


def test_a_workspace_with_accounts_is_served_on_the_network_with_safe_options(
    with_admin, started, capsys, monkeypatch
):
    monkeypatch.setenv(LOCAL_ENV, "127.0.0.1")  # a stale grant in the caller's shell
    code, _, _ = run_cli(capsys, "app", str(with_admin), "--address", "0.0.0.0",
                         "--host-name", "Mapping.Local")  # fmt: skip
    assert code == 0
    (call,) = started
    command = call["command"]
    assert LOCAL_ENV not in call["env"]  # never passed on: nobody is local admin
    assert _option(command, "--server.enableXsrfProtection") == ["true"]
    assert _option(command, "--server.enableCORS") == ["true"]
    assert _option(command, "--client.showErrorDetails") == ["none"]
    assert _option(command, "--server.allowedHosts") == ["mapping.local"]


def test_a_loopback_server_accepts_only_its_own_host_names(with_admin, started, capsys):
    code, _, _ = run_cli(capsys, "app", str(with_admin), "--address", "127.0.0.2")
    assert code == 0
    assert _option(started[0]["command"], "--server.allowedHosts") == ["127.0.0.2", "localhost"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ")[1][0] != "Z"


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_stopping_the_command_stops_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stop: signal.Signals
) -> None:
    monkeypatch.delenv("ASSETMAP_DATABASE_URL", raising=False)
    ws = create_workspace(tmp_path / "ws")
    fast = AuthConfig(time_cost=1, memory_cost_kib=8, parallelism=1)
    admin = Principal("root", Role.ADMIN)
    create_user(ws.store(), "root", "kettle orchard lantern", "admin", actor=admin, config=fast)
    close_stores()
    port = _free_port()
    env = os.environ | {"PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"}
    command = [sys.executable, "-m", "assetmap.cli", "app", str(ws.path), "--port", str(port)]
    cli = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    servers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while not _healthy(port):
            assert cli.poll() is None, "assetmap app exited before serving"
            assert time.monotonic() < deadline, "the server never became healthy"
            time.sleep(0.3)
        servers = _children(cli.pid)
        assert servers, "assetmap app runs the server as its child"
        cli.send_signal(stop)
        assert cli.wait(timeout=20) is not None
        deadline = time.monotonic() + 15
        while any(_alive(pid) for pid in servers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(pid) for pid in servers), "the server outlived assetmap app"
        assert not _healthy(port)
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past TIME_WAIT
            sock.bind(("127.0.0.1", port))  # nobody listens there any more
            sock.listen()
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
        for pid in servers:  # the old code leaves the server running: do not leak it
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
