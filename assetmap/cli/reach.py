"""The reach commands: ``find``, ``areas``, ``coverage``, ``reach`` and ``sites``."""

from __future__ import annotations

import argparse
import json
import math
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assetmap.atomic import atomic_path
from assetmap.cli.common import CoreChoices, Subparsers, echo, jsonable, parse_when
from assetmap.errors import AssetMapError

__all__ = ["add_parsers"]


def _parse_window(text: str) -> tuple[str, str, str]:
    """``'Tue 09:00-12:00'`` -> ``("Tue", "09:00", "12:00")`` (checked by Constraints)."""
    day, _, hours = text.strip().partition(" ")
    start, sep, end = hours.strip().partition("-")
    if not day or not sep:
        msg = f"--when takes 'DAY HH:MM-HH:MM', e.g. 'Tue 09:00-12:00'; got {text!r}."
        raise AssetMapError(msg)
    return day, start.strip(), end.strip()


def _cmd_find(args: argparse.Namespace) -> int:
    from assetmap.access import Principal, Role
    from assetmap.match.needs import Constraints, Goal
    from assetmap.people.plans import find_support
    from assetmap.taxonomy import load_taxonomy
    from assetmap.workspace import open_workspace

    goods = load_taxonomy().glm_goods
    # --need takes a need or a Good Lives Model good, as --help says.
    goals = [Goal(good=code) if code in goods else Goal(need=code) for code in args.need or []]
    if args.text is not None:
        goals.append(Goal(text=args.text))
    constraints = Constraints(
        women_only_wanted=True if args.women_only else None,
        person_is_woman={"woman": True, "man": False}.get(args.person or ""),
        age=args.age,
        free_only=args.free,
        available=tuple(_parse_window(text) for text in args.when or []),
        wheelchair=args.wheelchair,
        max_minutes=args.minutes,
    )
    # Searching reads no plan: the command line searches as staff would.
    start, matches = find_support(
        open_workspace(args.workspace),
        args.start,
        goals,
        constraints,
        principal=Principal(args.actor, Role.STAFF),
        limit=args.limit,
        mode=args.mode,
        depart=args.depart,
    )
    if args.format == "json":
        report = {
            "start": {"kind": start.kind, "label": start.label, "area": start.area},
            "max_minutes": constraints.max_minutes,
            "goals": [
                {
                    **m.goal.to_record(),
                    "no_match": m.no_match,
                    "gap": m.gap,
                    "nearest": jsonable(m.beyond_places[0]) if m.beyond_places else None,
                    "closed_then": [jsonable(c) for c in m.closed_then],
                    "notes": list(m.notes),
                    "urgent": m.urgent,
                    "where": m.where,
                    "excluded": m.excluded,
                    "results": json.loads(m.results.to_json(orient="records")),
                    "helplines": json.loads(m.remote.to_json(orient="records")),
                }
                for m in matches
            ],
        }
        echo(json.dumps(report, indent=1, ensure_ascii=False))
        return 0
    how = {"walk": "walk", "bike": "by bike"}.get(
        args.mode, f"walk + public transport leaving {args.depart}"
    )
    echo(f"From {start.label} ({start.area or 'area unknown'}), within {args.minutes:g} min {how}")
    for m in matches:
        goal = m.goal
        echo("\n== " + " ".join(x for x in (goal.need, goal.good, goal.text) if x))
        for line in (*m.notes, *([m.gap] if m.gap else [])):
            echo(f"  {line}")
        for r in m.results.to_dict("records"):
            echo(f"  {r['rank']:>2}. {r['minutes']:5.1f} min  {r['name']}")
            echo(f"      why: {r['why']}")
            if r["warnings"]:
                echo(f"      check: {r['warnings']}")
        if m.excluded:
            left = ", ".join(f"{n} {why}" for why, n in sorted(m.excluded.items()))
            echo(f"  not offered: {left}")
        for phone in m.remote.to_dict("records"):
            echo(f"  phone: {phone['name']}, {phone['phone']} ({phone['hours']})")
    return 0


