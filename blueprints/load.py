"""YAML -> validated Blueprint -> resolved per environment, with every problem pinned to a line."""

from __future__ import annotations

import copy
import difflib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic
from pydantic import BaseModel

from blueprints import rules
from blueprints.errors import BlueprintInvalid, Problem
from blueprints.schema import Blueprint, Endpoint, Environment, Registry
from blueprints.yaml_source import Path_, SourceDocument, read_yaml

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
    blueprint, problems = _validate(document)
    base_problems = list(problems)
    for environment in _environment_names(document):
        problems += _resolve(document, blueprint, environment, base_problems)[1]
    if problems:
        raise BlueprintInvalid(problems)
    assert blueprint is not None
    return blueprint, _warnings(document, blueprint)


def _warnings(document: SourceDocument, blueprint: Blueprint) -> list[Problem]:
    problems = []
    for path, message in rules.warnings(blueprint):
        line, column = document.position(path)
        problems.append(Problem(document.file, line, column, display_path(path, document.data), message, "warning"))
    return problems


def load_for_environment(path: Path, environment: str) -> ResolvedBlueprint:
    """Read `path`, validate it, and resolve it for `environment`."""
    document = read_yaml(path)
    blueprint, problems = _validate(document)
    names = _environment_names(document)
    if environment not in names:
        message = f"no environment {environment!r}; this blueprint has: {', '.join(names) or 'none'}"
        problems.append(document.problem(("environments",), "environments", message))
        raise BlueprintInvalid(problems)
    resolved, env_problems = _resolve(document, blueprint, environment, list(problems))
    problems += env_problems
    if problems or resolved is None:
        raise BlueprintInvalid(problems)
    return ResolvedBlueprint(resolved.blueprint, environment, tuple(_warnings(document, resolved.blueprint)))


def _environment_names(document: SourceDocument) -> list[str]:
    environments = document.data.get("environments")
    return [str(name) for name in environments] if isinstance(environments, dict) else []


def _validate(
    document: SourceDocument, environment: str | None = None, base: Blueprint | None = None
) -> tuple[Blueprint | None, list[Problem]]:
    """Validate `document`, as written or resolved for `environment` from `base` (see `rules.check`)."""
    try:
        blueprint = Blueprint.model_validate(document.data)
    except pydantic.ValidationError as error:
        problems = [_problem_from_pydantic(document, item) for item in error.errors()]
        return None, problems + _partial_rule_problems(document, error, environment, base)
    return blueprint, _rule_problems(document, blueprint, list(range(len(blueprint.endpoints))), environment, base)


def _rule_problems(
    document: SourceDocument,
    blueprint: Blueprint,
    endpoint_indexes: list[int],
    environment: str | None,
    base: Blueprint | None,
) -> list[Problem]:
    problems = []
    for rule_path, message in rules.check(blueprint, environment, base):
        path = rule_path
        if len(path) > 1 and path[0] == "endpoints" and isinstance(path[1], int):
            # Rules ran on the endpoints that validated; map back to the positions in the file.
            path = ("endpoints", endpoint_indexes[path[1]], *path[2:])
        problems.append(document.problem(path, display_path(path, document.data), message))
    return problems


def _partial_rule_problems(
    document: SourceDocument, error: pydantic.ValidationError, environment: str | None, base: Blueprint | None
) -> list[Problem]:
    """Run the cross-field rules on what is valid, so a typo does not hide a dangling reference.

    Endpoints that validate on their own are checked; the top-level values the rules read are
    taken as written when they have the right type.
    """
    data = document.data
    raw_endpoints = data.get("endpoints")
    kept: list[int] = []
    endpoints: list[Endpoint] = []
    for index, raw in enumerate(raw_endpoints if isinstance(raw_endpoints, list) else []):
        try:
            endpoints.append(Endpoint.model_validate(raw))
        except pydantic.ValidationError:
            continue
        kept.append(index)
    environments = data.get("environments")
    raw_registry = data.get("registry")
    registry = None
    if isinstance(raw_registry, dict) and isinstance(raw_registry.get("model_groups"), list):
        registry = Registry.model_construct(
            model_groups=[group for group in raw_registry["model_groups"] if isinstance(group, str)]
        )
    blueprint = Blueprint.model_construct(
        registry=registry,
        # An invalid id or region is reported by the schema; names built from it would only repeat that.
        blueprint=data.get("blueprint") if _valid_field("blueprint", data.get("blueprint")) else "",
        team="",
        owner="",
        cost_center="",
        region=data.get("region") if _valid_field("region", data.get("region")) else "",
        environments={str(name): Environment() for name in environments} if isinstance(environments, dict) else {},
        endpoints=endpoints,
    )
    return _rule_problems(document, blueprint, kept, environment, base)


