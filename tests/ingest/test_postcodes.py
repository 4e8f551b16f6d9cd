"""Postcodes offline: normalising, reading the real tables, lookups and reverse lookups."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from assetmap.errors import IngestError, PostcodeError
from assetmap.ingest.postcodes import (
    POSTCODES_FILE_NAME,
    PostcodeIndex,
    bng_to_wgs84,
    find_postcode,
    load_postcodes,
    merge_postcodes,
    normalise_postcode,
    postcode_district,
    postcode_sector,
    postcodes_from_assets,
    read_postcodes,
    save_postcodes,
)

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def codepoint_le(shared_data: Path) -> PostcodeIndex:
    return read_postcodes(shared_data / "postcodes-codepoint-open-2014" / "le.csv")


@pytest.fixture(scope="module")
def rutland(shared_data: Path) -> PostcodeIndex:
    return read_postcodes(
        shared_data / "postcodes-codepoint-open-2014" / "postcodes_latlon_demo_lads.csv"
    )


@pytest.mark.parametrize("text", ["le15 6xx", "LE156XX", " le15  6xx ", "Le15\t6xX"])
def test_normalises_case_and_spacing(text):
    assert normalise_postcode(text) == "LE15 6XX"


@pytest.mark.parametrize("text", ["LE15", "LE15 6CX", "12345", "", "LE15 6XXX", "QE15 6XX"])
def test_rejects_text_that_is_not_a_postcode_and_names_it(text):
    with pytest.raises(PostcodeError, match=f"{text!r} is not a UK postcode"):
        normalise_postcode(text)


def test_sector_and_district():
    assert postcode_sector("m1  1ad") == "M1 1"
    assert postcode_district("M11AD") == "M1"
    assert postcode_sector("SW1A 1AA") == "SW1A 1"
    assert postcode_district("sw1a1aa") == "SW1A"


def test_finds_the_postcode_at_the_end_of_an_address():
    assert find_postcode("Catmos Street, Oakham, Rutland, le15 6hw") == "LE15 6HW"
    assert find_postcode("Catmos Street, Oakham") is None


def test_reads_code_point_open_and_converts_the_national_grid(codepoint_le, rutland):
    assert len(codepoint_le) == 21_621
    assert codepoint_le.source == "le.csv"
    lon, lat = codepoint_le.locate("LE15 6HW")
    # The demo file holds the same point converted by pyproj to 6 decimals.
    assert (round(lon, 6), round(lat, 6)) == (-0.725991, 52.668718)
    assert rutland.locate("le156hw") == (-0.725991, 52.668718)


def test_reads_the_lat_lon_demo_file(rutland):
    assert len(rutland) == 47_974
    assert rutland.locate("M1 1AD") == pytest.approx(rutland.locate("M11AD"))
    assert rutland.postcodes[0] == "L1 0AB"


def test_reads_an_ons_postcode_directory_and_drops_postcodes_without_a_grid_reference():
    index = read_postcodes(DATA / "onspd_sample.csv")
    assert index.postcodes.tolist() == ["LE15 6AL", "LE15 6HW", "LE15 7PX", "LE15 9QD"]
    assert index.locate("LE15 9QD") == (-0.725001, 52.588352)
    assert "LE15 9ZY" not in index


def test_reads_a_table_with_only_eastings_and_northings(tmp_path):
    path = tmp_path / "grid.csv"
    path.write_text("pcds,oseast1m,osnrth1m\nLE15 6HW,486250,308651\nLE15 9ZY,,\n")
    index = read_postcodes(path)
    assert index.postcodes.tolist() == ["LE15 6HW"]
    assert np.round([index.lon[0], index.lat[0]], 6).tolist() == [-0.725991, 52.668718]


def test_reads_a_folder_of_code_point_files(shared_data):
    index = read_postcodes(shared_data / "postcodes-codepoint-open-2014")
    # the six area files (LE, M, PR, LS, L, PE); postcodes_latlon_demo_lads.csv in the same
    # folder repeats postcodes the area files already hold, and the first spelling wins
    assert len(index) == 21_621 + 31_500 + 12_691 + 21_290 + 20_309 + 25_730
    assert index.source == "postcodes-codepoint-open-2014"


def test_refuses_a_file_that_is_not_a_postcode_table(tmp_path):
    path = tmp_path / "groups.csv"
    path.write_text("Name,Town\nOakham Library,Oakham\n")
    with pytest.raises(IngestError, match=r"groups.csv is not a postcode table.*Name, Town"):
        read_postcodes(path)
    with pytest.raises(IngestError, match="No postcode file at"):
        read_postcodes(tmp_path / "missing.csv")


def test_unknown_postcode_offers_its_own_sector_when_known(rutland):
    with pytest.raises(PostcodeError) as caught:
        rutland.locate("le15 9zz")
    assert str(caught.value) == (
        "LE15 9ZZ is not in the workspace's postcode table; nearest known sector: LE15 9"
    )


def test_unknown_sector_offers_the_district_sector_with_the_nearest_digit(rutland):
    # Rutland's LE15 sectors are 0, 6, 7, 8 and 9.
    assert rutland.nearest_sector("LE15 4AA") == "LE15 6"
    assert rutland.nearest_sector("LE15 2AA") == "LE15 0"
    with pytest.raises(PostcodeError, match="no postcode in its district is known"):
        rutland.locate("AB10 1AA")


def test_sector_centroid_is_the_mean_of_its_postcodes():
    index = PostcodeIndex.from_arrays(
        ["LE15 6AA", "LE15 6AB", "LE15 7AA"], [-0.7, -0.8, -0.6], [52.6, 52.7, 52.8]
    )
    assert index.sector_centroid("le15 6") == pytest.approx((-0.75, 52.65))
    with pytest.raises(PostcodeError, match="'LE15 9' is not in the workspace's postcode table"):
        index.sector_centroid("LE15 9")


def test_lookup_many_returns_nan_for_unknown_and_malformed(rutland):
    lon, lat = rutland.lookup(["LE15 9QD", "LE15 9ZZ", "junk", None])
    assert lon[0] == -0.725001
    assert np.isnan(lon[1:]).all()
    assert np.isnan(lat[1:]).all()


def test_nearest_postcode_and_coarse_location(rutland):
    assert rutland.nearest_postcode(-0.725001, 52.588352) == "LE15 9QD"
    assert rutland.coarse_location(-0.725001, 52.588352) == "LE15 9"
    with pytest.raises(PostcodeError, match="No known postcode is within 2,000 m"):
        rutland.coarse_location(1.5, 52.0)  # the North Sea


def test_nearest_postcodes_reports_distances_in_metres(rutland):
    postcodes, distance = rutland.nearest_postcodes(
        [-0.725001, -0.725001], [52.588352, 52.588352 + 0.001]
    )
    assert postcodes[0] == "LE15 9QD"
    assert distance[0] == pytest.approx(0.0, abs=0.01)
    # 0.001 degrees of latitude is 111.2 m; a nearer postcode may exist.
    assert 0 < distance[1] <= 111.2


def test_index_is_immutable(rutland):
    with pytest.raises(ValueError, match="read-only"):
        rutland.lon[0] = 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        rutland.source = "x"  # type: ignore[misc]


def test_constructor_refuses_unsorted_postcodes():
    with pytest.raises(ValueError, match="sorted and unique"):
        PostcodeIndex(np.array(["LE15 7AA", "LE15 6AA"]), np.zeros(2), np.zeros(2))


def test_save_and_load_round_trip(tmp_path, rutland):
    path = save_postcodes(rutland, tmp_path / POSTCODES_FILE_NAME)
    assert path.name == "postcodes.parquet"
    loaded = load_postcodes(path)
    assert loaded.postcodes.tolist() == rutland.postcodes.tolist()
    assert np.array_equal(loaded.lon, rutland.lon)
    assert loaded.locate("LE15 6HW") == (-0.725991, 52.668718)
    assert not list(tmp_path.glob(".*tmp"))


def test_load_refuses_a_damaged_table(tmp_path):
    path = tmp_path / POSTCODES_FILE_NAME
    path.write_bytes(b"not parquet")
    with pytest.raises(IngestError, match="Cannot read the postcode table"):
        load_postcodes(path)


def test_postcodes_from_osm_assets_average_per_postcode():
    assets = gpd.GeoDataFrame(
        {
            "name": ["Oakham Library", "Oakham Castle", "Uppingham Library", "Pub"],
            "postcode": ["LE15 6HW", "le156hw", "LE15 9QD", "not a postcode"],
        },
        geometry=[Point(-0.72, 52.66), Point(-0.74, 52.68), Point(-0.72, 52.59), Point(0, 52)],
        crs="EPSG:4326",
    )
    index = postcodes_from_assets(assets)
    assert index.postcodes.tolist() == ["LE15 6HW", "LE15 9QD"]
    assert index.locate("LE15 6HW") == pytest.approx((-0.73, 52.67))


def test_merge_lets_the_official_table_win():
    official = PostcodeIndex.from_arrays(["LE15 6HW"], [-0.725991], [52.668718], source="onspd")
    from_osm = PostcodeIndex.from_arrays(["LE15 6HW", "LE15 9QD"], [-0.7, -0.72], [52.6, 52.59])
    merged = merge_postcodes(official, from_osm)
    assert merged.postcodes.tolist() == ["LE15 6HW", "LE15 9QD"]
    assert merged.locate("LE15 6HW") == (-0.725991, 52.668718)


def test_bng_conversion_matches_the_published_conversion():
    lon, lat = bng_to_wgs84([486475.0], [299713.0])
    assert (round(float(lon[0]), 6), round(float(lat[0]), 6)) == (-0.725001, 52.588352)
