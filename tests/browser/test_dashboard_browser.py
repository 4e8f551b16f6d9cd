"""The Reach dashboard in a real browser, offline: a lead signs in and sees the gap map and series.

The workspace holds Rutland's register and walking network, its 23 LSOAs with
IMD 2019, Code-Point postcodes, two services added in past months (so the
accessible range series has something to show) and one lead account. The lead
signs in through the real Sign in page; the screenshot is
``tests/artifacts/dashboard.png``.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import AxeRun, Offline, serve, settle
from playwright.sync_api import Browser, Page
from support import SHARED_DATA, import_rutland, needs_shared_data

from assetmap.access import Principal, Role
from assetmap.ingest.osm import OsmExtract
from assetmap.ingest.postcodes import read_postcodes, save_postcodes
from assetmap.people.accounts import create_user
from assetmap.reach_service import load_areas_into_workspace
from assetmap.workspace import close_stores

pytestmark = needs_shared_data

LSOA = SHARED_DATA / "boundaries-uk-geojson" / "lsoa_by_lad_E06000017.geojson"
IMD = SHARED_DATA / "imd-2019-mysociety" / "UK_IMD_E.csv"
POSTCODES = SHARED_DATA / "postcodes-codepoint-open-2014" / "postcodes_latlon_demo_lads.csv"
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
LEAD, PASSWORD = "lee.lead", "walking-minutes-matter"
BACK_DATED = [  # name, category, (lon, lat), days ago
    ("Oakham food bank", "food_support", (-0.7286, 52.6708), 95),
    ("Uppingham money advice", "money_advice", (-0.7226, 52.5875), 40),
]


@pytest.fixture(scope="module")
def dashboard_url(
    tmp_path_factory: pytest.TempPathFactory, rutland_extract: OsmExtract
) -> Iterator[str]:
    """A Streamlit server on a Rutland workspace with areas, postcodes and a lead account."""
    folder = tmp_path_factory.mktemp("dashboard_browser")
    saved = os.environ.pop("ASSETMAP_DATABASE_URL", None)
    try:
        workspace = import_rutland(folder / "rutland", rutland_extract)
        save_postcodes(read_postcodes(POSTCODES), workspace.postcodes_path)
        load_areas_into_workspace(workspace, LSOA, imd=IMD)
        store = workspace.store()
        now = dt.datetime.now(dt.UTC)
        for name, code, (lon, lat), days in BACK_DATED:
            record = {"name": name, "categories": [code], "lon": lon, "lat": lat}
            store.add_asset(record, actor="lee", reason="test", at=now - dt.timedelta(days=days))
        create_user(store, LEAD, PASSWORD, Role.LEAD, actor=Principal("setup", Role.ADMIN))
        close_stores()
    finally:
        if saved is not None:
            os.environ["ASSETMAP_DATABASE_URL"] = saved
    with serve(workspace.path, folder / "server.log") as url:
        yield url


def _sign_in(page: Page, url: str) -> None:
    page.goto(f"{url}/sign_in", wait_until="domcontentloaded")
    page.get_by_role("textbox", name="Username").fill(LEAD)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("link", name="Dashboard").wait_for(timeout=60_000)


def _wait_for_one_map_with(page: Page, text: str, timeout_s: float = 60) -> None:
    """Wait until the rerun has replaced the old map and the new one shows ``text``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        maps = page.locator(MAP_IFRAME)
        if maps.count() == 1 and maps.content_frame.get_by_text(text).count():
            return
        page.wait_for_timeout(300)
    pytest.fail(f"the gap map never showed {text!r}")


