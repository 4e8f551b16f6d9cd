"""Column mapping: a spreadsheet's headers -> assetmap's fields.

The second step of a spreadsheet import (:mod:`assetmap.ingest.tabular`):
:func:`propose_column_mapping` scores every header against the spellings in
:data:`TABLE_FIELDS` (after normalising case, punctuation and abbreviations) and
the user confirms or overrides the result; :func:`mapped_text` then reads the
text a field gets from the columns mapped to it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import pandas as pd
from rapidfuzz import fuzz

from assetmap.errors import SchemaError

__all__ = [
    "TABLE_FIELDS",
    "ColumnMapping",
    "ColumnMatch",
    "mapped_text",
    "propose_column_mapping",
    "text_score",
]

# field -> header spellings it answers to (compared after _normalise_header).
# fmt: off
TABLE_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "id": ("id", "ref", "reference", "record id", "asset id", "uid", "unique id", "service id"),
    "name": (
        "name", "service name", "organisation name", "name of organisation", "name of group",
        "group name", "asset name", "asset", "service", "project name", "venue name",
        "club name", "charity name", "place name", "title", "activity name", "activity",
    ),
    "organisation": (
        "organisation", "org", "provider", "provider name", "run by", "parent organisation",
        "operator", "charity", "group", "organisation name", "provider name", "org name",
    ),
    "description": (
        "description", "about", "details", "summary", "what they do", "services offered",
        "activities",
    ),
    "eligibility": (
        "eligibility", "who for", "who it is for", "who can use", "criteria", "eligible",
        "who can come", "who is it for",
    ),
    "address": (
        "address", "street address", "address line 1", "address line 2", "address 1",
        "address 2", "street", "town", "city", "village", "locality", "venue address",
        "where", "venue", "location",
    ),
    "postcode": ("postcode", "zip", "zip code"),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "long", "lng", "longitude"),
    "easting": ("easting", "eastings", "os easting", "grid easting"),
    "northing": ("northing", "northings", "os northing", "grid northing"),
    "x": ("x", "x coordinate"),
    "y": ("y", "y coordinate"),
    "phone": (
        "phone", "telephone", "phone number", "telephone number", "contact number",
        "contact phone", "contact telephone", "mobile",
    ),
    "email": ("email", "email address", "contact email"),
    "website": ("website", "web", "url", "website address", "web address", "link"),
    "categories": (
        "category", "categories", "type", "service type", "type of service", "sector",
    ),
    "kind": ("kind", "kind of asset", "record type", "asset kind"),
    "opening_hours": (
        "opening times", "opening hours", "hours", "times", "when open", "when",
        "when we meet", "meeting times", "days and times",
    ),
    "cost": ("cost", "price", "charge", "fee", "fees", "costs"),
    "women_only": ("women only", "female only", "women"),
    "men_only": ("men only", "male only", "men"),
    "gender": ("gender", "sex", "gender restriction"),
    "age": ("age", "ages", "age range", "age group"),
    "min_age": ("min age", "minimum age", "age from"),
    "max_age": ("max age", "maximum age", "age to"),
    "referral_required": (
        "referral", "referral required", "referral needed", "needs referral", "by referral",
    ),
    "convictions": (
        "convictions", "criminal record", "people with convictions", "accepts convictions",
        "ex offenders",
    ),
    "wheelchair": (
        "wheelchair", "wheelchair access", "accessible", "disabled access", "step free",
    ),
    "dbs_check": ("dbs", "dbs check", "dbs required"),
    "last_verified": (
        "last verified", "last checked", "date checked", "last updated", "updated",
    ),
}
# fmt: on
# Fields several columns may feed (joined with ", " or a blank line).
_MULTI_FIELDS: Final = frozenset({"address", "description"})
_IGNORE: Final = frozenset({"", "-", "ignore", "none", "skip"})

# fmt: off
_ABBREVIATIONS: Final = {
    "org": "organisation", "orgs": "organisation", "organization": "organisation",
    "organisations": "organisation", "tel": "telephone", "ph": "phone", "no": "number",
    "num": "number", "addr": "address", "desc": "description", "e": "",
}
_PHRASES: Final = (
    ("post code", "postcode"), ("e mail", "email"), ("web site", "website"),
    ("zip code", "zip"), ("opening time", "opening times"),
)
# fmt: on
_STOPWORDS: Final = frozenset({"of", "the", "a", "an", "s"})
_PLACEHOLDERS: Final = frozenset({"-", "–", "—", "n/a", "null", "#n/a"})


@dataclass(frozen=True, slots=True)
class ColumnMatch:
    """How one source column maps to a field (``field`` is None when ignored)."""

    column: str
    field: str | None
    score: float
    matched: str = ""
    overridden: bool = False


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """The mapping of a sheet's columns to assetmap fields, one entry per column."""

    matches: tuple[ColumnMatch, ...]

    @property
    def fields(self) -> dict[str, str]:
        """Source column -> field, for mapped columns only."""
        return {m.column: m.field for m in self.matches if m.field}

    @property
    def unmapped(self) -> tuple[str, ...]:
        """Source columns that feed no field."""
        return tuple(m.column for m in self.matches if not m.field)

    def columns_for(self, target: str) -> tuple[str, ...]:
        """Return the source columns feeding ``target``, in sheet order."""
        return tuple(m.column for m in self.matches if m.field == target)

    def column_for(self, target: str) -> str | None:
        """Return the (first) source column feeding ``target``, or None."""
        columns = self.columns_for(target)
        return columns[0] if columns else None

    def to_frame(self) -> pd.DataFrame:
        """Return the preview table: column, field, score, matched, overridden."""
        return pd.DataFrame(
            [(m.column, m.field or "", m.score, m.matched, m.overridden) for m in self.matches],
            columns=["column", "field", "score", "matched", "overridden"],
        )


