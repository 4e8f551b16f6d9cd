"""The Data page (AppTest): upload, mapping, report, import; duplicate review; downloads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Button, DownloadButton, Multiselect
from support import SHARED_DATA, needs_shared_data

from assetmap.access import Principal, Role
from assetmap.imports import (
    REVIEW_ENTITY,
    deduplicate,
    import_file,
    load_postcode_file,
    preview_import,
)
from assetmap.taxonomy import load_taxonomy
from assetmap.workspace import Workspace, create_workspace, open_workspace

pytestmark = needs_shared_data

APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"
DATA = Path(__file__).resolve().parents[1] / "data"
DIRECTORY = DATA / "rutland_directory.csv"
POIS = SHARED_DATA / "osm-rutland" / "pois_community_rutland.csv"
CODEPOINT_LE = SHARED_DATA / "postcodes-codepoint-open-2014" / "le.csv"
ADMIN = Principal("ana", Role.ADMIN)
DATA_PAGE = "app/pages/data.py"


@pytest.fixture
def rutland(tmp_path: Path) -> Workspace:
    """Rutland's named community places (shared OSM extract) and Code-Point Open LE postcodes."""
    workspace = create_workspace(tmp_path / "rutland")
    import_file(
        workspace,
        POIS,
        principal=ADMIN,
        overrides={"amenity": "categories", "addr:postcode": "postcode"},
        skip_bad_rows=True,
    )
    load_postcode_file(workspace, CODEPOINT_LE, principal=ADMIN)
    return workspace


