"""The Data page in a real browser, other hosts blocked: import preview, duplicate review."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import Offline
from playwright.sync_api import Browser, Page

from assetmap.access import Principal, Role
from assetmap.imports import REVIEW_ENTITY, deduplicate, review_queue
from assetmap.workspace import close_stores, open_workspace

MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
ADMIN = Principal("browser-test", Role.ADMIN)
DIRECTORY = Path(__file__).resolve().parents[1] / "data" / "rutland_directory.csv"


@contextlib.contextmanager
def _offline_data_page(browser: Browser, url: str, *, height: int) -> Iterator[Page]:
    """Open the Data page with every non-local request blocked; assert none was tried."""
    offline = Offline()
    context = offline.context(browser, viewport={"width": 1400, "height": height})
    page = context.new_page()
    try:
        page.goto(f"{url}/data", wait_until="domcontentloaded")
        yield page
    finally:
        context.close()
    assert offline.external == []


@pytest.mark.browser
def test_import_preview_shows_the_mapping_categories_and_report_before_anything_is_imported(
    browser: Browser, streamlit_url: str, rutland_workspace: Path, artifacts: Path
) -> None:
    before = len(open_workspace(rutland_workspace).store().assets())
    close_stores()
    with _offline_data_page(browser, streamlit_url, height=1500) as page:
        page.get_by_role("tab", name="Import").click(timeout=60_000)
        page.locator('input[type="file"]').set_input_files(DIRECTORY)
        page.get_by_text("Validation report").wait_for(timeout=60_000)
        # one box per column, each showing the field it was matched to
        for column, field in (("Organisation name", "name"), ("Post Code", "postcode")):
            box = page.get_by_role("combobox", name=column, exact=True)
            assert box.input_value() == field, column
        metrics = page.get_by_test_id("stMetric")
        metrics.nth(2).get_by_text("Rows with errors").wait_for(timeout=60_000)
        # the workspace has no postcode table: only rows with an OSM-known postcode are placed
        assert [[line for line in m.splitlines() if line] for m in metrics.all_inner_texts()] == [
            ["Rows read", "11"],
            ["Ready to import", "2"],
            ["Rows with errors", "9"],
        ]
        page.get_by_text("How categories were matched").click()
        categories = page.get_by_test_id("stExpander").get_by_test_id("stDataFrame")
        categories.wait_for(timeout=30_000)
        go = page.get_by_role("button", name="Import 2 rows as table:rutland_directory.csv")
        assert go.is_disabled()  # rows have errors and "skip" is not ticked
        assert page.get_by_text("Nothing is imported while rows have errors").is_visible()
        page.wait_for_timeout(500)  # the tables finish drawing
        page.screenshot(path=str(artifacts / "import_preview.png"), full_page=True)
    assert len(open_workspace(rutland_workspace).store().assets()) == before
    close_stores()


def _queue_reviews(workspace: Path) -> tuple[str, str]:
    """Run de-duplication on the workspace; return the names of the first queued pair."""
    store = open_workspace(workspace).store()
    deduplicate(store, principal=ADMIN)
    first = review_queue(store, principal=ADMIN).iloc[0]
    names = (str(first["name_a"]), str(first["name_b"]))
    close_stores()
    return names


@pytest.mark.browser
def test_duplicate_review_shows_both_records_on_a_map_and_takes_an_answer(
    browser: Browser, streamlit_url: str, rutland_workspace: Path, artifacts: Path
) -> None:
    name_a, name_b = _queue_reviews(rutland_workspace)
    assert (name_a, name_b) == ("Oakham Medical Practice", "Oakham Medical Practice")
    with _offline_data_page(browser, streamlit_url, height=1300) as page:
        page.get_by_role("tab", name="Duplicates").click(timeout=60_000)
        page.get_by_text("Are these the same place?").wait_for(timeout=60_000)
        page.get_by_text("Record A").wait_for()
        page.get_by_text("Record B").wait_for()
        frame = page.frame_locator(MAP_IFRAME)
        markers = frame.locator("path.leaflet-interactive")
        markers.first.wait_for(state="attached", timeout=60_000)
        page.wait_for_timeout(800)  # Leaflet fits the bounds; the tables finish drawing
        assert markers.count() == 2
        assert (
            "© OpenStreetMap contributors"
            in frame.locator(".leaflet-control-attribution").inner_text()
        )
        tips = set()
        for i in range(2):
            markers.nth(i).hover(force=True)
            tips.add(frame.locator(".leaflet-tooltip").last.inner_text(timeout=10_000))
        assert tips == {f"A: {name_a}", f"B: {name_b}"}
        page.mouse.move(5, 5)  # close the tooltip so both markers show in the screenshot
        frame.locator(".leaflet-tooltip").first.wait_for(state="detached", timeout=10_000)
        reasons = page.get_by_text("Why they may be the same:").inner_text()
        assert "names 100% alike" in reasons
        for label in ("Same", "Different", "Decide later"):
            assert page.get_by_role("button", name=label, exact=True).is_visible()
        page.get_by_text("Are these the same place?").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "duplicate_review.png"), full_page=True)

        page.get_by_role("button", name="Decide later", exact=True).click()
        page.get_by_text("Moved this pair to the end of the queue.").wait_for(timeout=30_000)
    reviews = open_workspace(rutland_workspace).store().records(REVIEW_ENTITY)
    close_stores()
    assert "later" in set(reviews["status"])
