"""The Easy Read support sheet: one idea a line, an icon per place, steps to get there.

:func:`easy_read_html` lays out the chosen services the Easy Read way (short
lines, an icon for each place, "how to get there" in numbered steps, opening
times in words) over the same offline map as :mod:`assetmap.sheet`, with
street names on it and the start point labelled "You start here".
:func:`easy_read_text` gives the same lines as plain text, and
:func:`sheet_audio_wav` speaks them to a WAV file with Debian's ``espeak-ng``
(offline) so a person can listen on their phone.

The fixed wording is translated through gettext catalogues shipped in
``assetmap/locale/<lang>/LC_MESSAGES/assetmap.mo`` (:data:`LANGUAGES`);
service names, addresses and descriptions stay as they were entered. Arabic
is laid out right to left, in a Noto font that has its glyphs.

Examples
--------
>>> import pandas as pd
>>> services = pd.DataFrame({"name": ["Oakham Library"], "lon": [-0.7259], "lat": [52.6693],
...     "minutes": [4.2], "opening_hours": ["Mo-Fr 09:30-17:00"], "categories": [("library",)]})
>>> print(easy_read_text(services, made_on=dt.date(2026, 11, 24)))  # doctest: +NORMALIZE_WHITESPACE
Places that can help you.
Made on 24 November 2026.
Phone first if you can. Times can change.
1. 📚 Oakham Library.
It can help with: Library (books, computers, free wifi)
It takes about 4 minutes to walk there.
When it is open:
Monday to Friday: 9:30 in the morning to 5 in the afternoon.
Saturday and Sunday: shut.
How to get there:
Step 1. Find number 1 on the map.
Step 2. Walk there. It takes about 4 minutes.
>>> "Godziny" in easy_read_text(services, language="pl") or "Poniedziałek" in easy_read_text(
...     services, language="pl")
True
"""

from __future__ import annotations

import datetime as dt
import gettext
import html
import math
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from assetmap.errors import AssetMapError, SchemaError
from assetmap.opening_hours import DayHours, OpeningHours, read_opening_hours
from assetmap.output.sheet import sheet_colour, sheet_map_svg
from assetmap.reach.network import WalkNetwork
from assetmap.taxonomy import load_taxonomy

__all__ = [
    "CATEGORY_ICONS",
    "LANGUAGES",
    "easy_read_html",
    "easy_read_lines",
    "easy_read_strings",
    "easy_read_text",
    "sheet_audio_wav",
    "translator",
]

LOCALE_DIR: Final = Path(__file__).with_name("locale")
DOMAIN: Final = "assetmap"
LANGUAGES: Final = {
    "en": ("English", "ltr", "en-gb"),
    "pl": ("Polski", "ltr", "pl"),
    "ro": ("Română", "ltr", "ro"),
    "cy": ("Cymraeg", "ltr", "cy"),
    "ar": ("العربية", "rtl", "ar"),
}
"""Language code: (its own name, text direction, espeak-ng voice)."""

CATEGORY_ICONS: Final = {
    "housing_support": "🏠", "employment_support": "💼", "learning_skills": "🎓",
    "library": "📚", "community_centre": "🏛️", "gp_health": "🩺", "pharmacy": "💊",
    "dentist": "🦷", "mental_health_support": "🧠", "drug_alcohol_support": "🤝",
    "food_support": "🥫", "money_advice": "💷", "family_support": "👨‍👩‍👧",
    "youth_services": "🧒", "school": "🏫", "womens_support": "👩", "peer_mentoring": "🗣️",
    "social_care": "🫶", "social_facility": "🤝", "faith_community": "🕊️",
    "sport_fitness": "⚽", "green_space": "🌳", "arts_culture": "🎨",
    "charity_community_group": "🤲", "volunteering": "🙋", "council_services": "🏢",
    "justice": "⚖️",
}  # fmt: skip
"""An icon for each taxonomy category (a place takes its first category's)."""
DEFAULT_ICON: Final = "📍"


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark, translate later"
    """Mark ``message`` for translation (gettext's convention); return it unchanged."""
    return message


