"""Model Monitor's analyzer image is AWS's, per region; a region without one cannot monitor drift
with it (a drift job of the model's own can)."""

from compiler.aws_data import model_monitor
from compiler.checks.finding import Finding
from compiler.model import model_monitor_measures_drift

RULE = "monitor-analyzer-region"
DESCRIPTION = "Drift measured by SageMaker Model Monitor needs a region where AWS lists its analyzer image"


def check(context):
    drift = (context.config.get("monitor") or {}).get("drift")
    deploy = context.pipelines.get("deploy")
    region = context.platform.get("region")
    if drift is not None and model_monitor_measures_drift((deploy or {}).get("target"), "job" in drift) and region \
            and not model_monitor.has_analyzer(region):
        yield Finding(("monitor", "drift"), f"SageMaker Model Monitor's analyzer image is not listed for {region}",
                      f"add monitor.drift.job, or see {model_monitor.SOURCE}; the regions listed: "
                      f"{', '.join(sorted(model_monitor.ANALYZER_ACCOUNTS))}",
                      RULE, at_key=True)
