"""Safe in the room, in a real browser: a facilitated session on the room's network.

The server runs on 127.0.0.2 (standing for the room's network; tests connect to
loopback addresses only) on a workspace *with* accounts. The facilitator signs
in and starts a session; a participant joins with the code in another browser
context (another device) and gets the session page and nothing else, whatever
URL they type. A page whose DNS name is rebound to the server cannot open its
WebSocket. A workspace without accounts is refused on 0.0.0.0 and 127.0.0.2
(the command is only started; nothing is connected to).
Screenshots: tests/artifacts/room_*.png.
"""

from __future__ import annotations

import base64
import http.client
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import pytest
from browser_support import Offline, serve, settle
from playwright.sync_api import Browser, Page
from support import ROOT

from assetmap.access import Principal, Role
from assetmap.people import sessions as ms
from assetmap.people.accounts import AuthConfig, create_user
from assetmap.people.plans import PLAN_ENTITY
from assetmap.schema import validate_assets
from assetmap.wording import W
from assetmap.workspace import close_stores, create_workspace

ROOM = "127.0.0.2"
PASSWORD = "a long enough password 1"
PLAN_REF = "REF-SECRET-PLAN"
OTHER_PROPOSAL = "Other group's secret place"
ADMIN_NAME = "ada-the-admin"
TIMEOUT_MS = 30_000
#: Every page but the session page, by the URL path Streamlit gives it.
OTHER_PATHS = sorted(p.stem for p in (ROOT / "app" / "pages").glob("*.py") if p.stem != "session")
#: Titles of those pages (none may show for a participant).
OTHER_TITLES = ("Community assets", "Data", "Reach", "Find support", "Plans", "Moderation",
                "Sign in", "Admin")  # fmt: skip


@pytest.fixture(scope="module")
def room_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Accounts (an admin, a facilitator), two assets, a plan and another session's proposal."""
    path = tmp_path_factory.mktemp("room") / "oakham"
    with pytest.MonkeyPatch.context() as env:
        env.delenv("ASSETMAP_DATABASE_URL", raising=False)
        workspace = create_workspace(path)
        store = workspace.store()
        records = [
            {"name": "Oakham Library", "lon": -0.7271, "lat": 52.6703,
             "categories": ["library"], "status": "verified", "source_id": "n1"},
            {"name": "Victoria Hall", "lon": -0.7290, "lat": 52.6712,
             "categories": ["community_centre"], "source_id": "n2"},
        ]  # fmt: skip
        store.import_assets(validate_assets(pd.DataFrame(records)), source="test",
                            actor="test", reason="fixture")  # fmt: skip
        setup = Principal("setup", Role.ADMIN)
        fast = AuthConfig(time_cost=1, memory_cost_kib=8, parallelism=1)
        create_user(store, ADMIN_NAME, PASSWORD, "admin", actor=setup, config=fast)
        create_user(store, "fran", PASSWORD, "facilitator", actor=setup)
        store.add_record(PLAN_ENTITY, {"reference": PLAN_REF, "owner": "sam",
                         "home_area": "LE15 6", "goals": ["work"], "status": "open"},
                         actor="sam", reason="fixture")  # fmt: skip
        fran = Principal("fran", Role.FACILITATOR)
        other = ms.start_session(store, principal=fran, date="2026-11-01", area="Uppingham",
                                 group_label="Monday group", participants=3)  # fmt: skip
        guest = Principal("participant-zzzz", Role.PARTICIPANT, session_id=other)
        ms.propose_asset(store, other, {"name": OTHER_PROPOSAL, "lon": -0.72, "lat": 52.59},
                         principal=guest)  # fmt: skip
        close_stores()
    return path


