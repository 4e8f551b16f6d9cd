"""Read, check and cut GTFS Schedule feeds into a :class:`~assetmap.reach.timetable.Timetable`.

Feeds are read with gtfs-kit, checked (a bad feed raises one
:class:`~assetmap.errors.IngestError` line naming the file and row), cut to
an area plus a buffer, frequency-based trips expanded into one trip
instance per departure, calendars kept as they are.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

import gtfs_kit as gk
import gtfs_kit.constants as gk_constants
import numpy as np
import pandas as pd

from assetmap.errors import IngestError
from assetmap.geo import widen
from assetmap.reach.timetable import Timetable

__all__ = ["MAX_SECONDS", "REQUIRED_FILES", "area_bbox", "parse_seconds", "read_feeds"]

REQUIRED_FILES = ("agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt")
"""Files every feed must have (plus ``calendar.txt`` or ``calendar_dates.txt``)."""

MAX_SECONDS = 48 * 3600
"""Latest time a feed may use (48:00:00): a service day's trips end within two days."""

# gtfs-kit 13 reads headway_secs as Int16, which overflows on real feeds
# (HSL has a 71,760 s headway): widen it before any read.
gk_constants.DTYPES["frequencies"]["headway_secs"] = "Int32"

_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_seconds(values: pd.Series, file: str, column: str) -> np.ndarray:
    """Parse ``H:MM:SS`` times into seconds, naming the first bad row.

    Rows are counted as in the file: the header is line 1.

    Examples
    --------
    >>> parse_seconds(pd.Series(["08:00:00", "25:01:30"]), "stop_times.txt", "x").tolist()
    [28800, 90090]
    """
    text = values.astype("string").str.strip()
    parts = text.str.extract(r"^(\d{1,3}):([0-5]\d):([0-5]\d)$")
    bad = parts.isna().any(axis=1).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        msg = f"{file} line {row + 2}: {column} {text.iloc[row]!r} is not a time H:MM:SS."
        raise IngestError(msg)
    numbers = parts.astype(np.int64).to_numpy()
    seconds = numbers[:, 0] * 3600 + numbers[:, 1] * 60 + numbers[:, 2]
    late = seconds > MAX_SECONDS
    if late.any():
        row = int(np.flatnonzero(late)[0])
        msg = f"{file} line {row + 2}: {column} {text.iloc[row]} is past 48:00:00."
        raise IngestError(msg)
    return np.asarray(seconds, dtype=np.int64)


