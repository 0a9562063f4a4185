"""The proof: abstract interpretation of a state machine's data flow.

Every state's input is the join of what each route into it carries (values.py), computed to a
fixed point (poll loops go round until nothing changes). Then every path each state reads is looked
up in that input; a path not present on every route is a problem, reported with one route that
lacks it. The semantics followed are those of "Input and output processing" (InputPath,
Parameters, ResultSelector, ResultPath, OutputPath), "Choice", "Map" (ItemReader, ItemBatcher,
ItemSelector, ResultWriter), "Parallel", "Error handling" (Catch: {Error, Cause}) and "Context
object" in the Step Functions Developer Guide.

What it does not know, and how that errs: routes are joined member by member (a proof never
relies on one member being there because another is absent: such a read is refused until guarded
on its own); a list's length is known only for literals, States.Array and Parallel results, so
States.ArrayGetItem's index is not checked; JSONata states are not analysed (anything flows on).
Everything else errs on the side of refusing."""

from __future__ import annotations

from collections import deque
from typing import Optional

from compiler.verify import aws
from compiler.verify.paths import Path, PathError, WILD, parse_expression, parse_path, show
from compiler.verify.values import (ABSENT, BOTTOM, MAYBE, OPEN, READABLE, SCALAR, UNKNOWN, YES, Arr, Obj, Tup, equal,
                                    join, known_members, literal, lookup, put, truncate)

#: After this many visits of one state, its input is widened (a loop nesting a value in itself).
WIDEN_AFTER = 25
COMPARISONS_WITH_PATH = ("StringEqualsPath", "StringLessThanPath", "StringGreaterThanPath", "StringLessThanEqualsPath",
                         "StringGreaterThanEqualsPath", "NumericEqualsPath", "NumericLessThanPath",
                         "NumericGreaterThanPath", "NumericLessThanEqualsPath", "NumericGreaterThanEqualsPath",
                         "BooleanEqualsPath", "TimestampEqualsPath", "TimestampLessThanPath", "TimestampGreaterThanPath",
                         "TimestampLessThanEqualsPath", "TimestampGreaterThanEqualsPath")
ERROR_OUTPUT = Obj({"Error": (YES, SCALAR), "Cause": (YES, SCALAR)})
#: One object of s3:listObjectsV2 as an ItemReader gives it ("ItemReader", Map state).
S3_OBJECT = Obj({name: (YES, SCALAR) for name in ("ETag", "Key", "LastModified", "Size", "StorageClass")})
#: A Map's result when a ResultWriter writes the children's results to S3 ("ResultWriter").
WRITTEN_RESULT = Obj({"MapRunArn": (YES, SCALAR),
                      "ResultWriterDetails": (YES, Obj({"Bucket": (YES, SCALAR), "Key": (YES, SCALAR)}))})


class Problem:
    """One unproven read (or a state-level problem: route ())."""

    __slots__ = ("state", "field", "path", "route", "detail")

    def __init__(self, state: str, field: str, path: str, route: tuple, detail: str):
        self.state = state  # "Map/Child" inside a Map or Parallel
        self.field = field  # "Parameters.Key.$", "Choices[0].Variable", "" for the state as a whole
        self.path = path
        self.route = route  # state names, the read state last; () when not a read
        self.detail = detail  # what the input has there / what is wrong

    def __eq__(self, other):
        return isinstance(other, Problem) and all(getattr(self, k) == getattr(other, k) for k in self.__slots__)

    def __hash__(self):
        return hash((self.state, self.field, self.path, self.route))

    def __repr__(self):
        return f"Problem({self.text()!r})"

    def text(self) -> str:
        if self.route:
            return (f"state '{self.state}': {self.field} reads {self.path}, missing on the route "
                    f"{' -> '.join(self.route)} ({self.detail})")
        return f"state '{self.state}': {self.detail}" if self.state else self.detail


def context_object(execution_input, task_token: bool = False, map_item=None):
    """The documented context object ("Context object", Step Functions Developer Guide)."""
    scalars = lambda *names: Obj({name: (YES, SCALAR) for name in names})  # noqa: E731
    execution = scalars("Id", "Name", "StartTime", "RoleArn", "RedriveCount")
    execution.members["Input"] = (YES, execution_input)
    members = {"Execution": (YES, execution), "State": (YES, scalars("Name", "EnteredTime", "RetryCount")),
               "StateMachine": (YES, scalars("Id", "Name"))}
    if task_token:
        members["Task"] = (YES, scalars("Token"))
    if map_item is not None:
        members["Map"] = (YES, Obj({"Item": (YES, Obj({"Index": (YES, SCALAR), "Value": (YES, map_item)}))}))
    return Obj(members)


