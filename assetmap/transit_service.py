"""Import GTFS timetables into a workspace, beside its walking network.

:func:`import_transit` cuts the feeds to the walking network's extent plus a
buffer, snaps the stops to the streets (stops too far away are reported, not
fatal) and writes ``timetable.npz`` atomically: a bad feed leaves the
workspace as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from assetmap.errors import IngestError, NetworkError
from assetmap.match.needs import Travel, Travelled
from assetmap.reach.cycle import build_cycle_graph, load_cycle_network
from assetmap.reach.gtfs import area_bbox, read_feeds
from assetmap.reach.network import Snapped, WalkGraph, build_walk_graph, load_network, snap_points
from assetmap.reach.sites import Method, MinutesMatrix, SiteSuggestion
from assetmap.reach.timetable import (
    TIMETABLE_FILENAME,
    WEEKDAYS,
    Timetable,
    load_timetable,
    save_timetable,
)
from assetmap.reach.transit_times import (
    TransitConfig,
    journeys_from_point,
    parse_departure,
    point_seconds_by_transit,
    stop_walks,
    transit_minutes_matrix,
    transit_times,
)
from assetmap.reach.travel import point_times, times_from_point
from assetmap.workspace import Workspace

if TYPE_CHECKING:
    import geopandas as gpd

    from assetmap.reach.coverage import Coverage, CoverageSeries, Demand

__all__ = [
    "MODES",
    "MODE_CHOICES",
    "MODE_TITLES",
    "TransitImport",
    "available_modes",
    "bike_travel",
    "coverage_by_mode",
    "coverage_for_mode",
    "departure_window",
    "has_timetable",
    "import_transit",
    "mode_graph",
    "mode_times",
    "nearest_by_transit",
    "range_series_for_mode",
    "suggest_sites_for_mode",
    "timetable_path",
    "transit_minutes_between",
    "transit_point_times",
    "transit_travel",
    "workspace_timetable",
]

FloatArray = npt.NDArray[np.float64]


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


MODES = ("walk", "bike", "transit")
"""Travel modes a user may choose."""

MODE_WORDS = {"walk": "walk", "bike": "cycle", "transit": "walk + public transport"}

MODE_CHOICES = {"walk": "On foot", "bike": "By bike", "transit": "Walk + public transport"}
"""How a page names each mode."""

MODE_TITLES = {"walk": "Walk", "bike": "Cycle", "transit": "Walk + public transport"}
"""Each mode as a column or map title ("Walk to nearest ...")."""


def available_modes(workspace: Workspace) -> list[str]:
    """Return the modes a workspace can measure (cycling and transit when it has their data).

    Examples
    --------
    >>> import tempfile
    >>> from assetmap.workspace import create_workspace
    >>> available_modes(create_workspace(Path(tempfile.mkdtemp()) / "ws"))
    ['walk']
    """
    modes = ["walk"]
    if workspace.cycle_path.is_file():
        modes.append("bike")
    if has_timetable(workspace):
        modes.append("transit")
    return modes


def mode_graph(workspace: Workspace, walk_graph: WalkGraph, mode: str) -> WalkGraph:
    """Return the graph a mode travels on: the cycling network for ``bike``, else walking.

    Raises
    ------
    NetworkError
        If ``mode`` is unknown or the workspace lacks the network it needs.
    """
    if mode not in MODES:
        msg = f"Unknown travel mode {mode!r}; use one of {', '.join(MODES)}."
        raise NetworkError(msg)
    if mode == "bike":
        return build_cycle_graph(load_cycle_network(workspace.cycle_path))
    return walk_graph


def transit_point_times(
    workspace: Workspace,
    walk_graph: WalkGraph,
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    depart: str,
    config: TransitConfig | None = None,
) -> Callable[[pd.DataFrame], FloatArray]:
    """Walk + public transport ``times`` for coverage from these points, over ``depart``.

    Parameters
    ----------
    workspace
        A workspace with a timetable (``assetmap transit``).
    walk_graph
        Its walking graph.
    lon, lat
        The demand points.
    depart
        The window, e.g. ``"Tue 08:00-10:00"``.
    config
        Walking limits around public transport.
    """
    config = config or TransitConfig()
    timetable = workspace_timetable(workspace)
    walks = stop_walks(walk_graph, timetable, config)
    departure = parse_departure(depart)
    return point_seconds_by_transit(walk_graph, timetable, walks, lon, lat, departure, config)


def nearest_by_transit(
    workspace: Workspace,
    walk_graph: WalkGraph,
    assets: pd.DataFrame,
    lon: float,
    lat: float,
    depart: str,
    config: TransitConfig | None = None,
) -> pd.DataFrame:
    """Minutes from one place to the nearest asset of every category, walk + public transport.

    Returns
    -------
    pandas.DataFrame
        ``category``, ``median_min``, ``worst_min`` (75th percentile over the
        departure minutes) and ``walk_min``, nearest first.
    """
    from assetmap.reach.coverage import asset_categories

    config = config or TransitConfig()
    timetable = workspace_timetable(workspace)
    walks = stop_walks(walk_graph, timetable, config)
    departure = parse_departure(depart)
    pairs = asset_categories(assets)
    rows = []
    for category, group in pairs.groupby("category", sort=True):
        result = transit_times(
            walk_graph,
            timetable,
            walks,
            group["lon"].to_numpy(),
            group["lat"].to_numpy(),
            [lon],
            [lat],
            departure,
            config,
        )
        rows.append(
            {
                "category": category,
                "median_min": float(result.median_min[0]),
                "worst_min": float(result.worst_min[0]),
                "walk_min": float(result.walk_min[0]),
            }
        )
    table = pd.DataFrame(rows, columns=["category", "median_min", "worst_min", "walk_min"])
    return table.sort_values("median_min", kind="stable").reset_index(drop=True)


def transit_travel(
    workspace: Workspace,
    walk_graph: WalkGraph,
    assets: Snapped,
    depart: str,
    config: TransitConfig | None = None,
) -> Travel:
    """Walk + public transport ``travel`` for :func:`assetmap.match.needs.match_plan`.

    Parameters
    ----------
    workspace
        A workspace with a timetable.
    walk_graph
        Its walking graph.
    assets
        The match context's assets snapped to ``walk_graph``.
    depart
        The departure window, e.g. ``"Tue 08:00-10:00"``.
    config
        Walking limits around public transport.

    Returns
    -------
    callable
        From a start ``(lon, lat)``: :class:`~assetmap.match.needs.Travelled`
        with the route of each journey that rides (``Journey.to_record``).
    """
    config = config or TransitConfig()
    timetable = workspace_timetable(workspace)
    walks = stop_walks(walk_graph, timetable, config)
    departure = parse_departure(depart)

    def travel(lon: float, lat: float) -> Travelled:
        walk_only = point_times(times_from_point(walk_graph, lon, lat), assets)
        found = journeys_from_point(
            walk_graph,
            timetable,
            walks,
            lon,
            lat,
            assets.node,
            assets.leg_s,
            walk_only,
            departure,
            config,
        )
        routes = [None if j is None else j.to_record() for j in found.journeys]
        return Travelled("transit", found.minutes, found.reasons, routes)

    return travel


def bike_travel(workspace: Workspace, lon: npt.ArrayLike, lat: npt.ArrayLike) -> Travel:
    """Cycling ``travel`` for :func:`assetmap.match.needs.match_plan`.

    Parameters
    ----------
    workspace
        A workspace with a cycling network (``cycle.npz``, from the OSM import).
    lon, lat
        The match context's asset points.

    Returns
    -------
    callable
        From a start ``(lon, lat)``: minutes by bike to every asset.

    Raises
    ------
    NetworkError
        If the workspace has no cycling network.
    """
    graph = build_cycle_graph(load_cycle_network(workspace.cycle_path))
    points = snap_points(graph, lon, lat)

    def travel(start_lon: float, start_lat: float) -> Travelled:
        seconds = point_times(times_from_point(graph, start_lon, start_lat), points)
        n = len(seconds)
        return Travelled("bike", np.asarray(seconds, dtype=np.float64) / 60.0, [None] * n,
                         [None] * n)  # fmt: skip

    return travel


def transit_minutes_between(
    workspace: Workspace,
    walk_graph: WalkGraph,
    depart: str,
    config: TransitConfig | None = None,
) -> MinutesMatrix:
    """Walk + public transport ``minutes_matrix`` for :func:`assetmap.reach.sites.suggest_sites`.

    Medians over the ``depart`` window (e.g. ``"Tue 08:00-10:00"``), from the
    workspace's timetable.
    """
    config = config or TransitConfig()
    timetable = workspace_timetable(workspace)
    walks = stop_walks(walk_graph, timetable, config)
    departure = parse_departure(depart)

    def matrix(
        o_lon: FloatArray, o_lat: FloatArray, t_lon: FloatArray, t_lat: FloatArray, limit: float
    ) -> FloatArray:
        return transit_minutes_matrix(
            walk_graph, timetable, walks, o_lon, o_lat, t_lon, t_lat, departure, config,
            max_minutes=limit,
        )  # fmt: skip

    return matrix


def coverage_by_mode(
    workspace: Workspace,
    walk_graph: WalkGraph,
    assets: pd.DataFrame,
    *,
    minutes: float,
    by: str = "auto",
    depart: str = "Tue 08:00-09:00",
) -> tuple[pd.DataFrame, list[str]]:
    """Share of postcodes (else areas) within ``minutes`` of each category, per travel mode.

    Walking always; cycling when the workspace has a cycling network; walk +
    public transport (median over the ``depart`` window) when it has a
    timetable.

    Returns
    -------
    tuple
        A table with ``category`` and one share column per available mode
        (``walk``, ``bike``, ``transit``), and notes on the modes left out.
    """
    from assetmap.reach.coverage import coverage
    from assetmap.reach_service import workspace_demand

    notes: list[str] = []
    columns: dict[str, pd.Series] = {}
    for mode in MODES:
        try:
            graph = mode_graph(workspace, walk_graph, mode)
            _, demand = workspace_demand(workspace, graph, by=by)
            times = None
            if mode == "transit":
                times = transit_point_times(workspace, graph, demand.lon, demand.lat, depart)
        except NetworkError as exc:
            notes.append(f"{MODE_WORDS[mode]}: {exc}")
            continue
        result = coverage(
            graph, assets, demand, minutes=minutes, count=False, times=times
        ).by_category
        share = "share_postcodes" if demand.n_postcodes else "share_areas"
        columns[mode] = result.set_index("category")[share]
    table = pd.DataFrame(columns)
    table.index.name = "category"
    return table.reset_index(), notes


def mode_times(
    workspace: Workspace, walk_graph: WalkGraph, demand: Demand, mode: str, depart: str
) -> Callable[[pd.DataFrame], FloatArray] | None:
    """Return coverage's ``times`` for a mode at the demand points (``None``: over its graph).

    For public transport, a category whose assets are the same as one
    already measured (another month of a series) is not measured again.
    """
    if mode != "transit":
        return None
    times = transit_point_times(workspace, walk_graph, demand.lon, demand.lat, depart)
    seen: dict[bytes, FloatArray] = {}

    def remembered(assets: pd.DataFrame) -> FloatArray:
        points = assets[["lon", "lat"]].to_numpy(dtype=np.float64)
        key = np.ascontiguousarray(points[np.lexsort(points.T[::-1])]).tobytes()
        if key not in seen:
            seen[key] = times(assets)
        return seen[key]

    return remembered


def _mode_setup(
    workspace: Workspace,
    walk_graph: WalkGraph,
    mode: str,
    by: str,
    depart: str,
    *,
    times: bool = True,
) -> tuple[WalkGraph, str, Demand, Callable[[pd.DataFrame], FloatArray] | None]:
    """Return the graph, areas, demand points and ``times`` a mode is measured with."""
    from assetmap.reach_service import workspace_demand

    graph = mode_graph(workspace, walk_graph, mode)
    if mode == "transit":
        workspace_timetable(workspace)  # no timetable: say so before measuring
    kind, demand = workspace_demand(workspace, graph, by=by)
    if not times:
        return graph, kind, demand, None
    return graph, kind, demand, mode_times(workspace, graph, demand, mode, depart)


def coverage_for_mode(
    workspace: Workspace,
    walk_graph: WalkGraph,
    assets: pd.DataFrame,
    *,
    mode: str,
    minutes: float,
    by: str = "auto",
    depart: str = "Tue 08:00-09:00",
    search_minutes: float | None = None,
) -> tuple[str, Demand, Coverage]:
    """Coverage of every category by one travel mode, for the gap map of that mode.

    Parameters
    ----------
    workspace
        The workspace (its cycling network or timetable when the mode needs it).
    walk_graph
        Its walking graph.
    assets
        The register (as the caller may see it).
    mode
        ``"walk"``, ``"bike"`` or ``"transit"`` (median over ``depart``).
    minutes, search_minutes
        The limit, and how far beyond it to measure (as for
        :func:`assetmap.reach.coverage.coverage`).
    by
        Areas: ``"auto"``, ``"lsoa"`` or ``"grid"``.
    depart
        The departure window for public transport.

    Returns
    -------
    tuple
        ``(kind of areas, demand, coverage)``; the demand's areas are the
        ones the gap map draws.

    Raises
    ------
    NetworkError
        Unknown mode, or the workspace lacks the cycling network or timetable.
    """
    from assetmap.reach.coverage import coverage

    graph, kind, demand, times = _mode_setup(workspace, walk_graph, mode, by, depart)
    result = coverage(
        graph, assets, demand, minutes=minutes, search_minutes=search_minutes,
        count=mode == "walk", times=times,
    )  # fmt: skip
    return kind, demand, result


def range_series_for_mode(
    workspace: Workspace,
    walk_graph: WalkGraph,
    snapshots: Iterable[tuple[dt.datetime, gpd.GeoDataFrame]],
    *,
    mode: str,
    minutes: float,
    by: str = "auto",
    depart: str = "Tue 08:00-09:00",
) -> CoverageSeries:
    """Measure the accessible range month by month (``coverage_series``) by one travel mode.

    Raises
    ------
    NetworkError
        Unknown mode, or the workspace lacks the cycling network or timetable.
    """
    from assetmap.reach.coverage import coverage_series

    graph, _, demand, times = _mode_setup(workspace, walk_graph, mode, by, depart)
    return coverage_series(graph, snapshots, demand, minutes=minutes, times=times)


def suggest_sites_for_mode(
    workspace: Workspace,
    walk_graph: WalkGraph,
    assets: gpd.GeoDataFrame,
    *,
    mode: str,
    category: str,
    count: int,
    minutes: float,
    by: str = "auto",
    imd_weighted: bool = False,
    depart: str = "Tue 08:00-09:00",
    cell_m: float | None = None,
    fallback_cell_m: float | None = None,
    method: Method = "auto",
) -> SiteSuggestion:
    """Suggest sites for a new service by one travel mode (``assetmap sites``, the Dashboard).

    Parameters
    ----------
    workspace, walk_graph, assets
        The workspace, its walking graph and the register.
    mode
        ``"walk"``, ``"bike"`` (over the cycling network) or ``"transit"``
        (walk + public transport, median over ``depart``).
    category, count, minutes, method
        As for :func:`assetmap.reach.sites.suggest_sites`.
    by
        Areas of the demand: ``"auto"``, ``"lsoa"`` or ``"grid"``.
    imd_weighted
        Weigh each postcode by its area's IMD score.
    depart
        The departure window for public transport.
    cell_m
        Candidates on a grid of this size instead of the register's venues.
    fallback_cell_m
        Candidates on a grid of this size when the register has no venues.

    Raises
    ------
    NetworkError
        Unknown mode, or the workspace lacks the cycling network or timetable.
    QueryError
        No candidates, or IMD weighting without scores.
    """
    from assetmap.reach.sites import candidate_sites, demand_weights, suggest_sites

    graph, _, demand, _ = _mode_setup(workspace, walk_graph, mode, by, depart, times=False)
    weight = demand_weights(demand, imd_weighted=imd_weighted)
    candidates = candidate_sites(graph, assets, cell_m=cell_m)
    if len(candidates) == 0 and fallback_cell_m is not None:
        candidates = candidate_sites(graph, assets, cell_m=fallback_cell_m)
    matrix = transit_minutes_between(workspace, walk_graph, depart) if mode == "transit" else None
    return suggest_sites(
        graph, assets, demand, candidates, category=category, count=count, minutes=minutes,
        weight=weight, method=method, minutes_matrix=matrix,
    )  # fmt: skip


def has_timetable(workspace: Workspace) -> bool:
    """Return whether the workspace has a public transport timetable."""
    return timetable_path(workspace).exists()


def departure_window(day: str, start: dt.time, *, minutes: int = 60) -> str:
    """Return the window text for a day (``"Tu"``, ``"Wed"``...) and a start time.

    Examples
    --------
    >>> departure_window("We", dt.time(9, 30))
    'wed 09:30-10:30'
    """
    key = day.strip().lower()[:2]
    day = next((name for name in WEEKDAYS if name.startswith(key)), "tue")
    begin = start.hour * 60 + start.minute
    end = min(begin + minutes, 47 * 60 + 59)
    return f"{day} {begin // 60:02d}:{begin % 60:02d}-{end // 60:02d}:{end % 60:02d}"
