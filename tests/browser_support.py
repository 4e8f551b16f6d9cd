"""Helpers for the real-browser tests (importable: ``from browser_support import ...``).

``tests/browser/conftest.py`` turns these into fixtures; test modules that need
them directly (a server on their own workspace, an offline context) import
them from here, since ``conftest`` names the top-level ``tests/conftest.py``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Locator, Page, Route
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from assetmap.access import Principal, Role
from assetmap.match.needs import Constraints, Goal
from assetmap.people import funds, plans
from assetmap.people.accounts import issue_session_code
from assetmap.people.sessions import start_session
from assetmap.workspace import close_stores, open_workspace

ROOT = Path(__file__).resolve().parents[1]


def _free_port(address: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    pytest.fail(f"streamlit was not healthy after {timeout_s} s:\n{log.read_text()}")


@contextlib.contextmanager
def serve(
    workspace: Path,
    log: Path,
    *,
    script: str = "streamlit_app.py",
    address: str = "127.0.0.1",
    local: bool = True,
) -> Iterator[str]:
    """Run the app on ``workspace`` (tiles off, files not watched); yield its base URL.

    It is served as ``assetmap app`` serves it (the same options, from
    ``assetmap.people.serving``), on ``address`` (a loopback address: tests connect
    to nothing else; ``127.0.0.2`` stands for the room's network), in local
    mode when ``local`` (``--local``; only honoured on 127.0.0.1). ``script``
    is the entry file, relative to the project root (a test may write a short
    one there that signs someone in, then runs ``streamlit_app.py``).
    """
    from assetmap.people.serving import LOCAL_ENV, allowed_hosts, streamlit_server_options

    assert address.startswith("127."), "tests serve on loopback addresses only"
    port = _free_port(address)
    env = os.environ | {
        "ASSETMAP_WORKSPACE": str(workspace),
        "ASSETMAP_TILES": "none",
        "PYTHONWARNINGS": "ignore",
    }
    env.pop("ASSETMAP_DATABASE_URL", None)
    env.pop(LOCAL_ENV, None)
    if local:
        env[LOCAL_ENV] = address
    command = [
        sys.executable, "-m", "streamlit", "run", script,
        "--server.port", str(port),
        *streamlit_server_options(address, allowed_hosts(address)),
        # Sources may change while tests run (others at work): never reload mid-test.
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://{address}:{port}"
    try:
        _wait_healthy(url, process, log, timeout_s=60)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def sign_in(page: Page, url: str, name: str, password: str, *, timeout_ms: int = 60_000) -> None:
    """Sign ``name`` in through the real Sign in page; return once the app says who is in."""
    page.goto(f"{url}/sign_in", wait_until="domcontentloaded")
    page.get_by_role("textbox", name="Username").fill(name)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_text("Signed in as").first.wait_for(timeout=timeout_ms)


def settle(page: Page, *, timeout_ms: int = 30_000) -> None:
    """Wait until Streamlit has finished rerunning the script and dropped stale elements."""
    page.wait_for_timeout(250)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=timeout_ms)
    page.wait_for_function(
        "() => !document.querySelector('[data-stale=\"true\"]')", timeout=timeout_ms
    )
    page.wait_for_timeout(150)


def choose_need(page: Page, label: str) -> None:
    """Pick ``label`` in Find support's "Needs or goods" box (the page's first multiselect)."""
    needs = page.locator('[data-testid="stMultiSelect"]').first.locator("input")
    needs.click()
    needs.fill(label[:9])
    page.get_by_role("option", name=label, exact=True).click()
    page.keyboard.press("Escape")


def pick(page: Page, box: str, option: str, *, typed: str = "", exact: bool = True) -> None:
    """Choose ``option`` in the selectbox labelled ``box``, opening it again if a rerun shut it.

    A rerun that lands just after the click (the one a Save or a text box's blur
    starts) redraws the box closed, so a single click-then-choose is flaky on a
    busy machine; ``typed`` narrows a long list first.
    """
    for attempt in range(3):
        settle(page, timeout_ms=120_000)
        page.get_by_role("combobox", name=box).click()
        if typed:
            page.keyboard.press("Control+A")  # an earlier attempt's text may still be there
            page.keyboard.type(typed)
        choice = page.get_by_role("option", name=option, exact=exact)
        try:
            choice.wait_for(state="visible", timeout=10_000)
        except PlaywrightTimeoutError:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
            continue
        choice.click()
        return


def open_tab(page: Page, tab: str, showing: Locator, *, shot: Path | None = None) -> None:
    """Open the tab named ``tab`` until ``showing`` (something in it) is visible.

    A rerun that lands on the click (after a reload, the map's first value
    reaches the server a moment after the page has settled) can leave the
    first tab open, so a single click is flaky on a busy machine. Three tries
    of 20 s; on the last failure a full-page screenshot goes to ``shot``.
    """
    for attempt in range(3):
        settle(page, timeout_ms=120_000)
        page.get_by_role("tab", name=tab).click()
        try:
            showing.wait_for(state="visible", timeout=20_000)
        except PlaywrightTimeoutError:
            if attempt == 2:
                if shot is not None:
                    page.screenshot(path=str(shot), full_page=True)
                raise
            continue
        return


LOCAL_HOSTS = frozenset({"127.0.0.1", "127.0.0.2", "localhost"})


class Offline:
    """Browser contexts with the network cut off, and a record of what their pages tried.

    Every request for a host other than this machine is aborted (as if the
    internet were down) and listed in ``external``; every dialog (an ``alert``
    from text that ran as script would be one) is dismissed and listed in
    ``dialogs``; every uncaught script error is listed in ``errors``.
    """

    def __init__(self) -> None:
        self.external: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []

    def context(self, browser: Browser, **options: Any) -> BrowserContext:
        """Return a new context (``options`` as for ``Browser.new_context``) that stays offline."""
        context = browser.new_context(**options)
        context.route("**/*", self._only_local)
        context.on("page", self._watch)
        return context

    def _only_local(self, route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOCAL_HOSTS or url.startswith(("data:", "about:", "blob:")):
            route.continue_()
        else:
            self.external.append(url)
            route.abort("internetdisconnected")

    def _watch(self, page: Page) -> None:
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


def new_session_code(workspace: Path, group: str) -> str:
    """Start a session in ``workspace`` (as a facilitator) and return a join code for it."""
    store = open_workspace(workspace).store()
    fran = Principal("fran", Role.FACILITATOR)
    session_id = start_session(store, principal=fran, date="2026-12-01", area="Oakham",
                               group_label=group, participants=5)  # fmt: skip
    code = issue_session_code(store, session_id, actor=fran)
    close_stores()
    return code


def new_fund_request(workspace: Path) -> str:
    """Add a fund and a staff member's request for a rent deposit from it; return its id."""
    store = open_workspace(workspace).store()
    today = dt.date.today()
    fund = funds.create_fund(
        store,
        {"name": "Enabling fund", "holder": "Probation", "budget": "2000",
         "start": today - dt.timedelta(days=1), "end": today + dt.timedelta(days=60)},
        principal=Principal("setup", Role.ADMIN),
    )  # fmt: skip
    sam = Principal("sam", Role.STAFF)
    start = plans.StartPoint(-0.7271, 52.6703, "coordinates", "here", "LE15 6", -0.727, 52.670)
    plan = plans.create_plan(
        store, start=start, goals=[Goal(need="accommodation")], constraints=Constraints(),
        principal=sam,
    )  # fmt: skip
    request = funds.request_allocation(
        store, plan["id"], fund["id"], goal=0, category="GTIP060", what="Rent deposit",
        why="a room from January", amount="450", principal=sam,
    )  # fmt: skip
    close_stores()
    return str(request["id"])


