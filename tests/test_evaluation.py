"""The evaluation pack: opens as CSV and XLSX, holds no plan reference or free text, suppresses.

Also through the CLI (``assetmap evaluate``), on the database under test.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from support import run_cli

from assetmap.access import Principal, Role
from assetmap.errors import AccessDeniedError
from assetmap.match.needs import Constraints, Goal
from assetmap.people import funds, grants, plans, sessions
from assetmap.people.evaluation import write_evaluation_pack
from assetmap.workspace import Workspace, create_workspace

SAM = Principal("sam", Role.STAFF)
ABI = Principal("abi", Role.APPROVER)
ADA = Principal("ada", Role.ADMIN)
LEE = Principal("lee", Role.LEAD)
FRAN = Principal("fran", Role.FACILITATOR)
START = plans.StartPoint(-0.7271, 52.6703, "coordinates", "here", "LE15 6", -0.727, 52.670)
SECRET = "XQZPRIVATEWORDS"
TODAY = dt.date.today()


@pytest.fixture
def workspace(workspace_path: Path) -> Workspace:
    ws = create_workspace(workspace_path, name="Rutland")
    store = ws.store()
    fund = funds.create_fund(
        store,
        {
            "name": "Enabling fund",
            "holder": "Probation",
            "budget": "5000",
            "start": TODAY - dt.timedelta(days=30),
            "end": TODAY + dt.timedelta(days=30),
            "person_cap": "2000",
            "request_cap": "1000",
        },
        principal=ADA,
    )
    for k in range(8):
        need = "ete" if k < 6 else "accommodation"
        plan = plans.create_plan(
            store,
            start=START,
            goals=[Goal(need=need, text=f"goal {SECRET}")],
            constraints=Constraints(),
            principal=SAM,
        )
        if k < 6:
            rid = funds.request_allocation(
                store,
                plan["id"],
                fund["id"],
                goal=0,
                category="GTIP130",
                what=f"course {SECRET}",
                why=f"work {SECRET}",
                amount="100",
                principal=SAM,
            )["id"]
            funds.approve_allocation(store, rid, principal=ABI)
    plan_id = plan["id"]
    rid = funds.request_allocation(
        store,
        plan_id,
        fund["id"],
        goal=0,
        category="GTIP060",
        what=f"deposit {SECRET}",
        why="room",
        amount="450",
        principal=SAM,
    )["id"]
    funds.approve_allocation(store, rid, principal=ABI)
    sid = sessions.start_session(store, principal=FRAN, date=TODAY, area="Oakham", group_label="A")
    gap = sessions.add_gap(store, sid, {"need": "ete", "area": "LE15 6"}, principal=FRAN)
    idea = sessions.add_idea(store, sid, gap, principal=FRAN, what="A bike club")
    grants.apply_for_grant(
        store,
        idea,
        fund["id"],
        what="Bike club",
        for_whom="group",
        lines=[{"item": "tools", "amount": "200"}],
        people=5,
        principal=FRAN,
    )
    return ws


def _pack(ws: Workspace, out: Path) -> Path:
    write_evaluation_pack(
        ws,
        out,
        start=TODAY - dt.timedelta(days=7),
        end=TODAY + dt.timedelta(days=1),
        principal=LEE,
    )
    return out


def _every_text(folder: Path) -> str:
    parts = [p.read_text(encoding="utf-8") for p in folder.glob("*.csv")]
    with zipfile.ZipFile(folder / "evaluation.xlsx") as book:
        parts += [book.read(n).decode("utf-8", "replace") for n in book.namelist()]
    return "\n".join(parts)


def test_the_pack_opens_and_holds_nothing_identifying(workspace: Workspace, tmp_path: Path) -> None:
    folder = _pack(workspace, tmp_path / "pack")
    sheets = pd.read_excel(folder / "evaluation.xlsx", sheet_name=None)
    assert {
        "sessions",
        "plans",
        "goals_by_need",
        "money_by_category",
        "funds",
        "grants",
        "data_dictionary",
    } <= set(sheets)
    plans_csv = pd.read_csv(folder / "plans.csv")
    assert len(plans_csv) == 8
    text = _every_text(folder)
    assert SECRET not in text
    references = workspace.store().records(plans.PLAN_ENTITY)["reference"].tolist()
    assert references
    assert not [r for r in references if r in text]
    assert "sam" not in plans_csv.to_csv()
    for png in folder.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    dictionary = pd.read_csv(folder / "data_dictionary.csv")
    for name in ("plans.csv", "funds.csv", "grants.csv", "money_by_category.csv"):
        columns = set(pd.read_csv(folder / name).columns)
        assert columns == set(dictionary.loc[dictionary["file"] == name, "column"])


def test_small_counts_are_suppressed_with_secondary_suppression(
    workspace: Workspace, tmp_path: Path
) -> None:
    folder = _pack(workspace, tmp_path / "pack")
    goals = pd.read_csv(folder / "goals_by_need.csv", dtype=str).set_index("need")["goals"]
    assert goals["accommodation"] == "<5"  # 2 plans
    assert goals["total"] == "8"
    assert goals["ete"] == "hidden"  # else 8 - 6 would give the 2 away
    money = pd.read_csv(folder / "money_by_category.csv", dtype=str).set_index("category")
    housing = money.loc["GTIP060 Other housing related costs"]
    assert housing["requests"] == "<5"
    assert housing["approved_pounds"] == "hidden"
    learning = money.loc["GTIP130 Education and training"]
    assert learning["requests"] == "hidden"  # 6, else the total 7 would give the 1 away
    assert learning["approved_pounds"] == "hidden"
    assert money.loc["total", "requests"] == "7"
    assert float(money.loc["total", "approved_pounds"]) == 1050.0  # two hidden: neither known


def test_every_export_has_fresh_keys_and_only_leads_and_admins_write_it(
    workspace: Workspace, tmp_path: Path
) -> None:
    one = pd.read_csv(_pack(workspace, tmp_path / "one") / "plans.csv")
    two = pd.read_csv(_pack(workspace, tmp_path / "two") / "plans.csv")
    assert not set(one["key"]) & set(two["key"])
    for who in (SAM, FRAN, ABI):
        with pytest.raises(AccessDeniedError, match=r"\(evaluate\)"):
            write_evaluation_pack(workspace, tmp_path / "x", start=TODAY, end=TODAY, principal=who)


def test_the_cli_writes_the_pack_and_lists_funds(
    workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cli-pack"
    start = (TODAY - dt.timedelta(days=7)).isoformat()
    ws = str(workspace.path)
    code, stdout, stderr = run_cli(
        capsys, "evaluate", ws, "--from", start, "--to", TODAY.isoformat(), "--out", str(out)
    )
    assert code == 0, stderr
    assert "plans.csv" in stdout
    assert pd.read_csv(io.StringIO((out / "plans.csv").read_text())).shape[0] == 8
    code, _, stderr = run_cli(
        capsys, "evaluate", ws, "--from", "2026-13-01", "--to", "x", "--out", str(out)
    )
    assert code != 0
    assert "`from` must be an ISO date" in stderr
    code, stdout, _ = run_cli(capsys, "fund", "list", ws)
    assert code == 0
    assert "Enabling fund (Probation): £5,000.00" in stdout
    code, _, stderr = run_cli(
        capsys,
        "fund",
        "add",
        ws,
        "--name",
        "W",
        "--holder",
        "Women's centre",
        "--budget",
        "lots",
        "--start",
        "2026-01-01",
        "--end",
        "2026-12-31",
    )
    assert code != 0
    assert "`budget` must be a sum of money" in stderr
