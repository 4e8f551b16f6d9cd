"""Find support: from a start point and a person's needs, what they can walk to and use."""

import datetime as dt
import secrets

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from app import auth, cache, state, widgets
from assetmap.access import Operation, allowed
from assetmap.easy_read import LANGUAGES, easy_read_html, easy_read_text, sheet_audio_wav
from assetmap.errors import AssetMapError
from assetmap.match.needs import Constraints, Goal, MatchContext
from assetmap.opening_hours import DAY_CODES
from assetmap.output.basemap import street_box
from assetmap.output.sheet import support_sheet_html, support_sheet_pdf
from assetmap.output.viz import add_walk_area, build_asset_map
from assetmap.people.plans import (
    create_plan,
    find_support,
    list_plans,
    log_referral,
    resolve_start,
    start_hint,
)
from assetmap.reach.travel import isochrones
from assetmap.reach_service import record_gap
from assetmap.taxonomy import load_taxonomy
from assetmap.transit_service import MODE_CHOICES, available_modes, departure_window
from assetmap.workspace import open_workspace

st.title("Find support")

path = state.workspace_path()
if path is None:
    widgets.no_workspace_message()
    st.stop()
principal = auth.require_principal(path, Operation.FIND_SUPPORT)

try:
    version = cache.data_version(path)
    net_version = cache.network_version(path)
    context = cache.load_match_context(path, version, net_version, principal)
    workspace = open_workspace(path)
except AssetMapError as exc:
    st.error(str(exc), icon=":material/error:")
    st.stop()
if context is None:
    st.info("This workspace has no walking network yet: import OpenStreetMap data first.")
    st.stop()

taxonomy = load_taxonomy()
need_labels = {code: need.label for code, need in taxonomy.needs.items()}
# Good Lives Model goods work everywhere a need does.
need_labels |= {code: f"{good.label} (good)" for code, good in taxonomy.glm_goods.items()}

# A point clicked on the map (below) becomes the start point, and the search runs again.
from_click = state.FIND_CLICK in st.session_state
if from_click:
    st.session_state[state.FIND_START] = st.session_state.pop(state.FIND_CLICK)

with st.form("find_support"):
    start_text = st.text_input(
        "Start point",
        placeholder=start_hint(workspace).capitalize() + ", or click the map",
        key=state.FIND_START,
    )
    needs = st.multiselect(
        "Needs or goods",
        list(need_labels),
        format_func=need_labels.__getitem__,
        max_selections=6,
    )
    words = st.text_input("Or in the person's words", placeholder="e.g. somewhere to volunteer")
    left, middle, right = st.columns(3)
    minutes = left.slider("Most minutes to get there", 5, 60, 20, step=5)
    age = middle.number_input("Age (0 = not given)", 0, 120, 0)
    days = right.multiselect("Days they can go", list(DAY_CODES))
    left, middle, right = st.columns(3)
    time_from = left.time_input("From", dt.time(9, 0), step=1800)
    time_to = middle.time_input("Until", dt.time(17, 0), step=1800)
    person = right.selectbox(
        "The person is", ["not given", "a woman", "a man"],
        help="A woman may use women-only services (and not men-only ones).",
    )  # fmt: skip
    women_only = right.checkbox("Only women-only services")
    free_only = right.checkbox("Free only")
    wheelchair = right.checkbox("Needs wheelchair access")
    mode = "walk"
    modes = available_modes(workspace)
    if len(modes) > 1:
        mode = st.radio(
            "Getting there",
            modes,
            format_func=MODE_CHOICES.__getitem__,
            horizontal=True,
            help="Public transport: median over the hour from 'From' on the first day chosen "
            "(Tuesday if none).",
        )
    submitted = st.form_submit_button("Find support", type="primary")

if submitted or from_click:
    try:
        goals = [
            Goal(good=code) if code in taxonomy.glm_goods else Goal(need=code) for code in needs
        ]
        if words.strip():
            goals.append(Goal(text=words))
        window = (time_from.strftime("%H:%M"), time_to.strftime("%H:%M"))
        constraints = Constraints(
            women_only_wanted=True if women_only else None,
            person_is_woman={"a woman": True, "a man": False}.get(person),
            age=int(age) or None,
            free_only=free_only,
            available=tuple((day, *window) for day in days),
            wheelchair=wheelchair,
            max_minutes=float(minutes),
        )
        start = resolve_start(workspace, start_text, graph=context.graph, assets=context.assets)
        _, matches = find_support(
            workspace, start, goals, constraints, principal=principal, context=context,
            mode=mode, depart=departure_window(days[0] if days else "Tue", time_from),
        )  # fmt: skip
    except AssetMapError as exc:
        st.error(str(exc), icon=":material/error:")
        st.stop()
    st.session_state[state.FIND_RESULT] = {
        "request": secrets.token_hex(16),  # one plan, one gap per search (idempotency key)
        "start": start,
        "goals": [g.to_record() for g in goals],
        "constraints": constraints.to_record(),
        "mode": mode,
        "matches": [
            {"goal": m.goal.to_record(), "gap": m.gap, "excluded": m.excluded,
             "results": m.results, "no_match": m.no_match, "notes": m.notes,
             "remote": m.remote, "need": m.need, "urgent": m.urgent}
            for m in matches
        ],
    }  # fmt: skip
    st.session_state.pop(state.FIND_PDF, None)
    st.session_state.pop(state.FIND_AUDIO, None)

