"""Cross-account delivery, end to end on moto: samples/fraud-lambda (`fraud-scoring`) is built
and trained in the delivery account 111111111111 (`dev`, the platform file's account) and
promoted to `prod` in 222222222222, through the commands a user runs (`mlopsc bootstrap`,
`mlopsc apply` as compile.yml runs it, `mlopsc registry approve|promote|rollback|list|history`).

moto serves each request in the account of its credentials' STS role (no MOTO_ACCOUNT_ID here):
each principal of the story has STS credentials of its own role, as in AWS. moto's Step
Functions interpreter and sfn_harness call services with credentials of no role, served in moto's
default account: the test makes that the account whose pipelines run at the time (`World.runs_in`).

Built from the printed templates (`mlopsc bootstrap target`): the deploy and registry roles with
their trust and policies, the event forwarding rule; the rest of each account's platform as
moto_aws.create_platform makes it. What moto does not check, and AWS does: trust policies and IAM
policies (moto lets any credentials assume any role ARN: mlopsc checks the registry role exists,
and the roles' policies are checked by cfn-lint/checkov and tests/bootstrap); the delivery bus's
policy; ECR replication (moto does not replicate: the test pushes the same image manifest to the
target account's repository, which gives the same digest, as replication does); CodeBuild (the
compile stage's shell is run by tests/bootstrap/test_bootstrap.py with stand-ins for aws and mlopsc).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from types import SimpleNamespace

import boto3
import pytest

import sfn_harness
from compile_helpers import SAMPLES_PLATFORM, invoke
from moto_aws import create_platform
from paths import REPO_ROOT
from sfn_harness import (REGION, _platform_of, create_serving_functions, create_subnets, install, item,
                         start_state_machines_from_rules, wait_for)

from compiler import api, apply, names
from compiler.artifacts import write
from compiler.registry import handler

SAMPLE = REPO_ROOT / "samples" / "fraud-lambda"
MODEL = "fraud-scoring"
DELIVERY, TARGET = "111111111111", "222222222222"
ACCOUNT_OF = {"dev": DELIVERY, "prod": TARGET}
METRICS = {"auc": 0.95, "recall": 0.7, "false_positive_rate": 0.01}
pytestmark = pytest.mark.e2e  # moto-backed AWS, whole routes

COMPILE_ROLE = names.account_role_arn("aws", DELIVERY, names.compile_role(MODEL, "prod"))
APPROVER = f"arn:aws:iam::{DELIVERY}:role/ml-approver"


def credentials(role_arn: str) -> dict:
    sts = boto3.client("sts", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    return sts.assume_role(RoleArn=role_arn, RoleSessionName="tests")["Credentials"]


def session_of(found: dict):
    return boto3.session.Session(aws_access_key_id=found["AccessKeyId"], aws_secret_access_key=found["SecretAccessKey"],
                                 aws_session_token=found["SessionToken"], region_name=REGION)


class World:
    """Both accounts, with an admin session in each (`sessions`), the compiled OUT of both
    environments (`out`), and the registry's event delivery per account."""

    def __init__(self, mp, tmp):
        self.mp, self.tmp = mp, tmp
        self.sessions = {account: session_of(credentials(f"arn:aws:iam::{account}:role/admin"))
                         for account in (DELIVERY, TARGET)}
        self.queues: dict = {}
        self.forwarded: list = []

    def runs_in(self, account: str) -> None:
        """The account of moto's interpreter and of the harness (credentials of no role)."""
        import moto.iam.models

        self.mp.setattr(moto.iam.models, "DEFAULT_ACCOUNT_ID", account)
        self.mp.setattr(sfn_harness, "_account", lambda: account)

    def act_as(self, found: dict) -> None:
        """The credentials `mlopsc` finds in its environment (as a person's shell or CodeBuild has them)."""
        self.mp.setenv("AWS_ACCESS_KEY_ID", found["AccessKeyId"])
        self.mp.setenv("AWS_SECRET_ACCESS_KEY", found["SecretAccessKey"])
        self.mp.setenv("AWS_SESSION_TOKEN", found["SessionToken"])

    def client(self, account: str, service: str):
        return self.sessions[account].client(service)

    def registry_events(self, account: str) -> None:
        """The platform's registry rule (platform.py RegistryEventsRule), to a queue the test drains
        into the handler, as Lambda would."""
        sqs, events = self.client(account, "sqs"), self.client(account, "events")
        queue = sqs.create_queue(QueueName="registry-handler")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="mlops-registry", EventBusName="mlops", State="ENABLED",
                        EventPattern=json.dumps({"source": [{"prefix": "mlops."}]}))
        events.put_targets(Rule="mlops-registry", EventBusName="mlops", Targets=[{"Id": "registry", "Arn": arn}])
        self.queues[account] = queue

    def deliver(self) -> None:
        """Every event on each account's bus since the last call, to that account's registry handler
        (a Lambda function of that account: its context names its ARN)."""
        for account, queue in self.queues.items():
            sqs = self.client(account, "sqs")
            self.mp.setattr(handler, "_CLIENT", self.client(account, "dynamodb"))
            context = SimpleNamespace(invoked_function_arn=f"arn:aws:lambda:{REGION}:{account}:function:mlops-registry-events")
            while True:
                messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
                if not messages:
                    break
                for message in messages:
                    event = json.loads(message["Body"])
                    done = handler.handler(event, context)
                    assert "dropped" not in done, (event, done)
                    if done.get("forwarded_from"):
                        self.forwarded.append(event)
                    sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])

    def registry(self, *args: str):
        """`mlopsc registry ...` as the approver of the delivery account."""
        self.act_as(credentials(APPROVER))
        return invoke("registry", *args)


