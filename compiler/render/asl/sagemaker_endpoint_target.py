"""Deploy target `sagemaker-endpoint` (templates/asl/_deploy_sagemaker-endpoint.j2): a new model and
endpoint config, then a blue/green update of the endpoint (or its creation), with data capture
and autoscaling when configured."""

from __future__ import annotations

from compiler import names
from compiler.render.asl import endpoint_variants
from compiler.render.asl.traffic_shift import rollback_alarms, watch_states
from compiler.render.asl.shared_states import failure_chain, poll_states
from compiler.render.naming import Naming, SAGEMAKER_VARIANT, TOKEN, states_format
from compiler.render.stage_parameters import vpc_config


#: Room for SageMaker to provision the new fleet, on top of the traffic steps' waits.
FLEET_PROVISIONING_SECONDS = 3600


def blue_green_timeout(traffic, termination: int) -> int:
    """BlueGreenUpdatePolicy.MaximumExecutionTimeoutInSeconds, set rather than left to a default
    AWS does not document: it "should be larger than the total waiting time specified in
    TerminationWaitInSeconds and WaitIntervalInSeconds", within 600 to 28800 (SageMaker API
    reference, BlueGreenUpdatePolicy). A linear shift waits once per step, a canary once."""
    steps = {"all-at-once": 0, "canary": 1, "linear": -(-100 // (traffic.percent or 100))}[traffic.mode]
    waits = steps * (traffic.interval_seconds or 0) + termination
    return max(600, min(28800, waits + FLEET_PROVISIONING_SECONDS))


def target_states(naming: Naming, deploy, failures, serve_image, model_data, environment) -> dict:
    endpoint = deploy.endpoint
    platform = naming.platform
    model_prefix = names.job_prefix(naming.config.name, naming.config.environment, "sagemaker_model")
    config_prefix = names.job_prefix(endpoint.name, "config", "endpoint_config")
    # Serverless Inference has no VPC configuration (SageMaker developer guide, "Deploy models with
    # Amazon SageMaker Serverless Inference": "Feature exclusions"): it serves from SageMaker's
    # network; the subnets remain the Fargate tasks' and the jobs'.
    create_model = sagemaker_model(naming, "deploy", "$.deployment.model", {"Image.$": serve_image}, model_data,
                                   environment, in_vpc=not endpoint.serverless)
    endpoint_config = {"EndpointConfigName.$": "$.deployment.endpoint_config",
                       "ProductionVariants": [{"VariantName": SAGEMAKER_VARIANT, "ModelName.$": "$.deployment.model",
                                               **serving_capacity(endpoint)}],
                       "Tags": naming.tags("deploy")}
    if endpoint_variants.has_variants(endpoint):
        endpoint_config.update(endpoint_variants.endpoint_config_variants(naming, endpoint))
    if platform.kms_key:
        endpoint_config["KmsKeyId"] = platform.kms_key
    if naming.config.monitor and not endpoint.serverless:
        endpoint_config["DataCaptureConfig"] = _data_capture(naming)
    if endpoint.asynchronous:
        endpoint_config["AsyncInferenceConfig"] = async_inference_config(endpoint.asynchronous, platform.kms_key)
    traffic = deploy.traffic
    routing = {"Type": {"all-at-once": "ALL_AT_ONCE", "canary": "CANARY", "linear": "LINEAR"}[traffic.mode],
               "WaitIntervalInSeconds": traffic.interval_seconds or 0}
    if traffic.mode == "canary":
        routing["CanarySize"] = {"Type": "CAPACITY_PERCENT", "Value": traffic.percent}
    elif traffic.mode == "linear":
        routing["LinearStepSize"] = {"Type": "CAPACITY_PERCENT", "Value": traffic.percent}
    termination = min(traffic.bake_seconds, 3600)
    deployment = {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": routing,
                                            "TerminationWaitInSeconds": termination,
                                            "MaximumExecutionTimeoutInSeconds": blue_green_timeout(traffic, termination)}}
    rollback_names, puts = rollback_alarms(naming)
    if rollback_names:
        deployment["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": a} for a in rollback_names]}
    update = {"EndpointName": endpoint.name, "EndpointConfigName.$": "$.deployment.endpoint_config",
              "DeploymentConfig": deployment, **_retained_variant_properties(endpoint)}
    if endpoint_variants.has_variants(endpoint):  # guardrails need the same variant names (endpoint_variants.py)
        del update["DeploymentConfig"]
    guard = None if endpoint_variants.has_variants(endpoint) else _test_variants_running(update)
    failures["endpoint_failed"] = _endpoint_failed(naming, failures, endpoint.name)
    # An A/B test watched by its variants' alarms is deployed only once they are quiet.
    variant_watch = endpoint_variants.variant_watch(naming, deploy) if endpoint.variants else None
    # Where each end of the update goes: straight to its outcome, or, with autoscaling, through
    # the states that register the scaling again first (the outcome is then routed on).
    ends = {"deployed": endpoint_variants.WATCH_START if variant_watch else "Record deployed",
            "rolled_back": failures["rolled_back"]["notify_state"],
            "failed": failures["failed"]["notify_state"], "timed_out": failures["timed_out"]["notify_state"]}
    outcome_states = ({outcome: f"Restore scaling: {outcome.replace('_', ' ')}" for outcome in ends}
                      if endpoint.autoscaling_max else ends)
    poll = poll_states(naming, "endpoint", deploy.poll, f"arn:{platform.partition}:states:::aws-sdk:sagemaker:describeEndpoint",
                       {"EndpointName": endpoint.name}, None,
                       [{"And": [{"Variable": "$.status.EndpointStatus", "StringEquals": "InService"},
                                 {"Variable": "$.status.EndpointConfigName", "IsPresent": True},
                                 {"Variable": "$.status.EndpointConfigName", "StringEqualsPath": "$.deployment.endpoint_config"}],
                         "Next": outcome_states["deployed"]},
                        {"And": [{"Variable": "$.status.EndpointStatus", "StringEquals": "InService"},
                                 {"Variable": "$.status.EndpointConfigName", "IsPresent": True}],
                         "Next": outcome_states["rolled_back"]},
                        {"Or": [{"Variable": "$.status.EndpointStatus", "StringEquals": "InService"},
                                {"Variable": "$.status.EndpointStatus", "StringEquals": "Failed"},
                                {"Variable": "$.status.EndpointStatus", "StringEquals": "UpdateRollbackFailed"}],
                         "Next": outcome_states["failed"]}],
                       {"notify_state": outcome_states["timed_out"]}, {"notify_state": outcome_states["failed"]})
    resource_id = f"endpoint/{endpoint.name}/variant/{SAGEMAKER_VARIANT}"
    scalable = {"ServiceNamespace": "sagemaker", "ResourceId": resource_id,
                "ScalableDimension": "sagemaker:variant:DesiredInstanceCount"}
    autoscaling = None
    if endpoint.autoscaling_max:
        autoscaling = {
            "describe_config": {"EndpointConfigName.$": "$.endpoint.EndpointConfigName"},
            "instance_type": endpoint.instance_type,
            "outcomes": list(ends.items()),
            "routes": [{"Variable": "$.outcome.next", "StringEquals": then, "Next": then} for then in ends.values()],
            "deregister": scalable,
            "register": {**scalable, "MinCapacity": endpoint.autoscaling_min, "MaxCapacity": endpoint.autoscaling_max},
            "policy": _target_tracking_policy(endpoint, scalable),
            "scale_from_zero": _scale_from_zero(endpoint, scalable),
        }
    variants = (endpoint_variants.variant_states(naming, deploy, failures, {"create_model": create_model},
                                                 "Create endpoint config")
                if endpoint_variants.has_variants(endpoint)
                else {"after_create_model": "Create endpoint config", "variant_models": [], "read_live": None})
    return {
        **variants,
        "first_target_state": "Make deployment token",
        "names": {"token.$": TOKEN},
        "resource_names": {"token.$": "$.deployment.token",
                           "model.$": states_format(model_prefix + "-{}", "$.deployment.token"),
                           "endpoint_config.$": states_format(config_prefix + "-{}", "$.deployment.token")},
        "create_model": create_model, "endpoint_config": endpoint_config,
        "watch_states": watch_states(puts, "Find endpoint"),
        "describe_endpoint": {"EndpointName": endpoint.name},
        "endpoint_not_found": ENDPOINT_NOT_FOUND,
        "outcome_states": outcome_states,
        "create_endpoint": {"EndpointName": endpoint.name, "EndpointConfigName.$": "$.deployment.endpoint_config",
                            "Tags": naming.tags("deploy")},
        "update_endpoint": update, "autoscaling": autoscaling,
        "polls": {"endpoint": poll},
        "can_roll_back": True, "variant_watch": variant_watch, "guard": guard,
        "update_entry": "Test variants running?" if guard else "Update endpoint",
        **({"live_version": endpoint_variants.live_version_value(endpoint)}
           if endpoint_variants.has_variants(endpoint) else {}),
    }


