"""Check the labels of the matching evaluation sets without running the matcher.

Reads both halves of a set (``v1``: ``queries_<half>.csv`` / ``dedupe_<half>.csv``;
``v2``: ``queries_v2_<half>.csv`` / ``dedupe_v2_<half>.csv``) and checks only what
the labels claim about the world, never what the matcher answers:

- queries: the start is a Code-Point postcode (LE or PE) or a ``lat,lon`` in
  Rutland; minutes > 0; person parts are ``woman``, ``man`` or ``age=N``; every
  ``name:`` is a place the register holds, every ``cat:`` a taxonomy category
  code, every ``helpline:`` part of a name in ``data/helplines.yaml``, and
  ``no_match`` stands alone;
- dedupe: every ``match`` id is a record of the Rutland register
  (``pois_community_rutland.csv``), ``placed_near`` is that register's record or
  a real feature of the Rutland extract, categories are taxonomy codes; in v2
  also: the record lies within 150 m of ``placed_near`` and a row has a
  ``hard_`` kind exactly when it has no match (v1 placed some rows further on
  purpose and names its negatives otherwise);
- both: ids are unique and the split rule holds (rows 4, 8, 12, ... of the full
  set, by the number in the id, are the held-aside half).

A kind (queries or dedupe) with neither file written yet is skipped with a message
(``v3`` is written by two helpers); one half missing is a problem.

"The register holds" means: a name in the workspace's register when
``--workspace`` is given (as built by ``eval_search.py``), otherwise a name in
``rutland_services.csv`` or on a feature of the Rutland OSM extract.

Run: ``python benchmarks/eval_labels.py [--set v1|v2|v3|v4|v5] [--workspace DIR]``
(exit status 1 and one line per problem when a label is wrong).
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import osmium

from assetmap.helplines import load_helplines
from assetmap.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ASSETMAP_SHARED_DATA") or ROOT.parent / "shared" / "data")
EVAL = ROOT / "tests" / "match" / "eval"
PBF = SHARED / "osm-rutland" / "rutland-latest.osm.pbf"
POIS = SHARED / "osm-rutland" / "pois_community_rutland.csv"
CODEPOINT = SHARED / "postcodes-codepoint-open-2014"
HALVES = ("tuning", "holdout")
QUERY_COLUMNS = ["id", "start", "minutes", "person", "text", "expect", "kind"]
DEDUPE_COLUMNS = [
    "id", "name", "categories", "address", "postcode", "lat", "lon",
    "alt_name", "match", "kind", "placed_near",
]  # fmt: skip
RUTLAND = (52.52, 52.77, -0.85, -0.40)  # lat min/max, lon min/max (county plus a margin)
MAX_METRES = 150.0


def set_file(kind: str, label: str, half: str) -> Path:
    """The CSV of one half of one set.

    >>> set_file("queries", "v2", "holdout").name
    'queries_v2_holdout.csv'
    >>> set_file("dedupe", "v1", "tuning").name
    'dedupe_tuning.csv'
    """
    infix = "" if label == "v1" else f"{label}_"
    return EVAL / f"{kind}_{infix}{half}.csv"


def read_rows(path: Path, columns: list[str]) -> tuple[list[dict[str, str]], list[str]]:
    """Rows of one CSV, and a problem if its header is not ``columns``."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        header = list(reader.fieldnames or [])
    problems = [] if header == columns else [f"{path.name}: columns {header}, want {columns}"]
    return rows, problems


def split_problems(name: str, halves: dict[str, list[dict[str, str]]]) -> list[str]:
    """Ids unique, and every fourth row (by the number in its id) held aside.

    >>> split_problems("q", {"tuning": [{"id": "x1"}], "holdout": [{"id": "x4"}]})
    []
    >>> split_problems("q", {"tuning": [{"id": "x8"}], "holdout": [{"id": "x3"}]})
    ['q: x8 is row 8 but not held aside', 'q: x3 is row 3 but held aside']
    """
    problems, seen = [], set()
    for half, rows in halves.items():
        for row in rows:
            ident = row["id"]
            if ident in seen:
                problems.append(f"{name}: id {ident} appears twice")
            seen.add(ident)
            number = re.search(r"(\d+)$", ident)
            if number is None:
                problems.append(f"{name}: id {ident} has no row number")
                continue
            held = int(number.group(1)) % 4 == 0
            if held and half != "holdout":
                problems.append(f"{name}: {ident} is row {int(number.group(1))} but not held aside")
            if not held and half == "holdout":
                problems.append(f"{name}: {ident} is row {int(number.group(1))} but held aside")
    return problems


