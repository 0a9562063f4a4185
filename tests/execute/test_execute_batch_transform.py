"""batch mode `transform` executed WHOLE in moto: demand-forecast's batch pipeline as a SageMaker
Batch Transform job of the approved model version (issue 18 item 4).

The harness (sfn_harness.py) fakes only what moto cannot do: the `.sync` end of the transform job
(Completed or Failed, as `Stages` says; a completed job writes `<object>.out` per input object
under S3OutputPath, as SageMaker does). CreateModel, CreateTransformJob and DeleteModel are moto's
SageMaker; registry items come from `apply` and the registry handler only.

Routes: the happy path (Create model -> Score -> Publish batch succeeded -> Delete model -> Done),
the job failing (the model is deleted, then `batch failed`), no approved model, the model not
created, and each clean-up failing (the outcome of the run stays what the job made it).
"""

from __future__ import annotations

import pytest

from sfn_harness import applied, published
from test_execute_batch import Batch, failed_route, variant

pytestmark = pytest.mark.e2e  # moto-backed AWS (apply, state machine executions)

FORECAST = "demand-forecast"
TRANSFORM = {"content_type": "text/csv", "accept": "text/csv", "split_type": "Line", "assemble_with": "Line",
             "batch_strategy": "MultiRecord", "max_payload_mb": 6, "max_concurrent_transforms": 4,
             "input_filter": "$[1:]", "output_filter": "$[0,-1]", "join_source": "Input"}
HAPPY = ["Read pointers", "Check pointers", "Check approved model", "Publish run started", "Name model",
         "Create model", "Score", "Publish batch succeeded", "Delete model", "Done"]


def transform_mode(config):
    batch = config["pipelines"]["batch"]
    for key in ("command", "cpu", "memory", "batch_size", "max_concurrency"):
        batch.pop(key, None)
    batch.update(mode="transform", compute="sagemaker", instance_type="ml.m5.xlarge", instance_count=2,
                 transform=dict(TRANSFORM))


@pytest.fixture
def forecast(monkeypatch, tmp_path):
    with applied(monkeypatch, tmp_path, [variant(tmp_path, FORECAST, FORECAST, transform_mode)]) as account:
        yield Batch(account, monkeypatch)


#: The models batch creates (deploy's endpoint models, `demand-forecast-default-*`, are not its).
BATCH_MODEL = f"{FORECAST}-batch-"


def batch_models_created(forecast) -> list:
    return [request for name, request in forecast.account.harness.sagemaker_requests
            if name == "createModel" and request["ModelName"].startswith(BATCH_MODEL)]


def models_left(forecast) -> list:
    models = forecast.account.session.client("sagemaker").list_models()["Models"]
    return [model for model in models if model["ModelName"].startswith(BATCH_MODEL)]


