"""`environment` values that look like secrets are refused, without echoing them."""

import math
import re
from collections import Counter

from compiler.checks.finding import Finding
from compiler.inherit import iter_stages

RULE = "secret-in-environment"
_SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL)", re.I)
_SECRET_VALUE = re.compile(
    r"(AKIA|ASIA)[0-9A-Z]{16}"            # AWS access key id
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|gh[pousr]_[A-Za-z0-9]{36}"         # GitHub tokens
    r"|xox[baprs]-[A-Za-z0-9-]{10,}"      # Slack tokens
    r"|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\."  # JWT
    r"|://[^/\s:@]+:[^/\s@]+@"            # credentials in a URL
)
HINT = "move it to `secrets:` as a Secrets Manager or SSM parameter ARN; the value was not printed"


def _environments(context):
    for stage in iter_stages(context.config):
        for name in stage.values["environment"]:
            yield stage.origin("environment", name), name, stage.values["environment"][name]
    deploy = context.pipelines.get("deploy") or {}
    for name, value in (deploy.get("environment") or {}).items():
        yield ("pipelines", "deploy", "environment", name), name, value


def looks_secret(name: str, value: str) -> bool:
    if _SECRET_VALUE.search(value):
        return True
    if _SECRET_NAME.search(name) and value and not value.startswith(("arn:", "/", "s3://")):
        return True
    # A long random-looking token (base64 of a key): letters and digits mixed, high entropy.
    return (len(value) >= 32 and " " not in value and not value.startswith(("s3://", "arn:", "http"))
            and any(c.isdigit() for c in value) and any(c.isalpha() for c in value) and _entropy(value) > 4.2)


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def check(context):
    seen = set()
    for path, name, value in _environments(context):
        if path not in seen and looks_secret(name, value):
            seen.add(path)
            yield Finding(path, f"environment variable {name} looks like a secret", HINT, RULE)
