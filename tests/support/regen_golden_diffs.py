"""Regenerate tests/diff/golden_diffs/ with the real, installed command line.

    .venv/bin/pip install -q --no-deps --force-reinstall .   # the code under test
    .venv/bin/python tests/support/regen_golden_diffs.py          # from the repository root
    git diff tests/diff/golden_diffs                            # read what each edit now shows

For each edit of tests/support/diff_edits.py it builds the edited sample repository in a temporary
directory and writes what `mlopsc diff HEAD~1 HEAD` (text, then `--format markdown`) prints there
to tests/diff/golden_diffs/<edit>.txt and <edit>.md, and the index README.md; the folder is replaced as
a whole, so an edit that was removed disappears.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from diff_edits import EDITS, GOLDEN_DIFFS, golden_outputs, index  # noqa: E402


def main() -> int:
    files = {"README.md": index()}
    with tempfile.TemporaryDirectory(prefix="mlopsc-golden-diffs-") as temporary:
        for edit in EDITS:
            files.update(golden_outputs(edit, Path(temporary)))
    if GOLDEN_DIFFS.exists():
        shutil.rmtree(GOLDEN_DIFFS)
    GOLDEN_DIFFS.mkdir(parents=True)
    for name, text in sorted(files.items()):
        (GOLDEN_DIFFS / name).write_text(text, encoding="utf-8")
    print(f"regen_golden_diffs: wrote {len(files)} files under tests/diff/golden_diffs/; "
          "read them with `git diff tests/diff/golden_diffs` before committing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
