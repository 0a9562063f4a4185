"""`mlopsc registry variants|promote-variant`: compare the variants of an A/B or shadow test on
their CloudWatch metrics, and end the test with all traffic on the winner.

A/B: all traffic moves to the winner at once with UpdateEndpointWeightsAndCapacities (winner 1,
others 0): SageMaker applies new weights "without deploying a new endpoint configuration"
(developer guide, "Production variants" / API reference, UpdateEndpointWeightsAndCapacities);
the winner's version becomes the approved pointer, so the deploy pipeline deploys it once the
variants are removed from mlops.yaml (which stays the truth: a deployment of a config that still
has variants brings them back).

Shadow: a shadow variant takes no production traffic whatever its weight; ending the test needs an
endpoint config without it, which the next deployment of a config without `endpoint.shadow` creates.
Promoting the shadow records its version as the approved pointer (that deployment then serves it).
"""

from __future__ import annotations

import datetime
import uuid
from typing import Optional

from compiler.errors import Refused
from compiler.registry import items, store

#: SageMaker's endpoint invocation metrics per variant (namespace AWS/SageMaker, dimensions
#: EndpointName and VariantName; developer guide, "Amazon SageMaker AI metrics in Amazon
#: CloudWatch", "Endpoint invocation metrics"). ModelLatency is in microseconds.
METRICS = (("Invocations", "Sum"), ("Invocation4XXErrors", "Sum"), ("Invocation5XXErrors", "Sum"),
           ("ModelLatency", "Average"))


def _endpoint(registry) -> str:
    if not registry.place.endpoint:
        raise Refused(f"{registry._name} deploys to no SageMaker endpoint",
                      "variants are a feature of deploy target sagemaker-endpoint")
    return registry.place.endpoint


def _variants(registry) -> tuple[dict, list, list]:
    """(the endpoint's description, its production variants, its shadow variants)."""
    endpoint = _endpoint(registry)
    described = registry._call(f"describe endpoint {endpoint}", registry.clients.sagemaker.describe_endpoint,
                               EndpointName=endpoint)
    return described, described.get("ProductionVariants") or [], described.get("ShadowProductionVariants") or []


def compare(registry, hours: int, until: Optional[datetime.datetime] = None) -> dict:
    """Each variant's weight and its invocation metrics over the last `hours`."""
    described, production, shadow = _variants(registry)
    until = until or datetime.datetime.now(datetime.timezone.utc)
    rows = []
    for role, variants in (("production", production), ("shadow", shadow)):
        for variant in variants:
            row = {"variant": variant["VariantName"], "role": role, "weight": variant.get("CurrentWeight")}
            for metric, statistic in METRICS:
                found = registry._call(
                    f"read {metric} of variant {variant['VariantName']}", registry.clients.cloudwatch.get_metric_statistics,
                    Namespace="AWS/SageMaker", MetricName=metric, Statistics=[statistic],
                    Dimensions=[{"Name": "EndpointName", "Value": described["EndpointName"]},
                                {"Name": "VariantName", "Value": variant["VariantName"]}],
                    StartTime=until - datetime.timedelta(hours=hours), EndTime=until, Period=hours * 3600)
                points = [point[statistic] for point in found.get("Datapoints", [])]
                row[metric] = (sum(points) if statistic == "Sum" else sum(points) / len(points)) if points else None
            invocations, errors = row["Invocations"], row["Invocation5XXErrors"]
            row["error_rate"] = (errors or 0) / invocations if invocations else None
            rows.append(row)
    return {"model": registry.place.model, "environment": registry.place.environment,
            "endpoint": described["EndpointName"], "hours": hours, "variants": rows}


def _served_version(registry, endpoint_config: str, variant: str, shadow: bool) -> str:
    """The registry version whose model data the variant's model serves."""
    config = registry._call(f"describe endpoint config {endpoint_config}",
                            registry.clients.sagemaker.describe_endpoint_config, EndpointConfigName=endpoint_config)
    listed = config.get("ShadowProductionVariants" if shadow else "ProductionVariants") or []
    model = next(entry["ModelName"] for entry in listed if entry["VariantName"] == variant)
    data = registry._call(f"describe model {model}", registry.clients.sagemaker.describe_model,
                          ModelName=model)["PrimaryContainer"].get("ModelDataUrl")
    for version in registry.versions():
        if data and version.get("model_data") == data:
            return version["version"]
    raise Refused(f"{registry._name}: the model of variant {variant} ({data}) is no registered version",
                  "promote a variant the deploy pipeline deployed")


def promote(registry, winner: str) -> dict:
    """All traffic to `winner` (an A/B variant), or the shadow's version recorded for the next
    deployment; either way the winner's version becomes the approved pointer."""
    registry._require_deploy()
    if registry.deployment_lock().get("status") == items.DEPLOYING:
        raise Refused(f"{registry._name}: a deployment is running", "wait for it to end (`mlopsc registry history`)")
    described, production, shadow = _variants(registry)
    names = [v["VariantName"] for v in production]
    shadows = [v["VariantName"] for v in shadow]
    if winner not in names + shadows:
        raise Refused(f"{registry._name}: endpoint {described['EndpointName']} has no variant '{winner}'",
                      f"its variants: {', '.join(names + shadows)}")
    version = _served_version(registry, described["EndpointConfigName"], winner, winner in shadows)
    found = registry.version(version)
    if found.get("approval") != items.APPROVED:
        raise Refused(f"{registry._name}: variant {winner} serves version '{version}', which is "
                      f"{found.get('approval')}", "only approved versions are promoted")
    if winner in names and len(names) > 1:
        weights = [{"VariantName": name, "DesiredWeight": 1.0 if name == winner else 0.0} for name in names]
        registry._call(f"move all traffic of {described['EndpointName']} to {winner}",
                       registry.clients.sagemaker.update_endpoint_weights_and_capacities,
                       EndpointName=described["EndpointName"], DesiredWeightsAndCapacities=weights)
    at = store.now()
    order = items.order_key(at[:19] + "Z", 1, str(uuid.uuid4()))  # as event times are: whole seconds
    write = items.pointer_write(registry.place.model, registry.place.environment, version, found.get("model_data"),
                                "", at, order)
    try:
        registry._call(f"record version {version} as approved", registry.clients.dynamodb.update_item,
                       **write.request(registry.place.table))
    except store._ConditionFailed:
        pass  # a later approval moved the pointer already: it stays there
    return {"model": registry.place.model, "environment": registry.place.environment, "variant": winner,
            "version": version, "traffic_moved": winner in names and len(names) > 1,
            "shadow": winner in shadows}

