"""Every check has its own stable id and a one-line description, and docs/rules.md is generated
from them (as cfn-lint's docs/rules.md): a stale docs/rules.md, or two checks sharing an id, fail here."""

import pkgutil
import subprocess
import sys
from pathlib import Path

from compiler import checks, load
from compiler.checks import rules
from compiler.problems import ConfigError, Location

ROOT = Path(__file__).resolve().parents[2]


def test_docs_rules_is_current():
    result = subprocess.run([sys.executable, str(ROOT / "docs" / "generate_rules.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_rule_ids_are_unique():
    ids = [rule for rule, _, _ in checks.catalogue()]
    assert sorted(set(ids)) == ids


def test_every_rule_module_is_registered():
    modules = {name for _, name, _ in pkgutil.iter_modules(rules.__path__)}
    assert modules == {module.__name__.rpartition(".")[2] for module in rules.EVERY}


def test_descriptions_are_one_line():
    for rule, description, _ in checks.catalogue():
        assert description and "\n" not in description and len(description) <= 150, rule


def test_the_loader_reports_under_its_rule_id():
    assert ConfigError(Location("mlops.yaml", 1, 1), "file is empty").problem.rule == load.RULE
