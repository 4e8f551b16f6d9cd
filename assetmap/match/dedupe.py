"""De-duplication: find records that describe the same asset, score them, plan merges.

The same library comes in from OpenStreetMap, from a council spreadsheet and
from an Open Referral feed, each spelt a little differently and placed a few
tens of metres apart. :func:`find_duplicates` finds such pairs without
comparing all pairs, scores each from several independent pieces of evidence
and explains the score; :func:`plan_merges` turns the pairs decided "merge"
into merge groups for :meth:`assetmap.store.Store.merge_assets`.

How a pair is found (blocking)
    Two records are compared only if they lie within ``max_distance_m`` of
    each other (a k-d tree in metres: British National Grid for GB data, the
    local UTM zone elsewhere), share a normalised postcode, or have the same
    name within 500 m.

How a pair is scored (0-100, the sum of points, clipped)
    * names, up to ``name_weight``: nothing below 60 % alike, full marks from
      95 %. Names are compared on their distinctive words ("Exton" in "Exton
      Village Hall") with the kind of place ("village hall", "library", "car
      park", "church hall") compared separately: a different kind ("Oakham
      Library" against "Oakham Library Car Park", a church against its church
      hall, a village hall against a church hall) caps the name similarity at
      40 %, whatever rapidfuzz's subset-friendly ``token_set_ratio`` says;
      related kinds ("Village Hall" against "Memorial Hall", "Church" against
      "Chapel") cap it at 88 %, below the 90 % a merge needs, so such pairs go
      to review rather than merge; a name that names no kind against one that
      does ("St Nicholas" against "St Nicholas Church") caps it at 92 %. A
      record whose name names no kind takes it from its categories (a
      ``faith_community`` is a church), so "St Nicholas, Cottesmore" and "St
      Nicholas Church Hall" are different kinds.
      Different numbers ("1st" and "2nd Oakham Scouts") and opposite
      qualifiers ("North" and "South Luffenham") cap it at 40 % too. "St" and
      "Saint", "&" and "and" compare equal; "The", "Ltd", "Limited", "CIC",
      "CIO", "Charity", "Registered", "of", "and" are weak words and ignored.
      Village and town words (from the register's own addresses and names)
      are left out where only one side has them; a county word ("Rutland")
      agrees with a town in it. Initials stand for first names ("J A
      Gwyther", "John A. Gwyther"); one word more on one side ("Village Audit
      Hall") makes names 88 % alike at most: queued, never merged on that alone.
      Every reading of a name is compared and the best counts (see
      :func:`_variants`): without a bracket, a side of a dash or comma, or a
      trailing operator when what is dropped names no other kind of place;
      each of two facilities joined by "and"; a church's dedication; the
      record's ``alt_name``; a bare kind of place with its address's village.
    * distance, up to ``distance_weight``: full within 25 m, falling to none at
      ``max_distance_m``.
    * the same phone number (UK numbers in any format), email address or
      website: ``phone_weight``, ``email_weight``, ``website_weight`` (half for
      the same web domain only; nothing for shared hosts such as facebook.com);
      two different phone numbers or unrelated websites count against.
    * categories: a shared category earns ``category_weight``; categories with
      nothing in common (a library and a pharmacy) cost as much.
    * postcodes: the same postcode earns ``postcode_weight``; a postcode in
      another district costs as much, another sector of the same district half.

How a pair is decided
    "merge" needs all three of: a score of at least ``auto_merge_score``,
    names at least ``min_merge_name_similarity`` alike, and at least
    ``min_corroboration`` points from evidence other than the names, so two
    records are never called the same on a name score alone. "review" is a
    score of at least ``review_score``, and, within 100 m whatever the score,
    similar names of one category, names at least 90 % alike of any
    categories, and a place's "Parish Church" against a church known by its
    dedication ("All Saints"); and, within 100 m, two records of one category
    or family of places whose names share a distinctive word or that are each
    the only one of their specific kind (a library, a hospice, a surgery) near
    the other; anything else is "distinct". Names that differ
    only by a related kind of venue ("Parish Hall", "Village Hall"), or one
    that is only the other's kind ("Chapel"), merge within 50 m when nothing
    is against them, a category, postcode or address agrees and each is the
    other's only candidate of that family within 100 m; else they are queued.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import Point
>>> assets = gpd.GeoDataFrame(
...     {"id": ["a", "b", "c"],
...      "name": ["Oakham Library", "oakham libary", "Oakham Library Car Park"],
...      "categories": [("library",), ("library",), ()]},
...     geometry=[Point(-0.72586, 52.66935), Point(-0.72580, 52.66940),
...               Point(-0.72550, 52.66960)], crs="EPSG:4326")
>>> pairs = find_duplicates(assets)
>>> for row in pairs.itertuples():
...     print(row.id_a, row.id_b, row.score, row.decision, "|", row.reasons)
a b 90.0 merge | names 100% alike; 7 m apart; both library
b c 19.5 distinct | names 40% alike (library vs car park, library); 30 m apart
a c 18.9 distinct | names 40% alike (library vs car park, library); 37 m apart
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import logging
import math
import operator
import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any, Final, TypeVar

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA
from scipy.spatial import cKDTree

from assetmap.errors import PostcodeError, SchemaError
from assetmap.geo import metric_crs
from assetmap.ingest.postcodes import normalise_postcode
from assetmap.match.normalize import normalise_name
from assetmap.resources import data_path
from assetmap.schema import STORAGE_CRS
from assetmap.taxonomy import load_taxonomy, read_yaml

__all__ = [
    "DECISIONS",
    "PAIR_COLUMNS",
    "MatchConfig",
    "MergeGroup",
    "find_duplicates",
    "name_similarity",
    "normalise_phone",
    "plan_merges",
]

logger = logging.getLogger(__name__)
_T = TypeVar("_T", bound=Hashable)

DECISIONS: Final = ("merge", "review", "distinct")
PAIR_COLUMNS: Final = (
    "id_a",
    "id_b",
    "name_a",
    "name_b",
    "score",
    "decision",
    "distance_m",
    "name_similarity",
    "reasons",
)

_NAME_FLOOR: Final = 60.0  # names less alike than this earn no points
_NAME_FULL: Final = 95.0  # names at least this alike earn all the name points
_CLOSE_M: Final = 25.0  # records this close earn all the distance points
_KIND_CONFLICT_CAP: Final = 40.0
_RELATED_KIND_CAP: Final = 88.0
_MISSING_KIND_CAP: Final = 92.0
_ONE_SIDE_ONLY_KIND: Final = 75.0  # at most, for "Chapel" against "Methodist Chapel"
_MAX_BLOCKING_M: Final = 10_000.0
_QUEUE_NEAR_M: Final = 100.0
_SAME_NAME: Final = 97.0
_SAME_NAME_NEAR_M: Final = 50.0

# ---------------------------------------------------------------- configuration


@dataclass(frozen=True, slots=True)
class MatchConfig:
    """Thresholds and weights for :func:`find_duplicates`.

    Parameters
    ----------
    max_distance_m
        Records further apart than this are compared only if they share a
        postcode (the blocking radius, metres).
    auto_merge_score
        Pairs scoring at least this (0-100) are merged automatically, if their
        names are alike enough and other evidence backs the names up.
    review_score
        Pairs scoring at least this, and not merged, are queued for review.
    min_merge_name_similarity
        A merge also needs names at least this alike (0-100).
    min_corroboration
        A merge also needs at least this many points from evidence other
        than the names (distance, phone, email, website, category, postcode).
    name_weight, distance_weight, phone_weight, email_weight
        Points each piece of evidence can earn (see the module docstring).
    website_weight, category_weight, postcode_weight
        Likewise.

    Examples
    --------
    >>> MatchConfig(max_distance_m=400).max_distance_m
    400
    >>> MatchConfig(review_score=90)
    Traceback (most recent call last):
    ...
    ValueError: `review_score` (90) must be below `auto_merge_score` (85.0).
    """

    max_distance_m: float = 250.0
    auto_merge_score: float = 85.0
    review_score: float = 50.0
    min_merge_name_similarity: float = 90.0
    min_corroboration: float = 20.0
    name_weight: float = 60.0
    distance_weight: float = 20.0
    phone_weight: float = 15.0
    email_weight: float = 15.0
    website_weight: float = 10.0
    category_weight: float = 10.0
    postcode_weight: float = 10.0

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                msg = f"`{item.name}` must be a number, got {value!r}."
                raise TypeError(msg)
            if not math.isfinite(value) or value < 0:
                msg = f"`{item.name}` must be a finite number >= 0, got {value!r}."
                raise ValueError(msg)
        if not 0 < self.max_distance_m <= _MAX_BLOCKING_M:
            msg = (
                f"`max_distance_m` must be above 0 and at most {_MAX_BLOCKING_M:,.0f} m, "
                f"got {self.max_distance_m!r}."
            )
            raise ValueError(msg)
        for name in ("auto_merge_score", "review_score", "min_merge_name_similarity"):
            if getattr(self, name) > 100:
                msg = f"`{name}` must be at most 100, got {getattr(self, name)!r}."
                raise ValueError(msg)
        if self.review_score >= self.auto_merge_score:
            msg = (
                f"`review_score` ({self.review_score}) must be below "
                f"`auto_merge_score` ({self.auto_merge_score})."
            )
            raise ValueError(msg)
        if self.name_weight == 0:
            msg = "`name_weight` must be above 0: names are the main evidence."
            raise ValueError(msg)


# ---------------------------------------------------------------- names

# Kinds of place: phrase -> (kind, family). Two names of the same family but a
# different kind are related ("village hall", "memorial hall"); different
# families are different places ("library", "car park").
_KIND_PHRASES: Final[dict[str, tuple[str, str]]] = {
    "car park": ("car_park", "parking"),
    "parking": ("car_park", "parking"),
    "church hall": ("church_hall", "church_hall"),
    "chapel hall": ("church_hall", "church_hall"),
    "church rooms": ("church_hall", "church_hall"),
    "scout hall": ("scout_hut", "scouts"),
    "scout hut": ("scout_hut", "scouts"),
    "scouts": ("scouts", "scouts"),
    "guides": ("scouts", "scouts"),
    "village hall": ("village_hall", "venue"),
    "memorial hall": ("memorial_hall", "venue"),
    "community hall": ("community_hall", "venue"),
    "parish hall": ("parish_hall", "venue"),
    "community centre": ("community_centre", "venue"),
    "community association": ("community_centre", "venue"),  # the centre, by who runs it
    "village centre": ("community_centre", "venue"),
    "community hub": ("community_centre", "venue"),
    "hall": ("hall", "venue"),
    "centre": ("centre", "venue"),
    "institute": ("institute", "venue"),
    "village institute": ("institute", "venue"),
    "reading room": ("reading_room", "venue"),
    "reading rooms": ("reading_room", "venue"),
    "social club": ("social_club", "venue"),
    "working mens club": ("social_club", "venue"),
    "conservative club": ("social_club", "venue"),
    "liberal club": ("social_club", "venue"),
    "sports and social club": ("social_club", "venue"),
    "town hall": ("town_hall", "civic"),
    "council offices": ("council_offices", "civic"),
    "register office": ("register_office", "civic"),
    "parish church": ("church", "worship"),
    "church": ("church", "worship"),
    "chapel": ("chapel", "worship"),
    # an institution's own chapel is a chapel, not the institution
    "school chapel": ("chapel", "worship"),
    "college chapel": ("chapel", "worship"),
    "hospital chapel": ("chapel", "worship"),
    "chapel of rest": ("funeral", "funeral"),
    "funeral directors": ("funeral", "funeral"),
    "funeral home": ("funeral", "funeral"),
    "gospel hall": ("gospel_hall", "worship"),
    "citadel": ("citadel", "worship"),
    "gurdwara sahib": ("gurdwara", "worship"),
    "meeting house": ("meeting_house", "worship"),
    "friends meeting house": ("meeting_house", "worship"),
    "cathedral": ("cathedral", "worship"),
    "mosque": ("mosque", "worship"),
    "synagogue": ("synagogue", "worship"),
    "temple": ("temple", "worship"),
    "gurdwara": ("gurdwara", "worship"),
    "kingdom hall": ("kingdom_hall", "worship"),
    "library": ("library", "library"),
    "school": ("school", "education"),
    "academy": ("academy", "education"),
    "college": ("college", "education"),
    "nursery": ("nursery", "education"),
    "pre school": ("preschool", "education"),
    "preschool": ("preschool", "education"),
    "playgroup": ("preschool", "education"),
    "surgery": ("surgery", "gp"),
    "medical practice": ("surgery", "gp"),
    "medical centre": ("surgery", "gp"),
    "health centre": ("health_centre", "gp"),
    "doctors": ("surgery", "gp"),
    "doctors surgery": ("surgery", "gp"),
    "gp surgery": ("surgery", "gp"),
    "gp": ("surgery", "gp"),  # "X Surgery (GP)": the bracket says the kind again
    "gp practice": ("surgery", "gp"),
    "family practice": ("surgery", "gp"),
    "group practice": ("surgery", "gp"),
    "pharmacy": ("pharmacy", "pharmacy"),
    "chemist": ("pharmacy", "pharmacy"),
    "chemists": ("pharmacy", "pharmacy"),
    "dentist": ("dentist", "dental"),
    "dentists": ("dentist", "dental"),
    "dental practice": ("dentist", "dental"),
    "dental surgery": ("dentist", "dental"),
    "dental centre": ("dentist", "dental"),
    "dental care": ("dentist", "dental"),
    "dental surgeon": ("dentist", "dental"),
    "dental surgeons": ("dentist", "dental"),
    "dental clinic": ("dentist", "dental"),
    "dental studio": ("dentist", "dental"),
    "dental group": ("dentist", "dental"),
    "dentistry": ("dentist", "dental"),
    "orthodontics": ("dentist", "dental"),
    "orthodontist": ("dentist", "dental"),
    "hospital": ("hospital", "hospital"),
    "hospice": ("hospice", "hospice"),
    "clinic": ("clinic", "clinic"),
    "care home": ("care_home", "care"),
    "sheltered housing": ("sheltered_housing", "care"),
    "residential home": ("care_home", "care"),
    "nursing home": ("nursing_home", "care"),
    "retirement home": ("care_home", "care"),
    "residential care": ("care_home", "care"),
    "residential care home": ("care_home", "care"),
    "care centre": ("care_home", "care"),
    "retirement flats": ("sheltered_housing", "care"),
    "retirement housing": ("sheltered_housing", "care"),
    "retirement apartments": ("sheltered_housing", "care"),
    "retirement living": ("sheltered_housing", "care"),
    "extra care": ("sheltered_housing", "care"),
    "extra care housing": ("sheltered_housing", "care"),
    "assisted living": ("sheltered_housing", "care"),
    "almshouses": ("sheltered_housing", "care"),
    "day centre": ("day_centre", "care"),
    "club": ("club", "sport"),
    "golf club": ("golf", "sport"),
    "golf course": ("golf", "sport"),
    "golf links": ("golf", "sport"),
    "golf centre": ("golf", "sport"),
    "sports hall": ("sports_centre", "sport"),
    "sports club": ("club", "sport"),
    "police station": ("police_station", "police"),
    "fire station": ("fire_station", "emergency"),
    "ambulance station": ("ambulance_station", "emergency"),
    "childrens centre": ("family_centre", "family"),
    "family hub": ("family_centre", "family"),
    "family centre": ("family_centre", "family"),
    "sure start": ("family_centre", "family"),
    "youth centre": ("youth_club", "youth"),
    "public house": ("pub", "pub"),
    "pub": ("pub", "pub"),
    "youth club": ("youth_club", "youth"),
    "sports centre": ("sports_centre", "sport"),
    "leisure centre": ("sports_centre", "sport"),
    "gym": ("gym", "sport"),
    "pavilion": ("pavilion", "sport"),
    "swimming pool": ("pool", "sport"),
    "park": ("park", "outdoors"),
    "playground": ("playground", "outdoors"),
    "playing field": ("playing_field", "outdoors"),
    "playing fields": ("playing_field", "outdoors"),
    "recreation ground": ("playing_field", "outdoors"),
    "allotments": ("allotments", "outdoors"),
    "skate park": ("skate_park", "outdoors"),
    "shop": ("shop", "retail"),
    "charity shop": ("shop", "retail"),
    "cafe": ("cafe", "cafe"),
    "tea room": ("cafe", "cafe"),
    "tea rooms": ("cafe", "cafe"),
    "food bank": ("food_bank", "food"),
    "foodbank": ("food_bank", "food"),
    "pantry": ("pantry", "food"),
    "post office": ("post_office", "post"),
    "job centre": ("job_centre", "employment"),
    "jobcentre": ("job_centre", "employment"),
    "jobcentre plus": ("job_centre", "employment"),
    "museum": ("museum", "arts"),
    "gallery": ("gallery", "arts"),
    "theatre": ("theatre", "arts"),
    "cinema": ("cinema", "arts"),
    "arts centre": ("arts_centre", "arts"),
    "prison": ("prison", "justice"),
    "hm prison": ("prison", "justice"),
    "hmp": ("prison", "justice"),
    # Sites that hold places: a part naming one says where a place is.
    "business park": ("site", "site"),
    "enterprise park": ("site", "site"),
    "industrial estate": ("site", "site"),
    "trading estate": ("site", "site"),
    "retail park": ("site", "site"),
    "shopping centre": ("site", "site"),
    "showground": ("site", "site"),
    "campus": ("site", "site"),
    # Organisations that are about a place, not the place itself.
    "friends_of": ("friends", "friends"),
    "pta": ("pta", "pta"),
    "parent teacher association": ("pta", "pta"),
    "parents association": ("pta", "pta"),
    "appeal": ("appeal", "fundraising"),
    "fund": ("fund", "fundraising"),
}
_MAX_PHRASE_WORDS: Final = max(len(p.split()) for p in _KIND_PHRASES)

# Dropped before comparing: legal forms, articles and linking words.
_WEAK_WORDS: Final = frozenset(
    {
        "the",
        "ltd",
        "limited",
        "cic",
        "cio",
        "plc",
        "llp",
        "inc",
        "incorporated",
        "registered",
        "charity",
        "charitable",
        "co",
        "and",
        "of",
        "for",
        "a",
        "an",
        "at",
        "in",
        "on",
        # titles and letters after a name ("Mr John Gwyther BDS")
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "bds",
        "mbbs",
        "bchd",
    }
)
_ABBREVIATIONS: Final[dict[str, str]] = {
    "ctr": "centre",
    "cntr": "centre",
    "cen": "centre",
    "center": "centre",
    "assoc": "association",
    "assn": "association",
    "soc": "society",
    "grp": "group",
    "meml": "memorial",
    "mem": "memorial",
    "vill": "village",
    "hosp": "hospital",
    "med": "medical",
    "comm": "community",
    "sch": "school",
    "prim": "primary",
    "rd": "road",
    "ave": "avenue",
    "cofe": "ce",
    "intl": "international",
    "natl": "national",
    "svcs": "services",
    "svc": "service",
    "lib": "library",
    "meth": "methodist",
    "bapt": "baptist",
    "ch": "church",
    "surg": "surgery",
    "registry": "register",
    "mkt": "market",
    "gt": "great",
    "lt": "little",
    "n": "north",
    "s": "south",
    "bowling": "bowls",
    "1st": "1",
    "2nd": "2",
    "3rd": "3",
    "4th": "4",
    "5th": "5",
}
_QUALIFIERS: Final = frozenset(
    {"north", "south", "east", "west", "upper", "lower", "great", "little", "old", "new", "nether"}
)
_VOCABULARY: Final = sorted(
    {word for phrase in _KIND_PHRASES for word in phrase.split()} | set(_ABBREVIATIONS.values())
)
_VOCABULARY_SET: Final = frozenset(_VOCABULARY)
_KIND_WORDS: Final = frozenset(w for phrase in _KIND_PHRASES for w in phrase.split())
# Words a church's dedication begins with: "St Mary", "All Saints", "Holy Cross".
_DEDICATIONS: Final = frozenset(
    {"saint", "saints", "all", "holy", "christ", "our", "blessed", "sacred", "ss", "sts"}
)
# Words that say which church, not where: never a village ("Methodist Chapel").
_DENOMINATIONS: Final = frozenset(
    {"methodist", "baptist", "catholic", "anglican", "quaker", "quakers", "congregational",
     "urc", "reformed", "pentecostal", "evangelical", "wesleyan", "unitarian", "elim",
     "salvation", "orthodox", "presbyterian", "adventist", "ce"}
)  # fmt: skip
# Denominations whose churches are known by a saint's dedication ("St Joseph's" is the
# Catholic church): a Baptist or Methodist church is not the village's "St Mary".
_DEDICATING: Final = frozenset({"catholic", "anglican", "orthodox", "ce"})
# Denominations that call one building a church or a chapel indifferently
# ("Congregational Chapel", "Congregational Church"): the two kinds are one for them.
_CHAPEL_IS_CHURCH: Final = _DENOMINATIONS - _DEDICATING - {"quaker", "quakers", "salvation"}
_ORDINAL: Final = re.compile(r"^(\d+)(?:st|nd|rd|th)$")


@dataclass(frozen=True, slots=True)
class _Name:
    """A name taken apart for comparison."""

    text: str  # canonical words, weak words dropped
    core: str  # the words that are not a kind of place, in order
    tokens: frozenset[str]  # the same, as a set
    kinds: tuple[str, ...]
    families: tuple[str, ...]
    numbers: frozenset[str]
    qualifiers: frozenset[str]
    raw: str = ""
    # words a reading left out that must each be a place word of the register (or a
    # denomination) for the reading to count: "X Hall - Toddler Group" is not the hall
    dropped: tuple[str, ...] = ()


@functools.lru_cache(maxsize=65_536)
def _correct_word(word: str) -> str:
    """Return the vocabulary word ``word`` is a typo of (one edit away), or ``word``.

    Only words of five letters or more are corrected, to a word with the same
    first letter (or the first two swapped), so "Libary" is a library and
    "Cnetre" a centre, but "Spark" is not a park.
    """
    word = _ABBREVIATIONS.get(word, word)
    if len(word) < 5 or word in _VOCABULARY_SET or word.isdigit():
        return word
    best = process.extractOne(word, _VOCABULARY, scorer=OSA.distance, score_cutoff=1)
    if best is None:
        return word
    target = str(best[0])
    same_start = target[0] == word[0] or target[:2] == word[1::-1]
    return target if same_start else word


def _words(name: str) -> list[str]:
    raw = normalise_name(name).split()
    out: list[str] = []
    i = 0
    while i < len(raw):
        # "c of e" -> "ce" (Church of England)
        if raw[i] == "c" and raw[i + 1 : i + 3] == ["of", "e"]:
            out.append("ce")
            i += 3
            continue
        ordinal = _ORDINAL.match(raw[i])
        word = ordinal.group(1) if ordinal else _correct_word(raw[i])
        # "saint marys" -> "saint mary": the possessive is noise after a saint.
        if out and out[-1] == "saint" and len(word) > 3 and word.endswith("s"):
            word = word[:-1]
        # "Friends of X" is an organisation about X, not X itself.
        if word == "friends" and i + 1 < len(raw) and raw[i + 1] == "of":
            word = "friends_of"
        out.append(word)
        i += 1
    return out


_SYNONYMS_PATH: Final = data_path("synonyms.yaml")
_BRACKETS: Final = re.compile(r"\(([^)]*)\)")


@functools.lru_cache(maxsize=1)
def _synonyms() -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """(spelling, canonical) word tuples from ``assetmap/data/synonyms.yaml``, longest first."""
    raw = read_yaml(_SYNONYMS_PATH, "synonyms") or {}
    pairs: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    for group in raw.get("same") or []:
        canonical = tuple(normalise_name(str(group[0])).split())
        # The canonical spelling maps to itself, so no shorter spelling eats part of it.
        spellings = [tuple(normalise_name(str(g)).split()) for g in group]
        pairs += [(spelling, canonical) for spelling in spellings]
        # "Congregational Church" in the table: "Congregational Chapel" is the same.
        pairs += [
            ((*spelling[:-1], "chapel"), canonical)
            for spelling in spellings
            if spelling[-1:] == ("church",) and set(spelling) & _CHAPEL_IS_CHURCH
        ]
    for brand in raw.get("brands") or []:
        pairs.append((tuple(normalise_name(str(brand)).split()), ()))
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


@functools.lru_cache(maxsize=1)
def _synonyms_by_first_word() -> dict[str, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]]:
    """Index the synonym table by each spelling's first word, longest spelling first."""
    index: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
    for spelling, canonical in _synonyms():
        if spelling:
            index.setdefault(spelling[0], []).append((spelling, canonical))
    return {word: tuple(entries) for word, entries in index.items()}


