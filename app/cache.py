"""Every ``st.cache_*`` of the app, each bounded by ``max_entries`` and ``ttl``.

Cached functions take small hashable keys (a workspace path and a data version),
never big frames, and return data (frames, dicts), never live objects.

Whatever comes from the register is loaded *for a caller*: each such loader
takes the ``principal`` and gets its data from a core function that checks it
(``assetmap.views``). The cache is keyed by the caller's view of the register
(:func:`assetmap.views.register_view`), not by who they are, so people with the
same view share one entry and nobody gets a view that is not theirs.

What the dashboard measures on a view (coverage, the series, what each import
added, suggested sites) is keyed by that view's register, not by the data
version (:func:`register_key`): every write replaces the data version (a plan,
a referral, a gap record), but only a change to an asset the view shows
changes what is measured on it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any, TypeVar

import geopandas as gpd
import streamlit as st

from assetmap.access import Principal
from assetmap.errors import AssetMapError
from assetmap.geo import Bounds
from assetmap.match.needs import MatchContext, prepare_matching
from assetmap.output.basemap import StreetLines, street_lines
from assetmap.people.plans import workspace_settlements
from assetmap.reach.network import WalkGraph, WalkNetwork, build_walk_graph, load_network
from assetmap.views import (
    browse_register,
    dashboard_additions,
    dashboard_snapshots,
    register_fingerprint,
    register_view,
)
from assetmap.workspace import open_workspace

_TTL = dt.timedelta(minutes=10)
_T = TypeVar("_T")


def _view_key(principal: Principal) -> str:
    """Cache key of a principal: the view of the register it gets (refusals never share)."""
    try:
        return register_view(principal)
    except AssetMapError:
        return f"refused:{principal.role.value}:{principal.user_id}"


_BY_VIEW: dict[Any, Any] = {Principal: _view_key}


def data_version(workspace_path: str) -> str:
    """Return a key that changes exactly when the workspace's register or settings change.

    See :meth:`assetmap.workspace.Workspace.data_version`.

    Raises
    ------
    AssetMapError
        If the workspace or its database cannot be read.
    """
    return open_workspace(workspace_path).data_version()


@st.cache_data(max_entries=8, ttl=_TTL, show_spinner="Loading the register…", hash_funcs=_BY_VIEW)
def load_assets(
    workspace_path: str,
    data_version: str,
    principal: Principal | None,
    public_map: bool = False,
) -> gpd.GeoDataFrame:
    """Return the current register (archived assets left out) as ``principal`` may browse it."""
    del data_version  # part of the cache key only
    store = open_workspace(workspace_path).store()
    return browse_register(store, principal=principal, public_map=public_map)


@st.cache_data(max_entries=8, ttl=_TTL, show_spinner=False, hash_funcs=_BY_VIEW)
def register_key(workspace_path: str, data_version: str, principal: Principal) -> str:
    """Return the key of the caller's view of the register (:func:`register_fingerprint`).

    It changes only when an asset in the view changes, not on every write;
    keys of the same view never collide with another view's (the view is part
    of the cache key of everything keyed by it).
    """
    return register_fingerprint(load_assets(workspace_path, data_version, principal))


def _per_register(measure: Callable[..., _T]) -> Callable[..., _T]:
    """Key a measure of the caller's view by :func:`register_key` instead of the data version.

    The page calls ``measure(workspace_path, data_version, ..., principal)``;
    the cached function is called as ``(workspace_path, register, ...,
    principal, data_version)``, its last parameter named ``_data_version`` so
    that it only loads the register (Streamlit does not hash it).
    """

    @functools.wraps(measure)
    def keyed(workspace_path: str, data_version: str, *args: Any) -> _T:
        register = register_key(workspace_path, data_version, args[-1])
        return measure(workspace_path, register, *args, data_version)

    return keyed


@st.cache_data(max_entries=4, ttl=_TTL, show_spinner=False)
def load_settings(workspace_path: str, data_version: str) -> dict[str, Any]:
    """Return the workspace's settings (``workspace.json``)."""
    del data_version
    return open_workspace(workspace_path).settings()


def network_version(workspace_path: str) -> str:
    """Return a key that changes when the workspace's walking network file changes."""
    try:
        stat = open_workspace(workspace_path).network_path.stat()
    except OSError:
        return "-"
    return f"{stat.st_mtime_ns}:{stat.st_size}"


