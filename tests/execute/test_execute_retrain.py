"""The retrain pipelines, executed: the compiled ASL of the samples, applied by `compiler.apply`
and run by moto's Step Functions interpreter (see sfn_harness.py for what is moto and what the
harness adds: ECS/SageMaker stage outcomes, instant waits)."""

from __future__ import annotations

import json

import pytest

from paths import REPO_ROOT
from sfn_harness import applied, execute, item, published, split_s3

pytestmark = [pytest.mark.e2e,  # moto-backed AWS (apply, state machine executions)
              pytest.mark.in_fork]  # each test in a fork of the module's account (tests/support/forks.py)

SAMPLES = REPO_ROOT / "samples"
ARTIFACTS = "s3://acme-ml-artifacts"


@pytest.fixture
def churn(live_accounts):
    """churn-fargate applied, once for the module; each test runs in a fork of it."""
    with live_accounts.fresh("churn", lambda patch, tmp: applied(patch, tmp, [SAMPLES / "churn-fargate"])) as account:
        yield account


@pytest.fixture
def forecast(live_accounts):
    """demand-forecast applied, once for the module; each test runs in a fork of it."""
    with live_accounts.fresh("forecast", lambda patch, tmp: applied(patch, tmp, [SAMPLES / "demand-forecast"])) \
            as account:
        yield account


def version_item(account, model: str, run_id: str) -> dict:
    return item(account.session, (f"MODEL#{model}", f"VERSION#default#{run_id}"))


# ----------------------------------------------------------------------------- Fargate (churn-fargate)

def test_retrain_success_runs_every_stage_in_order_and_registers_the_version(churn):
    churn.harness.stages.metrics = {"auc": 0.91, "logloss": 0.31}
    run = execute(churn.sfn, "churn-fargate-default-retrain", "run-ok")

    assert run.status == "SUCCEEDED", (run.error, run.cause)
    stages = ["validate", "transform", "train", "evaluate"]
    assert [r.stage for r in churn.harness.stages.runs] == stages  # each once, in this order
    assert run.entered().index("Validate") < run.entered().index("Read metrics") < run.entered().index(
        "Register model version")

    # The stage contract, as the containers got it (the task overrides moto's ECS recorded).
    ecs = churn.session.client("ecs")
    tasks = ecs.describe_tasks(cluster="mlops", tasks=ecs.list_tasks(cluster="mlops", desiredStatus="STOPPED")[
        "taskArns"])["tasks"]
    recorded = {}
    for task in tasks:
        environment = {e["name"]: e["value"] for e in task["overrides"]["containerOverrides"][0]["environment"]}
        recorded[environment["MLOPS_STAGE"]] = (environment, task)
    assert sorted(recorded) == sorted(stages)
    previous = "s3://acme-ml-data/churn/incoming/"
    for stage in stages:
        environment, task = recorded[stage]
        assert environment["MLOPS_MODEL"] == "churn-fargate" and environment["MLOPS_ENVIRONMENT"] == "default"
        assert environment["MLOPS_PIPELINE"] == "retrain" and environment["MLOPS_RUN_ID"] == "run-ok"
        assert environment["MLOPS_INPUT_URI"] == previous
        assert environment["MLOPS_OUTPUT_URI"] == f"{ARTIFACTS}/churn-fargate/default/retrain/run-ok/{stage}/"
        assert environment["MLOPS_DATA_URI"] == "s3://acme-ml-data/churn/incoming/"
        assert task["taskDefinitionArn"].endswith(f"task-definition/churn-fargate-default-retrain-{stage}:1")
        assert task["startedBy"] == "AWS Step Functions" and task["lastStatus"] == "STOPPED"
        previous = environment["MLOPS_OUTPUT_URI"]
    assert json.loads(recorded["train"][0]["MLOPS_PARAMS"]) == {"C": "0.5", "max_iter": "500"}  # as SageMaker gets them
    assert recorded["train"][1]["overrides"]["cpu"] == "2048" and recorded["train"][1]["overrides"]["memory"] == "8192"
    # The stopped task (the .sync output) is not kept: ECS marks none of its members required, so
    # selecting one could fail with States.Runtime, and nothing reads it (render/asl/shared_states.py SELECTING).
    assert "stages" not in run.output

    version = version_item(churn, "churn-fargate", "run-ok")
    assert version["approval"] == "approved"  # approval: auto
    assert json.loads(version["metrics"]) == {"auc": 0.91, "logloss": 0.31}
    assert version["model_data"] == f"{ARTIFACTS}/churn-fargate/default/retrain/run-ok/train/"
    pointers = item(churn.session, ("MODEL#churn-fargate", "POINTERS#default"))
    assert version["images"] == pointers["images"]
    assert version["code_commit"] == pointers["commit"] and len(pointers["commit"]) == 40  # the applied commit
    assert version["execution"] == run.arn
    assert published(churn.topic) == []  # nothing failed, nobody is paged


