"""Synthetic street grids for the travel-time benchmarks.

A square grid of junctions about ``spacing_m`` apart (100 m, a typical urban
block), each moved by up to ``jitter_m`` in x and y so that streets are not
all the same length, with a fraction of the streets removed at random (cul-de-
sacs, parks, railways) so that shortest paths have to go round. The grid sits
in the English Midlands in British National Grid coordinates, so it projects
exactly like real data; lengths are the straight-line lengths in metres.

Run it to print a summary::

    .venv/bin/python benchmarks/synthetic.py 100000
"""

from __future__ import annotations

import sys

import numpy as np
from pyproj import Transformer

from assetmap.reach.network import WalkNetwork

ORIGIN_BNG = (380_000.0, 250_000.0)  # south-west corner, near Worcester


def street_grid(
    n_nodes: int,
    *,
    spacing_m: float = 100.0,
    jitter_m: float = 15.0,
    drop_fraction: float = 0.08,
    seed: int = 0,
) -> WalkNetwork:
    """Return a jittered street grid of about ``n_nodes`` junctions.

    Parameters
    ----------
    n_nodes
        Wanted number of junctions; the grid has ``ceil(sqrt(n_nodes)) ** 2``.
    spacing_m
        Distance between neighbouring junctions before jitter.
    jitter_m
        Each junction moves by a uniform amount in ``[-jitter_m, jitter_m]`` in x and y.
    drop_fraction
        Share of the streets removed at random.
    seed
        Random seed (the same seed gives the same grid).
    """
    side = int(np.ceil(np.sqrt(n_nodes)))
    rng = np.random.default_rng(seed)
    col, row = np.meshgrid(np.arange(side), np.arange(side))
    col, row = col.ravel(), row.ravel()
    east = ORIGIN_BNG[0] + spacing_m * col + rng.uniform(-jitter_m, jitter_m, side * side)
    north = ORIGIN_BNG[1] + spacing_m * row + rng.uniform(-jitter_m, jitter_m, side * side)
    index = np.arange(side * side, dtype=np.int64).reshape(side, side)
    u = np.concatenate([index[:, :-1].ravel(), index[:-1, :].ravel()])
    v = np.concatenate([index[:, 1:].ravel(), index[1:, :].ravel()])
    keep = rng.random(len(u)) >= drop_fraction
    u, v = u[keep], v[keep]
    lon, lat = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True).transform(
        east, north
    )
    return WalkNetwork(
        node_ids=np.arange(1, side * side + 1, dtype=np.int64),
        lon=np.asarray(lon, dtype=np.float64),
        lat=np.asarray(lat, dtype=np.float64),
        edge_u=u.astype(np.int32),
        edge_v=v.astype(np.int32),
        length_m=np.hypot(east[u] - east[v], north[u] - north[v]),
    )


if __name__ == "__main__":
    wanted = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    grid = street_grid(wanted)
    print(
        f"{grid.n_nodes:,} junctions, {grid.n_edges:,} streets, "
        f"mean street {grid.length_m.mean():.1f} m"
    )
