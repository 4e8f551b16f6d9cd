"""A writer during a long import waits for it, or is told clearly that the register is busy.

The import is a real ``Store.import_assets`` made long by its progress
callback, which runs inside the import's write transaction (as a slow import
of a big file would hold it). Another Store (another connection, as another
app session) then adds an asset.
"""

from __future__ import annotations

import threading
import time

import geopandas as gpd
import pandas as pd
import pytest
from sqlalchemy.exc import OperationalError

from assetmap.errors import StoreError
from assetmap.schema import validate_assets
from assetmap.store import Store, _engine

HOLD_S = 3.0


def _long_import(url: str, holding: threading.Event, done: list[object]) -> threading.Thread:
    frame: gpd.GeoDataFrame = validate_assets(
        pd.DataFrame(
            {"name": ["Oakham Library"], "lon": [-0.7271], "lat": [52.6703], "source_id": ["n1"]}
        )
    )

    def slow(stage: str, fraction: float) -> None:
        if fraction == 0.0:
            holding.set()
            time.sleep(HOLD_S)

    def run() -> None:
        importer = Store(url)
        try:
            done.append(
                importer.import_assets(frame, source="big", actor="ada", reason="x", progress=slow)
            )
        finally:
            importer.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _add(store: Store) -> str:
    return store.add_asset(
        {"name": "Food bank", "lon": -0.73, "lat": 52.67}, actor="sam", reason="during import"
    )


def test_a_writer_during_a_long_import_waits_and_then_succeeds(database_url):
    Store(database_url).close()  # migrate first, outside the timing
    holding, done = threading.Event(), []
    thread = _long_import(database_url, holding, done)
    assert holding.wait(30)
    writer = Store(database_url)
    try:
        started = time.monotonic()
        asset_id = _add(writer)
        waited = time.monotonic() - started
    finally:
        thread.join()
    assert done
    if database_url.startswith("sqlite"):  # one writer at a time: it waited for the import
        assert waited > HOLD_S / 2
    # PostgreSQL: rows are locked, not the database; the insert need not wait at all
    assert writer.get_asset(asset_id)["name"] == "Food bank"
    assert len(writer.assets()) == 2
    writer.close()


def test_a_writer_that_cannot_wait_long_enough_gets_a_clear_assetmap_error(
    database_url, monkeypatch
):
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL writers wait on the rows they need; there is no busy timeout")
    Store(database_url).close()
    monkeypatch.setattr(_engine, "BUSY_TIMEOUT_MS", 500)
    holding, done = threading.Event(), []
    thread = _long_import(database_url, holding, done)
    assert holding.wait(30)
    writer = Store(database_url)
    try:
        with pytest.raises(StoreError, match="The register is busy: another change") as caught:
            _add(writer)
    finally:
        thread.join()
    assert not isinstance(caught.value, OperationalError)
    assert "Nothing was saved" in str(caught.value)
    assert done  # the import itself completed
    assert list(writer.assets()["name"]) == ["Oakham Library"]
    writer.close()
