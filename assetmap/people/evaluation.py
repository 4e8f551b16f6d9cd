"""The evaluation pack: what a pilot evaluator needs from a workspace, with nothing identifying.

:func:`write_evaluation_pack` writes, for the sessions, plans, funds and grants
of a period, into one folder:

``sessions.csv``
    Per mapping session: what was added, accepted, named and voted, and the
    kinds of support within walking distance before and after (when the
    workspace has a walking network).
``plans.csv``
    One row per plan, keyed by a fresh random key made for this export only
    (two exports cannot be joined on it): month opened, status, needs of its
    goals (codes), referral steps reached, money requested/approved/spent.
    No reference, owner, home area, date finer than a month or free text.
``goals_by_need.csv``, ``referrals_by_step.csv``, ``money_by_category.csv``
    Counts over plans, with counts from 1 to 4 shown as ``<5`` and further
    counts hidden so totals cannot give them away
    (:func:`assetmap.people.privacy.suppress_table`); money of a category
    with fewer than 5 requests is hidden too.
``funds.csv``, ``grants.csv``
    Per fund: totals and median days from request to decision; per shared
    grant: fund, need, amount, group size, votes, status, days to decision
    and the register entry it became.
``data_dictionary.csv``
    Every column of every file and what it means.
``evaluation.xlsx``
    Every table above, one sheet each.
``*.png``
    Charts of the main series (vl-convert, offline).

The method is in ``docs/evaluation.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from assetmap.access import Operation, Principal, Role, require
from assetmap.errors import AssetMapError, SchemaError
from assetmap.people import funds as fund_records
from assetmap.people.grants import GRANT_ENTITY
from assetmap.people.plans import PLAN_ENTITY, REFERRAL_ENTITY, REFERRAL_STEPS
from assetmap.people.privacy import suppress_table
from assetmap.people.sessions import session_summary
from assetmap.records import SESSION_ENTITY

if TYPE_CHECKING:
    from assetmap.workspace import Workspace

__all__ = ["DICTIONARY", "EvaluationPack", "evaluation_zip", "write_evaluation_pack"]

THRESHOLD: Final = 5

#: file -> column -> meaning: written as data_dictionary.csv.
DICTIONARY: Final[Mapping[str, Mapping[str, str]]] = {
    "sessions.csv": {
        "date": "date of the mapping session",
        "area": "the area the session mapped (a place name chosen by the facilitator)",
        "participants": "people taking part (shown as <5 when 1 to 4)",
        "places_added": "places and services proposed",
        "volunteering_added": "volunteering opportunities proposed",
        "gaps_named": "gaps (unmet needs) named",
        "ideas": "ideas for new services",
        "votes": "votes for ideas",
        "accepted": "proposals accepted into the register",
        "kinds_of_support_before": "kinds of support within the walk before the session "
        "(blank without a walking network)",
        "kinds_of_support_after": "the same after the accepted proposals",
        "walk_minutes": "the walk used for the two figures above",
    },
    "plans.csv": {
        "key": "a random key made for this export only; it links nothing outside this file",
        "opened": "month the plan was opened (YYYY-MM)",
        "status": "open or closed",
        "goals": "number of goals",
        "needs": "need codes of its goals (taxonomy), separated by ;",
        "referrals": "services referred to (any step)",
        "attended": "services attended or ongoing",
        "requested": "money requested from funds, pounds",
        "approved": "money approved, pounds",
        "spent": "money spent, pounds",
        "categories": "spend categories (360Giving GTIP codes) of its requests, separated by ;",
    },
    "goals_by_need.csv": {
        "need": "need code (taxonomy)",
        "goals": "goals with this need in plans opened in the period (suppressed)",
    },
    "referrals_by_step.csv": {
        "step": "the furthest step logged for a plan and a service",
        "referrals": "plan-service pairs that reached it (suppressed)",
    },
    "money_by_category.csv": {
        "category": "spend category code (360Giving GTIP) and label",
        "requests": "requests made (suppressed)",
        "approved": "requests approved (suppressed)",
        "approved_pounds": "money approved; hidden where requests are suppressed",
        "spent_pounds": "money spent; hidden where requests are suppressed",
    },
    "funds.csv": {
        "fund": "fund name",
        "holder": "organisation holding the fund",
        "budget_pounds": "the fund's budget",
        "requests": "personal requests (suppressed)",
        "approved": "personal requests approved (suppressed)",
        "refused": "personal requests refused (suppressed)",
        "approved_pounds": "personal money approved",
        "spent_pounds": "personal money spent",
        "grants": "shared grants applied for",
        "granted_pounds": "shared grant money approved",
        "left_pounds": "budget left",
        "median_days_to_decision": "median days from a request or application to its decision",
    },
    "grants.csv": {
        "fund": "fund name",
        "need": "need code of the idea's gap",
        "amount_pounds": "money asked for (sum of budget lines)",
        "people": "people in the group",
        "votes": "votes the idea had when the group applied",
        "status": "applied, approved, refused, spent or done",
        "days_to_decision": "days from application to decision",
        "became": "the register entry the grant created (name), when done",
    },
}


@dataclass(frozen=True, slots=True)
class EvaluationPack:
    """What :func:`write_evaluation_pack` wrote: the folder and its files."""

    folder: Path
    files: tuple[str, ...]


def _day(value: Any, key: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        msg = f"`{key}` must be an ISO date like 2026-12-01, got {value!r}."
        raise SchemaError(msg) from None


def _pounds(pence: float) -> float:
    return round(float(pence) / 100, 2)


def _within(value: Any, start: dt.date, end: dt.date) -> bool:
    return start.isoformat() <= str(value)[:10] <= end.isoformat()


def _live(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty or "status" not in frame.columns:
        return frame
    return frame[frame["status"] != "erased"].reset_index(drop=True)


def _opened(workspace: Workspace) -> dict[str, str]:
    log = workspace.store().change_log(entity=PLAN_ENTITY)
    first = log[log["version"] == 1]
    return {
        str(i): pd.Timestamp(v).strftime("%Y-%m-%d")
        for i, v in zip(first["entity_id"], first["valid_from"], strict=True)
    }


def _session_rows(workspace: Workspace, start: dt.date, end: dt.date) -> pd.DataFrame:
    store = workspace.store()
    sessions = _live(store.records(SESSION_ENTITY))
    graph = None
    try:
        from assetmap.reach.network import walk_graph_for

        if workspace.network_path.exists():
            graph = walk_graph_for(workspace.network_path)
    except AssetMapError:  # coverage is optional: the counts still go out
        graph = None
    reader = Principal("evaluation-pack", Role.FACILITATOR)  # counts only, after EVALUATE
    rows = []
    for record in sessions.to_dict("records") if not sessions.empty else []:
        if not _within(record["date"], start, end):
            continue
        s = session_summary(store, str(record["id"]), principal=reader, graph=graph)
        rows.append(
            {
                "date": s.date,
                "area": s.area,
                "participants": s.participants,
                "places_added": s.assets_added,
                "volunteering_added": s.volunteering_added,
                "gaps_named": s.gaps_added,
                "ideas": s.ideas_added,
                "votes": s.votes_cast,
                "accepted": s.accepted,
                "kinds_of_support_before": s.range_before,
                "kinds_of_support_after": s.range_after,
                "walk_minutes": s.range_minutes,
            }
        )
    frame = pd.DataFrame(rows, columns=list(DICTIONARY["sessions.csv"]))
    small = (frame["participants"] > 0) & (frame["participants"] < THRESHOLD)
    frame["participants"] = frame["participants"].astype(object).where(~small, f"<{THRESHOLD}")
    return frame.sort_values("date", ignore_index=True)


def _plan_rows(
    workspace: Workspace, start: dt.date, end: dt.date
) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Anonymous plan rows, plus every goal's need and every referral's furthest step."""
    store = workspace.store()
    plans = _live(store.records(PLAN_ENTITY))
    opened = _opened(workspace)
    referrals = _live(store.records(REFERRAL_ENTITY))
    allocations = _live(store.records(fund_records.ALLOCATION_ENTITY))
    rows, needs, steps = [], [], []
    for plan in plans.to_dict("records") if not plans.empty else []:
        day = opened.get(str(plan["id"]), "")
        if not _within(day, start, end):
            continue
        goal_needs = [str(g.get("need")) for g in plan.get("goals") or [] if g.get("need")]
        needs += goal_needs
        mine = referrals[referrals["plan_id"] == plan["id"]] if not referrals.empty else referrals
        plan_steps = [str(s) for s in mine["step"]] if not mine.empty else []
        steps += plan_steps
        money = (
            allocations[allocations["plan_id"] == plan["id"]]
            if not allocations.empty
            else allocations
        )
        records = money.to_dict("records") if not money.empty else []
        committed = [r for r in records if r["status"] in ("approved", "spent", "closed")]
        rows.append(
            {
                "opened": day[:7],
                "status": plan.get("status"),
                "goals": len(goal_needs),
                "needs": ";".join(sorted(goal_needs)),
                "referrals": len(plan_steps),
                "attended": sum(s in ("attended", "ongoing") for s in plan_steps),
                "requested": _pounds(sum(int(r["amount"]) for r in records)),
                "approved": _pounds(sum(int(r["amount"]) for r in committed)),
                "spent": _pounds(
                    sum(
                        int(r["spent"])
                        for r in records
                        if r.get("spent") is not None and r["spent"] == r["spent"]
                    )
                ),
                "categories": ";".join(sorted({str(r["category"]) for r in records})),
            }
        )
    frame = pd.DataFrame(rows, columns=list(DICTIONARY["plans.csv"])[1:])
    frame = frame.sample(frac=1, random_state=secrets.randbelow(2**32)).reset_index(drop=True)
    frame.insert(0, "key", [secrets.token_hex(6) for _ in range(len(frame))])
    return frame, needs, steps


