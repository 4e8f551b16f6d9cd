"""Export the register as Open Referral HSDS 3.0 or Open Referral UK JSON.

Two profiles: ``hsds`` (HSDS 3.0, validated against ``../shared/data/hsds-3.0``)
and ``oruk`` (the Open Referral UK profile, ``../shared/data/oruk-profile``:
schedules on the service, taxonomy terms with ``term``, nothing the profile
does not define; what a record held that it has no field for is listed in
:attr:`HsdsExport.dropped`). An asset imported from HSDS keeps the source's
own records in ``extra``; they are written back, with only what changed in
assetmap since the import replaced (see :func:`hsds_export`).

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
service_at_location (the assets of one imported service go out as that
service again, with the source's ids). Ids are stable:
``uuid5(HSDS_NAMESPACE, "<asset key>:<role>")`` where the asset key is the
asset ``id`` (or ``source:source_id`` for an asset not yet in the store), so
exporting twice gives identical ids and an importer matching on
service_at_location ids sees the same records. Organisations are keyed by
name, taxonomy terms by vocabulary and code.

Category codes go out as ``assetmap`` taxonomy terms (with the taxonomy's mapped
``hsds_terms`` beside them); eligibility, cost, wheelchair access and the other
assetmap fields that HSDS has no exact place for go out as ``assetmap`` terms
``<column>:<value>`` too, next to the nearest HSDS fields (``minimum_age``,
``cost_options``, ``accessibility``...), so a re-import gives the same register.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import math
import os
import tempfile
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import jsonschema
import pandas as pd
import referencing
from referencing.jsonschema import DRAFT202012

from assetmap.atomic import atomic_path
from assetmap.errors import AssetMapError, SchemaError
from assetmap.ingest.hsds import (
    ASSETMAP_VOCABULARY,
    CONVICTIONS_TERM,
    OPENING_HOURS_NOTE,
    modelled_values,
    schedules_from_opening_hours,
)
from assetmap.moderation_state import checked_assets
from assetmap.private_files import private_dir
from assetmap.resources import data_path
from assetmap.schema import validate_assets
from assetmap.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "DEFAULT_SCHEMA_DIR",
    "HSDS_NAMESPACE",
    "HSDS_TABLES",
    "ORUK_SCHEMA_DIR",
    "PROFILES",
    "HsdsExport",
    "conform_to_schemas",
    "hsds_export",
    "project_to_profile",
    "register_to_hsds",
    "schema_dir_for",
    "strict_schema",
    "validate_hsds",
    "workspace_country",
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
#: The Open Referral UK profile's schemas and its API description (openapi.json), package data too.
ORUK_SCHEMA_DIR: Final = data_path("schemas", "oruk-profile")
#: Export profiles: HSDS 3.0 and the Open Referral UK profile of it.
PROFILES: Final = ("hsds", "oruk")

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


def _term(vocabulary: str, code: str, name: str, profile: str = "hsds") -> dict[str, Any]:
    term = {
        "id": _id(f"{vocabulary}:{code}", "taxonomy_term"),
        "code": code,
        "name": name,
        "description": name,
        "taxonomy": vocabulary,
        "taxonomy_id": _id(vocabulary, "taxonomy"),
        "taxonomy_detail": _taxonomy(vocabulary),
    }
    if profile == "oruk":  # the UK profile calls the code ``term`` and has no taxonomy_detail
        term["term"] = term.pop("code")
        del term["taxonomy_detail"]
    return term


def _taxonomy(vocabulary: str) -> dict[str, Any]:
    return {
        "id": _id(vocabulary, "taxonomy"),
        "name": vocabulary,
        "description": _VOCABULARY_DESCRIPTIONS.get(vocabulary, vocabulary),
    }


def _asset_terms(
    asset: Mapping[str, Any], tax: Taxonomy, profile: str = "hsds"
) -> list[dict[str, Any]]:
    terms: list[dict[str, Any]] = []
    for code in asset["categories"]:
        category = tax.category(code)
        terms.append(_term(ASSETMAP_VOCABULARY, code, category.label, profile))
        terms.extend(_term(t.vocabulary, t.code, t.name, profile) for t in category.hsds_terms)
    for column, label in _FIELD_LABELS.items():
        value = asset.get(column)
        if not _present(value):
            continue
        text = ("yes" if value else "no") if isinstance(value, bool) else str(value)
        if column == "kind" and text == "service":
            continue
        terms.append(
            _term(
                ASSETMAP_VOCABULARY,
                f"{column}:{text}",
                f"{label}: {text.replace('_', ' ')}",
                profile,
            )
        )
    if asset.get("convictions") == "welcome":
        terms.append(_term(*CONVICTIONS_TERM, profile))
    unique = {t["id"]: t for t in terms}
    return list(unique.values())


def _schedules(
    asset: Mapping[str, Any], key: str, sal_id: str | None, service_id: str
) -> list[dict[str, Any]]:
    """Schedules of an asset: on its service_at_location (``sal_id``) or on its service."""
    hours = _str(asset.get("opening_hours"))
    if hours is None:
        return []
    parsed = schedules_from_opening_hours(hours) or [{}]
    link = {"service_at_location_id": sal_id} if sal_id else {"service_id": service_id}
    out = []
    for i, schedule in enumerate(parsed):
        record: dict[str, Any] = {"id": _id(key, f"schedule:{i}"), **link, **schedule}
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


#: Where each group of asset fields lives in an HSDS/ORUK record: when any field
#: of a group changed since the import, these keys of the source's own record
#: are replaced by assetmap's rendering; otherwise the source's record is kept.
_OWNED: Final[tuple[tuple[frozenset[str], str, tuple[str, ...]], ...]] = (
    (frozenset({"name"}), "service", ("name",)),
    (frozenset({"description"}), "service", ("description",)),
    (frozenset({"email"}), "service", ("email",)),
    (frozenset({"website"}), "service", ("url",)),
    (frozenset({"cost"}), "service", ("cost_options",)),
    (frozenset({"min_age", "max_age"}), "service", ("minimum_age", "maximum_age")),
    (frozenset({"gender", "convictions"}), "service", ("eligibility_description",)),
    (frozenset({"last_verified"}), "service", ("assured_date",)),
    (frozenset({"phone"}), "service", ("phones",)),
    (frozenset({"phone"}), "service_at_location", ("phones",)),
    (frozenset({"phone"}), "location", ("phones",)),
    (frozenset({"opening_hours"}), "service", ("schedules", "regular_schedules")),
    (frozenset({"opening_hours"}), "service_at_location", ("schedules",)),
    (frozenset({"opening_hours"}), "location", ("schedules",)),
    (frozenset({"address", "postcode"}), "location", ("addresses",)),
    (frozenset({"lon", "lat"}), "location", ("latitude", "longitude")),
    (frozenset({"wheelchair"}), "location", ("accessibility",)),
)
#: Fields written as taxonomy-term attributes of the service.
_ATTRIBUTE_FIELDS: Final = frozenset(
    {"categories", "kind", "gender", "convictions", "referral_required", "dbs_check", "cost"}
    | {"wheelchair"}
)
_PARTS: Final = ("service", "organization", "service_at_location", "location")


@dataclass(frozen=True)
class HsdsExport:
    """An export: the tables, and what the profile had no place for.

    Attributes
    ----------
    tables
        Table name -> records (see :func:`register_to_hsds`).
    dropped
        ``"<table>[i].<path>"`` of every value the profile has no field for
        (only with ``profile="oruk"``): what a record from a wider HSDS feed
        held, and assetmap's own phone numbers (the UK profile has no phone
        on a service); empty when nothing was left out.
    """

    tables: dict[str, list[dict[str, Any]]]
    dropped: tuple[str, ...] = ()


def workspace_country(settings: Mapping[str, Any]) -> str:
    """Return the ISO 3166-1 country code of a workspace (``country`` setting, else ``GB``).

    Examples
    --------
    >>> workspace_country({}), workspace_country({"country": "ie"})
    ('GB', 'IE')
    """
    value = settings.get("country")
    text = str(value).strip().upper() if isinstance(value, str) else ""
    return text if len(text) == 2 and text.isalpha() else "GB"


def _render(
    asset: Mapping[str, Any], key: str, tax: Taxonomy, profile: str, country: str
) -> dict[str, Any]:
    """Return assetmap's own rendering of one asset: the four parts, unnested."""
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
                "country": country,
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
    service: dict[str, Any] = {
        "id": service_id,
        "name": asset["name"],
        "status": "inactive" if asset["status"] in {"archived", "rejected"} else "active",
    }
    schedules = _schedules(asset, key, sal_id if profile == "hsds" else None, service_id)
    if schedules:
        (sal if profile == "hsds" else service)["schedules"] = schedules
    organization: dict[str, Any] | None = None
    org_name = _str(asset.get("organisation"))
    if org_name:
        organization = {
            "id": _id(f"organisation:{org_name.casefold()}", "organization"),
            "name": org_name,
            "description": org_name,
        }
        service["organization_id"] = organization["id"]
    optional: dict[str, Any] = {
        "description": _str(asset.get("description")),
        "url": _url(asset.get("website")),
        "email": _str(asset.get("email")),
        "minimum_age": asset.get("min_age"),
        "maximum_age": asset.get("max_age"),
        "eligibility_description": _eligibility_text(asset) if profile == "hsds" else None,
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
    if _str(asset.get("phone")) and profile == "hsds":
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
            option["amount"] = 0
            if profile == "hsds":
                option["currency"] = "GBP"
        service["cost_options"] = [option]
    attributes = [
        _attribute(key, service_id, t, profile) for t in _asset_terms(asset, tax, profile)
    ]
    if attributes:
        service["attributes"] = attributes
    return {
        "service": service,
        "organization": organization,
        "service_at_location": sal,
        "location": location,
    }


def _attribute(key: str, service_id: str, term: dict[str, Any], profile: str) -> dict[str, Any]:
    attribute = {
        "id": _id(key, f"attribute:{term['taxonomy']}:{_term_code(term)}"),
        "link_id": service_id,
        "link_type": "service",
        "taxonomy_term_id": term["id"],
        "taxonomy_term": term,
    }
    if profile == "hsds":
        attribute["link_entity"] = "service"
    return attribute


def _term_code(term: Mapping[str, Any]) -> str:
    return str(term.get("code") or term.get("term") or term.get("id"))


def _changed(asset: Mapping[str, Any], imported: Mapping[str, Any]) -> set[str]:
    now = modelled_values(asset)
    return {f for f, v in now.items() if imported.get(f) != v}


def _status_bucket(status: Any) -> str:
    text = str(status or "").lower()
    return "inactive" if text in {"inactive", "defunct", "archived", "rejected"} else "active"


def _merge_attributes(original: list[Any], rendered: list[dict[str, Any]]) -> list[Any]:
    """Keep the source's terms (less assetmap's own), then add assetmap's new ones."""

    def ident(attribute: Any) -> tuple[str, str]:
        term = attribute.get("taxonomy_term") if isinstance(attribute, Mapping) else None
        if not isinstance(term, Mapping):
            return ("", str(attribute))
        detail = term.get("taxonomy_detail")
        vocab = term.get("taxonomy") or (detail or {}).get("name") or ""
        return (str(vocab), _term_code(term))

    kept = [a for a in original if ident(a)[0] != ASSETMAP_VOCABULARY]
    seen = {ident(a) for a in kept}
    return kept + [a for a in rendered if ident(a) not in seen]


def _merged_parts(
    asset: Mapping[str, Any], rendered: dict[str, Any], extra: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the source's own record with assetmap's rendering of what changed since."""
    original = _uuid_ids(extra["hsds"])
    parts: dict[str, Any] = {
        name: copy.deepcopy(original.get(name)) if isinstance(original.get(name), Mapping) else None
        for name in _PARTS
    }
    for name in ("service", "service_at_location", "location"):
        if parts[name] is None:
            parts[name] = copy.deepcopy(rendered[name])
    changed = _changed(asset, extra.get("imported") or {})
    for fields, part, keys in _OWNED:
        if fields & changed:
            for key in keys:
                parts[part].pop(key, None)
                if key in rendered[part]:
                    parts[part][key] = copy.deepcopy(rendered[part][key])
    service = parts["service"]
    if "organisation" in changed or (parts["organization"] is None and rendered["organization"]):
        parts["organization"] = rendered["organization"]
        service.pop("organization_id", None)
        if rendered["organization"] is not None:
            service["organization_id"] = rendered["organization"]["id"]
    if changed & _ATTRIBUTE_FIELDS:
        merged = _merge_attributes(
            list(service.get("attributes") or []), rendered["service"].get("attributes", [])
        )
        service.pop("attributes", None)
        if merged:
            service["attributes"] = merged
    if _status_bucket(service.get("status")) != _status_bucket(asset["status"]):
        service["status"] = rendered["service"]["status"]
    if changed and "last_modified" in rendered["service"]:
        service["last_modified"] = rendered["service"]["last_modified"]
    return parts


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


#: The id and link fields of HSDS records (all UUIDs in HSDS 3.0 and the UK profile).
_LINK_KEYS: Final = frozenset(
    {
        "id",
        "service_id",
        "location_id",
        "organization_id",
        "parent_organization_id",
        "service_at_location_id",
        "program_id",
        "contact_id",
        "phone_id",
        "link_id",
        "taxonomy_term_id",
        "taxonomy_id",
        "parent_id",
        "resource_id",
    }
)


def _uuid_ids(value: Any) -> Any:
    """Return ``value`` with every id that is not a UUID replaced by one derived from it.

    HSDS 3.0 and the UK profile want UUIDs; a source that used other ids
    (``"svc-12"``) gets the same UUID for the same id everywhere, so links hold.
    """
    if isinstance(value, list):
        return [_uuid_ids(v) for v in value]
    if not isinstance(value, Mapping):
        return value
    out = {}
    for k, v in value.items():
        if k in _LINK_KEYS and isinstance(v, str) and not _is_uuid(v):
            out[k] = _id(f"source-id:{v}", "id")
        else:
            out[k] = _uuid_ids(v)
    return out


def _service_fields(service: Mapping[str, Any]) -> dict[str, Any]:
    """Return what must agree for two assets to go out as one service (not last_modified)."""
    return {k: v for k, v in service.items() if k not in {"service_at_locations", "last_modified"}}


def _relinked(service: dict[str, Any], service_id: str) -> dict[str, Any]:
    """Return ``service`` under a new id, its own records' ``service_id`` and ``link_id`` too."""
    old = service["id"]

    def relink(value: Any) -> Any:
        if isinstance(value, list):
            return [relink(v) for v in value]
        if isinstance(value, dict):
            return {
                k: (service_id if k in {"service_id", "link_id"} and v == old else relink(v))
                for k, v in value.items()
            }
        return value

    out: dict[str, Any] = relink(service)
    out["id"] = service_id
    return out


def _terms_of(service: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    out = []
    for attribute in service.get("attributes") or []:
        term = attribute.get("taxonomy_term") if isinstance(attribute, Mapping) else None
        if isinstance(term, Mapping) and term.get("id"):
            out.append(term)
    return out


def _taxonomy_of(term: Mapping[str, Any]) -> dict[str, Any] | None:
    detail = term.get("taxonomy_detail")
    if isinstance(detail, Mapping) and detail.get("id"):
        return dict(detail)
    if term.get("taxonomy_id"):
        name = str(term.get("taxonomy") or term["taxonomy_id"])
        return {
            "id": term["taxonomy_id"],
            "name": name,
            "description": _VOCABULARY_DESCRIPTIONS.get(name, name),
        }
    return None


def hsds_export(
    assets: gpd.GeoDataFrame,
    *,
    taxonomy: Taxonomy | None = None,
    profile: str = "hsds",
    country: str = "GB",
) -> HsdsExport:
    """Return the register as HSDS 3.0 or Open Referral UK records.

    An asset imported from HSDS keeps the source's own records (in its
    ``extra``): what assetmap does not model goes out verbatim, and the fields
    it does model are the source's own unless they changed since the import,
    so an unchanged feed exports as it came in. The assets of one source
    service (one per location) go out as that one service again.

    Parameters
    ----------
    assets
        An asset table (validated here first). Proposals no facilitator has
        checked are left out: HSDS has no status for them, and listing one
        as ``active`` would vouch for it.
    taxonomy
        Maps category codes to labels and ``hsds_terms``; the default taxonomy
        when omitted.
    profile
        ``"hsds"`` (HSDS 3.0) or ``"oruk"`` (the Open Referral UK profile:
        schedules on the service, no phones, terms without ``code``).
    country
        ISO country code written on addresses assetmap writes itself (see
        :func:`workspace_country`); addresses from a source keep theirs.

    Returns
    -------
    HsdsExport
        The tables and, for ``oruk``, what a source record held that the
        profile has no place for.

    Raises
    ------
    SchemaError
        If ``assets`` breaks the asset schema or ``profile`` is unknown.
    """
    if profile not in PROFILES:
        msg = f"Unknown HSDS profile {profile!r}; choose one of {', '.join(PROFILES)}."
        raise SchemaError(msg)
    tax = taxonomy or load_taxonomy()
    frame = checked_assets(validate_assets(assets, taxonomy=tax))  # never a proposal
    services: dict[str, dict[str, Any]] = {}
    organizations: dict[str, dict[str, Any]] = {}
    locations: dict[str, dict[str, Any]] = {}
    sals: list[dict[str, Any]] = []
    terms: dict[str, dict[str, Any]] = {}
    vocabularies: dict[str, dict[str, Any]] = {}
    no_phone: list[str] = []
    for position, asset in enumerate(frame.to_dict("records")):
        key = _asset_key(asset, position)
        rendered = _render(asset, key, tax, profile, country)
        extra = asset.get("extra")
        parts = (
            _merged_parts(asset, rendered, extra)
            if isinstance(extra, Mapping) and isinstance(extra.get("hsds"), Mapping)
            else rendered
        )
        service, org, sal, location = (parts[p] for p in _PARTS)
        if profile == "oruk" and _str(asset.get("phone")) and parts is rendered:
            no_phone.append(str(service["id"]))  # the UK profile has no phone on a service
        service_id = str(service["id"])
        if org is not None:
            org = organizations.setdefault(str(org["id"]), org)
            service["organization"] = org
        sal = {k: v for k, v in sal.items() if k != "location"}
        if service_id in services and _service_fields(services[service_id]) != _service_fields(
            service
        ):  # one location's asset was changed apart from the others: its own service now
            service_id = _id(f"{service_id}:{key}", "service")
            service = _relinked(service, service_id)
            sal["service_id"] = service_id
        if service_id in services:  # another location of a service already written
            written = services[service_id]
            if str(service.get("last_modified") or "") > str(written.get("last_modified") or ""):
                written["last_modified"] = service["last_modified"]
            service = written
        else:
            service["service_at_locations"] = []
            services[service_id] = service
        service["service_at_locations"].append({**sal, "location": location})
        locations.setdefault(str(location["id"]), location)
        sals.append({"service_id": service_id, "location_id": location["id"], **sal})
        for term in _terms_of(service):
            terms.setdefault(str(term["id"]), dict(term))
            vocabulary = _taxonomy_of(term)
            if vocabulary is not None:
                vocabularies.setdefault(str(vocabulary["id"]), vocabulary)
    tables: dict[str, list[dict[str, Any]]] = {
        "services": list(services.values()),
        "organizations": sorted(organizations.values(), key=lambda o: str(o["id"])),
        "locations": list(locations.values()),
        "service_at_locations": sals,
        "taxonomies": sorted(vocabularies.values(), key=lambda v: str(v["name"])),
        "taxonomy_terms": sorted(terms.values(), key=lambda t: str(t["id"])),
    }
    if profile == "hsds":
        if (DEFAULT_SCHEMA_DIR / "service.json").is_file():
            conform_to_schemas(tables, DEFAULT_SCHEMA_DIR)
        return HsdsExport(tables)
    projected = project_to_profile(tables, schema_dir_for(profile))
    index = {str(s["id"]): i for i, s in enumerate(tables["services"])}
    phones = [f"services[{index[i]}].phones (assetmap's phone)" for i in no_phone if i in index]
    return HsdsExport(projected.tables, (*projected.dropped, *phones))


def register_to_hsds(
    assets: gpd.GeoDataFrame,
    *,
    taxonomy: Taxonomy | None = None,
    profile: str = "hsds",
    country: str = "GB",
) -> dict[str, list[dict[str, Any]]]:
    """Return the register as HSDS records, table name -> list of records.

    The tables of :func:`hsds_export` (see there for ``profile`` and ``country``).

    Parameters
    ----------
    assets
        An asset table (validated here first).
    taxonomy
        Maps category codes to labels and ``hsds_terms``; the default taxonomy
        when omitted.
    profile
        ``"hsds"`` or ``"oruk"``.
    country
        Country code of the addresses assetmap writes.

    Returns
    -------
    dict
        ``services`` (nested service records), ``organizations``,
        ``locations``, ``service_at_locations``, ``taxonomies`` and
        ``taxonomy_terms``; every id is derived from the asset (or kept from
        the source), so the same register gives the same output.

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
    return hsds_export(assets, taxonomy=taxonomy, profile=profile, country=country).tables


def _defined(schema: Mapping[str, Any], registry: referencing.Registry[Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and not ref.startswith("#"):
        resolved: Mapping[str, Any] = registry.get_or_retrieve(ref).value.contents
        return resolved
    return schema


def _scalar(value: Any, schema: Mapping[str, Any]) -> Any:
    """Return a number as text where the schema wants text, numeric text as a number.

    Tabular HSDS (CSV) holds every value as text and some feeds write
    identifiers as numbers; the value is kept, written in the schema's type.
    """
    kind = schema.get("type")
    if kind == "string" and isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else str(value)
    if kind in {"number", "integer"} and isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return value
        if math.isfinite(number):
            return int(number) if kind == "integer" or number.is_integer() else number
    return value


def _project(
    value: Any,
    schema: Mapping[str, Any],
    registry: referencing.Registry[Any],
    path: str,
    dropped: list[str],
) -> Any:
    """Return ``value`` without what ``schema`` does not define (listed in ``dropped``)."""
    schema = _defined(schema, registry)
    if isinstance(value, dict) and isinstance(schema.get("properties"), Mapping):
        props = schema["properties"]
        out = {}
        for k, v in value.items():
            if k in props:
                out[k] = _project(v, props[k], registry, f"{path}.{k}", dropped)
            else:
                dropped.append(f"{path}.{k}")
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        return [
            _project(v, schema["items"], registry, f"{path}[{i}]", dropped)
            for i, v in enumerate(value)
        ]
    return _scalar(value, schema)


def _conform(value: Any, schema: Mapping[str, Any], registry: referencing.Registry[Any]) -> None:
    schema = _defined(schema, registry)
    if isinstance(value, dict) and isinstance(schema.get("properties"), Mapping):
        for k, v in value.items():
            if k in schema["properties"]:
                sub = _defined(schema["properties"][k], registry)
                if isinstance(v, dict | list):
                    _conform(v, sub, registry)
                else:
                    value[k] = _scalar(v, sub)
    elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        sub = _defined(schema["items"], registry)
        for i, v in enumerate(value):
            if isinstance(v, dict | list):
                _conform(v, sub, registry)
            else:
                value[i] = _scalar(v, sub)


def conform_to_schemas(tables: Mapping[str, list[dict[str, Any]]], schema_dir: Path) -> None:
    """Write numbers and numeric text in the type the schemas give, in place.

    A source's identifier written as a number where the schema wants text
    (``10092008082``), or an age as text where it wants a number (every value
    of the tabular CSV form is text), goes out as the same value in the
    schema's type. Nothing else changes; records shared between tables stay
    shared.
    """
    registry, schemas = _registry(schema_dir.resolve())
    for table, records in tables.items():
        for record in records:
            _conform(record, schemas[HSDS_TABLES[table]], registry)


def project_to_profile(
    tables: Mapping[str, Sequence[Mapping[str, Any]]], schema_dir: Path
) -> HsdsExport:
    """Keep only what the profile's schemas define, and say what was left out.

    Parameters
    ----------
    tables
        Table name -> records.
    schema_dir
        The profile's schema folder (``service.json`` and what it refers to).

    Returns
    -------
    HsdsExport
        The projected tables and the path of every value left out.
    """
    registry, schemas = _registry(schema_dir.resolve())
    dropped: list[str] = []
    out = {
        table: [
            _project(
                dict(r),
                schemas[HSDS_TABLES[table]],
                registry,
                f"{table}[{i}]",
                dropped,
            )
            for i, r in enumerate(records)
        ]
        for table, records in tables.items()
    }
    return HsdsExport(out, tuple(dropped))


def schema_dir_for(profile: str) -> Path:
    """Return the schema folder of an export profile (``hsds`` or ``oruk``)."""
    if profile not in PROFILES:
        msg = f"Unknown HSDS profile {profile!r}; choose one of {', '.join(PROFILES)}."
        raise SchemaError(msg)
    return DEFAULT_SCHEMA_DIR if profile == "hsds" else ORUK_SCHEMA_DIR


def strict_schema(schema: Any) -> Any:
    """Return ``schema`` with ``additionalProperties: false`` wherever it lists properties.

    The strict reading of a profile: a record that validates against it holds
    nothing the profile does not define.

    Examples
    --------
    >>> strict = strict_schema({"properties": {"a": {"type": "object", "properties": {}}}})
    >>> strict["additionalProperties"], strict["properties"]["a"]["additionalProperties"]
    (False, False)
    """
    if isinstance(schema, list):
        return [strict_schema(v) for v in schema]
    if not isinstance(schema, Mapping):
        return schema
    out = {k: strict_schema(v) for k, v in schema.items()}
    if isinstance(schema.get("properties"), Mapping):
        out["additionalProperties"] = False
    return out


@functools.lru_cache(maxsize=8)
def _registry(
    schema_dir: Path, strict: bool = False
) -> tuple[referencing.Registry[Any], dict[str, Any]]:
    schemas: dict[str, Any] = {}
    for path in sorted(schema_dir.glob("*.json")):
        if path.name == "openapi.json":
            continue
        contents = json.loads(path.read_text(encoding="utf-8"))
        schemas[path.name] = strict_schema(contents) if strict else contents
    registry: referencing.Registry[Any] = referencing.Registry().with_resources(
        (name, DRAFT202012.create_resource(contents)) for name, contents in schemas.items()
    )
    return registry, schemas


def validate_hsds(
    tables: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    schema_dir: Path | None = None,
    strict: bool = False,
) -> list[str]:
    """Validate HSDS records against the HSDS 3.0 (or a profile's) JSON Schemas.

    Parameters
    ----------
    tables
        Table name (see :data:`HSDS_TABLES`) -> records, as
        :func:`register_to_hsds` returns.
    schema_dir
        The folder of HSDS 3.0 schema files (``service.json`` and the files it
        refers to); :data:`DEFAULT_SCHEMA_DIR` by default, :data:`ORUK_SCHEMA_DIR`
        for the Open Referral UK profile.
    strict
        Read the schemas with ``additionalProperties: false`` (see
        :func:`strict_schema`): a field the schema does not define is an error.

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
    registry, schemas = _registry(folder, strict)
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
    profile: str = "hsds",
    country: str = "GB",
    dropped: list[str] | None = None,
) -> Path:
    """Write the register as HSDS 3.0 (or Open Referral UK) JSON files into a folder or ``.zip``.

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
        Check every record against the profile's schemas first and write
        nothing if one fails; by default always (the schemas ship as package
        data, see :func:`schema_dir_for`).
    profile, country
        See :func:`hsds_export`.
    dropped
        When given, the path of every source value the profile had no place
        for is appended to it (see :attr:`HsdsExport.dropped`).

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
    export = hsds_export(assets, taxonomy=taxonomy, profile=profile, country=country)
    tables = export.tables
    if dropped is not None:
        dropped.extend(export.dropped)
    if validate is not False:
        errors = validate_hsds(tables, schema_dir=schema_dir_for(profile))
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
            with (
                atomic_path(target) as tmp,
                zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive,
            ):
                for name, blob in blobs.items():
                    archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), blob)
        else:
            private_dir(target)
            parts: list[tuple[Path, Path]] = []
            try:
                for name, blob in blobs.items():
                    handle, part = tempfile.mkstemp(suffix=".part", dir=target)
                    parts.append((Path(part), target / name))
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
