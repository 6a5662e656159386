"""YAML -> validated Blueprint -> resolved per environment, with every problem pinned to a line."""

from __future__ import annotations

import copy
import difflib
import functools
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic
from pydantic import BaseModel
from pydantic_core import ErrorDetails

from mlstack.blueprints import rules
from mlstack.blueprints.errors import BlueprintInvalid, Problem, shown
from mlstack.blueprints.rules.environments import misplaced_field
from mlstack.blueprints.rules.feature_store import feature_type_problem
from mlstack.blueprints.schema import Blueprint, Endpoint, Environment, EnvironmentName, Registry
from mlstack.blueprints.yaml_source import Path_, SourceDocument, read_yaml

# Overrides may not change what identifies the platform or the overrides themselves.
_NOT_OVERRIDABLE = ("blueprint", "environments")


@dataclass(frozen=True)
class ResolvedBlueprint:
    """The blueprint as it applies to one environment: overrides applied and validated again."""

    blueprint: Blueprint
    environment_name: str
    warnings: tuple[Problem, ...] = ()

    @property
    def environment(self) -> Environment:
        return self.blueprint.environments[self.environment_name]


def load(path: Path) -> Blueprint:
    """Read and validate the blueprint at `path` and every one of its environments."""
    return validate_file(path)[0]


def validate_file(path: Path) -> tuple[Blueprint, list[Problem]]:
    """Validate `path` and all its environments; return the blueprint and its warnings."""
    document = read_yaml(path)
    base = _validate(document)
    problems = list(base.problems)
    for environment in _environment_names(document):
        problems += _resolve(document, base, environment)[1]
    if problems:
        raise BlueprintInvalid(problems)
    assert base.blueprint is not None
    return base.blueprint, _warnings(document, base.blueprint)


def _warnings(document: SourceDocument, blueprint: Blueprint) -> list[Problem]:
    problems = []
    for path, message in rules.warnings(blueprint):
        line, column = document.position(path)
        problems.append(Problem(document.file, line, column, display_path(path, document.data), message, "warning"))
    return problems


def load_for_environment(path: Path, environment: str) -> ResolvedBlueprint:
    """Read `path`, validate it, and resolve it for `environment`."""
    document = read_yaml(path)
    base = _validate(document)
    problems = list(base.problems)
    names = _environment_names(document)
    if environment not in names:
        message = f"no environment {environment!r}; this blueprint has: {', '.join(names) or 'none'}"
        problems.append(document.problem(("environments",), "environments", message))
        raise BlueprintInvalid(problems)
    resolved, env_problems = _resolve(document, base, environment)
    problems += env_problems
    if problems or resolved is None:
        raise BlueprintInvalid(problems)
    return ResolvedBlueprint(resolved.blueprint, environment, tuple(_warnings(document, resolved.blueprint)))


def _environment_names(document: SourceDocument) -> list[str]:
    environments = document.data.get("environments")
    return [str(name) for name in environments] if isinstance(environments, dict) else []


@dataclass(frozen=True)
class _Checked:
    """What validating a document found: the blueprint if it is valid, and every problem."""

    blueprint: Blueprint | None
    checked: Blueprint
    """What the cross-field rules ran on: the blueprint, or as much of it as validated."""
    problems: list[Problem]


@dataclass(frozen=True)
class _Partial:
    """As much of a blueprint as validates (see `_partial`), and what the rules could not see."""

    blueprint: Blueprint
    endpoint_indexes: list[int]
    """Where each of `blueprint.endpoints` is in the file."""
    unknown: dict[str, frozenset[str] | None] = field(default_factory=dict)
    """Sections left out, or the names of their items left out: what refers to them is not judged."""
    incomplete: frozenset[Path_] = frozenset()
    """Mappings that validated once their unknown keys were set aside."""
    stubs: frozenset[Path_] = frozenset()
    """Items that did not validate, kept by name only so that what names them finds them."""


class _Pattern:
    """A document path with `int` and `str` standing for any index and any key."""

    def __init__(self, *segments: str | type) -> None:
        self.segments = segments

    def match(self, path: Path_) -> bool:
        return len(path) == len(self.segments) and all(
            isinstance(segment, want) if isinstance(want, type) else segment == want
            for segment, want in zip(path, self.segments, strict=True)
        )


