"""AWS-provided images a runtime names by framework and version (`runtimes.<name>.image: {framework,
version}`), looked up in the data file generated from the SageMaker Python SDK's registry data
(`python -m compiler.aws_data.generate_images`, see generate_images.py).

AWS publishes these images by tag, not by digest: the URI resolved here is `<repository>:<tag>`, and
the manifest says so (`pinned: aws-tag`). The check `runtime-image` reports every lookup failure at
its line; compile only resolves what the check accepted.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import json
import re
from importlib import resources

IMAGES_FILE = "sagemaker_images.json"
#: The deep learning frameworks users name, and SageMaker's built-in algorithms (one image per
#: region, the same for training and inference), which the data file holds. A built-in algorithm
#: runs no training toolkit of its own: it validates every hyper-parameter itself.
FRAMEWORKS = ("huggingface", "pytorch", "sklearn", "tensorflow", "xgboost")
BUILT_IN_ALGORITHMS = ("blazingtext", "factorization-machines", "forecasting-deepar", "image-classification",
                       "ipinsights", "kmeans", "knn", "lda", "linear-learner", "ntm", "object-detection",
                       "object2vec", "pca", "randomcutforest", "semantic-segmentation", "seq2seq")
#: An ECR image URI pinned by digest ("Pulling an image", Amazon ECR User Guide: `docker pull
#: <registry>/<repository>@sha256:<digest>`); ECR repository names are lowercase, `/`-separated.
DIGEST_URI = re.compile(r"(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
                        r"(?P<repository>[a-z0-9][a-z0-9._/-]*)@sha256:[0-9a-f]{64}")
#: The same URI by tag (or by nothing): refused, with the way to find its digest.
ECR_URI = re.compile(r"(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
                     r"(?P<repository>[a-z0-9][a-z0-9._/-]*)(?::(?P<tag>[A-Za-z0-9_.-]+))?")
#: The optional fields of an image map, in the order they narrow a choice.
SELECTORS = ("scope", "base_framework", "processor", "py_version")


class ImageLookupError(Exception):
    """A map that names no single image: `field` is the key at fault (None: the map itself)."""

    def __init__(self, field: str | None, message: str, hint: str):
        super().__init__(message)
        self.field, self.message, self.hint = field, message, hint


@dataclasses.dataclass(frozen=True)
class AwsImage:
    uri: str
    repository_arn: str  # for the ECR pull permissions a Fargate task's role needs


@functools.lru_cache(maxsize=None)
def data() -> dict:
    return json.loads(resources.files("compiler.aws_data").joinpath(IMAGES_FILE).read_text(encoding="utf-8"))


def source_revision() -> str:
    return data()["source"]["revision"]


def resolve(spec: dict, region: str, partition: str = "aws") -> AwsImage:
    """The one image `spec` ({framework, version, [scope, base_framework, processor, py_version]})
    names in `region`; ImageLookupError when it names none, or several."""
    frameworks = data()["frameworks"]
    framework, version = spec["framework"], str(spec["version"])
    if framework not in frameworks:
        close = difflib.get_close_matches(framework, frameworks, n=1)
        raise ImageLookupError("framework", f"unknown framework {framework!r}" + (f"; did you mean {close[0]!r}?" if close else ""),
                               "frameworks: " + ", ".join(frameworks))
    versions = frameworks[framework]
    if version not in versions:
        close = difflib.get_close_matches(version, versions, n=1)  # "2.1" -> "2.1.0": versions are written whole
        raise ImageLookupError("version", f"{framework} has no version {version!r}" + (f"; did you mean {close[0]!r}?" if close else ""),
                               f"known versions of {framework}: " + ", ".join(versions))
    images = versions[version]
    for field in SELECTORS:
        if field in spec:
            offered = sorted({image[field] for image in images if field in image})
            images = [image for image in images if image.get(field) == spec[field]]
            if not images:
                raise ImageLookupError(field, f"{framework} {version} has no image with {field} {spec[field]!r}",
                                       f"{field}: one of " + ", ".join(offered) if offered else f"remove {field}: {framework} {version} has none")
    _one_image(framework, version, images)
    image = images[0]
    accounts = data()["accounts"][image["accounts"]]
    if region not in accounts:
        raise ImageLookupError(None, f"{framework} {version} has no image in region {region}",
                               "regions with this image: " + ", ".join(sorted(accounts)))
    domain = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    account = accounts[region]
    return AwsImage(f"{account}.dkr.ecr.{region}.{domain}/{image['repository']}:{image['tag']}",
                    f"arn:{partition}:ecr:{region}:{account}:repository/{image['repository']}")


def _one_image(framework: str, version: str, images: list) -> None:
    """Several images left: the first selector that tells them apart is the one to set."""
    if len({(image["repository"], image["tag"], image["accounts"]) for image in images}) <= 1:
        return
    for field in SELECTORS:
        values = sorted({image[field] for image in images if field in image})
        if len(values) > 1:
            raise ImageLookupError(None, f"{framework} {version} names several images: set {field}",
                                   f"{field}: one of " + ", ".join(values))
