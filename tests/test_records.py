"""Gap and session records: checked fields, coarse places, no names."""

from __future__ import annotations

import pytest

from assetmap.errors import SchemaError
from assetmap.records import GAP_ENTITY, SESSION_ENTITY, normalise_gap, normalise_session
from assetmap.store import Store


def test_gap_point_is_rounded_to_about_a_hundred_metres() -> None:
    gap = normalise_gap({"need": "drugs_alcohol", "lon": -0.654321, "lat": 52.589999})
    assert (gap["lon"], gap["lat"]) == (-0.654, 52.59)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"need": "housing", "area": "LE15 6"}, "need"),
        ({"need": "accommodation", "category": "castle", "area": "LE15 6"}, "category"),
        ({"need": "accommodation", "lon": -0.7}, "lat"),
        ({"need": "accommodation"}, "area"),
        ({"need": "accommodation", "area": "LE15 6", "name": "Ann"}, "'name'"),
        ({"need": "accommodation", "area": "x", "note": "n" * 2001}, "note"),
        ({"need": "accommodation", "lon": 200, "lat": 52}, "lon"),
    ],
)
def test_bad_gap_names_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(SchemaError, match=field):
        normalise_gap(data, where="row 3")


def test_session_has_a_head_count_and_refuses_a_names_field() -> None:
    ok = normalise_session(
        {"date": "2026-11-03", "area": "Oakham", "group_label": "Tue", "facilitator": "f1"}
    )
    assert ok["participants"] == 0
    with pytest.raises(SchemaError, match="participant_names"):
        normalise_session({**ok, "participant_names": ["A", "B"]})
    with pytest.raises(SchemaError, match="date"):
        normalise_session({**ok, "date": "03/11/2026"})
    with pytest.raises(SchemaError, match="participants"):
        normalise_session({**ok, "participants": 2.5})


def test_gap_and_session_records_round_trip_through_the_store(store: Store) -> None:
    session = normalise_session(
        {"date": "2026-11-03", "area": "Oakham", "group_label": "Tue", "facilitator": "f1"}
    )
    sid = store.add_record(SESSION_ENTITY, session, actor="f1", reason="start")
    gid = store.add_record(
        GAP_ENTITY,
        normalise_gap({"need": "accommodation", "area": "LE15 6", "session_id": sid}),
        actor="f1",
        reason="gap",
    )
    assert store.get_record(GAP_ENTITY, gid)["session_id"] == sid
    assert store.get_record(SESSION_ENTITY, sid)["group_label"] == "Tue"