def _reach_setup(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    from assetmap.reach.network import walk_graph_for
    from assetmap.workspace import open_workspace

    workspace = open_workspace(args.workspace)
    store = workspace.store()
    when = parse_when(args.as_of) if getattr(args, "as_of", None) else None
    assets = store.assets() if when is None else store.register_as_of(when)
    return workspace, walk_graph_for(workspace.network_path), assets


def _cmd_areas_list(path: str | None) -> int:
    from assetmap.ingest.boundaries import list_admin_areas

    if not path:
        msg = "Give the extract: assetmap areas list FILE.osm.pbf"
        raise AssetMapError(msg)
    areas = list_admin_areas(path)
    if not areas:
        echo(f"No administrative boundaries in {path}.")
        return 0
    echo(f"{'level':>5}  {'code':<10} name")
    for a in areas:
        echo(f"{a.admin_level:>5}  {a.code or '-':<10} {a.name}")
    echo(f"{len(areas)} areas; use one with: assetmap init WORKSPACE --osm {path} --area NAME")
    return 0


def _cmd_areas(args: argparse.Namespace) -> int:
    from assetmap.reach_service import load_areas_into_workspace
    from assetmap.workspace import open_workspace

    if args.workspace == "list":
        return _cmd_areas_list(args.extract)
    if args.extract is not None or args.boundaries is None:
        msg = (
            "Use `assetmap areas WORKSPACE --boundaries FILE [--imd FILE]` to load areas, "
            "or `assetmap areas list FILE.osm.pbf` to list an extract's boundaries."
        )
        raise AssetMapError(msg)
    workspace = open_workspace(args.workspace)
    areas = load_areas_into_workspace(
        workspace, args.boundaries, imd=args.imd, code_column=args.code_column
    )
    with_imd = int(areas["imd_score"].notna().sum())
    kind = areas.attrs.get("kind", "areas")
    echo(f"Stored {len(areas):,} {kind} in {workspace.path} ({with_imd:,} with IMD 2019 scores)")
    return 0


def _cmd_coverage(args: argparse.Namespace) -> int:
    from assetmap.reach.coverage import coverage, demand_note, gap_search_minutes
    from assetmap.reach_service import workspace_demand
    from assetmap.transit_service import MODE_WORDS, mode_graph, transit_point_times

    workspace, walk_graph, assets = _reach_setup(args)
    graph = mode_graph(workspace, walk_graph, args.mode)
    kind, demand = workspace_demand(workspace, graph, by=args.by, cell_m=args.cell_m)
    search = gap_search_minutes(args.minutes)  # as the dashboard
    times = None
    if args.mode == "transit":
        times = transit_point_times(workspace, graph, demand.lon, demand.lat, args.depart)
    result = coverage(
        graph,
        assets,
        demand,
        minutes=args.minutes,
        search_minutes=search,
        count=args.format != "json" and times is None,
        times=times,
    )
    table = result.by_area if args.per_area else result.by_category
    if args.per_point:
        from assetmap.reach.coverage import point_minutes

        sys.stdout.write(point_minutes(result, demand).to_csv(index=False))
        return 0
    if args.format == "csv":
        sys.stdout.write(table.to_csv(index=False, float_format="%.4f"))
        return 0
    if args.format == "json":
        report = {
            "minutes": args.minutes,
            "as_of": args.as_of,
            "by": kind,
            "n_areas": len(demand.areas),
            "n_postcodes": demand.n_postcodes,
            "areas_measured_at_street_nodes": demand.street_node_areas,
            "rows": table.drop(columns=[], errors="ignore").to_dict("records"),
        }
        echo(json.dumps(jsonable(report), indent=1, default=str))
        return 0
    window = f" leaving {args.depart} (median over the minutes)" if times is not None else ""
    echo(
        f"Within {args.minutes:g} min {MODE_WORDS[args.mode]}{window}, over "
        f"{demand_note(demand, kind, workspace.settings())}"
    )
    for r in result.by_category.to_dict("records"):
        median = float(r["median_minutes"])
        shown = f"{median:4.0f} min" if math.isfinite(median) else f"over {search:g} min"
        postcodes = f"  postcodes {r['share_postcodes']:6.1%}" if demand.n_postcodes else ""
        echo(f"  {r['category']:<26} areas {r['share_areas']:6.1%}{postcodes}  median {shown}")
    return 0


def _reach_by_transit(args: argparse.Namespace, workspace: Any, graph: Any, assets: Any) -> int:
    from assetmap.people.plans import resolve_start
    from assetmap.transit_service import nearest_by_transit

    start = resolve_start(workspace, args.start, graph=graph)
    table = nearest_by_transit(workspace, graph, assets, start.lon, start.lat, args.depart)
    if args.category:
        table = table[table["category"] == args.category]
    within = table[table["median_min"] <= args.minutes]
    if args.format == "json":
        report = {
            "from": {"kind": start.kind, "label": start.label, "area": start.area},
            "minutes": args.minutes,
            "mode": "transit",
            "depart": args.depart,
            "nearest": within.to_dict("records"),
        }
        echo(json.dumps(jsonable(report), indent=1, default=str, ensure_ascii=False))
        return 0
    echo(
        f"From {start.label}, leaving {args.depart}: {len(within)} categories within "
        f"{args.minutes:g} min by walk + public transport (median; 75th percentile)"
    )
    for r in within.to_dict("records"):
        echo(
            f"  {r['median_min']:5.1f} min ({r['worst_min']:5.1f})  {r['category']:<26}"
            f" walk alone {r['walk_min']:5.1f}"
        )
    return 0


def _cmd_reach(args: argparse.Namespace) -> int:
    from assetmap.people.plans import resolve_start
    from assetmap.reach.coverage import accessible_range, reachable_assets
    from assetmap.reach.travel import isochrones
    from assetmap.transit_service import MODE_WORDS, mode_graph

    workspace, walk_graph, assets = _reach_setup(args)
    if args.mode == "transit":
        return _reach_by_transit(args, workspace, walk_graph, assets)
    graph = mode_graph(workspace, walk_graph, args.mode)
    start = resolve_start(workspace, args.start, graph=graph)
    found = reachable_assets(
        graph, assets, start.lon, start.lat, minutes=args.minutes, category=args.category
    )
    scope = accessible_range(graph, assets, [start.lon], [start.lat], minutes=args.minutes).to_dict(
        "records"
    )[0]
    if args.isochrone:
        shapes = isochrones(graph, start.lon, start.lat, minutes=(args.minutes,)).polygons
        target = Path(args.isochrone)
        with atomic_path(target) as temporary:
            shapes.to_file(temporary, driver="GeoJSON")
    if args.format == "json":
        report = {
            "from": {"kind": start.kind, "label": start.label, "area": start.area},
            "minutes": args.minutes,
            "category": args.category,
            "categories_within": list(scope["categories"]),
            "needs_within": list(scope["needs"]),
            "assets": found.to_dict("records"),
        }
        echo(json.dumps(jsonable(report), indent=1, default=str, ensure_ascii=False))
        return 0
    echo(
        f"From {start.label}: {len(found)} assets within {args.minutes:g} min "
        f"{MODE_WORDS[args.mode]}, "
        f"{scope['n_categories']} categories, {scope['n_needs']} needs"
    )
    for r in found.to_dict("records"):
        echo(f"  {r['minutes']:5.1f} min  {r['name']}")
    return 0


def _cmd_sites(args: argparse.Namespace) -> int:
    from assetmap.transit_service import suggest_sites_for_mode

    workspace, walk_graph, assets = _reach_setup(args)
    result = suggest_sites_for_mode(
        workspace, walk_graph, assets, mode=args.mode, category=args.category,
        count=args.count, minutes=args.minutes, by=args.by, imd_weighted=args.imd_weighted,
        depart=args.depart, cell_m=args.cell_m if args.candidates == "grid" else None,
        method=args.method,
    )  # fmt: skip
    solution = result.solution
    sites = result.sites.assign(lon=result.sites.geometry.x, lat=result.sites.geometry.y)
    if args.format == "json":
        report = {
            "category": args.category,
            "count": args.count,
            "minutes": args.minutes,
            "method": solution.method,
            "optimal": solution.optimal,
            "gap": solution.gap,
            "bound": solution.bound,
            "n_candidates": result.n_candidates,
            "covered_before": result.covered_before,
            "covered_after": result.covered_after,
            "total": result.total,
            "sites": sites.drop(columns="geometry").to_dict("records"),
        }
        echo(json.dumps(jsonable(report), indent=1, default=str, ensure_ascii=False))
        return 0
    proof = "optimal" if solution.optimal else f"gap to bound {solution.gap:.1%}"
    echo(
        f"{len(sites)} sites for {args.category} by {solution.method} ({proof}), "
        f"{result.n_candidates} candidates: demand within {args.minutes:g} min "
        f"{result.covered_before:g} -> {result.covered_after:g} of {result.total:g}"
    )
    for r in sites.to_dict("records"):
        echo(f"  {r['rank']}. {r['name']}  +{r['new_demand']:g}  ({r['lat']:.5f},{r['lon']:.5f})")
    return 0


def _modes() -> tuple[str, ...]:
    from assetmap.transit_service import MODES

    return MODES


def _find_modes() -> tuple[str, ...]:
    from assetmap.people.plans import FIND_MODES

    return FIND_MODES


def _area_choices() -> tuple[str, ...]:
    from assetmap.reach_service import AREA_CHOICES

    return AREA_CHOICES


def _site_methods() -> tuple[str, ...]:
    from assetmap.reach.sites import Method

    return typing.get_args(Method)


def _add_mode_options(
    p: argparse.ArgumentParser, modes: Callable[[], tuple[str, ...]] = _modes
) -> None:
    """Add ``--mode`` (one of the core's ``modes()``) and ``--depart`` to a command."""
    p.add_argument(
        "--mode",
        choices=CoreChoices(modes),
        default="walk",
        metavar="MODE",
        help="%(choices)s (transit: walk + public transport; needs `assetmap transit`)",
    )
    p.add_argument(
        "--depart",
        default="Tue 08:00-09:00",
        metavar="'DAY HH:MM-HH:MM'",
        help="with --mode transit: the departure window (a weekday or a date)",
    )


def _add_by_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--by",
        choices=CoreChoices(_area_choices),
        default="auto",
        metavar="AREAS",
        help="%(choices)s: the demand areas: stored LSOAs when loaded (auto), or a grid",
    )


