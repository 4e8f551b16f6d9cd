"""Small areas for coverage: LSOA (or any) boundaries with an IMD overlay, or a square grid.

A workspace may hold one area table, ``areas.parquet`` (GeoParquet), made by
:func:`read_areas` from a boundary file the user points to (e.g. the 2011
LSOAs of a local authority) and, optionally, the English Indices of
Deprivation 2019 by LSOA (mySociety's ``UK_IMD_E.csv`` or any CSV with an
LSOA code and an IMD score or decile). Where none is loaded, coverage runs
over a square grid laid over the walking network (:func:`grid_areas`).

Columns of an area table: ``area_code``, ``area_name``, ``imd_score``
(higher is more deprived; ``NaN`` when unknown), ``imd_decile`` (1 = most
deprived 10 %; ``<NA>`` when unknown) and ``geometry`` (Polygon or
MultiPolygon, EPSG:4326).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from assetmap.atomic import atomic_path
from assetmap.errors import IngestError
from assetmap.reach.network import WalkGraph
from assetmap.schema import STORAGE_CRS

__all__ = [
    "AREAS_FILENAME",
    "AREA_COLUMNS",
    "area_noun",
    "area_of_points",
    "grid_areas",
    "load_areas",
    "read_areas",
    "read_boundary_frame",
    "save_areas",
]

logger = logging.getLogger(__name__)

AREAS_FILENAME: Final = "areas.parquet"
AREA_COLUMNS: Final = ("area_code", "area_name", "imd_score", "imd_decile", "geometry")

_CODE_COLUMNS: Final = ("LSOA11CD", "LSOA21CD", "lsoa", "lsoa_code", "MSOA11CD", "WD13CD", "code")
# What the areas of a code column are called (plural); anything else is plain "areas".
_KIND_OF_COLUMN: Final = {
    "lsoa11cd": "LSOAs",
    "lsoa21cd": "LSOAs",
    "lsoa": "LSOAs",
    "lsoa_code": "LSOAs",
    "msoa11cd": "MSOAs",
    "wd13cd": "wards",
}
_NAME_COLUMNS: Final = ("LSOA11NM", "LSOA21NM", "MSOA11NM", "WD13NM", "name")
_IMD_CODE_COLUMNS: Final = ("lsoa", "lsoa11cd", "lsoa_code", "lsoa code (2011)", "lsoa11")
_IMD_SCORE_COLUMNS: Final = (
    "overall_local_score",
    "imd_score",
    "index of multiple deprivation (imd) score",
)
_IMD_DECILE_COLUMNS: Final = (
    "original_decile",
    "imd_decile",
    "index of multiple deprivation (imd) decile (where 1 is most deprived 10% of lsoas)",
)


def _pick(columns: list[str], candidates: tuple[str, ...]) -> str | None:
    lowered = {c.lower(): c for c in columns}
    for name in candidates:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def read_areas(
    boundaries: str | Path,
    *,
    imd: str | Path | None = None,
    code_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Read area boundaries (GeoJSON, GeoPackage, shapefile...) and join IMD 2019 to them.

    Parameters
    ----------
    boundaries
        A file readable by :func:`geopandas.read_file` with polygons and a
        code column (``LSOA11CD`` and friends are found by name).
    imd
        Optional CSV with an LSOA code column (``lsoa``/``LSOA11CD``...) and
        an IMD score and/or decile column (mySociety ``UK_IMD_E.csv`` or the
        official IoD2019 File 7).
    code_column
        The boundary file's code column when it is not found by name.

    Returns
    -------
    geopandas.GeoDataFrame
        The area table (see the module docstring), sorted by ``area_code``.

    Raises
    ------
    IngestError
        If a file is missing or unreadable, no code column is found, codes
        repeat, or a geometry is not a polygon (the row is named).
    """
    path = Path(boundaries)
    raw = read_boundary_frame(path)
    columns = [c for c in raw.columns if c != raw.geometry.name]
    code = code_column if code_column is not None else _pick(columns, _CODE_COLUMNS)
    if code is None or code not in raw.columns:
        msg = (
            f"{path.name}: no area code column (looked for {', '.join(_CODE_COLUMNS)}); "
            f"columns are {', '.join(columns)}. Name it with --code-column."
        )
        raise IngestError(msg)
    if raw.crs is None:
        msg = f"{path.name} has no CRS; expected lon/lat (EPSG:4326) or a projected CRS."
        raise IngestError(msg)
    raw = raw.to_crs(STORAGE_CRS)
    kinds = raw.geometry.geom_type
    bad = ~kinds.isin(("Polygon", "MultiPolygon")) | raw.geometry.is_empty
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        msg = f"{path.name}: feature {row} ({raw[code].iloc[row]!r}) is not a polygon."
        raise IngestError(msg)
    codes = raw[code].astype(str).str.strip()
    repeated = codes[codes.duplicated()]
    if len(repeated):
        msg = f"{path.name}: area code {repeated.iloc[0]!r} appears more than once."
        raise IngestError(msg)
    name = _pick(columns, _NAME_COLUMNS)
    names = raw[name].astype(str) if name is not None else codes
    areas = gpd.GeoDataFrame(
        {
            "area_code": codes.to_numpy(dtype=object),
            "area_name": names.to_numpy(dtype=object),
            "imd_score": np.full(len(raw), np.nan),
            "imd_decile": pd.array([pd.NA] * len(raw), dtype="Int64"),
        },
        geometry=shapely.make_valid(raw.geometry.to_numpy()),
        crs=STORAGE_CRS,
    )
    if imd is not None:
        areas = _join_imd(areas, Path(imd))
    out = areas.sort_values("area_code", kind="stable").reset_index(drop=True)
    out.attrs["kind"] = _KIND_OF_COLUMN.get(str(code).lower(), "areas")
    return out


