"""`assetmap import`, `assetmap postcodes` and `assetmap dedupe` on real data."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import SHARED_DATA, needs_shared_data
from support import run_cli as run

from assetmap.cli import main
from assetmap.imports import REVIEW_ENTITY
from assetmap.workspace import Workspace, close_stores, create_workspace

pytestmark = needs_shared_data

DATA = Path(__file__).resolve().parent / "data"
DIRECTORY = DATA / "rutland_directory.csv"
POIS = SHARED_DATA / "osm-rutland" / "pois_community_rutland.csv"
CODEPOINT = SHARED_DATA / "postcodes-codepoint-open-2014"
HSDS_EXAMPLES = SHARED_DATA / "hsds-3.0" / "examples"
UKCAT = SHARED_DATA / "charities-ukcat" / "sample.csv"


@pytest.fixture
def ws(workspace_path: Path) -> Iterator[Workspace]:
    yield create_workspace(workspace_path)
    close_stores()


@pytest.fixture
def rutland(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> Workspace:
    """Rutland's named community places (shared OSM extract) imported from their CSV."""
    code, out, _ = run(
        capsys,
        "import",
        str(ws.path),
        str(POIS),
        "--map",
        "amenity=categories",
        "--map",
        "addr:postcode=postcode",
        "--skip-bad-rows",
    )
    assert code == 0, out
    assert "Imported 130 assets from table:pois_community_rutland.csv: 130 new" in out
    return ws


def counts(ws: Workspace) -> tuple[int, int, int]:
    store = ws.store()
    return (
        len(store.assets(include_archived=True)),
        len(store.imports()),
        len(store.records(REVIEW_ENTITY)),
    )


def test_postcodes_loads_code_point_open_in_national_grid(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "postcodes", str(ws.path), str(CODEPOINT / "le.csv"))
    assert code == 0
    assert out == f"Postcode table of {ws.path} now holds 21,621 postcodes\n"
    code, out, _ = run(capsys, "postcodes", str(ws.path), str(CODEPOINT / "pr.csv"))
    assert code == 0
    assert "now holds" in out
    assert int(out.split("holds ")[1].split()[0].replace(",", "")) > 21_621


def test_import_with_bad_rows_prints_the_report_and_imports_nothing(
    rutland: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "postcodes", str(rutland.path), str(CODEPOINT / "le.csv"))[0] == 0
    before = counts(rutland)
    code, out, err = run(capsys, "import", str(rutland.path), str(DIRECTORY))
    assert code == 1
    assert counts(rutland) == before
    assert "Read 11 rows from table:rutland_directory.csv (csv)" in out
    assert "Organisation name -> name" in out
    assert "Report: 7 errors, 1 warnings" in out
    assert "  error   row 5, name: missing name" in out
    assert (
        "  error   row 6, postcode: LE15 9ZZ is not in the workspace's postcode table; "
        "nearest known sector: LE15 9 [LE15 9ZZ]"
    ) in out
    assert err.strip().splitlines() == [
        "assetmap: error: 7 rows have errors; nothing was imported. "
        "Fix them, or import the other rows with --skip-bad-rows."
    ]


def test_skip_bad_rows_imports_the_rest(
    rutland: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "postcodes", str(rutland.path), str(CODEPOINT / "le.csv"))[0] == 0
    code, out, _ = run(capsys, "import", str(rutland.path), str(DIRECTORY), "--skip-bad-rows")
    assert code == 0
    assert (
        "Imported 4 assets from table:rutland_directory.csv: 4 new, 0 updated, 0 unchanged, "
        "7 rows skipped"
    ) in out


