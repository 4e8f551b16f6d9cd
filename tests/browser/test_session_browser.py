"""A whole mapping session in a real browser (Debian chromium), with the network blocked.

One Streamlit server for the module, on a small workspace built from the Leeds
city-centre OSM snippet (13 named places, about a thousand street nodes). A
facilitator and two participants each have their own browser context, as on
their own devices. Screenshots: tests/artifacts/session_*.png.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from browser_support import Offline, open_tab, settle
from playwright.sync_api import (
    Browser,
    BrowserContext,
    FrameLocator,
    Locator,
    Page,
)
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from support import LEEDS_OSM, ROOT, skip_without_shared_data

from assetmap.access import Principal, Role
from assetmap.people import sessions as ms
from assetmap.wording import W
from assetmap.workspace import close_stores, import_osm, open_workspace

HOSTILE = "<img src=x onerror=alert(1)>"
EXISTING = "Leeds Playhouse"
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def leeds_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace from the Leeds city-centre snippet: its places and its streets."""
    skip_without_shared_data()
    path = tmp_path_factory.mktemp("session-browser") / "leeds"
    with pytest.MonkeyPatch.context() as env:
        env.delenv("ASSETMAP_DATABASE_URL", raising=False)  # its own SQLite file
        import_osm(path, LEEDS_OSM)
        close_stores()
    return path


@pytest.fixture(scope="module")
def server(
    leeds_workspace: Path,
    tmp_path_factory: pytest.TempPathFactory,
    serve_app: Callable[[Path, Path], AbstractContextManager[str]],
) -> Iterator[str]:
    """A Streamlit server on the Leeds workspace (no tiles: everything offline)."""
    with serve_app(leeds_workspace, tmp_path_factory.mktemp("session-server") / "log") as url:
        yield url


def _settle(page: Page) -> None:
    settle(page, timeout_ms=TIMEOUT_MS)


def _open_session_page(context: BrowserContext, url: str) -> Page:
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{url}/session", wait_until="domcontentloaded")
    page.get_by_role("heading", name="Mapping session").wait_for()
    _settle(page)
    return page


def _join(context: BrowserContext, url: str, code: str) -> Page:
    page = _open_session_page(context, url)
    page.get_by_role("textbox", name=W["join_label"]).fill(code)
    page.get_by_role("button", name=W["join_button"], exact=True).click()
    page.get_by_text(W["map_heading"]).wait_for()
    _settle(page)
    return page


def _place_pin(page: Page, x: int, y: int) -> None:
    """Tap the map; a tap during a rerun can be lost, so tap again (at most three times)."""
    before = page.get_by_text("The pin is").all_inner_texts()
    for _ in range(3):
        page.frame_locator(MAP_IFRAME).locator(".leaflet-container").click(
            position={"x": x, "y": y}
        )
        try:
            page.wait_for_function(
                """(before) => {
                    const shown = [...document.querySelectorAll('[data-testid="stAlert"]')]
                        .map((e) => e.innerText).filter((t) => t.includes("The pin is"));
                    return shown.length > 0 && !before.includes(shown[0]);
                }""",
                arg=before,
                timeout=8_000,
            )
        except PlaywrightTimeoutError:
            continue
        _settle(page)
        return
    page.screenshot(path=str(ROOT / "tests" / "artifacts" / "session_pin_failed.png"))
    pytest.fail("Tapping the map placed no pin.")


def _type(page: Page, label: str, text: str) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(text)
    field.press("Enter")
    _settle(page)


def _table_cells(page: Page) -> list[str]:
    """The cells of the page's table (the grid's accessible copy, which screen readers use)."""
    return page.locator('[data-testid="stDataFrame"] [role="gridcell"]').all_inner_texts()


def _card(page: Page, name: str) -> Locator:
    """The moderation card of the proposal called ``name``."""
    return page.locator('[class*="st-key-proposal-"]').filter(
        has=page.get_by_role("heading", name=name, exact=True)
    )


