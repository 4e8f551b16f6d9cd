"""Workspace imports and de-duplication over real Rutland data (assetmap.imports)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from support import SHARED_DATA, needs_shared_data

from assetmap.access import Principal, Role
from assetmap.errors import (
    AccessDeniedError,
    ConflictError,
    IngestError,
    NoAssetsError,
    SchemaError,
)
from assetmap.imports import (
    REVIEW_ENTITY,
    commit_import,
    decide_review,
    deduplicate,
    detect_format,
    export_bytes,
    import_file,
    load_postcode_file,
    preview_import,
    review_queue,
    undo_merge,
)
from assetmap.output.export import export_register
from assetmap.workspace import Workspace, close_stores, create_workspace, workspace_postcodes

pytestmark = needs_shared_data

DATA = Path(__file__).resolve().parent / "data"
DIRECTORY = DATA / "rutland_directory.csv"
ORUK = DATA / "hsds" / "oruk_v1_services.json"
POIS = SHARED_DATA / "osm-rutland" / "pois_community_rutland.csv"
CODEPOINT_LE = SHARED_DATA / "postcodes-codepoint-open-2014" / "le.csv"
HSDS_EXAMPLES = SHARED_DATA / "hsds-3.0" / "examples"
ADMIN = Principal("ana", Role.ADMIN, label="Ana (admin)")
POI_MAP = {"amenity": "categories", "addr:postcode": "postcode"}


@pytest.fixture
def empty_ws(workspace_path: Path) -> Iterator[Workspace]:
    yield create_workspace(workspace_path)
    close_stores()


@pytest.fixture
def rutland_ws(empty_ws: Workspace) -> Workspace:
    """Rutland's 130 named community places from the shared OSM extract, as one import."""
    outcome = import_file(empty_ws, POIS, principal=ADMIN, overrides=POI_MAP, skip_bad_rows=True)
    assert outcome.summary is not None
    assert outcome.summary.created == 130
    return empty_ws


def state(ws: Workspace) -> tuple[int, int, int]:
    """Assets (all), imports and review records: what must not move on a refused import."""
    store = ws.store()
    return (
        len(store.assets(include_archived=True)),
        len(store.imports()),
        len(store.records(REVIEW_ENTITY)),
    )


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        csv.writer(handle).writerows(rows)
    return path


# --------------------------------------------------------------------------- imports


def test_format_is_detected_from_the_name():
    assert detect_format(ORUK) == "hsds"
    assert detect_format(DIRECTORY) == "csv"
    assert detect_format(HSDS_EXAMPLES / "csv") == "hsds"
    assert detect_format("https://example.org/services") == "hsds"
    assert detect_format("upload", filename="list.xlsx") == "xlsx"


def test_bad_rows_import_nothing_and_the_report_names_them(rutland_ws):
    load_postcode_file(rutland_ws, CODEPOINT_LE, principal=ADMIN)
    before = state(rutland_ws)
    preview = preview_import(rutland_ws, DIRECTORY, principal=ADMIN)
    outcome = commit_import(rutland_ws, preview, principal=ADMIN)
    assert not outcome.imported
    assert outcome.summary is None
    assert state(rutland_ws) == before
    errors = preview.errors
    assert errors["row"].tolist() == [5, 6, 7, 8, 9, 11, 12]
    assert preview.rows_rejected == 7
    assert len(preview.assets) == 4
    unknown = errors[errors["row"] == 6].iloc[0]
    assert unknown["field"] == "postcode"
    assert unknown["problem"] == (
        "LE15 9ZZ is not in the workspace's postcode table; nearest known sector: LE15 9"
    )


def test_skipping_bad_rows_brings_the_good_ones_in_as_one_import(rutland_ws):
    load_postcode_file(rutland_ws, CODEPOINT_LE, principal=ADMIN)
    store = rutland_ws.store()
    imports_before = len(store.imports())
    outcome = import_file(rutland_ws, DIRECTORY, principal=ADMIN, skip_bad_rows=True)
    assert outcome.imported
    assert outcome.summary is not None
    assert (outcome.summary.created, outcome.skipped_rows) == (4, 7)
    assert outcome.summary.source == "table:rutland_directory.csv"
    assert len(store.imports()) == imports_before + 1
    table = store.assets()
    new = table[table["source"] == "table:rutland_directory.csv"]
    assert sorted(new["name"]) == [
        "Oakham Library",
        "Rutland Foodbank",
        "Rutland Youth Club",
        "Uppingham Library",
    ]
    history = store.asset_history(new["id"].iloc[0])
    assert history["actor"].tolist() == ["Ana (admin)"]


