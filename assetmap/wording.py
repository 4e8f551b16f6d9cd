"""Every string a participant sees, in one place, and the reading-age check over them.

People on probation include many who read below the level expected of an
11-year-old. GOV.UK writes for a reading age of 9 (school grade 4 or 5), so
what a participant reads on the session page, in the join flow and on the
Easy Read support sheet is written here in short sentences and everyday
words, with an icon beside each choice. Pages take their words from here
(``W["join_label"]``, :data:`YES_NO`, ...) so the readability test
(``tests/test_wording.py``) checks exactly what is shown.

:func:`reading_grade` is the Flesch–Kincaid grade level, with syllables
counted by hyphenation patterns (pyphen, which WeasyPrint already needs):
``0.39 * words/sentences + 11.8 * syllables/words - 15.59``.

Examples
--------
>>> round(reading_grade("Tap the map. Then save."), 1)
-2.8
>>> reading_grade("Comprehensive multidisciplinary rehabilitation interventions.") > 12
True
>>> [w for w in BANNED_WORDS if w in " ".join(participant_strings()).lower()]
[]
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Final

__all__ = [
    "BANNED_WORDS",
    "BARRIER_WORDS",
    "COST_WORDS",
    "KIND_WORDS",
    "MAX_GRADE",
    "NEED_WORDS",
    "STATUS_WORDS",
    "TYPE_WORDS",
    "WELCOME_WORDS",
    "YES_NO",
    "W",
    "participant_strings",
    "reading_grade",
    "syllables",
    "uk_date",
]

MAX_GRADE: Final = 5.0
"""Highest Flesch–Kincaid grade allowed for participant wording (reading age about 9-10)."""

BANNED_WORDS: Final = (
    "proposal", "proposed", "moderation", "category", "categories", "glm", "asset",
    "for_whom", "none", "facilitator", "referral", "latitude", "longitude",
)  # fmt: skip
"""Words never shown to a participant (professional or internal)."""

W: Final[Mapping[str, str]] = {
    # join flow
    "join_heading": "Join the group",
    "join_label": "Type the code. The group leader will tell you the code.",
    "join_placeholder": "For example K7QH4M",
    "join_button": "Join",
    "join_help": "The code has 6 letters and numbers. Ask the group leader if you do not have it.",
    # the sidebar, once joined
    "taking_part": "Taking part as {label}",
    "leave": "Leave the session",
    # the session
    "ended": "This group has ended. Thank you for your help.",
    "map_heading": "Where is it?",
    "map_hint": "Find it by street, postcode or name. Or tap the map.",
    "skip_map": "Skip the map",
    "form_heading": "Tell us about it",
    "find_label": "🔎 Street, postcode or name",
    "find_placeholder": "For example High Street or LE15 6AB",
    "find_none": "We could not find that. Try a street name or a postcode.",
    "find_pick": "Which one?",
    "find_use": "📍 Put the pin here",
    "no_pin": "There is no pin yet. Find the place, or tap the map.",
    "pin_set": "📍 The pin is in place.",
    "pin_near": "📍 The pin is near {name}.",
    "pin_clear": "Take the pin away",
    "say_about": "💬 Say something about {name}",
    "tapped_place": "You tapped {name}. What do you want to do?",
    "tapped_pin": "📍 Pin a new place here",
    "pin_mode": "🎯 Pin mode: taps go on the map, not on places",
    "pin_mode_hint": "Move the map so the cross is on the place. Then press the button.",
    "pin_at_cross": "📍 Put the pin at the cross",
    "say_about_next": "Now open the 💬 Say tab to tell us about {name}.",
    "need_pin": "Put the pin on the map first. Then press save again.",
    # the place form
    "tab_place": "📍 A place",
    "tab_volunteer": "🙋 Help out",
    "tab_gap": "❓ Missing",
    "tab_comment": "💬 Say",
    "tab_idea": "💡 Ideas",
    "place_name": "What is it called?",
    "place_same": "Is it on the map already? These look the same:",
    "place_same_hint": "If it is one of these, go to the 💬 Say tab. Tell us what you think of it.",
    "place_kind": "What kind of place is it?",
    "place_help": "What does it help with?",
    "place_hours": "When is it open?",
    "place_hours_placeholder": "For example Tuesday 10 to 12",
    "place_cost": "Does it cost money?",
    "place_sent": "Does someone have to send you there?",
    "place_welcome": "Did you feel welcome there?",
    "place_women": "👩 Only for women",
    "place_save": "💾 Save this place",
    "place_saved": "Saved: {name}. The group leader will check it.",
    "not_sure": "❔ Not sure",
    # helping out
    "vol_what": "What would you do?",
    "vol_what_placeholder": "For example help in the garden",
    "vol_who": "Who runs it?",
    "vol_when": "When is it?",
    "vol_when_placeholder": "For example Saturday 10 to 12",
    "vol_dbs": "Do you need a police check (DBS)?",
    "vol_record": "Can you help if you have a record?",
    "vol_save": "💾 Save this way to help",
    "vol_saved": "Saved: {name}. The group leader will check it.",
    # something missing
    "gap_what": "What is missing?",
    "gap_where": "Where? A street, an estate or a village.",
    "gap_use_pin": "📍 Use the pin on the map. We only keep roughly where it is.",
    "gap_note": "Tell us in your own words.",
    "gap_save": "💾 Save what is missing",
    "gap_saved": "Saved. Thank you.",
    # saying what you think of a place
    "say_empty": "There is nothing on the map yet to talk about.",
    "say_which": "Which place?",
    "say_welcome": "How welcome did you feel?",
    "say_hard": "What made it hard?",
    "say_hard_none": "Nothing",
    "say_note": "Anything else?",
    "say_save": "💾 Save what you said",
    "say_saved": "Saved. Thank you for telling us.",
    # ideas
    "idea_first": (
        "Ideas start from something that is missing. Add that first in the ❓ Missing tab."
    ),
    "idea_which": "What is missing?",
    "idea_missing_where": "{need} in {area}",
    "idea_missing_map": "{need}, on the map",
    "idea_what": "Your idea. What could we start?",
    "idea_who": "Who is it for?",
    "idea_needs": "What would it need?",
    "idea_save": "💾 Save your idea",
    "idea_saved": "Saved your idea. Now everyone can vote for it.",
    "idea_for": "for {who}",
    "vote": "👍 Vote ({votes})",
    "voted": "Thank you for your vote.",
    # what the group has added
    "added_heading": "What this group has added",
    "added_what": "What",
    "added_name": "Name",
    "added_status": "Is it on the map?",
    "added_more": "More",
    "added_none": "Nothing yet. What you add will show here.",
}
"""The participant's words, by key."""

