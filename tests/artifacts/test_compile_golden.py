"""Golden tests: the full compile output of samples/ must equal tests/golden/ byte for byte.

The golden tree is what the real, installed command line writes for

    mlopsc compile samples --platform samples/mlops-platform.yaml -o tests/golden

run from the repository root (so each manifest records the platform file as `../mlops-platform.yaml`,
relative to its model repository). After an intended change to the output, regenerate it with
one command and read the diff before committing:

    .venv/bin/pip install -q --no-deps --force-reinstall .
    .venv/bin/python tests/support/regen_golden.py
    git diff tests/golden
"""

from __future__ import annotations

import difflib

import pytest

from compile_helpers import GOLDEN, REPO_ROOT, run_cli, samples_out, tree  # noqa: F401 (fixture)

REGEN = "python tests/support/regen_golden.py"
GOLDEN_FILES = sorted(tree(GOLDEN)) if GOLDEN.is_dir() else []


def test_golden_tree_exists():
    assert GOLDEN_FILES, f"tests/golden is missing or empty: run `{REGEN}` from the repository root"


def test_compile_writes_exactly_the_golden_files(samples_out):
    written = set(tree(samples_out))
    assert written == set(GOLDEN_FILES), (
        f"files only in the new output: {sorted(written - set(GOLDEN_FILES))}; "
        f"only in tests/golden: {sorted(set(GOLDEN_FILES) - written)} (regenerate with `{REGEN}`)")


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_golden_file(samples_out, name):
    expected = (GOLDEN / name).read_bytes()
    produced = samples_out / name
    assert produced.is_file(), f"{name} was not written (regenerate with `{REGEN}` if intended)"
    actual = produced.read_bytes()
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.decode("utf-8", "replace").splitlines(True),
                                            actual.decode("utf-8", "replace").splitlines(True),
                                            f"tests/golden/{name}", f"compiled/{name}", n=2))
        pytest.fail(f"{name} differs from its golden file (if intended: `{REGEN}`, then read the diff):\n"
                    f"{diff[:6000]}", pytrace=False)


def test_golden_tree_is_current_by_compile_check():
    """The same comparison through the product's own `--check` mode."""
    done = run_cli("compile", "samples", "--platform", "samples/mlops-platform.yaml", "-o", "tests/golden", "--check",
                   cwd=REPO_ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "up to date" in done.stderr
