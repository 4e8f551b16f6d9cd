"""Roles x operations through the core service functions, on the database under test.

``test_access.py`` checks the permission table itself; this file calls the
real service function behind each operation, as each role, on a register in
SQLite or PostGIS, against the same hand-written table (``EXPECTED`` there):

* a refused cell must raise :class:`AccessDeniedError` (and must do so before
  anything else can go wrong, so the gate is the first thing the call does);
* an allowed cell may succeed or fail for other reasons (no walking network,
  an empty import...), but never with :class:`AccessDeniedError`;
* a scoped cell (participant in their session, staff on their caseload) is
  called *in* scope here; the out-of-scope calls are checked separately below.

Operations with no core service function that takes a principal are listed in
:data:`NOT_IN_CORE` (the CLI acts as an admin for them; see docs/privacy.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text
from support import use_database_for_workspace
from trust.test_access import CELLS

from assetmap import imports, reach_service, register, views
from assetmap.access import Operation, Principal, Role
from assetmap.backup import backup_workspace, restore_workspace
from assetmap.errors import AccessDeniedError, AssetMapError
from assetmap.match.needs import Constraints, Goal
from assetmap.people import funds, grants, plans, privacy, sessions
from assetmap.people.accounts import list_users
from assetmap.people.evaluation import write_evaluation_pack
from assetmap.workspace import Workspace, close_stores, create_workspace

#: Operations checked at the edge only (none now: every operation has a core call).
NOT_IN_CORE: frozenset[Operation] = frozenset()
FRAN = Principal("fran", Role.FACILITATOR)
SAM = Principal("sam", Role.STAFF)
START = plans.StartPoint(-0.7271, 52.6703, "coordinates", "here", "LE15 6", -0.727, 52.670)
CSV = b"name,lat,lon,category\nVictoria Hall,52.6712,-0.7290,community centre\n"
FUND = {
    "name": "Enabling fund",
    "holder": "Probation",
    "budget": "2000",
    "start": "2026-11-01",
    "end": "2027-03-31",
}


@dataclass
class World:
    workspace: Workspace
    session_id: str
    other_session: str
    asset_id: str
    idea_id: str
    plan_id: str
    plan_ref: str
    principals: dict[Role, Principal]
    fund_id: str = ""
    request_id: str = ""
    grant_id: str = ""


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, new_database_url: Callable[[], str]
) -> Iterator[World]:
    mp = pytest.MonkeyPatch()
    use_database_for_workspace(new_database_url(), mp)
    workspace = create_workspace(tmp_path_factory.mktemp("roles") / "ws")
    store = workspace.store()
    asset_id = store.add_asset(
        {"name": "Oakham Library", "lon": -0.7271, "lat": 52.6703, "categories": ["library"]},
        actor="setup",
        reason="seed",
    )
    day = dt.date(2026, 11, 24)
    sid = sessions.start_session(store, principal=FRAN, date=day, area="Oakham", group_label="A")
    other = sessions.start_session(
        store, principal=FRAN, date=day, area="Uppingham", group_label="B"
    )
    gap = sessions.add_gap(store, sid, {"need": "ete", "area": "LE15 6"}, principal=FRAN)
    idea = sessions.add_idea(store, sid, gap, principal=FRAN, what="A job club")
    plan = plans.create_plan(
        store, start=START, goals=[Goal(need="ete")], constraints=Constraints(), principal=SAM
    )
    principals = {
        Role.PARTICIPANT: Principal("participant-00a1", Role.PARTICIPANT, session_id=sid),
        Role.FACILITATOR: FRAN,
        Role.STAFF: SAM,
        Role.LEAD: Principal("lee", Role.LEAD),
        Role.ADMIN: Principal("ada", Role.ADMIN),
        Role.APPROVER: Principal("abi", Role.APPROVER),
    }
    fund = funds.create_fund(store, FUND, principal=principals[Role.ADMIN])
    request = funds.request_allocation(
        store,
        plan["id"],
        fund["id"],
        goal=0,
        category="GTIP130",
        what="course",
        why="work",
        amount="50",
        principal=SAM,
        on=day,
    )
    grant = grants.apply_for_grant(
        store,
        idea,
        fund["id"],
        what="Job club",
        for_whom="group",
        people=4,
        principal=FRAN,
        lines=[{"item": "room", "amount": "40"}],
        on=day,
    )
    yield World(
        workspace,
        sid,
        other,
        asset_id,
        idea,
        plan["id"],
        plan["reference"],
        principals,
        fund["id"],
        request["id"],
        grant["id"],
    )
    close_stores()
    mp.undo()


def _fresh_plan(w: World) -> str:
    """A plan of Sam's to erase (each erasure needs its own)."""
    made = plans.create_plan(
        w.workspace.store(),
        start=START,
        goals=[Goal(need="ete")],
        constraints=Constraints(),
        principal=SAM,
    )
    return str(made["reference"])


