"""Serving safety: capacity, rollouts, autoscaling, GPU use in dev, shadow sampling, large-model sizing."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy.proxy import UnknownValueError

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
    string_input,
)
from mlstack.policies.sagemaker import (
    ENDPOINT_CONFIG,
    ENDPOINTS,
    METRIC_ALARM,
    MODEL,
    SCALING_POLICY,
    SCALING_TARGET,
    components_on,
    config_of,
    endpoint_name_of,
    instance_type_of,
    instance_variants,
    managed_instance_scaling,
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


COPY_COUNT = "sagemaker:inference-component:DesiredCopyCount"


def _has_copy_target(component: Any, targets: Mapping[str, list[Any]], index: StackIndex) -> bool:
    """Whether a scaling target of this stack scales the component's copies: one whose resourceId
    names it, or one that depends on it and whose resourceId is unknown at preview (it may come
    from the component's outputs)."""
    name = peek(component.props, "inferenceComponentName")
    if isinstance(name, str) and f"inference-component/{name}" in targets:
        return True
    return any(
        peek(target.props, "resourceId") is None and peek(target.props, "scalableDimension") in (COPY_COUNT, None)
        for target in index.dependents(component, SCALING_TARGET)
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
        managed: list[str] = []
        for variant in instance_variants(config.props, shadow=False):
            variant_text = variant_name(variant)
            if managed_instance_scaling(variant):
                managed.append(variant_text)
                continue
            resource_id = f"endpoint/{name}/variant/{variant_text}"
            if resource_id not in targets:
                yield f"prod endpoint {endpoint.name}: variant {variant_text} lacks scaling target {resource_id}"
        if not managed or name is None:
            return
        # SageMaker scales a managed fleet's instances to fit the copies it must place, and
        # Application Auto Scaling scales the copies: without a copy-count target, a component
        # keeps its initial copies whatever the load, and the fleet never grows. Components of
        # other stacks are theirs to judge.
        for component in components_on(name, resources):
            variant = peek(component.props, "variantName")
            if isinstance(variant, str) and variant not in managed:
                continue  # on a variant judged above
            if _has_copy_target(component, targets, index):
                continue
            component_name = string_input(component.props, "inferenceComponentName")
            on = variant if isinstance(variant, str) else " / ".join(managed)
            lacks = (
                f"lacks scaling target inference-component/{component_name}"
                if component_name
                else f"has no scaling target on its copy count ({COPY_COUNT})"
            )
            yield (
                f"prod endpoint {endpoint.name}: variant {on} scales its instances itself (managedInstanceScaling), "
                f"but inference component {component_name or component.name} on it {lacks}"
            )

    yield from per_resource(index.of_type(*ENDPOINTS), check)


PROD_AUTOSCALING = Rule(
    name="sagemaker-prod-endpoint-autoscaling",
    description=(
        "Checks whether every instance-based production variant of a prod endpoint has an autoscaling target; "
        "on a variant whose instances SageMaker scales itself (managedInstanceScaling ENABLED), whether every "
        "inference component it hosts has a scaling target on its copy count (inference-component/<name>)."
    ),
    severity="medium",
    remediation=(
        "Add autoscaling (min, max, a target) to the endpoint; on an inference-component endpoint, copies "
        "(min, max) and a target per component."
    ),
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

# Scaling in to zero and back: target tracking scales on a per-instance (or per-copy) metric, which
# has no value at zero capacity, so it never scales out from zero; SageMaker needs a step-scaling
# policy, fired by an alarm on NoCapacityInvocationFailures (inference components) or
# HasBacklogWithoutCapacity (asynchronous endpoints), to add the first instance or copy again.
# https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html and
# https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-policy.html ("you must use
# step scaling if you want to enable an endpoint to scale out from zero active instances").
STEP_SCALING = "StepScaling"


def _policies_by_scalable(index: StackIndex) -> dict[tuple[str, str], list[Any]]:
    """Scaling policies by (resourceId, scalableDimension), those peeked known."""
    found: dict[tuple[str, str], list[Any]] = {}
    for policy in index.of_type(SCALING_POLICY):
        resource_id, dimension = peek(policy.props, "resourceId"), peek(policy.props, "scalableDimension")
        if isinstance(resource_id, str) and isinstance(dimension, str):
            found.setdefault((resource_id, dimension), []).append(policy)
    return found


def _same(one: Any, other: Any) -> bool:
    """Whether two peeked values may be equal: either unknown (None), or equal."""
    return one is None or other is None or one == other


def _is_step_scaling(policy: Any) -> bool:
    """pulumi-aws defaults policyType to StepScaling; raises UnknownValueError when it is unknown."""
    policy_type = string_input(policy.props, "policyType")
    return policy_type is None or policy_type == STEP_SCALING


def _scaled(resource_id: str) -> str:
    """What a SageMaker resourceId scales, in words."""
    parts = resource_id.split("/")
    if len(parts) == 2 and parts[0] == "inference-component":
        return f"inference component {parts[1]}"
    if len(parts) == 4 and parts[0] == "endpoint" and parts[2] == "variant":
        return f"variant {parts[3]} of endpoint {parts[1]}"
    return resource_id


def _scale_from_zero(args: StackView, _settings: PolicySettings) -> Iterator[Violation]:
    index = index_of(args.resources)
    policies = index.memo("policies-by-scalable", lambda: _policies_by_scalable(index))

    def check(target: Any) -> Iterator[str]:
        if string_input(target.props, "serviceNamespace") != "sagemaker":
            return
        if number_input(target.props, "minCapacity") != 0:
            return
        resource_id, dimension = peek(target.props, "resourceId"), peek(target.props, "scalableDimension")
        known = isinstance(resource_id, str) and isinstance(dimension, str)
        named = policies.get((resource_id, dimension), []) if known else []
        # A policy whose resourceId comes from the target's outputs may be unknown at preview: the
        # policies depending on the target, unless they name another resource.
        candidates = index.in_stack_order(
            [
                *named,
                *(
                    p
                    for p in index.dependents(target, SCALING_POLICY)
                    if _same(peek(p.props, "resourceId"), resource_id)
                    and _same(peek(p.props, "scalableDimension"), dimension)
                ),
            ]
        )
        unknown: UnknownValueError | None = None
        unfired = []
        for policy in candidates:
            try:
                if not _is_step_scaling(policy):
                    continue
            except UnknownValueError as error:
                unknown = error
                continue
            # A step policy acts only when an alarm fires it: its alarmActions hold the policy's ARN,
            # which makes the alarm depend on the policy.
            if index.dependents(policy, METRIC_ALARM):
                return
            unfired.append(policy)
        if unknown is not None:
            raise unknown  # a policy of unknown type may be the step policy: cannot evaluate
        resource_text = string_input(target.props, "resourceId")
        dimension_text = string_input(target.props, "scalableDimension")
        what = _scaled(resource_text) if resource_text else target.name
        if unfired:
            yield (
                f"scaling target {target.name} lets {what} scale in to zero (minCapacity 0), and StepScaling "
                f"policy {unfired[0].name} would scale it out again, but no CloudWatch alarm fires that policy "
                "(no alarm's alarmActions name it), so once it has scaled in to zero it stays there"
            )
            return
        yield (
            f"scaling target {target.name} lets {what} scale in to zero (minCapacity 0), but no StepScaling "
            f"policy acts on {resource_text} {dimension_text}: target tracking cannot scale out from zero "
            f"capacity (its per-instance or per-copy metric has no value there), so once {what} has scaled "
            "in to zero it stays there and its requests go unserved"
        )

    yield from per_resource(index.of_type(SCALING_TARGET), check)


SCALE_FROM_ZERO = Rule(
    name="sagemaker-scale-from-zero",
    description=(
        "Checks whether every SageMaker scaling target that can scale in to zero (minCapacity 0) has a "
        "StepScaling policy on the same resourceId and scalableDimension: target tracking cannot scale out "
        "from zero capacity."
    ),
    severity="high",
    remediation=(
        "Add a StepScaling policy on the target's resourceId and scalableDimension, fired by a CloudWatch alarm "
        "on NoCapacityInvocationFailures (inference components) or HasBacklogWithoutCapacity (asynchronous "
        "endpoints); mlstack adds both when the minimum is 0. Or set the minimum to 1 or more."
    ),
    check=_scale_from_zero,
    kind="stack",
)

RULES = (
    PROD_INSTANCE_COUNT,
    PROD_AUTO_ROLLBACK,
    PROD_AUTOSCALING,
    GPU_IN_DEV,
    SHADOW_SAMPLING,
    LARGE_MODEL_SIZING,
    SCALE_FROM_ZERO,
)
