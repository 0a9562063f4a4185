"""A/B production variants and shadow tests of deploy target `sagemaker-endpoint`
(docs/state-machines.md, "A/B and shadow tests"): the endpoint config's variants, and the states that
read, check and create the model of every variant that does not serve the deployment's version.

What a variant's `version` means in the registry:
- `candidate`: the version this deployment deploys (the one requested, else the approved one),
  whose model the deploy pipeline creates anyway (`$.deployment.model`);
- `live`: the version serving production traffic, which the deployment item's `live_version`
  records (`Record deployed`: the deployment's version without a test; during one, the version of
  the shadow test's production variant or of the A/B variant `live_variant` names;
  `mlopsc registry promote-variant`: the winner's), read before this deployment takes its lock.
  A shadow or A/B deployment of a candidate does not make it live: the next deployment's `live` is
  still what production served. With no `live_version` recorded (no deployment succeeded since
  mlopsc records it), the deployment fails before its lock (NoLiveVersion);
- anything else: that version id.

The endpoint is updated without DeploymentConfig: SageMaker's deployment guardrails (traffic
routing, alarm rollback) need the new endpoint config to have "the same variant name as the old
endpoint configuration" (developer guide, "Deployment guardrails", "Exclusions"), which a test's
variants do not (rule endpoint-variants asks for traffic all at once, without alarms).
"""

from __future__ import annotations

from compiler import names
from compiler.model import Variant
from compiler.render import alarms
from compiler.render.asl.shared_states import failure_chain
from compiler.render.asl.traffic_shift import alarm_check
from compiler.render.naming import Naming, SAGEMAKER_VARIANT, states_format

CANDIDATE, LIVE = "candidate", "live"
#: Where the deployment item read before the lock is kept, the live version in it, and one
#: variant's version item.
LIVE_PATH, LIVE_VERSION_PATH, VARIANT_VERSION_PATH = "$.live", "$.live.Item.live_version.S", "$.variant_version"


def has_variants(endpoint) -> bool:
    return bool(endpoint.variants or endpoint.shadow)


def production_variants(endpoint) -> tuple:
    """The endpoint's production variants: the A/B variants, or during a shadow test the one
    variant AllTraffic serving `shadow.production`."""
    if endpoint.variants:
        return endpoint.variants
    return (Variant(SAGEMAKER_VARIANT, endpoint.shadow_production, 1.0, endpoint.instance_type,
                    endpoint.instance_count),)


def _all_variants(endpoint) -> tuple:
    return production_variants(endpoint) + ((endpoint.shadow,) if endpoint.shadow else ())


def _model_name(naming: Naming, variant: Variant) -> str:
    """The per-deployment model of a variant that serves another version than the deployment's."""
    if variant.version == CANDIDATE:
        return "$.deployment.model"
    prefix = names.job_prefix(naming.config.name, f"{naming.config.environment}-{variant.name}", "sagemaker_model")
    return states_format(prefix + "-{}", "$.deployment.token")


def _production_variant(naming: Naming, variant: Variant) -> dict:
    return {"VariantName": variant.name, "ModelName.$": _model_name(naming, variant),
            "InstanceType": variant.instance_type, "InitialInstanceCount": variant.instance_count,
            "InitialVariantWeight": variant.weight}


def endpoint_config_variants(naming: Naming, endpoint) -> dict:
    """ProductionVariants and ShadowProductionVariants of the endpoint config. A shadow's weight
    relative to the production variant's 1.0 is the share of requests copied to it (SageMaker
    developer guide, "Shadow variants"; API reference, CreateEndpointConfig:
    ShadowProductionVariants)."""
    config = {"ProductionVariants": [_production_variant(naming, variant) for variant in production_variants(endpoint)]}
    if endpoint.shadow:
        config["ShadowProductionVariants"] = [_production_variant(naming, endpoint.shadow)]
    return config


