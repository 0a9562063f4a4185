"""The integrations every pipeline may call (registry, notifications, events, Fargate tasks,
SageMaker jobs, S3 objects, Distributed Map reader and writer) and those all deploy targets share
(the deployment lock, the rollback alarms)."""

from __future__ import annotations

import functools
import re
from typing import Callable

from compiler import names
from compiler.render import pointers as registry_pointers
from compiler.render.iam.policy_document import iam_literal, list_bucket
from compiler.render.iam.service_call import Call


def _dynamodb(action: str, call: Call) -> None:
    table = call.literal("TableName")
    if table != call.scope.platform.registry_table:
        raise call.fail(f"table {table} is not the registry table")
    key = call.parameters.get("Key") or call.parameters.get("Item") or {}
    partition_key = (key.get("pk") or {}).get("S")
    if partition_key != call.scope.naming.model_key:
        raise call.fail("the item's partition key is not the model's literal MODEL#<model>")
    call.policy.allow("RegistryItems", [action], [call.scope.arn("dynamodb", f"table/{iam_literal(table)}")],
                      {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [partition_key]}})


def _sns_publish(call: Call) -> None:
    call.policy.allow("Notify", ["sns:Publish"], [call.literal("TopicArn")])


def _put_events(call: Call) -> None:
    entries = call.parameters.get("Entries")
    if not isinstance(entries, list) or not entries:
        raise call.fail("no literal Entries")
    for entry in entries:
        bus, source = entry.get("EventBusName"), entry.get("Source")
        if not isinstance(bus, str) or not isinstance(source, str):
            raise call.fail("an entry without a literal EventBusName and Source")
        call.policy.allow("PublishEvents", ["events:PutEvents"], [call.scope.arn("events", f"event-bus/{iam_literal(bus)}")],
                          {"StringEquals": {"events:source": [source]}})


_TASK_DEFINITION = re.compile(r"\.task_definitions\.M\['(?P<key>[^']+)'\]\.S$")


def _run_task(call: Call) -> None:
    scope = call.scope
    cluster = call.literal("Cluster")
    if cluster != scope.platform.ecs_cluster:
        raise call.fail(f"cluster {cluster} is not the platform's")
    cluster_arn = scope.arn("ecs", f"cluster/{iam_literal(cluster)}")
    match = _TASK_DEFINITION.search(str(call.parameters.get("TaskDefinition.$", "")))
    families = registry_pointers.pointers(scope.naming)["task_definitions"]
    if not match or match["key"] not in families:
        raise call.fail("TaskDefinition is not one of the model's task definition pointers")
    family = families[match["key"]]["family"]
    call.policy.allow("RunFargateTasks", ["ecs:RunTask"], [scope.arn("ecs", f"task-definition/{iam_literal(family)}:*")],
                      {"ArnEquals": {"ecs:cluster": [cluster_arn]}})
    tasks = scope.arn("ecs", f"task/{iam_literal(cluster)}/*")
    call.policy.allow("ManageFargateTasks", ["ecs:DescribeTasks", "ecs:StopTask"], [tasks])
    call.policy.allow("TagEcsOnCreate", ["ecs:TagResource"], [tasks], {"StringEquals": {"ecs:CreateAction": ["RunTask"]}})
    # The task definitions apply registers run as the task role (task and execution role).
    call.policy.allow("PassTaskRole", ["iam:PassRole"], [scope.platform.task_role],
                      {"StringEquals": {"iam:PassedToService": ["ecs-tasks.amazonaws.com"]}})
    call.managed_rule()


def _sagemaker_job(kind: str, resource_type: str, name_key: str, extra: tuple, call: Call) -> None:
    """A `.sync` SageMaker job: create, and the Describe/Stop/ListTags calls Step Functions makes."""
    name = call.pattern(name_key).lower()  # SageMaker ARNs hold names in lowercase
    actions = [f"sagemaker:Create{kind}", f"sagemaker:Describe{kind}", f"sagemaker:Stop{kind}",
               "sagemaker:AddTags", "sagemaker:ListTags", *extra]
    call.policy.allow("SageMakerJobs", actions, [call.scope.arn("sagemaker", f"{resource_type}/{name}")])
    if kind == "TransformJob":
        return _transform_model(call)  # runs as its model's role, passed when the model was created
    # The job runs as the role it names (a tuning job: in its training job definition).
    holder = call.parameters if "RoleArn" in call.parameters else call.parameters.get("TrainingJobDefinition") or {}
    Call(call.scope, call.pipeline, call.state, call.integration, holder, call.values).pass_role(
        "RoleArn", service="sagemaker.amazonaws.com")
    call.managed_rule()


