"""Workspaces: one folder per area, holding the register and its walking network.

A workspace folder holds ``workspace.json`` (settings), ``assetmap.sqlite``
(the register, unless ``ASSETMAP_DATABASE_URL`` points at PostgreSQL),
``network.npz`` (the walking network) and, when loaded, ``postcodes.parquet``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from assetmap.atomic import atomic_path, write_text_atomic
from assetmap.errors import AssetMapError, WorkspaceError
from assetmap.geo import UK_BOUNDS
from assetmap.ingest.postcodes import PostcodeIndex, load_postcodes, merge_postcodes
from assetmap.private_files import private_dir
from assetmap.reach.cycle import CYCLE_FILENAME, save_cycle_network
from assetmap.reach.network import NETWORK_FILENAME, save_network
from assetmap.store import ImportSummary, Store

if TYPE_CHECKING:
    import pandas as pd

    from assetmap.ingest.osm import OsmExtract

__all__ = [
    "DATABASE_ENV",
    "DB_FILENAME",
    "POSTCODES_FILENAME",
    "WORKSPACE_FILENAME",
    "OsmInitResult",
    "Workspace",
    "close_stores",
    "create_workspace",
    "detect_country",
    "import_osm",
    "open_workspace",
    "workspace_country",
]

logger = logging.getLogger(__name__)

DATABASE_ENV = "ASSETMAP_DATABASE_URL"
WORKSPACE_FILENAME = "workspace.json"
DB_FILENAME = "assetmap.sqlite"
POSTCODES_FILENAME = "postcodes.parquet"
ProgressFn = Callable[[str, float], None]

# Rough (min_lon, min_lat, max_lon, max_lat) boxes, first match wins: enough to tell
# which country an extract is in when it carries no ISO 3166-1 tag. Great Britain and
# Northern Ireland come first (the Irish box overlaps Northern Ireland's).
_COUNTRY_BOXES: Final = (
    ("GB", (-8.2, 54.0, -5.4, 55.4)),  # Northern Ireland
    ("IE", (-10.7, 51.3, -5.9, 55.5)),
    ("GB", UK_BOUNDS),
    ("FR", (-5.3, 42.3, 8.3, 51.1)),
    ("NL", (3.3, 50.7, 7.3, 53.6)),
    ("DE", (5.8, 47.2, 15.1, 55.1)),
    ("FI", (19.0, 59.7, 31.6, 70.1)),
    ("US", (-125.0, 24.4, -66.9, 49.4)),
)


@dataclass(frozen=True, slots=True)
class Workspace:
    """An assetmap workspace folder.

    Attributes
    ----------
    path
        The folder.
    database_url
        Where the register lives.
    """

    path: Path
    database_url: str

    @property
    def network_path(self) -> Path:
        """The walking network file."""
        return self.path / NETWORK_FILENAME

    @property
    def cycle_path(self) -> Path:
        """The cycling network file (written by the OSM import beside the walking one)."""
        return self.path / CYCLE_FILENAME

    @property
    def postcodes_path(self) -> Path:
        """The postcode table, when one is loaded."""
        return self.path / POSTCODES_FILENAME

    @property
    def settings_path(self) -> Path:
        """The settings file."""
        return self.path / WORKSPACE_FILENAME

    def settings(self) -> dict[str, Any]:
        """Return the workspace settings."""
        try:
            data = json.loads(self.settings_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            msg = f"Cannot read {self.settings_path}: {exc}."
            raise WorkspaceError(msg) from exc
        if not isinstance(data, dict):
            msg = f"{self.settings_path} is not an assetmap settings file."
            raise WorkspaceError(msg)
        return data

    def update_settings(self, **values: Any) -> dict[str, Any]:
        """Merge ``values`` into the settings file (atomically) and return the result."""
        data = self.settings() | values
        _write_json_atomic(self.settings_path, data)
        return data

    def store(self) -> Store:
        """Return the register store (one per database URL per process)."""
        return _store_for(self.database_url)

    def data_version(self) -> str:
        """Return a key that changes exactly when the register or the settings change.

        The register's part is :meth:`Store.data_version` (a token every write
        transaction replaces, on SQLite and PostgreSQL alike: one read of one
        row); the settings' part is ``workspace.json``'s modification time and
        size. Caches of register data (the app's) are keyed by it.
        """
        try:
            stat = self.settings_path.stat()
            settings = f"{stat.st_mtime_ns}:{stat.st_size}"
        except OSError:
            settings = "-"
        return f"{self.store().data_version()}|{settings}"


@functools.lru_cache(maxsize=32)
def _store_for(url: str) -> Store:
    store = Store(url)
    _OPEN.append(store)
    return store


def close_stores() -> None:
    """Close every store this process opened (frees database connections)."""
    for store in list(_OPEN):
        store.close()
    _OPEN.clear()
    _store_for.cache_clear()


_OPEN: list[Store] = []


def _database_url(path: Path) -> str:
    return os.environ.get(DATABASE_ENV) or f"sqlite:///{path / DB_FILENAME}"


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, default=str))


def _check_writable(path: Path) -> None:
    try:
        private_dir(path)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".probe-"):
            pass
    except OSError as exc:
        msg = f"Cannot write to workspace folder {path}: {exc.strerror or exc}."
        raise WorkspaceError(msg) from exc


def create_workspace(path: str | Path, *, name: str | None = None) -> Workspace:
    """Create a workspace folder (or open it if it is one already).

    Parameters
    ----------
    path
        The folder; created if missing.
    name
        A display name (defaults to the folder name).

    Raises
    ------
    WorkspaceError
        If the folder cannot be written, or holds files but is not a workspace.
    """
    folder = Path(path).expanduser().resolve()
    if (folder / WORKSPACE_FILENAME).exists():
        return open_workspace(folder)
    if folder.exists() and not folder.is_dir():
        msg = f"{folder} exists and is not a folder."
        raise WorkspaceError(msg)
    if folder.is_dir() and any(p for p in folder.iterdir() if not p.name.startswith(".")):
        msg = f"{folder} is not empty and is not an assetmap workspace; choose a new folder."
        raise WorkspaceError(msg)
    _check_writable(folder)
    url = _database_url(folder)
    _store_for(url)  # creates and migrates the database
    _write_json_atomic(
        folder / WORKSPACE_FILENAME,
        {
            "name": name or folder.name,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "backend": url.split(":", 1)[0],
            "tiles": "none",
        },
    )
    return Workspace(path=folder, database_url=url)


def open_workspace(path: str | Path) -> Workspace:
    """Open an existing workspace folder.

    Raises
    ------
    WorkspaceError
        If ``path`` is not an assetmap workspace.
    """
    folder = Path(path).expanduser().resolve()
    if not (folder / WORKSPACE_FILENAME).is_file():
        msg = (
            f"{folder} is not an assetmap workspace (no {WORKSPACE_FILENAME}); "
            "create one with `assetmap init` or `assetmap demo`."
        )
        raise WorkspaceError(msg)
    return Workspace(path=folder, database_url=_database_url(folder))


def detect_country(bbox: tuple[float, float, float, float] | None) -> str:
    """Return the ISO 3166-1 alpha-2 code of the country an extract's box lies in ("" if unsure).

    The box's centre decides, against rough country boxes (Great Britain and
    Northern Ireland, Ireland, France, the Netherlands, Germany, Finland, the
    contiguous United States); anywhere else is "" (unknown), and the user can
    set ``country`` in ``workspace.json``.

    Examples
    --------
    >>> detect_country((-0.82, 52.52, -0.43, 52.76))  # Rutland
    'GB'
    >>> detect_country((24.93, 60.16, 24.95, 60.18))  # Helsinki
    'FI'
    >>> detect_country((151.1, -33.9, 151.3, -33.8)), detect_country(None)
    ('', '')
    """
    if bbox is None:
        return ""
    lon = (bbox[0] + bbox[2]) / 2
    lat = (bbox[1] + bbox[3]) / 2
    for code, (x0, y0, x1, y1) in _COUNTRY_BOXES:
        if x0 <= lon <= x1 and y0 <= lat <= y1:
            return code
    return ""


def workspace_country(settings: dict[str, Any]) -> str:
    """Return the workspace's country (ISO 3166-1 alpha-2, upper case; "" when unknown).

    Set from the extract at ``init`` (:func:`detect_country`) or by hand in
    ``workspace.json``; a workspace made before the setting existed is "GB"
    (assetmap was only used in England then).

    Examples
    --------
    >>> workspace_country({"country": "us"}), workspace_country({})
    ('US', 'GB')
    >>> workspace_country({"country": ""})
    ''
    """
    value = settings.get("country", "GB")
    return str(value or "").strip().upper()


@dataclass(frozen=True, slots=True)
class OsmInitResult:
    """What importing an OSM extract into a workspace did."""

    workspace: Workspace
    summary: ImportSummary
    n_nodes: int
    n_edges: int
    skipped: dict[str, int]


def import_osm(
    path: str | Path,
    osm_file: str | Path,
    *,
    actor: str = "assetmap",
    progress: ProgressFn | None = None,
    area: str | None = None,
    boundary: str | Path | None = None,
    buffer_m: float | None = None,
) -> OsmInitResult:
    """Create (or update) a workspace from a local OpenStreetMap extract.

    The file is read and checked completely before the workspace is touched,
    so a bad file leaves an existing workspace unchanged. Re-importing the
    same extract changes nothing; a newer extract updates changed assets and
    archives vanished ones, each as a version in history.

    Parameters
    ----------
    path
        The workspace folder.
    osm_file
        A ``.osm.pbf``, ``.osm`` or ``.osm.bz2`` file.
    actor
        Who runs the import (kept in history).
    progress
        Called with (stage, fraction done).
    area
        Keep only this administrative area of the extract: its name or ONS
        code (``assetmap areas list FILE`` lists them); its assets, and the
        walking network within ``buffer_m`` of it.
    boundary
        Or a boundary file (GeoJSON, GeoPackage...) to clip to the same way.
    buffer_m
        Metres of walking network kept beyond the boundary
        (:data:`assetmap.ingest.boundaries.DEFAULT_BUFFER_M` by default).

    Raises
    ------
    AssetMapError
        (IngestError, WorkspaceError, StoreError) with one clear line.
    """
    from assetmap.ingest.osm import read_osm_file

    source = Path(osm_file)
    extract = read_osm_file(source, progress=progress)
    label = None
    if area is not None or boundary is not None:
        extract, label = _clip(source, extract, area, boundary, buffer_m, progress)
    result = import_osm_extract(
        path,
        extract,
        origin=str(source.resolve()),
        reason=f"OpenStreetMap import from {source.name}" + (f" ({label})" if label else ""),
        actor=actor,
        progress=progress,
    )
    if label is not None:
        result.workspace.update_settings(osm_area=label)
    return result


def _clip(
    source: Path,
    extract: OsmExtract,
    area: str | None,
    boundary: str | Path | None,
    buffer_m: float | None,
    progress: ProgressFn | None,
) -> tuple[OsmExtract, str]:
    """Clip a read extract to a named area of it or to a boundary file; return it and a label."""
    from assetmap.ingest import boundaries as b

    if progress is not None:
        progress("clipping", 0.0)
    if boundary is not None:
        shape = b.read_boundary_file(boundary)
        label = Path(boundary).name
    else:
        found = b.find_admin_area(b.list_admin_areas(source), str(area))
        shape = b.admin_boundary(source, found)
        label = f"{found.name} ({found.code})" if found.code else found.name
    clipped = b.clip_extract(
        extract, shape, buffer_m=b.DEFAULT_BUFFER_M if buffer_m is None else buffer_m
    )
    if progress is not None:
        progress("clipping", 1.0)
    return clipped, label


def import_osm_place(
    path: str | Path,
    place: str,
    *,
    actor: str = "assetmap",
    progress: ProgressFn | None = None,
) -> OsmInitResult:
    """Create (or update) a workspace from live OpenStreetMap data for a named place.

    Needs the internet (Nominatim and Overpass through osmnx). Otherwise as
    :func:`import_osm`.

    Parameters
    ----------
    path
        The workspace folder.
    place
        A place name Nominatim resolves to a polygon, e.g. ``"Oakham, Rutland, England"``.
    actor
        Who runs the import (kept in history).
    progress
        Called with (stage, fraction done).
    """
    from assetmap.ingest.extracts import locate_place
    from assetmap.ingest.osm import fetch_osm_place

    if progress is not None:
        progress("Downloading from OpenStreetMap", 0.0)
    locate_place(place)  # fails within seconds offline, naming the extract file to download
    extract = fetch_osm_place(place)
    return import_osm_extract(
        path,
        extract,
        origin=f"place:{place}",
        reason=f"OpenStreetMap download for {place}",
        actor=actor,
        progress=progress,
    )


def import_osm_extract(
    path: str | Path,
    extract: OsmExtract,
    *,
    origin: str,
    reason: str,
    actor: str = "assetmap",
    progress: ProgressFn | None = None,
) -> OsmInitResult:
    """Write an already-read OpenStreetMap extract into a workspace, atomically.

    Parameters
    ----------
    path
        The workspace folder (created if missing).
    extract
        Assets and walking network from :mod:`assetmap.ingest.osm`.
    origin
        Where the extract came from (a file path or ``place:NAME``), kept in settings.
    reason
        The reason recorded in history.
    actor
        Who runs the import.
    progress
        Called with (stage, fraction done).
    """
    workspace = create_workspace(path)
    cycle = getattr(extract, "cycle", None)
    try:
        with contextlib.ExitStack() as files:  # renamed into place only if all succeeds
            tmp_network = files.enter_context(atomic_path(workspace.network_path))
            save_network(extract.network, tmp_network)
            if cycle is not None:
                save_cycle_network(cycle, files.enter_context(atomic_path(workspace.cycle_path)))
            summary = workspace.store().import_assets(
                extract.assets,
                source="osm",
                actor=actor,
                reason=reason,
                archive_missing=True,
                progress=progress,
            )
    except AssetMapError:
        raise
    except OSError as exc:
        msg = f"Cannot write the walking network into {workspace.path}: {exc.strerror or exc}."
        raise WorkspaceError(msg) from exc
    bbox = getattr(extract, "bbox", None)
    known = workspace.settings().get("country")
    workspace.update_settings(
        osm_file=origin,
        osm_imported=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        bbox=list(bbox) if bbox is not None else None,
        country=known if known is not None else detect_country(bbox),
    )
    return OsmInitResult(
        workspace=workspace,
        summary=summary,
        n_nodes=extract.network.n_nodes,
        n_edges=extract.network.n_edges,
        skipped=dict(extract.skipped),
    )


def workspace_postcodes(
    workspace: Workspace, *, assets: pd.DataFrame | None = None
) -> PostcodeIndex:
    """Return the workspace's postcode table, plus postcodes of its assets where it has none.

    The one source of postcodes for placing things: imports geocode with it,
    plans resolve a home postcode with it. Empty when neither the saved table
    (``assetmap postcodes``) nor any asset gives a postcode.

    The merged table is cached per version of the saved file and of the
    assets' postcodes, so a loaded workspace answers in microseconds.

    Parameters
    ----------
    workspace
        The open workspace.
    assets
        Its register, when already loaded (read from the store when omitted).

    Raises
    ------
    IngestError
        If the saved table is unreadable.
    """
    register = workspace.store().assets() if assets is None else assets
    keyed: tuple[tuple[str, float, float], ...] = ()
    if len(register) and "postcode" in register.columns:
        points = register.geometry.representative_point()
        keyed = tuple(
            (code, float(lon), float(lat))
            for code, lon, lat in zip(register["postcode"], points.x, points.y, strict=True)
            if isinstance(code, str) and code
        )
    path = workspace.postcodes_path
    try:
        stat = path.stat()
    except OSError:
        stamp = None
    else:
        stamp = (stat.st_mtime_ns, stat.st_size)
    return _merged_postcodes(str(path), stamp, keyed)


@functools.lru_cache(maxsize=8)
def _merged_postcodes(
    path: str, stamp: tuple[int, int] | None, asset_postcodes: tuple[tuple[str, float, float], ...]
) -> PostcodeIndex:
    """Return the saved table (when ``stamp`` says it exists) merged with asset postcodes."""
    from_assets = PostcodeIndex.from_arrays(
        [code for code, _, _ in asset_postcodes],
        [lon for _, lon, _ in asset_postcodes],
        [lat for _, _, lat in asset_postcodes],
        source="asset postcodes",
    )
    if stamp is None:
        return from_assets
    return merge_postcodes(load_postcodes(path), from_assets)
