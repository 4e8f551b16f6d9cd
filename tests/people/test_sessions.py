"""Mapping sessions: contributions, who sees what, moderation, summary and freshness."""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from assetmap import register
from assetmap.access import Principal, Role
from assetmap.errors import AccessDeniedError, AuthError, ConflictError, NotFoundError, SchemaError
from assetmap.output import session_summary as summary_out
from assetmap.people import sessions as ms
from assetmap.people.accounts import issue_session_code, join_session
from assetmap.reach.network import WalkConfig, WalkNetwork, build_walk_graph
from assetmap.reach_service import record_gap
from assetmap.records import GAP_ENTITY
from assetmap.store import Store

FRAN = Principal("fran", Role.FACILITATOR)
HOSTILE = "<img src=x onerror=alert(1)>"
OAKHAM = (-0.7271, 52.6703)


@dataclass
class Story:
    """Two sessions on one register, with everything counted by hand below."""

    store: Store
    a: str  # session A: the one the summary counts
    b: str  # session B: another group, elsewhere
    p1: Principal
    p2: Principal
    q1: Principal
    library: str
    hall: str
    food_bank: str
    libary: str
    bad: str
    garden: str
    other: str
    gap: str
    comment: str
    idea: str


@pytest.fixture
def story(store: Store) -> Story:
    """Register: a verified library and an unverified hall, plus a (private) plan.

    Session A: participant 1 proposes three assets (food bank, a misspelt copy of the
    library, a hostile name), names a gap and writes an idea from it; participant 2
    proposes a volunteering opportunity and rates the library; both vote for the idea.
    Session B: one participant proposes one asset.
    """
    library = store.add_asset(
        {"name": "Oakham Library", "lon": OAKHAM[0], "lat": OAKHAM[1], "categories": ["library"],
         "status": "verified", "postcode": "LE15 6AB"},
        actor="test", reason="fixture",
    )  # fmt: skip
    hall = store.add_asset(
        {"name": "Victoria Hall", "lon": -0.7290, "lat": 52.6712,
         "categories": ["community_centre"]},
        actor="test", reason="fixture",
    )  # fmt: skip
    store.add_record(
        "plan", {"owner": "sam", "person": "J. Smith", "status": "active"},
        actor="sam", reason="fixture",
    )  # fmt: skip
    a = ms.start_session(store, principal=FRAN, date="2026-11-03", area="Oakham",
                         group_label="Tuesday group", participants=2)  # fmt: skip
    b = ms.start_session(store, principal=FRAN, date="2026-11-04", area="Uppingham",
                         group_label="Wednesday group", participants=1)  # fmt: skip
    p1 = Principal("participant-aaaa", Role.PARTICIPANT, session_id=a)
    p2 = Principal("participant-bbbb", Role.PARTICIPANT, session_id=a)
    q1 = Principal("participant-cccc", Role.PARTICIPANT, session_id=b)
    food_bank = ms.propose_asset(
        store, a,
        {"name": "Oakham Food Bank", "lon": -0.7300, "lat": 52.6690,
         "categories": ["food_support"], "cost": "free", "referral_required": True,
         "welcoming": True, "women_only": False},
        principal=p1,
    )  # fmt: skip
    libary = ms.propose_asset(
        store, a, {"name": "Oakham Libary", "lon": -0.72715, "lat": 52.67035,
                   "opening_hours": "Mo-Sa 09:00-17:00"},
        principal=p1,
    )  # fmt: skip
    bad = ms.propose_asset(store, a, {"name": HOSTILE, "lon": -0.73, "lat": 52.66}, principal=p1)
    garden = ms.propose_volunteering(
        store, a, principal=p2, what="Community garden helpers", lon=-0.725, lat=52.668,
        when="Saturdays 10-12", dbs_check=False, open_to_convictions=True,
    )  # fmt: skip
    gap = ms.add_gap(
        store, a, {"need": "accommodation", "area": "LE15 6", "note": "Nowhere after 5pm"},
        principal=p1,
    )  # fmt: skip
    comment = ms.add_comment(
        store, a, library, principal=p2, welcoming=4, barriers=["cost"], note="Friendly staff"
    )
    idea = ms.add_idea(store, a, gap, principal=p1, what="Evening housing drop-in",
                       for_whom="People leaving prison", needs="A room and an adviser")  # fmt: skip
    ms.vote_idea(store, idea, principal=p1)
    ms.vote_idea(store, idea, principal=p2)
    other = ms.propose_asset(
        store, b, {"name": "Uppingham Youth Club", "lon": -0.7208, "lat": 52.5876}, principal=q1
    )
    return Story(store, a, b, p1, p2, q1, library, hall, food_bank, libary, bad, garden, other,
                 gap, comment, idea)  # fmt: skip


