"""Blueprint -> components: the one place that knows both the blueprint schema and the components.

The same function runs under `pulumi up` and under the offline plan's mocks.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from blueprints.load import ResolvedBlueprint
from blueprints.schema import Endpoint, Model
from components import images, instances
from components.endpoint import ContainerArgs, ModelEndpoint, ModelEndpointArgs, VariantArgs, VpcArgs
from components.foundation import Foundation, FoundationArgs
from components.naming import endpoint_resource_name, platform_prefix


def platform_tags(resolved: ResolvedBlueprint) -> dict[str, str]:
    """Tags every resource of the platform carries; they win over any caller-supplied tag."""
    blueprint = resolved.blueprint
    return {
        "blueprint": blueprint.blueprint,
        "team": blueprint.team,
        "owner": blueprint.owner,
        "cost_center": blueprint.cost_center,
        "environment": resolved.environment_name,
        "managed-by": "mlstack",
    }


def model_image(model: Model, region: str, *, gpu: bool) -> str:
    """The container image of `model` on a GPU or CPU instance, resolved for `region`."""
    if model.image is not None:
        return model.image
    if model.container is not None:
        return images.container_image(model.container, region)
    assert model.framework is not None and model.framework_version is not None
    return images.framework_image(model.framework, model.framework_version, region, gpu=gpu)


def _model_images(endpoint: Endpoint, region: str) -> dict[str, str]:
    """Image per model key; a model on a GPU variant gets the GPU build of its framework."""
    on_gpu = {variant.model for variant in endpoint.variants if instances.lookup(variant.instance_type).has_gpu}
    return {key: model_image(model, region, gpu=key in on_gpu) for key, model in endpoint.models.items()}


def build_platform(resolved: ResolvedBlueprint) -> dict[str, pulumi.Output[str]]:
    """Create every component of the platform; return the stack outputs."""
    blueprint = resolved.blueprint
    environment = resolved.environment
    tags = platform_tags(resolved)
    prefix = platform_prefix(blueprint.blueprint, resolved.environment_name)

    # The blueprint, not ambient stack config, decides the region.
    provider = aws.Provider(f"{prefix}-aws", region=blueprint.region)
    invoke = pulumi.InvokeOptions(provider=provider)
    identity = aws.get_caller_identity_output(opts=invoke)
    partition = aws.get_partition_output(opts=invoke)
    network = environment.network

    endpoint_images = {e.name: _model_images(e, blueprint.region) for e in blueprint.endpoints}
    foundation = Foundation(
        prefix,
        FoundationArgs(
            blueprint=blueprint.blueprint,
            environment=resolved.environment_name,
            account_id=identity.account_id,
            partition=partition.partition,
            region=blueprint.region,
            tags=tags,
            model_data_uris=sorted({m.model_data for e in blueprint.endpoints for m in e.models.values()}),
            image_uris=sorted({uri for by_model in endpoint_images.values() for uri in by_model.values()}),
            subnet_ids=network.subnet_ids if network else (),
            security_group_ids=network.security_group_ids if network else (),
        ),
        opts=pulumi.ResourceOptions(providers=[provider]),
    )

    outputs: dict[str, pulumi.Output[str]] = {
        "artifact_bucket": foundation.bucket_name,
        "kms_key_arn": foundation.key_arn,
        "execution_role_arn": foundation.execution_role_arn,
    }
    for endpoint in blueprint.endpoints:
        component = ModelEndpoint(
            f"{prefix}-{endpoint.name}",
            ModelEndpointArgs(
                endpoint_name=endpoint_resource_name(blueprint.blueprint, resolved.environment_name, endpoint.name),
                models={
                    key: ContainerArgs(image=endpoint_images[endpoint.name][key], model_data=model.model_data)
                    for key, model in endpoint.models.items()
                },
                variants=[
                    VariantArgs(
                        name=variant.name,
                        model=variant.model,
                        instance_type=variant.instance_type,
                        instance_count=variant.instances,
                        weight=variant.weight,
                    )
                    for variant in endpoint.variants
                ],
                execution_role_arn=foundation.execution_role_arn,
                kms_key_arn=foundation.key_arn,
                tags=tags,
                vpc=VpcArgs(network.subnet_ids, network.security_group_ids) if network else None,
            ),
            opts=pulumi.ResourceOptions(providers=[provider], depends_on=[foundation]),
        )
        outputs[f"endpoint_{endpoint.name}"] = component.endpoint_name
    return outputs


def run(resolved: ResolvedBlueprint) -> None:
    """The Pulumi program body, shared by `pulumi up` and the offline plan."""
    for output_name, value in build_platform(resolved).items():
        pulumi.export(output_name, value)
