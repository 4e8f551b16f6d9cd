"""The reach commands (areas, coverage, reach, sites) on a real Rutland workspace.

One workspace per module: the whole Rutland OSM extract, the Code-Point Open
postcodes of the LE area and Rutland's 23 LSOAs with IMD 2019.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from support import SHARED_DATA, needs_shared_data, rutland_cli_workspace
from support import run_cli as run

from assetmap.cli import main
from assetmap.ingest.osm import OsmExtract
from assetmap.reach.coverage import accessible_range
from assetmap.reach.network import walk_graph_for
from assetmap.reach_service import workspace_demand
from assetmap.workspace import open_workspace

pytestmark = needs_shared_data

LSOA = SHARED_DATA / "boundaries-uk-geojson" / "lsoa_by_lad_E06000017.geojson"
IMD = SHARED_DATA / "imd-2019-mysociety" / "UK_IMD_E.csv"
POSTCODES = SHARED_DATA / "postcodes-codepoint-open-2014" / "le.csv"
OAKHAM = "LE15 0AQ"  # Code-Point Open: 486137 E, 308843 N, Oakham centre


@pytest.fixture(scope="module")
def rutland(
    tmp_path_factory: pytest.TempPathFactory,
    new_database_url: Callable[[], str],
    rutland_extract: OsmExtract,
) -> Iterator[Path]:
    """Rutland's OSM extract and the LE postcodes; areas are loaded by the first test."""
    folder = tmp_path_factory.mktemp("rutland")
    with rutland_cli_workspace(
        folder, new_database_url(), ("postcodes", str(POSTCODES)), extract=rutland_extract
    ) as ws:
        yield ws


@pytest.fixture(scope="module")
def with_areas(rutland: Path) -> Path:
    assert main(["--no-progress", "areas", str(rutland), "--boundaries", str(LSOA),
                 "--imd", str(IMD)]) == 0  # fmt: skip
    return rutland


def test_areas_command_stores_lsoas_that_coverage_by_lsoa_needs(rutland, capsys):
    code, _, err = run(capsys, "coverage", str(rutland), "--by", "lsoa", "--format", "json")
    assert code == 1
    assert err.startswith("assetmap: error: No areas are loaded")
    assert err.count("\n") == 1
    code, out, _ = run(capsys, "areas", str(rutland), "--boundaries", str(LSOA), "--imd", str(IMD))
    assert code == 0
    assert out.strip().endswith("Stored 23 LSOAs in " + str(rutland) + " (23 with IMD 2019 scores)")
    assert (rutland / "areas.parquet").is_file()
    code, _, err = run(capsys, "areas", str(rutland), "--boundaries", str(rutland / "none.json"))
    assert code == 1
    assert "No boundary file" in err


