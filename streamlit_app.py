"""assetmap's Streamlit entry point: the frame and the router, nothing else.

Run it with ``assetmap app WORKSPACE`` (or ``streamlit run streamlit_app.py`` with
``ASSETMAP_WORKSPACE`` set). Pages live in ``app/pages/``; each is listed in
``PAGES`` with the operations that make it worth showing to a role (the core
refuses the operations themselves; this only keeps menus short).

Page icons are emoji on purpose: Streamlit turns a page's ``:material/...:`` icon
into a favicon fetched from fonts.gstatic.com, and the app must work offline.
"""

import streamlit as st

from app import auth, state
from assetmap.access import Operation, allowed
from assetmap.errors import AssetMapError

st.set_page_config(page_title="assetmap", page_icon="🗺️", layout="wide")

# (group, file, title, icon, operations any of which shows the page; () = everyone)
PAGES: list[tuple[str, str, str, str, tuple[Operation, ...]]] = [
    ("Register", "app/pages/map.py", "Map", "🗺️", ()),
    (
        "Register",
        "app/pages/data.py",
        "Data",
        "📥",
        (Operation.IMPORT_DATA, Operation.MERGE_ASSETS, Operation.EXPORT_REGISTER),
    ),
    # one entry per page
    ("Reach", "app/pages/dashboard.py", "Dashboard", "📊", (Operation.VIEW_DASHBOARD,)),
    ("Support", "app/pages/find_support.py", "Find support", "🧭", (Operation.FIND_SUPPORT,)),
    ("Support", "app/pages/plans.py", "Plans", "📋", (Operation.VIEW_PLAN,)),
    ("Sessions", "app/pages/session.py", "Mapping session", "🤝", ()),  # () so people can join
    ("Sessions", "app/pages/moderation.py", "Moderation", "✅", (Operation.MODERATE,)),
    ("Account", "app/pages/sign_in.py", "Sign in", "🔑", ()),
    (
        "Account",
        "app/pages/admin.py",
        "Admin",
        "⚙️",
        (Operation.MANAGE_USERS, Operation.CHANGE_SETTINGS, Operation.PURGE_PLANS),
    ),
]

try:
    principal = auth.check_signed_in(state.workspace_path())  # fails closed
except AssetMapError as exc:
    auth.cannot_open(exc)
auth.show_notice()
auth.local_role_picker(principal)


def _shown(operations: tuple[Operation, ...]) -> bool:
    if not operations:
        return True
    if principal is None:
        return False
    scope = {"owner_id": principal.user_id, "session_id": principal.session_id}
    return any(allowed(principal, op, **scope) for op in operations)


groups: dict[str, list[st.Page]] = {}
for group, file, title, icon, operations in PAGES:
    if not _shown(operations):
        continue
    groups.setdefault(group, []).append(
        st.Page(file, title=title, icon=icon, default=file == "app/pages/map.py")
    )

st.navigation(groups).run()
