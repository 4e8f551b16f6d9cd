"""assetmap's Streamlit entry point: the frame and the router, nothing else.

Run it with ``assetmap app WORKSPACE`` (``--local`` for a workspace without
accounts, on 127.0.0.1 only; see ``assetmap.people.serving``), or ``streamlit run
streamlit_app.py`` with ``ASSETMAP_WORKSPACE`` set (then a workspace without
accounts shows one line: it is not in local mode). Pages live in ``app/pages/``; each is listed in
``PAGES`` with the operations that make it worth showing to a role (the core
refuses the operations themselves; this only keeps menus short). A participant
who joined a mapping session gets the session page and nothing else: no other
page is registered for them, so no URL reaches one. A visitor who is not signed
in gets the session page (to join) and Sign in, plus the Map when the workspace
publishes a public map.

Page icons are emoji on purpose: Streamlit turns a page's ``:material/...:`` icon
into a favicon fetched from fonts.gstatic.com, and the app must work offline.
"""

import streamlit as st

from app import auth, cache, state, widgets
from assetmap.access import Operation, Role, allowed
from assetmap.errors import AssetMapError
from assetmap.views import PUBLIC_MAP_SETTING

st.set_page_config(page_title="assetmap", page_icon="🗺️", layout="wide")

# (group, file, title, icon, operations any of which shows the page; () = everyone)
PAGES: list[tuple[str, str, str, str, tuple[Operation, ...]]] = [
    ("Register", "app/pages/map.py", "Map", "🗺️", (Operation.BROWSE_REGISTER,)),
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
    (
        "Support",
        "app/pages/funds.py",
        "Funds",
        "💷",
        (Operation.DECIDE_ALLOCATION, Operation.DECIDE_GRANT, Operation.MANAGE_FUNDS),
    ),
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

SESSION_PAGE = "app/pages/session.py"
path = state.workspace_path()
try:
    auth.read_accounts(path)  # the run's one "any accounts?": the checks below reuse it
    refusal = auth.unserved_reason(path)
    if refusal is not None:
        st.error(refusal, icon=":material/block:")
        st.stop()
    principal = auth.check_signed_in(path)  # fails closed
except AssetMapError as exc:
    auth.cannot_open(exc)
widgets.accessible_style()
auth.show_notice()
auth.local_role_picker(principal)
auth.participant_sidebar(principal)
public_map = False
if principal is None and path is not None:
    try:
        settings = cache.load_settings(path, cache.data_version(path))
        public_map = bool(settings.get(PUBLIC_MAP_SETTING, False))
    except AssetMapError:
        pass  # the page says the workspace cannot be opened


def _shown(file: str, operations: tuple[Operation, ...]) -> bool:
    if principal is not None and principal.role is Role.PARTICIPANT:
        return file == SESSION_PAGE  # the participant surface, nothing else
    if not operations:
        return True
    if principal is None:
        return operations == (Operation.BROWSE_REGISTER,) and public_map
    scope = {"owner_id": principal.user_id, "session_id": principal.session_id}
    return any(allowed(principal, op, **scope) for op in operations)


shown = [page for page in PAGES if _shown(page[1], page[4])]
default = "app/pages/map.py" if any(p[1] == "app/pages/map.py" for p in shown) else SESSION_PAGE
groups: dict[str, list[st.Page]] = {}
for group, file, title, icon, _ in shown:
    groups.setdefault(group, []).append(
        st.Page(file, title=title, icon=icon, default=file == default)
    )

# A flat list, not groups: Streamlit draws grouped links as <div>s inside the <ul>, which
# screen readers cannot read as a list (axe "list"/"listitem", serious; docs/accessibility.md).
st.navigation([page for pages in groups.values() for page in pages]).run()
