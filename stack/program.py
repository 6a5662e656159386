"""Blueprint -> components: the one place that knows both the blueprint schema and the components.

The same function runs under `pulumi up` and under the offline plan's mocks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_aws_native as aws_native

from mlstack.blueprints.load import ResolvedBlueprint
from mlstack.blueprints.rules import SCHEDULE_ALIASES, serverless_models
from mlstack.blueprints.schema import Blueprint, Endpoint, Model
from mlstack.components import images, instances, sizing
from mlstack.components.autoscaling import ScalingArgs
from mlstack.components.containers import large_model_environment
from mlstack.components.dashboard import DashboardEndpoint, create_dashboard, endpoint_monitors
from mlstack.components.endpoint import (
    AsyncArgs,
    ContainerArgs,
    DataCaptureArgs,
    ModelEndpoint,
    ModelEndpointArgs,
    RolloutArgs,
    ServerlessArgs,
    ShadowArgs,
    VariantArgs,
    VpcArgs,
)
from mlstack.components.endpoint_alarms import AlarmThresholds
from mlstack.components.feature_store import FeatureGroupArgs, FeatureStore, FeatureStoreArgs
from mlstack.components.feedback import FeedbackApi, FeedbackApiArgs
from mlstack.components.foundation import Foundation, FoundationArgs
from mlstack.components.inference_components import (
    FLEET_VARIANT,
    ComponentArgs,
    ComponentEndpoint,
    ComponentEndpointArgs,
    FleetArgs,
)
from mlstack.components.monitoring import DriftMonitor, DriftMonitorArgs, MonitorVpc, OnCall, OnCallArgs
from mlstack.components.naming import (
    OTHER_LOG_DAYS,
    PROD_ENVIRONMENTS,
    PROD_LOG_DAYS,
    async_prefix,
    async_topic_name,
    cluster_name,
    dashboard_name,
    data_capture_prefix,
    drift_report_alarm_name,
    endpoint_resource_name,
    execution_role_name,
    feature_group_name,
    feature_store_role_name,
    inference_component_name,
    kubernetes_namespace,
    kubernetes_role_name,
    model_package_group_name,
    monitoring_schedule_name,
    on_call_topic_name,
    platform_prefix,
    rds_instance_name,
    tracking_role_name,
    tracking_server_name,
)
from mlstack.components.registry import ModelRegistry, ModelRegistryArgs
from mlstack.components.tracking import ExperimentTracking, ExperimentTrackingArgs

BlueprintPath = tuple[str | int, ...]


@dataclass
class SourceMap:
    """Which blueprint path made each top-level component, by the component's logical name.

    The offline plan hands every resource under a component the component's path, so a policy
    finding can point at the blueprint line a user wrote (`stack.plan.provenance`). Under
    `pulumi up` nobody reads it.
    """

    by_component: dict[str, BlueprintPath] = field(default_factory=dict)

    def record(self, name: str, path: BlueprintPath) -> str:
        self.by_component[name] = path
        return name


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


def log_retention_days(resolved: ResolvedBlueprint) -> int:
    """The blueprint's `retention.log_days`, else a year in prod and a month elsewhere."""
    if resolved.blueprint.retention.log_days is not None:
        return resolved.blueprint.retention.log_days
    return PROD_LOG_DAYS if resolved.environment_name in PROD_ENVIRONMENTS else OTHER_LOG_DAYS


def model_image(model: Model, region: str, *, gpu: bool) -> str:
    """The container image of `model` on a GPU or CPU instance, resolved for `region`."""
    if model.image is not None:
        return model.image
    if model.container is not None:
        return images.container_image(model.container, region)
    assert model.framework is not None and model.framework_version is not None
    return images.framework_image(model.framework, model.framework_version, region, gpu=gpu)


def _hosts(endpoint: Endpoint) -> list[tuple[str, str]]:
    """(model key, instance type) of every production and shadow variant, and every component."""
    hosts = [(v.model, v.instance_type) for v in endpoint.variants]
    if endpoint.shadow:
        hosts.append((endpoint.shadow.model, endpoint.shadow.instance_type))
    if endpoint.fleet:
        hosts += [(c.model, endpoint.fleet.instance_type) for c in endpoint.components]
    return hosts


