"""No two environments, of one model or of two models checked together (a monorepo), resolve to
the same live AWS resource: a staging deploy must never replace prod's endpoint.

Unlike the other rules, this one looks at every environment at once (`check_across`). Names that
mlopsc derives all start with `<model>-<environment>` (compiler.names.stem), so they differ when
those stems differ; a serving name given explicitly (`endpoint.name`, `function.name`,
`service.name`) is the live resource's exact name, in every environment that has it.
"""

from __future__ import annotations

from compiler import names, switches
from compiler.checks.finding import Finding

RULE = "live-names"
DESCRIPTION = "No two environments or models resolve to the same live AWS resource"
DEPLOY = ("pipelines", "deploy")
#: The serving resource of each deploy target: (what it is, its config key, how its name is made).
SERVING = {
    "sagemaker-endpoint": ("SageMaker endpoint", "endpoint", names.endpoint),
    "lambda": ("Lambda function", "function", names.lambda_function),
    "ecs-service": ("ECS service", "service", names.ecs_service),
}


def check_across(entries):
    """`entries`: (label, environment, effective config) of every valid environment; yields
    (index of the entry, Finding) for each entry whose live name another entry has too."""
    owners: dict[tuple, list] = {}
    for index, (_, environment, config) in enumerate(entries):
        for key, path, explicit in _live_names(environment, config):
            owners.setdefault(key, []).append((index, path, explicit))
    for (what, scope, name), claims in sorted(owners.items(), key=lambda item: repr(item[0])):
        if len(claims) < 2:
            continue
        for index, path, explicit in claims:
            others = ", ".join(entries[other][0] for other, _, _ in claims if other != index)
            yield index, Finding(path, f"{what} '{name}' in {scope} is also the one of {others}",
                                 _hint(what, explicit), RULE)


def _live_names(environment: str, config: dict):
    """((what, scope, name), config path that decides it, whether it was given explicitly)."""
    model = config["model"]["name"]
    platform = config.get("platform") or {}
    place = f"account {platform.get('account')} region {platform.get('region')}"
    yield ("names derived from", place, names.stem(model, environment)), ("model", "name"), False
    deploy = config.get("pipelines", {}).get("deploy")
    if not switches.is_on(deploy) or deploy.get("target") not in SERVING:
        return  # switched off here (`enabled: false`): it serves nothing in this environment
    what, key, make = SERVING[deploy["target"]]
    configured = (deploy.get(key) or {}).get("name")
    scope = f"{place} cluster {platform.get('ecs_cluster')}" if key == "service" else place
    path = DEPLOY + (key, "name") if configured else ("model", "name")
    yield (what, scope, make(model, environment, configured)), path, configured is not None


def _hint(what: str, explicit: bool) -> str:
    if explicit:
        return (f"an explicit name is the {what}'s exact name in every environment that has it: give each "
                "environment in this account and region its own under environments.<env>.pipelines.deploy, "
                "or remove it for the derived '<model>-<environment>'")
    return ("every AWS name is derived from '<model>-<environment>': rename the model or the environment so "
            "that no two are alike in one account and region")