def sagemaker_model(naming: Naming, pipeline: str, name_path: str, image: dict, model_data: str | None,
                    environment: dict, in_vpc: bool = True) -> dict:
    """CreateModel of one model version: its serving image (`image`: `Image` or `Image.$`), its
    artifacts (a JSONPath; None: the image is the model), run as the task role in the platform's
    subnets (unless `in_vpc` is false). The deploy pipeline's endpoint and batch's transform job
    serve such a model."""
    platform = naming.platform
    container = {**image, **({"ModelDataUrl.$": model_data} if model_data else {}),
                 "Environment": dict(sorted(environment.items()))}
    model = {"ModelName.$": name_path, "PrimaryContainer": container, "ExecutionRoleArn": platform.task_role,
             "Tags": naming.tags(pipeline)}
    if platform.subnets and in_vpc:
        model["VpcConfig"] = vpc_config(platform)
    return model


#: DescribeEndpoint of an endpoint that does not exist. SageMaker's API model declares no error for
#: DescribeEndpoint (botocore sagemaker/2017-07-24/service-2.json: DescribeEndpoint has "errors": []):
#: a missing endpoint is SageMaker's common ValidationException (SageMaker API reference, "Common
#: Errors": ValidationException, HTTP 400) with the message `Could not find endpoint "<arn>".`.
#: Step Functions names an SDK error `SageMaker.<name>` and puts the service's message in the Cause
#: (Step Functions developer guide, "AWS SDK service integrations": ServiceName.ErrorName), and the
#: name of an error the API model does not declare is not documented: so a SageMaker error whose
#: message says the endpoint cannot be found means "create it"; throttling (retried first),
#: AccessDenied and anything else fail the deployment instead of trying to create an endpoint
#: that exists.
ENDPOINT_NOT_FOUND = {"And": [{"Variable": "$.error.Error", "StringMatches": "SageMaker.*"},
                              {"Variable": "$.error.Cause", "StringMatches": "*Could not find endpoint*"}],
                      "Next": "Create endpoint"}


