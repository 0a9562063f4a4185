"""The IAM policies compiler.render.iam derives (iam.json): complete for what the state machines
call, scoped to the model, and valid IAM.

Inputs: every template path. The samples; the longest-names configs (SageMaker processing,
training with spot, tuning, a Distributed Map batch on SageMaker, and each deploy target:
sagemaker-endpoint with autoscaling, lambda with linear traffic, ecs-service with alarms); the
hostile-strings configs; and EXTRA_CONFIGS below (a Distributed Map on Fargate, secrets from
Secrets Manager and SSM, a KMS alias; SageMaker without a VPC and a KMS key ARN; batch transform).

The expected permissions are derived here, independently of render/iam/: from each state's Resource
(a table for the optimised integrations, the SDK naming rule for `aws-sdk:`) and Parameters,
each call becomes (action, concrete ARN, request context) with names evaluated as they are at
run time (an 8-hex token, a run id), and a small IAM evaluator (wildcards, the condition
operators the policies use) must allow it. A second model whose name starts with the first's
must get none of the first model's resources.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from compile_helpers import (LONG_NAMES_CONFIGS, SAMPLE_TOKEN, SAMPLES, SAMPLES_PLATFORM, TOKEN_EXPRESSION, CfnLint,
                             all_states, evaluate_format, hostile_config, hostile_fargate_train_config,
                             long_names_config, make_repo)
from compiler import api, names
from compiler.render import asl, iam, pointers, triggers
from compiler.render.iam import pipeline_role
from compiler.render.iam.policy_document import UNSCOPABLE, iam_literal
from compiler.render.iam.sagemaker_endpoint_integrations import AUTOSCALING_SERVICE
from compiler.render.iam.service_call import UnknownIntegration
from compiler.render.naming import Naming

ACCOUNT, REGION = "111111111111", "eu-west-1"
RUN_ID = "run-0001"
TASK_ID = "0123456789abcdef0123456789abcdef"

#: What a run-time value is when a name or key is made (the test's own stand-ins).
RUNTIME = {TOKEN_EXPRESSION: SAMPLE_TOKEN, "$$.Execution.Name": RUN_ID, "$.BatchInput.run_id": RUN_ID}

#: The statements allowed `"Resource": "*"`, and why: kept here independently of UNSCOPABLE.
STAR_ALLOWED = {
    "logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups", "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:UpdateLogDelivery",
    "xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments",
    "ecr:GetAuthorizationToken", "ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs", "cloudwatch:PutMetricData",
    # These take a scalable-target ARN, but its id is assigned at registration.
    "application-autoscaling:DeregisterScalableTarget", "application-autoscaling:PutScalingPolicy",
    "application-autoscaling:RegisterScalableTarget",
}
#: `*` actions that do have a resource type in IAM's reference, with the reason they stay `*`.
STAR_DESPITE_RESOURCE_TYPE = {
    "application-autoscaling:DeregisterScalableTarget": "scalable-target id assigned at registration",
    "application-autoscaling:PutScalingPolicy": "scalable-target id assigned at registration",
    "application-autoscaling:RegisterScalableTarget": "scalable-target id assigned at registration",
    "cloudwatch:PutMetricData": "metric data; a namespace condition limits it",
}

_PLATFORM_BASE = f"""\
account: "{ACCOUNT}"
region: {REGION}
artifact_bucket: iam-artifacts
registry_table: mlops-registry
event_bus: mlops
notification_topic: arn:aws:sns:{REGION}:{ACCOUNT}:mlops-alerts
roles:
  pipeline: arn:aws:iam::{ACCOUNT}:role/mlops-{{model}}-pipeline
  task: arn:aws:iam::{ACCOUNT}:role/mlops/{{model}}-task
"""
FARGATE_PLATFORM = _PLATFORM_BASE + f"""\
ecs_cluster: mlops
subnets: [subnet-0a1b2c3d4e5f60718]
security_groups: [sg-0123456789abcdef0]
kms_key: arn:aws:kms:{REGION}:{ACCOUNT}:alias/mlops
"""
NO_VPC_PLATFORM = _PLATFORM_BASE + f"kms_key: arn:aws:kms:{REGION}:{ACCOUNT}:key/0b6f5c1e-2a3d-4e5f-9a8b-7c6d5e4f3a2b\n"

FARGATE_MAP = f"""\
version: 1
model: {{name: fargate-map}}
runtimes:
  app: {{dockerfile: Dockerfile}}
stage_defaults:
  runtime: app
  secrets:
    DB_PASSWORD: arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:fargate-map/db
    API_KEY: arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/fargate-map/api-key
pipelines:
  retrain:
    data: {{source: "s3://raw-data/fargate-map/"}}
    triggers: {{new_data: {{marker: _SUCCESS}}}}
    stages:
      validate: {{command: [python, validate.py]}}
      train: {{command: [python, train.py]}}
      evaluate:
        gate: [{{metric: auc, at_least: 0.8}}]
  deploy:
    target: ecs-service
    runtime: app
    traffic: {{alarms: [fargate-map-5xx, "odd*alarm?name$"]}}
  batch:
    mode: mini
    batch_size: 50
    max_concurrency: 4
    input: "s3://score-data/in/fargate-map"
    output: "s3://score-data/out/fargate-map/"
    schedule: "rate(1 day)"
"""
NO_VPC_SAGEMAKER = """\
version: 1
model: {name: sm-novpc}
runtimes:
  app: {dockerfile: Dockerfile}
stage_defaults:
  runtime: app
  compute: sagemaker
pipelines:
  retrain:
    data: {source: "s3://raw-data/sm/"}
    stages:
      transform: {}
      train: {hyperparameters: {depth: 3}}
  deploy:
    target: sagemaker-endpoint
    runtime: app
    endpoint: {name: SmNoVpcEndpoint}
  batch:
    mode: full
    input: "s3://score-data/sm/"
    output: "s3://iam-artifacts/sm-novpc/out/"
"""
#: An ecs-service watched by the monitor: the baseline on Fargate, the drift job a SageMaker
#: processing job with a secret, hourly, with an hourly cool-down.
ECS_MONITOR = f"""\
version: 1
model: {{name: ecs-watch}}
runtimes:
  app: {{dockerfile: Dockerfile}}
stage_defaults:
  runtime: app
pipelines:
  retrain:
    data: {{source: "s3://raw-data/ecs-watch/"}}
    stages:
      train: {{command: [python, train.py]}}
  deploy:
    target: ecs-service
    runtime: app
monitor:
  capture: {{sampling_percent: 50}}
  baseline: {{command: [python, baseline.py]}}
  drift:
    schedule: hourly
    cooldown: 1h
    features: {{amount: 0.2}}
    job:
      compute: sagemaker
      instance_type: ml.m5.large
      command: [python, drift.py]
      secrets:
        DRIFT_TOKEN: arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:ecs-watch/drift
  health: {{max_error_rate: 0.01}}
"""
#: A SageMaker endpoint whose drift the model's own job measures (no Model Monitor).
ENDPOINT_DRIFT_JOB = """\
version: 1
model: {name: endpoint-watch}
runtimes:
  app: {dockerfile: Dockerfile}
stage_defaults:
  runtime: app
  compute: sagemaker
pipelines:
  retrain:
    data: {source: "s3://raw-data/endpoint-watch/"}
    stages:
      train: {command: [python, train.py]}
  deploy:
    target: sagemaker-endpoint
    runtime: app
