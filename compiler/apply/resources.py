"""What apply changes in AWS for one model environment: read the current state, compare it with
OUT, and plan one Change per resource (see docs/apply.md).

Order matters and is fixed: task definitions (their ARNs go into the pointers), then the pointers
item (its conditional write is where an older commit loses), then the monitor's alarms and
dashboard (a deploy's rollback alarms and the drift rule's alarms must exist before the state
machines and rules that name them), state machines, EventBridge delivery on the new-data
triggers' buckets, trigger rules, stale rules, stale alarms (after
what named them was updated or removed), and last the on-commit retrain run. Every write is
idempotent, so a re-run after a failure part-way converges.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Callable, Optional

from compiler import aws_session as aws
from compiler import names
from compiler.apply import buckets, cloudwatch_changes, history, model_registry, plan_details
from compiler.apply.changes import Change, error_code, or_none, owned, tag_map
from compiler.apply.inputs import Commit
from compiler.artifacts.read import CompiledEnvironment
from compiler.errors import AwsError
from compiler.apply.history import History

#: Step Functions logging: errors only, without execution data (inputs may carry data locations).
LOG_LEVEL = "ERROR"
#: Every pipeline a model environment may have a state machine for (`<model>-<env>-<pipeline>`).
STATE_MACHINE_PIPELINES = ("retrain", "deploy", "batch", "drift")
#: The pointer attributes apply owns; the registry owns the others (approved_version, ...).
POINTER_ATTRIBUTES = ("images", "task_definitions", "state_machines", "settings", "commit", "commit_time",
                      "fingerprint", "package")


class Superseded(Exception):
    """A newer commit's pointers were written while this apply ran."""