def _test_variants_running(update: dict) -> dict:
    """The one AllTraffic variant replaces the endpoint's variants: with the same name only, with
    deployment guardrails ("the new endpoint configuration must have the same variant name as the
    old endpoint configuration": SageMaker developer guide, "Deployment guardrails", "Exclusions").
    An endpoint still running an A/B test (two or more production variants) or a shadow test (its
    variants removed from mlops.yaml since, or never promoted) is updated without DeploymentConfig,
    all at once and without alarm rollback. `$.endpoint` is its DescribeEndpoint. A single variant
    is AllTraffic: the deploy pipeline names no other, and promote-variant keeps that name.
    (Presence only: moto compares an indexed path's value as a list, AWS as the item.)"""
    return {
        "condition": {"Or": [{"Variable": "$.endpoint.ProductionVariants[1]", "IsPresent": True},
                             {"Variable": "$.endpoint.ShadowProductionVariants", "IsPresent": True}],
                      "Next": "Replace test variants"},
        "replace": {key: value for key, value in update.items() if key != "DeploymentConfig"},
    }


def _retained_variant_properties(endpoint) -> dict:
    """With autoscaling, an update keeps the variant's current (scaled) instance count instead of
    going back to InitialInstanceCount; the new data capture configuration is taken from the new
    endpoint config all the same (SageMaker API reference, UpdateEndpoint:
    RetainAllVariantProperties, ExcludeRetainedVariantProperties; developer guide, "Update endpoints
    that use auto scaling"). Without autoscaling, the configured instance_count is the truth."""
    if not endpoint.autoscaling_max:
        return {"RetainAllVariantProperties": False}
    excluded = ["DataCaptureConfig"]
    if endpoint.autoscaling_min == 0:
        # An asynchronous endpoint scaled to zero would keep zero instances: the new model would
        # start on none, and the update end InService without ever loading it. It starts on the
        # config's InitialInstanceCount instead; the backlog policy scales it in again.
        excluded.append("DesiredInstanceCount")
    return {"RetainAllVariantProperties": True,
            "ExcludeRetainedVariantProperties": [{"VariantPropertyType": kind} for kind in sorted(excluded)]}


