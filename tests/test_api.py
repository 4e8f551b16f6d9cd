"""The read-only Open Referral UK API, from the outside: real HTTP on 127.0.0.1.

Every path served is checked against the UK profile's own ``openapi.json``
(its response schemas, with the profile's schema files standing in for the
URLs it names), and assetmap's HSDS importer reads the API back page by page.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import referencing
from referencing.jsonschema import DRAFT202012
from support import SHARED_DATA, run_cli, skip_without_shared_data

from assetmap.access import Principal, Role
from assetmap.api import SERVED_PATHS, ApiConfig, build_app, serving
from assetmap.ingest.hsds import MODELLED_FIELDS, HsdsLimits, read_hsds
from assetmap.output.export_hsds import ORUK_SCHEMA_DIR, register_to_hsds, validate_hsds
from assetmap.people import sessions as ms
from assetmap.publish import public_register
from assetmap.workspace import Workspace, close_stores, create_workspace

DATA = Path(__file__).resolve().parent / "data"
ORUK_SERVICES = DATA / "oruk" / "services.json"
POIS = SHARED_DATA / "osm-rutland" / "pois_community_rutland.csv"
CODEPOINT = SHARED_DATA / "postcodes-codepoint-open-2014"
PROFILE_URL = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/"
ADMIN = Principal("admin", Role.ADMIN)
# URL imports may refuse loopback addresses unless told (an admin's or a test's choice)
LOOPBACK = HsdsLimits(
    **(
        {"allow_private_hosts": True}
        if "allow_private_hosts" in HsdsLimits.__dataclass_fields__
        else {}
    )
)
FRAN = Principal("fran", Role.FACILITATOR)
# what the UK profile carries of an asset (it has no phone on a service)
COMPARED = [f for f in MODELLED_FIELDS if f not in ("phone", "lon", "lat")]


def _get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _verify_all(ws: Workspace) -> None:
    store = ws.store()
    for asset in store.assets().to_dict("records"):
        if asset["status"] in {"unverified"}:
            store.set_status(
                asset["id"], "verified", expected_version=asset["version"], actor="t", reason="t"
            )


@pytest.fixture
def oruk_ws(workspace_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Workspace]:
    """The UK-profile fixtures, verified; plus one proposal and one archived asset."""
    ws = create_workspace(workspace_path)
    assert run_cli(capsys, "import", str(ws.path), str(ORUK_SERVICES))[0] == 0
    _verify_all(ws)
    store = ws.store()
    session = ms.start_session(
        store, principal=FRAN, date="2026-11-03", area="Oakham", group_label="Tuesday group"
    )
    ms.propose_asset(
        store,
        session,
        {"name": "Secret proposal", "lon": -0.73, "lat": 52.67},
        principal=Principal("p-1", Role.PARTICIPANT, session_id=session),
    )
    gone = store.add_asset(
        {"name": "Closed cafe", "lon": -0.72, "lat": 52.67, "status": "verified"},
        actor="t",
        reason="t",
    )
    store.set_status(gone, "archived", expected_version=1, actor="t", reason="closed")
    yield ws
    close_stores()


@pytest.fixture
def rutland_ws(workspace_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Workspace]:
    """Rutland: OSM places and a directory spreadsheet (CSV), a session's accepted assets."""
    skip_without_shared_data()
    ws = create_workspace(workspace_path)
    for args in (
        ("postcodes", str(ws.path), str(CODEPOINT / "le.csv")),
        (
            "import",
            str(ws.path),
            str(POIS),
            "--map",
            "amenity=categories",
            "--map",
            "addr:postcode=postcode",
            "--skip-bad-rows",
        ),
        ("import", str(ws.path), str(DATA / "rutland_directory.csv"), "--skip-bad-rows"),
    ):
        code, out, err = run_cli(capsys, *args)
        assert code == 0, out + err
    _verify_all(ws)
    store = ws.store()
    session = ms.start_session(
        store, principal=FRAN, date="2026-11-03", area="Oakham", group_label="Tuesday group"
    )
    person = Principal("p-1", Role.PARTICIPANT, session_id=session)
    accepted = ms.propose_asset(
        store,
        session,
        {
            "name": "Oakham Community Fridge",
            "lon": -0.7302,
            "lat": 52.6688,
            "categories": ["food_support"],
            "cost": "free",
            "opening_hours": "Mo-Fr 10:00-16:00",
        },
        principal=person,
    )
    ms.accept_proposal(store, accepted, principal=FRAN)
    ms.propose_asset(
        store, session, {"name": "Not yet checked", "lon": -0.73, "lat": 52.67}, principal=person
    )
    yield ws
    close_stores()


