"""Sign in page: local accounts (lock-out), single sign-on with a stubbed provider, sign-out."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assetmap.access import Principal, Role
from assetmap.people.accounts import AuthConfig, OidcSettings, create_user, set_oidc_settings
from assetmap.people.sessions import start_session
from assetmap.workspace import create_workspace, open_workspace

APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"
PAGE = "app/pages/sign_in.py"
PRINCIPAL = "assetmap.principal"
ADMIN = Principal("root", Role.ADMIN)
PASSWORD = "kettle orchard lantern"
FAILURE = (
    "The username or password is wrong. After 5 wrong tries in a row an account is locked "
    "for 15 minutes."
)
# What `st.user` holds after a real `st.login()` with Microsoft Entra (the stubbed provider).
ENTRA_USER = {
    "is_logged_in": True,
    "iss": "https://login.microsoftonline.com/tenant/v2.0",
    "sub": "AAAAAAAAAAAAAAAAAAAAAHk9",
    "email": "Ana.Smith@probation.example",
    "email_verified": True,
    "name": "<img src=x onerror=alert(1)> Ana",
    "roles": ["AssetMap.Staff"],
}
AUTH_SECRETS = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "not-a-real-secret-but-long-enough-for-a-test",
    "entra": {
        "client_id": "00000000-0000-0000-0000-000000000000",
        "client_secret": "x",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
    },
}


@pytest.fixture
def local_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace with no accounts (local mode)."""
    workspace = create_workspace(tmp_path / "local")
    monkeypatch.setenv("ASSETMAP_WORKSPACE", str(workspace.path))
    return workspace.path


@pytest.fixture
def with_accounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace with one staff account (sam) and single sign-on options for Entra."""
    workspace = create_workspace(tmp_path / "accounts")
    fast = AuthConfig(time_cost=1, memory_cost_kib=8, parallelism=1)
    create_user(workspace.store(), "sam", PASSWORD, "staff", actor=ADMIN, config=fast)
    options = OidcSettings(provider="entra", role_map={"AssetMap.Staff": "staff"})
    set_oidc_settings(workspace, options, principal=ADMIN)
    monkeypatch.setenv("ASSETMAP_WORKSPACE", str(workspace.path))
    return workspace.path


def _page(*, user: dict[str, object] | None = None, sso: bool = False) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if sso:
        at.secrets["auth"] = AUTH_SECRETS
    at.user = user if user is not None else {}
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _sign_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click()  # the form's submit button (the only button before signing in)
    at.run()
    assert not at.exception, at.exception
    return at


def test_local_mode_says_so_and_offers_the_form(local_only):
    at = _page()
    assert at.info[0].value.startswith("Local mode: this workspace has no accounts")
    assert [t.label for t in at.text_input] == ["Username", "Password"]


def test_a_wrong_password_gets_the_one_failure_message(with_accounts):
    at = _sign_in(_page(), "sam", "wrong wrong wrong")
    assert [e.value for e in at.error] == [FAILURE]
    assert PRINCIPAL not in at.session_state
    at = _sign_in(_page(), "nobody", PASSWORD)
    assert [e.value for e in at.error] == [FAILURE]


def test_the_right_password_signs_in_and_sign_out_forgets(with_accounts):
    at = _sign_in(_page(), "Sam", PASSWORD)
    assert at.success[0].value == "Signed in as **sam** (staff)."
    assert at.session_state[PRINCIPAL] == Principal("sam", Role.STAFF)
    # the navigation now shows the staff pages
    at.button(key="assetmap.signin.out").click().run()
    assert PRINCIPAL not in at.session_state
    assert [t.label for t in at.text_input] == ["Username", "Password"]


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(with_accounts):
    at = _page()
    for _ in range(5):
        at = _sign_in(at, "sam", "not the password")
    at = _sign_in(at, "sam", PASSWORD)
    assert [e.value for e in at.error] == [FAILURE]
    assert PRINCIPAL not in at.session_state


def test_a_stubbed_provider_signs_in_through_the_role_map(with_accounts):
    at = _page(user=ENTRA_USER, sso=True)
    assert at.session_state[PRINCIPAL] == Principal(
        "ana.smith@probation.example", Role.STAFF, label=ENTRA_USER["name"]
    )
    # the name from the provider is shown as text, not markup
    assert at.success[0].value == (
        "Signed in as **\\<img src\\=x onerror\\=alert\\(1\\)\\> Ana** (staff)."
    )


def test_back_from_the_provider_on_the_map_page_is_signed_in_already(with_accounts):
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = AUTH_SECRETS
    at.user = ENTRA_USER
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Community assets"
    assert at.session_state[PRINCIPAL].role is Role.STAFF


def test_signing_out_of_single_sign_on_also_logs_out_of_streamlit(with_accounts):
    at = _page(user=ENTRA_USER, sso=True)
    at.button(key="assetmap.signin.out").click().run()
    assert PRINCIPAL not in at.session_state
    assert at.user.get("is_logged_in") is False  # st.logout() ran
    assert [b.label for b in at.button][:1] == ["Sign in with single sign-on"]


def test_a_provider_account_without_an_assetmap_role_is_refused(with_accounts):
    at = _page(user=ENTRA_USER | {"roles": ["Other.App"]}, sso=True)
    assert PRINCIPAL not in at.session_state
    assert "has no assetmap role in its `roles` claim" in at.error[0].value
    assert [b.label for b in at.button] == ["Sign out of the identity provider"]


def test_without_provider_secrets_there_is_no_single_sign_on_button(with_accounts):
    at = _page(user=ENTRA_USER)  # claims but no [auth] secrets: not trusted
    assert PRINCIPAL not in at.session_state
    assert "Sign in with single sign-on" not in [b.label for b in at.button]


def test_a_participant_can_leave_their_session(with_accounts):
    facilitator = Principal("fran", Role.FACILITATOR)
    store = open_workspace(with_accounts).store()
    session_id = start_session(
        store, principal=facilitator, date="2025-03-04", area="Oakham", group_label="Tuesday"
    )
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[PRINCIPAL] = Principal(
        "participant-ab12", Role.PARTICIPANT, session_id=session_id
    )
    at.run()
    assert "Taking part as Participant ab12" in at.sidebar.caption[0].value
    at.sidebar.button(key="assetmap.signin.leave").click().run()
    assert PRINCIPAL not in at.session_state


def test_sign_out_forgets_everything_the_last_person_did(with_accounts):
    at = _sign_in(_page(), "sam", PASSWORD)
    at.session_state["assetmap.find.start"] = "LE15 6RB"  # the last search's start point
    at.session_state["assetmap.find.chosen"] = ["asset-1"]
    at.session_state["assetmap.people.plans.selected"] = "REF-1"
    at.run()
    at.button(key="assetmap.signin.out").click().run()
    assert not at.exception
    left = {key for key in at.session_state if key.startswith("assetmap.")}
    assert not left & {PRINCIPAL, "assetmap.find.start", "assetmap.find.chosen",
                       "assetmap.people.plans.selected"}  # fmt: skip
