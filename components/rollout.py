"""How long a guarded endpoint update takes, and the limit SageMaker puts on it (Pulumi-free)."""

from __future__ import annotations

import math
from typing import Literal

RolloutStrategy = Literal["all-at-once", "canary", "linear", "rolling"]

# DeploymentConfig MaximumExecutionTimeoutInSeconds lies in 600-28800 (botocore's sagemaker model:
# BlueGreenUpdatePolicy and RollingUpdatePolicy; the CloudFormation schema aws-sagemaker-endpoint.json
# agrees). The Terraform provider capped it at 14400, which mattered only while endpoints were pulumi-aws.
MIN_ROLLOUT_TIMEOUT_SECONDS = 600
MAX_ROLLOUT_TIMEOUT_SECONDS = 28800
# Time one step of a rollout may take to provision instances and pass health checks.
ROLLOUT_STEP_SECONDS = 900


def rollout_steps(strategy: RolloutStrategy, step_percent: int | None) -> int:
    """How many traffic shifts (or batches) a rollout makes."""
    if strategy == "all-at-once":
        return 1
    if strategy == "canary":
        return 2
    return math.ceil(100 / (step_percent or 100))


def rollout_seconds_needed(strategy: RolloutStrategy, step_percent: int | None, bake_seconds: int) -> int:
    """Every step provisions and bakes, and the old fleet is kept for one more bake at the end."""
    return rollout_steps(strategy, step_percent) * (bake_seconds + ROLLOUT_STEP_SECONDS) + bake_seconds


def execution_timeout_seconds(strategy: RolloutStrategy, step_percent: int | None, bake_seconds: int) -> int:
    """MaximumExecutionTimeoutInSeconds: what the rollout needs, within SageMaker's bounds.

    Validation rejects rollouts that need more than the maximum, so the upper clamp never cuts one short.
    """
    needed = rollout_seconds_needed(strategy, step_percent, bake_seconds)
    return min(MAX_ROLLOUT_TIMEOUT_SECONDS, max(MIN_ROLLOUT_TIMEOUT_SECONDS, needed))
