"""Signed tokens that let a browser keep who it is across a reload.

Streamlit forgets a browser's session state when the page is reloaded. So
that a reload neither makes a participant into a new participant (who could
vote again) nor signs a facilitator or member of staff out, the app keeps a
small token in the page's address (a query parameter): who is signed in, when
they were last active, and for a facilitator the session they run and its join
code. The token is signed with HMAC-SHA256 under a key kept in the workspace
folder (``signing.key``, created readable by its owner only), so a browser can
show it back but cannot make or change one.

A token is only a claim: :func:`principal_from_token` re-checks it against the
register every time (the account still active, its role now, the participant's
session still open, the idle time-out, the join code still live).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from assetmap.access import Principal, Role
from assetmap.errors import AuthError, NotFoundError, WorkspaceError
from assetmap.people.accounts import code_is_live, is_idle, refresh_principal
from assetmap.records import SESSION_ENTITY
from assetmap.store import Store

__all__ = [
    "KEY_FILENAME",
    "SignedIn",
    "issue_token",
    "principal_from_token",
    "read_token",
    "signing_key",
    "token_fields",
]

logger = logging.getLogger(__name__)

KEY_FILENAME: Final = "signing.key"
_KEY_BYTES: Final = 32
#: A participant's token stops working this long after they joined, whatever happens.
PARTICIPANT_MAX_HOURS: Final = 24.0
_EXTRA_KEYS: Final = frozenset({"session", "code"})


@dataclass(frozen=True, slots=True)
class SignedIn:
    """What a token says: who, since when, last active when, and what they were running.

    Attributes
    ----------
    principal
        Who is signed in.
    issued
        When they signed in or joined.
    seen
        When they were last active (for the idle time-out).
    extra
        For a facilitator: ``session`` (the session they run) and ``code``
        (its join code), when they had them.
    """

    principal: Principal
    issued: dt.datetime
    seen: dt.datetime
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.extra) - _EXTRA_KEYS
        if unknown:
            msg = f"Unknown token field(s): {', '.join(sorted(unknown))}."
            raise ValueError(msg)
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))


def signing_key(folder: str | Path) -> bytes:
    """Return the workspace's token signing key, creating it (mode 0600) on first use.

    Raises
    ------
    WorkspaceError
        If the key file cannot be created or read, or is too short.
    """
    path = Path(folder) / KEY_FILENAME
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as exc:
        msg = f"Cannot create the sign-in key {path}: {exc.strerror}."
        raise WorkspaceError(msg) from exc
    else:
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(_KEY_BYTES))
    try:
        key = path.read_bytes()
    except OSError as exc:
        msg = f"Cannot read the sign-in key {path}: {exc.strerror}."
        raise WorkspaceError(msg) from exc
    if len(key) < _KEY_BYTES:  # e.g. a half-written file
        msg = f"The sign-in key {path} is damaged; delete it (everyone signs in again)."
        raise WorkspaceError(msg)
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, body: str) -> str:
    return _b64(hmac.new(key, b"assetmap-signin:" + body.encode("ascii"), hashlib.sha256).digest())


def issue_token(signed_in: SignedIn, *, key: bytes) -> str:
    """Return the signed token for ``signed_in`` (URL-safe text).

    Examples
    --------
    >>> t0 = dt.datetime(2025, 1, 1, 9, tzinfo=dt.UTC)
    >>> guest = Principal("participant-ab12", Role.PARTICIPANT, session_id="s-1")
    >>> token = issue_token(SignedIn(guest, t0, t0), key=b"k" * 32)
    >>> read_token(token, key=b"k" * 32).principal == guest
    True
    """
    who = signed_in.principal
    payload = {
        "u": who.user_id,
        "r": who.role.value,
        "s": who.session_id,
        "l": who.label,
        "i": int(signed_in.issued.timestamp()),
        "t": int(signed_in.seen.timestamp()),
        "x": dict(signed_in.extra),
    }
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_mac(key, body)}"


def read_token(token: str, *, key: bytes) -> SignedIn:
    """Check a token's signature and return what it says (nothing is re-checked here).

    Raises
    ------
    AuthError
        If the token is malformed or its signature does not match.

    Examples
    --------
    >>> read_token("e30.forged", key=b"k" * 32)
    Traceback (most recent call last):
    ...
    assetmap.errors.AuthError: The sign-in link is not valid; sign in again.
    """
    bad = AuthError("The sign-in link is not valid; sign in again.")
    if not isinstance(token, str) or len(token) > 4096 or token.count(".") != 1:
        raise bad
    body, mac = token.split(".")
    if not hmac.compare_digest(mac.encode(), _mac(key, body).encode()):
        raise bad
    try:
        payload = json.loads(_unb64(body))
        extra = {str(k): str(v) for k, v in dict(payload.get("x") or {}).items()}
        return SignedIn(
            principal=Principal(
                str(payload["u"]),
                Role(payload["r"]),
                session_id=payload.get("s"),
                label=str(payload.get("l") or ""),
            ),
            issued=dt.datetime.fromtimestamp(int(payload["i"]), dt.UTC),
            seen=dt.datetime.fromtimestamp(int(payload["t"]), dt.UTC),
            extra=extra,
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise bad from exc


def _session_open(store: Store, session_id: str | None) -> bool:
    if not session_id:
        return False
    try:
        return store.get_record(SESSION_ENTITY, session_id).get("status") == "open"
    except NotFoundError:
        return False


def principal_from_token(
    store: Store,
    token: str,
    *,
    key: bytes,
    idle_minutes: float,
    accounts_exist: bool,
    now: dt.datetime | None = None,
) -> SignedIn | None:
    """Return who a reloaded browser is, re-checked against the register; None if nobody.

    A participant keeps the same id (so they cannot vote twice) while their
    session is open and for at most 24 hours after joining. Anyone else
    stays signed in while their account is active (with its role *now*) and
    they have not been idle longer than ``idle_minutes``. A facilitator's
    session and join code come back only while the session is open and the
    code still works.

    Parameters
    ----------
    store
        The register.
    token
        From the browser.
    key
        :func:`signing_key` of the workspace.
    idle_minutes
        The idle time-out (``assetmap.people.accounts.idle_timeout_minutes``).
    accounts_exist
        From ``assetmap.people.accounts.has_accounts``.
    now
        The current time (for tests).

    Raises
    ------
    AuthError
        If the token is forged or malformed.
    """
    when = now or dt.datetime.now(dt.UTC)
    claims = read_token(token, key=key)
    who = claims.principal
    if who.role is Role.PARTICIPANT:
        too_old = when - claims.issued > dt.timedelta(hours=PARTICIPANT_MAX_HOURS)
        if too_old or not _session_open(store, who.session_id):
            return None
        return SignedIn(who, claims.issued, when)
    if is_idle(who, claims.seen, minutes=idle_minutes, now=when):
        logger.info("sign-in link refused: idle too long")
        return None
    fresh = refresh_principal(store, who, accounts_exist=accounts_exist)
    if fresh is None:
        return None
    extra: dict[str, str] = {}
    session_id = claims.extra.get("session")
    if session_id and _session_open(store, session_id):
        extra["session"] = session_id
        code = claims.extra.get("code")
        if code and code_is_live(store, code, session_id=session_id, now=when):
            extra["code"] = code
    return SignedIn(fresh, claims.issued, when, extra)


def token_fields(value: Any) -> dict[str, str]:
    """Keep only the string fields a token may carry (``session``, ``code``) from ``value``.

    Examples
    --------
    >>> token_fields({"session": "s-1", "code": None, "other": "x"})
    {'session': 's-1'}
    """
    if not isinstance(value, Mapping):
        return {}
    return {k: v for k, v in value.items() if k in _EXTRA_KEYS and isinstance(v, str) and v}
