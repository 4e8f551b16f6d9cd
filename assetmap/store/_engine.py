"""Engines for the two back ends: SQLite (embedded default) and PostgreSQL + PostGIS."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool, StaticPool

from assetmap.private_files import private_file

__all__ = ["BUSY_TIMEOUT_MS", "make_engine"]

BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str) -> Engine:
    """Return an engine for ``url`` set up for many concurrent users.

    SQLite runs in WAL mode with a busy timeout and ``secure_delete`` on (every
    connection, whatever the library was compiled with: deleted or overwritten
    content is zeroed in the file, so an erasure leaves no fragments of earlier
    edits behind); write transactions start
    with ``BEGIN IMMEDIATE`` (taking the write lock up front, so two writers
    queue instead of failing with "database is locked" half way), reads with a
    plain deferred ``BEGIN``. PostgreSQL uses psycopg 3 and a small pool.

    Parameters
    ----------
    url
        A SQLAlchemy database URL (``sqlite:///path`` or ``postgresql+psycopg://...``).

    Returns
    -------
    sqlalchemy.engine.Engine
    """
    if url.startswith("sqlite"):
        in_memory = url.split("///", 1)[-1] in ("", ":memory:") or url.rstrip("/") == "sqlite:"
        if not in_memory and not url.split("///", 1)[-1].startswith("file:"):
            # 0600 before SQLite opens it: its WAL and shared-memory files take the same mode
            private_file(url.split("///", 1)[-1].split("?", 1)[0])
        engine = create_engine(
            url,
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            # one shared connection keeps an in-memory database alive
            poolclass=StaticPool if in_memory else NullPool,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA secure_delete=ON")  # upstream's default is off
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Connection) -> None:
            if connection.get_execution_options().get("assetmap_write"):
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                connection.exec_driver_sql("BEGIN")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_size=5, max_overflow=10, pool_pre_ping=True)
