"""What each caller may see of the register: one view per kind of caller, checked here.

Every page, widget and cached loader of the app gets the register from here
(or from a service that calls here), with the caller: nothing reaches the
store without a principal (``tests/app/test_pages_ask_the_core.py`` reads the
app's source to keep it so).

The views
---------
``all``
    Every current asset, unmoderated proposals included: for those who check
    them (facilitators, staff, admins).
``session:<id>``
    The moderated register and that session's own proposals: for a
    participant of session ``<id>``.
``moderated``
    The register without anyone's unmoderated proposals: leads.
``public``
    Verified assets only: a visitor who is not signed in, and only when the
    workspace publishes a public map (setting ``public_map``); otherwise a
    visitor sees nothing.

Two callers with the same view see the same rows, so the app may cache a
view's frame for everyone who has it (:func:`register_view`).

Examples
--------
>>> from assetmap.access import Principal, Role
>>> register_view(Principal("fran", Role.FACILITATOR))
'all'
>>> register_view(Principal("p-1", Role.PARTICIPANT, session_id="s-9"))
'session:s-9'
>>> register_view(None, public_map=True)
'public'
>>> register_view(None)
Traceback (most recent call last):
...
assetmap.errors.AccessDeniedError: Sign in to see the register.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

from assetmap.access import Operation, Principal, Role, allowed, require
from assetmap.errors import AccessDeniedError

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from assetmap.reach.coverage import Demand
    from assetmap.reach.network import WalkGraph
    from assetmap.store import Store

__all__ = [
    "PUBLIC_MAP_SETTING",
    "browse_register",
    "dashboard_added",
    "dashboard_additions",
    "dashboard_snapshots",
    "register_fingerprint",
    "register_view",
    "view_register",
]

#: Workspace setting (``workspace.json``): show verified assets to visitors who are not signed in.
PUBLIC_MAP_SETTING: Final = "public_map"
_CHECKERS: Final = (Operation.MODERATE, Operation.VERIFY_ASSET)


def register_view(principal: Principal | None, *, public_map: bool = False) -> str:
    """Return the view of the register ``principal`` gets (see the module docs).

    Raises
    ------
    AccessDeniedError
        Nobody signed in and no public map, or a role that may not view the
        register.
    """
    if principal is None:
        if public_map:
            return "public"
        msg = "Sign in to see the register."
        raise AccessDeniedError(msg)
    require(principal, Operation.VIEW_REGISTER)
    if principal.role is Role.PARTICIPANT:
        return f"session:{principal.session_id}"
    if any(allowed(principal, op) for op in _CHECKERS):
        return "all"
    return "moderated"


def _in_view(assets: pd.DataFrame, view: str) -> pd.DataFrame:
    """Return the rows of a register frame that ``view`` shows."""
    if view == "all" or assets.empty:
        return assets.reset_index(drop=True)
    if view == "public":
        keep = assets["status"] == "verified"
    elif view.startswith("session:"):
        keep = (assets["status"] != "proposed") | (assets["session_id"] == view[len("session:") :])
    else:
        keep = assets["status"] != "proposed"
    return assets[keep.to_numpy(dtype=bool)].reset_index(drop=True)


def view_register(
    store: Store, *, principal: Principal | None, public_map: bool = False
) -> gpd.GeoDataFrame:
    """Return the current register (archived assets left out) as ``principal`` may see it.

    Checks ``view_register`` (a visitor who is not signed in gets the public
    map's verified assets, or is refused).
    """
    view = register_view(principal, public_map=public_map)
    found: gpd.GeoDataFrame = _in_view(store.assets(), view)
    return found


def register_fingerprint(assets: pd.DataFrame) -> str:
    """Return a short key of a register frame: it changes when any row's id, version or status does.

    Every write to an asset gives it a new version, so two frames of the same
    view with the same key hold the same assets. The app keys what it measures
    on a view of the register (coverage, the series, suggested sites) by this
    key instead of the data version, which every write replaces (a plan, a
    referral, a gap record): those leave the measures as they were.

    Examples
    --------
    >>> import pandas as pd
    >>> one = pd.DataFrame({"id": ["a", "b"], "version": [1, 3], "status": ["verified"] * 2})
    >>> register_fingerprint(one) == register_fingerprint(one.copy())
    True
    >>> register_fingerprint(one) == register_fingerprint(one.assign(version=[1, 4]))
    False
    >>> register_fingerprint(one.iloc[:0])
    '0:e3b0c44298fc1c14'
    """
    import hashlib

    import pandas as pd

    columns = [c for c in ("id", "version", "status") if c in assets.columns]
    rows = pd.util.hash_pandas_object(assets[columns], index=False).to_numpy()
    return f"{len(assets)}:{hashlib.sha256(rows.tobytes()).hexdigest()[:16]}"


def browse_register(
    store: Store, *, principal: Principal | None, public_map: bool = False
) -> gpd.GeoDataFrame:
    """Return the register for the Map page: the whole register, browsed (``browse_register``).

    Participants may not browse it (they see the register on their session's
    page, around the place they add); a visitor who is not signed in sees
    the public map (verified assets) when the workspace publishes one.
    """
    if principal is not None:
        require(principal, Operation.BROWSE_REGISTER)
    return view_register(store, principal=principal, public_map=public_map)


def dashboard_snapshots(
    store: Store, *, principal: Principal, months: int = 24, today: dt.date | None = None
) -> Iterator[tuple[dt.datetime, gpd.GeoDataFrame]]:
    """Yield ``(end of a month, register then)`` over the last ``months`` (``view_dashboard``).

    Starts at the register's first change if that is later; each snapshot is
    the caller's view of the register as it was.
    """
    import pandas as pd

    from assetmap.reach.coverage import monthly_dates

    require(principal, Operation.VIEW_DASHBOARD)
    view = register_view(principal)
    end = today or dt.datetime.now(dt.UTC).date()
    earliest = end.replace(day=1) - dt.timedelta(days=round(months * 29.2))
    log = store.change_log()
    if len(log):
        earliest = max(earliest, pd.Timestamp(log["valid_from"].min()).date())
    for when in monthly_dates(earliest, end):
        yield when, _in_view(store.register_as_of(when), view)


def dashboard_additions(
    graph: WalkGraph, store: Store, demand: Demand, *, minutes: float, principal: Principal
) -> pd.DataFrame:
    """Measure what each import, mapping session, grant or day of additions added.

    Checks ``view_dashboard``. One table: a mapping session's places (from
    when they were accepted) are named by the session's group and date, and
    what a shared grant became by the grant (``grant: what``), beside the
    imports. See :func:`assetmap.reach.coverage.additions`.
    """
    from assetmap.reach.coverage import additions

    require(principal, Operation.VIEW_DASHBOARD)
    sources = _addition_sources(store, principal=principal)
    return additions(graph, store, demand, minutes=minutes, sources=sources)


def dashboard_added(store: Store, *, principal: Principal) -> pd.DataFrame:
    """Say what each import, mapping session, grant or day added, without measuring reach.

    Checks ``view_dashboard``. For a workspace with no walking network yet:
    one row per group, oldest first: ``first_added``, ``kind``, ``source``,
    ``n_added``.
    """
    import pandas as pd

    from assetmap.reach.coverage import addition_groups

    require(principal, Operation.VIEW_DASHBOARD)
    groups = addition_groups(store, sources=_addition_sources(store, principal=principal))
    columns = ["first_added", "kind", "source", "n_added"]
    if groups.empty:
        return pd.DataFrame(columns=columns)
    summary = groups.groupby("batch", sort=False).agg(
        first_added=("when", "min"), kind=("kind", "first"), source=("source", "first"),
        n_added=("id", "size"),
    )  # fmt: skip
    return summary.sort_values("first_added", kind="stable").reset_index(drop=True)[columns]


def _addition_sources(store: Store, *, principal: Principal) -> dict[str, tuple[str, str]]:
    """Asset id -> (kind, source) for places from a mapping session or a shared grant."""
    from assetmap.people.grants import grant_additions
    from assetmap.records import SESSION_ENTITY

    sources: dict[str, tuple[str, str]] = {}
    assets = store.assets(include_archived=True)
    sessions = store.records(SESSION_ENTITY)
    if len(sessions) and "session_id" in assets.columns:
        named = {
            str(row["id"]): " ".join(
                str(v) for v in (row.get("group_label"), row.get("date")) if isinstance(v, str)
            )
            for row in sessions.to_dict("records")
        }
        for asset_id, session in zip(assets["id"], assets["session_id"], strict=True):
            if isinstance(session, str) and session in named:
                sources[str(asset_id)] = ("session", f"mapping session: {named[session]}")
    grants = grant_additions(store, principal=principal)
    for asset_id, source in zip(grants["asset_id"], grants["source"], strict=True):
        sources[str(asset_id)] = ("grant", str(source))
    return sources