def test_a_transform_run_scores_the_approved_version_and_deletes_its_model(forecast):
    version = forecast.release()
    keys = forecast.seed(3)

    run, events = forecast.batch("nightly-1")

    assert run.status == "SUCCEEDED", (run.error, run.cause)
    assert run.entered() == HAPPY
    assert [e["detail-type"] for e in events] == ["RunStarted", "StageSucceeded"]
    registry_run = forecast.run("batch", "nightly-1")
    assert (registry_run["status"], registry_run["stage_batch"]["status"]) == ("succeeded", "succeeded")
    # The model: the approved version's artifacts in the batch runtime's image, as the task role.
    [model] = batch_models_created(forecast)
    container = model["PrimaryContainer"]
    assert container["ModelDataUrl"] == version["model_data"]
    assert container["Image"] == forecast.pointers()["images"]["serve"]
    assert container["Environment"]["MLOPS_MODEL"] == FORECAST
    assert model["ExecutionRoleArn"].endswith(":role/mlops-demand-forecast-task")
    # The job: every transform setting where CreateTransformJob takes it.
    [job] = forecast.account.harness.stages.of("batch")
    request = job.request
    assert request["ModelName"] == model["ModelName"]
    assert request["TransformInput"] == {
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://acme-ml-data/demand-forecast/scoring/"}},
        "SplitType": "Line", "CompressionType": "None", "ContentType": "text/csv"}
    assert request["TransformOutput"]["S3OutputPath"] == "s3://acme-ml-artifacts/demand-forecast/predictions/nightly-1/"
    assert (request["TransformOutput"]["AssembleWith"], request["TransformOutput"]["Accept"]) == ("Line", "text/csv")
    assert request["TransformResources"]["InstanceType"] == "ml.m5.xlarge"
    assert request["TransformResources"]["InstanceCount"] == 2
    assert request["DataProcessing"] == {"JoinSource": "Input", "InputFilter": "$[1:]", "OutputFilter": "$[0,-1]"}
    assert (request["BatchStrategy"], request["MaxPayloadInMB"], request["MaxConcurrentTransforms"]) == (
        "MultiRecord", 6, 4)
    assert job.environment["MLOPS_MODEL"] == FORECAST  # the model's container variables
    # The scores of this run, in its own folder; the model it created is gone.
    s3 = forecast.account.session.client("s3")
    written = s3.list_objects_v2(Bucket="acme-ml-artifacts", Prefix="demand-forecast/predictions/nightly-1/")
    assert sorted(o["Key"] for o in written["Contents"]) == sorted(
        "demand-forecast/predictions/nightly-1/" + key.rsplit("/", 1)[1] + ".out" for key in keys)
    assert models_left(forecast) == []
    assert published(forecast.account.topic) == []


def test_a_failed_transform_job_deletes_the_model_then_fails_the_run(forecast):
    forecast.release()
    forecast.account.harness.stages.fail["batch"] = 99  # every attempt of the job ends Failed

    run, events = forecast.batch("nightly-2")

    failed_route(forecast.account, run, "Batch failed", "BatchFailed",
                 "[mlops] demand-forecast default batch: batch failed")
    assert run.entered()[-5:] == ["Score", "Delete model: run failed", "Notify batch failed", "Publish batch failed",
                                  "Batch failed"]
    assert len(forecast.account.harness.stages.of("batch")) == 3  # the stage's retry: 1 + max_attempts 2
    assert [e["detail-type"] for e in events] == ["RunStarted", "StageFailed"]
    assert forecast.run("batch", "nightly-2")["status"] == "failed"
    assert models_left(forecast) == []


def test_a_transform_run_without_an_approved_model_creates_nothing(forecast):
    run, events = forecast.batch("nightly-0")

    failed_route(forecast.account, run, "No approved model", "NoApprovedModel",
                 "[mlops] demand-forecast default batch: no approved model")
    assert batch_models_created(forecast) == [] and forecast.account.harness.stages.runs == []
    assert forecast.run("batch", "nightly-0")["status"] == "failed"


def test_a_model_sagemaker_does_not_create_fails_the_run_before_any_job(forecast):
    forecast.release()
    forecast.account.harness.fail_state("Create model", "SageMaker.AmazonSageMakerException")

    run, events = forecast.batch("nightly-3")

    failed_route(forecast.account, run, "Model not created", "ModelNotCreated",
                 "[mlops] demand-forecast default batch: model not created")
    assert forecast.account.harness.stages.runs == []
    assert forecast.run("batch", "nightly-3")["status"] == "failed"


@pytest.mark.parametrize("cleanup, fault, outcome", [
    ("Delete model", None, ("SUCCEEDED", None)),
    ("Delete model: run failed", "batch", ("FAILED", "BatchFailed")),
])
def test_a_model_left_behind_does_not_change_the_outcome_of_the_run(forecast, cleanup, fault, outcome):
    """The clean-up failing (after its retries) is caught: the scores are written (or the job
    failed) whatever happens to a model that serves nothing; it stays, named by the run."""
    forecast.release()
    if fault:
        forecast.account.harness.stages.fail[fault] = 99
    forecast.account.harness.fail_state(cleanup, "SageMaker.AmazonSageMakerException")

    run, events = forecast.batch("nightly-4")

    assert (run.status, run.error) == outcome, (run.error, run.cause)
    assert cleanup in run.entered()
    assert [m["ModelName"] for m in models_left(forecast)] == [batch_models_created(forecast)[0]["ModelName"]]
