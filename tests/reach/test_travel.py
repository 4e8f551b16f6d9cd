"""Walking times, matrices and isochrones (assetmap.reach.travel).

Exact expectations on a 3 x 3 street grid with 100 m blocks (75 s each at
4.8 km/h), and on Rutland's real walking network checked against an
independent networkx Dijkstra.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import shapely
from street_grids import at, street_grid

from assetmap.reach.network import WalkGraph, snap_points
from assetmap.reach.travel import (
    count_within,
    isochrones,
    k_nearest_times,
    nearest_sources,
    nearest_times,
    point_times,
    times_from_point,
    travel_time_matrix,
)

INF = float("inf")


@pytest.fixture(scope="module")
def grid() -> WalkGraph:
    """Nodes 0..8 at (100 c, 100 r) metres, node = 3 r + c; 12 streets of 100 m."""
    return street_grid(3, 100.0)


# Sources: A 120 m west of node 0 (a 90 s leg), B on node 2, C on node 8.
A = ([-120.0], [0.0])
B = ([200.0], [0.0])
C = ([200.0], [200.0])


def sources(*points: tuple[list[float], list[float]]) -> tuple[np.ndarray, np.ndarray]:
    return at([e for p in points for e in p[0]], [n for p in points for n in p[1]])


def test_nearest_times_count_each_source_leg_exactly(grid):
    seconds = nearest_times(grid, *sources(A, B))
    # A reaches node (r, c) in 90 + 75 (r + c) s, B in 75 (r + 2 - c) s.
    assert seconds == pytest.approx([90, 75, 0, 165, 150, 75, 240, 225, 150], abs=0.01)


def test_nearest_times_stop_at_the_limit(grid):
    seconds = nearest_times(grid, *sources(A, B), max_minutes=2.55)
    assert seconds == pytest.approx([90, 75, 0, INF, 150, 75, INF, INF, 150], abs=0.01)


def test_nearest_sources_names_the_source_whose_time_is_reported(grid):
    nearest = nearest_sources(grid, *sources(A, B))
    assert nearest.source.tolist() == [0, 1, 1, 0, 1, 1, 0, 1, 1]
    assert nearest.seconds == pytest.approx(nearest_times(grid, *sources(A, B)))
    limited = nearest_sources(grid, *sources(A, B), max_minutes=2.55)
    assert limited.source.tolist() == [0, 1, 1, -1, 1, 1, -1, -1, 1]


def test_no_sources_reach_nothing(grid):
    assert np.isinf(nearest_times(grid, [], [])).all()
    assert nearest_sources(grid, [], []).source.tolist() == [-1] * 9


def test_k_nearest_times_are_the_two_smallest_per_node(grid):
    two = k_nearest_times(grid, *sources(A, B, C), k=2)
    assert two[:, 0] == pytest.approx([90, 75, 0, 165, 150, 75, 150, 75, 0], abs=0.01)
    assert two[:, 1] == pytest.approx([150, 165, 150, 225, 150, 75, 240, 225, 150], abs=0.01)
    limited = k_nearest_times(grid, *sources(A, B, C), k=2, max_minutes=2.55)
    assert limited[:, 1] == pytest.approx([150, INF, 150, INF, 150, 75, INF, INF, 150], abs=0.01)


def test_count_within_counts_the_sources_inside_the_limit(grid):
    counts = count_within(grid, *sources(A, B, C), max_minutes=2.55)
    assert counts.tolist() == [2, 1, 2, 0, 2, 2, 1, 1, 2]


def test_times_from_point_add_the_points_own_leg(grid):
    seconds = times_from_point(grid, *[c[0] for c in at([100.0], [140.0])])  # 40 m off node 4
    assert seconds == pytest.approx([180, 105, 180, 105, 30, 105, 180, 105, 180], abs=0.01)
    limited = times_from_point(grid, *[c[0] for c in at([100.0], [140.0])], max_minutes=2)
    assert limited == pytest.approx([INF, 105, INF, 105, 30, 105, INF, 105, INF], abs=0.01)


def test_travel_time_matrix_is_in_minutes_with_both_legs(grid):
    # Origins on nodes 0, 8 and 4, and 20 m east of node 2 (a 15 s leg).
    origins = at([0.0, 200.0, 100.0, 220.0], [0.0, 200.0, 100.0, 0.0])
    destinations = sources(A, B, C)
    minutes = travel_time_matrix(grid, *origins, *destinations)
    expected = np.array(
        [
            [90, 150, 300],  # node 0: A's leg only; B two blocks; C four blocks
            [390, 150, 0],
            [240, 150, 150],
            [255, 15, 165],  # B snaps to the same node: 15 s + 0 s
        ]
    )
    assert minutes == pytest.approx(expected / 60, abs=0.01 / 60)
    # Searched from the side with fewer nodes either way round: the transpose.
    assert travel_time_matrix(grid, *destinations, *origins) == pytest.approx(minutes.T)


def test_travel_time_matrix_is_inf_beyond_the_limit(grid):
    origins = at([0.0, 200.0], [0.0, 200.0])
    minutes = travel_time_matrix(grid, *origins, *sources(A, B, C), max_minutes=2.55)
    assert minutes == pytest.approx(np.array([[90, 150, INF], [INF, 150, 0]]) / 60, abs=0.01 / 60)


def test_travel_time_matrix_with_no_points_on_one_side_is_empty(grid):
    one = at([0.0], [0.0])
    assert travel_time_matrix(grid, [], [], *one).shape == (0, 1)
    assert travel_time_matrix(grid, *one, [], []).shape == (1, 0)


def test_isochrone_of_a_point_too_far_from_any_street_is_empty(grid):
    far = [c[0] for c in at([0.0], [-2_000.0])]  # 2 km south: a 25 min leg
    result = isochrones(grid, *far, minutes=(10,))
    assert result.polygons["n_nodes"].tolist() == [0]
    assert result.polygons.geometry.iloc[0].is_empty


def test_point_times_read_node_times_and_add_the_point_leg(grid):
    node_seconds = nearest_times(grid, *sources(B))
    snapped = snap_points(grid, *at([0.0, 100.0, 0.0], [-40.0, 100.0, 200.0]))
    assert snapped.node.tolist() == [0, 4, 6]
    assert point_times(node_seconds, snapped) == pytest.approx([180, 150, 300], abs=0.01)
    limited = point_times(node_seconds, snapped, max_minutes=2.75)
    assert limited == pytest.approx([INF, 150, INF], abs=0.01)
    two = k_nearest_times(grid, *sources(B, C), k=2)
    assert point_times(two, snapped)[1] == pytest.approx([150, 150], abs=0.01)


@pytest.mark.parametrize("buffer_m", [50.0, 120.0])  # 120 m: nodes 2, 4, 6 must be cut out
def test_isochrones_hold_exactly_the_nodes_within_each_limit(grid, buffer_m):
    start = [c[0] for c in at([0.0], [0.0])]
    result = isochrones(grid, *start, minutes=(2.6, 1.3), buffer_m=buffer_m)
    polygons = result.polygons
    assert polygons.crs == "EPSG:4326"
    assert polygons["minutes"].tolist() == [1.3, 2.6]
    assert polygons["n_nodes"].tolist() == [3, 6]
    assert [n.tolist() for n in result.nodes] == [[0, 1, 3], [0, 1, 2, 3, 4, 6]]
    lon, lat = grid.network.lon, grid.network.lat
    for polygon, nodes in zip(polygons.geometry, result.nodes, strict=True):
        assert polygon.is_valid
        assert np.flatnonzero(shapely.contains_xy(polygon, lon, lat)).tolist() == nodes.tolist()


def test_rejects_bad_limits(grid):
    with pytest.raises(ValueError, match="`max_minutes` must be a number >= 0"):
        nearest_times(grid, *sources(A), max_minutes=-1)
    with pytest.raises(ValueError, match="`k` must be an integer >= 1"):
        k_nearest_times(grid, *sources(A), k=0)
    with pytest.raises(ValueError, match="`minutes` must hold at least one limit"):
        isochrones(grid, -0.72, 52.67, minutes=())


# ---------------------------------------------------------------------------
# Rutland: the real county network (~39k walking nodes)
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rutland(rutland_graph: WalkGraph) -> WalkGraph:
    return rutland_graph


@pytest.fixture(scope="module")
def rutland_nx(rutland) -> nx.Graph:
    """The same streets in networkx, built independently from the network arrays."""
    net = rutland.network
    seconds = net.length_m / rutland.config.speed_m_s
    graph = nx.Graph()
    graph.add_nodes_from(range(net.n_nodes))
    for u, v, s in zip(net.edge_u.tolist(), net.edge_v.tolist(), seconds.tolist(), strict=True):
        if u != v and (not graph.has_edge(u, v) or s < graph[u][v]["weight"]):
            graph.add_edge(u, v, weight=s)
    return graph


def scattered_points(graph: WalkGraph, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Points near random nodes, up to ~150 m off (like addresses and assets)."""
    rng = np.random.default_rng(seed)
    pick = rng.choice(graph.n_nodes, n, replace=False)
    lon = graph.network.lon[pick] + rng.uniform(-0.002, 0.002, n)
    lat = graph.network.lat[pick] + rng.uniform(-0.0013, 0.0013, n)
    return lon, lat


