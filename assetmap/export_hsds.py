"""Export the register as Open Referral HSDS 3.0 JSON.

Layout of an export (a folder, or the same files in a ``.zip``)::

    services.json             list of service records, each nested as the compiled
                              HSDS ``service`` schema allows: organization,
                              service_at_locations[].location (addresses,
                              accessibility), schedules, cost_options, phones,
                              attributes[].taxonomy_term
    organizations.json        list of organization records
    locations.json            list of location records
    service_at_locations.json list of service_at_location records
    taxonomies.json           the vocabularies used (assetmap, openeligibility, ...)
    taxonomy_terms.json       every term used

Nested JSON was chosen over the tabular CSV form because it round-trips every
asset field without joins and is what an HSDA API serves; :func:`read_hsds`
reads a folder or zip holding ``services.json``.

One asset (a service at a location) becomes one service with one
service_at_location. Ids are stable: ``uuid5(HSDS_NAMESPACE, "<asset key>:<role>")``
where the asset key is the asset ``id`` (or ``source:source_id`` for an asset
not yet in the store), so exporting twice gives identical ids and an importer
matching on service_at_location ids sees the same records. Organisations are
keyed by name, taxonomy terms by vocabulary and code.

Category codes go out as ``assetmap`` taxonomy terms (with the taxonomy's mapped
``hsds_terms`` beside them); eligibility, cost, wheelchair access and the other
assetmap fields that HSDS has no exact place for go out as ``assetmap`` terms
``<column>:<value>`` too, next to the nearest HSDS fields (``minimum_age``,
``cost_options``, ``accessibility``...), so a re-import gives the same register.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import os
import tempfile
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import jsonschema
import pandas as pd
import referencing
from referencing.jsonschema import DRAFT202012

from assetmap.errors import AssetMapError, SchemaError
from assetmap.ingest.hsds import (
    ASSETMAP_VOCABULARY,
    CONVICTIONS_TERM,
    OPENING_HOURS_NOTE,
    schedules_from_opening_hours,
)
from assetmap.resources import data_path
from assetmap.schema import validate_assets
from assetmap.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "DEFAULT_SCHEMA_DIR",
    "HSDS_NAMESPACE",
    "HSDS_TABLES",
    "register_to_hsds",
    "validate_hsds",
    "write_hsds",
]

#: Fixed namespace of every id assetmap derives for HSDS records (never change it).
HSDS_NAMESPACE: Final = uuid.UUID("0b9f6f9e-5d0a-5c36-9a8e-3f4b7c1d2e60")
#: Table name -> the HSDS 3.0 schema file its records validate against.
HSDS_TABLES: Final[dict[str, str]] = {
    "services": "service.json",
    "organizations": "organization.json",
    "locations": "location.json",
    "service_at_locations": "service_at_location.json",
    "taxonomies": "taxonomy.json",
    "taxonomy_terms": "taxonomy_term.json",
}
#: The HSDS 3.0 schemas, shipped as package data (``scripts/build_demo_bundle.py`` copies them).
DEFAULT_SCHEMA_DIR: Final = data_path("schemas", "hsds-3.0")

_VOCABULARY_DESCRIPTIONS: Final = {
    ASSETMAP_VOCABULARY: "assetmap categories and eligibility codes (assetmap's taxonomy)",
    "openeligibility": "Open Eligibility taxonomy of human services and situations",
}
_FIELD_LABELS: Final = {
    "kind": "Kind",
    "cost": "Cost",
    "gender": "Open to",
    "convictions": "People with convictions",
    "wheelchair": "Wheelchair access",
    "referral_required": "Referral required",
    "dbs_check": "DBS check needed",
}
_WHEELCHAIR_TEXT: Final = {
    "yes": "Wheelchair accessible",
    "limited": "Limited wheelchair access",
    "no": "Not wheelchair accessible",
}
_COST_OPTION: Final = {"free": "Free", "low": "Low cost", "paid": "Paid"}


def _id(key: str, role: str) -> str:
    return str(uuid.uuid5(HSDS_NAMESPACE, f"{key}:{role}"))


def _present(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return False
    return not (isinstance(value, float) and math.isnan(value))


def _str(value: Any) -> str | None:
    return str(value) if _present(value) and str(value).strip() else None


def _url(value: Any) -> str | None:
    text = _str(value)
    if text is None:
        return None
    return text if "://" in text else f"https://{text}"


def _term(vocabulary: str, code: str, name: str) -> dict[str, Any]:
    return {
        "id": _id(f"{vocabulary}:{code}", "taxonomy_term"),
        "code": code,
        "name": name,
        "description": name,
        "taxonomy": vocabulary,
        "taxonomy_id": _id(vocabulary, "taxonomy"),
        "taxonomy_detail": _taxonomy(vocabulary),
    }


def _taxonomy(vocabulary: str) -> dict[str, Any]:
    return {
        "id": _id(vocabulary, "taxonomy"),
        "name": vocabulary,
        "description": _VOCABULARY_DESCRIPTIONS.get(vocabulary, vocabulary),
    }


def _asset_terms(asset: Mapping[str, Any], tax: Taxonomy) -> list[dict[str, Any]]:
    terms: list[dict[str, Any]] = []
    for code in asset["categories"]:
        category = tax.category(code)
        terms.append(_term(ASSETMAP_VOCABULARY, code, category.label))
        terms.extend(_term(t.vocabulary, t.code, t.name) for t in category.hsds_terms)
    for column, label in _FIELD_LABELS.items():
        value = asset.get(column)
        if not _present(value):
            continue
        text = ("yes" if value else "no") if isinstance(value, bool) else str(value)
        if column == "kind" and text == "service":
            continue
        terms.append(
            _term(ASSETMAP_VOCABULARY, f"{column}:{text}", f"{label}: {text.replace('_', ' ')}")
        )
    if asset.get("convictions") == "welcome":
        terms.append(_term(*CONVICTIONS_TERM))
    unique = {t["id"]: t for t in terms}
    return list(unique.values())


def _schedules(asset: Mapping[str, Any], key: str, sal_id: str) -> list[dict[str, Any]]:
    hours = _str(asset.get("opening_hours"))
    if hours is None:
        return []
    parsed = schedules_from_opening_hours(hours) or [{}]
    out = []
    for i, schedule in enumerate(parsed):
        record: dict[str, Any] = {
            "id": _id(key, f"schedule:{i}"),
            "service_at_location_id": sal_id,
            **schedule,
        }
        if i == 0:
            record["notes"] = f"{OPENING_HOURS_NOTE}{hours}"
            record["description"] = hours
        out.append(record)
    return out


def _asset_key(asset: Mapping[str, Any], position: int) -> str:
    if _present(asset.get("id")):
        return str(asset["id"])
    if _present(asset.get("source_id")):
        return f"{asset['source']}:{asset['source_id']}"
    point = asset["geometry"]
    return f"{asset['name']}@{point.x:.6f},{point.y:.6f}#{position}"


def _eligibility_text(asset: Mapping[str, Any]) -> str | None:
    parts = []
    if asset.get("gender") == "women":
        parts.append("Women only.")
    elif asset.get("gender") == "men":
        parts.append("Men only.")
    conv = {
        "welcome": "People with convictions are welcome.",
        "case_by_case": "People with convictions: case by case.",
        "not_accepted": "Not open to people with convictions.",
    }
    if _present(asset.get("convictions")):
        parts.append(conv[str(asset["convictions"])])
    return " ".join(parts) or None


def register_to_hsds(
    assets: gpd.GeoDataFrame, *, taxonomy: Taxonomy | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Return the register as HSDS 3.0 records, table name -> list of records.

    Parameters
    ----------
    assets
        An asset table (validated here first).
    taxonomy
        Maps category codes to labels and ``hsds_terms``; the default taxonomy
        when omitted.

    Returns
    -------
    dict
        ``services`` (nested service records), ``organizations``,
        ``locations``, ``service_at_locations``, ``taxonomies`` and
        ``taxonomy_terms``; every id is derived from the asset, so the same
        register gives the same output.

    Raises
    ------
    SchemaError
        If ``assets`` breaks the asset schema.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"id": ["a1"], "name": ["Oakham Library"], "lon": [-0.72],
    ...                       "lat": [52.67], "categories": ["library"]})
    >>> tables = register_to_hsds(frame)
    >>> tables["services"][0]["name"]
    'Oakham Library'
    >>> tables["locations"][0]["id"] == str(uuid.uuid5(HSDS_NAMESPACE, "a1:location"))
    True
    """
    tax = taxonomy or load_taxonomy()
    frame = validate_assets(assets, taxonomy=tax)
    services: list[dict[str, Any]] = []
    organizations: dict[str, dict[str, Any]] = {}
    locations: list[dict[str, Any]] = []
    sals: list[dict[str, Any]] = []
    terms: dict[str, dict[str, Any]] = {}
    for position, asset in enumerate(frame.to_dict("records")):
        key = _asset_key(asset, position)
        service_id, location_id, sal_id = (
            _id(key, r) for r in ("service", "location", "service_at_location")
        )
        point = asset["geometry"]
        location: dict[str, Any] = {
            "id": location_id,
            "location_type": "physical",
            "name": asset["name"],
            "latitude": float(point.y),
            "longitude": float(point.x),
        }
        address, postcode = _str(asset.get("address")), _str(asset.get("postcode"))
        if address or postcode:
            location["addresses"] = [
                {
                    "id": _id(key, "address"),
                    "location_id": location_id,
                    "address_1": address or "",
                    "city": "",
                    "state_province": "",
                    "postal_code": postcode or "",
                    "country": "GB",
                    "address_type": "physical",
                }
            ]
        if _present(asset.get("wheelchair")):
            location["accessibility"] = [
                {
                    "id": _id(key, "accessibility"),
                    "location_id": location_id,
                    "description": _WHEELCHAIR_TEXT[str(asset["wheelchair"])],
                }
            ]
        sal: dict[str, Any] = {"id": sal_id, "service_id": service_id, "location_id": location_id}
        schedules = _schedules(asset, key, sal_id)
        if schedules:
            sal["schedules"] = schedules
        service: dict[str, Any] = {
            "id": service_id,
            "name": asset["name"],
            "status": "inactive" if asset["status"] in {"archived", "rejected"} else "active",
        }
        org_name = _str(asset.get("organisation"))
        if org_name:
            org = organizations.setdefault(
                org_name.casefold(),
                {
                    "id": _id(f"organisation:{org_name.casefold()}", "organization"),
                    "name": org_name,
                    "description": org_name,
                },
            )
            service["organization_id"] = org["id"]
            service["organization"] = org
        optional = {
            "description": _str(asset.get("description")),
            "url": _url(asset.get("website")),
            "email": _str(asset.get("email")),
            "minimum_age": asset.get("min_age"),
            "maximum_age": asset.get("max_age"),
            "eligibility_description": _eligibility_text(asset),
            "assured_date": asset["last_verified"].isoformat()
            if _present(asset.get("last_verified"))
            else None,
            "last_modified": asset["valid_from"].isoformat()
            if isinstance(asset.get("valid_from"), dt.datetime)
            else None,
        }
        service.update(
            {k: (int(v) if k.endswith("_age") else v) for k, v in optional.items() if _present(v)}
        )
        if _str(asset.get("phone")):
            service["phones"] = [
                {"id": _id(key, "phone"), "service_id": service_id, "number": str(asset["phone"])}
            ]
        if _present(asset.get("cost")):
            option: dict[str, Any] = {
                "id": _id(key, "cost_option"),
                "service_id": service_id,
                "option": _COST_OPTION[str(asset["cost"])],
            }
            if asset["cost"] == "free":
                option.update({"amount": 0, "currency": "GBP"})
            service["cost_options"] = [option]
        asset_terms = _asset_terms(asset, tax)
        if asset_terms:
            service["attributes"] = [
                {
                    "id": _id(key, f"attribute:{t['taxonomy']}:{t['code']}"),
                    "link_id": service_id,
                    "link_type": "service",
                    "link_entity": "service",
                    "taxonomy_term_id": t["id"],
                    "taxonomy_term": t,
                }
                for t in asset_terms
            ]
            terms.update((t["id"], t) for t in asset_terms)
        sal_nested = {**sal, "location": location}
        service["service_at_locations"] = [sal_nested]
        services.append(service)
        locations.append(location)
        sals.append(sal)
    vocabularies = sorted({t["taxonomy"] for t in terms.values()})
    return {
        "services": services,
        "organizations": sorted(organizations.values(), key=lambda o: o["id"]),
        "locations": locations,
        "service_at_locations": sals,
        "taxonomies": [_taxonomy(v) for v in vocabularies],
        "taxonomy_terms": sorted(terms.values(), key=lambda t: t["id"]),
    }


