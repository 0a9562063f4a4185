"""Facts about AWS that checks need, generated from botocore's service models and shipped as data,
so `validate` and `compile` never import botocore. Regenerate with `python -m compiler.aws_data.generate`."""

from __future__ import annotations

import functools
import json
from importlib import resources

INSTANCE_TYPES_FILE = "sagemaker_instance_types.json"


@functools.lru_cache(maxsize=None)
def sagemaker_instance_types() -> dict[str, tuple]:
    """Enum shape name of SageMaker's API model (e.g. "TrainingInstanceType") -> its instance types."""
    data = json.loads(resources.files("compiler.aws_data").joinpath(INSTANCE_TYPES_FILE).read_text(encoding="utf-8"))
    return {shape: tuple(values) for shape, values in data["enums"].items()}
