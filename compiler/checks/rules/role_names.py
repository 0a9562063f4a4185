"""Role names fit IAM's limit once `{model}` is replaced by this model's name."""

from compiler import names
from compiler.checks.finding import Finding

RULE = "role-name"
DESCRIPTION = "Role names fit IAM's 64 characters once {model} is replaced by the model's name"
LIMIT = names.LIMITS["iam_role"]


def check(context):
    model = (context.config.get("model") or {}).get("name")
    if not isinstance(model, str):
        return
    for role, arn in sorted((context.platform.get("roles") or {}).items()):
        if not isinstance(arn, str) or ":role/" not in arn:
            continue  # not a role ARN at all: the arn rule says so
        name = names.role_name(names.role_arn(arn, model))
        if len(name) <= LIMIT:
            continue
        if names.MODEL_PLACEHOLDER in names.role_name(arn):
            fixed = len(names.role_name(arn)) - len(names.MODEL_PLACEHOLDER)
            yield Finding(("platform", "roles", role),
                          f"with model '{model}', the role name is {len(name)} characters; IAM allows {LIMIT}",
                          f"the text around {names.MODEL_PLACEHOLDER} has {fixed} characters: keep it to "
                          f"{LIMIT - len(model)} for this model (to {LIMIT - 32} for every model name, "
                          "which may have 32)", RULE)
        else:
            yield Finding(("platform", "roles", role), f"the role name is {len(name)} characters; IAM allows {LIMIT}",
                          "use a shorter role name", RULE)