def _pipeline(model: Model, own: ContainerArgs, region: str) -> tuple[ContainerArgs, ...]:
    """A pipeline's containers in order; the step without an image or framework is the model's own."""
    steps = []
    for step in model.pipeline or ():
        if step.image is None and step.framework is None:
            steps.append(
                ContainerArgs(
                    image=own.image,
                    model_data=own.model_data,
                    environment={**own.environment, **step.environment},
                    hostname=step.name,
                )
            )
            continue
        # Filters and rules run on the CPU: their images are the CPU ones even on GPU instances.
        image = step.image or images.framework_image(
            step.framework or "", step.framework_version or "", region, gpu=False
        )
        steps.append(
            ContainerArgs(
                image=image, model_data=step.model_data, environment=dict(step.environment), hostname=step.name
            )
        )
    return tuple(steps)


def _containers(endpoint: Endpoint, region: str, group_names: Mapping[str, str]) -> dict[str, ContainerArgs]:
    """Container per model key: GPU image where a GPU variant serves it, large-model settings."""
    gpus_by_model: dict[str, int] = {}
    for model_key, instance_type in _hosts(endpoint):
        gpus_by_model[model_key] = max(gpus_by_model.get(model_key, 0), instances.lookup(instance_type).gpus)
    containers = {}
    for key, model in endpoint.models.items():
        gpus = gpus_by_model.get(key, 0)
        environment: dict[str, str] = {}
        timeout = None
        if model.container is not None:
            environment = large_model_environment(
                model.container, gpus=model.tensor_parallel_degree or max(gpus, 1), dtype=model.dtype
            )
            weights = (
                sizing.weights_gib(model.parameters_billions, model.dtype)
                if model.parameters_billions is not None and model.dtype is not None
                else None
            )
            timeout = sizing.large_model_timeout_seconds(weights)
        own = ContainerArgs(
            image=model_image(model, region, gpu=gpus > 0),
            model_data=model.model_data,
            environment=environment,
            startup_timeout_seconds=timeout,
            model_group=group_names.get(model.model_group) if model.model_group else None,
        )
        containers[key] = dataclasses.replace(own, pipeline=_pipeline(model, own, region)) if model.pipeline else own
    return containers


_ROUTING = {"least-outstanding-requests": "LEAST_OUTSTANDING_REQUESTS", "random": "RANDOM"}


def _endpoint_args(
    endpoint: Endpoint, resolved: ResolvedBlueprint, foundation: Foundation, containers: dict[str, ContainerArgs]
) -> ModelEndpointArgs:
    blueprint = resolved.blueprint
    network = resolved.environment.network
    prefix = platform_prefix(blueprint.blueprint, resolved.environment_name)
    name = endpoint_resource_name(prefix, endpoint.name)
    routing = _ROUTING[endpoint.routing.strategy] if endpoint.routing else None
    scaling = endpoint.autoscaling
    return ModelEndpointArgs(
        endpoint_name=name,
        models=containers,
        variants=[
            VariantArgs(
                name=variant.name,
                model=variant.model,
                instance_type=variant.instance_type,
                instance_count=variant.instances,
                weight=variant.weight,
                routing_strategy=routing,  # type: ignore[arg-type]
            )
            for variant in endpoint.variants
        ],
        serverless=(
            ServerlessArgs(
                model=serverless_models(endpoint)[0],
                memory_mb=endpoint.serverless.memory_mb,
                max_concurrency=endpoint.serverless.max_concurrency,
                provisioned_concurrency=endpoint.serverless.provisioned_concurrency,
            )
            if endpoint.serverless
            else None
        ),
        shadow=(
            ShadowArgs(
                name=endpoint.shadow.name,
                model=endpoint.shadow.model,
                instance_type=endpoint.shadow.instance_type,
                instance_count=endpoint.shadow.instances,
                sample_percent=endpoint.shadow.sample_percent,
            )
            if endpoint.shadow
            else None
        ),
        data_capture=(
            DataCaptureArgs(
                sample_percent=endpoint.data_capture.sample_percent,
                destination_s3_uri=pulumi.Output.concat(
                    "s3://", foundation.bucket_name, "/", data_capture_prefix(endpoint.name)
                ),
            )
            if endpoint.data_capture
            else None
        ),
        rollout=_rollout_args(endpoint),
        alarms=_alarm_thresholds(endpoint),
        scaling=(
            ScalingArgs(
                min_instances=scaling.min,
                max_instances=scaling.max,
                metric=(
                    "gpu-utilization"
                    if scaling.target_gpu_utilization
                    else "backlog-per-instance"
                    if scaling.target_backlog_per_instance
                    else "invocations-per-instance"
                ),
                target=float(
                    scaling.target_gpu_utilization
                    or scaling.target_backlog_per_instance
                    or scaling.target_invocations_per_instance
                    or 0
                ),
                scale_in_cooldown_seconds=scaling.scale_in_cooldown_seconds,
                scale_out_cooldown_seconds=scaling.scale_out_cooldown_seconds,
            )
            if scaling
            else None
        ),
        fallback_model=endpoint.fallback.model if endpoint.fallback else None,
        sticky_sessions=bool(endpoint.routing and endpoint.routing.sticky_sessions),
        execution_role_arn=foundation.execution_role_arn,
        execution_role_name=execution_role_name(prefix, blueprint.region),
        kms_key_arn=foundation.key_arn,
        tags=platform_tags(resolved),
        vpc=VpcArgs(network.subnet_ids, network.security_group_ids) if network else None,
        asynchronous=_async_args(endpoint, foundation),
    )


