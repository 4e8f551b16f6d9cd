"""Mapping session page: start a session, join with a code, add what the group knows.

Facilitators start a session and read out its join code; participants type the
code and add places, volunteering, gaps, comments and ideas, tapping the map to
place them. Everything goes in as *proposed* for the Moderation page. The core
(``assetmap.people.sessions``) checks every call against the caller.
"""

import datetime as dt
import secrets
from typing import Any

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from app import auth, cache, state, widgets
from assetmap import register
from assetmap.access import Operation, Principal, Role, allowed
from assetmap.errors import AssetMapError
from assetmap.idempotency import form_key
from assetmap.output.palette import HIGHLIGHT, OKABE_ITO
from assetmap.output.viz import (
    add_crosshair,
    area_bounds,
    build_asset_map,
    find_places,
    nearest_place,
)
from assetmap.people import sessions as ms
from assetmap.people.accounts import issue_session_code, join_session
from assetmap.people.serving import local_facilitator
from assetmap.records import GAP_ENTITY
from assetmap.taxonomy import load_taxonomy
from assetmap.wording import (
    BARRIER_WORDS,
    COST_WORDS,
    KIND_WORDS,
    NEED_WORDS,
    STATUS_WORDS,
    TYPE_WORDS,
    WELCOME_WORDS,
    YES_NO,
    W,
    uk_date,
)  # fmt: skip
from assetmap.workspace import open_workspace

F = state.SESSION_FORM
TRI_STATE = {"unknown": None, "yes": True, "no": False}
FORMS_ANCHOR = "tell-us-about-it"

st.title("Mapping session")
path = state.workspace_path()
if path is None:
    widgets.no_workspace_message()
    st.stop()
widgets.touch_friendly_style()

try:
    store = open_workspace(path).store()
    settings = cache.load_settings(path, cache.data_version(path))
except AssetMapError as exc:
    st.error(str(exc), icon=":material/error:")
    st.stop()
taxonomy = load_taxonomy()
principal = auth.current_principal(path)
client = st.session_state.setdefault(state.SESSION_CLIENT, secrets.token_hex(8))


def flash(kind: str, message: str, where: str = "top") -> None:
    """Keep a message to show after the rerun a button causes, beside that button."""
    st.session_state[state.SESSION_FLASH] = (kind, message, where)


def show_flash(where: str = "top") -> None:
    """Show (once) the message a button left, in a slot that is always there.

    ``where`` names the button's place (``"place"``, ``"gap"``, ...): each form
    draws its slot just under its own button, so the result is where the
    person is looking. The slot is drawn on every run, so the elements after
    it keep their places and the tabs stay on the tab the participant chose.
    """
    slot = st.empty()
    kept = st.session_state.get(state.SESSION_FLASH)
    if kept and kept[2] == where:
        del st.session_state[state.SESSION_FLASH]
        kind, message, _ = kept
        if kind == "success":
            slot.success(message, icon=":material/check_circle:")
        else:
            slot.error(message, icon=":material/error:")


FORM_DEFAULTS: dict[str, Any] = {
    "name": "", "kind": "service", "category": "", "hours": "", "cost": "",
    "referral": "unknown", "welcoming": "unknown", "women": False,
    "v_what": "", "v_when": "", "v_org": "", "v_dbs": "unknown", "v_conv": "unknown",
    "g_area": "", "g_note": "", "c_welcoming": 0, "c_barriers": [], "c_note": "",
    "i_what": "", "i_who": "", "i_needs": "",
}  # fmt: skip


def clear(*names: str) -> None:
    """Put form widgets (by their key suffix) back to their defaults (in a button callback).

    Assigned, not deleted: a deleted key lets the browser send back what it showed.
    """
    for name in names:
        st.session_state[F + name] = FORM_DEFAULTS[name]


def join_form() -> None:
    """The code box for participants."""
    st.header(W["join_heading"])
    with st.form(F + "join"):
        code = st.text_input(
            W["join_label"], placeholder=W["join_placeholder"], help=W["join_help"]
        )
        if st.form_submit_button(W["join_button"], type="primary"):
            try:
                st.session_state[auth.PRINCIPAL] = join_session(store, code, client=client)
            except AssetMapError as exc:
                st.error(str(exc), icon=":material/error:")
            else:
                st.rerun()


