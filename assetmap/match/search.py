"""Typo-tolerant free-text search over the asset register.

A query is split into words; each word is matched, with :func:`rapidfuzz.fuzz.ratio`
over a precomputed vocabulary, to the words of every asset's name,
organisation, description and to the taxonomy text of its categories
(category labels, category keywords and synonyms, the keywords of the needs
and Good Lives Model goods the category serves). So "alcoholics anonimous"
meets an asset in the *Drug and alcohol support* category through its keyword
"alcoholics anonymous", "foodbank" meets "Food Bank", "debt advise" meets
"debt advice" and "CAB" meets "Citizens Advice Bureau" (names' initials are
indexed), whatever the word order.

An asset's score (0-100) is the share of the query it explains: the
rarity-weighted (IDF) mean over query words of the best match of that word in
any of the asset's fields, each field weighted (a name counts more than a
description). A small bonus goes to assets whose whole name the query covers,
so a query naming a place puts that place first.

Work is split as in spopt: :func:`build_search_index` reduces the asset table
to arrays once (vocabulary, sparse word-by-asset matrices, IDF weights, the
taxonomy's phrases); :func:`search_index` answers a query with one
:func:`rapidfuzz.process.cdist` call over the vocabulary plus a few sparse
look-ups, so a query costs milliseconds on a register of 10,000 assets.

Examples
--------
>>> import pandas as pd
>>> assets = pd.DataFrame({
...     "id": ["a1", "a2", "a3"],
...     "name": ["Oakham Foodbank", "Tuesday Night Meeting", "Oakham Library"],
...     "categories": [("food_support",), ("drug_alcohol_support",), ("library",)],
... })
>>> found = search_assets(assets, "alcoholics anonimous")
>>> found[["id", "matched"]].to_dict("records")
[{'id': 'a2', 'matched': 'keyword: alcoholics anonymous'}]
>>> search_assets(assets, "food bank oakham").iloc[0]["id"]
'a1'
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from rapidfuzz import fuzz, process
from scipy import sparse

from assetmap.errors import QueryError, SchemaError
from assetmap.match.normalize import normalise_name, normalise_query, strip_control
from assetmap.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "RESULT_COLUMNS",
    "SearchConfig",
    "SearchIndex",
    "build_search_index",
    "search_assets",
    "search_index",
]

logger = logging.getLogger(__name__)

RESULT_COLUMNS: Final = ("id", "score", "matched", "minutes")

# Field order of the score stack; "category" is the taxonomy text of an asset's categories.
_TEXT_FIELDS: Final = ("name", "organisation", "description")
_FIELDS: Final = (*_TEXT_FIELDS, "category")

# Function words that carry no meaning in a search box. They still count when
# checking how much of a name a query covers ("Friends of the Earth").
STOPWORDS: Final = frozenset(
    {
        "a", "an", "and", "any", "are", "at", "by", "can", "do", "find", "for", "from",
        "get", "i", "in", "is", "it", "looking", "me", "my", "near", "need", "of", "on",
        "or", "please", "some", "the", "to", "want", "where", "with",
    }
)  # fmt: skip

_PHRASE_KINDS: Final = ("category", "keyword", "need", "glm")
_Float = npt.NDArray[np.float32]
_Int = npt.NDArray[np.intp]
_Plan = list[list[tuple[int, ...]]]


@dataclass(frozen=True, slots=True)
class SearchConfig:
    """Thresholds and weights of :func:`search_index`.

    Parameters
    ----------
    min_score
        Assets scoring below this (0-100) are not returned.
    token_similarity
        Lowest :func:`rapidfuzz.fuzz.ratio` (0-100) at which a query word of
        six or more characters matches a register word ("anonimous" and
        "anonymous" score 88.9; "advise" and "advice" 83.3).
    short_token_similarity
        The same for query words of ``exact_max_chars + 1`` to five characters,
        where one wrong letter is a bigger share of the word.
    exact_max_chars
        Query words this short ("aa", "gp", "cv") must match a word exactly.
    prefix_min_chars, prefix_similarity
        A query word at least ``prefix_min_chars`` long that begins a register
        word ("physio" in "physiotherapy") matches it with this similarity.
    pair_similarity
        Lowest similarity at which two adjacent query words written together
        match one register word ("food bank" and "foodbank").
    name_weight, organisation_weight, description_weight, category_weight
        How much a match in each field is worth (0-1).
    need_keyword_weight, glm_keyword_weight
        How much a match on a keyword of a need or of a Good Lives Model good
        served by the asset's category is worth, relative to the category's
        own label and keywords (0-1).
    name_coverage_weight
        Share of the score (0-1) that depends on how much of the asset's name
        the query covers.
    tie_margin
        Scores within the same band of this many points count as equal: such
        results are ordered by walking minutes when minutes are given.
    max_results
        Largest ``limit`` a caller may ask for.
    max_query_chars
        Longest query accepted, in characters.
    """

    min_score: float = 40.0
    token_similarity: float = 75.0
    short_token_similarity: float = 80.0
    exact_max_chars: int = 3
    prefix_min_chars: int = 5
    prefix_similarity: float = 85.0
    pair_similarity: float = 90.0
    name_weight: float = 1.0
    organisation_weight: float = 0.9
    description_weight: float = 0.8
    category_weight: float = 0.9
    need_keyword_weight: float = 0.9
    glm_keyword_weight: float = 0.75
    name_coverage_weight: float = 0.1
    tie_margin: float = 2.0
    max_results: int = 200
    max_query_chars: int = 500

    def __post_init__(self) -> None:
        similarities = (
            *("min_score", "token_similarity", "short_token_similarity"),
            *("prefix_similarity", "pair_similarity"),
        )
        weights = (
            *("name_weight", "organisation_weight", "description_weight", "category_weight"),
            *("need_keyword_weight", "glm_keyword_weight", "name_coverage_weight"),
        )
        for top, names in ((100, similarities), (1, weights)):
            for name in names:
                value = getattr(self, name)
                if not 0 <= value <= top:
                    msg = f"`{name}` must be between 0 and {top}, got {value!r}."
                    raise ValueError(msg)
        for name in ("exact_max_chars", "prefix_min_chars", "max_results", "max_query_chars"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                msg = f"`{name}` must be a positive whole number, got {value!r}."
                raise ValueError(msg)
        if not self.tie_margin >= 0:
            msg = f"`tie_margin` must be zero or more, got {self.tie_margin!r}."
            raise ValueError(msg)

    def field_weights(self) -> _Float:
        """Return the weights of name, organisation, description and category, in that order."""
        return np.array(
            [
                self.name_weight,
                self.organisation_weight,
                self.description_weight,
                self.category_weight,
            ],
            dtype=np.float32,
        )


@dataclass(frozen=True, eq=False)
class SearchIndex:
    """An asset table reduced to arrays for fast, repeated searching.

    Build one with :func:`build_search_index`; it is immutable (its arrays are
    read-only) and can be shared between users and queries. It depends on the
    register and the taxonomy, not on :class:`SearchConfig`.

    Attributes
    ----------
    ids
        Asset ids, in the order of every per-asset array.
    names
        Asset names (for callers that want to show them).
    vocabulary
        Every normalised word (and, for names, organisations and taxonomy
        phrases, every pair of adjacent words written together; for names, their
        initials) in sorted order.
    word_lengths
        Length of each vocabulary word.
    fields
        Field name -> sparse (assets x vocabulary) matrix; a stored value is the
        number of words the vocabulary entry stands for (1, or 2 for a pair).
    name_lengths
        Number of distinct words in each asset's name.
    idf
        Inverse document frequency of each vocabulary word over the assets.
    phrases
        Sparse (phrases x vocabulary) matrix of the taxonomy's phrases.
    phrase_category
        Position (in ``category_codes``) of the category each phrase belongs to.
    phrase_kind
        Position in ("category", "keyword", "need", "glm") of each phrase's kind.
    phrase_text
        How each phrase is explained in the ``matched`` column.
    category_codes
        Taxonomy category codes, in order.
    asset_categories
        (assets x most categories) positions in ``category_codes``; -1 pads.
    """

    ids: tuple[str, ...]
    names: tuple[str, ...]
    vocabulary: npt.NDArray[np.str_]
    word_lengths: _Int
    lookup: Mapping[str, int]
    fields: Mapping[str, sparse.csc_array]
    name_lengths: _Float
    idf: _Float
    phrases: sparse.csc_array
    phrase_category: _Int
    phrase_kind: _Int
    phrase_text: tuple[str, ...]
    category_codes: tuple[str, ...]
    asset_categories: _Int

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return (
            f"SearchIndex({len(self.ids)} assets, {len(self.vocabulary)} words, "
            f"{len(self.phrase_text)} taxonomy phrases)"
        )


# -- building ---------------------------------------------------------------------------


def _words(text: str, *, pairs: bool, initials: bool = False) -> dict[str, int]:
    """Return normalised word -> number of words it stands for.

    With ``pairs``, adjacent words written together count 2 ("food bank" ->
    "foodbank"); with ``initials``, the initials of a name of two or more
    words count as all of them ("Citizens Advice Bureau" -> "cab").
    """
    words = normalise_name(text).split()
    out = dict.fromkeys(words, 1)
    if pairs:
        for left, right in itertools.pairwise(words):
            out.setdefault(left + right, 2)
    meaningful = [w for w in words if w not in STOPWORDS and not w.isdigit()]
    if initials and len(meaningful) >= 2:
        out.setdefault("".join(w[0] for w in meaningful), len(set(words)))
    return out


def _text(value: Any) -> str:
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value)


def _category_codes(value: Any, where: str, known: Mapping[str, int]) -> list[int]:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        codes = [c.strip() for c in value.replace(";", ",").split(",") if c.strip()]
    elif isinstance(value, Iterable):
        codes = [str(c) for c in value]
    else:
        msg = f"asset {where}: `categories` must be a list of codes, got {value!r}."
        raise SchemaError(msg)
    out: list[int] = []
    for code in codes:
        if code not in known:
            msg = f"asset {where}: unknown category code {code!r}."
            raise SchemaError(msg)
        out.append(known[code])
    return out


def _taxonomy_phrases(taxonomy: Taxonomy) -> list[tuple[int, int, str, str]]:
    """Return (category position, kind position, phrase, explanation) for every phrase."""
    out: list[tuple[int, int, str, str]] = []
    for position, category in enumerate(taxonomy.categories.values()):
        candidates = [
            ("category", label, f"category: {category.label}")
            for label in (category.label, category.plain_label)
        ]
        candidates += [("keyword", kw, f"keyword: {kw}") for kw in category.keywords]
        for code in category.needs:
            need = taxonomy.need(code)
            candidates.append(("need", need.label, f"need: {need.label}"))
            candidates += [
                ("need", kw, f"need: {need.label} (keyword: {kw})") for kw in need.keywords
            ]
        for code in category.glm_goods:
            good = taxonomy.glm_goods[code]
            candidates += [
                ("glm", kw, f"GLM good: {good.label} (keyword: {kw})") for kw in good.keywords
            ]
        seen: set[tuple[str, str]] = set()
        for kind, phrase, why in candidates:
            key = (kind, normalise_name(phrase))
            if key[1] and key not in seen:
                seen.add(key)
                out.append((position, _PHRASE_KINDS.index(kind), phrase, why))
    return out


def _matrix(docs: Sequence[dict[str, int]], lookup: Mapping[str, int]) -> sparse.csc_array:
    rows: list[int] = []
    cols: list[int] = []
    vals: list[int] = []
    for row, words in enumerate(docs):
        for word, count in words.items():
            rows.append(row)
            cols.append(lookup[word])
            vals.append(count)
    matrix = sparse.csc_array(
        (np.array(vals, dtype=np.float32), (np.array(rows), np.array(cols))),
        shape=(len(docs), len(lookup)),
    )
    matrix.sort_indices()
    for array in (matrix.data, matrix.indices, matrix.indptr):
        array.flags.writeable = False
    return matrix


def _frozen(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    array.flags.writeable = False
    return array


def build_search_index(
    assets: pd.DataFrame,
    *,
    taxonomy: Taxonomy | None = None,
) -> SearchIndex:
    """Reduce an asset table to a :class:`SearchIndex`.

    Parameters
    ----------
    assets
        The register (a GeoDataFrame or DataFrame) with ``id`` and ``name``
        columns and, when present, ``organisation``, ``description`` and
        ``categories`` (tuples of category codes). Geometry is not used.
    taxonomy
        Supplies the category labels, keywords and synonyms searched; the
        default taxonomy when omitted.

    Returns
    -------
    SearchIndex
        Immutable; re-use it for every query on this register.

    Raises
    ------
    SchemaError
        If ``id`` or ``name`` is missing, an id is blank or repeated, or an
        asset has an unknown category code (the asset is named).

    Examples
    --------
    >>> import pandas as pd
    >>> index = build_search_index(pd.DataFrame({"id": ["a1"], "name": ["Rutland Foodbank"]}))
    >>> len(index), "foodbank" in index.lookup, "rutlandfoodbank" in index.lookup
    (1, True, True)
    """
    tax = taxonomy or load_taxonomy()
    missing = [c for c in ("id", "name") if c not in assets.columns]
    if missing:
        msg = f"The asset table has no {' or '.join(f'`{c}`' for c in missing)} column."
        raise SchemaError(msg)
    ids = [_text(v).strip() for v in assets["id"].tolist()]
    for position, asset_id in enumerate(ids):
        if not asset_id:
            msg = f"row {position + 1}: `id` is missing."
            raise SchemaError(msg)
    repeated = pd.Index(ids)[pd.Index(ids).duplicated()]
    if len(repeated):
        msg = f"Asset id {repeated[0]!r} appears more than once."
        raise SchemaError(msg)

    def column(name: str) -> list[str]:
        if name not in assets.columns:
            return [""] * len(ids)
        return [_text(v) for v in assets[name].tolist()]

    texts = {name: column(name) for name in _TEXT_FIELDS}
    docs = {
        name: [
            _words(t, pairs=name != "description", initials=name != "description")
            for t in texts[name]
        ]
        for name in _TEXT_FIELDS
    }
    known = {code: position for position, code in enumerate(tax.categories)}
    raw_categories = (
        assets["categories"].tolist() if "categories" in assets.columns else [()] * len(ids)
    )
    per_asset = [
        _category_codes(value, asset_id, known)
        for value, asset_id in zip(raw_categories, ids, strict=True)
    ]
    width = max((len(c) for c in per_asset), default=0) or 1
    asset_categories = np.full((len(ids), width), -1, dtype=np.intp)
    for row, codes in enumerate(per_asset):
        asset_categories[row, : len(codes)] = codes

    phrases = _taxonomy_phrases(tax)
    phrase_docs = [_words(phrase, pairs=True) for _, _, phrase, _ in phrases]

    vocabulary = sorted(
        {w for field_docs in docs.values() for d in field_docs for w in d}
        | {w for d in phrase_docs for w in d}
    )
    lookup = {word: position for position, word in enumerate(vocabulary)}
    fields = {name: _matrix(docs[name], lookup) for name in _TEXT_FIELDS}

    # Document frequency: in how many assets (any text field) each word occurs.
    present = fields["name"] + fields["organisation"] + fields["description"]
    df = np.asarray((present != 0).astype(np.float32).sum(axis=0)).ravel()
    idf = np.log((len(ids) + 1) / (df + 1)).astype(np.float32) + 1

    logger.debug(
        "Search index: %d assets, %d words, %d taxonomy phrases.",
        len(ids),
        len(vocabulary),
        len(phrases),
    )
    return SearchIndex(
        ids=tuple(ids),
        names=tuple(texts["name"]),
        vocabulary=_frozen(np.array(vocabulary, dtype=str)),
        word_lengths=_frozen(np.array([len(w) for w in vocabulary], dtype=np.intp)),
        lookup=lookup,
        fields=fields,
        name_lengths=_frozen(
            np.array([len(set(normalise_name(t).split())) for t in texts["name"]], np.float32)
        ),
        idf=_frozen(idf),
        phrases=_matrix(phrase_docs, lookup),
        phrase_category=_frozen(np.array([p[0] for p in phrases], dtype=np.intp)),
        phrase_kind=_frozen(np.array([p[1] for p in phrases], dtype=np.intp)),
        phrase_text=tuple(p[3] for p in phrases),
        category_codes=tuple(tax.categories),
        asset_categories=_frozen(asset_categories),
    )


# -- querying ---------------------------------------------------------------------------


def _query_words(query: str, config: SearchConfig) -> list[str]:
    if not isinstance(query, str):
        msg = f"The query must be text, got {type(query).__name__}."
        raise QueryError(msg)
    text = strip_control(query)
    if len(text) > config.max_query_chars:
        msg = (
            f"The query is {len(text):,} characters long; the limit is "
            f"{config.max_query_chars:,}. Search with a few words."
        )
        raise QueryError(msg)
    if not text.strip():
        msg = "The query is empty: type a few words, such as 'food bank' or 'housing help'."
        raise QueryError(msg)
    words = list(dict.fromkeys(normalise_query(text).split()))
    if not words:
        msg = f"The query {text.strip()!r} has no letters or digits to search for."
        raise QueryError(msg)
    if all(word in STOPWORDS for word in words):
        msg = (
            f"The query {text.strip()!r} has only common words; "
            "say what you are looking for, such as 'food bank'."
        )
        raise QueryError(msg)
    return words


@dataclass(frozen=True, slots=True)
class _Unit:
    """Vocabulary columns a piece of the query matches, with their similarity."""

    cols: _Int
    sims: _Float
    chars: int  # length of the unit's text


_NO_MATCH: Final = _Unit(np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float32), 0)


def _fuzzy_units(
    index: SearchIndex,
    units: list[str],
    pairs: set[int],
    config: SearchConfig,
) -> list[_Unit]:
    """Match each query unit against the vocabulary (exactly, fuzzily, by prefix).

    A pair of query words written together (a position in ``pairs``) matches
    only words of about its own length, at ``config.pair_similarity`` or more,
    and never by prefix: otherwise "uppinghamgp" would match "uppingham" and
    "oakhambooks" "oakhamfood", crediting the second word for nothing.
    """
    out = [dataclasses.replace(_NO_MATCH, chars=len(u)) for u in units]
    long_units = [i for i, u in enumerate(units) if len(u) > config.exact_max_chars]
    scores: _Float | None = None
    if long_units and len(index.vocabulary):
        cutoff = min(config.token_similarity, config.short_token_similarity)
        scores = process.cdist(
            [units[i] for i in long_units],
            index.vocabulary,
            scorer=fuzz.ratio,
            score_cutoff=cutoff,
            dtype=np.float32,
        )
    for position, unit in enumerate(units):
        if len(unit) <= config.exact_max_chars or scores is None:
            col = index.lookup.get(unit)
            if col is not None:
                cols = np.array([col], dtype=np.intp)
                out[position] = _Unit(cols, np.array([100], np.float32), len(unit))
            continue
        row = scores[long_units.index(position)]
        cutoff = config.token_similarity if len(unit) >= 6 else config.short_token_similarity
        row = np.where(row >= cutoff, row, 0).astype(np.float32)
        _drop_words_inside_words(index, unit, row)
        if position in pairs:
            row[(np.abs(index.word_lengths - len(unit)) > 1) | (row < config.pair_similarity)] = 0
        elif len(unit) >= config.prefix_min_chars:
            lo = int(np.searchsorted(index.vocabulary, unit, side="left"))
            hi = int(np.searchsorted(index.vocabulary, unit + "\U0010ffff", side="left"))
            row[lo:hi] = np.maximum(row[lo:hi], config.prefix_similarity)
        cols = np.flatnonzero(row)
        out[position] = _Unit(cols.astype(np.intp), row[cols], len(unit))
    return out


def _drop_words_inside_words(index: SearchIndex, unit: str, row: _Float) -> None:
    """Zero fuzzy matches where one word sits inside the other ("rent" in "parent").

    rapidfuzz's ratio scores "rent" against "parent" 80 and "mens" against
    "womens" 80: a typo's score for a different word. A plural ("group",
    "groups") is one letter longer and stays; a real prefix of five letters or
    more ("physio") matches by the prefix rule instead.
    """
    for col in np.flatnonzero(row).tolist():
        word = str(index.vocabulary[col])
        if word != unit and abs(len(word) - len(unit)) > 1 and (unit in word or word in unit):
            row[col] = 0


def _split(index: SearchIndex, word: str) -> tuple[str, str] | None:
    """Split a run-together word ("foodbank") into two vocabulary words, middle first."""
    if len(word) < 6 or word in index.lookup:
        return None
    middle = len(word) // 2
    for offset in range(len(word)):
        for cut in (middle - offset, middle + offset):
            if 3 <= cut <= len(word) - 3:
                left, right = word[:cut], word[cut:]
                if left in index.lookup and right in index.lookup:
                    return left, right
    return None


def _entries(matrix: sparse.csc_array, cols: _Int) -> tuple[_Int, _Int]:
    """Return the positions of the stored entries of ``cols`` and how many each column has.

    Read straight from the CSC arrays: scipy's fancy column indexing costs more
    than the work itself here.
    """
    starts = matrix.indptr[cols]
    lengths = matrix.indptr[cols + 1] - starts
    offsets = np.cumsum(lengths) - lengths
    positions = np.arange(int(lengths.sum())) - np.repeat(offsets - starts, lengths)
    return positions, lengths


def _best_per_doc(matrix: sparse.csc_array, unit: _Unit) -> _Float:
    """Return, per row of ``matrix``, the best similarity of ``unit`` to the row's words."""
    out = np.zeros(matrix.shape[0], dtype=np.float32)
    positions, lengths = _entries(matrix, unit.cols)
    np.maximum.at(out, matrix.indices[positions], np.repeat(unit.sims, lengths))
    return out


