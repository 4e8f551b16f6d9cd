"""Coverage of needs on foot (assetmap.reach.coverage).

Exact expectations on a 3 x 3 street grid with 100 m blocks (75 s each at
4.8 km/h) and on Rutland's real network and OSM assets, checked against an
independent networkx Dijkstra.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box
from street_grids import at, street_grid, west_and_east
from support import RUTLAND_BUNDLE

from assetmap.errors import IngestError, SchemaError
from assetmap.ingest.osm import OsmExtract
from assetmap.ingest.postcodes import PostcodeIndex
from assetmap.reach.areas import (
    AREAS_FILENAME,
    area_of_points,
    grid_areas,
    load_areas,
    read_areas,
    save_areas,
)
from assetmap.reach.coverage import (
    accessible_range,
    additions,
    asset_categories,
    category_node_seconds,
    coverage,
    coverage_series,
    demand_points,
    monthly_dates,
    range_summary,
    register_snapshots,
)
from assetmap.reach.network import WalkGraph, snap_points


@pytest.fixture(scope="module")
def grid() -> WalkGraph:
    """Nodes 0..8 at (100 c, 100 r) metres, node = 3 r + c; 12 streets of 100 m."""
    return street_grid(3, 100.0)


def grid_assets(rows: list[tuple[float, float, tuple[str, ...], str]]) -> gpd.GeoDataFrame:
    """Assets at (east, north) metres from node 0 with their categories and status."""
    lon, lat = at([r[0] for r in rows], [r[1] for r in rows])
    return gpd.GeoDataFrame(
        {"categories": [r[2] for r in rows], "status": [r[3] for r in rows]},
        geometry=[Point(x, y) for x, y in zip(lon, lat, strict=True)],
        crs="EPSG:4326",
    )


@pytest.fixture(scope="module")
def town() -> gpd.GeoDataFrame:
    """A library on node 0, a GP and pharmacy on node 2, a food bank 60 m east of node 8
    (a 45 s leg), and an archived dentist on node 4."""
    return grid_assets(
        [
            (0.0, 0.0, ("library",), "verified"),
            (200.0, 0.0, ("gp_health", "pharmacy"), "unverified"),
            (260.0, 200.0, ("food_support",), "verified"),
            (100.0, 100.0, ("dentist",), "archived"),
        ]
    )


def test_range_counts_categories_and_needs_within_the_limit_on_a_grid(grid, town):
    # From node 1 (100 m east of node 0): library 75 s, GP/pharmacy 75 s,
    # food bank 3 blocks + 45 s leg = 270 s; the dentist is archived.
    lon, lat = at([100.0], [0.0])
    within_2 = accessible_range(grid, town, lon, lat, minutes=2)
    assert within_2.loc[0, "categories"] == ("gp_health", "library", "pharmacy")
    assert within_2.loc[0, "needs"] == ("ete", "health")
    assert within_2.loc[0, ["n_categories", "n_needs"]].tolist() == [3, 2]
    just_short = accessible_range(grid, town, lon, lat, minutes=269.9 / 60)
    assert just_short.loc[0, "n_categories"] == 3
    just_over = accessible_range(grid, town, lon, lat, minutes=270.1 / 60)
    assert just_over.loc[0, "categories"] == ("food_support", "gp_health", "library", "pharmacy")
    assert just_over.loc[0, "needs"] == ("ete", "finance_benefit_debt", "health")


def test_range_counts_the_places_own_leg(grid, town):
    # 30 m south of node 0 (a 22.5 s leg): the library is 22.5 s away, the GP 172.5 s.
    lon, lat = at([0.0], [-30.0])
    result = accessible_range(grid, town, lon, lat, minutes=172.4 / 60)
    assert result.loc[0, "categories"] == ("library",)
    assert accessible_range(grid, town, lon, lat, minutes=172.6 / 60).loc[0, "n_categories"] == 3


def test_range_is_the_same_from_few_places_and_from_many(grid, town):
    cols, rows = np.meshgrid(np.arange(0, 201, 50.0), np.arange(0, 201, 50.0))
    lon, lat = at(cols.ravel().tolist(), rows.ravel().tolist())
    together = accessible_range(grid, town, lon, lat, minutes=3)  # per-category searches
    one_by_one = [  # one place at a time: the places x assets matrix
        accessible_range(grid, town, [x], [y], minutes=3).loc[0, "categories"]
        for x, y in zip(lon, lat, strict=True)
    ]
    assert together["categories"].tolist() == one_by_one
    assert set(together["n_categories"]) == {0, 1, 2, 3}  # a real mix, not all empty


def test_range_is_empty_without_assets_or_places(grid, town):
    lon, lat = at([0.0], [0.0])
    empty = accessible_range(grid, town.iloc[:0], lon, lat, minutes=30)
    assert empty.loc[0, "categories"] == ()
    assert empty.loc[0, "n_needs"] == 0
    assert len(accessible_range(grid, town, [], [], minutes=30)) == 0


def test_range_rejects_projected_assets_and_bad_limits(grid, town):
    lon, lat = at([0.0], [0.0])
    with pytest.raises(SchemaError, match="CRS must be 'EPSG:4326'"):
        accessible_range(grid, town.to_crs(27700), lon, lat, minutes=5)
    with pytest.raises(ValueError, match="`minutes` must be a finite number >= 0"):
        accessible_range(grid, town, lon, lat, minutes=-1)


def test_category_times_are_inf_for_a_category_with_no_asset(grid, town):
    table = category_node_seconds(grid, town, minutes=None, categories=["library", "justice"])
    assert list(table) == ["library", "justice"]
    assert table["library"].tolist() == [0, 75, 150, 75, 150, 225, 150, 225, 300]
    assert np.isinf(table["justice"]).all()
    assert "dentist" not in set(asset_categories(town)["category"])


# --- Rutland, against networkx ----------------------------------------------------------


@pytest.fixture(scope="module")
def rutland_osm(rutland_extract: OsmExtract) -> OsmExtract:
    return rutland_extract


@pytest.fixture(scope="module")
def rutland(rutland_graph: WalkGraph) -> WalkGraph:
    return rutland_graph


def networkx_ranges(graph: WalkGraph, assets: gpd.GeoDataFrame, lon, lat, limit_s: float):
    """Categories within ``limit_s`` of each place, by networkx Dijkstra from each place."""
    net = graph.network
    streets = nx.Graph()
    seconds = net.length_m / graph.config.speed_m_s
    for u, v, s in zip(net.edge_u.tolist(), net.edge_v.tolist(), seconds.tolist(), strict=True):
        if u != v and (not streets.has_edge(u, v) or s < streets[u][v]["weight"]):
            streets.add_edge(u, v, weight=s)
    ends = snap_points(graph, assets.geometry.x.to_numpy(), assets.geometry.y.to_numpy())
    starts = snap_points(graph, lon, lat)
    out = []
    for node, leg in zip(starts.node.tolist(), starts.leg_s.tolist(), strict=True):
        found = nx.single_source_dijkstra_path_length(streets, node, cutoff=limit_s - leg)
        codes: set[str] = set()
        for i, cats in enumerate(assets["categories"].tolist()):
            total = leg + found.get(int(ends.node[i]), np.inf) + ends.leg_s[i]
            if total <= limit_s:
                codes.update(cats)
        out.append(tuple(sorted(codes)))
    return out


def test_rutland_range_matches_networkx(rutland, rutland_osm):
    assets = rutland_osm.assets
    rng = np.random.default_rng(7)
    near = rng.choice(len(assets), 40, replace=False)  # places ~100 m from assets
    lon = assets.geometry.x.to_numpy()[near] + rng.uniform(-0.0015, 0.0015, 40)
    lat = assets.geometry.y.to_numpy()[near] + rng.uniform(-0.001, 0.001, 40)
    ours = accessible_range(rutland, assets, lon, lat, minutes=12)
    theirs = networkx_ranges(rutland, assets, lon, lat, 12 * 60.0)
    assert ours["categories"].tolist() == theirs
    assert ours["n_categories"].max() >= 8  # Oakham's centre has a lot within 12 minutes
    assert (ours["n_categories"] == 0).sum() >= 1  # and some places have nothing
    one = accessible_range(rutland, assets, lon[:2], lat[:2], minutes=12)
    assert one["categories"].tolist() == theirs[:2]


# --- Areas, postcodes and IMD on the grid ------------------------------------------------
#
# West area W holds columns 0-1 (IMD score 10), east area E column 2 (IMD 30). Postcodes
# sit on nodes 0 and 4 (in W) and 8 (in E). Limit 2.5 minutes = 150 s = two blocks.

JAN, MAR10, MAR20 = (
    dt.datetime(2025, 1, 15, tzinfo=dt.UTC),
    dt.datetime(2025, 3, 10, tzinfo=dt.UTC),
    dt.datetime(2025, 3, 20, tzinfo=dt.UTC),
)


@pytest.fixture(scope="module")
def halves() -> gpd.GeoDataFrame:
    return west_and_east(
        (-50, -50, 150, 250), (150, -50, 250, 250), imd_scores=(10.0, 30.0), imd_deciles=(6, 2)
    )


@pytest.fixture(scope="module")
def diagonal_postcodes() -> PostcodeIndex:
    lon, lat = at([0.0, 100.0, 200.0], [0.0, 100.0, 200.0])
    return PostcodeIndex.from_arrays(["LE15 6AA", "LE15 6AB", "LE15 6AD"], lon, lat)


@pytest.fixture(scope="module")
def march(grid) -> gpd.GeoDataFrame:
    """Libraries on nodes 0 and 2, a GP on node 8."""
    return grid_assets(
        [
            (0.0, 0.0, ("library",), "verified"),
            (200.0, 0.0, ("library",), "verified"),
            (200.0, 200.0, ("gp_health",), "verified"),
        ]
    )


def test_coverage_shares_of_areas_and_postcodes_with_imd_weights(
    grid, halves, diagonal_postcodes, march
):
    demand = demand_points(grid, halves, postcodes=diagonal_postcodes)
    assert demand.n_postcodes == 3  # areas measured at their postcodes only
    assert len(demand.lon) == 3
    result = coverage(grid, march, demand, minutes=2.5)
    gp = result.by_category.set_index("category").loc["gp_health"]
    # Postcodes: node 0 is 300 s from the GP, node 4 150 s, node 8 0 s.
    assert gp["share_postcodes"] == pytest.approx(2 / 3)
    assert gp["share_postcodes_imd"] == pytest.approx((10 + 30) / (10 + 10 + 30))
    # Area W: median of 300 s and 150 s = 225 s > 150 s; area E: 0 s.
    assert gp["share_areas"] == 0.5
    assert gp["share_areas_imd"] == pytest.approx(30 / 40)
    assert gp["areas_beyond"] == 1
    assert gp["median_minutes"] == pytest.approx(2.5)
    by_area = result.by_area.set_index(["area_code", "category"])
    assert np.isinf(by_area.loc[("W", "gp_health"), "minutes"])  # beyond the search limit
    assert by_area.loc[("W", "library"), "count_within"] == 2  # both libraries, from 0 and 4
    assert by_area.loc[("E", "library"), "count_within"] == 1
    assert by_area.loc[("W", "gp_health"), "share_within"] == 0.5
    wider = coverage(grid, march, demand, minutes=2.5, search_minutes=10, count=False)
    wide_area = wider.by_area.set_index(["area_code", "category"])
    assert wide_area.loc[("W", "gp_health"), "minutes"] == pytest.approx(3.75)
    assert np.isnan(wide_area.loc[("W", "library"), "count_within"])


def test_range_summary_from_a_wider_search_is_the_series_row(
    grid, halves, diagonal_postcodes, march
):
    """The dashboard's headline comes from its coverage (searched to an hour), not a new search."""
    demand = demand_points(grid, halves, postcodes=diagonal_postcodes)
    wider = coverage(grid, march, demand, minutes=2.5, search_minutes=60, count=False)
    head = range_summary(wider, march, demand)
    row = coverage_series(grid, [(JAN, march)], demand, minutes=2.5).summary.iloc[0]
    assert head == pytest.approx(row.drop("date").to_dict())
    # Within 2.5 min (not the hour searched): node 0 has the library, nodes 4 and 8 both.
    assert head["mean_categories"] == pytest.approx(5 / 3)
    assert head["n_assets"] == 3
    assert head["n_categories"] == 2


