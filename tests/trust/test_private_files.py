"""Workspace files, backups and exports are created owner-only: files 0600, folders 0700.

Run under a permissive umask (022, the usual default) so the modes come from
assetmap, not from the test process; then again through the command line.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import LEEDS_OSM, needs_shared_data, run_cli, use_database_for_workspace

from assetmap.access import Principal, Role
from assetmap.backup import backup_workspace, restore_workspace
from assetmap.output.export import export_register
from assetmap.output.export_hsds import write_hsds
from assetmap.workspace import close_stores, create_workspace, import_osm

ADMIN = Principal("ada", Role.ADMIN)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _everything_under(folder: Path) -> dict[str, int]:
    found = {".": _mode(folder)}
    for path in folder.rglob("*"):
        found[str(path.relative_to(folder))] = _mode(path)
    return found


def _loose(modes: dict[str, int], base: Path) -> dict[str, str]:
    """Entries that anyone but the owner could read, write or enter."""
    return {
        name: oct(mode)
        for name, mode in modes.items()
        if mode & 0o077 or mode != (0o700 if (base / name).is_dir() else 0o600)
    }


@needs_shared_data
def test_a_workspace_its_backup_restore_and_exports_are_owner_only(
    tmp_path, database_url, monkeypatch, permissive_umask
):
    use_database_for_workspace(database_url, monkeypatch)
    ws = import_osm(tmp_path / "ws", LEEDS_OSM).workspace
    assets = ws.store().assets()
    assert _loose(_everything_under(ws.path), ws.path) == {}

    exports = tmp_path / "exports"
    exports.mkdir()
    written = [
        export_register(assets, exports / "a.csv", fmt="csv"),
        export_register(assets, exports / "a.geojson", fmt="geojson"),
        export_register(assets, exports / "a.gpkg", fmt="gpkg"),
        write_hsds(assets, exports / "hsds.zip"),
        backup_workspace(ws, tmp_path / "backup.zip", principal=ADMIN),
    ]
    assert {p.name: oct(_mode(p)) for p in written} == {p.name: "0o600" for p in written}
    folder = write_hsds(assets, exports / "hsds")
    assert _loose(_everything_under(folder), folder) == {}
    close_stores()

    restored = restore_workspace(tmp_path / "backup.zip", tmp_path / "restored", principal=ADMIN)
    assert _loose(_everything_under(restored.path), restored.path) == {}
    close_stores()


@needs_shared_data
def test_the_command_line_writes_owner_only_files(
    tmp_path, database_url, monkeypatch, capsys, permissive_umask
):
    use_database_for_workspace(database_url, monkeypatch)
    ws = tmp_path / "cli-ws"
    assert run_cli(capsys, "init", str(ws), "--osm", str(LEEDS_OSM))[0] == 0
    out = tmp_path / "out"
    out.mkdir()
    csv_out = str(out / "r.csv")
    assert run_cli(capsys, "export", str(ws), "--format", "csv", "--out", csv_out)[0] == 0
    assert run_cli(capsys, "backup", str(ws), str(out / "b.zip"))[0] == 0
    assert _loose(_everything_under(ws), ws) == {}
    assert {oct(_mode(p)) for p in out.iterdir()} == {"0o600"}
    close_stores()
    workspace = create_workspace(tmp_path / "made-later")  # the CLI left the umask at 077
    assert _mode(workspace.path) == 0o700
