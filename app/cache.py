"""Every ``st.cache_*`` of the app, each bounded by ``max_entries`` and ``ttl``.

Cached functions take small hashable keys (a workspace path and a data version),
never big frames, and return data (frames, dicts), never live objects.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import streamlit as st

from assetmap.basemap import StreetLines, street_lines
from assetmap.match.needs import MatchContext, prepare_matching
from assetmap.network import WalkGraph, build_walk_graph, load_network
from assetmap.workspace import DB_FILENAME, open_workspace

_TTL = dt.timedelta(minutes=10)
_SERVER_DB_REFRESH_S = 30  # without a local file to watch, re-read a server database this often


def data_version(workspace_path: str) -> str:
    """Return a key that changes whenever the workspace's register may have changed.

    For the embedded SQLite register it is built from the database and WAL
    files' sizes and modification times; for a server database it changes
    every ``_SERVER_DB_REFRESH_S`` seconds.
    """
    folder = Path(workspace_path)
    parts = []
    for name in (DB_FILENAME, DB_FILENAME + "-wal", "workspace.json"):
        try:
            stat = (folder / name).stat()
        except OSError:
            parts.append(f"{name}:-")
        else:
            parts.append(f"{name}:{stat.st_mtime_ns}:{stat.st_size}")
    if os.environ.get("ASSETMAP_DATABASE_URL"):
        parts.append(str(int(time.time() // _SERVER_DB_REFRESH_S)))
    return "|".join(parts)


@st.cache_data(max_entries=4, ttl=_TTL, show_spinner="Loading the register…")
def load_assets(workspace_path: str, data_version: str) -> gpd.GeoDataFrame:
    """Return the workspace's current register (archived assets left out)."""
    del data_version  # part of the cache key only
    return open_workspace(workspace_path).store().assets()


@st.cache_data(max_entries=4, ttl=_TTL, show_spinner=False)
def load_settings(workspace_path: str, data_version: str) -> dict[str, Any]:
    """Return the workspace's settings (``workspace.json``)."""
    del data_version
    return open_workspace(workspace_path).settings()


def network_version(workspace_path: str) -> str:
    """Return a key that changes when the workspace's walking network file changes."""
    try:
        stat = open_workspace(workspace_path).network_path.stat()
    except OSError:
        return "-"
    return f"{stat.st_mtime_ns}:{stat.st_size}"


@st.cache_data(max_entries=2, ttl=_TTL, show_spinner="Drawing the streets…")
def load_streets(workspace_path: str, network_version: str) -> StreetLines | None:
    """Return the workspace's streets for the offline basemap (None without a network)."""
    del network_version
    workspace = open_workspace(workspace_path)
    if not workspace.network_path.is_file():
        return None
    return street_lines(load_network(workspace.network_path))


@st.cache_resource(max_entries=2, ttl=_TTL, show_spinner="Loading the walking network…")
def load_walk_graph(workspace_path: str, network_version: str) -> WalkGraph | None:
    """Return the workspace's walking graph, built once (read-only; None without a network)."""
    del network_version
    workspace = open_workspace(workspace_path)
    if not workspace.network_path.is_file():
        return None
    return build_walk_graph(load_network(workspace.network_path))


@st.cache_resource(max_entries=2, ttl=_TTL, show_spinner="Preparing the register for matching…")
def load_match_context(
    workspace_path: str, data_version: str, network_version: str
) -> MatchContext | None:
    """Return the register snapped to the walking graph and indexed (None without a network)."""
    graph = load_walk_graph(workspace_path, network_version)
    if graph is None:
        return None
    return prepare_matching(load_assets(workspace_path, data_version), graph)
