"""Open Referral HSDS import and export: official examples, ORUK v1, round trip, bad input."""

from __future__ import annotations

import copy
import csv
import functools
import http.server
import json
import math
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import SHARED_DATA, needs_shared_data

from assetmap.errors import AssetMapError, IngestError
from assetmap.ingest.hsds import (
    HsdsLimits,
    assets_from_hsds,
    fetch_url,
    opening_hours_from_schedules,
    read_hsds,
)
from assetmap.ingest.problems import Problem, problems_in
from assetmap.ingest.tabular import assets_from_table, propose_column_mapping, read_table
from assetmap.output.export_hsds import HSDS_NAMESPACE, register_to_hsds, validate_hsds, write_hsds
from assetmap.schema import ASSET_COLUMNS
from assetmap.taxonomy import load_taxonomy

pytestmark = needs_shared_data

ROOT = Path(__file__).resolve().parents[2]
HSDS = SHARED_DATA / "hsds-3.0"
EXAMPLES = HSDS / "examples"
DATA = ROOT / "tests" / "data" / "hsds"
ORUK = DATA / "oruk_v1_services.json"
COUNSELLING_SAL = "e94c9f38-1e8f-4564-91d4-d53501ab1765"
IDS = [
    "11111111-1111-4111-8111-111111111111",
    "22222222-2222-4222-8222-222222222222",
    "33333333-3333-4333-8333-333333333333",
]