# Where a rule judges one section by another: (path of the finding, the section it refers to).
_REFERENCES = (
    (_Pattern("monitoring", "drift", int, "endpoint"), "endpoints"),
    (_Pattern("feedback", "endpoints", int), "endpoints"),
    (_Pattern("endpoints", int, "models", str, "model_group"), "registry"),
    (_Pattern("experiment_tracking", "kind"), "kubernetes"),
    (_Pattern("policies", "levels", str, str), "environments"),
    (_Pattern("policies", "suppressions", int, "environments"), "environments"),
)


def _validate(document: SourceDocument, environment: str | None = None, base: Blueprint | None = None) -> _Checked:
    """Validate `document`, as written or resolved for `environment` from `base` (see `rules.check`)."""
    try:
        blueprint = Blueprint.model_validate(document.data)
    except pydantic.ValidationError as error:
        errors = error.errors()
        problems = [_problem_from_pydantic(document, item) for item in errors]
        if environment is None:
            problems += _misplaced_environment_fields(document, errors)
        partial = _partial(document.data, errors)
        return _Checked(None, partial.blueprint, problems + _rule_problems(document, partial, environment, base))
    whole = _Partial(blueprint, list(range(len(blueprint.endpoints))))
    return _Checked(blueprint, blueprint, _rule_problems(document, whole, environment, base))


def _rule_problems(
    document: SourceDocument, partial: _Partial, environment: str | None, base: Blueprint | None
) -> list[Problem]:
    problems = []
    for rule_path, message in rules.check(partial.blueprint, environment, base):
        path = rule_path
        if len(path) > 1 and path[0] == "endpoints" and isinstance(path[1], int):
            # Rules ran on the endpoints that validated; map back to the positions in the file.
            path = ("endpoints", partial.endpoint_indexes[path[1]], *path[2:])
        if not _depends_on_what_failed(document, partial, path):
            problems.append(document.problem(path, display_path(path, document.data), message))
    return problems


def _depends_on_what_failed(document: SourceDocument, partial: _Partial, path: Path_) -> bool:
    """Whether a finding at `path` may only be a consequence of a problem the schema reported.

    That is a finding about an item that did not validate (the rules saw only its name); about a
    mapping that had unknown keys (a misspelt field is missing from it), at the mapping or at one of its
    fields that is not written; or at a reference to what did not validate.
    """
    if any(path[: len(stub)] == stub for stub in partial.stubs):
        return True
    for mapping in partial.incomplete:
        if path[: len(mapping)] == mapping and (
            len(path) == len(mapping) or path[: len(mapping) + 1] not in document.positions
        ):
            return True
    for pattern, section in _REFERENCES:
        if section in partial.unknown and pattern.match(path):
            names = partial.unknown[section]
            if names is None or _value_at(document.data, path) in names:
                return True
    return False


def _value_at(data: Any, path: Path_) -> Any:
    node = data
    for segment in path:
        if isinstance(node, dict) and isinstance(segment, str):
            node = node.get(segment)
        elif isinstance(node, list) and isinstance(segment, int) and segment < len(node):
            node = node[segment]
        else:
            return None
    return node


def _partial(data: dict[str, Any], errors: list[ErrorDetails]) -> _Partial:
    """As much of the blueprint in `data` as validates, so that one mistake does not hide the others.

    Unknown keys are set aside (the schema reports them), then each top-level section is validated on
    its own, and each endpoint and environment. What does not validate is left out, and findings that
    refer to it are not reported (see `_depends_on_what_failed`).
    """
    cleaned, incomplete = _without_unknown_keys(data, errors)
    values: dict[str, Any] = {}
    unknown: dict[str, frozenset[str] | None] = {}
    endpoint_indexes: list[int] = []
    stubs: frozenset[Path_] = frozenset()
    for name, info in Blueprint.model_fields.items():
        if name not in cleaned:
            if info.is_required():
                values[name], unknown[name] = _PLACEHOLDERS.get(name, ""), None
            continue
        raw = cleaned[name]
        try:
            values[name] = _field_adapter(name).validate_python(raw)
        except pydantic.ValidationError:
            pass
        else:
            endpoint_indexes = list(range(len(values["endpoints"]))) if name == "endpoints" else endpoint_indexes
            continue
        if name == "endpoints":
            values[name], endpoint_indexes, unknown[name], stubs = _valid_endpoints(raw)
        elif name == "environments":
            values[name], complete = _valid_environments(raw)
            if not complete:
                unknown[name] = None
        elif name == "registry" and isinstance(raw, dict) and isinstance(raw.get("model_groups"), list):
            # The names of the groups are what other sections refer to.
            groups = [group for group in raw["model_groups"] if isinstance(group, str)]
            values[name] = Registry.model_construct(model_groups=groups)
            if len(groups) < len(raw["model_groups"]):
                unknown[name] = None
        elif info.is_required():
            # An invalid id or region is reported by the schema; names built from it would only repeat that.
            values[name], unknown[name] = _PLACEHOLDERS.get(name, ""), None
        else:
            unknown[name] = None  # left out: the rules see the default
    return _Partial(Blueprint.model_construct(**values), endpoint_indexes, unknown, frozenset(incomplete), stubs)