class Reads:
    """Collects the reads a state makes that its input does not prove."""

    def __init__(self):
        self.failed: list = []  # (field, path text, detail)
        self.notes: list = []  # problems of the state as a whole

    def path(self, field: str, parsed: Path, data, context) -> object:
        value = data if parsed.root == "$" else context
        presence, found, depth = lookup(value, parsed.steps)
        if presence in READABLE:
            return found
        self.failed.append((field, parsed.text, _detail(parsed, value, presence, depth)))
        return UNKNOWN


class Silent(Reads):
    def path(self, field, parsed, data, context):
        presence, found, _ = lookup(data if parsed.root == "$" else context, parsed.steps)
        return found if presence in READABLE else UNKNOWN


SILENT = Silent()


def _detail(parsed: Path, value, presence: str, depth: int) -> str:
    parent = value
    for step in parsed.steps[:depth]:
        parent = lookup(parent, (step,))[1]
    where = show(parsed.root, parsed.steps[:depth])
    missing = show(parsed.root, parsed.steps[:depth + 1])
    if parsed.root == "$$" and parsed.steps[:1] == ("Map",):
        return "$$.Map is only inside a Map's children"
    step = parsed.steps[depth] if depth < len(parsed.steps) else None
    if presence == ABSENT:
        state = "is absent"
    elif isinstance(step, int):
        state = "may not exist: the list may be shorter"
    elif isinstance(parent, Obj) and step in parent.members:
        state = "may be absent (optional in a response, or missing on some route)"
    else:
        state = "is not guaranteed (no route puts it there: guard it with IsPresent)"
    return f"{missing} {state}; there {where} is {known_members(parent)}"


