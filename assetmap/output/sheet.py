"""The support sheet: a printable page of chosen services for a person to take away.

:func:`support_sheet_html` lays out the services the worker chose (name,
walking minutes, address, opening times, contact details) with a small map
drawn as inline SVG from the workspace's own walking network and the
services' points: no tiles, no internet. :func:`support_sheet_pdf` prints
it to PDF with WeasyPrint.

Nothing about the person is on the sheet unless the worker passes it: no
reference, no start point (``start`` is drawn only when given), and the
``note`` is the worker's own words. Every string is HTML-escaped.

Examples
--------
>>> import pandas as pd
>>> services = pd.DataFrame({"name": ["Oakham <Library>"], "lon": [-0.7259], "lat": [52.6693],
...                          "minutes": [4.2], "hours": ["Mon-Fri 09:30-17:00"]})
>>> page = support_sheet_html(services, made_on=dt.date(2026, 11, 24))
>>> "Oakham &lt;Library&gt;" in page, "<Library>" in page, "4 min walk" in page
(True, False, True)
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from assetmap.errors import SchemaError
from assetmap.geo import M_PER_DEGREE
from assetmap.moderation_state import UNCHECKED_LABEL, is_checked
from assetmap.output.palette import SHEET_COLOURS
from assetmap.reach.network import WalkNetwork
from assetmap.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "MAX_SERVICES",
    "pdf_from_html",
    "route_text",
    "sheet_colour",
    "sheet_map_svg",
    "support_sheet_html",
    "support_sheet_pdf",
    "travel_label",
]

logger = logging.getLogger(__name__)

MAX_SERVICES: Final = 20
MAX_NOTE_CHARS: Final = 1000
_MIN_SPAN_M: Final = 500.0

_CSS: Final = """
@page { size: A4; margin: 14mm 14mm 16mm 14mm; }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10.5pt; color: #111; }
h1 { font-size: 17pt; margin: 0 0 2mm 0; }
.made { color: #444; margin: 0 0 3mm 0; }
.note { border-left: 3px solid #1f5fa8; padding: 1mm 3mm; margin: 0 0 4mm 0; }
.map { text-align: center; margin: 0 0 4mm 0; }
.map svg { border: 1px solid #999; }
ol.services { list-style: none; padding: 0; margin: 0; }
ol.services li { border-bottom: 1px solid #ccc; padding: 2.2mm 0; page-break-inside: avoid; }
.num { display: inline-block; width: 6mm; height: 6mm; line-height: 6mm; border-radius: 3mm;
       color: #fff; text-align: center; font-weight: bold; font-size: 9pt; margin-right: 2mm; }
.name { font-weight: bold; font-size: 12pt; }
.walk { float: right; font-weight: bold; }
.unchecked { border: 1.5px solid #b3261e; color: #b3261e; font-weight: bold; font-size: 9pt;
             padding: 0 1.5mm; margin-left: 2mm; }
dl { margin: 1mm 0 0 8mm; }
dt { float: left; clear: left; width: 24mm; color: #444; }
dd { margin: 0 0 0.6mm 25mm; }
.foot { color: #555; font-size: 8.5pt; margin-top: 4mm; }
"""


def sheet_colour(number: int) -> str:
    """Return the colour of service ``number`` (from 1) on a sheet's map and list.

    Okabe & Ito's colour-vision-safe colours that hold white numbers
    (:data:`assetmap.output.palette.SHEET_COLOURS`); the number is the cue, not the colour.

    >>> sheet_colour(1), sheet_colour(7)
    ('#0072B2', '#0072B2')
    """
    return SHEET_COLOURS[(number - 1) % len(SHEET_COLOURS)]


def _text(value: Any) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    text = " ".join(str(value).split())
    return text or None


def _check(services: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("name", "lon", "lat") if c not in services.columns]
    if missing:
        msg = f"The services table lacks column(s) {', '.join(missing)}."
        raise SchemaError(msg)
    if services.empty:
        msg = "Choose at least one service for the sheet."
        raise SchemaError(msg)
    if len(services) > MAX_SERVICES:
        msg = f"A sheet holds at most {MAX_SERVICES} services, got {len(services)}."
        raise SchemaError(msg)
    lon = pd.to_numeric(services["lon"], errors="coerce")
    lat = pd.to_numeric(services["lat"], errors="coerce")
    bad = ~(lon.between(-180, 180) & lat.between(-90, 90))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        msg = f"service {row}: `lon`/`lat` are missing or out of range."
        raise SchemaError(msg)
    return services.reset_index(drop=True)


def sheet_map_svg(
    services: pd.DataFrame,
    *,
    network: WalkNetwork | None = None,
    start: tuple[float, float] | None = None,
    width: int = 640,
    height: int = 360,
    street_labels: Sequence[tuple[str, float, float, float]] = (),
    start_label: str | None = None,
) -> str:
    """Draw the services (numbered) over the streets around them, as an SVG string.

    Parameters
    ----------
    services
        ``name``, ``lon``, ``lat`` per service, in sheet order.
    network
        The walking network; only streets inside the map's frame are drawn.
    start
        ``(lon, lat)`` of a start point to mark, only if the worker chose to.
    width, height
        Size in CSS pixels.
    street_labels
        ``(name, lon, lat, angle in degrees)`` of street names to write on the map.
    start_label
        Words written beside the start point (e.g. "You start here").

    Returns
    -------
    str
        An ``<svg>`` element (no external references).

    Raises
    ------
    SchemaError
        If a service lacks a valid point.
    """
    table = _check(services)
    lon = table["lon"].astype(float).to_numpy()
    lat = table["lat"].astype(float).to_numpy()
    if start is not None:
        lon = np.append(lon, float(start[0]))
        lat = np.append(lat, float(start[1]))
    mid_lat = float((lat.min() + lat.max()) / 2)
    kx = M_PER_DEGREE * math.cos(math.radians(mid_lat))
    ky = M_PER_DEGREE
    cx, cy = float((lon.min() + lon.max()) / 2), mid_lat
    span_x = max((lon.max() - lon.min()) * kx * 1.3, _MIN_SPAN_M)
    span_y = max((lat.max() - lat.min()) * ky * 1.3, _MIN_SPAN_M)
    metres_per_px = max(span_x / width, span_y / height)

    def to_px(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        px = width / 2 + (x - cx) * kx / metres_per_px
        py = height / 2 - (y - cy) * ky / metres_per_px
        return px, py

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Map of the services">',
        f'<rect width="{width}" height="{height}" fill="#f7f5ef"/>',
    ]
    if network is not None and network.n_edges:
        parts.append(_streets(network, to_px, width, height))
    for label_text, label_lon, label_lat, angle in street_labels:
        lx, ly = to_px(np.array([float(label_lon)]), np.array([float(label_lat)]))
        half = 3.6 * len(label_text) + 4  # DejaVu Sans 12 px: about 7 px a letter
        parts.append(
            f'<g transform="rotate({angle:.0f} {lx[0]:.1f} {ly[0]:.1f})">'
            f'<rect x="{lx[0] - half:.1f}" y="{ly[0] - 11:.1f}" width="{2 * half:.1f}" '
            'height="15" rx="3" fill="#fff" opacity="0.85"/>'
            f'<text x="{lx[0]:.1f}" y="{ly[0]:.1f}" text-anchor="middle" '
            'font-family="DejaVu Sans, Arial" font-size="12" font-style="italic" '
            f'fill="#222">{html.escape(label_text)}</text></g>'
        )
    scale_m = _nice_scale(metres_per_px * width / 4)
    bar = scale_m / metres_per_px
    label = f"{scale_m / 1000:g} km" if scale_m >= 1000 else f"{scale_m:g} m"
    parts.append(
        f'<g font-family="DejaVu Sans, Arial" font-size="11"><rect x="8" y="{height - 24}" '
        f'width="{bar + 50:.0f}" height="18" fill="#fff" opacity="0.8"/>'
        f'<line x1="12" y1="{height - 12}" x2="{12 + bar:.1f}" y2="{height - 12}" '
        f'stroke="#000" stroke-width="2"/><text x="{16 + bar:.1f}" y="{height - 8}">'
        f"{label}</text></g>"
    )
    if start is not None:
        sx, sy = to_px(np.array([float(start[0])]), np.array([float(start[1])]))
        parts.append(
            f'<rect x="{sx[0] - 6:.1f}" y="{sy[0] - 6:.1f}" width="12" height="12" '
            'fill="#000" stroke="#fff" stroke-width="2"/>'
        )
        if start_label:
            wide = 8.5 * len(start_label) + 8  # bold 14 px
            left = sx[0] + 10 if sx[0] + 10 + wide < width else sx[0] - 10 - wide
            parts.append(
                f'<rect x="{left:.1f}" y="{sy[0] - 12:.1f}" width="{wide:.1f}" height="22" '
                'rx="4" fill="#fff" stroke="#000" stroke-width="1.5"/>'
                f'<text x="{left + wide / 2:.1f}" y="{sy[0] + 4:.1f}" text-anchor="middle" '
                'font-family="DejaVu Sans, Noto Sans Arabic, Arial" font-size="14" '
                f'font-weight="bold" fill="#000">{html.escape(start_label)}</text>'
            )
    px, py = to_px(table["lon"].astype(float).to_numpy(), table["lat"].astype(float).to_numpy())
    for number in range(len(table), 0, -1):  # the first on top
        colour = sheet_colour(number)
        x, y = px[number - 1], py[number - 1]
        parts.append(
            f'<g><circle cx="{x:.1f}" cy="{y:.1f}" r="10" fill="{colour}" stroke="#fff" '
            f'stroke-width="2"/><text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" '
            'font-family="DejaVu Sans, Arial" font-size="11" font-weight="bold" '
            f'fill="#fff">{number}</text></g>'
        )
    parts.append(
        f'<text x="{width - 6}" y="{height - 6}" text-anchor="end" font-family="DejaVu Sans, '
        'Arial" font-size="9" fill="#333">© OpenStreetMap contributors</text></svg>'
    )
    return "".join(parts)


def _streets(network: WalkNetwork, to_px: Any, width: int, height: int) -> str:
    x, y = to_px(np.asarray(network.lon, dtype=float), np.asarray(network.lat, dtype=float))
    inside = (x > -50) & (x < width + 50) & (y > -50) & (y < height + 50)
    u, v = np.asarray(network.edge_u), np.asarray(network.edge_v)
    keep = inside[u] | inside[v]
    u, v = u[keep], v[keep]
    segments = " ".join(
        f"M{a:.1f} {b:.1f}L{c:.1f} {d:.1f}"
        for a, b, c, d in zip(x[u], y[u], x[v], y[v], strict=True)
    )
    return f'<path d="{segments}" stroke="#b9b4a7" stroke-width="1.4" fill="none"/>'


def _nice_scale(metres: float) -> float:
    for step in (50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if step >= metres * 0.6:
            return float(step)
    return 20000.0


def _unchecked_badge(row: Mapping[Any, Any]) -> str:
    if "status" not in row or is_checked(row["status"]):
        return ""
    return f'<span class="unchecked">{html.escape(UNCHECKED_LABEL)}</span>'


def _kinds(codes: Any, taxonomy: Taxonomy | None) -> str | None:
    """Plain labels of a service's categories ("Dentist; Chemist (pharmacy)"), if any.

    Text is taken as labels already (the ``categories`` column of match results).
    """
    if isinstance(codes, str):
        return _text(codes)
    if taxonomy is None or codes is None or isinstance(codes, float):
        return None
    labels = [taxonomy.categories[c].plain_label for c in codes if c in taxonomy.categories]
    return "; ".join(dict.fromkeys(labels)) or None


def _travel(row: Mapping[Any, Any]) -> str:
    travel = row.get("travel")
    return travel if travel in ("bike", "transit") else "walk"


def travel_label(minutes: float, row: Mapping[Any, Any]) -> str:
    """Say how long getting to a service takes, by the way it was measured.

    ``row["travel"]`` is ``"walk"`` (or absent), ``"bike"`` or ``"transit"``;
    for public transport, a ``route`` (:meth:`Journey.to_record
    <assetmap.reach.transit_times.Journey.to_record>`) means a ride, none a walk.

    Examples
    --------
    >>> travel_label(4.2, {}), travel_label(8.6, {"travel": "bike"})
    ('4 min walk', '9 min by bike')
    >>> travel_label(24.0, {"travel": "transit", "route": {"rides": [{"vehicle": "bus"}]}})
    '24 min by bus'
    """
    whole = max(1, round(minutes))
    travel = _travel(row)
    route = row.get("route")
    if travel == "bike":
        return f"{whole} min by bike"
    if travel == "transit" and isinstance(route, Mapping) and route.get("rides"):
        vehicles = " and ".join(dict.fromkeys(str(r["vehicle"]) for r in route["rides"]))
        return f"{whole} min by {vehicles}"
    return f"{whole} min walk"


def route_text(route: Any) -> str | None:
    """Return a public transport journey in words for the sheet (``None`` for none).

    The line says each walk and vehicle, then the departure and arrival
    times of the journey measured, as an example of when to go.

    Examples
    --------
    >>> text = route_text({"text": "Walk 4 min to Market Place, bus 19 to High Street: 9 min "
    ...     "door to door", "rides": [{"vehicle": "bus", "route": "19", "board": "Market Place",
    ...     "alight": "High Street", "depart": "08:14", "arrive": "08:19"}]})
    >>> for line in text.split(". "): print(line)
    Walk 4 min to Market Place, bus 19 to High Street: 9 min door to door
    For example: bus 19 leaves Market Place at 08:14, arrives at High Street at 08:19.
    """
    if not isinstance(route, Mapping) or not route.get("rides"):
        return None
    example = "; ".join(
        f"{r['vehicle']} {r['route']} leaves {r['board']} at {r['depart']}, "
        f"arrives at {r['alight']} at {r['arrive']}"
        for r in route["rides"]
    )
    return f"{route['text']}. For example: {example}."


def _times_note(table: pd.DataFrame) -> str:
    modes = {_travel(r) for r in table.to_dict("records")} if len(table) else {"walk"}
    notes = {
        "walk": "Walking times at an easy pace.",
        "bike": "Cycling times on roads and paths a bike may use.",
        "transit": "Public transport times from the timetable, walking to and from the stops "
        "(they change with the time you leave).",
    }
    return " ".join(notes[m] for m in ("walk", "bike", "transit") if m in modes)


def support_sheet_html(
    services: pd.DataFrame,
    *,
    network: WalkNetwork | None = None,
    title: str = "Places that can help",
    note: str | None = None,
    start: tuple[float, float] | None = None,
    made_on: dt.date | None = None,
    extra_lines: Sequence[str] = (),
    helplines: pd.DataFrame | None = None,
) -> str:
    """Return the sheet as a standalone HTML page (print-ready, A4).

    Parameters
    ----------
    services
        The chosen services in order: ``name``, ``lon``, ``lat`` and any of
        ``minutes``, ``categories`` (codes, or labels as text: shown as what
        each place is),
        ``address`` (left out when it has no letters, e.g. a house number
        alone), ``postcode``, ``hours`` (or ``opening_hours``), ``phone``,
        ``email``, ``website``, ``travel`` and ``route`` (how the minutes
        were measured and, for public transport, the journey: see
        :func:`travel_label` and :func:`route_text`), ``status`` (a place no facilitator has
        checked yet, status ``proposed``, is printed with a red
        "not yet checked" label beside its name, on screen and on paper).
    network
        The walking network for the map's streets.
    title
        The heading.
    note
        A note from the worker (their words; shown as given, escaped).
    start
        ``(lon, lat)`` to mark on the map: only if the worker chose to.
    made_on
        The date printed on the sheet (today by default).
    extra_lines
        Further lines the worker chose to add (e.g. their own phone number).
    helplines
        National helplines to print under the places (``name``, ``phone``,
        ``hours``): no walking, any time they are open.

    Returns
    -------
    str

    Raises
    ------
    SchemaError
        No services, too many, a service without a valid point, or a note
        longer than 1,000 characters.
    """
    table = _check(services)
    codes = table["categories"] if "categories" in table.columns else pd.Series([], dtype=object)
    taxonomy = load_taxonomy() if any(not isinstance(c, str) for c in codes) else None
    if note is not None and len(note) > MAX_NOTE_CHARS:
        msg = f"The note is {len(note):,} characters long; the limit is {MAX_NOTE_CHARS:,}."
        raise SchemaError(msg)
    esc = html.escape
    day = made_on or dt.date.today()
    items = []
    for number, row in enumerate(table.to_dict("records"), start=1):
        colour = sheet_colour(number)
        minutes = row.get("minutes")
        walk = ""
        if minutes is not None and not (isinstance(minutes, float) and math.isnan(minutes)):
            walk = f'<span class="walk">{travel_label(float(minutes), row)}</span>'
        # A street address needs letters: OSM sometimes has a house number alone ("74").
        street = _text(row.get("address"))
        street = street if street and any(c.isalpha() for c in street) else None
        address = ", ".join(x for x in (street, _text(row.get("postcode"))) if x)
        details = [
            ("What", _kinds(row.get("categories"), taxonomy)),
            ("Address", address or None),
            ("Route", route_text(row.get("route"))),
            ("Open", _text(row.get("hours")) or _text(row.get("opening_hours"))),
            ("Phone", _text(row.get("phone"))),
            ("Email", _text(row.get("email"))),
            ("Website", _text(row.get("website"))),
        ]
        rows = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in details if v)
        items.append(
            f'<li><span class="num" style="background:{colour}">{number}</span>'
            f'<span class="name">{esc(str(_text(row["name"]) or "Unnamed"))}</span>'
            f"{_unchecked_badge(row)}{walk}"
            f"<dl>{rows}</dl></li>"
        )
    note_html = f'<p class="note">{esc(" ".join(note.split()))}</p>' if note else ""
    extra = "".join(f"<p>{esc(line)}</p>" for line in extra_lines if line.strip())
    if helplines is not None and len(helplines):
        phones = "".join(
            f'<li><span class="name">{esc(str(h["name"]))}</span>: '
            f"<b>{esc(str(h['phone']))}</b> ({esc(str(h['hours']))})</li>"
            for h in helplines.to_dict("records")
        )
        extra = f'<h2>Phone lines</h2><ul class="phones">{phones}</ul>{extra}'

    svg = sheet_map_svg(table, network=network, start=start)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{esc(title)}</h1>"
        f'<p class="made">Made on {day.strftime("%d %B %Y").lstrip("0")}. '
        f"{_times_note(table)} Check opening times before you go.</p>"
        f'{note_html}<div class="map">{svg}</div>'
        f'<ol class="services">{"".join(items)}</ol>{extra}'
        '<p class="foot">Map data © OpenStreetMap contributors (ODbL).</p>'
        "</body></html>"
    )


def pdf_from_html(page_html: str) -> bytes:
    """Print an HTML page to PDF bytes with WeasyPrint, fetching nothing.

    The page is rendered with a URL fetcher that allows ``data:`` URIs only:
    no ``http(s)://`` (no request to the internet or to a service on the
    server's own network), no ``file://`` (no file of the server's), and no
    relative URL (there is no base URL). A refused resource is left out of
    the PDF; the text is still printed. Our pages inline everything they
    draw (the map is SVG in the page), so nothing of ours is lost.

    Raises
    ------
    SchemaError
        If WeasyPrint returns no PDF.
    """
    import weasyprint
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=1)
    pdf = weasyprint.HTML(string=page_html, base_url=None, url_fetcher=fetcher).write_pdf()
    if pdf is None:  # pragma: no cover - only when a target file is given
        msg = "WeasyPrint returned no PDF."
        raise SchemaError(msg)
    return bytes(pdf)


def support_sheet_pdf(page_html: str) -> bytes:
    """Print a sheet (from :func:`support_sheet_html`) to PDF bytes (:func:`pdf_from_html`)."""
    return pdf_from_html(page_html)