TITLE: Final = N_("Places that can help you")
MADE: Final = N_("Made on {date}")
PHONE_FIRST: Final = N_("Phone first if you can. Times can change.")
MAP_HELP: Final = N_("The map shows where each place is. Each place has a number.")
YOU_START: Final = N_("You start here")
NOTE: Final = N_("A note for you")
HELPS: Final = N_("It can help with: {what}")
WALK: Final = N_("It takes about {minutes} minutes to walk there.")
WHEN: Final = N_("When it is open")
UNKNOWN_HOURS: Final = N_("We do not know when it is open. Phone first.")
HOW: Final = N_("How to get there")
STEP: Final = N_("Step {number}.")
STEP_START: Final = N_("Start at the black square on the map.")
STEP_FIND: Final = N_("Find number {number} on the map.")
STEP_WALK: Final = N_("Walk there. It takes about {minutes} minutes.")
STEP_ADDRESS: Final = N_("Look for this address: {address}")
CYCLE: Final = N_("It takes about {minutes} minutes to cycle there.")
STEP_CYCLE: Final = N_("Cycle there. It takes about {minutes} minutes.")
BY_TRANSPORT: Final = N_("It takes about {minutes} minutes by {vehicle} and on foot.")
STEP_TO_STOP: Final = N_("Walk to the stop called {stop}. It takes about {minutes} minutes.")
STEP_AT_STOP: Final = N_("Go to the stop called {stop}.")
STEP_RIDE: Final = N_("Get on the {vehicle} called {route}. Get off at {stop}.")
VEHICLES: Final = {"bus": N_("bus"), "tram": N_("tram"), "metro": N_("metro"),
                   "train": N_("train"), "ferry": N_("ferry"), "coach": N_("coach"),
                   "trolleybus": N_("trolleybus"), "cable tram": N_("cable tram"),
                   "service": N_("service")}  # fmt: skip
PHONE: Final = N_("Phone: {phone}")
EMAIL: Final = N_("Email: {email}")
WEBSITE: Final = N_("Website: {website}")
SHUT: Final = N_("{days}: shut.")
ALL_DAY: Final = N_("{days}: open all day.")
OPEN: Final = N_("{days}: {times}.")
SPAN: Final = N_("{start} to {end}")
AND: Final = N_("{first} and {last}")
RANGE: Final = N_("{first} to {last}")
EVERY_DAY: Final = N_("Every day")
MORNING: Final = N_("{time} in the morning")
AFTERNOON: Final = N_("{time} in the afternoon")
EVENING: Final = N_("{time} in the evening")
MIDNIGHT: Final = N_("midnight")
CREDIT: Final = N_("Map data from OpenStreetMap.")
DAYS: Final = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"),
               N_("Saturday"), N_("Sunday"))  # fmt: skip
MONTHS: Final = (N_("January"), N_("February"), N_("March"), N_("April"), N_("May"),
                 N_("June"), N_("July"), N_("August"), N_("September"), N_("October"),
                 N_("November"), N_("December"))  # fmt: skip

_FONTS: Final = '"DejaVu Sans", "Noto Sans", "Noto Naskh Arabic", sans-serif'
_RTL_FONTS: Final = '"Noto Naskh Arabic", "Noto Sans Arabic", "DejaVu Sans", sans-serif'
_CSS: Final = """
@page {{ size: A4; margin: 14mm; }}
body {{ font-family: {fonts}; font-size: 14pt; line-height: 1.5; color: #000; }}
h1 {{ font-size: 22pt; margin: 0 0 3mm 0; }}
h2 {{ font-size: 17pt; margin: 5mm 0 1mm 0; page-break-after: avoid; }}
h3 {{ font-size: 14pt; margin: 2mm 0 0 0; }}
p {{ margin: 0 0 1mm 0; }}
.icon {{ font-size: 20pt; }}
.num {{ display: inline-block; min-width: 9mm; height: 9mm; line-height: 9mm; border-radius: 4.5mm;
        color: #fff; text-align: center; font-size: 14pt; }}
.map {{ text-align: center; margin: 2mm 0; }}
.map svg {{ border: 1px solid #555; }}
section {{ border-top: 2px solid #000; padding-top: 2mm; page-break-inside: avoid; }}
ol {{ margin: 0; padding-inline-start: 8mm; }}
.foot {{ font-size: 11pt; margin-top: 4mm; }}
"""