# --------------------------------------------------------------------------- mapping


def _normalise_header(text: str) -> str:
    text = re.sub(r"\([^)]*\)|\[[^]]*\]", " ", str(text).lower())
    text = re.sub(r"[^0-9a-z]+", " ", text.replace("&", " and "))
    text = f" {text} "
    for phrase, replacement in _PHRASES:
        text = text.replace(f" {phrase} ", f" {replacement} ")
    words = [_ABBREVIATIONS.get(w, w) for w in text.split()]
    return " ".join(w for w in words if w and w not in _STOPWORDS)


def text_score(a: str, b: str, **_: Any) -> float:
    """Score two normalised texts 0-100: the better of ``ratio`` and ``token_sort_ratio``.

    Examples
    --------
    >>> text_score("food bank", "bank food")
    100.0
    """
    return max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b))


def _header_score(a: str, b: str) -> float:
    """Score two normalised headers; every word must have a close partner in the other.

    The word check keeps "contact name" away from "contact number" (85 by ratio).
    """
    score = text_score(a, b)
    words_a, words_b = a.split(), b.split()
    for left, right in ((words_a, words_b), (words_b, words_a)):
        for word in left:
            if max(fuzz.ratio(word, other) for other in right) < 75:
                return min(score, 70.0)
    return score


# Earlier spellings in a field's list win ties: "Service name" takes `name` before
# "Organisation name" does, which then goes to `organisation`.
_SYNONYMS: Final = [
    (target, rank, synonym, _normalise_header(synonym))
    for target, synonyms in TABLE_FIELDS.items()
    for rank, synonym in enumerate(synonyms)
]


def _best_matches(column: str) -> dict[str, tuple[float, int, str]]:
    """Return field -> (best score, rank of the spelling in its list, spelling) for a header."""
    header = _normalise_header(column)
    best: dict[str, tuple[float, int, str]] = {}
    if not header:
        return best
    for target, rank, synonym, normalised in _SYNONYMS:
        score = _header_score(header, normalised)
        if score > best.get(target, (-1.0, 0, ""))[0]:
            best[target] = (score, rank, synonym)
    return best


def _check_overrides(
    columns: Sequence[str], overrides: Mapping[str, str | None]
) -> dict[str, str | None]:
    by_lower = {c.lower(): c for c in columns}
    out: dict[str, str | None] = {}
    for source, target in overrides.items():
        column = source if source in columns else by_lower.get(str(source).strip().lower())
        if column is None:
            msg = (
                f"--map {source}={target or ''}: there is no column {source!r}; the columns are "
                f"{', '.join(map(repr, columns))}."
            )
            raise SchemaError(msg)
        wanted = None if target is None or str(target).strip().lower() in _IGNORE else str(target)
        if wanted is not None and wanted not in TABLE_FIELDS:
            msg = (
                f"--map {source}={target}: {target!r} is not a field; the fields are "
                f"{', '.join(TABLE_FIELDS)} (or 'ignore')."
            )
            raise SchemaError(msg)
        out[column] = wanted
    return out


