"""The Mapping session page, driven with AppTest: start, join, add, see duplicates."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from assetmap import wording
from assetmap.access import Principal, Role
from assetmap.errors import AuthError
from assetmap.people import sessions as ms
from assetmap.people.accounts import issue_session_code, join_session
from assetmap.schema import validate_assets
from assetmap.taxonomy import load_taxonomy
from assetmap.workspace import create_workspace, open_workspace

APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"
PAGE = "app/pages/session.py"
PRINCIPAL = "assetmap.principal"
F = "assetmap.session.form."
POINT = "assetmap.session.point"
FRAN = Principal("fran", Role.FACILITATOR)
HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def oakham(workspace_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace with Oakham Library (verified) and Victoria Hall."""
    records = [
        {"name": "Oakham Library", "lon": -0.7271, "lat": 52.6703, "categories": ["library"],
         "status": "verified", "source_id": "n1", "last_verified": "2026-10-01"},
        {"name": "Victoria Hall", "lon": -0.7290, "lat": 52.6712,
         "categories": ["community_centre"], "source_id": "n2"},
    ]  # fmt: skip
    workspace = create_workspace(workspace_path)
    workspace.store().import_assets(
        validate_assets(pd.DataFrame(records)), source="test", actor="test", reason="fixture"
    )
    monkeypatch.setenv("ASSETMAP_WORKSPACE", str(workspace.path))
    return workspace.path


