"""Open Referral UK and HSDS 3.0 both ways without loss.

Fixtures: ``tests/data/oruk/`` (written from the UK profile's schemas, every
field filled) and the official HSDS 3.0 examples with their placeholder
coordinates (latitude 100, longitude 101) corrected to Oakham.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from support import SHARED_DATA, needs_shared_data, run_cli

from assetmap.imports import TAXONOMY_ENTITY
from assetmap.ingest.hsds import assets_from_hsds, read_hsds
from assetmap.match.search import search_assets
from assetmap.output.export_hsds import (
    ORUK_SCHEMA_DIR,
    hsds_export,
    register_to_hsds,
    validate_hsds,
    workspace_country,
)
from assetmap.store import Store
from assetmap.workspace import close_stores, create_workspace

ORUK_DATA = Path(__file__).resolve().parents[1] / "data" / "oruk"
SERVICES = ORUK_DATA / "services.json"
EXAMPLES = SHARED_DATA / "hsds-3.0" / "examples"


def _fixture() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(SERVICES.read_text("utf-8"))
    return data


def _corrected(node: Any) -> Any:
    """The official example with its placeholder coordinates moved to Oakham."""
    if isinstance(node, dict):
        out = {k: _corrected(v) for k, v in node.items()}
        if out.get("latitude") == 100 and out.get("longitude") == 101:
            out["latitude"], out["longitude"] = 52.6703, -0.7271
        return out
    if isinstance(node, list):
        return [_corrected(v) for v in node]
    return node


def _leaves(node: Any, path: str = "") -> dict[str, Any]:
    """Every leaf value by path: the normalised form the round trip is diffed in."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for k, v in node.items():
            out.update(_leaves(v, f"{path}.{k}"))
        return out
    if isinstance(node, list):
        out = {}
        for i, v in enumerate(node):
            out.update(_leaves(v, f"{path}[{i}]"))
        return out
    return {path: node}


def _lost(given: Any, written: Any) -> list[str]:
    """Paths of ``given`` that ``written`` lacks or holds differently."""
    out = _leaves(written)
    return [
        f"{p}: {v!r} -> {out.get(p, '<missing>')!r}"
        for p, v in _leaves(given).items()
        if out.get(p, object()) != v
    ]


# --------------------------------------------------------------------------- ORUK both ways


def test_uk_profile_fixtures_are_strictly_valid():
    services = _fixture()
    assert validate_hsds({"services": services}, schema_dir=ORUK_SCHEMA_DIR, strict=True) == []
    # "every field filled": each property the UK service schema defines is used somewhere
    schema = json.loads((ORUK_SCHEMA_DIR / "service.json").read_text("utf-8"))
    assert set(schema["properties"]) == {k for s in services for k in s}


def test_strict_reading_names_a_field_the_profile_does_not_define():
    services = _fixture()
    services[0]["phones"] = [{"id": services[0]["id"], "number": "01572 722918"}]
    services[1]["service_at_locations"][0]["location"]["uprn"] = "100030561234"
    lenient = validate_hsds({"services": services}, schema_dir=ORUK_SCHEMA_DIR)
    strict = validate_hsds({"services": services}, schema_dir=ORUK_SCHEMA_DIR, strict=True)
    assert lenient == []
    assert strict == [
        "services[0]: Additional properties are not allowed ('phones' was unexpected)",
        "services[1].service_at_locations[0].location: Additional properties are not allowed "
        "('uprn' was unexpected)",
    ]


def test_uk_profile_round_trips_unchanged():
    given = _fixture()
    result = read_hsds(SERVICES)
    assert result.errors.empty
    assert len(result.assets) == 4  # the larder is at two places
    export = hsds_export(result.assets, profile="oruk")
    assert export.dropped == ()
    assert validate_hsds(export.tables, schema_dir=ORUK_SCHEMA_DIR, strict=True) == []
    assert _lost(given, export.tables["services"]) == []
    assert export.tables["services"] == given


def test_uk_profile_round_trips_through_the_store(store: Store):
    result = read_hsds(SERVICES)
    store.import_assets(result.assets, source="hsds:services", actor="t", reason="t")
    export = hsds_export(store.assets(), profile="oruk")
    assert export.tables["services"] == _fixture()


