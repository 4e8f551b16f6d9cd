"""Local accounts, lock-out, participant session codes and single sign-on claims."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import os
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from argon2 import PasswordHasher
from sqlalchemy import text

from assetmap.access import Operation, Principal, Role, allowed
from assetmap.errors import (
    AccessDeniedError,
    AccountError,
    AuthError,
    ConflictError,
    NotFoundError,
)
from assetmap.people.accounts import (
    CODE_ALPHABET,
    AuthConfig,
    authenticate,
    change_password,
    create_user,
    disable_user,
    issue_session_code,
    join_session,
    list_users,
    principal_from_oidc,
    reset_password,
    revoke_session_codes,
)
from assetmap.people.sessions import close_session, start_session
from assetmap.store import Store
from assetmap.store import _engine as store_engine
from assetmap.store import store as store_module

# Cheap argon2 parameters keep the tests fast; the defaults are tested for the hash format.
FAST = AuthConfig(time_cost=1, memory_cost_kib=8, parallelism=1)
ADMIN = Principal("root-admin", Role.ADMIN)
FACILITATOR = Principal("fran", Role.FACILITATOR)
T0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
PASSWORD = "kettle orchard lantern"


@pytest.fixture
def accounts(store: Store) -> Store:
    create_user(store, "Sam", PASSWORD, "staff", actor=ADMIN, team=["tess"], config=FAST)
    create_user(store, "lee", "another long phrase", Role.LEAD, actor=ADMIN, config=FAST)
    return store


def _raw_dump(store: Store) -> str:
    """Everything in the records and history tables, as text."""
    with store.engine.connect() as conn:
        rows = [
            *conn.execute(text("SELECT data FROM records")).all(),
            *conn.execute(text("SELECT data FROM history")).all(),
        ]
    return json.dumps([r[0] for r in rows], default=str)


def test_a_user_signs_in_with_their_role_and_team(accounts: Store) -> None:
    who = authenticate(accounts, "sam", PASSWORD, config=FAST, now=T0)
    assert who == Principal("sam", Role.STAFF, label="sam", team=frozenset({"tess"}))
    assert authenticate(accounts, "  SAM ", PASSWORD, config=FAST, now=T0).user_id == "sam"


def test_unknown_user_and_wrong_password_get_the_same_message(accounts: Store) -> None:
    messages = []
    for username, password in [("sam", "wrong password here"), ("nobody", PASSWORD)]:
        with pytest.raises(AuthError) as info:
            authenticate(accounts, username, password, config=FAST, now=T0)
        messages.append(str(info.value))
    assert (
        messages[0]
        == messages[1]
        == (
            "The username or password is wrong. After 5 wrong tries in a row an account is "
            "locked for 15 minutes."
        )
    )
    assert isinstance(AuthError("x"), AccessDeniedError)


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(accounts: Store) -> None:
    for i in range(5):
        with pytest.raises(AuthError):
            authenticate(accounts, "sam", f"wrong password {i}", config=FAST, now=T0)
    # Locked: even the right password is refused, with the same message.
    with pytest.raises(AuthError, match="username or password is wrong"):
        authenticate(accounts, "sam", PASSWORD, config=FAST, now=T0 + dt.timedelta(minutes=14))
    who = authenticate(
        accounts, "sam", PASSWORD, config=FAST, now=T0 + dt.timedelta(minutes=15, seconds=1)
    )
    assert who.role is Role.STAFF
    users = list_users(accounts, actor=ADMIN).set_index("username")
    assert users.loc["sam", "failed_attempts"] == 0
    assert users.loc["sam", "locked_until"] is None


def test_a_good_sign_in_resets_the_failure_count(accounts: Store) -> None:
    for _ in range(4):
        with pytest.raises(AuthError):
            authenticate(accounts, "sam", "not the password", config=FAST, now=T0)
    authenticate(accounts, "sam", PASSWORD, config=FAST, now=T0)
    for _ in range(4):
        with pytest.raises(AuthError):
            authenticate(accounts, "sam", "not the password", config=FAST, now=T0)
    assert authenticate(accounts, "sam", PASSWORD, config=FAST, now=T0).user_id == "sam"


def test_simultaneous_wrong_passwords_are_all_counted(accounts: Store) -> None:
    def attempt(i: int) -> None:
        with pytest.raises(AuthError):
            authenticate(accounts, "sam", f"guess number {i}", config=FAST, now=T0)

    with ThreadPoolExecutor(max_workers=5) as pool:
        list(pool.map(attempt, range(5)))
    with pytest.raises(AuthError):
        authenticate(accounts, "sam", PASSWORD, config=FAST, now=T0)
    users = list_users(accounts, actor=ADMIN, now=T0).set_index("username")
    assert users.loc["sam", "failed_attempts"] == 5
    assert users.loc["sam", "locked_until"] == pd.Timestamp(T0 + dt.timedelta(minutes=15))
    later = list_users(accounts, actor=ADMIN, now=T0 + dt.timedelta(minutes=16))
    assert later.set_index("username").loc["sam", ["failed_attempts", "locked_until"]].tolist() == [
        0,
        None,
    ]


def _spy_on_password_checks(monkeypatch: pytest.MonkeyPatch, *, pause: float = 0.0) -> dict:
    """Record every argon2 verification: which hash, and how many ran at once."""
    seen: dict = {"hashes": [], "running": 0, "most": 0}
    lock = threading.Lock()
    verify = PasswordHasher.verify

    def spying(self: PasswordHasher, hash: str, password: str) -> bool:
        with lock:
            seen["hashes"].append(hash)
            seen["running"] += 1
            seen["most"] = max(seen["most"], seen["running"])
        try:
            time.sleep(pause)
            return verify(self, hash, password)
        finally:
            with lock:
                seen["running"] -= 1

    monkeypatch.setattr(PasswordHasher, "verify", spying)
    return seen


def _race(accounts: Store, config: AuthConfig, n: int) -> None:
    start = threading.Barrier(n)

    def attempt(i: int) -> None:
        start.wait()
        with pytest.raises(AuthError, match="username or password is wrong"):
            authenticate(accounts, "sam", f"guess number {i}", config=config, now=T0)

    with ThreadPoolExecutor(max_workers=n) as pool:
        list(pool.map(attempt, range(n)))


def test_racing_wrong_passwords_reach_the_hash_no_more_often_than_the_lock_out_allows(
    accounts: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = dataclasses.replace(FAST, max_failures=3)
    real_hash = accounts.records("user").set_index("username").at["sam", "password_hash"]
    seen = _spy_on_password_checks(monkeypatch)
    _race(accounts, config, n=12)
    assert seen["hashes"].count(real_hash) <= 3  # every other try met the lock
    assert len(seen["hashes"]) == 12  # ... and still took as long (a dummy hash)
    with pytest.raises(AuthError):
        authenticate(accounts, "sam", PASSWORD, config=config, now=T0)
    assert seen["hashes"].count(real_hash) <= 3


def test_at_most_two_password_checks_run_at_once(
    accounts: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _spy_on_password_checks(monkeypatch, pause=0.05)
    _race(accounts, dataclasses.replace(FAST, max_failures=100), n=8)
    assert len(seen["hashes"]) == 8
    assert seen["most"] == 2  # accounts.MAX_CONCURRENT_VERIFICATIONS


def test_an_unknown_user_is_checked_against_a_hash_too(
    accounts: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _spy_on_password_checks(monkeypatch)
    for username in ("nobody", "sam"):
        with pytest.raises(AuthError):
            authenticate(accounts, username, "wrong password here", config=FAST, now=T0)
    assert len(seen["hashes"]) == 2  # the same work, so the same time, either way


def _hold_the_write_lock(store: Store) -> Any:
    """Another connection holding the lock sign-in needs (e.g. a long import)."""
    if store.backend == "sqlite":
        writer: Any = sqlite3.connect(store.engine.url.database or "", isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        return writer
    writer = store.engine.connect()
    writer.exec_driver_sql("LOCK TABLE auth_attempts IN ACCESS EXCLUSIVE MODE")
    return writer


def test_a_locked_database_does_not_tell_which_usernames_exist(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_engine, "BUSY_TIMEOUT_MS", 200)
    monkeypatch.setattr(store_module, "ATTEMPT_WAIT_MS", 200, raising=False)
    store = Store(database_url)
    create_user(store, "sam", PASSWORD, "staff", actor=ADMIN, config=FAST)
    writer = _hold_the_write_lock(store)
    try:
        messages = set()
        for username in ("sam", "nobody"):
            with pytest.raises(AuthError) as refused:
                authenticate(store, username, "wrong password here", config=FAST, now=T0)
            messages.add(str(refused.value))
        assert messages == {FAST.failure_message}
        with pytest.raises(AuthError):  # nor signs anyone in unchecked
            authenticate(store, "sam", PASSWORD, config=FAST, now=T0)
    finally:
        writer.rollback()
        writer.close()
        store.close()


def test_counters_of_made_up_usernames_do_not_pile_up(accounts: Store) -> None:
    for i in range(20):
        with pytest.raises(AuthError):
            authenticate(accounts, f"made-up-{i}", "wrong password here", config=FAST, now=T0)
    three_days = dataclasses.replace(FAST, lockout_minutes=3 * 24 * 60)
    for _ in range(5):  # sam is locked for three days
        with pytest.raises(AuthError):
            authenticate(accounts, "sam", "wrong password here", config=three_days, now=T0)
    assert len(accounts.attempts("sign-in")) == 21
    later = T0 + dt.timedelta(days=1, minutes=1)
    with pytest.raises(AuthError):
        authenticate(accounts, "made-up-new", "wrong password here", config=FAST, now=later)
    # a day on, only the new one and sam's running lock are left
    assert len(accounts.attempts("sign-in")) == 2
    with pytest.raises(AuthError):
        authenticate(accounts, "sam", PASSWORD, config=three_days, now=later)


def test_a_disabled_account_cannot_sign_in(accounts: Store) -> None:
    disable_user(accounts, "sam", actor=ADMIN)
    with pytest.raises(AuthError, match="username or password is wrong"):
        authenticate(accounts, "sam", PASSWORD, config=FAST, now=T0)
    assert list(list_users(accounts, actor=ADMIN)["active"]) == [True, False]


def test_only_an_admin_manages_users(accounts: Store) -> None:
    sam = authenticate(accounts, "sam", PASSWORD, config=FAST)
    with pytest.raises(AccessDeniedError, match=r"may not manage user accounts \(manage_users\)"):
        create_user(accounts, "eve", "a perfectly long one", "admin", actor=sam, config=FAST)
    with pytest.raises(AccessDeniedError):
        disable_user(accounts, "lee", actor=sam)
    with pytest.raises(AccessDeniedError):
        list_users(accounts, actor=sam)


@pytest.mark.parametrize(
    ("username", "password", "role", "message"),
    [
        ("sam", "yet another phrase", "staff", "That username is taken"),
        ("ok_user", "short one", "staff", "too short: use at least 12"),
        ("ok_user", "aaaaaaaaaaaaaaaa", "staff", "one or two characters repeated"),
        ("ok_user", "my name is ok_user", "staff", "must not contain the username"),
        ("ok_user", "a fine long phrase", "participant", "join sessions with a session code"),
        ("ok_user", "a fine long phrase", "boss", "Unknown role 'boss'"),
        ("x", "a fine long phrase", "staff", "A username must be 3-64 characters"),
        ("bad name", "a fine long phrase", "staff", "A username must be"),
    ],
)
def test_bad_accounts_are_refused(
    accounts: Store, username: str, password: str, role: str, message: str
) -> None:
    with pytest.raises(AccountError, match=message):
        create_user(accounts, username, password, role, actor=ADMIN, config=FAST)
    assert len(accounts.records("user")) == 2


def test_only_an_argon2id_hash_is_stored(store: Store) -> None:
    create_user(store, "ana", "blue heron at dusk", "staff", actor=ADMIN)  # default parameters
    stored = store.records("user").iloc[0]["password_hash"]
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert "blue heron" not in _raw_dump(store)


def test_a_weaker_old_hash_is_upgraded_on_sign_in(accounts: Store) -> None:
    stronger = AuthConfig(time_cost=2, memory_cost_kib=16, parallelism=1)
    authenticate(accounts, "sam", PASSWORD, config=stronger)
    users = accounts.records("user").set_index("username")
    assert users.at["sam", "password_hash"].startswith("$argon2id$v=19$m=16,t=2,p=1$")
    assert authenticate(accounts, "sam", PASSWORD, config=FAST).user_id == "sam"


def test_changing_a_password_needs_the_old_one(accounts: Store) -> None:
    with pytest.raises(AuthError):
        change_password(accounts, "sam", "wrong old password", "new long phrase", config=FAST)
    with pytest.raises(AccountError, match="too short"):
        change_password(accounts, "sam", PASSWORD, "tiny", config=FAST)
    change_password(accounts, "sam", PASSWORD, "a brand new phrase", config=FAST)
    assert authenticate(accounts, "sam", "a brand new phrase", config=FAST).user_id == "sam"
    with pytest.raises(AuthError):
        authenticate(accounts, "sam", PASSWORD, config=FAST)


def test_an_admin_reset_unlocks_the_account(accounts: Store) -> None:
    for _ in range(5):
        with pytest.raises(AuthError):
            authenticate(accounts, "sam", "wrong wrong wrong", config=FAST, now=T0)
    reset_password(accounts, "sam", "fresh start phrase", actor=ADMIN, config=FAST)
    assert authenticate(accounts, "sam", "fresh start phrase", config=FAST, now=T0).user_id == "sam"
    with pytest.raises(AccountError, match="no account with that username"):
        reset_password(accounts, "ghost", "fresh start phrase", actor=ADMIN, config=FAST)


def test_list_users_never_shows_hashes(accounts: Store) -> None:
    users = list_users(accounts, actor=ADMIN)
    assert list(users.columns) == [
        "username",
        "role",
        "active",
        "locked_until",
        "failed_attempts",
        "team",
    ]
    assert list(users["username"]) == ["lee", "sam"]
    assert list(users["role"]) == ["lead", "staff"]


# ------------------------------------------------------------------ session codes
@pytest.fixture
def session_a(store: Store) -> str:
    """An open mapping session."""
    return start_session(
        store, principal=FACILITATOR, date="2025-03-01", area="Oakham", group_label="Tuesday group"
    )


def test_a_participant_joins_their_session_with_a_code(store: Store, session_a: str) -> None:
    code = issue_session_code(store, session_a, actor=FACILITATOR, now=T0)
    assert len(code) == 6
    assert set(code) <= set(CODE_ALPHABET)
    assert not set("0O1IL5S2Z8B") & set(CODE_ALPHABET)
    typed = f" {code[:3].lower()}-{code[3:]} "
    guest = join_session(store, typed, now=T0 + dt.timedelta(hours=1))
    assert guest.role is Role.PARTICIPANT
    assert guest.session_id == session_a
    assert guest.label.startswith("Participant ")
    assert allowed(guest, Operation.PROPOSE_ASSET, session_id=session_a)
    assert not allowed(guest, Operation.PROPOSE_ASSET, session_id="session-B")
    other = join_session(store, code, now=T0)
    assert other.user_id != guest.user_id  # each join is a separate, anonymous participant


def test_a_session_code_reaches_no_plan(store: Store, session_a: str) -> None:
    code = issue_session_code(store, session_a, actor=FACILITATOR, now=T0)
    guest = join_session(store, code, now=T0)
    plan_ops = [
        Operation.CREATE_PLAN,
        Operation.VIEW_PLAN,
        Operation.EDIT_PLAN,
        Operation.LOG_REFERRAL,
        Operation.EXPORT_PLAN,
        Operation.ERASE_PLAN,
        Operation.PURGE_PLANS,
    ]
    for op in plan_ops:
        for owner in (guest.user_id, "sam", None):
            assert not allowed(guest, op, owner_id=owner, session_id=session_a)


def test_the_code_itself_is_never_stored(store: Store, session_a: str) -> None:
    code = issue_session_code(store, session_a, actor=FACILITATOR, now=T0)
    assert code not in _raw_dump(store)


def test_expired_revoked_and_unknown_codes_are_refused(store: Store, session_a: str) -> None:
    code = issue_session_code(store, session_a, actor=FACILITATOR, ttl_hours=8, now=T0)
    refused = "That session code does not work"
    with pytest.raises(AuthError, match=refused):
        join_session(store, code, now=T0 + dt.timedelta(hours=8))
    with pytest.raises(AuthError, match=refused):
        join_session(store, "ACDEFG" if code != "ACDEFG" else "GFEDCA", now=T0)
    with pytest.raises(AuthError, match=refused):
        join_session(store, "<script>", now=T0)
    assert revoke_session_codes(store, session_a, actor=FACILITATOR) == 1
    with pytest.raises(AuthError, match=refused):
        join_session(store, code, now=T0)


def test_wrong_codes_are_limited_per_server_not_per_browser(store: Store, session_a: str) -> None:
    code = issue_session_code(store, session_a, actor=FACILITATOR, now=T0)
    config = AuthConfig(join_max_failures=3, join_window_seconds=60)
    for tab in (
        "tablet-1",
        "tablet-1 new tab",
        "phone-2",
    ):  # a new tab or device starts nothing afresh
        with pytest.raises(AuthError, match="does not work"):
            join_session(store, "XXXXXX", client=tab, config=config, now=T0)
    for tab in ("tablet-1", "another new tab"):
        with pytest.raises(AuthError, match="Too many wrong codes"):
            join_session(store, code, client=tab, config=config, now=T0)
    # another app server on the same database shares the count
    other = Store(store.url)
    try:
        with pytest.raises(AuthError, match="Too many wrong codes"):
            join_session(other, code, config=config, now=T0 + dt.timedelta(seconds=30))
    finally:
        other.close()
    later = T0 + dt.timedelta(seconds=61)
    assert join_session(store, code, client="tablet-1", config=config, now=later).session_id


def test_right_codes_do_not_use_up_the_servers_wrong_tries(store: Store, session_a: str) -> None:
    code = issue_session_code(store, session_a, actor=FACILITATOR, now=T0)
    config = AuthConfig(join_max_failures=3, join_window_seconds=60)
    for _ in range(10):  # a whole room joining
        assert join_session(store, code, config=config, now=T0).session_id == session_a


def test_a_new_join_code_replaces_the_old_one(store: Store, session_a: str) -> None:
    first = issue_session_code(store, session_a, actor=FACILITATOR, now=T0)
    second = issue_session_code(store, session_a, actor=FACILITATOR, now=T0)
    assert join_session(store, second, now=T0).session_id == session_a
    with pytest.raises(AuthError, match="does not work"):
        join_session(store, first, now=T0)


def test_codes_are_issued_only_for_open_sessions(store: Store, session_a: str) -> None:
    with pytest.raises(NotFoundError, match="No mapping session"):
        issue_session_code(store, "no-such-session", actor=FACILITATOR, now=T0)
    code = issue_session_code(store, session_a, actor=FACILITATOR, now=T0)
    close_session(store, session_a, principal=FACILITATOR)
    with pytest.raises(ConflictError, match="has been closed"):
        issue_session_code(store, session_a, actor=FACILITATOR, now=T0)
    with pytest.raises(AuthError, match="does not work"):
        join_session(store, code, now=T0)
    assert store.records("session_code", status="active").empty


def test_only_facilitators_issue_codes(store: Store, session_a: str) -> None:
    with pytest.raises(AccessDeniedError, match=r"start_session"):
        issue_session_code(store, session_a, actor=Principal("sam", Role.STAFF))
    guest = Principal("p-1", Role.PARTICIPANT, session_id=session_a)
    with pytest.raises(AccessDeniedError):
        issue_session_code(store, session_a, actor=guest)


# ------------------------------------------------------------------ single sign-on
ENTRA_CLAIMS = {
    "is_logged_in": True,
    "iss": "https://login.microsoftonline.com/tenant/v2.0",
    "sub": "AAAAAAAAAAAAAAAAAAAAAHk9",
    "email": "Ana.Smith@probation.example",
    "email_verified": True,
    "name": "Ana Smith",
    "roles": ["AssetMap.Staff", "Other.App"],
}
ENTRA_MAP = {"AssetMap.Staff": "staff", "AssetMap.Lead": "lead", "AssetMap.Admin": "admin"}


def test_sso_claims_become_a_principal() -> None:
    who = principal_from_oidc(ENTRA_CLAIMS, role_map=ENTRA_MAP)
    assert who == Principal("ana.smith@probation.example", Role.STAFF, label="Ana Smith")
    by_sub = principal_from_oidc(ENTRA_CLAIMS, role_map=ENTRA_MAP, id_claim="sub")
    assert by_sub.user_id == "AAAAAAAAAAAAAAAAAAAAAHk9"


def test_sso_role_claim_may_be_a_single_string() -> None:
    claims = {"sub": "u1", "email": "f@x.example", "email_verified": True, "groups": "Fac"}
    role_map = {"Fac": "facilitator"}
    assert principal_from_oidc(claims, role_claim="groups", role_map=role_map).role is (
        Role.FACILITATOR
    )


def test_sso_precedence_picks_one_role() -> None:
    claims = ENTRA_CLAIMS | {"roles": ["AssetMap.Staff", "AssetMap.Admin"]}
    assert principal_from_oidc(claims, role_map=ENTRA_MAP).role is Role.ADMIN
    staff_first = (Role.STAFF, Role.ADMIN)
    assert (
        principal_from_oidc(claims, role_map=ENTRA_MAP, precedence=staff_first).role is Role.STAFF
    )


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        (ENTRA_CLAIMS | {"roles": ["Other.App"]}, "no assetmap role in its `roles` claim"),
        ({k: v for k, v in ENTRA_CLAIMS.items() if k != "roles"}, "no assetmap role"),
        (ENTRA_CLAIMS | {"roles": ["participant"]}, "no assetmap role"),
        (ENTRA_CLAIMS | {"is_logged_in": False}, "Not signed in"),
        (ENTRA_CLAIMS | {"email_verified": False}, "not verified"),
        ({"sub": "u1", "roles": ["AssetMap.Staff"]}, "no `email` claim"),
    ],
)
def test_sso_without_a_usable_role_or_identity_is_refused(
    claims: dict[str, object], message: str
) -> None:
    role_map = ENTRA_MAP | {"participant": "participant"}
    with pytest.raises(AccessDeniedError, match=message):
        principal_from_oidc(claims, role_map=role_map)


def test_auth_config_checks_itself() -> None:
    with pytest.raises(ValueError, match="`max_failures` must be at least 1"):
        AuthConfig(max_failures=0)
    with pytest.raises(ValueError, match="`code_length` must be at least 5"):
        AuthConfig(code_length=4)


def test_the_command_line_manages_accounts(
    workspace_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from assetmap.cli import main
    from assetmap.workspace import create_workspace

    ws = create_workspace(workspace_path)
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough passphrase\n"))
    args = ["--actor", "it-desk", "user", "add", str(ws.path), "Ana", "--role", "staff"]
    assert main([*args, "--team", "tess", "--password-stdin"]) == 0
    assert capsys.readouterr().out == "Created staff account ana\n"
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["user", "add", str(ws.path), "bob", "--role", "lead", "--password-stdin"]) == 1
    assert "too short" in capsys.readouterr().err
    assert main(["user", "disable", str(ws.path), "ANA"]) == 0
    assert main(["user", "list", str(ws.path)]) == 0
    assert capsys.readouterr().out == "Disabled account ana\nana  staff  disabled\n"
    history = ws.store().history("user", ws.store().records("user").iloc[0]["id"])
    assert list(history["actor"]) == ["it-desk", os.environ.get("USER") or "cli"]
    with pytest.raises(AuthError):
        authenticate(ws.store(), "ana", "a long enough passphrase")
