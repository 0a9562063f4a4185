"""Where SageMaker Model Monitor's prebuilt analyzer image (`sagemaker-model-monitor-analyzer`)
is, per region. The drift schedule of a sagemaker-endpoint target without a drift job of its own
runs it (ModelConfig.uses_model_monitor).

The image cannot be pulled by customers; SageMaker runs it for a monitoring schedule that names it
as `<account>.dkr.ecr.<region>.amazonaws.com[.cn]/sagemaker-model-monitor-analyzer`. The accounts
are AWS's, one per region, from "Amazon SageMaker Model Monitor prebuilt container"
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-pre-built-container.html, as
published in awsdocs/amazon-sagemaker-developer-guide, doc_source/model-monitor-pre-built-container.md).
A region missing here has no known image: the check `monitor` refuses Model Monitor there before
rendering (a drift job of the model's own needs no image of AWS's).
"""

from __future__ import annotations

REPOSITORY = "sagemaker-model-monitor-analyzer"
SOURCE = "https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-pre-built-container.html"

#: Region -> the AWS account whose registry holds the analyzer image there.
ANALYZER_ACCOUNTS = {
    "af-south-1": "875698925577",
    "ap-east-1": "001633400207",
    "ap-northeast-1": "574779866223",
    "ap-northeast-2": "709848358524",
    "ap-northeast-3": "990339680094",
    "ap-south-1": "126357580389",
    "ap-southeast-1": "245545462676",
    "ap-southeast-2": "563025443158",
    "ap-southeast-3": "669540362728",
    "ca-central-1": "536280801234",
    "cn-north-1": "453000072557",
    "cn-northwest-1": "453252182341",
    "eu-central-1": "048819808253",
    "eu-north-1": "895015795356",
    "eu-south-1": "933208885752",
    "eu-west-1": "468650794304",
    "eu-west-2": "749857270468",
    "eu-west-3": "680080141114",
    "me-south-1": "607024016150",
    "sa-east-1": "539772159869",
    "us-east-1": "156813124566",
    "us-east-2": "777275614652",
    "us-gov-west-1": "362178532790",
    "us-west-1": "890145073186",
    "us-west-2": "159807026194",
}


def has_analyzer(region: str) -> bool:
    return region in ANALYZER_ACCOUNTS


def analyzer_image(region: str) -> str:
    """The analyzer's image URI in `region` (China's regions are under amazonaws.com.cn)."""
    if region not in ANALYZER_ACCOUNTS:  # the checks refuse such a config; reaching here is a bug
        raise RuntimeError(f"SageMaker Model Monitor has no analyzer image listed for region {region} ({SOURCE})")
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"{ANALYZER_ACCOUNTS[region]}.dkr.ecr.{region}.{suffix}/{REPOSITORY}"