# ---------------------------------------------------------------- who is here
can_start = principal is not None and allowed(principal, Operation.START_SESSION)
if principal is not None and principal.user_id == auth.LOCAL_ADMIN_ID and not can_start:
    st.info(
        "This workspace has no accounts, so whoever runs it on this computer can run a "
        "session. Participants join on their own device with the code.",
        icon=":material/info:",
    )
    if st.button("Run a session from this computer", type="primary"):
        st.session_state[auth.PRINCIPAL] = local_facilitator(principal)
        st.rerun()
    join_form()
    st.stop()
if principal is None or (principal.role is not Role.PARTICIPANT and not can_start):
    join_form()
    st.stop()

if principal.role is Role.PARTICIPANT:
    session_id: str | None = principal.session_id
else:
    session_id = st.session_state.get(state.SESSION_ID)

# ---------------------------------------------------------------- start or continue
if session_id is None:
    show_flash()
    st.header("Start a session")
    with st.form(F + "start"):
        left, right = st.columns(2)
        date = left.date_input("Date", value=dt.date.today(), format="DD/MM/YYYY")
        people = right.number_input("How many people are taking part", 0, 100, 6, step=1)
        area = left.text_input("Area", placeholder="e.g. Oakham town centre")
        group = right.text_input("Group", placeholder="e.g. Tuesday group (no names)")
        started = st.form_submit_button("Start the session", type="primary")
    if started:
        try:
            new_id = ms.start_session(
                store,
                principal=principal,
                date=date,
                area=area,
                group_label=group,
                participants=int(people),
            )
            st.session_state[state.SESSION_CODE] = issue_session_code(
                store, new_id, actor=principal
            )
        except AssetMapError as exc:
            st.error(str(exc), icon=":material/error:")
        else:
            st.session_state[state.SESSION_ID] = new_id
            st.rerun()
    if allowed(principal, Operation.MODERATE):
        labels = ms.session_labels(store, principal=principal, status="open")
        if labels:
            st.header("Or carry on with an open session")
            chosen = st.selectbox("Open sessions", list(labels), format_func=labels.__getitem__)
            if st.button("Carry on with this session"):
                st.session_state[state.SESSION_ID] = chosen
                st.rerun()
    st.stop()

try:
    session = ms.get_session(store, session_id, principal=principal)
except AssetMapError as exc:
    st.error(str(exc), icon=":material/error:")
    st.session_state.pop(state.SESSION_ID, None)
    st.stop()
# Narrowed for the button callbacks below (mypy does not carry narrowing into them).
me: Principal = principal
sid: str = session_id

st.markdown(
    f"**{widgets.md_escape(session['group_label'])}** · {widgets.md_escape(session['area'])} · "
    f"{uk_date(session['date'])}"
)
if session["status"] != "open":
    st.warning(W["ended"], icon=":material/flag:")
    st.stop()

if can_start:
    code = st.session_state.get(state.SESSION_CODE)
    left, right = st.columns([3, 1])
    if code:
        left.markdown(f"## Join code: `{code}`")
        left.caption("Participants open this app on their own device and type the code.")
    else:
        left.caption("The join code was shown when the session started.")
    if right.button("New join code"):
        st.session_state[state.SESSION_CODE] = issue_session_code(
            store, session_id, actor=principal
        )
        st.rerun()
    if not st.session_state.get(state.SESSION_ENDING):
        if right.button("End the session"):
            st.session_state[state.SESSION_ENDING] = True
            st.rerun()
    else:
        right.warning("End the session for everyone? Nobody can add more.", icon=":material/flag:")
        if right.button("Yes, end it", type="primary"):
            ms.close_session(store, session_id, principal=principal)
            for key in (state.SESSION_ID, state.SESSION_CODE, state.SESSION_POINT):
                st.session_state.pop(key, None)
            flash(
                "success",
                "The session has ended. What people added (their proposals) waits on the "
                "Moderation page, where you accept or reject each one.",
            )
            st.session_state.pop(state.SESSION_ENDING, None)
            st.rerun()
        if right.button("No, carry on"):
            st.session_state.pop(state.SESSION_ENDING, None)
            st.rerun()