def _next_second() -> None:
    time.sleep(1.05 - time.time() % 1)  # the handler orders a version's events by their whole second


def _compile(tmp) -> dict:
    result = api.compile_outputs([str(SAMPLE)], str(SAMPLES_PLATFORM))
    assert result.validation.ok, result.validation.problems
    out = {"all": tmp / "out"}
    write.write(out["all"], result.outputs)
    for env in ACCOUNT_OF:  # one OUT per account, for creating what each platform has
        out[env] = tmp / f"out-{env}"
        write.write(out[env], {key: files for key, files in result.outputs.items() if key.endswith(f"/{env}")})
    return out


def _push_image(ecr, repository: str, runtime: str) -> str:
    """An image pushed to `repository`: its digest (sha256 of the manifest, as ECR computes it)."""
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                           "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7,
                                      "digest": "sha256:" + f"{runtime}".encode().hex().ljust(64, "0")[:64]},
                           "layers": []}, sort_keys=True)
    with contextlib.suppress(ecr.exceptions.RepositoryAlreadyExistsException):
        ecr.create_repository(repositoryName=repository)
    return ecr.put_image(repositoryName=repository, imageManifest=manifest, imageTag="a" * 40)["image"]["imageId"][
        "imageDigest"], manifest


def _keep_the_sender_account(mp) -> None:
    """An event a rule sends to a bus of another account keeps its `account`: the top-level fields
    say the account and region in which the event occurred (EventBridge Events Reference, "Event
    structure"); moto 5.2.5 puts a copy on that bus with the receiving account's. Here the copy
    keeps the sender's. And a target
    gets the whole event, `account` included (EventBridge User Guide, "Amazon EventBridge events":
    the event structure); moto's default input template leaves it out."""
    from moto.events.models import Rule
    from moto.events.utils import EventTemplateParser

    whole = EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE.replace('"region"', '"account": "<account>", "region"', 1)
    mp.setattr(EventTemplateParser, "DEFAULT_EVENT_INPUT_TEMPLATE", whole)

    original = Rule.send_to_targets
    senders: list = []

    def send_to_targets(self, event, transform_input=True):
        if senders and event.get("account") == self.account_id != senders[-1]:
            event = dict(event, account=senders[-1])
        senders.append(event.get("account"))
        try:
            return original(self, event, transform_input)
        finally:
            senders.pop()

    mp.setattr(Rule, "send_to_targets", send_to_targets)


