"""Money and gaps end to end in a real browser (Debian chromium, network blocked).

The Rutland demo workspace (bundled data: walking network, LSOAs, postcodes;
Rutland has no drugs-and-alcohol service) with four accounts, one open fund,
one plan of Sam's, and six gaps for drugs and alcohol recorded as "Oakham"
without a pin. Everyone signs in through the real Sign in page.

- the personal path: Sam (staff) asks the fund from the plan, Abi (approver,
  another account) approves, Sam records the spend and the outcome;
- the group path: Fran (facilitator) applies for a shared grant from the
  session's idea, Abi approves, the club the group proposed is accepted and
  Fran records that the grant became it; Lee (lead) finds it on the Map and
  in the Dashboard's one "what was added" table;
- the Dashboard shows drugs and alcohol at 0% with its recorded gaps.

Screenshots: ``tests/artifacts/money_*.png``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from browser_support import Offline, pick, serve, settle, sign_in
from playwright.sync_api import Browser, Page

from assetmap.access import Principal, Role
from assetmap.demo import build_demo
from assetmap.match.needs import Constraints, Goal
from assetmap.people import funds, grants, plans, sessions
from assetmap.people.accounts import create_user
from assetmap.records import GAP_ENTITY, normalise_gap
from assetmap.views import dashboard_added
from assetmap.workspace import close_stores, open_workspace

PASSWORD = "money-follows-the-plan"
TODAY = dt.date.today()
START = plans.StartPoint(-0.7271, 52.6703, "coordinates", "here", "LE15 6", -0.727, 52.670)
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
DRUGS_SAID = "Nowhere in Oakham to talk about drink"
LEE = Principal("lee", Role.LEAD)
SignedIn = Callable[[str, str], contextlib.AbstractContextManager[Page]]


@pytest.fixture(scope="module")
def money_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, dict]]:
    folder = tmp_path_factory.mktemp("money_paths")
    saved = os.environ.pop("ASSETMAP_DATABASE_URL", None)
    try:
        workspace = build_demo(folder / "ws").init.workspace
        store = workspace.store()
        setup = Principal("setup", Role.ADMIN)
        for name, role in (("sam", Role.STAFF), ("abi", Role.APPROVER), ("lee", Role.LEAD),
                           ("fran", Role.FACILITATOR)):  # fmt: skip
            create_user(store, name, PASSWORD, role, actor=setup)
        fund = funds.create_fund(
            store,
            {"name": "Enabling fund", "holder": "Probation", "budget": "2000",
             "start": TODAY - dt.timedelta(days=1), "end": TODAY + dt.timedelta(days=60)},
            principal=setup,
        )  # fmt: skip
        sam, fran = Principal("sam", Role.STAFF), Principal("fran", Role.FACILITATOR)
        plan = plans.create_plan(store, start=START, goals=[Goal(need="accommodation")],
                                 constraints=Constraints(), principal=sam)  # fmt: skip
        sid = sessions.start_session(store, principal=fran, date=TODAY, area="Oakham",
                                     group_label="Thursday group")  # fmt: skip
        gap = sessions.add_gap(store, sid, {"need": "ete", "area": "LE15 6"}, principal=fran)
        sessions.add_idea(store, sid, gap, principal=fran, what="A bike repair club")
        club = sessions.propose_asset(
            store, sid, {"name": "Oakham Bike Club", "lon": -0.7205, "lat": 52.6745,
                         "categories": ["employment_support"]}, principal=fran,
        )  # fmt: skip
        for i in range(6):
            record = normalise_gap(
                {"need": "drugs_alcohol", "area": "Oakham", "note": DRUGS_SAID if i == 0 else None}
            )
            store.add_record(GAP_ENTITY, record, actor="fran", reason="said in a session")
        close_stores()
    finally:
        if saved is not None:
            os.environ["ASSETMAP_DATABASE_URL"] = saved
    ids = {"fund": fund["id"], "plan": plan["id"], "session": sid, "club": club}
    with serve(workspace.path, folder / "server.log") as url:
        yield url, workspace.path, ids


@pytest.fixture
def signed_in(browser: Browser, offline: Offline, money_world: tuple[str, Path, dict]) -> SignedIn:
    """``with signed_in(name, link) as page``: ``name`` signed in on page ``link``, closed after."""
    url = money_world[0]

    @contextlib.contextmanager
    def open_as(name: str, link: str) -> Iterator[Page]:
        context = offline.context(browser, viewport={"width": 1300, "height": 1500})
        try:
            page = context.new_page()
            sign_in(page, url, name, PASSWORD)
            yield _open(page, link)
        finally:
            context.close()

    return open_as


def _open(page: Page, link: str) -> Page:
    page.get_by_role("link", name=link, exact=True).click()
    settle(page, timeout_ms=120_000)
    return page


def _record(path: Path, entity: str, record_id: str) -> dict:
    found = open_workspace(path).store().get_record(entity, record_id)
    close_stores()
    return found


def _only_request(path: Path) -> dict:
    store = open_workspace(path).store()
    rows = store.records(funds.ALLOCATION_ENTITY)
    close_stores()
    assert len(rows) == 1
    return dict(rows.iloc[0])


@pytest.mark.browser
def test_the_personal_path_ask_approve_by_another_spend_outcome(
    signed_in: SignedIn, money_world: tuple[str, Path, dict], artifacts: Path, offline: Offline
) -> None:
    _, path, _ = money_world
    with signed_in("sam", "Plans") as page:
        page.get_by_text("Ask a fund").wait_for(timeout=60_000)
        page.get_by_role("textbox", name="What it buys").fill("Rent deposit")
        page.get_by_role("textbox", name="How it helps the goal").fill("a room from January")
        page.get_by_role("textbox", name="Amount (£)").fill("450")
        page.get_by_role("button", name="Send the request").click()
        settle(page)
        page.screenshot(path=str(artifacts / "money_1_requested.png"), full_page=True)
    asked = _only_request(path)
    assert (asked["status"], asked["requested_by"], asked["amount"]) == ("requested", "sam", 45000)

    with signed_in("abi", "Funds") as page:
        page.get_by_text("Rent deposit").first.wait_for(timeout=60_000)
        page.get_by_role("button", name="Approve").first.click()
        page.get_by_text("Approved.").wait_for(timeout=60_000)
        page.screenshot(path=str(artifacts / "money_2_approved_by_abi.png"), full_page=True)
    decided = _only_request(path)
    assert (decided["status"], decided["decided_by"]) == ("approved", "abi")

    with signed_in("sam", "Plans") as page:
        page.get_by_text("Record spend or outcome").wait_for(timeout=60_000)
        page.get_by_role("textbox", name="Spent (£), when approved").fill("440.50")
        page.get_by_role("textbox", name="Receipt or evidence note").fill("receipt 17")
        page.get_by_role("button", name="Save").click()
        settle(page)
        assert _only_request(path)["status"] == "spent"
        page.get_by_text("Record spend or outcome").wait_for(timeout=60_000)
        pick(page, "Outcome for the goal, when spent", "achieved")
        page.get_by_role("button", name="Save").click()
        settle(page)
        page.screenshot(path=str(artifacts / "money_3_spent_and_outcome.png"), full_page=True)
    done = _only_request(path)
    assert (done["status"], done["spent"], done["outcome"]) == ("closed", 44050, "achieved")
    assert offline.external == []
    assert offline.errors == []


@pytest.mark.browser
def test_the_group_path_idea_grant_new_place_on_the_map_and_in_what_was_added(
    signed_in: SignedIn, money_world: tuple[str, Path, dict], artifacts: Path, offline: Offline
) -> None:
    _, path, ids = money_world
    with signed_in("fran", "Moderation") as page:
        page.get_by_role("tab", name="Session summary").click()  # the ideas and the grants
        page.get_by_text("Apply for a shared grant from an idea").wait_for(timeout=120_000)
        page.get_by_role("textbox", name="What the group will do").fill("Bike club")
        page.get_by_role("textbox", name="For whom").fill("people on probation in Oakham")
        page.get_by_role("textbox", name="Budget lines, one a line: item, amount (£)").fill(
            "tools, 150\nroom hire, 80"
        )
        page.get_by_role("button", name="Apply").click()
        page.get_by_text("Application sent to the fund's approvers.").wait_for(timeout=60_000)
    store = open_workspace(path).store()
    (grant_id,) = grants.list_grants(store, principal=Principal("abi", Role.APPROVER))["id"]
    close_stores()

    with signed_in("abi", "Funds") as page:
        page.get_by_role("tab", name="Shared grants").click()
        page.get_by_text("Bike club").first.wait_for(timeout=60_000)
        page.get_by_role("button", name="Approve").first.click()
        page.get_by_text("Approved.").wait_for(timeout=60_000)
    assert _record(path, funds.GRANT_ENTITY, grant_id)["status"] == "approved"

    store = open_workspace(path).store()  # the club the group proposed is checked and accepted
    sessions.accept_proposal(store, ids["club"], principal=Principal("fran", Role.FACILITATOR))
    close_stores()
    with signed_in("fran", "Moderation") as page:
        page.get_by_role("tab", name="Session summary").click()
        page.get_by_text("Record what an approved grant spent and became").wait_for(timeout=120_000)
        page.get_by_role("textbox", name="Spent (£)").fill("230")
        page.get_by_role("textbox", name="Receipts or evidence").fill("receipts in the file")
        # the list holds the whole register: narrow it
        pick(page, "It became (an entry in the register)", "Oakham Bike Club", typed="Oakham Bike")
        page.get_by_role("button", name="Save").click()
        page.get_by_text("Saved.").wait_for(timeout=60_000)
        page.screenshot(path=str(artifacts / "money_4_grant_became.png"), full_page=True)
    assert _record(path, funds.GRANT_ENTITY, grant_id)["became"] == ids["club"]

    with signed_in("lee", "Map") as page:
        frame = page.frame_locator(MAP_IFRAME)
        frame.locator(".leaflet-marker-icon, path.leaflet-interactive").first.wait_for(
            state="attached", timeout=60_000
        )
        html = frame.locator("body").evaluate("b => b.ownerDocument.documentElement.innerHTML")
        assert "Oakham Bike Club" in html  # the new place is on the map
        page.screenshot(path=str(artifacts / "money_5_on_the_map.png"), full_page=True)
        page = _open(page, "Dashboard")
        # Drawn on request: the button of the "More on this page" control.
        page.get_by_role("button", name="What each import, session or grant added").click(
            timeout=180_000
        )
        added = page.get_by_text("What each import, mapping session or grant added")
        added.wait_for(timeout=180_000)
        added.scroll_into_view_if_needed()
        page.wait_for_timeout(1500)  # the table is a canvas: its cells are not text in the page
        page.screenshot(path=str(artifacts / "money_6_what_was_added.png"), full_page=True)
    store = open_workspace(path).store()
    rows = dashboard_added(store, principal=LEE)
    close_stores()
    grant_rows = rows[rows["kind"] == "grant"]
    assert grant_rows[["source", "n_added"]].values.tolist() == [["grant: Bike club", 1]]
    assert offline.external == []
    assert offline.errors == []


@pytest.mark.browser
def test_the_dashboard_shows_drugs_and_alcohol_at_zero_with_its_gaps(
    signed_in: SignedIn, artifacts: Path, offline: Offline
) -> None:
    with signed_in("lee", "Dashboard") as page:
        heading = page.get_by_text("Needs and the gaps people recorded")
        heading.wait_for(timeout=180_000)
        pick(page, "Category on the gap map", "Help with drink or drugs (no service)", exact=False)
        settle(page, timeout_ms=180_000)
        page.get_by_role("heading", name="Gap map: Help with drink or drugs").wait_for(
            timeout=120_000
        )
        page.wait_for_timeout(2000)  # canvas tables and the map draw
        heading.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "money_7_drugs_at_zero.png"), full_page=True)
        text = page.locator("body").inner_text()
        assert "8 gaps recorded without a pin were placed" in text  # 6 "Oakham", 2 "LE15 6"
        assert "MILP" not in text
    assert offline.external == []
    assert offline.errors == []
