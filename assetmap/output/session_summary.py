"""A mapping session's summary: the figures, and the CSV, HTML and PDF made from them.

:class:`SessionSummary` is what :func:`assetmap.people.sessions.session_summary`
counts; the renderers here only format what they are given (every value is
escaped, spreadsheet formulas are neutralised).
"""

from __future__ import annotations

import csv
import html
import io
from dataclasses import asdict, dataclass, field
from typing import Any, Final

import pandas as pd

from assetmap.output.export import neutralise_formula

__all__ = ["SessionSummary", "summary_csv", "summary_html", "summary_pdf", "summary_record"]


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """What one session added, in figures a person can check by hand.

    ``range_before``/``range_after`` are the accessible range (see
    :func:`session_summary`): how many kinds of support (taxonomy categories)
    are within ``range_minutes`` on foot of ``range_point``, before the
    session and with its accepted assets added; ``new_in_reach`` names the
    categories that came within reach, in plain words. All None/empty without a walking graph.
    """

    session_id: str
    date: str
    area: str
    group_label: str
    participants: int
    status: str
    assets_added: int
    volunteering_added: int
    gaps_added: int
    comments_added: int
    ideas_added: int
    votes_cast: int
    accepted: int
    merged: int
    rejected: int
    waiting: int
    range_minutes: float | None = None
    range_point: tuple[float, float] | None = None
    range_before: int | None = None
    range_after: int | None = None
    new_in_reach: tuple[str, ...] = ()
    contributions: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False, repr=False)

    def figures(self) -> list[tuple[str, Any]]:
        """Return (plain label, value) pairs, in the order reports show them."""
        rows: list[tuple[str, Any]] = [
            ("Date", self.date),
            ("Area", self.area),
            ("Group", self.group_label),
            ("People taking part", self.participants),
            ("Places and services added", self.assets_added),
            ("Volunteering opportunities added", self.volunteering_added),
            ("Gaps named", self.gaps_added),
            ("Comments and ratings", self.comments_added),
            ("Ideas for new services", self.ideas_added),
            ("Votes for ideas", self.votes_cast),
            ("Accepted into the register", self.accepted),
            ("Merged with an existing entry", self.merged),
            ("Not accepted", self.rejected),
            ("Still waiting for review", self.waiting),
        ]
        if self.range_before is not None:
            minutes = f"{self.range_minutes:g}"
            rows += [
                (f"Kinds of support within {minutes} min walk, before", self.range_before),
                (f"Kinds of support within {minutes} min walk, after", self.range_after),
                ("Newly within reach", ", ".join(self.new_in_reach) or "none"),
            ]
        return rows


def summary_csv(summary: SessionSummary) -> str:
    """Return the summary as CSV: the figures, a blank line, then every contribution.

    Text is as typed, with spreadsheet formulas neutralised.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Figure", "Value"])
    for label, value in summary.figures():
        writer.writerow([label, neutralise_formula(value)])
    writer.writerow([])
    writer.writerow(["Type", "Name", "Status", "Detail"])
    for row in summary.contributions.itertuples(index=False):
        writer.writerow([neutralise_formula(v) for v in (row.type, row.name, row.status,
                                                         row.detail)])  # fmt: skip
    return out.getvalue()


_PRINT_CSS: Final = """
body { font-family: sans-serif; margin: 2em; color: #111; }
h1 { font-size: 1.6em; } table { border-collapse: collapse; margin-bottom: 1.5em; }
th, td { border: 1px solid #999; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
td.n { text-align: right; } @media print { body { margin: 0; } }
"""


def summary_html(summary: SessionSummary) -> str:
    """Return a printable HTML page of the summary; every value is escaped."""
    esc = html.escape
    title = f"Mapping session: {summary.group_label}, {summary.area}, {summary.date}"
    figures = "".join(
        f'<tr><th scope="row">{esc(label)}</th><td class="n">{esc(str(value))}</td></tr>'
        for label, value in summary.figures()
    )
    rows = "".join(
        "<tr>"
        + "".join(f"<td>{esc(str(v))}</td>" for v in (r.type, r.name, r.status, r.detail))
        + "</tr>"
        for r in summary.contributions.itertuples(index=False)
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{_PRINT_CSS}</style></head><body>"
        f"<h1>{esc(title)}</h1><table><tbody>{figures}</tbody></table>"
        "<h2>What the group added</h2><table><thead><tr><th>Type</th><th>Name</th>"
        f"<th>Status</th><th>Detail</th></tr></thead><tbody>{rows}</tbody></table>"
        "<p>Map data © OpenStreetMap contributors.</p></body></html>"
    )


def summary_pdf(summary: SessionSummary) -> bytes:
    """Return the printable summary as a PDF (``sheet.pdf_from_html``: fetches nothing)."""
    from assetmap.output.sheet import pdf_from_html

    return pdf_from_html(summary_html(summary))


def summary_record(summary: SessionSummary) -> dict[str, Any]:
    """Return the summary's figures as a plain dict (no contributions table)."""
    data = asdict(summary)
    data.pop("contributions")
    return data
