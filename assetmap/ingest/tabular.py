"""Spreadsheet import: CSV and XLSX community directories -> the asset table.

Three steps, each usable on its own so the app can show a preview between them:

1. :func:`read_table` reads a CSV (encoding and delimiter sniffed) or an XLSX
   sheet into a DataFrame of strings whose index is the row number the user
   sees in a spreadsheet program (the header is row 1 unless a title sits above it).
2. :func:`propose_column_mapping` matches the headers to assetmap's fields
   (:data:`TABLE_FIELDS`) by fuzzy match, with a score per column; the user
   confirms or overrides (``--map SOURCE=FIELD`` on the CLI).
3. :func:`assets_from_table` turns the rows into validated assets and a
   row-level problem report. Rows with an ``error`` are left out; the caller
   refuses to import while :func:`has_blocking_problems` is true unless the
   user chose to skip them. Nothing is written here: the store imports the
   accepted rows in one transaction.

Latitude and longitude that look swapped are reported, not silently fixed;
pass ``fix_swapped=True`` to swap them back (the report then holds a warning).
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
from rapidfuzz import process

from assetmap.errors import SchemaError
from assetmap.geo import UK_BOUNDS, haversine_m, inside
from assetmap.ingest.postcodes import (
    PostcodeIndex,
    find_postcode,
    normalise_postcodes,
)
from assetmap.ingest.problems import REPORT_COLUMNS, ProblemLog, errors_in, rows_rejected
from assetmap.ingest.tabular_columns import (
    TABLE_FIELDS,
    ColumnMapping,
    ColumnMatch,
    mapped_text,
    propose_column_mapping,
    text_score,
)
from assetmap.ingest.tabular_read import Progress, TabularLimits, read_table
from assetmap.ingest.tabular_values import (
    EMAIL_RE,
    PARSERS,
    coordinates,
    formula_cells,
    parse_column,
)
from assetmap.schema import MAX_TEXT_CHARS, empty_assets, normalise_record, validate_assets
from assetmap.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "FAR_FROM_POSTCODE_M",
    "REPORT_COLUMNS",
    "TABLE_FIELDS",
    "ColumnMapping",
    "ColumnMatch",
    "TabularLimits",
    "TabularResult",
    "assets_from_table",
    "has_blocking_problems",
    "map_categories",
    "propose_column_mapping",
    "read_table",
]

logger = logging.getLogger(__name__)

#: Coordinates further than this from their postcode's centre are reported.
FAR_FROM_POSTCODE_M: Final = 5_000.0


@dataclass(frozen=True, eq=False)
class TabularResult:
    """What :func:`assets_from_table` returns.

    Attributes
    ----------
    assets
        Accepted rows as a validated asset table; ``source_id`` is stable across re-imports.
        Its index is the spreadsheet row number.
    report
        One line per problem: row (spreadsheet row number), field, problem,
        value, severity (``"error"`` rows are not in ``assets``; ``"warning"`` rows are).
    category_mapping
        One line per distinct category text: text, categories, score, unmatched, rows.
    """

    assets: gpd.GeoDataFrame
    report: pd.DataFrame
    category_mapping: pd.DataFrame
    rows_read: int = 0

    @property
    def rows_rejected(self) -> int:
        """How many rows have at least one error."""
        return rows_rejected(self.report)


# --------------------------------------------------------------------------- categories


def _normalise_category(text: str) -> str:
    text = str(text).lower().replace("&", " and ").replace("_", " ").replace("center", "centre")
    return " ".join(re.sub(r"[^0-9a-z' ]+", " ", text).replace("'", "").split())


def _category_choices(taxonomy: Taxonomy) -> tuple[list[str], list[str]]:
    texts: list[str] = []
    codes: list[str] = []
    for cat in taxonomy.categories.values():
        spellings = {cat.code, cat.label, cat.plain_label, *cat.keywords}
        spellings.update(term.name for term in cat.hsds_terms)
        for spelling in spellings:
            texts.append(_normalise_category(spelling))
            codes.append(cat.code)
    return texts, codes


_PHRASE_SCORE: Final = 90.0


def _phrase_categories(text: str, taxonomy: Taxonomy) -> list[str]:
    """Categories a category text asks for directly, read by the everyday-phrase layer.

    Every word must be explained by the phrases found (so "Knitting circle"
    maps to nothing rather than to any circle).
    """
    from assetmap.match.phrases import build_phrase_index, read_words

    index = build_phrase_index(taxonomy=taxonomy) if taxonomy is not load_taxonomy() else None
    reading = read_words(text, index=index)
    if not reading.words:
        return []
    return [
        code
        for code, weight in sorted(reading.categories.items())
        if weight >= 1.0 and len(reading.covers[code]) == len(reading.words)
    ]


def map_categories(
    texts: Iterable[str],
    *,
    taxonomy: Taxonomy | None = None,
    overrides: Mapping[str, Sequence[str] | str | None] | None = None,
    threshold: float = 80.0,
) -> pd.DataFrame:
    """Map free category texts ("Food Bank", "Advice; Housing") to taxonomy codes.

    A text is split on ``;``, ``|``, ``,`` and new lines; each part is scored
    with rapidfuzz against every category's code, labels, keywords and HSDS
    term names (best of ``ratio`` and ``token_sort_ratio`` after normalising).
    A part takes every category that ties for its best score at or above
    ``threshold``.

    Parameters
    ----------
    texts
        Distinct category cells.
    taxonomy
        The default taxonomy when omitted.
    overrides
        Text -> category code(s) the user chose (None for no category).
    threshold
        Lowest score that maps a part.

    Returns
    -------
    pandas.DataFrame
        Columns text, categories (tuple of codes), score (lowest part score),
        unmatched (tuple of parts that matched nothing).

    Raises
    ------
    TaxonomyError
        If an override names an unknown category code.

    Examples
    --------
    >>> mapped = map_categories(["Food Bank", "Library; Youth club", "Knitting"])
    >>> mapped["categories"].tolist()
    [('food_support',), ('library', 'family_support', 'youth_services'), ()]
    >>> mapped["score"].tolist()
    [100.0, 100.0, 58.8]
    """
    tax = taxonomy or load_taxonomy()
    choices, codes = _category_choices(tax)
    fixed = {str(k).strip().lower(): v for k, v in (overrides or {}).items()}
    rows: list[tuple[str, tuple[str, ...], float, tuple[str, ...]]] = []
    for text in texts:
        key = str(text).strip()
        if key.lower() in fixed:
            chosen = fixed[key.lower()]
            found = tax.check_categories([chosen] if isinstance(chosen, str) else (chosen or ()))
            rows.append((text, found, 100.0, ()))
            continue
        found_codes: list[str] = []
        unmatched: list[str] = []
        part_scores: list[float] = []
        for part in re.split(r"[;|,\n]+", key):
            query = _normalise_category(part)
            if not query:
                continue
            results = process.extract(query, choices, scorer=text_score, limit=12)
            top = results[0][1] if results else 0.0
            if top < threshold:
                # The everyday-phrase layer Find support uses: "Domestic abuse support".
                direct = _phrase_categories(part, tax)
                if direct:
                    part_scores.append(_PHRASE_SCORE)
                    found_codes.extend(c for c in direct if c not in found_codes)
                    continue
            part_scores.append(float(top))
            if top < threshold:
                unmatched.append(part.strip())
                continue
            for _, score, position in results:
                if score == top and codes[position] not in found_codes and len(found_codes) < 6:
                    found_codes.append(codes[position])
        score = round(min(part_scores), 1) if part_scores else 0.0
        rows.append((text, tuple(found_codes), score, tuple(unmatched)))
    return pd.DataFrame(rows, columns=["text", "categories", "score", "unmatched"])


# --------------------------------------------------------------------------- rows


def _report(problems: ProblemLog) -> pd.DataFrame:
    """Return the report sorted by spreadsheet row, then field."""
    report = problems.frame()
    report["row"] = report["row"].astype(int)
    return report.sort_values(["row", "field"], kind="stable").reset_index(drop=True)


def _name_key(names: pd.Series) -> pd.Series:
    return (
        names.str.lower()
        .str.replace("&", " and ", regex=False)
        .str.replace(r"[^0-9a-z]+", " ", regex=True)
        .str.split()
        .str.join(" ")
    )


def _source_ids(
    ids: pd.Series,
    name_key: pd.Series,
    postcode: pd.Series,
    lon: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
) -> pd.Series:
    where = postcode.where(postcode.notna() & (postcode != ""), None)
    coords = pd.Series(
        [f"{y:.4f},{x:.4f}" if math.isfinite(x) else "" for x, y in zip(lon, lat, strict=True)],
        index=name_key.index,
    )
    keys = name_key + "|" + where.fillna(coords).astype(str)
    hashed = keys.map(
        lambda k: "h:" + hashlib.sha1(k.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]
    )
    return ids.where(ids != "", hashed).astype(object)


def _describe(description: pd.Series, eligibility: pd.Series) -> pd.Series:
    who = eligibility.map(lambda t: f"Who it is for: {t}" if t else "")
    both = (description != "") & (who != "")
    return description.where(~both, description + "\n\n" + who).where(description != "", who)


def _validated(records: pd.DataFrame, taxonomy: Taxonomy, problems: ProblemLog) -> gpd.GeoDataFrame:
    """Validate a chunk; on a schema error find and drop the rows at fault."""
    try:
        out = validate_assets(records, taxonomy=taxonomy)
    except SchemaError:
        keep = []
        for row, raw in zip(records.index, records.to_dict("records"), strict=True):
            record: dict[str, Any] = {str(k): v for k, v in raw.items()}
            try:
                normalise_record(record, taxonomy=taxonomy, where=f"row {row}")
            except SchemaError as exc:
                problems.add_rows([row], "row", str(exc), "")
            else:
                keep.append(row)
        records = records.loc[keep]
        out = validate_assets(records, taxonomy=taxonomy) if keep else empty_assets()
    out.index = records.index
    return out


_LOCATED_BY: Final = frozenset(
    {"lat", "lon", "easting", "northing", "x", "y", "postcode", "address"}
)


@dataclass(frozen=True, eq=False)
class _Places:
    """Where each row is, from the location stage.

    ``lon``/``lat`` are NaN where a row has no place; ``postcode`` is the
    normalised postcode (from its column, else the end of the address) or None.
    """

    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    postcode: pd.Series
    address: pd.Series

    @property
    def located(self) -> npt.NDArray[np.bool_]:
        """Rows with a place."""
        return np.isfinite(self.lon) & np.isfinite(self.lat)


@dataclass(frozen=True, eq=False)
class _Values:
    """The parsed values of the fixed-vocabulary fields, ages and gender settled."""

    parsed: dict[str, pd.Series]
    min_age: pd.Series
    max_age: pd.Series
    gender: pd.Series
    email: pd.Series


def _require_name_and_place(frame: pd.DataFrame, mapping: ColumnMapping) -> None:
    """Raise :class:`SchemaError` when no column gives a name, or none a location."""
    listed = ", ".join(map(repr, frame.columns))
    sheets = frame.attrs.get("sheets") or ()
    sheet_hint = (
        f" (this is sheet {frame.attrs.get('sheet')!r}; the workbook's sheets are "
        f"{', '.join(map(repr, sheets))})"
        if len(sheets) > 1
        else ""
    )
    if mapping.column_for("name") is None:
        msg = (
            f"No column looks like a name: columns are {listed}{sheet_hint}. "
            "Choose one with --map COLUMN=name."
        )
        raise SchemaError(msg)
    if not _LOCATED_BY.intersection(mapping.fields.values()):
        msg = (
            f"No column gives a location (latitude/longitude, eastings/northings, postcode or "
            f"an address with a postcode): columns are {listed}{sheet_hint}."
        )
        raise SchemaError(msg)


def _check_formulas(frame: pd.DataFrame, mapping: ColumnMapping, problems: ProblemLog) -> None:
    """Report formula-looking cells in any column that will be stored."""
    for column, target in mapping.fields.items():
        cells = frame[column].astype(str)
        mask = formula_cells(cells)
        problems.add_rows(
            frame.index[mask],
            target,
            f"cell in column {column!r} starts like a spreadsheet formula; remove the leading "
            "character or skip the row",
            cells[mask],
        )


def _check_swapped(
    index: pd.Index,
    lon: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
    coord_text: pd.Series,
    problems: ProblemLog,
    *,
    area: tuple[float, float, float, float],
    area_label: str,
    fix_swapped: bool,
) -> npt.NDArray[np.bool_]:
    """Report latitude/longitude that look swapped; ``fix_swapped`` swaps them back in place."""
    has_xy = np.isfinite(lon) & np.isfinite(lat)
    swapped = has_xy & ~inside(lon, lat, area) & inside(lat, lon, area)
    if fix_swapped:
        lon[swapped], lat[swapped] = lat[swapped], lon[swapped].copy()
        problems.add_rows(
            index[swapped],
            "lat",
            "latitude and longitude were swapped; swapped back",
            coord_text[swapped],
            "warning",
        )
    else:
        problems.add_rows(
            index[swapped],
            "lat",
            "latitude and longitude look swapped (swapped, the point is inside "
            f"{area_label}); fix the sheet or import with fix_swapped",
            coord_text[swapped],
        )
    return swapped


def _postcodes(
    frame: pd.DataFrame,
    mapping: ColumnMapping,
    has_xy: npt.NDArray[np.bool_],
    problems: ProblemLog,
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Return the address, the normalised postcodes and which postcode cells are malformed."""
    index = frame.index
    address = mapped_text(frame, mapping, "address")
    postcode_text = mapped_text(frame, mapping, "postcode")
    normal = normalise_postcodes(postcode_text)
    from_address = address.map(lambda t: find_postcode(t) if t else None)
    normal = normal.where(normal.notna() | (postcode_text != ""), from_address)
    malformed = (postcode_text != "") & normal.isna()
    problems.add_rows(
        index[malformed & has_xy],
        "postcode",
        "not a UK postcode (the coordinates are used)",
        postcode_text[malformed & has_xy],
        "warning",
    )
    problems.add_rows(
        index[malformed & ~has_xy],
        "postcode",
        "not a UK postcode, and no coordinates",
        postcode_text[malformed & ~has_xy],
    )
    return address, normal, malformed


