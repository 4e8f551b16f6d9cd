"""Moderation page: review a session's proposals, and its summary with downloads.

Accept (with edits: the asset becomes verified), merge into an asset already
in the register, or reject with a reason (kept, never deleted). Every decision
is a version in the register's history (``assetmap.people.sessions``).
"""

import pandas as pd
import streamlit as st

from app import auth, cache, state, widgets
from app.money import grant_path
from assetmap.access import Operation
from assetmap.errors import AssetMapError
from assetmap.output import session_summary as summary_out
from assetmap.people import sessions as ms
from assetmap.taxonomy import load_taxonomy
from assetmap.workspace import open_workspace

K = "assetmap.moderation.form."
DECISIONS = {
    "accept": "Accept",
    "merge": "Same as one already on the map",
    "reject": "Do not accept",
}

st.title("Moderation")
path = state.workspace_path()
if path is None:
    widgets.no_workspace_message()
    st.stop()
principal = auth.require_principal(path, Operation.MODERATE)
widgets.touch_friendly_style()
try:
    store = open_workspace(path).store()
    sessions = ms.list_sessions(store, principal=principal)
except AssetMapError as exc:
    st.error(str(exc), icon=":material/error:")
    st.stop()
taxonomy = load_taxonomy()

# One slot, drawn on every run, so the tabs below keep their place (and the open tab).
flash_slot = st.empty()
kept = st.session_state.pop(state.SESSION_FLASH, None)
if kept:
    (flash_slot.success if kept[0] == "success" else flash_slot.error)(kept[1])
if sessions.empty:
    st.info("No mapping sessions yet: start one on the **Mapping session** page.")
    st.stop()

labels = ms.session_labels(store, principal=principal)  # date in words, start time, reference
default = st.session_state.get(state.SESSION_ID)
session_id = st.selectbox(
    "Session",
    list(labels),
    index=list(labels).index(default) if default in labels else 0,
    format_func=labels.__getitem__,
    key=state.MODERATION_SESSION,
)


