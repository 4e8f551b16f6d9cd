"""Browser fixtures: a real Streamlit server on a workspace, driven by Debian chromium.

Playwright drives the system chromium (/usr/bin/chromium); no browser is ever
downloaded. The server runs ``streamlit run streamlit_app.py`` from the project
root so its ``.streamlit/config.toml`` (static serving on) applies.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from browser_support import Offline, serve
from playwright.sync_api import (
    Browser,
    FrameLocator,
    sync_playwright,
)

from assetmap.schema import validate_assets
from assetmap.taxonomy import load_taxonomy
from assetmap.workspace import close_stores, create_workspace

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = ROOT / "tests" / "artifacts"
TAG_COLUMNS = ("amenity", "social_facility", "office", "healthcare", "leisure")
# Shown as text, never run: the browser test opens this asset's popup.
HOSTILE_NAME = "<img src=x onerror=alert(1)> Hall"


def rutland_assets(pois_csv: Path) -> pd.DataFrame:
    """Return the named Rutland community POIs as asset records (plus one hostile name)."""
    taxonomy = load_taxonomy()
    raw = pd.read_csv(pois_csv, dtype=str, keep_default_na=False)
    records = []
    for row in raw.to_dict("records"):
        if not row["name"]:
            continue
        tags = {key: row[key] for key in TAG_COLUMNS if row[key]}
        records.append(
            {
                "name": row["name"],
                "lon": row["lon"],
                "lat": row["lat"],
                "categories": taxonomy.categories_for_tags(tags),
                "address": row["addr:street"] or None,
                "postcode": row["addr:postcode"] or None,
                "website": row["website"] or None,
                "opening_hours": row["opening_hours"] or None,
                "source_id": f"{row['osm_type']}/{row['id']}",
            }
        )
    records.append(
        {
            "name": HOSTILE_NAME,
            "lon": -0.60,
            "lat": 52.60,
            "categories": ("community_centre",),
            "source_id": "test/hostile",
        }
    )
    return validate_assets(pd.DataFrame(records))


@pytest.fixture(scope="session")
def rutland_workspace(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace holding Rutland's named community POIs from the shared OSM extract."""
    pois_csv = shared_data / "osm-rutland" / "pois_community_rutland.csv"
    assert pois_csv.is_file(), f"shared data missing: {pois_csv}"
    path = tmp_path_factory.mktemp("browser") / "rutland"
    workspace = create_workspace(path)
    workspace.store().import_assets(
        rutland_assets(pois_csv), source="osm", actor="test", reason="browser test fixture"
    )
    close_stores()
    return workspace.path


@pytest.fixture
def offline() -> Offline:
    """A fresh :class:`Offline` for this test: ``context = offline.context(browser, ...)``."""
    return Offline()


@pytest.fixture(scope="session")
def serve_app() -> Callable[[Path, Path], contextlib.AbstractContextManager[str]]:
    """Start the app on another workspace: ``with serve_app(path, log) as url: ...``."""
    return serve


@pytest.fixture(scope="session")
def streamlit_url(
    rutland_workspace: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Base URL of a Streamlit server running the app on the Rutland workspace."""
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    with serve(rutland_workspace, log) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless, with its own background networking off."""
    assert CHROMIUM.is_file(), f"Debian chromium not found at {CHROMIUM} (apt-get install chromium)"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


_OPEN_POPUP_JS = """(_body, needle) => {
    let found = null;
    window.map.eachLayer((layer) => {
        const tip = layer.getTooltip && layer.getTooltip();
        if (!found && tip && String(tip.getContent()).includes(needle)) {
            found = layer;
        }
    });
    found.openPopup();
    return document.querySelector(".leaflet-popup-content").innerText;
}"""


def open_popup(frame: FrameLocator, needle: str) -> str:
    """Open the popup of the map marker whose tooltip HTML holds ``needle``; return its text."""
    return str(frame.locator("body").evaluate(_OPEN_POPUP_JS, needle))


@pytest.fixture(scope="session")
def popup() -> Callable[[FrameLocator, str], str]:
    """:func:`open_popup`, for test modules (``popup(frame, "&lt;img")``)."""
    return open_popup


@pytest.fixture
def artifacts() -> Path:
    """Folder for screenshots (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
