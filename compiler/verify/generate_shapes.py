"""Writes compiler/verify/aws_shapes.json: the response shapes of the Step Functions integrations
mlopsc emits, taken from botocore's service models, so that `verify` knows what a Task's result
holds without botocore at run time.

    python -m compiler.verify.generate_shapes          # rewrite the data file from the installed botocore
    python -m compiler.verify.generate_shapes --check  # exit 1 when the file is stale

What Step Functions returns (member names are PascalCase, as Step Functions returns them):
- request-response (`arn:aws:states:::dynamodb:getItem`, `aws-sdk:SERVICE:ACTION`): the action's
  output shape ("Call other AWS services" and "AWS SDK service integrations", Step Functions
  Developer Guide);
- `.sync` ("Run a Job"): what the service's Describe* call returns for the job, e.g.
  createTrainingJob.sync -> DescribeTrainingJob, ecs:runTask.sync -> the Task of DescribeTasks
  ("Run Amazon ECS or Fargate tasks with Step Functions": parameters and results in PascalCase),
  states:startExecution.sync -> DescribeExecution.

Encoding (compact, one entry per botocore shape): a shape is "s" (scalar), "?" (unknown: lambda's
Payload, documents), {"o": {Member: ref}, "r": [required members]}, {"a": ref} (a list, maybe empty)
or {"m": ref} (a map: its keys are not known). A ref is a shape's key in "shapes".
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DATA = Path(__file__).with_name("aws_shapes.json")

#: Step Functions' service name -> botocore's (request-response integrations say `states`, the
#: AWS SDK integrations `sfn`: "AWS SDK service integrations", Step Functions Developer Guide).
SERVICES = {"applicationautoscaling": "application-autoscaling", "cloudwatch": "cloudwatch", "dynamodb": "dynamodb",
            "ecs": "ecs", "events": "events", "lambda": "lambda", "s3": "s3", "sagemaker": "sagemaker",
            "sfn": "stepfunctions", "sns": "sns", "states": "stepfunctions"}

#: Integrations whose result is not the operation's own output: resource -> (service, operation, member).
#: `member` picks one member of that output (ecs:runTask.sync returns one task of DescribeTasks).
SYNC = {
    "sagemaker:createTrainingJob.sync": ("sagemaker", "DescribeTrainingJob", None),
    "sagemaker:createProcessingJob.sync": ("sagemaker", "DescribeProcessingJob", None),
    "sagemaker:createHyperParameterTuningJob.sync": ("sagemaker", "DescribeHyperParameterTuningJob", None),
    "sagemaker:createTransformJob.sync": ("sagemaker", "DescribeTransformJob", None),
    "ecs:runTask.sync": ("ecs", "DescribeTasks", "tasks[]"),
    "states:startExecution.sync": ("stepfunctions", "DescribeExecution", None),
}

#: Every integration mlopsc emits (tests/verify/test_verify.py checks the compiled samples name no other),
#: plus the common ones the issue names. Request-response: `service:action`; aws-sdk: `aws-sdk:service:action`.
INTEGRATIONS = sorted({
    "dynamodb:getItem", "dynamodb:putItem", "dynamodb:updateItem", "dynamodb:deleteItem",
    "events:putEvents", "sns:publish", "lambda:invoke", "states:startExecution",
    "sagemaker:createEndpoint", "sagemaker:createEndpointConfig", "sagemaker:createModel", "sagemaker:updateEndpoint",
    "ecs:runTask",
    *SYNC,
    "aws-sdk:applicationautoscaling:deregisterScalableTarget", "aws-sdk:applicationautoscaling:putScalingPolicy",
    "aws-sdk:applicationautoscaling:registerScalableTarget", "aws-sdk:cloudwatch:describeAlarms",
    "aws-sdk:cloudwatch:putMetricAlarm",
    "aws-sdk:ecs:createService", "aws-sdk:ecs:describeServices", "aws-sdk:ecs:registerTaskDefinition",
    "aws-sdk:ecs:updateService", "aws-sdk:lambda:createAlias", "aws-sdk:lambda:getAlias",
    "aws-sdk:lambda:getFunctionConfiguration", "aws-sdk:lambda:publishVersion", "aws-sdk:lambda:updateAlias",
    "aws-sdk:lambda:updateFunctionCode", "aws-sdk:lambda:updateFunctionConfiguration", "aws-sdk:s3:getObject",
    "aws-sdk:s3:putObject", "aws-sdk:sagemaker:createMonitoringSchedule", "aws-sdk:sagemaker:describeEndpoint",
    "aws-sdk:sagemaker:createModelPackage", "aws-sdk:sagemaker:deleteModel", "aws-sdk:sagemaker:describeEndpointConfig", "aws-sdk:sfn:describeExecution",
    "aws-sdk:sagemaker:updateMonitoringSchedule", "aws-sdk:sagemaker:updateEndpointWeightsAndCapacities",
})

#: Members whose content is an opaque document, present in every result Step Functions returns:
#: lambda:invoke's Payload is the function's own JSON ("Invoke an AWS Lambda function with Step
#: Functions", Step Functions Developer Guide: the task's output holds the response, its Payload).
OPAQUE = {("lambda", "InvocationResponse", "Payload")}


def pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


class Collector:
    def __init__(self):
        from botocore.loaders import Loader

        self.loader = Loader()
        self.models: dict = {}
        self.shapes: dict = {}

    def model(self, service: str) -> dict:
        if service not in self.models:
            self.models[service] = self.loader.load_service_model(service, "service-2")
        return self.models[service]

    def output_ref(self, service: str, operation: str) -> str:
        output = self.model(service)["operations"][operation].get("output")
        if output is None:  # an operation without output returns {}
            self.shapes.setdefault("empty", {"o": {}, "r": []})
            return "empty"
        return self.ref(service, output["shape"])

    def ref(self, service: str, name: str) -> str:
        key = f"{service}.{name}"
        if key in self.shapes:
            return key
        self.shapes[key] = None  # placeholder: a recursive shape refers to itself by key
        shape = self.model(service)["shapes"][name]
        kind = shape["type"]
        if kind == "structure" and shape.get("document"):
            node = "?"
        elif kind == "structure":
            members = {}
            for member, spec in sorted(shape.get("members", {}).items()):
                if (service, name, member) in OPAQUE or ("lambda", name, member) in OPAQUE:
                    members[pascal(member)] = "?"
                    self.shapes["?"] = "?"
                else:
                    members[pascal(member)] = self.ref(service, spec["shape"])
            required = set(shape.get("required", [])) | {m for m in members if members[m] == "?"}
            node = {"o": members, "r": sorted(pascal(m) for m in required)}
        elif kind == "list":
            node = {"a": self.ref(service, shape["member"]["shape"])}
        elif kind == "map":
            node = {"m": self.ref(service, shape["value"]["shape"])}
        else:
            node = "s"
        self.shapes[key] = node
        return key


def integration_ref(collector: Collector, integration: str) -> str:
    if integration in SYNC:
        service, operation, member = SYNC[integration]
        ref = collector.output_ref(service, operation)
        if member:  # "tasks[]": the element of that list member
            name = member.rstrip("[]")
            ref = collector.shapes[collector.shapes[ref]["o"][pascal(name)]]["a"]
        return ref
    parts = integration.split(":")
    service, action = (parts[1], parts[2]) if parts[0] == "aws-sdk" else (parts[0], parts[1])
    botocore_service = SERVICES[service]
    operations = collector.model(botocore_service)["operations"]
    operation = next(name for name in operations if name.lower() == action.lower())
    return collector.output_ref(botocore_service, operation)


def generate() -> str:
    import botocore

    collector = Collector()
    integrations = {integration: integration_ref(collector, integration) for integration in INTEGRATIONS}
    reachable: dict = {}

    def keep(ref):  # only the shapes an integration reaches
        if ref in reachable:
            return
        node = reachable[ref] = collector.shapes[ref]
        if isinstance(node, dict):
            for child in node["o"].values() if "o" in node else [node.get("a") or node.get("m")]:
                keep(child)

    for ref in integrations.values():
        keep(ref)
    data = {"botocore": botocore.__version__, "integrations": integrations, "shapes": dict(sorted(reachable.items()))}
    return json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the data file is not what botocore gives")
    args = parser.parse_args(argv)
    text = generate()
    if args.check:
        current = DATA.read_text(encoding="utf-8") if DATA.exists() else ""
        if current != text:
            print(f"{DATA} is stale: run python -m compiler.verify.generate_shapes", file=sys.stderr)
            return 1
        return 0
    DATA.write_text(text, encoding="utf-8")
    print(f"wrote {DATA} ({len(text)} bytes, {len(json.loads(text)['shapes'])} shapes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
