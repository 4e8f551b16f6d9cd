"""Walk + public transport travel times to the nearest asset, over a departure window.

The question is "for every origin and every departure minute in a window,
how long to the nearest asset of a category?". It is answered with one
backward *profile connection scan* per category (Dibbelt, Pajor, Strasser
and Wagner, "Connection Scan Algorithm", 2018): connections of the day are
scanned from the latest departure to the earliest, and every stop gets a
Pareto profile "board here at or after ``d`` and you reach the nearest asset
at ``a``". The scan does not depend on the origins, so 5,000 origins cost
one scan plus a vectorised lookup: for each origin, each stop within its
walking limit and each departure minute, one ``searchsorted`` into the
stop's profile. See ``docs/travel-modes.md`` for why this and not RAPTOR
per origin.

The rules (the reference router in ``tests/reach/transit_reference.py``
implements the same rules forward, one origin and minute at a time):

* An origin may walk to the nearest asset without transport (``walk_only_s``).
* It may walk to any stop within the access limit and board any connection
  leaving that stop at or after it arrives.
* Seated in a trip, it may ride on, or alight at a stop and walk to the
  nearest asset (``egress_s``, the street walk from the stop), or make a
  footpath to a stop (the same stop, ``transfers.txt`` pairs, or stops
  within a short walk) and board there at or after ``arrival + footpath``.
* Footpaths take at least ``min_change_s`` (>= 1 s), so a transfer at the
  departure minute of the alighting connection is never possible.
* A result over ``horizon_s`` is reported as ``inf`` (connections departing
  after the window's end plus the horizon are not scanned).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from assetmap.errors import NetworkError
from assetmap.reach.timetable import Connections

__all__ = [
    "Access",
    "Footpaths",
    "Profiles",
    "Reached",
    "evaluate",
    "footpaths",
    "rides_to",
    "scan_from_origin",
    "stop_profiles",
    "summarize",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_KEY = 1 << 20
"""Stride of the flat profile key ``stop * _KEY + seconds`` (> 48 h + any walk)."""


@dataclass(frozen=True, eq=False)
class Footpaths:
    """Directed footpaths between stops after alighting, with their seconds."""

    from_stop: IntArray
    to_stop: IntArray
    seconds: FloatArray


@dataclass(frozen=True, eq=False)
class Access:
    """Walks from origins to stops within the access limit: one row per pair."""

    origin: IntArray
    stop: IntArray
    seconds: FloatArray


@dataclass(frozen=True, eq=False)
class Profiles:
    """Every stop's profile, flat: ``key = stop * 2**20 + departure`` ascending.

    Each stop's run ends with a sentinel (departure ``2**20 - 1``, arrival
    ``inf``), so a lookup past the stop's last departure reads ``inf``.
    """

    key: IntArray
    arrival: FloatArray


def footpaths(
    n_stops: int,
    *,
    walk_from: IntArray,
    walk_to: IntArray,
    walk_s: FloatArray,
    transfer_from: IntArray,
    transfer_to: IntArray,
    transfer_s: IntArray,
    min_change_s: float = 60.0,
) -> Footpaths:
    """Combine same-stop changes, walks between stops and ``transfers.txt``.

    ``transfers.txt`` wins over walking for the pairs it names (``-1``: no
    transfer there, the pair is dropped); every footpath takes at least
    ``min_change_s``.

    Examples
    --------
    >>> e = np.zeros(0, dtype=np.int64)
    >>> f = footpaths(2, walk_from=np.array([0]), walk_to=np.array([1]), walk_s=np.array([30.0]),
    ...               transfer_from=np.array([1]), transfer_to=np.array([1]),
    ...               transfer_s=np.array([-1]), min_change_s=60)
    >>> list(zip(f.from_stop.tolist(), f.to_stop.tolist(), f.seconds.tolist()))
    [(0, 0, 60.0), (0, 1, 60.0)]
    """
    if not min_change_s >= 1:
        msg = f"`min_change_s` must be at least 1 second, got {min_change_s!r}."
        raise NetworkError(msg)
    own = np.arange(n_stops, dtype=np.int64)
    # Priority 0: transfers.txt; 1: walking; 2: the same stop.
    a = np.concatenate([transfer_from, walk_from, own]).astype(np.int64)
    b = np.concatenate([transfer_to, walk_to, own]).astype(np.int64)
    s = np.concatenate([transfer_s.astype(np.float64), walk_s, np.zeros(n_stops)])
    rank = np.concatenate(
        [np.zeros(len(transfer_from)), np.ones(len(walk_from)), np.full(n_stops, 2)]
    )
    order = np.lexsort((s, rank, b, a))
    a, b, s = a[order], b[order], s[order]
    first = np.ones(len(a), dtype=bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    keep = first & (s >= 0)
    return Footpaths(a[keep], b[keep], np.maximum(s[keep], float(min_change_s)))


def stop_profiles(
    conns: Connections, n_stops: int, n_trips: int, egress_s: FloatArray, paths: Footpaths
) -> Profiles:
    """One backward profile connection scan: every stop's (departure, arrival) profile.

    Parameters
    ----------
    conns
        Connections of the day in scan order (:meth:`Timetable.connections_on`).
    n_stops, n_trips
        Sizes of the stop and trip-instance index spaces.
    egress_s
        Seconds from each stop to the nearest asset on foot (``inf``: too far).
    paths
        Footpaths after alighting (:func:`footpaths`).

    Returns
    -------
    Profiles
    """
    out: list[list[tuple[int, float]]] = [[] for _ in range(n_stops)]
    triples = zip(
        paths.from_stop.tolist(), paths.to_stop.tolist(), paths.seconds.tolist(), strict=True
    )
    for a, b, s in triples:
        out[a].append((b, s))
    neg_dep: list[list[int]] = [[] for _ in range(n_stops)]  # -departure, ascending
    best: list[list[float]] = [[] for _ in range(n_stops)]  # arrival, descending
    trip_best = [float("inf")] * n_trips
    egress = egress_s.tolist()
    inf = float("inf")
    rows = zip(
        conns.trip[::-1].tolist(),
        conns.from_stop[::-1].tolist(),
        conns.to_stop[::-1].tolist(),
        conns.dep[::-1].tolist(),
        conns.arr[::-1].tolist(),
        strict=True,
    )
    for trip, u, v, dep, arr in rows:
        tau = min(arr + egress[v], trip_best[trip])
        for w, seconds in out[v]:
            deps = neg_dep[w]
            j = bisect_right(deps, -(arr + seconds)) - 1
            if j >= 0 and best[w][j] < tau:
                tau = best[w][j]
        if tau == inf:
            continue
        trip_best[trip] = tau
        here = best[u]
        if not here or tau < here[-1]:
            if here and neg_dep[u][-1] == -dep:
                here[-1] = tau
            else:
                neg_dep[u].append(-dep)
                here.append(tau)
    return _flatten(neg_dep, best)


def _flatten(neg_dep: list[list[int]], best: list[list[float]]) -> Profiles:
    keys: list[int] = []
    arrivals: list[float] = []
    for stop, (deps, arrs) in enumerate(zip(neg_dep, best, strict=True)):
        keys.extend(stop * _KEY - d for d in reversed(deps))
        arrivals.extend(reversed(arrs))
        keys.append(stop * _KEY + _KEY - 1)
        arrivals.append(float("inf"))
    return Profiles(np.asarray(keys, dtype=np.int64), np.asarray(arrivals, dtype=np.float64))


def evaluate(
    profiles: Profiles,
    access: Access,
    walk_only_s: FloatArray,
    departures_s: npt.ArrayLike,
    *,
    horizon_s: float,
) -> FloatArray:
    """Seconds from every origin to the nearest asset for every departure time.

    Parameters
    ----------
    profiles
        From :func:`stop_profiles`.
    access
        Walks from origins to stops (within the access limit).
    walk_only_s
        Seconds from each origin to the nearest asset on foot alone.
    departures_s
        Departure times (seconds after the service day's midnight).
    horizon_s
        Results above this are ``inf``.

    Returns
    -------
    numpy.ndarray
        ``(n_origins, n_departures)`` seconds; never more than walking alone.
    """
    t = np.asarray(departures_s, dtype=np.int64).ravel()
    n = len(walk_only_s)
    result = np.repeat(np.asarray(walk_only_s, dtype=np.float64)[:, None], len(t), axis=1)
    if len(access.origin):
        order = np.argsort(access.origin, kind="stable")
        origin, stop = access.origin[order], access.stop[order]
        walk = np.ceil(access.seconds[order]).astype(np.int64)
        starts = np.flatnonzero(np.r_[True, origin[1:] != origin[:-1]])
        for k in range(len(t)):
            # Ready at the stop at t + walk (whole seconds, as the timetable).
            query = stop * _KEY + t[k] + walk
            at = np.searchsorted(profiles.key, query, side="left")
            first = np.minimum.reduceat(profiles.arrival[at], starts) - t[k]
            result[origin[starts], k] = np.minimum(result[origin[starts], k], first)
    result[result > horizon_s] = np.inf
    assert result.shape == (n, len(t))
    return result


def summarize(
    seconds: FloatArray, *, worst_percentile: float = 75.0
) -> tuple[FloatArray, FloatArray]:
    """Median and a 'worst typical' percentile over departure times, per origin, in minutes.

    Percentiles pick an observed value (no interpolation), so ``inf``
    (unreachable within the horizon) stays meaningful.

    Examples
    --------
    >>> m, w = summarize(np.array([[60.0, 120.0, 180.0, np.inf]]))
    >>> m.tolist(), w.tolist()
    ([2.0], [3.0])
    """
    minutes = np.asarray(seconds, dtype=np.float64) / 60.0
    median = np.quantile(minutes, 0.5, axis=1, method="inverted_cdf")
    worst = np.quantile(minutes, worst_percentile / 100.0, axis=1, method="inverted_cdf")
    return np.asarray(median, dtype=np.float64), np.asarray(worst, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class Reached:
    """Earliest arrival at every stop by vehicle from one origin and departure time.

    Attributes
    ----------
    arrival
        Seconds after midnight of the earliest arrival at each stop by vehicle
        (``inf``: not reached), before any walk from it.
    first_trip, first_stop
        The journey's first vehicle (trip instance) and where it was boarded,
        per stop (``-1`` where not reached).
    arrived
        Per stop, how it was reached (``None`` where not reached): a chain
        ``(boarding, stop, arrival)`` whose ``boarding`` is ``(before, trip,
        boarding stop, departure)`` and ``before`` the same kind of chain for
        the vehicle ridden before (``None``: walked from the origin).
        :func:`rides_to` unrolls it.
    """

    arrival: FloatArray
    first_trip: IntArray
    first_stop: IntArray
    arrived: list[Any]


def rides_to(reached: Reached, stop: int) -> list[tuple[int, int, int, int, float]]:
    """Return the rides of the fastest journey to ``stop``, first first.

    Each ride is ``(trip, boarding stop, departure, alighting stop, arrival)``;
    an empty list where ``stop`` was not reached by vehicle.
    """
    rides: list[tuple[int, int, int, int, float]] = []
    record = reached.arrived[stop]
    while record is not None:
        (before, trip, board, dep), alight, arr = record
        rides.append((trip, board, dep, alight, arr))
        record = before
    return rides[::-1]


def scan_from_origin(
    conns: Connections,
    n_stops: int,
    n_trips: int,
    access_stop: IntArray,
    access_s: FloatArray,
    t: int,
    paths: Footpaths,
) -> Reached:
    """One forward earliest-arrival connection scan from one origin leaving at ``t``.

    The same rules as :func:`stop_profiles`, forwards: board at a stop reached
    on foot (``access``) or by a footpath after alighting, at or after
    arriving; remember each journey's first vehicle and boarding stop, so
    a reason can name them.
    """
    inf = float("inf")
    ready = [inf] * n_stops
    ready_first: list[tuple[int, int]] = [(-1, -1)] * n_stops
    ready_via: list[Any] = [None] * n_stops  # how a stop was reached to board there
    for s, walk in zip(access_stop.tolist(), access_s.tolist(), strict=True):
        if t + walk < ready[s]:
            ready[s] = t + walk
            ready_first[s] = (-1, s)  # boarding here is the first vehicle
    out: list[list[tuple[int, float]]] = [[] for _ in range(n_stops)]
    triples = zip(
        paths.from_stop.tolist(), paths.to_stop.tolist(), paths.seconds.tolist(), strict=True
    )
    for a, b, s in triples:
        out[a].append((b, s))
    arrival = [inf] * n_stops
    first_trip = [-1] * n_stops
    first_stop = [-1] * n_stops
    trip_first: dict[int, tuple[int, int]] = {}
    trip_boarding: dict[int, tuple[Any, int, int, int]] = {}
    arrived: list[Any] = [None] * n_stops
    start = int(np.searchsorted(conns.dep, t, side="left"))
    rows = zip(
        conns.trip[start:].tolist(),
        conns.from_stop[start:].tolist(),
        conns.to_stop[start:].tolist(),
        conns.dep[start:].tolist(),
        conns.arr[start:].tolist(),
        strict=True,
    )
    for trip, u, v, dep, arr in rows:
        label = trip_first.get(trip)
        if label is None:
            if ready[u] > dep:
                continue
            via_trip, via_stop = ready_first[u]
            label = (trip, u) if via_trip < 0 else (via_trip, via_stop)
            trip_first[trip] = label
            trip_boarding[trip] = (ready_via[u], trip, u, dep)
        if arr < arrival[v]:
            arrival[v] = arr
            first_trip[v], first_stop[v] = label
            arrived[v] = (trip_boarding[trip], v, arr)
        for w, s in out[v]:
            if arr + s < ready[w]:
                ready[w] = arr + s
                ready_first[w] = label
                ready_via[w] = (trip_boarding[trip], v, arr)
    return Reached(
        arrival=np.asarray(arrival, dtype=np.float64),
        first_trip=np.asarray(first_trip, dtype=np.int64),
        first_stop=np.asarray(first_stop, dtype=np.int64),
        arrived=arrived,
    )
