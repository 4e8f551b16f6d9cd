"""Test support: paths to the real, read-only data in ``../shared/data`` and
small helpers.

A plain module (not ``conftest``) so test files can import it by name:
pytest gives every ``conftest.py`` the same module name, so importing
constants from one is ambiguous once a subfolder has its own.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from assetmap.ingest.osm import OsmExtract
    from assetmap.store import Store
    from assetmap.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
#: The real data folder beside the checkout; ASSETMAP_SHARED_DATA points elsewhere (e.g.
#: ``/nonexistent`` to check that the suite skips, not fails, without it).
SHARED_DATA = Path(os.environ.get("ASSETMAP_SHARED_DATA") or ROOT.parent / "shared" / "data")
#: Skip a test (or, as ``pytestmark``, a module) that reads ``../shared/data`` when it is absent.
needs_shared_data = pytest.mark.skipif(
    not SHARED_DATA.is_dir(), reason=f"needs the shared data folder {SHARED_DATA}"
)


def skip_without_shared_data() -> None:
    """In a fixture: skip every test that uses it when ``../shared/data`` is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"needs the shared data folder {SHARED_DATA}")


#: The Rutland bundle that ships in the package (the same extract as ../shared's copy).
RUTLAND_BUNDLE = ROOT / "assetmap" / "data" / "demo" / "rutland"
RUTLAND_PBF = RUTLAND_BUNDLE / "rutland-latest.osm.pbf"
LEEDS_OSM = SHARED_DATA / "osm-street-snippets-uk" / "leeds_city_centre.osm"
STRETFORD_OSM = SHARED_DATA / "osm-street-snippets-uk" / "manchester_kingsway_junction.osm"


def use_database_for_workspace(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point new workspaces at ``url`` (PostgreSQL) or at their own SQLite file."""
    if url.startswith("postgresql"):
        monkeypatch.setenv("ASSETMAP_DATABASE_URL", url)
    else:
        monkeypatch.delenv("ASSETMAP_DATABASE_URL", raising=False)


def serve_app_from(
    monkeypatch: pytest.MonkeyPatch, database_url: str, workspace: str | Path | None = None
) -> None:
    """Set the app's environment: offline, registers in ``database_url``, serving ``workspace``.

    No tiles and no workspace from the caller's environment; empty data caches.
    ``workspace`` None leaves ``ASSETMAP_WORKSPACE`` unset (the test sets it).
    """
    import streamlit as st

    for name in ("ASSETMAP_WORKSPACE", "ASSETMAP_TILES", "ASSETMAP_TILES_ATTRIBUTION"):
        monkeypatch.delenv(name, raising=False)
    use_database_for_workspace(database_url, monkeypatch)
    if workspace is not None:
        monkeypatch.setenv("ASSETMAP_WORKSPACE", str(workspace))
    st.cache_data.clear()


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``assetmap ARGS`` in-process as actor ``tester``; return (exit code, stdout, stderr)."""
    from assetmap.cli import main

    code = main(["--no-progress", "--actor", "tester", *args])
    out, err = capsys.readouterr()
    return code, out, err


@contextlib.contextmanager
def rutland_cli_workspace(
    folder: Path, database_url: str, *then: Sequence[str], extract: OsmExtract | None = None
) -> Iterator[Path]:
    """Build a workspace from the Rutland extract with ``assetmap init``, then run ``then``.

    Each of ``then`` is a command whose first argument, the workspace, is filled
    in (e.g. ``("postcodes", FILE)``). Given the session's parsed ``extract``
    (the ``rutland_extract`` fixture), the workspace is made from it as
    :func:`import_rutland` does instead of ``init`` parsing the file again.
    Yields the workspace path; closes its stores after.
    """
    from assetmap.cli import main
    from assetmap.workspace import close_stores

    with pytest.MonkeyPatch.context() as mp:
        use_database_for_workspace(database_url, mp)
        ws = folder / "ws"
        if extract is not None:
            import_rutland(ws, extract)
        else:
            assert main(["--no-progress", "init", str(ws), "--osm", str(RUTLAND_PBF)]) == 0
        for command, *rest in then:
            assert main(["--no-progress", command, str(ws), *rest]) == 0
        yield ws
        close_stores()


def import_rutland(folder: Path, extract: OsmExtract) -> Workspace:
    """Make a Rutland workspace from the session's parsed extract, as ``import_osm`` would.

    The same settings and history as ``import_osm(folder, RUTLAND_PBF)``, without
    parsing the file again (the ``rutland_extract`` fixture parses it once).
    """
    from assetmap.workspace import import_osm_extract

    own = dataclasses.replace(extract, assets=extract.assets.copy())
    return import_osm_extract(
        folder, own, origin=str(RUTLAND_PBF.resolve()),
        reason=f"OpenStreetMap import from {RUTLAND_PBF.name}",
    ).workspace  # fmt: skip


def grant_that_became(
    store: Store, session_id: str, asset_id: str, *, what: str = "Bike club"
) -> str:
    """Run a shared grant through the core: a gap and idea in the session, a fund, an
    application, its approval by an approver, and its result: ``asset_id``. Return the grant id.
    """
    import datetime as dt

    from assetmap.access import Principal, Role
    from assetmap.people import funds, grants, sessions

    fran = Principal("fran", Role.FACILITATOR)
    today = dt.date.today()
    fund = funds.create_fund(
        store,
        {"name": "Enabling fund", "holder": "Probation", "budget": "2000",
         "start": today - dt.timedelta(days=1), "end": today + dt.timedelta(days=60)},
        principal=Principal("ada", Role.ADMIN),
    )  # fmt: skip
    gap = sessions.add_gap(store, session_id, {"need": "ete", "area": "LE15 6"}, principal=fran)
    idea = sessions.add_idea(store, session_id, gap, principal=fran, what=f"A {what.lower()}")
    grant = grants.apply_for_grant(
        store, idea, fund["id"], what=what, for_whom="people on probation",
        lines=[{"item": "tools", "amount": "200"}], people=5, principal=fran,
    )  # fmt: skip
    grants.decide_grant(store, grant["id"], approve=True, principal=Principal("abi", Role.APPROVER))
    grants.record_grant_result(
        store, grant["id"], principal=fran, spent="200", evidence="receipts", became=asset_id
    )
    return str(grant["id"])
