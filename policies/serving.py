"""Serving safety: capacity, rollouts, autoscaling, GPU use in dev, shadow sampling, large-model sizing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mlstack.components import instances, sizing
from mlstack.components.containers import read_large_model_environment
from mlstack.policies.framework import (
    ResourceView,
    Rule,
    StackIndex,
    StackView,
    Violation,
    dig,
    environment_of,
    has_key,
    index_of,
    is_prod,
    list_input,
    number_input,
    object_input,
    peek,
    per_resource,
)
from mlstack.policies.sagemaker import (
    ENDPOINT_CONFIG,
    ENDPOINTS,
    MODEL,
    SCALING_TARGET,
    config_of,
    endpoint_name_of,
    instance_type_of,
    instance_variants,
    shadow_variants,
    variant_name,
    variants,
)
from mlstack.policies.settings import PolicySettings


def _prod_instance_count(args: ResourceView, settings: PolicySettings) -> Iterator[str]:
    if not is_prod(environment_of(args.props, settings)):
        return
    for variant in instance_variants(args.props, shadow=False):
        count = number_input(variant, "initialInstanceCount")
        if count is None or count < 2:
            yield (
                f"prod variant {variant_name(variant)} of {args.name} runs {count or 1:g} instance; "
                "one instance is a single point of failure (SageMaker spreads 2+ across Availability Zones)"
            )


PROD_INSTANCE_COUNT = Rule(
    name="sagemaker-prod-instance-count",
    description="Checks whether every instance-based production variant in prod starts with more than one instance.",
    severity="medium",
    remediation="Set instances: 2 or more on prod variants (or an autoscaling min of 2).",
    check=_prod_instance_count,
    kind="resource",
    resource_types=(ENDPOINT_CONFIG,),
    aws_config=("sagemaker-endpoint-config-prod-instance-count",),
)


def _auto_rollback(args: ResourceView, settings: PolicySettings) -> Iterator[str]:
    if not is_prod(environment_of(args.props, settings)):
        return
    deployment = object_input(args.props, "deploymentConfig")
    if not deployment:
        return
    alarms = list_input(args.props, "deploymentConfig", "autoRollbackConfiguration", "alarms")
    if not alarms:
        yield f"prod endpoint {args.name} rolls out with a deploymentConfig but no autoRollbackConfiguration alarms"


PROD_AUTO_ROLLBACK = Rule(
    name="sagemaker-prod-rollout-auto-rollback",
    description=(
        "Checks whether prod endpoints that roll out with deployment guardrails roll back automatically on alarms."
    ),
    severity="high",
    remediation="Add alarms (p99_latency_ms, error_rate) to the endpoint; mlstack wires them as rollback alarms.",
    check=_auto_rollback,
    kind="resource",
    resource_types=ENDPOINTS,
)


def _autoscaling(args: StackView, settings: PolicySettings) -> Iterator[Violation]:
    resources = args.resources
    index = index_of(resources)
    targets = index.named("resourceId", SCALING_TARGET)

    def check(endpoint: Any) -> Iterator[str]:
        if not is_prod(environment_of(endpoint.props, settings)):
            return
        config = config_of(endpoint, resources)
        if config is None:
            yield f"prod endpoint {endpoint.name}: its endpoint configuration is not in this stack"
            return
        name = endpoint_name_of(endpoint.props)
        for variant in map(variant_name, instance_variants(config.props, shadow=False)):
            resource_id = f"endpoint/{name}/variant/{variant}"
            if resource_id not in targets:
                yield f"prod endpoint {endpoint.name}: variant {variant} lacks scaling target {resource_id}"

    yield from per_resource(index.of_type(*ENDPOINTS), check)


PROD_AUTOSCALING = Rule(
    name="sagemaker-prod-endpoint-autoscaling",
    description="Checks whether every instance-based production variant of a prod endpoint has an autoscaling target.",
    severity="medium",
    remediation="Add autoscaling (min, max, a target) to the endpoint.",
    check=_autoscaling,
    kind="stack",
)


def _gpu_in_dev(args: ResourceView, settings: PolicySettings) -> Iterator[str]:
    if environment_of(args.props, settings) != "dev" or settings.allow_gpu_in_dev:
        return
    for variant in instance_variants(args.props):
        instance_type = instance_type_of(variant)
        if instances.lookup(instance_type).has_gpu:
            yield f"dev variant {variant_name(variant)} of {args.name} uses GPU instance type {instance_type}"


GPU_IN_DEV = Rule(
    name="sagemaker-gpu-in-dev",
    description=(
        "Checks whether dev endpoint configurations avoid GPU instance types unless the policy settings allow them."
    ),
    severity="low",
    remediation="Use a CPU instance type in dev (an environment override), or set policies allow_gpu_in_dev.",
    check=_gpu_in_dev,
    kind="resource",
    resource_types=(ENDPOINT_CONFIG,),
)


def _weight(variant: Any) -> float:
    weight = number_input(variant, "initialVariantWeight")
    return 1.0 if weight is None else float(weight)


def _shadow_sampling(args: ResourceView, settings: PolicySettings) -> Iterator[str]:
    shadows = shadow_variants(args.props)
    if not shadows:
        return
    production = sum(_weight(v) for v in variants(args.props, shadow=False))
    for shadow in shadows:
        percent = 100.0 * _weight(shadow) / production if production else float("inf")
        if percent > settings.max_shadow_sample_percent:
            yield (
                f"shadow variant {variant_name(shadow)} of {args.name} samples {percent:g}% of requests, "
                f"above the configured {settings.max_shadow_sample_percent:g}%"
            )


SHADOW_SAMPLING = Rule(
    name="sagemaker-shadow-sampling-limit",
    description=(
        "Checks whether shadow variants sample at most max_shadow_sample_percent of requests "
        "(shadow weight / production weight x 100)."
    ),
    severity="low",
    remediation="Lower the shadow's sample_percent, or raise max_shadow_sample_percent in the policies settings.",
    check=_shadow_sampling,
    kind="resource",
    resource_types=(ENDPOINT_CONFIG,),
)


def _model_of(variant: Any, config: Any, index: StackIndex) -> Any | None:
    """The model a variant serves: the one its modelName names, else the only one its configuration
    depends on whose name could be it (unknown at preview). None for a model outside this stack.

    Raises UnknownValueError when an unknown name leaves the join open."""
    name = peek(variant, "modelName")
    if name is not None:
        named = index.named("name", MODEL).get(name, []) if isinstance(name, str) else []
        if named:
            return named[0]
    depended = [m for m in index.depended_on(config, MODEL) if name is None or peek(m.props, "name") is None]
    if len(depended) == 1:
        return depended[0]
    if name is None:
        dig(variant, "modelName")  # unknown: say which field stopped the join
    return None


def _container_environments(model_props: Any) -> list[Any]:
    paths: list[tuple[str | int, ...]] = [("primaryContainer",)] if has_key(model_props, "primaryContainer") else []
    paths += [("containers", position) for position in range(len(list_input(model_props, "containers")))]
    environments = (object_input(model_props, *path, "environment") for path in paths)
    return [environment for environment in environments if environment is not None]


def _large_model_sizing(args: StackView, settings: PolicySettings) -> Iterator[Violation]:
    index = index_of(args.resources)

    def check(config: Any) -> Iterator[str]:
        for variant in instance_variants(config.props):
            model = _model_of(variant, config, index)
            if model is None:
                continue  # a model outside this stack: nothing to size it by
            for environment in _container_environments(model.props):
                served = read_large_model_environment(environment)
                if served is None:
                    continue
                instance_type = instance_type_of(variant)
                shape = sizing.ModelShape(
                    tensor_parallel_degree=served.tensor_parallel_degree, dtype=served.dtype, needs_gpu=True
                )
                try:
                    instance = instances.lookup(instance_type)
                except instances.UnknownInstanceType as error:
                    yield f"variant {variant_name(variant)} of {config.name}: {error}"
                    continue
                problems = shape.problems(instance)
                if not problems:
                    continue
                fit = sizing.cheapest_fit(shape, instances.PRICE_REGION)
                hint = f"; the cheapest type that meets these settings is {fit.instance.name}" if fit else ""
                for problem in problems:
                    yield (
                        f"variant {variant_name(variant)} of {config.name} serves model {model.name} "
                        f"({served.container}) on {instance.name}: {problem}{hint}"
                    )

    yield from per_resource(index.of_type(ENDPOINT_CONFIG), check)


LARGE_MODEL_SIZING = Rule(
    name="sagemaker-large-model-sizing",
    description=(
        "Checks whether each instance-based variant serving a large-model container (djl-lmi, huggingface-llm, "
        "huggingface-vllm) runs on GPUs that can serve it: GPUs present, the container's tensor-parallel degree "
        "dividing their count, and support for its dtype (bf16 needs compute capability 8.0+, fp8 8.9+). "
        "The same judge as `mlstack validate` (components/sizing.py), on what the resources show: the weights' "
        "size is not in the resource props, so GPU memory is left to `mlstack validate`, and djl-lmi and "
        "huggingface-vllm read fp8, int8 and int4 from the checkpoint, not the environment."
    ),
    severity="high",
    remediation=(
        "Choose an instance type whose GPUs support the model's dtype and whose GPU count the tensor-parallel "
        "degree divides (`mlstack validate` names the cheapest), or change the dtype or tensor_parallel_degree."
    ),
    check=_large_model_sizing,
    kind="stack",
)

RULES = (PROD_INSTANCE_COUNT, PROD_AUTO_ROLLBACK, PROD_AUTOSCALING, GPU_IN_DEV, SHADOW_SAMPLING, LARGE_MODEL_SIZING)
