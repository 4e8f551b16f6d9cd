"""Session-state keys and the settings the app reads from the environment.

Every ``st.session_state`` key the app uses is named here, so pages do not
collide. Keep data in session state, never ``folium.Map`` or other live objects.
"""

from __future__ import annotations

import os
from typing import Final

import streamlit as st

WORKSPACE_ENV: Final = "ASSETMAP_WORKSPACE"
TILES_ENV: Final = "ASSETMAP_TILES"
TILES_ATTRIBUTION_ENV: Final = "ASSETMAP_TILES_ATTRIBUTION"

WORKSPACE: Final = "assetmap.workspace"  # str: path of the open workspace folder
MAP_TILES: Final = "assetmap.map.tiles"  # str: "none" | "osm" | "url"
MAP_CATEGORIES: Final = "assetmap.map.categories"  # list[str]: category codes
MAP_KINDS: Final = "assetmap.map.kinds"  # list[str]
MAP_STATUSES: Final = "assetmap.map.statuses"  # list[str]
MAP_NAME: Final = "assetmap.map.name"  # str: text the name must contain
FIND_RESULT: Final = "assetmap.find.result"  # dict: last Find support answer (data only)
FIND_CHOSEN: Final = "assetmap.find.chosen"  # list[str]: asset ids chosen for a sheet or plan
FIND_PDF: Final = "assetmap.find.pdf"  # bytes: the last support sheet printed to PDF
FIND_AUDIO: Final = "assetmap.find.audio"  # bytes: the last Easy Read sheet spoken to WAV
FIND_START: Final = "assetmap.find.start"  # str: the Start point text input
FIND_CLICK: Final = "assetmap.find.click"  # str: "LAT,LON" clicked on the map, to search from
PLANS_SELECTED: Final = "assetmap.people.plans.selected"  # str: reference of the plan on show
DATA_UPLOAD: Final = "assetmap.data.upload"  # file_uploader widget of the Data page
DATA_PREVIEW: Final = "assetmap.data.preview"  # dict: mappings and previews of the upload
DATA_MAP_PREFIX: Final = "assetmap.data.map."  # + column number: field chosen for a column
DATA_CATEGORY_PREFIX: Final = "assetmap.data.category."  # + hash: categories chosen for a text
DATA_SKIP: Final = "assetmap.data.skip"  # bool: skip the reported rows
DATA_MESSAGE: Final = "assetmap.data.message"  # str: what the last import or decision did
SESSION_ID: Final = "assetmap.session.id"  # str: the session this browser runs (facilitator)
SESSION_CODE: Final = "assetmap.session.code"  # str: its join code, shown once to the facilitator
SESSION_POINT: Final = "assetmap.session.point"  # tuple[float, float]: lon, lat placed on the map
SESSION_CLICK: Final = "assetmap.session.click"  # (map tap, marker tap) last read, to spot new ones
SESSION_TAPPED: Final = "assetmap.session.tapped"  # (lon, lat) of a marker tap: comment or pin
SESSION_FLASH: Final = "assetmap.session.flash"  # (kind, message, which form's button)
HIGH_CONTRAST: Final = "assetmap.high_contrast"  # bool: the sidebar's "High contrast" choice
SESSION_ENDING: Final = "assetmap.session.ending"  # bool: "End the session" asks to confirm
SESSION_CLIENT: Final = "assetmap.session.client"  # str: random id of this browser, rate limits
SESSION_FORM: Final = "assetmap.session.form."  # prefix of the session page's form widget keys
MODERATION_SESSION: Final = "assetmap.moderation.session"  # str: session id being moderated
MODERATION_PDF: Final = "assetmap.moderation.pdf"  # bytes: the summary PDF, once made
DASH_MINUTES: Final = "assetmap.dashboard.minutes"  # int: walking limit of the dashboard
DASH_BY: Final = "assetmap.dashboard.by"  # str: "auto" | "lsoa" | "grid"
DASH_CATEGORY: Final = "assetmap.dashboard.category"  # str: category on the gap map
DASH_IMD: Final = "assetmap.dashboard.imd"  # bool: IMD outlines on the gap map
DASH_SITES: Final = "assetmap.dashboard.sites"  # int: how many new sites to suggest
DASH_WEIGHTED: Final = "assetmap.dashboard.weighted"  # bool: weight demand by IMD score
DASH_MODES: Final = "assetmap.dashboard.modes"  # bool: compare coverage by travel mode
DASH_DEPART: Final = "assetmap.dashboard.depart"  # str: public transport departure window
DASH_MODE: Final = "assetmap.dashboard.mode"  # str: travel mode of the gap map and range over time
DASH_BARS: Final = "assetmap.dashboard.bars"  # bool: coverage by category as a chart
DASH_MORE: Final = "assetmap.dashboard.more"  # list[str]: sections opened on demand
SIGNIN_FORM: Final = "assetmap.signin.form"  # the username/password form of the Sign in page
SIGNIN_OUT: Final = "assetmap.signin.out"  # Sign out / Leave the session button
SIGNIN_LEAVE: Final = "assetmap.signin.leave"  # a participant's Leave the session (sidebar)
SIGNIN_SSO: Final = "assetmap.signin.sso"  # Sign in with single sign-on button
SIGNIN_SSO_OUT: Final = "assetmap.signin.sso_out"  # sign out of a provider that gave no role
ADMIN_FLASH: Final = "assetmap.admin.flash"  # str: what the last admin action did
ADMIN_ADD_FORM: Final = "assetmap.admin.add"  # forms of the Admin page
ADMIN_RESET_FORM: Final = "assetmap.admin.reset"
ADMIN_RESET_USER: Final = "assetmap.admin.reset_user"
ADMIN_DISABLE_FORM: Final = "assetmap.admin.disable"
ADMIN_DISABLE_USER: Final = "assetmap.admin.disable_user"
ADMIN_RETENTION_FORM: Final = "assetmap.admin.retention"
ADMIN_SSO_FORM: Final = "assetmap.admin.sso"
ADMIN_IDLE_FORM: Final = "assetmap.admin.idle"
ADMIN_PURGE_SURE: Final = "assetmap.admin.purge_sure"  # bool: the purge is confirmed
ADMIN_PURGE: Final = "assetmap.admin.purge"  # the Erase now button


def workspace_path() -> str | None:
    """Return the open workspace folder: session state first, then ``ASSETMAP_WORKSPACE``."""
    chosen = st.session_state.get(WORKSPACE) or os.environ.get(WORKSPACE_ENV, "")
    return str(chosen).strip() or None


def tiles_setting() -> tuple[str | None, str | None]:
    """Return the tile setting and its attribution from the environment (may be unset)."""
    return os.environ.get(TILES_ENV), os.environ.get(TILES_ATTRIBUTION_ENV)


MONEY_FLASH: Final = "assetmap.money.flash"  # str: what the last money form on Plans/Moderation did
FUNDS_FLASH: Final = "assetmap.funds.flash"  # str: what the last decision on the Funds page did
FUNDS_ADD_FORM: Final = "assetmap.funds.add"  # the new-fund form of the Funds page
FUNDS_DECIDE: Final = "assetmap.funds.decide"  # prefix of the per-request decision forms
