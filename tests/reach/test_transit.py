"""Walk + public transport: GTFS import, the profile-scan router against the reference.

The synthetic feed lies on one straight street (nodes every 0.001 degree of
longitude, about 68 m): stop A at node 0, E at node 1, B at node 50, D at
node 200 with the only asset. Walking A to D takes about 170 minutes, over
the 120-minute horizon, so every finite answer from A rides.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from support import SHARED_DATA
from transit_reference import ReferenceRouter

from assetmap.errors import IngestError
from assetmap.reach.gtfs import area_bbox, read_feeds
from assetmap.reach.network import WalkNetwork, build_walk_graph
from assetmap.reach.transit_times import (
    TransitConfig,
    parse_departure,
    stop_walks,
    transit_times,
)

LON0, LAT0, STEP = -0.73, 52.67, 0.001


def _lon(node: int) -> float:
    return LON0 + STEP * node


FEED: dict[str, str] = {
    "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\nX,Test,http://x,Europe/London\n",
    "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n"
    + "".join(
        f"{s},Stop {s},{LAT0},{_lon(n):.6f}\n"
        for s, n in (("A", 0), ("E", 1), ("B", 50), ("D", 200))
    ),
    "routes.txt": "route_id,route_short_name,route_type\n1,1,3\n2,2,3\n3,3,3\nN,N1,3\nF,F,3\n",
    "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
    "start_date,end_date\nwk,1,1,1,1,1,0,0,20240101,20241231\nwed,0,0,1,0,0,0,0,20240101,20241231\n",
    "trips.txt": "route_id,service_id,trip_id\n"
    "1,wk,T1\n2,wk,T2\n2,wk,T3\n3,wed,T4\nN,wk,T5\nF,wk,T6\n",
    "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
    "T1,08:00:00,08:00:00,A,1\nT1,08:10:00,08:10:00,B,2\n"
    "T2,08:10:00,08:10:00,B,1\nT2,08:30:00,08:30:00,D,2\n"
    "T3,08:11:00,08:11:00,B,1\nT3,08:31:00,08:31:00,D,2\n"
    "T4,08:02:00,08:02:00,E,1\nT4,08:05:00,08:05:00,D,2\n"
    "T5,23:50:00,23:50:00,A,1\nT5,24:20:00,24:20:00,D,2\n"
    "T6,06:00:00,06:00:00,A,1\nT6,06:15:00,06:15:00,D,2\n",
    "frequencies.txt": "trip_id,start_time,end_time,headway_secs,exact_times\n"
    "T6,09:00:00,10:00:00,600,1\n",
}


def _zip(folder: Path, files: dict[str, str], name: str = "feed.zip") -> Path:
    path = folder / name
    with zipfile.ZipFile(path, "w") as archive:
        for file, text in files.items():
            archive.writestr(file, text)
    return path


def _street() -> WalkNetwork:
    n = 260
    return WalkNetwork(
        node_ids=np.arange(n, dtype=np.int64),
        lon=LON0 + STEP * np.arange(n, dtype=np.float64),
        lat=np.full(n, LAT0),
        edge_u=np.arange(n - 1, dtype=np.int32),
        edge_v=np.arange(1, n, dtype=np.int32),
        length_m=np.full(n - 1, 100.0),  # 75 s per edge at 4.8 km/h
    )


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, object]:
    graph = build_walk_graph(_street())
    timetable = read_feeds([_zip(tmp_path_factory.mktemp("feed"), FEED)])
    return graph, timetable


CASES = [
    ("Tue 08:00", 31.0),  # T1 to B at 08:10; T2 at 08:10 missed by a minute; T3 at 08:11
    ("2024-03-06 08:00", 5.0),  # a Wednesday: E (75 s away) has T4 at 08:02
    ("Tue 23:45", 35.0),  # the overnight trip arrives at 24:20
    ("Tue 09:05", 20.0),  # frequency instance at 09:10
    ("Tue 09:51", np.inf),  # the last instance left at 09:50 (end 10:00 excluded)
    ("Tue 05:59", np.inf),  # the frequency template's own 06:00 does not run
]


@pytest.mark.parametrize(("depart", "minutes"), CASES)
def test_synthetic_edge_cases_by_hand_and_reference(synthetic, depart, minutes):
    graph, timetable = synthetic
    config = TransitConfig()
    walks = stop_walks(graph, timetable, config)
    window = parse_departure(depart)
    result = transit_times(
        graph, timetable, walks, [_lon(200)], [LAT0], [_lon(0)], [LAT0], window, config
    )
    assert result.seconds[0, 0] / 60 == minutes
    reference = ReferenceRouter(graph, timetable, [_lon(200)], [LAT0], window.day, config)
    assert reference.seconds(_lon(0), LAT0, window.start_s) / 60 == minutes


def test_synthetic_whole_day_equals_reference(synthetic):
    graph, timetable = synthetic
    config = TransitConfig()
    walks = stop_walks(graph, timetable, config)
    origins = np.array([0, 1, 3, 49, 50, 52, 120, 199, 200, 230])
    for day in ("tue", dt.date(2024, 3, 6), dt.date(2024, 3, 9)):
        window = parse_departure("Tue 05:00-24:30")
        window = type(window)(day=day, start_s=window.start_s, end_s=window.end_s)
        result = transit_times(
            graph,
            timetable,
            walks,
            [_lon(200)],
            [LAT0],
            _lon(origins),
            np.full(10, LAT0),
            window,
            config,
        )
        reference = ReferenceRouter(graph, timetable, [_lon(200)], [LAT0], day, config)
        times = window.times()
        for i, node in enumerate(origins):
            for k in range(0, len(times), 7):
                expected = reference.seconds(_lon(node), LAT0, int(times[k]))
                assert result.seconds[i, k] == pytest.approx(expected, abs=1e-6), (day, node, k)
        assert np.all(result.seconds <= result.walk_min[:, None] * 60 + 1e-9)


def _bad(files: dict[str, str]) -> dict[str, str]:
    return {**FEED, **files}


BAD_FEEDS = [
    ({k: v for k, v in FEED.items() if k != "stops.txt"}, "stops.txt is missing"),
    (
        _bad(
            {
                "stop_times.txt": FEED["stop_times.txt"].replace(
                    "24:20:00,24:20:00", "48:20:00,48:20:00"
                )
            }
        ),
        "stop_times.txt line 11: arrival_time 48:20:00 is past 48:00:00",
    ),
    (
        _bad(
            {
                "stop_times.txt": FEED["stop_times.txt"].replace(
                    "T1,08:10:00,08:10:00", "T1,07:50:00,07:50:00"
                )
            }
        ),
        "stop_times.txt line 3: times go backwards within trip 'T1'",
    ),
    (
        _bad(
            {
                "stop_times.txt": FEED["stop_times.txt"].replace(
                    "T4,08:05:00,08:05:00,D", "T4,08:05:00,08:05:00,Z"
                )
            }
        ),
        "stop_times.txt line 9: unknown stop_id 'Z'",
    ),
    (
        _bad(
            {"calendar.txt": FEED["calendar.txt"].replace("wed,0,0,1,0,0,0,0", "wed,0,0,0,0,0,0,0")}
        ),
        "calendar.txt line 3: service 'wed' runs on no day",
    ),
]


@pytest.mark.parametrize(("files", "message"), BAD_FEEDS)
def test_bad_feed_one_line_naming_file_and_row(tmp_path, files, message):
    with pytest.raises(IngestError, match=message.replace("(", r"\(")):
        read_feeds([_zip(tmp_path, files)])


def test_combined_feeds_prefix_ids(tmp_path):
    one = _zip(tmp_path, FEED, "one.zip")
    two = _zip(tmp_path, FEED, "two.zip")
    combined = read_feeds([one, two])
    single = read_feeds([one])
    assert combined.n_connections == 2 * single.n_connections
    assert combined.stop_id.tolist() == ["1:A", "1:E", "1:B", "1:D", "2:A", "2:E", "2:B", "2:D"]
    assert combined.conn_from.max() >= 4
    assert combined.trip_service.max() >= 2


HELSINKI_GTFS = SHARED_DATA / "gtfs-helsinki" / "helsinki_gtfs.zip"


@pytest.fixture(scope="module")
def helsinki():
    """The Helsinki extract's walk graph, its GP/health-free category and the cut HSL feed."""
    if not HELSINKI_GTFS.exists():
        pytest.skip(f"needs {HELSINKI_GTFS}")
    from assetmap.demo import demo_osm_file
    from assetmap.ingest.osm import read_osm_file
    from assetmap.reach.coverage import asset_categories

    extract = read_osm_file(demo_osm_file("helsinki"))
    graph = build_walk_graph(extract.network)
    net = extract.network
    timetable = read_feeds([HELSINKI_GTFS], bbox=area_bbox(net.lon, net.lat, 2000.0))
    assets = asset_categories(extract.assets)
    return graph, timetable, assets


