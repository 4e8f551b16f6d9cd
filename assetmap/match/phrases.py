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
    "stem",
]

# Irregular plurals, and plurals that are another word ("woods" are a forest, "wood" is
# what a woodworker uses).
_IRREGULAR: Final = {"children": "child", "people": "person", "teeth": "tooth", "woods": "woods"}
_SPECIALIST: Final = 0.9  # a category made for the need asked for
_SECONDARY: Final = 0.7  # a category that serves the need among others
_GOOD_FIRST: Final = 0.75
_GOOD_OTHER: Final = 0.6
_GENERAL: Final = 0.4  # council offices, village halls: a little of everything
_QUALIFIER: Final = 2.0  # "polish", "lgbt", "mosque": a place that does not say so is no match
_UNKNOWN: Final = 1.0  # a word nothing knows: it may be what the person wants
_SIDE: Final = 0.5  # a less direct reading of a phrase that names a category
_ALL_DAYS: Final = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_WEEKDAYS: Final = _ALL_DAYS[:5]
_Lemmas = tuple[tuple[str, ...], ...]
# A word seen at least this often in pyspellchecker's English word frequencies is a word
# of its own, never corrected into another ("refugee" stays "refugee"); rarer entries are
# mostly misspellings that made it into the subtitles the list was counted from.
_ENGLISH_MIN_COUNT: Final = 50
# A word seen this often is everyday English ("door", "died", "office"): when no phrase
# knows it, it weighs _COMMON in the share a place must explain.
_COMMON_MIN_COUNT: Final = 100_000
_COMMON: Final = 0.5
_VARIANTS: Final = (("or", "our"), ("ize", "ise"), ("yze", "yse"), ("er", "re"), ("og", "ogue"))


@functools.lru_cache(maxsize=1)
def _english() -> dict[str, int]:
    """English word -> frequency (pyspellchecker's list, read once: about half a second)."""
    return SpellChecker(language="en", distance=1).word_frequency.dictionary


def _unknown_weight(word: str) -> float:
    """Weight of a word no phrase knows: an everyday word ("door", "died") counts half."""
    return _COMMON if _english().get(word, 0) >= _COMMON_MIN_COUNT else _UNKNOWN


def is_english_word(word: str) -> bool:
    """Return whether ``word`` (lower case) is a common English word.

    Examples
    --------
    >>> is_english_word("refugee"), is_english_word("councelling")
    (True, False)
    """
    return _english().get(word, 0) >= _ENGLISH_MIN_COUNT


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


_VOWELS: Final = frozenset("aeiou")


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


