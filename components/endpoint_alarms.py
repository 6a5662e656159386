"""CloudWatch alarms on a SageMaker endpoint: p99 latency and 5xx error rate.

They notify on-call (a later component wires the topic) and are the auto-rollback alarms of the
endpoint's deployment guardrails, so their names are fixed and known before the endpoint exists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from mlstack.components.naming import error_rate_alarm_name, latency_alarm_name
from mlstack.components.sdk import aws

SAGEMAKER_NAMESPACE = "AWS/SageMaker"
# ModelLatency is reported in microseconds:
# https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html#cloudwatch-metrics-endpoint-invocation
MICROSECONDS_PER_MILLISECOND = 1000
PERIOD_SECONDS = 60
# Three bad minutes out of five: one slow minute (a cold cache, a deploy) does not page anyone.
EVALUATION_PERIODS = 5
DATAPOINTS_TO_ALARM = 3


@dataclass(frozen=True)
class AlarmThresholds:
    """What counts as unhealthy."""

    p99_latency_ms: float | None
    """Alarm when any variant's p99 model latency exceeds this."""
    error_rate: float | None
    """Alarm when 5xx errors / invocations across the endpoint exceeds this fraction."""


def create_endpoint_alarms(
    name: str,
    *,
    endpoint_name: str,
    variants: Sequence[str],
    thresholds: AlarmThresholds,
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
    topic_arn: pulumi.Input[str] | None = None,
    components: Mapping[str, str] | None = None,
) -> dict[str, aws.cloudwatch.MetricAlarm]:
    """One p99 latency alarm per variant and one error-rate alarm for the endpoint, by alarm name.

    With `components` (blueprint name -> InferenceComponentName), `variants` are component names:
    SageMaker reports a component endpoint's invocation metrics per component
    (https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html, dimension
    InferenceComponentName).
    """

    def dimensions(variant: str) -> dict[str, str]:
        if components is not None:
            return {"InferenceComponentName": components[variant]}
        return {"EndpointName": endpoint_name, "VariantName": variant}

    alarms: dict[str, aws.cloudwatch.MetricAlarm] = {}
    if thresholds.p99_latency_ms is not None:
        for variant in variants:
            alarms[latency_alarm_name(endpoint_name, variant)] = aws.cloudwatch.MetricAlarm(
                f"{name}-{variant}-p99-latency",
                name=latency_alarm_name(endpoint_name, variant),
                alarm_description=(
                    f"p99 model latency of {endpoint_name}/{variant} above {thresholds.p99_latency_ms:g} ms. "
                    "Check the variant's instance metrics and recent deployments; a rollout in progress "
                    "rolls back on this alarm."
                ),
                namespace=SAGEMAKER_NAMESPACE,
                metric_name="ModelLatency",
                dimensions=dimensions(variant),
                extended_statistic="p99",
                period=PERIOD_SECONDS,
                evaluation_periods=EVALUATION_PERIODS,
                datapoints_to_alarm=DATAPOINTS_TO_ALARM,
                threshold=thresholds.p99_latency_ms * MICROSECONDS_PER_MILLISECOND,
                comparison_operator="GreaterThanThreshold",
                # No traffic means no latency to judge, not an outage.
                treat_missing_data="notBreaching",
                alarm_actions=_actions(topic_arn),
                ok_actions=_actions(topic_arn),
                tags=dict(tags),
                opts=opts,
            )
    if thresholds.error_rate is not None:
        alarms[error_rate_alarm_name(endpoint_name)] = _error_rate_alarm(
            name,
            endpoint_name=endpoint_name,
            served=[dimensions(variant) for variant in variants],
            error_rate=thresholds.error_rate,
            tags=tags,
            opts=opts,
            topic_arn=topic_arn,
        )
    return alarms


def _error_rate_alarm(
    name: str,
    *,
    endpoint_name: str,
    served: Sequence[Mapping[str, str]],
    error_rate: float,
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
    topic_arn: pulumi.Input[str] | None,
) -> aws.cloudwatch.MetricAlarm:
    queries: list[aws.cloudwatch.MetricAlarmMetricQueryArgsDict] = []
    for index, dimensions in enumerate(served):
        for prefix, metric in (("errors", "Invocation5XXErrors"), ("invocations", "Invocations")):
            queries.append(
                {
                    "id": f"{prefix}{index}",
                    "return_data": False,
                    "metric": {
                        "namespace": SAGEMAKER_NAMESPACE,
                        "metric_name": metric,
                        "dimensions": dict(dimensions),
                        "period": PERIOD_SECONDS,
                        "stat": "Sum",
                    },
                }
            )
    # FILL(..., 0): a minute without errors has no datapoint, which must count as zero errors.
    errors = " + ".join(f"FILL(errors{index}, 0)" for index in range(len(served)))
    invocations = " + ".join(f"FILL(invocations{index}, 0)" for index in range(len(served)))
    queries.append(
        {
            "id": "error_rate",
            "label": "5xx errors / invocations",
            "expression": f"IF(({invocations}) > 0, ({errors}) / ({invocations}), 0)",
            "return_data": True,
        }
    )
    return aws.cloudwatch.MetricAlarm(
        f"{name}-error-rate",
        name=error_rate_alarm_name(endpoint_name),
        alarm_description=(
            f"5xx error rate of {endpoint_name} above {error_rate:.2%}. Check the model container logs "
            "(/aws/sagemaker/Endpoints/...); a rollout in progress rolls back on this alarm."
        ),
        metric_queries=queries,
        evaluation_periods=EVALUATION_PERIODS,
        datapoints_to_alarm=DATAPOINTS_TO_ALARM,
        threshold=error_rate,
        comparison_operator="GreaterThanThreshold",
        treat_missing_data="notBreaching",
        alarm_actions=_actions(topic_arn),
        ok_actions=_actions(topic_arn),
        tags=dict(tags),
        opts=opts,
    )


def _actions(topic_arn: pulumi.Input[str] | None) -> list[pulumi.Input[str]]:
    # Notify on recovery too, so on-call knows an incident ended without checking the console.
    return [topic_arn] if topic_arn is not None else []
