"""The state machines: one module per pipeline (retrain, deploy, batch, drift) and per deploy
target, mirroring templates/asl/. Each computes its template's context (names, ARNs, the
Parameters of each service call, as data) and renders it; templates only place those values (each
through `tojson`) and connect the states.

Runtime values use the JSONPath form (`"Key.$": "..."`); the stage contract's run id is the
execution name, and names that must be unique per attempt (SageMaker jobs, models, endpoint
configs) end with a token cut from States.UUID(), because a retried create with the same name
would fail.
"""

from __future__ import annotations

from compiler.render.asl import batch_pipeline, deploy_pipeline, drift_pipeline, retrain_pipeline
from compiler.render.naming import Naming

#: Pipeline name -> the function that renders its definition (a new pipeline kind: a module, a
#: line here, its template and the schema).
PIPELINES = {
    "retrain": retrain_pipeline.definition,
    "deploy": deploy_pipeline.definition,
    "batch": batch_pipeline.definition,
    "drift": drift_pipeline.definition,
}


def definitions(naming: Naming) -> dict:
    """Pipeline name -> ASL definition (as data), for each configured pipeline."""
    return {pipeline: PIPELINES[pipeline](naming) for pipeline in naming.config.pipelines}
