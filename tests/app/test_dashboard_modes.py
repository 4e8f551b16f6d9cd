"""The Dashboard's coverage by travel mode (AppTest) on the Helsinki demo with its timetable."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from support import SHARED_DATA

from assetmap.access import Principal, Role
from assetmap.demo import build_demo
from assetmap.reach.network import walk_graph_for
from assetmap.transit_service import coverage_by_mode
from assetmap.workspace import open_workspace

APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"
PAGE = "app/pages/dashboard.py"
FEED = SHARED_DATA / "gtfs-helsinki" / "helsinki_gtfs.zip"


@pytest.fixture(scope="module")
def helsinki(tmp_path_factory: pytest.TempPathFactory, module_database_url: str) -> Path:
    if not FEED.exists():
        pytest.skip(f"needs {FEED}")
    path = tmp_path_factory.mktemp("modes") / "helsinki"
    build_demo(path, region="helsinki")
    return path


@pytest.fixture
def app_workspace(helsinki: Path) -> Path:
    return helsinki


def test_dashboard_compares_walking_cycling_and_public_transport(helsinki):
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["assetmap.principal"] = Principal("lee", Role.LEAD)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert not next(t for t in at.toggle if t.label.startswith("Compare walking")).value
    assert not any("by travel mode" in s.value for s in at.subheader)  # off by default
    at.toggle(key="assetmap.dashboard.modes").set_value(True).run()
    assert not at.exception
    assert any("by travel mode" in s.value for s in at.subheader)
    frames = [d.value for d in at.dataframe if "Walk + public transport" in d.value.columns]
    assert len(frames) == 1
    frame = frames[0]
    assert list(frame.columns) == ["Category", "Walk", "Cycle", "Walk + public transport"]
    workspace = open_workspace(helsinki)
    graph = walk_graph_for(workspace.network_path)
    core, notes = coverage_by_mode(workspace, graph, workspace.store().assets(), minutes=15)
    assert notes == []
    assert frame["Walk + public transport"].tolist() == core["transit"].tolist()
    assert frame["Cycle"].tolist() == core["bike"].tolist()
    assert (frame["Walk + public transport"] >= frame["Walk"]).all()


def test_find_support_by_public_transport_names_the_route(helsinki):
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["assetmap.principal"] = Principal("sam", Role.STAFF)
    at.run()
    at.switch_page("app/pages/find_support.py").run()
    assert not at.exception
    (mode,) = [r for r in at.radio if r.label == "Getting there"]
    assert mode.value == "walk"
    at.text_input[0].input("60.1790,24.9500")
    at.multiselect[0].set_value(["health"])
    at.slider[0].set_value(30)
    mode.set_value("transit")
    (submit,) = [b for b in at.button if b.label == "Find support"]
    submit.click().run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    rode = table[table["Why"].str.contains("min door to door")]
    assert len(rode), table["Why"].tolist()
    assert rode["Why"].str.contains(r"(?:bus|tram|metro|train) \S+ from ").all()


def test_gap_map_and_range_over_time_follow_the_travel_mode(helsinki):
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["assetmap.principal"] = Principal("lee", Role.LEAD)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    (mode,) = [s for s in at.selectbox if s.label.startswith("Travel mode")]
    assert mode.options == ["On foot", "By bike", "Walk + public transport"]

    def beyond() -> list[str]:
        (frame,) = [d.value for d in at.dataframe if "Gaps reported" in d.value.columns]
        return sorted(frame["Area"].tolist())

    walking = beyond()
    mode.set_value("transit").run()
    assert not at.exception, at.exception
    assert any(t.label == "Leaving (public transport)" for t in at.text_input)
    by_transit = beyond()
    # The same areas the core finds beyond 15 min by walk + public transport.
    from assetmap.dashboard import area_labels, workspace_places
    from assetmap.reach.coverage import gap_search_minutes
    from assetmap.reach.sites import area_minutes
    from assetmap.reach_service import areas_beyond
    from assetmap.transit_service import coverage_for_mode

    workspace = open_workspace(helsinki)
    graph = walk_graph_for(workspace.network_path)
    category = next(s for s in at.selectbox if s.label == "Category on the gap map").value
    _, demand, result = coverage_for_mode(
        workspace, graph, workspace.store().assets(), mode="transit", minutes=15,
        depart="Tue 08:00-09:00", search_minutes=gap_search_minutes(15),
    )  # fmt: skip
    table = area_minutes(result, demand.areas, category=category)
    # named in plain words as the page names them ("1 km square near ...")
    named = area_labels(demand.areas, workspace_places(workspace))
    labels = dict(zip(demand.areas["area_code"], named, strict=True))
    table["area_name"] = table["area_code"].map(labels)
    assert by_transit == sorted(areas_beyond(table, search_minutes=45)["area"].tolist())
    assert set(by_transit) <= set(walking)  # never worse than walking
    assert len(by_transit) < len(walking)
    # The suggested sites too are chosen by walk + public transport.
    from assetmap.transit_service import suggest_sites_for_mode

    (sites,) = [d.value for d in at.dataframe if "Site" in d.value.columns]
    core_sites = suggest_sites_for_mode(
        workspace, graph, workspace.store().assets(), mode="transit", category=category,
        count=2, minutes=15, depart="Tue 08:00-09:00", fallback_cell_m=500.0,
    )  # fmt: skip
    assert sites["Site"].tolist() == core_sites.sites["name"].tolist()
    # The accessible range over time, by the same mode, drawn as the core measures it.
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    from assetmap.transit_service import range_series_for_mode
    from assetmap.views import dashboard_snapshots

    at.segmented_control(key="assetmap.dashboard.more").set_value(["range"]).run()  # on request
    assert not at.exception, at.exception
    (line,) = at.get("vega_lite_chart")  # the series line (the coverage bars are a table)
    assert "(walk + public transport), month by month" in line.proto.spec
    drawn = convert_arrow_bytes_to_pandas_df(line.proto.datasets[0].data.data)
    drawn = drawn[drawn["measure"] == "categories"].reset_index(drop=True)
    series = range_series_for_mode(
        workspace, graph,
        dashboard_snapshots(workspace.store(), principal=Principal("lee", Role.LEAD)),
        mode="transit", minutes=15, depart="Tue 08:00-09:00",
    ).summary  # fmt: skip
    assert drawn["value"].tolist() == pytest.approx(series["mean_categories"].tolist())