def _count_table(values: list[str], label: str, column: str, order: list[str]) -> pd.DataFrame:
    counts = pd.Series(values, dtype=object).value_counts()
    frame = pd.DataFrame({label: order, column: [int(counts.get(k, 0)) for k in order]})
    return suppress_table(frame, label, [column], threshold=THRESHOLD)


def _money_table(workspace: Workspace, start: dt.date, end: dt.date) -> pd.DataFrame:
    allocations = _live(workspace.store().records(fund_records.ALLOCATION_ENTITY))
    kept = workspace.store().records(fund_records.FUND_TOTAL_ENTITY)
    rows: list[Mapping[Any, Any]] = []
    for frame, when in ((allocations, "requested_on"), (kept, "month")):
        if frame.empty:
            continue
        months = (start.strftime("%Y-%m"), end.strftime("%Y-%m"))
        rows += [r for r in frame.to_dict("records") if months[0] <= str(r[when])[:7] <= months[1]]
    labels = fund_records.spend_categories()
    codes = list(labels)
    table = pd.DataFrame(
        {
            "category": [f"{c} {labels[c]}" for c in codes],
            "requests": [sum(r["category"] == c for r in rows) for c in codes],
            "approved": [
                sum(
                    r["category"] == c and r["status"] in ("approved", "spent", "closed")
                    for r in rows
                )
                for c in codes
            ],
        }
    )
    shown = suppress_table(table, "category", ["requests", "approved"], threshold=THRESHOLD)
    shown = shown.drop(columns="total")
    amounts = []
    for code in codes:
        mine = [r for r in rows if r["category"] == code]
        amounts.append(
            (
                _pounds(
                    sum(
                        int(r["amount"])
                        for r in mine
                        if r["status"] in ("approved", "spent", "closed")
                    )
                ),
                _pounds(
                    sum(
                        fund_records.committed_amount(r)
                        for r in mine
                        if r["status"] in ("spent", "closed")
                    )
                ),
            )
        )
    totals = (sum(a for a, _ in amounts), sum(s for _, s in amounts))
    hidden = [not isinstance(v, int) for v in shown["requests"].iloc[:-1]]
    approved_col: list[Any] = [
        "hidden" if h else a for h, (a, _) in zip(hidden, amounts, strict=True)
    ]
    spent_col: list[Any] = ["hidden" if h else s for h, (_, s) in zip(hidden, amounts, strict=True)]
    if sum(hidden) == 1:  # one hidden amount could be worked out from the total
        approved_col.append("hidden")
        spent_col.append("hidden")
    else:
        approved_col.append(round(totals[0], 2))
        spent_col.append(round(totals[1], 2))
    shown["approved_pounds"] = approved_col
    shown["spent_pounds"] = spent_col
    return shown


