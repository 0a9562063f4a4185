"""The state machines' monitor parts, compiled: the cool-down window cut from the execution's start
time, the drift pipeline and the drift gate of the retrain pipeline for each deploy target and
cool-down, the serving environment, hostile strings in the monitor's stages (both validators, and
the same shape as plain strings), and the Model Monitor image table. Executions are in
test_execute_monitor.py."""

from __future__ import annotations

import copy
import json
import time

import pytest
import yaml

from compile_helpers import (HOSTILE, SAMPLES, SAMPLES_PLATFORM, AslValidator, CfnLint, all_states, baseline_config,
                             hostile_config, make_repo, walk, wiring)
from compiler import api
from compiler.aws_data import model_monitor
from compiler.render import asl
from compiler.runs import PIPELINES
from compiler.render.asl.monitoring_schedule import MONITORING_SCHEDULES
from compiler.render.asl.retrain_pipeline import COOLDOWN_WINDOWS
from compiler.render.naming import Naming
from test_iam_policy import ECS_MONITOR

pytestmark = pytest.mark.e2e  # moto-backed AWS (apply, state machine executions)

#: An execution's start time as AWS writes it ($$.Execution.StartTime).
START_TIME = "2026-11-26T01:47:28.123Z"

#: ecs-watch (test_iam_policy.py): an ecs-service, the drift job a SageMaker processing job,
#: hourly, one drift-started retrain per hour; and its twin that does not retrain on drift.
WATCHED = {"on": ECS_MONITOR,
           "off": ECS_MONITOR.replace("cooldown: 1h", "cooldown: 1h\n    retrain: false").replace("ecs-watch}", "ecs-quiet}")}


def models(parent, repos: dict) -> dict:
    """label ("<model>/<env>") -> ModelConfig of each config, compiled in memory."""
    for folder, config in repos.items():
        make_repo(parent, folder, config)
    validation = api.validate([str(parent / folder) for folder in repos], str(parent / "mlops-platform.yaml"))
    assert validation.ok, [(p.path, p.message) for p in validation.problems]
    return {f"{m.name}/{m.environment}": m for m in validation.models}


@pytest.fixture(scope="module")
def watched(tmp_path_factory) -> dict:
    """ecs-watch with drift retraining on and off: label -> {pipeline: definition}."""
    found = models(tmp_path_factory.mktemp("watched"), WATCHED)
    return {label: asl.definitions(Naming(config)) for label, config in found.items()}


# --------------------------------------------------------------------------- the cool-down window

