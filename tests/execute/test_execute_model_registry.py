"""`register.sagemaker` (issue 20, SageMaker Model Registry), executed: samples/demand-forecast with
`register.sagemaker.model_package_group` added here, applied by `compiler.apply` (which creates
the group), retrained in moto's Step Functions (the harness of sfn_harness.py), approved and
rejected with `mlopsc registry`, and decided in SageMaker, the event handed to the registry's
handler as the platform's RegistryModelPackagesRule would. (A batch-only model: test_execute_model_registry_batch.py.)

What moto cannot check, per route:
- Register model package: moto's CreateModelPackage keeps the request as given: it neither checks
  that the image exists in ECR nor reads the model data or the metrics file, and ignores
  ClientToken (a retried call would make a second version in moto; SageMaker answers with the
  first);
- SageMaker -> registry: moto's SageMaker sends no events to EventBridge. The event is built
  here as SageMaker documents it ("Events that Amazon SageMaker AI sends to Amazon EventBridge",
  SageMaker Developer Guide: SageMaker model package state change: the package as DescribeModelPackage
  describes it), its detail being moto's own DescribeModelPackage answer after UpdateModelPackage;
- IAM: moto does not enforce the derived policies (tests/render check them).
"""

from __future__ import annotations

import json
import uuid

import pytest

from compiler.bootstrap import platform
from compiler.registry import handler, store
from compile_helpers import invoke
from model_registry_events import GROUP, MODEL, keep_metadata_on_update, repository, state_change
from sfn_harness import applied, execute, item, start_state_machines_from_rules, wait_for

pytestmark = pytest.mark.e2e  # moto-backed AWS (apply, state machine executions)

ENV, TABLE = "default", "mlops-registry"
RETRAIN = f"{MODEL}-{ENV}-retrain"
ARTIFACTS = f"s3://acme-ml-artifacts/{MODEL}/{ENV}/retrain"
GOOD = {"rmse": 10.0, "mape": 0.05}


@pytest.fixture(scope="module")
def account(tmp_path_factory):
    """One applied account for the module (apply costs most of a test): each test retrains runs of
    its own names and leaves no fault behind."""
    tmp_path = tmp_path_factory.mktemp("model-registry")
    with pytest.MonkeyPatch.context() as monkeypatch:
        with applied(monkeypatch, tmp_path, [repository(tmp_path)], ENV) as account:
            monkeypatch.setenv(handler.TABLE_VARIABLE, TABLE)
            monkeypatch.setattr(handler, "_CLIENT", None)
            account.started = start_state_machines_from_rules(monkeypatch)  # approve starts deploy
            keep_metadata_on_update(monkeypatch)
            account.queue = _registry_queue(account)
            yield account


def _registry_queue(account) -> str:
    """The platform's RegistryEventsRule (compiler/bootstrap/platform.py), to a queue: `_deliver`
    hands its events to the registry's handler as Lambda would."""
    sqs, events = account.session.client("sqs"), account.session.client("events")
    queue = sqs.create_queue(QueueName="registry-handler")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="mlops-registry", EventBusName="mlops", State="ENABLED",
                    EventPattern=json.dumps({"source": [{"prefix": "mlops."}]}))
    events.put_targets(Rule="mlops-registry", EventBusName="mlops", Targets=[{"Id": "registry", "Arn": arn}])
    return queue


def _deliver(account) -> None:
    sqs = account.session.client("sqs")
    while True:
        messages = sqs.receive_message(QueueUrl=account.queue, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return
        for message in messages:
            assert "dropped" not in handler.handler(json.loads(message["Body"]), None)
            sqs.delete_message(QueueUrl=account.queue, ReceiptHandle=message["ReceiptHandle"])


def _version(account, version: str) -> dict:
    return item(account.session, (f"MODEL#{MODEL}", f"VERSION#{ENV}#{version}"))


def _retrain(account, run_id: str):
    account.harness.stages.metrics = GOOD
    run = execute(account.sfn, RETRAIN, run_id)
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    return run


def test_apply_creates_the_group_and_a_run_registers_a_package_version_the_version_names(account):
    sagemaker = account.session.client("sagemaker")
    group = sagemaker.describe_model_package_group(ModelPackageGroupName=GROUP)
    assert group["ModelPackageGroupName"] == GROUP
    tags = {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=group["ModelPackageGroupArn"])["Tags"]}
    assert tags["mlops:model"] == MODEL and tags["mlops:environment"] == ENV
    # apply again: the group is there, nothing to do (and apply never deletes one)
    from compiler.apply import model_registry
    from compiler.artifacts.read import read_environments

    (compiled,) = read_environments(account.out, ENV)
    change = model_registry.group_change(sagemaker, compiled.target, compiled.pointers)
    assert (change.kind, change.name, change.action, change.pending) == ("model package group", GROUP, "unchanged",
                                                                          False)

    run = _retrain(account, "run-1")
    assert run.entered().index("Register model package") < run.entered().index("Register model version")
    version = _version(account, "run-1")
    package = sagemaker.describe_model_package(ModelPackageName=version["model_package_arn"])
    assert package["ModelPackageGroupName"] == GROUP
    assert package["ModelApprovalStatus"] == "PendingManualApproval"  # register.approval: manual
    assert package["CustomerMetadataProperties"] == {"mlops:model": MODEL, "mlops:environment": ENV,
                                                     "mlops:version": "run-1"}
    (container,) = package["InferenceSpecification"]["Containers"]
    assert container["Image"] == version["images"]["serve"]  # the deploy runtime's image, by digest
    assert "@sha256:" in container["Image"]
    assert container["ModelDataUrl"] == version["model_data"]  # train's model.tar.gz
    assert container["ModelDataUrl"].startswith(f"{ARTIFACTS}/run-1/train/")
    shown = invoke("registry", "show", str(account.out), "run-1", "--env", ENV)
    assert f"model package: {version['model_package_arn']}" in shown.output, shown.output
    statistics = package["ModelMetrics"]["ModelQuality"]["Statistics"]
    assert statistics == {"ContentType": "application/json", "S3Uri": f"{ARTIFACTS}/run-1/evaluate/metrics.json"}


