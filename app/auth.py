"""Who is using the app: the signed-in :class:`~assetmap.access.Principal`.

The core checks every operation against the caller's role (``assetmap.access``);
pages only ask for the principal and pass it on, and hide what the core would
refuse anyway.

A workspace with no user accounts (such as the offline demo) runs in *local
mode* only when ``assetmap app --local`` served it on 127.0.0.1 or ::1 (the
core decides: :func:`assetmap.people.serving.local_mode`): the person at that
computer acts as its administrator, and the sidebar says so. Otherwise, and
as soon as an account exists, everyone signs in (see the *Sign in* page and
``docs/sign-in.md``).

:func:`read_accounts` asks the core once per page load whether any account
exists; the rest of the run reuses that answer.
:func:`check_signed_in` runs once per page load (from the frame): it fails
closed when the accounts cannot be read, re-checks the signed-in person in the
core, applies the idle time-out, and keeps a signed token in the page address
so a reload keeps who is here (``assetmap.people.signin_tokens``).
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Final, NoReturn

import streamlit as st

from app import state
from assetmap.access import Operation, Principal, Role, allowed
from assetmap.errors import AssetMapError
from assetmap.people.accounts import (
    has_accounts,
    idle_timeout_minutes,
    is_idle,
    oidc_settings,
    refresh_principal,
)
from assetmap.people.serving import LOCAL_ADMIN_ID, LOCAL_ENV, local_mode
from assetmap.people.signin_tokens import (
    SignedIn,
    issue_token,
    principal_from_token,
    signing_key,
    token_fields,
)
from assetmap.wording import W
from assetmap.workspace import Workspace, open_workspace

PRINCIPAL: Final = "assetmap.principal"  # Principal of the signed-in user (or participant)
LOCAL_ROLE: Final = "assetmap.local_role"  # Role chosen in local mode (no accounts)
LOCAL_ROLES: Final = (Role.ADMIN, Role.STAFF, Role.LEAD, Role.FACILITATOR, Role.APPROVER)
WHO_PARAM: Final = "who"  # query parameter: signed token of who this browser is
LAST_SEEN: Final = "assetmap.auth.last_seen"  # datetime: last page load of the signed-in person
ISSUED: Final = "assetmap.auth.issued"  # datetime: when they signed in or joined
NOTICE: Final = "assetmap.auth.notice"  # str: why this browser was just signed out
ACCOUNTS: Final = "assetmap.auth.accounts"  # (workspace, bool): any accounts, read this run


def read_accounts(workspace_path: str | None) -> bool | None:
    """Ask the core, once per page load, whether the workspace has accounts; remember it.

    The frame calls this first; :func:`unserved_reason`, :func:`check_signed_in`
    and every :func:`current_principal` of the same script run then use the
    remembered answer instead of asking the database again. None without a
    workspace.

    Raises
    ------
    AssetMapError
        If the accounts cannot be read (the caller shows :func:`cannot_open`).
    """
    st.session_state.pop(ACCOUNTS, None)
    if workspace_path is None:
        return None
    found = has_accounts(open_workspace(workspace_path).store())
    st.session_state[ACCOUNTS] = (workspace_path, found)
    return found


def _accounts(workspace_path: str) -> bool:
    """This run's answer from :func:`read_accounts`, else the core's (raises when unreadable)."""
    remembered = st.session_state.get(ACCOUNTS)
    if isinstance(remembered, tuple) and remembered[0] == workspace_path:
        return bool(remembered[1])
    return has_accounts(open_workspace(workspace_path).store())


def _has_accounts(workspace_path: str) -> bool | None:
    """Whether the workspace has accounts; None when they cannot be read."""
    try:
        return _accounts(workspace_path)
    except AssetMapError:
        return None


def _local(accounts: bool | None) -> bool:
    if accounts is not False:  # accounts, or unreadable: fail closed
        return False
    return local_mode(
        granted=os.environ.get(LOCAL_ENV),
        server_address=st.get_option("server.address"),
        has_accounts=accounts,
    )


def local_mode_granted(workspace_path: str) -> bool:
    """Ask the core whether this server runs in local mode (granted by ``assetmap app --local``).

    False when the accounts cannot be read (fail closed).
    """
    return _local(_has_accounts(workspace_path))


def unserved_reason(workspace_path: str | None) -> str | None:
    """Return why nobody may use this workspace here (no accounts, no local mode), else None.

    A workspace without accounts is only ever one person's, on their own
    computer (``assetmap app WS --local``); served any other way, the app
    says so in one line and shows nothing else.
    """
    if workspace_path is None:
        return None
    accounts = _has_accounts(workspace_path)
    if accounts is not False or _local(accounts):  # unreadable: the pages say so
        return None
    return (
        "This workspace has no user accounts and is not in local mode: add the first "
        f"administrator with `assetmap user add {workspace_path} NAME --role admin`, or open it "
        f"on this computer only with `assetmap app {workspace_path} --local`."
    )


def participant_sidebar(principal: Principal | None) -> None:
    """For a participant: who they are in the sidebar, and a button to leave the session."""
    if principal is None or principal.role is not Role.PARTICIPANT:
        return
    st.sidebar.caption(W["taking_part"].format(label=principal.label))
    if st.sidebar.button(W["leave"], key=state.SIGNIN_LEAVE):
        sign_out()
        st.rerun()


def sso_configured() -> bool:
    """Return whether single sign-on is set up (an ``[auth]`` section in the secrets)."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets.toml at all
        return False


