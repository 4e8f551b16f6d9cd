"""The data version: it changes when (and only when) the register's data changes.

The app keys every cache of register data by it (``app.cache.data_version``),
so a stale key shows old data and a key that changes without a change rebuilds
the matching context for nothing (on PostgreSQL it used to change every 30 s).
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pandas as pd
import pytest

from assetmap.errors import ConflictError, SchemaError
from assetmap.store import Store
from assetmap.workspace import create_workspace

HALL = {"name": "Whissendine Village Hall", "lon": -0.77, "lat": 52.72,
        "categories": ["community_centre"]}  # fmt: skip


def test_every_write_changes_the_version_and_reads_do_not(store: Store) -> None:
    seen = [store.data_version()]

    def changed() -> bool:
        seen.append(store.data_version())
        return seen[-1] not in seen[:-1]

    asset_id = store.add_asset(HALL, actor="a", reason="r")
    assert changed()
    store.edit_asset(asset_id, {"phone": "01572 000000"}, expected_version=1, actor="a", reason="")
    assert changed()
    store.set_status(asset_id, "verified", expected_version=2, actor="a", reason="")
    assert changed()
    gap = store.add_record("gap", {"need": "food", "area": "LE15"}, actor="a", reason="")
    assert changed()
    store.erase_record("gap", gap, actor="a", reason="asked")
    assert changed()
    rows = pd.DataFrame({"name": ["Oakham Library"], "lon": [-0.727], "lat": [52.67],
                         "categories": [("library",)], "source_id": ["node/1"]})  # fmt: skip
    store.import_assets(rows, source="osm", actor="a", reason="")
    assert changed()

    # Reads, and counting sign-in attempts (not register data), leave it alone.
    before = store.data_version()
    store.assets(include_archived=True)
    store.get_asset(asset_id)
    store.records("gap")
    store.asset_history(asset_id)
    store.count_attempt("signin", "someone", limit=5, lock_for=dt.timedelta(minutes=5))
    store.forget_attempts("signin", "someone")
    assert store.data_version() == before


def test_a_refused_write_leaves_the_version_alone(store: Store) -> None:
    asset_id = store.add_asset(HALL, actor="a", reason="r")
    before = store.data_version()
    with pytest.raises(ConflictError):
        store.edit_asset(asset_id, {"phone": "1"}, expected_version=7, actor="a", reason="")
    with pytest.raises(SchemaError):
        store.add_asset({"name": "", "lon": -0.7, "lat": 52.6}, actor="a", reason="")
    assert store.data_version() == before


def test_another_server_sees_the_change_at_once(database_url: str) -> None:
    one, two = Store(database_url), Store(database_url)
    try:
        before = two.data_version()
        one.add_asset(HALL, actor="a", reason="r")
        assert two.data_version() != before
    finally:
        one.close()
        two.close()


def test_the_apps_key_changes_with_the_data_not_with_the_clock(
    workspace_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.cache import data_version

    workspace = create_workspace(workspace_path)
    store = workspace.store()
    path = str(workspace.path)
    key = data_version(path)
    later = time.time() + 3600
    monkeypatch.setattr(time, "time", lambda: later)  # an hour on: nothing written meanwhile
    store.count_attempt("signin", "someone", limit=5, lock_for=dt.timedelta(minutes=5))
    assert data_version(path) == key
    store.add_asset(HALL, actor="a", reason="r")
    assert data_version(path) != key
    key = data_version(path)
    workspace.update_settings(name="Renamed")
    assert data_version(path) != key
