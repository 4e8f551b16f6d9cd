"""Backup and restore: the restored workspace is exactly the one backed up."""

from __future__ import annotations

import json
import subprocess
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import text

from assetmap import backup as backup_module
from assetmap.access import Principal, Role
from assetmap.backup import backup_workspace, read_manifest, restore_workspace
from assetmap.errors import WorkspaceError
from assetmap.reach.network import WalkNetwork, load_network, save_network
from assetmap.store import Store
from assetmap.workspace import Workspace, create_workspace, open_workspace

ADMIN = Principal("ada", Role.ADMIN)

LIB = {"name": "Oakham Library", "lon": -0.7271, "lat": 52.6703, "categories": ["library"]}
FOOD = LIB | {"name": "Uppingham Food Bank", "lon": -0.7231, "categories": ["food_support"]}


def _tables(store: Store) -> dict[str, list[Any]]:
    """Every row of the register's tables, in a fixed order (the thing to compare)."""
    queries = {
        "assets": "SELECT * FROM assets ORDER BY id",
        "records": "SELECT * FROM records ORDER BY entity, id",
        "history": "SELECT * FROM history ORDER BY seq",
        "asset_sources": "SELECT * FROM asset_sources ORDER BY source, source_id",
    }
    with store.engine.connect() as conn:
        return {
            name: [
                json.dumps(dict(r), default=str, sort_keys=True)
                for r in conn.execute(text(q)).mappings()
            ]
            for name, q in queries.items()
        }


def _network() -> WalkNetwork:
    return WalkNetwork(
        node_ids=np.array([11, 12, 13], dtype=np.int64),
        lon=np.array([-0.72, -0.721, -0.722]),
        lat=np.array([52.67, 52.671, 52.672]),
        edge_u=np.array([0, 1], dtype=np.int32),
        edge_v=np.array([1, 2], dtype=np.int32),
        length_m=np.array([130.5, 131.25]),
    )


@pytest.fixture
def workspace(workspace_path: Path) -> Workspace:
    ws = create_workspace(workspace_path, name="Rutland")
    store = ws.store()
    lib = store.add_asset(LIB, actor="ana", reason="known to the team")
    store.add_asset(FOOD, actor="ana", reason="known to the team")
    store.edit_asset(lib, {"phone": "01572 722918"}, expected_version=1, actor="sam", reason="rang")
    store.set_status(lib, "verified", expected_version=2, actor="sam", reason="visited")
    store.add_record(
        "gap", {"need": "housing", "lon": -0.7, "lat": 52.6}, actor="fran", reason="s1"
    )
    save_network(_network(), ws.network_path)
    return ws


def _change_everything(ws: Workspace) -> None:
    store = ws.store()
    lib = store.assets().set_index("name").at["Oakham Library", "id"]
    store.edit_asset(lib, {"phone": "999"}, expected_version=3, actor="eve", reason="after")
    store.add_asset(LIB | {"name": "Late addition"}, actor="eve", reason="after")
    ws.update_settings(name="Changed")
    ws.network_path.unlink()


def test_backup_then_restore_gives_back_exactly_what_was_there(
    workspace: Workspace, tmp_path: Path
) -> None:
    before = _tables(workspace.store())
    archive = backup_workspace(workspace, tmp_path / "rutland-backup", principal=ADMIN)
    assert archive == tmp_path / "rutland-backup.zip"
    manifest = read_manifest(archive)
    backend = workspace.store().backend
    register = "assetmap.sqlite" if backend == "sqlite" else "register.pgdump"
    assert sorted(manifest["files"]) == sorted([register, "network.npz", "workspace.json"])
    assert manifest["backend"] == backend

    _change_everything(workspace)
    assert _tables(workspace.store()) != before

    restored = restore_workspace(archive, tmp_path / "restored", principal=ADMIN)
    assert restored.path == tmp_path / "restored"
    assert _tables(restored.store()) == before
    assert restored.settings()["name"] == "Rutland"
    assert load_network(restored.network_path).length_m.tolist() == [130.5, 131.25]
    history = restored.store().asset_history(
        restored.store().assets().set_index("name").at["Oakham Library", "id"]
    )
    assert list(history["action"]) == ["create", "edit", "verify"]
    assert list(history["actor"]) == ["ana", "sam", "sam"]


