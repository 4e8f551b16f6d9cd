"""The `assetmap` command line over real OSM data: init, export, edit, history, bad input."""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support import (
    LEEDS_OSM,
    RUTLAND_PBF,
    needs_shared_data,
    rutland_cli_workspace,
    skip_without_shared_data,
)
from support import run_cli as run

from assetmap.cli import main
from assetmap.reach.network import load_network
from assetmap.workspace import open_workspace


@pytest.fixture(scope="module")
def rutland(
    tmp_path_factory: pytest.TempPathFactory, new_database_url: Callable[[], str]
) -> Iterator[Path]:
    """A workspace built from the whole Rutland extract, shared by this module."""
    with rutland_cli_workspace(tmp_path_factory.mktemp("rutland"), new_database_url()) as ws:
        yield ws


def test_init_rutland_exports_community_assets_each_with_a_category(
    rutland: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "r.geojson"
    code, out, _ = run(
        capsys, "export", str(rutland), "--format", "geojson", "--out", str(out_file)
    )
    assert code == 0
    features = json.loads(out_file.read_text())["features"]
    assert all(f["properties"]["categories"] for f in features)
    by_category: dict[str, set[str]] = {}
    for f in features:
        for c in f["properties"]["categories"]:
            by_category.setdefault(c, set()).add(f["properties"]["name"])
    assert {"Rutland County Library", "Uppingham Library"} <= by_category["library"]
    assert len(by_category["community_centre"]) >= 20
    assert any("Village Hall" in n for n in by_category["community_centre"])
    assert any("Stocken" in n for n in by_category["justice"])
    assert len(by_category["faith_community"]) >= 40
    assert len(by_category["pharmacy"]) >= 3
    assert len(by_category["gp_health"]) >= 3
    assert "social_care" in by_category or "social_facility" in by_category
    assert {f["properties"]["source"] for f in features} == {"osm"}
    assert f"Wrote {len(features):,} assets" in out


def test_init_rutland_saves_the_walking_network(rutland: Path) -> None:
    network = load_network(open_workspace(rutland).network_path)
    assert 35_000 <= network.n_nodes <= 45_000
    assert network.n_edges >= network.n_nodes * 0.95


def test_reimporting_the_same_extract_changes_nothing(
    rutland: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "init", str(rutland), "--osm", str(RUTLAND_PBF))
    assert code == 0
    assert "0 new, 0 updated" in out
    assert "0 archived" in out


@pytest.fixture
def leeds(workspace_path: Path) -> Path:
    skip_without_shared_data()
    assert main(["--no-progress", "init", str(workspace_path), "--osm", str(LEEDS_OSM)]) == 0
    return workspace_path


def test_export_as_of_returns_the_state_before_an_edit_and_an_archive(
    leeds: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = open_workspace(leeds).store()
    assets = store.assets().sort_values("name")
    first, second = assets.iloc[0], assets.iloc[1]
    time.sleep(0.05)
    before = dt.datetime.now(dt.UTC).isoformat()
    time.sleep(0.05)
    code, out, _ = run(
        capsys,
        "edit",
        str(leeds),
        first["id"],
        "--set",
        "name=Renamed Place",
        "--reason",
        "sign changed",
    )
    assert code == 0, out
    code, _, _ = run(
        capsys, "edit", str(leeds), second["id"], "--status", "archived", "--reason", "closed down"
    )
    assert code == 0

    now_file, then_file = tmp_path / "now.csv", tmp_path / "then.csv"
    assert run(capsys, "export", str(leeds), "--format", "csv", "--out", str(now_file))[0] == 0
    assert (
        run(
            capsys,
            "export",
            str(leeds),
            "--format",
            "csv",
            "--out",
            str(then_file),
            "--as-of",
            before,
        )[0]
        == 0
    )
    now_text, then_text = now_file.read_text(), then_file.read_text()
    assert "Renamed Place" in now_text
    assert "Renamed Place" not in then_text
    assert first["name"] in then_text
    assert second["id"] in then_text
    assert second["id"] not in now_text

    code, out, _ = run(capsys, "history", str(leeds), second["id"])
    assert code == 0
    lines = out.strip().splitlines()
    assert "import" in lines[0]
    assert "archive" in lines[-1]
    assert "by tester: closed down" in lines[-1]


def _snapshot(ws: Path) -> tuple[object, ...]:
    store = open_workspace(ws).store()
    assets = store.assets(include_archived=True)
    log = store.change_log()
    return (
        sorted(zip(assets["id"], assets["version"], strict=True)),
        len(log),
        open_workspace(ws).network_path.read_bytes(),
    )


@pytest.mark.parametrize(
    ("make_bad", "expected"),
    [
        (lambda d: d / "missing.osm.pbf", "not found|No such file|does not exist"),
        (lambda d: _write(d / "cut.osm.pbf", RUTLAND_PBF.read_bytes()[:20_000]), "cut.osm.pbf"),
        (
            lambda d: _write(d / "table.osm", b"name,lat,lon\nOakham Library,52.67,-0.72\n"),
            "table.osm",
        ),
        (lambda d: _write(d / "empty.osm.pbf", b""), "empty.osm.pbf"),
    ],
    ids=["missing", "truncated", "not-osm", "empty"],
)
def test_bad_osm_file_gives_one_line_and_leaves_the_workspace_unchanged(
    leeds: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make_bad: Callable[[Path], Path],
    expected: str,
) -> None:
    before = _snapshot(leeds)
    bad = make_bad(tmp_path)
    code, _, err = run(capsys, "init", str(leeds), "--osm", str(bad))
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("assetmap: error:")
    assert re.search(expected, lines[0]), lines[0]
    assert _snapshot(leeds) == before


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@needs_shared_data
def test_unwritable_workspace_gives_one_line(
    tmp_path: Path, workspace_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, _, err = run(capsys, "init", str(blocker / "ws"), "--osm", str(LEEDS_OSM))
    assert code == 1
    assert err.count("\n") == 1
    assert "assetmap: error:" in err
    assert "a-file" in err


def test_opening_a_folder_that_is_not_a_workspace_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "export", str(tmp_path), "--format", "csv", "--out", str(tmp_path / "x.csv")
    )
    assert code == 1
    assert "is not an assetmap workspace" in err


def test_console_script_exits_1_with_one_line_on_bad_input(tmp_path: Path) -> None:
    exe = shutil.which("assetmap", path=str(Path(sys.executable).parent))
    assert exe is not None
    result = subprocess.run(
        [exe, "--no-progress", "init", str(tmp_path / "ws"), "--osm", str(tmp_path / "nope.pbf")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "ws").exists()


@needs_shared_data
def test_init_place_downloads_through_osmnx_and_builds_the_workspace(
    workspace_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``init --place`` goes through ingest.osm.fetch_osm_place (recorded: Leeds snippet)."""
    import assetmap.ingest.extracts as extracts
    import assetmap.ingest.osm as osm

    asked: list[str] = []
    monkeypatch.setattr(extracts, "_nominatim", lambda place, timeout_s: (-1.54, 53.80))

    def fake_fetch(place: str, **_: object) -> osm.OsmExtract:
        asked.append(place)
        return osm.read_osm_file(LEEDS_OSM)

    monkeypatch.setattr(osm, "fetch_osm_place", fake_fetch)
    code, out, _ = run(capsys, "init", str(workspace_path), "--place", "Leeds, England")
    assert code == 0
    assert asked == ["Leeds, England"]
    ws = open_workspace(workspace_path)
    assert ws.settings()["osm_file"] == "place:Leeds, England"
    assert len(ws.store().assets()) > 0
    assert "Walking network" in out


def test_export_hsds_writes_a_folder_of_valid_records(
    rutland: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "hsds"
    code, out, _ = run(capsys, "export", str(rutland), "--format", "hsds", "--out", str(target))
    assert code == 0, out
    services = json.loads((target / "services.json").read_text())
    assert any(s["name"] == "Uppingham Library" for s in services)


def test_output_cut_short_by_a_closed_pipe_is_not_an_error(rutland, monkeypatch):
    """`assetmap list WS | head -1`: the reader going away ends the command quietly."""
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone: the first write fails with EPIPE
    with os.fdopen(write_end, "w") as closed:
        monkeypatch.setattr(sys, "stdout", closed)
        assert main(["--no-progress", "list", str(rutland)]) == 0


def test_edit_offers_every_status_the_schema_allows_rejected_included(
    leeds: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asset = open_workspace(leeds).store().assets().sort_values("name").iloc[0]
    code, out, err = run(
        capsys, "edit", str(leeds), asset["id"], "--status", "rejected", "--reason", "not real"
    )
    assert code == 0, err
    assert out.strip().endswith("(rejected)")
    assert open_workspace(leeds).store().get_asset(asset["id"])["status"] == "rejected"


def test_help_lists_every_command_once(capsys: pytest.CaptureFixture[str]) -> None:
    """The commands, grouped per area in assetmap/cli/, are the same 26 as before the split."""
    with pytest.raises(SystemExit) as stopped:
        main(["--help"])
    assert stopped.value.code == 0
    listed = re.findall(r"^    ([a-z-]+) ", capsys.readouterr().out, flags=re.MULTILINE)
    assert sorted(listed) == sorted([
        "init", "demo", "export", "api", "list", "edit", "history", "backup", "restore", "user",
        "import", "postcodes", "transit", "dedupe", "purge", "plan-export", "erase", "fund",
        "evaluate", "scrub", "find", "areas", "coverage", "reach", "sites", "app",
    ])  # fmt: skip


def test_python_dash_m_runs_the_command_line() -> None:
    """``python -m assetmap.cli`` is the same command as ``assetmap`` (tests start servers so)."""
    result = subprocess.run(
        [sys.executable, "-m", "assetmap.cli", "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.returncode == 0, result.stderr
    assert "usage: assetmap" in result.stdout


def _core_choices() -> dict[str, list[str]]:
    """``"command --option"`` -> the values its CoreChoices read from the core."""
    from assetmap.cli import _build_parser
    from assetmap.cli.common import CoreChoices

    found: dict[str, list[str]] = {}
    parsers = [("", _build_parser())]
    while parsers:
        name, parser = parsers.pop()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                parsers += [(f"{name} {n}".strip(), p) for n, p in action.choices.items()]
            elif isinstance(action.choices, CoreChoices):
                found[f"{name} {action.option_strings[0]}"] = list(action.choices)
    return found


def test_every_choice_is_the_cores_own_list() -> None:
    """Options offer what the core accepts, read from its constants (no copy to drift)."""
    from assetmap.demo import DEMO_REGIONS
    from assetmap.imports import FORMATS
    from assetmap.output.export import EXPORT_FORMATS
    from assetmap.output.export_hsds import PROFILES
    from assetmap.people.plans import FIND_MODES
    from assetmap.reach_service import AREA_CHOICES
    from assetmap.schema import STATUSES
    from assetmap.transit_service import MODES

    choices = _core_choices()
    assert choices == {
        "export --format": [*EXPORT_FORMATS, *PROFILES],
        "edit --status": list(STATUSES),
        "import --format": list(FORMATS),
        "user add --role": ["facilitator", "staff", "lead", "admin", "approver"],
        "find --mode": list(FIND_MODES),
        "coverage --by": list(AREA_CHOICES),
        "coverage --mode": list(MODES),
        "reach --mode": list(MODES),
        "sites --by": list(AREA_CHOICES),
        "sites --method": ["auto", "milp", "greedy"],
        "sites --mode": list(MODES),
        "demo --region": list(DEMO_REGIONS),
    }


def test_a_value_the_core_does_not_know_is_a_usage_error_naming_the_choices(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["coverage", "ws", "--mode", "car"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'car' (choose from 'walk', 'bike', 'transit')" in err


def test_user_add_offers_every_account_role_the_core_has_approver_included(
    workspace_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parser once listed four roles by hand and refused ``approver`` (exit 2)."""
    from assetmap.workspace import create_workspace

    ws = create_workspace(workspace_path)
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough passphrase\n"))
    code, out, err = run(
        capsys, "user", "add", str(ws.path), "abi", "--role", "approver", "--password-stdin"
    )
    assert (code, out) == (0, "Created approver account abi\n"), err
