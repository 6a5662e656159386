"""Endpoints: variants, shadow, fallback, serverless, rollouts, alarms and autoscaling."""

from __future__ import annotations

from collections.abc import Iterator

from mlstack.blueprints.rules import async_inference, inference_components, pipelines
from mlstack.blueprints.rules.common import Finding, Path, duplicates
from mlstack.blueprints.rules.models import host_problems, hosts, model_problems
from mlstack.blueprints.schema import Blueprint, Endpoint
from mlstack.components import instances
from mlstack.components.rollout import (
    MAX_ROLLOUT_TIMEOUT_SECONDS,
    ROLLOUT_STEP_SECONDS,
    rollout_seconds_needed,
    rollout_steps,
)


def check(blueprint: Blueprint) -> Iterator[Finding]:
    yield from duplicates([e.name for e in blueprint.endpoints], ("endpoints",), "endpoint")
    for index, endpoint in enumerate(blueprint.endpoints):
        yield from _endpoint(blueprint, endpoint, ("endpoints", index))


def warnings(blueprint: Blueprint) -> Iterator[Finding]:
    for index, endpoint in enumerate(blueprint.endpoints):
        yield from inference_components.ceiling_warnings(endpoint, ("endpoints", index))


def _endpoint(blueprint: Blueprint, endpoint: Endpoint, path: Path) -> Iterator[Finding]:
    for model_name, model in endpoint.models.items():
        yield from model_problems(blueprint, model, (*path, "models", model_name))
        yield from pipelines.check(blueprint, model, (*path, "models", model_name))
    yield from inference_components.check(endpoint, path)
    yield from async_inference.check(blueprint, endpoint, path)
    yield from async_inference.zero_instances_problem(endpoint, path)
    yield from duplicates(
        [v.name for v in endpoint.variants] + ([endpoint.shadow.name] if endpoint.shadow else []),
        (*path, "variants"),
        "variant",
    )
    for index, variant in enumerate(endpoint.variants):
        variant_path = (*path, "variants", index)
        yield from _model_reference(endpoint, variant.model, (*variant_path, "model"), "variant")
        # A weight of 0 is how a promoted variant's predecessor stays deployed without traffic
        # (VariantWeight's minimum is 0 in SageMaker's API model); a negative one is meaningless.
        if variant.weight < 0:
            yield ((*variant_path, "weight"), f"weight cannot be negative, got {variant.weight:g}")
    if endpoint.variants and all(variant.weight == 0 for variant in endpoint.variants):
        yield (
            (*path, "variants"),
            "every variant has weight 0: at least one needs a positive weight to serve requests",
        )
    for host in hosts(endpoint, path):
        yield from host_problems(blueprint, endpoint, host)
    if endpoint.fallback:
        yield from _model_reference(endpoint, endpoint.fallback.model, (*path, "fallback", "model"), "fallback")
    if endpoint.serverless:
        yield from _serverless(endpoint, path)
    elif not endpoint.variants and not endpoint.components:
        yield ((*path, "variants"), "an endpoint needs at least one variant, `serverless`, or `components`")
    if endpoint.shadow:
        yield from _shadow(endpoint, path)
    if endpoint.rollout:
        yield from _rollout(endpoint, path)
    if endpoint.autoscaling:
        yield from _autoscaling(endpoint, path)
    served = len(endpoint.variants) or len(endpoint.components)
    kind = "variant" if endpoint.variants else "component"
    if endpoint.alarms and endpoint.alarms.error_rate and 2 * served > MAX_ALARM_METRICS:
        yield (
            (*path, "alarms", "error_rate"),
            f"the error-rate alarm sums 5xx errors and invocations of every {kind}: {2 * served} "
            f"metrics for {served} {kind}s, but a CloudWatch metric-math alarm takes at most "
            f"{MAX_ALARM_METRICS}; use at most {MAX_ALARM_METRICS // 2} {kind}s with error_rate",
        )


def _model_reference(endpoint: Endpoint, model: str, path: Path, what: str) -> Iterator[Finding]:
    if model not in endpoint.models:
        yield (
            path,
            f"{what} names model {model!r}, which is not in this endpoint's models "
            f"({', '.join(sorted(endpoint.models))})",
        )