def test_helsinki_router_equals_reference_on_320_pairs(helsinki):
    graph, timetable, assets = helsinki
    config = TransitConfig()
    walks = stop_walks(graph, timetable, config)
    rng = np.random.default_rng(14)
    lon0, lon1 = np.quantile(graph.network.lon, [0.02, 0.98])
    lat0, lat1 = np.quantile(graph.network.lat, [0.02, 0.98])
    lon, lat = rng.uniform(lon0, lon1, 40), rng.uniform(lat0, lat1, 40)
    window = parse_departure("Tue 08:00-09:00")
    rode = 0
    for category in ("green_space", "gp_health"):
        chosen = assets[assets["category"] == category]
        result = transit_times(
            graph, timetable, walks, chosen["lon"], chosen["lat"], lon, lat, window, config
        )
        reference = ReferenceRouter(graph, timetable, chosen["lon"], chosen["lat"], "tue", config)
        for i in range(40):
            for k in rng.choice(60, 4, replace=False):
                expected = reference.seconds(lon[i], lat[i], int(window.times()[k]))
                assert result.seconds[i, k] == pytest.approx(expected, abs=1e-6), (category, i, k)
                rode += bool(result.seconds[i, k] < result.walk_min[i] * 60 - 1)
    assert rode >= 20  # the comparison exercises riding, not only walking


