"""Walking times over a :class:`~assetmap.reach.network.WalkGraph`.

Every search runs :func:`scipy.sparse.csgraph.dijkstra` (compiled) on the
graph's CSR matrix of edge seconds; nothing loops over nodes in Python.

How times are counted
---------------------
A point (an asset, a postcode, a map click) is snapped to its nearest network
node (:func:`~assetmap.reach.network.snap_points`) and the straight-line leg between
the point and that node, walked at the graph's speed, is part of every time
from or to the point. So the time from point ``a`` to point ``b`` is
``leg(a) + network(node(a), node(b)) + leg(b)``, even when both snap to the
same node (then it is ``leg(a) + leg(b)``, never shorter than the straight
line between them).

Node times (arrays of length ``graph.n_nodes``) count the source legs but not
a leg at the node end; :func:`point_times` adds the leg of the points you read
them at. Times beyond a limit are ``inf``.

Multi-source searches (:func:`nearest_times`, :func:`nearest_sources`) add a
virtual super-source joined to every source node by an edge weighing that
source's leg (the smallest leg when several sources share a node), and run one
single-source search from it with the time limit: exact, in one pass.

Which function
--------------
- minutes from everywhere to the nearest asset of a category (coverage, gap
  maps): :func:`nearest_times` (one search, any number of assets), then
  :func:`point_times` at postcodes or area centroids; :func:`nearest_sources`
  also says which asset;
- the k nearest, or how many within a limit: :func:`k_nearest_times`,
  :func:`count_within` (one search per asset; give a limit);
- from one place (a map click, a postcode): :func:`times_from_point`,
  :func:`isochrones`;
- origins x destinations (people x assets, candidate sites x demand):
  :func:`travel_time_matrix`.

Build the :class:`~assetmap.reach.network.WalkGraph` once per network and walking
speed and pass it to every call; nothing here modifies it, so one graph can
serve many users and threads.

Examples
--------
Three junctions 100 m apart on a straight street in Oakham, a library on the
first one and a point 40 m off the last one (4.8 km/h: 75 s per 100 m):

>>> import numpy as np
>>> from assetmap.reach.network import WalkConfig, WalkNetwork, build_walk_graph, snap_points
>>> street = WalkNetwork(
...     node_ids=np.array([1, 2, 3]),
...     lon=np.array([-0.7300, -0.7285, -0.7270]), lat=np.full(3, 52.6700),
...     edge_u=np.array([0, 1], dtype=np.int32), edge_v=np.array([1, 2], dtype=np.int32),
...     length_m=np.array([100.0, 100.0]),
... )
>>> graph = build_walk_graph(street, config=WalkConfig(min_component_nodes=1))
>>> library = nearest_times(graph, [-0.7300], [52.6700], max_minutes=30)
>>> library.round(1).tolist()
[0.0, 75.0, 150.0]
>>> here = snap_points(graph, [-0.7270], [52.67036])  # 40 m north of the last junction
>>> (point_times(library, here) / 60).round(2).tolist()
[3.0]
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy import ndimage
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from assetmap.reach.network import FloatArray, IntArray, Snapped, WalkGraph, snap_points

__all__ = [
    "Isochrones",
    "Nearest",
    "count_within",
    "isochrones",
    "k_nearest_times",
    "nearest_sources",
    "nearest_times",
    "point_times",
    "times_from_point",
    "travel_time_matrix",
]

logger = logging.getLogger(__name__)

_UNREACHED = -9999  # scipy's predecessor value for "no path"
_BLOCK_BYTES = 64 * 2**20  # memory for one block of per-source rows


@dataclass(frozen=True, eq=False)
class Nearest:
    """Time from every node to its nearest source, and which source that is.

    Attributes
    ----------
    seconds
        Seconds from the nearest source point to each node (source leg
        included), ``inf`` where none is within the limit.
    source
        Index (into the sources given) of that nearest source, ``-1`` where
        none is within the limit.
    """

    seconds: FloatArray
    source: IntArray


@dataclass(frozen=True, eq=False)
class Isochrones:
    """Areas reachable on foot from a point within some time limits.

    Attributes
    ----------
    polygons
        One row per limit, ascending: ``minutes``, ``n_nodes`` (nodes within
        the limit) and ``geometry`` (a Polygon or MultiPolygon, EPSG:4326).
    nodes
        For each row of ``polygons``, the indexes of the nodes within the limit
        (sorted).
    node_seconds
        Seconds from the point to every node (``inf`` beyond the largest limit).
    """

    polygons: gpd.GeoDataFrame
    nodes: tuple[IntArray, ...]
    node_seconds: FloatArray


def _limit_seconds(max_minutes: float | None) -> float:
    if max_minutes is None:
        return float(np.inf)
    limit = float(max_minutes)
    if np.isnan(limit) or limit < 0:
        msg = f"`max_minutes` must be a number >= 0 or None, got {max_minutes!r}."
        raise ValueError(msg)
    return limit * 60.0


def _sources_within(
    graph: WalkGraph, lon: npt.ArrayLike, lat: npt.ArrayLike, max_minutes: float | None
) -> tuple[Snapped, float]:
    """Check the search limit, then snap the sources: ``(snapped, limit in seconds)``."""
    limit_s = _limit_seconds(max_minutes)
    return snap_points(graph, lon, lat), limit_s


def _super_source_graph(graph: WalkGraph, nodes: IntArray, legs: FloatArray) -> sp.csr_array:
    """Return the graph plus node ``n`` with an edge of weight ``legs[i]`` to ``nodes[i]``.

    The new node is the last row, so the graph's arrays are copied once,
    never changed in place (the graph is shared between users).
    """
    base = graph.seconds
    n = base.shape[0]
    indices = np.concatenate([base.indices, nodes.astype(base.indices.dtype)])
    indptr = np.concatenate([base.indptr, [base.indptr[-1] + len(nodes)]]).astype(base.indptr.dtype)
    data = np.concatenate([base.data, legs])
    return sp.csr_array((data, indices, indptr), shape=(n + 1, n + 1))


def _best_leg_per_node(snapped: Snapped) -> tuple[IntArray, FloatArray, IntArray]:
    """Return unique source nodes, the smallest leg at each, and which source has it."""
    order = np.lexsort((snapped.leg_s, snapped.node))
    nodes = snapped.node[order]
    first = np.ones(len(nodes), dtype=bool)
    first[1:] = nodes[1:] != nodes[:-1]
    keep = order[first]
    return snapped.node[keep], snapped.leg_s[keep], keep.astype(np.int64)


def _multi_source(
    graph: WalkGraph, snapped: Snapped, limit_s: float, *, with_source: bool
) -> tuple[FloatArray, IntArray | None]:
    """One exact multi-source search; node seconds and (optionally) nearest source."""
    n = graph.n_nodes
    if len(snapped) == 0:
        none = np.full(n, -1, dtype=np.int64) if with_source else None
        return np.full(n, np.inf), none
    nodes, legs, best = _best_leg_per_node(snapped)
    if len(nodes) == 1:
        # One source node: search from it directly (no copy of the graph).
        seconds = np.full(n, np.inf)
        if legs[0] <= limit_s:
            seconds = dijkstra(
                graph.seconds, directed=True, indices=int(nodes[0]), limit=limit_s - legs[0]
            )
            seconds = seconds + legs[0]
        source = np.where(np.isfinite(seconds), best[0], -1) if with_source else None
        return seconds, source
    augmented = _super_source_graph(graph, nodes, legs)
    if not with_source:
        seconds = dijkstra(augmented, directed=True, indices=n, limit=limit_s)
        return seconds[:n], None
    seconds, predecessors = dijkstra(
        augmented, directed=True, indices=n, limit=limit_s, return_predecessors=True
    )
    seconds = seconds[:n]
    parent = predecessors[:n].astype(np.int64)
    own = np.arange(n, dtype=np.int64)
    is_root = (parent == n) | (parent == _UNREACHED)
    parent[is_root] = own[is_root]
    # Pointer jumping: after log2(depth) rounds every node points at the
    # source node its shortest path starts from.
    while True:
        jumped = parent[parent]
        if np.array_equal(jumped, parent):
            break
        parent = jumped
    point_at_node = np.full(n, -1, dtype=np.int64)
    point_at_node[nodes] = best
    source = np.where(np.isfinite(seconds), point_at_node[parent], -1)
    return seconds, source


def nearest_times(
    graph: WalkGraph,
    sources_lon: npt.ArrayLike,
    sources_lat: npt.ArrayLike,
    *,
    max_minutes: float | None = None,
) -> FloatArray:
    """Seconds from the nearest source point to every node, in one search.

    Parameters
    ----------
    graph
        The walk graph.
    sources_lon, sources_lat
        WGS 84 coordinates of the sources (e.g. the assets of one category).
        No sources gives ``inf`` everywhere.
    max_minutes
        Stop the search at this many minutes (``None``: no limit). Nodes
        beyond it are ``inf``; a smaller limit makes the search faster.

    Returns
    -------
    numpy.ndarray
        Seconds per node, source leg included (read them at points with
        :func:`point_times`).

    Raises
    ------
    NetworkError
        If a source has missing or out-of-range coordinates.
    ValueError
        If ``max_minutes`` is negative.
    """
    snapped, limit_s = _sources_within(graph, sources_lon, sources_lat, max_minutes)
    seconds, _ = _multi_source(graph, snapped, limit_s, with_source=False)
    return seconds


def nearest_sources(
    graph: WalkGraph,
    sources_lon: npt.ArrayLike,
    sources_lat: npt.ArrayLike,
    *,
    max_minutes: float | None = None,
) -> Nearest:
    """Like :func:`nearest_times`, and also which source is nearest to each node.

    The nearest source is read off the shortest-path tree of the same single
    search (by pointer jumping over the predecessors), so it is the source
    whose time is reported. Among sources at the same node, the one with
    the shortest leg is named.

    Parameters
    ----------
    graph
        The walk graph.
    sources_lon, sources_lat
        WGS 84 coordinates of the sources.
    max_minutes
        Search limit in minutes (``None``: no limit).

    Returns
    -------
    Nearest

    Raises
    ------
    NetworkError
        If a source has missing or out-of-range coordinates.
    ValueError
        If ``max_minutes`` is negative.
    """
    snapped, limit_s = _sources_within(graph, sources_lon, sources_lat, max_minutes)
    seconds, source = _multi_source(graph, snapped, limit_s, with_source=True)
    assert source is not None
    return Nearest(seconds=seconds, source=source)


def times_from_point(
    graph: WalkGraph, lon: float, lat: float, *, max_minutes: float | None = None
) -> FloatArray:
    """Seconds from one point to every node.

    Parameters
    ----------
    graph
        The walk graph.
    lon, lat
        WGS 84 coordinates of the point.
    max_minutes
        Search limit in minutes (``None``: no limit).

    Returns
    -------
    numpy.ndarray
        Seconds per node, the point's leg included; ``inf`` beyond the limit.

    Raises
    ------
    NetworkError
        If the coordinates are missing or out of range.
    ValueError
        If ``max_minutes`` is negative.
    """
    return nearest_times(graph, [lon], [lat], max_minutes=max_minutes)


def _per_source_rows(
    graph: WalkGraph, snapped: Snapped, limit_s: float, *, columns: IntArray | None = None
) -> Iterator[tuple[IntArray, FloatArray]]:
    """Yield ``(source positions, seconds)`` blocks, one row per source.

    Each distinct source node is searched once (limit ``limit_s``); a row is
    that search plus the source's leg, ``inf`` beyond the limit, restricted
    to ``columns`` when given. Blocks are sized to about 64 MB.
    """
    n = graph.n_nodes
    unique_nodes, inverse = np.unique(snapped.node, return_inverse=True)
    rows_per_block = max(1, _BLOCK_BYTES // (8 * n))
    for start in range(0, len(unique_nodes), rows_per_block):
        block = np.arange(start, min(start + rows_per_block, len(unique_nodes)))
        found = dijkstra(graph.seconds, directed=True, indices=unique_nodes[block], limit=limit_s)
        found = np.atleast_2d(found)
        if columns is not None:
            found = found[:, columns]
        positions = np.flatnonzero((inverse >= block[0]) & (inverse <= block[-1]))
        rows = found[inverse[positions] - block[0]] + snapped.leg_s[positions, None]
        rows[rows > limit_s] = np.inf
        yield positions.astype(np.int64), rows


def k_nearest_times(
    graph: WalkGraph,
    sources_lon: npt.ArrayLike,
    sources_lat: npt.ArrayLike,
    *,
    k: int,
    max_minutes: float | None = None,
) -> FloatArray:
    """Seconds from the ``k`` nearest source points to every node.

    Method: one limited search per distinct source node (run in compiled
    blocks of sources), keeping the ``k`` smallest times per node with
    ``numpy.partition`` as the blocks come in. Exact; its cost grows with the
    number of sources, so set ``max_minutes`` (each search then stays local)
    and keep ``k`` small. For ``k == 1`` use :func:`nearest_times`, which is
    one search whatever the number of sources.

    Parameters
    ----------
    graph
        The walk graph.
    sources_lon, sources_lat
        WGS 84 coordinates of the sources.
    k
        How many nearest sources (>= 1).
    max_minutes
        Search limit in minutes (``None``: no limit).

    Returns
    -------
    numpy.ndarray
        Shape ``(n_nodes, k)``, ascending along each row; ``inf`` where fewer
        than ``k`` sources are within the limit.

    Raises
    ------
    NetworkError
        If a source has missing or out-of-range coordinates.
    ValueError
        If ``k`` < 1 or ``max_minutes`` is negative.
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        msg = f"`k` must be an integer >= 1, got {k!r}."
        raise ValueError(msg)
    snapped, limit_s = _sources_within(graph, sources_lon, sources_lat, max_minutes)
    best = np.full((graph.n_nodes, int(k)), np.inf)
    for _, rows in _per_source_rows(graph, snapped, limit_s):
        pooled = np.concatenate([best, rows.T], axis=1)
        best = np.partition(pooled, int(k) - 1, axis=1)[:, : int(k)]
    best.sort(axis=1)
    return best


