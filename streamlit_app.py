"""assetmap's Streamlit entry point: the frame and the router, nothing else.

Run it with ``assetmap app WORKSPACE`` (or ``streamlit run streamlit_app.py`` with
``ASSETMAP_WORKSPACE`` set). Pages live in ``app/pages/``; add yours to ``PAGES``.

Page icons are emoji on purpose: Streamlit turns a page's ``:material/...:`` icon
into a favicon fetched from fonts.gstatic.com, and the app must work offline.
"""

import streamlit as st

st.set_page_config(page_title="assetmap", page_icon="🗺️", layout="wide")

PAGES = {
    "Register": [
        st.Page("app/pages/map.py", title="Map", icon="🗺️", default=True),
    ],
}

st.navigation(PAGES).run()
