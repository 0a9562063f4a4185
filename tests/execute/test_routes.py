"""Every route of every compiled sample pipeline, executed whole (issue 14, section 2).

For each sample model/environment and each of its retrain, deploy and drift state machines, the
routes are listed from the compiled ASL (`routes_of`): each scenario's route with no failure (the
happy path; for deploy also the canary/linear roll-back, `locked`: an earlier approved deployment
was stopped holding the lock, and `resized`: the instance type changed by apply since the live
version), plus one route per (Task, Catcher) pair, in which that Task fails with an error the
Catcher takes (injected, or, where a failure injected on every call cannot end, raised by AWS
itself through a race, RACES). Routes moto cannot produce would be listed in NOT_PRODUCIBLE.
Each route is one test id, and runs from the first state to the end in moto with the harness of
sfn_harness.py (`Harness.fail_state` makes the state's call fail as AWS names the error; a
`.sync` job fails as a job does).

A route asserts: the Task failed with the injected error, the next state entered is the
Catcher's `Next`, every state of the route after it (the notification, the registry record, the
event) ran and succeeded, and the execution ended where that route ends (the Fail state's Error,
or, where the Catcher rejoins the pipeline, as the scenario ends). A Catcher that no error the
Task can raise reaches (an earlier Catcher takes them all) is a failing route, named as such.

Scenarios build their preconditions by the production path only: `mlopsc apply` (compiler.apply),
whole retrain runs (which register versions), approval through the registry library (whose
ModelApproved event starts the deploy through the rule apply created), and the registry's Lambda
handler fed every published event. Nothing sets a registry item. A scenario is built once; each
route then runs in a fork of the test process (copy-on-write: every route starts from the same
account, and building it once keeps the whole set within a few minutes).

The deploy machines' routes are run by test_routes_deploy.py, the others here. Run one machine's
routes: `pytest tests/execute/test_routes_deploy.py -k 'demand-forecast-default-deploy'`.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest

pytestmark = pytest.mark.e2e  # whole routes on moto: compile, apply, executions

from forks import in_fork  # each route in a fork of the process, from its scenario's account
from paths import REPO_ROOT

SAMPLES = REPO_ROOT / "samples"
#: (sample folder, environment) -> metrics its evaluate stage writes that pass its gate
SAMPLE_ENVIRONMENTS = {
    ("churn-fargate", "default"): {"auc": 0.91, "logloss": 0.31},
    ("demand-forecast", "default"): {"rmse": 11.0, "mape": 0.1},
    ("fraud-lambda", "dev"): {"auc": 0.95, "recall": 0.7, "false_positive_rate": 0.01},
    ("fraud-lambda", "prod"): {"auc": 0.95, "recall": 0.7, "false_positive_rate": 0.01},
}
PIPELINES = ("retrain", "deploy", "drift")
#: Step Functions' error prefix for aws-sdk services (as sfn_harness maps them)
SDK_ERROR_PREFIX = {"lambda": "Lambda", "sagemaker": "SageMaker", "s3": "S3", "cloudwatch": "CloudWatch",
                    "applicationautoscaling": "ApplicationAutoScaling", "dynamodb": "DynamoDb", "sfn": "Sfn"}
BOTO_NAME = {"applicationautoscaling": "application-autoscaling", "sfn": "stepfunctions"}


# ----------------------------------------------------------------------------- the compiled samples

@dataclass(frozen=True)
class Machine:
    sample: str
    environment: str
    model: str
    account: str
    pipeline: str
    definition: dict

    @property
    def name(self) -> str:
        return f"{self.model}-{self.environment}-{self.pipeline}"


def _compiled() -> list[Machine]:
    from compiler import api
    from compiler.artifacts import write

    machines = []
    for (sample, environment) in SAMPLE_ENVIRONMENTS:
        result = api.compile_outputs([str(SAMPLES / sample)], None, environment)
        assert result.validation.ok, result.validation.problems
        with tempfile.TemporaryDirectory() as folder:
            write.write(Path(folder), result.outputs)
            for manifest in sorted(Path(folder).glob(f"*/{environment}/manifest.json")):
                account = json.loads(manifest.read_text())["target"]["account"]
                for pipeline in PIPELINES:
                    path = manifest.parent / f"{pipeline}.asl.json"
                    if path.exists():
                        machines.append(Machine(sample, environment, manifest.parent.parent.name, account,
                                                pipeline, json.loads(path.read_text())))
    return machines


# ----------------------------------------------------------------------------- routes, from the ASL

@dataclass(frozen=True)
class Route:
    machine: Machine
    scenario: Optional[str]  # a scenario's own route (no failure), or None: any scenario passing `state`
    state: Optional[str] = None  # the failing Task
    catcher: int = 0  # index in its Catch

    @property
    def id(self) -> str:
        if self.state is None:
            return f"{self.machine.name}:{self.scenario}"
        catch = self.machine.definition["States"][self.state]["Catch"][self.catcher]
        return f"{self.machine.name}:{self.state}:{'|'.join(catch['ErrorEquals'])}"


def scenarios_of(machine: Machine) -> list[str]:
    """The runs with no failure that, between them, pass every Task of the machine."""
    states = machine.definition["States"]
    if machine.pipeline == "retrain":
        return ["scheduled", "drift"] if "Claim drift window" in states else ["scheduled"]
    if machine.pipeline == "deploy":
        rolls_back = any(s.get("Error") == "DeploymentRolledBack" for s in states.values())
        resizes = "Deregister scalable target" in states  # entered only when the instance type changes
        # entered only when the endpoint still runs an A/B or shadow test its config no longer has
        ends_a_test = "Replace test variants" in states
        return ["first", "second", "locked"] + (["rolled_back"] if rolls_back else []) + (
            ["resized"] if resizes else []) + (["test_ended"] if ends_a_test else [])
    return ["deployed", "undeployed"]


#: The only routes not run: (pipeline, Task, the Catcher's ErrorEquals joined by "|") -> why moto
#: cannot produce it. Each is still counted by test_every_catcher_of_every_task_has_a_route.
NOT_PRODUCIBLE: dict[tuple[str, str, str], str] = {}


def routes_of(machine: Machine) -> list[Route]:
    routes = [Route(machine, scenario) for scenario in scenarios_of(machine)]
    for name, state in machine.definition["States"].items():
        if state["Type"] == "Task":
            routes += [Route(machine, None, name, index) for index, catcher in enumerate(state.get("Catch", []))
                       if (machine.pipeline, name, "|".join(catcher["ErrorEquals"])) not in NOT_PRODUCIBLE]
    return routes


def _matches(error: str, error_equals: list[str]) -> bool:
    """As Step Functions matches a Catcher ("Error names", error-handling.html): States.ALL any
    error; States.TaskFailed any error but States.Timeout (moto: any error not named States.*)."""
    if "States.ALL" in error_equals or error in error_equals:
        return True
    return "States.TaskFailed" in error_equals and not error.startswith("States.")


def errors_of(state: dict) -> list[str]:
    """The errors the Task's call can fail with, named as Step Functions names them: a `.sync`
    job's failure (States.TaskFailed); an aws-sdk or DynamoDB call's errors from botocore's model
    of the operation (`SageMaker.ResourceInUseException`, `DynamoDB.ProvisionedThroughputExceededException`);
    another optimised integration's failure (States.TaskFailed)."""
    import botocore.session

    resource = state["Resource"].split(":::", 1)[-1]
    if resource.endswith(".sync"):
        return ["States.TaskFailed"]
    parts = resource.split(":")
    if parts[0] == "aws-sdk":
        service, action, prefix = parts[1], parts[2], SDK_ERROR_PREFIX.get(parts[1], parts[1])
    elif parts[0] == "dynamodb":
        service, action, prefix = "dynamodb", parts[1], "DynamoDB"
    else:
        return ["States.TaskFailed"]
    model = botocore.session.get_session().get_service_model(BOTO_NAME.get(service, service))
    operation = model.operation_model(action[0].upper() + action[1:])
    names = []
    for shape in operation.error_shapes:
        name = shape.name if shape.name.endswith("Exception") or prefix == "DynamoDB" else shape.name + "Exception"
        names.append(f"{prefix}.{name}")
    return names + ["States.TaskFailed"]