def _emoji_free(text: str) -> str:
    return "".join(c for c in text if c.isascii() or c.isalpha() or c in " .,:;!?'-()") or text


@cache
def translator(language: str = "en") -> gettext.NullTranslations:
    """Return the gettext catalogue for ``language`` (English passes text through).

    Raises
    ------
    SchemaError
        If ``language`` is not one of :data:`LANGUAGES`.
    """
    if language not in LANGUAGES:
        msg = f"Unknown sheet language {language!r}; choose one of {', '.join(LANGUAGES)}."
        raise SchemaError(msg)
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language])


def easy_read_strings() -> tuple[str, ...]:
    """Return the sheet's fixed English wording (what the readability test reads)."""
    return (TITLE, MADE, PHONE_FIRST, MAP_HELP, YOU_START, NOTE, HELPS, WALK, WHEN, UNKNOWN_HOURS,
            HOW, STEP, STEP_START, STEP_FIND, STEP_WALK, STEP_ADDRESS, CYCLE, STEP_CYCLE,
            BY_TRANSPORT, STEP_TO_STOP, STEP_AT_STOP, STEP_RIDE, *VEHICLES.values(),
            PHONE, EMAIL, WEBSITE,
            SHUT, ALL_DAY, OPEN, SPAN, AND, RANGE, EVERY_DAY, MORNING, AFTERNOON, EVENING,
            MIDNIGHT, CREDIT, *DAYS, *MONTHS)  # fmt: skip


def _text(value: Any) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    text = " ".join(str(value).split())
    return text or None


def _clock(minutes: int, _: Callable[[str], str]) -> str:
    minutes %= 24 * 60
    if minutes == 0:
        return _(MIDNIGHT)
    hour, minute = divmod(minutes, 60)
    shown = hour if hour <= 12 else hour - 12
    time = f"{shown}:{minute:02d}" if minute else f"{shown}"
    template = MORNING if hour < 12 else AFTERNOON if hour < 18 else EVENING
    return _(template).format(time=time)


def _day_words(day: DayHours, _: Callable[[str], str]) -> str | None:
    if day.state != "open":
        return None if day.state == "closed" else "?"
    if len(day.spans) == 1 and day.spans[0].start == 0 and day.spans[0].end >= 24 * 60:
        return "all day"
    return ", ".join(
        _(SPAN).format(start=_clock(s.start, _), end=_clock(s.end, _)) for s in day.spans
    )


def hours_in_words(hours: OpeningHours | None, _: Callable[[str], str]) -> list[str]:
    """Return the opening times as lines of words, days with the same times together."""
    if hours is None:
        return [_(UNKNOWN_HOURS)]
    texts = [_day_words(day, _) for day in hours.week]
    if "?" in texts:
        return [_(UNKNOWN_HOURS)]
    lines = []
    first = 0
    for day in range(1, 8):
        if day < 7 and texts[day] == texts[first]:
            continue
        last = day - 1
        if first == 0 and last == 6:
            days = _(EVERY_DAY)
        elif first == last:
            days = _(DAYS[first])
        else:
            joiner = AND if last == first + 1 else RANGE
            days = _(joiner).format(first=_(DAYS[first]), last=_(DAYS[last]))
        said = texts[first]
        if said is None:
            lines.append(_(SHUT).format(days=days))
        elif said == "all day":
            lines.append(_(ALL_DAY).format(days=days))
        else:
            lines.append(_(OPEN).format(days=days, times=said))
        first = day
    return lines


def _codes(value: Any) -> list[str]:
    if isinstance(value, str):
        by_label = {c.plain_label: code for code, c in load_taxonomy().categories.items()}
        return [by_label[p.strip()] for p in value.split(";") if p.strip() in by_label]
    if value is None or isinstance(value, float):
        return []
    return [str(c) for c in value]


