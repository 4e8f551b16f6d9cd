"""Participant wording: reading age about 9 (Flesch–Kincaid grade ≤ 5), no jargon, icons."""

from __future__ import annotations

import re

import pytest

from assetmap import wording
from assetmap.easy_read import easy_read_strings
from assetmap.wording import BANNED_WORDS, MAX_GRADE, participant_strings, reading_grade

PROPER_NAMES = frozenset({"OpenStreetMap"})  # named as the licence asks
_WORDS = re.compile(r"[A-Za-z][A-Za-z']*")
# What the old session page said (before issue 15): the test must reject it.
OLD_WORDING = (
    "Type the code your facilitator gives you",
    "An informal place (café, park, library corner…)",
    "The session has ended. Its proposals wait on the Moderation page.",
    "Education, training and employment",
    "Open to people with convictions? DBS check needed? Do you need a referral?",
)


def _all() -> list[str]:
    return [*participant_strings(), *easy_read_strings()]


def _problems(text: str) -> list[str]:
    """Why ``text`` is too hard: a long sentence's grade, a long word, a banned word."""
    found = []
    text = re.sub(r"\{\w+\}", "", text)  # placeholders are filled with data or numbers
    words = _WORDS.findall(text)
    if len(words) >= 6 and reading_grade(text) > MAX_GRADE:
        found.append(f"grade {reading_grade(text):.1f}")
    found += [f"long word {w!r}" for w in words
              if wording.syllables(w) > 3 and w not in PROPER_NAMES]  # fmt: skip
    found += [f"jargon {w!r}" for w in words if w.lower() in BANNED_WORDS]
    return found


@pytest.mark.parametrize("text", _all())
def test_each_string_is_plain(text: str) -> None:
    assert _problems(text) == []


def test_all_of_it_together_reads_at_grade_5_or_below() -> None:
    assert reading_grade("\n".join(_all())) <= MAX_GRADE


@pytest.mark.parametrize("text", OLD_WORDING)
def test_the_old_wording_would_have_failed(text: str) -> None:
    assert _problems(text), text


@pytest.mark.parametrize(
    "table",
    [wording.YES_NO, wording.KIND_WORDS, wording.COST_WORDS, wording.WELCOME_WORDS,
     wording.BARRIER_WORDS, wording.NEED_WORDS, wording.TYPE_WORDS, wording.STATUS_WORDS],
)  # fmt: skip
def test_every_choice_has_an_icon(table: dict[object, str]) -> None:
    for label in table.values():
        assert not label[0].isascii(), label


def test_reading_grade_matches_a_worked_example() -> None:
    # 12 words, 2 sentences, 14 syllables ("very", "happy": two each)
    text = "The cat sat on the mat. It was a very happy cat."
    assert reading_grade(text) == pytest.approx(0.39 * 6 + 11.8 * 14 / 12 - 15.59)
