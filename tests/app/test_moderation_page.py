"""The Moderation page, driven with AppTest: accept with edits, merge, reject, summary."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from assetmap.access import Principal, Role
from assetmap.output import session_summary as summary_out
from assetmap.people import sessions as ms
from assetmap.schema import validate_assets
from assetmap.workspace import create_workspace, open_workspace

APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"
PAGE = "app/pages/moderation.py"
PRINCIPAL = "assetmap.principal"
K = "assetmap.moderation.form."
FRAN = Principal("fran", Role.FACILITATOR)
HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def proposals(workspace_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A session with three proposals: a new food bank, a copy of the library, a hostile name."""
    records = [
        {"name": "Oakham Library", "lon": -0.7271, "lat": 52.6703, "categories": ["library"],
         "status": "verified", "source_id": "n1", "last_verified": "2026-10-01"},
    ]  # fmt: skip
    workspace = create_workspace(workspace_path)
    store = workspace.store()
    store.import_assets(
        validate_assets(pd.DataFrame(records)), source="test", actor="test", reason="fixture"
    )
    sid = ms.start_session(store, principal=FRAN, date="2026-11-03", area="Oakham",
                           group_label="Tuesday group", participants=3)  # fmt: skip
    guest = Principal("participant-1234", Role.PARTICIPANT, session_id=sid)
    ids = {
        "session": sid,
        "library": store.assets()["id"].iloc[0],
        "food": ms.propose_asset(store, sid, {"name": "Oakham Food Bank", "lon": -0.73,
                                              "lat": 52.669}, principal=guest),
        "copy": ms.propose_asset(store, sid, {"name": "Oakham Libary", "lon": -0.72711,
                                              "lat": 52.67031}, principal=guest),
        "bad": ms.propose_asset(store, sid, {"name": HOSTILE, "lon": -0.72, "lat": 52.66},
                                principal=guest),
    }  # fmt: skip
    ms.add_comment(store, sid, ids["library"], principal=guest, welcoming=5, note="Kind staff")
    monkeypatch.setenv("ASSETMAP_WORKSPACE", str(workspace.path))
    return ids


def _page(principal: Principal = FRAN) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[PRINCIPAL] = principal
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _button(at: AppTest, label: str, key: str | None = None):
    (button,) = [b for b in at.button if b.label == label and (key is None or b.key == key)]
    return button


def test_queue_lists_the_proposals_and_flags_the_copy(proposals: dict[str, str]) -> None:
    at = _page()
    titles = [m.value for m in at.markdown if m.value.startswith("## ")]
    assert len(titles) == 3
    assert any("\\<img src\\=x onerror\\=alert\\(1\\)\\>" in t for t in titles)  # escaped
    (looks_like,) = [w.value for w in at.warning if w.value.startswith("Looks like")]
    assert looks_like == "Looks like: Oakham Library"


def test_accept_with_edits_merge_and_reject(proposals: dict[str, str]) -> None:
    at = _page()
    food, copy, bad = proposals["food"], proposals["copy"], proposals["bad"]
    at.text_input(key=K + "hours" + food).input("Tu 10:00-12:00")
    at.selectbox(key=K + "category" + food).set_value("food_support")
    _button(at, "Accept", K + "go" + food).click().run()
    at.radio(key=K + "decision" + copy).set_value("merge").run()
    assert at.selectbox(key=K + "into" + copy).value == proposals["library"]
    _button(at, "Same as one already on the map", K + "go" + copy).click().run()
    at.radio(key=K + "decision" + bad).set_value("reject").run()
    _button(at, "Do not accept", K + "go" + bad).click().run()
    assert "Say why" in at.error[0].value  # no reason: refused, still waiting
    at.text_input(key=K + "reason" + bad).input("Not a real place")
    _button(at, "Do not accept", K + "go" + bad).click().run()
    assert not at.exception
    store = open_workspace(_workspace()).store()
    accepted = store.get_asset(food)
    assert (accepted["status"], accepted["opening_hours"], accepted["categories"]) == (
        "verified", "Tu 10:00-12:00", ("food_support",),
    )  # fmt: skip
    assert store.get_asset(copy)["status"] == "archived"
    assert store.get_asset(bad)["status"] == "rejected"
    assert store.asset_history(bad)["reason"].iloc[-1] == "Not a real place"
    assert any("Nothing is waiting" in s.value for s in at.success)