def _train_writes_a_model(mp, stages) -> None:
    """The train stage's container writes its model under MLOPS_OUTPUT_URI (the version's model data)."""
    run = stages.run

    def running(kind: str, environment: dict, request: dict) -> int:
        code = run(kind, environment, request)
        if code == 0 and environment.get("MLOPS_STAGE") == "train":
            bucket, key = sfn_harness.split_s3(environment["MLOPS_OUTPUT_URI"] + "model.joblib")
            stages.s3.put_object(Bucket=bucket, Key=key, Body=b"a model")
        return code

    mp.setattr(stages, "run", running)


def _platform(world: World, account: str, out) -> None:
    """What the platform stack makes, by the names OUT gives, in `account` (moto_aws.create_platform)."""
    session = world.sessions[account]
    create_platform(session, out)
    found = _platform_of(out)
    for cluster in sorted(found["clusters"]):
        session.client("ecs").create_cluster(clusterName=cluster)
    create_subnets(session, sorted(found["subnets"]))
    made = {bucket["Name"] for bucket in session.client("s3").list_buckets()["Buckets"]}
    for bucket in sorted(found["buckets"] - made):
        session.client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    for topic in sorted(found["topics"]):
        session.client("sns").create_topic(Name=topic.rsplit(":", 1)[-1])
    world.registry_events(account)


def _target_stack(world: World, template: dict) -> None:
    """The target stack's roles (trust and policies as printed) and its event forwarding rule."""
    iam, events = world.client(TARGET, "iam"), world.client(TARGET, "events")
    for resource in template["Resources"].values():
        properties = resource["Properties"]
        if resource["Type"] == "AWS::IAM::Role" and properties.get("RoleName", "").startswith(f"mlops-{MODEL}-"):
            _create_role(iam, properties)
    ecr = world.client(TARGET, "ecr")
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::ECR::Repository":  # where the images replicate to
            properties = resource["Properties"]
            ecr.create_repository(repositoryName=properties["RepositoryName"],
                                  imageTagMutability=properties["ImageTagMutability"])
            if "RepositoryPolicyText" in properties:
                ecr.set_repository_policy(repositoryName=properties["RepositoryName"],
                                          policyText=json.dumps(properties["RepositoryPolicyText"]))
    rule = template["Resources"]["ForwardEventsRule"]["Properties"]
    iam.create_role(RoleName="mlops-event-forwarder", AssumeRolePolicyDocument=json.dumps(
        template["Resources"]["EventForwarderRole"]["Properties"]["AssumeRolePolicyDocument"]))
    events.put_rule(Name=rule["Name"], EventBusName="mlops", State="ENABLED", EventPattern=json.dumps(rule["EventPattern"]))
    events.put_targets(Rule=rule["Name"], EventBusName="mlops", Targets=[
        {"Id": "delivery", "Arn": rule["Targets"][0]["Arn"], "RoleArn": f"arn:aws:iam::{TARGET}:role/mlops-event-forwarder"}])


def _create_role(iam, properties: dict) -> None:
    """A role of the target stack: its trust and inline policies as printed."""
    iam.create_role(RoleName=properties["RoleName"],
                    AssumeRolePolicyDocument=json.dumps(properties["AssumeRolePolicyDocument"]))
    for policy in properties["Policies"]:
        iam.put_role_policy(RoleName=properties["RoleName"], PolicyName=policy["PolicyName"],
                            PolicyDocument=json.dumps(policy["PolicyDocument"]))


def _apply(world: World, out, env: str, images: dict, role: dict) -> apply.Outcome:
    path = world.tmp / f"images-{env}.json"
    path.write_text(json.dumps(images))
    world.act_as(role)
    outcome = apply.Outcome()
    apply.apply(apply.Request(out, env, path, "a" * 40, 100), outcome)
    return outcome


