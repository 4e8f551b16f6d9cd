"""The cycling network: ways a bike may use, in the walking network's arrays.

The OSM importer writes it beside the walking network (``cycle.npz``): an
undirected :class:`~assetmap.reach.network.WalkNetwork` of the ways
:func:`assetmap.ingest.osm.is_cyclable` accepts, and per edge whether it
is a high-stress road (:func:`assetmap.ingest.osm.is_high_stress`: a busy
road class with no cycle lane or track). :func:`build_cycle_graph` makes a
travel-time graph of it at a cycling speed, optionally without the
high-stress roads; every walking kernel (:mod:`assetmap.reach.travel`)
then answers cycling questions unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from assetmap.atomic import atomic_path
from assetmap.errors import NetworkError
from assetmap.reach.network import WalkConfig, WalkGraph, WalkNetwork, build_walk_graph

__all__ = [
    "CYCLE_FILENAME",
    "CycleConfig",
    "CycleNetwork",
    "build_cycle_graph",
    "load_cycle_network",
    "save_cycle_network",
]

CYCLE_FILENAME = "cycle.npz"


@dataclass(frozen=True, eq=False)
class CycleNetwork:
    """Ways a bike may use, and which of their edges are high-stress roads."""

    network: WalkNetwork
    stress: npt.NDArray[np.bool_]

    def __post_init__(self) -> None:
        if len(self.stress) != self.network.n_edges:
            msg = "CycleNetwork `stress` must have one flag per edge."
            raise NetworkError(msg)


@dataclass(frozen=True, slots=True)
class CycleConfig:
    """How people cycle.

    Attributes
    ----------
    speed_kmh
        Cycling speed (default 15 km/h, a relaxed urban pace); the leg
        between a point and the network is counted at this speed too.
    avoid_high_stress
        Leave out busy roads without a cycle lane or track.

    Examples
    --------
    >>> CycleConfig().speed_kmh
    15.0
    """

    speed_kmh: float = 15.0
    avoid_high_stress: bool = False

    def __post_init__(self) -> None:
        if not (isinstance(self.speed_kmh, int | float) and 0 < self.speed_kmh <= 60):
            msg = f"CycleConfig `speed_kmh` must be in (0, 60], got {self.speed_kmh!r}."
            raise NetworkError(msg)


def build_cycle_graph(cycle: CycleNetwork, config: CycleConfig | None = None) -> WalkGraph:
    """Build the cycling travel-time graph.

    Parameters
    ----------
    cycle
        The cycling network (e.g. from :func:`load_cycle_network`).
    config
        Speed and stress avoidance; ``CycleConfig()`` when omitted.

    Returns
    -------
    WalkGraph
        A graph every :mod:`assetmap.reach.travel` kernel accepts.
    """
    config = config or CycleConfig()
    network = cycle.network
    if config.avoid_high_stress:
        keep = ~cycle.stress
        network = WalkNetwork(
            node_ids=network.node_ids,
            lon=network.lon,
            lat=network.lat,
            edge_u=network.edge_u[keep],
            edge_v=network.edge_v[keep],
            length_m=network.length_m[keep],
        )
    return build_walk_graph(network, config=WalkConfig(speed_kmh=float(config.speed_kmh)))


def save_cycle_network(cycle: CycleNetwork, path: str | Path) -> None:
    """Write ``cycle`` to ``path`` (``.npz``), atomically."""
    with atomic_path(path) as tmp, tmp.open("wb") as out:  # a handle: numpy adds no suffix
        np.savez_compressed(out, **cycle.network.arrays(), stress=cycle.stress)


def load_cycle_network(path: str | Path) -> CycleNetwork:
    """Read a cycling network written by :func:`save_cycle_network`.

    Raises
    ------
    NetworkError
        If the file is missing or not a cycling-network file.
    """
    source = Path(path)
    try:
        with np.load(source) as data:
            network = WalkNetwork.from_arrays(data)
            return CycleNetwork(network=network, stress=data["stress"].astype(bool))
    except FileNotFoundError:
        msg = f"No cycling network at {source}; re-import the OSM extract into the workspace."
        raise NetworkError(msg) from None
    except (OSError, KeyError, ValueError) as exc:
        msg = f"{source} is not an assetmap cycling-network file: {exc}."
        raise NetworkError(msg) from exc
