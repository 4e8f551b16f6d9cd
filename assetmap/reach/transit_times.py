"""Walk + public transport times over a walking network and a timetable.

Glue between the walking kernels (:mod:`assetmap.network`,
:mod:`assetmap.reach`) and the transit kernel (:mod:`assetmap.reach.transit`):
snaps stops to the street network, measures the walks to, from and between
stops, and runs one profile scan per category.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from assetmap.errors import NetworkError
from assetmap.reach.network import WalkGraph, snap_points
from assetmap.reach.timetable import WEEKDAYS, Timetable
from assetmap.reach.transit import (
    Access,
    Footpaths,
    Reached,
    evaluate,
    footpaths,
    rides_to,
    scan_from_origin,
    stop_profiles,
    summarize,
)
from assetmap.reach.travel import nearest_times

__all__ = [
    "Departure",
    "Journey",
    "PointJourneys",
    "Ride",
    "StopWalks",
    "TransitConfig",
    "TransitTimes",
    "journeys_from_point",
    "parse_departure",
    "point_seconds_by_transit",
    "route_word",
    "stop_walks",
    "transit_minutes_matrix",
    "transit_times",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class TransitConfig:
    """Walking limits around public transport.

    Attributes
    ----------
    max_walk_min
        Longest walk from an origin to a stop and from a stop to an asset.
    transfer_walk_min
        Longest walk between two stops to change vehicles.
    min_change_min
        Shortest time to change vehicles, at the same stop or not.
    max_snap_m
        A stop further than this from the street network is not walked to
        (reported at import); vehicles still pass through it.
    horizon_min
        Longest journey answered; longer ones are reported as unreachable.
    """

    max_walk_min: float = 15.0
    transfer_walk_min: float = 5.0
    min_change_min: float = 1.0
    max_snap_m: float = 200.0
    horizon_min: float = 120.0

    def __post_init__(self) -> None:
        for name in ("max_walk_min", "transfer_walk_min", "max_snap_m", "horizon_min"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and value >= 0 and np.isfinite(value)):
                msg = f"TransitConfig `{name}` must be a number >= 0, got {value!r}."
                raise NetworkError(msg)
        if not self.min_change_min * 60 >= 1:
            msg = "TransitConfig `min_change_min` must be at least one second."
            raise NetworkError(msg)


@dataclass(frozen=True, slots=True)
class Departure:
    """A departure window on a service day: every minute from ``start_s`` to ``end_s``.

    Examples
    --------
    >>> parse_departure("Tue 08:00-10:00").minutes
    120
    """

    day: str | dt.date
    start_s: int
    end_s: int

    @property
    def minutes(self) -> int:
        """Number of departure minutes in the window (end excluded)."""
        return max(1, (self.end_s - self.start_s) // 60)

    def times(self) -> IntArray:
        """Every departure minute, in seconds after midnight."""
        return self.start_s + 60 * np.arange(self.minutes, dtype=np.int64)


_WINDOW = re.compile(r"^\s*(\S+)\s+(\d{1,2}):(\d\d)(?:\s*-\s*(\d{1,2}):(\d\d))?\s*$")


def parse_departure(text: str) -> Departure:
    """Parse ``"Tue 08:00-10:00"``, ``"2022-02-22 08:00-09:00"`` or ``"tue 08:30"``.

    Raises
    ------
    NetworkError
        If the text is not a day and a time or time range.
    """
    match = _WINDOW.match(text)
    if not match:
        msg = f"--depart must look like 'Tue 08:00-10:00', got {text!r}."
        raise NetworkError(msg)
    day_text, h1, m1, h2, m2 = match.groups()
    day: str | dt.date
    if day_text[:3].lower() in WEEKDAYS:
        day = day_text[:3].lower()
    else:
        try:
            day = dt.date.fromisoformat(day_text)
        except ValueError:
            msg = f"--depart day must be a weekday name or a date, got {day_text!r}."
            raise NetworkError(msg) from None
    start = int(h1) * 3600 + int(m1) * 60
    end = int(h2) * 3600 + int(m2) * 60 if h2 is not None else start + 60
    if end <= start:
        msg = f"--depart window must end after it starts, got {text!r}."
        raise NetworkError(msg)
    return Departure(day=day, start_s=start, end_s=end)


@dataclass(frozen=True, eq=False)
class StopWalks:
    """Stops on the street network, and the walks around them (built once per graph)."""

    node: IntArray
    leg_s: FloatArray
    usable: npt.NDArray[np.bool_]
    near: sp.csr_array
    """``(n_nodes, n_stops)`` seconds + 1 from a node to a usable stop within the access limit."""
    paths: Footpaths


def stop_walks(graph: WalkGraph, timetable: Timetable, config: TransitConfig) -> StopWalks:
    """Snap the stops and measure walks to and between them, one bounded search per stop."""
    snapped = snap_points(graph, timetable.stop_lon, timetable.stop_lat)
    usable = snapped.distance_m <= config.max_snap_m
    limit = config.max_walk_min * 60.0
    stops = np.flatnonzero(usable)
    rows, cols, vals = [], [], []
    for chunk in np.array_split(stops, max(1, len(stops) // 256 + 1)):
        if not len(chunk):
            continue
        seconds = dijkstra(graph.seconds, directed=False, indices=snapped.node[chunk], limit=limit)
        seconds = seconds + snapped.leg_s[chunk, None]
        r, c = np.nonzero(seconds <= limit)
        rows.append(chunk[r])
        cols.append(c)
        vals.append(seconds[r, c] + 1.0)
    stop_i = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    node_i = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    value = np.concatenate(vals) if vals else np.zeros(0)
    near = sp.csr_array((value, (node_i, stop_i)), shape=(graph.n_nodes, timetable.n_stops))
    # Walks between stops: stop a's search read at stop b's node, plus b's leg.
    between = near[snapped.node[stops]].tocoo()
    b = stops[between.row]
    a = between.col.astype(np.int64)
    walk = between.data - 1.0 + snapped.leg_s[b]
    short = (walk <= config.transfer_walk_min * 60.0) & (a != b)
    paths = footpaths(
        timetable.n_stops,
        walk_from=a[short],
        walk_to=b[short],
        walk_s=walk[short],
        transfer_from=timetable.transfer_from,
        transfer_to=timetable.transfer_to,
        transfer_s=timetable.transfer_s,
        min_change_s=config.min_change_min * 60.0,
    )
    return StopWalks(
        node=snapped.node.astype(np.int64),
        leg_s=snapped.leg_s,
        usable=usable,
        near=near,
        paths=paths,
    )


@dataclass(frozen=True, eq=False)
class TransitTimes:
    """Walk + public transport minutes from every origin to the nearest asset.

    Attributes
    ----------
    seconds
        ``(n_origins, n_departures)`` seconds per departure minute.
    median_min, worst_min
        Median and 'worst typical' (75th percentile) minutes over departures.
    walk_min
        Minutes walking alone, for comparison.
    """

    seconds: FloatArray
    median_min: FloatArray
    worst_min: FloatArray
    walk_min: FloatArray


def _access(
    graph: WalkGraph, walks: StopWalks, lon: npt.ArrayLike, lat: npt.ArrayLike, limit: float
) -> tuple[Access, FloatArray, IntArray]:
    snapped = snap_points(graph, lon, lat)
    rows = walks.near[snapped.node].tocoo()
    seconds = rows.data - 1.0 + snapped.leg_s[rows.row]
    keep = seconds <= limit
    access = Access(
        origin=rows.row[keep].astype(np.int64),
        stop=rows.col[keep].astype(np.int64),
        seconds=seconds[keep],
    )
    return access, snapped.leg_s, snapped.node.astype(np.int64)


def transit_times(
    graph: WalkGraph,
    timetable: Timetable,
    walks: StopWalks,
    assets_lon: npt.ArrayLike,
    assets_lat: npt.ArrayLike,
    origins_lon: npt.ArrayLike,
    origins_lat: npt.ArrayLike,
    departure: Departure,
    config: TransitConfig,
) -> TransitTimes:
    """Minutes from every origin to the nearest asset, walking and riding, over a window.

    Parameters
    ----------
    graph
        The walk graph.
    timetable
        The workspace's timetable.
    walks
        :func:`stop_walks` of this graph, timetable and config.
    assets_lon, assets_lat
        The assets of one category.
    origins_lon, origins_lat
        Where people start (postcodes, nodes, a single address).
    departure
        The day and the window of departure minutes.
    config
        Walking limits.

    Returns
    -------
    TransitTimes
    """
    limit = config.max_walk_min * 60.0
    horizon = config.horizon_min * 60.0
    node_s = np.asarray(nearest_times(graph, assets_lon, assets_lat), dtype=np.float64)
    egress = node_s[walks.node] + walks.leg_s
    egress[(egress > limit) | ~walks.usable] = np.inf
    access, leg, node = _access(graph, walks, origins_lon, origins_lat, limit)
    walk_only = node_s[node] + leg
    conns = timetable.connections_on(
        departure.day, departure.start_s, departure.end_s + int(horizon)
    )
    profiles = stop_profiles(
        conns, timetable.n_stops, len(timetable.trip_route), egress, walks.paths
    )
    seconds = evaluate(profiles, access, walk_only, departure.times(), horizon_s=horizon)
    median, worst = summarize(seconds)
    walk_min = np.where(walk_only <= horizon, walk_only / 60.0, np.inf)
    return TransitTimes(seconds=seconds, median_min=median, worst_min=worst, walk_min=walk_min)


def transit_minutes_matrix(
    graph: WalkGraph,
    timetable: Timetable,
    walks: StopWalks,
    origins_lon: npt.ArrayLike,
    origins_lat: npt.ArrayLike,
    targets_lon: npt.ArrayLike,
    targets_lat: npt.ArrayLike,
    departure: Departure,
    config: TransitConfig,
    *,
    max_minutes: float,
) -> FloatArray:
    """Median minutes over the window from every origin to every target, within a limit.

    One backward profile scan per target (:func:`transit_times` with that
    target alone), over only the connections a journey within
    ``max_minutes`` can use; the walks from the origins to the stops are
    measured once.

    Parameters
    ----------
    graph, timetable, walks, departure, config
        As for :func:`transit_times`.
    origins_lon, origins_lat
        Where people start (e.g. postcodes).
    targets_lon, targets_lat
        The places (e.g. candidate sites).
    max_minutes
        Longer medians are ``inf``.

    Returns
    -------
    numpy.ndarray
        ``(n_origins, n_targets)`` minutes; ``inf`` beyond ``max_minutes``.
    """
    limit_s = min(config.horizon_min, float(max_minutes)) * 60.0
    walk_limit = config.max_walk_min * 60.0
    access, leg, node = _access(graph, walks, origins_lon, origins_lat, walk_limit)
    conns = timetable.connections_on(
        departure.day, departure.start_s, departure.end_s + int(limit_s)
    )
    t_lon = np.asarray(targets_lon, dtype=np.float64).ravel()
    t_lat = np.asarray(targets_lat, dtype=np.float64).ravel()
    out = np.full((len(node), len(t_lon)), np.inf)
    for j in range(len(t_lon)):
        node_s = np.asarray(
            nearest_times(graph, t_lon[j : j + 1], t_lat[j : j + 1], max_minutes=limit_s / 60.0),
            dtype=np.float64,
        )
        egress = node_s[walks.node] + walks.leg_s
        egress[(egress > walk_limit) | ~walks.usable] = np.inf
        profiles = stop_profiles(
            conns, timetable.n_stops, len(timetable.trip_route), egress, walks.paths
        )
        walk_only = node_s[node] + leg
        seconds = evaluate(profiles, access, walk_only, departure.times(), horizon_s=limit_s)
        out[:, j] = summarize(seconds)[0]
    out[out > max_minutes] = np.inf
    return out


def weekday_of(departure: Departure) -> str:
    """Return the weekday name of a departure's day."""
    day = departure.day
    return day if isinstance(day, str) else WEEKDAYS[day.weekday()]


