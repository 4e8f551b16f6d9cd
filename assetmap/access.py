"""Who may do what: roles, principals, operations and one permission table.

Every core service function that reads or changes something checks its caller
first, with one line::

    require(principal, Operation.VIEW_PLAN, owner_id=plan["owner"])

The UI may hide buttons, but it is this check that keeps data in its place.

Roles
-----
participant
    A person on probation (or anyone) taking part in a mapping session. Joins
    with a session code, not an account; may contribute to and see the
    proposals of *their own* session only, and never browses the whole
    register (``browse_register``: the Map page).
facilitator
    Runs mapping sessions: starts them, issues codes, moderates proposals,
    curates the register.
staff
    Probation staff: find support and manage the plans of their own caseload
    (plans they own, or owned by someone in their team list).
lead
    Project leads: dashboards and aggregates only, never a plan's details.
approver
    Decides on the money of enabling funds (personal allocations and shared
    grants) and manages funds. A separate role, not a flag on staff, so the
    four-eyes rule is visible in the table: staff ask, an approver decides,
    and the core also refuses a decision by the person who asked. An
    approver sees a request's what, why, amount, category and need, never
    the plan it belongs to.
admin
    Users, settings, imports, backup and restore, retention purges, subject
    access exports and erasure of plans.

Scope rules
-----------
Some cells of :data:`PERMISSIONS` are *scoped*: the role may perform the
operation only on things within its reach, which the caller passes in:

* ``session_id=`` for the session operations of a participant
  (:data:`SESSION_SCOPED`): it must equal ``principal.session_id``;
* ``owner_id=`` (the plan's owner) for the plan operations of staff
  (:data:`CASELOAD_SCOPED`): it must be ``principal.user_id`` or in
  ``principal.team``.

A scoped check without the scope argument is refused (fail closed).

Examples
--------
>>> alice = Principal("alice", Role.STAFF, team=frozenset({"bob"}))
>>> allowed(alice, Operation.VIEW_PLAN, owner_id="alice")
True
>>> allowed(alice, Operation.VIEW_PLAN, owner_id="bob")
True
>>> allowed(alice, Operation.VIEW_PLAN, owner_id="carol")
False
>>> guest = Principal("p-1", Role.PARTICIPANT, session_id="s-1")
>>> require(guest, Operation.PROPOSE_ASSET, session_id="s-1")  # fine: returns None
>>> require(guest, Operation.VIEW_PLAN)
Traceback (most recent call last):
...
assetmap.errors.AccessDeniedError: A participant may not view a plan (view_plan).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from assetmap.errors import AccessDeniedError

__all__ = [
    "CASELOAD_SCOPED",
    "PERMISSIONS",
    "SESSION_SCOPED",
    "Operation",
    "Principal",
    "Role",
    "allowed",
    "require",
]


class Role(enum.StrEnum):
    """The six roles (their values are what the database and SSO claims hold)."""

    PARTICIPANT = "participant"
    FACILITATOR = "facilitator"
    STAFF = "staff"
    LEAD = "lead"
    ADMIN = "admin"
    APPROVER = "approver"


class Operation(enum.StrEnum):
    """Every core operation a caller can be allowed or refused.

    The docstring of each service function names the operation it checks.
    """

    # the register
    VIEW_REGISTER = "view_register"
    BROWSE_REGISTER = "browse_register"  # the Map page: the whole register, not a session's view
    VIEW_HISTORY = "view_history"
    FIND_SUPPORT = "find_support"
    EDIT_ASSET = "edit_asset"
    VERIFY_ASSET = "verify_asset"
    ARCHIVE_ASSET = "archive_asset"
    MERGE_ASSETS = "merge_assets"
    IMPORT_DATA = "import_data"
    EXPORT_REGISTER = "export_register"
    EXPORT_HSDS = "export_hsds"
    # mapping sessions
    START_SESSION = "start_session"
    MODERATE = "moderate"
    PROPOSE_ASSET = "propose_asset"
    ADD_GAP = "add_gap"
    ADD_COMMENT = "add_comment"
    VOTE_IDEA = "vote_idea"
    VIEW_SESSION_PROPOSALS = "view_session_proposals"
    # plans (personal data)
    CREATE_PLAN = "create_plan"
    VIEW_PLAN = "view_plan"
    EDIT_PLAN = "edit_plan"
    LOG_REFERRAL = "log_referral"
    EXPORT_PLAN = "export_plan"
    ERASE_PLAN = "erase_plan"
    PURGE_PLANS = "purge_plans"
    # enabling funds and shared grants
    VIEW_FUNDS = "view_funds"
    MANAGE_FUNDS = "manage_funds"
    REQUEST_ALLOCATION = "request_allocation"  # ask, record spend and outcome (own caseload)
    DECIDE_ALLOCATION = "decide_allocation"
    APPLY_GRANT = "apply_grant"  # apply, record spend and what a grant became
    DECIDE_GRANT = "decide_grant"
    VIEW_GRANT_STATUS = "view_grant_status"
    EVALUATE = "evaluate"  # the anonymous evaluation pack
    # oversight
    VIEW_DASHBOARD = "view_dashboard"
    VIEW_AGGREGATES = "view_aggregates"
    # administration
    MANAGE_USERS = "manage_users"
    CHANGE_SETTINGS = "change_settings"
    BACKUP = "backup"
    RESTORE = "restore"


_O = Operation

#: Session operations a participant may perform only in their own session.
SESSION_SCOPED: frozenset[Operation] = frozenset(
    {
        _O.PROPOSE_ASSET,
        _O.ADD_GAP,
        _O.ADD_COMMENT,
        _O.VOTE_IDEA,
        _O.VIEW_SESSION_PROPOSALS,
        _O.VIEW_GRANT_STATUS,
    }
)

#: Plan operations staff may perform only on their own (or their team's) caseload.
CASELOAD_SCOPED: frozenset[Operation] = frozenset(
    {
        _O.CREATE_PLAN,
        _O.VIEW_PLAN,
        _O.EDIT_PLAN,
        _O.LOG_REFERRAL,
        _O.EXPORT_PLAN,
        _O.ERASE_PLAN,
        _O.REQUEST_ALLOCATION,
    }
)

_REGISTER_CURATION = frozenset({_O.EDIT_ASSET, _O.VERIFY_ASSET, _O.ARCHIVE_ASSET, _O.MERGE_ASSETS})

#: Role -> the operations it may perform (some scoped, see module docs).
PERMISSIONS: Mapping[Role, frozenset[Operation]] = MappingProxyType(
    {
        Role.PARTICIPANT: frozenset({_O.VIEW_REGISTER}) | SESSION_SCOPED,
        Role.FACILITATOR: frozenset(
            {
                _O.VIEW_REGISTER,
                _O.BROWSE_REGISTER,
                _O.VIEW_HISTORY,
                _O.FIND_SUPPORT,
                _O.EXPORT_REGISTER,
                _O.START_SESSION,
                _O.MODERATE,
                _O.VIEW_FUNDS,
                _O.APPLY_GRANT,
            }
        )
        | SESSION_SCOPED
        | _REGISTER_CURATION,
        Role.STAFF: frozenset(
            {
                _O.VIEW_REGISTER,
                _O.BROWSE_REGISTER,
                _O.VIEW_HISTORY,
                _O.FIND_SUPPORT,
                _O.EXPORT_REGISTER,
                _O.EXPORT_HSDS,
                _O.PROPOSE_ASSET,
                _O.ADD_GAP,
                _O.ADD_COMMENT,
                _O.EDIT_ASSET,
                _O.VERIFY_ASSET,
                _O.VIEW_FUNDS,
                _O.APPLY_GRANT,
                _O.VIEW_GRANT_STATUS,
            }
        )
        | CASELOAD_SCOPED,
        Role.LEAD: frozenset(
            {
                _O.VIEW_REGISTER,
                _O.BROWSE_REGISTER,
                _O.VIEW_HISTORY,
                _O.EXPORT_REGISTER,
                _O.EXPORT_HSDS,
                _O.VIEW_DASHBOARD,
                _O.VIEW_AGGREGATES,
                _O.EVALUATE,
            }
        ),
        Role.ADMIN: frozenset(
            {
                _O.VIEW_REGISTER,
                _O.BROWSE_REGISTER,
                _O.VIEW_HISTORY,
                _O.EXPORT_REGISTER,
                _O.EXPORT_HSDS,
                _O.IMPORT_DATA,
                _O.EXPORT_PLAN,  # subject access requests, before an erasure
                _O.ERASE_PLAN,
                _O.PURGE_PLANS,
                _O.MANAGE_USERS,
                _O.CHANGE_SETTINGS,
                _O.BACKUP,
                _O.RESTORE,
                _O.VIEW_FUNDS,
                _O.MANAGE_FUNDS,
                _O.EVALUATE,
            }
        )
        | _REGISTER_CURATION,
        Role.APPROVER: frozenset(
            {
                _O.VIEW_REGISTER,
                _O.BROWSE_REGISTER,
                _O.VIEW_FUNDS,
                _O.MANAGE_FUNDS,
                _O.DECIDE_ALLOCATION,
                _O.DECIDE_GRANT,
                _O.VIEW_GRANT_STATUS,
            }
        ),
    }
)

#: (role, operation) pairs checked against a scope; any other allowed pair is unscoped.
_SCOPED: Mapping[Role, frozenset[Operation]] = MappingProxyType(
    {Role.PARTICIPANT: SESSION_SCOPED, Role.STAFF: CASELOAD_SCOPED}
)

_ARTICLE = {Role.ADMIN: "An", Role.APPROVER: "An", Role.LEAD: "A"}


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of a core function: who they are and in which role.

    Attributes
    ----------
    user_id
        A stable id: the account's id, the SSO subject, or a random id for a
        participant who joined with a code.
    role
        Their :class:`Role`.
    session_id
        For participants: the one mapping session they joined (required).
    label
        What to show on screen and in history. Never a participant's real
        name: participants get a neutral "Participant ..." label.
    team
        For staff: user ids whose caseloads this person shares.

    Examples
    --------
    >>> Principal("p-7f3a", Role.PARTICIPANT, session_id="s-1").label
    'Participant 7f3a'
    >>> Principal("ana", Role.STAFF).label
    'ana'
    """

    user_id: str
    role: Role
    session_id: str | None = None
    label: str = ""
    team: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not isinstance(self.user_id, str) or not self.user_id.strip():
            msg = "A principal needs a non-empty `user_id`."
            raise ValueError(msg)
        object.__setattr__(self, "role", Role(self.role))
        object.__setattr__(self, "team", frozenset(self.team))
        if self.role is Role.PARTICIPANT:
            if not self.session_id:
                msg = "A participant principal needs the `session_id` of the session they joined."
                raise ValueError(msg)
            if not self.label.startswith("Participant"):
                object.__setattr__(self, "label", f"Participant {self.user_id[-4:]}")
        elif not self.label:
            object.__setattr__(self, "label", self.user_id)