def count_within(
    graph: WalkGraph,
    sources_lon: npt.ArrayLike,
    sources_lat: npt.ArrayLike,
    *,
    max_minutes: float,
) -> npt.NDArray[np.int64]:
    """Count, for every node, the source points within ``max_minutes``.

    One limited search per distinct source node, as :func:`k_nearest_times`.

    Parameters
    ----------
    graph
        The walk graph.
    sources_lon, sources_lat
        WGS 84 coordinates of the sources.
    max_minutes
        The time limit in minutes.

    Returns
    -------
    numpy.ndarray
        Number of sources per node (int64) whose time (source leg
        included) is at most the limit.

    Raises
    ------
    NetworkError
        If a source has missing or out-of-range coordinates.
    ValueError
        If ``max_minutes`` is negative.
    """
    snapped, limit_s = _sources_within(graph, sources_lon, sources_lat, max_minutes)
    counts = np.zeros(graph.n_nodes, dtype=np.int64)
    for _, rows in _per_source_rows(graph, snapped, limit_s):
        counts += np.isfinite(rows).sum(axis=0)
    return counts


def travel_time_matrix(
    graph: WalkGraph,
    origins_lon: npt.ArrayLike,
    origins_lat: npt.ArrayLike,
    destinations_lon: npt.ArrayLike,
    destinations_lat: npt.ArrayLike,
    *,
    max_minutes: float | None = None,
) -> FloatArray:
    """Compute walking minutes from every origin to every destination.

    Walking is symmetric, so the searches start from whichever side has fewer
    distinct nodes (one limited search per node, in compiled blocks), and
    both points' legs are added.

    Parameters
    ----------
    graph
        The walk graph.
    origins_lon, origins_lat
        WGS 84 coordinates of the origins.
    destinations_lon, destinations_lat
        WGS 84 coordinates of the destinations.
    max_minutes
        Search limit in minutes (``None``: no limit).

    Returns
    -------
    numpy.ndarray
        Shape ``(n_origins, n_destinations)``, in MINUTES, ``inf`` beyond
        the limit.

    Raises
    ------
    NetworkError
        If a point has missing or out-of-range coordinates.
    ValueError
        If ``max_minutes`` is negative.
    """
    limit_s = _limit_seconds(max_minutes)
    origins = snap_points(graph, origins_lon, origins_lat)
    destinations = snap_points(graph, destinations_lon, destinations_lat)
    transpose = len(np.unique(destinations.node)) < len(np.unique(origins.node))
    search, other = (destinations, origins) if transpose else (origins, destinations)
    seconds = np.full((len(search), len(other)), np.inf)
    for positions, rows in _per_source_rows(graph, search, limit_s, columns=other.node):
        block = rows + other.leg_s[None, :]
        block[block > limit_s] = np.inf
        seconds[positions] = block
    minutes = seconds / 60.0
    return minutes.T.copy() if transpose else minutes