def test_cli_transit_imports_and_a_bad_feed_leaves_the_workspace_unchanged(
    tmp_path, workspace_path, capsys
):
    from support import run_cli

    from assetmap.reach.network import save_network
    from assetmap.workspace import create_workspace

    workspace = create_workspace(workspace_path)
    save_network(_street(), workspace.network_path)
    good = _zip(tmp_path, FEED, "good.zip")
    code, out, _ = run_cli(capsys, "transit", str(workspace_path), str(good))
    assert code == 0
    assert "4 stops, 5 routes, 11 trips, 11 connections" in out
    stored = (workspace_path / "timetable.npz").read_bytes()
    bad = _zip(
        tmp_path,
        _bad({"stop_times.txt": FEED["stop_times.txt"] + "T9,08:00:00,08:00:00,A,1\n"}),
        "bad.zip",
    )
    code, out, err = run_cli(capsys, "transit", str(workspace_path), str(good), str(bad))
    assert code != 0
    assert "bad.zip stop_times.txt line 14: unknown trip_id 'T9'" in err
    assert len(err.strip().splitlines()) == 1
    assert (workspace_path / "timetable.npz").read_bytes() == stored


def test_helsinki_demo_has_the_timetable_and_a_cycling_network(workspace_path, capsys):
    from support import run_cli

    from assetmap.reach.cycle import load_cycle_network
    from assetmap.transit_service import workspace_timetable
    from assetmap.workspace import open_workspace

    if not HELSINKI_GTFS.exists():
        pytest.skip(f"needs {HELSINKI_GTFS}")
    code, out, _ = run_cli(capsys, "demo", str(workspace_path), "--helsinki")
    assert code == 0
    assert "Public transport: HSL timetable, 515 stops" in out
    workspace = open_workspace(workspace_path)
    assert workspace_timetable(workspace).n_connections > 50_000
    assert load_cycle_network(workspace.cycle_path).network.n_edges > 1_000

    def table(*mode: str) -> dict[str, float]:
        code, out, _ = run_cli(
            capsys, "coverage", str(workspace_path), "--minutes", "10", "--format", "csv", *mode
        )
        assert code == 0
        rows = [line.split(",") for line in out.strip().splitlines()]
        column = rows[0].index("median_minutes")
        return {r[0]: float(r[column]) for r in rows[1:]}

    walk = table()
    transit = table("--mode", "transit", "--depart", "Tue 08:00-08:30")
    bike = table("--mode", "bike")
    assert walk.keys() == transit.keys() == bike.keys()
    assert all(transit[c] <= walk[c] + 1e-9 for c in walk)  # never worse than walking
    assert any(transit[c] < walk[c] - 0.5 for c in walk)  # and better somewhere
    assert sum(bike.values()) < sum(walk.values()) / 2
    code, out, _ = run_cli(
        capsys, "reach", str(workspace_path), "--from", "60.1699,24.9384", "--mode", "transit"
    )
    assert code == 0
    assert "by walk + public transport" in out
    code, out, _ = run_cli(
        capsys, "coverage", str(workspace_path), "--mode", "transit", "--depart", "Tue 8am"
    )
    assert code != 0
    code, out, _ = run_cli(
        capsys,
        "find",
        str(workspace_path),
        "--from",
        "60.1790,24.9500",
        "--need",
        "health",
        "--mode",
        "transit",
        "--minutes",
        "30",
        "--format",
        "json",
    )
    assert code == 0
    results = json.loads(out)["goals"][0]["results"]
    rode = [r for r in results if "min door to door" in r["why"]]
    assert rode, results
    assert re.search(r"(bus|tram|metro|train) \S+ from [^,]+, \d+ min door to door", rode[0]["why"])
    code, out, _ = run_cli(
        capsys,
        "find",
        str(workspace_path),
        "--from",
        "60.1790,24.9500",
        "--need",
        "health",
        "--minutes",
        "30",
        "--format",
        "json",
    )
    walking = {r["name"]: r["minutes"] for r in json.loads(out)["goals"][0]["results"]}
    covered = {}
    for mode in ("walk", "bike"):
        code, out, _ = run_cli(
            capsys, "sites", str(workspace_path), "--category", "gp_health", "--minutes", "3",
            "--mode", mode,
        )  # fmt: skip
        assert code == 0
        before, total = re.search(r"within 3 min (\d+) -> \d+ of (\d+)", out).groups()
        covered[mode] = int(before) / int(total)
    assert covered["bike"] > covered["walk"]
    assert all(r["minutes"] <= walking.get(r["name"], np.inf) + 0.05 for r in results)


