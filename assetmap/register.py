"""Curating the register as a caller: edit, verify, archive, and read history.

:class:`~assetmap.store.Store` is the storage layer and trusts its caller; these
are the service functions the app and the command line call, and each checks
the caller's role first (``assetmap.access``), so a page or a script cannot do
more than its role allows even if it asked.

Every change is still a new version in ``history``, made on the version the
caller saw (optimistic locking): see :meth:`Store.edit_asset`.

Examples
--------
>>> from assetmap.access import Principal, Role
>>> from assetmap.store import Store
>>> store = Store("sqlite://")
>>> ada = Principal("ada", Role.ADMIN)
>>> asset_id = store.add_asset(
...     {"name": "Oakham Library", "lon": -0.7271, "lat": 52.6703}, actor="ada", reason="seed"
... )
>>> edit_asset(store, asset_id, {"phone": "01572 722918"}, expected_version=1,
...            principal=ada, reason="phoned them")["version"]
2
>>> list(asset_history(store, asset_id, principal=ada)["action"])
['create', 'edit']
>>> edit_asset(store, asset_id, {"phone": "0"}, expected_version=2,
...            principal=Principal("lee", Role.LEAD), reason="x")
Traceback (most recent call last):
...
assetmap.errors.AccessDeniedError: A lead may not edit an asset (edit_asset).
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from assetmap.access import Operation, Principal, require
from assetmap.store import Store

__all__ = [
    "asset_history",
    "edit_asset",
    "needs_checking",
    "reverify_asset",
    "set_asset_status",
    "status_operation",
]


def status_operation(status: str) -> Operation:
    """Return the operation that moving an asset to ``status`` needs.

    ``verified``/``unverified`` need *verify_asset*, ``archived`` needs
    *archive_asset*, anything else (rejected, proposed, restoring) *edit_asset*.
    """
    if status in ("verified", "unverified"):
        return Operation.VERIFY_ASSET
    if status == "archived":
        return Operation.ARCHIVE_ASSET
    return Operation.EDIT_ASSET


def edit_asset(
    store: Store,
    asset_id: str,
    changes: Mapping[str, Any],
    *,
    expected_version: int,
    principal: Principal,
    reason: str,
) -> dict[str, Any]:
    """Change fields of an asset as ``principal`` (checks ``edit_asset``).

    Parameters
    ----------
    store
        The register.
    asset_id
        The asset.
    changes
        Field -> new value (validated by the store).
    expected_version
        The version the caller saw; a stale one raises
        :class:`~assetmap.errors.ConflictError` saying what changed.
    principal
        The caller; their ``user_id`` is recorded as the actor.
    reason
        Why, kept in history.

    Returns
    -------
    dict
        The asset after the change.
    """
    require(principal, Operation.EDIT_ASSET)
    return store.edit_asset(
        asset_id,
        changes,
        expected_version=expected_version,
        actor=principal.user_id,
        reason=reason,
    )


def set_asset_status(
    store: Store,
    asset_id: str,
    status: str,
    *,
    expected_version: int,
    principal: Principal,
    reason: str,
) -> dict[str, Any]:
    """Verify, archive, reject or restore an asset as ``principal``.

    Checks the operation :func:`status_operation` names for ``status``.
    """
    require(principal, status_operation(status))
    return store.set_status(
        asset_id,
        status,
        expected_version=expected_version,
        actor=principal.user_id,
        reason=reason,
    )


def asset_history(store: Store, asset_id: str, *, principal: Principal) -> pd.DataFrame:
    """Return every version of an asset, oldest first (checks ``view_history``)."""
    require(principal, Operation.VIEW_HISTORY)
    return store.asset_history(asset_id)


# ---------------------------------------------------------------------- freshness
def _months_before(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def needs_checking(assets: pd.DataFrame, today: dt.date, *, months: int = 12) -> pd.Series:
    """Return, per asset, whether it needs checking: in the register, not verified for ``months``.

    Proposed, archived and rejected assets never need checking (they are not
    in the register); an asset never verified always does.

    Parameters
    ----------
    assets
        An asset table with ``status`` and ``last_verified`` (dates or None).
    today
        The day to count from.
    months
        How long a verification lasts (calendar months).

    Returns
    -------
    pandas.Series
        Booleans, aligned with ``assets``.

    Examples
    --------
    >>> frame = pd.DataFrame({"status": ["verified", "verified", "unverified", "proposed"],
    ...     "last_verified": [dt.date(2025, 11, 24), dt.date(2025, 11, 23), None, None]})
    >>> needs_checking(frame, dt.date(2026, 11, 24)).tolist()
    [False, True, True, False]
    """
    if months < 0:
        msg = f"`months` must not be negative, got {months!r}."
        raise ValueError(msg)
    cutoff = _months_before(today, months)
    in_register = assets["status"].isin(("verified", "unverified")).to_numpy(dtype=bool)
    stale = [
        v is None or (isinstance(v, float) and math.isnan(v)) or pd.isna(v) or _as_date(v) < cutoff
        for v in assets["last_verified"]
    ]
    return pd.Series(in_register & np.asarray(stale, dtype=bool), index=assets.index,
                     name="needs_checking")  # fmt: skip


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def reverify_asset(
    store: Store, asset_id: str, *, principal: Principal, session_id: str | None = None
) -> dict[str, Any]:
    """Mark an asset checked today (status ``verified``, ``last_verified`` today).

    Checks ``verify_asset``; the session it was checked in, if any, goes in
    the history's reason.
    """
    require(principal, Operation.VERIFY_ASSET)
    asset = store.get_asset(asset_id)
    where = f" in mapping session {session_id}" if session_id else ""
    return store.set_status(
        asset_id,
        "verified",
        expected_version=int(asset["version"]),
        actor=principal.user_id,
        reason=f"checked and still right{where}",
    )
