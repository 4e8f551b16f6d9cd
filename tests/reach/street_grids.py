"""Synthetic streets near Oakham for tests with exact expectations.

Points are given in metres east and north of a corner in British National Grid
(:data:`EAST0`, :data:`NORTH0`); 100 m blocks take 75 s at the default 4.8 km/h.
A plain module (on the tests' ``pythonpath``) shared by the reach tests.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer
from shapely.geometry import box

from assetmap.reach.network import WalkConfig, WalkGraph, WalkNetwork, build_walk_graph

EAST0, NORTH0 = 486_000.0, 308_800.0  # Oakham, British National Grid
TO_LONLAT = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def at(east: Sequence[float], north: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 coordinates of points given in metres from the grid's corner node."""
    lon, lat = TO_LONLAT.transform(EAST0 + np.asarray(east), NORTH0 + np.asarray(north))
    return np.asarray(lon), np.asarray(lat)


def _graph(east: np.ndarray, north: np.ndarray, ends: np.ndarray, block_m: float, first_id: int):
    lon, lat = at(east.tolist(), north.tolist())
    network = WalkNetwork(
        node_ids=np.arange(first_id, first_id + len(east), dtype=np.int64),
        lon=lon,
        lat=lat,
        edge_u=ends[:, 0].astype(np.int32),
        edge_v=ends[:, 1].astype(np.int32),
        length_m=np.full(len(ends), block_m),
    )
    return build_walk_graph(network, config=WalkConfig(min_component_nodes=1))


def street_grid(n: int, block_m: float) -> WalkGraph:
    """An n x n street grid; node ``n * r + c`` (id ``n * r + c + 1``) at (block_m c, block_m r)."""
    index = np.arange(n * n).reshape(n, n)
    east = np.column_stack([index[:, :-1].ravel(), index[:, 1:].ravel()])
    north = np.column_stack([index[:-1, :].ravel(), index[1:, :].ravel()])
    ends = np.concatenate([east, north])
    flat = index.ravel()
    return _graph(block_m * (flat % n), block_m * (flat // n), ends, block_m, first_id=1)


def street_line(n: int, block_m: float) -> WalkGraph:
    """``n`` junctions in a line going east; junction ``i`` (id ``100 + i``) at block_m i."""
    ends = np.column_stack([np.arange(n - 1), np.arange(1, n)])
    return _graph(block_m * np.arange(n, dtype=float), np.zeros(n), ends, block_m, first_id=100)


def west_and_east(
    west: tuple[float, float, float, float],
    east: tuple[float, float, float, float],
    *,
    imd_scores: tuple[float, float],
    imd_deciles: tuple[int, int],
) -> gpd.GeoDataFrame:
    """Two areas, ``W`` and ``E``, as boxes (min east, min north, max east, max north) in metres."""
    shapes = gpd.GeoSeries(
        [box(EAST0 + w, NORTH0 + s, EAST0 + e, NORTH0 + n) for w, s, e, n in (west, east)],
        crs="EPSG:27700",
    ).to_crs("EPSG:4326")
    return gpd.GeoDataFrame(
        {
            "area_code": ["W", "E"],
            "area_name": ["West", "East"],
            "imd_score": list(imd_scores),
            "imd_decile": pd.array(list(imd_deciles), dtype="Int64"),
        },
        geometry=shapes.to_numpy(),
        crs="EPSG:4326",
    )
