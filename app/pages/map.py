"""Map page: the register on a map and in a table, with filters.

What it shows comes from the core for this caller (``assetmap.views.browse_register``):
participants may not browse the whole register, and a visitor who is not
signed in sees nothing unless the workspace publishes a public map.
"""

import streamlit as st

from app import auth, cache, state, widgets
from assetmap.errors import AccessDeniedError, AssetMapError
from assetmap.output.viz import asset_table, filter_assets
from assetmap.taxonomy import load_taxonomy
from assetmap.views import PUBLIC_MAP_SETTING

st.title("Community assets")

path = state.workspace_path()
if path is None:
    widgets.no_workspace_message()
    st.stop()

principal = auth.current_principal(path)
try:
    version = cache.data_version(path)
    settings = cache.load_settings(path, version)
    public_map = bool(settings.get(PUBLIC_MAP_SETTING, False))
    assets = cache.load_assets(path, version, principal, public_map)
except AccessDeniedError as exc:
    st.info(f"{exc} (the **Sign in** page).", icon=":material/login:")
    st.stop()
except AssetMapError as exc:
    st.error(str(exc), icon=":material/error:")
    st.stop()

taxonomy = load_taxonomy()
st.caption(f"Workspace **{widgets.md_escape(settings.get('name', path))}**")
tiles = widgets.tile_choice(settings.get("tiles"))
if assets.empty:
    st.info("The register is empty: import assets with `assetmap init WORKSPACE --osm FILE`.")
    st.stop()

shown = filter_assets(assets, **widgets.asset_filters(assets, taxonomy))
n_verified = int((shown["status"] == "verified").sum())
left, middle, right = st.columns(3)
left.metric("Assets shown", f"{len(shown):,}", help=f"{len(assets):,} in the register")
middle.metric("In the register", f"{len(assets):,}")
right.metric("Shown and verified", f"{n_verified:,}")

# Offline, the workspace's own streets stand in for tiles (drawn only then).
streets = cache.load_streets(path, cache.network_version(path)) if tiles.kind == "none" else None
widgets.asset_map(shown, taxonomy=taxonomy, tiles=tiles, streets=streets)
widgets.table(
    asset_table(shown, taxonomy=taxonomy),
    hide_index=True,
    width="stretch",
    column_config={"Last checked": st.column_config.DateColumn("Last checked")},
)
