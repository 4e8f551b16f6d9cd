"""OpenStreetMap import: community assets and the walking street network.

Two ways in, one result (:class:`OsmExtract`):

- :func:`read_osm_file` reads a local extract (``.osm.pbf``, ``.osm``,
  ``.osm.bz2``, ``.osm.gz``) with pyosmium in two streaming passes (relations
  first, to learn which ways multipolygons need, then the whole file).
- :func:`fetch_osm_place` and :func:`fetch_osm_polygon` ask Overpass through
  osmnx; :func:`assets_from_osm_features` and :func:`network_from_graph`
  parse what osmnx returns, so the parsing is tested offline.

Assets are tagged nodes, ways (closed ways are areas, reduced to a
representative point) and ``type=multipolygon`` relations whose tags match a
taxonomy category. The walking network keeps every vertex of every walkable
way (see :func:`is_walkable`) and one edge per pair of consecutive vertices.

Real extracts are clipped: a way can name nodes that are not in the file and a
relation can name ways that are not. Such ways are cut at the missing nodes
(network) or left out (assets); such relations are left out. Everything left
out is counted in :attr:`OsmExtract.skipped`, never fatal.

Kinds: parks and other green spaces and places of worship are ``"informal"``
assets (places people use on their own terms); everything else is a
``"service"``. Every OSM asset starts ``"unverified"``.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Final

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import osmium
import osmium.filter
import pandas as pd
import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from assetmap.errors import IngestError, NoAssetsError, SchemaError
from assetmap.geo import haversine_m
from assetmap.ingest.postcodes import is_postcode, normalise_postcode
from assetmap.reach.cycle import CycleNetwork
from assetmap.reach.network import WalkNetwork
from assetmap.schema import STORAGE_CRS, empty_assets, validate_assets
from assetmap.taxonomy import Taxonomy, load_taxonomy

if TYPE_CHECKING:
    import networkx as nx
    from shapely.geometry import MultiPolygon

__all__ = [
    "OSM_SUFFIXES",
    "OsmExtract",
    "OsmLimits",
    "ProgressCallback",
    "assets_from_osm_features",
    "fetch_osm_place",
    "fetch_osm_polygon",
    "is_walkable",
    "network_from_graph",
    "osm_query_tags",
    "read_osm_file",
]

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[str, float], None]
"""``progress(stage, fraction)``: stage is ``"reading"``, ``"assets"`` or ``"network"``."""

OSM_SUFFIXES: Final = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz")

INFORMAL_CATEGORIES: Final = frozenset({"green_space", "faith_community"})
"""Categories whose assets are ``kind="informal"`` when they have no other category."""

# Walk filter (osmnx's "walk" network filter, values matched exactly per
# ";"-separated value rather than by regular expression).
_EXCLUDED_HIGHWAY: Final = frozenset(
    {
        "abandoned",
        "bus_guideway",
        "construction",
        "motor",
        "motorway",
        "motorway_link",
        "no",
        "planned",
        "platform",
        "proposed",
        "raceway",
        "razed",
        "rest_area",
        "services",
    }
)
_FOOT_ALLOWED: Final = frozenset({"yes", "designated", "permissive"})
_CLOSED: Final = frozenset({"no", "private"})
_SIDEWALK_KEYS: Final = ("sidewalk", "sidewalk:both", "sidewalk:left", "sidewalk:right")
_WALK_KEYS: Final = ("highway", "area", "foot", "access", "service", *_SIDEWALK_KEYS)

# Rough bytes per OSM object, only to turn objects read into a progress fraction.
_BYTES_PER_OBJECT: Final = {"pbf": 9.0, "osm": 150.0, "bz2": 15.0, "gz": 20.0}
_PROGRESS_EVERY: Final = 1 << 16

_EPOCH: Final = dt.datetime(1970, 1, 2, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class OsmLimits:
    """Limits that stop a crafted or mistaken file before it exhausts memory.

    Attributes
    ----------
    max_file_bytes
        Largest file accepted (as stored, compressed or not). 1 GiB by default,
        a large English region.
    max_objects
        Most nodes + ways + relations read before giving up.
    max_tags_per_object
        Most tags on one object (real objects have tens; a few hundred at most).
    max_tag_value_chars
        Longest tag value (OpenStreetMap itself allows 255 characters).
    max_way_nodes
        Most node references in one way (OpenStreetMap itself allows 2,000).
    max_relation_members
        Most members of one relation (OpenStreetMap itself allows 32,000).
    max_pbf_expansion, min_pbf_raw_bytes
        Most bytes a ``.osm.pbf`` may unpack to: ``max_pbf_expansion`` times
        its size or ``min_pbf_raw_bytes``, whichever is more, read from its
        block headers before any block is unpacked. Real extracts unpack to
        about 2.2 times their size; a few KB of zlib can claim (and hold)
        tens of MB of densely packed ways that osmium would unpack in full.
    node_refs_per_byte, min_node_refs
        Most street node references kept in memory: ``min_node_refs`` or
        ``node_refs_per_byte`` per byte of the file, whichever is more. Real
        extracts keep about 0.03 per byte (Rutland's ``.osm.pbf``); a few KB of
        compressed ways that repeat the same nodes thousands of times would
        otherwise expand to gigabytes. This bounds memory by the file's size.
    """

    max_file_bytes: int = 1 << 30
    max_objects: int = 60_000_000
    max_tags_per_object: int = 1_000
    max_tag_value_chars: int = 1_024
    max_way_nodes: int = 10_000
    max_relation_members: int = 100_000
    node_refs_per_byte: int = 16
    min_node_refs: int = 100_000
    max_pbf_expansion: int = 20
    min_pbf_raw_bytes: int = 1 << 20

    def __post_init__(self) -> None:
        for name in (
            "max_file_bytes",
            "max_objects",
            "max_tags_per_object",
            "max_tag_value_chars",
            "max_way_nodes",
            "max_relation_members",
            "node_refs_per_byte",
            "min_node_refs",
            "max_pbf_expansion",
            "min_pbf_raw_bytes",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                msg = f"`{name}` must be a positive whole number, got {value!r}."
                raise ValueError(msg)


@dataclass(frozen=True, eq=False)
class OsmExtract:
    """What one OpenStreetMap import yields.

    Attributes
    ----------
    assets
        Validated asset table (:func:`assetmap.schema.validate_assets`),
        ``source="osm"``, ``source_id`` like ``"node/123"`` or ``"way/45"``.
    network
        The walking network.
    skipped
        Reason -> count of what was left out or repaired (only reasons that
        happened): ``asset_ways_missing_nodes``, ``asset_relations_missing_members``,
        ``asset_relations_not_multipolygon``, ``asset_relations_bad_geometry``,
        ``asset_nodes_bad_location``, ``unnamed_features`` (unnamed and no
        category is useful unnamed), ``invalid_tag_values`` (ages ignored),
        ``network_ways_cut_at_missing_nodes``, ``network_ways_without_segments``,
        ``network_self_loops``, ``network_duplicate_segments``,
        ``features_without_geometry`` (live path).
    bbox
        ``(min_lon, min_lat, max_lon, max_lat)`` of the kept network and assets.
    newest_timestamp
        Newest object timestamp in the file (UTC), None when the source has none.
    cycle
        The cycling network (file imports; None on the live osmnx path).
    """

    assets: gpd.GeoDataFrame
    network: WalkNetwork
    skipped: Mapping[str, int] = field(default_factory=dict)
    bbox: tuple[float, float, float, float] | None = None
    newest_timestamp: dt.datetime | None = None
    cycle: CycleNetwork | None = None


# --------------------------------------------------------------------------
# Tags -> asset record (shared by the file and the live path)
# --------------------------------------------------------------------------


def _values(value: str | None) -> list[str]:
    if not value:
        return []
    return [part.strip().lower() for part in value.split(";") if part.strip()]


def _any_value(value: str | None, allowed: frozenset[str]) -> bool:
    return any(part in allowed for part in _values(value))


def is_walkable(tags: Mapping[str, str]) -> bool:
    """Return whether a way with these tags belongs in the walking network.

    Follows osmnx's ``"walk"`` filter: a ``highway`` that is not a motorway,
    not abandoned/planned/proposed/under construction, not a platform,
    raceway, bus guideway, rest area or services; not ``area=yes``; not
    ``service=private``; no sidewalk mapped separately. Access follows OSM's
    hierarchy: ``foot`` (if present) else ``access`` decides, and ``no`` or
    ``private`` closes the way (so ``access=private`` + ``foot=yes`` stays).
    Two differences from osmnx, both for UK shared paths: a ``cycleway`` is
    kept when ``foot`` is ``yes``/``designated``/``permissive``, and
    ``access=no`` without a foot permission is excluded.

    Parameters
    ----------
    tags
        OSM key -> value of the way.

    Returns
    -------
    bool
        True when the way is walkable.

    Examples
    --------
    >>> is_walkable({"highway": "residential"}), is_walkable({"highway": "motorway"})
    (True, False)
    >>> is_walkable({"highway": "track", "access": "private", "foot": "yes"})
    True
    >>> is_walkable({"highway": "cycleway"})
    False
    >>> is_walkable({"highway": "cycleway", "foot": "designated"})
    True
    """
    highway = tags.get("highway")
    if not highway or _any_value(highway, _EXCLUDED_HIGHWAY):
        return False
    if _any_value(tags.get("area"), frozenset({"yes"})):
        return False
    if _any_value(tags.get("service"), frozenset({"private"})):
        return False
    if any(_any_value(tags.get(key), frozenset({"separate"})) for key in _SIDEWALK_KEYS):
        return False
    foot = tags.get("foot")
    if "cycleway" in _values(highway) and not _any_value(foot, _FOOT_ALLOWED):
        return False
    decider = foot if foot is not None else tags.get("access")
    return not _any_value(decider, _CLOSED)


_CYCLE_ONLY_IF_ALLOWED: Final = frozenset({"footway", "pedestrian", "steps", "corridor", "path"})
_BIKE_ALLOWED: Final = frozenset({"yes", "designated", "permissive", "destination"})
_BUSY_ROADS: Final = frozenset(
    {"trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link"}
)
_CYCLE_FACILITY: Final = frozenset({"lane", "track", "opposite_lane", "opposite_track", "separate"})


def is_cyclable(tags: Mapping[str, str]) -> bool:
    """Return whether a way with these tags belongs in the cycling network.

    A ``highway`` that is not excluded for walking (motorways, proposed and
    abandoned ways...) and not ``area=yes``; footways, pedestrian streets,
    steps and paths only with a ``bicycle`` permission; bridleways and
    byways are open to bikes in England. Access: ``bicycle`` (if present)
    else ``access``; ``no``, ``private`` or ``dismount`` close the way.

    Examples
    --------
    >>> is_cyclable({"highway": "residential"}), is_cyclable({"highway": "footway"})
    (True, False)
    >>> is_cyclable({"highway": "footway", "bicycle": "designated"})
    True
    >>> is_cyclable({"highway": "cycleway"}), is_cyclable({"highway": "motorway"})
    (True, False)
    """
    highway = tags.get("highway")
    if not highway or _any_value(highway, _EXCLUDED_HIGHWAY):
        return False
    if _any_value(tags.get("area"), frozenset({"yes"})):
        return False
    bicycle = tags.get("bicycle")
    if _any_value(highway, _CYCLE_ONLY_IF_ALLOWED) and not _any_value(bicycle, _BIKE_ALLOWED):
        return False
    decider = bicycle if bicycle is not None else tags.get("access")
    return not _any_value(decider, _CLOSED | {"dismount", "use_sidepath"})


def is_high_stress(tags: Mapping[str, str]) -> bool:
    """Return whether a cyclable way is a busy road without a cycle lane or track.

    Examples
    --------
    >>> is_high_stress({"highway": "primary"}), is_high_stress({"highway": "residential"})
    (True, False)
    >>> is_high_stress({"highway": "primary", "cycleway:left": "track"})
    False
    """
    if not _any_value(tags.get("highway"), _BUSY_ROADS):
        return False
    keys = ("cycleway", "cycleway:left", "cycleway:right", "cycleway:both")
    return not any(_any_value(tags.get(key), _CYCLE_FACILITY) for key in keys)


def _first(tags: Mapping[str, str], *keys: str) -> str | None:
    for key in keys:
        value = tags.get(key)
        if value is not None and value.strip():
            return value.strip()
    return None


_FAITHS: Final = {"anglican": "Anglican (Church of England)", "catholic": "Catholic"}


def _description(tags: Mapping[str, str]) -> str | None:
    """Return the ``description`` tag, with a place of worship's faith and denomination.

    Staff ask for "a catholic church" or "a mosque" by its faith, which the name
    rarely says ("Saint Joseph's").

    Examples
    --------
    >>> _description({"denomination": "roman_catholic", "religion": "christian"})
    'Roman Catholic (Christian)'
    >>> _description({"description": "Lunch club", "religion": "muslim"})
    'Lunch club; Muslim'
    """
    faith = [
        _FAITHS.get(v, v.replace("_", " ").title())
        for key in ("denomination", "religion")
        if (v := (tags.get(key) or "").strip().lower()) and v not in ("yes", "no", "none")
    ]
    said = f"{faith[0]} ({faith[1]})" if len(faith) == 2 else "".join(faith)
    return "; ".join(p for p in (_first(tags, "description"), said) if p) or None


def _address(tags: Mapping[str, str]) -> str | None:
    number = _first(tags, "addr:housenumber")
    street = _first(tags, "addr:street")
    line = " ".join(part for part in (number, street) if part) or None
    parts = [_first(tags, "addr:housename"), line, _first(tags, "addr:city")]
    text = ", ".join(part for part in parts if part)
    return text or None


def _postcode(tags: Mapping[str, str]) -> str | None:
    value = _first(tags, "addr:postcode")
    if value is None:
        return None
    if is_postcode(value):
        return normalise_postcode(value)
    return " ".join(value.upper().split())


def _age(tags: Mapping[str, str], key: str, skipped: Counter[str]) -> int | None:
    value = _first(tags, key)
    if value is None:
        return None
    if value.isascii() and value.isdigit() and int(value) <= 150:  # not "²" (found by hypothesis)
        return int(value)
    skipped["invalid_tag_values"] += 1
    return None


def _wheelchair(tags: Mapping[str, str]) -> str | None:
    value = (_first(tags, "wheelchair") or "").lower()
    if value == "designated":
        return "yes"
    return value if value in {"yes", "limited", "no"} else None


def _gender(tags: Mapping[str, str]) -> str:
    served = set(_values(tags.get("social_facility:for")))
    if (tags.get("female") or "").lower() == "yes" or served & {"woman", "women"}:
        return "women"
    if (tags.get("male") or "").lower() == "yes" or served & {"man", "men"}:
        return "men"
    return "any"


def _asset_record(
    element: str,
    osm_id: int,
    tags: Mapping[str, str],
    point: Point,
    *,
    categories: tuple[str, ...],
    taxonomy: Taxonomy,
    skipped: Counter[str],
) -> dict[str, Any] | None:
    """Return an asset record for one OSM feature, or None (counted) when unnamed."""
    name = _first(tags, "name", "official_name", "brand")
    flags: tuple[str, ...] = ()
    if name is None:
        useful = [c for c in categories if taxonomy.categories[c].useful_unnamed]
        if not useful:
            skipped["unnamed_features"] += 1
            return None
        name = f"{taxonomy.categories[useful[0]].label} (unnamed)"
        flags = ("unnamed",)
    fee = (tags.get("fee") or "").strip().lower()
    min_age = _age(tags, "min_age", skipped)
    max_age = _age(tags, "max_age", skipped)
    if min_age is not None and max_age is not None and min_age > max_age:
        skipped["invalid_tag_values"] += 1
        min_age = max_age = None
    return {
        "name": name,
        "kind": "informal" if set(categories) <= INFORMAL_CATEGORIES else "service",
        "status": "unverified",
        "categories": categories,
        "description": _description(tags),
        "organisation": _first(tags, "operator"),
        "address": _address(tags),
        "postcode": _postcode(tags),
        "opening_hours": _first(tags, "opening_hours"),
        "phone": _first(tags, "phone", "contact:phone"),
        "email": _first(tags, "email", "contact:email"),
        "website": _first(tags, "website", "contact:website", "url"),
        "cost": {"no": "free", "yes": "paid"}.get(fee),
        "min_age": min_age,
        "max_age": max_age,
        "gender": _gender(tags),
        "wheelchair": _wheelchair(tags),
        "source": "osm",
        "source_id": f"{element}/{osm_id}",
        "flags": flags,
        "geometry": point,
    }


def _assets_frame(
    records: list[dict[str, Any]], *, taxonomy: Taxonomy, where: str
) -> gpd.GeoDataFrame:
    if not records:
        return empty_assets()
    order = {"node": 0, "way": 1, "relation": 2}
    records.sort(
        key=lambda r: (
            order.get(r["source_id"].split("/")[0], 3),
            int(r["source_id"].split("/")[1]),
        )
    )
    frame = gpd.GeoDataFrame(
        pd.DataFrame.from_records(records), geometry="geometry", crs=STORAGE_CRS
    )
    try:
        return validate_assets(frame, taxonomy=taxonomy)
    except SchemaError as exc:
        msg = f"{where}: an OpenStreetMap feature breaks the asset schema: {exc}"
        raise IngestError(msg) from exc


# --------------------------------------------------------------------------
# Network arrays
# --------------------------------------------------------------------------


def _build_network(
    node_ids: npt.NDArray[np.int64],
    lon: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
    seg_u: npt.NDArray[np.int64],
    seg_v: npt.NDArray[np.int64],
    seg_length: npt.NDArray[np.float64] | None,
    skipped: Counter[str],
) -> WalkNetwork:
    """Index nodes and deduplicate undirected segments given by OSM node ids.

    ``node_ids``/``lon``/``lat`` may repeat ids (same coordinates). Self-loops
    and repeated segments are dropped and counted. Only nodes on an edge are kept.
    """
    loops = seg_u == seg_v
    if loops.any():
        skipped["network_self_loops"] += int(loops.sum())
    seg_u, seg_v = seg_u[~loops], seg_v[~loops]
    if seg_length is not None:
        seg_length = seg_length[~loops]
    lo, hi = np.minimum(seg_u, seg_v), np.maximum(seg_u, seg_v)
    pairs = np.stack([lo, hi], axis=1) if len(lo) else np.empty((0, 2), dtype=np.int64)
    unique_pairs, first = np.unique(pairs, axis=0, return_index=True)
    duplicates = len(pairs) - len(unique_pairs)
    if duplicates:
        skipped["network_duplicate_segments"] += int(duplicates)
    used = np.unique(unique_pairs.ravel())
    ids_sorted, where = np.unique(node_ids, return_index=True)
    pos = np.searchsorted(ids_sorted, used)
    node_lon = lon[where[pos]]
    node_lat = lat[where[pos]]
    edge_u = np.searchsorted(used, unique_pairs[:, 0]).astype(np.int32)
    edge_v = np.searchsorted(used, unique_pairs[:, 1]).astype(np.int32)
    if seg_length is not None:
        length = np.asarray(seg_length[first], dtype=np.float64)
    else:
        length = haversine_m(node_lon[edge_u], node_lat[edge_u], node_lon[edge_v], node_lat[edge_v])
    return WalkNetwork(
        node_ids=used.astype(np.int64),
        lon=node_lon.astype(np.float64),
        lat=node_lat.astype(np.float64),
        edge_u=edge_u,
        edge_v=edge_v,
        length_m=length,
    )


def _joins(present: list[bool]) -> list[bool]:
    """For each present vertex: whether it joins the previous one (both present)."""
    joins: list[bool] = []
    previous_ok = False
    for ok in present:
        if ok:
            joins.append(previous_ok)
        previous_ok = ok
    return joins


def _empty_network() -> WalkNetwork:
    return WalkNetwork(
        node_ids=np.empty(0, dtype=np.int64),
        lon=np.empty(0, dtype=np.float64),
        lat=np.empty(0, dtype=np.float64),
        edge_u=np.empty(0, dtype=np.int32),
        edge_v=np.empty(0, dtype=np.int32),
        length_m=np.empty(0, dtype=np.float64),
    )


def _bbox(
    network: WalkNetwork, assets: gpd.GeoDataFrame
) -> tuple[float, float, float, float] | None:
    lons = (
        [network.lon, assets.geometry.x.to_numpy(dtype=np.float64)]
        if len(assets)
        else [network.lon]
    )
    lats = (
        [network.lat, assets.geometry.y.to_numpy(dtype=np.float64)]
        if len(assets)
        else [network.lat]
    )
    all_lon, all_lat = np.concatenate(lons), np.concatenate(lats)
    if not len(all_lon):
        return None
    return (
        float(all_lon.min()),
        float(all_lat.min()),
        float(all_lon.max()),
        float(all_lat.max()),
    )


# --------------------------------------------------------------------------
# The file reader
# --------------------------------------------------------------------------


def _format_key(path: Path) -> str | None:
    name = path.name.lower()
    for suffix in OSM_SUFFIXES:
        if name.endswith(suffix):
            return suffix.rsplit(".", 1)[-1]
    return None


def _read_tags(obj: Any, limits: OsmLimits, where: Callable[[], str]) -> dict[str, str]:
    if len(obj.tags) > limits.max_tags_per_object:
        msg = f"{where()} has {len(obj.tags):,} tags; the limit is {limits.max_tags_per_object:,}."
        raise IngestError(msg)
    tags: dict[str, str] = {}
    for tag in obj.tags:
        value = tag.v
        if len(value) > limits.max_tag_value_chars or len(tag.k) > limits.max_tag_value_chars:
            msg = (
                f"{where()} has a tag longer than {limits.max_tag_value_chars:,} characters "
                f"(key {tag.k[:40]!r})."
            )
            raise IngestError(msg)
        tags[tag.k] = value
    return tags


def _trigger_index(taxonomy: Taxonomy) -> dict[str, frozenset[str] | None]:
    """Key -> values (None: any value) such that a rule can only match if one is present."""
    index: dict[str, set[str] | None] = {}
    for category in taxonomy.categories.values():
        for rule in category.osm:
            key, value = rule[0]
            current = index.get(key, set())
            if value == "*" or current is None:
                index[key] = None
            else:
                index[key] = current | {value}
    return {k: (None if v is None else frozenset(v)) for k, v in index.items()}


class _Scan:
    """Shared state of both passes: counting, limits, tag reading and matching."""

    def __init__(self, path: Path, taxonomy: Taxonomy, limits: OsmLimits) -> None:
        self.path = path
        self.taxonomy = taxonomy
        self.limits = limits
        self.objects = 0
        self.triggers = _trigger_index(taxonomy)

    def categories(self, tags: Mapping[str, str]) -> tuple[str, ...]:
        """Taxonomy categories of ``tags``; a quick key/value check first (most objects fail it)."""
        for key, value in tags.items():
            if key in self.triggers:
                values = self.triggers[key]
                if values is None or value in values:
                    return self.taxonomy.categories_for_tags(tags)
        return ()

    def count(self) -> None:
        self.objects += 1
        if self.objects > self.limits.max_objects:
            msg = (
                f"{self.path} holds more than {self.limits.max_objects:,} OpenStreetMap objects; "
                "cut a smaller extract (e.g. with `osmium extract`) or raise the limit."
            )
            raise IngestError(msg)

    def tags(self, obj: Any, element: str) -> dict[str, str]:
        return _read_tags(obj, self.limits, lambda: f"{self.path}: {element}/{obj.id}")

    def check_size(self, element: str, obj_id: int, size: int, limit: int, what: str) -> None:
        if size > limit:
            msg = (
                f"{self.path}: {element}/{obj_id} has {size:,} {what}; the limit is {limit:,} "
                "(OpenStreetMap itself allows far fewer): not a plausible OSM file."
            )
            raise IngestError(msg)


class _RelationPass(_Scan):
    """Pass 1: multipolygon relations that are assets, and the ways they need."""

    def __init__(self, path: Path, taxonomy: Taxonomy, limits: OsmLimits) -> None:
        super().__init__(path, taxonomy, limits)
        self.candidates: list[
            tuple[int, dict[str, str], tuple[str, ...], list[tuple[int, str]]]
        ] = []
        self.member_ways: set[int] = set()
        self.skipped: Counter[str] = Counter()

    def relation(self, rel: Any) -> None:
        self.count()
        if not len(rel.tags):
            return
        tags = self.tags(rel, "relation")
        categories = self.categories(tags)
        if not categories:
            return
        if tags.get("type") != "multipolygon":
            self.skipped["asset_relations_not_multipolygon"] += 1
            return
        size = len(rel.members)
        self.check_size("relation", rel.id, size, self.limits.max_relation_members, "members")
        members = [(int(m.ref), str(m.role)) for m in rel.members if m.type == "w"]
        self.candidates.append((int(rel.id), tags, categories, members))
        self.member_ways.update(ref for ref, _ in members)


class _MainPass(_Scan):
    """Pass 2: every object; tagged nodes and ways become assets or streets."""

    def __init__(
        self,
        path: Path,
        taxonomy: Taxonomy,
        limits: OsmLimits,
        *,
        member_ways: set[int],
        progress: ProgressCallback | None,
        expected_objects: float,
        file_bytes: int,
    ) -> None:
        super().__init__(path, taxonomy, limits)
        self.member_ways = member_ways
        self.max_refs = max(limits.min_node_refs, limits.node_refs_per_byte * file_bytes)
        self.kept_refs = 0
        self.member_coords: dict[int, list[tuple[float, float]] | None] = {}
        self.assets: list[tuple[str, int, dict[str, str], tuple[str, ...], Point]] = []
        self.skipped: Counter[str] = Counter()
        self.newest: dt.datetime | None = None
        self.progress = progress
        self.expected = max(expected_objects, 1.0)
        # network vertices, flat: id, lon, lat, and whether it joins the previous vertex
        # (typed arrays: 8 bytes a value, not a Python object each)
        self.v_id = array("q")
        self.v_lon = array("d")
        self.v_lat = array("d")
        self.v_join = array("b")
        # the same for the cycling network, plus each vertex's way stress flag
        self.c_id = array("q")
        self.c_lon = array("d")
        self.c_lat = array("d")
        self.c_join = array("b")
        self.c_stress = array("b")
        self.negative: dict[int, tuple[float, float]] = {}

    def _seen(self, obj: Any) -> None:
        self.count()
        stamp = obj.timestamp
        if stamp > _EPOCH and (self.newest is None or stamp > self.newest):
            self.newest = stamp
        if self.progress is not None and self.objects % _PROGRESS_EVERY == 0:
            self.progress("reading", min(0.95, self.objects / self.expected))

    def node(self, node: Any) -> None:
        self._seen(node)
        if node.id < 0:  # not yet uploaded (JOSM); osmium's location table holds ids >= 0
            loc = node.location
            if loc.valid():
                self.negative[int(node.id)] = (loc.lon, loc.lat)
        if not len(node.tags):
            return
        tags = self.tags(node, "node")
        categories = self.categories(tags)
        if not categories:
            return
        loc = node.location
        if not loc.valid():
            self.skipped["asset_nodes_bad_location"] += 1
            return
        self.assets.append(("node", int(node.id), tags, categories, Point(loc.lon, loc.lat)))

    def way(self, way: Any) -> None:
        self._seen(way)
        tags = self.tags(way, "way") if len(way.tags) else {}
        walk = is_walkable(tags)
        cycle = is_cyclable(tags)
        categories = self.categories(tags) if tags else ()
        member = way.id in self.member_ways
        if not (walk or cycle or categories or member):
            return
        size = len(way.nodes)
        self.check_size("way", way.id, size, self.limits.max_way_nodes, "node references")
        coords: list[tuple[float, float]] = []
        refs: list[int] = []
        present: list[bool] = []
        for node_ref in way.nodes:
            loc = node_ref.location
            if loc.valid():
                coords.append((loc.lon, loc.lat))
            elif node_ref.ref < 0 and node_ref.ref in self.negative:
                coords.append(self.negative[node_ref.ref])
            else:
                present.append(False)
                continue
            present.append(True)
            refs.append(int(node_ref.ref))
        complete = all(present)
        if walk:
            self._add_street(refs, coords, present, complete)
        if cycle:
            joins = _joins(present)
            self._keep(len(refs))
            self.c_id.extend(refs)
            self.c_lon.extend(c[0] for c in coords)
            self.c_lat.extend(c[1] for c in coords)
            self.c_join.extend(joins)
            self.c_stress.extend([is_high_stress(tags)] * len(refs))
        if member:
            self._keep(len(coords) if complete else 0)
            self.member_coords[int(way.id)] = coords if complete else None
        if categories:
            if not complete or len(coords) < 2:
                self.skipped["asset_ways_missing_nodes"] += 1
                return
            closed = len(coords) >= 4 and way.nodes[0].ref == way.nodes[len(way.nodes) - 1].ref
            shape: BaseGeometry = Polygon(coords) if closed else LineString(coords)
            if closed and not shape.is_valid:
                shape = shapely.make_valid(shape)
            self.assets.append(("way", int(way.id), tags, categories, shape.representative_point()))

    def _keep(self, count: int) -> None:
        """Count node references about to be kept; refuse past the file-size budget."""
        self.kept_refs += count
        if self.kept_refs > self.max_refs:
            size = self.path.stat().st_size
            msg = (
                f"{self.path} expands to more than {self.max_refs:,} node references kept "
                f"from {size:,} bytes (OsmLimits.node_refs_per_byte, min_node_refs): "
                "not a plausible OSM file."
            )
            raise IngestError(msg)

    def _add_street(
        self,
        refs: list[int],
        coords: list[tuple[float, float]],
        present: list[bool],
        complete: bool,
    ) -> None:
        if not complete:
            self.skipped["network_ways_cut_at_missing_nodes"] += 1
        joins = _joins(present)
        if not any(joins):
            self.skipped["network_ways_without_segments"] += 1
        self._keep(len(refs))
        self.v_id.extend(refs)
        self.v_lon.extend(c[0] for c in coords)
        self.v_lat.extend(c[1] for c in coords)
        self.v_join.extend(joins)

    def relation(self, rel: Any) -> None:
        self._seen(rel)

    def cycle_network(self) -> CycleNetwork:
        """Return the cycling network and each edge's stress flag (a busy road's, if any way is)."""
        if not self.c_id:
            return CycleNetwork(_empty_network(), np.zeros(0, dtype=bool))
        ids = np.asarray(self.c_id, dtype=np.int64)
        join = np.asarray(self.c_join, dtype=bool)
        stress = np.asarray(self.c_stress, dtype=bool)
        seg_u, seg_v, seg_stress = ids[:-1][join[1:]], ids[1:][join[1:]], stress[1:][join[1:]]
        network = _build_network(
            ids,
            np.asarray(self.c_lon, dtype=np.float64),
            np.asarray(self.c_lat, dtype=np.float64),
            seg_u,
            seg_v,
            None,
            Counter(),
        )
        # An edge is high-stress when any way drawing it is.
        stressed = set(
            zip(
                np.minimum(seg_u, seg_v)[seg_stress].tolist(),
                np.maximum(seg_u, seg_v)[seg_stress].tolist(),
                strict=True,
            )
        )
        a, b = network.node_ids[network.edge_u], network.node_ids[network.edge_v]
        pairs = zip(np.minimum(a, b).tolist(), np.maximum(a, b).tolist(), strict=True)
        flags = np.fromiter((pair in stressed for pair in pairs), dtype=bool, count=network.n_edges)
        return CycleNetwork(network, flags)

    def network(self) -> WalkNetwork:
        if not self.v_id:
            return _empty_network()
        ids = np.asarray(self.v_id, dtype=np.int64)
        join = np.asarray(self.v_join, dtype=bool)
        seg_u, seg_v = ids[:-1][join[1:]], ids[1:][join[1:]]
        return _build_network(
            ids,
            np.asarray(self.v_lon, dtype=np.float64),
            np.asarray(self.v_lat, dtype=np.float64),
            seg_u,
            seg_v,
            None,
            self.skipped,
        )


def _multipolygon_point(
    members: list[tuple[int, str]],
    coords: Mapping[int, list[tuple[float, float]] | None],
) -> Point | None:
    """Return a point inside a multipolygon built from its member ways; None if broken."""
    outer: list[LineString] = []
    inner: list[LineString] = []
    for ref, role in members:
        line = coords.get(ref)
        if line is None or len(line) < 2:
            continue
        (inner if role == "inner" else outer).append(LineString(line))
    outer_area = shapely.unary_union(list(shapely.polygonize(outer).geoms))
    if outer_area.is_empty:
        return None
    holes = shapely.unary_union(list(shapely.polygonize(inner).geoms)) if inner else None
    area = outer_area.difference(holes) if holes is not None and not holes.is_empty else outer_area
    if area.is_empty:
        area = outer_area
    point = area.representative_point()
    return point if isinstance(point, Point) and not point.is_empty else None


def _check_file(path: Path, limits: OsmLimits) -> str:
    if _format_key(path) is None:
        msg = (
            f"{path} is not an OpenStreetMap file: expected a name ending in "
            f"{', '.join(OSM_SUFFIXES)}."
        )
        raise IngestError(msg)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        msg = f"{path} does not exist."
        raise IngestError(msg) from None
    except OSError as exc:
        msg = f"Cannot read {path}: {exc.strerror or exc}."
        raise IngestError(msg) from exc
    if not path.is_file():
        msg = f"{path} is not a file."
        raise IngestError(msg)
    if not os.access(path, os.R_OK):
        msg = f"Cannot read {path}: permission denied."
        raise IngestError(msg)
    if size == 0:
        msg = f"{path} is empty."
        raise IngestError(msg)
    if size > limits.max_file_bytes:
        msg = (
            f"{path} is {size:,} bytes; the limit is {limits.max_file_bytes:,}. "
            "Cut a smaller extract or raise the limit."
        )
        raise IngestError(msg)
    key = _format_key(path)
    assert key is not None
    return key


_PBF_MAX_HEADER: Final = 64 * 1024  # the PBF spec's limits on a block header and a blob
_PBF_MAX_BLOB: Final = 32 * 1024 * 1024


def _varint(fh: BinaryIO) -> int:
    shift = result = 0
    while shift < 64:
        byte = fh.read(1)
        if not byte:
            raise EOFError
        result |= (byte[0] & 0x7F) << shift
        if not byte[0] & 0x80:
            return result
        shift += 7
    raise ValueError


def _pb_fields(fh: BinaryIO, end: int) -> Iterator[tuple[int, int, int]]:
    """Yield (field, wire type, value or length) up to ``end``; skips length-delimited data."""
    while fh.tell() < end:
        key = _varint(fh)
        field_number, wire = key >> 3, key & 7
        if wire == 0:
            yield field_number, wire, _varint(fh)
        elif wire == 2:
            length = _varint(fh)
            yield field_number, wire, length
            fh.seek(length, 1)
        else:
            raise ValueError


def pbf_unpacked_bytes(path: Path) -> int:
    """Return how many bytes a ``.osm.pbf`` file's blocks unpack to, from their headers only.

    Reads each block's header and the ``raw_size`` its blob declares (osmium
    refuses a blob that unpacks to any other size), skipping the data. Where
    the file stops being a sequence of PBF blocks (truncated, damaged, another
    format) the count stops too: osmium refuses such a file when it gets
    there, with its own message naming what is wrong.
    """
    total = 0
    try:
        with path.open("rb") as fh:
            size = path.stat().st_size
            while head := fh.read(4):
                header_len = int.from_bytes(head.rjust(4, b"\0"), "big")
                if len(head) < 4 or header_len > _PBF_MAX_HEADER:
                    raise ValueError
                data_size = 0
                for number, wire, value in _pb_fields(fh, fh.tell() + header_len):
                    if number == 3 and wire == 0:
                        data_size = value
                if data_size > _PBF_MAX_BLOB or fh.tell() + data_size > size:
                    raise ValueError
                for number, _wire, value in _pb_fields(fh, fh.tell() + data_size):
                    if number in (1, 2):  # raw data (its length), or raw_size of packed data
                        total += value
    except (EOFError, ValueError, OSError):
        logger.debug("%s: block headers end early; osmium will say why", path)
    return total


def _check_pbf_expansion(path: Path, limits: OsmLimits) -> None:
    size = path.stat().st_size
    allowed = max(limits.min_pbf_raw_bytes, limits.max_pbf_expansion * size)
    unpacked = pbf_unpacked_bytes(path)
    if unpacked > allowed:
        msg = (
            f"{path} unpacks to {unpacked:,} bytes from {size:,}; the limit is {allowed:,} "
            "(OsmLimits.max_pbf_expansion, min_pbf_raw_bytes): not a plausible OSM file."
        )
        raise IngestError(msg)


def _run(path: Path, *handlers: Any, types: Any = None) -> None:
    """Apply handlers to the file, turning osmium's errors into one IngestError line."""
    try:
        if types is None:
            osmium.apply(str(path), *handlers)
        else:
            with osmium.io.Reader(str(path), types) as reader:
                osmium.apply(reader, *handlers)
    except IngestError:
        raise
    except (RuntimeError, ValueError, OSError, osmium.InvalidLocationError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        msg = (
            f"{path} is not valid OpenStreetMap data "
            f"(truncated, corrupt or another format): {detail}"
        )
        raise IngestError(msg) from exc


def read_osm_file(
    path: str | os.PathLike[str],
    *,
    taxonomy: Taxonomy | None = None,
    limits: OsmLimits | None = None,
    progress: ProgressCallback | None = None,
) -> OsmExtract:
    """Read community assets and the walking network from a local OSM extract.

    Parameters
    ----------
    path
        An ``.osm.pbf``, ``.osm`` (XML), ``.osm.bz2`` or ``.osm.gz`` file.
    taxonomy
        Categories and their OSM tags; the project's taxonomy by default.
    limits
        Size limits (:class:`OsmLimits` defaults when omitted).
    progress
        Called as ``progress(stage, fraction)`` while reading (``"reading"``,
        an estimate from the file size), then ``"network"`` and ``"assets"``;
        each stage ends at 1.0.

    Returns
    -------
    OsmExtract
        Assets, network, what was skipped, bounding box, newest timestamp.

    Raises
    ------
    IngestError
        One line naming the file when it is missing, empty, not OSM data,
        truncated or corrupt, or over a limit.
    NoAssetsError
        When the file holds neither assets nor walkable streets.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.osm"
    >>> _ = path.write_text(
    ...     '<osm version="0.6"><node id="1" lat="52.67" lon="-0.72" version="1">'
    ...     '<tag k="amenity" v="library"/><tag k="name" v="Oakham Library"/></node>'
    ...     '<node id="2" lat="52.68" lon="-0.72" version="1"/>'
    ...     '<way id="3" version="1"><nd ref="1"/><nd ref="2"/><nd ref="4"/>'
    ...     '<tag k="highway" v="footway"/></way></osm>'
    ... )
    >>> extract = read_osm_file(path)
    >>> extract.assets[["name", "categories", "source_id"]].to_dict("records")
    [{'name': 'Oakham Library', 'categories': ('library',), 'source_id': 'node/1'}]
    >>> extract.network.n_edges, dict(extract.skipped)
    (1, {'network_ways_cut_at_missing_nodes': 1})
    """
    source = Path(path)
    limits = limits or OsmLimits()
    tax = taxonomy or load_taxonomy()
    key = _check_file(source, limits)
    size = source.stat().st_size
    if key == "pbf":
        _check_pbf_expansion(source, limits)

    first = _RelationPass(source, tax, limits)
    _run(source, osmium.filter.EntityFilter(osmium.osm.RELATION), first, types=osmium.osm.RELATION)

    locations = osmium.index.create_map("flex_mem")
    with_locations = osmium.NodeLocationsForWays(locations)
    with_locations.ignore_errors()
    main = _MainPass(
        source,
        tax,
        limits,
        member_ways=first.member_ways,
        progress=progress,
        expected_objects=size / _BYTES_PER_OBJECT[key],
        file_bytes=size,
    )
    _run(source, with_locations, main)
    del locations
    if progress is not None:
        progress("reading", 1.0)

    network = main.network()
    cycle = main.cycle_network()
    if progress is not None:
        progress("network", 1.0)
    skipped: Counter[str] = first.skipped + main.skipped
    features = list(main.assets)
    for rel_id, tags, categories, members in first.candidates:
        if any(main.member_coords.get(ref) is None for ref, _ in members) or not members:
            skipped["asset_relations_missing_members"] += 1
            continue
        point = _multipolygon_point(members, main.member_coords)
        if point is None:
            skipped["asset_relations_bad_geometry"] += 1
            continue
        features.append(("relation", rel_id, tags, categories, point))

    records = []
    for done, (element, osm_id, tags, categories, point) in enumerate(features, start=1):
        record = _asset_record(
            element, osm_id, tags, point, categories=categories, taxonomy=tax, skipped=skipped
        )
        if record is not None:
            records.append(record)
        if progress is not None and done % 1_000 == 0:
            progress("assets", done / len(features))
    assets = _assets_frame(records, taxonomy=tax, where=str(source))
    if progress is not None:
        progress("assets", 1.0)

    if not len(assets) and not network.n_edges:
        msg = f"{source} holds no community assets and no walkable streets."
        raise NoAssetsError(msg)
    logger.info(
        "Read %d assets and a network of %d nodes / %d edges from %s",
        len(assets),
        network.n_nodes,
        network.n_edges,
        source.name,
    )
    return OsmExtract(
        assets=assets,
        network=network,
        skipped=dict(sorted((k, v) for k, v in skipped.items() if v)),
        bbox=_bbox(network, assets),
        newest_timestamp=main.newest,
        cycle=cycle,
    )


# --------------------------------------------------------------------------
# The live path: osmnx frames and graphs
# --------------------------------------------------------------------------


def _tags_of_row(row: Mapping[str, Any]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for key, value in row.items():
        if key == "geometry" or value is None:
            continue
        if isinstance(value, float) and math.isnan(value):
            continue
        if isinstance(value, str | int | float | np.integer | np.floating) and not isinstance(
            value, bool
        ):
            tags[str(key)] = str(value)
    return tags


def _features_assets(
    features: gpd.GeoDataFrame, taxonomy: Taxonomy, skipped: Counter[str]
) -> gpd.GeoDataFrame:
    if not isinstance(features, gpd.GeoDataFrame):
        msg = f"`features` must be a GeoDataFrame from osmnx, got {type(features).__name__}."
        raise IngestError(msg)
    if features.empty:
        return empty_assets()
    if features.index.nlevels != 2:
        msg = "`features` must have osmnx's (element, id) index."
        raise IngestError(msg)
    if features.crs is None or features.crs != gpd.GeoSeries([], crs=STORAGE_CRS).crs:
        msg = f"`features` must be in {STORAGE_CRS} (as osmnx returns them)."
        raise IngestError(msg)
    records = []
    columns = [c for c in features.columns if c != features.geometry.name]
    for (element, osm_id), geom, values in zip(
        features.index,
        features.geometry,
        features[columns].itertuples(index=False, name=None),
        strict=True,
    ):
        tags = _tags_of_row(dict(zip(columns, values, strict=True)))
        categories = taxonomy.categories_for_tags(tags)
        if not categories:
            continue
        if geom is None or geom.is_empty:
            skipped["features_without_geometry"] += 1
            continue
        point = geom if isinstance(geom, Point) else geom.representative_point()
        record = _asset_record(
            str(element),
            int(osm_id),
            tags,
            point,
            categories=categories,
            taxonomy=taxonomy,
            skipped=skipped,
        )
        if record is not None:
            records.append(record)
    return _assets_frame(records, taxonomy=taxonomy, where="OpenStreetMap features")


def assets_from_osm_features(
    features: gpd.GeoDataFrame, *, taxonomy: Taxonomy | None = None
) -> gpd.GeoDataFrame:
    """Turn an osmnx features frame into a validated asset table.

    Parameters
    ----------
    features
        As returned by ``osmnx.features_from_*``: tags as columns, geometry,
        index ``(element, id)``, in ``EPSG:4326``.
    taxonomy
        Categories and their OSM tags; the project's taxonomy by default.

    Returns
    -------
    geopandas.GeoDataFrame
        Validated assets (same rules as :func:`read_osm_file`); features that
        match no category, or unnamed ones whose categories are not useful
        unnamed, are left out.

    Raises
    ------
    IngestError
        If ``features`` is not an osmnx features frame in ``EPSG:4326``.
    """
    return _features_assets(features, taxonomy or load_taxonomy(), Counter())


def network_from_graph(graph: nx.MultiDiGraph) -> WalkNetwork:
    """Turn an osmnx graph (``simplify=False``) into an undirected :class:`WalkNetwork`.

    Edges without a ``highway`` attribute (``graph_from_xml`` builds every
    way, buildings included) or whose attributes fail :func:`is_walkable` are
    left out; the edge's ``length`` is used when present, else the great-circle
    distance between its ends. Both directions of a street become one edge.

    Parameters
    ----------
    graph
        An osmnx ``MultiDiGraph`` with ``x``/``y`` node attributes in ``EPSG:4326``.

    Returns
    -------
    WalkNetwork
        Nodes on at least one kept edge.

    Raises
    ------
    IngestError
        If the graph is projected or a node lacks coordinates.
    """
    crs = graph.graph.get("crs")
    if crs is not None and gpd.GeoSeries([], crs=crs).crs != gpd.GeoSeries([], crs=STORAGE_CRS).crs:
        msg = f"The graph is in {crs}; pass the unprojected osmnx graph ({STORAGE_CRS})."
        raise IngestError(msg)
    ids: list[int] = []
    lon: list[float] = []
    lat: list[float] = []
    for node, data in graph.nodes(data=True):
        try:
            lon.append(float(data["x"]))
            lat.append(float(data["y"]))
        except (KeyError, TypeError, ValueError):
            msg = f"Graph node {node} has no x/y coordinates."
            raise IngestError(msg) from None
        ids.append(int(node))
    seg_u: list[int] = []
    seg_v: list[int] = []
    seg_len: list[float] = []
    for u, v, data in graph.edges(data=True):
        tags = {}
        for key in _WALK_KEYS:
            value = data.get(key)
            if isinstance(value, list):
                value = ";".join(str(item) for item in value)
            if value is not None and not (isinstance(value, float) and math.isnan(value)):
                tags[key] = str(value)
        if not is_walkable(tags):
            continue
        seg_u.append(int(u))
        seg_v.append(int(v))
        length = data.get("length")
        seg_len.append(float(length) if isinstance(length, int | float) else math.nan)
    if not seg_u:
        return _empty_network()
    node_ids = np.asarray(ids, dtype=np.int64)
    node_lon = np.asarray(lon, dtype=np.float64)
    node_lat = np.asarray(lat, dtype=np.float64)
    u_arr = np.asarray(seg_u, dtype=np.int64)
    v_arr = np.asarray(seg_v, dtype=np.int64)
    lengths = np.asarray(seg_len, dtype=np.float64)
    missing = ~np.isfinite(lengths)
    if missing.any():
        order = np.argsort(node_ids)
        iu = order[np.searchsorted(node_ids, u_arr[missing], sorter=order)]
        iv = order[np.searchsorted(node_ids, v_arr[missing], sorter=order)]
        lengths[missing] = haversine_m(node_lon[iu], node_lat[iu], node_lon[iv], node_lat[iv])
    return _build_network(node_ids, node_lon, node_lat, u_arr, v_arr, lengths, Counter())


def osm_query_tags(taxonomy: Taxonomy | None = None) -> dict[str, bool | str | list[str]]:
    """Return the osmnx ``tags`` query that fetches every taxonomy category.

    Each rule contributes one key/value (``True`` for ``"*"``): its first
    namespaced key if it has one (``garden:type=community`` is rarer than
    ``leisure=garden``), else its first key. The whole rule is checked
    afterwards by the taxonomy.

    Examples
    --------
    >>> tags = osm_query_tags()
    >>> "library" in tags["amenity"], tags["garden:type"]
    (True, ['community'])
    """
    tax = taxonomy or load_taxonomy()
    any_value: set[str] = set()
    values: dict[str, set[str]] = {}
    for category in tax.categories.values():
        for rule in category.osm:
            key, value = next((pair for pair in rule if ":" in pair[0]), rule[0])
            if value == "*":
                any_value.add(key)
            else:
                values.setdefault(key, set()).add(value)
    query: dict[str, bool | str | list[str]] = {}
    for key in sorted(any_value | set(values)):
        query[key] = True if key in any_value else sorted(values[key])
    return query


def _extract_from_osmnx(
    features: gpd.GeoDataFrame, graph: nx.MultiDiGraph | None, taxonomy: Taxonomy, where: str
) -> OsmExtract:
    skipped: Counter[str] = Counter()
    assets = _features_assets(features, taxonomy, skipped)
    network = network_from_graph(graph) if graph is not None else _empty_network()
    if not len(assets) and not network.n_edges:
        msg = f"OpenStreetMap returned no community assets and no walkable streets for {where}."
        raise NoAssetsError(msg)
    return OsmExtract(
        assets=assets,
        network=network,
        skipped=dict(sorted((k, v) for k, v in skipped.items() if v)),
        bbox=_bbox(network, assets),
        newest_timestamp=None,
    )


def _fetch(
    where: str,
    get_features: Callable[[], gpd.GeoDataFrame],
    get_graph: Callable[[], nx.MultiDiGraph],
    taxonomy: Taxonomy,
) -> OsmExtract:
    import osmnx as ox
    import requests

    empty = (ox._errors.InsufficientResponseError,)
    failed = (
        ox._errors.ResponseStatusCodeError,
        requests.RequestException,
        ValueError,
        TypeError,  # osmnx: the place geocodes to a point, not a polygon
    )
    try:
        try:
            features = get_features()
        except empty:
            features = gpd.GeoDataFrame(geometry=[], crs=STORAGE_CRS)
        try:
            graph: nx.MultiDiGraph | None = get_graph()
        except empty:
            graph = None
    except failed as exc:
        msg = f"Could not fetch OpenStreetMap data for {where}: {exc}"
        raise IngestError(msg) from exc
    return _extract_from_osmnx(features, graph, taxonomy, where)


def fetch_osm_place(place: str, *, taxonomy: Taxonomy | None = None) -> OsmExtract:
    """Fetch assets and the walking network for a named place from Overpass (osmnx).

    Needs the internet. osmnx's process-wide ``settings`` (cache, Overpass
    endpoint) are used as the application set them at start-up.

    Parameters
    ----------
    place
        A place name Nominatim resolves to a polygon, e.g. ``"Oakham, Rutland, England"``.
    taxonomy
        Categories and their OSM tags; the project's taxonomy by default.

    Returns
    -------
    OsmExtract
        ``newest_timestamp`` is None (Overpass results through osmnx carry none).

    Raises
    ------
    IngestError
        If the place is unknown or Overpass cannot be reached.
    NoAssetsError
        If the area holds neither assets nor walkable streets.
    """
    import osmnx as ox

    tax = taxonomy or load_taxonomy()
    tags = osm_query_tags(tax)
    return _fetch(
        repr(place),
        lambda: ox.features_from_place(place, tags=tags),
        lambda: ox.graph_from_place(place, network_type="walk", simplify=False, retain_all=True),
        tax,
    )


def fetch_osm_polygon(
    polygon: Polygon | MultiPolygon, *, taxonomy: Taxonomy | None = None
) -> OsmExtract:
    """Fetch assets and the walking network inside a lon/lat polygon from Overpass (osmnx).

    Parameters
    ----------
    polygon
        A shapely (Multi)Polygon in ``EPSG:4326``.
    taxonomy
        Categories and their OSM tags; the project's taxonomy by default.

    Returns
    -------
    OsmExtract
        As :func:`fetch_osm_place`.

    Raises
    ------
    IngestError
        If the polygon is not a valid lon/lat polygon or Overpass cannot be reached.
    NoAssetsError
        If the area holds neither assets nor walkable streets.
    """
    import osmnx as ox

    if polygon.geom_type not in {"Polygon", "MultiPolygon"} or polygon.is_empty:
        msg = f"Expected a non-empty Polygon or MultiPolygon, got {polygon.geom_type}."
        raise IngestError(msg)
    min_lon, min_lat, max_lon, max_lat = polygon.bounds
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        msg = f"The polygon's bounds {polygon.bounds} are not longitude/latitude."
        raise IngestError(msg)
    tax = taxonomy or load_taxonomy()
    tags = osm_query_tags(tax)
    return _fetch(
        "the given polygon",
        lambda: ox.features_from_polygon(polygon, tags=tags),
        lambda: ox.graph_from_polygon(
            polygon, network_type="walk", simplify=False, retain_all=True
        ),
        tax,
    )
