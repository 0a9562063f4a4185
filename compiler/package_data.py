"""Files shipped inside the package: the config schema and the templates.

They live at the top of the source tree (`schemas/`, `templates/`, `buildspecs/`) and are
installed as the subpackages `compiler.schemas`, `compiler.templates`, `compiler.buildspecs`
(see `package_dir` in setup.cfg), so they are always read from the installed package.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

SCHEMA_FILE = "config-v1.schema.json"


def schema_text() -> str:
    return resources.files("compiler.schemas").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=None)
def schema() -> dict:
    return json.loads(schema_text())


def buildspec_text(name: str) -> str:
    """A buildspec shipped with mlopsc (`buildspecs/<name>`), e.g. compile.yml of the compile stage."""
    return resources.files("compiler.buildspecs").joinpath(name).read_text(encoding="utf-8")


def resolve_ref(ref: str) -> dict:
    """The schema node a local `$ref` ("#/$defs/name/...") points at."""
    node = schema()
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node
