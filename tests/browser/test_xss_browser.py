"""XSS payloads from every input render as text in a real browser (Debian chromium).

The workspace is :func:`trust._xss.build_xss_workspace`: ``<img src=x
onerror=alert(1)>`` and ``<script>alert(1)</script>`` arrive through an OSM
name tag, a spreadsheet, an HSDS feed and a mapping session (a participant's
proposal, gap and comment). A facilitator signs in on the Sign in page and
looks at the Map (each marker's popup) and the Moderation page; the printable
support sheet and session summary are opened as pages too. Any dialog
(``alert``) fails the test; so does any ``img[src=x]`` or injected script in
any frame, and any request off this machine. Screenshots:
tests/artifacts/xss_*.png.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from browser_support import Offline, serve
from playwright.sync_api import Browser, Page
from trust._xss import IMG, PASSWORD, SCRIPT, XssWorkspace, build_xss_workspace, name_for

from assetmap.access import Principal, Role
from assetmap.output.session_summary import summary_html
from assetmap.output.sheet import support_sheet_html
from assetmap.people.sessions import session_summary
from assetmap.workspace import close_stores, open_workspace

MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> XssWorkspace:
    os.environ.pop("ASSETMAP_DATABASE_URL", None)
    built = build_xss_workspace(tmp_path_factory.mktemp("xss-browser") / "ws")
    close_stores()
    return built


@pytest.fixture(scope="module")
def server(hostile: XssWorkspace, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Streamlit server on the hostile workspace (no tiles: everything offline)."""
    log = tmp_path_factory.mktemp("xss-server") / "server.log"
    with serve(hostile.workspace.path, log) as url:
        yield url


class Guard:
    """Fails the test on any dialog, request off this machine, or injected element."""

    def __init__(self, browser: Browser) -> None:
        self.offline = Offline()
        self.context = self.offline.context(browser, viewport={"width": 1300, "height": 1000})
        self.page = self.context.new_page()

    def check(self, page: Page) -> None:
        """Nothing ran and nothing was injected, in any frame of ``page``."""
        page.wait_for_timeout(500)  # a late onerror would fire by now
        assert self.offline.dialogs == []
        assert self.offline.external == []
        for frame in page.frames:
            assert frame.locator('img[src="x"]').count() == 0, frame.url
            scripts = frame.locator("script").evaluate_all("els => els.map(e => e.text)")
            assert not [s for s in scripts if "alert(1)" in s and "<" not in s], frame.url

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def guard(browser: Browser) -> Iterator[Guard]:
    watching = Guard(browser)
    yield watching
    watching.close()


def _sign_in(page: Page, url: str) -> None:
    # a visitor sees only joining and signing in (the register needs an account)
    page.goto(f"{url}/sign_in", wait_until="domcontentloaded")
    page.get_by_role("heading", name="Sign in").first.wait_for(timeout=TIMEOUT_MS)
    page.get_by_label("Username", exact=True).fill("fran")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as").first.wait_for(timeout=TIMEOUT_MS)


@pytest.mark.browser
def test_names_from_every_input_are_text_on_the_map_and_in_moderation(
    server: str, guard: Guard, artifacts: Path
) -> None:
    page = guard.page
    _sign_in(page, server)
    guard.check(page)
    page.screenshot(path=str(artifacts / "xss_sign_in.png"))

    page.get_by_role("link", name="Map").first.click()
    frame = page.frame_locator(MAP_IFRAME)
    markers = frame.locator("path.leaflet-interactive")
    markers.first.wait_for(state="attached", timeout=TIMEOUT_MS)
    seen: set[str] = set()
    for k in range(markers.count()):
        popup = frame.locator(".leaflet-popup-content")
        if popup.count():  # close the last one first, so this text is this marker's
            frame.locator(".leaflet-popup-close-button").first.dispatch_event("click")
            popup.first.wait_for(state="detached", timeout=TIMEOUT_MS)
        markers.nth(k).dispatch_event("click")  # a popup may cover the next marker
        popup.first.wait_for(timeout=TIMEOUT_MS)
        seen.add(popup.first.inner_text())
    guard.check(page)
    page.screenshot(path=str(artifacts / "xss_map.png"))
    for source in ("OSM", "CSV", "HSDS"):  # the session's proposal is not on the map yet
        assert any(name_for(source) in text for text in seen), (source, seen)

    page.get_by_role("link", name="Moderation").first.click()
    page.get_by_role("heading", name=name_for("Session")).wait_for(timeout=TIMEOUT_MS)
    body = page.locator("section.main, [data-testid='stMain']").first.inner_text()
    assert name_for("Session") in body
    assert f"Great place {IMG}" in body  # the participant's comment
    picker = page.locator("[data-testid='stSelectbox']").first
    assert f"Tuesday group {SCRIPT}" in (
        picker.inner_text()
        + (picker.locator("input").first.input_value() if picker.locator("input").count() else "")
    )
    guard.check(page)
    page.screenshot(path=str(artifacts / "xss_moderation.png"), full_page=True)


@pytest.mark.browser
def test_printable_sheet_and_session_summary_are_text_in_the_browser(
    hostile: XssWorkspace, guard: Guard, artifacts: Path
) -> None:
    store = open_workspace(hostile.workspace.path).store()
    assets = store.assets()
    services = pd.DataFrame(
        {
            "name": assets["name"],
            "lon": assets.geometry.x,
            "lat": assets.geometry.y,
            "opening_hours": assets["opening_hours"],
        }
    )
    facilitator = Principal("fran", Role.FACILITATOR)
    pages = {
        "xss_support_sheet.png": support_sheet_html(services, note=f"Ask for {IMG}"),
        "xss_session_summary.png": summary_html(
            session_summary(store, hostile.session_id, principal=facilitator)
        ),
    }
    close_stores()
    page = guard.page
    for shot, html in pages.items():
        page.set_content(html, wait_until="load")
        text = page.locator("body").inner_text()
        assert IMG in text
        assert SCRIPT in text
        guard.check(page)
        page.screenshot(path=str(artifacts / shot), full_page=True)