# ---------------------------------------------------------------- the map
assets = ms.visible_register(store, principal=principal)
point: tuple[float, float] | None = st.session_state.get(state.SESSION_POINT)
tiles = widgets.tile_choice(settings.get("tiles"))
streets = cache.load_streets(path, cache.network_version(path))
TOUCH_MARKER_RADIUS = 11  # px: markers a finger can tap on a tablet
# A marker's popup says what kind of place it is, and "not checked yet", in plain words.
POPUP_WORDS = {**KIND_WORDS, "proposed": STATUS_WORDS["proposed"]}
st.header(W["map_heading"], anchor="where")
st.caption(W["map_hint"])

# Finding first: a street, a postcode or a name, typed (no map, works by keyboard).
find_col, pick_col = st.columns([2, 3])
query = find_col.text_input(W["find_label"], key=F + "find", placeholder=W["find_placeholder"])
if query.strip():
    found = find_places(assets, query)
    if found.empty:
        pick_col.info(W["find_none"])
    else:
        places = {
            r["id"]: (float(r["geometry"].x), float(r["geometry"].y), str(r["label"]))
            for r in found.to_dict("records")
        }
        pick = pick_col.selectbox(
            W["find_pick"], list(places), format_func=lambda i: places[i][2], key=F + "found"
        )
        if pick_col.button(W["find_use"], key=F + "use_found"):
            st.session_state[state.SESSION_POINT] = places[pick][:2]
            st.session_state.pop(state.SESSION_TAPPED, None)
            st.rerun()

# Pin mode: markers let taps through and a cross marks the middle of the map.
pin_mode = st.toggle(W["pin_mode"], key=F + "pin_mode")
fmap = build_asset_map(
    assets,
    taxonomy=taxonomy,
    tiles=tiles,
    leaflet_url=widgets.leaflet_url(),
    streets=streets,
    marker_radius=TOUCH_MARKER_RADIUS,
    markers_take_taps=not pin_mode,
    popup_words=POPUP_WORDS,
)
if pin_mode:
    add_crosshair(fmap)
if point is not None:
    folium.CircleMarker(
        location=[point[1], point[0]],
        radius=14,
        color=OKABE_ITO["black"],
        weight=3,
        fill=True,
        fill_color=HIGHLIGHT,
        fill_opacity=0.9,
        tooltip="The new place",
        interactive=not pin_mode,
    ).add_to(fmap)
    fmap.fit_bounds([[point[1] - 0.004, point[0] - 0.006], [point[1] + 0.004, point[0] + 0.006]])
else:  # open on the session's area (its streets), not the whole register
    around = area_bounds(assets, str(session["area"] or ""))
    if around is not None:
        fmap.fit_bounds(around)

# Keyboard users can jump over the map's controls to the forms (the map is optional).
st.markdown(f"[{W['skip_map']}](#{FORMS_ANCHOR})")
clicked = st_folium(
    fmap, key=F + "map", height=600, use_container_width=True,
    returned_objects=["last_clicked", "last_object_clicked", *(["center"] if pin_mode else [])],
)  # fmt: skip
st.caption(widgets.OSM_CREDIT)
if pin_mode:
    centre = (clicked or {}).get("center")
    cross_col, hint_col = st.columns([2, 3])
    hint_col.caption(W["pin_mode_hint"])
    if cross_col.button(W["pin_at_cross"], key=F + "pin_cross", disabled=not centre):
        st.session_state[state.SESSION_POINT] = (round(centre["lng"], 6), round(centre["lat"], 6))
        st.session_state.pop(state.SESSION_TAPPED, None)
        st.rerun()
# A tap on the map puts the pin where the finger was; a tap on a marker asks first:
# that place (say something about it), or a new place here.
taps = ((clicked or {}).get("last_clicked"), (clicked or {}).get("last_object_clicked"))
before = st.session_state.get(state.SESSION_CLICK) or (None, None)
if any(taps) and taps != before:
    st.session_state[state.SESSION_CLICK] = taps
    on_marker = bool(taps[1]) and taps[1] != before[1] and not pin_mode
    tap = taps[1] if on_marker else taps[0] or taps[1]
    where = (round(tap["lng"], 6), round(tap["lat"], 6))
    if on_marker and nearest_place(assets, where) is not None:
        st.session_state[state.SESSION_TAPPED] = where
    else:
        st.session_state[state.SESSION_POINT] = where
        st.session_state.pop(state.SESSION_TAPPED, None)
    st.rerun()
