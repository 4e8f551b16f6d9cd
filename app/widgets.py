"""Widgets the pages share: workspace message, tile choice, asset filters, the map.

``md_escape`` (from :mod:`assetmap.safe_text`) is the one way pages show what
people typed through Markdown. Widgets read and write ``st.session_state`` only
through the keys in :mod:`app.state`; they call the core (``assetmap``) and hold no domain logic.
"""

from __future__ import annotations

from typing import Any, Final

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from app import state
from assetmap.output.basemap import StreetLines
from assetmap.output.export import neutralise_formula
from assetmap.output.viz import LEAFLET_VERSION, TileConfig, build_asset_map, tiles_from_setting
from assetmap.safe_text import md_escape as md_escape  # the one escaper, for pages
from assetmap.schema import KINDS, STATUSES
from assetmap.taxonomy import Taxonomy

OSM_CREDIT: Final = "Map data © OpenStreetMap contributors, available under the ODbL."

_TILE_LABELS: Final = {
    "none": "Offline streets (no internet)",
    "osm": "OpenStreetMap (online)",
    "url": "Local basemap",
}


def no_workspace_message() -> None:
    """Explain how to open the app on a workspace."""
    st.info(
        "**No workspace is open.** A workspace is a folder holding one area's register "
        "of community assets.\n\n"
        "To try assetmap on real OpenStreetMap data, build the demo workspace and open it:\n\n"
        "```\nassetmap demo\nassetmap app demo-workspace\n```\n\n"
        "For your own area, create a workspace from an OpenStreetMap extract and open it:\n\n"
        "```\nassetmap init WORKSPACE --osm area.osm.pbf\nassetmap app WORKSPACE\n```\n\n"
        f"(`assetmap app` sets `{state.WORKSPACE_ENV}` for you.)",
        icon=":material/folder_open:",
    )


def tile_choice(workspace_default: str | None = None) -> TileConfig:
    """Show the background-map choice in the sidebar and return it.

    The default comes from ``ASSETMAP_TILES`` (``none``, ``osm`` or a URL
    template), else the workspace setting, else ``none`` so the map works offline.
    """
    setting, attribution = state.tiles_setting()
    try:
        configured = tiles_from_setting(setting or workspace_default, attribution=attribution)
    except ValueError as exc:
        st.sidebar.warning(f"{exc} Showing no background map.")
        configured = TileConfig()
    options = ["none", "osm"] + (["url"] if configured.kind == "url" else [])
    choice = st.sidebar.selectbox(
        "Background map",
        options,
        index=options.index(configured.kind),
        format_func=_TILE_LABELS.__getitem__,
        key=state.MAP_TILES,
        help="OpenStreetMap tiles load from the internet. With none, the markers still "
        "show on a plain background.",
    )
    if choice == configured.kind:
        return configured
    return TileConfig("osm") if choice == "osm" else TileConfig("none")


def _value_filter(
    where: Any, values: Any, order: tuple[str, ...], *, label: str, key: str, placeholder: str
) -> list[str]:
    """Multiselect over the values present, in schema order, capitalised."""
    present = {str(v) for v in values if v is not None}
    options = [v for v in order if v in present] + sorted(present.difference(order))
    return list(
        where.multiselect(
            label,
            options,
            format_func=str.capitalize,
            key=key,
            placeholder=placeholder,
        )
    )


def asset_filters(assets: gpd.GeoDataFrame, taxonomy: Taxonomy) -> dict[str, Any]:
    """Show the register filters and return them as keywords for ``filter_assets``."""
    present = {code for codes in assets["categories"] for code in codes or ()}
    category_options = [c for c in taxonomy.categories if c in present]
    category_options += sorted(present.difference(taxonomy.categories))

    def category_label(code: str) -> str:
        known = taxonomy.categories.get(code)
        return known.plain_label if known else code

    first, second, third, fourth = st.columns([3, 2, 2, 3])
    categories = first.multiselect(
        "What kind of place or support",
        category_options,
        format_func=category_label,
        key=state.MAP_CATEGORIES,
        placeholder="All categories",
    )
    kinds = _value_filter(
        second, assets["kind"], KINDS, label="Kind", key=state.MAP_KINDS, placeholder="All kinds"
    )
    statuses = _value_filter(
        third,
        assets["status"],
        STATUSES,
        label="Status",
        key=state.MAP_STATUSES,
        placeholder="All statuses",
    )
    name = fourth.text_input("Name contains", key=state.MAP_NAME, placeholder="e.g. library")
    return {"categories": categories, "kinds": kinds, "statuses": statuses, "name_contains": name}