@dataclasses.dataclass
class Planner:
    """Plans one compiled environment against the current state of its account."""

    clients: object
    environment: CompiledEnvironment
    images: Optional[dict]  # runtime -> digest URI; None: --images not given
    commit: Optional[Commit]
    history: History = History(Path("."))  # the checkout of the commit being applied
    registered: dict = dataclasses.field(default_factory=dict)  # task definition key -> ARN
    #: The applied commit git showed to be an ancestor of this one (the pointer write's condition).
    ancestor: Optional[str] = None
    #: The package this commit's build published (build.publish): a version registered from these
    #: pointers keeps it.
    package: Optional[dict] = None

    @property
    def target(self):
        return self.environment.target

    def plan(self) -> list[Change]:
        item = self._pointers_item()
        stale = self._older_commit(item)
        if stale:
            return [stale]
        changes = []
        if self.images is not None:
            changes += [self._task_definition(key, spec)
                        for key, spec in sorted(self.environment.pointers["task_definitions"].items())]
            changes.append(self._pointers(item))
        else:
            changes.append(Change("pointers", self._pointers_name, "skip",
                                  ("no --images: images, task definitions and pointers are left as they are",)))
        alarms = self._alarms()
        changes += self._monitor(alarms)
        group = model_registry.group_change(self.clients.sagemaker, self.target, self.environment.pointers)
        if group:
            changes.append(group)  # before the retrain state machine that registers versions in it
        changes += [self._state_machine(pipeline, definition)
                    for pipeline, definition in self.environment.definitions.items()]
        changes += self._stale_state_machines()
        rules = self.environment.triggers["rules"]
        changes += [buckets.eventbridge_change(self.clients.s3, bucket, self.target.account)
                    for bucket in buckets.data_buckets(rules)]
        changes += [self._rule(rule) for rule in rules]
        changes += self._stale_rules({(rule["EventBusName"], rule["Name"]) for rule in rules})
        wanted = {alarm["AlarmName"] for alarm in (self.environment.monitor or {}).get("alarms", [])}
        changes += cloudwatch_changes.stale_alarm_changes(self.clients.cloudwatch, alarms, wanted, self.target.model,
                                                          self.target.environment)
        run = self._run(item)
        if run:
            changes.append(run)
        if self.commit is not None:
            for change in changes:
                if change.pending and change.kind not in ("task definition", "pointers"):
                    change.write = self._guarded(change.write)
        return changes

    def _guarded(self, write: Callable[[], None]) -> Callable[[], None]:
        """A write that first checks no newer commit was applied meanwhile: the conditional pointer
        write protects the pointers; this keeps an older apply from putting back its state
        machines and rules after a newer one wrote its own."""
        def guarded():
            if self._older_commit(self._pointers_item()) is not None:
                raise Superseded(f"a newer commit was applied while this apply ran; "
                                 f"{self.commit.sha[:12]} changes nothing more here")
            write()
        return guarded

    # -- monitor.json: alarms and the dashboard ---------------------------------------------------
    def _alarms(self) -> dict:
        """The environment's alarms in AWS (all are named `<model>-<env>-...`, see compiler.names.alarm)."""
        return cloudwatch_changes.existing_alarms(self.clients.cloudwatch, self.target.name_prefix)

    def _monitor(self, existing: dict) -> list[Change]:
        monitor = self.environment.monitor or {}
        cloudwatch = self.clients.cloudwatch
        changes = [cloudwatch_changes.alarm_change(cloudwatch, alarm, existing.get(alarm["AlarmName"]))
                   for alarm in monitor.get("alarms", [])]
        dashboard = monitor.get("dashboard")
        name = dashboard["DashboardName"] if dashboard else names.dashboard(self.target.model, self.target.environment)
        change = cloudwatch_changes.dashboard_change(cloudwatch, name, dashboard)
        return changes + ([change] if change else [])

    # -- the pointers item ----------------------------------------------------------------------
    @property
    def _pointers_name(self) -> str:
        key = self.environment.pointers["key"]
        return f"{self.environment.pointers['table']} {key['pk']} {key['sk']}"

    def _key(self) -> dict:
        return {name: {"S": value} for name, value in self.environment.pointers["key"].items()}

    def _pointers_item(self) -> dict:
        response = self.clients.dynamodb.get_item(TableName=self.environment.pointers["table"], Key=self._key(),
                                                  ConsistentRead=True)
        return aws.from_dynamodb(response.get("Item", {}))

    def _older_commit(self, item: dict) -> Optional[Change]:
        """An apply of an older commit changes nothing: its state machines would be a step back too.

        Git history decides when it can: a commit whose history holds the applied one is newer
        whatever the dates say (a commit time can be set by anyone), and one in the history of the
        applied one is older. Otherwise (diverged, or git cannot tell) commit times decide."""
        if self.commit is None or "commit_time" not in item:
            return None
        applied = (int(item["commit_time"]), item["commit"])
        if applied == (self.commit.time, self.commit.sha):
            return None
        relation = self.history.relation(self.commit.sha, item["commit"])
        if relation == history.NEWER:
            self.ancestor = item["commit"]
            return None
        if relation != history.OLDER and applied[0] < self.commit.time:
            return None
        return Change("pointers", self._pointers_name, "kept", (self._kept_reason(relation, item),))

    def _kept_reason(self, relation: str, item: dict) -> str:
        ours, theirs = self.commit.sha[:12], item["commit"][:12]
        times = f"(commit time {item['commit_time']}, not older than {self.commit.time})"
        return {
            history.OLDER: f"{ours} is an ancestor of the applied commit {theirs}: it is older",
            history.DIVERGED: f"the applied commit {theirs} is not in the history of {ours}, and is newer by date {times}",
            history.UNKNOWN: f"git cannot tell whether the applied commit {theirs} is in the history of {ours} "
                             f"(no repository here, or a commit it lacks), and it is newer by date {times}",
        }[relation]

    def _desired_pointers(self) -> dict:
        pointers = self.environment.pointers
        desired = {
            "images": dict(self.images),
            "task_definitions": {key: self.registered.get(key, "(new revision)")
                                 for key in sorted(pointers["task_definitions"])},
            "state_machines": {pipeline: machine["arn"] for pipeline, machine in pointers["state_machines"].items()},
            "settings": pointers["settings"],
            "fingerprint": self.fingerprint,
        }
        if self.commit is not None:
            desired.update(commit=self.commit.sha, commit_time=self.commit.time)
        if self.package is not None:
            desired["package"] = self.package
        return desired

    @property
    def fingerprint(self) -> str:
        """What a retrain depends on: the config files read and the images built from this commit."""
        inputs = {"inputs": self.environment.manifest["inputs"], "images": self.images}
        return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()

    def _pointers(self, item: dict) -> Change:
        desired = self._desired_pointers()
        current = {name: item[name] for name in POINTER_ATTRIBUTES if name in item}
        if current == desired:
            return Change("pointers", self._pointers_name, "unchanged")
        return Change("pointers", self._pointers_name, "update" if item else "create",
                      plan_details.changes(current, desired) if item else (), self._write_pointers)

    def _write_pointers(self) -> None:
        from botocore.exceptions import ClientError

        desired = self._desired_pointers()
        names = {f"#{name}": name for name in desired}
        values = {f":{name}": value for name, value in desired.items()}
        request = dict(TableName=self.environment.pointers["table"], Key=self._key(),
                       UpdateExpression="SET " + ", ".join(f"#{name} = :{name}" for name in desired),
                       ExpressionAttributeNames=names)
        if self.commit is not None and self.ancestor is not None:
            # Newer by history: the pointers must still hold the ancestor that was read (or this commit).
            request["ConditionExpression"] = "#commit = :ancestor OR #commit = :commit"
            values[":ancestor"] = self.ancestor
        elif self.commit is not None:
            # Ordered by commit time; the same commit may be re-applied (convergence after a failure).
            request["ConditionExpression"] = ("attribute_not_exists(#commit_time) OR #commit_time < :commit_time "
                                              "OR (#commit_time = :commit_time AND #commit = :commit)")
        request["ExpressionAttributeValues"] = aws.to_dynamodb(values)
        try:
            self.clients.dynamodb.update_item(**request)
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                raise Superseded(f"a newer commit's pointers were written while this apply ran; "
                                 f"{self.commit.sha[:12]} leaves them and changes nothing more here") from None
            raise

    # -- ECS task definitions ---------------------------------------------------------------
    def _task_definition(self, key: str, spec: dict) -> Change:
        # A prebuilt image is in the compiled spec; a built one comes from this commit's images.json.
        desired = _task_definition(self.target, key, spec, spec.get("image") or self.images[spec["runtime"]])
        current = _describe_task_definition(self.clients.ecs, spec["family"])
        if current is not None and _task_definition_view(current) == _task_definition_view(desired):
            self.registered[key] = current["taskDefinitionArn"]
            return Change("task definition", spec["family"], "unchanged")

        def register():
            response = self.clients.ecs.register_task_definition(**desired)
            self.registered[key] = response["taskDefinition"]["taskDefinitionArn"]

        details = plan_details.changes(_task_definition_view(current), _task_definition_view(desired)) if current else ()
        return Change("task definition", spec["family"], "update" if current else "create", details, register)

    # -- state machines -----------------------------------------------------------------------
    def _state_machine(self, pipeline: str, definition: dict) -> Change:
        machine = self.environment.pointers["state_machines"][pipeline]
        target = self.target
        settings = {
            "definition": definition,
            "roleArn": target.pipeline_role,
            "loggingConfiguration": {"level": LOG_LEVEL, "includeExecutionData": False, "destinations": [
                {"cloudWatchLogsLogGroup": {"logGroupArn": _log_group_arn(target)}}]},
            "tracingConfiguration": {"enabled": True},
        }
        tags = dict(target.tags, **{"mlops:pipeline": pipeline})
        sfn = self.clients.stepfunctions
        current = _describe_state_machine(sfn, machine["arn"])
        text = json.dumps(definition, indent=2, ensure_ascii=False)
        if current is None:
            def create():
                sfn.create_state_machine(name=machine["name"], type="STANDARD", **dict(settings, definition=text),
                                         tags=[{"key": k, "value": v} for k, v in sorted(tags.items())])
            return Change("state machine", machine["name"], "create", (), create)
        current_tags = tag_map(sfn.list_tags_for_resource(resourceArn=machine["arn"])["tags"], "key", "value")
        shown = dict(current, tags=current_tags)
        wanted = dict(settings, tags=dict(current_tags, **tags))  # tags others added are left alone
        if shown == wanted:
            return Change("state machine", machine["name"], "unchanged")

        def update():
            if current != settings:
                sfn.update_state_machine(stateMachineArn=machine["arn"], **dict(settings, definition=text))
            if current_tags != wanted["tags"]:
                sfn.tag_resource(resourceArn=machine["arn"], tags=[{"key": k, "value": v} for k, v in sorted(tags.items())])
        return Change("state machine", machine["name"], "update", plan_details.changes(shown, wanted), update)

    def _stale_state_machines(self) -> list[Change]:
        """The state machines of pipelines OUT no longer has here (switched off with `enabled:
        false`, or removed from the config): deleted, when tagged as this model environment's.
        Deleting terminates running executions at their next state transition (Step Functions
        API reference, DeleteStateMachine), so a machine with a running execution is kept, and
        the next apply removes it. Their trigger rules and alarms go as stale ones."""
        sfn, target = self.clients.stepfunctions, self.target
        changes = []
        for pipeline in STATE_MACHINE_PIPELINES:
            if pipeline in self.environment.definitions:
                continue
            name = names.state_machine(target.model, target.environment, pipeline)
            arn = f"arn:{target.partition}:states:{target.region}:{target.account}:stateMachine:{name}"
            if _describe_state_machine(sfn, arn) is None:
                continue
            if not owned(tag_map(sfn.list_tags_for_resource(resourceArn=arn)["tags"], "key", "value"),
                         target.model, target.environment):
                continue
            running = sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING", maxResults=1)["executions"]
            if running:
                changes.append(Change("state machine", name, "skip", (
                    f"no longer in OUT, but {running[0]['name']} is running: deleting would stop it; "
                    "apply again once it has ended",)))
                continue
            changes.append(Change("state machine", name, "delete", (f"the {pipeline} pipeline is no longer in OUT",),
                                  lambda arn=arn: sfn.delete_state_machine(stateMachineArn=arn)))
        return changes

    # -- EventBridge rules --------------------------------------------------------------------
    def _rule(self, rule: dict) -> Change:
        events = self.clients.events
        fields = {key: value for key, value in rule.items() if key != "Targets"}
        targets = sorted(rule["Targets"], key=lambda t: t["Id"])
        tags = dict(self.target.tags)
        current = _describe_rule(events, rule["Name"], rule["EventBusName"])
        current_targets, current_tags = [], {}
        if current is not None:
            current_targets = sorted(events.list_targets_by_rule(Rule=rule["Name"], EventBusName=rule["EventBusName"])
                                     ["Targets"], key=lambda t: t["Id"])
            # AWS fills in fields we never set (e.g. RetryPolicy): compare the fields we set.
            sent = {key for target in targets for key in target}
            current_targets = [{k: v for k, v in target.items() if k in sent} for target in current_targets]
            current_tags = tag_map(events.list_tags_for_resource(ResourceARN=current["Arn"])["Tags"])
        shown = {"rule": _rule_view(current or {}), "targets": current_targets, "tags": current_tags}
        wanted = {"rule": _rule_view(fields), "targets": targets, "tags": dict(current_tags, **tags)}
        if current is not None and shown == wanted:
            return Change("rule", rule["Name"], "unchanged")

        def put():
            # Tags go with PutRule, so a rule never exists without them, even when apply is stopped
            # right after creating it. PutRule ignores the tags of an existing rule (EventBridge API
            # reference, PutRule): TagResource sets them there.
            tag_list = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
            arn = events.put_rule(**fields, Tags=tag_list)["RuleArn"]
            if current is not None and current_tags != wanted["tags"]:
                events.tag_resource(ResourceARN=arn, Tags=tag_list)
            _entries_applied(events.put_targets(Rule=rule["Name"], EventBusName=rule["EventBusName"], Targets=targets),
                             "PutTargets", rule["Name"])
            extra = sorted({t["Id"] for t in current_targets} - {t["Id"] for t in targets})
            if extra:
                _entries_applied(events.remove_targets(Rule=rule["Name"], EventBusName=rule["EventBusName"], Ids=extra),
                                 "RemoveTargets", rule["Name"])
        details = plan_details.changes(shown, wanted) if current is not None else ()
        return Change("rule", rule["Name"], "update" if current is not None else "create", details, put)

    def _stale_rules(self, wanted: set) -> list[Change]:
        """Rules of this model environment that OUT no longer has: removing a trigger stops it.
        Only rules tagged with this model and environment are touched (names alone could collide),
        and untagged leftovers (see `_leftover`)."""
        events = self.clients.events
        changes = []
        for bus in sorted({"default", self.target.event_bus}):
            for rule in _list_rules(events, self.target.name_prefix, bus):
                if (bus, rule["Name"]) in wanted:
                    continue
                tags = tag_map(events.list_tags_for_resource(ResourceARN=rule["Arn"])["Tags"])
                if owned(tags, self.target.model, self.target.environment):
                    why = "no longer in triggers.json"
                elif not tags and self._leftover(rule["Name"], bus):
                    why = "no longer in triggers.json; untagged, left by an apply stopped while creating it"
                else:
                    continue
                changes.append(Change("rule", rule["Name"], "delete", (why,), _deleter(events, rule["Name"], bus)))
        return changes

    def _leftover(self, name: str, bus: str) -> bool:
        """An untagged rule of this environment's name prefix is apply's own leftover when all its
        targets (none, if apply stopped before PutTargets) are this environment's state machines.
        Apply now tags a rule as it creates it; earlier versions did so in a second call."""
        target = self.target
        machines = f"arn:{target.partition}:states:{target.region}:{target.account}:stateMachine:{target.name_prefix}"
        targets = self.clients.events.list_targets_by_rule(Rule=name, EventBusName=bus)["Targets"]
        return all(entry["Arn"].startswith(machines) for entry in targets)

    # -- the on-commit retrain run -----------------------------------------------------------
    def _run(self, item: dict) -> Optional[Change]:
        machines = self.environment.pointers["state_machines"]
        if not self.environment.triggers.get("on_commit") or "retrain" not in machines:
            return None
        name = machines["retrain"]["name"]
        if self.commit is None or self.images is None:
            return Change("run", name, "skip", ("on_commit: a run starts only for a commit applied with its images "
                                                "(--images, --commit, --commit-time)",))
        if item.get("run_fingerprint") == self.fingerprint:
            return Change("run", name, "unchanged", ("the model's inputs and images are those of the last run",))
        execution = f"commit-{self.commit.sha[:12]}-{self.fingerprint[:12]}"

        def start():
            from botocore.exceptions import ClientError

            # Execution names are unique per state machine for 90 days: when a re-run after a failure
            # finds this name taken, the run was started by the attempt that failed afterwards.
            try:
                self.clients.stepfunctions.start_execution(
                    stateMachineArn=machines["retrain"]["arn"], name=execution,
                    input=json.dumps({"trigger": "commit", "commit": self.commit.sha}, sort_keys=True))
            except ClientError as error:
                if error_code(error) != "ExecutionAlreadyExists":
                    raise
            try:
                self.clients.dynamodb.update_item(
                    TableName=self.environment.pointers["table"], Key=self._key(),
                    UpdateExpression="SET #run = :run", ConditionExpression="#commit = :commit",
                    ExpressionAttributeNames={"#run": "run_fingerprint", "#commit": "commit"},
                    ExpressionAttributeValues={":run": {"S": self.fingerprint}, ":commit": {"S": self.commit.sha}})
            except ClientError as error:
                if error_code(error) == "ConditionalCheckFailedException":
                    raise Superseded("a newer commit was applied while this apply ran; "
                                     "its apply records its own retrain run") from None
                raise
        return Change("run", name, "start", (f"execution {execution}: the model's inputs or images changed",), start)