def test_imported_uk_services_get_categories_eligibility_and_warnings():
    result = read_hsds(SERVICES)
    rows = result.assets[
        ["name", "categories", "convictions", "gender", "postcode", "wheelchair", "cost"]
    ].to_dict("records")
    assert rows == [
        {
            "name": "Community Larder",
            "categories": ("food_support",),
            "convictions": "welcome",  # Open Eligibility "Ex-Offender"
            "gender": "any",
            "postcode": "LE15 6AH",
            "wheelchair": "yes",
            "cost": "paid",
        },
        {
            "name": "Community Larder",
            "categories": ("food_support",),
            "convictions": "welcome",
            "gender": "any",
            "postcode": "LE15 9QH",
            "wheelchair": "limited",
            "cost": "paid",
        },
        {
            "name": "Ketton Job Club",
            "categories": ("employment_support", "peer_mentoring"),
            "convictions": "welcome",
            "gender": "any",
            "postcode": "PE9 3TE",
            "wheelchair": "yes",
            "cost": "free",
        },
        {
            "name": "Women's Wellbeing Group",
            "categories": ("peer_mentoring",),
            "convictions": None,
            "gender": "women",
            "postcode": "LE15 6AH",
            "wheelchair": "yes",
            "cost": "low",
        },
    ]
    assert result.report.to_dict("records") == [
        {
            "row": "services[1].service_at_locations[0]",
            "field": "schedules",
            "problem": "opening hours not imported: a monthly schedule (interval 1.0) has no "
            "OSM form",
            "value": "",
            "severity": "warning",
        }
    ]


def test_uk_service_terms_are_matched_by_their_term_code():
    terms = read_hsds(SERVICES).terms.set_index("name")
    assert terms.loc["Food Pantry", ["category", "method"]].tolist() == [
        "food_support",
        "hsds_term",
    ]


def test_imported_uk_services_are_found_by_find_support():
    assets = read_hsds(SERVICES).assets
    assets["id"] = [f"asset-{i}" for i in range(len(assets))]
    found = search_assets(assets, "food bank")
    names = assets.set_index("id").loc[found["id"], "name"]
    assert set(names) == {"Community Larder"}
    assert "food" in found["matched"].iloc[0].lower()


def test_an_edit_replaces_only_what_it_changed():
    given = _fixture()
    assets = read_hsds(SERVICES).assets
    assets.loc[3, "name"] = "Women's Wellbeing Circle"
    assets.loc[3, "opening_hours"] = "Th 18:30-20:30"
    services = register_to_hsds(assets, profile="oruk")["services"]
    changed = services[2]
    assert changed["name"] == "Women's Wellbeing Circle"
    assert [(s["byday"], s["opens_at"], s["closes_at"]) for s in changed["schedules"]] == [
        ("TH", "18:30", "20:30")
    ]
    # everything assetmap does not model is the source's, word for word
    for key in ("service_areas", "funding", "contacts", "languages", "cost_options", "alert"):
        assert changed[key] == given[2][key]
    assert changed["service_at_locations"] == given[2]["service_at_locations"]
    assert services[:2] == given[:2]


def test_the_assets_of_one_service_go_out_as_that_service():
    assets = read_hsds(SERVICES).assets
    services = register_to_hsds(assets, profile="oruk")["services"]
    larder = services[0]
    assert [s["location"]["name"] for s in larder["service_at_locations"]] == [
        "Victoria Hall, Oakham",
        "Uppingham Town Hall",
    ]


# --------------------------------------------------------------------------- HSDS 3.0 both ways


