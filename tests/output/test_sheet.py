from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from assetmap.errors import SchemaError
from assetmap.output.sheet import sheet_map_svg, support_sheet_html, support_sheet_pdf
from assetmap.reach.network import WalkNetwork

HOSTILE = '<script>alert("x")</script>'


@pytest.fixture
def services() -> pd.DataFrame:
    """Two Oakham services as match_plan returns them, one with a hostile name."""
    return pd.DataFrame(
        {
            "name": ["Rutland County Library", f"{HOSTILE} Club"],
            "lon": [-0.72586, -0.72970],
            "lat": [52.66934, 52.67072],
            "minutes": [4.6, 0.4],
            "address": ["Catmos Street, Oakham", None],
            "postcode": ["LE15 6HW", None],
            "hours": ["Mon-Fri 09:30-17:00; Sat-Sun closed", "Opening hours not known"],
            "phone": ["+44 1572 722918", None],
            "email": [None, "club@example.org"],
            "website": ["https://www.rutland.gov.uk/libraries", None],
            "why": ["secret reasoning", "more"],
        }
    )


@pytest.fixture
def street() -> WalkNetwork:
    """Two streets near the services and one far away in Uppingham."""
    return WalkNetwork(
        node_ids=np.array([1, 2, 3, 4, 5]),
        lon=np.array([-0.7300, -0.7250, -0.7280, -0.7230, -0.7200]),
        lat=np.array([52.6700, 52.6700, 52.6690, 52.5880, 52.5890]),
        edge_u=np.array([0, 0, 3], dtype=np.int32),
        edge_v=np.array([1, 2, 4], dtype=np.int32),
        length_m=np.array([340.0, 150.0, 230.0]),
    )


def test_sheet_lists_the_chosen_services_with_contact_details(services, street):
    page = support_sheet_html(services, network=street, made_on=dt.date(2026, 11, 24))
    assert "Made on 24 November 2026." in page
    assert "Rutland County Library" in page
    assert "5 min walk" in page
    assert "1 min walk" in page
    assert "<dd>Catmos Street, Oakham, LE15 6HW</dd>" in page
    assert "<dd>Mon-Fri 09:30-17:00; Sat-Sun closed</dd>" in page
    assert "<dd>+44 1572 722918</dd>" in page
    assert "<dd>club@example.org</dd>" in page
    assert "© OpenStreetMap contributors" in page


def test_sheet_says_what_each_place_is_and_leaves_out_a_bare_house_number(services):
    named = services.assign(
        categories=[("library",), ("dentist", "pharmacy", "not_a_code")],
        address=["Catmos Street, Oakham", "74"],
    )
    page = support_sheet_html(named)
    assert "<dt>What</dt><dd>Library (books, computers, free wifi)</dd>" in page
    assert "<dt>What</dt><dd>Dentist; Chemist (pharmacy)</dd>" in page
    assert "<dd>Catmos Street, Oakham, LE15 6HW</dd>" in page
    assert "<dd>74</dd>" not in page
    with_postcode = named.assign(postcode=["LE15 6HW", "LE15 6LE"])
    assert "<dt>Address</dt><dd>LE15 6LE</dd>" in support_sheet_html(with_postcode)
    assert "<dt>What</dt>" not in support_sheet_html(services)  # no categories given
    labelled = services.assign(categories=["Library (books, computers, free wifi)", "Dentist"])
    assert "<dt>What</dt><dd>Dentist</dd>" in support_sheet_html(labelled)  # as match gives them


def test_every_user_string_is_escaped(services):
    page = support_sheet_html(services, note=f"Ask for {HOSTILE}", title=f"For {HOSTILE}")
    assert "<script>" not in page
    assert page.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") == 4


def test_nothing_about_the_person_unless_the_worker_adds_it(services, street):
    page = support_sheet_html(services, network=street)
    assert "secret reasoning" not in page  # match reasons stay on screen
    assert 'fill="#000"' not in page  # no start marker
    marked = support_sheet_html(services, network=street, start=(-0.7297, 52.6707))
    assert marked.count('fill="#000"') == 1


def test_map_draws_numbered_points_and_only_nearby_streets(services, street):
    svg = sheet_map_svg(services, network=street, width=400, height=300)
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"')
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    (path,) = re.findall(r'<path d="([^"]*)"', svg)
    assert path.count("M") == 2  # the Uppingham street is outside the frame
    numbers = re.findall(r'fill="#fff">(\d+)</text>', svg)
    assert sorted(numbers) == ["1", "2"]


def test_pdf_is_a_one_page_pdf(services, street, tmp_path):
    pdf = support_sheet_pdf(support_sheet_html(services, network=street))
    assert pdf.startswith(b"%PDF-")
    target = tmp_path / "sheet.pdf"
    target.write_bytes(pdf)
    info = subprocess.run(
        [shutil.which("pdfinfo") or "pdfinfo", str(target)], capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    assert re.search(r"^Pages:\s+1$", info.stdout, re.MULTILINE)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.iloc[0:0], "Choose at least one service"),
        (lambda s: s.drop(columns="lat"), "lacks column\\(s\\) lat"),
        (lambda s: s.assign(lon=[None, -0.7]), "service 1: `lon`/`lat` are missing"),
        (lambda s: pd.concat([s] * 11), "at most 20 services, got 22"),
    ],
)
def test_bad_sheets_are_refused(services, change, message):
    with pytest.raises(SchemaError, match=message):
        support_sheet_html(change(services))


def test_overlong_note_is_refused(services):
    with pytest.raises(SchemaError, match="10,000 characters long; the limit is 1,000"):
        support_sheet_html(services, note="x" * 10_000)