def networkx_point_seconds(
    graph: WalkGraph, streets: nx.Graph, destinations, points, cutoff: float | None
) -> np.ndarray:
    """Seconds from each point to its nearest destination, by networkx from a super-source."""
    ends = snap_points(graph, *destinations)
    with_source = streets.copy()
    for node, leg in zip(ends.node.tolist(), ends.leg_s.tolist(), strict=True):
        if not with_source.has_edge("dest", node) or leg < with_source["dest"][node]["weight"]:
            with_source.add_edge("dest", node, weight=leg)
    found = nx.single_source_dijkstra_path_length(with_source, "dest", cutoff=cutoff)
    starts = snap_points(graph, *points)
    seconds = np.array([found.get(int(n), INF) for n in starts.node]) + starts.leg_s
    if cutoff is not None:
        seconds[seconds > cutoff] = INF
    return seconds


@pytest.mark.parametrize("max_minutes", [None, 30.0])
def test_rutland_minutes_to_nearest_match_networkx_within_a_second(
    rutland, rutland_nx, max_minutes
):
    destinations = scattered_points(rutland, 25, seed=4)
    points = scattered_points(rutland, 300, seed=5)
    node_seconds = nearest_times(rutland, *destinations, max_minutes=max_minutes)
    ours = point_times(node_seconds, snap_points(rutland, *points), max_minutes=max_minutes)
    cutoff = None if max_minutes is None else max_minutes * 60
    theirs = networkx_point_seconds(rutland, rutland_nx, destinations, points, cutoff)
    assert np.array_equal(np.isfinite(ours), np.isfinite(theirs))
    reached = np.isfinite(theirs)
    assert reached.sum() > 100  # the comparison is about real walks
    assert np.abs(ours[reached] - theirs[reached]).max() < 1.0


