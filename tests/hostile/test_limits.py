"""Crafted files cannot make an import run out of memory or time.

The crafted files (``_crafted.py``) are imported one by one in a fresh Python
process, which reports each outcome, the seconds it took and its peak memory;
the limits that stop them are also checked here with small settings.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from assetmap.errors import IngestError
from assetmap.ingest.hsds import HsdsLimits, read_hsds
from assetmap.ingest.osm import OsmLimits, read_osm_file
from assetmap.ingest.tabular import TabularLimits, read_table

CRAFTED = Path(__file__).with_name("_crafted.py")
MAX_SECONDS = 20.0  # per crafted file, on a busy shared machine
MAX_PEAK_MB = 1_500  # the whole process, imports included

EXPECTED = {
    "way_with_a_million_node_refs": ("IngestError", "way/1 has 1,000,000 node references"),
    "relation_with_200k_members": ("IngestError", "relation/1 has 200,000 members"),
    "relations_nested_10k_deep": ("ok", ""),
    "tag_value_of_10_mb": ("IngestError", "tag value is too long"),
    "node_with_5000_tags": ("IngestError", "node/1 has 5,001 tags; the limit is 1,000"),
    "hsds_nested_a_million_deep": ("IngestError", "nests too deeply"),
    "hsds_string_of_100_mb": ("IngestError", "is 100,000,044 bytes; the limit is 52,428,800"),
    "hsds_array_of_6m_numbers": ("IngestError", "holds up to 6,000,001 values"),
    "hsds_3m_empty_objects": ("IngestError", "holds up to 6,000,000 values"),
    "hsds_60k_services": ("IngestError", "holds 60,000 services; the limit is 50,000"),
    "hsds_tables_with_a_million_rows": ("IngestError", "services.csv has 50,001 rows"),
    "csv_of_300k_rows": ("IngestError", "has more than 250,000 rows"),
    "csv_cell_of_20_mb": ("ok", ""),
}


@pytest.fixture(scope="module")
def crafted_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    folder = tmp_path_factory.mktemp("crafted")
    done = subprocess.run(
        [sys.executable, str(CRAFTED), str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    runs = [json.loads(line) for line in done.stdout.splitlines()]
    return {str(r["case"]): r for r in runs}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_a_crafted_file_is_refused_or_read_within_time_and_memory(
    crafted_runs: dict[str, dict[str, object]], case: str
) -> None:
    run = crafted_runs[case]
    outcome, message = EXPECTED[case]
    assert run["outcome"] == outcome
    assert message in str(run["message"])
    assert float(str(run["seconds"])) < MAX_SECONDS
    assert float(str(run["peak_mb"])) < MAX_PEAK_MB


def test_every_crafted_case_ran(crafted_runs: dict[str, dict[str, object]]) -> None:
    assert set(crafted_runs) == set(EXPECTED)


def test_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["name"])
    sheet.append(["Oakham Library"])
    plain = io.BytesIO()
    workbook.save(plain)
    bomb = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(plain.getvalue())) as source,
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":  # 2 MB of padding inside the sheet
                data = data.replace(b"</worksheet>", b" " * 2_000_000 + b"</worksheet>")
            target.writestr(info, data)
    assert len(bomb.getvalue()) < 50_000
    limits = TabularLimits(max_unpacked_bytes=1_000_000)
    assert len(read_table(plain.getvalue(), filename="plain.xlsx", limits=limits)) == 1
    with pytest.raises(IngestError, match=r"bomb\.xlsx unpacks to 2\.\d MB; the limit is 1\.0 MB"):
        read_table(bomb.getvalue(), filename="bomb.xlsx", limits=limits)
    assert TabularLimits().max_unpacked_bytes == 512 * 1024 * 1024


def test_an_hsds_zip_that_unpacks_too_far_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "feed.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("services.json", '{"name": "' + "x" * 3_000_000 + '"}')
    assert path.stat().st_size < 50_000
    with pytest.raises(IngestError, match=r"unpacks to [\d,]+ bytes; the limit is 1,000,000"):
        read_hsds(path, limits=HsdsLimits(max_bytes=1_000_000))


def test_osm_way_and_relation_limits_apply_as_configured(tmp_path: Path) -> None:
    refs = "".join(f'<nd ref="{i}"/>' for i in (1, 2, 3, 1))
    nodes = "".join(
        f'<node id="{i}" version="1" lat="52.67{i}" lon="-0.72{i}"/>' for i in (1, 2, 3)
    )
    path = tmp_path / "small.osm"
    path.write_text(
        f'<?xml version="1.0"?><osm version="0.6">{nodes}'
        f'<way id="7" version="1"><tag k="highway" v="footway"/>{refs}</way></osm>'
    )
    assert len(read_osm_file(path).network.edge_u) == 3
    with pytest.raises(IngestError, match="way/7 has 4 node references; the limit is 3"):
        read_osm_file(path, limits=OsmLimits(max_way_nodes=3))
