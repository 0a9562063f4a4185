"""One model's delivery stack: its images, logs, roles, and the CodePipeline that builds,
compiles and applies it on every commit.

    Source (CodeCommit, or GitHub through a CodeStar connection; a full git clone)
      -> Build (CodeBuild: the generated buildspec.yml; images.json)
      -> one stage per environment, production-like ones last:
           [Plan (apply --dry-run) -> manual Approval]   before a production-like environment
           CompileAndApply (CodeBuild: buildspecs/compile.yml)

Decisions (see docs/bootstrap.md):

- The stack lives in the platform file's account and region. Environments there are the
  stack's *home* environments: their log groups, roles and apply permissions are made here. An
  environment in another account gets its stage too, whose compile project (its role named
  `mlops-<model>-<env>-apply`, which the other account's trust policy names) may only assume the
  deploy role that `mlopsc bootstrap target` makes there (compiler/bootstrap/target_stack.py).
- The Build stage runs the buildspec.yml compiled for the first home environment, copied into the
  project when this template is printed (the source repository holds no compiled output). The
  compile stage checks that copy against a fresh compile and stops when the config's `runtimes`
  or `build` changed: re-deploy this stack then (new runtimes need new ECR repositories anyway).
- CodePipeline artifacts go to a bucket of the stack's own (CloudFormation names it), not under a
  prefix of the platform bucket: CodePipeline keys artifacts by the pipeline name cut to 20
  characters, so prefixes of two models could coincide and their permissions overlap.
- An environment is production-like when it is named `prod` or `production`, or starts with
  `prod-` or `production-`; those come last and each waits for a manual approval, after a plan.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Mapping, Optional, Sequence

from compiler import __version__, names, package_data
from compiler.apply import buckets
from compiler.bootstrap import BootstrapError, cfn
from compiler.bootstrap.cfn import Template, get_att, ref, statement, sub
from compiler.bootstrap.pipeline_stages import is_production, pipeline_order
from compiler.bootstrap.platform import access_log_bucket_name
from compiler.bootstrap.platform_file import ROLES, PlatformFile
from compiler.model import ModelConfig
from compiler.render import asl, iam
from compiler.render.iam import policy_document as iam_policy
from compiler.render.naming import Naming
from compiler.render.stages import container_stages

#: The image of the compile projects: Python 3.12 for mlopsc (runtime-versions in compile.yml).
COMPILE_IMAGE = "aws/codebuild/standard:7.0"
#: Artifacts of the pipeline are needed only while an execution runs.
PIPELINE_ARTIFACT_DAYS = 30
BUILD_ARTIFACT = "BuildOutput"  # compile.yml reads $CODEBUILD_SRC_DIR_BuildOutput/images.json
SOURCE_ARTIFACT = "Source"

#: Actions that take no resource but `*` (AWS's Service Authorization Reference lists no resource
#: type for them), and why the policies below need them. Every other statement names resources.
UNSCOPABLE = {
    "ecr:GetAuthorizationToken": "docker login to ECR: the token is for the registry, not a repository",
    "sts:GetCallerIdentity": "apply checks the account before any change (STS allows this call to everyone anyway)",
    "ecs:RegisterTaskDefinition": "ECS cannot scope task definition registration to a family",
    "ecs:DescribeTaskDefinition": "ECS cannot scope describing a task definition to a family",
    "events:ListRules": "EventBridge lists rules per bus, not per rule (apply lists this environment's by name prefix)",
    "sts:GetServiceBearerToken": "CodeArtifact's token (conditioned on sts:AWSServiceName codeartifact.amazonaws.com)",
}

#: EventBridge rule kinds per pipeline that compiler/render/triggers.py can emit; with the platform
#: bus for events the pipelines publish (approvals), the default bus for the others.
RULE_KINDS = (("retrain", "schedule", False), ("retrain", "data", False), ("batch", "schedule", False),
              ("deploy", "approved", True), ("retrain", "drift", False), ("drift", "schedule", False))
#: The state machines apply may create: the three pipelines and the drift job (monitor.drift.job).
PIPELINES = ("retrain", "deploy", "batch", "drift")


@dataclasses.dataclass(frozen=True)
class Source:
    kind: str  # "codecommit" or "github"
    repository: str  # a CodeCommit repository name, or GitHub's owner/name ("": the model's name)
    branch: str = "main"
    connection_arn: Optional[str] = None


@dataclasses.dataclass(frozen=True)
class _Env:
    config: ModelConfig
    files: Mapping[str, str]  # compiled outputs: file name -> text
    home: bool  # in the stack's account and region

    @property
    def name(self) -> str:
        return self.config.environment

    @property
    def naming(self) -> Naming:
        return Naming(self.config)

    @property
    def manifest(self) -> dict:
        return json.loads(self.files["manifest.json"])

    @property
    def pointers(self) -> dict:
        return json.loads(self.files["pointers.json"])


def template(configs: Sequence[ModelConfig], outputs: Mapping[str, Mapping[str, str]], platform: PlatformFile,
             source: Source) -> dict:
    """The delivery stack of one model. `configs` are its environments (validated); `outputs`
    their compiled files by "model/env"."""
    model = configs[0].name
    by_name = {c.environment: c for c in configs}
    envs = [_Env(by_name[name], outputs[f"{model}/{name}"],
                 (by_name[name].platform.account, by_name[name].platform.region) == (platform.account, platform.region))
            for name in pipeline_order(by_name)]
    homes = [env for env in envs if env.home]
    if not homes:
        raise BootstrapError(f"no environment of {model} is in the platform file's account {platform.account} and region "
                             f"{platform.region}, where this stack and its images live",
                             "bootstrap with the platform file of the account that builds the model's images")
    builder = _Builder(model, envs, homes[0], platform, source)
    return builder.build()


class _Builder:
    def __init__(self, model: str, envs: list, build_env: _Env, platform: PlatformFile, source: Optional[Source],
                 template: Optional[Template] = None):
        """`template`: add to it (the target stack adds the model's log groups and policies of its
        environments, all home there); by default the model stack's own."""
        self.model, self.envs, self.build_env, self.platform, self.source = model, envs, build_env, platform, source
        self.home = build_env.config.platform  # account, region, partition, key of the stack
        self.kms_key = self.home.kms_key
        self.tags = {**build_env.config.tags, "mlops:model": model}
        self.pipeline_name = f"mlops-{model}"
        self.project_log_groups: set = set()
        self.t = template or Template(f"mlops delivery pipeline of model {model}: images, logs, roles, CodePipeline "
                                      f"(printed by `mlopsc bootstrap model`, mlopsc {__version__})")

    # -- names and ARNs ---------------------------------------------------------------------
    def arn(self, service: str, resource: str, regional: bool = True) -> str:
        region = self.home.region if regional else ""
        return f"arn:{self.home.partition}:{service}:{region}:{self.home.account}:{resource}"

    def project_name(self, env: Optional[_Env]) -> str:
        return f"mlops-{self.model}-build" if env is None else f"mlops-{self.model}-{env.name}-apply"

    def log_group_arns(self, name: str) -> list:
        group = cfn.log_group_arn(self.home.partition, self.home.region, self.home.account, name)
        return [group, f"{group}:*"]

    @property
    def repository_arn(self) -> str:
        return self.arn("codecommit", self.source.repository)

    # -- the template -----------------------------------------------------------------------
    def build(self) -> dict:
        t = self.t
        t.require_account(self.home.account, self.home.region, "the platform file")
        self.repositories()
        for env in self.envs:
            if env.home:
                self.log_groups(env)
        self.model_roles()
        self.artifact_bucket()
        self.build_project()
        for env in self.envs:
            self.compile_project(env)
        self.pipeline()
        if self.source.kind == "codecommit":
            self.commit_trigger()
        return t.build()

    def repositories(self) -> None:
        lifecycle = {"rules": [
            {"rulePriority": 1, "description": "layers of interrupted pushes",
             "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14},
             "action": {"type": "expire"}},
            # Pointers and model versions name images by digest: keep many, so that an older
            # version can still be re-deployed; raise the count if yours must go further back.
            {"rulePriority": 2, "description": "keep the 500 newest images",
             "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 500},
             "action": {"type": "expire"}},
        ]}
        encryption = {"EncryptionType": "KMS"}
        if self.kms_key:
            encryption["KmsKey"] = self.kms_key
        for runtime in self.build_env.config.built_runtimes:  # prebuilt images live elsewhere
            logical = self.t.id("Repository", runtime.name)
            self.t.add(logical, "AWS::ECR::Repository", {
                "RepositoryName": self.build_env.naming.repository(runtime.name),
                "ImageTagMutability": "IMMUTABLE",
                "ImageScanningConfiguration": {"ScanOnPush": True},
                "EncryptionConfiguration": encryption,
                "LifecyclePolicy": {"LifecyclePolicyText": json.dumps(lifecycle, sort_keys=True)},
                **self.lambda_pull_policy(runtime.name),
                "Tags": cfn.tags(self.tags),
            }, retain=True)
            self.t.output(logical + "Uri", get_att(logical, "RepositoryUri"), f"images of runtime {runtime.name}")

    def lambda_pull_policy(self, runtime: str) -> dict:
        """The repository policy that lets Lambda pull the images of the model's functions in this
        account (Lambda Developer Guide, "Create a Lambda function using a container image", Amazon
        ECR permissions). Set here, once, rather than by the deploying role: ecr:SetRepositoryPolicy
        would let that role open the repository to anyone. A function in another account pulls from
        its own account's repository of the same name (the images replicate there), whose policy
        the target stack sets: no account but this one is named."""
        functions = sorted(
            f"arn:{env.config.platform.partition}:lambda:{env.config.platform.region}:{env.config.platform.account}"
            f":function:{env.config.deploy.function.name}"
            for env in self.envs
            if env.home and env.config.deploy and env.config.deploy.target == "lambda"
            and env.config.deploy.runtime == runtime)
        if not functions:
            return {}
        return {"RepositoryPolicyText": {"Version": "2012-10-17", "Statement": [
            {"Sid": "LambdaPull", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
             "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
             "Condition": {"StringLike": {"aws:sourceArn": sorted(set(functions))}}}]}}

    def log_groups(self, env: _Env) -> None:
        """The environment's log groups: its state machines' (the manifest's target) and, when it
        runs Fargate tasks, its tasks'. `apply` and the pipelines write to them; nothing creates them.
        Retained: what the pipelines ran and what the model's code printed is the record to read
        after an incident, so deleting the stack keeps it (its retention still expires it)."""
        kms = env.config.platform.kms_key
        tag_values = {**self.tags, "mlops:environment": env.name}
        wanted = [("StateMachines", env.manifest["target"]["log_group"])]
        if _uses_fargate(env.config):
            wanted.append(("Tasks", env.naming.task_log_group))
        for what, name in wanted:
            self.t.add(self.t.id(env.name, what, "LogGroup"), "AWS::Logs::LogGroup",
                       cfn.log_group_properties(name, _log_key(kms), tag_values), checkov=cfn.log_group_skips(kms),
                       retain=True)

    # -- the model's own roles and policies ---------------------------------------------------
    def model_roles(self) -> None:
        """The pipeline and task policies of each home environment, from compiler.render.iam. With
        `{model}` in the platform's role ARNs the roles are this model's and made here; otherwise
        the policies are attached to the existing (shared) roles by name."""
        made: dict = {}
        for env in self.envs:
            if not env.home:
                continue
            documents = iam.policies(env.naming, asl.definitions(env.naming))
            for role in ROLES:
                arn = getattr(env.config.platform, f"{role}_role")
                if self.platform.per_model(role) and arn == self.platform.role_arn(role, self.model):
                    if arn not in made:
                        made[arn] = self.t.id("model", role, "Role")
                        self.t.add(made[arn], "AWS::IAM::Role", {
                            "RoleName": names.role_name(arn),
                            "Path": cfn.role_path(arn),
                            "Description": f"mlops {role} role of model {self.model}",
                            "AssumeRolePolicyDocument": cfn.pinned_trust(iam.TRUSTED_SERVICES[role], self.home.account),
                            "Tags": cfn.tags(self.tags)})
                        self.t.output(made[arn] + "Arn", get_att(made[arn], "Arn"), f"the model's {role} role")
                    attach = ref(made[arn])
                else:
                    attach = names.role_name(arn)
                self.t.add(self.t.id(env.name, role, "Policy"), "AWS::IAM::Policy", {
                    "PolicyName": f"mlops-{self.model}-{env.name}-{role}",
                    "Roles": [attach],
                    "PolicyDocument": documents[role],
                }, checkov=_skips_for(documents[role]))

    # -- CodePipeline's bucket ------------------------------------------------------------------
    def artifact_bucket(self) -> None:
        self.t.add("PipelineArtifactBucket", "AWS::S3::Bucket", cfn.bucket_properties(self.kms_key, {
            "LoggingConfiguration": {"DestinationBucketName": access_log_bucket_name(self.home.account, self.home.region),
                                     "LogFilePrefix": f"s3/mlops-{self.model}-pipeline/"},
            "LifecycleConfiguration": {"Rules": [
                {"Id": "expire-pipeline-artifacts", "Status": "Enabled", "ExpirationInDays": PIPELINE_ARTIFACT_DAYS,
                 "NoncurrentVersionExpiration": {"NoncurrentDays": 7},
                 "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]},
            "Tags": cfn.tags(self.tags),
        }), retain=True)  # a bucket with objects would make deleting the stack fail; it empties itself
        self.t.add("PipelineArtifactBucketPolicy", "AWS::S3::BucketPolicy", cfn.tls_only_policy("PipelineArtifactBucket"))

    def artifact_statements(self, write: bool = True) -> list:
        objects = sub("${PipelineArtifactBucket.Arn}/*")
        actions = ["s3:GetObject", "s3:GetObjectVersion"] + (["s3:PutObject"] if write else [])
        return [statement("PipelineArtifacts", actions, objects),
                statement("PipelineArtifactBucket", ["s3:GetBucketAcl", "s3:GetBucketLocation", "s3:GetBucketVersioning"],
                          get_att("PipelineArtifactBucket", "Arn"))]

    def key_statements(self) -> list:
        if not self.kms_key:
            return []
        return [statement("PlatformKey", ["kms:Decrypt", "kms:GenerateDataKey"], self.kms_key)]

    def clone_statements(self) -> list:
        """CodeBuild clones the repository itself (CODEBUILD_CLONE_REF: the builds get git history)."""
        if self.source.kind == "codecommit":
            return [statement("CloneSource", ["codecommit:GitPull"], self.repository_arn)]
        return [statement("CloneSource", [_connection_action(self.source.connection_arn)], self.source.connection_arn)]

    def project(self, logical: str, env: Optional[_Env], role: str, buildspec: str, environment: dict,
                description: str) -> None:
        name = self.project_name(env)
        log_group = f"/aws/codebuild/{name}"
        self.project_log_groups.add(logical + "LogGroup")
        # An apply project's log says what was changed in AWS (retained, like the pipelines' logs);
        # the build project's is reproducible from its commit (deleted with the stack).
        self.t.add(logical + "LogGroup", "AWS::Logs::LogGroup", cfn.log_group_properties(
            log_group, _log_key(self.kms_key), self.tags), checkov=cfn.log_group_skips(self.kms_key),
            retain=env is not None, delete=env is None)
        properties = {
            "Name": name,
            "Description": description,
            "ServiceRole": get_att(role, "Arn"),
            "Source": {"Type": "CODEPIPELINE", "BuildSpec": buildspec},
            "Artifacts": {"Type": "CODEPIPELINE"},
            "Environment": environment,
            "LogsConfig": {"CloudWatchLogs": {"Status": "ENABLED", "GroupName": ref(logical + "LogGroup")}},
            "TimeoutInMinutes": 60,
            "Tags": cfn.tags(self.tags if env is None else {**self.tags, "mlops:environment": env.name}),
        }
        if self.kms_key:
            properties["EncryptionKey"] = self.kms_key
        self.t.add(logical, "AWS::CodeBuild::Project", properties)

    def deploy_role_arn(self, env: _Env) -> str:
        platform = env.config.platform
        return names.account_role_arn(platform.partition, platform.account, names.deploy_role(self.model, env.name))

    def service_role(self, logical: str, service: str, description: str, statements: list,
                     name: Optional[str] = None) -> None:
        """A role of the stack's own; named only where another account's policy names it."""
        self.t.add(logical, "AWS::IAM::Role", {
            **({"RoleName": name} if name else {}),
            "Description": description,
            "AssumeRolePolicyDocument": cfn.service_trust([service]),
            "Tags": cfn.tags(self.tags)})
        self.t.add(logical + "Policy", "AWS::IAM::Policy", {
            "PolicyName": "least-privilege",
            "Roles": [ref(logical)],
            "PolicyDocument": cfn.document(statements),
        })

    # -- Build ----------------------------------------------------------------------------------
    def build_project(self) -> None:
        env = self.build_env
        naming = env.naming
        repositories = [self.arn("ecr", f"repository/{naming.repository(r.name)}") for r in env.config.built_runtimes]
        statements = [
            *self.push_statements(repositories),
            *self.code_upload_statements(env),
            *codeartifact_statements(env.config),
            statement("OwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"],
                      self.log_group_arns(f"/aws/codebuild/{self.project_name(None)}")),
            *self.artifact_statements(),
            *self.clone_statements(),
            *self.key_statements(),
        ]
        self.service_role("BuildRole", "codebuild.amazonaws.com", f"CodeBuild: builds and pushes {self.model}'s images",
                          statements)
        build = env.config.build
        self.project("BuildProject", None, "BuildRole", env.files["buildspec.yml"], {
            "Type": "LINUX_CONTAINER", "ComputeType": build.compute_type, "Image": build.image,
            "ImagePullCredentialsType": "CODEBUILD",
            # docker build needs the Docker daemon, which runs only in privileged mode.
            "PrivilegedMode": True,
        }, f"Tests {self.model} and builds its images (buildspec.yml compiled for environment {env.name})")

    @staticmethod
    def push_statements(repositories: list) -> list:
        if not repositories:  # only prebuilt images: nothing to push
            return []
        return [statement("EcrLogin", ["ecr:GetAuthorizationToken"], "*"),
                statement("PushImages", ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
                                         "ecr:DescribeImages", "ecr:GetDownloadUrlForLayer", "ecr:InitiateLayerUpload",
                                         "ecr:PutImage", "ecr:UploadLayerPart"], repositories)]

    def code_upload_statements(self, env: _Env) -> list:
        """The code folders of prebuilt images, uploaded per commit (Naming.code_prefix)."""
        if not any(runtime.code for runtime in env.config.runtimes):
            return []
        platform = env.config.platform
        return [statement("UploadCode", ["s3:PutObject"],
                          f"arn:{platform.partition}:s3:::{platform.artifact_bucket}/{env.config.name}/code/*")]

    # -- Compile & Apply ------------------------------------------------------------------------
    def compile_project(self, env: _Env) -> None:
        logical = self.t.id(env.name, "Apply")
        statements = [
            statement("ReadPlatformFile", ["ssm:GetParameters"],
                      self.arn("ssm", "parameter" + cfn.platform_parameter(self.platform.data["registry_table"]))),
            statement("OwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"],
                      self.log_group_arns(f"/aws/codebuild/{self.project_name(env)}")),
            *self.artifact_statements(),
            *self.clone_statements(),
            *self.key_statements(),
        ]
        if env.home:
            statements += apply_statements(env.config, env.pointers, json.loads(env.files["triggers.json"]))
        else:
            # Apply runs there as the deploy role of the target stack, whose trust names this role.
            statements.append(statement("AssumeDeployRole", ["sts:AssumeRole"], self.deploy_role_arn(env)))
        self.service_role(logical + "Role", "codebuild.amazonaws.com",
                          f"CodeBuild: compiles {self.model} and applies it to {env.name}", statements,
                          name=None if env.home else names.compile_role(self.model, env.name))
        build_spec = self.build_env.files["buildspec.yml"]
        variables = [
            ("MLOPSC_VERSION", __version__),
            ("MLOPS_MODEL", self.model),
            ("MLOPS_ENVIRONMENT", env.name),
            ("MLOPS_BUILD_ENVIRONMENT", self.build_env.name),
            ("MLOPS_BUILDSPEC_SHA256", hashlib.sha256(build_spec.encode("utf-8")).hexdigest()),
        ]
        if not env.home:
            variables += [("MLOPS_DEPLOY_ROLE_ARN", self.deploy_role_arn(env)),
                          ("MLOPS_IMAGES_FROM", self.build_env.naming.registry_host()),
                          ("MLOPS_IMAGES_TO", env.naming.registry_host())]
        environment = {
            "Type": "LINUX_CONTAINER", "ComputeType": "BUILD_GENERAL1_SMALL", "Image": COMPILE_IMAGE,
            "ImagePullCredentialsType": "CODEBUILD", "PrivilegedMode": False,
            "EnvironmentVariables": [{"Name": name, "Type": "PLAINTEXT", "Value": value} for name, value in variables] + [
                {"Name": "MLOPS_PLATFORM_YAML", "Type": "PARAMETER_STORE",
                 "Value": cfn.platform_parameter(self.platform.data["registry_table"])}],
        }
        where = "" if env.home else f" (account {env.config.platform.account}, as its deploy role)"
        self.project(logical, env, logical + "Role", package_data.buildspec_text("compile.yml"), environment,
                     f"Compiles {self.model} and applies it to {env.name}{where}")

    # -- the pipeline ---------------------------------------------------------------------------
    def pipeline(self) -> None:
        projects = [get_att("BuildProject", "Arn")] + [get_att(self.t.id(env.name, "Apply"), "Arn") for env in self.envs]
        statements = [
            *self.artifact_statements(),
            statement("RunBuilds", ["codebuild:BatchGetBuilds", "codebuild:StartBuild"], projects),
            statement("NotifyApprovers", ["sns:Publish"], self.home.notification_topic),
            *self.key_statements(),
        ]
        if self.source.kind == "codecommit":
            statements.insert(0, statement("ReadSource", [
                "codecommit:CancelUploadArchive", "codecommit:GetBranch", "codecommit:GetCommit",
                "codecommit:GetRepository", "codecommit:GetUploadArchiveStatus", "codecommit:UploadArchive"],
                self.repository_arn))
        else:
            statements.insert(0, statement("ReadSource", [_connection_action(self.source.connection_arn)],
                                           self.source.connection_arn))
        self.service_role("CodePipelineRole", "codepipeline.amazonaws.com", f"CodePipeline: delivers {self.model}", statements)
        store = {"Type": "S3", "Location": ref("PipelineArtifactBucket")}
        if self.kms_key:
            store["EncryptionKey"] = {"Id": self.kms_key, "Type": "KMS"}
        stages = [{"Name": "Source", "Actions": [self.source_action()]},
                  {"Name": "Build", "Actions": [_codebuild_action("Build", ref("BuildProject"), [SOURCE_ARTIFACT],
                                                                  BUILD_ARTIFACT)]}]
        for env in self.envs:
            stages.append({"Name": env.name, "Actions": self.environment_actions(env)})
        properties = {
            "Name": self.pipeline_name,
            "PipelineType": "V2",
            # A newer commit replaces one still waiting (e.g. for approval); apply orders pointer
            # writes by commit time anyway.
            "ExecutionMode": "SUPERSEDED",
            "RoleArn": get_att("CodePipelineRole", "Arn"),
            "ArtifactStore": store,
            "Stages": stages,
            "Tags": cfn.tags(self.tags),
        }
        # CodePipeline starts a first run as soon as it exists: everything that run uses must be there.
        needed = [name for name, resource in self.t.resources.items()
                  if resource["Type"] in ("AWS::IAM::Policy", "AWS::ECR::Repository", "AWS::Logs::LogGroup")
                  and name not in self.project_log_groups]  # those come with their project
        self.t.add("Pipeline", "AWS::CodePipeline::Pipeline", properties, depends_on=needed)
        self.t.output("PipelineName", ref("Pipeline"), "the model's delivery pipeline")

    def source_action(self) -> dict:
        if self.source.kind == "codecommit":
            provider, configuration = "CodeCommit", {
                "RepositoryName": self.source.repository, "BranchName": self.source.branch,
                "PollForSourceChanges": "false",  # the EventBridge rule CommitTrigger starts the pipeline
                "OutputArtifactFormat": "CODEBUILD_CLONE_REF"}
        else:
            provider, configuration = "CodeStarSourceConnection", {
                "ConnectionArn": self.source.connection_arn, "FullRepositoryId": self.source.repository,
                "BranchName": self.source.branch, "DetectChanges": "true",
                # A full clone: the compile stage reads the commit time with `git log`.
                "OutputArtifactFormat": "CODEBUILD_CLONE_REF"}
        return {"Name": "Source", "RunOrder": 1, "Namespace": "SourceVariables",
                "ActionTypeId": {"Category": "Source", "Owner": "AWS", "Provider": provider, "Version": "1"},
                "Configuration": configuration, "OutputArtifacts": [{"Name": SOURCE_ARTIFACT}]}

    def environment_actions(self, env: _Env) -> list:
        project = ref(self.t.id(env.name, "Apply"))
        inputs = [SOURCE_ARTIFACT, BUILD_ARTIFACT]
        actions = []
        if is_production(env.name):
            actions.append(_codebuild_action("Plan", project, inputs, f"Plan-{env.name}", run_order=1,
                                             variables={"MLOPS_DRY_RUN": "true"}))
            actions.append({
                "Name": "Approve", "RunOrder": 2,
                "ActionTypeId": {"Category": "Approval", "Owner": "AWS", "Provider": "Manual", "Version": "1"},
                "Configuration": {
                    "NotificationArn": self.home.notification_topic,
                    "CustomData": f"Apply {self.model} to {env.name} (account {env.config.platform.account}) at commit "
                                  "#{SourceVariables.CommitId}? The Plan action's log shows what would change."}})
        actions.append(_codebuild_action("CompileAndApply", project, inputs, f"Compiled-{env.name}",
                                         run_order=len(actions) + 1))
        return actions

    def commit_trigger(self) -> None:
        """CodeCommit source: an EventBridge rule starts the pipeline on a push to the branch."""
        pipeline_arn = self.arn("codepipeline", self.pipeline_name)
        self.t.add("CommitTriggerRole", "AWS::IAM::Role", {
            "Description": f"EventBridge: starts {self.pipeline_name} on a push",
            "AssumeRolePolicyDocument": cfn.service_trust(["events.amazonaws.com"]),
            "Policies": [{"PolicyName": "start-pipeline", "PolicyDocument": cfn.document([
                statement("StartPipeline", ["codepipeline:StartPipelineExecution"], pipeline_arn)])}],
            "Tags": cfn.tags(self.tags)})
        self.t.add("CommitTrigger", "AWS::Events::Rule", {
            "Description": f"A push to {self.source.branch} of {self.source.repository} starts {self.pipeline_name}",
            "State": "ENABLED",
            "EventPattern": {"source": ["aws.codecommit"], "detail-type": ["CodeCommit Repository State Change"],
                             "resources": [self.repository_arn],
                             "detail": {"event": ["referenceCreated", "referenceUpdated"],
                                        "referenceType": ["branch"], "referenceName": [self.source.branch]}},
            "Targets": [{"Id": "pipeline", "Arn": pipeline_arn, "RoleArn": get_att("CommitTriggerRole", "Arn")}],
        }, depends_on=["Pipeline"])