def data_page(monkeypatch: pytest.MonkeyPatch, workspace: Workspace) -> AppTest:
    monkeypatch.setenv("ASSETMAP_WORKSPACE", str(workspace.path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(DATA_PAGE).run()
    assert not at.exception, at.exception
    return at


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    at.file_uploader[0].set_value((name, content, "text/csv")).run()
    assert not at.exception, at.exception
    return at


def button(at: AppTest, label_start: str) -> Button:
    (found,) = [b for b in at.button if b.label.startswith(label_start)]
    return found


def test_page_has_import_duplicates_and_export_tabs(
    monkeypatch: pytest.MonkeyPatch, rutland: Workspace
) -> None:
    at = data_page(monkeypatch, rutland)
    assert at.title[0].value == "Data"
    assert [t.label for t in at.tabs] == ["Import", "Duplicates", "Export"]
    assert [b.label for b in at.get("download_button") if isinstance(b, DownloadButton)] == [
        "GeoJSON",
        "GeoPackage (QGIS)",
        "CSV (spreadsheet)",
        "Open Referral HSDS (zip)",
        "Open Referral UK (zip)",
    ]


def test_upload_shows_mapping_and_report_and_refuses_until_rows_are_skipped(
    monkeypatch: pytest.MonkeyPatch, rutland: Workspace
) -> None:
    at = upload(data_page(monkeypatch, rutland), "rutland_directory.csv", DIRECTORY.read_bytes())
    mapping = {
        s.label: s.value for s in at.selectbox if (s.key or "").startswith("assetmap.data.map.")
    }
    assert mapping["Organisation name"] == "name"
    assert mapping["Post Code"] == "postcode"
    assert [m.value for m in at.metric] == ["11", "4", "7"]
    report = at.dataframe[-1].value
    assert report["row"].tolist()[:3] == ["5", "6", "7"]
    assert report["problem"].iloc[1] == (
        "LE15 9ZZ is not in the workspace's postcode table; nearest known sector: LE15 9"
    )
    go = button(at, "Import 4 rows")
    assert go.disabled
    assert at.checkbox[0].label == "Skip the 7 reported rows and import the other 4"
    before = len(rutland.store().assets())

    at.checkbox[0].check().run()
    go = button(at, "Import 4 rows")
    assert not go.disabled
    go.click().run()
    assert not at.exception
    assert at.success[0].value.startswith(
        r"Imported 4 rows from table\:rutland\_directory\.csv: 4 new, 0 updated"  # escaped
    )
    assert len(open_workspace(rutland.path).store().assets()) == before + 4


def test_preview_shows_how_each_category_text_was_matched_with_a_box_to_change_it(
    monkeypatch: pytest.MonkeyPatch, rutland: Workspace
) -> None:
    at = upload(data_page(monkeypatch, rutland), "rutland_directory.csv", DIRECTORY.read_bytes())
    (categories,) = at.expander
    assert categories.label == "How categories were matched"
    shown = categories.dataframe[0].value
    matched = {
        text: list(codes) for text, codes in zip(shown["text"], shown["categories"], strict=True)
    }
    assert matched == {
        "Library": ["library"],
        "Food Bank": ["food_support"],
        "Community centre": ["community_centre"],
        "Village hall": ["community_centre"],
        "Advice": [],
        "Women's group": ["womens_support"],
        "Youth club": ["family_support", "youth_services"],
        "Sport": ["sport_fitness"],
        "Job centre": ["employment_support"],
    }
    assert shown["rows"].tolist() == [3, 1, 1, 1, 1, 1, 1, 1, 1]
    # one box per text, to change it: the fuzzy match by default, the taxonomy's plain
    # labels to choose from, an empty box for no category
    boxes = {box.label: box for box in categories.multiselect}
    assert {text: box.value for text, box in boxes.items()} == matched
    assert boxes["Advice"].options[:2] == ["Help with housing", "Help finding work"]
    assert len(boxes["Advice"].options) == len(load_taxonomy().categories)
    assert boxes["Advice"].placeholder == "No category"
    # the text that matched nothing is also a warning in the report
    report = at.dataframe[-1].value
    assert report[report["field"] == "categories"]["problem"].tolist() == [
        "no category matches 'Advice'"
    ]


def category_boxes(at: AppTest) -> dict[str, Multiselect[Any]]:
    (categories,) = at.expander
    return {box.label: box for box in categories.multiselect}


def imported_categories(workspace: Workspace) -> dict[str, tuple[str, ...]]:
    register = open_workspace(workspace.path).store().assets()
    register = register[register["source"] == "table:rutland_directory.csv"]
    return dict(zip(register["name"], register["categories"], strict=True))


def test_overriding_a_category_text_changes_the_preview_and_the_imported_categories(
    monkeypatch: pytest.MonkeyPatch, rutland: Workspace
) -> None:
    at = upload(data_page(monkeypatch, rutland), "rutland_directory.csv", DIRECTORY.read_bytes())
    boxes = category_boxes(at)
    boxes["Library"].set_value(["library", "learning_skills"])
    boxes["Youth club"].set_value([])
    boxes["Advice"].set_value(["money_advice"]).run()
    assert not at.exception, at.exception

    shown = at.expander[0].dataframe[0].value
    matched = dict(zip(shown["text"], shown["categories"], strict=True))
    assert list(matched["Library"]) == ["library", "learning_skills"]
    assert list(matched["Youth club"]) == []
    assert list(matched["Advice"]) == ["money_advice"]
    assert list(matched["Food Bank"]) == ["food_support"]  # untouched
    report = at.dataframe[-1].value
    assert "no category matches 'Advice'" not in set(report["problem"])
    assert [m.value for m in at.metric] == ["11", "4", "7"]

    at.checkbox[0].check().run()
    button(at, "Import 4 rows").click().run()
    assert not at.exception, at.exception
    assert imported_categories(rutland) == {
        "Oakham Library": ("library", "learning_skills"),
        "Rutland Foodbank": ("food_support",),
        "Uppingham Library": ("library", "learning_skills"),
        "Rutland Youth Club": (),
    }


def test_an_untouched_category_mapping_imports_the_fuzzy_matches(
    monkeypatch: pytest.MonkeyPatch, rutland: Workspace
) -> None:
    expected = preview_import(
        rutland, DIRECTORY.read_bytes(), filename="rutland_directory.csv", principal=ADMIN
    ).assets
    at = upload(data_page(monkeypatch, rutland), "rutland_directory.csv", DIRECTORY.read_bytes())
    at.checkbox[0].check().run()
    button(at, "Import 4 rows").click().run()
    assert not at.exception, at.exception
    assert imported_categories(rutland) == {
        "Oakham Library": ("library",),
        "Rutland Foodbank": ("food_support",),
        "Uppingham Library": ("library",),
        "Rutland Youth Club": ("family_support", "youth_services"),
    }
    assert imported_categories(rutland) == dict(
        zip(expected["name"], expected["categories"], strict=True)
    )


def test_overriding_a_column_changes_the_preview(
    monkeypatch: pytest.MonkeyPatch, rutland: Workspace
) -> None:
    sheet = b"Contact,Walk,Latitude,Longitude\nSam,Oakham Walking Group,52.67,-0.73\n"
    at = upload(data_page(monkeypatch, rutland), "groups.csv", sheet)
    assert any("No column looks like a name" in e.value for e in at.error)
    (group,) = [s for s in at.selectbox if s.label == "Walk"]
    group.select("name").run()
    assert not at.error
    assert [m.value for m in at.metric] == ["1", "1", "0"]
    button(at, "Import 1 rows").click().run()
    names = open_workspace(rutland.path).store().assets()["name"]
    assert "Oakham Walking Group" in set(names)


def test_binary_junk_upload_is_an_error_and_imports_nothing(
    monkeypatch: pytest.MonkeyPatch, rutland: Workspace
) -> None:
    before = len(rutland.store().assets())
    at = upload(data_page(monkeypatch, rutland), "junk.csv", bytes(range(256)) * 10)
    assert at.error[0].value.startswith("junk.csv is not a text spreadsheet")
    assert not [b for b in at.button if b.label.startswith("Import")]
    assert len(rutland.store().assets()) == before


def test_duplicate_review_shows_both_records_and_records_the_answer(
    monkeypatch: pytest.MonkeyPatch, rutland: Workspace
) -> None:
    deduplicate(rutland.store(), principal=ADMIN)
    at = data_page(monkeypatch, rutland)
    assert any("Pair 1 of 1 waiting · score 79.8 of 100" in m.value for m in at.markdown)
    tables = [d.value for d in at.dataframe if list(d.value.columns) == ["Field", "Value"]]
    assert [t.set_index("Field").loc["Name", "Value"] for t in tables] == [
        "Oakham Medical Practice",
        "Oakham Medical Practice",
    ]
    (why,) = [t.value for t in at.text if t.value.startswith("Why they may be the same:")]
    # categories in words, as in the record tables, not their codes
    assert why == (
        "Why they may be the same: names 100% alike; 139 m apart; both doctor or health centre"
    )
    (component,) = at.get("component_instance")
    assert component.proto.component_name == "streamlit_folium.st_folium"

    button(at, "Different").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("Kept the two records apart")
    assert any(i.value == "No pairs are waiting for a decision." for i in at.info)
    (review,) = open_workspace(rutland.path).store().records(REVIEW_ENTITY)["status"]
    assert review == "different"


def test_same_merges_and_look_for_duplicates_merges_sure_matches(
    monkeypatch: pytest.MonkeyPatch, rutland: Workspace
) -> None:
    library = (
        b"Name,Postcode,Phone,Type,Latitude,Longitude\n"
        b"Rutland County Library,LE15 6HW,01572 722918,Library,52.66931,-0.72590\n"
    )
    import_file(rutland, library, filename="council.csv", principal=ADMIN)
    before = len(rutland.store().assets())
    at = data_page(monkeypatch, rutland)
    button(at, "Look for duplicates").click().run()
    assert at.success[0].value == (
        "Merged 1 pairs of duplicates; 1 pairs are waiting for you to decide."
    )
    button(at, "Same").click().run()
    assert at.success[0].value.startswith("Merged the two records into one")
    assert len(open_workspace(rutland.path).store().assets()) == before - 2


def test_staff_see_only_the_export_tab(monkeypatch: pytest.MonkeyPatch, rutland: Workspace) -> None:
    from assetmap.people.accounts import create_user

    create_user(rutland.store(), "sam", "a long enough password 1", "staff", actor=ADMIN)
    monkeypatch.setenv("ASSETMAP_WORKSPACE", str(rutland.path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["assetmap.principal"] = Principal("sam", Role.STAFF)
    at.run()
    at.switch_page(DATA_PAGE).run()
    assert not at.exception
    assert [t.label for t in at.tabs] == ["Export"]
    assert not at.file_uploader
    assert [b.label for b in at.get("download_button") if isinstance(b, DownloadButton)][:3] == [
        "GeoJSON",
        "GeoPackage (QGIS)",
        "CSV (spreadsheet)",
    ]


def test_an_open_referral_uk_taxonomy_upload_is_kept_as_taxonomy(
    monkeypatch: pytest.MonkeyPatch, rutland: Workspace
) -> None:
    terms = (DATA / "oruk" / "taxonomy_terms.json").read_bytes()
    at = upload(data_page(monkeypatch, rutland), "taxonomy_terms.json", terms)
    assert not [e.value for e in at.error]
    shown = at.dataframe[0].value
    assert shown.set_index("name").loc["Food Pantry", "category"] == "food_support"
    before = len(rutland.store().assets())
    go = button(at, "Import the taxonomy (10 records)")
    assert not go.disabled
    go.click().run()
    assert not at.exception
    assert at.success[0].value == (
        "Kept the taxonomy from hsds:taxonomy_terms: 10 records new or changed."
    )
    store = open_workspace(rutland.path).store()
    assert len(store.records("hsds_taxonomy")) == 10
    assert len(store.assets()) == before
