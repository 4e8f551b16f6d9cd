"""Browser benchmark: how long the app's pages take to paint, in real Chromium, on Rutland.

Not a timed test: it prints medians and 90th percentiles for the notes.

Run from the repository root::

    .venv/bin/python benchmarks/bench_pages.py [--runs 5] [--workspace DIR]

Without ``--workspace`` it builds the Rutland demo (``assetmap demo``, bundled
data only) in a temporary folder, serves it in local mode as the browser tests
do (``tests/browser_support.serve``: tiles off, no file watcher) and drives
Debian's ``/usr/bin/chromium`` (offline: the app must not need the internet).
Each run of each action uses a new browser page (a new Streamlit session), so
only the server's caches carry over, as for a new user of a running server.

Actions, each timed from the click (or navigation) to what the person waits for:

- *first load*: open the app -> the Map page's markers painted;
- *find*: on Find support as staff (start ``LE15 6AA``, two needs), click **Find support**
  -> the first result heading and the walking-area map painted;
- *dashboard*: from the Map page, as a lead, click **Dashboard** in the menu -> the coverage
  bars (a table of bars since 2026-12-02, a Vega chart before) and the gap map painted;
- *pdf*: after a search, click **Make a PDF** then **Download sheet (PDF)** ->
  the download has started.

Wall times are noisy on a shared machine, so it also reports the CPU time the
server process used per action (user + system, from ``/proc``), which is not,
and the CPU time of the browser's processes (every other process below this one).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser_support import Offline, serve  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
TIMEOUT_MS = 240_000
NEEDS = ("Education, training and employment", "Health")
_TICK = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _server_pid() -> int:
    """The Streamlit server: the child of this process running ``streamlit``."""
    for pid in _children(os.getpid()):
        if b"streamlit" in Path(f"/proc/{pid}/cmdline").read_bytes():
            return pid
    msg = "no streamlit server among this process's children"
    raise RuntimeError(msg)


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, their children, ...)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found, todo = [], [pid]
    while todo:
        above = todo.pop()
        below = [child for child, parent in parents.items() if parent == above]
        found += below
        todo += below
    return found


def _browser_cpu_s(server_pid: int) -> float:
    """CPU seconds used so far by the browser: every process of this run but the server's."""
    skip = {server_pid, *_descendants(server_pid)}
    total = 0.0
    for pid in _descendants(os.getpid()):
        if pid not in skip:
            try:
                total += _cpu_s(pid)
            except OSError:  # ended meanwhile
                continue
    return total


class Timer:
    """Collects wall and server CPU seconds per action."""

    def __init__(self, server_pid: int) -> None:
        self.pid = server_pid
        self.wall: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}
        self.browser: dict[str, list[float]] = {}

    @contextmanager
    def time(self, action: str) -> Iterator[None]:
        """Time the body as one run of ``action``."""
        browser0, cpu0, wall0 = _browser_cpu_s(self.pid), _cpu_s(self.pid), time.perf_counter()
        yield
        self.wall.setdefault(action, []).append(time.perf_counter() - wall0)
        self.cpu.setdefault(action, []).append(_cpu_s(self.pid) - cpu0)
        self.browser.setdefault(action, []).append(_browser_cpu_s(self.pid) - browser0)
        print(f"  {action}: {self.wall[action][-1]:.2f} s", file=sys.stderr, flush=True)

    def report(self) -> None:
        """Print medians and 90th percentiles."""
        head = ("action", "n", "median s", "p90 s", "cpu med s", "cpu p90", "browser cpu med")
        print("{:<11} {:>3} {:>9} {:>7} {:>10} {:>8} {:>16}".format(*head))
        for action, wall in self.wall.items():
            cpu, browser = self.cpu[action], self.browser[action]
            print(
                f"{action:<11} {len(wall):>3} {statistics.median(wall):>9.2f} "
                f"{np.percentile(wall, 90):>7.2f} {statistics.median(cpu):>10.2f} "
                f"{np.percentile(cpu, 90):>8.2f} {statistics.median(browser):>16.2f}"
            )


def _settle(page: Page) -> None:
    """Wait until Streamlit says the script run is over."""
    page.wait_for_timeout(200)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=TIMEOUT_MS)


def _map_painted(page: Page) -> None:
    frame = page.frame_locator(MAP_IFRAME).first
    frame.locator("path.leaflet-interactive").first.wait_for(state="attached", timeout=TIMEOUT_MS)