def _rollout_args(endpoint: Endpoint) -> RolloutArgs | None:
    """`rollout:`, for variant and component endpoints alike (components take `rolling` only)."""
    rollout = endpoint.rollout
    if rollout is None:
        return None
    return RolloutArgs(
        strategy=rollout.strategy,
        step_percent=rollout.canary_percent or rollout.step_percent,
        bake_seconds=rollout.bake_minutes * 60,
    )


def _alarm_thresholds(endpoint: Endpoint) -> AlarmThresholds | None:
    return AlarmThresholds(endpoint.alarms.p99_latency_ms, endpoint.alarms.error_rate) if endpoint.alarms else None


def _async_args(endpoint: Endpoint, foundation: Foundation) -> AsyncArgs | None:
    settings = endpoint.asynchronous
    if settings is None:
        return None
    prefix = async_prefix(endpoint.name)
    return AsyncArgs(
        output_s3_uri=pulumi.Output.concat("s3://", foundation.bucket_name, f"/{prefix}/output/"),
        failure_s3_uri=pulumi.Output.concat("s3://", foundation.bucket_name, f"/{prefix}/failure/"),
        prefix=prefix,
        max_concurrent_invocations_per_instance=settings.max_concurrent_invocations_per_instance,
        notify_success=settings.notifications.success,
        errors_to=settings.notifications.errors,
        max_request_age_seconds=settings.max_request_age_minutes * 60,
    )


def _component_endpoint_args(
    endpoint: Endpoint, resolved: ResolvedBlueprint, foundation: Foundation, containers: dict[str, ContainerArgs]
) -> ComponentEndpointArgs:
    blueprint = resolved.blueprint
    network = resolved.environment.network
    prefix = platform_prefix(blueprint.blueprint, resolved.environment_name)
    fleet = endpoint.fleet
    assert fleet is not None
    return ComponentEndpointArgs(
        endpoint_name=endpoint_resource_name(prefix, endpoint.name),
        models=containers,
        components=[
            ComponentArgs(
                name=component.name,
                model=component.model,
                memory_mb=component.memory_mb,
                cpu_cores=component.cpu_cores,
                accelerators=component.accelerators,
                min_copies=component.copies.min,
                max_copies=component.copies.max,
                target_invocations_per_copy=component.target_invocations_per_copy,
            )
            for component in endpoint.components
        ],
        fleet=FleetArgs(
            instance_type=fleet.instance_type,
            min_instances=fleet.min_instances,
            max_instances=fleet.max_instances,
            routing_strategy=_ROUTING[endpoint.routing.strategy] if endpoint.routing else None,  # type: ignore[arg-type]
        ),
        rollout=_rollout_args(endpoint),
        alarms=_alarm_thresholds(endpoint),
        execution_role_arn=foundation.execution_role_arn,
        execution_role_name=execution_role_name(prefix, blueprint.region),
        kms_key_arn=foundation.key_arn,
        tags=platform_tags(resolved),
        vpc=VpcArgs(network.subnet_ids, network.security_group_ids) if network else None,
    )


def notification_topic_names(blueprint: Blueprint, prefix: str) -> list[str]:
    """SNS topics asynchronous endpoints publish to: their own, and on-call's where errors go there."""
    names = []
    for endpoint in blueprint.endpoints:
        settings = endpoint.asynchronous
        if settings is None:
            continue
        endpoint_name = endpoint_resource_name(prefix, endpoint.name)
        if settings.notifications.success:
            names.append(async_topic_name(endpoint_name, "success"))
        if settings.notifications.errors == "topic":
            names.append(async_topic_name(endpoint_name, "errors"))
        elif settings.notifications.errors == "on-call":
            names.append(on_call_topic_name(prefix))
    return sorted(set(names))