monitor:
  baseline: {command: [python, baseline.py]}
  drift:
    features: {amount: 0.2}
    job: {command: [python, drift.py]}
"""
#: batch mode transform (issue 18): a model, a transform job and the model's deletion, in the
#: platform's VPC with a KMS alias.
SM_TRANSFORM = """\
version: 1
model: {name: sm-transform}
runtimes:
  app: {dockerfile: Dockerfile}
stage_defaults:
  runtime: app
pipelines:
  retrain:
    data: {source: "s3://raw-data/sm-transform/"}
    stages:
      train: {command: [python, train.py]}
  batch:
    mode: transform
    compute: sagemaker
    instance_type: ml.c5.xlarge
    input: "s3://score-data/in/sm-transform/"
    output: "s3://score-data/out/sm-transform/"
    transform: {content_type: text/csv, split_type: Line, join_source: Input}
"""
#: An A/B test rolled back on its variants' alarms (issue 18): DescribeAlarms on the candidate
#: variant's alarms, UpdateEndpointWeightsAndCapacities on the endpoint.
AB_WATCH = """\
version: 1
model: {name: ab-watch}
runtimes:
  app: {dockerfile: Dockerfile}
stage_defaults:
  runtime: app
  compute: sagemaker
pipelines:
  retrain:
    data: {source: "s3://raw-data/ab-watch/"}
    stages:
      train: {command: [python, train.py]}
  deploy:
    target: sagemaker-endpoint
    runtime: app
    endpoint:
      variants:
        live: {version: live, weight: 80}
        candidate: {version: candidate, weight: 20}
    traffic: {bake: 15m, alarms: ["monitor:error-rate"]}
monitor:
  health: {max_error_rate: 0.01}
"""
#: folder -> (platform file text, config). Each folder gets its own platform file.
EXTRA_CONFIGS = {
    "fargate-map": (FARGATE_PLATFORM, FARGATE_MAP),
    "sm-novpc": (NO_VPC_PLATFORM, NO_VPC_SAGEMAKER),
    "ecs-watch": (FARGATE_PLATFORM, ECS_MONITOR),
    "endpoint-watch": (NO_VPC_PLATFORM, ENDPOINT_DRIFT_JOB),
    "sm-transform": (FARGATE_PLATFORM, SM_TRANSFORM),
    "ab-watch": (NO_VPC_PLATFORM, AB_WATCH),
}
#: The monitor section each deploy target of the PAIR gets: Model Monitor for the endpoint, the
#: model's own drift job (on Fargate) for the others.
PAIR_MONITORS = {
    "endpoint": "monitor:\n  baseline: {}\n  drift: {features: {f1: 0.2}}\n",
    "lambda": "monitor:\n  baseline: {}\n  drift: {features: {f1: 0.2}, job: {compute: fargate, cpu: 512, memory: 1024}}\n",
    "ecs": "monitor:\n  baseline: {}\n  drift: {features: {f1: 0.2}, job: {compute: fargate, cpu: 512, memory: 1024}}\n",
}
#: Two models compiled together, the second named like the first one's training jobs
#: (`churn-train-<token>`): neither may reach the other's resources.
PAIR = ("churn", "churn-train")


def _models(paths: list[Path], platform: Path | None = None) -> list:
    validation = api.validate([str(p) for p in paths], str(platform) if platform else None)
    assert validation.ok, "\n".join(f"{p.file}:{p.line}: {p.path}: {p.message}" for p in validation.problems)
    return list(validation.models)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> dict[str, tuple]:
    """label -> (ModelConfig, definitions, policies) for every model environment under test."""
    models = _models([SAMPLES], SAMPLES_PLATFORM)
    parent = tmp_path_factory.mktemp("iam-long")
    for folder, config in LONG_NAMES_CONFIGS.items():
        make_repo(parent, folder, config)
    models += _models([parent / f for f in LONG_NAMES_CONFIGS], parent / "mlops-platform.yaml")
    hostile = tmp_path_factory.mktemp("iam-hostile")
    for folder, factory in {"hostile": hostile_config, "hostile-fargate": hostile_fargate_train_config}.items():
        make_repo(hostile, folder, factory())
    models += _models([hostile / "hostile", hostile / "hostile-fargate"], hostile / "mlops-platform.yaml")
    for folder, (platform, config) in EXTRA_CONFIGS.items():
        root = tmp_path_factory.mktemp(f"iam-{folder}")
        (root / "mlops-platform.yaml").write_text(platform)
        make_repo(root, folder, config)
        models += _models([root / folder], root / "mlops-platform.yaml")
    found = {}
    for model in models:
        definitions = asl.definitions(Naming(model))
        found[f"{model.name}/{model.environment}"] = (model, definitions, iam.policies(Naming(model), definitions))
    return found


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> dict[str, tuple]:
    """The two models of PAIR, for each deploy target: "<target>/<model>" -> (config, definitions, policies)."""
    found = {}
    for target in ("endpoint", "lambda", "ecs"):
        parent = tmp_path_factory.mktemp(f"iam-pair-{target}")
        for name in PAIR:  # each with its own data and alarms (what both name is shared by design)
            config = long_names_config(target, name).replace("s3://demo-data/", f"s3://demo-data/{name}/")
            config = config.replace("alarms: [some-alarm]", f"alarms: [{name}-errors]") + PAIR_MONITORS[target]
            make_repo(parent, name, config)
        for model in _models([parent / name for name in PAIR], parent / "mlops-platform.yaml"):
            if model.environment == "dev":
                definitions = asl.definitions(Naming(model))
                found[f"{target}/{model.name}"] = (model, definitions, iam.policies(Naming(model), definitions))
    return found


# --------------------------------------------------------------------------- a small IAM evaluator

def _pattern(text: str) -> re.Pattern:
    """An IAM resource or StringLike pattern: `*` any run, `?` one character, `${*}` `${?}` `${$}` literal."""
    out, i = "", 0
    while i < len(text):
        if text.startswith("${", i) and text[i + 3:i + 4] == "}" and text[i + 2] in "*?$":
            out, i = out + re.escape(text[i + 2]), i + 4
        elif text[i] == "*":
            out, i = out + ".*", i + 1
        elif text[i] == "?":
            out, i = out + ".", i + 1
        else:
            out, i = out + re.escape(text[i]), i + 1
    return re.compile(out, re.S)


def _condition_holds(condition: dict, context: dict) -> bool:
    for operator, keys in condition.items():
        for key, allowed in keys.items():
            if key not in context:
                if not operator.startswith("ForAllValues:"):  # IAM: a missing key fails, except ForAllValues
                    return False
                continue
            values = context[key] if isinstance(context[key], list) else [context[key]]
            base = operator.split(":")[-1]
            if base in ("StringEquals", "ArnEquals"):
                test = [value in allowed for value in values]
            elif base == "StringLike":
                test = [any(_pattern(a).fullmatch(value) for a in allowed) for value in values]
            elif base == "Bool":
                test = [str(value).lower() in allowed for value in values]
            else:
                raise AssertionError(f"the evaluator does not know {operator}")
            if not (any(test) if operator.startswith("ForAnyValue:") else all(test)):
                return False
    return True


def allowed(document: dict, action: str, arn: str, context: dict | None = None) -> bool:
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        if action.lower() not in {a.lower() for a in statement["Action"]}:
            continue
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if not any(_pattern(r).fullmatch(arn) for r in resources):
            continue
        if _condition_holds(statement.get("Condition", {}), context or {}):
            return True
    return False


# --------------------------------------------------------------------------- what the states call

def arn(config, service: str, resource: str) -> str:
    """An ARN in the config's account and region."""
    return f"arn:aws:{service}:{config.platform.region}:{config.platform.account}:{resource}"


