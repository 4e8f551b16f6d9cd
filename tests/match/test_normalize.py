from __future__ import annotations

import pytest

from assetmap.match.normalize import fold_text, normalise_name, normalise_query, strip_control


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("St. Mary's Church", "saint marys church"),
        ("Women’s Group", "womens group"),
        ("Food & Drink", "food and drink"),
        ("food+drink", "food and drink"),
        ("Drop-in  centre", "drop in centre"),
        ("CAFÉ Crème", "cafe creme"),
        ("Straße", "strasse"),
        ("  Oakham   Library \n", "oakham library"),
        ("Stamford Street", "stamford street"),
        ("St", "saint"),
        ("first st", "first saint"),
        ("Barnardo's (Rutland)", "barnardos rutland"),
        ("Alcoholics-Anonymous (AA)", "alcoholics anonymous aa"),
        ("", ""),
        ("!!!", ""),
    ],
)
def test_normalise_name_folds_spelling_variants(text, expected):
    assert normalise_name(text) == expected


def test_none_normalises_to_empty():
    assert normalise_name(None) == ""
    assert normalise_query(None) == ""


def test_query_and_name_meet_on_equal_terms():
    assert normalise_query("ST JOHN'S Food-Bank") == normalise_name("St Johns food bank")


def test_control_characters_are_removed_and_breaks_become_spaces():
    assert strip_control("a\x00b\x07c\td\ne\x9f") == "abc d e"
    assert normalise_query("food\x00\x1b bank") == "food bank"


def test_fold_text_keeps_punctuation_and_lowercases():
    assert fold_text("Ærø-Øst!") == "aero-ost!"


def test_normalisation_is_idempotent():
    text = "St. Anne's Women & Girls' Drop-In — Café"
    once = normalise_name(text)
    assert normalise_name(once) == once
    assert once == "saint annes women and girls drop in cafe"