def test_series_measures_a_month_with_no_change_once(grid, halves, march, monkeypatch):
    import assetmap.reach.coverage as kernels

    demand = demand_points(grid, halves)
    one_library = march.iloc[:1]
    months = [(JAN, one_library), (MAR10, one_library.copy()), (MAR20, march)]
    alone = [coverage_series(grid, [m], demand, minutes=2.5).summary for m in months]
    searched: list[int] = []
    real = kernels.coverage
    monkeypatch.setattr(
        kernels, "coverage", lambda *a, **k: searched.append(len(a[1])) or real(*a, **k)
    )
    series = coverage_series(grid, months, demand, minutes=2.5).summary
    assert searched == [1, 3]  # the second month holds the same library: no new search
    pd.testing.assert_frame_equal(series, pd.concat(alone, ignore_index=True))


def test_coverage_without_postcodes_measures_areas_at_their_nodes(grid, halves, march):
    demand = demand_points(grid, halves)
    assert demand.n_postcodes == 0
    assert len(demand.lon) == 9
    result = coverage(grid, march, demand, minutes=2.5)
    by_area = result.by_area.set_index(["area_code", "category"])
    # E's nodes 2, 5, 8 are 150, 75, 0 s from the GP; W's six nodes 300, 225, 150, 225, 150, 75.
    assert by_area.loc[("E", "gp_health"), "minutes"] == pytest.approx(1.25)
    assert by_area.loc[("W", "gp_health"), "share_within"] == pytest.approx(3 / 6)
    assert np.isnan(result.by_category.loc[0, "share_postcodes"])