# What the rules see for a required top-level field that is missing or invalid.
_PLACEHOLDERS: dict[str, Any] = {"environments": {}}


def _without_unknown_keys(data: dict[str, Any], errors: list[ErrorDetails]) -> tuple[dict[str, Any], set[Path_]]:
    """A copy of `data` without the keys the schema does not know, and the mappings that had them."""
    cleaned = copy.deepcopy(data)
    incomplete: set[Path_] = set()
    for error in errors:
        if error["type"] != "extra_forbidden":
            continue
        path: Path_ = tuple(part for part in error["loc"] if isinstance(part, int | str))
        parent = _value_at(cleaned, path[:-1])
        if isinstance(parent, dict) and path and path[-1] in parent:
            del parent[path[-1]]
            incomplete.add(path[:-1])
    return cleaned, incomplete


def _valid_endpoints(
    raw: Any,
) -> tuple[list[Endpoint], list[int], frozenset[str] | None, frozenset[Path_]]:
    """The endpoints, each validated or a stub of its name; their indexes in the file; the names of the
    stubs (None when some endpoint has no name); and the paths of the stubs.

    A stub lets a monitor or the feedback API find the endpoint it names, and a dangling name still be
    told from it with the right list of names and did-you-mean.
    """
    if not isinstance(raw, list):
        return [], [], None, frozenset()
    endpoints: list[Endpoint] = []
    indexes: list[int] = []
    failed: set[str] = set()
    stubs: set[Path_] = set()
    named = True
    for index, item in enumerate(raw):
        try:
            endpoints.append(Endpoint.model_validate(item))
        except pydantic.ValidationError:
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str):
                named = False
                continue
            endpoints.append(Endpoint.model_construct(name=name, models={}))
            failed.add(name)
            stubs.add(("endpoints", index))
        indexes.append(index)
    return endpoints, indexes, frozenset(failed) if named else None, frozenset(stubs)


def _valid_environments(raw: Any) -> tuple[dict[str, Environment], bool]:
    """Every validly named environment, blank if its settings are invalid; and whether all names were valid."""
    if not isinstance(raw, dict) or not raw:
        return {}, False
    environments: dict[str, Environment] = {}
    for name, value in raw.items():
        try:
            _ENVIRONMENT_NAME.validate_python(name)
        except pydantic.ValidationError:
            continue
        try:
            environments[name] = Environment.model_validate(value)
        except pydantic.ValidationError:
            environments[name] = Environment()
    return environments, len(environments) == len(raw)


_ENVIRONMENT_NAME: pydantic.TypeAdapter[str] = pydantic.TypeAdapter(EnvironmentName)


@functools.cache
def _field_adapter(name: str) -> pydantic.TypeAdapter[Any]:
    """Validates the blueprint's top-level field `name` on its own."""
    info = Blueprint.model_fields[name]
    annotation: Any = info.annotation
    if info.metadata:
        annotation = typing.Annotated[(annotation, *info.metadata)]
    return pydantic.TypeAdapter(annotation)


def _misplaced_environment_fields(document: SourceDocument, errors: list[ErrorDetails]) -> list[Problem]:
    """Environments named like an environment's field whose value is not an environment: a dedented field.

    One whose value is a valid environment may be meant; `rules.environments` warns about those.
    """
    environments = document.data.get("environments")
    if not isinstance(environments, dict):
        return []
    invalid = {error["loc"][1] for error in errors if error["loc"][:1] == ("environments",) and len(error["loc"]) > 1}
    problems = []
    for name in environments:
        message = misplaced_field(name, list(environments)) if name in invalid else None
        if message:
            problems.append(document.problem(("environments", name), f"environments.{name}", message))
    return problems


