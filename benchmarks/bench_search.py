"""Time search over the Rutland register and ~5,000 UK-CAT charities.

Compares :func:`assetmap.match.search.search_index` (index built once) with the
obvious alternative, a Python loop calling ``fuzz.WRatio`` on each record's
name and description, and reports both on the labelled query set too.

Run: ``.venv/bin/python benchmarks/bench_search.py [--repeat 7]``
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pandas as pd
from rapidfuzz import fuzz, utils

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "tests" / "match"))

from search_registers import rutland_register, ukcat_frame  # noqa: E402

from assetmap.match.search import build_search_index, search_index  # noqa: E402
from assetmap.schema import validate_assets  # noqa: E402

QUERIES = [
    "alcoholics anonimous",
    "food bank",
    "debt advise",
    "somewhere to volunteer",
    "womens group",
    "housing help",
    "citizens advice woking",
    "uppinham library",
]


def median_ms(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def loop_wratio(texts: list[str], ids: list[str], query: str, limit: int = 20) -> list[str]:
    """The obvious alternative: score every record with WRatio in a Python loop."""
    scored = [
        (fuzz.WRatio(query, text, processor=utils.default_process), asset_id)
        for text, asset_id in zip(texts, ids, strict=True)
    ]
    scored.sort(key=lambda pair: -pair[0])
    return [asset_id for _, asset_id in scored[:limit]]


def record_texts(assets: pd.DataFrame) -> list[str]:
    description = assets.get("description", pd.Series([""] * len(assets)))
    return [
        f"{name} {text if isinstance(text, str) else ''}".strip()
        for name, text in zip(assets["name"], description, strict=True)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--size", type=int, default=5000)
    args = parser.parse_args()

    rutland = rutland_register(SHARED_DATA)
    charities = ukcat_frame(SHARED_DATA, files=("sample.csv", "top2000.csv"))
    charities = validate_assets(charities.head(args.size))
    registers = {"rutland": rutland, "ukcat": charities}

    print(
        f"{'register':<10}{'assets':>8}{'build ms':>10}{'index ms':>10}{'loop ms':>10}{'ratio':>8}"
    )
    indexes = {}
    for name, assets in registers.items():
        start = time.perf_counter()
        index = build_search_index(assets)
        build = 1000 * (time.perf_counter() - start)
        indexes[name] = index
        texts, ids = record_texts(assets), list(assets["id"])
        fast = [median_ms(partial(search_index, index, q), args.repeat) for q in QUERIES]
        slow = [
            median_ms(partial(loop_wratio, texts, ids, q), max(1, args.repeat // 2))
            for q in QUERIES
        ]
        fast_ms, slow_ms = statistics.median(fast), statistics.median(slow)
        print(
            f"{name:<10}{len(assets):>8}{build:>10.0f}{fast_ms:>10.1f}"
            f"{slow_ms:>10.1f}{slow_ms / fast_ms:>7.1f}x"
        )

    # Quality on the labelled set: the sample register, as in the test.
    sample = validate_assets(ukcat_frame(SHARED_DATA))
    labelled = {"rutland": rutland, "ukcat": sample}
    labelled_index = {"rutland": indexes["rutland"], "ukcat": build_search_index(sample)}
    texts = {k: (record_texts(v), list(v["id"])) for k, v in labelled.items()}
    with (ROOT / "tests" / "match" / "search_queries.csv").open(newline="") as handle:
        queries = list(csv.DictReader(handle))
    hits = {"index": 0, "loop": 0}
    for q in queries:
        wanted = set(q["intended_id"].split("|"))
        found = search_index(labelled_index[q["register"]], q["query"], limit=3)
        hits["index"] += bool(wanted & set(found["id"]))
        hits["loop"] += bool(wanted & set(loop_wratio(*texts[q["register"]], q["query"], 3)))
    for method, count in hits.items():
        print(f"top-3 hit rate, {method:<5}: {count}/{len(queries)} = {count / len(queries):.1%}")


if __name__ == "__main__":
    main()