def _place_by_postcode(
    index: pd.Index,
    lon: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
    normal: pd.Series,
    problems: ProblemLog,
    *,
    postcodes: PostcodeIndex | None,
    swapped: npt.NDArray[np.bool_],
) -> None:
    """Place rows without coordinates at their postcode (in place); report unknown and far ones."""
    has_xy = np.isfinite(lon) & np.isfinite(lat)
    if postcodes is None:
        unplaced = ~has_xy & normal.notna().to_numpy()
        problems.add_rows(
            index[unplaced],
            "postcode",
            "no location: no coordinates, and no postcode table is loaded to place this postcode "
            "(load one with `assetmap postcodes`)",
            normal[unplaced],
        )
        return
    plon, plat = postcodes.lookup(normal.where(normal.notna(), None).tolist())
    known = np.isfinite(plon)
    fill = ~has_xy & known
    lon[fill], lat[fill] = plon[fill], plat[fill]
    far = has_xy & known & ~swapped
    if far.any():
        gap = haversine_m(lon, lat, plon, plat)
        far &= gap > FAR_FROM_POSTCODE_M
        problems.add_rows(
            index[far],
            "postcode",
            [
                f"the coordinates are {g / 1000:,.1f} km from the centre of {p}"
                for g, p in zip(gap[far], normal[far], strict=True)
            ],
            normal[far],
            "warning",
        )
    unknown = ~has_xy & normal.notna().to_numpy() & ~known
    messages = {p: postcodes.unknown_message(p) for p in normal[unknown].unique()}
    problems.add_rows(index[unknown], "postcode", normal[unknown].map(messages), normal[unknown])


