"""Plan diffs: two environments of one blueprint, or the blueprint at a git revision and the working tree.

Resources are matched by type and logical name with the `<blueprint>-<environment>` prefix taken out,
so `recsys-dev-ranker-config` and `recsys-prod-ranker-config` are one resource, shown as
`recsys-<env>-ranker-config`. Their inputs are compared field by field, with changed fields named
as dotted paths of the Pulumi wire inputs (`productionVariants.champion.initialInstanceCount`): list
items are addressed by their `variantName`, `name`, `Sid` or `key` where they have one, else by
position; JSON documents held in strings (IAM policies) are compared inside.

Between environments, values are compared with each side's own prefix normalised the same way, a
string that is just the environment's name (the `environment` tag) read as `<env>`, and the content
digests of versioned names (`recsys-prod-ranker-f9351624`, see `components.naming.versioned_name`)
set aside: those differ whenever anything inside differs, and that content is compared itself.
Across a git revision the environment is the same, so digests are kept: a changed digest means
SageMaker replaces the model or configuration.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlstack.blueprints.load import ResolvedBlueprint
from mlstack.stack.cost.estimate import CostReport, LineItem, cost_report, usd
from mlstack.stack.cost.prices import PriceBook, short_type
from mlstack.stack.plan.engine import Plan, PlannedResource
from mlstack.stack.plan.revision import plan_at_revision

ENV_TOKEN = "<env>"
DIGEST_TOKEN = "<digest>"
_ID_KEYS = ("variantName", "name", "Sid", "key")
_VALUE_WIDTH = 80


class _Absent:
    """A field one side does not have."""

    def __repr__(self) -> str:
        return "(absent)"


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class FieldChange:
    """One input field that differs; `before` or `after` is ABSENT when that side lacks the field."""

    path: str
    before: Any
    after: Any


@dataclass(frozen=True)
class ResourceDiff:
    """A resource added, removed or changed, with its cost on each side."""

    type: str
    name: str
    """The logical name with the environment prefix normalised, e.g. `recsys-<env>-ranker-config`."""
    fields: tuple[FieldChange, ...] = ()
    before: LineItem | None = None
    after: LineItem | None = None

    @property
    def baseline_delta(self) -> float:
        return _baseline(self.after) - _baseline(self.before)

    @property
    def ceiling_delta(self) -> float:
        return _ceiling(self.after) - _ceiling(self.before)


@dataclass(frozen=True)
class PlanDiff:
    """What changes from `base` to `head`: resources and their inputs, and the monthly cost."""

    blueprint: str
    base_label: str
    head_label: str
    added: tuple[ResourceDiff, ...]
    removed: tuple[ResourceDiff, ...]
    changed: tuple[ResourceDiff, ...]
    unchanged: int
    base_cost: CostReport
    head_cost: CostReport

    @property
    def baseline_delta(self) -> float:
        return self.head_cost.baseline_usd - self.base_cost.baseline_usd

    @property
    def ceiling_delta(self) -> float:
        return self.head_cost.ceiling_usd - self.base_cost.ceiling_usd

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


# --- building a diff ------------------------------------------------------------------------------


def diff_plans(
    base: tuple[ResolvedBlueprint, Plan],
    head: tuple[ResolvedBlueprint, Plan],
    prices: PriceBook | None = None,
    *,
    base_label: str | None = None,
    head_label: str | None = None,
) -> PlanDiff:
    """Compare two planned environments (or two versions of one)."""
    book = prices or PriceBook()
    (base_resolved, base_plan), (head_resolved, head_plan) = base, head
    across = base_resolved.environment_name != head_resolved.environment_name
    base_norm = _Normalizer(base_resolved, digests=across)
    head_norm = _Normalizer(head_resolved, digests=across)
    base_cost, head_cost = cost_report(base_plan, base_resolved, book), cost_report(head_plan, head_resolved, book)
    base_items, head_items = base_cost.by_urn(), head_cost.by_urn()
    before = {base_norm.key(r): r for r in base_plan.resources if r.custom}
    after = {head_norm.key(r): r for r in head_plan.resources if r.custom}
    added, removed, changed = [], [], []
    unchanged = 0
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if old is None and new is not None:
            added.append(ResourceDiff(key[0], key[1], after=head_items.get(new.urn)))
        elif new is None and old is not None:
            removed.append(ResourceDiff(key[0], key[1], before=base_items.get(old.urn)))
        elif old is not None and new is not None:
            changes: list[FieldChange] = []
            _compare(base_norm.value(old.inputs), head_norm.value(new.inputs), "", changes)
            if changes:
                changed.append(
                    ResourceDiff(key[0], key[1], tuple(changes), base_items.get(old.urn), head_items.get(new.urn))
                )
            else:
                unchanged += 1
    return PlanDiff(
        blueprint=head_resolved.blueprint.blueprint,
        base_label=base_label or base_resolved.environment_name,
        head_label=head_label or head_resolved.environment_name,
        added=tuple(added),
        removed=tuple(removed),
        changed=tuple(changed),
        unchanged=unchanged,
        base_cost=base_cost,
        head_cost=head_cost,
    )


def diff_environments(path: Path, base_env: str, head_env: str, prices: PriceBook | None = None) -> PlanDiff:
    """`mlstack diff FILE --env base_env --env head_env`."""
    from mlstack.stack.plan import plan_file

    return diff_plans(plan_file(path, base_env), plan_file(path, head_env), prices)


def diff_revision(path: Path, environment: str, revision: str, prices: PriceBook | None = None) -> PlanDiff:
    """`mlstack diff FILE --env E --base REV`: the blueprint at git revision REV against the working tree."""
    from mlstack.stack.plan import plan_file

    head = plan_file(path, environment)
    base = plan_at_revision(path, environment, revision)
    return diff_plans(
        base,
        head,
        prices,
        base_label=f"{revision} ({environment})",
        head_label=f"working tree ({environment})",
    )


class _Normalizer:
    """Takes one environment's identity out of names and values, so environments compare."""

    def __init__(self, resolved: ResolvedBlueprint, *, digests: bool) -> None:
        blueprint, environment = resolved.blueprint.blueprint, resolved.environment_name
        self.environment = environment
        self.hyphen = f"{blueprint}-{ENV_TOKEN}"
        self.underscore = f"{blueprint.replace('-', '_')}_{ENV_TOKEN}"
        self.prefix = re.compile(rf"(?<![a-z0-9]){re.escape(blueprint)}-{re.escape(environment)}(?![a-z0-9])")
        glue = blueprint.replace("-", "_")
        self.glue = re.compile(rf"(?<![a-z0-9]){re.escape(glue)}_{re.escape(environment)}(?![a-z0-9])")
        self.digest = (
            re.compile(rf"({re.escape(self.hyphen)}-[a-z0-9-]*?)-[0-9a-f]{{8}}(?![0-9a-z])") if digests else None
        )

    def text(self, value: str) -> str:
        if value == self.environment:
            return ENV_TOKEN
        value = self.glue.sub(self.underscore, self.prefix.sub(self.hyphen, value))
        if self.digest is not None:
            value = self.digest.sub(rf"\1-{DIGEST_TOKEN}", value)
        return value

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {key: self.value(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(item) for item in value]
        return value

    def key(self, resource: PlannedResource) -> tuple[str, str]:
        return short_type(resource.type), self.prefix.sub(self.hyphen, resource.name)


def _compare(before: Any, after: Any, path: str, out: list[FieldChange]) -> None:
    before, after = _parsed(before), _parsed(after)
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(before.keys() | after.keys()):
            _compare(before.get(key, ABSENT), after.get(key, ABSENT), _join(path, key), out)
        return
    if isinstance(before, list) and isinstance(after, list) and before != after:
        id_key = _identity(before, after)
        if id_key is not None:
            old = {str(item[id_key]): item for item in before}
            new = {str(item[id_key]): item for item in after}
            for name in [*old, *(name for name in new if name not in old)]:
                _compare(old.get(name, ABSENT), new.get(name, ABSENT), _join(path, name), out)
            return
        if all(isinstance(item, dict | list) for item in [*before, *after]):
            for index in range(max(len(before), len(after))):
                old_item = before[index] if index < len(before) else ABSENT
                new_item = after[index] if index < len(after) else ABSENT
                _compare(old_item, new_item, f"{path}[{index}]", out)
            return
    if before != after:
        out.append(FieldChange(path or "(inputs)", before, after))


def _parsed(value: Any) -> Any:
    """A JSON document held in a string, parsed; anything else as it is."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _identity(before: list[Any], after: list[Any]) -> str | None:
    """The key that names every item on both sides uniquely, if there is one."""
    items = [*before, *after]
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    for key in _ID_KEYS:
        named = all(isinstance(item.get(key), str | int) for item in items)
        if named and len({i[key] for i in before}) == len(before) and len({i[key] for i in after}) == len(after):
            return key
    return None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _baseline(item: LineItem | None) -> float:
    return (item.baseline_usd or 0.0) if item else 0.0


def _ceiling(item: LineItem | None) -> float:
    return (item.ceiling_usd or 0.0) if item else 0.0


# --- output ----------------------------------------------------------------------------------------


def _signed(amount: float) -> str:
    return f"+{usd(amount)}" if amount > 0.005 else (usd(amount) if amount < -0.005 else "$0.00")


def _shown(value: Any, width: int = _VALUE_WIDTH) -> str:
    if value is ABSENT:
        return "(absent)"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(", ", ": "))
    return text if len(text) <= width else text[: width - 3] + "..."


def _cost_text(resource: ResourceDiff) -> str:
    items = [item for item in (resource.before, resource.after) if item is not None and item.priced]
    if not items:
        return ""
    before = usd(_baseline(resource.before))
    after = usd(_baseline(resource.after))
    if resource.before is None:
        return f"{after}/mo"
    if resource.after is None:
        return f"{before}/mo"
    if abs(resource.baseline_delta) < 0.005 and abs(resource.ceiling_delta) < 0.005:
        return ""
    ceiling = "unchanged" if abs(resource.ceiling_delta) < 0.005 else _signed(resource.ceiling_delta)
    return f"{before} -> {after}/mo ({_signed(resource.baseline_delta)}; ceiling {ceiling})"


def _totals_line(diff: PlanDiff) -> str:
    base, head = diff.base_cost, diff.head_cost
    return (
        f"Monthly cost: baseline {usd(base.baseline_usd)} -> {usd(head.baseline_usd)} "
        f"({_signed(diff.baseline_delta)}); ceiling {usd(base.ceiling_usd)} -> {usd(head.ceiling_usd)} "
        f"({_signed(diff.ceiling_delta)})"
    )


def _unpriced_note(diff: PlanDiff) -> str:
    base = len(diff.base_cost.without_figure("unpriced")) + len(diff.base_cost.without_figure("usage-priced"))
    head = len(diff.head_cost.without_figure("unpriced")) + len(diff.head_cost.without_figure("usage-priced"))
    return (
        f"Not in the totals: {base} unpriced or usage-priced resources in {diff.base_label}, "
        f"{head} in {diff.head_label}."
    )


def render_text(diff: PlanDiff) -> str:
    """For a terminal or a CI log."""
    lines = [f"{diff.blueprint}: {diff.base_label} -> {diff.head_label}"]
    if diff.empty:
        lines.append(f"  no changes ({diff.unchanged} resources the same)")
    for sign, title, group in (("+", "added", diff.added), ("-", "removed", diff.removed)):
        if group:
            lines.append(f"{title} ({len(group)}):")
            for resource in group:
                cost = _cost_text(resource)
                lines.append(f"  {sign} {resource.type} {resource.name}" + (f"  {cost}" if cost else ""))
    if diff.changed:
        lines.append(f"changed ({len(diff.changed)}; {diff.unchanged} unchanged):")
        for resource in diff.changed:
            cost = _cost_text(resource)
            lines.append(f"  ~ {resource.type} {resource.name}" + (f"  {cost}" if cost else ""))
            lines += [
                f"      {change.path}: {_shown(change.before)} -> {_shown(change.after)}" for change in resource.fields
            ]
    lines.append(_totals_line(diff))
    lines.append(_unpriced_note(diff))
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{_cell(text)}`" if "`" not in text else _cell(text)


def render_markdown(diff: PlanDiff) -> str:
    """GitHub-flavoured markdown, ready to post as a pull-request comment."""
    out = [f"### mlstack diff: `{diff.blueprint}` {diff.base_label} → {diff.head_label}", ""]
    out += [
        "| monthly cost (USD) | baseline | ceiling |",
        "|---|---:|---:|",
        f"| {_cell(diff.base_label)} | {usd(diff.base_cost.baseline_usd)} | {usd(diff.base_cost.ceiling_usd)} |",
        f"| {_cell(diff.head_label)} | {usd(diff.head_cost.baseline_usd)} | {usd(diff.head_cost.ceiling_usd)} |",
        f"| **change** | **{_signed(diff.baseline_delta)}** | **{_signed(diff.ceiling_delta)}** |",
        "",
        f"**{len(diff.changed)} changed, {len(diff.added)} added, {len(diff.removed)} removed** "
        f"({diff.unchanged} unchanged). {_unpriced_note(diff)}",
        "",
    ]
    if diff.added or diff.removed:
        out += ["| | resource | monthly cost |", "|---|---|---:|"]
        for sign, group in (("added", diff.added), ("removed", diff.removed)):
            for resource in group:
                item = resource.after or resource.before
                cost = item.summary() if item else ""
                out.append(f"| {sign} | {_code(resource.type)} {_code(resource.name)} | {_cell(cost)} |")
        out.append("")
    if diff.changed:
        out += [
            "<details open><summary>Changed inputs</summary>",
            "",
            f"| resource | field | {_cell(diff.base_label)} | {_cell(diff.head_label)} |",
            "|---|---|---|---|",
        ]
        for resource in diff.changed:
            cost = _cost_text(resource)
            title = f"{_code(resource.type)} {_code(resource.name)}" + (f"<br>{_cell(cost)}" if cost else "")
            for index, change in enumerate(resource.fields):
                out.append(
                    f"| {title if index == 0 else ''} | {_code(change.path)} | {_code(_shown(change.before))} "
                    f"| {_code(_shown(change.after))} |"
                )
        out += ["", "</details>", ""]
    return "\n".join(out)


def to_json(diff: PlanDiff) -> dict[str, Any]:
    """A deterministic document of the diff."""

    def field(change: FieldChange) -> dict[str, Any]:
        document: dict[str, Any] = {"path": change.path}
        if change.before is not ABSENT:
            document["before"] = change.before
        if change.after is not ABSENT:
            document["after"] = change.after
        return document

    def resource(entry: ResourceDiff) -> dict[str, Any]:
        return {
            "type": entry.type,
            "name": entry.name,
            "fields": [field(change) for change in entry.fields],
            "before": entry.before.to_json() if entry.before else None,
            "after": entry.after.to_json() if entry.after else None,
            "baseline_delta_usd": round(entry.baseline_delta, 4),
            "ceiling_delta_usd": round(entry.ceiling_delta, 4),
        }

    def totals(report: CostReport) -> dict[str, Any]:
        return {
            "baseline_usd": round(report.baseline_usd, 4),
            "ceiling_usd": round(report.ceiling_usd, 4),
            "unpriced": len(report.without_figure("unpriced")),
            "usage_priced": len(report.without_figure("usage-priced")),
        }

    return {
        "blueprint": diff.blueprint,
        "base": diff.base_label,
        "head": diff.head_label,
        "added": [resource(entry) for entry in diff.added],
        "removed": [resource(entry) for entry in diff.removed],
        "changed": [resource(entry) for entry in diff.changed],
        "unchanged": diff.unchanged,
        "cost": {
            "base": totals(diff.base_cost),
            "head": totals(diff.head_cost),
            "baseline_delta_usd": round(diff.baseline_delta, 4),
            "ceiling_delta_usd": round(diff.ceiling_delta, 4),
        },
    }