def variant_states(naming: Naming, deploy, failures: dict, container: dict, then: str) -> dict:
    """The template context of the variants' states: the live-version read before the lock (when
    a variant serves `live`) and, per variant serving another version than the deployment's, a
    read of its version item, its check and its model, chained to `then`."""
    endpoint = deploy.endpoint
    others = [variant for variant in _all_variants(endpoint) if variant.version != CANDIDATE]
    uses_live = any(variant.version == LIVE for variant in others)
    if uses_live:
        failures["no_live_version"] = failure_chain(
            naming, "deploy", "no live version", "NoLiveVersion",
            "A variant serves the live version, but no deployment recorded one (none succeeded since mlopsc records "
            "live_version): deploy without variants first, or name the version in endpoint.variants.",
            "DeploymentFailed")
    if others:  # (only its states lead there)
        failures["variant_not_deployable"] = failure_chain(
            naming, "deploy", "variant version not deployable", "VariantVersionNotDeployable",
            "A version a variant serves is not in the registry, not approved, or has no image of the serving runtime.",
            "DeploymentFailed", record=failures["failed"]["record"])
    image = f"{VARIANT_VERSION_PATH}.Item.images.M['{deploy.runtime}'].S"
    models = []
    for variant, following in zip(others, others[1:] + [None]):
        source = LIVE_VERSION_PATH if variant.version == LIVE else None
        sort_key = ({"S.$": states_format(naming.version_key_prefix() + "{}", source)} if source
                    else {"S": naming.version_key_prefix() + variant.version})
        models.append({
            "read": f"Read version: {variant.name}", "check": f"Check version: {variant.name}",
            "create": f"Create model: {variant.name}",
            "next": f"Read version: {following.name}" if following else then,
            "get_item": {"TableName": naming.platform.registry_table, "ConsistentRead": True,
                         "Key": {"pk": {"S": naming.model_key}, "sk": sort_key}},
            "deployable": {"And": [{"Variable": f"{VARIANT_VERSION_PATH}.Item", "IsPresent": True},
                                   {"Variable": f"{VARIANT_VERSION_PATH}.Item.approval.S", "StringEquals": "approved"},
                                   {"Variable": image, "IsPresent": True}],
                           "Next": f"Create model: {variant.name}"},
            "create_model": {**container["create_model"], "ModelName.$": _model_name(naming, variant),
                             "PrimaryContainer": {**container["create_model"]["PrimaryContainer"], "Image.$": image,
                                                  "ModelDataUrl.$": f"{VARIANT_VERSION_PATH}.Item.model_data.S"}},
        })
    return {
        "variant_models": models,
        "after_create_model": models[0]["read"] if models else then,
        "version_checked": "Read live deployment" if uses_live else "Lock deployment",
        "read_live": {"TableName": naming.platform.registry_table, "ConsistentRead": True,
                      "Key": naming.key(naming.deployment_key)} if uses_live else None,
        "live_known": {"Variable": LIVE_VERSION_PATH, "IsPresent": True, "Next": "Lock deployment"},
    }


def live_variant(endpoint) -> Variant:
    """The variant whose version is live once the deployment ends: the production variant of a
    shadow test; of an A/B test, the variant serving `live` (it stays live), else the heaviest
    (the first of equals)."""
    if not endpoint.variants:
        return production_variants(endpoint)[0]
    serving_live = [variant for variant in endpoint.variants if variant.version == LIVE]
    return serving_live[0] if serving_live else max(endpoint.variants, key=lambda variant: variant.weight)


def live_version_value(endpoint) -> dict:
    """The deployment item's `live_version` as `Record deployed` writes it (a DynamoDB value)."""
    version = live_variant(endpoint).version
    if version == CANDIDATE:
        return {"S.$": "$.request.version"}
    return {"S.$": LIVE_VERSION_PATH} if version == LIVE else {"S": version}


#: The first state of the variants' watch, where the endpoint's update ends when it serves them.
WATCH_START = "Wait variant bake"


def watched_variants(endpoint) -> tuple:
    """The A/B variants under test: those serving the candidate or a named version; a variant
    serving `live` is what the others are compared with, and keeps its traffic."""
    return tuple(variant for variant in endpoint.variants if variant.version != LIVE)


def variant_watch(naming: Naming, deploy) -> dict | None:
    """The states that watch an A/B test once the endpoint serves it (None: nothing to watch):
    wait `traffic.bake`, read the health alarms `<alarm>-<variant>` (render/alarms.py
    `health_alarms`) of the variants under test, and if any is in ALARM set those variants'
    DesiredWeight to 0, which moves their traffic to the others without a new endpoint config
    (SageMaker API reference, UpdateEndpointWeightsAndCapacities; DesiredWeightAndCapacity:
    DesiredWeight). Rule endpoint-variants refuses alarms that are not the monitor's or no bake."""
    endpoint, traffic = deploy.endpoint, deploy.traffic
    watched = watched_variants(endpoint) if endpoint.variants else ()
    if not (watched and traffic.alarms and traffic.bake_seconds):
        return None
    # traffic.alarms holds `monitor:<kind>` resolved to the environment's alarm name; the
    # variant's alarm is named from the kind (names.fit may shorten either name differently).
    kinds = alarms.rollback_alarm_kinds(naming)
    alarm_names = [naming.alarm(f"{kinds[alarm]}-{variant.name}") for alarm in traffic.alarms for variant in watched]
    return {"bake": traffic.bake_seconds, "alarms": alarm_check(alarm_names),
            "stop_variants": {"EndpointName": endpoint.name,
                              "DesiredWeightsAndCapacities": [{"VariantName": variant.name, "DesiredWeight": 0}
                                                              for variant in watched]}}
