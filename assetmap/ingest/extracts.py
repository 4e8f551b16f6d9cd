"""Which OpenStreetMap extract to download for a place, from pyrosm's Geofabrik index.

pyrosm's wheel ships a snapshot of Geofabrik's index of regional extracts
(name, download address, size and outline). :func:`suggest_extract` picks the
smallest one that contains a point (or, without a point, whose name is part of
the place name), so that ``assetmap init --place`` can say exactly which file
to fetch when there is no internet.
"""

from __future__ import annotations

import functools
import gzip
import importlib.resources
import json
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import shape

from assetmap.errors import IngestError

__all__ = [
    "GeofabrikRegion",
    "geofabrik_regions",
    "locate_place",
    "offline_place_message",
    "suggest_extract",
]


@dataclass(frozen=True, slots=True)
class GeofabrikRegion:
    """A Geofabrik extract: ``name``, download ``url``, size in ``bytes`` (as of ``bytes_date``)."""

    id: str
    name: str
    url: str
    bytes: int
    bytes_date: str
    outline: Any

    @property
    def file_name(self) -> str:
        """The file the address downloads."""
        return self.url.rsplit("/", 1)[-1]

    @property
    def size_text(self) -> str:
        """The size in MB (or GB), as people read it.

        Examples
        --------
        >>> GeofabrikRegion("r", "R", "https://x/r.osm.pbf", 1_887_437, "", None).size_text
        '1.9 MB'
        """
        if self.bytes >= 1e9:
            return f"{self.bytes / 1e9:.1f} GB"
        return f"{self.bytes / 1e6:.1f} MB"


@functools.lru_cache(maxsize=1)
def geofabrik_regions() -> tuple[GeofabrikRegion, ...]:
    """Read pyrosm's snapshot of Geofabrik's index (read once).

    Raises
    ------
    IngestError
        If pyrosm's index file is not there.
    """
    path = importlib.resources.files("pyrosm").joinpath("data", "geofabrik_index.geojson.gz")
    try:
        with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
            features = json.load(fh)["features"]
    except (OSError, ValueError, KeyError) as exc:
        msg = f"Cannot read pyrosm's index of Geofabrik extracts: {exc}"
        raise IngestError(msg) from exc
    regions = []
    for feature in features:
        props = feature.get("properties") or {}
        if not props.get("pbf") or feature.get("geometry") is None:
            continue
        regions.append(
            GeofabrikRegion(
                id=str(props.get("id", "")),
                name=str(props.get("name", "")),
                url=str(props["pbf"]),
                bytes=int(props.get("bytes") or 0),
                bytes_date=str(props.get("bytes_date") or ""),
                outline=shape(feature["geometry"]),
            )
        )
    return tuple(regions)


def suggest_extract(place: str, point: tuple[float, float] | None = None) -> GeofabrikRegion | None:
    """Return the smallest Geofabrik extract holding ``point`` (lon, lat) or named in ``place``.

    Without a point, a region matches when its name equals one of the
    comma-separated parts of ``place`` ("Oakham, Rutland, England" -> Rutland).

    Examples
    --------
    >>> suggest_extract("Oakham, Rutland, England").file_name
    'rutland-latest.osm.pbf'
    >>> suggest_extract("somewhere", point=(-0.72, 52.67)).name
    'Rutland'
    >>> suggest_extract("Nowhere-on-Sea") is None
    True
    """
    regions = geofabrik_regions()
    if point is not None:
        found = [r for r in regions if shapely.contains_xy(r.outline, *point)]
    else:
        parts = {part.strip().casefold() for part in place.split(",") if part.strip()}
        found = [r for r in regions if r.name.casefold() in parts or r.id.casefold() in parts]
    return min(found, key=lambda r: (r.bytes, r.name), default=None)


def offline_place_message(place: str, point: tuple[float, float] | None = None) -> str:
    """Say what to download when OpenStreetMap cannot be reached for ``place``.

    Examples
    --------
    >>> text = offline_place_message("Oakham, Rutland")
    >>> "Download rutland-latest.osm.pbf (1.9 MB) from https://download.geofabrik.de/" in text
    True
    """
    region = suggest_extract(place, point)
    start = f"Cannot reach OpenStreetMap for {place!r} (no internet?)."
    if region is None:
        return (
            f"{start} Download the smallest extract holding it from https://download.geofabrik.de/ "
            "(an .osm.pbf), then run `assetmap init WORKSPACE --osm FILE --area NAME`."
        )
    return (
        f"{start} Download {region.file_name} ({region.size_text}) from {region.url}, then run "
        f"`assetmap init WORKSPACE --osm {region.file_name} --area NAME`."
    )


def _nominatim(place: str, timeout_s: float) -> tuple[float, float]:
    """Geocode ``place`` through osmnx (the network call); (lon, lat)."""
    import osmnx as ox

    previous = ox.settings.requests_timeout
    ox.settings.requests_timeout = timeout_s
    try:
        lat, lon = ox.geocode(place)
    finally:
        ox.settings.requests_timeout = previous
    return float(lon), float(lat)


def locate_place(place: str, *, timeout_s: float = 5.0) -> tuple[float, float]:
    """Geocode a place name (lon, lat) within seconds, or say which extract to download.

    Raises
    ------
    IngestError
        Naming the Geofabrik file, its size and address, when OpenStreetMap
        cannot be reached; or when the place is unknown.
    """
    import requests

    try:
        return _nominatim(place, timeout_s)
    except (requests.RequestException, OSError) as exc:
        raise IngestError(offline_place_message(place)) from exc
    except (ValueError, TypeError) as exc:  # osmnx: nothing found
        msg = f"OpenStreetMap does not know a place called {place!r}: {exc}"
        raise IngestError(msg) from exc
