"""A/B and shadow variants are combined only as SageMaker allows, and route some traffic."""

from compiler.checks.finding import Finding

RULE = "endpoint-variants"
DESCRIPTION = ("Endpoint variants: A/B or shadow, not both; no autoscaling; traffic all at once without alarms; "
               "weights route traffic")
ENDPOINT = ("pipelines", "deploy", "endpoint")


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
    if traffic.get("mode", "all-at-once") != "all-at-once" or traffic.get("alarms"):
        # Deployment guardrails (traffic routing, alarm rollback) need "the same variant name" in the
        # new endpoint config as in the old (SageMaker developer guide, "Deployment guardrails",
        # "Exclusions"): a test's variants differ from AllTraffic, so the update is SageMaker's plain one.
        key = "mode" if traffic.get("mode", "all-at-once") != "all-at-once" else "alarms"
        yield Finding(("pipelines", "deploy", "traffic", key), "an endpoint with A/B or shadow variants is updated "
                      "all at once, without rollback alarms",
                      "SageMaker's blue/green guardrails need the old and new endpoint configs to have the same "
                      "variant names (developer guide, Deployment guardrails, Exclusions); set traffic mode "
                      "all-at-once without alarms, and watch the variants with monitor.health", RULE)
    if variants and not any(variant["weight"] > 0 for variant in variants.values()):
        yield Finding(ENDPOINT + ("variants", sorted(variants)[0], "weight"), "every variant's weight is 0: "
                      "no variant would receive traffic",
                      "a variant's share is its weight over the sum of all weights (API reference, "
                      "ProductionVariant: InitialVariantWeight)", RULE)
    if shadow and shadow.get("version", "candidate") == shadow.get("production", "live"):
        yield Finding(ENDPOINT + ("shadow", "version"), f"the shadow serves the production variant's version "
                      f"({shadow.get('version', 'candidate')})", "shadow a different version than production serves",
                      RULE)
