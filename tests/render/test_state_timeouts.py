"""A stage's state outlasts the job's own limit by a documented margin (issue 13, item 15).

The job's limit (StoppingCondition MaxRuntimeInSeconds, or MaxWaitTimeInSeconds for spot) counts
its running time; before it SageMaker provisions instances and pulls the image, after it a stopped
algorithm gets 120 s after SIGTERM and the output is uploaded (SageMaker API reference,
StoppingCondition). A state time-out equal to the limit fires first, as States.Timeout.
"""

from __future__ import annotations


import pytest

from compile_helpers import all_states, compiled_sample_definitions
from compiler.render.asl.shared_states import STATE_MARGIN_SECONDS


DEFINITIONS = compiled_sample_definitions()


def job_states():
    for name, definition in sorted(DEFINITIONS.items()):
        for state_name, state in all_states(definition).items():
            parameters = state.get("Parameters", {})
            stopping = parameters.get("StoppingCondition") or \
                parameters.get("TrainingJobDefinition", {}).get("StoppingCondition")
            if state.get("Type") == "Task" and stopping and state["Resource"].endswith(".sync"):
                yield f"{name}: {state_name}", state, stopping


def test_the_margin_is_the_documented_quarter_hour():
    assert STATE_MARGIN_SECONDS == 900


@pytest.mark.parametrize("where, state, stopping", list(job_states()), ids=lambda v: v if isinstance(v, str) else "")
def test_a_sagemaker_job_state_allows_its_limit_and_the_margin(where, state, stopping):
    limit = stopping.get("MaxWaitTimeInSeconds", stopping["MaxRuntimeInSeconds"])
    if "HyperParameterTuningJobConfig" in state["Parameters"]:
        config = state["Parameters"]["HyperParameterTuningJobConfig"]["ResourceLimits"]
        rounds = -(-config.get("MaxNumberOfTrainingJobs", 100) // config["MaxParallelTrainingJobs"])
        assert state["TimeoutSeconds"] == rounds * (limit + STATE_MARGIN_SECONDS), where
    else:
        assert state["TimeoutSeconds"] == limit + STATE_MARGIN_SECONDS, where


def test_the_samples_have_job_states_of_each_kind():
    kinds = {state["Resource"].rsplit(":", 1)[-1] for _, state, _ in job_states()}
    assert {"createTrainingJob.sync", "createProcessingJob.sync"} <= kinds


def test_a_fargate_stage_state_allows_its_timeout_and_the_margin():
    """churn-fargate: validate sets timeout 15m, transform inherits stage_defaults' 30m, batch 2h."""
    states = all_states(DEFINITIONS["churn-fargate/default/retrain.asl.json"])
    assert states["Validate"]["TimeoutSeconds"] == 900 + STATE_MARGIN_SECONDS
    assert states["Transform"]["TimeoutSeconds"] == 1800 + STATE_MARGIN_SECONDS
    batch = all_states(DEFINITIONS["churn-fargate/default/batch.asl.json"])
    assert batch["Score"]["TimeoutSeconds"] == 7200 + STATE_MARGIN_SECONDS
