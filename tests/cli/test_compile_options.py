"""compile's own options: --env picks one environment, an unknown one is a usage error
naming the configs that lack it; -o is required."""

from compile_helpers import SAMPLES, invoke


def test_env_compiles_only_that_environment(tmp_path):
    out = tmp_path / "out"
    result = invoke("compile", str(SAMPLES / "fraud-lambda"), "--env", "prod", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.relative_to(out).as_posix() for p in out.glob("*/*")) == ["fraud-scoring/prod"]


def test_unknown_env_is_a_usage_error_naming_the_models(tmp_path):
    result = invoke("compile", str(SAMPLES), "--env", "staging", "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "no environment 'staging' in: churn-fargate, demand-forecast, fraud-scoring" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_env_missing_from_some_models_is_refused(tmp_path):
    result = invoke("compile", str(SAMPLES), "--env", "prod", "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "no environment 'prod' in: churn-fargate, demand-forecast" in result.output


def test_output_is_required(tmp_path):
    result = invoke("compile", str(SAMPLES))
    assert result.exit_code == 2 and "-o" in result.output


def test_the_command_line_starts_without_its_heavy_dependencies():
    """`mlopsc --help` and `validate` start fast: the template engine, boto3 and rich are imported by
    the commands that use them, never when the command line is loaded."""
    import subprocess
    import sys

    code = ("import sys, compiler.cli; "
            "print(sorted(m for m in ('boto3', 'botocore', 'jinja2', 'rich', 'jsonschema') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/")
    assert loaded.stdout.strip() == "[]"