@functools.lru_cache(maxsize=1)
def _brands() -> frozenset[tuple[str, ...]]:
    """Return the spellings of ``synonyms.yaml``'s brands (dropped from names)."""
    return frozenset(spelling for spelling, canonical in _synonyms() if not canonical)


def _canonical(words: list[str]) -> list[str]:
    """Replace synonyms ("quaker meeting house" -> "friends meeting house") and drop brands."""
    out: list[str] = []
    i = 0
    by_first = _synonyms_by_first_word()
    while i < len(words):
        for spelling, canonical in by_first.get(words[i], ()):
            if tuple(words[i : i + len(spelling)]) == spelling:
                out.extend(canonical)
                i += len(spelling)
                break
        else:
            out.append(words[i])
            i += 1
    return out or words


_NEAR: Final = re.compile(r",\s*(?:nr\.?|near)\s.*$", re.IGNORECASE)


def _name_variants(name: str) -> tuple[str, ...]:
    """Return the name without brackets, then with their words ("Lodge Trust (The)").

    A trailing "nr X" or "near X" says where to look, not which place it is:
    it is dropped ("Caldecott Village Hall, nr Market Harborough").
    """
    name = _NEAR.sub("", name) or name
    if "(" not in name:
        return (name,)
    outside = " ".join(_BRACKETS.sub(" ", name).split())
    # A bracket that says where ("(Church Street)", "(Elmstead office)") is no part of the name.
    inside = " ".join(t for t in _BRACKETS.findall(name) if not _is_site(_parse_name(t)))
    return tuple(dict.fromkeys(v for v in (outside, f"{inside} {outside}".strip()) if v))


@functools.lru_cache(maxsize=65_536)
def _parse_name(name: str) -> _Name:
    words = _canonical(_words(_name_variants(name)[-1]))
    strong = [w for w in words if w not in _WEAK_WORDS] or words
    core: list[str] = []
    kinds: list[str] = []
    families: list[str] = []
    i = 0
    while i < len(strong):
        for size in range(min(_MAX_PHRASE_WORDS, len(strong) - i), 0, -1):
            phrase = " ".join(strong[i : i + size])
            if phrase in _KIND_PHRASES:
                kind, family = _KIND_PHRASES[phrase]
                kinds.append(kind)
                families.append(family)
                i += size
                break
        else:
            core.append(strong[i])
            i += 1
    # A Methodist or Baptist chapel is the Methodist or Baptist church.
    if "chapel" in kinds and set(core) & _CHAPEL_IS_CHURCH:
        kinds = ["church" if k == "chapel" else k for k in kinds]
    # A bare "centre" next to another kind is part of it ("Arts Centre and Museum").
    if "centre" in kinds and len(set(families)) > 1:
        at = kinds.index("centre")
        del kinds[at], families[at]
    return _Name(
        text=" ".join(strong),
        core=" ".join(core),
        tokens=frozenset(core),
        kinds=tuple(sorted(set(kinds))),
        families=tuple(sorted(set(families))),
        numbers=frozenset(w for w in strong if w.isdigit()),
        qualifiers=frozenset(w for w in core if w in _QUALIFIERS),
        raw=name,
    )


