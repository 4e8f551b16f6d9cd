"""Score de-duplication on labelled directory <-> OpenStreetMap pairs it was not tuned on.

The register is Rutland's OpenStreetMap community POIs (the real extract's
derived CSV). Each row of ``tests/match/eval/dedupe_<half>.csv`` is a record a
council directory (or OSM itself, for a node and a building way of one place)
might hold: its name, category, address and postcode as typed, placed a
measured offset from a real POI, and labelled with the register record(s) it
really is (``match``; empty: none). Hard negatives sit next to a different
service, a same-chain shop, a car park, a church hall.

``find_duplicates(register, other=directory)``; then for each labelled row:

- **merge precision**: merges of a row with a record it is not / all merges
  (a "false merge" is any merge not in the labels);
- **auto-merge recall**: rows with a true match that were merged with it;
- **merged or queued**: rows with a true match merged with it or queued for review.

Run: ``python benchmarks/eval_dedupe.py [--set v1|v2|v3|v4|v5] [--half tuning|holdout] [-v]``
(``--set v2``: the second set, ``dedupe_v2_<half>.csv``; its held-aside half is run
once, by the lead, at the end.)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
EVAL = ROOT / "tests" / "match" / "eval"
sys.path.insert(0, str(ROOT / "tests" / "match"))

from search_registers import rutland_register  # noqa: E402

from assetmap.match.dedupe import find_duplicates  # noqa: E402


def directory_table(half: str, label: str = "v1") -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    infix = "" if label == "v1" else f"{label}_"
    rows = pd.read_csv(EVAL / f"dedupe_{infix}{half}.csv", dtype=str, keep_default_na=False)
    table = gpd.GeoDataFrame(
        {
            "id": rows["id"],
            "name": rows["name"],
            "categories": [tuple(c.split(";")) if c else () for c in rows["categories"]],
            "address": rows["address"].replace("", None),
            "postcode": rows["postcode"].replace("", None),
            "alt_name": rows["alt_name"].replace("", None),
        },
        geometry=gpd.points_from_xy(rows["lon"].astype(float), rows["lat"].astype(float)),
        crs="EPSG:4326",
    )
    return table, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--set", dest="label", choices=["v1", "v2", "v3", "v4", "v5"], default="v1")
    parser.add_argument("--half", choices=["tuning", "holdout"], default="tuning")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    args = parser.parse_args()

    register = rutland_register(SHARED)
    directory, rows = directory_table(args.half, args.label)
    pairs = find_duplicates(register, other=directory)
    truth = {r["id"]: set(filter(None, r["match"].split("|"))) for _, r in rows.iterrows()}
    kinds = dict(zip(rows["id"], rows["kind"], strict=True))
    names = dict(zip(rows["id"], rows["name"], strict=True))
    reg_names = dict(zip(register["id"], register["name"], strict=True))
    merges = pairs[pairs["decision"] == "merge"]
    reviews = pairs[pairs["decision"] == "review"]
    false_merges = [
        (r.id_b, r.id_a, r.score) for r in merges.itertuples() if r.id_a not in truth[r.id_b]
    ]
    positives = [d for d, m in truth.items() if m]
    merged = {d for d in positives if set(merges.loc[merges["id_b"] == d, "id_a"]) & truth[d]}
    queued = {d for d in positives if set(reviews.loc[reviews["id_b"] == d, "id_a"]) & truth[d]}
    print(f"set: {args.label}, half: {args.half}, {len(rows)} labelled rows"
          f" ({len(positives)} with a true match)")  # fmt: skip
    print(f"merges: {len(merges)}, false merges: {len(false_merges)}, precision "
          f"{(len(merges) - len(false_merges)) / max(len(merges), 1):.3f}")  # fmt: skip
    print(f"auto-merge recall: {len(merged)}/{len(positives)} = "
          f"{len(merged) / len(positives):.3f}")  # fmt: skip
    both = merged | queued
    print(f"merged or queued: {len(both)}/{len(positives)} = {len(both) / len(positives):.3f}")
    if args.verbose:
        for d, o, score in false_merges:
            print(f"  FALSE MERGE [{kinds[d]}] {names[d]!r} ~ {reg_names[o]!r} ({score})")
        for d in positives:
            if d in both:
                continue
            mine = pairs[pairs["id_b"] == d]
            best = [
                f"{reg_names[r.id_a]!r} {r.score} {r.decision}"
                for r in mine.itertuples() if r.id_a in truth[d]
            ]  # fmt: skip
            print(f"  MISSED [{kinds[d]}] {names[d]!r}: {'; '.join(best) or 'not compared'}")
        for d in sorted(queued - merged):
            print(f"  queued only [{kinds[d]}] {names[d]!r}")


if __name__ == "__main__":
    main()
