"""The IAM of deploy target `lambda`: the function's configuration, code, versions and alias."""

from __future__ import annotations

import functools
import re
from typing import Callable

from compiler.render.iam.policy_document import iam_literal
from compiler.render.iam.service_call import Call


def _function(action: str, call: Call) -> None:
    function = iam_literal(call.literal("FunctionName"))
    # Versions and aliases are qualified ARNs of the function (`function:<name>:<qualifier>`).
    call.policy.allow("DeployFunction", [action],
                      [call.scope.arn("lambda", f"function:{function}"), call.scope.arn("lambda", f"function:{function}:*")])


_IMAGE = re.compile(r"\.images\.M\['(?P<runtime>[^']+)'\]\.S$")


def _update_function_code(call: Call) -> None:
    _function("lambda:UpdateFunctionCode", call)
    match = _IMAGE.search(str(call.parameters.get("ImageUri.$", "")))
    runtimes = {runtime.name for runtime in call.scope.config.runtimes}
    if not match or match["runtime"] not in runtimes:
        raise call.fail("ImageUri is not one of the model's image pointers")
    # Lambda reads a container image with the deploying role's ECR permissions; the repository
    # policy that lets Lambda pull is the model stack's (compiler/bootstrap/model_stack.py), never set
    # by this role: ecr:SetRepositoryPolicy could open the repository to anyone.
    runtime = call.scope.config.runtime(match["runtime"])
    repository = (call.scope.arn("ecr", f"repository/{iam_literal(call.scope.naming.repository(runtime.name))}")
                  if runtime.built else iam_literal(runtime.image.repository_arn))  # by digest: prebuilt-use refuses AWS's
    call.policy.allow("FunctionImage", ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:GetRepositoryPolicy"],
                      [repository])


#: Task state Resource (after `arn:<partition>:states:::`) -> what it needs, for deploy target `lambda`.
TASK_INTEGRATIONS: dict[str, Callable[[Call], None]] = {
    "aws-sdk:lambda:getFunctionConfiguration": functools.partial(_function, "lambda:GetFunctionConfiguration"),
    "aws-sdk:lambda:updateFunctionConfiguration": functools.partial(_function, "lambda:UpdateFunctionConfiguration"),
    "aws-sdk:lambda:updateFunctionCode": _update_function_code,
    "aws-sdk:lambda:publishVersion": functools.partial(_function, "lambda:PublishVersion"),
    "aws-sdk:lambda:getAlias": functools.partial(_function, "lambda:GetAlias"),
    "aws-sdk:lambda:createAlias": functools.partial(_function, "lambda:CreateAlias"),
    "aws-sdk:lambda:updateAlias": functools.partial(_function, "lambda:UpdateAlias"),
}
