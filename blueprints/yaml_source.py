"""Safe YAML reading that remembers where every value came from.

PyYAML's safe loader throws positions away once it builds Python objects, and it silently keeps the
last of two duplicate keys. We compose the node graph ourselves so every value keeps its line and
column, duplicate keys and custom tags become errors, and alias bombs cannot blow up memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mlstack.blueprints.errors import BlueprintInvalid, Problem

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

# What YAML 1.1 lets a stream hold (PyYAML's Reader.NON_PRINTABLE): tab, line breaks and printable
# characters. Anything else, raw in the file (not escaped as "\x00" in a double-quoted string), is refused.
_NOT_ALLOWED = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# YAML's line breaks (PyYAML and libyaml count lines by them): CRLF, CR, LF, NEL, LS, PS.
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
# A file full of bad bytes or characters (a binary) is a few lines of report, not thousands.
MAX_CHARACTER_PROBLEMS = 10
_CONTROL_NAMES = (
    *("NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR", "SO", "SI"),
    *("DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US"),
)


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
            return self._scalar(node, path)
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

    def _scalar(self, node: yaml.Node, path: Path_) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except ValueError:
            # Python refuses to convert integers of over 4,300 digits (sys.get_int_max_str_digits);
            # a timestamp with an impossible date fails the same way.
            shown = str(node.value)
            what = f"a {len(shown)}-character number" if len(shown) > 40 else repr(shown)
            self._problem(node, path, f"{what} cannot be read as a {node.tag.rsplit(':', 1)[-1]}")
            return None

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
            key = str(self._scalar(key_node, path))
            child = (*path, key)
            if key in first_seen:
                self._problem(key_node, child, f"duplicate key {key!r} (first defined on line {first_seen[key]})")
                continue
            first_seen[key] = key_node.start_mark.line + 1
            self.positions[child] = self._at(key_node)
            result[key] = self.build(value_node, child)
        return result


class _TooLarge(Exception):
    def __init__(self, node: yaml.Node | yaml.Event) -> None:
        mark = node.start_mark
        self.line = mark.line + 1 if mark else 1


class _TooDeep(_TooLarge):
    pass


def _check_nesting(text: str) -> None:
    """Raise _TooDeep at the first collection nested past MAX_DEPTH, reading only the flat event stream.

    libyaml composes nodes by recursion in C: nesting of some 100,000 levels overflows the C stack,
    a segfault that no `except` catches, before _Composer ever sees the nodes. The parser itself keeps
    an explicit stack, so the events can be counted safely first. (_Composer still bounds the depth
    that aliases add.)
    """
    loader = _SafeLoader(text)
    depth = 0
    try:
        while loader.check_event():
            event = loader.get_event()  # type: ignore[no-untyped-call]
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                # The root collection is depth 1 here and path () in _Composer, which allows MAX_DEPTH keys.
                if depth > MAX_DEPTH + 1:
                    raise _TooDeep(event)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    finally:
        loader.dispose()


def dotted(path: Path_) -> str:
    """Render a document path as `a.b[0].c`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def read_yaml(path: Path) -> SourceDocument:
    """Read `path` as one YAML document of plain data; raise BlueprintInvalid with every problem."""
    return parse_yaml(read_text(path), str(path))