# --------------------------------------------------------------------------- CodeArtifact

def codeartifact_statements(config: ModelConfig) -> list:
    """The build role's CodeArtifact grants (CodeArtifact User Guide, "Using identity-based policies
    for CodeArtifact" and "AWS CodeArtifact permissions reference": a domain, a repository, a package):
    a token of the domain, which needs an STS bearer token for CodeArtifact only; the repository's
    endpoint and reading from it; publishing and its metadata, on the repository's packages, only
    when `build.publish` is set. The format of a package ARN is `package/<domain>/<repository>/
    <format>/<namespace>/<name>`; PyPI packages have no namespace (an empty segment)."""
    codeartifact = config.platform.codeartifact
    if codeartifact is None:
        return []
    partition = config.platform.partition
    domain, repository = codeartifact.domain, codeartifact.repository
    statements = [
        statement("CodeArtifactToken", ["codeartifact:GetAuthorizationToken"],
                  codeartifact.arn(partition, f"domain/{domain}")),
        statement("CodeArtifactBearerToken", ["sts:GetServiceBearerToken"], "*",
                  {"StringEquals": {"sts:AWSServiceName": "codeartifact.amazonaws.com"}}),
        statement("CodeArtifactRead", ["codeartifact:GetRepositoryEndpoint", "codeartifact:ReadFromRepository"],
                  codeartifact.arn(partition, f"repository/{domain}/{repository}")),
    ]
    if config.build.publish is not None:
        statements.append(statement("CodeArtifactPublish", ["codeartifact:PublishPackageVersion",
                                                           "codeartifact:PutPackageMetadata"],
                                    codeartifact.arn(partition, f"package/{domain}/{repository}/pypi//*")))
    return statements


