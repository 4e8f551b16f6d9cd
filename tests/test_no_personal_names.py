"""No field anywhere in the schema can hold a person's name.

Scans what the register can store — every database table's columns, the asset
columns, the fields of plans, referrals, gaps and sessions, a goal and its
constraints — and the records actually written when a worker makes a plan,
logs referral steps and records a gap. The only ``name`` is a service's name
(the ``assets`` table). Plans are known by a pseudonymous reference.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from assetmap import records as gap_records
from assetmap.access import Principal, Role
from assetmap.errors import SchemaError
from assetmap.match.needs import Constraints, Goal
from assetmap.people.plans import (
    PLAN_ENTITY,
    PLAN_FIELDS,
    REFERRAL_ENTITY,
    REFERRAL_FIELDS,
    StartPoint,
    create_plan,
    log_referral,
    normalise_plan,
    normalise_referral,
)
from assetmap.reach_service import record_gap
from assetmap.schema import ASSET_COLUMNS
from assetmap.store import Store
from assetmap.store.tables import metadata

#: Field names that would hold a person's name or other identity.
PERSONAL = re.compile(
    r"(?:^|_)(?:first|last|given|family|full|fore|sur|middle|maiden|nick|person|client"
    r"|offender|service_user|pop|display|real|legal)_?names?$"
    r"|^(?:names?|forenames?|surnames?|nicknames?|alias(?:es)?|date_of_birth|dob|nomis"
    r"|crn|pnc|ni_number|nino)$",
    re.IGNORECASE,
)
ANA = Principal("ana", Role.STAFF)
OAKHAM = StartPoint(-0.7277, 52.6705, "postcode", "LE15 6AA", "LE15 6", -0.724, 52.669)


def _keys(value: Any) -> Iterator[str]:
    """Every mapping key inside a JSON-like value, at any depth."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield str(key)
            yield from _keys(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _keys(inner)


def test_the_pattern_catches_name_fields_and_spares_the_others():
    caught = ["name", "first_name", "Surname", "full_name", "client_name", "forename",
              "personName", "dob", "date_of_birth", "alias", "crn"]  # fmt: skip
    spared = ["reference", "home_area", "owner", "goals", "organisation", "username_hash",
              "step", "reason", "source_id", "group_label"]  # fmt: skip
    assert [f for f in caught if PERSONAL.search(f)] == caught
    assert [f for f in spared if PERSONAL.search(f)] == []


def test_only_the_assets_table_has_a_name_column_and_it_names_a_service():
    found = [
        (table.name, column.name)
        for table in metadata.sorted_tables
        for column in table.columns
        if PERSONAL.search(column.name)
    ]
    assert found == [("assets", "name")]
    assert len(metadata.sorted_tables) >= 6  # every table was looked at
    assert [c for c in ASSET_COLUMNS if PERSONAL.search(c)] == ["name"]


@pytest.mark.parametrize(
    ("what", "fields"),
    [
        ("plan", PLAN_FIELDS),
        ("referral", REFERRAL_FIELDS),
        ("gap", gap_records._GAP_FIELDS),
        ("session", gap_records._SESSION_FIELDS),
        ("goal", frozenset(f.name for f in dataclasses.fields(Goal))),
        ("constraints", frozenset(f.name for f in dataclasses.fields(Constraints))),
    ],
)
def test_no_people_record_has_a_name_field(what, fields):
    assert fields, what
    assert sorted(f for f in fields if PERSONAL.search(f)) == [], what


@pytest.mark.parametrize("field", ["name", "first_name", "surname", "full_name", "client_name"])
def test_a_name_given_to_a_plan_referral_or_gap_is_refused(field):
    plan = {"reference": "P-7K3Q", "owner": "ana", "home_area": "LE15 6", "home_lon": -0.724,
            "home_lat": 52.669, "goals": [{"text": "a job", "need": "ete", "good": None}],
            "constraints": Constraints().to_record(), "status": "open",
            "closed_on": None}  # fmt: skip
    normalise_plan(plan)  # the plan itself is fine
    with pytest.raises(SchemaError, match=f"unknown field\\(s\\) '{field}'"):
        normalise_plan(plan | {field: "Jane Doe"})
    referral = {"plan_id": "p1", "asset_id": "a1", "step": "suggested", "on": "2026-11-24",
                "by": "ana"}  # fmt: skip
    normalise_referral(referral)
    with pytest.raises(SchemaError, match=field):
        normalise_referral(referral | {field: "Jane Doe"})
    gap = {"need": "ete", "area": "LE15 6", "status": "open"}
    gap_records.normalise_gap(gap)
    with pytest.raises(SchemaError, match=field):
        gap_records.normalise_gap(gap | {field: "Jane Doe"})


def test_what_a_worker_stores_about_a_person_holds_no_name(store: Store):
    library = store.add_asset(
        {"name": "Rutland County Library", "lon": -0.7263, "lat": 52.6711,
         "categories": ["library"]},
        actor="test", reason="story",
    )  # fmt: skip
    library_id = library if isinstance(library, str) else library["id"]
    plan = create_plan(
        store, start=OAKHAM, principal=ANA,
        goals=[Goal(text="get back into work", need="ete"), Goal(good="community")],
        constraints=Constraints(women_only_wanted=True, age=41, max_minutes=20),
    )  # fmt: skip
    for step, day in (("suggested", 2), ("contacted", 9), ("attended", 23)):
        log_referral(store, plan["id"], library_id, step, principal=ANA, on=dt.date(2026, 11, day))
    record_gap(store, need="accommodation", area="LE15 6", principal=ANA, note="none in reach")

    written: dict[str, list[Any]] = {}
    seen: set[str] = set()
    for entity in (PLAN_ENTITY, REFERRAL_ENTITY, "gap"):
        current = store.records(entity)
        assert len(current) == 1, entity
        versions = [
            data
            for record_id in current["id"]
            for data in store.history(entity, record_id)["data"].tolist()
        ]
        written[entity] = versions
        keys = set(_keys(versions)) | set(current.columns)
        seen |= keys
        assert sorted(k for k in keys if PERSONAL.search(k)) == [], entity
    assert {"reference", "goals", "women_only_wanted", "step", "by", "need", "area"} <= seen
    assert len(written[REFERRAL_ENTITY]) == 3  # every step is a version
    # The precise start point never reaches the store; its sector does.
    stored = json.dumps(written, default=str)
    assert "LE15 6AA" not in stored
    assert "-0.7277" not in stored
    assert '"LE15 6"' in stored
