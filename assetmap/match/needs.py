"""Life-plan matching: per goal, the services a person can walk to and that will take them.

A goal is tagged with a resettlement-pathway need and/or a Good Lives Model
good, in the person's own words (:class:`Goal`); a plan's constraints
(:class:`Constraints`) say what the person can use: women-only services
wanted, age, free only, the days and times they can attend, wheelchair
access and the most minutes they will walk.

:func:`prepare_matching` reduces the register and walking graph to what a
query needs (assets snapped to the network once, a search index); then
:func:`match_plan` answers one person in one shortest-path search from their
start point (:func:`assetmap.reach.times_from_point`) plus array look-ups.

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
:attr:`GoalMatch.gap` message; :func:`record_gap` stores it (coarse area only).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from assetmap.access import Operation, Principal, require
from assetmap.errors import NetworkError, OpeningHoursError, QueryError, SchemaError, TaxonomyError
from assetmap.idempotency import add_record_once
from assetmap.match.search import SearchIndex, build_search_index, search_index
from assetmap.moderation_state import live_assets
from assetmap.network import Snapped, WalkGraph, build_walk_graph, load_network, snap_points
from assetmap.opening_hours import (
    DAY_CODES,
    OpeningHours,
    day_index,
    describe_hours,
    open_during,
    parse_time,
    read_opening_hours,
)
from assetmap.reach import point_times, times_from_point
from assetmap.records import GAP_ENTITY, normalise_gap, open_session_record
from assetmap.store import Store
from assetmap.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "MAX_GOAL_CHARS",
    "RESULT_COLUMNS",
    "Constraints",
    "Goal",
    "GoalMatch",
    "MatchContext",
    "check_goals",
    "check_on_network",
    "match_plan",
    "prepare_matching",
    "record_gap",
    "walk_graph_for",
]

logger = logging.getLogger(__name__)

MAX_GOAL_CHARS: Final = 500
MAX_GOALS: Final = 12
STALE_AFTER_DAYS: Final = 365
RESULT_COLUMNS: Final = (
    "rank", "id", "name", "minutes", "score", "why", "warnings", "open_at_times",
    "categories", "address", "postcode", "hours", "phone", "email", "website",
    "last_verified", "lon", "lat",
)  # fmt: skip

# Score parts (0-100): a category serving the goal's need, or only its GLM good,
# and the goal's words (search score).
_NEED_POINTS: Final = 60.0
_GOOD_POINTS: Final = 45.0
_TEXT_SHARE: Final = 0.4
_WOMEN_BONUS: Final = 5.0
_BAND: Final = 15.0  # scores within one band are ordered by walking time


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
        True: the person is eligible for and wants women-only services (they
        are offered, and ranked a little higher); False or None: they are not
        offered.
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
        return {
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
    """

    goal: Goal
    results: pd.DataFrame
    excluded: dict[str, int] = field(default_factory=dict)
    beyond: int = 0
    nearest_beyond_minutes: float | None = None
    gap: str | None = None


def _tuple(value: Any) -> tuple[str, ...]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def prepare_matching(
    assets: pd.DataFrame, graph: WalkGraph, *, taxonomy: Taxonomy | None = None
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
    return MatchContext(
        assets=table,
        graph=graph,
        snapped=snapped,
        index=build_search_index(table, taxonomy=tax),
        taxonomy=tax,
        hours=tuple(r.hours for r in readings),
        hours_warnings=tuple(r.warning for r in readings),
        categories=tuple(frozenset(_tuple(c)) for c in table["categories"]),
    )


@functools.lru_cache(maxsize=4)
def _graph_cached(path: str, mtime_ns: int) -> WalkGraph:
    del mtime_ns  # part of the cache key: a re-import gives a new graph
    return build_walk_graph(load_network(path))


def walk_graph_for(network_path: str | Path) -> WalkGraph:
    """Return the walking graph of a workspace's ``network.npz`` (built once per file version).

    Raises
    ------
    NetworkError
        If the workspace has no walking network yet.
    """
    path = Path(network_path)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        msg = "This workspace has no walking network yet; import OpenStreetMap data first."
        raise NetworkError(msg) from None
    return _graph_cached(str(path), stamp)


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
    row: Mapping[Any, Any], constraints: Constraints
) -> tuple[str | None, list[str], list[str]]:
    """Return (reason to leave out or None, why-lines, warnings) for one asset."""
    why: list[str] = []
    warnings: list[str] = []
    gender = _text_value(row.get("gender")) or "any"
    if gender == "women":
        if constraints.women_only_wanted is not True:
            return "women only", why, warnings
        why.append("women only, as wanted")
    elif gender == "men":
        if constraints.women_only_wanted is True:
            return "men only", why, warnings
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


