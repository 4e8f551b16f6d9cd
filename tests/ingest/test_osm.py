"""OpenStreetMap import: Rutland (pbf), Leeds (XML, via file and osmnx), clipped and bad files."""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import re
import shutil
from collections import Counter
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pytest
import requests
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from shapely.geometry import Point, box
from support import LEEDS_OSM, RUTLAND_PBF, needs_shared_data, skip_without_shared_data

from assetmap.errors import IngestError, NoAssetsError
from assetmap.geo import haversine_m
from assetmap.ingest.osm import (
    OsmExtract,
    OsmLimits,
    assets_from_osm_features,
    fetch_osm_place,
    fetch_osm_polygon,
    is_walkable,
    network_from_graph,
    osm_query_tags,
    read_osm_file,
)
from assetmap.reach.network import WalkNetwork
from assetmap.schema import ASSET_COLUMNS

CLIPPED_OSM = Path(__file__).resolve().parents[1] / "data" / "clipped.osm"


@pytest.fixture(scope="module")
def rutland_run() -> tuple[OsmExtract, list[tuple[str, float]]]:
    """The one parse of Rutland in this module, with the progress it reported."""
    assert RUTLAND_PBF.is_file(), f"shared data missing: {RUTLAND_PBF}"
    progress: list[tuple[str, float]] = []
    extract = read_osm_file(RUTLAND_PBF, progress=lambda stage, f: progress.append((stage, f)))
    return extract, progress


@pytest.fixture(scope="module")
def rutland(rutland_run: tuple[OsmExtract, list[tuple[str, float]]]) -> OsmExtract:
    return rutland_run[0]


@pytest.fixture(scope="module")
def clipped() -> OsmExtract:
    return read_osm_file(CLIPPED_OSM)


def names_in(extract: OsmExtract, category: str) -> list[str]:
    assets = extract.assets
    return sorted(assets.loc[assets["categories"].map(lambda c: category in c), "name"])


def largest_component_share(network: WalkNetwork) -> float:
    matrix = sp.coo_matrix(
        (np.ones(network.n_edges), (network.edge_u, network.edge_v)),
        shape=(network.n_nodes, network.n_nodes),
    )
    _, labels = connected_components(matrix, directed=False)
    return float(np.bincount(labels).max() / network.n_nodes)


# --------------------------------------------------------------------------
# Rutland: the whole county as a Geofabrik .osm.pbf
# --------------------------------------------------------------------------


def test_rutland_libraries_are_found(rutland: OsmExtract) -> None:
    # Oakham's library is named "Rutland County Library" in OpenStreetMap.
    assert names_in(rutland, "library") == [
        "Ketton Library",
        "Rutland County Library",
        "Ryhall Library",
        "Uppingham Library",
    ]
    oakham = rutland.assets[rutland.assets["name"] == "Rutland County Library"].iloc[0]
    assert oakham["kind"] == "service"
    assert oakham["status"] == "unverified"
    assert oakham["source"] == "osm"
    assert re.fullmatch(r"(node|way|relation)/\d+", oakham["source_id"])


def test_a_place_of_worship_says_its_faith_so_search_can_find_it(rutland: OsmExtract) -> None:
    # Issue 12: "catholic church" found every church; the name "Saint Joseph's" says no faith.
    assets = rutland.assets.set_index("name")
    assert assets.loc["Saint Joseph's", "description"] == "Catholic (Christian)"
    assert "Church of England" in assets.loc["St Peter and St Paul", "description"]


def test_rutland_village_halls_are_community_centres(rutland: OsmExtract) -> None:
    halls = names_in(rutland, "community_centre")
    assert len(halls) == 29
    village_halls = [name for name in halls if name.endswith("Village Hall")]
    assert len(village_halls) == 19
    assert {
        "Whissendine Village Hall",
        "Cottesmore Community Centre",
        "Wing Community Centre",
    } <= set(halls)


def test_rutland_prison_is_justice(rutland: OsmExtract) -> None:
    justice = names_in(rutland, "justice")
    assert "HM Prison Stocken" in justice
    assert len(justice) == 3


def test_rutland_health_services(rutland: OsmExtract) -> None:
    assert names_in(rutland, "gp_health") == [
        "Oakham Medical Practice",
        "Oakham Medical Practice",
        "Rutland Memorial Hospital",
        "Rutland Osteopaths",
        "The Rutland Physiotheraphy Clinic",
        "Uppingham Surgery",
    ]
    assert names_in(rutland, "pharmacy") == [
        "Ashdale Pharmacy",
        "Boots",
        "Boots",
        "Day Lewis Pharmacy",
        "Rutland Late Night",
    ]