@functools.lru_cache(maxsize=4)
def _registry(schema_dir: Path) -> tuple[referencing.Registry[Any], dict[str, Any]]:
    schemas: dict[str, Any] = {}
    for path in sorted(schema_dir.glob("*.json")):
        if path.name == "openapi.json":
            continue
        schemas[path.name] = json.loads(path.read_text(encoding="utf-8"))
    registry: referencing.Registry[Any] = referencing.Registry().with_resources(
        (name, DRAFT202012.create_resource(contents)) for name, contents in schemas.items()
    )
    return registry, schemas


def validate_hsds(
    tables: Mapping[str, Sequence[Mapping[str, Any]]], *, schema_dir: Path | None = None
) -> list[str]:
    """Validate HSDS records against the HSDS 3.0 JSON Schemas.

    Parameters
    ----------
    tables
        Table name (see :data:`HSDS_TABLES`) -> records, as
        :func:`register_to_hsds` returns.
    schema_dir
        The folder of HSDS 3.0 schema files (``service.json`` and the files it
        refers to); :data:`DEFAULT_SCHEMA_DIR` by default.

    Returns
    -------
    list of str
        One message per violation, naming the table, record and JSON path;
        empty when everything validates.

    Raises
    ------
    SchemaError
        If the schema folder is missing or a table has no schema.
    """
    folder = (schema_dir or DEFAULT_SCHEMA_DIR).resolve()
    if not (folder / "service.json").is_file():
        msg = f"No HSDS schemas (service.json) in {folder}."
        raise SchemaError(msg)
    registry, schemas = _registry(folder)
    errors: list[str] = []
    for table, records in tables.items():
        if table not in HSDS_TABLES:
            msg = f"No HSDS schema for table {table!r}; known: {', '.join(HSDS_TABLES)}."
            raise SchemaError(msg)
        validator = jsonschema.Draft202012Validator(
            schemas[HSDS_TABLES[table]],
            registry=registry,
            format_checker=jsonschema.FormatChecker(),
        )
        for i, record in enumerate(records):
            for error in validator.iter_errors(record):
                where = "".join(
                    f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path
                )
                errors.append(f"{table}[{i}]{where}: {error.message}")
    return errors


