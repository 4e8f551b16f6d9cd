"""Sign-in: local accounts, participant session codes and single sign-on claims.

Three ways in, each ending in a :class:`~assetmap.access.Principal`:

* **Local accounts** (:func:`create_user`, :func:`authenticate`): usernames
  with argon2id password hashes, kept as versioned ``"user"`` records in the
  register database (so every change to an account is in history). After
  :attr:`AuthConfig.max_failures` wrong passwords in a row the account is
  locked for :attr:`AuthConfig.lockout_minutes`. A failed sign-in always gets
  the same message, whether the username exists or not.
* **Session codes** (:func:`issue_session_code`, :func:`join_session`): a
  facilitator gets a short code for a mapping session; participants type it
  to join *that* session as a participant, without an account. Codes are
  stored only as hashes, expire, and wrong guesses are rate-limited.
* **Single sign-on** (:func:`principal_from_oidc`): maps the identity claims
  that Streamlit's ``st.user`` exposes after ``st.login()`` to a principal.
  See ``docs/sign-in.md`` for the provider configuration.

Signing out is forgetting the principal: the app drops it from the session
state (and calls ``st.logout()`` for single sign-on); nothing is kept here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import logging
import re
import secrets
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from assetmap.access import Operation, Principal, Role, require
from assetmap.errors import (
    AccessDeniedError,
    AccountError,
    AssetMapError,
    AuthError,
    ConflictError,
    NotFoundError,
    StoreError,
    WorkspaceError,
)
from assetmap.records import SESSION_ENTITY, open_session_record
from assetmap.store import Store

if TYPE_CHECKING:
    from assetmap.workspace import Workspace

__all__ = [
    "ACCOUNT_ROLES",
    "CODE_ALPHABET",
    "DEFAULT_IDLE_MINUTES",
    "IDLE_SETTING",
    "OIDC_SETTING",
    "AuthConfig",
    "OidcSettings",
    "authenticate",
    "change_password",
    "check_password",
    "code_is_live",
    "create_user",
    "disable_user",
    "has_accounts",
    "idle_timeout_minutes",
    "is_idle",
    "issue_session_code",
    "join_session",
    "list_users",
    "oidc_settings",
    "principal_from_oidc",
    "refresh_principal",
    "reset_password",
    "revoke_session_codes",
    "role_map_from_text",
    "set_idle_timeout_minutes",
    "set_oidc_settings",
]

logger = logging.getLogger(__name__)

#: Letters and digits that cannot be mistaken for each other (no 0/O, 1/I/L, 5/S, 2/Z, 8/B).
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
USER_ENTITY = "user"
CODE_ENTITY = "session_code"
_NAMESPACE = uuid.UUID("5b0f6a53-2d8e-4c61-9a55-6d1f0d8e7a10")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,62}[a-z0-9]$")
_RETRIES = 10
#: The attempt counter (:meth:`Store.count_attempt`) of password sign-ins, per account id.
SIGN_IN_SCOPE = "sign-in"
#: The attempt counter of session codes: one for the whole server (``JOIN_KEY``).
JOIN_SCOPE = "join"
JOIN_KEY = "server"
#: Password checks (argon2id, ``memory_cost_kib`` each) running at once in one process.
MAX_CONCURRENT_VERIFICATIONS = 2
#: How long a sign-in waits for a free password check before it is refused.
VERIFY_WAIT_SECONDS = 30.0
_VERIFY_SLOTS = threading.BoundedSemaphore(MAX_CONCURRENT_VERIFICATIONS)


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """Sign-in rules.

    Attributes
    ----------
    max_failures
        Wrong passwords in a row before an account is locked.
    lockout_minutes
        How long a locked account stays locked.
    min_password_length, max_password_length
        Password length limits (a passphrase of three or four words is the
        easy way to reach the minimum; the maximum stops hashing abuse).
    time_cost, memory_cost_kib, parallelism
        argon2id parameters for new hashes (argon2-cffi's defaults, the
        RFC 9106 low-memory profile). Existing hashes keep their own
        parameters and are re-hashed on the next good sign-in.
    code_length
        Characters in a session code.
    join_max_failures, join_window_seconds
        Wrong session codes the whole server may be sent within the window
        (all browsers and app servers on the database together), after which
        joining waits until the window ends.
    """

    max_failures: int = 5
    lockout_minutes: float = 15.0
    min_password_length: int = 12
    max_password_length: int = 1024
    time_cost: int = 3
    memory_cost_kib: int = 65536
    parallelism: int = 4
    code_length: int = 6
    join_max_failures: int = 30
    join_window_seconds: float = 60.0

    def __post_init__(self) -> None:
        for name in (
            "max_failures",
            "min_password_length",
            "time_cost",
            "memory_cost_kib",
            "parallelism",
            "join_max_failures",
        ):
            if getattr(self, name) < 1:
                msg = f"`{name}` must be at least 1, got {getattr(self, name)!r}."
                raise ValueError(msg)
        if self.lockout_minutes <= 0 or self.join_window_seconds <= 0:
            msg = "`lockout_minutes` and `join_window_seconds` must be positive."
            raise ValueError(msg)
        if self.max_password_length < self.min_password_length:
            msg = "`max_password_length` must not be below `min_password_length`."
            raise ValueError(msg)
        if self.code_length < 5:
            msg = f"`code_length` must be at least 5, got {self.code_length!r}."
            raise ValueError(msg)

    @property
    def failure_message(self) -> str:
        """The one message every failed username/password sign-in gets."""
        minutes = f"{self.lockout_minutes:g}"
        return (
            "The username or password is wrong. After "
            f"{self.max_failures} wrong tries in a row an account is locked for {minutes} minutes."
        )


_DEFAULT_CONFIG = AuthConfig()


@functools.lru_cache(maxsize=8)
def _hasher(config: AuthConfig) -> PasswordHasher:
    return PasswordHasher(
        time_cost=config.time_cost,
        memory_cost=config.memory_cost_kib,
        parallelism=config.parallelism,
    )


@functools.lru_cache(maxsize=8)
def _dummy_hash(config: AuthConfig) -> str:
    # Verified against when the username is unknown, so both cases take as long.
    return _hasher(config).hash(secrets.token_urlsafe(16))


def _now(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return dt.datetime.now(dt.UTC)
    return now if now.tzinfo else now.replace(tzinfo=dt.UTC)


def _user_id(username: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "user:" + username))


def _normalise_username(username: str) -> str:
    return username.strip().casefold()


# ---------------------------------------------------------------------- passwords
def check_password(password: str, *, username: str = "", config: AuthConfig | None = None) -> None:
    """Check a new password against the policy.

    At least ``min_password_length`` characters (12 by default: a passphrase
    of three or four ordinary words is fine), not the username, not one
    character repeated.

    Raises
    ------
    AccountError
        Saying what is wrong, never echoing the password.

    Examples
    --------
    >>> check_password("correct horse battery staple")
    >>> check_password("Tr0ub4dor&3")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    assetmap.errors.AccountError: The password is too short: use at least 12 characters ...
    """
    cfg = config or _DEFAULT_CONFIG
    if not isinstance(password, str):
        msg = "The password must be text."
        raise AccountError(msg)
    if len(password) < cfg.min_password_length:
        msg = (
            f"The password is too short: use at least {cfg.min_password_length} characters "
            "(a few words make a good one)."
        )
        raise AccountError(msg)
    if len(password) > cfg.max_password_length:
        msg = f"The password is too long: use at most {cfg.max_password_length} characters."
        raise AccountError(msg)
    if len(set(password)) < 3:
        msg = "The password is one or two characters repeated; choose a few words instead."
        raise AccountError(msg)
    if username and _normalise_username(username) in password.casefold():
        msg = "The password must not contain the username."
        raise AccountError(msg)


# ---------------------------------------------------------------------- accounts
def _find_user(store: Store, username: str) -> dict[str, Any] | None:
    try:
        return store.get_record(USER_ENTITY, _user_id(_normalise_username(username)))
    except NotFoundError:
        return None


def _principal_for(user: Mapping[str, Any]) -> Principal:
    return Principal(
        user_id=str(user["username"]),
        role=Role(user["role"]),
        label=str(user["username"]),
        team=frozenset(user.get("team") or ()),
    )


#: The roles an account may hold: every role but a participant (who joins with a code).
ACCOUNT_ROLES: tuple[Role, ...] = tuple(r for r in Role if r is not Role.PARTICIPANT)


def create_user(
    store: Store,
    username: str,
    password: str,
    role: Role | str,
    *,
    actor: Principal,
    team: Iterable[str] = (),
    config: AuthConfig | None = None,
) -> str:
    """Create a local account and return its username (the principal's ``user_id``).

    Checks ``manage_users``.

    Parameters
    ----------
    store
        The register store holding the accounts.
    username
        3-64 characters: letters, digits and ``. _ @ -`` (kept lower-case).
    password
        Checked by :func:`check_password`; only its argon2id hash is stored.
    role
        Any role but participant (participants join with a session code).
    actor
        Who creates it (must be allowed ``manage_users``).
    team
        Usernames whose caseloads this (staff) user shares.
    config
        Sign-in rules.

    Raises
    ------
    AccessDeniedError
        If ``actor`` may not manage users.
    AccountError
        If the username is malformed or taken, the role unknown, or the password weak.
    """
    require(actor, Operation.MANAGE_USERS)
    cfg = config or _DEFAULT_CONFIG
    name = _normalise_username(username)
    if not _USERNAME.match(name):
        msg = (
            "A username must be 3-64 characters: letters, digits and . _ @ -, "
            "starting and ending with a letter or digit."
        )
        raise AccountError(msg)
    try:
        user_role = Role(role)
    except ValueError:
        msg = f"Unknown role {role!r}; use one of: {', '.join(r.value for r in Role)}."
        raise AccountError(msg) from None
    if user_role not in ACCOUNT_ROLES:
        msg = "Participants join sessions with a session code, not an account."
        raise AccountError(msg)
    check_password(password, username=name, config=cfg)
    data = {
        "username": name,
        "role": user_role.value,
        "password_hash": _hasher(cfg).hash(password),
        "active": True,
        "status": "active",
        "team": sorted({_normalise_username(t) for t in team}),
    }
    if _find_user(store, name) is not None:
        msg = "That username is taken; choose another."
        raise AccountError(msg)
    try:
        store.add_record(
            USER_ENTITY,
            data,
            actor=actor.user_id,
            reason=f"account created ({user_role.value})",
            record_id=_user_id(name),
        )
    except IntegrityError as exc:  # created by someone else a moment ago
        msg = "That username is taken; choose another."
        raise AccountError(msg) from exc
    logger.info("account created with role %s", user_role.value)
    return name


def _update_user(
    store: Store,
    username: str,
    change: Callable[[dict[str, Any]], dict[str, Any] | None],
    *,
    actor: str,
    reason: str,
) -> dict[str, Any] | None:
    """Apply ``change(user) -> changes`` with optimistic locking, retrying on conflicts."""
    for _ in range(_RETRIES):
        user = _find_user(store, username)
        if user is None:
            return None
        changes = change(user)
        if not changes:
            return user
        try:
            return store.edit_record(
                USER_ENTITY,
                user["id"],
                changes,
                expected_version=int(user["version"]),
                actor=actor,
                reason=reason,
            )
        except ConflictError:
            continue
    msg = "The account is being changed by several people at once; try again."
    raise AccountError(msg)


def authenticate(
    store: Store,
    username: str,
    password: str,
    *,
    config: AuthConfig | None = None,
    now: dt.datetime | None = None,
) -> Principal:
    """Sign in with a username and password.

    Parameters
    ----------
    store
        The register store holding the accounts.
    username, password
        What the person typed.
    config
        Sign-in rules (lock-out threshold and duration).
    now
        The current time (for tests); naive values are UTC.

    Returns
    -------
    Principal
        With the account's role and team.

    Raises
    ------
    AuthError
        With one message for every failure (unknown user, wrong password,
        disabled or locked account), so it reveals nothing.
    """
    cfg = config or _DEFAULT_CONFIG
    when = _now(now)
    failed = AuthError(cfg.failure_message)
    if not isinstance(username, str) or not isinstance(password, str):
        raise failed
    if len(password) > cfg.max_password_length:
        raise failed
    key = _user_id(_normalise_username(username))
    try:
        user = _checked_sign_in(store, key, username, password, cfg, when)
    except (StoreError, AccountError) as exc:  # e.g. "database is locked": same answer for all
        logger.warning("sign-in refused: the accounts could not be read or written (%s)", exc)
        raise failed from None
    if user is None:
        raise failed
    return _principal_for(user)


def _checked_sign_in(
    store: Store, key: str, username: str, password: str, cfg: AuthConfig, when: dt.datetime
) -> dict[str, Any] | None:
    """Count the attempt, then verify; the signed-in account, or ``None`` for any failure.

    The attempt is counted (atomically, in the database) *before* the password
    is checked, so however many tries race, at most ``max_failures`` of them
    reach the account's hash before it locks. Unknown, disabled and locked
    accounts are verified against a dummy hash, so every refusal takes as
    long as a wrong password.
    """
    lockout = dt.timedelta(minutes=cfg.lockout_minutes)
    allowed = store.count_attempt(
        SIGN_IN_SCOPE, key, limit=cfg.max_failures, lock_for=lockout, now=when
    )
    user = _find_user(store, username)
    if not allowed or user is None or not user.get("active"):
        _verify(cfg, _dummy_hash(cfg), password)
        logger.info("sign-in refused: locked, or no such active account")
        return None
    if not _verify(cfg, str(user["password_hash"]), password):
        logger.info("sign-in refused: wrong password")
        return None
    store.forget_attempts(SIGN_IN_SCOPE, key)
    if _hasher(cfg).check_needs_rehash(str(user["password_hash"])):
        name = str(user["username"])
        user = _set_password(
            store, name, password, cfg, actor=name, reason="password re-hashed on sign-in"
        )
    return user


def _set_password(
    store: Store, username: str, password: str, cfg: AuthConfig, *, actor: str, reason: str
) -> dict[str, Any] | None:
    """Store a fresh hash of ``password`` on the account; the account, or ``None`` if none."""
    new_hash = _hasher(cfg).hash(password)
    return _update_user(
        store, username, lambda _user: {"password_hash": new_hash}, actor=actor, reason=reason
    )


def _verify(cfg: AuthConfig, password_hash: str, password: str) -> bool:
    """Check a password, at most :data:`MAX_CONCURRENT_VERIFICATIONS` at a time (memory)."""
    if not _VERIFY_SLOTS.acquire(timeout=VERIFY_WAIT_SECONDS):
        logger.warning("sign-in refused: too many password checks at once")
        return False
    try:
        return bool(_hasher(cfg).verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False
    finally:
        _VERIFY_SLOTS.release()


def change_password(
    store: Store,
    username: str,
    old_password: str,
    new_password: str,
    *,
    config: AuthConfig | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Change one's own password (the old one must be right).

    Raises
    ------
    AuthError
        If the username or old password is wrong (counts as a failed sign-in).
    AccountError
        If the new password breaks the policy.
    """
    cfg = config or _DEFAULT_CONFIG
    who = authenticate(store, username, old_password, config=cfg, now=now)
    check_password(new_password, username=who.user_id, config=cfg)
    _set_password(
        store, who.user_id, new_password, cfg, actor=who.user_id, reason="password changed"
    )


def reset_password(
    store: Store,
    username: str,
    new_password: str,
    *,
    actor: Principal,
    config: AuthConfig | None = None,
) -> None:
    """Set a new password for someone (an admin's job); also unlocks the account.

    Raises
    ------
    AccessDeniedError
        If ``actor`` may not manage users.
    AccountError
        If there is no such account or the password breaks the policy.
    """
    require(actor, Operation.MANAGE_USERS)
    cfg = config or _DEFAULT_CONFIG
    name = _normalise_username(username)
    check_password(new_password, username=name, config=cfg)
    done = _set_password(
        store, name, new_password, cfg, actor=actor.user_id, reason="password reset by an admin"
    )
    if done is None:
        msg = "There is no account with that username."
        raise AccountError(msg)
    store.forget_attempts(SIGN_IN_SCOPE, _user_id(name))


def disable_user(store: Store, username: str, *, actor: Principal, reason: str = "") -> None:
    """Disable an account: it can no longer sign in (its history stays).

    Raises
    ------
    AccessDeniedError
        If ``actor`` may not manage users.
    AccountError
        If there is no such account.
    """
    require(actor, Operation.MANAGE_USERS)
    done = _update_user(
        store,
        _normalise_username(username),
        lambda user: {"active": False, "status": "disabled"} if user.get("active") else None,
        actor=actor.user_id,
        reason=reason or "account disabled",
    )
    if done is None:
        msg = "There is no account with that username."
        raise AccountError(msg)


def list_users(store: Store, *, actor: Principal, now: dt.datetime | None = None) -> pd.DataFrame:
    """Return the accounts (never their hashes), sorted by username.

    Columns: username, role, active, locked_until, failed_attempts, team
    (``failed_attempts``: wrong tries since the last good sign-in or lock;
    ``locked_until``: UTC, or missing when not locked).
    """
    require(actor, Operation.MANAGE_USERS)
    columns = ["username", "role", "active", "locked_until", "failed_attempts", "team"]
    frame = store.records(USER_ENTITY)
    if frame.empty:
        return pd.DataFrame(columns=columns)
    counts = {str(r["key"]): r for r in store.attempts(SIGN_IN_SCOPE).to_dict("records")}
    when = pd.Timestamp(_now(now))
    failures, locked = [], []
    for name in frame["username"]:
        row = counts.get(_user_id(str(name)), {})
        until = row.get("locked_until")
        running = isinstance(until, pd.Timestamp) and until > when
        over = isinstance(until, pd.Timestamp) and not running  # the next try starts afresh
        failures.append(0 if over else int(row.get("failures", 0)))
        locked.append(until if running else None)
    frame["failed_attempts"] = failures
    frame["locked_until"] = pd.Series(locked, index=frame.index, dtype=object)
    return frame[columns].sort_values("username", kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------- session codes
def _code_key(code: str) -> str:
    return hashlib.sha256(("assetmap-session-code:" + code).encode()).hexdigest()


def _normalise_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code).upper()


def issue_session_code(
    store: Store,
    session_id: str,
    *,
    actor: Principal,
    ttl_hours: float = 8,
    config: AuthConfig | None = None,
    now: dt.datetime | None = None,
) -> str:
    """Create a short code participants type to join a mapping session.

    Checks ``start_session``. The session must exist and be open. Any code
    issued for it before stops working ("New join code" replaces the code).
    Only a hash of the code is stored; the code is shown once, to the
    facilitator.

    Parameters
    ----------
    store
        The register store.
    session_id
        The mapping session the code admits to.
    actor
        The facilitator.
    ttl_hours
        How long the code works.
    config
        Code length.
    now
        The current time (for tests).

    Returns
    -------
    str
        E.g. ``"K7QH4M"``: letters and digits that cannot be confused.

    Raises
    ------
    NotFoundError
        If there is no such session.
    ConflictError
        If the session has been closed.
    """
    require(actor, Operation.START_SESSION)
    cfg = config or _DEFAULT_CONFIG
    if not session_id:
        msg = "A session code needs the session's id."
        raise AccountError(msg)
    if not 0 < ttl_hours <= 24 * 7:
        msg = f"`ttl_hours` must be between 0 and 168, got {ttl_hours!r}."
        raise AccountError(msg)
    open_session_record(store, session_id)
    revoke_session_codes(store, session_id, actor=actor)
    expires = _now(now) + dt.timedelta(hours=ttl_hours)
    for _ in range(_RETRIES):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(cfg.code_length))
        key = _code_key(code)
        try:
            store.add_record(
                CODE_ENTITY,
                {
                    "code_hash": key,
                    "session_id": session_id,
                    "expires_at": expires.isoformat(),
                    "status": "active",
                },
                actor=actor.user_id,
                reason="session code issued",
                record_id=str(uuid.uuid5(_NAMESPACE, key)),
            )
        except IntegrityError:  # the same code is live already: draw again
            continue
        return code
    msg = "Could not draw a free session code; try again."  # pragma: no cover
    raise AccountError(msg)  # pragma: no cover


