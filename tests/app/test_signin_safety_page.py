"""The app fails closed and re-checks who is here on every page load; a reload keeps them.

AppTest of the whole app (``streamlit_app.py``): a damaged register signs nobody
in, a disabled account or an idle one is signed out at the next click, and the
signed token in the address brings back the same participant or facilitator.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.auth import LAST_SEEN, PRINCIPAL, WHO_PARAM
from assetmap.access import Principal, Role
from assetmap.people import sessions as ms
from assetmap.people.accounts import (
    AuthConfig,
    OidcSettings,
    create_user,
    disable_user,
    issue_session_code,
    set_oidc_settings,
)
from assetmap.workspace import Workspace, close_stores, create_workspace

APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"
FAST = AuthConfig(time_cost=1, memory_cost_kib=8, parallelism=1)
ADMIN = Principal("root-admin", Role.ADMIN)
FACILITATOR = Principal("fran", Role.FACILITATOR)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    ws = create_workspace(tmp_path / "ws")
    monkeypatch.setenv("ASSETMAP_WORKSPACE", str(ws.path))
    return ws


@pytest.fixture
def with_accounts(workspace: Workspace) -> Workspace:
    create_user(
        workspace.store(), "sam", "kettle orchard lantern", "staff", actor=ADMIN, config=FAST
    )
    create_user(
        workspace.store(), "fran", "lantern kettle orchard", "facilitator", actor=ADMIN, config=FAST
    )
    return workspace


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_damaged_register_signs_nobody_in_and_says_the_workspace_cannot_be_opened(
    workspace: Workspace, database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("damages the workspace's SQLite file; a PostgreSQL register has none")
    close_stores()
    (workspace.path / "assetmap.sqlite").write_bytes(b"not a database " * 400)
    at = _run(AppTest.from_file(APP, default_timeout=60))
    assert "This workspace cannot be opened" in at.error[0].value
    assert not [box for box in at.sidebar.selectbox if box.label == "Working as"]  # no local admin
    assert PRINCIPAL not in at.session_state
    assert not at.title  # no page ran: not the Map, not Admin


def test_a_disabled_account_is_signed_out_at_the_next_click(with_accounts: Workspace) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[PRINCIPAL] = Principal("sam", Role.STAFF)
    _run(at)
    assert at.session_state[PRINCIPAL] == Principal("sam", Role.STAFF)
    disable_user(with_accounts.store(), "sam", actor=ADMIN)
    _run(at)
    assert PRINCIPAL not in at.session_state
    assert "no longer active" in at.info[0].value


def test_a_role_changed_by_an_admin_applies_at_the_next_click(with_accounts: Workspace) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[PRINCIPAL] = Principal("sam", Role.STAFF)
    _run(at)
    store = with_accounts.store()
    user = store.records("user").set_index("username").loc["sam"]
    store.edit_record(
        "user", user["id"], {"role": "lead"}, expected_version=int(user["version"]),
        actor="root-admin", reason="now a lead",
    )  # fmt: skip
    _run(at)
    assert at.session_state[PRINCIPAL] == Principal("sam", Role.LEAD)


def test_staff_idle_longer_than_the_setting_are_signed_out(with_accounts: Workspace) -> None:
    with_accounts.update_settings(idle_timeout_minutes=10)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[PRINCIPAL] = Principal("sam", Role.STAFF)
    _run(at)
    at.session_state[LAST_SEEN] = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=9)
    _run(at)
    assert PRINCIPAL in at.session_state
    at.session_state[LAST_SEEN] = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=11)
    _run(at)
    assert PRINCIPAL not in at.session_state
    assert "signed out after 10 minutes without activity" in at.info[0].value
    assert WHO_PARAM not in at.query_params


def _reload(at: AppTest) -> AppTest:
    """A new browser session with the same address (what a reload is to Streamlit)."""
    token = at.query_params[WHO_PARAM]
    again = AppTest.from_file(APP, default_timeout=60)
    again.query_params[WHO_PARAM] = token[0] if isinstance(token, list) else token
    return _run(again)


def test_a_participant_who_reloads_is_the_same_participant(with_accounts: Workspace) -> None:
    store = with_accounts.store()
    sid = ms.start_session(
        store, principal=FACILITATOR, date="2025-03-04", area="Oakham", group_label="Tuesday"
    )
    code = issue_session_code(store, sid, actor=FACILITATOR)
    at = _run(AppTest.from_file(APP, default_timeout=60))
    at.switch_page("app/pages/session.py")
    _run(at)
    at.text_input[0].input(code)
    at.button[0].click()
    _run(at)
    joined = at.session_state[PRINCIPAL]
    assert joined.role is Role.PARTICIPANT
    again = _reload(at)
    assert again.session_state[PRINCIPAL] == joined
    ms.close_session(store, sid, principal=FACILITATOR)
    assert PRINCIPAL not in _reload(at).session_state  # the session is over: no way back in


def test_a_facilitator_who_reloads_keeps_the_role_and_the_join_code(
    with_accounts: Workspace,
) -> None:
    store = with_accounts.store()
    sid = ms.start_session(
        store, principal=FACILITATOR, date="2025-03-04", area="Oakham", group_label="Tuesday"
    )
    code = issue_session_code(store, sid, actor=FACILITATOR)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[PRINCIPAL] = FACILITATOR
    at.session_state["assetmap.session.id"] = sid
    at.session_state["assetmap.session.code"] = code
    _run(at)
    again = _reload(at)
    assert again.session_state[PRINCIPAL] == FACILITATOR
    again.switch_page("app/pages/session.py")
    _run(again)
    assert any(code in md.value for md in again.markdown)


def test_a_forged_token_signs_nobody_in(with_accounts: Workspace) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params[WHO_PARAM] = "eyJ1IjoiYWRtaW4iLCJyIjoiYWRtaW4ifQ.forged"
    _run(at)
    assert PRINCIPAL not in at.session_state
    assert WHO_PARAM not in at.query_params


def test_an_admin_sets_the_idle_timeout_on_the_admin_page(workspace: Workspace) -> None:
    root = Principal("root", Role.ADMIN)
    create_user(
        workspace.store(), "root", "kettle orchard lantern", "admin", actor=root, config=FAST
    )
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[PRINCIPAL] = root
    _run(at)
    at.switch_page("app/pages/admin.py")
    _run(at)
    (box,) = [n for n in at.number_input if n.label.endswith("(minutes idle)")]
    assert box.value == 30
    box.set_value(12)
    at.button(key="FormSubmitter:assetmap.admin.idle-Save idle time-out").click()
    _run(at)
    assert workspace.settings()["idle_timeout_minutes"] == 12.0


SSO_SECRETS = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "not-a-real-secret-but-long-enough-for-a-test",
    "entra": {
        "client_id": "00000000-0000-0000-0000-000000000000",
        "client_secret": "x",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
    },
}


def test_a_single_sign_on_whose_token_expires_is_signed_out_at_the_next_click(
    workspace: Workspace,
) -> None:
    options = OidcSettings(provider="entra", role_map={"AssetMap.Staff": "staff"})
    set_oidc_settings(workspace, options, principal=ADMIN)
    now = dt.datetime.now(dt.UTC).timestamp()
    claims = {
        "is_logged_in": True,
        "sub": "AAAAHk9",
        "email": "ana@probation.example",
        "email_verified": True,
        "name": "Ana",
        "roles": ["AssetMap.Staff"],
        "exp": int(now + 3600),
    }
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = SSO_SECRETS
    at.user = claims
    _run(at)
    assert at.session_state[PRINCIPAL].user_id == "ana@probation.example"
    at.user = claims | {"exp": int(now - 1)}
    _run(at)
    assert PRINCIPAL not in at.session_state
    at.user = claims | {"email_verified": False, "exp": int(now + 3600)}
    _run(at)
    assert PRINCIPAL not in at.session_state
