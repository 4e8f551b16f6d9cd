"""Score Find support's free-text search on a labelled query set it was not tuned on.

The register is the real Rutland OpenStreetMap extract (``assetmap init``) plus
a small directory of services (``tests/match/eval/rutland_services.csv``, real
Rutland postcodes from Code-Point Open), the way a probation team's workspace
looks after one council spreadsheet. Each query of ``tests/match/eval/`` is
asked as a worker would on the Find support page ("in the person's words"),
from its start point, within its minutes, for its person (``woman``, ``man``,
``age=N``):

- an answerable query is a **hit** when one of its acceptable answers
  (``name:...``, ``cat:<category code>``) is among the first three places
  offered, or is reported as the nearest place beyond the limit, or
  (``helpline:...``) is among the national helplines offered;
- a ``no_match`` query is a **hit** when no local place is offered as a match
  (the answer says nothing fits).

Run: ``python benchmarks/eval_search.py [--set v1|v2|v3|v4|v5] [--half tuning|holdout]
[--workspace DIR] [-v]``
(``--set v2``: the second set, ``queries_v2_<half>.csv``; its held-aside half is run
once, by the lead, at the end.)
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from assetmap.access import Principal, Role
from assetmap.cli import main as cli_main
from assetmap.match.needs import Constraints, Goal, match_plan, prepare_matching
from assetmap.people.plans import resolve_start, workspace_settlements
from assetmap.reach.network import walk_graph_for
from assetmap.workspace import close_stores, open_workspace

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
EVAL = ROOT / "tests" / "match" / "eval"
STAFF = Principal("eval", Role.STAFF)


def build_workspace(folder: Path) -> Path:
    """Rutland OSM + Code-Point postcodes (LE) + the services directory, through the CLI."""
    ws = folder / "rutland"
    steps = [
        ["init", str(ws), "--osm", str(SHARED / "osm-rutland" / "rutland-latest.osm.pbf")],
        ["postcodes", str(ws), str(SHARED / "postcodes-codepoint-open-2014" / "le.csv")],
        ["import", str(ws), str(EVAL / "rutland_services.csv")],
    ]
    for step in steps:
        if cli_main(["--no-progress", "--actor", "eval", *step]) != 0:
            msg = f"building the evaluation workspace failed at: {' '.join(step[:1])}"
            raise SystemExit(msg)
    close_stores()
    return ws


def constraints_for(person: str, minutes: float) -> Constraints:
    """The person's facts as Find support takes them (older code: the women-only box)."""
    facts: dict[str, Any] = {"max_minutes": minutes}
    names = {f.name for f in dataclasses.fields(Constraints)}
    for part in filter(None, person.split(";")):
        if part.startswith("age="):
            facts["age"] = int(part[4:])
        elif part in ("woman", "man"):
            if "person_is_woman" in names:
                facts["person_is_woman"] = part == "woman"
            elif part == "woman":  # the old code's only way to say so
                facts["women_only_wanted"] = True
    return Constraints(**facts)


def answer_of(match: Any, assets: Any) -> dict[str, Any]:
    """What a worker sees for one goal: places, nearest beyond, helplines, 'nothing fits'."""
    top = match.results.head(3)
    cats_by_id = dict(zip(assets["id"], assets["categories"], strict=True))
    places = [(str(r["name"]), set(cats_by_id.get(r["id"], ()))) for _, r in top.iterrows()]
    beyond = []
    for item in getattr(match, "beyond_places", ()) or ():
        beyond.append((str(item["name"]), set(item.get("categories", ()))))
    remote = getattr(match, "remote", None)
    helplines = [] if remote is None else [str(n) for n in remote["name"]]
    nothing = bool(getattr(match, "no_match", len(match.results) == 0))
    return {"places": places, "beyond": beyond, "helplines": helplines, "nothing": nothing}


def is_hit(expect: list[str], answer: dict[str, Any]) -> bool:
    if expect == ["no_match"]:
        return bool(answer["nothing"])
    for want in expect:
        kind, _, value = want.partition(":")
        for name, cats in answer["places"] + answer["beyond"]:
            if (kind == "name" and name.casefold() == value.casefold()) or (
                kind == "cat" and value in cats
            ):
                return True
        phones = answer["helplines"]
        if kind == "helpline" and any(value.casefold() in h.casefold() for h in phones):
            return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--set", dest="label", choices=["v1", "v2", "v3", "v4", "v5"], default="v1")
    parser.add_argument("--half", choices=["tuning", "holdout"], default="tuning")
    parser.add_argument("--workspace", type=Path, help="reuse a workspace built before")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        ws = args.workspace if args.workspace else build_workspace(Path(tmp))
        workspace = open_workspace(ws)
        graph = walk_graph_for(workspace.network_path)
        context = prepare_matching(
            workspace.store().assets(), graph, places=workspace_settlements(workspace)
        )
        infix = "" if args.label == "v1" else f"{args.label}_"
        with (EVAL / f"queries_{infix}{args.half}.csv").open(newline="") as handle:
            queries = list(csv.DictReader(handle))
        hits: Counter[str] = Counter()
        totals: Counter[str] = Counter()
        misses: list[str] = []
        times: list[float] = []
        false_nothing = 0
        for q in queries:
            start = resolve_start(workspace, q["start"], graph=graph, assets=context.assets)
            constraints = constraints_for(q["person"], float(q["minutes"]))
            began = time.perf_counter()
            (match,) = match_plan(
                context, start.lon, start.lat, [Goal(text=q["text"])], constraints,
                principal=STAFF,
            )  # fmt: skip
            times.append(1000 * (time.perf_counter() - began))
            answer = answer_of(match, context.assets)
            expect = q["expect"].split("|")
            group = "no_answer" if expect == ["no_match"] else "answerable"
            totals[group] += 1
            if expect != ["no_match"] and answer["nothing"] and not answer["places"]:
                false_nothing += 1
            if is_hit(expect, answer):
                hits[group] += 1
            else:
                shown = [n for n, _ in answer["places"]] or ["(nothing)"]
                extra = [f"beyond: {n}" for n, _ in answer["beyond"][:1]]
                extra += [f"phone: {h}" for h in answer["helplines"][:2]]
                misses.append(
                    f"{q['id']} [{q['kind']}] {q['text']!r} -> {', '.join(shown + extra)}"
                    f"  (wanted {q['expect']})"
                )
        close_stores()
    answerable, no_answer = totals["answerable"], totals["no_answer"]
    print(f"set: {args.label}, half: {args.half}, {len(queries)} queries")
    print(f"top-3 on answerable queries: {hits['answerable']}/{answerable}"
          f" = {hits['answerable'] / max(answerable, 1):.1%}")  # fmt: skip
    print(f"'nothing fits' on no-answer queries: {hits['no_answer']}/{no_answer}"
          f" = {hits['no_answer'] / max(no_answer, 1):.1%}")  # fmt: skip
    print(f"answerable queries answered 'nothing fits' with nothing else: {false_nothing}")
    print(f"median query time: {statistics.median(times):.1f} ms (max {max(times):.0f} ms)")
    if args.verbose:
        print("misses:")
        for line in misses:
            print("  " + line)


if __name__ == "__main__":
    main()
