"""``assetmap app``: local mode only on 127.0.0.1 or ::1, accounts elsewhere, safe options.

The server itself is never started here: ``subprocess.call`` is replaced by a
recorder, so these tests connect to nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import run_cli

from assetmap import cli
from assetmap.access import Principal, Role
from assetmap.accounts import create_user
from assetmap.serving import LOCAL_ENV
from assetmap.workspace import create_workspace, open_workspace

PASSWORD = "a long enough password 1"


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record the servers ``assetmap app`` would start (command and environment)."""
    calls: list[dict[str, Any]] = []

    def record(command: list[str], *, env: dict[str, str], cwd: Path) -> int:
        calls.append({"command": command, "env": env, "cwd": cwd})
        return 0

    monkeypatch.setattr(cli.subprocess, "call", record)
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
