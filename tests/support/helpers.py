"""Shared helpers for the `mlopsc validate` tests.

A test starts from BASE_CONFIG (valid, short, with known line numbers), changes it in a way
that keeps those line numbers (`replace` one line, or `append` lines at the end), runs the
command line and looks at the reported `file:line:col: error: path: message` lines.

BASE_CONFIG, line by line (appending at the end continues at line 26):

     1  version: 1
     2  model:
     3    name: demo-model
     4  runtimes:
     5    app:
     6      dockerfile: Dockerfile
     7  stage_defaults:
     8    runtime: app
     9    timeout: 30m
    10    environment:
    11      LOG_LEVEL: info
    12  pipelines:
    13    retrain:
    14      data:
    15        source: "s3://demo-data/raw/"
    16      triggers:
    17        schedule: "rate(1 day)"
    18      stages:
    19        train:
    20          command: [python, train.py]
    21          cpu: 1024
    22          memory: 2048
    23        evaluate:
    24          gate:
    25            - {metric: auc, at_least: 0.8}

Appended text lands under `stages` at indent 6, under `retrain` at indent 4, under `pipelines`
at indent 2 and at the top level at indent 0.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

from click.testing import CliRunner

from compiler.cli import cli
from paths import REPO_ROOT

SAMPLES = REPO_ROOT / "samples"

BASE_CONFIG = """\
version: 1
model:
  name: demo-model
runtimes:
  app:
    dockerfile: Dockerfile
stage_defaults:
  runtime: app
  timeout: 30m
  environment:
    LOG_LEVEL: info
pipelines:
  retrain:
    data:
      source: "s3://demo-data/raw/"
    triggers:
      schedule: "rate(1 day)"
    stages:
      train:
        command: [python, train.py]
        cpu: 1024
        memory: 2048
      evaluate:
        gate:
          - {metric: auc, at_least: 0.8}
"""
BASE_LINES = BASE_CONFIG.count("\n")  # 25: appended text starts on line 26

#: The platform team's file (passed with --platform), line by line:
#:  1 account, 2 region, 3 artifact_bucket, 4 registry_table, 5 notification_topic,
#:  6 ecs_cluster, 7 subnets, 8 security_groups, 9 roles, 10 pipeline, 11 task
PLATFORM = """\
account: "111111111111"
region: eu-west-1
artifact_bucket: demo-artifacts
registry_table: mlops-registry
notification_topic: arn:aws:sns:eu-west-1:111111111111:mlops-alerts
ecs_cluster: mlops
subnets: [subnet-0a1b2c3d4e5f60718]
security_groups: [sg-0123456789abcdef0]
roles:
  pipeline: arn:aws:iam::111111111111:role/mlops-pipeline
  task: arn:aws:iam::111111111111:role/mlops-task
"""

#: `file:line:col: error: path: message`, the only shape a problem line may take.
PROBLEM_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): error: (?P<path>.+?): (?P<message>.*)$")
HINT_LINE = re.compile(r"^  hint: (?P<hint>.*)$")


@dataclasses.dataclass(frozen=True)
class Reported:
    """One problem as the text reporter printed it."""

    file: str
    line: int
    col: int
    path: str
    message: str
    hint: str = ""
    #: The rule id, read from `--format json` (the text reporter does not print it).
    rule: str = ""

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclasses.dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str
    problems: list

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def only(self, rule: str) -> Reported:
        """The one problem reported, which rule `rule` found; fails listing all of them otherwise."""
        assert len(self.problems) == 1, f"expected exactly one problem, got:\n{self.stdout}{self.stderr}"
        assert self.problems[0].rule == rule, f"expected rule {rule}, got {self.problems[0].rule}"
        return self.problems[0]

    def at(self, path: str, rule: str) -> Reported:
        """The one problem reported for the dotted config `path`, which rule `rule` found."""
        found = [p for p in self.problems if p.path == path]
        assert len(found) == 1, f"expected one problem at {path}, got:\n{self.stdout}{self.stderr}"
        assert found[0].rule == rule, f"expected rule {rule} at {path}, got {found[0].rule}"
        return found[0]

    @property
    def paths(self) -> list:
        return [p.path for p in self.problems]


def parse_text(stdout: str) -> list:
    """Parse the text reporter's output; every line must be a problem or a hint."""
    problems: list = []
    for line in stdout.splitlines():
        hint = HINT_LINE.match(line)
        if hint and problems:
            problems[-1] = dataclasses.replace(problems[-1], hint=hint["hint"])
            continue
        match = PROBLEM_LINE.match(line)
        assert match, f"not a problem line: {line!r}"
        problems.append(Reported(match["file"], int(match["line"]), int(match["col"]), match["path"],
                                 match["message"]))
    return problems


