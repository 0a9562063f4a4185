"""Deploy target `lambda` (templates/asl/_deploy_lambda.j2): update the function's configuration
and image, publish a version and move the alias to it, all at once or in weighted steps."""

from __future__ import annotations

from compiler.render.asl.traffic_shift import (
    alarm_check, rollback_alarms, serving_monitor_environment, traffic_weights, watch_states)
from compiler.render.asl.shared_states import poll_states
from compiler.render.naming import Naming, states_format


def target_states(naming: Naming, deploy, failures, serve_image, model_data, environment) -> dict:
    function = deploy.function
    platform = naming.platform
    environment = {**environment, **serving_monitor_environment(naming, metrics=False)}
    variables = {**dict(sorted(environment.items())), "MLOPS_MODEL_URI.$": model_data,
                 "MLOPS_MODEL_VERSION.$": "$.request.version"}
    describe = f"arn:{platform.partition}:states:::aws-sdk:lambda:getFunctionConfiguration"

    def update_poll(prefix):
        return poll_states(naming, prefix, deploy.poll, describe, {"FunctionName": function.name},
                           None,
                           [{"And": [{"Variable": "$.status.LastUpdateStatus", "IsPresent": True},
                                     {"Variable": "$.status.LastUpdateStatus", "StringEquals": "Successful"}], "Next": None},
                            {"And": [{"Variable": "$.status.LastUpdateStatus", "IsPresent": True},
                                     {"Variable": "$.status.LastUpdateStatus", "StringEquals": "Failed"}],
                             "Next": failures["failed"]["notify_state"]}],
                           failures["timed_out"], failures["failed"])

    config_poll, code_poll = update_poll("configuration update"), update_poll("code update")
    config_poll["outcomes"][0]["Next"] = "Update function code"
    code_poll["outcomes"][0]["Next"] = "Publish version"
    weights = traffic_weights(deploy.traffic)
    weight_map = ("States.StringToJson(States.Format('\\{\"{}\": {}\\}', $.published.Version, "
                  "States.ArrayGetItem($.shift.weights, $.shift.step)))")
    alias = {"FunctionName": function.name, "Name": function.alias}
    rollback_names, puts = rollback_alarms(naming)
    # Alarms are watched between traffic steps and during the bake time; with neither,
    # there is no moment to roll back in.
    can_roll_back = bool(rollback_names and (weights or deploy.traffic.bake_seconds))
    return {
        "first_target_state": "Read function configuration",
        "read_configuration": {"FunctionName": function.name},
        # UpdateFunctionConfiguration replaces the whole Environment (Lambda API reference,
        # UpdateFunctionConfiguration: Environment): ours are merged over the function's current
        # variables, so those someone else set (a secret's name, a feature flag) stay. They are
        # kept as `Variables`, where compiler/redact.py hides them from diff and the apply plan.
        "own_variables": variables,
        "merged_environment": {"Variables.$": "States.JsonMerge($.function.configuration.Environment.Variables, "
                                              "$.environment.Variables, false)"},
        "update_configuration": {"FunctionName": function.name, "MemorySize": function.memory,
                                 "Timeout": function.timeout_seconds, "Environment": {"Variables.$": "$.environment.Variables"}},
        "update_code": {"FunctionName": function.name, "ImageUri.$": serve_image},
        "publish_version": {"FunctionName": function.name, "Description.$": states_format("mlops version {}", "$.request.version")},
        "get_alias": alias,
        "create_alias": {**alias, "FunctionVersion.$": "$.published.Version"},
        "weights": weights,
        "shift": {**alias, "FunctionVersion.$": "$.alias.FunctionVersion",
                  "RoutingConfig": {"AdditionalVersionWeights.$": weight_map}},
        "promote": {**alias, "FunctionVersion.$": "$.published.Version", "RoutingConfig": {"AdditionalVersionWeights": {}}},
        "roll_back": {**alias, "FunctionVersion.$": "$.alias.FunctionVersion", "RoutingConfig": {"AdditionalVersionWeights": {}}},
        "alarms": alarm_check(rollback_names),
        "watch_states": watch_states(puts if can_roll_back else [], "Start traffic shift" if weights else "Promote version"),
        "interval": deploy.traffic.interval_seconds or 0,
        "bake": deploy.traffic.bake_seconds,
        "polls": {"configuration update": config_poll, "code update": code_poll},
        "can_roll_back": can_roll_back,
    }
