"""A/B and shadow variants are combined only as SageMaker allows, and route some traffic."""

from compiler.checks.finding import Finding

RULE = "endpoint-variants"
DESCRIPTION = ("Endpoint variants: A/B or shadow, not both; no autoscaling; no monitor rollback alarm beside A/B; "
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
    watched = [alarm for alarm in (deploy.get("traffic") or {}).get("alarms") or () if str(alarm).startswith("monitor:")]
    if variants and watched:
        # monitor.health's alarms are per variant here (`<alarm>-<variant>`, render/alarms.py): there
        # is no endpoint-wide `monitor:<alarm>` for a rollback to watch.
        yield Finding(("pipelines", "deploy", "traffic", "alarms"), f"{', '.join(watched)}: an endpoint with A/B "
                      "variants has its health alarms per variant, none for the whole endpoint",
                      "deploy the A/B variants with traffic mode all-at-once, or name CloudWatch alarms of your own; "
                      "the health alarms of each variant still notify", RULE)
    if variants and not any(variant["weight"] > 0 for variant in variants.values()):
        yield Finding(ENDPOINT + ("variants", sorted(variants)[0], "weight"), "every variant's weight is 0: "
                      "no variant would receive traffic",
                      "a variant's share is its weight over the sum of all weights (API reference, "
                      "ProductionVariant: InitialVariantWeight)", RULE)
    if shadow and shadow.get("version", "candidate") == shadow.get("production", "live"):
        yield Finding(ENDPOINT + ("shadow", "version"), f"the shadow serves the production variant's version "
                      f"({shadow.get('version', 'candidate')})", "shadow a different version than production serves",
                      RULE)
