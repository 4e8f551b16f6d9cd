"""The Rutland demo (`assetmap demo`, bundled data only) in a real browser, offline, as each role.

Every page each local-mode role can open is visited and screenshotted to
``tests/artifacts/ukdemo/<role>-<page>.png``. The Dashboard measures LSOAs with
postcodes and draws the IMD overlay; Find support takes "LE15 6AA".
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import Offline, serve, settle
from playwright.sync_api import Browser, Page, expect

from assetmap.cli import main
from assetmap.workspace import close_stores

ROLES = ("Admin", "Staff", "Lead", "Facilitator")
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("ukdemo_browser")
    saved = os.environ.pop("ASSETMAP_DATABASE_URL", None)
    try:
        assert main(["--no-progress", "demo", str(folder / "demo")]) == 0
        close_stores()
    finally:
        if saved is not None:
            os.environ["ASSETMAP_DATABASE_URL"] = saved
    with serve(folder / "demo", folder / "server.log") as url:
        yield url


def _settle(page: Page, timeout_ms: int = 240_000) -> None:
    """Wait until the run is over, the map (if any) is drawn and the canvases have painted.

    The run is over as :func:`browser_support.settle` says (no running
    indicator, no stale element), with no spinner left. This was a poll every
    0.7 s until three quiet polls, then 1.5 s: at least 3.6 s of sleep after
    every click, whatever the page.
    """
    settle(page, timeout_ms=timeout_ms)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stSpinner\"]')", timeout=timeout_ms
    )
    if page.locator(MAP_IFRAME).count():
        page.frame_locator(MAP_IFRAME).first.locator(".leaflet-container").wait_for(timeout=60_000)
    page.wait_for_timeout(500)  # canvases paint before the screenshot


def _work_as(page: Page, role: str) -> None:
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name=role, exact=True).click()
    _settle(page)


@pytest.mark.browser
def test_every_page_as_every_role_on_the_rutland_demo(
    browser: Browser, demo_url: str, artifacts: Path, offline: Offline
) -> None:
    shots = artifacts / "ukdemo"
    shots.mkdir(parents=True, exist_ok=True)
    context = offline.context(browser, viewport={"width": 1400, "height": 1800})
    page = context.new_page()
    seen: dict[str, list[str]] = {}
    try:
        page.goto(demo_url, wait_until="domcontentloaded")
        page.get_by_text("Working as").wait_for(timeout=60_000)
        for role in ROLES:
            _work_as(page, role)
            links = page.locator('[data-testid="stSidebarNav"] a')
            titles = [
                links.nth(i).inner_text().strip().split("\n")[-1] for i in range(links.count())
            ]
            seen[role] = titles
            for i, title in enumerate(titles):
                links.nth(i).click()
                _settle(page)
                name = title.split()[-1].lower() if title else "page"
                page.screenshot(path=str(shots / f"{role.lower()}-{name}.png"), full_page=True)
                if role == "Lead" and "Dashboard" in title:
                    expect(page.get_by_text("23 LSOAs and 1,207 postcodes")).to_have_count(1)
                    page.get_by_text("IMD 2019 overlay").click()
                    _settle(page)
                    frame = page.frame_locator(MAP_IFRAME)
                    frame.get_by_text("IMD 2019 decile").first.wait_for(timeout=60_000)
                    page.screenshot(path=str(shots / "lead-dashboard-imd.png"), full_page=True)
                if role == "Staff" and "Find support" in title:
                    page.get_by_role("textbox", name="Start point").fill("LE15 6AA")
                    page.get_by_role("textbox", name="Or in the person's words").fill("food")
                    page.get_by_role("button", name="Find support").click()
                    _settle(page)
                    expect(page.get_by_text("LE15 6AA").first).to_be_visible()  # the results
                    assert page.get_by_text("is not in the workspace").count() == 0
                    page.screenshot(path=str(shots / "staff-find-le15.png"), full_page=True)
    finally:
        context.close()
    assert any("Dashboard" in t for t in seen["Lead"])
    assert any("Find support" in t for t in seen["Staff"])
    assert any("Plans" in t for t in seen["Staff"])
    assert any("Moderation" in t for t in seen["Facilitator"])
    assert offline.external == []
    assert offline.dialogs == []
    assert offline.errors == []
