"""A `pulumi preview --json` document as input: every malformed shape is a located problem.

`mlstack check --preview-json FILE` reads a file someone else wrote, so nothing in it is trusted.
The file is read within a size limit, decoded as UTF-8, parsed, and its shape checked once, up
front (`preview_problems`), before any rule sees a resource: a step that is not an object, a
`newState` without a `urn`, a `type` that is a number, inputs nested past `MAX_DEPTH`, two steps
giving one URN different states. Each is a `Problem` naming the file, the line and column of the
value (or of the object missing a field) and its path, such as `steps[3].newState.urn: missing`.

What the rules read is checked; the rest of the document (outputs, `oldState`, diffs,
diagnostics) is not, as long as it parses.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlstack.blueprints.errors import BlueprintInvalid, Problem
from mlstack.policies.framework import json_kind

# `pulumi preview --json` writes about 3.5 KiB per resource (the recsys prod plan: 437 KB for 123
# steps), twice that for an update, whose step carries `oldState` too. 256 MiB holds some 35,000
# updated or 70,000 created resources, well past the largest stacks Pulumi users report (tens of
# thousands of resources, where the engine itself slows down). Memory stays bounded: a 122 MiB
# preview of 40,000 resources peaks at 600 MiB RSS (bench/check_scaling.py), so a file at the limit
# needs about 1.3 GiB. A bigger file is not a preview of one stack.
MAX_PREVIEW_JSON_BYTES = 256 * 1024 * 1024
# Levels of nesting, counted from the document's root: `steps[0].newState.inputs` is 4 deep, and
# the deepest inputs of real resources (a Kubernetes pod template's container security context)
# some 12 more. Blueprints have the same limit (blueprints/yaml_source.py).
MAX_DEPTH = 100
# Problems shown at once; the count of the rest follows them.
MAX_PROBLEMS = 50

# Steps after which the resource no longer exists; their `newState`, if any, is not a resource.
SKIPPED_OPS = frozenset({"delete", "delete-replaced", "discard", "discard-replaced", "remove-pending-replace"})

PathPart = str | int
JsonPath = tuple[PathPart, ...]

# Control characters (C0, DEL, C1): no URN or type has them, and a name carrying them would reach
# every report (a terminal's escape sequences, characters XML forbids in JUnit).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class PreviewProblem:
    """A malformed value: its path, what is wrong, and the path to point at (the value itself, or
    the object that lacks it)."""

    path: JsonPath
    message: str
    at: JsonPath

    @property
    def dotted(self) -> str:
        """`steps[3].newState.urn`; a path past 12 parts (nesting too deep) ends with `…`."""
        text = ""
        for part in self.path[:12]:
            if isinstance(part, str) and _CONTROL.search(part):
                part = part.encode("unicode_escape").decode("ascii")  # noqa: PLW2901 (shown escaped)
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
        return text + ("…" if len(self.path) > 12 else "")


class PreviewInvalid(ValueError):
    """The document's shape is not a `pulumi preview --json` one; `problems` says where."""

    def __init__(self, problems: Sequence[PreviewProblem], more: int = 0) -> None:
        self.problems = tuple(problems)
        self.more = more
        super().__init__("; ".join(f"{p.dotted or '<root>'}: {p.message}" for p in problems))


class _Problems:
    """Collects problems, keeping the first MAX_PROBLEMS and counting the rest."""

    def __init__(self) -> None:
        self.kept: list[PreviewProblem] = []
        self.more = 0

    def add(self, path: JsonPath, message: str, *, missing: bool = False) -> None:
        if len(self.kept) < MAX_PROBLEMS:
            self.kept.append(PreviewProblem(path, message, path[:-1] if missing else path))
        else:
            self.more += 1

    def wrong(self, path: JsonPath, value: Any, expected: str) -> None:
        self.add(path, f"is {json_kind(value)}, expected {expected}")


def _too_deep(value: Any, depth: int) -> JsonPath | None:
    """The path (below `value`, which is `depth` deep) of a value nested past MAX_DEPTH, if any."""
    stack: list[tuple[Any, int, JsonPath]] = [(value, depth, ())]
    while stack:
        current, level, path = stack.pop()
        if level > MAX_DEPTH:
            return path
        if isinstance(current, dict):
            stack.extend((v, level + 1, (*path, k)) for k, v in current.items() if isinstance(v, dict | list))
        elif isinstance(current, list):
            stack.extend((v, level + 1, (*path, i)) for i, v in enumerate(current) if isinstance(v, dict | list))
    return None


def _control_character(text: str) -> str | None:
    found = _CONTROL.search(text)
    return f"contains the control character U+{ord(found.group()):04X}" if found else None


