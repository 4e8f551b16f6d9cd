"""One colour-vision-safe palette for every map and sheet (issue 15).

Every colour the Map page, the session map, the gap map, the support sheet and
the Easy Read sheet draw must be in :data:`assetmap.output.palette.ALLOWED`;
the pages that draw maps may name no other colour either. A page or renderer
that brings its own colour back (the old Map page's 28 Glasbey colours, the
gap map's red-to-green) fails here.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from assetmap.easy_read import easy_read_html
from assetmap.output.gapmap import build_gap_map
from assetmap.output.palette import ALLOWED, MARKER_SHAPES, OKABE_ITO, marker_style
from assetmap.output.sheet import support_sheet_html
from assetmap.output.viz import add_walk_area, build_asset_map, category_marker
from assetmap.schema import validate_assets
from assetmap.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[2]
# Pages that draw maps or charts: every colour they name must be the palette's.
MAP_PAGES = ("map.py", "session.py", "find_support.py", "dashboard.py")
_HEX = re.compile(r"#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")


def _colours(text: str) -> set[str]:
    """Every ``#rgb``/``#rrggbb`` colour in ``text``, as upper-case ``#RRGGBB``."""
    found = set()
    for raw in _HEX.findall(text):
        digits = raw[1:]
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        found.add("#" + digits.upper())
    return found


@pytest.fixture(scope="module")
def every_category() -> gpd.GeoDataFrame:
    """One asset in each taxonomy category, and one with none."""
    codes = list(load_taxonomy().categories)
    records = [
        {"name": f"Place {i}", "lon": -0.73 + i * 0.001, "lat": 52.67, "categories": [code]}
        for i, code in enumerate(codes)
    ]
    records.append({"name": "No kind", "lon": -0.70, "lat": 52.66, "categories": []})
    return validate_assets(pd.DataFrame(records))


def test_the_register_map_draws_only_palette_colours(every_category):
    fmap = build_asset_map(every_category)
    area = gpd.GeoDataFrame(
        {"minutes": [15.0]}, geometry=[box(-0.74, 52.66, -0.72, 52.68)], crs="EPSG:4326"
    )
    add_walk_area(fmap, area, start=(-0.73, 52.67), minutes=15)
    page = fmap.get_root().render()
    assert _colours(page) - ALLOWED == set()
    assert {category_marker(c).colour for c in load_taxonomy().categories} <= set(
        OKABE_ITO.values()
    )


def test_the_gap_map_draws_only_palette_colours(every_category):
    areas = gpd.GeoDataFrame(
        {
            "area_code": ["E1", "E2", "E3"],
            "area_name": ["Near", "Far", "Nowhere"],
            "minutes": [5.0, 40.0, float("inf")],
            "imd_decile": [1, 3, 8],
        },
        geometry=[box(-0.75, 52.6, -0.7, 52.65), box(-0.7, 52.6, -0.65, 52.65),
                  box(-0.65, 52.6, -0.6, 52.65)],
        crs="EPSG:4326",
    )  # fmt: skip
    sites = gpd.GeoDataFrame(
        {"rank": [1], "name": ["Site"], "new_demand": [3.0]},
        geometry=[Point(-0.72, 52.62)],
        crs="EPSG:4326",
    )
    fmap = build_gap_map(areas, minutes=15, services=every_category, sites=sites, imd_overlay=True)
    assert _colours(fmap.get_root().render()) - ALLOWED == set()


@pytest.fixture(scope="module")
def services() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": [f"Service {i}" for i in range(8)],
            "lon": [-0.72 - i * 0.001 for i in range(8)],
            "lat": [52.67] * 8,
            "minutes": [float(i + 1) for i in range(8)],
            "address": ["Catmos Street, Oakham"] * 8,
            "status": ["proposed"] + ["verified"] * 7,
        }
    )


@pytest.mark.parametrize("sheet", ["standard", "easy_read_en", "easy_read_ar"])
def test_the_support_sheets_draw_only_palette_colours(services, sheet):
    made_on = dt.date(2026, 3, 1)
    start = (-0.725, 52.668)
    if sheet == "standard":
        page = support_sheet_html(services, start=start, made_on=made_on)
    else:
        language = sheet.rsplit("_", 1)[1]
        page = easy_read_html(services, language=language, start=start, made_on=made_on)
    assert _colours(page) - ALLOWED == set()


@pytest.mark.parametrize("name", MAP_PAGES)
def test_pages_that_draw_maps_name_no_colour_of_their_own(name):
    source = (ROOT / "app" / "pages" / name).read_text(encoding="utf-8")
    assert _colours(source) - ALLOWED == set()


def test_no_two_categories_look_alike():
    """28 categories, 7 colours x 4 shapes: each (colour, shape) pair once."""
    styles = [marker_style(i) for i in range(7 * len(MARKER_SHAPES))]
    assert len(set(styles)) == len(styles)
