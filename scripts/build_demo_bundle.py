"""Build the data that ships inside the package from ``../shared/data``.

Writes (and overwrites) two folders, each with its licence and attribution:

- ``assetmap/data/demo/rutland/``: the Rutland demo bundle: the Geofabrik
  OpenStreetMap extract (ODbL), Rutland's Code-Point Open postcode rows from
  ``le.csv`` and ``pe.csv`` (the county's east around Ketton and Empingham is
  PE9), its 2011 LSOA boundaries and their IMD 2019 rows (Open Government
  Licence), and ``ATTRIBUTION.md``.
- ``assetmap/data/schemas/hsds-3.0/``: the HSDS 3.0 table schemas the HSDS
  export validates against at run time (CC BY-SA 4.0), with their ``LICENSE``.

Run from the repository root: ``python scripts/build_demo_bundle.py``
(``--shared DIR`` for another data folder). The output is committed, so users
and CI never need ``../shared``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "assetmap" / "data"
RUTLAND = "E06000017"

ATTRIBUTION = """\
# The Rutland demo bundle: sources, licences and attribution

Built by `scripts/build_demo_bundle.py` from copies of public data. Each file keeps its own
licence; nothing here is under assetmap's AGPL.

| File | What | Licence | Attribution |
|---|---|---|---|
| `rutland-latest.osm.pbf` | Geofabrik's Rutland extract of OpenStreetMap (newest object 2022-07-19), unchanged | Open Database Licence 1.0 (ODbL): <https://opendatacommons.org/licenses/odbl/1-0/> | © OpenStreetMap contributors |
| `postcodes.csv` | OS Code-Point Open (August 2014) rows whose admin district is Rutland (E06000017), from the LE and PE area files: {n_postcodes} postcodes ({n_le} LE, {n_pe} PE), rows unchanged | Open Government Licence v3.0: <https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/> | Contains Ordnance Survey data © Crown copyright and database right 2014. Contains Royal Mail data © Royal Mail copyright and database right 2014. Contains National Statistics data © Crown copyright and database right 2014. |
| `lsoa.geojson` | Rutland's {n_lsoa} 2011 Lower Layer Super Output Areas (generalised), from martinjc/UK-GeoJSON, unchanged | Open Government Licence v3.0 (and OS OpenData) | Contains Ordnance Survey, Office for National Statistics, National Records Scotland and LPS Intellectual Property data © Crown copyright and database right 2016. Source: Office for National Statistics licensed under the Open Government Licence v3.0. |
| `imd.csv` | English Indices of Deprivation 2019 for those LSOAs: the {n_imd} rows of mySociety's `UK_IMD_E.csv` | Open Government Licence v3.0 (MHCLG IoD2019); mySociety's composite columns CC BY 4.0 | Contains MHCLG English Indices of Deprivation 2019 (Open Government Licence v3.0); mySociety Composite UK IMD (CC BY 4.0). |

Derived databases of the OpenStreetMap data (such as a workspace's register built from it) stay
under the ODbL and must say "© OpenStreetMap contributors".

SHA-256 of each file:

{checksums}
"""

HSDS_NOTE = """\
# HSDS 3.0 table schemas

The JSON Schemas of Open Referral's Human Services Data Specification 3.0 (repository
openreferral/specification, commit 279fd2eb3552c349bf698c07c00cc25f5fc8249b), copied unchanged by
`scripts/build_demo_bundle.py` so that `assetmap export --format hsds` validates what it writes
wherever assetmap is installed. Licence: Creative Commons Attribution-ShareAlike 4.0 (`LICENSE`
beside this file). Attribution: "Open Referral Human Services Data Specification 3.0".
"""


ORUK_NOTE = """\
# Open Referral UK profile: schemas and API description

