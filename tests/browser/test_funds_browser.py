"""Money in a real browser (Debian chromium, network blocked): approve a request, see grants.

A workspace with no walking network (so no shared data is needed) holds a fund,
a plan of Sam's with a request for a rent deposit, and a shared grant that has
already become a register entry (made through the core). Abi, an approver,
signs in through the real Sign in page, opens Funds and approves the request;
Lee, a lead, sees on the Dashboard what the grant added. Screenshots:
``tests/artifacts/funds_*.png``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import Offline, serve, sign_in
from playwright.sync_api import Browser, Page

from assetmap.access import Principal, Role
from assetmap.match.needs import Constraints, Goal
from assetmap.people import funds, grants, plans, sessions
from assetmap.people.accounts import create_user
from assetmap.workspace import close_stores, create_workspace, open_workspace

PASSWORD = "money-follows-the-plan"
TODAY = dt.date.today()
START = plans.StartPoint(-0.7271, 52.6703, "coordinates", "here", "LE15 6", -0.727, 52.670)


@pytest.fixture(scope="module")
def money_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, str]]:
    folder = tmp_path_factory.mktemp("funds_browser")
    saved = os.environ.pop("ASSETMAP_DATABASE_URL", None)
    try:
        workspace = create_workspace(folder / "ws", name="Rutland")
        store = workspace.store()
        setup = Principal("setup", Role.ADMIN)
        for name, role in (
            ("sam", Role.STAFF),
            ("abi", Role.APPROVER),
            ("lee", Role.LEAD),
            ("fran", Role.FACILITATOR),
        ):
            create_user(store, name, PASSWORD, role, actor=setup)
        fund = funds.create_fund(
            store,
            {
                "name": "Enabling fund",
                "holder": "Probation",
                "budget": "2000",
                "start": TODAY - dt.timedelta(days=1),
                "end": TODAY + dt.timedelta(days=60),
            },
            principal=setup,
        )
        sam, abi = Principal("sam", Role.STAFF), Principal("abi", Role.APPROVER)
        fran = Principal("fran", Role.FACILITATOR)
        plan = plans.create_plan(
            store,
            start=START,
            goals=[Goal(need="accommodation")],
            constraints=Constraints(),
            principal=sam,
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
            principal=sam,
        )
        sid = sessions.start_session(
            store, principal=fran, date=TODAY, area="Oakham", group_label="Tuesday group"
        )
        gap = sessions.add_gap(store, sid, {"need": "ete", "area": "LE15 6"}, principal=fran)
        idea = sessions.add_idea(store, sid, gap, principal=fran, what="A bike repair club")
        grant = grants.apply_for_grant(
            store,
            idea,
            fund["id"],
            what="Bike club",
            for_whom="people on probation",
            lines=[{"item": "tools", "amount": "200"}],
            people=5,
            principal=fran,
        )
        grants.decide_grant(store, grant["id"], approve=True, principal=abi)
        club = store.add_asset(
            {"name": "Oakham Bike Club", "lon": -0.72, "lat": 52.67, "categories": ["library"]},
            actor="fran",
            reason="grant",
        )
        grants.record_grant_result(
            store, grant["id"], principal=fran, spent="200", evidence="receipts", became=club
        )
        close_stores()
    finally:
        if saved is not None:
            os.environ["ASSETMAP_DATABASE_URL"] = saved
    with serve(workspace.path, folder / "server.log") as url:
        yield url, workspace.path, request["id"]


def _sign_in(page: Page, url: str, name: str, link: str) -> None:
    sign_in(page, url, name, PASSWORD)
    page.get_by_role("link", name=link).click()


@pytest.mark.browser
def test_an_approver_approves_and_a_lead_sees_what_a_grant_added(
    browser: Browser, money_url: tuple[str, Path, str], artifacts: Path, offline: Offline
) -> None:
    url, path, request_id = money_url
    context = offline.context(browser, viewport={"width": 1300, "height": 1400})
    page = context.new_page()
    try:
        _sign_in(page, url, "abi", "Funds")
        page.get_by_text("Rent deposit").first.wait_for(timeout=60_000)
        page.screenshot(path=str(artifacts / "funds_request.png"), full_page=True)
        page.get_by_role("button", name="Approve").first.click()
        page.get_by_text("Approved.").wait_for(timeout=60_000)
        page.screenshot(path=str(artifacts / "funds_approved.png"), full_page=True)
    finally:
        context.close()
    record = open_workspace(path).store().get_record(funds.ALLOCATION_ENTITY, request_id)
    close_stores()
    assert (record["status"], record["decided_by"]) == ("approved", "abi")
    context = offline.context(browser, viewport={"width": 1300, "height": 1400})
    page = context.new_page()
    try:
        _sign_in(page, url, "lee", "Dashboard")
        page.get_by_text("What each import, mapping session or grant added").wait_for(
            timeout=60_000
        )
        tables = page.locator('[data-testid="stDataFrame"]')
        tables.nth(1).locator("canvas").first.wait_for(timeout=60_000)
        page.wait_for_timeout(3000)  # the tables (canvases: their cells are not text in the page)
        page.screenshot(path=str(artifacts / "funds_dashboard.png"), full_page=True)
    finally:
        context.close()
    assert offline.dialogs == []
    assert offline.errors == []