def _value(value: Any) -> Any:
    """Missing values as None (validate_assets may give NaN), whole floats as int."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    return [{c: _value(r[c]) for c in columns} for r in frame.to_dict("records")]


def _example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


@pytest.fixture
def oruk_assets() -> pd.DataFrame:
    assets = read_hsds(ORUK).assets.copy()
    assets["id"] = IDS
    return assets


# --------------------------------------------------------------------------- official examples


@pytest.mark.parametrize(
    ("example", "row"),
    [
        ("service_full.json", "service.service_at_locations[0]"),
        ("organization_full.json", "organization.services[0].service_at_locations[0]"),
        ("service_at_location_full.json", "service_at_location.service.service_at_locations[0]"),
        ("service_at_location_list.json", "contents[0].service.service_at_locations[0]"),
        ("tabular.json", "services.csv row 2.service_at_locations[0]"),
        ("csv", "services.csv row 2.service_at_locations[0]"),
    ],
)
def test_official_examples_import_and_report_their_impossible_coordinates(example, row):
    # Every official example places MyCity Civic Center at latitude 100, longitude 101.
    result = read_hsds(EXAMPLES / example)
    assert result.assets.empty
    assert result.errors.to_dict("records") == [
        {
            "row": row,
            "field": "location.latitude",
            "problem": "(100, 101) is not a latitude/longitude pair",
            "value": "",
            "severity": "error",
        }
    ]
    rejected = result.rejected.iloc[0]
    assert rejected["name"] == "Community Counselling"
    assert rejected["organisation"] == "Example Organization Inc."
    assert rejected["source_id"] == COUNSELLING_SAL
    assert (rejected["min_age"], rejected["max_age"], rejected["cost"]) == (12, 100, "paid")


def test_official_service_full_maps_every_field_once_coordinates_are_real():
    service = _example("service_full.json")
    location = service["service_at_locations"][0]["location"]
    location["latitude"], location["longitude"] = 52.6706, -0.7285
    result = assets_from_hsds(service, source="hsds:example")
    assert result.report.empty
    asset = _rows(
        result.assets,
        [
            "name",
            "organisation",
            "opening_hours",
            "phone",
            "email",
            "website",
            "address",
            "postcode",
            "cost",
            "wheelchair",
            "min_age",
            "max_age",
            "gender",
            "last_verified",
            "source",
            "source_id",
        ],
    )[0]
    assert asset == {
        "name": "Community Counselling",
        "organisation": "Example Organization Inc.",
        "opening_hours": "Th,Fr 10:00-18:00",
        "phone": "+44 1234 234567",
        "email": "email@example.com",
        "website": "http://example.com/counselling",
        "address": "1-30 Main Street, MyVillage, MyCity",
        "postcode": "ABC 1234",
        "cost": "paid",
        "wheelchair": "yes",
        "min_age": 12,
        "max_age": 100,
        "gender": "any",
        "last_verified": pd.Timestamp("2005-01-01").date(),
        "source": "hsds:example",
        "source_id": COUNSELLING_SAL,
    }
    point = result.assets.geometry.iloc[0]
    assert (point.x, point.y) == (-0.7285, 52.6706)
    # the example's placeholder term ("name") maps to no category, and says so
    assert result.terms.to_dict("records") == [
        {
            "vocabulary": "taxonomy",
            "code": "code",
            "name": "name",
            "category": None,
            "method": "none",
            "score": 0.0,
        }
    ]


def test_official_tabular_csv_joins_tables_into_one_asset(tmp_path):
    folder = tmp_path / "csv"
    shutil.copytree(EXAMPLES / "csv", folder)
    rows = list(csv.DictReader((folder / "locations.csv").open(encoding="utf-8")))
    rows[0].update(latitude="52.6706", longitude="-0.7285")
    with (folder / "locations.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    archive = Path(shutil.make_archive(str(tmp_path / "tables"), "zip", folder))
    for source in (folder, archive):
        result = read_hsds(source)
        assert result.errors.empty  # (warnings: rows that name no record of the example)
        assert _rows(
            result.assets,
            [
                "name",
                "organisation",
                "opening_hours",
                "phone",
                "postcode",
                "wheelchair",
                "min_age",
                "source_id",
            ],
        ) == [
            {
                "name": "Community Counselling",
                "organisation": "Example Organization Inc.",
                "opening_hours": "Th,Fr 10:00-18:00",
                "phone": "+44 1234 234567",
                "postcode": "ABC 1234",
                "wheelchair": "yes",
                "min_age": 12,
                "source_id": COUNSELLING_SAL,
            }
        ]


@pytest.mark.parametrize(
    ("example", "match"),
    [
        ("base.json", "HSDS API root"),
        ("location.json", "HSDS location record, not services"),
        ("organization_list.json", "'Example Organization Inc.' lists no services"),
    ],
)
def test_official_examples_without_services_are_refused_by_name(example, match):
    with pytest.raises(IngestError, match=match):
        read_hsds(EXAMPLES / example)


@pytest.mark.parametrize(
    ("example", "kinds"),
    [
        ("taxonomy.json", ["taxonomy"]),
        ("taxonomy_list.json", ["taxonomy"]),
        ("taxonomy_term.json", ["term"]),
        ("taxonomy_term_list.json", ["term"]),
    ],
)
def test_official_taxonomy_examples_are_read_as_taxonomy(example, kinds):
    result = read_hsds(EXAMPLES / example)
    assert result.assets.empty
    assert result.report.empty
    assert result.taxonomy["kind"].tolist() == kinds


def test_service_list_page_without_locations_is_reported_not_dropped():
    result = read_hsds(EXAMPLES / "service_list.json")
    assert result.report[["row", "field"]].to_dict("records") == [
        {"row": "contents[0]", "field": "service_at_locations"}
    ]
    assert "'Community Counselling' has no location" in result.report["problem"].iloc[0]


# --------------------------------------------------------------------------- Open Referral UK v1


def test_open_referral_uk_v1_gives_one_asset_per_service_at_location():
    result = read_hsds(ORUK)
    columns = [
        "name",
        "organisation",
        "categories",
        "opening_hours",
        "phone",
        "email",
        "address",
        "postcode",
        "cost",
        "min_age",
        "gender",
        "convictions",
        "wheelchair",
        "source",
        "source_id",
    ]
    assert _rows(result.assets, columns) == [
        {
            "name": "Oakham Community Larder",
            "organisation": "Rutland Food Partnership",
            "categories": ("food_support",),
            "opening_hours": "Tu,Fr 10:00-12:00",
            "phone": "01632 960123",
            "email": "larder@example.org",
            "address": "39 High Street, Oakham",
            "postcode": "LE15 6AH",
            "cost": "free",
            "min_age": 18,
            "gender": "any",
            "convictions": None,
            "wheelchair": "yes",
            "source": "hsds:oruk_v1_services",
            "source_id": "oruk-sal-larder-victoria-hall",
        },
        {
            "name": "Women's Wellbeing Group",
            "organisation": "Rutland Women's Network",
            "categories": ("womens_support",),
            "opening_hours": "Mo 13:00-15:00",
            "phone": None,
            "email": None,
            "address": None,
            "postcode": None,
            "cost": "free",
            "min_age": None,
            "gender": "women",
            "convictions": "welcome",
            "wheelchair": None,
            "source": "hsds:oruk_v1_services",
            "source_id": "oruk-sal-wwg-library",
        },
        {
            "name": "Women's Wellbeing Group",
            "organisation": "Rutland Women's Network",
            "categories": ("womens_support",),
            "opening_hours": "Mo 13:00-15:00",
            "phone": None,
            "email": None,
            "address": "High Street East, Uppingham",
            "postcode": "LE15 9PY",
            "cost": "free",
            "min_age": None,
            "gender": "women",
            "convictions": "welcome",
            "wheelchair": None,
            "source": "hsds:oruk_v1_services",
            "source_id": "oruk-sal-wwg-uppingham",
        },
    ]
    assert result.report.to_dict("records") == [
        {
            "row": "content[2]",
            "field": "service_at_locations",
            "problem": "service 'Rutland Money Helpline' has no location, "
            "so it cannot go on the map",
            "value": "",
            "severity": "error",
        }
    ]
    assert result.terms[["name", "category", "method"]].to_dict("records") == [
        {"name": "Food Pantry", "category": "food_support", "method": "hsds_term"},
        {"name": "Women's centre", "category": "womens_support", "method": "name"},
    ]


def test_term_names_fall_back_to_a_fuzzy_category_match():
    service = json.loads(ORUK.read_text(encoding="utf-8"))["content"][0]
    service["service_taxonomys"] = [
        {"id": "t1", "taxonomy": {"id": "x:1", "name": "Food banks", "vocabulary": "Local"}}
    ]
    result = assets_from_hsds(service)
    assert result.assets["categories"].tolist() == [("food_support",)]
    assert result.terms[["category", "method", "score"]].to_dict("records") == [
        {"category": "food_support", "method": "fuzzy", "score": 94.7}
    ]


def test_monthly_schedule_is_reported_and_hours_left_empty():
    service = json.loads(ORUK.read_text(encoding="utf-8"))["content"][0]
    service["regular_schedules"] = [
        {"id": "m1", "freq": "MONTHLY", "byday": "2TU", "opens_at": "10:00", "closes_at": "12:00"}
    ]
    result = assets_from_hsds(service)
    assert result.assets["opening_hours"].isna().all()
    assert result.report.to_dict("records") == [
        {
            "row": "service.service_at_locations[0]",
            "field": "schedules",
            "problem": "opening hours not imported: "
            "a monthly schedule (interval 1) has no OSM form",
            "value": "",
            "severity": "warning",
        }
    ]


def test_weekday_numbers_and_names_group_into_osm_ranges():
    schedules = [
        {"weekday": day, "opens_at": "09:00", "closes_at": "17:00"} for day in (1, 2, "Wednesday")
    ] + [{"byday": "SA", "opens_at": "10:00:00Z", "closes_at": "12:30:00"}]
    assert opening_hours_from_schedules(schedules) == "Mo-We 09:00-17:00; Sa 10:00-12:30"


# --------------------------------------------------------------------------- export


def test_export_validates_against_the_hsds_schemas(oruk_assets):
    tables = register_to_hsds(oruk_assets)
    assert validate_hsds(tables) == []
    compiled = json.loads((HSDS / "schema" / "compiled" / "service.json").read_text("utf-8"))
    validator = jsonschema.Draft202012Validator(compiled, format_checker=jsonschema.FormatChecker())
    assert [e.message for s in tables["services"] for e in validator.iter_errors(s)] == []
    assert [
        len(tables[t])
        for t in ("services", "organizations", "locations", "service_at_locations", "taxonomies")
    ] == [3, 2, 3, 3, 2]


def test_schema_check_names_the_record_and_path_at_fault(oruk_assets):
    tables = register_to_hsds(oruk_assets)
    del tables["services"][0]["phones"][0]["number"]
    tables["services"][1]["service_at_locations"][0]["location"]["location_type"] = "boat"
    assert validate_hsds(tables) == [
        "services[0].phones[0]: 'number' is a required property",
        "services[1].service_at_locations[0].location.location_type: "
        "'boat' is not one of ['physical', 'postal', 'virtual']",
        # the nested location is the same record as the flat one
        "locations[1].location_type: 'boat' is not one of ['physical', 'postal', 'virtual']",
    ]


def test_export_ids_are_stable_and_derived_from_the_asset_id(oruk_assets):
    first, second = register_to_hsds(oruk_assets), register_to_hsds(oruk_assets.copy())
    assert first == second
    sal_ids = [s["id"] for s in first["service_at_locations"]]
    assert sal_ids == [str(uuid.uuid5(HSDS_NAMESPACE, f"{i}:service_at_location")) for i in IDS]
    # the two Women's Wellbeing assets share one organisation record
    assert first["services"][1]["organization_id"] == first["services"][2]["organization_id"]


def test_taxonomy_terms_map_both_ways(oruk_assets):
    taxonomy = load_taxonomy()
    mapped = [c for c in taxonomy.categories.values() if c.hsds_terms]
    # every mapped category (16 today), not one picked example
    assert {"food_support", "housing_support", "peer_mentoring"} <= {c.code for c in mapped}
    one_each = oruk_assets.iloc[[0] * len(mapped)].reset_index(drop=True)
    one_each["id"] = [str(uuid.uuid5(HSDS_NAMESPACE, c.code)) for c in mapped]
    one_each["categories"] = [(c.code,) for c in mapped]
    services = register_to_hsds(one_each)["services"]
    by_id = {s["id"]: s for s in services}
    for category, asset_id in zip(mapped, one_each["id"], strict=True):
        service = by_id[str(uuid.uuid5(HSDS_NAMESPACE, f"{asset_id}:service"))]
        terms = [
            (a["taxonomy_term"]["taxonomy"], a["taxonomy_term"]["code"])
            for a in service["attributes"]
        ]
        # out: the assetmap code and every term the taxonomy maps the category to
        expected = [(t.vocabulary, t.code) for t in category.hsds_terms]
        assert terms[: 1 + len(expected)] == [("assetmap", category.code), *expected]
        # in: a feed that carries only the other vocabulary's terms gives the category back
        service["attributes"] = [
            a for a in service["attributes"] if a["taxonomy_term"]["taxonomy"] != "assetmap"
        ]
    again = assets_from_hsds({"contents": services})
    assert again.assets["categories"].tolist() == [(c.code,) for c in mapped]
    assert set(again.terms["method"]) == {"hsds_term"}


def test_import_export_import_gives_the_same_register(oruk_assets, tmp_path):
    oruk_assets.loc[0, "opening_hours"] = "Mo-Fr 09:00-17:00; PH off"
    oruk_assets.loc[1, "categories"] = ("womens_support", "peer_mentoring")
    columns = [
        "name",
        "organisation",
        "categories",
        "opening_hours",
        "phone",
        "email",
        "website",
        "address",
        "postcode",
        "cost",
        "min_age",
        "max_age",
        "gender",
        "convictions",
        "wheelchair",
        "status",
        "last_verified",
    ]
    export = register_to_hsds(oruk_assets)
    for source in (
        write_hsds(oruk_assets, tmp_path / "out"),
        write_hsds(oruk_assets, tmp_path / "out.zip"),
    ):
        again = read_hsds(source)
        assert again.report.empty
        assert _rows(again.assets, columns) == _rows(oruk_assets, columns)
        assert again.assets.geometry.geom_equals_exact(oruk_assets.geometry, 1e-9).all()
        assert again.assets["source_id"].tolist() == [
            s["id"] for s in export["service_at_locations"]
        ]
        again.assets["id"] = IDS
        assert register_to_hsds(again.assets) == export
    assert (tmp_path / "out.zip").read_bytes() == write_hsds(
        oruk_assets, tmp_path / "b.zip"
    ).read_bytes()


def test_rutland_register_round_trips_through_hsds(tmp_path):
    # Real data at register scale: Rutland's 130 named community places (shared OSM
    # extract) with their categories, addresses, postcodes, websites and hours.
    table = read_table(SHARED_DATA / "osm-rutland" / "pois_community_rutland.csv")
    mapping = propose_column_mapping(
        table.columns, overrides={"amenity": "categories", "addr:postcode": "postcode"}
    )
    assets = assets_from_table(table, mapping).assets
    assets["id"] = [str(uuid.uuid5(HSDS_NAMESPACE, s)) for s in assets["source_id"]]
    columns = [
        c for c in ASSET_COLUMNS if c not in ("id", "source", "source_id", "valid_from", "extra")
    ]
    filled = assets[["categories", "address", "postcode", "website", "opening_hours"]]
    assert filled.map(bool).sum().tolist() == [119, 57, 59, 2, 2]
    assert len(assets) == 130
    assert validate_hsds(register_to_hsds(assets)) == []
    again = read_hsds(write_hsds(assets, tmp_path / "rutland.zip"))
    assert again.report.empty
    assert _rows(again.assets, columns) == _rows(assets, columns)
    assert again.assets.geometry.geom_equals_exact(assets.geometry, 1e-9, align=False).all()


# --------------------------------------------------------------------------- bad input


def test_malformed_json_names_line_and_column():
    with pytest.raises(
        IngestError,
        match=r"broken\.json is not valid JSON: line 3 column 12: Expecting ':' delimiter",
    ):
        read_hsds(DATA / "broken.json")


def test_services_missing_required_fields_are_named_by_path():
    result = read_hsds(DATA / "missing_required.json")
    assert result.assets["name"].tolist() == ["Uppingham Job Club"]
    assert result.report[["row", "field", "problem"]].to_dict("records") == [
        {"row": "contents[1]", "field": "name", "problem": "required field is missing"},
        {"row": "contents[2]", "field": "id", "problem": "required field is missing"},
    ]
    assert list(problems_in(result.report)) == [
        Problem("contents[1]", "name", "required field is missing"),
        Problem("contents[2]", "id", "required field is missing"),
    ]
    # The same one line the CLI prints (it was "contents[1].name: ..." here).
    with pytest.raises(
        IngestError,
        match=r"2 HSDS record\(s\) could not be imported: "
        r"contents\[1\], name: required field is missing; contents\[2\], id: ",
    ):
        result.raise_for_problems()


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("42", "must be a JSON object or list, got int"),
        ('"services"', "must be a JSON object or list, got str"),
        ("{}", "No HSDS services found"),
    ],
)
def test_wrong_top_level_type_is_refused(tmp_path, text, match):
    path = tmp_path / "feed.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(IngestError, match=match):
        read_hsds(path)


def test_list_items_of_the_wrong_type_are_reported_by_index():
    result = assets_from_hsds([1, "two", None])
    assert result.report[["row", "problem"]].to_dict("records") == [
        {"row": "services[0]", "problem": "expected an object, got int"},
        {"row": "services[1]", "problem": "expected an object, got str"},
        {"row": "services[2]", "problem": "expected an object, got NoneType"},
    ]


def test_limits_refuse_large_files_many_records_and_deep_nesting(tmp_path):
    with pytest.raises(
        IngestError, match=r"oruk_v1_services\.json is [\d,]+ bytes; the limit is 1,000"
    ):
        read_hsds(ORUK, limits=HsdsLimits(max_bytes=1000))
    with pytest.raises(IngestError, match="holds 3 services; the limit is 2"):
        read_hsds(ORUK, limits=HsdsLimits(max_records=2))
    deep: Any = {"id": "s", "name": "Deep", "status": "active"}
    for _ in range(40):
        deep = {"contents": [deep]}
    with pytest.raises(IngestError, match="nests more than 32 levels deep"):
        assets_from_hsds(deep)
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(IngestError, match="nest"):
        read_hsds(path)
    with pytest.raises(ValueError, match="`max_bytes` must be positive"):
        HsdsLimits(max_bytes=0)


def test_binary_junk_and_a_lone_csv_are_refused(tmp_path):
    junk = tmp_path / "feed.json"
    junk.write_bytes(b"\xff\xfe\x00junk")
    with pytest.raises(IngestError, match="is not UTF-8 text"):
        read_hsds(junk)
    lone = tmp_path / "services.csv"
    lone.write_text("id,name\n1,A\n", encoding="utf-8")
    with pytest.raises(IngestError, match="give the folder or zip"):
        read_hsds(lone)


# --------------------------------------------------------------------------- URLs


#: The test server listens on 127.0.0.1, which imports refuse unless allowed on purpose.
LOCAL = HsdsLimits(allow_private_hosts=True)


@pytest.fixture
def local_server(tmp_path) -> Iterator[str]:
    content = json.loads(ORUK.read_text(encoding="utf-8"))["content"]
    for page, items in ((1, content[:1]), (2, content[1:])):
        body = {
            "total_items": 3,
            "total_pages": 2,
            "page_number": page,
            "size": 2,
            "first_page": page == 1,
            "last_page": page == 2,
            "empty": False,
            "contents": items,
        }
        (tmp_path / f"services-{page}.json").write_text(json.dumps(body), encoding="utf-8")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def translate_path(self, path: str) -> str:
            page = "2" if "&page=2" in path or "?page=2" in path else "1"
            return (
                str(tmp_path / f"services-{page}.json")
                if path.startswith("/services")
                else str(tmp_path / "missing")
            )

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(tmp_path))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_url_import_follows_every_page(local_server):
    result = read_hsds(f"{local_server}/services?per_page=2", limits=LOCAL)
    assert result.assets["source_id"].tolist() == [
        "oruk-sal-larder-victoria-hall",
        "oruk-sal-wwg-library",
        "oruk-sal-wwg-uppingham",
    ]
    assert result.assets["source"].unique().tolist() == [
        f"hsds:{local_server.removeprefix('http://')}/services"
    ]
    assert result.report["row"].tolist() == ["services[2]"]


def test_url_errors_become_ingest_errors(local_server):
    with pytest.raises(IngestError, match="answered HTTP 404"):
        fetch_url(f"{local_server}/nothing-here", LOCAL)
    with pytest.raises(IngestError, match="the limit is 100"):
        fetch_url(f"{local_server}/services", HsdsLimits(max_bytes=100, allow_private_hosts=True))
    with pytest.raises(IngestError, match="Only http and https"):
        fetch_url("file:///etc/passwd", HsdsLimits())


def test_fetching_is_injectable():
    calls = []

    def fake_fetch(url: str, limits: HsdsLimits) -> bytes:
        calls.append(url)
        return ORUK.read_bytes()

    result = read_hsds("https://directory.example.org/api/services", fetch=fake_fetch)
    assert calls == ["https://directory.example.org/api/services"]
    assert len(result.assets) == 3
    assert result.assets["source"].iloc[0] == "hsds:directory.example.org/api/services"


# --------------------------------------------------------------------------- properties

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "name",
                    "status",
                    "service_at_locations",
                    "location",
                    "latitude",
                    "longitude",
                    "contents",
                    "services",
                    "service",
                    "schedules",
                    "byday",
                    "opens_at",
                    "attributes",
                    "taxonomy_term",
                    "cost_options",
                    "amount",
                    "regular_schedules",
                    "weekday",
                    "eligibilitys",
                    "minimum_age",
                    "x",
                ]
            ),
            children,
            max_size=6,
        )
    ),
    max_leaves=30,
)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(_json)
def test_arbitrary_json_gives_a_result_or_an_assetmap_error(data):
    try:
        result = assets_from_hsds(data)
    except AssetMapError:
        return
    assert list(result.report.columns) == ["row", "field", "problem", "value", "severity"]


_service = st.fixed_dictionaries(
    {
        "id": st.text(min_size=1, max_size=6),
        "name": st.one_of(st.text(max_size=10), st.integers(), st.none()),
        "status": st.sampled_from(["active", "defunct", "x"]),
        "minimum_age": st.one_of(st.none(), st.integers(-5, 200), st.text(max_size=3)),
        "service_at_locations": st.lists(
            st.fixed_dictionaries(
                {
                    "id": st.text(max_size=4),
                    "location": st.fixed_dictionaries(
                        {
                            "latitude": st.one_of(st.floats(), st.text(max_size=4)),
                            "longitude": st.one_of(st.floats(), st.none()),
                        }
                    ),
                }
            ),
            max_size=3,
        ),
    }
)


@settings(derandomize=True, max_examples=100, deadline=None)
@given(st.lists(_service, max_size=4))
def test_plausible_services_are_imported_or_reported_never_crash(services):
    try:
        result = assets_from_hsds(copy.deepcopy(services))
    except AssetMapError:
        return
    located = sum(len(s["service_at_locations"]) for s in services)
    assert len(result.assets) <= located