@st.cache_resource(max_entries=2, ttl=_TTL, show_spinner="Loading the walking network…")
def load_walk_network(workspace_path: str, network_version: str) -> WalkNetwork | None:
    """Return the workspace's walking network, read once per file version (read-only)."""
    del network_version
    workspace = open_workspace(workspace_path)
    if not workspace.network_path.is_file():
        return None
    return load_network(workspace.network_path)


@st.cache_resource(max_entries=2, ttl=_TTL, show_spinner="Drawing the streets…")
def load_streets(workspace_path: str, network_version: str) -> StreetLines | None:
    """Return the workspace's streets for the offline basemap (None without a network).

    A shared resource, read-only: a copy per page run (as ``cache_data`` makes)
    took about 0.2 s for Rutland's 30,000 points, on every Map and Find support run.
    """
    network = load_walk_network(workspace_path, network_version)
    return None if network is None else street_lines(network)


@st.cache_resource(max_entries=32, ttl=_TTL, show_spinner=False)
def load_streets_around(
    workspace_path: str, network_version: str, bbox: Bounds
) -> StreetLines | None:
    """Return the streets within ``bbox`` only (a shared resource, read-only).

    For a map that opens on a small area (Find support's walking area): tens of
    kilobytes instead of the county's 600 kB that the browser would parse and
    draw on every search. ``bbox`` comes from :func:`assetmap.geo.widen`, whose
    snapped edges make nearby searches share one entry.
    """
    network = load_walk_network(workspace_path, network_version)
    return None if network is None else street_lines(network, bbox=bbox)


@st.cache_resource(max_entries=2, ttl=_TTL, show_spinner="Loading the walking network…")
def load_walk_graph(workspace_path: str, network_version: str) -> WalkGraph | None:
    """Return the workspace's walking graph, built once (read-only; None without a network)."""
    network = load_walk_network(workspace_path, network_version)
    return None if network is None else build_walk_graph(network)


@st.cache_resource(
    max_entries=2,
    ttl=_TTL,
    show_spinner="Preparing the register for matching…",
    hash_funcs=_BY_VIEW,
)
def load_match_context(
    workspace_path: str, data_version: str, network_version: str, principal: Principal
) -> MatchContext | None:
    """Return the caller's register snapped to the walking graph and indexed (None without)."""
    graph = load_walk_graph(workspace_path, network_version)
    if graph is None:
        return None
    assets = load_assets(workspace_path, data_version, principal)
    places = workspace_settlements(open_workspace(workspace_path))
    return prepare_matching(assets, graph, places=places)


# --- Reach dashboard (coverage, series, sites): data only, keyed by versions ---------------


def reach_version(workspace_path: str) -> str:
    """Return a key that changes when the network, the area table or the postcode table does."""
    from assetmap.reach_service import workspace_areas_path

    workspace = open_workspace(workspace_path)
    parts = [network_version(workspace_path)]
    for file in (workspace_areas_path(workspace), workspace.postcodes_path):
        try:
            stat = file.stat()
        except OSError:
            parts.append("-")
        else:
            parts.append(f"{stat.st_mtime_ns}:{stat.st_size}")
    return "|".join(parts)


@st.cache_resource(max_entries=4, ttl=_TTL, show_spinner="Placing postcodes in areas…")
def load_reach_demand(workspace_path: str, reach_version: str, by: str) -> Any:
    """Return ``(kind, Demand)`` for the workspace (read-only; None without a network)."""
    from assetmap.reach_service import workspace_demand

    graph = load_walk_graph(workspace_path, reach_version.split("|")[0])
    if graph is None:
        return None
    return workspace_demand(open_workspace(workspace_path), graph, by=by)


def _graph_and_demand(
    workspace_path: str, reach_version: str, by: str
) -> tuple[WalkGraph, Any] | None:
    """The walking graph and ``(kind, Demand)`` for a measure (None without a network)."""
    graph = load_walk_graph(workspace_path, reach_version.split("|")[0])
    found = load_reach_demand(workspace_path, reach_version, by)
    return None if graph is None or found is None else (graph, found)


