"""Settlements a person names in a search: *where*, not *what*.

"a chapel in exton" asks for a chapel in the village of Exton, not for a place
whose name holds "Exton". The names come from the register's own geography
(the workspace's OpenStreetMap place nodes, read by
:func:`assetmap.people.plans.workspace_settlements`); nothing here lists a
village. A name is found as whole words ("market overton", "belton" for
"Belton-in-Rutland"), with "in", "near", "round", "around" or "at" before it
taken with it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "SETTLEMENT_KINDS",
    "WHERE_WORDS",
    "PlaceMention",
    "Settlement",
    "SettlementIndex",
    "find_settlement",
    "km_from",
    "settlement_index",
]

#: OSM ``place`` values a person may name as where they want to go.
SETTLEMENT_KINDS: Final = frozenset({"city", "town", "village", "suburb", "hamlet"})
_TOWNS: Final = frozenset({"city", "town"})
#: A place this close to a settlement's point is "in" it (a town is wider than a village);
#: the Dashboard names an area "in" a town by the same distance.
IN_TOWN_KM: Final = 2.0
IN_VILLAGE_KM: Final = 1.2
#: Words before a settlement's name that say it is where ("in", "near"), taken with it.
WHERE_WORDS: Final = frozenset({"in", "near", "round", "around", "at", "nr"})
_BEFORE: Final = rf"(?:(?:{'|'.join(sorted(WHERE_WORDS))})\s+)?"
_IN_AREA: Final = re.compile(r"^(?P<short>.+?)[\s-]+in[\s-]+[a-z]+$")


@dataclass(frozen=True, slots=True)
class Settlement:
    """A named town, village or hamlet (OSM ``place=...``) and its point."""

    name: str
    kind: str
    lon: float
    lat: float

    def __post_init__(self) -> None:
        if not self.name.strip() or self.kind not in SETTLEMENT_KINDS:
            msg = f"A settlement needs a name and a kind of {sorted(SETTLEMENT_KINDS)}: {self!r}."
            raise ValueError(msg)
        if not (math.isfinite(self.lon) and math.isfinite(self.lat)):
            msg = f"Settlement {self.name!r} has no valid point ({self.lon}, {self.lat})."
            raise ValueError(msg)

    @property
    def radius_km(self) -> float:
        """How far from its point a place is still in it."""
        return IN_TOWN_KM if self.kind in _TOWNS else IN_VILLAGE_KM


@dataclass(frozen=True, slots=True)
class PlaceMention:
    """A settlement found in a person's words, and the words without it."""

    settlement: Settlement
    rest: str


@dataclass(frozen=True, eq=False)
class SettlementIndex:
    """Settlements by their words, and one pattern finding any of them."""

    by_words: dict[str, Settlement]
    pattern: re.Pattern[str] | None


def _words(name: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", name.lower().replace("'", "")))


def settlement_index(
    settlements: Iterable[Settlement], *, common: frozenset[str] = frozenset()
) -> SettlementIndex:
    """Index settlements for :func:`find_settlement`.

    A name whose every word is ``common`` (words that ask for something, or
    fillers) is left out, so a hamlet called "Park" is never a where; the first
    of two settlements with one name is kept (give towns first). "X in Y"
    ("Belton-in-Rutland") is also found as "X".

    Examples
    --------
    >>> index = settlement_index([Settlement("Belton-in-Rutland", "village", -0.77, 52.6),
    ...                           Settlement("Park", "hamlet", 0.0, 52.0)], common={"park"})
    >>> sorted(index.by_words)
    ['belton', 'belton in rutland']
    """
    by_words: dict[str, Settlement] = {}
    for place in settlements:
        key = _words(place.name)
        if not key or set(key.split()) <= common:
            continue
        by_words.setdefault(key, place)
        short = _IN_AREA.match(key)
        if short and not set(short["short"].split()) <= common:
            by_words.setdefault(short["short"], place)
    if not by_words:
        return SettlementIndex({}, None)
    names = sorted(by_words, key=lambda k: (-len(k), k))
    alternatives = "|".join(r"[\s'-]+".join(map(re.escape, k.split())) for k in names)
    pattern = re.compile(rf"(?<![a-z0-9]){_BEFORE}(?P<name>{alternatives})(?:'?s)?(?![a-z0-9])")
    return SettlementIndex(by_words, pattern)


def find_settlement(text: str, index: SettlementIndex) -> PlaceMention | None:
    """Return the first settlement named in ``text`` (whole words), or ``None``.

    Examples
    --------
    >>> index = settlement_index([Settlement("Market Overton", "village", -0.69, 52.74),
    ...                           Settlement("Wing", "village", -0.68, 52.62)])
    >>> found = find_settlement("Church near Market-Overton please", index)
    >>> found.settlement.name, found.rest
    ('Market Overton', 'church please')
    >>> find_settlement("wingspan club", index) is None
    True
    """
    if index.pattern is None:
        return None
    lowered = text.lower().replace("\u2019", "'")
    match = index.pattern.search(lowered)
    if match is None:
        return None
    place = index.by_words[_words(match["name"])]
    rest = " ".join((lowered[: match.start()] + " " + lowered[match.end() :]).split())
    return PlaceMention(place, rest)


def km_from(place: Settlement, lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Kilometres from a settlement's point (equirectangular: fine within a county).

    Examples
    --------
    >>> km_from(Settlement("Wing", "village", 0.0, 52.0), [0.0, 0.0], [52.0, 52.01]).round(2)
    array([0.  , 1.11])
    """
    east = (np.asarray(lon, dtype=np.float64) - place.lon) * math.cos(math.radians(place.lat))
    north = np.asarray(lat, dtype=np.float64) - place.lat
    return np.asarray(111.2 * np.hypot(east, north), dtype=np.float64)
