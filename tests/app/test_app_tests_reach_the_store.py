"""Every app test runs on the backend under test (``app_env``), so each is marked ``store``."""

from __future__ import annotations

import pytest


def test_an_app_test_is_marked_store_though_it_asks_for_no_database(
    request: pytest.FixtureRequest,
) -> None:
    assert request.node.get_closest_marker("store") is not None
