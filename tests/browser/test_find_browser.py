"""Find support in a real browser, offline: ranked list, walking-area map, printed sheet.

A workspace without accounts runs as its local administrator, who may not
search for support, and signing in needs an account. So the server runs a
short entry script (written next to ``streamlit_app.py`` for the test's
duration, so page paths resolve) that puts a staff principal in the session
and then runs the real app. Screenshots: tests/artifacts/find_support.png and
tests/artifacts/support_sheet.png (the downloaded PDF rendered by pdftoppm).
"""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import AxeRun, Offline, choose_need, serve, settle
from playwright.sync_api import Browser
from support import SHARED_DATA, import_rutland, needs_shared_data

from assetmap.ingest.osm import OsmExtract
from assetmap.ingest.postcodes import read_postcodes, save_postcodes
from assetmap.workspace import close_stores

pytestmark = needs_shared_data

ROOT = Path(__file__).resolve().parents[2]
POSTCODES = SHARED_DATA / "postcodes-codepoint-open-2014" / "postcodes_latlon_demo_lads.csv"
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
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
    """A Streamlit server on a Rutland workspace (network + postcodes), signed in as staff."""
    folder = tmp_path_factory.mktemp("find_browser")
    workspace = import_rutland(folder / "rutland", rutland_extract)
    save_postcodes(read_postcodes(POSTCODES), workspace.postcodes_path)
    close_stores()
    entry = ROOT / f"_find_browser_{uuid.uuid4().hex[:8]}.py"
    entry.write_text(ENTRY.format(app=str(ROOT / "streamlit_app.py")), encoding="utf-8")
    try:
        with serve(workspace.path, folder / "server.log", script=entry.name) as url:
            yield url
    finally:
        entry.unlink(missing_ok=True)


@pytest.mark.browser
def test_find_support_lists_maps_and_prints_a_sheet_offline(
    browser: Browser, find_url: str, artifacts: Path, tmp_path: Path, offline: Offline
) -> None:
    context = offline.context(
        browser, viewport={"width": 1400, "height": 1900}, accept_downloads=True
    )
    page = context.new_page()
    try:
        page.goto(f"{find_url}/find_support", wait_until="domcontentloaded")
        page.get_by_text("Find support").first.wait_for(timeout=60_000)
        page.get_by_label("Start point").fill("LE15 6AA")
        for label in ("Education, training and employment", "Health"):
            choose_need(page, label)
        page.get_by_role("button", name="Find support").click()
        page.get_by_text("1. Education, training and employment").wait_for(timeout=60_000)
        frame = page.frame_locator(MAP_IFRAME)
        frame.locator("path.leaflet-interactive").first.wait_for(state="attached", timeout=60_000)
        page.wait_for_timeout(800)
        box = page.locator(MAP_IFRAME).bounding_box()
        assert box is not None
        assert box["height"] == 460  # the map's script ran to the end and sized its frame
        assert frame.locator("path.leaflet-interactive").count() >= 3  # start + services
        assert (
            "© OpenStreetMap contributors"
            in frame.locator(".leaflet-control-attribution").inner_text()
        )
        page.screenshot(path=str(artifacts / "find_support.png"), full_page=True)

        page.get_by_role("button", name="Make a PDF").click()
        with page.expect_download(timeout=60_000) as download:
            page.get_by_role("button", name="Download sheet (PDF)").click()
        pdf = tmp_path / "sheet.pdf"
        download.value.save_as(pdf)

        # A click on the map (west of the start) searches again from that point.
        frame.locator(".leaflet-container").click(position={"x": 330, "y": 260})
        again = page.get_by_role("button", name=re.compile(r"^Search from the clicked point"))
        again.click(timeout=60_000)
        page.get_by_text(re.compile(r"^From 52\.\d{5},-0\.\d{5} \(area LE15 6\)")).wait_for(
            timeout=60_000
        )
        assert re.fullmatch(
            r"52\.\d{5},-0\.\d{5}", page.get_by_role("textbox", name="Start point").input_value()
        )
        page.get_by_text("1. Education, training and employment").wait_for(timeout=60_000)
    finally:
        context.close()
    assert offline.external == []
    assert offline.errors == []
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = subprocess.run(
        ["/usr/bin/pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Places that can help" in text
    assert "Rutland County Library" in text
    assert "Library (books, computers, free wifi)" in text
    assert "LE15 6AA" not in text  # nothing about the person: not even the start point
    subprocess.run(
        ["/usr/bin/pdftoppm", "-png", "-r", "80", "-singlefile", str(pdf),
         str(artifacts / "support_sheet")],
        check=True,
    )  # fmt: skip
    assert (artifacts / "support_sheet.png").stat().st_size > 10_000


@pytest.mark.browser
def test_find_support_results_and_its_error_have_no_serious_axe_violation(
    browser: Browser, find_url: str, artifacts: Path, offline: Offline
) -> None:
    """axe on Find support with a walking network: the results (list, map, sheet choices)
    and an unknown postcode's error, at desktop and phone size. (The axe matrix's
    workspace has no walking network, so there the page shows only its notice.)"""
    run = AxeRun()
    context = offline.context(browser, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{find_url}/find_support", wait_until="domcontentloaded")
        page.get_by_role("textbox", name="Start point").wait_for(timeout=60_000)
        for start, shown in (("LE15 6AA", "1. "), ("LE15 6ZZ", None)):
            page.get_by_role("textbox", name="Start point").fill(start)
            if shown:
                choose_need(page, "Health")
            page.get_by_role("button", name="Find support").click()
            if shown:
                page.get_by_text("1. Health").wait_for(timeout=60_000)
            else:
                page.locator('[data-testid="stAlert"]').first.wait_for(timeout=60_000)
            settle(page)
            for size, viewport in (("desktop", (1366, 900)), ("phone", (390, 844))):
                page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
                page.wait_for_timeout(400)
                run.check(page, f"Staff · Find support {start} @ {size}")
            page.screenshot(path=str(artifacts / f"axe_find_support_{start[-3:]}_phone.png"))
            page.set_viewport_size({"width": 1366, "height": 900})
            page.wait_for_timeout(300)
    finally:
        context.close()
    assert run.failing() == [], json.dumps(run.failing(), indent=1)
    assert len(run.checked) == 4
    assert offline.external == []
