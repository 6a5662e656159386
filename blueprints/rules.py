"""Cross-field rules of the blueprint language, checked after the schema accepts the shape.

Each rule yields `(path, message)`; the caller pins the path to its YAML line. Rules never stop at
the first problem: users see everything wrong with a blueprint at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from blueprints.schema import Blueprint, Endpoint, Model
from components import images, instances
from components.naming import MAX_SAGEMAKER_NAME, endpoint_resource_name

Finding = tuple[tuple[str | int, ...], str]


def check(blueprint: Blueprint) -> list[Finding]:
    """Every cross-field problem in `blueprint`."""
    findings: list[Finding] = []
    findings += _duplicates([e.name for e in blueprint.endpoints], ("endpoints",), "endpoint")
    for index, endpoint in enumerate(blueprint.endpoints):
        findings += _endpoint(blueprint, endpoint, ("endpoints", index))
    return findings


def _duplicates(names: list[str], path: tuple[str | int, ...], what: str) -> list[Finding]:
    counts = Counter(names)
    findings: list[Finding] = []
    seen: set[str] = set()
    for index, name in enumerate(names):
        if counts[name] > 1 and name in seen:
            findings.append(((*path, index, "name"), f"duplicate {what} name {name!r}"))
        seen.add(name)
    return findings


def _endpoint(blueprint: Blueprint, endpoint: Endpoint, path: tuple[str | int, ...]) -> Iterator[Finding]:
    longest_env = max(blueprint.environments, key=len, default="")
    resource_name = endpoint_resource_name(blueprint.blueprint, longest_env, endpoint.name)
    if len(resource_name) > MAX_SAGEMAKER_NAME:
        yield (
            (*path, "name"),
            f"endpoint name {resource_name!r} would be {len(resource_name)} characters; SageMaker allows "
            f"{MAX_SAGEMAKER_NAME} (blueprint id + environment + endpoint name): shorten the endpoint name",
        )
    for model_name, model in endpoint.models.items():
        yield from _model(blueprint, model, (*path, "models", model_name))
    yield from _duplicates([v.name for v in endpoint.variants], (*path, "variants"), "variant")
    for index, variant in enumerate(endpoint.variants):
        variant_path = (*path, "variants", index)
        if variant.model not in endpoint.models:
            yield (
                (*variant_path, "model"),
                f"variant names model {variant.model!r}, which is not in this endpoint's models "
                f"({', '.join(sorted(endpoint.models))})",
            )
        if not variant.weight > 0:
            yield ((*variant_path, "weight"), f"weight must be positive, got {variant.weight:g}")
        try:
            instances.lookup(variant.instance_type, purpose="endpoint")
        except instances.UnknownInstanceType as error:
            yield ((*variant_path, "instance_type"), str(error))


def _model(blueprint: Blueprint, model: Model, path: tuple[str | int, ...]) -> Iterator[Finding]:
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
    if sources == ["container"] and model.container not in images.CONTAINERS:
        yield (
            (*path, "container"),
            f"unknown container {model.container!r}; supported: {', '.join(images.CONTAINERS)}",
        )
