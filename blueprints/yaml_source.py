"""Safe YAML reading that remembers where every value came from.

PyYAML's safe loader throws positions away once it builds Python objects, and it silently keeps the
last of two duplicate keys. We compose the node graph ourselves so every value keeps its line and
column, duplicate keys and custom tags become errors, and alias bombs cannot blow up memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from blueprints.errors import BlueprintInvalid, Problem

MAX_BLUEPRINT_BYTES = 1024 * 1024
# Aliases let a few lines expand to billions of nodes ("billion laughs"); no real blueprint nears this.
MAX_NODES = 200_000
# Blueprints nest about ten levels; far deeper nesting is a mistake, and would exhaust Python's stack.
MAX_DEPTH = 100

# Explicit tags a blueprint may carry; anything else (e.g. !!python/object) is refused, not constructed.
_STANDARD_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
)

# A path into the document: mapping keys and sequence indexes.
Path_ = tuple[str | int, ...]

_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class SourceDocument:
    """A parsed YAML file: plain Python data plus the position of every path in it."""

    file: str
    data: Any
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: Path_) -> tuple[int, int]:
        """Line and column of `path`, or of its nearest ancestor that exists in the file."""
        probe = tuple(path)
        while probe:
            if probe in self.positions:
                return self.positions[probe]
            probe = probe[:-1]
        return self.positions.get((), (1, 1))

    def problem(self, path: Path_, display_path: str, message: str) -> Problem:
        line, column = self.position(path)
        return Problem(self.file, line, column, display_path, message)


class _Composer:
    def __init__(self, file: str, loader: yaml.SafeLoader) -> None:
        self.file = file
        self.loader = loader
        self.positions: dict[Path_, tuple[int, int]] = {}
        self.problems: list[Problem] = []
        self.nodes_seen = 0
        # The collections being built, innermost last: an alias to one of them would contain itself.
        self.open: set[int] = set()

    def _at(self, node: yaml.Node) -> tuple[int, int]:
        return node.start_mark.line + 1, node.start_mark.column + 1

    def _problem(self, node: yaml.Node, path: Path_, message: str) -> None:
        line, column = self._at(node)
        self.problems.append(Problem(self.file, line, column, dotted(path), message))

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.nodes_seen += 1
        if self.nodes_seen > MAX_NODES:
            raise _TooLarge(node)
        if len(path) > MAX_DEPTH:
            raise _TooDeep(node)
        if node.tag not in _STANDARD_TAGS:
            self._problem(node, path, f"custom YAML tag {node.tag!r} is not allowed")
            return None
        if not isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            return self.loader.construct_object(node, deep=True)
        if id(node) in self.open:
            self._problem(
                node, path, "this alias refers to a value that contains it; YAML values cannot contain themselves"
            )
            return None
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            result = []
            for index, item in enumerate(node.value):
                self.positions[(*path, index)] = self._at(item)
                result.append(self.build(item, (*path, index)))
            return result
        finally:
            self.open.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self._problem(key_node, path, "YAML merge keys ('<<') are not supported; write the fields out")
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self._problem(key_node, path, "mapping keys must be plain strings")
                continue
            key = str(self.loader.construct_object(key_node))
            child = (*path, key)
            if key in first_seen:
                self._problem(key_node, child, f"duplicate key {key!r} (first defined on line {first_seen[key]})")
                continue
            first_seen[key] = key_node.start_mark.line + 1
            self.positions[child] = self._at(key_node)
            result[key] = self.build(value_node, child)
        return result


class _TooLarge(Exception):
    def __init__(self, node: yaml.Node) -> None:
        self.node = node


class _TooDeep(_TooLarge):
    pass


def dotted(path: Path_) -> str:
    """Render a document path as `a.b[0].c`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def read_yaml(path: Path) -> SourceDocument:
    """Read `path` as one YAML document of plain data; raise BlueprintInvalid with every problem."""
    file = str(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise BlueprintInvalid([Problem(file, 1, 1, "", f"cannot read file: {error.strerror}")]) from None
    if len(raw) > MAX_BLUEPRINT_BYTES:
        message = f"file is {len(raw)} bytes; blueprints are limited to {MAX_BLUEPRINT_BYTES} bytes"
        raise BlueprintInvalid([Problem(file, 1, 1, "", message)])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BlueprintInvalid([Problem(file, 1, 1, "", f"file is not UTF-8: {error.reason}")]) from None
    return parse_yaml(text, file)


def parse_yaml(text: str, file: str) -> SourceDocument:
    """Parse YAML text; `file` names it in problems."""
    loader = _SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise BlueprintInvalid([Problem(file, 1, 1, "", "the file is empty; a blueprint is a mapping")])
        composer = _Composer(file, loader)
        composer.positions[()] = (root.start_mark.line + 1, root.start_mark.column + 1)
        data = composer.build(root, ())
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = f"YAML syntax error: {error.problem or error.context}"
        raise BlueprintInvalid([Problem(file, line, column, "", message)]) from None
    except _TooDeep as too_deep:
        line = too_deep.node.start_mark.line + 1
        message = f"values nest more than {MAX_DEPTH} levels deep"
        raise BlueprintInvalid([Problem(file, line, 1, "", message)]) from None
    except _TooLarge as too_large:
        line = too_large.node.start_mark.line + 1
        message = f"document expands to more than {MAX_NODES} values (aliases?)"
        raise BlueprintInvalid([Problem(file, line, 1, "", message)]) from None
    finally:
        loader.dispose()
    if composer.problems:
        raise BlueprintInvalid(composer.problems)
    if not isinstance(data, dict):
        raise BlueprintInvalid([Problem(file, 1, 1, "", "a blueprint must be a YAML mapping at the top level")])
    return SourceDocument(file, data, composer.positions)
