"""Realistic edits of the samples: the inputs of the golden diffs in tests/diff/golden_diffs/ (used by
tests/diff/test_diff.py and tests/support/regen_golden_diffs.py).

`edited_repository` copies one sample model repository into a new git repository (with the
samples' platform file at its root), commits it, applies the edit's substitutions to its
mlops.yaml (regular expressions; each must match at least once, so an edit that no longer fits the
sample fails loudly instead of diffing nothing) and commits again: `mlopsc diff HEAD~1 HEAD` run
there shows what the edit does.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from pathlib import Path

from compile_helpers import REPO_ROOT, SAMPLES, run_cli

GOLDEN_DIFFS = REPO_ROOT / "tests" / "diff" / "golden_diffs"
#: The command each golden file holds the output of, run in the edited repository, by file suffix.
COMMANDS = {"txt": ("diff", "HEAD~1", "HEAD"), "md": ("diff", "HEAD~1", "HEAD", "--format", "markdown")}


@dataclasses.dataclass(frozen=True)
class Edit:
    name: str
    sample: str  # a folder of samples/
    what: str
    substitutions: tuple  # of (pattern, replacement) applied to mlops.yaml


EDITS = (
    Edit("gate-threshold", "demand-forecast", "the rmse bound loosened (12.5 -> 14), the mape bound tightened (0.18 -> 0.15)",
         ((r"\{metric: rmse, below: 12\.5\}", "{metric: rmse, below: 14}"),
          (r"\{metric: mape, at_most: 0\.18\}", "{metric: mape, at_most: 0.15}"))),
    Edit("stage-added", "demand-forecast", "a validate stage added before transform",
         ((r"(?m)^    stages:\n", "    stages:\n      validate:\n        command: [python, -m, forecast.validate]\n"
                                 "        timeout: 30m\n"),)),
    Edit("stage-swapped", "demand-forecast", "the tune stage removed, a validate stage added in its place",
         ((r"(?ms)^      tune:\n.*?(?=^      train:\n)", "      validate:\n        command: [python, -m, forecast.validate]\n"
                                                       "        timeout: 30m\n"),)),
    Edit("runtime-renamed", "demand-forecast", "the runtime xgb renamed to xgboost (its Dockerfile kept)",
         ((r"(?m)^  xgb:$", "  xgboost:"), (r"runtime: xgb\b", "runtime: xgboost"))),
    Edit("traffic-all-at-once", "fraud-lambda", "deploy traffic canary -> all-at-once (prod; dev was all-at-once already)",
         ((r"mode: canary", "mode: all-at-once"),)),
    Edit("alarms-removed", "demand-forecast", "deploy traffic linear -> all-at-once, and its alarms removed",
         ((r"mode: linear", "mode: all-at-once"), (r"(?m)^      alarms: \[[^\]\n]*\]\n", ""))),
    Edit("monitor-loosened", "demand-forecast", "the error rate alarm 0.01 -> 0.05, the lag_7 drift threshold 0.2 -> 0.4",
         ((r"max_error_rate: 0\.01", "max_error_rate: 0.05"), (r"lag_7: 0\.2,", "lag_7: 0.4,"))),
    Edit("monitor-removed", "demand-forecast", "the monitor section removed; deploy rolls back on the team's own alarm instead of its alarms",
         ((r"(?ms)^# Watch the endpoint.*\Z", ""), (r"alarms: \[monitor:error-rate, monitor:latency-p99\]", "alarms: [replenishment-errors]"))),
    Edit("spot-off", "demand-forecast", "spot training turned off", ((r"spot: true", "spot: false"),)),
    Edit("endpoint-scaled", "demand-forecast", "endpoint instances 2 -> 20, autoscaling 2..6 -> 20..60",
         ((r"instance_count: 2\b", "instance_count: 20"),
          (r"autoscaling: \{min: 2, max: 6,", "autoscaling: {min: 20, max: 60,"))),
)


def edited_repository(edit: Edit, parent: Path) -> Path:
    """parent/<edit name>: a git repository of the sample with two commits, before and after the edit."""
    repository = parent / edit.name
    shutil.copytree(SAMPLES / edit.sample, repository)
    shutil.copyfile(SAMPLES / "mlops-platform.yaml", repository / "mlops-platform.yaml")
    git(repository, "init", "--quiet", "--initial-branch=main")
    commit(repository, "the sample as it is")
    config = repository / "mlops.yaml"
    text = config.read_text(encoding="utf-8")
    for pattern, replacement in edit.substitutions:
        text, count = re.subn(pattern, replacement, text)
        assert count, f"edit {edit.name}: {pattern!r} no longer matches samples/{edit.sample}/mlops.yaml"
    config.write_text(text, encoding="utf-8")
    commit(repository, edit.what)
    return repository


def golden_outputs(edit: Edit, parent: Path) -> dict:
    """{"<edit>.txt": text, "<edit>.md": markdown}: the installed mlopsc, run in the edited repository.
    Each must exit 1 (changes)."""
    repository = edited_repository(edit, parent)
    outputs = {}
    for suffix, command in COMMANDS.items():
        done = run_cli(*command, cwd=repository)
        assert done.returncode == 1, f"{edit.name}: mlopsc {' '.join(command)} exited {done.returncode}:\n{done.stderr}"
        outputs[f"{edit.name}.{suffix}"] = done.stdout
    return outputs


def index() -> str:
    """tests/diff/golden_diffs/README.md: what each golden file shows."""
    rows = "".join(f"| `{edit.name}` | `samples/{edit.sample}` | {edit.what} |\n" for edit in EDITS)
    return ("# Golden diffs\n\n"
            "Generated by `python tests/support/regen_golden_diffs.py` (docs/development.md); checked by tests/diff/test_diff.py.\n"
            "Each edit is a substitution in a sample's `mlops.yaml` (tests/support/diff_edits.py), committed on top of the\n"
            f"sample in a new git repository; `<edit>.txt` and `<edit>.md` hold what `mlopsc {' '.join(COMMANDS['txt'])}`\n"
            "and `--format markdown` print there.\n\n"
            "| edit | sample | what it changes |\n|---|---|---|\n" + rows)


def commit(repository: Path, message: str) -> None:
    git(repository, "add", "--all")
    git(repository, "-c", "user.name=mlopsc tests", "-c", "user.email=tests@example.com",
         "commit", "--quiet", "--no-verify", "--message", message)


def git(repository: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repository), *args], check=True, capture_output=True, text=True).stdout
