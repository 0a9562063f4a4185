"""Deploy target `ecs-service` (templates/asl/_deploy_ecs-service.j2): register a task definition
and create or update the Fargate service with it; ECS's circuit breaker and alarms roll back."""

from __future__ import annotations

from compiler.render.asl.traffic_shift import serving_monitor_environment
from compiler.render.asl.shared_states import poll_states
from compiler.render.naming import Naming
from compiler.render.stage_parameters import CONTAINER


def target_states(naming: Naming, deploy, failures, serve_image, model_data, environment) -> dict:
    service = deploy.service
    platform = naming.platform
    environment = {**environment, **serving_monitor_environment(naming, metrics=True)}
    variables = [{"Name": k, "Value": v} for k, v in sorted(environment.items())] + \
                [{"Name": "MLOPS_MODEL_URI", "Value.$": model_data},
                 {"Name": "MLOPS_MODEL_VERSION", "Value.$": "$.request.version"}]
    family = naming.task_family("deploy", "serve")
    task_definition_arn = "$.task_definition.TaskDefinition.TaskDefinitionArn"
    container = {"Name": CONTAINER, "Image.$": serve_image, "Essential": True,
                 "PortMappings": [{"ContainerPort": service.port, "Protocol": "tcp"}], "Environment": variables,
                 "LogConfiguration": {"LogDriver": "awslogs", "Options": {
                     "awslogs-group": naming.task_log_group,
                     "awslogs-region": platform.region, "awslogs-stream-prefix": "serve"}}}
    register = {"Family": family, "NetworkMode": "awsvpc", "RequiresCompatibilities": ["FARGATE"],
                "Cpu": str(service.cpu), "Memory": str(service.memory), "TaskRoleArn": platform.task_role,
                "ExecutionRoleArn": platform.task_role, "ContainerDefinitions": [container],
                "Tags": [{"Key": t["Key"], "Value": t["Value"]} for t in naming.tags("deploy") if "Value" in t]}
    deployment = {"DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
                  "MaximumPercent": 200, "MinimumHealthyPercent": 100}
    if deploy.traffic.alarms:
        deployment["Alarms"] = {"AlarmNames": list(deploy.traffic.alarms), "Enable": True, "Rollback": True}
    network = {"AwsvpcConfiguration": {"Subnets": list(platform.subnets), "SecurityGroups": list(platform.security_groups),
                                       "AssignPublicIp": "DISABLED"}}
    # The newest deployment of the service (ECS lists the PRIMARY one first); every member optional.
    rollout, rolled_out = "$.status.Services[0].Deployments[0].RolloutState", "$.status.Services[0].Deployments[0].TaskDefinition"
    rollout_known = {"Variable": rollout, "IsPresent": True}
    poll = poll_states(naming, "service", deploy.poll, f"arn:{platform.partition}:states:::aws-sdk:ecs:describeServices",
                       {"Cluster": platform.ecs_cluster, "Services": [service.name]}, None,
                       [{"And": [rollout_known, {"Variable": rollout, "StringEquals": "COMPLETED"},
                                 {"Variable": rolled_out, "IsPresent": True},
                                 {"Variable": rolled_out, "StringEqualsPath": task_definition_arn}],
                         "Next": "Record deployed"},
                        {"And": [rollout_known, {"Variable": rollout, "StringEquals": "COMPLETED"}],
                         "Next": failures["rolled_back"]["notify_state"]},
                        {"And": [rollout_known, {"Variable": rollout, "StringEquals": "FAILED"}],
                         "Next": failures["failed"]["notify_state"]}],
                       failures["timed_out"], failures["failed"])
    return {
        "first_target_state": "Register task definition",
        "task_definition_arn": task_definition_arn,
        "register_task_definition": register,
        "describe_service": {"Cluster": platform.ecs_cluster, "Services": [service.name]},
        "create_service": {"Cluster": platform.ecs_cluster, "ServiceName": service.name,
                           "TaskDefinition.$": task_definition_arn, "DesiredCount": service.desired_count,
                           "LaunchType": "FARGATE", "NetworkConfiguration": network,
                           "DeploymentConfiguration": deployment, "PropagateTags": "SERVICE",
                           "Tags": register["Tags"]},
        "update_service": {"Cluster": platform.ecs_cluster, "Service": service.name,
                           "TaskDefinition.$": task_definition_arn, "DesiredCount": service.desired_count,
                           "DeploymentConfiguration": deployment, "NetworkConfiguration": network},
        "polls": {"service": poll},
        "can_roll_back": True,
    }
