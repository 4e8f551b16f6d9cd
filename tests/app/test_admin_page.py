"""Admin page: accounts, retention and single sign-on settings, the retention purge."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assetmap.access import Principal, Role
from assetmap.errors import AuthError
from assetmap.people.accounts import authenticate, create_user, oidc_settings
from assetmap.people.privacy import PLAN_ENTITY, retention_months
from assetmap.workspace import Workspace, create_workspace, open_workspace

APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"
PAGE = "app/pages/admin.py"
PRINCIPAL = "assetmap.principal"
PASSWORD = "kettle orchard lantern"


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """No accounts; two plans: one closed three years ago, one open."""
    ws = create_workspace(tmp_path / "admin")
    store = ws.store()
    old = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=3 * 365)
    for reference, status, closed in (("REF-OLD1", "closed", old.isoformat()),
                                      ("REF-NEW2", "open", None)):  # fmt: skip
        store.add_record(
            PLAN_ENTITY,
            {"reference": reference, "owner": "sam", "home_area": "LE15 6", "goals": ["work"],
             "status": status, "closed_on": closed},
            actor="sam",
            reason="new plan",
        )  # fmt: skip
    monkeypatch.setenv("ASSETMAP_WORKSPACE", str(ws.path))
    return ws


def _page(principal: Principal | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if principal is not None:
        at.session_state[PRINCIPAL] = principal
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _named_admin(workspace: Workspace) -> Principal:
    """Give the workspace an admin account "root" (a principal with no account is signed out)."""
    root = Principal("root", Role.ADMIN)
    create_user(open_workspace(workspace.path).store(), "root", PASSWORD, "admin", actor=root)
    return root


def _form_inputs(at: AppTest, form: str) -> dict[str, object]:
    return {w.label: w for w in at.get("text_input") + at.get("selectbox") if w.form_id == form}


def test_staff_neither_see_the_page_nor_get_past_it(workspace):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[PRINCIPAL] = Principal("sam", Role.STAFF)
    at.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)
    direct = AppTest.from_file(Path(APP).parent / PAGE, default_timeout=60)
    direct.session_state[PRINCIPAL] = Principal("sam", Role.STAFF)
    direct.run()
    assert [w.value for w in direct.warning] == ["This page is not available to the staff role."]
    assert not direct.dataframe


def test_local_admin_adds_an_account_that_can_then_sign_in(workspace):
    at = _page()  # local mode: the local administrator
    assert "No accounts yet" in at.info[0].value
    fields = _form_inputs(at, "assetmap.admin.add")
    fields["Username"].input("Ana")
    fields["Role"].set_value(Role.FACILITATOR)
    fields["Password (at least 12 characters)"].input(PASSWORD)
    fields["Password again"].input(PASSWORD + "x")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["The two passwords differ."]
    fields = _form_inputs(at, "assetmap.admin.add")
    fields["Username"].input("Ana")
    fields["Role"].set_value(Role.FACILITATOR)
    fields["Password (at least 12 characters)"].input(PASSWORD)
    fields["Password again"].input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception, at.exception
    # the first account ends local mode: from now on everyone signs in, the local admin too
    # a visitor now: the session page (to join), no Map and no Admin
    assert [t.value for t in at.title] == ["Mapping session"]
    who = authenticate(open_workspace(workspace.path).store(), "ana", PASSWORD)
    assert who == Principal("ana", Role.FACILITATOR)
    at = _page(_named_admin(workspace))
    users = at.dataframe[0].value
    assert users[["username", "role", "active"]].values.tolist() == [
        ["ana", "facilitator", True],
        ["root", "admin", True],
    ]


def test_a_weak_password_is_refused_with_the_policy(workspace):
    at = _page()
    fields = _form_inputs(at, "assetmap.admin.add")
    fields["Username"].input("ana")
    fields["Password (at least 12 characters)"].input("short")
    fields["Password again"].input("short")
    at.button[0].click().run()
    assert "at least 12 characters" in at.error[0].value
    assert open_workspace(workspace.path).store().records("user").empty


def test_admin_disables_an_account(workspace):
    at = _page()
    fields = _form_inputs(at, "assetmap.admin.add")
    fields["Username"].input("ana")
    fields["Password (at least 12 characters)"].input(PASSWORD)
    fields["Password again"].input(PASSWORD)
    at.button[0].click().run()
    # now signed-in admins only: the workspace has an account, so act as a named admin
    at = _page(_named_admin(workspace))
    disable = _form_inputs(at, "assetmap.admin.disable")
    disable["Reason"].input("left the team")
    at.button(key="FormSubmitter:assetmap.admin.disable-Disable account").click().run()
    assert [s.value for s in at.success] == ["Account ana disabled."]
    assert at.dataframe[0].value["active"].tolist() == [False, True]  # ana, root
    with pytest.raises(AuthError):
        authenticate(open_workspace(workspace.path).store(), "ana", PASSWORD)


def test_retention_and_single_sign_on_settings_are_saved(workspace):
    at = _page()
    at.number_input[0].set_value(6)
    at.button(key="FormSubmitter:assetmap.admin.retention-Save retention").click().run()
    assert [s.value for s in at.success] == ["Closed plans are now kept for 6 months."]
    assert retention_months(open_workspace(workspace.path)) == 6
    sso = _form_inputs(at, "assetmap.admin.sso")
    sso["Provider name ([auth.NAME]; empty for [auth])"].input("entra")
    at.text_area[0].input("AssetMap.Staff = staff\nAssetMap.Boss = superuser")
    at.button(key="FormSubmitter:assetmap.admin.sso-Save single sign-on").click().run()
    assert at.error[0].value.startswith("Role map, line 2: write `provider value = role`")
    at.text_area[0].input("AssetMap.Staff = staff\nAssetMap.Admin = admin")
    at.button(key="FormSubmitter:assetmap.admin.sso-Save single sign-on").click().run()
    assert [s.value for s in at.success] == ["Single sign-on settings saved."]
    saved = oidc_settings(open_workspace(workspace.path).settings())
    assert saved.to_setting() == {
        "provider": "entra",
        "role_claim": "roles",
        "id_claim": "email",
        "role_map": {"AssetMap.Staff": "staff", "AssetMap.Admin": "admin"},
    }


def test_the_purge_lists_expired_plans_and_erases_them_once_confirmed(workspace):
    at = _page()
    assert at.dataframe[-1].value["Reference"].tolist() == ["REF-OLD1"]
    erase = at.button(key="assetmap.admin.purge")
    assert erase.disabled
    at.checkbox(key="assetmap.admin.purge_sure").check().run()
    at.button(key="assetmap.admin.purge").click().run()
    assert [s.value for s in at.success] == ["Erased 1 plans past retention."]
    plans = open_workspace(workspace.path).store().records(PLAN_ENTITY)
    assert sorted(plans["reference"].dropna()) == ["REF-NEW2"]
    assert "No closed plan is past retention." in [i.value for i in at.info]