def point_times(
    node_seconds: npt.ArrayLike, snapped: Snapped, *, max_minutes: float | None = None
) -> FloatArray:
    """Read node times at snapped points, adding each point's own leg.

    Parameters
    ----------
    node_seconds
        Seconds per node, shape ``(n_nodes,)`` or ``(n_nodes, k)`` (from
        :func:`nearest_times`, :func:`k_nearest_times`, ...).
    snapped
        The points, from :func:`~assetmap.reach.network.snap_points` on the same graph.
    max_minutes
        Times above this become ``inf`` (use the limit of the search, so that
        a leg does not carry a point past it). ``None``: keep all.

    Returns
    -------
    numpy.ndarray
        Seconds per point, shape ``(n_points,)`` or ``(n_points, k)``.

    Examples
    --------
    >>> import numpy as np
    >>> from assetmap.reach.network import Snapped
    >>> at = Snapped(
    ...     node=np.array([0, 2]), distance_m=np.array([0.0, 40.0]),
    ...     leg_s=np.array([0.0, 30.0]), far=np.array([False, False]),
    ... )
    >>> point_times(np.array([10.0, 20.0, 590.0]), at, max_minutes=10).tolist()
    [10.0, inf]
    """
    values = np.asarray(node_seconds, dtype=np.float64)
    times = values[snapped.node]
    times = times + (snapped.leg_s if times.ndim == 1 else snapped.leg_s[:, None])
    limit_s = _limit_seconds(max_minutes)
    times[times > limit_s] = np.inf
    return times


