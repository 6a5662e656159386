"""ModelEndpoint: SageMaker models, an endpoint configuration with weighted variants, the endpoint."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components import instances


@dataclass(frozen=True)
class ContainerArgs:
    """One model: the image that serves it and where its weights are."""

    image: str
    """Container image URI, already resolved for the region and processor."""
    model_data: str
    """S3 URI of model.tar.gz, or an S3 prefix ending in `/` of uncompressed weights."""
    environment: Mapping[str, str] = field(default_factory=dict)
    """Environment variables of the container."""


@dataclass(frozen=True)
class VariantArgs:
    """A production variant."""

    name: str
    """Variant name, unique within the endpoint."""
    model: str
    """Key into `ModelEndpointArgs.models`."""
    instance_type: str
    """SageMaker instance type, e.g. ml.g5.xlarge."""
    instance_count: int
    """Instances at creation."""
    weight: float
    """Relative traffic weight."""


@dataclass(frozen=True)
class VpcArgs:
    """Where the model containers run."""

    subnet_ids: Sequence[str]
    security_group_ids: Sequence[str]


@dataclass
class ModelEndpointArgs:
    """Inputs of a ModelEndpoint."""

    endpoint_name: str
    """Physical SageMaker endpoint name; fixed so clients can invoke it without a lookup."""
    models: Mapping[str, ContainerArgs]
    """Models by key; each becomes a SageMaker Model."""
    variants: Sequence[VariantArgs]
    """Production variants, each serving one of `models`."""
    execution_role_arn: pulumi.Input[str]
    """Role SageMaker assumes to pull images and read model data."""
    kms_key_arn: pulumi.Input[str]
    """Key for the instances' storage volumes (where the instance type allows one)."""
    tags: Mapping[str, str]
    """Tags the platform owns; merged last."""
    vpc: VpcArgs | None = None
    """Run the containers in these subnets; None keeps them out of any VPC."""
    network_isolation: bool = True
    """Deny the containers any outbound network access. Unsafe to turn off; an explicit opt-out."""
    extra_tags: Mapping[str, str] = field(default_factory=dict)
    """Caller tags; the platform's own `tags` win on conflict."""


class ModelEndpoint(pulumi.ComponentResource):
    """A real-time SageMaker endpoint with one or more weighted production variants."""

    endpoint_name: pulumi.Output[str]
    endpoint_arn: pulumi.Output[str]
    endpoint_config_name: pulumi.Output[str]
    model_names: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: ModelEndpointArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlstack:serving:ModelEndpoint", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = {**args.extra_tags, **args.tags}

        models = {
            key: aws.sagemaker.Model(
                f"{name}-model-{key}",
                execution_role_arn=args.execution_role_arn,
                primary_container=_container(spec),
                enable_network_isolation=args.network_isolation,
                vpc_config=(
                    {"subnets": list(args.vpc.subnet_ids), "security_group_ids": list(args.vpc.security_group_ids)}
                    if args.vpc
                    else None
                ),
                tags=tags,
                opts=child,
            )
            for key, spec in args.models.items()
        }

        config = aws.sagemaker.EndpointConfiguration(
            f"{name}-config",
            production_variants=[
                {
                    "variant_name": variant.name,
                    "model_name": models[variant.model].name,
                    "instance_type": variant.instance_type,
                    "initial_instance_count": variant.instance_count,
                    "initial_variant_weight": variant.weight,
                }
                for variant in args.variants
            ],
            kms_key_arn=args.kms_key_arn if _volume_key_allowed(args.variants) else None,
            tags=tags,
            # No fixed name: a changed configuration gets a new auto-generated name, so the endpoint
            # switches over to it before Pulumi deletes the old one (create-before-delete).
            opts=child,
        )
        endpoint = aws.sagemaker.Endpoint(
            f"{name}-endpoint",
            name=args.endpoint_name,
            endpoint_config_name=config.name,
            tags=tags,
            opts=child,
        )

        self.endpoint_name = endpoint.name
        self.endpoint_arn = endpoint.arn
        self.endpoint_config_name = config.name
        self.model_names = {key: model.name for key, model in models.items()}
        self.register_outputs(
            {
                "endpoint_name": self.endpoint_name,
                "endpoint_arn": self.endpoint_arn,
                "endpoint_config_name": self.endpoint_config_name,
                "model_names": self.model_names,
            }
        )


def _container(spec: ContainerArgs) -> aws.sagemaker.ModelPrimaryContainerArgsDict:
    container: aws.sagemaker.ModelPrimaryContainerArgsDict = {"image": spec.image, "mode": "SingleModel"}
    if spec.environment:
        container["environment"] = dict(spec.environment)
    if spec.model_data.endswith("/"):
        # Large-model containers load uncompressed weights straight from an S3 prefix.
        container["model_data_source"] = {
            "s3_data_sources": [{"s3_uri": spec.model_data, "s3_data_type": "S3Prefix", "compression_type": "None"}]
        }
    else:
        container["model_data_url"] = spec.model_data
    return container


def _volume_key_allowed(variants: Sequence[VariantArgs]) -> bool:
    # CreateEndpointConfig fails if KmsKeyId is set and any variant uses an instance type with
    # local NVMe storage, which the instance hardware-encrypts itself:
    # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html#sagemaker-CreateEndpointConfig-request-KmsKeyId
    return not any(instances.lookup(v.instance_type).local_storage for v in variants)
