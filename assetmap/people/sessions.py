"""Facilitated mapping sessions: contributions, moderation, summary and freshness.

A facilitator starts a session (:func:`start_session`) and gives the group a
code (:func:`assetmap.people.accounts.issue_session_code`). Participants who join
with it are :class:`~assetmap.access.Principal` objects scoped to that session.
What they add is tagged with the session's id and enters as *proposed*:

* assets and volunteering opportunities (:func:`propose_asset`,
  :func:`propose_volunteering`) go into the register with status ``proposed``
  and ``session_id`` set;
* gaps (:func:`add_gap`), comments and ratings on an existing asset
  (:func:`add_comment`), ideas for new services (:func:`add_idea`) and votes
  (:func:`vote_idea`) are versioned generic records (entities ``gap``,
  ``comment``, ``idea``, ``vote``) carrying the ``session_id``.

The facilitator then works through the moderation queue
(:func:`moderation_queue`): :func:`accept_proposal` (with edits; the asset
becomes ``verified``), :func:`merge_proposal` (into an asset already in the
register; :func:`undo_merge` takes it back) or :func:`reject_proposal` (with a
reason: the asset is kept with status ``rejected``, never deleted). Every step
is a version in the store's history.

:func:`session_summary` counts what a session added, in figures a person can
check by hand, and, given a walking graph, what it added to coverage (the
accessible range before the session and with its accepted assets);
:mod:`assetmap.output.session_summary` renders it (CSV, HTML, PDF).

Who sees what
-------------
Every function takes a keyword ``principal`` and checks it first
(:func:`assetmap.access.require`). A participant sees the register without
anyone's unmoderated proposals but their own session's
(:func:`visible_register`), their own session's contributions
(:func:`session_contributions`, :func:`session_records`), and nothing else:
other sessions, life plans, referrals, accounts and session codes are refused.

Examples
--------
>>> from assetmap.access import Principal, Role
>>> from assetmap.store import Store
>>> store = Store("sqlite://")
>>> fran = Principal("fran", Role.FACILITATOR)
>>> sid = start_session(store, principal=fran, date="2026-11-03", area="Oakham",
...                     group_label="Tuesday group", participants=5)
>>> guest = Principal("p-1", Role.PARTICIPANT, session_id=sid)
>>> aid = propose_asset(store, sid, {"name": "Oakham Library", "lon": -0.727, "lat": 52.670,
...                                  "categories": ["library"]}, principal=guest)
>>> store.get_asset(aid)["status"]
'proposed'
>>> accept_proposal(store, aid, principal=fran, reason="checked")["status"]
'verified'
>>> session_summary(store, sid, principal=fran).accepted
1
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy.exc import IntegrityError

from assetmap.access import Operation, Principal, Role, require
from assetmap.errors import (
    AccessDeniedError,
    ConflictError,
    NotFoundError,
    SchemaError,
)
from assetmap.geo import haversine_m
from assetmap.idempotency import add_asset_once, add_record_once
from assetmap.match.dedupe import name_similarity
from assetmap.match.normalize import normalise_name
from assetmap.output.session_summary import SessionSummary
from assetmap.records import (
    GAP_ENTITY,
    MAX_NOTE_CHARS,
    SESSION_ENTITY,
    _text,
    normalise_gap,
    normalise_session,
    open_session_record,
    session_record,
)
from assetmap.store import Store
from assetmap.taxonomy import Taxonomy, load_taxonomy
from assetmap.views import view_register
from assetmap.wording import uk_date

__all__ = [
    "BARRIERS",
    "COMMENT_ENTITY",
    "IDEA_ENTITY",
    "IDEA_LABELS",
    "SESSION_RECORD_ENTITIES",
    "VOTE_ENTITY",
    "SessionSummary",
    "accept_proposal",
    "add_comment",
    "add_gap",
    "add_idea",
    "close_session",
    "get_session",
    "ideas_table",
    "ideas_with_votes",
    "likely_duplicates",
    "list_sessions",
    "merge_proposal",
    "merged_proposals",
    "moderate_comment",
    "moderation_queue",
    "propose_asset",
    "propose_volunteering",
    "queue_duplicates",
    "reject_proposal",
    "session_contributions",
    "session_labels",
    "session_records",
    "session_summary",
    "start_session",
    "undo_merge",
    "visible_register",
    "vote_idea",
]

logger = logging.getLogger(__name__)

COMMENT_ENTITY: Final = "comment"
IDEA_ENTITY: Final = "idea"
VOTE_ENTITY: Final = "vote"
#: The generic-record entities a session holds; anything else (plans, users,
#: referrals, session codes) is never returned by this module.
SESSION_RECORD_ENTITIES: Final = (GAP_ENTITY, COMMENT_ENTITY, IDEA_ENTITY, VOTE_ENTITY)

#: Barriers a comment may name, in the words the page shows.
BARRIERS: Final[Mapping[str, str]] = {
    "cost": "Cost",
    "distance": "Distance",
    "opening_hours": "Opening hours",
    "convictions": "Attitude to convictions",
}
COMMENT_STATUSES: Final = ("proposed", "accepted", "rejected")
SESSION_SOURCE: Final = "session"
WELCOMING_FLAG: Final = "welcoming"
UNWELCOMING_FLAG: Final = "not_welcoming"
_VOTE_NAMESPACE: Final = uuid.UUID("5d0c9a43-31a3-4a8e-9a52-2f1b3d4a6c01")

# What a contribution form may send for an asset (beyond these: SchemaError).
_ASSET_INPUT: Final = frozenset(
    {
        "name",
        "kind",
        "categories",
        "description",
        "organisation",
        "address",
        "postcode",
        "opening_hours",
        "phone",
        "email",
        "website",
        "cost",
        "referral_required",
        "women_only",
        "welcoming",
        "convictions",
        "wheelchair",
        "dbs_check",
        "lon",
        "lat",
    }
)
_EDITABLE: Final = _ASSET_INPUT - {"women_only", "welcoming"} | {"gender", "flags"}


# ---------------------------------------------------------------------- helpers
def _check_text(value: Any, key: str, *, where: str, required: bool = False) -> str | None:
    text = _text({key: value}, key, where=where, limit=MAX_NOTE_CHARS)
    if text is None and required:
        msg = f"{where}: `{key}` is required."
        raise SchemaError(msg)
    return text


def _is_participant(principal: Principal) -> bool:
    return principal.role is Role.PARTICIPANT


def _proposal(store: Store, asset_id: str) -> dict[str, Any]:
    asset = store.get_asset(asset_id)
    if not asset.get("session_id"):
        msg = f"Asset {asset_id} was not proposed in a mapping session."
        raise SchemaError(msg)
    return asset


def _pending(asset: Mapping[str, Any]) -> None:
    if asset["status"] != "proposed":
        msg = f"Asset {asset['id']} is {asset['status']}, not waiting for moderation."
        raise ConflictError(msg)


# ---------------------------------------------------------------------- sessions
def start_session(
    store: Store,
    *,
    principal: Principal,
    date: str | dt.date,
    area: str,
    group_label: str,
    participants: int = 0,
    notes: str | None = None,
) -> str:
    """Start a mapping session and return its id (checks ``start_session``).

    Parameters
    ----------
    store
        The register store.
    principal
        The facilitator; recorded as the session's facilitator.
    date, area, group_label, participants, notes
        The session record (:func:`assetmap.records.normalise_session`): no
        participant names, only a head count.

    Raises
    ------
    AccessDeniedError, SchemaError
    """
    require(principal, Operation.START_SESSION)
    record = normalise_session(
        {
            "date": date,
            "area": area,
            "group_label": group_label,
            "facilitator": principal.user_id,
            "participants": participants,
            "notes": notes,
        }
    )
    session_id = store.add_record(
        SESSION_ENTITY, record, actor=principal.user_id, reason="mapping session started"
    )
    logger.info("mapping session %s started", session_id)
    return session_id


def get_session(store: Store, session_id: str, *, principal: Principal) -> dict[str, Any]:
    """Return a session record (checks ``view_session_proposals`` in that session)."""
    require(principal, Operation.VIEW_SESSION_PROPOSALS, session_id=session_id)
    return session_record(store, session_id)


def close_session(store: Store, session_id: str, *, principal: Principal) -> dict[str, Any]:
    """Close a session: no more contributions, its join codes stop working.

    Checks ``start_session``. Returns the closed session record.
    """
    require(principal, Operation.START_SESSION, session_id=session_id)
    from assetmap.people.accounts import revoke_session_codes

    session = open_session_record(store, session_id)
    closed = store.edit_record(
        SESSION_ENTITY,
        session_id,
        {"status": "closed"},
        expected_version=int(session["version"]),
        actor=principal.user_id,
        reason="mapping session closed",
        action="close",
    )
    revoke_session_codes(store, session_id, actor=principal)
    return closed


def list_sessions(store: Store, *, principal: Principal) -> pd.DataFrame:
    """Return every session (checks ``moderate``), newest date first.

    Columns: id, date, area, group_label, participants, status, facilitator.
    """
    require(principal, Operation.MODERATE)
    columns = ["id", "date", "area", "group_label", "participants", "status", "facilitator"]
    frame = store.records(SESSION_ENTITY)
    if frame.empty:
        return pd.DataFrame(columns=columns)
    return frame[columns].sort_values(["date", "id"], ascending=[False, True], ignore_index=True)


UK_TIME: Final = ZoneInfo("Europe/London")
_STATUS_WORDS: Final = {"open": "open", "closed": "ended"}


def session_label(record: Mapping[str, Any], started: dt.datetime | None) -> str:
    """Return words that tell one session from another on the same day, for a picker.

    The date in words, the time it started (UK time), the group, the area and
    a short reference (the first 4 characters of its id).

    >>> when = dt.datetime(2026, 12, 1, 14, 5, tzinfo=dt.timezone.utc)
    >>> session_label({"id": "4c0df9f3-85cc", "date": "2026-12-01", "group_label": "Tuesday group",
    ...                "area": "Oakham", "status": "open"}, when)
    '1 December 2026, started 14:05 · Tuesday group · Oakham · ref 4C0D (open)'
    """
    parts = [uk_date(record["date"])]
    if started is not None:
        parts[0] += f", started {started.astimezone(UK_TIME):%H:%M}"
    parts += [str(record.get(c) or "") for c in ("group_label", "area")]
    parts.append(f"ref {str(record['id'])[:4].upper()}")
    status = _STATUS_WORDS.get(str(record.get("status")), str(record.get("status")))
    return " · ".join(p for p in parts if p) + f" ({status})"


def session_labels(
    store: Store, *, principal: Principal, status: str | None = None
) -> dict[str, str]:
    """Return ``{session id: label}`` (:func:`session_label`), newest date first.

    Checks ``moderate``. With ``status`` (``"open"``), only those sessions.
    Two groups on the same day in the same area are told apart by start time
    and reference.
    """
    sessions = list_sessions(store, principal=principal)
    if status is not None:
        sessions = sessions[sessions["status"] == status]
    labels = {}
    for record in sessions.to_dict("records"):
        history = store.history(SESSION_ENTITY, str(record["id"]))
        first = pd.to_datetime(history["valid_from"], utc=True).min() if len(history) else None
        started = None if first is None or pd.isna(first) else first.to_pydatetime()
        labels[str(record["id"])] = session_label({str(k): v for k, v in record.items()}, started)
    return labels


# ---------------------------------------------------------------------- contributions
def _asset_record(data: Mapping[str, Any], *, where: str) -> dict[str, Any]:
    unknown = sorted(set(data) - _ASSET_INPUT)
    if unknown:
        msg = f"{where}: unknown field(s) {', '.join(map(repr, unknown))}."
        raise SchemaError(msg)
    record = {k: v for k, v in data.items() if k not in {"women_only", "welcoming"}}
    if data.get("women_only"):
        record["gender"] = "women"
    welcoming = data.get("welcoming")
    if welcoming is not None:
        record["flags"] = (WELCOMING_FLAG if welcoming else UNWELCOMING_FLAG,)
    return record


def propose_asset(
    store: Store,
    session_id: str,
    data: Mapping[str, Any],
    *,
    principal: Principal,
    request_key: str | None = None,
) -> str:
    """Add an asset the group knows, as *proposed*, tagged with the session.

    Checks ``propose_asset`` in ``session_id``.

    Parameters
    ----------
    store
        The register store.
    session_id
        The open session it is proposed in.
    data
        ``name``, ``lon``/``lat`` (required), ``kind``, ``categories``, how to
        get in (``opening_hours``, ``cost``, ``referral_required``,
        ``welcoming`` (bool, kept as a flag), ``women_only`` (bool, kept as
        ``gender="women"``), ``convictions``, ``wheelchair``) and contact
        details (``address``, ``postcode``, ``phone``, ``website``, ...).
    principal
        Who proposes it.
    request_key
        Identifies the form submission: a repeat (a double click) proposes
        nothing new and returns the first id (:mod:`assetmap.idempotency`).

    Returns
    -------
    str
        The new asset's id.

    Raises
    ------
    AccessDeniedError, ConflictError (the session is closed), SchemaError
    """
    require(principal, Operation.PROPOSE_ASSET, session_id=session_id)
    open_session_record(store, session_id)
    record = _asset_record(data, where="proposed asset")
    record |= {
        "status": "proposed",
        "session_id": session_id,
        "source": SESSION_SOURCE,
        "source_id": None,
    }
    return add_asset_once(
        store,
        record,
        actor=principal.user_id,
        reason=f"proposed in mapping session {session_id}",
        action="propose",
        request_key=request_key,
    )


def propose_volunteering(
    store: Store,
    session_id: str,
    *,
    principal: Principal,
    what: str,
    lon: float,
    lat: float,
    when: str | None = None,
    organisation: str | None = None,
    dbs_check: bool | None = None,
    open_to_convictions: bool | None = None,
    categories: Sequence[str] = (),
    description: str | None = None,
    request_key: str | None = None,
) -> str:
    """Add a volunteering opportunity (an asset of kind ``volunteering``), as *proposed*.

    Checks ``propose_asset`` in ``session_id``. ``open_to_convictions`` is
    kept as ``convictions`` = ``welcome`` (True) or ``not_accepted`` (False);
    ``request_key`` as for :func:`propose_asset`.

    Returns
    -------
    str
        The new asset's id.
    """
    require(principal, Operation.PROPOSE_ASSET, session_id=session_id)
    convictions = (
        None
        if open_to_convictions is None
        else ("welcome" if open_to_convictions else "not_accepted")
    )
    data: dict[str, Any] = {
        "name": what,
        "kind": "volunteering",
        "lon": lon,
        "lat": lat,
        "opening_hours": when,
        "organisation": organisation,
        "dbs_check": dbs_check,
        "convictions": convictions,
        "categories": list(categories),
        "description": description,
    }
    return propose_asset(store, session_id, data, principal=principal, request_key=request_key)


def add_gap(
    store: Store,
    session_id: str,
    data: Mapping[str, Any],
    *,
    principal: Principal,
    taxonomy: Taxonomy | None = None,
    request_key: str | None = None,
) -> str:
    """Record a gap (a need with no answer nearby) named in the session.

    Checks ``add_gap`` in ``session_id``. ``data`` as for
    :func:`assetmap.records.normalise_gap` (``need``, ``category``, ``area`` or
    ``lon``/``lat``, ``note``); the session and reporter are filled in.
    ``request_key`` as for :func:`propose_asset`.

    Returns
    -------
    str
        The gap's id.
    """
    require(principal, Operation.ADD_GAP, session_id=session_id)
    open_session_record(store, session_id)
    record = normalise_gap(
        {**data, "session_id": session_id, "reported_by": principal.user_id}, taxonomy=taxonomy
    )
    return add_record_once(
        store,
        GAP_ENTITY,
        record,
        actor=principal.user_id,
        reason=f"gap named in session {session_id}",
        request_key=request_key,
    )


def add_comment(
    store: Store,
    session_id: str,
    asset_id: str,
    *,
    principal: Principal,
    welcoming: int | None = None,
    barriers: Iterable[str] = (),
    note: str | None = None,
    request_key: str | None = None,
) -> str:
    """Comment on or rate an asset in the register (entity ``comment``, *proposed*).

    Checks ``add_comment`` in ``session_id``; the asset must be one the
    caller can see (:func:`visible_register`).

    Parameters
    ----------
    store, session_id, asset_id
        Where, and on what.
    principal
        Who comments.
    welcoming
        How welcoming it felt, 1 (not at all) to 5 (very).
    barriers
        Codes from :data:`BARRIERS` met there.
    note
        In the group's own words.
    request_key
        As for :func:`propose_asset`.

    Returns
    -------
    str
        The comment's id.
    """
    require(principal, Operation.ADD_COMMENT, session_id=session_id)
    open_session_record(store, session_id)
    asset = store.get_asset(asset_id)
    if not _can_see_asset(principal, asset):
        msg = f"No asset with id {asset_id!r}."
        raise NotFoundError(msg)
    where = f"comment on {asset_id}"
    if welcoming is not None and (
        isinstance(welcoming, bool) or not isinstance(welcoming, int) or not 1 <= welcoming <= 5
    ):
        msg = f"{where}: `welcoming` must be a whole number from 1 to 5, got {welcoming!r}."
        raise SchemaError(msg)
    codes = sorted(set(barriers))
    unknown = [c for c in codes if c not in BARRIERS]
    if unknown:
        msg = f"{where}: unknown barrier(s) {', '.join(map(repr, unknown))}."
        raise SchemaError(msg)
    text = _check_text(note, "note", where=where)
    if welcoming is None and not codes and text is None:
        msg = f"{where}: give a rating, a barrier or a note."
        raise SchemaError(msg)
    record = {
        "asset_id": asset_id,
        "session_id": session_id,
        "welcoming": welcoming,
        "barriers": codes,
        "note": text,
        "status": "proposed",
        "reported_by": principal.user_id,
    }
    return add_record_once(
        store,
        COMMENT_ENTITY,
        record,
        actor=principal.user_id,
        reason=f"comment in session {session_id}",
        request_key=request_key,
    )


def add_idea(
    store: Store,
    session_id: str,
    gap_id: str,
    *,
    principal: Principal,
    what: str,
    for_whom: str | None = None,
    needs: str | None = None,
    request_key: str | None = None,
) -> str:
    """Write an idea for a new service that would answer a gap (entity ``idea``).

    Checks ``add_gap`` in ``session_id``: ideas grow from the gaps a session
    names, so a participant may only start from a gap of their own session.
    ``request_key`` as for :func:`propose_asset`.

    Returns
    -------
    str
        The idea's id.
    """
    require(principal, Operation.ADD_GAP, session_id=session_id)
    open_session_record(store, session_id)
    gap = store.get_record(GAP_ENTITY, gap_id)
    if _is_participant(principal) and gap.get("session_id") != session_id:
        msg = f"No gap with id {gap_id!r}."
        raise NotFoundError(msg)
    where = "idea"
    record = {
        "gap_id": gap_id,
        "session_id": session_id,
        "need": gap.get("need"),
        "area": gap.get("area"),
        "lon": gap.get("lon"),
        "lat": gap.get("lat"),
        "what": _check_text(what, "what", where=where, required=True),
        "for_whom": _check_text(for_whom, "for_whom", where=where),
        "needs": _check_text(needs, "needs", where=where),
        "status": "open",
        "reported_by": principal.user_id,
    }
    return add_record_once(
        store,
        IDEA_ENTITY,
        record,
        actor=principal.user_id,
        reason=f"idea in session {session_id}",
        request_key=request_key,
    )


def vote_idea(store: Store, idea_id: str, *, principal: Principal) -> str:
    """Vote for an idea: one vote per person per idea (checks ``vote_idea``).

    The vote's id is derived from the idea and the voter, so two votes by the
    same person cannot both be stored, even at the same moment.

    Raises
    ------
    ConflictError
        If this person has voted for this idea already, or its session has ended.
    """
    idea = store.get_record(IDEA_ENTITY, idea_id)
    require(principal, Operation.VOTE_IDEA, session_id=idea.get("session_id"))
    if idea.get("session_id"):
        open_session_record(store, str(idea["session_id"]))
    vote_id = str(uuid.uuid5(_VOTE_NAMESPACE, f"{idea_id}:{principal.user_id}"))
    try:
        return store.add_record(
            VOTE_ENTITY,
            {
                "idea_id": idea_id,
                "session_id": idea.get("session_id"),
                "voter": principal.user_id,
                "status": "cast",
            },
            actor=principal.user_id,
            reason="vote",
            record_id=vote_id,
        )
    except IntegrityError:
        msg = "You have voted for this idea already."
        raise ConflictError(msg) from None


def ideas_with_votes(
    store: Store, *, principal: Principal, session_id: str | None = None
) -> pd.DataFrame:
    """Return ideas with their vote counts, by area, most votes first.

    A participant sees their own session's ideas only (checks
    ``view_session_proposals``); facilitators may ask for every session
    (``session_id=None``).

    Columns: id, session_id, gap_id, area, need, what, for_whom, needs, votes.
    """
    scope = principal.session_id if _is_participant(principal) else session_id
    if scope is None:
        require(principal, Operation.MODERATE)
    else:
        require(principal, Operation.VIEW_SESSION_PROPOSALS, session_id=scope)
    columns = ["id", "session_id", "gap_id", "area", "need", "what", "for_whom", "needs", "votes"]
    ideas = store.records(IDEA_ENTITY)
    if ideas.empty:
        return pd.DataFrame(columns=columns)
    if scope is not None:
        ideas = ideas[ideas["session_id"] == scope]
    votes = store.records(VOTE_ENTITY)
    counts = votes.groupby("idea_id").size() if not votes.empty else pd.Series(dtype="int64")
    out = ideas.assign(votes=[int(counts.get(i, 0)) for i in ideas["id"]])[columns]
    return out.sort_values(["area", "votes", "what"], ascending=[True, False, True],
                           na_position="last", ignore_index=True)  # fmt: skip


IDEA_LABELS: Final[Mapping[str, str]] = {
    "area": "Area",
    "what": "Idea",
    "for_whom": "For whom",
    "needs": "What it needs",
    "votes": "Votes",
}
"""The columns of :func:`ideas_table`, in order, and the plain label staff read for each."""
_NOT_GIVEN: Final = "—"


def ideas_table(ideas: pd.DataFrame) -> pd.DataFrame:
    """Return ideas (from :func:`ideas_with_votes`) as staff read them.

    The columns of :data:`IDEA_LABELS` under their plain labels; a value not
    given is shown as ``—``, never ``None``.

    Examples
    --------
    >>> ideas = pd.DataFrame({"area": ["Oakham"], "what": ["Bike club"], "for_whom": [None],
    ...                       "needs": [None], "votes": [2]})
    >>> ideas_table(ideas).to_dict("records")
    [{'Area': 'Oakham', 'Idea': 'Bike club', 'For whom': '—', 'What it needs': '—', 'Votes': 2}]
    """
    shown = ideas[list(IDEA_LABELS)].rename(columns=IDEA_LABELS)
    text = [IDEA_LABELS[c] for c in IDEA_LABELS if c != "votes"]
    shown[text] = shown[text].map(lambda v: _NOT_GIVEN if v is None or pd.isna(v) or v == "" else v)
    return shown


# ---------------------------------------------------------------------- what a caller sees
def _can_see_asset(principal: Principal, asset: Mapping[str, Any]) -> bool:
    if asset["status"] in ("archived", "rejected") and _is_participant(principal):
        return asset.get("session_id") == principal.session_id
    if asset["status"] != "proposed" or not _is_participant(principal):
        return True
    return asset.get("session_id") == principal.session_id


def visible_register(store: Store, *, principal: Principal) -> gpd.GeoDataFrame:
    """Return the register as this caller may see it (checks ``view_register``).

    Everyone sees the moderated register (verified and unverified assets). A
    participant also sees their own session's proposals and no one else's;
    facilitators, staff and admins see every proposal; leads none (see
    :func:`assetmap.views.view_register`, which this is).
    """
    return view_register(store, principal=principal)


def session_records(
    store: Store, entity: str, session_id: str, *, principal: Principal
) -> pd.DataFrame:
    """Return a session's records of one kind: gaps, comments, ideas or votes.

    Checks ``view_session_proposals`` in ``session_id``. Only the entities in
    :data:`SESSION_RECORD_ENTITIES` can be read here: plans, referrals,
    accounts and codes are refused whoever asks.

    Raises
    ------
    AccessDeniedError
        For another session (participants) or another kind of record.
    """
    require(principal, Operation.VIEW_SESSION_PROPOSALS, session_id=session_id)
    if entity not in SESSION_RECORD_ENTITIES:
        msg = f"Session views hold gaps, comments, ideas and votes only, not {entity!r} records."
        raise AccessDeniedError(msg)
    frame = store.records(entity)
    if frame.empty or "session_id" not in frame.columns:
        return pd.DataFrame(columns=["id", "session_id"])
    return frame[frame["session_id"] == session_id].reset_index(drop=True)


def _label(tax: Taxonomy, kind: str, code: str | None) -> str:
    if not code:
        return ""
    table: Mapping[str, Any] = tax.needs if kind == "need" else tax.categories
    known = table.get(code)
    if known is None:
        return code
    return str(getattr(known, "plain_label", None) or known.label)


def merged_proposals(store: Store, asset_ids: Iterable[str]) -> set[str]:
    """Return which of these archived assets were archived by a merge, and still are.

    An asset is archived either by :func:`merge_proposal` (its latest
    history line is ``merged``, with ``merged_into`` set) or later, by
    closing an accepted asset (``status`` change): only the first is a merge.
    """
    out = set()
    for asset_id in asset_ids:
        history = store.asset_history(str(asset_id))
        if not history.empty and history["action"].iloc[-1] == "merged":
            out.add(str(asset_id))
    return out


CONTRIBUTION_COLUMNS: Final = ("type", "id", "name", "status", "detail", "lon", "lat")


def _words(*values: Any) -> str:
    """Join the texts given with " · ", skipping blanks and fields a record did not have.

    A field one record lacks reads back as NaN when others have it; a list is
    joined with commas.

    Examples
    --------
    >>> _words("LE15 6", float("nan")), _words(None, ["ete", "health"]), _words("a", "")
    ('LE15 6', 'ete, health', 'a')
    """
    parts = []
    for value in values:
        if isinstance(value, str) and value.strip():
            parts.append(value)
        elif isinstance(value, list | tuple) and value:
            parts.append(", ".join(str(v) for v in value))
    return " · ".join(parts)


def session_contributions(
    store: Store, session_id: str, *, principal: Principal, taxonomy: Taxonomy | None = None
) -> pd.DataFrame:
    """Return everything a session added, one row each, in plain words.

    Checks ``view_session_proposals`` in ``session_id``. Columns: ``type``
    (asset, volunteering, gap, comment, idea), ``id``, ``name``, ``status``,
    ``detail``, ``lon``, ``lat``. Texts are as typed: escape them to show
    them in HTML.
    """
    require(principal, Operation.VIEW_SESSION_PROPOSALS, session_id=session_id)
    tax = taxonomy or load_taxonomy()
    rows: list[dict[str, Any]] = []
    assets = store.assets(include_archived=True)
    if not assets.empty:
        mine = assets[assets["session_id"] == session_id]
        merged = merged_proposals(store, mine.loc[mine["status"] == "archived", "id"])
        for rec in mine.to_dict("records"):
            detail = ", ".join(_label(tax, "category", c) for c in rec["categories"])
            rows.append(
                {
                    "type": "volunteering" if rec["kind"] == "volunteering" else "asset",
                    "id": rec["id"],
                    "name": rec["name"],
                    # Archived by merging into the register, or closed after acceptance.
                    "status": "merged" if rec["id"] in merged else rec["status"],
                    "detail": detail,
                    "lon": float(rec["geometry"].x),
                    "lat": float(rec["geometry"].y),
                }
            )
    names = dict(zip(assets["id"], assets["name"], strict=True)) if not assets.empty else {}
    for rec in session_records(store, GAP_ENTITY, session_id, principal=principal).to_dict(
        "records"
    ):
        rows.append(
            {
                "type": "gap",
                "id": rec["id"],
                "name": _label(tax, "need", rec.get("need")),
                "status": rec.get("status"),
                "detail": _words(rec.get("area"), rec.get("note")),
                "lon": rec.get("lon"),
                "lat": rec.get("lat"),
            }
        )
    for rec in session_records(store, COMMENT_ENTITY, session_id, principal=principal).to_dict(
        "records"
    ):
        parts = []
        if rec.get("welcoming") is not None and not pd.isna(rec["welcoming"]):
            parts.append(f"welcoming {int(rec['welcoming'])}/5")
        parts += [BARRIERS[b].lower() for b in rec.get("barriers") or ()]
        if _words(rec.get("note")):
            parts.append(_words(rec.get("note")))
        rows.append(
            {
                "type": "comment",
                "id": rec["id"],
                "name": names.get(rec["asset_id"], rec["asset_id"]),
                "status": rec.get("status"),
                "detail": "; ".join(parts),
                "lon": None,
                "lat": None,
            }
        )
    for rec in session_records(store, IDEA_ENTITY, session_id, principal=principal).to_dict(
        "records"
    ):
        rows.append(
            {
                "type": "idea",
                "id": rec["id"],
                "name": rec["what"],
                "status": rec.get("status"),
                "detail": _words(rec.get("for_whom"), rec.get("needs")),
                "lon": rec.get("lon"),
                "lat": rec.get("lat"),
            }
        )
    return pd.DataFrame(rows, columns=list(CONTRIBUTION_COLUMNS))


_ADDRESS_NAMES_IT: Final = 95.0


def likely_duplicates(
    store: Store,
    name: str,
    lon: float | None = None,
    lat: float | None = None,
    *,
    principal: Principal,
    max_distance_m: float = 1000.0,
    min_similarity: float = 80.0,
    limit: int = 5,
) -> pd.DataFrame:
    """Return assets the caller can see whose names are like ``name`` (and nearby).

    For the entry form: "is it one of these?". With a place, only assets
    within ``max_distance_m`` count; without one, only names at least 90 %
    alike. Checks ``view_register``.

    Returns
    -------
    pandas.DataFrame
        Columns id, name, status, similarity (0-100), distance_m (None without
        a place), best first.
    """
    require(principal, Operation.VIEW_REGISTER)
    assets = visible_register(store, principal=principal)
    return _likely_in(
        assets, name, lon, lat, max_distance_m=max_distance_m,
        min_similarity=min_similarity, limit=limit,
    )  # fmt: skip


def queue_duplicates(
    store: Store, queue: pd.DataFrame, *, principal: Principal
) -> dict[str, pd.DataFrame]:
    """Return, for each proposal of a moderation queue, the assets it looks like.

    As :func:`likely_duplicates` with each proposal's name and place, but
    reading the register once for the whole queue (not once per proposal),
    and keeping only assets that are not themselves proposals (what a
    proposal can be merged into). Checks ``view_register``.

    Returns
    -------
    dict
        Proposal id -> the frame :func:`likely_duplicates` returns.
    """
    require(principal, Operation.VIEW_REGISTER)
    assets = visible_register(store, principal=principal)
    others = assets[(assets["status"] != "proposed").to_numpy(dtype=bool)].reset_index(drop=True)
    return {
        str(rec["id"]): _likely_in(others, rec["name"], rec["geometry"].x, rec["geometry"].y)
        for rec in queue.to_dict("records")
    }


def _likely_in(
    assets: gpd.GeoDataFrame,
    name: str,
    lon: float | None,
    lat: float | None,
    *,
    max_distance_m: float = 1000.0,
    min_similarity: float = 80.0,
    limit: int = 5,
) -> pd.DataFrame:
    columns = ["id", "name", "status", "similarity", "distance_m"]
    typed = (name or "").strip()
    if len(typed) < 3 or assets.empty:
        return pd.DataFrame(columns=columns)
    distance: np.ndarray[Any, np.dtype[np.float64]] | None = None
    if lon is not None and lat is not None:
        distance = haversine_m(
            float(lon), float(lat), assets.geometry.x.to_numpy(), assets.geometry.y.to_numpy()
        )
        candidates = np.flatnonzero(distance <= max_distance_m)
        threshold = min_similarity
    else:
        candidates = np.arange(len(assets))
        threshold = max(min_similarity, 90.0)
    rows = []
    # The same scorer as de-duplication, plus "the address names it": the register's
    # "Rutland County Library" whose address reads "Oakham Library, Catmos Street".
    said = f" {normalise_name(typed)} "
    addresses = (
        assets["address"].map(lambda v: f" {normalise_name(str(v))} " if isinstance(v, str) else "")
        if "address" in assets.columns
        else pd.Series([""] * len(assets), index=assets.index)
    )
    for i in candidates:
        score = name_similarity(typed, str(assets["name"].iloc[i]))
        if len(said.split()) >= 2 and said in addresses.iloc[i] and distance is not None:
            score = max(score, _ADDRESS_NAMES_IT)
        if score >= threshold:
            rows.append(
                {
                    "id": assets["id"].iloc[i],
                    "name": assets["name"].iloc[i],
                    "status": assets["status"].iloc[i],
                    "similarity": round(score, 1),
                    "distance_m": None if distance is None else round(float(distance[i])),
                }
            )
    frame = pd.DataFrame(rows, columns=columns)
    if frame.empty:
        return frame
    frame = frame.sort_values(["similarity", "distance_m"], ascending=[False, True])
    return frame.head(limit).reset_index(drop=True)


# ---------------------------------------------------------------------- moderation
def moderation_queue(store: Store, session_id: str, *, principal: Principal) -> gpd.GeoDataFrame:
    """Return the session's assets waiting for moderation (checks ``moderate``)."""
    require(principal, Operation.MODERATE, session_id=session_id)
    assets = store.assets()
    if assets.empty:
        return assets
    pending = (assets["status"] == "proposed") & (assets["session_id"] == session_id)
    return assets[pending.to_numpy(dtype=bool)].reset_index(drop=True)


