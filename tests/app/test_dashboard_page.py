"""The Reach dashboard page (AppTest) on the Rutland register with LSOAs, IMD and postcodes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest
from support import SHARED_DATA, import_rutland, needs_shared_data

from assetmap.access import Principal, Role
from assetmap.ingest.osm import OsmExtract
from assetmap.ingest.postcodes import read_postcodes, save_postcodes
from assetmap.reach.coverage import coverage_series, monthly_dates, register_snapshots
from assetmap.reach.network import walk_graph_for
from assetmap.reach_service import load_areas_into_workspace, workspace_demand
from assetmap.records import GAP_ENTITY, normalise_gap
from assetmap.workspace import close_stores, open_workspace

pytestmark = needs_shared_data

APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"
PAGE = "app/pages/dashboard.py"
PRINCIPAL = "assetmap.principal"
LEAD = Principal("lee", Role.LEAD)
LSOA = SHARED_DATA / "boundaries-uk-geojson" / "lsoa_by_lad_E06000017.geojson"
IMD = SHARED_DATA / "imd-2019-mysociety" / "UK_IMD_E.csv"
POSTCODES = SHARED_DATA / "postcodes-codepoint-open-2014" / "postcodes_latlon_demo_lads.csv"
BACK_DATED = [  # name, category, (lon, lat), days ago: the series starts with these two
    ("Oakham food bank", "food_support", (-0.7286, 52.6708), 95),
    ("Uppingham money advice", "money_advice", (-0.7226, 52.5875), 40),
]


@pytest.fixture(scope="module")
def rutland(
    rutland_extract: OsmExtract, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """Rutland's register, 23 LSOAs with IMD 2019, Code-Point postcodes and seven gap records.

    Two services were added in the past (:data:`BACK_DATED`); the OSM import is today.

    Five gaps in Rutland 001C (one with words) and two in Rutland 001A: both areas
    are beyond 15 minutes of a GP on foot.
    """
    mp = pytest.MonkeyPatch()
    mp.delenv("ASSETMAP_DATABASE_URL", raising=False)
    workspace = import_rutland(tmp_path_factory.mktemp("dash") / "rutland", rutland_extract)
    save_postcodes(read_postcodes(POSTCODES), workspace.postcodes_path)
    load_areas_into_workspace(workspace, LSOA, imd=IMD)
    notes = {"E01013790": ["No <b>surgery</b> on the bus-less side", "", "", "", ""],
             "E01013788": ["Told to see a GP, none on foot", ""]}  # fmt: skip
    store = workspace.store()
    now = dt.datetime.now(dt.UTC)
    for name, code, (lon, lat), days in BACK_DATED:
        record = {"name": name, "categories": [code], "lon": lon, "lat": lat}
        store.add_asset(record, actor="lee", reason="test", at=now - dt.timedelta(days=days))
    for area, said in notes.items():
        for note in said:
            gap = normalise_gap({"need": "health", "category": "gp_health", "area": area,
                                 "note": note or None})  # fmt: skip
            store.add_record(GAP_ENTITY, gap, actor="lee", reason="test")
    yield workspace.path
    close_stores()
    mp.undo()


@pytest.fixture(autouse=True)
def app_env(monkeypatch: pytest.MonkeyPatch, rutland: Path) -> None:
    _app_env(monkeypatch, rutland)


def _app_env(monkeypatch: pytest.MonkeyPatch, rutland: Path) -> None:
    for name in ("ASSETMAP_TILES", "ASSETMAP_TILES_ATTRIBUTION", "ASSETMAP_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ASSETMAP_WORKSPACE", str(rutland))
    st.cache_data.clear()


@pytest.fixture(scope="module")
def shown(rutland: Path) -> Iterator[AppTest]:
    """The dashboard as a lead first sees it, run once for the tests that only read it."""
    mp = pytest.MonkeyPatch()
    _app_env(mp, rutland)
    yield _page()
    mp.undo()


def _page(principal: Principal = LEAD) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state[PRINCIPAL] = principal
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _map_script(at: AppTest) -> str:
    (component,) = at.get("component_instance")
    assert component.proto.component_name == "streamlit_folium.st_folium"
    return str(json.loads(component.proto.json_args)["script"])


def test_headline_figures_match_the_core(rutland, shown):
    at = shown
    metrics = {m.label: m.value for m in at.metric}
    workspace = open_workspace(rutland)
    graph = walk_graph_for(workspace.network_path)
    _, demand = workspace_demand(workspace, graph)
    now = dt.datetime.now(dt.UTC)
    head = coverage_series(graph, [(now, workspace.store().assets())], demand, minutes=15)
    row = head.summary.iloc[0]
    assert metrics["Active assets"] == f"{int(row['n_assets']):,}"
    assert metrics["Categories in reach"] == f"{row['mean_categories']:.1f}"
    assert metrics["Needs in reach"] == f"{row['mean_needs']:.1f}"
    assert metrics["Areas beyond reach"] == "15 of 23"  # GPs, the default category
    assert any("23 LSOAs and 1,025 postcodes" in c.value for c in at.caption)


def test_gap_map_shows_every_lsoa_the_sites_and_the_imd_overlay(rutland):
    at = _page()
    script = _map_script(at)
    assert script.count('"area_code"') == 0  # only display fields reach the page
    assert script.count('"walk":') == 23  # one area per LSOA
    assert "IMD 2019 decile" not in script
    assert "Suggested sites" in script
    assert "<b>surgery</b>" not in script  # notes never reach the map
    sites = at.dataframe[0].value
    assert sites["Rank"].tolist() == [1, 2]
    assert (sites["Postcodes newly within reach"] > 0).all()
    (toggle,) = [t for t in at.toggle if t.label == "IMD 2019 overlay"]
    toggle.set_value(True).run()
    assert not at.exception, at.exception
    assert "IMD 2019 decile" in _map_script(at)


def test_areas_beyond_reach_list_gaps_with_small_counts_suppressed(rutland, shown):
    at = shown
    beyond = at.dataframe[1].value.set_index("Area")
    assert len(beyond) == 15
    assert beyond.loc["Rutland 001C", "Gaps reported"] == "5"
    assert (
        beyond.loc["Rutland 001C", "What people said"] == "No <b>surgery</b> on the bus-less side"
    )
    assert beyond.loc["Rutland 001A", "Gaps reported"] == "<5"  # two reports: could be people
    assert beyond.loc["Rutland 001A", "What people said"] == ""
    assert beyond.loc["Rutland 004A", "Gaps reported"] == "0"
    assert beyond.loc["Rutland 005A", "Minutes"] == "44"
    assert beyond.loc["Rutland 001A", "Minutes"] == "over 60"  # beyond the search
    assert "Told to see a GP" not in _map_script(at)
    assert '"gaps": "\\u0026lt;5"' in _map_script(at)  # "&lt;5": shown as text in the tooltip


def test_series_and_downloads_are_offered(rutland, shown):
    at = shown
    labels = [b.label for b in at.get("download_button")]
    assert labels == [
        "Coverage table (CSV)",
        "Coverage chart (PNG)",
        "Areas and minutes (CSV)",
        "Series (CSV)",
        "Series chart (PNG)",
    ]
    bars, line = at.get("vega_lite_chart")
    assert json.loads(bars.proto.spec)["mark"]["type"] == "bar"
    drawn = convert_arrow_bytes_to_pandas_df(line.proto.datasets[0].data.data)
    drawn = drawn[drawn["measure"] == "categories"].reset_index(drop=True)

    workspace = open_workspace(rutland)
    store = workspace.store()
    graph = walk_graph_for(workspace.network_path)
    _, demand = workspace_demand(workspace, graph)
    first = pd.Timestamp(store.change_log()["valid_from"].min()).date()
    dates = monthly_dates(first, dt.datetime.now(dt.UTC).date())
    series = coverage_series(graph, register_snapshots(store, dates), demand, minutes=15).summary
    assert len(dates) == len(drawn) >= 4  # 95 days back: at least four month ends
    assert drawn["month"].tolist() == [d.strftime("%Y-%m") for d in dates]
    assert drawn["value"].tolist() == pytest.approx(series["mean_categories"].tolist())
    assert series["n_assets"].iloc[0] == 1  # the food bank alone
    assert series["n_assets"].iloc[-1] == len(store.assets())
    assert drawn["value"].is_monotonic_increasing
    assert drawn["value"].iloc[0] < drawn["value"].iloc[-1]


def test_what_each_import_added_is_listed_oldest_first(rutland, shown):
    at = shown
    added = at.dataframe[2].value
    assert added["How"].tolist() == ["manual", "manual", "import"]
    assert added["New categories"].iloc[0] == "Food bank and free food"
    assert added["Places added"].tolist()[:2] == [1, 1]
    assert (added["after"] >= added["Mean categories before"]).all()


def test_staff_do_not_get_the_dashboard(rutland):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[PRINCIPAL] = Principal("ana", Role.STAFF)
    at.run()
    with pytest.raises(Exception, match="dashboard"):
        at.switch_page(PAGE)


def test_a_write_that_touches_no_asset_does_not_measure_coverage_again(rutland, monkeypatch):
    """Every write replaces the data version; coverage is measured again only for new assets.

    A closed gap record is a write the dashboard does not show (the module's
    other tests still see the same gaps). Changing the walking limit does
    measure again, so the count below is of real work.
    """
    import assetmap.reach.coverage as kernels

    measured: list[float] = []
    real = kernels.coverage

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        measured.append(kwargs["minutes"])
        return real(*args, **kwargs)

    monkeypatch.setattr(kernels, "coverage", counting)
    at = _page()
    assert measured, "the first view measures coverage"
    before = at.metric[0].value, at.dataframe[1].value
    store = open_workspace(rutland).store()
    version = store.data_version()
    gap = {"need": "health", "category": "gp_health", "area": "E01013790", "status": "closed"}
    store.add_record(GAP_ENTITY, gap, actor="lee", reason="test")
    assert store.data_version() != version
    measured.clear()
    at.run()
    assert not at.exception, at.exception
    assert measured == []  # coverage, series, additions and sites all came from the cache
    assert (at.metric[0].value, at.dataframe[1].value.to_dict()) == (
        before[0],
        before[1].to_dict(),
    )
    at.select_slider(key="assetmap.dashboard.minutes").set_value(20).run()
    assert not at.exception, at.exception
    assert 20.0 in measured