def _serverless(endpoint: Endpoint, path: Path) -> Iterator[Finding]:
    serverless = endpoint.serverless
    assert serverless is not None
    not_supported = {
        "variants": bool(endpoint.variants),
        "shadow": endpoint.shadow is not None,
        "data_capture": endpoint.data_capture is not None,
        "autoscaling": endpoint.autoscaling is not None,
        "rollout": endpoint.rollout is not None,
        "routing": endpoint.routing is not None,
    }
    reasons = {
        "variants": "it serves its one model without instances or variants",
        "shadow": "SageMaker does not support shadow variants on serverless endpoints",
        "data_capture": "SageMaker cannot capture data on serverless endpoints",
        "autoscaling": "serverless endpoints scale by themselves up to max_concurrency",
        "rollout": "deployment guardrails do not support serverless endpoints",
        "routing": "routing strategies apply to instance-based variants only",
    }
    for field, present in not_supported.items():
        if present:
            yield ((*path, field), f"a serverless endpoint cannot have `{field}`: {reasons[field]}")
    served = serverless_models(endpoint)
    if len(served) != 1:
        yield (
            (*path, "models"),
            f"a serverless endpoint serves exactly one model (besides its fallback); it has {len(served)}: "
            f"{', '.join(served)}",
        )
    for key in served:
        if endpoint.models[key].container is not None:
            yield (
                (*path, "models", key, "container"),
                "large-model containers need GPUs, and serverless endpoints have none",
            )
        if endpoint.models[key].pipeline:
            yield (
                (*path, "models", key, "pipeline"),
                "serverless endpoints do not support inference pipelines (SageMaker's serverless exclusions); "
                "serve the pipeline on instances",
            )
    if serverless.provisioned_concurrency and serverless.provisioned_concurrency > serverless.max_concurrency:
        yield (
            (*path, "serverless", "provisioned_concurrency"),
            f"provisioned_concurrency {serverless.provisioned_concurrency} exceeds max_concurrency "
            f"{serverless.max_concurrency}",
        )


def serverless_models(endpoint: Endpoint) -> list[str]:
    """The models a serverless endpoint serves: all but a separate fallback."""
    fallback = endpoint.fallback.model if endpoint.fallback else None
    served = [key for key in endpoint.models if key != fallback]
    return served or ([fallback] if fallback in endpoint.models else [])


def _shadow(endpoint: Endpoint, path: Path) -> Iterator[Finding]:
    shadow = endpoint.shadow
    assert shadow is not None
    yield from _model_reference(endpoint, shadow.model, (*path, "shadow", "model"), "shadow")
    if shadow.instance_type.startswith("ml.inf1."):
        yield ((*path, "shadow", "instance_type"), "SageMaker shadow variants do not support Inf1 instances")
    if len(endpoint.variants) != 1 and not endpoint.serverless:
        yield (
            (*path, "shadow"),
            f"a shadow variant needs exactly one production variant beside it; this endpoint has "
            f"{len(endpoint.variants)} ({', '.join(v.name for v in endpoint.variants) or 'none'})",
        )


_ROLLOUT_FIELDS = {"canary": "canary_percent", "linear": "step_percent", "rolling": "step_percent"}
# TrafficRoutingConfig / RollingUpdatePolicy limits, as shares of a variant's capacity (botocore
# SageMaker model: CanarySize <= 50%, LinearStepSize 10-50%, MaximumBatchSize 5-50%).
_STEP_LIMITS = {"canary": (1, 50), "linear": (10, 50), "rolling": (5, 50)}
# A metric-math alarm may query at most 10 metrics:
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataQuery.html
MAX_ALARM_METRICS = 10
# AutoRollbackConfig.Alarms holds at most 10 alarms (botocore AlarmList max).
MAX_ROLLBACK_ALARMS = 10