# ---------------------------------------------------------------- axe-core, offline
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")
AXE_OPTIONS = {"resultTypes": ["violations"], "runOnly": {"type": "tag", "values": [
    "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}}  # fmt: skip

_RUN_AXE = """async (options) => {
    const result = await axe.run(document, options);
    return result.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 5).map((n) => ({target: n.target.join(' '),
                                               html: n.html.slice(0, 160),
                                               why: (n.any[0] || n.all[0] || {}).message})),
        count: v.nodes.length,
    }));
}"""


class AxeRun:
    """Runs axe on pages and keeps every violation, by where it was found."""

    def __init__(self) -> None:
        self.source = AXE.read_text(encoding="utf-8")
        self.found: list[dict[str, Any]] = []
        self.checked: list[str] = []

    def check(self, page: Page, where: str) -> None:
        """Run axe on ``page`` and each of its frames; record what it finds under ``where``."""
        self.checked.append(where)
        for frame in page.frames:
            if frame.is_detached() or frame.url.startswith(("chrome", "devtools")):
                continue
            try:
                if not frame.evaluate("() => typeof axe !== 'undefined'"):
                    frame.evaluate(self.source)
                violations = frame.evaluate(_RUN_AXE, AXE_OPTIONS)
            except Exception as exc:  # a frame that went away while checking
                if "detached" in str(exc) or "destroyed" in str(exc):
                    continue
                raise
            label = where if frame == page.main_frame else f"{where} [frame {frame.name or 'map'}]"
            self.found += [{"where": label, **v} for v in violations]

    def failing(self) -> list[dict[str, Any]]:
        """The serious and critical violations."""
        return [v for v in self.found if v["impact"] in FAILING_IMPACTS]
