from __future__ import annotations

import html
import json
import re
from pathlib import Path

import folium
import pandas as pd
import pytest

from assetmap.errors import SchemaError
from assetmap.output.viz import (
    DEFAULT_LEAFLET_URL,
    OSM_ATTRIBUTION,
    OSM_TILE_URL,
    PALETTE,
    UNCATEGORISED_COLOUR,
    TileConfig,
    asset_table,
    build_asset_map,
    category_colour,
    category_marker,
    filter_assets,
    tiles_from_setting,
)
from assetmap.schema import empty_assets, validate_assets
from assetmap.taxonomy import load_taxonomy

SCRIPT_NAME = "<script>alert(1)</script>"
IMG_NAME = "<img src=x onerror=alert(1)>"
BREAKOUT_NAME = "</script><script>alert(2)</script>`${alert(3)}`"


def _assets(records: list[dict[str, object]]) -> object:
    return validate_assets(pd.DataFrame(records))


@pytest.fixture
def oakham() -> object:
    """Four assets in Oakham: a library, a library-and-hall, a hall, and a bench group."""
    return _assets(
        [
            {"id": "a", "name": "Oakham Library", "lon": -0.7271, "lat": 52.6703,
             "categories": ["library"], "kind": "service", "status": "verified",
             "postcode": "LE15 6HW", "website": "https://www.rutland.gov.uk/libraries"},
            {"id": "b", "name": "Victoria Hall", "lon": -0.7290, "lat": 52.6712,
             "categories": ["library", "community_centre"], "kind": "informal",
             "status": "unverified"},
            {"id": "c", "name": "Barleythorpe Village Hall", "lon": -0.7420, "lat": 52.6800,
             "categories": ["community_centre"], "kind": "service", "status": "proposed"},
            {"id": "d", "name": "Park bench group (Oakham)", "lon": -0.7200, "lat": 52.6650,
             "categories": [], "kind": "activity", "status": "unverified"},
        ]
    )  # fmt: skip


@pytest.fixture
def hostile() -> object:
    """Assets whose text fields try to inject markup and script."""
    return _assets(
        [
            {"id": "x1", "name": SCRIPT_NAME, "lon": -0.72, "lat": 52.67,
             "categories": ["library"], "address": '"><svg onload=alert(4)>',
             "opening_hours": "<b>Mo-Fr</b>", "website": "javascript:alert(5)"},
            {"id": "x2", "name": IMG_NAME, "lon": -0.73, "lat": 52.66,
             "categories": ["community_centre"], "phone": "<i>01572</i>"},
            {"id": "x3", "name": BREAKOUT_NAME, "lon": -0.74, "lat": 52.65, "categories": []},
        ]
    )  # fmt: skip


def _render(fmap: folium.Map) -> str:
    return fmap.get_root().render()


def _marker_rows(page: str) -> list[list[object]]:
    """Decode every marker (lat, lon, popup HTML, tooltip HTML) the page will draw."""
    return [row for found in re.findall(r"var rows = (.*);", page) for row in json.loads(found)]


def _layers(fmap: folium.Map) -> list[folium.FeatureGroup]:
    return [c for c in fmap._children.values() if isinstance(c, folium.FeatureGroup)]


def test_hostile_names_reach_popups_and_tooltips_escaped(hostile):
    page = _render(build_asset_map(hostile))
    rows = _marker_rows(page)
    tooltips = sorted(str(row[3]) for row in rows)
    assert tooltips == sorted(html.escape(n) for n in (SCRIPT_NAME, IMG_NAME, BREAKOUT_NAME))
    popups = " ".join(str(row[2]) for row in rows)
    assert f"<strong>{html.escape(SCRIPT_NAME)}</strong>" in popups
    assert f"<strong>{html.escape(IMG_NAME)}</strong>" in popups
    assert "&quot;&gt;&lt;svg onload=alert(4)&gt;" in popups
    assert "Opening hours: &lt;b&gt;Mo-Fr&lt;/b&gt;" in popups
    assert "Phone: &lt;i&gt;01572&lt;/i&gt;" in popups
    for raw in (SCRIPT_NAME, IMG_NAME, "<svg", "<b>Mo-Fr", "<i>01572"):
        assert raw not in page
        assert raw not in popups


