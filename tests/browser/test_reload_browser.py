"""One person, one record, one vote, in a real browser (Debian chromium, offline).

A Rutland workspace with accounts (a facilitator and a member of staff), served
on loopback. A participant who reloads the page mid-session is the same
participant: voting, reloading and voting again is still one vote. A facilitator
who reloads keeps the role and the join code. Double-clicking "Add as suggested"
on Find support makes one plan. Screenshots: tests/artifacts/reload_*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import Offline, choose_need, open_tab, serve, settle
from playwright.sync_api import Browser, BrowserContext, Page
from support import SHARED_DATA, import_rutland

from assetmap.access import Principal, Role
from assetmap.ingest.osm import OsmExtract
from assetmap.ingest.postcodes import read_postcodes, save_postcodes
from assetmap.people import sessions as ms
from assetmap.people.accounts import create_user
from assetmap.people.plans import PLAN_ENTITY
from assetmap.wording import W
from assetmap.workspace import close_stores, open_workspace

POSTCODES = SHARED_DATA / "postcodes-codepoint-open-2014" / "postcodes_latlon_demo_lads.csv"
PASSWORDS = {"fran": "lantern kettle orchard", "sam": "kettle orchard lantern"}
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, rutland_extract: OsmExtract) -> Path:
    """Rutland (places, streets, postcodes) with two accounts: fran (facilitator), sam (staff)."""
    folder = tmp_path_factory.mktemp("reload_browser")
    with pytest.MonkeyPatch.context() as env:
        env.delenv("ASSETMAP_DATABASE_URL", raising=False)
        ws = import_rutland(folder / "rutland", rutland_extract)
        save_postcodes(read_postcodes(POSTCODES), ws.postcodes_path)
        admin = Principal("root", Role.ADMIN)
        for name, role in (("fran", "facilitator"), ("sam", "staff")):
            create_user(ws.store(), name, PASSWORDS[name], role, actor=admin)
        close_stores()
    return ws.path


@pytest.fixture(scope="module")
def server(workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(workspace, tmp_path_factory.mktemp("reload_server") / "log") as url:
        yield url


def _settle(page: Page) -> None:
    settle(page, timeout_ms=TIMEOUT_MS)


def _open(context: BrowserContext, url: str, heading: str) -> Page:
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_role("heading", name=heading).wait_for()
    _settle(page)
    return page


def _sign_in(context: BrowserContext, url: str, username: str) -> Page:
    page = _open(context, f"{url}/sign_in", "Sign in")
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORDS[username])
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_text(f"Signed in as {username}").wait_for()
    _settle(page)
    return page


def _votes(workspace: Path) -> int:
    count = len(open_workspace(workspace).store().records(ms.VOTE_ENTITY))
    close_stores()
    return count


@pytest.mark.browser
def test_a_reload_keeps_the_participant_and_their_one_vote(
    browser: Browser, server: str, workspace: Path, artifacts: Path, offline: Offline
) -> None:
    fac_ctx, guest_ctx, other_ctx = (
        offline.context(browser, viewport={"width": 1300, "height": 1000}) for _ in range(3)
    )
    try:
        # The facilitator signs in, starts a session and reads out the code.
        fac = _sign_in(fac_ctx, server, "fran")
        fac.get_by_role("link", name="Mapping session").click()
        fac.get_by_role("button", name="Start the session").wait_for()
        fac.get_by_label("Area", exact=True).fill("Oakham")
        fac.get_by_label("Group", exact=True).fill("Tuesday group")
        fac.get_by_role("button", name="Start the session").click()
        code_text = fac.get_by_text(re.compile(r"Join code:")).inner_text()
        code = re.findall(r"[A-Z0-9]{6}", code_text)[-1]
        _settle(fac)

        # A reload: still the facilitator of that session, the code still on screen.
        fac.reload(wait_until="domcontentloaded")
        fac.get_by_text(re.compile(r"Join code:")).wait_for()
        _settle(fac)
        assert code in fac.get_by_text(re.compile(r"Join code:")).inner_text()
        fac.screenshot(path=str(artifacts / "reload_1_facilitator.png"))

        # A participant joins, names a gap, writes an idea and votes for it.
        guest = _open(guest_ctx, server, "Mapping session")  # participants open the root
        guest.get_by_role("textbox", name=W["join_label"]).fill(code)
        guest.get_by_role("button", name=W["join_button"], exact=True).click()
        guest.get_by_text(W["map_heading"], exact=True).wait_for()
        _settle(guest)
        where = guest.get_by_label(W["gap_where"])
        open_tab(guest, W["tab_gap"], where, shot=artifacts / "reload_failed_gap_tab.png")
        where.fill("Barleythorpe")
        guest.get_by_label(W["gap_note"]).fill("No evening food bank")
        _settle(guest)
        guest.get_by_role("button", name=W["gap_save"]).click()
        guest.get_by_text(W["gap_saved"]).wait_for()
        _settle(guest)
        idea = guest.get_by_label(W["idea_what"])
        open_tab(guest, W["tab_idea"], idea, shot=artifacts / "reload_failed_idea_tab.png")
        _settle(guest)
        idea.fill("Soup evening")
        idea.press("Enter")
        _settle(guest)
        guest.get_by_role("button", name=W["idea_save"]).click()
        guest.get_by_text(W["idea_saved"]).wait_for()
        _settle(guest)
        guest.get_by_role("button", name="👍 Vote (0)").click()
        guest.get_by_text(W["voted"]).wait_for()
        _settle(guest)
        assert _votes(workspace) == 1

        # Reload mid-session: the same participant, no join form, and no second vote.
        guest.reload(wait_until="domcontentloaded")
        guest.get_by_text(W["map_heading"], exact=True).wait_for()
        _settle(guest)
        assert guest.get_by_role("textbox", name=W["join_label"]).count() == 0
        vote = guest.get_by_role("button", name="👍 Vote (1)")
        open_tab(guest, W["tab_idea"], vote, shot=artifacts / "reload_failed_vote_tab.png")
        _settle(guest)
        vote.click()
        guest.get_by_text("You have voted for this idea already.").wait_for()
        _settle(guest)
        guest.screenshot(path=str(artifacts / "reload_2_participant_voted_once.png"))
        assert _votes(workspace) == 1

        # A second person is a second vote: two people, two votes.
        other = _open(other_ctx, server, "Mapping session")
        other.get_by_role("textbox", name=W["join_label"]).fill(code)
        other.get_by_role("button", name=W["join_button"], exact=True).click()
        other.get_by_text(W["map_heading"], exact=True).wait_for()
        vote = other.get_by_role("button", name="👍 Vote (1)")
        open_tab(other, W["tab_idea"], vote, shot=artifacts / "reload_failed_other_tab.png")
        _settle(other)
        vote.click()
        other.get_by_text(W["voted"]).wait_for()
        assert _votes(workspace) == 2
    finally:
        for context in (fac_ctx, guest_ctx, other_ctx):
            context.close()
    assert offline.external == []


@pytest.mark.browser
def test_double_clicking_add_makes_one_plan(
    browser: Browser, server: str, workspace: Path, artifacts: Path, offline: Offline
) -> None:
    context = offline.context(browser, viewport={"width": 1400, "height": 1900})
    try:
        page = _sign_in(context, server, "sam")
        page.get_by_role("link", name="Find support").click()
        page.get_by_label("Start point").wait_for()
        _settle(page)
        page.get_by_label("Start point").fill("LE15 6AA")
        choose_need(page, "Health")
        page.get_by_role("button", name="Find support").click()
        page.get_by_text("1. Health").wait_for()
        _settle(page)
        page.get_by_role("tab", name="Add to a plan").click()
        _settle(page)
        add = page.get_by_role("button", name="Add as suggested")
        add.dblclick()
        page.get_by_text(re.compile(r"Added \d service\(s\) to plan")).wait_for()
        _settle(page)
        add.click()  # and a third time, after the page has settled
        _settle(page)
        page.screenshot(path=str(artifacts / "reload_3_one_plan.png"), full_page=True)
        plans = open_workspace(workspace).store().records(PLAN_ENTITY)
        close_stores()
        assert len(plans) == 1
        page.get_by_role("link", name="Plans").click()
        page.get_by_role("heading", name="Plans").wait_for()
        _settle(page)
        assert page.get_by_text("No plans in your caseload yet").count() == 0
        page.screenshot(path=str(artifacts / "reload_4_plans_page.png"), full_page=True)
    finally:
        context.close()
    assert offline.external == []