def _endpoint_failed(naming: Naming, failures: dict, endpoint: str) -> dict:
    """An endpoint in `Failed` status: "DeleteEndpoint is the only operation that can be performed
    on a failed endpoint" (SageMaker API reference, DescribeEndpoint: EndpointStatus). It serves
    nothing, but deleting is left to the operator, who should read its FailureReason first."""
    failed = failures["failed"]
    return failure_chain(naming, "deploy", "endpoint failed", "EndpointFailed",
                         f"The endpoint {endpoint} is in Failed status, which only DeleteEndpoint accepts: read its "
                         f"FailureReason (aws sagemaker describe-endpoint --endpoint-name {endpoint}), delete it, "
                         "and deploy again.", "DeploymentFailed", record=failed["record"])


#: Content types the endpoint's data capture records as text (CSV or JSON) instead of base64:
#: "If no headers are specified SageMaker AI will by default base64 encode when capturing the
#: data" (API reference, CaptureContentTypeHeader), which Model Monitor cannot read as features.
#: The SageMaker Python SDK's DataCaptureConfig defaults, as it sends them.
CAPTURE_CONTENT_TYPES = {"CsvContentTypes": ["text/csv"], "JsonContentTypes": ["application/json"]}


def _data_capture(naming: Naming) -> dict:
    """The endpoint writes monitor.capture.sampling_percent of its requests and responses to S3,
    CSV and JSON bodies as text."""
    capture = {"EnableCapture": True, "InitialSamplingPercentage": naming.config.monitor.sampling_percent,
               "DestinationS3Uri": naming.capture_uri,
               "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
               "CaptureContentTypeHeader": {key: list(types) for key, types in CAPTURE_CONTENT_TYPES.items()}}
    if naming.platform.kms_key:
        capture["KmsKeyId"] = naming.platform.kms_key
    return capture


def serving_capacity(endpoint) -> dict:
    """What a production variant runs on: instances, or Serverless Inference's memory and
    concurrency instead ("ServerlessConfig ... Specify either InstanceType and InitialInstanceCount
    or ServerlessConfig": SageMaker API reference, ProductionVariant)."""
    serverless = endpoint.serverless
    if not serverless:
        return {"InstanceType": endpoint.instance_type, "InitialInstanceCount": endpoint.instance_count}
    config = {"MemorySizeInMB": serverless.memory, "MaxConcurrency": serverless.max_concurrency}
    if serverless.provisioned_concurrency:
        config["ProvisionedConcurrency"] = serverless.provisioned_concurrency
    return {"ServerlessConfig": config}