The JSON Schemas of the Open Referral UK profile of HSDS 3.0 and its API description
(`openapi.json`), from the OpenReferralUK/uk-profile repository, copied unchanged by
`scripts/build_demo_bundle.py` so that `assetmap export --format oruk` validates what it writes
and `assetmap api` serves the API description wherever assetmap is installed. Licence: Open
Referral publishes its specification materials under Creative Commons Attribution-ShareAlike 4.0
(the UK profile repository carries no separate licence file). Attribution: "Open Referral UK".
"""


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _codepoint_rows(files: list[Path]) -> dict[str, list[list[str]]]:
    rows: dict[str, list[list[str]]] = {}
    for path in files:
        with path.open(newline="", encoding="latin-1") as fh:
            rows[path.stem] = [r for r in csv.reader(fh) if len(r) > 8 and r[8] == RUTLAND]
    return rows


def build_rutland(shared: Path, out: Path) -> dict[str, int]:
    """Write the Rutland bundle into ``out`` and return what it holds."""
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(
        shared / "osm-rutland" / "rutland-latest.osm.pbf", out / "rutland-latest.osm.pbf"
    )
    codepoint = shared / "postcodes-codepoint-open-2014"
    rows = _codepoint_rows([codepoint / "le.csv", codepoint / "pe.csv"])
    with (out / "postcodes.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_NONNUMERIC)
        for part in ("le", "pe"):
            for row in rows[part]:
                writer.writerow([*row[:1], int(row[1]), int(row[2]), int(row[3]), *row[4:]])
    lsoa_file = shared / "boundaries-uk-geojson" / f"lsoa_by_lad_{RUTLAND}.geojson"
    shutil.copyfile(lsoa_file, out / "lsoa.geojson")
    codes = {f["properties"]["LSOA11CD"] for f in json.loads(lsoa_file.read_text())["features"]}
    with (shared / "imd-2019-mysociety" / "UK_IMD_E.csv").open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        imd = [r for r in reader if r[header.index("lsoa")] in codes]
    with (out / "imd.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *imd])
    counts = {
        "n_postcodes": len(rows["le"]) + len(rows["pe"]),
        "n_le": len(rows["le"]),
        "n_pe": len(rows["pe"]),
        "n_lsoa": len(codes),
        "n_imd": len(imd),
    }
    files = ("rutland-latest.osm.pbf", "postcodes.csv", "lsoa.geojson", "imd.csv")
    checksums = "\n".join(f"- `{name}`: `{_sha(out / name)}`" for name in files)
    (out / "ATTRIBUTION.md").write_text(ATTRIBUTION.format(checksums=checksums, **counts))
    return counts


def build_hsds_schemas(shared: Path, out: Path) -> int:
    """Copy the HSDS 3.0 table schemas (not the compiled ones) and their licence."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    source = shared / "hsds-3.0"
    schemas = sorted(p for p in (source / "schema").glob("*.json") if p.name != "openapi.json")
    for path in schemas:
        shutil.copyfile(path, out / path.name)
    shutil.copyfile(source / "LICENSE", out / "LICENSE")
    (out / "SOURCE.md").write_text(HSDS_NOTE)
    return len(schemas)


def build_oruk_schemas(shared: Path, out: Path) -> int:
    """Copy the Open Referral UK profile's schemas and openapi.json (not the compiled ones)."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    schemas = sorted((shared / "oruk-profile" / "schema").glob("*.json"))
    for path in schemas:
        shutil.copyfile(path, out / path.name)
    (out / "SOURCE.md").write_text(ORUK_NOTE)
    return len(schemas)


def main(argv: list[str] | None = None) -> int:
    """Build both folders; print what they hold."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args(argv)
    if not args.shared.is_dir():
        print(f"build_demo_bundle: no data folder at {args.shared}", file=sys.stderr)
        return 1
    counts = build_rutland(args.shared, DATA / "demo" / "rutland")
    n_schemas = build_hsds_schemas(args.shared, DATA / "schemas" / "hsds-3.0")
    n_oruk = build_oruk_schemas(args.shared, DATA / "schemas" / "oruk-profile")
    print(f"Rutland bundle: {counts}; HSDS schemas: {n_schemas}; ORUK schemas: {n_oruk}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