def test_restore_over_the_workspace_itself_needs_force(
    workspace: Workspace, tmp_path: Path
) -> None:
    before = _tables(workspace.store())
    archive = backup_workspace(
        workspace, tmp_path, principal=ADMIN
    )  # a folder: a dated file inside it
    assert archive.parent == tmp_path
    assert archive.name.startswith("assetmap-backup-")
    _change_everything(workspace)
    with pytest.raises(WorkspaceError, match="is not empty; restore into a new folder"):
        restore_workspace(archive, workspace.path, principal=ADMIN)
    restored = restore_workspace(archive, workspace.path, force=True, principal=ADMIN)
    assert _tables(restored.store()) == before
    assert _tables(open_workspace(workspace.path).store()) == before
    assert restored.network_path.is_file()
    assert restored.settings()["name"] == "Rutland"


def test_a_workspace_without_a_network_restores_without_one(
    workspace: Workspace, tmp_path: Path
) -> None:
    workspace.network_path.unlink()
    archive = backup_workspace(workspace, tmp_path / "b.zip", principal=ADMIN)
    assert "network.npz" not in read_manifest(archive)["files"]
    assert not restore_workspace(archive, tmp_path / "r", principal=ADMIN).network_path.exists()


def test_a_backup_taken_while_someone_writes_is_consistent(
    workspace: Workspace, tmp_path: Path
) -> None:
    store = workspace.store()
    stop = threading.Event()
    written: list[str] = []
    failures: list[BaseException] = []

    def writer() -> None:
        try:
            i = 0
            while not stop.is_set() or i < 20:
                aid = store.add_asset(LIB | {"name": f"Busy {i}"}, actor="w", reason="load")
                store.edit_asset(aid, {"phone": str(i)}, expected_version=1, actor="w", reason="x")
                written.append(aid)
                i += 1
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    while len(written) < 5 and thread.is_alive():
        time.sleep(0.005)
    archive = backup_workspace(workspace, tmp_path / "busy.zip", principal=ADMIN)
    stop.set()
    thread.join(timeout=60)
    assert failures == []
    n_written = len(written)

    restored = restore_workspace(archive, tmp_path / "restored", principal=ADMIN)
    rstore = restored.store()
    assets = rstore.assets()
    busy = assets[assets["name"].str.startswith("Busy ")]
    assert 5 <= len(busy) <= n_written
    # One committed state: every asset's history ends at its current version, with no gaps,
    # and the busy assets are a prefix of the writer's sequence.
    assert sorted(int(n.split()[1]) for n in busy["name"]) == list(range(len(busy)))
    for row in assets.itertuples():
        history = rstore.asset_history(row.id)
        assert list(history["version"]) == list(range(1, int(row.version) + 1))


def test_a_backup_holds_nothing_that_was_deleted_before_it(
    workspace: Workspace, tmp_path: Path
) -> None:
    marker = "MARKER-7f3c9e-erased-plan-note"
    store = workspace.store()
    rid = store.add_record("plan", {"note": marker * 20}, actor="sam", reason="x")
    with store.engine.begin() as conn:  # as an erasure would: gone from records and history
        conn.execute(text("DELETE FROM records WHERE id = :id"), {"id": rid})
        conn.execute(text("DELETE FROM history WHERE entity_id = :id"), {"id": rid})
    archive = backup_workspace(workspace, tmp_path / "after-erasure.zip", principal=ADMIN)
    with zipfile.ZipFile(archive) as zf:
        contents = [zf.read(name) for name in zf.namelist()]
        if store.backend == "postgresql":  # the custom format is compressed: read it as SQL
            dump = tmp_path / "dump"
            dump.write_bytes(zf.read("register.pgdump"))
            sql = subprocess.run(
                [backup_module._pg_tool("pg_restore"), "--file=-", str(dump)],
                capture_output=True,
                check=True,
            ).stdout
            assert b"Oakham Library" in sql  # the search would find it if it were there
            contents.append(sql)
    assert all(marker.encode() not in blob for blob in contents)


