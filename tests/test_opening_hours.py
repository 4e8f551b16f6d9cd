from __future__ import annotations

import datetime as dt

import osmium
import pytest
from support import RUTLAND_PBF

from assetmap.errors import AssetMapError, OpeningHoursError
from assetmap.opening_hours import (
    TimeSpan,
    describe_hours,
    open_during,
    parse_opening_hours,
    read_opening_hours,
)


def _rutland_values() -> set[str]:
    values: set[str] = set()
    for obj in osmium.FileProcessor(str(RUTLAND_PBF)).with_filter(
        osmium.filter.KeyFilter("opening_hours")
    ):
        values.add(obj.tags["opening_hours"])
    return values


def test_every_opening_hours_value_in_rutland_osm_parses():
    values = _rutland_values()
    assert len(values) == 35
    unread = {v: read_opening_hours(v).warning for v in values if read_opening_hours(v).warning}
    assert unread == {}


def test_weekday_ranges_and_public_holidays():
    hours = parse_opening_hours("Mo-Fr 09:00-17:00; Sa 10:00-12:00; PH off")
    assert open_during(hours, "Mo", "09:00", "10:00") is True
    assert open_during(hours, "Fr", "16:30", "18:00") is True
    assert open_during(hours, "Fr", "17:00", "18:00") is False
    assert open_during(hours, "Sa", "12:00", "13:00") is False
    assert open_during(hours, "Su", "10:00", "11:00") is False
    assert open_during(hours, dt.date(2026, 11, 28), "10:00", "11:00") is True  # a Saturday


def test_day_lists_with_several_spans():
    hours = parse_opening_hours("Mo,We 10:00-12:00,14:00-16:00")
    assert hours.week[0].spans == (TimeSpan(600, 720), TimeSpan(840, 960))
    assert open_during(hours, "We", "12:30", "13:30") is False
    assert open_during(hours, "We", "13:30", "14:30") is True
    assert open_during(hours, "Tu", "10:00", "16:00") is False


def test_always_open_and_always_closed():
    assert open_during(parse_opening_hours("24/7"), "Su", "03:00", "04:00") is True
    assert open_during(parse_opening_hours("off"), "Tu", "10:00", "12:00") is False


def test_a_later_rule_replaces_an_earlier_one_for_its_days():
    hours = parse_opening_hours("Mo-Fr 09:00-17:00; We off")
    assert open_during(hours, "We", "10:00", "11:00") is False
    assert open_during(hours, "Th", "10:00", "11:00") is True


def test_an_additional_rule_adds_to_the_day():
    hours = parse_opening_hours("Tu-Sa 12:00-13:45,18:30-21:00, Fr 18:30-21:30")
    assert open_during(hours, "Fr", "21:10", "21:20") is True
    assert open_during(hours, "Th", "21:10", "21:20") is False
    assert open_during(hours, "Fr", "12:30", "12:45") is True


def test_hours_past_midnight_count_on_the_next_morning():
    hours = parse_opening_hours("Fr 19:30-00:28")
    assert open_during(hours, "Sa", "00:00", "00:20") is True
    assert open_during(hours, "Sa", "00:30", "01:00") is False
    assert describe_hours(hours) == "Mon-Thu closed; Fri 19:30-00:28; Sat-Sun closed"


def test_comments_are_kept_and_a_comment_alone_is_unknown():
    booked = parse_opening_hours('Mo-Fr 09:00-17:00 "by appointment"')
    assert booked.comments == ("by appointment",)
    assert open_during(booked, "Tu", "10:00", "11:00") is True
    assert describe_hours(booked) == "Mon-Fri 09:00-17:00; Sat-Sun closed (by appointment)"
    alone = parse_opening_hours('"by appointment"')
    assert open_during(alone, "Tu", "10:00", "11:00") is None


def test_public_holidays_alone_say_nothing_about_weekdays():
    assert open_during(parse_opening_hours("PH off"), "Mo", "10:00", "11:00") is None


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("Jan-Mar 10:00-12:00", "unknown word 'Jan' at character 1"),
        ("Mo-Fr 10:00+", "unexpected '+' at character 12"),
        ("Mo 25:00-26:00", "bad time at character 4"),
        ("Mo-", "it ends too early"),
        ("sunrise-sunset", "unknown word 'sunrise' at character 1"),
        ("Mo-Fr 09:00-17:00 || Sa off", "unexpected '|' at character 19"),
    ],
)
def test_values_outside_the_subset_are_unknown_with_a_warning(text, why):
    with pytest.raises(OpeningHoursError, match="could not be read"):
        parse_opening_hours(text)
    reading = read_opening_hours(text)
    assert reading.hours is None
    assert reading.warning == f"Opening hours {text!r} could not be read ({why})."
    assert open_during(reading.hours, "Mo", "10:00", "11:00") is None


@pytest.mark.parametrize("value", ["", "   ", "x" * 300, 42, None, "\x00", ";;;", '"', "Mo,"])
def test_parse_only_ever_raises_our_error(value):
    with pytest.raises(AssetMapError):
        parse_opening_hours(value)


def test_missing_values_are_unknown_without_a_warning():
    assert read_opening_hours(None) == read_opening_hours(float("nan")) == read_opening_hours(" ")
    assert read_opening_hours(None).warning is None


def test_a_window_must_end_after_it_starts_and_name_a_day():
    hours = parse_opening_hours("24/7")
    with pytest.raises(OpeningHoursError, match="must end after it starts"):
        open_during(hours, "Mo", "12:00", "10:00")
    with pytest.raises(OpeningHoursError, match="is not a day of the week"):
        open_during(hours, "Funday", "10:00", "12:00")