def _workspace() -> Path:
    return Path(os.environ["ASSETMAP_WORKSPACE"])


def test_comment_is_reviewed(proposals: dict[str, str]) -> None:
    at = _page()
    _button(at, "Accept comment").click().run()
    store = open_workspace(_workspace()).store()
    (comment,) = ms.session_records(store, "comment", proposals["session"], principal=FRAN).to_dict(
        "records"
    )
    assert comment["status"] == "accepted"


def test_summary_shows_hand_counted_figures_and_escaped_downloads(proposals: dict[str, str]):
    store = open_workspace(_workspace()).store()
    ms.accept_proposal(store, proposals["food"], principal=FRAN)
    ms.merge_proposal(store, proposals["copy"], proposals["library"], principal=FRAN)
    ms.reject_proposal(store, proposals["bad"], principal=FRAN, reason="Not a real place")
    at = _page()
    figures = _figures(at)
    assert {k: figures[k] for k in (
        "Places and services added", "Comments and ratings", "Accepted into the register",
        "Merged with an existing entry", "Not accepted", "Still waiting for review",
    )} == {
        "Places and services added": "3", "Comments and ratings": "1",
        "Accepted into the register": "1", "Merged with an existing entry": "1",
        "Not accepted": "1", "Still waiting for review": "0",
    }  # fmt: skip
    downloads = {d.proto.label: d for d in at.get("download_button")}
    assert set(downloads) >= {"Download CSV", "Download printable page"}


def test_ideas_table_says_its_columns_plainly_and_blanks_what_was_not_given(
    proposals: dict[str, str],
) -> None:
    store = open_workspace(_workspace()).store()
    sid = proposals["session"]
    gap = ms.add_gap(store, sid, {"need": "accommodation", "area": "Oakham"}, principal=FRAN)
    ms.add_idea(store, sid, gap, principal=FRAN, what="Bike club")  # no "for whom", no needs
    ms.add_idea(store, sid, gap, principal=FRAN, what="Hostel", for_whom="Families",
                needs="A room")  # fmt: skip
    at = _page()
    (ideas,) = [f.value for f in at.dataframe if "Votes" in f.value.columns]
    assert list(ideas.columns) == ["Area", "Idea", "For whom", "What it needs", "Votes"]
    assert ideas.drop(columns="Votes").to_dict("records") == [
        {"Area": "Oakham", "Idea": "Bike club", "For whom": "—", "What it needs": "—"},
        {"Area": "Oakham", "Idea": "Hostel", "For whom": "Families", "What it needs": "A room"},
    ]  # fmt: skip


def _figures(at: AppTest) -> dict[str, str]:
    for frame in at.dataframe:
        table = frame.value
        if list(table.columns) == ["Figure", "Value"]:
            return dict(zip(table["Figure"], table["Value"], strict=True))
    raise AssertionError("no figures table")


def test_summary_exports_are_escaped(proposals: dict[str, str]) -> None:
    store = open_workspace(_workspace()).store()
    summary = ms.session_summary(store, proposals["session"], principal=FRAN)
    page = summary_out.summary_html(summary)
    assert HOSTILE not in page
    rows = list(csv.reader(io.StringIO(summary_out.summary_csv(summary))))
    assert [r[1] for r in rows if r and r[0] == "asset"].count(HOSTILE) == 1


def test_participants_cannot_open_moderation(proposals: dict[str, str]) -> None:
    guest = Principal("participant-9999", Role.PARTICIPANT, session_id=proposals["session"])
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[PRINCIPAL] = guest
    at.run()
    with pytest.raises(ValueError, match="Known pages") as refused:
        at.switch_page(PAGE)  # not in their menu
    menu = str(refused.value).split("Known pages:")[1]
    assert "session.py'" in menu
    assert "moderation.py'" not in menu
    page = AppTest.from_file(APP.parent / PAGE, default_timeout=30)  # nor usable if reached
    page.session_state[PRINCIPAL] = guest
    page.run()
    assert page.warning[0].value == "This page is not available to the participant role."
    assert not page.dataframe
