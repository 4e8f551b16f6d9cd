"""The commands that bring data in: ``import``, ``postcodes``, ``transit`` and ``dedupe``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from assetmap.cli.common import CoreChoices, Progress, Subparsers, cli_admin, echo
from assetmap.errors import AssetMapError

__all__ = ["add_parsers"]


def _print_report(report: Any, *, limit: int = 50) -> None:
    """Print an import report: one line per problem, the first ``limit`` of them."""
    from assetmap.ingest.problems import report_lines

    for line in report_lines(report, limit=limit):
        echo(line)


def _parse_map(items: Sequence[str] | None) -> dict[str, str | None]:
    overrides: dict[str, str | None] = {}
    for item in items or []:
        column, sep, target = item.rpartition("=")
        if not sep or not column.strip():
            msg = f"--map takes SOURCE=FIELD (FIELD may be 'ignore'), got {item!r}."
            raise AssetMapError(msg)
        overrides[column.strip()] = target.strip() or None
    return overrides


def _cmd_import(args: argparse.Namespace) -> int:
    from assetmap.imports import commit_import, preview_import
    from assetmap.ingest.problems import summary
    from assetmap.workspace import open_workspace

    workspace = open_workspace(args.workspace)
    admin = cli_admin(args)
    progress = Progress(args.progress)
    try:
        preview = preview_import(
            workspace,
            args.source,
            principal=admin,
            fmt=args.format,
            overrides=_parse_map(args.map),
            progress=progress,
        )
        progress.close()
        echo(f"Read {preview.rows_read:,} rows from {preview.source} ({preview.fmt})")
        if preview.mapping is not None:
            mapped = ", ".join(f"{c} -> {f}" for c, f in preview.mapping.fields.items())
            echo(f"Columns: {mapped}")
            if preview.mapping.unmapped:
                echo(f"Not used: {', '.join(preview.mapping.unmapped)}")
        echo(f"Report: {summary(preview.report)}")
        _print_report(preview.report)
        outcome = commit_import(
            workspace,
            preview,
            principal=admin,
            skip_bad_rows=args.skip_bad_rows,
            progress=progress,
        )
    finally:
        progress.close()
    if not outcome.imported:
        echo(
            f"assetmap: error: {preview.rows_rejected:,} rows have errors; nothing was imported. "
            "Fix them, or import the other rows with --skip-bad-rows.",
            stream=sys.stderr,
        )
        return 1
    if not preview.taxonomy.empty:
        term_rows = preview.taxonomy[preview.taxonomy["kind"] == "term"]
        n_mapped = int(term_rows["category"].notna().sum())
        echo(
            f"Imported a taxonomy from {preview.source}: {len(preview.taxonomy):,} records "
            f"({len(term_rows):,} terms, {n_mapped:,} mapped to assetmap categories; "
            f"{outcome.taxonomy_saved:,} new or changed)"
        )
        return 0
    s = outcome.summary
    if s is None:  # imported always carries a summary
        return 1
    skipped = f", {outcome.skipped_rows:,} rows skipped" if outcome.skipped_rows else ""
    echo(
        f"Imported {s.total:,} assets from {s.source}: {s.created:,} new, {s.updated:,} updated, "
        f"{s.unchanged:,} unchanged{skipped}"
    )
    echo(f"Look for duplicates across sources with: assetmap dedupe {args.workspace}")
    return 0


def _cmd_postcodes(args: argparse.Namespace) -> int:
    from assetmap.imports import load_postcode_file
    from assetmap.workspace import open_workspace

    workspace = open_workspace(args.workspace)
    index = load_postcode_file(workspace, args.file, principal=cli_admin(args))
    echo(f"Postcode table of {workspace.path} now holds {len(index):,} postcodes")
    return 0


def _cmd_transit(args: argparse.Namespace) -> int:
    from assetmap.transit_service import import_transit
    from assetmap.workspace import open_workspace

    workspace = open_workspace(args.workspace)
    result = import_transit(workspace, args.feeds, buffer_m=args.buffer_m)
    echo(
        f"Timetable of {workspace.path}: {result.n_stops:,} stops, {result.n_routes:,} routes, "
        f"{result.n_trips:,} trips, {result.n_connections:,} connections"
    )
    if result.far_stops:
        echo(
            f"{len(result.far_stops):,} stops are too far from the walking network to walk to "
            "(vehicles still pass through them), e.g.:"
        )
        for stop_id, name, metres in result.far_stops[:5]:
            echo(f"  {stop_id} {name}: {metres:,.0f} m")
    return 0


def _cmd_dedupe(args: argparse.Namespace) -> int:
    from assetmap.imports import deduplicate
    from assetmap.workspace import open_workspace

    store = open_workspace(args.workspace).store()
    result = deduplicate(store, principal=cli_admin(args))
    echo(f"Merged {len(result.merged):,} pairs; queued {len(result.queued):,} for review")
    for m in result.merged:
        echo(f"  merged  {m.merged_name} -> {m.keep_name} ({m.score:.1f}: {m.reasons})")
    queued = result.pairs[result.pairs["action"].isin(["queued", "held back"])]
    for row in queued.to_dict("records"):
        echo(f"  review  {row['name_a']} / {row['name_b']} ({row['score']:.1f}: {row['reasons']})")
    if args.report:
        from assetmap.output.export import neutralise_formula

        result.pairs.map(neutralise_formula).to_csv(args.report, index=False)
        echo(f"Wrote {len(result.pairs):,} scored pairs to {args.report}")
    return 0


def _import_formats() -> tuple[str, ...]:
    from assetmap.imports import FORMATS

    return FORMATS


def add_parsers(sub: Subparsers) -> None:
    """Add the ingest commands."""
    p = sub.add_parser("import", help="import a spreadsheet (CSV/XLSX) or HSDS file or URL")
    p.add_argument("workspace")
    p.add_argument("source", metavar="FILE_OR_URL")
    p.add_argument(
        "--format",
        choices=CoreChoices(_import_formats),
        metavar="FORMAT",
        help="%(choices)s (default: from the name)",
    )
    p.add_argument("--map", action="append", metavar="SOURCE=FIELD", help="map a column to a field")
    p.add_argument(
        "--skip-bad-rows", action="store_true", help="import the good rows, leave out the rest"
    )
    p.set_defaults(handler=_cmd_import)

    p = sub.add_parser("postcodes", help="load an ONSPD or Code-Point Open postcode CSV")
    p.add_argument("workspace")
    p.add_argument("file", help="a CSV file, or a folder of them")
    p.set_defaults(handler=_cmd_postcodes)

    p = sub.add_parser("transit", help="import GTFS public transport timetables (zips)")
    p.add_argument("workspace")
    p.add_argument("feeds", nargs="+", metavar="FILE.zip", help="one or more GTFS feeds")
    p.add_argument(
        "--buffer-m", type=float, default=2000.0, help="keep stops this far beyond the network"
    )
    p.set_defaults(handler=_cmd_transit)

    p = sub.add_parser("dedupe", help="merge duplicates across sources; queue unsure ones")
    p.add_argument("workspace")
    p.add_argument("--report", metavar="FILE.csv", help="write every scored pair to a CSV")
    p.set_defaults(handler=_cmd_dedupe)
