"""The mini-batch pipeline (samples/demand-forecast), executed as far as moto can go.

moto cannot run it whole: its ASL grammar has no `ItemBatcher` (the state machine cannot even be
parsed; sfn_harness.py lets `apply` create it all the same), and moto has no Distributed Map
child executions. So this test executes the compiled Map's item processor as a state machine of
its own, once per batch, with the input a Distributed Map gives each child execution: `Items`,
the S3 objects `s3:listObjectsV2` lists (as the compiled `ItemReader` names them), cut into
batches of the compiled `ItemBatcher.MaxItemsPerBatch`, and `BatchInput` as the compiled
`ItemBatcher.BatchInput` evaluates for the run. What is not executed here: the listing and cutting
themselves (done by this test from the compiled values, not by moto), `MaxConcurrency`,
`ToleratedFailurePercentage` and the `ResultWriter`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sfn_harness import ACCOUNT, REGION, applied, execute, item, split_s3

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
MODEL_DATA = "s3://acme-ml-artifacts/demand-forecast/retrain/v1/train/model.tar.gz"


@pytest.fixture
def forecast(monkeypatch, tmp_path):
    with applied(monkeypatch, tmp_path, [SAMPLES / "demand-forecast"]) as account:
        account.session.client("dynamodb").update_item(
            TableName="mlops-registry", Key={"pk": {"S": "MODEL#demand-forecast"}, "sk": {"S": "POINTERS#default"}},
            UpdateExpression="SET approved_version = :v, approved_model_data = :d",
            ExpressionAttributeValues={":v": {"S": "v1"}, ":d": {"S": MODEL_DATA}})
        yield account


def compiled_map(account) -> dict:
    definition = json.loads((account.out / "demand-forecast/default/batch.asl.json").read_text())
    return definition["States"]["Score"]


def body_machine(account, score: dict) -> str:
    """The Map's item processor, created as a state machine of its own (as AWS runs each batch)."""
    body = {key: value for key, value in score["ItemProcessor"].items() if key != "ProcessorConfig"}
    name = "demand-forecast-default-batch-body"
    account.sfn.create_state_machine(name=name, definition=json.dumps(body),
                                     roleArn=f"arn:aws:iam::{ACCOUNT}:role/mlops-demand-forecast-pipeline")
    return name


def batches(account, score: dict, run_id: str) -> list[dict]:
    """The child executions' inputs: listed and cut as the compiled ItemReader/ItemBatcher say."""
    reader, batcher = score["ItemReader"], score["ItemBatcher"]
    assert reader["Resource"].endswith(":states:::s3:listObjectsV2")
    items = []
    for page in account.session.client("s3").get_paginator("list_objects_v2").paginate(**reader["Parameters"]):
        items += [{"Key": o["Key"], "Etag": o["ETag"], "Size": o["Size"], "StorageClass": o["StorageClass"]}
                  for o in page.get("Contents", [])]
    pointers = account.session.client("dynamodb").get_item(TableName="mlops-registry", Key={
        "pk": {"S": "MODEL#demand-forecast"}, "sk": {"S": "POINTERS#default"}})["Item"]
    assert batcher["BatchInput"] == {"run_id.$": "$$.Execution.Name", "pointers.$": "$.pointers.Item"}
    batch_input = {"run_id": run_id, "pointers": pointers}
    size = batcher["MaxItemsPerBatch"]
    return [{"Items": items[i:i + size], "BatchInput": batch_input} for i in range(0, len(items), size)]


def seed_inputs(account, count: int) -> list[str]:
    s3 = account.session.client("s3")
    keys = [f"demand-forecast/scoring/stores-{n:04d}.csv" for n in range(count)]
    for key in keys:
        s3.put_object(Bucket="acme-ml-data", Key=key, Body=b"store,day\n")
    s3.put_object(Bucket="acme-ml-data", Key="demand-forecast/other/ignored.csv", Body=b"x")  # outside the prefix
    return keys


def test_each_batch_of_a_few_hundred_objects_is_written_then_scored(forecast):
    score = compiled_map(forecast)
    assert (score["ItemProcessor"]["ProcessorConfig"]["Mode"], score["ItemBatcher"]["MaxItemsPerBatch"],
            score["MaxConcurrency"]) == ("DISTRIBUTED", 50, 20)  # batch_size, max_concurrency
    keys = seed_inputs(forecast, 230)
    machine = body_machine(forecast, score)
    inputs = batches(forecast, score, "batch-run")
    assert [len(b["Items"]) for b in inputs] == [50, 50, 50, 50, 30]

    runs = [execute(forecast.sfn, machine, f"batch-run-{n}", payload) for n, payload in enumerate(inputs)]

    assert [r.status for r in runs] == ["SUCCEEDED"] * 5, [(r.error, r.cause) for r in runs]
    s3 = forecast.session.client("s3")
    scored = []
    for run, payload, task in zip(runs, inputs, forecast.harness.stages.runs):
        environment = task.environment
        manifest_uri = f"s3://acme-ml-artifacts/demand-forecast/default/batch/batch-run/batches/{run.name}.json"
        assert environment["MLOPS_BATCH_URI"] == manifest_uri  # the batch's own object list
        bucket, key = split_s3(manifest_uri)
        written = s3.get_object(Bucket=bucket, Key=key)
        manifest = json.loads(written["Body"].read())
        assert manifest == payload["Items"]
        assert written["ServerSideEncryption"] == "aws:kms"
        assert environment["MLOPS_MODEL_URI"] == MODEL_DATA
        assert environment["MLOPS_RUN_ID"] == "batch-run"
        assert environment["MLOPS_OUTPUT_URI"] == "s3://acme-ml-artifacts/demand-forecast/default/batch/batch-run/batch/"
        assert environment["MLOPS_INPUT_URI"] == "s3://acme-ml-data/demand-forecast/scoring/"
        assert task.request["TaskDefinition"] == item(forecast.session, ("MODEL#demand-forecast", "POINTERS#default"))[
            "task_definitions"]["batch-batch"]
        scored += [entry["Key"] for entry in manifest]
    assert sorted(scored) == keys  # every object exactly once, nothing outside the prefix


def test_a_failing_batch_is_retried_then_fails_its_child_execution(forecast):
    score = compiled_map(forecast)
    seed_inputs(forecast, 60)
    machine = body_machine(forecast, score)
    forecast.harness.stages.fail["batch"] = float("inf")
    run = execute(forecast.sfn, machine, "batch-fail-0", batches(forecast, score, "batch-fail")[0])
    assert (run.status, run.error) == ("FAILED", "States.TaskFailed")
    assert len(forecast.harness.stages.of("batch")) == 3  # retry.max_attempts 2 (stage_defaults)
    assert forecast.harness.clock.retries == [60, 120]
    # With ToleratedFailurePercentage 0 one failed child fails the Map, whose Catch notifies.
    assert score["ToleratedFailurePercentage"] == 0
    assert score["Catch"][0]["Next"] == "Notify batch failed"


def test_the_batch_state_machine_is_applied_as_compiled_though_moto_cannot_parse_it(forecast):
    arn = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:demand-forecast-default-batch"
    described = forecast.sfn.describe_state_machine(stateMachineArn=arn)
    assert json.loads(described["definition"]) == json.loads(
        (forecast.out / "demand-forecast/default/batch.asl.json").read_text())
