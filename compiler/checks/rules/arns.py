"""ARNs name the right service and agree with the platform's account and region. Role ARNs may
carry the `{model}` placeholder in the role name (see compiler/names.py); it is checked here as
if it were a name, and the length of the name it makes by the role-name rule."""

import re

from compiler import names
from compiler.checks.finding import Finding
from compiler.inherit import iter_stages

RULE = "arn"
DESCRIPTION = "ARNs name the right service and resource, in the platform's account and region"
_ARN = re.compile(r"^arn:(?P<partition>aws[a-z-]*):(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):"
                  r"(?P<account>[0-9]*):(?P<resource>.+)$")
# (services allowed, resource must match, has a region)
_KINDS = {
    "topic": (("sns",), r"[A-Za-z0-9_-]{1,256}", True),
    "role": (("iam",), r"role/[\w+=,.@/-]{1,512}", False),
    "kms": (("kms",), r"(key/[0-9a-f-]{36}|key/mrk-[0-9a-f]{32}|alias/[\w/-]+)", True),
    "secret": (("secretsmanager", "ssm"), r"(secret:[\w/+=.@-]+|parameter/[\w/.-]+)", True),
}


def _arn_paths(context):
    platform = context.platform
    if "notification_topic" in platform:
        yield ("platform", "notification_topic"), platform["notification_topic"], "topic"
    for role, arn in sorted((platform.get("roles") or {}).items()):
        yield ("platform", "roles", role), arn, "role"
    if "kms_key" in platform:
        yield ("platform", "kms_key"), platform["kms_key"], "kms"
    for stage in iter_stages(context.config):
        for name, arn in sorted(stage.values["secrets"].items()):
            yield stage.origin("secrets", name), arn, "secret"


#: Stands in for `{model}` while a role ARN's form is checked: any valid role-name characters do.
_STAND_IN = "model"


def check(context):
    account, region = context.platform.get("account"), context.platform.get("region")
    for path, arn, kind in _arn_paths(context):
        services, resource, regional = _KINDS[kind]
        if kind == "role" and names.MODEL_PLACEHOLDER in arn:
            if names.MODEL_PLACEHOLDER in arn.rpartition("/")[0]:
                yield Finding(path, f"{names.MODEL_PLACEHOLDER} may appear only in the role name, not in its path",
                              "e.g. arn:aws:iam::123456789012:role/mlops-{model}-pipeline", RULE)
                continue
            arn = arn.replace(names.MODEL_PLACEHOLDER, _STAND_IN)
        match = _ARN.match(arn)
        if not match or match["service"] not in services or not re.fullmatch(resource, match["resource"]):
            yield Finding(path, f"is not a well-formed {' or '.join(services)} ARN for a {kind}",
                          _example(kind), RULE)
            continue
        if account and match["account"] != account:
            yield Finding(path, f"ARN is in account {match['account']}, but the platform account is {account}",
                          "use the environment's account, or override `platform.account` in this environment",
                          RULE)
        if regional and region and match["region"] != region:
            yield Finding(path, f"ARN is in region {match['region'] or '(none)'}, but the platform region is {region}",
                          "use a resource in the platform's region", RULE)
        elif not regional and match["region"]:
            yield Finding(path, "IAM ARNs have no region", "write arn:aws:iam::<account>:role/<name>", RULE)


def _example(kind: str) -> str:
    return {
        "topic": "e.g. arn:aws:sns:eu-west-1:123456789012:mlops-alerts",
        "role": "e.g. arn:aws:iam::123456789012:role/mlops-pipeline; the only placeholder is {model}, "
                "in the role name (arn:aws:iam::123456789012:role/mlops-{model}-pipeline)",
        "kms": "e.g. arn:aws:kms:eu-west-1:123456789012:key/<key id> or .../alias/<name>",
        "secret": "a Secrets Manager secret (arn:aws:secretsmanager:...:secret:name) or an SSM parameter (arn:aws:ssm:...:parameter/name)",
    }[kind]
