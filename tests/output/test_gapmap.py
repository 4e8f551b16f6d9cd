"""The gap map: layer order the browser needs, suppressed gap counts, escaped text."""

from __future__ import annotations

import re

import folium
import geopandas as gpd
import pandas as pd
from shapely.geometry import Point, box

from assetmap.output.gapmap import build_gap_map, gap_legend
from assetmap.schema import validate_assets


def two_areas() -> gpd.GeoDataFrame:
    """One area within reach with one gap report, one beyond it with five."""
    return gpd.GeoDataFrame(
        {
            "area_code": ["E01A", "E01B"],
            "area_name": ["North <b>end</b>", "South"],
            "minutes": [7.5, float("inf")],
            "imd_decile": [2, 9],
            "n_gaps": [1, 5],
        },
        geometry=[box(-0.74, 52.66, -0.72, 52.68), box(-0.74, 52.64, -0.72, 52.66)],
        crs="EPSG:4326",
    )


def one_gp() -> gpd.GeoDataFrame:
    return validate_assets(
        pd.DataFrame(
            [{"name": "Oakham surgery", "categories": ("gp_health",), "lon": -0.73, "lat": 52.67}]
        )
    )


def sites() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"rank": [1], "name": ["Village <hall>"], "new_demand": [12.0]},
        geometry=[Point(-0.73, 52.65)],
        crs="EPSG:4326",
    )


def test_layer_control_comes_last_and_services_sit_above_the_areas():
    fmap = build_gap_map(
        two_areas(), minutes=15, services=one_gp(), sites=sites(), imd_overlay=True
    )
    children = list(fmap._children.values())
    controls = [i for i, c in enumerate(children) if isinstance(c, folium.LayerControl)]
    listed = [
        i for i, c in enumerate(children) if isinstance(c, folium.GeoJson | folium.FeatureGroup)
    ]
    # In the browser a layer defined after the control is undefined when the control's
    # script runs, and the whole map stays blank.
    assert len(controls) == 1
    assert controls[0] > max(listed)
    layers = [re.sub(r"<svg.*?</svg>", "", children[i].layer_name) for i in listed]
    assert layers == [
        "Minutes on foot to the nearest",
        "IMD 2019 decile",
        "Doctor or health centre (1)",
        "Suggested sites",
    ]


def test_gap_counts_below_five_are_suppressed_and_text_is_escaped():
    html_text = build_gap_map(two_areas(), minutes=15, sites=sites()).get_root().render()
    assert '"gaps": "\\u0026lt;5"' in html_text  # "&lt;5", shown as the text "<5"
    assert '"gaps": "5"' in html_text
    assert '"gaps": "1"' not in html_text
    assert "<b>end</b>" not in html_text
    assert "Village <hall>" not in html_text
    assert '"walk": "no service found within the search"' in html_text


def test_legend_classes_are_multiples_of_the_limit():
    assert [label for label, _ in gap_legend(20)] == [
        "up to 10 min",
        "up to 20 min",
        "up to 30 min",
        "up to 40 min",
        "over 40 min",
        "no service found within the search",
    ]


def test_area_coordinates_reach_the_page_rounded_to_about_a_metre():
    """Full doubles doubled the gap map's payload; rounding keeps every vertex and area."""
    from shapely.geometry import Polygon

    fine = two_areas()
    fine.geometry = [
        Polygon([(-0.741234567891, 52.66), (-0.72, 52.660987654321), (-0.73, 52.68)]),
        box(-0.74, 52.64, -0.72, 52.66),
    ]
    html_text = build_gap_map(fine, minutes=15).get_root().render()
    assert "-0.741234567891" not in html_text
    assert "52.660987654321" not in html_text
    assert "[-0.74123, 52.66]" in html_text
    assert "[-0.72, 52.66099]" in html_text
    assert html_text.count('"walk":') == 2  # both areas, same fields