# --------------------------------------------------------------------------- apply's permissions

def apply_statements(config: ModelConfig, pointers: dict, triggers: dict) -> list:
    """What `mlopsc apply` calls for one environment, scoped to that environment's resources: its
    state machines, trigger rules, monitor alarms and dashboard, registry items (partition key
    MODEL#<model>), task definition families, the notification configuration of its new-data
    triggers' buckets, and passing its pipeline and task roles to the services that run as them."""
    naming = Naming(config)
    platform = config.platform
    model, environment = config.name, config.environment

    def arn(service: str, resource: str, regional: bool = True) -> str:
        return naming.arn(service, resource, regional)

    machines = [naming.state_machine_arn(pipeline) for pipeline in PIPELINES]
    rules = []
    for pipeline, kind, on_platform_bus in RULE_KINDS:
        name = names.event_rule(model, environment, pipeline, kind)
        bus = platform.event_bus if on_platform_bus else "default"
        rules.append(arn("events", f"rule/{name}" if bus == "default" else f"rule/{bus}/{name}"))
    statements = [
        statement("IdentifyCaller", ["sts:GetCallerIdentity"], "*"),
        statement("CheckRoles", ["iam:GetRole"], [platform.pipeline_role, platform.task_role]),
        statement("PassPipelineRole", ["iam:PassRole"], platform.pipeline_role,
                  {"StringEquals": {"iam:PassedToService": ["events.amazonaws.com", "states.amazonaws.com"]}}),
        # Delete and ListExecutions: the machine of a pipeline switched off (`enabled: false`) is
        # removed once none of its executions runs (compiler/apply/resources.py).
        statement("StateMachines", ["states:CreateStateMachine", "states:DeleteStateMachine",
                                    "states:DescribeStateMachine", "states:ListExecutions",
                                    "states:ListTagsForResource", "states:StartExecution", "states:TagResource",
                                    "states:UpdateStateMachine"], machines),
        statement("TriggerRules", ["events:DeleteRule", "events:DescribeRule", "events:ListTagsForResource",
                                   "events:ListTargetsByRule", "events:PutRule", "events:PutTargets",
                                   "events:RemoveTargets", "events:TagResource"], rules),
        statement("ListTriggerRules", ["events:ListRules"], "*"),
        *monitor_statements(config),
        statement("RegistryItems", ["dynamodb:GetItem", "dynamodb:UpdateItem"],
                  arn("dynamodb", f"table/{platform.registry_table}"),
                  {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [naming.model_key]}}),
    ]
    group = config.retrain.model_package_group if config.retrain else None
    if group:
        # register.sagemaker: apply creates the group, tagged (compiler/apply/model_registry.py).
        statements.append(statement("ModelPackageGroup", ["sagemaker:AddTags", "sagemaker:CreateModelPackageGroup",
                                                          "sagemaker:DescribeModelPackageGroup"],
                                    sorted({arn("sagemaker", f"model-package-group/{name}")
                                            for name in (group, group.lower())})))  # as given or lowercase
    data_buckets = buckets.data_buckets(triggers["rules"])
    if data_buckets:
        # Apply enables EventBridge delivery on them, keeping the rest of their configuration.
        statements.append(statement("DataBucketEvents", ["s3:GetBucketNotification", "s3:PutBucketNotification"],
                                    [f"arn:{platform.partition}:s3:::{bucket}" for bucket in data_buckets]))
    if config.deploy and config.deploy.target == "lambda":
        # apply checks the function's execution role before any write (compiler/apply/function.py).
        statements.append(statement("CheckFunctionRole", ["lambda:GetFunctionConfiguration"],
                                    arn("lambda", f"function:{config.deploy.function.name}")))
    families = sorted({spec["family"] for spec in pointers["task_definitions"].values()})
    if families:
        statements += [
            statement("TaskDefinitions", ["ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"], "*"),
            statement("TagTaskDefinitions", ["ecs:TagResource"],
                      [arn("ecs", f"task-definition/{family}:*") for family in families]),
            statement("PassTaskRole", ["iam:PassRole"], platform.task_role,
                      {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}),
        ]
    return statements