def _edit_plan(w: World, p: Principal) -> object:
    store = w.workspace.store()
    version = int(store.get_record(privacy.PLAN_ENTITY, w.plan_id)["version"])
    return plans.update_plan(
        store, w.plan_id, {"status": "open"}, expected_version=version, principal=p
    )


def _asset_version(w: World) -> int:
    return int(w.workspace.store().get_asset(w.asset_id)["version"])


def _archive_and_restore(w: World, p: Principal) -> object:
    """Archive the seed asset as ``p``, then put it back (as the setup) for the other cells."""
    store = w.workspace.store()
    register.set_asset_status(
        store,
        w.asset_id,
        "archived",
        expected_version=_asset_version(w),
        principal=p,
        reason="test",
    )
    return store.set_status(
        w.asset_id, "unverified", expected_version=_asset_version(w), actor="setup", reason="back"
    )


CALLS: dict[Operation, Callable[[World, Principal], Any]] = {
    Operation.VIEW_REGISTER: lambda w, p: sessions.visible_register(
        w.workspace.store(), principal=p
    ),
    Operation.BROWSE_REGISTER: lambda w, p: views.browse_register(w.workspace.store(), principal=p),
    Operation.FIND_SUPPORT: lambda w, p: plans.find_support(
        w.workspace, START, [Goal(need="ete")], Constraints(), principal=p
    ),
    Operation.VERIFY_ASSET: lambda w, p: register.reverify_asset(
        w.workspace.store(), w.asset_id, principal=p
    ),
    Operation.MERGE_ASSETS: lambda w, p: imports.review_queue(w.workspace.store(), principal=p),
    Operation.IMPORT_DATA: lambda w, p: imports.import_file(
        w.workspace, CSV, filename="hall.csv", principal=p
    ),
    Operation.EXPORT_REGISTER: lambda w, p: imports.export_bytes(
        w.workspace.store(), "csv", principal=p
    ),
    Operation.EXPORT_HSDS: lambda w, p: imports.export_bytes(
        w.workspace.store(), "hsds", principal=p
    ),
    Operation.START_SESSION: lambda w, p: sessions.start_session(
        w.workspace.store(), principal=p, date="2026-11-25", area="Oakham", group_label="C"
    ),
    Operation.MODERATE: lambda w, p: sessions.moderation_queue(
        w.workspace.store(), w.session_id, principal=p
    ),
    Operation.PROPOSE_ASSET: lambda w, p: sessions.propose_asset(
        w.workspace.store(),
        w.session_id,
        {"name": f"Hall by {p.role.value}", "lon": -0.728, "lat": 52.671},
        principal=p,
    ),
    Operation.ADD_GAP: lambda w, p: sessions.add_gap(
        w.workspace.store(), w.session_id, {"need": "housing", "area": "LE15 6"}, principal=p
    ),
    Operation.ADD_COMMENT: lambda w, p: sessions.add_comment(
        w.workspace.store(), w.session_id, w.asset_id, note="friendly", principal=p
    ),
    Operation.VOTE_IDEA: lambda w, p: sessions.vote_idea(
        w.workspace.store(), w.idea_id, principal=p
    ),
    Operation.VIEW_SESSION_PROPOSALS: lambda w, p: sessions.session_records(
        w.workspace.store(), sessions.GAP_ENTITY, w.session_id, principal=p
    ),
    Operation.CREATE_PLAN: lambda w, p: plans.create_plan(
        w.workspace.store(),
        start=START,
        goals=[Goal(need="ete")],
        constraints=Constraints(),
        principal=p,
    ),
    Operation.VIEW_PLAN: lambda w, p: plans.get_plan(w.workspace.store(), w.plan_id, principal=p),
    Operation.EDIT_PLAN: _edit_plan,
    Operation.LOG_REFERRAL: lambda w, p: plans.log_referral(
        w.workspace.store(), w.plan_id, w.asset_id, "suggested", principal=p
    ),
    Operation.EXPORT_PLAN: lambda w, p: privacy.export_plan_data(
        w.workspace.store(), w.plan_ref, principal=p
    ),
    Operation.ERASE_PLAN: lambda w, p: privacy.erase_plan(
        w.workspace.store(), _fresh_plan(w), principal=p, reason="test"
    ),
    Operation.PURGE_PLANS: lambda w, p: privacy.purge_expired_plans(
        w.workspace, principal=p, today=dt.date(2026, 11, 24), dry_run=True
    ),
    Operation.VIEW_FUNDS: lambda w, p: funds.list_funds(w.workspace.store(), principal=p),
    Operation.MANAGE_FUNDS: lambda w, p: funds.create_fund(w.workspace.store(), FUND, principal=p),
    Operation.REQUEST_ALLOCATION: lambda w, p: funds.request_allocation(
        w.workspace.store(),
        w.plan_id,
        w.fund_id,
        goal=0,
        category="GTIP130",
        what="books",
        why="course",
        amount="5",
        principal=p,
        on=dt.date(2026, 11, 24),
    ),
    Operation.DECIDE_ALLOCATION: lambda w, p: funds.approve_allocation(
        w.workspace.store(), w.request_id, principal=p, on=dt.date(2026, 11, 24)
    ),
    Operation.APPLY_GRANT: lambda w, p: grants.apply_for_grant(
        w.workspace.store(),
        w.idea_id,
        w.fund_id,
        what="Club",
        for_whom="group",
        people=4,
        lines=[{"item": "tea", "amount": "10"}],
        principal=p,
        on=dt.date(2026, 11, 24),
    ),
    Operation.DECIDE_GRANT: lambda w, p: grants.decide_grant(
        w.workspace.store(), w.grant_id, approve=True, principal=p, on=dt.date(2026, 11, 24)
    ),
    Operation.VIEW_GRANT_STATUS: lambda w, p: grants.grant_status(
        w.workspace.store(), w.grant_id, principal=p
    ),
    Operation.EVALUATE: lambda w, p: write_evaluation_pack(
        w.workspace,
        w.workspace.path.parent / f"pack-{p.role.value}",
        start="2026-11-01",
        end="2026-12-31",
        principal=p,
    ),
    Operation.VIEW_DASHBOARD: lambda w, p: reach_service.reported_gaps(
        w.workspace.store(), principal=p
    ),
    Operation.VIEW_AGGREGATES: lambda w, p: privacy.plan_counts(w.workspace.store(), principal=p),
    Operation.MANAGE_USERS: lambda w, p: list_users(w.workspace.store(), actor=p),
    Operation.CHANGE_SETTINGS: lambda w, p: privacy.set_retention_months(
        w.workspace, 24, principal=p
    ),
    Operation.VIEW_HISTORY: lambda w, p: register.asset_history(
        w.workspace.store(), w.asset_id, principal=p
    ),
    Operation.EDIT_ASSET: lambda w, p: register.edit_asset(
        w.workspace.store(),
        w.asset_id,
        {"phone": "01572 722918"},
        expected_version=_asset_version(w),
        principal=p,
        reason="test",
    ),
    Operation.ARCHIVE_ASSET: _archive_and_restore,
    Operation.BACKUP: lambda w, p: backup_workspace(
        w.workspace, w.workspace.path.parent / f"backup-{p.role.value}.zip", principal=p
    ),
    Operation.RESTORE: lambda w, p: restore_workspace(
        w.workspace.path.parent / "no-such-backup.zip",
        w.workspace.path.parent / f"restored-{p.role.value}",
        principal=p,
    ),
}