@pytest.mark.browser
def test_dashboard_shows_the_gap_map_and_the_series_with_the_network_blocked(
    browser: Browser, dashboard_url: str, artifacts: Path, offline: Offline
) -> None:
    context = offline.context(
        browser, viewport={"width": 1400, "height": 3300}, accept_downloads=True
    )
    page = context.new_page()
    try:
        _sign_in(page, dashboard_url)
        page.get_by_role("link", name="Dashboard").click()
        page.get_by_text("Reach dashboard").first.wait_for(timeout=60_000)
        # Drawn on request: the button of the "More on this page" control (a fragment rerun).
        more = page.get_by_role("button", name="Accessible range over time")
        more.focus(timeout=120_000)  # by keyboard: a button of a labelled toolbar
        assert page.get_by_role("toolbar", name="More on this page").count() == 1
        page.keyboard.press("Enter")
        page.get_by_role("heading", name="Accessible range over time").wait_for(timeout=120_000)
        assert more.get_attribute("aria-pressed") == "true"
        page.get_by_text("IMD 2019 overlay").click()
        _wait_for_one_map_with(page, "IMD 2019 decile")

        frame = page.frame_locator(MAP_IFRAME)
        areas = frame.locator("path.leaflet-interactive")
        areas.first.wait_for(state="attached", timeout=60_000)
        charts = page.locator('[data-testid="stVegaLiteChart"]')  # the series: bars are a table
        charts.first.locator("canvas, svg").first.wait_for(timeout=60_000)
        bars = page.locator('[data-testid="stDataFrame"]').filter(has_text="(on the gap map)")
        bars.locator("canvas").first.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)  # Leaflet fits the bounds; Vega draws

        # 23 LSOAs, the GP markers and the two suggested sites are all drawn.
        assert areas.count() >= 23 + 2
        assert (
            frame.locator(".leaflet-control-attribution")
            .inner_text()
            .count("© OpenStreetMap contributors")
        )
        legend = frame.locator("body").inner_text()
        assert "up to 15 min" in legend
        assert "decile 1-2 (most deprived)" in legend
        assert charts.count() == 1
        assert page.get_by_text("Series chart (PNG)").count() == 1
        page.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)
        # The chart's PNG is drawn when asked for (a deferred download), and it is a PNG.
        settle(page, timeout_ms=120_000)  # a click during a rerun is lost (CI, under load)
        with page.expect_download(timeout=60_000) as download:
            page.get_by_role("button", name="Coverage chart (PNG)").click()
        assert Path(download.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        # The coverage bars as a chart, on request.
        page.get_by_text("Draw as a bar chart").click()
        charts.nth(1).locator("canvas, svg").first.wait_for(timeout=60_000)
        settle(page, timeout_ms=120_000)
        assert charts.count() == 2
    finally:
        context.close()

    assert offline.external == []
    assert offline.dialogs == []
    assert offline.errors == []


SECTIONS = (  # the buttons of "More on this page": each section is drawn on request
    "Accessible range over time",
    "What each import, session or grant added",
    "Funds and the evaluation pack",
)


@pytest.mark.browser
def test_every_dashboard_section_opened_has_no_serious_axe_violation(
    browser: Browser, dashboard_url: str, artifacts: Path, offline: Offline
) -> None:
    """The whole Dashboard (the matrix's workspace has no network: only its short form)."""
    context = offline.context(browser, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    run = AxeRun()
    try:
        _sign_in(page, dashboard_url)
        page.get_by_role("link", name="Dashboard").click()
        page.frame_locator(MAP_IFRAME).locator("path.leaflet-interactive").first.wait_for(
            state="attached", timeout=120_000
        )
        settle(page, timeout_ms=120_000)
        run.check(page, "Dashboard @ desktop")
        for name in SECTIONS:
            page.get_by_role("button", name=name).click()
            settle(page, timeout_ms=120_000)
            assert page.get_by_role("button", name=name).get_attribute("aria-pressed") == "true"
        page.get_by_role("heading", name="Accessible range over time").wait_for(timeout=60_000)
        page.get_by_text("What each import, mapping session or grant added").wait_for()
        page.get_by_text("Evaluation pack (anonymous;").wait_for()  # the expander's label
        page.wait_for_timeout(1000)
        for size, (width, height) in {"desktop": (1366, 900), "phone": (390, 844)}.items():
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(500)
            run.check(page, f"Dashboard, every section open @ {size}")
        page.get_by_text("More on this page").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "dashboard_sections_phone.png"))
    finally:
        context.close()
    failing = [{k: v[k] for k in ("where", "id", "impact")} for v in run.failing()]
    assert failing == []
    assert len(run.checked) == 3
    assert offline.external == []
    assert offline.errors == []
