"""Rule `instance-type`: every SageMaker instance type is in the enum of the API field that takes
it (SageMaker API reference: ResourceConfig / ClusterConfig / ProductionVariant InstanceType; the
enums come from botocore's service model via compiler/aws_data). Each test names the exact
`file:line:col` and path. Lines 22-23 of BASE_CONFIG are the train stage's cpu and memory."""

SAGEMAKER_TRAIN = {"        cpu: 1024\n        memory: 2048\n": "        compute: sagemaker\n        instance_type: {type}\n"}
TRAIN_PATH = "pipelines.retrain.stages.train.instance_type"


def train_on(instance_type: str) -> dict:
    return {old: new.format(type=instance_type) for old, new in SAGEMAKER_TRAIN.items()}


def test_a_training_instance_type_that_does_not_exist_with_a_did_you_mean(repo):
    out = repo.validate(replace=train_on("ml.m5.3xlarge"))
    problem = out.only("instance-type")
    assert (problem.where, problem.path) == ("mlops.yaml:22:24", TRAIN_PATH)
    assert problem.message == ("ml.m5.3xlarge is not an instance type SageMaker offers for a training job "
                               "(TrainingInstanceType)")
    assert problem.hint.startswith("did you mean 'ml.m5.")
    assert "ml.m5 comes in: " in problem.hint and "2xlarge" in problem.hint


def test_a_valid_training_instance_type(repo):
    out = repo.validate(replace=train_on("ml.g5.2xlarge"))
    assert (out.exit_code, out.problems) == (0, [])


def test_a_training_only_type_on_a_processing_stage(repo):
    # ml.c5n.xlarge trains, but SageMaker Processing does not offer it; batch runs a processing job.
    out = repo.validate(append="  batch:\n    mode: full\n    runtime: app\n    input: s3://demo-data/score/\n"
                               "    output: s3://demo-data/scored/\n    compute: sagemaker\n"
                               "    instance_type: ml.c5n.xlarge\n")
    problem = out.only("instance-type")
    assert (problem.where, problem.path) == ("mlops.yaml:32:20", "pipelines.batch.instance_type")
    assert "for a processing job (ProcessingInstanceType)" in problem.message
    assert problem.hint == "did you mean 'ml.c5.xlarge'?; SageMaker offers no ml.c5n type for a processing job"


def test_an_endpoint_instance_type(repo):
    out = repo.validate(append="  deploy:\n    target: sagemaker-endpoint\n    runtime: app\n"
                               "    endpoint:\n      instance_type: ml.t2.nano\n")
    problem = out.only("instance-type")
    assert (problem.where, problem.path) == ("mlops.yaml:30:22", "pipelines.deploy.endpoint.instance_type")
    assert problem.message == ("ml.t2.nano is not an instance type SageMaker offers for an endpoint "
                               "(ProductionVariantInstanceType)")
    assert "ml.t2 comes in: " in problem.hint and "medium" in problem.hint


def test_the_instance_types_of_ab_and_shadow_variants(repo):
    variants = repo.validate(append="  deploy:\n    target: sagemaker-endpoint\n    runtime: app\n"
                                    "    traffic: {mode: all-at-once}\n    endpoint:\n      variants:\n"
                                    "        blue: {version: live, weight: 1}\n"
                                    "        green: {version: candidate, weight: 1, instance_type: ml.t2.nano}\n")
    problem = variants.only("instance-type")
    assert (problem.where, problem.path) == ("mlops.yaml:33:63", "pipelines.deploy.endpoint.variants.green.instance_type")
    shadow = repo.validate(append="  deploy:\n    target: sagemaker-endpoint\n    runtime: app\n"
                                  "    endpoint:\n      shadow: {instance_type: ml.m5.3xlarge}\n")
    problem = shadow.only("instance-type")
    assert problem.path == "pipelines.deploy.endpoint.shadow.instance_type"
    assert "for an endpoint (ProductionVariantInstanceType)" in problem.message


def test_a_stage_default_is_reported_once_where_it_is_written(repo):
    # stage_defaults (line 8 on) sets it for the sagemaker train stage; fargate stages ignore it.
    out = repo.validate(replace={"  timeout: 30m\n": "  instance_type: ml.m5.3xlarge\n",
                                 "        cpu: 1024\n        memory: 2048\n": "        compute: sagemaker\n        timeout: 30m\n"})
    problem = out.only("instance-type")
    assert (problem.where, problem.path) == ("mlops.yaml:9:18", "stage_defaults.instance_type")