def injected_error(state: dict, catcher: int) -> Optional[str]:
    """An error of the Task that this Catcher takes and no earlier Catcher does (None: none)."""
    catchers = state["Catch"]
    named = [e for e in catchers[catcher]["ErrorEquals"] if e not in ("States.ALL", "States.TaskFailed")]
    for error in named + errors_of(state):
        if _matches(error, catchers[catcher]["ErrorEquals"]) and not any(
                _matches(error, earlier["ErrorEquals"]) for earlier in catchers[:catcher]):
            return error
    return None


def tail(definition: dict, start: str, error: Optional[str] = None,
         passed: tuple = ()) -> tuple[list[str], Optional[dict]]:
    """The states a Catcher's route runs from its Next, following `Next`, and where it ends
    (the Fail or Succeed state), or None where it meets a Choice (the route rejoins the pipeline).
    A Choice that routes on the caught error (`$.error...`, e.g. 'Endpoint missing?') or on what a
    Pass state set (`$.outcome.next`, e.g. 'Route outcome') is followed: to the rule those values
    match (the error by name), else to its Default. The Pass states are those of the route and
    those the run `passed` before the Task failed: 'Scaling not restored' routes on the outcome
    'Restore scaling: deployed' set before 'Register scalable target' failed (a route that
    ignored it expected the pipeline to rejoin where it pages 'deployment failed')."""
    states, route, name, known = definition["States"], [], start, {}
    for earlier in passed:
        _set_by_pass(states[earlier], known)
    while name not in route:
        route.append(name)
        state = states[name]
        if state["Type"] in ("Fail", "Succeed") or state.get("End"):
            return route, state
        _set_by_pass(state, known)
        if state["Type"] == "Choice":
            if error is None or not all(v.startswith("$.error") or v in known for v in _variables(state["Choices"])):
                return route[:-1], None
            name = next((rule["Next"] for rule in state["Choices"] if _may_match(rule, error, known)),
                        state["Default"])
            continue
        name = state["Next"]
    return route, None


