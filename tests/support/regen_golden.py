"""Regenerate tests/golden/ from samples/ with the real, installed command line.

    .venv/bin/pip install -q --no-deps --force-reinstall .   # the code under test
    .venv/bin/python tests/support/regen_golden.py                 # from the repository root
    git diff --stat tests/golden && git diff tests/golden              # read the diff before committing

It runs, from the repository root,

    mlopsc compile samples --platform samples/mlops-platform.yaml -o <temporary dir>

(the same command, paths and relative layout as tests/artifacts/test_compile_golden.py, so the manifests'
`../mlops-platform.yaml` input path is the same), then replaces tests/golden/ with the result as a whole,
so a model or file the compiler no longer writes disappears from the golden tree too.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from paths import REPO_ROOT

GOLDEN = REPO_ROOT / "tests" / "golden"
COMMAND = ["compile", "samples", "--platform", "samples/mlops-platform.yaml"]


def mlopsc() -> str:
    beside = Path(sysconfig.get_path("scripts")) / "mlopsc"
    found = str(beside) if beside.exists() else shutil.which("mlopsc")
    if not found:
        sys.exit("regen_golden: the mlopsc console script is not installed (pip install '.[test]')")
    return found


def main() -> int:
    with tempfile.TemporaryDirectory(prefix=".golden-", dir=GOLDEN.parent) as staging:
        out = Path(staging) / "golden"
        done = subprocess.run([mlopsc(), *COMMAND, "-o", str(out)], cwd=REPO_ROOT, capture_output=True, text=True)
        sys.stderr.write(done.stdout + done.stderr)
        if done.returncode != 0:
            print(f"regen_golden: compile failed ({done.returncode}); tests/golden left as it was", file=sys.stderr)
            return 1
        if GOLDEN.exists():
            shutil.rmtree(GOLDEN)
        shutil.move(str(out), str(GOLDEN))
    files = sorted(p.relative_to(REPO_ROOT).as_posix() for p in GOLDEN.rglob("*") if p.is_file())
    print(f"regen_golden: wrote {len(files)} files under {GOLDEN.relative_to(REPO_ROOT)}/; "
          "review them with `git diff tests/golden` before committing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
