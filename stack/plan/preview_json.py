"""The plan as `pulumi preview --json` writes it: what `plan --json` prints and `check --preview-json` reads.

Kept apart from the tree rendering so `plan --json` imports neither rich nor the cost model.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlstack.stack.plan.engine import Plan
    from mlstack.stack.plan.lifecycle import UpdatePlan, UpdateStep

STACK_TYPE = "pulumi:pulumi:Stack"


def preview_json(plan: Plan, update: UpdatePlan | None = None) -> str:
    """The plan in the shape of `pulumi preview --json`, byte-identical for identical input.

    Without `update` every step creates; with it, each step carries its operation against the
    base, `diffReasons`, and for replacements `replaceReasons` and `deleteBeforeReplace`.
    """
    stack_urn = f"urn:pulumi:{plan.stack}::{plan.project}::{STACK_TYPE}::{plan.project}-{plan.stack}"
    stack_op = "same" if update is not None else "create"
    steps: list[dict[str, Any]] = [
        {
            "op": stack_op,
            "urn": stack_urn,
            "newState": {"urn": stack_urn, "type": STACK_TYPE, "custom": False, "inputs": {}},
        }
    ]
    by_urn = {s.urn: s for s in update.steps} if update is not None else {}
    for resource in plan.resources:
        state: dict[str, Any] = {
            "urn": resource.urn,
            "type": resource.type,
            "custom": resource.custom,
            "parent": resource.parent or stack_urn,
            "dependencies": list(resource.dependencies),
            # As `pulumi preview --json` writes them: `check --preview-json` of this file proves the
            # same keys through the graph as a check of the blueprint.
            "propertyDependencies": {key: list(urns) for key, urns in resource.property_dependencies.items()},
            "inputs": resource.inputs,
        }
        if resource.options:
            state["options"] = dict(resource.options)
        entry: dict[str, Any] = {"op": "create", "urn": resource.urn, "newState": state}
        step = by_urn.get(resource.urn)
        if step is not None:
            _step_fields(entry, step, stack_urn)
        steps.append(entry)
    for step in update.steps if update is not None else ():
        if step.op == "delete":
            entry = {"op": "delete", "urn": step.urn}
            _step_fields(entry, step, stack_urn)
            steps.append(entry)
    summary: dict[str, int] = {}
    for entry in steps:
        summary[entry["op"]] = summary.get(entry["op"], 0) + 1
    document = {"steps": steps, "changeSummary": summary, "outputs": dict(plan.outputs)}
    return json.dumps(document, indent=2, sort_keys=True, allow_nan=False) + "\n"


def _step_fields(entry: dict[str, Any], step: UpdateStep, stack_urn: str) -> None:
    entry["op"] = step.op
    if step.old_inputs is not None:
        entry["oldState"] = {"urn": step.urn, "type": step.type, "custom": step.custom, "inputs": step.old_inputs}
    if step.diff_reasons:
        entry["diffReasons"] = list(step.diff_reasons)
    if step.op == "replace":
        entry["replaceReasons"] = list(step.replace_reasons)
        entry["deleteBeforeReplace"] = step.delete_before_replace
