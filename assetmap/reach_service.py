"""Reach as a service: load a workspace's areas, postcodes and gaps, then ask the kernels.

The modules of :mod:`assetmap.reach` work on arrays and frames they are given
and never open a workspace, the store or check a role
(``tests/reach/test_import_rule.py`` keeps it so). This module is the layer
above them: it reads what a workspace holds (its area table, postcode table
and reported gaps), checks the caller's role where a person asks, and passes
frames in. It also records a gap a person reports (:func:`record_gap`), beside
:func:`reported_gaps` which reads them back. Pages, the command line and cached loaders call it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Final

import geopandas as gpd
import pandas as pd

from assetmap.access import Operation, Principal, require
from assetmap.disclosure import SMALL_COUNT_THRESHOLD, suppress_small_counts
from assetmap.errors import IngestError
from assetmap.idempotency import add_record_once
from assetmap.ingest.postcodes import load_postcodes
from assetmap.reach.areas import AREAS_FILENAME, grid_areas, load_areas, read_areas, save_areas
from assetmap.reach.coverage import Demand, demand_points
from assetmap.reach.network import WalkGraph
from assetmap.records import GAP_ENTITY, normalise_gap, open_session_record
from assetmap.store import Store
from assetmap.taxonomy import Taxonomy

if TYPE_CHECKING:
    from assetmap.workspace import Workspace

__all__ = [
    "AREA_CHOICES",
    "areas_beyond",
    "gap_areas_export",
    "load_areas_into_workspace",
    "record_gap",
    "reported_gaps",
    "workspace_areas",
    "workspace_areas_path",
    "workspace_demand",
]


def workspace_areas_path(workspace: Workspace) -> Path:
    """Return where a workspace keeps its area table."""
    return workspace.path / AREAS_FILENAME


def load_areas_into_workspace(
    workspace: Workspace,
    boundaries: str | Path,
    *,
    imd: str | Path | None = None,
    code_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Read boundaries (and IMD), then store them in the workspace (``areas.parquet``).

    The file is replaced atomically and the settings record where it came from.

    Returns
    -------
    geopandas.GeoDataFrame
        The area table stored.

    Raises
    ------
    IngestError
        As :func:`read_areas`.
    """
    areas = read_areas(boundaries, imd=imd, code_column=code_column)
    save_areas(areas, workspace_areas_path(workspace))
    workspace.update_settings(
        areas_file=str(boundaries),
        areas_imd_file=None if imd is None else str(imd),
        areas_count=len(areas),
        areas_kind=areas.attrs.get("kind", "areas"),
    )
    return areas


#: How demand areas are chosen: stored areas when loaded (``auto``), stored areas, or a grid.
AREA_CHOICES: Final = ("auto", "lsoa", "grid")


def workspace_areas(
    workspace: Workspace, graph: WalkGraph, *, by: str = "auto", cell_m: float = 1000.0
) -> tuple[str, gpd.GeoDataFrame]:
    """Return ``(kind, areas)``: the workspace's stored areas, or a square grid.

    Parameters
    ----------
    workspace
        The workspace.
    graph
        Its walk graph (for the grid).
    by
        ``"lsoa"`` (the stored area table; an error when none is loaded),
        ``"grid"``, or ``"auto"`` (stored areas when loaded, else the grid).
    cell_m
        Grid cell size in metres.

    Raises
    ------
    IngestError
        ``by="lsoa"`` without a stored table, or an unreadable table.
    """
    if by not in AREA_CHOICES:
        msg = f"`by` must be 'auto', 'lsoa' or 'grid', got {by!r}."
        raise ValueError(msg)
    path = workspace_areas_path(workspace)
    if by == "lsoa" and not path.is_file():
        msg = (
            f"No areas are loaded in {workspace.path}; load LSOA boundaries with "
            f"`assetmap areas {workspace.path} --boundaries FILE [--imd FILE]` or use --by grid."
        )
        raise IngestError(msg)
    if by != "grid" and path.is_file():
        return "lsoa", load_areas(path)
    return "grid", grid_areas(graph, cell_m=cell_m)


def workspace_demand(
    workspace: Workspace, graph: WalkGraph, *, by: str = "auto", cell_m: float = 1000.0
) -> tuple[str, Demand]:
    """Return ``(kind, demand)`` for a workspace: its areas (or a grid) and its postcodes.

    Parameters
    ----------
    workspace
        The workspace (its ``areas.parquet`` and ``postcodes.parquet`` when loaded).
    graph
        Its walk graph.
    by
        ``"auto"``, ``"lsoa"`` or ``"grid"`` (see :func:`assetmap.reach.areas.workspace_areas`).
    cell_m
        Grid cell size in metres.

    Raises
    ------
    IngestError
        ``by="lsoa"`` without stored areas, or an unreadable table.
    """
    kind, areas = workspace_areas(workspace, graph, by=by, cell_m=cell_m)
    postcodes = (
        load_postcodes(workspace.postcodes_path) if workspace.postcodes_path.is_file() else None
    )
    return kind, demand_points(graph, areas, postcodes=postcodes)


def reported_gaps(store: Store, *, principal: Principal) -> pd.DataFrame:
    """Return the open gap records, without who reported them.

    Parameters
    ----------
    store
        The register.
    principal
        The caller; needs :attr:`Operation.VIEW_DASHBOARD`.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``need``, ``category``, ``area``, ``lon``, ``lat``, ``note``,
        ``valid_from`` (absent fields are ``None``).

    Raises
    ------
    AccessDeniedError
        If the caller may not view the dashboard.
    """
    require(principal, Operation.VIEW_DASHBOARD)
    columns = ["id", "need", "category", "area", "lon", "lat", "note", "valid_from"]
    records = store.records(GAP_ENTITY)
    if records.empty:
        return pd.DataFrame(columns=columns)
    if "status" in records.columns:
        records = records[records["status"].fillna("open") == "open"]
    return records.reindex(columns=columns).reset_index(drop=True)


