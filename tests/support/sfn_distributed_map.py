"""A Distributed Map for moto's interpreter, fed as AWS feeds it (tests/execute/test_execute_batch.py).

moto 5.2.5's ASL grammar has no `ItemBatcher`, so it cannot parse a state machine with a
Distributed Map that batches (sfn_harness.py lets `apply` create it all the same). `install`
makes such a state machine run WHOLE in moto, the states around the Map included:

- When moto parses a definition (at create and at every execution start), each `Map` state whose
  `ItemProcessor.ProcessorConfig.Mode` is `DISTRIBUTED` is parsed as a Task of the resource
  `arn:aws:states:::mlops-harness:distributedMap`. The stored definition is not changed (what
  `describe_state_machine` returns is what `apply` wrote). The Task keeps the Map's `InputPath`,
  `ResultSelector`, `ResultPath`, `OutputPath`, `Retry`, `Catch`, `Next`/`End` and
  `TimeoutSeconds`, which mean the same on both; its Parameters are the Map's
  `ItemReader.Parameters`, `ItemBatcher.BatchInput` and `ResultWriter.Parameters`, so moto's own
  interpreter evaluates their `.$` fields (JSONPath, `$$` context, intrinsic functions) where AWS
  does: against the Map state's input, in the parent execution.
- The Task then does what the Distributed Map does, as the Step Functions developer guide
  describes it:
  * "ItemReader (Map)", `s3:listObjectsV2`: every object under the evaluated `Bucket`/`Prefix`
    (all pages), each item `{"Etag", "Key", "LastModified" (epoch seconds), "Size",
    "StorageClass"}`; a failed listing fails the Map with `States.ItemReaderFailed`.
  * "ItemBatcher (Map)": items cut into batches of `MaxItemsPerBatch`; each child execution's
    input is `{"Items": [...], "BatchInput": <the evaluated BatchInput>}`.
  * "Distributed Map state": each batch runs as a child execution of the `ItemProcessor` (a
    state machine of its own, so each child has its own `$$.Execution`: Id, Name, Input,
    StartTime); "Tolerated failure threshold for Distributed Map state": when the percentage of
    failed items ("failed or timed out items divided by the total number of items"; a failed batch
    fails all its items) exceeds `ToleratedFailurePercentage`, the Map fails with
    `States.ExceedToleratedFailureThreshold`. No further batch starts then (AWS "may continue to
    run child workflows" until the Map Run fails: the outcome is the same).
  * "ResultWriter (Map)": the children's results are written to
    `<Prefix>/<map run id>/SUCCEEDED_0.json` / `FAILED_0.json` and `manifest.json` in the
    evaluated `Bucket`, also when the Map Run fails; the Map's output is
    `{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}` (Key: the manifest); a failed write
    fails the Map with `States.ResultWriterFailed`.

Differences from AWS, each on purpose (the AWS page says otherwise):

- "Distributed Map state", MaxConcurrency: children run one after another, never at once, so a
  test's order is fixed. AWS runs up to `MaxConcurrency` at once and gives no order.
- The history of the parent shows the Map as TaskScheduled/TaskSucceeded|TaskFailed of the
  harness resource, not MapRunStarted/MapRunSucceeded; the child executions are executions of a
  state machine `<parent>--<Map state>` (AWS: `<parent>/<label>` under the Map Run).
- A child execution's name is a UUID derived from the parent execution and the batch index
  (AWS: a random UUID); `MapRunArn` is `...:mapRun:<parent>/<state name>:<uuid>`, the label being
  the state name (AWS: the `Label` field, or one it generates).
- What the harness does not implement is refused when the definition is parsed (never run
  differently): other ItemReader resources (`s3:getObject` with `ReaderConfig`),
  `ReaderConfig.MaxItems`, `MaxInputBytesPerBatch`, `ItemSelector`/`Parameters` of the Map,
  `ItemsPath`, `ToleratedFailureCount`, `*Path` variants of the limits, `ResultWriter.WriterConfig`.
- Results in SUCCEEDED_0.json / FAILED_0.json hold `ExecutionArn`, `Name`, `Input`, `Output`,
  `Status`, `StartDate`, `StopDate`, `StateMachineArn` (and `Error`/`Cause` when failed); AWS
  also writes `InputDetails`, `OutputDetails`, the redrive fields, and splits files at 5 GB.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

RESOURCE = "arn:aws:states:::mlops-harness:distributedMap"
SERVICE = "mlops-harness"
#: The Map's fields the harness runs; anything else in a Distributed Map is refused at parse time.
HANDLED = {"Type", "Comment", "ItemReader", "ItemBatcher", "MaxConcurrency", "ToleratedFailurePercentage",
           "ItemProcessor", "ResultWriter", "InputPath", "OutputPath", "ResultSelector", "ResultPath",
           "Retry", "Catch", "Next", "End", "TimeoutSeconds", "Label"}
#: Fields a Task means the same way as the Map: copied onto the harness Task as they are.
KEPT = ("Comment", "InputPath", "OutputPath", "ResultSelector", "ResultPath", "Retry", "Catch", "Next", "End",
        "TimeoutSeconds")


class Unsupported(Exception):
    """A Distributed Map feature this harness does not run (refused rather than run differently)."""


def _is_distributed(state: dict) -> bool:
    return (state.get("Type") == "Map"
            and state.get("ItemProcessor", {}).get("ProcessorConfig", {}).get("Mode") == "DISTRIBUTED")


def as_harness_task(name: str, state: dict) -> dict:
    """The Task moto parses in place of a Distributed Map state (see the module docstring)."""
    extra = sorted(set(state) - HANDLED)
    reader, batcher, writer = state.get("ItemReader", {}), state.get("ItemBatcher", {}), state.get("ResultWriter")
    if extra:
        raise Unsupported(f"Map {name!r}: {', '.join(extra)}")
    if not reader.get("Resource", "").endswith(":states:::s3:listObjectsV2") or "ReaderConfig" in reader:
        raise Unsupported(f"Map {name!r}: ItemReader {reader.get('Resource')} with {sorted(reader)}")
    if set(batcher) - {"MaxItemsPerBatch", "BatchInput"} or "MaxItemsPerBatch" not in batcher:
        raise Unsupported(f"Map {name!r}: ItemBatcher {sorted(batcher)}")
    if writer is not None and (set(writer) - {"Resource", "Parameters"}
                               or not writer["Resource"].endswith(":states:::s3:putObject")):
        raise Unsupported(f"Map {name!r}: ResultWriter {sorted(writer)}")
    processor = {k: v for k, v in state["ItemProcessor"].items() if k != "ProcessorConfig"}
    parameters = {
        "State": name,
        "Processor": json.dumps(processor),  # a string: its `.$` fields belong to the children
        "MaxItemsPerBatch": batcher["MaxItemsPerBatch"],
        "ToleratedFailurePercentage": state.get("ToleratedFailurePercentage", 0),
        "ItemReader": reader.get("Parameters", {}),
        "Execution.$": "$$.Execution.Id",
        "StateMachine.$": "$$.StateMachine.Id",
    }
    if "BatchInput" in batcher:
        parameters["BatchInput"] = batcher["BatchInput"]
    if writer is not None:
        parameters["ResultWriter"] = writer.get("Parameters", {})
    task = {"Type": "Task", "Resource": RESOURCE, "Parameters": parameters}
    task.update({key: state[key] for key in KEPT if key in state})
    return task


def parseable(definition: str) -> str:
    """The definition as moto is given it to parse: each Distributed Map state (at any depth of
    Parallel branches and inline Map processors) as its harness Task."""
    try:
        document = json.loads(definition)
    except ValueError:
        return definition
    if not isinstance(document, dict) or not _rewrite(document):
        return definition
    return json.dumps(document)


def _rewrite(machine: dict) -> bool:
    changed = False
    for name, state in list(machine.get("States", {}).items()):
        if not isinstance(state, dict):
            continue
        if _is_distributed(state):
            machine["States"][name] = as_harness_task(name, state)
            changed = True
            continue
        for inner in state.get("Branches", []) + [state.get("ItemProcessor") or state.get("Iterator") or {}]:
            changed = _rewrite(inner) or changed
    return changed


# ----------------------------------------------------------------------------- the Map run


class MapRun:
    """One execution of a Distributed Map state, with moto's clients of the test's account."""

    def __init__(self, session, parameters: dict):
        self.session = session
        self.parameters = parameters
        self.sfn = session.client("stepfunctions")
        self.s3 = session.client("s3")
        execution = parameters["Execution"]
        parent_machine = parameters["StateMachine"]
        self.region, self.account = parent_machine.split(":")[3:5]
        self.parent_name = parent_machine.rsplit(":", 1)[-1]
        self.state = parameters["State"]
        self.id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{execution}/{self.state}"))
        self.arn = f"arn:aws:states:{self.region}:{self.account}:mapRun:{self.parent_name}/{self.state}:{self.id}"
        self.parent_execution = execution

    def items(self) -> list[dict]:
        """ItemReader (Map), s3:listObjectsV2: every object of every page."""
        found = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(**self.parameters["ItemReader"]):
            found += [{"Etag": o["ETag"], "Key": o["Key"], "LastModified": int(o["LastModified"].timestamp()),
                       "Size": o["Size"], "StorageClass": o["StorageClass"]} for o in page.get("Contents", [])]
        return found

    def batches(self, items: list[dict]) -> list[dict]:
        """ItemBatcher (Map): MaxItemsPerBatch items per child, with the BatchInput."""
        size = self.parameters["MaxItemsPerBatch"]
        batches = []
        for start in range(0, len(items), size):
            batch = {"Items": items[start:start + size]}
            if "BatchInput" in self.parameters:
                batch["BatchInput"] = self.parameters["BatchInput"]
            batches.append(batch)
        return batches

    def processor_machine(self) -> str:
        """The ItemProcessor as a state machine of its own (created once per parent and state)."""
        from sfn_harness import ACCOUNT

        name = f"{self.parent_name}--{self.state}".replace(" ", "-")[:80]
        arn = f"arn:aws:states:{self.region}:{self.account}:stateMachine:{name}"
        try:
            self.sfn.describe_state_machine(stateMachineArn=arn)
        except self.sfn.exceptions.StateMachineDoesNotExist:
            role = self.sfn.describe_state_machine(
                stateMachineArn=f"arn:aws:states:{self.region}:{self.account}:stateMachine:{self.parent_name}"
            ).get("roleArn", f"arn:aws:iam::{ACCOUNT}:role/harness")
            self.sfn.create_state_machine(name=name, definition=self.parameters["Processor"], roleArn=role)
        return arn

    def run(self) -> tuple[dict, Any]:
        """Runs the children; returns (output, failure) where failure is (error, cause) or None."""
        from sfn_harness import wait_for

        try:
            items = self.items()
        except Exception as error:  # noqa: BLE001 - any failed listing is the Map's ItemReader failure
            return {}, ("States.ItemReaderFailed", str(error))
        machine = self.processor_machine()
        results, failed_items, failure = [], 0, None
        for index, batch in enumerate(self.batches(items)):
            name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.parent_execution}/{self.state}/{index}"))
            started = self.sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps(batch))
            child = wait_for(self.sfn, started["executionArn"], timeout=60)
            results.append(self._result(machine, child, batch))
            if child.status != "SUCCEEDED":
                failed_items += len(batch["Items"])
                tolerated = float(self.parameters["ToleratedFailurePercentage"])
                if items and failed_items * 100.0 / len(items) > tolerated:
                    failure = ("States.ExceedToleratedFailureThreshold",
                               f"The specified tolerated failure threshold was exceeded: "
                               f"{failed_items} of {len(items)} items failed (tolerated {tolerated}%)")
                    break
        output = {"MapRunArn": self.arn}
        if "ResultWriter" in self.parameters:
            try:
                output["ResultWriterDetails"] = self.write(results)
            except Exception as error:  # noqa: BLE001 - any failed write is the Map's ResultWriter failure
                return {}, ("States.ResultWriterFailed", str(error))
        else:
            output = [json.loads(r["Output"]) if r.get("Output") else None for r in results]
        return output, failure

    def _result(self, machine: str, child, batch: dict) -> dict:
        described = self.sfn.describe_execution(executionArn=child.arn)
        result = {"ExecutionArn": child.arn, "Name": child.name, "Input": json.dumps(batch),
                  "Status": child.status, "StateMachineArn": machine,
                  "StartDate": described["startDate"].isoformat(), "StopDate": described["stopDate"].isoformat()}
        if child.status == "SUCCEEDED":
            result["Output"] = described.get("output", "null")
        else:
            result.update(Error=child.error or "", Cause=child.cause or "")
        return result

    def write(self, results: list[dict]) -> dict:
        """ResultWriter (Map): SUCCEEDED_0.json / FAILED_0.json and the manifest; the details."""
        bucket = self.parameters["ResultWriter"]["Bucket"]
        prefix = self.parameters["ResultWriter"].get("Prefix", "")
        base = f"{prefix.rstrip('/')}/{self.id}/" if prefix else f"{self.id}/"
        files: dict = {"FAILED": [], "PENDING": [], "SUCCEEDED": []}
        for status in ("SUCCEEDED", "FAILED"):
            chosen = [r for r in results if (r["Status"] == "SUCCEEDED") == (status == "SUCCEEDED")]
            if chosen:
                body = json.dumps(chosen).encode()
                key = f"{base}{status}_0.json"
                self.s3.put_object(Bucket=bucket, Key=key, Body=body)
                files[status].append({"Key": key, "Size": len(body)})
        manifest = {"DestinationBucket": bucket, "MapRunArn": self.arn, "ResultFiles": files}
        self.s3.put_object(Bucket=bucket, Key=f"{base}manifest.json", Body=json.dumps(manifest).encode())
        return {"Bucket": bucket, "Key": f"{base}manifest.json"}


# ----------------------------------------------------------------------------- installing it


def install(monkeypatch, session) -> list[MapRun]:
    """Makes moto run Distributed Maps as above; returns the Map runs, in order, for assertions."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
        StateTaskService)
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    runs: list[MapRun] = []
    original_parse = AmazonStateLanguageParser.parse

    def parse(definition: str):
        return original_parse(parseable(definition))

    monkeypatch.setattr(AmazonStateLanguageParser, "parse", staticmethod(parse))

    class _DistributedMap(StateTaskService):
        def _get_supported_parameters(self):
            return set()

        def _eval_service_task(self, env, resource_runtime_part, normalised_parameters, state_credentials):
            run = MapRun(session, normalised_parameters)
            runs.append(run)
            output, failure = run.run()
            if failure:
                raise _failure(env, *failure)
            env.stack.append(output)

    current = state_task_factory.state_task_service_for

    def state_task_service_for(service_name: str):
        return _DistributedMap() if service_name == SERVICE else current(service_name)

    monkeypatch.setattr(state_task_factory, "state_task_service_for", state_task_service_for)
    return runs


def _failure(env, error: str, cause: str):
    """The Map state's failure, with the States.* error AWS names for it."""
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent, FailureEventException)
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType)
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    typ = {"States.ExceedToleratedFailureThreshold": StatesErrorNameType.StatesExceedToleratedFailureThreshold,
           "States.ItemReaderFailed": StatesErrorNameType.StatesItemReaderFailed,
           "States.ResultWriterFailed": StatesErrorNameType.StatesResultWriterFailed}[error]
    return FailureEventException(FailureEvent(
        env=env, error_name=StatesErrorName(typ=typ), event_type=HistoryEventType.TaskFailed,
        event_details=EventDetails(taskFailedEventDetails=TaskFailedEventDetails(
            error=error, cause=cause, resource=RESOURCE, resourceType=SERVICE))))