def test_the_cooldown_windows_are_the_utc_date_and_hour_of_the_start_time():
    """States.StringSplit splits at each of the characters it is given (the ASL documentation's
    own example: "This.is+a,test=string" at ".+,=" gives five words); moto's interpreter, ported
    from AWS's reference, evaluates the compiled expressions on a start time in AWS's format."""
    moto = pytest.importorskip("moto")
    import boto3

    windows = {cooldown: expression.replace("$$.Execution.StartTime", "$.start")
               for cooldown, expression in COOLDOWN_WINDOWS.items()}
    definition = {"StartAt": "Cut", "States": {"Cut": {"Type": "Pass", "End": True, "Parameters": {
        f"{cooldown}.$": expression for cooldown, expression in windows.items()}}}}
    with moto.mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        sfn = boto3.client("stepfunctions", region_name="eu-west-1", aws_access_key_id="testing",
                           aws_secret_access_key="testing")
        machine = sfn.create_state_machine(name="windows", definition=json.dumps(definition),
                                           roleArn="arn:aws:iam::111111111111:role/r")["stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"start": START_TIME}))
        for _ in range(500):
            described = sfn.describe_execution(executionArn=execution["executionArn"])
            if described["status"] != "RUNNING":
                break
            time.sleep(0.01)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {"1d": "2026-11-26", "1h": "2026-11-26T01"}


# --------------------------------------------------------------------------- per target and setting

def test_the_drift_pipeline_runs_the_models_own_job(watched):
    drift = watched["ecs-watch/default"]["drift"]
    job = drift["States"]["Drift"]
    assert job["Resource"] == "arn:aws:states:::sagemaker:createProcessingJob.sync"
    environment = job["Parameters"]["Environment"]
    assert environment["MLOPS_METRICS_NAMESPACE"] == "mlops/ecs-watch"
    assert environment["MLOPS_BASELINE_URI.$"] == "$.model_version.Item.baseline_uri.S"
    assert environment["MLOPS_CAPTURE_URI"] == environment["MLOPS_INPUT_URI"] == \
        "s3://acme-ml-artifacts/ecs-watch/default/monitor/capture/"
    assert drift["States"]["Check pointers"]["Choices"][0]["Next"] == "Read deployment"
    assert drift["States"]["Check baseline"]["Choices"][0]["Next"] == "Publish run started"


def test_the_retrain_drift_gate_follows_the_cooldown_and_the_retrain_setting(watched):
    gated, plain = watched["ecs-watch/default"]["retrain"], watched["ecs-quiet/default"]["retrain"]
    claim = gated["States"]["Claim drift window"]["Parameters"]["Item"]
    assert claim["sk"]["S.$"] == f"States.Format('DRIFT#default#{{}}', {COOLDOWN_WINDOWS['1h']})"
    assert claim["cooldown"] == {"S": "1h"}
    assert gated["States"]["Check pointers"]["Choices"][0]["Next"] == "Started by drift?"
    assert gated["States"]["Started by drift?"]["Default"] == "Publish run started"
    # retrain: false: no alarm starts a run, so there is nothing to gate
    assert plain["States"]["Check pointers"]["Choices"][0]["Next"] == "Publish run started"
    assert not {"Started by drift?", "Claim drift window", "Cooling down"} & set(plain["States"])
    assert list(gated["States"]).index("Train") < list(gated["States"]).index("Baseline")


def test_an_ecs_service_serves_with_the_capture_and_its_metrics_namespace(watched):
    register = watched["ecs-watch/default"]["deploy"]["States"]["Register task definition"]["Parameters"]
    variables = {v["Name"]: v.get("Value") for v in register["ContainerDefinitions"][0]["Environment"]}
    assert {k: variables[k] for k in ("MLOPS_CAPTURE_URI", "MLOPS_CAPTURE_PERCENT", "MLOPS_METRICS_NAMESPACE")} == {
        "MLOPS_CAPTURE_URI": "s3://acme-ml-artifacts/ecs-watch/default/monitor/capture/",
        "MLOPS_CAPTURE_PERCENT": "50", "MLOPS_METRICS_NAMESPACE": "mlops/ecs-watch"}


@pytest.mark.parametrize("schedule, hours", [("hourly", 1), ("daily", 24)])
def test_a_drift_run_analyses_the_period_of_its_schedule(tmp_path, schedule, hours):
    """ecs-watch served by an endpoint, with its own drift job and without (Model Monitor): the
    schedule gets the window as ScheduleConfig offsets from its scheduled time, the model's own
    drift job as MLOPS_DRIFT_WINDOW_HOURS."""
    own = yaml.safe_load(ECS_MONITOR)
    own["pipelines"]["deploy"]["target"] = "sagemaker-endpoint"
    own["monitor"]["drift"]["schedule"] = schedule
    without_job = copy.deepcopy(own)
    without_job["model"]["name"] = "mm-watch"
    del without_job["monitor"]["drift"]["job"]
    found = models(tmp_path, {"own": own, "model-monitor": without_job})
    by_job, by_model_monitor = found["ecs-watch/default"], found["mm-watch/default"]
    assert (by_job.uses_model_monitor, by_model_monitor.uses_model_monitor) == (False, True)
    environment = asl.definitions(Naming(by_job))["drift"]["States"]["Drift"]["Parameters"]["Environment"]
    assert environment["MLOPS_DRIFT_WINDOW_HOURS"] == str(hours)
    deploy = asl.definitions(Naming(by_model_monitor))["deploy"]["States"]
    assert deploy["Create monitoring schedule"]["Parameters"]["MonitoringScheduleConfig"]["ScheduleConfig"] == {
        "ScheduleExpression": MONITORING_SCHEDULES[schedule], "DataAnalysisStartTime": f"-PT{hours}H",
        "DataAnalysisEndTime": "-PT0H"}


def test_the_pipelines_are_those_the_commands_take():
    validation = api.validate([str(SAMPLES)], str(SAMPLES_PLATFORM))
    seen = set()
    for config in validation.models:
        assert list(config.pipelines) == [p for p in PIPELINES if p in config.pipelines], config.name
        assert set(asl.definitions(Naming(config))) == set(config.pipelines)
        seen |= set(config.pipelines)
    assert seen == set(PIPELINES)


# --------------------------------------------------------------------------- hostile strings

def _watched_config(factory, name: str) -> dict:
    """The hostile (or plain) config with a monitor whose baseline and drift job run the same
    strings as commands and inherit them as environment values."""
    config = factory(name)
    commands = config["pipelines"]["retrain"]["stages"]["validate"]["command"]
    config["monitor"] = {"capture": {"sampling_percent": 10}, "baseline": {"command": commands},
                         "drift": {"schedule": "hourly", "cooldown": "1h", "features": {"f1": 0.2},
                                   "job": {"command": commands}}}
    return config


@pytest.fixture(scope="module")
def hostile_watch(tmp_path_factory) -> dict:
    """{"hostile": {pipeline: definition}, "plain": ...}, both of the model `hostile-watch`."""
    found = {}
    for kind, factory in (("hostile", hostile_config), ("plain", baseline_config)):
        config = models(tmp_path_factory.mktemp(f"watch-{kind}"), {"watch": _watched_config(factory, "hostile-watch")})
        found[kind] = asl.definitions(Naming(config["hostile-watch/default"]))
    return found


@pytest.mark.parametrize("pipeline", ["retrain", "drift"])
def test_hostile_strings_change_nothing_but_themselves(hostile_watch, pipeline):
    hostile, plain = hostile_watch["hostile"][pipeline], hostile_watch["plain"][pipeline]
    assert wiring(hostile) == wiring(plain)
    assert [path for path, key, _ in walk(hostile) if key is not None] == \
        [path for path, key, _ in walk(plain) if key is not None]
    step = all_states(hostile)["Drift" if pipeline == "drift" else "Baseline"]
    override = step["Parameters"]["Overrides"]["ContainerOverrides"][0]
    assert override["Command"] == list(HOSTILE)
    environment = {e["Name"]: e["Value"] for e in override["Environment"] if "Value" in e}
    assert [environment[f"USER_VAR_{i:02d}"] for i in range(len(HOSTILE))] == list(HOSTILE)


def test_both_validators_accept_the_hostile_monitor_pipelines(hostile_watch, tmp_path):
    from test_compile_validators import _without_quirk  # asl-validator's known gap, handled alike

    AslValidator.require()
    CfnLint.require()
    paths = []
    for pipeline in ("retrain", "drift", "deploy"):
        path = tmp_path / f"{pipeline}.asl.json"
        path.write_text(json.dumps(_without_quirk(hostile_watch["hostile"][pipeline]), ensure_ascii=False), "utf-8")
        paths.append(path)
    results = AslValidator.run(paths)
    assert all(ok for ok, _ in results.values()), results
    problems = CfnLint.run({p: hostile_watch["hostile"][p] for p in ("retrain", "drift", "deploy")}, tmp_path / "cfn")
    assert problems == {"deploy": [], "drift": [], "retrain": []}


# --------------------------------------------------------------------------- Model Monitor's image

def test_the_analyzer_image_is_named_per_region_as_aws_documents_it():
    assert model_monitor.analyzer_image("us-west-2") == \
        "159807026194.dkr.ecr.us-west-2.amazonaws.com/sagemaker-model-monitor-analyzer"  # the page's example
    assert model_monitor.analyzer_image("cn-north-1") == \
        "453000072557.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-model-monitor-analyzer"
    assert all(len(account) == 12 and account.isdigit() for account in model_monitor.ANALYZER_ACCOUNTS.values())
    assert len(set(model_monitor.ANALYZER_ACCOUNTS.values())) == len(model_monitor.ANALYZER_ACCOUNTS)
    assert not model_monitor.has_analyzer("eu-central-2")
    with pytest.raises(RuntimeError, match="eu-central-2"):
        model_monitor.analyzer_image("eu-central-2")