# --------------------------------------------------------------------------- OpenAPI validation


def _openapi() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((ORUK_SCHEMA_DIR / "openapi.json").read_text("utf-8"))
    return document


#: The profile's compiled record schemas, which its openapi.json refers to (read from the
#: shared data folder: the package ships only the table schemas and openapi.json).
COMPILED = SHARED_DATA / "oruk-profile" / "schema" / "compiled"


def _registry() -> referencing.Registry[Any]:
    """The profile's schema files under the URLs its openapi.json names them by."""
    if not COMPILED.is_dir():
        pytest.skip(f"needs the UK profile's compiled schemas at {COMPILED}")
    resources = []
    named = [(p, p.name) for p in ORUK_SCHEMA_DIR.glob("*.json")]
    named += [(p, f"compiled/{p.name}") for p in COMPILED.glob("*.json")]
    for path, name in named:
        if name == "openapi.json":
            continue
        url = PROFILE_URL + name
        resources.append((url, DRAFT202012.create_resource(json.loads(path.read_text("utf-8")))))
    return referencing.Registry().with_resources(resources)


def _response_errors(path: str, body: Any) -> list[str]:
    document = _openapi()
    schema = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    root = {**schema, "components": document["components"]}
    validator = jsonschema.Draft202012Validator(
        root, registry=_registry(), format_checker=jsonschema.FormatChecker()
    )
    return [f"{path}: {list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]


def test_every_path_served_answers_as_the_uk_profile_openapi_says(oruk_ws: Workspace):
    with serving(build_app(oruk_ws)) as base:
        status, page = _get(f"{base}/services?per_page=2")
        assert status == 200
        service_id = page["contents"][0]["id"]
        _, taxonomies = _get(f"{base}/taxonomies")
        _, terms = _get(f"{base}/taxonomy_terms")
        urls = {
            "/": "/",
            "/services": "/services?per_page=2&page=2",
            "/services/{id}": f"/services/{service_id}",
            "/taxonomies": "/taxonomies",
            "/taxonomies/{id}": f"/taxonomies/{taxonomies['contents'][0]['id']}",
            "/taxonomy_terms": "/taxonomy_terms?per_page=3",
            "/taxonomy_terms/{id}": f"/taxonomy_terms/{terms['contents'][0]['id']}",
        }
        assert set(urls) == set(SERVED_PATHS)
        errors = []
        for path, url in urls.items():
            status, body = _get(base + url)
            assert status == 200, (url, body)
            errors += _response_errors(path, body)
        assert errors == []
        _, document = _get(f"{base}/openapi.json")
        assert set(document["paths"]) == set(SERVED_PATHS)
        assert document["servers"] == [{"url": base}]
        _, root = _get(f"{base}/")
        assert root["openapi_url"] == f"{base}/openapi.json"


def test_only_verified_assets_are_served_and_nothing_else_is_answered(oruk_ws: Workspace):
    with serving(build_app(oruk_ws)) as base:
        _, page = _get(f"{base}/services?per_page=500")
        names = {s["name"] for s in page["contents"]}
        assert names == {"Community Larder", "Ketton Job Club", "Women's Wellbeing Group"}
        for hidden in ("Secret proposal", "Closed cafe"):
            assert (
                _get(f"{base}/services?search={urllib.parse.quote(hidden)}")[1]["total_items"] == 0
            )
        assert _get(f"{base}/services/not-an-id")[0] == 404
        request = urllib.request.Request(f"{base}/services", method="POST", data=b"{}")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 405
        status, body = _get(f"{base}/services?page=0")
        assert (status, body) == (400, {"detail": "`page` must be 1 or more, got 0."})


def test_services_filters_of_the_uk_api(oruk_ws: Workspace):
    def names(query: str) -> list[str]:
        status, page = _get(f"{base}/services?{query}")
        assert status == 200, page
        return [s["name"] for s in page["contents"]]

    with serving(build_app(oruk_ws)) as base:
        _, terms = _get(f"{base}/taxonomy_terms?per_page=500")
        by_name = {t["name"]: t for t in terms["contents"]}
        food = by_name["Food banks"]["id"]
        assert names("search=job") == ["Ketton Job Club"]
        assert names("text=larder") == ["Community Larder"]
        assert names(f"taxonomy_term_id={food}") == ["Community Larder"]
        assert names(f"taxonomy_id={by_name['Food banks']['taxonomy_id']}") == [
            "Community Larder",
            "Women's Wellbeing Group",
        ]
        # nearest first from Ketton's postcode; the larder's Uppingham hall is 13 km away
        assert names("postcode=PE9%203TE&proximity=20000") == [
            "Ketton Job Club",
            "Community Larder",
            "Women's Wellbeing Group",
        ]
        assert names("postcode=PE9%203TE&proximity=1000") == ["Ketton Job Club"]
        assert names("day=Thursday") == ["Women's Wellbeing Group"]
        assert names("minimum_age=16") == ["Ketton Job Club", "Women's Wellbeing Group"]
        tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
        assert names("modified_after=2026-01-01T00:00:00Z") == [
            "Community Larder",
            "Ketton Job Club",
            "Women's Wellbeing Group",
        ]
        assert names(f"modified_after={urllib.parse.quote(tomorrow)}") == []
        assert _get(f"{base}/services?postcode=nonsense")[0] == 400


def test_the_importer_reads_the_api_back_page_by_page(oruk_ws: Workspace):
    register = public_register(oruk_ws.store())
    with serving(build_app(oruk_ws)) as base:
        again = read_hsds(f"{base}/services?per_page=1", limits=LOOPBACK)
    assert again.errors.empty
    assert sorted(again.assets["source_id"]) == sorted(
        s["id"] for s in register_to_hsds(register, profile="oruk")["service_at_locations"]
    )
    assert _rows(again.assets) == _rows(register)


def _rows(assets: Any) -> list[dict[str, Any]]:
    frame = assets.sort_values(["name", "postcode"], kind="stable")
    rows = frame[COMPARED].to_dict("records")
    points = [(round(p.x, 7), round(p.y, 7)) for p in frame.geometry]
    return [{**r, "xy": xy} for r, xy in zip(rows, points, strict=True)]


def test_rutland_register_exports_strictly_and_round_trips_through_the_api(
    rutland_ws: Workspace, capsys: pytest.CaptureFixture[str]
):
    store = rutland_ws.store()
    register = public_register(store)
    everything = store.assets()
    assert len(register) == len(everything) - 1  # all but the unchecked proposal
    assert "Oakham Community Fridge" in set(register["name"])
    assert {"table:rutland_directory.csv", "table:pois_community_rutland.csv"} <= set(
        register["source"]
    )
    # strict UK-profile export of the CSV-imported and session-accepted assets
    code, _, err = run_cli(
        capsys,
        "export",
        str(rutland_ws.path),
        "--format",
        "oruk",
        "--out",
        str(rutland_ws.path / "o"),
    )
    assert code == 0
    # nothing left out but the phones, which the UK profile has no field for, each named
    with_phone = int(register["phone"].notna().sum())
    assert with_phone > 0
    assert err.startswith(
        f"Left out {with_phone} values the Open Referral UK profile has no field for: services["
    )
    assert err.count("(assetmap's phone)") == min(with_phone, 5)
    tables = {
        p.stem: json.loads(p.read_text("utf-8")) for p in (rutland_ws.path / "o").glob("*.json")
    }
    assert validate_hsds(tables, schema_dir=ORUK_SCHEMA_DIR, strict=True) == []
    with serving(build_app(rutland_ws)) as base:
        _, first = _get(f"{base}/services?per_page=25")
        assert first["total_items"] == len(register)
        assert first["total_pages"] == -(-len(register) // 25)
        again = read_hsds(f"{base}/services?per_page=25", limits=LOOPBACK)
    assert again.errors.empty
    assert _rows(again.assets) == _rows(register)


def test_a_newly_verified_asset_is_served_after_the_refresh(oruk_ws: Workspace):
    store = oruk_ws.store()
    with serving(build_app(oruk_ws, config=ApiConfig(refresh_s=0))) as base:
        assert _get(f"{base}/services?search=fridge")[1]["total_items"] == 0
        fridge = store.add_asset(
            {"name": "Oakham Community Fridge", "lon": -0.7302, "lat": 52.6688},
            actor="t",
            reason="t",
        )
        assert _get(f"{base}/services?search=fridge")[1]["total_items"] == 0  # unverified
        store.set_status(fridge, "verified", expected_version=1, actor="t", reason="checked")
        assert _get(f"{base}/services?search=fridge")[1]["total_items"] == 1


def test_assetmap_api_command_serves_the_workspace(oruk_ws: Workspace):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    process = subprocess.Popen(
        [sys.executable, "-m", "assetmap.cli", "api", str(oruk_ws.path), "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, root_doc = _get(f"http://127.0.0.1:{port}/")
                break
            except OSError:
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert status == 200
        assert root_doc["openapi_url"] == f"http://127.0.0.1:{port}/openapi.json"
        _, page = _get(f"http://127.0.0.1:{port}/services")
        assert page["total_items"] == 3
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=15)
    assert out.startswith(
        f"Serving the Open Referral UK API (read-only, verified assets) at http://127.0.0.1:{port}/"
    )