YES_NO: Final[Mapping[str, str]] = {"unknown": "❔ Not sure", "yes": "✅ Yes", "no": "❌ No"}
"""Answers to a yes-or-no question (``unknown`` is stored as no answer)."""

KIND_WORDS: Final[Mapping[str, str]] = {
    "service": "🤝 Help or advice",
    "activity": "⚽ A club or group",
    "informal": "☕ A place to go, like a café or a park",
    "organisation": "🏢 A charity or other group",
}
"""What kind of place (schema ``kind`` codes)."""

COST_WORDS: Final[Mapping[str, str]] = {
    "": "❔ Not sure",
    "free": "🆓 Free",
    "low": "🪙 It costs a little",
    "paid": "💷 It costs money",
}
"""Cost (schema ``cost`` codes)."""

WELCOME_WORDS: Final[Mapping[int, str]] = {
    0: "⏭️ Skip",
    1: "😟 1: Not welcome",
    2: "🙁 2",
    3: "😐 3: OK",
    4: "🙂 4",
    5: "😊 5: Very welcome",
}
"""How welcome a person felt (1 to 5; 0 = no answer)."""

BARRIER_WORDS: Final[Mapping[str, str]] = {
    "cost": "💷 It cost too much",
    "distance": "🚶 It was too far",
    "opening_hours": "🕘 It was shut when I could go",
    "convictions": "🚫 They were not fair to people with a record",
}
"""What got in the way (``assetmap.sessions.BARRIERS`` codes)."""