def test_rutland_assets_per_category(rutland: OsmExtract) -> None:
    counts = Counter(code for codes in rutland.assets["categories"] for code in codes)
    assert dict(counts) == {
        "arts_culture": 6,
        "charity_community_group": 10,
        "community_centre": 29,
        "council_services": 5,
        "dentist": 4,
        "faith_community": 62,
        "gp_health": 6,
        "green_space": 43,
        "justice": 3,
        "library": 4,
        "pharmacy": 5,
        "school": 30,
        "social_care": 9,
        "social_facility": 1,
        "sport_fitness": 8,
    }
    assert len(rutland.assets) == 225


def test_every_rutland_asset_has_a_category_and_a_unique_source_id(rutland: OsmExtract) -> None:
    assets = rutland.assets
    assert list(assets.columns) == [*ASSET_COLUMNS, "geometry"]
    assert assets["categories"].map(len).min() >= 1
    assert assets["source_id"].is_unique
    assert set(assets["status"]) == {"unverified"}
    assert set(assets["source"]) == {"osm"}
    assert Counter(s.split("/")[0] for s in assets["source_id"]) == {
        "node": 61,
        "way": 160,
        "relation": 4,
    }


def test_parks_and_places_of_worship_are_informal(rutland: OsmExtract) -> None:
    informal = rutland.assets[rutland.assets["kind"] == "informal"]
    assert len(informal) == 105
    assert set(code for codes in informal["categories"] for code in codes) == {
        "faith_community",
        "green_space",
    }


def test_unnamed_features_are_kept_only_where_useful_and_flagged(rutland: OsmExtract) -> None:
    unnamed = rutland.assets[rutland.assets["flags"].map(lambda f: "unnamed" in f)]
    assert sorted(unnamed["name"]) == [
        "Arts, culture and creativity (unnamed)",
        "Community centre or village hall (unnamed)",
        "Community centre or village hall (unnamed)",
        "Council and public services (unnamed)",
        "Justice services (police, courts, prison, probation) (unnamed)",
        "Justice services (police, courts, prison, probation) (unnamed)",
    ]
    assert rutland.skipped == {"asset_relations_bad_geometry": 1, "unnamed_features": 55}


def test_rutland_assets_lie_in_rutland(rutland: OsmExtract) -> None:
    bounds = rutland.assets.total_bounds
    # The county runs lon -0.822 .. -0.428, lat 52.525 .. 52.760 (a few sites sit on the border).
    assert bounds[0] > -0.85
    assert bounds[2] < -0.40
    assert bounds[1] > 52.52
    assert bounds[3] < 52.77


def test_rutland_walking_network_size(rutland: OsmExtract) -> None:
    # pyrosm's get_network("walking") gives 39,166 nodes and 40,936 edges: exactly ours
    # without the 41 cycleways that allow walking (foot=yes/designated), which we keep
    # (the Rutland Water circuit among them). benchmarks/bench_import.py checks this.
    network = rutland.network
    assert (network.n_nodes, network.n_edges) == (39_943, 41_785)
    assert network.edge_u.dtype == np.int32
    assert network.edge_v.dtype == np.int32
    assert np.all(network.edge_u < network.edge_v)
    pairs = network.edge_u.astype(np.int64) * network.n_nodes + network.edge_v
    assert len(np.unique(pairs)) == network.n_edges
    assert np.all(np.diff(network.node_ids) > 0)


def test_rutland_network_is_mostly_connected(rutland: OsmExtract) -> None:
    share = largest_component_share(rutland.network)
    # The rest: paths and estate roads that join the streets only through ways the walk
    # filter leaves out (private roads, cycleways without foot access) or outside the file.
    assert round(share, 4) == 0.9678


def test_rutland_edge_lengths_are_haversine_metres(rutland: OsmExtract) -> None:
    network = rutland.network
    expected = haversine_m(
        network.lon[network.edge_u],
        network.lat[network.edge_u],
        network.lon[network.edge_v],
        network.lat[network.edge_v],
    )
    np.testing.assert_allclose(network.length_m, expected)
    assert network.length_m.min() > 0
    assert round(float(network.length_m.sum()) / 1000) == 1473


