"""Value parsing: one spreadsheet cell's text -> an assetmap value.

The parsers behind the third step of a spreadsheet import
(:mod:`assetmap.ingest.tabular`): yes/no, referral, cost, gender, convictions,
wheelchair access, kind, ages and dates, each raising ``ValueError`` on text it
cannot read; :func:`parse_column` runs one over a column and reports the cells
it cannot read. :func:`coordinates` reads latitude/longitude, eastings/northings
or X/Y into longitude and latitude, and :func:`formula_cells` finds cells a
spreadsheet program would run as a formula.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from assetmap.ingest.postcodes import bng_to_wgs84
from assetmap.ingest.problems import ProblemLog
from assetmap.ingest.tabular_columns import ColumnMapping, mapped_text
from assetmap.schema import KINDS

__all__ = ["EMAIL_RE", "PARSERS", "WARN_ONLY", "coordinates", "formula_cells", "parse_column"]

_NUMBER_RE: Final = re.compile(r"^[+-]?\s*[\d(][\d\s().,-]*$")
_BULLET_RE: Final = re.compile(r"^[+-]\s+[^\W\d_]")
EMAIL_RE: Final = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# --------------------------------------------------------------------------- values


def _yes_no(text: str) -> bool | None:
    value = text.strip().lower().rstrip(".")
    if value in {"", "unknown", "?", "not known", "dont know", "don't know"}:
        return None
    if value in {"yes", "y", "true", "t", "1", "x", "✓", "✔", "only", "required", "needed"}:
        return True
    if value in {"no", "n", "false", "f", "0", "not required", "not needed"}:
        return False
    raise ValueError(text)


def _referral(text: str) -> bool | None:
    value = text.strip().lower()
    if any(
        k in value
        for k in ("self refer", "self-refer", "drop in", "drop-in", "open access", "walk in")
    ):
        return False
    if any(
        k in value
        for k in ("referral only", "by referral", "professional referral", "must be referred")
    ):
        return True
    return _yes_no(text)


def _cost(text: str) -> str | None:
    value = text.strip().lower()
    if value in {"", "unknown", "?"}:
        return None
    if value in {"free", "no charge", "none", "nil", "£0", "0", "£0.00", "free of charge"}:
        return "free"
    if any(
        k in value for k in ("low", "small charge", "donation", "subsidi", "pay what", "concession")
    ):
        return "low"
    if value in {"paid", "charge", "charged", "fee", "yes"} or "per session" in value:
        return "paid"
    amount = re.fullmatch(r"£\s*(\d+(?:\.\d{1,2})?)", value)
    if amount:
        pounds = float(amount.group(1))
        return "free" if pounds == 0 else "low" if pounds <= 5 else "paid"
    if value.startswith("free"):
        return "free"
    raise ValueError(text)


def _gender(text: str) -> str | None:
    value = text.strip().lower()
    if value in {"", "any", "all", "everyone", "mixed", "both", "anyone", "all genders", "no"}:
        return "any" if value else None
    if value in {
        "women",
        "woman",
        "female",
        "f",
        "ladies",
        "women only",
        "girls",
        "women and girls",
    }:
        return "women"
    if value in {"men", "man", "male", "m", "men only", "boys", "men and boys"}:
        return "men"
    raise ValueError(text)


def _convictions(text: str) -> str | None:
    value = text.strip().lower()
    if value in {"", "unknown", "?"}:
        return None
    if value in {"welcome", "yes", "y", "accepted", "accept", "all welcome"}:
        return "welcome"
    if value in {"case by case", "case-by-case", "depends", "maybe", "discuss", "ask"}:
        return "case_by_case"
    if value in {"no", "n", "not accepted", "not welcome", "none"}:
        return "not_accepted"
    raise ValueError(text)


def _wheelchair(text: str) -> str | None:
    value = text.strip().lower()
    if value in {"", "unknown", "?"}:
        return None
    if value in {"yes", "y", "true", "full", "fully accessible", "step free", "step-free"}:
        return "yes"
    if value in {"limited", "partial", "partly", "some", "partially"}:
        return "limited"
    if value in {"no", "n", "false", "none", "not accessible"}:
        return "no"
    raise ValueError(text)


def _kind(text: str) -> str | None:
    value = text.strip().lower()
    if not value:
        return None
    singular = value[:-1] if value.endswith("s") and value[:-1] in KINDS else value
    if singular in KINDS:
        return singular
    raise ValueError(text)


def _age_range(text: str) -> tuple[int | None, int | None]:
    value = text.strip().lower().replace("–", "-").replace("years", "").replace("yrs", "").strip()
    if value in {"", "any", "all", "all ages", "any age", "everyone"}:
        return None, None
    if value in {"adult", "adults", "adults only"}:
        return 18, None
    patterns: tuple[tuple[str, Callable[[re.Match[str]], tuple[int | None, int | None]]], ...] = (
        (r"(\d{1,3})\s*\+", lambda m: (int(m.group(1)), None)),
        (r"(?:over|from|aged)\s*(\d{1,3})(?:\s*and over)?", lambda m: (int(m.group(1)), None)),
        (r"(\d{1,3})\s*(?:and over|and above|or over|plus)", lambda m: (int(m.group(1)), None)),
        (r"(\d{1,3})\s*(?:-|to)\s*(\d{1,3})", lambda m: (int(m.group(1)), int(m.group(2)))),
        (r"under\s*(\d{1,3})", lambda m: (None, int(m.group(1)) - 1)),
        (r"up to\s*(\d{1,3})", lambda m: (None, int(m.group(1)))),
    )
    for pattern, build in patterns:
        found = re.fullmatch(pattern, value)
        if found:
            low, high = build(found)
            # A reversed range ("30-18") is reported by the caller in plain words.
            if (low is None or low <= 150) and (high is None or 0 <= high <= 150):
                return low, high
    raise ValueError(text)


def _whole_age(text: str) -> int | None:
    value = text.strip()
    if not value:
        return None
    number = float(value)
    if not number.is_integer() or not 0 <= number <= 150:
        raise ValueError(text)
    return int(number)


def _date(text: str) -> dt.date | None:
    value = text.strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%d %B %Y", "%d %b %Y"):
        try:
            return dt.datetime.strptime(value[:10] if fmt == "%Y-%m-%d" else value, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


PARSERS: Final[dict[str, tuple[Callable[[str], Any], str]]] = {
    "women_only": (_yes_no, "must be yes or no"),
    "men_only": (_yes_no, "must be yes or no"),
    "referral_required": (_referral, "must be yes or no (or 'self-referral', 'referral only')"),
    "dbs_check": (_yes_no, "must be yes or no"),
    "cost": (_cost, "must be free, low cost, paid or an amount like £3"),
    "gender": (_gender, "must be any, women or men"),
    "convictions": (_convictions, "must be welcome, case by case or not accepted"),
    "wheelchair": (_wheelchair, "must be yes, limited or no"),
    "kind": (_kind, f"must be one of {', '.join(KINDS)}"),
    "age": (_age_range, "must be an age range like 18+, 18-25, under 25 or 'all ages'"),
    "min_age": (_whole_age, "must be a whole number of years from 0 to 150"),
    "max_age": (_whole_age, "must be a whole number of years from 0 to 150"),
    "last_verified": (_date, "must be a date like 2024-05-31 or 31/05/2024"),
}
# Problems with these fields leave the value out with a warning; the rest reject the row.
WARN_ONLY: Final = frozenset({"last_verified"})


def formula_cells(values: pd.Series) -> pd.Series:
    """Return a mask of cells a spreadsheet program would run as a formula."""
    stripped = values.astype(str).str.lstrip()
    first = stripped.str[:1]
    risky = first.isin(["=", "@"])
    signed = first.isin(["+", "-"])
    if signed.any():  # the regexes only for the few signed cells
        cells = stripped[signed]
        harmless = cells.str.match(_NUMBER_RE) | (
            cells.str.match(_BULLET_RE) & ~cells.str.contains(r"[(|!=]", regex=True)
        )
        risky[signed] = ~harmless.to_numpy(dtype=bool)
    return risky


def parse_column(
    values: pd.Series, target: str, problems: ProblemLog
) -> tuple[pd.Series, pd.Index]:
    """Parse a column through its value parser; report and blank the bad cells."""
    parser, expected = PARSERS[target]
    parsed: dict[str, Any] = {}
    bad: set[str] = set()
    for text in values.unique():
        try:
            parsed[text] = parser(text)
        except ValueError:
            bad.add(text)
    mask = values.isin(bad)
    problems.add_rows(
        values.index[mask],
        target,
        f"`{target}` {expected}",
        values[mask],
        "warning" if target in WARN_ONLY else "error",
    )
    out = values.map(lambda t: parsed.get(t)).astype(object)
    return out, values.index[mask]


def coordinates(
    frame: pd.DataFrame, mapping: ColumnMapping, problems: ProblemLog
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], pd.Series]:
    """Return lon, lat (NaN where none) and the text of the cells they came from."""
    count = len(frame)
    lon = np.full(count, np.nan)
    lat = np.full(count, np.nan)
    raw = pd.Series("", index=frame.index, dtype=object)
    pairs = [("lon", "lat", False), ("easting", "northing", True), ("x", "y", None)]
    for xf, yf, projected in pairs:
        if not (mapping.column_for(xf) and mapping.column_for(yf)):
            continue
        xs, ys = mapped_text(frame, mapping, xf), mapped_text(frame, mapping, yf)
        xv = pd.to_numeric(
            xs.str.replace("°", "", regex=False).str.replace(",", ".", regex=False), errors="coerce"
        )
        yv = pd.to_numeric(
            ys.str.replace("°", "", regex=False).str.replace(",", ".", regex=False), errors="coerce"
        )
        for target, texts, numbers in ((xf, xs, xv), (yf, ys, yv)):
            bad = (texts != "") & numbers.isna()
            problems.add_rows(frame.index[bad], target, f"`{target}` is not a number", texts[bad])
        xa, ya = xv.to_numpy(float), yv.to_numpy(float)
        use_grid = projected
        if projected is None:  # "X"/"Y": degrees if they fit, else British National Grid.
            ok = np.isfinite(xa) & np.isfinite(ya)
            use_grid = bool(ok.any() and (np.abs(xa[ok]) > 180).any())
        if use_grid:
            good = (
                np.isfinite(xa)
                & np.isfinite(ya)
                & (xa >= 0)
                & (xa <= 700_000)
                & (ya >= 0)
                & (ya <= 1_300_000)
            )
            outside = np.isfinite(xa) & np.isfinite(ya) & ~good
            problems.add_rows(
                frame.index[outside],
                xf,
                "eastings/northings are outside the British National Grid",
                (xs + ", " + ys)[outside],
            )
            gx, gy = bng_to_wgs84(np.where(good, xa, np.nan), np.where(good, ya, np.nan))
            xa, ya = np.where(good, gx, np.nan), np.where(good, gy, np.nan)
        else:
            invalid = np.isfinite(xa) & np.isfinite(ya) & ((np.abs(xa) > 180) | (np.abs(ya) > 90))
            problems.add_rows(
                frame.index[invalid],
                yf,
                "latitude must be within ±90 and longitude within ±180",
                (ys + ", " + xs)[invalid],
            )
            xa, ya = np.where(invalid, np.nan, xa), np.where(invalid, np.nan, ya)
        fill = np.isnan(lon) & np.isfinite(xa) & np.isfinite(ya)
        lon[fill], lat[fill] = xa[fill], ya[fill]
        raw[fill] = (ys + ", " + xs)[fill]
    return lon, lat, raw