def _cover_per_doc(index: SearchIndex, matrix: sparse.csc_array, unit: _Unit) -> _Float:
    """Return, per row, how many of the row's words ``unit`` covers.

    A vocabulary entry of about the unit's length covers the words it stands
    for ("foodbank" covers "food bank", "cab" covers "Citizens Advice
    Bureau"); a longer one matched in part ("oakham" in "oakhamlibrary") one.
    """
    out = np.zeros(matrix.shape[0], dtype=np.float32)
    positions, lengths = _entries(matrix, unit.cols)
    close = np.abs(index.word_lengths[unit.cols] - unit.chars) <= 1
    values = np.where(np.repeat(close, lengths), matrix.data[positions], 1)
    np.maximum.at(out, matrix.indices[positions], values)
    return out


def _name_share(index: SearchIndex, units: list[_Unit], plan: _Plan) -> _Float:
    """Return the share (0-1) of each asset's name that the query covers."""
    matrix = index.fields["name"]
    cache: dict[int, _Float] = {}

    def cover(position: int) -> _Float:
        if position not in cache:
            cache[position] = _cover_per_doc(index, matrix, units[position])
        return cache[position]

    total = np.zeros(len(index), dtype=np.float32)
    for alternatives in plan:
        best = cover(alternatives[0][0])
        for alternative in alternatives[1:]:
            if len(alternative) == 2:  # a run-together word split in two
                value = 2 * np.minimum(cover(alternative[0]), cover(alternative[1]))
            else:  # a pair with a neighbour: half of it is this word's
                value = cover(alternative[0]) / 2
            best = np.maximum(best, value)
        total += best
    return np.minimum(1, total / np.maximum(index.name_lengths, 1))