def _settle(world: World, account: str) -> None:
    sfn = world.client(account, "stepfunctions")
    for machine in sfn.list_state_machines()["stateMachines"]:
        for run in sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]:
            wait_for(sfn, run["executionArn"])


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from moto import mock_aws

    tmp = tmp_path_factory.mktemp("cross-account")
    with pytest.MonkeyPatch.context() as mp:
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "MOTO_ACCOUNT_ID", "AWS_SESSION_TOKEN"):
            mp.delenv(name, raising=False)
        for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                            ("AWS_REGION", REGION), ("AWS_DEFAULT_REGION", REGION), ("AWS_CONFIG_FILE", os.devnull),
                            ("AWS_SHARED_CREDENTIALS_FILE", os.devnull), ("MOTO_EC2_LOAD_DEFAULT_AMIS", "false"),
                            (handler.TABLE_VARIABLE, "mlops-registry")):
            mp.setenv(name, value)
        out = _compile(tmp)
        target = invoke("bootstrap", "target", str(SAMPLE), "--platform", str(SAMPLES_PLATFORM), "--account", TARGET)
        assert target.exit_code == 0, target.output
        with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
            world = World(mp, tmp)
            world.out = out["all"]
            world.runs_in(DELIVERY)
            world.harness = install(mp, sfn_harness.new_session())
            _train_writes_a_model(mp, world.harness.stages)
            world.started = start_state_machines_from_rules(mp)
            _keep_the_sender_account(mp)
            _platform(world, DELIVERY, out["dev"])
            world.runs_in(TARGET)
            _platform(world, TARGET, out["prod"])
            world.template = json.loads(target.stdout)
            _target_stack(world, world.template)
            # The Build stage pushes each runtime's image here; ECR replicates it to the target account.
            world.images, world.manifests = {}, {}
            for runtime, pointer in json.loads((out["dev"] / MODEL / "dev" / "pointers.json").read_text())["images"].items():
                repository = pointer["repository"].split("/", 1)[1]
                digest, manifest = _push_image(world.client(DELIVERY, "ecr"), repository, runtime)
                world.images[runtime] = f"{pointer['repository']}@{digest}"
                world.manifests[runtime] = manifest
                target_ecr = world.client(TARGET, "ecr")  # the target stack made the repository
                assert target_ecr.put_image(repositoryName=repository, imageManifest=manifest)["image"]["imageId"][
                    "imageDigest"] == digest
            digest = world.images["serve"].rsplit(":", 1)[1]
            world.runs_in(DELIVERY)
            create_serving_functions(world.sessions[DELIVERY], out["dev"], "dev", digest)
            create_serving_functions(world.sessions[TARGET], out["prod"], "prod", digest)
            for account in (DELIVERY, TARGET):  # the alarm the canary checks: the platform's
                world.client(account, "cloudwatch").put_metric_alarm(
                    AlarmName=f"fraud-scoring-{'dev' if account == DELIVERY else 'prod'}-error-rate", MetricName="Errors",
                    Namespace="AWS/Lambda", Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
                    ComparisonOperator="GreaterThanOrEqualToThreshold")
            # dev: the delivery account's compile project applies with its own role.
            dev = _apply(world, world.out, "dev", world.images, credentials(
                f"arn:aws:iam::{DELIVERY}:role/{names.compile_role(MODEL, 'dev')}"))
            assert dev.failure is None, dev.failure
            _settle(world, DELIVERY)
            world.deliver()
            # prod, as compile.yml applies it: the compile role assumes prod's deploy role (role
            # chaining), the Build stage's images.json is taken from the target account's registry
            # (same digests), and apply runs there.
            world.runs_in(TARGET)
            deploy_role = credentials(f"arn:aws:iam::{TARGET}:role/{names.deploy_role(MODEL, 'prod')}")
            world.prod = _apply(world, world.out, "prod", replicated(world), deploy_role)
            assert world.prod.failure is None, world.prod.failure
            _settle(world, TARGET)
            world.deliver()
            yield world


def test_prod_is_applied_as_its_deploy_role_with_the_replicated_images(world):
    """Apply, as prod's deploy role, refused nothing: its account check saw the target account."""
    assert world.prod.account == TARGET
    images = replicated(world)
    machines = {m["name"] for m in world.client(TARGET, "stepfunctions").list_state_machines()["stateMachines"]}
    assert {"fraud-scoring-prod-retrain", "fraud-scoring-prod-deploy"} <= machines
    assert not any("-prod-" in m["name"] for m in world.client(DELIVERY, "stepfunctions").list_state_machines()[
        "stateMachines"])
    pointers = item(world.sessions[TARGET], (f"MODEL#{MODEL}", "POINTERS#prod"))
    assert set(pointers["images"].values()) == set(images.values())


