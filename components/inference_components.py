"""ComponentEndpoint: models as inference components on one shared, SageMaker-scaled fleet.

The endpoint configuration has one production variant with no model: its instances are managed by
SageMaker (ManagedInstanceScaling, MinInstanceCount 0 allowed), and it carries the execution role
that a component endpoint needs (CreateEndpointConfig ExecutionRoleArn). Each component names a
Model, reserves CPU cores, accelerators and memory per copy, and scales its copies on invocations
per copy; one that may reach zero copies gets the step-scaling policy and alarm AWS documents for
scaling out from zero (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html).

Why components are aws-native: pulumi-aws has no inference-component resource, and
AWS::SageMaker::InferenceComponent has no create-only property
(pulumi/pulumi-aws-native aws-cloudformation-schema/aws-sagemaker-inferencecomponent.json: no
`createOnlyProperties`; update handler UpdateInferenceComponent and UpdateInferenceComponentRuntimeConfig),
so a new model version (Specification.ModelName) or copy count updates the component in place and
leaves the endpoint alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi

from mlstack.components import instances
from mlstack.components.autoscaling import ScaledComponent, create_component_scaling
from mlstack.components.endpoint import ContainerArgs, CreatedModel, RolloutArgs, VpcArgs, create_models
from mlstack.components.endpoint_alarms import AlarmThresholds, create_endpoint_alarms
from mlstack.components.naming import COMPONENT_FLEET_VARIANT, endpoint_config_name, inference_component_name
from mlstack.components.options import child_options, replacement_options
from mlstack.components.rollout import execution_timeout_seconds
from mlstack.components.sdk import aws, aws_native

FLEET_VARIANT = COMPONENT_FLEET_VARIANT
# InferenceComponentRollingUpdatePolicy MaximumExecutionTimeoutInSeconds is 600-28800
# (aws-cloudformation-schema/aws-sagemaker-inferencecomponent.json).
MIN_COMPONENT_ROLLOUT_SECONDS = 600
MAX_COMPONENT_ROLLOUT_SECONDS = 28800


@dataclass(frozen=True)
class FleetArgs:
    """The shared instances, scaled by SageMaker between the two counts."""

    instance_type: str
    min_instances: int
    max_instances: int
    routing_strategy: Literal["LEAST_OUTSTANDING_REQUESTS", "RANDOM"] | None = None


@dataclass(frozen=True)
class ComponentArgs:
    """One model hosted as an inference component."""

    name: str
    """The blueprint's name; the physical InferenceComponentName is `<endpoint>-<name>`."""
    model: str
    """Key into `ComponentEndpointArgs.models`."""
    memory_mb: int
    cpu_cores: float | None
    accelerators: int | None
    min_copies: int
    max_copies: int
    target_invocations_per_copy: float | None


@dataclass
class ComponentEndpointArgs:
    """Inputs of a ComponentEndpoint."""

    endpoint_name: str
    models: Mapping[str, ContainerArgs]
    components: Sequence[ComponentArgs]
    fleet: FleetArgs
    execution_role_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    tags: Mapping[str, str]
    execution_role_name: str = ""
    rollout: RolloutArgs | None = None
    """Rolling updates of each component (the only strategy components have)."""
    alarms: AlarmThresholds | None = None
    alarm_topic_arn: pulumi.Input[str] | None = None
    vpc: VpcArgs | None = None
    network_isolation: bool = True
    scale_in_cooldown_seconds: int = 600
    scale_out_cooldown_seconds: int = 300
    extra_tags: Mapping[str, str] = field(default_factory=dict)