def _deleter(events, name: str, bus: str) -> Callable[[], None]:
    def delete():
        ids = [t["Id"] for t in events.list_targets_by_rule(Rule=name, EventBusName=bus)["Targets"]]
        if ids:
            _entries_applied(events.remove_targets(Rule=name, EventBusName=bus, Ids=ids), "RemoveTargets", name)
        events.delete_rule(Name=name, EventBusName=bus)
    return delete


def _entries_applied(response: dict, operation: str, rule: str) -> None:
    """PutTargets and RemoveTargets answer 200 even when they refuse entries: say so."""
    if response.get("FailedEntryCount"):
        failed = response["FailedEntries"][0]
        raise AwsError(f"{operation} on rule {rule} refused target {failed.get('TargetId')}: "
                       f"{failed.get('ErrorCode')}: {failed.get('ErrorMessage')}",
                       "see the AWS message; apply converges when run again")


def _task_definition(target, key: str, spec: dict, image: str) -> dict:
    container = {
        "name": "main", "image": image, "essential": True,
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": spec["log_group"], "awslogs-region": target.region, "awslogs-stream-prefix": key}},
    }
    if spec["secrets"]:
        container["secrets"] = [{"name": name, "valueFrom": source} for name, source in sorted(spec["secrets"].items())]
    tags = dict(target.tags, **{"mlops:pipeline": key.split("-", 1)[0]})
    return {"family": spec["family"], "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
            "cpu": str(spec["cpu"]), "memory": str(spec["memory"]),
            "taskRoleArn": target.task_role, "executionRoleArn": target.task_role,
            "containerDefinitions": [container],
            "tags": [{"key": k, "value": v} for k, v in sorted(tags.items())]}