def write_hsds(
    assets: gpd.GeoDataFrame,
    path: str | Path,
    *,
    taxonomy: Taxonomy | None = None,
    validate: bool | None = None,
) -> Path:
    """Write the register as HSDS 3.0 JSON files into a folder or a ``.zip``.

    Parameters
    ----------
    assets
        An asset table.
    path
        A folder (created if missing; assetmap's files in it are replaced) or a
        path ending ``.zip``.
    taxonomy
        See :func:`register_to_hsds`.
    validate
        Check every record against the HSDS schemas first and write nothing if
        one fails; by default always (the schemas ship at :data:`DEFAULT_SCHEMA_DIR`).

    Returns
    -------
    pathlib.Path
        Where the export was written.

    Raises
    ------
    SchemaError
        If the assets break the asset schema or the export would not validate.
    AssetMapError
        If the target cannot be written (nothing is left half-written).
    """
    tables = register_to_hsds(assets, taxonomy=taxonomy)
    if validate is not False:
        errors = validate_hsds(tables)
        if errors:
            msg = f"The HSDS export does not validate ({len(errors)} errors), first: {errors[0]}"
            raise SchemaError(msg)
    blobs = {
        f"{name}.json": json.dumps(records, ensure_ascii=False, indent=1).encode("utf-8")
        for name, records in tables.items()
    }
    target = Path(path)
    try:
        if target.suffix.lower() == ".zip":
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, tmp = tempfile.mkstemp(suffix=".zip.part", dir=target.parent)
            os.close(handle)
            try:
                with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                    for name, blob in blobs.items():
                        archive.writestr(
                            zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), blob
                        )
                Path(tmp).replace(target)
            finally:
                Path(tmp).unlink(missing_ok=True)
        else:
            target.mkdir(parents=True, exist_ok=True)
            parts: list[tuple[Path, Path]] = []
            try:
                for name, blob in blobs.items():
                    handle, tmp = tempfile.mkstemp(suffix=".part", dir=target)
                    parts.append((Path(tmp), target / name))
                    with os.fdopen(handle, "wb") as out:
                        out.write(blob)
                for tmp_path, final in parts:
                    tmp_path.replace(final)
            finally:
                for tmp_path, _ in parts:
                    tmp_path.unlink(missing_ok=True)
    except OSError as exc:
        msg = f"Could not write the HSDS export to {target}: {exc.strerror or exc}."
        raise AssetMapError(msg) from exc
    return target
