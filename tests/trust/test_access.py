"""Roles x operations: the permission table, written out by hand, and the scope rules."""

from __future__ import annotations

import dataclasses

import pytest

from assetmap.access import Operation, Principal, Role, allowed, require
from assetmap.errors import AccessDeniedError

# The expected table, written out independently of assetmap.access.PERMISSIONS.
# Y = allowed; - = refused; S = allowed only in the participant's own session;
# C = allowed only for the staff member's own (or team's) caseload.
#                            participant facilitator staff lead admin approver
EXPECTED = """
view_register                 Y           Y           Y     Y    Y     Y
browse_register               -           Y           Y     Y    Y     Y
view_history                  -           Y           Y     Y    Y     -
find_support                  -           Y           Y     -    -     -
edit_asset                    -           Y           Y     -    Y     -
verify_asset                  -           Y           Y     -    Y     -
archive_asset                 -           Y           -     -    Y     -
merge_assets                  -           Y           -     -    Y     -
import_data                   -           -           -     -    Y     -
export_register               -           Y           Y     Y    Y     -
export_hsds                   -           -           Y     Y    Y     -
start_session                 -           Y           -     -    -     -
moderate                      -           Y           -     -    -     -
propose_asset                 S           Y           Y     -    -     -
add_gap                       S           Y           Y     -    -     -
add_comment                   S           Y           Y     -    -     -
vote_idea                     S           Y           -     -    -     -
view_session_proposals        S           Y           -     -    -     -
create_plan                   -           -           C     -    -     -
view_plan                     -           -           C     -    -     -
edit_plan                     -           -           C     -    -     -
log_referral                  -           -           C     -    -     -
export_plan                   -           -           C     -    Y     -
erase_plan                    -           -           C     -    Y     -
purge_plans                   -           -           -     -    Y     -
view_funds                    -           Y           Y     -    Y     Y
manage_funds                  -           -           -     -    Y     Y
request_allocation            -           -           C     -    -     -
decide_allocation             -           -           -     -    -     Y
apply_grant                   -           Y           Y     -    -     -
decide_grant                  -           -           -     -    -     Y
view_grant_status             S           Y           Y     -    -     Y
evaluate                      -           -           -     Y    Y     -
view_dashboard                -           -           -     Y    -     -
view_aggregates               -           -           -     Y    -     -
manage_users                  -           -           -     -    Y     -
change_settings               -           -           -     -    Y     -
backup                        -           -           -     -    Y     -
restore                       -           -           -     -    Y     -
"""
ROLES = (Role.PARTICIPANT, Role.FACILITATOR, Role.STAFF, Role.LEAD, Role.ADMIN, Role.APPROVER)


def _cells() -> list[tuple[Role, str, str]]:
    cells = []
    for line in EXPECTED.strip().splitlines():
        op, *marks = line.split()
        assert len(marks) == len(ROLES), line
        cells.extend((role, op, mark) for role, mark in zip(ROLES, marks, strict=True))
    return cells


CELLS = _cells()

PRINCIPALS = {
    Role.PARTICIPANT: Principal("p-00a1", Role.PARTICIPANT, session_id="session-A"),
    Role.FACILITATOR: Principal("fran", Role.FACILITATOR),
    Role.STAFF: Principal("sam", Role.STAFF, team=frozenset({"tess"})),
    Role.LEAD: Principal("lee", Role.LEAD),
    Role.ADMIN: Principal("ada", Role.ADMIN),
    Role.APPROVER: Principal("abi", Role.APPROVER),
}


def test_the_table_covers_every_role_and_every_operation() -> None:
    ops = {op for _, op, _ in CELLS}
    assert ops == {o.value for o in Operation}
    assert len(CELLS) == len(Operation) * len(Role)


@pytest.mark.parametrize(("role", "op", "mark"), CELLS, ids=[f"{r}-{o}" for r, o, _ in CELLS])
def test_role_against_operation(role: Role, op: str, mark: str) -> None:
    who = PRINCIPALS[role]
    # The caller passes the object's scope; "in scope" means their own session / caseload.
    in_scope = {"owner_id": who.user_id, "session_id": who.session_id}
    if mark == "-":
        assert not allowed(who, op, **in_scope)
        with pytest.raises(AccessDeniedError, match=rf"may not .*\({op}\)\.$"):
            require(who, op, **in_scope)
        return
    require(who, op, **in_scope)
    assert allowed(who, op, **in_scope)
    out_of_scope = {"owner_id": "someone-else", "session_id": "session-B"}
    if mark == "Y":  # unscoped: the object's owner or session does not matter
        require(who, op, **out_of_scope)
        require(who, op)
    else:  # scoped: refused outside the scope, and refused when no scope is given
        with pytest.raises(AccessDeniedError, match=rf"may only .*\({op}\)"):
            require(who, op, **out_of_scope)
        with pytest.raises(AccessDeniedError, match=rf"may only .*\({op}\)"):
            require(who, op)


