from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from support import needs_shared_data

from assetmap.schema import validate_assets
from assetmap.workspace import close_stores, create_workspace

APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"
WORKSPACE_KEY = "assetmap.workspace"
HOSTILE = "<script>alert(1)</script> Club"


@pytest.fixture
def oakham_workspace(tmp_path: Path) -> Path:
    """A workspace with five Oakham assets: two libraries, a hall, a GP and a hostile name."""
    records = [
        {"name": "Oakham Library", "lon": -0.7271, "lat": 52.6703, "categories": ["library"],
         "kind": "service", "status": "verified", "source_id": "n1",
         "last_verified": "2024-05-01"},
        {"name": "Victoria Hall", "lon": -0.7290, "lat": 52.6712,
         "categories": ["community_centre", "library"], "kind": "informal", "source_id": "n2"},
        {"name": "Uppingham Library", "lon": -0.7208, "lat": 52.5876, "categories": ["library"],
         "kind": "service", "status": "proposed", "source_id": "n3"},
        {"name": "Oakham Medical Practice", "lon": -0.7340, "lat": 52.6690,
         "categories": ["gp_health"], "kind": "service", "source_id": "n4"},
        {"name": HOSTILE, "lon": -0.7300, "lat": 52.6600, "categories": [],
         "kind": "activity", "source_id": "n5"},
    ]  # fmt: skip
    workspace = create_workspace(tmp_path / "oakham")
    workspace.store().import_assets(
        validate_assets(pd.DataFrame(records)), source="test", actor="test", reason="fixture"
    )
    return workspace.path


def _app(monkeypatch: pytest.MonkeyPatch, workspace: Path | str | None) -> AppTest:
    if workspace is not None:
        monkeypatch.setenv("ASSETMAP_WORKSPACE", str(workspace))
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception
    return at


def _names(at: AppTest) -> list[str]:
    return at.dataframe[0].value["Name"].tolist()


def _map_args(at: AppTest) -> dict[str, object]:
    (component,) = at.get("component_instance")
    assert component.proto.component_name == "streamlit_folium.st_folium"
    return json.loads(component.proto.json_args)


def _marker_count(at: AppTest) -> int:
    script = str(_map_args(at)["script"])
    return sum(len(json.loads(rows)) for rows in re.findall(r"var rows = (.*);", script))


def test_without_a_workspace_explains_how_to_get_one(monkeypatch):
    at = _app(monkeypatch, None)
    (message,) = at.info
    assert "No workspace is open" in message.value
    assert "assetmap demo" in message.value
    assert "assetmap app WORKSPACE" in message.value
    assert len(at.dataframe) == 0
    assert len(at.get("component_instance")) == 0


def test_not_a_workspace_is_one_clear_error(monkeypatch, tmp_path):
    at = _app(monkeypatch, tmp_path / "nowhere")
    (error,) = at.error
    assert "is not an assetmap workspace" in error.value
    assert "assetmap init" in error.value
    assert len(at.dataframe) == 0


def test_table_lists_the_register_with_plain_labels(monkeypatch, oakham_workspace):
    at = _app(monkeypatch, oakham_workspace)
    table = at.dataframe[0].value.set_index("Name")
    assert sorted(table.index) == sorted(
        [HOSTILE, "Oakham Library", "Oakham Medical Practice", "Uppingham Library", "Victoria Hall"]
    )
    assert table.loc["Victoria Hall", "Categories"] == (
        "Community centre or hall, Library (books, computers, free wifi)"
    )
    assert table.loc["Oakham Medical Practice", "Categories"] == "Doctor or health centre"
    assert table.loc[HOSTILE, "Categories"] == ""
    assert [(m.label, m.value) for m in at.metric] == [
        ("Assets shown", "5"),
        ("In the register", "5"),
        ("Shown and verified", "1"),
    ]


def test_category_filter_offers_plain_labels_and_narrows_table_and_map(
    monkeypatch, oakham_workspace
):
    at = _app(monkeypatch, oakham_workspace)
    categories = at.multiselect(key="assetmap.map.categories")
    assert categories.options == [
        "Library (books, computers, free wifi)",
        "Community centre or hall",
        "Doctor or health centre",
    ]
    assert _marker_count(at) == 6  # Victoria Hall is in two layers; the club in "No category"
    categories.select("library").run()
    assert sorted(_names(at)) == ["Oakham Library", "Uppingham Library", "Victoria Hall"]
    assert at.metric[0].value == "3"
    assert _marker_count(at) == 4