def _describe(role: Role) -> str:
    return f"{_ARTICLE.get(role, 'A')} {role.value}"


_PHRASES: Mapping[Operation, str] = MappingProxyType(
    {
        _O.VIEW_REGISTER: "view the register",
        _O.BROWSE_REGISTER: "browse the whole register",
        _O.VIEW_HISTORY: "view the change history",
        _O.FIND_SUPPORT: "search for support",
        _O.EDIT_ASSET: "edit an asset",
        _O.VERIFY_ASSET: "verify an asset",
        _O.ARCHIVE_ASSET: "archive an asset",
        _O.MERGE_ASSETS: "merge assets",
        _O.IMPORT_DATA: "import data",
        _O.EXPORT_REGISTER: "export the register",
        _O.EXPORT_HSDS: "export HSDS data",
        _O.START_SESSION: "start a mapping session",
        _O.MODERATE: "moderate a session",
        _O.PROPOSE_ASSET: "propose an asset",
        _O.ADD_GAP: "add a gap",
        _O.ADD_COMMENT: "add a comment",
        _O.VOTE_IDEA: "vote on an idea",
        _O.VIEW_SESSION_PROPOSALS: "view session proposals",
        _O.CREATE_PLAN: "create a plan",
        _O.VIEW_PLAN: "view a plan",
        _O.EDIT_PLAN: "edit a plan",
        _O.LOG_REFERRAL: "log a referral",
        _O.EXPORT_PLAN: "export a plan",
        _O.ERASE_PLAN: "erase a plan",
        _O.PURGE_PLANS: "purge expired plans",
        _O.VIEW_FUNDS: "view the funds",
        _O.MANAGE_FUNDS: "manage funds",
        _O.REQUEST_ALLOCATION: "ask a fund for money for a plan",
        _O.DECIDE_ALLOCATION: "decide on a request for money",
        _O.APPLY_GRANT: "apply for a shared grant",
        _O.DECIDE_GRANT: "decide on a shared grant",
        _O.VIEW_GRANT_STATUS: "view a shared grant's status",
        _O.EVALUATE: "write the evaluation pack",
        _O.VIEW_DASHBOARD: "view the dashboard",
        _O.VIEW_AGGREGATES: "view aggregate figures",
        _O.MANAGE_USERS: "manage user accounts",
        _O.CHANGE_SETTINGS: "change settings",
        _O.BACKUP: "back up the workspace",
        _O.RESTORE: "restore the workspace",
    }
)


