"""A workspace whose every text came in through a hostile input, for the XSS tests.

Each of the four ways text enters the register carries both payloads:

* an **OSM** extract (XML) whose ``name``/``description`` tags hold them,
  read by :func:`assetmap.ingest.osm.read_osm_file`;
* a **spreadsheet** (CSV) imported with :func:`assetmap.imports.import_file`;
* an **HSDS** feed (Open Referral UK JSON) imported the same way;
* a **mapping session**: a participant who joined with a code proposes a
  place, names a gap and comments, through :mod:`assetmap.people.sessions`.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.sax.saxutils
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pandas as pd

from assetmap.access import Principal, Role
from assetmap.imports import import_file
from assetmap.ingest.osm import read_osm_file
from assetmap.people.accounts import AuthConfig, create_user, issue_session_code, join_session
from assetmap.people.sessions import add_comment, add_gap, propose_asset, start_session
from assetmap.workspace import Workspace, create_workspace

IMG: Final = "<img src=x onerror=alert(1)>"
SCRIPT: Final = "<script>alert(1)</script>"
PAYLOADS: Final = (IMG, SCRIPT)
#: Escaped forms as they must appear in HTML.
IMG_ESCAPED: Final = "&lt;img src=x onerror=alert(1)&gt;"
SCRIPT_ESCAPED: Final = "&lt;script&gt;alert(1)&lt;/script&gt;"
ADMIN: Final = Principal("xss-admin", Role.ADMIN)
FACILITATOR: Final = Principal("fran", Role.FACILITATOR)
PASSWORD: Final = "kettle orchard lantern"
DATA: Final = Path(__file__).resolve().parents[1] / "data"
# Oakham, a few hundred metres apart
POINTS: Final = {
    "OSM": (-0.7271, 52.6703),
    "CSV": (-0.7290, 52.6712),
    "HSDS": (-0.7250, 52.6690),
    "Session": (-0.7310, 52.6720),
}


def name_for(source: str) -> str:
    """The hostile name of the asset that came in through ``source``."""
    return f"{IMG} {source} {SCRIPT}"


@dataclass(frozen=True)
class XssWorkspace:
    """The workspace and the ids a test needs."""

    workspace: Workspace
    session_id: str
    gap_id: str


def _osm_file(folder: Path) -> Path:
    lon, lat = POINTS["OSM"]
    tags = {
        "name": name_for("OSM"),
        "amenity": "library",
        "description": f"Quiet room {SCRIPT}",
        "opening_hours": "Mo-Fr 09:00-17:00",
    }
    body = "".join(
        f"<tag k={xml.sax.saxutils.quoteattr(k)} v={xml.sax.saxutils.quoteattr(v)}/>"
        for k, v in tags.items()
    )
    path = folder / "hostile.osm"
    path.write_text(
        "<?xml version='1.0' encoding='UTF-8'?>\n<osm version='0.6'>"
        f"<node id='1' lat='{lat}' lon='{lon}' version='1'>{body}</node></osm>",
        encoding="utf-8",
    )
    return path


def _csv_bytes() -> bytes:
    lon, lat = POINTS["CSV"]
    frame = pd.DataFrame(
        {
            "Organisation name": [name_for("CSV")],
            "Type": ["Library"],
            "Latitude": [lat],
            "Longitude": [lon],
            "Opening times": [f"Mon {IMG}"],
            "Website": ["https://example.org/a"],
        }
    )
    return frame.to_csv(index=False).encode()


def _hsds_file(folder: Path) -> Path:
    feed = json.loads((DATA / "hsds" / "oruk_v1_services.json").read_text(encoding="utf-8"))
    service = feed["content"][0]
    service["name"] = name_for("HSDS")
    service["description"] = f"Food {SCRIPT}"
    service["organization"]["name"] = f"Org {IMG}"
    location = service["service_at_locations"][0]["location"]
    location["longitude"], location["latitude"] = POINTS["HSDS"]
    location["name"] = f"Hall {IMG}"
    feed["content"] = [service]
    feed["totalElements"] = 1
    path = folder / "hostile_feed.json"
    path.write_text(json.dumps(feed), encoding="utf-8")
    return path


def build_xss_workspace(path: Path) -> XssWorkspace:
    """Create the workspace at ``path`` (see the module docstring); returns its ids.

    It has one facilitator account, ``fran`` (password :data:`PASSWORD`), so
    the app asks everyone to sign in.
    """
    workspace = create_workspace(path, name=f"Oakham {SCRIPT}")
    store = workspace.store()
    scratch = path / "inputs"
    scratch.mkdir()

    extract = read_osm_file(_osm_file(scratch))
    store.import_assets(extract.assets, source="osm", actor=ADMIN.user_id, reason="osm import")
    for source, filename in ((_csv_bytes(), "hostile.csv"), (_hsds_file(scratch), None)):
        outcome = import_file(workspace, source, principal=ADMIN, filename=filename)
        assert outcome.imported, outcome.preview.errors

    fast = AuthConfig(time_cost=1, memory_cost_kib=8, parallelism=1)
    create_user(store, "fran", PASSWORD, Role.FACILITATOR, actor=ADMIN, config=fast)
    session_id = start_session(
        store,
        principal=FACILITATOR,
        date=dt.date(2026, 11, 24),
        area=f"Oakham {IMG}",
        group_label=f"Tuesday group {SCRIPT}",
    )
    guest = join_session(store, issue_session_code(store, session_id, actor=FACILITATOR))
    lon, lat = POINTS["Session"]
    asset_id = propose_asset(
        store,
        session_id,
        {"name": name_for("Session"), "lon": lon, "lat": lat, "categories": ["library"],
         "description": f"Friendly {IMG}"},
        principal=guest,
    )  # fmt: skip
    gap_id = add_gap(
        store,
        session_id,
        {"need": "ete", "area": "LE15 6", "note": f"No job club {SCRIPT}"},
        principal=guest,
    )
    add_comment(store, session_id, asset_id, note=f"Great place {IMG}", principal=guest)
    return XssWorkspace(workspace=workspace, session_id=session_id, gap_id=gap_id)
