"""Import GTFS timetables into a workspace, beside its walking network.

:func:`import_transit` cuts the feeds to the walking network's extent plus a
buffer, snaps the stops to the streets (stops too far away are reported, not
fatal) and writes ``timetable.npz`` atomically: a bad feed leaves the
workspace as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assetmap.errors import IngestError, NetworkError
from assetmap.reach.gtfs import area_bbox, read_feeds
from assetmap.reach.network import build_walk_graph, load_network, snap_points
from assetmap.reach.timetable import TIMETABLE_FILENAME, Timetable, load_timetable, save_timetable
from assetmap.reach.transit_times import TransitConfig
from assetmap.workspace import Workspace

__all__ = ["TransitImport", "import_transit", "timetable_path", "workspace_timetable"]


@dataclass(frozen=True, slots=True)
class TransitImport:
    """What :func:`import_transit` kept.

    Attributes
    ----------
    n_stops, n_routes, n_trips, n_connections
        Sizes of the stored timetable (trips: expanded instances).
    far_stops
        ``(stop id, name, metres)`` of stops further than the snap limit from
        the walking network: vehicles pass through them, nobody walks to them.
    """

    n_stops: int
    n_routes: int
    n_trips: int
    n_connections: int
    far_stops: tuple[tuple[str, str, float], ...]


def timetable_path(workspace: Workspace) -> Path:
    """Return the workspace's timetable file."""
    return workspace.path / TIMETABLE_FILENAME


def workspace_timetable(workspace: Workspace) -> Timetable:
    """Load the workspace's timetable (``NetworkError`` naming the fix when there is none)."""
    return load_timetable(timetable_path(workspace))


def import_transit(
    workspace: Workspace,
    paths: Sequence[str | Path],
    *,
    buffer_m: float = 2000.0,
    config: TransitConfig | None = None,
) -> TransitImport:
    """Import one or more GTFS zips into ``workspace`` (replacing its timetable).

    Parameters
    ----------
    workspace
        A workspace with a walking network.
    paths
        GTFS Schedule zips, combined into one timetable.
    buffer_m
        Stops up to this far beyond the walking network's extent are kept.
    config
        Snap limit for stops (``TransitConfig().max_snap_m`` when omitted).

    Returns
    -------
    TransitImport

    Raises
    ------
    IngestError
        A bad feed: one line naming file and row; nothing is written.
    """
    config = config or TransitConfig()
    network = load_network(workspace.network_path)
    if network.n_nodes == 0:
        msg = f"The walking network of {workspace.path} is empty."
        raise NetworkError(msg)
    bbox = area_bbox(network.lon, network.lat, buffer_m)
    timetable = read_feeds(paths, bbox=bbox)
    snapped = snap_points(build_walk_graph(network), timetable.stop_lon, timetable.stop_lat)
    far = np.flatnonzero(snapped.distance_m > config.max_snap_m)
    target = timetable_path(workspace)
    try:
        save_timetable(timetable, target)
    except OSError as exc:
        msg = f"Cannot write the timetable into {workspace.path}: {exc.strerror or exc}."
        raise IngestError(msg) from exc
    return TransitImport(
        n_stops=timetable.n_stops,
        n_routes=len(timetable.route_name),
        n_trips=len(timetable.trip_route),
        n_connections=timetable.n_connections,
        far_stops=tuple(
            (str(timetable.stop_id[i]), str(timetable.stop_name[i]), float(snapped.distance_m[i]))
            for i in far
        ),
    )
