"""Who may run a mapping session from a workspace without accounts (the rule session.py held)."""

import pytest

from assetmap.access import Operation, Principal, Role, allowed
from assetmap.errors import AccessDeniedError
from assetmap.people.serving import LOCAL_ADMIN_ID, local_facilitator


@pytest.mark.parametrize("role", [Role.ADMIN, Role.STAFF, Role.LEAD])
def test_the_local_user_in_any_role_may_run_a_session(role: Role):
    facilitator = local_facilitator(Principal(LOCAL_ADMIN_ID, role))
    assert facilitator.role is Role.FACILITATOR
    assert allowed(facilitator, Operation.START_SESSION)


@pytest.mark.parametrize(
    "who",
    [
        Principal("sam", Role.STAFF),
        Principal("ada", Role.ADMIN),
        Principal("p-1", Role.PARTICIPANT, session_id="s-1"),
    ],
)
def test_no_one_else_becomes_a_facilitator_this_way(who: Principal):
    with pytest.raises(AccessDeniedError, match="sign in as a facilitator"):
        local_facilitator(who)