def sso_principal(workspace_path: str | None) -> Principal | None:
    """Return the person signed in through single sign-on, mapped with the workspace's options.

    None when single sign-on is not set up, nobody is signed in with it, or
    their claims give no assetmap role (the Sign in page says why).
    """
    if workspace_path is None or not sso_configured() or not st.user.get("is_logged_in"):
        return None
    try:
        options = oidc_settings(open_workspace(workspace_path).settings())
        return options.principal(st.user.to_dict())
    except AssetMapError:
        return None


def current_principal(workspace_path: str | None) -> Principal | None:
    """Return the caller: the signed-in principal, the local administrator, or None.

    Parameters
    ----------
    workspace_path
        The open workspace (None when none is open).
    """
    chosen = st.session_state.get(PRINCIPAL)
    if isinstance(chosen, Principal):
        return chosen
    sso = sso_principal(workspace_path)
    if sso is not None:  # back from the identity provider, on whichever page
        st.session_state[PRINCIPAL] = sso
        return sso
    if workspace_path is not None and local_mode_granted(workspace_path):
        role = st.session_state.get(LOCAL_ROLE, Role.ADMIN)
        role = role if role in LOCAL_ROLES else Role.ADMIN
        label = "Local administrator" if role is Role.ADMIN else f"Local user as {role.value}"
        return Principal(LOCAL_ADMIN_ID, role, label=label)
    return None


def local_role_picker(principal: Principal | None) -> None:
    """In local mode (no accounts), let the person at the keyboard choose a role in the sidebar.

    A workspace with no accounts is one person's copy (the demo, a laptop in a
    session); trying the app as staff, a lead or a facilitator shows exactly what
    that role would see. Once accounts exist, roles come from sign-in only.

    Parameters
    ----------
    principal
        From :func:`current_principal` (the picker shows only for the local user,
        whose role it already reflects: the widget's value is in session state
        before the script reruns).
    """
    if principal is None or principal.user_id != LOCAL_ADMIN_ID:
        return
    st.sidebar.selectbox(
        "Working as",
        LOCAL_ROLES,
        key=LOCAL_ROLE,
        format_func=lambda role: role.value.capitalize(),
        help="This workspace has no accounts (local mode). Choose a role to see what it sees; "
        "create an account (`assetmap user add`) to make everyone sign in.",
    )


def sign_out() -> None:
    """Forget everything this browser session held: who was here and what they did.

    The whole session state goes (the principal, a search's start point and
    results, a chosen plan, forms, a session's join code) and so does the
    signed sign-in link in the address, so the next person at this browser
    starts from nothing.
    """
    for key in list(st.session_state.keys()):
        if key not in (state.WORKSPACE, ACCOUNTS):  # the workspace's, not the person's
            del st.session_state[key]
    if WHO_PARAM in st.query_params:
        del st.query_params[WHO_PARAM]


def cannot_open(error: AssetMapError) -> NoReturn:
    """Stop the page: nobody is signed in to a workspace that cannot be read.

    The signed token stays in the address: once the database is back, a reload
    is the same person again (a participant must not become a new one).
    """
    for key in (PRINCIPAL, LAST_SEEN, ISSUED):
        st.session_state.pop(key, None)
    st.error(
        f"This workspace cannot be opened, so nobody is signed in. {error}",
        icon=":material/error:",
    )
    st.stop()


def _signed_out(why: str) -> None:
    sign_out()
    st.session_state[NOTICE] = why


def _restore(workspace: Workspace, key: bytes, idle: float, accounts_exist: bool) -> None:
    """After a reload: take who this browser is from its signed token, re-checked."""
    token = st.query_params.get(WHO_PARAM)
    if not token:
        return
    try:
        back = principal_from_token(
            workspace.store(), token, key=key, idle_minutes=idle, accounts_exist=accounts_exist
        )
    except AssetMapError:
        back = None
    if back is None:
        _signed_out("Your sign-in or session has ended: sign in, or join with a code, again.")
        return
    st.session_state[PRINCIPAL] = back.principal
    st.session_state[ISSUED] = back.issued
    if "session" in back.extra:
        st.session_state[state.SESSION_ID] = back.extra["session"]
    if "code" in back.extra:
        st.session_state[state.SESSION_CODE] = back.extra["code"]