def _refusal(
    principal: Principal,
    operation: Operation,
    *,
    owner_id: str | None,
    session_id: str | None,
) -> str | None:
    """Return why ``principal`` may not do ``operation`` (None when allowed)."""
    role = principal.role
    who = _describe(role)
    what = f"{_PHRASES[operation]} ({operation.value})"
    if operation not in PERMISSIONS[role]:
        return f"{who} may not {what}."
    scoped = _SCOPED.get(role, frozenset())
    if operation not in scoped:
        return None
    if role is Role.PARTICIPANT:
        if session_id is None or session_id != principal.session_id:
            return f"{who} may only {what} in the session they joined."
        return None
    if owner_id is None or (owner_id != principal.user_id and owner_id not in principal.team):
        return f"{who} user may only {what} for their own caseload."
    return None


def allowed(
    principal: Principal,
    operation: Operation | str,
    *,
    owner_id: str | None = None,
    session_id: str | None = None,
) -> bool:
    """Return whether ``principal`` may perform ``operation`` (see :func:`require`).

    Use it to decide what to show; use :func:`require` to guard the action.

    Examples
    --------
    >>> allowed(Principal("lee", Role.LEAD), "view_aggregates")
    True
    >>> allowed(Principal("lee", Role.LEAD), Operation.VIEW_PLAN, owner_id="lee")
    False
    """
    op = Operation(operation)
    return _refusal(principal, op, owner_id=owner_id, session_id=session_id) is None