def accept_proposal(
    store: Store,
    asset_id: str,
    *,
    principal: Principal,
    edits: Mapping[str, Any] | None = None,
    reason: str = "accepted in moderation",
) -> dict[str, Any]:
    """Accept a proposed asset, with the moderator's edits: it becomes *verified*.

    Checks ``moderate`` in the asset's session. One new version holds the
    edits and the status; ``last_verified`` becomes today.

    Raises
    ------
    ConflictError
        If the asset is no longer waiting (someone moderated it meanwhile).
    SchemaError
        For an edit to a field moderators do not edit here.
    """
    asset = _proposal(store, asset_id)
    require(principal, Operation.MODERATE, session_id=asset["session_id"])
    _pending(asset)
    changes = dict(edits or {})
    bad = sorted(set(changes) - _EDITABLE)
    if bad:
        msg = f"Cannot change field(s) in moderation: {', '.join(bad)}."
        raise SchemaError(msg)
    return store.edit_asset(
        asset_id,
        changes | {"status": "verified"},
        expected_version=int(asset["version"]),
        actor=principal.user_id,
        reason=reason,
        action="accept",
    )


def merge_proposal(
    store: Store,
    asset_id: str,
    into_id: str,
    *,
    principal: Principal,
    reason: str = "already in the register",
) -> dict[str, Any]:
    """Merge a proposed asset into one already in the register.

    Checks ``moderate`` in the asset's session and ``merge_assets``. The kept
    asset gains what it lacked (:meth:`assetmap.store.Store.merge_assets`);
    the proposal is archived with ``merged_into`` set; :func:`undo_merge`
    takes it back. Returns the kept asset.
    """
    asset = _proposal(store, asset_id)
    require(principal, Operation.MODERATE, session_id=asset["session_id"])
    require(principal, Operation.MERGE_ASSETS)
    _pending(asset)
    keep = store.get_asset(into_id)
    return store.merge_assets(
        into_id,
        asset_id,
        actor=principal.user_id,
        reason=reason,
        expected_versions=(int(keep["version"]), int(asset["version"])),
    )


