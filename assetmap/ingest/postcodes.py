"""UK postcodes offline: normalise, look up and reverse-look-up postcode centroids.

A workspace keeps one postcode table (``postcodes.parquet``) loaded from an
ONS Postcode Directory (ONSPD/NSPL) CSV, an OS Code-Point Open CSV (British
National Grid eastings/northings, no header) or a simple ``postcode,lat,lon``
file. Where no table is loaded, :func:`postcodes_from_assets` builds one from
the ``postcode`` values (OSM ``addr:postcode``) of assets already in the register.

:class:`PostcodeIndex` holds the table as sorted arrays, so a million postcodes
cost tens of megabytes and a lookup is a binary search. Postcodes are personal
data when tied to a person: nothing here logs a postcode or a coordinate.
"""

from __future__ import annotations

import csv
import functools
import io
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
from pyproj import Transformer
from scipy.spatial import cKDTree

from assetmap.atomic import atomic_path
from assetmap.errors import IngestError, NoAssetsError, PostcodeError, SchemaError
from assetmap.geo import EARTH_RADIUS_M

__all__ = [
    "POSTCODES_FILE_NAME",
    "PostcodeIndex",
    "bng_to_wgs84",
    "find_postcode",
    "is_postcode",
    "load_postcodes",
    "merge_postcodes",
    "normalise_postcode",
    "normalise_postcodes",
    "postcode_district",
    "postcode_sector",
    "postcodes_from_assets",
    "read_postcodes",
    "save_postcodes",
]

logger = logging.getLogger(__name__)

POSTCODES_FILE_NAME: Final = "postcodes.parquet"

# Royal Mail's format: outward code (area letters, district digits, optional
# letter), a space, inward code (sector digit, two unit letters that are never
# C, I, K, M, O or V). GIR 0AA is Girobank's historic special case.
_OUTWARD: Final = (
    r"(?:[A-PR-UWYZ][0-9][0-9]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
)
_INWARD: Final = r"[0-9][ABD-HJLNP-UW-Z]{2}"
_POSTCODE_RE: Final = re.compile(rf"^(?:GIR 0AA|{_OUTWARD} {_INWARD})$")
# A postcode inside free text ("1 High St, Oakham LE15 6AA").
_IN_TEXT_RE: Final = re.compile(rf"\b({_OUTWARD})\s*({_INWARD})\b", re.IGNORECASE)
_SPACE_RE: Final = re.compile(r"\s+")

_BNG_TO_WGS84: Final = functools.partial(
    Transformer.from_crs, "EPSG:27700", "EPSG:4326", always_xy=True
)

# Header names (lower case) each kind of postcode file uses, best first.
_POSTCODE_COLUMNS: Final = ("pcds", "pcd", "pcd2", "pcd7", "pcd8", "postcode", "post code")
_LAT_COLUMNS: Final = ("lat", "latitude")
_LON_COLUMNS: Final = ("long", "lon", "lng", "longitude")
_EAST_COLUMNS: Final = ("oseast1m", "eastings", "easting", "east", "x")
_NORTH_COLUMNS: Final = ("osnrth1m", "northings", "northing", "north", "y")
# Code-Point Open has no header: postcode, quality, eastings, northings, ...
_CODEPOINT_COLUMNS: Final = (0, 2, 3)


def _squash(text: str) -> str:
    return _SPACE_RE.sub("", text).upper()


def is_postcode(text: str) -> bool:
    """Return whether ``text`` is a UK postcode in any spacing or case.

    Examples
    --------
    >>> is_postcode("le156xx"), is_postcode("LE15"), is_postcode("LE15 6CX")
    (True, False, False)
    """
    squashed = _squash(str(text))
    return len(squashed) >= 5 and bool(_POSTCODE_RE.match(f"{squashed[:-3]} {squashed[-3:]}"))


