"""SageMaker Model Monitor's data-quality schedule of an endpoint, which the deploy pipeline
creates or updates for the version it deployed (ModelConfig.uses_model_monitor), and the drift
window every drift check analyses."""

from __future__ import annotations

from compiler.render.asl.shared_states import VERSION_BASELINE, failure_chain
from compiler.render.naming import Naming, states_format
from compiler.render.stage_parameters import PROCESSING_OUTPUT, vpc_config


#: Model Monitor's schedule: at the top of every hour, or at midnight UTC (SageMaker's cron has six fields).
MONITORING_SCHEDULES = {"hourly": "cron(0 * ? * * *)", "daily": "cron(0 0 ? * * *)"}

#: The captured data one drift run analyses: the hour, or the UTC day, before the run's scheduled
#: time. The model's own drift job gets it as MLOPS_DRIFT_WINDOW_HOURS; Model Monitor's schedule as
#: ScheduleConfig's DataAnalysisStartTime/DataAnalysisEndTime, offsets from "the times that you
#: schedule your monitoring jobs to run" with ScheduleExpression, at most 24 hours apart, and
#: required only with `NOW` (SageMaker API reference, ScheduleConfig;
#: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ScheduleConfig.html). The developer
#: guide's page on the schedule (model-monitor-schedule-expression) does not say what a scheduled run
#: analyses without them; with them, a daily run analyses the whole day.
DRIFT_WINDOW_HOURS = {"hourly": 1, "daily": 24}

#: One small instance analyses a monitoring period's captured requests; a run may take an hour.
MONITORING_CLUSTER = {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 20}

MONITORING_MAX_RUNTIME_SECONDS = 3600

#: Where the analyzer finds the endpoint's captured data in its container.
ENDPOINT_INPUT_PATH = "/opt/ml/processing/input/endpoint"


def monitoring_schedule(naming: Naming, deploy) -> dict:
    """SageMaker Model Monitor's data-quality schedule of the endpoint, pointed at the deployed
    version's baseline. It is created, or updated when it exists, after the deployment succeeded
    and was published: a failure here leaves the deployment recorded as deployed and fails the
    execution with MonitoringNotUpdated (notified, no event: the deployment's has gone out)."""
    drift = naming.config.monitor.drift
    schedule = {"ScheduleExpression": MONITORING_SCHEDULES[drift.schedule],
                "DataAnalysisStartTime": f"-PT{DRIFT_WINDOW_HOURS[drift.schedule]}H", "DataAnalysisEndTime": "-PT0H"}
    update = {"MonitoringScheduleName": naming.monitoring_schedule,
              "MonitoringScheduleConfig": {"ScheduleConfig": schedule,
                                           "MonitoringJobDefinition": _monitoring_job(naming, deploy.endpoint.name),
                                           "MonitoringType": "DataQuality"}}
    return {
        "has_baseline": {"Variable": VERSION_BASELINE, "IsPresent": True, "Next": "Create monitoring schedule"},
        "create_schedule": {**update, "Tags": naming.tags("deploy")},
        "update_schedule": update,
        "failures": {
            "monitoring": failure_chain(naming, "deploy", "monitoring not updated", "MonitoringNotUpdated",
                                        "The deployment succeeded, but the drift monitoring schedule could not be created or "
                                        "updated: the new version's drift is not measured.", None),
            "monitoring_baseline": failure_chain(naming, "deploy", "monitoring baseline missing", "MonitoringNotUpdated",
                                                 "The deployment succeeded, but the deployed version has no baseline (it was "
                                                 "registered before monitor.baseline was set): the drift monitoring schedule "
                                                 "was left as it was.", None),
        },
    }


def _monitoring_job(naming: Naming, endpoint: str) -> dict:
    """Each scheduled run: Model Monitor's analyzer compares the endpoint's captured requests with
    the version's baseline, in the VPC and with the KMS key as the jobs, as the task role, and
    publishes the drift distances to CloudWatch."""
    platform = naming.platform
    cluster = dict(MONITORING_CLUSTER)
    outputs = {"MonitoringOutputs": [{"S3Output": {"S3Uri": naming.monitor_reports_uri, "LocalPath": PROCESSING_OUTPUT,
                                                   "S3UploadMode": "EndOfJob"}}]}
    if platform.kms_key:
        cluster["VolumeKmsKeyId"] = platform.kms_key
        outputs["KmsKeyId"] = platform.kms_key
    job = {
        "BaselineConfig": {"ConstraintsResource": {"S3Uri.$": states_format("{}constraints.json", VERSION_BASELINE)},
                           "StatisticsResource": {"S3Uri.$": states_format("{}statistics.json", VERSION_BASELINE)}},
        "MonitoringInputs": [{"EndpointInput": {"EndpointName": endpoint, "LocalPath": ENDPOINT_INPUT_PATH,
                                                "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated"}}],
        "MonitoringOutputConfig": outputs,
        "MonitoringResources": {"ClusterConfig": cluster},
        "MonitoringAppSpecification": {"ImageUri": naming.monitor_image()},
        "StoppingCondition": {"MaxRuntimeInSeconds": MONITORING_MAX_RUNTIME_SECONDS},
        "Environment": {"publish_cloudwatch_metrics": "Enabled"},
        "RoleArn": platform.task_role,
    }
    if platform.subnets:
        job["NetworkConfig"] = {"EnableInterContainerTrafficEncryption": True, "VpcConfig": vpc_config(platform)}
    return job