def test_journeys_from_a_point_name_the_first_route_and_equal_the_router(synthetic):
    from assetmap.reach.network import snap_points
    from assetmap.reach.transit_times import journeys_from_point
    from assetmap.reach.travel import point_times, times_from_point

    graph, timetable = synthetic
    config = TransitConfig()
    walks = stop_walks(graph, timetable, config)
    nodes = [200, 199, 120, 2]
    assets = snap_points(graph, _lon(np.array(nodes)), np.full(len(nodes), LAT0))
    walk_only = point_times(times_from_point(graph, _lon(0), LAT0), assets)

    def journeys(window):
        return journeys_from_point(
            graph, timetable, walks, _lon(0), LAT0, assets.node, assets.leg_s, walk_only,
            window, config,
        )  # fmt: skip

    for depart in ("Tue 08:00", "Tue 09:05", "Tue 23:45", "2024-03-06 08:00"):
        window = parse_departure(depart)
        found = journeys(window)
        for i, node in enumerate(nodes):
            one = transit_times(
                graph, timetable, walks, [_lon(node)], [LAT0], [_lon(0)], [LAT0], window, config
            )
            assert found.minutes[i] == pytest.approx(one.median_min[0], abs=1e-9), (depart, node)
    found = journeys(parse_departure("Tue 08:00"))
    assert found.reasons[0] == "bus 1 from Stop A, 31 min door to door"
    assert found.reasons[3] is None  # two nodes away: walking is faster


