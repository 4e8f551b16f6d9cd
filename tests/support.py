"""Test support: paths to the real, read-only data in ``../shared/data`` and
small helpers.

A plain module (not ``conftest``) so test files can import it by name:
pytest gives every ``conftest.py`` the same module name, so importing
constants from one is ambiguous once a subfolder has its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
RUTLAND_PBF = SHARED_DATA / "osm-rutland" / "rutland-latest.osm.pbf"
LEEDS_OSM = SHARED_DATA / "osm-street-snippets-uk" / "leeds_city_centre.osm"
STRETFORD_OSM = SHARED_DATA / "osm-street-snippets-uk" / "manchester_kingsway_junction.osm"


def use_database_for_workspace(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point new workspaces at ``url`` (PostgreSQL) or at their own SQLite file."""
    if url.startswith("postgresql"):
        monkeypatch.setenv("ASSETMAP_DATABASE_URL", url)
    else:
        monkeypatch.delenv("ASSETMAP_DATABASE_URL", raising=False)
