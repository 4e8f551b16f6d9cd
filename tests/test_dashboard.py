"""The Dashboard's rules in the core (assetmap.dashboard, views.dashboard_additions).

On the 3 x 3 street grid of ``tests/reach/test_coverage.py`` (two areas, West
and East, three postcodes on the diagonal): every need and category is
listed, those with no service at 0%; gaps typed with a postcode, sector,
district, area name or place name are placed there; a mapping session's
accepted place and what a grant became are rows of the one "what was added"
table (on SQLite, and PostGIS when ``ASSETMAP_TEST_DATABASE_URL`` is set).
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from reach.test_coverage import JAN, at, grid_assets, street_grid
from reach.test_coverage import diagonal_postcodes as diagonal_postcodes  # LE15 6AA/6AB/6AD
from shapely.geometry import box
from support import grant_that_became

from assetmap import dashboard
from assetmap.access import Principal, Role
from assetmap.errors import AccessDeniedError
from assetmap.people import sessions
from assetmap.reach.coverage import coverage, demand_points
from assetmap.reach.network import WalkGraph
from assetmap.reach.sites import MaxCover, SiteSuggestion, area_minutes
from assetmap.taxonomy import load_taxonomy
from assetmap.views import dashboard_added, dashboard_additions

LEAD = Principal("lee", Role.LEAD)
FRAN = Principal("fran", Role.FACILITATOR)


@pytest.fixture(scope="module")
def grid() -> WalkGraph:
    return street_grid(3, 100.0)


@pytest.fixture(scope="module")
def halves() -> gpd.GeoDataFrame:
    """West (nodes in columns 0-1) and East (column 2), as in the coverage tests."""
    w_lon, w_lat = at([-50.0, 150.0], [-50.0, 250.0])
    e_lon, e_lat = at([150.0, 250.0], [-50.0, 250.0])
    return gpd.GeoDataFrame(
        {
            "area_code": ["E01000001", "E01000002"],
            "area_name": ["Grid 001A", "Grid 001B"],
            "imd_score": [10.0, 30.0],
            "imd_decile": pd.array([8, 3], dtype="Int64"),
        },
        geometry=[
            box(w_lon[0], w_lat[0], w_lon[1], w_lat[1]),
            box(e_lon[0], e_lat[0], e_lon[1], e_lat[1]),
        ],
        crs="EPSG:4326",
    )


@pytest.fixture(scope="module")
def places() -> list[dashboard.Place]:
    (lon,), (lat,) = at([200.0], [0.0])
    (t_lon,), (t_lat,) = at([0.0], [0.0])
    return [dashboard.Place("Gridtown", "town", t_lon, t_lat),
            dashboard.Place("Eastby", "village", lon, lat)]  # fmt: skip


def _gaps(rows: list[tuple[str, str | None, str | None]]) -> pd.DataFrame:
    """Gap records without pins: (need, category, area)."""
    return pd.DataFrame(
        {
            "need": [r[0] for r in rows],
            "category": [r[1] for r in rows],
            "area": [r[2] for r in rows],
            "lon": [None] * len(rows),
            "lat": [None] * len(rows),
            "note": [f"said {i}" for i in range(len(rows))],
        }
    )


def test_gaps_typed_as_places_are_placed_there_with_the_reason(halves, diagonal_postcodes, places):
    gaps = _gaps(
        [("health", None, "le15 6ad"), ("health", None, "LE15 6"), ("health", None, "LE15"),
         ("health", None, "grid 001b"), ("health", None, "Eastby"), ("health", None, "Narnia")]
    )  # fmt: skip
    placed = dashboard.place_gaps(gaps, areas=halves, postcodes=diagonal_postcodes, places=places)
    assert placed["placed"].tolist() == [
        "placed at postcode LE15 6AD",
        "placed at the middle of postcode sector LE15 6",
        "placed at the middle of postcode district LE15",
        "in area Grid 001B",
        "placed at Eastby (OpenStreetMap village)",
        "",
    ]
    assert placed.loc[3, "area"] == "E01000002"  # the area's name becomes its code
    sector_lon, sector_lat = at([100.0], [100.0])
    assert placed.loc[1, ["lon", "lat"]].tolist() == pytest.approx([sector_lon[0], sector_lat[0]])
    assert np.isnan(placed.loc[5, "lon"])  # nothing made up for a place not found
    note = dashboard.placing_note(placed)
    assert note.startswith("4 gaps recorded without a pin were placed")
    assert "1 name no place found" in note


def test_placed_gaps_count_in_their_area(grid, halves, diagonal_postcodes, places):
    demand = demand_points(grid, halves, postcodes=diagonal_postcodes)
    assets = grid_assets([(0.0, 0.0, ("gp_health",), "verified")])
    result = coverage(grid, assets, demand, minutes=2.5, search_minutes=10)
    gaps = _gaps([("health", None, "LE15 6AD"), ("health", None, "Eastby"),
                  ("health", None, "LE15 6AA"), ("health", None, "Narnia")])  # fmt: skip
    before = area_minutes(result, halves, category="gp_health", gaps=gaps)
    assert before["n_gaps"].tolist() == [0, 0]  # the old way: no pin, no count
    placed = dashboard.place_gaps(gaps, areas=halves, postcodes=diagonal_postcodes, places=places)
    table = dashboard.gap_table(result, halves, placed, category="gp_health", places=places)
    assert table["n_gaps"].tolist() == [1, 2]
    assert table["area_name"].tolist() == ["Grid 001A, Gridtown", "Grid 001B, Gridtown"]


def test_areas_are_named_with_their_town_or_the_nearest(halves):
    far_lon, far_lat = at([5000.0], [0.0])
    (lon,), (lat,) = at([200.0], [100.0])
    towns = [dashboard.Place("Farham", "town", far_lon[0], far_lat[0]),
             dashboard.Place("Midcaster", "town", lon, lat)]  # fmt: skip
    assert dashboard.area_labels(halves, towns) == ["Grid 001A, Midcaster", "Grid 001B, Midcaster"]
    assert dashboard.area_labels(halves, towns[:1]) == [
        "Grid 001A, near Farham",
        "Grid 001B, near Farham",
    ]
    assert dashboard.area_labels(halves, []) == ["Grid 001A", "Grid 001B"]


def test_every_need_and_category_is_listed_those_with_no_service_at_zero(
    grid, halves, diagonal_postcodes
):
    demand = demand_points(grid, halves, postcodes=diagonal_postcodes)
    assets = grid_assets(
        [(0.0, 0.0, ("library",), "verified"), (200.0, 0.0, ("library",), "verified"),
         (200.0, 200.0, ("gp_health",), "verified")]
    )  # fmt: skip
    result = coverage(grid, assets, demand, minutes=2.5, search_minutes=10)
    gaps = _gaps([("drugs_alcohol", None, "x")] * 6 + [("health", "gp_health", "x")] * 2)
    taxonomy = load_taxonomy()
    categories = dashboard.category_table(result, demand, gaps, search_minutes=10).set_index(
        "category"
    )
    assert set(categories.index) == set(taxonomy.categories)
    drugs = categories.loc["drug_alcohol_support"]
    assert (drugs["share"], drugs["services"], drugs["nearest"]) == (0.0, 0, "no service found")
    assert drugs["gaps"] == "6"  # gaps naming the need count for the categories serving it
    assert drugs["what_people_said"] == "said 0; said 1; said 2; said 3; said 4; said 5"
    gp = categories.loc["gp_health"]
    assert (gp["share"], gp["services"], gp["gaps"], gp["what_people_said"]) == (
        pytest.approx(2 / 3), 1, "<5", ""
    )  # fmt: skip
    assert categories.loc["library", "share"] == 1.0
    needs = dashboard.need_table(result, demand, gaps).set_index("need")
    assert set(needs.index) == set(taxonomy.needs)
    assert needs.loc["drugs_alcohol", ["share", "services", "gaps"]].tolist() == [0.0, 0, "6"]
    assert needs.loc["health", "share"] == pytest.approx(2 / 3)
    assert needs.index[0] in {"drugs_alcohol", "accommodation"}  # the least covered come first


def test_minutes_never_read_inf():
    assert dashboard.minutes_text(float("inf")) == "no service found"
    assert dashboard.minutes_text(float("inf"), search_minutes=60) == "over 60 min"
    assert dashboard.minutes_text(7.6) == "8 min"


def test_weighted_site_figures_are_whole_and_say_they_are_weighted():
    lon, lat = at([0.0, 100.0], [0.0, 0.0])
    sites = gpd.GeoDataFrame(
        {"rank": [1, 2], "name": ["Hall", "node:7"], "kind": ["venue", "cell"],
         "new_demand": [341.428, 12.5]},
        geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326",
    )  # fmt: skip
    solution = MaxCover(np.array([0, 1]), 353.9, 400.0, "milp", False, 0.1)
    suggestion = SiteSuggestion(sites, 100.0, 453.9, 1000.0, solution, 9)
    table = dashboard.sites_table(suggestion, noun="postcodes", weighted=True)
    assert table["Postcodes newly within reach (IMD-weighted)"].tolist() == [341, 12]
    assert table["Site"].tolist()[0] == "Hall"
    assert table["Site"].tolist()[1].startswith("a street near ")
    text = dashboard.sites_summary(suggestion, minutes=15, weighted=True)
    assert "MILP" not in text.upper()
    assert "short of the best possible choice" in text
    assert "deprivation-weighted share within 15 min goes from 10% to 45%" in text


def test_what_was_added_has_sessions_and_grants_in_one_table(
    store, grid, halves, diagonal_postcodes
):
    lon, lat = at([0.0, 200.0, 200.0, 100.0], [0.0, 200.0, 0.0, 100.0])
    store.add_asset({"name": "Library", "categories": ["library"], "lon": lon[0], "lat": lat[0]},
                    actor="lee", reason="test", at=JAN)  # fmt: skip
    sid = sessions.start_session(store, principal=FRAN, date=dt.date.today(), area="Gridtown",
                                 group_label="Tuesday group")  # fmt: skip
    accepted = sessions.propose_asset(
        store, sid, {"name": "Surgery", "categories": ["gp_health"], "lon": lon[1],
                     "lat": lat[1]}, principal=FRAN,
    )  # fmt: skip
    sessions.accept_proposal(store, accepted, principal=FRAN)
    sessions.propose_asset(
        store,
        sid,
        {"name": "Waiting", "categories": ["pharmacy"], "lon": lon[3], "lat": lat[3]},
        principal=FRAN,
    )  # fmt: skip  (never accepted: never live, never counted)
    club = store.add_asset(
        {"name": "Bike club", "categories": ["employment_support"], "lon": lon[2], "lat": lat[2]},
        actor="fran", reason="grant",
    )  # fmt: skip
    grant_that_became(store, sid, club)
    demand = demand_points(grid, halves, postcodes=diagonal_postcodes)
    added = dashboard_additions(grid, store, demand, minutes=2.5, principal=LEAD)
    assert added["kind"].tolist() == ["manual", "session", "grant"]
    assert added["source"].tolist()[1:] == [
        f"mapping session: Tuesday group {dt.date.today().isoformat()}",
        "grant: Bike club",
    ]
    assert added["n_added"].tolist() == [1, 1, 1]
    assert added["new_categories"].tolist() == [("library",), ("gp_health",),
                                                ("employment_support",)]  # fmt: skip
    assert (added["gain"] > 0).all()
    plain = dashboard_added(store, principal=LEAD)  # no walking network needed
    assert plain["kind"].tolist() == ["manual", "session", "grant"]
    assert plain["n_added"].tolist() == [1, 1, 1]
    with pytest.raises(AccessDeniedError):
        dashboard_added(store, principal=Principal("sam", Role.STAFF))
