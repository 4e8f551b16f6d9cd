"""Plans, referral logs and start points on a real Rutland workspace."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator

import pytest
from support import (
    SHARED_DATA,
    import_rutland,
    needs_shared_data,
    use_database_for_workspace,
)

from assetmap.access import Principal, Role
from assetmap.errors import (
    AccessDeniedError,
    NetworkError,
    NotFoundError,
    PostcodeError,
    QueryError,
    SchemaError,
)
from assetmap.ingest.osm import OsmExtract
from assetmap.ingest.postcodes import read_postcodes, save_postcodes
from assetmap.match.needs import Constraints, Goal
from assetmap.people.plans import (
    PLAN_ENTITY,
    PLAN_FIELDS,
    REFERRAL_ENTITY,
    create_plan,
    find_plan,
    get_plan,
    list_plans,
    log_referral,
    normalise_plan,
    plan_range_over_time,
    referral_log,
    resolve_start,
    update_plan,
)
from assetmap.reach.network import walk_graph_for
from assetmap.workspace import Workspace, close_stores, open_workspace, workspace_postcodes

pytestmark = needs_shared_data

POSTCODES = SHARED_DATA / "postcodes-codepoint-open-2014" / "postcodes_latlon_demo_lads.csv"
ANA = Principal("ana", Role.STAFF)
BEN = Principal("ben", Role.STAFF)
NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
GOALS = [Goal(text="a place of my own", need="accommodation"), Goal(good="community")]
CONSTRAINTS = Constraints(age=34, free_only=True, available=(("Tu", "10:00", "12:00"),),
                          max_minutes=15)  # fmt: skip


@pytest.fixture(scope="module")
def rutland(
    rutland_extract: OsmExtract,
    tmp_path_factory: pytest.TempPathFactory,
    new_database_url: Callable[[], str],
) -> Iterator[Workspace]:
    mp = pytest.MonkeyPatch()
    use_database_for_workspace(new_database_url(), mp)
    workspace = import_rutland(tmp_path_factory.mktemp("plans") / "rutland", rutland_extract)
    save_postcodes(read_postcodes(POSTCODES), workspace.postcodes_path)
    yield workspace
    close_stores()
    mp.undo()


@pytest.fixture(scope="module")
def graph(rutland):
    return walk_graph_for(rutland.network_path)


@pytest.fixture
def plan(rutland, graph):
    start = resolve_start(rutland, "LE15 6AA", graph=graph)
    return create_plan(
        rutland.store(), start=start, goals=GOALS, constraints=CONSTRAINTS, principal=ANA
    )


def test_start_points_from_postcode_coordinates_and_place_names(rutland, graph):
    postcode = resolve_start(rutland, "le15 6aa", graph=graph)
    assert (postcode.kind, postcode.label, postcode.area) == ("postcode", "LE15 6AA", "LE15 6")
    assert (postcode.lon, postcode.lat) == (-0.729689, 52.670718)
    typed = resolve_start(rutland, "52.6707, -0.7297", graph=graph)
    assert (typed.kind, typed.area, typed.lat, typed.lon) == (
        "coordinates",
        "LE15 6",
        52.6707,
        -0.7297,
    )
    clicked = resolve_start(rutland, (52.6707, -0.7297), graph=graph)
    assert clicked == typed
    library = resolve_start(rutland, "rutland county library", graph=graph)
    assert (library.kind, library.label, library.area) == (
        "place",
        "Rutland County Library",
        "LE15 6",
    )
    street = resolve_start(rutland, "Catmos Street", graph=graph)
    assert (street.kind, street.label) == ("place", "Catmos Street")
    town = resolve_start(rutland, "Uppingham", graph=graph)
    assert (town.kind, town.label, town.area) == ("place", "Uppingham", "LE15 9")


def test_bad_start_points_are_clear_errors(rutland, graph):
    with pytest.raises(PostcodeError, match="LE15 6ZZ is not in the workspace's postcode table; "
                       "nearest known sector: LE15 6"):  # fmt: skip
        resolve_start(rutland, "LE15 6ZZ", graph=graph)
    with pytest.raises(
        NetworkError, match=r"^The start point is 1[0-9]{2}\.\d km from the nearest"
    ):
        resolve_start(rutland, "53.5,1.5", graph=graph)  # the North Sea
    with pytest.raises(NetworkError, match="is not a latitude and longitude"):
        resolve_start(rutland, "152.6,-0.7", graph=graph)
    with pytest.raises(QueryError, match="Give a start point"):
        resolve_start(rutland, "   ", graph=graph)
    with pytest.raises(QueryError, match="10,000 characters long; the limit is 200"):
        resolve_start(rutland, "x" * 10_000, graph=graph)
    with pytest.raises(QueryError, match="No postcode, coordinates or place called 'Atlantis'"):
        resolve_start(rutland, "Atlantis", graph=graph)


def test_the_postcode_table_is_kept_per_version_of_the_file_and_register(rutland, graph):
    read = workspace_postcodes(rutland)
    assets = rutland.store().assets()
    assert workspace_postcodes(rutland, assets=assets) is read  # cached, not re-read
    assert read.locate("LE15 6AA") == read_postcodes(POSTCODES).locate("LE15 6AA")
    # An asset with a postcode the table lacks adds it; the loaded register is used as given.
    extra = assets.iloc[:1].assign(postcode="TR21 0ZZ")
    grown = workspace_postcodes(rutland, assets=extra)
    assert grown is not read
    assert grown.locate("TR21 0ZZ") == (extra.geometry.iloc[0].x, extra.geometry.iloc[0].y)
    start = resolve_start(rutland, "TR21 0ZZ", graph=graph, assets=extra)
    assert (start.kind, start.area) == ("postcode", "TR21 0")


def test_a_plan_keeps_only_a_coarse_home_and_no_name(rutland, plan):
    sector_lon, sector_lat = read_postcodes(POSTCODES).sector_centroid("LE15 6")
    assert plan["home_area"] == "LE15 6"
    assert (plan["home_lon"], plan["home_lat"]) == (round(sector_lon, 3), round(sector_lat, 3))
    assert plan["reference"].startswith("P-")
    assert len(plan["reference"]) == 6
    assert set(plan) == PLAN_FIELDS | {"id", "version", "valid_from", "updated_by"}
    assert plan["constraints"] == {
        "women_only_wanted": None, "age": 34, "free_only": True,
        "available": [["Tu", "10:00", "12:00"]], "wheelchair": False, "max_minutes": 15.0,
    }  # fmt: skip
    stored = json.dumps(rutland.store().history(PLAN_ENTITY, plan["id"])["data"].tolist())
    assert "LE15 6AA" not in stored
    assert "-0.729689" not in stored


def test_names_are_refused_as_fields_and_as_references(plan):
    record = {k: v for k, v in plan.items() if k in PLAN_FIELDS}
    with pytest.raises(SchemaError, match="unknown field\\(s\\) 'name'"):
        normalise_plan(record | {"name": "Jane Doe"})
    for reference in ("Jane Doe", "jane", "P", "P-7K3Q-WITH-A-VERY-LONG-TAIL"):
        with pytest.raises(SchemaError, match="`reference` must be a pseudonymous code"):
            normalise_plan(record | {"reference": reference})


def test_a_plan_survives_a_restart(rutland, plan):
    close_stores()
    reopened = open_workspace(rutland.path)
    again = get_plan(reopened.store(), plan["id"], principal=ANA)
    assert again == plan
    assert find_plan(reopened.store(), plan["reference"].lower(), principal=ANA) == plan


def test_only_the_owners_caseload_sees_a_plan(rutland, plan):
    store = rutland.store()
    with pytest.raises(AccessDeniedError, match=r"only view a plan .* for their own caseload"):
        get_plan(store, plan["id"], principal=BEN)
    team = Principal("cat", Role.STAFF, team=frozenset({"ana"}))
    assert get_plan(store, plan["id"], principal=team)["id"] == plan["id"]
    assert plan["reference"] in set(list_plans(store, principal=ANA)["reference"])
    assert plan["reference"] not in set(list_plans(store, principal=BEN)["reference"])
    with pytest.raises(AccessDeniedError, match="A lead may not view a plan"):
        list_plans(store, principal=Principal("lee", Role.LEAD))


def test_editing_a_plan_is_a_new_version(rutland, plan):
    store = rutland.store()
    edited = update_plan(
        store, plan["id"], {"goals": [{"text": "", "need": "ete", "good": None}]},
        expected_version=1, principal=ANA,
    )  # fmt: skip
    assert edited["version"] == 2
    assert edited["goals"] == [{"text": "", "need": "ete", "good": None}]
    assert store.history(PLAN_ENTITY, plan["id"])["version"].tolist() == [1, 2]
    with pytest.raises(SchemaError, match="owner cannot be changed"):
        update_plan(store, plan["id"], {"owner": "ben"}, expected_version=2, principal=ANA)


def test_the_referral_log_is_versioned_step_by_step(rutland, plan):
    store = rutland.store()
    library = store.assets().set_index("name").loc["Rutland County Library", "id"]
    days = [dt.date(2026, 11, d) for d in (2, 9, 23)]
    log_referral(store, plan["id"], library, "suggested", principal=ANA, on=days[0])
    log_referral(store, plan["id"], library, "contacted", principal=ANA, on=days[1])
    last = log_referral(
        store, plan["id"], library, "stopped", principal=ANA, on=days[2],
        reason="course full until spring",
    )  # fmt: skip
    assert (last["step"], last["version"]) == ("stopped", 3)
    log = referral_log(store, plan["id"], principal=ANA)
    assert log[["step", "on", "by", "version"]].values.tolist() == [
        ["suggested", "2026-11-02", "ana", 1],
        ["contacted", "2026-11-09", "ana", 2],
        ["stopped", "2026-11-23", "ana", 3],
    ]
    assert log["reason"].tolist() == [None, None, "course full until spring"]
    assert store.history(REFERRAL_ENTITY, last["id"])["reason"].tolist() == [
        "referral step: suggested", "referral step: contacted", "referral step: stopped",
    ]  # fmt: skip


def test_bad_referral_steps_are_refused(rutland, plan):
    store = rutland.store()
    library = store.assets()["id"].iloc[0]
    with pytest.raises(SchemaError, match="a `stopped` step needs a reason"):
        log_referral(store, plan["id"], library, "stopped", principal=ANA)
    with pytest.raises(SchemaError, match="`step` must be one of suggested, contacted"):
        log_referral(store, plan["id"], library, "ghosted", principal=ANA)
    with pytest.raises(NotFoundError):
        log_referral(store, plan["id"], "no-such-asset", "suggested", principal=ANA)
    with pytest.raises(AccessDeniedError):
        log_referral(store, plan["id"], library, "suggested", principal=BEN)


def test_accessible_range_grows_with_the_register(rutland, graph, plan):
    store = rutland.store()
    now = dt.datetime.now(dt.UTC)
    job_club_added = now - dt.timedelta(days=100)
    food_bank_added = now - dt.timedelta(days=40)
    # Two services added with past dates, at the plan's sector centroid.
    for name, category, when in (
        ("Story Job Club", "employment_support", job_club_added),
        ("Story Food Bank", "food_support", food_bank_added),
    ):
        store.add_asset(
            {"name": name, "lon": plan["home_lon"], "lat": plan["home_lat"],
             "categories": [category]},
            actor="test", reason="story", at=when,
        )  # fmt: skip
    history = plan_range_over_time(store, graph, plan, principal=ANA, months=5, now=now)
    points = history["as_of"].tolist()
    assert len(points) == 6
    assert points[-1] == now
    assert all(p.day == 1 and p.hour == 0 for p in points[:-1])
    assert (now - points[0].to_pydatetime()).days < 5 * 31
    expected = [
        tuple(
            code
            for code, added in (("employment_support", job_club_added),
                                ("food_support", food_bank_added))
            if added <= p
        )
        for p in points[:-1]
    ]  # fmt: skip
    assert history["categories"].tolist()[:-1] == expected
    needs = {(): 0, ("employment_support",): 1, ("employment_support", "food_support"): 3}
    assert history["n_needs"].tolist()[:-1] == [needs[c] for c in expected]
    latest = history.iloc[-1]
    assert latest["n_categories"] > 10
    assert {"employment_support", "food_support", "library"} <= set(latest["categories"])
