"""ModelEndpoint: SageMaker models, an endpoint configuration and the endpoint, with guardrails.

Covers weighted A/B variants, a shadow variant, serverless, data capture, routing, deployment
guardrails (blue/green canary/linear/all-at-once or rolling) with alarm-driven rollback,
CloudWatch alarms and Application Auto Scaling.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal

import pulumi

from mlstack.components import instances
from mlstack.components.autoscaling import ScaledVariant, ScalingArgs, create_variant_scaling
from mlstack.components.endpoint_alarms import (
    DATAPOINTS_TO_ALARM,
    EVALUATION_PERIODS,
    PERIOD_SECONDS,
    SAGEMAKER_NAMESPACE,
    AlarmThresholds,
    create_endpoint_alarms,
)
from mlstack.components.naming import async_topic_name, endpoint_config_name, model_name, oldest_request_alarm_name
from mlstack.components.options import child_options, replacement_options
from mlstack.components.rollout import RolloutStrategy, execution_timeout_seconds
from mlstack.components.sdk import aws, aws_native

RoutingStrategy = Literal["LEAST_OUTSTANDING_REQUESTS", "RANDOM"]

STICKY_SESSIONS_TAG = "mlstack-stateful-sessions"
MODEL_GROUP_TAG = "mlstack-model-group"
# With autoscaling, an update keeps the live instance counts but takes these from the blueprint.
NOT_RETAINED_VARIANT_PROPERTIES = ("DesiredWeight", "DataCaptureConfig")


@dataclass(frozen=True)
class ContainerArgs:
    """One model: the image that serves it and where its weights are."""

    image: str
    """Container image URI, already resolved for the region and processor."""
    model_data: str | None
    """S3 URI of model.tar.gz, or an S3 prefix ending in `/` of uncompressed weights; None for a
    pipeline step that has no artifacts of its own."""
    environment: Mapping[str, str] = field(default_factory=dict)
    """Environment variables of the container."""
    startup_timeout_seconds: int | None = None
    """Download and health-check timeout for variants serving it; None keeps SageMaker's default."""
    model_group: str | None = None
    """Model package group its versions come from; tagged on the model so the link is visible."""
    hostname: str | None = None
    """ContainerHostname, for a step of a pipeline."""
    pipeline: tuple[ContainerArgs, ...] = ()
    """A serial inference pipeline: these containers in order, one of them this model's own. The
    Model then has Containers and InferenceExecutionConfig Serial instead of a PrimaryContainer."""


@dataclass(frozen=True)
class VariantArgs:
    """A production variant on instances."""

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
    routing_strategy: RoutingStrategy | None = None
    """How requests pick an instance; None keeps SageMaker's default (random)."""


@dataclass(frozen=True)
class ShadowArgs:
    """A shadow variant that receives a copy of live traffic and whose answers are discarded."""

    name: str
    model: str
    instance_type: str
    instance_count: int
    sample_percent: float
    """Share of the production variant's requests copied to the shadow."""


@dataclass(frozen=True)
class ServerlessArgs:
    """Serverless capacity for the endpoint's one model."""

    model: str
    memory_mb: int
    max_concurrency: int
    provisioned_concurrency: int | None = None


@dataclass(frozen=True)
class DataCaptureArgs:
    """Request/response capture."""

    sample_percent: int
    destination_s3_uri: pulumi.Input[str]
    """s3://bucket/prefix the captures go to (encrypted with the endpoint's key)."""


@dataclass(frozen=True)
class RolloutArgs:
    """Deployment guardrails for updates of the endpoint."""

    strategy: RolloutStrategy
    step_percent: int | None
    """Canary size, linear step or rolling batch, in percent of capacity."""
    bake_seconds: int
    """Watch the alarms this long after each step."""