def _days(a: Any, b: Any) -> int | None:
    if not a or not b or a != a or b != b:
        return None
    return (dt.date.fromisoformat(str(b)[:10]) - dt.date.fromisoformat(str(a)[:10])).days


def _fund_rows(workspace: Workspace, principal: Principal) -> tuple[pd.DataFrame, pd.DataFrame]:
    store = workspace.store()
    totals = fund_records.fund_totals(
        store, principal=Principal("evaluation-pack", Role.LEAD), suppress=False
    )
    del principal
    funds = store.records(fund_records.FUND_ENTITY)
    grants = _live(store.records(GRANT_ENTITY))
    allocations = _live(store.records(fund_records.ALLOCATION_ENTITY))
    names = dict(zip(funds["id"], funds["name"], strict=True)) if not funds.empty else {}
    grant_rows = []
    for g in grants.to_dict("records") if not grants.empty else []:
        became = store.get_asset(str(g["became"]))["name"] if g.get("became") else None
        grant_rows.append(
            {
                "fund": names.get(g["fund_id"], ""),
                "need": g.get("need"),
                "amount_pounds": _pounds(g["amount"]),
                "people": g["people"],
                "votes": g["votes"],
                "status": g["status"],
                "days_to_decision": _days(g["applied_on"], g.get("decided_on")),
                "became": became,
            }
        )
    grant_frame = pd.DataFrame(grant_rows, columns=list(DICTIONARY["grants.csv"]))
    rows = []
    for fund, total in zip(
        funds.to_dict("records") if not funds.empty else [], totals.to_dict("records"), strict=False
    ):
        waits = [
            d
            for frame, a, b in (
                (allocations, "requested_on", "decided_on"),
                (grants, "applied_on", "decided_on"),
            )
            if not frame.empty
            for r in frame[frame["fund_id"] == fund["id"]].to_dict("records")
            if (d := _days(r[a], r.get(b))) is not None
        ]
        mine = grants[grants["fund_id"] == fund["id"]] if not grants.empty else grants
        granted = (
            mine[mine["status"].isin(["approved", "spent", "done"])] if not mine.empty else mine
        )
        rows.append(
            {
                "fund": total["fund"],
                "holder": total["holder"],
                "budget_pounds": _pounds(total["budget"]),
                "requests": total["requests"],
                "approved": total["approved"],
                "refused": total["refused"],
                "approved_pounds": _pounds(total["approved_amount"]),
                "spent_pounds": _pounds(total["spent_amount"]),
                "grants": len(mine),
                "granted_pounds": _pounds(granted["amount"].sum()) if not granted.empty else 0.0,
                "left_pounds": _pounds(total["left"]),
                "median_days_to_decision": statistics.median(waits) if waits else None,
            }
        )
    frame = pd.DataFrame(rows, columns=list(DICTIONARY["funds.csv"]))
    for column in ("requests", "approved", "refused"):
        small = (frame[column] > 0) & (frame[column] < THRESHOLD)
        frame[column] = frame[column].astype(object).where(~small, f"<{THRESHOLD}")
    return frame, grant_frame


