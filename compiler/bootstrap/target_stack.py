"""The target stack: what an account that receives a model's deployments needs, when the model's
delivery pipeline (`mlopsc bootstrap model`) lives in another account (cross-account delivery,
docs/bootstrap.md). Printed by `mlopsc bootstrap target PATH --platform FILE --account ID`, for the
environments of the model in account ID; FILE is the delivery account's platform file.

- The account's platform, as those environments name it (their `platform:` overlay): the same
  resources as the platform stack (compiler/bootstrap/platform.py: registry table and its
  handler, artifact bucket, bus, topic, cluster, shared roles), so their pipelines run and
  record there as in the delivery account. A second model delivered to the same account leaves
  them out (`--without-platform`): they are the account's, made once. With them come:
  - the registry policy accepting the delivery account's ECR replication (the images keep their
    digests, in repositories of the same names, where the compiled environments look for them);
  - a rule forwarding the pipelines' events (`mlops.*`) to the delivery account's bus, whose
    registry then records them too (what ran where, in one registry view).
- Per environment of the model there:
  - the deploy role that the environment's compile project (a role of the delivery account, by
    name) assumes to run `mlopsc apply`, with exactly the permissions apply needs for that
    environment (model_stack.apply_statements, as a home environment's compile role has), and
    `ecr:DescribeImages` on the model's repositories (compile.yml waits for the replicated images);
  - the registry role that `mlopsc registry` assumes from the delivery account to read this
    environment's registry, approve, promote into it and roll back (its items only);
  - the model's log groups and the pipeline and task policies of compiler/render/iam/, as the
    model stack makes them for its home environments;
  - the model's ECR repositories, as the model stack makes them (immutable tags, scan on push,
    KMS, lifecycle, Lambda's pull of the model's functions here): replication fills them (it
    creates a missing repository with default settings only), so deploy this stack before the
    delivery account's platform stack replicates to the account.
"""

from __future__ import annotations

import json
from typing import Mapping, Optional, Sequence

from compiler import names
from compiler.bootstrap import BootstrapError, cfn, platform as platform_stack
from compiler.bootstrap.cfn import Template, get_att, ref, statement
from compiler.bootstrap.model_stack import _Builder, _Env, apply_statements
from compiler.bootstrap.pipeline_stages import pipeline_order
from compiler.bootstrap.platform_file import AccountPlatform, PlatformFile
from compiler.model import ModelConfig

TAGS = {"mlops:stack": "target"}


def template(configs: Sequence[ModelConfig], outputs: Mapping[str, Mapping[str, str]], delivery: PlatformFile,
             account: str, with_platform: bool = True, org_id: Optional[str] = None) -> dict:
    model = configs[0].name
    by_name = {c.environment: c for c in configs}
    targets = [_Env(by_name[name], outputs[f"{model}/{name}"], True) for name in pipeline_order(by_name)
               if by_name[name].platform.account == account]
    if account == delivery.account:
        raise BootstrapError(f"account {account} is the delivery account of the platform file: `mlopsc bootstrap "
                             "model` makes what its environments need", "name an account of another environment")
    if not targets:
        found = sorted({c.platform.account for c in configs} - {delivery.account})
        raise BootstrapError(f"no environment of {model} is in account {account}",
                             f"its environments in other accounts: {', '.join(found)}" if found else
                             f"all environments of {model} are in the delivery account {delivery.account}")
    platform = _account_platform(targets, delivery)
    t = Template(f"mlops target account {account} of model {model}: environments "
                 f"{', '.join(env.name for env in targets)} (printed by `mlopsc bootstrap target`)")
    t.require_account(account, platform.region, f"environment {targets[0].name}")
    if with_platform:
        platform_stack.resources(t, platform)
        _accept_replication(t, platform, delivery)
        _forward_events(t, platform, delivery)
    builder = _Builder(model, targets, targets[0], platform, source=None, template=t)
    builder.repositories()  # where the images replicate to, made as the delivery account's are
    for env in targets:
        builder.log_groups(env)
    builder.model_roles()
    for env in targets:
        _deploy_role(t, env, delivery, org_id)
        _registry_role(t, env, delivery, org_id)
    if with_platform:  # the model's policies attach (by name) to the roles made above
        made = [name for name, resource in t.resources.items() if resource["Type"] == "AWS::IAM::Role"
                and name in (t.id("pipeline", "Role"), t.id("task", "Role"))]
        for resource in t.resources.values():
            if resource["Type"] == "AWS::IAM::Policy" and made:
                resource["DependsOn"] = sorted(made)
    return t.build()