def _kubernetes(
    resolved: ResolvedBlueprint,
    foundation: Foundation,
    on_platform: pulumi.ResourceOptions,
    *,
    account_id: pulumi.Input[str],
    partition: pulumi.Input[str],
    topic_arn: pulumi.Input[str] | None,
    sources: SourceMap,
) -> dict[str, pulumi.Output[str]]:
    """The `kubernetes:` section (and MLflow on Kubernetes): one namespace per blueprint and environment."""
    # Imported here: plans without a `kubernetes:` section never pay for pulumi-kubernetes.
    import pulumi_kubernetes as k8s

    from mlstack.components.kubernetes import mlflow as mlflow_component
    from mlstack.components.kubernetes.drift import DriftJob, DriftJobArgs
    from mlstack.components.kubernetes.routing import NamespaceArgs, PlatformNamespace
    from mlstack.components.kubernetes.service import GatewayRefArgs, InferenceService, InferenceServiceArgs, PodIamArgs

    blueprint = resolved.blueprint
    kubernetes = blueprint.kubernetes
    assert kubernetes is not None
    environment = resolved.environment
    prefix = platform_prefix(blueprint.blueprint, resolved.environment_name)
    namespace = kubernetes_namespace(kubernetes.namespace, resolved.environment_name)
    cluster = cluster_name(prefix, environment.cluster)
    tags = platform_tags(resolved)
    # Credentials come from stack config (`kubernetes:kubeconfig`, `kubernetes:context`) or the ambient
    # kubeconfig, never from the blueprint; the context defaults to the environment's cluster name.
    config = pulumi.Config("kubernetes")
    provider = k8s.Provider(
        sources.record(f"{prefix}-k8s", ("kubernetes",)),
        kubeconfig=config.get("kubeconfig"),
        context=config.get("context"),
        namespace=namespace,
    )
    opts = pulumi.ResourceOptions.merge(on_platform, pulumi.ResourceOptions(providers=[provider]))
    space = PlatformNamespace(
        sources.record(f"{prefix}-namespace", ("kubernetes",)), NamespaceArgs(name=namespace, tags=tags), opts=opts
    )
    in_space = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[space]))
    gateway = kubernetes.gateway
    gateway_ref = GatewayRefArgs(
        name=gateway.name,
        namespace=gateway.namespace or namespace,
        create=gateway.create,
        gateway_class=gateway.class_name,
    )

    def pod_iam(workload: str, reads: list[str], writes: list[pulumi.Input[str]]) -> PodIamArgs:
        return PodIamArgs(
            cluster_name=cluster,
            role_name=kubernetes_role_name(prefix, blueprint.region, workload),
            partition=partition,
            account_id=account_id,
            region=blueprint.region,
            read_prefixes=reads,
            write_prefixes=writes,
            kms_key_arn=foundation.key_arn,
            # By alias, the policy is known at preview (the key's ARN is not).
            kms_key_alias=foundation.key_alias,
        )

    outputs: dict[str, pulumi.Output[str]] = {"kubernetes_namespace": pulumi.Output.from_input(namespace)}
    for index, service in enumerate(kubernetes.services):
        component = InferenceService(
            sources.record(f"{prefix}-{service.name}", ("kubernetes", "services", index)),
            InferenceServiceArgs(
                name=service.name,
                namespace=namespace,
                image=service.image,
                port=service.port,
                replicas_min=service.replicas.min,
                replicas_max=service.replicas.max,
                cpu=service.cpu,
                memory=service.memory,
                gpus=service.gpus,
                environment=dict(service.environment),
                model_data=service.model_data,
                liveness_path=service.probes.liveness_path,
                readiness_path=service.probes.readiness_path,
                node_selector=dict(service.node_selector),
                target_cpu_utilization=service.target_cpu_utilization,
                target_gpu_utilization=service.target_gpu_utilization,
                session_header=service.session_affinity.header if service.session_affinity else None,
                gateway=gateway_ref,
                iam=pod_iam(service.name, [service.model_data] if service.model_data else [], []),
                tags=tags,
            ),
            opts=in_space,
        )
        outputs[f"kubernetes_service_{service.name}"] = component.service_url
    for index, job in enumerate(kubernetes.drift):
        report = pulumi.Output.concat("s3://", foundation.bucket_name, f"/drift/{job.name}/")
        DriftJob(
            sources.record(f"{prefix}-{job.name}", ("kubernetes", "drift", index)),
            DriftJobArgs(
                name=job.name,
                namespace=namespace,
                image=job.image,
                source=job.source,
                report_uri=report,
                schedule=job.schedule,
                cpu=job.cpu,
                memory=job.memory,
                deadline_seconds=job.deadline_minutes * 60,
                iam=pod_iam(job.name, [job.source], [report]),
                alarm_topic_arn=topic_arn,
                alarm_name=drift_report_alarm_name(prefix, job.name),
                tags=tags,
            ),
            opts=in_space,
        )
    tracking = blueprint.experiment_tracking
    if tracking is not None and tracking.kind == "mlflow-on-kubernetes":
        network = environment.network
        artifacts = pulumi.Output.concat("s3://", foundation.bucket_name, "/mlflow/")
        mlflow = mlflow_component.MlflowOnKubernetes(
            sources.record(f"{prefix}-mlflow", ("experiment_tracking",)),
            mlflow_component.MlflowOnKubernetesArgs(
                name="mlflow",
                namespace=namespace,
                image=tracking.image or mlflow_component.MLFLOW_IMAGE,
                artifact_uri=artifacts,
                # A durable, encrypted PostgreSQL where the environment has a VPC (prod); elsewhere a
                # file database in the pod, for experiments that may be lost (dev).
                database="rds-postgres" if network else "sqlite",
                db_identifier=rds_instance_name(prefix, "mlflow"),
                db_subnet_group_name=rds_instance_name(prefix, "mlflow"),
                subnet_ids=list(network.subnet_ids) if network else [],
                vpc_id=network.vpc_id if network else None,
                client_security_group_ids=list(network.security_group_ids) if network else [],
                kms_key_arn=foundation.key_arn,
                iam=pod_iam("mlflow", [], [artifacts]),
                tags=tags,
            ),
            opts=in_space,
        )
        outputs["tracking_server_url"] = mlflow.tracking_uri
    return outputs