def isochrones(
    graph: WalkGraph,
    lon: float,
    lat: float,
    *,
    minutes: Sequence[float] = (10, 20, 30),
    buffer_m: float = 50.0,
) -> Isochrones:
    """Polygons of the area reachable on foot from a point within each limit.

    How a polygon is made, for a limit of ``L`` seconds:

    1. the *reachable street*: every node with time ``t <= L``, and along each
       edge from such a node the piece walkable in the time left, i.e. the
       fraction ``(L - t) / edge_seconds`` of the edge (all of it when the
       pieces from both ends meet);
    2. the street buffered by about ``buffer_m`` metres (what you reach just
       off it), drawn on a grid of ``buffer_m / 2`` cells: the cells whose
       centre is within ``buffer_m`` of the street (sampled every
       ``buffer_m / 4``), plus the 3 x 3 cells around every reachable node;
       the union of those cells is the polygon (square-edged by design:
       fast, and honest about its resolution);
    3. each node *out of reach* that still falls inside is cut out with a
       disc of radius ``min(d_node / 2, max(d_street / 2, 1 m))``, where
       ``d_node`` is its distance to the nearest reachable node and
       ``d_street`` to the reachable street.

    So, by construction, the polygon contains every node within the limit
    in its interior (the 3 x 3 cells around it are in, and every disc stops
    halfway to the nearest reachable node) and no node beyond it (each is
    outside the cells or inside its own disc). The one exception no polygon
    can avoid: an unreachable node at exactly the position of a reachable
    one. Containment means ``shapely.contains_xy`` on the returned
    EPSG:4326 polygon.

    Parameters
    ----------
    graph
        The walk graph.
    lon, lat
        WGS 84 coordinates of the starting point.
    minutes
        The limits in minutes (any order; duplicates dropped).
    buffer_m
        How far either side of the reachable street the polygon reaches.

    Returns
    -------
    Isochrones

    Raises
    ------
    NetworkError
        If the coordinates are missing or out of range.
    ValueError
        If ``minutes`` is empty or holds a negative number, or ``buffer_m``
        is not positive.
    """
    limits = sorted({float(m) for m in minutes})
    if not limits:
        msg = "`minutes` must hold at least one limit."
        raise ValueError(msg)
    for limit in limits:
        _limit_seconds(limit)
    if not (np.isfinite(buffer_m) and buffer_m > 0):
        msg = f"`buffer_m` must be a positive number, got {buffer_m!r}."
        raise ValueError(msg)
    node_seconds = times_from_point(graph, lon, lat, max_minutes=limits[-1])
    geometries = []
    node_sets = []
    for limit in limits:
        inside = np.flatnonzero(node_seconds <= limit * 60.0)
        node_sets.append(inside)
        polygon = _reach_polygon(graph, node_seconds, limit * 60.0, inside, buffer_m)
        geometries.append(shapely.transform(polygon, _to_lonlat(graph), interleaved=False))
    polygons = gpd.GeoDataFrame(
        {
            "minutes": pd.Series(limits, dtype="float64"),
            "n_nodes": pd.Series([len(s) for s in node_sets], dtype="int64"),
        },
        geometry=geometries,
        crs="EPSG:4326",
    )
    return Isochrones(polygons=polygons, nodes=tuple(node_sets), node_seconds=node_seconds)


