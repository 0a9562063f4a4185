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


# --------------------------------------------------------------------------- --diff (and --check)
# `--diff` prints what a compile would change in OUT as a unified diff and writes nothing. The
# proof that the diff is right: applied to OUT with `git apply`, it gives exactly what a compile writes.

import shutil  # noqa: E402
import subprocess  # noqa: E402

import pytest  # noqa: E402

from compile_helpers import snapshot, tree  # noqa: E402


@pytest.fixture
def fraud(tmp_path):
    """A private copy of samples/fraud-lambda (environments dev and prod) beside the samples' platform file."""
    shutil.copytree(SAMPLES / "fraud-lambda", tmp_path / "fraud-lambda")
    shutil.copyfile(SAMPLES / "mlops-platform.yaml", tmp_path / "mlops-platform.yaml")
    return tmp_path / "fraud-lambda"


def compile_fraud(repo, out, *extra):
    return invoke("compile", str(repo), "--platform", str(repo.parent / "mlops-platform.yaml"), "-o", str(out), *extra)


def edit(repo, old: str, new: str) -> None:
    config = repo / "mlops.yaml"
    text = config.read_text()
    assert old in text
    config.write_text(text.replace(old, new))


def applied(diff: str, out, tmp_path):
    """OUT (a copy) with the diff applied by git, as {path: bytes}."""
    patched = tmp_path / "patched"
    if out.exists():
        shutil.copytree(out, patched)
    else:
        patched.mkdir()
    if diff:
        subprocess.run(["git", "apply", "--unsafe-paths", "-"], input=diff, text=True, cwd=patched, check=True)
    return tree(patched)


def compiled(repo, tmp_path):
    """What a compile writes into an empty OUT, as {path: bytes}."""
    out = tmp_path / "compiled"
    assert compile_fraud(repo, out).exit_code == 0
    return tree(out)


def test_diff_of_a_new_out_adds_every_file_and_writes_nothing(fraud, tmp_path):
    out = tmp_path / "out"
    result = compile_fraud(fraud, out, "--diff")
    assert result.exit_code == 0, result.output
    assert not out.exists(), "--diff wrote something"
    assert "--- /dev/null\n+++ b/fraud-scoring/dev/deploy.asl.json\n@@ -0,0 +1," in result.stdout
    assert "--- /dev/null\n+++ b/fraud-scoring/prod/manifest.json\n" in result.stdout
    assert applied(result.stdout, out, tmp_path) == compiled(fraud, tmp_path)


def test_diff_of_a_changed_config_and_a_file_compile_removes(fraud, tmp_path):
    out = tmp_path / "out"
    assert compile_fraud(fraud, out).exit_code == 0
    (out / "fraud-scoring/dev/notes.txt").write_text("not written by mlopsc\n")
    edit(fraud, "LOG_LEVEL: info", "LOG_LEVEL: debug")
    before = snapshot(out)
    result = compile_fraud(fraud, out, "--diff")
    assert result.exit_code == 0, result.output
    assert snapshot(out) == before, "--diff touched OUT"
    assert ('                   "Name": "LOG_LEVEL",\n-                  "Value": "info"\n'
            '+                  "Value": "debug"\n') in result.stdout
    assert "--- a/fraud-scoring/dev/notes.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-not written by mlopsc\n" in result.stdout
    assert "--- a/fraud-scoring/prod/manifest.json\n+++ b/fraud-scoring/prod/manifest.json\n" in result.stdout
    assert "1 stale file" not in result.stderr and " stale files in " in result.stderr
    assert applied(result.stdout, out, tmp_path) == compiled(fraud, tmp_path)


def test_diff_of_a_removed_environment_is_what_compile_does(fraud, tmp_path):
    """A compile replaces OUT/<model>/<env>/ of the environments it compiles and leaves any other
    folder (OUT may hold outputs of configs not compiled this time): an environment removed from
    the config keeps its folder, and --diff shows exactly that (here, only dev's manifest changes:
    it records the config's hash)."""
    out = tmp_path / "out"
    assert compile_fraud(fraud, out).exit_code == 0
    config = fraud / "mlops.yaml"
    config.write_text(config.read_text().split("\n  prod:\n")[0] + "\n")
    result = compile_fraud(fraud, out, "--diff")
    assert result.exit_code == 0, result.output
    changed = [line for line in result.stdout.splitlines() if line.startswith(("--- ", "+++ "))]
    assert changed == ["--- a/fraud-scoring/dev/manifest.json", "+++ b/fraud-scoring/dev/manifest.json"]
    expected = tree(out)
    assert compile_fraud(fraud, out).exit_code == 0
    after = tree(out)
    assert sorted(p for p in after if after[p] != expected.get(p)) == ["fraud-scoring/dev/manifest.json"]
    assert "fraud-scoring/prod/manifest.json" in after


def test_diff_when_nothing_changed_is_empty(fraud, tmp_path):
    out = tmp_path / "out"
    assert compile_fraud(fraud, out).exit_code == 0
    before = snapshot(out)
    result = compile_fraud(fraud, out, "--diff")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", f"{out} is up to date\n")
    assert snapshot(out) == before


@pytest.mark.parametrize("modes", [["--check"], ["--diff"], ["--check", "--diff"]])
def test_check_and_diff_never_touch_out(fraud, tmp_path, modes):
    """--check exits 1 when OUT is stale, --diff 0; both together: the diff, and exit 1."""
    out = tmp_path / "out"
    assert compile_fraud(fraud, out).exit_code == 0
    edit(fraud, "LOG_LEVEL: info", "LOG_LEVEL: debug")
    before = snapshot(out)
    result = compile_fraud(fraud, out, *modes)
    assert result.exit_code == (1 if "--check" in modes else 0), result.output
    assert snapshot(out) == before
    assert ("+++ b/fraud-scoring/dev/retrain.asl.json" in result.stdout) == ("--diff" in modes)
    assert ("would change: " in result.stdout) == (modes == ["--check"])


def test_diff_refuses_an_out_a_killed_compile_left(fraud, tmp_path):
    out = tmp_path / "out"
    assert compile_fraud(fraud, out).exit_code == 0
    (out / ".mlopsc-journal.json").write_text("{}")
    result = compile_fraud(fraud, out, "--diff")
    assert result.exit_code == 2
    assert "holds an unfinished compile" in result.stderr and "hint: run `mlopsc compile" in result.stderr
