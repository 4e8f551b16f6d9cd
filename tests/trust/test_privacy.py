"""Personal data in plans: export, erasure (no trace in files, history or backups), retention
purges, small-count suppression and nothing personal in logs or error messages."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import sqlite3
import subprocess
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import text

from assetmap.access import Principal, Role
from assetmap.backup import _pg_args, _pg_tool, backup_workspace
from assetmap.disclosure import suppress_small_counts
from assetmap.errors import (
    AccessDeniedError,
    AssetMapError,
    NotFoundError,
    SchemaError,
    StoreError,
)
from assetmap.people.privacy import (
    DEFAULT_RETENTION_MONTHS,
    HIDDEN,
    PLAN_ENTITY,
    REFERRAL_ENTITY,
    erase_plan,
    expired_plans,
    export_plan_data,
    plan_counts,
    purge_expired_plans,
    retention_months,
    set_retention_months,
)
from assetmap.store import Store
from assetmap.store import store as store_module
from assetmap.workspace import Workspace, create_workspace

ADMIN = Principal("ada", Role.ADMIN)

MARKER = "QZXMARKERGOAL"  # in the goals: must vanish on erasure
AREA = "Quxwold QZXAREA"  # the coarse home area
SAM = Principal("sam", Role.STAFF)
OLGA = Principal("olga", Role.STAFF)
LEE = Principal("lee", Role.LEAD)
ADA = Principal("ada", Role.ADMIN)
GUEST = Principal("p-1234", Role.PARTICIPANT, session_id="s-1")
TODAY = dt.date(2026, 11, 24)


def _plan(reference: str, **extra: Any) -> dict[str, Any]:
    return {
        "reference": reference,
        "owner": "sam",
        "home_area": AREA,
        "home_lon": -0.72,
        "home_lat": 52.67,
        "goals": [f"stay sober {MARKER}", "find work"],
        "constraints": {"curfew": "19:00", "note": f"no buses {MARKER}"},
        "status": "open",
        "closed_on": None,
    } | extra


def _add_plan(store: Store, reference: str, **extra: Any) -> str:
    return store.add_record(PLAN_ENTITY, _plan(reference, **extra), actor="sam", reason="new plan")


def _refer(store: Store, plan_id: str, asset_id: str, *, reason: str) -> str:
    return store.add_record(
        REFERRAL_ENTITY,
        {
            "plan_id": plan_id,
            "asset_id": asset_id,
            "step": "goal-1",
            "on": "2026-10-01",
            "by": "sam",
            "reason": reason,
        },
        actor="sam",
        reason="referral",
    )


@pytest.fixture
def workspace(workspace_path: Path) -> Workspace:
    return create_workspace(workspace_path, name="Rutland")


@pytest.fixture
def plans(workspace: Workspace) -> dict[str, str]:
    """Two plans: REF-ZQ1 (edited once, two referrals) and REF-OK2 (someone else's story)."""
    store = workspace.store()
    first = _add_plan(store, "REF-ZQ1")
    store.edit_record(
        PLAN_ENTITY,
        first,
        {"goals": [f"stay sober {MARKER}", f"see family {MARKER}"]},
        expected_version=1,
        actor="sam",
        reason=f"goal added {MARKER}",
    )
    _refer(store, first, "asset-aa", reason=f"alcohol support {MARKER}")
    _refer(store, first, "asset-bb", reason="job club")
    second = store.add_record(
        PLAN_ENTITY,
        _plan("REF-OK2", home_area="Oakham", goals=["keep housing KEEPME"], constraints={}),
        actor="sam",
        reason="new plan",
    )
    _refer(store, second, "asset-aa", reason="housing KEEPME")
    return {"first": first, "second": second}


# ---------------------------------------------------------------------- raw bytes
def _raw_bytes(workspace: Workspace) -> bytes:
    """Every byte the database holds for this register (SQLite file + WAL, or PG files + dump)."""
    store = workspace.store()
    if store.backend == "sqlite":
        db = Path(store.engine.url.database or "")
        parts = [db, db.with_name(db.name + "-wal")]
        return b"".join(p.read_bytes() for p in parts if p.exists())
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("CHECKPOINT"))  # pages in shared buffers go to the files now
        data_dir = conn.execute(text("SHOW data_directory")).scalar_one()
        oid = conn.execute(
            text("SELECT oid FROM pg_database WHERE datname = current_database()")
        ).scalar_one()
    folder = Path(data_dir) / "base" / str(oid)
    files = b"".join(p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file())
    return files + _pg_dump_text(store.url).encode()


