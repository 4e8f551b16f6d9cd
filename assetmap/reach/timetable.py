"""A public transport timetable in compact arrays, stored beside the walking network.

:class:`Timetable` is what ``assetmap transit`` writes into a workspace
(``timetable.npz``): stops, routes, trip instances (frequency-based trips
already expanded), elementary connections (one vehicle moving from one stop
to the next), transfers and calendars. :func:`Timetable.connections_on`
picks the connections running on a service day in a time window, sorted
for a connection scan.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import numpy.typing as npt

from assetmap.errors import NetworkError

__all__ = ["TIMETABLE_FILENAME", "Connections", "Timetable", "load_timetable", "save_timetable"]

TIMETABLE_FILENAME = "timetable.npz"

IntArray = npt.NDArray[np.int64]
StrArray = npt.NDArray[np.str_]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, eq=False)
class Timetable:
    """Stops, trips, connections, transfers and calendars of one or more GTFS feeds.

    Attributes
    ----------
    stop_id, stop_name, stop_lon, stop_lat
        One entry per stop (ids prefixed ``"<feed>:"`` when feeds were combined).
    route_name, route_type
        One entry per route: short name (else long name) and GTFS route type.
    trip_route, trip_service
        One entry per trip instance: route index and service index.
    conn_trip, conn_from, conn_to, conn_dep, conn_arr
        One entry per connection: trip instance, stops, departure and
        arrival in seconds after midnight of the service day (may pass 24:00).
    transfer_from, transfer_to, transfer_s
        ``transfers.txt`` rows kept: stops and seconds (``-1``: not possible).
    service_id, service_days, service_start, service_end
        Calendars: id, ``(n, 7)`` weekday flags Monday first, first and last
        date as ``YYYYMMDD`` integers (``0`` when only ``calendar_dates``).
    exception_service, exception_date, exception_type
        ``calendar_dates.txt``: service index, ``YYYYMMDD``, 1 added / 2 removed.
    """

    stop_id: StrArray
    stop_name: StrArray
    stop_lon: FloatArray
    stop_lat: FloatArray
    route_name: StrArray
    route_type: IntArray
    trip_route: IntArray
    trip_service: IntArray
    conn_trip: IntArray
    conn_from: IntArray
    conn_to: IntArray
    conn_dep: IntArray
    conn_arr: IntArray
    transfer_from: IntArray
    transfer_to: IntArray
    transfer_s: IntArray
    service_id: StrArray
    service_days: BoolArray
    service_start: IntArray
    service_end: IntArray
    exception_service: IntArray
    exception_date: IntArray
    exception_type: IntArray

    def __post_init__(self) -> None:
        n_stops, n_trips = len(self.stop_id), len(self.trip_route)
        m = len(self.conn_trip)
        for name in ("conn_from", "conn_to", "conn_dep", "conn_arr"):
            if len(getattr(self, name)) != m:
                msg = f"Timetable array `{name}` must have one entry per connection."
                raise NetworkError(msg)
        if m and (
            int(min(self.conn_from.min(), self.conn_to.min())) < 0
            or int(max(self.conn_from.max(), self.conn_to.max())) >= n_stops
            or int(self.conn_trip.max()) >= n_trips
        ):
            msg = "Timetable connections must name existing stops and trips."
            raise NetworkError(msg)
        if m and bool(np.any(self.conn_arr < self.conn_dep)):
            msg = "Timetable connections must not arrive before they depart."
            raise NetworkError(msg)

    @property
    def n_stops(self) -> int:
        """Number of stops."""
        return len(self.stop_id)

    @property
    def n_connections(self) -> int:
        """Number of connections (every day)."""
        return len(self.conn_trip)

    def active_services(self, day: str | dt.date) -> BoolArray:
        """Which services run on ``day``.

        Parameters
        ----------
        day
            A date (calendar ranges and ``calendar_dates`` exceptions apply)
            or a weekday name such as ``"tue"`` (a typical such day: weekly
            flags only, ignoring date ranges and exceptions).

        Returns
        -------
        numpy.ndarray
            One flag per service.
        """
        if isinstance(day, str):
            key = day.strip().lower()[:3]
            if key not in WEEKDAYS:
                msg = f"Unknown day {day!r}; use a date or one of {', '.join(WEEKDAYS)}."
                raise NetworkError(msg)
            return self.service_days[:, WEEKDAYS.index(key)].copy()
        stamp = day.year * 10000 + day.month * 100 + day.day
        active = (
            self.service_days[:, day.weekday()]
            & (self.service_start <= stamp)
            & (self.service_end >= stamp)
        )
        on_day = self.exception_date == stamp
        active[self.exception_service[on_day & (self.exception_type == 1)]] = True
        active[self.exception_service[on_day & (self.exception_type == 2)]] = False
        return np.asarray(active, dtype=bool)

    def connections_on(self, day: str | dt.date, start_s: int, end_s: int) -> Connections:
        """Return the connections running on ``day`` departing in ``[start_s, end_s]``, scan-sorted.

        Sorted by departure, then arrival, then trip, then position in the
        trip, so that a trip's zero-minute hops stay in their order.
        """
        runs = self.active_services(day)[self.trip_service][self.conn_trip]
        keep = runs & (self.conn_dep >= start_s) & (self.conn_dep <= end_s)
        index = np.flatnonzero(keep)
        order = np.lexsort(
            (index, self.conn_trip[index], self.conn_arr[index], self.conn_dep[index])
        )
        chosen = index[order]
        return Connections(
            trip=self.conn_trip[chosen],
            from_stop=self.conn_from[chosen],
            to_stop=self.conn_to[chosen],
            dep=self.conn_dep[chosen],
            arr=self.conn_arr[chosen],
        )


@dataclass(frozen=True, eq=False)
class Connections:
    """Connections of one service day, in scan order (see :meth:`Timetable.connections_on`)."""

    trip: IntArray
    from_stop: IntArray
    to_stop: IntArray
    dep: IntArray
    arr: IntArray

    def __len__(self) -> int:
        return len(self.trip)


def save_timetable(timetable: Timetable, path: str | Path) -> None:
    """Write ``timetable`` to ``path`` (``.npz``), atomically."""
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp.npz")
    arrays = {f.name: getattr(timetable, f.name) for f in fields(timetable)}
    np.savez_compressed(tmp, **arrays)
    tmp.replace(target)


def load_timetable(path: str | Path) -> Timetable:
    """Read a timetable written by :func:`save_timetable`.

    Raises
    ------
    NetworkError
        If the file is missing or not a timetable file.
    """
    source = Path(path)
    try:
        with np.load(source, allow_pickle=False) as data:
            return Timetable(**{f.name: data[f.name] for f in fields(Timetable)})
    except FileNotFoundError:
        msg = f"No timetable at {source}; import a GTFS feed with `assetmap transit` first."
        raise NetworkError(msg) from None
    except (OSError, KeyError, ValueError) as exc:
        msg = f"{source} is not an assetmap timetable file: {exc}."
        raise NetworkError(msg) from exc