def test_a_damaged_backup_is_refused_before_anything_is_touched(
    workspace: Workspace, tmp_path: Path
) -> None:
    archive = backup_workspace(workspace, tmp_path / "b.zip", principal=ADMIN)
    with zipfile.ZipFile(archive) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    members["workspace.json"] = members["workspace.json"].replace(b"Rutland", b"Hacked!")
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(damaged, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(
        WorkspaceError, match=r"damaged: workspace.json does not match its checksum"
    ):
        restore_workspace(damaged, tmp_path / "r", principal=ADMIN)
    assert not (tmp_path / "r").exists()
    not_a_backup = tmp_path / "notes.zip"
    not_a_backup.write_bytes(b"PK not really")
    with pytest.raises(WorkspaceError, match="is not a readable assetmap backup"):
        restore_workspace(not_a_backup, tmp_path / "r", principal=ADMIN)


def test_a_backup_is_restored_only_into_the_same_kind_of_database(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = backup_workspace(workspace, tmp_path / "b.zip", principal=ADMIN)
    if workspace.store().backend == "sqlite":
        monkeypatch.setenv("ASSETMAP_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/x")
        match = "holds a SQLite register but ASSETMAP_DATABASE_URL points"
    else:
        monkeypatch.delenv("ASSETMAP_DATABASE_URL")
        match = "holds a PostgreSQL register: set ASSETMAP_DATABASE_URL"
    with pytest.raises(WorkspaceError, match=match):
        restore_workspace(archive, tmp_path / "r", principal=ADMIN)


def test_backing_up_to_a_missing_folder_says_so(workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="does not exist"):
        backup_workspace(workspace, tmp_path / "no" / "such" / "b.zip", principal=ADMIN)
    assert sorted(p.name for p in tmp_path.rglob("*.zip")) == []


def test_the_command_line_backs_up_and_restores(
    workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from assetmap.cli import main

    before = _tables(workspace.store())
    archive = tmp_path / "cli.zip"
    assert main(["backup", str(workspace.path), str(archive)]) == 0
    assert capsys.readouterr().out == f"Backed up {workspace.path} to {archive}\n"
    _change_everything(workspace)
    assert main(["restore", str(archive), str(workspace.path)]) == 1
    assert "is not empty" in capsys.readouterr().err
    assert main(["restore", str(archive), str(workspace.path), "--force"]) == 0
    assert capsys.readouterr().out == f"Restored {archive} into {workspace.path}\n"
    assert _tables(workspace.store()) == before


def _timetable_zip(folder: Path) -> Path:
    """A two-stop bus feed on the test network (one trip at 08:00)."""
    files = {
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n"
        "X,Test,http://x,Europe/London\n",
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n"
        "A,Market Place,52.67,-0.72\nB,High Street,52.672,-0.722\n",
        "routes.txt": "route_id,route_short_name,route_type\n19,19,3\n",
        "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
        "start_date,end_date\nwk,1,1,1,1,1,0,0,20240101,20241231\n",
        "trips.txt": "route_id,service_id,trip_id\n19,wk,T1\n",
        "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
        "T1,08:00:00,08:00:00,A,1\nT1,08:04:00,08:04:00,B,2\n",
    }
    path = folder / "feed.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return path


def test_the_timetable_and_cycling_network_go_into_the_backup_and_come_back(
    workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from support import run_cli

    from assetmap.reach.cycle import CycleNetwork, load_cycle_network, save_cycle_network
    from assetmap.transit_service import workspace_timetable

    save_cycle_network(
        CycleNetwork(network=_network(), stress=np.array([True, False])), workspace.cycle_path
    )
    code, _, err = run_cli(capsys, "transit", str(workspace.path), str(_timetable_zip(tmp_path)))
    assert code == 0, err
    stored = {name: (workspace.path / name).read_bytes() for name in ("timetable.npz", "cycle.npz")}
    archive = tmp_path / "with-transit.zip"
    assert run_cli(capsys, "backup", str(workspace.path), str(archive))[0] == 0
    assert {"timetable.npz", "cycle.npz"} <= set(read_manifest(archive)["files"])

    restored_path = tmp_path / "restored"
    assert run_cli(capsys, "restore", str(archive), str(restored_path))[0] == 0
    for name, data in stored.items():
        assert (restored_path / name).read_bytes() == data, name
    restored = open_workspace(restored_path)
    timetable = workspace_timetable(restored)
    assert timetable.stop_name.tolist() == ["Market Place", "High Street"]
    assert timetable.route_name.tolist() == ["19"]
    assert load_cycle_network(restored.cycle_path).stress.tolist() == [True, False]

    # A backup without them, restored over the workspace, leaves none behind.
    (workspace.path / "timetable.npz").unlink()
    workspace.cycle_path.unlink()
    plain = backup_workspace(workspace, tmp_path / "plain.zip", principal=ADMIN)
    restore_workspace(plain, restored_path, principal=ADMIN, force=True)
    assert not (restored_path / "timetable.npz").exists()
    assert not (restored_path / "cycle.npz").exists()
