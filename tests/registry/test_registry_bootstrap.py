"""The registry's Lambda function in the platform stack, and its zip.

(cfn-lint and checkov check the platform templates, the function included, in test_bootstrap.py.)
Here: the zip is deterministic, holds only what the handler runs, and runs with nothing but the
standard library and boto3 on the path; the template wires the bus's `mlops.*` events to the
function, with least privilege and a dead-letter queue.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile

from compile_helpers import SAMPLES_PLATFORM, invoke, run_cli

from compiler.registry import package
from compiler.render.iam.policy_document import UNSCOPABLE


def platform_template(tmp_path, platform=SAMPLES_PLATFORM) -> tuple[dict, bytes, str]:
    zip_path = tmp_path / "handler.zip"
    result = invoke("bootstrap", "platform", "--platform", str(platform), "--handler-zip", str(zip_path))
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.stdout), zip_path.read_bytes(), result.stderr


def test_the_zip_is_deterministic_and_named_by_its_content(tmp_path):
    template, data, notes = platform_template(tmp_path)
    again = run_cli("bootstrap", "platform", "--platform", str(SAMPLES_PLATFORM), "--handler-zip",
                    str(tmp_path / "again.zip"), cwd=tmp_path, env={"PYTHONHASHSEED": "7"})
    assert again.returncode == 0 and (tmp_path / "again.zip").read_bytes() == data
    key = template["Parameters"]["RegistryHandlerKey"]["Default"]
    assert key == f"mlops/registry-handler-{hashlib.sha256(data).hexdigest()[:16]}.zip"
    assert f"s3://BUCKET/{key}" in notes
    with zipfile.ZipFile(tmp_path / "handler.zip") as archive:
        assert archive.namelist() == list(package.FILES)
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_the_zip_runs_with_only_the_standard_library_and_boto3(tmp_path):
    """Imported from the zip alone (as Lambda does), in a fresh interpreter that cannot see the
    installed mlopsc nor its dependencies but boto3: the handler's imports are all there."""
    _, data, _ = platform_template(tmp_path)
    (tmp_path / "handler.zip").write_bytes(data)
    import boto3
    import botocore

    boto_paths = sorted({str(__import__("pathlib").Path(m.__file__).parents[1]) for m in (boto3, botocore)})
    script = f"""
import sys
sys.path[:] = [p for p in sys.path if 'site-packages' not in p and 'dist-packages' not in p]
sys.path.insert(0, {str(tmp_path / 'handler.zip')!r})
import importlib
module = importlib.import_module({package.HANDLER.rsplit('.', 1)[0]!r})
assert module.__file__.startswith({str(tmp_path / 'handler.zip')!r}), module.__file__
for name in ('yaml', 'jinja2', 'click', 'jsonschema', 'rich'):
    assert name not in sys.modules, name
sys.path.extend({boto_paths!r})
import os
os.environ.update(MLOPS_REGISTRY_TABLE='mlops-registry', AWS_DEFAULT_REGION='eu-west-1')
result = module.handler({{'id': '1', 'detail-type': 'ModelApproved'}}, None)
assert result['ignored'] == 'ModelApproved', result
print('ok')
"""
    done = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_the_bus_sends_every_pipeline_event_to_the_function(tmp_path):
    template, _, _ = platform_template(tmp_path)
    resources = template["Resources"]
    rule = resources["RegistryEventsRule"]["Properties"]
    assert rule["EventPattern"] == {"source": [{"prefix": "mlops."}]}
    assert rule["EventBusName"] == {"Ref": "EventBus"}  # the samples' bus `mlops`, made by this stack
    target = rule["Targets"][0]
    assert target["Arn"] == {"Fn::GetAtt": ["RegistryHandler", "Arn"]}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["RegistryDeadLetterQueue", "Arn"]}}
    permission = resources["RegistryHandlerPermission"]["Properties"]
    assert permission == {"Action": "lambda:InvokeFunction", "FunctionName": {"Ref": "RegistryHandler"},
                          "Principal": "events.amazonaws.com",
                          "SourceArn": {"Fn::GetAtt": ["RegistryEventsRule", "Arn"]}}
    function = resources["RegistryHandler"]["Properties"]
    assert function["Handler"] == package.HANDLER and function["Runtime"].startswith("python3.")
    assert function["Environment"]["Variables"] == {"MLOPS_REGISTRY_TABLE": "mlops-registry"}
    assert function["DeadLetterConfig"]["TargetArn"] == {"Fn::GetAtt": ["RegistryDeadLetterQueue", "Arn"]}
    assert function["ReservedConcurrentExecutions"] > 0
    assert function["Code"] == {"S3Bucket": {"Ref": "RegistryHandlerBucket"}, "S3Key": {"Ref": "RegistryHandlerKey"}}
    queue_policy = resources["RegistryDeadLetterQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    allow = [s for s in queue_policy if s["Effect"] == "Allow"]
    assert allow[0]["Condition"] == {"ArnEquals": {"aws:SourceArn": [
        {"Fn::GetAtt": ["RegistryEventsRule", "Arn"]}, {"Fn::GetAtt": ["RegistryModelPackagesRule", "Arn"]}]}}


def test_the_function_may_only_touch_the_registry_its_logs_and_its_dead_letters(tmp_path):
    template, _, _ = platform_template(tmp_path)
    statements = {s["Sid"]: s for s in
                  template["Resources"]["RegistryHandlerRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]}
    assert statements["RegistryItems"]["Action"] == ["dynamodb:GetItem", "dynamodb:UpdateItem"]
    assert statements["RegistryItems"]["Resource"] == [{"Fn::GetAtt": ["RegistryTable", "Arn"]}]
    assert statements["Logs"]["Resource"] == [{"Fn::GetAtt": ["RegistryHandlerLogGroup", "Arn"]}]
    assert statements["DeadLetters"]["Resource"] == [{"Fn::GetAtt": ["RegistryDeadLetterQueue", "Arn"]}]
    for sid, statement in statements.items():
        if statement["Resource"] == ["*"]:
            assert set(statement["Action"]) <= set(UNSCOPABLE[sid][0]), sid
    assert set(statements) == {"RegistryItems", "Logs", "DeadLetters", "XRayTracing"}


def test_a_long_or_dotted_table_name_still_names_the_function(tmp_path):
    from compiler.bootstrap.platform import handler_names

    assert handler_names("mlops-registry") == "mlops-registry-events"
    for table in ("a.b.c", "x" * 255):
        name = handler_names(table)
        assert len(name) <= 64 and set(name) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
    assert handler_names("a.b-c") != handler_names("a-b.c")


def test_the_default_bus_sends_the_pipelines_model_package_decisions_to_the_function(tmp_path):
    """register.sagemaker: SageMaker sends its events to the default bus ("Events that Amazon
    SageMaker AI sends to Amazon EventBridge", SageMaker Developer Guide: SageMaker model package
    state change); only the packages whose metadata names an mlops model reach the function."""
    template, _, _ = platform_template(tmp_path)
    resources = template["Resources"]
    rule = resources["RegistryModelPackagesRule"]["Properties"]
    assert rule["EventBusName"] == "default"
    assert rule["EventPattern"] == {"source": ["aws.sagemaker"], "detail-type": ["SageMaker Model Package State Change"],
                                    "detail": {"CustomerMetadataProperties": {"mlops:model": [{"exists": True}]}}}
    assert len(rule["Name"]) <= 64 and rule["Name"] != resources["RegistryEventsRule"]["Properties"]["Name"]
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["RegistryHandler", "Arn"]}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["RegistryDeadLetterQueue", "Arn"]}}
    assert resources["RegistryModelPackagesPermission"]["Properties"]["SourceArn"] == {
        "Fn::GetAtt": ["RegistryModelPackagesRule", "Arn"]}
