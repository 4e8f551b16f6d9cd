"""Read a person's words: which needs, goods and categories they ask for, when, how urgently.

The everyday phrases of ``assetmap/data/phrases.yaml`` (:func:`assetmap.taxonomy.load_phrases`)
are matched on **whole words** after normalisation and a light lemma (plural and
possessive "s" dropped), so "rent" never meets "parent", "art" never "heart" and
"men" never "women". A word of five letters or more that is one letter off a
known word is read as that word ("councelling" -> "counselling"), unless it is
an English word in its own right: "refugee" is not a slip for "refuge"
(:func:`is_english_word`).

Where phrases overlap, the longest wins: "sexual health clinic" is a narrow
phrase (a place must say so itself), so its "clinic" does not also ask for any
GP surgery. Time words become the times the person can go ("saturday",
"weekend", "tuesday evening"); urgent words ("tonight", "crisis") mark the need
urgent.

Examples
--------
>>> reading = read_words("help with my drinking on a saturday")
>>> reading.categories["drug_alcohol_support"], reading.windows, reading.urgent
(1.0, (('Sa', '00:00', '23:59'),), False)
>>> "arts_culture" in read_words("heart problems").categories
False
>>> read_words("somewhere to sleep tonight").urgent
True
>>> lemma("families"), lemma("kids"), lemma("womens"), lemma("class")
('family', 'kid', 'women', 'class')
>>> read_words("refugee support").categories
{'refugee_support': 1.0}
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from rapidfuzz import process
from rapidfuzz.distance import OSA
from spellchecker import SpellChecker

from assetmap.match.normalize import normalise_query
from assetmap.taxonomy import PhraseBook, Taxonomy, load_phrases, load_taxonomy

__all__ = [
    "PhraseIndex",
    "Reading",
    "build_phrase_index",
    "is_english_word",
    "lemma",
    "lemmas",
    "read_words",
    "spelling_variant",
]

_IRREGULAR: Final = {"children": "child", "people": "person", "teeth": "tooth"}
_SPECIALIST: Final = 0.9  # a category made for the need asked for
_SECONDARY: Final = 0.7  # a category that serves the need among others
_GOOD_FIRST: Final = 0.75
_GOOD_OTHER: Final = 0.6
_GENERAL: Final = 0.4  # council offices, village halls: a little of everything
_ALL_DAYS: Final = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
# A word seen at least this often in pyspellchecker's English word frequencies is a word
# of its own, never corrected into another ("refugee" stays "refugee"); rarer entries are
# mostly misspellings that made it into the subtitles the list was counted from.
_ENGLISH_MIN_COUNT: Final = 50


@functools.lru_cache(maxsize=1)
def _english() -> dict[str, int]:
    """English word -> frequency (pyspellchecker's list, read once: about half a second)."""
    return SpellChecker(language="en", distance=1).word_frequency.dictionary


def is_english_word(word: str) -> bool:
    """Return whether ``word`` (lower case) is a common English word.

    Examples
    --------
    >>> is_english_word("refugee"), is_english_word("councelling")
    (True, False)
    """
    return _english().get(word, 0) >= _ENGLISH_MIN_COUNT


def lemma(word: str) -> str:
    """Return a light lemma of one normalised word (plural and possessive "s" dropped).

    Examples
    --------
    >>> [lemma(w) for w in ("libraries", "churches", "services", "bus", "mens", "class")]
    ['library', 'church', 'service', 'bus', 'men', 'class']
    """
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if len(word) >= 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def lemmas(text: str) -> tuple[str, ...]:
    """Return the lemmas of ``text``'s words, in order.

    Examples
    --------
    >>> lemmas("Women's Groups & Kids' Clubs")
    ('women', 'group', 'and', 'kid', 'club')
    """
    return tuple(lemma(w) for w in normalise_query(text).split())


@dataclass(frozen=True, slots=True)
class _Phrase:
    words: tuple[str, ...]
    categories: Mapping[str, float]  # category -> how directly the phrase asks for it
    narrow: bool
    text: str


@dataclass(frozen=True, eq=False)
class PhraseIndex:
    """The phrase book compiled for matching: phrases by first lemma, time and urgent words."""

    by_first: Mapping[str, tuple[_Phrase, ...]]
    vocabulary: frozenset[str]
    sorted_vocabulary: tuple[str, ...]
    ignore: frozenset[str]
    urgent: frozenset[tuple[str, ...]]
    days: Mapping[str, tuple[str, ...]]  # lemma -> day codes
    parts: Mapping[str, tuple[str, str]]  # lemma -> (start, end)
    older_people: tuple[tuple[str, ...], ...]
    general: frozenset[str]
    longest: int
    prefer: Mapping[tuple[str, ...], tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    heads: frozenset[str] = frozenset()  # last words of phrases: what is asked for


@dataclass(frozen=True, slots=True)
class Reading:
    """What a person's words ask for.

    Attributes
    ----------
    words
        The content words (lemmas) the score is shared over, in order: time,
        urgent and empty words left out.
    categories
        Category code -> how directly the words ask for it (0-1).
    covers
        Category code -> positions in ``words`` its phrases explain.
    narrow
        Category code -> phrases (lemmas) a place of it must itself mention.
    phrases
        The phrases recognised, as written in the phrase book.
    windows
        ``(day, "HH:MM", "HH:MM")`` times the words name.
    urgent
        Whether the words make the need urgent.
    weights
        Weight of each of ``words``: 1, or 2 for a word no phrase and no
        place knows (a qualifier such as "polish" or "lgbt": a place that
        explains only the rest of the words is then not a match).
    prefer
        Phrases (lemmas) that, in a place's own text, make it the very kind
        of place asked for ("gp" -> "surgery").
    """

    words: tuple[str, ...]
    categories: Mapping[str, float] = field(default_factory=dict)
    covers: Mapping[str, frozenset[int]] = field(default_factory=dict)
    narrow: Mapping[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    phrases: tuple[str, ...] = ()
    windows: tuple[tuple[str, str, str], ...] = ()
    urgent: bool = False
    weights: tuple[float, ...] = ()
    prefer: tuple[tuple[str, ...], ...] = ()


def _targets(
    book: PhraseBook, taxonomy: Taxonomy
) -> Iterable[tuple[str, Mapping[str, float], int]]:
    """Yield (phrase, category weights, level): narrow 3, category 2, need or good 1."""
    general = set(book.general_categories)
    for code, phrases in book.categories.items():
        for phrase in phrases:
            yield phrase, {code: 1.0}, 2
    for code, phrases in book.narrow.items():
        for phrase in phrases:
            yield phrase, {code: 1.0}, 3
    for need, phrases in book.needs.items():
        weights = {
            c.code: _GENERAL
            if c.code in general
            else (_SPECIALIST if c.needs[0] == need else _SECONDARY)
            for c in taxonomy.categories.values()
            if need in c.needs
        }
        for phrase in phrases:
            yield phrase, weights, 1
    for good in taxonomy.glm_goods.values():
        # Goods are met by everyday places (a village hall is where community happens).
        weights = {
            c.code: _GOOD_FIRST if c.glm_goods[0] == good.code else _GOOD_OTHER
            for c in taxonomy.categories.values()
            if good.code in c.glm_goods
        }
        # Staff write a good by its name ("relatedness", "GLM: inner peace").
        named = (good.code.replace("_", " "), good.label.split("(")[0])
        for phrase in (*book.goods.get(good.code, ()), *named):
            yield phrase, weights, 1


def build_phrase_index(
    book: PhraseBook | None = None, *, taxonomy: Taxonomy | None = None
) -> PhraseIndex:
    """Compile a phrase book (the default ``assetmap/data/phrases.yaml``) for :func:`read_words`.

    Examples
    --------
    >>> index = build_phrase_index()
    >>> "toothache" in index.vocabulary, "parent" in index.vocabulary
    (True, True)
    """
    tax = taxonomy or load_taxonomy()
    book = book or load_phrases()
    _english()  # read the English word list with the index, not at the first query
    # The most direct reading of a phrase wins: a phrase naming a category ("gp") asks
    # for that category, not for everything its need is served by (a gym for "health").
    merged: dict[tuple[str, ...], tuple[dict[str, float], int, str]] = {}
    for text, weights, level in _targets(book, tax):
        words = lemmas(text)
        if not words:
            continue
        known, was, first = merged.get(words, ({}, 0, text))
        if level < was:
            continue
        if level > was:
            known, first = {}, text
        for code, weight in weights.items():
            known[code] = max(known.get(code, 0.0), weight)
        merged[words] = (known, level, first)
    by_first: dict[str, list[_Phrase]] = {}
    for words, (weights, level, text) in merged.items():
        by_first.setdefault(words[0], []).append(_Phrase(words, weights, level == 3, text))
    days: dict[str, tuple[str, ...]] = {
        lemma(w): (code,) for code, words in book.days.items() for w in words
    }
    for w in book.weekend:
        for part in lemmas(w):
            days.setdefault(part, ("Sa", "Su"))
    parts: dict[str, tuple[str, str]] = {}
    for span, words in book.day_parts.items():
        start, _, end = span.partition("-")
        for w in words:
            parts[lemma(normalise_query(w))] = (start.strip(), end.strip())
    vocabulary = {w for words in merged for w in words} | set(days) | set(parts)
    ignore = frozenset(lemma(w) for text in book.ignore for w in normalise_query(text).split())
    return PhraseIndex(
        by_first={k: tuple(sorted(v, key=lambda p: -len(p.words))) for k, v in by_first.items()},
        vocabulary=frozenset(vocabulary),
        sorted_vocabulary=tuple(sorted(w for w in vocabulary if len(w) >= 4)),
        ignore=ignore,
        urgent=frozenset(lemmas(t) for t in book.urgent),
        days=days,
        parts=parts,
        older_people=tuple(lemmas(t) for t in book.older_people),
        general=frozenset(book.general_categories),
        longest=max((len(w) for w in merged), default=1),
        prefer={lemmas(k): tuple(lemmas(v) for v in values) for k, values in book.prefer.items()},
        heads=frozenset(words[-1] for words in merged) - ignore,
    )


@functools.lru_cache(maxsize=1)
def _default_index() -> PhraseIndex:
    return build_phrase_index()


@functools.lru_cache(maxsize=4096)
def _correct(word: str, vocabulary: tuple[str, ...]) -> str:
    """Return the known word ``word`` is one slip from (two for long words), or ``word``.

    A four-letter word is corrected only for two letters swapped after the first
    ("bnak" -> "bank"); shorter words never.
    """
    if word.isdigit() or len(word) < 4:
        return word
    if len(word) == 4:
        swaps = (word[0] + word[2] + word[1] + word[3], word[:2] + word[3] + word[2])
        return next((w for w in swaps if w in vocabulary), word)
    limit = 2 if len(word) >= 9 else 1
    best = process.extractOne(word, vocabulary, scorer=OSA.distance, score_cutoff=limit)
    if best is None:
        return word
    target = str(best[0])
    return target if target[0] == word[0] else word


_VARIANTS: Final = (("or", "our"), ("ize", "ise"), ("yze", "yse"), ("er", "re"), ("og", "ogue"))


def spelling_variant(word: str, other: str) -> bool:
    """Return whether two words are one word spelt the American and the British way.

    A doubled consonant ("counseling", "counselling") or a known ending ("center",
    "centre"; "color", "colour"; "organize", "organise").

    Examples
    --------
    >>> spelling_variant("counseling", "counselling"), spelling_variant("center", "centre")
    (True, True)
    >>> spelling_variant("refugee", "refuge")
    False
    """
    short, long_ = sorted((word, other), key=len)
    if len(long_) == len(short) + 1:
        for at in range(1, len(long_)):
            doubled = long_[at] == long_[at - 1] and long_[at] not in "aeiouy"
            if doubled and long_[:at] + long_[at + 1 :] == short:
                return True
    for us, uk in _VARIANTS:
        for a, b in ((word, other), (other, word)):
            if a.endswith(us) and b.endswith(uk) and a[: -len(us)] == b[: -len(uk)]:
                return True
        if us in word and uk in other and word.replace(us, uk, 1) == other:
            return True
    return False


def _correct_unless_english(word: str, typed: str, vocabulary: tuple[str, ...]) -> str:
    """Correct a slip, but never turn an English word into another ("refugee", "refuge")."""
    meant = _correct(word, vocabulary)
    if meant == word or not (is_english_word(word) or is_english_word(typed)):
        return meant
    return meant if spelling_variant(word, meant) else word


def _contains(words: tuple[str, ...], phrase: tuple[str, ...], at: int) -> bool:
    return words[at : at + len(phrase)] == phrase


_FILLER: Final = 0.5  # an everyday English word no phrase knows ("nearest", "hire")
_QUALIFIER: Final = 2.0  # a word nothing knows ("lgbt"), or a narrow one ("mosque")


_SERVICE_WORDS: Final = frozenset({"support", "service", "help", "advice", "provision"})


def _qualifies(words: tuple[str, ...], at: int, heads: frozenset[str]) -> bool:
    """Return whether the word at ``at`` stands before what is asked for ("trans support group")."""
    after = at + 1
    while after < len(words) and words[after] in _SERVICE_WORDS:
        after += 1
    return after < len(words) and words[after] in heads


def _weight(
    word: str, typed: str, known: frozenset[str] | set[str], place: tuple[bool, bool]
) -> float:
    """How much one content word counts in the share a place must explain.

    ``place``: (inside a narrow phrase, just before a phrase).
    """
    narrowed, before_phrase = place
    if narrowed:
        return _QUALIFIER
    if word in known:
        return 1.0
    if before_phrase:
        return _QUALIFIER
    return _FILLER if is_english_word(word) or is_english_word(typed) else _QUALIFIER


def read_words(
    text: str, *, index: PhraseIndex | None = None, known: Iterable[str] = ()
) -> Reading:
    """Read what a person's words ask for (see the module docstring).

    Parameters
    ----------
    text
        The words, as typed.
    index
        From :func:`build_phrase_index` (the default phrase book when omitted).
    known
        Other words to keep as they are rather than correct (the register's own words).

    Returns
    -------
    Reading
    """
    idx = index or _default_index()
    keep = set(known)
    typed = normalise_query(text).split()
    raw = tuple(lemma(w) for w in typed)
    words = tuple(
        w
        if (w in idx.vocabulary or w in keep or w in idx.ignore)
        else _correct_unless_english(w, original, idx.sorted_vocabulary)
        for w, original in zip(raw, typed, strict=True)
    )
    # Phrases, longest first; a phrase inside a longer match is dropped.
    found: list[tuple[int, _Phrase]] = []
    for start, word in enumerate(words):
        for phrase in idx.by_first.get(word, ()):
            if _contains(words, phrase.words, start):
                found.append((start, phrase))
    spans = [(s, s + len(p.words)) for s, p in found]
    kept = [
        (s, p)
        for (s, p), (a, b) in zip(found, spans, strict=True)
        if not any(c <= a and b <= d and (d - c) > (b - a) for c, d in spans)
    ]
    urgent = any(_contains(words, phrase, s) for phrase in idx.urgent for s in range(len(words)))
    # Time words: days (or the weekend) and parts of the day.
    days: list[str] = []
    part: tuple[str, str] | None = None
    timed: set[int] = set()
    for position, word in enumerate(words):
        if word in idx.days:
            days.extend(d for d in idx.days[word] if d not in days)
            timed.add(position)
        elif word in idx.parts and not any(s <= position < s + len(p.words) for s, p in kept):
            part = idx.parts[word]
            timed.add(position)
    windows: tuple[tuple[str, str, str], ...] = ()
    if days or part:
        begin, finish = part or ("00:00", "23:59")
        windows = tuple((d, begin, finish) for d in (days or list(_ALL_DAYS)))
    # Urgent words say how soon, not what ("right now"), unless a phrase asks for them too
    # ("suicidal" is urgent and a mental-health need).
    phrased = {p for s, ph in kept for p in range(s, s + len(ph.words))}
    hurry = {
        p
        for phrase in idx.urgent
        for s in range(len(words))
        if _contains(words, phrase, s)
        for p in range(s, s + len(phrase))
        if p not in phrased
    }
    content = [
        p for p, w in enumerate(words) if w not in idx.ignore and p not in timed and p not in hurry
    ]
    if not content:  # only family or empty words ("my kids"): they are what is asked
        content = [p for p in range(len(words)) if p not in timed and p not in hurry]
    # Phrases may cover ignored words ("my partner hits me"); only content words count.
    where = {p: n for n, p in enumerate(content)}
    known_words = idx.vocabulary | keep
    narrowed = {p for s, ph in kept if ph.narrow for p in range(s, s + len(ph.words))}
    # A word just before what a phrase asks for (its last word) qualifies it ("polish
    # community centre", "betting shop"); elsewhere an everyday word is filler ("nearest").
    before = {p for p in range(len(words)) if _qualifies(words, p, idx.heads)}
    weights = tuple(
        _weight(words[p], typed[p], known_words, (p in narrowed, p in before)) for p in content
    )
    prefer = tuple(
        dict.fromkeys(
            target
            for key, targets in idx.prefer.items()
            for s in range(len(words))
            if _contains(words, key, s)
            for target in targets
        )
    )
    categories: dict[str, float] = {}
    covers: dict[str, set[int]] = {}
    narrow: dict[str, list[tuple[str, ...]]] = {}
    for start, phrase in kept:
        positions = {where[p] for p in range(start, start + len(phrase.words)) if p in where}
        if not positions:
            continue
        for code, weight in phrase.categories.items():
            categories[code] = max(categories.get(code, 0.0), weight)
            covers.setdefault(code, set()).update(positions)
            if phrase.narrow:
                narrow.setdefault(code, []).append(phrase.words)
    # A narrow phrase inside a longer one still narrows it: "catholic church" asks for
    # a church that says it is catholic, not any church.
    for _, phrase in found:
        if phrase.narrow and phrase.text not in {p.text for _, p in kept}:
            for code in set(phrase.categories) & set(categories):
                narrow.setdefault(code, []).append(phrase.words)
    return Reading(
        words=tuple(words[p] for p in content),
        categories=categories,
        covers={k: frozenset(v) for k, v in covers.items()},
        narrow={k: tuple(v) for k, v in narrow.items()},
        phrases=tuple(dict.fromkeys(p.text for _, p in kept)),
        windows=windows,
        urgent=urgent,
        weights=weights,
        prefer=prefer,
    )


def older_people_hint(name: str, *, index: PhraseIndex | None = None) -> bool:
    """Return whether a place's name says it is for older people ("care home").

    Examples
    --------
    >>> older_people_hint("Belton House Retirement Home"), older_people_hint("Oakham Library")
    (True, False)
    """
    idx = index or _default_index()
    words = lemmas(name)
    return any(_contains(words, p, s) for p in idx.older_people for s in range(len(words)))
