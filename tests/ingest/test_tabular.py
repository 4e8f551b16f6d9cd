"""Spreadsheet import: reading any CSV/XLSX, mapping columns, row-level validation."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from assetmap.errors import IngestError, NoAssetsError, SchemaError
from assetmap.ingest.postcodes import PostcodeIndex, read_postcodes
from assetmap.ingest.tabular import (
    REPORT_COLUMNS,
    TabularLimits,
    assets_from_table,
    has_blocking_problems,
    map_categories,
    propose_column_mapping,
    read_table,
)

DATA = Path(__file__).resolve().parents[1] / "data"
DIRECTORY = DATA / "rutland_directory.csv"
RUTLAND_BBOX = (-0.85, 52.5, -0.45, 52.8)


@pytest.fixture(scope="module")
def postcodes() -> PostcodeIndex:
    return read_postcodes(DATA / "onspd_sample.csv")


@pytest.fixture(scope="module")
def rutland_postcodes(shared_data: Path) -> PostcodeIndex:
    return read_postcodes(
        shared_data / "postcodes-codepoint-open-2014" / "postcodes_latlon_demo_lads.csv"
    )


def problems(result) -> list[tuple[int, str, str]]:
    report = result.report
    return list(zip(report["row"], report["field"], report["problem"], strict=True))


def xlsx_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ------------------------------------------------------------------ column mapping


def test_maps_the_headers_of_a_council_directory():
    mapping = propose_column_mapping(read_table(DIRECTORY).columns)
    assert mapping.fields == {
        "Ref": "id",
        "Organisation name": "name",
        "Type": "categories",
        "Address": "address",
        "Post Code": "postcode",
        "Tel": "phone",
        "Email": "email",
        "Website": "website",
        "Opening times": "opening_hours",
        "Who for": "eligibility",
        "Women only": "women_only",
        "Age": "age",
        "Cost": "cost",
    }
    assert set(mapping.to_frame()["score"]) == {100.0}


@pytest.mark.parametrize("header", ["Org", "Organisation", "Name of group", "NAME", "Group name"])
def test_name_spellings_map_to_name(header):
    assert propose_column_mapping([header, "Postcode"]).fields[header] == "name"


def test_organisation_stays_organisation_beside_a_service_name():
    mapping = propose_column_mapping(["Service name", "Organisation", "Postcode"])
    assert mapping.fields == {
        "Service name": "name",
        "Organisation": "organisation",
        "Postcode": "postcode",
    }


def test_organisation_name_goes_to_organisation_beside_a_service_name():
    mapping = propose_column_mapping(["Organisation Name", "Service Name", "Address 1", "Town"])
    assert mapping.fields == {
        "Organisation Name": "organisation",
        "Service Name": "name",
        "Address 1": "address",
        "Town": "address",
    }


def test_a_community_group_list_maps_where_when_and_who():
    mapping = propose_column_mapping(
        [
            "Name of group",
            "Contact name",
            "Contact number",
            "e-mail",
            "Where",
            "When we meet",
            "Who can come",
            "Charges",
            "Notes",
        ]
    )
    assert mapping.fields == {
        "Name of group": "name",
        "Contact number": "phone",
        "e-mail": "email",
        "Where": "address",
        "When we meet": "opening_hours",
        "Who can come": "eligibility",
        "Charges": "cost",
    }
    assert mapping.to_frame().set_index("column").loc["Charges", "score"] == 92.3


def test_maps_coordinates_contacts_and_eligibility_spellings():
    headers = [
        "Latitude",
        "Long",
        "Easting",
        "Northings",
        "Telephone number",
        "E-mail",
        "Web site",
        "Service type",
        "About",
        "Opening hours (summer)",
        "Eligibility",
        "Minimum age",
        "Referral needed?",
        "Wheelchair access",
    ]
    assert list(propose_column_mapping(headers).fields.values()) == [
        "lat",
        "lon",
        "easting",
        "northing",
        "phone",
        "email",
        "website",
        "categories",
        "description",
        "opening_hours",
        "eligibility",
        "min_age",
        "referral_required",
        "wheelchair",
    ]


def test_unrelated_headers_stay_unmapped_with_their_best_score():
    mapping = propose_column_mapping(["Name", "Contact name", "Notes"])
    assert mapping.fields == {"Name": "name"}
    assert mapping.unmapped == ("Contact name", "Notes")
    scores = mapping.to_frame().set_index("column")["score"]
    assert scores["Contact name"] < 80


def test_address_takes_several_columns():
    mapping = propose_column_mapping(["Name", "Address line 1", "Address line 2", "Town"])
    assert mapping.columns_for("address") == ("Address line 1", "Address line 2", "Town")


def test_overrides_win_and_can_ignore_a_column():
    mapping = propose_column_mapping(
        ["Org", "Notes", "Post Code"], overrides={"notes": "description", "Org": "ignore"}
    )
    assert mapping.fields == {"Notes": "description", "Post Code": "postcode"}
    assert mapping.to_frame()["overridden"].tolist() == [True, True, False]


def test_bad_overrides_name_the_column_or_field():
    with pytest.raises(SchemaError, match=r"there is no column 'Nme'; the columns are 'Org'"):
        propose_column_mapping(["Org"], overrides={"Nme": "name"})
    with pytest.raises(SchemaError, match=r"'title' is not a field"):
        propose_column_mapping(["Org"], overrides={"Org": "title"})


# ------------------------------------------------------------------ the directory


def test_directory_report_names_each_bad_row(rutland_postcodes):
    result = assets_from_table(read_table(DIRECTORY), postcodes=rutland_postcodes)
    assert list(result.report.columns) == list(REPORT_COLUMNS)
    assert problems(result) == [
        (5, "name", "missing name"),
        (
            6,
            "postcode",
            "LE15 9ZZ is not in the workspace's postcode table; nearest known sector: LE15 9",
        ),
        (7, "name", "duplicate of row 2"),
        (8, "categories", "no category matches 'Advice'"),
        (
            8,
            "name",
            "cell in column 'Organisation name' starts like a spreadsheet formula; "
            "remove the leading character or skip the row",
        ),
        (9, "women_only", "`women_only` must be yes or no"),
        (11, "age", "`age` must be an age range like 18+, 18-25, under 25 or 'all ages'"),
        (12, "location", "no location: no coordinates and no postcode"),
    ]
    assert has_blocking_problems(result.report)
    assert result.rows_rejected == 7
    assert result.assets.index.tolist() == [2, 3, 4, 10]
    assert result.assets["source_id"].tolist() == ["R1", "R2", "R3", "R9"]
    assert set(result.assets["source"]) == {"spreadsheet:rutland_directory.csv"}


def test_directory_values_are_typed(rutland_postcodes):
    assets = assets_from_table(read_table(DIRECTORY), postcodes=rutland_postcodes).assets
    foodbank = assets.loc[3]
    assert foodbank["postcode"] == "LE15 6AL"
    assert foodbank["categories"] == ("food_support",)
    assert foodbank["min_age"] == 18
    assert foodbank["cost"] == "free"
    assert foodbank["description"] == "Who it is for: Referral by agencies"
    assert (foodbank.geometry.x, foodbank.geometry.y) == (-0.729074, 52.669471)
    youth = assets.loc[10]
    assert (youth["min_age"], youth["max_age"], youth["cost"]) == (11, 18, "low")
    assert youth["categories"] == ("family_support", "youth_services")


def test_category_mapping_is_reported_per_distinct_text(rutland_postcodes):
    result = assets_from_table(read_table(DIRECTORY), postcodes=rutland_postcodes)
    mapping = result.category_mapping.set_index("text")
    assert mapping.loc["Food Bank", "categories"] == ("food_support",)
    assert mapping.loc["Village hall", "categories"] == ("community_centre",)
    assert mapping.loc["Job centre", "categories"] == ("employment_support",)
    assert mapping.loc["Library", "rows"] == 3
    assert mapping.loc["Advice", "categories"] == ()


def test_category_overrides_apply(rutland_postcodes):
    result = assets_from_table(
        read_table(DIRECTORY),
        postcodes=rutland_postcodes,
        category_overrides={"advice": "money_advice"},
    )
    assert "categories" not in set(result.report["field"])


def test_hashed_source_ids_are_stable_across_reimports(rutland_postcodes):
    frame = read_table(DIRECTORY).drop(columns=["Ref"])
    first = assets_from_table(frame, postcodes=rutland_postcodes).assets["source_id"]
    again = assets_from_table(
        read_table(DIRECTORY).drop(columns=["Ref"]), postcodes=rutland_postcodes
    ).assets["source_id"]
    assert first.tolist() == again.tolist()
    assert all(s.startswith("h:") and len(s) == 18 for s in first)
    assert first.nunique() == len(first)


def test_without_a_postcode_table_rows_with_only_a_postcode_have_no_location():
    result = assets_from_table(read_table(DIRECTORY))
    assert result.assets.empty
    assert (
        2,
        "postcode",
        "no location: no coordinates, and no postcode table is loaded to place this "
        "postcode (load one with `assetmap postcodes`)",
    ) in problems(result)


def test_no_name_column_lists_the_columns():
    frame = read_table(b"Post Code,Tel\nLE15 6HW,01572 722918\n", filename="x.csv")
    with pytest.raises(SchemaError) as caught:
        assets_from_table(frame)
    assert str(caught.value) == (
        "No column looks like a name: columns are 'Post Code', 'Tel'. "
        "Choose one with --map COLUMN=name."
    )


def test_no_location_column_lists_the_columns():
    frame = read_table(b"Name,Tel\nOakham Library,01572 722918\n", filename="x.csv")
    with pytest.raises(SchemaError, match=r"No column gives a location.*'Name', 'Tel'"):
        assets_from_table(frame)


# ------------------------------------------------------------------ coordinates


def coordinates_sheet() -> pd.DataFrame:
    return read_table(
        b"Name,Latitude,Longitude,Postcode\n"
        b"Oakham Library,52.668718,-0.725991,LE15 6HW\n"
        b"Swapped Library,-0.725001,52.588352,\n"
        b"Leeds Library,53.7997,-1.5492,\n"
        b"Far From Postcode,52.737501,-0.683032,LE15 9QD\n"
        b"Nowhere,north,-0.7,\n",
        filename="coords.csv",
    )


def test_swapped_outside_and_non_numeric_coordinates_are_errors(postcodes):
    result = assets_from_table(coordinates_sheet(), postcodes=postcodes, area_bbox=RUTLAND_BBOX)
    assert problems(result) == [
        (
            3,
            "lat",
            "latitude and longitude look swapped (swapped, the point is inside the "
            "area); fix the sheet or import with fix_swapped",
        ),
        (4, "location", "outside the area (-0.85, 52.5, -0.45, 52.8)"),
        (5, "postcode", "the coordinates are 16.8 km from the centre of LE15 9QD"),
        (6, "lat", "`lat` is not a number"),
        (6, "location", "no location: no coordinates and no postcode"),
    ]
    assert result.report.set_index("row").loc[5, "severity"] == "warning"
    assert result.assets.index.tolist() == [2, 5]


def test_fix_swapped_swaps_back_with_a_warning(postcodes):
    result = assets_from_table(
        coordinates_sheet(), postcodes=postcodes, area_bbox=RUTLAND_BBOX, fix_swapped=True
    )
    swapped = result.assets.loc[3].geometry
    assert (swapped.x, swapped.y) == (-0.725001, 52.588352)
    assert (3, "lat", "latitude and longitude were swapped; swapped back") in problems(result)


def test_eastings_and_northings_are_converted():
    frame = read_table(b"Name,X,Y\nOakham Library,486250,308651\n", filename="grid.csv")
    point = assets_from_table(frame).assets.geometry.iloc[0]
    assert (round(point.x, 6), round(point.y, 6)) == (-0.725991, 52.668718)


def test_postcode_found_in_the_address_places_the_row(postcodes):
    frame = read_table(
        b'Name,Address\nUppingham Library,"Queen Street, Uppingham LE15 9QD"\n',
        filename="a.csv",
    )
    result = assets_from_table(frame, postcodes=postcodes)
    assert result.assets["postcode"].tolist() == ["LE15 9QD"]
    assert result.report.empty


# ------------------------------------------------------------------ formulas


def test_formula_cells_are_flagged_but_numbers_phones_and_bullets_are_not():
    frame = read_table(
        b"Name,Description,Phone,Latitude,Longitude\n"
        b"Oakham Library,- books and computers,+44 1572 722918,52.668718,-0.725991\n"
        b"Ok Name,@SUM(A1),01572 722918,52.668718,-0.725991\n"
        b"\"-2+3+cmd|' /C calc'!A0\",x,,52.668718,-0.725991\n"
        b"Plus Name,x,+cmd,52.668718,-0.725991\n",
        filename="f.csv",
    )
    result = assets_from_table(frame)
    assert [(r, f) for r, f, _ in problems(result)] == [
        (3, "description"),
        (4, "name"),
        (5, "phone"),
    ]
    assert result.assets.index.tolist() == [2]


# ------------------------------------------------------------------ encodings and delimiters


def test_reads_a_windows_1252_file_with_accents_and_pounds(tmp_path):
    path = tmp_path / "cafes.csv"
    path.write_bytes("Name,Cost,Postcode\nCafé Rutland,£2,LE15 6HW\n".encode("cp1252"))
    frame = read_table(path)
    assert frame.attrs["encoding"] == "cp1252"
    assert frame.loc[2, "Name"] == "Café Rutland"
    assert frame.loc[2, "Cost"] == "£2"


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8-sig", ";"), ("utf-16", "\t"), ("utf-8", "|"), ("latin-1", ",")],
)
def test_reads_common_encodings_and_delimiters(encoding, delimiter):
    text = delimiter.join(["Name", "Address", "Post Code"]) + "\n"
    text += delimiter.join(["Café", '"Catmos St, Oakham"', "LE15 6HW"]) + "\n"
    frame = read_table(text.encode(encoding), filename="x.csv")
    assert frame.attrs["delimiter"] == delimiter
    assert frame.to_dict("records") == [
        {"Name": "Café", "Address": "Catmos St, Oakham", "Post Code": "LE15 6HW"}
    ]


def test_wrong_encoding_names_the_line_instead_of_garbling_it():
    # A UTF-8 BOM promises UTF-8, but line 3 was typed in Windows-1252.
    with pytest.raises(
        IngestError,
        match=r"^bom.csv cannot be decoded as utf-8-sig: line 3 holds byte 0xE9; save it as UTF-8",
    ):
        read_table(
            b"\xef\xbb\xbfName,Postcode\nShop,LE15 6HW\nCaf\xe9,LE15 6HW\n", filename="bom.csv"
        )
    # Rows pasted from two programs: decoding it all as Windows-1252 would turn
    # line 2's UTF-8 "Café" into "CafÃ©" without a word.
    mixed = "Name,Postcode\nCafé,LE15 6HW\n".encode() + "Crèche,LE15 6HW\n".encode("cp1252")
    with pytest.raises(
        IngestError,
        match=r"^mixed.csv mixes text encodings: line 3 is not UTF-8 \(byte 0xE8\) but line 2 is",
    ):
        read_table(mixed, filename="mixed.csv")
    one_line = "Name\nCafé – ".encode() + "Crèche\n".encode("cp1252")
    with pytest.raises(IngestError, match=r"line 2 holds UTF-8 text and also byte 0xE8, which is"):
        read_table(one_line, filename="mixed.csv")


def test_skips_a_title_above_the_header_and_keeps_row_numbers():
    frame = read_table(
        b"Rutland community directory 2024\n\nName,Postcode,Phone\nOakham Library,LE15 6HW,1\n",
        filename="t.csv",
    )
    assert frame.attrs["header_row"] == 3
    assert frame.index.tolist() == [4]
    assert list(frame.columns) == ["Name", "Postcode", "Phone"]


def test_blank_and_duplicate_headers_get_names():
    frame = read_table(b"Name,,Name\na,b,c\n", filename="h.csv")
    assert list(frame.columns) == ["Name", "Column B", "Name (2)"]


# ------------------------------------------------------------------ bad files


def test_empty_file_is_refused():
    with pytest.raises(IngestError, match=r"^empty.csv is empty\.$"):
        read_table(b"", filename="empty.csv")
    with pytest.raises(IngestError, match="is empty"):
        read_table(b"\xef\xbb\xbf\r\n\r\n", filename="empty.csv")


def test_header_without_rows_is_refused():
    with pytest.raises(NoAssetsError, match=r"has a header row \(row 1\) but no data rows"):
        read_table(b"Name,Postcode\n", filename="h.csv")


def test_binary_junk_named_csv_is_refused():
    junk = np.random.default_rng(7).integers(1, 256, 4096, dtype=np.uint8).tobytes()
    with pytest.raises(IngestError, match=r"junk\.csv is not a text spreadsheet"):
        read_table(junk, filename="junk.csv")
    with pytest.raises(IngestError, match="a NUL byte at byte 3"):
        read_table(b"abc\x00def" * 10, filename="junk.csv")
    with pytest.raises(IngestError, match=r"photo\.csv is a PNG image"):
        read_table(b"\x89PNG\r\n\x1a\n" + junk, filename="photo.csv")


def test_a_row_with_too_many_cells_is_named():
    with pytest.raises(IngestError, match=r"bad.csv, row 3: 3 cells but the header has 2"):
        read_table(b"Name,Postcode\nA,LE15 6HW\nB,LE15 6HW,extra\n", filename="bad.csv")


def test_limits_are_enforced_with_clear_messages(tmp_path):
    with pytest.raises(IngestError, match=r"big.csv is 0.0 MB; the limit is 0.0 MB"):
        read_table(b"Name\n" + b"x\n" * 100, filename="big.csv", limits=TabularLimits(max_bytes=50))
    with pytest.raises(IngestError, match="has more than 10 rows; the limit is 10"):
        read_table(
            b"Name\n" + b"x\n" * 11,
            filename="rows.csv",
            limits=TabularLimits(max_rows=10, chunk_rows=4),
        )
    with pytest.raises(ValueError, match="`max_rows` must be a positive whole number"):
        TabularLimits(max_rows=0)


def test_streams_large_files_in_chunks_with_progress(tmp_path):
    path = tmp_path / "many.csv"
    lines = ["Name,Latitude,Longitude"] + [
        f"Group {i},{52.6 + i * 1e-5:.5f},-0.72" for i in range(5_000)
    ]
    path.write_text("\n".join(lines) + "\n")
    calls: list[tuple[int, int]] = []
    frame = read_table(
        path,
        limits=TabularLimits(chunk_rows=1_000),
        progress=lambda done, total: calls.append((done, total)),
    )
    assert len(calls) == 5
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert calls[-1][0] == calls[-1][1] == path.stat().st_size
    assert frame.index[0] == 2
    assert frame.index[-1] == 5_001
    steps: list[tuple[int, int]] = []
    result = assets_from_table(
        frame, chunk_rows=2_000, progress=lambda done, total: steps.append((done, total))
    )
    assert steps == [(2_000, 5_000), (4_000, 5_000), (5_000, 5_000)]
    assert len(result.assets) == 5_000
    assert result.report.empty


# ------------------------------------------------------------------ xlsx


def test_reads_xlsx_values_and_flags_formulas():
    data = xlsx_bytes(
        {
            "Groups": [
                ["Name", "Phone", "Latitude", "Longitude", "Women only"],
                ["Oakham Library", 1572722918, 52.668718, -0.725991, False],
                ['=HYPERLINK("http://x")', None, 52.668718, -0.725991, True],
            ]
        }
    )
    frame = read_table(data, filename="groups.xlsx")
    assert frame.attrs["sheet"] == "Groups"
    assert frame.loc[2].tolist() == ["Oakham Library", "1572722918", "52.668718", "-0.725991", "no"]
    result = assets_from_table(frame)
    assert [(r, f) for r, f, _ in problems(result)] == [(3, "name")]


def test_xlsx_skips_a_cover_sheet_with_no_table():
    data = xlsx_bytes(
        {
            "Read me": [["Please do not edit this workbook"]],
            "Groups": [["Name", "Postcode"], ["Oakham Library", "LE15 6HW"]],
        }
    )
    frame = read_table(data, filename="dir.xlsx")
    assert frame.attrs["sheet"] == "Groups"
    assert frame.to_dict("records") == [{"Name": "Oakham Library", "Postcode": "LE15 6HW"}]


def test_xlsx_with_a_junk_first_sheet_names_the_sheets():
    data = xlsx_bytes(
        {
            "Changes": [["Date", "Change"], ["2024-05-01", "added Oakham"]],
            "Groups": [["Name", "Postcode"], ["Oakham Library", "LE15 6HW"]],
        }
    )
    frame = read_table(data, filename="dir.xlsx")
    with pytest.raises(SchemaError) as caught:
        assets_from_table(frame)
    assert str(caught.value) == (
        "No column looks like a name: columns are 'Date', 'Change' (this is sheet 'Changes'; "
        "the workbook's sheets are 'Changes', 'Groups'). Choose one with --map COLUMN=name."
    )
    frame = read_table(data, filename="dir.xlsx", sheet="Groups")
    assert frame.to_dict("records") == [{"Name": "Oakham Library", "Postcode": "LE15 6HW"}]
    with pytest.raises(IngestError, match=r"dir\.xlsx has no sheet 'Nope'; its sheets are"):
        read_table(data, filename="dir.xlsx", sheet="Nope")


def test_broken_xlsx_files_are_refused():
    with pytest.raises(IngestError, match="named like an Excel workbook but is not one"):
        read_table(b"Name\nx\n", filename="fake.xlsx")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(IngestError, match=r"not a readable Excel \.xlsx workbook"):
        read_table(buffer.getvalue(), filename="zip.xlsx")


# ------------------------------------------------------------------ values


def test_invalid_values_are_errors_and_duplicate_ids_are_caught():
    frame = read_table(
        b"Id,Name,Latitude,Longitude,Age,Referral,Cost,Gender,Women only\n"
        b"1,Alpha,52.6,-0.7,16 to 25,self-referral,donation,,yes\n"
        b"1,Beta,52.6,-0.71,30-18,maybe,lots,robots,\n",
        filename="v.csv",
    )
    result = assets_from_table(frame)
    assert problems(result) == [
        (3, "age", "the minimum age is above the maximum age"),
        (3, "cost", "`cost` must be free, low cost, paid or an amount like £3"),
        (3, "gender", "`gender` must be any, women or men"),
        (3, "id", "the same id as row 2"),
        (
            3,
            "referral_required",
            "`referral_required` must be yes or no (or 'self-referral', 'referral only')",
        ),
    ]
    alpha = result.assets.loc[2]
    assert (alpha["min_age"], alpha["max_age"]) == (16, 25)
    assert (alpha["referral_required"], alpha["cost"], alpha["gender"]) == (False, "low", "women")


def test_has_blocking_problems_only_for_errors():
    warning = pd.DataFrame(
        {"row": [2], "field": ["email"], "problem": ["x"], "value": [""], "severity": ["warning"]}
    )
    assert not has_blocking_problems(warning)
    assert has_blocking_problems(warning.assign(severity="error"))
    assert not has_blocking_problems(warning.iloc[:0])


def test_category_texts_in_everyday_words_map_through_the_phrase_layer():
    # Issue 12: a directory's "Domestic abuse support" matched no taxonomy category.
    mapped = map_categories(["Domestic abuse support", "Help with drink or drugs", "Knitting"])
    assert mapped["categories"].tolist() == [
        ("womens_support",),
        ("drug_alcohol_support",),
        (),
    ]
