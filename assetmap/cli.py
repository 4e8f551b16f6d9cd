"""The ``assetmap`` command line: the same core as the app.

Each sub-command is a function ``_cmd_<name>(args) -> int``; errors from the
core (:class:`~assetmap.errors.AssetMapError`) become one line on stderr and
exit code 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.util
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from assetmap.atomic import atomic_path
from assetmap.errors import AssetMapError
from assetmap.private_files import private_file, restrict_umask

__all__ = ["main"]

Handler = Callable[[argparse.Namespace], int]


def _app_file() -> Path:
    """Return the Streamlit entry script: beside the package in a checkout, else installed.

    Streamlit finds the pages (``app/pages/...``) and serves ``static/`` (the
    vendored Leaflet) relative to the entry script's folder. In a checkout that
    is the project root; for an installed wheel, a private folder of links to the
    installed ``streamlit_app.py``, ``app`` package and ``app/static`` stands in.
    """
    beside = Path(__file__).resolve().parents[1] / "streamlit_app.py"
    if beside.is_file() and (beside.parent / "static").is_dir():  # a checkout
        return beside
    entry = importlib.util.find_spec("streamlit_app")
    package = importlib.util.find_spec("app")
    if entry is None or entry.origin is None or package is None or package.origin is None:
        msg = "assetmap's app (streamlit_app.py and the app package) is not installed."
        raise AssetMapError(msg)
    app_dir = Path(package.origin).parent
    install = hashlib.sha256(str(app_dir).encode()).hexdigest()[:12]  # one folder per install
    folder = Path(tempfile.gettempdir()) / f"assetmap-app-{os.getuid()}-{install}"
    folder.mkdir(mode=0o700, exist_ok=True)
    links = {"streamlit_app.py": Path(entry.origin), "app": app_dir, "static": app_dir / "static"}
    for name, target in links.items():
        link = folder / name
        if link.is_symlink() and link.resolve() == target.resolve():
            continue
        link.unlink(missing_ok=True)
        link.symlink_to(target)
    return folder / "streamlit_app.py"


DEMO_ACTOR = "assetmap-demo"


def _out(text: str = "", *, stream: TextIO | None = None) -> None:
    (stream or sys.stdout).write(text + "\n")


class _Progress:
    """A tqdm bar on stderr driven by the core's (stage, fraction) callbacks."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._bar: Any = None
        self._stage = ""

    def __call__(self, stage: str, fraction: float) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if stage != self._stage:
            self.close()
            self._stage = stage
            self._bar = tqdm(
                total=100,
                desc=stage,
                file=sys.stderr,
                leave=False,
                bar_format="{desc}: {percentage:3.0f}%|{bar}|",
            )
        if self._bar is not None:
            self._bar.n = round(100 * min(max(fraction, 0.0), 1.0))
            self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _parse_when(text: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        msg = (
            "--as-of must be an ISO date or date-time like 2024-05-31 or 2024-05-31T14:00, "
            f"got {text!r}."
        )
        raise AssetMapError(msg) from None
    if len(text) == 10:  # a bare date means the end of that day
        when = when + dt.timedelta(days=1) - dt.timedelta(microseconds=1)
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _print_init(result: Any) -> None:
    s = result.summary
    _out(f"Workspace: {result.workspace.path}")
    _out(
        f"Assets: {s.created} new, {s.updated} updated, {s.unchanged} unchanged, "
        f"{s.archived} archived, {s.restored} restored"
    )
    _out(f"Walking network: {result.n_nodes:,} nodes, {result.n_edges:,} edges")
    skipped = {k: v for k, v in result.skipped.items() if v}
    if skipped:
        _out("Skipped: " + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in skipped.items()))