class Machine:
    """One StartAt/States graph: the state machine, a Parallel branch or a Map's item processor."""

    def __init__(self, spec: dict, prefix: str, strict: bool, map_item=None, execution_input=UNKNOWN):
        self.spec, self.prefix, self.strict = spec, prefix, strict
        self.states: dict = spec.get("States") if isinstance(spec.get("States"), dict) else {}
        self.start = spec.get("StartAt")
        self.map_item, self.execution_input = map_item, execution_input
        self.order = {name: index for index, name in enumerate(self.states)}
        self.contexts: dict = {}

    # -------------------------------------------------------------- the fixed point
    def run(self, entry, problems: Optional[list] = None):
        """The machine's output for `entry`; with `problems`, also every unproven read."""
        self.entry = entry
        self.edges: dict = {}  # (source, target) -> value
        self.preds: dict = {}  # target -> [sources]
        self.inputs: dict = {}
        self.visits: dict = {}
        output = BOTTOM
        if self.start not in self.states:
            return UNKNOWN
        self.inputs[self.start] = entry
        queue, queued = deque([self.start]), {self.start}
        outputs: dict = {}
        while queue:
            name = queue.popleft()
            queued.discard(name)
            successors, end = self.transfer(name, self.inputs[name], SILENT, None)
            outputs[name] = end
            for target, value in successors:
                if target not in self.states:
                    continue
                key = (name, target)
                old = self.edges.get(key)
                if old is not None and equal(old, value):
                    continue
                self.edges[key] = value if old is None else join(old, value)
                sources = self.preds.setdefault(target, [])
                if name not in sources:
                    sources.append(name)
                # Edges only grow (each is joined with what it carried before), so the input does too.
                previous = self.inputs.get(target)
                incoming = value if previous is None else join(previous, value)
                if previous is None or not equal(previous, incoming):
                    self.visits[target] = self.visits.get(target, 0) + 1
                    if self.visits[target] > WIDEN_AFTER:
                        incoming = truncate(incoming, 6)
                    self.inputs[target] = incoming
                    if target not in queued:
                        queue.append(target)
                        queued.add(target)
        for end in outputs.values():
            output = join(output, end)
        if problems is not None:
            self.check(problems)
        return UNKNOWN if output is BOTTOM else output

    # -------------------------------------------------------------- the proof
    def check(self, problems: list) -> None:
        for name, state in self.states.items():
            if name not in self.inputs:
                problems.append(Problem(self.prefix + name, "", "", (), "no route reaches this state"))
                continue
            reads = Reads()
            self.transfer(name, self.inputs[name], reads, problems)
            for note in dict.fromkeys(reads.notes):
                problems.append(Problem(self.prefix + name, "", "", (), note))
            seen = set()
            for field, path, detail in reads.failed:
                if (field, path) in seen:
                    continue
                seen.add((field, path))
                route, detail = self.route(name, field, path, detail)
                problems.append(Problem(self.prefix + name, field, path, route, detail))

    def route(self, name: str, field: str, path: str, detail: str) -> tuple:
        """One route into `name` on which the read fails, and what the input has there."""
        culprit, culprit_detail = None, detail
        for source in self.preds.get(name, ()):
            failed = self._fails(name, self.edges[(source, name)], field, path)
            if failed is not None:
                culprit, culprit_detail = source, failed
                break
        route = [name]
        try:
            steps = parse_path(path)[1] if path.startswith("$") and not path.startswith("$$") else None
        except PathError:
            steps = None
        current = culprit
        while current is not None and current not in route:
            route.insert(0, current)
            following = None
            if steps is not None and lookup(self.inputs[current], steps)[0] not in READABLE:
                for source in self.preds.get(current, ()):
                    if source not in route and lookup(self.edges[(source, current)], steps)[0] not in READABLE:
                        following = source
                        break
            if following is None:
                break
            current = following
        head = self._shortest(route[0])
        return tuple(self.prefix + n for n in head[:-1] + route), culprit_detail

    def _fails(self, name, value, field, path):
        reads = Reads()
        self.transfer(name, value, reads, [])
        return next((detail for f, p, detail in reads.failed if (f, p) == (field, path)), None)

    def _shortest(self, target: str) -> list:
        """The shortest route from StartAt to target."""
        previous = {self.start: None}
        queue = deque([self.start])
        while queue:
            name = queue.popleft()
            if name == target:
                break
            for successor in sorted(self._successors(name), key=lambda n: self.order.get(n, 0)):
                if successor not in previous and successor in self.states:
                    previous[successor] = name
                    queue.append(successor)
        route, name = [], target
        while name is not None:
            route.insert(0, name)
            name = previous.get(name)
        return route

    def _successors(self, name: str) -> list:
        return [target for source, target in self.edges if source == name]

    # -------------------------------------------------------------- one state
    def context(self, state: dict, map_item=None):
        resource = state.get("Resource", "")
        token = isinstance(resource, str) and resource.endswith(".waitForTaskToken")
        if map_item is not None:
            return context_object(self.execution_input, token, map_item)
        if token not in self.contexts:
            self.contexts[token] = context_object(self.execution_input, token, self.map_item)
        return self.contexts[token]

    def transfer(self, name: str, raw, reads: Reads, problems: Optional[list]) -> tuple:
        """([(next state, value it receives)], the machine's output if the state ends it)."""
        state = self.states[name]
        if not isinstance(state, dict):  # not a state: asl-validator says so; nothing flows from it
            return [], BOTTOM
        kind = state.get("Type")
        if state.get("QueryLanguage") == "JSONata" or self.spec.get("QueryLanguage") == "JSONata":
            return [(target, UNKNOWN) for target in _targets(state)], UNKNOWN  # JSONata is not analysed
        context = self.context(state)
        if kind == "Fail":
            for field in ("ErrorPath", "CausePath"):
                if isinstance(state.get(field), str):
                    self.expression(field, state[field], raw, context, reads)
            return [], BOTTOM
        if kind == "Choice":
            return self.choice(state, self.input_path(state, raw, context, reads), context, reads), BOTTOM
        effective = self.input_path(state, raw, context, reads)
        if kind in ("Wait", "Succeed"):
            for field in ("SecondsPath", "TimestampPath"):
                if isinstance(state.get(field), str):
                    self.expression(field, state[field], effective, context, reads)
            return self.leave(state, effective, context, reads)
        if kind == "Pass":
            parameters = self.template("Parameters", state, effective, context, reads)
            result = literal(state["Result"]) if "Result" in state else effective if parameters is None else parameters
        elif kind == "Task":
            result = self.task(name, state, effective, context, reads, problems)
        elif kind == "Parallel":
            branch_input = self.template("Parameters", state, effective, context, reads)
            branch_input = effective if branch_input is None else branch_input
            results = []
            for index, branch in enumerate(_list(state.get("Branches"))):
                child = Machine(_dict(branch), f"{self.prefix}{name}[{index}]/", self.strict, self.map_item, self.execution_input)
                results.append(child.run(branch_input, problems))
            result = Tup(tuple(results))
        elif kind == "Map":
            result = self.map(name, state, effective, context, reads, problems)
        else:
            return [(target, UNKNOWN) for target in _targets(state)], UNKNOWN
        selected = self.template("ResultSelector", state, result, context, reads)
        result = result if selected is None else selected
        combined = self.result_path(state.get("ResultPath", "$"), raw, result)
        successors, end = self.leave(state, combined, context, reads)
        for catch in _list(state.get("Catch")):
            if isinstance(catch, dict) and isinstance(catch.get("Next"), str):
                successors.append((catch["Next"], self.result_path(catch.get("ResultPath", "$"), raw, ERROR_OUTPUT)))
        return successors, end

    def leave(self, state: dict, value, context, reads: Reads) -> tuple:
        output = self.output_path(state, value, context, reads)
        if state.get("End") is True or state.get("Type") == "Succeed":
            return [], output
        return ([(state["Next"], output)] if isinstance(state.get("Next"), str) else []), BOTTOM

    def input_path(self, state, raw, context, reads):
        return self._select("InputPath", state, raw, context, reads)

    def output_path(self, state, value, context, reads):
        return self._select("OutputPath", state, value, context, reads)

    def _select(self, field, state, value, context, reads):
        if field not in state:
            return value
        if state[field] is None:
            return Obj({})
        return self.expression(field, state[field], value, context, reads)

    def result_path(self, path, raw, result):
        if path is None:
            return raw
        try:
            root, steps = parse_path(path)
        except (PathError, TypeError, AttributeError):
            return UNKNOWN
        return put(raw, steps, result) if root == "$" else UNKNOWN

    def expression(self, field: str, text, data, context, reads: Reads):
        """The value of a path or intrinsic function call (reads checked)."""
        if not isinstance(text, str):
            return UNKNOWN
        try:
            parsed = parse_expression(text)
        except PathError as error:
            reads.failed.append((field, text, f"not a valid path: {error}"))
            return UNKNOWN
        return self._evaluate(field, parsed, data, context, reads)

    def _evaluate(self, field, parsed, data, context, reads):
        if isinstance(parsed, Path):
            return reads.path(field, parsed, data, context)
        if not hasattr(parsed, "args"):  # a literal argument
            return SCALAR
        args = [self._evaluate(field, arg, data, context, reads) for arg in parsed.args]
        return _intrinsic_result(parsed.name, args)

    def template(self, field: str, state: dict, data, context, reads: Reads):
        """The value of a payload template (Parameters, ResultSelector, ItemSelector, ...), or None when absent."""
        if field not in state:
            return None
        return self._template(field, state[field], data, context, reads)

    def _template(self, where: str, value, data, context, reads):
        if not _dynamic(value):
            return _literal(value)
        if isinstance(value, dict):
            members = {}
            for key, item in value.items():
                if key.endswith(".$"):
                    members[key[:-2]] = (YES, self.expression(f"{where}.{key}", item, data, context, reads))
                else:
                    members[key] = (YES, self._template(f"{where}.{key}", item, data, context, reads))
            return Obj(members)
        if isinstance(value, list):
            return Tup(tuple(self._template(f"{where}[{i}]", item, data, context, reads) for i, item in enumerate(value)))
        return SCALAR

    # -------------------------------------------------------------- Task, Map, Choice
    def task(self, name, state, effective, context, reads, problems):
        if reads is not SILENT:  # the task's request only reads: nothing of it flows on
            self.template("Parameters", state, effective, context, reads)
            self.template("Credentials", state, effective, context, reads)
            for field in ("TimeoutSecondsPath", "HeartbeatSecondsPath"):
                if isinstance(state.get(field), str):
                    self.expression(field, state[field], effective, context, reads)
        resource = state.get("Resource")
        integration = aws.integration(resource)
        if integration is None or integration.endswith(".waitForTaskToken"):
            return UNKNOWN
        if not aws.known(integration):
            if self.strict:
                reads.notes.append(f"Resource {integration}: its response shape is not in compiler/verify/aws_shapes.json "
                                   "(add it to generate_shapes.INTEGRATIONS)")
            return UNKNOWN
        return aws.result(integration)

    def map(self, name, state, effective, context, reads, problems):
        for field in ("MaxConcurrencyPath", "ToleratedFailurePercentagePath", "ToleratedFailureCountPath"):
            if isinstance(state.get(field), str):
                self.expression(field, state[field], effective, context, reads)
        reader = state.get("ItemReader")
        if isinstance(reader, dict):
            self._template("ItemReader.Parameters", reader.get("Parameters", {}), effective, context, reads)
            config = _dict(reader.get("ReaderConfig"))
            if isinstance(config.get("MaxItemsPath"), str):
                self.expression("ItemReader.ReaderConfig.MaxItemsPath", config["MaxItemsPath"], effective, context, reads)
            item = S3_OBJECT if aws.integration(reader.get("Resource")) == "s3:listObjectsV2" else UNKNOWN
        else:
            items = self.expression("ItemsPath", state.get("ItemsPath", "$"), effective, context, reads)
            item = items.item if isinstance(items, Arr) else join_all(items.items) if isinstance(items, Tup) else UNKNOWN
        map_context = self.context(state, map_item=item)
        batcher = state.get("ItemBatcher")
        selector_field = "ItemSelector" if "ItemSelector" in state else "Parameters"
        child_input = self.template(selector_field, state, effective, map_context, reads)
        if isinstance(batcher, dict):
            for field in ("MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath"):
                if isinstance(batcher.get(field), str):
                    self.expression(f"ItemBatcher.{field}", batcher[field], effective, context, reads)
            batch = {"Items": (YES, Arr(item if child_input is None else child_input, nonempty=True))}
            if "BatchInput" in batcher:
                batch["BatchInput"] = (YES, self._template("ItemBatcher.BatchInput", batcher["BatchInput"], effective,
                                                           context, reads))
            child_input = Obj(batch)
        elif child_input is None:
            child_input = item
        processor = _dict(state.get("ItemProcessor") or state.get("Iterator"))
        distributed = _dict(processor.get("ProcessorConfig")).get("Mode") == "DISTRIBUTED"
        child = Machine(processor, f"{self.prefix}{name}/", self.strict, item,
                        child_input if distributed else self.execution_input)
        output = child.run(child_input, problems)
        writer = state.get("ResultWriter")
        if isinstance(writer, dict):
            self._template("ResultWriter.Parameters", writer.get("Parameters", {}), effective, context, reads)
            return WRITTEN_RESULT
        return Arr(output)

    def choice(self, state, effective, context, reads) -> list:
        successors = []
        remaining = effective  # the input when every earlier rule was false
        for index, rule in enumerate(_list(state.get("Choices"))):
            if remaining is BOTTOM:  # an earlier rule matches every input: this one is never evaluated
                break
            if not isinstance(rule, dict):
                continue
            self.rule_reads(f"Choices[{index}]", rule, remaining, context, reads)
            taken = narrow(remaining, rule, True)
            if taken is not BOTTOM and isinstance(rule.get("Next"), str):
                successors.append((rule["Next"], self.output_path(state, taken, context, reads)))
            remaining = narrow(remaining, rule, False)
        if isinstance(state.get("Default"), str):
            if remaining is not BOTTOM:
                successors.append((state["Default"], self.output_path(state, remaining, context, reads)))
        elif remaining is not BOTTOM:
            reads.notes.append("this Choice can match none of its rules and has no Default (States.NoChoiceMatched)")
        return successors

    def rule_reads(self, where, rule, value, context, reads):
        """The reads of a Choice rule. And/Or stop at the first operand that decides them, so each
        operand is read where the ones before it did not decide."""
        if not isinstance(rule, dict):
            return
        if "And" in rule or "Or" in rule:
            operator = "And" if "And" in rule else "Or"
            for index, operand in enumerate(_list(rule[operator])):
                if value is BOTTOM:  # the operands before decide on every input: this one is not evaluated
                    return
                self.rule_reads(f"{where}.{operator}[{index}]", operand, value, context, reads)
                value = narrow(value, operand, operator == "And")
            return
        if "Not" in rule:
            self.rule_reads(f"{where}.Not", rule["Not"], value, context, reads)
            return
        if "IsPresent" not in rule and isinstance(rule.get("Variable"), str):
            self.expression(f"{where}.Variable", rule["Variable"], value, context, reads)
        for operator in COMPARISONS_WITH_PATH:
            if isinstance(rule.get(operator), str):
                self.expression(f"{where}.{operator}", rule[operator], value, context, reads)


