"""The Streamlit shell of assetmap: state, caching, widgets and pages (no domain logic)."""
