"""Application Auto Scaling for SageMaker: instance variants and inference-component copies.

Each scaled thing gets a target and a target-tracking policy. What may scale to zero (an asynchronous
endpoint's variants, an inference component's copies) also gets the step-scaling policy and alarm
that scale it out again: target tracking divides by the capacity, so it cannot leave zero
(https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html,
https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-autoscale.html).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi

from mlstack.components.endpoint_alarms import SAGEMAKER_NAMESPACE
from mlstack.components.naming import scaling_policy_name, wake_alarm_name, wake_policy_name
from mlstack.components.sdk import aws


@dataclass(frozen=True)
class ScalingArgs:
    """Bounds and target of one endpoint's variants."""

    min_instances: int
    """Floor of each variant; a variant declared with fewer instances keeps its own count as floor."""
    max_instances: int
    """Ceiling of each variant."""
    metric: Literal["invocations-per-instance", "gpu-utilization", "backlog-per-instance"]
    """What to track."""
    target: float
    """Invocations per instance per minute, average GPU utilisation in percent of all GPUs, or queued
    requests per instance (asynchronous endpoints)."""
    scale_in_cooldown_seconds: int
    """Wait after scaling in; long, so a brief lull does not drop capacity needed a minute later."""
    scale_out_cooldown_seconds: int
    """Wait after scaling out; short, so load spikes are met quickly."""


@dataclass(frozen=True)
class ScaledVariant:
    """A production variant to scale."""

    name: str
    instances: int
    gpus_per_instance: int


def variant_resource_id(endpoint_name: str, variant: str) -> str:
    return f"endpoint/{endpoint_name}/variant/{variant}"


def variant_floor(variant: ScaledVariant, scaling: ScalingArgs) -> int:
    """The minimum capacity a variant is registered with."""
    return min(scaling.min_instances, variant.instances)


def gpu_utilization_target(percent: float, gpus_per_instance: int) -> float:
    # SageMaker's GPUUtilization is the sum over an instance's GPUs (0-100 per GPU), so "70% of
    # every GPU" on a 4-GPU instance is 280:
    # https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html#cloudwatch-metrics-jobs
    return percent * gpus_per_instance


