"""What SageMaker refuses of an endpoint's serving mode: Serverless Inference without instances,
autoscaling, asynchronous inference or data capture; scale to zero only where requests wait in a
queue (asynchronous inference). The platform's subnets are not refused: they are the Fargate
stages' too, and the serverless model is created without VpcConfig (render)."""

from compiler.checks.finding import Finding

RULE = "endpoint-serving-mode"
DESCRIPTION = ("Serverless: no instances, autoscaling, async, variants, shadow or capture; async: no shadow; "
               "provisioned <= max concurrency; scale to zero needs async")
ENDPOINT = ("pipelines", "deploy", "endpoint")

#: SageMaker developer guide, "Deploy models with Amazon SageMaker Serverless Inference": "Feature
#: exclusions" (GPUs, Marketplace packages, private registries, multi-model endpoints, VPC
#: configuration, network isolation, data capture, multiple production variants, Model Monitor,
#: inference pipelines); ProductionVariant: "Specify either InstanceType and InitialInstanceCount or
#: ServerlessConfig" (SageMaker API reference).
SERVERLESS_GUIDE = "SageMaker Serverless Inference, \"Feature exclusions\""
#: Keys of the monitor section that need the endpoint's data capture.
CAPTURING_MONITOR_KEYS = ("capture", "baseline", "drift")


def check(context):
    deploy = context.pipelines.get("deploy") or {}
    if deploy.get("target") != "sagemaker-endpoint":
        return
    endpoint = deploy.get("endpoint") or {}
    if endpoint.get("serverless"):
        yield from _serverless(context, endpoint)
    if endpoint.get("async") and endpoint.get("shadow"):
        yield Finding(ENDPOINT + ("shadow",), "an asynchronous endpoint cannot run a shadow test",
                      "SageMaker guide, \"Create a shadow test\": an endpoint that uses serverless or asynchronous "
                      "inference cannot run shadow tests; remove endpoint.shadow or endpoint.async", RULE)
    scaling = endpoint.get("autoscaling") or {}
    if scaling.get("min") == 0 and not endpoint.get("async"):
        yield Finding(ENDPOINT + ("autoscaling", "min"), "autoscaling.min 0 (scale to zero) needs `async`",
                      "a real-time endpoint's variant serves each request at once, so it keeps an instance; "
                      "scaling to zero is for asynchronous inference, whose requests wait in a queue (SageMaker "
                      "guide, \"Autoscale an asynchronous endpoint\"): set min: 1 or add endpoint.async", RULE)


def _serverless(context, endpoint: dict):
    serverless = endpoint["serverless"]
    for key, what in (("instance_type", "instance type"), ("instance_count", "instance count"),
                      ("autoscaling", "instance autoscaling (it scales itself, up to max_concurrency)"),
                      ("async", "asynchronous inference, which runs on instances"),
                      ("variants", "A/B production variants (multiple production variants)"),
                      ("shadow", "shadow variant (a second variant beside production)")):
        if key in endpoint:
            yield Finding(ENDPOINT + (key,), f"a serverless endpoint takes no {what}",
                          f"remove endpoint.{key} or endpoint.serverless ("
                          + (f"{SERVERLESS_GUIDE}: multiple production variants)" if key in ("variants", "shadow") else
                             "SageMaker API reference, ProductionVariant: InstanceType and InitialInstanceCount, "
                             "or ServerlessConfig)"), RULE)
    provisioned = serverless.get("provisioned_concurrency")
    if provisioned and provisioned > serverless["max_concurrency"]:
        yield Finding(ENDPOINT + ("serverless", "provisioned_concurrency"),
                      f"provisioned_concurrency {provisioned} is above max_concurrency {serverless['max_concurrency']}",
                      "ProvisionedConcurrency \"should be less than or equal to MaxConcurrency\" (SageMaker API "
                      "reference, ProductionVariantServerlessConfig)", RULE)
    monitor = context.config.get("monitor") or {}
    if monitor.get("enabled", True):
        for key in CAPTURING_MONITOR_KEYS:
            if key in monitor:
                yield Finding(("monitor", key), f"monitor.{key} needs the endpoint's data capture, which a serverless "
                              "endpoint does not have",
                              f"{SERVERLESS_GUIDE}: data capture and Model Monitor; keep monitor.health only, "
                              "or serve on instances", RULE)
