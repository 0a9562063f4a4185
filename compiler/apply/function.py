"""The Lambda function a deploy updates must run as the environment's task role.

The deploy pipeline updates the code of the function `deploy.function.name`: were that a function
mlopsc did not mean (another team's, with a broader role), the model's code would gain that role.
So apply refuses, before any write, a function whose execution role is not the task role (docs/monitoring.md,
on the Lambda function's role), and a function that does not exist (the deploy could not update it).
"""

from __future__ import annotations

from typing import Iterator

from compiler.artifacts.read import CompiledEnvironment
from compiler.errors import AwsError, Refused

_UPDATES = ("arn:aws:states:::aws-sdk:lambda:updateFunctionCode",
            "arn:aws:states:::aws-sdk:lambda:updateFunctionConfiguration")


def check_functions(clients, environment: CompiledEnvironment, directory: str) -> None:
    from compiler import aws_session as aws

    expected = environment.target.task_role
    for name in sorted(set(functions_updated(environment.definitions))):
        try:
            role = getattr(clients, "lambda").get_function_configuration(FunctionName=name)["Role"]
        except Exception as error:  # noqa: BLE001
            code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
            if code != "ResourceNotFoundException":
                raise aws.explain(error, f"{directory}: checking the Lambda function {name}") from None
            raise AwsError(f"{directory}: the Lambda function {name} the deploy updates does not exist; "
                           "nothing was changed",
                           f"create it from the serve image with the task role {expected} as its execution role") from None
        if role != expected:
            raise Refused(f"{directory}: the Lambda function {name} runs as {role}, not as the task role "
                          f"{expected}; the deploy would run the model's code with that role; nothing was changed",
                          "give the function the task role as its execution role, or deploy to a function of "
                          "this model's (deploy.function.name)")


def functions_updated(definitions) -> Iterator[str]:
    """The FunctionName of every state that updates a function, in any state machine."""
    stack = list(definitions.values())
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("Resource") in _UPDATES and isinstance(node.get("Parameters", {}).get("FunctionName"), str):
                yield node["Parameters"]["FunctionName"]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
