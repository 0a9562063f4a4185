"""Rule fixtures, as cfn-lint's test/fixtures/templates/good|bad: every file under fixtures/good
validates without a problem; every fixture under fixtures/bad/<rule id>/ states, in its leading
comments, each problem it must produce:

    # expect: <rule id> <file>:<line>:<col> <config path>

and produces exactly those (rule id, location and path, not just a count). A fixture is a config
file (copied as mlops.yaml beside fixtures/Dockerfile and fixtures/mlops-platform.yaml) or a
folder copied as it is (several configs, its own platform file, links); a folder holding no
mlops.yaml is a platform file checked alone, as `mlopsc bootstrap platform` reads it.
Every rule id of docs/rules.md has at least one bad fixture."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from compiler import api, checks

FIXTURES = Path(__file__).with_name("fixtures")
EXPECT = re.compile(r"^# expect: (?P<rule>[a-z-]+) (?P<where>\S+:\d+:\d+) (?P<path>.+)$")


def _fixtures(kind: str) -> list:
    """fixtures/good/<fixture>, or fixtures/bad/<rule id>/<fixture>: config files and folders."""
    folders = [FIXTURES / kind] if kind == "good" else sorted((FIXTURES / kind).iterdir())
    return sorted(child for folder in folders for child in folder.iterdir()
                  if child.suffix == ".yaml" or child.is_dir())


def _id(path: Path) -> str:
    return str(path.relative_to(FIXTURES))


def _repository(fixture: Path, tmp_path: Path) -> Path:
    """The fixture as a model repository of its own (a `.git` folder bounds discovery)."""
    root = tmp_path / "repo"
    if fixture.is_dir():
        shutil.copytree(fixture, root, symlinks=True)
    else:
        root.mkdir()
        shutil.copy(fixture, root / "mlops.yaml")
        for shared in ("Dockerfile", "mlops-platform.yaml"):
            shutil.copy(FIXTURES / shared, root / shared)
    (root / ".git").mkdir()
    return root


def _expected(fixture: Path) -> set:
    sources = sorted(fixture.rglob("*.yaml")) if fixture.is_dir() else [fixture]
    lines = [line for source in sources if not source.is_symlink()
             for line in source.read_text(encoding="utf-8").splitlines() if line.startswith("# expect:")]
    expected = set()
    for line in lines:
        match = EXPECT.match(line)
        assert match, f"not an expectation: {line!r}"
        expected.add((match["rule"], match["where"], match["path"]))
    return expected


def _reported(root: Path) -> set:
    if not any(root.rglob("mlops.yaml")):
        problems = checks.check_platform_file(root / "mlops-platform.yaml")[1]
    else:
        problems = api.validate([str(root)]).problems
    return {(problem.rule, f"{os.path.relpath(problem.file, root)}:{problem.line}:{problem.col}", problem.path)
            for problem in problems}


@pytest.mark.parametrize("fixture", _fixtures("good"), ids=_id)
def test_good_fixture_has_no_problem(fixture, tmp_path):
    assert _reported(_repository(fixture, tmp_path)) == set()


@pytest.mark.parametrize("fixture", _fixtures("bad"), ids=_id)
def test_bad_fixture_reports_what_it_states(fixture, tmp_path):
    expected = _expected(fixture)
    assert expected, f"{fixture} states no `# expect:` line"
    assert {rule for rule, _, _ in expected} == {fixture.parent.name}, "a bad fixture sits under the rule it breaks"
    assert _reported(_repository(fixture, tmp_path)) == expected


def test_every_rule_has_a_bad_fixture():
    covered = {path.parent.name for path in _fixtures("bad")}
    assert sorted({rule for rule, _, _ in checks.catalogue()} - covered) == []
