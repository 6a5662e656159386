"""Inference components: models sharing an endpoint's instances, each copy with reserved compute.

AWS's rules, from the API model and the developer guide:
- A component endpoint's production variant names no model; the models are the components'
  (CreateInferenceComponent Specification.ModelName), and the endpoint configuration carries the
  execution role (CreateEndpointConfig ExecutionRoleArn).
- ComputeResourceRequirements: NumberOfCpuCoresRequired at least 0.25, NumberOfAcceleratorDevicesRequired
  at least 1, MinMemoryRequiredInMb at least 128 (required); a copy runs on one instance.
- Only an endpoint that hosts inference components can scale to and from zero instances, with
  ManagedInstanceScaling MinInstanceCount 0, and it needs a step-scaling policy on an alarm to scale
  out again (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html).
- Components update with rolling deployments only (InferenceComponentDeploymentConfig has
  RollingUpdatePolicy and no blue/green policy).
"""

from __future__ import annotations

from collections.abc import Iterator

from mlstack.blueprints.rules.common import Finding, Path, duplicates
from mlstack.blueprints.schema import Endpoint, InferenceComponent
from mlstack.components import instances, placement

# What a component endpoint is instead of, and why it cannot also have it.
_NOT_WITH_COMPONENTS = {
    "variants": "its instances are the fleet's, and its models are the components'",
    "serverless": "serverless endpoints cannot host inference components",
    "shadow": "shadow variants serve a model of their own, which a component endpoint's variant has none of",
    "autoscaling": "components scale their copies (copies, target_invocations_per_copy) and SageMaker scales "
    "the fleet's instances itself",
    "fallback": "rollback --to-fallback swaps a variant's model; components name their models themselves",
    "data_capture": "mlstack does not plan data capture for component endpoints",
    "asynchronous": "mlstack does not plan asynchronous inference components",
}
_FIELD_NAMES = {"asynchronous": "async"}


def check(endpoint: Endpoint, path: Path) -> Iterator[Finding]:
    if endpoint.fleet is not None and not endpoint.components:
        yield (
            (*path, "fleet"),
            "`fleet` is the shared instances of inference components, and this endpoint has no `components`",
        )
    if not endpoint.components:
        return
    if endpoint.fleet is None:
        yield (
            (*path, "components"),
            "inference components need a `fleet`: the instance type and the min and max instances they share",
        )
    for field, reason in _NOT_WITH_COMPONENTS.items():
        if getattr(endpoint, field):
            shown = _FIELD_NAMES.get(field, field)
            yield ((*path, shown), f"an endpoint with inference components cannot have `{shown}`: {reason}")
    yield from duplicates([c.name for c in endpoint.components], (*path, "components"), "component")
    for index, component in enumerate(endpoint.components):
        yield from _component(endpoint, component, (*path, "components", index))
    if endpoint.rollout and endpoint.rollout.strategy != "rolling":
        yield (
            (*path, "rollout", "strategy"),
            f"inference components update with rolling deployments only (InferenceComponentDeploymentConfig "
            f"has a RollingUpdatePolicy and no blue/green policy); {endpoint.rollout.strategy} is not one",
        )
    if endpoint.fleet is not None:
        yield from _fleet(endpoint, (*path, "fleet"))


def _component(endpoint: Endpoint, component: InferenceComponent, path: Path) -> Iterator[Finding]:
    model = endpoint.models.get(component.model)
    if model is None:
        yield (
            (*path, "model"),
            f"component names model {component.model!r}, which is not in this endpoint's models "
            f"({', '.join(sorted(endpoint.models))})",
        )
    elif model.pipeline:
        yield ((*path, "model"), "mlstack hosts single-container models as components; this one is a pipeline")
    elif model.container is not None and component.accelerators is None:
        yield (
            (*path, "accelerators"),
            f"model {component.model} runs the {model.container} container, which needs GPUs: reserve them with "
            "`accelerators`",
        )
    elif model.tensor_parallel_degree and component.accelerators != model.tensor_parallel_degree:
        yield (
            (*path, "accelerators"),
            f"model {component.model} is sharded over {model.tensor_parallel_degree} GPUs "
            f"(tensor_parallel_degree), so each copy reserves {model.tensor_parallel_degree} accelerators, "
            f"not {component.accelerators}",
        )
    copies = component.copies
    if copies.min > copies.max:
        yield ((*path, "copies", "min"), f"copies.min {copies.min} is above copies.max {copies.max}")
    if copies.min < copies.max and component.target_invocations_per_copy is None:
        yield (
            path,
            f"copies scale between {copies.min} and {copies.max} on invocations per copy: set "
            "`target_invocations_per_copy`",
        )


