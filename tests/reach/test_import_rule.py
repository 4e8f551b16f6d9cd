"""The reach kernels import only what sits below them (docs/architecture.md).

Every module of ``assetmap/reach/`` is read with :mod:`ast` (imports inside
functions and under ``TYPE_CHECKING`` count too): of assetmap it may import
only the model layer, the parsers and itself, never the store, a workspace,
roles, the people services or anything above.
"""

import ast
from pathlib import Path

import pytest

REACH = Path(__file__).resolve().parents[2] / "assetmap" / "reach"

#: What of assetmap a reach module may import (a module or anything under it).
ALLOWED = (
    "assetmap.errors",
    "assetmap.schema",
    "assetmap.taxonomy",
    "assetmap.moderation_state",
    "assetmap.private_files",
    "assetmap.geo",
    "assetmap.atomic",
    "assetmap.disclosure",
    "assetmap.resources",
    "assetmap.ingest",
    "assetmap.reach",
)
#: Outside assetmap, never: the app shell and its framework.
FORBIDDEN_OUTSIDE = ("app", "streamlit")


def _imported(source: str) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                names.append("assetmap.reach" + ("." + node.module if node.module else ""))
            elif node.module == "assetmap":
                names += [f"assetmap.{alias.name}" for alias in node.names]
            elif node.module:
                names.append(node.module)
    return names


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def forbidden_imports(source: str) -> list[str]:
    """Return the imports of one module's source that break the reach rule."""
    return [
        name
        for name in _imported(source)
        if (_under(name, ("assetmap",)) and not _under(name, ALLOWED))
        or _under(name, FORBIDDEN_OUTSIDE)
    ]


@pytest.mark.parametrize("module", sorted(REACH.glob("*.py")), ids=lambda p: p.name)
def test_reach_modules_import_nothing_above_them(module: Path):
    assert forbidden_imports(module.read_text("utf-8")) == []


OUTPUT = REACH.parent / "output"
#: The renderers may also draw what reach computed, never ask the store or a service.
OUTPUT_ALLOWED = (*ALLOWED, "assetmap.output")


@pytest.mark.parametrize("module", sorted(OUTPUT.glob("*.py")), ids=lambda p: p.name)
def test_output_modules_render_only_what_they_are_given(module: Path):
    names = _imported(module.read_text("utf-8"))
    assert [n for n in names if _under(n, ("assetmap",)) and not _under(n, OUTPUT_ALLOWED)] == []


def test_the_reach_package_has_its_kernels():
    names = {p.stem for p in REACH.glob("*.py")}
    assert {"network", "travel", "coverage", "sites", "areas"} <= names


@pytest.mark.parametrize(
    "line",
    [
        "from assetmap.store import Store",
        "import assetmap.workspace",
        "from assetmap import access",
        "from assetmap.access import Principal, require",
        "from assetmap.people.privacy import suppress_small_counts",
        "from assetmap.reach_service import workspace_demand",
        "from assetmap.output.viz import build_asset_map",
        "import streamlit as st",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from assetmap.workspace import W",
        "def f():\n    from assetmap.register import edit_asset\n",
    ],
)
def test_the_checker_fails_on_a_forbidden_import(line: str):
    kernel = (REACH / "coverage.py").read_text("utf-8")
    assert forbidden_imports(kernel + "\n" + line + "\n") != []


def test_the_checker_passes_what_the_kernels_may_import():
    allowed = "import numpy\nfrom assetmap.errors import QueryError\nfrom .network import Walk\n"
    assert forbidden_imports(allowed) == []
