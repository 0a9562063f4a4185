"""apply refuses to deploy to a Lambda function that does not run as the environment's task role
(compiler/apply/function.py): the deploy pipeline would otherwise run the model's code with
whatever role that function has. Against moto (moto_aws.py)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from moto_aws import aws, create_platform, moto_server  # noqa: F401 - fixtures
from test_apply import SAMPLES, compile_into, run_apply

from compiler.errors import AwsError, Refused
from compiler.apply.function import functions_updated

pytestmark = pytest.mark.e2e  # moto-backed AWS (apply, state machine executions)


@pytest.fixture
def fraud_dev(aws, tmp_path):
    out = compile_into(tmp_path / "out", SAMPLES / "fraud-lambda", environment="dev")
    create_platform(aws, out)
    return out


def task_role(out) -> str:
    return json.loads((out / "fraud-scoring" / "dev" / "manifest.json").read_text())["target"]["task_role"]


def _function(session, role_name: str) -> None:
    iam = session.client("iam")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                                "Principal": {"Service": "lambda.amazonaws.com"}}]})
    try:
        role = iam.get_role(RoleName=role_name)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("handler.py", "def handler(event, context):\n    return event\n")
    session.client("lambda").create_function(FunctionName="fraud-scoring", Runtime="python3.12", Role=role,
                                             Handler="handler.handler", Code={"ZipFile": archive.getvalue()})


def test_the_deploy_updates_the_configs_function():
    definitions = {"deploy": {"States": {"A": {"Type": "Parallel", "Branches": [{"States": {"B": {
        "Resource": "arn:aws:states:::aws-sdk:lambda:updateFunctionCode", "Parameters": {"FunctionName": "f"}}}}]}}}}
    assert list(functions_updated(definitions)) == ["f"]


def test_a_function_with_another_role_is_refused_before_any_write(aws, fraud_dev):
    _function(aws, "admin-like")
    with pytest.raises(Refused) as refused:
        run_apply(fraud_dev, environment="dev", dry_run=True)
    assert "fraud-scoring runs as arn:aws:iam::111111111111:role/admin-like, not as the task role" in str(refused.value)
    assert aws.client("stepfunctions").list_state_machines()["stateMachines"] == []


def test_a_missing_function_is_an_error_naming_the_role_it_needs(aws, fraud_dev):
    with pytest.raises(AwsError) as missing:
        run_apply(fraud_dev, environment="dev", dry_run=True)
    assert "does not exist" in str(missing.value) and task_role(fraud_dev) in missing.value.hint


def test_a_function_running_as_the_task_role_is_deployed_to(aws, fraud_dev):
    _function(aws, task_role(fraud_dev).rsplit("/", 1)[-1])
    outcome = run_apply(fraud_dev, environment="dev", dry_run=True)
    assert outcome.failure is None and outcome.plans