offer: tuple[float, float] | None = st.session_state.get(state.SESSION_TAPPED)
tapped = nearest_place(assets, offer) if offer is not None else None
if offer is not None and tapped is not None:
    tapped_name = widgets.md_escape(tapped[1])
    st.info(W["tapped_place"].format(name=tapped_name), icon=":material/touch_app:")
    say_col, new_col = st.columns(2)
    if say_col.button(W["say_about"].format(name=tapped_name), key=F + "say_about"):
        st.session_state[F + "c_asset"] = tapped[0]
        st.session_state.pop(state.SESSION_TAPPED, None)
        flash("success", W["say_about_next"].format(name=tapped_name))
        st.rerun()
    if new_col.button(W["tapped_pin"], key=F + "pin_here"):
        st.session_state[state.SESSION_POINT] = offer
        st.session_state.pop(state.SESSION_TAPPED, None)
        st.rerun()
elif point is None:
    st.info(W["no_pin"], icon=":material/touch_app:")
if point is not None:
    near = nearest_place(assets, point)
    pin_text = W["pin_near"].format(name=widgets.md_escape(near[1])) if near else W["pin_set"]
    pin_col, clear_col = st.columns([3, 1])
    pin_col.success(pin_text)
    if clear_col.button(W["pin_clear"], key=F + "pin_clear"):
        st.session_state.pop(state.SESSION_POINT, None)
        st.rerun()


# ---------------------------------------------------------------- saving (button callbacks)
def value(name: str, default: Any = None) -> Any:
    """Return a form widget's value."""
    return st.session_state.get(F + name, default)


def save_place() -> None:
    """Propose the place in the form."""
    where = st.session_state.get(state.SESSION_POINT)
    if where is None:
        flash("error", W["need_pin"], "place")
        return
    category = value("category")
    data = {
        "name": value("name", ""),
        "kind": value("kind", "service"),
        "categories": [category] if category else [],
        "opening_hours": value("hours") or None,
        "cost": value("cost") or None,
        "referral_required": TRI_STATE[value("referral", "unknown")],
        "welcoming": TRI_STATE[value("welcoming", "unknown")],
        "women_only": bool(value("women", False)),
        "lon": where[0],
        "lat": where[1],
    }
    try:
        ms.propose_asset(store, sid, data, principal=me, request_key=form_key("place", data))
    except AssetMapError as exc:
        flash("error", str(exc), "place")
        return
    flash("success", W["place_saved"].format(name=widgets.md_escape(data["name"])), "place")
    clear("name", "kind", "category", "hours", "cost", "referral", "welcoming", "women")
    st.session_state.pop(state.SESSION_POINT, None)


def save_volunteering() -> None:
    """Propose the volunteering opportunity in the form."""
    where = st.session_state.get(state.SESSION_POINT)
    if where is None:
        flash("error", W["need_pin"], "vol")
        return
    offer = {
        "what": value("v_what", ""),
        "lon": where[0],
        "lat": where[1],
        "when": value("v_when") or None,
        "organisation": value("v_org") or None,
        "dbs_check": TRI_STATE[value("v_dbs", "unknown")],
        "open_to_convictions": TRI_STATE[value("v_conv", "unknown")],
    }
    try:
        ms.propose_volunteering(
            store, sid, principal=me, request_key=form_key("volunteering", offer), **offer
        )
    except AssetMapError as exc:
        flash("error", str(exc), "vol")
        return
    flash("success", W["vol_saved"].format(name=widgets.md_escape(value("v_what"))), "vol")
    clear("v_what", "v_when", "v_org", "v_dbs", "v_conv")
    st.session_state.pop(state.SESSION_POINT, None)


def save_gap() -> None:
    """Record the gap in the form."""
    where = st.session_state.get(state.SESSION_POINT) if value("g_here", True) else None
    data = {
        "need": value("g_need"),
        "area": value("g_area") or None,
        "note": value("g_note") or None,
        "lon": where[0] if where else None,
        "lat": where[1] if where else None,
    }
    try:
        ms.add_gap(
            store, sid, data, principal=me, taxonomy=taxonomy, request_key=form_key("gap", data)
        )
    except AssetMapError as exc:
        flash("error", str(exc), "gap")
        return
    flash("success", W["gap_saved"], "gap")
    clear("g_area", "g_note")
    st.session_state.pop(state.SESSION_POINT, None)


