"""Physical names shared by components, the blueprint rules and day-2 tooling (Pulumi-free).

Names are stable forever: renaming a SageMaker endpoint replaces it, so these functions only grow.
"""

from __future__ import annotations

# SageMaker EndpointName / ModelName / EndpointConfigName: at most 63 characters.
MAX_SAGEMAKER_NAME = 63


def platform_prefix(blueprint: str, environment: str) -> str:
    """Prefix of every physical name of one blueprint in one environment."""
    return f"{blueprint}-{environment}"


def endpoint_resource_name(blueprint: str, environment: str, endpoint: str) -> str:
    """The SageMaker endpoint name clients invoke; fixed so callers need no lookup."""
    return f"{platform_prefix(blueprint, environment)}-{endpoint}"
