"""Money on the pages: a plan's requests (Plans), the grant path (Moderation), funds (Dashboard).

Kept out of the pages so each only calls :func:`plan_money`, :func:`grant_path`
or :func:`dashboard_funds`.
Everything goes through :mod:`assetmap.people.funds`, which checks the
caseload, the caps and the fund's period itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from app import state, widgets
from assetmap.access import Operation, Principal, allowed
from assetmap.errors import AssetMapError
from assetmap.people import funds, grants
from assetmap.people.evaluation import evaluation_zip
from assetmap.people.sessions import visible_register as views_register

#: Session-state key of the evaluation pack made on the Dashboard: ((from, to), zip bytes).
EVALUATION_ZIP = "assetmap.dashboard.evaluation_zip"

if TYPE_CHECKING:
    from assetmap.store import Store
    from assetmap.workspace import Workspace


def _done(message: str) -> None:
    """Rerun to redraw the page, saying ``message`` there (a message shown just before
    ``st.rerun`` is wiped before it is painted)."""
    st.session_state[state.MONEY_FLASH] = message
    st.rerun()


def _say_done() -> None:
    """Show what the last money form did, once."""
    message = st.session_state.pop(state.MONEY_FLASH, None)
    if message:
        st.success(message)


def _table(rows: pd.DataFrame, names: Mapping[str, str]) -> None:
    labels = funds.spend_categories()
    widgets.table(
        pd.DataFrame(
            {
                "Fund": [names.get(f, f) for f in rows["fund_id"]],
                "What": rows["what"],
                "Category": [labels.get(c, c) for c in rows["category"]],
                "Amount": rows["amount"].map(funds.money),
                "Status": rows["status"],
                "Decided by": rows["decided_by"].fillna(""),
                "Spent": rows["spent"].map(lambda v: "" if v != v or v is None else funds.money(v)),
                "Outcome": rows["outcome"].fillna(""),
            }
        ),
        hide_index=True,
        width="stretch",
    )


def _ask_form(
    store: Store, plan: Mapping[str, Any], fund_names: Mapping[str, str], *, principal: Principal
) -> None:
    labels = funds.spend_categories()
    goals = plan.get("goals") or []
    with st.form("money_request"):  # kept when refused, to fix and send again
        st.markdown("**Ask a fund**")
        fund_id = st.selectbox("Fund", list(fund_names), format_func=lambda f: fund_names[f])
        goal = st.selectbox(
            "For goal",
            range(len(goals)),
            format_func=lambda i: goals[i].get("need") or goals[i].get("text") or f"goal {i + 1}",
        )
        category = st.selectbox("Category", list(labels), format_func=lambda c: labels[c])
        what = st.text_input("What it buys")
        why = st.text_input("How it helps the goal")
        amount = st.text_input("Amount (£)")
        supplier = st.text_input("Supplier (optional)")
        if st.form_submit_button("Send the request"):
            try:
                funds.request_allocation(
                    store,
                    str(plan["id"]),
                    fund_id,
                    goal=int(goal),
                    category=category,
                    what=what,
                    why=why,
                    amount=amount,
                    supplier=supplier or None,
                    principal=principal,
                )
            except AssetMapError as exc:
                st.error(str(exc), icon=":material/error:")
            else:
                _done("Request sent to the fund's approvers.")


def _step_form(store: Store, rows: pd.DataFrame, *, principal: Principal) -> None:
    open_rows = rows[rows["status"].isin(["approved", "spent", "refused"])]
    if open_rows.empty:
        return
    with st.form("money_step", clear_on_submit=True):
        st.markdown("**Record spend or outcome**")
        rid = st.selectbox(
            "Request",
            open_rows["id"].tolist(),
            format_func=lambda r: (
                f"{rows.set_index('id').loc[r, 'what']} ({rows.set_index('id').loc[r, 'status']})"
            ),
        )
        spent = st.text_input("Spent (£), when approved")
        evidence = st.text_input("Receipt or evidence note")
        outcome = st.selectbox("Outcome for the goal, when spent", ["", *funds.OUTCOMES])
        if st.form_submit_button("Save"):
            try:
                if spent:
                    funds.record_spend(
                        store, rid, spent=spent, evidence=evidence, principal=principal
                    )
                if outcome:
                    funds.record_outcome(store, rid, outcome=outcome, principal=principal)
            except AssetMapError as exc:
                st.error(str(exc), icon=":material/error:")
            else:
                st.rerun()


def plan_money(store: Store, plan: Mapping[str, Any], *, principal: Principal) -> None:
    """Show a plan's requests for money and, for its caseload, the forms to add to them."""
    st.subheader("Money from funds")
    _say_done()
    try:
        rows = funds.allocations_of_plan(store, str(plan["id"]), principal=principal)
        listing = funds.list_funds(store, principal=principal)
    except AssetMapError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    names = dict(zip(listing["id"], listing["name"], strict=True))
    if rows.empty:
        st.caption("No requests for money on this plan.")
    else:
        _table(rows, names)
    if not allowed(principal, Operation.REQUEST_ALLOCATION, owner_id=plan.get("owner")):
        return
    open_funds = listing[listing["status"] == "open"]
    if open_funds.empty:
        st.caption("No open fund to ask.")
    else:
        names = dict(zip(open_funds["id"], open_funds["name"], strict=True))
        _ask_form(store, plan, names, principal=principal)
    if not rows.empty:
        _step_form(store, rows, principal=principal)


