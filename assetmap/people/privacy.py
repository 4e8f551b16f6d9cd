"""Personal data in plans: retention, export, erasure and small-count suppression.

Plans and referrals are generic register records (entities ``"plan"`` and
``"referral"``). A plan is filed under a pseudonymous *reference* (never a
name) and holds coarse locations only; see ``docs/privacy.md``.

* :func:`export_plan_data` returns everything held under one reference (the
  plan, its referrals and every past version of each) for a subject access
  request.
* :func:`erase_plan` removes the content of a plan and its referrals from the
  register *and from its history* (:meth:`Store.erase_record
  <assetmap.store.Store.erase_record>`), leaving audit lines that say an
  erasure happened, by whom and why, but not what was erased.
* The workspace setting ``retention_months`` (default
  :data:`DEFAULT_RETENTION_MONTHS`) says how long a *closed* plan is kept;
  :func:`purge_expired_plans` erases the ones past it (``assetmap purge``).
* :func:`assetmap.disclosure.suppress_small_counts` hides counts of people, plans or referrals
  below 5 in figures shown to leads.

Nothing here logs or raises with a plan's content: messages name references
at most when they are known to be well-formed, and usually not even that.

Examples
--------
>>> import pandas as pd
>>> from assetmap.disclosure import suppress_small_counts
>>> suppress_small_counts(pd.DataFrame({"area": ["LE15", "PE9"], "plans": [12, 3]}), ["plans"])
   area plans
0  LE15    12
1   PE9    <5
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from assetmap.access import Operation, Principal, require
from assetmap.disclosure import check_threshold
from assetmap.errors import NotFoundError, SchemaError, WorkspaceError

if TYPE_CHECKING:
    from assetmap.store import Store
    from assetmap.workspace import Workspace

__all__ = [
    "DEFAULT_RETENTION_MONTHS",
    "HIDDEN",
    "PLAN_ENTITY",
    "PLAN_GROUPINGS",
    "REFERRAL_ENTITY",
    "RETENTION_SETTING",
    "SUPPRESSED",
    "ErasureResult",
    "PurgeResult",
    "erase_plan",
    "expired_plans",
    "export_plan_data",
    "plan_counts",
    "purge_expired_plans",
    "retention_months",
    "set_retention_months",
    "suppress_table",
]

logger = logging.getLogger(__name__)

# The record kinds of assetmap.people.plans (plain strings, so this module does not import it).
PLAN_ENTITY: Final = "plan"
REFERRAL_ENTITY: Final = "referral"
ALLOCATION_ENTITY: Final = "allocation"  # people.funds: money from a fund for a plan's goal

RETENTION_SETTING: Final = "retention_months"
#: Months a closed plan is kept before :func:`purge_expired_plans` erases it.
DEFAULT_RETENTION_MONTHS: Final = 24
MAX_RETENTION_MONTHS: Final = 1200
#: What a suppressed small count is shown as.
SUPPRESSED: Final = "<5"
EXPORT_FORMAT: Final = "assetmap-plan-export"

_REFERENCE = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,19}$")


@dataclass(frozen=True, slots=True)
class ErasureResult:
    """What one erasure did (ids and counts only, no content)."""

    plan_ids: tuple[str, ...]
    referrals: int
    history_rows: int


@dataclass(frozen=True, slots=True)
class PurgeResult:
    """What a retention purge found (and erased, unless it was a dry run)."""

    months: int
    cutoff: dt.date
    references: tuple[str, ...]
    dry_run: bool

    @property
    def count(self) -> int:
        """Plans past retention."""
        return len(self.references)


# ---------------------------------------------------------------------- retention
def retention_months(workspace: Workspace) -> int:
    """Return how many months closed plans are kept in ``workspace``.

    Raises
    ------
    WorkspaceError
        If the setting holds something other than a whole number of months.
    """
    value = workspace.settings().get(RETENTION_SETTING, DEFAULT_RETENTION_MONTHS)
    if not _whole_months(value):
        msg = f"The `{RETENTION_SETTING}` setting must be a whole number of months (1-1200)."
        raise WorkspaceError(msg)
    return int(value)


def set_retention_months(workspace: Workspace, months: int, *, principal: Principal) -> int:
    """Set how many months closed plans are kept; checks ``change_settings``.

    Raises
    ------
    AccessDeniedError
        If ``principal`` may not change settings.
    SchemaError
        If ``months`` is not a whole number from 1 to 1200.
    """
    require(principal, Operation.CHANGE_SETTINGS)
    if not _whole_months(months):
        msg = f"Retention must be a whole number of months from 1 to {MAX_RETENTION_MONTHS}."
        raise SchemaError(msg)
    workspace.update_settings(**{RETENTION_SETTING: months})
    logger.info("plan retention set to %d months", months)
    return months


def _whole_months(value: object) -> bool:
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and 1 <= value <= MAX_RETENTION_MONTHS
    )


def _months_before(day: dt.date, months: int) -> dt.date:
    """Return the same day ``months`` calendar months earlier (clamped to the month's end).

    >>> _months_before(dt.date(2026, 3, 31), 1)
    datetime.date(2026, 2, 28)
    """
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def _closed_on(plan: Mapping[str, Any]) -> dt.date | None:
    value = plan.get("closed_on")
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            pass
    valid_from = plan.get("valid_from")  # closed without a date: when it last changed
    if isinstance(valid_from, dt.datetime):
        return valid_from.date()
    return None


def expired_plans(store: Store, *, months: int, today: dt.date) -> list[tuple[str, str]]:
    """Return ``(plan id, reference)`` of closed plans closed ``months`` or more months ago.

    Sorted by reference. Erased plans are not listed.
    """
    cutoff = _months_before(today, months)
    out = []
    for plan in _plans(store):
        if plan.get("status") != "closed":
            continue
        closed = _closed_on(plan)
        if closed is not None and closed <= cutoff:
            out.append((str(plan["id"]), str(plan.get("reference") or "")))
    return sorted(out, key=lambda pair: (pair[1], pair[0]))


def purge_expired_plans(
    workspace: Workspace, *, principal: Principal, today: dt.date, dry_run: bool = False
) -> PurgeResult:
    """Erase every closed plan past the workspace's retention period.

    Checks ``purge_plans``. Each plan is erased as by :func:`erase_plan`
    (with its referrals and history).

    Parameters
    ----------
    workspace
        The workspace (its ``retention_months`` setting applies).
    principal
        Who purges (an admin).
    today
        The date to count from.
    dry_run
        Only list what would be erased.

    Returns
    -------
    PurgeResult
        The references found past retention.
    """
    require(principal, Operation.PURGE_PLANS)
    months = retention_months(workspace)
    store = workspace.store()
    expired = expired_plans(store, months=months, today=today)
    if not dry_run:
        reason = f"retention: closed more than {months} months ago"
        for plan_id, _reference in expired:
            _erase_plan_ids(store, [plan_id], actor=principal, reason=reason)
        logger.info("retention purge erased %d plans", len(expired))
    return PurgeResult(
        months=months,
        cutoff=_months_before(today, months),
        references=tuple(ref for _, ref in expired),
        dry_run=dry_run,
    )


# ---------------------------------------------------------------------- lookup
def _check_reference(reference: str) -> str:
    ref = reference.strip().upper() if isinstance(reference, str) else ""
    if not _REFERENCE.match(ref):
        # never echo what was typed: it might be a name
        msg = (
            "A plan reference is 3-20 capital letters, digits and dashes "
            "(a pseudonymous reference, never a name)."
        )
        raise SchemaError(msg)
    return ref


def _plans(store: Store) -> list[dict[str, Any]]:
    frame = store.records(PLAN_ENTITY)
    if frame.empty:
        return []
    rows = frame.to_dict("records")
    return [
        {str(k): v for k, v in row.items() if not _is_missing(v)}
        for row in rows
        if row.get("status") != "erased"
    ]


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _plans_under(store: Store, reference: str) -> list[dict[str, Any]]:
    ref = _check_reference(reference)
    ids = [str(p["id"]) for p in _plans(store) if p.get("reference") == ref]
    if not ids:
        msg = "No plan has that reference (it may have been erased)."
        raise NotFoundError(msg)
    return [store.get_record(PLAN_ENTITY, plan_id) for plan_id in sorted(ids)]


def _under_plans(store: Store, entity: str, plan_ids: Iterable[str]) -> list[dict[str, Any]]:
    """Return the records of ``entity`` (referrals, allocations) under these plans."""
    wanted = set(plan_ids)
    frame = store.records(entity)
    if frame.empty or "plan_id" not in frame.columns:
        return []
    ids = sorted(str(i) for i, p in zip(frame["id"], frame["plan_id"], strict=True) if p in wanted)
    return [store.get_record(entity, rid) for rid in ids]


def _referrals_of(store: Store, plan_ids: Iterable[str]) -> list[dict[str, Any]]:
    return _under_plans(store, REFERRAL_ENTITY, plan_ids)


# ---------------------------------------------------------------------- export
def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def _history(store: Store, entity: str, record_id: str) -> list[dict[str, Any]]:
    frame = store.history(entity, record_id)
    out = []
    for row in frame.to_dict("records"):
        snapshot = row.get("data") or {}
        out.append(
            {
                "version": int(row["version"]),
                "action": row["action"],
                "actor": row["actor"],
                "reason": row["reason"],
                "valid_from": _json_value(row["valid_from"]),
                "recorded_at": _json_value(row["recorded_at"]),
                "data": _json_value(snapshot.get("data")),
            }
        )
    return out


def export_plan_data(
    store: Store, reference: str, *, principal: Principal, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Return everything held under one plan reference, as JSON-ready data.

    Checks ``export_plan`` for each plan's owner (staff: their caseload; admins).

    Parameters
    ----------
    store
        The register store.
    reference
        The plan's pseudonymous reference.
    principal
        Who asks.
    now
        The export time written in the result (default: now).

    Returns
    -------
    dict
        ``{"format", "version", "exported_at", "reference", "plans": [...],
        "referrals": [...], "allocations": [...], "history": {"plan": {id: [...]},
        "referral": {id: [...]}, "allocation": {id: [...]}}}``;
        each history entry is one version (who, when, why and the data then).

    Raises
    ------
    SchemaError
        If the reference is malformed.
    NotFoundError
        If no plan has it.
    AccessDeniedError
        If ``principal`` may not export one of the plans.
    """
    plans = _plans_under(store, reference)
    for plan in plans:
        require(principal, Operation.EXPORT_PLAN, owner_id=plan.get("owner"))
    referrals = _referrals_of(store, [p["id"] for p in plans])
    allocations = _under_plans(store, ALLOCATION_ENTITY, [p["id"] for p in plans])
    when = now or dt.datetime.now(dt.UTC)
    logger.info("plan data exported (%d plans, %d referrals)", len(plans), len(referrals))
    return {
        "format": EXPORT_FORMAT,
        "version": 1,
        "exported_at": when.isoformat(),
        "reference": _check_reference(reference),
        "plans": [_json_value(p) for p in plans],
        "referrals": [_json_value(r) for r in referrals],
        "allocations": [_json_value(a) for a in allocations],
        "history": {
            PLAN_ENTITY: {p["id"]: _history(store, PLAN_ENTITY, p["id"]) for p in plans},
            REFERRAL_ENTITY: {
                r["id"]: _history(store, REFERRAL_ENTITY, r["id"]) for r in referrals
            },
            ALLOCATION_ENTITY: {
                a["id"]: _history(store, ALLOCATION_ENTITY, a["id"]) for a in allocations
            },
        },
    }


# ---------------------------------------------------------------------- erasure
def _erase_plan_ids(
    store: Store, plan_ids: Sequence[str], *, actor: Principal, reason: str
) -> ErasureResult:
    """Erase referrals and allocations first, then the plans, then check the files.

    Of each allocation only its fund, spend category, need, amounts, status
    and month are kept, as an anonymous ``fund_total`` record (the fund's
    accounts), before its content is erased.

    A re-run finishes an interrupted erasure; if a reader keeps old pages, the
    content is erased from the register and :class:`StoreError` says how to
    finish (``assetmap scrub``).
    """
    from assetmap.people.funds import keep_anonymous_totals

    rows = 0
    referrals = _referrals_of(store, plan_ids)
    targets = [(REFERRAL_ENTITY, str(r["id"])) for r in referrals]
    allocations = keep_anonymous_totals(store, plan_ids, actor=actor.user_id)
    targets += [(ALLOCATION_ENTITY, a) for a in allocations]
    for entity, record_id in [*targets, *((PLAN_ENTITY, p) for p in plan_ids)]:
        rows += store.erase_record(
            entity, record_id, actor=actor.user_id, reason=reason, scrub=False
        )
    store.finish_erasure()
    return ErasureResult(plan_ids=tuple(plan_ids), referrals=len(referrals), history_rows=rows)


def erase_plan(store: Store, reference: str, *, principal: Principal, reason: str) -> ErasureResult:
    """Erase everything held under a plan reference, including its history.

    Checks ``erase_plan`` for each plan's owner (staff: their caseload; admins).
    The plan and its referrals keep their ids and version numbers, but their
    data, in every version, becomes ``{"erased": true, "status": "erased"}``;
    one audit line per record records who erased it, when and ``reason``.

    Parameters
    ----------
    store
        The register store.
    reference
        The plan's pseudonymous reference.
    principal
        Who erases.
    reason
        Why (e.g. "erasure request 2026-11-24"); kept in the audit lines, so it
        must not repeat the content.

    Raises
    ------
    SchemaError
        If the reference is malformed or ``reason`` is empty.
    NotFoundError
        If no plan has the reference.
    AccessDeniedError
        If ``principal`` may not erase one of the plans.
    """
    if not isinstance(reason, str) or not reason.strip():
        msg = "Say why the plan is erased (e.g. 'erasure request of 24 Nov 2026')."
        raise SchemaError(msg)
    plans = _plans_under(store, reference)
    for plan in plans:
        require(principal, Operation.ERASE_PLAN, owner_id=plan.get("owner"))
    result = _erase_plan_ids(
        store, [str(p["id"]) for p in plans], actor=principal, reason=reason.strip()
    )
    logger.info(
        "erased %d plans, %d referrals, %d history rows",
        len(result.plan_ids),
        result.referrals,
        result.history_rows,
    )
    return result


# ---------------------------------------------------------------------- aggregates
#: What :func:`plan_counts` may group by: coarse, never the content of a plan.
PLAN_GROUPINGS: Final = ("status", "month", "home_area")
_GROUPING_ALIASES: Final = {"area": "home_area"}
#: What a count hidden so that a total cannot give away a ``"<5"`` is shown as.
HIDDEN: Final = "hidden"
_STATUSES: Final = ("open", "closed")


def _grouping(by: str) -> str:
    key = _GROUPING_ALIASES.get(by, by) if isinstance(by, str) else ""
    if key not in PLAN_GROUPINGS:
        msg = (
            "Plans can be counted only by status, month (opened) or area (home_area); "
            "grouping by a plan's content, reference or owner could point at a person."
        )
        raise SchemaError(msg)
    return key


def _opened_months(store: Store) -> dict[str, str]:
    """Plan id -> ``"YYYY-MM"`` of its first version (when it was opened)."""
    log = store.change_log(entity=PLAN_ENTITY)
    created = log[log["version"] == 1]
    return {
        str(i): pd.Timestamp(v).strftime("%Y-%m")
        for i, v in zip(created["entity_id"], created["valid_from"], strict=True)
    }


def _suppressed_cells(
    table: Any, *, threshold: int
) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """Cells of a table with margins (last row and column are totals) to hide.

    Primary: counts from 1 to ``threshold - 1``. Secondary: in every row and
    column (a line whose last entry is the sum of the others), a suppressed
    count must not be recoverable from the rest: a line never has exactly one
    hidden entry, and a small count is never pinned to one value by the
    visible total and the bounds the labels give (``<5``: 1 to 4; hidden:
    ``threshold`` or more). The smallest visible positive entry of a line is
    hidden next, until nothing changes.

    Examples
    --------
    >>> primary, secondary = _suppressed_cells(np.array([[7, 2, 9], [7, 2, 9]]), threshold=5)
    >>> sorted(primary), sorted(secondary)
    ([(0, 1), (1, 1)], [(0, 0), (1, 0)])
    """
    rows, cols = table.shape
    primary = {(i, j) for i in range(rows) for j in range(cols) if 0 < table[i, j] < threshold}
    secondary: set[tuple[int, int]] = set()
    lines = [[(i, j) for j in range(cols)] for i in range(rows)] if cols > 1 else []
    lines += [[(i, j) for i in range(rows)] for j in range(cols)] if rows > 1 else []
    changed = True
    while changed:
        changed = False
        for line in lines:
            hidden = [c for c in line if c in primary or c in secondary]
            if not hidden or not _recoverable(table, line, primary, hidden, threshold=threshold):
                continue
            shown = [c for c in line if c not in hidden and table[c] > 0]
            secondary.add(min(shown, key=lambda c: (table[c], c == line[-1])))
            changed = True
    return primary, secondary


def _recoverable(
    table: Any,
    line: list[tuple[int, int]],
    primary: set[tuple[int, int]],
    hidden: list[tuple[int, int]],
    *,
    threshold: int,
) -> bool:
    """Whether a hidden small count in ``line`` can be worked out from what it shows."""
    if len(hidden) == 1:
        return True
    total = line[-1]
    if total in hidden:
        return False  # the sum itself is unknown
    rest = int(table[total]) - sum(int(table[c]) for c in line[:-1] if c not in hidden)
    for cell in (c for c in hidden if c in primary):
        others = [c for c in hidden if c != cell]
        low = sum(1 if c in primary else threshold for c in others)
        if all(c in primary for c in others):
            high = sum(threshold - 1 for _ in others)
            if max(1, rest - high) >= min(threshold - 1, rest - low):
                return True
        elif min(threshold - 1, rest - low) <= 1:
            return True
    return False


def suppress_table(
    frame: pd.DataFrame, label: str, columns: Sequence[str], *, threshold: int = 5
) -> pd.DataFrame:
    """Return ``frame`` with totals, small counts and the counts that would give them away hidden.

    Counts from 1 to ``threshold - 1`` become ``"<5"`` (primary); further
    counts become :data:`HIDDEN` so that no total or other count gives them
    away (secondary, as :func:`plan_counts`). With more than one count
    column a ``total`` column is added.

    Examples
    --------
    >>> table = pd.DataFrame({"need": ["a", "b", "c"], "plans": [7, 2, 9]})
    >>> suppress_table(table, "need", ["plans"])["plans"].tolist()
    ['hidden', '<5', 9, 18]
    """
    check_threshold(threshold)
    cols = list(columns)
    counts = np.zeros((len(frame) + 1, len(cols) + (1 if len(cols) > 1 else 0)), dtype=np.int64)
    for j, column in enumerate(cols):
        values = pd.to_numeric(frame[column], errors="coerce").fillna(0)
        counts[:-1, j] = values.astype("int64").to_numpy()
    if len(cols) > 1:
        counts[:-1, -1] = counts[:-1, :-1].sum(axis=1)
    counts[-1, :] = counts[:-1, :].sum(axis=0)
    primary, secondary = _suppressed_cells(counts, threshold=threshold)
    names = [*cols, "total"] if len(cols) > 1 else cols
    shown = [
        [
            f"<{threshold}" if (i, j) in primary else HIDDEN if (i, j) in secondary else int(n)
            for j, n in enumerate(row)
        ]
        for i, row in enumerate(counts)
    ]
    out = pd.DataFrame(shown, columns=names, dtype=object)
    out.insert(0, label, [*frame[label].astype(str).tolist(), "total"])
    return out


def plan_counts(
    store: Store, *, principal: Principal, by: str = "home_area", threshold: int = 5
) -> pd.DataFrame:
    """Count open and closed plans per ``by`` value, for leads, so no one can be picked out.

    Checks ``view_aggregates``. Erased plans are not counted. Only the coarse
    groupings in :data:`PLAN_GROUPINGS` are allowed (``"area"`` means
    ``"home_area"``; ``"month"`` is the month a plan was opened). Counts from
    1 to ``threshold - 1`` are shown as ``"<5"`` and, so that no total or
    other count gives them away (secondary suppression, see
    :func:`_suppressed_cells`), further counts may be shown as
    :data:`HIDDEN`. The last row, ``"total"``, counts every plan.

    Parameters
    ----------
    store
        The register store.
    principal
        Who asks (a lead or admin).
    by
        ``"home_area"`` (or ``"area"``), ``"month"`` or ``"status"``.
    threshold
        The smallest count shown as a number.

    Returns
    -------
    pandas.DataFrame
        Columns ``by``, ``open``, ``closed``, ``total`` sorted by ``by`` then
        the ``"total"`` row; for ``by="status"``: ``status`` (open, closed,
        total) and ``plans``.

    Raises
    ------
    AccessDeniedError
        If ``principal`` may not see aggregates.
    SchemaError
        If ``by`` is not an allowed grouping (e.g. goals, reference, constraints).
    """
    require(principal, Operation.VIEW_AGGREGATES)
    key = _grouping(by)
    check_threshold(threshold)
    plans = [p for p in _plans(store) if p.get("status") in _STATUSES]
    if key == "status":
        labels = ["total"] * len(plans)
    elif key == "month":
        months = _opened_months(store) if plans else {}
        labels = [months.get(str(p["id"]), "unknown") for p in plans]
    else:
        labels = [str(p.get(key) or "unknown") for p in plans]
    groups = sorted(set(labels)) if key != "status" else ["total"]
    counts = np.zeros((len(groups) + 1, len(_STATUSES) + 1), dtype=np.int64)
    for label, plan in zip(labels, plans, strict=True):
        counts[groups.index(label), _STATUSES.index(plan["status"])] += 1
    counts[:-1, -1] = counts[:-1, :-1].sum(axis=1)
    counts[-1, :] = counts[:-1, :].sum(axis=0)
    if key == "status":
        counts = counts[:1]  # one line: open + closed = total
    primary, secondary = _suppressed_cells(counts, threshold=threshold)
    shown = [
        [
            f"<{threshold}" if (i, j) in primary else HIDDEN if (i, j) in secondary else int(n)
            for j, n in enumerate(row)
        ]
        for i, row in enumerate(counts)
    ]
    if key == "status":
        return pd.DataFrame({"status": [*_STATUSES, "total"], "plans": shown[0]})
    out = pd.DataFrame(shown, columns=[*_STATUSES, "total"], dtype=object)
    out.insert(0, key, [*groups, "total"])
    return out