def _locate(
    frame: pd.DataFrame,
    mapping: ColumnMapping,
    problems: ProblemLog,
    *,
    postcodes: PostcodeIndex | None,
    area_bbox: tuple[float, float, float, float] | None,
    fix_swapped: bool,
) -> _Places:
    """Place every row: coordinates, else its postcode; report what cannot be placed."""
    index = frame.index
    lon, lat, coord_text = coordinates(frame, mapping, problems)
    has_xy = np.isfinite(lon) & np.isfinite(lat)
    area = area_bbox or UK_BOUNDS
    area_label = "the area" if area_bbox else "the UK"
    swapped = _check_swapped(
        index,
        lon,
        lat,
        coord_text,
        problems,
        area=area,
        area_label=area_label,
        fix_swapped=fix_swapped,
    )
    address, normal, malformed = _postcodes(frame, mapping, has_xy, problems)
    _place_by_postcode(index, lon, lat, normal, problems, postcodes=postcodes, swapped=swapped)
    nothing = ~has_xy & normal.isna().to_numpy() & ~malformed.to_numpy()
    problems.add_rows(index[nothing], "location", "no location: no coordinates and no postcode")
    places = _Places(lon=lon, lat=lat, postcode=normal, address=address)
    outside = places.located & ~inside(lon, lat, area)
    if not fix_swapped:
        outside &= ~swapped  # already reported as swapped
    problems.add_rows(
        index[outside],
        "location",
        f"outside {area_label}" + (f" {tuple(area_bbox)}" if area_bbox else ""),
        pd.Series([f"{y:.5f}, {x:.5f}" for x, y in zip(lon[outside], lat[outside], strict=True)]),
    )
    return places