def test_series_rises_as_back_dated_assets_arrive(store, grid, halves, diagonal_postcodes):
    demand = demand_points(grid, halves, postcodes=diagonal_postcodes)
    for (east, north), cats, when, session in [
        ((0.0, 0.0), ["library"], JAN, None),
        ((200.0, 200.0), ["gp_health"], MAR10, None),
        ((200.0, 0.0), ["library"], MAR20, "s-1"),
    ]:
        lon, lat = at([east], [north])
        record = {"name": f"{cats[0]} {east}", "categories": cats, "lon": lon[0], "lat": lat[0]}
        if session:
            record["session_id"] = session
        store.add_asset(record, actor="lead", reason="test", at=when)
    dates = monthly_dates(dt.date(2024, 12, 1), dt.date(2025, 4, 1))
    series = coverage_series(grid, register_snapshots(store, dates), demand, minutes=2.5).summary
    # Dec: nothing. Jan-Feb: the library reaches nodes 0 and 4. Mar: node 0 has the library,
    # node 4 both, node 8 both (library on 2, GP on 8). Needs: library -> ete, GP -> health.
    assert series["n_assets"].tolist() == [0, 1, 1, 3, 3]
    assert series["mean_categories"].tolist() == pytest.approx([0, 2 / 3, 2 / 3, 5 / 3, 5 / 3])
    assert series["mean_needs"].tolist() == pytest.approx([0, 2 / 3, 2 / 3, 5 / 3, 5 / 3])
    assert series["share_any"].tolist() == pytest.approx([0, 2 / 3, 2 / 3, 1, 1])
    added = additions(grid, store, demand, minutes=2.5)
    assert added["batch"].tolist() == ["manual:2025-01-15", "manual:2025-03-10", "session:s-1"]
    assert added["n_added"].tolist() == [1, 1, 1]
    assert added["new_categories"].tolist() == [("library",), ("gp_health",), ()]
    assert added["gain"].tolist() == pytest.approx([2 / 3, 2 / 3, 1 / 3])