@dataclass
class _Platform:
    """What every section's translator shares: the environment, names, providers and the foundation."""

    resolved: ResolvedBlueprint
    sources: SourceMap
    prefix: str
    tags: dict[str, str]
    account_id: pulumi.Output[str]
    partition: pulumi.Output[str]
    foundation: Foundation
    providers: list[pulumi.ProviderResource]
    topic_arn: pulumi.Output[str] | None = None

    @property
    def blueprint(self) -> Blueprint:
        return self.resolved.blueprint

    @property
    def options(self) -> pulumi.ResourceOptions:
        """Resources of the platform: in the blueprint's region, after the foundation."""
        return pulumi.ResourceOptions(providers=self.providers, depends_on=[self.foundation])


def build_platform(resolved: ResolvedBlueprint, sources: SourceMap | None = None) -> dict[str, pulumi.Output[str]]:
    """Create every component of the platform, one translator per blueprint section; return the
    stack outputs. `sources` learns which blueprint path made each top-level component."""
    blueprint = resolved.blueprint
    prefix = platform_prefix(blueprint.blueprint, resolved.environment_name)
    group_names = {
        group: model_package_group_name(prefix, group)
        for group in (blueprint.registry.model_groups if blueprint.registry else [])
    }
    containers = {e.name: _containers(e, blueprint.region, group_names) for e in blueprint.endpoints}
    platform = _foundation(resolved, sources if sources is not None else SourceMap(), containers)
    platform.topic_arn = _on_call(platform)
    outputs: dict[str, pulumi.Output[str]] = {
        "artifact_bucket": platform.foundation.bucket_name,
        "kms_key_arn": platform.foundation.key_arn,
        "execution_role_arn": platform.foundation.execution_role_arn,
    }
    if group_names:
        _registry(platform, group_names)
    if blueprint.feature_store:
        _feature_store(platform)
    if blueprint.experiment_tracking and blueprint.experiment_tracking.kind == "sagemaker-mlflow":
        outputs.update(_sagemaker_tracking(platform, group_names))
    if blueprint.kubernetes:
        outputs.update(
            _kubernetes(
                resolved,
                platform.foundation,
                platform.options,
                account_id=platform.account_id,
                partition=platform.partition,
                topic_arn=platform.topic_arn,
                sources=platform.sources,
            )
        )
    endpoints = _endpoints(platform, containers, outputs)
    schedules = _drift_monitors(platform, endpoints)
    if blueprint.endpoints:
        _dashboard(platform, schedules)
    if blueprint.feedback:
        outputs.update(_feedback(platform))
    if platform.topic_arn is not None:
        outputs["on_call_topic_arn"] = platform.topic_arn
    return outputs