def _assignments(definition: dict) -> dict[str, set]:
    found: dict[str, set] = {}
    for state in all_states(definition).values():
        if state["Type"] == "Pass" and isinstance(state.get("Parameters"), dict):
            for key, value in state["Parameters"].items():
                if key.endswith(".$"):
                    found.setdefault(f"{state['ResultPath']}.{key[:-2]}", set()).add(value)
    return found


def evaluate(definition: dict, parameters: dict, key: str) -> str:
    """A parameter's value at run time: literal, or a States.Format / JSONPath set by Pass states."""
    if key in parameters:
        return parameters[key]
    assigned = _assignments(definition)

    def value(expression: str) -> str:
        if expression in RUNTIME:
            return RUNTIME[expression]
        if expression.startswith("States.Format("):
            arguments = re.findall(r"\$\.[\w.]+|\$\$\.[\w.]+|States\.ArrayGetItem\(.*\), 0\)", expression)
            return evaluate_format(expression, {a: value(a) for a in arguments})
        candidates = assigned.get(expression, set()) - {expression}
        assert len(candidates) == 1, f"cannot evaluate {expression}"
        return value(next(iter(candidates)))

    return value(parameters[f"{key}.$"])


def _ecs_family(config, parameters: dict) -> str:
    key = re.search(r"task_definitions\.M\['([^']+)'\]", parameters["TaskDefinition.$"]).group(1)
    return pointers.pointers(Naming(config))["task_definitions"][key]["family"]


def _sdk_action(integration: str) -> str:
    """`aws-sdk:<service>:<apiAction>` -> `<iam prefix>:<ApiAction>` (the SDK naming rule)."""
    _, service, api_action = integration.split(":")
    prefix = {"applicationautoscaling": "application-autoscaling", "sfn": "states"}.get(service, service)
    return f"{prefix}:{api_action[0].upper()}{api_action[1:]}"


MANAGED_RULE = {
    "ecs:runTask.sync": "StepFunctionsGetEventsForECSTaskRule",
    "sagemaker:createProcessingJob.sync": "StepFunctionsGetEventsForSageMakerProcessingJobsRule",
    "sagemaker:createTrainingJob.sync": "StepFunctionsGetEventsForSageMakerTrainingJobsRule",
    "sagemaker:createHyperParameterTuningJob.sync": "StepFunctionsGetEventsForSageMakerTuningJobsRule",
    "sagemaker:createTransformJob.sync": "StepFunctionsGetEventsForSageMakerTransformJobsRule",
}
#: `.sync` SageMaker integration -> (API noun, ARN resource type, name parameter).
SYNC_JOBS = {
    "sagemaker:createProcessingJob.sync": ("ProcessingJob", "processing-job", "ProcessingJobName"),
    "sagemaker:createTrainingJob.sync": ("TrainingJob", "training-job", "TrainingJobName"),
    "sagemaker:createHyperParameterTuningJob.sync": ("HyperParameterTuningJob", "hyper-parameter-tuning-job",
                                                     "HyperParameterTuningJobName"),
    "sagemaker:createTransformJob.sync": ("TransformJob", "transform-job", "TransformJobName"),
}


def calls(config, definitions: dict) -> list[tuple[str, str, dict, str]]:
    """(action, ARN, request context, where) for every call the pipeline role makes."""
    found = []
    platform = config.platform
    for pipeline, definition in definitions.items():
        for name, state in all_states(definition).items():
            where = f"{pipeline}: {name}"
            if state["Type"] == "Map":
                found += _map_calls(config, pipeline, definition, state, where)
            if state["Type"] != "Task":
                continue
            integration = state["Resource"].removeprefix("arn:aws:states:::")
            p = state["Parameters"]

            def add(action, resource, context=None, where=where):
                found.append((action, resource, context or {}, where))

            if integration.startswith("dynamodb:"):
                key = p.get("Key") or p.get("Item")
                add("dynamodb:" + integration.split(":")[1][0].upper() + integration.split(":")[1][1:],
                    arn(config, "dynamodb", f"table/{p['TableName']}"), {"dynamodb:LeadingKeys": [key["pk"]["S"]]})
            elif integration == "sns:publish":
                add("sns:Publish", p["TopicArn"])
            elif integration == "events:putEvents":
                for entry in p["Entries"]:
                    add("events:PutEvents", arn(config, "events", f"event-bus/{entry['EventBusName']}"),
                        {"events:source": entry["Source"]})
            elif integration == "ecs:runTask.sync":
                add("ecs:RunTask", arn(config, "ecs", f"task-definition/{_ecs_family(config, p)}:12"),
                    {"ecs:cluster": arn(config, "ecs", f"cluster/{p['Cluster']}")})
                for action in ("ecs:DescribeTasks", "ecs:StopTask"):
                    add(action, arn(config, "ecs", f"task/{p['Cluster']}/{TASK_ID}"))
                add("iam:PassRole", platform.task_role, {"iam:PassedToService": "ecs-tasks.amazonaws.com"})
            elif integration in SYNC_JOBS:
                noun, kind, key = SYNC_JOBS[integration]
                job = arn(config, "sagemaker", f"{kind}/{evaluate(definition, p, key).lower()}")
                for verb in ("Create", "Describe", "Stop"):
                    add(f"sagemaker:{verb}{noun}", job)
                add("sagemaker:ListTags", job)
                if noun != "TransformJob":  # a transform job runs as its model's role, passed by CreateModel
                    role = p.get("RoleArn") or p["TrainingJobDefinition"]["RoleArn"]
                    add("iam:PassRole", role, {"iam:PassedToService": "sagemaker.amazonaws.com"})
            elif integration == "sagemaker:createModel":
                add("sagemaker:CreateModel", arn(config, "sagemaker", f"model/{evaluate(definition, p, 'ModelName').lower()}"))
                add("iam:PassRole", p["ExecutionRoleArn"], {"iam:PassedToService": "sagemaker.amazonaws.com"})
            elif integration == "sagemaker:createEndpointConfig":
                add("sagemaker:CreateEndpointConfig",
                    arn(config, "sagemaker", f"endpoint-config/{evaluate(definition, p, 'EndpointConfigName').lower()}"))
            elif integration in ("sagemaker:createEndpoint", "sagemaker:updateEndpoint"):
                action = "sagemaker:" + integration.split(":")[1][0].upper() + integration.split(":")[1][1:]
                add(action, arn(config, "sagemaker", f"endpoint/{p['EndpointName'].lower()}"))
                add(action, arn(config, "sagemaker", f"endpoint-config/{evaluate(definition, p, 'EndpointConfigName').lower()}"))
            elif integration.startswith("aws-sdk:"):
                found += [(action, resource, context, where)
                          for action, resource, context in _sdk_calls(config, definition, integration, p)]
            else:
                raise AssertionError(f"{where}: the test has no expectation for {integration}")
            if integration in MANAGED_RULE:
                for action in ("events:DescribeRule", "events:PutRule", "events:PutTargets"):
                    add(action, arn(config, "events", f"rule/{MANAGED_RULE[integration]}"))
    for rule in triggers.triggers(Naming(config))["rules"]:
        for target in rule["Targets"]:
            found.append(("states:StartExecution", target["Arn"], {}, f"trigger {rule['Name']}"))
    for action in ("logs:CreateLogDelivery", "logs:PutResourcePolicy", "xray:PutTraceSegments"):
        found.append((action, "*", {}, "logging and tracing"))
    return found


