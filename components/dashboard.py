"""One CloudWatch dashboard per platform, built from the plan's real endpoint and monitor names."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi

from mlstack.components.endpoint_alarms import SAGEMAKER_NAMESPACE
from mlstack.components.naming import outcome_rule_name
from mlstack.components.sdk import aws

GRID_WIDTH = 24  # CloudWatch dashboards are 24 units wide
WIDGET_WIDTH = 8
WIDGET_HEIGHT = 6


@dataclass(frozen=True)
class DashboardEndpoint:
    """An endpoint as the dashboard shows it."""

    endpoint_name: str
    variants: Sequence[str]
    gpu: bool
    """Whether any variant has GPUs (adds a GPU utilisation graph)."""
    monitors: Sequence[str] = ()
    """Drift monitor schedule names watching this endpoint."""
    components: Mapping[str, str] = field(default_factory=dict)
    """Inference components by blueprint name -> InferenceComponentName. Their invocation metrics are
    per component (dimension InferenceComponentName), so the graphs are drawn per component."""
    asynchronous: bool = False
    """Adds the queue: backlog, age of the oldest request, and requests waiting with no capacity."""


def dashboard_body(region: str, endpoints: Sequence[DashboardEndpoint]) -> str:
    """The dashboard JSON: a row of graphs per endpoint."""
    widgets: list[dict[str, object]] = []
    y = 0
    for endpoint in endpoints:
        served = list(endpoint.components) or list(endpoint.variants)
        errors = ["Invocation4XXErrors", "Invocation5XXErrors"]
        if endpoint.components:
            # Requests that found no copy to serve them: a component scaled to zero is waking up.
            errors.append("NoCapacityInvocationFailures")
        graphs = [
            ("Invocations", [_metric(endpoint, v, "Invocations", "Sum") for v in served]),
            (
                "p99 model latency (µs)",
                [_metric(endpoint, v, "ModelLatency", "p99") for v in served],
            ),
            ("4xx / 5xx errors", [_metric(endpoint, v, m, "Sum") for v in served for m in errors]),
        ]
        if endpoint.asynchronous:
            graphs.append(
                (
                    "Queue: backlog, oldest request (s), waiting with no capacity",
                    [
                        [SAGEMAKER_NAMESPACE, metric, "EndpointName", endpoint.endpoint_name, {"stat": stat}]
                        for metric, stat in (
                            ("ApproximateBacklogSize", "Average"),
                            ("ApproximateAgeOfOldestRequest", "Maximum"),
                            ("HasBacklogWithoutCapacity", "Maximum"),
                        )
                    ],
                )
            )
        if endpoint.gpu:
            graphs.append(
                (
                    "GPU utilisation (% x GPUs)",
                    [
                        [
                            "/aws/sagemaker/Endpoints",
                            "GPUUtilization",
                            "EndpointName",
                            endpoint.endpoint_name,
                            "VariantName",
                            v,
                            {"stat": "Average"},
                        ]
                        for v in endpoint.variants
                    ],
                )
            )
        if endpoint.monitors:
            graphs.append(
                (
                    "Drift violations (monitoring runs)",
                    [
                        [
                            "AWS/Events",
                            "MatchedEvents",
                            "RuleName",
                            outcome_rule_name(m, "violations"),
                            {"stat": "Sum", "period": 3600},
                        ]
                        for m in endpoint.monitors
                    ],
                )
            )
        # An endpoint's graphs wrap onto as many 24-unit rows as they need; the next endpoint
        # starts below them, so no two widgets overlap.
        for column, (title, metrics) in enumerate(graphs):
            widgets.append(
                {
                    "type": "metric",
                    "x": (column * WIDGET_WIDTH) % GRID_WIDTH,
                    "y": y + (column * WIDGET_WIDTH) // GRID_WIDTH * WIDGET_HEIGHT,
                    "width": WIDGET_WIDTH,
                    "height": WIDGET_HEIGHT,
                    "properties": {
                        "title": f"{endpoint.endpoint_name}: {title}",
                        "region": region,
                        "view": "timeSeries",
                        "period": 60,
                        "metrics": metrics,
                    },
                }
            )
        y += math.ceil(len(graphs) * WIDGET_WIDTH / GRID_WIDTH) * WIDGET_HEIGHT
    return json.dumps({"widgets": widgets}, sort_keys=True)


def _metric(endpoint: DashboardEndpoint, served: str, metric: str, stat: str) -> list[object]:
    if endpoint.components:
        return [SAGEMAKER_NAMESPACE, metric, "InferenceComponentName", endpoint.components[served], {"stat": stat}]
    return [SAGEMAKER_NAMESPACE, metric, "EndpointName", endpoint.endpoint_name, "VariantName", served, {"stat": stat}]


def create_dashboard(
    name: str, *, dashboard_name: str, region: str, endpoints: Sequence[DashboardEndpoint], opts: pulumi.ResourceOptions
) -> aws.cloudwatch.Dashboard:
    return aws.cloudwatch.Dashboard(
        name, dashboard_name=dashboard_name, dashboard_body=dashboard_body(region, endpoints), opts=opts
    )


def endpoint_monitors(monitor_endpoints: Mapping[str, str]) -> dict[str, list[str]]:
    """Schedule names by endpoint, from {schedule name: endpoint name}."""
    grouped: dict[str, list[str]] = {}
    for schedule, endpoint in sorted(monitor_endpoints.items()):
        grouped.setdefault(endpoint, []).append(schedule)
    return grouped