def _cmd_init(args: argparse.Namespace) -> int:
    from assetmap.workspace import import_osm, import_osm_place

    clip = args.area is not None or args.boundary is not None
    if clip and not args.osm:
        msg = "--area and --boundary clip a local extract: give --osm FILE too."
        raise AssetMapError(msg)
    progress = _Progress(args.progress)
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
    _print_init(result)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from assetmap.demo import build_demo

    region = "helsinki" if args.helsinki else args.region
    progress = _Progress(args.progress)
    try:
        result = build_demo(
            args.workspace, region=region, osm=args.osm, actor=DEMO_ACTOR, progress=progress
        )
    finally:
        progress.close()
    _print_init(result.init)
    if result.postcodes:
        _out(
            f"Postcodes: {result.postcodes:,}; areas: {result.areas} LSOAs "
            f"({result.areas_with_imd} with IMD 2019 scores)"
        )
    if result.transit:
        _out(result.transit)
    if result.seeded:
        examples = ", ".join(f"{kind} {n}" for kind, n in result.seeded.items())
        _out(f"Fictional examples: {examples}")
    if region == "rutland" and args.osm is None:
        _out("Data: (c) OpenStreetMap contributors (ODbL); OS Code-Point Open, ONS boundaries,")
        _out("IMD 2019 (Open Government Licence) - see assetmap/data/demo/rutland/ATTRIBUTION.md")
    _out(f"\nOpen the app with:\n  assetmap app {result.init.workspace.path}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from assetmap.moderation_state import UNCHECKED_LABEL, is_checked
    from assetmap.output.export import export_register
    from assetmap.workspace import open_workspace

    workspace = open_workspace(args.workspace)
    store = workspace.store()
    if args.as_of:
        assets = store.register_as_of(
            _parse_when(args.as_of), include_archived=args.include_archived
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
            _out(
                f"Left out {len(dropped):,} values the Open Referral UK profile has "
                f"no field for: {shown}",
                stream=sys.stderr,
            )
    else:
        target = export_register(assets, args.out, fmt=fmt, include_proposed=args.include_proposed)
    unchecked = int((~assets["status"].map(is_checked)).sum()) if len(assets) else 0
    if fmt in {"hsds", "oruk"} or not args.include_proposed:
        note = f" (left out {unchecked:,} not yet checked)" if unchecked else ""
        _out(f"Wrote {len(assets) - unchecked:,} assets to {target}{note}")
    else:
        _out(f"Wrote {len(assets):,} assets ({unchecked:,} {UNCHECKED_LABEL}) to {target}")
    return 0


def _cmd_api(args: argparse.Namespace) -> int:
    from assetmap.api import build_app, serve
    from assetmap.workspace import open_workspace

    app = build_app(open_workspace(args.workspace))
    _out(
        f"Serving the Open Referral UK API (read-only, verified assets) at "
        f"http://{args.host}:{args.port}/  (Ctrl+C to stop)"
    )
    serve(app, host=args.host, port=args.port)
    return 0


def _cmd_history(args: argparse.Namespace) -> int:
    from assetmap.register import asset_history
    from assetmap.workspace import open_workspace

    store = open_workspace(args.workspace).store()
    frame = asset_history(store, args.asset_id, principal=_cli_admin(args))
    for row in frame.itertuples():
        _out(
            f"v{row.version}  {row.recorded_at:%Y-%m-%d %H:%M:%S}  {row.action:<8} "
            f"by {row.actor}: {row.reason}"
        )
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
    admin = _cli_admin(args)
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
    _out(f"{record['name']}: now version {record['version']} ({record['status']})")
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
        _out(json.dumps(rows, indent=1))
    else:
        for r in assets.itertuples():
            _out(f"{r.id}  {r.name}  [{', '.join(r.categories)}]  {r.status}")
    return 0


def _cmd_app(args: argparse.Namespace) -> int:
    from assetmap.people import serving
    from assetmap.people.accounts import has_accounts
    from assetmap.workspace import open_workspace

    workspace = open_workspace(args.workspace)
    serving.check_serving(
        args.address,
        local=args.local,
        has_accounts=has_accounts(workspace.store()),
        workspace=args.workspace,
    )
    app_file = _app_file()
    env = os.environ | {"ASSETMAP_WORKSPACE": str(workspace.path)}
    env.pop(serving.LOCAL_ENV, None)
    if args.local:
        env[serving.LOCAL_ENV] = args.address
    hosts = serving.allowed_hosts(args.address, args.host_name)
    command = [
        sys.executable, "-m", "streamlit", "run", str(app_file),
        "--server.port", str(args.port),
        *serving.streamlit_server_options(args.address, hosts),
    ]  # fmt: skip
    mode = "local mode, this computer only" if args.local else "everyone signs in"
    _out(f"Serving assetmap for {workspace.path} at http://{args.address}:{args.port} ({mode})")
    return _serve(command, env=env, cwd=app_file.parent)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Ask Linux to send the server SIGTERM if this command dies (even by SIGKILL)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _serve(command: list[str], *, env: Mapping[str, str], cwd: Path) -> int:
    """Run the Streamlit server and stop it when this command is stopped.

    SIGTERM, SIGINT (Ctrl-C) and SIGHUP are passed on to the server, which is
    waited for (killed after 10 s); on Linux the server also gets SIGTERM if
    this process is killed outright, so no server outlives the command.
    """
    server = subprocess.Popen(command, env=env, cwd=cwd, preexec_fn=_die_with_parent)  # noqa: S603

    def pass_on(signum: int, _frame: object) -> None:
        if server.poll() is None:
            server.send_signal(signum)

    stops = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    previous = {sig: signal.signal(sig, pass_on) for sig in stops}
    try:
        return server.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _cmd_backup(args: argparse.Namespace) -> int:
    from assetmap.backup import backup_workspace
    from assetmap.workspace import open_workspace

    target = backup_workspace(open_workspace(args.workspace), args.file, principal=_cli_admin(args))
    _out(f"Backed up {args.workspace} to {target}")
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    from assetmap.backup import restore_workspace

    workspace = restore_workspace(
        args.file, args.workspace, principal=_cli_admin(args), force=args.force
    )
    _out(f"Restored {args.file} into {workspace.path}")
    return 0


def _cli_admin(args: argparse.Namespace) -> Any:
    """Whoever runs the command line can read the database file: they act as an admin."""
    from assetmap.access import Principal, Role

    return Principal(args.actor, Role.ADMIN)


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass("New password: ")
    if getpass.getpass("Repeat it: ") != first:
        msg = "The two passwords differ; nothing was changed."
        raise AssetMapError(msg)
    return first


def _cmd_user(args: argparse.Namespace) -> int:
    from assetmap.people import accounts
    from assetmap.workspace import open_workspace

    store = open_workspace(args.workspace).store()
    admin = _cli_admin(args)
    if args.user_command == "add":
        password = _read_password(args)
        name = accounts.create_user(
            store, args.username, password, args.role, actor=admin, team=args.team or ()
        )
        _out(f"Created {args.role} account {name}")
    elif args.user_command == "disable":
        accounts.disable_user(store, args.username, actor=admin, reason=args.reason or "")
        _out(f"Disabled account {args.username.strip().casefold()}")
    else:
        for row in accounts.list_users(store, actor=admin).to_dict("records"):
            state = "active" if row["active"] else "disabled"
            if row["locked_until"]:
                state += f", locked until {row['locked_until']}"
            _out(f"{row['username']}  {row['role']}  {state}")
    return 0


def _cmd_fund(args: argparse.Namespace) -> int:
    from assetmap.people import funds
    from assetmap.workspace import open_workspace

    store = open_workspace(args.workspace).store()
    admin = _cli_admin(args)
    if args.fund_command == "add":
        fund = funds.create_fund(
            store,
            {
                "name": args.name,
                "holder": args.holder,
                "budget": args.budget,
                "start": args.start,
                "end": args.end,
                "person_cap": args.person_cap,
                "request_cap": args.request_cap,
                "grant_cap": args.grant_cap,
                "min_group": args.min_group,
                "categories": args.category or [],
                "approvers": args.approver or [],
            },
            principal=admin,
        )
        _out(f"Created fund {fund['name']} ({fund['id']}): {funds.money(fund['budget'])}")
    elif args.fund_command == "categories":
        for code, label in funds.spend_categories().items():
            _out(f"{code}  {label}")
    else:
        for row in funds.list_funds(store, principal=admin).to_dict("records"):
            _out(
                f"{row['id']}  {row['name']} ({row['holder']}): {funds.money(row['budget'])}, "
                f"{row['start']} to {row['end']}, per person {funds.money(row['person_cap'])}, "
                f"per request {funds.money(row['request_cap'])}, {row['status']}"
            )
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from assetmap.people.evaluation import write_evaluation_pack
    from assetmap.workspace import open_workspace

    pack = write_evaluation_pack(
        open_workspace(args.workspace),
        args.out,
        start=args.start,
        end=args.end,
        principal=_cli_admin(args),
    )
    _out(f"Wrote the evaluation pack to {pack.folder}: {', '.join(pack.files)}")
    return 0


def _print_report(report: Any, *, limit: int = 50) -> None:
    """Print an import report: one line per problem, the first ``limit`` of them."""
    from assetmap.ingest.problems import report_lines

    for line in report_lines(report, limit=limit):
        _out(line)


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
    admin = _cli_admin(args)
    progress = _Progress(args.progress)
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
        _out(f"Read {preview.rows_read:,} rows from {preview.source} ({preview.fmt})")
        if preview.mapping is not None:
            mapped = ", ".join(f"{c} -> {f}" for c, f in preview.mapping.fields.items())
            _out(f"Columns: {mapped}")
            if preview.mapping.unmapped:
                _out(f"Not used: {', '.join(preview.mapping.unmapped)}")
        _out(f"Report: {summary(preview.report)}")
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
        _out(
            f"assetmap: error: {preview.rows_rejected:,} rows have errors; nothing was imported. "
            "Fix them, or import the other rows with --skip-bad-rows.",
            stream=sys.stderr,
        )
        return 1
    if not preview.taxonomy.empty:
        term_rows = preview.taxonomy[preview.taxonomy["kind"] == "term"]
        n_mapped = int(term_rows["category"].notna().sum())
        _out(
            f"Imported a taxonomy from {preview.source}: {len(preview.taxonomy):,} records "
            f"({len(term_rows):,} terms, {n_mapped:,} mapped to assetmap categories; "
            f"{outcome.taxonomy_saved:,} new or changed)"
        )
        return 0
    s = outcome.summary
    if s is None:  # imported always carries a summary
        return 1
    skipped = f", {outcome.skipped_rows:,} rows skipped" if outcome.skipped_rows else ""
    _out(
        f"Imported {s.total:,} assets from {s.source}: {s.created:,} new, {s.updated:,} updated, "
        f"{s.unchanged:,} unchanged{skipped}"
    )
    _out(f"Look for duplicates across sources with: assetmap dedupe {args.workspace}")
    return 0


def _cmd_postcodes(args: argparse.Namespace) -> int:
    from assetmap.imports import load_postcode_file
    from assetmap.workspace import open_workspace

    workspace = open_workspace(args.workspace)
    index = load_postcode_file(workspace, args.file, principal=_cli_admin(args))
    _out(f"Postcode table of {workspace.path} now holds {len(index):,} postcodes")
    return 0


def _cmd_transit(args: argparse.Namespace) -> int:
    from assetmap.transit_service import import_transit
    from assetmap.workspace import open_workspace

    workspace = open_workspace(args.workspace)
    result = import_transit(workspace, args.feeds, buffer_m=args.buffer_m)
    _out(
        f"Timetable of {workspace.path}: {result.n_stops:,} stops, {result.n_routes:,} routes, "
        f"{result.n_trips:,} trips, {result.n_connections:,} connections"
    )
    if result.far_stops:
        _out(
            f"{len(result.far_stops):,} stops are too far from the walking network to walk to "
            "(vehicles still pass through them), e.g.:"
        )
        for stop_id, name, metres in result.far_stops[:5]:
            _out(f"  {stop_id} {name}: {metres:,.0f} m")
    return 0


def _cmd_dedupe(args: argparse.Namespace) -> int:
    from assetmap.imports import deduplicate
    from assetmap.workspace import open_workspace

    store = open_workspace(args.workspace).store()
    result = deduplicate(store, principal=_cli_admin(args))
    _out(f"Merged {len(result.merged):,} pairs; queued {len(result.queued):,} for review")
    for m in result.merged:
        _out(f"  merged  {m.merged_name} -> {m.keep_name} ({m.score:.1f}: {m.reasons})")
    queued = result.pairs[result.pairs["action"].isin(["queued", "held back"])]
    for row in queued.to_dict("records"):
        _out(f"  review  {row['name_a']} / {row['name_b']} ({row['score']:.1f}: {row['reasons']})")
    if args.report:
        from assetmap.output.export import neutralise_formula

        result.pairs.map(neutralise_formula).to_csv(args.report, index=False)
        _out(f"Wrote {len(result.pairs):,} scored pairs to {args.report}")
    return 0


def _cmd_purge(args: argparse.Namespace) -> int:
    from assetmap.people.privacy import purge_expired_plans
    from assetmap.workspace import open_workspace

    result = purge_expired_plans(
        open_workspace(args.workspace),
        principal=_cli_admin(args),
        today=dt.date.today(),
        dry_run=args.dry_run,
    )
    verb = "Would erase" if result.dry_run else "Erased"
    _out(
        f"{verb} {result.count} plan(s) closed on or before {result.cutoff.isoformat()} "
        f"(retention {result.months} months)"
    )
    for reference in result.references:
        _out(f"  {reference}")
    return 0


def _cmd_plan_export(args: argparse.Namespace) -> int:
    from assetmap.people.privacy import export_plan_data
    from assetmap.workspace import open_workspace

    data = export_plan_data(
        open_workspace(args.workspace).store(), args.reference, principal=_cli_admin(args)
    )
    out = private_file(args.out)
    out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _out(f"Wrote everything held under {data['reference']} to {out}")
    return 0


def _cmd_erase(args: argparse.Namespace) -> int:
    from assetmap.people.privacy import erase_plan
    from assetmap.workspace import open_workspace

    result = erase_plan(
        open_workspace(args.workspace).store(),
        args.reference,
        principal=_cli_admin(args),
        reason=args.reason,
    )
    _out(
        f"Erased {len(result.plan_ids)} plan(s) and {result.referrals} referral(s) "
        f"({result.history_rows} history rows overwritten); an audit line records the erasure"
    )
    return 0


def _cmd_scrub(args: argparse.Namespace) -> int:
    from assetmap.workspace import open_workspace

    open_workspace(args.workspace).store().finish_erasure()
    _out("No erased content is left in the database files")
    return 0


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
                    "nearest": _jsonable(m.beyond_places[0]) if m.beyond_places else None,
                    "notes": list(m.notes),
                    "urgent": m.urgent,
                    "excluded": m.excluded,
                    "results": json.loads(m.results.to_json(orient="records")),
                    "helplines": json.loads(m.remote.to_json(orient="records")),
                }
                for m in matches
            ],
        }
        _out(json.dumps(report, indent=1, ensure_ascii=False))
        return 0
    how = "walk" if args.mode == "walk" else f"walk + public transport leaving {args.depart}"
    _out(f"From {start.label} ({start.area or 'area unknown'}), within {args.minutes:g} min {how}")
    for m in matches:
        goal = m.goal
        _out("\n== " + " ".join(x for x in (goal.need, goal.good, goal.text) if x))
        for line in (*m.notes, *([m.gap] if m.gap else [])):
            _out(f"  {line}")
        for r in m.results.to_dict("records"):
            _out(f"  {r['rank']:>2}. {r['minutes']:5.1f} min  {r['name']}")
            _out(f"      why: {r['why']}")
            if r["warnings"]:
                _out(f"      check: {r['warnings']}")
        if m.excluded:
            left = ", ".join(f"{n} {why}" for why, n in sorted(m.excluded.items()))
            _out(f"  not offered: {left}")
        for phone in m.remote.to_dict("records"):
            _out(f"  phone: {phone['name']}, {phone['phone']} ({phone['hours']})")
    return 0


