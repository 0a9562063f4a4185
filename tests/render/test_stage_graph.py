"""The retrain stage graph, compiled (its execution: tests/execute/test_execute_stage_graph.py).

Levels are the longest path from the stages that run first; a level of several stages is one
Parallel state; MLOPS_INPUT_URI follows the one `after` stage; the monitor's baseline joins the
graph after train; the pointers, IAM and the time-out budget see stages of the model's own.
Every config here is compiled by api.compile_outputs, which proves each definition (`verify`).
"""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from compile_helpers import SAMPLES, AslValidator, CfnLint, make_repo
from compiler import api
from compiler.render.asl.shared_states import BOOKKEEPING_SECONDS, stage_timeout

BASE = {
    "version": 1,
    "model": {"name": "graph-model"},
    "runtimes": {"app": {"dockerfile": "Dockerfile"}},
    "stage_defaults": {"runtime": "app", "timeout": "30m"},
    "pipelines": {"retrain": {"data": {"source": "s3://acme-ml-data/graph/raw/"}, "stages": {
        "validate": {"command": ["python", "validate.py"]},
        "a": {"kind": "processing", "after": ["validate"], "command": ["python", "a.py"]},
        "b": {"kind": "processing", "after": ["validate"], "command": ["python", "b.py"], "timeout": "2h",
              "compute": "sagemaker", "outputs": {"table": {}}},
        "c": {"kind": "processing", "after": ["a"], "command": ["python", "c.py"],
              "inputs": {"ref": "s3://acme-ml-data/graph/reference/"}},
        "train": {"after": ["b", "c"], "command": ["python", "train.py"], "inputs": {"table": "b.table", "c": "c"}},
        "evaluate": {"command": ["python", "evaluate.py"], "gate": [{"metric": "auc", "at_least": 0.8}]},
    }}},
}


def _compile(tmp_path, config: dict):
    repo = make_repo(tmp_path, config["model"]["name"], config)
    result = api.compile_outputs([str(repo)], str(tmp_path / "mlops-platform.yaml"))  # proves every definition
    assert result.validation.ok, result.validation.problems
    (model,) = result.validation.models
    files = result.outputs[f"{model.name}/{model.environment}"]
    return model, files


def _retrain(files) -> dict:
    return json.loads(files["retrain.asl.json"])


def _environment(state: dict) -> dict:
    parameters = state["Parameters"]
    if "Overrides" in parameters:  # a Fargate task
        return {e["Name"]: e.get("Value", e.get("Value.$")) for e in parameters["Overrides"]["ContainerOverrides"][0]["Environment"]}
    environment = parameters.get("Environment") or parameters["TrainingJobDefinition"]["Environment"]
    return {key.removesuffix(".$"): value for key, value in environment.items()}


def _output(stage: str) -> str:
    return f"States.Format('s3://acme-ml-artifacts/graph-model/default/retrain/{{}}/{stage}/', $$.Execution.Name)"


