"""Which changes deserve a reviewer's attention, and why. Pure: each rule looks at one Change and
returns its reason or None; `flag` writes the reasons into the changes' `risk`.

| rule | flags |
|---|---|
| removed gate condition | a comparison of a metric (GATE_VARIABLES) removed, or a whole Choice state holding one |
| looser gate threshold | a metric's numeric bound that lets more through: `<`/`<=` raised, `>`/`>=` lowered, or made inclusive |
| traffic all at once | a deploy traffic setting changed to `all-at-once` (no canary/linear steps to roll back from) |
| alarms removed | alarm names (`AlarmName`, `AlarmNames` keys) present before and gone after, in a field, a state, or a whole file, environment or model removed (`monitor.json`: every alarm) |
| looser alarm threshold | a CloudWatch alarm's `Threshold` moved the way that fires it less: up for `GreaterThan*`, down for `LessThan*` (its `ComparisonOperator`, the same before and after) |
| environment or model removed | `apply` no longer updates its pipelines, and deletes nothing it deployed: schedules and alarms stay |
| spot turned off | `EnableManagedSpotTraining` true before, not after |
| instance count tenfold | an instance count or capacity multiplied by 10 or more |
| transform output reshaped | a Batch Transform job's `AssembleWith`, `Accept`, `JoinSource` or `OutputFilter` changed, added or removed: what readers of `batch.output` get changes shape |
| serverless capacity lowered | a serverless endpoint's `MemorySizeInMB`, `MaxConcurrency` or `ProvisionedConcurrency` lowered |
| serving mode switched | an endpoint config's `ServerlessConfig` or `AsyncInferenceConfig` added or removed (one-way or refused updates) |
| variant weight moved | an endpoint variant's `InitialVariantWeight` changed (an A/B test's split of traffic, a shadow's sampling) |
| variant removed | an endpoint's production or shadow variant gone (its entry removed, or another variant in its place) |
| package index changed | the CodeArtifact repository pip logs into in buildspec.yml (domain, owner, region, repository) changed, added or removed: the build installs from another index |
| publishing stopped | buildspec.yml's artifacts lose published.json: model versions no longer name the package they were trained with |
| model registry moved | `register.sagemaker`: the model package group changed, or the retrain pipeline no longer registers versions there |
"""

from __future__ import annotations

import dataclasses
import numbers
import shlex
from typing import Any, Callable, Optional

from compiler import graph
from compiler.diff import states
from compiler.diff.change import ABSENT, Change

#: Keys holding a number of instances (SageMaker jobs and endpoints, autoscaling, ECS services).
INSTANCE_COUNT_KEYS = frozenset({"InstanceCount", "InitialInstanceCount", "MinCapacity", "MaxCapacity",
                                 "DesiredCount", "instance_count"})
TENFOLD = 10
#: CreateTransformJob's fields that decide the shape of the records a transform job writes
#: (SageMaker API reference, TransformOutput, DataProcessing).
TRANSFORM_OUTPUT_KEYS = ("AssembleWith", "Accept", "JoinSource", "OutputFilter")
#: Keys whose strings are alarm names (lower case).
ALARM_NAME_KEYS = frozenset({"alarmname", "alarmnames"})
#: CloudWatch comparison operators -> the way a Threshold moves to fire the alarm less (1 up, -1 down).
LOOSER_ALARM = {"GreaterThanThreshold": 1, "GreaterThanOrEqualToThreshold": 1,
                "LessThanThreshold": -1, "LessThanOrEqualToThreshold": -1}
#: Changes whose old value may name alarms the new one does not: a field, a state, a whole file,
#: environment or model removed (its content is the old value).
_ALARM_HOLDERS = ("field-changed", "field-removed", "state-removed", "file-removed", "environment-removed", "model-removed")
#: What a gate compares: the metrics the evaluate stage wrote (`$.metrics.values['rmse']`, see
#: compiler/render/asl/shared_states.py). Other Choice states (pointer checks, the steps of a traffic shift) are
#: control flow, not gates.
GATE_VARIABLES = "$.metrics."


