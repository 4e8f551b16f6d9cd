"""Geometry on the Earth: distances, metric projections and point checks.

The one home for the small spatial rules every stage needs, so that they
agree: great-circle distance (:func:`haversine_m`, one Earth radius), the
metric CRS to measure in (:func:`metric_crs`: British National Grid in Great
Britain, local UTM elsewhere), the box that counts as "the UK"
(:data:`UK_BOUNDS`) and checks that points are real WGS 84 positions
(:func:`valid_lonlat`) or inside a box (:func:`inside`).

Examples
--------
>>> import numpy as np
>>> round(float(haversine_m(-0.72, 52.67, -0.72, 52.68)))
1112
>>> metric_crs(np.array([-0.72]), np.array([52.67])).to_epsg()
27700
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from pyproj import CRS, Transformer
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info

from assetmap.errors import NetworkError

__all__ = [
    "BNG",
    "EARTH_RADIUS_M",
    "M_PER_DEGREE",
    "UK_BOUNDS",
    "Bounds",
    "Projection",
    "haversine_m",
    "inside",
    "metric_crs",
    "projection",
    "valid_lonlat",
    "widen",
]

Bounds = tuple[float, float, float, float]
"""A lon/lat box: (west, south, east, north) in degrees."""

EARTH_RADIUS_M: Final = 6_371_009.0
"""Mean Earth radius (metres) for every great-circle distance.

The value osmnx uses, so that edge lengths computed from an OSM file and those
osmnx computes for the same streets agree to the last digit.
"""

M_PER_DEGREE: Final = 111_320.0
"""Metres in a degree of latitude (and of longitude at the equator), for flat-earth boxes,
offsets and tolerances over a few kilometres; use :func:`haversine_m` for distances."""

UK_BOUNDS: Final[Bounds] = (-8.75, 49.8, 1.9, 60.95)
"""Great Britain and Northern Ireland, generously (west, south, east, north)."""

BNG: Final = CRS.from_epsg(27700)
"""British National Grid, the metric CRS for points in Great Britain."""


def haversine_m(
    lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike, lat2: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Return great-circle distances in metres between lon/lat points (degrees).

    Arrays broadcast against each other (one point against many works).

    Parameters
    ----------
    lon1, lat1, lon2, lat2
        WGS 84 coordinates in degrees.

    Returns
    -------
    numpy.ndarray
        Distances in metres, on a sphere of radius :data:`EARTH_RADIUS_M`.

    Examples
    --------
    >>> round(float(haversine_m(0.0, 0.0, 0.0, 1.0)), 1)
    111195.1
    >>> haversine_m(0.0, 0.0, [0.0, 1.0], [0.0, 0.0]).round().tolist()
    [0.0, 111195.0]
    """
    lon1r, lat1r, lon2r, lat2r = (
        np.radians(np.asarray(a, dtype=np.float64)) for a in (lon1, lat1, lon2, lat2)
    )
    a = (
        np.sin((lat2r - lat1r) / 2) ** 2
        + np.cos(lat1r) * np.cos(lat2r) * np.sin((lon2r - lon1r) / 2) ** 2
    )
    return np.asarray(
        2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))), dtype=np.float64
    )


def metric_crs(lon: npt.ArrayLike, lat: npt.ArrayLike) -> CRS:
    """Choose a metric CRS for points: British National Grid in GB, else local UTM.

    Parameters
    ----------
    lon, lat
        WGS 84 coordinates (at least one point).

    Returns
    -------
    pyproj.CRS
        EPSG:27700 when every point is inside its area of use, else the UTM
        zone at the centre of the points' box.

    Raises
    ------
    NetworkError
        If no UTM zone covers the points (polar regions).

    Examples
    --------
    >>> import numpy as np
    >>> metric_crs(np.array([-0.72]), np.array([52.67])).to_epsg()  # Oakham
    27700
    >>> metric_crs(np.array([2.35]), np.array([48.86])).to_epsg()  # Paris
    32631
    """
    lons, lats = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    west, east = float(np.min(lons)), float(np.max(lons))
    south, north = float(np.min(lats)), float(np.max(lats))
    aou = BNG.area_of_use
    if aou is not None and (
        west >= aou.west and east <= aou.east and south >= aou.south and north <= aou.north
    ):
        return BNG
    centre_lon, centre_lat = (west + east) / 2, (south + north) / 2
    found = query_utm_crs_info(
        datum_name="WGS 84",
        area_of_interest=AreaOfInterest(centre_lon, centre_lat, centre_lon, centre_lat),
    )
    if not found:
        msg = f"No UTM zone covers points centred at lon={centre_lon:.4f}, lat={centre_lat:.4f}."
        raise NetworkError(msg)
    return CRS.from_authority(found[0].auth_name, found[0].code)


