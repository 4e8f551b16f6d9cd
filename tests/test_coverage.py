"""Coverage of needs on foot (assetmap.coverage).

Exact expectations on a 3 x 3 street grid with 100 m blocks (75 s each at
4.8 km/h) and on Rutland's real network and OSM assets, checked against an
independent networkx Dijkstra.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from pyproj import Transformer
from shapely.geometry import Point
from support import RUTLAND_PBF

from assetmap.coverage import accessible_range, asset_categories, category_node_seconds
from assetmap.errors import SchemaError
from assetmap.ingest.osm import OsmExtract, read_osm_file
from assetmap.network import WalkConfig, WalkGraph, WalkNetwork, build_walk_graph, snap_points

EAST0, NORTH0 = 486_000.0, 308_800.0  # Oakham, British National Grid
TO_LONLAT = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def at(east: list[float], north: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 coordinates of points given in metres from the grid's corner node."""
    lon, lat = TO_LONLAT.transform(EAST0 + np.asarray(east), NORTH0 + np.asarray(north))
    return np.asarray(lon), np.asarray(lat)


def street_grid(n: int, block_m: float) -> WalkGraph:
    """An n x n street grid; node ``n * r + c`` at (block_m c, block_m r) metres."""
    index = np.arange(n * n).reshape(n, n)
    east = np.column_stack([index[:, :-1].ravel(), index[:, 1:].ravel()])
    north = np.column_stack([index[:-1, :].ravel(), index[1:, :].ravel()])
    ends = np.concatenate([east, north]).astype(np.int32)
    lon, lat = at(
        (block_m * (index % n)).ravel().tolist(), (block_m * (index // n)).ravel().tolist()
    )
    network = WalkNetwork(
        node_ids=np.arange(1, n * n + 1, dtype=np.int64),
        lon=lon,
        lat=lat,
        edge_u=ends[:, 0],
        edge_v=ends[:, 1],
        length_m=np.full(len(ends), block_m),
    )
    return build_walk_graph(network, config=WalkConfig(min_component_nodes=1))


@pytest.fixture(scope="module")
def grid() -> WalkGraph:
    """Nodes 0..8 at (100 c, 100 r) metres, node = 3 r + c; 12 streets of 100 m."""
    return street_grid(3, 100.0)


def grid_assets(rows: list[tuple[float, float, tuple[str, ...], str]]) -> gpd.GeoDataFrame:
    """Assets at (east, north) metres from node 0 with their categories and status."""
    lon, lat = at([r[0] for r in rows], [r[1] for r in rows])
    return gpd.GeoDataFrame(
        {"categories": [r[2] for r in rows], "status": [r[3] for r in rows]},
        geometry=[Point(x, y) for x, y in zip(lon, lat, strict=True)],
        crs="EPSG:4326",
    )


@pytest.fixture(scope="module")
def town() -> gpd.GeoDataFrame:
    """A library on node 0, a GP and pharmacy on node 2, a food bank 60 m east of node 8
    (a 45 s leg), and an archived dentist on node 4."""
    return grid_assets(
        [
            (0.0, 0.0, ("library",), "verified"),
            (200.0, 0.0, ("gp_health", "pharmacy"), "unverified"),
            (260.0, 200.0, ("food_support",), "verified"),
            (100.0, 100.0, ("dentist",), "archived"),
        ]
    )


def test_range_counts_categories_and_needs_within_the_limit_on_a_grid(grid, town):
    # From node 1 (100 m east of node 0): library 75 s, GP/pharmacy 75 s,
    # food bank 3 blocks + 45 s leg = 270 s; the dentist is archived.
    lon, lat = at([100.0], [0.0])
    within_2 = accessible_range(grid, town, lon, lat, minutes=2)
    assert within_2.loc[0, "categories"] == ("gp_health", "library", "pharmacy")
    assert within_2.loc[0, "needs"] == ("ete", "health")
    assert within_2.loc[0, ["n_categories", "n_needs"]].tolist() == [3, 2]
    just_short = accessible_range(grid, town, lon, lat, minutes=269.9 / 60)
    assert just_short.loc[0, "n_categories"] == 3
    just_over = accessible_range(grid, town, lon, lat, minutes=270.1 / 60)
    assert just_over.loc[0, "categories"] == ("food_support", "gp_health", "library", "pharmacy")
    assert just_over.loc[0, "needs"] == ("ete", "finance_benefit_debt", "health")


def test_range_counts_the_places_own_leg(grid, town):
    # 30 m south of node 0 (a 22.5 s leg): the library is 22.5 s away, the GP 172.5 s.
    lon, lat = at([0.0], [-30.0])
    result = accessible_range(grid, town, lon, lat, minutes=172.4 / 60)
    assert result.loc[0, "categories"] == ("library",)
    assert accessible_range(grid, town, lon, lat, minutes=172.6 / 60).loc[0, "n_categories"] == 3


def test_range_is_the_same_from_few_places_and_from_many(grid, town):
    cols, rows = np.meshgrid(np.arange(0, 201, 50.0), np.arange(0, 201, 50.0))
    lon, lat = at(cols.ravel().tolist(), rows.ravel().tolist())
    together = accessible_range(grid, town, lon, lat, minutes=3)  # per-category searches
    one_by_one = [  # one place at a time: the places x assets matrix
        accessible_range(grid, town, [x], [y], minutes=3).loc[0, "categories"]
        for x, y in zip(lon, lat, strict=True)
    ]
    assert together["categories"].tolist() == one_by_one
    assert set(together["n_categories"]) == {0, 1, 2, 3}  # a real mix, not all empty


def test_range_is_empty_without_assets_or_places(grid, town):
    lon, lat = at([0.0], [0.0])
    empty = accessible_range(grid, town.iloc[:0], lon, lat, minutes=30)
    assert empty.loc[0, "categories"] == ()
    assert empty.loc[0, "n_needs"] == 0
    assert len(accessible_range(grid, town, [], [], minutes=30)) == 0


def test_range_rejects_projected_assets_and_bad_limits(grid, town):
    lon, lat = at([0.0], [0.0])
    with pytest.raises(SchemaError, match="CRS must be 'EPSG:4326'"):
        accessible_range(grid, town.to_crs(27700), lon, lat, minutes=5)
    with pytest.raises(ValueError, match="`minutes` must be a finite number >= 0"):
        accessible_range(grid, town, lon, lat, minutes=-1)


def test_category_times_are_inf_for_a_category_with_no_asset(grid, town):
    table = category_node_seconds(grid, town, minutes=None, categories=["library", "justice"])
    assert list(table) == ["library", "justice"]
    assert table["library"].tolist() == [0, 75, 150, 75, 150, 225, 150, 225, 300]
    assert np.isinf(table["justice"]).all()
    assert "dentist" not in set(asset_categories(town)["category"])


# --- Rutland, against networkx ----------------------------------------------------------


@pytest.fixture(scope="module")
def rutland_osm() -> OsmExtract:
    assert RUTLAND_PBF.is_file(), f"Rutland extract not found at {RUTLAND_PBF}"
    return read_osm_file(RUTLAND_PBF)


@pytest.fixture(scope="module")
def rutland(rutland_osm) -> WalkGraph:
    return build_walk_graph(rutland_osm.network)


def networkx_ranges(graph: WalkGraph, assets: gpd.GeoDataFrame, lon, lat, limit_s: float):
    """Categories within ``limit_s`` of each place, by networkx Dijkstra from each place."""
    net = graph.network
    streets = nx.Graph()
    seconds = net.length_m / graph.config.speed_m_s
    for u, v, s in zip(net.edge_u.tolist(), net.edge_v.tolist(), seconds.tolist(), strict=True):
        if u != v and (not streets.has_edge(u, v) or s < streets[u][v]["weight"]):
            streets.add_edge(u, v, weight=s)
    ends = snap_points(graph, assets.geometry.x.to_numpy(), assets.geometry.y.to_numpy())
    starts = snap_points(graph, lon, lat)
    out = []
    for node, leg in zip(starts.node.tolist(), starts.leg_s.tolist(), strict=True):
        found = nx.single_source_dijkstra_path_length(streets, node, cutoff=limit_s - leg)
        codes: set[str] = set()
        for i, cats in enumerate(assets["categories"].tolist()):
            total = leg + found.get(int(ends.node[i]), np.inf) + ends.leg_s[i]
            if total <= limit_s:
                codes.update(cats)
        out.append(tuple(sorted(codes)))
    return out


def test_rutland_range_matches_networkx(rutland, rutland_osm):
    assets = rutland_osm.assets
    rng = np.random.default_rng(7)
    near = rng.choice(len(assets), 40, replace=False)  # places ~100 m from assets
    lon = assets.geometry.x.to_numpy()[near] + rng.uniform(-0.0015, 0.0015, 40)
    lat = assets.geometry.y.to_numpy()[near] + rng.uniform(-0.001, 0.001, 40)
    ours = accessible_range(rutland, assets, lon, lat, minutes=12)
    theirs = networkx_ranges(rutland, assets, lon, lat, 12 * 60.0)
    assert ours["categories"].tolist() == theirs
    assert ours["n_categories"].max() >= 8  # Oakham's centre has a lot within 12 minutes
    assert (ours["n_categories"] == 0).sum() >= 1  # and some places have nothing
    one = accessible_range(rutland, assets, lon[:2], lat[:2], minutes=12)
    assert one["categories"].tolist() == theirs[:2]
