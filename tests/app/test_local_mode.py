"""Local mode: a workspace with no accounts lets the person at the keyboard pick a role."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assetmap.access import Principal, Role
from assetmap.people.accounts import create_user
from assetmap.workspace import Workspace, create_workspace

APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"
PICKER = "Working as"


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    ws = create_workspace(tmp_path / "local")
    monkeypatch.setenv("ASSETMAP_WORKSPACE", str(ws.path))
    return ws


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def _picker(at: AppTest):  # type: ignore[no-untyped-def]
    found = [box for box in at.sidebar.selectbox if box.label == PICKER]
    return found[0] if found else None


def test_without_accounts_the_sidebar_offers_five_roles_and_starts_as_admin(workspace):
    at = _app()
    picker = _picker(at)
    assert picker is not None
    assert picker.options == ["Admin", "Staff", "Lead", "Facilitator", "Approver"]
    assert picker.value is Role.ADMIN
    at.switch_page("app/pages/admin.py").run()  # admin's page is in the menu
    assert not at.exception
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app/pages/plans.py")  # an admin sees no plans


def test_choosing_staff_shows_staff_pages_and_hides_admin_ones(workspace):
    at = _app()
    _picker(at).set_value(Role.STAFF).run()
    assert not at.exception
    at.switch_page("app/pages/plans.py").run()
    assert not at.exception
    assert not [w.value for w in at.warning if "not available" in str(w.value)]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app/pages/admin.py")


def test_choosing_lead_shows_the_dashboard_but_not_find_support(workspace):
    at = _app()
    _picker(at).set_value(Role.LEAD).run()
    at.switch_page("app/pages/dashboard.py").run()
    assert not at.exception
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app/pages/find_support.py")


def test_once_an_account_exists_there_is_no_picker_and_nobody_is_admin(workspace):
    create_user(
        workspace.store(),
        "sam",
        "kettle orchard lantern",
        Role.STAFF,
        actor=Principal("local-admin", Role.ADMIN),
    )
    at = _app()
    assert _picker(at) is None
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app/pages/admin.py")


def test_choosing_facilitator_goes_straight_to_starting_a_session(workspace):
    at = _app()
    _picker(at).set_value(Role.FACILITATOR).run()
    at.switch_page("app/pages/session.py").run()
    assert not at.exception
    assert "Start a session" in [h.value for h in at.header]
    assert not [b for b in at.button if b.label == "Run a session from this computer"]


@pytest.mark.parametrize("with_account", [False, True])
def test_a_page_load_asks_the_database_for_accounts_once(workspace, monkeypatch, with_account):
    """The frame reads "any accounts?" once per run; the checks and the page reuse it."""
    import app.auth

    if with_account:
        create_user(workspace.store(), "lee", "walking-minutes-matter", Role.LEAD,
                    actor=Principal("setup", Role.ADMIN))  # fmt: skip
    asked: list[str] = []

    def counting(store):  # type: ignore[no-untyped-def]
        asked.append(str(store))
        return real(store)

    real = app.auth.has_accounts
    monkeypatch.setattr(app.auth, "has_accounts", counting)
    at = AppTest.from_file(APP, default_timeout=60)
    if with_account:
        at.session_state["assetmap.principal"] = Principal("lee", Role.LEAD)
    at.run()
    assert not at.exception, at.exception
    assert len(asked) == 1
    page = "app/pages/dashboard.py" if with_account else "app/pages/admin.py"
    at.switch_page(page).run()  # the page asks for the caller again (require_principal)
    assert not at.exception, at.exception
    assert len(asked) == 2
