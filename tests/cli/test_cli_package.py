"""The command line is one package (compiler/cli/): no other module prints an exit code's worth of
decision (sys.exit) or builds click commands, so compiler/cli/outcome.py stays the one place that
turns an outcome into a message and an exit code."""

from __future__ import annotations

import ast
from pathlib import Path

from paths import REPO_ROOT

COMPILER = REPO_ROOT / "compiler"
LIBRARY = sorted(p for p in COMPILER.rglob("*.py") if COMPILER / "cli" not in p.parents)


def _outside_main_block(tree: ast.Module):
    """Every node, except those under `if __name__ == "__main__":` (a maintainer's script entry)."""
    skipped = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            skipped.update(id(child) for child in ast.walk(node))
    return [node for node in ast.walk(tree) if id(node) not in skipped]


def _calls_of(path: Path, dotted: str) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.lineno for node in _outside_main_block(tree)
            if isinstance(node, ast.Call) and ast.unparse(node.func) == dotted]


def _click_imports(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.lineno for node in ast.walk(tree)
            if (isinstance(node, ast.Import) and any(a.name.split(".")[0] == "click" for a in node.names))
            or (isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "click")]


def test_only_the_cli_exits():
    found = {p.relative_to(COMPILER).as_posix(): lines for p in LIBRARY if (lines := _calls_of(p, "sys.exit"))}
    assert found == {}


def test_only_the_cli_imports_click():
    found = {p.relative_to(COMPILER).as_posix(): lines for p in LIBRARY if (lines := _click_imports(p))}
    assert found == {}