def _valid_field(field: str, value: Any) -> bool:
    try:
        Blueprint.model_validate({field: value})
    except pydantic.ValidationError as error:
        return not any(item["loc"] == (field,) for item in error.errors())
    return True


def _resolve(
    document: SourceDocument, blueprint: Blueprint | None, environment: str, base_problems: list[Problem]
) -> tuple[ResolvedBlueprint | None, list[Problem]]:
    raw_environment = document.data["environments"][environment]
    overrides = raw_environment.get("overrides") if isinstance(raw_environment, dict) else None
    if not isinstance(overrides, dict) or not overrides:
        return (ResolvedBlueprint(blueprint, environment) if blueprint else None), []
    data = copy.deepcopy(document.data)
    positions = dict(document.positions)
    problems: list[Problem] = []
    for dotted_path, value in overrides.items():
        override_at = ("environments", environment, "overrides", dotted_path)
        target, error = _locate(data, dotted_path)
        if error is not None:
            problems.append(document.problem(override_at, f"environments.{environment}.overrides", error))
            continue
        assert target is not None
        _assign(data, target, value)
        # Problems inside the overridden value are reported at the override, where the user wrote it.
        where = document.position(override_at)
        for inside in [p for p in positions if p[: len(target)] == target]:
            positions[inside] = where
        positions[target] = where
    if problems or blueprint is None:
        return None, problems
    resolved_document = SourceDocument(document.file, data, positions)
    resolved, problems = _validate(resolved_document, environment, blueprint)
    # Problems the base blueprint already has are reported once, by the base validation.
    known = {(p.line, p.column, p.path, p.message) for p in base_problems}
    problems = [
        Problem(p.file, p.line, p.column, p.path, f"{p.message} (in environment {environment})")
        for p in problems
        if (p.line, p.column, p.path, p.message) not in known
    ]
    if resolved is None:
        return None, problems
    return ResolvedBlueprint(resolved, environment), problems


def _locate(data: dict[str, Any], dotted_path: str) -> tuple[Path_ | None, str | None]:
    """Turn `a.b.name.c` into a document path; list items are addressed by their `name`."""
    segments = dotted_path.split(".")
    if not dotted_path or any(not s for s in segments):
        return None, f"override path {dotted_path!r} is not a dotted path"
    if segments[0] in _NOT_OVERRIDABLE:
        return None, f"override path {dotted_path!r}: {segments[0]!r} cannot be overridden per environment"
    path: list[str | int] = []
    node: Any = data
    for depth, segment in enumerate(segments):
        last = depth == len(segments) - 1
        where = ".".join(segments[:depth]) or "the blueprint"
        if isinstance(node, list):
            names = [item.get("name") for item in node if isinstance(item, dict)]
            if segment not in names:
                listed = ", ".join(str(n) for n in names) or "none"
                return None, (f"override path {dotted_path!r}: {where} has no item named {segment!r} (items: {listed})")
            index = names.index(segment)
            path.append(index)
            node = node[index]
        elif isinstance(node, dict):
            if segment not in node and not last:
                return None, f"override path {dotted_path!r}: {where} has no {segment!r}{_did_you_mean(segment, node)}"
            path.append(segment)
            node = node.get(segment)
        else:
            return None, f"override path {dotted_path!r}: {where} is a value, not a mapping or list"
    return tuple(path), None


def _assign(data: dict[str, Any], path: Path_, value: Any) -> None:
    node: Any = data
    for segment in path[:-1]:
        node = node[segment]
    node[path[-1]] = copy.deepcopy(value)


def _did_you_mean(word: str, options: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


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
        message = f'expected a string, got the number {given!r}; quote it: "{given}"'
    elif kind == "string_pattern_mismatch":
        message = f"{given!r} is not valid here: it must match {error['ctx']['pattern']}"
    else:
        message = str(error["msg"])
        message = message[0].lower() + message[1:]
        if given is not None and not isinstance(given, dict | list):
            message += f" (got {given!r})"
    return document.problem(path, display_path(path, document.data), message)


def _fields_at(path: Path_) -> list[str]:
    """Field names the schema allows at `path`, for did-you-mean hints."""
    annotation: Any = Blueprint
    for segment in path:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel) and isinstance(segment, str):
            field = annotation.model_fields.get(segment)
            annotation = field.annotation if field else None
        elif typing.get_origin(annotation) is list and isinstance(segment, int):
            annotation = typing.get_args(annotation)[0]
        elif typing.get_origin(annotation) is dict:
            annotation = typing.get_args(annotation)[1]
        else:
            return []
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


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
