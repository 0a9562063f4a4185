"""The config reference is generated from the schema; a stale one fails here."""

import subprocess
import sys

from paths import REPO_ROOT

ROOT = REPO_ROOT


def test_config_reference_is_current():
    result = subprocess.run([sys.executable, str(ROOT / "docs" / "generate_reference.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = next(line for line in ci.splitlines() if line.startswith("python3 -m venv"))
    assert command in readme