def test_rutland_progress_moves_forward_then_completes(
    rutland_run: tuple[OsmExtract, list[tuple[str, float]]],
) -> None:
    progress = rutland_run[1]
    reading = [f for stage, f in progress if stage == "reading"]
    # 187,902 objects, reported every 65,536: two estimates, then done.
    assert len(reading) == 3
    assert 0 < reading[0] < reading[1] <= 0.95
    assert reading[-1] == 1.0
    assert progress[-2:] == [("network", 1.0), ("assets", 1.0)]


def test_rutland_bbox_and_timestamp(rutland: OsmExtract) -> None:
    assert rutland.bbox == pytest.approx((-0.8469695, 52.5227859, -0.3954141, 52.7621971))
    assert rutland.newest_timestamp == dt.datetime(2022, 7, 20, 17, 9, 27, tzinfo=dt.UTC)


# --------------------------------------------------------------------------
# The clipped extract (tests/data/clipped.osm, hand-made)
# --------------------------------------------------------------------------


def test_clipped_extract_counts_what_it_skips(clipped: OsmExtract) -> None:
    assert clipped.skipped == {
        "asset_relations_missing_members": 1,  # relation 50 names the absent way 33
        "asset_relations_not_multipolygon": 1,  # relation 52 is a type=site
        "asset_ways_missing_nodes": 1,  # way 31 names the absent node 96
        "invalid_tag_values": 1,  # max_age=adult
        "network_duplicate_segments": 1,  # way 14 repeats the 5-6 segment of way 11
        "network_ways_cut_at_missing_nodes": 2,  # ways 10 and 15
        "network_ways_without_segments": 1,  # way 15: both its nodes are absent
        "unnamed_features": 1,  # the unnamed place of worship
    }


def test_clipped_extract_network_is_cut_at_the_missing_node(clipped: OsmExtract) -> None:
    network = clipped.network
    assert network.node_ids.tolist() == [1, 2, 3, 4, 5, 6, 7]
    edges = sorted(
        (int(network.node_ids[u]), int(network.node_ids[v]))
        for u, v in zip(network.edge_u, network.edge_v, strict=True)
    )
    # 1-2 and 3-4 from way 10 (cut at node 99); not 1-6 (motorway) nor 2-5 (foot=no).
    assert edges == [(1, 2), (3, 4), (4, 5), (5, 6), (6, 7)]
    lengths = dict(zip(edges, network.length_m.round(2).tolist(), strict=True))
    assert lengths[(4, 5)] == 111.2  # 0.001 degrees of latitude


def test_clipped_extract_assets(clipped: OsmExtract) -> None:
    assets = clipped.assets.set_index("source_id")
    assert assets.index.tolist() == ["node/20", "node/21", "node/23", "way/30", "relation/51"]
    library = assets.loc["node/20"]
    assert library[
        ["name", "address", "postcode", "opening_hours", "website", "phone", "wheelchair", "cost"]
    ].tolist() == [
        "Clipped Town Library",
        "1 High Street, Oakham",
        "LE15 6AA",
        "Mo-Fr 09:00-17:00",
        "https://example.org/library",
        "+44 1572 000000",
        "yes",
        "free",
    ]
    assert library["organisation"] == "Rutland County Council"
    assert assets.loc["node/21", "name"] == "Pharmacy (unnamed)"
    assert assets.loc["node/21", "flags"] == ("unnamed",)
    women = assets.loc["node/23"]
    assert (women["gender"], women["min_age"], women["max_age"]) == ("women", 18, None)
    assert women["categories"] == ("womens_support",)
    park = assets.loc["relation/51"]
    assert (park["name"], park["kind"]) == ("Clip Park", "informal")
    # the point lies in the park's ring (way 34), not in its inner hole (way 35)
    assert park.geometry.within(box(-0.727, 52.669, -0.724, 52.6698))
    assert not park.geometry.within(box(-0.7268, 52.6692, -0.7242, 52.6696))
    assert assets.loc["way/30"].geometry.within(box(-0.73, 52.673, -0.7296, 52.6734))