def _to_lonlat(graph: WalkGraph) -> object:
    def transform(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        lon, lat = graph.to_lonlat.transform(x, y)
        return np.asarray(lon), np.asarray(lat)

    return transform


def _reach_polygon(
    graph: WalkGraph,
    node_seconds: FloatArray,
    limit_s: float,
    inside: IntArray,
    buffer_m: float,
) -> shapely.Geometry:
    """Draw the isochrone polygon in the graph's metric CRS (see :func:`isochrones`)."""
    if len(inside) == 0:
        return shapely.Polygon()
    x, y = graph.x, graph.y
    x0, y0, x1, y1 = _reachable_pieces(graph, node_seconds, limit_s)
    sx, sy = _sample_pieces(x0, y0, x1, y1, step=buffer_m / 4)
    sx = np.concatenate([sx, x[inside]])
    sy = np.concatenate([sy, y[inside]])
    cell = buffer_m / 2
    pad = buffer_m + 2 * cell
    xmin, ymin = float(sx.min()) - pad, float(sy.min()) - pad
    n_cols = int((float(sx.max()) + pad - xmin) / cell) + 1
    n_rows = int((float(sy.max()) + pad - ymin) / cell) + 1
    if n_cols * n_rows > _MAX_CELLS:
        # Very large areas: coarser cells (the node guarantee does not depend on size).
        cell *= float(np.sqrt(n_cols * n_rows / _MAX_CELLS))
        n_cols = int((float(sx.max()) + pad - xmin) / cell) + 1
        n_rows = int((float(sy.max()) + pad - ymin) / cell) + 1
    off_street = np.ones((n_rows, n_cols), dtype=bool)
    off_street[((sy - ymin) / cell).astype(np.int64), ((sx - xmin) / cell).astype(np.int64)] = False
    cells = ndimage.distance_transform_edt(off_street, sampling=cell) <= buffer_m
    rows = ((y[inside] - ymin) / cell).astype(np.int64)
    cols = ((x[inside] - xmin) / cell).astype(np.int64)
    for d_row in (-1, 0, 1):
        for d_col in (-1, 0, 1):
            cells[rows + d_row, cols + d_col] = True
    polygon = _cells_to_polygon(cells, xmin, ymin, cell)
    return _cut_out_unreachable(graph, polygon, inside, sx, sy)


_MAX_CELLS = 16_000_000


def _reachable_pieces(
    graph: WalkGraph, node_seconds: FloatArray, limit_s: float
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Segments of street walkable within ``limit_s``: start and end coordinates."""
    u, v, w = graph.edge_u, graph.edge_v, graph.edge_s
    tu, tv = node_seconds[u], node_seconds[v]
    near = (tu <= limit_s) | (tv <= limit_s)
    u, v, w, tu, tv = u[near], v[near], w[near], tu[near], tv[near]
    with np.errstate(divide="ignore", invalid="ignore"):
        fu = np.where(tu <= limit_s, np.clip((limit_s - tu) / w, 0.0, 1.0), 0.0)
        fv = np.where(tv <= limit_s, np.clip((limit_s - tv) / w, 0.0, 1.0), 0.0)
    fu[(w == 0) & (tu <= limit_s)] = 1.0
    fv[(w == 0) & (tv <= limit_s)] = 1.0
    whole = fu + fv >= 1.0
    fu[whole], fv[whole] = 1.0, 0.0
    starts = np.concatenate([u[fu > 0], v[fv > 0]])
    towards = np.concatenate([v[fu > 0], u[fv > 0]])
    fraction = np.concatenate([fu[fu > 0], fv[fv > 0]])
    x0, y0 = graph.x[starts], graph.y[starts]
    x1 = x0 + fraction * (graph.x[towards] - x0)
    y1 = y0 + fraction * (graph.y[towards] - y0)
    return x0, y0, x1, y1


def _sample_pieces(
    x0: FloatArray, y0: FloatArray, x1: FloatArray, y1: FloatArray, *, step: float
) -> tuple[FloatArray, FloatArray]:
    """Points along each segment, both ends included, at most ``step`` apart."""
    length = np.hypot(x1 - x0, y1 - y0)
    parts = np.maximum(1, np.ceil(length / step)).astype(np.int64)
    owner = np.repeat(np.arange(len(length)), parts + 1)
    first = np.repeat(np.cumsum(parts + 1) - (parts + 1), parts + 1)
    along = (np.arange(len(owner)) - first) / parts[owner]
    return x0[owner] + along * (x1 - x0)[owner], y0[owner] + along * (y1 - y0)[owner]


def _cells_to_polygon(
    cells: npt.NDArray[np.bool_], xmin: float, ymin: float, cell: float
) -> shapely.Geometry:
    """Return the union of the ``True`` cells of a grid, as a (Multi)Polygon.

    Every cell side between an inside and an outside cell is a boundary
    segment; GEOS polygonizes them, and the faces whose interior lies in an
    inside cell are kept (the others are holes).
    """
    padded = np.pad(cells, 1)
    v_row, v_col = np.nonzero(padded[1:-1, 1:] != padded[1:-1, :-1])
    h_row, h_col = np.nonzero(padded[1:, 1:-1] != padded[:-1, 1:-1])
    ax = xmin + cell * np.concatenate([v_col, h_col])
    ay = ymin + cell * np.concatenate([v_row, h_row])
    bx = xmin + cell * np.concatenate([v_col, h_col + 1])
    by = ymin + cell * np.concatenate([v_row + 1, h_row])
    sides = shapely.linestrings(
        np.stack([np.column_stack([ax, bx]), np.column_stack([ay, by])], axis=-1)
    )
    rings = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(sides)))
    faces = shapely.get_parts(shapely.polygonize(rings))
    inner = shapely.get_coordinates(shapely.point_on_surface(faces))
    keep = cells[
        ((inner[:, 1] - ymin) / cell).astype(np.int64),
        ((inner[:, 0] - xmin) / cell).astype(np.int64),
    ]
    kept = faces[keep]
    return kept[0] if len(kept) == 1 else shapely.multipolygons(kept)


def _cut_out_unreachable(
    graph: WalkGraph,
    polygon: shapely.Geometry,
    inside: IntArray,
    street_x: FloatArray,
    street_y: FloatArray,
) -> shapely.Geometry:
    """Cut a disc around every out-of-reach node that ``polygon`` contains.

    The radius is ``min(d_node / 2, max(d_street / 2, 1 m))``: never more
    than half the way to the nearest reachable node, so none is cut out
    (``street_x``/``street_y`` are points along the reachable street).
    """
    x, y = graph.x, graph.y
    out = np.ones(graph.n_nodes, dtype=bool)
    out[inside] = False
    xmin, ymin, xmax, ymax = shapely.bounds(polygon)
    candidates = np.flatnonzero(out & (x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax))
    shapely.prepare(polygon)
    swallowed = candidates[shapely.contains_xy(polygon, x[candidates], y[candidates])]
    if len(swallowed) == 0:
        return polygon
    where = np.column_stack([x[swallowed], y[swallowed]])
    d_node, _ = cKDTree(np.column_stack([x[inside], y[inside]])).query(where)
    d_street, _ = cKDTree(
        np.column_stack([street_x, street_y]), balanced_tree=False, compact_nodes=False
    ).query(where)
    radius = np.minimum(np.asarray(d_node) / 2, np.maximum(np.asarray(d_street) / 2, 1.0))
    cut = radius > 0
    if not cut.all():
        logger.debug("%d unreachable nodes coincide with reachable ones", int((~cut).sum()))
    discs = shapely.buffer(shapely.points(where[cut]), radius[cut], quad_segs=4)
    return shapely.difference(polygon, shapely.union_all(discs))
