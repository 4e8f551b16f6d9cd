"""Import Open Referral HSDS (3.0 and Open Referral UK v1) into the asset table.

One asset is one *service at a location*: a service delivered at N locations
becomes N assets, and a service with no location is reported, never silently
dropped. ``source_id`` is the HSDS ``service_at_location`` id (or
``<service id>@<location id>`` when the feed has none), so importing the same
feed again matches the same assets.

Accepted shapes
---------------
- HSDS 3.0 full records: a ``service`` (nested ``organization``,
  ``service_at_locations[].location``, ``schedules``, ``cost_options``,
  ``attributes[].taxonomy_term``, ``contacts``, ``phones``), an
  ``organization`` with nested ``services``, a ``service_at_location`` with
  nested ``service`` and ``location``;
- paged lists as an HSDA API returns them (``{"contents": [...], ...}``; the
  Open Referral UK v1 ``{"content": [...], "totalElements": ...}`` too);
- the tabular form: a folder or zip of ``services.csv``, ``organizations.csv``,
  ``locations.csv``, ``service_at_location.csv``, ``schedules.csv``,
  ``phones.csv``, ... (or the same tables as one JSON object of
  ``"services.csv": [rows]``);
- Open Referral UK v1 records (``regular_schedules``, ``service_taxonomys``,
  ``eligibilitys``, ``physical_addresses``, ``accessibility_for_disabilities``).

Fetching (:func:`fetch_url`) is kept apart from parsing
(:func:`assets_from_hsds`); :func:`read_hsds` joins them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import math
import re
import urllib.parse
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path, PurePosixPath
from typing import Any, Final

import geopandas as gpd
import pandas as pd
from rapidfuzz import fuzz, process, utils

from assetmap.errors import AssetMapError, IngestError
from assetmap.geo import UK_BOUNDS
from assetmap.ingest.fetch import FeedTooLargeError, fetch_public_url, parse_json_text
from assetmap.ingest.postcodes import is_postcode, normalise_postcode
from assetmap.ingest.problems import REPORT_COLUMNS, ProblemLog, errors_in, problems_in
from assetmap.schema import ASSET_COLUMNS, empty_assets, normalise_record, validate_assets
from assetmap.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "ASSETMAP_VOCABULARY",
    "CONVICTIONS_TERM",
    "MODELLED_FIELDS",
    "OPENING_HOURS_NOTE",
    "REPORT_COLUMNS",
    "TAXONOMY_COLUMNS",
    "TERM_COLUMNS",
    "Fetcher",
    "HsdsLimits",
    "HsdsResult",
    "assets_from_hsds",
    "fetch_url",
    "modelled_values",
    "opening_hours_from_schedules",
    "read_hsds",
    "schedules_from_opening_hours",
]

logger = logging.getLogger(__name__)

#: The vocabulary assetmap writes its own category and eligibility codes under.
ASSETMAP_VOCABULARY: Final = "assetmap"
#: Open Eligibility "human situation" for people with a criminal record
#: (``formats/situations.csv`` of the openeligibility repository).
CONVICTIONS_TERM: Final = (
    "openeligibility",
    "human_situations:justice_involvement:criminal_justice_history",
    "Criminal Justice History",
)
#: Prefix of the schedule note that carries an OSM ``opening_hours`` string verbatim.
OPENING_HOURS_NOTE: Final = "OSM opening_hours: "
TERM_COLUMNS: Final = ("vocabulary", "code", "name", "category", "method", "score")
TAXONOMY_COLUMNS: Final = (
    "kind",
    "id",
    "vocabulary",
    "taxonomy_id",
    "code",
    "name",
    "description",
    "parent_id",
    "term_uri",
    "category",
    "method",
    "score",
)

_DAYS: Final = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_DAY_NAMES: Final[dict[str, int]] = {
    **{d.lower(): i for i, d in enumerate(_DAYS)},
    **{
        name: i
        for i, names in enumerate(
            (
                ("monday", "mon"),
                ("tuesday", "tue", "tues"),
                ("wednesday", "wed"),
                ("thursday", "thu", "thur", "thurs"),
                ("friday", "fri"),
                ("saturday", "sat"),
                ("sunday", "sun"),
            )
        )
        for name in names
    },
}
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?\s*$")
_FUZZY_CUTOFF: Final = 88.0

_WOMEN = re.compile(r"\b(women|woman|womens|women's|female|females|girls|ladies)\b", re.I)
_MEN = re.compile(r"\b(men|man|mens|men's|male|males|boys)\b", re.I)
_CONV_NOT = re.compile(
    r"\b(no|not|without)\b[^.;]{0,25}\b(convictions?|criminal records?|offen[cs]es?)\b", re.I
)
_CONV_CASE = re.compile(r"\bcase[- ]by[- ]case\b", re.I)
_CONV_YES = re.compile(
    r"\b(ex-?offenders?|offenders?|criminal records?|convictions?|criminal justice"
    r"|on probation|prison leavers?|justice[- ]involved)\b",
    re.I,
)
_WHEEL_NO = re.compile(
    r"\b(no|not)\b[^.;]{0,30}\b(wheelchair|step[- ]free|accessible)\b"
    r"|\bwheelchair\b[^.;]{0,20}\b(not|no)\b",
    re.I,
)
_WHEEL_LIMITED = re.compile(
    r"\b(limited|partial|partly|some)\b[^.;]{0,30}\b(wheelchair|step[- ]free|access)\b", re.I
)
_WHEEL_YES = re.compile(
    r"\b(wheelchair|step[- ]free|level access|ramp(ed)?|accessible (entrance|toilet))\b", re.I
)
_COST_LOW = re.compile(
    r"\b(low[- ]cost|small charge|donations?|pay as you feel|subsidi[sz]ed|concessions?)\b", re.I
)
_COST_FREE = re.compile(r"\bfree\b", re.I)
_COST_PAID = re.compile(r"£\s?\d|\b(charge[sd]?|fees? apply|paid|per (hour|session))\b", re.I)


# --------------------------------------------------------------------------- config


@dataclass(frozen=True, slots=True)
class HsdsLimits:
    """Limits on what an HSDS source may hold, checked before anything is imported.

    Parameters
    ----------
    max_bytes
        Largest file, download or uncompressed zip accepted.
    max_records
        Most service records (or tabular rows in one table) accepted.
    max_depth
        Deepest JSON nesting accepted (HSDS full records nest about 8 deep).
    timeout_s
        Network timeout of one URL fetch, in seconds.
    max_pages
        Most pages followed when a URL returns a paged list.
    max_json_values
        Most JSON values in one document, counted before parsing as its
        commas, ``{`` and ``[`` (an upper bound): stops a small file of
        millions of tiny values from taking gigabytes once parsed.
    allow_private_hosts
        Let a URL import fetch from loopback, private and link-local
        addresses (off by default: see :mod:`assetmap.ingest.fetch`). For an
        administrator importing from their own network on purpose, and for
        tests serving a feed on 127.0.0.1.

    For a URL, ``max_bytes`` limits the whole feed: all its pages together.
    """

    max_bytes: int = 50 * 1024 * 1024
    max_records: int = 50_000
    max_depth: int = 32
    timeout_s: float = 30.0
    max_pages: int = 200
    max_json_values: int = 5_000_000
    allow_private_hosts: bool = False

    def __post_init__(self) -> None:
        for name in (
            "max_bytes",
            "max_records",
            "max_depth",
            "timeout_s",
            "max_pages",
            "max_json_values",
        ):
            value = getattr(self, name)
            if not value > 0:
                msg = f"`{name}` must be positive, got {value!r}."
                raise ValueError(msg)


@dataclass(frozen=True)
class HsdsResult:
    """What an HSDS import produced.

    Attributes
    ----------
    assets
        The accepted assets, validated with :func:`assetmap.schema.validate_assets`.
    report
        One row per :class:`~assetmap.ingest.problems.Problem`
        (:data:`~assetmap.ingest.problems.REPORT_COLUMNS`): ``row`` (the JSON
        path or table row, e.g. ``"services[3].service_at_locations[0]"``),
        ``field``, ``problem``, ``value`` (empty: the problem names the value)
        and ``severity`` (``"error"``: the record was not imported;
        ``"warning"``: it was imported without that detail).
    terms
        How each taxonomy term met was mapped: ``vocabulary``, ``code``,
        ``name``, ``category`` (None when unmapped), ``method`` (``assetmap``,
        ``hsds_term``, ``name``, ``fuzzy`` or ``none``) and ``score``.
    rejected
        The records that failed validation, as mapped (with ``lon``/``lat``
        and ``row``), so a user can see and fix them.
    taxonomy
        When the data is a taxonomy or taxonomy-term file (not services):
        one row per term, :data:`TAXONOMY_COLUMNS`, with the assetmap
        category it maps to (``assets`` is then empty).
    """

    assets: gpd.GeoDataFrame
    report: pd.DataFrame
    terms: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TERM_COLUMNS))
    rejected: pd.DataFrame = field(default_factory=pd.DataFrame)
    taxonomy: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TAXONOMY_COLUMNS))

    @property
    def errors(self) -> pd.DataFrame:
        """The report rows whose record was not imported."""
        return errors_in(self.report)

    def raise_for_problems(self) -> None:
        """Raise :class:`IngestError` when any record was not imported.

        Raises
        ------
        IngestError
            Naming the first few records and fields at fault.
        """
        errors = self.errors
        if errors.empty:
            return
        shown = "; ".join(p.line() for p in problems_in(errors.head(5)))
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        msg = f"{len(errors)} HSDS record(s) could not be imported: {shown}{more}."
        raise IngestError(msg)


Fetcher = Callable[[str, HsdsLimits], bytes]


# --------------------------------------------------------------------------- small helpers


def _obj(value: Any) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


def _items(
    value: Any, problems: ProblemLog | None = None, where: str = "", fld: str = ""
) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if problems is not None:
        problems.add(where, fld, f"expected a list, got {type(value).__name__}", severity="warning")
    return []


def _objs(
    value: Any, problems: ProblemLog | None = None, where: str = "", fld: str = ""
) -> list[Mapping[str, Any]]:
    return [v for v in _items(value, problems, where, fld) if isinstance(v, Mapping)]


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        text = value.strip().strip('"').strip()
        return text or None
    if isinstance(value, int | float) and math.isfinite(value):
        return str(int(value)) if float(value).is_integer() else str(value)
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _too_big(what: str, size: int, limit: int, unit: str, name: str) -> str:
    return f"{what} {size:,} {unit}; the limit is {limit:,} (HsdsLimits.{name})."


def _whole(value: float) -> int | float:
    return int(value) if value.is_integer() else value


def _norm_vocab(value: str | None) -> str:
    return re.sub(r"[\s_\-]+", "", (value or "").lower())


def _check_shape(data: Any, limits: HsdsLimits) -> None:
    """Raise when ``data`` nests deeper than allowed (iterative, no recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limits.max_depth:
            msg = (
                f"The HSDS data nests more than {limits.max_depth} levels deep "
                "(HsdsLimits.max_depth); it is not a plausible HSDS feed."
            )
            raise IngestError(msg)
        if isinstance(node, Mapping):
            stack.extend((v, depth + 1) for v in node.values() if isinstance(v, Mapping | list))
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node if isinstance(v, Mapping | list))


# --------------------------------------------------------------------------- opening hours


def _time(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    match = _TIME.match(text)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        return None
    return f"{hour:02d}:{minute:02d}"


def _schedule_days(schedule: Mapping[str, Any]) -> list[int] | None:
    byday = _text(schedule.get("byday"))
    if byday:
        days = []
        for part in byday.split(","):
            key = part.strip().lower()
            if key not in _DAY_NAMES:
                return None  # "2MO" (second Monday) and the like
            days.append(_DAY_NAMES[key])
        return days
    weekday = schedule.get("weekday")
    number = _number(weekday)
    if number is not None and not isinstance(weekday, str):
        return [int(number) - 1] if number in {1, 2, 3, 4, 5, 6, 7} else None
    text = _text(weekday)
    if text and text.lower() in _DAY_NAMES:
        return [_DAY_NAMES[text.lower()]]
    if text and text.isascii() and text.isdigit() and 1 <= int(text) <= 7:
        return [int(text) - 1]
    return None


def _format_days(days: Sequence[int]) -> str:
    parts: list[str] = []
    run: list[int] = []
    for day in sorted(set(days)):
        if run and day != run[-1] + 1:
            parts.append(_format_run(run))
            run = []
        run.append(day)
    if run:
        parts.append(_format_run(run))
    return ",".join(parts)


def _format_run(run: Sequence[int]) -> str:
    if len(run) >= 3:
        return f"{_DAYS[run[0]]}-{_DAYS[run[-1]]}"
    return ",".join(_DAYS[d] for d in run)


def _hours(schedules: Sequence[Mapping[str, Any]]) -> tuple[str | None, str | None]:
    """Return (opening_hours, problem) for HSDS/ORUK schedules."""
    for schedule in schedules:
        note = _text(schedule.get("notes"))
        if note and note.startswith(OPENING_HOURS_NOTE):
            return note[len(OPENING_HOURS_NOTE) :].strip() or None, None
    per_day: dict[int, list[tuple[str, str]]] = {}
    for schedule in schedules:
        freq = (_text(schedule.get("freq")) or "WEEKLY").upper()
        interval = _number(schedule.get("interval"))
        if freq != "WEEKLY" or (interval is not None and interval != 1):
            return None, f"a {freq.lower()} schedule (interval {interval or 1}) has no OSM form"
        days = _schedule_days(schedule)
        opens, closes = _time(schedule.get("opens_at")), _time(schedule.get("closes_at"))
        if days is None or not days:
            return None, "a schedule gives no plain weekdays (byday/weekday)"
        if opens is None or closes is None:
            return None, "a schedule has no opens_at/closes_at time"
        for day in days:
            if (opens, closes) not in per_day.setdefault(day, []):
                per_day[day].append((opens, closes))
    if not per_day:
        return None, None
    groups: dict[tuple[tuple[str, str], ...], list[int]] = {}
    for day in sorted(per_day):
        groups.setdefault(tuple(sorted(per_day[day])), []).append(day)
    rules = [
        f"{_format_days(days)} {','.join(f'{o}-{c}' for o, c in ranges)}"
        for ranges, days in sorted(groups.items(), key=lambda item: item[1][0])
    ]
    return "; ".join(rules), None


def opening_hours_from_schedules(schedules: Sequence[Mapping[str, Any]]) -> str | None:
    """Return an OSM ``opening_hours`` string for HSDS or Open Referral UK schedules.

    Weekly schedules with ``byday`` (HSDS 3.0, iCal ``MO,TU``) or ``weekday``
    (Open Referral UK v1, ``"Monday"`` or ISO 1-7) and ``opens_at``/``closes_at``
    are combined; a note ``"OSM opening_hours: ..."`` (what assetmap exports)
    is used verbatim.

    Parameters
    ----------
    schedules
        HSDS schedule records.

    Returns
    -------
    str or None
        None when there are no schedules or they cannot be written in OSM form
        (monthly, fortnightly, no times).

    Examples
    --------
    >>> opening_hours_from_schedules([
    ...     {"byday": "MO,TU,WE", "opens_at": "09:00", "closes_at": "17:00"},
    ...     {"weekday": "Friday", "opens_at": "10:00:00", "closes_at": "12:00:00"},
    ... ])
    'Mo-We 09:00-17:00; Fr 10:00-12:00'
    """
    return _hours(schedules)[0]


_OH_DAYSPEC = re.compile(r"^(Mo|Tu|We|Th|Fr|Sa|Su)(?:-(Mo|Tu|We|Th|Fr|Sa|Su))?$")
_OH_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


def schedules_from_opening_hours(value: str) -> list[dict[str, str]] | None:
    """Split a simple OSM ``opening_hours`` string into HSDS weekly schedules.

    Parameters
    ----------
    value
        Rules like ``"Mo-Fr 09:00-17:00; Sa 10:00-12:00"``.

    Returns
    -------
    list of dict or None
        One ``{"freq", "byday", "opens_at", "closes_at"}`` per time range, or
        None when the string uses OSM syntax beyond weekdays and times
        (``24/7``, ``PH off``, week numbers...).

    Examples
    --------
    >>> schedules_from_opening_hours("Mo,We 10:00-12:00")
    [{'freq': 'WEEKLY', 'byday': 'MO,WE', 'opens_at': '10:00', 'closes_at': '12:00'}]
    >>> schedules_from_opening_hours("24/7") is None
    True
    """
    out: list[dict[str, str]] = []
    for rule in (r.strip() for r in value.split(";")):
        if not rule:
            continue
        parts = rule.split(None, 1)
        if len(parts) != 2:
            return None
        days: list[int] = []
        for spec in parts[0].split(","):
            match = _OH_DAYSPEC.match(spec)
            if not match:
                return None
            start = _DAYS.index(match.group(1))
            end = _DAYS.index(match.group(2)) if match.group(2) else start
            if end < start:
                return None
            days.extend(range(start, end + 1))
        byday = ",".join(_DAYS[d].upper() for d in sorted(set(days)))
        for span in parts[1].replace(" ", "").split(","):
            match = _OH_RANGE.match(span)
            if not match or _time(span.split("-")[0]) is None or _time(span.split("-")[1]) is None:
                return None
            opens, closes = span.split("-")
            out.append({"freq": "WEEKLY", "byday": byday, "opens_at": opens, "closes_at": closes})
    return out or None


# --------------------------------------------------------------------------- taxonomy terms


@dataclass(frozen=True)
class _TermIndex:
    exact: Mapping[tuple[str, str], str]
    names: Mapping[str, str]
    choices: Sequence[str]
    choice_codes: Sequence[str]

    @classmethod
    def build(cls, taxonomy: Taxonomy) -> _TermIndex:
        exact: dict[tuple[str, str], str] = {}
        names: dict[str, str] = {}
        for cat in taxonomy.categories.values():
            exact[(ASSETMAP_VOCABULARY, cat.code)] = cat.code
            for term in cat.hsds_terms:
                exact.setdefault((_norm_vocab(term.vocabulary), term.code), cat.code)
                names.setdefault(utils.default_process(term.name), cat.code)
        for cat in taxonomy.categories.values():
            for label in (cat.label, cat.plain_label, *cat.keywords):
                names.setdefault(utils.default_process(label), cat.code)
        return cls(exact=exact, names=names, choices=list(names), choice_codes=list(names.values()))

    def match(
        self, vocabulary: str | None, code: str | None, name: str | None
    ) -> tuple[str | None, str, float]:
        vocab = _norm_vocab(vocabulary)
        if code and (vocab, code) in self.exact:
            method = "assetmap" if vocab == ASSETMAP_VOCABULARY else "hsds_term"
            return self.exact[(vocab, code)], method, 100.0
        if vocab == ASSETMAP_VOCABULARY:
            return None, "none", 0.0
        key = utils.default_process(name or "")
        if not key:
            return None, "none", 0.0
        if key in self.names:
            return self.names[key], "name", 100.0
        best = process.extractOne(key, self.choices, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF)
        if best is None:
            return None, "none", 0.0
        return self.choice_codes[best[2]], "fuzzy", round(float(best[1]), 1)


def _service_terms(service: Mapping[str, Any]) -> list[tuple[str | None, str | None, str | None]]:
    """(vocabulary, code, name) of every taxonomy term linked to a service."""
    out: list[tuple[str | None, str | None, str | None]] = []
    for attribute in _objs(service.get("attributes")):
        term = _obj(attribute.get("taxonomy_term"))
        if term is not None:
            out.append(_term_triple(term))
    for term in _objs(service.get("taxonomy_terms")):
        out.append(_term_triple(term))
    for link in _objs(service.get("service_taxonomys")):  # Open Referral UK v1
        term = _obj(link.get("taxonomy"))
        if term is not None:
            out.append(
                (_text(term.get("vocabulary")), _text(term.get("id")), _text(term.get("name")))
            )
    return out


def _term_triple(term: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    detail = _obj(term.get("taxonomy_detail")) or {}
    vocabulary = (
        _text(term.get("taxonomy")) or _text(detail.get("name")) or _text(term.get("vocabulary"))
    )
    code = _text(term.get("code")) or _text(term.get("term")) or _text(term.get("id"))
    return vocabulary, code, _text(term.get("name"))


# --------------------------------------------------------------------------- shapes -> services


@dataclass
class _Service:
    path: str
    record: Mapping[str, Any]
    organization: Mapping[str, Any] | None


def _looks_like_service(node: Mapping[str, Any]) -> bool:
    keys = set(node)
    return bool(
        keys
        & {
            "service_at_locations",
            "regular_schedules",
            "service_taxonomys",
            "eligibilitys",
            "cost_options",
            "organization",
            "eligibility_description",
            "program",
        }
    ) or ("status" in keys and "name" in keys and "services" not in keys)


def _is_tabular(node: Mapping[str, Any]) -> bool:
    keys = {str(k).removesuffix(".csv") for k in node}
    return (
        "services" in keys
        and any(
            k in keys
            for k in ("service_at_location", "service_at_locations", "locations", "organizations")
        )
        and all(isinstance(v, list) for v in node.values())
    )


def _collect_services(
    data: Any, problems: ProblemLog, limits: HsdsLimits, root: str = "services"
) -> list[_Service]:
    if isinstance(data, list):
        if len(data) > limits.max_records:  # before looking at each item
            msg = _too_big(
                "The HSDS data holds", len(data), limits.max_records, "services", "max_records"
            )
            raise IngestError(msg)
        out: list[_Service] = []
        for i, item in enumerate(data):
            node = _obj(item)
            where = f"{root}[{i}]"
            if node is None:
                problems.add(where, "", f"expected an object, got {type(item).__name__}")
                continue
            out.extend(_from_node(node, where, problems))
        return out
    node = _obj(data)
    if node is None:
        msg = (
            f"HSDS data must be a JSON object or list, got {type(data).__name__}: expected a "
            "service, an organization, a service_at_location, a paged list or tables."
        )
        raise IngestError(msg)
    if not node:
        msg = "The HSDS data is an empty object. No HSDS services found."
        raise IngestError(msg)
    for key in ("contents", "content"):
        if isinstance(node.get(key), list):
            return _collect_services(node[key], problems, limits, root=key)
    if _is_tabular(node):
        return _services_from_tables(
            {str(k).removesuffix(".csv"): v for k, v in node.items()},
            problems,
            limits,
            suffix=".csv",
        )
    if (
        "services" in node
        and isinstance(node["services"], list)
        and not _looks_like_service(node)
        and "name" not in node
    ):
        return _collect_services(node["services"], problems, limits)
    return _from_node(node, "", problems)


_ORG_KEYS: Final = frozenset(
    {
        "tax_status",
        "tax_id",
        "legal_status",
        "year_incorporated",
        "logo",
        "website",
        "parent_organization_id",
        "organization_identifiers",
        "programs",
        "funding",
    }
)
_TERM_KEYS: Final = frozenset(
    {
        "id",
        "code",
        "name",
        "description",
        "parent_id",
        "taxonomy",
        "taxonomy_detail",
        "language",
        "taxonomy_id",
        "term_uri",
        "uri",
        "version",
        "vocabulary",
        "metadata",
        "term",
        "taxonomy_terms",
    }
)


def _record_kind(node: Mapping[str, Any]) -> str:
    """Name the HSDS record type of ``node`` ("service" unless it is clearly something else)."""
    if _obj(node.get("service")) is not None:
        return "service_at_location"
    if _looks_like_service(node) or "status" in node:
        return "service"
    if isinstance(node.get("services"), list) or _ORG_KEYS.intersection(node):
        return "organization"
    if "location_type" in node or "latitude" in node or "addresses" in node:
        return "location"
    if "openapi_url" in node or "profile" in node:
        return "API root (base)"
    if node and set(node) <= _TERM_KEYS and "name" in node and "id" in node:
        return "taxonomy or taxonomy_term"
    return "service"


def _from_node(node: Mapping[str, Any], where: str, problems: ProblemLog) -> list[_Service]:
    kind = _record_kind(node)
    if kind == "service_at_location":
        service = dict(node["service"])
        sal = {k: v for k, v in node.items() if k != "service"}
        service["service_at_locations"] = [sal]
        org = _obj(service.get("organization"))
        return [
            _Service(f"{where}.service" if where else "service_at_location.service", service, org)
        ]
    if kind == "organization":
        base = where or "organization"
        services = _items(node.get("services"), problems, base, "services")
        if not services:
            name = _text(node.get("name")) or "this organization"
            problems.add(base, "services", f"{name!r} lists no services", severity="warning")
        out = []
        for i, item in enumerate(services):
            org_service = _obj(item)
            if org_service is None:
                problems.add(
                    f"{base}.services[{i}]", "", f"expected an object, got {type(item).__name__}"
                )
                continue
            out.append(
                _Service(
                    f"{base}.services[{i}]",
                    org_service,
                    _obj(org_service.get("organization")) or node,
                )
            )
        return out
    if kind != "service":
        if not where:
            msg = (
                f"This is an HSDS {kind} record, not services: import a service, an organization "
                "with services, a service_at_location, a paged list of them, or the tables."
            )
            raise IngestError(msg)
        problems.add(where, "", f"an HSDS {kind} record, not a service")
        return []
    return [_Service(where or "service", node, _obj(node.get("organization")))]


def _index(rows: Iterable[Mapping[str, Any]], key: str) -> dict[str, list[Mapping[str, Any]]]:
    out: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        value = _text(row.get(key))
        if value:
            out.setdefault(value, []).append(row)
    return out


#: Tables the tabular join places itself; every other table is attached by its links.
_JOINED_TABLES: Final = frozenset(
    {
        "organizations",
        "services",
        "service_at_location",
        "service_at_locations",
        "locations",
        "taxonomy_terms",
        "taxonomies",
        "attributes",
        "addresses",
        "accessibility",
        "schedules",
        "phones",
        "contacts",
        "cost_options",
        "meta_table_descriptions",
    }
)


def _linked_tables(
    rows: Mapping[str, list[Mapping[str, Any]]],
) -> tuple[dict[tuple[str, str], dict[str, list[Mapping[str, Any]]]], list[tuple[str, int]]]:
    """(entity, id) -> {table: rows} for the tables not joined by name.

    A row goes to the service it names (``service_id``), else the location,
    else the organisation (``funding``, ``service_areas``, ``languages``,
    ``required_documents``, ``organization_identifiers``, ``programs`` ...);
    ``metadata`` rows go to their ``resource_id``. So the nested records hold
    every table of the tabular form. Also returns (table, row index) of the
    rows that name no record of the feed.
    """
    known = {
        kind: {_text(r.get("id")) for r in rows.get(table, [])}
        for kind, table in (
            ("service", "services"),
            ("location", "locations"),
            ("organization", "organizations"),
        )
    }
    out: dict[tuple[str, str], dict[str, list[Mapping[str, Any]]]] = {}
    orphans: list[tuple[str, int]] = []
    for table, table_rows in rows.items():
        if table in _JOINED_TABLES:
            continue
        for position, row in enumerate(table_rows):
            placed = False
            if table == "metadata":
                target = _text(row.get("resource_id"))
                kinds = [(k, target) for k in ("service", "location", "organization")]
            else:
                kinds = [
                    (kind, _text(row.get(f"{kind}_id")))
                    for kind in ("service", "location", "organization")
                ]
            for kind, target in kinds:
                if target and target in known[kind]:
                    out.setdefault((kind, target), {}).setdefault(table, []).append(row)
                    placed = True
                    if table != "metadata":
                        break
            if not placed:
                orphans.append((table, position))
    return out, orphans


def _services_from_tables(
    tables: Mapping[str, Any], problems: ProblemLog, limits: HsdsLimits, *, suffix: str = ".csv"
) -> list[_Service]:
    """Join the tabular (datapackage) form into nested service records."""
    rows: dict[str, list[Mapping[str, Any]]] = {}
    for name, value in tables.items():
        table = _items(value, problems, f"{name}{suffix}", "")
        if len(table) > limits.max_records:
            msg = _too_big(
                f"{name}{suffix} has", len(table), limits.max_records, "rows", "max_records"
            )
            raise IngestError(msg)
        rows[name] = [
            {k: (None if v == "" else v) for k, v in r.items()}
            for r in table
            if isinstance(r, Mapping)
        ]
    sal_rows = rows.get("service_at_location", rows.get("service_at_locations", []))
    others, orphans = _linked_tables(rows)
    for orphan_table, position in orphans:
        problems.add(
            f"{orphan_table}{suffix} row {position + 2}",
            "",
            "names no service, location or organization of this feed; not imported",
            severity="warning",
        )
    orgs = {
        k: {**v[0], **others.get(("organization", k), {})}
        for k, v in _index(rows.get("organizations", []), "id").items()
    }
    locations = {
        k: {**v[0], **others.get(("location", k), {})}
        for k, v in _index(rows.get("locations", []), "id").items()
    }
    programs = {k: v[0] for k, v in _index(rows.get("programs", []), "id").items()}
    terms = {k: v[0] for k, v in _index(rows.get("taxonomy_terms", []), "id").items()}
    taxonomies = {k: v[0] for k, v in _index(rows.get("taxonomies", []), "id").items()}
    addresses = _index(rows.get("addresses", []), "location_id")
    access = _index(rows.get("accessibility", []), "location_id")
    attributes = _index(rows.get("attributes", []), "link_id")
    costs = _index(rows.get("cost_options", []), "service_id")
    contacts = _index(rows.get("contacts", []), "service_id")
    phones_by = {
        k: _index(rows.get("phones", []), k)
        for k in ("service_id", "location_id", "service_at_location_id")
    }
    sched_by = {
        k: _index(rows.get("schedules", []), k)
        for k in ("service_id", "location_id", "service_at_location_id")
    }
    sal_by_service = _index(sal_rows, "service_id")
    sal_position = {id(r): i for i, r in enumerate(sal_rows)}

    def linked_terms(link_id: str) -> list[dict[str, Any]]:
        out = []
        for attribute in attributes.get(link_id, []):
            term = terms.get(_text(attribute.get("taxonomy_term_id")) or "")
            if term is not None:
                detail = taxonomies.get(_text(term.get("taxonomy_id")) or "")
                nested = {**term, "taxonomy_detail": detail} if detail else dict(term)
                out.append({**attribute, "taxonomy_term": nested})
            else:
                out.append(dict(attribute))
        return out

    linked_ids = {
        _text(r.get("id"))
        for table in ("services", "locations", "organizations")
        for r in rows.get(table, [])
    }
    used_terms = {
        _text(a.get("taxonomy_term_id"))
        for link, found in attributes.items()
        if link in linked_ids
        for a in found
    }
    used_taxonomies = {_text(terms[t].get("taxonomy_id")) for t in used_terms if t in terms}
    taxonomy_hint = "; not imported with the services (import the file as a taxonomy to keep it)"
    for unused_table, key, used, problem in (
        ("attributes", "link_id", linked_ids, "links to no service, location or organization"),
        ("taxonomy_terms", "id", used_terms, "is used by no service, location or organization"),
        ("taxonomies", "id", used_taxonomies, "is used by no term of a service"),
    ):
        hint = "; not imported" if unused_table == "attributes" else taxonomy_hint
        for position, row in enumerate(rows.get(unused_table, [])):
            if _text(row.get(key)) not in used:
                problems.add(
                    f"{unused_table}{suffix} row {position + 2}",
                    key,
                    f"{problem}{hint}",
                    severity="warning",
                )

    services: list[_Service] = []
    for i, row in enumerate(rows.get("services", [])):
        where = f"services{suffix} row {i + 2}"
        sid = _text(row.get("id")) or ""
        service: dict[str, Any] = {**row, **others.get(("service", sid), {})}
        program = programs.get(_text(row.get("program_id")) or "")
        if program is not None:
            service["program"] = program
        service["cost_options"] = costs.get(sid, [])
        service["contacts"] = contacts.get(sid, [])
        service["phones"] = [
            p for p in phones_by["service_id"].get(sid, []) if not p.get("location_id")
        ]
        service["schedules"] = [
            s
            for s in sched_by["service_id"].get(sid, [])
            if not s.get("service_at_location_id") and not s.get("location_id")
        ]
        service["attributes"] = linked_terms(sid)
        sals = []
        for sal in sal_by_service.get(sid, []):
            sal_where = f"service_at_location{suffix} row {sal_position[id(sal)] + 2}"
            loc_id = _text(sal.get("location_id")) or ""
            location = locations.get(loc_id)
            if location is None:
                problems.add(
                    sal_where, "location_id", f"no location with id {loc_id!r} in locations{suffix}"
                )
                continue
            sal_id = _text(sal.get("id")) or ""
            sals.append(
                {
                    **sal,
                    "schedules": sched_by["service_at_location_id"].get(sal_id, []),
                    "phones": phones_by["service_at_location_id"].get(sal_id, []),
                    "location": {
                        **location,
                        **({"attributes": a} if (a := linked_terms(loc_id)) else {}),
                        "addresses": addresses.get(loc_id, []),
                        "accessibility": access.get(loc_id, []),
                        "schedules": sched_by["location_id"].get(loc_id, []),
                        "phones": phones_by["location_id"].get(loc_id, []),
                    },
                }
            )
        service["service_at_locations"] = sals
        org_id = _text(row.get("organization_id")) or ""
        org = orgs.get(org_id)
        if org is not None and (org_terms := linked_terms(org_id)):
            org = {**org, "attributes": org_terms}
        services.append(_Service(where, service, org))
    return services


# --------------------------------------------------------------------------- services -> records


def _first_text(*values: Any) -> str | None:
    for value in values:
        text = _text(value)
        if text:
            return text
    return None


def _phone(*sources: Mapping[str, Any]) -> str | None:
    for source in sources:
        for phone in _objs(source.get("phones")):
            number = _text(phone.get("number"))
            if number:
                return number
        for contact in _objs(source.get("contacts")):
            for phone in _objs(contact.get("phones")):
                number = _text(phone.get("number"))
                if number:
                    return number
    return None


def _email(*sources: Mapping[str, Any]) -> str | None:
    for source in sources:
        if _text(source.get("email")):
            return _text(source.get("email"))
        for contact in _objs(source.get("contacts")):
            if _text(contact.get("email")):
                return _text(contact.get("email"))
    return None


def _address(location: Mapping[str, Any]) -> tuple[str | None, str | None]:
    candidates = _objs(location.get("addresses")) + _objs(location.get("physical_addresses"))
    candidates.sort(
        key=lambda a: 0 if (_text(a.get("address_type")) or "physical") == "physical" else 1
    )
    for address in candidates:
        parts = [_text(address.get(k)) for k in ("address_1", "address_2", "city")]
        line = ", ".join(p for p in parts if p) or None
        postcode = _text(address.get("postal_code"))
        if line or postcode:
            return line, postcode
    return None, None


def _cost(service: Mapping[str, Any]) -> str | None:
    options = _objs(service.get("cost_options"))
    amounts = [a for a in (_number(o.get("amount")) for o in options) if a is not None]
    texts = " ".join(
        t
        for t in [
            *(_text(o.get("option")) for o in options),
            *(_text(o.get("amount_description")) for o in options),
        ]
        if t
    )
    if _COST_LOW.search(texts):
        return "low"
    if any(a > 0 for a in amounts):
        return "paid"
    if amounts or _COST_FREE.search(texts):
        return "free"
    fees = " ".join(
        t for t in (_text(service.get("fees")), _text(service.get("fees_description"))) if t
    )
    if _COST_LOW.search(fees):
        return "low"
    if _COST_FREE.search(fees) and not _COST_PAID.search(fees):
        return "free"
    if _COST_PAID.search(fees):
        return "paid"
    return None


def _wheelchair(location: Mapping[str, Any]) -> str | None:
    texts = [
        t
        for a in _objs(location.get("accessibility"))
        for t in (_text(a.get("description")), _text(a.get("details")))
        if t
    ]
    texts += [
        t
        for a in _objs(location.get("accessibility_for_disabilities"))
        if (t := _text(a.get("accessibility")))
    ]
    text = " ".join(texts)
    if not text:
        return None
    if _WHEEL_NO.search(text):
        return "no"
    if _WHEEL_LIMITED.search(text):
        return "limited"
    if _WHEEL_YES.search(text):
        return "yes"
    return None


def _eligibility(
    service: Mapping[str, Any], terms: Sequence[tuple[str | None, str | None, str | None]]
) -> dict[str, Any]:
    texts = [_text(service.get("eligibility_description"))]
    min_ages = [_number(service.get("minimum_age"))]
    max_ages = [_number(service.get("maximum_age"))]
    for item in _objs(service.get("eligibilitys")) + _objs(service.get("eligibilities")):
        texts.append(_text(item.get("eligibility")))
        min_ages.append(_number(item.get("minimum_age")))
        max_ages.append(_number(item.get("maximum_age")))
    conv_term = (_norm_vocab(CONVICTIONS_TERM[0]), CONVICTIONS_TERM[1])
    out: dict[str, Any] = {}
    for vocabulary, code, name in terms:
        vocab = _norm_vocab(vocabulary)
        if vocab == ASSETMAP_VOCABULARY and code and ":" in code:
            column, value = code.split(":", 1)
            if column in _ASSETMAP_FIELDS:
                out[column] = value
        elif (vocab, code) == conv_term:
            out.setdefault("convictions", "welcome")
        elif vocab not in {ASSETMAP_VOCABULARY} and name and "eligib" in vocab:
            texts.append(name)
    text = " ".join(t for t in texts if t)
    if "gender" not in out:
        women, men = bool(_WOMEN.search(text)), bool(_MEN.search(text))
        out["gender"] = "women" if women and not men else "men" if men and not women else "any"
    if "convictions" not in out:
        if _CONV_NOT.search(text):
            out["convictions"] = "not_accepted"
        elif _CONV_CASE.search(text):
            out["convictions"] = "case_by_case"
        elif _CONV_YES.search(text):
            out["convictions"] = "welcome"
    lows = [a for a in min_ages if a is not None]
    highs = [a for a in max_ages if a is not None]
    out.setdefault("min_age", _whole(min(lows)) if lows else None)
    out.setdefault("max_age", _whole(max(highs)) if highs else None)
    return out


def _schedules_for(
    service: Mapping[str, Any], sal: Mapping[str, Any], location: Mapping[str, Any]
) -> list[Mapping[str, Any]]:
    for source in (sal, location):
        found = _objs(source.get("schedules")) + _objs(source.get("regular_schedules"))
        if found:
            return found
    sal_id = _text(sal.get("id"))
    out = _objs(service.get("schedules"))
    for schedule in _objs(service.get("regular_schedules")):
        linked = _obj(schedule.get("service_at_location"))
        if linked is None or _text(linked.get("id")) in {None, sal_id}:
            out.append(schedule)
    return out


_V1_KEYS: Final = frozenset(
    {
        "regular_schedules",
        "service_taxonomys",
        "eligibilitys",
        "physical_addresses",
        "accessibility_for_disabilities",
    }
)


def _is_v1(service: Mapping[str, Any], location: Mapping[str, Any]) -> bool:
    """Whether a record is Open Referral UK v1 (kept, but not written back into HSDS 3.0)."""
    return bool(_V1_KEYS.intersection(service) or _V1_KEYS.intersection(location))


_UK_COUNTRIES: Final = frozenset({"GB", "UK", "GBR", "UNITED KINGDOM", "GREAT BRITAIN"})
_POSTCODE_CHARS: Final = 10  # the register's postcode column


def _country(location: Mapping[str, Any]) -> str | None:
    for address in _objs(location.get("addresses")) + _objs(location.get("physical_addresses")):
        country = _text(address.get("country"))
        if country:
            return country.upper()
    return None


def _checked_postcode(
    postcode: str | None, country: str | None, problems: ProblemLog, where: str
) -> str | None:
    """Return a UK postcode normalised; warn of a malformed one as the CSV import does."""
    if postcode is None:
        return None
    if country is not None and country not in _UK_COUNTRIES:
        if len(postcode) > _POSTCODE_CHARS:
            problems.add(
                where,
                "location.addresses.postal_code",
                f"longer than {_POSTCODE_CHARS} characters (kept in the source record only)",
                value=postcode,
                severity="warning",
            )
            return None
        return postcode
    if not is_postcode(postcode):
        problems.add(
            where,
            "location.addresses.postal_code",
            "not a UK postcode (the coordinates are used)",
            value=postcode,
            severity="warning",
        )
        return None
    return normalise_postcode(postcode)


def _check_position(lon: float, lat: float, problems: ProblemLog, where: str) -> bool:
    """Report swapped (an error) or outside-the-UK (a warning) coordinates, as the CSV import."""
    west, south, east, north = UK_BOUNDS
    inside = west <= lon <= east and south <= lat <= north
    if inside:
        return False
    if west <= lat <= east and south <= lon <= north:
        problems.add(
            where,
            "location.latitude",
            "latitude and longitude look swapped (swapped, the point is inside the UK)",
            value=f"{lat:g}, {lon:g}",
        )
        return True
    problems.add(
        where, "location.latitude", "outside the UK", value=f"{lat:g}, {lon:g}", severity="warning"
    )
    return False


#: Asset fields an import derives from an HSDS record (see :func:`modelled_values`):
#: every column but provenance and bookkeeping, and the coordinates.
MODELLED_FIELDS: Final = (
    *(
        c
        for c in ASSET_COLUMNS
        if c
        not in {
            "id",
            "status",
            "source",
            "source_id",
            "session_id",
            "flags",
            "version",
            "valid_from",
            "extra",
        }
    ),
    "lon",
    "lat",
)


def modelled_values(asset: Mapping[str, Any]) -> dict[str, Any]:
    """Return the asset fields an HSDS import sets, as plain JSON values.

    Kept in ``extra["imported"]`` at import: an export compares them with the
    asset's values then, and writes the source's own record for every field
    that has not changed since.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> modelled_values({"name": "Oakham Library", "categories": ("library",),
    ...                  "geometry": Point(-0.72, 52.67)})["categories"]
    ['library']
    """
    out: dict[str, Any] = {}
    for name in MODELLED_FIELDS:
        value = asset.get(name)
        if name in {"lon", "lat"}:
            geom = asset.get("geometry")
            value = (
                getattr(geom, "x" if name == "lon" else "y", None) if geom is not None else value
            )
            value = None if value is None else round(float(value), 7)
        elif isinstance(value, tuple | list):
            value = list(value)
        elif isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, float) and math.isnan(value):
            value = None
        out[name] = value
    return out


_STATUS: Final = {"inactive": "archived", "defunct": "archived"}
#: Asset columns exported as ``assetmap`` taxonomy terms ``<column>:<value>``.
_ASSETMAP_FIELDS: Final = frozenset(
    {"kind", "cost", "gender", "convictions", "wheelchair", "referral_required", "dbs_check"}
)


def _map_service(
    item: _Service,
    *,
    index: _TermIndex,
    source: str,
    problems: ProblemLog,
    terms_seen: dict[tuple[str | None, str | None, str | None], dict[str, Any]],
    rejected: list[dict[str, Any]],
) -> list[tuple[str, dict[str, Any]]]:
    service, where = item.record, item.path
    sid, name = _text(service.get("id")), _text(service.get("name"))
    missing = [f for f, v in (("id", sid), ("name", name)) if not v]
    for fld in missing:
        got = service.get(fld)
        detail = "is missing" if got is None else f"must be text, got {type(got).__name__}"
        problems.add(where, fld, f"required field {detail}")
    if missing:
        return []
    org = item.organization or {}
    terms = _service_terms(service)
    categories: list[str] = []
    for triple in terms:
        if triple not in terms_seen:
            code, method, score = index.match(*triple)
            terms_seen[triple] = {
                "vocabulary": triple[0],
                "code": triple[1],
                "name": triple[2],
                "category": code,
                "method": method,
                "score": score,
            }
        code = terms_seen[triple]["category"]
        if code and code not in categories:
            categories.append(code)
    eligibility = _eligibility(service, terms)
    status = _STATUS.get((_text(service.get("status")) or "").lower(), "unverified")
    sals = _items(service.get("service_at_locations"), problems, where, "service_at_locations")
    if not sals:
        problems.add(
            where,
            "service_at_locations",
            f"service {name!r} has no location, so it cannot go on the map",
        )
        return []
    out: list[tuple[str, dict[str, Any]]] = []
    for j, raw_sal in enumerate(sals):
        sal_where = f"{where}.service_at_locations[{j}]"
        sal = _obj(raw_sal)
        location = _obj(sal.get("location")) if sal is not None else None
        if sal is None or location is None:
            problems.add(sal_where, "location", "no location object")
            continue
        lat, lon = _number(location.get("latitude")), _number(location.get("longitude"))
        if lat is None or lon is None:
            problems.add(
                sal_where,
                "location.latitude",
                f"{name!r} at {_text(location.get('name')) or 'this location'} has no coordinates",
            )
            continue
        bad_position = not (-90 <= lat <= 90 and -180 <= lon <= 180)
        if bad_position:
            problems.add(
                sal_where,
                "location.latitude",
                f"({lat:g}, {lon:g}) is not a latitude/longitude pair",
            )
        loc_id = _text(location.get("id"))
        source_id = _text(sal.get("id")) or (f"{sid}@{loc_id}" if loc_id else f"{sid}@{j}")
        address, postcode = _address(location)
        postcode = _checked_postcode(postcode, _country(location), problems, sal_where)
        if not bad_position:
            bad_position = _check_position(lon, lat, problems, sal_where)
        hours, hours_problem = _hours(_schedules_for(service, sal, location))
        if hours_problem:
            problems.add(
                sal_where,
                "schedules",
                f"opening hours not imported: {hours_problem}",
                severity="warning",
            )
        record: dict[str, Any] = {
            "name": name,
            "kind": eligibility.pop("kind", "service"),
            "status": status,
            "categories": tuple(categories),
            "description": _first_text(service.get("description"), sal.get("description")),
            "organisation": _text(org.get("name")),
            "address": address,
            "postcode": postcode,
            "opening_hours": hours,
            "phone": _phone(sal, location, service, org),
            "email": _email(service, sal, location, org),
            "website": _first_text(service.get("url"), org.get("website"), org.get("url")),
            "cost": eligibility.pop("cost", None) or _cost(service),
            "wheelchair": eligibility.pop("wheelchair", None) or _wheelchair(location),
            "last_verified": _text(service.get("assured_date")),
            "source": source,
            "source_id": source_id,
            "lon": lon,
            "lat": lat,
            **{k: v for k, v in eligibility.items() if k not in {"kind"}},
            "extra": {
                ("oruk_v1" if _is_v1(service, location) else "hsds"): {
                    "service": {
                        k: v
                        for k, v in service.items()
                        if k not in {"service_at_locations", "organization"}
                    },
                    "organization": {k: v for k, v in org.items() if k != "services"} or None,
                    "service_at_location": {k: v for k, v in sal.items() if k != "location"},
                    "location": dict(location),
                }
            },
        }
        if bad_position:
            rejected.append({**record, "row": sal_where})
            continue
        out.append((sal_where, record))
    return out


def _is_term(node: Any) -> bool:
    return (
        isinstance(node, Mapping)
        and bool(node)
        and set(node) <= _TERM_KEYS
        and "name" in node
        and "id" in node
    )


def _taxonomy_nodes(data: Any) -> list[Mapping[str, Any]] | None:
    """Return the taxonomy and term records of a taxonomy file (None: it holds services)."""
    node = _obj(data)
    if node is not None:
        for key in ("contents", "content"):
            if isinstance(node.get(key), list):
                return _taxonomy_nodes(node[key])
        if isinstance(node.get("taxonomy_terms"), list) and not _is_term(node):
            return _taxonomy_nodes(node["taxonomy_terms"])
        return [node] if _is_term(node) else None
    if isinstance(data, list) and data and all(_is_term(n) for n in data):
        return list(data)
    return None


def _taxonomy_frame(
    nodes: Sequence[Mapping[str, Any]], index: _TermIndex, limits: HsdsLimits
) -> pd.DataFrame:
    """One row per term (terms nested under a taxonomy included), mapped to categories."""
    names: dict[str, str] = {}
    vocabularies: list[Mapping[str, Any]] = []
    terms: list[tuple[Mapping[str, Any], str | None]] = []
    for node in nodes:
        nested = _objs(node.get("taxonomy_terms"))
        if nested or not any(k in node for k in ("taxonomy", "taxonomy_id", "term", "code")):
            names[_text(node.get("id")) or ""] = _text(node.get("name")) or ""
            vocabularies.append(node)
            terms.extend((t, _text(node.get("name"))) for t in nested)
        else:
            terms.append((node, None))
    if len(terms) > limits.max_records:
        msg = _too_big("The taxonomy holds", len(terms), limits.max_records, "terms", "max_records")
        raise IngestError(msg)
    rows: list[dict[str, Any]] = [
        {
            "kind": "taxonomy",
            "id": _text(v.get("id")),
            "vocabulary": _text(v.get("name")),
            "name": _text(v.get("name")),
            "description": _text(v.get("description")),
            "term_uri": _text(v.get("uri")),
            "method": "none",
            "score": 0.0,
        }
        for v in vocabularies
    ]
    for term, parent_vocab in terms:
        vocabulary, code, name = _term_triple(term)
        vocabulary = (
            vocabulary or parent_vocab or names.get(_text(term.get("taxonomy_id")) or "") or None
        )
        category, method, score = index.match(vocabulary, code, name)
        rows.append(
            {
                "kind": "term",
                "id": _text(term.get("id")),
                "vocabulary": vocabulary,
                "taxonomy_id": _text(term.get("taxonomy_id")),
                "code": code,
                "name": name,
                "description": _text(term.get("description")),
                "parent_id": _text(term.get("parent_id")),
                "term_uri": _text(term.get("term_uri")) or _text(term.get("uri")),
                "category": category,
                "method": method,
                "score": score,
            }
        )
    return pd.DataFrame(rows, columns=list(TAXONOMY_COLUMNS))


def assets_from_hsds(
    data: Mapping[str, Any] | list[Any],
    *,
    taxonomy: Taxonomy | None = None,
    source: str = "hsds",
    limits: HsdsLimits = HsdsLimits(),
) -> HsdsResult:
    """Map parsed HSDS data to validated assets, with a report of what was left out.

    Parameters
    ----------
    data
        Parsed JSON: a service, organization or service_at_location full
        record, a list of them, a paged list (``contents``/``content``), or
        tables (``{"services.csv": [rows], ...}``); or a taxonomy or
        taxonomy-term file (one, a list, a paged list, or a taxonomy with
        ``taxonomy_terms``), read into :attr:`HsdsResult.taxonomy`.
    taxonomy
        Categories come from its ``hsds_terms`` (and a fuzzy match on term
        names); the default taxonomy when omitted.
    source
        The ``source`` of every asset (``"hsds:<name>"`` by convention).
    limits
        Record count and nesting depth limits.

    Returns
    -------
    HsdsResult
        Accepted assets, the problem report, the term mapping and the rejected records.

    Raises
    ------
    IngestError
        When ``data`` is not HSDS at all (wrong top-level type) or breaks ``limits``.

    Examples
    --------
    >>> result = assets_from_hsds({"id": "s1", "name": "Oakham Food Bank", "status": "active",
    ...     "service_at_locations": [{"id": "sal1", "location": {"id": "l1",
    ...         "latitude": 52.67, "longitude": -0.72}}]}, source="hsds:demo")
    >>> result.assets[["name", "source_id"]].to_dict("records")
    [{'name': 'Oakham Food Bank', 'source_id': 'sal1'}]
    """
    tax = taxonomy or load_taxonomy()
    _check_shape(data, limits)
    taxonomy_nodes = _taxonomy_nodes(data)
    if taxonomy_nodes is not None:
        return HsdsResult(
            assets=empty_assets(),
            report=ProblemLog().frame(),
            taxonomy=_taxonomy_frame(taxonomy_nodes, _TermIndex.build(tax), limits),
        )
    problems = ProblemLog()
    services = _collect_services(data, problems, limits)
    if len(services) > limits.max_records:
        msg = _too_big(
            "The HSDS data holds", len(services), limits.max_records, "services", "max_records"
        )
        raise IngestError(msg)
    if not services and not problems.has_errors:
        shown = "; ".join(p.line() for p in islice(problems_in(problems.frame()), 3))
        msg = (
            "No HSDS services found: expected services, organizations with services, "
            f"or service_at_locations{f' ({shown})' if shown else ''}."
        )
        raise IngestError(msg)
    index = _TermIndex.build(tax)
    terms_seen: dict[tuple[str | None, str | None, str | None], dict[str, Any]] = {}
    accepted: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    seen_ids: dict[str, str] = {}
    for item in services:
        for where, record in _map_service(
            item,
            index=index,
            source=source,
            problems=problems,
            terms_seen=terms_seen,
            rejected=rejected,
        ):
            if record["source_id"] in seen_ids:
                problems.add(
                    where,
                    "id",
                    f"service_at_location id {record['source_id']!r} already used at "
                    f"{seen_ids[record['source_id']]}",
                )
                continue
            try:
                normal = normalise_record(record, taxonomy=tax, where=where)
            except AssetMapError as exc:
                problems.add(where, "", str(exc).removeprefix(f"{where}: "))
                rejected.append({**record, "row": where})
                continue
            record["extra"] = {**record["extra"], "imported": modelled_values(normal)}
            seen_ids[record["source_id"]] = where
            accepted.append(record)
    assets = validate_assets(pd.DataFrame(accepted), taxonomy=tax) if accepted else empty_assets()
    report = problems.frame()
    if not report.empty:
        logger.info("HSDS import from %s: %d assets, %d problems", source, len(assets), len(report))
    return HsdsResult(
        assets=assets,
        report=report,
        terms=pd.DataFrame(list(terms_seen.values()), columns=list(TERM_COLUMNS)),
        rejected=pd.DataFrame(rejected),
    )


# --------------------------------------------------------------------------- reading files and URLs


def fetch_url(url: str, limits: HsdsLimits) -> bytes:
    """Download ``url`` (http or https, a public address) with a timeout and a size cap.

    Parameters
    ----------
    url
        An ``http://`` or ``https://`` address.
    limits
        ``timeout_s``, ``max_bytes`` and ``allow_private_hosts`` apply
        (:func:`assetmap.ingest.fetch.fetch_public_url`).

    Returns
    -------
    bytes
        The response body.

    Raises
    ------
    IngestError
        On a bad scheme, a loopback, private or link-local address (also
        after a redirect), an HTTP error, a network failure or an over-large
        body.
    """
    return fetch_public_url(
        url,
        max_bytes=limits.max_bytes,
        timeout_s=limits.timeout_s,
        allow_private=limits.allow_private_hosts,
    )


def _parse_json(raw: bytes, name: str, limits: HsdsLimits) -> Any:
    if len(raw) > limits.max_bytes:
        msg = _too_big(f"{name} is", len(raw), limits.max_bytes, "bytes", "max_bytes")
        raise IngestError(msg)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = (
            f"{name} is not UTF-8 text (bad byte at position {exc.start}); HSDS JSON must be UTF-8."
        )
        raise IngestError(msg) from exc
    values = raw.count(b",") + raw.count(b"{") + raw.count(b"[")
    if values > limits.max_json_values:
        msg = _too_big(
            f"{name} holds up to", values, limits.max_json_values, "values", "max_json_values"
        )
        raise IngestError(msg)
    try:
        return parse_json_text(text, name)
    except RecursionError as exc:
        msg = f"{name} nests too deeply to be HSDS (HsdsLimits.max_depth is {limits.max_depth})."
        raise IngestError(msg) from exc


def _read_csv(raw: bytes, name: str, limits: HsdsLimits) -> list[dict[str, Any]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = f"{name} is not UTF-8 text (bad byte at position {exc.start})."
        raise IngestError(msg) from exc
    try:
        rows = []
        for row in csv.DictReader(io.StringIO(text, newline="")):
            rows.append(row)
            if len(rows) > limits.max_records:
                msg = _too_big(f"{name} has", len(rows), limits.max_records, "rows", "max_records")
                raise IngestError(msg)
        return rows
    except csv.Error as exc:
        msg = f"{name} is not a readable CSV file: {exc}."
        raise IngestError(msg) from exc


def _from_members(members: Mapping[str, Callable[[], bytes]], name: str, limits: HsdsLimits) -> Any:
    """Parse a folder or zip given as member name -> reader."""
    if "services.json" in members:
        return _parse_json(members["services.json"](), f"{name}/services.json", limits)
    if "services.csv" in members:
        tables: dict[str, Any] = {}
        for member, read in members.items():
            if member.endswith(".csv"):
                tables[member.removesuffix(".csv")] = _read_csv(read(), f"{name}/{member}", limits)
        return {f"{k}.csv": v for k, v in tables.items()}
    found = ", ".join(sorted(members)) or "nothing"
    msg = f"{name} holds no services.json or services.csv (found: {found})."
    raise IngestError(msg)


def _read_path(path: Path, limits: HsdsLimits) -> Any:
    if path.is_dir():
        files = {p.name: p for p in path.iterdir() if p.is_file()}
        total = sum(p.stat().st_size for p in files.values())
        if total > limits.max_bytes:
            msg = _too_big(f"{path} holds", total, limits.max_bytes, "bytes", "max_bytes")
            raise IngestError(msg)
        return _from_members({n: p.read_bytes for n, p in files.items()}, str(path), limits)
    if not path.is_file():
        msg = f"No such HSDS file or folder: {path}."
        raise IngestError(msg)
    size = path.stat().st_size
    if size > limits.max_bytes:
        msg = f"{path} is {size:,} bytes; the limit is {limits.max_bytes:,} (HsdsLimits.max_bytes)."
        raise IngestError(msg)
    if path.suffix.lower() == ".zip":
        return _read_zip(path, limits)
    if path.suffix.lower() == ".csv":
        msg = (
            f"{path} is a single CSV; give the folder or zip holding services.csv "
            "and the other HSDS tables."
        )
        raise IngestError(msg)
    return _parse_json(path.read_bytes(), str(path), limits)


def _read_zip(path: Path, limits: HsdsLimits) -> Any:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        msg = f"{path} is not a readable zip file: {exc}."
        raise IngestError(msg) from exc
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        total = sum(i.file_size for i in infos)
        if total > limits.max_bytes:
            msg = _too_big(f"{path} unpacks to", total, limits.max_bytes, "bytes", "max_bytes")
            raise IngestError(msg)

        def reader(info: zipfile.ZipInfo) -> Callable[[], bytes]:
            return lambda: archive.read(info)

        members = {PurePosixPath(i.filename).name: reader(i) for i in infos}
        try:
            return _from_members(members, str(path), limits)
        except (zipfile.BadZipFile, OSError) as exc:
            msg = f"{path} is a damaged zip file: {exc}."
            raise IngestError(msg) from exc


def _pages(url: str, first: Any, limits: HsdsLimits, fetch: Fetcher) -> Iterator[Any]:
    """Yield the items of every page of an HSDA paged list, starting with ``first``."""
    page, data = 1, first
    while True:
        node = _obj(data)
        items = node.get("contents", node.get("content")) if node is not None else None
        if not isinstance(items, list):
            msg = f"Page {page} of {url} is not a paged list."
            raise IngestError(msg)
        yield from items
        total = _number(node.get("total_pages", node.get("totalPages"))) if node else None
        last = node.get("last_page", node.get("last")) if node else True
        if last is True or total is None or page >= total or not items:
            return
        page += 1
        if page > limits.max_pages:
            msg = f"{url} has more than {limits.max_pages} pages (HsdsLimits.max_pages)."
            raise IngestError(msg)
        parts = urllib.parse.urlsplit(url)
        query = dict(urllib.parse.parse_qsl(parts.query))
        query["page"] = str(page)
        next_url = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))
        data = _parse_json(fetch(next_url, limits), next_url, limits)


def _full_services(url: str, items: list[Any], limits: HsdsLimits, fetch: Fetcher) -> list[Any]:
    """Fetch ``/services/{id}`` for each item of a ``/services`` list that is not nested.

    An HSDA or Open Referral UK ``/services`` page lists one-to-one fields only
    (no locations); the full record of each is at ``/services/{id}``.
    """
    parts = urllib.parse.urlsplit(url)
    if not parts.path.rstrip("/").endswith("/services"):
        return items
    flat = [
        i
        for i in items
        if isinstance(i, Mapping) and "service_at_locations" not in i and i.get("id")
    ]
    if not flat or len(flat) != len(items):
        return items
    base = urllib.parse.urlunsplit(parts._replace(query="", fragment="")).rstrip("/")
    out = []
    for item in flat:
        record_url = f"{base}/{urllib.parse.quote(str(item['id']), safe='')}"
        out.append(_parse_json(fetch(record_url, limits), record_url, limits))
    return out


class _WholeFeed:
    """A fetcher that holds every page of one feed to ``limits.max_bytes`` together."""

    def __init__(self, url: str, limits: HsdsLimits, fetch: Fetcher) -> None:
        self._url, self._limit, self._fetch = url, limits.max_bytes, fetch
        self._spent = 0

    def __call__(self, url: str, limits: HsdsLimits) -> bytes:
        left = self._limit - self._spent
        too_big = (
            f"The feed at {self._url} is more than {self._limit:,} bytes across its pages "
            "(HsdsLimits.max_bytes limits the whole feed)."
        )
        if left <= 0:
            raise IngestError(too_big)
        try:
            body = self._fetch(url, replace(limits, max_bytes=left))
        except FeedTooLargeError as exc:
            raise IngestError(too_big) from exc
        self._spent += len(body)
        if len(body) > left:
            raise IngestError(too_big)
        return body


def read_hsds(
    path_or_url: str | Path,
    *,
    taxonomy: Taxonomy | None = None,
    source: str | None = None,
    limits: HsdsLimits = HsdsLimits(),
    fetch: Fetcher = fetch_url,
) -> HsdsResult:
    """Read HSDS from a JSON file, a folder or zip (JSON or tabular CSV), or a URL.

    Parameters
    ----------
    path_or_url
        A ``.json`` file, a folder or ``.zip`` holding ``services.json`` (as
        :func:`assetmap.output.export_hsds.write_hsds` writes) or ``services.csv`` and
        the other tables, or an ``http(s)://`` URL (paged lists are followed;
        a ``/services`` list of one-to-one records is completed from
        ``/services/{id}``, as an Open Referral UK API serves them).
    taxonomy
        See :func:`assets_from_hsds`.
    source
        Defaults to ``"hsds:<file, folder or host/path name>"``.
    limits
        Size, record, depth, timeout and page limits.
    fetch
        Downloads a URL (injectable for tests and for a proxy-aware client).

    Returns
    -------
    HsdsResult
        See :func:`assets_from_hsds`.

    Raises
    ------
    IngestError
        Naming the file and, for malformed JSON, the line and column.
    """
    text = str(path_or_url)
    if isinstance(path_or_url, str) and re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text):
        parts = urllib.parse.urlsplit(text)
        name = (parts.netloc + parts.path).rstrip("/") or text
        whole_feed = _WholeFeed(text, limits, fetch)
        first = _parse_json(whole_feed(text, limits), text, limits)
        data: Any = first
        node = _obj(first)
        if node is not None and isinstance(node.get("contents", node.get("content")), list):
            data = []
            for item in _pages(text, first, limits, whole_feed):
                data.append(item)
                if len(data) > limits.max_records:
                    msg = _too_big(
                        f"{text} lists more than",
                        limits.max_records,
                        limits.max_records,
                        "records",
                        "max_records",
                    )
                    raise IngestError(msg)
            data = _full_services(text, data, limits, whole_feed)
    else:
        path = Path(path_or_url)
        name = path.stem or path.name
        data = _read_path(path, limits)
    return assets_from_hsds(data, taxonomy=taxonomy, source=source or f"hsds:{name}", limits=limits)