def _page(principal: Principal | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    if principal is not None:
        at.session_state[PRINCIPAL] = principal
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _session(path: Path) -> str:
    store = open_workspace(path).store()
    return ms.start_session(store, principal=FRAN, date="2026-11-03", area="Oakham",
                            group_label="Tuesday group", participants=4)  # fmt: skip


def _button(at: AppTest, label: str):
    (button,) = [b for b in at.button if b.label == label]
    return button


def test_local_operator_runs_a_session_and_gets_a_join_code(oakham: Path) -> None:
    at = _page()
    assert any("no accounts" in i.value for i in at.info)
    _button(at, "Run a session from this computer").click().run()
    assert at.session_state[PRINCIPAL].role is Role.FACILITATOR
    at.text_input[0].input("Oakham town centre")
    at.text_input[1].input("Tuesday group")
    at.button[0].click().run()  # the form's submit button
    assert not at.exception
    codes = [m.value for m in at.markdown if m.value.startswith("## Join code: `")]
    assert len(codes) == 1
    sessions = ms.list_sessions(open_workspace(oakham).store(), principal=FRAN)
    assert sessions[["area", "group_label", "participants", "status"]].values.tolist() == [
        ["Oakham town centre", "Tuesday group", 6, "open"]
    ]


def test_participant_joins_with_the_code(oakham: Path) -> None:
    sid = _session(oakham)
    code = issue_session_code(open_workspace(oakham).store(), sid, actor=FRAN)
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[PRINCIPAL] = Principal("lee", Role.LEAD)  # not a facilitator: join form
    at.run()
    at.switch_page(PAGE).run()
    at.text_input[0].input(code.lower())
    at.button[0].click().run()
    joined = at.session_state[PRINCIPAL]
    assert (joined.role, joined.session_id) == (Role.PARTICIPANT, sid)
    assert any("Tuesday group" in m.value for m in at.markdown)


def test_new_join_code_stops_the_old_one_working(oakham: Path) -> None:
    sid = _session(oakham)
    store = open_workspace(oakham).store()
    old = issue_session_code(store, sid, actor=FRAN)
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[PRINCIPAL] = FRAN
    at.session_state["assetmap.session.id"] = sid
    at.run()
    at.switch_page(PAGE).run()
    _button(at, "New join code").click().run()
    assert not at.exception, at.exception
    (shown,) = [m.value for m in at.markdown if m.value.startswith("## Join code: `")]
    new = shown.removeprefix("## Join code: `").removesuffix("`")
    assert new != old
    assert join_session(store, new).session_id == sid
    with pytest.raises(AuthError, match="does not work"):
        join_session(store, old)


def test_wrong_code_is_refused_plainly(oakham: Path) -> None:
    _session(oakham)
    at = _page(Principal("lee", Role.LEAD))
    at.text_input[0].input("AAAAAA")
    at.button[0].click().run()
    assert "does not work" in at.error[0].value
    assert at.session_state[PRINCIPAL].role is Role.LEAD


def test_participant_adds_a_place_after_a_duplicate_warning(oakham: Path) -> None:
    sid = _session(oakham)
    guest = Principal("participant-1234", Role.PARTICIPANT, session_id=sid)
    at = _page(guest)
    at.session_state[POINT] = (-0.72712, 52.67031)
    at.text_input(key=F + "name").input("Oakham Libary").run()
    (warning,) = at.warning
    assert "Is it on the map already?" in warning.value
    assert "Oakham Library" in warning.value
    at.text_input(key=F + "name").input(HOSTILE).run()
    assert not at.warning
    at.selectbox(key=F + "category").set_value("library")
    at.text_input(key=F + "hours").input("Mo-Fr 09:00-17:00")
    at.radio(key=F + "welcoming").set_value("yes")
    _button(at, "💾 Save this place").click().run()
    assert not at.exception
    assert any("Saved:" in s.value for s in at.success)
    store = open_workspace(oakham).store()
    (row,) = store.assets().query("session_id == @sid").to_dict("records")
    assert (row["name"], row["status"], row["opening_hours"], row["flags"]) == (
        HOSTILE, "proposed", "Mo-Fr 09:00-17:00", ("welcoming",),
    )  # fmt: skip
    table = at.dataframe[0].value
    assert table["Name"].tolist() == [HOSTILE]  # shown as data, never as HTML
    assert at.text_input(key=F + "name").value == ""  # the form is cleared
    assert POINT not in at.session_state


def test_place_without_a_pin_asks_for_one(oakham: Path) -> None:
    sid = _session(oakham)
    at = _page(Principal("participant-1234", Role.PARTICIPANT, session_id=sid))
    at.text_input(key=F + "name").input("Somewhere")
    _button(at, "💾 Save this place").click().run()
    assert "Put the pin on the map first" in at.error[0].value
    assert open_workspace(oakham).store().assets().query("session_id == @sid").empty


def test_gap_idea_and_vote(oakham: Path) -> None:
    sid = _session(oakham)
    at = _page(Principal("participant-1234", Role.PARTICIPANT, session_id=sid))
    at.selectbox(key=F + "g_need").set_value("accommodation")
    at.text_input(key=F + "g_area").input("Barleythorpe")
    at.checkbox(key=F + "g_here").uncheck()
    _button(at, "💾 Save what is missing").click().run()
    at.text_input(key=F + "i_what").input("Evening housing drop-in")
    _button(at, "💾 Save your idea").click().run()
    _button(at, "👍 Vote (0)").click().run()
    assert [b.label for b in at.button if b.label.startswith("👍")] == ["👍 Vote (1)"]
    _button(at, "👍 Vote (1)").click().run()
    assert "voted for this idea already" in at.error[0].value
    table = at.dataframe[0].value
    assert sorted(table["What"]) == ["❓ Missing", "💡 Idea"]


def test_participant_map_and_comments_leave_out_other_sessions(oakham: Path) -> None:
    sid, other = _session(oakham), _session(oakham)
    store = open_workspace(oakham).store()
    ms.propose_asset(store, other, {"name": "Secret Squirrel Club", "lon": -0.72, "lat": 52.67},
                     principal=FRAN)  # fmt: skip
    at = _page(Principal("participant-1234", Role.PARTICIPANT, session_id=sid))
    (component,) = at.get("component_instance")
    script = json.loads(component.proto.json_args)["script"]
    assert "Oakham Library" in script
    assert "Secret Squirrel" not in script
    assert '"radius":11' in script  # markers big enough to tap
    assert "Secret Squirrel Club" not in at.selectbox(key=F + "c_asset").options
    at.selectbox(key=F + "c_asset").set_value(
        ms.visible_register(store, principal=FRAN).query("name == 'Oakham Library'")["id"].iloc[0]
    )
    at.selectbox(key=F + "c_welcoming").set_value(4)
    at.multiselect(key=F + "c_barriers").select("cost")
    _button(at, "💾 Save what you said").click().run()
    (comment,) = ms.session_records(store, "comment", sid, principal=FRAN).to_dict("records")
    assert (comment["welcoming"], comment["barriers"]) == (4, ["cost"])


def test_facilitator_reverifies_a_stale_place(oakham: Path) -> None:
    store = open_workspace(oakham).store()
    hall = store.assets().query("name == 'Victoria Hall'")["id"].iloc[0]
    sid = _session(oakham)
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[PRINCIPAL] = FRAN
    at.session_state["assetmap.session.id"] = sid
    at.run()
    at.switch_page(PAGE).run()
    at.selectbox(key=F + "c_asset").set_value(hall).run()
    assert "Needs checking: last checked never" in at.warning[0].value
    _button(at, "Still right: mark as checked today").click().run()
    assert store.get_asset(hall)["status"] == "verified"
    assert not [w for w in at.warning if "Needs checking" in w.value]


def _everything_shown(at: AppTest) -> str:
    """All the text a page put in front of its user: prose, tables, map, choices."""
    kinds = ("markdown", "caption", "info", "success", "warning", "error", "subheader", "header",
             "title")  # fmt: skip
    parts = [e.value for kind in kinds for e in getattr(at, kind)]
    parts += [frame.value.to_csv() for frame in at.dataframe]
    parts += [component.proto.json_args for component in at.get("component_instance")]
    parts += [str(box.options) for box in (*at.selectbox, *at.multiselect, *at.radio)]
    return "\n".join(map(str, parts))


def test_participant_view_holds_no_plans_accounts_or_other_sessions(oakham: Path) -> None:
    store = open_workspace(oakham).store()
    facilitator = Principal("facilitator-7f3a", Role.FACILITATOR)
    sid, other = (
        ms.start_session(store, principal=facilitator, date="2026-11-03", area=area,
                         group_label="Tuesday group", participants=3)
        for area in ("Oakham", "Uppingham")
    )  # fmt: skip
    plan = {"owner": "staff-sam", "person": "Jo Bloggs", "goals": "a flat", "status": "active"}
    store.add_record("plan", plan, actor="staff-sam", reason="fixture")
    stranger = Principal("participant-9999", Role.PARTICIPANT, session_id=other)
    ms.propose_asset(store, other, {"name": "Secret Squirrel Club", "lon": -0.72, "lat": 52.67},
                     principal=stranger)  # fmt: skip
    guest = Principal("participant-1234", Role.PARTICIPANT, session_id=sid)
    ms.propose_asset(store, sid, {"name": "Oakham Food Bank", "lon": -0.73, "lat": 52.669},
                     principal=guest)  # fmt: skip
    ms.add_gap(store, sid, {"need": "accommodation", "area": "LE15 6", "note": "No hostel"},
               principal=guest)  # fmt: skip

    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[PRINCIPAL] = guest
    at.run()
    with pytest.raises(ValueError, match="Known pages") as refused:
        at.switch_page("app/pages/plans.py")
    menu = str(refused.value).split("Known pages:")[1]
    for page in ("plans.py", "find_support.py", "dashboard.py", "data.py", "moderation.py",
                 "admin.py"):  # fmt: skip
        assert f"{page}'" not in menu
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    shown = _everything_shown(at)
    assert "Oakham Food Bank" in shown  # their own session's proposal
    assert "No hostel" in shown
    for secret in ("Jo Bloggs", "a flat", "staff-sam", "Secret Squirrel", "participant-9999",
                   "participant-1234", "facilitator-7f3a", "Uppingham"):  # fmt: skip
        assert secret not in shown, secret


def _labels(at: AppTest) -> set[str]:
    """Every label, heading and message the page put in front of the participant."""
    widgets = (*at.text_input, *at.text_area, *at.selectbox, *at.multiselect, *at.radio,
               *at.checkbox, *at.button)  # fmt: skip
    shown = {w.label for w in widgets} | {t.label for t in at.tabs}
    shown |= {
        e.value for kind in ("info", "header", "subheader", "caption") for e in getattr(at, kind)
    }
    shown |= {str(o) for box in (*at.selectbox, *at.multiselect, *at.radio) for o in box.options}
    return shown


def test_participant_sees_only_catalogue_words(oakham: Path) -> None:
    """What a participant reads comes from assetmap.wording, which the readability test checks.

    Fails on the old page, whose words ("Type the code your facilitator gives you",
    "Do you need a referral?", "asset", "proposed") were written into the page.
    """
    sid = _session(oakham)
    store = open_workspace(oakham).store()
    guest = Principal("participant-1234", Role.PARTICIPANT, session_id=sid)
    ms.add_gap(store, sid, {"need": "accommodation", "area": "Barleythorpe"}, principal=guest)
    ms.propose_asset(store, sid, {"name": "Oakham Food Bank", "lon": -0.73, "lat": 52.669},
                     principal=guest)  # fmt: skip
    at = _page(guest)
    catalogue = set(wording.participant_strings())
    catalogue |= {c.plain_label for c in load_taxonomy().categories.values()}
    data = {"Oakham Library", "Victoria Hall", "Oakham Food Bank", "Map data © OpenStreetMap "
            "contributors, available under the ODbL.", "Background map",
            "Offline streets (no internet)", "OpenStreetMap (online)"}  # fmt: skip
    data |= {wording.W["taking_part"].format(label=guest.label)}
    data |= {wording.W["idea_missing_where"].format(need=wording.NEED_WORDS["accommodation"],
                                                    area="Barleythorpe")}  # fmt: skip
    assert _labels(at) - catalogue - data == set()
    table = at.dataframe[0].value
    assert set(table.columns) == {
        wording.W[k] for k in ("added_what", "added_name", "added_status", "added_more")
    }
    shown = " ".join(table.astype(str).to_numpy().ravel()).lower()
    for word in ("asset", "proposed", "none", "for_whom"):
        assert word not in shown, word


def test_open_sessions_are_told_apart_by_start_time_and_reference(oakham: Path) -> None:
    """Two groups on the same day in the same area: the picker shows each one's start
    time and reference, and the date in words (UK), never ISO."""
    first, second = _session(oakham), _session(oakham)
    at = _page(FRAN)
    (picker,) = [s for s in at.selectbox if s.label == "Open sessions"]
    shown = list(picker.options)  # as the page formats them
    assert len(set(shown)) == 2, shown
    for label in shown:
        assert re.match(r"3 November 2026, started \d\d:\d\d · Tuesday group · Oakham", label)
    for sid in (first, second):
        assert sum(f"ref {sid[:4].upper()}" in label for label in shown) == 1


def test_ending_the_session_asks_first(oakham: Path) -> None:
    sid = _session(oakham)
    at = _page(FRAN)
    _button(at, "Carry on with this session").click().run()
    _button(at, "End the session").click().run()
    assert any("End the session for everyone?" in w.value for w in at.warning)
    _button(at, "No, carry on").click().run()
    store = open_workspace(oakham).store()
    assert ms.get_session(store, sid, principal=FRAN)["status"] == "open"
    _button(at, "End the session").click().run()
    _button(at, "Yes, end it").click().run()
    assert ms.get_session(store, sid, principal=FRAN)["status"] != "open"