def create_variant_scaling(
    name: str,
    *,
    endpoint_name: str,
    variants: Sequence[ScaledVariant],
    scaling: ScalingArgs,
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> list[aws.appautoscaling.Target]:
    """Register each variant with Application Auto Scaling and attach its target-tracking policy."""
    targets = []
    for variant in variants:
        target = aws.appautoscaling.Target(
            f"{name}-{variant.name}-scaling-target",
            service_namespace="sagemaker",
            resource_id=variant_resource_id(endpoint_name, variant.name),
            scalable_dimension="sagemaker:variant:DesiredInstanceCount",
            min_capacity=variant_floor(variant, scaling),
            max_capacity=scaling.max_instances,
            tags=dict(tags),
            opts=opts,
        )
        tracking: aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgsDict = {
            "target_value": scaling.target,
            "scale_in_cooldown": scaling.scale_in_cooldown_seconds,
            "scale_out_cooldown": scaling.scale_out_cooldown_seconds,
        }
        if scaling.metric == "invocations-per-instance":
            tracking["predefined_metric_specification"] = {
                "predefined_metric_type": "SageMakerVariantInvocationsPerInstance"
            }
        elif scaling.metric == "backlog-per-instance":
            # The asynchronous queue per instance; SageMaker publishes it per endpoint only.
            tracking["customized_metric_specification"] = {
                "metric_name": "ApproximateBacklogSizePerInstance",
                "namespace": SAGEMAKER_NAMESPACE,
                "dimensions": [{"name": "EndpointName", "value": endpoint_name}],
                "statistic": "Average",
            }
        else:
            tracking["target_value"] = gpu_utilization_target(scaling.target, variant.gpus_per_instance)
            tracking["customized_metric_specification"] = {
                "metric_name": "GPUUtilization",
                "namespace": "/aws/sagemaker/Endpoints",
                "dimensions": [
                    {"name": "EndpointName", "value": endpoint_name},
                    {"name": "VariantName", "value": variant.name},
                ],
                "statistic": "Average",
                "unit": "Percent",
            }
        aws.appautoscaling.Policy(
            f"{name}-{variant.name}-scaling-policy",
            name=scaling_policy_name(endpoint_name, variant.name),
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            resource_id=target.resource_id,
            scalable_dimension=target.scalable_dimension,
            target_tracking_scaling_policy_configuration=tracking,
            opts=opts,
        )
        if variant_floor(variant, scaling) == 0:
            create_wake_from_zero(
                f"{name}-{variant.name}",
                scaled=f"{endpoint_name}-{variant.name}",
                target=target,
                signal=WakeSignal("HasBacklogWithoutCapacity", {"EndpointName": endpoint_name}, "Average", 2),
                tags=tags,
                opts=opts,
            )
        targets.append(target)
    return targets


@dataclass(frozen=True)
class WakeSignal:
    """The metric SageMaker publishes when requests arrive and nothing can serve them."""

    metric_name: str
    dimensions: Mapping[str, str]
    statistic: str
    evaluation_periods: int


def create_wake_from_zero(
    name: str,
    *,
    scaled: str,
    target: aws.appautoscaling.Target,
    signal: WakeSignal,
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> aws.cloudwatch.MetricAlarm:
    """A step-scaling policy that adds one unit of capacity, and the alarm that triggers it."""
    policy = aws.appautoscaling.Policy(
        f"{name}-scale-from-zero",
        name=wake_policy_name(scaled),
        policy_type="StepScaling",
        service_namespace=target.service_namespace,
        resource_id=target.resource_id,
        scalable_dimension=target.scalable_dimension,
        step_scaling_policy_configuration={
            # AWS's documented configuration: one more unit as soon as the alarm fires.
            "adjustment_type": "ChangeInCapacity",
            "metric_aggregation_type": "Maximum" if signal.statistic == "Sum" else "Average",
            "cooldown": 60 if signal.statistic == "Sum" else 300,
            "step_adjustments": [{"metric_interval_lower_bound": "0", "scaling_adjustment": 1}],
        },
        opts=opts,
    )
    return aws.cloudwatch.MetricAlarm(
        f"{name}-scale-from-zero",
        name=wake_alarm_name(scaled),
        alarm_description=f"Requests reached {scaled} with no capacity to serve them: scale out from zero.",
        namespace=SAGEMAKER_NAMESPACE,
        metric_name=signal.metric_name,
        dimensions=dict(signal.dimensions),
        statistic=signal.statistic,
        period=60,
        evaluation_periods=signal.evaluation_periods,
        datapoints_to_alarm=signal.evaluation_periods,
        # AWS's examples compare with 1; at or above it, so the first request that fails (or the
        # first queued one) wakes the endpoint. GreaterThanThreshold would wait for a second one.
        threshold=1,
        comparison_operator="GreaterThanOrEqualToThreshold",
        treat_missing_data="missing",
        alarm_actions=[policy.arn],
        tags=dict(tags),
        opts=opts,
    )


@dataclass(frozen=True)
class ScaledComponent:
    """An inference component to scale by copies."""

    name: str
    """Its physical name, InferenceComponentName."""
    scaling_name: str
    """The name its policies are known by (the blueprint's component name)."""
    min_copies: int
    max_copies: int
    target_invocations_per_copy: float | None


def component_resource_id(component_name: str) -> str:
    return f"inference-component/{component_name}"


def create_component_scaling(
    name: str,
    *,
    endpoint_name: str,
    component: ScaledComponent,
    scale_in_cooldown_seconds: int,
    scale_out_cooldown_seconds: int,
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> aws.appautoscaling.Target:
    """Register a component's copy count; track invocations per copy; wake it from zero copies."""
    target = aws.appautoscaling.Target(
        f"{name}-scaling-target",
        service_namespace="sagemaker",
        resource_id=component_resource_id(component.name),
        scalable_dimension="sagemaker:inference-component:DesiredCopyCount",
        min_capacity=component.min_copies,
        max_capacity=component.max_copies,
        tags=dict(tags),
        opts=opts,
    )
    if component.target_invocations_per_copy is not None and component.min_copies < component.max_copies:
        aws.appautoscaling.Policy(
            f"{name}-scaling-policy",
            name=scaling_policy_name(endpoint_name, component.scaling_name),
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            resource_id=target.resource_id,
            scalable_dimension=target.scalable_dimension,
            target_tracking_scaling_policy_configuration={
                "target_value": component.target_invocations_per_copy,
                "predefined_metric_specification": {
                    "predefined_metric_type": "SageMakerInferenceComponentInvocationsPerCopy"
                },
                "scale_in_cooldown": scale_in_cooldown_seconds,
                "scale_out_cooldown": scale_out_cooldown_seconds,
            },
            opts=opts,
        )
    if component.min_copies == 0:
        create_wake_from_zero(
            name,
            scaled=component.name,
            target=target,
            signal=WakeSignal("NoCapacityInvocationFailures", {"InferenceComponentName": component.name}, "Sum", 1),
            tags=tags,
            opts=opts,
        )
    return target
