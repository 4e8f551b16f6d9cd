"""OpenStreetMap ``opening_hours`` values: parse the common subset, ask "open then?".

Supported (what registers and OSM in England actually hold): weekday
selectors (``Mo``, ``Mo-Fr``, ``Fr-Mo``, ``Mo,We``; also ``Mon``/``Monday``),
``PH`` (public holidays), time spans (``09:00-17:00``, several joined by
commas, past midnight as ``22:00-02:00`` or ``19:30-24:30``), ``24/7``, the
modifiers ``off``/``closed``/``open``/``unknown``, comments in double quotes,
normal rules joined by ``;`` (a later rule replaces earlier ones for its days)
and additional rules joined by ``,`` (``Tu-Sa 12:00-14:00, Fr 18:30-21:30``
adds Friday evening). Anything else (months, weeks, ``sunrise``, ``SH``,
``Mo[1]``, open ends ``10:00+``, fallback ``||``) raises
:class:`~assetmap.errors.OpeningHoursError` from :func:`parse_opening_hours`;
:func:`read_opening_hours` turns that into "unknown" plus a warning.

Days a value does not mention are closed, as the OSM specification says,
except when it mentions no weekday at all (``PH off``): then they are unknown.
Public holidays are not in the calendar here, so ``PH`` rules never change a
weekday's answer.

Examples
--------
>>> hours = parse_opening_hours("Mo-Fr 09:00-17:00; Sa 10:00-12:00; PH off")
>>> open_during(hours, "Sa", "11:00", "13:00"), open_during(hours, "Su", "11:00", "13:00")
(True, False)
>>> open_during(hours, "Tu", "17:00", "18:00")  # closes as the window opens
False
>>> describe_hours(hours)
'Mon-Fri 09:00-17:00; Sat 10:00-12:00; Sun closed'
>>> read_opening_hours("by arrangement").warning
"Opening hours 'by arrangement' could not be read (unknown word 'by' at character 1)."
>>> open_during(None, "Mo", "09:00", "10:00") is None
True
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Final, Literal

from assetmap.errors import OpeningHoursError

__all__ = [
    "DAY_CODES",
    "DayHours",
    "HoursReading",
    "OpeningHours",
    "Rule",
    "TimeSpan",
    "day_index",
    "describe_hours",
    "open_during",
    "parse_opening_hours",
    "parse_time",
    "read_opening_hours",
]

DAY_CODES: Final = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_DAY_LABELS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_WORDS: Final[dict[str, int]] = {
    **{code.lower(): i for i, code in enumerate(DAY_CODES)},
    **{label.lower(): i for i, label in enumerate(_DAY_LABELS)},
    **{
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
    "tues": 1,
    "thur": 3,
    "thurs": 3,
}
_MODIFIERS: Final = {"off": "closed", "closed": "closed", "open": "open", "unknown": "unknown"}
MAX_CHARS: Final = 255  # OSM's limit for a tag value
_DAY_MINUTES: Final = 24 * 60

State = Literal["open", "closed", "unknown"]

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<comment>"[^"]*")
    | (?P<always>24/7)
    | (?P<time>\d{1,2}:\d{2})
    | (?P<word>[A-Za-z]+)
    | (?P<dash>[-\u2013\u2014])
    | (?P<comma>,)
    | (?P<semi>;)
    | (?P<colon>:)
    | (?P<other>\S)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class TimeSpan:
    """Open from ``start`` to ``end``, in minutes after midnight (``end`` up to 48:00)."""

    start: int
    end: int

    def __str__(self) -> str:
        return f"{_clock(self.start)}-{_clock(self.end)}"


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of a value: which days, which times, and what state.

    Attributes
    ----------
    days
        Weekday indexes (0 = Monday) the rule selects; all seven when the rule
        names none.
    public_holiday
        Whether the rule selects public holidays (``PH``).
    spans
        The times it gives (empty: the whole day).
    state
        ``open``, ``closed`` or ``unknown``.
    comment
        The rule's comment, without quotes.
    additional
        Joined to the previous rule by a comma: it adds to it, not replaces it.
    """

    days: frozenset[int]
    public_holiday: bool
    spans: tuple[TimeSpan, ...]
    state: State
    comment: str | None = None
    additional: bool = False