def leaflet_url() -> str:
    """Return where this server serves the vendored Leaflet (honours ``server.baseUrlPath``)."""
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"{'/' + base if base else ''}/app/static/vendor/leaflet"


@st.fragment
def asset_map(
    assets: gpd.GeoDataFrame,
    *,
    taxonomy: Taxonomy,
    tiles: TileConfig,
    streets: StreetLines | None = None,
    height: int = 560,
) -> None:
    """Draw the assets on a map; panning and zooming do not rerun the page.

    ``streets`` (the workspace's own OSM streets) are drawn under the markers;
    pass them when there is no tile background, so the map has streets offline.
    """
    if not st.get_option("server.enableStaticServing"):
        st.warning(
            f"Static file serving is off, so the map cannot load Leaflet {LEAFLET_VERSION}. "
            "Run the app from the project folder (its `.streamlit/config.toml` turns it on) "
            "or pass `--server.enableStaticServing true`.",
            icon=":material/warning:",
        )
    fmap = build_asset_map(
        assets,
        taxonomy=taxonomy,
        tiles=tiles,
        leaflet_url=leaflet_url(),
        streets=streets,
    )
    st_folium(
        fmap,
        key="asset_map",
        height=height,
        use_container_width=True,
        returned_objects=[],
    )
    st.caption(OSM_CREDIT)


_TOUCH_CSS: Final = """
<style>
div.stButton > button, div.stDownloadButton > button, div.stFormSubmitButton > button {
    min-height: 3.2rem; font-size: 1.15rem; padding: 0.5rem 1.4rem;
}
div[data-testid="stTextInput"] input, div[data-testid="stTextArea"] textarea,
div[data-testid="stNumberInput"] input { font-size: 1.15rem; min-height: 2.8rem; }
div[data-baseweb="select"] > div { min-height: 2.8rem; font-size: 1.1rem; }
button[data-testid^="stBaseButton"] p { font-size: 1.15rem; }
[data-testid="stSelectbox"] input, [data-testid="stMultiSelect"] input { font-size: 1.1rem; }
[data-testid="stWidgetLabel"] p { font-size: 1.1rem; }
[data-testid="stTab"] { min-height: 3rem; padding: 0 0.9rem; }
[data-testid="stTab"] p { font-size: 1.2rem; }
[data-testid="stRadio"] label, [data-testid="stCheckbox"] label {
    min-height: 2.8rem; display: flex; align-items: center; min-width: 2.8rem;
}
[data-testid="stRadio"] label p, [data-testid="stCheckbox"] label p { font-size: 1.1rem; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { font-size: 1rem; }
[data-testid="stTooltipHoverTarget"] svg { width: 1.4rem; height: 1.4rem; }
</style>
"""
# On every page (docs/accessibility.md): Streamlit's date and time segments are 9-20 px wide, under
# WCAG 2.2's 24 px target size; tabs wrap onto a second row instead of hiding behind a scroll
# arrow on a phone; keyboard focus is always drawn; captions are grey (7.9:1) instead of
# Streamlit's 60% opacity, under which inline code falls to 3.1:1.
_ACCESSIBLE_CSS: Final = """
<style>
[data-testid="stDateInput"] [role="spinbutton"], [data-testid="stTimeInput"] [role="spinbutton"] {
    display: inline-block; min-width: 24px; min-height: 24px; text-align: center;
}
[data-testid="stTabs"] [role="tablist"], [data-baseweb="tab-list"] {
    flex-wrap: wrap; overflow-x: visible !important; row-gap: 0.25rem;
}
[data-baseweb="tab-list"] + div [data-baseweb="tab-border"] { display: none; }
:focus-visible { outline: 3px solid #1f5fa8 !important; outline-offset: 2px; }
[data-testid="stCaptionContainer"] { opacity: 1 !important; color: #4d4d4d !important; }
[data-testid="stMarkdownContainer"] code { color: #174d2a !important; }
</style>
"""
# On a narrow screen (a phone, or a window zoomed to 200%) the sidebar covers the page.
# Streamlit closes it after a page is chosen only when the browser says it is a phone
# (user agent); this closes it by the screen's width instead. Fixed text, no data in it.
_MENU_CLOSES_JS: Final = """
<script>
(function () {
    if (window.__assetmapMenuCloses) { return; }
    window.__assetmapMenuCloses = true;
    document.addEventListener("click", function (event) {
        var link = event.target.closest && event.target.closest('[data-testid="stSidebarNav"] a');
        if (!link || !window.matchMedia("(max-width: 767.98px)").matches) { return; }
        setTimeout(function () {
            var button = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
            if (button && button.getAttribute("aria-expanded") === "true") { button.click(); }
        }, 350);
    }, true);
})();
</script>
"""
# The "High contrast" choice: black on white, thick borders, yellow-and-black focus, underlined
# links, no faded text.
_HIGH_CONTRAST_CSS: Final = """
<style>
.stApp, .stApp p, .stApp label, .stApp li, .stApp span,
.stApp div[data-testid="stCaptionContainer"],
[data-testid="stSidebar"] * { color: #000 !important; }
.stApp { background: #fff !important; }
.stApp a { text-decoration: underline !important; color: #0000c8 !important; }
.stApp input, .stApp textarea, div[data-baseweb="select"] > div {
    border: 2px solid #000 !important; background: #fff !important;
}
.stApp button { border: 2px solid #000 !important; }
.stApp button[kind="primary"], .stApp button[data-testid="stBaseButton-primary"],
.stApp button[data-testid="stBaseButton-primaryFormSubmit"] {
    background: #000 !important; color: #fff !important;
}
.stApp button[kind="primary"] *, .stApp button[data-testid^="stBaseButton-primary"] * {
    color: #fff !important;
}
:focus-visible { outline: 4px solid #000 !important; box-shadow: 0 0 0 7px #ffd400 !important; }
</style>
"""