def _ages(
    parsed: dict[str, pd.Series], index: pd.Index, problems: ProblemLog
) -> tuple[pd.Series, pd.Series]:
    """Return minimum and maximum ages (their columns, else the age range); report reversed ones."""
    min_age = parsed.get("min_age", pd.Series(None, index=index, dtype=object))
    max_age = parsed.get("max_age", pd.Series(None, index=index, dtype=object))
    if "age" in parsed:
        ranges = parsed["age"]
        min_age = min_age.where(min_age.notna(), ranges.map(lambda r: r[0] if r else None))
        max_age = max_age.where(max_age.notna(), ranges.map(lambda r: r[1] if r else None))
    reversed_ages = (
        min_age.notna()
        & max_age.notna()
        & (min_age.fillna(0).astype(float) > max_age.fillna(0).astype(float))
    )
    problems.add_rows(
        index[reversed_ages],
        "age",
        "the minimum age is above the maximum age",
        [
            f"{int(low)}-{int(high)}"
            for low, high in zip(min_age[reversed_ages], max_age[reversed_ages], strict=True)
        ],
    )
    return min_age, max_age


def _gender(parsed: dict[str, pd.Series], index: pd.Index, problems: ProblemLog) -> pd.Series:
    """Return the gender a row is open to, from its gender and women/men only columns."""
    gender = parsed.get("gender", pd.Series(None, index=index, dtype=object))
    women = parsed.get("women_only", pd.Series(None, index=index, dtype=object)) == True  # noqa: E712
    men = parsed.get("men_only", pd.Series(None, index=index, dtype=object)) == True  # noqa: E712
    clash = (women & men) | (women & (gender == "men")) | (men & (gender == "women"))
    problems.add_rows(index[clash], "gender", "marked both women only and men only", "")
    return gender.mask(women, "women").mask(men, "men")