class ComponentEndpoint(pulumi.ComponentResource):
    """A SageMaker endpoint whose models are inference components on shared instances."""

    endpoint_name: pulumi.Output[str]
    endpoint_arn: pulumi.Output[str]
    endpoint_config_name: pulumi.Output[str]
    model_names: dict[str, pulumi.Output[str]]
    component_names: dict[str, str]
    fallback_model_name: pulumi.Output[str] | None
    alarm_names: list[str]
    alarm_arns: list[pulumi.Output[str]]

    def __init__(self, name: str, args: ComponentEndpointArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlstack:serving:ComponentEndpoint", name, None, opts)
        child = child_options(self, opts)
        tags = {**args.extra_tags, **args.tags}
        models = create_models(
            name,
            endpoint_name=args.endpoint_name,
            models=args.models,
            execution_role_arn=args.execution_role_arn,
            execution_role_name=args.execution_role_name,
            vpc=args.vpc,
            isolated=args.network_isolation,
            tags=tags,
            opts=child,
        )
        fleet = args.fleet
        variant: aws.sagemaker.EndpointConfigurationProductionVariantArgsDict = {
            "variant_name": FLEET_VARIANT,
            "instance_type": fleet.instance_type,
            # InitialInstanceCount is at least 1; SageMaker scales in to MinInstanceCount afterwards.
            "initial_instance_count": max(1, fleet.min_instances),
            "managed_instance_scaling": {
                "status": "ENABLED",
                "min_instance_count": fleet.min_instances,
                "max_instance_count": fleet.max_instances,
            },
        }
        if fleet.routing_strategy:
            variant["routing_configs"] = [{"routing_strategy": fleet.routing_strategy}]
        volume_key = not instances.lookup(fleet.instance_type).local_storage
        config = aws.sagemaker.EndpointConfiguration(
            f"{name}-config",
            # ExecutionRoleArn is ForceNew like every input here: the role's name is in the digest, so a
            # replacement never needs the name the live configuration holds.
            name=endpoint_config_name(
                args.endpoint_name, {"fleet": variant, "volume_key": volume_key, "role": args.execution_role_name}
            ),
            production_variants=[variant],
            # A component endpoint's configuration carries the role; its variant has no model.
            execution_role_arn=args.execution_role_arn,
            kms_key_arn=args.kms_key_arn if volume_key else None,
            tags=tags,
            opts=replacement_options(child),
        )
        endpoint = aws_native.sagemaker.Endpoint(
            f"{name}-endpoint",
            endpoint_name=args.endpoint_name,
            endpoint_config_name=config.name,
            tags=[{"key": key, "value": value} for key, value in sorted(tags.items())],
            opts=child,
        )
        self.component_names = {c.name: inference_component_name(args.endpoint_name, c.name) for c in args.components}
        alarms = (
            create_endpoint_alarms(
                name,
                endpoint_name=args.endpoint_name,
                variants=[c.name for c in args.components],
                thresholds=args.alarms,
                tags=tags,
                opts=child,
                topic_arn=args.alarm_topic_arn,
                components=self.component_names,
            )
            if args.alarms
            else {}
        )
        # A component can only be placed on an endpoint that exists, and its rollback alarms must exist
        # before its deployment configuration names them.
        on_endpoint = child_options(self, opts, [endpoint, *alarms.values()])
        for component in args.components:
            hosted = _component(name, args, component, models[component.model], list(alarms), on_endpoint)
            create_component_scaling(
                f"{name}-{component.name}",
                endpoint_name=args.endpoint_name,
                component=ScaledComponent(
                    name=self.component_names[component.name],
                    scaling_name=component.name,
                    min_copies=component.min_copies,
                    max_copies=component.max_copies,
                    target_invocations_per_copy=component.target_invocations_per_copy,
                ),
                scale_in_cooldown_seconds=args.scale_in_cooldown_seconds,
                scale_out_cooldown_seconds=args.scale_out_cooldown_seconds,
                tags=tags,
                opts=child_options(self, opts, [hosted]),
            )
        self.endpoint_name = pulumi.Output.from_input(args.endpoint_name)
        self.endpoint_arn = endpoint.endpoint_arn
        self.endpoint_config_name = config.name
        self.model_names = {key: model.resource.name for key, model in models.items()}
        self.fallback_model_name = None
        self.alarm_names = list(alarms)
        self.alarm_arns = [alarm.arn for alarm in alarms.values()]
        self.register_outputs(
            {
                "endpoint_name": self.endpoint_name,
                "endpoint_arn": self.endpoint_arn,
                "endpoint_config_name": self.endpoint_config_name,
                "model_names": self.model_names,
                "component_names": self.component_names,
                "alarm_arns": self.alarm_arns,
            }
        )


def _component(
    name: str,
    args: ComponentEndpointArgs,
    component: ComponentArgs,
    model: CreatedModel,
    alarm_names: Sequence[str],
    opts: pulumi.ResourceOptions,
) -> aws_native.sagemaker.InferenceComponent:
    requirements: aws_native.sagemaker.InferenceComponentComputeResourceRequirementsArgsDict = {
        "min_memory_required_in_mb": component.memory_mb
    }
    if component.cpu_cores is not None:
        requirements["number_of_cpu_cores_required"] = component.cpu_cores
    if component.accelerators is not None:
        requirements["number_of_accelerator_devices_required"] = component.accelerators
    specification: aws_native.sagemaker.InferenceComponentSpecificationArgsDict = {
        "model_name": model.resource.name,
        "compute_resource_requirements": requirements,
    }
    timeout = args.models[component.model].startup_timeout_seconds
    if timeout:
        # StartupParameters take 60-3600 seconds each.
        bounded = max(60, min(3600, timeout))
        specification["startup_parameters"] = {
            "model_data_download_timeout_in_seconds": bounded,
            "container_startup_health_check_timeout_in_seconds": bounded,
        }
    return aws_native.sagemaker.InferenceComponent(
        f"{name}-{component.name}",
        inference_component_name=inference_component_name(args.endpoint_name, component.name),
        endpoint_name=args.endpoint_name,
        variant_name=FLEET_VARIANT,
        specification=specification,
        # One copy at creation, always: Application Auto Scaling then holds the copies between min and
        # max, and raising the minimum scales out to it (RegisterScalableTarget). A copy count that
        # followed copies.min would change on that edit, and the update (UpdateInferenceComponentRuntimeConfig)
        # would reset the live, autoscaled count to it.
        runtime_config={"copy_count": 1},
        deployment_config=_rolling(args.rollout, alarm_names),
        tags=[{"key": key, "value": value} for key, value in sorted({**args.extra_tags, **args.tags}.items())],
        opts=opts,
    )


def _rolling(
    rollout: RolloutArgs | None, alarm_names: Sequence[str]
) -> aws_native.sagemaker.InferenceComponentDeploymentConfigArgsDict | None:
    """A component's rolling update: batches of its copies, rolled back on the endpoint's alarms."""
    if rollout is None:
        return None
    _PERCENT = aws_native.sagemaker.InferenceComponentCapacitySizeType.CAPACITY_PERCENT  # noqa: N806
    timeout = execution_timeout_seconds(rollout.strategy, rollout.step_percent, rollout.bake_seconds)
    config: aws_native.sagemaker.InferenceComponentDeploymentConfigArgsDict = {
        "rolling_update_policy": {
            "maximum_batch_size": {"type": _PERCENT, "value": rollout.step_percent or 100},
            "wait_interval_in_seconds": rollout.bake_seconds,
            "maximum_execution_timeout_in_seconds": max(
                MIN_COMPONENT_ROLLOUT_SECONDS, min(MAX_COMPONENT_ROLLOUT_SECONDS, timeout)
            ),
            # On rollback, restore the old copies in one go: they are the known-good ones.
            "rollback_maximum_batch_size": {"type": _PERCENT, "value": 100},
        }
    }
    if alarm_names:
        config["auto_rollback_configuration"] = {"alarms": [{"alarm_name": alarm} for alarm in alarm_names]}
    return config
