"""drift (scheduled Fargate task): captured requests vs the live version's baseline -> CloudWatch.

Environment: MLOPS_CAPTURE_URI (fraud.capture's folder), MLOPS_BASELINE_URI (statistics.json and
constraints.json of the live version), MLOPS_METRICS_NAMESPACE, MLOPS_ENVIRONMENT,
MLOPS_MODEL_VERSION and MLOPS_DRIFT_WINDOW_HOURS (the last N complete UTC hour folders are
compared: 1 for an hourly schedule, 24 for a daily one), which DRIFT_WINDOW_HOURS overrides.

The captured request bodies are featurised with fraud.features.featurize, and per feature the
baseline drift distance is published as `feature_baseline_drift_<feature>`, the metric name
Model Monitor uses. Everything but main() and _put_metric_data() is pure.
"""
import base64
import json
import os
from bisect import bisect_left, bisect_right
from datetime import datetime, timedelta, timezone

from fraud import storage
from fraud.features import FEATURE_NAMES, featurize

PUT_METRIC_DATA_BATCH = 20  # metrics per PutMetricData call; within every documented limit


def window_prefixes(capture_uri, now, hours):
    """The hour folders of the `hours` complete UTC hours before `now`, oldest first."""
    if hours < 1:
        raise ValueError(f"DRIFT_WINDOW_HOURS must be at least 1, got {hours}")
    top = now.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    return [storage.join(capture_uri, f"{top - timedelta(hours=h):%Y/%m/%d/%H}/")
            for h in range(hours, 0, -1)]


def request_transactions(record):
    """The transactions of one captured request: {"transactions": [...]} or one transaction."""
    endpoint_input = record["captureData"]["endpointInput"]
    text = endpoint_input["data"]
    if endpoint_input.get("encoding") == "BASE64":
        text = base64.b64decode(text).decode("utf-8")
    body = json.loads(text)
    return body.get("transactions") or [body]


def featurized_rows(lines):
    """Captured JSON Lines -> (feature rows, number of records skipped).

    A record is skipped whole, as the handler rejects a request whole, when its line or any
    of its transactions cannot be read (a request the handler answered with 400, say).
    """
    rows, skipped = [], 0
    for line in lines:
        if not line.strip():
            continue
        try:
            rows.extend([featurize(t) for t in request_transactions(json.loads(line))])
        except (KeyError, TypeError, ValueError, AttributeError):
            skipped += 1
    return rows, skipped


def baseline_drift(buckets, values):
    """Baseline drift distance of `values` from a baseline feature's KLL buckets, in [0, 1].

    The largest absolute difference between the baseline's and the captured data's cumulative
    distributions, evaluated at the baseline's bucket edges. The developer guide ("Schema for
    Constraints (constraints.json file)", comparison_threshold) defines Model Monitor's distance
    the same way: "the maximum absolute difference between the cumulative distribution functions
    of two distributions"; its comparison_method "Robust" (linf_robust) is that distance with a
    small-sample correction based on the two-sample Kolmogorov-Smirnov test, not applied here.

    Buckets count lower <= v < upper (the last one lower <= v <= upper), so the baseline CDF at
    an inner edge e is P(X < e) and at the last edge (the baseline max) P(X <= e); the captured
    CDF is evaluated the same way, which makes the distance of identical data exactly 0.
    """
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no captured values")
    total = sum(b["count"] for b in buckets)
    if not total:
        raise ValueError("baseline buckets are empty")
    n = len(ordered)
    distance = bisect_left(ordered, buckets[0]["lower_bound"]) / n  # baseline CDF there is 0
    below = 0
    for i, bucket in enumerate(buckets):
        below += bucket["count"]
        rank = bisect_right if i == len(buckets) - 1 else bisect_left
        distance = max(distance, abs(below / total - rank(ordered, bucket["upper_bound"]) / n))
    return distance


def drift_distances(statistics, rows, names=FEATURE_NAMES):
    """{feature: baseline drift distance} for every baseline feature the featurizer produces."""
    distances = {}
    for feature in statistics["features"]:
        if feature["name"] not in names:
            print(f"drift: baseline feature {feature['name']} is not a featurize output; skipped")
            continue
        column = names.index(feature["name"])
        buckets = feature["numerical_statistics"]["distribution"]["kll"]["buckets"]
        distances[feature["name"]] = baseline_drift(buckets, [row[column] for row in rows])
    return distances


def metric_data(distances, environment):
    """PutMetricData MetricData entries: one feature_baseline_drift_<feature> per feature."""
    return [{"MetricName": f"feature_baseline_drift_{name}",
             "Dimensions": [{"Name": "Environment", "Value": environment}],
             "Value": float(distance),
             "Unit": "None"}
            for name, distance in distances.items()]


def put_metric_data_requests(namespace, data, batch=PUT_METRIC_DATA_BATCH):
    """The PutMetricData calls (keyword arguments) that publish `data` to `namespace`."""
    return [{"Namespace": namespace, "MetricData": data[i:i + batch]}
            for i in range(0, len(data), batch)]


def _put_metric_data(requests):
    import boto3  # lazily, as storage does: unit tests need no AWS SDK

    cloudwatch = boto3.client("cloudwatch")
    for request in requests:
        cloudwatch.put_metric_data(**request)


def _captured_lines(prefixes):
    for prefix in prefixes:
        for uri in storage.list_uris(prefix, ".jsonl"):
            yield from storage.read_bytes(uri).decode("utf-8").splitlines()


def main(now=None, publish=_put_metric_data):
    env = os.environ
    capture_uri, baseline_uri = env["MLOPS_CAPTURE_URI"], env["MLOPS_BASELINE_URI"]
    namespace, environment = env["MLOPS_METRICS_NAMESPACE"], env["MLOPS_ENVIRONMENT"]
    version = env.get("MLOPS_MODEL_VERSION", "unknown")
    hours = int(env.get("DRIFT_WINDOW_HOURS") or env.get("MLOPS_DRIFT_WINDOW_HOURS") or "1")
    prefixes = window_prefixes(capture_uri, now or datetime.now(timezone.utc), hours)
    rows, skipped = featurized_rows(_captured_lines(prefixes))
    window = f"{prefixes[0]} .. {prefixes[-1]}"
    if not rows:
        print(f"drift: no captured records in {window} ({skipped} unreadable); nothing published")
        return
    statistics = json.loads(storage.read_bytes(storage.join(baseline_uri, "statistics.json")))
    constraints = json.loads(storage.read_bytes(storage.join(baseline_uri, "constraints.json")))
    threshold = constraints["monitoring_config"]["distribution_constraints"]["comparison_threshold"]
    distances = drift_distances(statistics, rows)
    publish(put_metric_data_requests(namespace, metric_data(distances, environment)))
    print(f"drift: model version {version}, {len(rows)} transactions ({skipped} records "
          f"unreadable) in {window} -> {namespace}")
    for name, distance in distances.items():
        flag = f" (above comparison_threshold {threshold})" if distance > threshold else ""
        print(f"drift: feature_baseline_drift_{name} = {distance:.4f}{flag}")


if __name__ == "__main__":
    main()
