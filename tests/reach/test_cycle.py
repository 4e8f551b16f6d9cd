"""The cycling network built at import, against networkx on the same graph (Rutland)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from assetmap.reach.coverage import asset_categories
from assetmap.reach.cycle import CycleConfig, build_cycle_graph
from assetmap.reach.network import snap_points
from assetmap.reach.travel import nearest_times


def _networkx_nearest(graph, lon, lat) -> dict[object, float]:
    """Seconds from the nearest source to every node, networkx on the same edges."""
    g = nx.Graph()
    g.add_nodes_from(range(graph.n_nodes))
    speed = graph.config.speed_m_s
    net = graph.network
    for u, v, metres in zip(
        net.edge_u.tolist(), net.edge_v.tolist(), net.length_m.tolist(), strict=True
    ):
        if u != v and (not g.has_edge(u, v) or g[u][v]["weight"] > metres / speed):
            g.add_edge(u, v, weight=metres / speed)
    snapped = snap_points(graph, lon, lat)
    for node, leg in zip(snapped.node.tolist(), snapped.leg_s.tolist(), strict=True):
        if not g.has_edge("src", node) or g["src"][node]["weight"] > leg:
            g.add_edge("src", node, weight=leg)
    return nx.single_source_dijkstra_path_length(g, "src")


@pytest.mark.parametrize("avoid", [False, True])
def test_rutland_cycling_times_agree_with_networkx_within_a_second(rutland_extract, avoid):
    cycle = rutland_extract.cycle
    assert cycle is not None
    assert cycle.network.n_edges > 10_000
    assert 0 < cycle.stress.sum() < cycle.network.n_edges
    graph = build_cycle_graph(cycle, CycleConfig(speed_kmh=15.0, avoid_high_stress=avoid))
    assets = asset_categories(rutland_extract.assets)
    gp = assets[assets["category"] == "gp_health"]
    ours = nearest_times(graph, gp["lon"], gp["lat"])
    theirs = _networkx_nearest(graph, gp["lon"], gp["lat"])
    reference = np.array([theirs.get(i, np.inf) for i in range(graph.n_nodes)])
    assert np.array_equal(np.isfinite(ours), np.isfinite(reference))
    finite = np.isfinite(ours)
    assert np.max(np.abs(ours[finite] - reference[finite])) < 1.0
    if not avoid:  # at 15 km/h (walking: a 42-minute median) the county's GPs are near
        assert np.median(ours[finite]) < 40 * 60


def test_avoiding_high_stress_roads_drops_exactly_those_edges_and_changes_times(rutland_extract):
    """Not a monotonicity check: points snap to other nodes once busy roads are gone."""
    cycle = rutland_extract.cycle
    allowed_graph = build_cycle_graph(cycle)
    careful_graph = build_cycle_graph(cycle, CycleConfig(avoid_high_stress=True))
    assert len(careful_graph.edge_s) == len(allowed_graph.edge_s) - int(cycle.stress.sum())
    assets = asset_categories(rutland_extract.assets)
    gp = assets[assets["category"] == "gp_health"]
    allowed = nearest_times(allowed_graph, gp["lon"], gp["lat"])
    careful = nearest_times(careful_graph, gp["lon"], gp["lat"])
    both = np.isfinite(careful) & np.isfinite(allowed)
    assert np.median(careful[both]) > np.median(allowed[both])
