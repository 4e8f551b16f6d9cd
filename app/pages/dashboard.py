"""Dashboard page for project leads: coverage on foot, gaps, new sites and growth over time."""

import functools
import json
from collections.abc import Callable
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from app import auth, cache, state, widgets
from app.money import dashboard_funds
from assetmap import dashboard
from assetmap.access import Operation
from assetmap.disclosure import SMALL_COUNT_THRESHOLD
from assetmap.errors import AssetMapError
from assetmap.moderation_state import live_assets
from assetmap.output.gapmap import build_gap_map
from assetmap.output.palette import OKABE_ITO
from assetmap.reach_service import areas_beyond, gap_areas_export
from assetmap.taxonomy import load_taxonomy
from assetmap.transit_service import MODE_CHOICES, MODE_TITLES, available_modes
from assetmap.views import dashboard_added
from assetmap.workspace import open_workspace

st.title("Reach dashboard")

path = state.workspace_path()
if path is None:
    widgets.no_workspace_message()
    st.stop()
principal = auth.require_principal(path, Operation.VIEW_DASHBOARD)
taxonomy = load_taxonomy()


Chart = alt.Chart | dict[str, Any]


def _chart_png(make: Callable[[], Chart]) -> bytes:
    chart = make()
    return cache.chart_png(json.dumps(chart) if isinstance(chart, dict) else chart.to_json())


def _table_and_chart_downloads(
    table: tuple[str, pd.DataFrame], chart: tuple[str, Callable[[], Chart]], stem: str
) -> None:
    """Two download buttons side by side: the table as CSV and the chart as PNG (offline).

    The chart (``chart``'s function makes it) and its PNG are made only when
    someone clicks (vl-convert takes about half a second a chart), not on
    every view.
    """
    left, right = st.columns(2)
    label, frame = table
    left.download_button(
        label, frame.to_csv(index=False).encode("utf-8"), file_name=f"{stem}.csv", mime="text/csv"
    )
    label, make = chart
    right.download_button(
        label,
        functools.partial(_chart_png, make),
        file_name=f"{stem}.png",
        mime="image/png",
    )


def _label(code: str) -> str:
    known = taxonomy.categories.get(code)
    return known.plain_label if known else code


HOW = {"import": "import", "session": "mapping session", "manual": "added by hand",
       "grant": "shared grant"}  # fmt: skip


def _what_was_added(added: pd.DataFrame, minutes: int | None) -> None:
    """The one table of what each import, mapping session or grant added."""
    within = f" (within {minutes} min)" if minutes else ""
    st.markdown(f"**What each import, mapping session or grant added**{within}")
    shown = pd.DataFrame(
        {
            "First added": pd.to_datetime(added["first_added"], utc=True).dt.strftime("%Y-%m-%d"),
            "How": added["kind"].map(HOW).fillna(added["kind"]),
            "Source": added["source"],
            "Places added": added["n_added"],
        }
    )
    if "mean_categories_before" in added.columns:
        shown["Mean categories before"] = added["mean_categories_before"].round(2)
        shown["after"] = added["mean_categories_after"].round(2)
        shown["New categories"] = [
            ", ".join(_label(c) for c in codes) for codes in added["new_categories"]
        ]
    widgets.table(shown, hide_index=True, width="stretch")


try:
    version = cache.data_version(path)
    reach_version = cache.reach_version(path)
    settings = cache.load_settings(path, version)
    assets = cache.load_assets(path, version, principal)
except AssetMapError as exc:
    st.error(str(exc), icon=":material/error:")
    st.stop()

workspace_name = widgets.md_escape(settings.get("name", path))
st.caption(f"Workspace **{workspace_name}**: how far people walk to support.")
tiles = widgets.tile_choice(settings.get("tiles"))
controls = st.columns([2, 2, 3, 2])
minutes = controls[0].select_slider(
    "Walking limit (minutes)", options=[5, 10, 15, 20, 30, 45, 60], value=15,
    key=state.DASH_MINUTES,
)  # fmt: skip
by = controls[1].selectbox(
    "Areas",
    ["auto", "lsoa", "grid"],
    format_func={"auto": "LSOAs if loaded", "lsoa": "LSOAs", "grid": "1 km grid"}.__getitem__,
    key=state.DASH_BY,
    help="LSOAs are the small areas of the census (about 1,500 people each).",
)

try:
    found = cache.reach_coverage(path, version, reach_version, float(minutes), by, principal)
except AssetMapError as exc:
    st.error(str(exc), icon=":material/error:")
    st.stop()
