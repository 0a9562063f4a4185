"""Write docs/rules.md from the checks themselves (compiler.checks.catalogue), so the list of rule
ids cannot drift from the code, as cfn-lint's docs/rules.md is generated from its rules.

    python docs/generate_rules.py          # rewrite the file
    python docs/generate_rules.py --check  # exit 1 if it is stale (the tests run this)
"""

from __future__ import annotations

import sys
from pathlib import Path

from compiler.checks import catalogue
from generated_page import write_or_check

TARGET = Path(__file__).with_name("rules.md")


def rules() -> str:
    lines = ["# Rules", "",
             "Generated from `compiler/checks` by `docs/generate_rules.py`; do not edit.",
             "Every problem `mlopsc validate` reports names one of these rules: the `rule` field of",
             "`--format json`, the title of `--format github` annotations.", "",
             "| rule | what it checks | source |", "|---|---|---|"]
    lines += [f"| `{rule}` | {description.replace('|', '/')} | `{source}` |" for rule, description, source in catalogue()]
    return "\n".join(lines) + "\n"


def main() -> int:
    return write_or_check(TARGET, rules(), "generate_rules.py")
    TARGET.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
