"""Plan output: a tree for people, `pulumi preview --json`'s shape for tools."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.tree import Tree

from mlstack.components import instances
from mlstack.components.endpoint import MODEL_GROUP_TAG
from mlstack.stack.cost.estimate import CostReport, report_totals, usd
from mlstack.stack.plan.engine import Plan, PlannedResource

if TYPE_CHECKING:
    from mlstack.stack.plan.lifecycle import UpdatePlan, UpdateStep


def short_type(resource_type: str) -> str:
    """`aws:sagemaker/endpointConfiguration:EndpointConfiguration` -> `aws:sagemaker:EndpointConfiguration`."""
    package, _, rest = resource_type.partition(":")
    module, _, kind = rest.partition(":")
    return f"{package}:{module.split('/')[0]}:{kind}" if kind else resource_type


def _instances(count: object, instance_type: object) -> str:
    try:
        gpus = instances.lookup(str(instance_type)).gpus
    except instances.UnknownInstanceType:
        gpus = 0
    gpu_text = f", {gpus} GPU{'s' if gpus != 1 else ''} each" if gpus else ""
    return f"{count}x {instance_type}{gpu_text}"


def _endpoint_config(inputs: Mapping[str, Any]) -> str:
    variants = inputs.get("productionVariants") or []
    total = sum(float(v.get("initialVariantWeight", 1)) for v in variants) or 1.0
    parts = []
    for variant in variants:
        serverless = variant.get("serverlessConfig")
        if serverless:
            parts.append(
                f"{variant.get('variantName')}: serverless {serverless.get('memorySizeInMb')} MB, "
                f"max concurrency {serverless.get('maxConcurrency')}"
            )
            continue
        share = 100 * float(variant.get("initialVariantWeight", 1)) / total
        fleet = _instances(variant.get("initialInstanceCount"), variant.get("instanceType"))
        parts.append(f"{variant.get('variantName')}: {fleet}, {share:.0f}% of traffic")
    production_weight = float(variants[0].get("initialVariantWeight", 1)) if variants else 1.0
    for shadow in inputs.get("shadowProductionVariants") or []:
        sample = 100 * float(shadow.get("initialVariantWeight", 1)) / production_weight
        parts.append(
            f"shadow {shadow.get('variantName')}: "
            f"{_instances(shadow.get('initialInstanceCount'), shadow.get('instanceType'))}, copy of {sample:.0f}%"
        )
    capture = inputs.get("dataCaptureConfig")
    if capture:
        parts.append(f"captures {capture.get('initialSamplingPercentage')}%")
    if inputs.get("kmsKeyArn"):
        parts.append("KMS volume key")
    return "; ".join(parts)


def _endpoint(inputs: Mapping[str, Any]) -> str:
    text = f"name {inputs.get('endpointName')}"
    deployment = inputs.get("deploymentConfig") or {}
    blue_green = deployment.get("blueGreenUpdatePolicy")
    rolling = deployment.get("rollingUpdatePolicy")
    if blue_green:
        routing = blue_green.get("trafficRoutingConfiguration", {})
        size = routing.get("canarySize") or routing.get("linearStepSize")
        step = f" {size.get('value')}%" if size else ""
        bake = routing.get("waitIntervalInSeconds", 0) // 60
        text += f"; rollout {str(routing.get('type', '')).lower().replace('_', '-')}{step}, bake {bake} min"
    elif rolling:
        batch = rolling.get("maximumBatchSize", {}).get("value")
        text += f"; rollout rolling {batch}% batches, bake {rolling.get('waitIntervalInSeconds', 0) // 60} min"
    alarms = (deployment.get("autoRollbackConfiguration") or {}).get("alarms") or []
    if alarms:
        text += f", rolls back on {len(alarms)} alarms"
    if inputs.get("retainAllVariantProperties"):
        text += "; updates keep the live (autoscaled) instance counts"
    return text


def _model(inputs: Mapping[str, Any]) -> str:
    container = inputs.get("primaryContainer") or {}
    isolation = "network-isolated" if inputs.get("enableNetworkIsolation") else "network isolation off"
    vpc = ", in VPC" if inputs.get("vpcConfig") else ""
    group = (inputs.get("tags") or {}).get(MODEL_GROUP_TAG)
    registry = f", versions from model group {group}" if group else ""
    return f"{inputs.get('name')}: {_short_image(container.get('image'))} ({isolation}{vpc}{registry})"


_ECR_IMAGE = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/(?P<image>.+)$")


def _short_image(image: Any) -> str:
    """`repository:tag (ECR account region)`: a full ECR URI is one 110-character word that no
    terminal line holds, so a wrapped plan would cut it mid-word; `--json` keeps the full URI."""
    text = str(image)
    match = _ECR_IMAGE.match(text)
    if match is None:
        return text
    return f"{match['image']} (ECR {match['account']} {match['region']})"


def _feature_group(inputs: Mapping[str, Any]) -> str:
    parts = [f"{inputs.get('featureGroupName')}: {len(inputs.get('featureDefinitions') or [])} features"]
    online = inputs.get("onlineStoreConfig")
    if online:
        ttl = online.get("ttlDuration")
        parts.append("online" + (f" (TTL {ttl.get('value')} {str(ttl.get('unit')).lower()})" if ttl else ""))
    offline = inputs.get("offlineStoreConfig")
    if offline:
        parts.append(
            f"offline {offline.get('tableFormat')} table {offline.get('dataCatalogConfig', {}).get('tableName')}"
        )
    return ", ".join(parts)


_SUMMARIES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration": _endpoint_config,
    "aws:sagemaker/model:Model": _model,
    "aws-native:sagemaker:Endpoint": _endpoint,
    "aws:sagemaker/featureGroup:FeatureGroup": _feature_group,
    "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer": lambda inputs: (
        f"{inputs.get('trackingServerName')}, size {inputs.get('trackingServerSize')}"
    ),
    "aws:sagemaker/modelPackageGroup:ModelPackageGroup": lambda inputs: str(inputs.get("modelPackageGroupName")),
    "aws:cloudwatch/metricAlarm:MetricAlarm": lambda inputs: f"{inputs.get('name')} > {inputs.get('threshold')}",
    "aws:appautoscaling/target:Target": lambda inputs: (
        f"{inputs.get('resourceId')}: {inputs.get('minCapacity')}-{inputs.get('maxCapacity')} instances"
    ),
    "aws:s3/bucket:Bucket": lambda inputs: f"bucket {inputs.get('bucket')}",
    "aws:kms/key:Key": lambda inputs: f"rotation {'on' if inputs.get('enableKeyRotation') else 'OFF'}",
    "aws:iam/role:Role": lambda inputs: f"name {inputs.get('name')}",
}


def summary(resource: PlannedResource) -> str:
    describe = _SUMMARIES.get(resource.type)
    return describe(resource.inputs) if describe else ""


def plan_tree(plan: Plan, title: str, costs: CostReport | None = None, update: UpdatePlan | None = None) -> Tree:
    """Resources grouped under their components, each component with its resource count (and cost).

    With `update`, each resource shows what a `pulumi up` over the base would do to it, and
    replacements say why, and whether the old resource is deleted first.
    """
    custom_count = sum(1 for r in plan.resources if r.custom)
    total = ""
    if costs is not None:
        totals = report_totals(costs)
        total = f"; {usd(totals.baseline_usd)}-{usd(totals.ceiling_usd)}/month"
        if totals.unpriced:
            total += f" ({totals.unpriced} resources unpriced)"
    headline = f"{custom_count} resources to create" if update is None else update_summary(update)
    root = Tree(f"[bold]{title}[/bold]  stack {plan.stack}: {escape(headline)}{total}")
    by_urn = costs.by_urn() if costs is not None else {}
    steps = {s.urn: s for s in update.steps} if update is not None else {}

    def count_below(urn: str) -> int:
        return sum(1 + count_below(c.urn) if c.custom else count_below(c.urn) for c in plan.children(urn))

    def add(branch: Tree, parent: str | None) -> None:
        for resource in plan.children(parent):
            if resource.custom:
                detail = summary(resource)
                step = steps.get(resource.urn)
                marker = _op_marker(step) if step is not None else "[green]+[/green]"
                label = f"{marker} {short_type(resource.type)}  [cyan]{resource.name}[/cyan]"
                item = by_urn.get(resource.urn)
                price = f"  [yellow]{item.summary()}[/yellow]" if item is not None and item.summary() else ""
                node = branch.add(label + price + (f"  [dim]{escape(detail)}[/dim]" if detail else ""))
                if step is not None:
                    _add_reasons(node, step)
            else:
                label = f"[bold]{short_type(resource.type)}[/bold] {resource.name}"
                add(branch.add(f"{label}  ({count_below(resource.urn)} resources)"), resource.urn)

    add(root, None)
    deleted = [s for s in (update.steps if update is not None else ()) if s.op == "delete" and s.custom]
    if deleted:
        gone = root.add(f"[bold red]deleted[/bold red] ({len(deleted)})")
        for step in deleted:
            gone.add(f"[red]-[/red] {short_type(step.type)}  [cyan]{step.name}[/cyan]")
    if plan.outputs:
        outputs = root.add("[bold]outputs[/bold]")
        for key, value in plan.outputs.items():
            outputs.add(f"{key}: {value}")
    return root


_OP_MARKERS = {
    "same": "[dim]=[/dim]",
    "create": "[green]+[/green]",
    "update": "[yellow]~[/yellow]",
    "delete": "[red]-[/red]",
}


def _op_marker(step: UpdateStep) -> str:
    if step.op != "replace":
        return _OP_MARKERS[step.op]
    if step.delete_before_replace:
        return "[bold white on red]-/+ REPLACE, DELETED FIRST[/bold white on red]"
    return "[bold magenta]+/- REPLACE[/bold magenta]"


def _add_reasons(node: Tree, step: UpdateStep) -> None:
    if step.op == "replace":
        order = (
            "the old one is deleted before the new one exists"
            if step.delete_before_replace
            else ("created first, the old one deleted at the end")
        )
        node.add(f"[magenta]replaced because {escape(', '.join(step.replace_reasons))} changed; {order}[/magenta]")
    elif step.op == "update":
        shown = ", ".join(step.diff_reasons[:6]) + (
            f", +{len(step.diff_reasons) - 6} more" if len(step.diff_reasons) > 6 else ""
        )
        node.add(f"[yellow]updates {escape(shown)}[/yellow]")


def update_summary(update: UpdatePlan) -> str:
    """`2 to update, 1 to replace (0 delete first), 40 unchanged` against the base."""
    counts = update.counts()
    replaced_first = sum(1 for s in update.steps if s.op == "replace" and s.delete_before_replace)
    parts = [f"{counts[op]} to {op}" for op in ("create", "update", "replace", "delete") if counts[op]]
    if counts["replace"]:
        parts[-1 if not counts["delete"] else -2] += f" ({replaced_first} deleted first)"
    parts.append(f"{counts['same']} unchanged")
    return f"against {update.base_label}: " + ", ".join(parts)
