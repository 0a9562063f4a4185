"""Two sides' compiled files -> the list of Changes, in reading order. Pure.

A side is `{"<model>/<env>": {file name: parsed content}}`. Models and environments only one side
has are reported as added or removed (not file by file); a removal carries what was removed (a
model: `{environment: {file: content}}`, an environment: `{file: content}`, a file: its content)
for the risk rules to read; state machines are compared by `states`;
every other file (buildspec.yml, pointers.json, triggers.json, iam.json, and any file a later
mlopsc writes) by its structure (`fields`). Of manifest.json only what the other files do not
already say is compared: not the sha256 lines, but the compiler version, the target, the inputs.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterator, Mapping

from compiler.diff import fields, states
from compiler.diff.change import Change, file_rank, pipeline_of, sort_key
from compiler.artifacts.format import MANIFEST

Side = Mapping[str, Mapping[str, Any]]


def changes(base: Side, head: Side) -> list:
    """Every Change from BASE to HEAD, sorted by `change.sort_key`."""
    old_models, new_models = _by_model(base), _by_model(head)
    found = []
    for model in sorted(set(old_models) | set(new_models)):
        if model not in old_models:
            found.append(Change("model-added", model=model, new=sorted(new_models[model])))
        elif model not in new_models:
            found.append(Change("model-removed", model=model, old=dict(sorted(old_models[model].items()))))
        else:
            found.extend(_model(model, old_models[model], new_models[model]))
    return sorted(found, key=sort_key)


def _by_model(side: Side) -> dict:
    models: dict = {}
    for key, files in side.items():
        model, _, environment = key.partition("/")
        models.setdefault(model, {})[environment] = files
    return models


def _model(model: str, old: dict, new: dict) -> Iterator[Change]:
    for environment in sorted(set(old) | set(new)):
        where = {"model": model, "environment": environment}
        if environment not in old:
            yield Change("environment-added", **where)
        elif environment not in new:
            yield Change("environment-removed", old=old[environment], **where)
        else:
            yield from _environment(old[environment], new[environment], where)


def _environment(old: Mapping, new: Mapping, where: dict) -> Iterator[Change]:
    for name in sorted(set(old) | set(new), key=file_rank):
        at = {**where, "file": name}
        if name not in old:
            yield Change("file-added", **at)
        elif name not in new:
            yield Change("file-removed", old=old[name], **at)
        else:
            for change in _file(name, old[name], new[name]):
                yield dataclasses.replace(change, **at)


def _file(name: str, old: Any, new: Any) -> Iterator[Change]:
    if pipeline_of(name):
        return states.changes(old, new)
    if name == MANIFEST:
        old, new = _manifest_view(old), _manifest_view(new)
    return (Change.of("field", before, after, path=path, context=within)
            for path, before, after, within in fields.differences_within(old, new))


def _manifest_view(manifest: Any) -> Any:
    """A manifest without what restates the other files: its outputs' and inputs' sha256."""
    if not isinstance(manifest, dict):
        return manifest
    view = {key: value for key, value in manifest.items() if key != "outputs"}
    if isinstance(view.get("inputs"), list):
        view["inputs"] = [entry.get("path") if isinstance(entry, dict) else entry for entry in view["inputs"]]
    return view
