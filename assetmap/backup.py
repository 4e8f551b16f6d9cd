"""Back up a workspace to one file, and restore it.

A backup is a zip file holding ``manifest.json`` (format, backend, time and a
SHA-256 of every member), the workspace settings (``workspace.json``), the
walking network, cycling network, public transport timetable and postcode table
when present, and the register:

* **SQLite**: a consistent copy made with SQLite's online backup API, which
  runs while others keep writing (it copies one committed state), then
  ``VACUUM``-ed so the copy holds no freed pages (nothing erased lingers).
* **PostgreSQL**: ``pg_dump`` in its custom format.

:func:`restore_workspace` checks every checksum before it touches anything.
Stop the app (and anyone writing) before restoring.

Examples
--------
>>> import tempfile
>>> from assetmap.workspace import create_workspace
>>> tmp = Path(tempfile.mkdtemp())
>>> ws = create_workspace(tmp / "oakham")
>>> from assetmap.access import Principal, Role
>>> ada = Principal("ada", Role.ADMIN)
>>> archive = backup_workspace(ws, tmp / "oakham.zip", principal=ada)
>>> restore_workspace(archive, tmp / "restored", principal=ada).path.name
'restored'
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from assetmap.access import Operation, Principal, require
from assetmap.errors import WorkspaceError
from assetmap.private_files import private_dir, private_file
from assetmap.reach.cycle import CYCLE_FILENAME
from assetmap.reach.network import NETWORK_FILENAME
from assetmap.reach.timetable import TIMETABLE_FILENAME
from assetmap.workspace import (
    DATABASE_ENV,
    DB_FILENAME,
    POSTCODES_FILENAME,
    WORKSPACE_FILENAME,
    Workspace,
    open_workspace,
)

__all__ = ["BACKUP_FORMAT", "backup_workspace", "read_manifest", "restore_workspace"]

logger = logging.getLogger(__name__)

BACKUP_FORMAT = "assetmap-backup"
BACKUP_VERSION = 1
MANIFEST = "manifest.json"
PG_DUMP_NAME = "register.pgdump"
_NETWORK = NETWORK_FILENAME
_OPTIONAL = (_NETWORK, CYCLE_FILENAME, TIMETABLE_FILENAME, POSTCODES_FILENAME)
_CHUNK = 1 << 20


# ---------------------------------------------------------------------- helpers
def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _sqlite_path(url: str) -> Path:
    parsed = make_url(url)
    if not parsed.database or parsed.database == ":memory:":
        msg = "An in-memory register cannot be backed up; use a workspace on disk."
        raise WorkspaceError(msg)
    return Path(parsed.database)


def _pg_tool(name: str) -> str:
    """Return the newest ``pg_dump``/``pg_restore`` (under /usr/lib/postgresql, else PATH)."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if candidates:
        return str(candidates[-1])
    found = shutil.which(name)
    if found:
        return found
    msg = f"`{name}` was not found; install the PostgreSQL client tools."
    raise WorkspaceError(msg)


def _pg_args(url: str) -> tuple[list[str], dict[str, str]]:
    """Return libpq tool arguments and environment (a password goes in the environment)."""
    parsed = make_url(url)
    args = []
    if parsed.host:
        args += ["--host", parsed.host]
    if parsed.port:
        args += ["--port", str(parsed.port)]
    if parsed.username:
        args += ["--username", parsed.username]
    args += ["--dbname", parsed.database or "postgres"]
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return args, env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    try:
        result = subprocess.run(  # noqa: S603 (fixed tool, arguments not from a shell)
            command, env=env, capture_output=True, text=True, check=False
        )
    except OSError as exc:
        msg = f"Could not run {Path(command[0]).name} for the {what}: {exc.strerror or exc}."
        raise WorkspaceError(msg) from exc
    if result.returncode != 0:
        lines = [ln for ln in result.stderr.strip().splitlines() if ln.strip()]
        detail = lines[-1] if lines else f"exit code {result.returncode}"
        msg = f"The {what} failed: {detail}"
        raise WorkspaceError(msg)