def _goal_scores(
    context: MatchContext, goal: Goal
) -> tuple[npt.NDArray[np.float64], list[str], dict[str, str]]:
    """Score every asset for a goal (0-100); also the category reason per asset."""
    tax = context.taxonomy
    n = len(context.assets)
    score = np.zeros(n)
    reason = [""] * n
    need_cats = set(tax.categories_for_needs([goal.need])) if goal.need else set()
    good_cats = set(tax.categories_for_needs([goal.good])) if goal.good else set()
    for row, cats in enumerate(context.categories):
        if need_cats & cats:
            code = sorted(need_cats & cats)[0]
            score[row] = _NEED_POINTS
            label = tax.needs[goal.need].label if goal.need else ""
            reason[row] = f"{tax.categories[code].plain_label} - meets the need: {label}"
        elif good_cats & cats:
            code = sorted(good_cats & cats)[0]
            score[row] = _GOOD_POINTS
            label = tax.glm_goods[goal.good].label if goal.good else ""
            reason[row] = f"{tax.categories[code].plain_label} - serves the good: {label}"
    matched: dict[str, str] = {}
    if goal.text:
        try:
            found = search_index(context.index, goal.text, limit=200)
        except QueryError:
            found = pd.DataFrame({"id": [], "score": [], "matched": []})
        if len(found):
            position = pd.Series(np.arange(n), index=context.assets["id"].astype(str))
            rows = position.reindex(found["id"].astype(str)).to_numpy()
            # With a need or good, the words refine the order; alone, they are the score.
            share = _TEXT_SHARE if (goal.need or goal.good) else 1.0
            text_points = found["score"].to_numpy(dtype=np.float64)
            for r, points, why in zip(rows, text_points, found["matched"], strict=True):
                score[r] += share * points
                matched[str(context.assets["id"].iat[r])] = str(why)
    return score, reason, matched


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
    node_seconds = times_from_point(context.graph, lon, lat, max_minutes=3 * limit_minutes)
    minutes = point_times(node_seconds, context.snapped) / 60.0
    return tuple(
        _match_goal(context, goal, constraints, minutes, day=day, limit=limit) for goal in goals
    )


def _match_goal(
    context: MatchContext,
    goal: Goal,
    constraints: Constraints,
    minutes: npt.NDArray[np.float64],
    *,
    day: dt.date,
    limit: int,
) -> GoalMatch:
    score, category_reason, text_reason = _goal_scores(context, goal)
    relevant = score > 0
    within = relevant & (minutes <= constraints.max_minutes)
    beyond_mask = relevant & ~within
    beyond_minutes = minutes[beyond_mask]
    finite = beyond_minutes[np.isfinite(beyond_minutes)]
    nearest_beyond = float(finite.min().round(1)) if finite.size else None
    excluded: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    records = context.assets
    for position in np.flatnonzero(within).tolist():
        row = records.iloc[position].to_dict()
        left_out, why, warnings = _eligibility(row, constraints)
        if left_out is not None:
            excluded[left_out] = excluded.get(left_out, 0) + 1
            continue
        open_fit, hours_why, hours_warn = _hours_fit(
            context.hours[position], context.hours_warnings[position], constraints
        )
        asset_id = str(row["id"])
        reasons = [r for r in (category_reason[position],) if r]
        if asset_id in text_reason:
            reasons.append(f"matches the words: {text_reason[asset_id]}")
        reasons.append(f"{minutes[position]:.0f} min walk")
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
        points = float(score[position])
        if _text_value(row.get("gender")) == "women" and constraints.women_only_wanted:
            points += _WOMEN_BONUS
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
                "score": round(points, 1),
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
            }
        )
    rows.sort(key=lambda r: (-(r["score"] // _BAND), r["minutes"], -r["score"], r["name"]))
    for rank, item in enumerate(rows, start=1):
        item["rank"] = rank
    frame = pd.DataFrame(rows[:limit], columns=list(RESULT_COLUMNS))
    # True / False / None (unknown), never a numpy bool
    frame["open_at_times"] = pd.Series([r["open_at_times"] for r in rows[:limit]], dtype=object)
    gap = None
    if not rows:
        what = _goal_label(goal, context.taxonomy)
        gap = f"Nothing for {what} within {constraints.max_minutes:.0f} minutes' walk"
        if excluded:
            gap += f" that would take this person ({_excluded_text(excluded)} left out)"
        if nearest_beyond is not None:
            gap += f"; the nearest is {nearest_beyond:.0f} minutes away"
        gap += "."
    return GoalMatch(
        goal=goal,
        results=frame,
        excluded=excluded,
        beyond=int(beyond_mask.sum()),
        nearest_beyond_minutes=nearest_beyond,
        gap=gap,
    )


def _goal_label(goal: Goal, taxonomy: Taxonomy) -> str:
    if goal.need:
        return f"'{taxonomy.needs[goal.need].label}'"
    if goal.good:
        return f"'{taxonomy.glm_goods[goal.good].label}'"
    return f"'{goal.text}'"


def _excluded_text(excluded: Mapping[str, int]) -> str:
    return ", ".join(f"{n} {reason}" for reason, n in sorted(excluded.items()))


def record_gap(
    store: Store,
    *,
    need: str,
    area: str,
    principal: Principal,
    lon: float | None = None,
    lat: float | None = None,
    note: str | None = None,
    taxonomy: Taxonomy | None = None,
    request_key: str | None = None,
) -> str:
    """Record an unmet need in an area (a ``gap`` record, coarse area only).

    Checks :data:`~assetmap.access.Operation.ADD_GAP`, and for someone in a
    mapping session (a participant) that the session is still open.

    Parameters
    ----------
    store
        The register.
    need
        The need code nothing met.
    area
        A postcode sector or LSOA code (never a full postcode).
    principal
        The caller (kept as ``reported_by``).
    lon, lat
        The area's centroid (rounded to about 100 m).
    note
        What was looked for, in plain words.
    taxonomy
        The default taxonomy when omitted.
    request_key
        Identifies the form submission: a repeat records nothing new
        (:mod:`assetmap.idempotency`).

    Returns
    -------
    str
        The gap's id.

    Raises
    ------
    SchemaError
        If the need is unknown or the area is missing.
    ConflictError
        If the caller's mapping session has ended.
    """
    require(principal, Operation.ADD_GAP, session_id=principal.session_id)
    if principal.session_id:
        open_session_record(store, principal.session_id)
    record = normalise_gap(
        {
            "need": need,
            "area": area,
            "lon": lon,
            "lat": lat,
            "note": note,
            "reported_by": principal.user_id,
        },
        taxonomy=taxonomy,
    )
    return add_record_once(
        store, GAP_ENTITY, record, actor=principal.user_id,
        reason="gap found while finding support", request_key=request_key,
    )  # fmt: skip