def narrow(value, rule, truth: bool):
    """The input of the route on which `rule` evaluates to `truth` (BOTTOM: no such route).
    IsPresent sets what it tests; any other comparison proves its Variable is there."""
    if value is BOTTOM or not isinstance(rule, dict):
        return value
    if "And" in rule or "Or" in rule:
        conjunctive = ("And" in rule) == truth  # And true / Or false: every operand has `truth`
        operands = _list(rule.get("And") if "And" in rule else rule.get("Or"))
        if conjunctive:
            for operand in operands or []:
                value = narrow(value, operand, truth)
            return value
        result, before = BOTTOM, value
        for operand in operands or []:
            result = join(result, narrow(before, operand, truth))
            before = narrow(before, operand, not truth)
        return result
    if "Not" in rule:
        return narrow(value, rule["Not"], not truth)
    variable = rule.get("Variable")
    if not isinstance(variable, str) or not variable.startswith("$") or variable.startswith("$$"):
        return value
    try:
        steps = parse_path(variable)[1]
    except PathError:
        return value
    if WILD in steps:
        return value
    presence, found, depth = lookup(value, steps)
    if "IsPresent" not in rule:  # any other test: it ran, so the Variable was there (its read is checked apart)
        return value if presence == ABSENT else put(value, steps, found if presence in READABLE else UNKNOWN, YES)
    if rule["IsPresent"] == truth:  # the path is there on this route
        if presence == ABSENT:
            return BOTTOM
        return put(value, steps, found if presence in READABLE else UNKNOWN, YES)
    if presence == YES:  # the path is not there on this route
        return BOTTOM
    if presence == OPEN or presence == MAYBE and depth == len(steps) - 1:
        return put(value, steps, UNKNOWN, ABSENT)
    return value


