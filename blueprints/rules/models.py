"""Models and what runs them: one container source per model, and instances that can hold it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from blueprints.rules.common import Finding, Path
from blueprints.schema import Blueprint, Endpoint, Model
from components import images, instances, sizing


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
    if model.container is not None and not instance.has_gpu:
        yield (
            (*host.path, "instance_type"),
            f"{host.kind} {host.name} serves the {model.container} container, which needs GPUs; "
            f"{instance.name} has none",
        )
        return
    if model.tensor_parallel_degree is not None:
        problem = sizing.tensor_parallel_problem(instance, model.tensor_parallel_degree)
        if problem:
            yield ((*host.path, "instance_type"), f"{host.kind} {host.name} serves model {host.model}: {problem}")
    if model.parameters_billions is not None and model.dtype is not None:
        weights = sizing.weights_gib(model.parameters_billions, model.dtype)
        if not sizing.fits(instance, weights):
            yield ((*host.path, "instance_type"), _does_not_fit(blueprint, host, model, instance, weights))


def _does_not_fit(
    blueprint: Blueprint, host: Host, model: Model, instance: instances.InstanceType, weights: float
) -> str:
    message = (
        f"{host.kind} {host.name}: the {model.dtype} weights of model {host.model} "
        f"({model.parameters_billions:g}B parameters) take {weights:.1f} GiB, but {instance.name} has "
        f"{instance.gpu_memory_gib:g} GiB of GPU memory, {sizing.usable_gpu_gib(instance):.1f} GiB usable "
        f"with {100 - 100 * sizing.GPU_MEMORY_HEADROOM:.0f}% headroom for the KV cache"
    )
    fit = sizing.cheapest_fit(
        weights, blueprint.region or "us-east-1", tensor_parallel_degree=model.tensor_parallel_degree
    )
    if fit is None:
        return message + "; no single SageMaker instance type holds it: quantize (dtype) or shard across endpoints"
    return (
        message + f"; the cheapest type that fits is {fit.instance.name} ({fit.instance.gpus} GPUs, "
        f"{fit.instance.gpu_memory_gib:g} GiB, ${fit.price.usd_per_hour:.2f}/h {fit.price.provenance})"
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
