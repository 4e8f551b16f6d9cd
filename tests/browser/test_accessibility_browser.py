"""axe-core on every page, for every local role and a participant, at phone, tablet and desktop.

axe-core (vendored: ``tests/vendor/axe-core``, MPL-2.0) is injected with
Playwright into the page and into each of its frames (the folium map is a
same-origin ``srcdoc`` frame), so the run is offline. A role is chosen once in
the sidebar ("Working as", local mode) and pages are opened through the
sidebar's links, so one browser session per role serves every page; each page
is checked at desktop size, then resized to tablet and phone and checked again
(Streamlit lays pages out again on resize, no reload). Besides each page as it
opens, the run checks forms with an error shown and the session as a
participant sees it (a participant's menu holds the session page only). Any serious
or critical violation fails the test; every violation found (minor and moderate too) is written to
``tests/artifacts/axe-report.json`` for ``docs/accessibility.md``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import AxeRun, Offline, new_fund_request, new_session_code
from browser_support import settle as _settle
from playwright.sync_api import Browser, BrowserContext, Page

from assetmap.wording import W

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
VIEWPORTS = {"desktop": (1366, 900), "tablet": (1024, 768), "phone": (390, 844)}
TIMEOUT_MS = 30_000
# Every page link (streamlit_app.PAGES) each local role's menu shows: the test checks
# each one, and fails if the menu holds a page not listed here (so none goes unchecked).
ROLE_PAGES = {
    "Admin": ["Map", "Data", "Funds", "Mapping session", "Sign in", "Admin"],
    "Staff": ["Map", "Data", "Find support", "Plans", "Mapping session", "Sign in"],
    "Lead": ["Map", "Data", "Dashboard", "Mapping session", "Sign in"],
    "Facilitator": ["Map", "Data", "Find support", "Mapping session", "Moderation", "Sign in"],
    "Approver": ["Map", "Funds", "Mapping session", "Sign in"],
}


def _check_all_sizes(
    run: AxeRun, page: Page, where: str, artifacts: Path, sizes: tuple[str, ...] = tuple(VIEWPORTS)
) -> None:
    for size in sizes:
        width, height = VIEWPORTS[size]
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(350)
        run.check(page, f"{where} @ {size}")
    slug = re.sub(r"[^a-z0-9]+", "-", where.lower()).strip("-")
    page.screenshot(path=str(artifacts / f"axe_{slug}_{sizes[-1]}.png"), full_page=False)
    page.set_viewport_size({"width": VIEWPORTS["desktop"][0], "height": VIEWPORTS["desktop"][1]})
    page.wait_for_timeout(250)


def _open(context: BrowserContext, url: str) -> Page:
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url, wait_until="domcontentloaded")
    page.locator('[data-testid="stSidebar"]').wait_for()
    _settle(page)
    return page


def _choose_role(page: Page, role: str) -> None:
    page.get_by_role("combobox", name="Working as").click()
    page.get_by_role("option", name=role, exact=True).click()
    _settle(page)


def _go(page: Page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()
    page.get_by_role("heading", level=1).first.wait_for()
    _settle(page)
    if page.frame_locator("iframe").first.locator("body").count():
        page.wait_for_timeout(400)


@pytest.fixture(scope="module")
def axe_run() -> Iterator[AxeRun]:
    run = AxeRun()
    yield run
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "axe-report.json").write_text(
        json.dumps({"checked": run.checked, "violations": run.found}, indent=1), encoding="utf-8"
    )


@pytest.fixture(scope="module")
def funds_request(rutland_workspace: Path) -> str:
    """A fund and a staff member's request waiting for an approver's decision."""
    return new_fund_request(rutland_workspace)


@pytest.mark.browser
@pytest.mark.parametrize("role", list(ROLE_PAGES))
def test_every_page_of_a_local_role_has_no_serious_axe_violation(
    browser: Browser,
    streamlit_url: str,
    role: str,
    funds_request: str,
    axe_run: AxeRun,
    artifacts: Path,
    offline: Offline,
) -> None:
    started = time.monotonic()
    sizes = tuple(VIEWPORTS)
    context = offline.context(browser, viewport={"width": 1366, "height": 900})
    try:
        page = _open(context, streamlit_url)
        _choose_role(page, role)
        links = page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()
        shown = [t for t in ROLE_PAGES[role] if any(t in link for link in links)]
        assert shown == ROLE_PAGES[role], links
        assert len(links) == len(shown), links  # no page of the menu left unchecked
        for title in shown:
            _go(page, title)
            _check_all_sizes(axe_run, page, f"{role} · {title}", artifacts, sizes)
        if role == "Staff":  # a form with its error shown
            _go(page, "Find support")
            if page.get_by_label("Start point").count():
                page.get_by_label("Start point").fill("LE15 6ZZ")
                page.get_by_role("button", name="Find support").click()
                _settle(page)
                _check_all_sizes(axe_run, page, f"{role} · Find support (error)", artifacts)
        if role == "Approver":  # the request to decide, then refusing without the note
            _go(page, "Funds")
            page.get_by_text("Rent deposit").first.wait_for()
            page.get_by_role("button", name="Refuse").first.click()
            _settle(page)
            _check_all_sizes(axe_run, page, f"{role} · Funds (error)", artifacts, sizes)
        if role == "Admin":  # the new-fund form sent empty
            _go(page, "Funds")
            page.get_by_role("tab", name="Funds").click()
            page.get_by_role("button", name="Create fund").click()
            _settle(page)
            _check_all_sizes(axe_run, page, f"{role} · Funds (error)", artifacts)
    finally:
        context.close()
    failing = [v for v in axe_run.failing() if v["where"].startswith(f"{role} ·")]
    assert failing == [], json.dumps(failing, indent=1)
    assert time.monotonic() - started < 200
    assert offline.external == []


@pytest.fixture(scope="module")
def join_code(rutland_workspace: Path) -> str:
    return new_session_code(rutland_workspace, "Tuesday group")


@pytest.mark.browser
def test_a_participants_pages_and_session_forms_have_no_serious_axe_violation(
    browser: Browser,
    streamlit_url: str,
    join_code: str,
    axe_run: AxeRun,
    artifacts: Path,
    offline: Offline,
) -> None:
    context = offline.context(browser, viewport={"width": 1366, "height": 900})
    try:
        page = _open(context, f"{streamlit_url}/session")
        _check_all_sizes(axe_run, page, "Anyone · Join", artifacts)
        page.get_by_role("textbox", name=W["join_label"]).fill("AAAAAA")
        page.get_by_role("button", name=W["join_button"], exact=True).click()
        _settle(page)
        _check_all_sizes(axe_run, page, "Anyone · Join (wrong code)", artifacts)
        page.get_by_role("textbox", name=W["join_label"]).fill(join_code)
        page.get_by_role("button", name=W["join_button"], exact=True).click()
        page.get_by_text(W["map_heading"]).wait_for()
        _settle(page)
        page.wait_for_timeout(500)
        _check_all_sizes(axe_run, page, "Participant · Mapping session", artifacts)
        page.get_by_role("button", name=W["place_save"]).click()
        page.get_by_text(W["need_pin"]).wait_for()
        _check_all_sizes(axe_run, page, "Participant · Mapping session (error)", artifacts)
        for tab in ("tab_volunteer", "tab_gap", "tab_comment", "tab_idea"):
            page.get_by_role("tab", name=W[tab]).click()
            _settle(page)
            _check_all_sizes(axe_run, page, f"Participant · {W[tab]}", artifacts)
        links = page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()
        assert len(links) <= 1, links  # a participant has the session page only
    finally:
        context.close()
    failing = [v for v in axe_run.failing() if v["where"].startswith(("Anyone", "Participant"))]
    assert failing == [], json.dumps(failing, indent=1)
    assert offline.external == []