def _parse_values(frame: pd.DataFrame, mapping: ColumnMapping, problems: ProblemLog) -> _Values:
    """Parse the fixed-vocabulary columns, ages, gender and email; report what is not understood."""
    index = frame.index
    parsed: dict[str, pd.Series] = {}
    for target in PARSERS:
        if mapping.column_for(target):
            parsed[target], _ = parse_column(mapped_text(frame, mapping, target), target, problems)
    min_age, max_age = _ages(parsed, index, problems)
    gender = _gender(parsed, index, problems)
    email = mapped_text(frame, mapping, "email")
    bad_email = (email != "") & ~email.str.match(EMAIL_RE)
    problems.add_rows(
        index[bad_email],
        "email",
        "does not look like an email address",
        email[bad_email],
        "warning",
    )
    return _Values(parsed=parsed, min_age=min_age, max_age=max_age, gender=gender, email=email)


def _categorise(
    frame: pd.DataFrame,
    mapping: ColumnMapping,
    problems: ProblemLog,
    *,
    taxonomy: Taxonomy,
    overrides: Mapping[str, Sequence[str] | str | None] | None,
) -> tuple[pd.Series, pd.DataFrame]:
    """Return each row's category codes and the category mapping; report unmatched texts."""
    category_text = mapped_text(frame, mapping, "categories")
    distinct = [t for t in category_text.unique() if t]
    cat_map = map_categories(distinct, taxonomy=taxonomy, overrides=overrides)
    cat_map["rows"] = cat_map["text"].map(category_text.value_counts())
    lookup = dict(zip(cat_map["text"], cat_map["categories"], strict=True))
    unmatched = dict(zip(cat_map["text"], cat_map["unmatched"], strict=True))
    categories = category_text.map(lambda t: lookup.get(t, ()))
    partly = category_text.map(lambda t: bool(unmatched.get(t)))
    problems.add_rows(
        frame.index[partly],
        "categories",
        category_text[partly].map(
            lambda t: "no category matches " + ", ".join(map(repr, unmatched[t]))
        ),
        category_text[partly],
        "warning",
    )
    return categories, cat_map


