"""Coverage of needs on foot: what is reachable from where, and how much of a place is served.

Everything here reads walking times from :mod:`assetmap.reach.travel` (compiled
multi-source searches on a :class:`~assetmap.reach.network.WalkGraph`); nothing
re-implements a shortest path.

The core array is a *category time table*: for each category, the seconds
from the nearest asset of that category to every network node, within a
limit (:func:`category_node_seconds`, one limited search per category). The
accessible range of a point, coverage of small areas and of postcodes all
read that table at snapped points.

Examples
--------
Two street corners 200 m apart in Oakham (150 s at 4.8 km/h), a library on
one and a food bank on the other:

>>> import numpy as np
>>> import geopandas as gpd
>>> from shapely.geometry import Point
>>> from assetmap.reach.network import WalkConfig, WalkNetwork, build_walk_graph
>>> corners = WalkNetwork(
...     node_ids=np.array([10, 20]), lon=np.array([-0.7300, -0.7270]), lat=np.full(2, 52.67),
...     edge_u=np.array([0], dtype=np.int32), edge_v=np.array([1], dtype=np.int32),
...     length_m=np.array([200.0]),
... )
>>> graph = build_walk_graph(corners, config=WalkConfig(min_component_nodes=1))
>>> assets = gpd.GeoDataFrame(
...     {"status": ["verified", "verified"], "categories": [("library",), ("food_support",)]},
...     geometry=[Point(-0.7300, 52.67), Point(-0.7270, 52.67)], crs="EPSG:4326",
... )
>>> reach = accessible_range(graph, assets, [-0.7300], [52.67], minutes=2)
>>> reach.loc[0, "categories"], int(reach.loc[0, "n_categories"])
(('library',), 1)
>>> accessible_range(graph, assets, [-0.7300], [52.67], minutes=3).loc[0, "categories"]
('food_support', 'library')
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from assetmap.errors import SchemaError
from assetmap.ingest.postcodes import PostcodeIndex
from assetmap.moderation_state import NOT_LIVE_STATUSES, UNCHECKED_STATUSES, live_mask
from assetmap.reach.areas import area_noun, area_of_points
from assetmap.reach.network import FloatArray, IntArray, Snapped, WalkGraph, snap_points
from assetmap.reach.travel import count_within, nearest_times, point_times, travel_time_matrix
from assetmap.schema import STORAGE_CRS
from assetmap.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "INACTIVE_STATUSES",
    "Coverage",
    "CoverageSeries",
    "Demand",
    "RegisterHistory",
    "accessible_range",
    "addition_groups",
    "additions",
    "asset_categories",
    "category_node_seconds",
    "coverage",
    "coverage_series",
    "demand_note",
    "demand_points",
    "gap_search_minutes",
    "monthly_dates",
    "point_minutes",
    "range_summary",
    "reachable_assets",
    "register_snapshots",
]

logger = logging.getLogger(__name__)

#: Assets with these statuses are left out of every count: archived and rejected ones serve
#: nobody, proposed ones no facilitator has checked yet (:mod:`assetmap.moderation_state`).
INACTIVE_STATUSES = NOT_LIVE_STATUSES


def _check_minutes(minutes: float) -> float:
    value = float(minutes)
    if not (np.isfinite(value) and value >= 0):
        msg = f"`minutes` must be a finite number >= 0, got {minutes!r}."
        raise ValueError(msg)
    return value


def asset_categories(assets: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return one row per (active asset, category): ``position``, ``category``, ``lon``, ``lat``.

    ``position`` is the asset's row position in ``assets``. Archived,
    rejected and unchecked (proposed) assets (:data:`INACTIVE_STATUSES`,
    :func:`assetmap.moderation_state.live_mask`) are left out.

    Parameters
    ----------
    assets
        Asset table in EPSG:4326 with Point geometry and a ``categories``
        column of tuples (``status`` optional).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    SchemaError
        If the CRS is not EPSG:4326, a column is missing, or a geometry is
        not a point (the message names the row).
    """
    if "categories" not in assets.columns:
        msg = "The asset table has no `categories` column."
        raise SchemaError(msg)
    columns = ["position", "category", "lon", "lat"]
    if len(assets) == 0:
        return pd.DataFrame(
            {c: pd.Series(dtype="float64" if c in ("lon", "lat") else "object") for c in columns}
        ).astype({"position": "int64"})
    if assets.crs is None or assets.crs != STORAGE_CRS:
        msg = f"The asset table's CRS must be {STORAGE_CRS!r}, got {assets.crs!s}."
        raise SchemaError(msg)
    geometry = assets.geometry
    not_point = (geometry.geom_type != "Point") | geometry.is_empty
    if not_point.any():
        row = assets.index[int(np.flatnonzero(not_point.to_numpy())[0])]
        msg = f"Asset row {row!r}: geometry must be a non-empty Point."
        raise SchemaError(msg)
    active = live_mask(assets)
    positions: list[int] = []
    codes: list[str] = []
    for position, (is_active, cats) in enumerate(
        zip(active.tolist(), assets["categories"].tolist(), strict=True)
    ):
        if not is_active or cats is None or isinstance(cats, float):
            continue
        for code in dict.fromkeys(cats):
            positions.append(position)
            codes.append(str(code))
    where = np.asarray(positions, dtype=np.int64)
    return pd.DataFrame(
        {
            "position": where,
            "category": pd.Series(codes, dtype="object"),
            "lon": geometry.x.to_numpy(dtype=np.float64)[where],
            "lat": geometry.y.to_numpy(dtype=np.float64)[where],
        }
    )


