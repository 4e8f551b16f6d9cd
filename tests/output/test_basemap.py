"""The offline basemap: streets from the workspace's own network, simplified to a budget."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from support import LEEDS_OSM, needs_shared_data

from assetmap.ingest.osm import read_osm_file
from assetmap.output.basemap import (
    BasemapConfig,
    StreetLines,
    street_box,
    street_lines,
    streets_geojson,
)
from assetmap.output.viz import build_asset_map
from assetmap.reach.network import WalkNetwork
from assetmap.schema import validate_assets


def _network(points: list[tuple[float, float]], edges: list[tuple[int, int]]) -> WalkNetwork:
    lon, lat = (np.array(v, dtype=float) for v in zip(*points, strict=True))
    u, v = (np.array(e, dtype=np.int32) for e in zip(*edges, strict=True))
    return WalkNetwork(np.arange(len(points), dtype=np.int64), lon, lat, u, v,
                       np.ones(len(edges)))  # fmt: skip


@pytest.fixture
def crossroads_and_lane() -> WalkNetwork:
    """A crossroads (four arms from node 0) and, apart, a straight lane of three edges."""
    points = [
        (-0.7270, 52.6700), (-0.7270, 52.6710), (-0.7270, 52.6690), (-0.7255, 52.6700),
        (-0.7285, 52.6700),
        (-0.7000, 52.6800), (-0.6990, 52.6800), (-0.6980, 52.6800), (-0.6970, 52.6800),
    ]  # fmt: skip
    edges = [(0, 1), (0, 2), (0, 3), (0, 4), (5, 6), (6, 7), (7, 8)]
    return _network(points, edges)


def test_streets_join_at_two_way_nodes_and_break_at_junctions(crossroads_and_lane):
    streets = street_lines(crossroads_and_lane)
    assert len(streets.lines) == 5  # four arms + one lane
    lane = [line for line in streets.lines if line[0][1] < -0.69 and line[0][1] > -0.71]
    assert [sorted(p[1] for p in line) for line in lane] == [[-0.7, -0.697]]  # straight: 2 points
    assert streets.n_points == 10


def test_small_wiggles_are_simplified_away_but_kept_at_zero_tolerance():
    # A lane with a 1 m kink in the middle (0.000009 degrees of latitude).
    net = _network([(-0.70, 52.68), (-0.699, 52.680009), (-0.698, 52.68)], [(0, 1), (1, 2)])
    assert street_lines(net).n_points == 2
    exact = street_lines(net, config=BasemapConfig(tolerance_m=0, decimals=6))
    assert exact.lines == [[[52.68, -0.7], [52.680009, -0.699], [52.68, -0.698]]]


@needs_shared_data
def test_leeds_streets_fit_the_point_budget_and_the_bbox():
    network = read_osm_file(LEEDS_OSM).network
    full = street_lines(network)
    assert full.tolerance_m == 4.0
    assert 0 < full.n_points < 2 * network.n_edges
    small = street_lines(network, config=BasemapConfig(max_points=300))
    assert small.n_points <= 300
    assert small.tolerance_m > 4.0
    assert small.n_dropped > 0
    assert len(small.lines) + small.n_dropped == len(full.lines)
    lon, lat = float(np.median(network.lon)), float(np.median(network.lat))
    corner = street_lines(network, bbox=(lon - 0.001, lat - 0.001, lon + 0.001, lat + 0.001))
    assert 0 < len(corner.lines) < len(full.lines)


def test_empty_network_gives_no_lines():
    none = np.array([], dtype=np.int32)
    net = WalkNetwork(np.array([1]), np.array([0.0]), np.array([51.0]), none, none, np.array([]))
    assert street_lines(net) == StreetLines([], 4.0, 0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"tolerance_m": -1}, "tolerance_m"), ({"max_points": 1}, "max_points"),
     ({"decimals": 9}, "decimals")],
)  # fmt: skip
def test_bad_config_names_the_field(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        BasemapConfig(**kwargs)  # type: ignore[arg-type]


def test_map_draws_streets_under_the_markers(crossroads_and_lane):
    streets = street_lines(crossroads_and_lane)
    assets = validate_assets(
        pd.DataFrame({"name": ["Oakham Library"], "lon": [-0.727], "lat": [52.67],
                      "categories": ["library"]})
    )  # fmt: skip
    page = build_asset_map(assets, streets=streets).get_root().render()
    assert 'createPane("assetmapStreets")' in page
    assert json.dumps(streets.lines, separators=(",", ":")) in page
    assert "interactive: false" in page
    assert "assetmapStreets" not in build_asset_map(assets).get_root().render()
    geo = streets_geojson(streets)
    assert len(geo["features"][0]["geometry"]["coordinates"]) == 5


def test_street_box_holds_the_area_and_the_start_with_a_margin_snapped_outward():
    area = (-0.735, 52.664, -0.721, 52.676)
    west, south, east, north = street_box(area, (-0.70, 52.67), margin_m=1_000)
    assert west <= -0.735 - 0.0148
    assert east >= -0.70 + 0.0148
    assert south <= 52.664 - 0.0089
    assert north >= 52.676 + 0.0089
    assert all(round(v * 100, 6).is_integer() for v in (west, south, east, north))
    assert street_box(area, (-0.73, 52.67)) == street_box(area, (-0.7301, 52.6702))  # one key
    assert street_box(area, (-0.73, 52.67), margin_m=0) == (-0.74, 52.66, -0.72, 52.68)
