"""Crafted files that try to exhaust memory or time, imported one by one in a fresh process.

Run by ``test_limits.py`` as ``python _crafted.py FOLDER``; prints one JSON line
per case: its name, the outcome (``ok`` or the error class), the message,
seconds taken and the process's peak memory (MB) so far.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from assetmap.errors import AssetMapError
from assetmap.ingest.hsds import read_hsds
from assetmap.ingest.osm import read_osm_file
from assetmap.ingest.tabular import assets_from_table, propose_column_mapping, read_table

LIBRARY = '<node id="1" version="1" lat="52.67" lon="-0.72"><tag k="amenity" v="library"/>'
LIBRARY += '<tag k="name" v="Oakham Library"/></node>\n'


def _osm(path: Path, body: str) -> Path:
    path.write_text(f'<?xml version="1.0"?>\n<osm version="0.6">\n{body}</osm>\n')
    return path


def way_with_a_million_node_refs(folder: Path) -> object:
    refs = '<nd ref="1"/>' * 1_000_000
    body = f'{LIBRARY}<way id="1" version="1"><tag k="highway" v="footway"/>{refs}</way>\n'
    return read_osm_file(_osm(folder / "long_way.osm", body))


def relation_with_200k_members(folder: Path) -> object:
    members = "".join(f'<member type="way" ref="{i}" role="outer"/>' for i in range(1, 200_001))
    tags = '<tag k="type" v="multipolygon"/><tag k="amenity" v="library"/><tag k="name" v="X"/>'
    body = f'{LIBRARY}<relation id="1" version="1">{members}{tags}</relation>\n'
    return read_osm_file(_osm(folder / "big_relation.osm", body))


def relations_nested_10k_deep(folder: Path) -> object:
    tags = '<tag k="type" v="multipolygon"/><tag k="amenity" v="library"/><tag k="name" v="R"/>'
    body = LIBRARY + "".join(
        f'<relation id="{i}" version="1"><member type="relation" ref="{i + 1}" role=""/>'
        f'<member type="way" ref="{i}" role="outer"/>{tags}</relation>\n'
        for i in range(1, 10_001)
    )
    return read_osm_file(_osm(folder / "nested.osm", body))


def tag_value_of_10_mb(folder: Path) -> object:
    body = '<node id="1" version="1" lat="52.67" lon="-0.72"><tag k="amenity" v="library"/>'
    body += f'<tag k="name" v="{"x" * 10_000_000}"/></node>\n'
    return read_osm_file(_osm(folder / "huge_tag.osm", body))


def node_with_5000_tags(folder: Path) -> object:
    tags = "".join(f'<tag k="k{i}" v="v"/>' for i in range(5_000))
    body = f'<node id="1" version="1" lat="52.67" lon="-0.72"><tag k="amenity" v="library"/>{tags}'
    return read_osm_file(_osm(folder / "many_tags.osm", body + "</node>\n"))


def hsds_nested_a_million_deep(folder: Path) -> object:
    path = folder / "deep.json"
    path.write_text("[" * 1_000_000 + "]" * 1_000_000)
    return read_hsds(path)


def hsds_string_of_100_mb(folder: Path) -> object:
    path = folder / "big_string.json"
    with path.open("w") as fh:
        fh.write('{"id": "s1", "status": "active", "name": "')
        for _ in range(100):
            fh.write("x" * 1_000_000)
        fh.write('"}')
    return read_hsds(path)


def hsds_array_of_6m_numbers(folder: Path) -> object:
    path = folder / "numbers.json"
    path.write_text('{"services": [' + ",".join(["0"] * 6_000_000) + "]}")
    return read_hsds(path)


def hsds_3m_empty_objects(folder: Path) -> object:
    path = folder / "objects.json"
    path.write_text("[" + ",".join(["{}"] * 3_000_000) + "]")
    return read_hsds(path)


def hsds_60k_services(folder: Path) -> object:
    path = folder / "services.json"
    one = '{"id": "s", "name": "n", "status": "active"}'
    path.write_text("[" + ",".join([one] * 60_000) + "]")
    return read_hsds(path)


def hsds_tables_with_a_million_rows(folder: Path) -> object:
    path = folder / "tables.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("services.csv", "id,name\n" + "s,n\n" * 1_000_000)
        zf.writestr("locations.csv", "id\n")
    return read_hsds(path)


def csv_of_300k_rows(folder: Path) -> object:
    path = folder / "rows.csv"
    path.write_text("name,postcode\n" + "Library,LE15 6HW\n" * 300_000)
    frame = read_table(path)
    return assets_from_table(frame, propose_column_mapping(frame.columns))


def csv_cell_of_20_mb(folder: Path) -> object:
    path = folder / "cell.csv"
    path.write_text("name,lat,lon\n" + "x" * 20_000_000 + ",52.67,-0.72\n")
    frame = read_table(path)
    return assets_from_table(frame, propose_column_mapping(frame.columns))


CASES: list[Callable[[Path], object]] = [
    way_with_a_million_node_refs,
    relation_with_200k_members,
    relations_nested_10k_deep,
    tag_value_of_10_mb,
    node_with_5000_tags,
    hsds_nested_a_million_deep,
    hsds_string_of_100_mb,
    hsds_array_of_6m_numbers,
    hsds_3m_empty_objects,
    hsds_60k_services,
    hsds_tables_with_a_million_rows,
    csv_of_300k_rows,
    csv_cell_of_20_mb,
]


def main(folder: Path) -> None:
    for case in CASES:
        start = time.perf_counter()
        try:
            case(folder)
            outcome, message = "ok", ""
        except AssetMapError as exc:
            outcome, message = type(exc).__name__, str(exc)[:300]
        seconds = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        for leftover in folder.iterdir():
            leftover.unlink()
        line = {"case": case.__name__, "outcome": outcome, "message": message}
        print(json.dumps(line | {"seconds": round(seconds, 2), "peak_mb": round(peak_mb)}))
        sys.stdout.flush()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
