"""A rule is a pure function plus metadata; the same rule runs in CrossGuard and offline.

Rule functions read `props` through pulumi_policy's unknown-checking proxy, exactly as the
CrossGuard analyzer hands them over: touching a value that is unknown at preview raises
`UnknownValueError`. Resource rules let it propagate (the whole resource cannot be evaluated);
stack rules catch it per resource with `per_resource`, so one unknown does not hide the others.

A rule may also prove a pass that preview values alone cannot show: an encryption key input that is
unknown at preview, but comes only from a KMS key created in the same stack (`proven_key`, read from
the dependency graph). It yields a `Proof`, which is recorded, never counted as a finding.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from mlstack.blueprints.errors import shown
from mlstack.components.naming import PROD_ENVIRONMENTS
from mlstack.policies.settings import Level, PolicySettings

SeverityName = Literal["low", "medium", "high", "critical"]
OutcomeKind = Literal["violation", "unknown", "error", "pass"]

# The offline plan's marker (stack.plan.engine.UNKNOWN_TEXT) plus every sentinel the Pulumi engine
# uses for unknowns (pulumi_policy/proxy.py; `pulumi preview --json` shows the same strings).
OFFLINE_UNKNOWN_TEXT = "(known after apply)"
PULUMI_UNKNOWN_SENTINELS = frozenset(
    {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
        UNKNOWN_STRING_VALUE,
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
        "030794c1-ac77-496b-92df-f27374a8bd58",
        "e48ece36-62e2-4504-bad9-02848725956a",
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
    }
)
UNKNOWN_MARKERS = frozenset({OFFLINE_UNKNOWN_TEXT, *PULUMI_UNKNOWN_SENTINELS})

_KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SEVERITIES: tuple[SeverityName, ...] = ("low", "medium", "high", "critical")


class ResourceView(Protocol):
    """What a resource rule reads: the shape of `pulumi_policy.ResourceValidationArgs`."""

    resource_type: str
    props: Mapping[str, Any]
    urn: str
    name: str


class StackResourceView(Protocol):
    """A resource as stack rules see it: the shape of `pulumi_policy.PolicyResource`."""

    resource_type: str
    props: Mapping[str, Any]
    urn: str
    name: str

    @property
    def parent(self) -> Any: ...

    @property
    def dependencies(self) -> Sequence[Any]: ...


class StackView(Protocol):
    """The shape of `pulumi_policy.StackValidationArgs`."""

    @property
    def resources(self) -> Sequence[Any]: ...


@dataclass(frozen=True)
class Violation:
    """One finding of a rule. `unknown` names the field that prevented evaluation, if any;
    `advisory` marks a finding that never blocks, whatever the rule's level (a warning); `error`
    marks a resource the rule could not judge (it failed closed on it, see `per_resource`)."""

    message: str
    urn: str | None = None
    unknown: str | None = None
    advisory: bool = False
    error: bool = False


class MalformedInput(ValueError):
    """An input of a shape no provider accepts (a number where a key ARN goes, a string where a list
    of statements goes): the rule cannot judge it, so it fails closed, as a rule that raises does."""


def failed_closed(error: Exception) -> str:
    """The message of an "error" outcome: what stopped the rule, which therefore fails closed."""
    if isinstance(error, MalformedInput):
        return f"cannot read its input, so it fails closed: {error}"
    return f"rule failed, so it fails closed: {type(error).__name__}: {error}"


@dataclass(frozen=True)
class Proof:
    """A pass the rule proved though the value it judges is unknown at preview (kind "pass")."""

    message: str
    urn: str | None = None


class UpdateStepView(Protocol):
    """One step of an update plan (`stack.plan.lifecycle.UpdateStep`)."""

    op: str
    urn: str
    type: str
    old_inputs: Mapping[str, Any] | None
    new_inputs: Mapping[str, Any] | None
    replace_reasons: tuple[str, ...]
    delete_before_replace: bool
    dependents: tuple[str, ...]

    @property
    def name(self) -> str: ...


class UpdateView(Protocol):
    """What update rules read: the steps a `pulumi up` over the deployed stack would take."""

    @property
    def steps(self) -> Sequence[Any]: ...


ResourceCheck = Callable[[ResourceView, PolicySettings], Iterable[Violation | Proof | str]]
StackCheck = Callable[[StackView, PolicySettings], Iterable[Violation | Proof]]
UpdateCheck = Callable[[UpdateView, PolicySettings], Iterable[Violation]]


@dataclass(frozen=True)
class Outcome:
    """A rule's result on one subject, before levels and suppressions are applied."""

    kind: OutcomeKind
    message: str
    urn: str | None
    advisory: bool = False


