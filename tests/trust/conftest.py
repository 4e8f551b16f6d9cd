"""Fixtures for the trust tests that drive the app (AppTest)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit import config

from assetmap.people.serving import LOCAL_ENV


@pytest.fixture
def served_locally(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Serve as ``assetmap app WS --local`` on 127.0.0.1 does (for a workspace without accounts)."""
    old = config.get_option("server.address")
    monkeypatch.setenv(LOCAL_ENV, "127.0.0.1")
    config.set_option("server.address", "127.0.0.1")
    yield
    config.set_option("server.address", old)
