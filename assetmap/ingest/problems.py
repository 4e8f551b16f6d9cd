"""One problem-report type for every importer.

An importer that keeps going past bad input (the spreadsheet and HSDS
importers) reports each thing it found as a :class:`Problem`: the row (a
spreadsheet row number, or a record's path such as ``"services[3]"``), the
field, what is wrong in words, the value at fault and a severity (``error``:
the row is left out; ``warning``: it is imported without that detail).
:class:`ProblemLog` collects them, one at a time or a whole column at a time,
into the report table every caller shows (:data:`REPORT_COLUMNS`): the CLI
prints :meth:`Problem.line` per problem and :func:`summary`, the Data page shows
the table. Importers that stop at the first bad line (postcodes, boundaries,
GTFS) raise one :class:`~assetmap.errors.IngestError` naming the file and row
instead; the OSM reader counts what it skips (``OsmExtract.skipped``).

Examples
--------
>>> log = ProblemLog()
>>> log.add(3, "postcode", "not a UK postcode", value="XX1", severity="warning")
>>> log.add(4, "name", "missing name")
>>> report = log.frame()
>>> [p.line() for p in problems_in(report)]
['row 3, postcode: not a UK postcode [XX1]', 'row 4, name: missing name']
>>> summary(report), rows_rejected(report)
('1 errors, 1 warnings', 1)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import astuple, dataclass
from typing import Final, Literal

import pandas as pd

__all__ = [
    "REPORT_COLUMNS",
    "REPORT_HEADINGS",
    "SEVERITIES",
    "Problem",
    "ProblemLog",
    "Severity",
    "errors_in",
    "problems_in",
    "report_lines",
    "rows_rejected",
    "summary",
]

Severity = Literal["error", "warning"]
#: ``error``: the row or record is left out; ``warning``: it is kept without that detail.
SEVERITIES: Final = ("error", "warning")
#: Columns of every import report, in this order: the fields of :class:`Problem`.
REPORT_COLUMNS: Final = ("row", "field", "problem", "value", "severity")
#: How a page heads each report column.
REPORT_HEADINGS: Final = {
    "row": "Row",
    "field": "Field",
    "problem": "Problem",
    "value": "Value",
    "severity": "Severity",
}
#: Longest value a report keeps (the cell is cut there).
MAX_VALUE_CHARS: Final = 200


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing an importer found wrong with its input.

    Attributes
    ----------
    row
        The spreadsheet row number (as a spreadsheet program shows it), or
        the record's path in the source (``"services[3].service_at_locations[0]"``).
    field
        The field at fault; ``""`` for the whole row.
    problem
        What is wrong, in words.
    value
        The text at fault (cut to :data:`MAX_VALUE_CHARS`); ``""`` when there is none.
    severity
        ``"error"`` (the row is not imported) or ``"warning"`` (it is).

    Examples
    --------
    >>> Problem(12, "age", "the minimum age is above the maximum age", "30-18").line()
    'row 12, age: the minimum age is above the maximum age [30-18]'
    >>> Problem("services[0]", "", "an HSDS location record, not a service").line()
    'services[0]: an HSDS location record, not a service'
    >>> Problem(2, "name", "missing name", severity="fatal")
    Traceback (most recent call last):
    ...
    ValueError: `severity` must be one of ('error', 'warning'), got 'fatal'.
    """

    row: int | str
    field: str
    problem: str
    value: str = ""
    severity: Severity = "error"

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            msg = f"`severity` must be one of {SEVERITIES}, got {self.severity!r}."
            raise ValueError(msg)
        if len(self.value) > MAX_VALUE_CHARS:
            object.__setattr__(self, "value", self.value[:MAX_VALUE_CHARS])

    @property
    def where(self) -> str:
        """``row N`` for a spreadsheet row, else the record's path."""
        return f"row {self.row}" if isinstance(self.row, int) else str(self.row)

    @property
    def blocking(self) -> bool:
        """Whether the row is left out of the import."""
        return self.severity == "error"

    def line(self) -> str:
        """Return the problem as one line: where, field, what, and the value in brackets."""
        field = f", {self.field}" if self.field else ""
        value = f" [{self.value}]" if self.value else ""
        return f"{self.where}{field}: {self.problem}{value}"