_STREET_WORDS: Final = frozenset(
    {
        "street",
        "road",
        "lane",
        "way",
        "close",
        "avenue",
        "drive",
        "place",
        "hill",
        "row",
        "gardens",
        "terrace",
        "crescent",
        "square",
        "walk",
        "green",
        "court",
        "park",
        "rise",
        "view",
        "yard",
        "mews",
        "parade",
        "grove",
        "end",
        "gate",
    }
)


def _street(address: str | None) -> str | None:
    """Return the street in an address, if it names one.

    >>> _street("Oakham Library, 12 Catmos Street, Oakham"), _street("The Hall, Oakham")
    ('Catmos Street', None)
    """
    for part in (address or "").split(","):
        words = [w for w in part.split() if not any(ch.isdigit() for ch in w)]
        if words and words[-1].lower() in _STREET_WORDS:
            return " ".join(words)
    return None


def _ride_steps(route: dict[str, Any], number: int, _: Callable[[str], str]) -> list[str]:
    """Return the steps of a journey: to the stop, each vehicle, the walk at the end.

    ``route`` is :meth:`assetmap.reach.transit_times.Journey.to_record`.
    """
    rides = route["rides"]
    walk_to = int(route["walk_to_stop_min"])
    first = rides[0]["board"]
    steps = [
        _(STEP_TO_STOP).format(stop=first, minutes=walk_to)
        if walk_to
        else _(STEP_AT_STOP).format(stop=first)
    ]
    previous = None
    for ride in rides:
        if previous is not None and ride["board"] != previous:
            steps.append(_(STEP_AT_STOP).format(stop=ride["board"]))
        vehicle = _(VEHICLES.get(str(ride["vehicle"]), "service"))
        steps.append(_(STEP_RIDE).format(vehicle=vehicle, route=ride["route"], stop=ride["alight"]))
        previous = ride["alight"]
    steps.append(_(STEP_FIND).format(number=number))
    if int(route["walk_from_stop_min"]):
        steps.append(_(STEP_WALK).format(minutes=int(route["walk_from_stop_min"])))
    return steps


def _service_lines(
    row: dict[str, Any], number: int, *, start: bool, _: Callable[[str], str]
) -> dict[str, Any]:
    codes = _codes(row.get("categories"))
    tax = load_taxonomy().categories
    icon = next((CATEGORY_ICONS[c] for c in codes if c in CATEGORY_ICONS), DEFAULT_ICON)
    what = "; ".join(dict.fromkeys(tax[c].plain_label for c in codes if c in tax))
    minutes = row.get("minutes")
    mins = None
    if minutes is not None and not (isinstance(minutes, float) and math.isnan(minutes)):
        mins = max(1, round(float(minutes)))
    hours_text = _text(row.get("hours")) or _text(row.get("opening_hours"))
    hours = read_opening_hours(hours_text).hours if hours_text else None
    street = _text(row.get("address"))
    street = street if street and any(c.isalpha() for c in street) else None
    address = ", ".join(x for x in (street, _text(row.get("postcode"))) if x)
    steps = [_(STEP_START)] if start else []
    about = [_(HELPS).format(what=what)] if what else []
    route = row.get("route")
    if row.get("travel") == "transit" and isinstance(route, dict) and route.get("rides"):
        steps += _ride_steps(route, number, _)
        vehicles = [_(VEHICLES.get(str(r["vehicle"]), "service")) for r in route["rides"]]
        about.append(
            _(BY_TRANSPORT).format(minutes=mins, vehicle=", ".join(dict.fromkeys(vehicles)))
        )
    elif row.get("travel") == "bike":
        steps.append(_(STEP_FIND).format(number=number))
        if mins is not None:
            steps.append(_(STEP_CYCLE).format(minutes=mins))
            about.append(_(CYCLE).format(minutes=mins))
    else:
        steps.append(_(STEP_FIND).format(number=number))
        if mins is not None:
            steps.append(_(STEP_WALK).format(minutes=mins))
            about.append(_(WALK).format(minutes=mins))
    if address:
        steps.append(_(STEP_ADDRESS).format(address=address))
    contact = [
        _(template).format(**{key: value})
        for template, key in ((PHONE, "phone"), (EMAIL, "email"), (WEBSITE, "website"))
        if (value := _text(row.get(key)))
    ]
    return {
        "icon": icon,
        "name": str(_text(row["name"]) or "?"),
        "about": about,
        "hours": hours_in_words(hours, _),
        "steps": [_(STEP).format(number=i) + " " + s for i, s in enumerate(steps, start=1)],
        "contact": contact,
    }


