"""The walk graph: speeds, edge seconds, projection and snapping (assetmap.reach.network)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pyproj import Transformer

from assetmap.errors import NetworkError
from assetmap.reach.network import (
    WalkConfig,
    WalkNetwork,
    build_walk_graph,
    load_network,
    save_network,
    snap_points,
)

# A street in Oakham, in British National Grid metres.
EAST0, NORTH0 = 486_000.0, 308_800.0
TO_LONLAT = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def lonlat(east: float | list[float], north: float | list[float]) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = TO_LONLAT.transform(np.atleast_1d(east), np.atleast_1d(north))
    return np.asarray(lon), np.asarray(lat)


def network_from_metres(
    east: list[float], north: list[float], edges: list[tuple[int, int, float]]
) -> WalkNetwork:
    lon, lat = lonlat(east, north)
    return WalkNetwork(
        node_ids=np.arange(100, 100 + len(east), dtype=np.int64),
        lon=lon,
        lat=lat,
        edge_u=np.array([e[0] for e in edges], dtype=np.int32),
        edge_v=np.array([e[1] for e in edges], dtype=np.int32),
        length_m=np.array([e[2] for e in edges], dtype=np.float64),
    )


@pytest.fixture
def high_street() -> WalkNetwork:
    """Four nodes 100 m apart along a street, plus a stray two-node footpath 400 m north.

    The street has a duplicate (longer) way between nodes 1 and 2, a
    self-loop at node 3 and a zero-length edge 3-4 (two OSM nodes at one
    junction).
    """
    east = [EAST0, EAST0 + 100, EAST0 + 200, EAST0 + 300, EAST0 + 300, EAST0, EAST0 + 10]
    north = [NORTH0] * 5 + [NORTH0 + 400] * 2
    edges = [(0, 1, 100.0), (1, 2, 100.0), (2, 1, 130.0), (2, 3, 100.0), (3, 3, 5.0)]
    edges += [(3, 4, 0.0), (5, 6, 10.0)]
    return network_from_metres(east, north, edges)


def test_default_speed_is_4_8_kmh_and_slow_preset_is_3_kmh():
    assert WalkConfig().speed_kmh == 4.8
    assert WalkConfig().max_snap_m == 300.0
    assert WalkConfig.slow().speed_kmh == 3.0
    assert WalkConfig.slow().speed_m_s == pytest.approx(3.0 / 3.6)


@pytest.mark.parametrize("speed", [0.0, -1.0, float("nan"), float("inf")])
def test_rejects_a_speed_that_is_not_positive(speed):
    with pytest.raises(ValueError, match="`speed_kmh` must be a positive number"):
        WalkConfig(speed_kmh=speed)


def test_rejects_negative_snap_distance_and_zero_component_size():
    with pytest.raises(ValueError, match="`max_snap_m`"):
        WalkConfig(max_snap_m=-1.0)
    with pytest.raises(ValueError, match="`min_component_nodes`"):
        WalkConfig(min_component_nodes=0)


def test_edge_seconds_are_length_over_speed(high_street):
    graph = build_walk_graph(high_street, config=WalkConfig(min_component_nodes=1))
    # 100 m at 4.8 km/h (4/3 m/s) is 75 s.
    assert graph.seconds[0, 1] == pytest.approx(75.0)
    assert graph.seconds[1, 0] == pytest.approx(75.0)
    assert graph.seconds[5, 6] == pytest.approx(7.5)


def test_keeps_shortest_parallel_way_drops_self_loops_and_keeps_zero_length_edges(high_street):
    graph = build_walk_graph(high_street)
    assert graph.seconds[1, 2] == pytest.approx(75.0)  # not 130 m, not 230 m summed
    assert graph.edge_u.tolist() == [0, 1, 2, 3, 5]
    assert graph.edge_v.tolist() == [1, 2, 3, 4, 6]
    # No self-loop at 3; the zero-length edge 3-4 is kept as an explicit zero.
    assert graph.seconds.nnz == 10
    row3 = graph.seconds.indices[graph.seconds.indptr[3] : graph.seconds.indptr[4]]
    assert sorted(row3.tolist()) == [2, 4]
    assert graph.seconds[3, 4] == 0.0
    assert (graph.seconds != graph.seconds.T).nnz == 0


def test_projects_gb_networks_to_british_national_grid(high_street):
    graph = build_walk_graph(high_street)
    assert graph.crs.to_epsg() == 27700
    # to within 1 cm: pyproj's WGS 84 <-> OSGB 36 round trip is not bit-exact
    assert graph.x[:4] == pytest.approx([EAST0, EAST0 + 100, EAST0 + 200, EAST0 + 300], abs=0.01)
    assert graph.y[:4] == pytest.approx([NORTH0] * 4, abs=0.01)


def test_projects_networks_outside_gb_to_their_utm_zone():
    paris = WalkNetwork(
        node_ids=np.array([1, 2], dtype=np.int64),
        lon=np.array([2.35, 2.351]),
        lat=np.array([48.86, 48.86]),
        edge_u=np.array([0], dtype=np.int32),
        edge_v=np.array([1], dtype=np.int32),
        length_m=np.array([73.3]),
    )
    assert build_walk_graph(paris).crs.to_epsg() == 32631


def test_snaps_to_nearest_node_and_walks_the_leg_at_walking_speed(high_street):
    graph = build_walk_graph(high_street)
    lon, lat = lonlat([EAST0 + 130, EAST0 + 290], [NORTH0 + 40, NORTH0 - 30])
    snapped = snap_points(graph, lon, lat)
    assert snapped.node.tolist() == [1, 3]
    assert snapped.distance_m == pytest.approx([50.0, np.hypot(10, 30)], abs=1e-4)
    assert snapped.leg_s == pytest.approx([37.5, np.hypot(10, 30) * 0.75], abs=1e-4)
    assert snapped.far.tolist() == [False, False]


def test_flags_a_point_more_than_max_snap_m_from_any_node(high_street):
    graph = build_walk_graph(high_street, config=WalkConfig(max_snap_m=300.0))
    lon, lat = lonlat([EAST0 + 5_000, EAST0 + 200], [NORTH0, NORTH0 - 299])
    snapped = snap_points(graph, lon, lat)
    assert snapped.far.tolist() == [True, False]
    assert snapped.node.tolist() == [3, 2]
    assert snapped.leg_s[0] == pytest.approx(4_700 * 0.75, abs=1e-4)


def test_small_stray_pieces_are_not_snap_targets_unless_asked(high_street):
    lon, lat = lonlat(EAST0 + 5, NORTH0 + 390)
    default = snap_points(build_walk_graph(high_street), lon, lat)
    assert default.node.tolist() == [0]  # the 2-node footpath is skipped
    assert default.distance_m[0] == pytest.approx(np.hypot(5, 390), abs=1e-4)
    everything = build_walk_graph(high_street, config=WalkConfig(min_component_nodes=1))
    assert snap_points(everything, lon, lat).node.tolist() == [5]


def test_with_config_rescales_seconds_and_snap_targets(high_street):
    graph = build_walk_graph(high_street)
    slow = graph.with_config(WalkConfig.slow(min_component_nodes=1))
    assert slow.seconds[0, 1] == pytest.approx(120.0)  # 100 m at 3 km/h
    assert slow.edge_s.tolist() == pytest.approx([120.0, 120.0, 120.0, 0.0, 12.0])
    assert graph.seconds[0, 1] == pytest.approx(75.0)  # the original is untouched
    assert 5 in slow.snap_nodes.tolist()
    assert 5 not in graph.snap_nodes.tolist()
    assert graph.with_config(graph.config) is graph


def test_snapping_rejects_missing_coordinates_naming_the_row(high_street):
    graph = build_walk_graph(high_street)
    with pytest.raises(NetworkError, match=r"Point 1 has missing or out-of-range coordinates"):
        snap_points(graph, [-0.72, -0.72], [52.67, float("nan")])
    with pytest.raises(NetworkError, match="`lon` has 2 values but `lat` has 1"):
        snap_points(graph, [-0.72, -0.72], [52.67])


def test_snapping_no_points_gives_empty_arrays(high_street):
    snapped = snap_points(build_walk_graph(high_street), [], [])
    assert len(snapped) == 0
    assert snapped.node.dtype == np.int64


def test_rejects_a_network_without_nodes():
    empty = WalkNetwork(
        node_ids=np.zeros(0, dtype=np.int64),
        lon=np.zeros(0),
        lat=np.zeros(0),
        edge_u=np.zeros(0, dtype=np.int32),
        edge_v=np.zeros(0, dtype=np.int32),
        length_m=np.zeros(0),
    )
    with pytest.raises(NetworkError, match="has no nodes"):
        build_walk_graph(empty)


def test_network_file_round_trips_unchanged(high_street, tmp_path: Path):
    save_network(high_street, tmp_path / "network.npz")
    loaded = load_network(tmp_path / "network.npz")
    for name in ("node_ids", "lon", "lat", "edge_u", "edge_v", "length_m"):
        assert np.array_equal(getattr(loaded, name), getattr(high_street, name))
    rebuilt = build_walk_graph(loaded)
    assert (rebuilt.seconds != build_walk_graph(high_street).seconds).nnz == 0
