"""Life-plan matching: per goal, the services a person can walk to and that will take them.

A goal is tagged with a resettlement-pathway need and/or a Good Lives Model
good, in the person's own words (:class:`Goal`); a plan's constraints
(:class:`Constraints`) say what the person can use: women-only services
wanted, age, free only, the days and times they can attend, wheelchair
access and the most minutes they will walk.

:func:`prepare_matching` reduces the register and walking graph to what a
query needs (assets snapped to the network once, a search index); then
:func:`match_plan` answers one person in one shortest-path search from their
start point (:func:`assetmap.reach.travel.times_from_point`) plus array look-ups.

For each goal the answer ranks reachable services (category fit and the
goal's words, then walking minutes) and gives, for each, **why** (category
and need matched, eligibility fit, minutes, last verified) and **warnings**
(referral needed, opening hours unknown, closed at the person's times,
cost or access unknown, not verified for a year). Eligibility rules hide a
service only when it would refuse the person (women-only to a plan that does
not want women-only services, outside its ages, paid when only free will do,
no wheelchair access, convictions not accepted); each such count is kept in
:attr:`GoalMatch.excluded`. A service closed at the person's times is
marked, never hidden. A goal with nothing within the limit gets a
:attr:`GoalMatch.gap` message; :func:`assetmap.reach_service.record_gap` stores it
(coarse area only).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from assetmap.access import Operation, Principal, require
from assetmap.errors import NetworkError, OpeningHoursError, QueryError, SchemaError, TaxonomyError
from assetmap.helplines import Helpline, load_helplines
from assetmap.match.normalize import normalise_query
from assetmap.match.phrases import (
    PhraseIndex,
    Reading,
    adults_only_hint,
    build_phrase_index,
    lemmas,
    older_people_hint,
    read_words,
    stem,
)
from assetmap.match.places import (
    WHERE_WORDS,
    PlaceMention,
    Settlement,
    SettlementIndex,
    find_settlement,
    km_from,
    settlement_index,
)
from assetmap.match.search import SearchConfig, SearchIndex, build_search_index, search_index
from assetmap.moderation_state import live_assets
from assetmap.opening_hours import (
    DAY_CODES,
    OpeningHours,
    day_index,
    describe_hours,
    open_during,
    parse_time,
    read_opening_hours,
)
from assetmap.reach.network import Snapped, WalkGraph, snap_points
from assetmap.reach.travel import point_times, times_from_point
from assetmap.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "MAX_GOAL_CHARS",
    "RELEVANCE_FLOOR",
    "REMOTE_COLUMNS",
    "RESULT_COLUMNS",
    "Constraints",
    "Goal",
    "GoalMatch",
    "MatchContext",
    "Travel",
    "Travelled",
    "check_goals",
    "check_on_network",
    "match_plan",
    "prepare_matching",
]

logger = logging.getLogger(__name__)

MAX_GOAL_CHARS: Final = 500
REMOTE_COLUMNS: Final = ("name", "phone", "hours", "area", "why", "source")
MAX_GOALS: Final = 12
STALE_AFTER_DAYS: Final = 365
RESULT_COLUMNS: Final = (
    "rank", "id", "name", "minutes", "score", "why", "warnings", "open_at_times",
    "categories", "address", "postcode", "hours", "phone", "email", "website",
    "last_verified", "lon", "lat", "travel", "route",
)  # fmt: skip
"""Columns of a goal's results. ``travel`` is how the minutes were measured (``"walk"``,
``"bike"`` or ``"transit"``); ``route`` is, for public transport, the journey step by step
(:meth:`assetmap.reach.transit_times.Journey.to_record`), else ``None``."""

# Relevance (0-100): how well a place answers the goal. A need or good chosen from the
# list counts fully for a category made for it (specialist), less for one that serves it
# among others, least for general places (council offices, village halls); the person's
# words count by the share of them a place explains (its categories' phrases, its own
# name and description). Below the floor a place is not a match at all.
RELEVANCE_FLOOR: Final = 55.0
_NEED_WEIGHTS: Final = (100.0, 75.0, 60.0)  # specialist, secondary, general
_GOOD_WEIGHTS: Final = (90.0, 75.0, 60.0)
_NAME_CREDIT: Final = 1.0  # a query word in the place's name
_TEXT_CREDIT: Final = 0.8  # ... in its description, organisation or address
_STEM_CREDIT: Final = 0.7  # a word no phrase knows, by its stem in the place's own words
_LABEL_CREDIT: Final = 0.5  # ... by its stem in a name of the place's category
_STEM_WORD: Final = 5  # shorter words are matched as they are, never by stem
_BOTH_BONUS: Final = 10.0  # chosen need and the person's words both fit
_URGENT_BONUS: Final = 15.0
_SPECIALIST_SHARE: Final = 0.9  # a category the words ask for directly
_OTHER_NEED: Final = 0.5  # weight of a word that asks for something else the words name
_PREFER_SHARE: Final = 0.2  # its own name or description says it is the kind asked for
_OTHER_KIND: Final = 0.75  # its name says a narrow kind of the category the words do not ask
_PART_SHARE: Final = 0.85  # a place answering one clause of the words, not all of them
_BAND: Final = 20.0  # scores within one band are ordered by walking time
_OLDER_AGE: Final = 50
_ADULT_AGE: Final = 18  # below this, places whose own words say adults only are left out
_FAR_MINUTES: Final = 240.0
_CLOSED_THEN: Final = "closed at the times asked for"
_FEW: Final = 3  # with fewer places than this within reach, say what fits further away
_CLAUSES: Final = re.compile(
    r"\s*(?:\band\b|\bor\b|\bplus\b|,|&|\+|/)\s*", re.IGNORECASE
)  # below this, places for older people are left out
_URGENT_WORDS: Final = frozenset(
    {"emergency", "crisis", "night", "24", "urgent", "refuge", "shelter", "tonight"}
)
# The search (names, initials, typos) with taxonomy text left to the phrase layer.
_UNNAMED: Final = "(unnamed)"
_NAME_SEARCH: Final = SearchConfig(category_weight=0.0, min_score=RELEVANCE_FLOOR)


@dataclass(frozen=True, eq=False)
class Travelled:
    """What another travel mode answers from a start, per asset of a match context.

    Attributes
    ----------
    mode
        ``"bike"`` or ``"transit"``.
    minutes
        Minutes to every asset.
    reasons
        Per asset, e.g. "bus 19 from Market Place, 24 min door to door"
        (``None``: "N min walk" or "N min by bike" is said).
    routes
        Per asset, the journey step by step (``None`` where there is none).
    """

    mode: str
    minutes: npt.NDArray[np.float64]
    reasons: list[str | None]
    routes: list[dict[str, Any] | None]


Travel = Callable[[float, float], Travelled]
"""Minutes from a start to every asset of a match context, with a reason and route per asset."""


@dataclass(frozen=True, slots=True)
class Goal:
    """One goal of a life plan, in the person's own words.

    Attributes
    ----------
    text
        What the person said ("somewhere to live near my kids"); searched.
    need
        A resettlement-pathway need code of the taxonomy (or None).
    good
        A Good Lives Model good code (or None).
    """

    text: str = ""
    need: str | None = None
    good: str | None = None

    def __post_init__(self) -> None:
        text = " ".join(str(self.text or "").split())
        if len(text) > MAX_GOAL_CHARS:
            msg = f"A goal's text is {len(text):,} characters long; the limit is {MAX_GOAL_CHARS}."
            raise QueryError(msg)
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "need", self.need or None)
        object.__setattr__(self, "good", self.good or None)
        if not (text or self.need or self.good):
            msg = "A goal needs words, a need or a Good Lives Model good."
            raise QueryError(msg)

    def to_record(self) -> dict[str, Any]:
        """Return the goal as stored in a plan record."""
        return {"text": self.text, "need": self.need, "good": self.good}


def check_goals(goals: Sequence[Goal], taxonomy: Taxonomy) -> None:
    """Refuse unknown need or good codes and too many goals.

    Raises
    ------
    TaxonomyError
        Naming the goal and the code.
    QueryError
        If there are no goals or more than :data:`MAX_GOALS`.
    """
    if not goals:
        msg = "Give at least one goal (a need, a good or some words)."
        raise QueryError(msg)
    if len(goals) > MAX_GOALS:
        msg = f"A plan may have at most {MAX_GOALS} goals, got {len(goals)}."
        raise QueryError(msg)
    for number, goal in enumerate(goals, start=1):
        if goal.need is not None and goal.need not in taxonomy.needs:
            known = ", ".join(sorted(taxonomy.needs))
            msg = f"goal {number}: unknown need code {goal.need!r}; known codes: {known}."
            raise TaxonomyError(msg)
        if goal.good is not None and goal.good not in taxonomy.glm_goods:
            known = ", ".join(sorted(taxonomy.glm_goods))
            msg = f"goal {number}: unknown Good Lives Model good {goal.good!r}; known: {known}."
            raise TaxonomyError(msg)


@dataclass(frozen=True, slots=True)
class Constraints:
    """What a person can use (a plan's ``constraints``).

    Attributes
    ----------
    women_only_wanted
        True: offer *only* women-only services (a choice, separate from who
        the person is; implies the person is a woman).
    person_is_woman
        About the person: True makes women-only services eligible (and
        men-only ones not); False the reverse; None (not given) offers
        neither women-only services nor hides men-only ones.
    age
        Age in years (None: unknown; age-limited services are then shown
        with a warning).
    free_only
        Only free services (unknown cost is shown with a warning).
    available
        ``(day, "HH:MM", "HH:MM")`` windows the person can attend.
    wheelchair
        Needs step-free access.
    max_minutes
        The most minutes the person will walk (1-180).
    """

    women_only_wanted: bool | None = None
    person_is_woman: bool | None = None
    age: int | None = None
    free_only: bool = False
    available: tuple[tuple[str, str, str], ...] = ()
    wheelchair: bool = False
    max_minutes: float = 30.0

    def __post_init__(self) -> None:
        if self.women_only_wanted is not None and not isinstance(self.women_only_wanted, bool):
            msg = (
                f"`women_only_wanted` must be true, false or null, got {self.women_only_wanted!r}."
            )
            raise SchemaError(msg)
        if self.person_is_woman is not None and not isinstance(self.person_is_woman, bool):
            msg = f"`person_is_woman` must be true, false or null, got {self.person_is_woman!r}."
            raise SchemaError(msg)
        if self.age is not None and (
            isinstance(self.age, bool) or not isinstance(self.age, int) or not 0 <= self.age <= 120
        ):
            msg = f"`age` must be a whole number of years from 0 to 120, got {self.age!r}."
            raise SchemaError(msg)
        for name in ("free_only", "wheelchair"):
            if not isinstance(getattr(self, name), bool):
                msg = f"`{name}` must be true or false, got {getattr(self, name)!r}."
                raise SchemaError(msg)
        minutes = self.max_minutes
        if isinstance(minutes, bool) or not isinstance(minutes, int | float):
            msg = f"`max_minutes` must be a number of minutes, got {minutes!r}."
            raise SchemaError(msg)
        if not (math.isfinite(minutes) and 1 <= minutes <= 180):
            msg = f"`max_minutes` must be from 1 to 180, got {minutes!r}."
            raise SchemaError(msg)
        object.__setattr__(self, "max_minutes", float(minutes))
        windows = []
        for position, window in enumerate(self.available, start=1):
            where = f"`available` window {position}"
            if isinstance(window, str) or len(window) != 3:
                msg = f"{where} must be [day, 'HH:MM', 'HH:MM'], got {window!r}."
                raise SchemaError(msg)
            day, start, end = (str(part) for part in window)
            try:
                code = DAY_CODES[day_index(day)]
                if parse_time(end) <= parse_time(start, allow_24=False):
                    msg = f"{where}: {start}-{end} must end after it starts."
                    raise SchemaError(msg)
            except OpeningHoursError as exc:
                msg = f"{where}: {exc}"
                raise SchemaError(msg) from None
            windows.append((code, start.strip(), end.strip()))
        object.__setattr__(self, "available", tuple(windows))

    def to_record(self) -> dict[str, Any]:
        """Return the constraints as stored in a plan record."""
        extra = {} if self.person_is_woman is None else {"person_is_woman": self.person_is_woman}
        return {
            **extra,
            "women_only_wanted": self.women_only_wanted,
            "age": self.age,
            "free_only": self.free_only,
            "available": [list(w) for w in self.available],
            "wheelchair": self.wheelchair,
            "max_minutes": self.max_minutes,
        }

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> Constraints:
        """Return constraints from a plan record's ``constraints`` (checked).

        Raises
        ------
        SchemaError
            Naming the field.
        """
        extra = sorted(set(data) - set(cls.__slots__))
        if extra:
            msg = f"constraints: unknown field(s) {', '.join(map(repr, extra))}."
            raise SchemaError(msg)
        available = data.get("available") or ()
        if isinstance(available, str):
            msg = f"`available` must be a list of [day, 'HH:MM', 'HH:MM'], got {available!r}."
            raise SchemaError(msg)
        return cls(
            women_only_wanted=data.get("women_only_wanted"),
            person_is_woman=data.get("person_is_woman"),
            age=data.get("age"),
            free_only=data.get("free_only", False),
            available=tuple(tuple(w) for w in available),
            wheelchair=data.get("wheelchair", False),
            max_minutes=data.get("max_minutes", 30.0),
        )


@dataclass(frozen=True, eq=False)
class MatchContext:
    """The register and walking graph reduced for matching; build once, share.

    Made by :func:`prepare_matching`. Read-only.
    """

    assets: pd.DataFrame
    graph: WalkGraph
    snapped: Snapped
    index: SearchIndex
    taxonomy: Taxonomy
    hours: tuple[OpeningHours | None, ...]
    hours_warnings: tuple[str | None, ...]
    categories: tuple[frozenset[str], ...]
    phrases: PhraseIndex = field(default_factory=build_phrase_index)
    name_words: tuple[frozenset[str], ...] = ()
    text_words: tuple[frozenset[str], ...] = ()
    text_lemmas: tuple[tuple[str, ...], ...] = ()
    older: tuple[bool, ...] = ()
    adults: tuple[bool, ...] = ()
    crisis: tuple[bool, ...] = ()
    helplines: tuple[Helpline, ...] = ()
    unnamed: tuple[bool, ...] = ()
    # Fallback when no phrase explains a word: stems of each place's own words, and of
    # each category's names (label, plain label, other taxonomies' terms).
    text_stems: tuple[frozenset[str], ...] = ()
    label_stems: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Towns and villages the words may name as *where* (:mod:`assetmap.match.places`),
    # and each place's point (lon, lat) to measure from them.
    places: SettlementIndex = field(default_factory=lambda: settlement_index(()))
    points: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 2)))
    # Per ``apart`` group of the phrase book: row -> the sides its own text says it serves
    # (rows saying none left out).
    apart_says: tuple[Mapping[int, frozenset[int]], ...] = ()
    # Each place's own name as lemmas, a leading "the" dropped (names named whole).
    name_lemmas: tuple[tuple[str, ...], ...] = ()
    # Per place, the categories of which its own words name a narrow kind (a bowls club).
    own_kinds: tuple[frozenset[str], ...] = ()


@dataclass(frozen=True, eq=False)
class GoalMatch:
    """The answer for one goal.

    Attributes
    ----------
    goal
        The goal.
    results
        Ranked services within the limit, columns :data:`RESULT_COLUMNS`.
    excluded
        Services that fit the goal and are within reach but would not take
        the person: reason -> count.
    beyond
        How many services fit the goal but are beyond the walking limit.
    nearest_beyond_minutes
        Minutes to the nearest of those (None if none within three times
        the limit).
    gap
        When nothing fits within the limit: a plain message saying so.
    no_match
        True when no place within the limit answers the goal (the honest
        "nothing fits"; a gap can be recorded).
    beyond_places
        Relevant places beyond the limit, nearest first (at most three):
        dicts of ``id``, ``name``, ``minutes``, ``score``, ``categories``.
    named
        Places the words name, with their minutes (``"X is N minutes away"``
        when beyond the limit) in ``notes``.
    notes
        Plain sentences to show above the results.
    remote
        National helplines for the goal (``name``, ``phone``, ``hours``,
        ``area``, ``why``, ``source``): shown when nothing local fits and
        always for urgent needs.
    urgent
        The words made the need urgent.
    need
        The need code the goal is about (chosen, or read from the words), for
        recording a gap.
    closed_then
        When the words name times ("on a friday night"): places within reach that
        fit and would take the person but are closed then, best and nearest first
        (at most three): dicts of ``id``, ``name``, ``minutes``, ``score``,
        ``hours``. The gap names the first, so "nothing fits" is never silent
        about a place open at other times.
    where
        The town or village the words name as where to look ("church in
        wing"): ``name``, ``kind``, ``lon``, ``lat``; places in it come first.
    """

    goal: Goal
    results: pd.DataFrame
    excluded: dict[str, int] = field(default_factory=dict)
    beyond: int = 0
    nearest_beyond_minutes: float | None = None
    gap: str | None = None
    no_match: bool = False
    beyond_places: tuple[dict[str, Any], ...] = ()
    named: tuple[dict[str, Any], ...] = ()
    notes: tuple[str, ...] = ()
    remote: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(REMOTE_COLUMNS)))
    urgent: bool = False
    need: str | None = None
    closed_then: tuple[dict[str, Any], ...] = ()
    where: dict[str, Any] | None = None


def _tuple(value: Any) -> tuple[str, ...]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _asset_words(table: pd.DataFrame, columns: Sequence[str]) -> list[tuple[str, ...]]:
    parts = [
        table[c].map(lambda v: _text_value(v) or "") if c in table.columns else None
        for c in columns
    ]
    texts = [
        " ".join(filter(None, row))
        for row in zip(*[p for p in parts if p is not None], strict=True)
    ]
    return [lemmas(t) for t in texts] if texts else [() for _ in range(len(table))]


def prepare_matching(
    assets: pd.DataFrame,
    graph: WalkGraph,
    *,
    taxonomy: Taxonomy | None = None,
    helplines: Sequence[Helpline] | None = None,
    places: Sequence[Settlement] = (),
) -> MatchContext:
    """Snap the register to the walking graph and index its text, once.

    Parameters
    ----------
    assets
        The register (a validated asset GeoDataFrame, EPSG:4326); only live
        assets are kept (:func:`assetmap.moderation_state.live_assets`:
        archived, rejected and unchecked proposals are left out of Find
        support's ranking).
    graph
        The workspace's walking graph.
    taxonomy
        The default taxonomy when omitted.
    helplines
        National helplines to offer (``assetmap/data/helplines.yaml`` when omitted).
    places
        Towns and villages a search may name as where to look (the workspace's
        OpenStreetMap places: :func:`assetmap.people.plans.workspace_settlements`).

    Returns
    -------
    MatchContext

    Raises
    ------
    SchemaError
        If the table lacks columns matching needs (``id``, ``name``,
        ``categories``, ``geometry``).
    """
    tax = taxonomy or load_taxonomy()
    missing = [c for c in ("id", "name", "categories", "geometry") if c not in assets.columns]
    if missing:
        msg = f"The asset table lacks column(s) {', '.join(missing)}."
        raise SchemaError(msg)
    table = live_assets(assets)
    points = table.geometry.representative_point() if len(table) else table.geometry
    snapped = snap_points(
        graph,
        points.x.to_numpy() if len(table) else [],
        points.y.to_numpy() if len(table) else [],
    )
    readings = [
        read_opening_hours(v) if "opening_hours" in table.columns else read_opening_hours(None)
        for v in (
            table["opening_hours"] if "opening_hours" in table.columns else [None] * len(table)
        )
    ]
    phrases = build_phrase_index(taxonomy=tax) if taxonomy is not None else _default_phrases()
    # An unnamed OpenStreetMap feature is named after its category ("Justice services
    # (police, courts, ...) (unnamed)"): that name says nothing of the place itself.
    unnamed = tuple(str(n).endswith(_UNNAMED) for n in table["name"])
    own = table.assign(name=table["name"].where(~np.asarray(unnamed, dtype=bool), None))
    names = _asset_words(own, ["name"])
    texts = _asset_words(own, ["name", "organisation", "description", "address"])
    return MatchContext(
        assets=table,
        graph=graph,
        snapped=snapped,
        index=build_search_index(table, taxonomy=tax),
        taxonomy=tax,
        hours=tuple(r.hours for r in readings),
        hours_warnings=tuple(r.warning for r in readings),
        categories=tuple(frozenset(_tuple(c)) for c in table["categories"]),
        phrases=phrases,
        name_words=tuple(frozenset(w) for w in names),
        text_words=tuple(frozenset(w) for w in texts),
        text_lemmas=tuple(texts),
        older=tuple(older_people_hint(str(n), index=phrases) for n in table["name"]),
        adults=tuple(adults_only_hint(" ".join(t), index=phrases) for t in texts),
        crisis=tuple(bool(_URGENT_WORDS & set(w)) for w in texts),
        helplines=tuple(load_helplines() if helplines is None else helplines),
        unnamed=unnamed,
        text_stems=tuple(frozenset(stem(w) for w in t) for t in texts),
        label_stems=_label_stems(tax),
        places=settlement_index(places, common=phrases.vocabulary | phrases.ignore),
        points=np.column_stack([points.x.to_numpy(), points.y.to_numpy()])
        if len(table)
        else np.zeros((0, 2)),
        apart_says=_apart_says(phrases, texts),
        name_lemmas=tuple(n[1:] if n[:1] == ("the",) else n for n in names),
        own_kinds=_own_kinds(phrases, names),
    )


def _own_kinds(
    phrases: PhraseIndex, names: Sequence[tuple[str, ...]]
) -> tuple[frozenset[str], ...]:
    """Per place, the categories of which its own name says a narrow kind ("bowls club")."""
    firsts = {p[0] for kinds in phrases.narrow_kinds.values() for p in kinds}
    return tuple(
        frozenset()
        if firsts.isdisjoint(name)
        else frozenset(c for c, kinds in phrases.narrow_kinds.items() if _holds(name, kinds))
        for name in names
    )


def _apart_says(
    phrases: PhraseIndex, texts: Sequence[tuple[str, ...]]
) -> tuple[dict[int, frozenset[int]], ...]:
    """Per ``apart`` group, row -> the sides a place's own words say it serves."""
    out: list[dict[int, frozenset[int]]] = []
    for group in phrases.apart:
        firsts = {p[0] for _, says in group for p in says}
        found: dict[int, frozenset[int]] = {}
        for row, mine in enumerate(texts):
            if firsts.isdisjoint(mine):
                continue
            sides = frozenset(side for side, (_, says) in enumerate(group) if _holds(mine, says))
            if sides:
                found[row] = sides
        out.append(found)
    return tuple(out)


def _label_stems(tax: Taxonomy) -> dict[str, frozenset[str]]:
    """Category code -> stems of its names: label, plain label, other taxonomies' terms."""
    out: dict[str, frozenset[str]] = {}
    for code, cat in tax.categories.items():
        names = [cat.label, cat.plain_label, *(t.name for t in cat.hsds_terms)]
        out[code] = frozenset(stem(w) for n in names for w in lemmas(n) if len(w) >= _STEM_WORD)
    return out


@functools.lru_cache(maxsize=1)
def _default_phrases() -> PhraseIndex:
    return build_phrase_index()


def check_on_network(graph: WalkGraph, lon: float, lat: float) -> None:
    """Refuse a start point far from every street or path of the walking network.

    Raises
    ------
    NetworkError
        If the point is invalid, or further than the graph's ``max_snap_m``
        from the network (the sea, or outside the workspace's area).
    """
    start = snap_points(graph, [lon], [lat])
    if bool(start.far[0]):
        msg = (
            f"The start point is {start.distance_m[0] / 1000:.1f} km from the nearest street "
            "or path of this workspace's walking network; choose a point inside the mapped area."
        )
        raise NetworkError(msg)


def _text_value(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text_value(value)
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def _int_value(value: Any) -> int | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(value)


def _eligibility(
    row: Mapping[Any, Any], constraints: Constraints, *, older: bool = False, adult: bool = False
) -> tuple[str | None, list[str], list[str]]:
    """Return (reason to leave out or None, why-lines, warnings) for one asset."""
    why: list[str] = []
    warnings: list[str] = []
    only_women = constraints.women_only_wanted is True
    woman = only_women or constraints.person_is_woman is True
    gender = _text_value(row.get("gender")) or "any"
    if gender == "women":
        if not woman:
            return "women only", why, warnings
        why.append("women only, as wanted" if only_women else "women only: the person is a woman")
    elif only_women:
        return "not women-only (only women-only services asked for)", why, warnings
    elif gender == "men":
        if woman:
            return "men only", why, warnings
        if constraints.person_is_woman is False:
            why.append("men only: fits")
        else:
            warnings.append("men only")
    low, high = _int_value(row.get("min_age")), _int_value(row.get("max_age"))
    if low is not None or high is not None:
        ages = (
            f"ages {low if low is not None else 0}-{high}" if high is not None else f"ages {low}+"
        )
        if constraints.age is None:
            warnings.append(f"only for {ages}; check the person's age")
        elif (low is not None and constraints.age < low) or (
            high is not None and constraints.age > high
        ):
            return "outside its ages", why, warnings
        else:
            why.append(f"{ages}: fits")
    elif adult and constraints.age is not None and constraints.age < _ADULT_AGE:
        return "for adults only", why, warnings
    elif older:
        if constraints.age is not None and constraints.age < _OLDER_AGE:
            return "for older people", why, warnings
        if constraints.age is None:
            warnings.append("usually for older people (care home): check it fits")
    cost = _text_value(row.get("cost"))
    if constraints.free_only:
        if cost in ("low", "paid"):
            return "not free", why, warnings
        if cost == "free":
            why.append("free")
        else:
            warnings.append("cost not known")
    elif cost in ("low", "paid"):
        warnings.append("low cost" if cost == "low" else "costs money")
    elif cost == "free":
        why.append("free")
    access = _text_value(row.get("wheelchair"))
    if constraints.wheelchair:
        if access == "no":
            return "no wheelchair access", why, warnings
        if access == "yes":
            why.append("wheelchair accessible")
        elif access == "limited":
            warnings.append("limited wheelchair access")
        else:
            warnings.append("wheelchair access not known")
    convictions = _text_value(row.get("convictions"))
    if convictions == "not_accepted":
        return "does not accept people with convictions", why, warnings
    if convictions == "welcome":
        why.append("welcomes people with convictions")
    elif convictions == "case_by_case":
        warnings.append("considers convictions case by case")
    if row.get("referral_required") is True:
        warnings.append("referral needed")
    return None, why, warnings


def _adult(context: MatchContext, position: int) -> bool:
    """Return whether a place's own words say it is for adults only (none known: no)."""
    return bool(context.adults) and context.adults[position]


def _hours_fit(
    hours: OpeningHours | None, warning: str | None, constraints: Constraints
) -> tuple[bool | None, list[str], list[str]]:
    """Return (open at the person's times?, why-lines, warnings)."""
    if hours is None:
        note = "opening hours not readable" if warning else "opening hours unknown"
        return None, [], [note]
    if not constraints.available:
        return None, [], []
    answers = [open_during(hours, day, start, end) for day, start, end in constraints.available]
    fits = [w for w, a in zip(constraints.available, answers, strict=True) if a]
    if fits:
        day, start, end = fits[0]
        more = f" (+{len(fits) - 1} more)" if len(fits) > 1 else ""
        return True, [f"open when the person can go: {day} {start}-{end}{more}"], []
    if all(a is False for a in answers):
        return False, [], ["closed at the times the person can attend"]
    return None, [], ["opening hours at the person's times unknown"]


@dataclass(frozen=True, slots=True)
class _Scores:
    """Relevance of every asset to one goal, with the reason for each."""

    score: npt.NDArray[np.float64]
    reason: list[str]
    reading: Reading
    named: npt.NDArray[np.bool_]  # the words name this place
    need: str | None
    where: Settlement | None = None  # the town or village the words name as where


def _category_weights(
    tax: Taxonomy, code: str, *, good: bool, general: frozenset[str]
) -> dict[str, float]:
    """Category -> points for a chosen need (or GLM good): specialist, secondary, general."""
    top, mid, low = _GOOD_WEIGHTS if good else _NEED_WEIGHTS
    out: dict[str, float] = {}
    for cat in tax.categories.values():
        served = cat.glm_goods if good else cat.needs
        if code in served:
            out[cat.code] = low if cat.code in general else (top if served[0] == code else mid)
    return out


def _about_children(context: MatchContext, reading: Reading) -> bool:
    """Return whether the words ask for something for children ("homework", "my kids")."""
    return any(
        weight >= _SPECIALIST_SHARE and code in context.phrases.about_children
        for code, weight in reading.categories.items()
    )


def _word_credit(context: MatchContext, reading: Reading, row: int) -> tuple[float, list[str]]:
    """Share (0-1) of the person's words this place explains, and how."""
    words = reading.words
    if not words:
        return 0.0, []
    cats = context.categories[row]
    credit = np.zeros(len(words))
    why: list[str] = []
    mine = context.text_lemmas[row]
    for code in cats & set(reading.covers):
        narrow = reading.narrow.get(code, ())
        if narrow and not any(mine[i : i + len(n)] == n for n in narrow for i in range(len(mine))):
            continue  # "mosque": a church is a faith community, but not a mosque
        if code in context.phrases.for_children and not _about_children(context, reading):
            continue  # a school teaches children: "wants to learn" is an adult's wish
        weight = reading.categories[code]
        specific = weight >= _SPECIALIST_SHARE and not narrow
        if specific and context.own_kinds and code in context.own_kinds[row]:
            weight *= _OTHER_KIND  # "gymnastics": a bowls club is sport, of another kind
        for position in reading.covers[code]:
            credit[position] = max(credit[position], weight)
        label = context.taxonomy.categories[code].plain_label
        kind = "made for it" if weight >= 1.0 else ("serves it" if weight >= 0.6 else "general")
        why.append(f"{label} ({kind})")
    covered = set().union(*reading.covers.values()) if reading.covers else set()
    for position, word in enumerate(words):
        if word in context.name_words[row]:
            credit[position] = max(credit[position], _NAME_CREDIT)
        elif word in context.text_words[row]:
            credit[position] = max(credit[position], _TEXT_CREDIT)
        elif position not in covered and len(word) >= _STEM_WORD:
            credit[position] = _stem_credit(context, word, row)
    kinds = np.array([w in context.phrases.kind_words for w in words], dtype=bool)
    if kinds.any() and not why and not credit[~kinds].any():
        credit[kinds] = 0.0  # "office" alone: the Register Office is no probation office
    weights = np.asarray(reading.weights or [1.0] * len(words), dtype=np.float64)
    # Words that ask for another thing this place is not ("free wifi to apply for jobs"
    # at a job club): when the place answers another part of the goal, they weigh half.
    answers = bool(why)
    other = (
        set().union(*(reading.covers[c] for c in set(reading.covers) - cats)) if answers else set()
    )
    weights = weights * np.array(
        [_OTHER_NEED if p in other and credit[p] == 0 else 1.0 for p in range(len(words))]
    )
    share = float(credit @ weights / weights.sum())
    share = min(1.0, share)
    if share > 0 and any(
        mine[i : i + len(p)] == p for p in reading.prefer for i in range(len(mine))
    ):
        share += _PREFER_SHARE
        why.append("the very kind of place asked for")
    return share, why


def _named_by_kind(context: MatchContext, reading: Reading) -> npt.NDArray[np.bool_]:
    """Return the places the words name by their kind and owner alone.

    "the council's housing options" names "Rutland County Council Housing
    Options" though every word is a word of the phrase book: a place is named when
    its own name holds all of two or more content words and at most
    :data:`_FEW` places' names do (one word, or a kind shared by many places
    such as "community centre", names none).
    """
    words = set(reading.words)
    if len(words) < 2:
        return np.zeros(len(context.assets), dtype=bool)
    hits = np.array(
        [
            words <= names and not blank
            for names, blank in zip(context.name_words, context.unnamed, strict=True)
        ],
        dtype=bool,
    )
    return hits if 0 < int(hits.sum()) <= _FEW else np.zeros_like(hits)


def _named_whole(context: MatchContext, text: str) -> npt.NDArray[np.bool_]:
    """Return the places whose whole distinctive name the words hold, in order.

    "<a place's name> museum" names the place whatever kind word is added: the
    name's words, small words ("by", "of") kept and a leading "the" dropped, stand
    together in the words. A name of one word, or of words that all ask for
    something (phrase book, kind words), is not distinctive and names nothing so.
    """
    out = np.zeros(len(context.assets), dtype=bool)
    words = lemmas(text)
    common = context.phrases.vocabulary | context.phrases.ignore | context.phrases.kind_words
    for row, name in enumerate(context.name_lemmas):
        distinctive = len(name) >= 2 and not context.unnamed[row] and not set(name) <= common
        if distinctive and set(name) <= set(words) and _holds(words, (name,)):
            out[row] = True
    return out


def _holds(words: Sequence[str], phrases: Iterable[tuple[str, ...]]) -> bool:
    """Return whether ``words`` hold one of the phrases, as whole words in order."""
    return any(
        tuple(words[i : i + len(p)]) == p for p in phrases for i in range(len(words) - len(p) + 1)
    )


def _apart(context: MatchContext, text: str) -> npt.NDArray[np.bool_]:
    """Return the places that serve only other sub-needs than the words ask for.

    Alcohol-only help (Alcoholics Anonymous) does not answer "weed"; a
    sexual-violence service does not answer a partner's violence, nor the reverse.
    Each group of ``apart`` in the phrase book lists, per side, the phrases that
    ask for it and those by which a place's own text says it serves it; a place
    saying one side or more of a group, none of them asked for while another
    side is, is left out.
    """
    out = np.zeros(len(context.assets), dtype=bool)
    words = lemmas(text)
    for group, says in zip(context.phrases.apart, context.apart_says, strict=False):
        asked = {side for side, (asks, _) in enumerate(group) if _holds(words, asks)}
        if asked:
            out[[row for row, sides in says.items() if not sides & asked]] = True
    return out


def _stem_credit(context: MatchContext, word: str, row: int) -> float:
    """Credit for a word no phrase explains, by its stem (whole words only).

    In the place's own words ("gymnastics" and "gymnast") a little below the word
    itself; in a name of one of its categories, a side reading only (below the
    floor alone: a word shared with a category's name is not enough).
    """
    root = stem(word)
    if context.text_stems and root in context.text_stems[row]:
        return _STEM_CREDIT
    if any(root in context.label_stems.get(c, ()) for c in context.categories[row]):
        return _LABEL_CREDIT
    return 0.0


_GLOSS: Final = re.compile(
    r"^\s*(?:(?:glm|good lives model|(?:primary |secondary )?goods?)\s*(?:good)?\s*[:\-]?\s*)?"
    r"(?P<head>[^()\-:]+?)\s*(?:\((?P<paren>[^()]*)\)|[-:]\s*(?P<dash>[^()]*))?\s*$",
    re.IGNORECASE,
)
# "primary good - X" as staff write a GLM good on a plan.
_GLM_PREFIX: Final = re.compile(
    r"^\s*(?:glm|good lives model|(?:primary|secondary) goods?)\b", re.IGNORECASE
)


def _good_names(tax: Taxonomy) -> dict[str, str]:
    """Normalised name -> GLM good code: its code, label, and the label's last word.

    "excellence_agency" is named "excellence in agency" and "agency".
    """
    out: dict[str, str] = {}
    for code, good in tax.glm_goods.items():
        label = normalise_query(good.label.split("(")[0])
        for name in (normalise_query(code.replace("_", " ")), label, label.split()[-1]):
            out.setdefault(name, code)
    return out


def glm_good_named(text: str, taxonomy: Taxonomy) -> str | None:
    """Return the Good Lives Model good staff named with a gloss, as they write it.

    "<good> (<gloss>)", "<good> - <gloss>", "GLM: <good>": the good is
    the head; the gloss in brackets or after a dash only explains it, so its words
    are never read as needs of their own. A good's name alone, without a gloss or
    "GLM", is left to the phrase book (it may be everyday words).

    Examples
    --------
    >>> tax = load_taxonomy()
    >>> glm_good_named("Life (exercise and food)", tax), glm_good_named("agency - choice", tax)
    ('life', 'excellence_agency')
    >>> glm_good_named("Good Lives Model - inner peace (calm)", tax)
    'inner_peace'
    >>> glm_good_named("community", tax) is None
    True
    """
    found = _GLOSS.match(text)
    if found is None:
        return None
    glossed = found["paren"] is not None or found["dash"] is not None
    if not (glossed or _GLM_PREFIX.match(text)):
        return None
    return _good_names(taxonomy).get(normalise_query(found["head"]))


def _goal_scores(context: MatchContext, goal: Goal) -> _Scores:
    """Score every asset for a goal (0-100, see RELEVANCE_FLOOR) with the reason."""
    tax = context.taxonomy
    if goal.text and not (goal.need or goal.good):
        good = glm_good_named(goal.text, tax)
        goal = Goal(good=good) if good else goal  # the gloss only explains the good
    general = context.phrases.general if goal.need else frozenset()
    n = len(context.assets)
    score = np.zeros(n)
    reason = [""] * n
    chosen: dict[str, float] = {}
    if goal.need:
        chosen = _category_weights(tax, goal.need, good=False, general=general)
    elif goal.good:
        chosen = _category_weights(tax, goal.good, good=True, general=general)
    label = (
        tax.needs[goal.need].label
        if goal.need
        else tax.glm_goods[goal.good].label
        if goal.good
        else ""
    )
    mention = _where(context, goal.text) if goal.text else None
    text = mention.rest if mention else goal.text
    reading = (
        read_words(text, index=context.phrases, known=context.index.lookup)
        if text
        else Reading(words=())
    )
    # "housing and a job": a place that answers one of the needs answers the goal.
    clauses = [reading] + [
        read_words(part, index=context.phrases, known=context.index.lookup)
        for part in _CLAUSES.split(text or "")
        if part.strip() and part.strip() != (text or "").strip()
    ]
    clauses = [c for c in clauses if c.words] or [reading]
    named = np.zeros(n, dtype=bool)
    name_points = np.zeros(n)
    if text and reading.words:
        try:
            # Only the words that say something: "visiting my brother in X" names X.
            # Words read as a time ("after school") name no place either.
            skip = context.phrases.ignore | reading.timed
            content = [w for w in lemmas(text) if w not in skip]
            # A kind word ("office") names no place when other words ask for something.
            what = [w for w in content if w not in context.phrases.kind_words]
            asked = " ".join(what or content)
            asked = asked or " ".join(reading.words)
            found = search_index(context.index, asked, config=_NAME_SEARCH, limit=200)
        except QueryError:
            found = pd.DataFrame({"id": [], "score": [], "matched": []})
        if len(found):
            position = pd.Series(np.arange(n), index=context.assets["id"].astype(str))
            rows = position.reindex(found["id"].astype(str)).to_numpy()
            # Words nothing knows weigh double in the search's share too.
            unknown = len(reading.words) / sum(reading.weights or [1.0])
            name_points[rows] = found["score"].to_numpy(dtype=np.float64) * unknown
            name_points[np.asarray(context.unnamed, dtype=bool)] = 0.0
            # A place is named when the words hold its own name's words, not only a kind
            # of place ("library" names no library; "Rutland County Library" does).
            proper = {w for w in reading.words if w not in context.phrases.vocabulary}
            named[rows] = (
                found["matched"].astype(str).str.startswith("name").to_numpy()
                & (found["score"].to_numpy() >= 80)
                & np.array([bool(proper & context.name_words[r]) for r in rows], dtype=bool)
            )
            named |= _named_by_kind(context, reading)
            whole = _named_whole(context, text)
            named |= whole
            name_points[whole] = np.maximum(name_points[whole], 100.0)
            if not _about_children(context, reading):
                # "catholic church" is not a church school, unless the words name it.
                for_children = context.phrases.for_children
                child_only = np.array([bool(c) and c <= for_children for c in context.categories])
                name_points[child_only & ~named] = 0.0
    for row, cats in enumerate(context.categories):
        parts: list[str] = []
        points = 0.0
        fits = sorted(cats & set(chosen), key=lambda c: -chosen[c])
        if fits:
            points = chosen[fits[0]]
            kind = "meets the need" if goal.need else "serves the good"
            parts.append(f"{tax.categories[fits[0]].plain_label} - {kind}: {label}")
        if reading.words:
            # A place answering one part of the words ("script" in "DRR testing and
            # script") answers the goal, a little less than one answering all of it.
            share, how = max(
                (share * (1.0 if r is reading else _PART_SHARE), how)
                for r in clauses
                for share, how in (_word_credit(context, r, row),)
            )
            text_points = max(100.0 * share, name_points[row])
            if text_points > 0:
                matched = (
                    ", ".join(how) if how and 100.0 * share >= name_points[row] else "its name"
                )
                parts.append(f"the words fit {min(text_points, 100.0):.0f}%: {matched}")
            if chosen:
                points = max(points, text_points) + (_BOTH_BONUS if points and text_points else 0.0)
                points = points if fits or text_points >= RELEVANCE_FLOOR else 0.0
            else:
                points = text_points
        if reading.urgent and context.crisis[row] and points >= RELEVANCE_FLOOR:
            points += _URGENT_BONUS
            parts.append("crisis or emergency service (urgent)")
        score[row] = points
        reason[row] = "; ".join(parts)
    if goal.text:
        # Only other sub-needs than asked for ("weed" at an alcohol-only meeting).
        left_out = _apart(context, goal.text) & ~named
        score[left_out] = 0.0
        for row in np.flatnonzero(left_out).tolist():
            reason[row] = ""
    need = goal.need
    if need is None and reading.categories:
        top = max(reading.categories, key=lambda c: (reading.categories[c], c not in general))
        needs = tax.categories[top].needs
        need = needs[0] if needs else None
    where = mention.settlement if mention else None
    return _Scores(score=score, reason=reason, reading=reading, named=named, need=need, where=where)


def _where(context: MatchContext, text: str) -> PlaceMention | None:
    """Return the town or village the words name as where to look, if the rest asks for more.

    "a chapel in exton" asks for a chapel, in Exton. Not a where when the rest asks
    for nothing ("anything round oakham": the place is all there is to go on), nor
    when every word is in one place's own name ("Oakham Medical Practice",
    "Exton Village Hall"): that place is named and found by its name as before.
    """
    mention = find_settlement(text, context.places)
    if mention is None:
        return None
    rest = read_words(mention.rest, index=context.phrases, known=context.index.lookup)
    if not rest.categories:
        return None
    asked = {w for w in lemmas(text) if w not in context.phrases.ignore} - WHERE_WORDS
    if any(asked <= words for words in context.name_words if words):
        return None
    return mention


def match_plan(
    context: MatchContext,
    lon: float,
    lat: float,
    goals: Sequence[Goal],
    constraints: Constraints,
    *,
    principal: Principal,
    today: dt.date | None = None,
    limit: int = 10,
    travel: Travel | None = None,
) -> tuple[GoalMatch, ...]:
    """Rank, per goal, the services a person can reach on foot and may use.

    Checks :data:`~assetmap.access.Operation.FIND_SUPPORT`.

    Parameters
    ----------
    context
        From :func:`prepare_matching`.
    lon, lat
        The start point (kept in memory only; store a coarse version).
    goals
        The plan's goals.
    constraints
        The plan's constraints.
    principal
        The caller.
    today
        For "not verified for a year" (today's date by default).
    limit
        Most services per goal (1-100).
    travel
        Another travel mode: given the start, minutes to every asset of
        ``context`` and a reason per asset (e.g. "bus 19 from Market Place,
        24 min door to door"; ``None`` where walking is as fast). ``None``:
        walking.

    Returns
    -------
    tuple of GoalMatch
        One per goal, in order.

    Raises
    ------
    AccessDeniedError
        If the caller may not search for support.
    TaxonomyError, QueryError
        For an unknown need or good, an empty goal or too many goals.
    NetworkError
        If the start point is not a valid coordinate.
    """
    require(principal, Operation.FIND_SUPPORT)
    check_goals(goals, context.taxonomy)
    if not isinstance(limit, int) or not 1 <= limit <= 100:
        msg = f"`limit` must be a whole number from 1 to 100, got {limit!r}."
        raise ValueError(msg)
    day = today or dt.date.today()
    limit_minutes = constraints.max_minutes
    check_on_network(context.graph, lon, lat)
    how: Travelled | None = None
    if travel is None:
        # Far enough to say how far the nearest place that fits is, when none is near.
        node_seconds = times_from_point(
            context.graph, lon, lat, max_minutes=max(3 * limit_minutes, _FAR_MINUTES)
        )
        minutes = point_times(node_seconds, context.snapped) / 60.0
    else:
        how = travel(lon, lat)
        minutes = how.minutes
    return tuple(
        _match_goal(context, goal, constraints, minutes, day=day, limit=limit, how=how)
        for goal in goals
    )


def _helplines_for(
    context: MatchContext, goal: Goal, scored: _Scores
) -> list[tuple[Helpline, str]]:
    """National helplines that fit the goal, with why."""
    reading = scored.reading
    asked = {c for c, w in reading.categories.items() if w >= 0.9}
    needs = {n for n in (goal.need, scored.need) if n}
    words = set(reading.words)
    out: list[tuple[Helpline, str]] = []
    for line in context.helplines:
        keyword = next((k for k in line.keywords if set(lemmas(k)) <= words), None)
        if keyword:
            out.append((line, f"about {keyword}"))
        elif asked & set(line.categories):
            cat = sorted(asked & set(line.categories))[0]
            out.append((line, context.taxonomy.categories[cat].plain_label))
        elif needs & set(line.needs):
            out.append((line, context.taxonomy.needs[sorted(needs & set(line.needs))[0]].label))
    if reading.urgent:
        out.sort(key=lambda item: not item[0].urgent)
    return out


def _remote_frame(lines: Sequence[tuple[Helpline, str]], *, urgent: bool) -> pd.DataFrame:
    rows = [
        {
            "name": line.name,
            "phone": line.phone,
            "hours": line.hours,
            "area": line.area,
            "why": f"{why}; national helpline, no walking" + ("; urgent" if urgent else ""),
            "source": line.source,
        }
        for line, why in lines
    ]
    return pd.DataFrame(rows, columns=list(REMOTE_COLUMNS))


def _hours_text(hours: OpeningHours | None) -> str:
    return describe_hours(hours) if hours is not None else "not known"


def _minutes_text(minutes: float) -> str:
    if not math.isfinite(minutes):
        return "more than 4 hours' walk away"
    return f"{minutes:.0f} minutes' walk away"


def _match_goal(
    context: MatchContext,
    goal: Goal,
    constraints: Constraints,
    minutes: npt.NDArray[np.float64],
    *,
    day: dt.date,
    limit: int,
    how: Travelled | None = None,
) -> GoalMatch:
    scored = _goal_scores(context, goal)
    score, reading = scored.score, scored.reading
    asked_times = not constraints.available and bool(reading.windows)
    if asked_times:  # "on a saturday": the words name when the person can go
        constraints = dataclasses.replace(constraints, available=reading.windows)
    relevant = score >= RELEVANCE_FLOOR
    within = relevant & (minutes <= constraints.max_minutes)
    where = scored.where
    km = km_from(where, *context.points.T) if where else np.zeros(len(score))
    inside = km <= where.radius_km if where else np.ones(len(score), dtype=bool)
    excluded: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    closed: list[int] = []  # fit and would take the person, but closed at the times asked
    records = context.assets
    for position in np.flatnonzero(within).tolist():
        row = records.iloc[position].to_dict()
        left_out, why, warnings = _eligibility(
            row, constraints, older=context.older[position], adult=_adult(context, position)
        )
        open_fit, hours_why, hours_warn = _hours_fit(
            context.hours[position], context.hours_warnings[position], constraints
        )
        if left_out is None and asked_times and open_fit is False:
            left_out = _CLOSED_THEN
            closed.append(position)
        if left_out is not None:
            excluded[left_out] = excluded.get(left_out, 0) + 1
            continue
        asset_id = str(row["id"])
        reasons = [r for r in (scored.reason[position],) if r]
        travelled = how.reasons[position] if how is not None else None
        mode = how.mode if how is not None else "walk"
        by = "by bike" if mode == "bike" else "walk"
        if where is not None:
            reasons.append(_where_text(where, float(km[position])))
        reasons.append(travelled or f"{minutes[position]:.0f} min {by}")
        reasons += why + hours_why
        verified = _as_date(row.get("last_verified"))
        if verified is None:
            warnings.append("never verified")
        else:
            reasons.append(f"last verified {verified.isoformat()}")
            if (day - verified).days > STALE_AFTER_DAYS:
                warnings.append("not verified for over a year")
        warnings = warnings + hours_warn
        if _text_value(row.get("status")) == "proposed":
            warnings.append("proposed in a mapping session, not yet checked")
        point = row["geometry"].representative_point()
        labels = [
            context.taxonomy.categories[c].plain_label
            for c in _tuple(row["categories"])
            if c in context.taxonomy.categories
        ]
        rows.append(
            {
                "id": asset_id,
                "name": str(row["name"]),
                "minutes": round(float(minutes[position]), 1),
                "score": round(float(score[position]), 1),
                "why": "; ".join(reasons),
                "warnings": "; ".join(warnings),
                "open_at_times": open_fit,
                "categories": ", ".join(labels),
                "address": _text_value(row.get("address")),
                "postcode": _text_value(row.get("postcode")),
                "hours": describe_hours(context.hours[position])
                if context.hours[position] is not None
                else _text_value(row.get("opening_hours")) or "Opening hours not known",
                "phone": _text_value(row.get("phone")),
                "email": _text_value(row.get("email")),
                "website": _text_value(row.get("website")),
                "last_verified": verified.isoformat() if verified else None,
                "lon": round(float(point.x), 6),
                "lat": round(float(point.y), 6),
                "travel": mode,
                "route": how.routes[position] if how is not None else None,
                "_away": 0.0 if inside[position] else float(km[position]),
            }
        )
    # A town or village named as where ("a chapel in exton"): places in it first, then
    # the nearest to it; otherwise by relevance band, then minutes.
    rows.sort(
        key=lambda r: (
            r["_away"] > 0,
            -(r["score"] // _BAND),
            r["_away"],
            r["minutes"],
            -r["score"],
            r["name"],
        )
    )
    for rank, item in enumerate(rows, start=1):
        item["rank"] = rank
    beyond_mask = relevant & ~within
    notes: list[str] = []
    beyond: list[dict[str, Any]] = []
    for position in np.flatnonzero(beyond_mask).tolist():
        row = records.iloc[position].to_dict()
        if (
            _eligibility(
                row, constraints, older=context.older[position], adult=_adult(context, position)
            )[0]
            is not None
        ):
            continue
        beyond.append(
            {
                "id": str(row["id"]),
                "name": str(row["name"]),
                "minutes": round(float(minutes[position]), 1),
                "score": round(float(score[position]), 1),
                "categories": list(_tuple(row["categories"])),
                "_away": 0.0 if inside[position] else float(km[position]),
            }
        )
    named_ids = {str(context.assets["id"].iat[p]) for p in np.flatnonzero(scored.named).tolist()}
    beyond.sort(
        key=lambda r: (
            r["id"] not in named_ids,
            r["_away"] > 0,
            -(r["score"] // _BAND),
            r["_away"],
            r["minutes"],
            r["name"],
        )
    )
    if where is not None:
        notes += _where_notes(where, rows, beyond, constraints.max_minutes)
    for item in (*rows, *beyond):
        del item["_away"]
    frame = pd.DataFrame(rows[:limit], columns=list(RESULT_COLUMNS))
    # True / False / None (unknown), never a numpy bool
    frame["open_at_times"] = pd.Series([r["open_at_times"] for r in rows[:limit]], dtype=object)
    finite = [b["minutes"] for b in beyond if math.isfinite(b["minutes"])]
    nearest_beyond = float(min(finite)) if finite else None
    named: list[dict[str, Any]] = []
    for position in np.flatnonzero(scored.named & relevant).tolist():
        name = str(records["name"].iat[position])
        walk = float(minutes[position])
        named.append({"id": str(records["id"].iat[position]), "name": name, "minutes": walk})
        if not walk <= constraints.max_minutes:
            notes.append(
                f"{name} is {_minutes_text(walk)} "
                f"(beyond the {constraints.max_minutes:.0f} asked for)."
            )
    no_match = not rows
    closed_then: tuple[dict[str, Any], ...] = tuple(
        {
            "id": str(records["id"].iat[p]),
            "name": str(records["name"].iat[p]),
            "minutes": round(float(minutes[p]), 1),
            "score": round(float(score[p]), 1),
            "hours": _hours_text(context.hours[p]),
        }
        for p in sorted(closed, key=lambda p: (-(score[p] // _BAND), minutes[p]))[:3]
    )
    gap = None
    if no_match:
        what = _goal_label(goal, context.taxonomy)
        gap = f"Nothing fits {what} within {constraints.max_minutes:.0f} minutes' walk"
        if excluded:
            gap += f" that would take this person ({_excluded_text(excluded)} left out)"
        if beyond:
            first = beyond[0]
            gap += f"; the nearest that fits is {first['name']}, {_minutes_text(first['minutes'])}"
        if closed_then:
            first = closed_then[0]
            gap += (
                f"; the nearest that fits but is closed then is {first['name']}, "
                f"{_minutes_text(first['minutes'])} (open: {first['hours']})"
            )
        gap += "."
    lines = [
        (line, why)
        for line, why in _helplines_for(context, goal, scored)
        if no_match or reading.urgent or line.urgent  # safety lines always, for their need
    ]
    best_here = max((r["score"] for r in rows), default=0.0)
    if 0 < len(rows) < _FEW and beyond and beyond[0]["score"] >= best_here:
        first = beyond[0]
        notes.append(
            f"Also fits, further away: {first['name']}, {_minutes_text(first['minutes'])}."
        )
    return GoalMatch(
        goal=goal,
        results=frame,
        excluded=excluded,
        beyond=len(beyond),
        nearest_beyond_minutes=nearest_beyond,
        gap=gap,
        no_match=no_match,
        beyond_places=tuple(beyond[:3]),
        named=tuple(named),
        notes=tuple(notes),
        remote=_remote_frame(lines, urgent=reading.urgent),
        urgent=reading.urgent,
        need=scored.need,
        closed_then=closed_then,
        where=None
        if where is None
        else {"name": where.name, "kind": where.kind, "lon": where.lon, "lat": where.lat},
    )


def _where_text(where: Settlement, km: float) -> str:
    """Say where a place is from the town or village named: in it, or how far."""
    return f"in {where.name}" if km <= where.radius_km else f"{km:.1f} km from {where.name}"


def _where_notes(
    where: Settlement,
    rows: Sequence[Mapping[str, Any]],
    beyond: Sequence[Mapping[str, Any]],
    max_minutes: float,
) -> list[str]:
    """Say so when nothing that fits within reach is in the town or village named."""
    if not rows or rows[0]["_away"] == 0:
        return []
    notes = [f"Nothing that fits within reach is in {where.name}; nearest to it first."]
    there = next((b for b in beyond if b["_away"] == 0), None)
    if there is not None:
        notes.append(
            f"In {where.name}: {there['name']}, {_minutes_text(there['minutes'])} "
            f"(beyond the {max_minutes:.0f} asked for)."
        )
    return notes


def _goal_label(goal: Goal, taxonomy: Taxonomy) -> str:
    if goal.need:
        return f"'{taxonomy.needs[goal.need].label}'"
    if goal.good:
        return f"'{taxonomy.glm_goods[goal.good].label}'"
    return f"'{goal.text}'"


def _excluded_text(excluded: Mapping[str, int]) -> str:
    return ", ".join(f"{n} {reason}" for reason, n in sorted(excluded.items()))


def __getattr__(name: str) -> Any:
    """Keep ``from assetmap.match.needs import record_gap`` working.

    Recording a gap writes to the store and checks a role, so it is a service:
    it lives in :mod:`assetmap.reach_service` beside :func:`reported_gaps`.
    """
    if name == "record_gap":
        from assetmap.reach_service import record_gap

        return record_gap
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
