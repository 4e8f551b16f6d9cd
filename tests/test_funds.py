"""Enabling funds, personal allocations and shared grants, through the core, on both databases.

Pins: caps and four eyes refused in the core with clear messages; every step a
version; two approvals at once (the same request, or two requests that
together pass the budget): exactly one wins; a plan's export holds its
allocations and its erasure leaves no personal content in the database files
(raw bytes) but keeps anonymous totals; the group path from an idea to an
asset that the "what was added" view lists.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from trust.test_privacy import _raw_bytes

from assetmap.access import Principal, Role
from assetmap.errors import AccessDeniedError, ConflictError, SchemaError
from assetmap.match.needs import Constraints, Goal
from assetmap.people import funds, grants, plans, privacy, sessions
from assetmap.store import Store
from assetmap.workspace import Workspace, create_workspace

SAM = Principal("sam", Role.STAFF)
ABI = Principal("abi", Role.APPROVER)
ALF = Principal("alf", Role.APPROVER)
ADA = Principal("ada", Role.ADMIN)
LEE = Principal("lee", Role.LEAD)
FRAN = Principal("fran", Role.FACILITATOR)
DAY = dt.date(2026, 12, 1)
START = plans.StartPoint(-0.7271, 52.6703, "coordinates", "here", "LE15 6", -0.727, 52.670)
SECRET = "XQZSECRETDEPOSIT"


def _fund(store: Store, **extra: Any) -> dict[str, Any]:
    data = {
        "name": "Enabling fund",
        "holder": "Probation East Midlands",
        "budget": "2000",
        "start": "2026-11-01",
        "end": "2027-03-31",
        "person_cap": "1000",
        "request_cap": "600",
        "grant_cap": "250",
        "min_group": 4,
    } | extra
    return funds.create_fund(store, data, principal=ADA)


def _plan(store: Store) -> str:
    made = plans.create_plan(
        store,
        start=START,
        goals=[Goal(need="accommodation"), Goal(need="ete")],
        constraints=Constraints(),
        principal=SAM,
    )
    return str(made["id"])


def _ask(store: Store, plan_id: str, fund_id: str, amount: str = "450", **extra: Any) -> str:
    args: dict[str, Any] = {
        "goal": 0,
        "category": "GTIP060",
        "what": f"Rent deposit {SECRET}",
        "why": "a room is offered from January",
        "amount": amount,
        "supplier": "Oakham lettings",
        "principal": SAM,
        "on": DAY,
    } | extra
    return str(funds.request_allocation(store, plan_id, fund_id, **args)["id"])


def test_a_request_runs_from_ask_to_outcome_with_every_step_a_version(store: Store) -> None:
    fund = _fund(store)
    plan_id = _plan(store)
    rid = _ask(store, plan_id, fund["id"])
    approved = funds.approve_allocation(store, rid, principal=ABI, on=DAY)
    assert (approved["status"], approved["decided_by"]) == ("approved", "abi")
    funds.record_spend(store, rid, spent="440.50", evidence="receipt 17", principal=SAM, on=DAY)
    closed = funds.record_outcome(store, rid, outcome="achieved", principal=SAM)
    assert closed["status"] == "closed"
    assert closed["spent"] == 44050
    history = store.history(funds.ALLOCATION_ENTITY, rid)
    assert list(history["reason"]) == [
        "allocation requested",
        "allocation approved",
        "money spent",
        "outcome recorded",
    ]
    assert funds.pending_requests(store, principal=ALF).empty  # nothing waits now
    assert "fund" in funds.pending_requests(store, principal=ALF).columns
    shown = funds.allocations_of_plan(store, plan_id, principal=SAM)
    assert shown["status"].tolist() == ["closed"]
    totals = funds.fund_totals(store, principal=LEE, suppress=False)
    assert totals.loc[0, "spent_amount"] == 44050
    assert totals.loc[0, "left"] == 200000 - 44050
    shown = funds.fund_totals(store, principal=LEE)  # one request: a lead sees no amount of it
    assert shown.loc[0, ["requests", "approved"]].tolist() == ["<5", "<5"]
    assert (
        shown.loc[0, ["requested_amount", "approved_amount", "spent_amount", "left"]].tolist()
        == ["hidden"] * 4
    )


def test_four_eyes_and_roles_are_checked_in_the_core(store: Store) -> None:
    fund = _fund(store, approvers=["abi"])
    rid = _ask(store, _plan(store), fund["id"])
    with pytest.raises(AccessDeniedError, match=r"may not decide on a request for money"):
        funds.approve_allocation(store, rid, principal=SAM, on=DAY)  # staff cannot approve
    with pytest.raises(ConflictError, match="Only the approvers named"):
        funds.approve_allocation(store, rid, principal=ALF, on=DAY)
    other_fund = _fund(store, name="Women's enabling fund", holder="Women's centre")
    plan_id = _plan(store)
    with pytest.raises(AccessDeniedError, match=r"only .* for their own caseload"):
        funds.request_allocation(
            store,
            plan_id,
            other_fund["id"],
            goal=0,
            category="GTIP060",
            what="x",
            why="y",
            amount="5",
            principal=Principal("olga", Role.STAFF),
            on=DAY,
        )
    with pytest.raises(AccessDeniedError):
        funds.pending_requests(store, principal=LEE)  # a lead sees aggregates only
    assert funds.pending_requests(store, principal=ABI)["id"].tolist() == [rid]
    assert "plan_id" not in funds.pending_requests(store, principal=ABI).columns


def test_the_person_who_asked_cannot_decide(store: Store) -> None:
    fund = _fund(store)
    plan_id = _plan(store)
    rid = _ask(store, plan_id, fund["id"])
    # the same person id holding the approver role (e.g. a second account) is still refused
    with pytest.raises(ConflictError, match="Four eyes"):
        funds.approve_allocation(store, rid, principal=Principal("sam", Role.APPROVER), on=DAY)
    assert store.get_record(funds.ALLOCATION_ENTITY, rid)["status"] == "requested"


def test_caps_are_enforced_with_clear_messages(store: Store) -> None:
    fund = _fund(store)
    plan_id = _plan(store)
    with pytest.raises(ConflictError, match=r"£700.00 is more than the £600.00 one request"):
        _ask(store, plan_id, fund["id"], amount="700")
    _ask(store, plan_id, fund["id"], amount="600")
    with pytest.raises(ConflictError, match=r"already has £600.00 .* £1,000.00 cap per person"):
        _ask(store, plan_id, fund["id"], amount="450")
    with pytest.raises(SchemaError, match="does not pay for 'Debt'"):
        _ask(store, plan_id, _fund(store, categories=["GTIP060"])["id"], category="GTIP090")
    with pytest.raises(SchemaError, match="`goal` must be one of the plan's 2 goals"):
        _ask(store, plan_id, fund["id"], goal=5)
    with pytest.raises(ConflictError, match="runs from 2026-11-01 to 2027-03-31"):
        _ask(store, plan_id, fund["id"], on=dt.date(2027, 5, 1))


def _race(calls: list[Callable[[], Any]]) -> list[Any]:
    go = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        go.wait(timeout=30)
        try:
            return call()
        except ConflictError as exc:
            return exc

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_two_approvals_of_the_same_request_exactly_one_wins(store: Store) -> None:
    fund = _fund(store)
    rid = _ask(store, _plan(store), fund["id"])
    results = _race(
        [
            lambda: funds.approve_allocation(store, rid, principal=ABI, expected_version=1, on=DAY),
            lambda: funds.approve_allocation(store, rid, principal=ALF, expected_version=1, on=DAY),
        ]
    )
    wins = [r for r in results if isinstance(r, dict)]
    assert len(wins) == 1
    assert sum(isinstance(r, ConflictError) for r in results) == 1
    history = store.history(funds.ALLOCATION_ENTITY, rid)
    assert list(history["reason"]).count("allocation approved") == 1
    assert store.get_record(funds.ALLOCATION_ENTITY, rid)["decided_by"] == wins[0]["decided_by"]


def test_two_approvals_that_together_pass_the_budget_exactly_one_wins(store: Store) -> None:
    fund = _fund(store, budget="800")
    first = _ask(store, _plan(store), fund["id"], amount="500")
    second = _ask(store, _plan(store), fund["id"], amount="500")
    results = _race(
        [
            lambda: funds.approve_allocation(store, first, principal=ABI, on=DAY),
            lambda: funds.approve_allocation(store, second, principal=ALF, on=DAY),
        ]
    )
    assert sum(isinstance(r, dict) for r in results) == 1
    approved = store.records(funds.ALLOCATION_ENTITY, status="approved")
    assert len(approved) == 1


def test_export_holds_allocations_and_erasure_keeps_only_anonymous_totals(
    workspace_path: Path,
) -> None:
    workspace: Workspace = create_workspace(workspace_path, name="Rutland")
    store = workspace.store()
    fund = _fund(store)
    plan_id = _plan(store)
    reference = store.get_record(plans.PLAN_ENTITY, plan_id)["reference"]
    rid = _ask(store, plan_id, fund["id"])
    funds.approve_allocation(store, rid, principal=ABI, note=f"fine {SECRET}", on=DAY)
    funds.record_spend(store, rid, spent="450", evidence=f"receipt {SECRET}", principal=SAM)
    exported = privacy.export_plan_data(store, reference, principal=SAM)
    assert [a["id"] for a in exported["allocations"]] == [rid]
    assert len(exported["history"]["allocation"][rid]) == 3
    assert SECRET.encode() in _raw_bytes(workspace)  # the check can fail
    privacy.erase_plan(store, reference, principal=ADA, reason="erasure request")
    raw = _raw_bytes(workspace)
    assert SECRET.encode() not in raw
    assert b"Oakham lettings" not in raw
    assert store.get_record(funds.ALLOCATION_ENTITY, rid)["status"] == "erased"
    kept = store.records(funds.FUND_TOTAL_ENTITY)
    assert kept[["category", "amount", "spent", "status"]].values.tolist() == [
        ["GTIP060", 45000, 45000, "spent"]
    ]
    assert "plan_id" not in kept.columns
    totals = funds.fund_totals(store, principal=LEE, suppress=False)
    assert totals.loc[0, "spent_amount"] == 45000
    shown = funds.fund_totals(store, principal=LEE)
    assert shown.loc[0, "requests"] == "<5"  # a lead never sees a count that small
    assert shown.loc[0, "spent_amount"] == "hidden"  # nor the money beside it
    late = [_ask(store, _plan(store), fund["id"], amount="600") for _ in range(3)]
    for rid in late[:2]:
        funds.approve_allocation(store, rid, principal=ABI, on=DAY)
    with pytest.raises(ConflictError, match=r"has £350.00 left of its £2,000.00 budget"):
        funds.approve_allocation(store, late[2], principal=ABI, on=DAY)  # the erased spend counts


def _idea(store: Store) -> tuple[str, str]:
    sid = sessions.start_session(store, principal=FRAN, date=DAY, area="Oakham", group_label="A")
    gap = sessions.add_gap(store, sid, {"need": "ete", "area": "LE15 6"}, principal=FRAN)
    idea = sessions.add_idea(store, sid, gap, principal=FRAN, what="A bike repair club")
    guest = Principal("participant-00a1", Role.PARTICIPANT, session_id=sid)
    sessions.vote_idea(store, idea, principal=guest)
    return sid, idea


def test_a_shared_grant_grows_an_idea_into_an_asset_the_dashboard_lists(store: Store) -> None:
    fund = _fund(store)
    sid, idea = _idea(store)
    lines = [{"item": "tools", "amount": "150"}, {"item": "room hire", "amount": "80"}]
    with pytest.raises(ConflictError, match="groups of at least 4 people; this application has 3"):
        grants.apply_for_grant(
            store,
            idea,
            fund["id"],
            what="Bike club",
            for_whom="people on probation",
            lines=lines,
            people=3,
            principal=FRAN,
            on=DAY,
        )
    with pytest.raises(ConflictError, match=r"add up to £330.00; .* at most £250.00 per group"):
        grants.apply_for_grant(
            store,
            idea,
            fund["id"],
            what="Bike club",
            for_whom="group",
            lines=[*lines, {"item": "x", "amount": "100"}],
            people=5,
            principal=FRAN,
            on=DAY,
        )
    grant = grants.apply_for_grant(
        store,
        idea,
        fund["id"],
        what="Bike club",
        for_whom="group",
        lines=lines,
        people=5,
        principal=FRAN,
        on=DAY,
    )
    assert (grant["amount"], grant["votes"]) == (23000, 1)
    with pytest.raises(ConflictError, match="Four eyes"):
        grants.decide_grant(
            store, grant["id"], approve=True, principal=Principal("fran", Role.APPROVER), on=DAY
        )
    grants.decide_grant(store, grant["id"], approve=True, principal=ABI, on=DAY)
    asset = store.add_asset(
        {"name": "Oakham Bike Club", "lon": -0.72, "lat": 52.67, "categories": ["library"]},
        actor="fran",
        reason="grant",
    )
    with pytest.raises(ConflictError, match="spend before what it became"):
        grants.record_grant_result(store, grant["id"], principal=FRAN, became=asset)
    grants.record_grant_result(
        store, grant["id"], principal=FRAN, spent="230", evidence="receipts", became=asset
    )
    added = grants.grant_additions(store, principal=LEE)
    assert added[["name", "amount"]].values.tolist() == [["Oakham Bike Club", 23000]]
    guest = Principal("participant-00a1", Role.PARTICIPANT, session_id=sid)
    assert grants.list_grants(store, principal=guest)["status"].tolist() == ["done"]
    stranger = Principal("participant-0bb2", Role.PARTICIPANT, session_id="another")
    assert grants.list_grants(store, principal=stranger).empty
    with pytest.raises(AccessDeniedError):
        grants.grant_status(store, grant["id"], principal=stranger)
    with pytest.raises(AccessDeniedError):
        grants.list_grants(store, principal=LEE)
    assert funds.fund_totals(store, principal=LEE, suppress=False).loc[0, "left"] == 200000 - 23000


def test_a_single_sign_on_approver_claim_gives_the_approver_role() -> None:
    from assetmap.people.accounts import principal_from_oidc

    who = principal_from_oidc(
        {
            "email": "abi@example.org",
            "email_verified": True,
            "is_logged_in": True,
            "roles": ["AssetMap.Approver"],
        },
        role_map={"AssetMap.Approver": "approver"},
    )
    assert who is not None
    assert who.role is Role.APPROVER


def test_a_lead_sees_amounts_only_where_their_counts_are_shown(store: Store) -> None:
    fund = _fund(store)
    asked = [_ask(store, _plan(store), fund["id"], amount="100") for _ in range(10)]
    for rid in asked[:5]:
        funds.approve_allocation(store, rid, principal=ABI, on=DAY)
    for rid in asked[5:]:
        funds.refuse_allocation(store, rid, principal=ABI, note="not eligible", on=DAY)
    shown = funds.fund_totals(store, principal=LEE).loc[0]
    assert shown[["requests", "approved", "refused"]].tolist() == [10, 5, 5]
    assert shown[["requested_amount", "approved_amount"]].tolist() == [100000, 50000]
    _ask(store, _plan(store), fund["id"], amount="333")  # one waiting: it could be told apart
    shown = funds.fund_totals(store, principal=LEE).loc[0]
    assert shown["requests"] == "hidden"  # 11 - 5 - 5 would give the one waiting away
    assert shown["requested_amount"] == "hidden"  # and so would £1,333 - £1,000
    for amount, count in funds.AMOUNT_OF_COUNT.items():
        assert (shown[amount] == "hidden") == (not isinstance(shown[count], int)), amount
    exact = funds.fund_totals(store, principal=LEE, suppress=False).loc[0]
    assert (exact["requests"], exact["requested_amount"]) == (11, 133300)