def _token_matches(
    index: SearchIndex,
    matrix: sparse.csc_array,
    words: list[str],
    units: list[_Unit],
    plan: _Plan,
) -> _Float:
    """Return (rows x words): the best match of each query word in each row of ``matrix``."""
    cache: dict[int, _Float] = {}

    def unit_best(position: int) -> _Float:
        if position not in cache:
            cache[position] = _best_per_doc(matrix, units[position])
        return cache[position]

    out = np.zeros((matrix.shape[0], len(words)), dtype=np.float32)
    for column, alternatives in enumerate(plan):
        for alternative in alternatives:
            # An alternative of several units (a split word) matches as its weakest part.
            best = unit_best(alternative[0])
            for position in alternative[1:]:
                best = np.minimum(best, unit_best(position))
            np.maximum(out[:, column], best, out=out[:, column])
    return out


def _plan(
    index: SearchIndex,
    words: list[str],
) -> tuple[list[str], set[int], _Plan]:
    """Return the units to match, which are pairs, and, per word, its alternatives.

    Each alternative is a tuple of units.

    A word matches as itself, as part of a pair with either neighbour written
    together ("food bank" -> "foodbank"), or, when it is not a known word, as
    two known words run together ("foodbank" -> "food", "bank").
    """
    units: list[str] = []
    pairs: set[int] = set()

    def unit(text: str) -> int:
        if text not in units:
            units.append(text)
        return units.index(text)

    plan: _Plan = []
    for position, word in enumerate(words):
        alternatives: list[tuple[int, ...]] = [(unit(word),)]
        if position > 0:
            alternatives.append((unit(words[position - 1] + word),))
        if position + 1 < len(words):
            alternatives.append((unit(word + words[position + 1]),))
        pairs.update(a[0] for a in alternatives[1:])
        parts = _split(index, word)
        if parts is not None:
            alternatives.append((unit(parts[0]), unit(parts[1])))
        plan.append(alternatives)
    return units, pairs - {p[0][0] for p in plan}, plan