@dataclass(frozen=True, slots=True)
class DayHours:
    """One weekday: its state and (when open) the spans, merged and sorted."""

    state: State
    spans: tuple[TimeSpan, ...] = ()


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """A parsed ``opening_hours`` value.

    Attributes
    ----------
    text
        The value as given.
    rules
        Its rules in order.
    week
        Monday to Sunday, evaluated (spans past midnight stay on the day they
        start; :func:`open_during` looks at the day before too).
    comments
        Every comment in the value (shown to people next to the hours).
    """

    text: str
    rules: tuple[Rule, ...]
    week: tuple[DayHours, ...]
    comments: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HoursReading:
    """The lenient reading of a value: the hours, or None and why not."""

    hours: OpeningHours | None
    warning: str | None


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_time(value: str | dt.time, *, allow_24: bool = True) -> int:
    """Return minutes after midnight of ``"HH:MM"`` (or a :class:`datetime.time`).

    Raises
    ------
    OpeningHoursError
        If the text is not a time of day (``24:00`` is allowed as an end).

    Examples
    --------
    >>> parse_time("09:30"), parse_time("24:00")
    (570, 1440)
    """
    if isinstance(value, dt.time):
        return value.hour * 60 + value.minute
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", str(value))
    if match is None:
        msg = f"{value!r} is not a time of day like 09:30."
        raise OpeningHoursError(msg)
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not allow_24)):
        msg = f"{value!r} is not a time of day like 09:30."
        raise OpeningHoursError(msg)
    return hours * 60 + minutes


def day_index(day: str | int | dt.date) -> int:
    """Return the weekday index (0 = Monday) of ``"Mo"``, ``"Monday"``, 0-6 or a date.

    Raises
    ------
    OpeningHoursError
        If ``day`` is none of these.

    Examples
    --------
    >>> day_index("We"), day_index("friday"), day_index(dt.date(2026, 11, 22))
    (2, 4, 6)
    """
    if isinstance(day, dt.date):
        return day.weekday()
    if isinstance(day, int) and not isinstance(day, bool) and 0 <= day <= 6:
        return day
    if isinstance(day, str) and day.strip().lower() in _DAY_WORDS:
        return _DAY_WORDS[day.strip().lower()]
    msg = f"{day!r} is not a day of the week (use Mo, Tu, We, Th, Fr, Sa or Su)."
    raise OpeningHoursError(msg)


class _Tokens:
    """A cursor over the tokens of one value."""

    def __init__(self, text: str) -> None:
        self.items: list[tuple[str, str, int]] = []
        position = 0
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                break  # only trailing blanks are left
            kind = match.lastgroup or "other"
            value = match.group(kind)
            self.items.append((kind, value, match.start(kind) + 1))
            position = match.end()
        self.at = 0

    def peek(self, offset: int = 0) -> tuple[str, str, int] | None:
        index = self.at + offset
        return self.items[index] if index < len(self.items) else None

    def kind(self, offset: int = 0) -> str | None:
        token = self.peek(offset)
        return None if token is None else _classify(token)

    def take(self) -> tuple[str, str, int]:
        token = self.items[self.at]
        self.at += 1
        return token


def _classify(token: tuple[str, str, int]) -> str:
    """Return a token's role: day, ph, modifier, or its lexical kind."""
    kind, value, position = token
    if kind != "word":
        return kind
    word = value.lower()
    if word in _DAY_WORDS:
        return "day"
    if word == "ph":
        return "ph"
    if word in _MODIFIERS:
        return "modifier"
    msg = f"unknown word {value!r} at character {position}"
    raise _UnreadableError(msg)


class _UnreadableError(Exception):
    """Internal: why a value cannot be read (turned into OpeningHoursError)."""


def _unexpected(token: tuple[str, str, int] | None) -> _UnreadableError:
    if token is None:
        return _UnreadableError("it ends too early")
    return _UnreadableError(f"unexpected {token[1]!r} at character {token[2]}")