def _account_platform(targets: list, delivery: PlatformFile) -> AccountPlatform:
    """The account's platform; every environment there must name the same one (one stack per account)."""
    found = AccountPlatform.of(targets[0].config.platform)
    for env in targets[1:]:
        other = AccountPlatform.of(env.config.platform)
        differ = sorted(key for key in set(found.data) | set(other.data) if found.data.get(key) != other.data.get(key))
        if differ:
            raise BootstrapError(f"environments {targets[0].name} and {env.name} are both in account {found.account} "
                                 f"but name different platforms ({', '.join(differ)})",
                                 "an account has one platform: give both environments the same platform values")
    if found.region != delivery.region:
        raise BootstrapError(f"environment {targets[0].name} is in region {found.region}, the delivery account in "
                             f"{delivery.region}: cross-account delivery is built within one region",
                             "deliver to the delivery account's region (images replicate and events forward there)")
    return found


def _root(partition: str, account: str) -> str:
    return f"arn:{partition}:iam::{account}:root"


def _accept_replication(t: Template, platform: AccountPlatform, delivery: PlatformFile) -> None:
    """The registry policy that lets the delivery account replicate its images here (ECR User Guide,
    "Private registry permissions in Amazon ECR", the replication example: ecr:CreateRepository and
    ecr:ReplicateImage for the source account). One per registry: made with the account's platform."""
    t.add("ImageReplicationPolicy", "AWS::ECR::RegistryPolicy", {"PolicyText": cfn.document([{
        "Sid": "ReplicationFromTheDeliveryAccount", "Effect": "Allow",
        "Principal": {"AWS": _root(delivery.partition, delivery.account)},
        "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
        "Resource": f"arn:{platform.partition}:ecr:{platform.region}:{platform.account}:repository/*"}])})


def _forward_events(t: Template, platform: AccountPlatform, delivery: PlatformFile) -> None:
    """Every pipeline event here (source `mlops.*`) to the delivery account's bus too, whose policy
    accepts them (`mlopsc bootstrap platform --target-account`). EventBridge sends to a bus in
    another account as a role of the sending account that may PutEvents on that bus (EventBridge
    User Guide, "Sending and receiving events between AWS accounts in Amazon EventBridge")."""
    target = platform_stack.bus_arn(delivery)
    name = f"{platform_stack.handler_names(platform.data['registry_table'])}-to-{delivery.account}"
    t.add("EventForwarderRole", "AWS::IAM::Role", {
        "Description": f"EventBridge: forwards the pipelines' events to the delivery account {delivery.account}",
        "AssumeRolePolicyDocument": cfn.service_trust(["events.amazonaws.com"]),
        "Policies": [{"PolicyName": "forward-events", "PolicyDocument": cfn.document([
            statement("DeliveryBus", ["events:PutEvents"], target)])}],
        "Tags": cfn.tags(TAGS)})
    bus = platform.event_bus
    t.add("ForwardEventsRule", "AWS::Events::Rule", {
        "Name": name,
        "Description": f"Every pipeline event (source mlops.<model>) to the delivery account's bus ({target})",
        "EventBusName": bus if bus == "default" else ref("EventBus"),
        "EventPattern": {"source": [{"prefix": "mlops."}]},
        "State": "ENABLED",
        "Targets": [{"Id": "delivery", "Arn": target, "RoleArn": get_att("EventForwarderRole", "Arn")}]})


def _trust(delivery: PlatformFile, org_id: Optional[str], principal_arn: Optional[str] = None) -> dict:
    """Trust in the delivery account: only `principal_arn` when given (aws:PrincipalArn), and only a
    principal of the organization `org_id` when given (aws:PrincipalOrgID)."""
    condition: dict = {}
    if principal_arn:
        condition["ArnEquals"] = {"aws:PrincipalArn": principal_arn}
    if org_id:
        condition["StringEquals"] = {"aws:PrincipalOrgID": org_id}
    entry = {"Effect": "Allow", "Principal": {"AWS": _root(delivery.partition, delivery.account)},
             "Action": "sts:AssumeRole"}
    if condition:
        entry["Condition"] = condition
    return cfn.document([entry])


