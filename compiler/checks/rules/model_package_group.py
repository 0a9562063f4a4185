"""`register.sagemaker.model_package_group`: one model environment's versions per group. Two
environments (of one model, or of two models checked together) registering into the same group in
one account and region would mix their versions and decisions: an approval in one environment
would look like an approval of the group's model, and whatever deploys the group's latest
approved package (SageMaker Projects' deploy templates do: "MLOps template for model building,
training, and deployment", SageMaker Developer Guide) would deploy the other environment's.

Like live-names, this rule looks at every environment at once (`check_across`).
"""

from __future__ import annotations

from compiler import switches
from compiler.checks.finding import Finding

RULE = "model-package-group"
DESCRIPTION = "No two environments or models register into the same SageMaker model package group"
PATH = ("pipelines", "retrain", "register", "sagemaker", "model_package_group")


def check_across(entries):
    """`entries`: (label, environment, effective config) of every valid environment."""
    owners: dict[tuple, list] = {}
    for index, (_, _, config) in enumerate(entries):
        retrain = config.get("pipelines", {}).get("retrain")
        group = (((retrain or {}).get("register") or {}).get("sagemaker") or {}).get("model_package_group")
        if not group or not switches.is_on(retrain):
            continue
        platform = config.get("platform") or {}
        # Group names are case-insensitive in their ARNs (SageMaker writes them in lowercase).
        owners.setdefault((platform.get("account"), platform.get("region"), group.lower()), []).append(index)
    for (account, region, group), claims in sorted(owners.items(), key=lambda item: repr(item[0])):
        if len(claims) < 2:
            continue
        for index in claims:
            others = ", ".join(entries[other][0] for other in claims if other != index)
            yield index, Finding(PATH, f"model package group '{group}' in account {account} region {region} is "
                                       f"also the one of {others}",
                                 "give each environment its own group, e.g. under environments.<env>.pipelines.retrain."
                                 "register.sagemaker: '<model>-<environment>'", RULE)
