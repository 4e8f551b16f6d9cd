"""The Map page in a real browser with every non-local request blocked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from browser_support import LOCAL_HOSTS, Offline
from playwright.sync_api import Browser, FrameLocator, Request, Response

from assetmap.workspace import close_stores, open_workspace

MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'


def _expected_marker_count(workspace: Path) -> int:
    """One circle marker per (asset, category) pair; one for an asset with no category."""
    assets = open_workspace(workspace).store().assets()
    close_stores()
    return int(sum(max(len(codes), 1) for codes in assets["categories"]))


@pytest.mark.browser
def test_map_page_draws_every_marker_with_the_network_blocked(
    browser: Browser,
    streamlit_url: str,
    rutland_workspace: Path,
    artifacts: Path,
    popup: Callable[[FrameLocator, str], str],
    offline: Offline,
) -> None:
    failed_local: list[str] = []

    def note_failure(request: Request) -> None:
        if urlsplit(request.url).hostname in LOCAL_HOSTS:
            failed_local.append(request.url)

    context = offline.context(browser, viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    page.on("requestfailed", note_failure)
    leaflet_responses: list[tuple[str, int]] = []

    def note_leaflet(response: Response) -> None:
        if "/app/static/vendor/leaflet/" in response.url:
            leaflet_responses.append((urlsplit(response.url).path, response.status))

    page.on("response", note_leaflet)
    try:
        page.goto(streamlit_url, wait_until="domcontentloaded")
        page.get_by_text("Community assets").first.wait_for(timeout=60_000)
        frame = page.frame_locator(MAP_IFRAME)
        markers = frame.locator("path.leaflet-interactive")
        markers.first.wait_for(state="attached", timeout=60_000)
        page.wait_for_timeout(500)  # let Leaflet finish fitting the bounds

        assert markers.count() == _expected_marker_count(rutland_workspace)
        attribution = frame.locator(".leaflet-control-attribution").inner_text()
        assert "© OpenStreetMap contributors" in attribution
        assert frame.locator(".leaflet-control-layers").count() == 1
        assert frame.locator("img.leaflet-tile").count() == 0  # tiles "none": nothing to fetch
        page.screenshot(path=str(artifacts / "map_page.png"))

        # The hostile name reaches the popup as text, and nothing in it runs.
        popup_text = popup(frame, "&lt;img")
        assert popup_text.startswith("<img src=x onerror=alert(1)> Hall")
        assert frame.locator('img[src="x"]').count() == 0
        page.wait_for_timeout(500)  # the popup fades in
        page.screenshot(path=str(artifacts / "map_popup.png"))
    finally:
        context.close()

    assert offline.external == []
    assert offline.dialogs == []
    assert failed_local == []
    assert sorted(set(leaflet_responses)) == [
        ("/app/static/vendor/leaflet/images/layers.png", 200),  # the layer control's icon
        ("/app/static/vendor/leaflet/leaflet.css", 200),
        ("/app/static/vendor/leaflet/leaflet.js", 200),
    ]