def revoke_session_codes(store: Store, session_id: str, *, actor: Principal) -> int:
    """Stop every code of a session from working (e.g. when it ends); return how many."""
    require(actor, Operation.START_SESSION)
    codes = store.records(CODE_ENTITY, status="active")
    if codes.empty:
        return 0
    revoked = 0
    for row in codes[codes["session_id"] == session_id].to_dict("records"):
        try:
            store.edit_record(
                CODE_ENTITY,
                str(row["id"]),
                {"status": "revoked"},
                expected_version=int(row["version"]),
                actor=actor.user_id,
                reason="session code revoked",
            )
        except ConflictError:
            continue
        revoked += 1
    return revoked


def join_session(
    store: Store,
    code: str,
    *,
    client: str = "unknown",
    config: AuthConfig | None = None,
    now: dt.datetime | None = None,
) -> Principal:
    """Join a mapping session with its code, as a participant.

    Every try is counted in the database *before* the code is looked up, for
    the whole server (:data:`JOIN_SCOPE`): all browsers, tabs and app servers
    on the database share ``join_max_failures`` tries per
    ``join_window_seconds``; a right code gives its try back.

    Parameters
    ----------
    store
        The register store.
    code
        What the participant typed (case, spaces and dashes do not matter).
    client
        Who is trying (e.g. the browser session's id), for the log only: the
        limit is per server, so a new tab or device does not reset it.
    config
        How many wrong codes the server accepts per window.
    now
        The current time (for tests).

    Returns
    -------
    Principal
        Role participant, scoped to the code's session, with a fresh random
        id and a neutral label.

    Raises
    ------
    AuthError
        If the code is unknown, expired or revoked, its session has ended, or
        too many wrong codes were tried on this server within the window.
    """
    cfg = config or _DEFAULT_CONFIG
    when = _now(now)
    window = dt.timedelta(seconds=cfg.join_window_seconds)
    if not store.count_attempt(
        JOIN_SCOPE, JOIN_KEY, limit=cfg.join_max_failures, lock_for=window, window=window, now=when
    ):
        logger.warning("join refused: too many wrong session codes on this server")
        msg = "Too many wrong codes. Wait a minute, then check the code with your facilitator."
        raise AuthError(msg)
    record = _live_code(store, code, cfg, when)
    if record is None:
        logger.info("wrong session code (client %s)", client[:40])
        msg = "That session code does not work: it may be mistyped or the session may have ended."
        raise AuthError(msg)
    store.forget_attempts(JOIN_SCOPE, JOIN_KEY, every=False)
    return Principal(
        user_id=f"participant-{secrets.token_hex(6)}",
        role=Role.PARTICIPANT,
        session_id=str(record["session_id"]),
    )


