"""The register commands.

``init``, ``list``, ``edit``, ``history``, ``export``, ``backup``, ``restore``
and ``api``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from assetmap.cli.common import (
    CoreChoices,
    Progress,
    Subparsers,
    cli_admin,
    echo,
    parse_when,
    print_init,
)
from assetmap.errors import AssetMapError

__all__ = ["add_parsers"]


def _cmd_init(args: argparse.Namespace) -> int:
    from assetmap.workspace import import_osm, import_osm_place

    clip = args.area is not None or args.boundary is not None
    if clip and not args.osm:
        msg = "--area and --boundary clip a local extract: give --osm FILE too."
        raise AssetMapError(msg)
    progress = Progress(args.progress)
    try:
        if args.place:
            result = import_osm_place(
                args.workspace, args.place, actor=args.actor, progress=progress
            )
        else:
            result = import_osm(
                args.workspace,
                args.osm,
                actor=args.actor,
                progress=progress,
                area=args.area,
                boundary=args.boundary,
                buffer_m=args.buffer_m,
            )
    finally:
        progress.close()
    print_init(result)
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from assetmap.moderation_state import UNCHECKED_LABEL, is_checked
    from assetmap.output.export import export_register
    from assetmap.workspace import open_workspace

    workspace = open_workspace(args.workspace)
    store = workspace.store()
    if args.as_of:
        assets = store.register_as_of(
            parse_when(args.as_of), include_archived=args.include_archived
        )
    else:
        assets = store.assets(include_archived=args.include_archived)
    fmt = args.format
    if fmt in {"hsds", "oruk"}:
        from assetmap.output.export_hsds import workspace_country, write_hsds

        dropped: list[str] = []
        target = write_hsds(
            assets,
            args.out,
            profile=fmt,
            country=workspace_country(workspace.settings()),
            dropped=dropped,
        )
        if dropped:
            shown = ", ".join(dropped[:5]) + (
                f" (and {len(dropped) - 5} more)" if len(dropped) > 5 else ""
            )
            echo(
                f"Left out {len(dropped):,} values the Open Referral UK profile has "
                f"no field for: {shown}",
                stream=sys.stderr,
            )
    else:
        target = export_register(assets, args.out, fmt=fmt, include_proposed=args.include_proposed)
    unchecked = int((~assets["status"].map(is_checked)).sum()) if len(assets) else 0
    if fmt in {"hsds", "oruk"} or not args.include_proposed:
        note = f" (left out {unchecked:,} not yet checked)" if unchecked else ""
        echo(f"Wrote {len(assets) - unchecked:,} assets to {target}{note}")
    else:
        echo(f"Wrote {len(assets):,} assets ({unchecked:,} {UNCHECKED_LABEL}) to {target}")
    return 0


def _cmd_api(args: argparse.Namespace) -> int:
    from assetmap.api import build_app, serve
    from assetmap.workspace import open_workspace

    app = build_app(open_workspace(args.workspace))
    echo(
        f"Serving the Open Referral UK API (read-only, verified assets) at "
        f"http://{args.host}:{args.port}/  (Ctrl+C to stop)"
    )
    serve(app, host=args.host, port=args.port)
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from assetmap.workspace import open_workspace

    assets = open_workspace(args.workspace).store().assets(include_archived=args.include_archived)
    if args.category:
        assets = assets[[args.category in c for c in assets["categories"]]]
    if args.format == "json":
        rows = [
            {
                "id": r.id,
                "name": r.name,
                "categories": list(r.categories),
                "status": r.status,
                "version": r.version,
            }
            for r in assets.itertuples()
        ]
        echo(json.dumps(rows, indent=1))
    else:
        for r in assets.itertuples():
            echo(f"{r.id}  {r.name}  [{', '.join(r.categories)}]  {r.status}")
    return 0


def _cmd_edit(args: argparse.Namespace) -> int:
    from assetmap.register import edit_asset, set_asset_status
    from assetmap.workspace import open_workspace

    store = open_workspace(args.workspace).store()
    current = store.get_asset(args.asset_id)
    changes: dict[str, Any] = {}
    for item in args.set or []:
        key, sep, value = item.partition("=")
        if not sep:
            msg = f"--set takes FIELD=VALUE, got {item!r}."
            raise AssetMapError(msg)
        changes[key.strip()] = value
    version = args.expected_version or int(current["version"])
    admin = cli_admin(args)
    if args.status:
        record = set_asset_status(
            store,
            args.asset_id,
            args.status,
            expected_version=version,
            principal=admin,
            reason=args.reason,
        )
        version = int(record["version"])
    if changes:
        record = edit_asset(
            store,
            args.asset_id,
            changes,
            expected_version=version,
            principal=admin,
            reason=args.reason,
        )
    if not changes and not args.status:
        msg = "Nothing to change: give --set FIELD=VALUE or --status."
        raise AssetMapError(msg)
    echo(f"{record['name']}: now version {record['version']} ({record['status']})")
    return 0


def _cmd_history(args: argparse.Namespace) -> int:
    from assetmap.register import asset_history
    from assetmap.workspace import open_workspace

    store = open_workspace(args.workspace).store()
    frame = asset_history(store, args.asset_id, principal=cli_admin(args))
    for row in frame.itertuples():
        echo(
            f"v{row.version}  {row.recorded_at:%Y-%m-%d %H:%M:%S}  {row.action:<8} "
            f"by {row.actor}: {row.reason}"
        )
    return 0


def _cmd_backup(args: argparse.Namespace) -> int:
    from assetmap.backup import backup_workspace
    from assetmap.workspace import open_workspace

    target = backup_workspace(open_workspace(args.workspace), args.file, principal=cli_admin(args))
    echo(f"Backed up {args.workspace} to {target}")
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    from assetmap.backup import restore_workspace

    workspace = restore_workspace(
        args.file, args.workspace, principal=cli_admin(args), force=args.force
    )
    echo(f"Restored {args.file} into {workspace.path}")
    return 0


def _export_formats() -> tuple[str, ...]:
    from assetmap.output.export import EXPORT_FORMATS
    from assetmap.output.export_hsds import PROFILES

    return (*EXPORT_FORMATS, *PROFILES)


def _statuses() -> tuple[str, ...]:
    from assetmap.schema import STATUSES

    return STATUSES


def add_parsers(sub: Subparsers) -> None:
    """Add the register commands."""
    p = sub.add_parser("init", help="create a workspace from an OpenStreetMap extract")
    p.add_argument("workspace")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--osm", help="a .osm.pbf, .osm or .osm.bz2 file")
    src.add_argument("--place", help="a place name to download from OpenStreetMap (online)")
    clip = p.add_mutually_exclusive_group()
    clip.add_argument(
        "--area", help="keep only this administrative area of --osm (a name or an ONS code)"
    )
    clip.add_argument("--boundary", metavar="FILE", help="keep only what lies inside this polygon")
    p.add_argument(
        "--buffer-m",
        type=float,
        help="metres of walking network kept beyond --area/--boundary (default 2000)",
    )
    p.set_defaults(handler=_cmd_init)

    p = sub.add_parser("export", help="export the register (or its state at a date)")
    p.add_argument("workspace")
    p.add_argument(
        "--format",
        required=True,
        choices=CoreChoices(_export_formats),
        metavar="FORMAT",
        help="%(choices)s; hsds: HSDS 3.0 JSON; oruk: the Open Referral UK profile of it",
    )
    p.add_argument("--out", required=True)
    p.add_argument("--as-of", help="ISO date or date-time: the register as it stood then")
    p.add_argument("--include-archived", action="store_true")
    p.add_argument(
        "--include-proposed",
        action="store_true",
        help="also write proposals no facilitator has checked, labelled 'not yet checked' "
        "in a `checked` column (GeoJSON, GPKG, CSV; never HSDS)",
    )
    p.set_defaults(handler=_cmd_export)

    p = sub.add_parser("api", help="serve the register as a read-only Open Referral UK API")
    p.add_argument("workspace")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.set_defaults(handler=_cmd_api)

    p = sub.add_parser("list", help="list the assets in the register")
    p.add_argument("workspace")
    p.add_argument("--category")
    p.add_argument("--include-archived", action="store_true")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(handler=_cmd_list)

    p = sub.add_parser("edit", help="edit, verify or archive an asset (a new version)")
    p.add_argument("workspace")
    p.add_argument("asset_id")
    p.add_argument("--set", action="append", metavar="FIELD=VALUE")
    p.add_argument("--status", choices=CoreChoices(_statuses), metavar="STATUS", help="%(choices)s")
    p.add_argument("--reason", required=True)
    p.add_argument(
        "--expected-version",
        type=int,
        help="refuse the edit if the asset has moved past this version",
    )
    p.set_defaults(handler=_cmd_edit)

    p = sub.add_parser("history", help="show every version of an asset")
    p.add_argument("workspace")
    p.add_argument("asset_id")
    p.set_defaults(handler=_cmd_history)

    p = sub.add_parser("backup", help="back up a workspace (register, network, settings)")
    p.add_argument("workspace")
    p.add_argument("file", help="the backup file (.zip), or a folder for a dated one")
    p.set_defaults(handler=_cmd_backup)

    p = sub.add_parser("restore", help="restore a backup into a workspace folder")
    p.add_argument("file")
    p.add_argument("workspace")
    p.add_argument("--force", action="store_true", help="overwrite a folder that is not empty")
    p.set_defaults(handler=_cmd_restore)
