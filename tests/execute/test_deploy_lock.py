"""Issue 13, item 6: a deployment lock whose execution is no longer running does not block.

The lock (the DEPLOYMENT item, `status: deploying`) names the execution that took it. Before,
an execution that ended without recording its outcome (failed in the failure chain itself, hit
States.Runtime, timed out, was stopped) left the lock `deploying` for ever: every later deployment
failed DeploymentInProgress. Now the next deployment asks Step Functions (DescribeExecution: status
RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED | PENDING_REDRIVE, Step Functions API reference)
and takes the lock over when that execution has ended, on the condition that the lock still names it.
Executed in moto (sfn_harness.py), one test per way an execution can end. Every deployment here
is the one an approval started (sfn_harness.Registry): the registry is never written by hand.
"""

from __future__ import annotations

import pytest

from test_execute_deploy import deploy_while_another_waits, deployment, forecast  # noqa: F401 (fixture)

pytestmark = [pytest.mark.e2e,  # moto-backed AWS (apply, state machine executions)
              pytest.mark.in_fork]  # each test in a fork of the module's account (tests/support/forks.py)

DEPLOY = "demand-forecast-default-deploy"


def parser_execution(arn: str):
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    backend = stepfunctions_parser_backends["111111111111"]["eu-west-1"]
    return next(execution for execution in backend._get_executions() if execution.exec_arn == arn)


def execution_arn(account, name: str) -> str:
    (machine,) = [m["stateMachineArn"] for m in account.sfn.list_state_machines()["stateMachines"]
                  if m["name"] == DEPLOY]
    return machine.replace(":stateMachine:", ":execution:") + f":{name}"


def stopped_while_polling(account) -> str:
    """v1's deployment (its approval started it) takes the lock and is stopped (StopExecution)
    while it waits for the endpoint."""
    account.harness.endpoint = "never_ready"
    stopped = []

    def stop_it(execution, state, seconds):
        if state == "Wait for endpoint" and not stopped:
            stopped.append(execution)
            account.sfn.stop_execution(executionArn=execution_arn(account, execution))

    account.harness.clock.on_wait = stop_it
    arn = account.registry.approve("v1")
    ended = account.registry.finished(arn)
    account.harness.clock.on_wait, account.harness.endpoint = None, "ready"
    assert (ended.status, stopped) == ("ABORTED", [ended.name])
    return arn


def timed_out(account) -> str:
    """As Step Functions leaves an execution that ran past the state machine's TimeoutSeconds
    (moto does not wait hours: the stopped execution is given that end)."""
    from moto.stepfunctions.parser.api import ExecutionStatus

    arn = stopped_while_polling(account)
    parser_execution(arn).exec_status = ExecutionStatus.TIMED_OUT
    return arn


def runtime_error(account) -> str:
    """States.Runtime, which no Catch takes in AWS (a JSONPath that matches nothing, an intrinsic
    given the wrong type): moto's interpreter lets Catch take it, so the stopped execution is given
    that end, as Step Functions leaves it."""
    from moto.stepfunctions.parser.api import ExecutionStatus

    arn = stopped_while_polling(account)
    execution = parser_execution(arn)
    execution.exec_status, execution.error = ExecutionStatus.FAILED, "States.Runtime"
    execution.cause = "The JSONPath '$.model_version.Item.model_data.S' could not be found in the input"
    return arn


def failed_before_recording(account, monkeypatch) -> str:
    """The failure chain's own write (`Record deployment failed`) fails after its retries: the
    execution ends FAILED with the lock still `deploying`."""
    from moto.core.exceptions import JsonRESTError
    from moto.dynamodb.models import DynamoDBBackend
    from moto.sagemaker.models import SageMakerModelBackend

    original_update = DynamoDBBackend.update_item

    def throttled_outcome(self, table_name, key, update_expression, *args, **kwargs):
        if "#finished" in (update_expression or ""):
            raise JsonRESTError("ProvisionedThroughputExceededException", "throughput exceeded")
        return original_update(self, table_name, key, update_expression, *args, **kwargs)

    def no_capacity(self, *args, **kwargs):
        raise JsonRESTError("ResourceLimitExceeded", "no capacity for ml.c5.xlarge")

    with monkeypatch.context() as patched:
        patched.setattr(DynamoDBBackend, "update_item", throttled_outcome)
        patched.setattr(SageMakerModelBackend, "create_model", no_capacity)
        run = account.registry.deploy("v1")
    assert run.status == "FAILED" and "Record deployment failed" in run.entered(), (run.error, run.cause)
    return run.arn


ENDINGS = {"aborted": (lambda account, _: stopped_while_polling(account), "ABORTED"),
           "timed out": (lambda account, _: timed_out(account), "TIMED_OUT"),
           "States.Runtime": (lambda account, _: runtime_error(account), "FAILED"),
           "failed before recording": (failed_before_recording, "FAILED")}


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_a_lock_left_by_an_ended_execution_is_taken_over(forecast, monkeypatch, ending):
    end, status = ENDINGS[ending]
    ended_arn = end(forecast, monkeypatch)
    assert forecast.sfn.describe_execution(executionArn=ended_arn)["status"] == status
    left = deployment(forecast, "demand-forecast")
    assert (left["status"], left["execution"]) == ("deploying", ended_arn)  # what blocked every later deployment

    run = forecast.registry.deploy("v2")
    assert run.status == "SUCCEEDED", (run.error, run.cause, run.failures("Is the lock's execution running?"),
                                       run.failures("Take over lock"))
    assert "Take over lock" in run.entered()
    recorded = deployment(forecast, "demand-forecast")
    assert (recorded["status"], recorded["execution"], recorded["version"]) == ("deployed", run.arn, "v2")


def test_a_lock_whose_execution_still_runs_blocks(forecast):
    first, _, blocked = deploy_while_another_waits(forecast)
    assert (blocked.status, blocked.error) == ("FAILED", "DeploymentInProgress")
    assert "Is the lock's execution running?" in blocked.entered() and "Take over lock" not in blocked.entered()
    assert first.error == "DeploymentTimedOut"


def test_a_lock_write_retried_after_it_succeeded_takes_its_own_lock(forecast, monkeypatch):
    """DynamoDB commits the lock, then the answer is lost (a 500): Step Functions retries the write
    (DynamoDB errors other than ConditionalCheckFailed are retried, "Handling errors in Step
    Functions workflows"), and the retry passes its condition because the lock names this very
    execution. Before, the lock write retried only throttling (one of whose names DynamoDB never
    raises), so the lost answer failed the deployment (LockFailed), with the lock left taken."""
    from moto.core.exceptions import JsonRESTError
    from moto.dynamodb.models import DynamoDBBackend

    class InternalServerError(JsonRESTError):
        code = 500

    original, lost = DynamoDBBackend.update_item, []

    def update_item(self, table_name, key, update_expression, *args, **kwargs):
        written = original(self, table_name, key, update_expression, *args, **kwargs)
        if key["sk"]["S"].startswith("DEPLOYMENT#") and "#started" in (update_expression or "") and not lost:
            lost.append(key["sk"]["S"])
            raise InternalServerError("InternalServerError", "the answer was lost after the write")
        return written

    monkeypatch.setattr(DynamoDBBackend, "update_item", update_item)
    run = forecast.registry.deploy("v1")

    assert lost, "the lock write was never made"
    assert [f["error"] for f in run.failures("Lock deployment")] == ["DynamoDB.InternalServerError"]
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    assert "Read running deployment" not in run.entered()
    recorded = deployment(forecast, "demand-forecast")
    assert (recorded["status"], recorded["execution"]) == ("deployed", run.arn)
