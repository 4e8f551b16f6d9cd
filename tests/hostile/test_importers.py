"""Hostile input to every importer: spreadsheets (CSV, XLSX), HSDS JSON and OSM tags.

Each import returns a result or raises an :class:`~assetmap.errors.AssetMapError`
subclass; anything else fails the test. Files that do not parse at all
(random bytes, truncated or corrupted zips) must also end in assetmap's errors.
"""

from __future__ import annotations

import io
import json
import tempfile
import xml.sax.saxutils
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from hostile._hostile import hostile, hostile_text
from hypothesis import assume, example, given
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.utils.exceptions import IllegalCharacterError
from shapely.geometry import Point

from assetmap.errors import AssetMapError
from assetmap.ingest.hsds import assets_from_hsds, read_hsds
from assetmap.ingest.osm import assets_from_osm_features, is_walkable, read_osm_file
from assetmap.ingest.tabular import assets_from_table, propose_column_mapping, read_table
from assetmap.schema import STORAGE_CRS

HEADERS = st.sampled_from(
    ["name", "Service name", "Organisation", "lat", "Latitude", "lon", "Longitude", "Easting",
     "postcode", "Post Code", "category", "Type", "phone", "email", "website", "Opening times",
     "Age", "Cost", "Women only", "", "name", "=1+1", "<b>x</b>"]
)  # fmt: skip
CELLS = st.one_of(
    hostile_text,
    st.sampled_from(["52.67", "-0.72", "LE15 6HW", "le156al", "library", "Food Bank", "free"]),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers(-(10**20), 10**20).map(str),
)


def _import_table(data: bytes, filename: str) -> None:
    """Read, map and import a spreadsheet; the result must be a valid asset table."""
    try:
        frame = read_table(data, filename=filename)
        result = assets_from_table(frame, propose_column_mapping(frame.columns))
    except AssetMapError:
        return
    assert isinstance(result.assets, gpd.GeoDataFrame)
    assert result.assets.empty or result.assets.crs == STORAGE_CRS
    assert list(result.report.columns)[:2] == ["row", "field"]


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    width = draw(st.integers(1, 6))
    header = [draw(HEADERS) for _ in range(width)]
    rows = draw(st.lists(st.lists(CELLS, min_size=0, max_size=width + 1), max_size=6))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    lines = [header, *rows]
    text = "\n".join(delimiter.join(_quote(c) for c in line) for line in lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]))
    return text.encode(encoding, errors="replace")


def _quote(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',;\t|"\n\r') else cell


@hostile(60)
@given(st.one_of(csv_bytes(), st.binary(max_size=2_000)))
def test_csv_import_returns_assets_or_an_assetmap_error(data: bytes) -> None:
    _import_table(data, "upload.csv")


@st.composite
def xlsx_bytes(draw: st.DrawFn) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    width = draw(st.integers(1, 5))
    sheet.append([draw(HEADERS) for _ in range(width)])
    values = st.one_of(CELLS, st.integers(-(2**40), 2**40), st.floats(allow_nan=False), st.none())
    for row in draw(st.lists(st.lists(values, max_size=width + 1), max_size=5)):
        try:
            sheet.append(row)
        except IllegalCharacterError:
            assume(False)
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    # positions as fractions: the saved bytes hold the time, so their length may vary
    damage = draw(st.sampled_from(["none", "truncate", "flip"]))
    where, mask = draw(st.floats(0, 1, exclude_max=True)), draw(st.integers(1, 255))
    at = int(where * len(data))
    if damage == "truncate":
        data = data[:at]
    elif damage == "flip":
        data = data[:at] + bytes([data[at] ^ mask]) + data[at + 1 :]
    return data


@hostile(40)
@given(xlsx_bytes())
def test_xlsx_import_returns_assets_or_an_assetmap_error(data: bytes) -> None:
    _import_table(data, "upload.xlsx")


# ---------------------------------------------------------------------- HSDS
_json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), hostile_text)
_json = st.recursive(
    _json_scalar,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(
                st.sampled_from(
                    ["id", "name", "services", "service", "status", "latitude", "longitude",
                     "location", "service_at_locations", "schedules", "regular_schedules",
                     "byday", "opens_at", "closes_at", "attributes", "taxonomy_term",
                     "organization", "contents", "phones", "number", "cost_options",
                     "minimum_age", "maximum_age", "eligibility_description", "url", "email",
                     "addresses", "postal_code", "address_1"]
                ),
                st.text(max_size=8),
            ),
            children,
            max_size=6,
        ),
    ),
    max_leaves=40,
)  # fmt: skip


@hostile(50)
@given(_json)
def test_hsds_data_gives_assets_or_an_assetmap_error(data: Any) -> None:
    try:
        result = assets_from_hsds(data)
    except AssetMapError:
        return
    assert isinstance(result.assets, gpd.GeoDataFrame)