def test_clipped_extract_bbox_and_newest_timestamp(clipped: OsmExtract) -> None:
    assert clipped.bbox == pytest.approx((-0.73, 52.6694, -0.725, 52.6732), abs=1e-4)
    assert clipped.newest_timestamp == dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("suffix", "compress"), [(".osm.bz2", bz2.compress), (".osm.gz", gzip.compress)]
)
def test_compressed_xml_reads_the_same(
    tmp_path: Path, clipped: OsmExtract, suffix, compress
) -> None:
    path = tmp_path / f"clipped{suffix}"
    path.write_bytes(compress(CLIPPED_OSM.read_bytes()))
    extract = read_osm_file(path)
    assert extract.assets["source_id"].tolist() == clipped.assets["source_id"].tolist()
    assert extract.network.n_edges == clipped.network.n_edges
    assert extract.skipped == clipped.skipped


def test_josm_file_with_new_negative_ids(tmp_path: Path) -> None:
    path = tmp_path / "josm.osm"
    path.write_text(
        '<osm version="0.6" generator="JOSM">'
        '<node id="-1" action="modify" lat="52.67" lon="-0.72">'
        '<tag k="amenity" v="food_bank"/><tag k="name" v="Oakham Food Bank"/></node>'
        '<node id="-2" action="modify" lat="52.68" lon="-0.72"/>'
        '<way id="-3" action="modify"><nd ref="-1"/><nd ref="-2"/>'
        '<tag k="highway" v="footway"/></way></osm>'
    )
    extract = read_osm_file(path)
    assert extract.assets[["name", "source_id"]].values.tolist() == [
        ["Oakham Food Bank", "node/-1"]
    ]
    assert extract.network.node_ids.tolist() == [-2, -1]
    assert extract.network.length_m.round(1).tolist() == [1112.0]
    assert extract.skipped == {}
    assert extract.newest_timestamp is None


def test_progress_reports_each_stage_up_to_one(tmp_path: Path) -> None:
    seen: list[tuple[str, float]] = []
    read_osm_file(CLIPPED_OSM, progress=lambda stage, fraction: seen.append((stage, fraction)))
    assert seen == [("reading", 1.0), ("network", 1.0), ("assets", 1.0)]


# --------------------------------------------------------------------------
# Leeds: an Overpass XML download, through the file reader and through osmnx
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def leeds() -> OsmExtract:
    skip_without_shared_data()
    return read_osm_file(LEEDS_OSM)


def test_leeds_xml_assets(leeds: OsmExtract) -> None:
    assets = leeds.assets.set_index("name")
    assert assets.loc["Leeds Conservatoire Library", "categories"] == ("library",)
    assert assets.loc["Bridge Street Church", "categories"] == ("faith_community",)
    assert assets.loc["Bridge Street Church", "kind"] == "informal"
    assert assets.loc["Open Innovations", "categories"] == ("charity_community_group",)
    assert assets.loc["Jobcentre Plus", "categories"] == ("employment_support",)
    assert len(leeds.assets) == 13
    assert (leeds.network.n_nodes, leeds.network.n_edges) == (1003, 1108)
    assert leeds.skipped == {"unnamed_features": 2}


@needs_shared_data
def test_osmnx_features_give_the_same_assets_as_the_file(leeds: OsmExtract) -> None:
    features = ox.features_from_xml(LEEDS_OSM, tags=osm_query_tags())
    assets = assets_from_osm_features(features)
    columns = ["source_id", "name", "categories", "kind", "postcode", "website"]
    assert assets[columns].to_dict("records") == leeds.assets[columns].to_dict("records")


@needs_shared_data
def test_osmnx_graph_gives_the_same_network_as_the_file(
    leeds: OsmExtract, monkeypatch: pytest.MonkeyPatch
) -> None:
    # osmnx keeps only its `useful_tags_way` as edge attributes; the walk filter needs
    # foot/access/sidewalk too. (An Overpass walk query filters those server-side.)
    extra = [
        "foot",
        "access",
        "area",
        "service",
        "sidewalk",
        "sidewalk:both",
        "sidewalk:left",
        "sidewalk:right",
    ]
    monkeypatch.setattr(ox.settings, "useful_tags_way", [*ox.settings.useful_tags_way, *extra])
    graph = ox.graph_from_xml(LEEDS_OSM, simplify=False, retain_all=True)
    network = network_from_graph(graph)
    assert network.node_ids.tolist() == leeds.network.node_ids.tolist()
    assert network.edge_u.tolist() == leeds.network.edge_u.tolist()
    assert network.edge_v.tolist() == leeds.network.edge_v.tolist()
    np.testing.assert_allclose(network.length_m, leeds.network.length_m, rtol=1e-9)


