"""The commands that start something: ``demo`` (a workspace) and ``app`` (the server)."""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from assetmap.cli.common import CoreChoices, Progress, Subparsers, echo, print_init
from assetmap.errors import AssetMapError

__all__ = ["add_parsers"]

DEMO_ACTOR = "assetmap-demo"


def _app_file() -> Path:
    """Return the Streamlit entry script: beside the package in a checkout, else installed.

    Streamlit finds the pages (``app/pages/...``) and serves ``static/`` (the
    vendored Leaflet) relative to the entry script's folder. In a checkout that
    is the project root; for an installed wheel, a private folder of links to the
    installed ``streamlit_app.py``, ``app`` package and ``app/static`` stands in.
    """
    beside = Path(__file__).resolve().parents[2] / "streamlit_app.py"
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


def _cmd_demo(args: argparse.Namespace) -> int:
    from assetmap.demo import build_demo

    region = "helsinki" if args.helsinki else args.region
    progress = Progress(args.progress)
    try:
        result = build_demo(
            args.workspace, region=region, osm=args.osm, actor=DEMO_ACTOR, progress=progress
        )
    finally:
        progress.close()
    print_init(result.init)
    if result.postcodes:
        echo(
            f"Postcodes: {result.postcodes:,}; areas: {result.areas} LSOAs "
            f"({result.areas_with_imd} with IMD 2019 scores)"
        )
    if result.transit:
        echo(result.transit)
    if result.seeded:
        examples = ", ".join(f"{kind} {n}" for kind, n in result.seeded.items())
        echo(f"Fictional examples: {examples}")
    if region == "rutland" and args.osm is None:
        echo("Data: (c) OpenStreetMap contributors (ODbL); OS Code-Point Open, ONS boundaries,")
        echo("IMD 2019 (Open Government Licence) - see assetmap/data/demo/rutland/ATTRIBUTION.md")
    echo(f"\nOpen the app with:\n  assetmap app {result.init.workspace.path}")
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
    echo(f"Serving assetmap for {workspace.path} at http://{args.address}:{args.port} ({mode})")
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


def _demo_regions() -> tuple[str, ...]:
    from assetmap.demo import DEMO_REGIONS

    return DEMO_REGIONS


def add_parsers(sub: Subparsers) -> None:
    """Add the app commands."""
    p = sub.add_parser(
        "demo", help="build a demo workspace offline (Rutland: postcodes, LSOAs, IMD, examples)"
    )
    p.add_argument("workspace", nargs="?", default="demo-workspace")
    p.add_argument(
        "--region",
        choices=CoreChoices(_demo_regions),
        default="rutland",
        metavar="REGION",
        help="%(choices)s (default %(default)s)",
    )
    p.add_argument("--helsinki", action="store_true", help="the Helsinki demo (--region helsinki)")
    p.add_argument("--osm", help="use this OSM file instead of the bundled extract")
    p.set_defaults(handler=_cmd_demo)

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
