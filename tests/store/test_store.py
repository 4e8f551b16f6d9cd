"""The register store: versions, history, as-of, atomic imports, merges, records."""

from __future__ import annotations

import datetime as dt
import zlib

import pandas as pd
import pytest

from assetmap.errors import ConflictError, NotFoundError, SchemaError
from assetmap.store import Store
from assetmap.store import store as store_module

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def _osm_rows(*names: str, moved: dict[str, float] | None = None) -> pd.DataFrame:
    """Assets as an OSM import would give them: one per name, stable source ids."""
    moved = moved or {}
    return pd.DataFrame(
        {
            "name": list(names),
            "lon": [-0.72 + 0.01 * i + moved.get(n, 0.0) for i, n in enumerate(names)],
            "lat": [52.67] * len(names),
            "categories": [("community_centre",)] * len(names),
            "source_id": [f"node/{zlib.crc32(n.encode())}" for n in names],
        }
    )


def test_add_edit_writes_versions_with_who_and_why(store: Store) -> None:
    asset_id = store.add_asset(
        {"name": "Oakham Library", "lon": -0.7271, "lat": 52.6703, "categories": ["library"]},
        actor="jo",
        reason="mapped in session",
    )
    store.edit_asset(
        asset_id, {"phone": "01572 722918"}, expected_version=1, actor="sam", reason="phoned them"
    )
    history = store.asset_history(asset_id)
    assert history["version"].tolist() == [1, 2]
    assert history["action"].tolist() == ["create", "edit"]
    assert history["actor"].tolist() == ["jo", "sam"]
    assert history["reason"].tolist() == ["mapped in session", "phoned them"]
    assert history["data"].iloc[1]["phone"] == "01572 722918"
    assert store.get_asset(asset_id)["phone"] == "01572 722918"


def test_stale_edit_is_refused_and_says_what_changed(store: Store) -> None:
    asset_id = store.add_asset(
        {
            "name": "Whissendine Village Hall",
            "lon": -0.77,
            "lat": 52.72,
            "categories": ["community_centre"],
        },
        actor="a",
        reason="r",
    )
    store.edit_asset(
        asset_id,
        {"opening_hours": "Mo-Fr 09:00-17:00"},
        expected_version=1,
        actor="first",
        reason="r",
    )
    with pytest.raises(ConflictError, match="Someone changed this asset") as info:
        store.edit_asset(
            asset_id, {"description": "hall"}, expected_version=1, actor="second", reason="r"
        )
    assert info.value.changed == {"opening_hours": (None, "Mo-Fr 09:00-17:00")}
    assert store.get_asset(asset_id)["description"] is None
    assert store.get_asset(asset_id)["version"] == 2


def test_register_as_of_returns_the_earlier_state(store: Store) -> None:
    a = store.add_asset(
        {"name": "Library", "lon": -0.72, "lat": 52.67, "categories": ["library"]},
        actor="x",
        reason="r",
        at=T0,
    )
    b = store.add_asset(
        {"name": "Hall", "lon": -0.73, "lat": 52.68, "categories": ["community_centre"]},
        actor="x",
        reason="r",
        at=T0,
    )
    store.edit_asset(
        a,
        {"name": "Oakham Library"},
        expected_version=1,
        actor="x",
        reason="r",
        at=T0 + dt.timedelta(days=10),
    )
    store.set_status(
        b, "archived", expected_version=1, actor="x", reason="closed", at=T0 + dt.timedelta(days=20)
    )
    before = store.register_as_of(T0 + dt.timedelta(days=5))
    assert sorted(before["name"]) == ["Hall", "Library"]
    middle = store.register_as_of(T0 + dt.timedelta(days=15))
    assert sorted(middle["name"]) == ["Hall", "Oakham Library"]
    now = store.register_as_of(T0 + dt.timedelta(days=30))
    assert now["name"].tolist() == ["Oakham Library"]
    assert store.register_as_of(T0 - dt.timedelta(days=1)).empty
    with_archived = store.register_as_of(T0 + dt.timedelta(days=30), include_archived=True)
    assert dict(zip(with_archived["name"], with_archived["status"], strict=True)) == {
        "Hall": "archived",
        "Oakham Library": "unverified",
    }


def test_verifying_sets_last_verified(store: Store) -> None:
    a = store.add_asset(
        {"name": "Hall", "lon": -0.7, "lat": 52.6, "categories": ["community_centre"]},
        actor="x",
        reason="r",
    )
    record = store.set_status(
        a,
        "verified",
        expected_version=1,
        actor="fac",
        reason="checked",
        at=dt.datetime(2025, 3, 4, 12, tzinfo=dt.UTC),
    )
    assert record["status"] == "verified"
    assert record["last_verified"] == dt.date(2025, 3, 4)
    assert store.asset_history(a)["action"].tolist() == ["create", "verify"]


