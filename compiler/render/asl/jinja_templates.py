"""The Jinja2 environment of templates/asl/ and the one way a definition is rendered: render the
template, parse the text back (a template bug can never produce invalid JSON silently) and return
the definition as data."""

from __future__ import annotations

import functools
import json

import jinja2

from compiler.render.asl.shared_states import retriers


def _tojson(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _members(text: str) -> str:
    """Close a run of `"Name": {...},` members: drop the last comma."""
    stripped = text.rstrip()
    return stripped[:-1] if stripped.endswith(",") else stripped


@functools.lru_cache(maxsize=None)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("compiler", "templates/asl"),
                             undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.filters["members"] = _members
    # Plain JSON: the output is JSON, not HTML, so Jinja's HTML-safe escaping is wasted work.
    env.filters["tojson"] = _tojson
    env.globals["retriers"] = retriers
    return env


def render(template: str, context: dict) -> dict:
    text = environment().get_template(template).render(**context)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:  # a template bug, never a config problem
        raise RuntimeError(f"{template} rendered invalid JSON: {error}") from None
