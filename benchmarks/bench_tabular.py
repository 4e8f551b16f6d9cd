"""Spreadsheet import at scale: a 200,000-row CSV, read + map + validate.

Compares assetmap's path (read_table -> propose_column_mapping -> assets_from_table,
with the real postcode table) against a plain baseline (pandas.read_csv and a
Python loop calling normalise_record per row, postcode lookups from a dict).
Each case runs in a fresh process so peak memory (ru_maxrss) is its own.

    .venv/bin/python benchmarks/bench_tabular.py [--rows 200000]
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

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
POSTCODES = (
    ROOT.parent
    / "shared"
    / "data"
    / "postcodes-codepoint-open-2014"
    / ("postcodes_latlon_demo_lads.csv")
)
TYPES = ["Food Bank", "Library", "Youth club", "Village hall", "Advice", "Sport", "Job centre"]


def make_csv(path: Path, rows: int) -> None:
    rng = np.random.default_rng(42)
    table = pd.read_csv(POSTCODES, usecols=["postcode", "lat", "lon"])
    pick = rng.integers(0, len(table), rows)
    with_coords = rng.random(rows) < 0.5
    lat = table["lat"].to_numpy()[pick]
    lon = table["lon"].to_numpy()[pick]
    frame = pd.DataFrame(
        {
            "Ref": [f"R{i}" for i in range(rows)],
            "Organisation name": [f"Community group {i}" for i in range(rows)],
            "Type": np.array(TYPES)[rng.integers(0, len(TYPES), rows)],
            "Address": [f"{i % 200 + 1} High Street" for i in range(rows)],
            "Post Code": table["postcode"].to_numpy()[pick],
            "Tel": "01572 722918",
            "Email": "info@example.org",
            "Opening times": "Mon-Fri 9-5",
            "Women only": np.where(rng.random(rows) < 0.1, "yes", "no"),
            "Age": np.array(["18+", "all ages", "16-25", ""])[rng.integers(0, 4, rows)],
            "Cost": np.array(["Free", "£2", "paid", ""])[rng.integers(0, 4, rows)],
            "Latitude": np.where(with_coords, np.round(lat, 6).astype(str), ""),
            "Longitude": np.where(with_coords, np.round(lon, 6).astype(str), ""),
        }
    )
    frame.to_csv(path, index=False)


def run_assetmap(path: Path) -> dict[str, float]:
    from assetmap.ingest.postcodes import read_postcodes
    from assetmap.ingest.tabular import (
        TabularLimits,
        assets_from_table,
        propose_column_mapping,
        read_table,
    )

    postcodes = read_postcodes(POSTCODES)
    start = time.perf_counter()
    frame = read_table(path, limits=TabularLimits(chunk_rows=20_000))
    read_s = time.perf_counter() - start
    mapping = propose_column_mapping(frame.columns)
    result = assets_from_table(frame, mapping, postcodes=postcodes)
    total_s = time.perf_counter() - start
    return {
        "read_s": read_s,
        "total_s": total_s,
        "accepted": len(result.assets),
        "report_lines": len(result.report),
    }


def run_baseline(path: Path) -> dict[str, float]:
    from assetmap.schema import normalise_record
    from assetmap.taxonomy import load_taxonomy

    table = pd.read_csv(POSTCODES, usecols=["postcode", "lat", "lon"])
    squashed = table["postcode"].str.replace(" ", "")
    lookup = {
        pc[:-3] + " " + pc[-3:]: (x, y)
        for pc, x, y in zip(squashed, table["lon"], table["lat"], strict=True)
    }
    taxonomy = load_taxonomy()
    start = time.perf_counter()
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    read_s = time.perf_counter() - start
    accepted, problems = [], 0
    for row in frame.itertuples(index=False):
        record = {"name": row[1], "postcode": row[4], "phone": row[5], "email": row[6]}
        if row[11]:
            record["lat"], record["lon"] = row[11], row[12]
        else:
            pc = "".join(row[4].split()).upper()
            pc = pc[:-3] + " " + pc[-3:]
            if pc not in lookup:
                problems += 1
                continue
            record["lon"], record["lat"] = lookup[pc]
        try:
            accepted.append(normalise_record(record, taxonomy=taxonomy))
        except ValueError:
            problems += 1
    total_s = time.perf_counter() - start
    return {
        "read_s": read_s,
        "total_s": total_s,
        "accepted": len(accepted),
        "report_lines": problems,
    }


def child(case: str, path: Path) -> None:
    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = run_assetmap(path) if case == "assetmap" else run_baseline(path)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["rss_at_start_mb"] = before_mb
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--case")
    parser.add_argument("--file", type=Path)
    args = parser.parse_args()
    if args.case:
        child(args.case, args.file)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "directory.csv"
        start = time.perf_counter()
        make_csv(path, args.rows)
        print(
            f"generated {args.rows:,} rows, {path.stat().st_size / 1e6:.1f} MB "
            f"in {time.perf_counter() - start:.1f} s"
        )
        for case in ("assetmap", "baseline"):
            out = subprocess.run(
                [sys.executable, __file__, "--case", case, "--file", str(path)],
                check=True,
                capture_output=True,
                text=True,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{case:9s} read {r['read_s']:6.1f} s  read+map+validate {r['total_s']:6.1f} s  "
                f"peak RSS {r['peak_rss_mb']:7.0f} MB  accepted {r['accepted']:,}  "
                f"report lines {r['report_lines']:,}"
            )


if __name__ == "__main__":
    main()