NEED_WORDS: Final[Mapping[str, str]] = {
    "accommodation": "🏠 A place to live",
    "ete": "💼 Work, training or school",
    "health": "🩺 Health",
    "mental_health": "🧠 Feeling low or stressed",
    "drugs_alcohol": "🍺 Drink or drugs",
    "finance_benefit_debt": "💷 Money, benefits or debt",
    "children_families": "👨‍👩‍👧 Children and family",
    "attitudes_thinking_behaviour": "💭 Help to think and act in new ways",
    "women_abuse": "🛡️ Help after abuse (women)",
    "women_sex_work": "🤝 Help for women who sell sex",
}
"""What is missing (taxonomy need codes)."""

TYPE_WORDS: Final[Mapping[str, str]] = {
    "asset": "📍 A place",
    "volunteering": "🙋 Help out",
    "gap": "❓ Missing",
    "comment": "💬 What you said",
    "idea": "💡 Idea",
}
"""What each row of the group's list is (``session_contributions`` types)."""

STATUS_WORDS: Final[Mapping[str, str]] = {
    "proposed": "⏳ Not checked yet",
    "accepted": "✅ Yes",
    "verified": "✅ Yes",
    "merged": "✅ Yes",
    "rejected": "✖️ No",
    "open": "⏳ Not checked yet",
}
"""Where each row is up to (statuses), in words."""

_TABLES: Final = (YES_NO, KIND_WORDS, COST_WORDS, WELCOME_WORDS, BARRIER_WORDS, NEED_WORDS,
                  TYPE_WORDS, STATUS_WORDS)  # fmt: skip


def participant_strings() -> Iterator[str]:
    """Yield every string of this catalogue (messages, then choices)."""
    yield from W.values()
    for table in _TABLES:
        yield from (str(v) for v in table.values())


@cache
def _dictionary() -> object:
    import pyphen

    return pyphen.Pyphen(lang="en_GB")


_WORD: Final = re.compile(r"[A-Za-z][A-Za-z']*")
_SENTENCE_END: Final = re.compile(r"[.!?:]+(?:\s|$)")


def syllables(word: str) -> int:
    """Return the syllables in ``word`` by hyphenation points (at least one).

    Hyphenation patterns miss some breaks, so a word also counts at least one
    syllable per group of vowels less a silent final ``e``.

    >>> [syllables(w) for w in ("map", "welcome", "minutes", "people", "moderation", "probation")]
    [1, 2, 2, 2, 4, 3]
    """
    lower = word.lower().strip("'")
    inserted = _dictionary().inserted(lower)  # type: ignore[attr-defined]
    by_pattern = str(inserted).count("-") + 1
    groups = len(re.findall(r"[aeiouy]+", lower))
    silent = re.search(r"(?:[^aeiouy]e|[^aeiouyl]es|[^aeiouytd]ed)$", lower) is not None
    syllabic_le = re.search(r"[^aeiouy]le$", lower) is not None
    by_vowels = groups - (1 if silent and groups > 1 and not syllabic_le else 0)
    return max(1, by_pattern, by_vowels)


def reading_grade(text: str) -> float:
    """Return the Flesch–Kincaid grade level of ``text`` (0 for text with no words).

    Each line, and each run ended by ``.``, ``!``, ``?`` or ``:``, is a sentence.
    """
    words = _WORD.findall(text)
    if not words:
        return 0.0
    pieces = [p for line in text.splitlines() for p in _SENTENCE_END.split(line)]
    sentences = max(1, sum(1 for p in pieces if _WORD.search(p)))
    total = sum(syllables(w) for w in words)
    return 0.39 * len(words) / sentences + 11.8 * total / len(words) - 15.59


def uk_date(value: object) -> str:
    """Return a date (or ISO text) the UK way, in words: ``3 November 2026``.

    Text that is not an ISO date is returned as it is.

    >>> uk_date("2026-11-03"), uk_date(dt.date(2026, 1, 21)), uk_date("next week")
    ('3 November 2026', '21 January 2026', 'next week')
    """
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            return str(value)
    return f"{value.day} {value:%B %Y}"