@hostile(60)
@given(st.one_of(_json.map(lambda d: json.dumps(d).encode()), st.binary(max_size=500)),
       st.sampled_from([".json", ".zip", ".JSON", ""]))  # fmt: skip
def test_hsds_files_give_assets_or_an_assetmap_error(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"feed{suffix}"
        path.write_bytes(data)
        try:
            read_hsds(path)
        except AssetMapError:
            return


# ---------------------------------------------------------------------- OSM tags
TAG_KEYS = st.sampled_from(
    ["name", "amenity", "shop", "leisure", "office", "social_facility", "healthcare",
     "opening_hours", "min_age", "max_age", "fee", "wheelchair", "addr:postcode",
     "addr:street", "addr:housenumber", "phone", "contact:email", "website", "operator",
     "description", "gender", "highway", "building", "brand", "official_name"]
)  # fmt: skip
TAG_VALUES = st.one_of(
    hostile_text.map(lambda s: s[:255]),
    st.sampled_from(
        ["library", "community_centre", "food_bank", "social_facility", "place_of_worship",
         "yes", "no", "limited", "-5", "18", "99999999999999999999", "footway", "pharmacy",
         "Mo-Fr 09:00-17:00", "LE15 6HW", "female", "male;female"]
    ),
)  # fmt: skip
TAGS = st.dictionaries(TAG_KEYS, TAG_VALUES, max_size=8)


@hostile(40)
@given(st.lists(TAGS, min_size=1, max_size=5))
def test_osm_features_give_assets_or_an_assetmap_error(tag_rows: list[dict[str, str]]) -> None:
    for tags in tag_rows:
        assert is_walkable(tags) in (True, False)
    frame = gpd.GeoDataFrame(
        pd.DataFrame(tag_rows),
        geometry=[Point(-0.72 + i / 1000, 52.67) for i in range(len(tag_rows))],
        crs=STORAGE_CRS,
    )
    frame.index = pd.MultiIndex.from_tuples(
        [("node", i + 1) for i in range(len(tag_rows))], names=["element", "id"]
    )
    try:
        assets = assets_from_osm_features(frame)
    except AssetMapError:
        return
    assert len(assets) <= len(tag_rows)


def _osm_xml(tag_rows: list[dict[str, str]]) -> str:
    nodes = []
    for i, tags in enumerate(tag_rows, start=1):
        inner = "".join(f"<tag k={_attr(k)} v={_attr(v)}/>" for k, v in tags.items())
        nodes.append(
            f'<node id="{i}" version="1" lat="52.67" lon="{-0.72 + i / 1000}">{inner}</node>'
        )
    way = '<way id="1" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way>'
    return f'<?xml version="1.0"?><osm version="0.6">{"".join(nodes)}{way}</osm>'


def _attr(text: str) -> str:
    """An XML attribute holding ``text`` without the characters XML 1.0 cannot carry."""
    kept = "".join(
        c for c in text if c in "\t\n\r" or " " <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd"
    )
    return xml.sax.saxutils.quoteattr(kept)


@hostile(30)
@given(st.lists(TAGS, min_size=2, max_size=4), st.binary(max_size=300), st.booleans())
@example([{}, {"amenity": "library", "min_age": "²"}], b"", False)  # long run: int("²") raised
def test_osm_files_give_an_extract_or_an_assetmap_error(
    tag_rows: list[dict[str, str]], noise: bytes, use_noise: bool
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hostile.osm"
        path.write_bytes(noise if use_noise else _osm_xml(tag_rows).encode())
        try:
            extract = read_osm_file(path)
        except AssetMapError:
            return
    assert len(extract.assets) <= len(tag_rows)


def test_a_damaged_deflate_stream_read_on_opening_is_an_ingest_error() -> None:
    """Found by the long hypothesis run: zlib.error escaped from ``load_workbook``."""
    import zipfile

    from assetmap.errors import IngestError
    from assetmap.ingest.tabular import TabularLimits

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["name", "postcode"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = bytearray(buffer.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("xl/styles.xml")
    # the compressed bytes start after the 30-byte local header, its name and extra field
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for offset in range(2, 40):  # corrupt the stream (not just the CRC) inside styles.xml
        data[start + offset] ^= 0xFF
    with pytest.raises(IngestError, match=r"^damaged\.xlsx is "):
        read_table(bytes(data), filename="damaged.xlsx", limits=TabularLimits())


def test_a_superscript_digit_is_not_a_weekday_or_an_age() -> None:
    """Superscript digits pass str.isdigit() but not int(): both parsers treat them as unknown."""
    feed = json.loads((Path(__file__).resolve().parents[1] / "data" / "hsds" /
                       "oruk_v1_services.json").read_text(encoding="utf-8"))  # fmt: skip
    service = feed["content"][0]
    service["regular_schedules"][0]["weekday"] = "²"
    service["eligibilitys"][0]["minimum_age"] = "²"
    result = assets_from_hsds({"content": [service]})
    assert len(result.assets) == 1
