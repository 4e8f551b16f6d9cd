"""Shared fixtures: paths to the real data in ../shared/data and database backends.

Tests that read ``../shared/data`` skip (with the reason) when it is absent: through the
``shared_data`` fixture, ``pytestmark = needs_shared_data`` in a module, or
``skip_without_shared_data()`` in a fixture (all from ``support``). Set
``ASSETMAP_SHARED_DATA=/nonexistent`` to see what runs without it.

The whole suite runs on SQLite by default and on PostgreSQL + PostGIS when
``ASSETMAP_TEST_DATABASE_URL`` points at a server (see ``.ci/run``): every
test that asks for ``database_url`` (directly, or through ``store`` or
``workspace_path``) gets a fresh database of that kind.

Every way to a database of the backend under test goes through the session
fixture ``_pg_template`` (``database_url``, ``new_database_url`` and what is
built on them: ``store``, ``workspace_path``, the app tests' ``app_env``), and
nothing else reads ``ASSETMAP_TEST_DATABASE_URL``. So a test whose fixtures
include it, however indirectly, is marked ``store`` at collection
(:func:`pytest_collection_modifyitems`), and the PostGIS pass of
``scripts/test.sh`` runs ``-m store``: the other tests (pure kernels, parsers,
doctests) never touch the backend and would only run a second time unchanged.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool
from support import (  # noqa: F401
    LEEDS_OSM,
    ROOT,
    RUTLAND_PBF,
    SHARED_DATA,
    STRETFORD_OSM,
    skip_without_shared_data,
    use_database_for_workspace,
)

from assetmap.ingest.osm import OsmExtract, read_osm_file
from assetmap.reach.network import WalkGraph, build_walk_graph
from assetmap.store import Store
from assetmap.workspace import close_stores

PG_BASE_URL = os.environ.get("ASSETMAP_TEST_DATABASE_URL")
BACKEND = "postgresql" if PG_BASE_URL else "sqlite"
_TEMPLATE = f"assetmap_test_template_{os.getpid()}"  # per run: parallel runs do not collide

#: The fixture every test that reaches the backend under test depends on.
STORE_FIXTURE = "_pg_template"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``store`` every test whose fixtures (transitively) reach the backend under test.

    A test marked ``postgis`` by hand is a store test too.
    """
    for item in items:
        if STORE_FIXTURE in getattr(item, "fixturenames", ()) or item.get_closest_marker("postgis"):
            item.add_marker(pytest.mark.store)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only real data folder (../shared/data); tests that use it skip without it."""
    skip_without_shared_data()
    return SHARED_DATA


def _pg_url(name: str) -> str:
    assert PG_BASE_URL is not None
    return PG_BASE_URL.rsplit("/", 1)[0] + "/" + name


def _pg_admin() -> Engine:
    assert PG_BASE_URL is not None
    url = PG_BASE_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    return create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str | None]:
    if not PG_BASE_URL:
        yield None
        return
    with _pg_admin().connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {_TEMPLATE} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {_TEMPLATE}"))
    Store(_pg_url(_TEMPLATE)).close()  # PostGIS extension + migrations, once
    yield _TEMPLATE
    with _pg_admin().connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {_TEMPLATE} WITH (FORCE)"))


@pytest.fixture(scope="session")
def new_database_url(
    tmp_path_factory: pytest.TempPathFactory, _pg_template: str | None
) -> Iterator[Callable[[], str]]:
    """A factory of fresh, empty register databases on the backend under test.

    For fixtures wider than one test (e.g. a Rutland workspace shared by a module).
    """
    created: list[str] = []

    def make() -> str:
        if _pg_template is None:
            return f"sqlite:///{tmp_path_factory.mktemp('db') / 'assetmap.sqlite'}"
        name = f"t_{uuid.uuid4().hex[:16]}"
        with _pg_admin().connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {_pg_template}"))
        created.append(name)
        return _pg_url(name)

    yield make
    if created:
        close_stores()
        with _pg_admin().connect() as conn:
            for name in created:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
def database_url(tmp_path: Path, _pg_template: str | None) -> Iterator[str]:
    """A fresh, empty register database URL on the backend under test."""
    if _pg_template is None:
        yield f"sqlite:///{tmp_path / 'assetmap.sqlite'}"
        return
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {_pg_template}"))
    yield _pg_url(name)
    close_stores()
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A fresh register store on the backend under test."""
    s = Store(database_url)
    yield s
    s.close()


@pytest.fixture
def workspace_path(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A path for a new workspace; on PostgreSQL its register goes to a fresh database."""
    use_database_for_workspace(database_url, monkeypatch)
    yield tmp_path / "ws"
    close_stores()


@pytest.fixture(scope="session")
def rutland_extract() -> OsmExtract:
    """The Rutland OpenStreetMap extract, parsed once per test session (read-only)."""
    assert RUTLAND_PBF.is_file(), f"Rutland extract not found at {RUTLAND_PBF}"
    return read_osm_file(RUTLAND_PBF)


@pytest.fixture(scope="session")
def rutland_graph(rutland_extract: OsmExtract) -> WalkGraph:
    """Rutland's walking graph, built once per test session."""
    return build_walk_graph(rutland_extract.network)