def _set_by_pass(state: dict, known: dict) -> None:
    """The constant values a Pass state with a Result object sets, by JSONPath."""
    if state["Type"] == "Pass" and isinstance(state.get("Result"), dict) and state.get("ResultPath"):
        known.update({f"{state['ResultPath']}.{k}": v for k, v in state["Result"].items()})


def _variables(rules) -> list[str]:
    found = []
    for rule in rules:
        found += _variables(rule.get("And") or rule.get("Or") or ([rule["Not"]] if "Not" in rule else []))
        if "Variable" in rule:
            found.append(rule["Variable"])
    return found


def _may_match(rule: dict, error: str, known: dict) -> bool:
    """Whether a Choice rule can match the injected `error` (its Cause is the harness's, so only
    tests of the error's name decide) and the values the route's Pass states set."""
    if "And" in rule:
        return all(_may_match(operand, error, known) for operand in rule["And"])
    if "Or" in rule:
        return any(_may_match(operand, error, known) for operand in rule["Or"])
    if rule.get("Variable") in known and "StringEquals" in rule:
        return known[rule["Variable"]] == rule["StringEquals"]
    if rule.get("Variable") != "$.error.Error":
        return True
    if "StringEquals" in rule:
        return rule["StringEquals"] == error
    if "StringMatches" in rule:
        return fnmatch.fnmatchcase(error, rule["StringMatches"])
    return True


# ----------------------------------------------------------------------------- scenarios, built once