@dataclass(frozen=True)
class World:
    """What the labels may name: places, categories, helplines, postcodes, OSM points."""

    names: frozenset[str]  # casefolded
    categories: frozenset[str]
    helplines: tuple[str, ...]  # casefolded
    postcodes: frozenset[str]  # no spaces, upper case
    register: dict[str, tuple[float, float]]  # dedupe register id -> (lat, lon)
    osm: dict[str, tuple[float, float]]  # osm-<type>-<id> -> (lat, lon), named or tagged


class _Features(osmium.SimpleHandler):  # type: ignore[misc]
    """Names and positions of the extract's nodes and ways (a way: its nodes' mean)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.points: dict[str, tuple[float, float]] = {}

    def node(self, n: osmium.osm.Node) -> None:
        if len(n.tags) and n.location.valid():
            self.points[f"osm-node-{n.id}"] = (n.location.lat, n.location.lon)
            if "name" in n.tags:
                self.names.add(n.tags["name"].casefold())

    def way(self, w: osmium.osm.Way) -> None:
        if not len(w.tags) or "highway" in w.tags:
            return
        spots = [(x.lat, x.lon) for x in w.nodes if x.location.valid()]
        if spots:
            lat = sum(p[0] for p in spots) / len(spots)
            self.points[f"osm-way-{w.id}"] = (lat, sum(p[1] for p in spots) / len(spots))
        if "name" in w.tags:
            self.names.add(w.tags["name"].casefold())

    def relation(self, r: osmium.osm.Relation) -> None:
        if "name" in r.tags:
            self.names.add(r.tags["name"].casefold())


def codepoint_postcodes() -> frozenset[str]:
    """Every LE and PE postcode of Code-Point Open, without spaces."""
    codes = set()
    for area in ("le", "pe"):
        with (CODEPOINT / f"{area}.csv").open(newline="") as handle:
            codes.update(row[0].replace(" ", "").upper() for row in csv.reader(handle))
    return frozenset(codes)


def register_points() -> dict[str, tuple[float, float]]:
    """The dedupe register's records (as ``eval_dedupe.py`` builds it) by id."""
    with POIS.open(newline="") as handle:
        return {
            f"osm-{r['osm_type']}-{r['id']}": (float(r["lat"]), float(r["lon"]))
            for r in csv.DictReader(handle)
        }


def workspace_names(folder: Path) -> frozenset[str]:
    """The names of every asset in a workspace's register."""
    from assetmap.workspace import close_stores, open_workspace

    assets = open_workspace(folder).store().assets()
    close_stores()
    return frozenset(str(n).casefold() for n in assets["name"])


def load_world(workspace: Path | None = None) -> World:
    """Read the register, taxonomy, helplines, postcodes and the OSM extract."""
    features = _Features()
    features.apply_file(str(PBF), locations=True)
    if workspace is not None:
        names = workspace_names(workspace)
    else:
        with (EVAL / "rutland_services.csv").open(newline="") as handle:
            services = {r["Organisation name"].casefold() for r in csv.DictReader(handle)}
        names = frozenset(features.names | services)
    return World(
        names=names,
        categories=frozenset(load_taxonomy().categories),
        helplines=tuple(h.name.casefold() for h in load_helplines()),
        postcodes=codepoint_postcodes(),
        register=register_points(),
        osm=features.points,
    )


def start_problem(start: str, world: World) -> str | None:
    """Why a query's start is not a known postcode or a point in Rutland (or None)."""
    if "," in start:
        try:
            lat, lon = (float(x) for x in start.split(","))
        except ValueError:
            return f"start {start!r} is not 'lat,lon'"
        inside = RUTLAND[0] <= lat <= RUTLAND[1] and RUTLAND[2] <= lon <= RUTLAND[3]
        return None if inside else f"start {start!r} is outside Rutland"
    if start.replace(" ", "").upper() not in world.postcodes:
        return f"start {start!r} is not a Code-Point postcode"
    return None


def expect_problems(expect: str, world: World) -> list[str]:
    """Why the acceptable answers of one query are not things that exist."""
    items = expect.split("|")
    if "no_match" in items:
        return [] if items == ["no_match"] else ["no_match must stand alone"]
    problems = []
    for item in items:
        kind, _, value = item.partition(":")
        folded = value.casefold()
        ok = (
            (kind == "name" and folded in world.names)
            or (kind == "cat" and value in world.categories)
            or (kind == "helpline" and bool(value) and any(folded in h for h in world.helplines))
        )
        if not ok:
            problems.append(f"unknown answer {item!r}")
    return problems