def test_network_from_graph_merges_directions_and_drops_non_streets() -> None:
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    graph.add_node(1, x=-0.72, y=52.67)
    graph.add_node(2, x=-0.72, y=52.671)
    graph.add_node(3, x=-0.719, y=52.671)
    graph.add_edge(1, 2, highway="residential", length=111.0)
    graph.add_edge(2, 1, highway="residential", length=111.0)
    graph.add_edge(2, 3, highway="footway")  # no length: great-circle distance
    graph.add_edge(1, 3, building="yes")  # a building outline, not a street
    graph.add_edge(3, 1, highway="motorway", length=5.0)
    network = network_from_graph(graph)
    assert network.node_ids.tolist() == [1, 2, 3]
    assert list(zip(network.edge_u.tolist(), network.edge_v.tolist(), strict=True)) == [
        (0, 1),
        (1, 2),
    ]
    assert network.length_m[0] == 111.0
    assert network.length_m[1] == pytest.approx(float(haversine_m(-0.72, 52.671, -0.719, 52.671)))


def test_network_from_graph_rejects_a_projected_graph() -> None:
    graph = nx.MultiDiGraph(crs="EPSG:27700")
    graph.add_node(1, x=500000.0, y=300000.0)
    with pytest.raises(IngestError, match="EPSG:27700"):
        network_from_graph(graph)


def test_assets_from_osm_features_rejects_a_frame_without_osmnx_index() -> None:
    frame = gpd.GeoDataFrame(
        {"amenity": ["library"], "name": ["X"]}, geometry=[Point(0, 0)], crs=4326
    )
    with pytest.raises(IngestError, match=r"\(element, id\) index"):
        assets_from_osm_features(frame)


@needs_shared_data
def test_fetch_osm_place_parses_what_osmnx_fetches(
    leeds: OsmExtract, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, dict[str, object]]] = []

    def features_from_place(place: str, tags: dict[str, object]) -> gpd.GeoDataFrame:
        calls.append((place, {"tags": tags}))
        return ox.features_from_xml(LEEDS_OSM, tags=tags)

    def graph_from_place(place: str, **kwargs: object) -> nx.MultiDiGraph:
        calls.append((place, kwargs))
        return ox.graph_from_xml(LEEDS_OSM, simplify=False, retain_all=True)

    monkeypatch.setattr(ox, "features_from_place", features_from_place)
    monkeypatch.setattr(ox, "graph_from_place", graph_from_place)
    extract = fetch_osm_place("Leeds city centre")
    assert calls == [
        ("Leeds city centre", {"tags": osm_query_tags()}),
        (
            "Leeds city centre",
            {"network_type": "walk", "simplify": False, "retain_all": True},
        ),
    ]
    assert extract.assets["source_id"].tolist() == leeds.assets["source_id"].tolist()
    assert extract.newest_timestamp is None
    assert extract.network.n_edges > 0


def test_fetch_osm_place_translates_osmnx_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    def nothing(*args: object, **kwargs: object) -> None:
        msg = "Nominatim geocoder returned 0 results"
        raise ox._errors.InsufficientResponseError(msg)

    monkeypatch.setattr(ox, "features_from_place", nothing)
    monkeypatch.setattr(ox, "graph_from_place", nothing)
    with pytest.raises(NoAssetsError, match="for 'Nowhere-on-Sea'"):
        fetch_osm_place("Nowhere-on-Sea")

    def offline(*args: object, **kwargs: object) -> None:
        msg = "Max retries exceeded"
        raise requests.ConnectionError(msg)

    monkeypatch.setattr(ox, "features_from_place", offline)
    with pytest.raises(IngestError, match="Could not fetch OpenStreetMap data for 'Oakham'"):
        fetch_osm_place("Oakham")


def test_fetch_osm_polygon_rejects_projected_polygons() -> None:
    with pytest.raises(IngestError, match="not longitude/latitude"):
        fetch_osm_polygon(box(480_000, 300_000, 490_000, 310_000))


@pytest.mark.network
def test_fetch_osm_place_oakham_live() -> None:
    extract = fetch_osm_place("Oakham, Rutland, England")
    assert "library" in {code for codes in extract.assets["categories"] for code in codes}
    assert extract.network.n_nodes > 1000