def test_participant_of_session_a_cannot_see_session_b_proposals() -> None:
    guest = PRINCIPALS[Role.PARTICIPANT]
    require(guest, Operation.VIEW_SESSION_PROPOSALS, session_id="session-A")
    with pytest.raises(
        AccessDeniedError,
        match=r"^A participant may only view session proposals \(view_session_proposals\) "
        r"in the session they joined\.$",
    ):
        require(guest, Operation.VIEW_SESSION_PROPOSALS, session_id="session-B")


def test_participant_reaches_no_plan_even_with_their_own_id_as_owner() -> None:
    guest = PRINCIPALS[Role.PARTICIPANT]
    plan_ops = [o for o in Operation if "plan" in o.value or o is Operation.LOG_REFERRAL]
    assert len(plan_ops) == 7
    for op in plan_ops:
        assert not allowed(guest, op, owner_id=guest.user_id, session_id="session-A")


def test_staff_cannot_open_another_caseloads_plan() -> None:
    sam = PRINCIPALS[Role.STAFF]
    assert allowed(sam, Operation.VIEW_PLAN, owner_id="sam")
    assert allowed(sam, Operation.VIEW_PLAN, owner_id="tess")  # shared team caseload
    with pytest.raises(
        AccessDeniedError,
        match=r"^A staff user may only view a plan \(view_plan\) for their own caseload\.$",
    ):
        require(sam, Operation.VIEW_PLAN, owner_id="olga")


def test_staff_without_a_team_only_reaches_their_own_plans() -> None:
    solo = Principal("sam", Role.STAFF)
    assert allowed(solo, Operation.EDIT_PLAN, owner_id="sam")
    assert not allowed(solo, Operation.EDIT_PLAN, owner_id="tess")


def test_lead_cannot_view_a_plan_but_sees_aggregates() -> None:
    lee = PRINCIPALS[Role.LEAD]
    with pytest.raises(AccessDeniedError, match=r"^A lead may not view a plan \(view_plan\)\.$"):
        require(lee, Operation.VIEW_PLAN, owner_id="lee")
    require(lee, Operation.VIEW_AGGREGATES)


def test_admin_erases_any_plan_but_cannot_read_one() -> None:
    ada = PRINCIPALS[Role.ADMIN]
    require(ada, Operation.ERASE_PLAN, owner_id="anyone")
    with pytest.raises(AccessDeniedError, match=r"^An admin may not view a plan"):
        require(ada, Operation.VIEW_PLAN, owner_id="anyone")


def test_refusal_messages_carry_no_ids() -> None:
    sam = PRINCIPALS[Role.STAFF]
    with pytest.raises(AccessDeniedError) as info:
        require(sam, Operation.EXPORT_PLAN, owner_id="olga.smith")
    text = str(info.value)
    assert "olga" not in text
    assert "sam" not in text
    guest = PRINCIPALS[Role.PARTICIPANT]
    with pytest.raises(AccessDeniedError) as info:
        require(guest, Operation.ADD_GAP, session_id="session-B")
    assert "session-" not in str(info.value)
    assert "00a1" not in str(info.value)


def test_operation_names_are_accepted_as_text_and_unknown_names_rejected() -> None:
    lee = PRINCIPALS[Role.LEAD]
    assert allowed(lee, "view_dashboard")
    with pytest.raises(ValueError, match="'fly_to_the_moon' is not a valid Operation"):
        allowed(lee, "fly_to_the_moon")


def test_a_participant_principal_needs_a_session() -> None:
    with pytest.raises(ValueError, match="needs the `session_id`"):
        Principal("p-1", Role.PARTICIPANT)


def test_a_participant_label_is_never_a_given_name() -> None:
    guest = Principal("p-9c2e", Role.PARTICIPANT, session_id="s", label="Jane Doe")
    assert guest.label == "Participant 9c2e"


def test_principal_is_frozen_and_roles_come_from_text() -> None:
    ana = Principal("ana", "staff")  # type: ignore[arg-type]
    assert ana.role is Role.STAFF
    with pytest.raises(dataclasses.FrozenInstanceError):
        ana.role = Role.ADMIN  # type: ignore[misc]
