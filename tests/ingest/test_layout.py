"""What the importers may import (docs/architecture.md, "assetmap/ingest/")."""

import ast
from pathlib import Path

import pytest

INGEST = Path(__file__).resolve().parents[2] / "assetmap" / "ingest"

#: Of assetmap, an importer may import the model layer, itself and these kernels.
ALLOWED = (
    "assetmap.errors",
    "assetmap.schema",
    "assetmap.taxonomy",
    "assetmap.geo",
    "assetmap.atomic",
    "assetmap.ingest",
    "assetmap.reach.network",
    "assetmap.reach.cycle",
    "assetmap.reach.areas",
    "assetmap.match.phrases",
)
TABULAR_PARTS = ("tabular_read.py", "tabular_columns.py", "tabular_values.py", "problems.py")


def _imported(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return [n for n in names if n == "assetmap" or n.startswith("assetmap.")]


def _allowed(name: str) -> bool:
    return any(name == a or name.startswith(a + ".") for a in ALLOWED)


@pytest.mark.parametrize("module", sorted(INGEST.glob("*.py")), ids=lambda p: p.name)
def test_importers_never_import_the_store_or_a_service(module: Path):
    assert [n for n in _imported(module) if not _allowed(n)] == []


@pytest.mark.parametrize("part", TABULAR_PARTS)
def test_the_spreadsheet_steps_never_import_their_entry_point(part: str):
    assert "assetmap.ingest.tabular" not in _imported(INGEST / part)


def test_the_entry_point_still_offers_what_callers_import():
    from assetmap.ingest import tabular

    for name in ("TabularLimits", "TABLE_FIELDS", "ColumnMapping", "read_table"):
        assert name in tabular.__all__
        assert getattr(tabular, name) is not None