def _check_files(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = {Path(n).name for n in archive.namelist()}
    except (OSError, zipfile.BadZipFile) as exc:
        msg = f"{path.name}: not a readable GTFS zip ({exc})."
        raise IngestError(msg) from exc
    missing = [name for name in REQUIRED_FILES if name not in names]
    if not ({"calendar.txt", "calendar_dates.txt"} & names):
        missing.append("calendar.txt or calendar_dates.txt")
    if missing:
        msg = f"{path.name}: required GTFS file {missing[0]} is missing."
        raise IngestError(msg)


def _read(path: Path) -> gk.Feed:
    _check_files(path)
    try:
        return gk.read_feed(path, dist_units="km")
    except (ValueError, TypeError, KeyError, OSError) as exc:
        msg = f"{path.name}: cannot read the feed: {exc}."
        raise IngestError(msg) from exc


def _line_of(frame: pd.DataFrame, mask: np.ndarray) -> int:
    """File line (header = 1) of the first row where ``mask`` holds."""
    return int(frame.index[np.flatnonzero(mask)[0]]) + 2


def _stop_times(feed: gk.Feed, name: str, stop_index: pd.Index) -> pd.DataFrame:
    """Check stop_times; add integer seconds; sort by trip and sequence."""
    st = feed.stop_times.reset_index(drop=True)
    unknown = ~st["stop_id"].isin(stop_index).to_numpy()
    if unknown.any():
        line = _line_of(st, unknown)
        msg = (
            f"{name} stop_times.txt line {line}: unknown stop_id {st['stop_id'].iloc[line - 2]!r}."
        )
        raise IngestError(msg)
    bad_trip = ~st["trip_id"].isin(feed.trips["trip_id"]).to_numpy()
    if bad_trip.any():
        line = _line_of(st, bad_trip)
        msg = (
            f"{name} stop_times.txt line {line}: unknown trip_id {st['trip_id'].iloc[line - 2]!r}."
        )
        raise IngestError(msg)
    arr_text = st["arrival_time"].fillna(st["departure_time"])
    dep_text = st["departure_time"].fillna(st["arrival_time"])
    missing = (arr_text.isna() | dep_text.isna()).to_numpy()
    if missing.any():
        line = _line_of(st, missing)
        msg = (
            f"{name} stop_times.txt line {line}: a stop without times "
            "(interpolation is not supported)."
        )
        raise IngestError(msg)
    st = st.assign(
        arr=parse_seconds(arr_text, f"{name} stop_times.txt", "arrival_time"),
        dep=parse_seconds(dep_text, f"{name} stop_times.txt", "departure_time"),
    )
    st = st.sort_values(["trip_id", "stop_sequence"], kind="stable")
    same_trip = st["trip_id"].to_numpy()[1:] == st["trip_id"].to_numpy()[:-1]
    dep, arr = st["dep"].to_numpy(), st["arr"].to_numpy()
    backwards = np.concatenate([[False], same_trip & (arr[1:] < dep[:-1])]) | (dep < arr)
    if backwards.any():
        line = int(st.index[np.flatnonzero(backwards)[0]]) + 2
        trip = st["trip_id"].iloc[int(np.flatnonzero(backwards)[0])]
        msg = f"{name} stop_times.txt line {line}: times go backwards within trip {trip!r}."
        raise IngestError(msg)
    return pd.DataFrame(st)


def _expand_frequencies(feed: gk.Feed, name: str, st: pd.DataFrame) -> pd.DataFrame:
    """One row per trip instance: ``trip_id`` and ``offset`` seconds to add."""
    trips = pd.DataFrame({"trip_id": feed.trips["trip_id"], "offset": 0})
    freq = feed.frequencies
    if freq is None or freq.empty:
        return trips
    freq = freq.reset_index(drop=True)
    start = parse_seconds(freq["start_time"], f"{name} frequencies.txt", "start_time")
    end = parse_seconds(freq["end_time"], f"{name} frequencies.txt", "end_time")
    headway = freq["headway_secs"].astype("Int64").fillna(0).to_numpy(dtype=np.int64)
    bad = (headway <= 0) | (end < start)
    if bad.any():
        line = _line_of(freq, bad)
        msg = (
            f"{name} frequencies.txt line {line}: headway_secs must be > 0 "
            "and end_time after start_time."
        )
        raise IngestError(msg)
    first = st.groupby("trip_id")["dep"].min()
    base = first.reindex(freq["trip_id"]).to_numpy()
    unknown = np.isnan(base.astype(float))
    if unknown.any():
        line = _line_of(freq, unknown)
        trip = freq["trip_id"].iloc[line - 2]
        msg = f"{name} frequencies.txt line {line}: trip_id {trip!r} has no stop_times."
        raise IngestError(msg)
    counts = (end - start + headway - 1) // headway  # departures at start + k*headway < end
    rows = np.repeat(np.arange(len(freq)), counts)
    k = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
    offsets = start[rows] + k * headway[rows] - base.astype(np.int64)[rows]
    expanded = pd.DataFrame({"trip_id": freq["trip_id"].to_numpy()[rows], "offset": offsets})
    plain = trips[~trips["trip_id"].isin(freq["trip_id"])]
    return pd.concat([plain, expanded], ignore_index=True)


def _yyyymmdd(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values, errors="coerce").fillna(0).to_numpy(dtype=np.int64)


def _calendars(feed: gk.Feed, name: str) -> dict[str, np.ndarray]:
    cal = feed.calendar if feed.calendar is not None else pd.DataFrame(columns=["service_id"])
    dates = feed.calendar_dates
    if dates is None:
        dates = pd.DataFrame(columns=["service_id", "date", "exception_type"])
    ids = pd.Index(pd.unique(pd.concat([cal["service_id"], dates["service_id"]]).astype(str)))
    days = np.zeros((len(ids), 7), dtype=bool)
    start = np.zeros(len(ids), dtype=np.int64)
    end = np.zeros(len(ids), dtype=np.int64)
    if len(cal):
        at = ids.get_indexer(cal["service_id"].astype(str))
        for i, column in enumerate(_FULL_DAYS):
            days[at, i] = pd.to_numeric(cal[column]).to_numpy() == 1
        start[at] = _yyyymmdd(cal["start_date"])
        end[at] = _yyyymmdd(cal["end_date"])
        empty = ~days[at].any(axis=1) | (start[at] > end[at])
        added = set(
            dates.loc[pd.to_numeric(dates["exception_type"]) == 1, "service_id"].astype(str)
        )
        empty &= ~cal["service_id"].astype(str).isin(added).to_numpy()
        if empty.any():
            line = _line_of(cal.reset_index(drop=True), empty)
            service = cal["service_id"].iloc[line - 2]
            msg = f"{name} calendar.txt line {line}: service {service!r} runs on no day."
            raise IngestError(msg)
    return {
        "service_id": ids.to_numpy(dtype=str),
        "service_days": days,
        "service_start": start,
        "service_end": end,
        "exception_service": ids.get_indexer(dates["service_id"].astype(str)).astype(np.int64),
        "exception_date": _yyyymmdd(dates["date"]),
        "exception_type": pd.to_numeric(dates["exception_type"]).to_numpy(dtype=np.int64),
    }


def _one_feed(
    path: Path, bbox: tuple[float, float, float, float] | None, prefix: str
) -> dict[str, np.ndarray]:
    """Arrays of one feed, cut to ``bbox``; ids prefixed with ``prefix``."""
    name = path.name
    feed = _read(path)
    stops = feed.stops.reset_index(drop=True)
    if "location_type" in stops:
        stops = stops[pd.to_numeric(stops["location_type"]).fillna(0).isin([0, 4])]
    all_ids = pd.Index(feed.stops["stop_id"])
    st = _stop_times(feed, name, all_ids)
    cal = _calendars(feed, name)
    trips = feed.trips.reset_index(drop=True)
    bad_service = ~trips["service_id"].astype(str).isin(cal["service_id"]).to_numpy()
    if bad_service.any():
        line = _line_of(trips, bad_service)
        service = trips["service_id"].iloc[line - 2]
        msg = f"{name} trips.txt line {line}: service_id {service!r} is in no calendar."
        raise IngestError(msg)
    instances = _expand_frequencies(feed, name, st)
    if bbox is not None:
        w, s, e, n = bbox
        inside = stops["stop_lon"].between(w, e) & stops["stop_lat"].between(s, n)
        stops = stops[inside]
    stops = stops.reset_index(drop=True)
    stop_at = pd.Index(stops["stop_id"])
    st = st[st["stop_id"].isin(stop_at)]
    same = st["trip_id"].to_numpy()[1:] == st["trip_id"].to_numpy()[:-1]
    hop_from = st.iloc[:-1][same]
    hop_to = st.iloc[1:][same]
    hops = pd.DataFrame(
        {
            "trip_id": hop_from["trip_id"].to_numpy(),
            "from_stop": stop_at.get_indexer(hop_from["stop_id"]),
            "to_stop": stop_at.get_indexer(hop_to["stop_id"]),
            "dep": hop_from["dep"].to_numpy(),
            "arr": hop_to["arr"].to_numpy(),
        }
    )
    instances = instances[instances["trip_id"].isin(hops["trip_id"])].reset_index(drop=True)
    instances["instance"] = np.arange(len(instances))
    conns = hops.merge(instances, on="trip_id")
    routes = feed.routes.reset_index(drop=True)
    route_of_trip = trips.set_index("trip_id")["route_id"]
    inst_route = pd.Index(routes["route_id"]).get_indexer(
        route_of_trip.reindex(instances["trip_id"])
    )
    service_of_trip = trips.set_index("trip_id")["service_id"].astype(str)
    inst_service = pd.Index(cal["service_id"]).get_indexer(
        service_of_trip.reindex(instances["trip_id"])
    )
    short = routes.get("route_short_name", pd.Series(index=routes.index, dtype="string"))
    long = routes.get("route_long_name", pd.Series(index=routes.index, dtype="string"))
    names = (
        short.astype("string")
        .fillna(long.astype("string"))
        .fillna(routes["route_id"].astype("string"))
    )
    transfers = _transfers(feed, stop_at)
    names_col = stops.get("stop_name", stops["stop_id"]).astype("string").fillna("")
    return {
        "stop_id": (prefix + stops["stop_id"].astype(str)).to_numpy(dtype=str),
        "stop_name": names_col.to_numpy(dtype=str),
        "stop_lon": stops["stop_lon"].to_numpy(dtype=np.float64),
        "stop_lat": stops["stop_lat"].to_numpy(dtype=np.float64),
        "route_name": names.to_numpy(dtype=str),
        "route_type": pd.to_numeric(routes["route_type"]).to_numpy(dtype=np.int64),
        "trip_route": inst_route.astype(np.int64),
        "trip_service": inst_service.astype(np.int64),
        "conn_trip": conns["instance"].to_numpy(dtype=np.int64),
        "conn_from": conns["from_stop"].to_numpy(dtype=np.int64),
        "conn_to": conns["to_stop"].to_numpy(dtype=np.int64),
        "conn_dep": (conns["dep"] + conns["offset"]).to_numpy(dtype=np.int64),
        "conn_arr": (conns["arr"] + conns["offset"]).to_numpy(dtype=np.int64),
        **transfers,
        **{**cal, "service_id": np.char.add(prefix, cal["service_id"].astype(str))},
    }


def _transfers(feed: gk.Feed, stop_at: pd.Index) -> dict[str, np.ndarray]:
    tr = feed.transfers
    if tr is None or tr.empty:
        empty = np.zeros(0, dtype=np.int64)
        return {"transfer_from": empty, "transfer_to": empty, "transfer_s": empty}
    a = stop_at.get_indexer(tr["from_stop_id"])
    b = stop_at.get_indexer(tr["to_stop_id"])
    kind = pd.to_numeric(tr["transfer_type"]).fillna(0).to_numpy(dtype=np.int64)
    minimum = pd.to_numeric(tr.get("min_transfer_time", pd.Series(0, index=tr.index)))
    seconds = np.where(kind == 3, -1, minimum.fillna(0).to_numpy(dtype=np.int64))
    keep = (a >= 0) & (b >= 0) & (kind != 4) & (kind != 5)
    return {"transfer_from": a[keep], "transfer_to": b[keep], "transfer_s": seconds[keep]}


_OFFSET_BY = {
    "conn_from": "stop_id",
    "conn_to": "stop_id",
    "transfer_from": "stop_id",
    "transfer_to": "stop_id",
    "conn_trip": "trip_route",
    "trip_route": "route_name",
    "trip_service": "service_id",
    "exception_service": "service_id",
}


def read_feeds(
    paths: Sequence[str | Path], *, bbox: tuple[float, float, float, float] | None = None
) -> Timetable:
    """Read GTFS zips, cut them to ``bbox`` and combine them into one timetable.

    Parameters
    ----------
    paths
        One or more GTFS Schedule zips. With several, ids are prefixed
        ``"1:"``, ``"2:"``... in the order given.
    bbox
        ``(west, south, east, north)`` in WGS 84: stops outside are dropped
        (and the hops between kept stops of a trip joined). ``None`` keeps all.

    Returns
    -------
    Timetable

    Raises
    ------
    IngestError
        One line naming the file and row of the first problem found.
    """
    if not paths:
        msg = "Give at least one GTFS zip."
        raise IngestError(msg)
    parts = []
    for i, path in enumerate(paths):
        prefix = f"{i + 1}:" if len(paths) > 1 else ""
        parts.append(_one_feed(Path(path), bbox, prefix))
    combined: dict[str, list[np.ndarray]] = {key: [] for key in parts[0]}
    sizes = {key: 0 for key in set(_OFFSET_BY.values())}
    for part in parts:
        for key, values in part.items():
            shift = sizes[_OFFSET_BY[key]] if key in _OFFSET_BY else 0
            combined[key].append(values + shift if shift else values)
        for key in sizes:
            sizes[key] += len(part[key])
    arrays = {key: np.concatenate(values) for key, values in combined.items()}
    if not len(arrays["conn_trip"]):
        msg = (
            "No public transport runs inside the workspace's area in "
            + ", ".join(Path(p).name for p in paths)
            + "."
        )
        raise IngestError(msg)
    return Timetable(**arrays)


def area_bbox(
    lon: np.ndarray, lat: np.ndarray, buffer_m: float
) -> tuple[float, float, float, float]:
    """Return the ``(west, south, east, north)`` box around points, widened by ``buffer_m``.

    Examples
    --------
    >>> w, s, e, n = area_bbox(np.array([0.0]), np.array([0.0]), 1113.2)
    >>> round(n, 4), round(e, 4)
    (0.01, 0.01)
    """
    if not buffer_m >= 0:
        msg = f"`buffer_m` must be >= 0, got {buffer_m!r}."
        raise IngestError(msg)
    box = (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
    return widen(box, buffer_m, at_lat=float(np.mean(lat)))
