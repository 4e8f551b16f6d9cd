from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from support import SHARED_DATA, import_rutland, needs_shared_data

from assetmap.access import Principal, Role
from assetmap.ingest.osm import OsmExtract
from assetmap.ingest.postcodes import read_postcodes, save_postcodes
from assetmap.output.basemap import street_lines
from assetmap.people.plans import PLAN_ENTITY, REFERRAL_ENTITY
from assetmap.reach.network import load_network
from assetmap.reach_service import reported_gaps
from assetmap.workspace import open_workspace

pytestmark = needs_shared_data

APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"
PAGE = "app/pages/find_support.py"
PRINCIPAL = "assetmap.principal"
POSTCODES = SHARED_DATA / "postcodes-codepoint-open-2014" / "postcodes_latlon_demo_lads.csv"
ANA = Principal("ana", Role.STAFF)


@pytest.fixture(scope="module")
def rutland(
    rutland_extract: OsmExtract, tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> Path:
    """The Rutland register with Code-Point postcodes, on the backend under test."""
    workspace = import_rutland(tmp_path_factory.mktemp("find_page") / "rutland", rutland_extract)
    save_postcodes(read_postcodes(POSTCODES), workspace.postcodes_path)
    return workspace.path


@pytest.fixture
def app_workspace(rutland: Path) -> Path:
    return rutland


def _page(principal: Principal = ANA) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[PRINCIPAL] = principal
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _find(at: AppTest, start: str, needs: list[str], minutes: int = 15) -> AppTest:
    at.text_input[0].input(start)
    at.multiselect[0].set_value(needs)
    at.slider[0].set_value(minutes)
    (submit,) = [b for b in at.button if b.label == "Find support"]
    submit.click().run()
    assert not at.exception, at.exception
    return at


def test_finds_services_for_needs_from_a_postcode_with_a_walking_area_map(rutland):
    at = _find(_page(), "LE15 6AA", ["ete", "drugs_alcohol"])
    assert [h.value for h in at.header] == [
        "1. Education, training and employment",
        "2. Drugs and alcohol",
    ]
    table = at.dataframe[0].value
    assert table.columns.tolist() == ["#", "Name", "Minutes", "Why", "Check", "Open"]
    assert table.iloc[0]["Name"] == "Rutland County Library"
    assert table["Minutes"].tolist() == sorted(table["Minutes"])
    assert table.iloc[0]["Open"] == "Mon-Fri 09:30-17:00; Sat-Sun closed"
    (gap,) = at.warning
    assert gap.value == "Nothing fits 'Drugs and alcohol' within 15 minutes' walk\\."  # escaped
    (component,) = at.get("component_instance")
    assert component.proto.component_name == "streamlit_folium.st_folium"
    script = json.loads(component.proto.json_args)["script"]
    assert script.count('"fillOpacity": 0.08') == 1  # the walking area
    assert script.count("Start point") == 1
    assert any(
        c.value.startswith("Blue outline: within 15 minutes' walk of the start point")
        for c in at.caption
    )
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Download sheet (HTML)"]


def test_the_map_draws_the_streets_around_the_walking_area_not_the_county(rutland):
    """The offline streets stop about 1.5 km beyond the area the map opens on (Oakham)."""
    at = _find(_page(), "LE15 6AA", ["ete"])
    (component,) = at.get("component_instance")
    script = json.loads(component.proto.json_args)["script"]
    (drawn,) = re.findall(r"var lines = (\[\[\[.*?\]\]\]);", script)
    lat, lon = np.array([p for line in json.loads(drawn) for p in line]).T
    county = street_lines(load_network(open_workspace(rutland).network_path))
    assert 1_000 < len(lat) < county.n_points / 3  # Oakham's streets, not Rutland's
    # LE15 6AA is at about (-0.727, 52.670); a 15-minute walk reaches about 1.2 km.
    assert np.all(np.abs(lat - 52.670) < 0.05)  # 5.5 km: area, margin, snapping, whole streets
    assert np.all(np.abs(lon - (-0.727)) < 0.08)


def test_a_point_clicked_on_the_map_becomes_the_start_and_searches_again(rutland):
    at = _find(_page(), "LE15 6AA", ["ete"])
    assert at.caption[0].value.startswith("From **LE15 6AA** (area LE15 6)")
    # What the map's "Search from the clicked point" button leaves for the next run.
    at.session_state["assetmap.find.click"] = "52.67070,-0.72970"
    at.run()
    assert not at.exception, at.exception
    assert at.text_input[0].value == "52.67070,-0.72970"
    assert at.caption[0].value.startswith(r"From **52\.67070,\-0\.72970** (area LE15 6)")
    assert at.header[0].value == "1. Education, training and employment"  # same needs
    assert "assetmap.find.click" not in at.session_state


def test_an_unknown_postcode_is_one_clear_error(rutland):
    at = _find(_page(), "LE15 6ZZ", ["ete"])
    (error,) = at.error
    assert error.value == (
        "LE15 6ZZ is not in the workspace's postcode table; nearest known sector: LE15 6"
    )
    assert len(at.dataframe) == 0


@pytest.mark.parametrize(
    ("start", "needs", "words", "message"),
    [
        ("53.5,1.5", ["ete"], "", r"^The start point is 1\d\d\.\d km from the nearest street"),
        ("", ["ete"], "", r"^Give a start point: a postcode, coordinates"),
        ("LE15 6AA", [], "", r"at least one goal"),
        ("LE15 6AA", [], "x" * 10_000, r"^A goal.s text is 10,000 characters long"),
    ],
    ids=["sea", "no-start", "no-goal", "10k-words"],
)
def test_bad_input_is_one_clear_error_and_no_results(rutland, start, needs, words, message):
    at = _page()
    at.text_input[1].input(words)
    at = _find(at, start, needs)
    (error,) = at.error
    assert re.search(message, error.value), error.value
    assert len(at.dataframe) == 0
    assert "assetmap.find.result" not in at.session_state  # nothing half-shown


def test_a_gap_recorded_from_the_page_reaches_the_leads_gap_analysis(rutland):
    at = _find(_page(), "LE15 6AA", ["drugs_alcohol"])
    (record,) = [b for b in at.button if b.label == "Record this gap"]
    record.click().run()
    assert not at.exception, at.exception
    (done,) = at.success
    assert done.value == "Gap recorded for the area (no personal details)."
    gaps = reported_gaps(open_workspace(rutland).store(), principal=Principal("lee", Role.LEAD))
    mine = gaps[gaps["need"] == "drugs_alcohol"]
    assert mine[["area", "note"]].values.tolist() == [
        ["LE15 6", "Nothing fits 'Drugs and alcohol' within 15 minutes' walk."]
    ]
    assert "LE15 6AA" not in str(mine.to_dict("records"))


def test_chosen_services_are_added_to_a_new_plan_as_suggested(rutland):
    at = _find(_page(), "LE15 6AA", ["ete"], minutes=10)
    chosen = at.multiselect(key="assetmap.find.chosen")
    assert len(chosen.value) >= 1
    (add,) = [b for b in at.button if b.label == "Add as suggested"]
    add.click().run()
    assert not at.exception, at.exception
    (done,) = at.success
    assert done.value.startswith(f"Added {len(chosen.value)} service(s) to plan P-")
    store = open_workspace(rutland).store()
    plans = store.records(PLAN_ENTITY)
    assert plans["home_area"].tolist() == ["LE15 6"]
    steps = store.records(REFERRAL_ENTITY)
    assert sorted(steps["asset_id"]) == sorted(chosen.value)
    assert set(steps["step"]) == {"suggested"}


def test_a_lead_does_not_get_the_page(rutland):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[PRINCIPAL] = Principal("lee", Role.LEAD)
    at.run()
    with pytest.raises(Exception, match="find_support"):
        at.switch_page(PAGE)


def test_a_place_found_is_never_offered_as_a_gap_and_no_match_is(rutland):
    # Issue 12: the row above said "Nothing" and offered a false gap although the
    # words had found a place. A gap is offered only when nothing local fits.
    at = _page()
    at.text_input[1].input("library")
    at = _find(at, "LE15 6AA", [])
    assert at.dataframe[0].value.iloc[0]["Name"] == "Rutland County Library"
    assert not [b for b in at.button if b.label == "Record this gap"]
    assert len(at.warning) == 0
    at = _page()
    at.text_input[1].input("somewhere to get drug treatment")
    at = _find(at, "LE15 6AA", [])
    (gap,) = at.warning
    assert gap.value.startswith("Nothing fits 'somewhere to get drug treatment' within 15")
    assert [b.label for b in at.button if b.label == "Record this gap"] == ["Record this gap"]
    helplines = [m.value for m in at.markdown if m.value.startswith("National helplines")]
    assert "**FRANK \\(drugs information and advice\\)**: 0300 123 6600" in helplines[0]


def test_a_good_lives_model_good_is_searched_like_a_need(rutland):
    at = _find(_page(), "LE15 6AA", ["ete", "community"])
    assert [h.value.replace("\\", "") for h in at.header] == [  # shown escaped
        "1. Education, training and employment",
        "2. Community (belonging to a group) (good)",
    ]
    assert len(at.dataframe) == 2


def test_easy_read_sheet_in_welsh_and_an_audio_file_from_the_page(rutland):
    """The worker picks Easy Read and Welsh, downloads it, and makes a WAV to listen to."""
    at = _find(_page(), "LE15 6AA", ["ete"])
    (style,) = [r for r in at.radio if r.label == "Sheet style"]
    style.set_value("easy").run()
    (language,) = [s for s in at.selectbox if s.label.startswith("Language of the sheet")]
    language.set_value("cy").run()
    assert not at.exception, at.exception
    (html_button,) = [b for b in at.get("download_button") if b.proto.label.endswith("(HTML)")]
    assert html_button.proto.label == "Download sheet (HTML)"
    (listen,) = [b for b in at.button if b.label == "Make an audio file (listen)"]
    listen.click().run()
    assert not at.exception, at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download the audio (WAV)" in labels
    assert at.get("audio")
