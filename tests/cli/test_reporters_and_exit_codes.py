"""The three reporters over one problem list, the exit codes, secrets never echoed, and the
installed console script behaving like the click application."""

import json
import re

import pytest

from helpers import PROBLEM_LINE

SECRET = "AKIAIOSFODNN7EXAMPLE"
# One problem (Fargate pair, line 22) plus a secret-looking value (line 11) and a wrong type
# under `environment` (line 26) whose value must not be echoed either.
BROKEN = {"replace": {"        memory: 2048\n": "        memory: 1024\n",
                      "    LOG_LEVEL: info\n": f"    LOG_LEVEL: {SECRET}\n"},
          "append": f"        environment: {{OTHER: [{SECRET}x]}}\n"}


def test_text_format(repo):
    out = repo.validate(**BROKEN)
    assert out.exit_code == 1
    assert [(p.rule, p.where, p.path) for p in out.problems] == [
        ("secret-in-config", "mlops.yaml:11:16", "stage_defaults.environment.LOG_LEVEL"),
        ("fargate-size", "mlops.yaml:22:17", "pipelines.retrain.stages.train.memory"),
        ("schema", "mlops.yaml:26:30", "pipelines.retrain.stages.evaluate.environment.OTHER"),
    ]
    assert out.stderr == ""


def test_json_format(repo):
    out = repo.validate(**BROKEN, args=["--format", "json"])
    assert out.exit_code == 1
    rows = json.loads(out.stdout)
    assert [list(row) for row in rows] == [["file", "line", "column", "path", "message", "hint", "rule"]] * 3
    assert rows[1] == {
        "file": "mlops.yaml", "line": 22, "column": 17, "path": "pipelines.retrain.stages.train.memory",
        "message": "Fargate has no task size with cpu 1024 and memory 1024",
        "hint": "with cpu 1024, memory may be 2048, 3072, 4096, 5120, 6144, 7168, 8192 (MiB)",
        "rule": "fargate-size",
    }
    assert [(r["line"], r["rule"]) for r in rows] == [(11, "secret-in-config"), (22, "fargate-size"), (26, "schema")]


def test_json_format_when_valid_is_an_empty_list(repo):
    out = repo.validate(args=["--format", "json"])
    assert (out.exit_code, json.loads(out.stdout)) == (0, [])


def test_github_format(repo):
    out = repo.validate(**BROKEN, args=["--format", "github"])
    assert out.exit_code == 1
    lines = out.stdout.splitlines()
    assert len(lines) == 3
    assert lines[1] == ("::error file=mlops.yaml,line=22,col=17,title=mlopsc fargate-size::"
                        "pipelines.retrain.stages.train.memory: Fargate has no task size with cpu 1024 and memory 1024 "
                        "(hint: with cpu 1024, memory may be 2048, 3072, 4096, 5120, 6144, 7168, 8192 (MiB))")
    for line in lines:
        assert re.match(r"^::error file=[^,]+,line=\d+,col=\d+,title=mlopsc [a-z-]+::.+$", line)


def test_github_format_escapes_properties(repo):
    # A file name with ',' and ':' must not break the annotation's properties.
    repo.write(repo.config(replace={"        memory: 2048\n": "        memory: 1024\n"}), name="a,b:c/mlops.yaml")
    (repo.root / "a,b:c" / "Dockerfile").write_text("FROM scratch\n")
    out = repo.run("validate", "a,b:c", "--platform", "platform.yaml", "--format", "github")
    assert out.stdout.startswith("::error file=a%2Cb%3Ac/mlops.yaml,line=22,col=17,")


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
@pytest.mark.parametrize("subprocess_", [False, pytest.param(True, marks=pytest.mark.e2e)], ids=["clirunner", "subprocess"])
def test_secret_value_never_printed(repo, fmt, subprocess_):
    # Rule: secret-looking environment values are rejected without the value appearing anywhere.
    out = repo.validate(**BROKEN, args=["--format", fmt], subprocess_=subprocess_)
    assert out.exit_code == 1
    assert "LOG_LEVEL" in out.output
    assert SECRET not in out.output
    assert SECRET[4:] not in out.output


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_secret_in_a_schema_error_never_printed(repo, fmt):
    # A too-long value under `environment` fails the schema; the message does not echo it.
    value = SECRET * 300
    out = repo.validate(replace={"    LOG_LEVEL: info\n": f"    LOG_LEVEL: \"{value}\"\n"}, args=["--format", fmt])
    assert out.exit_code == 1
    assert SECRET not in out.output


def test_build_args_are_not_echoed(repo):
    out = repo.validate(replace={"    dockerfile: Dockerfile\n": f"    {{dockerfile: Dockerfile, build_args: {{K: [{SECRET}]}}}}\n"})
    assert out.only("schema").path == "runtimes.app.build_args.K"
    assert SECRET not in out.output


