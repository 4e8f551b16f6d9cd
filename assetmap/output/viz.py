"""Maps and tables of the register, for the app and for reports.

:func:`build_asset_map` draws an asset table on a folium (Leaflet) map: one
coloured layer per category, a layer control, popups and tooltips. It is pure:
the same table gives the same map, and nothing is fetched while building it.

Offline use. folium links Leaflet, jQuery, Bootstrap and icon fonts from CDNs,
so with no internet the whole map disappears. The map built here links only
Leaflet, from ``leaflet_url`` (by default the copy the app serves at
``/app/static/vendor/leaflet``), and draws markers as Leaflet circle markers,
so no other library or font is needed. Tiles are a setting (:class:`TileConfig`):
OpenStreetMap tiles online, none (a plain background) offline, or a local
basemap by URL template.

Safety. Every string that comes from the register (names, addresses, opening
hours...) is HTML-escaped before it reaches a popup, tooltip or layer name,
and all data reach the page as JSON with ``<``, ``>``, ``&`` and ``'``
escaped, so an asset named ``<script>...`` is shown as text and never run.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Element, Figure
from folium.template import Template

from assetmap.errors import SchemaError
from assetmap.geo import M_PER_DEGREE
from assetmap.output.basemap import StreetLines, VerbatimMacroElement, add_street_layer
from assetmap.output.palette import (
    HIGHLIGHT,
    MARKER_SHAPES,
    NEUTRALS,
    OKABE_ITO,
    UNCATEGORISED,
    MarkerStyle,
    marker_style,
    shape_svg,
)
from assetmap.schema import STORAGE_CRS
from assetmap.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "DEFAULT_LEAFLET_URL",
    "LEAFLET_VERSION",
    "OSM_ATTRIBUTION",
    "OSM_TILE_URL",
    "PALETTE",
    "UNCATEGORISED_COLOUR",
    "TileConfig",
    "add_crosshair",
    "add_walk_area",
    "area_bounds",
    "asset_table",
    "build_asset_map",
    "category_colour",
    "category_marker",
    "filter_assets",
    "find_places",
    "nearest_place",
    "tiles_from_setting",
]

LEAFLET_VERSION: Final = "1.9.4"
DEFAULT_LEAFLET_URL: Final = "/app/static/vendor/leaflet"
OSM_TILE_URL: Final = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION: Final = (
    '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)

# Category markers: Okabe-Ito colours and a shape each (assetmap.output.palette), so
# no category is told apart by colour alone.
PALETTE: Final = tuple(dict.fromkeys(marker_style(i).colour for i in range(len(MARKER_SHAPES) * 7)))
UNCATEGORISED_COLOUR: Final = UNCATEGORISED.colour
UNCATEGORISED_LABEL: Final = "No category yet"

_DEFAULT_CENTRE: Final = (52.5, -1.5)  # England, for an empty register
_DEFAULT_ZOOM: Final = 6
_MAX_ZOOM: Final = 19
_FIT_MAX_ZOOM: Final = 16
_MAX_DESCRIPTION_CHARS: Final = 300
_BACKGROUND: Final = NEUTRALS["land"]  # OSM's land colour, behind markers when there are no tiles

TileKind = Literal["osm", "none", "url"]
_TILE_KINDS: Final = ("none", "osm", "url")


@dataclass(frozen=True, slots=True)
class TileConfig:
    """Where the map's background tiles come from.

    Parameters
    ----------
    kind
        ``"osm"``: OpenStreetMap's tile server (needs the internet);
        ``"none"``: no tiles, a plain background (works offline);
        ``"url"``: a tile server or local basemap given by ``url``.
    url
        A Leaflet URL template such as ``http://127.0.0.1:8080/{z}/{x}/{y}.png``;
        only with ``kind="url"``.
    attribution
        HTML shown in the map corner for the tiles; required with ``kind="url"``.
    max_zoom
        Deepest zoom level the tiles exist for.

    Examples
    --------
    >>> TileConfig().kind
    'none'
    >>> TileConfig("url", url="http://127.0.0.1:8080/{z}/{x}/{y}.png", attribution="Local").url
    'http://127.0.0.1:8080/{z}/{x}/{y}.png'
    """

    kind: TileKind = "none"
    url: str | None = None
    attribution: str | None = None
    max_zoom: int = _MAX_ZOOM

    def __post_init__(self) -> None:
        if self.kind not in _TILE_KINDS:
            msg = f"`kind` must be one of {', '.join(_TILE_KINDS)}; got {self.kind!r}."
            raise ValueError(msg)
        if self.kind == "url":
            if not self.url or not all(f"{{{k}}}" in self.url for k in "zxy"):
                msg = f"`url` must be a tile URL template with {{z}}/{{x}}/{{y}}; got {self.url!r}."
                raise ValueError(msg)
            if not self.attribution:
                msg = "`attribution` is required for a tile URL (say whose map it is)."
                raise ValueError(msg)
        elif self.url is not None:
            msg = f"`url` is only used with kind='url', not {self.kind!r}."
            raise ValueError(msg)
        if not 0 < self.max_zoom <= 24:
            msg = f"`max_zoom` must be from 1 to 24, got {self.max_zoom!r}."
            raise ValueError(msg)


def tiles_from_setting(value: str | None, *, attribution: str | None = None) -> TileConfig:
    """Return the tile configuration a setting such as ``ASSETMAP_TILES`` names.

    Parameters
    ----------
    value
        ``"none"`` (or empty), ``"osm"``, or a tile URL template.
    attribution
        Attribution for a tile URL template.

    Returns
    -------
    TileConfig

    Raises
    ------
    ValueError
        If ``value`` is neither a known kind nor a URL template with ``{z}/{x}/{y}``.

    Examples
    --------
    >>> tiles_from_setting("OSM").kind
    'osm'
    >>> tiles_from_setting(None).kind
    'none'
    """
    text = (value or "").strip()
    if text.lower() in {"", "none"}:
        return TileConfig("none")
    if text.lower() == "osm":
        return TileConfig("osm")
    if "{z}" in text:
        return TileConfig("url", url=text, attribution=attribution)
    msg = f"Tiles must be 'none', 'osm' or a URL template with {{z}}/{{x}}/{{y}}; got {text!r}."
    raise ValueError(msg)


def category_marker(code: str, *, taxonomy: Taxonomy | None = None) -> MarkerStyle:
    """Return the marker style (colour and shape) of a category; the same code, the same style.

    Categories take :func:`assetmap.output.palette.marker_style` in taxonomy
    order, so each of the first 28 has its own (colour, shape) pair; a code the
    taxonomy does not know gets one by checksum.

    Parameters
    ----------
    code
        A category code.
    taxonomy
        The default taxonomy when omitted.

    Returns
    -------
    MarkerStyle

    Examples
    --------
    >>> category_marker("housing_support")
    MarkerStyle(colour='#0072B2', shape='circle')
    """
    tax = taxonomy or load_taxonomy()
    codes = list(tax.categories)
    return marker_style(codes.index(code) if code in tax.categories else code)


def category_colour(code: str, *, taxonomy: Taxonomy | None = None) -> str:
    """Return the marker colour of a category (:func:`category_marker` has its shape too).

    Examples
    --------
    >>> category_colour("housing_support")
    '#0072B2'
    """
    return category_marker(code, taxonomy=taxonomy).colour


def _js_literal(value: Any) -> str:
    """Return ``value`` as JSON that is safe inside an HTML ``<script>`` element."""
    return (
        json.dumps(value, ensure_ascii=True, separators=(",", ":"))
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
    )


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    text = str(value).strip()
    return text or None


def _safe_link(url: str) -> str:
    """Return a link to ``url`` if it is http(s), else the escaped text."""
    shown = html.escape(url)
    if url.lower().startswith(("http://", "https://")):
        return (
            f'<a href="{html.escape(url, quote=True)}" target="_blank" '
            f'rel="noopener noreferrer">{shown}</a>'
        )
    return shown


def _popup_html(
    record: Mapping[str, Any], labels: Sequence[str], words: Mapping[str, str] | None = None
) -> str:
    """Return the popup HTML of one asset; every value is escaped.

    With ``words``, a kind or status is shown in those words, and left out when
    it has none (so no code such as ``proposed`` reaches a participant).
    """
    lines = [f"<strong>{html.escape(str(record['name']))}</strong>"]
    if labels:
        lines.append(html.escape(", ".join(labels)))
    raw = [str(record[c]) for c in ("kind", "status") if _text(record.get(c))]
    if words is None:
        shown = [v.capitalize() for v in raw]
    else:
        shown = [words[v] for v in raw if v in words]
    kind_status = " · ".join(html.escape(v) for v in shown)
    if kind_status:
        lines.append(kind_status)
    where = ", ".join(t for t in (_text(record.get("address")), _text(record.get("postcode"))) if t)
    if where:
        lines.append(html.escape(where))
    description = _text(record.get("description"))
    if description:
        if len(description) > _MAX_DESCRIPTION_CHARS:
            description = description[: _MAX_DESCRIPTION_CHARS - 1] + "…"
        lines.append(f"<em>{html.escape(description)}</em>")
    for column, label in (("opening_hours", "Opening hours"), ("phone", "Phone")):
        text = _text(record.get(column))
        if text:
            lines.append(f"{label}: {html.escape(text)}")
    website = _text(record.get("website"))
    if website:
        lines.append(_safe_link(website))
    verified = _text(record.get("last_verified"))
    if verified:
        lines.append(f"Last checked: {html.escape(verified)}")
    return '<div class="assetmap-popup">' + "<br>".join(lines) + "</div>"


class _CircleMarkers(VerbatimMacroElement):
    """Markers of one layer (a circle, square, triangle or diamond), drawn from one JSON array.

    The shapes are Leaflet circle markers whose SVG path is drawn as the shape
    (:func:`assetmap.output.palette.shape_path`), so they size, click and
    hover exactly like circle markers.

    One element per layer instead of one ``folium.CircleMarker`` per asset: for
    5,000 assets folium's per-marker elements take about 3.7 s to render and
    3.5 MB of HTML; this loop takes a fraction of that.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (layer) {
            var style = {{ this.style_js }};
            var rows = {{ this.rows_js }};
            if (!L.AssetShape) {
                L.AssetShape = L.CircleMarker.extend({
                    _updatePath: function () {
                        var shape = this.options.shape, p = this._point, r = this._radius, d;
                        if (!shape || shape === "circle" || !this._renderer._setPath) {
                            return L.CircleMarker.prototype._updatePath.call(this);
                        }
                        if (shape === "square") {
                            var s = r * 0.88;
                            d = "M" + (p.x - s) + "," + (p.y - s) + "H" + (p.x + s) + "V"
                                + (p.y + s) + "H" + (p.x - s) + "Z";
                        } else if (shape === "triangle") {
                            var t = r * 1.2;
                            d = "M" + p.x + "," + (p.y - t) + "L" + (p.x + t) + ","
                                + (p.y + t * 0.8) + "L" + (p.x - t) + "," + (p.y + t * 0.8) + "Z";
                        } else {
                            var q = r * 1.2;
                            d = "M" + p.x + "," + (p.y - q) + "L" + (p.x + q) + "," + p.y + "L"
                                + p.x + "," + (p.y + q) + "L" + (p.x - q) + "," + p.y + "Z";
                        }
                        this._renderer._setPath(this, d);
                    }
                });
            }
            for (var i = 0; i < rows.length; i++) {
                new L.AssetShape([rows[i][0], rows[i][1]], style)
                    .bindPopup(rows[i][2], {maxWidth: 320})
                    .bindTooltip(rows[i][3], {sticky: true})
                    .addTo(layer);
            }
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        rows: list[tuple[float, float, str, str]],
        *,
        marker: MarkerStyle,
        radius: float = 7.0,
        interactive: bool = True,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "CircleMarkers"
        self.rows = rows
        self.style = {
            "radius": radius,
            "shape": marker.shape,
            "color": NEUTRALS["outline"],
            "weight": 1,
            "fillColor": marker.colour,
            "fillOpacity": 0.9,
            "interactive": interactive,
        }
        self.rows_js = _js_literal([list(r) for r in rows])
        self.style_js = _js_literal(self.style)


class _Crosshair(VerbatimMacroElement):
    """A cross fixed in the middle of the map (it does not take taps) and a crosshair cursor."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
            var cross = L.DomUtil.create("div", "assetmap-cross", map.getContainer());
            cross.setAttribute("aria-hidden", "true");
            cross.style.cssText = "position:absolute;left:50%;top:50%;width:48px;height:48px;"
                + "margin:-24px 0 0 -24px;z-index:650;pointer-events:none";
            cross.innerHTML = {{ this.svg_js }};
            map.getContainer().style.cursor = "crosshair";
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Crosshair"
        lines = "M24 2V20M24 28V46M2 24H20M28 24H46"
        svg = (
            '<svg width="48" height="48" viewBox="0 0 48 48">'
            f'<path d="{lines}" stroke="{OKABE_ITO["black"]}" stroke-width="6"/>'
            f'<path d="{lines}" stroke="{HIGHLIGHT}" stroke-width="2.5"/></svg>'
        )
        self.svg_js = _js_literal(svg)


def add_crosshair(fmap: folium.Map) -> folium.Map:
    """Put a cross in the middle of ``fmap``, for placing a pin where it points.

    The cross is drawn over the map and lets taps through; with
    ``build_asset_map(..., markers_take_taps=False)`` every tap reaches the map,
    so a pin can go right beside a marker. A page reads the map's centre to put
    the pin "at the cross".

    >>> from assetmap.schema import empty_assets
    >>> "assetmap-cross" in add_crosshair(build_asset_map(empty_assets())).get_root().render()
    True
    """
    _Crosshair().add_to(fmap)
    return fmap


class _Attribution(VerbatimMacroElement):
    """Add an attribution to the map corner (shown even when there are no tiles)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text_js }});
        {% endmacro %}
        """
    )

    def __init__(self, text: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Attribution"
        self.text = text
        self.text_js = _js_literal(text)


def _check_assets(assets: gpd.GeoDataFrame) -> None:
    if not isinstance(assets, gpd.GeoDataFrame):
        msg = f"`assets` must be a GeoDataFrame, got {type(assets).__name__}."
        raise SchemaError(msg)
    if (
        len(assets)
        and assets.crs is not None
        and assets.crs != gpd.GeoSeries([], crs=STORAGE_CRS).crs
    ):
        msg = f"CRS must be '{STORAGE_CRS}', got '{assets.crs.to_string()}'; call .to_crs() first."
        raise SchemaError(msg)
    missing = [c for c in ("name", "categories") if c not in assets.columns]
    if missing:
        msg = f"The asset table has no {', '.join(map(repr, missing))} column; validate it first."
        raise SchemaError(msg)


def _add_tiles(fmap: folium.Map, tiles: TileConfig) -> None:
    if tiles.kind == "none":
        return
    url = OSM_TILE_URL if tiles.kind == "osm" else tiles.url
    attribution = OSM_ATTRIBUTION if tiles.kind == "osm" else tiles.attribution
    folium.TileLayer(
        tiles=url,
        attr=attribution,
        name="Background map",
        max_zoom=tiles.max_zoom,
        control=False,
    ).add_to(fmap)


def build_asset_map(
    assets: gpd.GeoDataFrame,
    *,
    taxonomy: Taxonomy | None = None,
    tiles: TileConfig | None = None,
    leaflet_url: str = DEFAULT_LEAFLET_URL,
    height: str | int = "100%",
    streets: StreetLines | None = None,
    marker_radius: float = 7.0,
    markers_take_taps: bool = True,
    popup_words: Mapping[str, str] | None = None,
) -> folium.Map:
    """Draw the register on a Leaflet map with one coloured layer per category.

    An asset with several categories appears in each of their layers; assets
    with none go in a grey "No category yet" layer. The map is fitted to the
    assets (England when there are none). "© OpenStreetMap contributors" is
    always in the corner: the register is built from OpenStreetMap data.

    Parameters
    ----------
    assets
        An asset table (:func:`assetmap.schema.validate_assets`), in ``EPSG:4326``.
    taxonomy
        For category labels and colours; the default taxonomy when omitted.
    tiles
        The background; none (offline-safe) when omitted.
    leaflet_url
        Folder URL that serves Leaflet's ``leaflet.js``, ``leaflet.css`` and
        ``images/``; the app serves its vendored copy at the default.
    height
        Map height (CSS percentage string or pixels).
    streets
        Streets to draw under the markers (:func:`assetmap.output.basemap.street_lines`):
        an offline basemap from the workspace's own OSM network.
    marker_radius
        Marker radius in screen pixels (larger for touch screens).
    markers_take_taps
        ``False`` for a pin-placing mode: markers are drawn but a tap or click
        goes through them to the map (see :func:`add_crosshair`).
    popup_words
        Words for the ``kind`` and ``status`` codes in popups (for participants:
        :mod:`assetmap.wording`); a code without words is left out. Codes are
        shown capitalised when omitted.

    Returns
    -------
    folium.Map
        Links to nothing but ``leaflet_url`` (and the tile server, if any).

    Raises
    ------
    SchemaError
        If ``assets`` is not a GeoDataFrame in ``EPSG:4326`` with ``name`` and ``categories``.

    Examples
    --------
    >>> from assetmap.schema import validate_assets
    >>> import pandas as pd
    >>> assets = validate_assets(pd.DataFrame({"name": ["Oakham Library"], "lon": [-0.727],
    ...                                        "lat": [52.669], "categories": ["library"]}))
    >>> fmap = build_asset_map(assets)
    >>> [layer.layer_name.split("</svg>")[1] for layer in fmap._children.values()
    ...  if isinstance(layer, folium.FeatureGroup)]
    ['Library (books, computers, free wifi) (1)']
    """
    _check_assets(assets)
    if not marker_radius > 0:
        msg = f"`marker_radius` must be positive, got {marker_radius!r}."
        raise ValueError(msg)
    tax = taxonomy or load_taxonomy()
    tiles = tiles or TileConfig()
    base = leaflet_url.rstrip("/")

    fmap = folium.Map(
        location=list(_DEFAULT_CENTRE),
        zoom_start=_DEFAULT_ZOOM,
        tiles=None,
        height=height,
        control_scale=True,
    )
    fmap.options["max_zoom"] = tiles.max_zoom
    if tiles.kind == "none":
        fmap.options["zoom_snap"] = 0.25  # no tiles to blur, so fit the assets snugly
    # Instance attributes: folium's class-level lists are shared module state.
    fmap.default_js = [("leaflet", f"{base}/leaflet.js")]
    fmap.default_css = [("leaflet_css", f"{base}/leaflet.css")]
    if tiles.kind == "none":
        style = f"<style>.leaflet-container {{ background: {_BACKGROUND}; }}</style>"
        root = fmap.get_root()
        assert isinstance(root, Figure)  # folium.Map always sits in a Figure
        root.header.add_child(Element(style), name="assetmap_background")
    _add_tiles(fmap, tiles)
    if streets is not None:
        add_street_layer(fmap, streets)

    groups: dict[str, list[tuple[float, float, str, str]]] = {}
    for record in assets.to_dict("records"):
        point = record["geometry"]
        if point is None or point.is_empty:
            continue
        codes = tuple(record.get("categories") or ())
        labels = [tax.categories[c].plain_label for c in codes if c in tax.categories]
        row = (
            round(float(point.y), 7),
            round(float(point.x), 7),
            _popup_html(record, labels, popup_words),
            html.escape(str(record["name"])),
        )
        for code in codes or ("",):
            groups.setdefault(code, []).append(row)

    order = [c for c in tax.categories if c in groups]
    order += sorted(c for c in groups if c and c not in tax.categories)
    order += [""] if "" in groups else []
    for code in order:
        if not code:
            label, marker = UNCATEGORISED_LABEL, UNCATEGORISED
        else:
            known = tax.categories.get(code)
            label = known.plain_label if known else code
            marker = category_marker(code, taxonomy=tax)
        rows = groups[code]
        # The layer list is the key: the marker's shape and colour before each name.
        name = f"{shape_svg(marker)}{html.escape(label)} ({len(rows)})"
        group = folium.FeatureGroup(name=name, overlay=True, control=True, show=True)
        group.add_child(
            _CircleMarkers(rows, marker=marker, radius=marker_radius, interactive=markers_take_taps)
        )
        group.add_to(fmap)

    _Attribution(OSM_ATTRIBUTION).add_to(fmap)
    if order:
        folium.LayerControl(collapsed=len(order) > 8).add_to(fmap)
        west, south, east, north = (float(v) for v in assets.total_bounds)
        fmap.fit_bounds([[south, west], [north, east]], max_zoom=_FIT_MAX_ZOOM, padding=(20, 20))
    return fmap


def filter_assets(
    assets: gpd.GeoDataFrame,
    *,
    categories: Iterable[str] = (),
    kinds: Iterable[str] = (),
    statuses: Iterable[str] = (),
    name_contains: str = "",
) -> gpd.GeoDataFrame:
    """Return the assets that pass every filter given (an empty filter passes all).

    Parameters
    ----------
    assets
        An asset table.
    categories
        Keep assets in any of these category codes.
    kinds, statuses
        Keep assets with one of these values.
    name_contains
        Keep assets whose name contains this text, ignoring case (plain text, not a pattern).

    Returns
    -------
    geopandas.GeoDataFrame
        The matching rows, in their original order.

    Examples
    --------
    >>> from assetmap.schema import validate_assets
    >>> import pandas as pd
    >>> assets = validate_assets(pd.DataFrame({"name": ["Oakham Library", "Oakham Castle"],
    ...     "lon": [-0.727, -0.73], "lat": [52.669, 52.67], "categories": ["library", ""]}))
    >>> filter_assets(assets, name_contains="LIB")["name"].tolist()
    ['Oakham Library']
    """
    keep = pd.Series(True, index=assets.index)
    wanted = set(categories)
    if wanted:
        keep &= assets["categories"].map(lambda codes: bool(wanted.intersection(codes or ())))
    kind_set = set(kinds)
    if kind_set:
        keep &= assets["kind"].isin(kind_set)
    status_set = set(statuses)
    if status_set:
        keep &= assets["status"].isin(status_set)
    needle = name_contains.strip().casefold()
    if needle:
        keep &= assets["name"].map(lambda name: needle in str(name).casefold())
    return assets.loc[keep.astype(bool)]


def _squashed(value: object) -> str:
    return "".join(str(value).split()).casefold() if value is not None else ""


def find_places(assets: gpd.GeoDataFrame, query: str, *, limit: int = 20) -> gpd.GeoDataFrame:
    """Return places whose name, street address or postcode holds ``query``, best first.

    Case and spaces are ignored (``le156`` finds ``LE15 6AB``). A place whose
    name starts with the query comes before one that only holds it. The
    ``label`` column says what to show a person: the name, then the street
    and postcode when known (never coordinates).

    Examples
    --------
    >>> from assetmap.schema import validate_assets
    >>> import pandas as pd
    >>> assets = validate_assets(pd.DataFrame({"name": ["Oakham Library", "Victoria Hall"],
    ...     "lon": [-0.727, -0.729], "lat": [52.669, 52.671], "categories": ["library", ""],
    ...     "address": ["Catmos Street", "High Street"], "postcode": ["LE15 6HW", "LE15 6AB"]}))
    >>> find_places(assets, "high st")["label"].tolist()
    ['Victoria Hall · High Street, LE15 6AB']
    >>> find_places(assets, "le156")["name"].tolist()
    ['Oakham Library', 'Victoria Hall']
    """
    needle = _squashed(query)
    if not needle or assets.empty:
        return assets.iloc[0:0].assign(label=pd.Series(dtype=str))
    columns = [c for c in ("name", "address", "postcode") if c in assets.columns]
    texts = {c: assets[c].map(_squashed) for c in columns}
    hit = pd.Series(False, index=assets.index)
    for text in texts.values():
        hit |= text.str.contains(needle, regex=False)
    starts = texts["name"].str.startswith(needle)
    found = assets.loc[hit].assign(_rank=(~starts[hit]).astype(int))
    found = found.sort_values(["_rank", "name"], kind="stable").drop(columns="_rank").head(limit)

    def label(row: dict[str, object]) -> str:
        where = ", ".join(
            str(row[c]) for c in ("address", "postcode") if c in row and _squashed(row[c])
        )
        where = where if any(ch.isalpha() for ch in where) else ""
        return f"{row['name']} · {where}" if where else str(row["name"])

    return found.assign(label=[label(r) for r in found.to_dict("records")])


def nearest_place(
    assets: gpd.GeoDataFrame, point: tuple[float, float], *, within_m: float = 150.0
) -> tuple[str, str] | None:
    """Return ``(id, name)`` of the place nearest ``point`` (lon, lat) within ``within_m``.

    Lets a page say "the pin is near Oakham Library" instead of showing
    coordinates, and offer to comment on a place that was tapped.

    >>> from assetmap.schema import validate_assets
    >>> import pandas as pd
    >>> assets = validate_assets(pd.DataFrame({"id": ["a1"], "name": ["Oakham Library"],
    ...     "lon": [-0.727], "lat": [52.669], "categories": ["library"]}))
    >>> nearest_place(assets, (-0.7272, 52.6691)), nearest_place(assets, (-0.8, 52.6))
    (('a1', 'Oakham Library'), None)
    """
    if assets.empty:
        return None
    lon, lat = float(point[0]), float(point[1])
    kx = M_PER_DEGREE * np.cos(np.radians(lat))
    dx = (assets.geometry.x.to_numpy() - lon) * kx
    dy = (assets.geometry.y.to_numpy() - lat) * M_PER_DEGREE
    distance = np.hypot(dx, dy)
    best = int(np.argmin(distance))
    if distance[best] > within_m:
        return None
    return str(assets["id"].iloc[best]), str(assets["name"].iloc[best])


def area_bounds(
    assets: gpd.GeoDataFrame, area: str, *, half_height_deg: float = 0.004
) -> list[list[float]] | None:
    """Return ``[[south, west], [north, east]]`` around the places named like ``area``, if any.

    A session's area ("Oakham town centre") is matched word by word against the
    places' names, streets and postcodes (:func:`find_places`); the view is
    centred on the median of the first word that matches, about 900 m tall, so
    a map on a phone opens on the streets the group knows rather than the county.

    >>> from assetmap.schema import validate_assets
    >>> import pandas as pd
    >>> assets = validate_assets(pd.DataFrame({"name": ["Oakham Library", "Uppingham School"],
    ...     "lon": [-0.727, -0.72], "lat": [52.669, 52.588], "categories": ["library", ""]}))
    >>> area_bounds(assets, "Oakham town centre")
    [[52.665, -0.733], [52.673, -0.721]]
    >>> area_bounds(assets, "Nowhere") is None
    True
    """
    for word in area.split():
        found = find_places(assets, word, limit=500) if len(word) > 2 else assets.iloc[0:0]
        if len(found):
            lon = float(found.geometry.x.median())
            lat = float(found.geometry.y.median())
            half_width = half_height_deg * 1.5
            return [
                [round(lat - half_height_deg, 6), round(lon - half_width, 6)],
                [round(lat + half_height_deg, 6), round(lon + half_width, 6)],
            ]
    return None


_TABLE_COLUMNS: Final = {
    "name": "Name",
    "categories": "Categories",
    "kind": "Kind",
    "status": "Status",
    "address": "Address",
    "postcode": "Postcode",
    "opening_hours": "Opening hours",
    "last_verified": "Last checked",
    "source": "Source",
}


def asset_table(assets: gpd.GeoDataFrame, *, taxonomy: Taxonomy | None = None) -> pd.DataFrame:
    """Return the assets as a plain table for people to read.

    Category codes become plain labels; the geometry becomes ``Longitude`` and
    ``Latitude``.

    Parameters
    ----------
    assets
        An asset table.
    taxonomy
        For category labels; the default taxonomy when omitted.

    Returns
    -------
    pandas.DataFrame
        Indexed by asset ``id`` (when the table has one); columns ``Name``,
        ``Categories``, ``Kind``, ``Status``, ``Address``, ``Postcode``,
        ``Opening hours``, ``Last checked``, ``Source``, ``Longitude``, ``Latitude``.
    """
    tax = taxonomy or load_taxonomy()
    present = [c for c in _TABLE_COLUMNS if c in assets.columns]
    table = pd.DataFrame(assets[present]).rename(columns=_TABLE_COLUMNS)
    if "Categories" in table.columns:
        table["Categories"] = [
            ", ".join(
                tax.categories[c].plain_label if c in tax.categories else c for c in codes or ()
            )
            for codes in assets["categories"]
        ]
    table["Longitude"] = assets.geometry.x.round(6).to_numpy()
    table["Latitude"] = assets.geometry.y.round(6).to_numpy()
    if "id" in assets.columns:
        table.index = pd.Index(assets["id"].to_numpy(), name="id")
    return table


def add_walk_area(
    fmap: folium.Map,
    area: gpd.GeoDataFrame,
    *,
    start: tuple[float, float],
    minutes: float,
) -> folium.Map:
    """Draw the area within ``minutes`` walk of ``start`` on a map, and fit the map to it.

    The area (an isochrone's ``polygons``, EPSG:4326) is outlined in blue; the
    start point is a white dot with a black ring. The area is not in the layer
    control (a layer defined after the control breaks the map's script in the
    browser) and not clickable, so the services' popups stay reachable
    through it.

    Parameters
    ----------
    fmap
        The map, as :func:`build_asset_map` returns it.
    area
        ``minutes`` and ``geometry`` columns.
    start
        ``(lon, lat)`` of the start point.
    minutes
        The walking limit (for the layer's name).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from assetmap.schema import empty_assets
    >>> area = gpd.GeoDataFrame({"minutes": [15.0]}, geometry=[box(-0.75, 52.66, -0.71, 52.68)],
    ...                         crs="EPSG:4326")
    >>> fmap = add_walk_area(build_asset_map(empty_assets()), area, start=(-0.73, 52.67),
    ...                      minutes=15)
    >>> "Start point" in fmap.get_root().render()
    True
    """
    folium.GeoJson(
        area[["minutes", "geometry"]],
        name=f"Within {minutes:.0f} minutes' walk",
        control=False,
        interactive=False,
        style_function=lambda _: {"color": NEUTRALS["accent"], "weight": 2, "fillOpacity": 0.08},
    ).add_to(fmap)
    lon, lat = start
    folium.CircleMarker(
        [lat, lon], radius=7, color=OKABE_ITO["black"], weight=3, fill=True,
        fill_color=NEUTRALS["white"], fill_opacity=1, tooltip="Start point",
    ).add_to(fmap)  # fmt: skip
    west, south, east, north = (float(v) for v in area.total_bounds)
    fmap.fit_bounds([[south, west], [north, east]])
    return fmap