def point_seconds_by_transit(
    graph: WalkGraph,
    timetable: Timetable,
    walks: StopWalks,
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    departure: Departure,
    config: TransitConfig,
) -> Callable[[pd.DataFrame], FloatArray]:
    """Return a ``times`` function for :func:`assetmap.reach.coverage.coverage`.

    Given one category's assets (``lon``, ``lat`` columns), it answers the
    median seconds over the departure window from every point to the nearest.
    """

    def times(assets: pd.DataFrame) -> FloatArray:
        result = transit_times(
            graph,
            timetable,
            walks,
            assets["lon"].to_numpy(dtype=np.float64),
            assets["lat"].to_numpy(dtype=np.float64),
            lon,
            lat,
            departure,
            config,
        )
        return np.asarray(result.median_min * 60.0, dtype=np.float64)

    return times


ROUTE_WORDS = {0: "tram", 1: "metro", 2: "train", 3: "bus", 4: "ferry", 5: "cable tram"}
"""GTFS route types as words; extended types (100-1700) by their hundreds."""

_EXTENDED_WORDS = {1: "train", 2: "coach", 4: "metro", 7: "bus", 8: "trolleybus", 9: "tram"}


def route_word(route_type: int) -> str:
    """Return a word for a GTFS route type.

    Examples
    --------
    >>> route_word(3), route_word(700), route_word(109), route_word(0)
    ('bus', 'bus', 'train', 'tram')
    """
    if route_type in ROUTE_WORDS:
        return ROUTE_WORDS[route_type]
    return _EXTENDED_WORDS.get(route_type // 100, "service")


def _clock(seconds: float) -> str:
    """``"08:14"`` for seconds after midnight (past 24:00 wraps: ``"00:20"``)."""
    minutes = int(seconds // 60) % (24 * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _whole_minutes(seconds: float) -> int:
    return max(1, round(seconds / 60.0))


@dataclass(frozen=True, slots=True)
class Ride:
    """One vehicle of a journey: ``bus 19`` from one stop to another.

    Attributes
    ----------
    vehicle
        ``"bus"``, ``"tram"``... (:func:`route_word`).
    route
        The route's short name, e.g. ``"19"``.
    board, alight
        Stop names.
    depart_s, arrive_s
        Seconds after midnight of the service day.
    """

    vehicle: str
    route: str
    board: str
    alight: str
    depart_s: int
    arrive_s: int


@dataclass(frozen=True, slots=True)
class Journey:
    """How to get from a start to one place by walk + public transport.

    Attributes
    ----------
    walk_to_stop_s
        The walk from the start to the first stop.
    rides
        The vehicles, in order (a change between two is walked or made at
        the same stop).
    walk_from_stop_s
        The walk from the last stop to the place.
    total_s
        Door to door, from leaving the start (waits included).

    Examples
    --------
    >>> ride = Ride("bus", "19", "Market Place", "High Street", 8 * 3600 + 840, 8 * 3600 + 1560)
    >>> Journey(240.0, (ride,), 180.0, 1440.0).text()
    'Walk 4 min to Market Place, bus 19 to High Street, walk 3 min: 24 min door to door'
    """

    walk_to_stop_s: float
    rides: tuple[Ride, ...]
    walk_from_stop_s: float
    total_s: float

    def text(self) -> str:
        """Return the journey in one line, for a reason or a sheet."""
        walk_to = round(self.walk_to_stop_s / 60.0)
        parts = [f"Walk {walk_to} min to {self.rides[0].board}" if walk_to else
                 f"From {self.rides[0].board}"]  # fmt: skip
        previous: Ride | None = None
        for ride in self.rides:
            change = "" if previous is None else "change to "
            where = (
                f" from {ride.board}" if previous is not None and ride.board != previous.alight
                else ""
            )  # fmt: skip
            parts.append(f"{change}{ride.vehicle} {ride.route}{where} to {ride.alight}")
            previous = ride
        walk_from = round(self.walk_from_stop_s / 60.0)
        if walk_from:
            parts.append(f"walk {walk_from} min")
        return ", ".join(parts) + f": {_whole_minutes(self.total_s)} min door to door"

    def to_record(self) -> dict[str, Any]:
        """Return a JSON-ready record (minutes rounded, clock times as ``"HH:MM"``)."""
        return {
            "walk_to_stop_min": round(self.walk_to_stop_s / 60.0),
            "rides": [
                {
                    "vehicle": r.vehicle,
                    "route": r.route,
                    "board": r.board,
                    "alight": r.alight,
                    "depart": _clock(r.depart_s),
                    "arrive": _clock(r.arrive_s),
                }
                for r in self.rides
            ],
            "walk_from_stop_min": round(self.walk_from_stop_s / 60.0),
            "minutes": _whole_minutes(self.total_s),
            "text": self.text(),
        }


def _journey(
    timetable: Timetable,
    reached: Reached,
    stop: int,
    walk_to: dict[int, float],
    walk_from_s: float,
    total_s: float,
) -> Journey:
    rides = []
    for trip, board, dep, alight, arr in rides_to(reached, stop):
        route = int(timetable.trip_route[trip])
        rides.append(
            Ride(
                vehicle=route_word(int(timetable.route_type[route])),
                route=str(timetable.route_name[route]),
                board=str(timetable.stop_name[board]),
                alight=str(timetable.stop_name[alight]),
                depart_s=int(dep),
                arrive_s=int(arr),
            )
        )
    first_stop = rides_to(reached, stop)[0][1]
    return Journey(
        walk_to_stop_s=walk_to[first_stop],
        rides=tuple(rides),
        walk_from_stop_s=walk_from_s,
        total_s=total_s,
    )


@dataclass(frozen=True, eq=False)
class PointJourneys:
    """From one place to each of many assets by walk + public transport.

    Attributes
    ----------
    minutes
        Median minutes over the sampled departure minutes (never more than
        walking alone).
    reasons
        Per asset, e.g. ``"bus 19 from Market Place, 24 min door to door"``,
        or ``None`` when walking alone is as fast.
    journeys
        Per asset, the median journey step by step (``None`` where walking
        alone is as fast).
    """

    minutes: FloatArray
    reasons: list[str | None]
    journeys: list[Journey | None]


def journeys_from_point(
    graph: WalkGraph,
    timetable: Timetable,
    walks: StopWalks,
    lon: float,
    lat: float,
    assets_node: IntArray,
    assets_leg_s: FloatArray,
    walk_only_s: FloatArray,
    departure: Departure,
    config: TransitConfig,
    *,
    samples: int = 12,
) -> PointJourneys:
    """Minutes from one place to every asset, walking and riding, with the route taken.

    One forward scan per sampled departure minute (``samples`` evenly over
    the window); each asset takes the best stop within walking distance.
    """
    horizon = config.horizon_min * 60.0
    access, _, _ = _access(graph, walks, [lon], [lat], config.max_walk_min * 60.0)
    walk_to: dict[int, float] = {}
    for s, w in zip(access.stop.tolist(), access.seconds.tolist(), strict=True):
        walk_to[s] = min(w, walk_to.get(s, np.inf))
    conns = timetable.connections_on(
        departure.day, departure.start_s, departure.end_s + int(horizon)
    )
    egress = walks.near[assets_node].tocsr()
    row = np.repeat(np.arange(len(assets_node)), np.diff(egress.indptr))
    stop = egress.indices.astype(np.int64)
    walk = egress.data - 1.0 + assets_leg_s[row]
    times = departure.times()
    picked = times[np.unique(np.linspace(0, len(times) - 1, min(samples, len(times))).astype(int))]
    seconds = np.repeat(walk_only_s[:, None], len(picked), axis=1).astype(np.float64)
    via_trip = np.full((len(assets_node), len(picked)), -1, dtype=np.int64)
    via_stop = np.full((len(assets_node), len(picked)), -1, dtype=np.int64)
    via_egress = np.full((len(assets_node), len(picked)), -1, dtype=np.int64)
    scans: list[Reached] = []
    n_trips = len(timetable.trip_route)
    for k, t in enumerate(picked.tolist()):
        reached = scan_from_origin(
            conns, timetable.n_stops, n_trips, access.stop, access.seconds, t, walks.paths
        )
        scans.append(reached)
        total = reached.arrival[stop] + walk - t
        order = np.lexsort((total, row))
        first = np.ones(len(order), dtype=bool)
        first[1:] = row[order][1:] != row[order][:-1]
        best = order[first]
        better = total[best] < seconds[row[best], k]
        rows_better = row[best][better]
        seconds[rows_better, k] = total[best][better]
        via_trip[rows_better, k] = reached.first_trip[stop[best][better]]
        via_stop[rows_better, k] = reached.first_stop[stop[best][better]]
        via_egress[rows_better, k] = best[better]
    seconds[seconds > horizon] = np.inf
    median = np.quantile(seconds, 0.5, axis=1, method="inverted_cdf")
    reasons: list[str | None] = []
    journeys: list[Journey | None] = []
    for i in range(len(assets_node)):
        k = int(np.flatnonzero(seconds[i] == median[i])[0]) if np.isfinite(median[i]) else -1
        if k < 0 or via_trip[i, k] < 0:
            reasons.append(None)
            journeys.append(None)
            continue
        route = int(timetable.trip_route[via_trip[i, k]])
        word = route_word(int(timetable.route_type[route]))
        name = str(timetable.route_name[route])
        boarded = str(timetable.stop_name[via_stop[i, k]])
        reasons.append(f"{word} {name} from {boarded}, {median[i] / 60:.0f} min door to door")
        e = int(via_egress[i, k])
        journeys.append(
            _journey(timetable, scans[k], int(stop[e]), walk_to, float(walk[e]), float(median[i]))
        )
    return PointJourneys(
        minutes=np.asarray(median, dtype=np.float64) / 60.0, reasons=reasons, journeys=journeys
    )