def _chart(frame: pd.DataFrame, x: str, y: str, title: str) -> bytes:
    import vl_convert

    data = [
        {x: str(a), y: b}
        for a, b in zip(frame[x], frame[y], strict=True)
        if isinstance(b, int | float) and str(a) != "total"
    ]
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": {
            "text": title,
            "subtitle": "Counts under 5, and counts hidden to protect "
            "them, are not drawn: see the CSV files.",
        },
        "width": 480,
        "data": {"values": data},
        "mark": "bar",
        "encoding": {
            "y": {"field": x, "type": "nominal", "sort": "-x", "title": None},
            "x": {"field": y, "type": "quantitative"},
        },
    }
    png: bytes = vl_convert.vegalite_to_png(json.dumps(spec), scale=2)
    return png


def write_evaluation_pack(
    workspace: Workspace,
    out_dir: str | Path,
    *,
    start: dt.date | str,
    end: dt.date | str,
    principal: Principal,
) -> EvaluationPack:
    """Write the evaluation pack of ``start`` to ``end`` (inclusive) into ``out_dir``.

    Checks ``evaluate`` (leads and admins). Nothing in it names a person or a
    plan: see the module docs for each file.

    Raises
    ------
    SchemaError
        Bad dates, or ``end`` before ``start``.
    AccessDeniedError
        The caller may not write it.
    """
    require(principal, Operation.EVALUATE)
    first, last = _day(start, "from"), _day(end, "to")
    if last < first:
        msg = f"`to` ({last}) is before `from` ({first})."
        raise SchemaError(msg)
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    plans, needs, steps = _plan_rows(workspace, first, last)
    from assetmap.taxonomy import load_taxonomy

    funds, grants = _fund_rows(workspace, principal)
    tables = {
        "sessions.csv": _session_rows(workspace, first, last),
        "plans.csv": plans,
        "goals_by_need.csv": _count_table(needs, "need", "goals", sorted(load_taxonomy().needs)),
        "referrals_by_step.csv": _count_table(steps, "step", "referrals", list(REFERRAL_STEPS)),
        "money_by_category.csv": _money_table(workspace, first, last),
        "funds.csv": funds,
        "grants.csv": grants,
    }
    dictionary = pd.DataFrame(
        [(f, c, m) for f, cols in DICTIONARY.items() for c, m in cols.items()],
        columns=["file", "column", "meaning"],
    )
    written = []
    for name, frame in [*tables.items(), ("data_dictionary.csv", dictionary)]:
        frame.to_csv(folder / name, index=False)
        written.append(name)
    with pd.ExcelWriter(folder / "evaluation.xlsx") as book:
        for name, frame in [*tables.items(), ("data_dictionary.csv", dictionary)]:
            frame.to_excel(book, sheet_name=name.removesuffix(".csv")[:31], index=False)
    written.append("evaluation.xlsx")
    charts = {
        "goals_by_need.png": (tables["goals_by_need.csv"], "need", "goals", "Goals by need"),
        "referrals_by_step.png": (
            tables["referrals_by_step.csv"],
            "step",
            "referrals",
            "Referrals by furthest step",
        ),
        "money_by_category.png": (
            tables["money_by_category.csv"],
            "category",
            "approved_pounds",
            "Money approved by spend category (£)",
        ),
    }
    for name, (frame, x, y, title) in charts.items():
        (folder / name).write_bytes(_chart(frame, x, y, title))
        written.append(name)
    return EvaluationPack(folder, tuple(written))


def evaluation_zip(
    workspace: Workspace, *, start: dt.date | str, end: dt.date | str, principal: Principal
) -> bytes:
    """Return the evaluation pack as one ZIP file (for a download button).

    Same checks and content as :func:`write_evaluation_pack`.
    """
    import io
    import tempfile
    import zipfile

    with tempfile.TemporaryDirectory(prefix="assetmap-evaluation-") as tmp:
        pack = write_evaluation_pack(workspace, tmp, start=start, end=end, principal=principal)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in pack.files:
                archive.write(pack.folder / name, arcname=f"evaluation/{name}")
    return buffer.getvalue()