def test_journeys_from_a_point_give_every_ride_in_order_and_add_up(synthetic):
    """The sheet's 'how to get there': walk, each vehicle, the change, walk; it adds up."""
    from assetmap.reach.network import snap_points
    from assetmap.reach.transit_times import journeys_from_point
    from assetmap.reach.travel import point_times, times_from_point

    graph, timetable = synthetic
    config = TransitConfig()
    walks = stop_walks(graph, timetable, config)
    nodes = [200, 2]
    assets = snap_points(graph, _lon(np.array(nodes)), np.full(len(nodes), LAT0))
    walk_only = point_times(times_from_point(graph, _lon(0), LAT0), assets)
    window = parse_departure("Tue 08:00")
    found = journeys_from_point(
        graph, timetable, walks, _lon(0), LAT0, assets.node, assets.leg_s, walk_only,
        window, config,
    )  # fmt: skip
    journey = found.journeys[0]
    # T1 A->B 08:00-08:10; T2 at 08:10 is missed by a minute (a change takes one); T3 08:11.
    assert [(r.route, r.board, r.alight) for r in journey.rides] == [
        ("1", "Stop A", "Stop B"),
        ("2", "Stop B", "Stop D"),
    ]
    assert [(r.depart_s, r.arrive_s) for r in journey.rides] == [
        (8 * 3600, 8 * 3600 + 600),
        (8 * 3600 + 660, 8 * 3600 + 1860),
    ]
    assert (
        journey.text()
        == "From Stop A, bus 1 to Stop B, change to bus 2 to Stop D: 31 min door to door"
    )
    assert window.start_s + journey.walk_to_stop_s <= journey.rides[0].depart_s
    assert journey.rides[-1].arrive_s + journey.walk_from_stop_s - window.start_s == pytest.approx(
        journey.total_s
    )
    assert journey.total_s == pytest.approx(found.minutes[0] * 60)
    record = journey.to_record()
    assert record["rides"][1] == {
        "vehicle": "bus", "route": "2", "board": "Stop B", "alight": "Stop D",
        "depart": "08:11", "arrive": "08:31",
    }  # fmt: skip
    assert record["minutes"] == 31
    assert found.journeys[1] is None  # walking is faster
    # Starting three streets along, the walk to the stop is said.
    start = _lon(3)
    walk_only = point_times(times_from_point(graph, start, LAT0), assets)
    found = journeys_from_point(
        graph, timetable, walks, start, LAT0, assets.node, assets.leg_s, walk_only,
        parse_departure("Tue 07:55"), config,
    )  # fmt: skip
    assert found.journeys[0].text().startswith("Walk 4 min to Stop A, bus 1 to Stop B")


SHUTTLE: dict[str, str] = {
    "agency.txt": FEED["agency.txt"],
    "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n"
    f"A,Stop A,{LAT0},{_lon(0):.6f}\nD,Stop D,{LAT0},{_lon(200):.6f}\n",
    "routes.txt": "route_id,route_short_name,route_type\nS,S,3\n",
    "calendar.txt": FEED["calendar.txt"],
    "trips.txt": "route_id,service_id,trip_id\nS,wk,S1\n",
    # One way only, A to D in 5 minutes, every 2 minutes from 07:00 to 10:00.
    "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
    "S1,07:00:00,07:00:00,A,1\nS1,07:05:00,07:05:00,D,2\n",
    "frequencies.txt": "trip_id,start_time,end_time,headway_secs,exact_times\n"
    "S1,07:00:00,10:00:00,120,1\n",
}


def test_minutes_matrix_equals_the_router_one_target_at_a_time(synthetic):
    from assetmap.reach.transit_times import transit_minutes_matrix

    graph, timetable = synthetic
    config = TransitConfig()
    walks = stop_walks(graph, timetable, config)
    window = parse_departure("Tue 07:50-08:20")
    origins = np.array([0, 3, 50, 190])
    targets = np.array([200, 52, 12])
    matrix = transit_minutes_matrix(
        graph, timetable, walks, _lon(origins), np.full(4, LAT0), _lon(targets),
        np.full(3, LAT0), window, config, max_minutes=45,
    )  # fmt: skip
    for j, target in enumerate(targets):
        one = transit_times(
            graph, timetable, walks, [_lon(target)], [LAT0], _lon(origins), np.full(4, LAT0),
            window, config,
        )  # fmt: skip
        expected = np.where(one.median_min <= 45, one.median_min, np.inf)
        assert matrix[:, j].tolist() == pytest.approx(expected.tolist()), target
    assert np.isfinite(matrix).any()
    assert np.isinf(matrix).any()