def test_levels_run_in_order_and_a_level_of_several_is_one_parallel(tmp_path):
    model, files = _compile(tmp_path, BASE)
    definition = _retrain(files)
    assert definition["Comment"].startswith(
        "Retrain graph-model (default): validate -> (a | b) -> c -> train -> evaluate -> gate -> register")
    states = definition["States"]
    # The stages' results start empty (the Parallel merges its branches' into them).
    assert states["Publish run started"]["Next"] == "Start stage results"
    assert states["Start stage results"] == {"Type": "Pass", "Comment": states["Start stage results"]["Comment"],
                                             "Result": {}, "ResultPath": "$.stages", "Next": "Validate"}
    assert states["Publish validate succeeded"]["Next"] == "Run a and b"
    parallel = states["Run a and b"]
    assert parallel["Type"] == "Parallel" and [b["StartAt"] for b in parallel["Branches"]] == ["A", "B"]
    assert parallel["ResultSelector"] == {"stages.$": "States.JsonMerge($[0], $[1], false)"}
    assert parallel["ResultPath"] == "$.joined" and parallel["Next"] == "Join a and b"
    assert parallel["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Parallel a and b failed"}]
    assert states["Join a and b"] == {"Type": "Pass", "Comment": states["Join a and b"]["Comment"],
                                      "InputPath": "$.joined.stages", "ResultPath": "$.stages", "Next": "C"}
    assert states["Parallel a and b failed"]["ErrorPath"] == "$.error.Error"
    branch = parallel["Branches"][1]["States"]
    # Each branch: its task, success event (returning the branch's $.stages), failure chains of its own.
    assert branch["Publish b succeeded"]["End"] is True and branch["Publish b succeeded"]["OutputPath"] == "$.stages"
    assert branch["Publish b succeeded"]["Catch"][0]["Next"] == "Notify b event not published"
    assert branch["B"]["Catch"][0]["Next"] == "Notify b failed" and branch["B failed"]["Type"] == "Fail"
    assert states["Publish c succeeded"]["Next"] == "Train"

    # A level lasts as long as its slowest stage (b: 2h), each stage with its retries.
    def budget(name):
        stage = model.retrain.stage(name)
        return stage_timeout(stage) * (1 + stage.retry.max_attempts)
    levels = [["validate"], ["a", "b"], ["c"], ["train"], ["evaluate"]]
    assert definition["TimeoutSeconds"] == sum(max(budget(n) for n in level) for level in levels) + BOOKKEEPING_SECONDS


@pytest.mark.e2e
def test_graph_definitions_pass_the_asl_validator_and_cfn_lint(tmp_path):
    """The validators that share no code with mlopsc (test_compile_validators.py) on a Parallel level."""
    AslValidator.require()
    CfnLint.require()
    _, files = _compile(tmp_path, BASE)
    path = tmp_path / "retrain.asl.json"
    path.write_text(files["retrain.asl.json"])
    assert AslValidator.run([path]) == {str(path): (True, "")}
    workdir = tmp_path / "cfn-lint"
    workdir.mkdir()
    assert CfnLint.run({"retrain": json.loads(files["retrain.asl.json"])}, workdir) == {"retrain": []}


def test_the_stage_contract_of_named_inputs_and_outputs(tmp_path):
    _, files = _compile(tmp_path, BASE)
    states = _retrain(files)["States"]
    branch_b = states["Run a and b"]["Branches"][1]["States"]["B"]
    c, train = _environment(states["C"]), _environment(states["Train"])
    assert c["MLOPS_INPUT_URI"] == _output("a")  # its one `after` stage's output
    assert c["MLOPS_INPUT_REF_URI"] == "s3://acme-ml-data/graph/reference/"
    assert train["MLOPS_INPUT_URI"] == "s3://acme-ml-data/graph/raw/"  # two `after` stages: data.source
    assert train["MLOPS_INPUT_TABLE_URI"] == _output("b/table") and train["MLOPS_INPUT_C_URI"] == _output("c")
    assert _environment(branch_b)["MLOPS_OUTPUT_TABLE_URI"] == _output("b/table")
    assert _environment(branch_b)["MLOPS_OUTPUT_URI"] == _output("b")  # the stage's folder, as always
    # With declared outputs, the processing job lists exactly them.
    assert [o["OutputName"] for o in branch_b["Parameters"]["ProcessingOutputConfig"]["Outputs"]] == ["table"]


def test_pointers_and_iam_see_the_stages_of_the_models_own(tmp_path):
    _, files = _compile(tmp_path, BASE)
    pointers = json.loads(files["pointers.json"])
    assert sorted(pointers["task_definitions"]) == ["retrain-a", "retrain-c", "retrain-evaluate", "retrain-train",
                                                   "retrain-validate"]  # b runs on SageMaker
    assert pointers["settings"]["retrain"]["stages"] == ["validate", "a", "b", "c", "train", "evaluate"]
    task = json.loads(files["iam.json"])["roles"]["task"]["policy"]["Statement"]
    reads = {s["Sid"]: s for s in task}
    assert reads["ReadStageInput1"]["Resource"] == ["arn:aws:s3:::acme-ml-data/graph/reference/*"]


