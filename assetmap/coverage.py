"""Coverage of needs on foot: what is reachable from where, and how much of a place is served.

Everything here reads walking times from :mod:`assetmap.reach` (compiled
multi-source searches on a :class:`~assetmap.network.WalkGraph`); nothing
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
>>> from assetmap.network import WalkConfig, WalkNetwork, build_walk_graph
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

import logging
from collections.abc import Iterable, Sequence

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from assetmap.errors import SchemaError
from assetmap.network import FloatArray, Snapped, WalkGraph, snap_points
from assetmap.reach import nearest_times, point_times, travel_time_matrix
from assetmap.schema import STORAGE_CRS
from assetmap.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "INACTIVE_STATUSES",
    "accessible_range",
    "asset_categories",
    "category_node_seconds",
]

logger = logging.getLogger(__name__)

#: Assets with these statuses serve nobody and are left out of every count.
INACTIVE_STATUSES = frozenset({"archived", "rejected"})


def _check_minutes(minutes: float) -> float:
    value = float(minutes)
    if not (np.isfinite(value) and value >= 0):
        msg = f"`minutes` must be a finite number >= 0, got {minutes!r}."
        raise ValueError(msg)
    return value


def asset_categories(assets: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return one row per (active asset, category): ``position``, ``category``, ``lon``, ``lat``.

    ``position`` is the asset's row position in ``assets``. Archived and
    rejected assets (:data:`INACTIVE_STATUSES`) are left out.

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
    active = np.ones(len(assets), dtype=bool)
    if "status" in assets.columns:
        active = ~assets["status"].isin(INACTIVE_STATUSES).to_numpy()
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
    (:func:`assetmap.reach.nearest_times`).

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