def _day_range(first: int, last: int) -> set[int]:
    if last >= first:
        return set(range(first, last + 1))
    return set(range(first, 7)) | set(range(last + 1))  # Fr-Mo wraps round the week


def _parse_days(tokens: _Tokens) -> tuple[set[int], bool]:
    days: set[int] = set()
    holiday = False
    while True:
        kind, value, _ = tokens.take()
        if kind == "word" and value.lower() == "ph":
            holiday = True
        else:
            first = _DAY_WORDS[value.lower()]
            if tokens.kind() == "dash":
                tokens.take()
                if tokens.kind() != "day":
                    raise _unexpected(tokens.peek())
                days |= _day_range(first, _DAY_WORDS[tokens.take()[1].lower()])
            else:
                days.add(first)
        if tokens.kind() == "comma" and tokens.kind(1) in {"day", "ph"}:  # "Mo,We"
            tokens.take()
            continue
        return days, holiday


def _parse_span(tokens: _Tokens) -> TimeSpan:
    _, start_text, position = tokens.take()
    if tokens.kind() != "dash":
        raise _unexpected(tokens.peek())
    tokens.take()
    if tokens.kind() != "time":
        raise _unexpected(tokens.peek())
    _, end_text, _ = tokens.take()
    try:
        start = parse_time(start_text, allow_24=False)
        end = _end_minutes(end_text)
    except OpeningHoursError as exc:
        msg = f"bad time at character {position}"
        raise _UnreadableError(msg) from exc
    if end <= start:
        end += _DAY_MINUTES  # 22:00-02:00 runs past midnight
    if end - start > _DAY_MINUTES:
        msg = f"the span {start_text}-{end_text} is longer than a day"
        raise _UnreadableError(msg)
    return TimeSpan(start, end)


def _end_minutes(text: str) -> int:
    hours, minutes = (int(part) for part in text.split(":"))
    if minutes > 59 or hours > 48 or (hours == 48 and minutes):
        msg = f"{text!r} is not a closing time"
        raise OpeningHoursError(msg)
    return hours * 60 + minutes


def _parse_rule(tokens: _Tokens, *, additional: bool) -> Rule:
    days: set[int] = set()
    holiday = False
    spans: list[TimeSpan] = []
    state: State | None = None
    comment: str | None = None
    start = tokens.at
    if tokens.kind() in {"day", "ph"}:
        days, holiday = _parse_days(tokens)
        if tokens.kind() == "colon":  # "Mo-Fr: 09:00-17:00", a common slip
            tokens.take()
    if tokens.kind() == "always":
        tokens.take()
        spans.append(TimeSpan(0, _DAY_MINUTES))
    elif tokens.kind() == "time":
        spans.append(_parse_span(tokens))
        while tokens.kind() == "comma" and tokens.kind(1) == "time":
            tokens.take()
            spans.append(_parse_span(tokens))
    if tokens.kind() == "modifier":
        state = _MODIFIERS[tokens.take()[1].lower()]  # type: ignore[assignment]
    if tokens.kind() == "comment":
        comment = tokens.take()[1][1:-1].strip() or None
    if tokens.at == start:
        raise _unexpected(tokens.peek())
    if state is None:
        state = "unknown" if not spans and not days and not holiday and comment else "open"
    if not days and not holiday:
        days = set(range(7))
    if state != "open":
        spans = []
    return Rule(frozenset(days), holiday, tuple(spans), state, comment, additional)


def _merge(spans: list[TimeSpan]) -> tuple[TimeSpan, ...]:
    merged: list[TimeSpan] = []
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        if merged and span.start <= merged[-1].end:
            merged[-1] = TimeSpan(merged[-1].start, max(merged[-1].end, span.end))
        else:
            merged.append(span)
    return tuple(merged)


def _evaluate(rules: tuple[Rule, ...]) -> tuple[DayHours, ...]:
    # A PH-only rule ("PH off") selects no weekday, so says nothing about them.
    default: State = "closed" if any(r.days for r in rules) else "unknown"
    states: list[State] = [default] * 7
    spans: list[list[TimeSpan]] = [[] for _ in range(7)]
    for rule in rules:
        for day in sorted(rule.days):
            whole_day = [TimeSpan(0, _DAY_MINUTES)] if rule.state == "open" else []
            new = list(rule.spans) or whole_day
            if rule.additional and rule.state == "open" and states[day] == "open":
                spans[day].extend(new)
            else:
                states[day] = rule.state
                spans[day] = new
    return tuple(DayHours(states[d], _merge(spans[d])) for d in range(7))


