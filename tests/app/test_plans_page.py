from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from support import SHARED_DATA, import_rutland, needs_shared_data

from assetmap.access import Principal, Role
from assetmap.ingest.osm import OsmExtract
from assetmap.ingest.postcodes import read_postcodes, save_postcodes
from assetmap.match.needs import Constraints, Goal
from assetmap.people.plans import create_plan, log_referral, referral_log, resolve_start
from assetmap.reach.network import walk_graph_for

pytestmark = needs_shared_data

APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"
PAGE = "app/pages/plans.py"
PRINCIPAL = "assetmap.principal"
POSTCODES = SHARED_DATA / "postcodes-codepoint-open-2014" / "postcodes_latlon_demo_lads.csv"
ANA = Principal("ana", Role.STAFF)
HOSTILE = "<b>**bold**</b>"


@pytest.fixture(scope="module")
def rutland(
    rutland_extract: OsmExtract, tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> dict[str, str]:
    """Rutland with one plan of Ana's (two goals, two referral steps) and one of Ben's."""
    workspace = import_rutland(tmp_path_factory.mktemp("plans_page") / "rutland", rutland_extract)
    save_postcodes(read_postcodes(POSTCODES), workspace.postcodes_path)
    store = workspace.store()
    start = resolve_start(workspace, "LE15 6AA", graph=walk_graph_for(workspace.network_path))
    goals = [Goal(need="ete", text=HOSTILE), Goal(need="drugs_alcohol")]
    mine = create_plan(store, start=start, goals=goals, constraints=Constraints(max_minutes=10),
                       principal=ANA, reference="P-ANA1")  # fmt: skip
    create_plan(store, start=start, goals=goals, constraints=Constraints(),
                principal=Principal("ben", Role.STAFF), reference="P-BEN1")  # fmt: skip
    library = store.assets().set_index("name").loc["Rutland County Library", "id"]
    log_referral(store, mine["id"], library, "suggested", principal=ANA, on=dt.date(2026, 11, 2))
    log_referral(store, mine["id"], library, "referred", principal=ANA, on=dt.date(2026, 11, 9))
    return {"path": str(workspace.path), "plan": mine["id"], "library": library}


@pytest.fixture
def app_workspace(rutland: dict[str, str]) -> Path:
    return Path(rutland["path"])


def _page(principal: Principal = ANA) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[PRINCIPAL] = principal
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def test_lists_only_the_callers_plans_by_reference_with_goals_and_matches(rutland):
    at = _page()
    listing = at.dataframe[0].value
    assert listing["Reference"].tolist() == ["P-ANA1"]
    assert listing.iloc[0][["Area", "Status", "Goals", "Version"]].tolist() == [
        "LE15 6", "open", 2, 1,
    ]  # fmt: skip
    goals = at.dataframe[1].value
    assert goals["Need"].tolist() == ["Education, training and employment", "Drugs and alcohol"]
    assert goals["In their words"].tolist() == [HOSTILE, ""]
    matches = at.dataframe[2].value
    assert matches.columns.tolist() == ["#", "Name", "Minutes", "Why", "Check"]
    assert matches.iloc[0]["Name"] == "Rutland County Library"
    headings = [m.value for m in at.markdown if m.value.startswith("**")]
    assert headings == ["**Education, training and employment**", "**Drugs and alcohol**"]
    assert [w.value for w in at.warning] == [
        "Nothing fits 'Drugs and alcohol' within 10 minutes' walk\\."  # escaped
    ]


def test_shows_the_referral_log_and_accessible_range(rutland):
    at = _page()
    log = at.dataframe[3].value
    assert log[["on", "service", "step", "version"]].values.tolist() == [
        ["2026-11-02", "Rutland County Library", "suggested", 1],
        ["2026-11-09", "Rutland County Library", "referred", 2],
    ]
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Needs within reach"]) >= 5
    assert int(metrics["Kinds of service within reach"]) >= 10
    assert len(at.get("vega_lite_chart")) == 1


def test_logging_a_step_adds_a_version_to_the_log(rutland):
    at = _page()
    at.selectbox[1].set_value(rutland["library"])
    at.selectbox[2].set_value("attended")
    (log_step,) = [b for b in at.button if b.label == "Log step"]
    log_step.click().run()
    assert not at.exception, at.exception
    from assetmap.workspace import open_workspace

    log = referral_log(open_workspace(rutland["path"]).store(), rutland["plan"], principal=ANA)
    assert log["step"].tolist() == ["suggested", "referred", "attended"]
    assert log["version"].tolist() == [1, 2, 3]


def test_someone_else_with_no_plans_is_told_so(rutland):
    at = _page(Principal("cat", Role.STAFF))
    (info,) = at.info
    assert info.value.startswith("No plans in your caseload yet")
