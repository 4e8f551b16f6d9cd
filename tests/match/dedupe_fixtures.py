"""A seeded, labelled de-duplication set built from real names (../shared/data).

The story: a register holds Rutland's named OpenStreetMap community POIs and a
few hundred real UK-CAT charities placed at real Rutland postcodes. A council
directory then comes in ("incoming"): for most register records it holds a
copy typed by someone else (typos, "St"/"Saint", "&"/"and", Ltd/CIC/The added
or dropped, abbreviations, words in another order or missing, another case,
postcodes in other formats or missing, coordinates a few tens of metres off or
at the postcode centroid, phone numbers in other formats); it also holds
charities the register lacks and hard negatives built on real names:

- ``<library> Car Park`` next to each real library (and "Oakham Library" next
  to "Oakham Library Car Park");
- a church hall, a scout hut and a sports pavilion in villages that have a
  village hall, 60-200 m from it;
- the hall of a real church, 30-80 m from it;
- a charity of the same name as a register charity in another Rutland town,
  and "branches" of the same name 150-240 m apart in the same town.

Labels: an incoming copy and its register original are a duplicate pair;
every other pair is not. "Oakham Library" is the council's name for the
register's "Rutland County Library": a deliberately hard duplicate pair that
name matching cannot see (recorded in ``hard_positives``).

Nothing is tuned per record: every mangling is drawn from the seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from search_registers import rutland_register, ukcat_frame

from assetmap.match.normalize import normalise_name
from assetmap.schema import validate_assets

M_PER_DEG_LAT = 111_320.0
RUTLAND_TOWNS = {"Oakham": (52.6705, -0.7271), "Uppingham": (52.5878, -0.7218)}


@dataclass(frozen=True)
class LabelledSet:
    """Two asset tables and the truth about which pairs are duplicates."""

    register: gpd.GeoDataFrame
    incoming: gpd.GeoDataFrame
    duplicates: frozenset[frozenset[str]]  # {incoming id, register id}
    hard_negatives: dict[frozenset[str], str]  # pair -> what it is
    hard_positives: dict[frozenset[str], str]
    manglings: dict[str, str]  # incoming id -> what was done to it

    @property
    def combined(self) -> gpd.GeoDataFrame:
        """Register and incoming records in one table (the register after import)."""
        frame = pd.concat([self.register, self.incoming], ignore_index=True)
        return gpd.GeoDataFrame(frame, geometry="geometry", crs=self.register.crs)


# ---------------------------------------------------------------- real inputs


def rutland_postcodes(shared_data: Path) -> pd.DataFrame:
    """Rutland's Code-Point Open postcodes with lat/lon (1,025 rows)."""
    table = pd.read_csv(
        shared_data / "postcodes-codepoint-open-2014" / "postcodes_latlon_demo_lads.csv",
        dtype={"postcode": str},
    )
    table = table[table["admin_district_code"] == "E06000017"].reset_index(drop=True)
    code = table["postcode"].str.replace(" ", "", regex=False)
    table["postcode"] = code.str[:-3] + " " + code.str[-3:]
    return table[["postcode", "lat", "lon"]]


def named_rutland_pois(shared_data: Path) -> pd.DataFrame:
    """The named Rutland POIs, one per name within 1 km (OSM holds a few twice)."""
    raw = pd.read_csv(shared_data / "osm-rutland" / "pois_community_rutland.csv", dtype=str)
    named = {
        f"osm-{t}-{i}"
        for t, i, n in zip(raw["osm_type"], raw["id"], raw["name"], strict=True)
        if isinstance(n, str)
    }
    register = rutland_register(shared_data)
    register = register[register["id"].isin(named)].reset_index(drop=True)
    keep: list[int] = []
    for k, row in register.iterrows():
        twin = any(
            normalise_name(register.at[j, "name"]) == normalise_name(row["name"])
            and _metres(register.geometry[j], row.geometry) < 1000
            for j in keep
        )
        if not twin:
            keep.append(int(k))
    return pd.DataFrame(register.loc[keep]).reset_index(drop=True)