def test_osm_postcodes_place_rows_when_no_postcode_table_is_loaded(rutland_ws):
    assert not rutland_ws.postcodes_path.exists()
    index = workspace_postcodes(rutland_ws)
    assert index is not None
    assert "LE15 6HW" in index  # Rutland County Library's addr:postcode
    sheet = b"Name,Postcode\nCatmos Street drop-in,le156hw\nNowhere club,LE15 6ZZ\n"
    preview = preview_import(rutland_ws, sheet, filename="dropin.csv", principal=ADMIN)
    (placed,) = preview.assets.itertuples()
    assert (round(placed.geometry.x, 6), round(placed.geometry.y, 6)) == (-0.725861, 52.669345)
    assert preview.errors[["row", "field"]].values.tolist() == [[3, "postcode"]]


def test_rows_outside_the_workspace_area_are_reported(empty_ws):
    empty_ws.update_settings(bbox=[-0.83, 52.52, -0.43, 52.76])  # Rutland
    sheet = (
        b"Name,Latitude,Longitude\n"
        b"Oakham Library,52.669345,-0.725861\n"
        b"Leeds Central Library,53.800,-1.548\n"
    )
    preview = preview_import(empty_ws, sheet, filename="libraries.csv", principal=ADMIN)
    assert preview.assets["name"].tolist() == ["Oakham Library"]
    assert preview.errors[["row", "field"]].values.tolist() == [[3, "location"]]
    assert preview.errors["problem"].iloc[0].startswith("outside the area")


def test_column_overrides_choose_the_name_column(empty_ws, tmp_path):
    sheet = write_csv(
        tmp_path / "groups.csv",
        [["Contact", "Group", "lat", "lon"], ["Sam", "Oakham Walking Group", "52.67", "-0.73"]],
    )
    preview = preview_import(empty_ws, sheet, principal=ADMIN, overrides={"Group": "name"})
    assert preview.assets["name"].tolist() == ["Oakham Walking Group"]
    with pytest.raises(SchemaError, match="there is no column 'Groups'"):
        preview_import(empty_ws, sheet, principal=ADMIN, overrides={"Groups": "name"})


def test_open_referral_uk_feed_imports_its_located_services_and_reimports_unchanged(empty_ws):
    refused = import_file(empty_ws, ORUK, principal=ADMIN)
    assert not refused.imported
    assert refused.preview.errors[["row", "field"]].values.tolist() == [
        ["content[2]", "service_at_locations"]
    ]
    first = import_file(empty_ws, ORUK, principal=ADMIN, skip_bad_rows=True)
    assert first.summary is not None
    assert first.summary.source == "hsds:oruk_v1_services"
    assert (first.summary.created, first.skipped_rows) == (3, 1)
    assert sorted(empty_ws.store().assets()["name"]) == [
        "Oakham Community Larder",
        "Women's Wellbeing Group",
        "Women's Wellbeing Group",
    ]
    again = import_file(empty_ws, ORUK, principal=ADMIN, skip_bad_rows=True)
    assert again.summary is not None
    assert (again.summary.created, again.summary.updated, again.summary.unchanged) == (0, 0, 3)


def test_official_hsds_examples_are_refused_for_their_impossible_coordinates(empty_ws):
    before = state(empty_ws)
    outcome = import_file(empty_ws, HSDS_EXAMPLES / "service_full.json", principal=ADMIN)
    assert not outcome.imported
    assert outcome.preview.errors[["row", "field"]].values.tolist() == [
        ["service.service_at_locations[0]", "location.latitude"]
    ]
    with pytest.raises(NoAssetsError, match="every row has a problem"):
        import_file(
            empty_ws, HSDS_EXAMPLES / "service_full.json", principal=ADMIN, skip_bad_rows=True
        )
    assert state(empty_ws) == before