def save_comment() -> None:
    """Record the comment in the form."""
    said = {
        "welcoming": value("c_welcoming", 0) or None,
        "barriers": value("c_barriers", []),
        "note": value("c_note") or None,
    }
    asset_id = value("c_asset")
    try:
        ms.add_comment(
            store, sid, asset_id, principal=me, request_key=form_key("comment", asset_id, said),
            **said,
        )  # fmt: skip
    except AssetMapError as exc:
        flash("error", str(exc), "say")
        return
    flash("success", W["say_saved"], "say")
    clear("c_welcoming", "c_barriers", "c_note")


def reverify(asset_id: str) -> None:
    """Mark an asset checked today."""
    try:
        register.reverify_asset(store, asset_id, principal=me, session_id=sid)
    except AssetMapError as exc:
        flash("error", str(exc), "say")
        return
    flash("success", "Marked as checked today.", "say")


def save_idea() -> None:
    """Record the idea in the form."""
    idea = {
        "what": value("i_what", ""),
        "for_whom": value("i_who") or None,
        "needs": value("i_needs") or None,
    }
    gap_id = value("i_gap")
    try:
        ms.add_idea(
            store, sid, gap_id, principal=me, request_key=form_key("idea", gap_id, idea), **idea
        )
    except AssetMapError as exc:
        flash("error", str(exc), "idea")
        return
    flash("success", W["idea_saved"], "idea")
    clear("i_what", "i_who", "i_needs")


def vote(idea_id: str) -> None:
    """Vote for an idea."""
    try:
        ms.vote_idea(store, idea_id, principal=me)
    except AssetMapError as exc:
        flash("error", str(exc), "vote")
        return
    flash("success", W["voted"], "vote")


# ---------------------------------------------------------------- the forms
category_labels = {"": W["not_sure"]} | {
    code: cat.plain_label for code, cat in taxonomy.categories.items()
}
show_flash()
st.header(W["form_heading"], anchor=FORMS_ANCHOR)
place_tab, volunteer_tab, gap_tab, comment_tab, idea_tab = st.tabs(
    [W["tab_place"], W["tab_volunteer"], W["tab_gap"], W["tab_comment"], W["tab_idea"]]
)

with place_tab:
    name = st.text_input(W["place_name"], key=F + "name")
    if name.strip():
        lon, lat = point if point is not None else (None, None)
        similar = ms.likely_duplicates(store, name, lon, lat, principal=principal)
        if not similar.empty:
            listed = "\n".join(f"- {widgets.md_escape(n)}" for n in similar["name"])
            st.warning(
                f"**{W['place_same']}**\n\n{listed}\n\n{W['place_same_hint']}",
                icon=":material/content_copy:",
            )
    left, right = st.columns(2)
    left.selectbox(
        W["place_kind"], list(KIND_WORDS), format_func=KIND_WORDS.__getitem__, key=F + "kind"
    )
    right.selectbox(
        W["place_help"], list(category_labels), format_func=category_labels.__getitem__,
        key=F + "category",
    )  # fmt: skip
    left.text_input(W["place_hours"], key=F + "hours", placeholder=W["place_hours_placeholder"])
    right.selectbox(
        W["place_cost"], list(COST_WORDS), format_func=COST_WORDS.__getitem__, key=F + "cost"
    )
    left.radio(W["place_sent"], list(YES_NO), format_func=YES_NO.__getitem__, key=F + "referral")
    right.radio(
        W["place_welcome"], list(YES_NO), format_func=YES_NO.__getitem__, key=F + "welcoming"
    )
    st.checkbox(W["place_women"], key=F + "women")
    st.button(W["place_save"], type="primary", on_click=save_place, key=F + "save_place")
    show_flash("place")

with volunteer_tab:
    st.text_input(W["vol_what"], key=F + "v_what", placeholder=W["vol_what_placeholder"])
    left, right = st.columns(2)
    left.text_input(W["vol_who"], key=F + "v_org")
    right.text_input(W["vol_when"], key=F + "v_when", placeholder=W["vol_when_placeholder"])
    left.radio(W["vol_dbs"], list(YES_NO), format_func=YES_NO.__getitem__, key=F + "v_dbs")
    right.radio(W["vol_record"], list(YES_NO), format_func=YES_NO.__getitem__, key=F + "v_conv")
    st.button(W["vol_save"], type="primary", on_click=save_volunteering, key=F + "save_vol")
    show_flash("vol")

