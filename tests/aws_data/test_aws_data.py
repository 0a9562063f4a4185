"""compiler/aws_data ships facts of botocore's service models, so validate and compile never import
botocore. Stale data fails here: regenerate with `python -m compiler.aws_data.generate`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from compiler.aws_data import INSTANCE_TYPES_FILE, generate
from paths import REPO_ROOT

SAMPLES = REPO_ROOT / "samples"


def test_the_shipped_instance_types_are_those_of_the_installed_botocore():
    shipped = (Path(generate.__file__).parent / INSTANCE_TYPES_FILE).read_text(encoding="utf-8")
    assert shipped == generate.text(generate.instance_types_document()), (
        f"compiler/aws_data/{INSTANCE_TYPES_FILE} is stale: run python -m compiler.aws_data.generate")


def test_each_enum_is_the_api_fields_own():
    """Spot checks against the SageMaker API reference: ml.t2.medium serves but does not train;
    ml.m5.large is valid everywhere (the schema's default)."""
    enums = generate.instance_types_document()["enums"]
    assert "ml.t2.medium" in enums["ProductionVariantInstanceType"] and "ml.t2.medium" not in enums["TrainingInstanceType"]
    assert all("ml.m5.large" in values for values in enums.values())


def test_validate_and_compile_run_without_botocore(tmp_path):
    """A sample with SageMaker stages, compiled where botocore and boto3 cannot be imported."""
    code = ("import sys; sys.modules['botocore'] = None; sys.modules['boto3'] = None\n"
            "from compiler import api\n"
            f"result = api.compile_outputs([{str(SAMPLES / 'demand-forecast')!r}])\n"
            "assert result.validation.ok, result.validation.problems\n"
            "assert result.outputs\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
