"""The update-aware plan: what a real `pulumi up` would do to a stack that already exists.

The offline engine shows every resource as created, because Pulumi's mocks know only creation. A
second `pulumi up` compares the program's new inputs with the stack's state and asks each
provider whether a change updates the resource in place or replaces it. This module does the
same from the providers' own rules (`stack.plan.replace_rules`, which cites where each rule was
read):

- a resource only in the base is deleted, one only in the new plan is created;
- a resource in both is `same` when no input differs, `update` when only updatable inputs differ,
  and `replace` when an input the provider marks ForceNew (pulumi-aws, from the Terraform schema)
  or create-only (aws-native, from the CloudFormation schema) differs;
- a replacement deletes the old resource first (`deleteBeforeReplace`) when the provider asks for
  it, which the Terraform bridge does whenever the physical name is set explicitly, unless the
  program set `delete_before_replace=False`; otherwise the replacement is created first and the old
  resource deleted at the end of the update.

Values a provider computes (ARNs, ids) are unknown in the new plan. As in `pulumi preview`, such a
value counts as changed only when a resource it depends on is created or replaced: only then does
its id change.

The base is the same blueprint planned at a git revision, an earlier `mlstack plan --json`, or a
`pulumi stack export`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from mlstack.blueprints.errors import BlueprintInvalid, Problem
from mlstack.stack.plan import replace_rules
from mlstack.stack.plan.engine import SECRET_TEXT, UNKNOWN_TEXT, Plan

Op = Literal["same", "create", "update", "replace", "delete"]
OPS: tuple[Op, ...] = ("same", "create", "update", "replace", "delete")
STACK_TYPE = "pulumi:pulumi:Stack"
# How Pulumi marks a secret in a stack export's inputs (sdk/go/common/resource/sig).
_SECRET_SIGNATURE = ("4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270")
# A replacement for a type the table does not know is reported, never guessed to be an update.
NO_RULE_REASON = "(no replace rule for this type: assumed to replace)"


@dataclass(frozen=True)
class BaseResource:
    """A resource as the stack had it before the update."""

    urn: str
    type: str
    custom: bool
    inputs: Mapping[str, Any]
    parent: str | None
    dependencies: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]


@dataclass(frozen=True)
class UpdateStep:
    """One resource's operation, in the shape of a `pulumi preview --json` step."""

    op: Op
    urn: str
    type: str
    custom: bool
    old_inputs: Mapping[str, Any] | None
    new_inputs: Mapping[str, Any] | None
    diff_reasons: tuple[str, ...] = ()
    """Every input path that differs."""
    replace_reasons: tuple[str, ...] = ()
    """The input paths that force the replacement, as the provider's rule names them."""
    delete_before_replace: bool = False
    """The old resource is deleted before its replacement exists."""
    dependents: tuple[str, ...] = ()
    """Resources that used this one before the update and still exist after it."""

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]


@dataclass(frozen=True)
class UpdatePlan:
    """Every step of one update, in the order `pulumi up` would register them (deletes last)."""

    stack: str
    base_label: str
    steps: tuple[UpdateStep, ...]
    plan: Plan

    def counts(self) -> dict[Op, int]:
        custom = [s for s in self.steps if s.custom]
        return {op: sum(1 for s in custom if s.op == op) for op in OPS}

    def step(self, urn: str) -> UpdateStep:
        for step in self.steps:
            if step.urn == urn:
                return step
        raise KeyError(f"no step for {urn}")

    def by_name(self, resource_type: str, name: str) -> UpdateStep:
        for step in self.steps:
            if step.type == resource_type and step.name == name:
                return step
        raise KeyError(f"no {resource_type} named {name!r} in the update")

    @property
    def changed(self) -> bool:
        return any(s.op != "same" for s in self.steps)


def base_from_plan(plan: Plan) -> list[BaseResource]:
    """An earlier offline plan as the stack's state."""
    return [BaseResource(r.urn, r.type, r.custom, r.inputs, r.parent, r.dependencies) for r in plan.resources]


