"""Who is using the app: the signed-in :class:`~assetmap.access.Principal`.

The core checks every operation against the caller's role (``assetmap.access``);
pages only ask for the principal and pass it on, and hide what the core would
refuse anyway.

A workspace with no user accounts (such as the offline demo) runs in *local
mode* only when ``assetmap app --local`` served it on 127.0.0.1 or ::1 (the
core decides: :func:`assetmap.serving.local_mode`): the person at that
computer acts as its administrator, and the sidebar says so. Otherwise, and
as soon as an account exists, everyone signs in (see the *Sign in* page and
``docs/sign-in.md``).
"""

from __future__ import annotations

import os
from typing import Final

import streamlit as st

from app import state
from assetmap.access import Operation, Principal, Role, allowed
from assetmap.accounts import USER_ENTITY, oidc_settings
from assetmap.errors import AssetMapError
from assetmap.serving import LOCAL_ENV, has_accounts, local_mode
from assetmap.workspace import open_workspace

PRINCIPAL: Final = "assetmap.principal"  # Principal of the signed-in user (or participant)
LOCAL_ADMIN_ID: Final = "local-admin"
LOCAL_ROLE: Final = "assetmap.local_role"  # Role chosen in local mode (no accounts)
LOCAL_ROLES: Final = (Role.ADMIN, Role.STAFF, Role.LEAD, Role.FACILITATOR)


def workspace_has_accounts(workspace_path: str) -> bool:
    """Return whether any user account exists in the workspace's register."""
    try:
        return not open_workspace(workspace_path).store().records(USER_ENTITY).empty
    except AssetMapError:
        return False


def _has_accounts(workspace_path: str) -> bool | None:
    """Whether the workspace has accounts; None when they cannot be read."""
    try:
        return has_accounts(open_workspace(workspace_path).store())
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
    st.sidebar.caption(f"Taking part as {principal.label}")
    if st.sidebar.button("Leave the session", key=state.SIGNIN_LEAVE):
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
    results, a chosen plan, forms, a session's join code), so the next person
    at this browser starts from nothing.
    """
    for key in list(st.session_state.keys()):
        if key != state.WORKSPACE:  # which workspace is open is not the person's
            del st.session_state[key]


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