@dataclass(frozen=True)
class AsyncArgs:
    """Asynchronous inference: where results go and who hears about them."""

    output_s3_uri: pulumi.Input[str]
    """s3://bucket/prefix of the results (KMS-encrypted with the endpoint's key)."""
    failure_s3_uri: pulumi.Input[str]
    """s3://bucket/prefix of the failures' error output."""
    prefix: str
    """The results' prefix in the bucket, known at preview: part of the configuration's name."""
    max_concurrent_invocations_per_instance: int | None
    """Requests each instance works on at once; None lets SageMaker choose."""
    notify_success: bool
    """Publish each success to a topic of this endpoint."""
    errors_to: Literal["topic", "on-call", "none"]
    """Publish each failure to a topic of this endpoint, to on-call (`alarm_topic_arn`), or nowhere."""
    max_request_age_seconds: int
    """Alarm when the oldest queued request is older than this."""


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
    execution_role_arn: pulumi.Input[str]
    """Role SageMaker assumes to pull images and read model data."""
    kms_key_arn: pulumi.Input[str]
    """Key for storage volumes (where the instance type allows one) and captured data."""
    tags: Mapping[str, str]
    """Tags the platform owns; merged last."""
    execution_role_name: str = ""
    """That role's name, known at preview: part of every model's versioned name."""
    variants: Sequence[VariantArgs] = ()
    """Production variants on instances; empty for a serverless endpoint."""
    serverless: ServerlessArgs | None = None
    """Serverless capacity instead of variants."""
    shadow: ShadowArgs | None = None
    """A shadow variant beside the one production variant."""
    data_capture: DataCaptureArgs | None = None
    """Capture requests and responses."""
    rollout: RolloutArgs | None = None
    """Deployment guardrails; None updates all at once without guardrails."""
    alarms: AlarmThresholds | None = None
    """CloudWatch alarms; they also roll back a guarded rollout."""
    scaling: ScalingArgs | None = None
    """Application Auto Scaling for each production variant."""
    fallback_model: str | None = None
    """Key of a known-good model kept deployed for rollback."""
    alarm_topic_arn: pulumi.Input[str] | None = None
    """SNS topic the alarms notify (on-call); None creates them without actions."""
    sticky_sessions: bool = False
    """Clients use SageMaker stateful sessions; recorded as a tag (the feature is request-time only)."""
    vpc: VpcArgs | None = None
    """Run the containers in these subnets; None keeps them out of any VPC."""
    network_isolation: bool = True
    """Deny the containers any outbound network access. Unsafe to turn off; an explicit opt-out."""
    asynchronous: AsyncArgs | None = None
    """Queue requests and write results to S3 instead of answering in the request."""
    extra_tags: Mapping[str, str] = field(default_factory=dict)
    """Caller tags; the platform's own `tags` win on conflict."""