def replicated(world) -> dict:
    return {runtime: uri.replace(f"{DELIVERY}.dkr.ecr.", f"{TARGET}.dkr.ecr.") for runtime, uri in world.images.items()}


def test_apply_refuses_the_delivery_accounts_credentials_for_prod(world):
    """Without the deploy role (compile.yml could not assume it), apply runs with the compile
    role's own credentials: it refuses before any change, as for any wrong account."""
    from compiler.errors import Refused

    with pytest.raises(Refused) as refused:
        _apply(world, world.out, "prod", replicated(world), credentials(COMPILE_ROLE))
    assert "compiled for account 222222222222, but the credentials are of account 111111111111" in str(refused.value)


def test_train_in_dev_promote_to_prod_deploy_and_roll_back_there(world):
    sfn_dev, sfn_prod = world.client(DELIVERY, "stepfunctions"), world.client(TARGET, "stepfunctions")
    world.runs_in(DELIVERY)
    world.harness.stages.metrics = METRICS
    for version in ("v1", "v2"):  # trained once, in dev
        _next_second()
        run = sfn_harness.execute(sfn_dev, "fraud-scoring-dev-retrain", version, {"trigger": "schedule"})
        assert run.status == "SUCCEEDED", (run.error, run.cause)
        world.deliver()
        _next_second()
        approved = world.registry("approve", str(world.out), version, "--env", "dev", "--reason", "offline metrics ok")
        assert approved.exit_code == 0, approved.output
        assert wait_for(sfn_dev, world.started[-1]["arn"]).status == "SUCCEEDED"
        world.deliver()
    # Promoted to prod, another account: copied there, approved there, deployed there.
    world.runs_in(TARGET)
    for version in ("v1", "v2"):
        _next_second()
        promoted = world.registry("promote", str(world.out), version, "--from", "dev", "--env", "prod")
        assert promoted.exit_code == 0, promoted.output
        deploy = world.started[-1]
        assert deploy["arn"].startswith(f"arn:aws:states:{REGION}:{TARGET}:execution:fraud-scoring-prod-deploy:")
        assert wait_for(sfn_prod, deploy["arn"]).status == "SUCCEEDED"
        world.deliver()
    copied = item(world.sessions[TARGET], (f"MODEL#{MODEL}", "VERSION#prod#v1"))
    source = item(world.sessions[DELIVERY], (f"MODEL#{MODEL}", "VERSION#dev#v1"))
    assert copied["approval"] == "approved" and copied["promoted_from"] == "dev"
    assert copied["promoted_from_account"] == DELIVERY and copied["approved_by"].startswith(
        f"arn:aws:sts::{DELIVERY}:assumed-role/ml-approver/")
    assert copied["source_approval"] == {"by": source["approved_by"], "at": source["approved_at"],
                                         "reason": "offline metrics ok"}
    assert copied["metrics"] == source["metrics"] and copied["code_commit"] == source["code_commit"]
    assert copied["images"] == {runtime: uri.replace(f"{DELIVERY}.dkr.ecr.", f"{TARGET}.dkr.ecr.")
                                for runtime, uri in source["images"].items()}
    assert copied["model_data"] == source["model_data"].replace("s3://acme-ml-artifacts/", "s3://acme-ml-artifacts-prod/")
    bucket, _, prefix = copied["model_data"].removeprefix("s3://").partition("/")
    copies = world.client(TARGET, "s3").list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    originals = world.client(DELIVERY, "s3").list_objects_v2(Bucket="acme-ml-artifacts", Prefix=prefix).get("Contents", [])
    assert sorted(o["Key"] for o in copies) == sorted(o["Key"] for o in originals) != []
    function = world.client(TARGET, "lambda").get_function(FunctionName="fraud-scoring")["Code"]
    assert function["ImageUri"].startswith(f"{TARGET}.dkr.ecr.")
    again = world.registry("promote", str(world.out), "v1", "--from", "dev", "--env", "prod")
    assert again.exit_code == 1 and "version 'v1' is already here (approved)" in again.stderr
    # Rolled back there, from the delivery account.
    _next_second()
    rolled = world.registry("rollback", str(world.out), "--env", "prod", "--to", "v1")
    assert rolled.exit_code == 0, rolled.output
    assert wait_for(sfn_prod, world.started[-1]["arn"]).status == "SUCCEEDED"
    world.deliver()
    assert item(world.sessions[TARGET], (f"MODEL#{MODEL}", "POINTERS#prod"))["approved_version"] == "v1"
    # The delivery account's view: prod's registry through its registry role, and prod's runs
    # recorded here from the events its bus forwarded.
    history = world.registry("history", str(world.out), "--env", "prod", "--format", "json")
    assert history.exit_code == 0, history.output
    found = json.loads(history.stdout)
    assert found["deployed_version"] == "v1"
    assert [run["version"] for run in found["deployments"]] == ["v1", "v2", "v1"]
    listed = json.loads(world.registry("list", str(world.out), "--env", "prod", "--format", "json").stdout)
    assert {v["version"] for v in listed[0]["versions"]} == {"v1", "v2"}
    forwarded = {(e["account"], e["detail-type"]) for e in world.forwarded}
    assert (TARGET, "DeploymentSucceeded") in forwarded
    runs = world.client(DELIVERY, "dynamodb").query(
        TableName="mlops-registry", KeyConditionExpression="pk = :pk AND begins_with(sk, :sk)",
        ExpressionAttributeValues={":pk": {"S": f"MODEL#{MODEL}"}, ":sk": {"S": "RUN#prod#deploy#"}})["Items"]
    assert len(runs) == 3
    assert not world.client(DELIVERY, "dynamodb").get_item(
        TableName="mlops-registry", Key={"pk": {"S": f"MODEL#{MODEL}"}, "sk": {"S": "VERSION#prod#v1"}}).get("Item")


