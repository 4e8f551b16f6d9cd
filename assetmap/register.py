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

from collections.abc import Mapping
from typing import Any

import pandas as pd

from assetmap.access import Operation, Principal, require
from assetmap.store import Store

__all__ = ["asset_history", "edit_asset", "set_asset_status", "status_operation"]


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
