"""Sign-in that fails closed and holds: unreadable accounts, re-checks, idle, tokens, OIDC rules.

Run on SQLite and (with ``ASSETMAP_TEST_DATABASE_URL``) PostGIS.
"""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from assetmap.access import Principal, Role
from assetmap.errors import AccessDeniedError, AccountError, AuthError, WorkspaceError
from assetmap.people import sessions as ms
from assetmap.people.accounts import (
    AuthConfig,
    create_user,
    disable_user,
    has_accounts,
    idle_timeout_minutes,
    issue_session_code,
    principal_from_oidc,
    refresh_principal,
    revoke_session_codes,
)
from assetmap.people.signin_tokens import (
    SignedIn,
    issue_token,
    principal_from_token,
    read_token,
    signing_key,
)
from assetmap.store import Store

FAST = AuthConfig(time_cost=1, memory_cost_kib=8, parallelism=1)
ADMIN = Principal("root-admin", Role.ADMIN)
FACILITATOR = Principal("fran", Role.FACILITATOR)
T0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
KEY = b"k" * 32


@pytest.fixture
def accounts(store: Store) -> Store:
    create_user(store, "sam", "kettle orchard lantern", "staff", actor=ADMIN, config=FAST)
    return store


def _session(store: Store) -> str:
    return ms.start_session(
        store, principal=FACILITATOR, date="2025-03-01", area="Oakham", group_label="Tuesday"
    )


# ------------------------------------------------------------------ fail closed
def test_a_register_whose_accounts_table_is_gone_fails_closed(accounts: Store) -> None:
    with accounts.engine.begin() as conn:
        conn.execute(
            text("DROP TABLE records" + (" CASCADE" if accounts.backend != "sqlite" else ""))
        )
    with pytest.raises(WorkspaceError, match="accounts cannot be read"):
        has_accounts(accounts)


def test_has_accounts_tells_an_empty_register_from_one_with_accounts(store: Store) -> None:
    assert has_accounts(store) is False
    create_user(store, "sam", "kettle orchard lantern", "staff", actor=ADMIN, config=FAST)
    assert has_accounts(store) is True


# ------------------------------------------------------------------ re-check on every page
def test_a_disabled_account_is_signed_out_and_a_new_role_applies_at_once(accounts: Store) -> None:
    signed_in = Principal("sam", Role.STAFF)
    assert refresh_principal(accounts, signed_in, accounts_exist=True) == signed_in
    record = accounts.records("user").iloc[0]
    accounts.edit_record(
        "user", record["id"], {"role": "lead"}, expected_version=int(record["version"]),
        actor="root-admin", reason="promoted",
    )  # fmt: skip
    assert refresh_principal(accounts, signed_in, accounts_exist=True) == Principal(
        "sam", Role.LEAD
    )
    disable_user(accounts, "sam", actor=ADMIN)
    assert refresh_principal(accounts, signed_in, accounts_exist=True) is None


def test_a_principal_without_an_account_stays_only_in_local_mode(store: Store) -> None:
    here = Principal("local-facilitator", Role.FACILITATOR)
    assert refresh_principal(store, here, accounts_exist=False) == here
    assert refresh_principal(store, here, accounts_exist=True) is None


def test_a_participant_stays_while_their_session_exists(store: Store) -> None:
    sid = _session(store)
    guest = Principal("participant-ab12", Role.PARTICIPANT, session_id=sid)
    assert refresh_principal(store, guest, accounts_exist=True) == guest
    ghost = Principal("participant-ab12", Role.PARTICIPANT, session_id="no-such-session")
    assert refresh_principal(store, ghost, accounts_exist=True) is None


def test_the_idle_timeout_is_a_checked_setting() -> None:
    assert idle_timeout_minutes({}) == 30.0
    assert idle_timeout_minutes({"idle_timeout_minutes": 5}) == 5.0
    for bad in (0, -1, "30", True, 100_000):
        with pytest.raises(AccountError, match="idle_timeout_minutes"):
            idle_timeout_minutes({"idle_timeout_minutes": bad})


# ------------------------------------------------------------------ signed tokens
def test_the_signing_key_is_made_once_and_readable_by_its_owner_only(tmp_path: Path) -> None:
    key = signing_key(tmp_path)
    assert len(key) == 32
    assert stat.S_IMODE((tmp_path / "signing.key").stat().st_mode) == 0o600
    assert signing_key(tmp_path) == key


def test_a_changed_or_foreign_token_is_refused() -> None:
    guest = Principal("participant-ab12", Role.PARTICIPANT, session_id="s-1")
    token = issue_token(SignedIn(guest, T0, T0), key=KEY)
    body, mac = token.split(".")
    as_admin = issue_token(SignedIn(Principal("participant-ab12", Role.ADMIN), T0, T0), key=KEY)
    for forged in (
        as_admin.split(".")[0] + "." + mac,  # another body under this signature
        issue_token(SignedIn(guest, T0, T0), key=b"x" * 32),  # another workspace's key
        body,
        "",
        token + "x",
    ):
        with pytest.raises(AuthError, match="not valid"):
            read_token(forged, key=KEY)