class ModelEndpoint(pulumi.ComponentResource):
    """A SageMaker endpoint: real-time with weighted variants (and shadow), or serverless."""

    endpoint_name: pulumi.Output[str]
    endpoint_arn: pulumi.Output[str]
    endpoint_config_name: pulumi.Output[str]
    model_names: dict[str, pulumi.Output[str]]
    fallback_model_name: pulumi.Output[str] | None
    alarm_names: list[str]
    alarm_arns: list[pulumi.Output[str]]

    def __init__(self, name: str, args: ModelEndpointArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlstack:serving:ModelEndpoint", name, None, opts)
        child = child_options(self, opts)
        tags = {**args.extra_tags, **args.tags}

        # Serverless inference supports neither VPC configuration nor network isolation:
        # https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html#serverless-endpoints-how-it-works-exclusions
        models = create_models(
            name,
            endpoint_name=args.endpoint_name,
            models=args.models,
            execution_role_arn=args.execution_role_arn,
            execution_role_name=args.execution_role_name,
            vpc=args.vpc if args.serverless is None else None,
            isolated=args.network_isolation and args.serverless is None,
            tags=tags,
            opts=child,
        )
        model_names = {key: model.name_at_preview for key, model in models.items()}

        production_variants = _production_variants(args, model_names)
        shadow_variants = _shadow_variants(args, model_names)
        volume_key = _volume_key_allowed(args)
        topics = _async_topics(name, args, tags, child) if args.asynchronous else {}
        config_content: dict[str, object] = {
            "variants": production_variants,
            "shadow": shadow_variants,
            # The capture destination is an Output (the bucket name); the endpoint fixes its prefix.
            "capture": args.data_capture.sample_percent if args.data_capture else None,
            "volume_key": volume_key,
        }
        if args.asynchronous:
            # Output paths are Outputs (the bucket name); what fixes them is the prefix.
            settings = args.asynchronous
            config_content["async"] = {
                "prefix": settings.prefix,
                "concurrency": settings.max_concurrent_invocations_per_instance,
                "success": settings.notify_success,
                "errors": settings.errors_to,
            }
        config = aws.sagemaker.EndpointConfiguration(
            f"{name}-config",
            name=endpoint_config_name(args.endpoint_name, config_content),
            production_variants=production_variants,
            shadow_production_variants=shadow_variants,
            data_capture_config=_data_capture(args),
            async_inference_config=_async_config(args, topics),
            kms_key_arn=args.kms_key_arn if volume_key else None,
            tags=tags,
            # The name changes with the content, so an update creates the new configuration, moves
            # the endpoint to it, then deletes the old one. The bridge would delete first because
            # the name is explicit; the live endpoint would lose its configuration (and its rollback
            # target) before the new one exists.
            opts=replacement_options(child_options(self, opts, [model.resource for model in models.values()])),
        )

        alarms = (
            create_endpoint_alarms(
                name,
                endpoint_name=args.endpoint_name,
                variants=[v.name for v in args.variants] or ([args.serverless.model] if args.serverless else []),
                thresholds=args.alarms,
                tags=tags,
                opts=child,
                topic_arn=args.alarm_topic_arn,
            )
            if args.alarms
            else {}
        )
        sticky = {STICKY_SESSIONS_TAG: "X-Amzn-SageMaker-Session-Id"} if args.sticky_sessions else {}
        endpoint_tags = {**sticky, **tags}
        scaled = bool(args.scaling and args.variants)
        # aws-native, not pulumi-aws: the Terraform provider marks
        # deployment_config.auto_rollback_configuration ForceNew, so adding a variant (and its
        # latency alarm) or toggling an alarm kind would delete and recreate the live endpoint
        # (hashicorp/terraform-provider-aws internal/service/sagemaker/endpoint.go). CloudFormation
        # updates every property but EndpointName in place (aws-cloudformation-schema/
        # aws-sagemaker-endpoint.json: createOnlyProperties), waits up to 970 minutes for an update
        # (handlers.update.timeoutInMinutes, beyond the 60 minutes the Terraform waiter allows) and
        # can retain variant properties across updates.
        endpoint = aws_native.sagemaker.Endpoint(
            f"{name}-endpoint",
            endpoint_name=args.endpoint_name,
            endpoint_config_name=config.name,
            deployment_config=_deployment_config(args.rollout, list(alarms)),
            # UpdateEndpoint resets every variant to the new configuration's initial instance count
            # unless told otherwise. Where Application Auto Scaling owns the count, keep the live one;
            # weights and data capture still come from the blueprint.
            # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html
            retain_all_variant_properties=True if scaled else None,
            exclude_retained_variant_properties=(
                [{"variant_property_type": kind} for kind in NOT_RETAINED_VARIANT_PROPERTIES] if scaled else None
            ),
            # Stateful sessions need no endpoint setting: clients send X-Amzn-SageMaker-Session-Id
            # (NEW_SESSION, then the id the container returns) and SageMaker pins them to one
            # instance. The tag tells clients and day-2 tooling the container expects that.
            # https://docs.aws.amazon.com/sagemaker/latest/dg/stateful-sessions.html
            tags=[{"key": key, "value": value} for key, value in sorted(endpoint_tags.items())],
            # The rollback alarms must exist before a guarded update can refer to them.
            opts=child_options(self, opts, list(alarms.values())),
        )
        if args.asynchronous:
            alarms_outside_rollback = {
                oldest_request_alarm_name(args.endpoint_name): _oldest_request_alarm(name, args, tags, child)
            }
        else:
            alarms_outside_rollback = {}
        if args.scaling and args.variants:
            create_variant_scaling(
                name,
                endpoint_name=args.endpoint_name,
                variants=[
                    ScaledVariant(v.name, v.instance_count, instances.lookup(v.instance_type).gpus)
                    for v in args.variants
                ],
                scaling=args.scaling,
                tags=tags,
                opts=child_options(self, opts, [endpoint]),
            )

        self.endpoint_name = pulumi.Output.from_input(args.endpoint_name)
        self.endpoint_arn = endpoint.endpoint_arn
        self.endpoint_config_name = config.name
        self.model_names = {key: model.resource.name for key, model in models.items()}
        self.fallback_model_name = models[args.fallback_model].resource.name if args.fallback_model else None
        every_alarm = {**alarms, **alarms_outside_rollback}
        self.alarm_names = list(every_alarm)
        self.alarm_arns = [alarm.arn for alarm in every_alarm.values()]
        self.register_outputs(
            {
                "endpoint_name": self.endpoint_name,
                "endpoint_arn": self.endpoint_arn,
                "endpoint_config_name": self.endpoint_config_name,
                "model_names": self.model_names,
                "fallback_model_name": self.fallback_model_name,
                "alarm_arns": self.alarm_arns,
            }
        )


_ADDED_CONTAINER_FIELDS: dict[str, object] = {"hostname": None, "pipeline": ()}


@dataclass(frozen=True)
class CreatedModel:
    """A SageMaker Model and its name as the plan knows it (content-versioned, so fixed at preview)."""

    resource: aws.sagemaker.Model
    name_at_preview: str


def create_models(
    name: str,
    *,
    endpoint_name: str,
    models: Mapping[str, ContainerArgs],
    execution_role_arn: pulumi.Input[str],
    execution_role_name: str,
    vpc: VpcArgs | None,
    isolated: bool,
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> dict[str, CreatedModel]:
    """One SageMaker Model per key: a primary container, or a serial pipeline of containers.

    Network isolation and the VPC are Model properties, so a pipeline's every container has them.
    """
    created = {}
    for key, spec in models.items():
        container = asdict(spec)
        # Fields added after models were first deployed stay out of the digest at their defaults, so
        # upgrading mlstack renames (and so replaces) no live model.
        for added, default in _ADDED_CONTAINER_FIELDS.items():
            if container[added] == default:
                del container[added]
        physical = model_name(
            endpoint_name,
            key,
            {
                "container": container,
                "isolated": isolated,
                "vpc": asdict(vpc) if vpc else None,
                # ExecutionRoleArn is ForceNew too: a new role must mean a new name, or the
                # replacement would be created under the name the live model still holds.
                "role": execution_role_name,
            },
        )
        model = aws.sagemaker.Model(
            f"{name}-model-{key}",
            name=physical,
            execution_role_arn=execution_role_arn,
            primary_container=None if spec.pipeline else _container(spec),
            # CreateModel Containers, called in order: each response is the next request.
            # https://docs.aws.amazon.com/sagemaker/latest/dg/inference-pipelines.html
            containers=[_container(step) for step in spec.pipeline] or None,
            inference_execution_config={"mode": "Serial"} if spec.pipeline else None,
            enable_network_isolation=isolated,
            vpc_config=(
                {"subnets": list(vpc.subnet_ids), "security_group_ids": list(vpc.security_group_ids)} if vpc else None
            ),
            tags={**({MODEL_GROUP_TAG: spec.model_group} if spec.model_group else {}), **tags},
            # Every input of a Model is ForceNew, and its content-versioned name differs on every
            # change, so the new model can exist beside the one the live endpoint still uses.
            opts=replacement_options(opts),
        )
        created[key] = CreatedModel(model, physical)
    return created


def _container(spec: ContainerArgs) -> aws.sagemaker.ModelPrimaryContainerArgsDict:
    container: aws.sagemaker.ModelPrimaryContainerArgsDict = {"image": spec.image, "mode": "SingleModel"}
    if spec.hostname:
        container["container_hostname"] = spec.hostname
    if spec.environment:
        container["environment"] = dict(spec.environment)
    if spec.model_data is None:
        return container
    if spec.model_data.endswith("/"):
        # Large-model containers load uncompressed weights straight from an S3 prefix.
        container["model_data_source"] = {
            "s3_data_sources": [{"s3_uri": spec.model_data, "s3_data_type": "S3Prefix", "compression_type": "None"}]
        }
    else:
        container["model_data_url"] = spec.model_data
    return container


def _production_variants(
    args: ModelEndpointArgs, model_names: Mapping[str, str]
) -> list[aws.sagemaker.EndpointConfigurationProductionVariantArgsDict]:
    if args.serverless:
        serverless = args.serverless
        config: aws.sagemaker.EndpointConfigurationProductionVariantServerlessConfigArgsDict = {
            "memory_size_in_mb": serverless.memory_mb,
            "max_concurrency": serverless.max_concurrency,
        }
        if serverless.provisioned_concurrency:
            config["provisioned_concurrency"] = serverless.provisioned_concurrency
        return [
            {"variant_name": serverless.model, "model_name": model_names[serverless.model], "serverless_config": config}
        ]
    variants: list[aws.sagemaker.EndpointConfigurationProductionVariantArgsDict] = []
    for variant in args.variants:
        entry: aws.sagemaker.EndpointConfigurationProductionVariantArgsDict = {
            "variant_name": variant.name,
            "model_name": model_names[variant.model],
            "instance_type": variant.instance_type,
            "initial_instance_count": variant.instance_count,
            "initial_variant_weight": variant.weight,
        }
        if variant.routing_strategy:
            entry["routing_configs"] = [{"routing_strategy": variant.routing_strategy}]
        _large_model_timeouts(entry, args.models[variant.model])
        variants.append(entry)
    return variants


def _large_model_timeouts(
    entry: aws.sagemaker.EndpointConfigurationProductionVariantArgsDict, spec: ContainerArgs
) -> None:
    if spec.startup_timeout_seconds:
        entry["container_startup_health_check_timeout_in_seconds"] = spec.startup_timeout_seconds
        entry["model_data_download_timeout_in_seconds"] = spec.startup_timeout_seconds


def _shadow_variants(
    args: ModelEndpointArgs, model_names: Mapping[str, str]
) -> list[aws.sagemaker.EndpointConfigurationShadowProductionVariantArgsDict] | None:
    if not args.shadow:
        return None
    shadow = args.shadow
    # The production variant answers every request; the shadow gets copies in the ratio of its
    # weight to the production variant's. AWS documents weights 1/1 as "copy everything"
    # (https://docs.aws.amazon.com/sagemaker/latest/dg/model-shadow-deployment.html) but states no
    # formula for other ratios; InferenceExperiment's SamplingPercentage is the documented knob.
    production_weight = args.variants[0].weight
    entry: aws.sagemaker.EndpointConfigurationShadowProductionVariantArgsDict = {
        "variant_name": shadow.name,
        "model_name": model_names[shadow.model],
        "instance_type": shadow.instance_type,
        "initial_instance_count": shadow.instance_count,
        "initial_variant_weight": production_weight * shadow.sample_percent / 100,
    }
    spec = args.models[shadow.model]
    if spec.startup_timeout_seconds:
        entry["container_startup_health_check_timeout_in_seconds"] = spec.startup_timeout_seconds
        entry["model_data_download_timeout_in_seconds"] = spec.startup_timeout_seconds
    return [entry]


def _data_capture(args: ModelEndpointArgs) -> aws.sagemaker.EndpointConfigurationDataCaptureConfigArgsDict | None:
    if not args.data_capture:
        return None
    return {
        "enable_capture": True,
        "initial_sampling_percentage": args.data_capture.sample_percent,
        "destination_s3_uri": args.data_capture.destination_s3_uri,
        "kms_key_id": args.kms_key_arn,
        "capture_options": [{"capture_mode": "Input"}, {"capture_mode": "Output"}],
        "capture_content_type_header": {
            "json_content_types": ["application/json", "application/jsonlines"],
            "csv_content_types": ["text/csv"],
        },
    }


def _async_topics(
    name: str, args: ModelEndpointArgs, tags: Mapping[str, str], opts: pulumi.ResourceOptions
) -> dict[str, pulumi.Input[str]]:
    """The success and error topics of an asynchronous endpoint, by outcome: its own, or on-call's."""
    settings = args.asynchronous
    assert settings is not None
    topics: dict[str, pulumi.Input[str]] = {}
    outcomes = (["success"] if settings.notify_success else []) + (["errors"] if settings.errors_to == "topic" else [])
    for outcome in outcomes:
        topics[outcome] = aws.sns.Topic(
            f"{name}-async-{outcome}",
            name=async_topic_name(args.endpoint_name, outcome),
            # The platform key: SageMaker publishes with the execution role, which may use it.
            kms_master_key_id=args.kms_key_arn,
            tags=dict(tags),
            opts=opts,
        ).arn
    if settings.errors_to == "on-call" and args.alarm_topic_arn is not None:
        topics["errors"] = args.alarm_topic_arn
    return topics


def _async_config(
    args: ModelEndpointArgs, topics: Mapping[str, pulumi.Input[str]]
) -> aws.sagemaker.EndpointConfigurationAsyncInferenceConfigArgsDict | None:
    settings = args.asynchronous
    if settings is None:
        return None
    output: aws.sagemaker.EndpointConfigurationAsyncInferenceConfigOutputConfigArgsDict = {
        "s3_output_path": settings.output_s3_uri,
        "s3_failure_path": settings.failure_s3_uri,
        "kms_key_id": args.kms_key_arn,
    }
    if topics:
        notification: aws.sagemaker.EndpointConfigurationAsyncInferenceConfigOutputConfigNotificationConfigArgsDict = {}
        if "success" in topics:
            notification["success_topic"] = topics["success"]
        if "errors" in topics:
            notification["error_topic"] = topics["errors"]
        output["notification_config"] = notification
    config: aws.sagemaker.EndpointConfigurationAsyncInferenceConfigArgsDict = {"output_config": output}
    if settings.max_concurrent_invocations_per_instance is not None:
        config["client_config"] = {
            "max_concurrent_invocations_per_instance": settings.max_concurrent_invocations_per_instance
        }
    return config


def _oldest_request_alarm(
    name: str, args: ModelEndpointArgs, tags: Mapping[str, str], opts: pulumi.ResourceOptions
) -> aws.cloudwatch.MetricAlarm:
    settings = args.asynchronous
    assert settings is not None
    actions = [args.alarm_topic_arn] if args.alarm_topic_arn is not None else []
    return aws.cloudwatch.MetricAlarm(
        f"{name}-oldest-request",
        name=oldest_request_alarm_name(args.endpoint_name),
        alarm_description=(
            f"The oldest queued request of {args.endpoint_name} waited over {settings.max_request_age_seconds // 60} "
            "minutes: the instances cannot keep up, or scaling out from zero failed."
        ),
        namespace=SAGEMAKER_NAMESPACE,
        metric_name="ApproximateAgeOfOldestRequest",
        dimensions={"EndpointName": args.endpoint_name},
        statistic="Maximum",
        period=PERIOD_SECONDS,
        evaluation_periods=EVALUATION_PERIODS,
        datapoints_to_alarm=DATAPOINTS_TO_ALARM,
        threshold=settings.max_request_age_seconds,
        comparison_operator="GreaterThanThreshold",
        # An empty queue publishes nothing, and is healthy.
        treat_missing_data="notBreaching",
        alarm_actions=actions,
        ok_actions=actions,
        tags=dict(tags),
        opts=opts,
    )


def _volume_key_allowed(args: ModelEndpointArgs) -> bool:
    if args.serverless:
        # Serverless endpoints have no storage volume to encrypt; CreateEndpointConfig rejects the key.
        return False
    # CreateEndpointConfig fails if KmsKeyId is set and any variant uses an instance type with
    # local NVMe storage, which the instance hardware-encrypts itself:
    # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html#sagemaker-CreateEndpointConfig-request-KmsKeyId
    instance_types = [v.instance_type for v in args.variants] + ([args.shadow.instance_type] if args.shadow else [])
    return not any(instances.lookup(t).local_storage for t in instance_types)


def _deployment_config(
    rollout: RolloutArgs | None, alarm_names: Sequence[str]
) -> aws_native.sagemaker.EndpointDeploymentConfigArgsDict | None:
    if rollout is None:
        return None
    timeout = execution_timeout_seconds(rollout.strategy, rollout.step_percent, rollout.bake_seconds)
    config: aws_native.sagemaker.EndpointDeploymentConfigArgsDict = {}
    if rollout.strategy == "rolling":
        config["rolling_update_policy"] = {
            "maximum_batch_size": {"type": "CAPACITY_PERCENT", "value": rollout.step_percent or 100},
            "wait_interval_in_seconds": rollout.bake_seconds,
            "maximum_execution_timeout_in_seconds": timeout,
            # On rollback, restore the old fleet in one go: it is the known-good one.
            "rollback_maximum_batch_size": {"type": "CAPACITY_PERCENT", "value": 100},
        }
    else:
        routing: aws_native.sagemaker.EndpointTrafficRoutingConfigArgsDict = {
            "type": rollout.strategy.upper().replace("-", "_"),
            "wait_interval_in_seconds": rollout.bake_seconds,
        }
        if rollout.strategy == "canary":
            routing["canary_size"] = {"type": "CAPACITY_PERCENT", "value": rollout.step_percent or 10}
        elif rollout.strategy == "linear":
            routing["linear_step_size"] = {"type": "CAPACITY_PERCENT", "value": rollout.step_percent or 10}
        config["blue_green_update_policy"] = {
            "traffic_routing_configuration": routing,
            # Keep the old fleet for one more bake period after the full shift, to roll back fast.
            "termination_wait_in_seconds": rollout.bake_seconds,
            "maximum_execution_timeout_in_seconds": timeout,
        }
    if alarm_names:
        config["auto_rollback_configuration"] = {"alarms": [{"alarm_name": name} for name in alarm_names]}
    return config