def test_a_training_stage_of_its_own_runs_a_training_job_whose_model_others_read(tmp_path):
    config = copy.deepcopy(BASE)
    stages = config["pipelines"]["retrain"]["stages"]
    stages["c"] = {"kind": "training", "after": ["a"], "compute": "sagemaker", "spot": True}
    stages["train"]["inputs"] = {"table": "b.table", "embeddings": "c.model"}
    _, files = _compile(tmp_path, config)
    states = _retrain(files)["States"]
    assert states["C"]["Resource"].endswith(":states:::sagemaker:createTrainingJob.sync")
    assert states["C"]["ResultSelector"]["model_data.$"] == "$.ModelArtifacts.S3ModelArtifacts"
    assert _environment(states["Train"])["MLOPS_INPUT_EMBEDDINGS_URI"] == "$.stages.c.model_data"
    log_streams = [r for s in json.loads(files["iam.json"])["roles"]["task"]["policy"]["Statement"]
                   for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])]
    assert any("log-group:/aws/sagemaker/TrainingJobs:log-stream:graph-model-c-" in r for r in log_streams)


def test_a_tuning_stage_passes_on_what_it_read_and_train_reads_its_channels(tmp_path):
    config = yaml.safe_load((SAMPLES / "demand-forecast" / "mlops.yaml").read_text())
    stages = config["pipelines"]["retrain"]["stages"]
    stages["features"] = {"kind": "processing", "after": ["transform"], "command": ["python", "f.py"],
                          "outputs": {"train": {}, "validation": {}}}
    stages["tune"]["after"] = ["features"]
    stages["train"]["inputs"] = {"train": {"from": "features.train", "content_type": "text/csv"},
                                 "validation": {"from": "features.validation", "mode": "FastFile"}}
    stages["evaluate"]["after"] = ["train", "features"]
    model, files = _compile(tmp_path, config)
    states = _retrain(files)["States"]
    out = "States.Format('s3://acme-ml-artifacts/demand-forecast/default/retrain/{}/{}/', $$.Execution.Name)"
    assert _environment(states["Tune"])["MLOPS_INPUT_URI"] == out.replace("{}/{}", "{}/features")
    assert _environment(states["Train"])["MLOPS_INPUT_URI"] == out.replace("{}/{}", "{}/features")  # what tune read
    channels = states["Train"]["Parameters"]["InputDataConfig"]
    assert [(c["ChannelName"], c.get("ContentType"), c.get("InputMode")) for c in channels] == [
        ("train", "text/csv", None), ("validation", None, "FastFile")]
    # The tuning job runs train's training jobs: with train's channels.
    assert states["Tune"]["Parameters"]["TrainingJobDefinition"]["InputDataConfig"] == channels
    # In a graph the monitor's baseline joins it after train: in parallel with evaluate.
    baseline, evaluate = states["Run baseline and evaluate"]["Branches"]
    assert (baseline["StartAt"], evaluate["StartAt"]) == ("Baseline", "Evaluate")
    assert _environment(evaluate["States"]["Evaluate"])["MLOPS_INPUT_URI"] == "s3://acme-ml-data/demand-forecast/sales/"
    assert _environment(baseline["States"]["Baseline"])["MLOPS_INPUT_URI"] == out.replace("{}/{}", "{}/features")


def test_without_after_the_baseline_keeps_its_place_in_the_chain(tmp_path):
    config = yaml.safe_load((SAMPLES / "demand-forecast" / "mlops.yaml").read_text())
    _, files = _compile(tmp_path, config)
    states = _retrain(files)["States"]
    assert not any(state["Type"] == "Parallel" for state in states.values())
    assert states["Publish baseline succeeded"]["Next"] == "Evaluate" and "Start stage results" not in states


