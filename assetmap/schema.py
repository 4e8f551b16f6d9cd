"""The asset table: column names, allowed values and :func:`validate_assets`.

Every importer yields, and the store returns, one GeoDataFrame of assets in
``STORAGE_CRS`` (WGS 84 longitude/latitude) with the columns below. Lists
(``categories``, ``flags``) are tuples; unknown values are ``None``. ``extra``
is a JSON object (or ``None``): what an imported record said that assetmap
does not model, kept verbatim so an export can write it back.

The asset is assetmap's unit of the register: what Open Referral HSDS 3.0
calls a *service at a location* (service + location + service_at_location),
with the organisation named and linked. ``docs/data-model.md`` gives the
field-by-field mapping to HSDS.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from typing import Any, Final

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from assetmap.errors import SchemaError
from assetmap.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "ASSET_COLUMNS",
    "CONVICTIONS",
    "COSTS",
    "GENDERS",
    "KINDS",
    "STATUSES",
    "STORAGE_CRS",
    "WHEELCHAIR",
    "empty_assets",
    "normalise_record",
    "records_to_frame",
    "validate_assets",
]

STORAGE_CRS: Final = "EPSG:4326"

KINDS: Final = ("service", "activity", "volunteering", "informal", "organisation")
STATUSES: Final = ("proposed", "verified", "unverified", "archived", "rejected")
COSTS: Final = ("free", "low", "paid")
GENDERS: Final = ("any", "women", "men")
CONVICTIONS: Final = ("welcome", "case_by_case", "not_accepted")
WHEELCHAIR: Final = ("yes", "limited", "no")

# column -> kind of value, in display order. "geometry" is the GeoDataFrame's.
ASSET_COLUMNS: Final[dict[str, str]] = {
    "id": "str",
    "name": "str",
    "kind": "str",
    "status": "str",
    "categories": "tuple",
    "description": "str?",
    "organisation": "str?",
    "address": "str?",
    "postcode": "str?",
    "opening_hours": "str?",
    "phone": "str?",
    "email": "str?",
    "website": "str?",
    "cost": "str?",
    "min_age": "int?",
    "max_age": "int?",
    "gender": "str",
    "convictions": "str?",
    "referral_required": "bool?",
    "wheelchair": "str?",
    "dbs_check": "bool?",
    "last_verified": "date?",
    "source": "str",
    "source_id": "str?",
    "session_id": "str?",
    "flags": "tuple",
    "version": "int",
    "valid_from": "datetime?",
    "extra": "json?",
}

_ALLOWED: Final[dict[str, tuple[str, ...]]] = {
    "kind": KINDS,
    "status": STATUSES,
    "cost": COSTS,
    "gender": GENDERS,
    "convictions": CONVICTIONS,
    "wheelchair": WHEELCHAIR,
}

_DEFAULTS: Final[dict[str, Any]] = {
    "id": None,
    "kind": "service",
    "status": "unverified",
    "categories": (),
    "gender": "any",
    "source": "manual",
    "flags": (),
    "version": 0,
}

MAX_TEXT_CHARS: Final = 10_000
#: Largest ``extra`` (the source's own record, kept verbatim), as JSON text.
MAX_EXTRA_CHARS: Final = 1_000_000


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return value is pd.NA or value is pd.NaT


def _as_text(value: Any, column: str, where: str) -> str | None:
    if _missing(value):
        return None
    text = str(value).strip()
    if "\x00" in text:
        msg = f"{where}: `{column}` contains a NUL character."
        raise SchemaError(msg)
    if len(text) > MAX_TEXT_CHARS:
        msg = (
            f"{where}: `{column}` is {len(text):,} characters long; "
            f"the limit is {MAX_TEXT_CHARS:,}."
        )
        raise SchemaError(msg)
    return text or None


def _as_bool(value: Any, column: str, where: str) -> bool | None:
    if _missing(value):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"", "unknown", "?"}:
        return None
    if text in {"yes", "y", "true", "1", "t"}:
        return True
    if text in {"no", "n", "false", "0", "f"}:
        return False
    msg = f"{where}: `{column}` must be yes/no, got {value!r}."
    raise SchemaError(msg)


def _as_int(value: Any, column: str, where: str) -> int | None:
    if _missing(value) or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if math.isnan(number) or number != int(number) or not 0 <= number <= 150:
        msg = f"{where}: `{column}` must be a whole number of years from 0 to 150, got {value!r}."
        raise SchemaError(msg)
    return int(number)


def _as_tuple(value: Any, column: str, where: str) -> tuple[str, ...]:
    if _missing(value):
        return ()
    if isinstance(value, str):
        items = [v.strip() for v in value.replace(";", ",").split(",")]
    elif isinstance(value, list | tuple | set | frozenset):
        items = [str(v).strip() for v in value]
    else:
        try:
            items = [str(v).strip() for v in list(value)]
        except TypeError:
            msg = f"{where}: `{column}` must be a list of codes, got {value!r}."
            raise SchemaError(msg) from None
    out: list[str] = []
    for item in items:
        if item and item not in out:
            out.append(item)
    return tuple(out)


def _as_date(value: Any, column: str, where: str) -> dt.date | None:
    if _missing(value) or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        msg = f"{where}: `{column}` must be a date like 2024-05-31, got {value!r}."
        raise SchemaError(msg) from None


def _as_datetime(value: Any, column: str, where: str) -> dt.datetime | None:
    if _missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        msg = f"{where}: `{column}` must be an ISO date-time, got {value!r}."
        raise SchemaError(msg) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _as_json(value: Any, column: str, where: str) -> dict[str, Any] | None:
    """Return ``value`` as a JSON object (a dict), or None; text is parsed as JSON."""
    if _missing(value) or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            msg = f"{where}: `{column}` must be a JSON object, got text that is not JSON."
            raise SchemaError(msg) from None
    if not isinstance(value, Mapping):
        msg = f"{where}: `{column}` must be a JSON object, got {type(value).__name__}."
        raise SchemaError(msg)
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        msg = f"{where}: `{column}` is not plain JSON: {exc}."
        raise SchemaError(msg) from None
    if len(text) > MAX_EXTRA_CHARS:
        msg = (
            f"{where}: `{column}` is {len(text):,} characters of JSON; "
            f"the limit is {MAX_EXTRA_CHARS:,}."
        )
        raise SchemaError(msg)
    parsed: dict[str, Any] = json.loads(text)
    return parsed


def normalise_record(
    record: Mapping[str, Any],
    *,
    taxonomy: Taxonomy | None = None,
    where: str = "asset",
) -> dict[str, Any]:
    """Return one asset record with every column present, typed and checked.

    Parameters
    ----------
    record
        Column -> value; may include ``geometry`` (a shapely Point) or ``lon``
        and ``lat``. Unknown keys are dropped.
    taxonomy
        Categories are checked against it; the default taxonomy when omitted.
    where
        How to name this record in error messages ("row 12", "asset abc").

    Returns
    -------
    dict
        Every column of :data:`ASSET_COLUMNS` plus ``geometry``.

    Raises
    ------
    SchemaError
        Naming the record and the field at fault.

    Examples
    --------
    >>> rec = normalise_record({"name": " Oakham Library ", "lon": -0.72, "lat": 52.67,
    ...                         "categories": "library"})
    >>> rec["name"], rec["categories"], rec["geometry"].x
    ('Oakham Library', ('library',), -0.72)
    """
    tax = taxonomy or load_taxonomy()
    out: dict[str, Any] = {}
    for column, kind in ASSET_COLUMNS.items():
        value = record.get(column, _DEFAULTS.get(column))
        if kind.startswith("str"):
            value = _as_text(value, column, where)
        elif kind.startswith("int"):
            value = (
                _as_int(value, column, where)
                if column != "version"
                else int(value if not _missing(value) else 0)
            )
        elif kind == "bool?":
            value = _as_bool(value, column, where)
        elif kind == "tuple":
            value = _as_tuple(value, column, where)
        elif kind == "date?":
            value = _as_date(value, column, where)
        elif kind == "datetime?":
            value = _as_datetime(value, column, where)
        elif kind == "json?":
            value = _as_json(value, column, where)
        if value is None and column in _DEFAULTS and _DEFAULTS[column] is not None:
            value = _DEFAULTS[column]
        out[column] = value
    if not out["name"]:
        msg = f"{where}: `name` is missing."
        raise SchemaError(msg)
    for column, allowed in _ALLOWED.items():
        value = out[column]
        if value is not None:
            value = str(value).lower()
            out[column] = value
            if value not in allowed:
                msg = f"{where}: `{column}` must be one of {', '.join(allowed)}; got {value!r}."
                raise SchemaError(msg)
    unknown = [c for c in out["categories"] if c not in tax.categories]
    if unknown:
        msg = f"{where}: unknown category code(s) {', '.join(map(repr, unknown))}."
        raise SchemaError(msg)
    if (
        out["min_age"] is not None
        and out["max_age"] is not None
        and out["min_age"] > out["max_age"]
    ):
        msg = f"{where}: `min_age` {out['min_age']} is above `max_age` {out['max_age']}."
        raise SchemaError(msg)
    out["geometry"] = _point(record, where)
    return out


def _point(record: Mapping[str, Any], where: str) -> Point:
    geom = record.get("geometry")
    if geom is not None and not _missing(geom):
        if not isinstance(geom, Point):
            geom = geom.representative_point()
        lon, lat = geom.x, geom.y
    else:
        try:
            lon = float(record["lon"])
            lat = float(record["lat"])
        except (KeyError, TypeError, ValueError):
            msg = f"{where}: no location (give `lon` and `lat`, or a geometry)."
            raise SchemaError(msg) from None
    if not (math.isfinite(lon) and math.isfinite(lat)) or not (
        -180 <= lon <= 180 and -90 <= lat <= 90
    ):
        msg = f"{where}: coordinates ({lon}, {lat}) are not a longitude/latitude pair."
        raise SchemaError(msg)
    return Point(lon, lat)


def empty_assets() -> gpd.GeoDataFrame:
    """Return an empty asset table with every column, in ``STORAGE_CRS``."""
    frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in ASSET_COLUMNS})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=STORAGE_CRS), crs=STORAGE_CRS)


def validate_assets(
    assets: gpd.GeoDataFrame | pd.DataFrame,
    *,
    taxonomy: Taxonomy | None = None,
) -> gpd.GeoDataFrame:
    """Check an asset table and return it with every column typed and present.

    Parameters
    ----------
    assets
        A GeoDataFrame in ``STORAGE_CRS``, or a DataFrame with ``lon``/``lat``.
    taxonomy
        Categories are checked against it; the default taxonomy when omitted.

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame; the input is not modified.

    Raises
    ------
    SchemaError
        If the CRS is not ``EPSG:4326`` or a row breaks the schema (the row is named).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"name": ["Oakham Library"], "lon": [-0.72], "lat": [52.67]})
    >>> validate_assets(frame)[["name", "kind", "status"]].to_dict("records")
    [{'name': 'Oakham Library', 'kind': 'service', 'status': 'unverified'}]
    """
    if (
        isinstance(assets, gpd.GeoDataFrame)
        and assets.crs is not None
        and assets.crs != gpd.GeoSeries([], crs=STORAGE_CRS).crs
    ):
        msg = f"CRS must be '{STORAGE_CRS}', got '{assets.crs.to_string()}'; call .to_crs() first."
        raise SchemaError(msg)
    tax = taxonomy or load_taxonomy()
    records = []
    for position, record in enumerate(assets.to_dict("records")):
        label = record.get("id") or f"row {position + 1}"
        records.append(normalise_record(record, taxonomy=tax, where=str(label)))
    if not records:
        return empty_assets()
    return records_to_frame(records)


def records_to_frame(records: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """Return normalised records as an asset table, keeping ``None`` (not NaN) and ints.

    Every column is an object column, so a missing value stays ``None`` and an
    age stays an ``int`` whatever pandas would infer.
    """
    if not records:
        return empty_assets()
    columns = {
        column: pd.Series([r[column] for r in records], dtype=object) for column in ASSET_COLUMNS
    }
    geometry = gpd.GeoSeries([r["geometry"] for r in records], crs=STORAGE_CRS)
    return gpd.GeoDataFrame(pd.DataFrame(columns), geometry=geometry, crs=STORAGE_CRS)
