"""The ``assetmap`` command line: the same core as the app.

One module per area holds that area's commands beside their parsers:
:mod:`~assetmap.cli.register` (``init``, ``list``, ``edit``, ``history``,
``export``, ``backup``, ``restore``, ``api``), :mod:`~assetmap.cli.ingest`
(``import``, ``postcodes``, ``transit``, ``dedupe``), :mod:`~assetmap.cli.people`
(``user``, ``plan-export``, ``erase``, ``purge``, ``scrub``, ``fund``,
``evaluate``), :mod:`~assetmap.cli.reach` (``find``, ``areas``, ``coverage``,
``reach``, ``sites``) and :mod:`~assetmap.cli.app` (``demo``, ``app``). Each
adds its commands with ``add_parsers(sub)``; a command is a function
``_cmd_<name>(args) -> int``. Errors from the core
(:class:`~assetmap.errors.AssetMapError`) become one line on stderr and exit
code 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from assetmap.cli import app, ingest, people, reach, register
from assetmap.cli.common import Handler, echo
from assetmap.errors import AssetMapError
from assetmap.private_files import restrict_umask

__all__ = ["main"]

#: The areas in the order ``assetmap --help`` lists their commands.
_AREAS = (register, ingest, people, reach, app)


def _build_parser() -> argparse.ArgumentParser:
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
    for area in _AREAS:
        area.add_parsers(sub)
    return parser


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
        echo(f"assetmap: error: {exc}", stream=sys.stderr)
        return 1
    except KeyboardInterrupt:
        echo("assetmap: interrupted; nothing half-written was kept.", stream=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `assetmap find ... | head`: the reader has gone, not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush stays quiet
        return 0