def mlopsc_script() -> str:
    """The installed console script, next to the interpreter running the tests."""
    beside = Path(sys.executable).with_name("mlopsc")
    found = str(beside) if beside.exists() else shutil.which("mlopsc")
    assert found, "the mlopsc console script is not installed"
    return found


def run_cli(args, cwd: Path, subprocess_: bool = False) -> Outcome:
    """Run `mlopsc ARGS` in `cwd`: through click's CliRunner, or as a real process."""
    args = [str(a) for a in args]
    if subprocess_:
        done = subprocess.run([mlopsc_script(), *args], cwd=cwd, capture_output=True, text=True, timeout=120)
        stdout, stderr, code = done.stdout, done.stderr, done.returncode
    else:
        runner = CliRunner()
        with _chdir(cwd):
            result = runner.invoke(cli, args, catch_exceptions=False)
        stdout, stderr, code = result.stdout, result.stderr, result.exit_code
    fmt = args[args.index("--format") + 1] if "--format" in args else "text"
    problems = parse_text(stdout) if fmt == "text" and args[:1] == ["validate"] else []
    if problems:
        problems = _with_rules(problems, args, cwd)
    return Outcome(code, stdout, stderr, problems)


def _with_rules(problems: list, args: list, cwd: Path) -> list:
    """`problems` as the text reporter printed them, each with its rule id, which only the json
    reporter shows: the same command is run again with `--format json`."""
    args = [arg for index, arg in enumerate(args) if "--format" not in args[max(index - 1, 0):index + 1]]
    rows = json.loads(run_cli([*args, "--format", "json"], cwd).stdout)
    # (the text reporter escapes control characters, the json one need not: compare positions)
    assert [(p.line, p.col) for p in problems] == [(r["line"], r["column"]) for r in rows]
    return [dataclasses.replace(problem, rule=row["rule"]) for problem, row in zip(problems, rows)]


class _chdir:
    def __init__(self, path: Path):
        self.path, self.old = path, None

    def __enter__(self):
        self.old = os.getcwd()
        os.chdir(self.path)

    def __exit__(self, *exc):
        os.chdir(self.old)


class Repo:
    """A model repository in a temporary folder: mlops.yaml, a Dockerfile, a platform file."""

    def __init__(self, root: Path):
        self.root = root
        (root / "Dockerfile").write_text("FROM python:3.12-slim\n")
        self.write_platform(PLATFORM)
        self.write(BASE_CONFIG)

    def write(self, text: str, name: str = "mlops.yaml") -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def write_platform(self, text: str) -> None:
        (self.root / "platform.yaml").write_text(text, encoding="utf-8")

    def config(self, *, replace: Optional[dict] = None, append: str = "", base: str = BASE_CONFIG) -> str:
        """BASE_CONFIG with whole lines replaced (line count kept) and lines appended."""
        text = base
        for old, new in (replace or {}).items():
            assert text.count(old) == 1, f"{old!r} must occur once in the base config"
            assert old.count("\n") == new.count("\n"), "a replacement must keep the line numbers"
            text = text.replace(old, new)
        return text + append

    def validate(self, *, replace: Optional[dict] = None, append: str = "", text: Optional[str] = None,
                 args=(), platform: bool = True, subprocess_: bool = False) -> Outcome:
        """Write the config (BASE_CONFIG changed as asked, or `text`), run `mlopsc validate .`."""
        self.write(text if text is not None else self.config(replace=replace, append=append))
        command = ["validate", ".", *(["--platform", "platform.yaml"] if platform else []), *args]
        return run_cli(command, self.root, subprocess_=subprocess_)

    def run(self, *args, subprocess_: bool = False) -> Outcome:
        return run_cli(list(args), self.root, subprocess_=subprocess_)


def tree_paths(node, path=()):
    """Every path into parsed YAML (keys, and list positions as ints), the root's () first."""
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from tree_paths(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from tree_paths(value, path + (index,))