def unknown_field(error: UnknownValueError) -> str:
    return ".".join(str(p) for p in error.props) or "(value)"


def cannot_evaluate(error: UnknownValueError, urn: str | None = None) -> Violation:
    field_path = unknown_field(error)
    return Violation(f"cannot evaluate during preview: {field_path} is unknown", urn, unknown=field_path)


@dataclass(frozen=True)
class Rule:
    """One policy rule: metadata plus a pure check function."""

    name: str
    description: str
    severity: SeverityName
    remediation: str
    check: ResourceCheck | StackCheck | UpdateCheck
    # "update" rules judge what a `pulumi up` would do to a deployed stack: they need an update plan
    # (`mlstack check --base`), which CrossGuard's analyzer does not hand to policies.
    kind: Literal["resource", "stack", "update"]
    # Resource rules only: the types checked; empty means every resource.
    resource_types: tuple[str, ...] = ()
    checkov: tuple[str, ...] = ()
    cdk_nag: tuple[str, ...] = ()
    aws_config: tuple[str, ...] = ()
    # Per-environment default levels for this rule ("*" for any other environment).
    default_levels: Mapping[str, Level] = field(default_factory=dict)
    # Resource rules only: the check reads the dependency graph (`property_dependencies`, see
    # `proven_key`), which the CrossGuard analyzer hands to stack policies only. CrossGuard runs
    # such a rule as a stack policy over the resources of its types; offline evaluation hands it
    # the same `PolicyResource`s.
    reads_graph: bool = False

    def __post_init__(self) -> None:
        if not _KEBAB.match(self.name):
            raise ValueError(f"rule name {self.name!r} is not kebab-case")
        if not self.description.startswith("Checks whether"):
            raise ValueError(f"{self.name}: description must start with 'Checks whether'")
        if self.severity not in SEVERITIES:
            raise ValueError(f"{self.name}: severity {self.severity!r} is not one of {SEVERITIES}")
        if not self.remediation.strip():
            raise ValueError(f"{self.name}: remediation is required")
        if self.reads_graph and self.kind != "resource":
            raise ValueError(f"{self.name}: reads_graph is for resource rules (stack rules see the graph already)")

    def applies_to(self, resource_type: str) -> bool:
        return self.kind == "resource" and (not self.resource_types or resource_type in self.resource_types)

    def evaluate(self, args: Any, settings: PolicySettings) -> list[Outcome]:
        """Run the check; unknowns become "unknown" outcomes and any crash an "error" one (fail closed)."""
        subject = args.urn if self.kind == "resource" else None
        outcomes: list[Outcome] = []
        try:
            for item in self.check(args, settings):
                if isinstance(item, Proof):
                    outcomes.append(Outcome("pass", item.message, item.urn if item.urn is not None else subject))
                    continue
                found = Violation(item, subject) if isinstance(item, str) else item
                urn = found.urn if found.urn is not None else subject
                kind: OutcomeKind = "error" if found.error else "unknown" if found.unknown else "violation"
                outcomes.append(Outcome(kind, found.message, urn, advisory=found.advisory))
        except UnknownValueError as error:
            outcomes.append(Outcome("unknown", cannot_evaluate(error).message, subject))
        except Exception as error:  # noqa: BLE001 (a crashing rule must fail closed, whatever it raised)
            outcomes.append(Outcome("error", failed_closed(error), subject))
        return outcomes

    def to_policy(self, settings: PolicySettings) -> ResourceValidationPolicy | StackValidationPolicy:
        """The CrossGuard policy object, running the same check."""
        if self.kind == "resource":
            return MlstackGraphPolicy(self, settings) if self.reads_graph else MlstackResourcePolicy(self, settings)
        if self.kind == "update":
            raise ValueError(f"{self.name} judges update plans, which CrossGuard policies never see")
        return MlstackStackPolicy(self, settings)

    @property
    def peer_ids(self) -> dict[str, tuple[str, ...]]:
        return {"checkov": self.checkov, "cdk_nag": self.cdk_nag, "aws_config": self.aws_config}