def _word_weights(
    index: SearchIndex,
    words: list[str],
    units: list[_Unit],
    plan: _Plan,
) -> _Float:
    """Weight each query word by the rarity (IDF) of the register word it matches best.

    A word that matches no register word gets the largest weight: it may be
    what makes the one wanted asset different from the rest.
    """
    top = float(np.log(len(index) + 1) + 1)
    weights = np.full(len(words), top, dtype=np.float32)
    for position, alternatives in enumerate(plan):
        unit = units[alternatives[0][0]]
        if unit.cols.size:
            best = unit.cols[unit.sims == unit.sims.max()]
            weights[position] = float(index.idf[best].max())
    meaningful = np.array([w not in STOPWORDS for w in words])
    if meaningful.any():
        weights[~meaningful] = 0
    return weights


def _order(score: _Float, minutes: npt.NDArray[np.float64], margin: float) -> _Int:
    """Order by score, nearer first among near-equal scores, unknown minutes last.

    Going down the scores from the best, a score more than ``margin`` below
    the first score of the current group starts a new group; within a group
    the nearer asset comes first, then the better score.
    """
    by_score = np.lexsort((np.arange(score.size), -score))
    group = np.zeros(score.size, dtype=np.intp)
    top = math.inf
    current = -1
    for position in by_score.tolist():
        if score[position] < top - margin:
            current += 1
            top = float(score[position])
        group[position] = current
    walk = np.where(np.isnan(minutes), np.inf, minutes)
    return np.lexsort((np.arange(score.size), -score, walk, group))