def test_a_failed_model_package_registers_nothing_and_is_the_registration_failure(account):
    account.harness.fail_state("Register model package", "SageMaker.ResourceLimitExceeded")
    account.harness.stages.metrics = GOOD
    try:
        run = execute(account.sfn, RETRAIN, "run-limit")
    finally:
        account.harness.faults.pop("Register model package")
    assert (run.status, run.error) == ("FAILED", "RegistrationFailed")
    assert "Register model version" not in run.entered()
    assert _version(account, "run-limit") == {}


def test_approve_and_reject_with_mlopsc_update_the_package_and_its_events_change_nothing(account):
    _retrain(account, "run-a")
    _retrain(account, "run-b")
    registry = store.EnvironmentRegistry.connect(store.locate_one(account.out, ENV, MODEL))
    sagemaker = account.session.client("sagemaker")

    registry.approve("run-a", "fine")
    assert wait_for(account.sfn, account.started[-1]["arn"]).status == "SUCCEEDED"  # the deploy it started
    _deliver(account)
    assert item(account.session, (f"MODEL#{MODEL}", f"POINTERS#{ENV}"))["approved_version"] == "run-a"
    registry.reject("run-b", "worse")
    for run_id, status in (("run-a", "Approved"), ("run-b", "Rejected")):
        arn = _version(account, run_id)["model_package_arn"]
        package = sagemaker.describe_model_package(ModelPackageName=arn)
        assert package["ModelApprovalStatus"] == status
        assert package["ApprovalDescription"].startswith(f"{status.lower()} by ")
        # SageMaker's event of that update comes back: the version is decided already (no loop).
        before = _version(account, run_id)
        done = handler.handler(state_change(account, arn), None)
        assert done["applied"] == [] and len(done["skipped"]) == 1, done
        assert _version(account, run_id) == before

    # Rejected in SageMaker while it serves: mlopsc refuses that (roll back first), so does the handler.
    arn = _version(account, "run-a")["model_package_arn"]
    sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Rejected")
    done = handler.handler(state_change(account, arn), None)
    assert (done["applied"], done["skipped"]) == ([], ["rejected run-a in SageMaker: it serves"]), done
    assert _version(account, "run-a")["approval"] == "approved"


def test_a_decision_made_in_sagemaker_is_recorded_with_who_made_it(account):
    _retrain(account, "run-s")
    arn = _version(account, "run-s")["model_package_arn"]
    sagemaker = account.session.client("sagemaker")
    sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved",
                                   ApprovalDescription="looks right")
    event = state_change(account, arn)
    studio = {"UserProfileArn": "arn:aws:sagemaker:eu-west-1:111111111111:user-profile/d-1/ana",
              "UserProfileName": "ana", "DomainId": "d-1"}
    event["detail"]["LastModifiedBy"] = studio  # moto records no LastModifiedBy
    # The platform's rule (RegistryModelPackagesRule) sends it to the function; not a package without
    # metadata. (moto has no TestEventPattern: its rules' own matcher decides.)
    from moto.events.models import EventPattern

    pattern = EventPattern.load(json.dumps(platform.MODEL_PACKAGE_EVENTS))
    assert pattern.matches_event(event)
    foreign = json.loads(json.dumps(event))
    foreign["detail"].pop("CustomerMetadataProperties")
    assert not pattern.matches_event(foreign)

    done = handler.handler(event, None)
    assert done["applied"] == ["approved run-s in SageMaker"], done
    version = _version(account, "run-s")
    assert (version["approval"], version["approved_by"], version["approved_at"]) == (
        "approved", studio["UserProfileArn"], event["time"])
    assert version["reason"] == "in SageMaker: looks right"
    assert handler.handler(event, None)["applied"] == []  # delivered again: nothing changes

    # Rejected in SageMaker afterwards, by nobody the event names: recorded, by "sagemaker".
    sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Rejected")
    later = state_change(account, arn)
    later["detail"].pop("LastModifiedBy", None)
    assert handler.handler(later, None)["applied"] == ["rejected run-s in SageMaker"]
    version = _version(account, "run-s")
    assert (version["approval"], version["rejected_by"]) == ("rejected", "sagemaker")
    # A stale Approved event (delivered late) does not undo the rejection.
    assert handler.handler(event | {"id": str(uuid.uuid4())}, None)["applied"] == []
    assert _version(account, "run-s")["approval"] == "rejected"


def test_an_event_of_another_package_of_the_version_changes_nothing(account):
    """The version names its package: an event whose ARN differs (a package made by hand with the
    same metadata) is not a decision on this version."""
    _retrain(account, "run-x")
    arn = _version(account, "run-x")["model_package_arn"]
    event = state_change(account, arn)
    event["detail"]["ModelApprovalStatus"] = "Approved"
    event["detail"]["ModelPackageArn"] = arn.rsplit("/", 1)[0] + "/99"
    done = handler.handler(event, None)
    assert done["applied"] == [] and done["skipped"], done
    assert _version(account, "run-x")["approval"] == "pending"