def valid_lonlat(lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Return which points are finite WGS 84 positions (|lon| ≤ 180, |lat| ≤ 90).

    Examples
    --------
    >>> valid_lonlat([-0.72, 200.0, float("nan")], [52.67, 52.0, 52.0]).tolist()
    [True, False, False]
    """
    lons, lats = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.asarray(
            np.isfinite(lons) & np.isfinite(lats) & (np.abs(lons) <= 180) & (np.abs(lats) <= 90)
        )


def inside(lon: npt.ArrayLike, lat: npt.ArrayLike, bounds: Bounds) -> npt.NDArray[np.bool_]:
    """Return which points lie inside a lon/lat box (edges included).

    Examples
    --------
    >>> inside([-0.72, 52.67], [52.67, -0.72], UK_BOUNDS).tolist()
    [True, False]
    """
    lons, lats = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    west, south, east, north = bounds
    with np.errstate(invalid="ignore"):
        return np.asarray((lons >= west) & (lons <= east) & (lats >= south) & (lats <= north))


def widen(
    bounds: Bounds,
    margin_m: float,
    *,
    at_lat: float | None = None,
    snap_deg: float | None = None,
) -> Bounds:
    """Return ``bounds`` grown by ``margin_m`` on every side (flat-earth degrees).

    Longitudes are widened by the metres a degree spans at ``at_lat`` (the
    box's middle latitude when omitted). With ``snap_deg`` the edges are then
    snapped outward to a grid of that many degrees, so that nearby boxes give
    the same box (a cache keyed by it is reused).

    Examples
    --------
    >>> widen((-0.735, 52.664, -0.721, 52.676), 1_000, snap_deg=0.01)
    (-0.75, 52.65, -0.7, 52.69)
    >>> [round(v, 4) for v in widen((0.0, 0.0, 0.0, 0.0), 1113.2)]
    [-0.01, -0.01, 0.01, 0.01]
    """
    west, south, east, north = bounds
    lat0 = (south + north) / 2 if at_lat is None else at_lat
    dlat = margin_m / M_PER_DEGREE
    dlon = margin_m / (M_PER_DEGREE * max(math.cos(math.radians(lat0)), 0.01))
    grown = (west - dlon, south - dlat, east + dlon, north + dlat)
    if snap_deg is None:
        return grown
    snap = 1 / snap_deg
    west, south, east, north = grown
    return (
        round(math.floor(west * snap) / snap, 6),
        round(math.floor(south * snap) / snap, 6),
        round(math.ceil(east * snap) / snap, 6),
        round(math.ceil(north * snap) / snap, 6),
    )


_PROJ_THREAD: Final = ThreadPoolExecutor(max_workers=1, thread_name_prefix="assetmap-proj")
"""The one thread every :class:`Projection` transforms on (see there)."""


@dataclass(frozen=True, slots=True)
class Projection:
    """A coordinate transform whose PROJ objects are built once, not once per thread.

    pyproj's ``Transformer`` builds its PROJ objects again in every thread
    that uses it (they are not thread-safe), about 30 ms each time for WGS 84
    to the British National Grid. Streamlit runs each page run in a new
    thread, so a cached walking graph paid that on every run, twice. Here
    every transform runs on one long-lived worker thread instead, with the
    same transformer, so the results are the same to the last bit.

    Examples
    --------
    >>> to_bng = projection("EPSG:4326", BNG)
    >>> [round(float(v)) for v in to_bng.transform(-0.72, 52.67)]
    [486653, 308801]
    """

    transformer: Transformer

    def transform(self, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[Any, Any]:
        """Return ``transformer.transform(x, y)``, run on the projection thread."""
        return _PROJ_THREAD.submit(self.transformer.transform, x, y).result()


def projection(crs_from: CRS | str, crs_to: CRS | str) -> Projection:
    """Return the (always lon, lat / x, y ordered) transform from one CRS to another."""
    return Projection(Transformer.from_crs(crs_from, crs_to, always_xy=True))
