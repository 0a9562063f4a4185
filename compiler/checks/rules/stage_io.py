"""Named stage inputs and outputs are ones the stage's job can take: an input comes from a stage
that runs before (and from an output it has), with the settings of the channel or processing
input it becomes; outputs belong to processing stages; every name makes its own variable."""

from compiler import stage_graph
from compiler.checks.finding import Finding, did_you_mean
from compiler.inherit import iter_stages

RULE = "stage-io"
DESCRIPTION = ("A stage's inputs come from stages that run before it and outputs they have; their settings "
               "are ones its SageMaker channel or processing input takes")
#: The processing input's S3InputMode takes File or Pipe only (botocore's ProcessingS3InputMode);
#: a training channel's InputMode also FastFile (TrainingInputMode).
PROCESSING_MODES = ("File", "Pipe")
#: Settings of a SageMaker channel or processing input; a Fargate stage only reads `from`.
SAGEMAKER_SETTINGS = ("content_type", "mode", "distribution", "path")


def check(context):
    stages = (context.pipelines.get("retrain") or {}).get("stages") or {}
    after = stage_graph.effective_after(stages)
    views = {view.name: view for view in iter_stages(context.config) if view.pipeline == "retrain"}
    for name, raw in sorted(stages.items()):
        view = views[name]
        kind = stage_graph.view_kind(view)
        compute = "sagemaker" if kind == "tuning" else view.values["compute"]
        yield from _outputs(view, kind, compute)
        yield from _inputs(view, kind, compute, stages, after)
        yield from _variables(view)
        if compute == "sagemaker" and kind in ("processing", "evaluate"):
            yield from _processing_paths(view, context.config.get("runtimes") or {})
    tuning = stage_graph.tuning_stage(stages)
    if tuning and "train" in stages:
        yield from _tuned_inputs(stages, after, tuning)


def _outputs(view, kind: str, compute: str):
    for output, spec in (view.raw.get("outputs") or {}).items():
        where = view.path + ("outputs", output)
        if kind in ("training", "tuning"):
            yield Finding(where, f"a {kind} stage declares no outputs" + (
                ": its model is the output `model`" if kind == "training" else ""),
                "read a training stage's model as <stage>.model; remove `outputs`", RULE, at_key=True)
        elif "path" in (spec or {}) and compute != "sagemaker":
            yield Finding(where + ("path",), "`path` is a local path of a SageMaker processing container",
                          "a Fargate stage writes to MLOPS_OUTPUT_<NAME>_URI itself: remove `path`", RULE)


def _inputs(view, kind: str, compute: str, stages: dict, after: dict):
    inputs = view.raw.get("inputs") or {}
    if inputs and kind == "tuning":
        yield Finding(view.path + ("inputs",), "the tuning job runs train's training jobs, with train's inputs",
                      "declare the inputs on the train stage", RULE)
        return
    before = stage_graph.ancestors(after, view.name)
    for name, spec in inputs.items():
        where = view.path + ("inputs", name)
        spec = {"from": spec} if isinstance(spec, str) else spec
        yield from _source(where, spec["from"], view.name, stages, before)
        yield from _settings(where, spec, kind, compute)


def _source(where: tuple, source: str, stage_name: str, stages: dict, before: set):
    stage, output = stage_graph.split_source(source)
    at = where + ("from",) if isinstance(_at(where, stages), dict) else where
    if stage is None:
        return
    if stage not in stages:
        known = sorted(set(stages) - {stage_name})
        yield Finding(at, f"no stage named '{stage}' in pipelines.retrain.stages",
                      did_you_mean(stage, known) or "stages here: " + ", ".join(known), RULE)
        return
    kind = stage_graph.stage_kind(stage, stages[stage])
    if output is not None:
        declared = sorted(stages[stage].get("outputs") or {}) + (["model"] if kind == "training" else [])
        if output not in declared:
            hint = did_you_mean(output, declared) or (
                f"its outputs: {', '.join(declared)}" if declared else f"declare it under {stage}'s `outputs`")
            yield Finding(at, f"the {stage} stage has no output '{output}'", hint, RULE)
            return
    if stage == stage_name:
        yield Finding(at, f"the {stage_name} stage cannot read its own output as an input",
                      "its folder is MLOPS_OUTPUT_URI, its outputs MLOPS_OUTPUT_<NAME>_URI", RULE)
    elif stage not in before:
        yield Finding(at, f"dangling input: {stage} does not run before {stage_name}",
                      f"add {stage} to {stage_name}'s `after` (or to that of a stage it runs after)", RULE)


def _at(where: tuple, stages: dict):
    """The input's spec as written (a string or a map), found by its path."""
    return stages[where[3]]["inputs"][where[5]]