def search_index(
    index: SearchIndex,
    query: str,
    *,
    config: SearchConfig | None = None,
    limit: int = 20,
    minutes: pd.Series | None = None,
) -> pd.DataFrame:
    """Find the assets of a prepared index that fit a free-text query.

    Parameters
    ----------
    index
        From :func:`build_search_index`.
    query
        What the user typed: any words, in any order, misspelt or not.
    config
        Thresholds and weights; ``SearchConfig()`` when omitted.
    limit
        Most results returned (1 to ``config.max_results``).
    minutes
        Walking minutes to each asset, indexed by asset id (missing ids are
        unknown). Used to order results whose scores fall in the same band of
        ``config.tie_margin`` points: the nearer first.

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``score`` (0-100, one decimal), ``matched`` (why: "name",
        "category: ...", "keyword: ...", several joined by "; ") and
        ``minutes`` (NaN when not given), best first, at most ``limit`` rows.

    Raises
    ------
    QueryError
        If the query is empty, has no letters or digits, or is longer than
        ``config.max_query_chars``.
    SchemaError
        If ``minutes`` repeats an asset id or is not numeric.
    ValueError
        If ``limit`` is not between 1 and ``config.max_results``.
    """
    cfg = config or SearchConfig()
    if not isinstance(limit, int) or not 1 <= limit <= cfg.max_results:
        msg = f"`limit` must be a whole number from 1 to {cfg.max_results}, got {limit!r}."
        raise ValueError(msg)
    words = _query_words(query, cfg)
    walk = _minutes_array(index, minutes)
    if len(index) == 0:
        return _frame([], np.zeros(0, np.float32), [], walk[:0])

    unit_texts, pairs, plan = _plan(index, words)
    units = _fuzzy_units(index, unit_texts, pairs, cfg)
    weights = _word_weights(index, words, units, plan)
    total = float(weights.sum())

    stack = np.zeros((len(_FIELDS), len(index), len(words)), dtype=np.float32)
    for position, name in enumerate(_TEXT_FIELDS):
        stack[position] = _token_matches(index, index.fields[name], words, units, plan)
    kind_weight = np.array(
        [1.0, 1.0, cfg.need_keyword_weight, cfg.glm_keyword_weight], dtype=np.float32
    )
    per_phrase = _token_matches(index, index.phrases, words, units, plan)
    per_phrase *= kind_weight[index.phrase_kind][:, None]
    per_category = np.zeros((len(index.category_codes) + 1, len(words)), dtype=np.float32)
    np.maximum.at(per_category, index.phrase_category, per_phrase)  # last row: "no category"
    stack[-1] = per_category[index.asset_categories].max(axis=1)
    stack *= cfg.field_weights()[:, None, None]

    best = stack.max(axis=0)
    coverage = best @ weights / total
    name_share = _name_share(index, units, plan)
    score = coverage * (1 - cfg.name_coverage_weight + cfg.name_coverage_weight * name_share)

    keep = np.flatnonzero(score >= max(cfg.min_score, 1e-6))
    order = keep[_order(score[keep], walk[keep], cfg.tie_margin)][:limit]

    # The phrase that best explains each category (for the `matched` column).
    phrase_score = per_phrase @ weights / total
    by_score = np.lexsort((-phrase_score, index.phrase_category))
    first = np.unique(index.phrase_category[by_score], return_index=True)[1]
    best_phrase = np.full(len(index.category_codes) + 1, -1, dtype=np.intp)
    best_phrase[index.phrase_category[by_score[first]]] = by_score[first]
    best_score = np.append(phrase_score, -1)[best_phrase]
    reasons = [
        _explain(index, stack[:, row, :], weights, best_phrase, best_score, row)
        for row in order.tolist()
    ]
    return _frame([index.ids[r] for r in order], score[order], reasons, walk[order])