def category_node_seconds(
    graph: WalkGraph,
    assets: gpd.GeoDataFrame,
    *,
    minutes: float | None,
    categories: Iterable[str] | None = None,
) -> dict[str, FloatArray]:
    """Seconds from the nearest asset of each category to every node.

    One limited multi-source search per category
    (:func:`assetmap.reach.travel.nearest_times`).

    Parameters
    ----------
    graph
        The walk graph.
    assets
        Asset table (see :func:`asset_categories`).
    minutes
        Search limit in minutes (``None``: no limit); nodes beyond it are ``inf``.
    categories
        The categories wanted (a category with no asset gives ``inf``
        everywhere); by default every category some active asset has.

    Returns
    -------
    dict
        Category code -> seconds per node, in the order asked (or sorted).

    Raises
    ------
    SchemaError
        If the asset table is malformed.
    """
    limit = None if minutes is None else _check_minutes(minutes)
    pairs = asset_categories(assets)
    wanted = (
        sorted(set(pairs["category"])) if categories is None else list(dict.fromkeys(categories))
    )
    return _seconds_by_category(graph, pairs, wanted, limit)


def _seconds_by_category(
    graph: WalkGraph, pairs: pd.DataFrame, wanted: Sequence[str], limit: float | None
) -> dict[str, FloatArray]:
    groups = dict(tuple(pairs.groupby("category", sort=False)))
    out: dict[str, FloatArray] = {}
    for code in wanted:
        frame = groups.get(code)
        if frame is None:
            out[code] = np.full(graph.n_nodes, np.inf)
            continue
        out[code] = nearest_times(
            graph, frame["lon"].to_numpy(), frame["lat"].to_numpy(), max_minutes=limit
        )
    return out


def _needs_of(categories: Sequence[str], taxonomy: Taxonomy) -> tuple[str, ...]:
    return tuple(sorted(taxonomy.needs_for_categories(categories)))


def accessible_range(
    graph: WalkGraph,
    assets: gpd.GeoDataFrame,
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    *,
    minutes: float,
    taxonomy: Taxonomy | None = None,
) -> pd.DataFrame:
    """Return the accessible range of places: the categories and needs within a walk.

    A category is reachable from a point when some active asset of it is
    within ``minutes`` on foot (both straight-line legs to the street
    included, limit inclusive); its needs come from the taxonomy.

    Method: with fewer points than categories, one limited search per
    distinct point node (a points x assets matrix); otherwise one
    multi-source search per category read at the points. Both are exact and
    give the same answer.

    Parameters
    ----------
    graph
        The walk graph.
    assets
        Asset table in EPSG:4326 (Point geometry, ``categories`` tuples;
        archived and rejected assets are ignored).
    lon, lat
        WGS 84 coordinates of the places (scalars or equal-length arrays).
    minutes
        The walking limit in minutes.
    taxonomy
        Maps categories to needs; the project's taxonomy by default.

    Returns
    -------
    pandas.DataFrame
        One row per place, in order: ``n_categories``, ``n_needs``,
        ``categories`` and ``needs`` (sorted tuples of codes) and ``far``
        (the place is more than ``graph.config.max_snap_m`` from a street).

    Raises
    ------
    NetworkError
        If a place has missing or out-of-range coordinates.
    SchemaError
        If the asset table is malformed.
    ValueError
        If ``minutes`` is negative or not finite.
    """
    limit = _check_minutes(minutes)
    tax = load_taxonomy() if taxonomy is None else taxonomy
    snapped = snap_points(graph, lon, lat)
    pairs = asset_categories(assets)
    codes = sorted(set(pairs["category"]))
    reached = _reached_categories(graph, pairs, codes, snapped, lon, lat, limit)
    names = np.asarray(codes, dtype=object)
    categories = [tuple(names[row].tolist()) for row in reached]
    needs = [_needs_of(cats, tax) for cats in categories]
    return pd.DataFrame(
        {
            "n_categories": pd.Series([len(c) for c in categories], dtype="int64"),
            "n_needs": pd.Series([len(n) for n in needs], dtype="int64"),
            "categories": pd.Series(categories, dtype="object"),
            "needs": pd.Series(needs, dtype="object"),
            "far": pd.Series(snapped.far, dtype="bool"),
        }
    )


