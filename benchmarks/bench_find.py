"""Time a full Find support query on the Rutland workspace, once it is loaded.

A query is what the Find support page and ``assetmap find`` do for a worker:
a postcode, three needs, filters (age, free only, days and times, at most
20 minutes' walk) -> start point resolved, each need matched to ranked
reachable services with minutes, reasons and warnings.

"Loaded" means the register is snapped to the walking graph and indexed
(:func:`assetmap.match.needs.prepare_matching`, cached per data version in the
app) and the postcode table is read (cached per file and register version by
:func:`assetmap.workspace.workspace_postcodes`). Loading is timed once, apart. The
query is timed three ways: with the postcode table passed in, as the app calls
it (the cached register passed in), and with the register re-read from the
store each time (what the CLI does once per run).

Run: ``.venv/bin/python benchmarks/bench_find.py [--repeat 31] [--workspace DIR]``
(without ``--workspace`` a Rutland workspace is imported into a temporary folder).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from assetmap.access import Principal, Role
from assetmap.ingest.postcodes import read_postcodes, save_postcodes
from assetmap.match.needs import Constraints, Goal, prepare_matching
from assetmap.people.plans import find_support, resolve_start
from assetmap.reach.network import walk_graph_for
from assetmap.workspace import Workspace, import_osm, open_workspace, workspace_postcodes

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
RUTLAND_PBF = SHARED_DATA / "osm-rutland" / "rutland-latest.osm.pbf"
POSTCODES = SHARED_DATA / "postcodes-codepoint-open-2014" / "postcodes_latlon_demo_lads.csv"
STAFF = Principal("bench", Role.STAFF)
POSTCODE = "LE15 6AA"
GOALS = (Goal(need="ete"), Goal(need="health"), Goal(need="finance_benefit_debt"))
CONSTRAINTS = Constraints(
    age=34,
    free_only=True,
    available=(("Mo", "09:00", "17:00"), ("We", "09:00", "17:00"), ("Fr", "09:00", "13:00")),
    max_minutes=20,
)


def timed_ms(function: Callable[[], object], repeat: int) -> list[float]:
    """Run ``function`` ``repeat`` times (after one warm-up) and return each time in ms."""
    function()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(1000 * (time.perf_counter() - start))
    return times


def rutland_workspace(folder: Path) -> Workspace:
    workspace = import_osm(folder / "rutland", RUTLAND_PBF).workspace
    save_postcodes(read_postcodes(POSTCODES), workspace.postcodes_path)
    return workspace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=31)
    parser.add_argument("--workspace", type=Path, default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        if args.workspace is None:
            workspace = rutland_workspace(Path(tmp))
        else:
            workspace = open_workspace(args.workspace)
        made_s = time.perf_counter() - start

        start = time.perf_counter()
        assets = workspace.store().assets()
        graph = walk_graph_for(workspace.network_path)
        context = prepare_matching(assets, graph)
        postcodes = workspace_postcodes(workspace)
        load_ms = 1000 * (time.perf_counter() - start)

        def query(how: str) -> int:
            point = resolve_start(
                workspace, POSTCODE, graph=context.graph,
                postcodes=postcodes if how == "loaded" else None,
                assets=context.assets if how == "app" else None,
            )  # fmt: skip
            _, matches = find_support(
                workspace, point, GOALS, CONSTRAINTS, principal=STAFF, context=context
            )
            return sum(len(m.results) for m in matches)

        found = query("loaded")
        runs = {
            "postcode table passed in": timed_ms(lambda: query("loaded"), args.repeat),
            "app (register passed in)": timed_ms(lambda: query("app"), args.repeat),
            "register re-read each query": timed_ms(
                lambda: query("reread"), max(5, args.repeat // 3)
            ),
        }

    print(f"workspace: {len(assets):,} assets, {len(graph.x):,} walking nodes "
          f"({'imported' if args.workspace is None else 'opened'} in {made_s:.1f} s)")  # fmt: skip
    print(f"load once (assets + graph + snap + index + postcodes): {load_ms:.0f} ms")
    print(f"query: {POSTCODE}, needs {', '.join(str(g.need) for g in GOALS)}, age 34, free only, "
          f"3 day windows, <= {CONSTRAINTS.max_minutes:.0f} min -> {found} results")  # fmt: skip
    for label, times in runs.items():
        print(
            f"{label:<30} median {statistics.median(times):6.1f} ms   "
            f"min {min(times):6.1f}   max {max(times):6.1f}   (n={len(times)})"
        )


if __name__ == "__main__":
    main()