if found is None:
    st.info("This workspace has no walking network yet: import an OpenStreetMap extract.")
    added = dashboard_added(open_workspace(path).store(), principal=principal)
    if len(added):
        _what_was_added(added, None)
    dashboard_funds(open_workspace(path), principal=principal)
    st.stop()

by_category = found["by_category"]
demand = cache.load_reach_demand(path, reach_version, by)[1]
try:
    gaps = dashboard.dashboard_gaps(
        open_workspace(path), found["areas"], principal=principal, assets=assets
    )
except AssetMapError as exc:
    st.error(str(exc), icon=":material/error:")
    st.stop()
categories = dashboard.category_table(
    found["coverage"], demand, gaps, search_minutes=float(found["search_minutes"])
)
every = list(taxonomy.categories)  # every category, those with no service too
category = controls[2].selectbox(
    "Category on the gap map",
    every,
    index=every.index("gp_health") if "gp_health" in every else 0,
    format_func=lambda code: (
        f"{_label(code)} (no service)" if code not in set(by_category["category"]) else _label(code)
    ),
    key=state.DASH_CATEGORY,
)
imd_overlay = controls[3].toggle(
    "IMD 2019 overlay",
    key=state.DASH_IMD,
    help="IMD 2019 is the government's Index of Multiple Deprivation: "
    "decile 1 holds the most deprived tenth of small areas in England.",
)

# --- Headline figures -------------------------------------------------------------------
head = found["headline"]
n_postcodes = int(found["n_postcodes"])
where = "postcodes" if n_postcodes else "places"
places = dashboard.workspace_places(open_workspace(path))
walk_table = dashboard.gap_table(found["coverage"], found["areas"], gaps, category=category,
                                 places=places, taxonomy=taxonomy)  # fmt: skip
cols = st.columns(5)
cols[0].metric("Active assets", f"{int(head['n_assets']):,}")
cols[1].metric("Categories present", f"{int(head['n_categories'])}")
cols[2].metric(
    "Categories in reach",
    f"{head['mean_categories']:.1f}",
    help=f"Accessible range: mean over {where} of the categories within {minutes} minutes' walk.",
)
cols[3].metric(
    "Needs in reach",
    f"{head['mean_needs']:.1f}",
    help=f"Mean over {where} of the needs served within {minutes} minutes' walk.",
)
cols[4].metric(
    "Areas beyond reach",
    f"{int((~walk_table['covered']).sum())} of {len(found['areas'])}",
    help=f"Areas whose typical walk to the nearest {_label(category).lower()} is over "
    f"{minutes} minutes.",
)
st.caption(
    f"Measured over {found['measured_over']} Counts are of places and services, never of people."
)

# --- Every need, with its gaps ------------------------------------------------------------
st.header("Needs and the gaps people recorded")
needs = dashboard.need_table(found["coverage"], demand, gaps, taxonomy=taxonomy)
widgets.table(
    needs.drop(columns="need")
    .assign(share=(needs["share"] * 100).round())
    .rename(
        columns={
            "label": "Need",
            "share": f"Share of {where} within {minutes} min",
            "services": "Services",
            "gaps": "Gaps recorded",
            "what_people_said": "What people said",
        }
    ),
    hide_index=True,
    width="stretch",
    column_config={
        f"Share of {where} within {minutes} min": st.column_config.ProgressColumn(
            format="%.0f%%", min_value=0, max_value=100
        )
    },
)
placed_note = dashboard.placing_note(gaps)
st.caption(
    "Every need is listed, those with no service at 0%. A gap counts for each need it names. "
    + placed_note
)

# --- Coverage by category ---------------------------------------------------------------
st.header("Coverage by category")


def _coverage_bars(bars: pd.DataFrame, category: str, where: str, minutes: int) -> dict[str, Any]:
    """The coverage chart's Vega-Lite spec, the chosen category in vermillion."""
    chart = (
        alt.Chart(bars, title=f"Share of {where} within {minutes} min walk")
        .mark_bar()
        .encode(
            x=alt.X("share:Q", title=f"share of {where}", axis=alt.Axis(format="%"),
                    scale=alt.Scale(domain=[0, 1])),
            y=alt.Y(
                "label:N", sort="-x", title=None, axis=alt.Axis(labelLimit=320, labelOverlap=False)
            ),
            color=alt.condition(alt.datum.category == category,
                                alt.value(OKABE_ITO["vermillion"]), alt.value(OKABE_ITO["blue"])),
            tooltip=["label", alt.Tooltip("share:Q", format=".1%"), "n_assets"],
        )
        .properties(height=max(160, 24 * len(bars)))
    )  # fmt: skip
    spec: dict[str, Any] = chart.to_dict()
    return spec