def undo_merge(
    store: Store, asset_id: str, *, principal: Principal, reason: str = "merge undone"
) -> dict[str, Any]:
    """Undo :func:`merge_proposal`: the proposal is back in the queue. Returns it."""
    asset = _proposal(store, asset_id)
    require(principal, Operation.MODERATE, session_id=asset["session_id"])
    require(principal, Operation.MERGE_ASSETS)
    return store.unmerge(asset_id, actor=principal.user_id, reason=reason)


def reject_proposal(
    store: Store, asset_id: str, *, principal: Principal, reason: str
) -> dict[str, Any]:
    """Reject a proposed asset with a reason. It is kept (status ``rejected``), never deleted.

    Checks ``moderate`` in the asset's session.

    Raises
    ------
    SchemaError
        Without a reason.
    """
    asset = _proposal(store, asset_id)
    require(principal, Operation.MODERATE, session_id=asset["session_id"])
    if not reason or not reason.strip():
        msg = "Say why the proposal is rejected (the group may ask)."
        raise SchemaError(msg)
    _pending(asset)
    return store.set_status(
        asset_id,
        "rejected",
        expected_version=int(asset["version"]),
        actor=principal.user_id,
        reason=reason.strip(),
    )


def moderate_comment(
    store: Store, comment_id: str, *, principal: Principal, accept: bool, reason: str = ""
) -> dict[str, Any]:
    """Accept or reject a comment (kept either way). Checks ``moderate`` in its session."""
    comment = store.get_record(COMMENT_ENTITY, comment_id)
    require(principal, Operation.MODERATE, session_id=comment.get("session_id"))
    if comment.get("status") != "proposed":
        msg = f"Comment {comment_id} is {comment.get('status')}, not waiting for moderation."
        raise ConflictError(msg)
    if not accept and not reason.strip():
        msg = "Say why the comment is rejected."
        raise SchemaError(msg)
    return store.edit_record(
        COMMENT_ENTITY,
        comment_id,
        {"status": "accepted" if accept else "rejected"},
        expected_version=int(comment["version"]),
        actor=principal.user_id,
        reason=reason.strip() or "accepted in moderation",
        action="accept" if accept else "reject",
    )


