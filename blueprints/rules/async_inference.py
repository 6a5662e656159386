"""Asynchronous endpoints: queued requests, results in S3, scale to zero on an empty queue.

AWS's rules:
- AsyncInferenceConfig is for instance-based variants: serverless endpoints (ServerlessConfig) cannot
  take it. Shadow variants copy real-time requests to a second variant
  (https://docs.aws.amazon.com/sagemaker/latest/dg/model-shadow-deployment.html); AWS documents them
  for real-time endpoints only, so mlstack refuses them beside `async` (not verified against the API).
- MaxConcurrentInvocationsPerInstance is 1-1000 (AsyncInferenceClientConfig).
- An asynchronous endpoint may scale its instances to zero; scaling out again takes a step-scaling
  policy on the HasBacklogWithoutCapacity metric, since target tracking on
  ApproximateBacklogSizePerInstance has nothing to divide by at zero instances
  (https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-autoscale.html).
- Stateful sessions are a real-time feature (InvokeEndpoint's session header); InvokeEndpointAsync has none.
"""

from __future__ import annotations

from collections.abc import Iterator

from mlstack.blueprints.rules.common import Finding, Path
from mlstack.blueprints.schema import Blueprint, Endpoint

ASYNC = "async"


def check(blueprint: Blueprint, endpoint: Endpoint, path: Path) -> Iterator[Finding]:
    settings = endpoint.asynchronous
    here = (*path, ASYNC)
    if settings is None:
        if endpoint.autoscaling and endpoint.autoscaling.target_backlog_per_instance is not None:
            yield (
                (*path, "autoscaling", "target_backlog_per_instance"),
                "target_backlog_per_instance scales on the queue of an `async` endpoint, and this endpoint has none",
            )
        return
    if endpoint.serverless:
        yield (
            here,
            "an asynchronous endpoint runs on instances: CreateEndpointConfig takes AsyncInferenceConfig only for "
            "instance-based variants, not with `serverless`",
        )
    if endpoint.shadow:
        yield (
            (*path, "shadow"),
            "shadow variants copy real-time requests to a second variant, and SageMaker documents them for "
            "real-time endpoints only; an asynchronous endpoint cannot have one",
        )
    if endpoint.routing and endpoint.routing.sticky_sessions:
        yield (
            (*path, "routing", "sticky_sessions"),
            "stateful sessions are a real-time feature (InvokeEndpoint's session header); InvokeEndpointAsync has none",
        )
    if settings.notifications.errors == "on-call" and not (blueprint.monitoring and blueprint.monitoring.on_call):
        yield (
            (*here, "notifications", "errors"),
            "errors go to on-call, but `monitoring.on_call` is not set: there is no on-call topic",
        )
    scaling = endpoint.autoscaling
    if scaling is not None and scaling.target_backlog_per_instance is None:
        yield (
            (*path, "autoscaling"),
            "an asynchronous endpoint scales on its queue: set `target_backlog_per_instance` (requests queued per "
            "instance, ApproximateBacklogSizePerInstance)",
        )


def zero_instances_problem(endpoint: Endpoint, path: Path) -> Iterator[Finding]:
    """autoscaling.min 0 where AWS cannot scale back out from zero instances."""
    if endpoint.autoscaling is None or endpoint.autoscaling.min != 0 or endpoint.asynchronous is not None:
        return
    yield (
        (*path, "autoscaling", "min"),
        "real-time variants cannot scale to zero instances: only an `async` endpoint, or one hosting inference "
        "components (`components` with fleet.min_instances 0), can "
        "(https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html)",
    )
