"""Write compiler/aws_data/*.json from the installed botocore: `python -m compiler.aws_data.generate`.

Run it after upgrading botocore; tests/aws_data/test_aws_data.py fails while the shipped file differs from
what this writes.
"""

from __future__ import annotations

import json
from pathlib import Path

from compiler.aws_data import INSTANCE_TYPES_FILE

#: The SageMaker API's enums of instance types, by the request field that takes them.
INSTANCE_TYPE_SHAPES = ("ProcessingInstanceType", "ProductionVariantInstanceType", "TrainingInstanceType",
                        "TransformInstanceType")


def instance_types_document() -> dict:
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    return {
        "source": f"botocore service model sagemaker {model.api_version}",
        "regenerate": "python -m compiler.aws_data.generate",
        "enums": {shape: sorted(model.shape_for(shape).enum) for shape in INSTANCE_TYPE_SHAPES},
    }


def text(document: dict) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def main() -> None:
    path = Path(__file__).with_name(INSTANCE_TYPES_FILE)
    path.write_text(text(instance_types_document()), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
