"""Where the repository is, for the tests and their support code in whichever folder of tests/ they sit."""

from pathlib import Path

#: The repository's root: this file is tests/support/paths.py.
REPO_ROOT = Path(__file__).resolve().parents[2]