@pytest.fixture(scope="module")
def room_server(room_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on the room's network address, accounts required (no local mode)."""
    log = tmp_path_factory.mktemp("room-server") / "log"
    with serve(room_workspace, log, address=ROOM, local=False) as url:
        yield url


def _settle(page: Page) -> None:
    settle(page, timeout_ms=TIMEOUT_MS)


def _open(page: Page, url: str, heading: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_role("heading", name=heading).first.wait_for()
    _settle(page)


def _titles(page: Page) -> list[str]:
    return page.locator("h1").all_inner_texts()


def _assert_participant_surface_only(page: Page) -> None:
    text = page.locator("body").inner_text()
    assert _titles(page) == ["Mapping session"], _titles(page)
    for secret in (PLAN_REF, OTHER_PROPOSAL, ADMIN_NAME, "Working as"):
        assert secret not in text, secret
    nav = page.locator('[data-testid="stSidebarNav"]')
    assert nav.count() == 0 or not any(t in nav.inner_text() for t in OTHER_TITLES)


def _in_app_navigate(page: Page, path: str) -> None:
    """Ask the running app (same browser session) for another page, as a typed link would."""
    page.evaluate(
        "(p) => { history.pushState({}, '', p); dispatchEvent(new PopStateEvent('popstate')); }",
        f"/{path}",
    )
    _settle(page)


@pytest.mark.browser
def test_a_participant_on_the_room_network_gets_the_session_page_only(
    browser: Browser, room_server: str, artifacts: Path
) -> None:
    watch = Offline()
    fac_ctx = watch.context(browser, viewport={"width": 1300, "height": 1000})
    guest_ctx = watch.context(browser, viewport={"width": 420, "height": 900})  # a phone
    try:
        # 1. The facilitator's device: no role picker, no Map; sign in, start the session.
        fac = fac_ctx.new_page()
        fac.set_default_timeout(TIMEOUT_MS)
        _open(fac, room_server, "Mapping session")
        assert fac.get_by_text("Working as").count() == 0
        assert fac.get_by_role("button", name="Run a session from this computer").count() == 0
        fac.screenshot(path=str(artifacts / "room_1_visitor.png"), full_page=True)
        fac.locator('[data-testid="stSidebarNav"]').get_by_text("Sign in").click()
        fac.get_by_label("Username", exact=True).wait_for()
        fac.get_by_label("Username", exact=True).fill("fran")
        fac.get_by_label("Password", exact=True).fill(PASSWORD)
        fac.get_by_role("button", name="Sign in").click()
        fac.get_by_text("Signed in as fran").wait_for()
        _settle(fac)
        fac.locator('[data-testid="stSidebarNav"]').get_by_text("Mapping session").click()
        fac.get_by_role("button", name="Start the session").wait_for()
        fac.get_by_label("Area", exact=True).fill("Oakham")
        fac.get_by_label("Group", exact=True).fill("Tuesday group")
        fac.get_by_role("button", name="Start the session").click()
        code_text = fac.get_by_text(re.compile(r"Join code:")).inner_text()
        found = re.search(r"[A-Z0-9]{6}", code_text.split(":", 1)[1])
        assert found is not None
        _settle(fac)
        fac.screenshot(path=str(artifacts / "room_2_facilitator.png"), full_page=True)
        _in_app_navigate(fac, "moderation")  # the control: a typed path does switch pages
        assert _titles(fac) == ["Moderation"]

        # 2. A participant's phone joins with the code.
        guest = guest_ctx.new_page()
        guest.set_default_timeout(TIMEOUT_MS)
        _open(guest, room_server, "Mapping session")
        guest.get_by_role("textbox", name=W["join_label"]).fill(found.group(0))
        guest.get_by_role("button", name=W["join_button"], exact=True).click()
        guest.get_by_text(W["map_heading"], exact=True).wait_for()
        _settle(guest)
        _assert_participant_surface_only(guest)
        guest.screenshot(path=str(artifacts / "room_3_participant.png"), full_page=True)

        # 3. Every other page's URL, asked for inside the running app: still the session page.
        for path in OTHER_PATHS:
            _in_app_navigate(guest, path)
            _assert_participant_surface_only(guest)
            assert guest.get_by_text(W["map_heading"], exact=True).count() == 1, path
        guest.screenshot(path=str(artifacts / "room_4_participant_typed_urls.png"), full_page=True)

        # 4. And typed into the address bar (a fresh load): never a page beyond join/sign in.
        for path in OTHER_PATHS:
            guest.goto(f"{room_server}/{path}", wait_until="domcontentloaded")
            guest.locator("h1").first.wait_for()
            _settle(guest)
            titles = _titles(guest)
            allowed = ["Sign in"] if path == "sign_in" else ["Mapping session"]
            assert titles == allowed, (path, titles)
            text = guest.locator("body").inner_text()
            for secret in (PLAN_REF, OTHER_PROPOSAL, ADMIN_NAME, "Working as", "Oakham Library"):
                assert secret not in text, (path, secret)
        guest.get_by_role("button", name="Sign in", exact=True).wait_for()  # the last: sign_in
        _settle(guest)
        guest.screenshot(path=str(artifacts / "room_5_fresh_load.png"), full_page=True)
        assert watch.external == []
        assert watch.errors == []
    finally:
        fac_ctx.close()
        guest_ctx.close()


@pytest.mark.browser
@pytest.mark.parametrize("address", ["0.0.0.0", ROOM])
def test_a_workspace_without_accounts_is_refused_on_the_network(
    tmp_path: Path, address: str
) -> None:
    with pytest.MonkeyPatch.context() as env:
        env.delenv("ASSETMAP_DATABASE_URL", raising=False)
        create_workspace(tmp_path / "bare")
        close_stores()
    done = subprocess.run(
        [sys.executable, "-m", "assetmap.cli", "app", str(tmp_path / "bare"),
         "--address", address, "--port", "8599"],
        capture_output=True, text=True, timeout=60, cwd=ROOT, check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"cannot be served on {address}" in lines[0]
    assert "--role admin" in lines[0]
    assert done.stdout == ""


def _websocket_handshake(url: str, host: str) -> int:
    """Open Streamlit's WebSocket with ``Host: host`` (as a rebound DNS name would); the status."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", "/_stcore/stream", headers={
            "Host": host, "Upgrade": "websocket", "Connection": "Upgrade",
            "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
            "Sec-WebSocket-Version": "13", "Origin": f"http://{host}",
        })  # fmt: skip
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.browser
def test_a_rebound_host_name_cannot_open_the_app_s_websocket(room_server: str) -> None:
    own = urlsplit(room_server).netloc
    assert _websocket_handshake(room_server, own) == 101  # the control: its own name works
    port = urlsplit(room_server).port
    assert _websocket_handshake(room_server, f"evil.example:{port}") != 101
    assert _websocket_handshake(room_server, f"127.0.0.2.evil.example:{port}") != 101