def read_base_file(path: Path) -> list[BaseResource]:
    """An `mlstack plan --json` output or a `pulumi stack export` file as the stack's state."""
    shown = str(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BlueprintInvalid([Problem(shown, 1, 1, "", f"cannot read file: {error.strerror}")]) from None
    except UnicodeDecodeError:
        raise BlueprintInvalid([Problem(shown, 1, 1, "", "not UTF-8 text")]) from None
    except (json.JSONDecodeError, RecursionError) as error:
        line, column = (error.lineno, error.colno) if isinstance(error, json.JSONDecodeError) else (1, 1)
        message = error.msg if isinstance(error, json.JSONDecodeError) else "nested too deeply"
        raise BlueprintInvalid([Problem(shown, line, column, "", f"not JSON: {message}")]) from None
    rows: list[Any]
    if isinstance(document, dict) and isinstance(document.get("steps"), list):
        rows = [step.get("newState") if isinstance(step, dict) else None for step in document["steps"]]
        where = "steps[].newState"
    elif isinstance(document, dict) and isinstance(document.get("deployment"), dict):
        listed: Any = document["deployment"].get("resources")
        where = "deployment.resources[]"
        rows = listed if isinstance(listed, list) else ([None] if listed is not None else [])
    else:
        message = "neither an `mlstack plan --json` output (steps) nor a `pulumi stack export` (deployment)"
        raise BlueprintInvalid([Problem(shown, 1, 1, "", message)])
    resources = []
    problems = []
    for index, row in enumerate(rows):
        resource = _base_resource(row)
        if resource is None:
            problems.append(Problem(shown, 1, 1, "", f"{where} item {index} is not a resource with a urn and a type"))
        elif resource.type != STACK_TYPE:
            resources.append(resource)
    if problems:
        raise BlueprintInvalid(problems)
    return resources


def _base_resource(row: Any) -> BaseResource | None:
    if not isinstance(row, dict) or not isinstance(row.get("urn"), str) or not isinstance(row.get("type"), str):
        return None
    inputs = row.get("inputs") if isinstance(row.get("inputs"), dict) else {}
    listed = row.get("dependencies")
    dependencies: list[Any] = listed if isinstance(listed, list) else []
    parent = row.get("parent") if isinstance(row.get("parent"), str) else None
    return BaseResource(
        urn=row["urn"],
        type=row["type"],
        custom=row.get("custom") is not False,
        inputs=_state_inputs(inputs),
        # The plan hangs top-level resources off the root (None), not off the stack resource.
        parent=None if parent is None or f"::{STACK_TYPE}::" in parent else parent,
        dependencies=tuple(sorted(d for d in dependencies if isinstance(d, str))),
    )


def _state_inputs(value: Any) -> Any:
    """Stack-state inputs as the plan shows them: secrets hidden, bookkeeping (`__defaults`) gone."""
    if isinstance(value, dict):
        if value.get(_SECRET_SIGNATURE[0]) == _SECRET_SIGNATURE[1]:
            return SECRET_TEXT
        return {k: _state_inputs(v) for k, v in sorted(value.items()) if not str(k).startswith("__")}
    if isinstance(value, list):
        return [_state_inputs(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def update_plan(base: Sequence[BaseResource], plan: Plan, base_label: str) -> UpdatePlan:
    """What `pulumi up` would do to a stack holding `base` when the program now plans `plan`."""
    before = {r.urn: r for r in base}
    after_urns = {r.urn for r in plan.resources}
    users: dict[str, list[str]] = {}
    for kept in base:
        if kept.urn in after_urns:
            for dependency in kept.dependencies:
                users.setdefault(dependency, []).append(kept.urn)
    # New ids: a dependent's unknown inputs may change only where one of these is among its dependencies.
    new_identity: set[str] = set()
    steps: list[UpdateStep] = []
    for planned in plan.resources:
        old = before.get(planned.urn)
        dependents = tuple(sorted(users.get(planned.urn, ())))
        if old is None:
            new_identity.add(planned.urn)
            steps.append(UpdateStep("create", planned.urn, planned.type, planned.custom, None, planned.inputs))
            continue
        if not planned.custom:
            steps.append(UpdateStep("same", planned.urn, planned.type, False, old.inputs, planned.inputs))
            continue
        ids_changed = any(d in new_identity for d in planned.dependencies)
        new_inputs = _resolve_unknowns(old.inputs, planned.inputs, keep_old=not ids_changed)
        step = _compare(planned.urn, planned.type, old.inputs, new_inputs, planned.options, dependents)
        if step.op == "replace":
            new_identity.add(planned.urn)
        steps.append(
            UpdateStep(
                step.op,
                planned.urn,
                planned.type,
                True,
                old.inputs,
                planned.inputs,
                step.diff_reasons,
                step.replace_reasons,
                step.delete_before_replace,
                dependents,
            )
        )
    # Deletes run last, dependents before what they depend on (the reverse of the base order).
    for gone in reversed(base):
        if gone.urn not in after_urns:
            steps.append(UpdateStep("delete", gone.urn, gone.type, gone.custom, gone.inputs, None))
    return UpdatePlan(plan.stack, base_label, tuple(steps), plan)


def _compare(
    urn: str,
    resource_type: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    options: Mapping[str, Any],
    dependents: tuple[str, ...],
) -> UpdateStep:
    if resource_type.startswith("pulumi:providers:"):
        old, new = _provider_config(old), _provider_config(new)
    ignored = tuple(options.get("ignoreChanges", ()))
    diff = [p for p in replace_rules.changed_paths(old, new) if not _under_any(p, ignored)]
    if not diff:
        return UpdateStep("same", urn, resource_type, True, old, new, dependents=dependents)
    try:
        reasons = replace_rules.replace_reasons(resource_type, old, new)
        provider_dbr = replace_rules.provider_delete_before_replace(resource_type, new, old=old)
    except replace_rules.UnknownResourceType:
        reasons, provider_dbr = [NO_RULE_REASON], True
    forced = [p for p in options.get("replaceOnChanges", ()) if any(_under_any(d, (p,)) for d in diff)]
    reasons = sorted({r for r in reasons if not _under_any(r, ignored)} | set(forced))
    if not reasons:
        return UpdateStep("update", urn, resource_type, True, old, new, tuple(diff), dependents=dependents)
    # The program's explicit choice overrides the provider's request (see replace_rules).
    delete_first = options.get("deleteBeforeReplace", provider_dbr)
    return UpdateStep(
        "replace", urn, resource_type, True, old, new, tuple(diff), tuple(reasons), bool(delete_first), dependents
    )


def _under_any(path: str, prefixes: Iterable[str]) -> bool:
    return any(path == p or path.startswith((f"{p}.", f"{p}[")) for p in prefixes)


def _resolve_unknowns(old: Any, new: Any, *, keep_old: bool) -> Any:
    """`new` with each unknown replaced by the old value, when nothing it could come from changed."""
    if isinstance(new, str) and new == UNKNOWN_TEXT:
        return old if keep_old and old is not None else new
    if isinstance(new, Mapping):
        old_map = old if isinstance(old, Mapping) else {}
        return {k: _resolve_unknowns(old_map.get(k), v, keep_old=keep_old) for k, v in new.items()}
    if isinstance(new, list):
        old_list = old if isinstance(old, list) and len(old) == len(new) else [None] * len(new)
        return [_resolve_unknowns(o, n, keep_old=keep_old) for o, n in zip(old_list, new, strict=True)]
    return new


def _provider_config(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Provider inputs compared as the engine stores them: strings, without the plugin version."""
    return {
        key: value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        for key, value in inputs.items()
        if key != "version"
    }