def _transform_model(call: Call) -> None:
    """A transform job names no role: it runs the model it names, whose role was passed by the
    CreateModel before it (SageMaker API reference, CreateTransformJob: ModelName). The managed
    rule learns when it ends."""
    call.pattern("ModelName")  # a model the batch pipeline names, known up to its run token
    call.managed_rule()


def _delete_model(call: Call) -> None:
    """batch transform mode deletes the model it created for its run (`<model>-batch-<token>`)."""
    prefix = names.job_prefix(call.scope.config.name, "batch", "sagemaker_model").lower()
    if call.pipeline != "batch" or not call.pattern("ModelName").lower().startswith(prefix):
        raise call.fail("ModelName is not a model of the batch pipeline's runs")
    call.policy.allow("SageMakerBatchModels", ["sagemaker:DeleteModel"],
                      [call.scope.arn("sagemaker", f"model/{iam_literal(prefix)}-*")])


def _describe_execution(call: Call) -> None:
    """The deploy pipeline asks whether the execution its lock names still runs: executions of
    this pipeline's own state machine only."""
    if call.parameters.get("ExecutionArn.$") != "$.running.Item.execution.S":
        raise call.fail("ExecutionArn is not the execution the deployment lock names")
    machine = call.scope.naming.state_machine(call.pipeline)
    call.policy.allow("DeploymentLock", ["states:DescribeExecution"],
                      [call.scope.arn("states", f"execution:{iam_literal(machine)}:*")])


def _put_rollback_alarm(call: Call) -> None:
    """The deploy pipeline's rollback alarms of the version it deploys (`<model>-<env>-rollback-*`)."""
    name = call.literal("AlarmName")
    if call.pipeline == "deploy" and name == _scale_from_zero_alarm(call.scope.naming):
        call.policy.allow("ScaleFromZeroAlarm", ["cloudwatch:PutMetricAlarm"],
                          [call.scope.arn("cloudwatch", f"alarm:{iam_literal(name)}")])
        return
    if not name.startswith(call.scope.naming.alarm("rollback-")) or call.pipeline != "deploy":
        raise call.fail(f"{name} is not a rollback alarm of the model's deployments")
    call.policy.allow("RollbackAlarms", ["cloudwatch:PutMetricAlarm"],
                      [call.scope.arn("cloudwatch", f"alarm:{iam_literal(name)}")])


def _scale_from_zero_alarm(naming):
    """The alarm an asynchronous endpoint's deployment puts to scale it out from zero instances."""
    deploy = naming.config.deploy
    endpoint = deploy.endpoint if deploy else None
    return names.backlog_alarm(endpoint.name) if endpoint else None


def _describe_alarms(call: Call) -> None:
    read_alarms(call, call.parameters.get("AlarmNames"))


def read_alarms(call: Call, alarms) -> None:
    """The rollback alarms: read by the pipeline (Lambda traffic shifting) and checked by the
    SageMaker and ECS deployments the pipeline starts with them."""
    if not isinstance(alarms, list) or not alarms or not all(isinstance(a, str) for a in alarms):
        raise call.fail("the alarm names are not a literal list")
    call.policy.allow("ReadRollbackAlarms", ["cloudwatch:DescribeAlarms"],
                      [call.scope.arn("cloudwatch", f"alarm:{iam_literal(alarm)}") for alarm in alarms])


def _s3_object(sid: str, actions: tuple, key_parameter: str, call: Call) -> None:
    bucket = call.literal("Bucket")
    key = call.values.parameter(call.parameters, key_parameter)
    if key is None:
        raise call.fail(f"{key_parameter} is not known at compile time")
    call.policy.allow(sid, actions, [call.scope.model_objects(call, bucket, key)])