def _pg_dump_text(url: str) -> str:
    args, env = _pg_args(url)
    done = subprocess.run(
        [_pg_tool("pg_dump"), "--format=plain", *args], env=env, capture_output=True, check=True
    )
    return done.stdout.decode()


def _backup_bytes(archive: Path, tmp_path: Path) -> bytes:
    """The uncompressed content of every member of a backup (a PG dump restored to SQL text)."""
    out = []
    with zipfile.ZipFile(archive) as zf:
        for name in zf.namelist():
            data = zf.read(name)
            if name.endswith(".pgdump"):
                dump = tmp_path / "register.pgdump"
                dump.write_bytes(data)
                data = subprocess.run(
                    [_pg_tool("pg_restore"), "--file=-", str(dump)],
                    capture_output=True,
                    check=True,
                ).stdout
            out.append(data)
    return b"".join(out)


# ---------------------------------------------------------------------- export
def test_export_holds_the_plan_its_referrals_and_every_version(
    workspace: Workspace, plans: dict[str, str]
) -> None:
    when = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)
    data = export_plan_data(workspace.store(), "ref-zq1 ", principal=SAM, now=when)
    assert (data["format"], data["reference"], data["exported_at"]) == (
        "assetmap-plan-export",
        "REF-ZQ1",
        "2026-11-24T09:30:00+00:00",
    )
    [plan] = data["plans"]
    assert plan["id"] == plans["first"]
    assert plan["goals"] == [f"stay sober {MARKER}", f"see family {MARKER}"]
    assert sorted(r["asset_id"] for r in data["referrals"]) == ["asset-aa", "asset-bb"]
    versions = data["history"]["plan"][plans["first"]]
    assert [(v["version"], v["action"], v["reason"]) for v in versions] == [
        (1, "create", "new plan"),
        (2, "edit", f"goal added {MARKER}"),
    ]
    assert versions[0]["data"]["goals"] == [f"stay sober {MARKER}", "find work"]
    assert len(data["history"]["referral"]) == 2
    assert "KEEPME" not in json.dumps(data)  # nothing of the other plan
    json.dumps(data)  # JSON-ready


def test_export_is_refused_outside_the_caseload_and_to_leads_and_participants(
    workspace: Workspace, plans: dict[str, str]
) -> None:
    store = workspace.store()
    for who in (OLGA, LEE, GUEST):
        with pytest.raises(AccessDeniedError):
            export_plan_data(store, "REF-ZQ1", principal=who)
    assert export_plan_data(store, "REF-ZQ1", principal=ADA)["reference"] == "REF-ZQ1"


def test_a_malformed_or_unknown_reference_is_refused_without_echoing_it(
    workspace: Workspace, plans: dict[str, str]
) -> None:
    store = workspace.store()
    with pytest.raises(SchemaError) as bad:
        export_plan_data(store, "Jane Smith", principal=SAM)
    assert "Jane" not in str(bad.value)
    with pytest.raises(NotFoundError, match="No plan has that reference") as missing:
        erase_plan(store, "REF-NOPE", principal=ADA, reason="request")
    assert "REF-NOPE" not in str(missing.value)


