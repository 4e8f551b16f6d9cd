"""Shared AppTest set-up.

Each app test runs offline on its own SQLite workspace (no tiles or database
from the environment), with fresh caches and its stores closed after.

App tests run as ``assetmap app WS --local`` would serve them, unless a test
says otherwise. A workspace without accounts is only usable in local mode
(``assetmap.people.serving``): the launcher puts the granted address in
``ASSETMAP_LOCAL_ADDRESS`` and Streamlit listens on it. :func:`served_locally`
does both for the whole session (module fixtures run the app too); a test that
needs another server asks for :func:`serve_as`, which puts things back after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import streamlit as st
from streamlit import config

from assetmap.people.serving import LOCAL_ENV
from assetmap.workspace import close_stores

LOCAL = "127.0.0.1"


@pytest.fixture(autouse=True)
def app_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run each app test offline on its own SQLite workspace (modules may override this)."""
    for name in ("ASSETMAP_TILES", "ASSETMAP_TILES_ATTRIBUTION", "ASSETMAP_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    st.cache_data.clear()
    yield
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