# Kinds of place of worship that one congregation's building is called indifferently.
_CHRISTIAN_KINDS: Final = frozenset({"church", "chapel", "cathedral"})

# ---------------------------------------------------------------- name variants

# Words after a place's name that say who runs it, not which place it is
# ("Elmstead Village Hall Trust", "Brockley Village Hall Management Committee").
_OPERATOR_SUFFIXES: Final = (
    ("management", "committee"),
    ("committee",),
    ("trustees",),
    ("trust",),
    ("parish", "meeting"),
    ("parish", "council"),
    ("town", "council"),
    ("users", "group"),
    ("association",),
    ("council",),
    ("meeting",),  # a Quaker meeting or a parish meeting
)
_OPERATOR_WORDS: Final = frozenset(w for suffix in _OPERATOR_SUFFIXES for w in suffix)
_PARTS: Final = re.compile(r"\s+[-\u2013\u2014]+\s+|\s*[\u2013\u2014]\s*|\s*[,:;]\s*")
_JOINED: Final = re.compile(r"&|\+|\band\b", re.IGNORECASE)
# What follows a saint's name to say which saint: "St John the Evangelist" is St John,
# "St Martin of Tours" St Martin.
_EPITHET: Final = re.compile(
    r"\b(saint|st\.?)\s+([a-z]+(?:['\u2019]s)?)\s+(?:the\s+(?:evangelist|baptist|virgin|apostle|"
    r"divine|martyr|confessor|great)|of\s+(?!the\b)[a-z]+)\b",
    re.IGNORECASE,
)
_ALT_SPLIT: Final = re.compile(r"\s*;\s*")


def _may_stand_alone(part: _Name, rest: Sequence[_Name]) -> bool:
    """Return whether ``part`` of a name may be compared on its own, ``rest`` dropped.

    The part needs a word of its own besides a kind of place, and what is
    dropped may name no kind of place other than the part's ("Northfield Council -
    Elmstead Library" is the library; "Elmstead Library - Car Park" is not).
    """
    if not part.core:
        return False
    allowed = {*part.families, "site"}
    return all(
        set(other.families) <= allowed for other in rest if other.families and not _is_site(other)
    )


# The last word of a bracket that says which branch of an organisation it is: "(Elmstead office)".
_SITE_WORDS: Final = frozenset({"office", "branch", "base", "outlet"})


def _is_site(name: _Name) -> bool:
    """Return whether a dropped part only says where: an address or a branch.

    "(Church Street)" names a street, not a church (its core ends in a street
    word; "(Car Park)" has no core and stays a kind); "(Elmstead office)" names
    a branch.

    Examples
    --------
    >>> [_is_site(_parse_name(t)) for t in ("Church Street", "Car Park", "Elmstead office")]
    [True, False, True]
    """
    core = name.core.split()
    return bool(core) and (core[-1] in _STREET_WORDS or core[-1] in _SITE_WORDS)


def _leaving(kept: _Name, rest: Sequence[_Name]) -> _Name:
    """Return ``kept`` marked with the words it leaves out that are no operator, site or kind.

    What is left out must be who runs the place (an operator, a brand), a site or
    a kind of place like the kept one's, or else only place words (checked
    against the register's places when pairs are scored).
    """
    words = [
        w
        for other in rest
        if other.core
        and not other.families
        and not _is_operator(other)
        and not _is_site(other)  # an address or a branch: "(Mill Lane)", "(Elmstead office)"
        for w in sorted(other.tokens)
    ]
    return dataclasses.replace(kept, dropped=tuple(words)) if words else kept


def _is_operator(name: _Name) -> bool:
    """Return whether a name says who runs something ("... Trust", a national operator)."""
    words = tuple(name.text.split())
    if any(len(words) > len(s) and words[-len(s) :] == s for s in _OPERATOR_SUFFIXES):
        return True
    return tuple(_words(name.raw)) in _brands()


def _operator_free(name: _Name) -> _Name | None:
    """Drop a trailing operator ("... Village Hall Trustees") if a kind of place remains."""
    words = name.text.split()
    for suffix in _OPERATOR_SUFFIXES:
        if len(words) > len(suffix) and tuple(words[-len(suffix) :]) == suffix:
            shorter = _parse_name(" ".join(words[: -len(suffix)]))
            return shorter if shorter.families and shorter.core else None
    return None


def _joined_facilities(text: str) -> list[_Name]:
    """Each facility of a name joining two kinds ("X Village Hall & Playing Field").

    Both sides of the "and" must name a kind of place; the second takes the
    first's distinctive words ("X Playing Field").
    """
    if not _JOINED.search(text):
        return []
    words = normalise_name(text).split()
    out: list[_Name] = []
    for at in (i for i, w in enumerate(words) if w == "and" and 0 < i < len(words) - 1):
        first = _parse_name(" ".join(words[:at]))
        second = _parse_name(" ".join(words[at + 1 :]))
        if first.families and second.families and first.core and not second.core:
            out += [first, _parse_name(f"{first.core} {second.text}")]
        elif not first.families and second.families and not second.core and at > 1:
            # "X Sports & Community Centre": the kind's last word serves both ("X Sports
            # Centre", "X Community Centre"), if the first then names a kind as well
            shared = _parse_name(f"{' '.join(words[:at])} {words[-1]}")
            if shared.families and shared.core and len(second.text.split()) > 1:
                out += [shared, _parse_name(f"{' '.join(words[: at - 1])} {second.text}")]
    return out


def _dedication_after_kind(name: _Name) -> _Name | None:
    """Read "X Parish Church of St Y" as the dedication "St Y", of the church's kind."""
    words = name.text.split()
    for at in range(1, len(words)):
        if words[at] in _DEDICATIONS and words[at - 1] in {"church", "chapel"}:
            return _dedication_in_brackets(name, " ".join(words[at:]))
    return None


def _parts(text: str) -> list[_Name]:
    """Return the parts of a name (split at spaced dashes, commas, colons) that may stand alone.

    A part that is only a kind of place ("Town Hall") takes the distinctive
    words of a part that names none, its operator dropped ("Elmstead Town
    Council - Town Hall" -> "Elmstead Town Hall"). With two parts, the name
    whose first is only a kind of place is also read the other way round ("The
    Chapel, X School" -> "X School Chapel").
    """
    if not _PARTS.search(text):
        return []
    parts = [p for p in _PARTS.split(text) if p.strip()]
    if len(parts) < 2:
        return []
    parsed = [_parse_name(p) for p in parts]
    # A later part stands for the place only if it says what it is, or if what comes
    # before it is who runs it ("X Trust - Willowbrook"): "White Lion, Elmstead" is a pub.
    out = [
        _leaving(part, parsed[:k] + parsed[k + 1 :])
        for k, part in enumerate(parsed)
        if _may_stand_alone(part, parsed[:k] + parsed[k + 1 :])
        and (
            k == 0
            or part.families
            or part.core.split(" ", 1)[0] in _DEDICATIONS  # "X, St Aidan": a church
            or all(_is_operator(p) for p in parsed[:k])
        )
    ]
    for part in parsed:
        if part.core or not part.families:
            continue
        for other in parsed:
            if other.core and not other.families:
                words = other.text.split()
                for suffix in _OPERATOR_SUFFIXES:
                    if len(words) > len(suffix) and tuple(words[-len(suffix) :]) == suffix:
                        words = words[: -len(suffix)]
                        break
                out.append(_parse_name(f"{' '.join(words)} {part.text}"))
    if len(parts) == 2 and not parsed[0].core:
        out.append(_parse_name(f"{parts[1]} {parts[0]}"))
    return out


def _dedication_after_place(name: _Name) -> list[_Name]:
    """Read "Elmstead Holy Trinity" (a church's village, then its dedication) as "Holy Trinity".

    The words before the dedication are left out (:attr:`_Name.dropped`): the
    reading counts where they are the register's place words, or where the
    dedication is the other record's whole name (see :func:`_kept`).
    """
    words, text = name.core.split(), name.text.split()
    if name.families not in ((), ("worship",)) or len(words) < 3 or text[: len(words)] != words:
        return []
    for at in range(1, min(len(words) - 1, _MAX_PLACE_WORDS) + 1):
        if words[at] in _DEDICATIONS and not set(words[:at]) & _DEDICATIONS:
            kept = _parse_name(" ".join(text[at:]))
            return [dataclasses.replace(kept, dropped=tuple(words[:at]))]
    return []


def _dedication_in_brackets(outside: _Name, inside: str) -> _Name | None:
    """Read "Brockley Church (St Mary and St John)" as the dedication, of the outside kind."""
    named = _parse_name(inside)
    first = named.core.split(" ", 1)[0]
    if first not in _DEDICATIONS or named.families or not outside.families:
        return None
    return dataclasses.replace(named, kinds=outside.kinds, families=outside.families)


@functools.lru_cache(maxsize=65_536)
def _variants(
    name: str, alt_names: str = "", place: str = "", street: str = ""
) -> tuple[_Name, ...]:
    """Other ways to read a name, each to compare as well as the name itself.

    The name without the parts that say who runs it or where it is: a bracket
    ("Elmstead Town Hall (Elmstead Town Council)") or one side of a spaced
    dash ("Northfield Housing Trust - Elm Lodge Care Home"), when what is dropped
    names no other kind of place; a trailing operator ("... Village Hall
    Trust"); each facility of two joined with "and"; a church's dedication in
    brackets; the record's alternative names (``alt_names``, joined by ";");
    a name that is only a kind of place ("Reading Room") read with its
    address's village or town (``place``: "Brockley Reading Room"), and a place
    of worship's name that begins with its address's street (``street``) read with
    the place instead.

    Examples
    --------
    >>> [v.text for v in _variants("Elmstead Village Hall (Elmstead Parish Meeting)")]
    ['elmstead village hall']
    >>> [v.text for v in _variants("Northfield Housing Trust - Elm Lodge Care Home")]
    ['elm lodge care home']
    >>> [v.text for v in _variants("Elmstead Library - Car Park")]
    []
    >>> [v.text for v in _variants("Brockley Village Hall & Playing Field")]
    ['brockley village hall', 'brockley playing field']
    >>> [v.text for v in _variants("Brockley Sports & Community Centre")]
    ['brockley leisure centre', 'brockley community centre']
    >>> [v.text for v in _variants("Reading Room", place="brockley")]
    ['brockley reading room']
    """
    primary = _parse_name(name)
    out: list[_Name] = []
    plain = _EPITHET.sub(r"\1 \2", name)
    if plain != name:  # "St John the Evangelist": read as "St John" too, with its variants
        out += [_parse_name(plain), *_variants(plain, alt_names, place, street)]
    bare = _NEAR.sub("", name) or name
    if "(" in bare:
        outside = _parse_name(" ".join(_BRACKETS.sub(" ", bare).split()))
        inside = [_parse_name(t) for t in _BRACKETS.findall(bare)]
        if _may_stand_alone(outside, inside):
            out.append(_leaving(outside, inside))
        # "St Y's Church, X (X Church)": the bracket names the same kind of place
        out += [i for i in inside if i.families and _may_stand_alone(i, [outside])]
        for text in _BRACKETS.findall(bare):
            dedication = _dedication_in_brackets(outside, text)
            if dedication is not None:
                out.append(dedication)
    out += _parts(_BRACKETS.sub(" ", bare))
    out += _joined_facilities(_BRACKETS.sub(" ", bare))
    for candidate in (primary, *out):
        for reread in (_operator_free, _dedication_after_kind):
            shorter = reread(candidate)
            if shorter is not None:
                out.append(shorter)
    out += [_parse_name(alt) for alt in _ALT_SPLIT.split(alt_names) if alt.strip()]
    out += _dedication_after_place(primary)
    if place and not primary.core and primary.families:
        out.append(_parse_name(f"{place} {primary.text}"))
    if (
        place
        and street
        and primary.families == ("worship",)
        and primary.text.startswith(f"{street} ")
    ):
        # "Mill Lane Methodist Church" at "Mill Lane, Elmstead": a congregation known by its
        # street (a practice's "Mill Lane Surgery" is named to tell it from the town's other)
        out.append(_parse_name(f"{place} {primary.text.removeprefix(street)}"))
    seen = {primary.text}
    unique = []
    for variant in out:
        if variant.text and variant.text not in seen:
            seen.add(variant.text)
            unique.append(variant)
    return tuple(unique)


# Category -> family of places, used for a record whose name names no kind
# ("St Nicholas, Cottesmore" is a church because it is a faith_community).
_CATEGORY_FAMILIES: Final[dict[str, str]] = {
    "library": "library",
    "faith_community": "worship",
    "community_centre": "venue",
    "gp_health": "gp",
    "pharmacy": "pharmacy",
    "dentist": "dental",
    "school": "education",
    "sport_fitness": "sport",
    "social_care": "care",
    "social_facility": "care",
    "green_space": "outdoors",
    "food_support": "food",
    "arts_culture": "arts",
}