def _tuning_of_its_own() -> dict:
    """demand-forecast whose tuning stage is one of its own, `search`, after transform."""
    config = yaml.safe_load((SAMPLES / "demand-forecast" / "mlops.yaml").read_text())
    stages = config["pipelines"]["retrain"]["stages"]
    stages["search"] = {"kind": "tuning", "after": ["transform"], **stages.pop("tune")}
    stages["train"]["after"] = ["search"]
    return config


def test_a_tuning_stage_of_its_own_tunes_train(tmp_path):
    model, files = _compile(tmp_path, _tuning_of_its_own())
    assert model.retrain.tune.stage.name == "search" and model.retrain.tune.stage.compute == "sagemaker"
    states = _retrain(files)["States"]
    assert states["Search"]["Resource"].endswith(":states:::sagemaker:createHyperParameterTuningJob.sync")
    assert states["Search"]["ResultPath"] == "$.stages.search"
    assert states["Train"]["Parameters"]["HyperParameters.$"] == \
        "States.JsonMerge($.hyperparameters, $.stages.search.hyperparameters, false)"
    # It inherits from train like tune does (train's runtime and command), and runs train's jobs.
    assert model.retrain.tune.stage.runtime == "xgb"
    assert "search" not in json.loads(files["pointers.json"])["settings"]["retrain"]["stages"]


def test_state_names_stay_within_what_step_functions_allows(tmp_path):
    """Stage names make state names: a level of three 31-character stages must still give names of
    at most 80 characters without `,` or `:` (StateExitedEventDetails, Step Functions API
    reference)."""
    config = copy.deepcopy(BASE)
    stages = config["pipelines"]["retrain"]["stages"]
    long = [f"{letter}{'-features' * 3}-stage-x"[:31] for letter in "xyz"]
    for name in long:
        stages[name] = {"kind": "processing", "after": ["validate"], "command": ["python", "f.py"]}
    stages["train"]["after"] = ["b", "c", *long]
    _, files = _compile(tmp_path, config)
    definition = _retrain(files)

    def names(machine):
        for name, state in machine["States"].items():
            yield name
            for branch in state.get("Branches", ()):
                yield from names(branch)
    found = list(names(definition))
    assert len(found) == len(set(found))
    assert all(len(name) <= 80 for name in found), [name for name in found if len(name) > 80]
    (name, parallel), = [(name, state) for name, state in definition["States"].items()
                         if state["Type"] == "Parallel"]
    made = [name, parallel["Next"], parallel["Catch"][0]["Next"]]  # the level's own: Run, Join, its Fail
    assert len(name) == 80 and not any(set(made_name) & set(",:") for made_name in made), made
    assert [b["StartAt"] for b in parallel["Branches"]] == ["A", "B"] + [stage.capitalize() for stage in long]


def test_a_stage_name_with_a_hyphen_is_a_bracketed_field_in_paths(tmp_path):
    """Step Functions wants bracket notation for a field name with punctuation other than `_`
    (Step Functions Developer Guide, "Using JSONPath paths"): `$.stages.embed-model` is not a path."""
    config = copy.deepcopy(BASE)
    stages = config["pipelines"]["retrain"]["stages"]
    stages["embed-model"] = {"kind": "training", "after": ["a"], "compute": "sagemaker"}
    stages["train"].update(after=["b", "c", "embed-model"], inputs={"table": "b.table", "embeddings": "embed-model.model"})
    _, files = _compile(tmp_path, config)
    states = _retrain(files)["States"]
    (embed,) = [branch["States"]["Embed-model"] for state in states.values() for branch in state.get("Branches", ())
                if "Embed-model" in branch["States"]]
    assert embed["ResultPath"] == "$.stages['embed-model']"
    assert _environment(states["Train"])["MLOPS_INPUT_EMBEDDINGS_URI"] == "$.stages['embed-model'].model_data"
