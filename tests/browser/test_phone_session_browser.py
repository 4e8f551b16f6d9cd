"""A participant on a phone (390 x 844): keyboard only, pins in few taps, big enough targets.

Runs on the Rutland workspace server (``streamlit_url``) with the network
blocked. Screenshots: tests/artifacts/phone_*.png.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from browser_support import Offline, new_session_code
from browser_support import settle as _settle
from playwright.sync_api import Browser, BrowserContext, Locator, Page

from assetmap.wording import W

PHONE = {"width": 390, "height": 844}
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
TIMEOUT_MS = 30_000
MIN_TARGET_PX = 44
# Words and codes a participant must never see, and raw coordinates (52.66934, -0.7258).
FORBIDDEN = re.compile(
    r"\b(?:[Aa]ssets?|[Pp]roposed|[Pp]roposals?|[Mm]oderation|None|for_whom|nan|GLM)\b"
    r"|-?\d{1,3}\.\d{4,}"
)
_POPUPS_JS = """() => { const texts = [];
    window.map.eachLayer((layer) => { const p = layer.getPopup && layer.getPopup();
        if (p) { const d = document.createElement('div'); d.innerHTML = p.getContent();
                 texts.push(d.innerText || d.textContent); } });
    return texts; }"""


def _open_join(context: BrowserContext, url: str) -> Page:
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{url}/session", wait_until="domcontentloaded")
    page.get_by_role("textbox", name=W["join_label"]).wait_for()
    _settle(page)
    return page


def _focused_name(page: Page) -> str:
    return str(
        page.evaluate(
            """() => { const e = document.activeElement;
            return e ? (e.getAttribute('aria-label') || e.innerText || e.value || e.tagName)
                     : ''; }"""
        )
    )


def _tab_to(page: Page, name: str, *, limit: int = 60) -> None:
    """Press Tab until the focused element's accessible name starts with ``name``."""
    for _ in range(limit):
        if _focused_name(page).strip().startswith(name):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"Tab never reached {name!r} (at {_focused_name(page)!r}).")


def _gap_below(button: Locator, message: Locator) -> float:
    """Pixels from the bottom of ``button`` to the top of the alert holding ``message``."""
    message.page.wait_for_timeout(300)
    alert = message.page.locator('[data-testid="stAlert"]').filter(has=message)
    b, m = button.bounding_box(), alert.bounding_box()
    assert b is not None
    assert m is not None
    return m["y"] - (b["y"] + b["height"])


def _marker_inside_the_map(page: Page, *, selector: str = "path.leaflet-interactive") -> Any:
    """The bounding box of a marker well inside the map's frame, scrolled into view."""
    frame = page.frame_locator(MAP_IFRAME)
    markers = frame.locator(selector)
    markers.first.wait_for(state="attached")
    page.locator(MAP_IFRAME).scroll_into_view_if_needed()
    page.wait_for_timeout(1000)  # Leaflet fits the view to the markers
    box = page.locator(MAP_IFRAME).bounding_box()
    assert box is not None
    bottom = min(box["y"] + box["height"], PHONE["height"]) - 40
    for i in range(markers.count()):
        m = markers.nth(i).bounding_box()
        if m and 6 < m["width"] < 40 and box["x"] + 40 < m["x"] \
                and m["x"] + m["width"] < box["x"] + box["width"] - 40 \
                and box["y"] + 60 < m["y"] and m["y"] + m["height"] < bottom:  # fmt: skip
            return m
    pytest.fail("No marker well inside the map.")