# The kind a category stands for: a record of that category is one of these.
_MAIN_KINDS: Final = frozenset(
    {"library", "church", "pharmacy", "dentist", "surgery", "health_centre", "hospital",
     "care_home", "sheltered_housing", "community_centre", "village_hall", "school", "prison",
     "museum", "club", "sports_centre", "food_bank", "job_centre"}
)  # fmt: skip
# Kinds of place a village or town has one or few of: two records each the only one of
# such a kind near the other are never silently kept apart.
_SPECIFIC_KINDS: Final = (_MAIN_KINDS - {"club", "community_centre", "village_hall"}) | {"hospice"}
_FAMILY_CATEGORY: Final[dict[str, str]] = {
    "library": "library",
    "worship": "faith_community",
    "venue": "community_centre",
    "gp": "gp_health",
    "hospital": "gp_health",
    "clinic": "gp_health",
    "pharmacy": "pharmacy",
    "dental": "dentist",
    "education": "school",
    "sport": "sport_fitness",
    "care": "social_care",
    "outdoors": "green_space",
    "food": "food_support",
    "arts": "arts_culture",
    "civic": "council_services",
    "employment": "employment_support",
    "justice": "justice",
    "youth": "youth_services",
}
_PLACE_FAMILIES: Final = frozenset({"venue", "civic", "library", "education", "gp", "worship"})
_STREET_WORDS: Final = frozenset(
    {"street", "road", "lane", "close", "way", "drive", "avenue", "place", "green", "hill",
     "square", "row", "walk", "terrace", "crescent", "gardens", "park", "court", "grange"}
)  # fmt: skip


_MAX_PLACE_WORDS: Final = 3
_WIDE_PLACE_M: Final = 5_000.0  # a place word used this far from its middle: a county
_WIDE_MIN_NAMES: Final = 5
_WIDE_MIN_KINDS: Final = 3


_NOT_PLACES: Final = _STREET_WORDS | _WEAK_WORDS | _KIND_WORDS | _DEDICATIONS


def _place_part(text: str) -> list[str]:
    """Return the words of ``text`` if they can name a village or town, else ``[]``.

    One to three words, none of them a street word, a number, a weak word, a kind
    of place or a dedication ("Main Street", "or other faith group", "Church Hall"
    and "All Saints" name none).
    """
    words = normalise_name(text).split()
    if not words or len(words) > _MAX_PLACE_WORDS:
        return []
    if any(w.isdigit() or w in _NOT_PLACES for w in words):
        return []
    return words


def _place_words(name: _Name, address: str) -> tuple[frozenset[str], frozenset[str]]:
    """Words that name the village or town of a record, read from its own name and address.

    Returns ``(sure, maybe)``: sure are the last comma part of a name ("St
    Nicholas, Cottesmore") and of an address ("Main Street, Cottesmore", or an
    address that is only "Cottesmore"); maybe is a name's distinctive word
    before a kind of place ("Exton Village Hall"), a place only if other kinds
    of place use it too (see :func:`_register_places`).
    """
    sure: list[str] = []
    raw = _NEAR.sub("", name.raw)
    if "," in raw:
        sure += _place_part(raw.rsplit(",", 1)[1])
    if address.strip():
        sure += _place_part(address.rsplit(",", 1)[-1])
    maybe: set[str] = set()
    if set(name.families) & _PLACE_FAMILIES and 1 <= len(name.tokens) <= 2:
        maybe.update(name.tokens)  # "Exton Village Hall", not "Boots Pharmacy"
    keep = {w for w in (*sure, *maybe) if len(w) > 2 and w not in _WEAK_WORDS | _KIND_WORDS}
    return frozenset(keep & set(sure)), frozenset(keep - set(sure) - _DENOMINATIONS)


@dataclass(frozen=True, slots=True)
class _Places:
    """The village, town and county words of the tables compared."""

    words: frozenset[str]
    wide: frozenset[str]  # used across a county ("Rutland"): holds the towns


def _register_places(left: _Records, right: _Records) -> _Places:
    """Village and town words of both tables, and which of them name a whole county.

    A word before a kind of place ("Methodist Church", "Boots Pharmacy") counts
    only if it names two kinds of place (a village hall and a church), so a
    brand or a denomination is not taken for a village. A place word whose
    word that begins the names of at least five records of three kinds of place
    lying more than :data:`_WIDE_PLACE_M` from their middle names an area
    holding other places ("Rutland": "Oakham" is in it).
    """
    families: dict[str, set[str]] = {}
    sure: set[str] = set()
    tables = (left, right) if right is not left else (left,)
    for records in tables:
        for name, (certain, maybe) in zip(records.parsed, records.places, strict=True):
            sure.update(certain)
            for word in maybe:
                families.setdefault(word, set()).update(name.families)
    words = sure | {w for w, seen in families.items() if len(seen) >= 2}
    # The first word of many names of many kinds, far apart: "Rutland County Library",
    # "Rutland Sailing Club", "Rutland Memorial Hospital" (not "Saint", not "Boots").
    where: dict[str, list[tuple[float, float]]] = {}
    kinds: dict[str, set[str]] = {}
    for records in tables:
        for k, name in enumerate(records.parsed):
            first = name.core.split(" ", 1)[0]
            if first and first not in _DEDICATIONS and first not in _QUALIFIERS:
                where.setdefault(first, []).append((records.lon[k], records.lat[k]))
                kinds.setdefault(first, set()).update(records.kinds[k].families)
    wide = set()
    for word, points in where.items():
        if len(points) < _WIDE_MIN_NAMES or len(kinds[word]) < _WIDE_MIN_KINDS:
            continue
        lon, lat = np.asarray(points).T
        east = (lon - np.median(lon)) * 111_320 * np.cos(np.radians(np.median(lat)))
        north = (lat - np.median(lat)) * 110_540
        if float(np.max(np.hypot(east, north))) > _WIDE_PLACE_M:
            wide.add(word)
    return _Places(frozenset(words - wide), frozenset(wide))


@dataclass(frozen=True, slots=True)
class _Kind:
    """What kind of place a record is, from its name or else its categories."""

    kinds: tuple[str, ...]
    families: tuple[str, ...]
    inferred: bool  # from the categories, not the name


def _record_kind(name: _Name, categories: frozenset[str]) -> _Kind:
    if name.families:
        return _Kind(name.kinds, name.families, inferred=False)
    families = {_CATEGORY_FAMILIES[c] for c in categories if c in _CATEGORY_FAMILIES}
    if len(families) == 1:
        return _Kind((), tuple(families), inferred=True)
    # Neither the name nor the categories say: unknown, which contradicts nothing.
    return _Kind((), (), inferred=not categories)


def _kind_cap(a: _Kind, b: _Kind) -> float:
    """Return the most alike two names of these kinds of place can be."""
    if not a.families or not b.families:
        if not (a.families or b.families):
            return 100.0
        known, unknown = (a, b) if a.families else (b, a)
        # "The Lodge Trust" (no kind, no category) against a care home known by its
        # category: nothing contradicts. Against a name that says what it is, review.
        return 100.0 if (unknown.inferred and known.inferred) else _MISSING_KIND_CAP
    if a.families != b.families:
        return _KIND_CONFLICT_CAP
    if a.inferred != b.inferred:  # a church by its category and "... Church" by name
        return 100.0 if set(a.kinds or b.kinds) <= _MAIN_KINDS else _MISSING_KIND_CAP
    if a.kinds == b.kinds:
        return 100.0
    if a.families == ("worship",) and not set(a.kinds + b.kinds) <= _CHRISTIAN_KINDS:
        return _KIND_CONFLICT_CAP  # a meeting house, a mosque or a temple is not a chapel
    return _RELATED_KIND_CAP


def _conflict_cap(a: _Name, b: _Name) -> float:
    if a.numbers and b.numbers and a.numbers != b.numbers:
        return _KIND_CONFLICT_CAP
    if a.qualifiers and b.qualifiers and a.qualifiers != b.qualifiers:
        return _KIND_CONFLICT_CAP
    return 100.0


def _token_weights(names: Iterable[_Name]) -> dict[str, float]:
    """Inverse document frequency of each core word: town names weigh little."""
    counts: dict[str, int] = {}
    total = 0
    for name in names:
        total += 1
        for token in name.tokens:
            counts[token] = counts.get(token, 0) + 1
    return {token: math.log1p(total / count) for token, count in counts.items()}


def _coverage(mine: frozenset[str], theirs: frozenset[str], weights: dict[str, float]) -> float:
    """Share of the weight of ``mine`` found (exactly or nearly) in ``theirs``."""
    total = found = 0.0
    default = max(weights.values(), default=1.0)
    for token in mine:
        weight = weights.get(token, default)
        total += weight
        if token in theirs:
            found += weight
        else:
            best = process.extractOne(token, theirs, scorer=fuzz.ratio, score_cutoff=70)
            if best is not None:
                found += weight * float(best[1]) / 100
    return found / total if total else 0.0


_INITIALS: Final = 95.0  # initials against the first names they stand for
_EXTRA_WORD: Final = 88.0  # one name is the other with one more word: review, never merge


def _initials_match(mine: list[str], theirs: list[str]) -> bool:
    """Return whether two personal names differ only by initials for first names.

    The same surname (last word) and, word by word before it, the same word or
    an initial of it; at least one initial, so "John" and "Jane" never meet.

    Examples
    --------
    >>> _initials_match(["j", "gwyther"], ["john", "gwyther"])
    True
    >>> _initials_match(["jane", "gwyther"], ["john", "gwyther"])
    False
    """
    if len(mine) != len(theirs) or len(mine) < 2 or mine[-1] != theirs[-1] or len(mine[-1]) < 3:
        return False
    initials = 0
    for x, y in zip(mine[:-1], theirs[:-1], strict=True):
        if x == y:
            continue
        short, full = sorted((x, y), key=len)
        if len(short) != 1 or not full.startswith(short):
            return False
        initials += 1
    return initials > 0


def _one_word_more(mine: list[str], theirs: list[str]) -> bool:
    """Return whether one name is the other with one word more (not a kind, number or qualifier).

    Examples
    --------
    >>> _one_word_more("empingham village hall".split(), "empingham village audit hall".split())
    True
    >>> _one_word_more("oakham library".split(), "oakham library cafe".split())
    False
    """
    short, long_ = sorted((mine, theirs), key=len)
    if len(long_) != len(short) + 1 or len(short) < 2:
        return False
    at = next((i for i, (x, y) in enumerate(zip(short, long_, strict=False)) if x != y), len(short))
    extra = long_[at]
    if extra in _KIND_WORDS or extra in _QUALIFIERS or extra.isdigit() or extra in _DENOMINATIONS:
        return False
    return long_[:at] + long_[at + 1 :] == short


def _name_scores(
    pairs_a: Sequence[_Name], pairs_b: Sequence[_Name], weights: dict[str, float]
) -> npt.NDArray[np.float64]:
    """Return the similarity (0-100) of each name pair, before the kind-of-place cap.

    The distinctive words ("core") are compared two ways and the better kept:
    rapidfuzz's ``token_sort_ratio`` (typos, word order) and the weighted share
    of each name's words found in the other (missing words cost by how rare
    they are, so a shared town name alone is weak evidence).
    """
    if not pairs_a:
        return np.zeros(0)
    core_a = [n.core for n in pairs_a]
    core_b = [n.core for n in pairs_b]
    by_sort = process.cpdist(core_a, core_b, scorer=fuzz.token_sort_ratio, dtype=np.float64)
    by_set = process.cpdist(core_a, core_b, scorer=fuzz.token_set_ratio, dtype=np.float64)
    empty_a = np.array([not n.core for n in pairs_a])
    empty_b = np.array([not n.core for n in pairs_b])
    core = by_sort.copy()
    # Weighted coverage only where it can matter: some shared words, not already alike.
    for k in np.flatnonzero((by_set >= 70) & (by_sort < 95) & ~empty_a & ~empty_b):
        a, b = pairs_a[int(k)], pairs_b[int(k)]
        both = _coverage(a.tokens, b.tokens, weights) * _coverage(b.tokens, a.tokens, weights)
        core[k] = max(core[k], 100 * math.sqrt(both))
    one_empty = np.flatnonzero(empty_a != empty_b)
    for k in one_empty:  # "Medical Practice" against "Oakham Medical Practice"
        text_a, text_b = pairs_a[int(k)].text, pairs_b[int(k)].text
        core[k] = min(_ONE_SIDE_ONLY_KIND, fuzz.token_sort_ratio(text_a, text_b))
    for k in np.flatnonzero(empty_a & empty_b):
        a, b = pairs_a[int(k)], pairs_b[int(k)]
        core[k] = 100.0 if (a.kinds or b.kinds) else fuzz.token_sort_ratio(a.text, b.text)
    for n in np.flatnonzero(core < _INITIALS).tolist():
        first, second = pairs_a[n], pairs_b[n]
        if _initials_match(first.core.split(), second.core.split()):
            core[n] = _INITIALS  # "J A Gwyther Dental Surgery", "John A. Gwyther"
        elif core[n] < _EXTRA_WORD and _one_word_more(first.text.split(), second.text.split()):
            core[n] = _EXTRA_WORD  # "Empingham Village Hall", "... Village Audit Hall"
    caps = np.array([_conflict_cap(a, b) for a, b in zip(pairs_a, pairs_b, strict=True)])
    return np.asarray(np.minimum(core, caps), dtype=np.float64)


