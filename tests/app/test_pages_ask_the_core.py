"""Every page and cached loader gets the register through the core, with the caller.

Read from the source (AST), so a new page or loader is checked the day it is
written: a store obtained in ``app/`` (``X.store()``) may only be handed to a
core function together with ``principal=``; nothing in ``app/`` calls a
``Store`` method itself or builds a ``Store``; a cached loader that opens the
store takes a ``principal``; and no page calls ``st.dataframe`` directly (its
CSV download would bypass the formula neutralisation: ``widgets.table``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "app" / "pages").glob("*.py"))
CACHE = ROOT / "app" / "cache.py"
SOURCES = [
    *PAGES,
    CACHE,
    ROOT / "app" / "widgets.py",
    ROOT / "app" / "money.py",
    ROOT / "streamlit_app.py",
]
#: Core entry points that establish who the caller is (they take no principal by nature).
WHO_IS_THIS = frozenset({"authenticate", "join_session"})


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _is_store_call(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "store"
        and not node.args
    )


def _store_names(tree: ast.AST) -> set[str]:
    """Names bound to ``X.store()`` anywhere in the module."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _is_store_call(node.value):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def store_uses_without_principal(source: str) -> list[str]:
    """Return ``line: code`` of each use of a store that does not go to the core with a caller."""
    tree = ast.parse(source)
    parents = _parents(tree)
    names = _store_names(tree)
    bad = []
    for node in ast.walk(tree):
        is_use = _is_store_call(node) or (
            isinstance(node, ast.Name) and node.id in names and isinstance(node.ctx, ast.Load)
        )
        if isinstance(node, ast.Call) and _callee(node) == "Store":
            bad.append(f"{node.lineno}: {ast.unparse(node)}")
        if not is_use:
            continue
        parent = parents[node]
        if isinstance(parent, ast.Assign):
            continue  # binding it to a name: its uses are checked
        if isinstance(parent, ast.Call) and node in parent.args:
            keywords = {k.arg for k in parent.keywords}
            if "principal" in keywords or "actor" in keywords or _callee(parent) in WHO_IS_THIS:
                continue
        bad.append(f"{node.lineno}: {ast.unparse(parent)}")
    return bad


def test_the_checker_catches_what_it_should():
    assert store_uses_without_principal("assets = ws.store().assets()") != []
    assert store_uses_without_principal("s = ws.store()\nrows = s.records('plan')") != []
    assert store_uses_without_principal("s = ws.store()\nf(s, x)") != []
    assert store_uses_without_principal("s = Store(url)") != []
    assert store_uses_without_principal("s = ws.store()\nf(s, principal=p)") == []
    assert store_uses_without_principal("f(ws.store(), principal=p)") == []


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_page_or_loader_reaches_the_store_without_a_principal(path):
    assert store_uses_without_principal(path.read_text(encoding="utf-8")) == []


def test_every_cached_loader_that_opens_the_store_takes_the_caller():
    tree = ast.parse(CACHE.read_text(encoding="utf-8"))
    for func in tree.body:
        if not isinstance(func, ast.FunctionDef):
            continue
        opens = any(_is_store_call(n) for n in ast.walk(func))
        params = {a.arg for a in func.args.args + func.args.kwonlyargs}
        if opens:
            assert params & {"principal", "_principal"}, f"{func.name} opens the store for anyone"


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_pages_show_tables_only_through_the_neutralising_widget(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    direct = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in {"dataframe", "data_editor"}
    ]  # st.dataframe, column.dataframe, st.sidebar.dataframe ...
    assert direct == [], f"st.dataframe at lines {direct}: use widgets.table"