def _repositories(env: _Env) -> list:
    return [env.naming.arn("ecr", f"repository/{env.naming.repository(runtime.name)}")
            for runtime in env.config.built_runtimes]


def _deploy_role(t: Template, env: _Env, delivery: PlatformFile, org_id: Optional[str]) -> None:
    model = env.config.name
    compile_role = names.account_role_arn(delivery.partition, delivery.account, names.compile_role(model, env.name))
    statements = apply_statements(env.config, env.pointers, json.loads(env.files["triggers.json"]))
    repositories = _repositories(env)
    if repositories:
        statements.append(statement("ReplicatedImages", ["ecr:DescribeImages"], repositories))
    logical = t.id(env.name, "DeployRole")
    t.add(logical, "AWS::IAM::Role", {
        "RoleName": names.deploy_role(model, env.name),
        "Description": f"mlopsc apply of {model} to {env.name}, assumed by its compile project in {delivery.account}",
        "AssumeRolePolicyDocument": _trust(delivery, org_id, compile_role),
        "MaxSessionDuration": 3600,  # role chaining from CodeBuild's role: one hour at most anyway
        "Policies": [{"PolicyName": "apply", "PolicyDocument": cfn.document(statements)}],
        "Tags": cfn.tags({**TAGS, "mlops:model": model, "mlops:environment": env.name})})
    t.output(logical + "Arn", get_att(logical, "Arn"), f"the role apply runs as for {env.name}")


def _registry_role(t: Template, env: _Env, delivery: PlatformFile, org_id: Optional[str]) -> None:
    """What `mlopsc registry` does in this environment from the delivery account: read its items
    (list, show, history), approve, reject, roll back, promote into it (a new version item, its
    images checked, its model data copied into this account's artifact bucket), and send the
    ModelApproved event that starts the deploy pipeline here. Who in the delivery account may
    assume it is that account's IAM decision (its trust names the account)."""
    platform = env.config.platform
    model = env.config.name
    naming = env.naming
    role = names.registry_role(model, env.name)
    statements = [
        statement("IdentifyCaller", ["sts:GetCallerIdentity"], "*"),
        # mlopsc checks that the role it assumed is this one (compiler/registry/store.py).
        statement("ReadItself", ["iam:GetRole"], names.account_role_arn(platform.partition, platform.account, role)),
        statement("RegistryItems", ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"],
                  naming.arn("dynamodb", f"table/{platform.registry_table}"),
                  {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [naming.model_key]}}),
        statement("ApprovalEvents", ["events:PutEvents"], naming.arn("events", f"event-bus/{platform.event_bus}"),
                  {"StringEquals": {"events:source": [f"mlops.{model}"]}}),
        statement("PromotedModelData", ["s3:PutObject"],
                  f"arn:{platform.partition}:s3:::{platform.artifact_bucket}/{model}/*"),
    ]
    repositories = _repositories(env)
    if repositories:
        statements.append(statement("ReplicatedImages", ["ecr:DescribeImages"], repositories))
    group = env.config.retrain.model_package_group if env.config.retrain else None
    if group:  # approve/reject set the package's status too (compiler/registry/store.py, _mirror_decision)
        statements.append(statement("ModelPackageDecisions", ["sagemaker:UpdateModelPackage"], [
            naming.arn("sagemaker", f"model-package/{name}/*") for name in sorted({group, group.lower()})]))
    if platform.kms_key:
        statements.append(statement("PlatformKey", ["kms:Decrypt", "kms:GenerateDataKey"], platform.kms_key))
    logical = t.id(env.name, "RegistryRole")
    t.add(logical, "AWS::IAM::Role", {
        "RoleName": role,
        "Description": f"mlopsc registry for {model} in {env.name}, from the delivery account {delivery.account}",
        "AssumeRolePolicyDocument": _trust(delivery, org_id),
        "Policies": [{"PolicyName": "registry", "PolicyDocument": cfn.document(statements)}],
        "Tags": cfn.tags({**TAGS, "mlops:model": model, "mlops:environment": env.name})})
    t.output(logical + "Arn", get_att(logical, "Arn"), f"the role mlopsc registry assumes for {env.name}")