# ---------------------------------------------------------------------- erasure
def test_erasure_removes_the_content_from_records_and_history_and_leaves_an_audit_line(
    workspace: Workspace, plans: dict[str, str]
) -> None:
    store = workspace.store()
    result = erase_plan(store, "REF-ZQ1", principal=SAM, reason="erasure request 24/11")
    assert (result.plan_ids, result.referrals, result.history_rows) == ((plans["first"],), 2, 4)
    assert store.get_record(PLAN_ENTITY, plans["first"])["erased"] is True
    history = store.history(PLAN_ENTITY, plans["first"])
    assert history["action"].tolist() == ["create", "edit", "erase"]
    assert history["reason"].tolist() == ["erased", "erased", "erasure request 24/11"]
    assert history["actor"].tolist() == ["sam", "sam", "sam"]
    assert all(d["data"] == {"erased": True, "status": "erased"} for d in history["data"])
    # the other plan is untouched, and the erased one is no longer found
    assert export_plan_data(store, "REF-OK2", principal=SAM)["plans"][0]["goals"] == [
        "keep housing KEEPME"
    ]
    with pytest.raises(NotFoundError):
        export_plan_data(store, "REF-ZQ1", principal=SAM)
    as_of = store.records(PLAN_ENTITY, as_of=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    assert MARKER not in as_of.to_json()


def test_erasure_leaves_no_trace_in_the_database_files_or_a_later_backup(
    workspace: Workspace, plans: dict[str, str], tmp_path: Path
) -> None:
    assert MARKER.encode() in _raw_bytes(workspace)  # the check can fail
    erase_plan(workspace.store(), "REF-ZQ1", principal=ADA, reason="erasure request")
    raw = _raw_bytes(workspace)
    assert MARKER.encode() not in raw
    assert b"REF-ZQ1" not in raw
    assert b"KEEPME" in raw  # the other plan is still there
    archive = backup_workspace(workspace, tmp_path / "after.zip", principal=ADMIN)
    held = _backup_bytes(archive, tmp_path)
    assert MARKER.encode() not in held
    assert b"REF-ZQ1" not in held
    assert b"KEEPME" in held


def _reading(store: Store, table: str = "assets") -> Any:
    """Another app server reading ``table`` inside a transaction (its snapshot held)."""
    reader = store.engine.connect()
    reader.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    reader.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()
    return reader


def test_only_readers_older_than_the_erasure_hold_it_up_on_postgresql(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = workspace.store()
    if store.backend != "postgresql":
        pytest.skip("SQLite's TRUNCATE checkpoint waits for every reader of the WAL")
    monkeypatch.setattr(store_module, "SCRUB_TRIES", 3, raising=False)
    monkeypatch.setattr(store_module, "SCRUB_WAIT_MS", 1000, raising=False)
    plan_id = _edited_plan(store, edits=3)
    old = _reading(store)
    store.erase_record(PLAN_ENTITY, plan_id, actor="ada", reason="erasure request", scrub=False)
    with ThreadPoolExecutor(max_workers=1) as pool:
        finishing = pool.submit(store.finish_erasure)
        time.sleep(0.3)  # its first try meets the old reader and waits a second
        old.close()
        new = _reading(store)  # began after: it cannot see the erased rows
        try:
            finishing.result(timeout=30)
        finally:
            new.close()
    assert MARKER.encode() not in _raw_bytes(workspace)


def test_a_reader_postgresql_does_not_list_still_stops_a_false_success(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """E.g. another role's session: pg_stat_activity hides its snapshot from us."""
    store = workspace.store()
    if store.backend != "postgresql":
        pytest.skip("PostgreSQL's VACUUM FULL report")
    monkeypatch.setattr(store_module, "SCRUB_TRIES", 2, raising=False)
    monkeypatch.setattr(store_module, "SCRUB_WAIT_MS", 200, raising=False)
    monkeypatch.setattr(
        store_module, "_SNAPSHOT_HOLDERS", text("SELECT 0 WHERE :since IS NOT NULL")
    )
    _edited_plan(store, edits=3)
    reader = _reading(store)
    try:
        with pytest.raises(StoreError, match="another program is still reading"):
            erase_plan(store, "REF-ED1", principal=ADA, reason="erasure request")
    finally:
        reader.close()
    store.finish_erasure()
    assert MARKER.encode() not in _raw_bytes(workspace)


@pytest.fixture
def upstream_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every new SQLite connection starts as upstream SQLite builds it: ``secure_delete`` off.

    (Debian's and Python's builds default to on, which would hide the problem.)
    """
    connect = sqlite3.dbapi2.connect

    def upstream_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)
        conn.execute("PRAGMA secure_delete=0")
        return conn

    monkeypatch.setattr(sqlite3.dbapi2, "connect", upstream_connect)


def _edited_plan(store: Store, edits: int) -> str:
    """A plan rewritten ``edits`` times, the marker in every version."""
    plan_id = _add_plan(store, "REF-ED1")
    for n in range(edits):
        store.edit_record(
            PLAN_ENTITY,
            plan_id,
            {
                "goals": [f"goal {n} {MARKER} " + "x" * (40 * n)],
                "constraints": {"note": f"edit {n} {MARKER}"},
            },
            expected_version=n + 1,
            actor="sam",
            reason="goals changed",
        )
    return plan_id


def _dump(store: Store) -> str:
    if store.backend == "postgresql":
        return _pg_dump_text(store.url)
    with sqlite3.connect(store.engine.url.database or "") as conn:
        return "\n".join(conn.iterdump())


def test_every_connection_zeroes_deleted_content_whatever_sqlite_was_built_with(
    upstream_sqlite: None, workspace_path: Path
) -> None:
    store = create_workspace(workspace_path, name="Rutland").store()
    if store.backend != "sqlite":
        pytest.skip("a SQLite setting")
    assert sqlite3.dbapi2.connect(":memory:").execute("PRAGMA secure_delete").fetchone() == (0,)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar_one() == 1


def test_a_plan_edited_many_times_leaves_no_trace_after_erasure(
    upstream_sqlite: None, workspace_path: Path, tmp_path: Path
) -> None:
    workspace = create_workspace(workspace_path, name="Rutland")
    store = workspace.store()
    _edited_plan(store, edits=5)
    _add_plan(store, "REF-OK2", goals=["keep housing KEEPME"], constraints={})
    assert MARKER.encode() in _raw_bytes(workspace)  # the check can fail
    erase_plan(store, "REF-ED1", principal=ADA, reason="erasure request")
    raw = _raw_bytes(workspace)
    assert MARKER.encode() not in raw
    assert b"REF-ED1" not in raw
    assert b"KEEPME" in raw
    if store.backend == "sqlite":
        wal = Path(f"{store.engine.url.database}-wal")
        assert not wal.exists() or wal.stat().st_size == 0
    dump = _dump(store)
    assert MARKER not in dump
    assert "KEEPME" in dump
    held = _backup_bytes(
        backup_workspace(workspace, tmp_path / "after.zip", principal=ADA), tmp_path
    )
    assert MARKER.encode() not in held
    assert b"KEEPME" in held


def _hold_a_read_snapshot(store: Store) -> Any:
    """Another program that began reading before the erasure and is still at it."""
    if store.backend == "sqlite":
        reader: Any = sqlite3.connect(store.engine.url.database or "", isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM records").fetchone()
        return reader
    return _reading(store, "records")


def test_erasure_does_not_report_success_while_a_reader_holds_old_pages(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "SCRUB_TRIES", 2, raising=False)
    monkeypatch.setattr(store_module, "SCRUB_WAIT_MS", 200, raising=False)
    store = workspace.store()
    _edited_plan(store, edits=3)
    reader = _hold_a_read_snapshot(store)
    try:
        with pytest.raises(StoreError, match="another program is still reading") as held:
            erase_plan(store, "REF-ED1", principal=ADA, reason="erasure request")
        assert "assetmap scrub" in str(held.value)
        assert MARKER.encode() in _raw_bytes(workspace)  # the failure was real
    finally:
        reader.close()
    # the register no longer holds it, and once the reader has gone scrub finishes the job
    assert store.records(PLAN_ENTITY)["status"].tolist() == ["erased"]
    store.finish_erasure()
    assert MARKER.encode() not in _raw_bytes(workspace)


def test_only_the_owner_or_an_admin_may_erase_and_a_reason_is_required(
    workspace: Workspace, plans: dict[str, str]
) -> None:
    store = workspace.store()
    for who in (OLGA, LEE, GUEST):
        with pytest.raises(AccessDeniedError):
            erase_plan(store, "REF-ZQ1", principal=who, reason="request")
    with pytest.raises(SchemaError, match="Say why"):
        erase_plan(store, "REF-ZQ1", principal=ADA, reason="  ")
    assert store.get_record(PLAN_ENTITY, plans["first"])["version"] == 2  # nothing changed


# ---------------------------------------------------------------------- retention
def _closed_plans(workspace: Workspace) -> None:
    store = workspace.store()
    _add_plan(store, "OLD-1", status="closed", closed_on="2024-11-24")  # exactly 24 months
    _add_plan(store, "OLD-2", status="closed", closed_on="2023-01-05")
    _add_plan(store, "RECENT-1", status="closed", closed_on="2024-11-25")
    _add_plan(store, "OPEN-1", status="open", closed_on=None)


def test_purge_dry_run_lists_closed_plans_past_retention_and_changes_nothing(
    workspace: Workspace,
) -> None:
    _closed_plans(workspace)
    assert retention_months(workspace) == DEFAULT_RETENTION_MONTHS == 24
    result = purge_expired_plans(workspace, principal=ADA, today=TODAY, dry_run=True)
    assert (result.references, result.cutoff, result.count) == (
        ("OLD-1", "OLD-2"),
        dt.date(2024, 11, 24),
        2,
    )
    assert len(expired_plans(workspace.store(), months=24, today=TODAY)) == 2


def test_purge_erases_exactly_the_expired_plans(workspace: Workspace) -> None:
    _closed_plans(workspace)
    purge_expired_plans(workspace, principal=ADA, today=TODAY)
    store = workspace.store()
    frame = store.records(PLAN_ENTITY)
    assert sorted(frame["status"].tolist()) == ["closed", "erased", "erased", "open"]
    assert sorted(frame["reference"].dropna().tolist()) == ["OPEN-1", "RECENT-1"]
    again = purge_expired_plans(workspace, principal=ADA, today=TODAY, dry_run=True)
    assert again.references == ()


def test_retention_is_a_setting_only_admins_change(workspace: Workspace) -> None:
    _closed_plans(workspace)
    with pytest.raises(AccessDeniedError):
        set_retention_months(workspace, 1, principal=SAM)
    with pytest.raises(SchemaError):
        set_retention_months(workspace, 0, principal=ADA)
    set_retention_months(workspace, 12, principal=ADA)
    assert retention_months(workspace) == 12
    result = purge_expired_plans(workspace, principal=ADA, today=TODAY, dry_run=True)
    assert result.references == ("OLD-1", "OLD-2", "RECENT-1")
    with pytest.raises(AccessDeniedError):
        purge_expired_plans(workspace, principal=SAM, today=TODAY, dry_run=True)


# ---------------------------------------------------------------------- suppression
def test_small_counts_are_shown_as_fewer_than_five() -> None:
    frame = pd.DataFrame({"area": ["A", "B", "C", "D"], "people": [0, 1, 4, 5]})
    out = suppress_small_counts(frame, ["people"])
    assert out["people"].tolist() == [0, "<5", "<5", 5]
    assert frame["people"].tolist() == [0, 1, 4, 5]  # a copy
    assert suppress_small_counts(frame, ["people"], threshold=2)["people"].tolist() == [
        0,
        "<2",
        4,
        5,
    ]
    with pytest.raises(SchemaError, match="whole, non-negative"):
        suppress_small_counts(pd.DataFrame({"people": [1.5]}), ["people"])


def test_leads_see_plan_counts_per_area_with_small_counts_suppressed(
    workspace: Workspace,
) -> None:
    store = workspace.store()
    for i in range(6):
        _add_plan(store, f"LE-{i:03d}", home_area="LE15")
    _add_plan(store, "PE-001", home_area="PE9", status="closed", closed_on="2026-01-01")
    _add_plan(store, "PE-002", home_area="PE9", status="closed", closed_on="2026-01-01")
    counts = plan_counts(store, principal=LEE)
    # with LE15's 6 and the 8 in all shown, PE9's 2 would be 8 - 6: the 6 is hidden too
    assert counts.to_dict("records") == [
        {"home_area": "LE15", "open": HIDDEN, "closed": 0, "total": HIDDEN},
        {"home_area": "PE9", "open": 0, "closed": "<5", "total": "<5"},
        {"home_area": "total", "open": HIDDEN, "closed": "<5", "total": 8},
    ]
    assert all(len(values) > 1 for values in _consistent_values(counts).values())
    with pytest.raises(AccessDeniedError):
        plan_counts(store, principal=SAM)


def _plans_in(store: Store, area: str, *, open_: int, closed: int, at: dt.datetime) -> None:
    for i in range(open_ + closed):
        status = "open" if i < open_ else "closed"
        store.add_record(
            PLAN_ENTITY,
            _plan(f"{area[:2]}-{status[0].upper()}{i:02d}", home_area=area, status=status),
            actor="sam",
            reason="new plan",
            at=at,
        )


def _consistent_values(
    frame: pd.DataFrame, *, threshold: int = 5
) -> dict[tuple[int, str], set[int]]:
    """Every value each ``<5`` cell can take, given everything else the table shows.

    An attacker's view: ``<5`` is 1 to 4, ``hidden`` is ``threshold`` or more
    (small ones are shown as ``<5``), rows add up to ``total`` and the
    ``total`` row adds up the others.
    """
    grid = frame[["open", "closed", "total"]].to_numpy(dtype=object)
    unknown = [
        (i, j) for i in range(grid.shape[0]) for j in range(3) if isinstance(grid[i, j], str)
    ]
    ranges = [
        range(1, threshold) if grid[c] == f"<{threshold}" else range(threshold, 30) for c in unknown
    ]
    seen: dict[tuple[int, str], set[int]] = {
        (i, ["open", "closed", "total"][j]): set() for i, j in unknown if grid[i, j].startswith("<")
    }
    for values in itertools.product(*ranges):
        full = grid.copy()
        for cell, value in zip(unknown, values, strict=True):
            full[cell] = value
        rows_add_up = all(full[i, 0] + full[i, 1] == full[i, 2] for i in range(grid.shape[0]))
        cols_add_up = all(sum(full[:-1, j]) == full[-1, j] for j in range(3))
        if rows_add_up and cols_add_up:
            for i, j in unknown:
                if (i, ["open", "closed", "total"][j]) in seen:
                    seen[(i, ["open", "closed", "total"][j])].add(int(full[i, j]))
    return seen


def test_a_total_never_gives_away_a_suppressed_count(workspace: Workspace) -> None:
    """7 open and 2 closed make 9: with the 7 and the 9 shown, the 2 would be plain."""
    naive = pd.DataFrame({"open": [7, 7], "closed": ["<5", "<5"], "total": [9, 9]})
    assert _consistent_values(naive)[(0, "closed")] == {2}  # the check can fail
    store = workspace.store()
    when = dt.datetime(2026, 3, 10, tzinfo=dt.UTC)
    _plans_in(store, "LE15 6", open_=7, closed=2, at=when)
    counts = plan_counts(store, principal=LEE, by="area")
    assert counts.to_dict("records") == [
        {"home_area": "LE15 6", "open": HIDDEN, "closed": "<5", "total": 9},
        {"home_area": "total", "open": HIDDEN, "closed": "<5", "total": 9},
    ]
    _plans_in(store, "PE9 1", open_=6, closed=0, at=when)
    counts = plan_counts(store, principal=LEE, by="home_area")
    assert counts.to_dict("records") == [
        {"home_area": "LE15 6", "open": HIDDEN, "closed": "<5", "total": 9},
        {"home_area": "PE9 1", "open": 6, "closed": 0, "total": 6},
        {"home_area": "total", "open": HIDDEN, "closed": "<5", "total": 15},
    ]
    assert all(len(values) > 1 for values in _consistent_values(counts).values())
    by_status = plan_counts(store, principal=LEE, by="status")
    assert by_status.to_dict("records") == [
        {"status": "open", "plans": HIDDEN},
        {"status": "closed", "plans": "<5"},
        {"status": "total", "plans": 15},
    ]
    by_month = plan_counts(store, principal=LEE, by="month")
    assert by_month["month"].tolist() == ["2026-03", "total"]
    assert by_month.iloc[0].tolist()[1:] == [HIDDEN, "<5", 15]


@pytest.mark.parametrize(
    ("opened", "closed"),
    [((7, 6, 3), (2, 0, 4)), ((1, 8, 5), (1, 3, 9)), ((9, 0, 2), (0, 3, 1))],
)
def test_no_small_count_can_be_worked_out_from_the_rest_of_the_table(
    workspace: Workspace, opened: tuple[int, ...], closed: tuple[int, ...]
) -> None:
    store = workspace.store()
    when = dt.datetime(2026, 3, 10, tzinfo=dt.UTC)
    for area, n_open, n_closed in zip(("LE15 6", "LE15 7", "PE9 1"), opened, closed, strict=True):
        _plans_in(store, area, open_=n_open, closed=n_closed, at=when)
    counts = plan_counts(store, principal=LEE)
    possible = _consistent_values(counts)
    assert possible  # there are small counts to protect
    assert all(len(values) > 1 for values in possible.values()), possible


@pytest.mark.parametrize("by", ["goals", "reference", "constraints", "owner", "closed_on", ""])
def test_plan_counts_refuse_groupings_by_content(workspace: Workspace, by: str) -> None:
    _add_plan(workspace.store(), "REF-ZQ1")
    with pytest.raises(SchemaError, match="only by status, month") as refused:
        plan_counts(workspace.store(), principal=LEE, by=by)
    assert MARKER not in str(refused.value)


# ---------------------------------------------------------------------- logs and messages
def test_plan_operations_never_put_personal_content_in_logs_or_errors(
    workspace: Workspace, plans: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    store = workspace.store()
    caplog.set_level(logging.DEBUG)
    messages: list[str] = []
    export_plan_data(store, "REF-ZQ1", principal=SAM)
    plan_counts(store, principal=LEE)
    attempts = [
        lambda: export_plan_data(store, "REF-ZQ1", principal=OLGA),
        lambda: export_plan_data(store, "REF-ZQ1", principal=LEE),
        lambda: erase_plan(store, "REF-ZQ1", principal=GUEST, reason="x"),
        lambda: erase_plan(store, "QZXAREA", principal=ADA, reason="x"),
        lambda: store.get_record(PLAN_ENTITY, "no-such-id"),
        lambda: store.edit_record(
            PLAN_ENTITY, plans["first"], {"goals": []}, expected_version=1, actor="x", reason="x"
        ),
    ]
    for attempt in attempts:
        with pytest.raises(AssetMapError) as info:
            attempt()
        messages.append(str(info.value))
    erase_plan(store, "REF-ZQ1", principal=ADA, reason="erasure request")
    purge_expired_plans(workspace, principal=ADA, today=TODAY)
    assert len(messages) == len(attempts)
    assert caplog.records  # the operations did log
    for text_ in [caplog.text, *messages]:
        assert MARKER not in text_
        assert "QZXAREA" not in text_
        assert "Quxwold" not in text_