def async_inference_config(asynchronous, kms_key) -> dict:
    """EndpointConfig.AsyncInferenceConfig (SageMaker API reference, AsyncInferenceConfig): where the
    responses and failures are written, who is told, and how many requests one instance's container
    takes at once. The platform's KMS key encrypts the responses as it does the rest."""
    output = {"S3OutputPath": asynchronous.output}
    if asynchronous.failure_output:
        output["S3FailurePath"] = asynchronous.failure_output
    if kms_key:
        output["KmsKeyId"] = kms_key
    topics = {"SuccessTopic": asynchronous.success_topic, "ErrorTopic": asynchronous.error_topic}
    if any(topics.values()):
        output["NotificationConfig"] = {key: topic for key, topic in topics.items() if topic}
    config = {"OutputConfig": output}
    if asynchronous.max_concurrent_invocations:
        config["ClientConfig"] = {"MaxConcurrentInvocationsPerInstance": asynchronous.max_concurrent_invocations}
    return config


def _target_tracking_policy(endpoint, scalable: dict) -> dict:
    """Real-time endpoints track invocations per instance; an asynchronous one tracks its queue,
    ApproximateBacklogSizePerInstance (SageMaker developer guide, "Autoscale an asynchronous
    endpoint": "Define a scaling policy"), which also lets it scale in to MinCapacity 0."""
    if endpoint.asynchronous:
        tracked = {"TargetValue": float(endpoint.asynchronous.target_backlog_per_instance),
                   "CustomizedMetricSpecification": {
                       "MetricName": "ApproximateBacklogSizePerInstance", "Namespace": "AWS/SageMaker",
                       "Dimensions": [{"Name": "EndpointName", "Value": endpoint.name}], "Statistic": "Average"}}
        name = f"{endpoint.name}-backlog"
    else:
        tracked = {"TargetValue": float(endpoint.target_invocations),
                   "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}}
        name = f"{endpoint.name}-invocations"
    return {**scalable, "PolicyName": name, "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": {
                **tracked, "ScaleInCooldown": endpoint.scale_in_cooldown_seconds,
                "ScaleOutCooldown": endpoint.scale_out_cooldown_seconds}}


#: Seconds of HasBacklogWithoutCapacity before an asynchronous endpoint at zero instances starts one.
SCALE_FROM_ZERO_PERIOD = 60


def _scale_from_zero(endpoint, scalable: dict):
    """An asynchronous endpoint scaled in to zero has no instance whose backlog per instance the
    target tracking policy could see: a step scaling policy adds one instance when the endpoint's
    HasBacklogWithoutCapacity metric alarms (SageMaker developer guide, "Autoscale an asynchronous
    endpoint": "Scale up from zero ... with a step scaling policy"; the alarm's action is the
    policy's ARN, known only once PutScalingPolicy answers, so the state machine puts the alarm)."""
    if not (endpoint.asynchronous and endpoint.autoscaling_min == 0):
        return None
    policy = {**scalable, "PolicyName": f"{endpoint.name}-scale-from-zero", "PolicyType": "StepScaling",
              "StepScalingPolicyConfiguration": {
                  "AdjustmentType": "ChangeInCapacity", "MetricAggregationType": "Average",
                  "Cooldown": endpoint.scale_out_cooldown_seconds,
                  "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}]}}
    alarm = {"AlarmName": names.backlog_alarm(endpoint.name),
             "AlarmDescription": f"Requests wait at {endpoint.name} with no instance to serve them: start one.",
             "MetricName": "HasBacklogWithoutCapacity", "Namespace": "AWS/SageMaker",
             "Dimensions": [{"Name": "EndpointName", "Value": endpoint.name}], "Statistic": "Average",
             "Period": SCALE_FROM_ZERO_PERIOD, "EvaluationPeriods": 2, "DatapointsToAlarm": 2,
             "Threshold": 1.0, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
             "TreatMissingData": "missing", "AlarmActions.$": "States.Array($.scale_from_zero.arn)"}
    return {"policy": policy, "alarm": alarm}