def test_map_option_picks_columns_of_a_charity_register(
    ws: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # UK-CAT rows have a postcode but no coordinates: the Code-Point table places them.
    assert run(capsys, "postcodes", str(ws.path), str(CODEPOINT))[0] == 0
    with UKCAT.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["postcode"].startswith(("LE", "PR"))][:20]
    assert len(rows) == 20
    sheet = tmp_path / "charities.csv"
    with sheet.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Registered name", "Where", "Number", "Aims"])
        writer.writerows([r["name"], r["postcode"], r["reg_number"], ""] for r in rows)
    code, out, err = run(
        capsys,
        "import",
        str(ws.path),
        str(sheet),
        "--map",
        "Registered name=name",
        "--map",
        "Where=postcode",
        "--map",
        "Number=id",
        "--map",
        "Aims=ignore",
        "--skip-bad-rows",
    )
    assert code == 0, err
    assert "Registered name -> name, Where -> postcode, Number -> id" in out
    assert "Not used: Aims" in out
    names = set(ws.store().assets()["name"])
    placed = [r["name"] for r in rows if r["name"] in names]
    assert len(placed) >= 15  # 2014 postcodes: a few have since been retired


def test_map_to_an_unknown_field_is_one_line(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "import", str(ws.path), str(DIRECTORY), "--map", "Tel=telephone")
    assert code == 1
    assert err.startswith("assetmap: error: --map Tel=telephone: 'telephone' is not a field")
    assert len(err.strip().splitlines()) == 1


