"""Admin page: accounts, settings (retention, idle time-out, single sign-on) and the purge.

Every action goes through the core, which checks ``manage_users``,
``change_settings`` or ``purge_plans`` itself.
"""

import datetime as dt
from collections.abc import Callable

import streamlit as st

from app import auth, state, widgets
from assetmap.access import Operation, Role, allowed
from assetmap.errors import AssetMapError
from assetmap.people.accounts import (
    OidcSettings,
    create_user,
    disable_user,
    idle_timeout_minutes,
    list_users,
    oidc_settings,
    reset_password,
    role_map_from_text,
    set_idle_timeout_minutes,
    set_oidc_settings,
)
from assetmap.people.privacy import purge_expired_plans, retention_months, set_retention_months
from assetmap.wording import uk_date
from assetmap.workspace import open_workspace

st.title("Administration")

path = state.workspace_path()
if path is None:
    widgets.no_workspace_message()
    st.stop()
principal = auth.require_principal(
    path, Operation.MANAGE_USERS, Operation.CHANGE_SETTINGS, Operation.PURGE_PLANS
)
workspace = open_workspace(path)
store = workspace.store()
ACCOUNT_ROLES = [r for r in Role if r is not Role.PARTICIPANT]


def _flash(message: str) -> None:
    st.session_state[state.ADMIN_FLASH] = message
    st.rerun()


def _apply(save: Callable[[], object], message: str) -> None:
    """Make a settings change through the core; say ``message``, or why it was refused."""
    try:
        save()
    except AssetMapError as exc:
        st.error(str(exc), icon=":material/error:")
    else:
        _flash(message)


flash = st.session_state.pop(state.ADMIN_FLASH, None)
if flash:
    st.success(flash, icon=":material/check_circle:")

users_tab, settings_tab, retention_tab = st.tabs(["Users", "Settings", "Retention"])

with users_tab:
    if allowed(principal, Operation.MANAGE_USERS):
        users = list_users(store, actor=principal)
        if users.empty:
            st.info(
                "No accounts yet: this workspace runs in local mode. The first account you add "
                "should be an admin; from then on everyone signs in.",
                icon=":material/info:",
            )
        else:
            shown = users.assign(team=users["team"].map(lambda t: ", ".join(t or ())))
            widgets.table(shown, hide_index=True, width="stretch")
        with st.form(state.ADMIN_ADD_FORM, clear_on_submit=True):
            st.markdown("**Add an account**")
            new_name = st.text_input("Username")
            new_role = st.selectbox("Role", ACCOUNT_ROLES, format_func=lambda r: r.value)
            new_team = st.text_input("Shares caseloads with (usernames, comma-separated)")
            first = st.text_input("Password (at least 12 characters)", type="password")
            second = st.text_input("Password again", type="password")
            add = st.form_submit_button("Add account")
        if add:
            try:
                if first != second:
                    st.error("The two passwords differ.", icon=":material/error:")
                else:
                    team = [t.strip() for t in new_team.split(",") if t.strip()]
                    name = create_user(store, new_name, first, new_role, actor=principal, team=team)
                    _flash(f"Account {name} added.")
            except AssetMapError as exc:
                st.error(str(exc), icon=":material/error:")
        if not users.empty:
            names = users["username"].tolist()
            left, right = st.columns(2)
            with left, st.form(state.ADMIN_RESET_FORM, clear_on_submit=True):
                st.markdown("**Reset a password** (also unlocks the account)")
                who = st.selectbox("Account", names, key=state.ADMIN_RESET_USER)
                password = st.text_input("New password", type="password")
                reset = st.form_submit_button("Reset password")
            if reset:
                try:
                    reset_password(store, who, password, actor=principal)
                    _flash(f"Password of {who} reset.")
                except AssetMapError as exc:
                    st.error(str(exc), icon=":material/error:")
            with right, st.form(state.ADMIN_DISABLE_FORM):
                st.markdown("**Disable an account** (its history stays)")
                who_off = st.selectbox("Account", names, key=state.ADMIN_DISABLE_USER)
                why = st.text_input("Reason")
                off = st.form_submit_button("Disable account")
            if off:
                try:
                    disable_user(store, who_off, actor=principal, reason=why)
                    _flash(f"Account {who_off} disabled.")
                except AssetMapError as exc:
                    st.error(str(exc), icon=":material/error:")
    else:
        st.info(f"The {principal.role.value} role does not manage accounts.")