def read_boundary_frame(path: Path) -> gpd.GeoDataFrame:
    """Read a boundary file with :func:`geopandas.read_file`; errors are one IngestError line."""
    if not path.is_file():
        msg = f"No boundary file at {path}."
        raise IngestError(msg)
    try:
        return gpd.read_file(path)
    except (OSError, ValueError, RuntimeError) as exc:  # pyogrio: DataSourceError (RuntimeError)
        msg = f"Cannot read the boundary file {path.name}: {exc}"
        raise IngestError(msg) from exc


def _join_imd(areas: gpd.GeoDataFrame, path: Path) -> gpd.GeoDataFrame:
    if not path.is_file():
        msg = f"No IMD file at {path}."
        raise IngestError(msg)
    try:
        table = pd.read_csv(path, dtype=str)
    except (OSError, ValueError, UnicodeError) as exc:
        msg = f"Cannot read the IMD file {path.name}: {exc}"
        raise IngestError(msg) from exc
    columns = list(table.columns)
    code = _pick(columns, _IMD_CODE_COLUMNS)
    score = _pick(columns, _IMD_SCORE_COLUMNS)
    decile = _pick(columns, _IMD_DECILE_COLUMNS)
    if code is None or (score is None and decile is None):
        msg = (
            f"{path.name}: needs an LSOA code column and an IMD score or decile column; "
            f"columns are {', '.join(columns[:12])}."
        )
        raise IngestError(msg)
    table = table.drop_duplicates(code).set_index(code)
    found = areas["area_code"].isin(table.index)
    if not found.any():
        msg = f"{path.name}: none of the {len(areas)} area codes is in the IMD table."
        raise IngestError(msg)
    if not found.all():
        logger.warning("IMD: %d of %d areas have no IMD row", int((~found).sum()), len(areas))
    matched = table.reindex(areas["area_code"])
    out = areas.copy()
    if score is not None:
        out["imd_score"] = pd.to_numeric(matched[score], errors="coerce").to_numpy()
    if decile is not None:
        out["imd_decile"] = pd.array(
            pd.to_numeric(matched[decile], errors="coerce").round().to_numpy(), dtype="Int64"
        )
    return out