@pytest.mark.parametrize(
    "example", ["service_full.json", "organization_full.json", "service_at_location_full.json"]
)
@needs_shared_data
def test_official_hsds_examples_round_trip_without_losing_a_field(example):
    given = _corrected(json.loads((EXAMPLES / example).read_text("utf-8")))
    result = assets_from_hsds(copy.deepcopy(given))
    assert result.errors.empty
    tables = register_to_hsds(result.assets)
    assert validate_hsds(tables) == []
    service = tables["services"][0]
    if example == "service_full.json":
        assert service == given
    elif example == "organization_full.json":
        org = {k: v for k, v in given.items() if k != "services"}
        assert _lost(org, tables["organizations"][0]) == []
        assert _lost(given["services"][0], service) == []
    else:
        sal = {k: v for k, v in given.items() if k not in ("service", "location")}
        assert _lost(given["service"], service) == []
        assert _lost(sal, tables["service_at_locations"][0]) == []
        assert _lost(given["location"], service["service_at_locations"][0]["location"]) == []


@needs_shared_data
def test_uncorrected_example_is_refused_naming_the_field():
    result = read_hsds(EXAMPLES / "service_full.json")
    assert result.assets.empty
    assert result.errors[["field", "problem"]].to_dict("records") == [
        {"field": "location.latitude", "problem": "(100, 101) is not a latitude/longitude pair"}
    ]


def test_a_malformed_uk_postcode_and_swapped_coordinates_are_reported_as_the_csv_import_does():
    services = _fixture()[1:3]
    job_club = services[0]["service_at_locations"][0]["location"]
    job_club["addresses"][0]["postal_code"] = "PE9 3T"
    women = services[1]["service_at_locations"][0]["location"]
    women["latitude"], women["longitude"] = women["longitude"], women["latitude"]
    result = assets_from_hsds(services)
    assert result.report.to_dict("records") == [
        {
            "row": "services[0].service_at_locations[0]",
            "field": "location.addresses.postal_code",
            "problem": "not a UK postcode (the coordinates are used)",
            "value": "PE9 3T",
            "severity": "warning",
        },
        {
            "row": "services[0].service_at_locations[0]",
            "field": "schedules",
            "problem": "opening hours not imported: a monthly schedule (interval 1.0) has no "
            "OSM form",
            "value": "",
            "severity": "warning",
        },
        {
            "row": "services[1].service_at_locations[0]",
            "field": "location.latitude",
            "problem": "latitude and longitude look swapped (swapped, the point is inside the UK)",
            "value": "-0.7311, 52.6712",
            "severity": "error",
        },
    ]
    assert result.assets["postcode"].tolist() == [None]
    # the source's own postcode is still what goes out again
    out = register_to_hsds(result.assets, profile="oruk")["services"][0]
    assert out["service_at_locations"][0]["location"]["addresses"][0]["postal_code"] == "PE9 3T"


# --------------------------------------------------------------------------- country


@needs_shared_data
def test_country_comes_from_the_data_or_the_workspace_setting():
    assert workspace_country({}) == "GB"
    assert workspace_country({"country": "ie"}) == "IE"
    assert workspace_country({"country": "Ireland"}) == "GB"  # not a code: the default
    given = _corrected(json.loads((EXAMPLES / "service_full.json").read_text("utf-8")))
    us = assets_from_hsds(given).assets
    address = register_to_hsds(us, country="IE")["locations"][0]["addresses"][0]
    assert address["country"] == "US"  # the data's own
    own = us.copy()
    own["extra"] = None  # an asset assetmap holds itself: the workspace's country
    address = register_to_hsds(own, country="IE")["locations"][0]["addresses"][0]
    assert address["country"] == "IE"


def test_cli_exports_the_uk_profile_with_the_workspace_country(workspace_path, capsys):
    ws = create_workspace(workspace_path)
    try:
        ws.update_settings(country="IE")
        code, _, err = run_cli(capsys, "import", str(ws.path), str(SERVICES))
        assert code == 0, err
        assets = ws.store().assets()
        first = assets.index[assets["name"] == "Ketton Job Club"][0]
        ws.store().edit_asset(
            assets.loc[first, "id"],
            {"address": "High Street, Ketton", "extra": None},
            expected_version=int(assets.loc[first, "version"]),
            actor="t",
            reason="t",
        )
        code, _out, err = run_cli(
            capsys, "export", str(ws.path), "--format", "oruk", "--out", str(ws.path / "oruk")
        )
        assert code == 0, err
        assert err == ""
        tables = {
            name: json.loads((ws.path / "oruk" / f"{name}.json").read_text("utf-8"))
            for name in ("services", "locations", "taxonomy_terms")
        }
        assert validate_hsds(tables, schema_dir=ORUK_SCHEMA_DIR, strict=True) == []
        countries = {a["country"] for loc in tables["locations"] for a in loc.get("addresses", [])}
        assert countries == {"GB", "IE"}
    finally:
        close_stores()