def _sdk_calls(config, definition: dict, integration: str, p: dict) -> list[tuple[str, str, dict]]:
    action = _sdk_action(integration)
    service = integration.split(":")[1]
    if service == "lambda":
        out = [(action, arn(config, "lambda", f"function:{p['FunctionName']}"), {})]
        if action in ("lambda:UpdateAlias", "lambda:GetAlias", "lambda:CreateAlias"):
            out.append((action, arn(config, "lambda", f"function:{p['FunctionName']}:{p['Name']}"), {}))
        if action == "lambda:UpdateFunctionCode":
            runtime = re.search(r"images\.M\['([^']+)'\]", p["ImageUri.$"]).group(1)
            out += [(a, arn(config, "ecr", f"repository/{config.name}/{runtime}"), {})
                    for a in ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")]
        return out
    if service == "sagemaker" and "MonitoringScheduleName" in p:
        definition = p["MonitoringScheduleConfig"]["MonitoringJobDefinition"]
        return [(action, arn(config, "sagemaker", f"monitoring-schedule/{p['MonitoringScheduleName'].lower()}"), {}),
                ("iam:PassRole", definition["RoleArn"], {"iam:PassedToService": "sagemaker.amazonaws.com"})]
    if service == "sagemaker" and p.get("EndpointConfigName.$") == "$.endpoint.EndpointConfigName":
        # the config the endpoint serves: one an earlier deployment created (issue 13, item 8)
        prefix = names.job_prefix(config.deploy.endpoint.name, "config", "endpoint_config")
        return [(action, arn(config, "sagemaker", f"endpoint-config/{prefix.lower()}-{SAMPLE_TOKEN}"), {})]
    if service == "sagemaker" and action == "sagemaker:CreateModelPackage":  # register.sagemaker: version 1 of the group
        return [(action, arn(config, "sagemaker", f"model-package/{p['ModelPackageGroupName']}/1"), {})]
    if service == "sagemaker" and action == "sagemaker:DeleteModel":  # batch transform's own model
        return [(action, arn(config, "sagemaker", f"model/{evaluate(definition, p, 'ModelName').lower()}"), {})]
    if service == "sagemaker":
        return [(action, arn(config, "sagemaker", f"endpoint/{p['EndpointName'].lower()}"), {})]
    if service == "sfn":  # the execution the deployment lock names (issue 13, item 6)
        machine = names.state_machine(config.name, config.environment, "deploy")
        return [(action, arn(config, "states", f"execution:{machine}:{RUN_ID}"), {})]
    if service == "applicationautoscaling":
        return [(action, arn(config, "application-autoscaling", "scalable-target/056d5bd3f7e5e9d4a2b6bdf5c8a1e9f1a"), {})]
    if service == "cloudwatch" and "AlarmName" in p:  # a deployment's rollback alarm (issue 13, item 7)
        return [(action, arn(config, "cloudwatch", f"alarm:{p['AlarmName']}"), {})]
    if service == "cloudwatch":
        return [(action, arn(config, "cloudwatch", f"alarm:{alarm}"), {}) for alarm in p["AlarmNames"]]
    if service == "ecs":
        if action == "ecs:RegisterTaskDefinition":
            return [(action, arn(config, "ecs", f"task-definition/{p['Family']}:3"), {}),
                    ("iam:PassRole", p["TaskRoleArn"], {"iam:PassedToService": "ecs-tasks.amazonaws.com"}),
                    ("iam:PassRole", p["ExecutionRoleArn"], {"iam:PassedToService": "ecs-tasks.amazonaws.com"})]
        service_name = p.get("ServiceName") or p.get("Service") or p["Services"][0]
        return [(action, arn(config, "ecs", f"service/{p['Cluster']}/{service_name}"), {})]
    if service == "s3":
        key = evaluate(definition, p, "Key")
        return [(action, f"arn:aws:s3:::{p['Bucket']}/{key}", {})]
    raise AssertionError(f"the test has no expectation for {integration}")


def _map_calls(config, pipeline: str, definition: dict, state: dict, where: str) -> list:
    found = []
    reader, writer = state.get("ItemReader"), state.get("ResultWriter")
    if reader:
        assert reader["Resource"] == "arn:aws:states:::s3:listObjectsV2", where
        found.append(("s3:ListBucket", f"arn:aws:s3:::{reader['Parameters']['Bucket']}",
                      {"s3:prefix": reader["Parameters"]["Prefix"]}, where))
    if writer:
        assert writer["Resource"] == "arn:aws:states:::s3:putObject", where
        prefix = evaluate(definition, writer["Parameters"], "Prefix")
        for action in ("s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"):
            found.append((action, f"arn:aws:s3:::{writer['Parameters']['Bucket']}/{prefix}/manifest.json", {}, where))
    if state.get("ItemProcessor", {}).get("ProcessorConfig", {}).get("Mode") == "DISTRIBUTED":
        machine = f"{config.name}-{config.environment}-{pipeline}"
        found.append(("states:StartExecution", arn(config, "states", f"stateMachine:{machine}"), {}, where))
        for action in ("states:DescribeExecution", "states:StopExecution"):
            found.append((action, arn(config, "states", f"execution:{machine}/label:{TASK_ID}"), {}, where))
    return found


def _stages(config) -> list:
    """Every stage that runs a container, read from the model (not from render/iam/'s helpers)."""
    stages = []
    if config.retrain:
        retrain = config.retrain
        stages += [stage for stage in (retrain.validate, retrain.transform, retrain.train, retrain.evaluate) if stage]
        stages += [retrain.tune.stage] if retrain.tune else []
    if config.monitor and config.monitor.baseline:
        stages.append(config.monitor.baseline)
    if config.batch:
        stages.append(config.batch.stage)
    if config.drift_job:
        stages.append(config.drift_job)
    return stages


MODEL_MONITOR_NAMESPACE = "aws/sagemaker/Endpoints/data-metrics"


def _monitor_task_calls(config) -> list[tuple[str, str, dict, str]]:
    """What runs as the task role for the monitor: the serving code of an ecs-service and the
    endpoint's data capture write captured requests; the drift job (and an ecs-service) publish
    metrics in the model's namespace; Model Monitor's jobs read the capture and baseline and
    publish in SageMaker's."""
    monitor, deploy = config.monitor, config.deploy
    if monitor is None or deploy is None:
        return []
    bucket, model, environment = config.platform.artifact_bucket, config.name, config.environment
    # An endpoint's own data capture adds <endpoint>/<variant>/ before the hour folders.
    folder = f"{deploy.endpoint.name}/AllTraffic/" if deploy.target == "sagemaker-endpoint" else ""
    capture = f"arn:aws:s3:::{bucket}/{model}/{environment}/monitor/capture/{folder}2026/11/26/01/part.jsonl"
    found = []
    if deploy.target != "lambda":  # Lambda captures as the function's own role, which mlopsc does not derive
        found.append(("s3:PutObject", capture, {}, "capture"))
    own = {"cloudwatch:namespace": f"mlops/{model}"}
    if config.drift_job or deploy.target == "ecs-service":
        found.append(("cloudwatch:PutMetricData", "*", own, "the model's metrics"))
    if config.drift_job:
        found.append(("s3:GetObject", capture, {}, "the drift job reads the capture"))
    if monitor.drift and not config.drift_job and deploy.target == "sagemaker-endpoint":
        found += [("s3:GetObject", capture, {}, "Model Monitor reads the capture"),
                  ("s3:GetObject", f"arn:aws:s3:::{bucket}/{model}/retrain/{RUN_ID}/baseline/constraints.json", {},
                   "Model Monitor reads the baseline"),
                  ("s3:PutObject", f"arn:aws:s3:::{bucket}/{model}/{environment}/monitor/reports/r/constraint_violations.json",
                   {}, "Model Monitor's reports"),
                  ("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": MODEL_MONITOR_NAMESPACE},
                   "Model Monitor's metrics")]
    return found


