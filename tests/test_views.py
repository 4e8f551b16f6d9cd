"""Who sees which rows of the register (``assetmap.views``), on SQLite and PostGIS."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from assetmap.access import Principal, Role
from assetmap.errors import AccessDeniedError
from assetmap.people import sessions as ms
from assetmap.store import Store
from assetmap.views import browse_register, dashboard_snapshots, view_register

FRAN = Principal("fran", Role.FACILITATOR)


@dataclass
class Register:
    store: Store
    p_a: Principal  # a participant of session A
    p_b: Principal  # a participant of session B


@pytest.fixture
def register(store: Store) -> Register:
    """A verified library, an unverified hall, and one proposal from each of two sessions."""
    store.add_asset({"name": "Oakham Library", "lon": -0.727, "lat": 52.670,
                     "status": "verified"}, actor="setup", reason="fixture")  # fmt: skip
    store.add_asset({"name": "Victoria Hall", "lon": -0.729, "lat": 52.671},
                    actor="setup", reason="fixture")  # fmt: skip
    people = []
    for name, area in (("A food bank", "Oakham"), ("B garden", "Uppingham")):
        sid = ms.start_session(store, principal=FRAN, date="2026-11-03", area=area,
                               group_label="group", participants=3)  # fmt: skip
        guest = Principal(f"participant-{area[:4].lower()}", Role.PARTICIPANT, session_id=sid)
        ms.propose_asset(store, sid, {"name": name, "lon": -0.72, "lat": 52.66}, principal=guest)
        people.append(guest)
    return Register(store, *people)


def _names(frame) -> set[str]:  # type: ignore[no-untyped-def]
    return set(frame["name"])


MODERATED = {"Oakham Library", "Victoria Hall"}


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.STAFF, Role.ADMIN])
def test_those_who_check_proposals_see_every_session_s(register, role):
    seen = _names(view_register(register.store, principal=Principal("x", role)))
    assert seen == MODERATED | {"A food bank", "B garden"}


def test_a_lead_sees_no_unmoderated_proposal(register):
    lee = Principal("lee", Role.LEAD)
    assert _names(view_register(register.store, principal=lee)) == MODERATED
    assert _names(browse_register(register.store, principal=lee)) == MODERATED


def test_a_participant_sees_only_their_own_session_s_proposals(register):
    assert _names(view_register(register.store, principal=register.p_a)) == MODERATED | {
        "A food bank"
    }
    assert _names(ms.visible_register(register.store, principal=register.p_b)) == MODERATED | {
        "B garden"
    }


def test_a_participant_may_not_browse_the_whole_register(register):
    with pytest.raises(AccessDeniedError, match="browse the whole register"):
        browse_register(register.store, principal=register.p_a)


def test_a_visitor_not_signed_in_sees_nothing_without_a_public_map(register):
    with pytest.raises(AccessDeniedError, match="Sign in to see the register"):
        browse_register(register.store, principal=None)


def test_a_public_map_shows_visitors_verified_assets_only(register):
    seen = browse_register(register.store, principal=None, public_map=True)
    assert _names(seen) == {"Oakham Library"}


def test_dashboard_history_is_the_lead_s_view_and_refused_to_others(register):
    lee = Principal("lee", Role.LEAD)
    snapshots = list(dashboard_snapshots(register.store, principal=lee))
    assert snapshots  # at least this month
    assert _names(snapshots[-1][1]) == MODERATED  # no proposals in the lead's figures
    for who in (register.p_a, FRAN, Principal("ada", Role.ADMIN)):
        with pytest.raises(AccessDeniedError, match="view the dashboard"):
            next(dashboard_snapshots(register.store, principal=who))