def _reached_categories(
    graph: WalkGraph,
    pairs: pd.DataFrame,
    codes: list[str],
    snapped: Snapped,
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    limit: float,
) -> npt.NDArray[np.bool_]:
    """Boolean (places x categories): some asset of the category within ``limit`` minutes."""
    n_points = len(snapped)
    if n_points == 0 or not codes:
        return np.zeros((n_points, len(codes)), dtype=bool)
    if len(np.unique(snapped.node)) < len(codes):
        assets = pairs.drop_duplicates("position")
        minutes = travel_time_matrix(
            graph,
            lon,
            lat,
            assets["lon"].to_numpy(),
            assets["lat"].to_numpy(),
            max_minutes=limit,
        )
        column = {int(p): i for i, p in enumerate(assets["position"].tolist())}
        incidence = np.zeros((len(assets), len(codes)), dtype=np.int64)
        code_index = {c: j for j, c in enumerate(codes)}
        rows = [column[int(p)] for p in pairs["position"].tolist()]
        cols = [code_index[c] for c in pairs["category"].tolist()]
        incidence[rows, cols] = 1
        product: npt.NDArray[np.int64] = np.isfinite(minutes).astype(np.int64) @ incidence
        return product > 0
    table = _seconds_by_category(graph, pairs, codes, limit)
    out = np.zeros((n_points, len(codes)), dtype=bool)
    for j, code in enumerate(codes):
        out[:, j] = np.isfinite(point_times(table[code], snapped, max_minutes=limit))
    return out


# --- Coverage of small areas and postcodes ----------------------------------------------


@dataclass(frozen=True, eq=False)
class Demand:
    """Where coverage is measured: points with the area each one stands for.

    Made by :func:`demand_points`. An area is measured at its postcodes
    (where people live) when a postcode table gives it any, else at its
    network nodes, else at a point inside it.

    Attributes
    ----------
    areas
        The area table (see :mod:`assetmap.reach.areas`).
    lon, lat
        WGS 84 coordinates of the points.
    snapped
        The points snapped to the graph (done once, reused for every category
        and every snapshot of a time series).
    area
        Position in ``areas`` of each point's area.
    is_postcode
        True for postcode centroids, False for nodes and area points.
    """

    areas: gpd.GeoDataFrame
    lon: FloatArray
    lat: FloatArray
    snapped: Snapped
    area: IntArray
    is_postcode: npt.NDArray[np.bool_]

    @property
    def n_postcodes(self) -> int:
        """Number of postcode points."""
        return int(self.is_postcode.sum())

    @property
    def street_node_areas(self) -> list[str]:
        """Codes of the areas with no postcode, measured at street nodes (or a point inside)."""
        with_postcode = np.zeros(len(self.areas), dtype=bool)
        with_postcode[self.area[self.is_postcode]] = True
        return [str(code) for code in self.areas["area_code"].to_numpy()[~with_postcode]]


def demand_points(
    graph: WalkGraph, areas: gpd.GeoDataFrame, *, postcodes: PostcodeIndex | None = None
) -> Demand:
    """Choose and snap the points each area is measured at.

    Parameters
    ----------
    graph
        The walk graph.
    areas
        Area table in EPSG:4326 (from :func:`assetmap.reach.areas.read_areas` or
        :func:`assetmap.reach.areas.grid_areas`).
    postcodes
        Postcode centroids; those inside no area are left out.

    Returns
    -------
    Demand
    """
    lons: list[FloatArray] = []
    lats: list[FloatArray] = []
    owners: list[IntArray] = []
    kinds: list[npt.NDArray[np.bool_]] = []
    has_points = np.zeros(len(areas), dtype=bool)
    if postcodes is not None and len(postcodes):
        owner = area_of_points(areas, postcodes.lon, postcodes.lat)
        inside = owner >= 0
        lons.append(np.asarray(postcodes.lon[inside], dtype=np.float64))
        lats.append(np.asarray(postcodes.lat[inside], dtype=np.float64))
        owners.append(owner[inside])
        kinds.append(np.ones(int(inside.sum()), dtype=bool))
        has_points[owner[inside]] = True
    lon_nodes, lat_nodes = graph.network.lon, graph.network.lat
    owner = area_of_points(areas, lon_nodes, lat_nodes)
    use = (owner >= 0) & ~has_points[np.maximum(owner, 0)]
    lons.append(lon_nodes[use])
    lats.append(lat_nodes[use])
    owners.append(owner[use])
    kinds.append(np.zeros(int(use.sum()), dtype=bool))
    has_points[owner[use]] = True
    empty = np.flatnonzero(~has_points)
    if len(empty):
        inner = shapely.point_on_surface(areas.geometry.to_numpy()[empty])
        lons.append(shapely.get_x(inner))
        lats.append(shapely.get_y(inner))
        owners.append(empty.astype(np.int64))
        kinds.append(np.zeros(len(empty), dtype=bool))
    lon = np.concatenate(lons)
    lat = np.concatenate(lats)
    return Demand(
        areas=areas,
        lon=lon,
        lat=lat,
        snapped=snap_points(graph, lon, lat),
        area=np.concatenate(owners).astype(np.int64),
        is_postcode=np.concatenate(kinds),
    )


