"""Unchecked is not live: a proposal no facilitator has reviewed counts nowhere.

A participant proposes a "library" in a mapping session (status ``proposed``);
until a facilitator accepts it, it must not appear in coverage figures (CLI and
the lead's dashboard), in exports (HSDS at all; GeoJSON/CSV only with
``--include-proposed``, labelled) or in Find support's ranked results. Each way
in has its own test, on the Leeds city-centre extract (13 assets, 1,003 nodes),
on SQLite and PostGIS.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from support import LEEDS_OSM, run_cli, skip_without_shared_data, use_database_for_workspace

from assetmap.access import Principal, Role
from assetmap.cli import main
from assetmap.people import sessions as ms
from assetmap.workspace import close_stores, open_workspace

FACILITATOR = Principal("fay", Role.FACILITATOR)
LIBRARY_AT = (-1.5430, 53.7960)  # on the Leeds snippet's streets, near the Corn Exchange
PROPOSAL = "Reading room in the bus shelter"


@pytest.fixture(scope="module")
def leeds(
    tmp_path_factory: pytest.TempPathFactory, new_database_url: Callable[[], str]
) -> Iterator[tuple[Path, str]]:
    """Leeds city centre (one library, verified by hand) plus one proposed library."""
    skip_without_shared_data()
    folder = tmp_path_factory.mktemp("unchecked")
    with pytest.MonkeyPatch.context() as mp:
        use_database_for_workspace(new_database_url(), mp)
        ws = folder / "ws"
        assert main(["--no-progress", "init", str(ws), "--osm", str(LEEDS_OSM)]) == 0
        store = open_workspace(ws).store()
        session = ms.start_session(
            store, principal=FACILITATOR, date="2026-11-30", area="Leeds", group_label="Tuesday"
        )
        proposal_id = ms.propose_asset(
            store,
            session,
            {
                "name": PROPOSAL,
                "lon": LIBRARY_AT[0],
                "lat": LIBRARY_AT[1],
                "categories": ["library"],
            },
            principal=FACILITATOR,
        )
        yield ws, proposal_id
        close_stores()


def _libraries(ws: Path) -> int:
    assets = open_workspace(ws).store().assets()
    return sum("library" in c for c in assets["categories"])


def test_the_register_holds_the_proposal(leeds):
    ws, proposal_id = leeds
    assert _libraries(ws) == 2
    assert open_workspace(ws).store().get_asset(proposal_id)["status"] == "proposed"


def test_coverage_cli_counts_only_checked_libraries(leeds, capsys):
    ws, _ = leeds
    code, out, err = run_cli(capsys, "coverage", str(ws), "--minutes", "10", "--format", "json")
    assert (code, err) == (0, "")
    rows = {r["category"]: r for r in json.loads(out)["rows"]}
    assert rows["library"]["n_assets"] == 1


def test_export_cli_leaves_proposals_out_unless_asked_and_then_labels_them(leeds, tmp_path, capsys):
    ws, proposal_id = leeds
    out_csv = str(tmp_path / "a.csv")
    code, _, _ = run_cli(capsys, "export", str(ws), "--format", "csv", "--out", out_csv)
    assert code == 0
    with (tmp_path / "a.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert PROPOSAL not in {r["name"] for r in rows}
    code, out, _ = run_cli(
        capsys, "export", str(ws), "--format", "geojson", "--out", str(tmp_path / "b.geojson"),
        "--include-proposed",
    )  # fmt: skip
    assert code == 0
    assert "1 not yet checked" in out
    features = json.loads((tmp_path / "b.geojson").read_text("utf-8"))["features"]
    labelled = {f["id"]: f["properties"]["checked"] for f in features}
    assert labelled[proposal_id] == "not yet checked"
    assert {v for k, v in labelled.items() if k != proposal_id} == {"yes"}


def test_hsds_export_never_lists_a_proposal_as_active(leeds, tmp_path, capsys):
    ws, _ = leeds
    out_dir = str(tmp_path / "h")
    code, _, _ = run_cli(capsys, "export", str(ws), "--format", "hsds", "--out", out_dir)
    assert code == 0
    services = json.loads((tmp_path / "h" / "services.json").read_text("utf-8"))
    assert PROPOSAL not in {s["name"] for s in services}
    assert len(services) == len(open_workspace(ws).store().assets()) - 1


def test_find_support_does_not_rank_the_proposal(leeds, capsys):
    ws, _ = leeds
    start = f"{LIBRARY_AT[1]},{LIBRARY_AT[0]}"
    code, out, err = run_cli(
        capsys, "find", str(ws), "--from", start, "--need", "ete", "--text", "library",
        "--minutes", "20", "--format", "json", "--limit", "50",
    )  # fmt: skip
    assert (code, err) == (0, "")
    names = {r["name"] for g in json.loads(out)["goals"] for r in g["results"]}
    assert "Leeds Conservatoire Library" in names
    assert PROPOSAL not in names


def test_lead_dashboard_counts_only_checked_assets(leeds, monkeypatch, served_locally):
    ws, _ = leeds
    live = len(open_workspace(ws).store().assets()) - 1
    monkeypatch.setenv("ASSETMAP_WORKSPACE", str(ws))
    for name in ("ASSETMAP_TILES", "ASSETMAP_TILES_ATTRIBUTION"):
        monkeypatch.delenv(name, raising=False)
    st.cache_data.clear()
    at = AppTest.from_file(
        str(Path(__file__).resolve().parents[2] / "streamlit_app.py"), default_timeout=120
    )
    at.session_state["assetmap.principal"] = Principal("lee", Role.LEAD)
    at.run()
    at.switch_page("app/pages/dashboard.py").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Active assets"] == f"{live:,}"