with settings_tab:
    if allowed(principal, Operation.CHANGE_SETTINGS):
        try:
            months_now = retention_months(workspace)
            sso_now = oidc_settings(workspace.settings())
            idle_now = idle_timeout_minutes(workspace.settings())
        except AssetMapError as exc:
            st.error(str(exc), icon=":material/error:")
            st.stop()
        with st.form(state.ADMIN_RETENTION_FORM):
            st.markdown("**Plan retention**")
            months = st.number_input(
                "Keep closed plans for (months)",
                min_value=1,
                max_value=1200,
                value=months_now,
                step=1,
                help="Closed plans older than this are erased by the purge (Retention tab, "
                "or `assetmap purge WORKSPACE`).",
            )
            save_months = st.form_submit_button("Save retention")
        if save_months:
            _apply(
                lambda: set_retention_months(workspace, int(months), principal=principal),
                f"Closed plans are now kept for {int(months)} months.",
            )
        with st.form(state.ADMIN_IDLE_FORM):
            st.markdown("**Signing out when idle**")
            idle = st.number_input(
                "Sign staff, leads, admins and facilitators out after (minutes idle)",
                min_value=1,
                max_value=1440,
                value=int(idle_now),
                step=1,
                help="Someone who loads no page for this long must sign in again.",
            )
            save_idle = st.form_submit_button("Save idle time-out")
        if save_idle:
            _apply(
                lambda: set_idle_timeout_minutes(workspace, int(idle), principal=principal),
                f"People are now signed out after {int(idle)} idle minutes.",
            )
        with st.form(state.ADMIN_SSO_FORM):
            st.markdown(
                "**Single sign-on** (the provider itself is set in `.streamlit/secrets.toml`; "
                "see docs/sign-in.md)"
            )
            provider = st.text_input(
                "Provider name ([auth.NAME]; empty for [auth])", sso_now.provider
            )
            role_claim = st.text_input("Claim holding roles", sso_now.role_claim)
            id_claim = st.selectbox(
                "Claim identifying the person",
                ["email", "sub"],
                index=int(sso_now.id_claim == "sub"),
            )
            role_text = st.text_area(
                "Role map: one `provider value = role` per line (empty: nobody gets a role)",
                "\n".join(f"{k} = {v.value}" for k, v in sso_now.role_map.items()),
            )
            save_sso = st.form_submit_button("Save single sign-on")
        if save_sso:
            try:
                chosen = OidcSettings(
                    provider=provider.strip(),
                    role_claim=role_claim.strip(),
                    id_claim=id_claim,
                    role_map=role_map_from_text(role_text),
                )
                set_oidc_settings(workspace, chosen, principal=principal)
                _flash("Single sign-on settings saved.")
            except AssetMapError as exc:
                st.error(str(exc), icon=":material/error:")
    else:
        st.info(f"The {principal.role.value} role does not change settings.")

with retention_tab:
    if allowed(principal, Operation.PURGE_PLANS):
        today = dt.datetime.now(dt.UTC).date()
        try:
            due = purge_expired_plans(workspace, principal=principal, today=today, dry_run=True)
        except AssetMapError as exc:
            st.error(str(exc), icon=":material/error:")
            st.stop()
        st.markdown(
            f"Closed plans are kept for **{due.months} months**: plans closed on or before "
            f"**{uk_date(due.cutoff)}** are due for erasure."
        )
        if not due.count:
            st.info("No closed plan is past retention.", icon=":material/check:")
        else:
            widgets.table({"Reference": list(due.references)}, hide_index=True)
            sure = st.checkbox(
                f"Erase these {due.count} plans, their referrals and their history for good",
                key=state.ADMIN_PURGE_SURE,
            )
            if st.button("Erase now", key=state.ADMIN_PURGE, disabled=not sure, type="primary"):
                try:
                    done = purge_expired_plans(workspace, principal=principal, today=today)
                    _flash(f"Erased {done.count} plans past retention.")
                except AssetMapError as exc:
                    st.error(str(exc), icon=":material/error:")
    else:
        st.info(f"The {principal.role.value} role does not purge plans.")