def test_every_operation_has_a_core_call_or_is_listed_as_edge_only() -> None:
    assert set(CALLS) | NOT_IN_CORE == set(Operation)
    assert not set(CALLS) & NOT_IN_CORE


SERVICE_CELLS = [c for c in CELLS if Operation(c[1]) in CALLS]


@pytest.mark.parametrize(
    ("role", "op", "mark"), SERVICE_CELLS, ids=[f"{r}-{o}" for r, o, _ in SERVICE_CELLS]
)
def test_core_call_obeys_the_table(world: World, role: Role, op: str, mark: str) -> None:
    who = world.principals[role]
    call = CALLS[Operation(op)]
    if mark == "-":
        with pytest.raises(AccessDeniedError, match=r"may (not|only) .*\(\w+\)"):
            call(world, who)
        return
    try:
        call(world, who)
    except AccessDeniedError as exc:  # pragma: no cover - the failure being tested for
        pytest.fail(f"{role} was refused {op}: {exc}")
    except AssetMapError:
        pass  # allowed through the gate; failed later for its own reasons


def test_a_participant_cannot_reach_another_session(world: World) -> None:
    guest = world.principals[Role.PARTICIPANT]
    store = world.workspace.store()
    with pytest.raises(AccessDeniedError, match=r"only .* in the session they joined"):
        sessions.propose_asset(
            store, world.other_session, {"name": "X", "lon": -0.72, "lat": 52.6}, principal=guest
        )
    with pytest.raises(AccessDeniedError, match=r"only .* in the session they joined"):
        sessions.session_records(store, sessions.GAP_ENTITY, world.other_session, principal=guest)


