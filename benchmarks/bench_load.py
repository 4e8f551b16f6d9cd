"""Load test: many threads asking the core for support and coverage against one register.

Run from the repository root (PostGIS: point ASSETMAP_DATABASE_URL at an empty database)::

    eval "$(bash .ci/start-postgis.sh)"
    ASSETMAP_DATABASE_URL=${ASSETMAP_TEST_DATABASE_URL%/*}/bench_load \\
        .venv/bin/python benchmarks/bench_load.py --threads 1,4,8,16 --requests 40

It builds a Rutland workspace (../shared/data/osm-rutland) in a temporary folder,
then for each thread count runs ``--requests`` requests per thread, each one of:

- *find_support*: the register as the app has it (``Store.data_version``, one
  small query, then the register read with ``Store.assets`` only when that
  changed; ``--reread`` reads it every request, as before), walking
  times from a random point in Rutland (``times_from_point``, 30-minute limit),
  then ``search_assets`` for a random needs query ordered by those minutes;
- *coverage*: the register (the same way), then one ``nearest_times`` pass (30 minutes)
  from the assets of a random category.

Prints requests per second and the median and 95th-percentile latency per
request kind. (A benchmark, not a test: figures go in the notes.)
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RUTLAND = ROOT.parent / "shared" / "data" / "osm-rutland" / "rutland-latest.osm.pbf"
QUERIES = (
    "food bank",
    "somewhere to sleep tonight",
    "debt advice",
    "library computers",
    "drug and alcohol support",
    "mental health",
    "job centre",
    "gp surgery",
)
LIMIT_MIN = 30.0


def _p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def main() -> None:
    """Run the load test and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,4,8,16")
    parser.add_argument("--requests", type=int, default=40, help="requests per thread")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--reread", action="store_true", help="read the whole register every request"
    )
    args = parser.parse_args()

    from assetmap.match.search import search_assets
    from assetmap.reach.network import build_walk_graph, load_network, snap_points
    from assetmap.reach.travel import nearest_times, times_from_point
    from assetmap.workspace import import_osm

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        result = import_osm(Path(tmp) / "rutland", RUTLAND, actor="bench")
        workspace = result.workspace
        store = workspace.store()
        graph = build_walk_graph(load_network(workspace.network_path))
        register = store.assets()
        categories = sorted({c for cats in register["categories"] for c in cats})
        lon0, lon1 = float(register.geometry.x.min()), float(register.geometry.x.max())
        lat0, lat1 = float(register.geometry.y.min()), float(register.geometry.y.max())
        print(
            f"backend {store.backend}; {len(register):,} assets, {len(categories)} categories, "
            f"{graph.n_nodes:,} nodes; "
            f"setup {time.perf_counter() - started:.1f} s"
        )

        cached: dict[str, Any] = {}
        cache_lock = threading.Lock()

        def register() -> Any:
            """The register, re-read only when the data version changed (as the app does)."""
            if args.reread:
                return store.assets()
            version = store.data_version()
            with cache_lock:
                if cached.get("version") != version:
                    cached.update(version=version, assets=store.assets())
                return cached["assets"]

        def find_support(rng: random.Random) -> None:
            assets = register()
            lon, lat = rng.uniform(lon0, lon1), rng.uniform(lat0, lat1)
            seconds = times_from_point(graph, lon, lat, max_minutes=LIMIT_MIN)
            snapped = snap_points(graph, assets.geometry.x, assets.geometry.y)
            minutes = (seconds[snapped.node] + snapped.leg_s) / 60.0
            minutes = pd.Series(minutes, index=assets["id"])
            search_assets(assets, rng.choice(QUERIES), limit=20, minutes=minutes)

        def coverage(rng: random.Random) -> None:
            assets = register()
            category = rng.choice(categories)
            chosen = assets[[category in c for c in assets["categories"]]]
            nearest_times(graph, chosen.geometry.x, chosen.geometry.y, max_minutes=LIMIT_MIN)

        kinds = {"find_support": find_support, "coverage": coverage}
        print(f"{'threads':>7} {'kind':<13} {'n':>5} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8}")
        for n_threads in [int(t) for t in args.threads.split(",")]:
            latencies: dict[str, list[float]] = {k: [] for k in kinds}
            lock = threading.Lock()

            def worker(
                k: int,
                n_threads: int = n_threads,
                latencies: dict[str, list[float]] = latencies,
                lock: threading.Lock = lock,
            ) -> None:
                rng = random.Random(args.seed * 1000 + n_threads * 100 + k)
                for _ in range(args.requests):
                    kind = rng.choice(list(kinds))
                    t0 = time.perf_counter()
                    kinds[kind](rng)
                    elapsed = time.perf_counter() - t0
                    with lock:
                        latencies[kind].append(elapsed)

            wall = time.perf_counter()
            with ThreadPoolExecutor(n_threads) as pool:
                list(pool.map(worker, range(n_threads)))
            wall = time.perf_counter() - wall
            total = sum(len(v) for v in latencies.values())
            for kind, values in latencies.items():
                print(
                    f"{n_threads:>7} {kind:<13} {len(values):>5} {len(values) / wall:>7.1f} "
                    f"{1000 * statistics.median(values):>8.0f} {1000 * _p95(values):>8.0f}"
                )
            print(f"{n_threads:>7} {'all':<13} {total:>5} {total / wall:>7.1f}")
        store.close()
    if os.environ.get("ASSETMAP_DATABASE_URL"):
        print("(register in", os.environ["ASSETMAP_DATABASE_URL"].rsplit("@", 1)[-1] + ")")


if __name__ == "__main__":
    main()
