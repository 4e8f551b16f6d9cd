"""OSM import memory is bounded by the file's size, not by what a few KB can claim.

Two crafted files, each a few KB: a ``.osm.pbf`` whose zlib blocks unpack to
3 MB of ways that repeat the same two nodes 5,000 times each (the old code
peaked at about 860 MiB on it), and the same idea as ``.osm.bz2`` XML. Each is
read in a fresh subprocess that reports how far its peak resident memory
(``resource.getrusage``) grew over the baseline after imports; no timing.
"""

from __future__ import annotations

import bz2
import json
import subprocess
import sys
from pathlib import Path

import osmium
import pytest
from osmium.osm.mutable import Node, Way
from support import RUTLAND_PBF

from assetmap.ingest.osm import pbf_unpacked_bytes

ROOT = Path(__file__).resolve().parents[2]
MAX_GROWTH_MIB = 150
PROBE = """
import json, resource, sys
from assetmap.errors import AssetMapError
from assetmap.ingest.osm import read_osm_file
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    read_osm_file(sys.argv[1])
    error = None
except AssetMapError as exc:
    error = str(exc)
grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps({"error": error, "grown_mib": grown}))
"""


def _repeating_pbf(path: Path, ways: int) -> Path:
    writer = osmium.SimpleWriter(str(path))
    writer.add_node(Node(id=1, location=(-0.72, 52.67)))
    writer.add_node(Node(id=2, location=(-0.721, 52.671)))
    for i in range(ways):
        writer.add_way(Way(id=10 + i, nodes=[1, 2] * 5000, tags={"highway": "footway"}))
    writer.close()
    return path


def _repeating_bz2(path: Path, ways: int) -> Path:
    refs = '<nd ref="1"/><nd ref="2"/>' * 5000
    body = "".join(
        f'<way id="{10 + i}" version="1">{refs}<tag k="highway" v="footway"/></way>'
        for i in range(ways)
    )
    xml = (
        '<osm version="0.6"><node id="1" lat="52.67" lon="-0.72" version="1"/>'
        f'<node id="2" lat="52.671" lon="-0.721" version="1"/>{body}</osm>'
    )
    path.write_bytes(bz2.compress(xml.encode()))
    return path


def _read_in_subprocess(path: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=600,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize(
    ("make", "name", "words"),
    [
        (_repeating_pbf, "repeat.osm.pbf", "unpacks to 3,008,117 bytes from"),
        (_repeating_bz2, "repeat.osm.bz2", "node references kept from"),
    ],
)
def test_a_few_kb_that_expand_are_refused_within_bounded_memory(tmp_path, make, name, words):
    path = make(tmp_path / name, 300)
    assert path.stat().st_size < 20_000
    result = _read_in_subprocess(path)
    assert words in str(result["error"])
    assert "not a plausible OSM file" in str(result["error"])
    assert float(result["grown_mib"]) < MAX_GROWTH_MIB  # type: ignore[arg-type]


def test_real_extracts_unpack_to_about_twice_their_size():
    ratio = pbf_unpacked_bytes(RUTLAND_PBF) / RUTLAND_PBF.stat().st_size
    assert 1.5 < ratio < 3.0  # the default limit is 20 times