def _live_code(
    store: Store, code: str, cfg: AuthConfig, when: dt.datetime
) -> dict[str, Any] | None:
    """Return the record of a code that works now (active, unexpired, session open)."""
    typed = _normalise_code(code) if isinstance(code, str) else ""
    if len(typed) != cfg.code_length or not set(typed) <= set(CODE_ALPHABET):
        return None
    try:
        record = store.get_record(CODE_ENTITY, str(uuid.uuid5(_NAMESPACE, _code_key(typed))))
        if record.get("status") != "active":
            return None
        if when >= dt.datetime.fromisoformat(record["expires_at"]):
            return None
        open_session_record(store, str(record["session_id"]))
    except (NotFoundError, ConflictError):
        return None
    return record


# ---------------------------------------------------------------------- single sign-on
_PRECEDENCE: Sequence[Role] = (Role.ADMIN, Role.LEAD, Role.APPROVER, Role.FACILITATOR, Role.STAFF)


def principal_from_oidc(
    claims: Mapping[str, Any],
    *,
    role_claim: str = "roles",
    role_map: Mapping[str, Role | str] | None = None,
    id_claim: str = "email",
    precedence: Sequence[Role] = _PRECEDENCE,
    now: dt.datetime | None = None,
) -> Principal:
    """Map the identity claims of a single sign-on to a principal.

    Pure: give it ``st.user.to_dict()`` after ``st.login()``.

    Parameters
    ----------
    claims
        The ID token's claims (plus Streamlit's ``is_logged_in``).
    role_claim
        The claim holding the person's role(s) (a string or a list), e.g.
        ``"roles"`` (Microsoft Entra app roles) or ``"groups"``.
    role_map
        Provider role/group value -> assetmap role. Required: without it no
        value maps, so a group someone named ``"admin"`` never makes its
        members administrators. Participants never sign in this way.
    id_claim
        The claim used as ``user_id`` (and plan owner): ``"email"`` by
        default (only when ``email_verified`` is true), or ``"sub"``.
    precedence
        Which role wins when several map.
    now
        The current time (for tests): an ``exp`` claim at or before it is refused.

    Raises
    ------
    AccessDeniedError
        If the person is not signed in, the token has expired, the email is
        not verified, or there is no id or no role that maps.

    Examples
    --------
    >>> claims = {"is_logged_in": True, "sub": "a1", "email": "ana@probation.example",
    ...           "email_verified": True, "name": "Ana", "roles": ["assetmap.staff"]}
    >>> p = principal_from_oidc(claims, role_map={"assetmap.staff": "staff"})
    >>> (p.user_id, p.role.value, p.label)
    ('ana@probation.example', 'staff', 'Ana')
    """
    if claims.get("is_logged_in") is False:
        msg = "Not signed in."
        raise AccessDeniedError(msg)
    user_id = claims.get(id_claim)
    if not isinstance(user_id, str) or not user_id.strip():
        msg = f"The identity provider sent no `{id_claim}` claim; cannot tell who this is."
        raise AccessDeniedError(msg)
    _check_expiry(claims.get("exp"), _now(now))
    if id_claim == "email" and claims.get("email_verified") is not True:
        msg = (
            "This email address is not verified by the identity provider (no "
            "`email_verified: true`); identify people by the `sub` claim with this provider."
        )
        raise AccessDeniedError(msg)
    if not role_map:
        msg = (
            "Single sign-on has no role map yet: an administrator must say which provider "
            "roles or groups give which assetmap role (Admin page, Settings)."
        )
        raise AccessDeniedError(msg)
    mapping = {k: Role(v) for k, v in role_map.items()}
    raw = claims.get(role_claim)
    values = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, list | tuple) else []
    roles = {mapping[v] for v in values if isinstance(v, str) and v in mapping}
    roles.discard(Role.PARTICIPANT)
    chosen = next((r for r in precedence if r in roles), None)
    if chosen is None:
        msg = (
            f"This account has no assetmap role in its `{role_claim}` claim; "
            "ask an administrator to assign one."
        )
        raise AccessDeniedError(msg)
    label = claims.get("name")
    return Principal(
        user_id=user_id.strip().casefold() if id_claim == "email" else user_id,
        role=chosen,
        label=label if isinstance(label, str) and label.strip() else user_id,
    )


