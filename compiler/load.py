"""Load YAML into plain data plus a map from each config path to where it was written.

The loader refuses what would make a config ambiguous or dangerous to read: duplicate keys,
several documents, alias expansions past a budget ("billion laughs"), very deep nesting and very
large files. It judges nothing about meaning; that is the job of `compiler.checks`.

libyaml's C parser reads the text when PyYAML has it (most of the load time of a monorepo goes
there otherwise); whatever it cannot read exactly as PyYAML's pure loader does, and every refusal,
goes through the pure loader, so data, marks and messages never depend on which one ran.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer

try:  # libyaml's C parser, when PyYAML was built with it (its wheels are)
    from yaml.cyaml import CParser
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    CParser = None

from compiler import files
from compiler.problems import ConfigError, Location

#: The rule id of every problem the loader reports (compiler.problems.ConfigError's default).
RULE = "load"
DESCRIPTION = "The file reads as one YAML map: UTF-8, no duplicate keys or tabs, within size and nesting limits"

MAX_FILE_BYTES = 1 << 20
MAX_DEPTH = 64
#: Values produced after expanding aliases; a real config has a few hundred.
MAX_VALUES = 100_000

Path_ = tuple  # a config path: keys (str) and list indexes (int)


@dataclasses.dataclass(frozen=True)
class Document:
    """One YAML file as data, with the location of every value and key in it."""

    file: str
    data: Any
    locations: dict[Path_, Location]
    text: bytes


class _TooDeep(yaml.MarkedYAMLError):
    """Valid YAML, but nested deeper than any config needs."""


class _LimitedComposer(Composer):
    """Refuses nesting deeper than MAX_DEPTH before PyYAML's recursion can blow the stack."""

    _depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _TooDeep(problem=f"nesting deeper than {MAX_DEPTH} levels",
                               problem_mark=self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _PureLoader(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, _LimitedComposer,
                  yaml.resolver.Resolver):
    """PyYAML's loader written in Python: always there, and the one whose words users see."""

    def __init__(self, stream):
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        _LimitedComposer.__init__(self)
        yaml.resolver.Resolver.__init__(self)


class _PyyamlWouldRefuse(yaml.YAMLError):
    """libyaml accepted what PyYAML refuses: the pure loader reads the file again and says why."""


if CParser is not None:
    class _LibyamlLoader(_LimitedComposer, CParser, yaml.resolver.Resolver):
        """libyaml's scanner and parser (C, several times faster) under the same composer: events
        carry the same marks, and the composer (depth limit, anchors) and the resolver stay in
        Python. The composer comes first in the MRO so that CParser's own C composer is not used.

        libyaml follows YAML 1.2 where PyYAML keeps 1.1 in a few places; the texts it may differ on
        never come here (see _libyaml_reads_like_pyyaml), and the one construct it reads
        differently inside a file (below) is handed back to the pure loader."""

        _flow_depth = 0

        def __init__(self, stream):
            CParser.__init__(self, stream)
            _LimitedComposer.__init__(self)
            yaml.resolver.Resolver.__init__(self)

        def compose_scalar_node(self, anchor):
            # PyYAML ends a plain scalar at `?` inside `[...]`/`{...}` (YAML 1.1), then refuses the
            # `?`; libyaml keeps it in the scalar (`[a?b]` -> "a?b").
            event = self.peek_event()
            if self._flow_depth and not event.style and "?" in event.value:  # plain: style ""
                raise _PyyamlWouldRefuse("`?` in a plain scalar inside a flow collection")
            return super().compose_scalar_node(anchor)

        def compose_sequence_node(self, anchor):
            return self._in_flow(super().compose_sequence_node, anchor)

        def compose_mapping_node(self, anchor):
            return self._in_flow(super().compose_mapping_node, anchor)

        def _in_flow(self, compose, anchor):
            flow = bool(self.peek_event().flow_style)
            self._flow_depth += flow
            try:
                return compose(anchor)
            finally:
                self._flow_depth -= flow
else:  # PyYAML built without libyaml: the pure loader does everything
    _LibyamlLoader = None

# Dates stay strings: a config never means a datetime, and JSON Schema cannot type one.
_IMPLICIT_RESOLVERS = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
for _loader in (_PureLoader, _LibyamlLoader):
    if _loader is not None:
        _loader.yaml_implicit_resolvers = _IMPLICIT_RESOLVERS

_MERGE_TAG = "tag:yaml.org,2002:merge"


def load_file(path: Path, display: str, what: str = "config") -> Document:
    """Read `path` (shown to users as `display`; `what` it is, for messages: "config", "platform
    file"), at most MAX_FILE_BYTES of a regular file (compiler.files); raise ConfigError with a
    location on failure."""
    try:
        raw = files.read_bytes_bounded(path, MAX_FILE_BYTES, what)
    except files.UnreadableFile as error:
        raise ConfigError(Location(display, 1, 1), error.problem, error.hint) from None
    return load_bytes(raw, display)


def load_bytes(raw: bytes, display: str) -> Document:
    text = _decode(raw, display)
    if not text.strip():
        raise ConfigError(Location(display, 1, 1), "file is empty", "start with `version: 1`")
    if _libyaml_reads_like_pyyaml(text):
        try:
            return _build(raw, display, _compose(text, display, _LibyamlLoader))
        except ConfigError:
            pass  # refused: the pure loader reads it again, so that what users see never depends on libyaml
    return _build(raw, display, _compose(text, display, _PureLoader))


def _libyaml_reads_like_pyyaml(text: str) -> bool:
    """Whether libyaml may read `text`. It accepts some tabs PyYAML refuses (`key:<tab>value`),
    and it places marks differently after a byte order mark inside the text or a Unicode line
    break (NEL, LS, PS), so such rare texts go to the pure loader. tests/checks/test_load_paths.py
    compares both loaders."""
    return _LibyamlLoader is not None and not _LIBYAML_DIFFERS.search(text)


_LIBYAML_DIFFERS = re.compile("[\t\ufeff\x85\u2028\u2029]")


def _compose(text: str, display: str, loader_class) -> yaml.MappingNode:
    """The file's one document as nodes (each with its marks); ConfigError for anything else."""
    try:
        loader = loader_class(text)
    except yaml.reader.ReaderError as exc:  # control characters: checked before any parsing
        raise ConfigError(_position_location(display, text, exc.position),
                          f"not valid YAML: character #x{exc.character:04x} is not allowed",
                          "remove the control character; YAML allows printable characters, tabs and newlines") from None
    try:
        root = loader.get_single_node()
    except _TooDeep as exc:
        raise ConfigError(_mark_location(display, exc.problem_mark), f"{exc.problem}; refused",
                          "a model config needs a few levels of nesting; is this the right file?") from None
    except yaml.composer.ComposerError as exc:
        # PyYAML: problem "but found another document", context "expected a single document in the stream"
        if "single document" in f"{exc.context} {exc.problem}":
            raise ConfigError(_mark_location(display, exc.problem_mark), "file holds more than one YAML document",
                              "keep one document: remove the extra `---` separators") from None
        raise _yaml_error(display, exc) from None
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(display, exc) from None
    except yaml.YAMLError as exc:  # reader errors (control characters) carry no problem_mark
        raise ConfigError(Location(display, 1, 1), f"not valid YAML: {exc}", "check the file's characters") from None
    finally:
        loader.dispose()
    if root is None:
        raise ConfigError(Location(display, 1, 1), "file holds no YAML content", "start with `version: 1`")
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(_mark_location(display, root.start_mark), "the top level must be a map of keys",
                          "start with `version: 1` at the beginning of a line")
    return root


def _build(raw: bytes, display: str, root: yaml.MappingNode) -> Document:
    builder = _Builder(display)
    data = builder.build(root, ())
    return Document(display, data, builder.locations, raw)


def _decode(raw: bytes, display: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(Location(display, line, col), f"file is not UTF-8 (byte 0x{raw[exc.start]:02x})",
                          "save the file as UTF-8") from None


def _position_location(display: str, text: str, position: int) -> Location:
    line_start = text.rfind("\n", 0, position) + 1
    return Location(display, text.count("\n", 0, position) + 1, position - line_start + 1)


def _mark_location(display: str, mark) -> Location:
    return Location(display, mark.line + 1, mark.column + 1)


def _yaml_error(display: str, exc: yaml.MarkedYAMLError) -> ConfigError:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or "not valid YAML"
    hint = "check indentation, quoting and the ':' after each key"
    if "'\\t'" in problem or "\t" in problem:
        problem = "tab character where YAML allows only spaces"
        hint = "indent with spaces; YAML forbids tabs for indentation"
    elif exc.context:
        problem = f"{problem} ({exc.context})"
    location = _mark_location(display, mark) if mark else Location(display, 1, 1)
    return ConfigError(location, f"not valid YAML: {problem}", hint)


class _Builder:
    """Turns composed nodes into dicts/lists/scalars, recording locations and counting values."""

    def __init__(self, display: str):
        self.display = display
        self.locations: dict[Path_, Location] = {}
        self.values = 0
        self.constructor = yaml.constructor.SafeConstructor()

    def build(self, node, path: Path_, key_node=None):
        self.values += 1
        if self.values > MAX_VALUES:
            raise ConfigError(_mark_location(self.display, node.start_mark),
                              f"file expands to more than {MAX_VALUES} values",
                              "anchors and aliases are expanded; do not nest aliases of aliases")
        if path not in self.locations:  # an alias or a merge repeats a path: the first place wins
            self.locations[path] = self._location(node, path, key_node)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (index,)) for index, item in enumerate(node.value)]
        try:
            return self.constructor.construct_object(node)
        except yaml.constructor.ConstructorError as exc:
            raise _yaml_error(self.display, exc) from None

    def _location(self, node, path: Path_, key_node) -> Location:
        mark = node.start_mark
        if key_node is None:
            return Location(self.display, mark.line + 1, mark.column + 1, path=path)
        key_mark = key_node.start_mark
        return Location(self.display, mark.line + 1, mark.column + 1, key_mark.line + 1, key_mark.column + 1, path)

    def _mapping(self, node, path: Path_) -> dict:
        result: dict = {}
        merge_nodes = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merge_nodes.append(value_node)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise ConfigError(_mark_location(self.display, key_node.start_mark),
                                  "a key must be a plain word, not a list or map", "write `key: value`")
            key = key_node.value
            if key in result:
                first = self.locations[path + (key,)]
                raise ConfigError(dataclasses.replace(_mark_location(self.display, key_node.start_mark),
                                                      path=path + (key,)),
                                  f"duplicate key '{key}' (first defined on line {first.key_line})",
                                  "YAML keeps only the last value; remove one of them")
            result[key] = self.build(value_node, path + (key,), key_node)
        # Merged keys come last so that locations of keys written here are recorded first.
        for merge_node in merge_nodes:
            for key, value in self._merge_source(merge_node, path).items():
                result.setdefault(key, value)
        return result

    def _merge_source(self, node, path: Path_) -> dict:
        """`<<: *anchor` or `<<: [*a, *b]`: earlier maps win, keys written here win over all."""
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict = {}
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise ConfigError(_mark_location(self.display, source.start_mark),
                                  "`<<` merges maps only", "point `<<` at an anchored map")
            for key, value in self._mapping(source, path).items():
                merged.setdefault(key, value)
        return merged
