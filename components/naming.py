"""Physical names shared by components, the blueprint rules and day-2 tooling (Pulumi-free).

Names are stable forever: renaming a SageMaker endpoint replaces it, so these functions only grow.
"""

from __future__ import annotations

import hashlib
import json

# SageMaker EndpointName / ModelName / EndpointConfigName: at most 63 characters.
MAX_SAGEMAKER_NAME = 63


def platform_prefix(blueprint: str, environment: str) -> str:
    """Prefix of every physical name of one blueprint in one environment."""
    return f"{blueprint}-{environment}"


def endpoint_resource_name(blueprint: str, environment: str, endpoint: str) -> str:
    """The SageMaker endpoint name clients invoke; fixed so callers need no lookup."""
    return f"{platform_prefix(blueprint, environment)}-{endpoint}"


def artifact_bucket_name(blueprint: str, environment: str, account_id: str, region: str) -> str:
    """Globally unique without a random suffix: the account and region make it so.

    Blueprint ids (<= 20), environment names (<= 12), account ids (12) and region names (<= 14)
    keep this within S3's 63 characters.
    """
    return f"{platform_prefix(blueprint, environment)}-{account_id}-{region}"


def data_capture_prefix(endpoint: str) -> str:
    """Where an endpoint's captured requests and responses go in the artifact bucket."""
    return f"data-capture/{endpoint}"


def platform_name(blueprint: str, environment: str, name: str) -> str:
    """Physical name of a named platform resource (model group, feature group, tracking server)."""
    return f"{platform_prefix(blueprint, environment)}-{name}"


def execution_role_name(blueprint: str, environment: str) -> str:
    """The SageMaker execution role of one environment; other environments' policies name it."""
    return f"{platform_prefix(blueprint, environment)}-sagemaker-execution"


def feature_store_prefix(group: str) -> str:
    """Where a feature group's offline store lives in the artifact bucket."""
    return f"feature-store/{group}"


def glue_table_name(physical_group_name: str) -> str:
    """Glue/Athena table names are lower case with underscores."""
    return physical_group_name.lower().replace("-", "_")


def versioned_name(base: str, content: object, max_length: int = MAX_SAGEMAKER_NAME) -> str:
    """`base` plus a digest of `base` and `content`, within `max_length`.

    SageMaker models and endpoint configurations are immutable: a change replaces them. A name that
    changes with the content lets the replacement exist beside the old one (create, then delete),
    keeps the name readable and known at preview, and stays within SageMaker's 63 characters, which
    Pulumi's random auto-names (logical name + 8 characters) overrun for long endpoint names.

    The digest covers the whole base too: a long base is cut to fit, and two resources whose bases
    differ only after the cut (endpoints `...-euw-a` and `...-euw-b` serving the same model) would
    otherwise get the same name.
    """
    identity = {"base": base, "content": content}
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:8]
    return f"{base[: max_length - len(digest) - 1].rstrip('-')}-{digest}"