@pytest.mark.parametrize("metrics, why", [
    ({"auc": 0.79, "logloss": 0.30}, "auc below its at_least 0.80"),
    ({"auc": 0.95, "logloss": 0.45}, "logloss not below 0.45 (the bound itself fails)"),
    ({"auc": 0.95}, "a metric missing"),
    ({"auc": "0.95", "logloss": 0.3}, "a metric that is not a number"),
])
def test_gate_failure_is_named_notified_and_registers_nothing(churn, metrics, why):
    churn.harness.stages.metrics = metrics
    run = execute(churn.sfn, "churn-fargate-default-retrain", "run-gate")

    assert (run.status, run.error) == ("FAILED", "GateFailed"), why
    notices = published(churn.topic)
    assert [n["subject"] for n in notices] == ["[mlops] churn-fargate default retrain: gate failed"]
    assert notices[0]["message"]["execution"] == run.arn
    assert notices[0]["message"]["state"]["metrics"]["values"] == metrics  # the metrics that failed, for the reader
    assert version_item(churn, "churn-fargate", "run-gate") == {}
    assert "Register model version" not in run.entered()


def test_missing_metrics_json_is_its_own_failure(churn):
    churn.harness.stages.metrics = None  # evaluate "forgot" to write metrics.json
    run = execute(churn.sfn, "churn-fargate-default-retrain", "run-nometrics")
    assert (run.status, run.error) == ("FAILED", "MetricsMissing")
    assert [n["subject"] for n in published(churn.topic)] == ["[mlops] churn-fargate default retrain: metrics missing"]
    assert version_item(churn, "churn-fargate", "run-nometrics") == {}


def test_a_metrics_object_read_without_a_body_is_the_metrics_missing_failure_by_its_choice(churn):
    """s3:getObject's Body is optional in S3's output shape. Selecting it in a ResultSelector would
    fail with States.Runtime, which AWS lets no Catch take ("Error names", Step Functions developer
    guide; moto's interpreter does route it to the States.ALL Catcher): the route must reach
    MetricsMissing through `Metrics read?`, never through Read metrics' Catch (no `$.error`)."""
    churn.harness.stages.metrics = {"auc": 0.91, "logloss": 0.31}
    churn.harness.absent_members["Read metrics"] = ("Body",)
    run = execute(churn.sfn, "churn-fargate-default-retrain", "run-nobody")
    assert (run.status, run.error) == ("FAILED", "MetricsMissing")
    assert "Metrics read?" in run.entered() and "Parse metrics" not in run.entered()
    notices = published(churn.topic)
    assert [n["subject"] for n in notices] == ["[mlops] churn-fargate default retrain: metrics missing"]
    assert "error" not in notices[0]["message"]["state"]  # the Choice's Default, not the Catch
    assert version_item(churn, "churn-fargate", "run-nobody") == {}


def test_a_failing_stage_is_retried_as_configured_then_notified_and_named(churn):
    # stage_defaults.retry: max_attempts 3, interval 1m, backoff 2.0 -> 4 runs, waits of 60, 120, 240 s.
    churn.harness.stages.fail["transform"] = float("inf")
    run = execute(churn.sfn, "churn-fargate-default-retrain", "run-fail")

    assert (run.status, run.error) == ("FAILED", "TransformFailed")
    assert run.cause == "The transform stage failed after its retries."
    assert [r.stage for r in churn.harness.stages.runs] == ["validate"] + ["transform"] * 4
    assert [f["error"] for f in run.failures("Transform")] == ["States.TaskFailed"] * 4
    assert json.loads(run.failures("Transform")[0]["cause"])["Containers"][0]["ExitCode"] == 1
    assert churn.harness.clock.retries == [60, 120, 240]
    notices = published(churn.topic)
    assert [n["subject"] for n in notices] == ["[mlops] churn-fargate default retrain: transform failed"]
    assert notices[0]["message"]["stage"] == "transform"
    assert notices[0]["message"]["state"]["error"]["Error"] == "States.TaskFailed"
    assert "Train" not in run.entered()
    assert version_item(churn, "churn-fargate", "run-fail") == {}


def test_a_stage_that_fails_once_is_retried_and_the_run_goes_on(churn):
    churn.harness.stages.fail["train"] = 1
    churn.harness.stages.metrics = {"auc": 0.85, "logloss": 0.4}
    run = execute(churn.sfn, "churn-fargate-default-retrain", "run-flaky")
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    assert [r.exit_code for r in churn.harness.stages.of("train")] == [1, 0]
    assert churn.harness.clock.retries == [60]
    assert published(churn.topic) == []
    assert version_item(churn, "churn-fargate", "run-flaky")["approval"] == "approved"


# ----------------------------------------------------------------------------- SageMaker (demand-forecast)

