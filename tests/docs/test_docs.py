"""The documentation: the README is a front door whose links, commands and example are real; docs/ is
a site that builds strictly (a broken link, a missing anchor or a page left out of the nav fails the
build); the config reference is generated from the schema, and a stale one fails here.

mkdocs is in the `test` extra: a missing mkdocs skips the build tests locally and fails them under
CI=true, like the other independent tools (compile_helpers.require_tool)."""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compile_helpers import REPO_ROOT, SAMPLES, require_tool, run_cli

ROOT = REPO_ROOT
README = ROOT / "README.md"
DOCS = ROOT / "docs"


def test_config_reference_is_current():
    result = subprocess.run([sys.executable, str(ROOT / "docs" / "generate_reference.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("page", ["README.md", "docs/development.md"])
def test_the_documented_test_command_is_what_ci_runs(page):
    """.ci/run runs the page's test command verbatim, as one whole line: installing and testing both."""
    text = (ROOT / page).read_text(encoding="utf-8")
    documented = next(line for line in text.splitlines() if line.startswith("python3 -m venv") and "'.[test]'" in line)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert documented in ci.splitlines()


def test_the_readme_is_a_front_door():
    """Issue 16: at most about 200 lines; what does not fit there has a page in docs/."""
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 200


def _links(markdown: str) -> list:
    """The targets of the inline links of a Markdown text, code spans and fenced blocks left out."""
    prose = re.sub(r"```.*?```", "", markdown, flags=re.S)
    prose = re.sub(r"`[^`\n]*`", "", prose)
    return re.findall(r"\]\(([^)\s]+)\)", prose)


def test_every_link_of_the_readme_leads_somewhere():
    """mkdocs checks the links of docs/; the README, read on the repository's host, is checked here."""
    missing = []
    for target in _links(README.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue  # a URL
        path, _, anchor = target.partition("#")
        page = ROOT / path
        if not page.exists():
            missing.append(target)
        elif anchor and page.suffix == ".md" and anchor not in _anchors(page.read_text(encoding="utf-8")):
            missing.append(target)
    assert missing == []


def _anchors(markdown: str) -> set:
    """The ids mkdocs (toc's slugify) and GitHub give the headings: lower case, punctuation dropped,
    spaces as hyphens."""
    headings = re.findall(r"^#+ (.+)$", re.sub(r"```.*?```", "", markdown, flags=re.S), re.M)
    return {re.sub(r"\s+", "-", re.sub(r"[^\w\s-]", "", heading).strip().lower()) for heading in headings}


def _command_rows(markdown: str) -> list:
    """The first cell (the command and its options) of every row of the command table."""
    table = markdown[markdown.index("| command | does |"):].split("\n\n")[0]
    return [row.split(" | ")[0] for row in table.splitlines()[2:]]


def test_the_readme_and_the_commands_page_list_the_same_commands():
    """The README's table is a copy of docs/commands.md's (the site has no README): they must not drift."""
    readme = _command_rows(README.read_text(encoding="utf-8"))
    page = _command_rows((DOCS / "commands.md").read_text(encoding="utf-8"))
    assert readme == page and len(readme) >= 14


def test_the_tour_example_is_real_output(tmp_path):
    """The README's tour: the samples, with the evaluate stage of churn-fargate naming `trainr`."""
    shutil.copytree(SAMPLES, tmp_path / "samples")
    config = tmp_path / "samples" / "churn-fargate" / "mlops.yaml"
    text = config.read_text(encoding="utf-8")
    evaluate = text.index("evaluate:\n        runtime: trainer")
    config.write_text(text[:evaluate] + text[evaluate:].replace("runtime: trainer", "runtime: trainr", 1),
                      encoding="utf-8")
    example = re.search(r"```text\n\$ mlopsc validate samples\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    result = run_cli("validate", "samples", cwd=tmp_path)
    assert result.returncode == 1 and result.stdout + result.stderr == example.group(1)


def test_the_stage_graph_example_is_real_output(tmp_path):
    """docs/state-machines.md's stage graph example: its Mermaid graph is what `mlopsc graph` draws."""
    page = (DOCS / "state-machines.md").read_text(encoding="utf-8")
    section = page[page.index("## The stage graph"):page.index("## The stage contract")]
    config, drawn = re.search(r"```yaml\n(.*?)```.*?```mermaid\n(.*?)```", section, re.S).groups()
    repo = tmp_path / "features"
    repo.mkdir()
    (repo / "mlops.yaml").write_text(config, encoding="utf-8")
    (repo / "Dockerfile").write_text("FROM python:3.12-slim\n", encoding="utf-8")
    shutil.copy(SAMPLES / "mlops-platform.yaml", tmp_path / "mlops-platform.yaml")
    result = run_cli("graph", str(repo), "--env", "default", "--pipeline", "retrain", "--platform",
                     str(tmp_path / "mlops-platform.yaml"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == drawn


def _mkdocs_build(config: Path, site: Path) -> subprocess.CompletedProcess:
    require_tool(importlib.util.find_spec("mkdocs") is not None and importlib.util.find_spec("material") is not None,
                 "mkdocs or mkdocs-material is not installed: pip install '.[test]' (both are in the `test` extra)")
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # Material's notice of its successor, not a warning of ours
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config),
                           "--site-dir", str(site)], capture_output=True, text=True, env=environment, timeout=300)


def test_the_site_builds_strictly(tmp_path):
    result = _mkdocs_build(ROOT / "mkdocs.yml", tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "architecture" / "index.html").exists()


@pytest.mark.parametrize("breakage", [
    "a link to [no page](no-such-page.md)",
    "a link to [no anchor](commands.md#no-such-heading)",
    "a link to [a source file](../compiler/cli.py), which the site cannot serve",
])
def test_a_broken_reference_fails_the_build(tmp_path, breakage):
    # Negative control: without it, the build above could pass by accepting anything.
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copytree(DOCS, tmp_path / "docs")
    with (tmp_path / "docs" / "index.md").open("a", encoding="utf-8") as page:
        page.write(f"\n{breakage}\n")
    result = _mkdocs_build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert result.returncode != 0 and "WARNING" in result.stderr, result.stderr


def test_a_page_left_out_of_the_nav_fails_the_build(tmp_path):
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copytree(DOCS, tmp_path / "docs")
    (tmp_path / "docs" / "orphan.md").write_text("# Orphan\n", encoding="utf-8")
    result = _mkdocs_build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert result.returncode != 0 and "orphan.md" in result.stderr, result.stderr