@contextlib.contextmanager
def _scratch(near: Path) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix=".assetmap-backup-", dir=near))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------------- backup
def _copy_sqlite(source: Path, target: Path) -> None:
    """Copy a live SQLite database consistently (online backup API), then compact the copy."""
    if not source.is_file():
        msg = f"The register database {source} is missing."
        raise WorkspaceError(msg)
    try:
        src = sqlite3.connect(source, timeout=30)
        try:
            dst = sqlite3.connect(target)
            try:
                src.backup(dst)  # one step: a single committed state, writers carry on (WAL)
                dst.execute("VACUUM")  # drop free pages: erased content must not linger
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        msg = f"Could not copy the register database: {exc}."
        raise WorkspaceError(msg) from exc


def _dump_postgres(url: str, target: Path) -> None:
    args, env = _pg_args(url)
    command = [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges"]
    _run([*command, *args, "--file", str(target)], env, "database dump (pg_dump)")


def backup_workspace(workspace: Workspace, target: str | Path, *, principal: Principal) -> Path:
    """Write a backup of ``workspace`` to one zip file and return its path (checks ``backup``).

    Safe while the app is in use: the register is copied as one consistent
    state even while others write.

    Parameters
    ----------
    workspace
        The workspace to back up.
    target
        The backup file to write (``.zip`` is added if missing), or an existing
        folder to write ``assetmap-backup-<UTC time>.zip`` into.
    principal
        The caller (an administrator).

    Returns
    -------
    Path
        The backup file.

    Raises
    ------
    WorkspaceError
        If the register cannot be copied or the file cannot be written.
    AccessDeniedError
        If ``principal`` may not back up.
    """
    require(principal, Operation.BACKUP)
    out = Path(target).expanduser()
    if out.is_dir():
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        out = out / f"assetmap-backup-{stamp}.zip"
    elif out.suffix != ".zip":
        out = out.with_name(out.name + ".zip")
    out = out.resolve()
    if not out.parent.is_dir():
        msg = f"Cannot write the backup: folder {out.parent} does not exist."
        raise WorkspaceError(msg)
    backend = make_url(workspace.database_url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        msg = f"Cannot back up a {backend} database."
        raise WorkspaceError(msg)
    with _scratch(out.parent) as scratch:
        members: dict[str, Path] = {}
        if backend == "sqlite":
            members[DB_FILENAME] = scratch / DB_FILENAME
            _copy_sqlite(_sqlite_path(workspace.database_url), members[DB_FILENAME])
        else:
            members[PG_DUMP_NAME] = scratch / PG_DUMP_NAME
            _dump_postgres(workspace.database_url, members[PG_DUMP_NAME])
        for name in (WORKSPACE_FILENAME, *_OPTIONAL):
            path = workspace.path / name
            if path.is_file():
                members[name] = path
        manifest = {
            "format": BACKUP_FORMAT,
            "version": BACKUP_VERSION,
            "backend": backend,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "files": {name: _sha256(path) for name, path in members.items()},
        }
        partial = scratch / out.name
        try:
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(MANIFEST, json.dumps(manifest, indent=2))
                for name, path in members.items():
                    kind = zipfile.ZIP_STORED if name.endswith(".npz") else zipfile.ZIP_DEFLATED
                    zf.write(path, arcname=name, compress_type=kind)
            private_file(partial).replace(out)
        except OSError as exc:
            msg = f"Cannot write the backup {out}: {exc.strerror or exc}."
            raise WorkspaceError(msg) from exc
    logger.info("workspace backed up (%s, %d files)", backend, len(members))
    return out


# ---------------------------------------------------------------------- restore
def read_manifest(source: str | Path) -> dict[str, Any]:
    """Return a backup's manifest after checking every member's checksum.

    Raises
    ------
    WorkspaceError
        If the file is not an assetmap backup, or is damaged.
    """
    path = Path(source)
    try:
        with zipfile.ZipFile(path) as zf:
            manifest = json.loads(zf.read(MANIFEST))
            if not isinstance(manifest, dict) or manifest.get("format") != BACKUP_FORMAT:
                raise KeyError(MANIFEST)
            names = set(zf.namelist()) - {MANIFEST}
            files: dict[str, str] = manifest["files"]
            known = {DB_FILENAME, PG_DUMP_NAME, WORKSPACE_FILENAME, *_OPTIONAL}
            if names != set(files) or not names <= known or WORKSPACE_FILENAME not in names:
                msg = f"{path.name} is damaged: its contents do not match its manifest."
                raise WorkspaceError(msg)
            for name, expected in files.items():
                digest = hashlib.sha256()
                with zf.open(name) as fh:
                    for block in iter(lambda: fh.read(_CHUNK), b""):
                        digest.update(block)
                if digest.hexdigest() != expected:
                    msg = f"{path.name} is damaged: {name} does not match its checksum."
                    raise WorkspaceError(msg)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        msg = f"{path} is not a readable assetmap backup."
        raise WorkspaceError(msg) from exc
    if manifest.get("version") != BACKUP_VERSION:
        msg = f"{path.name} was written by a newer assetmap (backup version {manifest['version']})."
        raise WorkspaceError(msg)
    return manifest


def _check_target(folder: Path, *, force: bool) -> None:
    if folder.exists() and not folder.is_dir():
        msg = f"{folder} exists and is not a folder."
        raise WorkspaceError(msg)
    if folder.is_dir() and any(folder.iterdir()) and not force:
        msg = f"{folder} is not empty; restore into a new folder, or pass force=True (--force)."
        raise WorkspaceError(msg)


def restore_workspace(
    source_file: str | Path, target_path: str | Path, *, principal: Principal, force: bool = False
) -> Workspace:
    """Restore a backup made by :func:`backup_workspace` into a folder (checks ``restore``).

    Parameters
    ----------
    source_file
        The backup file.
    target_path
        The workspace folder to restore into (created if missing).
    principal
        The caller (an administrator).
    force
        Overwrite a folder that is not empty (its workspace files are replaced).

    Returns
    -------
    Workspace
        The restored workspace.

    Raises
    ------
    WorkspaceError
        If the backup is damaged, the folder is not empty (without ``force``),
        or the backup's database kind does not match ``ASSETMAP_DATABASE_URL``
        (a PostgreSQL backup is restored into the database that variable
        names, with ``pg_restore --clean``, in one transaction).
    AccessDeniedError
        If ``principal`` may not restore.
    """
    require(principal, Operation.RESTORE)
    source = Path(source_file).expanduser().resolve()
    manifest = read_manifest(source)
    folder = Path(target_path).expanduser().resolve()
    _check_target(folder, force=force)
    backend = manifest["backend"]
    env_url = os.environ.get(DATABASE_ENV)
    if backend == "postgresql" and not (env_url and env_url.startswith("postgresql")):
        msg = (
            f"This backup holds a PostgreSQL register: set {DATABASE_ENV} to the "
            "PostgreSQL database to restore it into."
        )
        raise WorkspaceError(msg)
    if backend == "sqlite" and env_url:
        msg = (
            f"This backup holds a SQLite register but {DATABASE_ENV} points at another "
            "database; unset it to restore."
        )
        raise WorkspaceError(msg)
    try:
        private_dir(folder)
    except OSError as exc:
        msg = f"Cannot create {folder}: {exc.strerror or exc}."
        raise WorkspaceError(msg) from exc
    with _scratch(folder) as scratch, zipfile.ZipFile(source) as zf:
        names = list(manifest["files"])
        for name in names:
            private_file(zf.extract(name, scratch))
        if backend == "postgresql":
            assert env_url is not None
            args, env = _pg_args(env_url)
            command = [_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner"]
            command += ["--no-privileges", "--single-transaction", "--exit-on-error"]
            _run([*command, *args, str(scratch / PG_DUMP_NAME)], env, "database restore")
        else:
            for suffix in ("-wal", "-shm"):  # a stale log must not be replayed onto the copy
                (folder / (DB_FILENAME + suffix)).unlink(missing_ok=True)
            (scratch / DB_FILENAME).replace(folder / DB_FILENAME)
        for name in _OPTIONAL:
            if name in names:
                (scratch / name).replace(folder / name)
            else:
                (folder / name).unlink(missing_ok=True)
        (scratch / WORKSPACE_FILENAME).replace(folder / WORKSPACE_FILENAME)
    logger.info("workspace restored (%s)", backend)
    return open_workspace(folder)