def plain(value: object) -> str:
    """Say a field's value in plain words (None: not known; True/False: yes/no)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "Not known"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


def category_words(code: str) -> str:
    """A category in plain words (the code itself if the taxonomy lacks it)."""
    known = taxonomy.categories.get(code)
    return known.plain_label if known is not None else code


def decide(kind: str, asset_id: str, name: str) -> None:
    """Carry out the decision chosen for one proposal (a button callback)."""
    try:
        if kind == "accept":
            edits = {
                "name": st.session_state.get(K + "name" + asset_id),
                "opening_hours": st.session_state.get(K + "hours" + asset_id) or None,
            }
            category = st.session_state.get(K + "category" + asset_id)
            if category:
                edits["categories"] = [category]
            ms.accept_proposal(store, asset_id, principal=principal, edits=edits)
            message = f"Accepted: {widgets.md_escape(name)}"
        elif kind == "merge":
            into = str(st.session_state.get(K + "into" + asset_id))
            ms.merge_proposal(store, asset_id, into, principal=principal)
            message = f"Merged: {widgets.md_escape(name)}"
        else:
            reason = st.session_state.get(K + "reason" + asset_id, "")
            ms.reject_proposal(store, asset_id, principal=principal, reason=reason)
            message = f"Not accepted: {widgets.md_escape(name)} (kept in the history)"
    except AssetMapError as exc:
        st.session_state[state.SESSION_FLASH] = ("error", str(exc))
        return
    st.session_state[state.SESSION_FLASH] = ("success", message)


def decide_comment(comment_id: str, accept: bool) -> None:
    """Accept or reject a comment (a button callback)."""
    try:
        ms.moderate_comment(
            store,
            comment_id,
            principal=principal,
            accept=accept,
            reason=st.session_state.get(K + "creason" + comment_id, ""),
        )
    except AssetMapError as exc:
        st.session_state[state.SESSION_FLASH] = ("error", str(exc))
        return
    st.session_state[state.SESSION_FLASH] = ("success", "Comment reviewed.")


queue_tab, summary_tab = st.tabs(["Waiting for review", "Session summary"])
category_labels = {"": "Keep as proposed"} | {
    code: cat.plain_label for code, cat in taxonomy.categories.items()
}

with queue_tab:
    queue = ms.moderation_queue(store, session_id, principal=principal)
    register = ms.visible_register(store, principal=principal)
    others = register[register["status"] != "proposed"]
    register_names = dict(zip(register["id"], register["name"], strict=True))
    similar_to = ms.queue_duplicates(store, queue, principal=principal)  # one register read
    if queue.empty:
        st.success("Nothing is waiting for review in this session.", icon=":material/done_all:")
    for rec in queue.to_dict("records"):
        aid = rec["id"]
        with st.container(border=True, key=f"proposal-{aid}"):
            helps = ", ".join(map(category_words, rec["categories"])) or "no category"
            st.markdown(
                f"## {widgets.md_escape(rec['name'])}\n"
                f"{widgets.md_escape(rec['kind'].capitalize())} · {widgets.md_escape(helps)}"
            )
            details = {
                "Opening times": rec["opening_hours"],
                "Cost": rec["cost"],
                "Referral needed": rec["referral_required"],
                "Welcoming": (
                    True
                    if ms.WELCOMING_FLAG in rec["flags"]
                    else False
                    if ms.UNWELCOMING_FLAG in rec["flags"]
                    else None
                ),
                "Women only": rec["gender"] == "women",
                "DBS check": rec["dbs_check"],
                "Convictions": rec["convictions"],
            }
            widgets.table(
                pd.DataFrame(
                    {"Field": list(details), "Value": [plain(v) for v in details.values()]}
                ),
                hide_index=True,
            )
            similar = similar_to[aid]
            if not similar.empty:
                names = ", ".join(widgets.md_escape(n) for n in similar["name"])
                st.warning(f"Looks like: {names}", icon=":material/content_copy:")
            choice = st.radio(
                "Decision", list(DECISIONS), format_func=DECISIONS.__getitem__,
                key=K + "decision" + aid, horizontal=True,
            )  # fmt: skip
            if choice == "accept":
                st.text_input("Name", value=rec["name"], key=K + "name" + aid)
                st.text_input(
                    "Opening times", value=rec["opening_hours"] or "", key=K + "hours" + aid
                )
                st.selectbox(
                    "Category", list(category_labels), format_func=category_labels.__getitem__,
                    key=K + "category" + aid,
                )  # fmt: skip
            elif choice == "merge":
                candidates = list(similar["id"]) + [
                    i
                    for i in sorted(others["id"], key=lambda i: str(i))
                    if i not in set(similar["id"])
                ]
                st.selectbox(
                    "Which one", candidates, format_func=lambda i: str(register_names[i]),
                    key=K + "into" + aid,
                )  # fmt: skip
            else:
                st.text_input("Why not? (the group may ask)", key=K + "reason" + aid)
            st.button(
                DECISIONS[choice], type="primary", key=K + "go" + aid, on_click=decide,
                args=(choice, aid, rec["name"]),
            )  # fmt: skip

    comments = ms.session_records(store, "comment", session_id, principal=principal)
    waiting = comments[comments["status"] == "proposed"] if not comments.empty else comments
    if not waiting.empty:
        st.header("Comments")
        for rec in waiting.to_dict("records"):
            cid = rec["id"]
            with st.container(border=True, key=f"comment-{cid}"):
                rating = (
                    "" if pd.isna(rec.get("welcoming")) else f"welcoming {rec['welcoming']}/5 · "
                )
                barriers = ", ".join(ms.BARRIERS[b] for b in rec.get("barriers") or ())
                note = widgets.md_escape(rec.get("note") or "")
                st.markdown(
                    f"**{widgets.md_escape(register_names.get(rec['asset_id'], '?'))}**: "
                    f"{rating}{widgets.md_escape(barriers)} {note}"
                )
                st.text_input("Reason (if not accepted)", key=K + "creason" + cid)
                left, right = st.columns(2)
                left.button("Accept comment", key=K + "cok" + cid, on_click=decide_comment,
                            args=(cid, True))  # fmt: skip
                right.button("Do not accept comment", key=K + "cno" + cid,
                             on_click=decide_comment, args=(cid, False))  # fmt: skip

with summary_tab:
    graph = cache.load_walk_graph(path, cache.network_version(path))
    minutes = st.select_slider("Walk (minutes)", [5, 10, 15, 20, 30], value=15, key=K + "minutes")
    try:
        summary = ms.session_summary(
            store, session_id, principal=principal, graph=graph, minutes=float(minutes),
            taxonomy=taxonomy,
        )  # fmt: skip
    except AssetMapError as exc:
        st.error(str(exc), icon=":material/error:")
        st.stop()
    figures = summary.figures()
    widgets.table(
        pd.DataFrame({"Figure": [f for f, _ in figures], "Value": [str(v) for _, v in figures]}),
        hide_index=True,
        width="stretch",
        height=widgets.every_row(len(figures)),  # no inner scrolling
    )
    if graph is None:
        st.caption("No walking network in this workspace, so no coverage figures.")
    st.header("What the group added")
    widgets.table(
        summary.contributions[["type", "name", "status", "detail"]].rename(columns=str.capitalize),
        hide_index=True,
        width="stretch",
    )
    ideas = ms.ideas_with_votes(store, principal=principal)
    if not ideas.empty:
        st.header("Ideas for new services, by area (all sessions)")
        widgets.table(
            ms.ideas_table(ideas),
            hide_index=True,
            width="stretch",
        )
    grant_path(store, ideas, principal=principal)
    stem = f"session-{summary.date}-{session_id[:8]}"
    left, middle, right = st.columns(3)
    left.download_button(
        "Download CSV",
        summary_out.summary_csv(summary),
        file_name=f"{stem}.csv",
        mime="text/csv",
    )
    middle.download_button(
        "Download printable page", summary_out.summary_html(summary), file_name=f"{stem}.html",
        mime="text/html",
    )  # fmt: skip
    pdf_key = (session_id, summary.figures().__repr__())
    made = st.session_state.get(state.MODERATION_PDF)
    if made is not None and made[0] == pdf_key:
        right.download_button(
            "Download PDF", made[1], file_name=f"{stem}.pdf", mime="application/pdf"
        )
    elif right.button("Make a PDF"):
        st.session_state[state.MODERATION_PDF] = (
            pdf_key,
            summary_out.summary_pdf(summary),
        )
        st.rerun()
