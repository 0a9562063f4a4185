"""Counts that AWS service quotas cap, checked before they bite at deploy time.

Each model gets one delivery stack (compiler/bootstrap/model_stack.py) whose CodePipeline has a stage per
environment, and whose CloudFormation template grows with every environment:

- CodePipeline, "Quotas in AWS CodePipeline" (codepipeline/latest/userguide/limits.html): at most
  50 stages in a pipeline. The pipeline has Source, Build, then one stage per environment: at
  most 48 environments.
- CloudFormation, "AWS CloudFormation quotas" (AWSCloudFormation/latest/UserGuide/
  cloudformation-limits.html): a template body in an Amazon S3 object is at most 1 MB (the model
  stack is deployed from S3: it is past the 51,200 bytes of an inline body). Measured on the
  richest sample (samples/demand-forecast: retrain, deploy, batch, monitor; 16-character
  production-like environment names) the template takes about 49 KB per environment on a base
  of 31 KB: 19 environments make 960,723 bytes (measured after the serving modes, lineage, model
  packages and cross-account delivery grew each environment's share: 20 made 1,009,641); `mlopsc
  bootstrap model` still measures the real template
  and refuses one over the quota (compiler/bootstrap/stacks.py).

The rule looks at the file as written (the `environments` map), once per config, and runs before
any environment is resolved, so a config with thousands of environments is refused at once.
"""

from compiler.bootstrap.pipeline_stages import pipeline_order
from compiler.checks.finding import Finding

RULE = "service-quota"
DESCRIPTION = "The environments fit CodePipeline's stage quota and CloudFormation's template size"
#: CodePipeline's "Number of stages in a pipeline" (maximum 50), less Source and Build.
PIPELINE_ENVIRONMENTS = 50 - 2
#: Environments per model stack whose template stays well under CloudFormation's 1 MB (see above).
TEMPLATE_ENVIRONMENTS = 19
CODEPIPELINE_QUOTAS = "https://docs.aws.amazon.com/codepipeline/latest/userguide/limits.html"
CLOUDFORMATION_QUOTAS = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html"

_QUOTAS = (
    (TEMPLATE_ENVIRONMENTS,
     "the model's delivery stack would exceed CloudFormation's quota on the template size ({count} environments; "
     "each adds about 49 KB to the template, which may be at most 1 MB: at most {limit} environments)",
     f"quota: \"Template body size in an Amazon S3 object\" (1 MB, fixed), {CLOUDFORMATION_QUOTAS}; "
     "split the model into several models, or merge environments that differ only in values"),
    (PIPELINE_ENVIRONMENTS,
     "the model's delivery pipeline would exceed CodePipeline's quota on stages ({count} environments: Source, "
     "Build and one stage per environment make {stages} stages; at most 50)",
     f"quota: \"Number of stages in a pipeline\" (50), {CODEPIPELINE_QUOTAS}; split the model into several models"),
)


def check_document(data: dict) -> list:
    """Findings for the config file as written: each quota exceeded, at the first environment
    past it in the order the pipeline runs them."""
    overlays = data.get("environments")
    if not isinstance(overlays, dict):
        return []
    ordered = pipeline_order(str(name) for name in overlays)
    return [Finding(("environments", ordered[limit]),
                    message.format(count=len(ordered), limit=limit, stages=len(ordered) + 2), hint, RULE, at_key=True)
            for limit, message, hint in _QUOTAS if len(ordered) > limit]