def _check_duplicates(
    name: pd.Series,
    name_key: pd.Series,
    ids: pd.Series,
    places: _Places,
    problems: ProblemLog,
    *,
    by_id: bool,
) -> None:
    """Report rows with the same normalised name and place as an earlier row, or the same id."""
    index = name.index
    place = places.postcode.fillna(
        pd.Series(
            [f"{y:.4f},{x:.4f}" for x, y in zip(places.lon, places.lat, strict=True)], index=index
        )
    )
    dup_key = name_key + "|" + place.astype(str)
    usable = (name_key != "") & places.located
    first_row = pd.Series(index, index=index).groupby(dup_key.where(usable)).transform("first")
    duplicate = usable & dup_key.where(usable).duplicated(keep="first")
    problems.add_rows(
        index[duplicate],
        "name",
        first_row[duplicate].map(lambda r: f"duplicate of row {int(r)}"),
        name[duplicate],
    )
    if by_id:
        first_id = pd.Series(index, index=index).groupby(ids.where(ids != "")).transform("first")
        dup_id = (ids != "") & ids.where(ids != "").duplicated(keep="first")
        problems.add_rows(
            index[dup_id],
            "id",
            first_id[dup_id].map(lambda r: f"the same id as row {int(r)}"),
            ids[dup_id],
        )


_PARSED_COLUMNS: Final = (
    "cost",
    "convictions",
    "wheelchair",
    "kind",
    "referral_required",
    "dbs_check",
    "last_verified",
)
_LONG_TEXT: Final = ("name", "organisation", "description", "address", "opening_hours")


def _records(
    frame: pd.DataFrame,
    mapping: ColumnMapping,
    problems: ProblemLog,
    *,
    name: pd.Series,
    places: _Places,
    values: _Values,
    categories: pd.Series,
    source: str,
    source_id: pd.Series,
) -> pd.DataFrame:
    """Build the asset records of every row; report text too long for the schema by field."""
    records = pd.DataFrame(
        {
            "name": name,
            "organisation": mapped_text(frame, mapping, "organisation"),
            "description": _describe(
                mapped_text(frame, mapping, "description", sep="\n\n"),
                mapped_text(frame, mapping, "eligibility"),
            ),
            "address": places.address,
            "postcode": places.postcode,
            "opening_hours": mapped_text(frame, mapping, "opening_hours"),
            "phone": mapped_text(frame, mapping, "phone"),
            "email": values.email,
            "website": mapped_text(frame, mapping, "website"),
            "categories": categories,
            "gender": values.gender.fillna("any"),
            "min_age": values.min_age,
            "max_age": values.max_age,
            "source": source,
            "source_id": source_id,
            "lon": places.lon,
            "lat": places.lat,
        },
        index=frame.index,
    )
    for target in _PARSED_COLUMNS:
        if target in values.parsed:
            records[target] = values.parsed[target]
    for column in _LONG_TEXT:
        too_long = records[column].str.len() > MAX_TEXT_CHARS
        problems.add_rows(
            frame.index[too_long],
            column,
            f"longer than {MAX_TEXT_CHARS:,} characters",
            records[column][too_long].str.slice(0, 40),
        )
    return records


def _accepted_assets(
    records: pd.DataFrame,
    problems: ProblemLog,
    *,
    taxonomy: Taxonomy,
    chunk_rows: int,
    progress: Progress | None,
) -> gpd.GeoDataFrame:
    """Validate the rows without errors, ``chunk_rows`` at a time, into the asset table."""
    rejected = set(errors_in(problems.frame())["row"])
    keep = ~records.index.isin(list(rejected))
    accepted = records if keep.all() else records[keep]
    del records  # one copy of the rows at a time: the chunks below are small
    parts = []
    for start in range(0, len(accepted), chunk_rows):
        chunk = accepted.iloc[start : start + chunk_rows].replace({"": None})
        parts.append(_validated(chunk, taxonomy, problems))
        if progress is not None:
            progress(min(start + chunk_rows, len(accepted)), len(accepted))
    del accepted
    assets = pd.concat(parts) if len(parts) > 1 else parts[0] if parts else empty_assets()
    del parts
    return gpd.GeoDataFrame(assets, geometry="geometry", crs=empty_assets().crs)


