r"""Bring outside lists into a workspace's register, and keep one record per real asset.

This module joins the parsers (:mod:`assetmap.ingest.tabular`,
:mod:`assetmap.ingest.hsds`, :mod:`assetmap.ingest.postcodes`), the matcher
(:mod:`assetmap.match.dedupe`) and the store into what a user does:

1. **Import a file.** :func:`preview_import` reads a spreadsheet (CSV, XLSX)
   or an Open Referral HSDS file, folder, zip or URL, maps its columns, places
   rows by coordinates or by postcode (the workspace's postcode table, else the
   postcodes of assets already in the register) and checks them against the
   workspace's area. Nothing is written. :func:`commit_import` then brings the
   accepted rows in as **one** versioned import, and only if the preview has no
   blocking problem or the caller chose ``skip_bad_rows``.
   :func:`import_file` does both.
2. **De-duplicate.** :func:`deduplicate` scores the register against itself,
   merges the confident groups (each merge a version that :func:`undo_merge`
   reverses), and queues the middle band as ``duplicate_review`` records.
   :func:`decide_review` records a person's answer: ``same`` merges,
   ``different`` keeps the two apart for good, ``later`` leaves it queued.

Every function takes the caller as ``principal`` and checks it first:
imports need :attr:`~assetmap.access.Operation.IMPORT_DATA`, merges and
reviews :attr:`~assetmap.access.Operation.MERGE_ASSETS`.

Re-importing a source after a merge updates the kept asset: the store moves a
merged asset's source links to the asset it was merged into.

Examples
--------
>>> from assetmap.access import Principal, Role
>>> from assetmap.workspace import create_workspace
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp()) / "ws"
>>> ws = create_workspace(folder)
>>> admin = Principal("ana", Role.ADMIN)
>>> sheet = b"Name,Latitude,Longitude\nOakham Library,52.6693,-0.7259\n"
>>> outcome = import_file(ws, sheet, filename="libraries.csv", principal=admin)
>>> outcome.imported, outcome.summary.created, outcome.preview.source
(True, 1, 'table:libraries.csv')
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from assetmap.access import Operation, Principal, require
from assetmap.errors import ConflictError, IngestError, NoAssetsError, SchemaError
from assetmap.geo import UK_BOUNDS, haversine_m
from assetmap.ingest.hsds import read_hsds
from assetmap.ingest.postcodes import (
    PostcodeIndex,
    load_postcodes,
    merge_postcodes,
    read_postcodes,
    save_postcodes,
)
from assetmap.ingest.problems import REPORT_COLUMNS, ProblemLog, errors_in
from assetmap.ingest.problems import rows_rejected as count_rejected
from assetmap.ingest.tabular import (
    FAR_FROM_POSTCODE_M,
    ColumnMapping,
    assets_from_table,
    propose_column_mapping,
    read_table,
)
from assetmap.match.dedupe import MatchConfig, find_duplicates, plan_merges
from assetmap.output.export import export_register
from assetmap.output.export_hsds import write_hsds
from assetmap.store import ImportSummary, Store
from assetmap.taxonomy import Taxonomy, load_taxonomy
from assetmap.workspace import Workspace, workspace_postcodes

__all__ = [
    "DOWNLOADS",
    "FORMATS",
    "REPORT_COLUMNS",
    "REVIEW_DECISIONS",
    "REVIEW_ENTITY",
    "TAXONOMY_ENTITY",
    "DedupeResult",
    "ImportOutcome",
    "ImportPreview",
    "MergeDone",
    "commit_import",
    "decide_review",
    "deduplicate",
    "detect_format",
    "export_bytes",
    "import_file",
    "load_postcode_file",
    "preview_columns",
    "preview_import",
    "reasons_in_words",
    "review_queue",
    "save_taxonomy",
    "undo_merge",
]

logger = logging.getLogger(__name__)

#: Progress callback: (stage, fraction done).
Progress = Callable[[str, float], None]

FORMATS: Final = ("csv", "xlsx", "hsds")
#: Entity name of the review records in the store.
REVIEW_ENTITY: Final = "duplicate_review"
#: A review's status: ``open`` (queued), or the person's answer.
REVIEW_STATUSES: Final = ("open", "same", "different", "later")
#: What a person may answer.
REVIEW_DECISIONS: Final = ("same", "different", "later")
_QUEUED: Final = frozenset({"open", "later"})
_URL_RE: Final = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_TABLE_SUFFIXES: Final = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx"}
_TABLE_SUFFIXES[".xlsm"] = "xlsx"
_HSDS_SUFFIXES: Final = frozenset({".json", ".zip"})


def _actor(principal: Principal) -> str:
    return principal.label or principal.user_id


# --------------------------------------------------------------------------- postcodes


def _known_postcodes(workspace: Workspace) -> PostcodeIndex | None:
    """Return :func:`~assetmap.workspace.workspace_postcodes`, or None when it is empty."""
    index = workspace_postcodes(workspace)
    return index if len(index) else None


def load_postcode_file(
    workspace: Workspace, path: str | Path, *, principal: Principal
) -> PostcodeIndex:
    """Load an ONS Postcode Directory or Code-Point Open CSV (or folder) into a workspace.

    Postcodes already in the workspace's table are kept; where both know a
    postcode, the new file wins. Checks :attr:`Operation.IMPORT_DATA`.

    Returns
    -------
    PostcodeIndex
        The workspace's table after loading.

    Raises
    ------
    IngestError
        If the file is not a postcode table (nothing is changed).
    """
    require(principal, Operation.IMPORT_DATA)
    incoming = read_postcodes(path)
    if workspace.postcodes_path.is_file():
        incoming = merge_postcodes(incoming, load_postcodes(workspace.postcodes_path))
    save_postcodes(incoming, workspace.postcodes_path)
    logger.info("postcode table now holds %d postcodes", len(incoming))
    return incoming


# --------------------------------------------------------------------------- import


@dataclass(frozen=True, eq=False)
class ImportPreview:
    """What an import would bring in, before anything is written.

    Attributes
    ----------
    source
        The provenance every asset gets (``table:<file>`` or ``hsds:<name>``).
    fmt
        ``csv``, ``xlsx`` or ``hsds``.
    assets
        The rows that passed every check (a validated asset table).
    report
        One line per problem, columns :data:`REPORT_COLUMNS`: ``row`` (the
        spreadsheet row number, or the HSDS record path), ``field``,
        ``problem``, ``value`` and ``severity`` (``error`` rows are not in
        ``assets``; ``warning`` rows are).
    mapping
        The column mapping used (spreadsheets only).
    category_mapping
        How each category text (or HSDS taxonomy term) was mapped.
    rows_read
        Data rows (or HSDS service records, or taxonomy records) read.
    taxonomy
        For an HSDS/Open Referral UK taxonomy or taxonomy-term file: its
        vocabularies and terms with the category each maps to
        (:data:`assetmap.ingest.hsds.TAXONOMY_COLUMNS`); ``assets`` is then empty.
    """

    source: str
    fmt: str
    assets: gpd.GeoDataFrame
    report: pd.DataFrame
    mapping: ColumnMapping | None = None
    category_mapping: pd.DataFrame = field(default_factory=pd.DataFrame)
    rows_read: int = 0
    taxonomy: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def errors(self) -> pd.DataFrame:
        """The report lines that keep a row out."""
        return errors_in(self.report)

    @property
    def blocking(self) -> bool:
        """Whether some rows would be left out (an import then needs ``skip_bad_rows``)."""
        return not self.errors.empty

    @property
    def rows_rejected(self) -> int:
        """How many rows (or records) have at least one error."""
        return count_rejected(self.report)


@dataclass(frozen=True, eq=False)
class ImportOutcome:
    """What :func:`commit_import` did.

    ``imported`` is False (and ``summary`` None) when the preview had blocking
    problems and the caller did not choose to skip those rows: nothing was written.
    """

    preview: ImportPreview
    imported: bool
    summary: ImportSummary | None = None
    skipped_rows: int = 0
    taxonomy_saved: int = 0


def detect_format(source: str | Path, *, filename: str | None = None) -> str:
    """Return ``csv``, ``xlsx`` or ``hsds`` for a file, folder or URL.

    URLs, folders, ``.json`` and ``.zip`` are HSDS; ``.xlsx``/``.xlsm`` are
    workbooks; anything else is read as CSV.

    Examples
    --------
    >>> detect_format("https://example.org/api/services")
    'hsds'
    >>> detect_format("directory.XLSX"), detect_format("feed.json"), detect_format("list.csv")
    ('xlsx', 'hsds', 'csv')
    """
    text = str(source)
    if _URL_RE.match(text):
        return "hsds"
    path = Path(filename or text)
    if filename is None and Path(text).is_dir():
        return "hsds"
    suffix = path.suffix.lower()
    if suffix in _HSDS_SUFFIXES:
        return "hsds"
    return _TABLE_SUFFIXES.get(suffix, "csv")


def _area_bbox(workspace: Workspace) -> tuple[float, float, float, float] | None:
    bbox = workspace.settings().get("bbox")
    if not bbox:
        return None
    if len(bbox) != 4:
        msg = f"The workspace's `bbox` setting must hold 4 numbers, got {bbox!r}."
        raise SchemaError(msg)
    west, south, east, north = (float(v) for v in bbox)
    return (west, south, east, north)


def _with_place_checks(
    preview: ImportPreview,
    postcodes: PostcodeIndex | None,
    area: tuple[float, float, float, float],
) -> ImportPreview:
    """Add the spreadsheet import's place warnings to an HSDS preview.

    Coordinates far from the centre of their postcode (when a postcode table
    is loaded) and places outside the workspace's area are reported as
    warnings: the asset is still imported at the coordinates the feed gave.
    """
    assets = preview.assets
    if assets.empty:
        return preview
    lon, lat = assets.geometry.x.to_numpy(), assets.geometry.y.to_numpy()
    found = ProblemLog()
    where = [f"service_at_location {s}" for s in assets["source_id"]]
    if postcodes is not None:
        plon, plat = postcodes.lookup(assets["postcode"].tolist())
        known = np.isfinite(plon)
        gap = np.full(len(assets), np.nan)
        gap[known] = haversine_m(lon[known], lat[known], plon[known], plat[known])
        for i in np.flatnonzero(known & (gap > FAR_FROM_POSTCODE_M)):
            postcode = str(assets["postcode"].iloc[i])
            found.add(
                where[i],
                "postcode",
                f"the coordinates are {gap[i] / 1000:,.1f} km from the centre of {postcode}",
                value=postcode,
                severity="warning",
            )
    west, south, east, north = area
    outside = ~((lon >= west) & (lon <= east) & (lat >= south) & (lat <= north))
    if area != UK_BOUNDS:  # outside the UK is already reported by the HSDS reader
        for i in np.flatnonzero(outside):
            found.add(
                where[i],
                "location",
                f"outside the area {tuple(area)}",
                value=f"{lat[i]:.5f}, {lon[i]:.5f}",
                severity="warning",
            )
    extra = found.frame()
    if extra.empty:
        return preview
    report = pd.concat([preview.report, extra], ignore_index=True)
    return dataclasses.replace(preview, report=report)


def _preview_table(
    workspace: Workspace,
    source: str | Path | bytes,
    *,
    filename: str | None,
    overrides: Mapping[str, str | None] | None,
    fix_swapped: bool,
    category_overrides: Mapping[str, Sequence[str] | str | None] | None,
    progress: Progress | None,
) -> ImportPreview:
    def reading(done: int, total: int) -> None:
        if progress is not None:
            progress("reading", done / max(total, 1))

    def checking(done: int, total: int) -> None:
        if progress is not None:
            progress("checking", done / max(total, 1))

    frame = read_table(source, filename=filename, progress=reading)
    name = str(frame.attrs.get("filename") or filename or "spreadsheet")
    mapping = propose_column_mapping(frame.columns, overrides=overrides)
    result = assets_from_table(
        frame,
        mapping,
        postcodes=_known_postcodes(workspace),
        area_bbox=_area_bbox(workspace),
        source=f"table:{name}",
        fix_swapped=fix_swapped,
        category_overrides=category_overrides,
        progress=checking,
    )
    return ImportPreview(
        source=f"table:{name}",
        fmt=str(frame.attrs.get("format") or "csv"),
        assets=result.assets,
        report=result.report,
        mapping=mapping,
        category_mapping=result.category_mapping,
        rows_read=result.rows_read,
    )


def _preview_hsds(
    source: str | Path | bytes, *, filename: str | None, progress: Progress | None
) -> ImportPreview:
    if progress is not None:
        progress("reading", 0.0)
    if isinstance(source, bytes | bytearray | memoryview):
        name = Path(filename or "upload.json").name
        with tempfile.TemporaryDirectory(prefix="assetmap-hsds-") as folder:
            path = Path(folder) / name
            path.write_bytes(bytes(source))
            result = read_hsds(path, source=f"hsds:{Path(name).stem or name}")
    else:
        result = read_hsds(source if isinstance(source, str) else Path(source))
    if progress is not None:
        progress("reading", 1.0)
    assets = result.assets
    return ImportPreview(
        source=str(assets["source"].iloc[0])
        if len(assets)
        else f"hsds:{Path(filename or str(source)).stem}",
        fmt="hsds",
        assets=assets,
        report=result.report,
        category_mapping=result.terms,
        rows_read=len(assets) + len(result.rejected) + len(result.taxonomy),
        taxonomy=result.taxonomy,
    )


def preview_columns(
    source: str | Path | bytes,
    *,
    principal: Principal,
    filename: str | None = None,
    overrides: Mapping[str, str | None] | None = None,
) -> ColumnMapping:
    r"""Return how a spreadsheet's columns would map to fields, before any row is checked.

    Checks :attr:`Operation.IMPORT_DATA`. Lets a user fix the mapping of a
    sheet whose name or location column was not recognised (where
    :func:`preview_import` refuses the sheet).

    Raises
    ------
    IngestError
        If the file cannot be read as a spreadsheet.

    Examples
    --------
    >>> from assetmap.access import Principal, Role
    >>> sheet = b"Walk,Post Code\nOakham Walkers,LE15 6HW\n"
    >>> mapping = preview_columns(sheet, filename="g.csv", principal=Principal("a", Role.ADMIN))
    >>> mapping.fields
    {'Post Code': 'postcode'}
    """
    require(principal, Operation.IMPORT_DATA)
    frame = read_table(source, filename=filename)
    return propose_column_mapping(frame.columns, overrides=overrides)


def preview_import(
    workspace: Workspace,
    source: str | Path | bytes,
    *,
    principal: Principal,
    fmt: str | None = None,
    filename: str | None = None,
    overrides: Mapping[str, str | None] | None = None,
    fix_swapped: bool = False,
    category_overrides: Mapping[str, Sequence[str] | str | None] | None = None,
    progress: Progress | None = None,
) -> ImportPreview:
    """Read and check a spreadsheet or HSDS source against a workspace; write nothing.

    Checks :attr:`Operation.IMPORT_DATA`.

    Parameters
    ----------
    workspace
        Gives the postcode table (or asset postcodes) and the area (``bbox`` setting).
    source
        A file, folder or URL, or the bytes of an upload (then pass ``filename``).
    principal
        The caller.
    fmt
        ``csv``, ``xlsx`` or ``hsds``; detected from the name when omitted.
    filename
        The upload's file name (names the source and picks the format).
    overrides
        Column mapping overrides, source column -> field (or None to ignore it).
    fix_swapped
        Swap back latitude/longitude that look swapped (reported as a warning).
    category_overrides
        Category text -> category code(s), as chosen in a preview.
    progress
        Called as ``progress(stage, fraction)`` while reading and checking.

    Returns
    -------
    ImportPreview

    Raises
    ------
    IngestError
        If the file cannot be read at all (empty, binary, malformed JSON, ...).
    SchemaError
        If no column maps to a name or a location, or an override is unknown.
    """
    require(principal, Operation.IMPORT_DATA)
    if fmt is not None:
        chosen = fmt
    elif isinstance(source, bytes):
        chosen = detect_format(filename or "upload.csv", filename=filename or "upload.csv")
    else:
        chosen = detect_format(source, filename=filename)
    if chosen not in FORMATS:
        msg = f"Unknown import format {chosen!r}; choose one of {', '.join(FORMATS)}."
        raise SchemaError(msg)
    if chosen == "hsds":
        if overrides:
            msg = "--map applies to spreadsheets only; HSDS fields have fixed names."
            raise SchemaError(msg)
        preview = _preview_hsds(source, filename=filename, progress=progress)
        return _with_place_checks(
            preview, _known_postcodes(workspace), _area_bbox(workspace) or UK_BOUNDS
        )
    if isinstance(source, str) and _URL_RE.match(source):
        msg = f"{source} is a URL: only HSDS feeds can be imported from a URL (use --format hsds)."
        raise IngestError(msg)
    return _preview_table(
        workspace,
        source,
        filename=filename,
        overrides=overrides,
        fix_swapped=fix_swapped,
        category_overrides=category_overrides,
        progress=progress,
    )


#: Record kind of the taxonomy vocabularies and terms read from HSDS / Open Referral UK files.
TAXONOMY_ENTITY: Final = "hsds_taxonomy"


def save_taxonomy(store: Store, taxonomy: pd.DataFrame, *, actor: str, reason: str) -> int:
    """Keep the vocabularies and terms of a taxonomy file as versioned records.

    One record per (kind, vocabulary, id); a term already kept is updated when
    the file says something new about it and left alone otherwise.

    Returns
    -------
    int
        How many records were added or changed.
    """
    kept = store.records(TAXONOMY_ENTITY)
    by_key = (
        {(r["kind"], r["vocabulary"], r["term_id"]): r for r in kept.to_dict("records")}
        if not kept.empty
        else {}
    )
    changed = 0
    for row in taxonomy.to_dict("records"):
        data: dict[str, Any] = {
            ("term_id" if k == "id" else str(k)): (None if pd.isna(v) else v)
            for k, v in row.items()
        }
        old = by_key.get((data["kind"], data["vocabulary"], data["term_id"]))
        if old is None:
            store.add_record(TAXONOMY_ENTITY, data, actor=actor, reason=reason)
            changed += 1
            continue
        diff = {
            k: v
            for k, v in data.items()
            if not (old.get(k) == v or (v is None and pd.isna(old.get(k))))
        }
        if diff:
            store.edit_record(
                TAXONOMY_ENTITY,
                old["id"],
                diff,
                expected_version=int(old["version"]),
                actor=actor,
                reason=reason,
            )
            changed += 1
    return changed


def commit_import(
    workspace: Workspace,
    preview: ImportPreview,
    *,
    principal: Principal,
    skip_bad_rows: bool = False,
    reason: str | None = None,
    archive_missing: bool = False,
    progress: Progress | None = None,
) -> ImportOutcome:
    """Import a preview's accepted rows as one versioned import, or nothing.

    Checks :attr:`Operation.IMPORT_DATA`. When the preview has blocking
    problems and ``skip_bad_rows`` is False, nothing is written and the
    outcome says so (``imported`` False).

    Parameters
    ----------
    workspace
        The workspace whose register receives the rows.
    preview
        From :func:`preview_import`.
    principal
        The caller (recorded in history).
    skip_bad_rows
        Import the good rows and leave out those the report names.
    reason
        Recorded in history; a sentence naming the source by default.
    archive_missing
        Archive assets this source listed before but no longer does.
    progress
        Called as ``progress(stage, fraction)``.

    Returns
    -------
    ImportOutcome

    Raises
    ------
    NoAssetsError
        If no row at all could be imported.
    """
    require(principal, Operation.IMPORT_DATA)
    if preview.blocking and not skip_bad_rows:
        logger.info(
            "import from %s refused: %d rows with errors", preview.source, preview.rows_rejected
        )
        return ImportOutcome(preview=preview, imported=False)
    if preview.assets.empty and not preview.taxonomy.empty:
        saved = save_taxonomy(
            workspace.store(),
            preview.taxonomy,
            actor=_actor(principal),
            reason=reason or f"taxonomy import of {preview.source}",
        )
        return ImportOutcome(preview=preview, imported=True, taxonomy_saved=saved)
    if preview.assets.empty:
        msg = f"Nothing to import from {preview.source}: every row has a problem (see the report)."
        raise NoAssetsError(msg)
    summary = workspace.store().import_assets(
        preview.assets,
        source=preview.source,
        actor=_actor(principal),
        reason=reason or f"import of {preview.source}",
        archive_missing=archive_missing,
        progress=progress,
    )
    return ImportOutcome(
        preview=preview,
        imported=True,
        summary=summary,
        skipped_rows=preview.rows_rejected,
    )


def import_file(
    workspace: Workspace,
    source: str | Path | bytes,
    *,
    principal: Principal,
    fmt: str | None = None,
    filename: str | None = None,
    overrides: Mapping[str, str | None] | None = None,
    skip_bad_rows: bool = False,
    fix_swapped: bool = False,
    reason: str | None = None,
    progress: Progress | None = None,
) -> ImportOutcome:
    """Preview and import in one call (see :func:`preview_import`, :func:`commit_import`).

    Checks :attr:`Operation.IMPORT_DATA`.
    """
    preview = preview_import(
        workspace,
        source,
        principal=principal,
        fmt=fmt,
        filename=filename,
        overrides=overrides,
        fix_swapped=fix_swapped,
        progress=progress,
    )
    return commit_import(
        workspace,
        preview,
        principal=principal,
        skip_bad_rows=skip_bad_rows,
        reason=reason,
        progress=progress,
    )


# --------------------------------------------------------------------------- de-duplication


@dataclass(frozen=True, slots=True)
class MergeDone:
    """One merge :func:`deduplicate` applied (undo it with :func:`undo_merge`)."""

    keep_id: str
    merged_id: str
    keep_name: str
    merged_name: str
    score: float
    reasons: str


@dataclass(frozen=True, eq=False)
class DedupeResult:
    """What :func:`deduplicate` did.

    Attributes
    ----------
    merged
        The merges applied, in order.
    queued
        Ids of the review records added.
    pairs
        Every candidate pair scored (:data:`assetmap.match.dedupe.PAIR_COLUMNS`)
        plus ``action``: ``merged``, ``queued``, ``already queued``,
        ``decided different``, ``decided same``, ``held back`` (queued: a merge
        that would have chained unlike records) or ``kept apart``.
    """

    merged: tuple[MergeDone, ...]
    queued: tuple[str, ...]
    pairs: pd.DataFrame


def _pair_key(id_a: str, id_b: str) -> str:
    return "|".join(sorted((str(id_a), str(id_b))))


def _merged_into(store: Store, asset_id: str) -> str | None:
    """Return the asset ``asset_id`` is merged into now (from its latest version), or None."""
    history = store.asset_history(asset_id)
    if history.empty:
        return None
    data = history["data"].iloc[-1] or {}
    target = data.get("merged_into")
    return str(target) if target else None


def _live_id(store: Store, asset_id: str) -> str:
    """Follow merges to the asset that stands for ``asset_id`` now."""
    store.get_asset(asset_id)  # NotFoundError for an unknown id
    seen = {asset_id}
    current = asset_id
    while (nxt := _merged_into(store, current)) is not None and nxt not in seen:
        seen.add(nxt)
        current = nxt
    return current


def _reviews(store: Store) -> pd.DataFrame:
    reviews = store.records(REVIEW_ENTITY)
    if reviews.empty:
        return pd.DataFrame(columns=["id", "version", "pair_key", "status"])
    return reviews


def _queue(store: Store, row: Mapping[str, Any], *, actor: str, reason: str, why: str = "") -> str:
    data = {
        "id_a": str(row["id_a"]),
        "id_b": str(row["id_b"]),
        "name_a": str(row["name_a"]),
        "name_b": str(row["name_b"]),
        "score": float(row["score"]),
        "distance_m": float(row["distance_m"]),
        "name_similarity": float(row["name_similarity"]),
        "reasons": str(row["reasons"]) + (f"; {why}" if why else ""),
        "pair_key": _pair_key(row["id_a"], row["id_b"]),
        "status": "open",
    }
    return store.add_record(REVIEW_ENTITY, data, actor=actor, reason=reason)


def deduplicate(
    store: Store,
    *,
    principal: Principal,
    config: MatchConfig | None = None,
    reason: str = "de-duplication",
) -> DedupeResult:
    """Merge the register's confident duplicates and queue the uncertain ones for review.

    Checks :attr:`Operation.MERGE_ASSETS`. Pairs a person already decided
    are respected: "different" pairs are never merged or queued again (nor
    chained through); pairs already in the queue stay there and are not
    merged behind the reviewer's back.

    Parameters
    ----------
    store
        The register.
    principal
        The caller (recorded in history).
    config
        Matching thresholds; ``MatchConfig()`` when omitted.
    reason
        Recorded in history with each merge and review.

    Returns
    -------
    DedupeResult
    """
    require(principal, Operation.MERGE_ASSETS)
    actor = _actor(principal)
    assets = store.assets()
    pairs = find_duplicates(assets, config=config).copy()
    reviews = _reviews(store)
    decided = dict(zip(reviews["pair_key"], reviews["status"], strict=True))
    keys = [_pair_key(a, b) for a, b in zip(pairs["id_a"], pairs["id_b"], strict=True)]
    action = ["kept apart"] * len(pairs)
    for i, key in enumerate(keys):
        status = decided.get(key)
        if status == "different":
            action[i] = "decided different"
        elif status == "same":
            action[i] = "decided same"
        elif status in _QUEUED:
            action[i] = "already queued"
    pairs["action"] = action
    # What a person decided or is deciding overrides the score.
    planned = pairs.copy()
    planned.loc[planned["action"] == "decided different", "decision"] = "distinct"
    planned.loc[
        (planned["action"] == "already queued") & (planned["decision"] == "merge"), "decision"
    ] = "review"
    groups = plan_merges(planned, assets=assets)
    names = dict(zip(assets["id"].astype(str), assets["name"].astype(str), strict=True))
    by_key = {key: i for i, key in enumerate(keys)}
    merged: list[MergeDone] = []
    merged_into: dict[str, str] = {}
    for group in groups:
        for other in group.merged_ids:
            store.merge_assets(group.keep_id, other, actor=actor, reason=reason)
            merged_into[other] = group.keep_id
            id_a, id_b, score = next(p for p in group.pairs if other in p[:2])
            merged.append(
                MergeDone(
                    keep_id=group.keep_id,
                    merged_id=other,
                    keep_name=names.get(group.keep_id, ""),
                    merged_name=names.get(other, ""),
                    score=float(score),
                    reasons=str(pairs.at[by_key[_pair_key(id_a, id_b)], "reasons"]),
                )
            )
        for id_a, id_b, _ in group.pairs:
            pairs.loc[by_key[_pair_key(id_a, id_b)], "action"] = "merged"
    held = {_pair_key(a, b) for g in groups for a, b, _ in g.held_back}
    queued: list[str] = []
    queued_keys: set[str] = set()
    for i, row in enumerate(pairs.to_dict("records")):
        if row["action"] != "kept apart":
            continue
        is_held = keys[i] in held
        if row["decision"] != "review" and not is_held:
            continue
        id_a = merged_into.get(str(row["id_a"]), str(row["id_a"]))
        id_b = merged_into.get(str(row["id_b"]), str(row["id_b"]))
        key = _pair_key(id_a, id_b)
        if id_a == id_b or key in queued_keys or decided.get(key) is not None:
            pairs.loc[i, "action"] = "merged" if id_a == id_b else "already queued"
            continue
        live = {str(k): v for k, v in row.items()} | {"id_a": id_a, "id_b": id_b}
        live["name_a"], live["name_b"] = names.get(id_a, ""), names.get(id_b, "")
        why = "held back: merging it would chain records that are not all alike" if is_held else ""
        queued.append(_queue(store, live, actor=actor, reason=reason, why=why))
        queued_keys.add(key)
        pairs.loc[i, "action"] = "held back" if is_held else "queued"
    logger.info("de-duplication: %d merges, %d queued for review", len(merged), len(queued))
    return DedupeResult(merged=tuple(merged), queued=tuple(queued), pairs=pairs)


def review_queue(store: Store, *, principal: Principal) -> pd.DataFrame:
    """Return the duplicate reviews waiting for a person: open first, then "later".

    Checks :attr:`Operation.MERGE_ASSETS`. Columns: ``id``, ``version``,
    ``id_a``, ``id_b``, ``name_a``, ``name_b``, ``score``, ``distance_m``,
    ``name_similarity``, ``reasons``, ``status``; highest score first within
    each status.
    """
    require(principal, Operation.MERGE_ASSETS)
    columns = [
        "id",
        "version",
        "id_a",
        "id_b",
        "name_a",
        "name_b",
        "score",
        "distance_m",
        "name_similarity",
        "reasons",
        "status",
    ]
    reviews = _reviews(store)
    if reviews.empty:
        return pd.DataFrame(columns=columns)
    waiting = reviews[reviews["status"].isin(_QUEUED)].copy()
    waiting["_later"] = waiting["status"] == "later"
    waiting = waiting.sort_values(["_later", "score", "id"], ascending=[True, False, True])
    return waiting.reindex(columns=columns).reset_index(drop=True)


def review_records(
    store: Store, id_a: str, id_b: str, *, principal: Principal
) -> list[dict[str, Any]]:
    """Return the two records of a duplicate review, side by side (checks ``merge_assets``)."""
    require(principal, Operation.MERGE_ASSETS)
    return [store.get_asset(id_a), store.get_asset(id_b)]


def decide_review(
    store: Store,
    review_id: str,
    decision: str,
    *,
    principal: Principal,
    reason: str | None = None,
) -> dict[str, Any]:
    """Record a person's answer to a duplicate review.

    Checks :attr:`Operation.MERGE_ASSETS`. ``same`` merges the two assets
    (the more complete or verified one is kept); ``different`` keeps them
    apart, and :func:`deduplicate` never queues or merges the pair again;
    ``later`` leaves the review in the queue, after the open ones.

    Returns
    -------
    dict
        The review record after the decision (``merged_into`` set on "same").

    Raises
    ------
    SchemaError
        If ``decision`` is not one of :data:`REVIEW_DECISIONS`.
    ConflictError
        If the review was already decided.
    NotFoundError
        If there is no such review.
    """
    require(principal, Operation.MERGE_ASSETS)
    if decision not in REVIEW_DECISIONS:
        msg = f"Unknown decision {decision!r}; choose one of {', '.join(REVIEW_DECISIONS)}."
        raise SchemaError(msg)
    review = store.get_record(REVIEW_ENTITY, review_id)
    if review.get("status") not in _QUEUED:
        msg = f"Review {review_id} was already decided ({review.get('status')})."
        raise ConflictError(msg)
    actor = _actor(principal)
    why = reason or f"duplicate review: {decision}"
    changes: dict[str, Any] = {
        "status": decision,
        "decided_by": actor,
        "decided_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    if decision == "same":
        id_a = _live_id(store, str(review["id_a"]))
        id_b = _live_id(store, str(review["id_b"]))
        if id_a != id_b:
            pair = pd.DataFrame(
                {"id_a": [id_a], "id_b": [id_b], "score": [100.0], "decision": ["merge"]}
            )
            assets = store.assets()
            assets = assets[assets["id"].isin([id_a, id_b])]
            (group,) = plan_merges(pair, assets=assets)
            store.merge_assets(group.keep_id, group.merged_ids[0], actor=actor, reason=why)
            changes |= {"keep_id": group.keep_id, "merged_id": group.merged_ids[0]}
        else:
            changes |= {"keep_id": id_a, "merged_id": None}
    return store.edit_record(
        REVIEW_ENTITY,
        review_id,
        changes,
        expected_version=int(review["version"]),
        actor=actor,
        reason=why,
        action=f"review:{decision}",
    )


def undo_merge(
    store: Store, merged_id: str, *, principal: Principal, reason: str = "merge undone"
) -> dict[str, Any]:
    """Undo a merge and remember the two assets as different.

    Checks :attr:`Operation.MERGE_ASSETS`. The merged asset comes back (see
    :meth:`assetmap.store.Store.unmerge`) and the pair is recorded as a
    "different" review, so :func:`deduplicate` does not merge it again.

    Returns
    -------
    dict
        The restored asset.
    """
    require(principal, Operation.MERGE_ASSETS)
    actor = _actor(principal)
    keep_id = _merged_into(store, merged_id)
    restored = store.unmerge(merged_id, actor=actor, reason=reason)
    if keep_id:
        key = _pair_key(str(keep_id), merged_id)
        reviews = _reviews(store)
        existing = reviews[reviews["pair_key"] == key]
        if existing.empty:
            keep = store.get_asset(str(keep_id))
            store.add_record(
                REVIEW_ENTITY,
                {
                    "id_a": str(keep_id),
                    "id_b": merged_id,
                    "name_a": str(keep["name"]),
                    "name_b": str(restored["name"]),
                    "score": 0.0,
                    "distance_m": 0.0,
                    "name_similarity": 0.0,
                    "reasons": "a merge that was undone",
                    "pair_key": key,
                    "status": "different",
                    "decided_by": actor,
                },
                actor=actor,
                reason=reason,
            )
        else:
            row = existing.iloc[0]
            store.edit_record(
                REVIEW_ENTITY,
                str(row["id"]),
                {"status": "different", "decided_by": actor},
                expected_version=int(row["version"]),
                actor=actor,
                reason=reason,
                action="review:different",
            )
    return restored


# --------------------------------------------------------------------------- export

#: Download formats: format -> (file suffix, MIME type).
DOWNLOADS: Final = {
    "geojson": (".geojson", "application/geo+json"),
    "gpkg": (".gpkg", "application/geopackage+sqlite3"),
    "csv": (".csv", "text/csv"),
    "hsds": (".zip", "application/zip"),
    "oruk": (".zip", "application/zip"),
}


def export_bytes(store: Store, fmt: str, *, principal: Principal, country: str = "GB") -> bytes:
    """Return the current register as a file's bytes, for a download.

    Checks :attr:`Operation.EXPORT_REGISTER` (and :attr:`Operation.EXPORT_HSDS`
    for ``hsds`` and ``oruk``, zips of HSDS 3.0 / Open Referral UK JSON files,
    whose addresses assetmap writes get ``country``: pass
    :func:`assetmap.output.export_hsds.workspace_country`). CSV cells that a
    spreadsheet would run as formulas are neutralised.

    Raises
    ------
    SchemaError
        If ``fmt`` is not one of :data:`DOWNLOADS`.
    """
    require(principal, Operation.EXPORT_REGISTER)
    if fmt not in DOWNLOADS:
        msg = f"Unknown export format {fmt!r}; choose one of {', '.join(DOWNLOADS)}."
        raise SchemaError(msg)
    assets = store.assets()
    with tempfile.TemporaryDirectory(prefix="assetmap-export-") as folder:
        target = Path(folder) / f"register{DOWNLOADS[fmt][0]}"
        if fmt in {"hsds", "oruk"}:
            require(principal, Operation.EXPORT_HSDS)
            write_hsds(assets, target, profile=fmt, country=country)
        else:
            export_register(assets, target, fmt=fmt)
        return target.read_bytes()


def reasons_in_words(reasons: str, taxonomy: Taxonomy | None = None) -> str:
    """Return a duplicate pair's reasons with category codes in words, as record tables show them.

    The matcher (:mod:`assetmap.match.dedupe`) writes reasons joined by ``"; "``
    with category codes (``both food_support``, ``different categories (a vs b)``);
    a person reads the taxonomy's plain labels instead. Unknown codes stay as they are.

    Examples
    --------
    >>> reasons_in_words("same name; both food_support; different categories (food_support vs x)")
    'same name; both food bank and free food; different categories (food bank and free food vs x)'
    """
    tax = taxonomy or load_taxonomy()

    def words(codes: str) -> str:
        return ", ".join(
            tax.categories[c].plain_label.lower() if c in tax.categories else c
            for c in codes.split(", ")
        )

    parts = []
    for part in reasons.split("; "):
        if part.startswith("both "):
            part = "both " + words(part.removeprefix("both "))
        elif part.startswith("different categories (") and " vs " in part:
            inner = part.removeprefix("different categories (").removesuffix(")")
            left, right = inner.split(" vs ", 1)
            part = f"different categories ({words(left)} vs {words(right)})"
        parts.append(part)
    return "; ".join(parts)
