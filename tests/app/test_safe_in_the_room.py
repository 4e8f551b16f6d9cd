"""Safe in the room: nobody is an administrator by reaching the server, participants get
the session page only, and every page asks the core with the caller (issue 11, items 1-2)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from assetmap.access import Principal, Role
from assetmap.people import sessions as ms
from assetmap.people.accounts import AuthConfig, create_user
from assetmap.people.serving import LOCAL_ENV
from assetmap.schema import validate_assets
from assetmap.workspace import create_workspace, open_workspace

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "streamlit_app.py"
PRINCIPAL = "assetmap.principal"
FRAN = Principal("fran", Role.FACILITATOR)
FORMULA = '=HYPERLINK("http://evil.example","Library")'
OTHER_PAGES = sorted(
    f"app/pages/{p.name}" for p in (ROOT / "app" / "pages").glob("*.py") if p.name != "session.py"
)


@pytest.fixture(autouse=True)
def fresh_resources() -> None:
    """Empty resource caches too (the conftest's app_env empties the data caches)."""
    st.cache_resource.clear()


def _workspace(path: Path, monkeypatch: pytest.MonkeyPatch, *, accounts: bool) -> Path:
    """Oakham: a verified library, an unverified hall named like a formula, one proposal."""
    records = [
        {"name": "Oakham Library", "lon": -0.7271, "lat": 52.6703, "categories": ["library"],
         "status": "verified", "source_id": "n1"},
        {"name": FORMULA, "lon": -0.7290, "lat": 52.6712, "categories": ["community_centre"],
         "source_id": "n2"},
    ]  # fmt: skip
    workspace = create_workspace(path)
    store = workspace.store()
    store.import_assets(validate_assets(pd.DataFrame(records)), source="test", actor="test",
                        reason="fixture")  # fmt: skip
    sid = ms.start_session(store, principal=FRAN, date="2026-11-03", area="Oakham",
                           group_label="Tuesday group", participants=4)  # fmt: skip
    guest = Principal("participant-aaaa", Role.PARTICIPANT, session_id=sid)
    ms.propose_asset(store, sid, {"name": "Secret proposal", "lon": -0.73, "lat": 52.67},
                     principal=guest)  # fmt: skip
    if accounts:
        fast = AuthConfig(time_cost=1, memory_cost_kib=8, parallelism=1)
        for name, role in (("fran", "facilitator"), ("lee", "lead")):  # accounts are re-checked
            create_user(store, name, "a long enough password 1", role,
                        actor=Principal("setup", Role.ADMIN), config=fast)  # fmt: skip
    monkeypatch.setenv("ASSETMAP_WORKSPACE", str(workspace.path))
    return workspace.path


@pytest.fixture
def bare(workspace_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return _workspace(workspace_path, monkeypatch, accounts=False)


@pytest.fixture
def room(workspace_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return _workspace(workspace_path, monkeypatch, accounts=True)


def _app(principal: Principal | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if principal is not None:
        at.session_state[PRINCIPAL] = principal
    at.run()
    assert not at.exception, at.exception
    return at


def _role_picker(at: AppTest) -> list[object]:
    return [box for box in at.sidebar.selectbox if box.label == "Working as"]


def _participant(path: Path) -> Principal:
    sid = ms.list_sessions(open_workspace(path).store(), principal=FRAN)["id"].iloc[0]
    return Principal("participant-bbbb", Role.PARTICIPANT, session_id=sid)


# ------------------------------------------------------------------ item 1: no ambient admin
@pytest.mark.parametrize(
    ("address", "local"),
    [("0.0.0.0", False), ("192.168.1.20", False), ("127.0.0.2", True), ("127.0.0.1", False)],
)
def test_no_accounts_and_no_local_grant_shows_one_line_and_no_admin(bare, serve_as, address, local):
    serve_as(address, local=local)
    at = _app()
    assert len(at.error) == 1
    assert "has no user accounts and is not in local mode" in at.error[0].value
    assert "--role admin" in at.error[0].value
    assert not _role_picker(at)
    assert not at.title  # no page ran


def test_a_local_grant_does_not_follow_the_app_onto_another_address(bare, serve_as, monkeypatch):
    serve_as("0.0.0.0", local=False)
    monkeypatch.setenv(LOCAL_ENV, "127.0.0.1")  # granted for loopback, listening everywhere
    at = _app()
    assert "not in local mode" in at.error[0].value
    assert not _role_picker(at)


def test_a_visitor_to_a_workspace_with_accounts_gets_join_and_sign_in_only(room):
    at = _app()
    assert [t.value for t in at.title] == ["Mapping session"]
    assert not _role_picker(at)
    for page in OTHER_PAGES:
        if page == "app/pages/sign_in.py":
            continue
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)


def test_a_participant_gets_the_session_page_and_no_other(room):
    at = _app(_participant(room))
    assert [t.value for t in at.title] == ["Mapping session"]
    assert not _role_picker(at)
    for page in OTHER_PAGES:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)


@pytest.mark.parametrize("page", OTHER_PAGES)
def test_every_other_page_refuses_a_participant_by_itself(room, page):
    at = AppTest.from_file(ROOT / page, default_timeout=60)
    at.session_state[PRINCIPAL] = _participant(room)
    at.run()
    assert not at.exception, at.exception
    assert not at.dataframe
    assert not at.get("component_instance")  # no map
    shown = " ".join(str(e.value) for e in [*at.markdown, *at.success, *at.text])
    assert "Secret proposal" not in shown
    assert "Oakham Library" not in shown


# ------------------------------------------------------------- item 2: every page via the core
def _map_names(at: AppTest) -> set[str]:
    return set(at.dataframe[0].value["Name"])


def test_a_visitor_sees_nothing_on_the_map_page_itself(room):
    at = AppTest.from_file(ROOT / "app/pages/map.py", default_timeout=60)
    at.run()
    assert not at.exception
    assert not at.dataframe
    assert "Sign in to see the register" in at.info[0].value


def test_a_public_map_shows_visitors_verified_assets_only(room):
    open_workspace(room).update_settings(public_map=True)
    at = _app()
    assert [t.value for t in at.title] == ["Community assets"]
    assert _map_names(at) == {"Oakham Library"}


def test_a_lead_sees_no_unmoderated_proposal_on_the_map(room):
    at = _app(Principal("lee", Role.LEAD))
    assert "Secret proposal" not in _map_names(at)
    assert "Oakham Library" in _map_names(at)


def test_a_facilitator_sees_proposals_and_table_text_is_neutralised_for_download(room):
    at = _app(FRAN)
    names = _map_names(at)
    assert "Secret proposal" in names
    assert "'" + FORMULA in names  # what the toolbar's CSV download will hold
    assert FORMULA not in names