def test_sagemaker_retrain_tunes_trains_evaluates_and_registers_a_pending_version(forecast):
    forecast.harness.stages.metrics = {"rmse": 11.0, "mape": 0.18}
    forecast.harness.stages.tuned = {"eta": "0.05", "max_depth": "7", "booster": "dart"}
    run = execute(forecast.sfn, "demand-forecast-default-retrain", "run-sm")

    assert run.status == "SUCCEEDED", (run.error, run.cause)
    runs = forecast.harness.stages.runs
    assert [(r.kind, r.stage) for r in runs] == [("processing", "transform"), ("tuning", "tune"), ("training", "train"),
                                                 ("processing", "baseline"), ("processing", "evaluate")]
    out = f"{ARTIFACTS}/demand-forecast/default/retrain/run-sm"
    transform, tune, train, _baseline, evaluate = (r.request for r in runs)  # the baseline: test_execute_monitor.py
    assert transform["Environment"]["MLOPS_INPUT_URI"] == "s3://acme-ml-data/demand-forecast/sales/"
    assert transform["Environment"]["MLOPS_OUTPUT_URI"] == f"{out}/transform/"
    assert transform["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == f"{out}/transform/"
    assert tune["TrainingJobDefinition"]["Environment"]["MLOPS_INPUT_URI"] == f"{out}/transform/"
    assert train["Environment"]["MLOPS_INPUT_URI"] == f"{out}/transform/"
    assert train["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] == f"{out}/transform/"
    assert train["OutputDataConfig"]["S3OutputPath"] == f"{out}/train/"
    # the tuned hyper-parameters merged over the train stage's own
    assert train["HyperParameters"] == {"num_round": "200", "objective": "reg:squarederror", "eta": "0.05",
                                        "max_depth": "7", "booster": "dart"}
    assert evaluate["Environment"]["MLOPS_INPUT_URI"] == f"{out}/train/"
    assert evaluate["Environment"]["MLOPS_OUTPUT_URI"] == f"{out}/evaluate/"
    # job names are unique per attempt: <prefix>-<8 hex>
    names = [transform["ProcessingJobName"], tune["HyperParameterTuningJobName"], train["TrainingJobName"]]
    assert [n.rsplit("-", 1)[0] for n in names] == ["demand-forecast-transform", "demand-forecast-hpo",
                                                    "demand-forecast-train"]
    assert all(len(n.rsplit("-", 1)[1]) == 8 for n in names)

    # moto's SageMaker holds the jobs the states created
    sagemaker = forecast.session.client("sagemaker")
    job = sagemaker.describe_training_job(TrainingJobName=train["TrainingJobName"])
    assert job["TrainingJobStatus"] == "Completed" and job["EnableManagedSpotTraining"] is True

    version = version_item(forecast, "demand-forecast", "run-sm")
    assert version["approval"] == "pending"  # approval: manual
    assert json.loads(version["metrics"]) == {"rmse": 11.0, "mape": 0.18}
    assert version["model_data"] == f"{out}/train/{train['TrainingJobName']}/output/model.tar.gz"
    bucket, key = split_s3(f"{out}/evaluate/metrics.json")
    assert forecast.session.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


def test_a_tuning_job_without_a_best_training_job_is_a_named_notified_failure(forecast):
    """DescribeHyperParameterTuningJob marks BestTrainingJob optional (botocore's SageMaker model):
    a completed tuning job without one must not reach a ResultSelector that reads it, where
    States.Runtime would end the run un-notified (no Catch takes it, "Error names" in the Step
    Functions developer guide); it is the named failure NoBestTrainingJob, notified and published."""
    forecast.harness.stages.tuned = None
    run = execute(forecast.sfn, "demand-forecast-default-retrain", "run-nobest")
    assert (run.status, run.error) == ("FAILED", "NoBestTrainingJob"), run.cause
    assert [r.stage for r in forecast.harness.stages.runs] == ["transform", "tune"]  # train never ran
    notices = published(forecast.topic)
    assert [n["subject"] for n in notices] == [
        "[mlops] demand-forecast default retrain: tune found no best training job"]
    assert "BestTrainingJob" not in notices[0]["message"]["state"]["stages"]["tune"]
    assert "Publish tune found no best training job" in run.entered()
    assert version_item(forecast, "demand-forecast", "run-nobest") == {}


def test_sagemaker_job_failure_is_retried_then_named(forecast):
    forecast.harness.stages.fail["train"] = float("inf")
    run = execute(forecast.sfn, "demand-forecast-default-retrain", "run-smfail")
    assert (run.status, run.error) == ("FAILED", "TrainFailed")
    trains = forecast.harness.stages.of("train")
    assert len(trains) == 3  # retry.max_attempts 2
    assert len({r.request["TrainingJobName"] for r in trains}) == 3  # a retried create never reuses a name
    assert forecast.harness.clock.retries == [60, 120]
    assert [n["subject"] for n in published(forecast.topic)] == [
        "[mlops] demand-forecast default retrain: train failed"]
    assert version_item(forecast, "demand-forecast", "run-smfail") == {}