def add_parsers(sub: Subparsers) -> None:
    """Add the reach commands."""
    p = sub.add_parser("find", help="find support a person can walk to, per need or words")
    p.add_argument("workspace")
    p.add_argument("--from", dest="start", required=True, metavar="POSTCODE|LAT,LON|PLACE")
    p.add_argument("--need", action="append", metavar="CODE", help="a need or GLM good code")
    p.add_argument("--text", help="what the person is looking for, in their words")
    p.add_argument("--minutes", type=float, default=30.0, help="most minutes' walk (default 30)")
    p.add_argument(
        "--person",
        choices=["woman", "man"],
        help="who the person is: a woman may use women-only services (and not men-only ones)",
    )
    p.add_argument(
        "--women-only", action="store_true", help="offer only women-only services (a choice)"
    )
    p.add_argument("--free", action="store_true", help="only free services")
    p.add_argument("--age", type=int, help="the person's age (age-limited services are checked)")
    p.add_argument("--wheelchair", action="store_true", help="needs step-free access")
    p.add_argument(
        "--when",
        action="append",
        metavar="'DAY HH:MM-HH:MM'",
        help="a time the person can attend, e.g. 'Tue 09:00-12:00' (repeat for more)",
    )
    p.add_argument("--limit", type=int, default=10, help="most results per need")
    p.add_argument("--format", choices=["table", "json"], default="table")
    _add_mode_options(p, _find_modes)
    p.set_defaults(handler=_cmd_find)

    p = sub.add_parser(
        "areas",
        help="store small-area boundaries (LSOA) and IMD 2019; `areas list FILE.osm.pbf` "
        "lists an extract's administrative areas",
    )
    p.add_argument("workspace", help="the workspace, or `list`")
    p.add_argument("extract", nargs="?", help="with `list`: the .osm.pbf file")
    p.add_argument("--boundaries", metavar="FILE", help="GeoJSON/GPKG polygons")
    p.add_argument("--imd", metavar="FILE", help="IMD 2019 by LSOA (CSV)")
    p.add_argument("--code-column", help="the boundary file's area code column")
    p.set_defaults(handler=_cmd_areas)

    p = sub.add_parser("coverage", help="share of areas and postcodes within a walk, by category")
    p.add_argument("workspace")
    p.add_argument("--minutes", type=float, default=15.0)
    p.add_argument("--as-of", metavar="DATE", help="the register as it stood then")
    _add_by_argument(p)
    p.add_argument("--cell-m", type=float, default=1000.0, help="grid cell size (metres)")
    rows = p.add_mutually_exclusive_group()
    rows.add_argument("--per-area", action="store_true", help="one row per area and category")
    rows.add_argument(
        "--per-point",
        action="store_true",
        help="CSV: minutes from every postcode (or node) to each category (for merging regions)",
    )
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    _add_mode_options(p)
    p.set_defaults(handler=_cmd_coverage)

    p = sub.add_parser("reach", help="what is within a walk of a place (and its isochrone)")
    p.add_argument("workspace")
    p.add_argument("--from", dest="start", required=True, metavar="LAT,LON|POSTCODE")
    p.add_argument("--minutes", type=float, default=20.0)
    p.add_argument("--category", help="only assets of this category")
    p.add_argument("--as-of", metavar="DATE", help="the register as it stood then")
    p.add_argument("--isochrone", metavar="FILE", help="write the walkable area as GeoJSON")
    p.add_argument("--format", choices=["table", "json"], default="table")
    _add_mode_options(p)
    p.set_defaults(handler=_cmd_reach)

    p = sub.add_parser("sites", help="suggest sites for a new service (maximal covering)")
    p.add_argument("workspace")
    p.add_argument("--category", required=True)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--minutes", type=float, default=15.0)
    _add_by_argument(p)
    p.add_argument("--candidates", choices=["venues", "grid"], default="venues")
    p.add_argument("--cell-m", type=float, default=500.0, help="grid candidate spacing (metres)")
    p.add_argument("--imd-weighted", action="store_true", help="weight demand by IMD score")
    p.add_argument(
        "--method",
        choices=CoreChoices(_site_methods),
        default="auto",
        metavar="METHOD",
        help="%(choices)s: milp finds the optimum, greedy adds the best site at a time, "
        "auto uses milp when the problem is small enough",
    )
    p.add_argument("--format", choices=["table", "json"], default="table")
    _add_mode_options(p)
    p.set_defaults(handler=_cmd_sites)