@needs_shared_data
def test_an_hsds_only_field_is_left_out_of_the_uk_export_and_said(workspace_path, capsys):
    ws = create_workspace(workspace_path)
    try:
        corrected = workspace_path.parent / "service_full.json"
        given = _corrected(json.loads((EXAMPLES / "service_full.json").read_text("utf-8")))
        corrected.write_text(json.dumps(given), "utf-8")
        assert run_cli(capsys, "import", str(ws.path), str(corrected))[0] == 0
        code, _out, err = run_cli(
            capsys, "export", str(ws.path), "--format", "oruk", "--out", str(ws.path / "o")
        )
        assert code == 0
        # every HSDS-only value is named in the count (wait_time, program, contacts' phones...)
        assert err.startswith("Left out 75 values the Open Referral UK profile has no field")
        services = json.loads((ws.path / "o" / "services.json").read_text("utf-8"))
        assert validate_hsds({"services": services}, schema_dir=ORUK_SCHEMA_DIR, strict=True) == []
    finally:
        close_stores()


# --------------------------------------------------------------------------- taxonomy files


@pytest.mark.parametrize(
    ("name", "kinds"),
    [
        ("taxonomy_terms.json", {"term": 10}),
        ("taxonomies.json", {"taxonomy": 2}),
    ],
)
def test_taxonomy_files_import_as_taxonomy_not_services(name, kinds, workspace_path, capsys):
    ws = create_workspace(workspace_path)
    try:
        code, out, err = run_cli(capsys, "import", str(ws.path), str(ORUK_DATA / name))
        assert code == 0, out + err
        assert "no location" not in out + err
        kept = ws.store().records(TAXONOMY_ENTITY)
        assert kept["kind"].value_counts().to_dict() == kinds
        assert ws.store().assets().empty
    finally:
        close_stores()


@needs_shared_data
def test_taxonomy_terms_map_to_categories():
    terms = read_hsds(ORUK_DATA / "taxonomy_terms.json").taxonomy
    mapped = terms.dropna(subset=["category"]).set_index("name")["category"].to_dict()
    assert mapped == {
        "Food banks": "food_support",
        "Food Pantry": "food_support",
        "Help Find Work": "employment_support",
        "Mentoring": "peer_mentoring",
    }
    # the UK profile's `term` is the code: matched exactly, not by name
    methods = terms.set_index("name")["method"].to_dict()
    assert [methods[n] for n in ("Food Pantry", "Help Find Work", "Mentoring")] == ["hsds_term"] * 3
    official = read_hsds(EXAMPLES / "taxonomy_term_list.json").taxonomy
    assert official[["kind", "name"]].to_dict("records") == [{"kind": "term", "name": "name"}]


@needs_shared_data
def test_hsds_import_warns_of_coordinates_far_from_their_postcode(workspace_path, capsys):
    services = _fixture()[2:]  # the women's group at Victoria Hall, Oakham (LE15 6AH)
    location = services[0]["service_at_locations"][0]["location"]
    location["latitude"], location["longitude"] = 52.6271, -0.5526  # Ketton, 12 km away
    feed = workspace_path.parent / "feed.json"
    feed.write_text(json.dumps(services), "utf-8")
    ws = create_workspace(workspace_path)
    try:
        codepoint = SHARED_DATA / "postcodes-codepoint-open-2014" / "le.csv"
        assert run_cli(capsys, "postcodes", str(ws.path), str(codepoint))[0] == 0
        code, out, err = run_cli(capsys, "import", str(ws.path), str(feed))
        assert code == 0, err
        sal = services[0]["service_at_locations"][0]["id"]
        assert (f"  warning service_at_location {sal}, postcode: the coordinates are ") in out
        assert "12.8 km from the centre of LE15 6AH [LE15 6AH]" in out
    finally:
        close_stores()