def flag(changes: list) -> list:
    """The changes, each with `risk` set to the reasons its rules found ("; "-joined), if any."""
    flagged = []
    for change in changes:
        reasons = [reason for rule in RULES if (reason := rule(change))]
        flagged.append(dataclasses.replace(change, risk="; ".join(reasons)) if reasons else change)
    return flagged


def removed_gate_condition(change: Change) -> Optional[str]:
    if change.kind == "condition-removed" and _gate_comparisons(change.old):
        return "a gate condition was removed"
    if change.kind == "state-removed" and change.old.get("Type") == "Choice":
        removed = [graph.condition(rule) for rule in change.old.get("Choices") or [] if _gate_comparisons(rule)]
        if removed:
            return f"a gate was removed: {'; '.join(removed)}"
    return None


def looser_threshold(change: Change) -> Optional[str]:
    if change.kind != "condition-changed":
        return None
    old, new = states.comparison(change.old), states.comparison(change.new)
    if old is None or new is None or not _is_gate(old) or not (_is_number(old.value) and _is_number(new.value)):
        return None
    if not old.operator.startswith("Numeric") or old.operator.endswith("Path") or new.operator.endswith("Path"):
        return None
    if old.bound not in ("upper", "lower"):
        return None
    if new.value == old.value:
        looser = _inclusive(new) and not _inclusive(old)
    else:
        looser = (new.value > old.value) == (old.bound == "upper")
    if not looser:
        return None
    return f"looser gate threshold: a {'higher' if old.bound == 'upper' else 'lower'} value now passes"


def traffic_all_at_once(change: Change) -> Optional[str]:
    if change.kind in ("field-changed", "field-added") and _last_key(change.path) == "traffic" \
            and change.new == "all-at-once":
        return "traffic now moves all at once: no canary or linear step for an alarm to roll back"
    return None


def alarms_removed(change: Change) -> Optional[str]:
    if change.kind not in _ALARM_HOLDERS:
        return None
    key = _last_key(change.path)
    gone = _alarm_names(change.old, key) - _alarm_names(change.new, key)
    return f"alarms removed: {', '.join(sorted(gone))}" if gone else None


def looser_alarm_threshold(change: Change) -> Optional[str]:
    if change.kind != "field-changed" or change.path[-1:] != ("Threshold",) or len(change.context) != 2:
        return None
    operators = {alarm.get("ComparisonOperator") if isinstance(alarm, dict) else None for alarm in change.context}
    way = LOOSER_ALARM.get(operators.pop()) if len(operators) == 1 else None
    if way is None or not (_is_number(change.old) and _is_number(change.new)) or (change.new - change.old) * way <= 0:
        return None
    low, high = sorted((change.old, change.new))
    return f"looser alarm threshold: a value from {low} to {high} no longer sets it off"


def environment_removed(change: Change) -> Optional[str]:
    if change.kind == "environment-removed":
        return (f"environment {change.environment} removed: apply no longer updates it, and deletes nothing "
                "it deployed (its schedules and alarms stay)")
    if change.kind == "model-removed":
        return (f"model {change.model} removed: apply no longer updates its environments, and deletes "
                "nothing they deployed (their schedules and alarms stay)")
    return None


def spot_turned_off(change: Change) -> Optional[str]:
    if _last_key(change.path) == "EnableManagedSpotTraining" and change.old is True and change.new is not True:
        return "spot training turned off: training runs at on-demand prices"
    return None


def instance_count_tenfold(change: Change) -> Optional[str]:
    if change.kind != "field-changed" or _last_key(change.path) not in INSTANCE_COUNT_KEYS:
        return None
    old, new = change.old, change.new
    if _is_number(old) and _is_number(new) and old > 0 and new >= TENFOLD * old:
        return f"instance count raised {new / old:g}-fold"
    return None


def transform_output_reshaped(change: Change) -> Optional[str]:
    key = _last_key(change.path)
    if key not in TRANSFORM_OUTPUT_KEYS or "TransformOutput" not in change.path and "DataProcessing" not in change.path:
        return None
    if change.kind not in ("field-changed", "field-added", "field-removed"):
        return None
    return f"transform output reshaped ({key}): what readers of batch.output get changes"


