"""Data page: import a spreadsheet or HSDS file, review duplicates, download the register.

Import: upload -> column mapping the user can override -> how each category
text was matched, which the user can also override -> validation report ->
import (all rows, or the good ones once the user ticks "skip"). Duplicates: run
de-duplication, then answer the queued pairs one at a time ("Same", "Different",
"Decide later"), the two records side by side and on a small map. Export: the
register as GeoJSON, GeoPackage, CSV or an HSDS zip.
"""

import functools
import hashlib
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from app import auth, state, widgets
from assetmap.access import Operation, allowed
from assetmap.errors import AssetMapError
from assetmap.imports import (
    DOWNLOADS,
    commit_import,
    decide_review,
    deduplicate,
    detect_format,
    export_bytes,
    preview_columns,
    preview_import,
    reasons_in_words,
    review_queue,
    review_records,
)
from assetmap.ingest.problems import REPORT_HEADINGS
from assetmap.ingest.tabular import TABLE_FIELDS
from assetmap.output.export_hsds import workspace_country
from assetmap.taxonomy import load_taxonomy
from assetmap.workspace import open_workspace

IGNORE = "(not used)"
SHOWN_FIELDS = (
    ("name", "Name"),
    ("organisation", "Organisation"),
    ("address", "Address"),
    ("postcode", "Postcode"),
    ("phone", "Phone"),
    ("email", "Email"),
    ("website", "Website"),
    ("categories", "Categories"),
    ("opening_hours", "Opening hours"),
    ("status", "Status"),
    ("source", "Source"),
)

st.title("Data")

path = state.workspace_path()
if path is None:
    widgets.no_workspace_message()
    st.stop()
principal = auth.require_principal(
    path, Operation.IMPORT_DATA, Operation.MERGE_ASSETS, Operation.EXPORT_REGISTER
)
workspace = open_workspace(path)
store = workspace.store()
taxonomy = load_taxonomy()

message = st.session_state.pop(state.DATA_MESSAGE, None)
if message:
    st.success(message, icon=":material/check_circle:")

sections = [
    (title, op)
    for title, op in (
        ("Import", Operation.IMPORT_DATA),
        ("Duplicates", Operation.MERGE_ASSETS),
        ("Export", Operation.EXPORT_REGISTER),
    )
    if allowed(principal, op)
]
tabs = dict(zip([t for t, _ in sections], st.tabs([t for t, _ in sections]), strict=True))


def _cached(
    kind: str,
    data: bytes,
    name: str,
    overrides: dict[str, str | None],
    categories: dict[str, tuple[str, ...]] | None = None,
) -> Any:
    """Return the column mapping or import preview of an upload, kept until any input changes."""
    chosen = tuple(sorted((categories or {}).items()))
    key = (kind, hashlib.sha256(data).hexdigest(), name, tuple(sorted(overrides.items())), chosen)
    cache = st.session_state.setdefault(state.DATA_PREVIEW, {})
    if key in cache:
        cache[key] = cache.pop(key)  # most recently used last
    else:
        while len(cache) > 5:
            cache.pop(next(iter(cache)))
        if kind == "columns":
            cache[key] = preview_columns(data, filename=name, principal=principal)
        else:
            with st.spinner("Reading and checking the file…"):
                cache[key] = preview_import(
                    workspace,
                    data,
                    filename=name,
                    overrides=overrides,
                    category_overrides=categories or None,
                    principal=principal,
                )
    return cache[key]


def _mapping_choices(columns: list[str], proposed: dict[str, str]) -> dict[str, str | None]:
    """Show one selectbox per column; return the overrides that differ from the proposal."""
    st.markdown("**Columns.** Check what each column of the file holds; change any that is wrong.")
    options = [IGNORE, *TABLE_FIELDS]
    overrides: dict[str, str | None] = {}
    grid = st.columns(4)
    for i, column in enumerate(columns):
        default = proposed.get(column) or IGNORE
        chosen = grid[i % 4].selectbox(
            column, options, index=options.index(default), key=f"{state.DATA_MAP_PREFIX}{i}"
        )
        if chosen != default:
            overrides[column] = None if chosen == IGNORE else chosen
    return overrides