result = st.session_state.get(state.FIND_RESULT)
if not result:
    st.caption("Give a start point and at least one need (or some words), then **Find support**.")
    st.stop()

start = result["start"]
limit = float(result["constraints"]["max_minutes"])
st.caption(
    f"From **{widgets.md_escape(start.label)}** (area {widgets.md_escape(start.area or '?')}), "
    f"within {limit:.0f} minutes ({MODE_CHOICES[result.get('mode', 'walk')].lower()}). "
    "Services that would not take the person are left out; "
    "anything to check is under *Check*."
)

all_rows = []
all_remote: list[pd.DataFrame] = []
for number, match in enumerate(result["matches"], start=1):
    goal = match["goal"]
    heading = need_labels.get(goal["need"] or goal["good"] or "", "") or goal["text"]
    st.header(f"{number}. {widgets.md_escape(heading)}")
    if match["excluded"]:
        left_out = ", ".join(f"{n} {why}" for why, n in sorted(match["excluded"].items()))
        st.caption(f"Not offered: {left_out}.")
    for line in match["notes"]:
        st.info(widgets.md_escape(line), icon=":material/directions_walk:")
    remote = match["remote"]
    if len(remote) and match["urgent"]:
        st.error("Urgent: national helplines first.", icon=":material/call:")
    if len(remote):
        lines = [
            f"- **{widgets.md_escape(str(h['name']))}**: {widgets.md_escape(str(h['phone']))}"
            f" ({widgets.md_escape(str(h['hours']))}; {widgets.md_escape(str(h['area']))})"
            for h in remote.to_dict("records")
        ]
        st.markdown("National helplines (no walking):\n" + "\n".join(lines))
        all_remote.append(remote)
    if match["no_match"]:
        # Only when nothing local fits: a result found is never offered as a gap.
        st.warning(widgets.md_escape(match["gap"]), icon=":material/search_off:")
        need = match["need"]
        if need and start.area and st.button("Record this gap", key=f"gap_{number}"):
            try:
                record_gap(
                    workspace.store(), need=need, area=start.area,
                    lon=start.coarse_lon, lat=start.coarse_lat, note=match["gap"],
                    principal=principal, request_key=f"{result['request']}-gap-{number}",
                )  # fmt: skip
                st.success("Gap recorded for the area (no personal details).")
            except AssetMapError as exc:
                st.error(str(exc), icon=":material/error:")
        continue
    table = match["results"]
    all_rows.append(table)
    columns = {"rank": "#", "name": "Name", "minutes": "Minutes", "why": "Why",
               "warnings": "Check", "hours": "Open"}  # fmt: skip
    widgets.table(
        table[list(columns)].rename(columns=columns),
        hide_index=True,
        width="stretch",
        column_config={  # pixels: all six columns fit a laptop screen; hover shows the rest
            "#": st.column_config.NumberColumn(width=36),
            "Name": st.column_config.TextColumn(width=200),
            "Minutes": st.column_config.NumberColumn(width=64, format="%.0f"),
            "Why": st.column_config.TextColumn(width=330),
            "Check": st.column_config.TextColumn(width=170),
            "Open": st.column_config.TextColumn(width=130),
        },
    )

found = pd.concat(all_rows).drop_duplicates("id") if all_rows else pd.DataFrame()


@st.fragment
def _map(match_context: MatchContext, workspace_path: str) -> None:
    ids = set(found["id"]) if len(found) else set()
    shown = match_context.assets[match_context.assets["id"].isin(ids)]
    try:
        area = isochrones(match_context.graph, start.lon, start.lat, minutes=[limit])
    except AssetMapError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    # Streets around the walking area only: the map opens on it (fit to its bounds).
    around = street_box(area.polygons.total_bounds, (start.lon, start.lat))
    streets = cache.load_streets_around(workspace_path, net_version, around)
    fmap = add_walk_area(
        build_asset_map(
            shown, taxonomy=taxonomy, leaflet_url=widgets.leaflet_url(), streets=streets
        ),
        area.polygons,
        start=(start.lon, start.lat),
        minutes=limit,
    )
    clicked = st_folium(
        fmap, key="find_map", height=460, use_container_width=True,
        returned_objects=["last_clicked"],
    )  # fmt: skip
    st.caption(
        f"Blue outline: within {limit:.0f} minutes' walk of the start point (black ring). "
        "Click the map to search from another point. " + widgets.OSM_CREDIT
    )
    point = (clicked or {}).get("last_clicked")
    if point:
        latlon = f"{float(point['lat']):.5f},{float(point['lng']):.5f}"
        if st.button(f"Search from the clicked point ({latlon})", key="find_from_click"):
            st.session_state[state.FIND_CLICK] = latlon
            st.rerun(scope="app")