#: ProductionVariantServerlessConfig's keys -> what lowering it does to the requests served.
SERVERLESS_CAPACITY = {"MemorySizeInMB": "memory per invocation: a model that needs it fails out of memory",
                       "MaxConcurrency": "concurrent invocations: more requests are throttled",
                       "ProvisionedConcurrency": "warm invocations: more requests wait for a cold start"}


def serverless_capacity_lowered(change: Change) -> Optional[str]:
    key = _last_key(change.path)
    if change.kind != "field-changed" or key not in SERVERLESS_CAPACITY or "ServerlessConfig" not in change.path:
        return None
    if _is_number(change.old) and _is_number(change.new) and change.new < change.old:
        return f"serverless {key} lowered from {change.old} to {change.new}: less {SERVERLESS_CAPACITY[key]}"
    return None


#: An endpoint config's keys that make it serverless or asynchronous -> why adding or removing one
#: needs a look. An update is otherwise the same for every mode ("The process for updating a
#: serverless endpoint is the same as the process for updating a real-time endpoint": SageMaker
#: developer guide, "Update a serverless endpoint"), but SageMaker does not convert an instance
#: endpoint to a serverless one, and a serverless endpoint converted to instances cannot go back
#: (developer guide, "Deploy models with Amazon SageMaker Serverless Inference"); an asynchronous
#: endpoint is invoked with InvokeEndpointAsync, a real-time one with InvokeEndpoint.
SERVING_MODE_KEYS = {
    "ServerlessConfig": ("an instance endpoint cannot become serverless: SageMaker refuses the update, the "
                         "deployment fails and the old config serves on (delete the endpoint, or rename it)",
                         "serverless to instances is one-way: SageMaker will not make this endpoint serverless again"),
    "AsyncInferenceConfig": ("the endpoint becomes asynchronous: its callers must use InvokeEndpointAsync",
                             "the endpoint stops being asynchronous: callers of InvokeEndpointAsync fail"),
}


def serving_mode_switched(change: Change) -> Optional[str]:
    reasons = SERVING_MODE_KEYS.get(_last_key(change.path))
    if reasons is None or change.kind not in ("field-added", "field-removed"):
        return None
    return reasons[0] if change.kind == "field-added" else reasons[1]


#: The endpoint config's lists of variants (A/B production variants, a shadow test's variant).
VARIANT_LISTS = frozenset({"ProductionVariants", "ShadowProductionVariants"})


def variant_weight_moved(change: Change) -> Optional[str]:
    if change.kind == "field-changed" and _last_key(change.path) == "InitialVariantWeight" \
            and _is_number(change.old) and _is_number(change.new):
        return f"variant weight moved from {change.old:g} to {change.new:g}: traffic is split differently"
    return None


def variant_removed(change: Change) -> Optional[str]:
    """A variant's entry gone from the end of the list, or another variant named in its place
    (variants are listed by name: a removal shifts the later ones)."""
    if change.kind == "field-changed" and _last_key(change.path) == "VariantName":
        return f"variant {change.old} removed ({change.new} in its place): its traffic moves to the others"
    if change.kind == "field-removed" and _last_key(change.path) in VARIANT_LISTS:
        gone = [entry for entry in (change.old if isinstance(change.old, list) else [change.old])
                if isinstance(entry, dict) and "VariantName" in entry]
        if gone:
            return (f"variant {', '.join(str(entry['VariantName']) for entry in gone)} removed: "
                    "its traffic moves to the others")
    return None


#: The build's pip login (compiler/render/codeartifact_build.py) and the options naming its repository.
PIP_LOGIN = ("aws", "codeartifact", "login", "--tool", "pip")
REPOSITORY_OPTIONS = ("--domain", "--domain-owner", "--region", "--repository")


