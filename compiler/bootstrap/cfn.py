"""Small helpers shared by the platform and model templates: the template as data, intrinsic
functions, tags, IAM documents, and resources both stacks build the same way."""

from __future__ import annotations

import hashlib
import re
from typing import Iterable, Mapping, Optional

#: CloudWatch Logs retention of every log group the stacks create (one year: long enough for an
#: audit of a model's runs, and what most compliance baselines ask for).
LOG_RETENTION_DAYS = 365
#: Where the platform stack stores the platform file, for the compile stage (see docs/bootstrap.md).
PLATFORM_PARAMETER_PREFIX = "/mlops/platform/"
#: Why a resource uses an AWS managed key instead of a customer managed one.
NO_CMK = ("the platform sets no kms_key, so this is encrypted with the AWS managed key; "
          "set kms_key in the platform file to use a customer managed key")


def ref(logical_id: str) -> dict:
    return {"Ref": logical_id}


def get_att(logical_id: str, attribute: str) -> dict:
    return {"Fn::GetAtt": [logical_id, attribute]}


def sub(text: str) -> dict:
    return {"Fn::Sub": text}


def tags(values: Mapping[str, str]) -> list:
    return [{"Key": key, "Value": value} for key, value in sorted(values.items())]


def platform_parameter(registry_table: str) -> str:
    """The SSM parameter holding the platform file's text (one platform per registry table)."""
    return PLATFORM_PARAMETER_PREFIX + registry_table