def demand_note(demand: Demand, kind: str, settings: dict[str, object]) -> str:
    """Say what coverage is measured over, and where it falls back to street nodes.

    Parameters
    ----------
    demand
        The demand points.
    kind
        ``"lsoa"`` (stored areas) or ``"grid"``.
    settings
        The workspace settings (what the stored areas are called).

    Returns
    -------
    str
        One or two sentences, e.g. "23 LSOAs and 1,207 postcodes. 1 of 23 LSOAs has no
        postcode and is measured at its street nodes instead: Rutland 004A."
    """
    noun = area_noun(settings, kind)
    n_areas = len(demand.areas)
    if not demand.n_postcodes:
        return (
            f"{n_areas:,} {noun}; no postcodes are loaded, so every area is measured at "
            "its street nodes instead of where people live."
        )
    text = f"{n_areas:,} {noun} and {demand.n_postcodes:,} postcodes."
    fallback = demand.street_node_areas
    if fallback:
        names = dict(zip(demand.areas["area_code"], demand.areas["area_name"], strict=True))
        named = [str(names.get(code, code)) for code in fallback]  # names, never ONS codes
        shown = ", ".join(named[:10]) + (" ..." if len(named) > 10 else "")
        verb = "has" if len(fallback) == 1 else "have"
        text += (
            f" {len(fallback)} of {n_areas} {noun} {verb} no postcode and "
            f"{'is' if len(fallback) == 1 else 'are'} measured at street nodes instead: {shown}."
        )
    return text


@dataclass(frozen=True, eq=False)
class Coverage:
    """Coverage of areas and postcodes by category within a walking limit.

    Attributes
    ----------
    minutes
        The walking limit.
    by_area
        One row per (area, category): ``area_code``, ``category``,
        ``minutes`` (median over the area's points of the minutes to the
        nearest asset; ``inf`` when beyond the search limit), ``share_within``
        (share of the area's points within the limit), ``count_within``
        (median number of assets of the category within the limit; ``NaN``
        when not counted), ``covered`` (``minutes`` within the limit),
        ``imd_score``, ``imd_decile``.
    by_category
        One row per category: ``category``, ``n_assets``, ``share_areas``,
        ``share_areas_imd`` (areas weighted by IMD score), ``share_postcodes``,
        ``share_postcodes_imd`` (postcodes weighted by their area's IMD
        score), ``median_minutes`` (over postcodes, else over all points),
        ``areas_beyond``; shares are ``NaN`` when there is nothing to share.
    point_seconds
        Seconds from each demand point to the nearest asset of each category
        (shape ``(n_points, n_categories)``, columns in ``by_category`` order).
    """

    minutes: float
    by_area: pd.DataFrame
    by_category: pd.DataFrame
    point_seconds: FloatArray


def _weighted_share(covered: npt.NDArray[np.bool_], weight: FloatArray) -> float:
    ok = np.isfinite(weight)
    total = float(weight[ok].sum())
    if total <= 0:
        return float("nan")
    return float(weight[ok][covered[ok]].sum() / total)


def _share(covered: npt.NDArray[np.bool_]) -> float:
    return float(covered.mean()) if len(covered) else float("nan")


def gap_search_minutes(minutes: float) -> float:
    """Return how far to search when showing how far beyond the limit gaps are.

    The one rule for the dashboard, ``assetmap coverage`` and anything else
    that fills in minutes beyond a walking limit: twice the limit, and at
    least an hour. Pass it as ``search_minutes`` to :func:`coverage`.

    Examples
    --------
    >>> gap_search_minutes(15), gap_search_minutes(45)
    (60.0, 90.0)
    """
    return max(60.0, 2.0 * float(minutes))