def _foundation(
    resolved: ResolvedBlueprint, sources: SourceMap, containers: Mapping[str, Mapping[str, ContainerArgs]]
) -> _Platform:
    """The providers, the account, and the bucket, key and roles every other section uses."""
    blueprint = resolved.blueprint
    tags = platform_tags(resolved)
    prefix = platform_prefix(blueprint.blueprint, resolved.environment_name)
    network = resolved.environment.network
    # The blueprint, not ambient stack config, decides the region.
    provider = aws.Provider(sources.record(f"{prefix}-aws", ("region",)), region=blueprint.region)
    invoke = pulumi.InvokeOptions(provider=provider)
    identity = aws.get_caller_identity_output(opts=invoke)
    partition = aws.get_partition_output(opts=invoke)
    monitors = blueprint.monitoring.drift if blueprint.monitoring else []
    retention = blueprint.retention
    expirations = {
        f"{prefix}/": days
        for prefix, days in (
            ("data-capture", retention.data_capture_days),
            ("feature-store", retention.offline_store_days),
        )
        if days
    }
    # The bucket, key and roles belong to the platform as a whole, which the `blueprint:` id names.
    foundation = Foundation(
        sources.record(prefix, ("blueprint",)),
        FoundationArgs(
            blueprint=blueprint.blueprint,
            environment=resolved.environment_name,
            account_id=identity.account_id,
            partition=partition.partition,
            region=blueprint.region,
            tags=tags,
            model_data_uris=sorted(
                {m.model_data for e in blueprint.endpoints for m in e.models.values()}
                | {
                    s.model_data
                    for e in blueprint.endpoints
                    for m in e.models.values()
                    for s in m.pipeline or ()
                    if s.model_data
                }
                | {uri for monitor in monitors for uri in (monitor.baseline, monitor.ground_truth) if uri}
            ),
            image_uris=sorted(
                {c.image for by_model in containers.values() for c in by_model.values()}
                # Each pipeline container's repository too: the model pulls every one of them.
                | {s.image for by_model in containers.values() for c in by_model.values() for s in c.pipeline}
                | ({images.model_monitor_image(blueprint.region)} if monitors else set())
            ),
            publishes_monitoring_metrics=bool(monitors),
            notification_topic_names=notification_topic_names(blueprint, prefix),
            subnet_ids=network.subnet_ids if network else (),
            security_group_ids=network.security_group_ids if network else (),
            model_group_names=sorted(
                {c.model_group for by_model in containers.values() for c in by_model.values() if c.model_group}
            ),
            noncurrent_version_days=retention.noncurrent_version_days,
            prefix_expiration_days=expirations,
        ),
        opts=pulumi.ResourceOptions(providers=[provider]),
    )
    # aws-native carries the endpoints (updated in place where pulumi-aws would replace them) and
    # the model-quality job definition pulumi-aws lacks; it needs its own provider pinned to the
    # blueprint's region, like the aws one.
    native_provider = (
        aws_native.Provider(sources.record(f"{prefix}-aws-native", ("region",)), region=blueprint.region)
        if blueprint.endpoints or any(m.kind == "model-quality" for m in monitors)
        else None
    )
    return _Platform(
        resolved=resolved,
        sources=sources,
        prefix=prefix,
        tags=tags,
        account_id=identity.account_id,
        partition=partition.partition,
        foundation=foundation,
        providers=[provider, *([native_provider] if native_provider else [])],
    )


def _on_call(platform: _Platform) -> pulumi.Output[str] | None:
    """`monitoring.on_call`: the alarm topic every alarm of the platform notifies."""
    monitoring = platform.blueprint.monitoring
    if monitoring is None or monitoring.on_call is None:
        return None
    return OnCall(
        platform.sources.record(f"{platform.prefix}-on-call", ("monitoring", "on_call")),
        OnCallArgs(
            topic_name=on_call_topic_name(platform.prefix),
            email=monitoring.on_call.email,
            key_alias=platform.foundation.key_alias,
            tags=platform.tags,
        ),
        opts=platform.options,
    ).topic_arn


def _registry(platform: _Platform, group_names: Mapping[str, str]) -> None:
    """`registry`: model package groups, readable by the blueprint's other environments."""
    blueprint = platform.blueprint
    ModelRegistry(
        platform.sources.record(f"{platform.prefix}-registry", ("registry",)),
        ModelRegistryArgs(
            group_names=dict(group_names),
            account_id=platform.account_id,
            partition=platform.partition,
            region=blueprint.region,
            reader_role_names=[
                execution_role_name(platform_prefix(blueprint.blueprint, other), blueprint.region)
                for other in blueprint.environments
                if other != platform.resolved.environment_name
            ],
            tags=platform.tags,
        ),
        opts=platform.options,
    )


