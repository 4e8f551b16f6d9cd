"""The walking street network, in compact arrays.

:class:`WalkNetwork` is what the OSM importer writes into a workspace
(``network.npz``) and what the travel-time work in :mod:`assetmap.reach.travel`
loads. Nodes are street junctions and way vertices kept by the importer;
edges are undirected street segments (walking ignores one-way rules), each
stored once with its length in metres.

:func:`build_walk_graph` turns a :class:`WalkNetwork` into a
:class:`WalkGraph`, built once and reused by every travel-time question: a
symmetric sparse matrix of edge walking times in seconds, node coordinates in
metres and a k-d tree for snapping points (assets, postcodes, map clicks) to
the network with :func:`snap_points`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from pyproj import CRS
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from assetmap.atomic import atomic_path
from assetmap.errors import NetworkError
from assetmap.geo import Projection, metric_crs, projection, valid_lonlat

__all__ = [
    "NETWORK_FILENAME",
    "SLOW_SPEED_KMH",
    "Snapped",
    "WalkConfig",
    "WalkGraph",
    "WalkNetwork",
    "build_walk_graph",
    "load_network",
    "project_points",
    "save_network",
    "snap_points",
    "walk_graph_for",
]

logger = logging.getLogger(__name__)

NETWORK_FILENAME = "network.npz"


@dataclass(frozen=True, eq=False)
class WalkNetwork:
    """An undirected walking network.

    Attributes
    ----------
    node_ids
        OSM node id of each node (int64), in index order.
    lon, lat
        WGS 84 coordinates of each node (float64).
    edge_u, edge_v
        Node indexes (int32) of each edge's ends; every edge appears once.
    length_m
        Length of each edge in metres (float64), along the street's shape.
    """

    node_ids: npt.NDArray[np.int64]
    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    edge_u: npt.NDArray[np.int32]
    edge_v: npt.NDArray[np.int32]
    length_m: npt.NDArray[np.float64]

    def __post_init__(self) -> None:
        n = len(self.node_ids)
        if not (len(self.lon) == len(self.lat) == n):
            msg = "Node arrays `node_ids`, `lon` and `lat` must have the same length."
            raise NetworkError(msg)
        m = len(self.edge_u)
        if not (len(self.edge_v) == len(self.length_m) == m):
            msg = "Edge arrays `edge_u`, `edge_v` and `length_m` must have the same length."
            raise NetworkError(msg)
        if m and (
            int(min(self.edge_u.min(), self.edge_v.min())) < 0
            or int(max(self.edge_u.max(), self.edge_v.max())) >= n
        ):
            msg = "Edge ends must be indexes of existing nodes."
            raise NetworkError(msg)
        if m and not np.all(np.isfinite(self.length_m) & (self.length_m >= 0)):
            msg = "Edge lengths must be finite and not negative."
            raise NetworkError(msg)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_ids)

    @property
    def n_edges(self) -> int:
        """Number of undirected edges."""
        return len(self.edge_u)

    def arrays(self) -> dict[str, Any]:  # Any: numpy.savez types its keywords as bool
        """Return the arrays by field name, as a network file stores them.

        Examples
        --------
        >>> net = WalkNetwork(
        ...     node_ids=np.array([7, 9]), lon=np.array([-0.73, -0.72]),
        ...     lat=np.array([52.67, 52.67]), edge_u=np.array([0], dtype=np.int32),
        ...     edge_v=np.array([1], dtype=np.int32), length_m=np.array([680.0]),
        ... )
        >>> sorted(net.arrays())
        ['edge_u', 'edge_v', 'lat', 'length_m', 'lon', 'node_ids']
        >>> WalkNetwork.from_arrays(net.arrays()).n_edges
        1
        """
        return {
            "node_ids": self.node_ids,
            "lon": self.lon,
            "lat": self.lat,
            "edge_u": self.edge_u,
            "edge_v": self.edge_v,
            "length_m": self.length_m,
        }

    @classmethod
    def from_arrays(cls, data: Mapping[str, Any]) -> WalkNetwork:
        """Rebuild a network from :meth:`arrays` (e.g. an open ``.npz``), in its dtypes.

        Raises
        ------
        KeyError
            If an array is missing.
        NetworkError
            If the arrays do not make a network.
        """
        return cls(
            node_ids=data["node_ids"].astype(np.int64),
            lon=data["lon"].astype(np.float64),
            lat=data["lat"].astype(np.float64),
            edge_u=data["edge_u"].astype(np.int32),
            edge_v=data["edge_v"].astype(np.int32),
            length_m=data["length_m"].astype(np.float64),
        )


def save_network(network: WalkNetwork, path: str | Path) -> None:
    """Write ``network`` to ``path`` (``.npz``), atomically.

    Parameters
    ----------
    network
        The network to save.
    path
        Destination file; written beside it, then renamed (:func:`~assetmap.atomic.atomic_path`).
    """
    with atomic_path(path) as tmp, tmp.open("wb") as out:  # a handle: numpy adds no suffix
        np.savez_compressed(out, **network.arrays())


def load_network(path: str | Path) -> WalkNetwork:
    """Read a network written by :func:`save_network`.

    Raises
    ------
    NetworkError
        If the file is missing or not a network file.
    """
    source = Path(path)
    try:
        with np.load(source) as data:
            return WalkNetwork.from_arrays(data)
    except FileNotFoundError:
        msg = f"No walking network at {source}; import an OSM extract into the workspace first."
        raise NetworkError(msg) from None
    except (OSError, KeyError, ValueError) as exc:
        msg = f"{source} is not an assetmap walking-network file: {exc}."
        raise NetworkError(msg) from exc


# --------------------------------------------------------------------------
# The travel-time graph: built once from a WalkNetwork, reused by assetmap.reach.travel.
# --------------------------------------------------------------------------

SLOW_SPEED_KMH = 3.0
"""Walking speed of :meth:`WalkConfig.slow` (km/h), for people with mobility needs.

