"""Gaps and new sites: where a category is out of walking reach, and where a new service helps most.

:func:`gap_areas` lists the areas beyond a walking limit for a category,
with the gap records people reported there (entity ``"gap"``, see
:mod:`assetmap.records`).

:func:`suggest_sites` solves the *maximal covering location problem*
(Church and ReVelle, 1974): choose ``count`` sites among candidates so that
the demand newly brought within ``minutes`` on foot is as large as possible,
the existing services of the category staying where they are. Demand is
points (postcodes, or network nodes) with weights (1 each, or an IMD score).

- ``method="milp"``: the exact optimum, by :func:`scipy.optimize.milp`
  (HiGHS branch and cut) on a sparse model: binary ``x_j`` (open site
  ``j``), ``0 <= y_i <= 1`` (demand ``i`` covered), maximise ``sum w_i y_i``
  with ``y_i <= sum_{j covers i} x_j`` and ``sum x_j = count``.
- ``method="greedy"``: add the site with the largest newly covered demand,
  ``count`` times; with the LP-relaxation bound its gap to the optimum is
  known (greedy is also within ``1 - 1/e`` of the optimum in the worst case).
- ``method="auto"`` (default): MILP when the model has at most
  ``max_milp_nonzeros`` coverage pairs, and it finishes within
  ``time_limit_s``; greedy otherwise. :attr:`SiteSuggestion.method` says
  which answer you got.

Examples
--------
Three candidates, four demand points; ``cover[i, j]``: candidate ``j``
covers point ``i``.

>>> import numpy as np
>>> cover = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 0, 1]], dtype=bool)
>>> best = solve_max_cover(cover, np.array([1.0, 1.0, 1.0, 5.0]), count=2, method="milp")
>>> best.chosen.tolist(), best.covered, best.optimal
([0, 2], 8.0, True)
>>> greedy = solve_max_cover(cover, np.array([1.0, 1.0, 1.0, 5.0]), count=2, method="greedy")
>>> greedy.chosen.tolist(), greedy.covered, greedy.bound
([2, 0], 8.0, 8.0)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from assetmap.errors import QueryError
from assetmap.reach.areas import area_of_points
from assetmap.reach.coverage import Coverage, Demand, asset_categories
from assetmap.reach.network import FloatArray, IntArray, WalkGraph, snap_points
from assetmap.reach.travel import nearest_times, point_times, travel_time_matrix
from assetmap.schema import STORAGE_CRS
from assetmap.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "VENUE_CATEGORIES",
    "MaxCover",
    "MinutesMatrix",
    "SiteSuggestion",
    "area_minutes",
    "candidate_sites",
    "demand_weights",
    "gap_areas",
    "imd_weights",
    "solve_max_cover",
    "suggest_sites",
]

logger = logging.getLogger(__name__)

#: Register categories whose assets can host a new service (halls, libraries, centres).
VENUE_CATEGORIES: Final = ("community_centre", "library")

Method = Literal["auto", "milp", "greedy"]


# --- Gaps -------------------------------------------------------------------------------


def area_minutes(
    result: Coverage,
    areas: gpd.GeoDataFrame,
    *,
    category: str,
    gaps: pd.DataFrame | None = None,
    taxonomy: Taxonomy | None = None,
) -> gpd.GeoDataFrame:
    """Return every area with its minutes to the nearest asset of a category and its gaps.

    A gap record counts for the category when it names the category, or
    names no category and a need the category serves. It lies in an area
    when its ``area`` is the area's code, or its point is inside the area.

    Parameters
    ----------
    result
        Coverage from :func:`assetmap.reach.coverage.coverage`.
    areas
        The same area table the coverage was measured on.
    category
        The category code.
    gaps
        Gap records (:func:`reported_gaps`); only open ones are used.
    taxonomy
        Maps the category to its needs; the project's taxonomy by default.

    Returns
    -------
    geopandas.GeoDataFrame
        In the order of ``areas``: ``area_code``, ``area_name``, ``minutes``,
        ``share_within``, ``covered``, ``imd_score``, ``imd_decile``, ``n_gaps``,
        ``gap_notes`` (tuple of the notes reported), ``geometry``.

    Raises
    ------
    TaxonomyError
        If ``category`` is not a category code.
    """
    tax = load_taxonomy() if taxonomy is None else taxonomy
    needs = set(tax.category(category).needs)
    rows = result.by_area[result.by_area["category"] == category]
    table = areas[["area_code", "area_name", "imd_score", "imd_decile", "geometry"]].merge(
        rows[["area_code", "minutes", "share_within", "covered"]], on="area_code", how="left"
    )
    missing = table["minutes"].isna()
    table.loc[missing, "minutes"] = np.inf  # a category with no asset anywhere
    table.loc[missing, "share_within"] = 0.0
    table["covered"] = table["minutes"] <= result.minutes
    notes: dict[int, list[str]] = {i: [] for i in range(len(table))}
    relevant = _relevant_gaps(pd.DataFrame() if gaps is None else gaps, category, needs)
    if len(relevant) and len(table):
        code_at = {code: i for i, code in enumerate(table["area_code"].tolist())}
        nothing = pd.Series([None] * len(relevant), index=relevant.index, dtype=object)
        lon = pd.to_numeric(
            relevant["lon"] if "lon" in relevant.columns else nothing, errors="coerce"
        )
        lat = pd.to_numeric(
            relevant["lat"] if "lat" in relevant.columns else nothing, errors="coerce"
        )
        located = np.full(len(relevant), -1, dtype=np.int64)
        has_point = (lon.notna() & lat.notna()).to_numpy()
        if has_point.any():
            located[has_point] = area_of_points(
                table, lon.to_numpy()[has_point], lat.to_numpy()[has_point]
            )
        named = relevant["area"].tolist() if "area" in relevant.columns else [None] * len(relevant)
        texts = relevant["note"].tolist() if "note" in relevant.columns else [None] * len(relevant)
        for where, area_code, note in zip(located.tolist(), named, texts, strict=True):
            position = code_at.get(area_code, where) if isinstance(area_code, str) else where
            if position >= 0:
                notes[position].append(note if isinstance(note, str) else "")
    table["n_gaps"] = [len(notes[i]) for i in range(len(table))]
    table["gap_notes"] = [tuple(n for n in notes[i] if n) for i in range(len(table))]
    columns = [
        "area_code",
        "area_name",
        "minutes",
        "share_within",
        "covered",
        "imd_score",
        "imd_decile",
        "n_gaps",
        "gap_notes",
        "geometry",
    ]
    return gpd.GeoDataFrame(table[columns], geometry="geometry", crs=STORAGE_CRS)


def gap_areas(
    result: Coverage,
    areas: gpd.GeoDataFrame,
    gaps: pd.DataFrame,
    *,
    category: str,
    taxonomy: Taxonomy | None = None,
) -> gpd.GeoDataFrame:
    """Return the areas beyond the limit for a category, with the gap records reported there.

    Parameters
    ----------
    result
        Coverage from :func:`assetmap.reach.coverage.coverage`.
    areas
        The same area table the coverage was measured on.
    gaps
        Gap records (:func:`reported_gaps`; may be empty).
    category
        The category code.
    taxonomy
        Maps the category to its needs; the project's taxonomy by default.

    Returns
    -------
    geopandas.GeoDataFrame
        The rows of :func:`area_minutes` not covered, most deprived first
        (by IMD score, then minutes), without ``covered``.
    """
    table = area_minutes(result, areas, category=category, gaps=gaps, taxonomy=taxonomy)
    beyond = table[~table["covered"]].drop(columns="covered")
    beyond = beyond.sort_values(
        ["imd_score", "minutes"], ascending=[False, False], na_position="last", kind="stable"
    ).reset_index(drop=True)
    return gpd.GeoDataFrame(beyond, geometry="geometry", crs=STORAGE_CRS)


def _relevant_gaps(gaps: pd.DataFrame, category: str, needs: set[str]) -> pd.DataFrame:
    if gaps.empty:
        return gaps
    keep = np.ones(len(gaps), dtype=bool)
    if "status" in gaps.columns:
        keep &= (gaps["status"].fillna("open") == "open").to_numpy()
    cats = gaps["category"] if "category" in gaps.columns else pd.Series([None] * len(gaps))
    wanted = gaps["need"] if "need" in gaps.columns else pd.Series([None] * len(gaps))
    match = [
        cat == category or (not isinstance(cat, str) and need in needs)
        for cat, need in zip(cats.tolist(), wanted.tolist(), strict=True)
    ]
    chosen: pd.DataFrame = gaps.loc[keep & np.asarray(match, dtype=bool)]
    return chosen


# --- Maximal covering -------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class MaxCover:
    """A solution of the maximal covering problem.

    Attributes
    ----------
    chosen
        Positions of the chosen candidates, in the order picked (greedy) or
        ascending (MILP).
    covered
        Weight of the demand the chosen sites cover.
    bound
        An upper bound on the optimum (the MILP's proven bound, or the LP
        relaxation for greedy).
    method
        ``"milp"`` or ``"greedy"``: which answer this is.
    optimal
        True when ``covered`` is proven optimal.
    seconds
        Solver time.
    """

    chosen: IntArray
    covered: float
    bound: float
    method: str
    optimal: bool
    seconds: float

    @property
    def gap(self) -> float:
        """Relative gap to the bound, ``(bound - covered) / bound`` (0 when the bound is 0)."""
        return 0.0 if self.bound <= 0 else max(0.0, (self.bound - self.covered) / self.bound)


def _check_count(count: int) -> int:
    if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < 1:
        msg = f"`count` must be an integer >= 1, got {count!r}."
        raise ValueError(msg)
    return int(count)


def solve_max_cover(
    cover: npt.ArrayLike | sp.sparray,
    weight: npt.ArrayLike,
    *,
    count: int,
    method: Method = "auto",
    max_milp_nonzeros: int = 2_000_000,
    time_limit_s: float = 20.0,
) -> MaxCover:
    """Choose ``count`` candidates covering the largest total demand weight.

    Parameters
    ----------
    cover
        Boolean ``(n_demand, n_candidates)`` matrix (dense or scipy sparse):
        candidate ``j`` covers demand point ``i``.
    weight
        Weight of each demand point (>= 0).
    count
        How many candidates to choose (capped at the number of candidates).
    method
        ``"milp"``, ``"greedy"`` or ``"auto"`` (see the module docstring).
    max_milp_nonzeros
        ``"auto"`` uses greedy above this many coverage pairs.
    time_limit_s
        HiGHS time limit; past it, ``"auto"`` falls back to greedy when greedy
        is better than HiGHS's best, and ``"milp"`` returns HiGHS's best
        (``optimal`` False).

    Returns
    -------
    MaxCover

    Raises
    ------
    ValueError
        If the shapes disagree, a weight is negative or ``count`` < 1.
    """
    p = _check_count(count)
    matrix = sp.csc_array(cover, dtype=np.float64)
    w = np.asarray(weight, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != len(w):
        msg = f"`cover` must have one row per weight; got {matrix.shape} and {len(w)} weights."
        raise ValueError(msg)
    if len(w) and (not np.all(np.isfinite(w)) or w.min() < 0):
        msg = "Demand weights must be finite and >= 0."
        raise ValueError(msg)
    matrix.data[:] = 1.0
    matrix.eliminate_zeros()
    n_candidates = matrix.shape[1]
    p = min(p, n_candidates)
    if p == 0:
        return MaxCover(np.zeros(0, dtype=np.int64), 0.0, 0.0, "greedy", True, 0.0)
    if method not in ("auto", "milp", "greedy"):
        msg = f"`method` must be 'auto', 'milp' or 'greedy', got {method!r}."
        raise ValueError(msg)
    use_milp = method == "milp" or (method == "auto" and matrix.nnz <= max_milp_nonzeros)
    if not use_milp:
        return _greedy(matrix, w, p, bound=_lp_bound(matrix, w, p, time_limit_s))
    exact = _milp(matrix, w, p, time_limit_s)
    if exact.optimal or method == "milp":
        return exact
    fallback = _greedy(matrix, w, p, bound=exact.bound)
    return fallback if fallback.covered > exact.covered else exact


def _model(
    matrix: sp.csc_array, w: FloatArray, p: int
) -> tuple[FloatArray, list[LinearConstraint], Bounds]:
    """Variables ``[x_1..x_m, y_1..y_n]``; minimise ``-w . y``."""
    n, m = matrix.shape
    c = np.concatenate([np.zeros(m), -w])
    # y_i - sum_j a_ij x_j <= 0
    link = sp.hstack([-matrix, sp.eye_array(n, format="csc")], format="csr")
    pick = sp.csr_array(np.concatenate([np.ones(m), np.zeros(n)])[None, :])
    constraints = [
        LinearConstraint(link, -np.inf, 0.0),
        LinearConstraint(pick, p, p),
    ]
    return c, constraints, Bounds(np.zeros(m + n), np.ones(m + n))


def _milp(matrix: sp.csc_array, w: FloatArray, p: int, time_limit_s: float) -> MaxCover:
    n, m = matrix.shape
    c, constraints, bounds = _model(matrix, w, p)
    integrality = np.concatenate([np.ones(m), np.zeros(n)])
    start = time.perf_counter()
    result = milp(
        c,
        integrality=integrality,
        bounds=bounds,
        constraints=constraints,
        options={"time_limit": time_limit_s},
    )
    seconds = time.perf_counter() - start
    if result.x is None:
        logger.warning("MILP found no solution (%s); using greedy", result.message)
        return _greedy(matrix, w, p, bound=float(w.sum()))
    x = np.round(result.x[:m]).astype(bool)
    chosen = np.flatnonzero(x).astype(np.int64)
    covered = _covered_weight(matrix, w, chosen)
    dual = getattr(result, "mip_dual_bound", None)
    bound = covered if result.status == 0 else float(-dual) if dual is not None else float(w.sum())
    return MaxCover(chosen, covered, max(bound, covered), "milp", result.status == 0, seconds)


def _lp_bound(matrix: sp.csc_array, w: FloatArray, p: int, time_limit_s: float) -> float:
    c, constraints, bounds = _model(matrix, w, p)
    result = milp(c, bounds=bounds, constraints=constraints, options={"time_limit": time_limit_s})
    return float(-result.fun) if result.fun is not None else float(w.sum())


def _covered_weight(matrix: sp.csc_array, w: FloatArray, chosen: IntArray) -> float:
    if len(chosen) == 0:
        return 0.0
    hit = np.asarray(matrix[:, chosen].sum(axis=1)).ravel() > 0
    return float(w[hit].sum())


def _greedy(matrix: sp.csc_array, w: FloatArray, p: int, *, bound: float) -> MaxCover:
    start = time.perf_counter()
    left = w.copy()
    chosen: list[int] = []
    indptr, indices = matrix.indptr, matrix.indices
    gains = np.asarray(matrix.T @ left).ravel()
    for _ in range(p):
        gains[chosen] = -1.0
        best = int(np.argmax(gains))
        chosen.append(best)
        rows = indices[indptr[best] : indptr[best + 1]]
        newly = rows[left[rows] > 0]
        if len(newly):
            # Only candidates sharing the newly covered rows lose gain.
            delta = sp.csr_array(
                (left[newly], (np.zeros(len(newly), dtype=np.int64), newly)), shape=(1, len(w))
            )
            gains -= np.asarray((delta @ matrix).todense()).ravel()
            left[newly] = 0.0
    picked = np.asarray(chosen, dtype=np.int64)
    covered = _covered_weight(matrix, w, picked)
    seconds = time.perf_counter() - start
    return MaxCover(picked, covered, max(bound, covered), "greedy", covered >= bound, seconds)


# --- Sites on the map -------------------------------------------------------------------


def candidate_sites(
    graph: WalkGraph,
    assets: gpd.GeoDataFrame,
    *,
    venues: tuple[str, ...] = VENUE_CATEGORIES,
    cell_m: float | None = None,
) -> gpd.GeoDataFrame:
    """Places a new service could open: community venues in the register, or grid cells.

    Parameters
    ----------
    graph
        The walk graph.
    assets
        The register (venues are active assets of the ``venues`` categories).
    venues
        Categories of assets that can host a service.
    cell_m
        When given, use instead one candidate per square cell of this size:
        the network node nearest the cell's centre (in pieces of the network
        points may snap to).

    Returns
    -------
    geopandas.GeoDataFrame
        ``site_id``, ``name``, ``kind`` (``venue`` or ``cell``) and Point
        geometry in EPSG:4326.
    """
    if cell_m is not None:
        if not (np.isfinite(cell_m) and cell_m > 0):
            msg = f"`cell_m` must be a positive number, got {cell_m!r}."
            raise ValueError(msg)
        x, y = graph.x[graph.snap_nodes], graph.y[graph.snap_nodes]
        col = np.floor(x / cell_m).astype(np.int64)
        row = np.floor(y / cell_m).astype(np.int64)
        cells = np.unique(np.column_stack([col, row]), axis=0)
        centres = (cells + 0.5) * cell_m
        _, position = graph.tree.query(centres)
        nodes = np.unique(graph.snap_nodes[np.asarray(position, dtype=np.int64)])
        lon, lat = graph.network.lon[nodes], graph.network.lat[nodes]
        cell_ids = [f"node:{int(n)}" for n in graph.network.node_ids[nodes].tolist()]
        return gpd.GeoDataFrame(
            {"site_id": cell_ids, "name": cell_ids, "kind": ["cell"] * len(cell_ids)},
            geometry=gpd.points_from_xy(lon, lat),
            crs=STORAGE_CRS,
        )
    pairs = asset_categories(assets)
    positions = np.unique(pairs.loc[pairs["category"].isin(venues), "position"].to_numpy())
    chosen = assets.iloc[positions]
    names: list[object] = (
        chosen["name"].tolist() if "name" in chosen.columns else [""] * len(chosen)
    )
    ids: list[object] = (
        chosen["id"].tolist() if "id" in chosen.columns else list(range(len(chosen)))
    )
    return gpd.GeoDataFrame(
        {
            "site_id": [str(v) for v in ids],
            "name": [v if isinstance(v, str) else "" for v in names],
            "kind": ["venue"] * len(chosen),
        },
        geometry=gpd.points_from_xy(chosen.geometry.x, chosen.geometry.y),
        crs=STORAGE_CRS,
    )


def _rank_by_gain(
    cover: sp.csc_array, w: FloatArray, chosen: IntArray
) -> tuple[IntArray, list[float]]:
    """Order the chosen sites by what each adds to those before it (largest first)."""
    left = w.copy()
    remaining = chosen.tolist()
    order: list[int] = []
    gains: list[float] = []
    while remaining:
        adds = [
            float(left[cover.indices[cover.indptr[j] : cover.indptr[j + 1]]].sum())
            for j in remaining
        ]
        best = remaining.pop(int(np.argmax(adds)))
        order.append(best)
        gains.append(max(adds))
        left[cover.indices[cover.indptr[best] : cover.indptr[best + 1]]] = 0.0
    return np.asarray(order, dtype=np.int64), gains


@dataclass(frozen=True, eq=False)
class SiteSuggestion:
    """Suggested sites for a new service of a category.

    Attributes
    ----------
    sites
        The chosen candidates (rows of the candidate table) with ``rank``
        and ``new_demand`` (weight each newly covers, counted in rank order).
    covered_before, covered_after
        Weight of demand within the limit before and after the new sites.
    total
        Total demand weight.
    solution
        The solver's answer (method, bound, gap, time).
    n_candidates
        How many candidates were considered.
    """

    sites: gpd.GeoDataFrame
    covered_before: float
    covered_after: float
    total: float
    solution: MaxCover
    n_candidates: int

    @property
    def method(self) -> str:
        """``"milp"`` or ``"greedy"``."""
        return self.solution.method


def demand_weights(demand: Demand, *, imd_weighted: bool) -> npt.NDArray[np.float64] | None:
    """Return the demand weights for :func:`suggest_sites`: IMD scores, or ``None`` (1 each).

    The one rule the CLI (``--imd-weighted``) and the dashboard share.

    Raises
    ------
    QueryError
        If IMD weighting is asked for and no area has an IMD score.
    """
    return imd_weights(demand) if imd_weighted else None


def imd_weights(demand: Demand) -> npt.NDArray[np.float64]:
    """Return each demand point's weight for IMD-weighted siting: its area's IMD score.

    Raises
    ------
    QueryError
        If no area has an IMD score (none loaded, or a grid): weighing every
        place zero would silently suggest nothing.
    """
    scores = demand.areas["imd_score"].to_numpy(dtype=np.float64)
    if not np.isfinite(scores).any():
        msg = (
            "IMD weighting needs deprivation scores, and none of the areas has one: load them "
            "with `assetmap areas WORKSPACE --boundaries FILE --imd FILE`, "
            "or leave out IMD weighting."
        )
        raise QueryError(msg)
    return np.asarray(scores[demand.area], dtype=np.float64)


MinutesMatrix = Callable[[FloatArray, FloatArray, FloatArray, FloatArray, float], FloatArray]
"""Minutes from origins to targets by some travel mode (``inf`` beyond the limit)."""


def suggest_sites(
    graph: WalkGraph,
    assets: gpd.GeoDataFrame,
    demand: Demand,
    candidates: gpd.GeoDataFrame,
    *,
    category: str,
    count: int,
    minutes: float,
    weight: npt.ArrayLike | None = None,
    method: Method = "auto",
    time_limit_s: float = 20.0,
    minutes_matrix: MinutesMatrix | None = None,
) -> SiteSuggestion:
    """Suggest ``count`` sites for a new service that bring the most demand within reach.

    Existing active assets of ``category`` stay; demand they already cover
    is left out, so the sites are judged only on what they newly cover.

    Parameters
    ----------
    graph
        The walk graph.
    assets
        The register.
    demand
        Demand points (:func:`assetmap.reach.coverage.demand_points`); only
        postcodes are used when there are any.
    candidates
        From :func:`candidate_sites` (any table with ``site_id`` and Points).
    category
        The category of the new service.
    count
        How many sites to suggest.
    minutes
        The walking limit.
    weight
        Weight per demand point (same order as ``demand``), e.g. the IMD
        score of its area; 1 each by default.
    method
        ``"auto"``, ``"milp"`` or ``"greedy"`` (see the module docstring).
    time_limit_s
        HiGHS time limit in seconds.
    minutes_matrix
        Another travel mode: ``(origin lon, origin lat, target lon, target
        lat, max_minutes)`` to an ``(n_origins, n_targets)`` array of minutes
        (``inf`` beyond the limit), e.g. walk + public transport over a
        departure window. Walking on ``graph`` when omitted.

    Returns
    -------
    SiteSuggestion

    Raises
    ------
    TaxonomyError
        If ``category`` is not a category code.
    QueryError
        If there are no candidate sites (a ``ValueError`` too).
    ValueError
        If ``count`` < 1 or the weights do not fit.
    """
    p = _check_count(count)
    load_taxonomy().category(category)  # an unknown code is an error, not an empty answer
    if len(candidates) == 0:
        msg = (
            "No candidate sites: the register has no community venues to suggest; add some, "
            "or use grid cells (--candidates grid)."
        )
        raise QueryError(msg)
    use = demand.is_postcode if demand.is_postcode.any() else np.ones(len(demand.lon), dtype=bool)
    w_all = np.ones(len(demand.lon)) if weight is None else np.asarray(weight, dtype=np.float64)
    if len(w_all) != len(demand.lon):
        msg = f"`weight` has {len(w_all)} values for {len(demand.lon)} demand points."
        raise ValueError(msg)
    w_all = np.where(np.isfinite(w_all), w_all, 0.0)
    rows = np.flatnonzero(use)
    w = w_all[rows]
    pairs = asset_categories(assets)
    existing = pairs[pairs["category"] == category]
    lon_c = candidates.geometry.x.to_numpy()
    lat_c = candidates.geometry.y.to_numpy()
    snap_points(graph, lon_c, lat_c)  # checks the candidates' coordinates up front
    if minutes_matrix is None:
        node_seconds = nearest_times(
            graph, existing["lon"].to_numpy(), existing["lat"].to_numpy(), max_minutes=minutes
        )
        already: npt.NDArray[np.bool_] = np.isfinite(
            point_times(node_seconds, demand.snapped.take(rows), max_minutes=minutes)
        )
    elif len(existing):
        to_existing = minutes_matrix(
            demand.lon[rows], demand.lat[rows],
            existing["lon"].to_numpy(), existing["lat"].to_numpy(), minutes,
        )  # fmt: skip
        already = np.asarray(np.isfinite(to_existing).any(axis=1), dtype=bool)
    else:
        already = np.zeros(len(rows), dtype=bool)
    open_rows = rows[~already]
    if len(open_rows):
        if minutes_matrix is None:
            matrix = travel_time_matrix(
                graph, demand.lon[open_rows], demand.lat[open_rows], lon_c, lat_c,
                max_minutes=minutes,
            )  # fmt: skip
        else:
            matrix = minutes_matrix(
                demand.lon[open_rows], demand.lat[open_rows], lon_c, lat_c, minutes
            )
        cover = sp.csc_array(np.isfinite(matrix) & (matrix <= minutes))
    else:
        cover = sp.csc_array((0, len(candidates)), dtype=bool)
    solution = solve_max_cover(
        cover, w[~already], count=p, method=method, time_limit_s=time_limit_s
    )
    order, new_demand = _rank_by_gain(cover, w[~already], solution.chosen)
    sites = candidates.iloc[order].reset_index(drop=True)
    sites = sites.assign(rank=np.arange(1, len(order) + 1), new_demand=new_demand)
    before = float(w[already].sum())
    return SiteSuggestion(
        sites=sites,
        covered_before=before,
        covered_after=before + solution.covered,
        total=float(w.sum()),
        solution=solution,
        n_candidates=len(candidates),
    )
