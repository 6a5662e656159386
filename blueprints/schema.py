"""The blueprint language: frozen pydantic models whose field names are the product's API.

`shared/blueprints/reference.yaml` is the contract. Sections are added here one issue at a time;
each model forbids unknown fields so a typo is an error, never a silently ignored setting.
Rules that span fields or sections live in `blueprints.rules`, not here, so that all problems
are found in one pass and reported together.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from components.images import CONTAINERS, FRAMEWORKS


class Strict(BaseModel):
    """Base for every blueprint model: immutable, and unknown fields are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)


# SageMaker names are `[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`; we also forbid upper case so that the
# same name is valid for S3 prefixes and Kubernetes objects.
Name = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", min_length=1, max_length=40),
]
EnvironmentName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]*$", min_length=1, max_length=12)]
S3Uri = Annotated[str, StringConstraints(pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$")]
ImageUri = Annotated[str, StringConstraints(pattern=r"^\S+$", max_length=255)]


class Network(Strict):
    """The environment's VPC: endpoints and jobs run inside it."""

    vpc_id: Annotated[str, StringConstraints(pattern=r"^vpc-[0-9a-f]{8,17}$")]
    # SageMaker's VpcConfig allows at most 16 subnets and 5 security groups.
    subnet_ids: Annotated[
        list[Annotated[str, StringConstraints(pattern=r"^subnet-[0-9a-f]{8,17}$")]],
        Field(min_length=1, max_length=16),
    ]
    security_group_ids: Annotated[
        list[Annotated[str, StringConstraints(pattern=r"^sg-[0-9a-f]{8,17}$")]],
        Field(min_length=1, max_length=5),
    ]


class Environment(Strict):
    """One deployment target (dev, staging, prod): its budget, network and overrides."""

    budget_usd_month: Annotated[float, Field(gt=0)] | None = Field(
        default=None, description="Monthly budget in USD that the environment's estimate must stay within."
    )
    network: Network | None = Field(default=None, description="VPC to run in; prod should set one.")
    overrides: dict[str, Any] = Field(
        default_factory=dict,
        description="Dotted paths into the blueprint with the value for this environment; "
        "list items are addressed by their `name`, e.g. `endpoints.ranker.variants.champion.instances`.",
    )


class Model(Strict):
    """A model artifact and the container that serves it.

    Exactly one way to name the container: `framework` + `framework_version` (a SageMaker
    framework image), `image` (your own image), or `container` (a large-model container).
    """

    framework: str | None = Field(
        default=None, description="SageMaker framework image.", json_schema_extra={"enum": list(FRAMEWORKS)}
    )
    framework_version: str | None = Field(default=None, description='Framework version, quoted: "2.6".')
    image: ImageUri | None = Field(default=None, description="Your own container image URI.")
    container: str | None = Field(
        default=None,
        description="Large-model inference container, resolved to a SageMaker-published image.",
        json_schema_extra={"enum": list(CONTAINERS)},
    )
    model_data: S3Uri = Field(description="S3 URI of model.tar.gz, or an S3 prefix of uncompressed weights.")


class Variant(Strict):
    """A production variant: a model on instances, taking a weighted share of traffic."""

    name: Name
    model: str = Field(description="Key of the model in this endpoint's `models`.")
    instance_type: str = Field(description="SageMaker endpoint instance type, e.g. ml.g5.xlarge.")
    instances: Annotated[int, Field(ge=1)] = 1
    weight: float = Field(default=1.0, description="Relative traffic weight; shares are weight / sum.")


class Endpoint(Strict):
    """A SageMaker real-time endpoint."""

    name: Name
    models: Annotated[dict[str, Model], Field(min_length=1)]
    variants: Annotated[list[Variant], Field(min_length=1)]


class Blueprint(Strict):
    """One team's ML platform across its environments."""

    blueprint: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*[a-z0-9]$", min_length=2, max_length=20)] = (
        Field(description="Stable id, part of every resource name; never change it.")
    )
    team: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    owner: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] = Field(
        description="Owner's e-mail address, tagged on every resource."
    )
    cost_center: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    region: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")]
    environments: Annotated[dict[EnvironmentName, Environment], Field(min_length=1)]
    endpoints: list[Endpoint] = Field(default_factory=list)