def _check_state(problems: _Problems, at: JsonPath, state: dict[str, Any]) -> None:
    urn = state.get("urn")
    if urn is None:
        problems.add((*at, "urn"), "missing", missing=True)
    elif not isinstance(urn, str) or not urn.startswith("urn:pulumi:"):
        problems.add(
            (*at, "urn"), f"is {json_kind(urn)}, expected a Pulumi URN (urn:pulumi:STACK::PROJECT::TYPE::NAME)"
        )
    elif (control := _control_character(urn)) is not None:
        problems.add((*at, "urn"), control)
    type_ = state.get("type")
    if type_ is None:
        problems.add((*at, "type"), "missing", missing=True)
    elif not isinstance(type_, str) or not type_:
        problems.wrong((*at, "type"), type_, "a resource type token such as aws:s3/bucket:Bucket")
    elif (control := _control_character(type_)) is not None:
        problems.add((*at, "type"), control)
    if "custom" in state and not isinstance(state["custom"], bool):
        problems.wrong((*at, "custom"), state["custom"], "a boolean")
    inputs = state.get("inputs")
    if inputs is not None:
        if not isinstance(inputs, dict):
            problems.wrong((*at, "inputs"), inputs, "an object")
        elif (deep := _too_deep(inputs, len(at) + 1)) is not None:
            problems.add((*at, "inputs", *deep), f"nesting deeper than {MAX_DEPTH} levels")
    parent = state.get("parent")
    if parent is not None and not isinstance(parent, str):
        problems.wrong((*at, "parent"), parent, "a URN")
    _check_urns(problems, (*at, "dependencies"), state.get("dependencies"))
    by_property = state.get("propertyDependencies")
    if by_property is not None:
        if not isinstance(by_property, dict):
            problems.wrong((*at, "propertyDependencies"), by_property, "an object of URN lists")
        else:
            for prop, urns in by_property.items():
                _check_urns(problems, (*at, "propertyDependencies", prop), urns)


def _check_urns(problems: _Problems, at: JsonPath, urns: Any) -> None:
    if urns is None:
        return
    if not isinstance(urns, list):
        problems.wrong(at, urns, "a list of URNs")
        return
    for position, urn in enumerate(urns):
        if not isinstance(urn, str):
            problems.wrong((*at, position), urn, "a URN")


# What rules read of a state: two steps with the same URN are one resource when these agree.
# (Only these: the rest, outputs among them, is unchecked and may nest as deep as JSON parses.)
_READ_FIELDS = ("urn", "type", "custom", "inputs", "parent", "dependencies", "propertyDependencies")


