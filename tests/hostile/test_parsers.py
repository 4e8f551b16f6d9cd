"""Hostile input to the small parsers: postcodes, opening hours and the search query.

Each returns a result or raises an :class:`~assetmap.errors.AssetMapError`
subclass; anything else (a ``TypeError``, an ``IndexError``...) fails the test.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import pandas as pd
from hostile._hostile import hostile, hostile_text
from hypothesis import given
from hypothesis import strategies as st

from assetmap.errors import OpeningHoursError, PostcodeError, QueryError, SchemaError
from assetmap.ingest.postcodes import normalise_postcode
from assetmap.match.search import SearchIndex, build_search_index, search_index
from assetmap.opening_hours import describe_hours, open_during, parse_opening_hours
from assetmap.schema import normalise_record, records_to_frame
from assetmap.taxonomy import load_taxonomy

_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$")

postcode_like = st.builds(
    lambda area, district, sector, unit, spaces, lower: (
        f"{area}{district}{spaces}{sector}{unit}".lower()
        if lower
        else f"{area}{district}{spaces}{sector}{unit}"
    ),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0", min_size=0, max_size=3),
    st.text(alphabet="0123456789ABO", min_size=0, max_size=3),
    st.text(alphabet="0123456789O", min_size=0, max_size=2),
    st.text(alphabet="ABDEFGHJLNPQRSTUWXYZ01", min_size=0, max_size=3),
    st.text(alphabet=" \t\u00a0-", max_size=3),
    st.booleans(),
)


@hostile(300)
@given(st.one_of(postcode_like, hostile_text, st.integers(), st.floats(), st.none()))
def test_postcode_parser_returns_a_postcode_or_a_postcode_error(value: Any) -> None:
    try:
        postcode = normalise_postcode(value)
    except PostcodeError:
        return
    assert _POSTCODE.match(postcode), postcode
    assert normalise_postcode(postcode) == postcode


_HOURS_TOKENS = st.sampled_from(
    [
        "Mo", "Tu-Fr", "Sa,Su", "Fr-Mo", "PH", "SH", "Monday", "tues", "off", "closed", "open",
        "unknown", "09:00-17:00", "22:00-02:00", "19:30-24:30", "24/7", "00:00-24:00", "25:00",
        "9:5", "10:00+", "sunrise-sunset", "Jan", "week", "Mo[1]", "||", ";", ",", "-", ":",
        '"by appointment"', '"', " ", "\u2013", "12:00-12:00", "23:59-00:00", "99:99-00:00",
    ]
)  # fmt: skip
hours_like = st.lists(_HOURS_TOKENS, max_size=12).map(" ".join)


@hostile(300)
@given(st.one_of(hours_like, hostile_text, st.integers(), st.none()))
def test_opening_hours_parser_returns_hours_or_an_opening_hours_error(value: Any) -> None:
    try:
        hours = parse_opening_hours(value)
    except OpeningHoursError:
        return
    assert isinstance(describe_hours(hours), str)
    for day in ("Mo", "Su"):
        assert open_during(hours, day, "09:00", "10:00") in (True, False, None)


@functools.cache
def _index() -> SearchIndex:
    taxonomy = load_taxonomy()
    rows = [
        ("Oakham Library", ["library"], "Catmos Street"),
        ("Rutland Foodbank", ["food_support"], "Tuesday and Friday 10-12"),
        ("Uppingham Library", ["library"], None),
        ("St Mary's Church Hall", ["community_centre"], "<script>alert(1)</script>"),
    ]
    records = [
        normalise_record(
            {
                "id": f"a{i}",
                "name": name,
                "categories": categories,
                "description": description,
                "lon": -0.72 + i / 100,
                "lat": 52.67,
            },
            taxonomy=taxonomy,
            where=f"row {i}",
        )
        for i, (name, categories, description) in enumerate(rows)
    ]
    return build_search_index(records_to_frame(records), taxonomy=taxonomy)


query_like = st.lists(
    st.sampled_from(["library", "libary", "food", "bank", "oakham", "st", "mary's", "&", "AND"]),
    max_size=8,
).map(" ".join)


@hostile(200)
@given(st.one_of(query_like, hostile_text, st.none(), st.integers()), st.integers(1, 200))
def test_search_returns_results_or_a_query_error(query: Any, limit: int) -> None:
    try:
        found = search_index(_index(), query, limit=limit)
    except (QueryError, SchemaError):
        return
    assert isinstance(found, pd.DataFrame)
    assert len(found) <= limit
    assert set(found["id"]) <= {"a0", "a1", "a2", "a3"}
