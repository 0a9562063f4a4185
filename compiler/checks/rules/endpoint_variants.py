"""A/B and shadow variants are combined only as SageMaker allows, and route some traffic."""

from compiler.checks.finding import Finding
from compiler.checks.rules.monitor_alarm_refs import MONITOR_REFERENCE

RULE = "endpoint-variants"
DESCRIPTION = ("Endpoint variants: A/B or shadow, not both; no autoscaling; traffic all at once; A/B rolls back "
               "on monitor: alarms after a bake; weights route traffic")
ENDPOINT = ("pipelines", "deploy", "endpoint")
TRAFFIC = ("pipelines", "deploy", "traffic")


def check(context):
    deploy = context.pipelines.get("deploy") or {}
    endpoint = deploy.get("endpoint") or {}
    variants, shadow = endpoint.get("variants") or {}, endpoint.get("shadow")
    if deploy.get("target") != "sagemaker-endpoint" or not (variants or shadow):
        return
    if variants and shadow:
        yield Finding(ENDPOINT + ("shadow",), "a shadow test cannot run beside A/B variants",
                      "SageMaker: with ShadowProductionVariants an endpoint config has exactly one production "
                      "variant (API reference, CreateEndpointConfig); run the A/B test or the shadow test", RULE)
    if endpoint.get("autoscaling"):
        yield Finding(ENDPOINT + ("autoscaling",), "autoscaling scales the single variant AllTraffic, which an "
                      "endpoint with variants or a shadow test does not have",
                      "size each variant with its instance_count instead", RULE)
    traffic = deploy.get("traffic") or {}
    yield from _traffic(traffic, variants, shadow)
    if variants and not any(variant["weight"] > 0 for variant in variants.values()):
        yield Finding(ENDPOINT + ("variants", sorted(variants)[0], "weight"), "every variant's weight is 0: "
                      "no variant would receive traffic",
                      "a variant's share is its weight over the sum of all weights (API reference, "
                      "ProductionVariant: InitialVariantWeight)", RULE)
    if shadow and shadow.get("version", "candidate") == shadow.get("production", "live"):
        yield Finding(ENDPOINT + ("shadow", "version"), f"the shadow serves the production variant's version "
                      f"({shadow.get('version', 'candidate')})", "shadow a different version than production serves",
                      RULE)


def _traffic(traffic: dict, variants: dict, shadow) -> list:
    """Deployment guardrails (traffic routing, alarm rollback) need "the same variant name" in the
    new endpoint config as in the old (SageMaker developer guide, "Deployment guardrails",
    "Exclusions"): a test's variants differ from AllTraffic, so the update is SageMaker's plain
    one, all at once. An A/B test is watched by the pipeline instead (render/asl/endpoint_variants.py
    `variant_watch`): after `bake`, the monitor's health alarms of each variant under test."""
    findings = []
    if traffic.get("mode", "all-at-once") != "all-at-once":
        findings.append(Finding(TRAFFIC + ("mode",), "an endpoint with A/B or shadow variants is updated all at once",
                                "SageMaker's blue/green guardrails need the old and new endpoint configs to have the "
                                "same variant names (developer guide, Deployment guardrails, Exclusions); set traffic "
                                "mode all-at-once, and roll an A/B test back with alarms and bake", RULE))
    alarms, bake = traffic.get("alarms") or [], "bake" in traffic
    if shadow and (alarms or bake):
        key = "alarms" if alarms else "bake"
        findings.append(Finding(TRAFFIC + (key,), f"a shadow test has no traffic.{key}: its shadow answers no request "
                                "and nothing rolls it back", "remove traffic.alarms and traffic.bake; watch the "
                                "shadow with monitor.health", RULE))
        return findings
    for index, alarm in enumerate(alarms):
        if not alarm.startswith(MONITOR_REFERENCE):
            findings.append(Finding(TRAFFIC + ("alarms", index), f"'{alarm}' cannot tell the A/B variants apart: "
                                    "the pipeline watches each variant under test with the monitor's health alarms "
                                    "of that variant", "use monitor:error-rate or monitor:latency-p99 (one alarm per "
                                    "variant, named <alarm>-<variant>)", RULE))
    live = [variant for variant in variants.values() if variant.get("version") == "live"]
    if alarms and len(live) == len(variants):
        findings.append(Finding(TRAFFIC + ("alarms",), "every variant serves the live version: no variant is under "
                                "test, so no alarm can roll one back", "serve the candidate or a version id in a "
                                "variant, or remove traffic.alarms", RULE))
    elif alarms and not any(variant.get("weight", 0) > 0 for variant in live):
        # The rollback sets the variants under test to weight 0: a live variant must take the traffic.
        findings.append(Finding(TRAFFIC + ("alarms",), "no variant serves the live version with a weight above 0: "
                                "rolling the variants under test back would leave no variant any traffic",
                                "add a variant {version: live, weight: ...} beside those under test", RULE))
    elif alarms and not bake:
        findings.append(Finding(TRAFFIC + ("alarms",), "the variants' alarms are read once traffic.bake has passed, "
                                "and bake is not set", "set traffic.bake to at least the rollback window "
                                "(monitor.health.evaluation_periods x 5 minutes)", RULE))
    if bake and not alarms:
        findings.append(Finding(TRAFFIC + ("bake",), "an A/B test bakes only to read its alarms, and traffic.alarms "
                                "is empty", "add traffic.alarms: [monitor:error-rate], or remove bake", RULE))
    return findings
