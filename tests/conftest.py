import sys
from pathlib import Path

import pytest

# Tests import their support code by module name (`from helpers import Repo`) from whichever folder
# they sit in, tests/runs and tests/diff import test_apply.py's helpers, and sfn_harness.Registry
# imports test_full_life.py's; pytest's default import mode puts only a test file's own folder on
# sys.path, so these three folders are put there for all.
TESTS = Path(__file__).resolve().parent
for folder in ("apply", "execute", "support"):
    sys.path.insert(0, str(TESTS / folder))

from forks import run_test_in_fork  # noqa: E402 - found through the path above
from helpers import Repo  # noqa: E402


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """A test marked `in_fork` runs its body in a fork (tests/support/forks.py)."""
    return True if run_test_in_fork(pyfuncitem) else None


@pytest.fixture
def repo(tmp_path) -> Repo:
    """A valid model repository (BASE_CONFIG + PLATFORM) in tmp_path; tests change its mlops.yaml."""
    return Repo(tmp_path)
