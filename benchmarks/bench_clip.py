"""Benchmark: a clipped import (``init --area``) vs the whole-file import, time and peak memory.

Run from the repository root::

    .venv/bin/python benchmarks/bench_clip.py [--osm FILE] [--area NAME]

Each import runs once in a fresh Python process (peak memory is the child's own
``ru_maxrss``) into a new SQLite workspace; the time is wall-clock for
``assetmap.workspace.import_osm`` only (libraries already imported). The clip
reads the whole file, then keeps the area's assets and the walking network
within 2 km of it, so it costs the whole read plus assembling the boundary.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUTLAND = ROOT / "assetmap" / "data" / "demo" / "rutland" / "rutland-latest.osm.pbf"


def child(osm: str, area: str | None) -> dict[str, float]:
    from assetmap.workspace import import_osm

    folder = Path(tempfile.mkdtemp()) / "ws"
    start = time.perf_counter()
    result = import_osm(folder, osm, area=area)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "assets": float(result.summary.created),
        "edges": float(result.n_edges),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--osm", default=str(RUTLAND))
    parser.add_argument("--area", default="Rutland")
    parser.add_argument("--child", choices=["whole", "clip"])
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.osm, args.area if args.child == "clip" else None)))
        return
    print(f"{'import':<28} {'seconds':>8} {'peak MB':>8} {'assets':>7} {'edges':>8}")
    for kind in ("whole", "clip"):
        out = subprocess.run(
            [sys.executable, __file__, "--osm", args.osm, "--area", args.area, "--child", kind],
            capture_output=True, text=True, check=True, cwd=ROOT,
        )  # fmt: skip
        r = json.loads(out.stdout.strip().splitlines()[-1])
        label = "whole file" if kind == "whole" else f"--area {args.area}"
        print(
            f"{label:<28} {r['seconds']:8.1f} {r['peak_mb']:8.0f} "
            f"{int(r['assets']):>7} {int(r['edges']):>8,}"
        )


if __name__ == "__main__":
    main()