class ProblemLog:
    """Collects problems, one at a time or a whole column of rows at once."""

    def __init__(self) -> None:
        # Runs of single problems and whole columns, in the order they were added.
        self._parts: list[list[Problem] | pd.DataFrame] = []

    def add(
        self,
        row: int | str,
        field: str,
        problem: str,
        *,
        value: str = "",
        severity: Severity = "error",
    ) -> None:
        """Record one problem."""
        found = Problem(row, field, problem, value, severity)
        if self._parts and isinstance(self._parts[-1], list):
            self._parts[-1].append(found)
        else:
            self._parts.append([found])

    def add_rows(
        self,
        rows: pd.Index | Sequence[int],
        field: str,
        problem: str | Sequence[str] | pd.Series,
        value: Sequence[str] | pd.Series | str = "",
        severity: Severity = "error",
    ) -> None:
        """Record the same check failing on many rows (one problem/value each, or one for all)."""
        rows = list(rows)
        if not rows:
            return
        if severity not in SEVERITIES:
            msg = f"`severity` must be one of {SEVERITIES}, got {severity!r}."
            raise ValueError(msg)
        values = [value] * len(rows) if isinstance(value, str) else list(value)
        problems = [problem] * len(rows) if isinstance(problem, str) else list(problem)
        self._parts.append(
            pd.DataFrame(
                {
                    "row": rows,
                    "field": field,
                    "problem": problems,
                    "value": values,
                    "severity": severity,
                }
            )
        )

    @property
    def has_errors(self) -> bool:
        """Whether any problem so far is an error."""
        return any(
            any(p.blocking for p in part)
            if isinstance(part, list)
            else bool((part["severity"] == "error").any())
            for part in self._parts
        )

    def frame(self) -> pd.DataFrame:
        """Return the report: one row per problem, :data:`REPORT_COLUMNS`, in the order found."""
        parts = [
            pd.DataFrame([astuple(p) for p in part], columns=list(REPORT_COLUMNS))
            if isinstance(part, list)
            else part
            for part in self._parts
        ]
        if not parts:
            return pd.DataFrame({c: pd.Series([], dtype=object) for c in REPORT_COLUMNS})
        report = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        report["value"] = report["value"].astype(str).str.slice(0, MAX_VALUE_CHARS)
        return report


def problems_in(report: pd.DataFrame) -> Iterator[Problem]:
    """Yield each line of a report as a :class:`Problem`."""
    for record in report.reindex(columns=list(REPORT_COLUMNS)).to_dict("records"):
        row = record["row"]
        yield Problem(
            int(row) if isinstance(row, int) or hasattr(row, "__index__") else str(row),
            str(record["field"] or ""),
            str(record["problem"]),
            "" if pd.isna(record["value"]) else str(record["value"]),
            record["severity"],
        )


def errors_in(report: pd.DataFrame) -> pd.DataFrame:
    """Return the report lines that keep a row out."""
    return report[report["severity"] == "error"] if len(report) else report


def rows_rejected(report: pd.DataFrame) -> int:
    """Return how many rows (or records) have at least one error."""
    return int(errors_in(report)["row"].nunique()) if len(report) else 0


def summary(report: pd.DataFrame) -> str:
    """Return ``"N errors, M warnings"`` for a report.

    Examples
    --------
    >>> summary(ProblemLog().frame())
    '0 errors, 0 warnings'
    """
    errors = len(errors_in(report))
    return f"{errors:,} errors, {len(report) - errors:,} warnings"


def report_lines(report: pd.DataFrame, *, limit: int = 50) -> list[str]:
    """Return a report as printed lines: severity and :meth:`Problem.line`, the first ``limit``.

    Examples
    --------
    >>> log = ProblemLog()
    >>> log.add_rows([5, 6], "name", "missing name")
    >>> report_lines(log.frame(), limit=1)
    ['  error   row 5, name: missing name', '  ... and 1 more']
    """
    lines = [f"  {p.severity:<7} {p.line()}" for p in problems_in(report.head(limit))]
    if len(report) > limit:
        lines.append(f"  ... and {len(report) - limit:,} more")
    return lines