def _lines(text: str) -> list[dict[str, str]]:
    """Read budget lines typed one a line as ``item, amount``."""
    lines = []
    for raw in text.splitlines():
        if raw.strip():
            item, _, amount = raw.rpartition(",")
            lines.append({"item": item.strip() or raw.strip(), "amount": amount.strip()})
    return lines


def _grant_result_form(store: Store, current: pd.DataFrame, *, principal: Principal) -> None:
    """Record an approved grant's spend and the register entry it became."""
    approved = current[current["status"] == "approved"] if not current.empty else current
    if approved.empty:
        return
    whats = dict(zip(approved["id"], approved["what"], strict=True))
    register = views_register(store, principal=principal)
    places = dict(zip(register["id"], register["name"], strict=True))
    with st.form("grant_result"):
        st.markdown("**Record what an approved grant spent and became**")
        grant_id = st.selectbox("Grant", list(whats), format_func=lambda g: whats[g])
        spent = st.text_input("Spent (£)")
        evidence = st.text_input("Receipts or evidence")
        became = st.selectbox(
            "It became (an entry in the register)",
            ["", *places],
            format_func=lambda a: places.get(a, "not yet"),
        )
        if st.form_submit_button("Save"):
            try:
                grants.record_grant_result(
                    store,
                    grant_id,
                    principal=principal,
                    spent=spent,
                    evidence=evidence,
                    became=became or None,
                )
            except AssetMapError as exc:
                st.error(str(exc), icon=":material/error:")
            else:
                _done("Saved.")


def grant_path(store: Store, ideas: pd.DataFrame, *, principal: Principal) -> None:
    """On the Moderation page: shared grants so far, and apply for one from an idea."""
    if not allowed(principal, Operation.APPLY_GRANT):
        return
    st.subheader("Shared grants")
    _say_done()
    try:
        current = grants.list_grants(store, principal=principal)
        listing = funds.list_funds(store, principal=principal)
    except AssetMapError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    if not current.empty:
        widgets.table(
            current[["what", "amount", "people", "votes", "status"]]
            .assign(amount=current["amount"].map(funds.money))
            .rename(columns=str.capitalize),
            hide_index=True,
            width="stretch",
        )
    _grant_result_form(store, current, principal=principal)
    open_funds = listing[listing["status"] == "open"]
    if ideas.empty or open_funds.empty:
        st.caption("A shared grant starts from a session's idea and needs an open fund.")
        return
    names = dict(zip(open_funds["id"], open_funds["name"], strict=True))
    whats = dict(zip(ideas["id"], ideas["what"], strict=True))
    with st.form("grant_apply"):
        st.markdown("**Apply for a shared grant from an idea**")
        idea = st.selectbox("Idea", list(whats), format_func=lambda i: whats[i])
        fund_id = st.selectbox("Fund", list(names), format_func=lambda f: names[f])
        what = st.text_input("What the group will do")
        for_whom = st.text_input("For whom")
        people = st.number_input("People taking part", 1, 1000, 4)
        budget = st.text_area("Budget lines, one a line: item, amount (£)")
        if st.form_submit_button("Apply"):
            try:
                grants.apply_for_grant(
                    store,
                    idea,
                    fund_id,
                    what=what,
                    for_whom=for_whom,
                    lines=_lines(budget),
                    people=int(people),
                    principal=principal,
                )
            except AssetMapError as exc:
                st.error(str(exc), icon=":material/error:")
            else:
                _done("Application sent to the fund's approvers.")


def dashboard_funds(workspace: Workspace, *, principal: Principal) -> None:
    """On the Dashboard: fund totals and the evaluation pack.

    What shared grants added is a row of the Dashboard's one "what each
    import, mapping session or grant added" table.
    """
    store = workspace.store()
    try:
        totals = funds.fund_totals(store, principal=principal)
    except AssetMapError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    if len(totals):
        st.markdown("**Funds** (totals only; requests and plans are never shown here)")
        money_columns = ["budget", "requested_amount", "approved_amount", "spent_amount", "left"]
        shown = totals.assign(**{c: totals[c].map(funds.money_or_hidden) for c in money_columns})
        names = {
            "fund": "Fund",
            "holder": "Held by",
            "budget": "Budget",
            "requests": "Requests",
            "approved": "Approved",
            "refused": "Refused",
            "requested_amount": "Asked",
            "approved_amount": "Approved (£)",
            "spent_amount": "Spent",
            "left": "Left",
        }
        widgets.table(shown.rename(columns=names), hide_index=True, width="stretch")
    if not allowed(principal, Operation.EVALUATE):
        return
    with st.expander("Evaluation pack (anonymous; see docs/evaluation.md)"):
        left, right = st.columns(2)
        today = dt.date.today()
        start = left.date_input("From", today.replace(month=1, day=1), key="evaluation_from")
        end = right.date_input("To", today, key="evaluation_to")
        made = st.session_state.get(EVALUATION_ZIP)
        if made is not None and made[0] == (start, end):
            st.download_button(
                "Download evaluation pack (ZIP)",
                made[1],
                file_name=f"evaluation-{start}-{end}.zip",
                mime="application/zip",
            )
        elif st.button("Make the evaluation pack"):
            try:
                data = evaluation_zip(workspace, start=start, end=end, principal=principal)
            except AssetMapError as exc:
                st.error(str(exc), icon=":material/error:")
                return
            st.session_state[EVALUATION_ZIP] = ((start, end), data)
            st.rerun()