def _resolve(
    document: SourceDocument, base: _Checked, environment: str
) -> tuple[ResolvedBlueprint | None, list[Problem]]:
    """`document` with the overrides of `environment` applied and validated, and the problems the base has not."""
    raw_environment = document.data["environments"][environment]
    overrides = raw_environment.get("overrides") if isinstance(raw_environment, dict) else None
    if not isinstance(overrides, dict) or not overrides:
        return (ResolvedBlueprint(base.blueprint, environment) if base.blueprint else None), []
    data = copy.deepcopy(document.data)
    positions = dict(document.positions)
    problems: list[Problem] = []
    applied = True
    for dotted_path, value in overrides.items():
        override_at = ("environments", environment, "overrides", dotted_path)
        target, error = _locate(data, dotted_path)
        if target is None:
            applied = False
            if error is not None:
                problems.append(document.problem(override_at, f"environments.{environment}.overrides", error))
            continue
        _assign(data, target, value)
        # Problems inside the overridden value are reported at the override, where the user wrote it.
        where = document.position(override_at)
        for inside in [p for p in positions if p[: len(target)] == target]:
            positions[inside] = where
        positions[target] = where
    # The other overrides are still checked, against the blueprint as written when it is invalid.
    resolved = _validate(SourceDocument(document.file, data, positions), environment, base.checked)
    # Problems the base blueprint already has are reported once, by the base validation.
    known = {(p.line, p.column, p.path, p.message) for p in base.problems}
    problems += [
        Problem(p.file, p.line, p.column, p.path, f"{p.message} (in environment {environment})")
        for p in resolved.problems
        if (p.line, p.column, p.path, p.message) not in known
    ]
    if resolved.blueprint is None or not applied or problems:
        return None, problems
    return ResolvedBlueprint(resolved.blueprint, environment), problems


def _locate(data: dict[str, Any], dotted_path: str) -> tuple[Path_ | None, str | None]:
    """Turn `a.b.name.c` into a document path; list items are addressed by their `name`.

    Field names are checked against the schema, what may be written there, not against the data, so a
    key the blueprint misspells is never offered as the spelling. A path that may only fail because of
    a problem the schema reports in the blueprint (a misspelt field on the way, a list item without a
    name, a value that is not the mapping or list it must be) gives (None, None): that problem is
    reported where it is.
    """
    segments = dotted_path.split(".")
    if not dotted_path or any(not s for s in segments):
        return None, f"override path {dotted_path!r} is not a dotted path"
    if segments[0] in _NOT_OVERRIDABLE:
        return None, f"override path {dotted_path!r}: {segments[0]!r} cannot be overridden per environment"
    path: list[str | int] = []
    node: Any = data
    annotation: Any = Blueprint
    for depth, segment in enumerate(segments):
        last = depth == len(segments) - 1
        where = ".".join(segments[:depth]) or "the blueprint"
        expected = _collection(annotation)
        if expected is not None and not isinstance(node, expected) and (node is not None or not _optional(annotation)):
            return None, None  # the schema reports that it is not a mapping or list
        if isinstance(node, list):
            names = [item.get("name") if isinstance(item, dict) else None for item in node]
            if segment not in names and not all(isinstance(name, str) for name in names):
                return None, None  # it may be the item without a name, which the schema reports
            if segment not in names:
                listed = ", ".join(str(n) for n in names) or "none"
                return None, (f"override path {dotted_path!r}: {where} has no item named {segment!r} (items: {listed})")
            index = names.index(segment)
            path.append(index)
            node = node[index]
            annotation = _child(annotation, index)
        elif isinstance(node, dict):
            fields = _model_fields(annotation)
            if fields is not None and segment not in fields:
                hint = _did_you_mean(segment, fields) or f"; allowed: {', '.join(fields)}"
                return None, f"override path {dotted_path!r}: {where} has no {segment!r}{hint}"
            if segment not in node and not last:
                if fields is None:
                    return (
                        None,
                        f"override path {dotted_path!r}: {where} has no {segment!r}{_did_you_mean(segment, node)}",
                    )
                if any(_closest(key, fields) == segment for key in node if key not in fields):
                    return None, None
                return None, (
                    f"override path {dotted_path!r}: {where} has no {segment!r}, and only the last part of an "
                    f"override path may be new: override {'.'.join(segments[: depth + 1])!r} as a whole"
                )
            path.append(segment)
            node = node.get(segment)
            annotation = _child(annotation, segment)
        else:
            return None, f"override path {dotted_path!r}: {where} is a value, not a mapping or list"
    return tuple(path), None