def task_calls(config, definitions: dict) -> list[tuple[str, str, dict, str]]:
    """(action, ARN, context, why) the task role needs: from the config, and the logs of the
    SageMaker jobs and endpoint the definitions create (job names evaluated as at run time)."""
    found = []
    for pipeline, definition in definitions.items():
        for name, state in all_states(definition).items():
            integration = state.get("Resource", "").removeprefix("arn:aws:states:::")
            if integration in SYNC_JOBS:
                noun, _, key = SYNC_JOBS[integration]
                job = evaluate(definition, state["Parameters"], key)
                group = {"ProcessingJob": "ProcessingJobs", "TransformJob": "TransformJobs"}.get(noun, "TrainingJobs")
                stream = f"{job}-001-a1b2c3d4/algo-1-1700000000" if noun == "HyperParameterTuningJob" \
                    else f"{job}/i-0123456789abcdef0-1700000000" if noun == "TransformJob" else f"{job}/algo-1-1700000000"
                found.append(("logs:PutLogEvents", arn(config, "logs", f"log-group:/aws/sagemaker/{group}:log-stream:{stream}"),
                              {}, f"{pipeline}: {name}"))
            elif integration == "sagemaker:createEndpoint":
                endpoint = state["Parameters"]["EndpointName"]
                found.append(("logs:PutLogEvents", arn(config, "logs", f"log-group:/aws/sagemaker/Endpoints/{endpoint}"
                                                               f":log-stream:AllTraffic/i-0123456789abcdef0"), {}, "endpoint"))

    def objects(uri: str, name: str) -> str:
        """bucket/key of an object under the URI's prefix (a prefix need not end with '/')."""
        return uri.removeprefix("s3://") + name

    stages = _stages(config)
    if config.retrain:
        found.append(("s3:GetObject", f"arn:aws:s3:::{objects(config.retrain.data_source, 'part-0.csv')}", {},
                      "data.source"))
    found += _monitor_task_calls(config)
    if config.batch:
        found.append(("s3:GetObject", f"arn:aws:s3:::{objects(config.batch.input, 'x.csv')}", {}, "batch.input"))
        found.append(("s3:PutObject", f"arn:aws:s3:::{objects(config.batch.output, 'y.csv')}", {}, "batch.output"))
    bucket = config.platform.artifact_bucket
    for action in ("s3:GetObject", "s3:PutObject"):
        found.append((action, f"arn:aws:s3:::{bucket}/{config.name}/retrain/{RUN_ID}/train/model.tar.gz", {}, "artifacts"))
    found.append(("s3:ListBucket", f"arn:aws:s3:::{bucket}", {"s3:prefix": f"{config.name}/retrain/"}, "artifacts"))
    runtimes = {s.runtime for s in stages} | ({config.deploy.runtime} if config.deploy and config.deploy.target != "lambda" else set())
    for runtime in sorted(r for r in runtimes if config.runtime(r).built):  # the model's own repositories
        found.append(("ecr:BatchGetImage", arn(config, "ecr", f"repository/{config.name}/{runtime}"), {}, f"image {runtime}"))
    for stage in stages:
        for secret in stage.secrets.values():
            action = "secretsmanager:GetSecretValue" if ":secretsmanager:" in secret else "ssm:GetParameters"
            found.append((action, secret + ("-AbCdEf" if ":secretsmanager:" in secret else ""), {}, f"secret of {stage.name}"))
        if stage.compute == "fargate":
            found.append(("logs:PutLogEvents", arn(config, "logs", f"log-group:/mlops/{config.name}/{config.environment}"
                                                           f":log-stream:{stage.name}/main/{TASK_ID}"), {}, stage.name))
    if config.platform.kms_key:
        found.append(("kms:GenerateDataKey", config.platform.kms_key if ":key/" in config.platform.kms_key
                      else arn(config, "kms", "key/0b6f5c1e-2a3d-4e5f-9a8b-7c6d5e4f3a2b"),
                      {"kms:ResourceAliases": [config.platform.kms_key.split(":", 5)[5]]}, "kms"))
    return found


# --------------------------------------------------------------------------- tests

def test_every_template_path_is_covered(compiled):
    """The inputs really reach every integration render/iam/ knows (so the tests below see them all)."""
    seen = set()
    for _, definitions, _ in compiled.values():
        for definition in definitions.values():
            for state in all_states(definition).values():
                if state["Type"] == "Task":
                    seen.add(state["Resource"].removeprefix("arn:aws:states:::"))
                for field in ("ItemReader", "ResultWriter"):
                    if field in state:
                        seen.add(f"{field} {state[field]['Resource'].removeprefix('arn:aws:states:::')}")
    known = pipeline_role.integrations()
    expected = set(known["Task"]) | {f"ItemReader {r}" for r in known["ItemReader"]} | \
        {f"ResultWriter {r}" for r in known["ResultWriter"]}
    assert seen == expected


def test_pipeline_policy_allows_every_call_the_state_machines_make(compiled):
    for label, (config, definitions, policies) in compiled.items():
        expected = calls(config, definitions)
        missing = sorted({(action, resource, where) for action, resource, context, where in expected
                          if not allowed(policies["pipeline"], action, resource, context)})
        assert not missing, f"{label}: the pipeline policy denies:\n" + "\n".join(map(str, missing[:20]))


def test_task_policy_allows_what_the_containers_do(compiled):
    for label, (config, definitions, policies) in compiled.items():
        missing = [(a, r, w) for a, r, c, w in task_calls(config, definitions) if not allowed(policies["task"], a, r, c)]
        assert not missing, f"{label}: the task policy denies:\n" + "\n".join(map(str, missing))


def test_star_only_for_the_documented_unscopable_actions(compiled):
    for label, (_, _, policies) in compiled.items():
        for role, document in policies.items():
            for statement in document["Statement"]:
                if statement["Resource"] == "*":
                    assert statement["Sid"] in UNSCOPABLE, f"{label} {role}: {statement['Sid']}"
                    assert set(statement["Action"]) <= set(UNSCOPABLE[statement["Sid"]][0])
                    assert set(statement["Action"]) <= STAR_ALLOWED, f"{label} {role}: {statement['Action']}"
                else:
                    assert isinstance(statement["Resource"], list) and "*" not in statement["Resource"]
                    assert not any(r.endswith(":*:*") or r in ("arn:aws:s3:::*",) for r in statement["Resource"])
    documented = {action for actions, _ in UNSCOPABLE.values() for action in actions}
    assert documented == STAR_ALLOWED