@pytest.mark.parametrize("op", ["view_plan", "edit_plan", "log_referral", "export_plan"])
def test_no_participant_and_no_other_staff_reach_sams_plan(world: World, op: str) -> None:
    outsiders = [
        world.principals[Role.PARTICIPANT],
        Principal("olga", Role.STAFF),
        world.principals[Role.LEAD],
        world.principals[Role.FACILITATOR],
    ]
    for who in outsiders:
        with pytest.raises(AccessDeniedError):
            CALLS[Operation(op)](world, who)


def _history_rows(world: World) -> int:
    with world.workspace.store().engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM history")).scalar_one())


def test_the_refusal_changed_nothing(world: World) -> None:
    before = _history_rows(world)
    for role in (Role.PARTICIPANT, Role.LEAD):
        for op in (Operation.CREATE_PLAN, Operation.IMPORT_DATA, Operation.START_SESSION):
            with pytest.raises(AccessDeniedError):
                CALLS[op](world, world.principals[role])
    assert _history_rows(world) == before


def test_participants_see_only_their_own_groups_grant_and_leads_only_fund_totals(
    world: World,
) -> None:
    store = world.workspace.store()
    own = grants.grant_status(store, world.grant_id, principal=world.principals[Role.PARTICIPANT])
    assert set(own) == {"id", "what", "status", "amount", "became"}
    stranger = Principal("participant-0bb2", Role.PARTICIPANT, session_id=world.other_session)
    with pytest.raises(AccessDeniedError, match=r"only .* in the session they joined"):
        grants.grant_status(store, world.grant_id, principal=stranger)
    assert grants.list_grants(store, principal=stranger).empty
    lead = world.principals[Role.LEAD]
    totals = funds.fund_totals(store, principal=lead)
    assert "Enabling fund" in set(totals["fund"])
    assert not {"plan_id", "what", "why", "requested_by"} & set(totals.columns)
    for call in (funds.list_funds, funds.pending_requests, grants.list_grants):
        with pytest.raises(AccessDeniedError):
            call(store, principal=lead)
