"""The walking street network, in compact arrays.

:class:`WalkNetwork` is what the OSM importer writes into a workspace
(``network.npz``) and what the travel-time work in :mod:`assetmap.reach`
loads. Nodes are street junctions and way vertices kept by the importer;
edges are undirected street segments (walking ignores one-way rules), each
stored once with its length in metres.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from assetmap.errors import NetworkError

__all__ = ["NETWORK_FILENAME", "WalkNetwork", "load_network", "save_network"]

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


def save_network(network: WalkNetwork, path: str | Path) -> None:
    """Write ``network`` to ``path`` (``.npz``), atomically.

    Parameters
    ----------
    network
        The network to save.
    path
        Destination file; written beside as ``*.tmp`` then renamed.
    """
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp.npz")
    np.savez_compressed(
        tmp,
        node_ids=network.node_ids,
        lon=network.lon,
        lat=network.lat,
        edge_u=network.edge_u,
        edge_v=network.edge_v,
        length_m=network.length_m,
    )
    tmp.replace(target)


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
            return WalkNetwork(
                node_ids=data["node_ids"].astype(np.int64),
                lon=data["lon"].astype(np.float64),
                lat=data["lat"].astype(np.float64),
                edge_u=data["edge_u"].astype(np.int32),
                edge_v=data["edge_v"].astype(np.int32),
                length_m=data["length_m"].astype(np.float64),
            )
    except FileNotFoundError:
        msg = f"No walking network at {source}; import an OSM extract into the workspace first."
        raise NetworkError(msg) from None
    except (OSError, KeyError, ValueError) as exc:
        msg = f"{source} is not an assetmap walking-network file: {exc}."
        raise NetworkError(msg) from exc