def test_non_web_links_are_shown_as_text_not_linked(hostile, oakham):
    hostile_popups = " ".join(str(r[2]) for r in _marker_rows(_render(build_asset_map(hostile))))
    assert "javascript:alert(5)" in hostile_popups
    assert "href" not in hostile_popups
    oakham_popups = " ".join(str(r[2]) for r in _marker_rows(_render(build_asset_map(oakham))))
    assert (
        '<a href="https://www.rutland.gov.uk/libraries" target="_blank" '
        'rel="noopener noreferrer">https://www.rutland.gov.uk/libraries</a>'
    ) in oakham_popups


def test_a_name_cannot_close_the_script_element(hostile, oakham):
    clean = _render(build_asset_map(oakham))
    page = _render(build_asset_map(hostile))
    assert page.count("<script") == clean.count("<script")
    assert page.count("</script>") == clean.count("</script>")
    # The backtick/template payload only ever sits inside a double-quoted JSON string.
    lines = [line.strip() for line in page.splitlines() if "alert(3)" in line]
    assert len(lines) == 1
    assert lines[0].startswith("var rows = [[")


def test_a_name_in_template_syntax_is_shown_as_written_not_evaluated():
    """branca used to compile each rendered layer as a Jinja template again: a name
    holding ``{{ ... }}`` was evaluated on the server (and the compile was slow)."""
    name = "{{ 7*7 }} Hall {% if true %}X{% endif %} {{ ''.__class__ }}"
    assets = _assets([{"id": "j1", "name": name, "lon": -0.72, "lat": 52.67,
                       "categories": ["library"]}])  # fmt: skip
    (row,) = _marker_rows(_render(build_asset_map(assets)))
    assert row[3] == html.escape(name)
    assert f"<strong>{html.escape(name)}</strong>" in str(row[2])


def _shown_name(layer_name: str) -> str:
    """A layer's name without the marker key (an inline SVG) before it."""
    return re.sub(r"<svg.*?</svg>", "", layer_name)


def test_each_category_has_one_layer_with_its_colour(oakham):
    tax = load_taxonomy()
    fmap = build_asset_map(oakham, taxonomy=tax)
    layers = {_shown_name(group.layer_name): group for group in _layers(fmap)}
    assert list(layers) == [
        "Library (books, computers, free wifi) (2)",
        "Community centre or hall (2)",
        "No category yet (1)",
    ]
    colours = {
        name: next(iter(group._children.values())).style["fillColor"]
        for name, group in layers.items()
    }
    assert colours == {
        "Library (books, computers, free wifi) (2)": category_colour("library", taxonomy=tax),
        "Community centre or hall (2)": category_colour("community_centre", taxonomy=tax),
        "No category yet (1)": UNCATEGORISED_COLOUR,
    }
    assert sum(isinstance(c, folium.LayerControl) for c in fmap._children.values()) == 1
    assert len(_marker_rows(_render(fmap))) == 5  # Victoria Hall is in two layers


def test_every_taxonomy_category_has_its_own_colour_and_shape():
    tax = load_taxonomy()
    markers = [category_marker(code, taxonomy=tax) for code in tax.categories]
    assert len(set(markers)) == len(tax.categories)
    assert UNCATEGORISED_COLOUR not in {m.colour for m in markers}
    assert {m.colour for m in markers} <= set(PALETTE)


def test_each_layer_is_keyed_by_its_marker_shape_and_colour(oakham):
    """The layer list shows the marker (shape and colour) before each name, and the
    markers are drawn in that shape: colour never carries the category alone."""
    tax = load_taxonomy()
    page = _render(build_asset_map(oakham, taxonomy=tax))
    for group in _layers(build_asset_map(oakham, taxonomy=tax)):
        assert group.layer_name.startswith("<svg")
    style = next(iter(_layers(build_asset_map(oakham, taxonomy=tax))[0]._children.values())).style
    assert style["shape"] == category_marker("library", taxonomy=tax).shape
    assert "L.AssetShape" in page


def test_unknown_category_codes_get_a_stable_palette_colour():
    assert category_colour("made_up") == category_colour("made_up")
    assert category_colour("made_up") in PALETTE


def test_layer_names_from_the_taxonomy_are_escaped(oakham):
    tax = load_taxonomy()
    fake = type(tax)(
        needs=tax.needs,
        glm_goods=tax.glm_goods,
        categories={
            code: (cat if code != "library" else type(cat)(**{
                **{f: getattr(cat, f) for f in cat.__slots__}, "plain_label": "<b>Books</b>"}))
            for code, cat in tax.categories.items()
        },
    )  # fmt: skip
    names = [
        _shown_name(group.layer_name) for group in _layers(build_asset_map(oakham, taxonomy=fake))
    ]
    assert names[0] == "&lt;b&gt;Books&lt;/b&gt; (2)"