@_per_register
@st.cache_data(
    max_entries=8, ttl=_TTL, show_spinner="Measuring walking coverage…", hash_funcs=_BY_VIEW
)
def reach_coverage(
    workspace_path: str,
    register: str,
    reach_version: str,
    minutes: float,
    by: str,
    principal: Principal,
    _data_version: str,
) -> dict[str, Any] | None:
    """Coverage by category and area, and the headline figures (None without a network)."""
    del register  # part of the cache key only
    from assetmap.reach.coverage import (
        coverage,
        demand_note,
        gap_search_minutes,
        range_summary,
    )
    from assetmap.workspace import open_workspace

    both = _graph_and_demand(workspace_path, reach_version, by)
    if both is None:
        return None
    graph, found = both
    kind, demand = found
    assets = load_assets(workspace_path, _data_version, principal)
    search_minutes = gap_search_minutes(minutes)
    # No counts of assets within reach: the dashboard shows none (they cost a search per asset).
    result = coverage(
        graph, assets, demand, minutes=minutes, search_minutes=search_minutes, count=False
    )
    return {
        "kind": kind,
        "areas": demand.areas,
        "n_postcodes": demand.n_postcodes,
        "street_node_areas": demand.street_node_areas,
        "measured_over": demand_note(demand, kind, open_workspace(workspace_path).settings()),
        "by_category": result.by_category,
        "coverage": result,
        "search_minutes": search_minutes,
        "headline": range_summary(result, assets, demand),
    }


def _graph_and_assets(
    workspace_path: str, reach_version: str, principal: Principal, data_version: str
) -> tuple[WalkGraph, gpd.GeoDataFrame] | None:
    """The walking graph and the caller's register for a measure (None without a network)."""
    graph = load_walk_graph(workspace_path, reach_version.split("|")[0])
    if graph is None:
        return None
    return graph, load_assets(workspace_path, data_version, principal)


@_per_register
@st.cache_data(
    max_entries=4, ttl=_TTL, show_spinner="Measuring coverage by travel mode…", hash_funcs=_BY_VIEW
)
def reach_by_mode(
    workspace_path: str,
    register: str,
    reach_version: str,
    minutes: float,
    by: str,
    depart: str,
    principal: Principal,
    _data_version: str,
) -> tuple[Any, list[str]] | None:
    """Share within ``minutes`` per category and travel mode (None without a network)."""
    del register  # part of the cache key only
    from assetmap.transit_service import coverage_by_mode

    loaded = _graph_and_assets(workspace_path, reach_version, principal, _data_version)
    if loaded is None:
        return None
    graph, assets = loaded
    workspace = open_workspace(workspace_path)
    return coverage_by_mode(workspace, graph, assets, minutes=minutes, by=by, depart=depart)


def travel_version(workspace_path: str) -> str:
    """Return a key that changes when the cycling network or the timetable file changes."""
    from assetmap.transit_service import timetable_path

    workspace = open_workspace(workspace_path)
    parts = []
    for file in (workspace.cycle_path, timetable_path(workspace)):
        try:
            stat = file.stat()
        except OSError:
            parts.append("-")
        else:
            parts.append(f"{stat.st_mtime_ns}:{stat.st_size}")
    return "|".join(parts)


@_per_register
@st.cache_data(max_entries=8, ttl=_TTL, show_spinner="Measuring by that travel mode…",
               hash_funcs=_BY_VIEW)  # fmt: skip
def reach_mode_coverage(
    workspace_path: str,
    register: str,
    reach_version: str,
    travel_version: str,
    minutes: float,
    by: str,
    mode: str,
    depart: str,
    principal: Principal,
    _data_version: str,
) -> dict[str, Any] | None:
    """Coverage by one travel mode for the gap map: ``areas``, ``coverage`` (None: no network)."""
    from assetmap.reach.coverage import gap_search_minutes
    from assetmap.transit_service import coverage_for_mode

    del register, travel_version  # part of the cache key only
    loaded = _graph_and_assets(workspace_path, reach_version, principal, _data_version)
    if loaded is None:
        return None
    graph, assets = loaded
    search_minutes = gap_search_minutes(minutes)
    _, demand, result = coverage_for_mode(
        open_workspace(workspace_path), graph, assets, mode=mode, minutes=minutes, by=by,
        depart=depart, search_minutes=search_minutes,
    )  # fmt: skip
    return {"areas": demand.areas, "coverage": result, "search_minutes": search_minutes}


@_per_register
@st.cache_data(
    max_entries=8,
    ttl=_TTL,
    show_spinner="Going back through the register's history…",
    hash_funcs=_BY_VIEW,
)
def reach_mode_series(
    workspace_path: str,
    register: str,
    reach_version: str,
    travel_version: str,
    minutes: float,
    by: str,
    mode: str,
    depart: str,
    principal: Principal,
    _data_version: str,
) -> Any:
    """Monthly accessible range by one travel mode (a CoverageSeries; None without a network)."""
    from assetmap.transit_service import range_series_for_mode

    del register, travel_version, _data_version  # part of the cache key only
    graph = load_walk_graph(workspace_path, reach_version.split("|")[0])
    if graph is None:
        return None
    workspace = open_workspace(workspace_path)
    snapshots = dashboard_snapshots(workspace.store(), principal=principal)
    return range_series_for_mode(
        workspace, graph, snapshots, mode=mode, minutes=minutes, by=by, depart=depart
    )