_STEM_ENDINGS: Final = (
    *("ations", "ation", "ments", "ment", "ness", "ists", "ist", "isms", "ism"),
    *("ics", "ic", "ers", "er", "ings", "ing", "ed", "al"),
)
_STEM_MIN: Final = 5


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Return the stem of one normalised word, for a fallback match on whole words.

    An ending is cut only when five letters or more stay, so a word is never
    found inside another: "career" is not "care", "artist" not "art", while
    "gymnastics" meets "gymnast" and "painter" meets "painting".

    Examples
    --------
    >>> [stem(w) for w in ("gymnastics", "gymnast", "painter", "painting", "career", "artist")]
    ['gymnast', 'gymnast', 'paint', 'paint', 'career', 'artist']
    """
    base = lemma(word)
    for ending in _STEM_ENDINGS:
        if base.endswith(ending) and len(base) - len(ending) >= _STEM_MIN:
            return base[: -len(ending)]
    return base


def word_forms(word: str) -> tuple[str, ...]:
    """Return the base forms ``word`` may be a verb or agent form of, most likely first.

    Used only for a word that is not known as it is: "drawing" -> "draw",
    "volunteered" -> "volunteer", "shopping" -> "shop", "gambler" -> "gamble".

    Examples
    --------
    >>> word_forms("shopping")
    ('shopp', 'shoppe', 'shop')
    >>> word_forms("gambled")
    ('gambl', 'gamble')
    >>> word_forms("cake")
    ()
    """
    out: list[str] = []
    for suffix in ("ing", "ed", "er"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            stem = word[: -len(suffix)]
            out += [stem, stem + "e"]
            if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in _VOWELS:
                out.append(stem[:-1])
    return tuple(dict.fromkeys(w for w in out if w != word))


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
    # Narrow: what a place's own text must say for the phrase to fit it (one of them).
    requires: tuple[tuple[str, ...], ...]
    text: str
    narrow_codes: frozenset[str] = frozenset()  # the categories ``requires`` holds for

    @property
    def narrow(self) -> bool:
        return bool(self.requires)


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
    vocabulary_set: frozenset[str] = frozenset()
    # Phrases (lemmas) saying whom a service must be for: "polish", "hard of hearing".
    qualifiers: frozenset[tuple[str, ...]] = frozenset()
    # Categories for children themselves (a school): they answer words about children,
    # not an adult's wish to learn; ``about_children``: categories whose first need is
    # "children and families" (asking for one of them is asking about children).
    for_children: frozenset[str] = frozenset()
    about_children: frozenset[str] = frozenset()
    # Staff shorthand (lemmas) -> the plain words it stands for, longest first.
    shorthand: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()
    # Words naming a kind of place that a word before them may make another kind.
    compound_heads: frozenset[str] = frozenset()
    # Two-word phrases ("money advice"), for a slip in both words at once.
    pairs: tuple[str, ...] = ()
    # Time phrases of several words ("after school") -> (start, end).
    long_parts: Mapping[tuple[str, ...], tuple[str, str]] = field(default_factory=dict)
    # Sub-needs that exclude each other: per group, per side (asks, says) as lemmas.
    apart: tuple[tuple[tuple[_Lemmas, _Lemmas], ...], ...] = ()
    # Generic kind words ("office", "centre") that name no place by themselves.
    kind_words: frozenset[str] = frozenset()
    # Category -> its narrow phrases (lemmas): a place whose own words say one is that kind.
    narrow_kinds: Mapping[str, _Lemmas] = field(default_factory=dict)
    # Words in a place's own text that say it is for adults only.
    adults_only: _Lemmas = ()


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
    timed
        Words read as a time or as an empty phrase ("after school", "car park"):
        they name no place either.
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
    timed: frozenset[str] = frozenset()


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
    for good, phrases in book.goods.items():
        # Goods are met by everyday places (a village hall is where community happens).
        weights = {
            c.code: _GOOD_FIRST if c.glm_goods[0] == good else _GOOD_OTHER
            for c in taxonomy.categories.values()
            if good in c.glm_goods
        }
        for phrase in phrases:
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
    # Its less direct readings still count a little (_SIDE: below the relevance floor
    # alone), so "kids' clubs" finds a youth club through both words.
    merged: dict[tuple[str, ...], tuple[dict[str, float], int, str]] = {}
    for text, weights, level in _targets(book, tax):
        words = lemmas(text)
        if not words:
            continue
        known, was, first = merged.get(words, ({}, 0, text))
        if level > was:
            known = {code: min(w, _SIDE) for code, w in known.items()}
            first = text
        cap = _SIDE if level < was else 1.0
        for code, weight in weights.items():
            known[code] = max(known.get(code, 0.0), min(weight, cap))
        merged[words] = (known, max(level, was), first)
    means = {lemmas(k): tuple(lemmas(v) for v in vs) for k, vs in book.narrow_means.items()}
    narrow = {code: [lemmas(p) for p in phrases] for code, phrases in book.narrow.items()}
    by_first: dict[str, list[_Phrase]] = {}
    for words, (weights, level, text) in merged.items():
        requires, narrow_for = _requires(words, weights, level == 3, narrow, means)
        by_first.setdefault(words[0], []).append(
            _Phrase(words, weights, requires, text, narrow_for)
        )
    for text in book.empty:  # they ask for nothing, and win over the shorter phrases inside
        words = lemmas(text)
        if words and words not in merged:
            by_first.setdefault(words[0], []).append(_Phrase(words, {}, (), text))
    days: dict[str, tuple[str, ...]] = {
        lemma(w): (code,) for code, words in book.days.items() for w in words
    }
    for group, codes in ((book.weekend, ("Sa", "Su")), (book.weekdays, _WEEKDAYS)):
        for w in group:
            single = lemmas(w)
            if len(single) == 1:  # "the weekend": "the" is no time word
                days.setdefault(single[0], codes)
    parts: dict[str, tuple[str, str]] = {}
    long_parts: dict[tuple[str, ...], tuple[str, str]] = {}
    for span, words in book.day_parts.items():
        start, _, end = span.partition("-")
        for w in words:
            key = lemmas(w)
            if len(key) == 1:
                parts[key[0]] = (start.strip(), end.strip())
            elif key:  # "after school": one time, read as a phrase
                long_parts[key] = (start.strip(), end.strip())
    qualifiers = {lemmas(text) for text in book.qualifiers} - {()}
    shorthand = sorted(
        ((lemmas(k), lemmas(v)) for k, v in book.shorthand.items() if lemmas(k)),
        key=lambda item: -len(item[0]),
    )
    vocabulary = {w for words in merged for w in words} | set(days) | set(parts)
    vocabulary |= {w for q in qualifiers for w in q}
    vocabulary |= {w for key in long_parts for w in key} | {w for k, _ in shorthand for w in k}
    return PhraseIndex(
        by_first={k: tuple(sorted(v, key=lambda p: -len(p.words))) for k, v in by_first.items()},
        vocabulary=frozenset(vocabulary),
        sorted_vocabulary=tuple(sorted(w for w in vocabulary if len(w) >= 4)),
        ignore=frozenset(lemma(w) for text in book.ignore for w in normalise_query(text).split()),
        urgent=frozenset(lemmas(t) for t in book.urgent),
        days=days,
        parts=parts,
        older_people=tuple(lemmas(t) for t in book.older_people),
        adults_only=tuple(lemmas(t) for t in book.adults_only),
        general=frozenset(book.general_categories),
        longest=max((len(w) for w in merged), default=1),
        prefer={lemmas(k): tuple(lemmas(v) for v in values) for k, values in book.prefer.items()},
        vocabulary_set=frozenset(w for w in vocabulary if len(w) == 4),
        qualifiers=frozenset(qualifiers),
        for_children=frozenset(book.for_children),
        about_children=frozenset(
            c.code for c in tax.categories.values() if c.needs[:1] == ("children_families",)
        ),
        shorthand=tuple(shorthand),
        compound_heads=frozenset(lemma(w) for w in book.compound_heads),
        pairs=tuple(sorted(" ".join(w) for w in merged if len(w) == 2)),
        long_parts=long_parts,
        apart=tuple(
            tuple((_lemma_phrases(asks), _lemma_phrases(says)) for asks, says in group.values())
            for group in book.apart
        ),
        kind_words=frozenset(lemma(w) for w in book.kind_words),
        narrow_kinds={code: tuple(p for p in phrases if p) for code, phrases in narrow.items()},
    )


def _lemma_phrases(texts: Iterable[str]) -> _Lemmas:
    """Return the phrases as tuples of lemmas, blank ones left out."""
    return tuple(words for words in map(lemmas, texts) if words)


def _requires(
    words: tuple[str, ...],
    weights: Mapping[str, float],
    is_narrow: bool,
    narrow: Mapping[str, list[tuple[str, ...]]],
    means: Mapping[tuple[str, ...], tuple[tuple[str, ...], ...]],
) -> tuple[tuple[tuple[str, ...], ...], frozenset[str]]:
    """Return what a place must say for a phrase to fit it, and for which categories.

    One of the returned phrases must be in the place's own text: the phrase
    itself when narrow (for all its categories), or the narrow phrase it holds
    for a category it names directly ("quaker meeting" holds "quaker"; not
    "released from prison", which only touches justice services), with other
    words for it ("friends meeting house").
    """
    if is_narrow:
        held, codes = [words], set(weights)
    else:
        held, codes = [], set()
        for code in (c for c, w in weights.items() if w >= 1.0):
            for n in narrow.get(code, ()):
                if any(words[i : i + len(n)] == n for i in range(len(words))):
                    held.append(n)
                    codes.add(code)
    requires = tuple(dict.fromkeys(t for n in held for t in (n, *means.get(n, ()))))
    return requires, frozenset(codes)


@functools.lru_cache(maxsize=1)
def _default_index() -> PhraseIndex:
    return build_phrase_index()


@functools.lru_cache(maxsize=4096)
def _correct(word: str, vocabulary: tuple[str, ...], short: frozenset[str]) -> str:
    """Return the known word ``word`` is one slip from (two for long words), or ``word``.

    A four-letter word is corrected only for two letters swapped ("bnak" -> "bank");
    a word that is a known word plus or minus an ending is a different word, not a
    slip ("refugee" is not "refuge").
    """
    if word.isdigit() or len(word) < 4:
        return word
    if len(word) == 4:
        for i in (1, 2):
            swapped = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
            if swapped != word and swapped in short:
                return swapped
        return word
    limit = 2 if len(word) >= 9 else 1
    best = process.extractOne(word, vocabulary, scorer=OSA.distance, score_cutoff=limit)
    if best is None:
        return word
    target = str(best[0])
    if target[0] != word[0] or target.startswith(word) or word.startswith(target):
        return word
    return target


def _corrected(word: str, typed: str, idx: PhraseIndex) -> str:
    """Return ``word`` with a slip fixed.

    Never into a short empty word ("theme" is not "there"), and never an English
    word into another unless they are one word spelt two ways ("counseling").
    """
    target = _correct(word, idx.sorted_vocabulary, idx.vocabulary_set)
    if target == word or (target in idx.ignore and len(word) < 6):
        return word
    if (is_english_word(word) or is_english_word(typed)) and not spelling_variant(word, target):
        return word
    return target


def _known_form(word: str, typed: str, idx: PhraseIndex, keep: set[str]) -> str:
    """Return ``word`` as the phrase book knows it: as is, a base form, or a slip fixed."""
    if word in idx.vocabulary or word in idx.ignore:
        return word
    # A verb or agent form of a known word ("drawing", "needed"), even one the
    # register uses: the register's words are kept only from slip correction.
    # A dropped "g" ("drinkin", "gamblin") is the "-ing" word.
    spoken: tuple[str, ...] = (word + "g",) if word.endswith("in") and len(word) >= 5 else ()
    # Text-speak "z" for a plural "s" ("drugz", "kidz") is the plural.
    spoken += (lemma(word[:-1] + "s"),) if word.endswith("z") and len(word) >= 4 else ()
    forms: tuple[str, ...] = (
        *spoken,
        *word_forms(word),
        *(f for w in spoken for f in word_forms(w)),
    )
    for form in forms:
        if form in idx.vocabulary or form in idx.ignore:
            return form
    return word if word in keep else _corrected(word, typed, idx)


def _contains(words: tuple[str, ...], phrase: tuple[str, ...], at: int) -> bool:
    return words[at : at + len(phrase)] == phrase


def _expand(typed: list[str], idx: PhraseIndex) -> list[str]:
    """Replace staff shorthand by the plain words it stands for ("drr", "cp concern").

    Matched on lemmas, longest first; the words are returned unlemmatised
    otherwise, as typed.

    Examples
    --------
    >>> _expand("client on a drr".split(), _default_index())
    ['client', 'on', 'a', 'drug', 'rehabilitation', 'requirement']
    """
    if not idx.shorthand:
        return typed
    base = tuple(lemma(w) for w in typed)
    out: list[str] = []
    at = 0
    while at < len(typed):
        for key, plain in idx.shorthand:
            if _contains(base, key, at):
                out.extend(plain)
                at += len(key)
                break
        else:
            out.append(typed[at])
            at += 1
    return out


def _slip(word: str, target: str, slips: int = 1) -> bool:
    """Return whether ``word`` is ``slips`` from ``target`` (same first letter, 3+ letters)."""
    return word == target or (
        len(word) >= 4 - slips + 1 and word[0] == target[0] and OSA.distance(word, target) <= slips
    )


def _fix_pairs(words: tuple[str, ...], idx: PhraseIndex) -> tuple[str, ...]:
    """Read two neighbouring words as a two-word phrase each is one slip from.

    "dett advise" is read as debt advice: "advise" is English and "dett" is four
    letters, so neither is corrected alone, but together they are one slip each
    from a phrase the book knows. A pair that is already a phrase, or holds an empty word, is left.

    Examples
    --------
    >>> _fix_pairs(("dett", "advise"), _default_index())
    ('debt', 'advice')
    >>> _fix_pairs(("parent", "advice"), _default_index())
    ('parent', 'advice')
    """
    out = list(words)
    for at in range(len(out) - 1):
        left, right = out[at], out[at + 1]
        pair = f"{left} {right}"
        if (
            min(len(left), len(right)) < 3
            or left in idx.ignore
            or right in idx.ignore
            or any(p.words == (left, right) for p in idx.by_first.get(left, ()))
        ):
            continue
        best = process.extractOne(pair, idx.pairs, scorer=OSA.distance, score_cutoff=2)
        if best is None:
            continue
        fixed = str(best[0]).split()
        # Beside a word typed right, the other may be two slips off ("fud parcel").
        slips = 2 if len(fixed) == 2 and (left == fixed[0] or right == fixed[1]) else 1
        if len(fixed) == 2 and _slip(left, fixed[0], slips) and _slip(right, fixed[1], slips):
            changed = [w for w, f in zip((left, right), fixed, strict=True) if w != f]
            if all(w not in idx.vocabulary for w in changed):
                out[at], out[at + 1] = fixed
    return tuple(out)


def _nouns_for_verbs(words: tuple[str, ...], idx: PhraseIndex) -> tuple[str, ...]:
    """Read a verb spelt for its noun ("advise", "practise") beside a known word as the noun.

    "drugs advise" asks for drugs advice; "advise" alone stays the verb it is.

    Examples
    --------
    >>> _nouns_for_verbs(("drug", "advise"), _default_index())
    ('drug', 'advice')
    >>> _nouns_for_verbs(("advise",), _default_index())
    ('advise',)
    """
    out = list(words)
    for at, word in enumerate(words):
        noun = word[:-3] + "ice" if word.endswith("ise") else word
        near = words[max(at - 1, 0) : at] + words[at + 1 : at + 2]
        known = noun != word and noun in idx.vocabulary and word not in idx.vocabulary
        if known and any(w in idx.vocabulary and w not in idx.ignore for w in near):
            out[at] = noun
    return tuple(out)


def _without_compounds(
    found: list[tuple[int, _Phrase]], words: tuple[str, ...], idx: PhraseIndex, keep: set[str]
) -> list[tuple[int, _Phrase]]:
    """Drop phrases that begin with a kind of place another word makes a different kind.

    "trampoline park" is not a park, "garden centre" is a shop: a word naming a
    kind of place (``compound_heads``) right after a content word that no phrase
    and no place in the register knows is the head of a compound noun the book
    does not know, so it asks for nothing by itself.
    """
    out = []
    for start, phrase in found:
        if start > 0 and words[start] in idx.compound_heads:
            before = words[start - 1]
            if not (
                before in idx.vocabulary
                or before in idx.ignore
                or before in keep
                or before.isdigit()
                or len(before) < 3
            ):
                continue
        out.append((start, phrase))
    return out


_OF_THE_PERSON: Final = frozenset({"he", "hes", "she", "im", "am", "is", "theyre", "were", "are"})
_CLOCK_WORDS: Final = frozenset({"after", "from", "before", "by", "at", "around"})


def _hour(words: tuple[str, ...], at: int) -> tuple[int, int, int] | None:
    """Read a clock time at ``words[at]``: (hour 0-23, minute, words used), or None.

    "6", "6pm", "6 pm", "7 30", "18 00", "10am", "6 oclock". An hour from 1 to 7
    without "am" is in the evening: people going somewhere "after 6" mean 18:00.
    """
    word = words[at]
    digits = word.rstrip("apm")
    suffix = word[len(digits) :]
    if not digits.isdigit() or suffix not in ("", "am", "pm") or not 0 <= int(digits) <= 24:
        return None
    hour, used, minute = int(digits) % 24, 1, 0
    following = words[at + 1 : at + 3]
    if following[:1] and following[0].isdigit() and len(following[0]) == 2 and not suffix:
        minute, used = min(int(following[0]), 59), 2
        following = words[at + 2 : at + 3]
    if not suffix and following[:1] and following[0] in ("am", "pm", "oclock"):
        suffix, used = following[0], used + 1
    if (suffix == "pm" and hour < 12) or (not suffix and 1 <= hour <= 7):
        hour += 12
    return hour, minute, used


def _clock_times(words: tuple[str, ...]) -> list[tuple[int, int, tuple[str, str]]]:
    """Return (start, end, times) of clock times the words name ("after 6", "before 10am").

    Examples
    --------
    >>> _clock_times(("youth", "club", "after", "6"))
    [(2, 4, ('18:00', '23:59'))]
    >>> _clock_times(("before", "10am",))
    [(0, 2, ('00:00', '10:00'))]
    """
    out = []
    for at in range(len(words) - 1):
        if words[at] not in _CLOCK_WORDS:
            continue
        read = _hour(words, at + 1)
        if read is None:
            continue
        hour, minute, used = read
        clock = f"{hour:02d}:{minute:02d}"
        if words[at] in ("before", "by"):
            times = ("00:00", clock) if clock != "00:00" else ("00:00", "23:59")
        elif words[at] in ("at", "around"):
            times = (clock, f"{min(hour + 1, 23):02d}:{minute:02d}" if hour < 23 else "23:59")
        else:
            times = (clock, "23:59")
        out.append((at, at + 1 + used, times))
    return out


def _time_phrases(
    words: tuple[str, ...], found: list[tuple[int, _Phrase]], idx: PhraseIndex
) -> list[tuple[int, int, tuple[str, str]]]:
    """Return (start, end, times) of time phrases of several words ("after school").

    A longer phrase holding one ("after school club") wins over it.
    """
    out = []
    for key, span in idx.long_parts.items():
        for at in range(len(words)):
            if _contains(words, key, at) and not any(
                s <= at and at + len(key) <= s + len(p.words) and len(p.words) > len(key)
                for s, p in found
            ):
                out.append((at, at + len(key), span))
    return out


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
    typed = _expand(normalise_query(text).split(), idx)
    words = _fix_pairs(tuple(_known_form(lemma(w), w, idx, keep) for w in typed), idx)
    words = _nouns_for_verbs(words, idx)
    # Phrases, longest first; a phrase inside a longer match is dropped.
    found: list[tuple[int, _Phrase]] = []
    for start, word in enumerate(words):
        for phrase in idx.by_first.get(word, ()):
            if _contains(words, phrase.words, start):
                found.append((start, phrase))
    found = _without_compounds(found, words, idx, keep)
    long_times = _time_phrases(words, found, idx) + _clock_times(words)
    # A phrase inside a time phrase ("school" in "after school") asks for nothing.
    found = [
        (s, p)
        for s, p in found
        if not any(a <= s < s + len(p.words) <= b for a, b, _ in long_times)
    ]
    spans = [(s, s + len(p.words)) for s, p in found]
    kept = [
        (s, p)
        for (s, p), (a, b) in zip(found, spans, strict=True)
        if not any(c <= a and b <= d and (d - c) > (b - a) for c, d in spans)
    ]
    urgent = any(_contains(words, phrase, s) for phrase in idx.urgent for s in range(len(words)))
    # Empty phrases ("car park", "last night") ask for nothing and name no time.
    empty = {p for s, ph in kept if not ph.categories for p in range(s, s + len(ph.words))}
    kept = [(s, ph) for s, ph in kept if ph.categories]
    # Time words: days (or the weekend) and parts of the day.
    days: list[str] = []
    part: tuple[str, str] | None = None
    timed: set[int] = set(empty)
    for a, b, times in long_times:
        part = times
        timed.update(range(a, b))
    for position, word in enumerate(words):
        if position in timed:  # empty phrases and times already read ("from 7 30 pm")
            continue
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
    # Urgent words are not what is asked for, unless a phrase says so ("suicidal").
    phrased = {p for s, ph in kept for p in range(s, s + len(ph.words))}
    content = [
        p
        for p, w in enumerate(words)
        if w not in idx.ignore and p not in timed and ((w,) not in idx.urgent or p in phrased)
    ]
    # A phrase of empty words ("looking after", "part of something") is one thing asked.
    for s, ph in kept:
        span = range(s, s + len(ph.words))
        if len(span) > 1 and not any(p in content or p in timed for p in span):
            content.append(span[-1])
    content.sort()
    if not content:  # only family or empty words ("my kids"): they are what is asked
        content = [p for p in range(len(words)) if p not in timed and (words[p],) not in idx.urgent]
    # Phrases may cover ignored words ("my partner hits me"); only content words count.
    where = {p: n for n, p in enumerate(content)}
    narrowed = {p for s, ph in kept if ph.narrow for p in range(s, s + len(ph.words))}
    # A qualifier said of the person ("he's polish", "i am deaf") is who they are, not
    # what the service must be: it weighs as any other word.
    qualified = {
        p
        for q in idx.qualifiers
        for s in range(len(words))
        if _contains(words, q, s) and not (s > 0 and words[s - 1] in _OF_THE_PERSON)
        for p in range(s, s + len(q))
    }
    # An English word just before a phrase that asks for something ("abstract art",
    # "folk music") says which of its kind: it weighs as an everyday word.
    modifiers = {
        p for p in content if p + 1 in phrased and p not in phrased and is_english_word(words[p])
    }
    weights = tuple(
        _QUALIFIER
        if p in narrowed or p in qualified
        else _COMMON
        if p in modifiers
        else (1.0 if p in phrased or words[p] in keep else _unknown_weight(words[p]))
        for p in content
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
            if code in phrase.narrow_codes:
                narrow.setdefault(code, []).extend(phrase.requires)
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
        timed=frozenset(words[p] for p in timed) - {words[p] for p in content},
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


def adults_only_hint(text: str, *, index: PhraseIndex | None = None) -> bool:
    """Return whether a place's own words say it is for adults only ("alcoholics anonymous").

    Examples
    --------
    >>> adults_only_hint("Oakham AA: an Alcoholics Anonymous open meeting")
    True
    >>> adults_only_hint("Drop-in for young people")
    False
    """
    idx = index or _default_index()
    words = lemmas(text)
    return any(_contains(words, p, s) for p in idx.adults_only for s in range(len(words)))
