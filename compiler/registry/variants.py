"""`mlopsc registry variants|promote-variant`: compare the variants of an A/B or shadow test on
their CloudWatch metrics, and end the test with all traffic on the winner.

A/B: all traffic moves to the winner at once with UpdateEndpointWeightsAndCapacities (winner 1,
others 0): SageMaker applies new weights "without deploying a new endpoint configuration"
(developer guide, "Production variants" / API reference, UpdateEndpointWeightsAndCapacities);
the winner's version becomes the approved pointer, so the deploy pipeline deploys it once the
variants are removed from mlops.yaml (which stays the truth: a deployment of a config that still
has variants brings them back).

Shadow: a shadow variant takes no production traffic whatever its weight; ending the test needs an
endpoint config without it (developer guide, "Create a shadow test": after the test one may promote
the shadow variant to be the new production variant, which then answers all requests; "Testing
models with shadow variants" deploys them as ShadowProductionVariants of an endpoint config).
promote-variant does that itself: a new endpoint config copied from the
running one (data capture, KMS key, async config, role, VPC, tags) with one production variant,
under the production variant's name and capacity (its alarms and metrics are keyed on that name),
serving the winner's model, and no ShadowProductionVariants; then UpdateEndpoint to it. The winner's
version becomes the approved pointer, as for A/B; mlops.yaml still names the shadow until it is
removed there, and the next deployment of a config that keeps `endpoint.shadow` brings one back.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Optional

from compiler.errors import AwsError, Refused
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
    try:
        described = registry._call(f"describe endpoint {endpoint}", registry.clients.sagemaker.describe_endpoint,
                                   EndpointName=endpoint)
    except AwsError as error:
        if "Could not find endpoint" not in str(error):  # SageMaker's ValidationException for a missing one
            raise
        raise Refused(f"{registry._name}: endpoint {endpoint} does not exist in account {registry.place.account}, "
                      f"{registry.place.region}", "apply the environment and deploy a version first") from None
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


def _served_version(registry, config: dict, variant: str, shadow: bool) -> str:
    """The registry version whose model data the variant's model serves (`config`: the endpoint's)."""
    listed = config.get("ShadowProductionVariants" if shadow else "ProductionVariants") or []
    model = next(entry["ModelName"] for entry in listed if entry["VariantName"] == variant)
    data = registry._call(f"describe model {model}", registry.clients.sagemaker.describe_model,
                          ModelName=model)["PrimaryContainer"].get("ModelDataUrl")
    serving = sorted(version["version"] for version in registry.versions() if data and version.get("model_data") == data)
    if len(serving) == 1:
        return serving[0]
    if not serving:
        raise Refused(f"{registry._name}: the model of variant {variant} ({data}) is no registered version",
                      "promote a variant the deploy pipeline deployed")
    raise Refused(f"{registry._name}: the model data of variant {variant} ({data}) is that of versions "
                  f"{', '.join(serving)}", "promote by version instead: `mlopsc registry approve VERSION`")


def _decision_order(superseded: str) -> str:
    """The approved pointer's order of a decision taken after reading `superseded` (the pointer's
    order then): now, in whole seconds as event times are, but at least a second after what it
    read, so that neither the same second nor a clock behind EventBridge's puts it before the
    deployment it ends."""
    second = store.now()[:19] + "Z"
    read = superseded.split("#", 1)[0]
    if read and second <= read:
        second = (datetime.datetime.strptime(read, "%Y-%m-%dT%H:%M:%SZ")
                  + datetime.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return items.order_key(second, 1, str(uuid.uuid4()))


def _own_tags(registry, config: dict) -> list:
    """The endpoint config's tags, every page, without AWS's own (`aws:` keys are reserved: "You
    can't edit or delete tag keys with this prefix", Tagging AWS resources, "Tag naming limits")."""
    listed, request = [], {"ResourceArn": config["EndpointConfigArn"]}
    while True:
        page = registry._call(f"read the tags of endpoint config {config['EndpointConfigName']}",
                              registry.clients.sagemaker.list_tags, **request)
        listed += [tag for tag in page.get("Tags") or [] if not tag["Key"].startswith("aws:")]
        if not page.get("NextToken"):
            return listed
        request["NextToken"] = page["NextToken"]


def _record_winner(registry, version: str, model_data: Optional[str], superseded: str) -> None:
    """The winner's version is live (the next deployment's variants serving `live` serve it) and
    approved; refused if a deployment started or the pointer moved since it was read."""
    live = items.live_version_write(registry.place.model, registry.place.environment, version)
    try:
        registry._call(f"record version {version} as live", registry.clients.dynamodb.update_item,
                       **live.request(registry.place.table))
    except store._ConditionFailed:
        raise Refused(f"{registry._name}: a deployment started while variant traffic moved to version '{version}'",
                      "read `mlopsc registry history` and run promote-variant again once it ends") from None
    write = items.pointer_write(registry.place.model, registry.place.environment, version, model_data,
                                "", store.now(), _decision_order(superseded))
    try:
        registry._call(f"record version {version} as approved", registry.clients.dynamodb.update_item,
                       **write.request(registry.place.table))
    except store._ConditionFailed:
        moved = registry.pointers().get("approved_version")
        raise Refused(f"{registry._name}: the approved pointer moved to version '{moved}' while variant traffic "
                      f"moved to version '{version}'", "read `mlopsc registry history` and run promote-variant "
                      "again if it still stands") from None


def promote(registry, winner: str) -> dict:
    """All traffic to `winner` (an A/B variant), or the endpoint updated to a config without the
    shadow that serves the winner; either way the winner's version becomes the live version and
    the approved pointer (_record_winner)."""
    registry._require_deploy()
    if registry.deployment_lock().get("status") == items.DEPLOYING:
        raise Refused(f"{registry._name}: a deployment is running", "wait for it to end (`mlopsc registry history`)")
    described, production, shadow = _variants(registry)
    names = [v["VariantName"] for v in production]
    shadows = [v["VariantName"] for v in shadow]
    if winner not in names + shadows:
        raise Refused(f"{registry._name}: endpoint {described['EndpointName']} has no variant '{winner}'",
                      f"its variants: {', '.join(names + shadows)}")
    if len(names) < 2 and not shadows:
        raise Refused(f"{registry._name}: endpoint {described['EndpointName']} runs no A/B or shadow test "
                      f"(one variant, {', '.join(names)}, and no shadow)", "nothing to end: deploy a version to change "
                      "what it serves (`mlopsc registry approve` or `rollback`)")
    superseded = registry.pointers().get("approved_order", "")
    config = _endpoint_config(registry, described["EndpointConfigName"])
    version = _served_version(registry, config, winner, winner in shadows)
    found = registry.version(version)
    if found.get("approval") != items.APPROVED:
        raise Refused(f"{registry._name}: variant {winner} serves version '{version}', which is "
                      f"{found.get('approval')}", "only approved versions are promoted")
    ended_config = None
    if shadows:
        ended_config = _end_shadow_test(registry, described["EndpointName"], config, winner, winner in shadows)
    elif winner in names and len(names) > 1:
        weights = [{"VariantName": name, "DesiredWeight": 1.0 if name == winner else 0.0} for name in names]
        registry._call(f"move all traffic of {described['EndpointName']} to {winner}",
                       registry.clients.sagemaker.update_endpoint_weights_and_capacities,
                       EndpointName=described["EndpointName"], DesiredWeightsAndCapacities=weights)
    _record_winner(registry, version, found.get("model_data"), superseded)
    detail = {"model": registry.place.model, "environment": registry.place.environment, "variant": winner,
              "version": version, "traffic_moved": not shadows and len(names) > 1, "shadow": winner in shadows}
    if ended_config:
        detail.update(shadow_ended=True, endpoint=described["EndpointName"],
                      previous_endpoint_config=described["EndpointConfigName"], endpoint_config=ended_config)
    return detail


def _end_shadow_test(registry, endpoint: str, config: dict, winner: str, shadow_wins: bool) -> str:
    """A new endpoint config serving only the winner's model, and the endpoint updated to it; its name."""
    sagemaker = registry.clients.sagemaker
    production = config["ProductionVariants"][0]  # rule endpoint-variants: a shadow test has one production variant
    model = next(v["ModelName"] for v in config["ShadowProductionVariants"] if v["VariantName"] == winner) \
        if shadow_wins else production["ModelName"]
    kept = sagemaker.meta.service_model.operation_model("CreateEndpointConfig").input_shape.members
    request = {key: value for key, value in config.items() if key in kept and key not in (
        "EndpointConfigName", "ProductionVariants", "ShadowProductionVariants", "Tags")}
    name = _ended_config_name(endpoint)
    request.update(EndpointConfigName=name, ProductionVariants=[dict(production, ModelName=model, InitialVariantWeight=1.0)])
    tags = _own_tags(registry, config)
    if tags:
        request["Tags"] = tags
    registry._call(f"create endpoint config {name}", sagemaker.create_endpoint_config, **request)
    try:
        registry._call(f"update endpoint {endpoint} to {name}", sagemaker.update_endpoint,
                       EndpointName=endpoint, EndpointConfigName=name)
    except AwsError as error:
        raise AwsError(f"{error} (endpoint config {name} was created; the endpoint still runs the shadow test)",
                       "see the AWS message (an endpoint that is Updating or Creating takes no update: wait for "
                       "InService), then run promote-variant again") from None
    return name


def _ended_config_name(endpoint: str) -> str:
    """`<endpoint>-promoted-<UTC time>`, within SageMaker's 63 characters of [a-zA-Z0-9-]."""
    stamp = store.now()[:19].replace("-", "").replace(":", "").replace("T", "")
    return f"{endpoint[:63 - len('-promoted-') - len(stamp)]}-promoted-{stamp}"


def _endpoint_config(registry, name: str) -> dict:
    return registry._call(f"describe endpoint config {name}", registry.clients.sagemaker.describe_endpoint_config,
                          EndpointConfigName=name)

