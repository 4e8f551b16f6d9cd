"""Stopping ``assetmap app`` stops the Streamlit server it started.

The command runs as a real process on a free loopback port (a workspace with an
account, so it may serve); SIGTERM to the command must leave no server behind.
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

import pytest

from assetmap.access import Principal, Role
from assetmap.accounts import AuthConfig, create_user
from assetmap.workspace import close_stores, create_workspace

ROOT = Path(__file__).resolve().parents[1]


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