def _assign(data: dict[str, Any], path: Path_, value: Any) -> None:
    node: Any = data
    for segment in path[:-1]:
        node = node[segment]
    node[path[-1]] = copy.deepcopy(value)


def _did_you_mean(word: str, options: typing.Iterable[str]) -> str:
    close = _closest(word, options)
    return f"; did you mean {close!r}?" if close else ""


def _closest(word: str, options: typing.Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return close[0] if close else None


def display_path(path: Path_, data: Any) -> str:
    """Render a document path the way users address it: list items by their `name`."""
    parts: list[str] = []
    node = data
    for segment in path:
        if isinstance(segment, int) and isinstance(node, list) and segment < len(node):
            item = node[segment]
            name = item.get("name") if isinstance(item, dict) else None
            parts.append(name if isinstance(name, str) and name else f"[{segment}]")
            node = item
        else:
            parts.append(f"[{segment}]" if isinstance(segment, int) else str(segment))
            node = node.get(segment) if isinstance(node, dict) else None
    return ".".join(parts).replace(".[", "[")


def _problem_from_pydantic(document: SourceDocument, error: Any) -> Problem:
    # pydantic marks a bad mapping key with a "[key]" segment after the key itself.
    path: Path_ = tuple(part for part in error["loc"] if isinstance(part, int | str) and part != "[key]")
    kind = error["type"]
    given = error.get("input")
    if kind == "extra_forbidden":
        allowed = _fields_at(path[:-1])
        key = str(path[-1])
        hint = _did_you_mean(key, allowed)
        message = f"unknown field {key!r}" + (hint or (f"; allowed: {', '.join(allowed)}" if allowed else ""))
    elif kind == "missing":
        message = f"required field {str(path[-1])!r} is missing"
        return document.problem(path[:-1], display_path(path, document.data), message)
    elif kind == "string_type" and isinstance(given, int | float) and not isinstance(given, bool):
        message = f'expected a string, got the number {shown(given)}; quote it: "{shown(given)}"'
    elif kind == "string_pattern_mismatch":
        message = f"{shown(given)} is not valid here: it must match {error['ctx']['pattern']}"
    elif kind == "literal_error" and _FEATURE_TYPE.match(path) and (advice := feature_type_problem(given)):
        message = advice
    else:
        message = str(error["msg"])
        message = message[0].lower() + message[1:]
        if given is not None and not isinstance(given, dict | list):
            message += f" (got {shown(given)})"
    return document.problem(path, display_path(path, document.data), message)


_FEATURE_TYPE = _Pattern("feature_store", "groups", int, "features", str)


def _fields_at(path: Path_) -> list[str]:
    """Field names the schema allows at `path`, for did-you-mean hints."""
    annotation: Any = Blueprint
    for segment in path:
        annotation = _child(annotation, segment)
    return _model_fields(annotation) or []


def _child(annotation: Any, segment: str | int) -> Any:
    """The schema's type at `segment` in a value of type `annotation`; None where the schema does not say."""
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        info = annotation.model_fields.get(segment) if isinstance(segment, str) else None
        return info.annotation if info else None
    if typing.get_origin(annotation) is list and isinstance(segment, int):
        return typing.get_args(annotation)[0]
    if typing.get_origin(annotation) is dict:
        return typing.get_args(annotation)[1]
    return None


def _collection(annotation: Any) -> type[dict[Any, Any]] | type[list[Any]] | None:
    """What a value of type `annotation` is written as: a mapping (dict), a list, or neither (None)."""
    annotation = _unwrap(annotation)
    if typing.get_origin(annotation) is dict or (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        return dict
    return list if typing.get_origin(annotation) is list else None


def _optional(annotation: Any) -> bool:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in typing.get_args(
        annotation
    )


def _model_fields(annotation: Any) -> list[str] | None:
    """The field names of `annotation` if it is a model (a mapping with fixed keys), else None."""
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated[...] and Optional[...] down to the model, list or dict inside."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            inner = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(inner) != 1:
                return annotation
            annotation = inner[0]
        else:
            return annotation