def test_promote_waits_for_the_images_to_replicate(world):
    """A version whose image has not reached the target account's registry yet is refused, and
    nothing is written there."""
    sfn_dev = world.client(DELIVERY, "stepfunctions")
    world.runs_in(DELIVERY)
    world.harness.stages.metrics = METRICS
    _next_second()
    assert sfn_harness.execute(sfn_dev, "fraud-scoring-dev-retrain", "v3", {"trigger": "schedule"}).status == "SUCCEEDED"
    world.deliver()
    _next_second()
    assert world.registry("approve", str(world.out), "v3", "--env", "dev").exit_code == 0
    assert wait_for(sfn_dev, world.started[-1]["arn"]).status == "SUCCEEDED"
    world.deliver()
    repository, digest = world.images["serve"].split("/", 1)[1].split("@")
    ecr = world.client(TARGET, "ecr")
    ecr.batch_delete_image(repositoryName=repository, imageIds=[{"imageDigest": digest}])
    try:
        world.runs_in(TARGET)
        started = len(world.started)
        refused = world.registry("promote", str(world.out), "v3", "--from", "dev", "--env", "prod")
        assert refused.exit_code == 1
        assert f"image {repository}@{digest} is not in account 222222222222 yet" in refused.stderr
        assert not item(world.sessions[TARGET], (f"MODEL#{MODEL}", "VERSION#prod#v3"))
        assert len(world.started) == started
    finally:  # replicated after all: the other tests of the module find it
        ecr.put_image(repositoryName=repository, imageManifest=world.manifests["serve"])


def test_registry_refuses_when_the_registry_role_is_missing(world):
    iam = world.client(TARGET, "iam")
    iam.delete_role_policy(RoleName=names.registry_role(MODEL, "prod"), PolicyName="registry")
    iam.delete_role(RoleName=names.registry_role(MODEL, "prod"))
    try:
        refused = world.registry("list", str(world.out), "--env", "prod")
    finally:  # the target stack's again, for the other tests of the module
        _create_role(iam, world.template["Resources"]["ProdRegistryRole"]["Properties"])
    assert refused.exit_code == 1
    assert ("its registry is in account 222222222222, but the credentials are of account 111111111111, and cannot "
            "assume its registry role arn:aws:iam::222222222222:role/mlops-fraud-scoring-prod-registry") in refused.stderr
    assert "mlopsc bootstrap target" in refused.stderr