def package_index_changed(change: Change) -> Optional[str]:
    if change.file != "buildspec.yml" or not change.kind.startswith("field-"):
        return None
    old, new = _pip_indexes(change.old), _pip_indexes(change.new)
    if old == new:
        return None
    before, after = ", ".join(sorted(old)) or "the public index", ", ".join(sorted(new)) or "the public index"
    return f"package index changed from {before} to {after}: the build installs its packages from elsewhere"


def publishing_stopped(change: Change) -> Optional[str]:
    if change.file == "buildspec.yml" and change.kind in ("field-removed", "field-changed") \
            and "published.json" in _strings(change.old) and "published.json" not in _strings(change.new):
        return "publishing stopped: model versions no longer name the package they were trained with"
    return None


def _pip_indexes(value: Any) -> set:
    """`domain/repository (owner, region)` of every pip login to CodeArtifact in a value."""
    found = set()
    for text in _strings(value):
        try:
            words = shlex.split(text)
        except ValueError:
            continue
        if tuple(words[:len(PIP_LOGIN)]) == PIP_LOGIN:
            options = dict(zip(words[len(PIP_LOGIN)::2], words[len(PIP_LOGIN) + 1::2]))
            domain, owner, region, repository = (options.get(option, "?") for option in REPOSITORY_OPTIONS)
            found.add(f"{domain}/{repository} ({owner}, {region})")
    return found


def _strings(value: Any) -> list:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


#: The retrain state that registers a version in SageMaker's Model Registry (register.sagemaker;
#: compiler/render/asl/retrain_pipeline.py, REGISTER_MODEL_PACKAGE: diff imports nothing of render).
MODEL_PACKAGE_STATE = "Register model package"


def model_registry_moved(change: Change) -> Optional[str]:
    """The group changed: new versions go to another group while the earlier ones stay where they
    are (apply deletes no group); the state removed: new versions are no longer in SageMaker."""
    if change.state != MODEL_PACKAGE_STATE:
        return None
    if change.kind == "field-changed" and _last_key(change.path) == "ModelPackageGroupName":
        return (f"model package group {change.old} -> {change.new}: new versions register in {change.new}, the "
                f"earlier ones stay in {change.old}; Studio and whatever deploys from a group see them split")
    if change.kind == "state-removed":
        group = (change.old.get("Parameters") or {}).get("ModelPackageGroupName") if isinstance(change.old, dict) else None
        return (f"versions no longer registered in SageMaker's model package group {group}: Studio, and whatever "
                "deploys the group's approved versions, stop seeing new ones")
    return None


RULES: tuple[Callable[[Change], Optional[str]], ...] = (
    environment_removed, removed_gate_condition, looser_threshold, traffic_all_at_once, alarms_removed,
    looser_alarm_threshold, spot_turned_off, instance_count_tenfold, transform_output_reshaped,
    serverless_capacity_lowered, serving_mode_switched, variant_weight_moved, variant_removed,
    package_index_changed, publishing_stopped, model_registry_moved,
)


def _gate_comparisons(rule: Any) -> list:
    return [found for found in states.comparisons(rule) if _is_gate(found)]


def _is_gate(found: states.Comparison) -> bool:
    return found.variable.startswith(GATE_VARIABLES)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _inclusive(found: states.Comparison) -> bool:
    return found.operator.endswith("Equals")


def _last_key(path: tuple) -> str:
    """The last key of a path (list positions and entries skipped)."""
    return next((step for step in reversed(path) if isinstance(step, str)), "")


def _alarm_names(value: Any, key: str) -> set:
    """The alarm names in a value found under `key`: the strings under an `AlarmName` or `AlarmNames`
    key, any case (SageMaker's `Alarms[].AlarmName`, Lambda's `AlarmNames`, ECS's `alarmNames`,
    CloudWatch alarms in monitor.json)."""
    if value is ABSENT:
        return set()
    if isinstance(value, str):
        return {value} if key.lower() in ALARM_NAME_KEYS else set()
    if isinstance(value, dict):
        return {name for inner, item in value.items() for name in _alarm_names(item, str(inner))}
    if isinstance(value, list):
        return {name for item in value for name in _alarm_names(item, key)}
    return set()