class Scenario:
    """One account, applied and brought to a scenario's preconditions by the production path."""

    def __init__(self, machine: Machine, name: str, tmp: Path):
        self.machine, self.name, self.tmp = machine, name, tmp
        self.stack = contextlib.ExitStack()
        self.patch = pytest.MonkeyPatch()
        self.stack.callback(self.patch.undo)
        self.racing = 0  # deployments another approval starts during the run (RACES)

    def build(self) -> "Scenario":
        from sfn_harness import applied

        m = self.machine
        self.account = self.stack.enter_context(applied(self.patch, self.tmp, [SAMPLES / m.sample], m.environment,
                                                        m.account))
        self.account.harness.stages.metrics = SAMPLE_ENVIRONMENTS[(m.sample, m.environment)]
        self._serving_platform()
        if m.pipeline == "deploy" or (m.pipeline == "drift" and self.name == "deployed"):
            self.life = _Registry(self.account, self.patch, m)
            self.life.retrain("v1")
            if m.pipeline == "deploy" and self.name != "first":
                self.life.retrain("v2")
            if m.pipeline == "drift" or self.name in ("second", "rolled_back", "deployed", "resized", "test_ended"):
                self.life.approve_and_deploy("v1")
            if self.name == "resized":
                self._change_instance_type()
            if self.name == "test_ended":
                self._run_an_ab_test()
            if self.name == "locked":
                self.life.approve_and_stop("v1")
                self.life.retrain("v3")  # what another approval deploys while this one runs (RACES)
        self.account.harness.stages.runs.clear()
        return self

    def _change_instance_type(self) -> None:
        """The model's config asks for another serving instance type after v1 is live: compiled
        and applied again, as `mlopsc apply` does after the commit (test_execute_deploy_safety's
        change_instance_type). v2's deployment then deregisters the variant's scaling first. Only
        'Instance type changes?' compares with the new type: the routes' states are the same."""
        import shutil

        from sfn_harness import apply_again

        root = self.tmp / "changed"
        shutil.copytree(SAMPLES / self.machine.sample, root / self.machine.sample)
        shutil.copy(SAMPLES / "mlops-platform.yaml", root / "mlops-platform.yaml")
        config = root / self.machine.sample / "mlops.yaml"
        serving = config.read_text()
        assert serving.count("instance_type: ml.c5.xlarge") == 1, "the sample's serving instance type moved"
        config.write_text(serving.replace("instance_type: ml.c5.xlarge", "instance_type: ml.c5.2xlarge"))
        apply_again(self.account, [root / self.machine.sample], self.machine.environment)

    def _run_an_ab_test(self) -> None:
        """A commit adds an A/B test (v3, the candidate, against the live v1; unscaled and all at
        once, as rule endpoint-variants asks), applied and deployed; the next commit removes it
        again (the sample applied as it is): v2's deployment finds two variants on the endpoint."""
        import shutil

        import yaml

        from sfn_harness import apply_again

        sample, environment = self.machine.sample, self.machine.environment
        root = self.tmp / "ab-test"
        shutil.copytree(SAMPLES / sample, root / sample)
        shutil.copy(SAMPLES / "mlops-platform.yaml", root / "mlops-platform.yaml")
        config = yaml.safe_load((root / sample / "mlops.yaml").read_text())
        deploy = config["pipelines"]["deploy"]
        deploy["endpoint"].pop("autoscaling", None)
        deploy["endpoint"]["variants"] = {"blue": {"version": "live", "weight": 50},
                                          "green": {"version": "candidate", "weight": 50}}
        deploy["traffic"] = {"mode": "all-at-once"}
        (root / sample / "mlops.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        apply_again(self.account, [root / sample], environment)
        self.life.retrain("v3")
        self.life.approve_and_deploy("v3")
        apply_again(self.account, [SAMPLES / sample], environment)

    def _serving_platform(self) -> None:
        """What the platform team creates and mlopsc only points at: the alarms a canary checks
        (as in test_execute_deploy.py); the serving Lambda functions exist before apply, which
        checks them (sfn_harness.create_serving_functions)."""
        session = self.account.session
        states = {name: state for path in sorted(self.account.out.glob(
            f"{self.machine.model}/{self.machine.environment}/*.asl.json"))
                  for name, state in json.loads(path.read_text())["States"].items()}
        alarms = {a for s in states.values() if s.get("Resource", "").endswith("cloudwatch:describeAlarms")
                  for a in s["Parameters"].get("AlarmNames", [])}
        for alarm in sorted(alarms):
            session.client("cloudwatch").put_metric_alarm(
                AlarmName=alarm, MetricName="Errors", Namespace="AWS/Lambda", Statistic="Sum", Period=60,
                EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold")

    def run(self):
        """The scenario's execution of its machine (in the fork), as its trigger starts it."""
        from sfn_harness import execute, wait_for

        m, account = self.machine, self.account
        if m.pipeline == "retrain":
            payload = {"trigger": "schedule"} if self.name == "scheduled" else {
                "trigger": "drift", "alarm": f"{m.model}-{m.environment}-drift"}
            return execute(account.sfn, m.name, f"route-{self.name}", payload)
        if m.pipeline == "drift":
            return execute(account.sfn, m.name, f"route-{self.name}", {"trigger": "schedule"})
        version = "v1" if self.name == "first" else "v2"
        if self.name == "rolled_back":
            self._alarm_during_the_shift()
        started = len(self.life.started)
        self.life.approve(version)
        assert len(self.life.started) > started, "the approval started no deployment"
        run = wait_for(account.sfn, self.life.started[started]["arn"])
        assert len(self.life.started) == started + 1 + self.racing, "deployments no approval asked for started"
        return run

    def _alarm_during_the_shift(self) -> None:
        """An alarm fires while traffic shifts: SageMaker rolls the endpoint back itself; a Lambda
        canary's alarm goes to ALARM during its first wait."""
        harness, cloudwatch = self.account.harness, self.account.session.client("cloudwatch")
        harness.endpoint = "roll_back"
        alarms = [a for s in self.machine.definition["States"].values()
                  if s.get("Resource", "").endswith("cloudwatch:describeAlarms") for a in s["Parameters"]["AlarmNames"]]

        def fire(execution, state, seconds):
            for alarm in alarms:
                cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="errors during the shift")

        harness.clock.on_wait = fire

    def another_deployment_takes_over(self, state: str) -> None:
        """Just before this deployment's `state` ('Take over lock') writes, another approval's
        deployment (v3) takes the stopped execution's lock over and runs to its end: the lock no
        longer names the ended execution, so this take-over's condition fails by itself
        (DynamoDB.ConditionalCheckFailedException), and the re-read finds the lock free."""
        from sfn_harness import wait_for

        harness, raced = self.account.harness, []

        def take_it_first(execution: str) -> None:
            if raced:
                return  # the other deployment's own take-over, and this one's later calls
            raced.append(execution)
            self.life.approve("v3")
            other = wait_for(self.account.sfn, self.life.started[-1]["arn"])
            assert other.status == "SUCCEEDED", (other.status, other.error, other.cause)

        harness.before_call[state] = take_it_first
        self.racing = 1

    def close(self) -> None:
        self.stack.close()


class _Registry:
    """The registry as the platform runs it: the handler fed every event (test_full_life.Life)."""

    def __init__(self, account, patch, machine: Machine):
        from test_full_life import Life

        self.life = Life(account, patch)
        self.machine = machine
        self.started = self.life.started

    def retrain(self, version: str) -> None:
        from sfn_harness import execute

        m = self.machine
        run = execute(self.life.sfn, f"{m.model}-{m.environment}-retrain", version, {"trigger": "schedule"})
        assert run.status == "SUCCEEDED", (run.error, run.cause)
        self.life.deliver()

    def approve(self, version: str) -> None:
        from compiler.registry import store

        store.EnvironmentRegistry.connect(store.locate_one(self.life.account.out, self.machine.environment,
                                                self.machine.model)).approve(version)

    def approve_and_stop(self, version: str) -> None:
        """The version's deployment (its approval started it) takes the lock and is stopped
        (StopExecution) at its first Wait, before it records an outcome: the lock stays
        `deploying`, naming an execution that has ended (as in test_deploy_lock.py)."""
        from sfn_harness import wait_for
        from test_full_life import _next_second

        clock, stopped = self.life.account.harness.clock, []
        machine = f"{self.machine.model}-{self.machine.environment}-deploy"

        def stop_it(execution, state, seconds):
            if not stopped:
                stopped.append(execution)
                (arn,) = [e["executionArn"] for e in self.life.sfn.list_executions(stateMachineArn=next(
                    m["stateMachineArn"] for m in self.life.sfn.list_state_machines()["stateMachines"]
                    if m["name"] == machine))["executions"] if e["name"] == execution]
                self.life.sfn.stop_execution(executionArn=arn)

        _next_second()
        clock.on_wait = stop_it
        self.approve(version)
        run = wait_for(self.life.sfn, self.started[-1]["arn"])
        clock.on_wait = None
        assert (run.status, stopped) == ("ABORTED", [run.name]), (run.status, stopped, run.error, run.cause)
        self.life.deliver()
        _next_second()

    def approve_and_deploy(self, version: str) -> None:
        from sfn_harness import wait_for
        from test_full_life import _next_second

        _next_second()  # the handler orders a version's events by their (whole) second
        self.approve(version)
        run = wait_for(self.life.sfn, self.started[-1]["arn"])
        assert run.status == "SUCCEEDED", (run.error, run.cause)
        self.life.deliver()
        _next_second()


_LIVE: dict = {}
#: (machine name, scenario) -> the states its route with no failure entered
_ENTERED: dict[tuple[str, str], set] = {}


def _scenario(machine: Machine, name: str, tmp_factory) -> Scenario:
    """The live scenario (one at a time: each is an account in moto's one process)."""
    key = (machine.name, name)
    if _LIVE.get("key") != key:
        if "scenario" in _LIVE:
            _LIVE.pop("scenario").close()
        _LIVE.clear()
        scenario = Scenario(machine, name, tmp_factory.mktemp("route"))
        try:
            scenario.build()
        except BaseException:
            scenario.close()
            raise
        _LIVE.update(key=key, scenario=scenario)
    return _LIVE["scenario"]


@pytest.fixture(scope="module", autouse=True)
def _close_live_scenario():
    yield
    if "scenario" in _LIVE:
        _LIVE.pop("scenario").close()
        _LIVE.clear()


# ----------------------------------------------------------------------------- the routes, run

MACHINES = _compiled()
ROUTES = [route for machine in MACHINES for route in routes_of(machine)]
#: a scenario's route with no failure: how it ends
SCENARIO_ENDS = {"rolled_back": ("FAILED", "DeploymentRolledBack")}


def _scenario_end(scenario: Scenario) -> tuple[str, Optional[str]]:
    return SCENARIO_ENDS.get(scenario.name, ("SUCCEEDED", None))


def routes_in(pipelines: tuple) -> list[Route]:
    """The routes of the machines of these pipelines: the deploy routes run from a file of their
    own (test_routes_deploy.py), so that `--dist loadfile` gives them a worker beside the others."""
    return [route for route in ROUTES if route.machine.pipeline in pipelines]


ROUTES_HERE = routes_in(("retrain", "drift"))


@pytest.mark.parametrize("route", ROUTES_HERE, ids=[r.id for r in ROUTES_HERE])
def test_route(route: Route, tmp_path_factory):
    run_route(route, tmp_path_factory)


def run_route(route: Route, tmp_path_factory) -> None:
    try:
        _run_route(route, tmp_path_factory)
    except AssertionError:  # reported as text: pytest's own rendering of these can crash (CPython's ast)
        pytest.fail(traceback.format_exc(), pytrace=False)


def _run_route(route: Route, tmp_path_factory) -> None:
    machine = route.machine
    if route.state is None:
        scenario = _scenario(machine, route.scenario, tmp_path_factory)
        _ENTERED[(machine.name, route.scenario)] = in_fork(lambda: _no_failure(scenario))
        return
    state = machine.definition["States"][route.state]
    catcher = state["Catch"][route.catcher]
    error = injected_error(state, route.catcher)
    assert error is not None, (
        f"{route.state}: no error its call can raise reaches Catch #{route.catcher} "
        f"{catcher['ErrorEquals']}: an earlier Catcher takes them all "
        f"({[c['ErrorEquals'] for c in state['Catch'][:route.catcher]]})")
    named = any(e not in ("States.ALL", "States.TaskFailed") for e in catcher["ErrorEquals"])
    name, before = _passing(machine, route.state, tmp_path_factory, prefer_live=not named,
                            natural=error if named else None)
    name = WHERE_THE_ERROR_CAN_HAPPEN.get((machine.pipeline, route.state, error), name)
    scenario = _scenario(machine, name, tmp_path_factory)
    race = RACES.get((machine.pipeline, route.state, error))
    in_fork(lambda: _failing(scenario, route.state, error, catcher["Next"], before, race))


#: (pipeline, Task, error) -> the Scenario method that makes AWS raise the error there by itself
#: (instead of the harness failing every call: a take-over failed every time would loop for ever).
RACES = {("deploy", "Take over lock", "DynamoDB.ConditionalCheckFailedException"): "another_deployment_takes_over"}
#: (pipeline, Task, error) -> the scenario in which AWS can raise that error there. The lock's
#: condition (no deployment in progress) can only fail where the DEPLOYMENT item is `deploying`:
#: in `locked`, where an earlier deployment was stopped holding it (after a deployment that
#: ended, as in `second`, the item is `deployed`: the re-read finds no lock and the failing
#: condition would be retried for ever, a world AWS cannot produce).
WHERE_THE_ERROR_CAN_HAPPEN = {("deploy", "Lock deployment", "DynamoDB.ConditionalCheckFailedException"): "locked"}


def _passing(machine: Machine, state: str, tmp_path_factory, prefer_live: bool,
             natural: Optional[str] = None) -> tuple[str, dict]:
    """A scenario whose route enters `state`, and the failures that route needs before it
    (a Task reached only from another Task's Catcher: that Task fails first). With
    `prefer_live`, the live scenario if it enters the state (a Catcher of any error: the
    scenario does not matter; one of a named error: where that error is most natural, the
    first scenario in order, unless in another one the Task already fails with the `natural`
    error by itself: there the injected one is the world AWS produces)."""
    names = scenarios_of(machine)
    live = _LIVE.get("key")
    if prefer_live and live and live[0] == machine.name:
        names = [live[1]] + [n for n in names if n != live[1]]
    for name in names:
        if (machine.name, name) not in _ENTERED:
            scenario = _scenario(machine, name, tmp_path_factory)
            _ENTERED[(machine.name, name)] = in_fork(lambda: _no_failure(scenario, check=False))
    if natural:
        names = sorted(names, key=lambda n: (state, natural) not in _ENTERED[(machine.name, n)]["failed"])
    for name in names:
        if state in _ENTERED[(machine.name, name)]["entered"]:
            return name, {}
    states = machine.definition["States"]
    for name, task in states.items():  # reached only from another Task's Catcher
        for index, catcher in enumerate(task.get("Catch", []) if task["Type"] == "Task" else []):
            error = injected_error(task, index)
            if name != state and error and state in tail(machine.definition, catcher["Next"])[0]:
                scenario, before = _passing(machine, name, tmp_path_factory, prefer_live, natural)
                return scenario, {**before, name: error}
    raise AssertionError(f"{machine.name}: no scenario ({', '.join(scenarios_of(machine))}) enters {state!r}")


def _no_failure(scenario: Scenario, check: bool = True) -> dict:
    from sfn_harness import published

    run = scenario.run()
    if check:
        status, error = _scenario_end(scenario)
        assert (run.status, run.error) == (status, error), (run.status, run.error, run.cause, run.entered())
        notices = [n for n in published(scenario.account.topic) if n["message"].get("execution") == run.arn]
        assert bool(notices) == (status == "FAILED"), notices  # a failure pages someone; a success nobody
        _lock_released(scenario, run)
    return {"entered": set(run.entered()),
            "failed": {(s, f["error"]) for s in set(run.entered()) for f in run.failures(s)}}


def _failing(scenario: Scenario, state: str, error: str, catcher_next: str, before: dict,
             race: Optional[str] = None) -> dict:
    from sfn_harness import item, published

    for earlier, its_error in before.items():
        scenario.account.harness.fail_state(earlier, its_error)
    if race:
        getattr(scenario, race)(state)
    else:
        scenario.account.harness.fail_state(state, error)
    run = scenario.run()
    definition = scenario.machine.definition
    failures = run.failures(state)
    assert failures and failures[-1]["error"] == error, (state, failures, run.status, run.error, run.cause)
    after = _entered_after_last_failure(run, state)
    assert after[:1] == [catcher_next], (f"after {state} failed with {error}, the execution went to {after[:1]}, "
                                         f"not the Catcher's Next {catcher_next!r}", run.error, run.cause)
    route, end = tail(definition, catcher_next, error, passed=tuple(_entered_before_last_failure(run, state)))
    assert after[:len(route)] == route, (f"the route from {catcher_next!r} should run {route}", after, run.error,
                                         run.cause)
    if end is None:
        status, expected_error = _scenario_end(scenario)  # rejoined the pipeline
    elif end["Type"] == "Fail":
        status, expected_error = "FAILED", end.get("Error")
    else:
        status, expected_error = "SUCCEEDED", None
    assert (run.status, run.error) == (status, expected_error), (run.status, run.error, run.cause, after)
    succeeded = _succeeded_states(run)
    for name in route:
        if definition["States"][name]["Type"] == "Task":
            assert name in succeeded, f"{name} on the route did not succeed ({run.failures(name)})"
    notified = [n for n in published(scenario.account.topic) if n["message"].get("execution") == run.arn]
    notifies = [n for n in route if definition["States"][n].get("Resource", "").endswith(":sns:publish")]
    assert len(notified) >= len(notifies), (notifies, notified)
    for name in route:  # each registry record the route writes is there
        task = definition["States"][name]
        if task.get("Resource", "").split(":::")[-1] in ("dynamodb:updateItem", "dynamodb:putItem"):
            sent = run.parameters(name)[-1]
            key = sent.get("Key") or {k: sent["Item"][k] for k in ("pk", "sk")}
            assert item(scenario.account.session, (key["pk"]["S"], key["sk"]["S"]), sent["TableName"]), (name, key)
    _lock_released(scenario, run)
    return {"error": error, "end": run.error or run.status, "route": route}


def _lock_released(scenario: Scenario, run) -> None:
    """A deployment that took the lock leaves it free when it ends, however it ends: a lock left
    `deploying` refuses every later deployment (DeploymentInProgress) until someone clears it."""
    from sfn_harness import item

    if "Lock deployment" not in _succeeded_states(run):
        return
    sent = run.parameters("Lock deployment")[-1]
    held = item(scenario.account.session, (sent["Key"]["pk"]["S"], sent["Key"]["sk"]["S"]), sent["TableName"])
    assert not (held.get("status") == "deploying" and held.get("execution") == run.arn), (
        f"the execution ended {run.status} {run.error} with the lock still held: {held}")


def _entered_after_last_failure(run, state: str) -> list[str]:
    current, last = None, None
    for index, event in enumerate(run.events):
        if "stateEnteredEventDetails" in event:
            current = event["stateEnteredEventDetails"]["name"]
        if event["type"] == "TaskFailed" and current == state:
            last = index
    return [e["stateEnteredEventDetails"]["name"] for e in run.events[last:] if "stateEnteredEventDetails" in e]


def _entered_before_last_failure(run, state: str) -> list[str]:
    after = _entered_after_last_failure(run, state)
    entered = run.entered()
    return entered[:len(entered) - len(after)]


def _succeeded_states(run) -> set:
    found, current = set(), None
    for event in run.events:
        if "stateEnteredEventDetails" in event:
            current = event["stateEnteredEventDetails"]["name"]
        if event["type"] == "TaskSucceeded":
            found.add(current)
    return found


def test_every_catcher_of_every_task_has_a_route():
    """The count of routes executed (issue 14 asks for it in the note), and a check that the
    enumeration misses no Catcher of any compiled retrain, deploy or drift machine."""
    catchers = sum(len(s.get("Catch", [])) for m in MACHINES for s in m.definition["States"].values()
                   if s["Type"] == "Task")
    excluded = sum(1 for m in MACHINES for name, s in m.definition["States"].items() if s["Type"] == "Task"
                   for c in s.get("Catch", []) if (m.pipeline, name, "|".join(c["ErrorEquals"])) in NOT_PRODUCIBLE)
    assert len([r for r in ROUTES if r.state is not None]) + excluded == catchers
    assert {m.pipeline for m in MACHINES} == set(PIPELINES)
    print(f"{len(ROUTES)} routes: {catchers - excluded} failing Task routes ({excluded} not producible in moto), "
          f"{len(ROUTES) - catchers + excluded} scenario routes, over {len(MACHINES)} state machines")
