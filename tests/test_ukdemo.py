"""A real English county out of the box: the Rutland demo, areas by name, other countries.

Everything here runs from the data bundled in the package (no ``../shared``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
import requests
import shapely
from support import RUTLAND_BUNDLE, import_rutland, use_database_for_workspace
from support import run_cli as run

from assetmap.access import Principal, Role
from assetmap.demo import demo_osm_file
from assetmap.ingest.boundaries import admin_boundary, find_admin_area, list_admin_areas
from assetmap.output.export_hsds import DEFAULT_SCHEMA_DIR
from assetmap.people.plans import list_plans
from assetmap.people.sessions import list_sessions
from assetmap.workspace import close_stores, open_workspace, workspace_country

RUTLAND_PBF = RUTLAND_BUNDLE / "rutland-latest.osm.pbf"
# A street and a cafe: no venue that could host a new service, no postcodes, no areas.
TINY_OSM = """<osm version="0.6">
<node id="1" lat="40.0" lon="-100.0" version="1"/>
<node id="2" lat="40.001" lon="-100.0" version="1"/>
<node id="3" lat="40.0005" lon="-100.0001" version="1">
  <tag k="amenity" v="cafe"/><tag k="name" v="Main Street Cafe"/></node>
<way id="10" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/></way>
</osm>"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, new_database_url) -> Iterator[Path]:
    """`assetmap demo` on the bundled Rutland data, once for the module."""
    ws = tmp_path_factory.mktemp("demo") / "demo-ws"
    with pytest.MonkeyPatch.context() as mp:
        use_database_for_workspace(new_database_url(), mp)
        from assetmap.cli import main

        assert main(["--no-progress", "demo", str(ws)]) == 0
        yield ws
        close_stores()


def test_demo_is_rutland_with_postcodes_lsoas_imd_and_fictional_examples(demo, capsys):
    workspace = open_workspace(demo)
    settings = workspace.settings()
    assert workspace_country(settings) == "GB"
    assert settings["areas_count"] == 23
    assert settings["areas_kind"] == "LSOAs"
    code, out, err = run(capsys, "coverage", str(demo), "--minutes", "15", "--format", "json")
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert (report["by"], report["n_areas"]) == ("lsoa", 23)
    # le.csv and pe.csv: every LSOA has postcodes, the PE9 east of the county included.
    assert report["n_postcodes"] == 1207
    assert report["areas_measured_at_street_nodes"] == []
    code, out, _ = run(capsys, "find", str(demo), "--from", "LE15 6AA", "--need", "health")
    assert code == 0
    assert out.startswith("From LE15 6AA (LE15 6)")
    code, out, _ = run(capsys, "sites", str(demo), "--category", "food_support", "--imd-weighted")
    assert code == 0
    assert "sites for food_support" in out
    store = workspace.store()
    staff = Principal("local-admin", Role.STAFF)
    plans = list_plans(store, principal=staff)
    assert sorted(plans["reference"]) == ["P-DEMO1", "P-DEMO2"]
    sessions = list_sessions(store, principal=Principal("local-admin", Role.FACILITATOR))
    assert len(sessions) == 1
    assert "fictional" in sessions.iloc[0]["group_label"].lower()
    proposed = store.assets()
    assert (proposed["name"].str.endswith("(demo)") == (proposed["status"] == "proposed")).all()
    assert len(store.records("gap")) == 1
    assert len(store.records("idea")) == 1


def test_demo_attribution_names_every_file_and_licence() -> None:
    text = (RUTLAND_BUNDLE / "ATTRIBUTION.md").read_text()
    for name in ("rutland-latest.osm.pbf", "postcodes.csv", "lsoa.geojson", "imd.csv"):
        assert f"`{name}`" in text
        assert (RUTLAND_BUNDLE / name).is_file()
    for phrase in ("© OpenStreetMap contributors", "ODbL", "Open Government Licence v3.0",
                   "Contains Ordnance Survey data", "Royal Mail copyright",
                   "Contains National Statistics data"):  # fmt: skip
        assert phrase in text
    size = sum(p.stat().st_size for p in RUTLAND_BUNDLE.iterdir())
    assert size < 3_000_000
    assert (DEFAULT_SCHEMA_DIR / "service.json").is_file()
    assert "assetmap" in DEFAULT_SCHEMA_DIR.parts
    assert (DEFAULT_SCHEMA_DIR / "LICENSE").is_file()