def assets_from_table(
    frame: pd.DataFrame,
    mapping: ColumnMapping | None = None,
    *,
    taxonomy: Taxonomy | None = None,
    postcodes: PostcodeIndex | None = None,
    area_bbox: tuple[float, float, float, float] | None = None,
    source: str | None = None,
    fix_swapped: bool = False,
    category_overrides: Mapping[str, Sequence[str] | str | None] | None = None,
    chunk_rows: int = 20_000,
    progress: Progress | None = None,
) -> TabularResult:
    """Turn spreadsheet rows into validated assets and a row-level problem report.

    Location comes from latitude/longitude, eastings/northings (or X/Y, read as
    either by their values), else from the postcode (the postcode column, or
    one found at the end of the address) looked up in ``postcodes``.

    Rows with any ``error`` are left out: missing name, no location, unknown
    postcode (the nearest known sector is named), coordinates outside
    ``area_bbox`` (or the UK), latitude/longitude swapped, invalid values
    (ages, yes/no fields, cost...), a duplicate of an earlier row (same
    normalised name and place, or the same id), and cells that would run as
    a spreadsheet formula (``=``, ``@``, and ``+``/``-`` unless a number,
    phone number or bullet). Warnings (an unmatched category, a bad date,
    coordinates far from the postcode, a malformed postcode beside good
    coordinates, a swap fixed with ``fix_swapped``) keep the row.

    Parameters
    ----------
    frame
        From :func:`read_table` (index = spreadsheet row number).
    mapping
        From :func:`propose_column_mapping`; proposed from the headers when omitted.
    taxonomy
        The default taxonomy when omitted.
    postcodes
        The workspace's postcode table, to place rows that only have a postcode.
    area_bbox
        (min_lon, min_lat, max_lon, max_lat) of the area; rows outside are errors.
    source
        Provenance of every asset; ``"spreadsheet:<file name>"`` by default.
    fix_swapped
        Swap latitude/longitude back where they look swapped (reported as a warning).
    category_overrides
        Category text -> code(s), as chosen in the preview.
    chunk_rows
        Rows validated per step.
    progress
        Called as ``progress(rows_done, rows_total)`` after each step.

    Returns
    -------
    TabularResult

    Raises
    ------
    SchemaError
        If no column maps to a name, or none gives a location (the columns are listed).
    """
    tax = taxonomy or load_taxonomy()
    mapping = mapping or propose_column_mapping(frame.columns)
    _require_name_and_place(frame, mapping)
    filename = str(frame.attrs.get("filename") or "spreadsheet")
    problems = ProblemLog()
    _check_formulas(frame, mapping, problems)
    name = mapped_text(frame, mapping, "name")
    problems.add_rows(frame.index[name == ""], "name", "missing name")
    places = _locate(
        frame,
        mapping,
        problems,
        postcodes=postcodes,
        area_bbox=area_bbox,
        fix_swapped=fix_swapped,
    )
    values = _parse_values(frame, mapping, problems)
    categories, cat_map = _categorise(
        frame, mapping, problems, taxonomy=tax, overrides=category_overrides
    )
    ids = mapped_text(frame, mapping, "id")
    name_key = _name_key(name)
    _check_duplicates(
        name, name_key, ids, places, problems, by_id=mapping.column_for("id") is not None
    )
    assets = _accepted_assets(
        _records(
            frame,
            mapping,
            problems,
            name=name,
            places=places,
            values=values,
            categories=categories,
            source=source or f"spreadsheet:{filename}",
            source_id=_source_ids(ids, name_key, places.postcode, places.lon, places.lat),
        ),
        problems,
        taxonomy=tax,
        chunk_rows=chunk_rows,
        progress=progress,
    )
    report = _report(problems)
    logger.info(
        "Spreadsheet %s: %d rows, %d accepted, %d report lines.",
        filename,
        len(frame),
        len(assets),
        len(report),
    )
    return TabularResult(
        assets=assets,
        report=report,
        category_mapping=cat_map,
        rows_read=len(frame),
    )


def has_blocking_problems(report: pd.DataFrame) -> bool:
    """Return whether a report holds errors (rows that would not be imported).

    The CLI and app refuse to import such a sheet unless the user skips those rows.

    Examples
    --------
    >>> has_blocking_problems(pd.DataFrame({"severity": ["warning"]}))
    False
    """
    return not errors_in(report).empty