_DYNAMIC: dict = {}


def _dynamic(template) -> bool:
    """Whether a template has a `.$` member anywhere (else its value is a constant)."""
    if not isinstance(template, (dict, list)):
        return False
    key = id(template)
    found = _DYNAMIC.get(key)
    if found is None or found[0] is not template:
        items = template.items() if isinstance(template, dict) else enumerate(template)
        found = _DYNAMIC[key] = (template, any(isinstance(k, str) and k.endswith(".$") or _dynamic(v) for k, v in items))
    return found[1]


_LITERAL: dict = {}


def _literal(template):
    if not isinstance(template, (dict, list)):
        return SCALAR
    found = _LITERAL.get(id(template))
    if found is None or found[0] is not template:
        found = _LITERAL[id(template)] = (template, literal(template))
    return found[1]


def _targets(state: dict) -> list:
    targets = [state.get("Next"), state.get("Default")]
    targets += [rule.get("Next") for rule in _list(state.get("Choices")) if isinstance(rule, dict)]
    targets += [catch.get("Next") for catch in _list(state.get("Catch")) if isinstance(catch, dict)]
    return [target for target in targets if isinstance(target, str)]


def _list(value) -> list:
    """A list field of a definition asl-validator would refuse (anything else) reads as empty."""
    return value if isinstance(value, list) else []


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def join_all(values):
    result = BOTTOM
    for value in values:
        result = join(result, value)
    return UNKNOWN if result is BOTTOM else result


def _intrinsic_result(name: str, args: list):
    """What an intrinsic function returns ("Intrinsic functions", Step Functions Developer Guide)."""
    if name == "States.Array":
        return Tup(tuple(args))
    if name in ("States.StringSplit", "States.ArrayRange"):
        return Arr(SCALAR)
    if name in ("States.ArrayPartition", "States.ArrayUnique"):
        inner = args[0].item if args and isinstance(args[0], Arr) else UNKNOWN
        return Arr(Arr(inner)) if name == "States.ArrayPartition" else Arr(inner)
    if name == "States.ArrayGetItem":
        array = args[0] if args else UNKNOWN
        return array.item if isinstance(array, Arr) else join_all(array.items) if isinstance(array, Tup) else UNKNOWN
    if name == "States.JsonMerge":
        if len(args) >= 2 and isinstance(args[0], Obj) and isinstance(args[1], Obj):
            merged = dict(args[0].members)
            merged.update(args[1].members)
            rest = args[0].rest if args[0].rest == args[1].rest else MAYBE
            return Obj(merged, rest)
        return UNKNOWN
    if name == "States.StringToJson":
        return UNKNOWN
    return SCALAR