_SEVERITY = {s.value: s for s in Severity}
_ENFORCEMENT = {e.value: e for e in EnforcementLevel}


def _report(rule: Rule, settings: PolicySettings, outcomes: list[Outcome], report: ReportViolation) -> None:
    """Report outcomes to CrossGuard: suppressed ones are dropped, unknowns become its own advisory,
    and a proven pass reports nothing (CrossGuard has no passes to show). An advisory outcome is
    reported only when the policy is not mandatory: CrossGuard cannot lower one violation's level."""
    unknown: list[str] = []
    mandatory = settings.level_for(rule.name, rule.default_levels) == "mandatory"
    for outcome in outcomes:
        if outcome.kind == "pass" or (outcome.advisory and mandatory):
            continue
        name = outcome.urn.rsplit("::", 1)[-1] if outcome.urn else "*"
        if settings.suppression_for(rule.name, name) is not None:
            continue
        if outcome.kind == "unknown":
            unknown.append(outcome.message)
            continue
        report(outcome.message, outcome.urn)
    if unknown:
        # The analyzer turns UnknownValueError into an advisory "can't run policy during preview".
        error = UnknownValueError(UNKNOWN_STRING_VALUE, [])
        error.message = "; ".join(unknown)
        raise error


class MlstackResourcePolicy(ResourceValidationPolicy):
    """A CrossGuard resource policy running an mlstack rule."""

    def __init__(self, rule: Rule, settings: PolicySettings) -> None:
        self.rule = rule
        self.settings = settings

        def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
            if rule.applies_to(args.resource_type):
                _report(rule, settings, rule.evaluate(args, settings), report)

        super().__init__(
            name=rule.name,
            description=rule.description,
            validate=validate,
            enforcement_level=_ENFORCEMENT[settings.level_for(rule.name, rule.default_levels)],
            severity=_SEVERITY[rule.severity],
            remediation_steps=rule.remediation,
            tags=[f"{peer}:{rule_id}" for peer, ids in rule.peer_ids.items() for rule_id in ids],
        )


class MlstackStackPolicy(StackValidationPolicy):
    """A CrossGuard stack policy running an mlstack rule."""

    def __init__(self, rule: Rule, settings: PolicySettings) -> None:
        self.rule = rule
        self.settings = settings

        def validate(args: StackValidationArgs, report: ReportViolation) -> None:
            _report(rule, settings, rule.evaluate(args, settings), report)

        super().__init__(
            name=rule.name,
            description=rule.description,
            validate=validate,
            enforcement_level=_ENFORCEMENT[settings.level_for(rule.name, rule.default_levels)],
            severity=_SEVERITY[rule.severity],
            remediation_steps=rule.remediation,
            tags=[f"{peer}:{rule_id}" for peer, ids in rule.peer_ids.items() for rule_id in ids],
        )


class MlstackGraphPolicy(StackValidationPolicy):
    """A CrossGuard stack policy running a resource rule that reads the dependency graph on each
    resource of its types: only stack policies get `PolicyResource.property_dependencies`."""

    def __init__(self, rule: Rule, settings: PolicySettings) -> None:
        self.rule = rule
        self.settings = settings

        def validate(args: StackValidationArgs, report: ReportViolation) -> None:
            outcomes = [
                outcome
                for resource in args.resources
                if rule.applies_to(resource.resource_type)
                for outcome in rule.evaluate(resource, settings)
            ]
            _report(rule, settings, outcomes, report)

        super().__init__(
            name=rule.name,
            description=rule.description,
            validate=validate,
            enforcement_level=_ENFORCEMENT[settings.level_for(rule.name, rule.default_levels)],
            severity=_SEVERITY[rule.severity],
            remediation_steps=rule.remediation,
            tags=[f"{peer}:{rule_id}" for peer, ids in rule.peer_ids.items() for rule_id in ids],
        )