@pytest.mark.parametrize(
    "tiles",
    [
        TileConfig("none"),
        TileConfig("osm"),
        TileConfig("url", url="http://127.0.0.1:8080/{z}/{x}/{y}.png", attribution="Local tiles"),
    ],
    ids=["none", "osm", "url"],
)
def test_openstreetmap_attribution_is_always_added(oakham, tiles):
    page = _render(build_asset_map(oakham, tiles=tiles))
    assert "attributionControl.addAttribution(" in page
    added = re.findall(r"attributionControl\.addAttribution\((.*)\);", page)
    assert [json.loads(a) for a in added] == [OSM_ATTRIBUTION]
    assert "<a " not in page  # markup reaches the script only as JSON with < escaped
    assert re.sub(r"<[^>]+>", "", OSM_ATTRIBUTION) == "© OpenStreetMap contributors"


def test_no_tiles_means_no_tile_layer_and_nothing_to_fetch(oakham):
    page = _render(build_asset_map(oakham, tiles=TileConfig("none")))
    assert "L.tileLayer" not in page
    assert "{z}" not in page


def test_osm_and_url_tiles_are_added(oakham):
    osm = _render(build_asset_map(oakham, tiles=TileConfig("osm")))
    assert osm.count("L.tileLayer(") == 1
    assert f'"{OSM_TILE_URL}"' in osm
    local = _render(
        build_asset_map(
            oakham,
            tiles=TileConfig(
                "url", url="http://127.0.0.1:8080/{z}/{x}/{y}.png", attribution="Mine"
            ),
        )
    )
    assert '"http://127.0.0.1:8080/{z}/{x}/{y}.png"' in local
    assert '"attribution": "Mine"' in local


def test_only_the_local_leaflet_is_linked(oakham):
    page = _render(build_asset_map(oakham, leaflet_url="/base/app/static/vendor/leaflet/"))
    scripts = re.findall(r'<script[^>]*\ssrc="([^"]+)"', page)
    styles = re.findall(r'<link[^>]*\shref="([^"]+)"', page)
    assert scripts == ["/base/app/static/vendor/leaflet/leaflet.js"]
    assert styles == ["/base/app/static/vendor/leaflet/leaflet.css"]
    for library in ("jquery", "bootstrap", "awesome", "fontawesome", "cdn."):
        assert library not in page.lower()


def test_default_leaflet_url_is_what_the_app_serves(oakham):
    page = _render(build_asset_map(oakham))
    assert f'src="{DEFAULT_LEAFLET_URL}/leaflet.js"' in page
    assert DEFAULT_LEAFLET_URL == "/app/static/vendor/leaflet"


def test_building_a_map_leaves_folium_defaults_alone(oakham):
    before = (list(folium.Map.default_js), list(folium.Map.default_css))
    build_asset_map(oakham)
    assert (folium.Map.default_js, folium.Map.default_css) == before
    assert folium.Map().default_js[0][1].startswith("https://")


def test_vendored_leaflet_files_exist():
    folder = Path(__file__).resolve().parents[2] / "app" / "static" / "vendor" / "leaflet"
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert names == [
        "LICENSE",
        "SOURCE.md",
        "images/layers-2x.png",
        "images/layers.png",
        "images/marker-icon-2x.png",
        "images/marker-icon.png",
        "images/marker-shadow.png",
        "leaflet.css",
        "leaflet.js",
    ]
    assert 'version="1.9.4"' in (folder / "leaflet.js").read_text(encoding="utf-8")


def test_an_empty_register_gives_a_map_of_england_without_layers():
    fmap = build_asset_map(empty_assets())
    assert _layers(fmap) == []
    assert not any(isinstance(c, folium.LayerControl) for c in fmap._children.values())
    assert fmap.location == [52.5, -1.5]
    assert "addAttribution" in _render(fmap)


def test_the_map_is_fitted_to_the_assets(oakham):
    page = _render(build_asset_map(oakham))
    fitted = re.search(r"fitBounds\(\s*(\[\[.*?\]\])", page, flags=re.DOTALL)
    assert fitted is not None
    assert json.loads(fitted.group(1)) == [[52.665, -0.742], [52.68, -0.72]]