def _settings(where: tuple, spec: dict, kind: str, compute: str):
    if compute != "sagemaker":
        for key in SAGEMAKER_SETTINGS:
            if key in spec:
                yield Finding(where + (key,), f"'{key}' is a setting of a SageMaker channel or processing input",
                              "a Fargate stage reads its input from MLOPS_INPUT_<NAME>_URI: give only `from`", RULE)
        return
    if kind == "training":
        if "path" in spec:
            yield Finding(where + ("path",), "a training channel has no local path of its own",
                          "SageMaker puts channel <name> under /opt/ml/input/data/<name>: remove `path`", RULE)
        return
    if "content_type" in spec:
        yield Finding(where + ("content_type",), "a SageMaker processing input has no content type",
                      "content_type is a training channel's setting: remove it", RULE)
    if spec.get("mode") not in (None, *PROCESSING_MODES):
        yield Finding(where + ("mode",), f"a SageMaker processing input's mode is File or Pipe, not {spec['mode']}",
                      "FastFile is a training channel's mode", RULE)


def _variables(view):
    """Two names of one stage that make one variable (e.g. `a-b` and `a_b`)."""
    for prefix, key in (("INPUT", "inputs"), ("OUTPUT", "outputs")):
        seen: dict = {}
        for name in sorted(view.raw.get(key) or {}):
            variable = stage_graph.variable(prefix, name)
            if variable in seen:
                yield Finding(view.path + (key, name), f"'{name}' and '{seen[variable]}' both make {variable}",
                              "rename one of them", RULE, at_key=True)
            seen.setdefault(variable, name)


#: The processing input that brings a prebuilt image's `code` folder (render/stage_parameters.py).
CODE_INPUT, CODE_PATH = "code", "/opt/ml/processing/input/code"
#: A processing job takes at most 10 inputs and 10 outputs (botocore: ProcessingInputs and
#: ProcessingOutputs, max 10); the schema allows 20 of each, as a training job's channels.
PROCESSING_LIMIT = 10


def _processing_paths(view, runtimes: dict):
    """A processing job's inputs (the runtime's code folder among them) and outputs each need a
    name and a local path of their own: two of one name or path are one job the API refuses or
    one folder two downloads fill."""
    runtime = runtimes.get(view.values.get("runtime"))
    seen = {CODE_PATH: ("input", CODE_INPUT)} if isinstance(runtime, dict) and runtime.get("code") else {}
    for key, extra in (("inputs", len(seen)), ("outputs", 0)):
        count = len(view.raw.get(key) or {}) + extra
        if count > PROCESSING_LIMIT:
            yield Finding(view.path + (key,), f"a SageMaker processing job takes at most {PROCESSING_LIMIT} {key}; "
                          f"this one would have {count}" + (" (the runtime's code folder is one)" if extra else ""),
                          "read or write a common prefix as one, or split the stage", RULE, at_key=True)
    for key, base in (("inputs", "/opt/ml/processing/input"), ("outputs", "/opt/ml/processing/output")):
        for name, spec in sorted((view.raw.get(key) or {}).items()):
            where = view.path + (key, name)
            if key == "inputs" and name == CODE_INPUT and seen.get(CODE_PATH) == ("input", CODE_INPUT):
                yield Finding(where, "the input `code` is the runtime's code folder already",
                              "rename this input", RULE, at_key=True)
                continue
            path = (spec.get("path") if isinstance(spec, dict) else None) or f"{base}/{name}"
            if path.rstrip("/") in seen:
                other = seen[path.rstrip("/")]
                yield Finding(where + (("path",) if isinstance(spec, dict) and "path" in spec else ()),
                              f"{path} is also the local path of the {other[0]} `{other[1]}`",
                              "give each input and output a path of its own", RULE)
            seen.setdefault(path.rstrip("/"), (key[:-1], name))


def _tuned_inputs(stages: dict, after: dict, tuning: str):
    """The tuning job reads train's inputs: they must be there before the tuning stage runs."""
    before = stage_graph.ancestors(after, tuning)
    for name, spec in (stages["train"].get("inputs") or {}).items():
        source = spec if isinstance(spec, str) else spec["from"]
        stage, _ = stage_graph.split_source(source)
        if stage is not None and stage in stages and stage != tuning and stage not in before:
            where = ("pipelines", "retrain", "stages", "train", "inputs", name)
            yield Finding(where + (("from",) if isinstance(spec, dict) else ()),
                          f"the tuning job reads train's input from {stage}, which does not run before {tuning}",
                          f"add {stage} to {tuning}'s `after`", RULE)
