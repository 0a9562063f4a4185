"""The Jinja2 environment of templates/asl/ and the one way a definition is rendered: render the
template, parse the text back (a template bug can never produce invalid JSON silently) and return
the definition as data.

The templates ship compiled to Python as well (templates/asl_compiled/templates.zip, Jinja2's
Environment.compile_templates): a process imports them instead of compiling their Jinja source,
which cost about 60 ms of every compile. They are used only when their stamp matches the
templates' sha256 and the installed Jinja2's version; otherwise the source is compiled as before,
so an edited template is never rendered from a stale compile. Regenerate them after editing a
template with

    python -m compiler.render.precompile

(tests/render/test_jinja_compiled.py fails while they are not current).
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
from pathlib import Path

import jinja2

import compiler
from compiler.render.asl.shared_states import retriers

#: The templates' folder in the `compiler.templates` package, and their compiled twin beside it.
SOURCE_FOLDER, COMPILED_FOLDER = "asl", "asl_compiled"
#: The compiled modules, one zip (what Jinja's ModuleLoader imports from); stored, not deflated,
#: and Jinja dates every entry 1980-01-01, so the same templates give the same bytes.
ARCHIVE = "templates.zip"
#: What the compiled templates were made from (`stamp()`), written with them.
STAMP = "stamp.json"


def _tojson(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _members(text: str) -> str:
    """Close a run of `"Name": {...},` members: drop the last comma."""
    stripped = text.rstrip()
    return stripped[:-1] if stripped.endswith(",") else stripped


def _configured(loader: jinja2.BaseLoader) -> jinja2.Environment:
    """The one configuration of the environment, whichever loader reads the templates: the
    compiled ones are compiled with it (`write_compiled`)."""
    env = jinja2.Environment(loader=loader, undefined=jinja2.StrictUndefined, autoescape=False,
                             keep_trailing_newline=True)
    env.filters["members"] = _members
    # Plain JSON: the output is JSON, not HTML, so Jinja's HTML-safe escaping is wasted work.
    env.filters["tojson"] = _tojson
    env.globals["retriers"] = retriers
    return env


def source_environment() -> jinja2.Environment:
    """The environment that compiles the templates' Jinja source."""
    return _configured(jinja2.PackageLoader("compiler", f"templates/{SOURCE_FOLDER}"))


def _templates() -> Path:
    """The installed `compiler.templates` (the source tree's templates/)."""
    return Path(compiler.__file__).parent / "templates"


def stamp() -> dict:
    """The installed Jinja2's version and the sha256 of each template, by name."""
    folder = _templates() / SOURCE_FOLDER
    return {"jinja2": jinja2.__version__,
            "templates": {path.name: hashlib.sha256(path.read_bytes()).hexdigest()
                          for path in sorted(folder.glob("*.j2"))}}


def compiled_is_current(folder: Path) -> bool:
    try:
        return json.loads((folder / STAMP).read_text(encoding="utf-8")) == stamp()
    except (OSError, ValueError):
        return False


def compiled_folder() -> Path:
    return _templates() / COMPILED_FOLDER


@functools.lru_cache(maxsize=None)
def environment() -> jinja2.Environment:
    compiled = compiled_folder()
    if compiled_is_current(compiled):
        return _configured(jinja2.ModuleLoader(compiled / ARCHIVE))
    return source_environment()


def render(template: str, context: dict) -> dict:
    text = environment().get_template(template).render(**context)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:  # a template bug, never a config problem
        raise RuntimeError(f"{template} rendered invalid JSON: {error}") from None


def write_compiled(folder: Path) -> None:
    """Compile every template into `folder` (replaced as a whole) and stamp it."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    source_environment().compile_templates(str(folder / ARCHIVE), zip="stored", ignore_errors=False)
    (folder / STAMP).write_text(json.dumps(stamp(), indent=2, sort_keys=True) + "\n", encoding="utf-8")