def test_only_an_admin_may_import_and_only_curators_may_merge(empty_ws):
    staff = Principal("sam", Role.STAFF)
    with pytest.raises(AccessDeniedError):
        import_file(empty_ws, DIRECTORY, principal=staff)
    with pytest.raises(AccessDeniedError):
        load_postcode_file(empty_ws, CODEPOINT_LE, principal=staff)
    with pytest.raises(AccessDeniedError):
        deduplicate(empty_ws.store(), principal=staff)
    assert not empty_ws.postcodes_path.exists()


# --------------------------------------------------------------------------- bad input


def _junk(tmp_path: Path) -> Path:
    path = tmp_path / "directory.csv"
    path.write_bytes(bytes(range(256)) * 40)
    return path


def _empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    return path


def _no_name(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "noname.csv", [["Post Code", "Tel"], ["LE15 6HW", "01572"]])


def _wrong_encoding(tmp_path: Path) -> Path:
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        "Name,lat,lon\nCafé,52.67,-0.73\n".encode() + "Crèche,52.67,-0.72\n".encode("cp1252")
    )
    return path


def _malformed_json(tmp_path: Path) -> Path:
    return DATA / "hsds" / "broken.json"


BAD_FILES = {
    "binary junk named .csv": (_junk, IngestError, "directory.csv is not a text spreadsheet"),
    "empty file": (_empty, IngestError, "empty.csv is empty"),
    "no name column": (_no_name, SchemaError, "No column looks like a name"),
    "malformed JSON": (_malformed_json, IngestError, r"broken.json.*line 3"),
    "wrong encoding": (_wrong_encoding, IngestError, "mixed.csv mixes text encodings: line 3"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_unreadable_files_are_refused_and_the_register_is_unchanged(rutland_ws, tmp_path, case):
    make, error, match = BAD_FILES[case]
    before = state(rutland_ws)
    with pytest.raises(error, match=match):
        import_file(rutland_ws, make(tmp_path), principal=ADMIN, skip_bad_rows=True)
    assert state(rutland_ws) == before


def _groups(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": [f"Group {i}" for i in range(n)],
            "source_id": [f"g{i}" for i in range(n)],
            "lon": -0.72,
            "lat": [52.60 + i * 1e-5 for i in range(n)],
        }
    )


@pytest.mark.parametrize(
    ("row", "change", "message"),
    [
        (2_401, {"source_id": "g7"}, "`source_id` 'g7' appears more than once in the import"),
        (2_402, {"source_id": None}, "row 2402: every imported row needs a `source_id`"),
        (2_403, {"cost": "cheap"}, "row 2403"),
    ],
)
def test_a_bad_row_late_in_a_large_import_rolls_the_whole_import_back(
    rutland_ws, row, change, message
):
    # The store checks and writes an import in batches of 1,000 rows, in one
    # transaction: a bad row in the third batch must undo the first two.
    rows = _groups(2_500)
    for column, value in change.items():
        rows.loc[row - 1, column] = value
    before = state(rutland_ws)
    with pytest.raises(SchemaError, match=message):
        rutland_ws.store().import_assets(rows, source="table:groups", actor="t", reason="t")
    assert state(rutland_ws) == before
    summary = rutland_ws.store().import_assets(
        _groups(2_500), source="table:groups", actor="t", reason="t"
    )
    assert (summary.created, len(rutland_ws.store().assets())) == (2_500, 2_630)


def test_hsds_records_missing_required_fields_import_nothing(rutland_ws):
    before = state(rutland_ws)
    outcome = import_file(rutland_ws, DATA / "hsds" / "missing_required.json", principal=ADMIN)
    assert not outcome.imported
    assert outcome.preview.rows_rejected == 2
    assert set(outcome.preview.errors["row"]) == {"contents[1]", "contents[2]"}
    assert state(rutland_ws) == before


def test_a_windows_1252_sheet_keeps_its_accents_and_pound_signs(empty_ws, tmp_path):
    sheet = write_csv(
        tmp_path / "cafes.csv",
        [["Name", "Cost", "lat", "lon"], ["Café Rutland", "£2", "52.67", "-0.73"]],
        encoding="cp1252",
    )
    outcome = import_file(empty_ws, sheet, principal=ADMIN)
    assert outcome.imported
    (asset,) = empty_ws.store().assets().itertuples()
    assert (asset.name, asset.cost) == ("Café Rutland", "low")


def test_a_formula_cell_is_refused_and_csv_exports_neutralise_formulas(empty_ws, tmp_path):
    sheet = write_csv(
        tmp_path / "groups.csv",
        [
            ["Name", "Description", "lat", "lon"],
            ["Oakham Walking Group", '=HYPERLINK("http://example.invalid")', "52.67", "-0.73"],
            ["Oakham Book Club", "- reads monthly", "52.67", "-0.72"],
        ],
    )
    outcome = import_file(empty_ws, sheet, principal=ADMIN)
    assert not outcome.imported
    assert outcome.preview.errors[["row", "field"]].values.tolist() == [[2, "description"]]
    assert len(empty_ws.store().assets()) == 0
    # An edit in the app can still hold such text: the CSV export defuses it.
    store = empty_ws.store()
    import_file(empty_ws, sheet, principal=ADMIN, skip_bad_rows=True)
    (asset,) = store.assets().itertuples()
    store.edit_asset(
        asset.id,
        {"description": "=1+1", "name": "@SUM(A1)"},
        expected_version=asset.version,
        actor="t",
        reason="t",
    )
    target = export_register(store.assets(), tmp_path / "out.csv", fmt="csv")
    row = pd.read_csv(target, dtype=str).iloc[0]
    assert (row["name"], row["description"]) == ("'@SUM(A1)", "'=1+1")


# --------------------------------------------------------------------------- de-duplication

LIBRARY_SHEET = (
    b"Name,Address,Postcode,Phone,Type,Latitude,Longitude\n"
    b"Rutland County Library,Catmos Street,LE15 6HW,01572 722918,Library,52.66931,-0.72590\n"
)


def _library_ids(ws: Workspace) -> dict[str, str]:
    table = ws.store().assets(include_archived=True)
    libraries = table[table["name"] == "Rutland County Library"]
    return dict(zip(libraries["source"], libraries["id"], strict=True))


def test_dedupe_merges_the_council_copy_of_the_library_into_one_asset(rutland_ws):
    import_file(rutland_ws, LIBRARY_SHEET, filename="council.csv", principal=ADMIN)
    ids = _library_ids(rutland_ws)
    store = rutland_ws.store()
    result = deduplicate(store, principal=ADMIN)
    assert [(m.keep_name, m.merged_name) for m in result.merged] == [
        ("Rutland County Library", "Rutland County Library")
    ]
    (merge,) = result.merged
    assert {merge.keep_id, merge.merged_id} == set(ids.values())
    kept = store.get_asset(merge.keep_id)
    assert kept["phone"] == "01572 722918"
    sources = set(store.sources_of(merge.keep_id)["source"])
    assert sources == {"table:pois_community_rutland.csv", "table:council.csv"}
    merged = store.asset_history(merge.merged_id).iloc[-1]
    assert (merged["action"], merged["data"]["merged_into"]) == ("merged", merge.keep_id)
    # The two Oakham Medical Practice nodes, 139 m apart, go to a person instead.
    queue = review_queue(store, principal=ADMIN)
    assert queue[["name_a", "name_b", "score", "status"]].values.tolist() == [
        ["Oakham Medical Practice", "Oakham Medical Practice", 79.8, "open"]
    ]
    assert len(result.queued) == 1


def test_reimporting_a_merged_source_updates_the_kept_asset(rutland_ws):
    import_file(rutland_ws, LIBRARY_SHEET, filename="council.csv", principal=ADMIN)
    store = rutland_ws.store()
    (merge,) = deduplicate(store, principal=ADMIN).merged
    live_before = len(store.assets())
    changed = LIBRARY_SHEET.replace(b"01572 722918", b"01572 758000")
    outcome = import_file(rutland_ws, changed, filename="council.csv", principal=ADMIN)
    assert outcome.summary is not None
    assert (outcome.summary.created, outcome.summary.updated) == (0, 1)
    assert len(store.assets()) == live_before
    assert store.get_asset(merge.keep_id)["phone"] == "01572 758000"
    assert store.get_asset(merge.merged_id)["status"] == "archived"
    # And a second run finds nothing more to merge.
    assert deduplicate(store, principal=ADMIN).merged == ()


def test_review_answers_merge_keep_apart_or_wait(rutland_ws):
    store = rutland_ws.store()
    deduplicate(store, principal=ADMIN)
    (review_id,) = review_queue(store, principal=ADMIN)["id"]
    later = decide_review(store, review_id, "later", principal=ADMIN)
    assert later["status"] == "later"
    assert review_queue(store, principal=ADMIN)["status"].tolist() == ["later"]
    assert deduplicate(store, principal=ADMIN).queued == ()  # not queued twice

    different = decide_review(store, review_id, "different", principal=ADMIN)
    assert different["status"] == "different"
    assert review_queue(store, principal=ADMIN).empty
    again = deduplicate(store, principal=ADMIN)
    assert again.queued == ()
    assert "decided different" in set(again.pairs["action"])
    with pytest.raises(ConflictError, match="already decided"):
        decide_review(store, review_id, "same", principal=ADMIN)


def test_same_merges_the_pair_and_undo_keeps_it_apart_for_good(rutland_ws):
    store = rutland_ws.store()
    deduplicate(store, principal=ADMIN)
    queue = review_queue(store, principal=ADMIN)
    live_before = len(store.assets())
    same = decide_review(store, queue["id"].iloc[0], "same", principal=ADMIN)
    assert same["status"] == "same"
    assert {same["keep_id"], same["merged_id"]} == {queue["id_a"].iloc[0], queue["id_b"].iloc[0]}
    assert len(store.assets()) == live_before - 1
    assert store.asset_history(same["keep_id"])["action"].iloc[-1] == "merge"

    restored = undo_merge(store, same["merged_id"], principal=ADMIN)
    assert restored["status"] != "archived"
    assert len(store.assets()) == live_before
    rerun = deduplicate(store, principal=ADMIN)
    assert rerun.merged == ()
    assert rerun.queued == ()
    with pytest.raises(SchemaError, match="Unknown decision"):
        decide_review(store, queue["id"].iloc[0], "maybe", principal=ADMIN)


# --------------------------------------------------------------------------- downloads


@pytest.mark.parametrize(
    ("fmt", "start"),
    [
        ("geojson", b'{"type": "FeatureCollection"'),
        # export.export_register writes GeoPackages to "*.tmp", which GDAL warns about.
        pytest.param(
            "gpkg",
            b"SQLite format 3\x00",
            marks=[
                pytest.mark.filterwarnings("ignore::RuntimeWarning"),
                pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
            ],
        ),
        ("csv", b"id,name,"),
        ("hsds", b"PK\x03\x04"),
        ("oruk", b"PK\x03\x04"),
    ],
)
def test_downloads_hold_the_whole_register(rutland_ws, fmt, start):
    data = export_bytes(rutland_ws.store(), fmt, principal=ADMIN)
    assert data.startswith(start)
    if fmt == "csv":
        assert len(pd.read_csv(io.BytesIO(data))) == 130


def test_downloads_need_export_rights_and_a_known_format(rutland_ws):
    participant = Principal("p-1", Role.PARTICIPANT, session_id="s-1")
    with pytest.raises(AccessDeniedError):
        export_bytes(rutland_ws.store(), "csv", principal=participant)
    with pytest.raises(SchemaError, match="Unknown export format 'shp'"):
        export_bytes(rutland_ws.store(), "shp", principal=ADMIN)


def test_a_pairs_reasons_read_in_words_and_unknown_codes_stay():
    from assetmap.imports import reasons_in_words

    assert reasons_in_words("names 100% alike; 139 m apart; both gp_health, pharmacy") == (
        "names 100% alike; 139 m apart; both doctor or health centre, chemist (pharmacy)"
    )
    assert reasons_in_words("different categories (gp_health vs not_a_code)") == (
        "different categories (doctor or health centre vs not_a_code)"
    )
    assert reasons_in_words("same phone") == "same phone"