def _rollout(endpoint: Endpoint, path: Path) -> Iterator[Finding]:
    rollout = endpoint.rollout
    assert rollout is not None
    here = (*path, "rollout")
    needed = _ROLLOUT_FIELDS.get(rollout.strategy)
    for field in ("canary_percent", "step_percent"):
        value = getattr(rollout, field)
        if field == needed and value is None:
            yield (here, f"strategy {rollout.strategy} needs `{field}`")
        elif field != needed and value is not None:
            users = ", ".join(s for s, f in _ROLLOUT_FIELDS.items() if f == field)
            yield ((*here, field), f"`{field}` does not apply to strategy {rollout.strategy} (it is for {users})")
        elif value is not None:
            low, high = _STEP_LIMITS[rollout.strategy]
            if not low <= value <= high:
                yield (
                    (*here, field),
                    f"{rollout.strategy} steps must be {low}-{high}% of a variant's capacity; got {value}%",
                )
    step_size = rollout.canary_percent or rollout.step_percent
    seconds = rollout_seconds_needed(rollout.strategy, step_size, rollout.bake_minutes * 60)
    if seconds > MAX_ROLLOUT_TIMEOUT_SECONDS:
        steps = rollout_steps(rollout.strategy, step_size)
        yield (
            (*here, "bake_minutes"),
            f"this rollout needs about {seconds // 60} minutes ({steps} steps x ({rollout.bake_minutes} min bake + "
            f"{ROLLOUT_STEP_SECONDS // 60} min to provision), plus a final bake), over SageMaker's "
            f"{MAX_ROLLOUT_TIMEOUT_SECONDS // 60}-minute deployment limit, which would stop and roll it back; "
            "use larger steps or a shorter bake",
        )
    if rollout.strategy == "rolling" and len(endpoint.variants) > 1:
        yield (
            here,
            f"SageMaker does not support rolling deployments of multi-variant endpoints (this one has "
            f"{len(endpoint.variants)}); use canary, linear or all-at-once",
        )
    for host in hosts(endpoint, path):
        if host.instance_type.startswith("ml.inf1."):
            yield (
                (*host.path, "instance_type"),
                f"deployment guardrails do not support Inf1 instances ({host.instance_type}): SageMaker would "
                "silently fall back to all-at-once without baking; drop `rollout` or use Inf2",
            )
    if endpoint.alarms:
        # A component endpoint's rollback alarms are its components' (each component's rolling
        # update names them all), a latency alarm per component.
        served, kind = (
            (len(endpoint.components), "component") if endpoint.components else (len(endpoint.variants), "variant")
        )
        count = (served if endpoint.alarms.p99_latency_ms else 0) + (1 if endpoint.alarms.error_rate else 0)
        if count > MAX_ROLLBACK_ALARMS:
            yield (
                (*path, "alarms"),
                f"this endpoint would have {count} rollback alarms (a latency alarm per {kind} plus the error "
                f"rate); SageMaker allows {MAX_ROLLBACK_ALARMS}",
            )


def _autoscaling(endpoint: Endpoint, path: Path) -> Iterator[Finding]:
    scaling = endpoint.autoscaling
    assert scaling is not None
    here = (*path, "autoscaling")
    if scaling.min > scaling.max:
        yield ((*here, "min"), f"min {scaling.min} is above max {scaling.max}")
    targets = [
        t
        for t in ("target_invocations_per_instance", "target_gpu_utilization", "target_backlog_per_instance")
        if getattr(scaling, t)
    ]
    if len(targets) != 1:
        choices = "target_invocations_per_instance or target_gpu_utilization"
        if endpoint.asynchronous:
            choices = "target_backlog_per_instance, target_invocations_per_instance or target_gpu_utilization"
        yield (
            here,
            f"autoscaling needs exactly one target: {choices}" + (f"; got {' and '.join(targets)}" if targets else ""),
        )
    for index, variant in enumerate(endpoint.variants):
        variant_path = (*path, "variants", index)
        try:
            instance = instances.lookup(variant.instance_type)
        except instances.UnknownInstanceType:
            continue  # reported by the variant's own check
        if instance.burstable:
            yield (
                (*variant_path, "instance_type"),
                f"variant {variant.name}: Application Auto Scaling does not support burstable instances "
                f"({instance.name}); choose a non-burstable type or drop autoscaling",
            )
        if scaling.target_gpu_utilization and not instance.has_gpu:
            yield (
                (*here, "target_gpu_utilization"),
                f"variant {variant.name} runs on {instance.name}, which has no GPUs to measure",
            )
        if variant.instances > scaling.max:
            yield (
                (*variant_path, "instances"),
                f"variant {variant.name} starts with {variant.instances} instances, "
                f"above autoscaling max {scaling.max}",
            )