def query_problems(rows: Iterable[dict[str, str]], world: World) -> list[str]:
    """One line per wrong label of a query file's rows."""
    problems = []
    for row in rows:
        where = f"query {row['id']} ({row['text']!r})"
        found = expect_problems(row["expect"], world)
        start = start_problem(row["start"], world)
        found += [start] if start else []
        try:
            if float(row["minutes"]) <= 0:
                found.append("minutes must be above 0")
        except ValueError:
            found.append(f"minutes {row['minutes']!r} is not a number")
        for part in filter(None, row["person"].split(";")):
            if part not in ("woman", "man") and not re.fullmatch(r"age=\d{1,3}", part):
                found.append(f"person part {part!r} is not woman, man or age=N")
        if not row["text"].strip() or not row["kind"].strip():
            found.append("text and kind must not be empty")
        problems += [f"{where}: {p}" for p in found]
    return problems


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance in metres between two (lat, lon) points (equirectangular).

    >>> round(metres((52.67, -0.73), (52.671, -0.73)))
    111
    """
    x = math.radians(b[1] - a[1]) * math.cos(math.radians((a[0] + b[0]) / 2))
    return 6_371_000 * math.hypot(x, math.radians(b[0] - a[0]))


def dedupe_problems(rows: Iterable[dict[str, str]], world: World, *, strict: bool) -> list[str]:
    """One line per wrong label of a dedupe file's rows (``strict``: the v2 rules)."""
    problems = []
    for row in rows:
        where = f"dedupe {row['id']} ({row['name']!r})"
        found = []
        matches = [m for m in row["match"].split("|") if m]
        found += [f"match {m} is not in the register" for m in matches if m not in world.register]
        near = row["placed_near"]
        spot = world.register.get(near) or world.osm.get(near)
        if spot is None:
            found.append(f"placed_near {near!r} is neither in the register nor in the extract")
        else:
            away = metres(spot, (float(row["lat"]), float(row["lon"])))
            if strict and away > MAX_METRES:
                found.append(f"placed {away:.0f} m from {near} (over {MAX_METRES:.0f} m)")
        cats = [c for c in row["categories"].split(";") if c]
        found += [
            f"category {c!r} is not a taxonomy code" for c in cats if c not in world.categories
        ]
        if strict and not matches and not row["kind"].startswith("hard_"):
            found.append(f"a row with no match must have a hard_ kind, not {row['kind']!r}")
        if strict and matches and row["kind"].startswith("hard_"):
            found.append("a hard_ kind is for rows with no match")
        problems += [f"{where}: {p}" for p in found]
    return problems


def check_set(label: str, world: World) -> list[str]:
    """Every problem with the labels of both halves of one set."""
    problems: list[str] = []
    for kind, columns in (("queries", QUERY_COLUMNS), ("dedupe", DEDUPE_COLUMNS)):
        files = [set_file(kind, label, half) for half in HALVES]
        if not any(f.exists() for f in files):  # a set written in parts (v3: by two helpers)
            print(f"{kind} {label}: no {' or '.join(f.name for f in files)} yet; skipped")
            continue
        problems += [f"{f.name} is missing" for f in files if not f.exists()]
        halves = {}
        for half in HALVES:
            if not set_file(kind, label, half).exists():
                continue
            rows, header = read_rows(set_file(kind, label, half), columns)
            problems += header
            halves[half] = rows
            if header:
                continue
            if kind == "queries":
                problems += query_problems(rows, world)
            else:
                problems += dedupe_problems(rows, world, strict=label != "v1")
        problems += split_problems(f"{kind} {label}", halves)
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--set", dest="label", choices=["v1", "v2", "v3", "v4", "v5"], default="v2")
    parser.add_argument("--workspace", type=Path, help="check names against this register")
    args = parser.parse_args()
    problems = check_set(args.label, load_world(args.workspace))
    for line in problems:
        print(line)
    counts = []
    for kind in ("queries", "dedupe"):
        for half in HALVES:
            path = set_file(kind, args.label, half)
            rows = read_rows(path, [])[0] if path.exists() else []
            counts.append(f"{kind} {half} {len(rows)}")
    print(f"set {args.label}: {', '.join(counts)}; {len(problems)} label problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