def test_coverage_json_and_csv_agree_with_the_accessible_range_of_postcodes(with_areas, capsys):
    code, out, _ = run(capsys, "coverage", str(with_areas), "--minutes", "15", "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert report["by"] == "lsoa"
    assert report["n_areas"] == 23
    assert 1000 <= report["n_postcodes"] <= 1030  # Rutland's 1,025, give or take the border
    # le.csv only: the PE9 east of the county has no postcode; it is measured at street nodes
    # and the report says which areas those are.
    fallback = report["areas_measured_at_street_nodes"]
    assert len(fallback) == 3
    assert all(code.startswith("E0101") for code in fallback)
    code, table_out, _ = run(capsys, "coverage", str(with_areas), "--minutes", "15")
    # the note names the areas (LSOA names), never their ONS codes
    assert "3 of 23 LSOAs have no postcode and are measured at street nodes instead: Rutland " in (
        table_out
    )
    assert fallback[0] not in table_out
    rows = {r["category"]: r for r in report["rows"]}
    assert rows["faith_community"]["n_assets"] == 62
    # An independent path: the accessible range of every postcode, one by one.
    workspace = open_workspace(with_areas)
    graph = walk_graph_for(workspace.network_path)
    _, demand = workspace_demand(workspace, graph)
    pc = demand.is_postcode
    ranges = accessible_range(
        graph, workspace.store().assets(), demand.lon[pc], demand.lat[pc], minutes=15
    )
    for code_ in ("faith_community", "school", "gp_health", "library"):
        share = np.mean([code_ in cats for cats in ranges["categories"]])
        assert rows[code_]["share_postcodes"] == pytest.approx(share)
    assert 0 < rows["gp_health"]["share_postcodes"] < rows["faith_community"]["share_postcodes"]
    code, out, _ = run(capsys, "coverage", str(with_areas), "--minutes", "15", "--format", "csv")
    table = {r["category"]: r for r in csv.DictReader(io.StringIO(out))}
    assert set(table) == set(rows)
    assert float(table["school"]["share_areas"]) == pytest.approx(
        rows["school"]["share_areas"], abs=1e-4
    )


def test_coverage_per_point_gives_the_minutes_behind_the_shares_and_medians(with_areas, capsys):
    code, out, _ = run(capsys, "coverage", str(with_areas), "--minutes", "15", "--format", "json")
    rows = {r["category"]: r for r in json.loads(out)["rows"]}
    code, out, err = run(capsys, "coverage", str(with_areas), "--minutes", "15", "--per-point")
    assert (code, err) == (0, "")
    points = pd.read_csv(io.StringIO(out))
    assert list(points.columns[:4]) == ["area_code", "lon", "lat", "is_postcode"]
    assert set(points.columns[4:]) == set(rows)
    postcodes = points[points["is_postcode"]]
    assert len(postcodes) == json.loads(run(capsys, "coverage", str(with_areas), "--format",
                                            "json")[1])["n_postcodes"]  # fmt: skip
    assert points["area_code"].nunique() == 23
    for code_ in ("faith_community", "school", "gp_health", "library"):
        minutes = postcodes[code_].to_numpy(dtype=float)
        share = rows[code_]["share_postcodes"]  # minutes are rounded to 0.1 in the CSV
        assert (minutes < 14.95).mean() <= share <= (minutes <= 15.05).mean()
        assert float(np.median(minutes)) == pytest.approx(rows[code_]["median_minutes"], abs=0.1)


def test_coverage_as_of_before_the_import_is_empty(with_areas, capsys):
    code, out, _ = run(
        capsys, "coverage", str(with_areas), "--as-of", "2000-01-01", "--format", "json"
    )
    assert code == 0
    assert json.loads(out)["rows"] == []


def test_reach_lists_assets_within_the_limit_and_writes_the_isochrone(with_areas, tmp_path, capsys):
    shape = tmp_path / "walk.geojson"
    code, out, _ = run(capsys, "reach", str(with_areas), "--from", OAKHAM, "--minutes", "10",
                       "--format", "json", "--isochrone", str(shape))  # fmt: skip
    assert code == 0
    report = json.loads(out)
    assert report["from"]["kind"] == "postcode"
    minutes = [a["minutes"] for a in report["assets"]]
    assert len(minutes) >= 10  # Oakham's centre
    assert minutes == sorted(minutes)
    assert max(minutes) <= 10
    found = sorted({c for a in report["assets"] for c in a["categories"]})
    assert report["categories_within"] == found
    assert "ete" in report["needs_within"]  # the library
    area = gpd.read_file(shape)
    assert len(area) == 1
    assert area.loc[0, "minutes"] == 10
    workspace = open_workspace(with_areas)
    assets = workspace.store().assets().set_index("id")
    inside = shapely.contains_xy(
        area.geometry.iloc[0],
        assets.loc[[a["id"] for a in report["assets"]]].geometry.x.to_numpy(),
        assets.loc[[a["id"] for a in report["assets"]]].geometry.y.to_numpy(),
    )
    assert inside.mean() > 0.9  # assets reached lie in the walkable area (legs aside)
    code, out, _ = run(capsys, "reach", str(with_areas), "--from", "52.6700,-0.7270",
                       "--minutes", "10", "--category", "library", "--format", "json")  # fmt: skip
    libraries = json.loads(out)["assets"]
    assert [a["name"] for a in libraries] == ["Rutland County Library"]  # in Oakham


def test_sites_milp_is_optimal_and_greedy_reports_its_gap(with_areas, capsys):
    args = ["sites", str(with_areas), "--category", "gp_health", "--count", "3",
            "--minutes", "15", "--format", "json"]  # fmt: skip
    code, out, _ = run(capsys, *args, "--method", "milp")
    assert code == 0
    exact = json.loads(out)
    assert exact["method"] == "milp"
    assert exact["optimal"] is True
    assert len(exact["sites"]) == 3
    assert exact["covered_after"] > exact["covered_before"]
    gains = [s["new_demand"] for s in exact["sites"]]
    assert exact["covered_after"] - exact["covered_before"] == pytest.approx(sum(gains))
    code, out, _ = run(capsys, *args, "--method", "greedy")
    greedy = json.loads(out)
    assert greedy["method"] == "greedy"
    assert greedy["covered_after"] <= exact["covered_after"]
    assert greedy["gap"] == pytest.approx(
        1 - (greedy["covered_after"] - greedy["covered_before"]) / greedy["bound"]
    )
    code, _, err = run(capsys, "sites", str(with_areas), "--category", "gp", "--count", "1")
    assert code == 1
    assert "Unknown category code 'gp'" in err