def monitor_statements(config: ModelConfig) -> list:
    """The monitor's alarms (`<model>-<env>-<kind>`) and dashboard (`<model>-<env>`): apply reads
    them for every environment (to remove them when `monitor` is removed), so the grant does not
    depend on the config having a monitor. Alarms are deleted only when tagged as this model
    environment's, as apply itself checks. Creating an alarm with tags needs cloudwatch:TagResource
    (PutMetricAlarm's API reference); dashboards are global (no region in their ARN) and untagged."""
    naming = Naming(config)
    model, environment = config.name, config.environment
    alarms = naming.arn("cloudwatch", f"alarm:{model}-{environment}-*")
    dashboard = naming.arn("cloudwatch", f"dashboard/{names.dashboard(model, environment)}", regional=False)
    owner = {f"aws:ResourceTag/{key}": value for key, value in (("mlops:model", model), ("mlops:environment", environment))}
    return [
        statement("MonitorAlarms", ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource",
                                    "cloudwatch:PutMetricAlarm", "cloudwatch:TagResource"], alarms),
        statement("RemoveMonitorAlarms", ["cloudwatch:DeleteAlarms"], alarms, {"StringEquals": owner}),
        statement("MonitorDashboard", ["cloudwatch:DeleteDashboards", "cloudwatch:GetDashboard",
                                       "cloudwatch:PutDashboard"], dashboard),
    ]


