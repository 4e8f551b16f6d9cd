"""The money panel of the Plans page: a plan's requests to funds, and asking for more.

Kept out of ``app/pages/plans.py`` so the page only calls :func:`plan_money`.
Everything goes through :mod:`assetmap.people.funds`, which checks the
caseload, the caps and the fund's period itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from app import widgets
from assetmap.access import Operation, Principal, allowed
from assetmap.errors import AssetMapError
from assetmap.people import funds

if TYPE_CHECKING:
    from assetmap.store import Store


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
    store: Store, plan: Mapping[str, Any], principal: Principal, fund_names: Mapping[str, str]
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
                st.success("Request sent to the fund's approvers.")
                st.rerun()


def _step_form(store: Store, rows: pd.DataFrame, principal: Principal) -> None:
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
        _ask_form(
            store, plan, principal, dict(zip(open_funds["id"], open_funds["name"], strict=True))
        )
    if not rows.empty:
        _step_form(store, rows, principal)