def _minutes_array(index: SearchIndex, minutes: pd.Series | None) -> npt.NDArray[np.float64]:
    if minutes is None:
        return np.full(len(index), np.nan)
    if not minutes.index.is_unique:
        msg = "`minutes` lists an asset id more than once."
        raise SchemaError(msg)
    try:
        values = pd.to_numeric(minutes, errors="raise")
    except (TypeError, ValueError) as exc:
        msg = "`minutes` must hold numbers of minutes by asset id."
        raise SchemaError(msg) from exc
    values.index = values.index.astype(str)
    return values.reindex(list(index.ids)).to_numpy(dtype=np.float64, na_value=np.nan)


def _explain(
    index: SearchIndex,
    fields: _Float,
    weights: _Float,
    best_phrase: _Int,
    best_score: _Float,
    row: int,
) -> str:
    """Say which fields explain most of this asset's score."""
    credit = np.zeros(len(_FIELDS), dtype=np.float32)
    winner = fields.argmax(axis=0)
    for column, field in enumerate(winner.tolist()):
        credit[field] += weights[column] * fields[field, column]
    parts: list[str] = []
    for field in np.argsort(-credit, kind="stable").tolist():
        if credit[field] <= 0 or credit[field] < 0.25 * credit.max():
            break
        name = _FIELDS[field]
        if name == "category":
            cats = index.asset_categories[row]
            cats = cats[best_phrase[cats] >= 0]
            if cats.size:
                name = index.phrase_text[best_phrase[cats[np.argmax(best_score[cats])]]]
        parts.append(name)
    return "; ".join(parts)