def _date_words(day: dt.date, _: Callable[[str], str]) -> str:
    return f"{day.day} {_(MONTHS[day.month - 1])} {day.year}"


def easy_read_lines(
    services: pd.DataFrame,
    *,
    language: str = "en",
    start: tuple[float, float] | None = None,
    made_on: dt.date | None = None,
) -> dict[str, Any]:
    """Return the sheet's content: its heading lines and one block per service.

    Raises
    ------
    SchemaError
        No services, too many, a service without a valid point, or an unknown language.
    """
    _ = translator(language).gettext
    sheet_map_svg(services)  # the same checks as the standard sheet (rows, points)
    day = made_on or dt.date.today()
    rows: list[dict[str, Any]] = services.reset_index(drop=True).to_dict("records")  # type: ignore[assignment]
    return {
        "title": _(TITLE),
        "head": [_(MADE).format(date=_date_words(day, _)), _(PHONE_FIRST)],
        "services": [
            _service_lines(r, n, start=start is not None, _=_) for n, r in enumerate(rows, start=1)
        ],
    }


def easy_read_text(
    services: pd.DataFrame,
    *,
    language: str = "en",
    start: tuple[float, float] | None = None,
    made_on: dt.date | None = None,
) -> str:
    """Return the Easy Read sheet as plain lines (what :func:`sheet_audio_wav` speaks)."""
    _ = translator(language).gettext
    content = easy_read_lines(services, language=language, start=start, made_on=made_on)
    lines = [content["title"] + ".", *(h.rstrip(".") + "." for h in content["head"])]
    for number, block in enumerate(content["services"], start=1):
        lines.append(f"{number}. {block['icon']} {block['name']}.")
        lines += block["about"]
        lines.append(_(WHEN) + ":")
        lines += block["hours"]
        lines.append(_(HOW) + ":")
        lines += block["steps"]
        lines += block["contact"]
    return "\n".join(lines)


def _street_labels(
    services: pd.DataFrame, network: WalkNetwork | None
) -> list[tuple[str, float, float, float]]:
    """Street names to write on the map: each service's street, along its nearest segment.

    The walking network has no names, so the streets named are those in the
    services' addresses, drawn along the street segment nearest each service.
    """
    if network is None or not network.n_edges or "address" not in services.columns:
        return []
    lon, lat = np.asarray(network.lon, float), np.asarray(network.lat, float)
    u, v = np.asarray(network.edge_u), np.asarray(network.edge_v)
    mid_lon, mid_lat = (lon[u] + lon[v]) / 2, (lat[u] + lat[v]) / 2
    labels: dict[str, tuple[str, float, float, float]] = {}
    for row in services.to_dict("records"):
        street = _street(_text(row.get("address")))
        if street is None or street in labels:
            continue
        kx = math.cos(math.radians(float(row["lat"])))
        near = int(np.argmin(((mid_lon - float(row["lon"])) * kx) ** 2
                             + (mid_lat - float(row["lat"])) ** 2))  # fmt: skip
        dx = (lon[v[near]] - lon[u[near]]) * kx
        dy = lat[v[near]] - lat[u[near]]
        angle = -math.degrees(math.atan2(dy, dx))
        angle = angle - 180 if angle > 90 else angle + 180 if angle < -90 else angle
        labels[street] = (street, float(mid_lon[near]), float(mid_lat[near]), angle)
    return list(labels.values())


