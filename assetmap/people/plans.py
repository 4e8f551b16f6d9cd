"""Life plans and their referral logs, kept as versioned records; start points.

A plan is stored as a generic record of entity :data:`PLAN_ENTITY` (every
change a version in ``history``), with exactly these fields and **no name
of the person anywhere**::

    reference   pseudonymous, e.g. "P-7K3Q" (must match REFERENCE_PATTERN)
    owner       the staff user id whose caseload it is in
    home_area   postcode sector ("LE15 6") or LSOA code
    home_lon, home_lat   the area's centroid, 3 decimal places
    goals       [{"text", "need", "good"}, ...]
    constraints {person_is_woman (when given), women_only_wanted, age, free_only, available,
                 wheelchair, max_minutes}
    status      "open" | "closed";   closed_on   ISO date or None

Each (plan, service) pair has one record of entity :data:`REFERRAL_ENTITY`
(``plan_id, asset_id, step, on, by, reason``) whose versions are the steps
taken: its history is the referral log.

Every function that reads or changes a plan takes ``principal`` and checks
it with :func:`assetmap.access.require` (the plan's owner is the scope).

:func:`resolve_start` turns what a worker types (a postcode, ``"LAT,LON"``,
or a street or place name from the workspace's OpenStreetMap data) into a
:class:`StartPoint`; only its coarse part (sector and sector centroid) is
ever stored.

Examples
--------
>>> REFERENCE_PATTERN.fullmatch("P-7K3Q") is not None
True
>>> REFERENCE_PATTERN.fullmatch("John Smith") is None
True
>>> len(new_reference()), new_reference().startswith("P-")
(6, True)
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
import re
import secrets
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pandas as pd
from rapidfuzz import fuzz, process
from sqlalchemy.exc import IntegrityError

from assetmap.access import Operation, Principal, allowed, require
from assetmap.errors import (
    ConflictError,
    NetworkError,
    NotFoundError,
    PostcodeError,
    QueryError,
    SchemaError,
)
from assetmap.fields import iso_date
from assetmap.idempotency import add_record_once, request_record_id
from assetmap.ingest.postcodes import (
    PostcodeIndex,
    is_postcode,
    normalise_postcode,
    postcode_sector,
)
from assetmap.match.needs import (
    Constraints,
    Goal,
    GoalMatch,
    MatchContext,
    check_goals,
    check_on_network,
    match_plan,
    prepare_matching,
)
from assetmap.match.normalize import normalise_name
from assetmap.match.places import SETTLEMENT_KINDS, Settlement
from assetmap.reach.network import walk_graph_for
from assetmap.taxonomy import Taxonomy, load_taxonomy
from assetmap.workspace import workspace_postcodes

if TYPE_CHECKING:
    from assetmap.reach.network import WalkGraph
    from assetmap.store import Store
    from assetmap.workspace import Workspace

__all__ = [
    "FIND_MODES",
    "PLAN_ENTITY",
    "PLAN_FIELDS",
    "REFERENCE_PATTERN",
    "REFERRAL_ENTITY",
    "REFERRAL_STEPS",
    "StartPoint",
    "close_plan",
    "create_plan",
    "find_plan",
    "find_support",
    "get_plan",
    "list_plans",
    "log_referral",
    "new_reference",
    "normalise_plan",
    "normalise_referral",
    "plan_range_over_time",
    "referral_log",
    "resolve_start",
    "start_hint",
    "update_plan",
    "workspace_settlements",
]

logger = logging.getLogger(__name__)

PLAN_ENTITY: Final = "plan"
REFERRAL_ENTITY: Final = "referral"
REFERRAL_STEPS: Final = ("suggested", "contacted", "referred", "attended", "ongoing", "stopped")
PLAN_STATUSES: Final = ("open", "closed")
#: How find support ranks: by walking time, cycling time, or walk + public transport.
FIND_MODES: Final = ("walk", "bike", "transit")
REFERENCE_PATTERN: Final = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,19}$")
PLAN_FIELDS: Final = frozenset(
    {"reference", "owner", "home_area", "home_lon", "home_lat", "goals", "constraints",
     "status", "closed_on"}
)  # fmt: skip
REFERRAL_FIELDS: Final = frozenset({"plan_id", "asset_id", "step", "on", "by", "reason"})
_REFERENCE_ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U
_AREA_PATTERN: Final = re.compile(r"^(?:[A-Z]{1,2}[0-9][0-9A-Z]? [0-9]|[EW]0[0-9]{7})$")
_LATLON: Final = re.compile(r"^\s*(-?\d{1,3}(?:\.\d+)?)\s*[,; ]\s*(-?\d{1,3}(?:\.\d+)?)\s*$")
MAX_START_CHARS: Final = 200
MAX_REASON_CHARS: Final = 1000
_COARSE: Final = 3


# ---------------------------------------------------------------- start points


@dataclass(frozen=True, slots=True)
class StartPoint:
    """Where a search starts. ``lon``/``lat`` stay in memory; store only the coarse part.

    Attributes
    ----------
    lon, lat
        The point itself.
    kind
        ``postcode``, ``coordinates`` or ``place``.
    label
        What it was resolved from (the postcode, or the place's name).
    area
        Its postcode sector (None when no postcode is known nearby).
    coarse_lon, coarse_lat
        The sector's centroid to 3 decimals (or the point to 2 decimals).
    """

    lon: float
    lat: float
    kind: str
    label: str
    area: str | None
    coarse_lon: float
    coarse_lat: float


@functools.lru_cache(maxsize=4)
def _osm_places(path: str, mtime_ns: int) -> tuple[tuple[str, float, float], ...]:
    """Named places and streets of an OSM file: (name, lon, lat); cached per file version."""
    del mtime_ns
    import osmium

    found: dict[str, tuple[float, float]] = {}
    processor = osmium.FileProcessor(path).with_locations()
    for obj in processor:
        tags = obj.tags
        name = tags.get("name")
        if not name:
            continue
        if isinstance(obj, osmium.osm.Node) and "place" in tags:
            found.setdefault(name, (obj.location.lon, obj.location.lat))
        elif isinstance(obj, osmium.osm.Way) and "highway" in tags and name not in found:
            nodes = [n for n in obj.nodes if n.location.valid()]
            if nodes:
                middle = nodes[len(nodes) // 2]
                found[name] = (middle.location.lon, middle.location.lat)
    return tuple((name, lon, lat) for name, (lon, lat) in found.items())


def _place_candidates(
    workspace: Workspace, assets: pd.DataFrame | None
) -> list[tuple[str, float, float]]:
    if assets is None:
        assets = workspace.store().assets()
    places: list[tuple[str, float, float]] = []
    for name, address, geometry in zip(
        assets["name"], assets["address"], assets.geometry, strict=True
    ):
        point = geometry.representative_point()
        places.append((str(name), point.x, point.y))
        if isinstance(address, str) and address.strip():
            places.append((address, point.x, point.y))
    origin = str(workspace.settings().get("osm_file") or "")
    source = Path(origin)
    if origin and not origin.startswith("place:") and source.is_file():
        places.extend(_osm_places(str(source), source.stat().st_mtime_ns))
    return places


def start_hint(workspace: Workspace) -> str:
    """Say what a start point can be, with examples that fit the workspace's country and data.

    A UK postcode example ("LE15 6AA") only where the country is GB; coordinates
    from the middle of the workspace's extract.
    """
    from assetmap.workspace import workspace_country

    settings = workspace.settings()
    box = settings.get("bbox") or [-0.727, 52.670, -0.727, 52.670]
    coords = f"{(box[1] + box[3]) / 2:.3f},{(box[0] + box[2]) / 2:.3f}"
    if workspace_country(settings) == "GB":
        return f"a postcode like LE15 6AA, coordinates like {coords}, or a street or place name"
    return f"coordinates like {coords}, or a street or place name"


def _find_place(
    workspace: Workspace, text: str, assets: pd.DataFrame | None
) -> tuple[str, float, float]:
    places = _place_candidates(workspace, assets)
    if not places:
        msg = f"No place called {text!r} in this workspace (it holds no named places yet)."
        raise QueryError(msg)
    keys = [normalise_name(name) for name, _, _ in places]
    wanted = normalise_name(text)
    for key, place in zip(keys, places, strict=True):
        if key == wanted:
            return place
    best = process.extractOne(wanted, keys, scorer=fuzz.WRatio, score_cutoff=88)
    if best is None:
        msg = (
            f"No postcode, coordinates or place called {text!r} found in this workspace; "
            f"try {start_hint(workspace)}."
        )
        raise QueryError(msg)
    return places[best[2]]


def resolve_start(
    workspace: Workspace,
    text_or_latlon: str | tuple[float, float],
    *,
    graph: WalkGraph | None = None,
    postcodes: PostcodeIndex | None = None,
    assets: pd.DataFrame | None = None,
) -> StartPoint:
    """Turn a postcode, ``"LAT,LON"``, (lat, lon) or a place or street name into a start point.

    Parameters
    ----------
    workspace
        The open workspace (its postcode table, assets and OSM file).
    text_or_latlon
        What the worker typed, or a (lat, lon) pair from a map click.
    graph
        The walking graph, to refuse points far from every street (the sea,
        another county); not checked when omitted.
    postcodes
        The postcode table (:func:`workspace_postcodes` when omitted).
    assets
        The register, when already loaded (for postcodes and place names;
        read from the store when needed and omitted).

    Returns
    -------
    StartPoint

    Raises
    ------
    PostcodeError
        An unknown postcode (the nearest known sector is named).
    QueryError
        Empty or overlong text, or a name found nowhere.
    NetworkError
        Coordinates out of range, or far from the walking network.
    """
    index = postcodes if postcodes is not None else workspace_postcodes(workspace, assets=assets)
    if isinstance(text_or_latlon, tuple):
        lat, lon = (float(v) for v in text_or_latlon)
        kind, label = "coordinates", f"{lat:.5f},{lon:.5f}"
    else:
        text = " ".join(str(text_or_latlon).split())
        if not text:
            msg = "Give a start point: a postcode, coordinates (LAT,LON) or a place name."
            raise QueryError(msg)
        if len(text) > MAX_START_CHARS:
            msg = (
                f"The start point is {len(text):,} characters long; the limit is {MAX_START_CHARS}."
            )
            raise QueryError(msg)
        match = _LATLON.match(text)
        if match:
            lat, lon = float(match.group(1)), float(match.group(2))
            kind, label = "coordinates", f"{lat:.5f},{lon:.5f}"
        elif is_postcode(text):
            label = normalise_postcode(text)
            lon, lat = index.locate(label)
            kind = "postcode"
        else:
            label, lon, lat = _find_place(workspace, text, assets)
            kind = "place"
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        msg = f"({lat}, {lon}) is not a latitude and longitude; write them like 52.670,-0.727."
        raise NetworkError(msg)
    if graph is not None:
        check_on_network(graph, lon, lat)
    area = _coarse_area(index, lon, lat, label if kind == "postcode" else None)
    if area is not None:
        try:
            centre_lon, centre_lat = index.sector_centroid(area)
        except PostcodeError:
            centre_lon, centre_lat = lon, lat
        coarse = (round(centre_lon, _COARSE), round(centre_lat, _COARSE))
    else:
        coarse = (round(lon, 2), round(lat, 2))
    return StartPoint(lon, lat, kind, label, area, coarse[0], coarse[1])


def _coarse_area(index: PostcodeIndex, lon: float, lat: float, postcode: str | None) -> str | None:
    if postcode is not None:
        return postcode_sector(postcode)
    try:
        return index.coarse_location(lon, lat)
    except PostcodeError:
        return None


# ---------------------------------------------------------------- plan records


def new_reference(existing: Collection[str] = ()) -> str:
    """Return a fresh pseudonymous reference like ``"P-7K3Q"`` (not in ``existing``)."""
    while True:
        reference = "P-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(4))
        if reference not in existing:
            return reference


def _check_fields(data: Mapping[str, Any], allowed_fields: frozenset[str], where: str) -> None:
    extra = sorted(set(data) - allowed_fields)
    if extra:
        msg = f"{where}: unknown field(s) {', '.join(map(repr, extra))} (no names or notes here)."
        raise SchemaError(msg)


def _user_id(value: Any, key: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        msg = f"{where}: `{key}` must be a user id, got {value!r}."
        raise SchemaError(msg)
    return value.strip()


def normalise_plan(data: Mapping[str, Any], *, taxonomy: Taxonomy | None = None) -> dict[str, Any]:
    """Return a checked plan record (the contract in the module docs).

    Raises
    ------
    SchemaError
        Naming the field (an unknown field, such as a name, is refused).
    TaxonomyError, QueryError
        For a goal with an unknown code or no content.
    """
    where = "plan"
    _check_fields(data, PLAN_FIELDS, where)
    reference = data.get("reference")
    if not isinstance(reference, str) or not REFERENCE_PATTERN.fullmatch(reference):
        msg = (
            f"{where}: `reference` must be a pseudonymous code like P-7K3Q (3-20 capital "
            f"letters, digits or hyphens), got {reference!r}."
        )
        raise SchemaError(msg)
    area = data.get("home_area")
    if not isinstance(area, str) or not _AREA_PATTERN.fullmatch(area):
        msg = f"{where}: `home_area` must be a postcode sector like 'LE15 6' or an LSOA code."
        raise SchemaError(msg)
    coords = {}
    for key, low, high in (("home_lon", -180.0, 180.0), ("home_lat", -90.0, 90.0)):
        value = data.get(key)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            msg = f"{where}: `{key}` must be a number, got {value!r}."
            raise SchemaError(msg)
        if not low <= value <= high:
            msg = f"{where}: `{key}` {value!r} is outside {low}..{high}."
            raise SchemaError(msg)
        coords[key] = round(float(value), _COARSE)
    raw_goals = data.get("goals")
    if not isinstance(raw_goals, Sequence) or isinstance(raw_goals, str):
        msg = f"{where}: `goals` must be a list of {{text, need, good}}."
        raise SchemaError(msg)
    goals = []
    for number, raw in enumerate(raw_goals, start=1):
        if not isinstance(raw, Mapping):
            msg = f"{where}: goal {number} must be {{text, need, good}}, got {raw!r}."
            raise SchemaError(msg)
        _check_fields(raw, frozenset({"text", "need", "good"}), f"{where} goal {number}")
        goals.append(Goal(text=raw.get("text") or "", need=raw.get("need"), good=raw.get("good")))
    check_goals(goals, taxonomy or load_taxonomy())
    raw_constraints = data.get("constraints") or {}
    if not isinstance(raw_constraints, Mapping):
        msg = f"{where}: `constraints` must be an object."
        raise SchemaError(msg)
    status = data.get("status") or "open"
    if status not in PLAN_STATUSES:
        msg = f"{where}: `status` must be one of {PLAN_STATUSES}, got {status!r}."
        raise SchemaError(msg)
    closed_on = data.get("closed_on")
    return {
        "reference": reference,
        "owner": _user_id(data.get("owner"), "owner", where),
        "home_area": area,
        **coords,
        "goals": [g.to_record() for g in goals],
        "constraints": Constraints.from_record(raw_constraints).to_record(),
        "status": status,
        "closed_on": None if closed_on is None else iso_date(closed_on, "closed_on", where),
    }


def _references(store: Store) -> set[str]:
    plans = store.records(PLAN_ENTITY)
    return set(plans["reference"]) if "reference" in plans.columns else set()


def create_plan(
    store: Store,
    *,
    start: StartPoint,
    goals: Sequence[Goal],
    constraints: Constraints,
    principal: Principal,
    owner: str | None = None,
    reference: str | None = None,
    at: dt.datetime | None = None,
    request_key: str | None = None,
    suggested: Sequence[str] = (),
) -> dict[str, Any]:
    """Create a plan (only the start point's coarse area is kept).

    Checks :data:`~assetmap.access.Operation.CREATE_PLAN` for the new owner.

    Parameters
    ----------
    store
        The register.
    start
        From :func:`resolve_start`; must have a postcode ``area``.
    goals, constraints
        The plan's content.
    principal
        The caller.
    owner
        The staff user whose caseload it joins (the caller by default).
    reference
        A pseudonymous reference; a fresh one when omitted.
    at
        When it takes effect (now by default).
    request_key
        Identifies the form submission (e.g. the search the plan comes from):
        a repeat with the same key creates nothing and returns the first plan
        (:mod:`assetmap.idempotency`).
    suggested
        Ids of services to log as ``suggested`` referrals of the new plan:
        the plan and its referrals are written in one transaction (all or
        nothing); also checks ``log_referral`` for the owner.

    Returns
    -------
    dict
        The stored plan with ``id`` and ``version``.

    Raises
    ------
    AccessDeniedError, SchemaError, ConflictError
        Refused caller; bad content or no coarse area; reference in use.
    """
    owner_id = owner or principal.user_id
    require(principal, Operation.CREATE_PLAN, owner_id=owner_id)
    if start.area is None:
        msg = "No postcode sector is known near this start point; give a postcode instead."
        raise SchemaError(msg)
    existing = _references(store)
    chosen = reference or new_reference(existing)
    if chosen in existing:
        msg = f"The reference {chosen!r} is already used by another plan."
        raise ConflictError(msg)
    record = normalise_plan(
        {
            "reference": chosen,
            "owner": owner_id,
            "home_area": start.area,
            "home_lon": start.coarse_lon,
            "home_lat": start.coarse_lat,
            "goals": [g.to_record() for g in goals],
            "constraints": constraints.to_record(),
            "status": "open",
            "closed_on": None,
        }
    )
    if suggested:
        return _create_plan_with_referrals(
            store, record, suggested, principal=principal, at=at, request_key=request_key
        )
    if request_key is None:
        plan_id = store.add_record(
            PLAN_ENTITY, record, actor=principal.user_id, reason="plan created", at=at
        )
    else:
        plan_id = add_record_once(
            store, PLAN_ENTITY, record, actor=principal.user_id, reason="plan created",
            request_key=request_key,
        )  # fmt: skip
    return store.get_record(PLAN_ENTITY, plan_id)


def _create_plan_with_referrals(
    store: Store,
    record: Mapping[str, Any],
    asset_ids: Sequence[str],
    *,
    principal: Principal,
    at: dt.datetime | None,
    request_key: str | None,
) -> dict[str, Any]:
    """Write a plan and a ``suggested`` referral per service in one transaction."""
    actor = principal.user_id
    require(principal, Operation.LOG_REFERRAL, owner_id=record["owner"])
    unique = list(dict.fromkeys(asset_ids))
    for asset_id in unique:
        store.get_asset(asset_id)  # NotFoundError names the id, before anything is written
    ids: list[str | None]
    if request_key is None:
        plan_id, ids = str(uuid.uuid4()), [None for _ in unique]
    else:
        plan_id = request_record_id(PLAN_ENTITY, actor, request_key)
        ids = [request_record_id(REFERRAL_ENTITY, actor, f"{request_key}:{a}") for a in unique]
    on = (at or dt.datetime.now(dt.UTC)).date()
    referrals = [
        normalise_referral(
            {"plan_id": plan_id, "asset_id": a, "step": "suggested", "on": on, "by": actor}
        )
        for a in unique
    ]
    rows: list[tuple[str, Mapping[str, Any], str | None]] = [(PLAN_ENTITY, record, plan_id)]
    rows += [(REFERRAL_ENTITY, r, i) for r, i in zip(referrals, ids, strict=True)]
    try:
        store.add_records(rows, actor=actor, reason="plan created with suggested services", at=at)
    except IntegrityError:
        if request_key is None:
            raise
        # the same form sent twice: the first plan stands (NotFoundError if not a repeat)
    return store.get_record(PLAN_ENTITY, plan_id)


def get_plan(store: Store, plan_id: str, *, principal: Principal) -> dict[str, Any]:
    """Return a plan (checks VIEW_PLAN against its owner).

    Raises
    ------
    NotFoundError, AccessDeniedError
    """
    plan = store.get_record(PLAN_ENTITY, plan_id)
    require(principal, Operation.VIEW_PLAN, owner_id=plan.get("owner"))
    return plan


def find_plan(store: Store, reference: str, *, principal: Principal) -> dict[str, Any]:
    """Return the plan with this reference (checks VIEW_PLAN against its owner).

    Raises
    ------
    NotFoundError
        If no plan has it (the reference is named; it is pseudonymous).
    """
    plans = store.records(PLAN_ENTITY)
    wanted = str(reference).strip().upper()
    if "reference" in plans.columns:
        hits = plans[plans["reference"] == wanted]
        if len(hits):
            return get_plan(store, str(hits["id"].iloc[0]), principal=principal)
    msg = f"No plan with reference {wanted!r}."
    raise NotFoundError(msg)


def list_plans(store: Store, *, principal: Principal, include_closed: bool = False) -> pd.DataFrame:
    """Return the plans the caller may view: one row each, by reference.

    Columns: ``id``, ``reference``, ``owner``, ``home_area``, ``status``,
    ``n_goals``, ``version``.

    Raises
    ------
    AccessDeniedError
        If the caller's role may not view plans at all.
    """
    require(principal, Operation.VIEW_PLAN, owner_id=principal.user_id)
    plans = store.records(PLAN_ENTITY)
    columns = ["id", "reference", "owner", "home_area", "status", "n_goals", "version"]
    if plans.empty:
        return pd.DataFrame(columns=columns)
    mine = plans[
        [allowed(principal, Operation.VIEW_PLAN, owner_id=o) for o in plans["owner"].tolist()]
    ]
    if not include_closed:
        mine = mine[mine["status"] == "open"]
    out = mine.assign(n_goals=[len(g) for g in mine["goals"]])
    return out[columns].sort_values("reference").reset_index(drop=True)


def update_plan(
    store: Store,
    plan_id: str,
    changes: Mapping[str, Any],
    *,
    expected_version: int,
    principal: Principal,
    reason: str = "plan edited",
) -> dict[str, Any]:
    """Change a plan's goals, constraints, home area or status (a new version).

    Raises
    ------
    AccessDeniedError, SchemaError, ConflictError
        Refused caller; bad content (``owner`` and ``reference`` cannot
        change here); a stale ``expected_version``.
    """
    plan = store.get_record(PLAN_ENTITY, plan_id)
    require(principal, Operation.EDIT_PLAN, owner_id=plan.get("owner"))
    fixed = sorted({"owner", "reference"} & set(changes))
    if fixed:
        msg = f"plan: {', '.join(fixed)} cannot be changed by an edit."
        raise SchemaError(msg)
    current = {k: v for k, v in plan.items() if k in PLAN_FIELDS}
    record = normalise_plan(current | dict(changes))
    return store.edit_record(
        PLAN_ENTITY,
        plan_id,
        record,
        expected_version=expected_version,
        actor=principal.user_id,
        reason=reason,
    )


def close_plan(
    store: Store,
    plan_id: str,
    *,
    expected_version: int,
    principal: Principal,
    on: dt.date | None = None,
) -> dict[str, Any]:
    """Close a plan (status ``closed``, ``closed_on`` the date)."""
    day = on or dt.date.today()
    return update_plan(
        store,
        plan_id,
        {"status": "closed", "closed_on": day.isoformat()},
        expected_version=expected_version,
        principal=principal,
        reason="plan closed",
    )


# ---------------------------------------------------------------- referrals


def normalise_referral(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return a checked referral step record.

    Raises
    ------
    SchemaError
        Naming the field (a ``stopped`` step needs a reason).
    """
    where = "referral"
    _check_fields(data, REFERRAL_FIELDS, where)
    step = data.get("step")
    if step not in REFERRAL_STEPS:
        msg = f"{where}: `step` must be one of {', '.join(REFERRAL_STEPS)}, got {step!r}."
        raise SchemaError(msg)
    reason = data.get("reason")
    if reason is not None:
        if not isinstance(reason, str):
            msg = f"{where}: `reason` must be text."
            raise SchemaError(msg)
        reason = " ".join(reason.split()) or None
        if reason is not None and len(reason) > MAX_REASON_CHARS:
            msg = (
                f"{where}: `reason` is {len(reason):,} characters; the limit is {MAX_REASON_CHARS}."
            )
            raise SchemaError(msg)
    if step == "stopped" and reason is None:
        msg = f"{where}: a `stopped` step needs a reason."
        raise SchemaError(msg)
    for key in ("plan_id", "asset_id"):
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            msg = f"{where}: `{key}` is required."
            raise SchemaError(msg)
    return {
        "plan_id": str(data["plan_id"]),
        "asset_id": str(data["asset_id"]),
        "step": step,
        "on": iso_date(data.get("on"), "on", where),
        "by": _user_id(data.get("by"), "by", where),
        "reason": reason,
    }


def _referral_for(store: Store, plan_id: str, asset_id: str) -> dict[str, Any] | None:
    referrals = store.records(REFERRAL_ENTITY)
    if referrals.empty:
        return None
    hits = referrals[(referrals["plan_id"] == plan_id) & (referrals["asset_id"] == asset_id)]
    if hits.empty:
        return None
    return store.get_record(REFERRAL_ENTITY, str(hits["id"].iloc[0]))


def log_referral(
    store: Store,
    plan_id: str,
    asset_id: str,
    step: str,
    *,
    principal: Principal,
    on: dt.date | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """Log a step (suggested ... stopped) for a plan and a service: a new version.

    Checks :data:`~assetmap.access.Operation.LOG_REFERRAL` against the plan's owner.

    Returns
    -------
    dict
        The referral record as it now stands (``version`` counts the steps).

    Raises
    ------
    NotFoundError
        If the plan or the service does not exist.
    SchemaError
        A bad step, date or missing reason for ``stopped``.
    """
    plan = store.get_record(PLAN_ENTITY, plan_id)
    require(principal, Operation.LOG_REFERRAL, owner_id=plan.get("owner"))
    store.get_asset(asset_id)  # NotFoundError names the id
    record = normalise_referral(
        {
            "plan_id": plan_id,
            "asset_id": asset_id,
            "step": step,
            "on": on or dt.date.today(),
            "by": principal.user_id,
            "reason": reason,
        }
    )
    current = _referral_for(store, plan_id, asset_id)
    why = f"referral step: {step}"
    if current is not None and all(current.get(k) == v for k, v in record.items()):
        return current  # the same step logged again (a double click): nothing new
    if current is None:
        rid = store.add_record(REFERRAL_ENTITY, record, actor=principal.user_id, reason=why)
        return store.get_record(REFERRAL_ENTITY, rid)
    return store.edit_record(
        REFERRAL_ENTITY,
        str(current["id"]),
        record,
        expected_version=int(current["version"]),
        actor=principal.user_id,
        reason=why,
    )


def referral_log(store: Store, plan_id: str, *, principal: Principal) -> pd.DataFrame:
    """Return every referral step of a plan, oldest first (from the versioned history).

    Columns: ``asset_id``, ``step``, ``on``, ``by``, ``reason``, ``version``,
    ``recorded_at``.
    """
    get_plan(store, plan_id, principal=principal)
    columns = ["asset_id", "step", "on", "by", "reason", "version", "recorded_at"]
    referrals = store.records(REFERRAL_ENTITY)
    if referrals.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for rid in referrals.loc[referrals["plan_id"] == plan_id, "id"]:
        history = store.history(REFERRAL_ENTITY, str(rid))
        for version, recorded, data in zip(
            history["version"], history["recorded_at"], history["data"], strict=True
        ):
            if isinstance(data, Mapping) and isinstance(data.get("data"), Mapping):
                data = data["data"]  # history keeps the whole row; its content is under "data"
            if data:
                rows.append({**{k: data.get(k) for k in columns[:5]}, "version": int(version),
                             "recorded_at": recorded})  # fmt: skip
    frame = pd.DataFrame(rows, columns=columns)
    frame = frame.sort_values(["recorded_at", "version"], kind="stable").reset_index(drop=True)
    reasons = frame["reason"].astype(object)
    frame["reason"] = reasons.where(reasons.notna(), None)
    return frame


# ---------------------------------------------------------------- accessible range


def _month_points(start: dt.date, end: dt.date, months: int) -> list[dt.datetime]:
    points = []
    year, month = end.year, end.month
    for _ in range(months):
        points.append(dt.datetime(year, month, 1, tzinfo=dt.UTC))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        if dt.date(year, month, 1) < dt.date(start.year, start.month, 1):
            break
    return sorted(points)


def plan_range_over_time(
    store: Store,
    graph: WalkGraph,
    plan: Mapping[str, Any],
    *,
    principal: Principal,
    months: int = 12,
    now: dt.datetime | None = None,
    since: dt.date | None = None,
) -> pd.DataFrame:
    """Return a plan's accessible range now and at the start of past months.

    The range is the distinct categories and needs reachable on foot from
    the plan's coarse home point within its ``max_minutes``
    (:func:`assetmap.reach.coverage.accessible_range`), on the register as it
    stood at each moment (:meth:`Store.register_as_of`).

    Parameters
    ----------
    store, graph
        The register and its walking graph (build the graph once).
    plan
        A plan record (from :func:`get_plan`).
    principal
        The caller (VIEW_PLAN on the plan's owner).
    months
        How many monthly points before now (1-60).
    now
        The latest moment (now by default).
    since
        No points before this date (e.g. the register's first import).

    Returns
    -------
    pandas.DataFrame
        ``as_of`` (UTC), ``n_categories``, ``n_needs``, ``categories``,
        ``needs``; oldest first, the last row is now.
    """
    from assetmap.reach.coverage import accessible_range

    require(principal, Operation.VIEW_PLAN, owner_id=plan.get("owner"))
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 60:
        msg = f"`months` must be a whole number from 1 to 60, got {months!r}."
        raise ValueError(msg)
    moment = now or dt.datetime.now(dt.UTC)
    first = since or (moment.date() - dt.timedelta(days=31 * months))
    points = [p for p in _month_points(first, moment.date(), months) if p < moment] + [moment]
    minutes = float(plan["constraints"]["max_minutes"])
    rows = []
    for when in points:
        assets = store.register_as_of(when)
        if assets.empty:
            rows.append({"as_of": when, "n_categories": 0, "n_needs": 0,
                         "categories": (), "needs": ()})  # fmt: skip
            continue
        reach = accessible_range(
            graph, assets, [plan["home_lon"]], [plan["home_lat"]], minutes=minutes
        )
        first_row = reach.iloc[0]
        rows.append(
            {
                "as_of": when,
                "n_categories": int(first_row["n_categories"]),
                "n_needs": int(first_row["n_needs"]),
                "categories": first_row["categories"],
                "needs": first_row["needs"],
            }
        )
    frame = pd.DataFrame(rows)
    frame["as_of"] = pd.to_datetime(frame["as_of"], utc=True)
    return frame


def workspace_settlements(workspace: Workspace) -> tuple[Settlement, ...]:
    """Towns, villages and hamlets of the workspace's OpenStreetMap extract, towns first.

    What a search may name as where to look ("a chapel in exton"); none when the
    workspace has no OpenStreetMap file.
    """
    from assetmap.dashboard import workspace_places

    return tuple(
        Settlement(p.name, p.kind, p.lon, p.lat)
        for p in workspace_places(workspace)
        if p.kind in SETTLEMENT_KINDS
    )


def find_support(
    workspace: Workspace,
    start: str | tuple[float, float] | StartPoint,
    goals: Sequence[Goal],
    constraints: Constraints,
    *,
    principal: Principal,
    context: MatchContext | None = None,
    limit: int = 10,
    mode: str = "walk",
    depart: str = "Tue 08:00-09:00",
) -> tuple[StartPoint, tuple[GoalMatch, ...]]:
    """Resolve a start point and match goals from it, on a workspace (CLI and app).

    ``mode="transit"`` ranks by walk + public transport over the ``depart``
    window (the workspace needs a timetable) and names the route in the reasons
    (each result's ``route`` gives it step by step); ``mode="bike"`` ranks by
    cycling time (the workspace needs its cycling network).

    Parameters
    ----------
    workspace
        The open workspace.
    start
        What the worker typed (see :func:`resolve_start`) or a resolved point.
    goals, constraints
        What to look for, and what the person can use.
    principal
        The caller (FIND_SUPPORT).
    context
        From :func:`~assetmap.match.needs.prepare_matching` on this
        workspace; built (register + cached graph) when omitted.
    limit
        Most services per goal.

    Raises
    ------
    AssetMapError
        Any of :func:`resolve_start` and :func:`~assetmap.match.needs.match_plan`.
    """
    require(principal, Operation.FIND_SUPPORT)
    if context is None:
        graph = walk_graph_for(workspace.network_path)
        context = prepare_matching(
            workspace.store().assets(), graph, places=workspace_settlements(workspace)
        )
    point = (
        start
        if isinstance(start, StartPoint)
        else resolve_start(workspace, start, graph=context.graph, assets=context.assets)
    )
    travel = None
    if mode == "transit":
        from assetmap.transit_service import transit_travel

        travel = transit_travel(workspace, context.graph, context.snapped, depart)
    elif mode == "bike":
        from assetmap.transit_service import bike_travel

        points = context.assets.geometry.representative_point()
        travel = bike_travel(workspace, points.x.to_numpy(), points.y.to_numpy())
    elif mode not in FIND_MODES:
        msg = f"Find support ranks by {', '.join(FIND_MODES)}, got mode {mode!r}."
        raise QueryError(msg)
    matches = match_plan(
        context,
        point.lon,
        point.lat,
        goals,
        constraints,
        principal=principal,
        limit=limit,
        travel=travel,
    )
    return point, matches