def parse_opening_hours(text: str) -> OpeningHours:
    """Parse an OSM ``opening_hours`` value (the subset described in the module docs).

    Parameters
    ----------
    text
        The value, e.g. ``"Mo-Fr 09:00-17:00; Sa 10:00-12:00; PH off"``.

    Returns
    -------
    OpeningHours

    Raises
    ------
    OpeningHoursError
        For anything else (not text, empty, longer than 255 characters, or
        syntax outside the subset), saying where.

    Examples
    --------
    >>> hours = parse_opening_hours('Mo,We 10:00-12:00,14:00-16:00 "drop in"')
    >>> [str(s) for s in hours.week[2].spans], hours.week[1].state, hours.comments
    (['10:00-12:00', '14:00-16:00'], 'closed', ('drop in',))
    """
    if not isinstance(text, str):
        msg = f"Opening hours must be text, got {type(text).__name__}."
        raise OpeningHoursError(msg)
    value = text.strip()
    if not value:
        msg = "Opening hours are empty."
        raise OpeningHoursError(msg)
    if len(value) > MAX_CHARS:
        msg = f"Opening hours are {len(value):,} characters long; OpenStreetMap allows {MAX_CHARS}."
        raise OpeningHoursError(msg)
    shown = value if len(value) <= 60 else value[:57] + "..."
    try:
        rules = _parse_rules(_Tokens(value))
    except _UnreadableError as exc:
        msg = f"Opening hours {shown!r} could not be read ({exc})."
        raise OpeningHoursError(msg) from None
    comments = tuple(r.comment for r in rules if r.comment)
    return OpeningHours(text=value, rules=rules, week=_evaluate(rules), comments=comments)


def _parse_rules(tokens: _Tokens) -> tuple[Rule, ...]:
    rules = [_parse_rule(tokens, additional=False)]
    while tokens.peek() is not None:
        kind = tokens.kind()
        if kind == "semi":
            tokens.take()
            if tokens.peek() is None:
                break  # a trailing ";" is harmless
            rules.append(_parse_rule(tokens, additional=False))
        elif kind == "comma":
            tokens.take()
            rules.append(_parse_rule(tokens, additional=True))
        else:
            raise _unexpected(tokens.peek())
    return tuple(rules)


def read_opening_hours(text: object) -> HoursReading:
    """Read a value leniently: the hours, or ``None`` (unknown) and a warning.

    Never raises. Missing values (None, NaN, blank) give ``(None, None)``.

    Examples
    --------
    >>> read_opening_hours("24/7").hours.week[6]
    DayHours(state='open', spans=(TimeSpan(start=0, end=1440),))
    >>> read_opening_hours(None)
    HoursReading(hours=None, warning=None)
    """
    if text is None or (isinstance(text, float) and text != text) or not str(text).strip():
        return HoursReading(None, None)
    try:
        return HoursReading(parse_opening_hours(str(text)), None)
    except OpeningHoursError as exc:
        loose = _directory_hours(str(text))
        if loose != str(text):
            try:
                return HoursReading(parse_opening_hours(loose), None)
            except OpeningHoursError:
                pass
        return HoursReading(None, str(exc))


_LOOSE_RANGE: Final = re.compile(
    r"\b(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?\s*[-\u2013to]+\s*(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?\b",
    re.IGNORECASE,
)
_LOOSE_AND: Final = re.compile(r"\s*(?:\band\b|&|/)\s*", re.IGNORECASE)


def _loose_clock(hour: str, minute: str | None, half: str | None, *, end: bool, start: int) -> str:
    h = int(hour)
    if (half and half.lower() == "pm" and h < 12) or (not half and h <= 7 and (end or h < 7)):
        h += 12
    if end and minute is None and not half and h * 60 <= start and h < 12:
        h += 12
    return f"{h:02d}:{int(minute or 0):02d}"


