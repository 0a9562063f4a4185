"""A/B and shadow variants are combined only as SageMaker allows, and route some traffic."""

from compiler.checks.finding import Finding

RULE = "endpoint-variants"
DESCRIPTION = ("An endpoint has A/B variants or a shadow test, not both, without autoscaling, and its variants' "
               "weights route some traffic")
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
    health = (context.config.get("monitor") or {}).get("health")
    if variants and health:
        # The health alarms watch the variant AllTraffic (render/alarms.py serving_metrics), which an
        # A/B endpoint does not have: they would never fire. Per-variant alarms are not built yet.
        yield Finding(ENDPOINT + ("variants",), "monitor.health alarms watch the one variant AllTraffic, which "
                      "an endpoint with A/B variants does not have",
                      "remove monitor.health while the A/B test runs and compare the variants with "
                      "`mlopsc registry variants`; a shadow test keeps AllTraffic and its alarms", RULE)
    if variants and not any(variant["weight"] > 0 for variant in variants.values()):
        yield Finding(ENDPOINT + ("variants", sorted(variants)[0], "weight"), "every variant's weight is 0: "
                      "no variant would receive traffic",
                      "a variant's share is its weight over the sum of all weights (API reference, "
                      "ProductionVariant: InitialVariantWeight)", RULE)
    if shadow and shadow.get("version", "candidate") == shadow.get("production", "live"):
        yield Finding(ENDPOINT + ("shadow", "version"), f"the shadow serves the production variant's version "
                      f"({shadow.get('version', 'candidate')})", "shadow a different version than production serves",
                      RULE)