@pytest.mark.browser
def test_a_whole_session_from_start_to_summary(
    browser: Browser,
    server: str,
    leeds_workspace: Path,
    artifacts: Path,
    popup: Callable[[FrameLocator, str], str],
) -> None:
    watch = Offline()
    facilitator_ctx, first_ctx, second_ctx = (
        watch.context(browser, viewport={"width": 1300, "height": 1000}, accept_downloads=True)
        for _ in range(3)
    )
    try:
        # 1. The facilitator starts the session and reads out the code.
        fac = _open_session_page(facilitator_ctx, server)
        fac.get_by_role("button", name="Run a session from this computer").click()
        fac.get_by_role("button", name="Start the session").wait_for()
        fac.get_by_label("Area", exact=True).fill("Leeds city centre")
        fac.get_by_label("Group", exact=True).fill("Tuesday group")
        fac.get_by_role("button", name="Start the session").click()
        code_text = fac.get_by_text(re.compile(r"Join code:")).inner_text()
        code = re.search(r"[A-Z0-9]{6}", code_text.split(":", 1)[1]).group(0)  # type: ignore[union-attr]
        _settle(fac)
        fac.frame_locator(MAP_IFRAME).locator(".leaflet-assetmapStreets-pane canvas").wait_for()
        fac.wait_for_timeout(300)
        fac.screenshot(path=str(artifacts / "session_1_started.png"), full_page=True)

        # 2. Two participants join on their own devices.
        first = _join(first_ctx, server, code)
        second = _join(second_ctx, server, code)
        streets = first.frame_locator(MAP_IFRAME).locator(".leaflet-assetmapStreets-pane canvas")
        assert streets.count() == 1  # the offline basemap drawn from the workspace's streets
        first.screenshot(path=str(artifacts / "session_2_joined.png"), full_page=True)

        # 3. A name already in the register: the duplicate warning shows.
        _place_pin(first, 160, 140)
        _type(first, W["place_name"], EXISTING)
        warning = first.get_by_text(W["place_same"])
        warning.wait_for()
        alert = first.locator('[data-testid="stAlert"]').filter(has_text=W["place_same"])
        assert EXISTING in alert.inner_text()
        alert.scroll_into_view_if_needed()
        first.screenshot(path=str(artifacts / "session_3_duplicate_warning.png"), full_page=True)
        first.get_by_role("button", name=W["place_save"]).click()
        first.get_by_text(f"Saved: {EXISTING}").wait_for()
        _settle(first)

        # 4. Both participants save at the same moment: a place and a volunteering offer.
        _place_pin(first, 220, 420)
        _type(first, W["place_name"], "Community Garden Cafe")
        open_tab(second, W["tab_volunteer"], second.get_by_label(W["vol_what"]))
        _settle(second)
        _place_pin(second, 600, 380)
        _type(second, W["vol_what"], "Food bank helpers")
        _type(second, W["vol_when"], "Saturdays 10-12")
        first.get_by_role("button", name=W["place_save"]).click()
        second.get_by_role("button", name=W["vol_save"]).click()
        first.get_by_text("Saved: Community Garden Cafe").wait_for()
        second.get_by_text("Saved: Food bank helpers").wait_for()
        _settle(first)
        _settle(second)

        # 5. A hostile name, a gap; the hostile name is text in the popup.
        _place_pin(first, 700, 320)
        _type(first, W["place_name"], HOSTILE)
        first.get_by_role("button", name=W["place_save"]).click()
        first.get_by_text("Saved: <img src=x onerror=alert(1)>").wait_for()
        _settle(first)
        open_tab(second, W["tab_gap"], second.get_by_label(W["gap_where"]))
        _settle(second)
        _type(second, W["gap_where"], "Kirkgate")
        second.get_by_label(W["gap_note"]).fill("Nowhere to get a shower")
        second.get_by_role("button", name=W["gap_save"]).click()
        second.get_by_text(W["gap_saved"]).wait_for()
        _settle(second)
        map_frame = first.frame_locator(MAP_IFRAME)
        assert popup(map_frame, "&lt;img").startswith(HOSTILE)
        assert map_frame.locator('img[src="x"]').count() == 0
        # Each participant's table shows both people's contributions, typed text as text.
        both = {EXISTING, "Community Garden Cafe", "Food bank helpers", HOSTILE}
        assert both <= set(_table_cells(first))
        assert both | {"Accommodation", "Kirkgate · Nowhere to get a shower"} <= set(
            _table_cells(second)
        )
        first.locator(MAP_IFRAME).scroll_into_view_if_needed()
        first.wait_for_timeout(400)
        first.screenshot(path=str(artifacts / "session_4_participant_added.png"), full_page=True)
        second.get_by_role("heading", name="What this group has added").scroll_into_view_if_needed()
        second.wait_for_timeout(300)
        second.screenshot(path=str(artifacts / "session_5_second_participant.png"), full_page=True)

        store = open_workspace(leeds_workspace).store()
        (session_id,) = ms.list_sessions(store, principal=Principal("t", Role.FACILITATOR))["id"]
        added = ms.session_contributions(
            store, session_id, principal=Principal("t", Role.FACILITATOR)
        )
        assert sorted(zip(added["type"], added["name"], strict=True)) == sorted(
            [("asset", EXISTING), ("asset", "Community Garden Cafe"), ("asset", HOSTILE),
             ("volunteering", "Food bank helpers"), ("gap", "Accommodation")]
        )  # fmt: skip
        close_stores()

        # 6. The facilitator moderates: accept, merge, reject.
        fac.get_by_role("link", name="Moderation").click()
        fac.get_by_role("heading", name="Moderation").wait_for()
        _settle(fac)
        assert _card(fac, HOSTILE).get_by_role("heading").inner_text() == HOSTILE
        flagged = _card(fac, EXISTING).locator('[data-testid="stAlert"]')
        assert flagged.inner_text().strip().endswith(f"Looks like: {EXISTING}")  # after its icon
        flagged.scroll_into_view_if_needed()
        fac.screenshot(path=str(artifacts / "session_6_queue.png"), full_page=True)
        cafe = _card(fac, "Community Garden Cafe")
        cafe.get_by_label("Opening times").fill("Mo-Fr 09:00-15:00")
        cafe.get_by_label("Opening times").press("Enter")
        _settle(fac)
        _card(fac, "Community Garden Cafe").get_by_role("button", name="Accept").click()
        fac.get_by_text("Accepted: Community Garden Cafe").wait_for()
        _settle(fac)
        copy = _card(fac, EXISTING)
        copy.get_by_text("Same as one already on the map").click()
        _settle(fac)
        _card(fac, EXISTING).get_by_role("button", name="Same as one already on the map").click()
        fac.get_by_text(f"Merged: {EXISTING}").wait_for()
        _settle(fac)
        bad = _card(fac, HOSTILE)
        bad.get_by_text("Do not accept").first.click()
        _settle(fac)
        reason = _card(fac, HOSTILE).get_by_label("Why not? (the group may ask)")
        reason.fill("Not a real place")
        reason.press("Enter")
        _settle(fac)
        _card(fac, HOSTILE).get_by_role("button", name="Do not accept").click()
        fac.get_by_text("(kept in the history)").wait_for()
        _settle(fac)
        assert fac.get_by_text("Nothing is waiting for review").count() == 0  # volunteering
        fac.screenshot(path=str(artifacts / "session_7_moderated.png"), full_page=True)

        # 7. The summary, and its downloads.
        fac.get_by_role("tab", name="Session summary").click()
        _settle(fac)
        fac.get_by_role("button", name="Download CSV").wait_for()
        fac.screenshot(path=str(artifacts / "session_8_summary.png"), full_page=True)
        with fac.expect_download() as csv_download:
            fac.get_by_role("button", name="Download CSV").click()
        exported = Path(csv_download.value.path()).read_text(encoding="utf-8")
        with fac.expect_download() as html_download:
            fac.get_by_role("button", name="Download printable page").click()
        printable = Path(html_download.value.path()).read_text(encoding="utf-8")
        report = facilitator_ctx.new_page()
        report.set_content(printable)
        report.wait_for_timeout(300)
        report.screenshot(path=str(artifacts / "session_9_printable.png"), full_page=True)
        assert HOSTILE in report.locator("body").inner_text()
        assert report.locator('img[src="x"]').count() == 0
        for page in (fac, first, second):  # what was typed never became an element
            assert page.locator('img[src="x"]').count() == 0
    finally:
        for context in (facilitator_ctx, first_ctx, second_ctx):
            context.close()

    lines = exported.splitlines()
    for figure in ("Places and services added,3", "Volunteering opportunities added,1",
                   "Gaps named,1", "Accepted into the register,1",
                   "Merged with an existing entry,1", "Not accepted,1",
                   "Still waiting for review,1"):  # fmt: skip
        assert figure in lines
    assert f"asset,{HOSTILE},rejected," in lines  # as typed: a CSV holds text, not HTML
    assert f"asset,{EXISTING},merged," in lines
    assert "&lt;img src=x onerror=alert(1)&gt;" in printable
    assert "<img" not in printable
    assert watch.dialogs == []
    assert watch.external == []
