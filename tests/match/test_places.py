"""Towns and villages found in a person's words (:mod:`assetmap.match.places`)."""

from __future__ import annotations

import pytest

from assetmap.match.places import Settlement, find_settlement, km_from, settlement_index

PLACES = [
    Settlement("Oakham", "town", -0.728, 52.670),
    Settlement("Wing", "village", -0.685, 52.618),
    Settlement("Market Overton", "village", -0.686, 52.737),
    Settlement("Overton", "hamlet", -0.5, 52.5),
    Settlement("Belton-in-Rutland", "village", -0.773, 52.609),
    Settlement("Park", "hamlet", -0.6, 52.6),
]
INDEX = settlement_index(PLACES, common=frozenset({"park", "in"}))


@pytest.mark.parametrize(
    ("words", "name", "rest"),
    [
        ("church in wing", "Wing", "church"),
        ("food bank near Oakham", "Oakham", "food bank"),
        ("gp in market overton please", "Market Overton", "gp please"),
        ("a gp in Market-Overton", "Market Overton", "a gp"),
        ("overton gp", "Overton", "gp"),
        ("Oakham's library", "Oakham", "library"),
        ("library round belton", "Belton-in-Rutland", "library"),
    ],
)
def test_a_settlement_is_found_as_whole_words_longest_first(words, name, rest):
    found = find_settlement(words, INDEX)
    assert found is not None
    assert (found.settlement.name, found.rest) == (name, rest)


@pytest.mark.parametrize("words", ["swing park", "wingspan club", "car park", "oakhamite"])
def test_a_settlement_is_never_found_inside_a_word_nor_from_common_words(words):
    assert find_settlement(words, INDEX) is None


def test_a_bad_settlement_is_refused_and_distance_is_in_km():
    with pytest.raises(ValueError, match="kind"):
        Settlement("Wing", "county", 0.0, 52.0)
    with pytest.raises(ValueError, match="no valid point"):
        Settlement("Wing", "village", float("nan"), 52.0)
    assert km_from(PLACES[0], [PLACES[0].lon], [PLACES[0].lat + 0.1])[0] == pytest.approx(11.12)
    assert find_settlement("church in wing", settlement_index([])) is None