@pytest.mark.browser
def test_join_and_add_a_place_by_keyboard_alone_without_the_map(
    browser: Browser, streamlit_url: str, rutland_workspace: Path, artifacts: Path,
    offline: Offline,
) -> None:  # fmt: skip
    code = new_session_code(rutland_workspace, "Phone group")
    context = offline.context(browser, viewport=PHONE, has_touch=True, is_mobile=True)
    try:
        page = _open_join(context, streamlit_url)
        _tab_to(page, W["join_label"])
        page.keyboard.type(code)
        page.keyboard.press("Enter")  # submits the join form
        page.get_by_text(W["map_heading"]).wait_for()
        _settle(page)
        page.screenshot(path=str(artifacts / "phone_1_joined.png"))
        _tab_to(page, W["find_label"])
        page.keyboard.type("Catmos Street")
        page.keyboard.press("Enter")
        _settle(page)
        _tab_to(page, W["find_use"])
        page.keyboard.press("Enter")
        page.get_by_text("The pin is near").wait_for()
        _settle(page)
        page.screenshot(path=str(artifacts / "phone_2_pin_by_keyboard.png"))
        _tab_to(page, W["skip_map"])
        page.keyboard.press("Enter")  # past the map's controls, to the forms
        page.wait_for_timeout(300)
        _tab_to(page, W["place_name"])
        page.keyboard.type("Catmos Street Drop-in")
        page.keyboard.press("Enter")
        _settle(page)
        _tab_to(page, W["place_save"], limit=80)
        page.keyboard.press("Enter")
        saved = page.get_by_text("Saved: Catmos Street Drop-in")
        saved.wait_for()
        _settle(page)
        saved.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "phone_3_saved_by_keyboard.png"))
        assert 0 <= _gap_below(page.get_by_role("button", name=W["place_save"]), saved) < 80
    finally:
        context.close()
    assert offline.external == []


