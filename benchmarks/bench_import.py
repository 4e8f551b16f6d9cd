"""Benchmark: OpenStreetMap import of Rutland, assetmap vs pyrosm.

Run from the repository root::

    .venv/bin/python benchmarks/bench_import.py [--repeat 3] [--osm FILE]

Each measurement runs in a fresh Python process, so peak memory (the child's
own ``ru_maxrss``) is not inflated by earlier runs. Times are wall-clock for
the import work only (after the libraries are imported); import time is shown
apart. The table gives the median over the repeats.

- **assetmap**: ``read_osm_file(path)``: assets (validated, categorised) and the
  walking network (every vertex, deduplicated undirected edges, lengths).
- **pyrosm**: ``OSM(path).get_network("walking", nodes=True)`` plus
  ``get_pois(custom_filter=...)`` with the same tags as the taxonomy's rules.
  pyrosm's POIs are raw features (not categorised, unnamed ones included).

A last child compares the two networks edge by edge.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUTLAND = ROOT.parent / "shared" / "data" / "osm-rutland" / "rutland-latest.osm.pbf"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def child_assetmap(path: str) -> dict[str, float]:
    started = time.perf_counter()
    from assetmap.ingest.osm import read_osm_file

    imported = time.perf_counter()
    extract = read_osm_file(path)
    done = time.perf_counter()
    return {
        "import_s": imported - started,
        "seconds": done - imported,
        "peak_mb": _peak_mb(),
        "nodes": extract.network.n_nodes,
        "edges": extract.network.n_edges,
        "features": len(extract.assets),
    }


def child_pyrosm(path: str) -> dict[str, float]:
    started = time.perf_counter()
    from pyrosm import OSM

    from assetmap.ingest.osm import osm_query_tags

    imported = time.perf_counter()
    osm = OSM(path)
    nodes, edges = osm.get_network("walking", nodes=True)
    pois = osm.get_pois(custom_filter=osm_query_tags())
    done = time.perf_counter()
    return {
        "import_s": imported - started,
        "seconds": done - imported,
        "peak_mb": _peak_mb(),
        "nodes": len(nodes),
        "edges": len(edges),
        "features": 0 if pois is None else len(pois),
    }


def child_parity(path: str) -> dict[str, float]:
    import numpy as np
    from pyrosm import OSM

    from assetmap.ingest.osm import read_osm_file

    net = read_osm_file(path).network
    ours = {
        (int(min(a, b)), int(max(a, b))): float(length)
        for a, b, length in zip(
            net.node_ids[net.edge_u], net.node_ids[net.edge_v], net.length_m, strict=True
        )
    }
    _, edges = OSM(path).get_network("walking", nodes=True)
    theirs = {
        (int(min(a, b)), int(max(a, b))): float(length)
        for a, b, length in zip(edges["u"], edges["v"], edges["length"], strict=True)
    }
    common = ours.keys() & theirs.keys()
    diff = [abs(ours[k] - theirs[k]) for k in common]
    return {
        "common_edges": len(common),
        "only_assetmap": len(ours.keys() - theirs.keys()),
        "only_pyrosm": len(theirs.keys() - ours.keys()),
        "max_length_diff_m": float(np.max(diff)) if diff else 0.0,
    }


CHILDREN = {"assetmap": child_assetmap, "pyrosm": child_pyrosm, "parity": child_parity}


def run_child(kind: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--osm", str(path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--osm", type=Path, default=RUTLAND)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", choices=sorted(CHILDREN))
    args = parser.parse_args()
    if args.child:
        import warnings

        warnings.simplefilter("ignore")
        print(json.dumps(CHILDREN[args.child](str(args.osm))))
        return 0

    print(
        f"OSM import benchmark: {args.osm.name} ({args.osm.stat().st_size / 1e6:.1f} MB), "
        f"median of {args.repeat} fresh processes"
    )
    results: dict[str, dict[str, float]] = {}
    for kind in ("assetmap", "pyrosm"):
        runs = [run_child(kind, args.osm) for _ in range(args.repeat)]
        results[kind] = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        results[kind]["min_s"] = min(run["seconds"] for run in runs)
    header = (
        f"{'method':<10} {'time s':>8} {'(min)':>7} {'import s':>9} {'peak MB':>8} "
        f"{'nodes':>7} {'edges':>7} {'features':>9}"
    )
    print(header)
    print("-" * len(header))
    for kind, r in results.items():
        print(
            f"{kind:<10} {r['seconds']:>8.2f} {r['min_s']:>7.2f} {r['import_s']:>9.2f} "
            f"{r['peak_mb']:>8.0f} {r['nodes']:>7.0f} {r['edges']:>7.0f} {r['features']:>9.0f}"
        )
    a, p = results["assetmap"], results["pyrosm"]
    print(
        f"ratio assetmap/pyrosm: time {a['seconds'] / p['seconds']:.2f}x, "
        f"peak memory {a['peak_mb'] / p['peak_mb']:.2f}x"
    )
    print("features: assetmap = categorised, named-or-useful assets; pyrosm = raw tag matches")
    parity = run_child("parity", args.osm)
    print(
        f"network parity: {parity['common_edges']:,} edges in both, "
        f"{parity['only_assetmap']:,} only in assetmap (cycleways open to walkers), "
        f"{parity['only_pyrosm']:,} only in pyrosm; "
        f"largest length difference on shared edges {parity['max_length_diff_m'] * 1000:.2f} mm"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