def _moderate(s: Story) -> None:
    ms.accept_proposal(s.store, s.food_bank, principal=FRAN, edits={"opening_hours": "Tu 10-12"})
    ms.merge_proposal(s.store, s.libary, s.library, principal=FRAN)
    ms.reject_proposal(s.store, s.bad, principal=FRAN, reason="Not a real place")


# ---------------------------------------------------------------- contributions
def test_contributions_are_proposed_and_tagged_with_the_session(story: Story) -> None:
    food = story.store.get_asset(story.food_bank)
    assert (food["status"], food["session_id"], food["source"]) == ("proposed", story.a, "session")
    assert (food["cost"], food["referral_required"], food["flags"]) == (
        "free",
        True,
        ("welcoming",),
    )
    garden = story.store.get_asset(story.garden)
    assert [garden[k] for k in ("kind", "dbs_check", "convictions", "opening_hours")] == [
        "volunteering", False, "welcome", "Saturdays 10-12",
    ]  # fmt: skip
    gap = story.store.get_record(GAP_ENTITY, story.gap)
    assert (gap["session_id"], gap["reported_by"], gap["need"]) == (
        story.a, "participant-aaaa", "accommodation",
    )  # fmt: skip
    assert story.store.asset_history(story.food_bank)["action"].tolist() == ["propose"]


