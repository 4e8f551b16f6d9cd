"""The Reach dashboard's rules: every need and category, gaps in their places, plain words.

The Dashboard page lays out what this module returns; the rules live here so
that the page, a download and a test see the same thing:

- every need and every category of the taxonomy is listed, those with no
  service at all at 0% (:func:`need_table`, :func:`category_table`), with the
  gaps people recorded for it (counts from 1 to 4 shown as ``"<5"``, their
  words only from 5 up: :mod:`assetmap.disclosure`);
- a gap recorded with a place name, postcode or area name but no pin is put
  at that place, with the reason (:func:`place_gaps`), so it counts in its
  area;
- areas are named in plain words: the LSOA's name and its town
  (:func:`area_labels`), never an ONS code;
- minutes beyond the search say "no service found", never ``inf``; weighted
  figures are whole numbers labelled as weighted (:func:`sites_table`).

It is a service: it may read a workspace (its OSM file, postcode table), and
passes frames to the kernels of :mod:`assetmap.reach`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd
import shapely
from rapidfuzz import fuzz, process

from assetmap.disclosure import SMALL_COUNT_THRESHOLD, suppress_small_counts
from assetmap.errors import PostcodeError
from assetmap.ingest.postcodes import is_postcode, normalise_postcode
from assetmap.match.normalize import normalise_name
from assetmap.match.places import IN_TOWN_KM
from assetmap.reach.areas import area_of_points
from assetmap.taxonomy import Taxonomy, load_taxonomy

if TYPE_CHECKING:
    import geopandas as gpd

    from assetmap.access import Principal
    from assetmap.ingest.postcodes import PostcodeIndex
    from assetmap.reach.coverage import Coverage, Demand
    from assetmap.reach.sites import SiteSuggestion
    from assetmap.workspace import Workspace

__all__ = [
    "NO_SERVICE",
    "Place",
    "area_labels",
    "category_table",
    "dashboard_gaps",
    "gap_table",
    "minutes_text",
    "need_table",
    "osm_places",
    "place_gaps",
    "placing_note",
    "sites_summary",
    "sites_table",
    "workspace_places",
]

#: What the dashboard says where the nearest service is beyond the search (or there is none).
NO_SERVICE: Final = "no service found"
#: OSM ``place`` values that name a settlement, most important first.
PLACE_RANKS: Final = ("city", "town", "village", "suburb", "hamlet", "neighbourhood")
_TOWNS: Final = frozenset({"city", "town"})
_SECTOR: Final = r"^[A-Z]{1,2}[0-9][0-9A-Z]? [0-9]$"
_DISTRICT: Final = r"^[A-Z]{1,2}[0-9][0-9A-Z]?$"


@dataclass(frozen=True, slots=True)
class Place:
    """A named settlement from OpenStreetMap (a node tagged ``place=...``)."""

    name: str
    kind: str
    lon: float
    lat: float


# --- Places -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _places_in_file(path: str, mtime_ns: int) -> tuple[Place, ...]:
    del mtime_ns  # part of the cache key only
    import osmium

    found: list[Place] = []
    for obj in osmium.FileProcessor(path, osmium.osm.NODE):
        kind = obj.tags.get("place")
        name = obj.tags.get("name")
        if name and kind in PLACE_RANKS and isinstance(obj, osmium.osm.Node):
            found.append(Place(str(name), str(kind), obj.location.lon, obj.location.lat))
    return tuple(sorted(found, key=lambda p: (PLACE_RANKS.index(p.kind), p.name)))


def osm_places(path: str | Path) -> tuple[Place, ...]:
    """Return the named settlements of an OSM file, cities first (cached per file version).

    Only nodes are read, so a county extract takes well under a second.
    """
    source = Path(path)
    return _places_in_file(str(source), source.stat().st_mtime_ns)


def workspace_places(workspace: Workspace) -> tuple[Place, ...]:
    """Return the settlements of the workspace's OSM extract (none when it has no file)."""
    origin = str(workspace.settings().get("osm_file") or "")
    if not origin or origin.startswith("place:") or not Path(origin).is_file():
        return ()
    return osm_places(origin)


def _nearest(places: Sequence[Place], x: float, y: float) -> tuple[Place, float]:
    """Return the nearest place to (x, y) and its distance in km (equirectangular)."""
    scale = math.cos(math.radians(y))
    place = min(places, key=lambda p: ((p.lon - x) * scale) ** 2 + (p.lat - y) ** 2)
    return place, 111.2 * math.hypot((place.lon - x) * scale, place.lat - y)


