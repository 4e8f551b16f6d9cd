"""Which assets are live: the one rule for what counts, ranks and leaves the workspace.

A place proposed in a mapping session enters the register with status
``proposed`` and stays *unchecked* until a facilitator accepts, merges or
rejects it. Unchecked assets are not live: coverage figures (the lead's
dashboard, ``assetmap coverage``, sites, growth series), exports (HSDS, and
GeoJSON/CSV/GPKG unless asked for on purpose) and Find support's ranking all
leave them out through :func:`live_assets` / :func:`is_live`. Where they are
shown on purpose they carry :data:`UNCHECKED_LABEL`.

Archived and rejected assets are not live either (they serve nobody).

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"name": ["Library", "Pub quiz", "Old hall"],
...                       "status": ["verified", "proposed", "archived"]})
>>> list(live_assets(frame)["name"])
['Library']
>>> is_checked("proposed"), is_checked("unverified")
(False, True)
>>> live_mask(frame).tolist()
[True, False, False]
>>> list(checked_assets(frame)["name"])
['Library', 'Old hall']
"""

from __future__ import annotations

from typing import Any, Final, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "NOT_LIVE_STATUSES",
    "UNCHECKED_LABEL",
    "UNCHECKED_STATUSES",
    "checked_assets",
    "is_checked",
    "is_live",
    "live_assets",
    "live_mask",
]

#: Statuses no facilitator has reviewed yet.
UNCHECKED_STATUSES: Final = frozenset({"proposed"})
#: Statuses that count nowhere: unchecked, archived, rejected.
NOT_LIVE_STATUSES: Final = frozenset({"archived", "rejected"}) | UNCHECKED_STATUSES
#: How an unchecked asset is labelled wherever it is shown on purpose.
UNCHECKED_LABEL: Final = "not yet checked"

Frame = TypeVar("Frame", bound=pd.DataFrame)


def is_checked(status: Any) -> bool:
    """Return whether an asset with this status has been through moderation (or never needed it)."""
    return status not in UNCHECKED_STATUSES


def is_live(status: Any) -> bool:
    """Return whether an asset with this status counts: checked, not archived or rejected."""
    return status not in NOT_LIVE_STATUSES


def live_mask(assets: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Return one boolean per row: is the asset live (every row without a ``status`` column)."""
    if "status" not in assets.columns:
        return np.ones(len(assets), dtype=bool)
    return np.asarray(~assets["status"].isin(NOT_LIVE_STATUSES).to_numpy(), dtype=bool)


def live_assets(assets: Frame, *, include_unchecked: bool = False) -> Frame:
    """Return the live rows of an asset table, index reset (same type as given).

    Parameters
    ----------
    assets
        An asset table (a ``status`` column; a table without one is all live).
    include_unchecked
        Keep ``proposed`` assets too (for a view that labels them
        :data:`UNCHECKED_LABEL`); archived and rejected ones still go.
    """
    keep = live_mask(assets)
    if include_unchecked and "status" in assets.columns:
        keep |= assets["status"].isin(UNCHECKED_STATUSES).to_numpy(dtype=bool)
    return assets[keep].reset_index(drop=True)  # type: ignore[return-value]


def checked_assets(assets: Frame) -> Frame:
    """Return the rows of an asset table a facilitator has checked, index reset.

    Only unchecked (proposed) assets go; archived and rejected ones stay, for
    a caller that asked for them (e.g. an export with archived assets).
    """
    if "status" not in assets.columns:
        return assets.reset_index(drop=True)  # type: ignore[return-value]
    keep = ~assets["status"].isin(UNCHECKED_STATUSES).to_numpy(dtype=bool)
    return assets[keep].reset_index(drop=True)  # type: ignore[return-value]