def _frame(
    ids: list[str],
    score: _Float,
    reasons: list[str],
    minutes: npt.NDArray[np.float64],
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": pd.Series(ids, dtype=object),
            "score": np.round(score.astype(np.float64), 1),
            "matched": pd.Series(reasons, dtype=object),
            "minutes": minutes.astype(np.float64),
        },
        columns=list(RESULT_COLUMNS),
    )


def search_assets(
    assets: pd.DataFrame,
    query: str,
    *,
    taxonomy: Taxonomy | None = None,
    config: SearchConfig | None = None,
    limit: int = 20,
    minutes: pd.Series | None = None,
) -> pd.DataFrame:
    """Search an asset table for a free-text query (builds the index, then searches).

    For repeated queries on the same register build the index once with
    :func:`build_search_index` and call :func:`search_index`.

    Parameters
    ----------
    assets
        The register; see :func:`build_search_index`.
    query
        What the user typed.
    taxonomy
        The default taxonomy when omitted.
    config
        ``SearchConfig()`` when omitted.
    limit
        Most results returned.
    minutes
        Walking minutes by asset id, used to order near-equal scores.

    Returns
    -------
    pandas.DataFrame
        See :func:`search_index`.

    Raises
    ------
    QueryError
        If the query is empty or too long.
    SchemaError
        If the asset table lacks ids or names, or has unknown categories.
    """
    cfg = config or SearchConfig()
    _query_words(query, cfg)  # reject a bad query before the index is built
    index = build_search_index(assets, taxonomy=taxonomy)
    return search_index(index, query, config=cfg, limit=limit, minutes=minutes)