def _check_expiry(exp: Any, now: dt.datetime) -> None:
    """Refuse an ID token whose ``exp`` (seconds since 1970) is not after ``now``."""
    if exp is None:
        return
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        msg = "The identity provider sent an unreadable expiry time; sign in again."
        raise AccessDeniedError(msg)
    if now.timestamp() >= float(exp):
        msg = "Your single sign-on has expired; sign in again."
        raise AccessDeniedError(msg)


#: Workspace setting holding the single sign-on options (see :class:`OidcSettings`).
OIDC_SETTING = "sso"


@dataclass(frozen=True, slots=True)
class OidcSettings:
    """How the app signs people in through an OpenID Connect provider.

    The provider itself (client id, secret, metadata URL) is configured in
    Streamlit's ``.streamlit/secrets.toml`` (see ``docs/sign-in.md``); these
    are the workspace's choices about the claims, kept in its settings.

    Attributes
    ----------
    provider
        The ``[auth.<provider>]`` section to use, or "" for a single ``[auth]``.
    role_claim
        The claim holding the person's role(s).
    id_claim
        ``"email"`` (verified email, lower-cased) or ``"sub"``.
    role_map
        Provider value -> assetmap role (empty: nobody gets a role).

    Examples
    --------
    >>> options = oidc_settings({"sso": {"role_map": {"AssetMap.Lead": "lead"}}})
    >>> (options.role_claim, options.role_map["AssetMap.Lead"].value)
    ('roles', 'lead')
    """

    provider: str = ""
    role_claim: str = "roles"
    id_claim: str = "email"
    role_map: Mapping[str, Role] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9-]{0,40}", self.provider):
            msg = "The provider name must be letters, digits or dashes (no underscore), at most 40."
            raise AccountError(msg)
        if not re.fullmatch(r"[A-Za-z0-9_.:/-]{1,100}", self.role_claim):
            msg = "The role claim must be a claim name such as `roles` or `groups`."
            raise AccountError(msg)
        if self.id_claim not in {"email", "sub"}:
            msg = f"The id claim must be `email` or `sub`, got {self.id_claim!r}."
            raise AccountError(msg)
        roles: dict[str, Role] = {}
        for key, value in dict(self.role_map).items():
            if not isinstance(key, str) or not key.strip() or len(key) > 200:
                msg = "Each provider role or group in the role map needs a name (at most 200)."
                raise AccountError(msg)
            try:
                role = Role(value)
            except ValueError:
                msg = f"Unknown assetmap role {value!r} in the role map."
                raise AccountError(msg) from None
            if role is Role.PARTICIPANT:
                msg = "Nobody signs in as a participant: participants use session codes."
                raise AccountError(msg)
            roles[key.strip()] = role
        object.__setattr__(self, "role_map", MappingProxyType(roles))

    def to_setting(self) -> dict[str, Any]:
        """Return the JSON-friendly form kept in the workspace settings."""
        return {
            "provider": self.provider,
            "role_claim": self.role_claim,
            "id_claim": self.id_claim,
            "role_map": {k: v.value for k, v in self.role_map.items()},
        }

    def principal(self, claims: Mapping[str, Any], *, now: dt.datetime | None = None) -> Principal:
        """Map ``st.user.to_dict()`` to a principal with these options."""
        return principal_from_oidc(
            claims,
            role_claim=self.role_claim,
            role_map=dict(self.role_map) or None,
            id_claim=self.id_claim,
            now=now,
        )


