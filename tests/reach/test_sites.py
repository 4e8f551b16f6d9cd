"""Gaps and suggested sites (assetmap.reach.sites).

The street is 15 junctions in a line, 100 m apart (75 s a block at 4.8 km/h);
the limit is 2.6 minutes (156 s: two blocks, not three). Demand sits on the
junctions, weight 1 except junction 4 (2), 8 (3) and 10 (2). A GP on
junction 14 already covers 12-14. Candidate halls on junctions 2, 6 and 10:

- hall 2 newly covers 0-4: 1+1+1+1+2 = 6
- hall 6 newly covers 4-8: 2+1+1+1+3 = 8
- hall 10 newly covers 8-11 (12 is covered): 3+1+2+1 = 7

For two sites greedy takes hall 6, then either other hall for 4 more: 12.
The optimum is halls 2 and 10: 6 + 7 = 13.
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point
from street_grids import at, street_line, west_and_east

from assetmap.ingest.postcodes import PostcodeIndex
from assetmap.reach.coverage import coverage, demand_points
from assetmap.reach.network import WalkGraph
from assetmap.reach.sites import candidate_sites, gap_areas, solve_max_cover, suggest_sites
from assetmap.records import normalise_gap

N = 15
WEIGHT_AT = {4: 2.0, 8: 3.0, 10: 2.0}
LIMIT = 2.6


def lonlat(east_m: list[float]) -> tuple[np.ndarray, np.ndarray]:
    return at(east_m, [0.0] * len(east_m))


@pytest.fixture(scope="module")
def street() -> WalkGraph:
    return street_line(N, 100.0)


def assets_at(rows: list[tuple[int, str, str]]) -> gpd.GeoDataFrame:
    """(junction, category, name) rows as an asset table."""
    lon, lat = lonlat([100.0 * r[0] for r in rows])
    return gpd.GeoDataFrame(
        {
            "id": [f"a{r[0]}" for r in rows],
            "name": [r[2] for r in rows],
            "status": ["verified"] * len(rows),
            "categories": [(r[1],) for r in rows],
        },
        geometry=[Point(x, y) for x, y in zip(lon, lat, strict=True)],
        crs="EPSG:4326",
    )


@pytest.fixture(scope="module")
def register() -> gpd.GeoDataFrame:
    return assets_at(
        [
            (14, "gp_health", "Surgery"),
            (2, "community_centre", "Hall 2"),
            (6, "community_centre", "Hall 6"),
            (10, "library", "Library 10"),
            (9, "school", "School"),  # not a venue
        ]
    )


@pytest.fixture(scope="module")
def areas() -> gpd.GeoDataFrame:
    """West (junctions 0-7, IMD 40) and east (8-14, IMD 10)."""
    return west_and_east(
        (-50, -50, 750, 50), (750, -50, 1450, 50), imd_scores=(40.0, 10.0), imd_deciles=(1, 8)
    )


@pytest.fixture(scope="module")
def demand(street, areas):
    lon, lat = lonlat([100.0 * i for i in range(N)])
    codes = [f"LE15 {i // 10 + 1}{'ABDEFGHJLN'[i % 10]}A" for i in range(N)]
    return demand_points(street, areas, postcodes=PostcodeIndex.from_arrays(codes, lon, lat))


def junction_weights(demand) -> np.ndarray:
    return np.array([WEIGHT_AT.get(int(n), 1.0) for n in demand.snapped.node])


def brute_force(cover: np.ndarray, weight: np.ndarray, count: int) -> float:
    best = 0.0
    for combo in itertools.combinations(range(cover.shape[1]), count):
        best = max(best, float(weight[cover[:, list(combo)].any(axis=1)].sum()))
    return best


def test_candidates_are_the_community_venues_of_the_register(street, register):
    venues = candidate_sites(street, register)
    assert venues["name"].tolist() == ["Hall 2", "Hall 6", "Library 10"]
    assert set(venues["kind"]) == {"venue"}
    cells = candidate_sites(street, register, cell_m=500.0)
    assert cells["kind"].eq("cell").all()
    assert len(cells) == 3  # 1.4 km of street in three 500 m columns


def test_suggested_sites_are_the_milp_optimum_and_greedy_reports_its_gap(street, register, demand):
    venues = candidate_sites(street, register)
    weight = junction_weights(demand)
    exact = suggest_sites(
        street,
        register,
        demand,
        venues,
        category="gp_health",
        count=2,
        minutes=LIMIT,
        weight=weight,
        method="milp",
    )
    assert exact.method == "milp"
    assert exact.solution.optimal
    assert exact.sites["name"].tolist() == ["Library 10", "Hall 2"]  # ranked by what each adds
    assert exact.sites["new_demand"].tolist() == [7.0, 6.0]
    assert exact.covered_before == 3.0  # junctions 12-14, by the surgery
    assert exact.covered_after == 16.0
    assert exact.total == 19.0
    greedy = suggest_sites(
        street,
        register,
        demand,
        venues,
        category="gp_health",
        count=2,
        minutes=LIMIT,
        weight=weight,
        method="greedy",
    )
    assert greedy.method == "greedy"
    assert greedy.sites["name"].tolist()[0] == "Hall 6"
    assert greedy.solution.covered == 12.0
    assert greedy.solution.bound >= 13.0  # the LP relaxation bounds the optimum
    assert greedy.solution.gap == pytest.approx(1 - 12.0 / greedy.solution.bound)
    assert not greedy.solution.optimal
    auto = suggest_sites(
        street,
        register,
        demand,
        venues,
        category="gp_health",
        count=2,
        minutes=LIMIT,
        weight=weight,
    )
    assert auto.method == "milp"
    assert auto.covered_after == 16.0


def test_milp_equals_brute_force_on_random_small_cases():
    rng = np.random.default_rng(11)
    for _ in range(25):
        cover = rng.random((30, 8)) < 0.2
        weight = rng.integers(1, 10, 30).astype(float)
        count = int(rng.integers(1, 4))
        exact = solve_max_cover(cover, weight, count=count, method="milp")
        assert exact.covered == brute_force(cover, weight, count)
        greedy = solve_max_cover(cover, weight, count=count, method="greedy")
        assert greedy.covered <= exact.covered
        assert greedy.bound >= exact.covered - 1e-9


def test_max_cover_rejects_bad_input():
    with pytest.raises(ValueError, match="`count` must be an integer >= 1"):
        solve_max_cover(np.ones((2, 2), dtype=bool), [1.0, 1.0], count=0)
    with pytest.raises(ValueError, match="one row per weight"):
        solve_max_cover(np.ones((2, 2), dtype=bool), [1.0], count=1)
    with pytest.raises(ValueError, match="finite and >= 0"):
        solve_max_cover(np.ones((2, 2), dtype=bool), [1.0, -1.0], count=1)


def test_gap_areas_lists_areas_beyond_reach_with_reported_gaps(street, register, demand, areas):
    result = coverage(street, register, demand, minutes=LIMIT)
    lon, lat = lonlat([300.0])
    gaps = pd.DataFrame(
        [
            normalise_gap({"need": "health", "lon": lon[0], "lat": lat[0], "note": "No GP"}),
            normalise_gap({"need": "health", "category": "gp_health", "area": "W"}),
            normalise_gap({"need": "accommodation", "area": "W", "note": "Nowhere to stay"}),
            normalise_gap({"need": "health", "area": "W", "status": "closed"}),
        ]
    )
    beyond = gap_areas(result, areas, gaps, category="gp_health")
    # West: all eight junctions beyond the surgery; east: 12-14 of 8-14 within, median beyond.
    assert beyond["area_code"].tolist() == ["W", "E"]  # most deprived first
    assert beyond["n_gaps"].tolist() == [2, 0]
    assert beyond["gap_notes"].tolist() == [("No GP",), ()]
    assert np.isinf(beyond.loc[0, "minutes"])
    assert beyond.loc[1, "share_within"] == pytest.approx(3 / 7)
