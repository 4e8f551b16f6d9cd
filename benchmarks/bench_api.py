"""Time the Open Referral UK API under concurrent text searches on Rutland's register.

Builds a Rutland workspace (OSM community places from the shared CSV, plus
the directory spreadsheet in ``tests/data``), verifies every asset, starts
``assetmap api`` in-process on a free 127.0.0.1 port, and sends
``--requests`` GET requests of ``/services?text=...&page=...`` from
``--threads`` threads (bounded in count and time; loopback only). Reports
p50/p95/max latency and throughput; the first request (which reads the
register and builds the feed) is timed apart.

Run: ``.venv/bin/python benchmarks/bench_api.py [--requests 200] [--threads 8]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from assetmap.access import Principal, Role
from assetmap.api import build_app, serving
from assetmap.imports import import_file
from assetmap.workspace import Workspace, close_stores, create_workspace

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
POIS = SHARED_DATA / "osm-rutland" / "pois_community_rutland.csv"
DIRECTORY = ROOT / "tests" / "data" / "rutland_directory.csv"
ADMIN = Principal("bench", Role.ADMIN)
WORDS = ("library", "church", "hall", "food", "school", "club", "oakham", "community")


def rutland(folder: Path) -> Workspace:
    """A Rutland workspace with every asset verified."""
    ws = create_workspace(folder)
    import_file(
        ws,
        POIS,
        principal=ADMIN,
        overrides={"amenity": "categories", "addr:postcode": "postcode"},
        skip_bad_rows=True,
    )
    import_file(ws, DIRECTORY, principal=ADMIN, skip_bad_rows=True)
    store = ws.store()
    for asset in store.assets().to_dict("records"):
        store.set_status(
            asset["id"], "verified", expected_version=asset["version"], actor="b", reason="b"
        )
    return ws


def get_ms(url: str) -> float:
    """GET ``url``, check it is a page of services, and return the time taken in ms."""
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as response:
        page = json.loads(response.read())
    elapsed = 1000 * (time.perf_counter() - start)
    if "contents" not in page:
        msg = f"{url} did not answer a page: {page}"
        raise RuntimeError(msg)
    return elapsed


def main() -> None:
    """Run the benchmark and print its numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--per-page", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="assetmap-bench-api-") as tmp:
        ws = rutland(Path(tmp) / "ws")
        count = len(ws.store().assets())
        with serving(build_app(ws)) as base:
            first = get_ms(f"{base}/services?per_page={args.per_page}")
            urls = [
                f"{base}/services?text={WORDS[i % len(WORDS)]}&page={1 + i % 3}"
                f"&per_page={args.per_page}"
                for i in range(args.requests)
            ]
            start = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.threads) as pool:
                times = list(pool.map(get_ms, urls))
            wall = time.perf_counter() - start
        close_stores()
    times.sort()
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    print(f"register: {count} verified assets; first request (builds the feed): {first:.0f} ms")
    print(
        f"{len(times)} requests from {args.threads} threads in {wall:.2f} s: "
        f"{len(times) / wall:.0f} requests/s; p50 {statistics.median(times):.1f} ms, "
        f"p95 {p95:.1f} ms, max {times[-1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
