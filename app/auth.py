"""Who is using the app: the signed-in :class:`~assetmap.access.Principal`.

The core checks every operation against the caller's role (``assetmap.access``);
pages only ask for the principal and pass it on, and hide what the core would
refuse anyway.

A workspace with no user accounts (such as the offline demo) runs in *local
mode*: whoever opened it on their own machine acts as its administrator, and
the sidebar says so. Once an account exists, everyone signs in (see the
*Sign in* page and ``docs/sign-in.md``).
"""

from __future__ import annotations

from typing import Final

import streamlit as st

from assetmap.access import Operation, Principal, Role, allowed
from assetmap.accounts import USER_ENTITY
from assetmap.errors import AssetMapError
from assetmap.workspace import open_workspace

PRINCIPAL: Final = "assetmap.principal"  # Principal of the signed-in user (or participant)
LOCAL_ADMIN_ID: Final = "local-admin"


def workspace_has_accounts(workspace_path: str) -> bool:
    """Return whether any user account exists in the workspace's register."""
    try:
        return not open_workspace(workspace_path).store().records(USER_ENTITY).empty
    except AssetMapError:
        return False


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
    if workspace_path is not None and not workspace_has_accounts(workspace_path):
        return Principal(LOCAL_ADMIN_ID, Role.ADMIN, label="Local administrator")
    return None


def sign_out() -> None:
    """Forget the signed-in principal for this browser session."""
    st.session_state.pop(PRINCIPAL, None)


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