def coverage(
    graph: WalkGraph,
    assets: gpd.GeoDataFrame,
    demand: Demand,
    *,
    minutes: float,
    categories: Iterable[str] | None = None,
    search_minutes: float | None = None,
    count: bool = True,
    times: Callable[[pd.DataFrame], FloatArray] | None = None,
) -> Coverage:
    """Measure coverage by category: per area, and shares of areas and postcodes.

    Parameters
    ----------
    graph
        The walk graph.
    assets
        Asset table (archived, rejected and proposed assets are ignored).
    demand
        The points and areas to measure (:func:`demand_points`).
    minutes
        The walking limit ("within X minutes").
    categories
        Categories to report; by default every category an active asset has.
    search_minutes
        How far to search for the minutes to the nearest asset (``None``:
        ``minutes``, the fastest; a larger value fills in how far beyond the
        limit a gap is, e.g. for a gap map). Must be at least ``minutes``.
    count
        Also count the assets within the limit (one search per asset).
    times
        Another travel mode: given one category's rows of
        :func:`asset_categories` (``lon``, ``lat``), return seconds from every
        demand point to the nearest of them (e.g. walk + public transport,
        :func:`assetmap.reach.transit_times.point_seconds_by_transit`).
        ``None``: walking (or cycling) over ``graph``.

    Returns
    -------
    Coverage

    Raises
    ------
    SchemaError
        If the asset table is malformed.
    ValueError
        If a limit is negative or ``search_minutes < minutes``.
    """
    limit = _check_minutes(minutes)
    search = limit if search_minutes is None else _check_minutes(search_minutes)
    if search < limit:
        msg = f"`search_minutes` ({search}) must be at least `minutes` ({limit})."
        raise ValueError(msg)
    pairs = asset_categories(assets)
    codes = (
        sorted(set(pairs["category"])) if categories is None else list(dict.fromkeys(categories))
    )
    n_points, n_areas = len(demand.snapped), len(demand.areas)
    seconds = np.empty((n_points, len(codes)))
    if times is None:
        table = _seconds_by_category(graph, pairs, codes, search)
        for j, code in enumerate(codes):
            seconds[:, j] = point_times(table[code], demand.snapped, max_minutes=search)
    else:
        for j, code in enumerate(codes):
            seconds[:, j] = times(pairs[pairs["category"] == code])
        seconds[seconds > search * 60.0] = np.inf
    within = seconds <= limit * 60.0
    counts = (
        _counts_at_points(graph, pairs, codes, demand, limit)
        if count
        else np.full((n_points, len(codes)), np.nan)
    )
    order = np.argsort(demand.area, kind="stable")
    bounds = np.searchsorted(demand.area[order], np.arange(n_areas + 1))
    area_minutes = np.full((n_areas, len(codes)), np.inf)
    area_share = np.zeros((n_areas, len(codes)))
    area_count = np.full((n_areas, len(codes)), np.nan)
    for a in range(n_areas):
        rows = order[bounds[a] : bounds[a + 1]]
        if len(rows) == 0:
            continue
        area_minutes[a] = np.median(seconds[rows], axis=0) / 60.0
        area_share[a] = within[rows].mean(axis=0)
        area_count[a] = np.median(counts[rows], axis=0)
    covered = area_minutes <= limit
    areas = demand.areas
    imd = areas["imd_score"].to_numpy(dtype=np.float64)
    by_area = pd.DataFrame(
        {
            "area_code": np.repeat(areas["area_code"].to_numpy(dtype=object), len(codes)),
            "category": np.tile(np.asarray(codes, dtype=object), n_areas),
            "minutes": area_minutes.ravel(),
            "share_within": area_share.ravel(),
            "count_within": area_count.ravel(),
            "covered": covered.ravel(),
            "imd_score": np.repeat(imd, len(codes)),
            "imd_decile": np.repeat(areas["imd_decile"].to_numpy(), len(codes)),
        }
    )
    is_pc = demand.is_postcode
    point_imd = imd[demand.area]
    n_assets = pairs.groupby("category").size()
    summary = []
    for j, code in enumerate(codes):
        judged = seconds[is_pc, j] if is_pc.any() else seconds[:, j]
        summary.append(
            {
                "category": code,
                "n_assets": int(n_assets.get(code, 0)),
                "share_areas": _share(covered[:, j]),
                "share_areas_imd": _weighted_share(covered[:, j], imd),
                "share_postcodes": _share(within[is_pc, j]),
                "share_postcodes_imd": _weighted_share(within[is_pc, j], point_imd[is_pc]),
                "median_minutes": float(np.median(judged) / 60.0) if len(judged) else np.nan,
                "areas_beyond": int((~covered[:, j]).sum()),
            }
        )
    by_category = pd.DataFrame(
        summary,
        columns=[
            "category",
            "n_assets",
            "share_areas",
            "share_areas_imd",
            "share_postcodes",
            "share_postcodes_imd",
            "median_minutes",
            "areas_beyond",
        ],
    )
    return Coverage(minutes=limit, by_area=by_area, by_category=by_category, point_seconds=seconds)


def point_minutes(result: Coverage, demand: Demand) -> pd.DataFrame:
    """Return the minutes from every demand point to the nearest asset of each category.

    One row per point: ``area_code``, ``lon``, ``lat`` (5 decimals),
    ``is_postcode``, then one column per category of ``result.by_category``
    (minutes, 0.1 min; ``inf`` beyond the search limit). This is what regions
    hand on when coverage is run region by region: medians and histograms over
    a whole country are taken from these rows, never from regional medians
    (``docs/country-scale.md``).

    Parameters
    ----------
    result
        From :func:`coverage` on ``demand``.
    demand
        The demand points the coverage was measured at.

    Raises
    ------
    SchemaError
        If ``result`` was not measured on ``demand`` (different point counts).
    """
    seconds = result.point_seconds
    if seconds.shape[0] != len(demand.lon):
        msg = (
            f"The coverage has {seconds.shape[0]:,} points but the demand has "
            f"{len(demand.lon):,}: pass the demand the coverage was measured on."
        )
        raise SchemaError(msg)
    frame = pd.DataFrame(
        {
            "area_code": demand.areas["area_code"].to_numpy()[demand.area],
            "lon": np.round(demand.lon, 5),
            "lat": np.round(demand.lat, 5),
            "is_postcode": demand.is_postcode,
        }
    )
    categories = list(result.by_category["category"])
    minutes = np.round(seconds / 60.0, 1)
    return pd.concat([frame, pd.DataFrame(minutes, columns=categories, index=frame.index)], axis=1)


