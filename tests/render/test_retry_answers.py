"""Errors a Task catches by name are answers, never retried before they are caught (issue 13, item 12).

Step Functions scans a Task's Retriers in order and applies the first whose ErrorEquals names
the error; `States.TaskFailed` "matches any known error name except States.Timeout", and
MaxAttempts 0 means the error is never retried (Step Functions Developer Guide, "Handling errors
in Step Functions workflows": "Error names", "Retrying after an error"). So every compiled Task
whose Catch names an error must meet a MaxAttempts-0 Retrier for it before any other.
"""

from __future__ import annotations


import pytest

from compile_helpers import SAMPLES, all_states, compiled_sample_definitions
from paths import REPO_ROOT

pytestmark = pytest.mark.e2e  # moto-backed AWS (apply, state machine executions)

REPO = REPO_ROOT


def first_retrier(retry: list, error: str) -> dict | None:
    """The Retrier Step Functions applies to `error` (the first that names it, or a wildcard)."""
    for retrier in retry:
        names = retrier["ErrorEquals"]
        if error in names or "States.ALL" in names or ("States.TaskFailed" in names and error != "States.Timeout"):
            return retrier
    return None


DEFINITIONS = compiled_sample_definitions()


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_no_error_a_catch_names_is_retried(name):
    caught_by_name = 0
    for state_name, state in all_states(DEFINITIONS[name]).items():
        for catcher in state.get("Catch", []):
            for error in catcher["ErrorEquals"]:
                if error in ("States.ALL", "States.TaskFailed"):
                    continue  # the fallback class, which a service retry is meant to retry
                caught_by_name += 1
                retrier = first_retrier(state.get("Retry", []), error)
                assert retrier is None or retrier["MaxAttempts"] == 0, \
                    f"{name}: '{state_name}' retries {error} ({retrier}) before its Catch takes it"
    assert caught_by_name or "drift" in name or "batch" in name  # the test sees the catchers it is about


def test_the_retrain_samples_catch_a_conditional_write_by_name():
    """The registration catches a failed condition by name, so the check above is not vacuous there."""
    states = all_states(DEFINITIONS["churn-fargate/default/retrain.asl.json"])
    register = states["Register model version"]
    assert register["Retry"][0] == {"ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"], "MaxAttempts": 0}
    assert register["Parameters"]["ConditionExpression"] == "attribute_not_exists(pk) OR #execution = :execution"
    assert register["Retry"][1:] == [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 2,
                                      "MaxAttempts": 3, "BackoffRate": 2.0}]


# ----------------------------------------------------------------------------- executed

@pytest.fixture
def churn(monkeypatch, tmp_path):
    from sfn_harness import applied

    with applied(monkeypatch, tmp_path, [SAMPLES / "churn-fargate"]) as account:
        yield account


def lose_the_answer_of_the_first_write(monkeypatch, sort_key_prefix: str) -> list:
    """DynamoDB commits the first PutItem of an item under `sort_key_prefix`, then the caller gets
    a 500 instead of its answer (as after a lost connection): Step Functions retries the write.
    moto's own backend does the writing; only the answer is lost."""
    from moto.core.exceptions import JsonRESTError
    from moto.dynamodb.models import DynamoDBBackend

    class InternalServerError(JsonRESTError):
        code = 500

    original, lost = DynamoDBBackend.put_item, []

    def put_item(self, table_name, item_attrs, *args, **kwargs):
        written = original(self, table_name, item_attrs, *args, **kwargs)
        if item_attrs["sk"]["S"].startswith(sort_key_prefix) and not lost:
            lost.append(item_attrs["sk"]["S"])
            raise InternalServerError("InternalServerError", "the answer was lost after the write")
        return written

    monkeypatch.setattr(DynamoDBBackend, "put_item", put_item)
    return lost


def test_a_registration_retried_after_its_write_succeeded_registers_the_version(churn, monkeypatch):
    from sfn_harness import execute, item, published

    churn.harness.stages.metrics = {"auc": 0.91, "logloss": 0.31}
    lost = lose_the_answer_of_the_first_write(monkeypatch, "VERSION#")
    run = execute(churn.sfn, "churn-fargate-default-retrain", "run-lost-answer")

    assert lost == ["VERSION#default#run-lost-answer"]  # the first write did commit, and was retried
    assert [f["error"] for f in run.failures("Register model version")] == ["DynamoDB.InternalServerError"]
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    version = item(churn.session, ("MODEL#churn-fargate", "VERSION#default#run-lost-answer"))
    assert version["execution"] == run.arn and version["approval"] == "approved"
    assert published(churn.topic) == []