def _task_definition_view(definition: Optional[dict]) -> dict:
    """The fields apply sets, as ECS returns them, for comparison."""
    if definition is None:
        return {}
    container = definition["containerDefinitions"][0]
    logging = container.get("logConfiguration") or {}
    view = {key: definition.get(key) for key in ("networkMode", "cpu", "memory", "taskRoleArn", "executionRoleArn")}
    view["requiresCompatibilities"] = sorted(definition.get("requiresCompatibilities") or [])
    # ECS returns defaults we never set (e.g. logConfiguration.secretOptions): compare what we set.
    view.update(container={key: container.get(key) for key in ("name", "image", "essential")},
                secrets=container.get("secrets", []),
                logging={"driver": logging.get("logDriver"), "options": logging.get("options", {})})
    return view


def _describe_task_definition(ecs, family: str) -> Optional[dict]:
    # ECS answers ClientException ("Unable to describe task definition") for a family never registered.
    return or_none(lambda: ecs.describe_task_definition(taskDefinition=family)["taskDefinition"],
                    "ClientException", "ResourceNotFoundException")


def _describe_state_machine(sfn, arn: str) -> Optional[dict]:
    current = or_none(lambda: sfn.describe_state_machine(stateMachineArn=arn), "StateMachineDoesNotExist")
    if current is None:
        return None
    return {"definition": json.loads(current["definition"]), "roleArn": current["roleArn"],
            "loggingConfiguration": current.get("loggingConfiguration"),
            "tracingConfiguration": current.get("tracingConfiguration", {"enabled": False})}


def _describe_rule(events, name: str, bus: str) -> Optional[dict]:
    return or_none(lambda: events.describe_rule(Name=name, EventBusName=bus), "ResourceNotFoundException")


def _rule_view(rule: dict) -> dict:
    view = {key: rule.get(key) for key in ("Name", "Description", "State", "ScheduleExpression", "EventBusName")}
    view["EventPattern"] = json.loads(rule["EventPattern"]) if rule.get("EventPattern") else None
    return view


def _list_rules(events, prefix: str, bus: str) -> list[dict]:
    rules, token = [], None
    while True:
        request = dict(NamePrefix=prefix, EventBusName=bus, **({"NextToken": token} if token else {}))
        response = or_none(lambda: events.list_rules(**request), "ResourceNotFoundException")
        if response is None:
            return rules  # the platform's bus does not exist yet: it has no rules to remove
        rules += response["Rules"]
        token = response.get("NextToken")
        if not token:
            return rules


def _log_group_arn(target) -> str:
    return f"arn:{target.partition}:logs:{target.region}:{target.account}:log-group:{target.log_group}:*"