def areas_beyond(
    table: pd.DataFrame, *, search_minutes: float, has_service: bool = True
) -> pd.DataFrame:
    """Return the areas beyond reach with their gaps, as leads may see them.

    Counts of reported gaps below :data:`~assetmap.disclosure.SMALL_COUNT_THRESHOLD`
    are shown as ``"<5"`` and the words people wrote about them are left out:
    a gap can come from one person's search for support.

    Parameters
    ----------
    table
        :func:`assetmap.reach.sites.area_minutes` output (``covered``,
        ``area_name``, ``minutes``, ``imd_decile``, ``n_gaps``, ``gap_notes``).
    search_minutes
        How far the search looked: longer walks show as ``"over N"``.
    has_service
        False when the register has no service of the category at all: every
        area then says "no service found".

    Returns
    -------
    pandas.DataFrame
        ``area``, ``minutes`` (text), ``imd_decile``, ``n_gaps`` (text) and
        ``notes`` (joined with ``"; "``, empty below the threshold).

    Examples
    --------
    >>> table = pd.DataFrame({"covered": [False, False, True], "area_name": ["A", "B", "C"],
    ...     "minutes": [22.4, float("inf"), 3.0], "imd_decile": [2, 5, 9],
    ...     "n_gaps": [2, 6, 0], "gap_notes": [("no bus",), ("far",) * 6, ()]})
    >>> areas_beyond(table, search_minutes=30).to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'area': ['A', 'B'], 'minutes': ['22', 'over 30'], 'imd_decile': [2, 5],
     'n_gaps': ['<5', '6'], 'notes': ['', 'far; far; far; far; far; far']}
    >>> areas_beyond(table, search_minutes=30, has_service=False)["minutes"].tolist()
    ['22', 'no service found']
    """
    beyond_search = f"over {search_minutes:.0f}" if has_service else "no service found"
    beyond = table[~table["covered"]]
    shown = pd.DataFrame(
        {
            "area": beyond["area_name"].to_numpy(dtype=object),
            "minutes": [
                f"{m:.0f}" if math.isfinite(m) else beyond_search for m in beyond["minutes"]
            ],
            "imd_decile": beyond["imd_decile"].to_numpy(),
            "n_gaps": beyond["n_gaps"].to_numpy(),
            "notes": [
                "; ".join(notes) if n >= SMALL_COUNT_THRESHOLD else ""
                for n, notes in zip(beyond["n_gaps"], beyond["gap_notes"], strict=True)
            ],
        }
    )
    return suppress_small_counts(shown, ["n_gaps"]).astype({"n_gaps": str})


def gap_areas_export(table: pd.DataFrame) -> pd.DataFrame:
    """Return the area table for download: no geometry, no words, small gap counts hidden.

    Minutes beyond the search are left empty (never ``inf``).

    Examples
    --------
    >>> table = pd.DataFrame({"area_name": ["A", "B"], "minutes": [3.04, float("inf")],
    ...     "n_gaps": [3, 0], "gap_notes": [("x",), ()], "geometry": [None, None]})
    >>> gap_areas_export(table).to_dict("list")
    {'area_name': ['A', 'B'], 'minutes': [3.0, nan], 'n_gaps': ['<5', 0]}
    """
    out = table.drop(columns=["geometry", "gap_notes"])
    if "minutes" in out.columns:
        minutes = pd.to_numeric(out["minutes"], errors="coerce")
        out["minutes"] = minutes.where(minutes.map(math.isfinite)).round(1)
    return suppress_small_counts(out, ["n_gaps"])


def record_gap(
    store: Store,
    *,
    need: str,
    area: str,
    principal: Principal,
    lon: float | None = None,
    lat: float | None = None,
    note: str | None = None,
    taxonomy: Taxonomy | None = None,
    request_key: str | None = None,
) -> str:
    """Record an unmet need in an area (a ``gap`` record, coarse area only).

    Checks :data:`~assetmap.access.Operation.ADD_GAP`, and for someone in a
    mapping session (a participant) that the session is still open.

    Parameters
    ----------
    store
        The register.
    need
        The need code nothing met.
    area
        A postcode sector or LSOA code (never a full postcode).
    principal
        The caller (kept as ``reported_by``).
    lon, lat
        The area's centroid (rounded to about 100 m).
    note
        What was looked for, in plain words.
    taxonomy
        The default taxonomy when omitted.
    request_key
        Identifies the form submission: a repeat records nothing new
        (:mod:`assetmap.idempotency`).

    Returns
    -------
    str
        The gap's id.

    Raises
    ------
    SchemaError
        If the need is unknown or the area is missing.
    ConflictError
        If the caller's mapping session has ended.
    """
    require(principal, Operation.ADD_GAP, session_id=principal.session_id)
    if principal.session_id:
        open_session_record(store, principal.session_id)
    record = normalise_gap(
        {
            "need": need,
            "area": area,
            "lon": lon,
            "lat": lat,
            "note": note,
            "reported_by": principal.user_id,
        },
        taxonomy=taxonomy,
    )
    return add_record_once(
        store, GAP_ENTITY, record, actor=principal.user_id,
        reason="gap found while finding support", request_key=request_key,
    )  # fmt: skip