def _directory_hours(text: str) -> str:
    """Rewrite a spreadsheet's "Mon-Fri 9-5" or "Tue and Fri 10-12" in OSM syntax.

    Examples
    --------
    >>> _directory_hours("Mon-Fri 9-5"), _directory_hours("Tue and Thu 10-3")
    ('Mon-Fri 09:00-17:00', 'Tue,Thu 10:00-15:00')
    """

    def clock(match: re.Match[str]) -> str:
        h1, m1, p1, h2, m2, p2 = match.groups()
        first = _loose_clock(
            h1, m1, p1 or (p2 if p2 and int(h1) < int(h2) else None), end=False, start=0
        )
        start = int(first[:2]) * 60 + int(first[3:])
        return f"{first}-{_loose_clock(h2, m2, p2, end=True, start=start)}"

    return _LOOSE_RANGE.sub(clock, _LOOSE_AND.sub(",", text.strip()))


def open_during(
    hours: OpeningHours | None,
    day: str | int | dt.date,
    start: str | dt.time,
    end: str | dt.time,
) -> bool | None:
    """Return whether a place is open at some time in a window of one day.

    Parameters
    ----------
    hours
        From :func:`parse_opening_hours` (None: unknown).
    day
        The day: ``"Mo"``..``"Su"``, an index 0-6 (Monday 0) or a date
        (public holidays are not known, so a date counts as its weekday).
    start, end
        The window, ``"HH:MM"`` (``end`` may be ``"24:00"``).

    Returns
    -------
    bool or None
        True if open for part of the window, False if closed all of it, None
        if unknown (no hours, or the day's hours are unknown).

    Raises
    ------
    OpeningHoursError
        If the day or times are not understood, or ``end`` is not after ``start``.

    Examples
    --------
    >>> late = parse_opening_hours("Fr 19:30-00:30")
    >>> open_during(late, "Sa", "00:00", "01:00"), open_during(late, "Sa", "01:00", "02:00")
    (True, False)
    """
    index = day_index(day)
    first, last = parse_time(start), parse_time(end)
    if last <= first:
        msg = f"The window {start}-{end} must end after it starts."
        raise OpeningHoursError(msg)
    if hours is None:
        return None
    today = hours.week[index]
    yesterday = hours.week[(index - 1) % 7]
    candidates = [(s.start, s.end) for s in today.spans]
    candidates += [(s.start - _DAY_MINUTES, s.end - _DAY_MINUTES) for s in yesterday.spans]
    if any(a < last and b > first for a, b in candidates if b > 0):
        return True
    spill_unknown = yesterday.state == "unknown" and first < 6 * 60
    if today.state == "unknown" or spill_unknown:
        return None
    return False


def describe_hours(hours: OpeningHours | None) -> str:
    """Return the hours in plain words, consecutive days with equal hours together.

    Examples
    --------
    >>> describe_hours(parse_opening_hours("24/7"))
    'Every day, all day'
    >>> describe_hours(None)
    'Opening hours not known'
    """
    if hours is None:
        return "Opening hours not known"

    def words(day: DayHours) -> str:
        if day.state == "closed":
            return "closed"
        if day.state == "unknown":
            return "hours not known"
        if day.spans == (TimeSpan(0, _DAY_MINUTES),):
            return "all day"
        ends = [s.end - _DAY_MINUTES if s.end > _DAY_MINUTES else s.end for s in day.spans]
        pairs = zip(day.spans, ends, strict=True)
        return ", ".join(f"{_clock(s.start)}-{_clock(e)}" for s, e in pairs)

    texts = [words(d) for d in hours.week]
    if len(set(texts)) == 1:
        out = f"Every day, {texts[0]}"
    else:
        parts: list[str] = []
        first = 0
        for day in range(1, 8):
            if day == 7 or texts[day] != texts[first]:
                label = _DAY_LABELS[first]
                if day - 1 > first:
                    label += f"-{_DAY_LABELS[day - 1]}"
                parts.append(f"{label} {texts[first]}")
                first = day
        out = "; ".join(parts)
    if hours.comments:
        out += " (" + "; ".join(hours.comments) + ")"
    return out
