"""Reading a spreadsheet: bytes, encodings, delimiters and XLSX -> a frame of strings.

The first step of a spreadsheet import (:mod:`assetmap.ingest.tabular`):
:func:`read_table` refuses what is not a spreadsheet (by its first bytes), a
file over :class:`TabularLimits`, and an encoding it cannot decode (naming the
line and bytes), sniffs the CSV delimiter, skips a title above the header and
reads XLSX cells as text (formulas are never evaluated). Nothing is mapped or
validated here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import math
import re
import warnings
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pandas as pd

from assetmap.errors import AssetMapError, IngestError, NoAssetsError

__all__ = ["Progress", "TabularLimits", "read_table"]

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

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