def test_monthly_dates_end_each_month():
    dates = monthly_dates(dt.date(2024, 12, 31), dt.date(2025, 2, 1))
    assert [d.date().isoformat() for d in dates] == ["2024-12-31", "2025-01-31", "2025-02-28"]
    with pytest.raises(ValueError, match="is before"):
        monthly_dates(dt.date(2025, 2, 1), dt.date(2025, 1, 1))


# --- Area tables ---------------------------------------------------------------------------

# The bundled copies: the LSOA file unchanged, the IMD rows of those LSOAs.
RUTLAND_LSOA = RUTLAND_BUNDLE / "lsoa.geojson"
IMD = RUTLAND_BUNDLE / "imd.csv"


def test_reads_rutland_lsoas_with_imd_and_round_trips_them(tmp_path):
    areas = read_areas(RUTLAND_LSOA, imd=IMD)
    assert len(areas) == 23
    assert areas["area_code"].str.startswith("E0101").all()
    assert areas["imd_decile"].min() == 5  # Rutland spans deciles 5-10 (SOURCE.md)
    assert areas["imd_decile"].max() == 10
    assert areas["imd_score"].notna().all()
    saved = save_areas(areas, tmp_path / AREAS_FILENAME)
    assert [p.name for p in tmp_path.iterdir()] == [AREAS_FILENAME]  # no temporary left
    again = load_areas(saved)
    assert again["area_code"].tolist() == areas["area_code"].tolist()
    assert again.geometry.equals(areas.geometry)


def test_area_loader_names_what_is_wrong(tmp_path):
    with pytest.raises(IngestError, match="No boundary file"):
        read_areas(tmp_path / "missing.geojson")
    odd = tmp_path / "odd.geojson"
    gpd.GeoDataFrame({"x": [1]}, geometry=[box(0, 50, 1, 51)], crs="EPSG:4326").to_file(odd)
    with pytest.raises(IngestError, match="no area code column"):
        read_areas(odd)
    no_imd = tmp_path / "imd.csv"
    no_imd.write_text("lsoa,score\nX,1\n", encoding="utf-8")
    with pytest.raises(IngestError, match="IMD score or decile"):
        read_areas(RUTLAND_LSOA, imd=no_imd)


def test_grid_cells_cover_every_node(grid):
    cells = grid_areas(grid, cell_m=150.0)
    owner = area_of_points(cells, grid.network.lon, grid.network.lat)
    assert (owner >= 0).all()
    assert len(cells) == len(np.unique(owner))
