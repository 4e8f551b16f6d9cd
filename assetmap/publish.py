"""What a public consumer of the register may see, as Open Referral UK records.

:func:`public_register` is the one place that decides it: verified assets
only (never proposals, unverified, rejected or archived ones), and none of
the bookkeeping about who changed what. :class:`OrukFeed` turns that register
into the Open Referral UK API's answers (paged, filtered lists and full
records), so the HTTP layer (:mod:`assetmap.api`) only routes.

Examples
--------
>>> from assetmap.store import Store
>>> store = Store("sqlite://")
>>> asset_id = store.add_asset({"name": "Oakham Library", "lon": -0.7271, "lat": 52.6703,
...     "categories": ["library"], "status": "verified"}, actor="demo", reason="example")
>>> _ = store.add_asset({"name": "Proposed cafe", "lon": -0.72, "lat": 52.67,
...     "status": "proposed"}, actor="demo", reason="example")
>>> feed = OrukFeed.from_assets(public_register(store))
>>> page = feed.services(ServiceQuery(text="library"))
>>> page["total_items"], page["contents"][0]["name"]
(1, 'Oakham Library')
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import geopandas as gpd
import numpy as np

from assetmap.errors import AssetMapError, SchemaError
from assetmap.geo import haversine_m
from assetmap.ingest.postcodes import PostcodeIndex, is_postcode, postcodes_from_assets
from assetmap.output.export_hsds import hsds_export
from assetmap.store import Store
from assetmap.taxonomy import Taxonomy

__all__ = [
    "LIST_FIELDS",
    "MAX_PER_PAGE",
    "OrukFeed",
    "ServiceQuery",
    "public_register",
]

#: The one-to-one fields of a service that ``/services`` lists (``compiled/service_list.json``).
LIST_FIELDS: Final = (
    "id",
    "organization_id",
    "name",
    "description",
    "url",
    "email",
    "status",
    "fees",
    "accreditations",
    "minimum_age",
    "maximum_age",
    "assured_date",
    "assurer_email",
    "alert",
    "last_modified",
    "organization",
)
_ORG_LIST_FIELDS: Final = (
    "id",
    "name",
    "description",
    "email",
    "website",
    "logo",
    "uri",
    "parent_organization_id",
)
MAX_PER_PAGE: Final = 500
_DEFAULT_PER_PAGE: Final = 50
_DEFAULT_PROXIMITY_M: Final = 5_000.0
_DAYS: Final = {
    **{d: d for d in ("MO", "TU", "WE", "TH", "FR", "SA", "SU")},
    **{
        name: code
        for code, names in {
            "MO": ("monday", "mon"),
            "TU": ("tuesday", "tue"),
            "WE": ("wednesday", "wed"),
            "TH": ("thursday", "thu"),
            "FR": ("friday", "fri"),
            "SA": ("saturday", "sat"),
            "SU": ("sunday", "sun"),
        }.items()
        for name in names
    },
}
_WORD = re.compile(r"\w+")


class QueryError(AssetMapError, ValueError):
    """A query parameter the API cannot use (the HTTP layer answers 400)."""


def public_register(store: Store) -> gpd.GeoDataFrame:
    """Return the assets a public consumer may see: verified ones only.

    Proposals, unverified, rejected and archived assets are left out, and so
    is who proposed or changed an asset (``session_id``); nothing about people
    on probation is ever in the asset table.

    Parameters
    ----------
    store
        The register.

    Returns
    -------
    geopandas.GeoDataFrame
        The verified assets.
    """
    assets = store.assets()
    public = assets[assets["status"] == "verified"].copy()
    public["session_id"] = None
    return public.reset_index(drop=True)


@dataclass(frozen=True, slots=True)
class ServiceQuery:
    """The filters of ``/services`` (names as the Open Referral UK API spells them).

    Parameters
    ----------
    text
        Words that must all appear in the service's name, description,
        organisation or taxonomy terms (``search`` in the API).
    taxonomy_term_id, taxonomy_id
        Only services with this term, or any term of this taxonomy.
    postcode, proximity_m
        Only services within ``proximity_m`` metres (5 km by default) of the
        postcode's centre, nearest first.
    modified_after
        Only services changed at or after this time.
    minimum_age, maximum_age
        Only services whose minimum age is at least / maximum age at most this.
    day
        Only services open on this day (``MO`` or ``Monday``).
    page, per_page
        1-based page and page size (at most :data:`MAX_PER_PAGE`).
    """

    text: str | None = None
    taxonomy_term_id: str | None = None
    taxonomy_id: str | None = None
    postcode: str | None = None
    proximity_m: float | None = None
    modified_after: dt.datetime | None = None
    minimum_age: float | None = None
    maximum_age: float | None = None
    day: str | None = None
    page: int = 1
    per_page: int = _DEFAULT_PER_PAGE

    def __post_init__(self) -> None:
        if self.page < 1:
            msg = f"`page` must be 1 or more, got {self.page}."
            raise QueryError(msg)
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            msg = f"`per_page` must be from 1 to {MAX_PER_PAGE}, got {self.per_page}."
            raise QueryError(msg)
        if self.proximity_m is not None and not self.proximity_m > 0:
            msg = f"`proximity` must be a positive number of metres, got {self.proximity_m}."
            raise QueryError(msg)
        if self.postcode is not None and not is_postcode(self.postcode):
            msg = f"`postcode` {self.postcode!r} is not a UK postcode."
            raise QueryError(msg)
        if self.day is not None and self.day.strip().lower() not in _DAYS | {
            k.lower(): v for k, v in _DAYS.items()
        }:
            msg = f"`day` must be a weekday (MO or Monday), got {self.day!r}."
            raise QueryError(msg)


@dataclass(frozen=True)
class _Indexed:
    record: dict[str, Any]
    words: frozenset[str]
    term_ids: frozenset[str]
    taxonomy_ids: frozenset[str]
    points: tuple[tuple[float, float], ...]
    modified: dt.datetime | None
    days: frozenset[str]


def _words(*texts: Any) -> frozenset[str]:
    return frozenset(w for t in texts if isinstance(t, str) for w in _WORD.findall(t.casefold()))


def _when(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _index(service: dict[str, Any]) -> _Indexed:
    terms = [
        a["taxonomy_term"]
        for a in service.get("attributes") or []
        if isinstance(a, Mapping) and isinstance(a.get("taxonomy_term"), Mapping)
    ]
    org = service.get("organization") or {}
    points = tuple(
        (float(loc["longitude"]), float(loc["latitude"]))
        for sal in service.get("service_at_locations") or []
        if isinstance(loc := sal.get("location"), Mapping)
        and loc.get("longitude") is not None
        and loc.get("latitude") is not None
    )
    schedules = list(service.get("schedules") or []) + [
        s for sal in service.get("service_at_locations") or [] for s in sal.get("schedules") or []
    ]
    days = frozenset(
        d.strip().upper()
        for s in schedules
        if isinstance(s.get("byday"), str)
        for d in s["byday"].split(",")
        if d.strip()
    )
    return _Indexed(
        record=service,
        words=_words(
            service.get("name"),
            service.get("description"),
            org.get("name"),
            *(t.get("name") for t in terms),
        ),
        term_ids=frozenset(str(t["id"]) for t in terms if t.get("id")),
        taxonomy_ids=frozenset(str(t["taxonomy_id"]) for t in terms if t.get("taxonomy_id")),
        points=points,
        modified=_when(service.get("last_modified")),
        days=days,
    )


def _page(items: Sequence[Any], page: int, per_page: int) -> dict[str, Any]:
    total = len(items)
    pages = max(1, math.ceil(total / per_page))
    chunk = list(items[(page - 1) * per_page : page * per_page])
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": page,
        "size": len(chunk),
        "first_page": page == 1,
        "last_page": page >= pages,
        "empty": not chunk,
        "contents": chunk,
    }


def _list_item(service: Mapping[str, Any]) -> dict[str, Any]:
    item = {k: service[k] for k in LIST_FIELDS if k in service and k != "organization"}
    org = service.get("organization")
    if isinstance(org, Mapping):
        item["organization"] = {k: org[k] for k in _ORG_LIST_FIELDS if k in org}
    return item


@dataclass(frozen=True)
class OrukFeed:
    """The public register as Open Referral UK records, indexed for the API's queries.

    Build it with :meth:`from_assets` (from :func:`public_register`); it is
    read-only and safe to share between threads.
    """

    tables: Mapping[str, list[dict[str, Any]]]
    postcodes: PostcodeIndex | None = None
    _services: tuple[_Indexed, ...] = field(default=(), repr=False)
    _by_id: Mapping[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_assets(
        cls,
        assets: gpd.GeoDataFrame,
        *,
        taxonomy: Taxonomy | None = None,
        country: str = "GB",
        postcodes: PostcodeIndex | None = None,
    ) -> OrukFeed:
        """Index ``assets`` (already filtered by :func:`public_register`).

        Parameters
        ----------
        assets
            The public register.
        taxonomy
            See :func:`assetmap.output.export_hsds.hsds_export`.
        country
            Country code of addresses assetmap writes.
        postcodes
            Places postcodes for the ``postcode`` filter; the assets' own
            postcodes are used for those it does not know.
        """
        tables = hsds_export(assets, taxonomy=taxonomy, profile="oruk", country=country).tables
        own = postcodes_from_assets(assets) if len(assets) else None
        if postcodes is not None and own is not None:
            from assetmap.ingest.postcodes import merge_postcodes

            index: PostcodeIndex | None = merge_postcodes(postcodes, own)
        else:
            index = postcodes or own
        services = tuple(_index(s) for s in tables["services"])
        return cls(
            tables=tables,
            postcodes=index,
            _services=services,
            _by_id={str(s.record["id"]): s.record for s in services},
        )

    def service(self, service_id: str) -> dict[str, Any] | None:
        """Return the full record of one service, or None."""
        return self._by_id.get(service_id)

    def _centre(self, postcode: str) -> tuple[float, float]:
        if self.postcodes is None:
            msg = f"No postcode table is loaded, so {postcode!r} cannot be placed."
            raise QueryError(msg)
        lon, lat = self.postcodes.lookup([postcode])
        if not np.isfinite(lon[0]):
            msg = f"Postcode {postcode!r} is not known here."
            raise QueryError(msg)
        return float(lon[0]), float(lat[0])

    def services(self, query: ServiceQuery) -> dict[str, Any]:
        """Return one page of services matching ``query`` (list records, no nesting).

        Raises
        ------
        QueryError
            When the postcode cannot be placed.
        """
        words = _words(query.text) if query.text else frozenset()
        day = (
            _DAYS.get(query.day.strip().upper(), _DAYS.get(query.day.strip().lower()))
            if query.day
            else None
        )
        hits: list[tuple[float, int, _Indexed]] = []
        centre = self._centre(query.postcode) if query.postcode else None
        radius = query.proximity_m or _DEFAULT_PROXIMITY_M
        for position, item in enumerate(self._services):
            record = item.record
            if words and not words <= item.words:
                continue
            if query.taxonomy_term_id and query.taxonomy_term_id not in item.term_ids:
                continue
            if query.taxonomy_id and query.taxonomy_id not in item.taxonomy_ids:
                continue
            if query.modified_after and (
                item.modified is None or item.modified < _aware(query.modified_after)
            ):
                continue
            if query.minimum_age is not None and not (
                isinstance(record.get("minimum_age"), int | float)
                and record["minimum_age"] >= query.minimum_age
            ):
                continue
            if query.maximum_age is not None and not (
                isinstance(record.get("maximum_age"), int | float)
                and record["maximum_age"] <= query.maximum_age
            ):
                continue
            if day and day not in item.days:
                continue
            distance = 0.0
            if centre is not None:
                if not item.points:
                    continue
                distance = min(float(haversine_m(*centre, lon, lat)) for lon, lat in item.points)
                if distance > radius:
                    continue
            hits.append((distance, position, item))
        hits.sort(key=lambda h: (h[0], h[1]))
        return _page([_list_item(h[2].record) for h in hits], query.page, query.per_page)

    def taxonomies(self, *, page: int = 1, per_page: int = _DEFAULT_PER_PAGE) -> dict[str, Any]:
        """Return one page of the taxonomies the public register uses."""
        ServiceQuery(page=page, per_page=per_page)  # checks the paging
        return _page(self.tables["taxonomies"], page, per_page)

    def taxonomy_terms(self, *, page: int = 1, per_page: int = _DEFAULT_PER_PAGE) -> dict[str, Any]:
        """Return one page of the taxonomy terms the public register uses."""
        ServiceQuery(page=page, per_page=per_page)
        return _page(self.tables["taxonomy_terms"], page, per_page)

    def find(self, table: str, record_id: str) -> dict[str, Any] | None:
        """Return one record of ``table`` (``taxonomies``, ``taxonomy_terms``) by id."""
        if table not in {"taxonomies", "taxonomy_terms"}:
            msg = f"No table {table!r} in the feed."
            raise SchemaError(msg)
        return next((r for r in self.tables[table] if str(r.get("id")) == record_id), None)


def _aware(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
