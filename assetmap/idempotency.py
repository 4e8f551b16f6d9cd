"""One record per form submission, however often its button is clicked.

A double click, a slow connection or an impatient second tap sends the same
form twice. Functions that create records (a plan, a gap, a proposal, an
idea, a comment) take a ``request_key``: the app derives it from the form
(e.g. the search a plan was made from, or what was typed). The record's id is
derived from the entity, the caller and that key, so the database's primary
key lets only the first submission in, even when both arrive at the same
moment; the second gets the first one's id back.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy.exc import IntegrityError

from assetmap.store import Store

__all__ = ["add_asset_once", "add_record_once", "form_key", "request_record_id"]

_NAMESPACE: Final = uuid.UUID("3f7e1c2a-8b4d-4e6f-9a1b-c0d2e4f6a8b1")


def form_key(*parts: Any) -> str:
    """Return a short key for a form submission made of ``parts`` (JSON-able values).

    Examples
    --------
    >>> form_key("gap", {"need": "food", "area": "LE15 6"}) == form_key(
    ...     "gap", {"area": "LE15 6", "need": "food"})
    True
    >>> form_key("gap", "a") == form_key("gap", "b")
    False
    """
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def request_record_id(entity: str, actor: str, request_key: str) -> str:
    """Return the id a record made by ``actor`` for ``request_key`` gets.

    Examples
    --------
    >>> request_record_id("plan", "sam", "k1") == request_record_id("plan", "sam", "k1")
    True
    >>> request_record_id("plan", "sam", "k1") == request_record_id("plan", "ana", "k1")
    False
    """
    return str(uuid.uuid5(_NAMESPACE, f"{entity}\x1f{actor}\x1f{request_key}"))


def add_record_once(
    store: Store,
    entity: str,
    data: Mapping[str, Any],
    *,
    actor: str,
    reason: str,
    request_key: str | None,
) -> str:
    """Add a versioned record once per ``request_key``; return its id.

    Without a key this is :meth:`Store.add_record`. With one, a second call
    (even a concurrent one) adds nothing and returns the first record's id.
    """
    if request_key is None:
        return store.add_record(entity, data, actor=actor, reason=reason)
    record_id = request_record_id(entity, actor, request_key)
    try:
        return store.add_record(entity, data, actor=actor, reason=reason, record_id=record_id)
    except IntegrityError:
        return str(store.get_record(entity, record_id)["id"])  # NotFoundError if not a repeat


def add_asset_once(
    store: Store,
    record: Mapping[str, Any],
    *,
    actor: str,
    reason: str,
    action: str,
    request_key: str | None,
) -> str:
    """Add an asset once per ``request_key`` (as :func:`add_record_once`); return its id."""
    if request_key is None:
        return store.add_asset(record, actor=actor, reason=reason, action=action)
    asset_id = request_record_id("asset", actor, request_key)
    try:
        return store.add_asset(record, actor=actor, reason=reason, action=action, asset_id=asset_id)
    except IntegrityError:
        return str(store.get_asset(asset_id)["id"])