def oidc_settings(settings: Mapping[str, Any]) -> OidcSettings:
    """Read :class:`OidcSettings` from workspace settings (defaults when absent).

    Raises
    ------
    AccountError
        If the stored options are malformed.
    """
    raw = settings.get(OIDC_SETTING) or {}
    if not isinstance(raw, Mapping):
        msg = f"The `{OIDC_SETTING}` setting must be a table of options."
        raise AccountError(msg)
    known = {"provider", "role_claim", "id_claim", "role_map"}
    unknown = sorted(set(raw) - known)
    if unknown:
        msg = f"Unknown single sign-on option(s): {', '.join(map(str, unknown))}."
        raise AccountError(msg)
    role_map = raw.get("role_map") or {}
    if not isinstance(role_map, Mapping):
        msg = "The single sign-on `role_map` must map provider values to roles."
        raise AccountError(msg)
    return OidcSettings(
        provider=str(raw.get("provider") or ""),
        role_claim=str(raw.get("role_claim") or "roles"),
        id_claim=str(raw.get("id_claim") or "email"),
        role_map=dict(role_map),
    )


def set_oidc_settings(workspace: Workspace, options: OidcSettings, *, principal: Principal) -> None:
    """Keep ``options`` in the workspace settings; checks ``change_settings``."""
    require(principal, Operation.CHANGE_SETTINGS)
    workspace.update_settings(**{OIDC_SETTING: options.to_setting()})
    logger.info("single sign-on options changed")