def test_women_only_is_kept_as_gender() -> None:
    store = Store("sqlite://")
    sid = ms.start_session(store, principal=FRAN, date="2026-11-03", area="Oakham",
                           group_label="g", participants=1)  # fmt: skip
    aid = ms.propose_asset(
        store, sid, {"name": "Women's Circle", "lon": -0.72, "lat": 52.67, "women_only": True},
        principal=FRAN,
    )  # fmt: skip
    assert store.get_asset(aid)["gender"] == "women"


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"name": "X", "lon": -0.7, "lat": 52.6, "phone_owner": "Ann"}, "'phone_owner'"),
        ({"lon": -0.7, "lat": 52.6}, "name"),
        ({"name": "X"}, "no location"),
        ({"name": "X", "lon": -0.7, "lat": 52.6, "cost": "cheap"}, "cost"),
    ],
)
def test_bad_asset_proposal_names_the_field(story: Story, data: dict[str, object], match: str):
    before = len(story.store.assets(include_archived=True))
    with pytest.raises(SchemaError, match=match):
        ms.propose_asset(story.store, story.a, data, principal=story.p1)
    assert len(story.store.assets(include_archived=True)) == before


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"welcoming": 6}, "1 to 5"),
        ({"welcoming": True}, "1 to 5"),
        ({"barriers": ["smell"]}, "'smell'"),
        ({}, "rating, a barrier or a note"),
    ],
)
def test_bad_comment_is_refused(story: Story, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(SchemaError, match=match):
        ms.add_comment(story.store, story.a, story.library, principal=story.p1, **kwargs)  # type: ignore[arg-type]


def test_one_vote_per_person_per_idea(story: Story) -> None:
    with pytest.raises(ConflictError, match="voted for this idea already"):
        ms.vote_idea(story.store, story.idea, principal=story.p1)
    ideas = ms.ideas_with_votes(story.store, principal=story.p2)
    assert ideas[["what", "area", "votes"]].values.tolist() == [
        ["Evening housing drop-in", "LE15 6", 2]
    ]


def test_a_closed_session_takes_nothing_more_and_its_code_stops_working(story: Story) -> None:
    code = issue_session_code(story.store, story.b, actor=FRAN)
    assert join_session(story.store, code, client="t1").session_id == story.b
    assert ms.close_session(story.store, story.b, principal=FRAN)["status"] == "closed"
    with pytest.raises(ConflictError, match="closed"):
        ms.propose_asset(story.store, story.b, {"name": "Late", "lon": -0.7, "lat": 52.6},
                         principal=story.q1)  # fmt: skip
    with pytest.raises(AuthError):
        join_session(story.store, code, client="t2")


def test_after_a_session_ends_participants_read_their_summary_but_add_and_vote_nothing(
    story: Story,
) -> None:
    ms.close_session(story.store, story.a, principal=FRAN)
    late = Principal("participant-dddd", Role.PARTICIPANT, session_id=story.a)  # had not voted
    before = len(story.store.records("vote"))
    with pytest.raises(ConflictError, match="has been closed"):
        ms.vote_idea(story.store, story.idea, principal=late)
    with pytest.raises(ConflictError, match="has been closed"):
        record_gap(story.store, need="accommodation", area="LE15 6", principal=story.p1)
    with pytest.raises(ConflictError, match="has been closed"):
        ms.add_gap(story.store, story.a, {"need": "food", "area": "LE15 6"}, principal=story.p1)
    with pytest.raises(ConflictError, match="has been closed"):
        ms.add_idea(story.store, story.a, story.gap, principal=story.p2, what="A second idea")
    assert len(story.store.records("vote")) == before
    assert len(story.store.records(GAP_ENTITY)) == 1
    summary = ms.session_summary(story.store, story.a, principal=story.p1, graph=object(),
                                 accessible_range=_count_assets)  # fmt: skip
    assert dict(summary.figures())["Group"] == "Tuesday group"
    assert ms.ideas_with_votes(story.store, principal=story.p1)["votes"].tolist() == [2]
    # staff finding support outside any session still record gaps
    sam = Principal("sam", Role.STAFF)
    assert record_gap(story.store, need="accommodation", area="LE15 6", principal=sam)


def test_likely_duplicates_finds_the_register_entry_near_the_typed_name(story: Story) -> None:
    found = ms.likely_duplicates(story.store, "Oakham Libary", *OAKHAM, principal=story.q1)
    assert found["name"].tolist() == ["Oakham Library"]
    assert found["distance_m"].tolist() == [0]
    # Far away, or another kind of place: no warning.
    assert ms.likely_duplicates(story.store, "Oakham Library", -1.5, 53.8, principal=FRAN).empty
    car_park = ms.likely_duplicates(story.store, "Oakham Library Car Park", *OAKHAM,
                                    principal=FRAN)  # fmt: skip
    assert car_park.empty
    # Without a place, only near-identical names.
    assert ms.likely_duplicates(story.store, "oakham library", principal=story.q1)[
        "name"
    ].tolist() == ["Oakham Library"]


# ---------------------------------------------------------------- who sees what
def test_participant_sees_the_register_and_only_their_own_sessions_proposals(story: Story):
    mine = set(ms.visible_register(story.store, principal=story.p1)["name"])
    assert mine == {"Oakham Library", "Victoria Hall", "Oakham Food Bank", "Oakham Libary",
                    HOSTILE, "Community garden helpers"}  # fmt: skip
    theirs = set(ms.visible_register(story.store, principal=story.q1)["name"])
    assert theirs == {"Oakham Library", "Victoria Hall", "Uppingham Youth Club"}


def test_participant_cannot_read_other_sessions_plans_or_accounts(story: Story) -> None:
    for entity in ("plan", "user", "session_code", "referral"):
        with pytest.raises(AccessDeniedError, match="not '"):
            ms.session_records(story.store, entity, story.a, principal=story.p1)
    for call in (
        lambda: ms.session_records(story.store, GAP_ENTITY, story.b, principal=story.p1),
        lambda: ms.session_contributions(story.store, story.b, principal=story.p1),
        lambda: ms.get_session(story.store, story.b, principal=story.p1),
        lambda: ms.session_summary(story.store, story.b, principal=story.p1),
        lambda: ms.moderation_queue(story.store, story.a, principal=story.p1),
        lambda: ms.list_sessions(story.store, principal=story.p1),
        lambda: ms.vote_idea(story.store, story.idea, principal=story.q1),
        lambda: ms.accept_proposal(story.store, story.food_bank, principal=story.p1),
        lambda: ms.propose_asset(story.store, story.b, {"name": "X", "lon": 0, "lat": 51},
                                 principal=story.p1),
    ):  # fmt: skip
        with pytest.raises(AccessDeniedError):
            call()
    with pytest.raises(NotFoundError):  # another session's proposal is not there for them
        ms.add_comment(story.store, story.a, story.other, principal=story.p1, welcoming=3)
    with pytest.raises(NotFoundError):
        ms.add_idea(story.store, story.b, story.gap, principal=story.q1, what="Steal")


def test_contributions_view_names_no_one(story: Story) -> None:
    frame = ms.session_contributions(story.store, story.a, principal=story.p2)
    assert list(frame.columns) == list(ms.CONTRIBUTION_COLUMNS)
    text = frame.to_csv()
    assert "participant-aaaa" not in text
    assert "participant-bbbb" not in text
    assert "J. Smith" not in text
    assert sorted(frame["type"]) == [
        "asset", "asset", "asset", "comment", "gap", "idea", "volunteering",
    ]  # fmt: skip


# ---------------------------------------------------------------- moderation
def test_moderation_accepts_with_edits_merges_and_rejects(story: Story) -> None:
    queue = ms.moderation_queue(story.store, story.a, principal=FRAN)
    assert sorted(queue["name"]) == sorted(
        ["Oakham Food Bank", "Oakham Libary", HOSTILE, "Community garden helpers"]
    )
    _moderate(story)
    food = story.store.get_asset(story.food_bank)
    assert (food["status"], food["opening_hours"]) == ("verified", "Tu 10-12")
    assert food["last_verified"] == dt.datetime.now(dt.UTC).date()
    library = story.store.get_asset(story.library)
    assert library["opening_hours"] == "Mo-Sa 09:00-17:00"  # gained from the proposal
    merged = story.store.asset_history(story.libary).iloc[-1]
    assert (merged["action"], merged["data"]["merged_into"]) == ("merged", story.library)
    assert story.store.get_asset(story.libary)["status"] == "archived"
    assert ms.moderation_queue(story.store, story.a, principal=FRAN)["name"].tolist() == [
        "Community garden helpers"
    ]
    with pytest.raises(ConflictError, match="not waiting"):
        ms.accept_proposal(story.store, story.bad, principal=FRAN)


def test_rejected_proposal_is_kept_with_its_reason(story: Story) -> None:
    with pytest.raises(SchemaError, match="Say why"):
        ms.reject_proposal(story.store, story.bad, principal=FRAN, reason="  ")
    ms.reject_proposal(story.store, story.bad, principal=FRAN, reason="Not a real place")
    kept = story.store.get_asset(story.bad)
    assert (kept["status"], kept["name"]) == ("rejected", HOSTILE)
    history = story.store.asset_history(story.bad)
    assert history[["action", "reason"]].values.tolist() == [
        ["propose", f"proposed in mapping session {story.a}"],
        ["reject", "Not a real place"],
    ]
    assert story.bad in set(story.store.assets(include_archived=True)["id"])
    assert story.bad not in set(story.store.assets()["id"])


def test_merge_can_be_undone(story: Story) -> None:
    ms.merge_proposal(story.store, story.libary, story.library, principal=FRAN)
    ms.undo_merge(story.store, story.libary, principal=FRAN)
    back = story.store.get_asset(story.libary)
    assert back["status"] == "proposed"
    assert story.store.get_asset(story.library)["opening_hours"] is None
    assert story.libary in set(ms.moderation_queue(story.store, story.a, principal=FRAN)["id"])
    assert story.store.asset_history(story.libary)["action"].tolist() == [
        "propose", "merged", "unmerge",
    ]  # fmt: skip


def test_comment_moderation_keeps_the_comment(story: Story) -> None:
    done = ms.moderate_comment(story.store, story.comment, principal=FRAN, accept=False,
                               reason="Names a member of staff")  # fmt: skip
    assert done["status"] == "rejected"
    assert story.store.history("comment", story.comment)["action"].tolist() == ["create", "reject"]


# ---------------------------------------------------------------- summary
def _count_assets(graph: object, assets: pd.DataFrame, lon: object, lat: object, **_: object):
    """Stand-in accessible range: every category of the register given counts as in reach."""
    codes = tuple(sorted({c for cats in assets["categories"] for c in cats}))
    return pd.DataFrame({"n_categories": [len(codes)], "categories": [codes]})


def test_summary_figures_match_the_hand_count(story: Story) -> None:
    _moderate(story)
    summary = ms.session_summary(story.store, story.a, principal=FRAN, graph=object(),
                                 accessible_range=_count_assets)  # fmt: skip
    figures = dict(summary.figures())
    assert figures == {
        "Date": "2026-11-03",
        "Area": "Oakham",
        "Group": "Tuesday group",
        "People taking part": 2,
        "Places and services added": 3,
        "Volunteering opportunities added": 1,
        "Gaps named": 1,
        "Comments and ratings": 1,
        "Ideas for new services": 1,
        "Votes for ideas": 2,
        "Accepted into the register": 1,
        "Merged with an existing entry": 1,
        "Not accepted": 1,
        "Still waiting for review": 1,
        # before: library + community centre; after: plus the accepted food bank's
        # category (the merge adds nothing new: the library was there)
        "Kinds of support within 15 min walk, before": 2,
        "Kinds of support within 15 min walk, after": 3,
        "Newly within reach": "Food bank and free food",
    }
    other = ms.session_summary(story.store, story.b, principal=FRAN)
    assert (other.assets_added, other.waiting, other.gaps_added, other.range_before) == (
        1, 1, 0, None,
    )  # fmt: skip


def test_an_accepted_asset_closed_later_is_not_counted_as_merged(story: Story) -> None:
    # Hand count: accept 2 (food bank, garden), merge 1 (libary), reject 1 (bad),
    # then the food bank closes (archived after acceptance): merged 1, not 2.
    _moderate(story)
    ms.accept_proposal(story.store, story.garden, principal=FRAN)
    food = story.store.get_asset(story.food_bank)
    story.store.set_status(
        story.food_bank, "archived", expected_version=int(food["version"]), actor="lee",
        reason="closed down",
    )  # fmt: skip
    summary = ms.session_summary(story.store, story.a, principal=FRAN)
    assert (summary.merged, summary.rejected, summary.accepted, summary.waiting) == (1, 1, 1, 0)
    rows = ms.session_contributions(story.store, story.a, principal=FRAN).set_index("id")
    assert rows.loc[story.libary, "status"] == "merged"
    assert rows.loc[story.food_bank, "status"] == "archived"
    assert ms.merged_proposals(story.store, [story.libary, story.food_bank]) == {story.libary}


def test_summary_coverage_on_a_real_walk(store: Store) -> None:
    """Two corners 200 m apart (150 s on foot): a library, and a food bank proposed."""
    corners = WalkNetwork(
        node_ids=np.array([10, 20]), lon=np.array([-0.7300, -0.7270]), lat=np.full(2, 52.67),
        edge_u=np.array([0], dtype=np.int32), edge_v=np.array([1], dtype=np.int32),
        length_m=np.array([200.0]),
    )  # fmt: skip
    graph = build_walk_graph(corners, config=WalkConfig(min_component_nodes=1))
    store.add_asset({"name": "Library", "lon": -0.7300, "lat": 52.67, "categories": ["library"]},
                    actor="test", reason="fixture")  # fmt: skip
    sid = ms.start_session(store, principal=FRAN, date="2026-11-03", area="Oakham",
                           group_label="g", participants=1)  # fmt: skip
    food_bank = {"name": "Food Bank", "lon": -0.7270, "lat": 52.67, "categories": ["food_support"]}
    food = ms.propose_asset(store, sid, food_bank, principal=FRAN)
    at_library = (-0.7300, 52.67)
    waiting = ms.session_summary(store, sid, principal=FRAN, graph=graph, minutes=3,
                                 point=at_library)  # fmt: skip
    assert (waiting.range_before, waiting.range_after) == (1, 1)  # not accepted yet
    ms.accept_proposal(store, food, principal=FRAN)
    done = ms.session_summary(store, sid, principal=FRAN, graph=graph, minutes=3, point=at_library)
    assert (done.range_before, done.range_after) == (1, 2)
    assert done.new_in_reach == ("Food bank and free food",)
    two_minutes = ms.session_summary(store, sid, principal=FRAN, graph=graph, minutes=2,
                                     point=at_library)  # fmt: skip
    assert (two_minutes.range_before, two_minutes.range_after) == (1, 1)  # 150 s is too far


def test_summary_exports_escape_and_neutralise_what_people_typed(story: Story) -> None:
    ms.propose_asset(story.store, story.a, {"name": "=HYPERLINK(1)", "lon": -0.72, "lat": 52.67},
                     principal=story.p1)  # fmt: skip
    summary = ms.session_summary(story.store, story.a, principal=FRAN)
    page = summary_out.summary_html(summary)
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img" not in page
    rows = list(csv.reader(io.StringIO(summary_out.summary_csv(summary))))
    assert ["Places and services added", "4"] in rows
    names = [r[1] for r in rows if r and r[0] == "asset"]
    assert HOSTILE in names  # as typed: CSV is data, not HTML
    assert "'=HYPERLINK(1)" in names
    assert summary_out.summary_pdf(summary)[:5] == b"%PDF-"


# ---------------------------------------------------------------- freshness
def test_needs_checking_after_twelve_months_and_reverify_clears_it(story: Story) -> None:
    store = story.store
    old = store.add_asset(
        {"name": "Old Club", "lon": -0.72, "lat": 52.67, "status": "verified",
         "last_verified": "2024-01-31"},
        actor="test", reason="fixture",
    )  # fmt: skip
    today = dt.datetime.now(dt.UTC).date()
    assets = store.assets()
    flagged = set(assets.loc[register.needs_checking(assets, today).to_numpy(), "name"])
    assert flagged == {"Old Club", "Victoria Hall"}  # never verified counts too
    register.reverify_asset(store, old, principal=FRAN, session_id=story.a)
    assets = store.assets()
    assert set(assets.loc[register.needs_checking(assets, today).to_numpy(), "name"]) == {
        "Victoria Hall"
    }
    assert store.asset_history(old)["reason"].iloc[-1] == (
        f"checked and still right in mapping session {story.a}"
    )
    with pytest.raises(AccessDeniedError):
        register.reverify_asset(store, old, principal=story.p1)


def test_needs_checking_counts_calendar_months() -> None:
    frame = pd.DataFrame(
        {"status": ["verified"] * 3,
         "last_verified": [dt.date(2025, 2, 28), dt.date(2025, 2, 27), dt.date(2026, 1, 31)]}
    )  # fmt: skip
    assert register.needs_checking(frame, dt.date(2026, 2, 28)).tolist() == [False, True, False]
    assert register.needs_checking(frame, dt.date(2026, 3, 31), months=2).tolist() == [
        True,
        True,
        False,
    ]


# ---------------------------------------------------------------- two people at once
def test_two_participants_saving_at_once_lose_nothing(store: Store) -> None:
    """Two participants (threads) each save 8 places, 4 gaps and a vote at the same moments."""
    sid = ms.start_session(store, principal=FRAN, date="2026-11-03", area="Oakham",
                           group_label="Tuesday group", participants=2)  # fmt: skip
    people = [Principal(f"participant-{k}", Role.PARTICIPANT, session_id=sid) for k in (1, 2)]
    gap = ms.add_gap(store, sid, {"need": "accommodation", "area": "LE15 6"}, principal=people[0])
    idea = ms.add_idea(store, sid, gap, principal=people[0], what="Evening drop-in")
    start = threading.Barrier(2)

    def contribute(k: int) -> None:
        me = people[k]
        start.wait()
        for i in range(8):
            ms.propose_asset(store, sid, {"name": f"Place {k}-{i}", "lon": -0.72 - k / 100,
                                          "lat": 52.67 + i / 1000}, principal=me)  # fmt: skip
            if i % 2:
                ms.add_gap(store, sid, {"need": "ete", "area": f"gap {k}-{i}"}, principal=me)
        ms.vote_idea(store, idea, principal=me)

    with ThreadPoolExecutor(max_workers=2) as pool:
        for done in [pool.submit(contribute, k) for k in (0, 1)]:
            done.result()  # re-raises anything a participant met

    added = ms.session_contributions(store, sid, principal=people[1])
    places = sorted(added.loc[added["type"] == "asset", "name"])
    assert places == sorted(f"Place {k}-{i}" for k in (0, 1) for i in range(8))
    notes = sorted(added.loc[added["type"] == "gap", "detail"])
    assert notes == ["LE15 6", *sorted(f"gap {k}-{i}" for k in (0, 1) for i in (1, 3, 5, 7))]
    assert ms.ideas_with_votes(store, principal=people[0])["votes"].tolist() == [2]
    by = ms.session_records(store, GAP_ENTITY, sid, principal=FRAN)["reported_by"]
    assert by.value_counts().to_dict() == {"participant-1": 5, "participant-2": 4}


def test_likely_duplicates_sees_a_register_entry_whose_address_names_the_typed_place(
    store: Store,
) -> None:
    # Issue 12: a library proposed 35 m from the register's library, whose address
    # names it, was not flagged.
    store.add_asset(
        {"name": "Rutland County Library", "address": "Oakham Library, Catmos Street",
         "lon": -0.72586, "lat": 52.66935, "categories": ["library"], "status": "verified"},
        actor="test", reason="fixture",
    )  # fmt: skip
    found = ms.likely_duplicates(store, "Oakham Library", -0.72586, 52.66966, principal=FRAN)
    assert found["name"].tolist() == ["Rutland County Library"]
    assert found["distance_m"].tolist() == [34]
    assert ms.likely_duplicates(store, "Oakham Library", -1.5, 53.8, principal=FRAN).empty


def test_the_queue_reads_the_register_once_and_finds_what_each_proposal_looks_like(
    story: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = ms.moderation_queue(story.store, story.a, principal=FRAN)
    reads = []
    real = story.store.assets
    monkeypatch.setattr(story.store, "assets", lambda **kw: reads.append(kw) or real(**kw))
    similar = ms.queue_duplicates(story.store, queue, principal=FRAN)
    assert len(reads) == 1  # the page used to read it once per proposal (len(queue) == 4)
    assert set(similar) == set(queue["id"])
    assert similar[story.libary]["id"].tolist() == [story.library]
    assert similar[story.food_bank].empty
    one = ms.likely_duplicates(story.store, "Oakham Libary", -0.72715, 52.67035, principal=FRAN)
    assert one.loc[one["status"] != "proposed", "id"].tolist() == [story.library]  # as before


def test_contributions_read_gaps_and_comments_without_a_note(story: Story) -> None:
    """A gap without a note beside one with a note: the missing field reads back as NaN.

    The session summary failed on it ("sequence item 1: expected str instance,
    float found"), found by the money browser test's Moderation page.
    """
    worded = ms.add_gap(story.store, story.a, {"need": "ete", "area": "LE15 6",
                                                "note": "no courses"}, principal=FRAN)  # fmt: skip
    bare = ms.add_gap(story.store, story.a, {"need": "health", "area": "LE15 7"}, principal=FRAN)
    rows = ms.session_contributions(story.store, story.a, principal=FRAN).set_index("id")
    assert rows.loc[worded, "detail"] == "LE15 6 · no courses"
    assert rows.loc[bare, "detail"] == "LE15 7"
    assert "nan" not in " ".join(rows["detail"].astype(str))
