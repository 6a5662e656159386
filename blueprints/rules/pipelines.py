"""Serial inference pipelines: one SageMaker Model of containers called in order.

AWS's rules (botocore sagemaker CreateModel, ContainerDefinition; developer guide "Inference pipelines"):
- Containers holds 2 to 15 containers; with InferenceExecutionConfig Serial each container's
  response is the next one's request (https://docs.aws.amazon.com/sagemaker/latest/dg/inference-pipelines.html).
- ContainerHostname is `[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`, unique within the model.
- Environment holds at most 100 variables, names `[a-zA-Z_][a-zA-Z0-9_]*` and values up to 1024 characters.
- Network isolation and the VPC are properties of the Model, so they apply to every container.
- Serverless endpoints do not support inference pipelines
  (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html#serverless-endpoints-how-it-works-exclusions).
"""

from __future__ import annotations

from collections.abc import Iterator

from mlstack.blueprints.rules.common import Finding, Path, duplicates
from mlstack.blueprints.schema import Blueprint, Model, PipelineStep
from mlstack.components import images

MIN_CONTAINERS = 2
MAX_CONTAINERS = 15
MAX_ENVIRONMENT = 100


def check(blueprint: Blueprint, model: Model, path: Path) -> Iterator[Finding]:
    pipeline = model.pipeline
    if pipeline is None:
        return
    here = (*path, "pipeline")
    if not MIN_CONTAINERS <= len(pipeline) <= MAX_CONTAINERS:
        yield (
            here,
            f"a serial inference pipeline has {MIN_CONTAINERS} to {MAX_CONTAINERS} containers (CreateModel "
            f"Containers); this one has {len(pipeline)}",
        )
    own = [index for index, step in enumerate(pipeline) if _is_the_model(step)]
    if len(own) != 1:
        yield (
            here,
            "exactly one step is the model's own container (a step with no image and no framework); "
            + ("none is" if not own else f"{len(own)} are: {', '.join(pipeline[i].name for i in own)}"),
        )
    yield from duplicates([step.name for step in pipeline], here, "pipeline step")
    for index, step in enumerate(pipeline):
        yield from _step(blueprint, step, (*here, index), is_model=index in own)


def _is_the_model(step: PipelineStep) -> bool:
    return step.image is None and step.framework is None and step.framework_version is None


def _step(blueprint: Blueprint, step: PipelineStep, path: Path, *, is_model: bool) -> Iterator[Finding]:
    if len(step.environment) > MAX_ENVIRONMENT:
        yield (
            (*path, "environment"),
            f"a container takes at most {MAX_ENVIRONMENT} environment variables (ContainerDefinition "
            f"Environment); step {step.name} has {len(step.environment)}",
        )
    if is_model:
        if step.model_data is not None:
            yield (
                (*path, "model_data"),
                f"step {step.name} is the model's own container, which serves the model's `model_data`",
            )
        return
    if step.image is not None and (step.framework is not None or step.framework_version is not None):
        yield (path, f"step {step.name} takes an image or a framework, not both")
        return
    if step.framework is None:
        if step.framework_version is not None:
            yield ((*path, "framework"), f"step {step.name}: framework_version is set but framework is missing")
        return
    if step.framework not in images.FRAMEWORKS:
        yield (
            (*path, "framework"),
            f"unknown framework {step.framework!r}; supported: {', '.join(images.FRAMEWORKS)} (or give an `image`)",
        )
    elif step.framework_version is None:
        yield ((*path, "framework_version"), f"step {step.name}: framework {step.framework} needs a framework_version")
    elif blueprint.region:
        try:
            images.framework_image(step.framework, step.framework_version, blueprint.region, gpu=False)
        except images.UnsupportedImage as error:
            yield ((*path, "framework_version"), str(error))