def _counts_at_points(
    graph: WalkGraph, pairs: pd.DataFrame, codes: Sequence[str], demand: Demand, limit: float
) -> FloatArray:
    """Assets of each category within ``limit`` minutes of each point (both legs counted).

    Points on a node (no leg) read :func:`assetmap.reach.travel.count_within`; the
    others a category x points matrix (:func:`assetmap.reach.travel.travel_time_matrix`).
    """
    snapped = demand.snapped
    on_node = snapped.leg_s == 0
    off = np.flatnonzero(~on_node)
    out = np.zeros((len(snapped), len(codes)))
    groups = dict(tuple(pairs.groupby("category", sort=False)))
    for j, code in enumerate(codes):
        frame = groups.get(code)
        if frame is None:
            continue
        src_lon, src_lat = frame["lon"].to_numpy(), frame["lat"].to_numpy()
        if on_node.any():
            nodes = count_within(graph, src_lon, src_lat, max_minutes=limit)
            out[on_node, j] = nodes[snapped.node[on_node]]
        if len(off):
            matrix = travel_time_matrix(
                graph, src_lon, src_lat, demand.lon[off], demand.lat[off], max_minutes=limit
            )
            out[off, j] = np.isfinite(matrix).sum(axis=0)
    return out


# --- Over time ----------------------------------------------------------------------------


def monthly_dates(start: dt.date, end: dt.date) -> list[dt.datetime]:
    """Return the last moment (UTC) of every month from ``start``'s month to ``end``'s.

    Examples
    --------
    >>> [d.isoformat() for d in monthly_dates(dt.date(2025, 11, 20), dt.date(2026, 1, 3))]
    ['2025-11-30T23:59:59.999999+00:00', '2025-12-31T23:59:59.999999+00:00', \
'2026-01-31T23:59:59.999999+00:00']
    """
    if end < start:
        msg = f"`end` ({end}) is before `start` ({start})."
        raise ValueError(msg)
    out = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        first_of_next = dt.datetime(year, month, 1, tzinfo=dt.UTC)
        out.append(first_of_next - dt.timedelta(microseconds=1))
    return out


def _need_incidence(codes: Sequence[str], taxonomy: Taxonomy) -> tuple[list[str], FloatArray]:
    """Needs served by any of ``codes`` and a (categories x needs) 0/1 matrix."""
    needs = sorted(taxonomy.needs_for_categories(codes))
    column = {n: i for i, n in enumerate(needs)}
    matrix = np.zeros((len(codes), len(needs)))
    for i, code in enumerate(codes):
        for need in taxonomy.needs_for_categories([code]):
            matrix[i, column[need]] = 1.0
    return needs, matrix


def _range_means(
    within: npt.NDArray[np.bool_], needs_matrix: FloatArray, weights_rows: npt.NDArray[np.bool_]
) -> tuple[float, float]:
    """Mean number of categories and of needs within reach over the chosen points."""
    rows = within[weights_rows] if weights_rows.any() else within
    if len(rows) == 0:
        return float("nan"), float("nan")
    n_needs = ((rows.astype(np.float64) @ needs_matrix) > 0).sum(axis=1)
    return float(rows.sum(axis=1).mean()), float(n_needs.mean())


@dataclass(frozen=True, eq=False)
class CoverageSeries:
    """Coverage and accessible range at a series of dates.

    Attributes
    ----------
    summary
        One row per date: ``date``, ``n_assets`` (active), ``n_categories``
        (categories with an active asset), ``mean_categories`` and
        ``mean_needs`` (the mean accessible range over postcodes, else over
        all demand points) and ``share_any`` (share of those points with at
        least one category within the limit).
    by_category
        One row per (date, category): ``date``, ``category``, ``n_assets``,
        ``share_areas``, ``share_postcodes``.
    """

    summary: pd.DataFrame
    by_category: pd.DataFrame


def _measured_key(assets: gpd.GeoDataFrame) -> str:
    """Key of what :func:`coverage` reads of a register: its (asset, category, place) rows."""
    rows = pd.util.hash_pandas_object(asset_categories(assets), index=False).to_numpy()
    return hashlib.sha256(rows.tobytes()).hexdigest()


def range_summary(
    result: Coverage,
    assets: gpd.GeoDataFrame,
    demand: Demand,
    *,
    taxonomy: Taxonomy | None = None,
) -> dict[str, float]:
    """Return the headline figures of one register from its coverage (no new search).

    The figures of one row of :attr:`CoverageSeries.summary` without the
    date: ``n_assets``, ``n_categories``, ``mean_categories``, ``mean_needs``,
    ``share_any``. ``result`` may have searched beyond its limit
    (``search_minutes``): only times within ``result.minutes`` count.

    Parameters
    ----------
    result
        :func:`coverage` of ``assets`` on ``demand``.
    assets
        The register measured.
    demand
        The points measured.
    taxonomy
        Maps categories to needs; the project's taxonomy by default.
    """
    tax = load_taxonomy() if taxonomy is None else taxonomy
    codes = result.by_category["category"].tolist()
    _, needs_matrix = _need_incidence(codes, tax)
    within = result.point_seconds <= result.minutes * 60.0
    mean_categories, mean_needs = _range_means(within, needs_matrix, demand.is_postcode)
    chosen = within[demand.is_postcode] if demand.is_postcode.any() else within
    return {
        "n_assets": int(asset_categories(assets)["position"].nunique()),
        "n_categories": len(codes),
        "mean_categories": mean_categories,
        "mean_needs": mean_needs,
        "share_any": _share(np.asarray(chosen.any(axis=1), dtype=bool)),
    }