def _category_choices(matched: pd.DataFrame, upload_key: str) -> dict[str, tuple[str, ...]]:
    """Show one category box per category text; return the texts whose choice differs.

    ``matched`` is the fuzzy matching of the upload (text, categories, ...).
    Emptying a box means "no category" for that text.
    """
    st.caption(
        "Change any match below: pick the categories for each text in the file, "
        "or empty the box for no category. The report and the import follow your choice."
    )
    chosen: dict[str, tuple[str, ...]] = {}
    grid = st.columns(3)
    for i, (text, codes) in enumerate(zip(matched["text"], matched["categories"], strict=True)):
        default = [c for c in codes if c in taxonomy.categories]
        digest = hashlib.sha256(f"{upload_key}\n{text}".encode()).hexdigest()[:16]
        picked = grid[i % 3].multiselect(
            widgets.md_escape(text),
            list(taxonomy.categories),
            default=default,
            format_func=lambda code: taxonomy.categories[code].plain_label,
            placeholder="No category",
            key=f"{state.DATA_CATEGORY_PREFIX}{digest}",
        )
        if set(picked) != set(default):
            chosen[str(text)] = tuple(picked)
    return chosen


def _import_section() -> None:
    upload = st.file_uploader(
        "A spreadsheet (CSV or Excel .xlsx) or an Open Referral HSDS file (.json or .zip)",
        type=["csv", "tsv", "txt", "xlsx", "json", "zip"],
        key=state.DATA_UPLOAD,
    )
    if upload is None:
        st.caption(
            "Rows are placed by their coordinates or their postcode "
            "(load a postcode table with `assetmap postcodes WORKSPACE FILE`)."
        )
        return
    data, name = upload.getvalue(), upload.name
    spreadsheet = detect_format("upload", filename=name) != "hsds"
    try:
        overrides: dict[str, str | None] = {}
        if spreadsheet:
            mapping = _cached("columns", data, name, {})
            overrides = _mapping_choices(list(mapping.to_frame()["column"]), mapping.fields)
        preview = matched = _cached("preview", data, name, overrides)
    except AssetMapError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    if len(matched.category_mapping):
        with st.expander("How categories were matched"):
            shown = st.empty()
            if spreadsheet:
                upload_key = f"{hashlib.sha256(data).hexdigest()}:{name}"
                chosen = _category_choices(matched.category_mapping, upload_key)
                try:
                    preview = _cached("preview", data, name, overrides, chosen)
                except AssetMapError as exc:
                    st.error(str(exc), icon=":material/error:")
                    return
            widgets.table(preview.category_mapping, into=shown, hide_index=True, width="stretch")
    if len(preview.taxonomy):
        st.markdown("**A taxonomy file**: its terms and the categories they map to")
        widgets.table(
            preview.taxonomy[["kind", "vocabulary", "code", "name", "category", "method"]],
            hide_index=True,
            width="stretch",
        )
    ready, rejected = len(preview.assets), preview.rows_rejected
    left, middle, right = st.columns(3)
    left.metric("Rows read", f"{preview.rows_read:,}")
    middle.metric("Ready to import", f"{ready:,}")
    right.metric("Rows with errors", f"{rejected:,}")
    if len(preview.report):
        st.markdown("**Validation report**")
        widgets.table(
            preview.report.astype({"row": str}),
            hide_index=True,
            width="stretch",
            column_config=dict(REPORT_HEADINGS),
        )
    else:
        st.info("Every row passed the checks.", icon=":material/task_alt:")
    skip = False
    if preview.blocking:
        skip = st.checkbox(
            f"Skip the {rejected:,} reported rows and import the other {ready:,}",
            key=state.DATA_SKIP,
            disabled=ready == 0,
        )
        if not skip:
            st.warning(
                "Nothing is imported while rows have errors: fix the file and upload it "
                "again, or tick the box to skip those rows.",
                icon=":material/warning:",
            )
    label = (
        f"Import the taxonomy ({len(preview.taxonomy):,} records) as {preview.source}"
        if len(preview.taxonomy)
        else f"Import {ready:,} rows as {preview.source}"
    )
    if st.button(
        label,
        type="primary",
        disabled=(ready == 0 and not len(preview.taxonomy)) or (preview.blocking and not skip),
    ):
        try:
            outcome = commit_import(workspace, preview, principal=principal, skip_bad_rows=skip)
        except AssetMapError as exc:
            st.error(str(exc), icon=":material/error:")
            return
        summary = outcome.summary
        if len(preview.taxonomy):
            st.session_state[state.DATA_MESSAGE] = (
                f"Kept the taxonomy from {preview.source}: {outcome.taxonomy_saved:,} records "
                "new or changed."
            )
        elif summary is not None:
            st.session_state[state.DATA_MESSAGE] = (
                f"Imported {summary.total:,} rows from {widgets.md_escape(summary.source)}: "
                f"{summary.created:,} new, "
                f"{summary.updated:,} updated, {summary.unchanged:,} unchanged. "
                "Look for duplicates in the Duplicates tab."
            )
        for key in (state.DATA_PREVIEW, state.DATA_SKIP, state.DATA_UPLOAD):
            st.session_state.pop(key, None)
        st.rerun()


