"""Benchmark: walking-time kernel (assetmap.reach.travel) on Rutland and synthetic street grids.

Run from the repository root::

    .venv/bin/python benchmarks/bench_reach.py [--sizes 100000,300000,1000000] [--repeat 5]

Each case runs in a fresh Python process, so its peak memory (``ru_maxrss``)
is its own. Times are wall-clock medians over the repeats (min shown too), for
work done after the network is loaded and the :class:`WalkGraph` built (that
is done once per workspace and timed apart).

Rutland (``../shared/data/osm-rutland``, through ``read_osm_file``):

- *coverage*: one ``nearest_times`` pass per taxonomy category (27) at a
  30-minute limit. The 15 categories with OSM assets in Rutland use those
  assets; the other 12 use random nodes, as many as a category with OSM assets
  (sizes drawn from the real ones). Snapping is included.
- *isochrone*: ``isochrones(..., minutes=(30,))`` from five places (polygon
  included), and the 10/20/30 set; ``times_from_point`` alone.
- *matrix*: ``travel_time_matrix`` 1,000 origins x 500 destinations (random
  points up to ~150 m off the streets), 30-minute limit.
- networkx ``multi_source_dijkstra_path_length`` with ``cutoff`` on the same
  graph for the 27 coverage passes (from the snapped nodes, legs ignored:
  slightly less work than ours).

Synthetic grids (``benchmarks/synthetic.py``: ~100 m blocks, jittered, 8% of
streets removed) at each size: coverage of 10 categories (10 multi-source
passes, sources 0.002%-0.2% of the nodes, i.e. 20-2,000 at 1M nodes) at a
30-minute limit, and without a limit; then networkx on the same graph, same
sources, same cutoff, in the same process, until ``--nx-budget`` seconds are
spent (the remaining passes are extrapolated from the mean and marked ``*``).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RUTLAND = ROOT.parent / "shared" / "data" / "osm-rutland" / "rutland-latest.osm.pbf"
LIMIT_MIN = 30.0
PLACES = {  # lon, lat
    "Oakham": (-0.7286, 52.6708),
    "Uppingham": (-0.7226, 52.5875),
    "Cottesmore": (-0.6660, 52.7137),
    "Ketton": (-0.5540, 52.6270),
    "Empingham": (-0.5960, 52.6680),
}
GRID_SHARES = (0.00002, 0.00005, 0.0001, 0.0002, 0.0003, 0.0005, 0.0008, 0.001, 0.0015, 0.002)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Return (median, min) seconds of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times)


def _nx_graph(graph):  # -> nx.Graph
    import networkx as nx

    streets = nx.Graph()
    streets.add_nodes_from(range(graph.n_nodes))
    streets.add_weighted_edges_from(
        zip(graph.edge_u.tolist(), graph.edge_v.tolist(), graph.edge_s.tolist(), strict=True)
    )
    return streets


def _nx_passes(streets, source_nodes: list[np.ndarray], budget_s: float) -> dict[str, float]:
    """Run networkx multi-source passes until the budget is spent; extrapolate the rest."""
    import networkx as nx

    spent = []
    for nodes in source_nodes:
        started = time.perf_counter()
        nx.multi_source_dijkstra_path_length(
            streets, set(nodes.tolist()), cutoff=LIMIT_MIN * 60, weight="weight"
        )
        spent.append(time.perf_counter() - started)
        if sum(spent) > budget_s:
            break
    mean = sum(spent) / len(spent)
    return {
        "nx_passes_run": len(spent),
        "nx_total_s": sum(spent) + mean * (len(source_nodes) - len(spent)),
        "nx_mean_pass_s": mean,
    }


def child_rutland(repeat: int, budget_s: float) -> dict[str, float]:
    import networkx as nx

    from assetmap.ingest.osm import read_osm_file
    from assetmap.reach.network import build_walk_graph, snap_points
    from assetmap.reach.travel import (
        isochrones,
        nearest_times,
        times_from_point,
        travel_time_matrix,
    )
    from assetmap.taxonomy import load_taxonomy

    started = time.perf_counter()
    extract = read_osm_file(RUTLAND)
    loaded = time.perf_counter()
    graph = build_walk_graph(extract.network)
    built = time.perf_counter()

    rng = np.random.default_rng(7)
    assets = extract.assets
    lon_all = assets.geometry.x.to_numpy()
    lat_all = assets.geometry.y.to_numpy()
    real: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for code in load_taxonomy().categories:
        mask = np.array([code in cats for cats in assets["categories"]], dtype=bool)
        if mask.any():
            real[code] = (lon_all[mask], lat_all[mask])
    sizes = [len(v[0]) for v in real.values()]
    sets = dict(real)
    for code in load_taxonomy().categories:
        if code not in sets:
            pick = rng.choice(graph.n_nodes, int(rng.choice(sizes)), replace=False)
            sets[code] = (graph.network.lon[pick], graph.network.lat[pick])

    def coverage() -> None:
        for lon, lat in sets.values():
            nearest_times(graph, lon, lat, max_minutes=LIMIT_MIN)

    cov_med, cov_min = _timed(coverage, repeat)

    def iso_one() -> None:
        for lon, lat in PLACES.values():
            isochrones(graph, lon, lat, minutes=(LIMIT_MIN,))

    iso_med, iso_min = _timed(iso_one, repeat)

    def iso_three() -> None:
        for lon, lat in PLACES.values():
            isochrones(graph, lon, lat, minutes=(10, 20, 30))

    iso3_med, _ = _timed(iso_three, repeat)

    def from_point() -> None:
        for lon, lat in PLACES.values():
            times_from_point(graph, lon, lat, max_minutes=LIMIT_MIN)

    tfp_med, _ = _timed(from_point, repeat)

    def points(n: int) -> tuple[np.ndarray, np.ndarray]:
        pick = rng.choice(graph.n_nodes, n, replace=False)
        return (
            graph.network.lon[pick] + rng.uniform(-0.002, 0.002, n),
            graph.network.lat[pick] + rng.uniform(-0.0013, 0.0013, n),
        )

    origins, destinations = points(1000), points(500)
    mat_med, mat_min = _timed(
        lambda: travel_time_matrix(graph, *origins, *destinations, max_minutes=LIMIT_MIN), repeat
    )
    finite = np.isfinite(travel_time_matrix(graph, *origins, *destinations, max_minutes=LIMIT_MIN))

    streets = _nx_graph(graph)
    source_nodes = [np.unique(snap_points(graph, *v).node) for v in sets.values()]
    nx_result = _nx_passes(streets, source_nodes, budget_s)
    del nx
    return {
        "load_s": loaded - started,
        "build_s": built - loaded,
        "nodes": graph.n_nodes,
        "edges": len(graph.edge_u),
        "categories": len(sets),
        "real_categories": len(real),
        "sources": sum(len(v[0]) for v in sets.values()),
        "coverage_s": cov_med,
        "coverage_min_s": cov_min,
        "isochrone_s": iso_med / len(PLACES),
        "isochrone_min_s": iso_min / len(PLACES),
        "isochrone3_s": iso3_med / len(PLACES),
        "times_from_point_s": tfp_med / len(PLACES),
        "matrix_s": mat_med,
        "matrix_min_s": mat_min,
        "matrix_reached_share": float(finite.mean()),
        "peak_mb": _peak_mb(),
        **nx_result,
    }


def child_grid(n_nodes: int, repeat: int, budget_s: float) -> dict[str, float]:
    from synthetic import street_grid

    from assetmap.reach.network import build_walk_graph
    from assetmap.reach.travel import nearest_times

    started = time.perf_counter()
    network = street_grid(n_nodes)
    made = time.perf_counter()
    graph = build_walk_graph(network)
    built = time.perf_counter()
    rng = np.random.default_rng(11)
    picks = [
        rng.choice(graph.n_nodes, max(1, round(share * graph.n_nodes)), replace=False)
        for share in GRID_SHARES
    ]
    sets = [(graph.network.lon[p], graph.network.lat[p]) for p in picks]

    def coverage(limit: float | None) -> list[np.ndarray]:
        return [nearest_times(graph, lon, lat, max_minutes=limit) for lon, lat in sets]

    ours_med, ours_min = _timed(lambda: coverage(LIMIT_MIN), repeat)
    full_med, _ = _timed(lambda: coverage(None), 1)
    first = coverage(LIMIT_MIN)[0]
    peak = _peak_mb()

    import networkx as nx

    nx_started = time.perf_counter()
    streets = _nx_graph(graph)
    nx_built = time.perf_counter() - nx_started
    found = nx.multi_source_dijkstra_path_length(
        streets, set(picks[0].tolist()), cutoff=LIMIT_MIN * 60
    )
    theirs = np.full(graph.n_nodes, np.inf)
    theirs[list(found)] = list(found.values())
    same_reach = bool(np.array_equal(np.isfinite(first), np.isfinite(theirs)))
    reached = np.isfinite(theirs)
    max_diff = float(np.abs(first[reached] - theirs[reached]).max()) if reached.any() else 0.0
    nx_result = _nx_passes(streets, picks, budget_s)
    return {
        "nodes": graph.n_nodes,
        "edges": len(graph.edge_u),
        "sources": sum(len(p) for p in picks),
        "make_s": made - started,
        "build_s": built - made,
        "coverage_s": ours_med,
        "coverage_min_s": ours_min,
        "coverage_nolimit_s": full_med,
        "peak_mb": peak,
        "nx_build_s": nx_built,
        "same_reach_as_nx": same_reach,
        "max_diff_s": max_diff,
        "peak_mb_with_nx": _peak_mb(),
        **nx_result,
    }


def run_child(args: list[str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _rutland_report(r: dict[str, float]) -> None:
    print(
        f"\nRutland: {r['nodes']:,.0f} nodes, {r['edges']:,.0f} edges; "
        f"read_osm_file {r['load_s']:.2f} s, build_walk_graph {r['build_s'] * 1000:.0f} ms "
        f"(once per workspace); peak {r['peak_mb']:.0f} MB"
    )
    rows = [
        (
            f"coverage: {r['categories']:.0f} categories x nearest_times, 30 min "
            f"({r['real_categories']:.0f} from OSM assets, {r['sources']:.0f} sources)",
            r["coverage_s"],
            r["coverage_min_s"],
            0.5,
        ),
        (
            "one isochrone (30 min, polygon), mean of 5 places",
            r["isochrone_s"],
            r["isochrone_min_s"],
            0.05,
        ),
        ("isochrones 10/20/30 (3 polygons), mean of 5 places", r["isochrone3_s"], None, None),
        ("times_from_point (30 min), mean of 5 places", r["times_from_point_s"], None, None),
        (
            f"matrix 1000 x 500, 30 min ({r['matrix_reached_share']:.0%} of pairs reached)",
            r["matrix_s"],
            r["matrix_min_s"],
            1.0,
        ),
    ]
    print(f"{'case':<82} {'median':>9} {'min':>9} {'target':>8}")
    for name, med, low, target in rows:
        low_s = f"{low * 1000:>7.1f}ms" if low is not None else " " * 9
        tgt = f"<{target * 1000:.0f}ms" if target is not None else ""
        print(f"{name:<82} {med * 1000:>7.1f}ms {low_s} {tgt:>8}")
    star = "" if r["nx_passes_run"] == r["categories"] else "*"
    print(
        f"networkx, same {r['categories']:.0f} passes: {r['nx_total_s']:.2f} s{star} "
        f"-> assetmap is {r['nx_total_s'] / r['coverage_s']:.0f}x faster"
    )


def _grid_report(results: list[dict[str, float]]) -> None:
    print(
        "\nSynthetic street grids: coverage of 10 categories "
        "(10 multi-source passes, 30-minute limit unless said)"
    )
    header = (
        f"{'nodes':>10} {'edges':>10} {'sources':>8} {'build s':>8} {'ours s':>8} {'(min)':>7} "
        f"{'no-limit s':>10} {'peak MB':>8} {'nx s':>9} {'nx runs':>8} {'ratio':>6} "
        f"{'max diff s':>10} {'same set':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        star = "" if r["nx_passes_run"] == len(GRID_SHARES) else "*"
        print(
            f"{r['nodes']:>10,.0f} {r['edges']:>10,.0f} {r['sources']:>8,.0f} {r['build_s']:>8.2f} "
            f"{r['coverage_s']:>8.3f} {r['coverage_min_s']:>7.3f} {r['coverage_nolimit_s']:>10.3f} "
            f"{r['peak_mb']:>8.0f} {r['nx_total_s']:>8.2f}{star or ' '} "
            f"{r['nx_passes_run']:>5.0f}/10 {r['nx_total_s'] / r['coverage_s']:>5.0f}x "
            f"{r['max_diff_s']:>10.2g} {'yes' if r['same_reach_as_nx'] else 'NO':>8}"
        )
    if len(results) > 1:
        base = results[0]
        growth = ", ".join(
            f"{r['nodes'] / base['nodes']:.1f}x nodes -> "
            f"{r['coverage_s'] / base['coverage_s']:.1f}x time"
            for r in results[1:]
        )
        print(f"growth vs {base['nodes']:,.0f} nodes: {growth}")
    print(
        "* networkx passes beyond the budget are extrapolated from the mean pass. "
        "peak MB = the process's peak before networkx is loaded (grid generation included); "
        "max diff = largest |assetmap - networkx| seconds on the first category "
        "(sources sit exactly on nodes, so their legs are 0); same set = the same nodes "
        "reached within the limit."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,300000,1000000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--nx-budget", type=float, default=90.0, help="seconds per case")
    parser.add_argument("--skip-rutland", action="store_true")
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        warnings.simplefilter("ignore")
        kind = args.child[0]
        if kind == "rutland":
            result = child_rutland(args.repeat, args.nx_budget)
        else:
            result = child_grid(int(args.child[1]), args.repeat, args.nx_budget)
        print(json.dumps(result))
        return 0

    common = ["--repeat", str(args.repeat), "--nx-budget", str(args.nx_budget)]
    print(
        f"assetmap.reach.travel benchmark: medians of {args.repeat} repeats,"
        " each case in a fresh process"
    )
    if not args.skip_rutland:
        _rutland_report(run_child(["rutland", *common]))
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if sizes:
        _grid_report([run_child(["grid", str(n), *common]) for n in sizes])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