# --- helpers for rule bodies ---------------------------------------------------------------------


def checking_props(inputs: Mapping[str, Any]) -> Mapping[str, Any]:
    """Wire inputs as CrossGuard presents them: unknown markers become sentinels behind the proxy."""

    def normalise(value: Any) -> Any:
        if isinstance(value, str) and value in UNKNOWN_MARKERS:
            return UNKNOWN_STRING_VALUE
        if isinstance(value, Mapping):
            return {str(k): normalise(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [normalise(v) for v in value]
        return value

    return unknown_checking_proxy(normalise(dict(inputs)))


def has_key(mapping: Any, key: str) -> bool:
    """Whether `key` is set, without reading its (possibly unknown) value."""
    return isinstance(mapping, Mapping) and any(k == key for k in iter(mapping))


_MISSING: Any = object()


def peek(value: Any, *path: str | int) -> Any:
    """The value at `path`, or None when absent or unknown: for matching resources, never for verdicts."""
    try:
        for step in path:
            if isinstance(step, int):
                if not isinstance(value, Sequence) or isinstance(value, str) or step >= len(value):
                    return None
                value = value[step]
            else:
                if not isinstance(value, Mapping) or not has_key(value, step):
                    return None
                value = value[step]
    except UnknownValueError:
        return None
    if isinstance(value, str) and value in UNKNOWN_MARKERS:
        return None
    return value


def dig(value: Any, *path: str | int) -> Any:
    """The value at `path`, None when absent; raises UnknownValueError when unknown."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, Sequence) or isinstance(value, str) or step >= len(value):
                return None
            value = value[step]
        else:
            if not isinstance(value, Mapping) or not has_key(value, step):
                return None
            value = value[step]
    return value


InputKind = Literal["string", "number", "boolean", "object", "list"]
_ARTICLE = {"string": "a string", "number": "a number", "boolean": "a boolean", "object": "an object", "list": "a list"}


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _is_kind(value: Any, kind: InputKind) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "object":
        return isinstance(value, Mapping)
    return _is_list(value)


_KINDS: tuple[InputKind, ...] = ("boolean", "number", "string", "object", "list")


def json_kind(value: Any) -> str:
    """A value's kind as JSON names it, with its article: `a number`, `an object`, `null`."""
    if value is None:
        return "null"
    return next((_ARTICLE[kind] for kind in _KINDS if _is_kind(value, kind)), type(value).__name__)


def _described(value: Any) -> str:
    """A wrong value as JSON names it: `a number (7)`, `a string ('x')`, `an object`, `a list`."""
    kind = json_kind(value)
    if kind in (_ARTICLE["string"], _ARTICLE["number"], _ARTICLE["boolean"]):
        return f"{kind} ({shown(value) if isinstance(value, str) else json.dumps(value)})"
    return kind


def input_path(path: Sequence[str | int]) -> str:
    """`("productionVariants", 0, "instanceType")` -> `productionVariants[0].instanceType`."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text


def typed_input(value: Any, *path: str | int, kind: InputKind) -> Any:
    """The input at `path`, read for a verdict: None when absent (or null); raises MalformedInput
    when it, or an object or list on the way to it, has another type than the provider accepts, and
    UnknownValueError when it is unknown at preview. `if not dig(...)` would pass a `kmsKeyArn: 7`
    or an `onlineStoreConfig: "yes"`; this reports it, so the rule fails closed."""
    walked: list[str | int] = []
    for step in path:
        if value is None:
            return None
        if isinstance(step, int):
            if not _is_list(value):
                raise MalformedInput(f"{input_path(walked) or 'the input'} is {_described(value)}, expected a list")
            if step >= len(value):
                return None
        else:
            if not isinstance(value, Mapping):
                raise MalformedInput(f"{input_path(walked) or 'the input'} is {_described(value)}, expected an object")
            if not has_key(value, step):
                return None
        value = value[step]
        walked.append(step)
    if value is not None and not _is_kind(value, kind):
        raise MalformedInput(f"{input_path(walked) or 'the input'} is {_described(value)}, expected {_ARTICLE[kind]}")
    return value


def string_input(value: Any, *path: str | int) -> str | None:
    """A string input (a key ARN, a name, an instance type), None when absent; see `typed_input`."""
    found: str | None = typed_input(value, *path, kind="string")
    return found


def bool_input(value: Any, *path: str | int) -> bool | None:
    found: bool | None = typed_input(value, *path, kind="boolean")
    return found


def number_input(value: Any, *path: str | int) -> float | None:
    found: float | None = typed_input(value, *path, kind="number")
    return found


def object_input(value: Any, *path: str | int) -> Mapping[str, Any] | None:
    found: Mapping[str, Any] | None = typed_input(value, *path, kind="object")
    return found


def list_input(value: Any, *path: str | int) -> list[Any]:
    """A list input's items (absent = empty), as `items` gives them."""
    found = typed_input(value, *path, kind="list")
    return [] if found is None else list(found)


def items(value: Any) -> list[Any]:
    """A list input as a list (absent = empty)."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return []


def count(value: Any) -> int:
    """How many items a list input has, without reading them (they may be unknown)."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        return len(value)
    return 0


def tags_of(props: Mapping[str, Any]) -> dict[str, str] | None:
    """Tags as a dict: pulumi-aws uses a map, aws-native a list of {key, value}. None when untagged."""
    if not has_key(props, "tags"):
        return None
    raw = props["tags"]
    if raw is None:
        return None
    if isinstance(raw, Mapping):
        return {str(k): str(raw[k]) for k in raw}
    tags: dict[str, str] = {}
    for index in range(len(list_input(props, "tags"))):
        key = string_input(props, "tags", index, "key")
        if key is None:
            raise MalformedInput(f"tags[{index}] has no key")
        tags[key] = str(dig(props, "tags", index, "value") or "")
    return tags


def environment_of(props: Mapping[str, Any], settings: PolicySettings) -> str:
    """Our resources carry an `environment` tag; otherwise the configured environment."""
    try:
        tags = tags_of(props) or {}
    except UnknownValueError:
        tags = {}
    return tags.get("environment") or settings.environment


def is_prod(environment: str) -> bool:
    return environment in PROD_ENVIRONMENTS


def of_type(resources: Iterable[Any], *types: str) -> list[Any]:
    """The resources of `types`, in stack order (a stack rule reads `index_of(args.resources)` instead)."""
    return [r for r in resources if r.resource_type in types]


T = TypeVar("T")


class StackIndex:
    """Lookups over one stack's resources, built once: by URN, by type, and whatever a rule module
    derives from them (`memo`: names -> resources, dependency -> dependents). Stack rules join
    resources (endpoint -> configuration -> model, alarm -> endpoint, bucket -> its settings); done
    by scanning, each join costs the stack's size, and a stack rule over a 40,000-resource preview
    took minutes. With the index each join is a dictionary lookup."""

    def __init__(self, resources: Sequence[Any]) -> None:
        self.resources = resources
        self.size = len(resources)
        self.by_urn: dict[str, Any] = {}
        self._order: dict[int, int] = {}
        self._by_types: dict[tuple[str, ...], tuple[Any, ...]] = {}
        self._memo: dict[Hashable, Any] = {}
        for position, resource in enumerate(resources):
            self.by_urn.setdefault(resource.urn, resource)
            self._order[id(resource)] = position

    def of_type(self, *types: str) -> tuple[Any, ...]:
        found = self._by_types.get(types)
        if found is None:
            wanted = frozenset(types)
            found = self._by_types[types] = tuple(r for r in self.resources if r.resource_type in wanted)
        return found

    def in_stack_order(self, resources: Iterable[Any]) -> list[Any]:
        """`resources` (of this stack) once each, in stack order."""
        unique = {id(r): r for r in resources}
        return [unique[key] for key in sorted(unique, key=lambda key: self._order.get(key, -1))]

    def memo(self, key: Hashable, build: Callable[[], T]) -> T:
        """`build()`, computed once per index: a rule module's own lookup table."""
        if key not in self._memo:
            self._memo[key] = build()
        found: T = self._memo[key]
        return found

    def dependents(self, target: Any, *types: str) -> list[Any]:
        """The resources of `types` that depend on `target`, in stack order."""
        by_dependency = self.memo(("dependents", types), lambda: self._dependents_of(types))
        return list(by_dependency.get(target.urn, ()))

    def _dependents_of(self, types: tuple[str, ...]) -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = {}
        for resource in self.of_type(*types):
            for urn in {getattr(d, "urn", None) for d in resource.dependencies}:
                if isinstance(urn, str):
                    found.setdefault(urn, []).append(resource)
        return found

    def depended_on(self, resource: Any, *types: str) -> list[Any]:
        """The resources of `types` in this stack that `resource` depends on, in stack order."""
        wanted = frozenset(types)
        found = (self.by_urn.get(getattr(d, "urn", "")) for d in resource.dependencies)
        return self.in_stack_order(r for r in found if r is not None and r.resource_type in wanted)

    def named(self, prop: str, *types: str) -> dict[str, list[Any]]:
        """The resources of `types` by the string value of their input `prop` (peeked: unknown or
        absent names are left out), each list in stack order."""
        return self.memo(("named", prop, types), lambda: self._named(prop, types))

    def _named(self, prop: str, types: tuple[str, ...]) -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = {}
        for resource in self.of_type(*types):
            name = peek(resource.props, prop)
            if isinstance(name, str):
                found.setdefault(name, []).append(resource)
        return found


_last_index: tuple[Sequence[Any], StackIndex] | None = None


def index_of(resources: Sequence[Any]) -> StackIndex:
    """The index of `resources`, built on first use and reused while the same list is passed: every
    stack rule of one evaluation gets the same `args.resources` offline, and each CrossGuard stack
    policy its own list. One slot, holding the list itself, so its id cannot be reused meanwhile."""
    global _last_index  # noqa: PLW0603 (a one-slot cache)
    cached = _last_index
    if cached is not None and cached[0] is resources and cached[1].size == len(resources):
        return cached[1]
    index = StackIndex(resources)
    _last_index = (resources, index)
    return index


def per_resource(resources: Iterable[Any], check: Callable[[Any], Iterable[str]]) -> Iterator[Violation]:
    """Run `check` on each resource; an unknown value, a malformed input or a crash stops only that
    resource's evaluation (the last two fail closed on it, as `Rule.evaluate` does on a whole rule)."""
    for resource in resources:
        try:
            for message in check(resource):
                yield Violation(message, resource.urn)
        except UnknownValueError as error:
            yield cannot_evaluate(error, resource.urn)
        except Exception as error:  # noqa: BLE001 (fail closed on this resource, whatever it raised)
            yield Violation(failed_closed(error), resource.urn, error=True)


def depends_on(resource: Any, target: Any) -> bool:
    return any(d is target or getattr(d, "urn", None) == target.urn for d in resource.dependencies)


# --- the dependency graph: which resources an input comes from ------------------------------------

KMS_KEY_TYPE = "aws:kms/key:Key"
KMS_ALIAS_TYPE = "aws:kms/alias:Alias"


def input_sources(resource: Any, prop: str) -> list[Any] | None:
    """The resources of this stack the top-level input `prop` depends on; None when the resource
    carries no per-property dependencies at all (a ResourceValidationArgs, or a preview document
    without `propertyDependencies`), so the graph cannot say."""
    by_property = getattr(resource, "property_dependencies", None)
    if not by_property:
        return None
    return list(by_property.get(prop) or ())


def stack_keys_behind(resource: Any, prop: str, _seen: frozenset[str] = frozenset()) -> list[Any]:
    """The KMS keys created in this stack that input `prop` comes from. Empty unless every resource
    the input depends on is such a key, or an alias whose `targetKeyId` comes from one: with any
    other source in the mix, the graph cannot tell which of them the value is."""
    sources = input_sources(resource, prop) or []
    keys: dict[str, Any] = {}
    for source in sources:
        if source.resource_type == KMS_KEY_TYPE:
            keys[source.urn] = source
        elif source.resource_type == KMS_ALIAS_TYPE and source.urn not in _seen:
            behind = stack_keys_behind(source, "targetKeyId", _seen | {source.urn})
            if not behind:
                return []
            keys.update((k.urn, k) for k in behind)
        else:
            return []
    return list(keys.values())


def proven_key(resource: Any, *path: str | int) -> Proof | None:
    """A proof that the KMS key input at `path` (from the top of the resource's inputs), unknown
    at preview, is a key created in this stack: the dependency graph says its top-level input
    comes from nothing else. None when the value is known or absent (judge it as usual), when
    something above it is unknown, or when its source is not only this stack's keys."""
    try:
        dig(resource.props, *path)
        return None
    except UnknownValueError as error:
        if unknown_field(error) != ".".join(str(step) for step in path):
            return None  # an enclosing object is unknown: the key input may not even be set
    keys = stack_keys_behind(resource, str(path[0]))
    if not keys:
        return None
    names = ", ".join(sorted(k.name for k in keys))
    field_path = ".".join(str(step) for step in path)
    return Proof(
        f"{field_path} comes from KMS key {names} of this stack: encrypted with the platform key (known after apply)",
        resource.urn,
    )


# `pulumi preview --json` shows every secret input as this string (pkg/backend/display/json.go).
PREVIEW_SECRET = "[secret]"
_STATEMENT_LISTS = ("Action", "NotAction", "Resource", "NotResource")


def policy_document(raw: Any) -> dict[str, Any]:
    """An IAM policy document given as JSON text or as an object; MalformedInput when it is neither."""
    if isinstance(raw, str):
        if raw == PREVIEW_SECRET:
            raise MalformedInput("the policy is a secret (the preview shows '[secret]'): its statements cannot be read")
        try:
            loaded = json.loads(raw)
        except (ValueError, RecursionError) as error:
            raise MalformedInput(f"the policy is not JSON: {error}") from None
    elif isinstance(raw, Mapping):
        loaded = json.loads(json.dumps(_plain(raw)))
    else:
        raise MalformedInput(f"the policy is {_described(raw)}, expected JSON text or an object")
    if not isinstance(loaded, dict):
        raise MalformedInput(f"the policy is {_described(loaded)}, expected an object with a Statement")
    return loaded


def policy_statements(raw: Any) -> list[dict[str, Any]]:
    """The statements of an IAM policy document, normalised as IAM reads them: a single statement
    object is a list of one, and so is a single Action, NotAction, Resource or NotResource string.
    Anything IAM would refuse (no Statement, a JSON string in place of the list, an Effect other than
    Allow or Deny, an Action that is a number) raises MalformedInput: a rule cannot judge it."""
    document = policy_document(raw)
    if "Statement" not in document:
        raise MalformedInput("the policy has no Statement")
    listed = document["Statement"]
    if isinstance(listed, dict):
        listed = [listed]
    if not isinstance(listed, list):
        raise MalformedInput(f"Statement is {_described(listed)}, expected a statement object or a list of them")
    statements: list[dict[str, Any]] = []
    for index, statement in enumerate(listed):
        if not isinstance(statement, dict):
            raise MalformedInput(f"Statement[{index}] is {_described(statement)}, expected an object")
        normalised = dict(statement)
        effect = statement.get("Effect")
        if effect not in ("Allow", "Deny"):
            effect_text = "missing" if effect is None else _described(effect)
            raise MalformedInput(f"Statement[{index}].Effect is {effect_text}, expected Allow or Deny")
        for key in _STATEMENT_LISTS:
            if key not in statement:
                continue
            value = as_list(statement[key])
            if not all(isinstance(v, str) for v in value):
                raise MalformedInput(f"Statement[{index}].{key} is {_described(statement[key])}, expected strings")
            normalised[key] = value
        condition = statement.get("Condition")
        if condition is not None and not isinstance(condition, dict):
            raise MalformedInput(f"Statement[{index}].Condition is {_described(condition)}, expected an object")
        statements.append(normalised)
    return statements


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(value[k]) for k in value}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_plain(v) for v in value]
    return value


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]