def test_rejects_projected_input(oakham):
    with pytest.raises(SchemaError, match="CRS must be 'EPSG:4326'"):
        build_asset_map(oakham.to_crs(27700))


def test_rejects_a_plain_dataframe():
    with pytest.raises(SchemaError, match="must be a GeoDataFrame"):
        build_asset_map(pd.DataFrame({"name": ["x"]}))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "satellite"}, "`kind` must be one of none, osm, url"),
        ({"kind": "url", "url": "http://x/tiles.png", "attribution": "x"}, "{z}/{x}/{y}"),
        ({"kind": "url", "url": "http://x/{z}/{x}/{y}.png"}, "`attribution` is required"),
        ({"kind": "osm", "url": "http://x/{z}/{x}/{y}.png"}, "only used with kind='url'"),
        ({"kind": "none", "max_zoom": 0}, "`max_zoom` must be from 1 to 24"),
    ],
)
def test_tile_config_checks_itself(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        TileConfig(**kwargs)


def test_tiles_from_setting_reads_kinds_and_url_templates():
    assert tiles_from_setting(None) == TileConfig("none")
    assert tiles_from_setting(" none ") == TileConfig("none")
    assert tiles_from_setting("OSM") == TileConfig("osm")
    assert tiles_from_setting("http://h/{z}/{x}/{y}.png", attribution="A") == TileConfig(
        "url", url="http://h/{z}/{x}/{y}.png", attribution="A"
    )
    with pytest.raises(ValueError, match="Tiles must be 'none', 'osm' or a URL template"):
        tiles_from_setting("satellite")


def test_filters_combine_and_empty_filters_pass_everything(oakham):
    assert filter_assets(oakham)["id"].tolist() == ["a", "b", "c", "d"]
    assert filter_assets(oakham, categories=["library"])["id"].tolist() == ["a", "b"]
    assert filter_assets(oakham, categories=["community_centre"], kinds=["service"])[
        "id"
    ].tolist() == ["c"]
    assert filter_assets(oakham, statuses=["unverified"])["id"].tolist() == ["b", "d"]
    assert filter_assets(oakham, name_contains="  HALL ")["id"].tolist() == ["b", "c"]
    assert filter_assets(oakham, name_contains="(oakham)")["id"].tolist() == ["d"]
    assert filter_assets(oakham, categories=["dentist"]).empty


def test_asset_table_uses_plain_labels(oakham):
    table = asset_table(oakham)
    assert table.index.tolist() == ["a", "b", "c", "d"]
    assert table.columns.tolist() == [
        "Name", "Categories", "Kind", "Status", "Address", "Postcode", "Opening hours",
        "Last checked", "Source", "Longitude", "Latitude",
    ]  # fmt: skip
    assert table.loc["b", "Categories"] == (
        "Library (books, computers, free wifi), Community centre or hall"
    )
    assert table.loc["d", "Categories"] == ""
    assert (table.loc["a", "Longitude"], table.loc["a", "Latitude"]) == (-0.7271, 52.6703)


def test_the_walk_area_is_drawn_unclickable_and_the_map_fits_it():
    import geopandas as gpd
    from shapely.geometry import box

    from assetmap.output.viz import add_walk_area
    from assetmap.schema import empty_assets

    area = gpd.GeoDataFrame(
        {"minutes": [15.0]}, geometry=[box(-0.75, 52.66, -0.71, 52.68)], crs="EPSG:4326"
    )
    html = (
        add_walk_area(build_asset_map(empty_assets()), area, start=(-0.73, 52.67), minutes=15)
        .get_root()
        .render()
    )
    assert "Start point" in html
    assert "[[52.66, -0.75], [52.68, -0.71]]" in html
    assert '"interactive": false' in html
    assert "Within 15 minutes' walk" not in html  # not listed in the layer control


def test_popup_words_replace_kind_and_status_codes(oakham):
    """A participant's map says "Not checked yet", never the code "proposed"."""
    words = {"service": "Help or advice", "proposed": "Not checked yet"}
    rows = _marker_rows(_render(build_asset_map(oakham, popup_words=words)))
    popups = " ".join(str(r[2]) for r in rows)
    assert "Not checked yet" in popups
    assert "Help or advice" in popups
    for code in ("roposed", "Informal", "Verified"):
        assert code not in popups
