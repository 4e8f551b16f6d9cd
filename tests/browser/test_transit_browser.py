"""Walk + public transport in a real browser, offline, on the Helsinki demo with its timetable.

A staff member signs in, asks Find support for health services by walk + public
transport and gets results whose reasons name the route; the support sheet says
how to get there. A lead signs in and sees coverage by travel mode side by side
and the gap map by walk + public transport. Screenshots:
``tests/artifacts/transit_find_support.png``, ``transit_sheet.png`` and
``transit_dashboard.png``.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import Offline, serve, settle, sign_in
from playwright.sync_api import Browser, Page
from support import SHARED_DATA, needs_shared_data

from assetmap.access import Principal, Role
from assetmap.demo import build_demo
from assetmap.people.accounts import create_user
from assetmap.transit_service import has_timetable
from assetmap.workspace import close_stores, open_workspace

pytestmark = needs_shared_data

FEED = SHARED_DATA / "gtfs-helsinki" / "helsinki_gtfs.zip"
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
STAFF, LEAD, PASSWORD = "sam.staff", "lee.lead", "buses-and-trams-count"


@pytest.fixture(scope="module")
def helsinki_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Streamlit server on the Helsinki demo (timetable, cycling network), two accounts."""
    if not FEED.exists():
        pytest.skip(f"needs {FEED}")
    folder = tmp_path_factory.mktemp("transit_browser")
    saved = os.environ.pop("ASSETMAP_DATABASE_URL", None)
    try:
        build_demo(folder / "helsinki", region="helsinki")
        workspace = open_workspace(folder / "helsinki")
        assert has_timetable(workspace)  # the demo workspace has the timetable
        store = workspace.store()
        admin = Principal("setup", Role.ADMIN)
        create_user(store, STAFF, PASSWORD, Role.STAFF, actor=admin)
        create_user(store, LEAD, PASSWORD, Role.LEAD, actor=admin)
        close_stores()
    finally:
        if saved is not None:
            os.environ["ASSETMAP_DATABASE_URL"] = saved
    with serve(workspace.path, folder / "server.log") as url:
        yield url


def _sign_in(page: Page, url: str, user: str, link: str) -> None:
    sign_in(page, url, user, PASSWORD)
    page.get_by_role("link", name=link).click()


@pytest.mark.browser
def test_find_support_by_walk_and_public_transport_names_the_route(
    browser: Browser, helsinki_url: str, artifacts: Path, tmp_path: Path, offline: Offline
) -> None:
    context = offline.context(
        browser, viewport={"width": 1400, "height": 1800}, accept_downloads=True
    )
    page = context.new_page()
    try:
        _sign_in(page, helsinki_url, STAFF, "Find support")
        page.get_by_label("Start point").wait_for(timeout=60_000)
        page.get_by_label("Start point").fill("60.1790,24.9500")
        needs = page.locator('[data-testid="stMultiSelect"]').first.locator("input")
        needs.click()
        needs.fill("Health")
        page.get_by_role("option", name="Health", exact=True).click()
        page.keyboard.press("Escape")
        page.get_by_text("Walk + public transport", exact=True).click()
        page.get_by_role("button", name="Find support").click()
        page.get_by_text("1. Health").wait_for(timeout=180_000)
        page.get_by_text(re.compile(r"within 20 minutes \(walk \+ public transport\)")).wait_for(
            timeout=30_000
        )
        frame = page.frame_locator(MAP_IFRAME)
        frame.locator("path.leaflet-interactive").first.wait_for(state="attached", timeout=60_000)
        page.wait_for_timeout(1000)
        page.screenshot(path=str(artifacts / "transit_find_support.png"), full_page=True)

        # The sheet of the chosen services says how to get there (its HTML, downloaded).
        with page.expect_download(timeout=60_000) as download:
            page.get_by_role("button", name="Download sheet (HTML)").click()
        sheet = tmp_path / "sheet.html"
        download.value.save_as(sheet)
        page.set_content(sheet.read_text(encoding="utf-8"))
        page.wait_for_timeout(300)
        page.screenshot(path=str(artifacts / "transit_sheet.png"), full_page=True)
    finally:
        context.close()
    assert offline.external == []
    assert offline.errors == []
    html = sheet.read_text(encoding="utf-8")
    # At least one chosen service is reached by a vehicle: the reason's route, step by step.
    steps = re.findall(
        r"<dt>Route</dt><dd>((?:Walk \d+ min to|From) [^<]+?: \d+ min door to door)\.",
        html,
    )
    assert steps, html[-2000:]
    assert all(re.search(r"(?:bus|tram|metro|train|ferry) \S+ to ", s) for s in steps)
    assert re.search(r'<span class="walk">\d+ min by (?:bus|tram|metro|train)', html)


def _wait_for_one_map_with(page: Page, text: str, timeout_s: float = 300) -> None:
    """Wait until the rerun has replaced the old map and the new one shows ``text``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        maps = page.locator(MAP_IFRAME)
        if maps.count() == 1 and maps.content_frame.get_by_text(text).count():
            return
        page.wait_for_timeout(500)
    pytest.fail(f"the gap map never showed {text!r}")


@pytest.mark.browser
def test_dashboard_shows_coverage_and_the_gap_map_by_travel_mode(
    browser: Browser, helsinki_url: str, artifacts: Path, offline: Offline
) -> None:
    context = offline.context(browser, viewport={"width": 1400, "height": 3600})
    page = context.new_page()
    try:
        _sign_in(page, helsinki_url, LEAD, "Dashboard")
        more = page.get_by_role("button", name="Accessible range over time")  # drawn on request
        more.wait_for(timeout=180_000)
        page.get_by_text("Compare walking, cycling and public transport").click()
        page.get_by_text(re.compile(r"within 15 min, by travel mode")).wait_for(timeout=300_000)
        _wait_for_one_map_with(page, "Walk to nearest")
        travel = page.locator('[data-testid="stSelectbox"]').filter(has_text="Travel mode")
        travel.click()
        page.get_by_role("option", name="Walk + public transport", exact=True).click()
        _wait_for_one_map_with(page, "Walk + public transport to nearest")
        settle(page, timeout_ms=300_000)
        more.click()  # the range over time, by that mode
        page.get_by_role("heading", name="Accessible range over time").wait_for(timeout=300_000)
        settle(page, timeout_ms=300_000)
        page.get_by_text("(walk + public transport), month by month").wait_for(timeout=120_000)
        page.locator('[data-testid="stVegaLiteChart"]').last.locator("canvas, svg").first.wait_for(
            timeout=120_000
        )
        page.wait_for_timeout(1500)
        assert page.get_by_text("Going back through the register's history").count() == 0
        page.screenshot(path=str(artifacts / "transit_dashboard.png"), full_page=True)
    finally:
        context.close()
    assert offline.external == []
    assert offline.errors == []
