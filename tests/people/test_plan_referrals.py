"""A plan and its suggested services are written in one transaction (all or nothing)."""

import pytest

from assetmap.access import Principal, Role
from assetmap.errors import NotFoundError
from assetmap.match.needs import Constraints, Goal
from assetmap.people.plans import (
    PLAN_ENTITY,
    REFERRAL_ENTITY,
    StartPoint,
    create_plan,
    referral_log,
)

ANA = Principal("ana", Role.STAFF)
GOALS = [Goal(text="a place of my own", need="accommodation")]
CONSTRAINTS = Constraints(max_minutes=15)


OAKHAM_START = StartPoint(-0.7297, 52.6707, "postcode", "LE15 6AA", "LE15 6", -0.73, 52.671)


def _two_services(store):
    return [
        store.add_asset({"name": n, "lon": -0.73, "lat": 52.67}, actor="t", reason="fixture")
        for n in ("Oakham Food Bank", "Oakham Library")
    ]


def test_a_plan_and_its_suggested_services_are_written_together(store):
    services = _two_services(store)
    plan = create_plan(
        store, start=OAKHAM_START, goals=GOALS, constraints=CONSTRAINTS, principal=ANA,
        suggested=services, request_key="search-1",
    )  # fmt: skip
    log = referral_log(store, plan["id"], principal=ANA)
    assert sorted(log["asset_id"]) == sorted(services)
    assert set(log["step"]) == {"suggested"}
    again = create_plan(
        store,
        start=OAKHAM_START,
        goals=GOALS,
        constraints=CONSTRAINTS,
        principal=ANA,
        suggested=services,
        request_key="search-1",
    )  # fmt: skip  (the same form sent twice)
    assert again["id"] == plan["id"]
    assert len(store.records(PLAN_ENTITY)) == 1
    assert len(store.records(REFERRAL_ENTITY)) == 2


def test_nothing_is_written_when_one_referral_fails(store, monkeypatch):
    services = _two_services(store)
    with pytest.raises(NotFoundError):
        create_plan(
            store, start=OAKHAM_START, goals=GOALS, constraints=CONSTRAINTS, principal=ANA,
            suggested=[services[0], "no-such-service"],
        )  # fmt: skip
    real_log = store._log
    calls = []

    def failing_log(conn, **kwargs):
        calls.append(kwargs["entity"])
        if len(calls) == 3:  # the plan and one referral are in, the second referral fails
            raise RuntimeError("disk full")
        return real_log(conn, **kwargs)

    monkeypatch.setattr(store, "_log", failing_log)
    with pytest.raises(RuntimeError, match="disk full"):
        create_plan(
            store, start=OAKHAM_START, goals=GOALS, constraints=CONSTRAINTS, principal=ANA,
            suggested=services,
        )  # fmt: skip
    monkeypatch.undo()
    assert calls == [PLAN_ENTITY, REFERRAL_ENTITY, REFERRAL_ENTITY]
    assert store.records(PLAN_ENTITY).empty
    assert store.records(REFERRAL_ENTITY).empty