def area_labels(areas: gpd.GeoDataFrame, places: Sequence[Place]) -> list[str]:
    """Name each area in plain words: its name and its town ("Rutland 003A, Oakham").

    The town is a town or city inside the area (a city first), or one within
    :data:`IN_TOWN_KM` of the area's middle (a town's node is one point, and
    most of its small areas hold none); an area with neither is "near" the
    nearest one ("Rutland 001C, near Oakham"). Where the
    extract has no town or city, villages stand in for them. A grid cell (code
    ``grid:...``) is called "1 km square near <town>". Without places an
    area keeps its name.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> areas = gpd.GeoDataFrame({"area_code": ["E01", "grid:1_2"],
    ...     "area_name": ["Rutland 001C", "grid:1_2"]},
    ...     geometry=[box(0, 0, 1, 1), box(5, 5, 6, 6)], crs=4326)
    >>> places = [Place("Oakham", "town", 0.5, 0.5), Place("Egleton", "village", 5.5, 5.5)]
    >>> area_labels(areas, places)
    ['Rutland 001C, Oakham', '1 km square near Oakham']
    >>> area_labels(areas.iloc[[0]], [Place("Stamford", "town", 3, 3)])
    ['Rutland 001C, near Stamford']
    """
    names = [str(n) for n in areas["area_name"]]
    codes = [str(c) for c in areas["area_code"]]
    if not places or not len(areas):
        return names
    owner = area_of_points(areas, [p.lon for p in places], [p.lat for p in places])
    towns = [p for p in places if p.kind in _TOWNS] or list(places)
    inside: dict[int, Place] = {}
    for place, where in zip(places, owner.tolist(), strict=True):
        if where >= 0 and place in towns:
            inside.setdefault(where, place)  # places come most important first
    middle = shapely.point_on_surface(areas.geometry.to_numpy())
    out = []
    for i, (code, name) in enumerate(zip(codes, names, strict=True)):
        near, km = _nearest(towns, float(shapely.get_x(middle[i])), float(shapely.get_y(middle[i])))
        town = inside.get(i) or (near if km <= IN_TOWN_KM else None)
        if code.startswith("grid:"):
            out.append(f"1 km square near {near.name}")
        else:
            out.append(f"{name}, {town.name}" if town else f"{name}, near {near.name}")
    return out


# --- Gaps in their places -----------------------------------------------------------------


def _postcode_point(text: str, postcodes: PostcodeIndex) -> tuple[float, float, str] | None:
    upper = " ".join(text.upper().split())
    if is_postcode(upper):
        try:
            lon, lat = postcodes.locate(upper)
        except PostcodeError:
            return None
        return lon, lat, f"placed at postcode {normalise_postcode(upper)}"
    frame = postcodes.to_frame()
    if pd.Series([upper]).str.fullmatch(_SECTOR).iloc[0]:
        try:
            lon, lat = postcodes.sector_centroid(upper)
        except PostcodeError:
            return None
        return lon, lat, f"placed at the middle of postcode sector {upper}"
    if pd.Series([upper]).str.fullmatch(_DISTRICT).iloc[0] and len(frame):
        district = frame["postcode"].str.split(" ").str[0]
        mine = frame[district == upper]
        if len(mine):
            return (
                float(mine["lon"].mean()),
                float(mine["lat"].mean()),
                f"placed at the middle of postcode district {upper}",
            )
    return None


def _place_point(text: str, places: Sequence[Place]) -> tuple[float, float, str] | None:
    if not places:
        return None
    keys = [normalise_name(p.name) for p in places]
    wanted = normalise_name(text)
    if not wanted:
        return None
    position = keys.index(wanted) if wanted in keys else None
    if position is None:
        best = process.extractOne(wanted, keys, scorer=fuzz.ratio, score_cutoff=90)
        position = None if best is None else int(best[2])
    if position is None:
        return None
    place = places[position]
    return place.lon, place.lat, f"placed at {place.name} (OpenStreetMap {place.kind})"