4.8 km/h is the usual planning figure for an adult; 3.0 km/h is a common
figure for older people and people with mobility impairments, and the
ceiling below which pedestrian-crossing timings are designed.
"""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class WalkConfig:
    """How people walk, and how far off the street a point may be.

    Attributes
    ----------
    speed_kmh
        Walking speed in km/h, applied to street lengths and to the
        straight-line leg between a point and the street (default 4.8).
    max_snap_m
        A point further than this from its snapped node (metres) is flagged
        ``far`` by :func:`snap_points`; its leg is still counted.
    min_component_nodes
        Points snap only to nodes in connected pieces of the network with at
        least this many nodes, so that an asset beside a stray footpath (cut
        off by the edge of the extract, or by a mapping error) snaps to the
        street people actually reach it by. ``1`` snaps to every node.

    Examples
    --------
    >>> WalkConfig().speed_m_s
    1.3333333333333333
    >>> WalkConfig.slow().speed_kmh
    3.0
    """

    speed_kmh: float = 4.8
    max_snap_m: float = 300.0
    min_component_nodes: int = 20

    def __post_init__(self) -> None:
        if not (np.isfinite(self.speed_kmh) and self.speed_kmh > 0):
            msg = f"`speed_kmh` must be a positive number, got {self.speed_kmh!r}."
            raise ValueError(msg)
        if not (np.isfinite(self.max_snap_m) and self.max_snap_m >= 0):
            msg = f"`max_snap_m` must be a number >= 0, got {self.max_snap_m!r}."
            raise ValueError(msg)
        if isinstance(self.min_component_nodes, bool) or not (
            isinstance(self.min_component_nodes, int) and self.min_component_nodes >= 1
        ):
            value = self.min_component_nodes
            msg = f"`min_component_nodes` must be an integer >= 1, got {value!r}."
            raise ValueError(msg)

    @classmethod
    def slow(cls, *, max_snap_m: float = 300.0, min_component_nodes: int = 20) -> WalkConfig:
        """Return the slower preset (3.0 km/h) for people with mobility needs."""
        return cls(
            speed_kmh=SLOW_SPEED_KMH,
            max_snap_m=max_snap_m,
            min_component_nodes=min_component_nodes,
        )

    @property
    def speed_m_s(self) -> float:
        """Walking speed in metres per second."""
        return self.speed_kmh / 3.6


@dataclass(frozen=True, eq=False)
class WalkGraph:
    """A walking network ready for travel-time questions; build it once, reuse it.

    Made by :func:`build_walk_graph`; read-only: share it between users and
    threads freely (pyproj transformers are thread-safe since pyproj 3.1),
    never write into its arrays.

    Attributes
    ----------
    network
        The network it was built from; node ``i`` here is node ``i`` there.
    config
        The walking speed and snapping rules it was built with.
    crs
        The metric CRS of ``x``/``y``: British National Grid (EPSG:27700) for a
        network inside Great Britain, else the local UTM zone.
    x, y
        Node coordinates in metres in ``crs``.
    seconds
        Symmetric ``(n, n)`` CSR matrix of walking time along each edge in
        seconds (self-loops dropped; of parallel edges the shortest kept;
        zero-length edges kept as explicit zeros).
    edge_u, edge_v, edge_s
        The same edges once each (``edge_u < edge_v``) with their seconds.
    component
        Connected-piece label of every node.
    snap_nodes
        Indexes of the nodes points may snap to (see
        :attr:`WalkConfig.min_component_nodes`).
    tree
        k-d tree over ``(x, y)`` of ``snap_nodes``.
    """

    network: WalkNetwork
    config: WalkConfig
    crs: CRS
    x: FloatArray
    y: FloatArray
    seconds: sp.csr_array
    edge_u: IntArray
    edge_v: IntArray
    edge_s: FloatArray
    component: IntArray
    snap_nodes: IntArray
    tree: cKDTree
    to_metric: Projection
    to_lonlat: Projection

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return self.network.n_nodes

    def with_config(self, config: WalkConfig) -> WalkGraph:
        """Return this graph for another walking speed or snapping rule.

        Reuses the projected coordinates (and the k-d tree when
        ``min_component_nodes`` is unchanged), so switching to
        :meth:`WalkConfig.slow` is cheap.

        Parameters
        ----------
        config
            The new configuration.

        Returns
        -------
        WalkGraph
        """
        if config == self.config:
            return self
        ratio = self.config.speed_kmh / config.speed_kmh
        seconds = sp.csr_array(
            (self.seconds.data * ratio, self.seconds.indices, self.seconds.indptr),
            shape=self.seconds.shape,
        )
        graph = replace(self, config=config, seconds=seconds, edge_s=self.edge_s * ratio)
        if config.min_component_nodes != self.config.min_component_nodes:
            snap_nodes = _snap_targets(self.component, config.min_component_nodes)
            tree = cKDTree(np.column_stack([self.x[snap_nodes], self.y[snap_nodes]]))
            graph = replace(graph, snap_nodes=snap_nodes, tree=tree)
        return graph


def build_walk_graph(network: WalkNetwork, *, config: WalkConfig | None = None) -> WalkGraph:
    """Build the travel-time graph of a walking network.

    Parameters
    ----------
    network
        The walking network (e.g. from :func:`load_network`).
    config
        Walking speed and snapping rules; ``WalkConfig()`` when omitted.

    Returns
    -------
    WalkGraph

    Raises
    ------
    NetworkError
        If the network has no nodes, or its coordinates are not valid WGS 84.

    Examples
    --------
    >>> import numpy as np
    >>> net = WalkNetwork(
    ...     node_ids=np.array([1, 2], dtype=np.int64),
    ...     lon=np.array([-0.72, -0.72]), lat=np.array([52.67, 52.671]),
    ...     edge_u=np.array([0], dtype=np.int32), edge_v=np.array([1], dtype=np.int32),
    ...     length_m=np.array([120.0]),
    ... )
    >>> graph = build_walk_graph(net, config=WalkConfig(min_component_nodes=1))
    >>> float(graph.seconds[0, 1]), graph.crs.to_epsg()
    (90.0, 27700)
    """
    config = WalkConfig() if config is None else config
    n = network.n_nodes
    if n == 0:
        msg = "The walking network has no nodes; import an OSM extract with streets first."
        raise NetworkError(msg)
    lon, lat = network.lon, network.lat
    row = _first_invalid(lon, lat)
    if row is not None:
        msg = f"Network node {row} has invalid coordinates (lon={lon[row]!r}, lat={lat[row]!r})."
        raise NetworkError(msg)
    crs = metric_crs(lon, lat)
    to_metric = projection("EPSG:4326", crs)
    to_lonlat = projection(crs, "EPSG:4326")
    x, y = (np.asarray(a, dtype=np.float64) for a in to_metric.transform(lon, lat))

    edge_u, edge_v, edge_m = _simple_edges(network)
    edge_s = edge_m / config.speed_m_s
    seconds = _symmetric_csr(n, edge_u, edge_v, edge_s)
    _, labels = connected_components(seconds, directed=False)
    component = labels.astype(np.int64)
    snap_nodes = _snap_targets(component, config.min_component_nodes)
    tree = cKDTree(np.column_stack([x[snap_nodes], y[snap_nodes]]))
    logger.debug(
        "Walk graph: %d nodes, %d edges, %d snap targets, CRS %s",
        n,
        len(edge_u),
        len(snap_nodes),
        crs.to_string(),
    )
    return WalkGraph(
        network=network,
        config=config,
        crs=crs,
        x=x,
        y=y,
        seconds=seconds,
        edge_u=edge_u,
        edge_v=edge_v,
        edge_s=edge_s,
        component=component,
        snap_nodes=snap_nodes,
        tree=tree,
        to_metric=to_metric,
        to_lonlat=to_lonlat,
    )


def _simple_edges(network: WalkNetwork) -> tuple[IntArray, IntArray, FloatArray]:
    """Edges once each as ``u < v``, self-loops dropped, shortest of parallels kept."""
    u = network.edge_u.astype(np.int64)
    v = network.edge_v.astype(np.int64)
    length = network.length_m.astype(np.float64)
    keep = u != v
    lo, hi, length = np.minimum(u, v)[keep], np.maximum(u, v)[keep], length[keep]
    order = np.lexsort((length, hi, lo))
    lo, hi, length = lo[order], hi[order], length[order]
    first = np.ones(len(lo), dtype=bool)
    first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    return lo[first], hi[first], length[first]


def _symmetric_csr(n: int, u: IntArray, v: IntArray, weight: FloatArray) -> sp.csr_array:
    """CSR matrix with ``weight`` at (u, v) and (v, u), explicit zeros kept."""
    rows = np.concatenate([u, v])
    cols = np.concatenate([v, u])
    data = np.concatenate([weight, weight])
    order = np.lexsort((cols, rows))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    index_dtype = np.int32 if len(rows) < np.iinfo(np.int32).max else np.int64
    return sp.csr_array(
        (data[order], cols[order].astype(index_dtype), indptr.astype(index_dtype)),
        shape=(n, n),
    )


def _snap_targets(component: IntArray, min_nodes: int) -> IntArray:
    """Nodes in connected pieces of at least ``min_nodes`` nodes (all, if none is that big)."""
    sizes = np.bincount(component)
    targets = np.flatnonzero(sizes[component] >= min_nodes)
    if len(targets) == 0:
        targets = np.flatnonzero(sizes[component] == sizes.max())
    return targets.astype(np.int64)


@dataclass(frozen=True, eq=False)
class Snapped:
    """Points snapped to their nearest network node.

    Attributes
    ----------
    node
        Index of the nearest snap-target node of each point.
    distance_m
        Straight-line distance from the point to that node, in metres.
    leg_s
        Seconds to walk ``distance_m`` at the graph's walking speed; every
        travel time from or to the point includes it.
    far
        True where ``distance_m`` exceeds :attr:`WalkConfig.max_snap_m` (a
        point in a field, the sea or with wrong coordinates).
    """

    node: IntArray
    distance_m: FloatArray
    leg_s: FloatArray
    far: npt.NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.node)

    def take(self, indices: npt.ArrayLike) -> Snapped:
        """Return the snapped points at ``indices`` (positions or a boolean mask)."""
        idx = np.asarray(indices)
        return Snapped(
            node=self.node[idx],
            distance_m=self.distance_m[idx],
            leg_s=self.leg_s[idx],
            far=self.far[idx],
        )


def snap_points(graph: WalkGraph, lon: npt.ArrayLike, lat: npt.ArrayLike) -> Snapped:
    """Snap points to their nearest network node.

    The network keeps every vertex of every way, so the nearest node is
    never far from the nearest point on a street: on a straight stretch the
    error is at most half the vertex spacing. The straight-line distance to
    the node is walked at the graph's speed and added to every travel time
    from or to the point; a point further than ``config.max_snap_m`` is
    flagged ``far`` but still answered.

    Parameters
    ----------
    graph
        The walk graph.
    lon, lat
        WGS 84 coordinates (scalars or equal-length 1-D arrays).

    Returns
    -------
    Snapped

    Raises
    ------
    NetworkError
        If the arrays differ in length, or a point's coordinates are missing
        or out of range (the message names the first such row).
    """
    x, y = project_points(graph, lon, lat)
    if len(x) == 0:
        empty_f = np.zeros(0, dtype=np.float64)
        return Snapped(np.zeros(0, dtype=np.int64), empty_f, empty_f, np.zeros(0, dtype=bool))
    distance, position = graph.tree.query(np.column_stack([x, y]))
    distance = np.asarray(distance, dtype=np.float64)
    node = graph.snap_nodes[np.asarray(position, dtype=np.int64)]
    return Snapped(
        node=node,
        distance_m=distance,
        leg_s=distance / graph.config.speed_m_s,
        far=distance > graph.config.max_snap_m,
    )


def project_points(
    graph: WalkGraph, lon: npt.ArrayLike, lat: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Project WGS 84 points into the graph's metric CRS, checking them.

    Parameters
    ----------
    graph
        The walk graph.
    lon, lat
        WGS 84 coordinates (scalars or equal-length 1-D arrays).

    Returns
    -------
    x, y : numpy.ndarray
        Coordinates in metres in ``graph.crs``.

    Raises
    ------
    NetworkError
        As :func:`snap_points`.
    """
    lon_a = _as_coords(lon, "lon")
    lat_a = _as_coords(lat, "lat")
    if len(lon_a) != len(lat_a):
        msg = f"`lon` has {len(lon_a)} values but `lat` has {len(lat_a)}."
        raise NetworkError(msg)
    row = _first_invalid(lon_a, lat_a)
    if row is not None:
        msg = (
            f"Point {row} has missing or out-of-range coordinates "
            f"(lon={lon_a[row]!r}, lat={lat_a[row]!r})."
        )
        raise NetworkError(msg)
    x, y = (np.asarray(a, dtype=np.float64) for a in graph.to_metric.transform(lon_a, lat_a))
    bad = ~(np.isfinite(x) & np.isfinite(y))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        msg = (
            f"Point {row} (lon={lon_a[row]!r}, lat={lat_a[row]!r}) cannot be projected "
            f"to {graph.crs.name}."
        )
        raise NetworkError(msg)
    return x, y


