"""The commands about people.

``user``, ``plan-export``, ``erase``, ``purge``, ``scrub``, ``fund`` and
``evaluate``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from assetmap.cli.common import CoreChoices, Subparsers, cli_admin, echo
from assetmap.errors import AssetMapError
from assetmap.private_files import private_file

__all__ = ["add_parsers"]


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
    admin = cli_admin(args)
    if args.user_command == "add":
        password = _read_password(args)
        name = accounts.create_user(
            store, args.username, password, args.role, actor=admin, team=args.team or ()
        )
        echo(f"Created {args.role} account {name}")
    elif args.user_command == "disable":
        accounts.disable_user(store, args.username, actor=admin, reason=args.reason or "")
        echo(f"Disabled account {args.username.strip().casefold()}")
    else:
        for row in accounts.list_users(store, actor=admin).to_dict("records"):
            state = "active" if row["active"] else "disabled"
            if row["locked_until"]:
                state += f", locked until {row['locked_until']}"
            echo(f"{row['username']}  {row['role']}  {state}")
    return 0


def _cmd_plan_export(args: argparse.Namespace) -> int:
    from assetmap.people.privacy import export_plan_data
    from assetmap.workspace import open_workspace

    data = export_plan_data(
        open_workspace(args.workspace).store(), args.reference, principal=cli_admin(args)
    )
    out = private_file(args.out)
    out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    echo(f"Wrote everything held under {data['reference']} to {out}")
    return 0


def _cmd_erase(args: argparse.Namespace) -> int:
    from assetmap.people.privacy import erase_plan
    from assetmap.workspace import open_workspace

    result = erase_plan(
        open_workspace(args.workspace).store(),
        args.reference,
        principal=cli_admin(args),
        reason=args.reason,
    )
    echo(
        f"Erased {len(result.plan_ids)} plan(s) and {result.referrals} referral(s) "
        f"({result.history_rows} history rows overwritten); an audit line records the erasure"
    )
    return 0


def _cmd_purge(args: argparse.Namespace) -> int:
    from assetmap.people.privacy import purge_expired_plans
    from assetmap.workspace import open_workspace

    result = purge_expired_plans(
        open_workspace(args.workspace),
        principal=cli_admin(args),
        today=dt.date.today(),
        dry_run=args.dry_run,
    )
    verb = "Would erase" if result.dry_run else "Erased"
    echo(
        f"{verb} {result.count} plan(s) closed on or before {result.cutoff.isoformat()} "
        f"(retention {result.months} months)"
    )
    for reference in result.references:
        echo(f"  {reference}")
    return 0


def _cmd_scrub(args: argparse.Namespace) -> int:
    from assetmap.workspace import open_workspace

    open_workspace(args.workspace).store().finish_erasure()
    echo("No erased content is left in the database files")
    return 0


def _cmd_fund(args: argparse.Namespace) -> int:
    from assetmap.people import funds
    from assetmap.workspace import open_workspace

    store = open_workspace(args.workspace).store()
    admin = cli_admin(args)
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
        echo(f"Created fund {fund['name']} ({fund['id']}): {funds.money(fund['budget'])}")
    elif args.fund_command == "categories":
        for code, label in funds.spend_categories().items():
            echo(f"{code}  {label}")
    else:
        for row in funds.list_funds(store, principal=admin).to_dict("records"):
            echo(
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
        principal=cli_admin(args),
    )
    echo(f"Wrote the evaluation pack to {pack.folder}: {', '.join(pack.files)}")
    return 0


def _account_roles() -> tuple[str, ...]:
    from assetmap.people.accounts import ACCOUNT_ROLES

    return tuple(role.value for role in ACCOUNT_ROLES)


def add_parsers(sub: Subparsers) -> None:
    """Add the people commands."""
    p = sub.add_parser("user", help="manage local sign-in accounts")
    users = p.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    u = users.add_parser("add", help="create an account (asks for the password)")
    u.add_argument("workspace")
    u.add_argument("username")
    u.add_argument(
        "--role",
        required=True,
        choices=CoreChoices(_account_roles),
        metavar="ROLE",
        help="%(choices)s",
    )
    u.add_argument("--team", action="append", metavar="USERNAME", help="shares this caseload")
    u.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    u = users.add_parser("list", help="list the accounts")
    u.add_argument("workspace")
    u = users.add_parser("disable", help="stop an account signing in")
    u.add_argument("workspace")
    u.add_argument("username")
    u.add_argument("--reason")
    p.set_defaults(handler=_cmd_user)

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

    p = sub.add_parser("purge", help="erase closed plans past the retention period")
    p.add_argument("workspace")
    p.add_argument("--dry-run", action="store_true", help="only list what would be erased")
    p.set_defaults(handler=_cmd_purge)

    p = sub.add_parser("scrub", help="finish an erasure a reader held up (truncate the WAL)")
    p.add_argument("workspace")
    p.set_defaults(handler=_cmd_scrub)

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