# --- exit codes -----------------------------------------------------------------------------

def test_exit_0_when_valid(repo):
    out = repo.validate()
    assert (out.exit_code, out.stdout, out.stderr) == (0, "", "1 config valid (1 environment)\n")


def test_exit_1_when_invalid(repo):
    assert repo.validate(replace={"version: 1\n": "version: 3\n"}).exit_code == 1


def test_exit_2_for_a_nonexistent_path(repo):
    out = repo.run("validate", "no/such/repo")
    assert out.exit_code == 2
    assert "no/such/repo: no such file or directory" in out.stderr
    assert out.stdout == ""


def test_exit_2_for_a_directory_without_configs(repo):
    (repo.root / "empty").mkdir()
    out = repo.run("validate", "empty")
    assert out.exit_code == 2
    assert "no mlops.yaml found in empty or below it" in out.stderr


def test_exit_2_for_an_unknown_format(repo):
    assert repo.run("validate", ".", "--format", "xml").exit_code == 2


@pytest.mark.parametrize("args,code", [
    (["validate", ".", "--platform", "platform.yaml"], 0),
    (["validate", "missing-dir"], 2),
])
def test_console_script_exit_codes(repo, args, code):
    out = repo.run(*args, subprocess_=True)
    assert out.exit_code == code
    assert "Traceback" not in out.output


def test_console_script_reports_problems_like_the_click_app(repo):
    changes = {"replace": {"  timeout: 30m\n": "  timout: 30m\n"}}
    in_process = repo.validate(**changes)
    real = repo.validate(**changes, subprocess_=True)
    assert (real.exit_code, real.stdout) == (in_process.exit_code, in_process.stdout) == (
        1, "mlops.yaml:9:3: error: stage_defaults.timout: unknown key 'timout'\n  hint: did you mean 'timeout'?\n")


def test_python_dash_m_compiler(repo):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "compiler", "validate", ".", "--platform", "platform.yaml"],
                          cwd=repo.root, capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (0, "1 config valid (1 environment)\n")


def test_every_text_line_is_a_problem_or_a_hint(repo):
    out = repo.validate(**BROKEN)
    for line in out.stdout.splitlines():
        assert PROBLEM_LINE.match(line) or line.startswith("  hint: ")


def test_a_key_with_a_newline_stays_on_one_line(repo):
    # Rule: unknown key "time<newline>out" (written with a YAML escape, line 9): the text reporter
    # escapes it, so that the problem is still one line (and its hint the next).
    out = repo.validate(replace={"  timeout: 30m\n": '  "time\\nout": 30m\n'})
    problem = out.only("schema")
    assert (problem.where, problem.path, problem.message) == (
        "mlops.yaml:9:3", "stage_defaults.time\\nout", "unknown key 'time\\nout'")
    assert len(out.stdout.splitlines()) == 2


def test_control_characters_in_a_key_are_escaped(repo):
    out = repo.validate(append='"a\\rb": 1\n')
    problem = out.only("schema")
    assert (problem.where, problem.path, problem.message) == ("mlops.yaml:26:1", "a\\rb", "unknown key 'a\\rb'")


# --- one place turns an error into a message and an exit code (compiler/cli/outcome.py) ------

def test_an_error_is_a_message_and_a_hint_never_a_usage_text(repo):
    """A path naming no config is an InputError: `mlopsc: error:` on stderr and exit 2, like every
    command's errors (not click's usage text)."""
    out = repo.run("compile", "no/such/repo", "-o", "out")
    assert (out.exit_code, out.stdout) == (2, "")
    assert out.stderr == "mlopsc: error: no/such/repo: no such file or directory\n"


@pytest.mark.parametrize("kind,code", [("InputError", 2), ("Refused", 1), ("AwsError", 1), ("MlopscError", 1)])
def test_each_kind_of_error_has_its_exit_code(repo, monkeypatch, kind, code):
    from compiler import api, errors

    def fails(*_args, **_kwargs):
        raise getattr(errors, kind)("it went wrong", "do this instead")

    monkeypatch.setattr(api, "validate", fails)
    out = repo.run("validate", ".")
    assert (out.exit_code, out.stdout, out.stderr) == (code, "", "mlopsc: error: it went wrong\n  hint: do this instead\n")


def test_a_bug_is_exit_70_without_a_traceback(repo, monkeypatch):
    """Anything that is not an mlopsc error is a bug: reported as one (exit 70), in-process too."""
    from compiler import api

    monkeypatch.setattr(api, "validate", lambda *_: {}["missing"])
    out = repo.run("validate", ".")
    assert out.exit_code == 70
    assert out.stderr.startswith("mlopsc: internal error (KeyError): this is a bug in mlopsc")
    assert "Traceback" not in out.stderr