def require(
    principal: Principal,
    operation: Operation | str,
    *,
    owner_id: str | None = None,
    session_id: str | None = None,
) -> None:
    """Refuse unless ``principal`` may perform ``operation`` on this object.

    Call it first thing in every core service function.

    Parameters
    ----------
    principal
        The caller.
    operation
        What they want to do (an :class:`Operation` or its value).
    owner_id
        For plan operations: the user id that owns the plan (for
        :data:`CREATE_PLAN <Operation.CREATE_PLAN>`: the owner the new plan will have).
    session_id
        For session operations: the session the thing belongs to.

    Raises
    ------
    AccessDeniedError
        Naming the role and the operation, never the data or a person.
    ValueError
        If ``operation`` is not an operation name.

    Examples
    --------
    >>> facilitator = Principal("fran", Role.FACILITATOR)
    >>> require(facilitator, Operation.START_SESSION)
    >>> require(Principal("lee", Role.LEAD), Operation.EDIT_PLAN, owner_id="lee")
    Traceback (most recent call last):
    ...
    assetmap.errors.AccessDeniedError: A lead may not edit a plan (edit_plan).
    """
    op = Operation(operation)
    reason = _refusal(principal, op, owner_id=owner_id, session_id=session_id)
    if reason is not None:
        raise AccessDeniedError(reason)
