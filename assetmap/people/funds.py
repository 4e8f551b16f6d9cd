"""Enabling funds and the personal allocations paid from them, as versioned records.

A **fund** (entity :data:`FUND_ENTITY`) is money a holder organisation (the
probation service, a women's centre) may spend on what plans need and
programmes, benefits or referrals cannot pay for::

    name, holder        text
    budget              whole pence
    start, end          ISO dates (the period requests may be made in)
    person_cap          most pence one plan may get from it (None: no cap)
    request_cap         most pence one request may ask for (None: no cap)
    approvers           user ids who may decide; empty: any approver
    categories          allowed spend codes (:func:`spend_categories`); empty: all
    min_group           fewest people a shared grant needs (default 4)
    grant_cap           most pence one shared grant may get (None: no cap)
    status              "open" | "closed"

A **personal allocation** (entity :data:`ALLOCATION_ENTITY`) belongs to a plan
and one of its goals; its versions are the steps::

    requested -> approved | refused -> spent -> closed (outcome recorded)

Four eyes: a request is decided by an *approver* who is not the person who
asked (checked here, not in a page). Caps are checked when a request is made
and again when it is approved. Every decision on a fund first moves the
fund's own version on (optimistic locking), so two approvals at once, of the
same request or of two requests that together pass the budget, cannot both
win: the second gets :class:`~assetmap.errors.ConflictError`.

Amounts are whole pence in the store; :func:`pence` reads what people type.

Examples
--------
>>> pence("250"), pence("19.99"), pence(12)
(25000, 1999, 1200)
>>> money(25000)
'£250.00'
>>> sorted(spend_categories())[:2]
['GTIP010', 'GTIP020']
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import pandas as pd
import yaml

from assetmap.access import Operation, Principal, Role, require
from assetmap.errors import ConflictError, NotFoundError, SchemaError
from assetmap.fields import clean_text, iso_date
from assetmap.resources import data_path

if TYPE_CHECKING:
    from assetmap.store import Store

__all__ = [
    "ALLOCATION_ENTITY",
    "ALLOCATION_STEPS",
    "FUND_ENTITY",
    "FUND_TOTAL_ENTITY",
    "GRANT_ENTITY",
    "OUTCOMES",
    "allocations_of_plan",
    "approve_allocation",
    "check_approver",
    "check_category",
    "committed_amount",
    "create_fund",
    "fund_totals",
    "get_fund",
    "keep_anonymous_totals",
    "list_funds",
    "money",
    "money_or_hidden",
    "open_decision",
    "pence",
    "pending_requests",
    "record_outcome",
    "record_spend",
    "refuse_allocation",
    "request_allocation",
    "save_decision",
    "spend_categories",
    "suppress_fund_totals",
    "touch_fund",
]

FUND_ENTITY: Final = "fund"
ALLOCATION_ENTITY: Final = "allocation"
#: What is kept of an allocation when its plan is erased: fund, category, amounts, month.
FUND_TOTAL_ENTITY: Final = "fund_total"
#: Shared grants (:mod:`assetmap.people.grants`); their money counts against the same budget.
GRANT_ENTITY: Final = "grant"
ALLOCATION_STEPS: Final = ("requested", "approved", "refused", "spent", "closed")
OUTCOMES: Final = ("achieved", "partly", "not_achieved", "too_early")
MAX_TEXT: Final = 1000
MAX_POUNDS: Final = 10_000_000
_COMMITTED: Final = ("approved", "spent", "closed", "done")


# ---------------------------------------------------------------- small checks


def pence(value: Any, *, what: str = "amount") -> int:
    """Return an amount of money (pounds as typed, or a number of pounds) in whole pence.

    Raises
    ------
    SchemaError
        Naming ``what``: not a number, negative, more than 2 decimals, or huge.

    Examples
    --------
    >>> pence("£1,200.50")
    120050
    >>> pence("-3")
    Traceback (most recent call last):
    ...
    assetmap.errors.SchemaError: `amount` must be a sum of money of 0 or more, got '-3'.
    """
    text = str(value).strip().replace("£", "").replace(",", "")
    try:
        amount = decimal.Decimal(text)
    except decimal.InvalidOperation:
        msg = f"`{what}` must be a sum of money like 250 or 19.99, got {value!r}."
        raise SchemaError(msg) from None
    if isinstance(value, bool) or not amount.is_finite() or amount < 0:
        msg = f"`{what}` must be a sum of money of 0 or more, got {value!r}."
        raise SchemaError(msg)
    if amount > MAX_POUNDS or amount != amount.quantize(decimal.Decimal("0.01")):
        msg = f"`{what}` must be whole pence and at most £{MAX_POUNDS:,}, got {value!r}."
        raise SchemaError(msg)
    return int(amount * 100)


def money(amount: int | float | None) -> str:
    """Show pence as pounds (``"£12.50"``); ``None`` or NaN as ``"no cap"``."""
    if amount is None or (isinstance(amount, float) and math.isnan(amount)):
        return "no cap"
    return f"£{int(amount) / 100:,.2f}"


def _text(value: Any, key: str, where: str, *, required: bool = False) -> str | None:
    return clean_text(value, key, where, limit=MAX_TEXT, required=required)


def _cap(value: Any, key: str) -> int | None:
    if value is None or value == "":
        return None
    return pence(value, what=key)


@functools.cache
def spend_categories() -> dict[str, str]:
    """Return the spend categories: code -> label (360Giving's GTIP codes, plus ``other``).

    Read once from ``assetmap/data/spend_categories.yaml`` (its source is named there).
    """
    with data_path("spend_categories.yaml").open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    return {str(code): str(entry["label"]) for code, entry in raw["categories"].items()}


def check_category(code: Any, allowed: Sequence[str] = (), *, where: str = "request") -> str:
    """Return ``code`` if it is a spend category (and one the fund allows).

    Raises
    ------
    SchemaError
        Naming the code and what would do.
    """
    known = spend_categories()
    if code not in known:
        msg = (
            f"{where}: `category` {code!r} is not a spend category; use one of {', '.join(known)}."
        )
        raise SchemaError(msg)
    if allowed and code not in allowed:
        names = ", ".join(f"{c} ({known.get(c, c)})" for c in allowed)
        msg = f"{where}: this fund does not pay for {known[code]!r}; it pays for {names}."
        raise SchemaError(msg)
    return str(code)


# ---------------------------------------------------------------- funds


def _normalise_fund(data: Mapping[str, Any]) -> dict[str, Any]:
    where = "fund"
    start = iso_date(data.get("start"), "start", where)
    end = iso_date(data.get("end"), "end", where)
    if end < start:
        msg = f"{where}: `end` ({end}) is before `start` ({start})."
        raise SchemaError(msg)
    categories = [check_category(c, where=where) for c in data.get("categories") or ()]
    approvers = [_text(a, "approvers", where, required=True) for a in data.get("approvers") or ()]
    min_group = data.get("min_group", 4)
    if isinstance(min_group, bool) or not isinstance(min_group, int) or not 1 <= min_group <= 100:
        msg = f"{where}: `min_group` must be a whole number from 1 to 100, got {min_group!r}."
        raise SchemaError(msg)
    status = data.get("status") or "open"
    if status not in ("open", "closed"):
        msg = f"{where}: `status` must be open or closed, got {status!r}."
        raise SchemaError(msg)
    return {
        "name": _text(data.get("name"), "name", where, required=True),
        "holder": _text(data.get("holder"), "holder", where, required=True),
        "budget": pence(data.get("budget"), what="budget"),
        "start": start,
        "end": end,
        "person_cap": _cap(data.get("person_cap"), "person_cap"),
        "request_cap": _cap(data.get("request_cap"), "request_cap"),
        "grant_cap": _cap(data.get("grant_cap"), "grant_cap"),
        "approvers": sorted({a for a in approvers if a}),
        "categories": sorted(set(categories)),
        "min_group": min_group,
        "status": status,
        "decisions": int(data.get("decisions") or 0),
    }


def create_fund(store: Store, data: Mapping[str, Any], *, principal: Principal) -> dict[str, Any]:
    """Create a fund (checks ``manage_funds``); return it with ``id`` and ``version``.

    Parameters
    ----------
    data
        The fields in the module docs; money as typed (``"2000"``), dates ISO.

    Raises
    ------
    SchemaError
        One line naming the field.
    """
    require(principal, Operation.MANAGE_FUNDS)
    record = _normalise_fund(data)
    fund_id = store.add_record(FUND_ENTITY, record, actor=principal.user_id, reason="fund created")
    return store.get_record(FUND_ENTITY, fund_id)


def get_fund(store: Store, fund_id: str, *, principal: Principal) -> dict[str, Any]:
    """Return a fund (checks ``view_funds``)."""
    require(principal, Operation.VIEW_FUNDS)
    try:
        return store.get_record(FUND_ENTITY, fund_id)
    except NotFoundError:
        msg = f"No fund with id {fund_id!r}."
        raise NotFoundError(msg) from None


def list_funds(store: Store, *, principal: Principal) -> pd.DataFrame:
    """Return the funds (checks ``view_funds``): id, name, holder, budget, period, caps, status."""
    require(principal, Operation.VIEW_FUNDS)
    columns = [
        "id",
        "name",
        "holder",
        "budget",
        "start",
        "end",
        "person_cap",
        "request_cap",
        "grant_cap",
        "min_group",
        "categories",
        "approvers",
        "status",
        "version",
    ]
    funds = store.records(FUND_ENTITY)
    if funds.empty:
        return pd.DataFrame(columns=columns)
    return funds[columns].sort_values("name", ignore_index=True)


def touch_fund(store: Store, fund: Mapping[str, Any], *, actor: str, reason: str) -> None:
    """Move a fund's version on, or raise if someone else decided on it since it was read.

    Every decision on a fund's money calls this first, so decisions on one
    fund are serialised by the store's optimistic locking on both databases.

    Raises
    ------
    ConflictError
        Another decision on this fund was saved in the meantime.
    """
    try:
        store.edit_record(
            FUND_ENTITY,
            str(fund["id"]),
            {"decisions": int(fund.get("decisions") or 0) + 1},
            expected_version=int(fund["version"]),
            actor=actor,
            reason=reason,
        )
    except ConflictError:
        msg = (
            "Another decision on this fund was saved at the same moment; "
            "reload and decide again (nothing was changed)."
        )
        raise ConflictError(msg) from None


def _allocations(store: Store) -> pd.DataFrame:
    frame = store.records(ALLOCATION_ENTITY)
    if frame.empty or "fund_id" not in frame.columns:
        return pd.DataFrame(columns=["id", "fund_id", "plan_id", "status", "amount", "spent"])
    return frame[frame["status"] != "erased"]


def _anonymous_totals(store: Store) -> pd.DataFrame:
    frame = store.records(FUND_TOTAL_ENTITY)
    if frame.empty:
        return pd.DataFrame(columns=["fund_id", "category", "status", "amount", "spent"])
    return frame


def _committed(store: Store, fund_id: str) -> int:
    """Pence approved (or spent) from a fund, including what erased plans had."""
    total = 0
    for frame in (_allocations(store), _anonymous_totals(store), store.records(GRANT_ENTITY)):
        if frame.empty:
            continue
        mine = frame[(frame["fund_id"] == fund_id) & frame["status"].isin(_COMMITTED)]
        total += sum(committed_amount(r) for r in _rows(mine))
    return total


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def committed_amount(row: Mapping[str, Any]) -> int:
    """Return what a request or grant takes from its fund: what was spent, else what was asked."""
    spent = row.get("spent")
    if row.get("status") in ("spent", "closed", "done") and spent is not None and spent == spent:
        return int(spent)
    return int(row.get("amount") or 0)


# ---------------------------------------------------------------- allocations


def _plan(store: Store, plan_id: str) -> dict[str, Any]:
    from assetmap.people.plans import PLAN_ENTITY

    plan = store.get_record(PLAN_ENTITY, plan_id)
    if plan.get("status") == "erased":
        msg = f"No plan with id {plan_id!r}."
        raise NotFoundError(msg)
    return plan


def _for_plan(store: Store, plan_id: str, fund_id: str | None = None) -> list[dict[str, Any]]:
    frame = _allocations(store)
    if frame.empty:
        return []
    mine = frame[frame["plan_id"] == plan_id]
    if fund_id is not None:
        mine = mine[mine["fund_id"] == fund_id]
    return _rows(mine)


def _open_fund(store: Store, fund_id: str, on: dt.date) -> dict[str, Any]:
    try:
        fund = store.get_record(FUND_ENTITY, fund_id)
    except NotFoundError:
        msg = f"No fund with id {fund_id!r}."
        raise NotFoundError(msg) from None
    if fund.get("status") != "open":
        msg = f"The fund {fund['name']!r} is closed; no more requests or decisions."
        raise ConflictError(msg)
    if not fund["start"] <= on.isoformat() <= fund["end"]:
        msg = f"The fund {fund['name']!r} runs from {fund['start']} to {fund['end']}, not on {on}."
        raise ConflictError(msg)
    return fund


def _check_caps(
    store: Store,
    fund: Mapping[str, Any],
    plan_id: str,
    amount: int,
    *,
    exclude: str | None,
    approving: bool,
) -> None:
    name = fund["name"]
    if fund.get("request_cap") is not None and amount > int(fund["request_cap"]):
        msg = (
            f"{money(amount)} is more than the {money(fund['request_cap'])} one request may "
            f"ask of {name!r}."
        )
        raise ConflictError(msg)
    if fund.get("person_cap") is not None:
        counted = ("requested", *_COMMITTED)
        others = [
            a
            for a in _for_plan(store, plan_id, str(fund["id"]))
            if a["id"] != exclude and a["status"] in counted
        ]
        already = sum(committed_amount(a) for a in others)
        if already + amount > int(fund["person_cap"]):
            msg = (
                f"This plan already has {money(already)} requested or approved from {name!r}; "
                f"{money(amount)} more would pass its {money(fund['person_cap'])} cap "
                "per person."
            )
            raise ConflictError(msg)
    if approving:
        _check_budget(store, fund, amount)


def _check_budget(store: Store, fund: Mapping[str, Any], amount: int) -> None:
    """Refuse ``amount`` if, with what is approved already, it passes the fund's budget."""
    committed = _committed(store, str(fund["id"]))
    if committed + amount > int(fund["budget"]):
        left = int(fund["budget"]) - committed
        msg = (
            f"{fund['name']!r} has {money(max(left, 0))} left of its "
            f"{money(fund['budget'])} budget; {money(amount)} cannot be approved."
        )
        raise ConflictError(msg)


def request_allocation(
    store: Store,
    plan_id: str,
    fund_id: str,
    *,
    goal: int,
    category: str,
    what: str,
    why: str,
    amount: Any,
    principal: Principal,
    supplier: str | None = None,
    asset_id: str | None = None,
    on: dt.date | None = None,
) -> dict[str, Any]:
    """Ask a fund for money towards one goal of a plan (checks ``request_allocation``).

    Parameters
    ----------
    plan_id, fund_id
        The plan (staff: their caseload) and the fund.
    goal
        The goal's position in the plan's goals (0 for the first).
    category
        A spend code the fund allows (:func:`spend_categories`).
    what, why
        What the money buys and how it moves the goal on.
    amount
        Pounds, as typed.
    supplier, asset_id
        Who is paid: a name, and/or an asset in the register.

    Raises
    ------
    SchemaError
        A missing or bad field (named).
    ConflictError
        A cap would be passed, or the fund is closed or out of its period.
    """
    plan = _plan(store, plan_id)
    require(principal, Operation.REQUEST_ALLOCATION, owner_id=plan.get("owner"))
    day = on or dt.date.today()
    fund = _open_fund(store, fund_id, day)
    where = "request"
    goals = plan.get("goals") or []
    if isinstance(goal, bool) or not isinstance(goal, int) or not 0 <= goal < len(goals):
        msg = (
            f"{where}: `goal` must be one of the plan's {len(goals)} goals (0 to {len(goals) - 1})."
        )
        raise SchemaError(msg)
    if asset_id:
        store.get_asset(asset_id)
    value = pence(amount)
    if value == 0:
        msg = f"{where}: `amount` must be more than £0."
        raise SchemaError(msg)
    record = {
        "plan_id": plan_id,
        "fund_id": fund_id,
        "goal": goal,
        "need": goals[goal].get("need"),
        "category": check_category(category, fund.get("categories") or (), where=where),
        "what": _text(what, "what", where, required=True),
        "why": _text(why, "why", where, required=True),
        "supplier": _text(supplier, "supplier", where),
        "asset_id": asset_id or None,
        "amount": value,
        "status": "requested",
        "requested_by": principal.user_id,
        "requested_on": day.isoformat(),
        "decided_by": None,
        "decided_on": None,
        "decision_note": None,
        "spent": None,
        "spent_on": None,
        "evidence": None,
        "outcome": None,
        "outcome_note": None,
    }
    _check_caps(store, fund, plan_id, value, exclude=None, approving=False)
    rid = store.add_record(
        ALLOCATION_ENTITY, record, actor=principal.user_id, reason="allocation requested"
    )
    return store.get_record(ALLOCATION_ENTITY, rid)


def _allocation(store: Store, allocation_id: str) -> dict[str, Any]:
    try:
        record = store.get_record(ALLOCATION_ENTITY, allocation_id)
    except NotFoundError:
        record = {"status": "erased"}
    if record.get("status") == "erased":
        msg = f"No allocation with id {allocation_id!r}."
        raise NotFoundError(msg)
    return record


def check_approver(principal: Principal, fund: Mapping[str, Any], requested_by: str) -> None:
    """Refuse a decision by the person who asked (four eyes) or by an approver not named.

    Raises
    ------
    ConflictError
        Saying which rule.
    """
    if principal.user_id == requested_by:
        msg = "Four eyes: the person who asked for this money cannot also decide on it."
        raise ConflictError(msg)
    named = fund.get("approvers") or []
    if named and principal.user_id not in named:
        msg = f"Only the approvers named on {fund['name']!r} may decide on its money."
        raise ConflictError(msg)


def open_decision(
    store: Store,
    record: Mapping[str, Any],
    *,
    asked_by: str,
    principal: Principal,
    approve: bool,
    note: str | None,
    on: dt.date | None,
) -> tuple[dt.date, dict[str, Any], str | None]:
    """Start a decision on a request or grant: ``(day, its open fund, the checked note)``.

    ``asked_by`` names the field holding who asked (four eyes). A refusal
    needs a note.

    Raises
    ------
    ConflictError
        The fund is closed or out of its period on ``day``; or the caller
        asked, or is not a named approver.
    SchemaError
        A refusal without a note, or a note too long.
    """
    day = on or dt.date.today()
    fund = _open_fund(store, str(record["fund_id"]), day)
    check_approver(principal, fund, str(record[asked_by]))
    return day, fund, _text(note, "note", "decision", required=not approve)


def _decide(
    store: Store,
    allocation_id: str,
    *,
    principal: Principal,
    approve: bool,
    note: str | None,
    expected_version: int | None,
    on: dt.date | None,
) -> dict[str, Any]:
    require(principal, Operation.DECIDE_ALLOCATION)
    record = _allocation(store, allocation_id)
    version = int(record["version"]) if expected_version is None else expected_version
    if record["status"] != "requested":
        msg = f"This request has already been {record['status']}; it cannot be decided again."
        raise ConflictError(msg)
    day, fund, text = open_decision(
        store,
        record,
        asked_by="requested_by",
        principal=principal,
        approve=approve,
        note=note,
        on=on,
    )
    if approve:
        _check_caps(
            store,
            fund,
            str(record["plan_id"]),
            int(record["amount"]),
            exclude=allocation_id,
            approving=True,
        )
    return save_decision(
        store,
        ALLOCATION_ENTITY,
        allocation_id,
        fund,
        principal=principal,
        approve=approve,
        note=text,
        day=day,
        expected_version=version,
        what="request",
    )


def save_decision(
    store: Store,
    entity: str,
    record_id: str,
    fund: Mapping[str, Any],
    *,
    principal: Principal,
    approve: bool,
    note: str | None,
    day: dt.date,
    expected_version: int,
    what: str,
) -> dict[str, Any]:
    """Save an approval or refusal of a request or grant: the fund's version first, then it.

    Raises
    ------
    ConflictError
        Another decision on the fund, or on this record, was saved at the same moment.
    """
    step = "approved" if approve else "refused"
    reason = f"{entity} {step}"
    touch_fund(store, fund, actor=principal.user_id, reason=reason)
    try:
        return store.edit_record(
            entity,
            record_id,
            {
                "status": step,
                "decided_by": principal.user_id,
                "decided_on": day.isoformat(),
                "decision_note": note,
            },
            expected_version=expected_version,
            actor=principal.user_id,
            reason=reason,
        )
    except ConflictError:
        msg = f"Someone else decided on this {what} at the same moment; reload to see what."
        raise ConflictError(msg) from None


def approve_allocation(
    store: Store,
    allocation_id: str,
    *,
    principal: Principal,
    note: str | None = None,
    expected_version: int | None = None,
    on: dt.date | None = None,
) -> dict[str, Any]:
    """Approve a request (checks ``decide_allocation``; four eyes; caps and budget again).

    Raises
    ------
    ConflictError
        The caller asked for it; is not a named approver; it is decided
        already; a cap or the budget would be passed; or another decision on
        the fund (or this request) was saved at the same moment.
    """
    return _decide(
        store,
        allocation_id,
        principal=principal,
        approve=True,
        note=note,
        expected_version=expected_version,
        on=on,
    )


def refuse_allocation(
    store: Store,
    allocation_id: str,
    *,
    principal: Principal,
    note: str,
    expected_version: int | None = None,
    on: dt.date | None = None,
) -> dict[str, Any]:
    """Refuse a request, saying why (checks ``decide_allocation``; four eyes)."""
    return _decide(
        store,
        allocation_id,
        principal=principal,
        approve=False,
        note=note,
        expected_version=expected_version,
        on=on,
    )


def _own_step(
    store: Store, allocation_id: str, principal: Principal, wanted: tuple[str, ...]
) -> dict[str, Any]:
    record = _allocation(store, allocation_id)
    plan = _plan(store, str(record["plan_id"]))
    require(principal, Operation.REQUEST_ALLOCATION, owner_id=plan.get("owner"))
    if record["status"] not in wanted:
        needed = " or ".join(wanted)
        msg = f"This allocation is {record['status']}; that step needs it to be {needed}."
        raise ConflictError(msg)
    return record


def record_spend(
    store: Store,
    allocation_id: str,
    *,
    spent: Any,
    evidence: str,
    principal: Principal,
    on: dt.date | None = None,
) -> dict[str, Any]:
    """Record what an approved allocation actually cost, with a receipt or evidence note.

    Raises
    ------
    ConflictError
        Not approved yet, or more spent than approved.
    """
    record = _own_step(store, allocation_id, principal, ("approved",))
    value = pence(spent, what="spent")
    if value > int(record["amount"]):
        msg = f"{money(value)} is more than the {money(record['amount'])} approved."
        raise ConflictError(msg)
    return store.edit_record(
        ALLOCATION_ENTITY,
        allocation_id,
        {
            "status": "spent",
            "spent": value,
            "spent_on": (on or dt.date.today()).isoformat(),
            "evidence": _text(evidence, "evidence", "spend", required=True),
        },
        expected_version=int(record["version"]),
        actor=principal.user_id,
        reason="money spent",
    )


def record_outcome(
    store: Store,
    allocation_id: str,
    *,
    outcome: str,
    principal: Principal,
    note: str | None = None,
) -> dict[str, Any]:
    """Record what the money did for its goal (one of :data:`OUTCOMES`); closes it."""
    record = _own_step(store, allocation_id, principal, ("spent", "refused"))
    if outcome not in OUTCOMES:
        msg = f"outcome: must be one of {', '.join(OUTCOMES)}, got {outcome!r}."
        raise SchemaError(msg)
    return store.edit_record(
        ALLOCATION_ENTITY,
        allocation_id,
        {"status": "closed", "outcome": outcome, "outcome_note": _text(note, "note", "outcome")},
        expected_version=int(record["version"]),
        actor=principal.user_id,
        reason="outcome recorded",
    )


ALLOCATION_COLUMNS: Final = (
    "id",
    "fund_id",
    "goal",
    "need",
    "category",
    "what",
    "why",
    "supplier",
    "asset_id",
    "amount",
    "status",
    "requested_by",
    "requested_on",
    "decided_by",
    "decided_on",
    "decision_note",
    "spent",
    "spent_on",
    "evidence",
    "outcome",
    "outcome_note",
    "version",
)


def allocations_of_plan(store: Store, plan_id: str, *, principal: Principal) -> pd.DataFrame:
    """Return a plan's allocations, oldest first (checks ``view_plan`` on its owner)."""
    plan = _plan(store, plan_id)
    require(principal, Operation.VIEW_PLAN, owner_id=plan.get("owner"))
    rows = sorted(_for_plan(store, plan_id), key=lambda r: (r["requested_on"], r["id"]))
    frame = pd.DataFrame(rows)
    return frame.reindex(columns=list(ALLOCATION_COLUMNS))


def pending_requests(store: Store, *, principal: Principal) -> pd.DataFrame:
    """Return the requests waiting for a decision (checks ``decide_allocation``).

    An approver sees what, why, how much and which goal's need: what a
    decision needs, never the plan's reference, home area or other goals.
    Requests the caller made themselves, or on funds naming other approvers,
    are left out.
    """
    require(principal, Operation.DECIDE_ALLOCATION)
    columns = [
        "id",
        "fund_id",
        "fund",
        "need",
        "category",
        "what",
        "why",
        "supplier",
        "amount",
        "requested_on",
        "version",
    ]
    frame = _allocations(store)
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame = frame[frame["status"] == "requested"]
    funds = {str(f["id"]): f for f in store.records(FUND_ENTITY).to_dict("records")}
    keep = [
        r["requested_by"] != principal.user_id
        and (
            not funds[r["fund_id"]].get("approvers")
            or principal.user_id in funds[r["fund_id"]]["approvers"]
        )
        for r in frame.to_dict("records")
    ]
    frame = frame[pd.Series(keep, index=frame.index, dtype=bool)]
    frame = frame.assign(fund=[funds[f]["name"] for f in frame["fund_id"]])
    return frame.reindex(columns=columns).sort_values("requested_on", ignore_index=True)


# ---------------------------------------------------------------- erasure and totals


def keep_anonymous_totals(store: Store, plan_ids: Sequence[str], *, actor: str) -> list[str]:
    """Before a plan's erasure: keep each allocation's fund, category, amounts and month only.

    Returns the ids of the plan's allocations (to erase with the plan).
    A re-run (an interrupted erasure) adds no second copy.
    """
    ids: list[str] = []
    done = _anonymous_totals(store)
    kept = set(done["source"]) if "source" in done.columns else set()
    for plan_id in plan_ids:
        for row in _for_plan(store, plan_id):
            ids.append(str(row["id"]))
            key = _anonymous_key(str(row["id"]))
            if key in kept:
                continue
            store.add_record(
                FUND_TOTAL_ENTITY,
                {
                    "fund_id": row["fund_id"],
                    "category": row["category"],
                    "need": row.get("need"),
                    "status": row["status"],
                    "amount": int(row["amount"]),
                    "spent": None
                    if row.get("spent") is None or row["spent"] != row["spent"]
                    else int(row["spent"]),
                    "month": str(row["requested_on"])[:7],
                    "source": key,
                },
                actor=actor,
                reason="anonymous total kept at erasure",
            )
    return ids


def _anonymous_key(allocation_id: str) -> str:
    """Return a one-way key, so a re-run can tell a total was kept (the id is not stored)."""
    import hashlib

    return hashlib.sha256(f"fund-total:{allocation_id}".encode()).hexdigest()[:16]


def fund_totals(store: Store, *, principal: Principal, suppress: bool = True) -> pd.DataFrame:
    """Per fund: money requested, approved, spent and left, and counts of decisions.

    Checks ``view_aggregates``: counts and sums only, including what erased
    plans had. Columns: fund, holder, budget, requests, approved, refused,
    requested_amount, approved_amount, spent_amount (personal allocations)
    and left (the budget less allocations and shared grants approved).

    Unless ``suppress`` is False (for a caller that suppresses them itself),
    counts go through :func:`suppress_fund_totals`: counts from 1 to 4 show
    as ``"<5"``, counts that would give them away as ``"hidden"``, and every
    amount tied to a count not shown is ``"hidden"`` too, so that no sum of
    money points at one person's request.
    """
    require(principal, Operation.VIEW_AGGREGATES)
    funds = store.records(FUND_ENTITY)
    columns = [
        "fund",
        "holder",
        "budget",
        "requests",
        "approved",
        "refused",
        "requested_amount",
        "approved_amount",
        "spent_amount",
        "left",
    ]
    if funds.empty:
        return pd.DataFrame(columns=columns)
    rows = [*_rows(_allocations(store)), *_rows(_anonymous_totals(store))]
    out = []
    for fund in funds.to_dict("records"):
        mine = [r for r in rows if r.get("fund_id") == fund["id"]]
        committed = [r for r in mine if r["status"] in _COMMITTED]
        spent = [r for r in mine if r["status"] in ("spent", "closed")]
        out.append(
            {
                "fund": fund["name"],
                "holder": fund["holder"],
                "budget": int(fund["budget"]),
                "requests": len(mine),
                "approved": len(committed),
                "refused": sum(r["status"] == "refused" for r in mine),
                "requested_amount": sum(int(r["amount"]) for r in mine),
                "approved_amount": sum(int(r["amount"]) for r in committed),
                "spent_amount": sum(committed_amount(r) for r in spent),
                "left": int(fund["budget"]) - _committed(store, str(fund["id"])),
            }
        )
    frame = pd.DataFrame(out, columns=columns)
    return suppress_fund_totals(frame) if suppress else frame


#: Amount columns of :func:`fund_totals` and the count each one adds up.
AMOUNT_OF_COUNT: Final = {
    "requested_amount": "requests",
    "approved_amount": "approved",
    "spent_amount": "approved",
    "left": "approved",  # the budget less what was approved: it gives the approved sum away
}


def suppress_fund_totals(frame: pd.DataFrame) -> pd.DataFrame:
    """Hide small counts of requests and every amount beside a count that is hidden.

    Requests are approved, refused or waiting; those three counts go through
    :func:`assetmap.people.privacy.suppress_table` (primary and secondary
    suppression, so that no total gives a small count away) and ``requests``
    is their total. An amount whose count (:data:`AMOUNT_OF_COUNT`) is not
    shown becomes ``"hidden"``.

    Examples
    --------
    >>> frame = pd.DataFrame({"fund": ["A", "B"], "holder": ["p", "w"], "budget": [9, 9],
    ...     "requests": [2, 6], "approved": [1, 5], "refused": [1, 1],
    ...     "requested_amount": [300, 900], "approved_amount": [200, 800],
    ...     "spent_amount": [0, 700], "left": [7, 1]})
    >>> shown = suppress_fund_totals(frame)
    >>> shown[["requests", "approved", "refused", "requested_amount", "left"]].values.tolist()
    [['<5', '<5', '<5', 'hidden', 'hidden'], ['hidden', 'hidden', '<5', 'hidden', 'hidden']]
    """
    from assetmap.disclosure import SMALL_COUNT_THRESHOLD
    from assetmap.people.privacy import suppress_table

    out = frame.astype(object).copy()
    if out.empty:
        return out
    requests = pd.to_numeric(frame["requests"]).astype("int64")
    approved = pd.to_numeric(frame["approved"]).astype("int64")
    refused = pd.to_numeric(frame["refused"]).astype("int64")
    counts = pd.DataFrame(
        {
            "row": range(len(frame)),
            "approved": approved.to_numpy(),
            "refused": refused.to_numpy(),
            "waiting": (requests - approved - refused).to_numpy(),
        }
    )
    shown = suppress_table(
        counts, "row", ["approved", "refused", "waiting"], threshold=SMALL_COUNT_THRESHOLD
    ).iloc[:-1]  # the last row is the total over funds
    out["requests"] = shown["total"].to_numpy()
    out["approved"] = shown["approved"].to_numpy()
    out["refused"] = shown["refused"].to_numpy()
    for amount, count in AMOUNT_OF_COUNT.items():
        hidden = [not isinstance(v, int) for v in out[count]]
        out[amount] = [
            "hidden" if h else v for h, v in zip(hidden, out[amount].tolist(), strict=True)
        ]
    return out


def money_or_hidden(amount: Any) -> str:
    """:func:`money`, or the text of a suppressed cell (``"hidden"``) as it is.

    Examples
    --------
    >>> money_or_hidden(45000), money_or_hidden("hidden")
    ('£450.00', 'hidden')
    """
    return amount if isinstance(amount, str) else money(amount)


def is_approver(principal: Principal) -> bool:
    """Whether the caller holds the approver role."""
    return principal.role is Role.APPROVER
