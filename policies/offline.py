"""Run the pack's rules without the Pulumi CLI: over an offline plan or a `pulumi preview --json`.

Resources become `pulumi_policy.PolicyResource`s with props behind pulumi_policy's unknown-checking
proxy, so rules see exactly what the CrossGuard analyzer would give them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)

from mlstack.components.urns import type_of
from mlstack.policies.framework import Outcome, Rule, UpdateView, checking_props, index_of
from mlstack.policies.preview import SKIPPED_OPS, preview_problems
from mlstack.policies.rules import ALL_RULES
from mlstack.policies.settings import Level, PolicySettings, Suppression

if TYPE_CHECKING:
    from mlstack.stack.plan.engine import Plan

FindingLevel = Literal["advisory", "mandatory"]


@dataclass(frozen=True)
class SourceLocation:
    """The blueprint entry that made a finding's resource: where a reviewer fixes it."""

    file: str
    """The blueprint path as given on the command line, for people."""
    uri: str
    """The same file relative to its repository's root, for code scanning."""
    line: int
    column: int
    path: str
    """The blueprint path, e.g. `endpoints.fraud-scorer`."""


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    level: FindingLevel
    kind: Literal["violation", "unknown", "error"]
    urn: str
    name: str
    type: str
    message: str
    suppressed: bool = False
    suppression_reason: str | None = None
    location: SourceLocation | None = None

    @property
    def blocking(self) -> bool:
        return self.level == "mandatory" and not self.suppressed

    def at(self, location: SourceLocation) -> Finding:
        return dataclasses.replace(self, location=location)


@dataclass(frozen=True)
class Proven:
    """A pass a rule proved on a value unknown at preview (a `Proof`): shown, never a finding."""

    rule: str
    urn: str
    name: str
    type: str
    message: str
    kind: Literal["pass"] = "pass"
    location: SourceLocation | None = None

    def at(self, location: SourceLocation) -> Proven:
        return dataclasses.replace(self, location=location)


@dataclass(frozen=True)
class Report:
    environment: str
    rules: tuple[Rule, ...]
    findings: tuple[Finding, ...]
    suppressions: tuple[Suppression, ...]
    # (rule, urn) pairs a resource rule was evaluated on; ("rule", "") for each stack rule run.
    checked: tuple[tuple[str, str], ...]
    # Passes proven through the dependency graph; they count neither as findings nor for the exit code.
    proofs: tuple[Proven, ...] = ()
    # Blueprint location of every resource checked, when the blueprint is known (stack.plan.provenance).
    locations: Mapping[str, SourceLocation] = dataclasses.field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return 1 if any(f.blocking for f in self.findings) else 0

    def mandatory_violations(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    def located(self, where: Callable[[str], SourceLocation]) -> Report:
        """This report with the blueprint location `where(urn)` on every finding, proof and checked resource."""
        return dataclasses.replace(
            self,
            findings=tuple(f.at(where(f.urn)) for f in self.findings),
            proofs=tuple(p.at(where(p.urn)) for p in self.proofs),
            locations={urn: where(urn) for _, urn in self.checked if urn},
        )


def _options(parent: str | None) -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent)