def first_load(page: Page, url: str, timer: Timer) -> None:
    """Open the app -> the Map page's markers painted."""
    with timer.time("first load"):
        page.goto(url, wait_until="commit")
        _map_painted(page)
    _settle(page)


def _work_as(page: Page, url: str, role: str) -> None:
    """Open the app and choose ``role`` in the local-mode picker (the demo has no accounts)."""
    page.goto(url, wait_until="domcontentloaded")
    _map_painted(page)
    _settle(page)
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name=role, exact=True).click()
    _settle(page)


def _search_form(page: Page, url: str) -> None:
    _work_as(page, url, "Staff")
    page.get_by_role("link", name="Find support").click()
    page.get_by_label("Start point").wait_for(timeout=TIMEOUT_MS)
    _settle(page)
    page.get_by_label("Start point").fill("LE15 6AA")
    needs = page.locator('[data-testid="stMultiSelect"]').first.locator("input")
    for label in NEEDS:
        needs.click()
        needs.fill(label[:9])
        page.get_by_role("option", name=label, exact=True).click()
    page.keyboard.press("Escape")


def find(page: Page, url: str, timer: Timer) -> None:
    """Click Find support -> the first result and the walking-area map painted."""
    _search_form(page, url)
    with timer.time("find"):
        page.get_by_role("button", name="Find support").click()
        page.get_by_text(f"1. {NEEDS[0]}").wait_for(timeout=TIMEOUT_MS)
        _map_painted(page)
    _settle(page)


def pdf(page: Page, url: str, timer: Timer) -> None:
    """After a search: Make a PDF, then Download -> the download has started."""
    find(page, url, timer)
    with timer.time("pdf"):
        page.get_by_role("button", name="Make a PDF").click()
        with page.expect_download(timeout=TIMEOUT_MS):
            page.get_by_role("button", name="Download sheet (PDF)").click(timeout=TIMEOUT_MS)
    _settle(page)


def dashboard(page: Page, url: str, timer: Timer) -> None:
    """From the Map page, click Dashboard -> the coverage bars and the gap map painted.

    The coverage bars are a table (its grid's canvas); before they were a Vega
    chart, so a run on an older checkout waits for that chart's canvas instead.
    """
    _work_as(page, url, "Lead")
    with timer.time("dashboard"):
        page.get_by_role("link", name="Dashboard").click()
        bars = page.locator(
            '[data-testid="stDataFrame"]:has-text("(on the gap map)"), '
            '[data-testid="stVegaLiteChart"]'
        ).first
        bars.locator("canvas, svg").first.wait_for(timeout=TIMEOUT_MS)
        page.get_by_text("Gap map:").wait_for(timeout=TIMEOUT_MS)
        _map_painted(page)
    _settle(page)


ACTIONS: dict[str, Callable[[Page, str, Timer], None]] = {
    "first_load": first_load, "find": find, "dashboard": dashboard, "pdf": pdf,
}  # fmt: skip


def _run(
    browser: Browser, url: str, runs: int, timer: Timer, names: list[str] | None = None
) -> None:
    offline = Offline()
    actions = [ACTIONS[name] for name in names or ACTIONS]
    for n in range(runs):
        for action in actions:
            context = offline.context(
                browser, viewport={"width": 1400, "height": 1800}, accept_downloads=True
            )
            try:
                action(context.new_page(), url, timer)
            finally:
                context.close()
        print(f"run {n + 1} of {runs} done", file=sys.stderr)
    if offline.external or offline.errors:
        print(f"external requests: {offline.external}; page errors: {offline.errors}")


def main() -> None:
    """Build or open the workspace, serve it, drive the browser, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each action")
    parser.add_argument("--workspace", type=Path, help="a workspace (default: the Rutland demo)")
    parser.add_argument(
        "--actions", nargs="+", choices=list(ACTIONS), help="only these actions (default: all)"
    )
    args = parser.parse_args()
    os.environ.pop("ASSETMAP_DATABASE_URL", None)
    with tempfile.TemporaryDirectory() as tmp:
        workspace = args.workspace
        if workspace is None:
            from assetmap.cli import main as cli
            from assetmap.workspace import close_stores

            workspace = Path(tmp) / "demo"
            if cli(["--no-progress", "demo", str(workspace)]) != 0:
                raise SystemExit(1)
            close_stores()
        with serve(workspace, Path(tmp) / "server.log") as url, sync_playwright() as play:
            timer = Timer(_server_pid())
            browser = play.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                _run(browser, url, args.runs, timer, args.actions)
            finally:
                browser.close()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    timer.report()


if __name__ == "__main__":
    main()
