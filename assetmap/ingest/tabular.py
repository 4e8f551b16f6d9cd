"""Spreadsheet import: CSV and XLSX community directories -> the asset table.

Three steps, each usable on its own so the app can show a preview between them:

1. :func:`read_table` reads a CSV (encoding and delimiter sniffed) or an XLSX
   sheet into a DataFrame of strings whose index is the row number the user
   sees in a spreadsheet program (the header is row 1 unless a title sits above it).
2. :func:`propose_column_mapping` matches the headers to assetmap's fields
   (:data:`TABLE_FIELDS`) by fuzzy match, with a score per column; the user
   confirms or overrides (``--map SOURCE=FIELD`` on the CLI).
3. :func:`assets_from_table` turns the rows into validated assets and a
   row-level problem report. Rows with an ``error`` are left out; the caller
   refuses to import while :func:`has_blocking_problems` is true unless the
   user chose to skip them. Nothing is written here: the store imports the
   accepted rows in one transaction.

Latitude and longitude that look swapped are reported, not silently fixed;
pass ``fix_swapped=True`` to swap them back (the report then holds a warning).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import math
import re
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
from rapidfuzz import fuzz, process

from assetmap.errors import AssetMapError, IngestError, NoAssetsError, SchemaError
from assetmap.geo import UK_BOUNDS, haversine_m, inside
from assetmap.ingest.postcodes import (
    PostcodeIndex,
    bng_to_wgs84,
    find_postcode,
    normalise_postcodes,
)
from assetmap.schema import KINDS, MAX_TEXT_CHARS, empty_assets, normalise_record, validate_assets
from assetmap.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "REPORT_COLUMNS",
    "TABLE_FIELDS",
    "ColumnMapping",
    "ColumnMatch",
    "TabularLimits",
    "TabularResult",
    "assets_from_table",
    "has_blocking_problems",
    "map_categories",
    "propose_column_mapping",
    "read_table",
]

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

REPORT_COLUMNS: Final = ("row", "field", "problem", "value", "severity")

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

_FAR_FROM_POSTCODE_M: Final = 5_000.0
_PLACEHOLDERS: Final = frozenset({"-", "–", "—", "n/a", "null", "#n/a"})
_NUMBER_RE: Final = re.compile(r"^[+-]?\s*[\d(][\d\s().,-]*$")
_BULLET_RE: Final = re.compile(r"^[+-]\s+[^\W\d_]")
_EMAIL_RE: Final = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_MAGIC: Final = (
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook (save it as .xlsx or CSV)"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
)


@dataclass(frozen=True, slots=True)
class TabularLimits:
    """Limits on what a spreadsheet import reads.

    Attributes
    ----------
    max_bytes
        Largest file accepted.
    max_rows
        Most data rows accepted.
    max_columns
        Most columns accepted.
    chunk_rows
        Rows parsed (and validated) per step; progress is reported per step.
    max_unpacked_bytes
        Most bytes an .xlsx workbook (a zip) may unpack to: a "zip bomb" of a
        few kilobytes could otherwise expand to gigabytes of shared strings.
    """

    max_bytes: int = 50 * 1024 * 1024
    max_rows: int = 250_000
    max_columns: int = 500
    chunk_rows: int = 20_000
    max_unpacked_bytes: int = 512 * 1024 * 1024

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_rows", "max_columns", "chunk_rows", "max_unpacked_bytes"):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                msg = f"`{name}` must be a positive whole number, got {value!r}."
                raise ValueError(msg)


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


@dataclass(frozen=True, eq=False)
class TabularResult:
    """What :func:`assets_from_table` returns.

    Attributes
    ----------
    assets
        Accepted rows as a validated asset table; ``source_id`` is stable across re-imports.
        Its index is the spreadsheet row number.
    report
        One line per problem: row (spreadsheet row number), field, problem,
        value, severity (``"error"`` rows are not in ``assets``; ``"warning"`` rows are).
    category_mapping
        One line per distinct category text: text, categories, score, unmatched, rows.
    """

    assets: gpd.GeoDataFrame
    report: pd.DataFrame
    category_mapping: pd.DataFrame
    rows_read: int = 0

    @property
    def rows_rejected(self) -> int:
        """How many rows have at least one error."""
        errors = self.report[self.report["severity"] == "error"]
        return int(errors["row"].nunique())


# --------------------------------------------------------------------------- reading


def _read_source(
    source: str | Path | bytes, filename: str | None, limits: TabularLimits
) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        name = filename or "upload"
    else:
        path = Path(source)
        name = filename or path.name
        try:
            size = path.stat().st_size
        except OSError as exc:
            msg = f"Cannot open {path}: {exc.strerror or exc}."
            raise IngestError(msg) from exc
        if size > limits.max_bytes:
            msg = (
                f"{name} is {size / 1e6:,.1f} MB; the limit is {limits.max_bytes / 1e6:,.1f} MB. "
                "Split the file or remove unused columns."
            )
            raise IngestError(msg)
        data = path.read_bytes()
    if len(data) > limits.max_bytes:
        msg = (
            f"{name} is {len(data) / 1e6:,.1f} MB; the limit is {limits.max_bytes / 1e6:,.1f} MB. "
            "Split the file or remove unused columns."
        )
        raise IngestError(msg)
    return data, name


_UTF8_MULTIBYTE: Final = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def _line_of(data: bytes, offset: int, encoding: str) -> int:
    """Return the 1-based line of the byte at ``offset`` (in the file's own encoding)."""
    return data[:offset].decode(encoding, errors="replace").count("\n") + 1


def _bad_bytes(error: UnicodeDecodeError) -> str:
    bad = error.object[error.start : min(error.end, error.start + 4)]
    return "byte" + ("s " if len(bad) > 1 else " ") + " ".join(f"0x{b:02X}" for b in bad)


def _refuse_mixed_encodings(data: bytes, error: UnicodeDecodeError, name: str) -> None:
    """Refuse a file whose lines are partly UTF-8 and partly another encoding.

    Decoding such a file as Windows-1252 would silently turn every UTF-8 "é"
    into "Ã©"; a file wholly in one encoding passes.
    """
    utf8 = _UTF8_MULTIBYTE.search(data)
    if utf8 is None:
        return
    bad_line = _line_of(data, error.start, "latin-1")
    good_line = _line_of(data, utf8.start(), "latin-1")
    where = (
        f"line {bad_line:,} is not UTF-8 ({_bad_bytes(error)}) but line {good_line:,} is"
        if bad_line != good_line
        else f"line {bad_line:,} holds UTF-8 text and also {_bad_bytes(error)}, which is not"
    )
    msg = (
        f"{name} mixes text encodings: {where}. Save the whole file as "
        "UTF-8 CSV (Excel: 'CSV UTF-8') and import it again."
    )
    raise IngestError(msg)


def _decode(data: bytes, name: str) -> tuple[str, str]:
    """Return the text of a CSV and the encoding used."""
    if data.startswith(b"\xef\xbb\xbf"):
        encodings: tuple[str, ...] = ("utf-8-sig",)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    else:
        sample = data[:4096]
        odd, even = sample[1::2].count(0), sample[0::2].count(0)
        if len(sample) >= 4 and odd > 0.3 * len(sample) / 2 and even == 0:
            encodings = ("utf-16-le",)
        elif len(sample) >= 4 and even > 0.3 * len(sample) / 2 and odd == 0:
            encodings = ("utf-16-be",)
        elif b"\x00" in data:
            offset = data.index(b"\x00")
            msg = (
                f"{name} is not a text spreadsheet: it holds binary data "
                f"(a NUL byte at byte {offset:,})."
            )
            raise IngestError(msg)
        else:
            encodings = ("utf-8", "cp1252", "latin-1")
    first_error: UnicodeDecodeError | None = None
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            first_error = first_error or exc
            continue
        break
    else:
        where = (
            f": line {_line_of(data, first_error.start, encodings[0]):,} holds "
            f"{_bad_bytes(first_error)}"
            if first_error is not None
            else ""
        )
        msg = f"{name} cannot be decoded as {encodings[0]}{where}; save it as UTF-8 CSV."
        raise IngestError(msg) from first_error
    sample_text = text[:65_536]
    controls = sum(1 for ch in sample_text if (ord(ch) < 32 and ch not in "\t\r\n") or ch == "\x7f")
    if controls > max(20, len(sample_text) // 100) or "\x00" in sample_text:
        msg = (
            f"{name} is not a text spreadsheet: its first {len(sample_text):,} characters "
            f"hold {controls:,} control characters (binary data?)."
        )
        raise IngestError(msg)
    if encoding != encodings[0] and first_error is not None and encodings[0] == "utf-8":
        _refuse_mixed_encodings(data, first_error, name)
    return text, encoding


def _sniff_delimiter(lines: Sequence[str]) -> str:
    best, best_key = ",", (-1.0, 0)
    for delimiter in (",", ";", "\t", "|"):
        widths = [
            len(r) for r in csv.reader(lines, delimiter=delimiter) if any(c.strip() for c in r)
        ]
        if not widths:
            continue
        mode = max(set(widths), key=lambda w: (widths.count(w), w))
        if mode < 2:
            continue
        key = (round(widths.count(mode) / len(widths), 1), mode)
        if key > best_key:
            best, best_key = delimiter, key
    return best


def _header_position(records: Sequence[Sequence[str]]) -> int:
    """Return the index of the header record: skips titles and blank lines above it."""
    counts = [sum(1 for c in r if str(c).strip()) for r in records]
    if not counts or max(counts) == 0:
        return 0
    needed = max(1, math.ceil(max(counts) / 2))
    needed = max(needed, 2) if max(counts) >= 3 else needed
    return next(i for i, n in enumerate(counts) if n >= needed)


def _column_letter(position: int) -> str:
    letters = ""
    position += 1
    while position:
        position, rem = divmod(position - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _clean_headers(cells: Sequence[Any]) -> list[str]:
    out: list[str] = []
    for i, cell in enumerate(cells):
        name = re.sub(r"\s+", " ", "" if cell is None else str(cell)).strip()
        name = name or f"Column {_column_letter(i)}"
        base, n = name, 1
        while name in out:
            n += 1
            name = f"{base} ({n})"
        out.append(name)
    return out


def _finish(
    chunks: list[pd.DataFrame], headers: list[str], first_row: int, name: str, limits: TabularLimits
) -> pd.DataFrame:
    frame = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame(columns=headers)
    frame.columns = pd.Index(headers)
    frame = frame.fillna("").astype(str)
    frame.index = pd.RangeIndex(first_row, first_row + len(frame), name="row")
    blank = (frame.apply(lambda col: col.str.strip()) == "").all(axis=1)
    frame = frame[~blank]
    if frame.empty:
        msg = f"{name} has a header row (row {first_row - 1}) but no data rows."
        raise NoAssetsError(msg)
    if len(frame) > limits.max_rows:
        msg = f"{name} has more than {limits.max_rows:,} rows; split it into smaller files."
        raise IngestError(msg)
    return pd.DataFrame(frame)


def _read_csv(
    text: str, name: str, limits: TabularLimits, progress: Progress | None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    head_lines = text[:65_536].splitlines()[:50]
    delimiter = _sniff_delimiter(head_lines)
    records = list(csv.reader(head_lines[:30], delimiter=delimiter))
    header_at = _header_position(records)
    if header_at >= len(records):
        msg = f"{name} has no header row."
        raise IngestError(msg)
    headers = _clean_headers(records[header_at])
    if len(headers) > limits.max_columns:
        msg = f"{name} has {len(headers):,} columns; the limit is {limits.max_columns:,}."
        raise IngestError(msg)
    buffer = io.StringIO(text)
    chunks: list[pd.DataFrame] = []
    rows = 0
    try:
        reader = pd.read_csv(
            buffer,
            sep=delimiter,
            header=0,
            skiprows=header_at,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            index_col=False,
            chunksize=limits.chunk_rows,
            engine="c",
        )
        with reader, warnings.catch_warnings():
            # a row longer than the header would be cut silently (ParserWarning)
            warnings.simplefilter("error", pd.errors.ParserWarning)
            for chunk in reader:
                chunks.append(chunk)
                rows += len(chunk)
                if rows > limits.max_rows:
                    msg = (
                        f"{name} has more than {limits.max_rows:,} rows; the limit is "
                        f"{limits.max_rows:,}. Split it into smaller files."
                    )
                    raise IngestError(msg)
                if progress is not None:
                    progress(min(buffer.tell(), len(text)), len(text))
    except pd.errors.ParserError as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if found:
            expected, line, saw = (int(g) for g in found.groups())
            msg = (
                f"{name}, row {line + header_at}: {saw} cells but the header has {expected} "
                "(a stray delimiter or an unclosed quote?)."
            )
        else:
            msg = f"{name} cannot be read as CSV: {exc}"
        raise IngestError(msg) from exc
    except pd.errors.EmptyDataError as exc:
        msg = f"{name} is empty."
        raise IngestError(msg) from exc
    except pd.errors.ParserWarning as exc:
        msg = (
            f"{name}: a row has more cells than the header "
            "(a stray delimiter or an unclosed quote?)."
        )
        raise IngestError(msg) from exc
    if chunks and chunks[0].shape[1] != len(headers):
        headers = _clean_headers(list(chunks[0].columns))
    frame = _finish(chunks, headers, header_at + 2, name, limits)
    return frame, {"format": "csv", "delimiter": delimiter, "header_row": header_at + 1}


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _read_xlsx(
    data: bytes, name: str, sheet: str | None, limits: TabularLimits, progress: Progress | None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:  # sizes as declared; reads stop there
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        msg = f"{name} is not a readable Excel .xlsx workbook ({type(exc).__name__}: {exc})."
        raise IngestError(msg) from exc
    if unpacked > limits.max_unpacked_bytes:
        msg = (
            f"{name} unpacks to {unpacked / 1e6:,.1f} MB; the limit is "
            f"{limits.max_unpacked_bytes / 1e6:,.1f} MB. Save it as CSV or split it."
        )
        raise IngestError(msg)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (
        zlib.error,  # a damaged deflate stream in a part read on opening (found by hypothesis)
        zipfile.BadZipFile,
        EOFError,
        KeyError,
        OSError,
        ValueError,
        TypeError,
        SyntaxError,
    ) as exc:
        msg = f"{name} is not a readable Excel .xlsx workbook ({type(exc).__name__}: {exc})."
        raise IngestError(msg) from exc
    try:
        names = list(workbook.sheetnames)
        if sheet is not None and sheet not in names:
            msg = f"{name} has no sheet {sheet!r}; its sheets are {', '.join(map(repr, names))}."
            raise IngestError(msg)
        # Default: the first sheet with a header and a row; else the first with anything.
        chosen, head, fallback = None, [], None
        for candidate in [sheet] if sheet is not None else names:
            rows = workbook[candidate].iter_rows(values_only=True)
            sample = [r for _, r in zip(range(30), rows, strict=False)]
            filled = sum(1 for r in sample if any(_cell_text(c).strip() for c in r))
            if filled >= 2 or (filled and sheet is not None):
                chosen, head = candidate, sample
                break
            if filled and fallback is None:
                fallback = (candidate, sample)
        if chosen is None and fallback is not None:
            chosen, head = fallback
        if chosen is None:
            msg = f"{name}: every sheet is empty ({', '.join(map(repr, names))})."
            raise NoAssetsError(msg)
        worksheet = workbook[chosen]
        records = [[_cell_text(c) for c in r] for r in head]
        header_at = _header_position(records)
        header_cells = records[header_at]
        width = max((i + 1 for i, c in enumerate(header_cells) if c.strip()), default=0)
        if width > limits.max_columns:
            msg = (
                f"{name}, sheet {chosen!r} has {width:,} columns; "
                f"the limit is {limits.max_columns:,}."
            )
            raise IngestError(msg)
        headers = _clean_headers(header_cells[:width])
        total = int(worksheet.max_row or 0)
        chunks: list[pd.DataFrame] = []
        batch: list[list[str]] = []
        rows = 0
        for row in worksheet.iter_rows(min_row=header_at + 2, values_only=True):
            cells = [_cell_text(c) for c in row[:width]]
            batch.append(cells + [""] * (width - len(cells)))
            rows += 1
            if rows > limits.max_rows:
                msg = (
                    f"{name}, sheet {chosen!r} has more than {limits.max_rows:,} rows; the "
                    f"limit is {limits.max_rows:,}. Split it into smaller files."
                )
                raise IngestError(msg)
            if len(batch) == limits.chunk_rows:
                chunks.append(pd.DataFrame(batch, columns=headers, dtype=str))
                batch = []
                if progress is not None:
                    progress(rows, max(total - header_at - 1, rows))
        if batch:
            chunks.append(pd.DataFrame(batch, columns=headers, dtype=str))
        if progress is not None:
            progress(rows, rows)
    except AssetMapError:
        raise
    except (
        zlib.error,
        zipfile.BadZipFile,
        EOFError,
        OSError,
        KeyError,
        ValueError,
        TypeError,
        SyntaxError,
    ) as exc:  # a damaged part inside the zip (xml.etree ParseError: SyntaxError)
        msg = f"{name} is a damaged Excel .xlsx workbook ({type(exc).__name__}: {exc})."
        raise IngestError(msg) from exc
    finally:
        workbook.close()
    frame = _finish(chunks, headers, header_at + 2, name, limits)
    return frame, {
        "format": "xlsx",
        "sheet": chosen,
        "sheets": tuple(names),
        "header_row": header_at + 1,
    }


def read_table(
    source: str | Path | bytes,
    *,
    filename: str | None = None,
    sheet: str | None = None,
    limits: TabularLimits | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    r"""Read a CSV or XLSX spreadsheet into a DataFrame of strings.

    CSV encodings tried: a BOM's (UTF-8, UTF-16), then UTF-8, Windows-1252,
    Latin-1; the delimiter (comma, semicolon, tab, pipe) is sniffed. A title
    line above the header is skipped. XLSX formulas are read as their text
    (``=...``), never evaluated. The file is parsed ``limits.chunk_rows`` rows
    at a time.

    Parameters
    ----------
    source
        A path, or the file's bytes (an upload).
    filename
        The name to show in messages and to detect the format (``.xlsx``);
        defaults to the path's name.
    sheet
        XLSX only: the sheet to read; default the first sheet with content.
    limits
        Size limits; :class:`TabularLimits` defaults when omitted.
    progress
        Called as ``progress(done, total)`` after each chunk (characters for
        CSV, rows for XLSX).

    Returns
    -------
    pandas.DataFrame
        One string column per header (blank cells are ""); the index is the
        spreadsheet row number. ``attrs`` holds filename, format, encoding or
        sheet, delimiter, header_row.

    Raises
    ------
    IngestError
        If the file is empty, too big, binary, not CSV/XLSX, or a row is malformed (named).
    NoAssetsError
        If it has a header but no data rows.

    Examples
    --------
    >>> frame = read_table(b"Name;Post Code\nOakham Library;LE15 6AL\n", filename="libs.csv")
    >>> frame.to_dict("index"), frame.attrs["delimiter"]
    ({2: {'Name': 'Oakham Library', 'Post Code': 'LE15 6AL'}}, ';')
    """
    limits = limits or TabularLimits()
    data, name = _read_source(source, filename, limits)
    if not data.strip(b" \t\r\n\xef\xbb\xbf\xff\xfe\x00"):
        msg = f"{name} is empty."
        raise IngestError(msg)
    for magic, what in _MAGIC:
        if data.startswith(magic):
            msg = f"{name} is {what}, not a CSV or .xlsx spreadsheet."
            raise IngestError(msg)
    if data.startswith(b"PK\x03\x04"):
        frame, info = _read_xlsx(data, name, sheet, limits, progress)
    elif name.lower().endswith((".xlsx", ".xlsm")):
        msg = f"{name} is named like an Excel workbook but is not one (it is not a zip file)."
        raise IngestError(msg)
    else:
        text, encoding = _decode(data, name)
        frame, info = _read_csv(text, name, limits, progress)
        info["encoding"] = encoding
    frame.attrs.update(info, filename=name)
    logger.info("Read %d rows and %d columns from %s.", len(frame), frame.shape[1], name)
    return frame


# --------------------------------------------------------------------------- mapping


def _normalise_header(text: str) -> str:
    text = re.sub(r"\([^)]*\)|\[[^]]*\]", " ", str(text).lower())
    text = re.sub(r"[^0-9a-z]+", " ", text.replace("&", " and "))
    text = f" {text} "
    for phrase, replacement in _PHRASES:
        text = text.replace(f" {phrase} ", f" {replacement} ")
    words = [_ABBREVIATIONS.get(w, w) for w in text.split()]
    return " ".join(w for w in words if w and w not in _STOPWORDS)


def _text_score(a: str, b: str, **_: Any) -> float:
    return max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b))


def _header_score(a: str, b: str) -> float:
    """Score two normalised headers; every word must have a close partner in the other.

    The word check keeps "contact name" away from "contact number" (85 by ratio).
    """
    score = _text_score(a, b)
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


# --------------------------------------------------------------------------- categories


def _normalise_category(text: str) -> str:
    text = str(text).lower().replace("&", " and ").replace("_", " ").replace("center", "centre")
    return " ".join(re.sub(r"[^0-9a-z' ]+", " ", text).replace("'", "").split())


def _category_choices(taxonomy: Taxonomy) -> tuple[list[str], list[str]]:
    texts: list[str] = []
    codes: list[str] = []
    for cat in taxonomy.categories.values():
        spellings = {cat.code, cat.label, cat.plain_label, *cat.keywords}
        spellings.update(term.name for term in cat.hsds_terms)
        for spelling in spellings:
            texts.append(_normalise_category(spelling))
            codes.append(cat.code)
    return texts, codes


_PHRASE_SCORE: Final = 90.0


def _phrase_categories(text: str, taxonomy: Taxonomy) -> list[str]:
    """Categories a category text asks for directly, read by the everyday-phrase layer.

    Every word must be explained by the phrases found (so "Knitting circle"
    maps to nothing rather than to any circle).
    """
    from assetmap.match.phrases import build_phrase_index, read_words

    index = build_phrase_index(taxonomy=taxonomy) if taxonomy is not load_taxonomy() else None
    reading = read_words(text, index=index)
    if not reading.words:
        return []
    return [
        code
        for code, weight in sorted(reading.categories.items())
        if weight >= 1.0 and len(reading.covers[code]) == len(reading.words)
    ]


def map_categories(
    texts: Iterable[str],
    *,
    taxonomy: Taxonomy | None = None,
    overrides: Mapping[str, Sequence[str] | str | None] | None = None,
    threshold: float = 80.0,
) -> pd.DataFrame:
    """Map free category texts ("Food Bank", "Advice; Housing") to taxonomy codes.

    A text is split on ``;``, ``|``, ``,`` and new lines; each part is scored
    with rapidfuzz against every category's code, labels, keywords and HSDS
    term names (best of ``ratio`` and ``token_sort_ratio`` after normalising).
    A part takes every category that ties for its best score at or above
    ``threshold``.

    Parameters
    ----------
    texts
        Distinct category cells.
    taxonomy
        The default taxonomy when omitted.
    overrides
        Text -> category code(s) the user chose (None for no category).
    threshold
        Lowest score that maps a part.

    Returns
    -------
    pandas.DataFrame
        Columns text, categories (tuple of codes), score (lowest part score),
        unmatched (tuple of parts that matched nothing).

    Raises
    ------
    TaxonomyError
        If an override names an unknown category code.

    Examples
    --------
    >>> mapped = map_categories(["Food Bank", "Library; Youth club", "Knitting"])
    >>> mapped["categories"].tolist()
    [('food_support',), ('library', 'family_support', 'youth_services'), ()]
    >>> mapped["score"].tolist()
    [100.0, 100.0, 58.8]
    """
    tax = taxonomy or load_taxonomy()
    choices, codes = _category_choices(tax)
    fixed = {str(k).strip().lower(): v for k, v in (overrides or {}).items()}
    rows: list[tuple[str, tuple[str, ...], float, tuple[str, ...]]] = []
    for text in texts:
        key = str(text).strip()
        if key.lower() in fixed:
            chosen = fixed[key.lower()]
            found = tax.check_categories([chosen] if isinstance(chosen, str) else (chosen or ()))
            rows.append((text, found, 100.0, ()))
            continue
        found_codes: list[str] = []
        unmatched: list[str] = []
        part_scores: list[float] = []
        for part in re.split(r"[;|,\n]+", key):
            query = _normalise_category(part)
            if not query:
                continue
            results = process.extract(query, choices, scorer=_text_score, limit=12)
            top = results[0][1] if results else 0.0
            if top < threshold:
                # The everyday-phrase layer Find support uses: "Domestic abuse support".
                direct = _phrase_categories(part, tax)
                if direct:
                    part_scores.append(_PHRASE_SCORE)
                    found_codes.extend(c for c in direct if c not in found_codes)
                    continue
            part_scores.append(float(top))
            if top < threshold:
                unmatched.append(part.strip())
                continue
            for _, score, position in results:
                if score == top and codes[position] not in found_codes and len(found_codes) < 6:
                    found_codes.append(codes[position])
        score = round(min(part_scores), 1) if part_scores else 0.0
        rows.append((text, tuple(found_codes), score, tuple(unmatched)))
    return pd.DataFrame(rows, columns=["text", "categories", "score", "unmatched"])


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


_PARSERS: Final[dict[str, tuple[Callable[[str], Any], str]]] = {
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
_WARN_ONLY: Final = frozenset({"last_verified"})


# --------------------------------------------------------------------------- rows


class _Problems:
    """Collects report lines, vectorised per check."""

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def add(
        self,
        rows: pd.Index | Sequence[int],
        target: str,
        problem: str | Sequence[str] | pd.Series,
        value: Sequence[str] | pd.Series | str = "",
        severity: str = "error",
    ) -> None:
        rows = list(rows)
        if not rows:
            return
        values = [value] * len(rows) if isinstance(value, str) else list(value)
        problems = [problem] * len(rows) if isinstance(problem, str) else list(problem)
        self.parts.append(
            pd.DataFrame(
                {
                    "row": rows,
                    "field": target,
                    "problem": problems,
                    "value": values,
                    "severity": severity,
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({c: pd.Series([], dtype=object) for c in REPORT_COLUMNS})
        report = pd.concat(self.parts, ignore_index=True)
        report["row"] = report["row"].astype(int)
        report["value"] = report["value"].astype(str).str.slice(0, 200)
        return report.sort_values(["row", "field"], kind="stable").reset_index(drop=True)


def _text(frame: pd.DataFrame, mapping: ColumnMapping, target: str, sep: str = ", ") -> pd.Series:
    columns = mapping.columns_for(target)
    if not columns:
        return pd.Series("", index=frame.index, dtype=object)
    cleaned = [frame[c].astype(str).str.strip() for c in columns]
    cleaned = [c.where(~c.str.lower().isin(_PLACEHOLDERS), "") for c in cleaned]
    if len(cleaned) == 1:
        return cleaned[0].astype(object)
    joined = pd.concat(cleaned, axis=1).apply(lambda r: sep.join(v for v in r if v), axis=1)
    return joined.astype(object)


def _formula_cells(values: pd.Series) -> pd.Series:
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


def _parse_column(
    values: pd.Series, target: str, problems: _Problems
) -> tuple[pd.Series, pd.Index]:
    """Parse a column through its value parser; report and blank the bad cells."""
    parser, expected = _PARSERS[target]
    parsed: dict[str, Any] = {}
    bad: set[str] = set()
    for text in values.unique():
        try:
            parsed[text] = parser(text)
        except ValueError:
            bad.add(text)
    mask = values.isin(bad)
    problems.add(
        values.index[mask],
        target,
        f"`{target}` {expected}",
        values[mask],
        "warning" if target in _WARN_ONLY else "error",
    )
    out = values.map(lambda t: parsed.get(t)).astype(object)
    return out, values.index[mask]


def _coordinates(
    frame: pd.DataFrame, mapping: ColumnMapping, problems: _Problems
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
        xs, ys = _text(frame, mapping, xf), _text(frame, mapping, yf)
        xv = pd.to_numeric(
            xs.str.replace("°", "", regex=False).str.replace(",", ".", regex=False), errors="coerce"
        )
        yv = pd.to_numeric(
            ys.str.replace("°", "", regex=False).str.replace(",", ".", regex=False), errors="coerce"
        )
        for target, texts, numbers in ((xf, xs, xv), (yf, ys, yv)):
            bad = (texts != "") & numbers.isna()
            problems.add(frame.index[bad], target, f"`{target}` is not a number", texts[bad])
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
            problems.add(
                frame.index[outside],
                xf,
                "eastings/northings are outside the British National Grid",
                (xs + ", " + ys)[outside],
            )
            gx, gy = bng_to_wgs84(np.where(good, xa, np.nan), np.where(good, ya, np.nan))
            xa, ya = np.where(good, gx, np.nan), np.where(good, gy, np.nan)
        else:
            invalid = np.isfinite(xa) & np.isfinite(ya) & ((np.abs(xa) > 180) | (np.abs(ya) > 90))
            problems.add(
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


def _name_key(names: pd.Series) -> pd.Series:
    return (
        names.str.lower()
        .str.replace("&", " and ", regex=False)
        .str.replace(r"[^0-9a-z]+", " ", regex=True)
        .str.split()
        .str.join(" ")
    )


def _source_ids(
    ids: pd.Series,
    name_key: pd.Series,
    postcode: pd.Series,
    lon: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
) -> pd.Series:
    where = postcode.where(postcode.notna() & (postcode != ""), None)
    coords = pd.Series(
        [f"{y:.4f},{x:.4f}" if math.isfinite(x) else "" for x, y in zip(lon, lat, strict=True)],
        index=name_key.index,
    )
    keys = name_key + "|" + where.fillna(coords).astype(str)
    hashed = keys.map(
        lambda k: "h:" + hashlib.sha1(k.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]
    )
    return ids.where(ids != "", hashed).astype(object)


def _describe(description: pd.Series, eligibility: pd.Series) -> pd.Series:
    who = eligibility.map(lambda t: f"Who it is for: {t}" if t else "")
    both = (description != "") & (who != "")
    return description.where(~both, description + "\n\n" + who).where(description != "", who)


def _validated(records: pd.DataFrame, taxonomy: Taxonomy, problems: _Problems) -> gpd.GeoDataFrame:
    """Validate a chunk; on a schema error find and drop the rows at fault."""
    try:
        out = validate_assets(records, taxonomy=taxonomy)
    except SchemaError:
        keep = []
        for row, raw in zip(records.index, records.to_dict("records"), strict=True):
            record: dict[str, Any] = {str(k): v for k, v in raw.items()}
            try:
                normalise_record(record, taxonomy=taxonomy, where=f"row {row}")
            except SchemaError as exc:
                problems.add([row], "row", str(exc), "")
            else:
                keep.append(row)
        records = records.loc[keep]
        out = validate_assets(records, taxonomy=taxonomy) if keep else empty_assets()
    out.index = records.index
    return out


def assets_from_table(
    frame: pd.DataFrame,
    mapping: ColumnMapping | None = None,
    *,
    taxonomy: Taxonomy | None = None,
    postcodes: PostcodeIndex | None = None,
    area_bbox: tuple[float, float, float, float] | None = None,
    source: str | None = None,
    fix_swapped: bool = False,
    category_overrides: Mapping[str, Sequence[str] | str | None] | None = None,
    chunk_rows: int = 20_000,
    progress: Progress | None = None,
) -> TabularResult:
    """Turn spreadsheet rows into validated assets and a row-level problem report.

    Location comes from latitude/longitude, eastings/northings (or X/Y, read as
    either by their values), else from the postcode (the postcode column, or
    one found at the end of the address) looked up in ``postcodes``.

    Rows with any ``error`` are left out: missing name, no location, unknown
    postcode (the nearest known sector is named), coordinates outside
    ``area_bbox`` (or the UK), latitude/longitude swapped, invalid values
    (ages, yes/no fields, cost...), a duplicate of an earlier row (same
    normalised name and place, or the same id), and cells that would run as
    a spreadsheet formula (``=``, ``@``, and ``+``/``-`` unless a number,
    phone number or bullet). Warnings (an unmatched category, a bad date,
    coordinates far from the postcode, a malformed postcode beside good
    coordinates, a swap fixed with ``fix_swapped``) keep the row.

    Parameters
    ----------
    frame
        From :func:`read_table` (index = spreadsheet row number).
    mapping
        From :func:`propose_column_mapping`; proposed from the headers when omitted.
    taxonomy
        The default taxonomy when omitted.
    postcodes
        The workspace's postcode table, to place rows that only have a postcode.
    area_bbox
        (min_lon, min_lat, max_lon, max_lat) of the area; rows outside are errors.
    source
        Provenance of every asset; ``"spreadsheet:<file name>"`` by default.
    fix_swapped
        Swap latitude/longitude back where they look swapped (reported as a warning).
    category_overrides
        Category text -> code(s), as chosen in the preview.
    chunk_rows
        Rows validated per step.
    progress
        Called as ``progress(rows_done, rows_total)`` after each step.

    Returns
    -------
    TabularResult

    Raises
    ------
    SchemaError
        If no column maps to a name, or none gives a location (the columns are listed).
    """
    tax = taxonomy or load_taxonomy()
    mapping = mapping or propose_column_mapping(frame.columns)
    filename = str(frame.attrs.get("filename") or "spreadsheet")
    source = source or f"spreadsheet:{filename}"
    listed = ", ".join(map(repr, frame.columns))
    sheets = frame.attrs.get("sheets") or ()
    sheet_hint = (
        f" (this is sheet {frame.attrs.get('sheet')!r}; the workbook's sheets are "
        f"{', '.join(map(repr, sheets))})"
        if len(sheets) > 1
        else ""
    )
    if mapping.column_for("name") is None:
        msg = (
            f"No column looks like a name: columns are {listed}{sheet_hint}. "
            "Choose one with --map COLUMN=name."
        )
        raise SchemaError(msg)
    located_by = {"lat", "lon", "easting", "northing", "x", "y", "postcode", "address"}
    if not located_by.intersection(mapping.fields.values()):
        msg = (
            f"No column gives a location (latitude/longitude, eastings/northings, postcode or "
            f"an address with a postcode): columns are {listed}{sheet_hint}."
        )
        raise SchemaError(msg)
    problems = _Problems()
    index = frame.index

    # Formula-looking cells in any column that will be stored.
    for column, target in mapping.fields.items():
        cells = frame[column].astype(str)
        mask = _formula_cells(cells)
        problems.add(
            index[mask],
            target,
            f"cell in column {column!r} starts like a spreadsheet formula; remove the leading "
            "character or skip the row",
            cells[mask],
        )

    name = _text(frame, mapping, "name")
    problems.add(index[name == ""], "name", "missing name")

    lon, lat, coord_text = _coordinates(frame, mapping, problems)
    has_xy = np.isfinite(lon) & np.isfinite(lat)
    area = area_bbox or UK_BOUNDS
    area_label = "the area" if area_bbox else "the UK"
    swapped = has_xy & ~inside(lon, lat, area) & inside(lat, lon, area)
    if fix_swapped:
        lon[swapped], lat[swapped] = lat[swapped], lon[swapped].copy()
        problems.add(
            index[swapped],
            "lat",
            "latitude and longitude were swapped; swapped back",
            coord_text[swapped],
            "warning",
        )
    else:
        problems.add(
            index[swapped],
            "lat",
            "latitude and longitude look swapped (swapped, the point is inside "
            f"{area_label}); fix the sheet or import with fix_swapped",
            coord_text[swapped],
        )

    address = _text(frame, mapping, "address")
    postcode_text = _text(frame, mapping, "postcode")
    normal = normalise_postcodes(postcode_text)
    from_address = address.map(lambda t: find_postcode(t) if t else None)
    normal = normal.where(normal.notna() | (postcode_text != ""), from_address)
    malformed = (postcode_text != "") & normal.isna()
    problems.add(
        index[malformed & has_xy],
        "postcode",
        "not a UK postcode (the coordinates are used)",
        postcode_text[malformed & has_xy],
        "warning",
    )
    problems.add(
        index[malformed & ~has_xy],
        "postcode",
        "not a UK postcode, and no coordinates",
        postcode_text[malformed & ~has_xy],
    )

    known = np.zeros(len(index), dtype=bool)
    if postcodes is not None:
        plon, plat = postcodes.lookup(normal.where(normal.notna(), None).tolist())
        known = np.isfinite(plon)
        fill = ~has_xy & known
        lon[fill], lat[fill] = plon[fill], plat[fill]
        far = has_xy & known & ~swapped
        if far.any():
            gap = haversine_m(lon, lat, plon, plat)
            far &= gap > _FAR_FROM_POSTCODE_M
            problems.add(
                index[far],
                "postcode",
                [
                    f"the coordinates are {g / 1000:,.1f} km from the centre of {p}"
                    for g, p in zip(gap[far], normal[far], strict=True)
                ],
                normal[far],
                "warning",
            )
        unknown = ~has_xy & normal.notna().to_numpy() & ~known
        messages = {p: postcodes.unknown_message(p) for p in normal[unknown].unique()}
        problems.add(index[unknown], "postcode", normal[unknown].map(messages), normal[unknown])
    else:
        unplaced = ~has_xy & normal.notna().to_numpy()
        problems.add(
            index[unplaced],
            "postcode",
            "no location: no coordinates, and no postcode table is loaded to place this postcode "
            "(load one with `assetmap postcodes`)",
            normal[unplaced],
        )
    nothing = ~has_xy & normal.isna().to_numpy() & ~malformed.to_numpy()
    problems.add(index[nothing], "location", "no location: no coordinates and no postcode")

    located = np.isfinite(lon) & np.isfinite(lat)
    outside = located & ~inside(lon, lat, area)
    if not fix_swapped:
        outside &= ~swapped  # already reported as swapped
    problems.add(
        index[outside],
        "location",
        f"outside {area_label}" + (f" {tuple(area_bbox)}" if area_bbox else ""),
        pd.Series([f"{y:.5f}, {x:.5f}" for x, y in zip(lon[outside], lat[outside], strict=True)]),
    )

    # Values with a fixed vocabulary.
    parsed: dict[str, pd.Series] = {}
    for target in _PARSERS:
        if mapping.column_for(target):
            parsed[target], _ = _parse_column(_text(frame, mapping, target), target, problems)
    min_age = parsed.get("min_age", pd.Series(None, index=index, dtype=object))
    max_age = parsed.get("max_age", pd.Series(None, index=index, dtype=object))
    if "age" in parsed:
        ranges = parsed["age"]
        min_age = min_age.where(min_age.notna(), ranges.map(lambda r: r[0] if r else None))
        max_age = max_age.where(max_age.notna(), ranges.map(lambda r: r[1] if r else None))
    reversed_ages = (
        min_age.notna()
        & max_age.notna()
        & (min_age.fillna(0).astype(float) > max_age.fillna(0).astype(float))
    )
    problems.add(
        index[reversed_ages],
        "age",
        "the minimum age is above the maximum age",
        min_age[reversed_ages].astype(str) + "-" + max_age[reversed_ages].astype(str),
    )
    gender = parsed.get("gender", pd.Series(None, index=index, dtype=object))
    women = parsed.get("women_only", pd.Series(None, index=index, dtype=object)) == True  # noqa: E712
    men = parsed.get("men_only", pd.Series(None, index=index, dtype=object)) == True  # noqa: E712
    clash = (women & men) | (women & (gender == "men")) | (men & (gender == "women"))
    problems.add(index[clash], "gender", "marked both women only and men only", "")
    gender = gender.mask(women, "women").mask(men, "men")

    email = _text(frame, mapping, "email")
    bad_email = (email != "") & ~email.str.match(_EMAIL_RE)
    problems.add(
        index[bad_email],
        "email",
        "does not look like an email address",
        email[bad_email],
        "warning",
    )

    # Categories.
    category_text = _text(frame, mapping, "categories")
    distinct = [t for t in category_text.unique() if t]
    cat_map = map_categories(distinct, taxonomy=tax, overrides=category_overrides)
    cat_map["rows"] = cat_map["text"].map(category_text.value_counts())
    lookup = dict(zip(cat_map["text"], cat_map["categories"], strict=True))
    unmatched = dict(zip(cat_map["text"], cat_map["unmatched"], strict=True))
    categories = category_text.map(lambda t: lookup.get(t, ()))
    partly = category_text.map(lambda t: bool(unmatched.get(t)))
    problems.add(
        index[partly],
        "categories",
        category_text[partly].map(
            lambda t: "no category matches " + ", ".join(map(repr, unmatched[t]))
        ),
        category_text[partly],
        "warning",
    )

    # Duplicates: same normalised name and place, or the same id.
    ids = _text(frame, mapping, "id")
    name_key = _name_key(name)
    place = normal.fillna(
        pd.Series([f"{y:.4f},{x:.4f}" for x, y in zip(lon, lat, strict=True)], index=index)
    )
    dup_key = name_key + "|" + place.astype(str)
    usable = (name_key != "") & located
    first_row = pd.Series(index, index=index).groupby(dup_key.where(usable)).transform("first")
    duplicate = usable & dup_key.where(usable).duplicated(keep="first")
    problems.add(
        index[duplicate],
        "name",
        first_row[duplicate].map(lambda r: f"duplicate of row {int(r)}"),
        name[duplicate],
    )
    if mapping.column_for("id"):
        first_id = pd.Series(index, index=index).groupby(ids.where(ids != "")).transform("first")
        dup_id = (ids != "") & ids.where(ids != "").duplicated(keep="first")
        problems.add(
            index[dup_id],
            "id",
            first_id[dup_id].map(lambda r: f"the same id as row {int(r)}"),
            ids[dup_id],
        )

    # Too-long text would fail the schema: report it by field.
    records = pd.DataFrame(
        {
            "name": name,
            "organisation": _text(frame, mapping, "organisation"),
            "description": _describe(
                _text(frame, mapping, "description", sep="\n\n"),
                _text(frame, mapping, "eligibility"),
            ),
            "address": address,
            "postcode": normal,
            "opening_hours": _text(frame, mapping, "opening_hours"),
            "phone": _text(frame, mapping, "phone"),
            "email": email,
            "website": _text(frame, mapping, "website"),
            "categories": categories,
            "gender": gender.fillna("any"),
            "min_age": min_age,
            "max_age": max_age,
            "source": source,
            "source_id": _source_ids(ids, name_key, normal, lon, lat),
            "lon": lon,
            "lat": lat,
        },
        index=index,
    )
    for target in (
        "cost",
        "convictions",
        "wheelchair",
        "kind",
        "referral_required",
        "dbs_check",
        "last_verified",
    ):
        if target in parsed:
            records[target] = parsed[target]
    for column in ("name", "organisation", "description", "address", "opening_hours"):
        too_long = records[column].str.len() > MAX_TEXT_CHARS
        problems.add(
            index[too_long],
            column,
            f"longer than {MAX_TEXT_CHARS:,} characters",
            records[column][too_long].str.slice(0, 40),
        )

    report = problems.frame()
    rejected = set(report.loc[report["severity"] == "error", "row"])
    keep = ~index.isin(list(rejected))
    accepted = records if keep.all() else records[keep]
    del records  # one copy of the rows at a time: the chunks below are small
    parts = []
    for start in range(0, len(accepted), chunk_rows):
        chunk = accepted.iloc[start : start + chunk_rows].replace({"": None})
        parts.append(_validated(chunk, tax, problems))
        if progress is not None:
            progress(min(start + chunk_rows, len(accepted)), len(accepted))
    del accepted
    assets = pd.concat(parts) if len(parts) > 1 else parts[0] if parts else empty_assets()
    del parts
    assets = gpd.GeoDataFrame(assets, geometry="geometry", crs=empty_assets().crs)
    report = problems.frame()
    logger.info(
        "Spreadsheet %s: %d rows, %d accepted, %d report lines.",
        filename,
        len(frame),
        len(assets),
        len(report),
    )
    return TabularResult(
        assets=assets,
        report=report,
        category_mapping=cat_map,
        rows_read=len(frame),
    )


def has_blocking_problems(report: pd.DataFrame) -> bool:
    """Return whether a report holds errors (rows that would not be imported).

    The CLI and app refuse to import such a sheet unless the user skips those rows.

    Examples
    --------
    >>> has_blocking_problems(pd.DataFrame({"severity": ["warning"]}))
    False
    """
    return bool((report["severity"] == "error").any()) if len(report) else False