def _name_of(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


Row = tuple[str, str, str, Mapping[str, Any], str | None, Sequence[str], Mapping[str, Sequence[str]]]


def _resources(rows: Iterable[Row]) -> list[PolicyResource]:
    """PolicyResources linked to their parent, dependencies and per-property dependencies, as the
    analyzer links them (a URN outside the stack is dropped, as the analyzer drops it)."""
    built: list[tuple[PolicyResource, Row]] = []
    for row in rows:
        urn, type_, name, inputs, parent, _, _ = row
        resource = PolicyResource(type_, checking_props(inputs), urn, name, _options(parent), None, None, [], {})
        built.append((resource, row))
    by_urn = {r.urn: r for r, _ in built}
    for resource, (_, _, _, _, parent, dependencies, property_dependencies) in built:
        resource.parent = by_urn.get(parent) if parent else None
        resource.dependencies = [by_urn[d] for d in dependencies if d in by_urn]
        resource.property_dependencies = {
            str(prop): [by_urn[d] for d in urns if d in by_urn] for prop, urns in property_dependencies.items()
        }
    return [r for r, _ in built]


def from_plan(plan: Plan) -> list[PolicyResource]:
    """The custom resources of an offline plan (components carry no cloud settings)."""
    return _resources(
        (r.urn, r.type, r.name, r.inputs, r.parent, r.dependencies, r.property_dependencies)
        for r in plan.resources
        if r.custom
    )


def from_preview_json(data: Any) -> list[PolicyResource]:
    """Resources of a `pulumi preview --json` document (`steps[].newState`, an apitype.ResourceV3 with
    `propertyDependencies`); deletions, components and the stack and providers are skipped, and a
    URN that several steps give with the same state (replacement steps) is one resource.

    Raises PreviewInvalid when the document's shape is not a preview's (`preview_problems`): rules
    never see a malformed resource."""
    invalid = preview_problems(data)
    if invalid is not None:
        raise invalid
    rows: list[Row] = []
    seen: set[str] = set()
    for step in data["steps"]:
        state = step.get("newState")
        if not state or step["op"] in SKIPPED_OPS or state.get("custom") is False:
            continue
        type_, urn = state["type"], state["urn"]
        if type_.startswith("pulumi:") or urn in seen:
            continue
        seen.add(urn)
        rows.append(
            (
                urn,
                type_,
                _name_of(urn),
                state.get("inputs") or {},
                state.get("parent") or None,
                state.get("dependencies") or [],
                {prop: urns or [] for prop, urns in (state.get("propertyDependencies") or {}).items()},
            )
        )
    return _resources(rows)


def _level(rule: Rule, outcome: Outcome, settings: PolicySettings, configured: Level) -> FindingLevel:
    if outcome.kind == "unknown":
        return "advisory"  # as the CrossGuard analyzer reports a policy it cannot run during preview
    if outcome.advisory:
        return "advisory"  # a warning the rule never blocks on
    return "mandatory" if configured == "mandatory" else "advisory"


def evaluate(
    resources: Sequence[PolicyResource],
    settings: PolicySettings,
    rules: Sequence[Rule] = ALL_RULES,
    update: UpdateView | None = None,
) -> Report:
    """Evaluate every enabled rule; apply levels and suppressions.

    Update rules run only with `update`, the steps a `pulumi up` over the deployed stack would take.
    """
    by_urn = {r.urn: r for r in resources}
    stack = list(resources)
    # Built once, here, and shared by every stack rule (framework.index_of holds it for `stack`).
    index = index_of(stack)
    findings: list[Finding] = []
    proofs: list[Proven] = []
    checked: list[tuple[str, str]] = []

    def add(rule: Rule, configured: Level, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            urn = outcome.urn or ""
            resource = by_urn.get(urn)
            name = resource.name if resource is not None else (_name_of(urn) if urn else "")
            type_ = resource.resource_type if resource is not None else type_of(urn)
            if outcome.kind == "pass":
                proofs.append(Proven(rule.name, urn, name, type_, outcome.message))
                continue
            suppression = settings.suppression_for(rule.name, name or "*")
            findings.append(
                Finding(
                    rule=rule.name,
                    severity=rule.severity,
                    level=_level(rule, outcome, settings, configured),
                    kind=outcome.kind,
                    urn=urn,
                    name=name,
                    type=type_,
                    message=outcome.message,
                    suppressed=suppression is not None,
                    suppression_reason=suppression.reason if suppression else None,
                )
            )

    for rule in rules:
        configured = settings.level_for(rule.name, rule.default_levels)
        if configured == "disabled":
            continue
        if rule.kind == "update":
            if update is not None:
                checked.append((rule.name, ""))
                add(rule, configured, rule.evaluate(update, settings))
            continue
        policy: Any = rule.to_policy(settings)  # the very object the CrossGuard pack registers
        if rule.kind == "resource":
            # A typed rule visits only its types' resources (in stack order), not the whole stack.
            for resource in index.of_type(*rule.resource_types) if rule.resource_types else stack:
                if not rule.applies_to(resource.resource_type):
                    continue
                checked.append((rule.name, resource.urn))
                # A rule that reads the graph runs as a CrossGuard stack policy, on this very object.
                args: Any = (
                    resource
                    if rule.reads_graph
                    else ResourceValidationArgs(
                        resource.resource_type, resource.props, resource.urn, resource.name, resource.opts, None
                    )
                )
                add(rule, configured, policy.rule.evaluate(args, settings))
        else:
            checked.append((rule.name, ""))
            # One list for every stack rule, so they share its index (framework.index_of).
            add(rule, configured, policy.rule.evaluate(StackValidationArgs(stack), settings))
    return Report(
        settings.environment, tuple(rules), tuple(findings), settings.suppressions, tuple(checked), tuple(proofs)
    )
