"""Application Auto Scaling for SageMaker instance variants: a target and a target-tracking policy each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi

from mlstack.components.naming import scaling_policy_name
from mlstack.components.sdk import aws


@dataclass(frozen=True)
class ScalingArgs:
    """Bounds and target of one endpoint's variants."""

    min_instances: int
    """Floor of each variant; a variant declared with fewer instances keeps its own count as floor."""
    max_instances: int
    """Ceiling of each variant."""
    metric: Literal["invocations-per-instance", "gpu-utilization"]
    """What to track."""
    target: float
    """Invocations per instance per minute, or average GPU utilisation in percent of all GPUs."""
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
        targets.append(target)
    return targets
