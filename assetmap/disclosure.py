"""Small counts that could point at a person: the one rule for showing them.

A count of 1 or 2 of plans, referrals or reported gaps in a small area can
point at a person. Every figure of people shown to leads (the dashboard, the
gap map, aggregates of :mod:`assetmap.people.privacy`) goes through
:func:`suppress_small_counts`, and words people wrote about a gap are shown
only from :data:`SMALL_COUNT_THRESHOLD` reports up. It is a model-layer
rule: kernels, renderers and services alike may import it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import pandas as pd

from assetmap.errors import SchemaError

__all__ = ["SMALL_COUNT_THRESHOLD", "check_threshold", "suppress_small_counts"]

#: The smallest count of people, plans, referrals or gaps shown as a number.
SMALL_COUNT_THRESHOLD: Final = 5


def suppress_small_counts(
    frame: pd.DataFrame, columns: Sequence[str], *, threshold: int = SMALL_COUNT_THRESHOLD
) -> pd.DataFrame:
    """Return a copy of ``frame`` with counts from 1 to ``threshold - 1`` shown as ``"<5"``.

    Use it on every figure shown to leads that counts people, plans or
    referrals: a count of 1 or 2 in a small area can point at a person.
    Zero stays 0 (it points at nobody). Suppressed columns become text.

    Parameters
    ----------
    frame
        The aggregate table.
    columns
        The count columns to suppress.
    threshold
        The smallest count shown as a number (5 by default).

    Raises
    ------
    SchemaError
        If a column is missing or holds something other than whole counts.

    Examples
    --------
    >>> frame = pd.DataFrame({"asset": ["A", "B", "C"], "referrals": [0, 4, 5]})
    >>> suppress_small_counts(frame, ["referrals"])["referrals"].tolist()
    [0, '<5', 5]
    """
    check_threshold(threshold)
    label = f"<{threshold}"
    out = frame.copy()
    for column in columns:
        if column not in out.columns:
            msg = f"There is no count column {column!r} to suppress."
            raise SchemaError(msg)
        values = pd.to_numeric(out[column], errors="coerce")
        if values.isna().any() or bool((values < 0).any()) or bool((values % 1 != 0).any()):
            msg = f"Column {column!r} must hold whole, non-negative counts."
            raise SchemaError(msg)
        counts = values.astype("int64")
        small = (counts > 0) & (counts < threshold)
        out[column] = pd.Series(
            [label if hide else int(n) for n, hide in zip(counts, small, strict=True)],
            index=out.index,
            dtype=object,
        )
    return out


def check_threshold(threshold: int) -> None:
    """Refuse a threshold that is not a positive whole number (:class:`SchemaError`)."""
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        msg = f"`threshold` must be a positive whole number, got {threshold!r}."
        raise SchemaError(msg)
