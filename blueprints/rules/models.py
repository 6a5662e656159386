"""Models and what runs them: one container source per model, and instances that can hold it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from mlstack.blueprints.rules.common import Finding, Path
from mlstack.blueprints.schema import Blueprint, Endpoint, Model
from mlstack.components import images, instances, sizing


@dataclass(frozen=True)
class Host:
    """A production or shadow variant: something that runs a model on instances."""

    path: Path
    kind: str
    name: str
    model: str
    instance_type: str
    instances: int


def hosts(endpoint: Endpoint, path: Path) -> list[Host]:
    hosts = [
        Host((*path, "variants", index), "variant", v.name, v.model, v.instance_type, v.instances)
        for index, v in enumerate(endpoint.variants)
    ]
    if endpoint.shadow:
        shadow = endpoint.shadow
        hosts.append(
            Host((*path, "shadow"), "shadow", shadow.name, shadow.model, shadow.instance_type, shadow.instances)
        )
    return hosts


def host_problems(blueprint: Blueprint, endpoint: Endpoint, host: Host) -> Iterator[Finding]:
    try:
        instance = instances.lookup(host.instance_type, purpose="endpoint")
    except instances.UnknownInstanceType as error:
        yield ((*host.path, "instance_type"), str(error))
        return
    model = endpoint.models.get(host.model)
    if model is None:
        return
    shape = model_shape(model)
    path = (*host.path, "instance_type")
    for problem in shape.problems(instance):
        if problem.kind == "gpu" and model.container is not None:
            yield (
                path,
                f"{host.kind} {host.name} serves the {model.container} container, which needs GPUs; "
                f"{instance.name} has none",
            )
        elif problem.kind in ("gpu", "memory") and shape.weights_gib is not None:
            yield (path, _does_not_fit(blueprint, host, model, instance, shape))
        elif problem.kind == "dtype":
            yield (
                path,
                f"{host.kind} {host.name} serves model {host.model}: {problem}"
                + _suggestion(blueprint, shape, "; no SageMaker instance type meets this model's needs"),
            )
        else:
            yield (path, f"{host.kind} {host.name} serves model {host.model}: {problem}")


def model_shape(model: Model) -> sizing.ModelShape:
    """What `model` asks of the GPUs that serve it (components.sizing is the one judge of it)."""
    return sizing.ModelShape.declared(
        model.parameters_billions, model.dtype, model.tensor_parallel_degree, needs_gpu=model.container is not None
    )


def _suggestion(blueprint: Blueprint, shape: sizing.ModelShape, none: str) -> str:
    """The cheapest type that serves `shape` (honouring memory, tensor-parallel degree and dtype)."""
    fit = sizing.cheapest_fit(shape, blueprint.region or "us-east-1")
    if fit is None:
        return none
    return (
        f"; the cheapest type that fits is {fit.instance.name} ({fit.instance.gpus} GPUs, "
        f"{fit.instance.gpu_memory_gib:g} GiB, ${fit.price.usd_per_hour:.2f}/h {fit.price.provenance})"
    )


def _does_not_fit(
    blueprint: Blueprint, host: Host, model: Model, instance: instances.InstanceType, shape: sizing.ModelShape
) -> str:
    assert shape.weights_gib is not None
    message = (
        f"{host.kind} {host.name}: the {model.dtype} weights of model {host.model} "
        f"({model.parameters_billions:g}B parameters) take {shape.weights_gib:.1f} GiB, but {instance.name} has "
        f"{instance.gpu_memory_gib:g} GiB of GPU memory, {sizing.usable_gpu_gib(instance):.1f} GiB usable "
        f"with {100 - 100 * sizing.GPU_MEMORY_HEADROOM:.0f}% headroom for the KV cache"
    )
    return message + _suggestion(
        blueprint, shape, "; no single SageMaker instance type holds it: quantize (dtype) or shard across endpoints"
    )


def model_problems(blueprint: Blueprint, model: Model, path: Path) -> Iterator[Finding]:
    sources = [
        name
        for name, given in (
            ("framework", model.framework is not None or model.framework_version is not None),
            ("image", model.image is not None),
            ("container", model.container is not None),
        )
        if given
    ]
    if not sources:
        yield (path, "a model needs one of: framework + framework_version, image, or container")
        return
    if len(sources) > 1:
        yield (path, f"a model takes exactly one of framework, image or container; got {' and '.join(sources)}")
        return
    if sources == ["framework"]:
        if model.framework is None:
            yield ((*path, "framework"), "framework_version is set but framework is missing")
        elif model.framework not in images.FRAMEWORKS:
            yield (
                (*path, "framework"),
                f"unknown framework {model.framework!r}; supported: {', '.join(images.FRAMEWORKS)} "
                "(or give your own `image`)",
            )
        elif model.framework_version is None:
            yield ((*path, "framework_version"), f"framework {model.framework} needs a framework_version")
        elif blueprint.region:  # without a valid region there is nothing to resolve against
            try:
                # The processor does not matter here: which versions exist is what is checked.
                images.framework_image(model.framework, model.framework_version, blueprint.region, gpu=True)
            except images.UnsupportedImage as gpu_error:
                try:
                    images.framework_image(model.framework, model.framework_version, blueprint.region, gpu=False)
                except images.UnsupportedImage:
                    yield ((*path, "framework_version"), str(gpu_error))
    if (model.parameters_billions is None) != (model.dtype is None):
        yield (path, "parameters_billions and dtype go together: give both to size GPU memory, or neither")
    if model.tensor_parallel_degree is not None and sources != ["container"]:
        yield ((*path, "tensor_parallel_degree"), "tensor_parallel_degree applies to large-model `container` models")
    if sources == ["container"] and model.container not in images.CONTAINERS:
        yield (
            (*path, "container"),
            f"unknown container {model.container!r}; supported: {', '.join(images.CONTAINERS)}",
        )
