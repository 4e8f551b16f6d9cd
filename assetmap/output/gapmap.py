"""The gap map: minutes on foot to the nearest service, per area, with IMD and suggested sites.

:func:`build_gap_map` is pure (the same tables give the same map) and works
offline: it starts from :func:`assetmap.output.viz.build_asset_map` (local Leaflet,
configurable tiles, "© OpenStreetMap contributors", the category's services
as markers) and adds a choropleth of areas, an optional IMD 2019 overlay
(outlines, so the minutes stay readable) and the suggested sites. Every
string from the data is HTML-escaped before it reaches the page.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> areas = gpd.GeoDataFrame(
...     {"area_code": ["E01"], "area_name": ["Oakham <North>"], "minutes": [7.5],
...      "imd_decile": [3], "n_gaps": [1]},
...     geometry=[box(-0.74, 52.66, -0.72, 52.68)], crs="EPSG:4326")
>>> fmap = build_gap_map(areas, minutes=15)
>>> html_text = fmap.get_root().render()
>>> "lt;North" in html_text, "<North>" in html_text  # escaped, never raw
(True, False)
>>> [label for label, _ in gap_legend(15)][:2]
['up to 8 min', 'up to 15 min']
"""

from __future__ import annotations

import html
import json
import math
from typing import Any, Final

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.template import Template

from assetmap.disclosure import suppress_small_counts
from assetmap.output.basemap import VerbatimMacroElement
from assetmap.output.palette import DEPRIVATION, MINUTES, NEUTRALS, OKABE_ITO
from assetmap.output.viz import DEFAULT_LEAFLET_URL, TileConfig, build_asset_map
from assetmap.schema import empty_assets
from assetmap.taxonomy import Taxonomy

__all__ = [
    "IMD_COLOURS",
    "MAP_DECIMALS",
    "MINUTE_COLOURS",
    "build_gap_map",
    "display_geometry",
    "gap_legend",
]

#: Within the limit (light) to well beyond it, then not reached at all (darkest): viridis,
#: whose lightness rises evenly, so the classes keep their order for colour-blind readers.
MINUTE_COLOURS: Final = MINUTES
#: IMD 2019 outlines: deciles 1-2, 3-4, 5-10 (one hue, three lightnesses and widths).
IMD_COLOURS: Final = DEPRIVATION
_STEPS: Final = (0.5, 1.0, 1.5, 2.0)  # multiples of the limit
#: Decimal places of the areas' coordinates on the map: 5 is about a metre, finer than
#: the screen shows; full doubles made Rutland's 23 LSOAs 139 kB of page instead of 73 kB.
MAP_DECIMALS: Final = 5


def display_geometry(areas: gpd.GeoDataFrame, decimals: int = MAP_DECIMALS) -> gpd.GeoSeries:
    """Return the areas' outlines with coordinates rounded for drawing (nothing else changes).

    Rounding only: no vertex is dropped, so neighbouring areas still meet.

    >>> from shapely.geometry import Polygon
    >>> areas = gpd.GeoDataFrame(
    ...     geometry=[Polygon([(-0.7412345678, 52.66), (-0.72, 52.6612345678), (-0.73, 52.67)])],
    ...     crs="EPSG:4326")
    >>> display_geometry(areas).iloc[0].exterior.coords[0]
    (-0.74123, 52.66)
    """
    rounded = shapely.transform(areas.geometry.values, lambda xy: np.round(xy, decimals))
    return gpd.GeoSeries(rounded, index=areas.index, crs=areas.crs)


def gap_legend(minutes: float) -> list[tuple[str, str]]:
    """Return ``(label, colour)`` for each class of the choropleth."""
    edges = [math.ceil(minutes * f) for f in _STEPS]
    labels = [f"up to {edges[0]} min", f"up to {edges[1]} min"]
    labels += [f"up to {edges[2]} min", f"up to {edges[3]} min"]
    labels += [f"over {edges[3]} min", "no service found within the search"]
    return list(zip(labels, MINUTE_COLOURS, strict=True))


