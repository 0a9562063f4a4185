"""templates/asl_compiled/ (the templates compiled to Python, compiler/render/asl/jinja_templates.py)
is current, is what mlopsc renders with, and renders exactly what the Jinja source renders."""

from __future__ import annotations

import json

import jinja2
import pytest
from compile_helpers import SAMPLES, SAMPLES_PLATFORM

from compiler import api, render
from compiler.render.asl import jinja_templates


def _files(folder) -> dict:
    return {path.name: path.read_bytes() for path in folder.iterdir() if path.is_file()}


REGENERATE = "templates/asl_compiled/ is stale: run .venv/bin/python -m compiler.render.precompile and commit it"


def test_the_compiled_templates_are_current(tmp_path):
    """Fails after a template is edited or Jinja2 upgraded (as tests/test_aws_data.py after a
    botocore upgrade), until the compile is regenerated."""
    shipped = jinja_templates.compiled_folder()
    jinja_templates.write_compiled(tmp_path / "compiled")
    assert _files(shipped) == _files(tmp_path / "compiled"), REGENERATE
    assert jinja_templates.compiled_is_current(shipped), REGENERATE


def test_mlopsc_renders_with_the_compiled_templates():
    assert isinstance(jinja_templates.environment().loader, jinja2.ModuleLoader)


def test_a_stale_compile_is_not_used(tmp_path):
    """A template edited without recompiling: its stamp no longer matches, so the source is used."""
    jinja_templates.write_compiled(tmp_path)
    stamp = json.loads((tmp_path / jinja_templates.STAMP).read_text())
    stamp["templates"]["_states.j2"] = "0" * 64
    (tmp_path / jinja_templates.STAMP).write_text(json.dumps(stamp))
    assert not jinja_templates.compiled_is_current(tmp_path)
    (tmp_path / jinja_templates.STAMP).unlink()
    assert not jinja_templates.compiled_is_current(tmp_path)


@pytest.mark.parametrize("sample", ["demand-forecast", "churn-fargate", "fraud-lambda"])
def test_compiled_and_source_templates_render_the_same(monkeypatch, sample):
    validation = api.validate([str(SAMPLES / sample)], str(SAMPLES_PLATFORM))
    assert validation.ok
    compiled = [render.render_files(model) for model in validation.models]
    monkeypatch.setattr(jinja_templates, "environment", jinja_templates.source_environment)
    assert [render.render_files(model) for model in validation.models] == compiled