def read_text(path: Path, what: str = "file", kind: str = "blueprints") -> str:
    """The UTF-8 text of `path`, at most MAX_BLUEPRINT_BYTES; raise BlueprintInvalid naming where it is not.

    `what` names the file in the messages ("file", "price file"), `kind` its kind ("price files").
    A file that cannot be read (missing, a directory, no permission) is one problem at 1:1; each
    invalid UTF-8 sequence is one at its line and column.
    """
    file = str(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise BlueprintInvalid([Problem(file, 1, 1, "", f"cannot read {what}: {reason}")]) from None
    if len(raw) > MAX_BLUEPRINT_BYTES:
        message = f"{what} is {len(raw)} bytes; {kind} are limited to {MAX_BLUEPRINT_BYTES} bytes"
        raise BlueprintInvalid([Problem(file, 1, 1, "", message)])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BlueprintInvalid(_undecodable(raw, file, what)) from None


def _undecodable(raw: bytes, file: str, what: str) -> list[Problem]:
    """A problem at the line and column of each invalid UTF-8 sequence in `raw` (the first few)."""
    problems: list[Problem] = []
    start = 0
    while start < len(raw) and len(problems) < MAX_CHARACTER_PROBLEMS:
        try:
            raw[start:].decode("utf-8")
            break
        except UnicodeDecodeError as error:
            bad = start + error.start
            # Columns count characters, as YAML's do: decode the line up to the bad byte.
            before = raw[:bad].decode("utf-8", errors="replace")
            line, column = line_and_column(before, len(before))
            sequence = raw[bad : start + error.end]
            shown = ("byte " if len(sequence) == 1 else "bytes ") + " ".join(f"0x{byte:02x}" for byte in sequence)
            message = f"{what} is not UTF-8: {shown} ({error.reason}); save it as UTF-8"
            problems.append(Problem(file, line, column, "", message))
            start += error.end
    return problems


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of character `offset` in `text`, lines broken as YAML breaks them."""
    line, line_start = 1, 0
    for match in _LINE_BREAK.finditer(text, 0, offset):
        line, line_start = line + 1, match.end()
    return line, offset - line_start + 1


def character_problems(text: str, file: str) -> list[Problem]:
    """A problem at each character YAML does not allow in a file (control characters; the first few)."""
    problems: list[Problem] = []
    for match in _NOT_ALLOWED.finditer(text):
        if len(problems) == MAX_CHARACTER_PROBLEMS:
            break
        line, column = line_and_column(text, match.start())
        problems.append(Problem(file, line, column, "", f"{describe_character(match.group())} is not allowed in YAML"))
    return problems


def describe_character(character: str) -> str:
    """`control character U+0000 (NUL)`: a character by code point, never the character itself."""
    code = ord(character)
    if code < len(_CONTROL_NAMES):
        return f"control character U+{code:04X} ({_CONTROL_NAMES[code]})"
    if code == 0x7F:
        return "control character U+007F (DEL)"
    if 0x80 <= code <= 0x9F:
        return f"control character U+{code:04X}"
    return f"character U+{code:04X}"


def parse_yaml(text: str, file: str) -> SourceDocument:
    """Parse YAML text; `file` names it in problems."""
    unreadable = character_problems(text, file)
    if unreadable:
        raise BlueprintInvalid(unreadable)
    loader = _SafeLoader(text)
    try:
        _check_nesting(text)
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
    except yaml.reader.ReaderError as error:
        # character_problems refuses what the reader refuses; this is the backstop if they ever differ.
        code = error.character if isinstance(error.character, int) else None
        offset = text.find(chr(code)) if code is not None else -1
        line, column = line_and_column(text, offset) if offset >= 0 else (1, 1)
        what = describe_character(chr(code)) if code is not None else "a character"
        raise BlueprintInvalid([Problem(file, line, column, "", f"{what} is not allowed in YAML")]) from None
    except yaml.YAMLError as error:
        raise BlueprintInvalid([Problem(file, 1, 1, "", f"YAML error: {error}")]) from None
    except _TooDeep as too_deep:
        line = too_deep.line
        message = f"values nest more than {MAX_DEPTH} levels deep"
        raise BlueprintInvalid([Problem(file, line, 1, "", message)]) from None
    except _TooLarge as too_large:
        line = too_large.line
        message = f"document expands to more than {MAX_NODES} values (aliases?)"
        raise BlueprintInvalid([Problem(file, line, 1, "", message)]) from None
    finally:
        loader.dispose()
    if composer.problems:
        raise BlueprintInvalid(composer.problems)
    if not isinstance(data, dict):
        raise BlueprintInvalid([Problem(file, 1, 1, "", "a blueprint must be a YAML mapping at the top level")])
    return SourceDocument(file, data, composer.positions)
