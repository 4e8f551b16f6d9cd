"""Shared grants: a session's idea, grown into a group's application, a decision, and a service.

A grant (entity :data:`GRANT_ENTITY`) starts from an idea of a mapping
session (:func:`assetmap.people.sessions.add_idea`) and keeps its votes at the time
of the application::

    fund_id, idea_id, session_id, need   where it came from
    what, for_whom                       the group's words
    lines      [{"item", "amount"}]      budget lines, whole pence
    amount     the sum of the lines
    people     how many take part (at least the fund's ``min_group``)
    votes      the idea's votes when applied
    status     applied -> approved | refused -> spent -> done
    became     the register asset it created (when done)

No names: a group is counted, never listed. An approver decides (four eyes:
not the person who applied); the fund's version moves on first, as for
personal allocations (:func:`assetmap.people.funds.touch_fund`), so two decisions at
once cannot both spend the same budget.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from assetmap.access import Operation, Principal, Role, require
from assetmap.errors import ConflictError, NotFoundError, SchemaError
from assetmap.people.funds import (
    FUND_ENTITY,
    GRANT_ENTITY,
    _check_budget,
    _open_fund,
    _text,
    money,
    open_decision,
    pence,
    save_decision,
)

if TYPE_CHECKING:
    from assetmap.store import Store

__all__ = [
    "GRANT_ENTITY",
    "GRANT_STEPS",
    "apply_for_grant",
    "decide_grant",
    "grant_additions",
    "grant_status",
    "list_grants",
    "record_grant_result",
]

GRANT_STEPS: Final = ("applied", "approved", "refused", "spent", "done")
MAX_LINES: Final = 30


def _lines(lines: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if not lines:
        msg = "grant: give at least one budget line (item and amount)."
        raise SchemaError(msg)
    if len(lines) > MAX_LINES:
        msg = f"grant: at most {MAX_LINES} budget lines, got {len(lines)}."
        raise SchemaError(msg)
    out = []
    for number, line in enumerate(lines, start=1):
        where = f"grant budget line {number}"
        item = _text(line.get("item"), "item", where, required=True)
        out.append(
            {"item": item, "amount": pence(line.get("amount"), what=f"line {number} amount")}
        )
    return out


def apply_for_grant(
    store: Store,
    idea_id: str,
    fund_id: str,
    *,
    what: str,
    for_whom: str,
    lines: Sequence[Mapping[str, Any]],
    people: int,
    principal: Principal,
    on: dt.date | None = None,
) -> dict[str, Any]:
    """Apply for a shared grant from a session's idea (checks ``apply_grant``).

    Raises
    ------
    SchemaError
        A missing field or bad budget line (named).
    ConflictError
        Fewer people than the fund's minimum group, a total over its grant
        cap, or a closed fund.
    NotFoundError
        No such idea or fund.
    """
    require(principal, Operation.APPLY_GRANT)
    from assetmap.people.sessions import IDEA_ENTITY, VOTE_ENTITY

    idea = store.get_record(IDEA_ENTITY, idea_id)
    day = on or dt.date.today()
    fund = _open_fund(store, fund_id, day)
    if isinstance(people, bool) or not isinstance(people, int) or not 0 < people <= 1000:
        msg = f"grant: `people` must be a whole number of people taking part, got {people!r}."
        raise SchemaError(msg)
    if people < int(fund["min_group"]):
        msg = (
            f"{fund['name']!r} funds groups of at least {fund['min_group']} people; "
            f"this application has {people}."
        )
        raise ConflictError(msg)
    budget = _lines(lines)
    total = sum(line["amount"] for line in budget)
    if fund.get("grant_cap") is not None and total > int(fund["grant_cap"]):
        msg = (
            f"The budget lines add up to {money(total)}; {fund['name']!r} gives at most "
            f"{money(fund['grant_cap'])} per group."
        )
        raise ConflictError(msg)
    votes = store.records(VOTE_ENTITY)
    n_votes = int((votes["idea_id"] == idea_id).sum()) if not votes.empty else 0
    record = {
        "fund_id": fund_id,
        "idea_id": idea_id,
        "session_id": idea.get("session_id"),
        "need": idea.get("need"),
        "area": idea.get("area"),
        "what": _text(what, "what", "grant", required=True),
        "for_whom": _text(for_whom, "for_whom", "grant", required=True),
        "lines": budget,
        "amount": total,
        "people": people,
        "votes": n_votes,
        "status": "applied",
        "applied_by": principal.user_id,
        "applied_on": day.isoformat(),
        "decided_by": None,
        "decided_on": None,
        "decision_note": None,
        "spent": None,
        "evidence": None,
        "became": None,
    }
    gid = store.add_record(
        GRANT_ENTITY, record, actor=principal.user_id, reason="grant applied for"
    )
    return store.get_record(GRANT_ENTITY, gid)


def _grant(store: Store, grant_id: str) -> dict[str, Any]:
    try:
        return store.get_record(GRANT_ENTITY, grant_id)
    except NotFoundError:
        msg = f"No shared grant with id {grant_id!r}."
        raise NotFoundError(msg) from None


def decide_grant(
    store: Store,
    grant_id: str,
    *,
    approve: bool,
    principal: Principal,
    note: str | None = None,
    on: dt.date | None = None,
) -> dict[str, Any]:
    """Approve or refuse a grant application (checks ``decide_grant``; four eyes; budget).

    Raises
    ------
    ConflictError
        Decided already; the caller applied; not a named approver; the budget
        would be passed; or another decision on the fund was saved at once.
    """
    require(principal, Operation.DECIDE_GRANT)
    grant = _grant(store, grant_id)
    if grant["status"] != "applied":
        msg = f"This application has already been {grant['status']}."
        raise ConflictError(msg)
    day, fund, text = open_decision(
        store, grant, asked_by="applied_by", principal=principal, approve=approve, note=note, on=on
    )
    if approve:
        _check_budget(store, fund, int(grant["amount"]))
    return save_decision(
        store,
        GRANT_ENTITY,
        grant_id,
        fund,
        principal=principal,
        approve=approve,
        note=text,
        day=day,
        expected_version=int(grant["version"]),
        what="application",
    )


def record_grant_result(
    store: Store,
    grant_id: str,
    *,
    principal: Principal,
    spent: Any = None,
    evidence: str | None = None,
    became: str | None = None,
) -> dict[str, Any]:
    """Record a grant's spend (approved -> spent), then what it became (spent -> done).

    ``became`` is the id of the asset, activity or volunteering opportunity
    in the register that the grant created; it must exist.
    """
    require(principal, Operation.APPLY_GRANT)
    grant = _grant(store, grant_id)
    if spent is not None:
        if grant["status"] != "approved":
            msg = f"Only an approved grant can record its spend; this one is {grant['status']}."
            raise ConflictError(msg)
        value = pence(spent, what="spent")
        if value > int(grant["amount"]):
            msg = f"{money(value)} is more than the {money(grant['amount'])} granted."
            raise ConflictError(msg)
        grant = store.edit_record(
            GRANT_ENTITY,
            grant_id,
            {
                "status": "spent",
                "spent": value,
                "evidence": _text(evidence, "evidence", "grant spend", required=True),
            },
            expected_version=int(grant["version"]),
            actor=principal.user_id,
            reason="grant spent",
        )
    if became is not None:
        if grant["status"] != "spent":
            msg = "Record the grant's spend before what it became."
            raise ConflictError(msg)
        asset = store.get_asset(became)
        grant = store.edit_record(
            GRANT_ENTITY,
            grant_id,
            {"status": "done", "became": became},
            expected_version=int(grant["version"]),
            actor=principal.user_id,
            reason=f"grant became {asset['name']}",
        )
    return grant


GRANT_COLUMNS: Final = (
    "id",
    "fund_id",
    "session_id",
    "need",
    "area",
    "what",
    "for_whom",
    "amount",
    "people",
    "votes",
    "status",
    "applied_on",
    "decided_on",
    "spent",
    "became",
    "version",
)


def list_grants(store: Store, *, principal: Principal) -> pd.DataFrame:
    """Return shared grants (checks ``view_grant_status``; a participant: their session's only).

    A participant sees only status-level columns of their own group's grants:
    what, status, amount, what it became.
    """
    scope = principal.session_id if principal.role is Role.PARTICIPANT else None
    require(principal, Operation.VIEW_GRANT_STATUS, session_id=scope)
    frame = store.records(GRANT_ENTITY)
    if frame.empty:
        return pd.DataFrame(columns=list(GRANT_COLUMNS))
    if scope is not None:
        frame = frame[frame["session_id"] == scope]
        return frame.reindex(columns=["id", "what", "status", "amount", "became"]).reset_index(
            drop=True
        )
    return frame.reindex(columns=list(GRANT_COLUMNS)).sort_values("applied_on", ignore_index=True)


def grant_status(store: Store, grant_id: str, *, principal: Principal) -> dict[str, Any]:
    """Return one grant's status (a participant: only a grant of their own session)."""
    grant = _grant(store, grant_id)
    require(principal, Operation.VIEW_GRANT_STATUS, session_id=grant.get("session_id"))
    keys = ("id", "what", "status", "amount", "became")
    if principal.role is Role.PARTICIPANT:
        return {k: grant.get(k) for k in keys}
    return grant


def grant_additions(store: Store, *, principal: Principal) -> pd.DataFrame:
    """Return what grants added to the register: one row per asset a grant became.

    Checks ``view_dashboard`` (the "what was added" view of leads): only
    register assets, fund names and amounts, never who took part. Columns:
    source, when, asset_id, name, fund, amount.
    """
    require(principal, Operation.VIEW_DASHBOARD)
    columns = ["source", "when", "asset_id", "name", "fund", "amount"]
    frame = store.records(GRANT_ENTITY)
    if frame.empty or "became" not in frame.columns:
        return pd.DataFrame(columns=columns)
    done = frame[frame["status"] == "done"]
    funds = store.records(FUND_ENTITY)
    names = dict(zip(funds["id"], funds["name"], strict=True)) if not funds.empty else {}
    rows = []
    for grant in done.to_dict("records"):
        asset = store.get_asset(str(grant["became"]))
        rows.append(
            {
                "source": f"grant: {grant['what']}",
                "when": grant["valid_from"],
                "asset_id": grant["became"],
                "name": asset["name"],
                "fund": names.get(grant["fund_id"], ""),
                "amount": int(grant["amount"]),
            }
        )
    return pd.DataFrame(rows, columns=columns)