def test_rutland_nearest_source_is_the_matrix_minimum(rutland):
    destinations = scattered_points(rutland, 25, seed=4)
    points = scattered_points(rutland, 200, seed=6)
    nearest = nearest_sources(rutland, *destinations, max_minutes=45)
    snapped = snap_points(rutland, *points)
    seconds = point_times(nearest.seconds, snapped, max_minutes=45)
    minutes = travel_time_matrix(rutland, *points, *destinations, max_minutes=45)
    assert minutes.min(axis=1) * 60 == pytest.approx(seconds, abs=1e-6)
    named = nearest.source[snapped.node]
    reached = np.isfinite(seconds)
    chosen = minutes[np.flatnonzero(reached), named[reached]] * 60
    assert chosen == pytest.approx(seconds[reached], abs=1e-6)


@pytest.mark.parametrize(
    ("place", "lon", "lat"), [("Oakham", -0.7286, 52.6708), ("Uppingham", -0.7226, 52.5875)]
)
def test_rutland_isochrones_contain_exactly_the_nodes_within_the_limit(
    rutland, rutland_nx, place, lon, lat
):
    result = isochrones(rutland, lon, lat, minutes=(10, 20, 30))
    start = snap_points(rutland, lon, lat)
    found = nx.single_source_dijkstra_path_length(
        rutland_nx, int(start.node[0]), cutoff=30 * 60 - start.leg_s[0]
    )
    net = rutland.network
    for minutes, polygon, nodes in zip(
        result.polygons["minutes"], result.polygons.geometry, result.nodes, strict=True
    ):
        limit = minutes * 60 - start.leg_s[0]
        expected = sorted(n for n, s in found.items() if s <= limit)
        assert nodes.tolist() == expected, place
        assert polygon.is_valid
        inside = np.flatnonzero(shapely.contains_xy(polygon, net.lon, net.lat))
        assert inside.tolist() == expected, place
    assert result.polygons["n_nodes"].is_monotonic_increasing
    assert result.polygons["n_nodes"].iloc[0] > 100


def test_rutland_flags_a_point_in_rutland_water_as_far(rutland):
    lon, lat = -0.625, 52.652  # the middle of the reservoir
    snapped = snap_points(rutland, [lon, -0.7286], [lat, 52.6708])
    assert snapped.far.tolist() == [True, False]
    x, y = rutland.to_metric.transform(lon, lat)
    targets = rutland.snap_nodes
    brute = np.hypot(rutland.x[targets] - x, rutland.y[targets] - y)
    assert snapped.distance_m[0] == pytest.approx(brute.min(), abs=1e-6)
    assert snapped.distance_m[0] > 500
    assert snapped.leg_s[0] == pytest.approx(snapped.distance_m[0] / (4.8 / 3.6))
    # Its leg counts: nothing is within 5 minutes of the middle of the lake.
    assert np.isinf(times_from_point(rutland, lon, lat, max_minutes=5)).all()