def _read(state: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(state.get(field) for field in _READ_FIELDS)


def preview_problems(document: Any) -> PreviewInvalid | None:
    """Every way `document` is not a `pulumi preview --json` document that rules can read, or None.

    A URN given by two steps is one resource when both carry the same state: `pulumi preview --json
    --show-replacement-steps` lists a replacement's `create-replacement` and `replace` steps, each
    with the new state. Different states under one URN (what the rules read differs) are an error:
    which one would be checked?"""
    problems = _Problems()
    if not isinstance(document, dict):
        problems.wrong((), document, "an object with a `steps` list (the output of `pulumi preview --json`)")
        return PreviewInvalid(problems.kept)
    steps = document.get("steps")
    if not isinstance(steps, list):
        found = "missing" if steps is None else f"is {json_kind(steps)}, expected a list"
        problems.add(("steps",), f"{found}: not a `pulumi preview --json` document", missing=steps is None)
        return PreviewInvalid(problems.kept)
    first_state: dict[str, tuple[int, dict[str, Any]]] = {}
    for index, step in enumerate(steps):
        at: JsonPath = ("steps", index)
        if not isinstance(step, dict):
            problems.wrong(at, step, "an object")
            continue
        op = step.get("op")
        if op is None:
            problems.add((*at, "op"), "missing", missing=True)
        elif not isinstance(op, str):
            problems.wrong((*at, "op"), op, "a string such as create, update or same")
        state = step.get("newState")
        if state is None or (isinstance(op, str) and op in SKIPPED_OPS):
            continue
        if not isinstance(state, dict):
            problems.wrong((*at, "newState"), state, "an object")
            continue
        before = len(problems.kept) + problems.more
        _check_state(problems, (*at, "newState"), state)
        urn = state.get("urn")
        if len(problems.kept) + problems.more > before or not isinstance(urn, str):
            continue
        if urn in first_state:
            earlier, earlier_state = first_state[urn]
            if _read(earlier_state) != _read(state):
                problems.add(
                    (*at, "newState", "urn"),
                    f"{urn} is also the URN of steps[{earlier}], with a different newState: a preview "
                    "gives each resource one state",
                )
        else:
            first_state[urn] = (index, state)
    return PreviewInvalid(problems.kept, problems.more) if problems.kept else None


# --- the file: size, encoding, syntax, and where each problem is ---------------------------------

# JSON tokens: a string, a structural character, or a bare literal (number, true, false, null).
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\],:]|[^\s{}\[\],:"]+')


def _walk(text: str) -> Iterator[tuple[int, list[PathPart], str]]:
    """(offset, path, first token) of each value in `text`, in order, without recursion. The path
    list is live: copy it to keep it. Malformed text never raises; positions are then best effort."""
    path: list[PathPart] = []
    containers: list[str] = []
    expect_key = False
    for match in _TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first == ",":
            if containers and containers[-1] == "[" and isinstance(path[-1], int):
                path[-1] += 1
            else:
                expect_key = bool(containers)
            continue
        if first == ":":
            expect_key = False
            continue
        if first in "}]":
            if containers:
                containers.pop()
                path.pop()
            expect_key = False
            continue
        if containers and containers[-1] == "{" and expect_key:
            try:
                path[-1] = json.loads(token) if first == '"' else token
            except ValueError:
                path[-1] = token[1:-1]
            continue
        yield match.start(), path, token
        if first in "{[":
            containers.append(first)
            path.append("" if first == "{" else 0)
            expect_key = first == "{"


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _positions(text: str, paths: set[JsonPath]) -> dict[JsonPath, tuple[int, int]]:
    """Line and column of the value at each of `paths`, in one pass over the text."""
    lengths = {len(p) for p in paths}
    found: dict[JsonPath, int] = {}
    for offset, path, _ in _walk(text):
        if len(path) in lengths and (key := tuple(path)) in paths and key not in found:
            found[key] = offset
            if len(found) == len(paths):
                break
    return {path: _line_column(text, offset) for path, offset in found.items()}


def _first(text: str, wanted: Callable[[list[PathPart], str], bool]) -> tuple[int, int]:
    """Line and column of the first value whose path and token satisfy `wanted`; else 1:1."""
    for offset, path, token in _walk(text):
        if wanted(path, token):
            return _line_column(text, offset)
    return 1, 1


def located(invalid: PreviewInvalid, text: str, file: str) -> BlueprintInvalid:
    """The problems as `FILE:LINE:COL: path: message` lines."""
    where = _positions(text, {p.at for p in invalid.problems})
    problems = [Problem(file, *where.get(p.at, (1, 1)), p.dotted, p.message) for p in invalid.problems]
    if invalid.more:
        problems.append(Problem(file, 1, 1, "steps", f"and {invalid.more} more problems like these"))
    return BlueprintInvalid(problems)


class _NotJson(ValueError):
    def __init__(self, constant: str) -> None:
        super().__init__(constant)
        self.constant = constant


def _reject(constant: str) -> Any:
    raise _NotJson(constant)


def _invalid(file: str, line: int, column: int, message: str) -> BlueprintInvalid:
    return BlueprintInvalid([Problem(file, line, column, "", message)])


def read_preview_json(path: Path) -> tuple[str, Any]:
    """The text of a `pulumi preview --json` file and its parsed document (shape not yet checked).

    Raises BlueprintInvalid, located, for a file that cannot be read, is over the size limit, is not
    UTF-8, is not JSON (NaN and Infinity included: Pulumi never writes them), or nests too deep to
    parse."""
    file = str(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_PREVIEW_JSON_BYTES + 1)
    except OSError as error:
        raise _invalid(file, 1, 1, f"cannot read file: {error.strerror}") from None
    if len(raw) > MAX_PREVIEW_JSON_BYTES:
        limit = MAX_PREVIEW_JSON_BYTES // (1024 * 1024)
        message = f"file is over {limit} MiB, the limit for preview JSON (no stack's preview is this big)"
        raise _invalid(file, 1, 1, message)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        message = (
            "file is UTF-16, not UTF-8 (PowerShell's `>` writes UTF-16): save the preview with "
            "`pulumi preview --json | Out-File -Encoding utf8 preview.json`"
        )
        raise _invalid(file, 1, 1, message)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = len(raw[raw.rfind(b"\n", 0, error.start) + 1 : error.start].decode("utf-8", "replace")) + 1
        message = f"file is not UTF-8: {error.reason} (byte 0x{raw[error.start]:02x})"
        raise _invalid(file, line, column, message) from None
    del raw
    try:
        document = json.loads(text, parse_constant=_reject)
    except json.JSONDecodeError as error:
        message = f"not a `pulumi preview --json` document: {error.msg}"
        raise _invalid(file, error.lineno, error.colno, message) from None
    except RecursionError:
        line, column = _first(text, lambda path, _: len(path) > MAX_DEPTH)
        raise _invalid(file, line, column, f"nesting deeper than {MAX_DEPTH} levels") from None
    except _NotJson as error:
        constant = error.constant
        line, column = _first(text, lambda _, token: token == constant)
        raise _invalid(file, line, column, f"{constant} is not JSON (nor anything Pulumi writes)") from None
    except ValueError:  # an integer longer than Python converts (sys.get_int_max_str_digits)
        digits = sys.get_int_max_str_digits()
        line, column = _first(text, lambda _, token: len(token.lstrip("-")) > digits and token[-1].isdigit())
        raise _invalid(file, line, column, f"a number of more than {digits} digits") from None
    return text, document