def coverage_series(
    graph: WalkGraph,
    snapshots: Iterable[tuple[dt.datetime, gpd.GeoDataFrame]],
    demand: Demand,
    *,
    minutes: float,
    taxonomy: Taxonomy | None = None,
    times: Callable[[pd.DataFrame], FloatArray] | None = None,
) -> CoverageSeries:
    """Coverage and accessible range for each of a series of registers.

    The graph is built once and the demand points snapped once by the
    caller; each snapshot costs one limited search per category present,
    unless it holds the same assets (categories, places) as the one before
    (a month with no change), whose coverage is reused.

    Parameters
    ----------
    graph
        The walk graph.
    snapshots
        ``(date, assets)`` pairs, e.g. from :func:`register_snapshots`.
    demand
        The points and areas (:func:`demand_points`).
    minutes
        The walking limit.
    taxonomy
        Maps categories to needs; the project's taxonomy by default.
    times
        Another travel mode, as for :func:`coverage` (e.g. walk + public
        transport); ``None``: over ``graph``.

    Returns
    -------
    CoverageSeries
    """
    tax = load_taxonomy() if taxonomy is None else taxonomy
    summary = []
    by_category = []
    previous: tuple[str, Coverage] | None = None
    for when, assets in snapshots:
        key = _measured_key(assets)
        if previous is None or previous[0] != key:  # a month with no change costs no search
            previous = (
                key,
                coverage(graph, assets, demand, minutes=minutes, count=False, times=times),
            )
        result = previous[1]
        summary.append({"date": when} | range_summary(result, assets, demand, taxonomy=tax))
        frame = result.by_category[["category", "n_assets", "share_areas", "share_postcodes"]]
        by_category.append(frame.assign(date=when))
    columns = ["date", "category", "n_assets", "share_areas", "share_postcodes"]
    return CoverageSeries(
        summary=pd.DataFrame(
            summary,
            columns=[
                "date",
                "n_assets",
                "n_categories",
                "mean_categories",
                "mean_needs",
                "share_any",
            ],
        ),
        by_category=(
            pd.concat(by_category, ignore_index=True)[columns]
            if by_category
            else pd.DataFrame(columns=columns)
        ),
    )


class RegisterHistory(Protocol):
    """What the growth measures read of a register's history (the store provides it).

    Kernels here take this interface, not the store: the caller passes
    :class:`assetmap.store.Store` (or anything with these three methods).
    """

    def change_log(self) -> pd.DataFrame:
        """Return every version of every asset (``entity_id``, ``version``, ``action``, ...)."""
        ...

    def assets(self, *, include_archived: bool = False) -> gpd.GeoDataFrame:
        """Return the current register."""
        ...

    def register_as_of(self, when: dt.datetime) -> gpd.GeoDataFrame:
        """Return the register as it was at ``when``."""
        ...


def register_snapshots(
    store: RegisterHistory, dates: Iterable[dt.datetime]
) -> Iterator[tuple[dt.datetime, gpd.GeoDataFrame]]:
    """Yield ``(date, register as of that date)`` for each date (one query each)."""
    for when in dates:
        yield when, store.register_as_of(when)


_GROUP_COLUMNS: Final = ["batch", "kind", "source", "when", "id"]


def addition_groups(
    store: RegisterHistory, *, sources: Mapping[str, tuple[str, str]] | None = None
) -> pd.DataFrame:
    """Return every asset that went live, with the group (import, session, ...) it came in.

    The grouping of :func:`additions`, without measuring anything (a
    workspace with no walking network can still say what each group added).

    Returns
    -------
    pandas.DataFrame
        One row per asset: ``batch``, ``kind``, ``source``, ``when`` (UTC,
        when it went live) and ``id``.
    """
    log = store.change_log()
    created = log[(log["version"] == 1) & log["action"].isin(("create", "import", "propose"))]
    # A session's place went live when a facilitator accepted it, not when it was proposed.
    accepting = log[log["action"] == "accept"]
    first_accepted = accepting.groupby("entity_id", sort=False)["valid_from"].min().to_dict()
    live_from = [
        first_accepted.get(entity_id) if action == "propose" else when
        for entity_id, action, when in zip(
            created["entity_id"], created["action"], created["valid_from"], strict=True
        )
    ]
    created = created.assign(valid_from=pd.Series(live_from, index=created.index, dtype=object))
    created = created[created["valid_from"].notna()]  # proposals never accepted were never live
    known = dict(sources or {})
    if created.empty:
        return pd.DataFrame(columns=_GROUP_COLUMNS)
    every = store.assets(include_archived=True)
    never_live = set(every.loc[every["status"].isin(UNCHECKED_STATUSES | {"rejected"}), "id"])
    created = created[~created["entity_id"].isin(never_live)]
    if created.empty:
        return pd.DataFrame(columns=_GROUP_COLUMNS)
    session_of = dict(zip(every["id"], every["session_id"], strict=True))
    rows = []
    for entity_id, import_id, source, when in zip(
        created["entity_id"],
        created["import_id"],
        created["source"],
        created["valid_from"],
        strict=True,
    ):
        stamp = pd.Timestamp(when)
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        session = session_of.get(entity_id)
        if entity_id in known:
            kind, source = known[entity_id]
            key = f"{kind}:{source}"
        elif isinstance(session, str) and session:
            key, kind = f"session:{session}", "session"
        elif isinstance(import_id, str) and import_id:
            key, kind = f"import:{import_id}", "import"
        else:
            key, kind = f"manual:{stamp.date().isoformat()}", "manual"
        rows.append((key, kind, source, stamp, entity_id))
    return pd.DataFrame(rows, columns=_GROUP_COLUMNS)


