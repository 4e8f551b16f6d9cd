"""Checks for one field of a stored record: free text and ISO dates.

Funds, grants, plans, gaps and sessions are kept as generic records; their
normalisers check each field with these, so a field breaks the same way,
with the same message, whatever record it is in. The message starts with
``where`` (which record) and names the field.

Examples
--------
>>> clean_text("  Oakham   library ", "name", "fund", limit=200)
'Oakham library'
>>> clean_text(None, "note", "gap", limit=200) is None
True
>>> iso_date("2026-12-01", "start", "fund")
'2026-12-01'
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from assetmap.errors import SchemaError

__all__ = ["clean_text", "iso_date"]


def clean_text(
    value: Any, key: str, where: str, *, limit: int, required: bool = False
) -> str | None:
    """Return ``value`` with its whitespace collapsed, ``None`` when empty.

    Parameters
    ----------
    value
        The field's value; ``None``, NaN and blank text count as empty.
    key
        The field's name, for the message.
    where
        Which record, for the message.
    limit
        The most characters kept text may have.
    required
        Refuse an empty value.

    Raises
    ------
    SchemaError
        If the value is not text, longer than ``limit``, or empty when required.

    Examples
    --------
    >>> clean_text(" ", "why", "request", limit=10, required=True)
    Traceback (most recent call last):
    ...
    assetmap.errors.SchemaError: request: `why` is required.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        value = ""
    if not isinstance(value, str):
        msg = f"{where}: `{key}` must be text, got {type(value).__name__}."
        raise SchemaError(msg)
    value = " ".join(value.split())
    if len(value) > limit:
        msg = f"{where}: `{key}` is {len(value):,} characters long; the limit is {limit:,}."
        raise SchemaError(msg)
    if required and not value:
        msg = f"{where}: `{key}` is required."
        raise SchemaError(msg)
    return value or None


def iso_date(value: Any, key: str, where: str) -> str:
    """Return a date (a ``date``, a ``datetime`` or ISO text) as ``YYYY-MM-DD``.

    Raises
    ------
    SchemaError
        If ``value`` is not a date.

    Examples
    --------
    >>> iso_date(dt.datetime(2026, 12, 1, 9, 30), "on", "contact")
    '2026-12-01'
    >>> iso_date("1 Dec", "on", "contact")
    Traceback (most recent call last):
    ...
    assetmap.errors.SchemaError: contact: `on` must be an ISO date like 2026-12-01, got '1 Dec'.
    """
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        msg = f"{where}: `{key}` must be an ISO date like 2026-12-01, got {value!r}."
        raise SchemaError(msg) from None