def easy_read_html(
    services: pd.DataFrame,
    *,
    network: WalkNetwork | None = None,
    language: str = "en",
    note: str | None = None,
    start: tuple[float, float] | None = None,
    made_on: dt.date | None = None,
) -> str:
    """Return the Easy Read sheet as a standalone HTML page (A4, print-ready).

    Parameters are as for :func:`assetmap.sheet.support_sheet_html`, plus
    ``language`` (a key of :data:`LANGUAGES`). Every string is HTML-escaped.
    """
    _ = translator(language).gettext
    content = easy_read_lines(services, language=language, start=start, made_on=made_on)
    name, direction, _voice = LANGUAGES[language]
    fonts = _RTL_FONTS if direction == "rtl" else _FONTS
    esc = html.escape
    svg = sheet_map_svg(
        services, network=network, start=start, street_labels=_street_labels(services, network),
        start_label=_(YOU_START) if start is not None else None, width=640, height=420,
    )  # fmt: skip
    blocks = []
    for number, block in enumerate(content["services"], start=1):
        paragraphs = "".join(f"<p>{esc(line)}</p>" for line in block["about"])
        hours = "".join(f"<p>{esc(line)}</p>" for line in block["hours"])
        steps = "".join(f"<p>{esc(line)}</p>" for line in block["steps"])
        contact = "".join(f"<p>{esc(line)}</p>" for line in block["contact"])
        blocks.append(
            f'<section><h2><span class="icon" aria-hidden="true">{block["icon"]}</span> '
            f'<span class="num" style="background:{sheet_colour(number)}">{number}</span> '
            f"<bdi>{esc(block['name'])}</bdi></h2>{paragraphs}"
            f"<h3>{esc(_(WHEN))}</h3>{hours}<h3>{esc(_(HOW))}</h3>{steps}{contact}</section>"
        )
    note_html = f"<h2>{esc(_(NOTE))}</h2><p>{esc(' '.join(note.split()))}</p>" if note else ""
    head = "".join(f"<p>{esc(line)}</p>" for line in content["head"])
    return (
        f'<!DOCTYPE html><html lang="{language}" dir="{direction}"><head><meta charset="utf-8">'
        f"<title>{esc(content['title'])}</title>"
        f"<style>{_CSS.format(fonts=fonts)}</style></head><body>"
        f"<h1>{esc(content['title'])}</h1>{head}{note_html}"
        f'<p>{esc(_(MAP_HELP))}</p><div class="map" dir="ltr">{svg}</div>'
        f'{"".join(blocks)}<p class="foot">{esc(_(CREDIT))} © OpenStreetMap contributors '
        f"(ODbL). {esc(name)}</p></body></html>"
    )


def sheet_audio_wav(text: str, *, language: str = "en", words_per_minute: int = 140) -> bytes:
    """Speak ``text`` with espeak-ng to WAV bytes, offline (for the "listen" option).

    Icons are left out of what is spoken. ``words_per_minute`` is slower than
    espeak's 175 so the sheet is easy to follow.

    Raises
    ------
    AssetMapError
        If espeak-ng is not installed (``scripts/setup.sh`` installs it) or fails.
    """
    voice = LANGUAGES[language][2] if language in LANGUAGES else None
    if voice is None:
        translator(language)  # raises the clear error
    program = shutil.which("espeak-ng")
    if program is None:
        msg = (
            "espeak-ng is not installed, so the sheet cannot be read aloud (run scripts/setup.sh)."
        )
        raise AssetMapError(msg)
    spoken = "\n".join(_emoji_free(line) for line in text.splitlines())
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "sheet.wav"
        result = subprocess.run(  # noqa: S603 - fixed program, text passed on stdin
            [program, "-v", str(voice), "-s", str(words_per_minute), "-w", str(out), "--stdin"],
            input=spoken.encode("utf-8"), capture_output=True, timeout=120, check=False,
        )  # fmt: skip
        if result.returncode != 0 or not out.is_file():
            detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
            msg = (
                f"espeak-ng could not read the sheet aloud: {detail[0] if detail else 'no output'}."
            )
            raise AssetMapError(msg)
        return out.read_bytes()