def test_helsinki_demo_stays_and_its_coverage_has_no_nan(workspace_path, capsys):
    code, out, _ = run(capsys, "demo", str(workspace_path), "--helsinki")
    assert code == 0
    assert "Postcodes" not in out
    workspace = open_workspace(workspace_path)
    assert workspace_country(workspace.settings()) == "FI"
    assert demo_osm_file("helsinki").name == Path(workspace.settings()["osm_file"]).name
    code, out, _ = run(capsys, "coverage", str(workspace_path), "--minutes", "10")
    assert code == 0
    assert "nan" not in out
    assert "no postcodes are loaded, so every area is measured at its street nodes" in out
    code, _, err = run(capsys, "find", str(workspace_path), "--from", "Nowhere Street 99")
    assert code == 1
    assert "LE15" not in err
    assert "coordinates like 60.1" in err


def test_sites_without_candidates_or_deprivation_data_is_one_line(workspace_path, tmp_path, capsys):
    extract = tmp_path / "tiny.osm"
    extract.write_text(TINY_OSM)
    assert run(capsys, "init", str(workspace_path), "--osm", str(extract))[0] == 0
    assert workspace_country(open_workspace(workspace_path).settings()) == "US"
    code, out, err = run(capsys, "sites", str(workspace_path), "--category", "food_support")
    assert (code, out) == (1, "")
    assert err.startswith("assetmap: error: No candidate sites")
    assert err.count("\n") == 1
    code, out, err = run(
        capsys, "sites", str(workspace_path), "--category", "food_support", "--imd-weighted",
        "--candidates", "grid",
    )  # fmt: skip
    assert (code, out) == (1, "")
    assert err.startswith("assetmap: error: IMD weighting needs deprivation scores")
    assert err.count("\n") == 1


def test_areas_loaded_by_code_column_are_not_called_lsoas(
    workspace_path, tmp_path, capsys, rutland_extract
):
    frame = gpd.read_file(RUTLAND_BUNDLE / "lsoa.geojson").rename(columns={"LSOA11CD": "zone"})
    frame = frame.drop(columns=[c for c in frame.columns if c.startswith("LSOA")])
    zones = tmp_path / "zones.geojson"
    frame.to_file(zones, driver="GeoJSON")
    import_rutland(workspace_path, rutland_extract)  # as `init --osm RUTLAND_PBF`, parsed once
    code, out, _ = run(
        capsys, "areas", str(workspace_path), "--boundaries", str(zones), "--code-column", "zone"
    )
    assert code == 0
    assert out.startswith("Stored 23 areas in ")
    code, out, _ = run(capsys, "coverage", str(workspace_path), "--minutes", "15")
    assert "LSOA" not in out
    assert out.startswith("Within 15 min walk, over 23 areas; no postcodes are loaded")


def test_areas_list_names_rutland_and_its_parishes_within_2_seconds(capsys):
    started = time.perf_counter()
    code, out, _ = run(capsys, "areas", "list", str(RUTLAND_PBF))
    elapsed = time.perf_counter() - started
    assert code == 0
    assert elapsed < 2.0
    lines = out.splitlines()
    assert "    6  E06000017  Rutland" in lines
    assert "   10  E04012676  Oakham" in lines
    assert "   10  E04000677  Uppingham" in lines
    assert lines[-1].startswith("90 areas; use one with: assetmap init")
    code, _, err = run(capsys, "areas", "list")
    assert code == 1
    assert "areas list FILE.osm.pbf" in err