def reservation(component: InferenceComponent) -> placement.Reservation:
    return placement.Reservation(component.accelerators or 0, component.memory_mb, component.cpu_cores or 0.0)


def _fleet(endpoint: Endpoint, path: Path) -> Iterator[Finding]:
    fleet = endpoint.fleet
    assert fleet is not None
    if fleet.min_instances > fleet.max_instances:
        yield (
            (*path, "min_instances"),
            f"min_instances {fleet.min_instances} is above max_instances {fleet.max_instances}",
        )
        return
    try:
        instance = instances.lookup(fleet.instance_type, purpose="endpoint")
    except instances.UnknownInstanceType as error:
        yield ((*path, "instance_type"), str(error))
        return
    per_instance = placement.capacity(instance)
    if per_instance is None:
        return
    for index, component in enumerate(endpoint.components):
        needs = reservation(component)
        if not needs.fits(per_instance):
            yield (
                (*path[:-1], "components", index),
                f"component {component.name} reserves {needs.text()} per copy, but {instance.name} has "
                f"{per_instance.text()}: a copy runs on one instance",
            )
            return
    kept = [(c.name, c.copies.min) for c in endpoint.components if c.copies.min > 0]
    if fleet.min_instances == 0 and kept:
        yield (
            (*path, "min_instances"),
            "min_instances 0 lets SageMaker remove every instance, but "
            + ", ".join(f"{name} keeps {count} {'copy' if count == 1 else 'copies'}" for name, count in kept)
            + ", which need one; set those copies.min to 0, or min_instances to at least 1",
        )
        return
    # Each component runs at least max(1, copies.min) copies on max(1, min_instances) instances: one
    # copy at creation (CopyCount), then Application Auto Scaling's minimum; scale-in to zero comes after.
    starting = [reservation(c) for c in endpoint.components for _ in range(max(1, c.copies.min))]
    floor = max(1, fleet.min_instances)
    if placement.packs(starting, per_instance, floor) is False:
        needed = placement.instances_needed(starting, per_instance, max(fleet.max_instances, floor) * 4)
        yield (
            (*path, "min_instances"),
            f"the components' starting copies ({_copies_text(endpoint, minimum=True)}) do not fit on {floor} "
            f"{instance.name} ({per_instance.text()} each)"
            + (f"; they need {needed}" if needed else "")
            + ": raise min_instances, or reserve less per copy",
        )


def ceiling_warnings(endpoint: Endpoint, path: Path) -> Iterator[Finding]:
    """Maximum copies the fleet's maximum instances cannot hold: autoscaling would stall below them."""
    fleet = endpoint.fleet
    if fleet is None or not endpoint.components or fleet.min_instances > fleet.max_instances:
        return
    try:
        instance = instances.lookup(fleet.instance_type, purpose="endpoint")
    except instances.UnknownInstanceType:
        return
    per_instance = placement.capacity(instance)
    if per_instance is None:
        return
    most = [reservation(c) for c in endpoint.components for _ in range(c.copies.max)]
    if placement.packs(most, per_instance, fleet.max_instances) is False:
        yield (
            (*path, "fleet", "max_instances"),
            f"the components' maximum copies ({_copies_text(endpoint, minimum=False)}) do not fit on "
            f"{fleet.max_instances} {instance.name}: copies past what fits would wait for capacity that never comes",
        )


def _copies_text(endpoint: Endpoint, *, minimum: bool) -> str:
    counts = [(c.name, max(1, c.copies.min) if minimum else c.copies.max) for c in endpoint.components]
    return ", ".join(f"{count} × {name}" for name, count in counts)