def role_map_from_text(text: str) -> dict[str, Role]:
    r"""Read a role map written one ``provider value = role`` per line (blank lines skipped).

    Raises
    ------
    AccountError
        Naming the line that is not ``value = role`` with a known role.

    Examples
    --------
    >>> role_map_from_text("AssetMap.Staff = staff\n\nAssetMap.Admin=admin")
    {'AssetMap.Staff': <Role.STAFF: 'staff'>, 'AssetMap.Admin': <Role.ADMIN: 'admin'>}
    """
    out: dict[str, Role] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        value, sep, role = line.rpartition("=")
        try:
            chosen = Role(role.strip().lower())
        except ValueError:
            chosen = None
        if not sep or not value.strip() or chosen is None or chosen is Role.PARTICIPANT:
            msg = (
                f"Role map, line {number}: write `provider value = role` with role one of "
                "staff, facilitator, lead, admin."
            )
            raise AccountError(msg)
        out[value.strip()] = chosen
    return out


# ---------------------------------------------------------------------- who is still signed in
#: Workspace setting: minutes without activity after which a signed-in (non-participant) person
#: is signed out.
IDLE_SETTING = "idle_timeout_minutes"
DEFAULT_IDLE_MINUTES = 30.0


def has_accounts(store: Store) -> bool:
    """Return whether the register holds any user account; fail closed when it cannot tell.

    Raises
    ------
    WorkspaceError
        If the accounts cannot be read (database unopenable, locked or
        damaged). Callers must then sign nobody in: never treat an unreadable
        database as one with no accounts (which would be local mode).
    """
    try:
        return store.has_records(USER_ENTITY)
    except (AssetMapError, SQLAlchemyError) as exc:
        logger.warning("accounts could not be read: %s", type(exc).__name__)
        msg = f"The accounts cannot be read ({exc})."
        raise WorkspaceError(msg) from exc