_map(context, path)

if found.empty:
    st.stop()

names = dict(zip(found["id"], found["name"], strict=True))
chosen = st.multiselect(
    "Chosen services (for the sheet or a plan)",
    list(names),
    default=list(names)[:3],
    format_func=names.__getitem__,
    key=state.FIND_CHOSEN,
)
picked = found.set_index("id").loc[chosen].reset_index() if chosen else found.iloc[0:0]


@st.fragment
def _sheet() -> None:
    """The support sheet: its note, style, language, map option, PDF and audio rerun only here."""
    note = st.text_area("A note for the sheet (optional; nothing else about the person is shown)")
    mark_start = st.checkbox("Mark the start point on the map", value=False)
    left, right = st.columns(2)
    style = left.radio(
        "Sheet style",
        ["standard", "easy"],
        format_func={"standard": "Standard", "easy": "Easy Read (short lines, icons, steps)"}.get,
        horizontal=True,
        help="Easy Read is for people who find reading hard: one idea a line, an icon for "
        "each place, how to get there in steps, opening times in words.",
    )
    language = right.selectbox(
        "Language of the sheet's own words (Easy Read)",
        list(LANGUAGES),
        format_func=lambda code: LANGUAGES[code][0],
        disabled=style != "easy",
        help="Service names and descriptions stay as they were entered.",
    )
    if picked.empty:
        st.info("Choose at least one service.")
        return
    where = (start.lon, start.lat) if mark_start else None
    try:
        network = cache.load_walk_network(path, net_version)
        phones = pd.concat(all_remote).drop_duplicates("name") if all_remote else None
        if style == "easy":
            page = easy_read_html(
                picked, network=network, note=note or None, start=where, language=language
            )
        else:
            page = support_sheet_html(
                picked, network=network, note=note or None, start=where, helplines=phones
            )
    except AssetMapError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    st.download_button("Download sheet (HTML)", page, "support-sheet.html", "text/html")
    if st.button("Make a PDF"):
        st.session_state[state.FIND_PDF] = support_sheet_pdf(page)
    if st.session_state.get(state.FIND_PDF):
        st.download_button(
            "Download sheet (PDF)",
            st.session_state[state.FIND_PDF],
            "support-sheet.pdf",
            "application/pdf",
        )
    if style == "easy" and st.button(
        "Make an audio file (listen)",
        help="Reads the Easy Read sheet aloud into a sound file the person can play on "
        "their phone. Made on this computer, offline.",
    ):
        try:
            st.session_state[state.FIND_AUDIO] = sheet_audio_wav(
                easy_read_text(picked, start=where, language=language), language=language
            )
        except AssetMapError as exc:
            st.error(str(exc), icon=":material/error:")
    if st.session_state.get(state.FIND_AUDIO):
        st.audio(st.session_state[state.FIND_AUDIO], format="audio/wav")
        st.download_button(
            "Download the audio (WAV)",
            st.session_state[state.FIND_AUDIO],
            "support-sheet.wav",
            "audio/wav",
        )


sheet_tab, plan_tab = st.tabs(["Support sheet", "Add to a plan"])
with sheet_tab:
    _sheet()

with plan_tab:
    if not allowed(principal, Operation.CREATE_PLAN, owner_id=principal.user_id):
        st.info("Your role cannot keep plans.")
    elif picked.empty:
        st.info("Choose at least one service.")
    else:
        plans = list_plans(workspace.store(), principal=principal)
        options = ["(a new plan)", *plans["reference"].tolist()]
        target = st.selectbox("Plan", options)
        if st.button("Add as suggested", type="primary"):
            try:
                store = workspace.store()
                if target == options[0]:  # the plan and its referrals in one transaction
                    plan = create_plan(
                        store, start=start, principal=principal,
                        goals=[Goal(**g) for g in result["goals"]],
                        constraints=Constraints.from_record(result["constraints"]),
                        request_key=f"{result['request']}-plan", suggested=list(picked["id"]),
                    )  # fmt: skip
                else:
                    plan_id = plans.loc[plans["reference"] == target, "id"].iloc[0]
                    plan = {"id": plan_id, "reference": target}
                    for asset_id in picked["id"]:
                        log_referral(store, plan_id, asset_id, "suggested", principal=principal)
                st.success(
                    f"Added {len(picked)} service(s) to plan {plan['reference']} as suggested."
                )
            except AssetMapError as exc:
                st.error(str(exc), icon=":material/error:")