# --------------------------------------------------------------------------
# The walk filter
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "walkable"),
    [
        ({"highway": "footway"}, True),
        ({"highway": "residential", "sidewalk": "both"}, True),
        ({"highway": "service", "service": "parking_aisle"}, True),
        ({"highway": "track", "access": "private", "foot": "yes"}, True),
        ({"highway": "cycleway", "foot": "yes"}, True),
        ({"highway": "motorway"}, False),
        ({"highway": "motorway_link"}, False),
        ({"highway": "footway", "foot": "no"}, False),
        ({"highway": "track", "access": "private"}, False),
        ({"highway": "track", "access": "yes", "foot": "private"}, False),
        ({"highway": "pedestrian", "area": "yes"}, False),
        ({"highway": "construction"}, False),
        ({"highway": "proposed"}, False),
        ({"highway": "platform"}, False),
        ({"highway": "service", "service": "private"}, False),
        ({"highway": "primary", "sidewalk": "separate"}, False),
        ({"highway": "cycleway"}, False),
        ({"building": "yes"}, False),
        ({"highway": "footway", "access": "private;delivery"}, False),
    ],
)
def test_walk_filter(tags: dict[str, str], walkable: bool) -> None:
    assert is_walkable(tags) is walkable


# --------------------------------------------------------------------------
# Bad input: one IngestError line naming the file
# --------------------------------------------------------------------------


def expect_ingest_error(path: Path, error: type[IngestError] = IngestError, **kwargs) -> str:
    with pytest.raises(error) as info:
        read_osm_file(path, **kwargs)
    message = str(info.value)
    assert str(path) in message
    assert "\n" not in message
    return message


def test_missing_file(tmp_path: Path) -> None:
    assert "does not exist" in expect_ingest_error(tmp_path / "nowhere.osm.pbf")


def test_truncated_pbf(tmp_path: Path) -> None:
    path = tmp_path / "truncated.osm.pbf"
    with RUTLAND_PBF.open("rb") as source:
        path.write_bytes(source.read(200_000))
    assert "unexpected EOF" in expect_ingest_error(path)


def test_corrupt_pbf(tmp_path: Path) -> None:
    with RUTLAND_PBF.open("rb") as source:
        data = bytearray(source.read(300_000))
    for i in range(1_000, len(data), 997):
        data[i] ^= 0x5A
    path = tmp_path / "corrupt.osm.pbf"
    path.write_bytes(bytes(data))
    assert "not valid OpenStreetMap data" in expect_ingest_error(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.osm"
    path.write_bytes(b"")
    assert expect_ingest_error(path).endswith("is empty.")


def test_csv_renamed_osm(tmp_path: Path) -> None:
    path = tmp_path / "libraries.osm"
    path.write_text("name,lat,lon\nOakham Library,52.67,-0.72\n")
    assert "XML parsing error" in expect_ingest_error(path)


def test_html_named_osm(tmp_path: Path) -> None:
    path = tmp_path / "page.osm"
    path.write_text("<html><body>Not found</body></html>")
    assert "Unknown top-level element: html" in expect_ingest_error(path)


def test_wrong_suffix(tmp_path: Path) -> None:
    path = tmp_path / "libraries.csv"
    path.write_text("name\n")
    assert "expected a name ending in .osm.pbf" in expect_ingest_error(path)


def test_file_without_assets_or_streets(tmp_path: Path) -> None:
    path = tmp_path / "bare.osm"
    path.write_text(
        '<osm version="0.6"><node id="1" lat="52.67" lon="-0.72" version="1">'
        '<tag k="amenity" v="bench"/></node></osm>'
    )
    message = expect_ingest_error(path, NoAssetsError)
    assert "no community assets and no walkable streets" in message


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        (OsmLimits(max_file_bytes=1_000), "the limit is 1,000"),
        (OsmLimits(max_objects=20), "more than 20 OpenStreetMap objects"),
        (OsmLimits(max_tags_per_object=5), "node/20 has 12 tags; the limit is 5"),
        (OsmLimits(max_tag_value_chars=20), "node/20 has a tag longer than 20 characters"),
    ],
)
def test_limits_stop_a_file_early(tmp_path: Path, limits: OsmLimits, expected: str) -> None:
    path = tmp_path / "clipped.osm"
    shutil.copyfile(CLIPPED_OSM, path)
    assert expected in expect_ingest_error(path, limits=limits)


@pytest.mark.parametrize(
    "field", ["max_file_bytes", "max_objects", "max_tags_per_object", "max_tag_value_chars"]
)
def test_limits_must_be_positive(field: str) -> None:
    with pytest.raises(ValueError, match=f"`{field}` must be a positive whole number"):
        OsmLimits(**{field: 0})