def refresh_principal(
    store: Store, principal: Principal, *, accounts_exist: bool
) -> Principal | None:
    """Re-check a signed-in principal against the register (on every page load).

    A local account that has been disabled or deleted signs out at once
    (None); a changed role or team takes effect at once. A participant stays
    while their session exists. A principal with no account (the person at the
    keyboard in local mode) stays only while the workspace has no accounts.
    Single sign-on principals are re-mapped from their claims instead
    (:meth:`OidcSettings.principal`).

    Parameters
    ----------
    store
        The register.
    principal
        Who the browser session says is signed in.
    accounts_exist
        From :func:`has_accounts`.

    Returns
    -------
    Principal or None
        The principal as the register has it now, or None: sign them out.
    """
    if principal.role is Role.PARTICIPANT:
        try:
            store.get_record(SESSION_ENTITY, str(principal.session_id))
        except NotFoundError:
            return None
        return principal
    user = _find_user(store, principal.user_id)
    if user is None:
        return None if accounts_exist else principal
    if not user.get("active"):
        logger.info("signed out: the account is disabled")
        return None
    return _principal_for(user)


def idle_timeout_minutes(settings: Mapping[str, Any]) -> float:
    """Read the idle time-out from workspace settings (30 minutes when absent).

    Raises
    ------
    AccountError
        If the setting is not a number of minutes between 1 and 1440.

    Examples
    --------
    >>> idle_timeout_minutes({})
    30.0
    >>> idle_timeout_minutes({"idle_timeout_minutes": 10})
    10.0
    """
    raw = settings.get(IDLE_SETTING, DEFAULT_IDLE_MINUTES)
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not 1 <= raw <= 1440:
        msg = f"The `{IDLE_SETTING}` setting must be a number of minutes from 1 to 1440."
        raise AccountError(msg)
    return float(raw)