@pytest.fixture
def shuttle(tmp_path, workspace_path, capsys):
    """Six postcodes by Stop A, four by Stop D; a hall 15 min from A on foot, a library at D.

    The shuttle runs A -> D only (5 min, every 2 min, 07:00-10:00 on weekdays).
    """
    from support import run_cli

    from assetmap.reach.network import save_network
    from assetmap.workspace import create_workspace

    workspace = create_workspace(workspace_path)
    save_network(_street(), workspace.network_path)
    store = workspace.store()
    for name, node in (("Near Hall", 12), ("Stop D Library", 200)):
        kind = "community_centre" if node == 12 else "library"
        store.add_asset(
            {"name": name, "lon": _lon(node), "lat": LAT0, "categories": [kind]},
            actor="ana", reason="test",
        )  # fmt: skip
    nodes = [0, 1, 2, 3, 4, 5, 197, 198, 199, 200]
    postcodes = tmp_path / "postcodes.csv"
    postcodes.write_text(
        "postcode,lat,lon\n"
        + "".join(f"LE1 {i}AA,{LAT0},{_lon(n):.6f}\n" for i, n in enumerate(nodes))
    )
    assert run_cli(capsys, "postcodes", str(workspace_path), str(postcodes))[0] == 0
    code, _, err = run_cli(capsys, "transit", str(workspace_path), str(_zip(tmp_path, SHUTTLE)))
    assert code == 0, err
    return workspace


def test_sites_for_bus_users_differ_from_sites_for_walkers(shuttle, capsys):
    """On foot the hall near A covers six postcodes, the library at D four: the hall wins.

    With the shuttle A -> D the library covers all ten.
    """
    from support import run_cli

    workspace_path = shuttle.path

    def sites(*mode: str) -> dict[str, object]:
        code, out, err = run_cli(
            capsys, "sites", str(workspace_path), "--category", "food_support",
            "--minutes", "20", "--format", "json", *mode,
        )  # fmt: skip
        assert code == 0, err
        return json.loads(out)

    walk = sites()
    transit = sites("--mode", "transit", "--depart", "Tue 08:00-09:00")
    assert [s["name"] for s in walk["sites"]] == ["Near Hall"]
    assert (walk["covered_after"], walk["total"]) == (6, 10)
    assert [s["name"] for s in transit["sites"]] == ["Stop D Library"]
    assert (transit["covered_after"], transit["total"]) == (10, 10)
    # Before the timetable's hours the bus does not run: walking's answer again.
    early = sites("--mode", "transit", "--depart", "Tue 05:00-06:00")
    assert [s["name"] for s in early["sites"]] == ["Near Hall"]


def test_gap_map_and_range_over_time_by_public_transport(shuttle):
    """The gap map per mode: by bus the postcodes by Stop A reach the library at D.

    The accessible range over time, by mode, reads the same times at each date.
    """
    import datetime as dt

    from assetmap.reach.coverage import register_snapshots
    from assetmap.reach.network import walk_graph_for
    from assetmap.reach.sites import area_minutes
    from assetmap.transit_service import coverage_for_mode, range_series_for_mode

    graph = walk_graph_for(shuttle.network_path)
    store = shuttle.store()
    assets = store.assets()
    share = {}
    for mode in ("walk", "transit"):
        _, demand, result = coverage_for_mode(
            shuttle, graph, assets, mode=mode, minutes=20, depart="Tue 08:00-09:00",
            search_minutes=60,
        )  # fmt: skip
        row = result.by_category.set_index("category").loc["library"]
        share[mode] = row["share_postcodes"]
        table = area_minutes(result, demand.areas, category="library")
        assert len(table) == len(demand.areas)
        if mode == "transit":
            assert table["covered"].sum() > 0
    assert share == {"walk": pytest.approx(0.4), "transit": pytest.approx(1.0)}
    when = dt.datetime.now(dt.UTC)
    series = {
        mode: range_series_for_mode(
            shuttle, graph, register_snapshots(store, [when]), mode=mode, minutes=20,
            depart="Tue 08:00-09:00",
        ).by_category.set_index("category")
        for mode in ("walk", "transit")
    }  # fmt: skip
    assert series["walk"].loc["library", "share_postcodes"] == pytest.approx(0.4)
    assert series["transit"].loc["library", "share_postcodes"] == pytest.approx(1.0)
    # The hall: by bus nobody by Stop D can ride back (the shuttle runs one way).
    assert series["transit"].loc["community_centre", "share_postcodes"] == pytest.approx(0.6)