with gap_tab:
    needs = {code: NEED_WORDS.get(code, need.label) for code, need in taxonomy.needs.items()}
    st.selectbox(W["gap_what"], list(needs), format_func=needs.__getitem__, key=F + "g_need")
    st.text_input(W["gap_where"], key=F + "g_area")
    st.checkbox(W["gap_use_pin"], value=True, key=F + "g_here")
    st.text_area(W["gap_note"], key=F + "g_note")
    st.button(W["gap_save"], type="primary", on_click=save_gap, key=F + "save_gap")
    show_flash("gap")

with comment_tab:
    if assets.empty:
        st.info(W["say_empty"])
    else:
        names = dict(zip(assets["id"], assets["name"], strict=True))
        picked = st.selectbox(
            W["say_which"], sorted(names, key=lambda i: str(names[i]).lower()),
            format_func=lambda i: str(names[i]), key=F + "c_asset",
        )  # fmt: skip
        st.selectbox(
            W["say_welcome"], list(WELCOME_WORDS), format_func=WELCOME_WORDS.__getitem__,
            key=F + "c_welcoming",
        )  # fmt: skip
        st.multiselect(
            W["say_hard"], list(ms.BARRIERS),
            format_func=lambda b: BARRIER_WORDS.get(b, ms.BARRIERS[b]),
            key=F + "c_barriers", placeholder=W["say_hard_none"],
        )  # fmt: skip
        st.text_area(W["say_note"], key=F + "c_note")
        st.button(W["say_save"], type="primary", on_click=save_comment, key=F + "save_c")
        show_flash("say")
        row = assets[assets["id"] == picked]
        if allowed(principal, Operation.VERIFY_ASSET) and bool(
            register.needs_checking(row, dt.date.today()).any()
        ):
            checked = row["last_verified"].iloc[0]
            st.warning(
                f"Needs checking: last checked {uk_date(checked) if checked else 'never'}.",
                icon=":material/history:",
            )
            st.button(
                "Still right: mark as checked today", on_click=reverify, args=(picked,),
                key=F + "reverify",
            )  # fmt: skip

with idea_tab:
    gaps = ms.session_records(store, GAP_ENTITY, session_id, principal=principal)
    if gaps.empty:
        st.info(W["idea_first"])
    else:
        gap_labels = {
            r["id"]: (
                W["idea_missing_where"].format(need=needs.get(r["need"], r["need"]), area=r["area"])
                if r.get("area")
                else W["idea_missing_map"].format(need=needs.get(r["need"], r["need"]))
            )
            for r in gaps.to_dict("records")
        }
        st.selectbox(
            W["idea_which"], list(gap_labels), format_func=gap_labels.__getitem__, key=F + "i_gap"
        )
        st.text_input(W["idea_what"], key=F + "i_what")
        st.text_input(W["idea_who"], key=F + "i_who")
        st.text_input(W["idea_needs"], key=F + "i_needs")
        st.button(W["idea_save"], type="primary", on_click=save_idea, key=F + "save_idea")
        show_flash("idea")
    ideas = ms.ideas_with_votes(store, principal=principal, session_id=session_id)
    for idea in ideas.to_dict("records"):
        text, button = st.columns([4, 1])
        line = f"**{widgets.md_escape(idea['what'])}**"
        if idea["for_whom"]:
            line += " · " + W["idea_for"].format(who=widgets.md_escape(idea["for_whom"]))
        text.markdown(line)
        button.button(
            W["vote"].format(votes=idea["votes"]), key=F + "vote" + idea["id"], on_click=vote,
            args=(idea["id"],),
        )  # fmt: skip
    show_flash("vote")

st.header(W["added_heading"])
added = ms.session_contributions(store, session_id, principal=principal, taxonomy=taxonomy)
if added.empty:
    st.caption(W["added_none"])
else:
    shown = pd.DataFrame(
        {
            W["added_what"]: added["type"].map(lambda t: TYPE_WORDS.get(t, t)),
            W["added_name"]: added["name"],
            W["added_status"]: added["status"].map(lambda s: STATUS_WORDS.get(str(s), "")),
            W["added_more"]: added["detail"],
        }
    )
    widgets.table(shown, hide_index=True, width="stretch")
