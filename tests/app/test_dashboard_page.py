"""The Reach dashboard page (AppTest) on the Rutland register with LSOAs, IMD and postcodes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest
from support import (
    SHARED_DATA,
    grant_that_became,
    import_rutland,
    needs_shared_data,
    serve_app_from,
)

from assetmap.access import Principal, Role
from assetmap.ingest.osm import OsmExtract
from assetmap.ingest.postcodes import read_postcodes, save_postcodes
from assetmap.match.needs import Constraints, Goal
from assetmap.people import funds, plans, sessions
from assetmap.reach.coverage import coverage_series, monthly_dates, register_snapshots
from assetmap.reach.network import walk_graph_for
from assetmap.reach_service import load_areas_into_workspace, workspace_demand
from assetmap.records import GAP_ENTITY, normalise_gap
from assetmap.store import Store
from assetmap.workspace import open_workspace

pytestmark = needs_shared_data

APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"
PAGE = "app/pages/dashboard.py"
PRINCIPAL = "assetmap.principal"
MORE = "assetmap.dashboard.more"  # the sections drawn on request
SECTIONS = {
    "range": "Accessible range over time",
    "added": "What each import, session or grant added",
    "funds": "Funds and the evaluation pack",
}
LEAD = Principal("lee", Role.LEAD)
LSOA = SHARED_DATA / "boundaries-uk-geojson" / "lsoa_by_lad_E06000017.geojson"
IMD = SHARED_DATA / "imd-2019-mysociety" / "UK_IMD_E.csv"
POSTCODES = SHARED_DATA / "postcodes-codepoint-open-2014" / "postcodes_latlon_demo_lads.csv"
BACK_DATED = [  # name, category, (lon, lat), days ago: the series starts with these two
    ("Oakham food bank", "food_support", (-0.7286, 52.6708), 95),
    ("Uppingham money advice", "money_advice", (-0.7226, 52.5875), 40),
]
DRUGS_SAID = ["Nowhere in Oakham to talk about drink", "", "", "", "", ""]
START = plans.StartPoint(-0.7271, 52.6703, "coordinates", "here", "LE15 6", -0.727, 52.670)


def _money_and_a_session(store: Store) -> None:
    """A mapping session whose place was accepted; a grant that became an asset; two requests."""
    fran, sam = Principal("fran", Role.FACILITATOR), Principal("sam", Role.STAFF)
    today = dt.date.today()
    sid = sessions.start_session(
        store, principal=fran, date=today, area="Oakham", group_label="Tuesday group"
    )
    place = sessions.propose_asset(
        store, sid, {"name": "Catmos street pantry", "lon": -0.7301, "lat": 52.6712,
                     "categories": ["food_support"]}, principal=fran
    )  # fmt: skip
    sessions.accept_proposal(store, place, principal=fran)
    club = store.add_asset(
        {"name": "Oakham Bike Club", "lon": -0.7205, "lat": 52.6745,
         "categories": ["employment_support"]}, actor="fran", reason="grant",
    )  # fmt: skip
    grant = grant_that_became(store, sid, club)
    fund_id = store.get_record(funds.GRANT_ENTITY, grant)["fund_id"]
    for amount in ("450", "120"):  # two requests: a lead must not see what they were for
        plan = plans.create_plan(store, start=START, goals=[Goal(need="accommodation")],
                                 constraints=Constraints(), principal=sam)  # fmt: skip
        funds.request_allocation(
            store, plan["id"], fund_id, goal=0, category="GTIP060", what="Rent deposit",
            why="a room", amount=amount, principal=sam,
        )  # fmt: skip


@pytest.fixture(scope="module")
def rutland(
    rutland_extract: OsmExtract, tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> Path:
    """Rutland's register, 23 LSOAs with IMD 2019, Code-Point postcodes and seven gap records.

    Two services were added in the past (:data:`BACK_DATED`); the OSM import is today.

    Five gaps in Rutland 001C (one with words) and two in Rutland 001A: both areas
    are beyond 15 minutes of a GP on foot. Six gaps for drugs and alcohol, for
    which Rutland has no service, recorded as "Oakham" without a pin. A mapping
    session's accepted place, a shared grant's new club (help finding work,
    none before) and two requests for money (:func:`_money_and_a_session`).
    """
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
    for note in DRUGS_SAID:
        gap = normalise_gap({"need": "drugs_alcohol", "area": "Oakham", "note": note or None})
        store.add_record(GAP_ENTITY, gap, actor="lee", reason="test")
    _money_and_a_session(store)
    return workspace.path


@pytest.fixture
def app_workspace(rutland: Path) -> Path:
    return rutland


@pytest.fixture(scope="module")
def shown(rutland: Path, module_database_url: str) -> Iterator[AppTest]:
    """The dashboard as a lead first sees it, run once for the tests that only read it."""
    with pytest.MonkeyPatch.context() as mp:
        serve_app_from(mp, module_database_url, rutland)
        yield _page()


@pytest.fixture(scope="module")
def opened(rutland: Path, module_database_url: str) -> Iterator[AppTest]:
    """The dashboard with every section below the fold chosen (each is drawn on request)."""
    with pytest.MonkeyPatch.context() as mp:
        serve_app_from(mp, module_database_url, rutland)
        at = _page()
        at.segmented_control(key=MORE).set_value(list(SECTIONS)).run()
        assert not at.exception, at.exception
        yield at


def _page(principal: Principal = LEAD) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state[PRINCIPAL] = principal
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _frame(at: AppTest, column: str) -> pd.DataFrame:
    """The one table on the page with this column."""
    (found,) = [d.value for d in at.dataframe if column in d.value.columns]
    return found


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
    sites = _frame(at, "Rank")
    assert sites["Rank"].tolist() == [1, 2]
    assert (sites["Postcodes newly within reach"] > 0).all()
    (toggle,) = [t for t in at.toggle if t.label == "IMD 2019 overlay"]
    toggle.set_value(True).run()
    assert not at.exception, at.exception
    assert "IMD 2019 decile" in _map_script(at)


def test_areas_beyond_reach_list_gaps_with_small_counts_suppressed(rutland, shown):
    at = shown
    beyond = _frame(at, "Gaps reported")
    beyond.index = beyond["Area"].str.split(",").str[0]
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


def test_the_first_view_draws_the_sections_below_the_fold_only_on_request(shown):
    """Range over time, what was added and the funds wait for a click: the page paints sooner."""
    at = shown
    more = at.segmented_control(key=MORE)
    assert more.label == "More on this page"
    assert list(more.options) == list(SECTIONS.values())
    assert more.value == []
    assert [b.label for b in at.get("download_button")] == [
        "Coverage table (CSV)", "Coverage chart (PNG)", "Areas and minutes (CSV)"
    ]  # fmt: skip
    assert not at.get("vega_lite_chart")  # coverage by category is a table: no chart library
    bars = _frame(at, "Category")
    assert bars.columns.tolist() == ["Category", "Share of postcodes within 15 min", "Services"]
    headed = [h.value for h in at.header]
    assert "Accessible range over time" not in headed
    columns = {c for d in at.dataframe for c in d.value.columns}
    assert not columns & {"Places added", "Fund"}
    assert not at.expander  # the evaluation pack's too


def test_each_section_is_drawn_once_chosen(rutland):
    at = _page()
    for key, title in SECTIONS.items():
        at.segmented_control(key=MORE).set_value([key]).run()
        assert not at.exception, at.exception
        columns = {c for d in at.dataframe for c in d.value.columns}
        assert ("Accessible range over time" in [h.value for h in at.header]) == (key == "range")
        assert ("Places added" in columns) == (key == "added"), title
        assert ("Fund" in columns) == (key == "funds"), title
        assert bool(at.expander) == (key == "funds"), title  # the evaluation pack


def test_series_and_downloads_are_offered(rutland, opened):
    at = opened
    labels = [b.label for b in at.get("download_button")]
    assert labels == [
        "Coverage table (CSV)",
        "Coverage chart (PNG)",
        "Areas and minutes (CSV)",
        "Series (CSV)",
        "Series chart (PNG)",
    ]
    (line,) = at.get("vega_lite_chart")  # the series; the coverage bars are a table
    assert json.loads(line.proto.spec)["mark"]["type"] == "line"
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


def test_what_each_import_session_or_grant_added_is_one_table_oldest_first(rutland, opened):
    at = opened
    added = _frame(at, "Places added")
    assert added["How"].tolist() == [
        "added by hand", "added by hand", "import", "mapping session", "shared grant"
    ]  # fmt: skip
    assert added["New categories"].iloc[0] == "Food bank and free food"
    assert added["Places added"].tolist() == [1, 1, added["Places added"].iloc[2], 1, 1]
    assert added["Source"].iloc[3].startswith("mapping session: Tuesday group")
    assert added["Source"].iloc[4] == "grant: Bike club"
    assert added["New categories"].iloc[4] == "Help finding work"
    assert (added["after"] >= added["Mean categories before"]).all()
    assert not any("What shared grants added" in m.value for m in at.markdown)


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
    at.segmented_control(key=MORE).set_value(list(SECTIONS)).run()  # series and additions too
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


def test_every_need_is_listed_at_0_percent_with_its_gaps_placed_by_name(rutland, shown):
    at = shown
    needs = _frame(at, "Need").set_index("Need")
    assert len(needs) == 10  # every need of the taxonomy, served or not
    share = "Share of postcodes within 15 min"
    drugs = needs.loc["Drugs and alcohol"]
    assert (drugs[share], drugs["Services"]) == (0.0, 0)
    assert drugs["Gaps recorded"] == "6"
    assert drugs["What people said"] == "Nowhere in Oakham to talk about drink"
    assert needs.loc["Education, training and employment", "Gaps recorded"] == "<5"
    assert needs.loc["Health", "Gaps recorded"] == "7"
    # six "Oakham" gaps and one "LE15 6" gap had no pin: each was placed by its name
    assert any("7 gaps recorded without a pin were placed" in c.value for c in at.caption)


def test_a_category_with_no_service_can_be_chosen_and_shows_its_gaps(rutland):
    at = _page()
    (choice,) = [s for s in at.selectbox if s.label == "Category on the gap map"]
    assert "drug_alcohol_support" in choice.options or any(
        "drink or drugs" in o for o in choice.options
    )
    choice.set_value("drug_alcohol_support").run()
    assert not at.exception, at.exception
    beyond = _frame(at, "Gaps reported")
    assert len(beyond) == 23  # no service anywhere: every area is beyond reach
    assert set(beyond["Minutes"]) == {"no service found"}
    oakham = beyond[beyond["Gaps reported"] == "6"]
    assert len(oakham) == 1  # the six "Oakham" gaps counted in the area they name
    assert oakham["Area"].iloc[0].endswith("Oakham")
    assert oakham["What people said"].iloc[0] == "Nowhere in Oakham to talk about drink"
    bars = _frame(at, "Category").set_index("Category")
    share = bars.loc[
        "Help with drink or drugs (on the gap map)", "Share of postcodes within 15 min"
    ]
    assert share == 0.0  # a bar at 0%, not left out


def test_areas_are_named_in_plain_words_and_nothing_shows_inf_or_jargon(rutland):
    at = _page()
    (toggle,) = [t for t in at.toggle if t.label == "Weight by IMD"]
    toggle.set_value(True).run()
    assert not at.exception, at.exception
    sites = _frame(at, "Rank")
    weighted = "Postcodes newly within reach (IMD-weighted)"
    assert all(isinstance(v, int) for v in sites[weighted].tolist())  # "341", not "341.428"
    texts = [e.value for e in (*at.markdown, *at.caption, *at.metric)]
    frames = [d.value.astype(str).to_csv() for d in at.dataframe]
    shown = "\n".join(str(t) for t in texts) + "\n".join(frames)
    assert "MILP" not in shown.upper().replace("MILPS", "")
    assert "inf" not in shown.replace("info", "").split()
    assert ",inf" not in shown
    assert "E0101" not in shown  # LSOA codes never appear
    areas = _frame(at, "Gaps reported")["Area"]
    assert areas.str.fullmatch(r"Rutland \d{3}[A-Z], (near )?(Oakham|Uppingham)").all()


def test_a_lead_sees_no_money_beside_a_count_under_five(rutland, opened):
    at = opened
    totals = _frame(at, "Fund").set_index("Fund")
    assert totals.loc["Enabling fund", "Requests"] == "<5"
    assert totals.loc["Enabling fund", "Asked"] == "hidden"  # two requests: £450 and £120
    assert totals.loc["Enabling fund", "Approved"] == 0  # none approved: nothing to hide
    assert totals.loc["Enabling fund", "Left"] == "£1,800.00"  # less the grant only
    shown_text = "\n".join(d.value.astype(str).to_csv() for d in at.dataframe)
    assert "£450" not in shown_text
    assert "£570" not in shown_text


def test_coverage_by_category_is_a_table_of_bars_or_on_request_a_chart(rutland, shown):
    """The table's bars and the chart's draw the core's shares, the chosen category marked."""
    at = shown
    table = _frame(at, "Category")
    share = "Share of postcodes within 15 min"
    assert table[share].tolist() == sorted(table[share], reverse=True)  # longest bar first
    (marked,) = [c for c in table["Category"] if c.endswith(" (on the gap map)")]
    assert marked == "Doctor or health centre (on the gap map)"  # the default category
    (toggle,) = [t for t in at.toggle if t.label == "Draw as a bar chart"]
    toggle.set_value(True).run()
    assert not at.exception, at.exception
    assert not [d for d in at.dataframe if "Category" in d.value.columns]
    (bars,) = at.get("vega_lite_chart")
    assert json.loads(bars.proto.spec)["mark"]["type"] == "bar"
    drawn = convert_arrow_bytes_to_pandas_df(bars.proto.datasets[0].data.data)
    by_label = dict(zip(drawn["label"], drawn["share"] * 100, strict=True))
    named = table["Category"].str.removesuffix(" (on the gap map)")
    assert [by_label[n] for n in named] == pytest.approx(table[share].tolist(), abs=0.05)
    assert len(drawn) == len(table)