def test_reimporting_the_same_rows_changes_nothing(store: Store) -> None:
    rows = _osm_rows("Ashwell Village Hall", "Langham Village Hall")
    first = store.import_assets(rows, source="osm", actor="x", reason="r")
    second = store.import_assets(rows, source="osm", actor="x", reason="r")
    assert (first.created, first.updated) == (2, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    assert len(store.assets()) == 2
    assert all(len(store.asset_history(i)) == 1 for i in store.assets()["id"])


def test_reimport_in_batches_marks_every_source_row_seen_and_a_late_bad_row_undoes_it(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "_IMPORT_BATCH", 2)  # five rows: three batches
    rows = _osm_rows("Hall A", "Hall B", "Hall C", "Hall D", "Hall E")
    store.import_assets(rows, source="osm", actor="x", reason="r")
    moved = _osm_rows("Hall A", "Hall B", "Hall C", "Hall D", "Hall E", moved={"Hall D": 0.001})
    second = store.import_assets(moved, source="osm", actor="x", reason="r2")
    assert (second.created, second.updated, second.unchanged) == (0, 1, 4)
    ids = store.assets().set_index("name")["id"]
    links = pd.concat([store.sources_of(i) for i in ids])
    assert links["import_id"].tolist() == [second.import_id] * 5
    assert not links["missing"].any()
    assert {n: len(store.asset_history(i)) for n, i in ids.items()} == {
        "Hall A": 1, "Hall B": 1, "Hall C": 1, "Hall D": 2, "Hall E": 1,
    }  # fmt: skip
    bad = moved.copy()
    bad["categories"] = [("community_centre",)] * 4 + [("not_a_category",)]
    with pytest.raises(SchemaError, match="row 5: unknown category code"):
        store.import_assets(bad, source="osm", actor="x", reason="r3")
    after = pd.concat([store.sources_of(i) for i in ids])
    pd.testing.assert_frame_equal(after, links)
    assert len(store.imports()) == 2


def test_newer_extract_updates_changed_and_archives_vanished(store: Store) -> None:
    store.import_assets(
        _osm_rows("Ashwell Village Hall", "Langham Village Hall", "Cottesmore Hall"),
        source="osm",
        actor="x",
        reason="r",
        archive_missing=True,
    )
    newer = _osm_rows(
        "Ashwell Village Hall", "Langham Village Hall", moved={"Langham Village Hall": 0.001}
    )
    summary = store.import_assets(newer, source="osm", actor="x", reason="r2", archive_missing=True)
    assert (summary.created, summary.updated, summary.unchanged, summary.archived) == (0, 1, 1, 1)
    current = store.assets()
    assert sorted(current["name"]) == ["Ashwell Village Hall", "Langham Village Hall"]
    archived = store.assets(include_archived=True)
    gone = archived[archived["name"] == "Cottesmore Hall"].iloc[0]
    assert gone["status"] == "archived"
    assert store.asset_history(gone["id"])["reason"].iloc[-1] == "no longer in source osm"
    # it comes back: restored, not duplicated
    back = store.import_assets(
        _osm_rows("Ashwell Village Hall", "Cottesmore Hall"),
        source="osm",
        actor="x",
        reason="r3",
        archive_missing=False,
    )
    assert back.restored == 1
    assert len(store.assets(include_archived=True)) == 3


def test_import_keeps_edits_people_made_to_fields_the_source_did_not_change(store: Store) -> None:
    rows = _osm_rows("Ashwell Village Hall")
    store.import_assets(rows, source="osm", actor="x", reason="r")
    asset = store.assets().iloc[0]
    store.edit_asset(
        asset["id"],
        {"description": "Warm space on Tuesdays"},
        expected_version=1,
        actor="fac",
        reason="session",
    )
    store.set_status(asset["id"], "verified", expected_version=2, actor="fac", reason="checked")
    rows.loc[0, "opening_hours"] = "Tu 10:00-14:00"
    store.import_assets(rows, source="osm", actor="x", reason="r2")
    after = store.get_asset(asset["id"])
    assert after["description"] == "Warm space on Tuesdays"
    assert after["status"] == "verified"
    assert after["opening_hours"] == "Tu 10:00-14:00"


def test_import_with_a_bad_row_writes_nothing(store: Store) -> None:
    rows = _osm_rows("Ashwell Village Hall", "Langham Village Hall")
    rows["categories"] = [("community_centre",), ("not_a_category",)]
    with pytest.raises(SchemaError, match="row 2: unknown category code"):
        store.import_assets(rows, source="osm", actor="x", reason="r")
    assert store.assets(include_archived=True).empty
    assert store.imports().empty


def test_import_needs_unique_source_ids(store: Store) -> None:
    rows = _osm_rows("A Hall", "B Hall")
    rows["source_id"] = ["node/1", "node/1"]
    with pytest.raises(SchemaError, match="'node/1' appears more than once"):
        store.import_assets(rows, source="osm", actor="x", reason="r")


def test_merge_keeps_provenance_and_reimport_updates_the_kept_asset(store: Store) -> None:
    store.import_assets(_osm_rows("Oakham Library"), source="osm", actor="x", reason="r")
    sheet = _osm_rows("Oakham Library (Rutland County Council)")
    sheet["source_id"] = ["row-7"]
    sheet["phone"] = ["01572 722918"]
    store.import_assets(sheet, source="spreadsheet:council.xlsx", actor="x", reason="r")
    by_name = store.assets().set_index("name")["id"]
    keep, gone = by_name["Oakham Library"], by_name["Oakham Library (Rutland County Council)"]
    kept = store.merge_assets(keep, gone, actor="staff", reason="same library")
    assert kept["phone"] == "01572 722918"
    assert store.assets()["name"].tolist() == ["Oakham Library"]
    assert sorted(store.sources_of(keep)["source"]) == ["osm", "spreadsheet:council.xlsx"]
    again = store.import_assets(
        sheet.assign(email=["library@rutland.gov.uk"]),
        source="spreadsheet:council.xlsx",
        actor="x",
        reason="r",
    )
    assert (again.created, again.updated) == (0, 1)
    assert store.get_asset(keep)["email"] == "library@rutland.gov.uk"
    assert len(store.assets()) == 1
    restored = store.unmerge(gone, actor="staff", reason="actually different")
    assert restored["status"] == "unverified"
    assert sorted(store.assets()["name"]) == [
        "Oakham Library",
        "Oakham Library (Rutland County Council)",
    ]
    assert store.sources_of(gone)["source"].tolist() == ["spreadsheet:council.xlsx"]


def test_records_are_versioned_and_readable_as_of(store: Store) -> None:
    gap = store.add_record(
        "gap",
        {
            "need": "drugs_alcohol",
            "note": "no AA meeting in Uppingham",
            "status": "open",
            "lon": -0.72,
            "lat": 52.59,
        },
        actor="group",
        reason="session",
        at=T0,
    )
    store.edit_record(
        "gap",
        gap,
        {"status": "closed"},
        expected_version=1,
        actor="lead",
        reason="new meeting",
        at=T0 + dt.timedelta(days=3),
    )
    assert store.get_record("gap", gap)["status"] == "closed"
    then = store.records("gap", as_of=T0 + dt.timedelta(days=1))
    assert then["status"].tolist() == ["open"]
    with pytest.raises(ConflictError):
        store.edit_record("gap", gap, {"note": "x"}, expected_version=1, actor="a", reason="r")
    with pytest.raises(NotFoundError):
        store.get_record("gap", "nope")
    assert store.history("gap", gap)["action"].tolist() == ["create", "edit"]


def test_every_change_needs_an_actor(store: Store) -> None:
    with pytest.raises(SchemaError, match="actor"):
        store.add_asset({"name": "X", "lon": 0, "lat": 51}, actor=" ", reason="r")


@pytest.mark.filterwarnings("ignore:Did not recognize type 'geometry':sqlalchemy.exc.SAWarning")
def test_a_register_from_before_extra_upgrades_and_keeps_its_assets(database_url: str) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from assetmap.store.migrate import alembic_config

    first = Store(database_url)
    asset_id = first.add_asset(
        {"name": "Oakham Library", "lon": -0.7271, "lat": 52.6703}, actor="jo", reason="seed"
    )
    command.downgrade(alembic_config(first.engine), "0001")  # before 0003 (assets.extra)
    assert "extra" not in {c["name"] for c in inspect(first.engine).get_columns("assets")}
    first.close()
    again = Store(database_url)  # opening upgrades
    assert again.get_asset(asset_id)["extra"] is None
    again.edit_asset(
        asset_id, {"extra": {"hsds": {"service": {"alert": "Closed Monday"}}}},
        expected_version=1, actor="jo", reason="kept",
    )  # fmt: skip
    assert again.get_asset(asset_id)["extra"] == {"hsds": {"service": {"alert": "Closed Monday"}}}
    again.close()