def test_star_actions_have_no_resource_type_and_scoped_actions_have_one():
    """Against IAM's reference as cfn-lint ships it (data/AdditionalSpecs/Policies.json): `*` is
    used only where the action takes no resource (or for the documented exceptions), and every
    action given ARNs does take one (a scoped statement for an action without resource types
    would never match, and deny)."""
    reference = _iam_reference()
    for action in sorted(STAR_ALLOWED):
        resources = _resource_types(reference, action)
        assert not resources or action in STAR_DESPITE_RESOURCE_TYPE, f"{action} could be scoped to {resources}"


def test_scoped_actions_take_a_resource(compiled):
    reference = _iam_reference()
    for label, (_, _, policies) in compiled.items():
        for role, document in policies.items():
            for statement in document["Statement"]:
                if statement["Resource"] != "*":
                    for action in statement["Action"]:
                        assert _resource_types(reference, action), f"{label} {role}: {action} takes no resource ARN"


def _iam_reference() -> dict:
    cfnlint = pytest.importorskip("cfnlint")
    path = Path(cfnlint.__file__).parent / "data" / "AdditionalSpecs" / "Policies.json"
    return json.loads(path.read_text())


def _resource_types(reference: dict, action: str) -> list:
    service, name = action.split(":")
    entry = reference[service]["Actions"].get(name.lower())
    assert entry is not None, f"{action} is not an IAM action"
    return entry.get("Resources") or []


def test_every_resource_is_the_models_or_the_platforms(compiled):
    for label, (config, _, policies) in compiled.items():
        owned = _owned_names(config)
        for role, document in policies.items():
            for statement in document["Statement"]:
                for resource in statement["Resource"] if statement["Resource"] != "*" else []:
                    assert any(name in resource for name in owned), f"{label} {role} {statement['Sid']}: {resource}"


def _owned_names(config) -> set:
    """What a resource of this model environment may be named after: the model, the names the
    config gives, the platform's resources, the data it names, and the managed rules of `.sync`.
    (A tuning job's name is cut to 32 characters: the model's part then ends with a hash.)"""
    p = config.platform
    owned = {config.name, names.job_prefix(config.name, "hpo", "tuning_job"), p.registry_table, p.notification_topic, f"event-bus/{p.event_bus}", p.task_role,
             f"arn:aws:s3:::{p.artifact_bucket}", "rule/StepFunctionsGetEventsFor", "/aws/sagemaker/",
             "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"}
    if p.ecs_cluster:
        owned.add(f"task/{p.ecs_cluster}/")
    if p.kms_key:
        owned.add(p.kms_key if ":key/" in p.kms_key else "key/*")
    owned |= {f"subnet/{s}" for s in p.subnets} | {f"security-group/{g}" for g in p.security_groups}
    owned |= {"network-interface/*"} if p.subnets else set()
    if config.retrain:
        owned.add("arn:aws:s3:::" + config.retrain.data_source.removeprefix("s3://").split("/")[0])
    if config.batch:
        owned |= {"arn:aws:s3:::" + uri.removeprefix("s3://").split("/")[0] for uri in (config.batch.input, config.batch.output)}
    if config.deploy:
        d = config.deploy
        owned |= {f"alarm:{iam_literal(a)}" for a in d.traffic.alarms}
        for named in (d.endpoint, d.function, d.service):
            if named:
                owned.add(named.name.lower() if named is d.endpoint else named.name)
    for stage in _stages(config):
        owned |= set(stage.secrets.values())
    return owned


def test_pass_role_only_for_the_task_role_and_only_to_its_services(compiled):
    for label, (config, _, policies) in compiled.items():
        for role, document in policies.items():
            for statement in document["Statement"]:
                iam_actions = [a for a in statement["Action"] if a.startswith("iam:")]
                if not iam_actions:
                    continue
                if iam_actions == ["iam:CreateServiceLinkedRole"]:
                    assert statement["Condition"] == {"StringEquals": {"iam:AWSServiceName": [AUTOSCALING_SERVICE]}}
                    continue
                assert role == "pipeline" and statement["Action"] == ["iam:PassRole"], f"{label} {role}: {statement}"
                assert statement["Resource"] == [config.platform.task_role]
                assert set(statement["Condition"]["StringEquals"]["iam:PassedToService"]) <= \
                    {"ecs-tasks.amazonaws.com", "sagemaker.amazonaws.com"}
        assert config.platform.pipeline_role not in json.dumps(policies), f"{label}: the pipeline role passes itself"


def test_another_models_resources_are_not_covered(pair):
    """`churn` and `churn-train` in one account, same platform, one name the prefix of the other:
    every call of one model (concrete ARNs, with its own request context) is denied by the other
    model's policies, except the calls on resources they share by design (documented `*`
    statements, the `.sync` managed rules, the cluster's task ARNs, the notification topic). The
    registry table, event bus and artifact bucket are shared too, but conditions (the item's
    partition key, the event source, the listed prefix) or the key prefix keep them apart."""
    shared_by_design = {action for actions, _ in UNSCOPABLE.values() for action in actions} | {
        "events:DescribeRule", "events:PutRule", "events:PutTargets",  # StepFunctionsGetEventsFor* rules
        "ecs:DescribeTasks", "ecs:StopTask",  # task ARNs carry the cluster, not the family
        "sns:Publish",  # the platform's one notification topic
    }
    for target in ("endpoint", "lambda", "ecs"):
        mine, other = pair[f"{target}/{PAIR[0]}"], pair[f"{target}/{PAIR[1]}"]
        for (config, definitions, _), (_, _, policies) in ((mine, other), (other, mine)):
            leaks = [(action, resource, context, where) for action, resource, context, where in calls(config, definitions)
                     if action not in shared_by_design and allowed(policies["pipeline"], action, resource, context)]
            assert not leaks, f"{target}: {config.name}'s calls allowed by the other model:\n" + \
                "\n".join(map(str, leaks[:20]))
            task_leaks = [(a, r, w) for a, r, c, w in task_calls(config, definitions)
                          if a not in shared_by_design and allowed(policies["task"], a, r, c)]
            assert not task_leaks, f"{target}: {config.name}'s task calls allowed by the other model: {task_leaks}"


def test_statements_are_sorted_unique_and_deterministic(compiled):
    for label, (config, definitions, policies) in compiled.items():
        assert iam.policies(Naming(config), definitions) == policies
        for role, document in policies.items():
            assert document["Version"] == "2012-10-17"
            sids = [s["Sid"] for s in document["Statement"]]
            assert sids == sorted(set(sids)), f"{label} {role}"
            for statement in document["Statement"]:
                assert re.fullmatch(r"[A-Za-z0-9]+", statement["Sid"])
                assert list(statement) in (["Sid", "Effect", "Action", "Resource"],
                                           ["Sid", "Effect", "Action", "Resource", "Condition"])
                assert statement["Action"] == sorted(set(statement["Action"]))
                assert not any("*" in a or "?" in a for a in statement["Action"])
                if statement["Resource"] != "*":
                    assert statement["Resource"] == sorted(set(statement["Resource"]))
                for keys in statement.get("Condition", {}).values():
                    assert all(values == sorted(set(values)) for values in keys.values())


#: IAM quotas: inline policies of one role together, and one managed policy (whitespace not counted).
INLINE_LIMIT, MANAGED_LIMIT = 10240, 6144


def test_policies_fit_an_inline_role_policy(compiled):
    for label, (_, _, policies) in compiled.items():
        for role, document in policies.items():
            size = len(json.dumps(document, separators=(",", ":")))
            assert size <= INLINE_LIMIT, f"{label} {role}: {size} characters"


