"""Sign in page: local accounts, single sign-on (OpenID Connect) and signing out.

The core decides what a role may do (``assetmap.access``); this page only
establishes who is here. Participants join a mapping session with a code on
the Mapping session page, never with an account.
"""

import streamlit as st

from app import auth, state, widgets
from assetmap.access import Principal, Role
from assetmap.errors import AccessDeniedError, AssetMapError
from assetmap.people.accounts import authenticate, oidc_settings
from assetmap.workspace import open_workspace

st.title("Sign in")

path = state.workspace_path()
if path is None:
    widgets.no_workspace_message()
    st.stop()

try:
    workspace = open_workspace(path)
    options = oidc_settings(workspace.settings())
except AssetMapError as exc:
    st.error(str(exc), icon=":material/error:")
    st.stop()

sso_configured = auth.sso_configured()
sso_signed_in = sso_configured and bool(st.user.get("is_logged_in"))

signed_in = st.session_state.get(auth.PRINCIPAL)
if sso_signed_in and not isinstance(signed_in, Principal):
    try:
        st.session_state[auth.PRINCIPAL] = signed_in = options.principal(st.user.to_dict())
    except AccessDeniedError as exc:  # signed in at the provider, but no assetmap role
        st.error(str(exc), icon=":material/block:")
        if st.button("Sign out of the identity provider", key=state.SIGNIN_SSO_OUT):
            st.logout()
        st.stop()

if isinstance(signed_in, Principal):
    if signed_in.role is Role.PARTICIPANT:
        st.success(
            "You are taking part in a mapping session as "
            f"**{widgets.md_escape(signed_in.label)}**.",
            icon=":material/groups:",
        )
        leave = "Leave the session"
    else:
        st.success(
            f"Signed in as **{widgets.md_escape(signed_in.label)}** ({signed_in.role.value}).",
            icon=":material/verified_user:",
        )
        leave = "Sign out"
    if st.button(leave, key=state.SIGNIN_OUT, type="primary"):
        auth.sign_out()
        if sso_signed_in:
            st.logout()  # also forget the provider's identity cookie
        st.rerun()
    st.stop()

if auth.local_mode_granted(path):
    st.info(
        "Local mode: this workspace has no accounts and is served to this computer only, so "
        "you work as its administrator. Add accounts on the **Admin** page; from then on "
        "everyone signs in.",
        icon=":material/info:",
    )

if sso_configured:
    st.header("With your organisation's account")
    if st.button("Sign in with single sign-on", key=state.SIGNIN_SSO, type="primary"):
        st.login(options.provider or None)

st.header("With a username and password" if not sso_configured else "With a local account")
with st.form(state.SIGNIN_FORM, clear_on_submit=True):
    username = st.text_input("Username", autocomplete="username")
    password = st.text_input("Password", type="password", autocomplete="current-password")
    submitted = st.form_submit_button("Sign in")
if submitted:
    try:
        st.session_state[auth.PRINCIPAL] = authenticate(workspace.store(), username, password)
    except AssetMapError as exc:  # one message for every failure: it reveals nothing
        st.error(str(exc), icon=":material/lock:")
    else:
        st.rerun()

st.caption(
    "Taking part in a mapping session? You do not need an account: type the code your "
    "facilitator gives you on the **Mapping session** page."
)