def place_gaps(
    gaps: pd.DataFrame,
    *,
    areas: gpd.GeoDataFrame,
    postcodes: PostcodeIndex | None = None,
    places: Sequence[Place] = (),
) -> pd.DataFrame:
    """Put each gap recorded without a pin at the place it names, with the reason.

    A gap's ``area`` may be an area code (kept: it counts in that area), an
    area's name ("Rutland 001C": turned into its code), a postcode, postcode
    sector ("LE15 6") or district ("LE15") of the workspace's postcode table
    (placed at its middle), or the name of a settlement in the workspace's
    OpenStreetMap extract ("Oakham"). Gaps with a pin keep it.

    Parameters
    ----------
    gaps
        :func:`assetmap.reach_service.reported_gaps` (``area``, ``lon``, ``lat``).
    areas
        The area table coverage is measured on.
    postcodes
        The workspace's postcode table.
    places
        :func:`workspace_places`.

    Returns
    -------
    pandas.DataFrame
        ``gaps`` with ``lon``/``lat`` filled where a place was found, ``area``
        set to the code where an area's name was given, and ``placed`` saying
        how each gap was placed (``""`` when it could not be).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> areas = gpd.GeoDataFrame({"area_code": ["E01"], "area_name": ["Rutland 001C"]},
    ...     geometry=[box(0, 0, 1, 1)], crs=4326)
    >>> gaps = pd.DataFrame({"area": ["Oakham", "rutland 001c", "Narnia", "LE15 6"],
    ...     "lon": [None, None, None, 0.2], "lat": [None, None, None, 0.3]})
    >>> placed = place_gaps(gaps, areas=areas, places=[Place("Oakham", "town", 0.5, 0.5)])
    >>> placed[["area", "lon", "placed"]].to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'area': ['Oakham', 'E01', 'Narnia', 'LE15 6'], 'lon': [0.5, nan, nan, 0.2],
     'placed': ['placed at Oakham (OpenStreetMap town)', 'in area Rutland 001C', '', 'pinned']}
    """
    out = gaps.copy().reset_index(drop=True)
    for column in ("area", "lon", "lat"):
        if column not in out.columns:
            out[column] = None
    lon = np.array(pd.to_numeric(out["lon"], errors="coerce"), dtype=np.float64)
    lat = np.array(pd.to_numeric(out["lat"], errors="coerce"), dtype=np.float64)
    codes = {str(c): str(n) for c, n in zip(areas["area_code"], areas["area_name"], strict=True)}
    by_name = {normalise_name(n): c for c, n in codes.items()}
    area = out["area"].astype(object).tolist()
    placed: list[str] = []
    for i, text in enumerate(area):
        if np.isfinite(lon[i]) and np.isfinite(lat[i]):
            placed.append("pinned")
            continue
        if not isinstance(text, str) or not text.strip():
            placed.append("")
            continue
        if text in codes:
            placed.append(f"in area {codes[text]}")
            continue
        if normalise_name(text) in by_name:
            area[i] = by_name[normalise_name(text)]
            placed.append(f"in area {codes[area[i]]}")
            continue
        found = _postcode_point(text, postcodes) if postcodes is not None else None
        found = found or _place_point(text, places)
        if found is None:
            placed.append("")
            continue
        lon[i], lat[i], reason = found
        placed.append(reason)
    out["area"] = pd.Series(area, dtype=object)
    out["lon"], out["lat"] = lon, lat
    out["placed"] = pd.Series(placed, dtype=object)
    return out


def placing_note(placed: pd.DataFrame) -> str:
    """Say how many gaps were placed by the place they name, and how many could not be.

    Examples
    --------
    >>> note = placing_note(pd.DataFrame({"placed": ["pinned", "placed at Oakham (town)", "", ""]}))
    >>> note.split(". ")  # doctest: +NORMALIZE_WHITESPACE
    ['1 gap recorded without a pin was placed by the place it names',
     '2 name no place found in this workspace and are counted in the tables but not in an area.']
    >>> placing_note(pd.DataFrame({"placed": ["pinned"]}))
    ''
    """
    reasons = (
        placed["placed"].astype(str) if "placed" in placed.columns else pd.Series([], dtype=str)
    )
    by_name = int(reasons.str.startswith("placed at").sum())
    lost = int((reasons == "").sum())
    parts = []
    if by_name:
        noun = "gap" if by_name == 1 else "gaps"
        verb, pronoun = ("was", "it names") if by_name == 1 else ("were", "they name")
        parts.append(
            f"{by_name} {noun} recorded without a pin {verb} placed by the place {pronoun}."
        )
    if lost:
        parts.append(
            f"{lost} name no place found in this workspace and are counted in the tables "
            "but not in an area."
        )
    return " ".join(parts)


