"""parliament (an IAM policy linter, next to checkov and cfn-lint) on every derived policy: the
compiled iam.json of every sample and the identity policies of the bootstrap templates. Every
finding must be accepted, by issue, actions and reason, in tests/render/iam_lint_accepted.yaml, and
every accepted entry must still be needed. A missing parliament skips locally and fails under
CI=true (compile_helpers.require_tool)."""

from __future__ import annotations

import fnmatch
import importlib.util
import json
from pathlib import Path

import pytest
import yaml

from compile_helpers import SAMPLES, SAMPLES_PLATFORM, compile_samples, invoke, require_tool

pytestmark = pytest.mark.e2e  # parliament over every compiled policy

ACCEPTED_FILE = Path(__file__).parent / "iam_lint_accepted.yaml"
ACCOUNT, REGION = "111111111111", "eu-west-1"
#: How CloudFormation names the ARN of a resource of the bootstrap templates (Fn::GetAtt X.Arn),
#: from the property that names it, so that parliament sees real ARNs.
_ARNS = {
    "AWS::CodeBuild::Project": ("Name", f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/{{}}"),
    "AWS::DynamoDB::Table": ("TableName", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{{}}"),
    "AWS::Logs::LogGroup": ("LogGroupName", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{{}}:*"),
    "AWS::S3::Bucket": ("BucketName", "arn:aws:s3:::{}"),
    "AWS::SQS::Queue": ("QueueName", f"arn:aws:sqs:{REGION}:{ACCOUNT}:{{}}"),
}


def _require_parliament() -> None:
    require_tool(importlib.util.find_spec("parliament") is not None,
                 "parliament is not installed: pip install '.[test]' (it is in the `test` extra)")


def lint(document: dict) -> list[dict]:
    """parliament's findings on one policy: [{"issue", "actions", "type"}]. Single-value lists in
    conditions are given as the value (the same to IAM): parliament 1.6.4 fails on a list under Bool."""
    from parliament import analyze_policy_string

    normalised = json.loads(json.dumps(document))
    for statement in normalised["Statement"]:
        for keys in statement.get("Condition", {}).values():
            for key, value in keys.items():
                if isinstance(value, list) and len(value) == 1:
                    keys[key] = value[0]
    policy = analyze_policy_string(json.dumps(normalised), include_community_auditors=True)
    found = []
    for finding in policy.findings:
        detail, location = finding.detail, finding.location if isinstance(finding.location, dict) else {}
        actions = location.get("actions") or (detail if isinstance(detail, list) and all(isinstance(d, str) for d in detail)
                                              else [d["action"] for d in detail if isinstance(d, dict) and "action" in d]
                                              if isinstance(detail, list) else [])
        found.append({"issue": finding.issue, "actions": sorted(a.lower() for a in actions),
                      "type": location.get("type", "")})
    return found


def _resolve(value, resources: dict):
    """A CloudFormation intrinsic in a policy, as the ARN it becomes."""
    if not isinstance(value, dict):
        return value
    (function, argument), = value.items()
    if function == "Fn::GetAtt" and argument[1] == "Arn":
        return _arn(argument[0], resources)
    if function == "Fn::Sub" and isinstance(argument, str):
        for name in resources:
            if f"${{{name}.Arn}}" in argument:
                argument = argument.replace(f"${{{name}.Arn}}", _arn(name, resources))
        return argument
    raise AssertionError(f"no ARN for {value}: teach tests/render/test_iam_lint.py")


def _arn(logical: str, resources: dict) -> str:
    resource = resources[logical]
    key, pattern = _ARNS[resource["Type"]]
    name = resource["Properties"].get(key)
    return pattern.format(name if isinstance(name, str) else logical.lower())


def bootstrap_policies(template: dict) -> dict[str, dict]:
    resources = template["Resources"]
    documents = {name: r["Properties"]["PolicyDocument"] for name, r in resources.items() if r["Type"] == "AWS::IAM::Policy"}
    for name, role in resources.items():
        for inline in role["Properties"].get("Policies", []) if role["Type"] == "AWS::IAM::Role" else []:
            documents[f"{name}/{inline['PolicyName']}"] = inline["PolicyDocument"]
    resolved = {}
    for name, document in documents.items():
        document = json.loads(json.dumps(document))
        for statement in document["Statement"]:
            if isinstance(statement.get("Resource"), list):
                statement["Resource"] = [_resolve(r, resources) for r in statement["Resource"]]
            else:
                statement["Resource"] = _resolve(statement["Resource"], resources)
        resolved[name] = document
    return resolved


@pytest.fixture(scope="module")
def policies(tmp_path_factory) -> dict[str, dict]:
    """"<label>:<policy>" -> policy document, for every derived policy under test."""
    found = {}
    out = tmp_path_factory.mktemp("iam-lint") / "out"
    compile_samples(out)
    for path in sorted(out.glob("*/*/iam.json")):
        label = path.parent.relative_to(out).as_posix()
        for role, spec in json.loads(path.read_text())["roles"].items():
            found[f"{label}:{role}"] = spec["policy"]
    templates = {"platform": ["platform", "--platform", str(SAMPLES_PLATFORM)]}
    for folder in ("churn-fargate", "demand-forecast", "fraud-lambda"):
        templates[f"model-{folder}"] = ["model", str(SAMPLES / folder), "--platform", str(SAMPLES_PLATFORM)]
    # fraud-scoring's prod account (cross-account delivery): its deploy and registry roles.
    templates["target-fraud-lambda"] = ["target", str(SAMPLES / "fraud-lambda"), "--platform", str(SAMPLES_PLATFORM),
                                        "--account", "222222222222"]
    for label, args in templates.items():
        result = invoke("bootstrap", *args)
        assert result.exit_code == 0, result.output
        for name, document in bootstrap_policies(json.loads(result.stdout)).items():
            found[f"{label}:{name}"] = document
    return found


@pytest.fixture(scope="module")
def findings(policies) -> list[tuple[str, dict]]:
    _require_parliament()
    return [(where, finding) for where, document in sorted(policies.items()) for finding in lint(document)]


def accepted() -> list[dict]:
    entries = yaml.safe_load(ACCEPTED_FILE.read_text())
    for entry in entries:
        assert set(entry) <= {"issue", "actions", "type", "where", "why"} and entry["why"].strip(), entry
    return entries


def _accepting(where: str, finding: dict, entries: list) -> list[int]:
    """The entries that together accept every action of the finding (by index); [] if they do not."""
    covering = [i for i, entry in enumerate(entries)
                if entry["issue"] == finding["issue"] and any(fnmatch.fnmatchcase(where, glob) for glob in entry["where"])
                and entry.get("type", finding["type"]) == finding["type"]]
    covered = {a.lower() for i in covering for a in entries[i]["actions"]}
    if not set(finding["actions"]) <= covered:
        return []
    return [i for i in covering if {a.lower() for a in entries[i]["actions"]} & set(finding["actions"])]


def test_every_policy_is_linted(policies):
    labels = {where.split(":")[0] for where in policies}
    assert {"churn-fargate/default", "fraud-scoring/prod", "platform", "model-fraud-lambda"} <= labels
    assert len(policies) >= 20


def test_every_finding_is_accepted_with_a_reason(findings):
    entries = accepted()
    unaccepted = [(where, finding) for where, finding in findings if not _accepting(where, finding, entries)]
    assert not unaccepted, "parliament found, not accepted in tests/render/iam_lint_accepted.yaml:\n" + \
        "\n".join(json.dumps(item) for item in unaccepted)


def test_every_accepted_finding_is_still_found(findings):
    entries = accepted()
    used = {i for where, finding in findings for i in _accepting(where, finding, entries)}
    stale = [entries[i] for i in range(len(entries)) if i not in used]
    assert not stale, f"accepted in {ACCEPTED_FILE.name} but no longer found: {stale}"


def test_parliament_reports_a_broad_policy():
    """Negative control: the linter really runs and flags what the derived policies avoid."""
    _require_parliament()
    issues = {f["issue"] for f in lint({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:PassRole", "s3:GetObject"], "Resource": "*"}]})}
    assert {"RESOURCE_STAR", "PERMISSIONS_MANAGEMENT_ACTIONS"} & issues, issues