def test_a_change_to_one_location_of_a_service_makes_it_a_service_of_its_own():
    given = _fixture()
    assets = read_hsds(SERVICES).assets
    assert assets.loc[1, "name"] == "Community Larder"  # its Uppingham hall
    assets.loc[1, "name"] = "Community Larder (Uppingham)"
    tables = register_to_hsds(assets, profile="oruk")
    assert validate_hsds(tables, schema_dir=ORUK_SCHEMA_DIR, strict=True) == []
    larders = [s for s in tables["services"] if s["name"].startswith("Community Larder")]
    assert [s["name"] for s in larders] == ["Community Larder", "Community Larder (Uppingham)"]
    oakham, uppingham = larders
    assert oakham["id"] == given[0]["id"]
    assert [sal["location"]["name"] for sal in oakham["service_at_locations"]] == [
        "Victoria Hall, Oakham"
    ]
    assert uppingham["id"] != given[0]["id"]
    assert {sal["service_id"] for sal in uppingham["service_at_locations"]} == {uppingham["id"]}
    assert {c["service_id"] for c in uppingham["cost_options"]} == {uppingham["id"]}
    assert uppingham["funding"][0]["source"] == given[0]["funding"][0]["source"]


def _records_by_id(node: Any, out: dict[str, list[dict[str, Any]]]) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("id"), str):
            out.setdefault(node["id"], []).append(node)
        for v in node.values():
            _records_by_id(v, out)
    elif isinstance(node, list):
        for v in node:
            _records_by_id(v, out)


def _same(a: Any, b: Any) -> bool:
    """Equal, or the same number written as text in one and as a number in the other."""
    if a == b:
        return True
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return False


@pytest.mark.parametrize("example", ["tabular.json", "csv"])
@needs_shared_data
def test_official_tabular_examples_round_trip_every_row(example, tmp_path):
    if example == "csv":
        source = tmp_path / "csv"
        source.mkdir()
        for path in (EXAMPLES / "csv").iterdir():
            text = path.read_text("utf-8-sig")
            if path.name == "locations.csv":
                text = text.replace(",100,101,", ",52.6703,-0.7271,")
            source.joinpath(path.name).write_text(text, "utf-8")
        tables = {p.stem: _csv_rows(p) for p in source.glob("*.csv")}
    else:
        data = _corrected(json.loads((EXAMPLES / example).read_text("utf-8")))
        source = tmp_path / "tabular.json"
        source.write_text(json.dumps(data), "utf-8")
        tables = {k.removesuffix(".csv"): v for k, v in data.items()}
    result = read_hsds(source)
    assert result.errors.empty, result.errors
    # rows that name no record of the example (its attribute links to an id it does not
    # hold, so its term and taxonomy are unused): said, not dropped silently
    assert result.report[["row", "field", "severity"]].to_dict("records") == [
        {"row": "metadata.csv row 2", "field": "", "severity": "warning"},
        {"row": "attributes.csv row 2", "field": "link_id", "severity": "warning"},
        {"row": "taxonomy_terms.csv row 2", "field": "id", "severity": "warning"},
        {"row": "taxonomies.csv row 2", "field": "id", "severity": "warning"},
    ]
    unlinked = {"metadata", "meta_table_descriptions", "attributes", "taxonomy_terms", "taxonomies"}
    exported = register_to_hsds(result.assets)
    assert validate_hsds(exported) == []
    by_id: dict[str, list[dict[str, Any]]] = {}
    _records_by_id(exported, by_id)
    lost = []
    for table, rows in tables.items():
        if table in unlinked:
            continue
        for row in rows:
            given = {k: v for k, v in row.items() if v not in ("", None)}
            if not any(
                all(_same(r.get(k), v) for k, v in given.items()) for r in by_id.get(row["id"], [])
            ):
                lost.append((table, row["id"]))
    assert lost == []


def _csv_rows(path: Path) -> list[dict[str, Any]]:
    import csv

    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