# --------------------------------------------------------------------------- helpers

def _codebuild_action(name: str, project, inputs: list, output: str, run_order: int = 1,
                      variables: Optional[dict] = None) -> dict:
    configuration = {"ProjectName": project}
    if len(inputs) > 1:
        configuration["PrimarySource"] = inputs[0]
    if variables:
        configuration["EnvironmentVariables"] = json.dumps(
            [{"name": key, "value": value, "type": "PLAINTEXT"} for key, value in sorted(variables.items())])
    return {"Name": name, "RunOrder": run_order,
            "ActionTypeId": {"Category": "Build", "Owner": "AWS", "Provider": "CodeBuild", "Version": "1"},
            "Configuration": configuration,
            "InputArtifacts": [{"Name": artifact} for artifact in inputs],
            "OutputArtifacts": [{"Name": output}]}


def _connection_action(connection_arn: str) -> str:
    """codestar-connections:UseConnection, or codeconnections: for connections made under the new name."""
    return f"{connection_arn.split(':')[2]}:UseConnection"


def _uses_fargate(config: ModelConfig) -> bool:
    return any(stage.compute == "fargate" for _, stage in container_stages(config)) or (
        config.deploy is not None and config.deploy.target == "ecs-service")


def _log_key(kms_key: Optional[str]) -> Optional[str]:
    """CloudWatch Logs takes a key ARN, not an alias (and IAM grants use of a key by its ARN)."""
    if kms_key and ":alias/" in kms_key:
        raise BootstrapError(f"kms_key {kms_key} is an alias: CloudWatch Logs encrypts log groups only with a key "
                             "ARN, and IAM policies grant the use of a key by its ARN",
                             "set kms_key to the key's ARN (arn:aws:kms:<region>:<account>:key/<id>)")
    return kms_key


#: Statements of compiler/render/iam/ with `"Resource": "*"` for actions whose resource type exists
#: but cannot be named in advance: checkov reads them as write access without constraints.
_WILDCARD_WRITES = ("EndpointAutoscaling",)


def _skips_for(document: dict) -> list:
    """The checkov suppression a model policy needs, with the reason render/iam/ gives for its `*`.
    checkov (CKV_AWS_111) flags `*` only for write actions that could take a resource; actions
    that take none (logs delivery, X-Ray, ECR login) pass. Any other `*` is not suppressed, and
    fails the tests."""
    reasons = [f"{s['Sid']}: {iam_policy.UNSCOPABLE[s['Sid']][1]}" for s in document["Statement"]
               if s.get("Sid") in _WILDCARD_WRITES and _as_list(s["Resource"]) == ["*"] and "Condition" not in s]
    if not reasons:
        return []
    return [("CKV_AWS_111", "Resource * only where no ARN can be named beforehand: " + "; ".join(reasons))]


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]