def _metres(p: object, q: object) -> float:
    dy = (p.y - q.y) * M_PER_DEG_LAT  # type: ignore[attr-defined]
    dx = (p.x - q.x) * M_PER_DEG_LAT * math.cos(math.radians(p.y))  # type: ignore[attr-defined]
    return math.hypot(dx, dy)


# ---------------------------------------------------------------- mangling


def _typo(name: str, rng: np.random.Generator) -> str:
    words = name.split(" ")
    long_words = [k for k, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not long_words:
        return name
    k = int(rng.choice(long_words))
    w = words[k]
    p = int(rng.integers(1, len(w) - 1))
    kind = rng.choice(["delete", "insert", "substitute", "transpose"])
    letters = "abcdefghijklmnopqrstuvwxyz"
    if kind == "delete":
        w = w[:p] + w[p + 1 :]
    elif kind == "insert":
        w = w[:p] + str(rng.choice(list(letters))) + w[p:]
    elif kind == "substitute":
        w = w[:p] + str(rng.choice(list(letters))) + w[p + 1 :]
    else:
        w = w[: p - 1] + w[p] + w[p - 1] + w[p + 1 :]
    words[k] = w
    return " ".join(words)


def _saint(name: str, rng: np.random.Generator) -> str:
    for short in ("St. ", "St "):
        if short in name:
            return name.replace(short, "Saint ")
    if "Saint " in name:
        return name.replace("Saint ", str(rng.choice(["St ", "St. "])))
    return name


def _ampersand(name: str, rng: np.random.Generator) -> str:
    if " & " in name:
        return name.replace(" & ", " and ")
    if " and " in name.lower():
        return name.replace(" and ", " & ").replace(" AND ", " & ")
    return name


def _legal(name: str, rng: np.random.Generator) -> str:
    upper = name.upper()
    for suffix in (" LIMITED", " LTD", " CIC", " CIO"):
        if upper.endswith(suffix):
            return name[: -len(suffix)]
    if upper.startswith("THE "):
        return name[4:]
    choice = str(rng.choice(["The ", " Ltd", " CIC", " (Charity)", " Limited"]))
    return choice + name if choice == "The " else name + choice


_ABBREVIATE = {
    "Centre": "Ctr",
    "Association": "Assoc",
    "Society": "Soc",
    "Community": "Comm",
    "Memorial": "Meml",
    "Hospital": "Hosp",
}


def _abbreviate(name: str, rng: np.random.Generator) -> str:
    for word, short in _ABBREVIATE.items():
        for variant in (word, word.upper()):
            if variant in name:
                return name.replace(variant, short)
    return name


def _word_order(name: str, rng: np.random.Generator) -> str:
    if ", " in name:
        head, tail = name.split(", ", 1)
        return f"{tail} {head}"
    words = name.split(" ")
    if len(words) < 3:
        return name
    return " ".join(words[1:]) + ", " + words[0]


def _missing_word(name: str, rng: np.random.Generator) -> str:
    words = name.split(" ")
    if len(words) < 3:
        return name
    k = int(rng.integers(1, len(words)))
    return " ".join(words[:k] + words[k + 1 :])


def _case(name: str, rng: np.random.Generator) -> str:
    return str(rng.choice([name.upper(), name.lower(), name.title()]))


NAME_MANGLINGS: dict[str, Callable[[str, np.random.Generator], str]] = {
    "typo": _typo,
    "saint": _saint,
    "ampersand": _ampersand,
    "legal form": _legal,
    "abbreviation": _abbreviate,
    "word order": _word_order,
    "missing word": _missing_word,
    "case": _case,
}
# How often each is drawn: typos most, then the rest.
_NAME_WEIGHTS = np.array([3.0, 1.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])


def mangle_name(name: str, rng: np.random.Generator) -> tuple[str, list[str]]:
    """Apply 1-3 seeded manglings that change the name (or none if none applies)."""
    count = int(rng.choice([1, 1, 2, 2, 3]))
    done: list[str] = []
    names = list(NAME_MANGLINGS)
    order = rng.choice(
        len(names), size=len(names), replace=False, p=_NAME_WEIGHTS / _NAME_WEIGHTS.sum()
    )
    for k in order:
        if len(done) == count:
            break
        changed = NAME_MANGLINGS[names[k]](name, rng)
        if changed != name:
            name = changed
            done.append(names[k])
    return name, done


def postcode_variant(code: str | None, rng: np.random.Generator) -> str | None:
    """The same postcode typed another way, or None (one time in five)."""
    if code is None or rng.random() < 0.2:
        return None
    tight = code.replace(" ", "")
    return str(rng.choice([code, code.lower(), tight, f" {tight[:-3]}  {tight[-3:]} "]))


def phone_variant(phone: str, rng: np.random.Generator) -> str:
    digits = phone.replace(" ", "")
    return str(
        rng.choice(
            [phone, digits, f"+44 {digits[1:5]} {digits[5:]}", f"({digits[:5]}) {digits[5:]}"]
        )
    )


def jitter(
    lon: float, lat: float, rng: np.random.Generator, *, low: float, high: float
) -> tuple[float, float]:
    """Move a point ``low``..``high`` metres in a random direction."""
    metres = rng.uniform(low, high)
    bearing = rng.uniform(0, 2 * math.pi)
    dlat = metres * math.cos(bearing) / M_PER_DEG_LAT
    dlon = metres * math.sin(bearing) / (M_PER_DEG_LAT * math.cos(math.radians(lat)))
    return lon + dlon, lat + dlat


# ---------------------------------------------------------------- the set


def _charity_records(
    charities: pd.DataFrame, postcodes: pd.DataFrame, rng: np.random.Generator, prefix: str
) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for row in charities.to_dict("records"):
        place = postcodes.iloc[int(rng.integers(len(postcodes)))]
        lon, lat = jitter(place["lon"], place["lat"], rng, low=0, high=40)
        slug = "".join(ch for ch in normalise_name(row["name"]) if ch.isalnum())[:20]
        out.append(
            {
                "id": f"{prefix}-{row['id']}",
                "name": row["name"],
                "categories": row["categories"],
                "postcode": place["postcode"],
                "phone": f"01572 {int(rng.integers(700_000, 800_000))}"
                if rng.random() < 0.6
                else None,
                "email": f"info@{slug}.org.uk" if rng.random() < 0.4 else None,
                "website": row.get("website"),
                "lon": lon,
                "lat": lat,
                "source": "ukcat",
            }
        )
    return out


def _nearest_postcode(postcodes: pd.DataFrame, lon: float, lat: float) -> str:
    d = (postcodes["lat"] - lat) ** 2 + (
        (postcodes["lon"] - lon) * math.cos(math.radians(lat))
    ) ** 2
    return str(postcodes.at[int(d.idxmin()), "postcode"])


def _copy_of(
    record: dict[str, object],
    new_id: str,
    postcodes: pd.DataFrame,
    rng: np.random.Generator,
) -> tuple[dict[str, object], str]:
    """The council's copy of a register record, and what was done to it."""
    name, done = mangle_name(str(record["name"]), rng)
    lon, lat = float(record["lon"]), float(record["lat"])  # type: ignore[arg-type]
    true_code = record.get("postcode") or _nearest_postcode(postcodes, lon, lat)
    if rng.random() < 0.15:
        at = postcodes[postcodes["postcode"] == true_code]
        lon, lat = (float(at["lon"].iloc[0]), float(at["lat"].iloc[0])) if len(at) else (lon, lat)
        done.append("at postcode centroid")
    else:
        lon, lat = jitter(lon, lat, rng, low=5, high=80)
        done.append("moved 5-80 m")
    code = postcode_variant(str(true_code), rng)
    phone = record.get("phone")
    phone = phone_variant(str(phone), rng) if phone and rng.random() < 0.7 else None
    categories = tuple(record["categories"])  # type: ignore[arg-type]
    roll = rng.random()
    if roll < 0.15:
        categories = ()
    elif roll < 0.3:
        categories = ("charity_community_group",)
    website = record.get("website")
    if isinstance(website, str) and rng.random() < 0.5:
        website = website.replace("http://www.", "https://").rstrip("/") + "/"
    copy = {
        **record,
        "id": new_id,
        "name": name,
        "postcode": code,
        "phone": phone,
        "email": record.get("email") if rng.random() < 0.5 else None,
        "website": website if rng.random() < 0.6 else None,
        "categories": categories,
        "lon": lon,
        "lat": lat,
        "source": "council",
    }
    return copy, ", ".join(done)


def _place(
    name: str,
    near: dict[str, object],
    rng: np.random.Generator,
    *,
    low: float,
    high: float,
    **fields: object,
) -> dict[str, object]:
    lon, lat = jitter(float(near["lon"]), float(near["lat"]), rng, low=low, high=high)  # type: ignore[arg-type]
    return {"name": name, "lon": lon, "lat": lat, "source": "council", "categories": (), **fields}


def build_labelled_set(
    shared_data: Path,
    *,
    seed: int,
    n_charities: int = 160,
    n_new_charities: int = 80,
    copy_share: float = 0.6,
) -> LabelledSet:
    """Build the labelled set (see the module docstring); the same seed gives the same set."""
    rng = np.random.default_rng(seed)
    postcodes = rutland_postcodes(shared_data)
    pois = named_rutland_pois(shared_data)
    charities = ukcat_frame(shared_data)
    charities = charities[charities["name"].str.len().between(6, 60)]
    picked = charities.sample(n=n_charities + n_new_charities, random_state=seed).reset_index(
        drop=True
    )

    register: list[dict[str, object]] = []
    for row in pois.to_dict("records"):
        register.append(
            {
                "id": f"r-{row['id']}",
                "name": row["name"],
                "categories": tuple(row["categories"]),
                "postcode": row["postcode"] if isinstance(row["postcode"], str) else None,
                "website": row["website"] if isinstance(row["website"], str) else None,
                "lon": row["geometry"].x,
                "lat": row["geometry"].y,
                "source": "osm",
            }
        )
    register += _charity_records(picked.iloc[:n_charities], postcodes, rng, "r")

    incoming: list[dict[str, object]] = []
    duplicates: set[frozenset[str]] = set()
    manglings: dict[str, str] = {}

    def add(record: dict[str, object], note: str) -> str:
        new_id = f"i-{len(incoming):04d}"
        incoming.append({**record, "id": new_id})
        manglings[new_id] = note
        return new_id

    for record in register:
        if rng.random() < copy_share:
            copy, note = _copy_of(record, "", postcodes, rng)
            duplicates.add(frozenset((add(copy, note), str(record["id"]))))
    for record in _charity_records(
        picked.iloc[n_charities : n_charities + n_new_charities], postcodes, rng, "n"
    ):
        add({**record, "source": "council"}, "charity not in the register")

    hard_negatives: dict[frozenset[str], str] = {}
    hard_positives: dict[frozenset[str], str] = {}
    by_name = {str(r["name"]): r for r in register}

    def negative(record: dict[str, object], against: dict[str, object], what: str) -> None:
        new_id = add(record, what)
        hard_negatives[frozenset((new_id, str(against["id"])))] = what

    for library in (
        "Uppingham Library",
        "Ketton Library",
        "Ryhall Library",
        "Rutland County Library",
    ):
        negative(
            _place(f"{library} Car Park", by_name[library], rng, low=30, high=60),
            by_name[library],
            "library vs its car park",
        )
    county = by_name["Rutland County Library"]
    oakham = add(
        _place(
            "Oakham Library",
            county,
            rng,
            low=5,
            high=20,
            categories=("library",),
            postcode="LE15 6HW",
        ),
        "council name of Rutland County Library",
    )
    hard_positives[frozenset((oakham, str(county["id"])))] = (
        "Oakham Library is Rutland County Library"
    )
    duplicates.add(frozenset((oakham, str(county["id"]))))
    car_park = add(
        _place("Oakham Library Car Park", county, rng, low=30, high=60), "library vs its car park"
    )
    hard_negatives[frozenset((car_park, oakham))] = "Oakham Library vs Oakham Library Car Park"
    hard_negatives[frozenset((car_park, str(county["id"])))] = "library vs its car park"

    for village in ("Whissendine", "Langham", "Cottesmore", "Ryhall", "Morcott", "Greetham"):
        hall = by_name.get(f"{village} Village Hall") or by_name[f"{village} Community Centre"]
        for other in ("Church Hall", "Scout Hut", "Sports Pavilion"):
            negative(
                _place(
                    f"{village} {other}",
                    hall,
                    rng,
                    low=60,
                    high=200,
                    categories=("community_centre",),
                ),
                hall,
                f"village hall vs {other.lower()} in the same village",
            )
    for church in (
        "St Mary the Virgin, Ketton",
        "St Nicholas, Cottesmore",
        "Uppingham Methodist Church",
        "Oakham Baptist Church",
        "Langham Baptist Church",
    ):
        head, _, tail = church.partition(", ")
        hall_name = f"{head} Church Hall" + (f", {tail}" if tail else "")
        hall_name = hall_name.replace("Church Church Hall", "Church Hall")
        negative(
            _place(
                hall_name, by_name[church], rng, low=30, high=80, categories=("community_centre",)
            ),
            by_name[church],
            "church vs its church hall",
        )

    register_charities = [r for r in register if r["source"] == "ukcat"]
    for k, twin in enumerate(register_charities[:8]):
        if k < 4:  # the same name in the other town (Rutland's towns are 9 km apart)
            town = "Uppingham" if float(twin["lat"]) > 52.63 else "Oakham"
            lat, lon = RUTLAND_TOWNS[town]
            record = _place(str(twin["name"]), {"lon": lon, "lat": lat}, rng, low=0, high=300)
            what = "same-name charity in another town"
        else:  # a second branch of the same name in the same town
            record = _place(str(twin["name"]), twin, rng, low=150, high=240)
            record["phone"] = f"01572 {int(rng.integers(800_000, 900_000))}"
            what = "same-name charity, another branch 150-240 m away"
        record["categories"] = twin["categories"]
        record["postcode"] = _nearest_postcode(
            postcodes, float(record["lon"]), float(record["lat"])
        )
        negative(record, twin, what)

    return LabelledSet(
        register=validate_assets(pd.DataFrame.from_records(register)),
        incoming=validate_assets(pd.DataFrame.from_records(incoming)),
        duplicates=frozenset(duplicates),
        hard_negatives=hard_negatives,
        hard_positives=hard_positives,
        manglings=manglings,
    )


@dataclass(frozen=True)
class Quality:
    """Precision and recall of predicted duplicate pairs against the truth."""

    precision: float
    recall: float
    true_positives: int
    false_positives: list[tuple[str, str]]
    missed: list[tuple[str, str]]


def quality(
    pairs: pd.DataFrame, truth: frozenset[frozenset[str]], *, positive: tuple[str, ...]
) -> Quality:
    """Score ``find_duplicates`` output, counting ``positive`` decisions as "same"."""
    predicted = {
        frozenset((a, b))
        for a, b, d in zip(pairs["id_a"], pairs["id_b"], pairs["decision"], strict=True)
        if d in positive
    }
    hits = predicted & truth
    return Quality(
        precision=len(hits) / len(predicted) if predicted else 1.0,
        recall=len(hits) / len(truth) if truth else 1.0,
        true_positives=len(hits),
        false_positives=sorted(tuple(sorted(p)) for p in predicted - truth),  # type: ignore[misc]
        missed=sorted(tuple(sorted(p)) for p in truth - predicted),  # type: ignore[misc]
    )
