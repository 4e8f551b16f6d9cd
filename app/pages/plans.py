"""Plans: each plan by its reference, its goals, matches, referral log and accessible range."""

import datetime as dt

import pandas as pd
import streamlit as st

from app import auth, cache, state, widgets
from app.money import plan_money
from assetmap.access import Operation, allowed
from assetmap.errors import AssetMapError
from assetmap.match.needs import Constraints, Goal, match_plan
from assetmap.people.plans import (
    REFERRAL_STEPS,
    close_plan,
    get_plan,
    list_plans,
    log_referral,
    plan_range_over_time,
    referral_log,
)
from assetmap.taxonomy import load_taxonomy
from assetmap.workspace import open_workspace

st.title("Plans")

path = state.workspace_path()
if path is None:
    widgets.no_workspace_message()
    st.stop()
principal = auth.require_principal(path, Operation.VIEW_PLAN)

try:
    version = cache.data_version(path)
    context = cache.load_match_context(path, version, cache.network_version(path), principal)
    store = open_workspace(path).store()
    plans = list_plans(store, principal=principal, include_closed=True)
except AssetMapError as exc:
    st.error(str(exc), icon=":material/error:")
    st.stop()

if plans.empty:
    st.info("No plans in your caseload yet. Start one from **Find support**.")
    st.stop()

widgets.table(
    plans[["reference", "home_area", "status", "n_goals", "version"]].rename(
        columns={"reference": "Reference", "home_area": "Area", "status": "Status",
                 "n_goals": "Goals", "version": "Version"}
    ),
    hide_index=True,
    width="stretch",
)  # fmt: skip
reference = st.selectbox("Plan", plans["reference"].tolist(), key=state.PLANS_SELECTED)
plan_id = str(plans.loc[plans["reference"] == reference, "id"].iloc[0])
try:
    plan = get_plan(store, plan_id, principal=principal)
except AssetMapError as exc:
    st.error(str(exc), icon=":material/error:")
    st.stop()

taxonomy = load_taxonomy()
constraints = Constraints.from_record(plan["constraints"])
goals = [Goal(**g) for g in plan["goals"]]
st.caption(
    f"Plan **{widgets.md_escape(plan['reference'])}** · area {widgets.md_escape(plan['home_area'])}"
    f" · {plan['status']} · up to {constraints.max_minutes:.0f} minutes' walk"
)
widgets.table(
    pd.DataFrame(
        {
            "Need": [taxonomy.needs[g.need].label if g.need else "" for g in goals],
            "Good": [taxonomy.glm_goods[g.good].label if g.good else "" for g in goals],
            "In their words": [g.text for g in goals],
        }
    ),
    hide_index=True,
    width="stretch",
)

matches_tab, log_tab, range_tab = st.tabs(["Matches", "Referral log", "Accessible range"])
names: dict[str, str] = {}
if context is not None:
    names = dict(zip(context.assets["id"], context.assets["name"], strict=True))

with matches_tab:
    if context is None:
        st.info("This workspace has no walking network yet.")
    else:
        try:
            found = match_plan(
                context, plan["home_lon"], plan["home_lat"], goals, constraints,
                principal=principal, limit=5,
            )  # fmt: skip
        except AssetMapError as exc:
            st.error(str(exc), icon=":material/error:")
            found = ()
        st.caption("From the centre of the plan's area (its only stored location).")
        for goal, match in zip(goals, found, strict=True):
            heading = (
                taxonomy.needs[goal.need].label if goal.need
                else taxonomy.glm_goods[goal.good].label if goal.good
                else goal.text
            )  # fmt: skip
            st.markdown(f"**{widgets.md_escape(heading)}**")
            if match.gap:
                st.warning(widgets.md_escape(match.gap), icon=":material/search_off:")
                continue
            widgets.table(
                match.results[["rank", "name", "minutes", "why", "warnings"]].rename(
                    columns={"rank": "#", "name": "Name", "minutes": "Minutes", "why": "Why",
                             "warnings": "Check"}
                ),
                hide_index=True,
                width="stretch",
            )  # fmt: skip

with log_tab:
    log = referral_log(store, plan_id, principal=principal)
    shown = log.assign(service=[names.get(a, a) for a in log["asset_id"]])
    widgets.table(
        shown[["on", "service", "step", "reason", "by", "version"]],
        hide_index=True,
        width="stretch",
    )
    if allowed(principal, Operation.LOG_REFERRAL, owner_id=plan["owner"]) and names:
        with st.form("log_step"):
            known = list(dict.fromkeys(log["asset_id"].tolist())) or list(names)[:50]
            service = st.selectbox("Service", known, format_func=lambda a: names.get(a, a))
            step = st.selectbox("Step", REFERRAL_STEPS)
            on = st.date_input("On", dt.date.today(), format="DD/MM/YYYY")
            reason = st.text_input("Reason (needed when stopped)")
            if st.form_submit_button("Log step"):
                try:
                    log_referral(
                        store, plan_id, service, step, principal=principal, on=on,
                        reason=reason or None,
                    )  # fmt: skip
                    st.success("Step logged.")
                    st.rerun()
                except AssetMapError as exc:
                    st.error(str(exc), icon=":material/error:")

with range_tab:
    if context is None:
        st.info("This workspace has no walking network yet.")
    else:
        history = plan_range_over_time(store, context.graph, plan, principal=principal, months=6)
        latest = history.iloc[-1]
        left, right = st.columns(2)
        left.metric("Needs within reach", int(latest["n_needs"]))
        right.metric("Kinds of service within reach", int(latest["n_categories"]))
        chart = history.set_index("as_of")[["n_needs", "n_categories"]].rename(
            columns={"n_needs": "Needs", "n_categories": "Kinds of service"}
        )
        st.line_chart(chart)

plan_money(store, plan, principal=principal)

can_edit = allowed(principal, Operation.EDIT_PLAN, owner_id=plan["owner"])
if plan["status"] == "open" and can_edit and st.button("Close this plan"):
    try:
        close_plan(store, plan_id, expected_version=int(plan["version"]), principal=principal)
        st.rerun()
    except AssetMapError as exc:
        st.error(str(exc), icon=":material/error:")
