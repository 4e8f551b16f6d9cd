"""The Funds page: an approver decides through the core; the four-eyes rule holds on the page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assetmap.access import Principal, Role
from assetmap.match.needs import Constraints, Goal
from assetmap.people import funds, grants, plans, sessions
from assetmap.workspace import create_workspace, open_workspace

APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"
PAGE = "app/pages/funds.py"
PRINCIPAL = "assetmap.principal"
SAM = Principal("sam", Role.STAFF)
ABI = Principal("abi", Role.APPROVER)
TODAY = dt.date.today()
START = plans.StartPoint(-0.7271, 52.6703, "coordinates", "here", "LE15 6", -0.727, 52.670)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    workspace = create_workspace(tmp_path / "ws", name="Rutland")
    store = workspace.store()
    fund = funds.create_fund(
        store,
        {
            "name": "Enabling fund",
            "holder": "Probation",
            "budget": "2000",
            "start": TODAY - dt.timedelta(days=1),
            "end": TODAY + dt.timedelta(days=60),
            "request_cap": "600",
        },
        principal=Principal("ada", Role.ADMIN),
    )
    plan = plans.create_plan(
        store,
        start=START,
        goals=[Goal(need="accommodation")],
        constraints=Constraints(),
        principal=SAM,
    )
    request = funds.request_allocation(
        store,
        plan["id"],
        fund["id"],
        goal=0,
        category="GTIP060",
        what="Rent deposit",
        why="a room from January",
        amount="450",
        principal=SAM,
    )
    monkeypatch.setenv("ASSETMAP_WORKSPACE", str(workspace.path))
    return {"path": str(workspace.path), "request": request["id"], "plan": plan["reference"]}


def _page(principal: Principal, page: str = PAGE) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[PRINCIPAL] = principal
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def test_an_approver_sees_the_request_without_its_plan_and_approves_it(world):
    at = _page(ABI)
    shown = " ".join(m.value for m in at.markdown) + " ".join(t.value for t in at.text)
    assert "£450.00" in shown
    assert "Rent deposit" in shown
    assert world["plan"] not in shown
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["Approved."]
    store = open_workspace(world["path"]).store()
    record = store.get_record(funds.ALLOCATION_ENTITY, world["request"])
    assert (record["status"], record["decided_by"]) == ("approved", "abi")


def test_refusing_needs_a_note_and_staff_do_not_get_the_page(world):
    at = _page(ABI)
    at.button[1].click().run()  # Refuse, no note
    assert "`note` is required" in at.error[0].value
    staff = AppTest.from_file(APP, default_timeout=60)
    staff.session_state[PRINCIPAL] = SAM
    staff.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        staff.switch_page(PAGE).run()


def _by_label(widgets, label):
    return next(w for w in widgets if w.label == label)


def test_staff_ask_a_fund_from_the_plans_page_and_caps_are_said_plainly(world):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[PRINCIPAL] = SAM
    at.run()
    at.switch_page("app/pages/plans.py").run()
    assert not at.exception, at.exception
    assert "Rent deposit" in at.dataframe[-1].value["What"].tolist()
    _by_label(at.text_input, "What it buys").input("Work boots")
    _by_label(at.text_input, "How it helps the goal").input("a site job")
    _by_label(at.text_input, "Amount (£)").input("700")
    _by_label(at.button, "Send the request").click().run()
    assert "£700.00 is more than the £600.00 one request" in at.error[0].value
    _by_label(at.text_input, "Amount (£)").input("60")
    _by_label(at.button, "Send the request").click().run()
    assert not at.exception, at.exception
    store = open_workspace(world["path"]).store()
    asked = store.records(funds.ALLOCATION_ENTITY)
    assert sorted(asked["what"]) == ["Rent deposit", "Work boots"]


def test_the_group_path_from_an_idea_to_a_new_entry_the_dashboard_lists(world):
    store = open_workspace(world["path"]).store()
    fran = Principal("fran", Role.FACILITATOR)
    sid = sessions.start_session(store, principal=fran, date=TODAY, area="Oakham", group_label="A")
    gap = sessions.add_gap(store, sid, {"need": "ete", "area": "LE15 6"}, principal=fran)
    sessions.add_idea(store, sid, gap, principal=fran, what="A bike repair club")
    at = _page(fran, "app/pages/moderation.py")
    _by_label(at.text_input, "What the group will do").input("Bike club")
    _by_label(at.text_input, "For whom").input("people on probation in Oakham")
    _by_label(at.text_area, "Budget lines, one a line: item, amount (£)").input(
        "tools, 150\nroom hire, 80"
    )
    _by_label(at.button, "Apply").click().run()
    assert not at.exception, at.exception
    decide = _page(ABI)
    decide.tabs[1].button[0].click().run()  # Approve the application
    assert [s.value for s in decide.success] == ["Approved."]
    club = store.add_asset(
        {"name": "Oakham Bike Club", "lon": -0.72, "lat": 52.67, "categories": ["library"]},
        actor="fran",
        reason="opened with a shared grant",
    )
    at = _page(fran, "app/pages/moderation.py")
    _by_label(at.text_input, "Spent (£)").input("230")
    _by_label(at.text_input, "Receipts or evidence").input("receipts in the file")
    _by_label(at.selectbox, "It became (an entry in the register)").set_value(club)
    _by_label(at.button, "Save").click().run()
    assert not at.exception, at.exception
    assert grants.list_grants(store, principal=fran)["status"].tolist() == ["done"]
    lead = _page(Principal("lee", Role.LEAD), "app/pages/dashboard.py")
    tables = [t.value for t in lead.dataframe]
    added = next(t for t in tables if "Places added" in t.columns)  # the one "what was added"
    grant = added[added["How"] == "shared grant"]
    assert grant[["Source", "Places added"]].values.tolist() == [["grant: Bike club", 1]]
    _by_label(lead.button, "Make the evaluation pack").click().run()
    assert not lead.exception, lead.exception
    labels = [b.label for b in lead.get("download_button")]
    assert "Download evaluation pack (ZIP)" in labels