def test_trust_principals():
    assert iam.TRUSTED_SERVICES == {"pipeline": ["events.amazonaws.com", "states.amazonaws.com"],
                                    "task": ["ecs-tasks.amazonaws.com", "lambda.amazonaws.com", "sagemaker.amazonaws.com"]}


def test_iam_json_carries_roles_trust_and_policies(compiled):
    for label, (config, definitions, policies) in compiled.items():
        content = iam.roles(Naming(config), definitions)
        assert content == {"roles": {
            "pipeline": {"arn": config.platform.pipeline_role, "trusted_services": iam.TRUSTED_SERVICES["pipeline"],
                         "policy": policies["pipeline"]},
            "task": {"arn": config.platform.task_role, "trusted_services": iam.TRUSTED_SERVICES["task"],
                     "policy": policies["task"]}}}, label


def test_samples_emit_iam_json(samples_out_iam):
    for folder, content in samples_out_iam.items():
        roles = content["roles"]
        model = folder.split("/")[0]
        assert roles["pipeline"]["arn"].endswith(("/mlops-pipeline", f"/mlops-{model}-pipeline")), folder


@pytest.fixture(scope="module")
def samples_out_iam(tmp_path_factory) -> dict:
    from compile_helpers import compile_samples

    out = tmp_path_factory.mktemp("iam-samples") / "out"
    compile_samples(out)
    found = {p.parent.relative_to(out).as_posix(): json.loads(p.read_text()) for p in sorted(out.glob("*/*/iam.json"))}
    assert set(found) == {p.parent.relative_to(out).as_posix() for p in out.glob("*/*/manifest.json")}
    return found


# --------------------------------------------------------------------------- unknown integrations

def _with_state(definition: dict, state: dict, where: str) -> dict:
    """A copy of `definition` with one more state: at the top, in a Parallel branch or a Map."""
    definition = json.loads(json.dumps(definition))
    if where == "top":
        definition["States"]["Extra"] = state
    elif where == "parallel":
        definition["States"]["Extra"] = {"Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "Inner", "States": {"Inner": state}}]}
    else:
        definition["States"]["Extra"] = {"Type": "Map", "End": True, "Iterator": {
            "StartAt": "Inner", "States": {"Inner": state}}}
    return definition


@pytest.mark.parametrize("where", ["top", "parallel", "map"])
@pytest.mark.parametrize("resource", ["arn:aws:states:::glue:startJobRun.sync",
                                      "arn:aws:lambda:eu-west-1:111111111111:function:anything",
                                      "arn:aws:states:::aws-sdk:s3:deleteObject",
                                      "arn:aws-cn:states:::sns:publish"])
def test_an_unknown_resource_is_an_internal_error(compiled, where, resource):
    config, definitions, _ = compiled["churn-fargate/default"]
    state = {"Type": "Task", "Resource": resource, "Parameters": {}, "End": True}
    changed = {**definitions, "retrain": _with_state(definitions["retrain"], state, where)}
    state_name = "Extra" if where == "top" else "Extra / Inner"
    with pytest.raises(UnknownIntegration, match=re.escape(f"retrain.asl.json, state '{state_name}'")):
        iam.policies(Naming(config), changed)


def test_states_in_parallel_branches_and_map_iterators_are_walked(compiled):
    config, definitions, _ = compiled["fraud-scoring/dev"]
    function = config.deploy.function.name
    for where in ("parallel", "map"):
        state = {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem", "End": True,
                 "Parameters": {"TableName": config.platform.registry_table,
                                "Item": {"pk": {"S": f"MODEL#{config.name}"}}}}
        lambda_state = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:lambda:deleteFunction",
                        "Parameters": {"FunctionName": function}, "End": True}
        retrain = _with_state(definitions["retrain"], state, where)
        assert allowed(iam.policies(Naming(config), {**definitions, "retrain": retrain})["pipeline"], "dynamodb:PutItem",
                       arn(config, "dynamodb", f"table/{config.platform.registry_table}"),
                       {"dynamodb:LeadingKeys": [f"MODEL#{config.name}"]})
        with pytest.raises(UnknownIntegration, match="aws-sdk:lambda:deleteFunction"):
            iam.policies(Naming(config), {**definitions, "retrain": _with_state(definitions["retrain"], lambda_state, where)})


def test_a_call_that_cannot_be_scoped_is_an_internal_error(compiled):
    """A name known only at run time, another table or another model's registry key: no policy."""
    config, definitions, _ = compiled["fraud-scoring/dev"]
    cases = [
        ({"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem", "End": True,
          "Parameters": {"TableName": "other-table", "Key": {"pk": {"S": f"MODEL#{config.name}"}}}}, "not the registry"),
        ({"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem", "End": True,
          "Parameters": {"TableName": config.platform.registry_table, "Key": {"pk": {"S.$": "$.model"}}}},
         "partition key"),
        ({"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:lambda:getAlias", "End": True,
          "Parameters": {"FunctionName.$": "$.function", "Name": "live"}}, "FunctionName is not a literal"),
        ({"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createModel", "End": True,
          "Parameters": {"ModelName.$": "$.input.name", "ExecutionRoleArn": config.platform.task_role}},
         "names no resource known"),
        ({"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createModel", "End": True,
          "Parameters": {"ModelName": "x", "ExecutionRoleArn": config.platform.pipeline_role}}, "not the task role"),
        ({"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject", "End": True,
          "Parameters": {"Bucket": config.platform.artifact_bucket, "Key": "other-model/metrics.json"}},
         "outside the model's prefix"),
    ]
    for state, message in cases:
        with pytest.raises(UnknownIntegration, match=message):
            iam.policies(Naming(config), {**definitions, "retrain": _with_state(definitions["retrain"], state, "top")})


# --------------------------------------------------------------------------- an independent validator

@pytest.mark.e2e
def test_cfn_lint_accepts_the_roles_and_policies(compiled, tmp_path):
    """cfn-lint's IAM rules (E3510 policy grammar, W3037 actions that exist, I3510 resources that
    fit the actions) on every role and policy, as CloudFormation would be given them."""
    CfnLint.require()
    resources = {}
    for index, (_, (config, definitions, _)) in enumerate(sorted(compiled.items())):
        for role, spec in iam.roles(Naming(config), definitions)["roles"].items():
            name = f"M{index:02d}{role.capitalize()}"
            resources[f"{name}Role"] = {"Type": "AWS::IAM::Role", "Properties": {
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": spec["trusted_services"]}, "Action": "sts:AssumeRole"}]}}}
            resources[f"{name}Policy"] = {"Type": "AWS::IAM::Policy", "Properties": {
                "PolicyName": f"{config.name}-{config.environment}-{role}", "Roles": [{"Ref": f"{name}Role"}],
                "PolicyDocument": spec["policy"]}}
    problems = _cfn_lint({"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}, tmp_path / "roles.json")
    assert problems == []


@pytest.mark.e2e
def test_cfn_lint_rejects_a_broken_policy(tmp_path):
    """Negative control: the same invocation reports a made-up action and a wrong resource."""
    CfnLint.require()
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Bad", "Effect": "Allow", "Action": ["sagemaker:CreateTrainingJobs"], "Resource": ["*"]},
        {"Sid": "Wrong", "Effect": "Allow", "Action": ["ecs:RunTask"], "Resource": ["arn:aws:s3:::bucket/key"]}]}
    template = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"Policy": {"Type": "AWS::IAM::Policy",
                "Properties": {"PolicyName": "p", "Roles": ["r"], "PolicyDocument": policy}}}}
    rules = {problem.split(" ")[0] for problem in _cfn_lint(template, tmp_path / "bad.json")}
    assert rules == {"W3037", "I3510"}