def dashboard_gaps(
    workspace: Workspace,
    areas: gpd.GeoDataFrame,
    *,
    principal: Principal,
    assets: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return the open gaps a lead sees, each placed where it was recorded (``view_dashboard``).

    :func:`assetmap.reach_service.reported_gaps` (no one who reported them)
    then :func:`place_gaps` with the workspace's postcode table and the
    settlements of its OpenStreetMap extract. ``assets``: the register when
    already loaded (its postcodes fill gaps in the table; read when omitted).
    """
    from assetmap.reach_service import reported_gaps
    from assetmap.workspace import workspace_postcodes

    gaps = reported_gaps(workspace.store(), principal=principal)
    return place_gaps(
        gaps,
        areas=areas,
        postcodes=workspace_postcodes(workspace, assets=assets),
        places=workspace_places(workspace),
    )


def gap_table(
    result: Coverage,
    areas: gpd.GeoDataFrame,
    gaps: pd.DataFrame,
    *,
    category: str,
    places: Sequence[Place] = (),
    taxonomy: Taxonomy | None = None,
) -> gpd.GeoDataFrame:
    """:func:`assetmap.reach.sites.area_minutes` with areas named in plain words.

    ``area_name`` becomes "Rutland 003A, Oakham" (:func:`area_labels`);
    ``gaps`` should come from :func:`dashboard_gaps`, so that gaps recorded
    by a place's name count in their area.
    """
    from assetmap.reach.sites import area_minutes

    table = area_minutes(result, areas, category=category, gaps=gaps, taxonomy=taxonomy)
    labels = dict(zip(areas["area_code"], area_labels(areas, places), strict=True))
    table["area_name"] = [labels.get(code, name) for code, name in
                          zip(table["area_code"], table["area_name"], strict=True)]  # fmt: skip
    return table


# --- Every need and category --------------------------------------------------------------


def minutes_text(minutes: float, *, search_minutes: float | None = None) -> str:
    """Minutes as people read them: whole minutes, "over N min" or "no service found".

    Beyond the search (``inf``) a walk is "over N min" when ``search_minutes``
    is given and some service exists, else "no service found".

    Examples
    --------
    >>> minutes_text(12.4), minutes_text(float("inf")), minutes_text(float("nan"))
    ('12 min', 'no service found', 'no service found')
    >>> minutes_text(float("inf"), search_minutes=60)
    'over 60 min'
    """
    if math.isfinite(minutes):
        return f"{minutes:.0f} min"
    return NO_SERVICE if search_minutes is None else f"over {search_minutes:.0f} min"


def _gap_counts(gaps: pd.DataFrame, wanted: Mapping[str, set[str]], key: str) -> list[list[str]]:
    """Return the notes of the gaps that count for each code (``wanted[code]``: keys matched)."""
    notes: list[list[str]] = [[] for _ in wanted]
    if gaps.empty:
        return notes
    values = gaps[key].tolist() if key in gaps.columns else [None] * len(gaps)
    texts = gaps["note"].tolist() if "note" in gaps.columns else [None] * len(gaps)
    for j, accepted in enumerate(wanted.values()):
        for value, note in zip(values, texts, strict=True):
            if value in accepted:
                notes[j].append(note if isinstance(note, str) else "")
    return notes


def _shown_gaps(table: pd.DataFrame, notes: list[list[str]]) -> pd.DataFrame:
    table["gaps"] = [len(n) for n in notes]
    table["what_people_said"] = [
        "; ".join(x for x in n if x) if len(n) >= SMALL_COUNT_THRESHOLD else "" for n in notes
    ]
    return suppress_small_counts(table, ["gaps"]).astype({"gaps": str})


def _within(result: Coverage, demand: Demand) -> tuple[np.ndarray, list[str]]:
    judged = demand.is_postcode if demand.is_postcode.any() else np.ones(len(demand.lon), bool)
    within = result.point_seconds[judged] <= result.minutes * 60.0
    return within, result.by_category["category"].tolist()


def category_table(
    result: Coverage,
    demand: Demand,
    gaps: pd.DataFrame,
    *,
    search_minutes: float | None = None,
    taxonomy: Taxonomy | None = None,
) -> pd.DataFrame:
    """Every category of the taxonomy with its coverage and the gaps recorded for it.

    Categories with no service are at 0% with ``"no service found"``; walks
    beyond ``search_minutes`` (how far coverage searched) are "over N min". A gap
    counts for a category when it names it, or names no category and a need
    the category serves.

    Returns
    -------
    pandas.DataFrame
        ``category``, ``label``, ``share`` (of postcodes, else of places,
        within the limit), ``services``, ``nearest`` (median walk, text),
        ``gaps`` (text; ``"<5"`` from 1 to 4) and ``what_people_said``
        (empty below 5 gaps), most uncovered first.
    """
    tax = load_taxonomy() if taxonomy is None else taxonomy
    within, present = _within(result, demand)
    by_code = result.by_category.set_index("category")
    rows = []
    for code, category in tax.categories.items():
        if code in present:
            share = float(within[:, present.index(code)].mean()) if len(within) else 0.0
            services = int(by_code.at[code, "n_assets"])  # type: ignore[arg-type]
            nearest = float(by_code.at[code, "median_minutes"])  # type: ignore[arg-type]
        else:
            share, services, nearest = 0.0, 0, math.inf
        search = search_minutes if services else None
        nearest_text = minutes_text(nearest, search_minutes=search)
        rows.append((code, category.plain_label, share, services, nearest_text))
    table = pd.DataFrame(rows, columns=["category", "label", "share", "services", "nearest"])
    gaps_of = {
        code: {code, *(f"need:{n}" for n in category.needs)}
        for code, category in tax.categories.items()
    }
    keyed = gaps.assign(
        key=[
            c if isinstance(c, str) else f"need:{n}"
            for c, n in zip(
                gaps.get("category", pd.Series([None] * len(gaps))).tolist(),
                gaps.get("need", pd.Series([None] * len(gaps))).tolist(),
                strict=True,
            )
        ]
    )
    shown = _shown_gaps(table, _gap_counts(keyed, gaps_of, "key"))
    return shown.sort_values(["share", "label"], kind="stable").reset_index(drop=True)


def need_table(
    result: Coverage, demand: Demand, gaps: pd.DataFrame, *, taxonomy: Taxonomy | None = None
) -> pd.DataFrame:
    """Every need of the taxonomy with its coverage and the gaps recorded for it.

    A place counts as within reach of a need when any category serving the
    need is within the limit; a need no service in the register meets is at
    0%.

    Returns
    -------
    pandas.DataFrame
        ``need``, ``label``, ``share``, ``services`` (assets of its
        categories; an asset in two of them counts twice), ``gaps`` (text)
        and ``what_people_said``, most uncovered first.
    """
    tax = load_taxonomy() if taxonomy is None else taxonomy
    within, present = _within(result, demand)
    services = result.by_category.set_index("category")["n_assets"]
    rows = []
    for code, need in tax.needs.items():
        serving = [c for c in tax.categories_for_needs([code]) if c in present]
        columns = [present.index(c) for c in serving]
        share = float(within[:, columns].any(axis=1).mean()) if columns and len(within) else 0.0
        rows.append((code, need.label, share, int(sum(int(services[c]) for c in serving))))
    table = pd.DataFrame(rows, columns=["need", "label", "share", "services"])
    notes = _gap_counts(gaps, {code: {code} for code in tax.needs}, "need")
    shown = _shown_gaps(table, notes)
    return shown.sort_values(["share", "label"], kind="stable").reset_index(drop=True)


# --- Suggested sites ----------------------------------------------------------------------


def sites_table(suggestion: SiteSuggestion, *, noun: str, weighted: bool) -> pd.DataFrame:
    """Return the suggested sites as a lead reads them: whole numbers, labelled when weighted.

    ``noun`` is what demand counts ("postcodes" or "places"). With IMD
    weighting each place counts by its area's deprivation score, so the
    figure is labelled "(IMD-weighted)" and rounded: "341", never "341.428".
    """
    label = f"{noun.capitalize()} newly within reach" + (" (IMD-weighted)" if weighted else "")
    sites = suggestion.sites
    cells = (sites["kind"] == "cell").to_numpy()
    names = [
        f"a street near {point.y:.4f}, {point.x:.4f}" if cell else str(name)
        for name, cell, point in zip(sites["name"], cells, sites.geometry, strict=True)
    ]
    return pd.DataFrame(
        {
            "Rank": sites["rank"].to_numpy(),
            "Site": pd.Series(names, dtype=object),
            "Kind": ["street" if cell else "hall or library" for cell in cells],
            label: [round(float(v)) for v in sites["new_demand"]],
        }
    )


def sites_summary(suggestion: SiteSuggestion, *, minutes: float, weighted: bool) -> str:
    """One plain sentence on how the sites were chosen and what they change.

    Says whether the choice is the best possible one (an exact search over
    every combination) or how close to it, never the solver's name.
    """
    solution = suggestion.solution
    how = (
        "the best possible choice"
        if solution.optimal
        else f"at most {solution.gap:.0%} short of the best possible choice"
    )
    places = (
        "streets (the register has no hall or library to host it)"
        if len(suggestion.sites) and (suggestion.sites["kind"] == "cell").all()
        else "community halls and libraries"
    )
    total = suggestion.total or 1.0
    share = "deprivation-weighted share" if weighted else "share"
    return (
        f"Chosen among {suggestion.n_candidates} {places}: {how}. "
        f"The {share} within {minutes:g} min goes from "
        f"{suggestion.covered_before / total:.0%} to {suggestion.covered_after / total:.0%}."
    )
