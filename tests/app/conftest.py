"""Shared AppTest set-up: no tiles or database from the environment, fresh caches, stores closed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import streamlit as st

from assetmap.workspace import close_stores


@pytest.fixture(autouse=True)
def app_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run each app test offline on its own SQLite workspace (modules may override this)."""
    for name in ("ASSETMAP_TILES", "ASSETMAP_TILES_ATTRIBUTION", "ASSETMAP_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    st.cache_data.clear()
    yield
    close_stores()