def _cfn_lint(template: dict, path: Path) -> list[str]:
    path.write_text(json.dumps(template, indent=1))
    done = subprocess.run([CfnLint.executable(), "--include-checks", "I", "--format", "parseable", "--regions", REGION,
                           "--", str(path)], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode < 16, done.stderr
    problems = []
    for line in done.stdout.splitlines():
        fields = line.split(":", 6)  # file:line:col:endline:endcol:RULE:message
        if len(fields) == 7:
            problems.append(f"{fields[5]} line {fields[1]}: {fields[6][:300]}")
    return problems


def test_combined_policies_of_one_role_fit_and_allow_what_each_allowed(compiled):
    """With a per-model role, a model's environments in one account share the role: their
    policies combined (iam.combined) must allow every call of each and fit the inline limit,
    which two separate policies of the largest configurations would not."""
    by_model: dict[str, list] = {}
    for config, definitions, policies in compiled.values():
        by_model.setdefault(config.name, []).append((config, definitions, policies))
    for model, environments in by_model.items():
        for role in ("pipeline", "task"):
            merged = iam.combined([policies[role] for _, _, policies in environments])
            assert len(json.dumps(merged, separators=(",", ":"))) <= INLINE_LIMIT, f"{model} {role}"
            assert iam.combined([merged]) == merged
        for config, definitions, _ in environments:
            merged = iam.combined([policies["pipeline"] for _, _, policies in environments])
            denied = [c for c in calls(config, definitions) if not allowed(merged, *c[:3])]
            assert not denied, f"{model}: {denied[:5]}"
    sizes = [sum(len(json.dumps(p["pipeline"], separators=(",", ":"))) for _, _, p in envs) for envs in by_model.values()]
    assert max(sizes) > INLINE_LIMIT  # the reason combined() exists: separately, they would not fit


# --------------------------------------------------------------------------- the monitor

def test_the_monitor_calls_are_among_those_checked(compiled):
    """What the monitor adds reaches the checks above: the endpoint's schedule (created and
    updated, passing the task role), the drift item and the live deployment a drift-started
    retrain reads and writes, the drift pipeline's job, and the metrics the task role publishes."""
    forecast, fraud, watch = (compiled[label] for label in ("demand-forecast/default", "fraud-scoring/dev",
                                                            "ecs-watch/default"))
    actions = {(action, where.split(":")[0]) for action, _, _, where in calls(forecast[0], forecast[1])}
    assert {("sagemaker:CreateMonitoringSchedule", "deploy"), ("sagemaker:UpdateMonitoringSchedule", "deploy"),
            ("iam:PassRole", "deploy"), ("dynamodb:PutItem", "retrain"), ("dynamodb:GetItem", "retrain")} <= actions
    drift = {(action, resource) for action, resource, _, where in calls(fraud[0], fraud[1]) if where.startswith("drift:")}
    assert ("ecs:RunTask", arn(fraud[0], "ecs", "task-definition/fraud-scoring-dev-drift-drift:12")) in drift
    assert ("sagemaker:CreateProcessingJob",
            arn(watch[0], "sagemaker", f"processing-job/ecs-watch-drift-{SAMPLE_TOKEN}")) in {
        (action, resource) for action, resource, _, _ in calls(watch[0], watch[1])}
    for config, definitions, _ in (forecast, fraud, watch):
        metrics = [c for c in task_calls(config, definitions) if c[0] == "cloudwatch:PutMetricData"]
        assert metrics, config.name


def test_an_endpoint_with_its_own_drift_job_gets_no_model_monitor_permissions(compiled):
    config, definitions, policies = compiled["endpoint-watch/default"]
    assert "drift" in definitions and not [c for c in calls(config, definitions) if "MonitoringSchedule" in c[0]]
    assert "SageMakerMonitoring" not in {statement["Sid"] for statement in policies["pipeline"]["Statement"]}
    monitor_metrics = {"cloudwatch:namespace": MODEL_MONITOR_NAMESPACE}
    assert not allowed(policies["task"], "cloudwatch:PutMetricData", "*", monitor_metrics)
    assert allowed(policies["task"], "cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": "mlops/endpoint-watch"})


def test_a_models_metrics_namespace_is_its_own(pair):
    """The task role publishes metrics only in its model's namespace (`mlops/<model>`), and Model
    Monitor's only in SageMaker's: a model whose name starts with another's gets neither's."""
    for target in ("endpoint", "lambda", "ecs"):
        (mine, _, my_policies), (other, _, other_policies) = pair[f"{target}/{PAIR[0]}"], pair[f"{target}/{PAIR[1]}"]
        for config, policies, foreign in ((mine, my_policies, other), (other, other_policies, mine)):
            own = {"cloudwatch:namespace": f"mlops/{config.name}"}
            publishes = bool(config.drift_job or config.deploy.target == "ecs-service")
            assert allowed(policies["task"], "cloudwatch:PutMetricData", "*", own) == publishes, (target, config.name)
            assert not allowed(policies["task"], "cloudwatch:PutMetricData", "*",
                               {"cloudwatch:namespace": f"mlops/{foreign.name}"}), (target, config.name)
            assert not allowed(policies["task"], "cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": "mlops/x"})
            monitor_metrics = {"cloudwatch:namespace": MODEL_MONITOR_NAMESPACE}
            assert allowed(policies["task"], "cloudwatch:PutMetricData", "*", monitor_metrics) == (target == "endpoint")
            assert not allowed(policies["pipeline"], "cloudwatch:PutMetricData", "*", own)


def test_managing_network_interfaces_is_limited_to_the_platforms_subnets(compiled):
    """The task role is also the model's own code: it may delete or share (permission) only the
    network interfaces of the platform's subnets, those SageMaker makes for its jobs (SageMaker
    Developer Guide, "Give SageMaker AI Training Jobs Access to Resources in Your Amazon VPC")."""
    checked = 0
    for label, (config, _, policies) in compiled.items():
        if not any("ManageNetworkInterfaces" == s["Sid"] for s in policies["task"]["Statement"]):
            continue
        checked += 1
        interface = arn(config, "ec2", "network-interface/eni-0123456789abcdef0")
        ours = {"ec2:Subnet": arn(config, "ec2", f"subnet/{config.platform.subnets[0]}")}
        other = {"ec2:Subnet": arn(config, "ec2", "subnet/subnet-0fffffffffffffff0")}
        for action in ("ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface",
                       "ec2:DeleteNetworkInterfacePermission"):
            assert allowed(policies["task"], action, interface, ours), (label, action)
            assert not allowed(policies["task"], action, interface, other), (label, action)
            assert not allowed(policies["task"], action, interface, {}), (label, action)
    assert checked


def test_no_role_may_set_a_repository_policy(compiled):
    """A repository policy could open the model's images to anyone: the model stack sets the one
    Lambda needs (compiler/bootstrap/model_stack.py), no derived role may."""
    for label, (config, _, policies) in compiled.items():
        for runtime in config.runtimes:
            repository = arn(config, "ecr", f"repository/{config.name}/{runtime.name}")
            for role, document in policies.items():
                assert not allowed(document, "ecr:SetRepositoryPolicy", repository), (label, role)