def _minute_colour(value: float, minutes: float) -> str:
    if not math.isfinite(value):
        return MINUTE_COLOURS[-1]
    for colour, factor in zip(MINUTE_COLOURS, _STEPS, strict=False):
        if value <= math.ceil(minutes * factor):
            return colour
    return MINUTE_COLOURS[4]


def _imd_style(decile: Any) -> dict[str, Any] | None:
    try:
        value = int(decile)
    except (TypeError, ValueError):
        return None
    colour = IMD_COLOURS[0] if value <= 2 else IMD_COLOURS[1] if value <= 4 else IMD_COLOURS[2]
    weight = 4 if value <= 2 else 3 if value <= 4 else 1
    return {"color": colour, "weight": weight, "fillOpacity": 0.0, "dashArray": "6 4"}


class _Legend(VerbatimMacroElement):
    """A legend box in the map corner (so screenshots and prints keep it)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var legend = L.control({position: "bottomleft"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "assetmap-legend");
                div.style.background = "white";
                div.style.padding = "6px 8px";
                div.style.font = "12px sans-serif";
                div.style.borderRadius = "4px";
                div.style.boxShadow = "0 1px 4px rgba(0,0,0,0.3)";
                div.innerHTML = {{ this.html_js }};
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Legend"
        # JSON string literal, with the characters that could end a <script> escaped.
        text = json.dumps(html_text)
        for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
            text = text.replace(raw, escaped)
        self.html_js = text


def _legend_html(title: str, minutes: float, *, imd: bool) -> str:
    rows = [f"<b>{html.escape(title)}</b>"]
    for label, colour in gap_legend(minutes):
        rows.append(
            f'<div><span style="display:inline-block;width:12px;height:12px;'
            f'background:{colour};margin-right:4px;opacity:0.8"></span>{html.escape(label)}</div>'
        )
    if imd:
        rows.append("<b>IMD 2019 (outline)</b>")
        for label, colour in zip(
            ("decile 1-2 (most deprived)", "decile 3-4", "decile 5-10"), IMD_COLOURS, strict=True
        ):
            rows.append(
                f'<div><span style="display:inline-block;width:12px;height:3px;'
                f'background:{colour};margin:0 4px 3px 0"></span>{label}</div>'
            )
    rows.append(
        f'<div><span style="color:{OKABE_ITO["black"]}">&#9679;</span> suggested site</div>'
    )
    return "".join(rows)


def build_gap_map(
    areas: gpd.GeoDataFrame,
    *,
    minutes: float,
    title: str = "Minutes on foot to the nearest",
    services: gpd.GeoDataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
    imd_overlay: bool = False,
    weighted: bool = False,
    taxonomy: Taxonomy | None = None,
    tiles: TileConfig | None = None,
    leaflet_url: str = DEFAULT_LEAFLET_URL,
    height: str | int = "100%",
) -> folium.Map:
    """Draw the areas coloured by minutes to the nearest service, with optional overlays.

    Parameters
    ----------
    areas
        From :func:`assetmap.reach.sites.area_minutes` (``area_code``, ``area_name``,
        ``minutes``; ``imd_decile`` and ``n_gaps`` when present), EPSG:4326.
        Gap counts from 1 to 4 are shown as "<5" (they may count people).
    minutes
        The walking limit (sets the colour classes).
    title
        Legend title.
    services
        Assets of the category (markers).
    sites
        Suggested sites (``rank``, ``name``, ``new_demand``, Points).
    imd_overlay
        Outline areas by IMD 2019 decile.
    weighted
        The sites' ``new_demand`` is weighted by IMD (labelled so).
    taxonomy
        For the service markers' labels and colours.
    tiles
        Background tiles; none (offline) by default.
    leaflet_url
        Where Leaflet is served.
    height
        Map height.

    Returns
    -------
    folium.Map
    """
    base = services if services is not None else empty_assets()
    fmap = build_asset_map(
        base, taxonomy=taxonomy, tiles=tiles, leaflet_url=leaflet_url, height=height
    )
    # The layer control must come after every layer it lists: in the browser, a
    # layer defined after it is undefined when its script runs and the map is blank.
    # The service markers go on top of the areas: take them out, add them back below.
    services_layers = []
    for key, child in list(fmap._children.items()):
        if isinstance(child, folium.LayerControl | folium.FeatureGroup):
            del fmap._children[key]
        if isinstance(child, folium.FeatureGroup):
            services_layers.append((key, child))
    shown = areas.set_geometry(display_geometry(areas))
    shown["colour"] = [_minute_colour(float(m), minutes) for m in shown["minutes"]]
    shown["label"] = [html.escape(str(n)) for n in shown["area_name"]]
    shown["walk"] = [
        f"{m:.1f} min" if math.isfinite(float(m)) else "no service found within the search"
        for m in shown["minutes"]
    ]
    fields, aliases = ["label", "walk"], ["Area", "Walk to nearest"]
    if "imd_decile" in shown.columns:
        shown["imd"] = [
            "unknown" if pd.isna(v) else str(int(v)) for v in shown["imd_decile"].astype(object)
        ]
        fields.append("imd")
        aliases.append("IMD decile")
    if "n_gaps" in shown.columns:
        # Gaps can come from one person's search for support: 1-4 is shown as "<5".
        counts = suppress_small_counts(shown[["n_gaps"]], ["n_gaps"])["n_gaps"]
        shown["gaps"] = [html.escape(str(v)) for v in counts]
        fields.append("gaps")
        aliases.append("Gaps reported")
    keep = [*fields, "colour", "geometry"]
    choropleth = folium.GeoJson(
        shown[keep].__geo_interface__,
        name=html.escape(title),
        style_function=lambda f: {
            "fillColor": f["properties"]["colour"],
            "color": NEUTRALS["foot_text"],
            "weight": 0.6,
            "fillOpacity": 0.65,
        },
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases),
    )
    choropleth.add_to(fmap)
    if imd_overlay and "imd_decile" in areas.columns:
        outlined = shown[[_imd_style(v) is not None for v in shown["imd_decile"].astype(object)]]
        deciles = {
            code: _imd_style(v)
            for code, v in zip(
                outlined["area_code"], outlined["imd_decile"].astype(object), strict=True
            )
        }
        outlined = outlined.assign(style_code=outlined["area_code"].astype(str))
        folium.GeoJson(
            outlined[["style_code", "label", "imd", "geometry"]].__geo_interface__,
            name="IMD 2019 decile",
            style_function=lambda f: deciles[f["properties"]["style_code"]],
            interactive=False,
        ).add_to(fmap)
    for key, child in services_layers:
        fmap.add_child(child, name=key)
    if sites is not None and len(sites):
        group = folium.FeatureGroup(name="Suggested sites", show=True)
        for record in sites.to_dict("records"):
            point = record["geometry"]
            label = html.escape(f"{record.get('rank', '')}. {record.get('name', '')}")
            extra = record.get("new_demand")
            if extra is not None:  # a weighted figure is whole and says so, never "341.428"
                label += html.escape(
                    f" (+{round(float(extra)):,} newly within reach"
                    f"{', IMD-weighted' if weighted else ''})"
                )
            folium.CircleMarker(
                location=[float(point.y), float(point.x)],
                radius=9,
                color=NEUTRALS["white"],
                weight=3,
                fill=True,
                fill_color=OKABE_ITO["black"],
                fill_opacity=1.0,
                tooltip=label,
            ).add_to(group)
        group.add_to(fmap)
    _Legend(_legend_html(title, minutes, imd=imd_overlay)).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    if len(areas):
        west, south, east, north = (float(v) for v in shown.total_bounds)
        fmap.fit_bounds([[south, west], [north, east]], padding=(10, 10))
    return fmap