def test_a_participant_token_gives_back_the_same_participant_while_the_session_is_open(
    store: Store,
) -> None:
    sid = _session(store)
    guest = Principal("participant-ab12", Role.PARTICIPANT, session_id=sid)
    token = issue_token(SignedIn(guest, T0, T0), key=KEY)
    later = T0 + dt.timedelta(hours=3)  # participants have no idle time-out
    back = principal_from_token(
        store, token, key=KEY, idle_minutes=30, accounts_exist=True, now=later
    )
    assert back is not None
    assert back.principal == guest
    too_late = T0 + dt.timedelta(hours=25)
    assert (
        principal_from_token(
            store, token, key=KEY, idle_minutes=30, accounts_exist=True, now=too_late
        )
        is None
    )
    ms.close_session(store, sid, principal=FACILITATOR)
    assert (
        principal_from_token(store, token, key=KEY, idle_minutes=30, accounts_exist=True, now=later)
        is None
    )


def test_a_staff_token_obeys_the_idle_timeout_and_the_account(accounts: Store) -> None:
    token = issue_token(SignedIn(Principal("sam", Role.STAFF), T0, T0), key=KEY)

    def back(minutes_later: float) -> SignedIn | None:
        now = T0 + dt.timedelta(minutes=minutes_later)
        return principal_from_token(
            accounts, token, key=KEY, idle_minutes=30, accounts_exist=True, now=now
        )

    restored = back(29)
    assert restored is not None
    assert restored.principal == Principal("sam", Role.STAFF)
    assert back(31) is None  # idle too long
    disable_user(accounts, "sam", actor=ADMIN)
    assert back(1) is None


def test_a_facilitator_token_brings_back_the_session_and_a_live_code(store: Store) -> None:
    sid = _session(store)
    code = issue_session_code(store, sid, actor=FACILITATOR)
    signed = SignedIn(FACILITATOR, T0, T0, {"session": sid, "code": code})
    token = issue_token(signed, key=KEY)
    now = T0 + dt.timedelta(minutes=5)

    def back() -> SignedIn | None:
        return principal_from_token(
            store, token, key=KEY, idle_minutes=30, accounts_exist=False, now=now
        )

    restored = back()
    assert restored is not None
    assert dict(restored.extra) == {"session": sid, "code": code}
    revoke_session_codes(store, sid, actor=FACILITATOR)
    restored = back()
    assert restored is not None
    assert dict(restored.extra) == {"session": sid}  # the code no longer works: not shown
    ms.close_session(store, sid, principal=FACILITATOR)
    restored = back()
    assert restored is not None
    assert dict(restored.extra) == {}


# ------------------------------------------------------------------ single sign-on rules
CLAIMS = {
    "is_logged_in": True,
    "sub": "AAAAHk9",
    "email": "ana@probation.example",
    "email_verified": True,
    "name": "Ana",
    "groups": ["AssetMap.Staff"],
    "exp": int((T0 + dt.timedelta(hours=1)).timestamp()),
}
ROLE_MAP = {"AssetMap.Staff": "staff"}


def test_an_expired_id_token_is_refused() -> None:
    ok = principal_from_oidc(CLAIMS, role_claim="groups", role_map=ROLE_MAP, now=T0)
    assert ok.role is Role.STAFF
    later = T0 + dt.timedelta(hours=2)
    with pytest.raises(AccessDeniedError, match="expired"):
        principal_from_oidc(CLAIMS, role_claim="groups", role_map=ROLE_MAP, now=later)


def test_the_email_is_used_only_when_the_provider_says_it_is_verified() -> None:
    unverified = {k: v for k, v in CLAIMS.items() if k != "email_verified"}
    with pytest.raises(AccessDeniedError, match="not verified"):
        principal_from_oidc(unverified, role_claim="groups", role_map=ROLE_MAP, now=T0)
    by_sub = principal_from_oidc(
        unverified, role_claim="groups", role_map=ROLE_MAP, id_claim="sub", now=T0
    )
    assert by_sub.user_id == "AAAAHk9"


def test_a_group_named_admin_gives_no_role_without_a_role_map() -> None:
    claims = CLAIMS | {"groups": ["admin"]}  # anyone may be able to create a group called this
    with pytest.raises(AccessDeniedError, match="no role map"):
        principal_from_oidc(claims, role_claim="groups", now=T0)
    with pytest.raises(AccessDeniedError, match="no assetmap role"):
        principal_from_oidc(claims, role_claim="groups", role_map=ROLE_MAP, now=T0)
