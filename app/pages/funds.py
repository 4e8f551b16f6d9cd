"""Funds page: decide on requests for money and shared grants; create funds.

For approvers (decisions, funds) and admins (funds). Every action goes through
the core (:mod:`assetmap.people.funds`, :mod:`assetmap.people.grants`), which
checks the role, the four-eyes rule, the caps and the budget itself.
"""

from collections.abc import Callable

import pandas as pd
import streamlit as st

from app import auth, state, widgets
from assetmap.access import Operation, allowed
from assetmap.errors import AssetMapError
from assetmap.people import funds, grants
from assetmap.wording import uk_date
from assetmap.workspace import open_workspace

st.title("Funds")

path = state.workspace_path()
if path is None:
    widgets.no_workspace_message()
    st.stop()
principal = auth.require_principal(
    path, Operation.DECIDE_ALLOCATION, Operation.DECIDE_GRANT, Operation.MANAGE_FUNDS
)
store = open_workspace(path).store()


def _act(action: Callable[[], object], message: str) -> None:
    """Do it through the core; say ``message``, or why it was refused."""
    try:
        action()
    except AssetMapError as exc:
        st.error(str(exc), icon=":material/error:")
    else:
        st.session_state[state.FUNDS_FLASH] = message
        st.rerun()


flash = st.session_state.pop(state.FUNDS_FLASH, None)
if flash:
    st.success(flash, icon=":material/check_circle:")

requests_tab, grants_tab, funds_tab = st.tabs(["Requests", "Shared grants", "Funds"])

with requests_tab:
    if not allowed(principal, Operation.DECIDE_ALLOCATION):
        st.info("Only approvers decide on requests for money.", icon=":material/info:")
    else:
        waiting = funds.pending_requests(store, principal=principal)
        if waiting.empty:
            st.info("No requests are waiting for your decision.", icon=":material/inbox:")
        labels = funds.spend_categories()
        for row in waiting.to_dict("records"):
            with st.form(f"{state.FUNDS_DECIDE}.{row['id']}"):
                st.markdown(f"**{funds.money(row['amount'])}** from {row['fund']}")
                st.text(f"What: {row['what']}\nWhy: {row['why']}")
                st.caption(
                    f"Category: {labels.get(row['category'], row['category'])} · need: "
                    f"{row['need']} · supplier: {row['supplier'] or 'not given'} · asked on "
                    f"{uk_date(row['requested_on'])}"
                )
                note = st.text_input("Note (needed to refuse)", key=f"note.{row['id']}")
                approve, refuse = st.columns(2)
                if approve.form_submit_button("Approve", type="primary"):
                    _act(
                        lambda r=row, n=note: funds.approve_allocation(
                            store,
                            r["id"],
                            principal=principal,
                            note=n or None,
                            expected_version=int(r["version"]),
                        ),
                        "Approved.",
                    )
                if refuse.form_submit_button("Refuse"):
                    _act(
                        lambda r=row, n=note: funds.refuse_allocation(
                            store,
                            r["id"],
                            principal=principal,
                            note=n,
                            expected_version=int(r["version"]),
                        ),
                        "Refused.",
                    )

with grants_tab:
    if not allowed(principal, Operation.DECIDE_GRANT):
        st.info("Only approvers decide on shared grants.", icon=":material/info:")
    else:
        applied = grants.list_grants(store, principal=principal)
        applied = applied[applied["status"] == "applied"] if not applied.empty else applied
        if applied.empty:
            st.info("No shared grant applications are waiting.", icon=":material/inbox:")
        for row in applied.to_dict("records"):
            with st.form(f"{state.FUNDS_DECIDE}.grant.{row['id']}"):
                st.markdown(f"**{row['what']}**: {funds.money(row['amount'])}")
                st.caption(
                    f"For {row['for_whom']} · {row['people']} people · {row['votes']} votes "
                    f"in the session · need {row['need']}"
                )
                note = st.text_input("Note (needed to refuse)", key=f"gnote.{row['id']}")
                approve, refuse = st.columns(2)
                for button, verdict in ((approve, True), (refuse, False)):
                    label = "Approve" if verdict else "Refuse"
                    if button.form_submit_button(label):
                        _act(
                            lambda r=row, n=note, v=verdict: grants.decide_grant(
                                store, r["id"], approve=v, principal=principal, note=n or None
                            ),
                            f"{label}d.",
                        )

with funds_tab:
    if allowed(principal, Operation.VIEW_FUNDS):
        listing = funds.list_funds(store, principal=principal)
        if listing.empty:
            st.info("No funds yet.", icon=":material/savings:")
        else:
            shown = pd.DataFrame(
                {
                    "Fund": listing["name"],
                    "Holder": listing["holder"],
                    "Budget": listing["budget"].map(funds.money),
                    "From": listing["start"],
                    "To": listing["end"],
                    "Per person": listing["person_cap"].map(funds.money),
                    "Per request": listing["request_cap"].map(funds.money),
                    "Status": listing["status"],
                }
            )
            widgets.table(shown, hide_index=True, width="stretch")
    if allowed(principal, Operation.MANAGE_FUNDS):
        with st.form(state.FUNDS_ADD_FORM, clear_on_submit=True):
            st.markdown("**New fund**")
            name = st.text_input("Name")
            holder = st.text_input("Held by (organisation)")
            budget = st.text_input("Budget (£)")
            start = st.date_input("Requests from", format="DD/MM/YYYY")
            end = st.date_input("Requests until", format="DD/MM/YYYY")
            person_cap = st.text_input("Most per person (£, blank: no cap)")
            request_cap = st.text_input("Most per request (£, blank: no cap)")
            grant_cap = st.text_input("Most per shared grant (£, blank: no cap)")
            min_group = st.number_input("Fewest people for a shared grant", 1, 100, 4)
            if st.form_submit_button("Create fund", type="primary"):
                data = {
                    "name": name,
                    "holder": holder,
                    "budget": budget,
                    "start": start,
                    "end": end,
                    "person_cap": person_cap,
                    "request_cap": request_cap,
                    "grant_cap": grant_cap,
                    "min_group": int(min_group),
                }
                _act(lambda: funds.create_fund(store, data, principal=principal), "Fund created.")