def name_similarity(a: str, b: str) -> float:
    """Return how alike two asset names are (0-100), as :func:`find_duplicates` sees them.

    Here every word weighs the same; :func:`find_duplicates` weighs words by
    how rare they are among the names it compares, and reads the kind of
    place from a record's categories when its name names none. Each name's
    variants count too (the name without a bracketed operator or a site, one
    side of a dash, each of two joined facilities: see :func:`_variants`).

    Parameters
    ----------
    a, b
        Two names, in any case and punctuation.

    Returns
    -------
    float
        100 for names that read the same; at most 40 for names of different
        kinds of place, at most 88 for related kinds.

    Examples
    --------
    >>> name_similarity("St. Peter & St. Paul", "Saint Peter and Saint Paul")
    100.0
    >>> name_similarity("Oakham Library", "Oakham Library Car Park")
    40.0
    >>> name_similarity("Langham Village Hall", "Langham Memorial Hall")
    88.0
    >>> round(name_similarity("Exton Village Hall", "Egleton Village Hall"))
    67
    >>> name_similarity("Brockley Reading Room (Brockley Parish Council)", "Brockley Reading Room")
    100.0
    """
    best = 0.0
    for name_a in (_parse_name(a), *_variants(a)):
        for name_b in (_parse_name(b), *_variants(b)):
            score = float(_name_scores([name_a], [name_b], {})[0])
            none = frozenset[str]()
            cap = _kind_cap(_record_kind(name_a, none), _record_kind(name_b, none))
            best = max(best, min(score, cap))
    return best


# ---------------------------------------------------------------- other fields

_PHONE_SPLIT: Final = re.compile(r"[;,/]|\bor\b")
_GENERIC_HOSTS: Final = frozenset(
    {
        "facebook.com",
        "fb.com",
        "twitter.com",
        "x.com",
        "instagram.com",
        "linkedin.com",
        "google.com",
        "sites.google.com",
        "wixsite.com",
        "wordpress.com",
        "blogspot.com",
        "linktr.ee",
    }
)
_GENERIC_SITES: Final = frozenset({"gov.uk", "nhs.uk"})  # pages on them belong to many
_UK_SECOND_LEVEL: Final = frozenset(
    {"co", "org", "ac", "gov", "nhs", "net", "sch", "ltd", "plc", "me", "police"}
)


def _postcode_key(text: object) -> str | None:
    """Return a UK postcode as ``"LE15 6HW"``, other text upper-cased without spaces, or None."""
    if _blank(text):
        return None
    try:
        return normalise_postcode(str(text))
    except PostcodeError:
        return re.sub(r"[^A-Z0-9]", "", str(text).upper()) or None


def normalise_phone(text: object) -> frozenset[str]:
    """Return the UK phone numbers in ``text`` as national digit strings.

    Parameters
    ----------
    text
        One or more numbers in any format, separated by ``;``, ``,``, ``/`` or "or".

    Returns
    -------
    frozenset of str
        Numbers like ``"01572722577"``; text that is not a phone number is dropped.

    Examples
    --------
    >>> sorted(normalise_phone("+44 (0)1572 722577 / 01572-758 000"))
    ['01572722577', '01572758000']
    """
    if _blank(text):
        return frozenset()
    numbers = set()
    for part in _PHONE_SPLIT.split(str(text)):
        digits = re.sub(r"\D", "", part.replace("(0)", ""))
        if digits.startswith("0044"):
            digits = "0" + digits[4:]
        elif digits.startswith("44") and len(digits) == 12:
            digits = "0" + digits[2:]
        if digits.startswith("0") and 10 <= len(digits) <= 11:
            numbers.add(digits)
    return frozenset(numbers)


def _blank(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _emails(text: object) -> frozenset[str]:
    if _blank(text):
        return frozenset()
    parts = re.split(r"[;,\s]+", str(text).strip().lower())
    return frozenset(p.removeprefix("mailto:") for p in parts if "@" in p)


def _categories(value: object) -> frozenset[str]:
    if isinstance(value, tuple | list | set | frozenset):
        return frozenset(str(c).strip() for c in value if str(c).strip())
    if _blank(value):
        return frozenset()
    return frozenset(c.strip() for c in re.split(r"[;,]", str(value)) if c.strip())


def _website(text: object) -> tuple[str, str] | None:
    """Return ``(host + path, registrable domain)`` of a URL, or None."""
    if _blank(text):
        return None
    url = str(text).strip().lower()
    url = re.sub(r"^[a-z]+://", "", url)
    url = url.split("?")[0].split("#")[0].rstrip("/")
    url = url.removeprefix("www.")
    host = url.split("/")[0]
    if not host or "." not in host:
        return None
    labels = host.split(".")
    size = 3 if len(labels) >= 3 and labels[-1] == "uk" and labels[-2] in _UK_SECOND_LEVEL else 2
    domain = ".".join(labels[-size:])
    shared = host in _GENERIC_SITES or any(
        host == generic or host.endswith("." + generic) for generic in _GENERIC_HOSTS
    )
    return url, "" if shared else domain  # a shared host says nothing on its own


# Categories that may describe the same asset from different angles.
# "charity_community_group" and "volunteering" are compatible with anything.
_RELATED_CATEGORIES: Final = (
    frozenset(
        {
            "community_centre",
            "faith_community",
            "arts_culture",
            "youth_services",
            "sport_fitness",
            "food_support",
            "peer_mentoring",
            "family_support",
            "womens_support",
            "green_space",
        }
    ),
    frozenset(
        {
            "gp_health",
            "pharmacy",
            "dentist",
            "mental_health_support",
            "drug_alcohol_support",
            "social_care",
            "social_facility",
        }
    ),
    frozenset(
        {
            "money_advice",
            "housing_support",
            "employment_support",
            "council_services",
            "justice",
            "learning_skills",
            "peer_mentoring",
            "womens_support",
            "family_support",
            "drug_alcohol_support",
            "mental_health_support",
        }
    ),
    frozenset({"library", "learning_skills", "school", "youth_services", "council_services"}),
)
_ANY_CATEGORY: Final = frozenset({"charity_community_group", "volunteering"})


def _category_relation(a: frozenset[str], b: frozenset[str]) -> int:
    """Return 1 for a shared category, 0 for related or unknown, -1 for unrelated."""
    if not a or not b:
        return 0
    if a & b:
        return 1
    if (a | b) & _ANY_CATEGORY:
        return 0
    for group in _RELATED_CATEGORIES:
        if a & group and b & group:
            return 0
    return -1


# ---------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class _Records:
    """An asset table reduced to what matching needs, row by row."""

    ids: list[str]
    names: list[str]
    parsed: list[_Name]
    kinds: list[_Kind]
    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    postcodes: list[str | None]
    phones: list[frozenset[str]]
    emails: list[frozenset[str]]
    websites: list[tuple[str, str] | None]
    categories: list[frozenset[str]]
    addresses: list[str] = dataclasses.field(default_factory=list)  # normalised, padded
    categories_by_name: list[bool] = dataclasses.field(default_factory=list)
    unnamed: npt.NDArray[np.bool_] = dataclasses.field(default_factory=lambda: np.zeros(0, bool))
    places: list[tuple[frozenset[str], frozenset[str]]] = dataclasses.field(default_factory=list)
    variants: list[tuple[_Name, ...]] = dataclasses.field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.ids)


def _column(frame: pd.DataFrame, column: str) -> list[Any]:
    if column not in frame.columns:
        return [None] * len(frame)
    return list(frame[column])


@functools.lru_cache(maxsize=1)
def _generic_names() -> frozenset[str]:
    """Names an unnamed feature is given: a category's label, plain or "(unnamed)"."""
    labels = [
        normalise_name(text)
        for category in load_taxonomy().categories.values()
        for text in (category.label, category.plain_label)
    ]
    return frozenset(labels + [f"{label} unnamed" for label in labels])


def _address_place(address: object) -> str:
    """Return the village or town an address ends with ("Mill Lane, Brockley"), or ``""``."""
    if _blank(address):
        return ""
    return " ".join(_place_part(str(address).rsplit(",", 1)[-1]))


def _address_street(address: object) -> str:
    """Return the first part of an address of two parts or more ("High Street"), normalised."""
    if _blank(address) or "," not in str(address):
        return ""
    return " ".join(_words(str(address).split(",", 1)[0]))


def _records_from_frame(frame: gpd.GeoDataFrame, label: str) -> _Records:
    if not isinstance(frame, gpd.GeoDataFrame):
        msg = f"`{label}` must be a GeoDataFrame of assets, got {type(frame).__name__}."
        raise SchemaError(msg)
    if frame.crs is None or frame.crs != gpd.GeoSeries([], crs=STORAGE_CRS).crs:
        got = "none" if frame.crs is None else frame.crs.to_string()
        msg = f"`{label}`: CRS must be '{STORAGE_CRS}', got '{got}'; call .to_crs() first."
        raise SchemaError(msg)
    missing = [c for c in ("id", "name") if c not in frame.columns]
    if missing:
        msg = f"`{label}` has no {' or '.join(map(repr, missing))} column."
        raise SchemaError(msg)
    ids: list[str] = []
    for position, value in enumerate(frame["id"]):
        if _blank(value):
            msg = f"`{label}` row {position + 1}: `id` is missing (every record needs an id)."
            raise SchemaError(msg)
        ids.append(str(value))
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        dup = next(i for i in ids if i in seen or seen.add(i))  # type: ignore[func-returns-value]
        msg = f"`{label}`: id {dup!r} appears more than once."
        raise SchemaError(msg)
    names: list[str] = []
    for asset_id, value in zip(ids, frame["name"], strict=True):
        if _blank(value):
            msg = f"`{label}` asset {asset_id!r}: `name` is missing."
            raise SchemaError(msg)
        names.append(str(value))
    parsed = [_parse_name(n) for n in names]
    categories = [_categories(c) for c in _column(frame, "categories")]
    geometry = frame.geometry
    bad = geometry.isna() | geometry.is_empty | (geometry.geom_type != "Point")
    if bad.any():
        where = ids[int(np.flatnonzero(bad.to_numpy())[0])]
        msg = f"`{label}` asset {where!r}: geometry must be a point with coordinates."
        raise SchemaError(msg)
    addresses = [
        f" {normalise_name(str(v))} " if not _blank(v) else "" for v in _column(frame, "address")
    ]
    # A record whose categories are unknown takes them from the kind its name names
    # ("Uppingham Library" is a library), so category evidence can back the names.
    named_only = [not c and len(n.families) == 1 for c, n in zip(categories, parsed, strict=True)]
    categories = [
        frozenset(_FAMILY_CATEGORY[f] for f in n.families if f in _FAMILY_CATEGORY)
        if by_name
        else c
        for c, n, by_name in zip(categories, parsed, named_only, strict=True)
    ]
    variants = [
        _variants(
            name, "" if _blank(alt) else str(alt), _address_place(address), _address_street(address)
        )
        for name, alt, address in zip(
            names, _column(frame, "alt_name"), _column(frame, "address"), strict=True
        )
    ]
    return _Records(
        variants=variants,
        addresses=addresses,
        categories_by_name=named_only,
        unnamed=np.array([normalise_name(n) in _generic_names() for n in names], dtype=bool),
        places=[
            _place_words(name, "" if _blank(address) else str(address))
            for name, address in zip(parsed, _column(frame, "address"), strict=True)
        ],
        ids=ids,
        names=names,
        parsed=parsed,
        kinds=[_record_kind(n, c) for n, c in zip(parsed, categories, strict=True)],
        lon=geometry.x.to_numpy(dtype=np.float64),
        lat=geometry.y.to_numpy(dtype=np.float64),
        postcodes=[_postcode_key(p) for p in _column(frame, "postcode")],
        phones=[normalise_phone(p) for p in _column(frame, "phone")],
        emails=[_emails(e) for e in _column(frame, "email")],
        websites=[_website(w) for w in _column(frame, "website")],
        categories=categories,
    )


def _project(
    left: _Records, right: _Records
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    lon = np.concatenate([left.lon, right.lon])
    lat = np.concatenate([left.lat, right.lat])
    crs = metric_crs(lon, lat)
    points = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=STORAGE_CRS).to_crs(crs)
    xy = np.column_stack([points.x.to_numpy(), points.y.to_numpy()])
    return xy[: left.size], xy[left.size :]


# ---------------------------------------------------------------- candidate pairs