@_per_register
@st.cache_data(
    max_entries=8,
    ttl=_TTL,
    show_spinner="Going back through the register's history…",
    hash_funcs=_BY_VIEW,
)
def reach_series(
    workspace_path: str,
    register: str,
    reach_version: str,
    minutes: float,
    by: str,
    principal: Principal,
    _data_version: str,
) -> Any:
    """Monthly accessible range over the last 24 months (a DataFrame; None without a network)."""
    del register  # part of the cache key only
    from assetmap.reach.coverage import coverage_series

    both = _graph_and_demand(workspace_path, reach_version, by)
    if both is None:
        return None
    graph, found = both
    store = open_workspace(workspace_path).store()
    snapshots = dashboard_snapshots(store, principal=principal)
    return coverage_series(graph, snapshots, found[1], minutes=minutes)


@_per_register
@st.cache_data(
    max_entries=8, ttl=_TTL, show_spinner="Measuring what each import added…", hash_funcs=_BY_VIEW
)
def reach_additions(
    workspace_path: str,
    register: str,
    reach_version: str,
    minutes: float,
    by: str,
    principal: Principal,
    _data_version: str,
) -> Any:
    """What each import, mapping session or day of additions added (a DataFrame; None without)."""
    del register  # part of the cache key only
    both = _graph_and_demand(workspace_path, reach_version, by)
    if both is None:
        return None
    graph, found = both
    store = open_workspace(workspace_path).store()
    return dashboard_additions(graph, store, found[1], minutes=minutes, principal=principal)


@_per_register
@st.cache_data(max_entries=16, ttl=_TTL, show_spinner="Choosing sites…", hash_funcs=_BY_VIEW)
def reach_sites(
    workspace_path: str,
    register: str,
    reach_version: str,
    minutes: float,
    by: str,
    category: str,
    count: int,
    imd_weighted: bool,
    mode: str,
    depart: str,
    travel_version: str,
    principal: Principal,
    _data_version: str,
) -> Any:
    """Suggested sites for a new service of ``category`` (a SiteSuggestion; None without data).

    By walking (on the cached demand), else by ``mode`` (``travel_version`` keys the cache).
    """
    del register, travel_version  # part of the cache key only
    from assetmap.reach.sites import candidate_sites, demand_weights, suggest_sites
    from assetmap.transit_service import suggest_sites_for_mode

    both = _graph_and_demand(workspace_path, reach_version, by)
    if both is None:
        return None
    graph, found = both
    demand = found[1]
    assets = load_assets(workspace_path, _data_version, principal)
    if mode != "walk":
        return suggest_sites_for_mode(
            open_workspace(workspace_path), graph, assets, mode=mode, category=category,
            count=count, minutes=minutes, by=by, imd_weighted=imd_weighted, depart=depart,
            fallback_cell_m=500.0,
        )  # fmt: skip
    candidates = candidate_sites(graph, assets)
    if len(candidates) == 0:
        candidates = candidate_sites(graph, assets, cell_m=500.0)
    weight = demand_weights(demand, imd_weighted=imd_weighted)
    return suggest_sites(
        graph,
        assets,
        demand,
        candidates,
        category=category,
        count=count,
        minutes=minutes,
        weight=weight,
    )


@st.cache_data(max_entries=16, ttl=_TTL, show_spinner=False)
def chart_spec(_build: Callable[..., dict[str, Any]], name: str, *args: Any) -> dict[str, Any]:
    """Return ``_build(*args)``, a chart's Vega-Lite spec, made once per ``name`` and ``args``.

    Altair validates every channel of a chart against the Vega-Lite schema
    (about 0.2 s of CPU for the Dashboard's coverage bars): on a rerun that
    changes nothing the chart has, the spec comes from here.
    """
    del name  # part of the cache key only (``_build`` is not hashed)
    return _build(*args)


@st.cache_data(max_entries=16, ttl=_TTL, show_spinner=False)
def chart_png(spec_json: str) -> bytes:
    """Render a Vega-Lite chart (JSON) to PNG with vl-convert (offline)."""
    import vl_convert

    png: bytes = vl_convert.vegalite_to_png(spec_json, scale=2)
    return png