# ---------------------------------------------------------------------- summary
#: accessible_range(graph, assets, lon, lat, *, minutes, taxonomy) -> DataFrame
RangeFn = Callable[..., Any]


def _session_start(store: Store, session_id: str) -> dt.datetime:
    history = store.history(SESSION_ENTITY, session_id)
    return pd.Timestamp(history["valid_from"].iloc[0]).to_pydatetime()


def _range_at(result: pd.DataFrame) -> tuple[int, tuple[str, ...]]:
    """Read (number of categories, categories) of the one place ``accessible_range`` saw."""
    row = result.iloc[0]
    return int(row["n_categories"]), tuple(row["categories"])


def session_summary(
    store: Store,
    session_id: str,
    *,
    principal: Principal,
    graph: Any = None,
    minutes: float = 15.0,
    point: tuple[float, float] | None = None,
    accessible_range: RangeFn | None = None,
    taxonomy: Taxonomy | None = None,
) -> SessionSummary:
    """Count what a session added, and what it added to coverage.

    Checks ``view_session_proposals`` in the session.

    Coverage: the accessible range (kinds of support, i.e. taxonomy
    categories, with an active asset) from ``point`` (default: the middle of
    the session's own assets) within ``minutes`` on foot, computed by
    :func:`assetmap.reach.coverage.accessible_range` on the register as it stood
    when the session started (:meth:`assetmap.store.Store.register_as_of`,
    proposals left out) and on that register plus the session's accepted
    assets. Merged proposals add nothing: the asset was there already.

    Parameters
    ----------
    store, session_id
        Which session.
    principal
        Who asks.
    graph
        A :class:`assetmap.reach.network.WalkGraph`; without it the coverage
        figures are None.
    minutes, point
        The walk and where from.
    accessible_range
        The function to use (for tests); :mod:`assetmap.reach.coverage`'s by default.
    taxonomy
        For labels.
    """
    require(principal, Operation.VIEW_SESSION_PROPOSALS, session_id=session_id)
    session = session_record(store, session_id)
    contributions = session_contributions(store, session_id, principal=principal, taxonomy=taxonomy)
    counts = contributions["type"].value_counts()
    assets = contributions[contributions["type"].isin(("asset", "volunteering"))]
    merged = int((assets["status"] == "merged").sum())
    votes = session_records(store, VOTE_ENTITY, session_id, principal=principal)
    range_before: int | None = None
    range_after: int | None = None
    range_point = None
    new_in_reach: tuple[str, ...] = ()
    if graph is not None:
        accepted = assets[assets["status"] == "verified"]
        if point is None and not assets.empty:
            point = (float(assets["lon"].mean()), float(assets["lat"].mean()))
        if point is not None:
            range_point = (round(point[0], 6), round(point[1], 6))
            fn = accessible_range or _default_range_fn()
            before = store.register_as_of(_session_start(store, session_id))
            before = before[before["status"] != "proposed"].reset_index(drop=True)
            current = store.assets()
            added = current[current["id"].isin(set(accepted["id"]))]
            after = pd.concat([before, added], ignore_index=True)
            after = gpd.GeoDataFrame(after, geometry="geometry", crs=before.crs)
            lon, lat = [range_point[0]], [range_point[1]]
            range_before, reach_before = _range_at(
                fn(graph, before, lon, lat, minutes=minutes, taxonomy=taxonomy)
            )
            range_after, reach_after = _range_at(
                fn(graph, after, lon, lat, minutes=minutes, taxonomy=taxonomy)
            )
            tax = taxonomy or load_taxonomy()
            new_in_reach = tuple(
                _label(tax, "category", c) for c in sorted(set(reach_after) - set(reach_before))
            )
    return SessionSummary(
        session_id=session_id,
        date=str(session["date"]),
        area=str(session["area"]),
        group_label=str(session["group_label"]),
        participants=int(session.get("participants") or 0),
        status=str(session["status"]),
        assets_added=int(counts.get("asset", 0)),
        volunteering_added=int(counts.get("volunteering", 0)),
        gaps_added=int(counts.get("gap", 0)),
        comments_added=int(counts.get("comment", 0)),
        ideas_added=int(counts.get("idea", 0)),
        votes_cast=len(votes),
        accepted=int((assets["status"] == "verified").sum()),
        merged=merged,
        rejected=int((assets["status"] == "rejected").sum()),
        waiting=int((assets["status"] == "proposed").sum()),
        range_minutes=minutes if range_point is not None else None,
        range_point=range_point,
        range_before=range_before,
        range_after=range_after,
        new_in_reach=new_in_reach,
        contributions=contributions,
    )


def _default_range_fn() -> RangeFn:
    try:
        from assetmap.reach.coverage import accessible_range
    except ImportError as exc:
        msg = "Coverage needs assetmap.reach.coverage.accessible_range, which is not available."
        raise NotImplementedError(msg) from exc
    return accessible_range