def test_hsds_example_with_impossible_coordinates_imports_nothing(
    rutland: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    before = counts(rutland)
    code, out, _ = run(capsys, "import", str(rutland.path), str(HSDS_EXAMPLES / "csv"))
    assert code == 1
    assert "(hsds)" in out
    assert (
        "error   services.csv row 2.service_at_locations[0], location.latitude: "
        "(100, 101) is not a latitude/longitude pair"
    ) in out
    code, _, err = run(
        capsys, "import", str(rutland.path), str(HSDS_EXAMPLES / "csv"), "--skip-bad-rows"
    )
    assert code == 1
    assert "Nothing to import from hsds:csv" in err
    assert counts(rutland) == before


BAD_INPUT = [
    ("junk.csv", bytes(range(256)) * 20, "junk.csv is not a text spreadsheet"),
    ("empty.csv", b"", "empty.csv is empty"),
    ("noname.csv", b"Post Code,Tel\nLE15 6HW,01572\n", "No column looks like a name"),
    ("broken.json", b'{"id": "x",\n "name" "y"}', "broken.json"),
    ("sheet.xlsx", b"Name,Postcode\n", "named like an Excel workbook but is not one"),
    (
        "mixed.csv",
        "Name,Postcode\nCafé,LE15 6HW\n".encode() + "Crèche,LE15 6HW\n".encode("cp1252"),
        "mixed.csv mixes text encodings: line 3 is not UTF-8",
    ),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD_INPUT)
def test_bad_files_give_one_line_and_leave_the_register_unchanged(
    rutland: Workspace,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    name: str,
    content: bytes,
    message: str,
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    before = counts(rutland)
    code, _, err = run(capsys, "import", str(rutland.path), str(path), "--skip-bad-rows")
    assert code == 1
    assert err.startswith("assetmap: error: ")
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert counts(rutland) == before


def test_hsds_missing_required_fields_is_refused_by_record(
    rutland: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    before = counts(rutland)
    missing = DATA / "hsds" / "missing_required.json"
    code, out, _ = run(capsys, "import", str(rutland.path), str(missing))
    assert code == 1
    assert "Report: 2 errors" in out
    assert "contents[1]" in out
    assert "contents[2]" in out
    assert counts(rutland) == before


def test_progress_is_drawn_on_stderr_while_reading_a_large_sheet(
    ws: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    sheet = tmp_path / "big.csv"
    with sheet.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Name", "Latitude", "Longitude"])
        writer.writerows([f"Group {i}", 52.6 + i * 1e-5, -0.7] for i in range(2_000))
    code = main(["--actor", "tester", "import", str(ws.path), str(sheet)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Imported 2,000 assets" in out
    assert "reading:" in err
    assert "checking:" in err
    assert "importing:" in err


def test_dedupe_prints_merges_and_reviews_and_writes_a_report(
    rutland: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    council = tmp_path / "council.csv"
    council.write_text(
        "Name,Postcode,Phone,Type,Latitude,Longitude\n"
        "Rutland County Library,LE15 6HW,01572 722918,Library,52.66931,-0.72590\n"
        "=cmd|' /C calc'!A0 Hall,LE15 6HW,,Village hall,52.6600,-0.7000\n",
        encoding="utf-8",
    )
    code, _, _ = run(capsys, "import", str(rutland.path), str(council), "--skip-bad-rows")
    assert code == 0
    report = tmp_path / "pairs.csv"
    code, out, _ = run(capsys, "dedupe", str(rutland.path), "--report", str(report))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Merged 1 pairs; queued 1 for review"
    assert lines[1].startswith("  merged  Rutland County Library -> Rutland County Library (")
    assert lines[2].startswith("  review  Oakham Medical Practice / Oakham Medical Practice (79.8")
    with report.open(encoding="utf-8") as handle:
        pairs = list(csv.DictReader(handle))
    assert {p["action"] for p in pairs} >= {"merged", "queued", "kept apart"}
    assert [p["action"] for p in pairs].count("merged") == 1
    # Nothing more to do on a second run: the queued pair is not queued twice.
    code, out, _ = run(capsys, "dedupe", str(rutland.path))
    assert out.splitlines()[0] == "Merged 0 pairs; queued 0 for review"
    assert len(rutland.store().records(REVIEW_ENTITY)) == 1


def test_an_exported_feed_imported_again_is_merged_back_into_one_register(
    ws: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    oruk = DATA / "hsds" / "oruk_v1_services.json"
    assert run(capsys, "import", str(ws.path), str(oruk), "--skip-bad-rows")[0] == 0
    columns = ["name", "address", "organisation", "postcode", "phone", "categories"]
    before = ws.store().assets().sort_values(["name", "address"])[columns]
    target = tmp_path / "feed.zip"
    assert run(capsys, "export", str(ws.path), "--format", "hsds", "--out", str(target))[0] == 0
    code, out, _ = run(capsys, "import", str(ws.path), str(target))
    assert code == 0, out
    assert "Imported 3 assets from hsds:feed: 3 new" in out
    assert len(ws.store().assets()) == 6
    code, out, _ = run(capsys, "dedupe", str(ws.path))
    assert out.splitlines()[0] == "Merged 3 pairs; queued 0 for review"
    after = ws.store().assets().sort_values(["name", "address"])[columns]
    assert after.values.tolist() == before.values.tolist()


def test_dedupe_merges_one_place_from_four_sources_into_one(
    rutland: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # OSM's library plus the council's, a charity directory's and the NHS list's copies:
    # four records of one place, every pair sure. Before issue 12's fix, planning these
    # merges could give a new group the id of a live one (ids are random, so it depended
    # on their order) and drop merges ("Merged 0 pairs") or raise KeyError.
    for source in ("council", "vcs", "nhs"):
        name = "Rutland County Library"
        path = tmp_path / f"{source}.csv"
        path.write_text(
            "Name,Postcode,Phone,Type,Latitude,Longitude\n"
            f"{name},LE15 6HW,01572 722918,Library,52.66931,-0.72590\n",
            encoding="utf-8",
        )
        assert run(capsys, "import", str(rutland.path), str(path))[0] == 0
    libraries = rutland.store().assets()
    assert (libraries["name"] == "Rutland County Library").sum() == 4
    code, out, _ = run(capsys, "dedupe", str(rutland.path))
    assert code == 0
    assert out.splitlines()[0].startswith("Merged 3 pairs")
    after = rutland.store().assets()
    assert (after["name"] == "Rutland County Library").sum() == 1