bars = categories[["category", "label", "share"]].assign(n_assets=categories["services"])
bar_chart = functools.partial(  # made when drawn or downloaded: the first view shows a table
    cache.chart_spec, _coverage_bars, "coverage_bars", bars, category, where, minutes
)
if st.toggle(
    "Draw as a bar chart",
    key=state.DASH_BARS,
    help="The same shares as a chart. The table below shows them as bars already and "
    "opens sooner: the chart needs the browser to load its charting library first.",
):
    st.vega_lite_chart(bar_chart(), width="stretch")
else:
    share_column = f"Share of {where} within {minutes} min"
    chosen = bars["category"] == category
    widgets.table(
        bars.assign(
            label=bars["label"].where(~chosen, bars["label"] + " (on the gap map)"),
            share=(bars["share"] * 100).round(1),
        )
        .sort_values("share", ascending=False, kind="stable")
        .drop(columns="category")
        .rename(columns={"label": "Category", "share": share_column, "n_assets": "Services"}),
        hide_index=True,
        width="stretch",
        height=widgets.every_row(len(bars)),  # every category, as the chart showed them
        column_config={
            share_column: st.column_config.ProgressColumn(
                format="%.0f%%", min_value=0, max_value=100
            )
        },
    )
st.caption("Every category is listed; those with no service in the register are at 0%.")
_table_and_chart_downloads(
    ("Coverage table (CSV)", categories),
    ("Coverage chart (PNG)", bar_chart),
    f"coverage_{minutes}min",
)

# --- Coverage by travel mode -------------------------------------------------------------
if st.toggle("Compare walking, cycling and public transport", key=state.DASH_MODES):
    depart = st.text_input("Leaving (public transport)", "Tue 08:00-09:00", key=state.DASH_DEPART)
    try:
        by_mode = cache.reach_by_mode(
            path, version, reach_version, float(minutes), by, depart, principal
        )
    except AssetMapError as exc:
        st.warning(str(exc), icon=":material/warning:")
        by_mode = None
    if by_mode is not None:
        modes, notes = by_mode
        names = MODE_TITLES
        shown = modes.assign(category=[_label(c) for c in modes["category"]]).rename(
            columns={"category": "Category", **names}
        )
        st.subheader(f"Share of {where} within {minutes} min, by travel mode")
        widgets.table(
            shown,
            hide_index=True,
            column_config={
                n: st.column_config.ProgressColumn(n, format="percent", min_value=0, max_value=1)
                for n in names.values()
                if n in shown.columns
            },
        )
        for note in notes:
            st.caption(note)

# --- Gap map and suggested sites --------------------------------------------------------
st.header(f"Gap map: {_label(category)}")
site_controls = st.columns([2, 2, 3, 3])
modes = available_modes(open_workspace(path))
mode = site_controls[2].selectbox(
    "Travel mode (gap map, sites, range over time)", modes, format_func=MODE_CHOICES.__getitem__,
    key=state.DASH_MODE, disabled=len(modes) == 1,
)  # fmt: skip
depart = str(st.session_state.get(state.DASH_DEPART, "Tue 08:00-09:00"))
if mode == "transit" and not st.session_state.get(state.DASH_MODES):
    depart = site_controls[3].text_input(
        "Leaving (public transport)", depart, key=state.DASH_DEPART
    )
by_mode_found = None
if mode != "walk":
    try:
        by_mode_found = cache.reach_mode_coverage(
            path, version, reach_version, cache.travel_version(path), float(minutes), by, mode,
            depart, principal,
        )  # fmt: skip
    except AssetMapError as exc:
        st.warning(str(exc), icon=":material/warning:")
        mode = "walk"
gap_found = by_mode_found or found
how = MODE_TITLES[mode]
count = site_controls[0].number_input(
    "New sites to suggest", min_value=0, max_value=5, value=2, key=state.DASH_SITES
)
weighted = site_controls[1].toggle("Weight by IMD", key=state.DASH_WEIGHTED)
suggestion = None
if count:
    try:
        suggestion = cache.reach_sites(
            path,
            version,
            reach_version,
            float(minutes),
            by,
            category,
            int(count),
            bool(weighted),
            mode,
            depart,
            cache.travel_version(path),
            principal,
        )
    except AssetMapError as exc:
        st.warning(str(exc), icon=":material/warning:")
table = walk_table  # on foot, the headline's table is the map's
if gap_found is not found:
    table = dashboard.gap_table(gap_found["coverage"], gap_found["areas"], gaps,
                                category=category, places=places, taxonomy=taxonomy)  # fmt: skip
live = live_assets(assets)  # unchecked proposals are no one's service yet
services = live[[category in (c or ()) for c in live["categories"]]]


