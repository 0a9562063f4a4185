"""Script mode: a SageMaker training stage (train, a training stage of the model's own, a tuning
stage's training jobs) on a runtime with `code` runs its `entry_point` from that folder, as the
SageMaker Python SDK's framework estimators do (`entry_point` with `source_dir`).

- Such a stage names its `entry_point` (the tune stage inherits train's), a regular file inside
  the code folder; the toolkit runs nothing else.
- No `command` with it: ContainerEntrypoint (or the tuning job's MLOPS_COMMAND) would replace the
  image's entry point, the training toolkit that downloads and runs the script.
- `entry_point` anywhere else would change nothing: refused (a stage without `code`, a processing
  stage, which runs its `command` from /opt/ml/processing/input/code instead).
- The reserved hyper-parameters script mode sends (compiler.names) may not be set or tuned by the
  user: the toolkit reads them as its own.
"""

from pathlib import Path, PurePosixPath

from compiler import names
from compiler.checks.finding import Finding
from compiler.inherit import iter_stages
from compiler.stage_graph import view_kind

RULE = "script-mode"
DESCRIPTION = ("A SageMaker training stage on a runtime with `code` runs its `entry_point` (a file of that folder), "
               "no `command`, no reserved hyper-parameter")
TRAINING_KINDS = ("training", "tuning")
STAGES = ("pipelines", "retrain", "stages")


def check(context):
    found = []
    for view in iter_stages(context.config):
        for finding in _stage_findings(context, view):
            if finding not in found:  # tune inherits train's settings: one problem, one report
                found.append(finding)
    yield from found


def _stage_findings(context, view):
    runtime = context.config["runtimes"].get(view.values["runtime"]) or {}
    script_mode = is_script_mode(view, runtime)
    entry_point = view.values.get("entry_point")
    if not script_mode:
        if entry_point is not None:
            yield _entry_point_unused(view, runtime)
        return
    if view.values.get("command") is not None:
        yield Finding(view.origin("command"), f"a training job on runtime '{view.values['runtime']}' runs in script mode (the "
                      "runtime has `code`): a `command` would replace the training toolkit that runs the entry point",
                      "remove `command`: the toolkit runs `entry_point` (give the script's arguments as hyper-parameters)", RULE)
    if entry_point is None:
        yield Finding(view.origin("runtime"), f"a training job on runtime '{view.values['runtime']}' runs in script mode (the "
                      "runtime has `code`), which needs `entry_point`: the script to run",
                      "add `entry_point: <script>` to the stage, relative to the code folder (e.g. train.py)", RULE)
    else:
        yield from _entry_point_file(context, view, runtime["code"], entry_point)
    yield from _reserved_names(context, view)


def is_script_mode(view, runtime: dict) -> bool:
    """A SageMaker training or tuning job on a runtime with `code` (a Fargate stage cannot have
    `code`: rule prebuilt-use)."""
    kind = view_kind(view)
    return kind in TRAINING_KINDS and "code" in runtime and (kind == "tuning" or view.values["compute"] == "sagemaker")


def _entry_point_unused(view, runtime: dict) -> Finding:
    if view_kind(view) not in TRAINING_KINDS:
        return Finding(view.origin("entry_point"), f"the {view.name} stage is not a training stage: `entry_point` "
                       "is script mode's, for training jobs only",
                       "a processing stage runs its `command` (its code is at /opt/ml/processing/input/code); "
                       "set `entry_point` on the training stage", RULE)
    if "code" not in runtime:
        return Finding(view.origin("entry_point"), f"runtime '{view.values['runtime']}' has no `code` folder to "
                       "take the entry point from", "add `code: <folder>` to the runtime (an AWS-provided image), "
                       "or remove `entry_point`", RULE)
    return Finding(view.origin("entry_point"), f"the {view.name} stage runs on Fargate, which has no script mode",
                   "run it on SageMaker (`compute: sagemaker`), or remove `entry_point`", RULE)


def _entry_point_file(context, view, code: str, entry_point: str):
    """A regular file inside the code folder (build-path reports a code folder that is missing)."""
    folder = (context.repo_root / code).resolve()
    if not folder.is_dir():
        return
    where = view.origin("entry_point")
    pure = PurePosixPath(entry_point)
    target = (folder / pure).resolve()
    if ".." in pure.parts or not _inside(folder, target):
        yield Finding(where, f"'{entry_point}' is not inside the code folder '{code}'",
                      "name the script relative to the code folder, without `..`", RULE)
    elif not target.is_file():
        yield Finding(where, f"'{entry_point}' is not a file of the code folder '{code}'",
                      "the path is relative to the code folder, e.g. train.py for " f"{code}/train.py", RULE)


def _inside(folder: Path, target: Path) -> bool:
    return folder in target.parents


def _reserved_names(context, view):
    """train's hyper-parameters (the static ones of a tuning job too) and a tuning stage's tuned
    parameters, as written."""
    stages = (context.pipelines.get("retrain") or {}).get("stages") or {}
    kind = view_kind(view)
    if kind == "tuning":
        maps = [("train", "hyperparameters"), (view.name, "parameters")]
    else:
        maps = [("train", "hyperparameters")] if view.name == "train" else []
    reserved = set(names.SCRIPT_MODE_HYPERPARAMETERS)
    for stage, key in maps:
        given = (stages.get(stage) or {}).get(key)
        for name in sorted(reserved & set(given if isinstance(given, dict) else {})):
            yield Finding(STAGES + (stage, key, name), f"'{name}' is set by script mode",
                          "rename the hyper-parameter: the SageMaker training toolkit reads this one as its own",
                          RULE, at_key=True)