def _postcode_pairs(
    left: _Records, right: _Records, *, same_table: bool
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    groups_left: dict[str, list[int]] = {}
    for i, code in enumerate(left.postcodes):
        if code:
            groups_left.setdefault(code, []).append(i)
    groups_right = groups_left
    if not same_table:
        groups_right = {}
        for j, code in enumerate(right.postcodes):
            if code:
                groups_right.setdefault(code, []).append(j)
    first: list[npt.NDArray[np.int64]] = []
    second: list[npt.NDArray[np.int64]] = []
    for code, members in groups_left.items():
        others = groups_right.get(code)
        if not others:
            continue
        a, b = np.meshgrid(np.asarray(members), np.asarray(others), indexing="ij")
        a, b = a.ravel(), b.ravel()
        keep = a < b if same_table else np.ones(a.size, dtype=bool)
        first.append(a[keep])
        second.append(b[keep])
    if not first:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(first).astype(np.int64), np.concatenate(second).astype(np.int64)


_SAME_NAME_BLOCK_M: Final = 500.0  # one name this near is compared, beyond the radius


def _same_name_pairs(
    keys_left: list[str], keys_right: list[str], xy: tuple[npt.NDArray[np.float64], ...]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Return index pairs of one name (as compared) within :data:`_SAME_NAME_BLOCK_M`.

    A club placed 330 m from the same club's record is compared (and queued), not
    left out because the blocking radius is smaller. ``keys_right is keys_left``
    for a table against itself (each pair once).
    """
    same_table = keys_right is keys_left
    seen: set[str] = set()
    shared = (
        {k for k in keys_left if k in seen or seen.add(k)}  # type: ignore[func-returns-value]
        if same_table
        else set(keys_left) & set(keys_right)
    )
    rows_left = np.array([i for i, k in enumerate(keys_left) if k in shared], dtype=np.int64)
    rows_right = np.array([j for j, k in enumerate(keys_right) if k in shared], dtype=np.int64)
    if not rows_left.size or not rows_right.size:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    found = cKDTree(xy[0][rows_left]).sparse_distance_matrix(
        cKDTree(xy[-1][rows_right]), _SAME_NAME_BLOCK_M, output_type="ndarray"
    )
    a, b = rows_left[found["i"]], rows_right[found["j"]]
    keep = np.array([keys_left[i] == keys_right[j] for i, j in zip(a, b, strict=True)], dtype=bool)
    if same_table:
        keep &= a < b
    return a[keep], b[keep]


def _candidate_pairs(
    left: _Records,
    right: _Records,
    xy_left: npt.NDArray[np.float64],
    xy_right: npt.NDArray[np.float64],
    *,
    same_table: bool,
    max_distance_m: float,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Return index pairs within ``max_distance_m`` or sharing a postcode, each once."""
    tree_left = cKDTree(xy_left)
    if same_table:
        near = tree_left.query_pairs(max_distance_m, output_type="ndarray").astype(np.int64)
        near_a, near_b = near[:, 0], near[:, 1]
    else:
        found = tree_left.sparse_distance_matrix(
            cKDTree(xy_right), max_distance_m, output_type="ndarray"
        )
        near_a = found["i"].astype(np.int64)
        near_b = found["j"].astype(np.int64)
    code_a, code_b = _postcode_pairs(left, right, same_table=same_table)
    keys_left = [n.text for n in left.parsed]
    keys_right = keys_left if same_table else [n.text for n in right.parsed]
    name_a, name_b = _same_name_pairs(keys_left, keys_right, (xy_left, xy_right))
    a = np.concatenate([near_a, code_a, name_a])
    b = np.concatenate([near_b, code_b, name_b])
    key = np.unique(a * right.size + b)
    a, b = key // right.size, key % right.size
    if not same_table:
        ids_left = np.asarray(left.ids, dtype=object)
        ids_right = np.asarray(right.ids, dtype=object)
        distinct_ids = ids_left[a] != ids_right[b]  # a record never duplicates itself
        a, b = a[distinct_ids], b[distinct_ids]
    return a, b


# ---------------------------------------------------------------- scoring


@dataclass(frozen=True, slots=True)
class _Evidence:
    """Per-pair evidence, one array entry per candidate pair."""

    name: npt.NDArray[np.float64]
    distance_m: npt.NDArray[np.float64]
    phone: npt.NDArray[np.int8]  # 1 same, -1 both known and different, 0 unknown
    email: npt.NDArray[np.int8]
    website: npt.NDArray[np.int8]  # 2 same page, 1 same domain, -1 unrelated
    category: npt.NDArray[np.int8]
    postcode: npt.NDArray[np.int8]  # 1 same, -1 other district, -2 other sector
    address: npt.NDArray[np.int8]  # 1: one's address names the other (same kind of place)
    parish: npt.NDArray[np.bool_]  # a place's "Parish Church" and a church by its dedication
    via: list[str] = dataclasses.field(default_factory=list)  # the variant that scored best
    # one name the other's but for a related kind ("X Parish Hall", "X Village Hall"), or
    # only a kind ("Chapel") beside a named one of that kind ("X School Chapel")
    kin: npt.NDArray[np.bool_] = dataclasses.field(default_factory=lambda: np.zeros(0, bool))
    # each is the other's only candidate of its family of places within 100 m
    only: npt.NDArray[np.bool_] = dataclasses.field(default_factory=lambda: np.zeros(0, bool))
    # queued as never to be kept apart: 1 names share a word, 2 each the only one of its kind
    alone: npt.NDArray[np.int8] = dataclasses.field(default_factory=lambda: np.zeros(0, np.int8))


def _set_relation(left: list[frozenset[str]], right: list[frozenset[str]], a: Any, b: Any) -> Any:
    out = np.zeros(len(a), dtype=np.int8)
    known_left = np.array([bool(x) for x in left])
    known_right = np.array([bool(x) for x in right])
    for k in np.flatnonzero(known_left[a] & known_right[b]):
        out[k] = 1 if left[a[k]] & right[b[k]] else -1
    return out


def _website_relation(left: _Records, right: _Records, a: Any, b: Any) -> Any:
    out = np.zeros(len(a), dtype=np.int8)
    known_left = np.array([w is not None for w in left.websites])
    known_right = np.array([w is not None for w in right.websites])
    for k in np.flatnonzero(known_left[a] & known_right[b]):
        site_a, site_b = left.websites[a[k]], right.websites[b[k]]
        if site_a is None or site_b is None:  # pragma: no cover - filtered above
            continue
        if site_a[0] == site_b[0]:
            out[k] = 2
        elif site_a[1] and site_a[1] == site_b[1]:
            out[k] = 1
        elif site_a[1] and site_b[1]:
            out[k] = -1
    return out


def _postcode_relation(left: _Records, right: _Records, a: Any, b: Any) -> Any:
    out = np.zeros(len(a), dtype=np.int8)
    for k in range(len(a)):
        code_a, code_b = left.postcodes[a[k]], right.postcodes[b[k]]
        if not code_a or not code_b:
            continue
        if code_a == code_b:
            out[k] = 1
        elif " " in code_a and " " in code_b:
            out_a, in_a = code_a.split(" ")
            out_b, in_b = code_b.split(" ")
            if out_a != out_b:
                out[k] = -1
            elif in_a[0] != in_b[0]:
                out[k] = -2
    return out


def _distinct_pairs(
    left: Sequence[_T], right: Sequence[_T], a: npt.NDArray[np.int64], b: npt.NDArray[np.int64]
) -> tuple[list[_T], list[_T], list[_T], npt.NDArray[np.intp]]:
    """Return the distinct values, the distinct pairs (as two lists) and each pair's index."""
    code: dict[_T, int] = {}
    for value in (*left, *right):
        code.setdefault(value, len(code))
    code_left = np.array([code[v] for v in left], dtype=np.int64)
    code_right = np.array([code[v] for v in right], dtype=np.int64)
    keys, inverse = np.unique(code_left[a] * len(code) + code_right[b], return_inverse=True)
    values = list(code)
    firsts = [values[k] for k in keys // len(code)]
    seconds = [values[k] for k in keys % len(code)]
    return values, firsts, seconds, inverse


_ADDRESS_NAME: Final = 95.0  # names as alike as this when one's address names the other


def _without_places(
    records: _Records, places: frozenset[str], ordered: tuple[str, ...]
) -> list[tuple[str, frozenset[str]]]:
    """Per record: its core words without place words (sorted, joined), and its place words.

    An abbreviated place word ("upp") counts as the place it begins; a word with
    a meaning of its own in names ("all" in "All Angels", a kind or street word)
    abbreviates no place.
    """

    @functools.cache
    def is_place(token: str) -> bool:
        if token in places:
            return True
        if len(token) < 3 or token in _NOT_PLACES:
            return False
        at = bisect.bisect_left(ordered, token)
        return at < len(ordered) and ordered[at].startswith(token)

    def place_of(token: str) -> str:
        if token in places:
            return token
        at = bisect.bisect_left(ordered, token)
        return ordered[at]  # "upp" -> "uppingham"

    out = []
    for name in records.parsed:
        rest = sorted(t for t in name.tokens if not is_place(t))
        named = frozenset(place_of(t) for t in name.tokens if is_place(t))
        out.append((" ".join(rest), named))
    return out


_Split = list[tuple[str, frozenset[str]]]  # per record: core words without places, places


_ONLY_CHURCH_M: Final = 50.0  # a village's church this near its only dedicated church: merge
_ONLY_CHURCH_NAME: Final = 95.0  # ... read as names this alike


def _church_roles(
    records: _Records, parts: _Split
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.bool_]]:
    """Return, per record, whether it is a place's church and a church by its dedication.

    A place's church is 1 for "Pilton Church" or "Wing Parish Church", 2 for a
    church of a denomination that dedicates its churches to saints ("Oakham
    Catholic Church"); a Baptist or Methodist church is neither. A church by its
    dedication is one whose name, or a reading of it, begins with the
    dedication ("All Saints", "Pilton: St Botolph").
    """
    by_place = np.zeros(records.size, dtype=np.int8)
    for k, (name, (rest, _)) in enumerate(zip(records.parsed, parts, strict=True)):
        words = rest.split()
        if name.kinds != ("church",) or len(words) > 2 or set(words) & _DEDICATIONS:
            continue
        if not set(words) & _DENOMINATIONS:
            by_place[k] = 1
        elif set(words) <= _DEDICATING:
            by_place[k] = 2
    dedicated = np.array(
        [
            kind.families == ("worship",)
            and any(n.core.split(" ", 1)[0] in _DEDICATIONS for n in (name, *variants))
            for name, kind, variants in zip(
                records.parsed, records.kinds, records.variants, strict=True
            )
        ],
        dtype=bool,
    )
    return by_place, dedicated


def _parish_dedication(
    left: _Records,
    right: _Records,
    a: Any,
    b: Any,
    places: _Places,
    split: tuple[_Split, _Split],
    distance_m: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Where one record is a place's church and the other a church by its dedication.

    "Oakham Parish Church" or "Pilton Church" and "All Saints" (a place of
    worship): nothing in the names links them, but a village's church is
    known by its dedication. Returns ``(queue, sure)``: queue where the places
    agree (within 100 m, see :func:`find_duplicates`); sure where, besides,
    the two are within :data:`_ONLY_CHURCH_M` and each is the other's only
    such candidate (the village's one dedicated church).
    """
    place_l, dedicated_l = _church_roles(left, split[0])
    place_r, dedicated_r = (
        (place_l, dedicated_l) if right is left else _church_roles(right, split[1])
    )
    forward = (place_l[a] > 0) & dedicated_r[b]
    backward = dedicated_l[a] & (place_r[b] > 0)
    queue = forward | backward
    for k in np.flatnonzero(queue).tolist():
        mine, theirs = split[0][int(a[k])][1], split[1][int(b[k])][1]
        queue[k] = _places_agree(mine, theirs, places.wide)
    # How many candidates each side has: the place's church must have one dedicated church.
    church = np.where(forward, a, np.where(backward, b + left.size, -1))
    dedication = np.where(forward, b + left.size, np.where(backward, a, -1))
    size = left.size + right.size + 1
    per_church = np.bincount(church[queue] + 1, minlength=size)
    per_dedication = np.bincount(dedication[queue] + 1, minlength=size)
    plain = np.where(forward, place_l[a] == 1, place_r[b] == 1) if len(a) else queue
    sure = (
        queue
        & plain
        & (distance_m <= _ONLY_CHURCH_M)
        & (per_church[church + 1] == 1)
        & (per_dedication[dedication + 1] == 1)
    )
    return np.asarray(queue, dtype=bool), np.asarray(sure, dtype=bool)


def _county_and_town(
    mine: tuple[str, frozenset[str]],
    theirs: tuple[str, frozenset[str]],
    wide: frozenset[str],
    same_kind: bool,
) -> float:
    """Return how alike names are that say a county where the other says a town or nothing.

    Both are ``(core words without places, places)``. "Citizens Advice Rutland"
    and "Citizens Advice": 100. "Rutland Register Office" and "Oakham Register
    Office" (the same kind of place, nothing else left to compare):
    :data:`_EXTRA_WORD`, queued, never merged on that alone, since a county word
    is only guessed from how widely names use it. Otherwise 0.
    """
    for (core_x, named_x), (core_y, named_y) in ((mine, theirs), (theirs, mine)):
        words = core_x.split()
        rest = " ".join(w for w in words if w not in wide)
        if len(rest) == len(core_x) or named_x or rest != core_y:
            continue
        if rest:
            return 100.0
        if same_kind and named_y:
            return _EXTRA_WORD
    return 0.0


def _places_agree(mine: frozenset[str], theirs: frozenset[str], wide: frozenset[str]) -> bool:
    """Return whether two records' place words can name one place.

    None on one side, a shared word, or a county on one side and a town or
    nothing else on the other ("Rutland Register Office", "Oakham Register Office").
    """
    if not mine or not theirs or mine & theirs:
        return True
    return mine <= wide or theirs <= wide


def _place_free_scores(
    left: _Records,
    right: _Records,
    a: Any,
    b: Any,
    names: npt.NDArray[np.float64],
    places: _Places,
    split: tuple[_Split, _Split],
) -> npt.NDArray[np.float64]:
    """Name similarity with the village, town or county words left out ("Village Hall, Exton").

    Only where both names keep other words, and never when both name a place and
    the places differ (two villages' halls); a county against a town in it agrees.
    """
    out = np.zeros(len(a))
    mine, theirs = split
    for k in np.flatnonzero(names < 90).tolist():
        (core_a, named_a), (core_b, named_b) = mine[int(a[k])], theirs[int(b[k])]
        if named_a and named_b and not named_a & named_b:
            continue
        if not core_a and not core_b and named_a and named_a == named_b:
            out[k] = 100.0  # "Upp. Library" and "Uppingham Library": one place, one kind
            continue
        kinds = left.parsed[int(a[k])].kinds
        same_kind = bool(kinds) and kinds == right.parsed[int(b[k])].kinds
        county = _county_and_town((core_a, named_a), (core_b, named_b), places.wide, same_kind)
        if county:
            out[k] = county  # "Citizens Advice Rutland" and "Citizens Advice": 100
            continue
        if not core_a or not core_b:
            continue
        if core_a == core_b:
            out[k] = 100.0
        elif core_a[0] == core_b[0] or core_a[-1] == core_b[-1]:
            out[k] = fuzz.token_sort_ratio(core_a, core_b)
    return out


def _address_relation(left: _Records, right: _Records, a: Any, b: Any) -> Any:
    """1 where one record's address holds the other's whole name, of the same kind of place."""
    out = np.zeros(len(a), dtype=np.int8)
    for k in range(len(a)):
        i, j = int(a[k]), int(b[k])
        if left.kinds[i].families != right.kinds[j].families or not left.kinds[i].families:
            continue
        name_i, name_j = left.parsed[i].text, right.parsed[j].text
        if (len(name_j.split()) >= 2 and f" {name_j} " in left.addresses[i]) or (
            len(name_i.split()) >= 2 and f" {name_i} " in right.addresses[j]
        ):
            out[k] = 1
    return out


def _kept(variants: Sequence[_Name], known: frozenset[str], whole: _Name) -> list[_Name]:
    """Return the readings of a name that may be compared with the other record's ``whole``.

    A reading that leaves words out counts where they are all place words (or
    ``known`` otherwise), or where it is the other's whole name and that name is
    full and distinctive: two words of its own at least, the same kind ("X Day
    Hospice - Y Lodge" is "X Day Hospice", a site of it; "Elmstead Holy Cross" is
    "Holy Cross"). What is left out never names a different kind of place (see
    :func:`_may_stand_alone`).
    """
    full = len(whole.core.split()) >= 2
    return [
        v
        for v in variants
        if set(v.dropped) <= known or (full and v.text == whole.text and v.kinds == whole.kinds)
    ]


def _variant_scores(
    left: _Records,
    right: _Records,
    a: npt.NDArray[np.int64],
    b: npt.NDArray[np.int64],
    names: npt.NDArray[np.float64],
    weights: dict[str, float],
    places: _Places,
) -> tuple[npt.NDArray[np.float64], list[str]]:
    """Raise each pair's name similarity to the best of its names' variants (see :func:`_variants`).

    Every variant of one record is compared with every name of the other, each
    capped by the two kinds of place as the names are. Returns the similarities
    and, per pair, the variant that raised it (``""``: none).
    """
    names = names.copy()
    via = [""] * len(a)
    has_left = np.array([bool(v) for v in left.variants], dtype=bool)
    has_right = np.array([bool(v) for v in right.variants], dtype=bool)
    todo = np.flatnonzero((has_left[a] | has_right[b]) & (names < _NAME_FULL))
    wide = places.wide
    known = places.words | places.wide | _DENOMINATIONS | _QUALIFIERS
    firsts: list[_Name] = []
    seconds: list[_Name] = []
    caps: list[float] = []
    owner: list[int] = []
    for k in todo.tolist():
        i, j = int(a[k]), int(b[k])
        place_i, place_j = left.places[i][0] - wide, right.places[j][0] - wide
        if place_i and place_j and not place_i & place_j:
            continue  # a variant never makes two villages' places one
        mine = (left.parsed[i], *_kept(left.variants[i], known, right.parsed[j]))
        theirs = (right.parsed[j], *_kept(right.variants[j], known, left.parsed[i]))
        for x in mine:
            for y in theirs:
                if x is mine[0] and y is theirs[0]:
                    continue
                firsts.append(x)
                seconds.append(y)
                kind_x = _record_kind(x, left.categories[i])
                kind_y = _record_kind(y, right.categories[j])
                caps.append(min(_kind_cap(kind_x, kind_y), _conflict_cap(x, y)))
                owner.append(k)
    if not owner:
        return names, via
    scores = np.minimum(_name_scores(firsts, seconds, weights), np.asarray(caps))
    for k, score, x, y in zip(owner, scores.tolist(), firsts, seconds, strict=True):
        if score > names[k]:
            names[k] = score
            via[k] = f"{x.text} / {y.text}"
    return names, via


def _kin(
    left: _Records,
    right: _Records,
    a: npt.NDArray[np.int64],
    b: npt.NDArray[np.int64],
    names: npt.NDArray[np.float64],
    caps: npt.NDArray[np.float64],
) -> npt.NDArray[np.bool_]:
    """Pairs whose names differ only by a related kind of venue, or that are only the kind.

    "X Parish Hall" and "X Village Hall" (names alike but for the kind, which
    caps them at :data:`_RELATED_KIND_CAP`); "Chapel" beside "X School Chapel"
    (one name is only a kind of place, the other's kind is the same).
    """
    # Only a venue's kinds are loose ("Village Hall", "Community Centre", "Institute"): a
    # school and its nursery, a care home and its day centre, a church and a chapel of one
    # name are two places.
    venue = np.array([k.families == ("venue",) for k in left.kinds], dtype=bool)
    related = (names >= _NAME_FULL) & (caps == _RELATED_KIND_CAP) & venue[a]
    core_l = np.array([not n.core and bool(n.kinds) for n in left.parsed], dtype=bool)
    core_r = (
        core_l
        if right is left
        else np.array([not n.core and bool(n.kinds) for n in right.parsed], dtype=bool)
    )
    bare = np.flatnonzero(core_l[a] != core_r[b])
    for k in bare.tolist():
        i, j = int(a[k]), int(b[k])
        related[k] = bool(left.parsed[i].kinds) and left.parsed[i].kinds == right.parsed[j].kinds
    for k in np.flatnonzero(related).tolist():
        # never two villages' halls: the places their names and addresses say must agree
        place_i, place_j = left.places[int(a[k])][0], right.places[int(b[k])][0]
        related[k] = not (place_i and place_j and not place_i & place_j)
    return np.asarray(related, dtype=bool)


def _only_of_family(
    left: _Records,
    right: _Records,
    a: npt.NDArray[np.int64],
    b: npt.NDArray[np.int64],
    distance_m: npt.NDArray[np.float64],
    key: Callable[[_Kind], tuple[str, ...]] = operator.attrgetter("families"),
) -> npt.NDArray[np.bool_]:
    """Per pair: of one family of places, and each the other's only such candidate within 100 m.

    Two village halls 30 m apart with no other hall, centre or institute near
    either are one hall; a second hall nearby makes both pairs uncertain.
    ``key`` says what "of one family" compares (the kinds' families by default).
    """
    _, firsts, seconds, inverse = _distinct_pairs(left.kinds, right.kinds, a, b)
    same = (
        np.array(
            [bool(key(x)) and key(x) == key(y) for x, y in zip(firsts, seconds, strict=True)],
            dtype=bool,
        )[inverse]
        if len(a)
        else np.zeros(0, dtype=bool)
    )
    mask = same & (distance_m <= _QUEUE_NEAR_M)
    offset = 0 if right is left else left.size
    size = left.size + (0 if right is left else right.size)
    count = np.bincount(a[mask], minlength=size) + np.bincount(b[mask] + offset, minlength=size)
    return np.asarray(mask & (count[a] == 1) & (count[b + offset] == 1), dtype=bool)


def _shares_a_word(x: _Name, y: _Name) -> bool:
    """Return whether two names share a word that is not a weak word or a kind of place.

    The names' words as typed count too, operators and all ("County Council - X Library").
    """
    shared = (x.tokens & y.tokens) | (set(_words(x.raw)) & set(_words(y.raw)))
    return bool(shared - _KIND_WORDS - _WEAK_WORDS - _OPERATOR_WORDS)


def _never_kept_apart(
    left: _Records,
    right: _Records,
    a: npt.NDArray[np.int64],
    b: npt.NDArray[np.int64],
    ev: _Evidence,
    todo: npt.NDArray[np.bool_],
) -> npt.NDArray[np.int8]:
    """Per pair (among ``todo``): of one category or kind, sharing a word (1) or each alone (2).

    Such pairs are queued whatever their names score: two records of the same
    kind within 100 m whose names share a distinctive word ("X Sports Centre",
    "X Sports & Community Centre"), or where each is the only one of its
    specific kind of place near the other ("X Library" and "County Library", 40 m
    apart, no other library), may be one place under a formal and a common
    name. Names that both say different kinds of place, different numbers or
    opposite qualifiers, categories with nothing in common or two different
    phone numbers keep a pair apart.
    """
    out = np.zeros(len(a), dtype=np.int8)
    todo = todo & (ev.category >= 0) & (ev.phone >= 0)
    only = _only_of_family(left, right, a, b, ev.distance_m, key=_specific_kind)
    for k in np.flatnonzero(todo).tolist():
        i, j = int(a[k]), int(b[k])
        kind_i, kind_j = left.kinds[i], right.kinds[j]
        same_family = bool(kind_i.families) and kind_i.families == kind_j.families
        if not (ev.category[k] > 0 or same_family):
            continue
        x, y = left.parsed[i], right.parsed[j]
        named_kinds = not (kind_i.inferred or kind_j.inferred)  # a category's guess yields
        if _conflict_cap(x, y) < 100 or (
            named_kinds and _kind_cap(kind_i, kind_j) < _RELATED_KIND_CAP
        ):
            continue
        out[k] = 2 if only[k] else int(_shares_a_word(x, y))
    return out


def _specific_kind(kind: _Kind) -> tuple[str, ...]:
    """Return the kind of place a record's name says, if one a village has few of."""
    if kind.inferred or not kind.kinds or not set(kind.kinds) <= _SPECIFIC_KINDS:
        return ()
    return kind.kinds


def _gather_evidence(
    left: _Records,
    right: _Records,
    xy_left: npt.NDArray[np.float64],
    xy_right: npt.NDArray[np.float64],
    a: npt.NDArray[np.int64],
    b: npt.NDArray[np.int64],
) -> _Evidence:
    # Score each distinct pair of names (and of kinds) once: towns repeat names a lot.
    unique, firsts, seconds, inverse = _distinct_pairs(left.parsed, right.parsed, a, b)
    weights = _token_weights(unique)
    names = _name_scores(firsts, seconds, weights)[inverse]
    _, firsts_kind, seconds_kind, inverse = _distinct_pairs(left.kinds, right.kinds, a, b)
    caps = np.array([_kind_cap(x, y) for x, y in zip(firsts_kind, seconds_kind, strict=True)])[
        inverse
    ]
    distance_m = np.hypot(*(xy_left[a] - xy_right[b]).T)
    places = _register_places(left, right)
    ordered = tuple(sorted(places.words))
    mine = _without_places(left, places.words, ordered)
    split = (mine, mine if right is left else _without_places(right, places.words, ordered))
    names = np.maximum(names, _place_free_scores(left, right, a, b, names, places, split))
    kin = _kin(left, right, a, b, names, caps)
    names = np.minimum(names, caps)
    names, via = _variant_scores(left, right, a, b, names, weights, places)
    address = _address_relation(left, right, a, b)
    names = np.where(address > 0, np.maximum(names, _ADDRESS_NAME), names)
    parish, only_church = _parish_dedication(left, right, a, b, places, split, distance_m)
    names = np.where(only_church, np.maximum(names, _ONLY_CHURCH_NAME), names)
    categories = np.array(
        [
            _category_relation(left.categories[i], right.categories[j])
            for i, j in zip(a, b, strict=True)
        ],
        dtype=np.int8,
    )
    return _Evidence(
        name=names,
        distance_m=distance_m,
        phone=_set_relation(left.phones, right.phones, a, b),
        email=_set_relation(left.emails, right.emails, a, b),
        website=_website_relation(left, right, a, b),
        category=categories,
        postcode=_postcode_relation(left, right, a, b),
        address=address,
        parish=parish,
        via=via,
        kin=kin,
        only=_only_of_family(left, right, a, b, distance_m),
    )


def _points(
    ev: _Evidence, cfg: MatchConfig
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Return (name points, points from everything else)."""
    name = cfg.name_weight * np.clip((ev.name - _NAME_FLOOR) / (_NAME_FULL - _NAME_FLOOR), 0, 1)
    span = max(cfg.max_distance_m - _CLOSE_M, 1e-9)
    distance = cfg.distance_weight * np.clip((cfg.max_distance_m - ev.distance_m) / span, 0, 1)
    phone = np.where(
        ev.phone > 0, cfg.phone_weight, np.where(ev.phone < 0, -cfg.phone_weight / 3, 0)
    )
    email = np.where(ev.email > 0, cfg.email_weight, 0.0)
    website = np.select(
        [ev.website == 2, ev.website == 1, ev.website == -1],
        [cfg.website_weight, cfg.website_weight / 2, -cfg.website_weight / 2],
        0.0,
    )
    category = cfg.category_weight * ev.category.astype(np.float64)
    postcode = np.select(
        [ev.postcode == 1, ev.postcode == -1, ev.postcode == -2],
        [cfg.postcode_weight, -cfg.postcode_weight, -cfg.postcode_weight / 2],
        0.0,
    )
    address = np.where(ev.address > 0, cfg.postcode_weight * 1.5, 0.0)
    other = distance + phone + email + website + category + postcode + address
    return name, np.asarray(other, dtype=np.float64)


def _kind_words(kind: _Kind) -> str:
    if kind.inferred and kind.families:
        return f"{kind.families[0]} by category"
    return ", ".join(k.replace("_", " ") for k in kind.kinds) or "no kind of place"


def _distance_text(metres: float) -> str:
    return f"{metres / 1000:.1f} km apart" if metres >= 1000 else f"{metres:.0f} m apart"


def _reasons(left: _Records, right: _Records, a: Any, b: Any, ev: _Evidence, k: int) -> str:
    i, j = a[k], b[k]
    parts = [f"names {ev.name[k]:.0f}% alike"]
    if ev.via and ev.via[k]:
        parts[0] += f" (read as {ev.via[k]})"
    if _kind_cap(left.kinds[i], right.kinds[j]) < 100:
        parts[0] += f" ({_kind_words(left.kinds[i])} vs {_kind_words(right.kinds[j])})"
    elif _conflict_cap(left.parsed[i], right.parsed[j]) < 100:
        parts[0] += " (different numbers or north/south-style words)"
    parts.append(_distance_text(float(ev.distance_m[k])))
    labels = {1: "same {}", -1: "different {}s"}
    for field, value in (("phone", ev.phone[k]), ("email", ev.email[k])):
        if value in labels and not (field == "email" and value < 0):
            parts.append(labels[int(value)].format(field))
    website = int(ev.website[k])
    if website:
        parts.append({2: "same website", 1: "same web domain", -1: "different websites"}[website])
    cats_a, cats_b = left.categories[i], right.categories[j]
    if ev.category[k] > 0:
        by_name = left.categories_by_name[i] or right.categories_by_name[j]
        parts.append(
            "both " + ", ".join(sorted(cats_a & cats_b)) + (" (by name)" if by_name else "")
        )
    elif ev.category[k] < 0:
        parts.append(
            f"different categories ({', '.join(sorted(cats_a))} vs {', '.join(sorted(cats_b))})"
        )
    if ev.address[k] > 0:
        parts.append("the address names it")
    if ev.kin[k] and ev.only[k]:
        parts.append("nothing else of the kind within 100 m of either")
    alone = int(ev.alone[k]) if len(ev.alone) else 0
    if alone:
        parts.append(
            f"the only {_kind_words(left.kinds[i])} within 100 m of either"
            if alone == 2
            else "names share a word, of one kind within 100 m"
        )
    postcode = int(ev.postcode[k])
    if postcode:
        parts.append(
            {
                1: "same postcode",
                -1: "postcodes in different districts",
                -2: "postcodes in different sectors",
            }[postcode]
        )
    return "; ".join(parts)


def _empty_pairs() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in PAIR_COLUMNS})
    for column in ("score", "distance_m", "name_similarity"):
        frame[column] = frame[column].astype(np.float64)
    return frame


def find_duplicates(
    assets: gpd.GeoDataFrame,
    *,
    other: gpd.GeoDataFrame | None = None,
    config: MatchConfig | None = None,
) -> pd.DataFrame:
    """Find pairs of records that may be the same asset, with a score, decision and reasons.

    Parameters
    ----------
    assets
        An asset table (see :mod:`assetmap.schema`) in ``EPSG:4326``. Needs
        ``id``, ``name`` and point geometry; ``postcode``, ``phone``,
        ``email``, ``website`` and ``categories`` are used when present.
    other
        A second table to match ``assets`` against (an incoming import against
        the register). Pairs then always have ``id_a`` from ``assets`` and
        ``id_b`` from ``other``; pairs of a record with itself (the same id in
        both) are left out. Without it, ``assets`` is matched against itself
        and each pair appears once.
    config
        Thresholds and weights; ``MatchConfig()`` when omitted.

    Returns
    -------
    pandas.DataFrame
        One row per candidate pair, columns :data:`PAIR_COLUMNS`: ``id_a``,
        ``id_b``, ``name_a``, ``name_b``, ``score`` (0-100, one decimal),
        ``decision`` (one of :data:`DECISIONS`), ``distance_m``,
        ``name_similarity`` and ``reasons`` (plain words). Highest score
        first, then by ids.

    Raises
    ------
    SchemaError
        If a table is not in ``EPSG:4326``, lacks ``id`` or ``name``, has a
        missing or repeated id, a missing name or a geometry that is not a point.
    """
    cfg = config or MatchConfig()
    left = _records_from_frame(assets, "assets")
    right = left if other is None else _records_from_frame(other, "other")
    if left.size == 0 or right.size == 0:
        return _empty_pairs()
    xy_left, xy_right = _project(left, right)
    a, b = _candidate_pairs(
        left,
        right,
        xy_left,
        xy_right,
        same_table=other is None,
        max_distance_m=cfg.max_distance_m,
    )
    if a.size == 0:
        return _empty_pairs()
    ev = _gather_evidence(left, right, xy_left, xy_right, a, b)
    name_points, other_points = _points(ev, cfg)
    score = np.round(np.clip(name_points + other_points, 0, 100), 1)
    # Categories read from both names say nothing the names did not: they add to the
    # score but never corroborate them. One read from a name that agrees with the
    # other record's own category (from its tags or its source) does.
    by_name = np.asarray(left.categories_by_name)[a] & np.asarray(right.categories_by_name)[b]
    corroboration = other_points - np.where(by_name & (ev.category > 0), cfg.category_weight, 0.0)
    merge = (
        (score >= cfg.auto_merge_score)
        & (ev.name >= cfg.min_merge_name_similarity)
        & (corroboration >= cfg.min_corroboration)
    )
    # The same name, close together, nothing against it: one place typed twice.
    nothing_against = (ev.category >= 0) & (ev.phone >= 0) & (ev.postcode >= 0) & (ev.website >= 0)
    merge |= (ev.name >= _SAME_NAME) & (ev.distance_m <= _SAME_NAME_NEAR_M) & nothing_against
    # One name but for a related kind ("X Parish Hall", "X Village Hall"), or a name that
    # is only the kind: merged where nothing else of that family is near either and
    # something besides the distance agrees (a category or a postcode).
    agrees = (ev.category > 0) | (ev.postcode > 0) | (ev.address > 0)
    merge |= ev.kin & ev.only & (ev.distance_m <= _SAME_NAME_NEAR_M) & nothing_against & agrees
    # Similar names of the same category close together are never silently kept apart.
    near = ev.distance_m <= _QUEUE_NEAR_M
    similar_nearby = near & (((ev.category > 0) & (ev.name >= _NAME_FLOOR)) | ev.parish)
    # Names this alike this close are queued even when the categories disagree (a town
    # hall mapped as council offices, kept as a community centre by the directory).
    similar_nearby |= near & (ev.name >= cfg.min_merge_name_similarity)
    # A feature named only by its category ("Sport and exercise") beside a named one of
    # that category is likely the same place, mapped without its name.
    unnamed = left.unnamed[a] != right.unnamed[b]
    similar_nearby |= unnamed & (ev.category > 0) & (ev.distance_m <= _SAME_NAME_NEAR_M)
    similar_nearby |= ev.kin & near
    # Two records of one category or one family of places within 100 m are never silently
    # kept apart when their names share a distinctive word or each is the only one of its
    # kind near the other ("X Library" and "County Library", 40 m apart, nothing else).
    ev = dataclasses.replace(
        ev, alone=_never_kept_apart(left, right, a, b, ev, near & ~similar_nearby)
    )
    similar_nearby |= ev.alone > 0
    review = (score >= cfg.review_score) | similar_nearby
    decision = np.where(merge, "merge", np.where(review, "review", "distinct"))
    ids_left = np.asarray(left.ids, dtype=object)
    ids_right = np.asarray(right.ids, dtype=object)
    names_left = np.asarray(left.names, dtype=object)
    names_right = np.asarray(right.names, dtype=object)
    pairs = pd.DataFrame(
        {
            "id_a": ids_left[a],
            "id_b": ids_right[b],
            "name_a": names_left[a],
            "name_b": names_right[b],
            "score": score,
            "decision": decision.astype(object),
            "distance_m": np.round(ev.distance_m, 1),
            "name_similarity": np.round(ev.name, 1),
            "reasons": [_reasons(left, right, a, b, ev, k) for k in range(a.size)],
        },
        columns=list(PAIR_COLUMNS),
    )
    pairs = pairs.sort_values(
        ["score", "id_a", "id_b"], ascending=[False, True, True], kind="stable"
    ).reset_index(drop=True)
    logger.info(
        "compared %d candidate pairs: %d merge, %d review",
        len(pairs),
        int(merge.sum()),
        int((decision == "review").sum()),
    )
    return pairs


# ---------------------------------------------------------------- merge planning


@dataclass(frozen=True, slots=True)
class MergeGroup:
    """Records to merge into one: call ``Store.merge_assets(keep_id, m)`` for each ``m``.

    Parameters
    ----------
    keep_id
        The record the others are merged into.
    merged_ids
        The records merged into it, in the order their pairs were accepted.
    pairs
        The "merge" pairs ``(id_a, id_b, score)`` that built the group.
    held_back
        "merge" pairs touching this group that were *not* applied because
        they would have chained records that were not all alike (see
        :func:`plan_merges`); queue them for review.
    """

    keep_id: str
    merged_ids: tuple[str, ...]
    pairs: tuple[tuple[str, str, float], ...]
    held_back: tuple[tuple[str, str, float], ...] = ()

    @property
    def ids(self) -> tuple[str, ...]:
        """Every record in the group, the kept one first."""
        return (self.keep_id, *self.merged_ids)


def _check_pairs(pairs: pd.DataFrame) -> None:
    missing = [c for c in ("id_a", "id_b", "score", "decision") if c not in pairs.columns]
    if missing:
        msg = f"`pairs` lacks column(s) {', '.join(missing)}; pass find_duplicates() output."
        raise SchemaError(msg)
    unknown = sorted(set(pairs["decision"].unique()) - set(DECISIONS))
    if unknown:
        msg = f"`pairs`: unknown decision(s) {', '.join(map(repr, unknown))}."
        raise SchemaError(msg)


def _completeness(assets: pd.DataFrame | None) -> dict[str, tuple[int, int]]:
    if assets is None or len(assets) == 0:
        return {}
    out: dict[str, tuple[int, int]] = {}
    status = _column(assets, "status")
    columns = [c for c in assets.columns if c not in {"id", "geometry"}]
    filled = assets[columns].map(lambda v: not _blank(v) and v != ()).sum(axis=1).to_numpy()
    for asset_id, state, count in zip(assets["id"], status, filled, strict=True):
        out[str(asset_id)] = (int(state == "verified"), int(count))
    return out


def plan_merges(
    pairs: pd.DataFrame,
    *,
    assets: pd.DataFrame | None = None,
    prefer: Iterable[str] = (),
) -> list[MergeGroup]:
    """Group the pairs decided "merge" into merge groups, refusing unsafe chains.

    The rule for chains: "merge" pairs are accepted from the highest score
    down, and two groups are joined only if *every* pair of records across
    them was scored and none was decided "distinct" (complete linkage at the
    review level). So A~B and B~C merge into one group only if A and C were
    compared and came out at least "review"; when A and C are far apart
    (never compared) or decided distinct, the weaker of A~B and B~C is held
    back for a person to review.

    Parameters
    ----------
    pairs
        :func:`find_duplicates` output (``id_a``, ``id_b``, ``score``, ``decision``).
    assets
        The records (``id``, optionally ``status``) used to choose which
        record of a group to keep: ids in ``prefer`` first, then verified
        records, then the one with the most fields filled in, then the one in
        most merge pairs, then the smallest id.
    prefer
        Ids to keep in preference to others (the register's, when merging an
        import into it).

    Returns
    -------
    list of MergeGroup
        Largest group first, then by kept id.

    Raises
    ------
    SchemaError
        If ``pairs`` lacks a column or has an unknown decision.

    Examples
    --------
    >>> import pandas as pd
    >>> pairs = pd.DataFrame({"id_a": ["a", "b", "a"], "id_b": ["b", "c", "c"],
    ...                       "score": [95.0, 90.0, 20.0],
    ...                       "decision": ["merge", "merge", "distinct"]})
    >>> [(g.keep_id, g.merged_ids, g.held_back) for g in plan_merges(pairs)]
    [('a', ('b',), (('b', 'c', 90.0),))]
    """
    _check_pairs(pairs)
    scored: dict[frozenset[str], str] = {}
    # .tolist() first: iterating Arrow-backed columns item by item is ~10x slower
    columns = (pairs[c].astype(str).tolist() for c in ("id_a", "id_b", "decision"))
    for id_a, id_b, decision in zip(*columns, strict=True):
        scored[frozenset((id_a, id_b))] = decision
    merges = pairs[pairs["decision"] == "merge"]
    order = sorted(
        zip(
            merges["id_a"].astype(str).tolist(),
            merges["id_b"].astype(str).tolist(),
            merges["score"].astype(float).tolist(),
            strict=True,
        ),
        key=lambda p: (-p[2], p[0], p[1]),
    )
    # Union-find over records: each group is named by its root record, so a new
    # group can never take the name of a live one (a counter of len(members)
    # could, after groups were joined, and silently dropped or crashed merges).
    root: dict[str, str] = {}
    members: dict[str, list[str]] = {}
    accepted: dict[str, list[tuple[str, str, float]]] = {}
    held: list[tuple[str, str, float]] = []

    def find(asset_id: str) -> str:
        while root[asset_id] != asset_id:
            root[asset_id] = root[root[asset_id]]
            asset_id = root[asset_id]
        return asset_id

    for id_a, id_b, score in order:
        for asset_id in (id_a, id_b):
            if asset_id not in root:
                root[asset_id] = asset_id
                members[asset_id] = [asset_id]
                accepted[asset_id] = []
        g_a, g_b = find(id_a), find(id_b)
        if g_a == g_b:
            accepted[g_a].append((id_a, id_b, score))
            continue
        compatible = all(
            scored.get(frozenset((x, y)), "distinct") != "distinct"
            for x in members[g_a]
            for y in members[g_b]
        )
        if not compatible:
            held.append((id_a, id_b, score))
            continue
        root[g_b] = g_a
        members[g_a].extend(members.pop(g_b))
        accepted[g_a].extend([*accepted.pop(g_b), (id_a, id_b, score)])
    preferred = {str(p) for p in prefer}
    completeness = _completeness(assets)
    groups: list[MergeGroup] = []
    for g, ids in members.items():
        if len(ids) < 2:
            continue
        degree = {i: sum(i in p[:2] for p in accepted[g]) for i in ids}
        keep = min(
            ids,
            key=lambda i: (
                i not in preferred,
                *(-x for x in completeness.get(i, (0, 0))),
                -degree[i],
                i,
            ),
        )
        in_group = set(ids)
        groups.append(
            MergeGroup(
                keep_id=keep,
                merged_ids=tuple(i for i in ids if i != keep),
                pairs=tuple(accepted[g]),
                held_back=tuple(p for p in held if p[0] in in_group or p[1] in in_group),
            )
        )
    groups.sort(key=lambda grp: (-len(grp.merged_ids), grp.keep_id))
    logger.info("planned %d merge groups; held back %d chained pairs", len(groups), len(held))
    return groups