def _feature_store(platform: _Platform) -> None:
    """`feature_store`: feature groups with their online and offline stores."""
    blueprint = platform.blueprint
    assert blueprint.feature_store is not None
    foundation = platform.foundation
    FeatureStore(
        platform.sources.record(f"{platform.prefix}-features", ("feature_store",)),
        FeatureStoreArgs(
            groups=[
                FeatureGroupArgs(
                    key=group.name,
                    group_name=feature_group_name(platform.prefix, group.name),
                    record_id=group.record_id,
                    event_time=group.event_time,
                    features=group.features,
                    online=group.online is not None,
                    online_ttl_days=group.online.ttl_days if group.online else None,
                    offline_format=group.offline.format if group.offline else None,
                )
                for group in blueprint.feature_store.groups
            ],
            bucket_name=foundation.bucket_name,
            kms_key_arn=foundation.key_arn,
            key_alias=foundation.key_alias,
            role_name=feature_store_role_name(platform.prefix, blueprint.region),
            account_id=platform.account_id,
            partition=platform.partition,
            region=blueprint.region,
            tags=platform.tags,
        ),
        opts=platform.options,
    )


def _sagemaker_tracking(platform: _Platform, group_names: Mapping[str, str]) -> dict[str, pulumi.Output[str]]:
    """`experiment_tracking` of kind sagemaker-mlflow: a managed MLflow tracking server."""
    blueprint = platform.blueprint
    assert blueprint.experiment_tracking is not None
    tracking = ExperimentTracking(
        platform.sources.record(f"{platform.prefix}-tracking", ("experiment_tracking",)),
        ExperimentTrackingArgs(
            server_name=tracking_server_name(platform.prefix),
            size=blueprint.experiment_tracking.size,
            bucket_name=platform.foundation.bucket_name,
            key_alias=platform.foundation.key_alias,
            role_name=tracking_role_name(platform.prefix, blueprint.region),
            model_group_names=sorted(group_names.values()),
            account_id=platform.account_id,
            partition=platform.partition,
            region=blueprint.region,
            tags=platform.tags,
        ),
        opts=platform.options,
    )
    return {"tracking_server_arn": tracking.tracking_server_arn, "tracking_server_url": tracking.tracking_server_url}


def _endpoints(
    platform: _Platform,
    containers: Mapping[str, dict[str, ContainerArgs]],
    outputs: dict[str, pulumi.Output[str]],
) -> dict[str, ModelEndpoint | ComponentEndpoint]:
    """`endpoints`: each endpoint with its models, configuration, scaling and alarms."""
    components: dict[str, ModelEndpoint | ComponentEndpoint] = {}
    for index, endpoint in enumerate(platform.blueprint.endpoints):
        name = platform.sources.record(f"{platform.prefix}-{endpoint.name}", ("endpoints", index))
        component: ModelEndpoint | ComponentEndpoint
        if endpoint.components:
            hosted = _component_endpoint_args(
                endpoint, platform.resolved, platform.foundation, containers[endpoint.name]
            )
            hosted.alarm_topic_arn = platform.topic_arn
            component = ComponentEndpoint(name, hosted, opts=platform.options)
        else:
            arguments = _endpoint_args(endpoint, platform.resolved, platform.foundation, containers[endpoint.name])
            arguments.alarm_topic_arn = platform.topic_arn
            component = ModelEndpoint(name, arguments, opts=platform.options)
        components[endpoint.name] = component
        outputs[f"endpoint_{endpoint.name}"] = component.endpoint_name
        if component.fallback_model_name is not None:
            outputs[f"fallback_model_{endpoint.name}"] = component.fallback_model_name
    return components


