"""Issue 12 in a real browser: a woman in Uppingham seeking support after domestic abuse.

The workspace is the Rutland OSM extract plus the evaluation directory of services
(tests/match/eval/rutland_services.csv: a women-only group in Uppingham, a domestic
abuse outreach service in Oakham, two hours' walk away). Marked as a woman (who she
is, not a preference), she is offered the women-only group, the national domestic
abuse helpline, and the outreach service beyond the limit; no false gap is offered.
Screenshot: tests/artifacts/find_uppingham.png.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import Offline, serve
from playwright.sync_api import Browser
from support import SHARED_DATA, import_rutland

from assetmap.cli import main
from assetmap.ingest.osm import OsmExtract
from assetmap.ingest.postcodes import read_postcodes, save_postcodes
from assetmap.workspace import close_stores

ROOT = Path(__file__).resolve().parents[2]
POSTCODES = SHARED_DATA / "postcodes-codepoint-open-2014" / "le.csv"
SERVICES = ROOT / "tests" / "match" / "eval" / "rutland_services.csv"
ENTRY = """import runpy
import streamlit as st
from assetmap.access import Principal, Role
st.session_state.setdefault("assetmap.principal", Principal("ana", Role.STAFF))
runpy.run_path({app!r}, run_name="__main__")
"""


@pytest.fixture(scope="module")
def find_url(
    tmp_path_factory: pytest.TempPathFactory, rutland_extract: OsmExtract
) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("find_uppingham")
    workspace = import_rutland(folder / "rutland", rutland_extract)
    save_postcodes(read_postcodes(POSTCODES), workspace.postcodes_path)
    close_stores()
    assert main(["--no-progress", "import", str(workspace.path), str(SERVICES)]) == 0
    close_stores()
    entry = ROOT / f"_find_uppingham_{uuid.uuid4().hex[:8]}.py"
    entry.write_text(ENTRY.format(app=str(ROOT / "streamlit_app.py")), encoding="utf-8")
    try:
        with serve(workspace.path, folder / "server.log", script=entry.name) as url:
            yield url
    finally:
        entry.unlink(missing_ok=True)


@pytest.mark.browser
def test_uppingham_woman_gets_the_women_only_group_a_helpline_and_the_service_beyond(
    browser: Browser, find_url: str, artifacts: Path, offline: Offline
) -> None:
    context = offline.context(browser, viewport={"width": 1400, "height": 1700})
    page = context.new_page()
    try:
        page.goto(f"{find_url}/find_support", wait_until="domcontentloaded")
        page.get_by_text("Find support").first.wait_for(timeout=60_000)
        page.get_by_label("Start point").fill("LE15 9QH")
        page.get_by_label("Or in the person's words").fill("domestic abuse support")
        page.locator('[data-testid="stSelectbox"]').filter(has_text="The person is").click()
        page.get_by_role("option", name="a woman", exact=True).click()
        page.get_by_role("button", name="Find support").click()
        page.get_by_text("1. domestic abuse support").wait_for(timeout=60_000)
        body = page.locator("body")
        helpline = page.get_by_text("National Domestic Abuse Helpline (Refuge)")
        helpline.first.wait_for(timeout=30_000)
        assert "0808 2000 247" in body.inner_text()
        beyond = page.get_by_text("Also fits, further away: Rutland Domestic Abuse Outreach")
        beyond.wait_for(timeout=30_000)
        assert "minutes' walk away" in beyond.inner_text()
        # The women-only group is offered: it is among the chosen services (the table
        # itself draws on a canvas; its contents are checked by AppTest).
        chosen = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Chosen services")
        chosen.get_by_text("Uppingham Women's Wellbeing Group").wait_for(timeout=30_000)
        text = body.inner_text()
        assert "Nothing fits" not in text
        assert page.get_by_role("button", name="Record this gap").count() == 0
        frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
        frame.locator("path.leaflet-interactive").first.wait_for(state="attached", timeout=60_000)
        page.wait_for_timeout(800)
        page.screenshot(path=str(artifacts / "find_uppingham.png"), full_page=True)
    finally:
        context.close()
    assert offline.external == []
    assert offline.errors == []