def accessible_style() -> None:
    """Add the accessibility fixes every page needs, and the high-contrast choice.

    The fixes: CSS (:data:`_ACCESSIBLE_CSS`) and a script that closes the menu
    after a page is chosen on a narrow screen.

    The choice sits at the foot of the sidebar and is kept for the browser session.
    """
    st.markdown(_ACCESSIBLE_CSS, unsafe_allow_html=True)
    st.sidebar.html(_MENU_CLOSES_JS, unsafe_allow_javascript=True)
    if st.sidebar.toggle(
        "High contrast",
        key=state.HIGH_CONTRAST,
        help="Black on white with thick borders and a strong focus ring.",
    ):
        st.markdown(_HIGH_CONTRAST_CSS, unsafe_allow_html=True)


def touch_friendly_style() -> None:
    """Make buttons, inputs and tabs big enough for a tablet or a projector (static CSS)."""
    st.markdown(_TOUCH_CSS, unsafe_allow_html=True)


def every_row(rows: int) -> int:
    """The height in pixels that shows ``rows`` rows of a table and its header, no inner scroll.

    Streamlit's grid draws rows 35 px high, plus a 3 px border.
    """
    return 35 * (rows + 1) + 3


def table(data: Any, *, into: Any = None, **options: Any) -> Any:
    """Show ``data`` with ``st.dataframe``, its text made safe for the toolbar's CSV download.

    Streamlit's table toolbar downloads what it shows as CSV; text that a
    spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` ...) gets
    the same leading apostrophe as the core's exports
    (:func:`assetmap.output.export.neutralise_formula`). Every page shows tables
    through this (``tests/app/test_pages_ask_the_core.py`` checks); ``into``
    is a container (a column, the sidebar) to draw it in.
    """
    frame = pd.DataFrame(data)
    text = [
        name
        for name in frame.columns
        if frame[name].dtype == object or pd.api.types.is_string_dtype(frame[name])
    ]
    if text:
        frame = frame.copy()
        frame[text] = frame[text].map(neutralise_formula)
    return (into or st).dataframe(frame, **options)