def _jsonable(value: Any) -> Any:
    """Floats that JSON cannot hold (inf, NaN) become None; tuples become lists."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def _reach_setup(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    from assetmap.reach.network import walk_graph_for
    from assetmap.workspace import open_workspace

    workspace = open_workspace(args.workspace)
    store = workspace.store()
    when = _parse_when(args.as_of) if getattr(args, "as_of", None) else None
    assets = store.assets() if when is None else store.register_as_of(when)
    return workspace, walk_graph_for(workspace.network_path), assets


def _cmd_areas_list(path: str | None) -> int:
    from assetmap.ingest.boundaries import list_admin_areas

    if not path:
        msg = "Give the extract: assetmap areas list FILE.osm.pbf"
        raise AssetMapError(msg)
    areas = list_admin_areas(path)
    if not areas:
        _out(f"No administrative boundaries in {path}.")
        return 0
    _out(f"{'level':>5}  {'code':<10} name")
    for a in areas:
        _out(f"{a.admin_level:>5}  {a.code or '-':<10} {a.name}")
    _out(f"{len(areas)} areas; use one with: assetmap init WORKSPACE --osm {path} --area NAME")
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
    _out(f"Stored {len(areas):,} {kind} in {workspace.path} ({with_imd:,} with IMD 2019 scores)")
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
        _out(json.dumps(_jsonable(report), indent=1, default=str))
        return 0
    window = f" leaving {args.depart} (median over the minutes)" if times is not None else ""
    _out(
        f"Within {args.minutes:g} min {MODE_WORDS[args.mode]}{window}, over "
        f"{demand_note(demand, kind, workspace.settings())}"
    )
    for r in result.by_category.to_dict("records"):
        median = float(r["median_minutes"])
        shown = f"{median:4.0f} min" if math.isfinite(median) else f"over {search:g} min"
        postcodes = f"  postcodes {r['share_postcodes']:6.1%}" if demand.n_postcodes else ""
        _out(f"  {r['category']:<26} areas {r['share_areas']:6.1%}{postcodes}  median {shown}")
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
        _out(json.dumps(_jsonable(report), indent=1, default=str, ensure_ascii=False))
        return 0
    _out(
        f"From {start.label}, leaving {args.depart}: {len(within)} categories within "
        f"{args.minutes:g} min by walk + public transport (median; 75th percentile)"
    )
    for r in within.to_dict("records"):
        _out(
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
        _out(json.dumps(_jsonable(report), indent=1, default=str, ensure_ascii=False))
        return 0
    _out(
        f"From {start.label}: {len(found)} assets within {args.minutes:g} min "
        f"{MODE_WORDS[args.mode]}, "
        f"{scope['n_categories']} categories, {scope['n_needs']} needs"
    )
    for r in found.to_dict("records"):
        _out(f"  {r['minutes']:5.1f} min  {r['name']}")
    return 0


def _cmd_sites(args: argparse.Namespace) -> int:
    from assetmap.reach.sites import candidate_sites, demand_weights, suggest_sites
    from assetmap.reach_service import workspace_demand
    from assetmap.transit_service import mode_graph

    workspace, walk_graph, assets = _reach_setup(args)
    graph = mode_graph(workspace, walk_graph, args.mode)
    _, demand = workspace_demand(workspace, graph, by=args.by)
    weight = demand_weights(demand, imd_weighted=args.imd_weighted)
    candidates = candidate_sites(
        graph, assets, cell_m=args.cell_m if args.candidates == "grid" else None
    )
    result = suggest_sites(
        graph,
        assets,
        demand,
        candidates,
        category=args.category,
        count=args.count,
        minutes=args.minutes,
        weight=weight,
        method=args.method,
    )
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
        _out(json.dumps(_jsonable(report), indent=1, default=str, ensure_ascii=False))
        return 0
    proof = "optimal" if solution.optimal else f"gap to bound {solution.gap:.1%}"
    _out(
        f"{len(sites)} sites for {args.category} by {solution.method} ({proof}), "
        f"{result.n_candidates} candidates: demand within {args.minutes:g} min "
        f"{result.covered_before:g} -> {result.covered_after:g} of {result.total:g}"
    )
    for r in sites.to_dict("records"):
        _out(f"  {r['rank']}. {r['name']}  +{r['new_demand']:g}  ({r['lat']:.5f},{r['lon']:.5f})")
    return 0


def _build_parser() -> argparse.ArgumentParser:
    from assetmap.schema import STATUSES  # choices come from the core, never a copy

    parser = argparse.ArgumentParser(
        prog="assetmap",
        description="Community asset mapping and navigation for probation teams.",
    )
    parser.add_argument(
        "--no-progress", dest="progress", action="store_false", help="do not draw progress bars"
    )
    parser.add_argument(
        "--actor",
        default=os.environ.get("USER") or "cli",
        help="who is making changes (kept in history)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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

    p = sub.add_parser(
        "demo", help="build a demo workspace offline (Rutland: postcodes, LSOAs, IMD, examples)"
    )
    p.add_argument("workspace", nargs="?", default="demo-workspace")
    p.add_argument("--region", choices=["rutland", "helsinki"], default="rutland")
    p.add_argument("--helsinki", action="store_true", help="the Helsinki demo (--region helsinki)")
    p.add_argument("--osm", help="use this OSM file instead of the bundled extract")
    p.set_defaults(handler=_cmd_demo)

    p = sub.add_parser("export", help="export the register (or its state at a date)")
    p.add_argument("workspace")
    p.add_argument(
        "--format",
        required=True,
        choices=["geojson", "gpkg", "csv", "hsds", "oruk"],
        help="hsds: HSDS 3.0 JSON; oruk: the Open Referral UK profile of it",
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
    p.add_argument("--status", choices=STATUSES)
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

    p = sub.add_parser("user", help="manage local sign-in accounts")
    users = p.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    u = users.add_parser("add", help="create an account (asks for the password)")
    u.add_argument("workspace")
    u.add_argument("username")
    u.add_argument("--role", required=True, choices=["facilitator", "staff", "lead", "admin"])
    u.add_argument("--team", action="append", metavar="USERNAME", help="shares this caseload")
    u.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    u = users.add_parser("list", help="list the accounts")
    u.add_argument("workspace")
    u = users.add_parser("disable", help="stop an account signing in")
    u.add_argument("workspace")
    u.add_argument("username")
    u.add_argument("--reason")
    p.set_defaults(handler=_cmd_user)

    p = sub.add_parser("import", help="import a spreadsheet (CSV/XLSX) or HSDS file or URL")
    p.add_argument("workspace")
    p.add_argument("source", metavar="FILE_OR_URL")
    p.add_argument("--format", choices=["csv", "xlsx", "hsds"], help="default: from the name")
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

    p = sub.add_parser("purge", help="erase closed plans past the retention period")
    p.add_argument("workspace")
    p.add_argument("--dry-run", action="store_true", help="only list what would be erased")
    p.set_defaults(handler=_cmd_purge)

    p = sub.add_parser("plan-export", help="everything held under one plan reference (JSON)")
    p.add_argument("workspace")
    p.add_argument("reference")
    p.add_argument("--out", required=True)
    p.set_defaults(handler=_cmd_plan_export)

    p = sub.add_parser("erase", help="erase a plan reference, its referrals and its history")
    p.add_argument("workspace")
    p.add_argument("reference")
    p.add_argument("--reason", required=True, help="why (kept in the audit line; no content)")
    p.set_defaults(handler=_cmd_erase)

    p = sub.add_parser("fund", help="enabling funds: add one, list them, spend categories")
    funds_sub = p.add_subparsers(dest="fund_command", required=True)
    f = funds_sub.add_parser("add", help="create a fund (decisions are made in the app)")
    f.add_argument("workspace")
    f.add_argument("--name", required=True)
    f.add_argument("--holder", required=True, help="the organisation holding it")
    f.add_argument("--budget", required=True, help="pounds, e.g. 20000")
    f.add_argument("--start", required=True, help="first day requests may be made (ISO date)")
    f.add_argument("--end", required=True, help="last day (ISO date)")
    f.add_argument("--person-cap", help="most pounds one plan may get")
    f.add_argument("--request-cap", help="most pounds one request may ask for")
    f.add_argument("--grant-cap", help="most pounds one shared grant may get")
    f.add_argument("--min-group", type=int, default=4, help="fewest people for a shared grant")
    f.add_argument("--category", action="append", help="an allowed spend code (repeat)")
    f.add_argument("--approver", action="append", help="a user who may decide (repeat)")
    f = funds_sub.add_parser("list", help="list the funds")
    f.add_argument("workspace")
    f = funds_sub.add_parser("categories", help="list the spend categories (360Giving codes)")
    f.add_argument("workspace", nargs="?")
    p.set_defaults(handler=_cmd_fund)

    p = sub.add_parser("evaluate", help="write the anonymous evaluation pack of a period")
    p.add_argument("workspace")
    p.add_argument("--from", dest="start", required=True, metavar="DATE")
    p.add_argument("--to", dest="end", required=True, metavar="DATE")
    p.add_argument("--out", required=True, metavar="FOLDER")
    p.set_defaults(handler=_cmd_evaluate)

    p = sub.add_parser("scrub", help="finish an erasure a reader held up (truncate the WAL)")
    p.add_argument("workspace")
    p.set_defaults(handler=_cmd_scrub)

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
    p.add_argument("--mode", choices=["walk", "transit"], default="walk")
    p.add_argument(
        "--depart",
        default="Tue 08:00-09:00",
        metavar="'DAY HH:MM-HH:MM'",
        help="with --mode transit: the departure window",
    )
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
    p.add_argument("--by", choices=["auto", "lsoa", "grid"], default="auto")
    p.add_argument("--cell-m", type=float, default=1000.0, help="grid cell size (metres)")
    rows = p.add_mutually_exclusive_group()
    rows.add_argument("--per-area", action="store_true", help="one row per area and category")
    rows.add_argument(
        "--per-point",
        action="store_true",
        help="CSV: minutes from every postcode (or node) to each category (for merging regions)",
    )
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    _add_mode_arguments(p)
    p.set_defaults(handler=_cmd_coverage)

    p = sub.add_parser("reach", help="what is within a walk of a place (and its isochrone)")
    p.add_argument("workspace")
    p.add_argument("--from", dest="start", required=True, metavar="LAT,LON|POSTCODE")
    p.add_argument("--minutes", type=float, default=20.0)
    p.add_argument("--category", help="only assets of this category")
    p.add_argument("--as-of", metavar="DATE", help="the register as it stood then")
    p.add_argument("--isochrone", metavar="FILE", help="write the walkable area as GeoJSON")
    p.add_argument("--format", choices=["table", "json"], default="table")
    _add_mode_arguments(p)
    p.set_defaults(handler=_cmd_reach)

    p = sub.add_parser("sites", help="suggest sites for a new service (maximal covering)")
    p.add_argument("workspace")
    p.add_argument("--category", required=True)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--minutes", type=float, default=15.0)
    p.add_argument("--by", choices=["auto", "lsoa", "grid"], default="auto")
    p.add_argument("--candidates", choices=["venues", "grid"], default="venues")
    p.add_argument("--cell-m", type=float, default=500.0, help="grid candidate spacing (metres)")
    p.add_argument("--imd-weighted", action="store_true", help="weight demand by IMD score")
    p.add_argument("--method", choices=["auto", "milp", "greedy"], default="auto")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument(
        "--mode",
        choices=["walk", "bike"],
        default="walk",
        help="cover by walking or cycling time (public transport is not offered for sites yet)",
    )
    p.set_defaults(handler=_cmd_sites)

    p = sub.add_parser("app", help="start the Streamlit app on a workspace")
    p.add_argument("workspace")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default="127.0.0.1", help="address to listen on")
    p.add_argument(
        "--local",
        action="store_true",
        help="local mode: no accounts, you are the administrator (127.0.0.1 or ::1 only)",
    )
    p.add_argument(
        "--host-name",
        action="append",
        default=[],
        metavar="NAME",
        help="a name people type to reach the server (repeatable; checked against DNS rebinding)",
    )
    p.set_defaults(handler=_cmd_app)
    return parser


def _add_mode_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--mode",
        choices=["walk", "bike", "transit"],
        default="walk",
        help="walk, cycle, or walk + public transport (needs `assetmap transit`)",
    )
    p.add_argument(
        "--depart",
        default="Tue 08:00-09:00",
        metavar="'DAY HH:MM-HH:MM'",
        help="with --mode transit: the departure window (a weekday or a date)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``assetmap`` command line.

    Parameters
    ----------
    argv
        Arguments (without the program name); ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        0 on success, 1 on an assetmap error (one line on stderr), 2 on a usage error.
    """
    restrict_umask()  # workspaces, backups and exports hold personal data: owner only
    parser = _build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except AssetMapError as exc:
        _out(f"assetmap: error: {exc}", stream=sys.stderr)
        return 1
    except KeyboardInterrupt:
        _out("assetmap: interrupted; nothing half-written was kept.", stream=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `assetmap find ... | head`: the reader has gone, not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush stays quiet
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