def _first_invalid(lon: FloatArray, lat: FloatArray) -> int | None:
    """Return the index of the first point with missing or out-of-range WGS 84 coordinates."""
    bad = ~valid_lonlat(lon, lat)
    return int(np.flatnonzero(bad)[0]) if bad.any() else None


def _as_coords(values: npt.ArrayLike | Sequence[float], name: str) -> FloatArray:
    try:
        array = np.atleast_1d(np.asarray(values, dtype=np.float64))
    except (TypeError, ValueError) as exc:
        msg = f"`{name}` must be numbers: {exc}."
        raise NetworkError(msg) from exc
    if array.ndim != 1:
        msg = f"`{name}` must be a scalar or a 1-D array, got shape {array.shape}."
        raise NetworkError(msg)
    return array


@functools.lru_cache(maxsize=4)
def _graph_cached(path: str, mtime_ns: int) -> WalkGraph:
    del mtime_ns  # part of the cache key: a re-import gives a new graph
    return build_walk_graph(load_network(path))


def walk_graph_for(network_path: str | Path) -> WalkGraph:
    """Return the walking graph of a workspace's ``network.npz`` (built once per file version).

    Raises
    ------
    NetworkError
        If the workspace has no walking network yet.
    """
    path = Path(network_path)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        msg = "This workspace has no walking network yet; import OpenStreetMap data first."
        raise NetworkError(msg) from None
    return _graph_cached(str(path), stamp)