def normalise_postcode(text: str) -> str:
    """Return a UK postcode in its standard form: upper case, one space.

    Parameters
    ----------
    text
        A postcode in any case and spacing.

    Returns
    -------
    str
        For example ``"LE15 6XX"``.

    Raises
    ------
    PostcodeError
        If ``text`` is not in the UK postcode format (the input is named).

    Examples
    --------
    >>> normalise_postcode(" le15  6xx "), normalise_postcode("LE156XX")
    ('LE15 6XX', 'LE15 6XX')
    """
    squashed = _squash(str(text))
    candidate = f"{squashed[:-3]} {squashed[-3:]}" if len(squashed) >= 5 else squashed
    if not _POSTCODE_RE.match(candidate):
        msg = f"{text!r} is not a UK postcode (expected something like 'LE15 6AA')."
        raise PostcodeError(msg)
    return candidate


def find_postcode(text: str) -> str | None:
    """Return the last UK postcode written inside free text, normalised, or None.

    Examples
    --------
    >>> find_postcode("Victoria Hall, 39 High St, Oakham, Rutland le15 6al")
    'LE15 6AL'
    >>> find_postcode("High Street, Oakham") is None
    True
    """
    matches = _IN_TEXT_RE.findall(str(text))
    if not matches:
        return None
    outward, inward = matches[-1]
    return f"{outward.upper()} {inward.upper()}"


def postcode_sector(postcode: str) -> str:
    """Return the sector of a postcode: the outward code and the sector digit.

    Examples
    --------
    >>> postcode_sector("le15 6xx")
    'LE15 6'
    """
    return normalise_postcode(postcode)[:-2]


def postcode_district(postcode: str) -> str:
    """Return the district (outward code) of a postcode.

    Examples
    --------
    >>> postcode_district("LE156XX")
    'LE15'
    """
    return normalise_postcode(postcode).split(" ")[0]


def _unit_vectors(lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.float64]:
    lon_r = np.radians(np.asarray(lon, dtype=np.float64))
    lat_r = np.radians(np.asarray(lat, dtype=np.float64))
    cos_lat = np.cos(lat_r)
    return np.column_stack((cos_lat * np.cos(lon_r), cos_lat * np.sin(lon_r), np.sin(lat_r)))


def _chord_to_m(chord: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.asarray(2.0 * EARTH_RADIUS_M * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0)))


