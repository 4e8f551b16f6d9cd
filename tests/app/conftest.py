"""Shared AppTest set-up: every page test runs on the backend under test.

Each app test runs offline (no tiles, no workspace from the caller's
environment) with fresh data caches, on a register database of the backend
under test: its workspace's own SQLite file, or, when
``ASSETMAP_TEST_DATABASE_URL`` is set (the PostGIS pass of ``scripts/test.sh``),
a fresh PostgreSQL database (``ASSETMAP_DATABASE_URL``, which the app reads on
every ``open_workspace``).

By default each test gets its own database and builds its own workspace
(``tmp_path`` or ``workspace_path``); its stores are closed after it. A module
whose tests share one expensive workspace (a Rutland or Helsinki register)
builds it in a module fixture that asks for :func:`module_database_url`, and
says which workspace the app serves::

    @pytest.fixture
    def app_workspace(rutland: Path) -> Path:
        return rutland

App tests run as ``assetmap app WS --local`` would serve them, unless a test
says otherwise. A workspace without accounts is only usable in local mode
(``assetmap.people.serving``): the launcher puts the granted address in
``ASSETMAP_LOCAL_ADDRESS`` and Streamlit listens on it. :func:`served_locally`
does both for the whole session (module fixtures run the app too); a test that
needs another server asks for :func:`serve_as`, which puts things back after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit import config
from support import serve_app_from, use_database_for_workspace

from assetmap.people.serving import LOCAL_ENV
from assetmap.workspace import close_stores

LOCAL = "127.0.0.1"


@pytest.fixture(scope="module")
def module_database_url(new_database_url: Callable[[], str]) -> Iterator[str]:
    """One fresh register database for a module's shared workspace, set while the module runs."""
    url = new_database_url()
    with pytest.MonkeyPatch.context() as mp:
        use_database_for_workspace(url, mp)
        yield url
        close_stores()


@pytest.fixture
def app_workspace() -> Path | None:
    """The workspace the app serves: None (each test sets its own) unless a module shares one."""
    return None


@pytest.fixture(autouse=True)
def app_env(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    app_workspace: Path | None,
    _pg_template: str | None,
) -> Iterator[None]:
    """Offline, fresh caches, the backend under test; a test's own stores closed after it.

    The register database is the test's own (``database_url``), or the module's
    (``module_database_url``) when the module shares ``app_workspace``. Both
    are asked for by name at run time, so ``_pg_template`` (which both use) is
    named here: it marks every app test ``store`` (``tests/conftest.py``).
    """
    shared = app_workspace is not None
    url = request.getfixturevalue("module_database_url" if shared else "database_url")
    serve_app_from(monkeypatch, url, app_workspace)
    yield
    if not shared:  # a shared workspace's stores close when its module ends
        close_stores()


@pytest.fixture(scope="session", autouse=True)
def served_locally() -> Iterator[None]:
    """Local mode granted on 127.0.0.1 (what ``assetmap app WS --local`` does)."""
    old = config.get_option("server.address")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(LOCAL_ENV, LOCAL)
        config.set_option("server.address", LOCAL)
        yield
    config.set_option("server.address", old)


@pytest.fixture
def serve_as(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """``serve_as(address, local=...)``: the app sees a server on ``address`` (None: every one)."""

    def serve(address: str | None, *, local: bool) -> None:
        config.set_option("server.address", address)
        if local and address is not None:
            monkeypatch.setenv(LOCAL_ENV, address)
        else:
            monkeypatch.delenv(LOCAL_ENV, raising=False)

    yield serve
    config.set_option("server.address", LOCAL)
