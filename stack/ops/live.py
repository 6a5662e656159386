"""What a deployed endpoint is right now, read through boto3 (read-only calls)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mlstack.stack.ops.aws import ApiError, Aws
from mlstack.stack.ops.target import ScalingRange

# Statuses of an endpoint that a change is still under way in (API_DescribeEndpoint.html#EndpointStatus).
CHANGING = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack", "UpdateRollbackFailed", "Deleting"})
ALARM_BATCH = 100  # DescribeAlarms takes at most 100 AlarmNames


@dataclass(frozen=True)
class LiveVariant:
    name: str
    current_weight: float | None
    desired_weight: float | None
    current_count: int | None
    desired_count: int | None


@dataclass(frozen=True)
class LiveEndpoint:
    name: str
    arn: str
    status: str
    failure_reason: str | None
    config_name: str
    variants: tuple[LiveVariant, ...]
    shadow_variants: tuple[LiveVariant, ...]
    last_modified: datetime | None
    last_deployment: str | None
    """A summary of `LastDeploymentConfig` (the guardrails of the last update), if AWS returns one."""

    def variant(self, name: str) -> LiveVariant | None:
        return next((v for v in self.variants if v.name == name), None)

    @property
    def desired_weights(self) -> dict[str, float]:
        return {v.name: v.desired_weight if v.desired_weight is not None else 1.0 for v in self.variants}

    def settled(self) -> bool:
        """InService, with every variant at the weight it was asked for."""
        return self.status == "InService" and all(
            v.current_weight is None or v.desired_weight is None or abs(v.current_weight - v.desired_weight) < 1e-9
            for v in self.variants
        )


@dataclass(frozen=True)
class AlarmState:
    name: str
    state: str
    reason: str


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _count(value: Any) -> int | None:
    return int(value) if isinstance(value, int) else None


def _live_variants(entries: Iterable[Mapping[str, Any]]) -> tuple[LiveVariant, ...]:
    return tuple(
        LiveVariant(
            name=str(entry["VariantName"]),
            current_weight=_number(entry.get("CurrentWeight")),
            desired_weight=_number(entry.get("DesiredWeight")),
            current_count=_count(entry.get("CurrentInstanceCount")),
            desired_count=_count(entry.get("DesiredInstanceCount")),
        )
        for entry in entries
    )


def _deployment_summary(config: Mapping[str, Any] | None) -> str | None:
    if not config:
        return None
    policy = config.get("BlueGreenUpdatePolicy") or {}
    routing = (policy.get("TrafficRoutingConfiguration") or {}).get("Type")
    if routing:
        return f"blue/green {routing.lower().replace('_', '-')}"
    if config.get("RollingUpdatePolicy"):
        return "rolling"
    return "guarded"


def is_missing_endpoint(error: ApiError) -> bool:
    # SageMaker answers DescribeEndpoint for an unknown name with ValidationException "Could not find endpoint".
    return error.code == "ValidationException" and "could not find endpoint" in error.message.lower()


def describe_endpoint(aws: Aws, name: str) -> LiveEndpoint | None:
    """The endpoint as AWS reports it; None when it does not exist."""
    try:
        response = aws.call("sagemaker", "describe_endpoint", EndpointName=name)
    except ApiError as error:
        if is_missing_endpoint(error):
            return None
        raise
    return LiveEndpoint(
        name=name,
        arn=str(response.get("EndpointArn", "")),
        status=str(response.get("EndpointStatus", "")),
        failure_reason=response.get("FailureReason") or None,
        config_name=str(response.get("EndpointConfigName", "")),
        variants=_live_variants(response.get("ProductionVariants") or ()),
        shadow_variants=_live_variants(response.get("ShadowProductionVariants") or ()),
        last_modified=response.get("LastModifiedTime"),
        last_deployment=_deployment_summary(response.get("LastDeploymentConfig")),
    )


def describe_config(aws: Aws, name: str) -> Mapping[str, Any] | None:
    """DescribeEndpointConfig of `name`; None when there is no such configuration."""
    try:
        return aws.call("sagemaker", "describe_endpoint_config", EndpointConfigName=name)
    except ApiError as error:
        if error.code == "ValidationException" and "could not find" in error.message.lower():
            return None
        raise


def config_tags(aws: Aws, config: Mapping[str, Any]) -> dict[str, str]:
    arn = config.get("EndpointConfigArn")
    if not arn:
        return {}
    response = aws.call("sagemaker", "list_tags", ResourceArn=str(arn))
    return {str(tag["Key"]): str(tag["Value"]) for tag in response.get("Tags") or ()}


def scalable_targets(aws: Aws, endpoint_name: str, variants: Sequence[str]) -> dict[str, ScalingRange]:
    """Application Auto Scaling registrations of the endpoint's variants, by variant name."""
    if not variants:
        return {}
    ids = [f"endpoint/{endpoint_name}/variant/{variant}" for variant in variants]
    response = aws.call(
        "application-autoscaling",
        "describe_scalable_targets",
        ServiceNamespace="sagemaker",
        ResourceIds=ids,
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
    )
    return {
        str(target["ResourceId"]).rsplit("/", 1)[-1]: ScalingRange(
            int(target["MinCapacity"]), int(target["MaxCapacity"])
        )
        for target in response.get("ScalableTargets") or ()
    }


def alarm_states(aws: Aws, names: Sequence[str]) -> dict[str, AlarmState]:
    """State of each named alarm that exists (metric and metric-math alarms alike)."""
    states: dict[str, AlarmState] = {}
    for start in range(0, len(names), ALARM_BATCH):
        response = aws.call(
            "cloudwatch",
            "describe_alarms",
            AlarmNames=list(names[start : start + ALARM_BATCH]),
            AlarmTypes=["MetricAlarm"],
        )
        for alarm in response.get("MetricAlarms") or ():
            states[str(alarm["AlarmName"])] = AlarmState(
                str(alarm["AlarmName"]), str(alarm.get("StateValue", "")), str(alarm.get("StateReason", ""))
            )
    return states
