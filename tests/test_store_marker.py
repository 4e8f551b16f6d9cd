"""The ``store`` mark that picks the PostGIS pass's tests (``tests/conftest.py``).

A test whose fixtures reach the backend under test, however indirectly, is
marked ``store`` at collection; one that does not is not (``scripts/test.sh``
runs only ``-m store`` on PostgreSQL).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assetmap.store import Store


def test_a_test_asking_for_a_database_url_is_marked_store(
    request: pytest.FixtureRequest, database_url: str
) -> None:
    assert request.node.get_closest_marker("store") is not None


def test_a_test_asking_for_a_store_or_a_workspace_is_marked_store(
    request: pytest.FixtureRequest, store: Store, workspace_path: Path
) -> None:
    assert request.node.get_closest_marker("store") is not None


def test_a_test_that_reaches_no_database_is_not_marked_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    assert request.node.get_closest_marker("store") is None
