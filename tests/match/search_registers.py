"""Real registers to search in tests and benchmarks, built from ../shared/data.

- Rutland: the 144 OpenStreetMap community POIs of the derived CSV, each given
  the categories its tags imply (``Taxonomy.categories_for_tags``), so the
  search tests do not depend on the OSM importer.
- UK-CAT: real charity names with their activities text as the description and
  their hand-assigned UK-CAT tags mapped to assetmap categories. Search is text
  only, so every charity gets the same dummy location.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from assetmap.schema import validate_assets
from assetmap.taxonomy import Taxonomy, load_taxonomy

OSM_TAG_COLUMNS = ("amenity", "social_facility", "office", "healthcare", "leisure")

# UK-CAT tag (or tag prefix) -> assetmap category. A charity with none of these
# is a plain "charity_community_group".
UKCAT_CATEGORIES = {
    "SW301": "food_support",
    "SW300": "food_support",
    "FA102": "food_support",
    "HE201": "drug_alcohol_support",
    "HO101": "housing_support",
    "HO103": "housing_support",
    "HO105": "housing_support",
    "CA101": "money_advice",
    "SW202": "womens_support",
    "SW203": "womens_support",
    "SW204": "womens_support",
    "BE113": "womens_support",
    "CV104": "volunteering",
    "CJ101": "peer_mentoring",
    "ED305": "peer_mentoring",
    "HE210": "mental_health_support",
    "HE304": "mental_health_support",
    "ED101": "learning_skills",
    "ED102": "learning_skills",
    "ED301": "learning_skills",
    "ED303": "learning_skills",
    "ED306": "learning_skills",
    "ED302": "employment_support",
    "EC107": "employment_support",
    "FA103": "community_centre",
    "FA107": "community_centre",
    "BE103": "family_support",
    "BE109": "family_support",
    "CC": "family_support",
    "AS30": "youth_services",
    "FA108": "youth_services",
    "RL302": "faith_community",
    "LE101": "sport_fitness",
    "LE106": "sport_fitness",
    "FA104": "green_space",
    "FA105": "green_space",
    "AR": "arts_culture",
    "SC": "social_care",
    "HE401": "social_facility",
}


def rutland_register(shared_data: Path, *, taxonomy: Taxonomy | None = None) -> gpd.GeoDataFrame:
    """Return the Rutland POIs as a validated asset table (ids ``osm-<type>-<id>``).

    Unnamed features are named by their category's plain label; features of no
    category are left out (one physiotherapist).
    """
    tax = taxonomy or load_taxonomy()
    pois = pd.read_csv(shared_data / "osm-rutland" / "pois_community_rutland.csv", dtype=str)
    records = []
    for row in pois.to_dict("records"):
        tags = {k: row[k] for k in OSM_TAG_COLUMNS if isinstance(row[k], str)}
        categories = tax.categories_for_tags(tags)
        if not categories:
            continue
        name = row["name"] if isinstance(row["name"], str) else None
        records.append(
            {
                "id": f"osm-{row['osm_type']}-{row['id']}",
                "name": name or tax.category(categories[0]).plain_label,
                "categories": categories,
                "address": row["addr:street"],
                "postcode": row["addr:postcode"],
                "website": row["website"],
                "opening_hours": row["opening_hours"],
                "lon": float(row["lon"]),
                "lat": float(row["lat"]),
                "source": "osm",
                "source_id": f"{row['osm_type']}/{row['id']}",
            }
        )
    return validate_assets(pd.DataFrame.from_records(records), taxonomy=tax)


def ukcat_categories(tags: str | float) -> tuple[str, ...]:
    """Map a ``;``-separated UK-CAT tag list to assetmap category codes."""
    out: list[str] = []
    for tag in str(tags).split(";") if isinstance(tags, str) else []:
        for prefix, category in UKCAT_CATEGORIES.items():
            if tag.startswith(prefix) and category not in out:
                out.append(category)
    return tuple(out) or ("charity_community_group",)


def ukcat_frame(shared_data: Path, *, files: tuple[str, ...] = ("sample.csv",)) -> pd.DataFrame:
    """Return UK-CAT charities as plain asset records (no validation, dummy location)."""
    folder = shared_data / "charities-ukcat"
    raw = pd.concat([pd.read_csv(folder / f, dtype=str) for f in files], ignore_index=True)
    raw = raw.drop_duplicates("org_id").dropna(subset=["name"]).reset_index(drop=True)
    return pd.DataFrame(
        {
            "id": raw["org_id"],
            "name": raw["name"],
            "description": raw["activities"],
            "categories": [ukcat_categories(t) for t in raw["UKCAT"]],
            "postcode": raw["postcode"],
            "lon": -0.7,
            "lat": 52.6,
            "source": "ukcat",
            "source_id": raw["org_id"],
        }
    )


def ukcat_register(
    shared_data: Path,
    *,
    files: tuple[str, ...] = ("sample.csv",),
    taxonomy: Taxonomy | None = None,
) -> gpd.GeoDataFrame:
    """Return UK-CAT charities as a validated asset table (ids are the org ids)."""
    return validate_assets(ukcat_frame(shared_data, files=files), taxonomy=taxonomy)
