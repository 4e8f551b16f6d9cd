"""Benchmark: de-duplicating 10,000 incoming records against a 10,000-record register.

Run from the repository root::

    .venv/bin/python benchmarks/bench_dedupe.py [--n 10000] [--repeat 3] [--naive-sample 200]

The data are synthetic but made of real parts: real names (Rutland OSM POIs
and UK-CAT charities from ../shared/data) placed at real postcode centroids of
the LE postcode area (Leicester, Leicestershire and Rutland: 21,621 postcodes
over a county-sized ~2,500 km², dense in the city, sparse in the villages),
jittered up to 100 m. The incoming table holds a mangled copy (the seeded
mangling of tests/match/dedupe_fixtures.py: typos, St/Saint, &/and, legal forms,
word order, missing words, postcode formats, 5-80 m moves) of half the register
and 5,000 other records.

- **assetmap**: ``find_duplicates(incoming, other=register)``, every candidate
  pair scored and explained (the median of ``--repeat`` runs, wall clock and
  CPU time: on a shared machine the CPU time is the figure to compare).
- **naive**: a Python loop over all pairs that computes just a processed
  ``fuzz.token_sort_ratio`` and a haversine distance per pair; it is timed on
  ``--naive-sample`` incoming records against the whole register and
  extrapolated linearly to all of them (it would take too long to run whole).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from rapidfuzz import fuzz

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "tests" / "match"))

from dedupe_fixtures import jitter, mangle_name, phone_variant, postcode_variant  # noqa: E402
from search_registers import ukcat_frame  # noqa: E402

from assetmap.match.dedupe import find_duplicates, plan_merges  # noqa: E402
from assetmap.match.normalize import normalise_name  # noqa: E402


def le_postcodes() -> pd.DataFrame:
    raw = pd.read_csv(
        SHARED / "postcodes-codepoint-open-2014" / "le.csv",
        header=None,
        usecols=[0, 2, 3],
        names=["postcode", "e", "n"],
    )
    raw = raw[(raw["e"] > 0) & (raw["n"] > 0)].reset_index(drop=True)
    points = gpd.GeoSeries(gpd.points_from_xy(raw["e"], raw["n"]), crs="EPSG:27700").to_crs(4326)
    code = raw["postcode"].str.replace(" ", "", regex=False)
    return pd.DataFrame(
        {"postcode": code.str[:-3] + " " + code.str[-3:], "lon": points.x, "lat": points.y}
    )


def real_names() -> list[str]:
    osm = pd.read_csv(SHARED / "osm-rutland" / "pois_community_rutland.csv", dtype=str)
    charities = ukcat_frame(SHARED, files=("sample.csv", "top2000.csv"))
    names = list(osm["name"].dropna()) + list(charities["name"])
    return sorted({n for n in names if 4 <= len(n) <= 70})


def tables(n: int, seed: int) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    rng = np.random.default_rng(seed)
    postcodes = le_postcodes()
    names = real_names()
    categories = ["community_centre", "charity_community_group", "faith_community", "library"]

    def record(prefix: str, k: int) -> dict[str, object]:
        place = postcodes.iloc[int(rng.integers(len(postcodes)))]
        lon, lat = jitter(float(place["lon"]), float(place["lat"]), rng, low=0, high=100)
        name = names[int(rng.integers(len(names)))]
        if rng.random() < 0.5:  # names repeat across a county, not word for word
            name = mangle_name(name, rng)[0]
        return {
            "id": f"{prefix}{k}",
            "name": name,
            "postcode": place["postcode"],
            "phone": f"0116 {int(rng.integers(2_000_000, 3_000_000))}"
            if rng.random() < 0.5
            else None,
            "categories": (categories[int(rng.integers(len(categories)))],),
            "lon": lon,
            "lat": lat,
        }

    register = [record("r", k) for k in range(n)]
    incoming: list[dict[str, object]] = []
    for k, original in enumerate(register[: n // 2]):
        lon, lat = jitter(float(original["lon"]), float(original["lat"]), rng, low=5, high=80)  # type: ignore[arg-type]
        phone = original["phone"]
        incoming.append(
            {
                **original,
                "id": f"i{k}",
                "name": mangle_name(str(original["name"]), rng)[0],
                "postcode": postcode_variant(str(original["postcode"]), rng),
                "phone": phone_variant(str(phone), rng) if phone else None,
                "lon": lon,
                "lat": lat,
            }
        )
    incoming += [record("x", k) for k in range(n - len(incoming))]

    def frame(rows: list[dict[str, object]]) -> gpd.GeoDataFrame:
        table = pd.DataFrame.from_records(rows)
        geometry = gpd.points_from_xy(table.pop("lon"), table.pop("lat"))
        return gpd.GeoDataFrame(table, geometry=geometry, crs="EPSG:4326")

    return frame(incoming), frame(register)


def naive_seconds(
    incoming: gpd.GeoDataFrame, register: gpd.GeoDataFrame, sample: int
) -> tuple[float, float]:
    """Return the wall and CPU seconds of the naive loop over ``sample`` incoming records."""
    names_b = list(register["name"])
    lon_b = list(register.geometry.x)
    lat_b = list(register.geometry.y)
    start, cpu = time.perf_counter(), time.process_time()
    hits = 0
    for name_a, point in zip(incoming["name"][:sample], incoming.geometry[:sample], strict=True):
        for name_b, lon, lat in zip(names_b, lon_b, lat_b, strict=True):
            score = fuzz.token_sort_ratio(name_a, name_b, processor=normalise_name)
            phi1, phi2 = math.radians(point.y), math.radians(lat)
            dphi, dlmb = phi2 - phi1, math.radians(lon - point.x)
            h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
            metres = 12_742_000 * math.asin(math.sqrt(h))
            hits += score > 85 and metres < 250
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--naive-sample", type=int, default=200)
    args = parser.parse_args()

    start = time.perf_counter()
    incoming, register = tables(args.n, seed=7)
    print(
        f"built {len(incoming):,} incoming and {len(register):,} register records "
        f"in {time.perf_counter() - start:.1f} s"
    )

    times, cpu_times = [], []
    pairs = pd.DataFrame()
    for _ in range(args.repeat):
        start, cpu = time.perf_counter(), time.process_time()
        pairs = find_duplicates(incoming, other=register)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu)
    ours = statistics.median(times)
    start, cpu = time.perf_counter(), time.process_time()
    groups = plan_merges(pairs)
    plan, plan_cpu = time.perf_counter() - start, time.process_time() - cpu

    truth = {(f"i{k}", f"r{k}") for k in range(args.n // 2)}
    decided = pairs.set_index(["id_a", "id_b"])["decision"]
    flagged = {p for p, d in decided.items() if d != "distinct"}
    merged = {p for p, d in decided.items() if d == "merge"}

    sample = min(args.naive_sample, len(incoming))
    naive_wall, naive_cpu = naive_seconds(incoming, register, sample)
    naive, naive_cpu = (t * len(incoming) / sample for t in (naive_wall, naive_cpu))

    counts = pairs["decision"].value_counts().to_dict()
    print(
        f"assetmap find_duplicates: median {ours:.2f} s over {args.repeat} runs "
        f"({', '.join(f'{t:.2f}' for t in times)}), CPU median "
        f"{statistics.median(cpu_times):.2f} s; {len(pairs):,} candidate pairs "
        f"of {len(incoming) * len(register):,} possible; {counts}"
    )
    print(f"assetmap plan_merges: {plan:.2f} s (CPU {plan_cpu:.2f} s), {len(groups):,} groups")
    print(
        f"planted copies found: merge {len(merged & truth) / len(truth):.3f}, "
        f"merge+review {len(flagged & truth) / len(truth):.3f}; "
        f"merge precision {len(merged & truth) / max(len(merged), 1):.3f}"
    )
    print(
        f"naive all-pairs loop: {sample} x {len(register):,} timed, extrapolated to "
        f"{len(incoming):,} x {len(register):,}: {naive:.0f} s (CPU {naive_cpu:.0f} s)"
    )
    print(
        f"ratio naive / assetmap: {naive / ours:.0f}x wall, "
        f"{naive_cpu / statistics.median(cpu_times):.0f}x CPU"
    )


if __name__ == "__main__":
    main()