def _frozen(values: npt.ArrayLike, dtype: npt.DTypeLike) -> npt.NDArray[np.generic]:
    array = np.array(values, dtype=dtype, copy=True)
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class PostcodeIndex:
    """An immutable table of postcode centroids, sorted by postcode.

    Build one with :func:`read_postcodes`, :func:`load_postcodes`,
    :func:`postcodes_from_assets` or :meth:`from_arrays`; the constructor checks
    that the arrays are sorted, unique, aligned and normalised.

    Attributes
    ----------
    postcodes
        Normalised postcodes (``"LE15 6AA"``), sorted, unique.
    lon, lat
        WGS 84 centroid of each postcode.
    source
        Where the table came from, for display.
    """

    postcodes: npt.NDArray[np.str_]
    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    source: str = ""
    _sectors: npt.NDArray[np.str_] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        postcodes = _frozen(self.postcodes, np.str_)
        lon = _frozen(self.lon, np.float64)
        lat = _frozen(self.lat, np.float64)
        if not postcodes.ndim == lon.ndim == lat.ndim == 1 or not (
            len(postcodes) == len(lon) == len(lat)
        ):
            msg = "`postcodes`, `lon` and `lat` must be 1-D arrays of the same length."
            raise ValueError(msg)
        if len(postcodes) > 1 and not bool(np.all(np.greater(postcodes[1:], postcodes[:-1]))):
            msg = "`postcodes` must be sorted and unique; build the index with from_arrays()."
            raise ValueError(msg)
        if not (np.all(np.isfinite(lon)) and np.all(np.isfinite(lat))):
            msg = "`lon` and `lat` must be finite."
            raise ValueError(msg)
        if len(lon) and (np.abs(lon).max() > 180 or np.abs(lat).max() > 90):
            msg = "`lon`/`lat` must be WGS 84 degrees."
            raise ValueError(msg)
        object.__setattr__(self, "postcodes", postcodes)
        object.__setattr__(self, "lon", lon)
        object.__setattr__(self, "lat", lat)
        # A sector is a prefix of its postcodes, so sorted postcodes give sorted sectors.
        sectors = _frozen([pc[:-2] for pc in postcodes.tolist()], np.str_)
        object.__setattr__(self, "_sectors", sectors)

    @classmethod
    def from_arrays(
        cls,
        postcodes: Sequence[str] | npt.ArrayLike,
        lon: npt.ArrayLike,
        lat: npt.ArrayLike,
        *,
        source: str = "",
    ) -> PostcodeIndex:
        """Build an index from unsorted arrays; normalises and averages repeats.

        Postcodes not in the UK format are dropped (their count is logged).

        Examples
        --------
        >>> idx = PostcodeIndex.from_arrays(["le15 6aa", "LE156AA", "LE15 7BB"],
        ...                                 [-0.7, -0.8, -0.6], [52.6, 52.8, 52.7])
        >>> idx.postcodes.tolist(), idx.lon.round(2).tolist()
        (['LE15 6AA', 'LE15 7BB'], [-0.75, -0.6])
        """
        frame = pd.DataFrame(
            {
                "postcode": normalise_postcodes(pd.Series(np.asarray(postcodes), dtype=object)),
                "lon": np.asarray(lon, dtype=np.float64),
                "lat": np.asarray(lat, dtype=np.float64),
            }
        )
        ok = frame["postcode"].notna() & np.isfinite(frame["lon"]) & np.isfinite(frame["lat"])
        if not ok.all():
            logger.info("Dropped %d postcode rows with a bad postcode or coordinates.", (~ok).sum())
        grouped = frame[ok].groupby("postcode", sort=True)[["lon", "lat"]].mean()
        return cls(
            postcodes=grouped.index.to_numpy(dtype=np.str_),
            lon=grouped["lon"].to_numpy(),
            lat=grouped["lat"].to_numpy(),
            source=source,
        )

    def __len__(self) -> int:
        return len(self.postcodes)

    def _positions(self, normalised: npt.NDArray[np.str_]) -> npt.NDArray[np.intp]:
        if not len(self.postcodes):
            return np.full(len(normalised), -1, dtype=np.intp)
        pos = np.searchsorted(self.postcodes, normalised)
        pos = np.minimum(pos, len(self.postcodes) - 1)
        return np.where(self.postcodes[pos] == normalised, pos, -1).astype(np.intp)

    def lookup(
        self, postcodes: Iterable[str | None]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Return (lon, lat) arrays for many postcodes; NaN where unknown or malformed.

        Examples
        --------
        >>> idx = PostcodeIndex.from_arrays(["LE15 6AA"], [-0.72], [52.67])
        >>> lon, lat = idx.lookup(["le156aa", "LE15 9ZZ", "junk"])
        >>> lon.tolist()
        [-0.72, nan, nan]
        """
        normalised = normalise_postcodes(pd.Series(list(postcodes), dtype=object))
        pos = self._positions(normalised.fillna("").to_numpy(dtype=np.str_))
        found = pos >= 0
        lon = np.full(len(pos), np.nan)
        lat = np.full(len(pos), np.nan)
        lon[found] = self.lon[pos[found]]
        lat[found] = self.lat[pos[found]]
        return lon, lat

    def __contains__(self, postcode: object) -> bool:
        if not isinstance(postcode, str) or not is_postcode(postcode):
            return False
        return bool(self._positions(np.array([normalise_postcode(postcode)]))[0] >= 0)

    def sectors(self) -> npt.NDArray[np.str_]:
        """Return the distinct sectors in the table, sorted."""
        return np.asarray(np.unique(self._sectors))

    def sector_centroid(self, sector: str) -> tuple[float, float]:
        """Return the mean (lon, lat) of the postcodes in a sector ("LE15 6").

        Raises
        ------
        PostcodeError
            If no postcode of the table is in this sector.
        """
        key = _SPACE_RE.sub(" ", str(sector).strip().upper())
        start = int(np.searchsorted(self._sectors, key, side="left"))
        stop = int(np.searchsorted(self._sectors, key, side="right"))
        if stop == start:
            msg = f"Postcode sector {sector!r} is not in the workspace's postcode table."
            raise PostcodeError(msg)
        return float(self.lon[start:stop].mean()), float(self.lat[start:stop].mean())

    def nearest_sector(self, postcode: str) -> str | None:
        """Return the known sector closest to an unknown postcode, or None.

        The postcode's own sector when the table has any postcode in it;
        otherwise the sector of the same district with the nearest sector
        digit (``"LE15 9"`` -> ``"LE15 8"``); None when the district is unknown.
        A postcode carries no location of its own, so "nearest" is by code.

        Raises
        ------
        PostcodeError
            If ``postcode`` is not in the UK postcode format.
        """
        sector = postcode_sector(postcode)
        district, digit = sector.split(" ")
        start = int(np.searchsorted(self._sectors, f"{district} ", side="left"))
        stop = int(np.searchsorted(self._sectors, f"{district} :", side="right"))
        candidates = [
            s for s in np.unique(self._sectors[start:stop]).tolist() if s.split(" ")[0] == district
        ]
        if not candidates:
            return None
        return str(min(candidates, key=lambda s: (abs(int(s[-1]) - int(digit)), s)))

    def locate(self, postcode: str) -> tuple[float, float]:
        """Return the (lon, lat) centroid of a postcode.

        Raises
        ------
        PostcodeError
            If the postcode is malformed, or not in the table (the nearest
            known sector is offered when there is one).

        Examples
        --------
        >>> idx = PostcodeIndex.from_arrays(["LE15 9AA"], [-0.7], [52.6])
        >>> idx.locate("le15 9aa")
        (-0.7, 52.6)
        >>> try:
        ...     idx.locate("LE15 9ZZ")
        ... except PostcodeError as exc:
        ...     print(exc)
        LE15 9ZZ is not in the workspace's postcode table; nearest known sector: LE15 9
        """
        normalised = normalise_postcode(postcode)
        pos = int(self._positions(np.array([normalised]))[0])
        if pos < 0:
            raise PostcodeError(self.unknown_message(normalised))
        return float(self.lon[pos]), float(self.lat[pos])

    def unknown_message(self, postcode: str) -> str:
        """Return the message for a postcode that is not in the table."""
        normalised = normalise_postcode(postcode)
        sector = self.nearest_sector(normalised)
        hint = (
            f"nearest known sector: {sector}" if sector else "no postcode in its district is known"
        )
        return f"{normalised} is not in the workspace's postcode table; {hint}"

    @functools.cached_property
    def _tree(self) -> cKDTree:
        return cKDTree(_unit_vectors(self.lon, self.lat))

    def nearest_postcodes(
        self, lon: npt.ArrayLike, lat: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.float64]]:
        """Return the nearest postcode to each point and its distance in metres.

        Raises
        ------
        PostcodeError
            If the table is empty.
        """
        if not len(self.postcodes):
            msg = "The workspace's postcode table is empty; load one with `assetmap postcodes`."
            raise PostcodeError(msg)
        chord, pos = self._tree.query(_unit_vectors(np.atleast_1d(lon), np.atleast_1d(lat)))
        return self.postcodes[pos], _chord_to_m(np.asarray(chord, dtype=np.float64))

    def nearest_postcode(self, lon: float, lat: float, *, max_distance_m: float = 2_000.0) -> str:
        """Return the postcode whose centroid is nearest to a point.

        Raises
        ------
        PostcodeError
            If the table is empty or no postcode is within ``max_distance_m``
            (the point is not named in the message: it may be someone's home).

        Examples
        --------
        >>> idx = PostcodeIndex.from_arrays(
        ...     ["LE15 6AA", "LE15 9AA"], [-0.72, -0.60], [52.67, 52.60]
        ... )
        >>> idx.nearest_postcode(-0.71, 52.66)
        'LE15 6AA'
        """
        postcodes, distance = self.nearest_postcodes(lon, lat)
        if not distance[0] <= max_distance_m:
            msg = f"No known postcode is within {max_distance_m:,.0f} m of this point."
            raise PostcodeError(msg)
        return str(postcodes[0])

    def coarse_location(self, lon: float, lat: float, *, max_distance_m: float = 2_000.0) -> str:
        """Return the postcode sector of a point (about 3,000 addresses), for coarse storage.

        Raises
        ------
        PostcodeError
            As :meth:`nearest_postcode`.

        Examples
        --------
        >>> idx = PostcodeIndex.from_arrays(["LE15 6AA"], [-0.72], [52.67])
        >>> idx.coarse_location(-0.721, 52.671)
        'LE15 6'
        """
        return self.nearest_postcode(lon, lat, max_distance_m=max_distance_m)[:-2]

    def to_frame(self) -> pd.DataFrame:
        """Return the table as a DataFrame with columns postcode, lon, lat."""
        return pd.DataFrame({"postcode": self.postcodes, "lon": self.lon, "lat": self.lat})


def normalise_postcodes(values: pd.Series) -> pd.Series:
    """Return a Series of normalised postcodes with None where a value is not one.

    Examples
    --------
    >>> normalise_postcodes(pd.Series(["le156aa", " LE15  6AB", "nope", None])).tolist()
    ['LE15 6AA', 'LE15 6AB', None, None]
    """
    text = values.astype(object).where(values.notna(), "").astype(str)
    squashed = text.str.replace(_SPACE_RE, "", regex=True).str.upper()
    spaced = squashed.str[:-3] + " " + squashed.str[-3:]
    ok = (squashed.str.len() >= 5) & spaced.str.match(_POSTCODE_RE)
    return spaced.astype(object).where(ok, None)


def _read_header(path: Path) -> list[str]:
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as handle:
        try:
            return next(csv.reader(io.StringIO(handle.readline())))
        except StopIteration:
            return []


def _pick(names: dict[str, str], candidates: Sequence[str]) -> str | None:
    return next((names[c] for c in candidates if c in names), None)


def bng_to_wgs84(
    easting: npt.ArrayLike, northing: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Convert British National Grid eastings/northings (EPSG:27700) to WGS 84 lon/lat.

    Examples
    --------
    >>> lon, lat = bng_to_wgs84([486137.0], [308843.0])
    >>> round(float(lon[0]), 4), round(float(lat[0]), 4)
    (-0.7276, 52.6705)
    """
    easting = np.asarray(easting, dtype=np.float64)
    northing = np.asarray(northing, dtype=np.float64)
    lon, lat = _BNG_TO_WGS84().transform(easting, northing)
    lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    ok = np.isfinite(lon) & np.isfinite(lat) & np.isfinite(easting) & np.isfinite(northing)
    return np.where(ok, lon, np.nan), np.where(ok, lat, np.nan)


def _read_one(path: Path) -> pd.DataFrame:
    header = _read_header(path)
    if not header:
        msg = f"The postcode file {path} is empty."
        raise IngestError(msg)
    names = {h.strip().strip('"').lower(): h for h in header}
    if is_postcode(header[0]):
        # Code-Point Open: no header; postcode, quality, eastings, northings, ...
        raw = pd.read_csv(path, header=None, usecols=list(_CODEPOINT_COLUMNS), dtype={0: str})
        raw.columns = pd.Index(["postcode", "easting", "northing"])
        raw = raw[(raw["easting"] > 0) & (raw["northing"] > 0)]
        lon, lat = bng_to_wgs84(raw["easting"].to_numpy(float), raw["northing"].to_numpy(float))
        return pd.DataFrame({"postcode": raw["postcode"].to_numpy(), "lon": lon, "lat": lat})
    pc_col = _pick(names, _POSTCODE_COLUMNS)
    lat_col, lon_col = _pick(names, _LAT_COLUMNS), _pick(names, _LON_COLUMNS)
    east_col, north_col = _pick(names, _EAST_COLUMNS), _pick(names, _NORTH_COLUMNS)
    if pc_col is None or not ((lat_col and lon_col) or (east_col and north_col)):
        msg = (
            f"{path.name} is not a postcode table: expected a Code-Point Open CSV (no header) "
            "or a header with a postcode column (pcds, pcd, postcode) and lat/long or "
            f"eastings/northings; the header is {', '.join(header[:12])}."
        )
        raise IngestError(msg)
    if lat_col and lon_col:
        raw = pd.read_csv(path, usecols=[pc_col, lat_col, lon_col], dtype={pc_col: str})
        lat = pd.to_numeric(raw[lat_col], errors="coerce").to_numpy(float)
        lon = pd.to_numeric(raw[lon_col], errors="coerce").to_numpy(float)
        # ONSPD marks postcodes without a grid reference with lat 99.999999, long 0.
        lat = np.where(np.abs(lat) <= 90, lat, np.nan)
    else:
        assert east_col is not None
        assert north_col is not None
        raw = pd.read_csv(path, usecols=[pc_col, east_col, north_col], dtype={pc_col: str})
        easting = pd.to_numeric(raw[east_col], errors="coerce").to_numpy(float)
        northing = pd.to_numeric(raw[north_col], errors="coerce").to_numpy(float)
        good = (easting > 0) & (northing > 0) & (northing < 1_300_000)
        easting, northing = np.where(good, easting, np.nan), np.where(good, northing, np.nan)
        lon, lat = bng_to_wgs84(easting, northing)
    return pd.DataFrame({"postcode": raw[pc_col].to_numpy(), "lon": lon, "lat": lat})


def read_postcodes(path: str | Path) -> PostcodeIndex:
    """Read a postcode table: ONSPD/NSPL, Code-Point Open or ``postcode,lat,lon``.

    The format is detected from the first line. Code-Point Open (no header)
    and tables with only eastings/northings are converted from British
    National Grid (EPSG:27700) to WGS 84 with pyproj. Rows without a grid
    reference (Code-Point 0/0, ONSPD lat 99.999999) are dropped.

    Parameters
    ----------
    path
        A CSV file, or a folder of them (Code-Point Open ships one per area;
        the first file to give a postcode wins).

    Returns
    -------
    PostcodeIndex

    Raises
    ------
    IngestError
        If the file is missing, empty or not a postcode table (its header is shown).
    NoAssetsError
        If it holds no postcode with coordinates.
    """
    source = Path(path)
    if source.is_dir():
        files = sorted(p for p in source.glob("*.csv") if p.is_file())
    elif source.is_file():
        files = [source]
    else:
        msg = f"No postcode file at {source}."
        raise IngestError(msg)
    if not files:
        msg = f"The folder {source} holds no .csv postcode files."
        raise IngestError(msg)
    frames = []
    for file in files:
        try:
            frames.append(_read_one(file))
        except (ValueError, OSError, UnicodeError) as exc:
            msg = f"Cannot read the postcode file {file.name}: {exc}"
            raise IngestError(msg) from exc
    table = pd.concat(frames, ignore_index=True)
    table["postcode"] = normalise_postcodes(table["postcode"])
    table = table.dropna(subset=["postcode", "lon", "lat"]).drop_duplicates("postcode")
    if table.empty:
        msg = f"{source.name} holds no postcode with coordinates."
        raise NoAssetsError(msg)
    table = table.sort_values("postcode", kind="stable")
    return PostcodeIndex(
        postcodes=table["postcode"].to_numpy(dtype=np.str_),
        lon=table["lon"].to_numpy(),
        lat=table["lat"].to_numpy(),
        source=source.name,
    )


def merge_postcodes(*indexes: PostcodeIndex) -> PostcodeIndex:
    """Return one index holding every postcode; the first index to know one wins.

    Use it to let an official table take precedence over postcodes taken from assets.
    """
    frames = [ix.to_frame() for ix in indexes if len(ix)]
    if not frames:
        return PostcodeIndex.from_arrays([], [], [])
    table = pd.concat(frames, ignore_index=True).drop_duplicates("postcode")
    table = table.sort_values("postcode", kind="stable")
    return PostcodeIndex(
        postcodes=table["postcode"].to_numpy(dtype=np.str_),
        lon=table["lon"].to_numpy(),
        lat=table["lat"].to_numpy(),
        source=" + ".join(ix.source for ix in indexes if ix.source),
    )


def postcodes_from_assets(assets: gpd.GeoDataFrame) -> PostcodeIndex:
    """Build a postcode table from the ``postcode`` values of assets (OSM ``addr:postcode``).

    Each postcode's location is the mean of its assets' points; malformed
    postcodes are ignored. Use it where no official table is loaded.

    Raises
    ------
    SchemaError
        If ``assets`` has no ``postcode`` column or no geometry.
    """
    if "postcode" not in assets.columns or not isinstance(assets, gpd.GeoDataFrame):
        msg = "`assets` must be a GeoDataFrame with a `postcode` column."
        raise SchemaError(msg)
    points = assets.geometry.representative_point() if len(assets) else assets.geometry
    if len(assets) and assets.crs is not None and not assets.crs.equals("EPSG:4326"):
        points = points.to_crs("EPSG:4326")
    return PostcodeIndex.from_arrays(
        assets["postcode"].to_numpy(dtype=object),
        points.x.to_numpy() if len(assets) else [],
        points.y.to_numpy() if len(assets) else [],
        source="asset postcodes",
    )


def save_postcodes(index: PostcodeIndex, path: str | Path) -> Path:
    """Write the table to a Parquet file (in a workspace: ``postcodes.parquet``).

    Returns
    -------
    pathlib.Path
        The file written. It is written to a temporary name and then renamed,
        so a failed write leaves any earlier table in place.
    """
    target = Path(path)
    frame = index.to_frame()
    frame.attrs = {}
    with atomic_path(target) as temporary:
        frame.to_parquet(temporary, index=False)
    return target


def load_postcodes(path: str | Path) -> PostcodeIndex:
    """Read a table written by :func:`save_postcodes`.

    Raises
    ------
    IngestError
        If the file is missing, unreadable or lacks the postcode/lon/lat columns.
    """
    source = Path(path)
    try:
        frame = pd.read_parquet(source)
    except (OSError, ValueError) as exc:
        msg = f"Cannot read the postcode table {source}: {exc}"
        raise IngestError(msg) from exc
    missing = {"postcode", "lon", "lat"} - set(frame.columns)
    if missing:
        msg = f"The postcode table {source} lacks column(s) {', '.join(sorted(missing))}."
        raise IngestError(msg)
    try:
        return PostcodeIndex(
            postcodes=frame["postcode"].to_numpy(dtype=np.str_),
            lon=frame["lon"].to_numpy(dtype=np.float64),
            lat=frame["lat"].to_numpy(dtype=np.float64),
            source=source.name,
        )
    except ValueError as exc:
        msg = f"The postcode table {source} is damaged: {exc}"
        raise IngestError(msg) from exc
