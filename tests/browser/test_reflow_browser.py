"""Phone menu and 200% zoom (WCAG 2.2 1.4.10 Reflow, 1.4.4 Resize text), in a real browser.

* On a phone (390 x 844) the sidebar menu closes after a page is chosen, so the
  page itself is what the person sees next.
* At 200% zoom: a 1280 x 900 window zoomed to 200% lays pages out in 640 x 450
  CSS pixels at device scale 2, which is what the test opens. On each main page
  (as the local role that has it) nothing makes the page scroll sideways, the
  page's heading and every button are on screen across, and headings go down one
  level at a time (no h1 -> h3). Screenshots: tests/artifacts/zoom200_*.png,
  phone_menu_*.png.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from browser_support import Offline
from browser_support import settle as _settle
from playwright.sync_api import Browser, Page

from assetmap.access import Principal, Role
from assetmap.people import sessions
from assetmap.workspace import close_stores, open_workspace

PHONE = {"width": 390, "height": 844}
ZOOM_200 = {"width": 640, "height": 450}  # 1280 x 900 at 200%
TIMEOUT_MS = 30_000
# (local role, pages) covering every page of the app once.
ZOOM_PAGES = {
    "Facilitator": ["Map", "Data", "Find support", "Mapping session", "Moderation", "Sign in"],
    "Lead": ["Dashboard"],
    "Approver": ["Funds"],
    "Staff": ["Plans"],
    "Admin": ["Admin"],
}
_SIDEBAR = '[data-testid="stSidebar"]'
ISO_DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b")
_HEADING_LEVELS = """() => [...document.querySelectorAll('[data-testid="stMain"] h1, '
    + '[data-testid="stMain"] h2, [data-testid="stMain"] h3, [data-testid="stMain"] h4')]
    .filter((h) => h.offsetParent !== null && h.innerText.trim())
    .map((h) => [Number(h.tagName[1]), h.innerText.trim().slice(0, 50)])"""
_CUT_OFF = """(width) => [...document.querySelectorAll('[data-testid="stMain"] button, '
    + '[data-testid="stMain"] h1, [data-testid="stMain"] input, [role="tab"], '
    + '[data-testid="stMain"] iframe')]
    .filter((e) => e.offsetParent !== null)
    .map((e) => [e.getBoundingClientRect(), e.innerText || e.getAttribute('aria-label') || ''])
    .filter(([r]) => r.width > 0 && (r.left < -1 || r.right > width + 1))
    .map(([r, t]) => [Math.round(r.left), Math.round(r.right), t.slice(0, 40)])"""


def _session_with_a_proposal(workspace: Path) -> None:
    store = open_workspace(workspace).store()
    fran = Principal("fran", Role.FACILITATOR)
    sid = sessions.start_session(store, principal=fran, date="2026-12-01", area="Oakham",
                                 group_label="Zoom group", participants=3)  # fmt: skip
    sessions.propose_asset(store, sid, {"name": "Zoom Drop-in", "lon": -0.727, "lat": 52.67},
                           principal=fran)  # fmt: skip
    close_stores()


def _sidebar_open(page: Page) -> bool:
    box = page.locator(_SIDEBAR).bounding_box()
    return bool(box and box["x"] + box["width"] > 5 and box["width"] > 50)


def _open_menu(page: Page) -> None:
    if not _sidebar_open(page):
        page.locator('[data-testid="stExpandSidebarButton"], '
                     '[data-testid="stSidebarCollapsedControl"] button').first.click()  # fmt: skip
        page.wait_for_timeout(600)
    assert _sidebar_open(page)


def _choose(page: Page, title: str) -> None:
    _open_menu(page)
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()
    page.get_by_role("heading", level=1).first.wait_for()
    _settle(page)
    page.wait_for_timeout(600)  # the sidebar's closing animation


def _start(browser: Browser, url: str, offline: Offline, role: str, *, scale: float) -> Page:
    context = offline.context(browser, viewport={"width": 1366, "height": 900},
                              device_scale_factor=scale)  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url, wait_until="domcontentloaded")
    page.locator(_SIDEBAR).wait_for()
    _settle(page)
    page.get_by_role("combobox", name="Working as").click()
    page.get_by_role("option", name=role, exact=True).click()
    _settle(page)
    return page


@pytest.mark.browser
def test_the_menu_closes_after_choosing_a_page_on_a_phone(
    browser: Browser, streamlit_url: str, artifacts: Path, offline: Offline
) -> None:
    page = _start(browser, streamlit_url, offline, "Facilitator", scale=1)
    try:
        page.set_viewport_size(PHONE)
        page.wait_for_timeout(600)
        for title in ("Moderation", "Map", "Mapping session"):
            _open_menu(page)
            page.screenshot(path=str(artifacts / "phone_menu_open.png"))
            _choose(page, title)
            slug = re.sub(r"[^a-z]+", "_", title.lower())
            page.screenshot(path=str(artifacts / f"phone_menu_closed_{slug}.png"))
            assert not _sidebar_open(page), f"the menu stayed open after choosing {title}"
            assert page.get_by_role("heading", level=1).first.is_visible()
    finally:
        page.context.close()
    assert offline.external == []


@pytest.mark.browser
@pytest.mark.parametrize("role", list(ZOOM_PAGES))
def test_main_pages_reflow_at_200_percent_zoom(
    browser: Browser,
    streamlit_url: str,
    rutland_workspace: Path,
    role: str,
    artifacts: Path,
    offline: Offline,
) -> None:
    _session_with_a_proposal(rutland_workspace)  # so Moderation shows its queue
    page = _start(browser, streamlit_url, offline, role, scale=2)
    problems: dict[str, object] = {}
    try:
        page.set_viewport_size(ZOOM_200)
        page.wait_for_timeout(600)
        for title in ZOOM_PAGES[role]:
            _choose(page, title)
            slug = re.sub(r"[^a-z]+", "_", title.lower())
            page.screenshot(path=str(artifacts / f"zoom200_{slug}.png"))
            sideways = page.evaluate(
                "() => document.scrollingElement.scrollWidth - window.innerWidth"
            )
            main = page.locator('[data-testid="stMain"]')
            main_sideways = main.evaluate("(e) => e.scrollWidth - e.clientWidth")
            cut = page.evaluate(_CUT_OFF, ZOOM_200["width"])
            levels = page.evaluate(_HEADING_LEVELS)
            jumps = [(a, b) for a, b in itertools.pairwise(levels) if b[0] > a[0] + 1]
            covered = _sidebar_open(page)  # the menu left over the page
            # UK dates: day first in date boxes, no ISO dates in the page's text.
            dates = [re.sub(r"\s+", "", t) for t in page.locator(
                '[data-testid="stMain"] [data-testid="stDateInput"] [data-baseweb="input"], '
                '[data-testid="stMain"] [data-testid="stDateInput"] [role="group"]'
            ).all_inner_texts()]  # fmt: skip
            not_uk = [d for d in dates if d and not re.fullmatch(r"\d\d/\d\d/\d{4}", d)]
            not_uk += ISO_DATE.findall(main.inner_text())
            found = {
                "page scrolls sideways by": max(sideways, main_sideways, 0),
                "cut off": cut,
                "heading jumps": jumps,
                "first heading is not h1": levels[:1] if levels[0][0] != 1 else [],
                "menu left open": covered,
                "not UK dates": not_uk,
            }
            if (
                any(v for k, v in found.items() if k != "page scrolls sideways by")
                or max(sideways, main_sideways) > 1
            ):
                problems[title] = found
    finally:
        page.context.close()
    assert problems == {}
    assert offline.external == []
