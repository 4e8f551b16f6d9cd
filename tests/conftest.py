"""Shared fixtures: paths to the real data in ../shared/data and database backends."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
RUTLAND_PBF = SHARED_DATA / "osm-rutland" / "rutland-latest.osm.pbf"
LEEDS_OSM = SHARED_DATA / "osm-street-snippets-uk" / "leeds_city_centre.osm"
STRETFORD_OSM = SHARED_DATA / "osm-street-snippets-uk" / "manchester_kingsway_junction.osm"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only real data folder (../shared/data)."""
    assert SHARED_DATA.is_dir(), f"shared data not found at {SHARED_DATA}"
    return SHARED_DATA
