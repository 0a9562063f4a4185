"""The one AWS session: boto3 clients for every command that talks to AWS (apply, run, status,
registry), and AWS errors turned into messages a person can act on.

boto3 is imported here only, so `validate` and `compile` never pay for it. Retries use
botocore's standard mode (exponential back-off with jitter on throttling and transient errors);
the endpoint comes from the standard AWS_ENDPOINT_URL variables, which is how tests reach moto.
"""

from __future__ import annotations

import dataclasses
import json
import os
from decimal import Decimal
from typing import Callable, Optional

from compiler import __version__
from compiler.errors import AwsError, MissingDependency

#: Attempts per call in botocore's standard retry mode, the first call included; the standard
#: AWS_MAX_ATTEMPTS variable overrides it.
DEFAULT_MAX_ATTEMPTS = 6
SERVICES = ("cloudwatch", "dynamodb", "ecr", "ecs", "events", "iam", "lambda", "s3", "sagemaker", "stepfunctions",
            "sts")

_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
_BAD_CREDENTIALS = {"UnrecognizedClientException", "InvalidClientTokenId", "ExpiredTokenException", "ExpiredToken",
                    "InvalidSignatureException", "SignatureDoesNotMatch"}
_THROTTLED = {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded",
              "ProvisionedThroughputExceededException"}


@dataclasses.dataclass
class Clients:
    session: object
    region: str
    _clients: dict = dataclasses.field(default_factory=dict)

    def __getattr__(self, service: str):
        if service not in SERVICES:
            raise AttributeError(service)
        if service not in self._clients:
            from botocore.config import Config

            config = Config(retries={"mode": "standard", "total_max_attempts": max_attempts()},
                            user_agent_extra=f"mlopsc/{__version__}")
            self._clients[service] = self.session.client(service, region_name=self.region, config=config)
        return self._clients[service]


def clients(default_region: str, configure: Optional[Callable] = None) -> Clients:
    """Clients in the configured region, or `default_region` when none is configured.

    `configure(session)` may register botocore event handlers (tests inject failures this way).
    """
    try:
        import boto3
    except ImportError:
        raise MissingDependency("needs boto3, which is not installed",
                       "install mlopsc with its AWS extra: pip install 'mlopsc[aws]'") from None
    from botocore.exceptions import BotoCoreError

    try:
        max_attempts()
        session = boto3.session.Session()
    except (BotoCoreError, ValueError) as error:
        raise explain(error, "reading the AWS configuration") from None
    if configure is not None:
        configure(session)
    return Clients(session, session.region_name or default_region)


def max_attempts() -> int:
    value = os.environ.get("AWS_MAX_ATTEMPTS") or str(DEFAULT_MAX_ATTEMPTS)
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"AWS_MAX_ATTEMPTS={value!r} is not a positive whole number")
    return int(value)


def configured_region() -> Optional[str]:
    import boto3

    return boto3.session.Session().region_name


def explain(error: Exception, doing: str) -> AwsError:
    """An AwsError for any botocore failure during `doing` (e.g. "update state machine x")."""
    from botocore.exceptions import (BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError,
                                     NoRegionError)

    if isinstance(error, AwsError):
        return error
    if isinstance(error, NoCredentialsError):
        return AwsError(f"{doing}: no AWS credentials found",
                        "run where credentials are configured (the CodeBuild role, AWS_PROFILE, or environment variables)")
    if isinstance(error, EndpointConnectionError):
        return AwsError(f"{doing}: cannot reach {error.kwargs.get('endpoint_url', 'the AWS endpoint')}",
                        "check the network, AWS_ENDPOINT_URL and the region")
    if isinstance(error, NoRegionError):
        return AwsError(f"{doing}: no region", "set AWS_REGION")
    if isinstance(error, (BotoCoreError, ValueError)):
        return AwsError(f"{doing}: {error}", "check the AWS configuration: AWS_PROFILE, the config files, AWS_* variables")
    if not isinstance(error, ClientError):
        return AwsError(f"{doing}: {error}", "run again; apply converges from where it stopped")
    code = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", "")
    action = error.operation_name
    if code in _BAD_CREDENTIALS:
        return AwsError(f"{doing}: AWS does not accept these credentials ({code})",
                        "renew or fix the credentials (expired session, wrong key, or another partition)")
    if code in _DENIED:
        return AwsError(f"{doing}: permission denied ({code} on {action})",
                        f"the role running apply needs {action} on this resource; "
                        "`mlopsc bootstrap model` gives the compile stage exactly what apply calls")
    if code in _THROTTLED:
        return AwsError(f"{doing}: throttled by AWS after {max_attempts()} attempts ({code})",
                        "run again later; apply converges from where it stopped")
    if code == "StateMachineDoesNotExist":
        return AwsError(f"{doing}: the state machine does not exist ({message})",
                        "apply the environment first: mlopsc compile, then mlopsc apply OUT --env NAME")
    if code == "ResourceNotFoundException" and error.operation_name in ("GetItem", "UpdateItem", "PutItem"):
        return AwsError(f"{doing}: the registry table does not exist ({message})",
                        "create the platform first: `mlopsc bootstrap platform` prints its CloudFormation template")
    return AwsError(f"{doing}: {code}: {message}", "see the AWS message; apply converges when run again")


def to_dynamodb(values: dict) -> dict:
    """Plain JSON values as DynamoDB attribute values (boto3's serializer)."""
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    exact = json.loads(json.dumps(values), parse_float=Decimal)  # DynamoDB numbers are decimals, never floats
    return {name: serializer.serialize(value) for name, value in exact.items()}


def from_dynamodb(item: dict) -> dict:
    """A DynamoDB item as plain JSON values: whole numbers as int, others as float."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return json.loads(json.dumps({name: deserializer.deserialize(value) for name, value in item.items()},
                                 default=_number))


def _number(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(type(value))
