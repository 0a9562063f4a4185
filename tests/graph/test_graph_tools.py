"""Graphs mlopsc prints or documents, checked by the real tools (tests/support/graph_parse.mjs): Mermaid's
own parser and Graphviz `dot` (WebAssembly build) rendering SVG. Every sample pipeline in both
formats, graphs of hostile state names, and every ```mermaid block of the README and docs/. A missing tool
skips locally and fails under CI=true."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from compile_helpers import REPO_ROOT, GraphTools, compile_samples
from compiler import graph
from test_graph import hostile_definition

pytestmark = pytest.mark.e2e  # npm tools (mermaid, graphviz parsers)


@pytest.fixture(scope="module", autouse=True)
def tools_available():
    GraphTools.require()


@pytest.fixture(scope="module")
def definitions(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("graph-tools") / "out"
    compile_samples(out)
    found = {str(path.relative_to(out)): json.loads(path.read_text()) for path in sorted(out.glob("*/*/*.asl.json"))}
    assert len(found) >= 9
    return {**found, "hostile names": hostile_definition()}


def check_all(kind: str, texts: dict, folder: Path) -> dict:
    """label -> the tool's error (None when accepted), every text in one node process."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for number, (label, text) in enumerate(sorted(texts.items())):
        paths[label] = folder / f"{number}.{kind}"
        paths[label].write_text(text, encoding="utf-8")
    results = GraphTools.run(kind, list(paths.values()))
    return {label: results[str(path)] for label, path in paths.items()}


@pytest.mark.parametrize("kind", ["mermaid", "dot"])
def test_every_sample_graph_and_hostile_names_are_accepted(kind, definitions, tmp_path):
    texts = {label: graph.render(definition, kind) for label, definition in definitions.items()}
    errors = check_all(kind, texts, tmp_path)
    assert {label: error for label, error in errors.items() if error} == {}


def test_documented_diagrams_parse(tmp_path):
    pages = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").rglob("*.md"))]
    blocks = {f"{page.relative_to(REPO_ROOT)} block {n}": block for page in pages
              for n, block in enumerate(re.findall(r"```mermaid\n(.*?)```", page.read_text(encoding="utf-8"), re.S), 1)}
    assert len(blocks) >= 2, "the monitoring loop and the architecture's flow are drawn in mermaid"
    errors = check_all("mermaid", blocks, tmp_path)
    assert {label: error for label, error in errors.items() if error} == {}


@pytest.mark.parametrize("kind, broken", [
    ("mermaid", {"unclosed label": 'flowchart TD\n    s1["a --> s2\n', "bad arrow": "flowchart TD\n    s1 ~~> s2 -x->> s3\n"}),
    ("dot", {"unclosed label": 'digraph g {\n    s1 [label="a];\n}\n', "no brace": "digraph g {\n    s1 -> s2;\n"}),
])
def test_the_tools_reject_broken_graphs(kind, broken, tmp_path):
    # Negative controls: without them, the checks above could pass by accepting anything.
    errors = check_all(kind, broken, tmp_path)
    assert all(errors.values()), errors