def _drift_monitors(platform: _Platform, endpoints: Mapping[str, ModelEndpoint | ComponentEndpoint]) -> dict[str, str]:
    """`monitoring.drift`: Model Monitor schedules; returns schedule name -> endpoint name."""
    blueprint = platform.blueprint
    monitors = blueprint.monitoring.drift if blueprint.monitoring else []
    network = platform.resolved.environment.network
    foundation = platform.foundation
    schedules: dict[str, str] = {}
    for index, monitor in enumerate(monitors):
        monitor_name = monitoring_schedule_name(platform.prefix, monitor.name)
        DriftMonitor(
            platform.sources.record(f"{platform.prefix}-{monitor.name}", ("monitoring", "drift", index)),
            DriftMonitorArgs(
                monitor_name=monitor_name,
                kind=monitor.kind,
                endpoint_name=endpoint_resource_name(platform.prefix, monitor.endpoint),
                baseline_uri=monitor.baseline,
                schedule_expression=SCHEDULE_ALIASES.get(monitor.schedule, monitor.schedule),
                image_uri=images.model_monitor_image(blueprint.region),
                instance_type=monitor.instance_type,
                output_uri=pulumi.Output.concat("s3://", foundation.bucket_name, f"/monitoring/{monitor.name}"),
                role_arn=foundation.execution_role_arn,
                kms_key_arn=foundation.key_arn,
                key_alias=foundation.key_alias,
                tags=platform.tags,
                ground_truth_uri=monitor.ground_truth,
                problem_type=monitor.problem_type,
                inference_attribute=monitor.inference_attribute,
                probability_attribute=monitor.probability_attribute,
                probability_threshold=monitor.probability_threshold,
                vpc=MonitorVpc(network.subnet_ids, network.security_group_ids) if network else None,
                alarm_topic_arn=platform.topic_arn,
            ),
            # The schedule names the endpoint, which must exist before the first run.
            opts=pulumi.ResourceOptions(
                providers=platform.providers,
                depends_on=[foundation, endpoints[monitor.endpoint]],
            ),
        )
        schedules[monitor_name] = monitor.endpoint
    return schedules


def _dashboard(platform: _Platform, schedules: Mapping[str, str]) -> None:
    """One CloudWatch dashboard for the endpoints and their drift monitors."""
    by_endpoint = endpoint_monitors(schedules)
    create_dashboard(
        platform.sources.record(f"{platform.prefix}-dashboard", ("endpoints",)),
        dashboard_name=dashboard_name(platform.prefix),
        region=platform.blueprint.region,
        endpoints=[
            DashboardEndpoint(
                endpoint_name=endpoint_resource_name(platform.prefix, e.name),
                variants=(
                    [v.name for v in e.variants]
                    or ([FLEET_VARIANT] if e.components else [])
                    or serverless_models(e)[:1]
                ),
                gpu=any(
                    instances.lookup(instance_type).has_gpu
                    for instance_type in [v.instance_type for v in e.variants]
                    + ([e.fleet.instance_type] if e.fleet else [])
                ),
                monitors=by_endpoint.get(e.name, []),
                components={
                    c.name: inference_component_name(endpoint_resource_name(platform.prefix, e.name), c.name)
                    for c in e.components
                },
                asynchronous=e.asynchronous is not None,
            )
            for e in platform.blueprint.endpoints
        ],
        opts=platform.options,
    )


def _feedback(platform: _Platform) -> dict[str, pulumi.Output[str]]:
    """`feedback`: the API that joins outcomes to captured requests."""
    blueprint = platform.blueprint
    assert blueprint.feedback is not None
    foundation = platform.foundation
    feedback = FeedbackApi(
        platform.sources.record(f"{platform.prefix}-feedback", ("feedback",)),
        FeedbackApiArgs(
            name_prefix=platform.prefix,
            endpoints=list(blueprint.feedback.endpoints),
            bucket_name=foundation.bucket_name,
            kms_key_arn=foundation.key_arn,
            key_alias=foundation.key_alias,
            account_id=platform.account_id,
            partition=platform.partition,
            region=blueprint.region,
            tags=platform.tags,
            log_retention_days=log_retention_days(platform.resolved),
        ),
        opts=platform.options,
    )
    return {"feedback_api_url": feedback.api_endpoint, "feedback_delivery_stream": feedback.delivery_stream_name}


def run(resolved: ResolvedBlueprint) -> None:
    """The Pulumi program body, shared by `pulumi up` and the offline plan."""
    for output_name, value in build_platform(resolved).items():
        pulumi.export(output_name, value)


def run_from_stack_config() -> None:
    """The program of a Pulumi project that deploys one blueprint: this repository's, or a team's.

    Stack config: `mlstack:blueprint` (the blueprint's path, relative to the project, where
    Pulumi.yaml is) and `mlstack:environment` (one of its environments). The project root comes
    from the Pulumi engine, not from where mlstack is installed, so the same call serves a source
    checkout and a team repository that installed mlstack as a package.
    """
    from pathlib import Path

    from mlstack.blueprints.errors import BlueprintInvalid
    from mlstack.blueprints.load import load_for_environment

    config = pulumi.Config("mlstack")
    blueprint_path = Path(pulumi.get_root_directory() or ".") / config.require("blueprint")
    environment = config.require("environment")
    try:
        resolved = load_for_environment(blueprint_path, environment)
    except BlueprintInvalid as invalid:
        # Pulumi shows the message: every problem with its line, not a traceback.
        raise pulumi.RunError(f"blueprint {blueprint_path} is invalid:\n{invalid}") from None
    run(resolved)