@st.fragment
def _gap_map() -> None:
    fmap = build_gap_map(
        table,
        minutes=float(minutes),
        title=f"{how} to nearest {_label(category).lower()}",
        services=services,
        sites=None if suggestion is None else suggestion.sites,
        imd_overlay=bool(imd_overlay),
        weighted=bool(weighted),
        taxonomy=taxonomy,
        tiles=tiles,
        leaflet_url=widgets.leaflet_url(),
    )
    st_folium(fmap, key="gap_map", height=520, use_container_width=True, returned_objects=[])
    st.caption(
        widgets.OSM_CREDIT + " Boundaries: ONS/OS, OGL v3. IMD 2019: MHCLG (OGL v3) via mySociety."
    )


_gap_map()
if suggestion is not None:
    summary = dashboard.sites_summary(suggestion, minutes=minutes, weighted=bool(weighted))
    st.markdown(f"**Suggested sites**: {summary}")
    widgets.table(
        dashboard.sites_table(suggestion, noun=where, weighted=bool(weighted)),
        hide_index=True,
        width="stretch",
    )
beyond = areas_beyond(
    table,
    search_minutes=float(gap_found["search_minutes"]),
    has_service=category in set(by_category["category"]),
)
st.markdown(f"**Areas beyond {minutes} min** ({len(beyond)}), with gaps people reported")
widgets.table(
    beyond.rename(
        columns={
            "area": "Area",
            "minutes": "Minutes",
            "imd_decile": "IMD decile",
            "n_gaps": "Gaps reported",
            "notes": "What people said",
        }
    ),
    hide_index=True,
    width="stretch",
)
st.caption(
    f'Counts of gaps from 1 to {SMALL_COUNT_THRESHOLD - 1} show as "<{SMALL_COUNT_THRESHOLD}" '
    "and their words are left out: a gap can come from one person's search for support."
)
aggregate = gap_areas_export(table)
st.download_button(
    "Areas and minutes (CSV)",
    aggregate.to_csv(index=False).encode("utf-8"),
    file_name=f"gap_areas_{category}_{minutes}min_{mode}.csv",
    mime="text/csv",
)

# --- On demand: drawn only when a lead asks (a click reruns this fragment alone) ---------
MORE = {
    "range": "Accessible range over time",
    "added": "What each import, session or grant added",
    "funds": "Funds and the evaluation pack",
}


def _range_over_time() -> None:
    """The monthly accessible range by the gap map's travel mode, with its downloads."""
    st.header("Accessible range over time")
    if mode == "walk":
        series = cache.reach_series(path, version, reach_version, float(minutes), by, principal)
    else:
        series = cache.reach_mode_series(
            path, version, reach_version, cache.travel_version(path), float(minutes), by, mode,
            depart, principal,
        )  # fmt: skip
    if series is None or not len(series.summary):
        st.caption("No history yet: the register has no earlier month to compare.")
        return
    monthly = series.summary.assign(month=series.summary["date"].dt.strftime("%Y-%m"))
    long = monthly.melt(
        id_vars=["month"], value_vars=["mean_categories", "mean_needs"], var_name="measure"
    ).replace({"mean_categories": "categories", "mean_needs": "needs"})
    line_chart = (
        alt.Chart(long, title=f"Mean number within {minutes} min ({how.lower()}), month by month")
        .mark_line(point=True)
        .encode(
            x=alt.X("month:O", title="month", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("value:Q", title=f"mean within {minutes} min"),
            color=alt.Color("measure:N", title=None),
            tooltip=["month", "measure", alt.Tooltip("value:Q", format=".2f")],
        )
        .properties(height=260)
    )
    st.altair_chart(line_chart, width="stretch")
    _table_and_chart_downloads(
        ("Series (CSV)", monthly.drop(columns="date")),
        ("Series chart (PNG)", lambda: line_chart),
        f"accessible_range_{minutes}min_{mode}",
    )


def _added() -> None:
    added = cache.reach_additions(path, version, reach_version, float(minutes), by, principal)
    if added is None or not len(added):
        st.caption("Nothing has been added to the register yet.")
        return
    _what_was_added(added, minutes)


@st.fragment
def _on_demand() -> None:
    """Sections below the fold, each drawn only once chosen (the page paints faster)."""
    chosen = st.segmented_control(
        "More on this page",
        list(MORE),
        format_func=MORE.__getitem__,
        selection_mode="multi",
        key=state.DASH_MORE,
        help="Each section is drawn when chosen; choose it again to put it away.",
    )
    if "range" in chosen:
        _range_over_time()
    if "added" in chosen:
        _added()
    if "funds" in chosen:
        dashboard_funds(open_workspace(path), principal=principal)


_on_demand()