def test_init_area_keeps_the_county_and_its_walking_buffer(
    new_database_url, tmp_path, capsys, monkeypatch, rutland_extract
):
    """`init --area Rutland` keeps every asset of the whole-file import that lies in Rutland."""
    use_database_for_workspace(new_database_url(), monkeypatch)
    import_rutland(tmp_path / "whole", rutland_extract)  # the whole-file import, parsed once
    whole_assets = open_workspace(tmp_path / "whole").store().assets()
    use_database_for_workspace(new_database_url(), monkeypatch)
    code, out, _ = run(capsys, "init", str(tmp_path / "ws"), "--osm", str(RUTLAND_PBF),
                       "--area", "Rutland")  # fmt: skip
    assert code == 0, out
    assert "4 assets outside area" in out
    clipped = open_workspace(tmp_path / "ws")
    assert clipped.settings()["osm_area"] == "Rutland (E06000017)"
    assets = clipped.store().assets()
    county = admin_boundary(RUTLAND_PBF, find_admin_area(list_admin_areas(RUTLAND_PBF), "rutland"))
    inside = shapely.contains_xy(county, whole_assets.geometry.x, whole_assets.geometry.y)
    assert sorted(assets["source_id"]) == sorted(whole_assets.loc[inside, "source_id"])
    assert sorted(whole_assets.loc[~inside, "name"]) == [
        "Duddington Village Hall", "Launde Park Wood", "Saint Peter's Church", "St Mary",
    ]  # fmt: skip
    columns = ["source_id", "name", "categories", "postcode"]
    left = assets[columns].sort_values("source_id").reset_index(drop=True)
    right = whole_assets.loc[inside, columns].sort_values("source_id").reset_index(drop=True)
    assert left.equals(right)
    # The same county by its ONS code; a bad name says how to list the choices.
    use_database_for_workspace(new_database_url(), monkeypatch)
    code, out, _ = run(capsys, "init", str(tmp_path / "by-code"), "--osm", str(RUTLAND_PBF),
                       "--area", "E06000017")  # fmt: skip
    assert code == 0
    assert "Assets: 221 new" in out
    code, _, err = run(capsys, "init", str(tmp_path / "bad"), "--osm", str(RUTLAND_PBF),
                       "--area", "Rutlandshire")  # fmt: skip
    assert code == 1
    assert "`assetmap areas list FILE` lists them" in err
    assert not (tmp_path / "bad").exists()


def test_init_boundary_file_clips_to_the_polygon(workspace_path, capsys):
    lsoas = str(RUTLAND_BUNDLE / "lsoa.geojson")
    code, out, _ = run(capsys, "init", str(workspace_path), "--osm", str(RUTLAND_PBF),
                       "--boundary", lsoas, "--buffer-m", "500")  # fmt: skip
    assert code == 0, out
    settings = open_workspace(workspace_path).settings()
    assert settings["osm_area"] == "lsoa.geojson"
    assets = open_workspace(workspace_path).store().assets()
    county = shapely.unary_union(gpd.read_file(RUTLAND_BUNDLE / "lsoa.geojson").geometry)
    assert shapely.contains_xy(county, assets.geometry.x, assets.geometry.y).all()
    assert 200 < len(assets) < 225


def test_place_without_internet_fails_fast_naming_the_file_to_download(
    tmp_path, capsys, monkeypatch
):
    import assetmap.ingest.extracts as extracts

    def offline(place: str, timeout_s: float) -> tuple[float, float]:
        raise requests.ConnectionError("Failed to resolve 'nominatim.openstreetmap.org'")

    monkeypatch.setattr(extracts, "_nominatim", offline)
    started = time.perf_counter()
    code, out, err = run(capsys, "init", str(tmp_path / "ws"), "--place", "Oakham, Rutland")
    assert time.perf_counter() - started < 5
    assert (code, out) == (1, "")
    assert err.count("\n") == 1
    assert "Download rutland-latest.osm.pbf (1.9 MB) from " in err
    assert (
        "https://download.geofabrik.de/europe/united-kingdom/england/rutland-latest.osm.pbf" in err
    )
    assert not (tmp_path / "ws").exists()
    # Smallest region holding a point: a county inside England inside Europe.
    assert extracts.suggest_extract("x", point=(-0.72, 52.67)).name == "Rutland"