def _idle(idle: float, now: dt.datetime) -> bool:
    """Sign out (and say why) whoever has been idle too long; return whether that happened."""
    chosen = st.session_state.get(PRINCIPAL)
    last = st.session_state.get(LAST_SEEN)
    if not isinstance(chosen, Principal) or not isinstance(last, dt.datetime):
        return False
    if not is_idle(chosen, last, minutes=idle, now=now):
        return False
    _signed_out(f"You were signed out after {idle:g} minutes without activity.")
    return True


def _recheck(workspace: Workspace, accounts_exist: bool) -> None:
    """On every page load: the signed-in person as the register has them now, or nobody."""
    chosen = st.session_state.get(PRINCIPAL)
    if not isinstance(chosen, Principal):
        return
    fresh = refresh_principal(workspace.store(), chosen, accounts_exist=accounts_exist)
    if fresh is None:
        _signed_out("You were signed out: your account is no longer active here.")
        return
    if fresh != chosen:
        st.session_state[PRINCIPAL] = fresh


def _keep_token(key: bytes, now: dt.datetime) -> None:
    """Keep the signed token of who is here in the page address (changes once a minute)."""
    who = st.session_state.get(PRINCIPAL)
    if not isinstance(who, Principal):
        return
    issued = st.session_state.setdefault(ISSUED, now)
    extra = (
        token_fields({k: st.session_state.get(v) for k, v in _FACILITATOR_KEYS.items()})
        if allowed(who, Operation.START_SESSION)
        else {}
    )
    minute = now.replace(second=0, microsecond=0)
    token = issue_token(SignedIn(who, issued, minute, extra), key=key)
    if st.query_params.get(WHO_PARAM) != token:
        st.query_params[WHO_PARAM] = token


_FACILITATOR_KEYS: Final = {"session": state.SESSION_ID, "code": state.SESSION_CODE}


def check_signed_in(workspace_path: str | None) -> Principal | None:
    """Decide, once per page load, who is here; fail closed.

    Reads the accounts (an unreadable workspace raises: the caller shows
    :func:`cannot_open`); after a reload restores the person from the signed
    token in the address; re-checks them in the core (disabled or deleted
    accounts and participants of deleted sessions are signed out, a changed
    role applies at once); signs out anyone but participants idle for longer
    than the workspace's ``idle_timeout_minutes``; refreshes the token.

    Raises
    ------
    AssetMapError
        If the workspace or its accounts cannot be read.
    """
    if workspace_path is None:
        return current_principal(None)
    workspace = open_workspace(workspace_path)
    accounts_exist = _accounts(workspace_path)
    idle = idle_timeout_minutes(workspace.settings())
    now = dt.datetime.now(dt.UTC)
    if sso_configured() and st.user.get("is_logged_in"):
        sso = sso_principal(workspace_path)  # re-mapped every time: expiry, role map
        if sso is None:
            sign_out()
        elif _idle(idle, now):
            st.logout()  # the provider's cookie would sign them straight back in
        else:
            st.session_state[PRINCIPAL] = sso
    else:
        key = signing_key(workspace.path)
        if not isinstance(st.session_state.get(PRINCIPAL), Principal):
            _restore(workspace, key, idle, accounts_exist)
        if not _idle(idle, now):
            _recheck(workspace, accounts_exist)
        _keep_token(key, now)
    if isinstance(st.session_state.get(PRINCIPAL), Principal):
        st.session_state[LAST_SEEN] = now
    return current_principal(workspace_path)


def show_notice() -> None:
    """Say once why this browser was signed out (idle, account disabled, link ended)."""
    why = st.session_state.pop(NOTICE, None)
    if why:
        st.info(why, icon=":material/logout:")


def require_principal(workspace_path: str | None, *operations: Operation) -> Principal:
    """Return the caller, or stop the page with a plain message.

    Stops when nobody is signed in, or when the caller may do none of
    ``operations`` (the core would refuse them anyway).
    """
    principal = current_principal(workspace_path)
    if principal is None:
        st.info("Please sign in first (the **Sign in** page).", icon=":material/login:")
        st.stop()
    scope = {"owner_id": principal.user_id, "session_id": principal.session_id}
    if operations and not any(allowed(principal, op, **scope) for op in operations):
        st.warning(
            f"This page is not available to the {principal.role.value} role.",
            icon=":material/block:",
        )
        st.stop()
    return principal