def _list_objects(call: Call) -> None:
    """A Distributed Map's ItemReader listing the batch input."""
    bucket, prefix = call.literal("Bucket"), call.parameters.get("Prefix", "")
    if not isinstance(prefix, str):
        raise call.fail("Prefix is not a literal")
    list_bucket(call.policy, "ListBatchInput", call.scope.s3(bucket), prefix)


def _write_results(call: Call) -> None:
    """A Distributed Map's ResultWriter: manifest and result files under the prefix."""
    bucket = call.literal("Bucket")
    prefix = call.values.parameter(call.parameters, "Prefix")
    if prefix is None:
        raise call.fail("Prefix is not known at compile time")
    call.policy.allow("WriteMapResults", ["s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts",
                                          "s3:PutObject"],
                      [call.scope.model_objects(call, bucket, prefix.rstrip("/") + "/*")])


def _create_model_package(call: Call) -> None:
    """`register.sagemaker`: a version of the configured model package group. A versioned model
    package's ARN is `model-package/<group>/<version>` (SageMaker API reference, CreateModelPackage),
    the group's `model-package-group/<group>`; SageMaker writes some of its ARNs' names in lowercase,
    so a name with capitals is granted in both spellings."""
    group = call.literal("ModelPackageGroupName")
    retrain = call.scope.config.retrain
    if call.pipeline != "retrain" or retrain is None or group != retrain.model_package_group:
        raise call.fail(f"{group} is not the model's register.sagemaker.model_package_group")
    names = sorted({iam_literal(group), iam_literal(group.lower())})  # the ARN's case: as given or lowercase
    call.policy.allow("ModelPackageVersions", ["sagemaker:CreateModelPackage"],
                      [call.scope.arn("sagemaker", f"model-package/{name}/*") for name in names]
                      + [call.scope.arn("sagemaker", f"model-package-group/{name}") for name in names])


_SYNC_JOBS = {
    "sagemaker:createProcessingJob.sync": ("ProcessingJob", "processing-job", "ProcessingJobName", ()),
    "sagemaker:createTrainingJob.sync": ("TrainingJob", "training-job", "TrainingJobName", ()),
    "sagemaker:createHyperParameterTuningJob.sync": (
        "HyperParameterTuningJob", "hyper-parameter-tuning-job", "HyperParameterTuningJobName",
        ("sagemaker:ListTrainingJobsForHyperParameterTuningJob",)),
    "sagemaker:createTransformJob.sync": ("TransformJob", "transform-job", "TransformJobName", ()),
}


#: Task state Resource (after `arn:<partition>:states:::`) -> what it needs, for every pipeline.
TASK_INTEGRATIONS: dict[str, Callable[[Call], None]] = {
    "dynamodb:getItem": functools.partial(_dynamodb, "dynamodb:GetItem"),
    "dynamodb:putItem": functools.partial(_dynamodb, "dynamodb:PutItem"),
    "dynamodb:updateItem": functools.partial(_dynamodb, "dynamodb:UpdateItem"),
    "sns:publish": _sns_publish,
    "events:putEvents": _put_events,
    "ecs:runTask.sync": _run_task,
    **{integration: functools.partial(_sagemaker_job, *spec) for integration, spec in _SYNC_JOBS.items()},
    "aws-sdk:cloudwatch:describeAlarms": _describe_alarms,
    "aws-sdk:cloudwatch:putMetricAlarm": _put_rollback_alarm,
    "aws-sdk:sfn:describeExecution": _describe_execution,
    "aws-sdk:sagemaker:deleteModel": _delete_model,
    "aws-sdk:sagemaker:createModelPackage": _create_model_package,
    "aws-sdk:s3:getObject": functools.partial(_s3_object, "ReadMetrics", ("s3:GetObject",), "Key"),
    "aws-sdk:s3:putObject": functools.partial(_s3_object, "WriteBatchManifests", ("s3:PutObject",), "Key"),
}
#: A Distributed Map's ItemReader and ResultWriter Resources -> what they need.
ITEM_READERS: dict[str, Callable[[Call], None]] = {"s3:listObjectsV2": _list_objects}
RESULT_WRITERS: dict[str, Callable[[Call], None]] = {"s3:putObject": _write_results}