def is_idle(
    principal: Principal, last_seen: dt.datetime, *, minutes: float, now: dt.datetime | None = None
) -> bool:
    """Whether ``principal`` has been idle too long and must sign in again.

    Participants are never timed out here (their code and session bound them).

    Examples
    --------
    >>> seen = dt.datetime(2025, 1, 1, 9, 0, tzinfo=dt.UTC)
    >>> is_idle(Principal("ana", Role.STAFF), seen, minutes=30, now=seen + dt.timedelta(minutes=31))
    True
    >>> guest = Principal("p-1", Role.PARTICIPANT, session_id="s")
    >>> is_idle(guest, seen, minutes=30, now=seen + dt.timedelta(minutes=31))
    False
    """
    if principal.role is Role.PARTICIPANT:
        return False
    return _now(now) - _now(last_seen) > dt.timedelta(minutes=minutes)


def code_is_live(
    store: Store, code: str, *, session_id: str, now: dt.datetime | None = None
) -> bool:
    """Whether ``code`` still admits people to ``session_id`` (not expired, not revoked).

    For showing a facilitator their join code again after a reload; joining
    itself goes through :func:`join_session` (which counts wrong guesses).
    """
    typed = _normalise_code(code) if isinstance(code, str) else ""
    if not typed or not set(typed) <= set(CODE_ALPHABET):
        return False
    try:
        record = store.get_record(CODE_ENTITY, str(uuid.uuid5(_NAMESPACE, _code_key(typed))))
    except NotFoundError:
        return False
    return (
        record.get("session_id") == session_id
        and record.get("status") == "active"
        and _now(now) < dt.datetime.fromisoformat(record["expires_at"])
    )


def set_idle_timeout_minutes(
    workspace: Workspace, minutes: float, *, principal: Principal
) -> float:
    """Set the idle time-out (minutes, 1 to 1440); checks ``change_settings``.

    Raises
    ------
    AccessDeniedError
        If ``principal`` may not change settings.
    AccountError
        If ``minutes`` is out of range.
    """
    require(principal, Operation.CHANGE_SETTINGS)
    chosen = idle_timeout_minutes({IDLE_SETTING: minutes})
    workspace.update_settings(**{IDLE_SETTING: chosen})
    logger.info("idle time-out set to %g minutes", chosen)
    return chosen
