"""Compile templates/asl/ to Python for mlopsc to import (compiler/render/asl/jinja_templates.py):

    python -m compiler.render.precompile

Run it after editing a template, and commit templates/asl_compiled/ with the template.
"""

from __future__ import annotations

import sys

from compiler.render.asl import jinja_templates


def main() -> None:
    target = jinja_templates.compiled_folder()
    jinja_templates.write_compiled(target)
    print(f"compiled {len(jinja_templates.stamp()['templates'])} templates into {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
