"""The support sheet says how to get there: the bus and its stops, or the cycling time.

Found through ``find_support`` on a workspace, as the Find support page and the
command line do, then laid out on the standard and the Easy Read sheet.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import SHARED_DATA, run_cli
from test_transit import FEED, LAT0, _lon, _street, _zip

from assetmap.access import Principal, Role
from assetmap.easy_read import easy_read_html, easy_read_text
from assetmap.match.needs import Constraints, Goal
from assetmap.output.sheet import support_sheet_html, support_sheet_pdf
from assetmap.people.plans import find_support
from assetmap.reach.cycle import CycleNetwork, save_cycle_network
from assetmap.reach.network import save_network
from assetmap.transit_service import import_transit
from assetmap.workspace import Workspace, close_stores, create_workspace, open_workspace

STAFF = Principal("ana", Role.STAFF)
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
HELSINKI_GTFS = SHARED_DATA / "gtfs-helsinki" / "helsinki_gtfs.zip"


@pytest.fixture
def street(workspace_path: Path, tmp_path: Path) -> Workspace:
    """The synthetic street and feed of tests/reach/test_transit.py, a food bank at Stop D."""
    workspace = create_workspace(workspace_path)
    save_network(_street(), workspace.network_path)
    network = _street()
    save_cycle_network(
        CycleNetwork(network=network, stress=np.zeros(len(network.edge_u), dtype=bool)),
        workspace.cycle_path,
    )
    import_transit(workspace, [_zip(tmp_path, FEED)])
    workspace.store().add_asset(
        {"name": "Stop D Food Bank", "lon": _lon(200), "lat": LAT0,
         "categories": ["food_support"]},
        actor="ana", reason="known to the team",
    )  # fmt: skip
    return workspace


def _found(
    workspace: Workspace, mode: str, depart: str = "Tue 07:55-07:56", node: int = 3
) -> pd.DataFrame:
    _, matches = find_support(
        workspace, f"{LAT0},{_lon(node)}", [Goal(need="finance_benefit_debt")],
        Constraints(max_minutes=180), principal=STAFF, mode=mode, depart=depart,
    )  # fmt: skip
    return matches[0].results


def test_by_public_transport_the_sheet_names_the_stops_and_the_buses(street: Workspace) -> None:
    found = _found(street, "transit")
    assert found.loc[0, "travel"] == "transit"
    route = found.loc[0, "route"]
    # Three streets from Stop A; bus 1 to Stop B, bus 2 (the 08:10 missed by a minute) to D.
    assert route["text"] == (
        "Walk 4 min to Stop A, bus 1 to Stop B, change to bus 2 to Stop D: 36 min door to door"
    )
    page = support_sheet_html(found)
    assert '<span class="walk">36 min by bus</span>' in page
    assert (
        "<dt>Route</dt><dd>Walk 4 min to Stop A, bus 1 to Stop B, change to bus 2 to "
        "Stop D: 36 min door to door. For example: bus 1 leaves Stop A at 08:00, arrives at "
        "Stop B at 08:10; bus 2 leaves Stop B at 08:11, arrives at Stop D at 08:31.</dd>"
    ) in page
    assert "Public transport times from the timetable" in page
    text = easy_read_text(found, start=(_lon(3), LAT0))
    assert (
        "It takes about 36 minutes by bus and on foot.\n"
        "When it is open:"
    ) in text  # fmt: skip
    steps = text[text.index("How to get there:") :].splitlines()[1:6]
    assert steps == [
        "Step 1. Start at the black square on the map.",
        "Step 2. Walk to the stop called Stop A. It takes about 4 minutes.",
        "Step 3. Get on the bus called 1. Get off at Stop B.",
        "Step 4. Get on the bus called 2. Get off at Stop D.",
        "Step 5. Find number 1 on the map.",  # at the stop: no walk to say
    ]
    assert "Wsiądź: autobus 1. Wysiądź na przystanku Stop B." in easy_read_html(
        found, language="pl"
    )


def test_when_walking_is_faster_the_sheet_says_walk(street: Workspace) -> None:
    found = _found(street, "transit", node=190)  # ten streets from the food bank
    assert found.loc[0, "route"] is None
    page = support_sheet_html(found)
    assert '<span class="walk">12 min walk</span>' in page  # 10 streets of 75 s
    assert "<dt>Route</dt>" not in page
    assert "Walk there. It takes about" in easy_read_text(found)


def test_by_bike_the_sheet_gives_the_cycling_time(street: Workspace) -> None:
    walking = _found(street, "walk")
    found = _found(street, "bike")
    assert found.loc[0, "travel"] == "bike"
    # 197 edges of 100 m: 19,700 m at 15 km/h is 78.8 min (walking: 246 min, over the limit).
    assert walking.empty
    assert found.loc[0, "minutes"] == pytest.approx(78.8, abs=0.1)
    assert "79 min by bike" in found.loc[0, "why"].split("; ")
    page = support_sheet_html(found)
    assert '<span class="walk">79 min by bike</span>' in page
    assert "Cycling times on roads and paths a bike may use." in page
    text = easy_read_text(found)
    assert "It takes about 79 minutes to cycle there." in text
    assert "Step 2. Cycle there. It takes about 79 minutes." in text


def test_find_on_the_command_line_ranks_by_bike(street: Workspace, capsys) -> None:
    code, out, err = run_cli(
        capsys, "find", str(street.path), "--from", f"{LAT0},{_lon(3)}",
        "--need", "finance_benefit_debt", "--minutes", "180", "--mode", "bike",
    )  # fmt: skip
    assert code == 0, err
    assert "within 180 min by bike" in out
    assert "78.8 min  Stop D Food Bank" in out


@pytest.fixture(scope="module")
def helsinki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    if not HELSINKI_GTFS.exists():
        pytest.skip(f"needs {HELSINKI_GTFS}")
    from assetmap.cli import main

    path = tmp_path_factory.mktemp("helsinki") / "ws"
    assert main(["demo", str(path), "--helsinki"]) == 0
    yield open_workspace(path)
    close_stores()


def test_helsinki_sheet_says_which_bus_or_tram_from_which_stop(helsinki: Workspace) -> None:
    _, matches = find_support(
        helsinki, "60.1790,24.9500", [Goal(need="health")], Constraints(max_minutes=30),
        principal=STAFF, mode="transit", depart="Tue 08:00-09:00",
    )  # fmt: skip
    found = matches[0].results
    rode = found[found["route"].notna()].reset_index(drop=True)
    assert len(rode) >= 3
    page = support_sheet_html(rode.head(4))
    text = easy_read_text(rode.head(4))
    for row in rode.head(4).to_dict("records"):
        route = row["route"]
        first = route["rides"][0]
        # The sheet's line is the journey measured; its minutes are the ranking's.
        assert route["minutes"] == max(1, round(row["minutes"]))
        assert re.fullmatch(
            r"(Walk \d+ min to|From) [^,]+, (bus|tram|metro|train|ferry) \S+ to .+: "
            r"\d+ min door to door",
            route["text"],
        ), route["text"]
        assert route["text"] in page
        assert f"{first['vehicle']} {first['route']} leaves {first['board']} at " in page
        assert f"Get on the {first['vehicle']} called {first['route']}. Get off at" in text
    if shutil.which("pdftoppm"):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for name, html in (
            ("sheet-helsinki-transit", page),
            ("easy-read-helsinki-transit", easy_read_html(rode.head(3))),
        ):
            pdf = ARTIFACTS / f"{name}.pdf"
            pdf.write_bytes(support_sheet_pdf(html))
            subprocess.run(
                ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                 str(ARTIFACTS / name)], check=True,
            )  # fmt: skip
