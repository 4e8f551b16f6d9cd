"""The command line's privacy commands: purge (with a dry run), plan-export, erase and scrub."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assetmap.cli import main
from assetmap.people.privacy import PLAN_ENTITY
from assetmap.store import store as store_module
from assetmap.workspace import Workspace, create_workspace

MARKER = "QZXCLIGOAL"


@pytest.fixture
def workspace(workspace_path: Path) -> Workspace:
    ws = create_workspace(workspace_path, name="Rutland")
    store = ws.store()
    for reference, status, closed_on in [
        ("OLD-1", "closed", "2000-01-31"),
        ("NOW-1", "open", None),
    ]:
        store.add_record(
            PLAN_ENTITY,
            {
                "reference": reference,
                "owner": "sam",
                "home_area": "LE15",
                "goals": [f"goal {MARKER}"],
                "constraints": {},
                "status": status,
                "closed_on": closed_on,
            },
            actor="sam",
            reason="new plan",
        )
    return ws


def test_purge_dry_run_lists_and_purge_erases(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["purge", str(workspace.path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Would erase 1 plan(s) closed on or before ")
    assert out.endswith("(retention 24 months)\n  OLD-1\n")
    assert main(["purge", str(workspace.path)]) == 0
    assert capsys.readouterr().out.startswith("Erased 1 plan(s)")
    statuses = sorted(workspace.store().records(PLAN_ENTITY)["status"])
    assert statuses == ["erased", "open"]


def test_plan_export_then_erase(
    workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "now-1.json"
    assert main(["plan-export", str(workspace.path), "now-1", "--out", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert (data["reference"], data["plans"][0]["goals"]) == ("NOW-1", [f"goal {MARKER}"])
    assert main(["erase", str(workspace.path), "NOW-1", "--reason", "erasure request"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "Erased 1 plan(s) and 0 referral(s) (1 history rows overwritten); "
        "an audit line records the erasure"
    )
    assert main(["erase", str(workspace.path), "NOW-1", "--reason", "again"]) == 1
    err = capsys.readouterr().err
    assert err == "assetmap: error: No plan has that reference (it may have been erased).\n"
    assert main(["scrub", str(workspace.path)]) == 0
    assert capsys.readouterr().out == "No erased content is left in the database files\n"


def test_erase_with_a_reader_open_fails_loudly_and_scrub_finishes(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "SCRUB_TRIES", 2)
    monkeypatch.setattr(store_module, "SCRUB_WAIT_MS", 200)
    reader = workspace.store().engine.connect()  # e.g. the app, in the middle of a page
    reader.exec_driver_sql("SELECT count(*) FROM records").scalar_one()
    try:
        assert main(["erase", str(workspace.path), "NOW-1", "--reason", "erasure request"]) == 1
        err = capsys.readouterr().err
        assert err.startswith("assetmap: error: The content is erased from the register, but ")
        assert "`assetmap scrub WORKSPACE`" in err
        assert main(["scrub", str(workspace.path)]) == 1  # still held
    finally:
        reader.close()
    capsys.readouterr()
    assert main(["scrub", str(workspace.path)]) == 0
    assert capsys.readouterr().out == "No erased content is left in the database files\n"
