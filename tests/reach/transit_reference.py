"""A deliberately simple walk + public transport router, for tests only.

One origin and one departure time at a time: networkx Dijkstra for the
walks, then a forward earliest-arrival connection scan (Dibbelt et al.)
over the day's connections in plain Python. It follows the rules written
at the top of :mod:`assetmap.reach.transit`, but shares none of its code
apart from snapping points to the network (the input geometry) and
reading which services run on a day.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np

from assetmap.reach.network import WalkGraph, snap_points
from assetmap.reach.timetable import Timetable
from assetmap.reach.transit_times import TransitConfig

INF = math.inf


class ReferenceRouter:
    """Walk + transit times the slow, obvious way."""

    def __init__(
        self,
        graph: WalkGraph,
        timetable: Timetable,
        assets_lon: object,
        assets_lat: object,
        day: object,
        config: TransitConfig,
    ) -> None:
        self.graph = graph
        self.timetable = timetable
        self.config = config
        self.g = nx.Graph()
        self.g.add_nodes_from(range(graph.n_nodes))
        edges = zip(
            graph.edge_u.tolist(), graph.edge_v.tolist(), graph.edge_s.tolist(), strict=True
        )
        for u, v, s in edges:
            self.g.add_edge(u, v, weight=s)
        stops = snap_points(graph, timetable.stop_lon, timetable.stop_lat)
        self.stop_node = stops.node.tolist()
        self.stop_leg = stops.leg_s.tolist()
        self.stop_ok = (stops.distance_m <= config.max_snap_m).tolist()
        # Nearest asset on foot from every node: Dijkstra from a super source.
        assets = snap_points(graph, assets_lon, assets_lat)
        h = self.g.copy()
        for node, leg in zip(assets.node.tolist(), assets.leg_s.tolist(), strict=True):
            if h.has_edge("assets", node):
                leg = min(leg, h["assets"][node]["weight"])
            h.add_edge("assets", node, weight=leg)
        self.to_asset = nx.single_source_dijkstra_path_length(h, "assets")
        limit = config.max_walk_min * 60
        self.egress = {}
        for s in range(timetable.n_stops):
            if self.stop_ok[s]:
                e = self.to_asset.get(self.stop_node[s], INF) + self.stop_leg[s]
                if e <= limit:
                    self.egress[s] = e
        self.paths = self._footpaths()
        runs = timetable.active_services(day)
        conns = []
        for i in range(timetable.n_connections):
            trip = int(timetable.conn_trip[i])
            if runs[timetable.trip_service[trip]]:
                conns.append(
                    (
                        int(timetable.conn_dep[i]),
                        int(timetable.conn_arr[i]),
                        trip,
                        i,
                        int(timetable.conn_from[i]),
                        int(timetable.conn_to[i]),
                    )
                )
        conns.sort()
        self.conns = conns
        self.deps = [c[0] for c in conns]

    def _footpaths(self) -> dict[int, dict[int, float]]:
        """After alighting at a stop: which stops can be boarded from, after how long."""
        cfg = self.config
        paths: dict[int, dict[int, float]] = {s: {s: 0.0} for s in range(self.timetable.n_stops)}
        for a in range(self.timetable.n_stops):
            if not self.stop_ok[a]:
                continue
            dist = nx.single_source_dijkstra_path_length(
                self.g, self.stop_node[a], cutoff=cfg.transfer_walk_min * 60
            )
            for b in range(self.timetable.n_stops):
                if b == a or not self.stop_ok[b]:
                    continue
                walk = self.stop_leg[a] + dist.get(self.stop_node[b], INF) + self.stop_leg[b]
                if walk <= cfg.transfer_walk_min * 60:
                    paths[a][b] = walk
        given = zip(
            self.timetable.transfer_from.tolist(),
            self.timetable.transfer_to.tolist(),
            self.timetable.transfer_s.tolist(),
            strict=True,
        )
        for a, b, s in given:
            if s < 0:
                paths[a].pop(b, None)
            else:
                paths[a][b] = float(s)
        change = cfg.min_change_min * 60
        return {a: {b: max(s, change) for b, s in out.items()} for a, out in paths.items()}

    def seconds(self, lon: float, lat: float, t: int) -> float:
        """Seconds from a point to the nearest asset, leaving at ``t``."""
        cfg = self.config
        origin = snap_points(self.graph, [lon], [lat])
        node, leg = int(origin.node[0]), float(origin.leg_s[0])
        dist = nx.single_source_dijkstra_path_length(self.g, node)
        best = t + self.to_asset.get(node, INF) + leg
        ready: dict[int, float] = {}
        for s in range(self.timetable.n_stops):
            if self.stop_ok[s]:
                walk = leg + dist.get(self.stop_node[s], INF) + self.stop_leg[s]
                if walk <= cfg.max_walk_min * 60:
                    ready[s] = t + walk
        seated: set[int] = set()
        end = t + cfg.horizon_min * 60
        start = np.searchsorted(self.deps, t)
        for dep, arr, trip, _, u, v in self.conns[start:]:
            if dep > end:
                break
            if trip not in seated and ready.get(u, INF) > dep:
                continue
            seated.add(trip)
            if v in self.egress:
                best = min(best, arr + self.egress[v])
            for w, s in self.paths[v].items():
                if arr + s < ready.get(w, INF):
                    ready[w] = arr + s
        result = best - t
        return result if result <= cfg.horizon_min * 60 else INF
