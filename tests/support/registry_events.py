"""Helpers of the registry tests: the events the compiled pipelines publish and the version item
the retrain pipeline writes, shaped as in tests/golden/demand-forecast/default/*.asl.json (the
shapes are checked against the golden ASL in test_registry_handler.py), and the table's state."""

from __future__ import annotations

import itertools
import json

from compiler.registry import items

ACCOUNT, REGION, TABLE = "111111111111", "eu-west-1", "mlops-registry"
MODEL = "demand-forecast"
_ids = itertools.count(1)


def execution_arn(pipeline: str, run_id: str, model: str = MODEL, environment: str = "default") -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{model}-{environment}-{pipeline}:{run_id}"


def event(detail_type: str, pipeline: str, run_id: str, second: int, *, model: str = MODEL,
          environment: str = "default", event_id: str | None = None, **detail) -> dict:
    """An EventBridge event as the Lambda function receives it; `second` sets its time."""
    minutes, seconds = divmod(second, 60)
    return {
        "version": "0", "id": event_id or f"00000000-0000-0000-0000-{next(_ids):012d}",
        "detail-type": detail_type, "source": f"mlops.{model}", "account": ACCOUNT,
        "time": f"2024-05-01T10:{minutes:02d}:{seconds:02d}Z", "region": REGION, "resources": [],
        "detail": {"model": model, "environment": environment, "pipeline": pipeline, "run_id": run_id,
                   "execution": execution_arn(pipeline, run_id, model, environment), **detail},
    }


def failure(detail_type: str, pipeline: str, run_id: str, second: int, what: str, error: str, **detail) -> dict:
    return event(detail_type, pipeline, run_id, second, what=what, error=error, state={"input": "..."}, **detail)


def registered(run_id: str, second: int, approval: str = "pending", **kwargs) -> dict:
    return event("ModelRegistered", "retrain", run_id, second, version=run_id, approval=approval,
                 model_data=model_data(run_id), metrics={"rmse": 0.12, "mape": 0.08},
                 baseline_uri=f"s3://acme-ml-artifacts/{MODEL}/retrain/{run_id}/baseline/", **kwargs)


def drift_detected(run_id: str, second: int, live_version: str = "v1") -> dict:
    """What a retrain run started by a drift alarm publishes once it holds its cool-down window."""
    return event("DriftDetected", "retrain", run_id, second, alarm=f"{MODEL}-default-drift-lag_7",
                 live_version=live_version, window="2024-05-01")


def model_data(run_id: str) -> str:
    return f"s3://acme-ml-artifacts/{MODEL}/retrain/{run_id}/train/output/model.tar.gz"


def version_item(run_id: str, approval: str = "pending", model: str = MODEL, environment: str = "default") -> dict:
    """The version item as the retrain pipeline's `Register model version` state writes it."""
    return {
        "pk": {"S": f"MODEL#{model}"}, "model": {"S": model}, "environment": {"S": environment},
        "version": {"S": run_id}, "approval": {"S": approval},
        "images": {"M": {"serve": {"S": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{model}/serve@sha256:" + "a" * 64},
                         "xgb": {"S": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{model}/xgb@sha256:" + "b" * 64}}},
        "data_source": {"S": f"s3://acme-ml-data/{model}/sales/"},
        "model_data": {"S": model_data(run_id)},
        "execution": {"S": execution_arn("retrain", run_id, model, environment)},
        "registered_at": {"S": "2024-05-01T09:00:00.000Z"},
        "sk": {"S": f"VERSION#{environment}#{run_id}"},
        "metrics": {"S": json.dumps({"rmse": 0.12, "mape": 0.08})},
    }


def put_version(dynamodb, run_id: str, approval: str = "pending", **kwargs) -> None:
    dynamodb.put_item(TableName=TABLE, Item=version_item(run_id, approval, **kwargs),
                      ConditionExpression="attribute_not_exists(pk)")


def lock(dynamodb, run_id: str, version: str, status: str = "deploying", environment: str = "default") -> None:
    """The deploy pipeline's `Lock deployment` (and later `Record ...`) write."""
    dynamodb.update_item(
        TableName=TABLE, Key={"pk": {"S": f"MODEL#{MODEL}"}, "sk": {"S": f"DEPLOYMENT#{environment}"}},
        UpdateExpression="SET #status = :status, #execution = :execution, #version = :version",
        ExpressionAttributeNames={"#status": "status", "#execution": "execution", "#version": "version"},
        ExpressionAttributeValues={":status": {"S": status}, ":execution": {"S": execution_arn("deploy", run_id)},
                                   ":version": {"S": version}})


def pointers(dynamodb, environment: str = "default", commit: str = "c" * 40) -> None:
    """The pointers item as apply writes it (only some of its attributes)."""
    dynamodb.put_item(TableName=TABLE, Item={
        "pk": {"S": f"MODEL#{MODEL}"}, "sk": {"S": f"POINTERS#{environment}"},
        "images": {"M": {"serve": {"S": "serve@sha256:" + "a" * 64}}}, "commit": {"S": commit},
        "commit_time": {"N": "100"}, "fingerprint": {"S": "f" * 64}})


def table_state(dynamodb) -> dict:
    """Every item, as plain data, keyed by (pk, sk)."""
    found, request = {}, {"TableName": TABLE, "ConsistentRead": True}
    while True:
        page = dynamodb.scan(**request)
        for item in page["Items"]:
            plain = items.from_item(item)
            found[(plain["pk"], plain["sk"])] = plain
        if "LastEvaluatedKey" not in page:
            return found
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def clear(dynamodb) -> None:
    for pk, sk in table_state(dynamodb):
        dynamodb.delete_item(TableName=TABLE, Key={"pk": {"S": pk}, "sk": {"S": sk}})


def get(dynamodb, sk: str, model: str = MODEL) -> dict | None:
    found = dynamodb.get_item(TableName=TABLE, ConsistentRead=True,
                              Key={"pk": {"S": f"MODEL#{model}"}, "sk": {"S": sk}}).get("Item")
    return items.from_item(found)