def save_areas(areas: gpd.GeoDataFrame, path: str | Path) -> Path:
    """Write an area table as GeoParquet, atomically (a temporary file, then a rename).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    target = Path(path)
    with atomic_path(target) as tmp:
        areas[list(AREA_COLUMNS)].to_parquet(tmp, index=False)
    return target


def load_areas(path: str | Path) -> gpd.GeoDataFrame:
    """Read an area table written by :func:`save_areas`.

    Raises
    ------
    IngestError
        If the file is missing, unreadable or lacks a column.
    """
    source = Path(path)
    try:
        areas = gpd.read_parquet(source)
    except (OSError, ValueError) as exc:
        msg = f"Cannot read the area table {source}: {exc}"
        raise IngestError(msg) from exc
    missing = set(AREA_COLUMNS) - set(areas.columns)
    if missing:
        msg = f"The area table {source} lacks column(s) {', '.join(sorted(missing))}."
        raise IngestError(msg)
    return areas


def grid_areas(graph: WalkGraph, *, cell_m: float = 1000.0) -> gpd.GeoDataFrame:
    """Square cells of ``cell_m`` metres (in the graph's metric CRS) holding network nodes.

    Only cells with at least one node are kept; codes are ``"grid:<col>_<row>"``.

    Parameters
    ----------
    graph
        The walk graph.
    cell_m
        Side of a cell in metres.

    Returns
    -------
    geopandas.GeoDataFrame
        An area table without IMD values.
    """
    if not (np.isfinite(cell_m) and cell_m > 0):
        msg = f"`cell_m` must be a positive number, got {cell_m!r}."
        raise ValueError(msg)
    x0 = float(np.floor(graph.x.min() / cell_m) * cell_m)
    y0 = float(np.floor(graph.y.min() / cell_m) * cell_m)
    col = ((graph.x - x0) // cell_m).astype(np.int64)
    row = ((graph.y - y0) // cell_m).astype(np.int64)
    cells = np.unique(np.column_stack([col, row]), axis=0)
    boxes = shapely.box(
        x0 + cells[:, 0] * cell_m,
        y0 + cells[:, 1] * cell_m,
        x0 + (cells[:, 0] + 1) * cell_m,
        y0 + (cells[:, 1] + 1) * cell_m,
    )
    codes = [f"grid:{c}_{r}" for c, r in cells.tolist()]
    metric = gpd.GeoSeries(boxes, crs=graph.crs)
    return gpd.GeoDataFrame(
        {
            "area_code": pd.Series(codes, dtype=object),
            "area_name": pd.Series(codes, dtype=object),
            "imd_score": np.full(len(cells), np.nan),
            "imd_decile": pd.array([pd.NA] * len(cells), dtype="Int64"),
        },
        geometry=metric.to_crs(STORAGE_CRS).to_numpy(),
        crs=STORAGE_CRS,
    )


def area_of_points(
    areas: gpd.GeoDataFrame, lon: npt.ArrayLike, lat: npt.ArrayLike
) -> npt.NDArray[np.int64]:
    """Return, for each point, the position of the area containing it (``-1`` if none).

    A point on a shared border goes to the first area (by position) that
    covers it; a point within about 0.1 m (``1e-6`` degrees) of an area but
    in none (a rounding sliver between two areas) goes to the nearest one.
    """
    x = np.asarray(lon, dtype=np.float64)
    y = np.asarray(lat, dtype=np.float64)
    out = np.full(len(x), -1, dtype=np.int64)
    if len(x) == 0 or len(areas) == 0:
        return out
    tree = shapely.STRtree(areas.geometry.to_numpy())
    point_idx, area_idx = tree.query(shapely.points(x, y), predicate="intersects")
    order = np.lexsort((area_idx, point_idx))
    point_idx, area_idx = point_idx[order], area_idx[order]
    first = np.ones(len(point_idx), dtype=bool)
    first[1:] = point_idx[1:] != point_idx[:-1]
    out[point_idx[first]] = area_idx[first]
    lost = np.flatnonzero(out < 0)
    if len(lost):
        near_point, near_area = tree.query_nearest(
            shapely.points(x[lost], y[lost]), max_distance=1e-6, all_matches=False
        )
        out[lost[near_point]] = near_area
    return out


def area_noun(settings: dict[str, object], kind: str) -> str:
    """Return what a workspace's coverage areas are called (plural), for messages.

    Parameters
    ----------
    settings
        The workspace settings (``areas_kind`` is set when areas are loaded).
    kind
        ``"lsoa"`` (stored areas) or ``"grid"``, as :func:`workspace_areas` returns.

    Examples
    --------
    >>> area_noun({"areas_kind": "LSOAs"}, "lsoa"), area_noun({"areas_kind": "areas"}, "lsoa")
    ('LSOAs', 'areas')
    >>> area_noun({}, "grid"), area_noun({}, "lsoa")
    ('grid cells', 'LSOAs')
    """
    if kind == "grid":
        return "grid cells"
    return str(settings.get("areas_kind") or "LSOAs")