def propose_column_mapping(
    columns: Iterable[str],
    *,
    overrides: Mapping[str, str | None] | None = None,
    threshold: float = 80.0,
) -> ColumnMapping:
    """Match spreadsheet headers to assetmap fields by fuzzy match.

    Headers and the spellings in :data:`TABLE_FIELDS` are normalised first
    (case, punctuation, bracketed notes, "Org" -> organisation, "Tel" ->
    telephone, "Post Code" -> postcode), then scored with rapidfuzz (the best
    of ``ratio`` and ``token_sort_ratio``, 0-100). Each field takes its
    best-scoring column at or above ``threshold`` (``address`` and
    ``description`` may take several). When nothing maps to ``name`` the
    ``organisation`` column is used as the name.

    Parameters
    ----------
    columns
        The headers, in sheet order.
    overrides
        Source column -> field (``--map SOURCE=FIELD``); a field of ``None``,
        ``""`` or ``"ignore"`` leaves the column out. Overrides win over matches.
    threshold
        Lowest score that maps a column.

    Returns
    -------
    ColumnMapping
        One :class:`ColumnMatch` per column, with its score, for the preview.

    Raises
    ------
    SchemaError
        If an override names an unknown column or field.

    Examples
    --------
    >>> mapping = propose_column_mapping(["Org", "Post Code", "Tel", "Notes"])
    >>> mapping.fields
    {'Org': 'name', 'Post Code': 'postcode', 'Tel': 'phone'}
    >>> mapping.unmapped
    ('Notes',)
    """
    headers = list(columns)
    fixed = _check_overrides(headers, overrides or {})
    taken_fields = {f for f in fixed.values() if f and f not in _MULTI_FIELDS}
    candidates = []
    scores: dict[str, tuple[float, str]] = {}
    for order, column in enumerate(headers):
        best = _best_matches(column)
        top = max(best.values(), default=(0.0, 0, ""))
        scores[column] = (top[0], top[2])
        if column in fixed:
            continue
        for target, (score, rank, synonym) in best.items():
            if score >= threshold and target not in taken_fields:
                candidates.append((-score, rank, order, column, target, synonym))
    assigned: dict[str, tuple[str, float, str]] = {}
    used_fields: set[str] = set(taken_fields)
    for neg_score, _, _, column, target, synonym in sorted(candidates):
        if column in assigned or (target in used_fields and target not in _MULTI_FIELDS):
            continue
        assigned[column] = (target, -neg_score, synonym)
        used_fields.add(target)
    if "name" not in used_fields:
        for column, (target, score, synonym) in list(assigned.items()):
            if target == "organisation":
                assigned[column] = ("name", score, synonym)
                break
    matches = []
    for column in headers:
        if column in fixed:
            matches.append(ColumnMatch(column, fixed[column], 100.0, "--map", overridden=True))
        elif column in assigned:
            target, score, synonym = assigned[column]
            matches.append(ColumnMatch(column, target, round(score, 1), synonym))
        else:
            matches.append(
                ColumnMatch(column, None, round(scores[column][0], 1), scores[column][1])
            )
    return ColumnMapping(tuple(matches))


def mapped_text(
    frame: pd.DataFrame, mapping: ColumnMapping, target: str, sep: str = ", "
) -> pd.Series:
    """Return the text ``target`` gets from its mapped columns ("" where none).

    Cells are stripped, placeholders ("-", "n/a", "null") read as blank, and
    several columns feeding one field are joined with ``sep``.
    """
    columns = mapping.columns_for(target)
    if not columns:
        return pd.Series("", index=frame.index, dtype=object)
    cleaned = [frame[c].astype(str).str.strip() for c in columns]
    cleaned = [c.where(~c.str.lower().isin(_PLACEHOLDERS), "") for c in cleaned]
    if len(cleaned) == 1:
        return cleaned[0].astype(object)
    joined = pd.concat(cleaned, axis=1).apply(lambda r: sep.join(v for v in r if v), axis=1)
    return joined.astype(object)