def additions(
    graph: WalkGraph,
    store: RegisterHistory,
    demand: Demand,
    *,
    minutes: float,
    taxonomy: Taxonomy | None = None,
    sources: Mapping[str, tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """Measure what each import, mapping session, grant or day of manual additions added.

    Assets are grouped by how they were first added: ``sources`` when it
    names them (e.g. what a shared grant became), else their mapping session
    (``session_id``), else the import that created them (``import_id``),
    else the UTC day of a manual addition. A session's place counts from
    when a facilitator accepted it. For each group, in order of its first
    addition, the register is taken as of its last addition, with and
    without the group's assets. Proposals still waiting for a facilitator,
    and rejected ones, were never live and are not counted as added.

    Parameters
    ----------
    graph
        The walk graph.
    store
        The register.
    demand
        The points the accessible range is averaged over.
    minutes
        The walking limit.
    taxonomy
        Maps categories to needs; the project's taxonomy by default.
    sources
        Asset id -> ``(kind, source)`` for assets whose group is known
        elsewhere (``("grant", "grant: Bike club")``): one group per source.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``batch``, ``kind`` (``session``, ``import``,
        ``manual`` or a kind from ``sources``), ``source``, ``first_added``, ``n_added``,
        ``new_categories`` (categories the register had no active asset of
        before), ``mean_categories_before``/``_after``, ``gain``.
    """
    tax = load_taxonomy() if taxonomy is None else taxonomy
    columns = [
        "batch",
        "kind",
        "source",
        "first_added",
        "n_added",
        "new_categories",
        "mean_categories_before",
        "mean_categories_after",
        "gain",
    ]
    batches = addition_groups(store, sources=sources)
    if batches.empty:
        return pd.DataFrame(columns=columns)
    out = []
    for batch, group in sorted(batches.groupby("batch"), key=lambda kv: kv[1]["when"].min()):
        after = store.register_as_of(group["when"].max().to_pydatetime())
        before = after[~after["id"].isin(set(group["id"]))]
        means = []
        for frame in (before, after):
            result = coverage(graph, frame, demand, minutes=minutes, count=False)
            _, needs_matrix = _need_incidence(result.by_category["category"].tolist(), tax)
            within = result.point_seconds <= result.minutes * 60.0
            means.append(_range_means(within, needs_matrix, demand.is_postcode)[0])
        had = set(asset_categories(before)["category"])
        new = sorted(set(asset_categories(after)["category"]) - had)
        out.append(
            {
                "batch": batch,
                "kind": group["kind"].iloc[0],
                "source": group["source"].iloc[0],
                "first_added": group["when"].min(),
                "n_added": len(group),
                "new_categories": tuple(new),
                "mean_categories_before": means[0],
                "mean_categories_after": means[1],
                "gain": means[1] - means[0],
            }
        )
    return pd.DataFrame(out, columns=columns)


# --- From one place -------------------------------------------------------------------------


def reachable_assets(
    graph: WalkGraph,
    assets: gpd.GeoDataFrame,
    lon: float,
    lat: float,
    *,
    minutes: float,
    category: str | None = None,
) -> pd.DataFrame:
    """Return the active assets within ``minutes`` on foot of a place, nearest first.

    Parameters
    ----------
    graph
        The walk graph.
    assets
        The register.
    lon, lat
        WGS 84 coordinates of the place.
    minutes
        The walking limit.
    category
        Only assets of this category.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``name``, ``categories``, ``minutes`` (the asset table's
        columns when present), sorted by minutes then name.
    """
    limit = _check_minutes(minutes)
    pairs = asset_categories(assets)
    if category is not None:
        pairs = pairs[pairs["category"] == category]
    positions = np.unique(pairs["position"].to_numpy())
    chosen = assets.iloc[positions]
    columns = ["id", "name", "categories", "minutes"]
    if len(chosen) == 0:
        return pd.DataFrame(columns=columns)
    walk = travel_time_matrix(
        graph,
        [lon],
        [lat],
        chosen.geometry.x.to_numpy(),
        chosen.geometry.y.to_numpy(),
        max_minutes=limit,
    )[0]
    keep = np.isfinite(walk)
    frame = pd.DataFrame(
        {
            "id": chosen["id"].to_numpy(dtype=object)[keep]
            if "id" in chosen.columns
            else positions[keep],
            "name": chosen["name"].to_numpy(dtype=object)[keep] if "name" in chosen.columns else "",
            "categories": chosen["categories"].to_numpy(dtype=object)[keep],
            "minutes": walk[keep],
        }
    )
    return frame.sort_values(["minutes", "name"], kind="stable").reset_index(drop=True)