def _record_tables(records: list[dict[str, Any]]) -> list[pd.DataFrame]:
    """Return one Field/Value table per record, leaving out fields both records lack."""
    values = []
    for record in records:
        shown = {}
        for field, label in SHOWN_FIELDS:
            value = record.get(field)
            if field == "categories":
                value = ", ".join(
                    taxonomy.categories[c].plain_label if c in taxonomy.categories else c
                    for c in value or ()
                )
            shown[label] = "" if value is None else str(value)
        values.append(shown)
    labels = [label for _, label in SHOWN_FIELDS if any(v[label] for v in values)]
    return [pd.DataFrame([(k, v[k]) for k in labels], columns=["Field", "Value"]) for v in values]


def _review_section() -> None:
    if st.button("Look for duplicates", help="Merges sure matches; queues the unsure ones here"):
        try:
            result = deduplicate(store, principal=principal)
        except AssetMapError as exc:
            st.error(str(exc), icon=":material/error:")
            return
        st.session_state[state.DATA_MESSAGE] = (
            f"Merged {len(result.merged):,} pairs of duplicates; "
            f"{len(result.queued):,} pairs are waiting for you to decide."
        )
        st.rerun()
    queue = review_queue(store, principal=principal)
    if queue.empty:
        st.info("No pairs are waiting for a decision.", icon=":material/task_alt:")
        return
    review = queue.iloc[0]
    st.markdown(
        f"**Are these the same place?** Pair 1 of {len(queue):,} waiting · "
        f"score {float(review['score']):.1f} of 100"
        + (" · you chose to decide this one later" if review["status"] == "later" else "")
    )
    st.text(f"Why they may be the same: {reasons_in_words(str(review['reasons']), taxonomy)}")
    try:
        records = review_records(
            store, str(review["id_a"]), str(review["id_b"]), principal=principal
        )
    except AssetMapError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    left, right = st.columns(2)
    tables = _record_tables(records)
    for column, title, table in zip((left, right), ("Record A", "Record B"), tables, strict=True):
        column.markdown(f"**{title}**")
        widgets.table(
            table,
            into=column,
            hide_index=True,
            width="stretch",
            height=widgets.every_row(len(table)),
        )
    # On the map, the tooltips say which record is which.
    pair = gpd.GeoDataFrame(pd.DataFrame(records), geometry="geometry", crs="EPSG:4326")
    pair["name"] = ["A: " + str(records[0]["name"]), "B: " + str(records[1]["name"])]
    widgets.asset_map(
        pair, taxonomy=taxonomy, tiles=widgets.tile_choice(workspace.settings().get("tiles")),
        height=320,
    )  # fmt: skip
    same, different, later = st.columns(3)
    decision = None
    if same.button("Same", type="primary", width="stretch", help="Merge them into one"):
        decision = "same"
    if different.button("Different", width="stretch", help="Keep both; never ask again"):
        decision = "different"
    if later.button("Decide later", width="stretch"):
        decision = "later"
    if decision is not None:
        try:
            decide_review(store, str(review["id"]), decision, principal=principal)
        except AssetMapError as exc:
            st.error(str(exc), icon=":material/error:")
            return
        st.session_state[state.DATA_MESSAGE] = {
            "same": "Merged the two records into one (undo it from the record's history).",
            "different": "Kept the two records apart; this pair will not be asked again.",
            "later": "Moved this pair to the end of the queue.",
        }[decision]
        st.rerun()


def _export_section() -> None:
    st.markdown("Download the register as it stands now.")
    labels = {
        "geojson": "GeoJSON",
        "gpkg": "GeoPackage (QGIS)",
        "csv": "CSV (spreadsheet)",
        "hsds": "Open Referral HSDS (zip)",
        "oruk": "Open Referral UK (zip)",
    }
    country = workspace_country(workspace.settings())
    columns = st.columns(len(DOWNLOADS))
    for column, (fmt, (suffix, mime)) in zip(columns, DOWNLOADS.items(), strict=True):
        if fmt in {"hsds", "oruk"} and not allowed(principal, Operation.EXPORT_HSDS):
            continue
        column.download_button(
            labels[fmt],
            data=functools.partial(export_bytes, store, fmt, principal=principal, country=country),
            file_name=f"register{suffix}",
            mime=mime,
            key=f"assetmap.data.download.{fmt}",
            on_click="ignore",
        )


for title, section in (
    ("Import", _import_section),
    ("Duplicates", _review_section),
    ("Export", _export_section),
):
    if title in tabs:
        with tabs[title]:
            section()
