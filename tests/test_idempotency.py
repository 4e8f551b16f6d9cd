"""One record per form submission: a double click creates one plan, gap or proposal.

Run on SQLite and (with ``ASSETMAP_TEST_DATABASE_URL``) PostGIS. The repeats
also race each other in threads: the database's primary key decides.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from assetmap.access import Principal, Role
from assetmap.match.needs import Constraints, Goal
from assetmap.people import sessions as ms
from assetmap.people.plans import (
    PLAN_ENTITY,
    REFERRAL_ENTITY,
    StartPoint,
    create_plan,
    log_referral,
)
from assetmap.reach_service import record_gap
from assetmap.records import GAP_ENTITY
from assetmap.store import Store

SAM = Principal("sam", Role.STAFF)
FACILITATOR = Principal("fran", Role.FACILITATOR)
START = StartPoint(-0.727, 52.670, "postcode", "LE15 6AB", "LE15 6", -0.727, 52.670)


def _plan(store: Store, key: str | None) -> dict[str, object]:
    return create_plan(
        store, start=START, goals=[Goal(need="accommodation")], constraints=Constraints(),
        principal=SAM, request_key=key,
    )  # fmt: skip


def test_two_clicks_on_add_make_one_plan(store: Store) -> None:
    first = _plan(store, "search-1")
    second = _plan(store, "search-1")
    assert second["id"] == first["id"]
    assert second["reference"] == first["reference"]
    assert len(store.records(PLAN_ENTITY)) == 1
    _plan(store, "search-2")  # a new search may make a new plan
    assert len(store.records(PLAN_ENTITY)) == 2


def test_simultaneous_repeats_still_make_one_plan(store: Store) -> None:
    with ThreadPoolExecutor(4) as pool:
        ids = {p["id"] for p in pool.map(lambda _: _plan(store, "same-search"), range(4))}
    assert len(ids) == 1
    assert len(store.records(PLAN_ENTITY)) == 1


def test_another_person_with_the_same_key_gets_their_own_record(store: Store) -> None:
    ana = Principal("ana", Role.STAFF)
    first = record_gap(store, need="accommodation", area="LE15 6", principal=SAM, request_key="k")
    other = record_gap(store, need="accommodation", area="LE15 6", principal=ana, request_key="k")
    assert first != other
    again = record_gap(store, need="accommodation", area="LE15 6", principal=SAM, request_key="k")
    assert again == first
    assert len(store.records(GAP_ENTITY)) == 2


def test_logging_the_same_referral_step_twice_is_one_step(store: Store) -> None:
    plan = _plan(store, None)
    asset_id = store.add_asset(
        {"name": "Oakham Library", "lon": -0.727, "lat": 52.670, "categories": ["library"]},
        actor="test", reason="fixture",
    )  # fmt: skip
    for _ in range(2):
        logged = log_referral(store, str(plan["id"]), asset_id, "suggested", principal=SAM)
    assert logged["version"] == 1
    assert len(store.history(REFERRAL_ENTITY, str(logged["id"]))) == 1


@pytest.fixture
def session_id(store: Store) -> str:
    return ms.start_session(
        store, principal=FACILITATOR, date="2025-03-04", area="Oakham", group_label="Tuesday"
    )


def test_a_double_tapped_proposal_gap_idea_and_comment_are_each_one_record(
    store: Store, session_id: str
) -> None:
    guest = Principal("participant-ab12", Role.PARTICIPANT, session_id=session_id)
    place = {"name": "Garden cafe", "lon": -0.72, "lat": 52.67}
    proposed = {ms.propose_asset(store, session_id, place, principal=guest, request_key="p")
                for _ in range(2)}  # fmt: skip
    gap = {"need": "accommodation", "area": "Oakham"}
    gaps = {ms.add_gap(store, session_id, gap, principal=guest, request_key="g") for _ in range(2)}
    (gap_id,) = gaps
    ideas = {
        ms.add_idea(store, session_id, gap_id, principal=guest, what="Soup club", request_key="i")
        for _ in range(2)
    }
    (asset_id,) = proposed
    comments = {
        ms.add_comment(store, session_id, asset_id, principal=guest, welcoming=4, request_key="c")
        for _ in range(2)
    }
    assert (len(proposed), len(gaps), len(ideas), len(comments)) == (1, 1, 1, 1)
    added = ms.session_contributions(store, session_id, principal=FACILITATOR)
    assert sorted(added["type"]) == ["asset", "comment", "gap", "idea"]  # one of each


def test_without_a_key_each_call_is_a_new_record(store: Store, session_id: str) -> None:
    guest = Principal("participant-ab12", Role.PARTICIPANT, session_id=session_id)
    gap = {"need": "accommodation", "area": "Oakham"}
    for _ in range(2):
        ms.add_gap(store, session_id, gap, principal=guest)
    assert len(store.records(GAP_ENTITY)) == 2