@pytest.mark.browser
def test_pins_by_postcode_and_beside_a_marker_in_four_taps_with_big_targets(
    browser: Browser, streamlit_url: str, rutland_workspace: Path, artifacts: Path,
    offline: Offline,
) -> None:  # fmt: skip
    code = new_session_code(rutland_workspace, "Phone group")
    context = offline.context(browser, viewport=PHONE, has_touch=True, is_mobile=True)
    try:
        page = _open_join(context, streamlit_url)
        page.get_by_role("textbox", name=W["join_label"]).fill(code)
        page.get_by_role("button", name=W["join_button"], exact=True).click()
        page.get_by_text(W["map_heading"]).wait_for()
        _settle(page)

        # Touch targets on the session page: every button, tab and text box >= 44 x 44 px.
        small = []
        targets = page.locator('[data-testid="stMain"]').locator(
            'button[data-testid^="stBaseButton"]:visible, [role="tab"]:visible, '
            '[data-testid="stTextInput"] input:visible, textarea:visible, '
            '[data-baseweb="select"] > div:visible, '
            '[data-testid="stRadio"] label:visible, [data-testid="stCheckbox"] label:visible'
        )  # a radio's or checkbox's whole label is its target
        for i in range(targets.count()):
            box = targets.nth(i).bounding_box()
            if box and (box["width"] < MIN_TARGET_PX or box["height"] < MIN_TARGET_PX):
                small.append((targets.nth(i).get_attribute("aria-label")
                              or targets.nth(i).inner_text(), box))  # fmt: skip
        assert small == [], small
        sizes = page.evaluate(
            """() => [...document.querySelectorAll('[data-testid="stMain"] p, '
                   + '[data-testid="stMain"] label, [data-testid="stMain"] input')]
                .filter((e) => e.offsetParent !== null && ([...e.childNodes].some(
                    (n) => n.nodeType === 3 && n.textContent.trim()) || e.value))
                .map((e) => [parseFloat(getComputedStyle(e).fontSize),
                             e.getAttribute('data-testid') || e.tagName,
                             e.innerText.slice(0, 40)])"""
        )
        assert [s for s in sizes if s[0] < 16] == []
        # No tab hidden behind a scroll arrow: the tab row wraps, every tab is on screen.
        tab_list = page.locator('[data-testid="stTabs"] [role="tablist"]').first
        assert tab_list.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
        for tab in page.get_by_role("tab").all():
            box = tab.bounding_box()
            assert box is not None
            assert box["x"] >= 0, tab.inner_text()
            assert box["x"] + box["width"] <= PHONE["width"], tab.inner_text()

        # By postcode: (1) type it, (2) put the pin, (3) type the name, (4) save.
        page.get_by_role("textbox", name=W["find_label"]).fill("LE15 6")  # tap 1 (and type)
        page.keyboard.press("Enter")
        _settle(page)
        page.get_by_role("button", name=W["find_use"]).click()  # tap 2
        page.get_by_text("The pin is near").wait_for()
        _settle(page)
        page.get_by_role("textbox", name=W["place_name"]).fill("Postcode Club")  # tap 3
        page.get_by_role("button", name=W["place_save"]).click()  # tap 4
        saved = page.get_by_text("Saved: Postcode Club")
        saved.wait_for()
        _settle(page)
        assert 0 <= _gap_below(page.get_by_role("button", name=W["place_save"]), saved) < 80
        saved.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "phone_4_saved_by_postcode.png"))
        assert page.get_by_text("The pin is").count() == 0  # cleared after the save
        _settle(page)

        # Beside a marker: (1) tap the marker's edge, (2) "pin a new place here", (3) type,
        # (4) save. A tap on a marker asks first: that place, or a new one here.
        target = _marker_inside_the_map(page)
        x = target["x"] + target["width"] - 3  # its edge: a finger covers it and what is beside it
        y = target["y"] + target["height"] / 2
        page.screenshot(path=str(artifacts / "phone_5a_before_tap.png"))
        page.mouse.click(x, y)  # tap 1
        page.get_by_text("You tapped").wait_for()
        _settle(page)
        page.screenshot(path=str(artifacts / "phone_5b_tapped_a_marker.png"))
        assert page.get_by_role("button", name="💬 Say something about").count() == 1
        assert page.get_by_text("The pin is").count() == 0  # nothing placed without asking
        page.get_by_role("button", name=W["tapped_pin"]).click()  # tap 2
        page.get_by_text("The pin is").wait_for()
        _settle(page)
        page.screenshot(path=str(artifacts / "phone_5_pin_beside_marker.png"))
        page.get_by_role("textbox", name=W["place_name"]).fill("Beside The Marker")  # tap 3
        page.get_by_role("button", name=W["place_save"]).click()  # tap 4
        saved = page.get_by_text("Saved: Beside The Marker")
        saved.wait_for()
        _settle(page)
        assert 0 <= _gap_below(page.get_by_role("button", name=W["place_save"]), saved) < 80
        saved.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "phone_6_saved_beside_marker.png"))
        assert page.get_by_text("The pin is").count() == 0  # cleared after the save

        # Pin mode (the crosshair): (1) switch it on, (2) tap right on a marker: the tap goes
        # to the map and the pin is there at once, no question; (3) type, (4) save.
        page.get_by_text(W["pin_mode"]).click()  # tap 1
        _settle(page)
        page.get_by_role("button", name=W["pin_at_cross"]).wait_for()
        page.wait_for_timeout(1000)
        frame = page.frame_locator(MAP_IFRAME)
        assert frame.locator(".assetmap-cross").count() == 1
        assert frame.locator("path.leaflet-interactive").count() == 0  # markers let taps through
        target = _marker_inside_the_map(page, selector="path")
        page.screenshot(path=str(artifacts / "phone_7a_pin_mode.png"))
        page.mouse.click(target["x"] + target["width"] / 2, target["y"] + target["height"] / 2)
        page.get_by_text("The pin is").wait_for()  # tap 2
        _settle(page)
        assert page.get_by_text("You tapped").count() == 0
        page.screenshot(path=str(artifacts / "phone_7_pin_mode_on_a_marker.png"))
        page.get_by_role("textbox", name=W["place_name"]).fill("On Top Of It")  # tap 3
        page.get_by_role("button", name=W["place_save"]).click()  # tap 4
        page.get_by_text("Saved: On Top Of It").wait_for()
        _settle(page)
        assert page.get_by_text("The pin is").count() == 0
        # ... or move the map under the cross and put the pin there.
        page.get_by_role("button", name=W["pin_at_cross"]).click()
        page.get_by_text("The pin is").wait_for()
        _settle(page)
        page.get_by_text("The pin is").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "phone_8_pin_at_the_cross.png"))
        # What a participant reads, on the page and in every marker's popup: no codes,
        # no coordinates, no professional words.
        shown = page.locator("body").inner_text() + "\n".join(
            frame.locator("body").evaluate(_POPUPS_JS)
        )
        assert FORBIDDEN.findall(shown) == []
    finally:
        context.close()
    assert offline.external == []
