"""An offline basemap: the workspace's own OSM streets drawn as light lines.

With no internet there are no map tiles, and markers float on a plain
background that a group in a room cannot read ("where is the station?").
Every workspace already holds its walking network (``network.npz``, from
OpenStreetMap), so :func:`street_lines` turns it into street polylines:
edges are joined into whole streets at the nodes where only two edges meet
(:func:`shapely.line_merge`), simplified (Douglas-Peucker, tolerance in
metres) and rounded; the tolerance doubles until the drawing fits a point
budget (then the shortest pieces are left out), so a county (Rutland: about
40,000 edges) stays a few hundred kilobytes. :func:`add_street_layer` draws
them on a folium map on a canvas, not as SVG, and not clickable, so thousands
of lines stay fast under the markers.

Examples
--------
>>> import numpy as np
>>> from assetmap.reach.network import WalkNetwork
>>> net = WalkNetwork(node_ids=np.array([1, 2, 3]), lon=np.array([-0.73, -0.72, -0.71]),
...                   lat=np.array([52.67, 52.67, 52.67]), edge_u=np.array([0, 1], dtype=np.int32),
...                   edge_v=np.array([1, 2], dtype=np.int32), length_m=np.array([676.0, 676.0]))
>>> street_lines(net).lines  # two edges in a straight line: one street, two points
[[[52.67, -0.73], [52.67, -0.71]]]
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import folium
import numpy as np
import shapely
from branca.element import Element, Figure, MacroElement
from folium.template import Template

from assetmap.geo import M_PER_DEGREE, Bounds, inside, widen
from assetmap.output.palette import NEUTRALS
from assetmap.reach.network import WalkNetwork

__all__ = [
    "MARGIN_M",
    "STREET_COLOUR",
    "BasemapConfig",
    "StreetLines",
    "add_street_layer",
    "street_box",
    "street_lines",
    "streets_geojson",
]

logger = logging.getLogger(__name__)

STREET_COLOUR: Final = NEUTRALS["street"]
MARGIN_M: Final = 1_500.0
"""How far beyond the area a map opens on its streets reach (with ``bbox``; see
:func:`assetmap.geo.widen`): enough to pan a little or zoom out a step or two."""
_MAX_ROUNDS: Final = 12


@dataclass(frozen=True, slots=True)
class BasemapConfig:
    """How much to simplify the streets.

    Attributes
    ----------
    tolerance_m
        Douglas-Peucker tolerance to start from (metres).
    max_points
        Point budget for the whole drawing; the tolerance doubles until the
        streets fit it.
    decimals
        Decimal places kept for coordinates (5 is about a metre).
    """

    tolerance_m: float = 4.0
    max_points: int = 60_000
    decimals: int = 5

    def __post_init__(self) -> None:
        if not (math.isfinite(self.tolerance_m) and self.tolerance_m >= 0):
            msg = f"`tolerance_m` must be a non-negative number, got {self.tolerance_m!r}."
            raise ValueError(msg)
        if self.max_points < 2:
            msg = f"`max_points` must be at least 2, got {self.max_points!r}."
            raise ValueError(msg)
        if not 0 <= self.decimals <= 8:
            msg = f"`decimals` must be from 0 to 8, got {self.decimals!r}."
            raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class StreetLines:
    """Street polylines ready for Leaflet.

    Attributes
    ----------
    lines
        One list of ``[lat, lon]`` pairs per street piece (Leaflet's order).
    tolerance_m
        The simplification tolerance that fitted the point budget.
    n_points
        Points in all lines.
    n_dropped
        Street pieces left out (the shortest) because even fully simplified
        the streets did not fit the point budget.
    lines_json
        ``lines`` as compact JSON, written once here rather than on every map
        drawn (tens of thousands of points: about 0.1 s a map).
    """

    lines: list[list[list[float]]]
    tolerance_m: float
    n_points: int
    n_dropped: int = 0
    lines_json: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines_json", json.dumps(self.lines, separators=(",", ":")))


def street_box(
    bounds: Sequence[float], start: tuple[float, float], *, margin_m: float = MARGIN_M
) -> Bounds:
    """Return the box of streets to draw for a map that opens on ``bounds`` around ``start``.

    ``bounds`` (west, south, east, north; an empty area's NaNs are ignored)
    and the ``(lon, lat)`` start point, grown by ``margin_m`` and snapped
    (:func:`assetmap.geo.widen`).

    Examples
    --------
    >>> street_box([float("nan")] * 4, (-0.7271, 52.6703), margin_m=500)
    (-0.74, 52.66, -0.71, 52.68)
    """
    lon, lat = start
    west, south, east, north = (float(v) for v in bounds)
    box = (
        float(np.fmin(west, lon)),
        float(np.fmin(south, lat)),
        float(np.fmax(east, lon)),
        float(np.fmax(north, lat)),
    )
    return widen(box, margin_m, snap_deg=0.01)


def street_lines(
    network: WalkNetwork,
    *,
    config: BasemapConfig | None = None,
    bbox: Bounds | None = None,
) -> StreetLines:
    """Return the network's streets as simplified polylines.

    Parameters
    ----------
    network
        The workspace's walking network (:func:`assetmap.reach.network.load_network`).
    config
        Simplification; ``BasemapConfig()`` when omitted.
    bbox
        ``(west, south, east, north)``: keep only edges with an end inside.

    Returns
    -------
    StreetLines
        Empty lines for an empty network.
    """
    cfg = config or BasemapConfig()
    u = network.edge_u.astype(np.int64)
    v = network.edge_v.astype(np.int64)
    keep = u != v
    if bbox is not None:
        within = inside(network.lon, network.lat, bbox)
        keep &= within[u] | within[v]
    u, v = u[keep], v[keep]
    if len(u) == 0:
        return StreetLines(lines=[], tolerance_m=cfg.tolerance_m, n_points=0)
    # A local plane in degrees of latitude: longitudes scaled by cos(latitude).
    scale = math.cos(math.radians(float(np.mean(network.lat[np.concatenate([u, v])]))))
    x = network.lon * scale
    y = network.lat
    coords = np.stack(
        [np.stack([x[u], y[u]], axis=1), np.stack([x[v], y[v]], axis=1)], axis=1
    )  # (edges, 2 points, xy)
    merged = shapely.line_merge(shapely.multilinestrings(shapely.linestrings(coords)))
    parts = np.asarray(shapely.get_parts(merged))
    tolerance = cfg.tolerance_m
    for _ in range(_MAX_ROUNDS):
        simple = shapely.simplify(parts, tolerance / M_PER_DEGREE, preserve_topology=False)
        counts = shapely.get_num_coordinates(simple)
        if int(counts.sum()) <= cfg.max_points or bool(np.all(counts <= 2)):
            break
        tolerance = max(tolerance * 2, 1.0)
    n_dropped = 0
    if int(counts.sum()) > cfg.max_points:  # still too many: keep the longest streets
        order = np.argsort(-shapely.length(simple), kind="stable")
        fits = np.cumsum(counts[order]) <= cfg.max_points
        n_dropped = int((~fits).sum())
        simple = simple[np.sort(order[fits])]
    lines: list[list[list[float]]] = []
    total = 0
    for line in simple:
        xy = shapely.get_coordinates(line)
        if len(xy) < 2:
            continue
        lat = np.round(xy[:, 1], cfg.decimals)
        lon = np.round(xy[:, 0] / scale, cfg.decimals)
        pairs = np.stack([lat, lon], axis=1)
        keep_pt = np.ones(len(pairs), dtype=bool)
        keep_pt[1:] = np.any(pairs[1:] != pairs[:-1], axis=1)  # drop repeats after rounding
        pairs = pairs[keep_pt]
        if len(pairs) < 2:
            continue
        lines.append(pairs.tolist())
        total += len(pairs)
    logger.debug("basemap: %d edges -> %d lines, %d points", len(u), len(lines), total)
    return StreetLines(lines=lines, tolerance_m=tolerance, n_points=total, n_dropped=n_dropped)


def streets_geojson(streets: StreetLines) -> dict[str, Any]:
    """Return the streets as a GeoJSON FeatureCollection of one MultiLineString.

    Examples
    --------
    >>> streets_geojson(StreetLines([[[52.0, -1.0], [52.1, -1.1]]], 4.0, 2))["features"][0][
    ...     "geometry"]["coordinates"]
    [[[-1.0, 52.0], [-1.1, 52.1]]]
    """
    coordinates = [[[lon, lat] for lat, lon in line] for line in streets.lines]
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "streets"},
                "geometry": {"type": "MultiLineString", "coordinates": coordinates},
            }
        ],
    }


class _Verbatim(Element):
    """Text that goes into the page exactly as it is (never read as a Jinja template)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: Any) -> str:
        """Return the text unchanged."""
        return self.text


class VerbatimMacroElement(MacroElement):
    """A MacroElement whose rendered macros go into the page verbatim.

    branca's ``MacroElement.render`` wraps each rendered macro (``header``,
    ``html``, ``script``) in ``Element(text)``, which compiles the *output*
    as a Jinja template and renders it again. For a layer carrying thousands
    of coordinates or markers that second compile is most of a map's render
    time, and it evaluates any ``{{ ... }}`` that came from the data (an
    asset's name) as a template expression on the server. Elements built
    from data derive from this class instead.

    Examples
    --------
    >>> from folium.template import Template
    >>> class Note(VerbatimMacroElement):
    ...     _template = Template("{% macro script(this, kwargs) %}var t = {{ this.t }};"
    ...                          "{% endmacro %}")
    ...     def __init__(self) -> None:
    ...         super().__init__()
    ...         self.t = "'{{ 7*7 }}'"
    >>> fmap = folium.Map(tiles=None)
    >>> _ = Note().add_to(fmap)
    >>> "var t = '{{ 7*7 }}';" in fmap.get_root().render()
    True
    """

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # as branca's
        """Add the rendered macros to the figure verbatim, then render the children."""
        figure = self.get_root()
        if not isinstance(figure, Figure):
            msg = "Add the element to a map before rendering it."
            raise TypeError(msg)
        macros = self._template.module.__dict__
        for part in ("header", "html", "script"):
            macro = macros.get(part)
            if macro is not None:
                getattr(figure, part).add_child(
                    _Verbatim(macro(self, kwargs)), name=self.get_name()
                )
        for element in self._children.values():
            element.render(**kwargs)


class _StreetLayer(VerbatimMacroElement):
    """Street polylines on their own canvas, under the markers, not clickable."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
            var pane = map.createPane("assetmapStreets");
            pane.style.zIndex = 350;
            pane.style.pointerEvents = "none";
            var renderer = L.canvas({pane: "assetmapStreets", padding: 0.5});
            var lines = {{ this.lines_js }};
            L.polyline(lines, {
                renderer: renderer, pane: "assetmapStreets", interactive: false,
                color: {{ this.colour_js }}, weight: {{ this.weight }}, opacity: 0.8
            }).addTo(map);
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, streets: StreetLines, *, colour: str, weight: float) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "StreetLayer"
        self.lines_js = streets.lines_json  # numbers only: plain JSON is safe inside <script>
        self.colour_js = json.dumps(colour)
        self.weight = float(weight)


def add_street_layer(
    fmap: folium.Map,
    streets: StreetLines,
    *,
    colour: str = STREET_COLOUR,
    weight: float = 1.5,
) -> folium.Map:
    """Draw ``streets`` on ``fmap`` as a light background layer and return the map.

    Parameters
    ----------
    fmap
        A folium map (e.g. from :func:`assetmap.output.viz.build_asset_map`).
    streets
        From :func:`street_lines`.
    colour
        A CSS colour such as ``#9a948a``.
    weight
        Line width in pixels.

    Raises
    ------
    ValueError
        If ``colour`` is not a ``#rrggbb`` colour.
    """
    if not (
        len(colour) == 7
        and colour.startswith("#")
        and all(c in "0123456789abcdefABCDEF" for c in colour[1:])
    ):
        msg = f"`colour` must be a #rrggbb colour, got {colour!r}."
        raise ValueError(msg)
    if streets.lines:
        fmap.add_child(_StreetLayer(streets, colour=colour, weight=weight))
    return fmap