def test_kind_status_and_name_filters_combine(monkeypatch, oakham_workspace):
    at = _app(monkeypatch, oakham_workspace)
    assert at.multiselect(key="assetmap.map.kinds").options == ["Service", "Activity", "Informal"]
    assert at.multiselect(key="assetmap.map.statuses").options == [
        "Proposed",
        "Verified",
        "Unverified",
    ]
    at.multiselect(key="assetmap.map.kinds").select("service").run()
    assert sorted(_names(at)) == ["Oakham Library", "Oakham Medical Practice", "Uppingham Library"]
    at.multiselect(key="assetmap.map.statuses").select("unverified").run()
    assert _names(at) == ["Oakham Medical Practice"]
    at.multiselect(key="assetmap.map.kinds").unselect("service").run()
    at.multiselect(key="assetmap.map.statuses").unselect("unverified").run()
    at.text_input(key="assetmap.map.name").input("LIBRARY").run()
    assert sorted(_names(at)) == ["Oakham Library", "Uppingham Library"]
    at.text_input(key="assetmap.map.name").input("<script>").run()
    assert _names(at) == [HOSTILE]


def test_session_state_workspace_wins_over_the_environment(monkeypatch, oakham_workspace, tmp_path):
    monkeypatch.setenv("ASSETMAP_WORKSPACE", str(tmp_path / "elsewhere"))
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[WORKSPACE_KEY] = str(oakham_workspace)
    at.run()
    assert not at.error
    assert len(_names(at)) == 5


def test_map_loads_leaflet_locally_and_credits_openstreetmap(monkeypatch, oakham_workspace):
    at = _app(monkeypatch, oakham_workspace)
    args = _map_args(at)
    assert args["js_links"] == ["/app/static/vendor/leaflet/leaflet.js"]
    assert args["css_links"] == ["/app/static/vendor/leaflet/leaflet.css"]
    assert args["returned_objects"] == []
    assert "L.tileLayer" not in str(args["script"])
    assert "<script>alert(1)" not in str(args["script"])
    assert any("© OpenStreetMap contributors" in c.value for c in at.caption)
    assert at.selectbox(key="assetmap.map.tiles").value == "none"


def test_tile_choice_defaults_from_the_environment(monkeypatch, oakham_workspace):
    monkeypatch.setenv("ASSETMAP_TILES", "osm")
    at = _app(monkeypatch, oakham_workspace)
    assert at.selectbox(key="assetmap.map.tiles").value == "osm"
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in str(_map_args(at)["script"])
    at.selectbox(key="assetmap.map.tiles").select("none").run()
    assert "L.tileLayer" not in str(_map_args(at)["script"])


def test_a_bad_tile_setting_warns_and_falls_back_to_none(monkeypatch, oakham_workspace):
    monkeypatch.setenv("ASSETMAP_TILES", "satellite")
    at = _app(monkeypatch, oakham_workspace)
    (warning,) = at.sidebar.warning
    assert "Tiles must be 'none', 'osm' or a URL template" in warning.value
    assert at.selectbox(key="assetmap.map.tiles").value == "none"


@needs_shared_data
def test_offline_map_draws_the_workspace_streets_and_tiles_replace_them(monkeypatch, tmp_path):
    from support import LEEDS_OSM

    from assetmap.output.basemap import STREET_COLOUR
    from assetmap.workspace import import_osm

    workspace = import_osm(tmp_path / "leeds", LEEDS_OSM).workspace
    close_stores()
    at = _app(monkeypatch, workspace.path)
    assert at.selectbox(key="assetmap.map.tiles").value == "none"
    assert STREET_COLOUR in str(_map_args(at)["script"])
    at.selectbox(key="assetmap.map.tiles").select("osm").run()
    assert STREET_COLOUR not in str(_map_args(at)["script"])
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in str(_map_args(at)["script"])
