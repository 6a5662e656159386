"""Plan output: a tree for people, `pulumi preview --json`'s shape for tools."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from rich.tree import Tree

from stack.engine import Plan, PlannedResource

STACK_TYPE = "pulumi:pulumi:Stack"


def short_type(resource_type: str) -> str:
    """`aws:sagemaker/endpointConfiguration:EndpointConfiguration` -> `aws:sagemaker:EndpointConfiguration`."""
    package, _, rest = resource_type.partition(":")
    module, _, kind = rest.partition(":")
    return f"{package}:{module.split('/')[0]}:{kind}" if kind else resource_type


def _endpoint_config(inputs: Mapping[str, Any]) -> str:
    variants = inputs.get("productionVariants") or []
    total = sum(float(v.get("initialVariantWeight", 1)) for v in variants) or 1.0
    parts = [
        f"{v.get('variantName')}: {v.get('initialInstanceCount')}x {v.get('instanceType')} "
        f"{100 * float(v.get('initialVariantWeight', 1)) / total:.0f}%"
        for v in variants
    ]
    encryption = "KMS volume key" if inputs.get("kmsKeyArn") else "instance-store encryption"
    return "; ".join(parts) + f" ({encryption})"


def _model(inputs: Mapping[str, Any]) -> str:
    container = inputs.get("primaryContainer") or {}
    isolation = "network-isolated" if inputs.get("enableNetworkIsolation") else "NETWORK OPEN"
    vpc = ", in VPC" if inputs.get("vpcConfig") else ""
    return f"{container.get('image')} ({isolation}{vpc})"


_SUMMARIES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration": _endpoint_config,
    "aws:sagemaker/model:Model": _model,
    "aws:sagemaker/endpoint:Endpoint": lambda inputs: f"name {inputs.get('name')}",
    "aws:s3/bucket:Bucket": lambda inputs: f"bucket {inputs.get('bucket')}",
    "aws:kms/key:Key": lambda inputs: f"rotation {'on' if inputs.get('enableKeyRotation') else 'OFF'}",
    "aws:iam/role:Role": lambda inputs: f"name {inputs.get('name')}",
}


def summary(resource: PlannedResource) -> str:
    describe = _SUMMARIES.get(resource.type)
    return describe(resource.inputs) if describe else ""


def plan_tree(plan: Plan, title: str) -> Tree:
    """Resources grouped under their components, each component with its resource count."""
    custom_count = sum(1 for r in plan.resources if r.custom)
    root = Tree(f"[bold]{title}[/bold]  stack {plan.stack}: {custom_count} resources to create")

    def count_below(urn: str) -> int:
        return sum(1 + count_below(c.urn) if c.custom else count_below(c.urn) for c in plan.children(urn))

    def add(branch: Tree, parent: str | None) -> None:
        for resource in plan.children(parent):
            if resource.custom:
                detail = summary(resource)
                label = f"[green]+[/green] {short_type(resource.type)}  [cyan]{resource.name}[/cyan]"
                branch.add(label + (f"  [dim]{detail}[/dim]" if detail else ""))
            else:
                label = f"[bold]{short_type(resource.type)}[/bold] {resource.name}"
                add(branch.add(f"{label}  ({count_below(resource.urn)} resources)"), resource.urn)

    add(root, None)
    if plan.outputs:
        outputs = root.add("[bold]outputs[/bold]")
        for key, value in plan.outputs.items():
            outputs.add(f"{key}: {value}")
    return root


def preview_json(plan: Plan) -> str:
    """The plan in the shape of `pulumi preview --json`, byte-identical for identical input."""
    stack_urn = f"urn:pulumi:{plan.stack}::{plan.project}::{STACK_TYPE}::{plan.project}-{plan.stack}"
    steps: list[dict[str, Any]] = [
        {
            "op": "create",
            "urn": stack_urn,
            "newState": {"urn": stack_urn, "type": STACK_TYPE, "custom": False, "inputs": {}},
        }
    ]
    for resource in plan.resources:
        steps.append(
            {
                "op": "create",
                "urn": resource.urn,
                "newState": {
                    "urn": resource.urn,
                    "type": resource.type,
                    "custom": resource.custom,
                    "parent": resource.parent or stack_urn,
                    "dependencies": list(resource.dependencies),
                    "inputs": resource.inputs,
                },
            }
        )
    document = {
        "steps": steps,
        "changeSummary": {"create": len(steps)},
        "outputs": dict(plan.outputs),
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
