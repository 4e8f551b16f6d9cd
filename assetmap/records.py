"""Gap and mapping-session records: their fields, checked before they are stored.

Both are kept as versioned generic records (:meth:`assetmap.store.Store.add_record`)
under the entity names :data:`GAP_ENTITY` and :data:`SESSION_ENTITY`. Neither
holds a person's name: a session has a group label and a head count, and a gap
has a place that is never finer than about a hundred metres.

Examples
--------
>>> gap = normalise_gap({"need": "accommodation", "lon": -0.72712, "lat": 52.67034,
...                      "note": "Nowhere to ask about housing after 5pm"})
>>> gap["lon"], gap["lat"], gap["status"]
(-0.727, 52.67, 'open')
>>> normalise_session({"date": "2026-11-03", "area": "Oakham", "group_label": "Tuesday group",
...                    "facilitator": "fac-1", "participants": 6})["status"]
'open'
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from assetmap.errors import ConflictError, NotFoundError, SchemaError
from assetmap.fields import clean_text
from assetmap.taxonomy import Taxonomy, load_taxonomy

if TYPE_CHECKING:
    from assetmap.store import Store

GAP_ENTITY: Final = "gap"
SESSION_ENTITY: Final = "session"

GAP_STATUSES: Final = ("open", "closed")
SESSION_STATUSES: Final = ("open", "closed")

#: Decimal places kept for a gap's point: 3 is about 70-110 m in England.
COARSE_DECIMALS: Final = 3
MAX_NOTE_CHARS: Final = 2000
MAX_LABEL_CHARS: Final = 200

_GAP_FIELDS: Final = frozenset(
    {"need", "category", "area", "lon", "lat", "note", "session_id", "status", "reported_by"}
)
_SESSION_FIELDS: Final = frozenset(
    {"date", "area", "group_label", "facilitator", "participants", "status", "notes"}
)


def _text(data: Mapping[str, Any], key: str, *, where: str, limit: int) -> str | None:
    return clean_text(data.get(key), key, where, limit=limit)


def _unknown(data: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        msg = f"{where}: unknown field(s) {', '.join(map(repr, extra))}."
        raise SchemaError(msg)


def _coarse(value: Any, key: str, low: float, high: float, where: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        msg = f"{where}: `{key}` must be a number, got {value!r}."
        raise SchemaError(msg) from None
    if not math.isfinite(number) or not low <= number <= high:
        msg = f"{where}: `{key}` {value!r} is outside {low}..{high}."
        raise SchemaError(msg)
    return round(number, COARSE_DECIMALS)


def normalise_gap(
    data: Mapping[str, Any], *, taxonomy: Taxonomy | None = None, where: str = "gap"
) -> dict[str, Any]:
    """Return a checked gap record: an unmet need at a place or in an area.

    Parameters
    ----------
    data
        ``need`` (a need code, required), ``category`` (a category code),
        ``area`` (a label such as a postcode sector or LSOA code), ``lon``/``lat``
        (rounded to :data:`COARSE_DECIMALS` places), ``note`` (in the group's
        own words), ``session_id``, ``status`` (``open`` by default) and
        ``reported_by`` (a user id or participant label, never a name).
    taxonomy
        To check the codes; the project's taxonomy by default.
    where
        Names the record in error messages.

    Raises
    ------
    SchemaError
        Naming the field.
    """
    tax = taxonomy or load_taxonomy()
    _unknown(data, _GAP_FIELDS, where)
    need = data.get("need")
    if not need or need not in tax.needs:
        msg = f"{where}: `need` must be one of the taxonomy's need codes, got {need!r}."
        raise SchemaError(msg)
    category = data.get("category") or None
    if category is not None and category not in tax.categories:
        msg = f"{where}: `category` {category!r} is not a taxonomy category."
        raise SchemaError(msg)
    lon = _coarse(data.get("lon"), "lon", -180.0, 180.0, where)
    lat = _coarse(data.get("lat"), "lat", -90.0, 90.0, where)
    if (lon is None) != (lat is None):
        msg = f"{where}: give both `lon` and `lat`, or neither."
        raise SchemaError(msg)
    area = _text(data, "area", where=where, limit=MAX_LABEL_CHARS)
    if area is None and lon is None:
        msg = f"{where}: a gap needs a place (`lon`/`lat`) or an `area`."
        raise SchemaError(msg)
    status = data.get("status") or "open"
    if status not in GAP_STATUSES:
        msg = f"{where}: `status` must be one of {GAP_STATUSES}, got {status!r}."
        raise SchemaError(msg)
    return {
        "need": need,
        "category": category,
        "area": area,
        "lon": lon,
        "lat": lat,
        "note": _text(data, "note", where=where, limit=MAX_NOTE_CHARS),
        "session_id": _text(data, "session_id", where=where, limit=MAX_LABEL_CHARS),
        "status": status,
        "reported_by": _text(data, "reported_by", where=where, limit=MAX_LABEL_CHARS),
    }


def normalise_session(data: Mapping[str, Any], *, where: str = "session") -> dict[str, Any]:
    """Return a checked mapping-session record (no participant names, only a count).

    Parameters
    ----------
    data
        ``date`` (ISO date, required), ``area`` and ``group_label`` (text,
        required), ``facilitator`` (a user id, required), ``participants``
        (a whole number, 0-100), ``status`` (``open``/``closed``), ``notes``.
    where
        Names the record in error messages.

    Raises
    ------
    SchemaError
        Naming the field.
    """
    _unknown(data, _SESSION_FIELDS, where)
    raw_date = data.get("date")
    try:
        date = raw_date if isinstance(raw_date, dt.date) else dt.date.fromisoformat(str(raw_date))
    except ValueError:
        msg = f"{where}: `date` must be an ISO date like 2026-11-03, got {raw_date!r}."
        raise SchemaError(msg) from None
    out: dict[str, Any] = {"date": date.isoformat()}
    for key in ("area", "group_label", "facilitator"):
        value = _text(data, key, where=where, limit=MAX_LABEL_CHARS)
        if value is None:
            msg = f"{where}: `{key}` is required."
            raise SchemaError(msg)
        out[key] = value
    participants = data.get("participants", 0)
    if isinstance(participants, bool) or not isinstance(participants, int | float):
        msg = f"{where}: `participants` must be a whole number, got {participants!r}."
        raise SchemaError(msg)
    if participants != int(participants) or not 0 <= participants <= 100:
        msg = f"{where}: `participants` must be a whole number from 0 to 100, got {participants!r}."
        raise SchemaError(msg)
    out["participants"] = int(participants)
    status = data.get("status") or "open"
    if status not in SESSION_STATUSES:
        msg = f"{where}: `status` must be one of {SESSION_STATUSES}, got {status!r}."
        raise SchemaError(msg)
    out["status"] = status
    out["notes"] = _text(data, "notes", where=where, limit=MAX_NOTE_CHARS)
    return out


def session_record(store: Store, session_id: str) -> dict[str, Any]:
    """Return a mapping session's record.

    Raises
    ------
    NotFoundError
        If there is no such session.
    """
    try:
        return store.get_record(SESSION_ENTITY, session_id)
    except NotFoundError:
        msg = f"No mapping session with id {session_id!r}."
        raise NotFoundError(msg) from None


def open_session_record(store: Store, session_id: str) -> dict[str, Any]:
    """Return a mapping session's record if it is still open.

    Every contribution to a session (a place, gap, comment, idea, vote) and
    every join code checks this, so nothing is added once it has ended.

    Raises
    ------
    NotFoundError
        If there is no such session.
    ConflictError
        If it has been closed.
    """
    session = session_record(store, session_id)
    if session.get("status") != "open":
        msg = "This mapping session has been closed; nothing more can be added to it."
        raise ConflictError(msg)
    return session