def camel(name: str) -> str:
    """'churn-fargate' -> 'ChurnFargate': the alphanumeric part of a logical id."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def role_path(arn: str) -> str:
    """arn:aws:iam::123456789012:role/path/name -> /path/ (IAM's default path is /)."""
    resource = arn.split(":", 5)[5]
    folders = resource.split("/")[1:-1]
    return "/" + "".join(f"{folder}/" for folder in folders)


def arn_name(arn: str) -> str:
    """The last component of an ARN's resource (a topic's or a key's name)."""
    return re.split(r"[:/]", arn.split(":", 5)[5])[-1]


# --------------------------------------------------------------------------- the template

class Template:
    """A CloudFormation template under construction. Resources and outputs are printed sorted
    by logical id, so the order in which they were added never shows in the output."""

    def __init__(self, description: str):
        self.description = description
        self.metadata: dict = {}
        self.parameters: dict = {}
        self.rules: dict = {}
        self.resources: dict = {}
        self.outputs: dict = {}
        self._ids: dict = {}

    def id(self, *parts: str) -> str:
        """A logical id for a resource named by `parts` (e.g. "Repository", runtime name). Two
        different names that camel-case alike ('a-1' and 'a1') get a short hash to tell them apart."""
        key = tuple(parts)
        if key not in self._ids:
            candidate = "".join(camel(part) for part in parts)
            if candidate in self._ids.values():
                candidate += hashlib.sha256("\0".join(parts).encode()).hexdigest()[:6].upper()
            self._ids[key] = candidate
        return self._ids[key]

    def add(self, logical_id: str, kind: str, properties: dict, *, retain: bool = False, delete: bool = False,
            depends_on: Iterable[str] = (), checkov: Iterable[tuple] = ()) -> str:
        """Add a resource. `retain`: it outlives the stack and its replacement; `delete`: it goes
        with them, decided rather than defaulted (cfn-lint I3011 wants one or the other on every
        stateful resource). `checkov` lists (check id, reason) suppressions; each goes into the
        resource's Metadata with its reason, where checkov reads it and reviewers see it."""
        if logical_id in self.resources:
            raise ValueError(f"logical id {logical_id} is used twice")  # a bug in the template code
        resource: dict = {"Type": kind}
        if retain or delete:
            # Retain: data that outlives the stack; deleting or replacing the stack keeps it.
            resource["DeletionPolicy"] = resource["UpdateReplacePolicy"] = "Retain" if retain else "Delete"
        if depends_on:
            resource["DependsOn"] = sorted(depends_on)
        skips = [{"id": check, "comment": reason} for check, reason in sorted(checkov)]
        if skips:
            resource["Metadata"] = {"checkov": {"skip": skips}}
        resource["Properties"] = properties
        self.resources[logical_id] = resource
        return logical_id

    def parameter(self, logical_id: str, description: str, **properties) -> None:
        self.parameters[logical_id] = {"Type": "String", "Description": description, **properties}

    def output(self, logical_id: str, value, description: str) -> None:
        self.outputs[logical_id] = {"Description": description, "Value": value}

    def require_account(self, account: str, region: str, what: str) -> None:
        """A template Rule: CloudFormation refuses to create the stack in any other account or region."""
        self.rules["DeployedWhereTheConfigSays"] = {"Assertions": [
            {"Assert": {"Fn::Equals": [ref("AWS::AccountId"), account]},
             "AssertDescription": f"{what} names account {account}: deploy this stack there"},
            {"Assert": {"Fn::Equals": [ref("AWS::Region"), region]},
             "AssertDescription": f"{what} names region {region}: deploy this stack there"},
        ]}

    def build(self) -> dict:
        template: dict = {"AWSTemplateFormatVersion": "2010-09-09", "Description": self.description}
        if self.metadata:
            template["Metadata"] = self.metadata
        if self.parameters:
            template["Parameters"] = dict(sorted(self.parameters.items()))
        if self.rules:
            template["Rules"] = self.rules
        template["Resources"] = dict(sorted(self.resources.items()))
        if self.outputs:
            template["Outputs"] = dict(sorted(self.outputs.items()))
        return template


# --------------------------------------------------------------------------- IAM

def statement(sid: str, actions: Iterable[str], resources, condition: Optional[dict] = None) -> dict:
    """An Allow statement; actions sorted and unique, resources in the order given, unique."""
    found = resources if isinstance(resources, list) else [resources]
    unique = []
    for resource in found:
        if resource not in unique:
            unique.append(resource)
    result = {"Sid": sid, "Effect": "Allow", "Action": sorted(set(actions)), "Resource": unique}
    if condition:
        result["Condition"] = condition
    return result


def document(statements: list) -> dict:
    return {"Version": "2012-10-17", "Statement": statements}


def service_trust(services: Iterable[str]) -> dict:
    """A role's trust policy: the AWS services that may assume it."""
    return document([{"Effect": "Allow", "Principal": {"Service": sorted(set(services))}, "Action": "sts:AssumeRole"}])


#: Services whose AssumeRole requests carry aws:SourceAccount, so a trust policy can pin it (the
#: confused-deputy guard). ECS task roles and EventBridge targets are left without it: a condition
#: the service does not send would make the role impossible to assume.
SOURCE_ACCOUNT_SERVICES = frozenset({"sagemaker.amazonaws.com", "states.amazonaws.com"})


def pinned_trust(services: Iterable[str], account: str) -> dict:
    """Trust for the pipeline and task roles: one statement per service, each pinned to the account
    when the service supports it."""
    statements = []
    for service in sorted(set(services)):
        entry = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        if service in SOURCE_ACCOUNT_SERVICES:
            entry["Condition"] = {"StringEquals": {"aws:SourceAccount": account}}
        statements.append(entry)
    return document(statements)


# --------------------------------------------------------------------------- shared resources

def bucket_properties(kms_key: Optional[str], extra: Optional[dict] = None) -> dict:
    """An S3 bucket as both stacks make them: versioned, encrypted with KMS (the platform's key,
    else the AWS managed one), all public access blocked, ACLs disabled."""
    encryption = {"SSEAlgorithm": "aws:kms"}
    if kms_key:
        encryption["KMSMasterKeyID"] = kms_key
    properties = {
        "VersioningConfiguration": {"Status": "Enabled"},
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": encryption, "BucketKeyEnabled": True}]},
        "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                           "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
    }
    properties.update(extra or {})
    return properties


def tls_only_policy(bucket_id: str) -> dict:
    """A bucket policy refusing every request not made over TLS (1.2 or later)."""
    resources = [get_att(bucket_id, "Arn"), sub(f"${{{bucket_id}.Arn}}/*")]
    return {"Bucket": ref(bucket_id), "PolicyDocument": document([
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": resources, "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "DenyOutdatedTls", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": resources, "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}},
    ])}


def log_group_properties(name: str, kms_key: Optional[str], tag_values: Mapping[str, str]) -> dict:
    properties = {"LogGroupName": name, "RetentionInDays": LOG_RETENTION_DAYS}
    if kms_key:
        properties["KmsKeyId"] = kms_key
    properties["Tags"] = tags(tag_values)
    return properties


def log_group_skips(kms_key: Optional[str]) -> list:
    return [] if kms_key else [("CKV_AWS_158", NO_CMK)]


def log_group_arn(partition: str, region: str, account: str, name: str) -> str:
    return f"arn:{partition}:logs:{region}:{account}:log-group:{name}"
