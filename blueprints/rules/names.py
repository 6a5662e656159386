"""Every physical name the program would set, per environment, checked against AWS's limits.

`physical_names` lists what `stack/program.py` creates for one environment, each name built by the
same function in `components/naming.py` the program calls, with the blueprint path of the id that
makes it longest. `tests/test_max_length_names.py` plans a blueprint of maximum-length ids and checks
that the plan's names are exactly these.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from mlstack.blueprints.rules.common import Finding, Path
from mlstack.blueprints.rules.serving import serverless_models
from mlstack.blueprints.schema import Blueprint, Endpoint
from mlstack.components import naming
from mlstack.components.naming import NameRule

# Account ids are always 12 digits; the artifact bucket's name has the account's.
_ACCOUNT_ID = "0" * 12
# What the id at a name's path is, for the advice.
_PLATFORM = "blueprint id or environment name"


@dataclass(frozen=True)
class PhysicalName:
    """One name the program sets, and the blueprint id that makes it what it is."""

    rule: NameRule
    name: str
    path: Path
    """Where the most specific id in the name is written."""
    part: str
    """What that id is, e.g. "monitor name"."""
    part_value: str
    """The id itself, to say how short it must be."""
    versioned: bool = False
    """Ends in a content digest (stand-in here); fits by construction, only its pattern can fail."""


def physical_names(blueprint: Blueprint, environment: str) -> list[PhysicalName]:
    """Every physical name of `blueprint` in `environment`, as `stack/program.py` would set it."""
    prefix = naming.platform_prefix(blueprint.blueprint, environment)
    region = blueprint.region
    platform: Path = ("environments", environment)
    names: list[PhysicalName] = []

    def add(rule: NameRule, name: str, path: Path, part: str, value: str, *, versioned: bool = False) -> None:
        names.append(PhysicalName(rule, name, path, part, value, versioned))

    def role(role_name: str) -> None:
        add(naming.IAM_ROLE, role_name, platform, _PLATFORM, prefix)
        add(naming.IAM_ROLE_POLICY, naming.role_policy_name(role_name), platform, _PLATFORM, prefix)

    add(naming.S3_BUCKET, naming.artifact_bucket_name(prefix, _ACCOUNT_ID, region), platform, _PLATFORM, prefix)
    add(naming.KMS_ALIAS, naming.key_alias_name(prefix), platform, _PLATFORM, prefix)
    role(naming.execution_role_name(prefix, region))
    if blueprint.monitoring and blueprint.monitoring.on_call:
        add(naming.SNS_TOPIC, naming.on_call_topic_name(prefix), platform, _PLATFORM, prefix)
    if blueprint.endpoints:
        add(naming.CLOUDWATCH_DASHBOARD, naming.dashboard_name(prefix), platform, _PLATFORM, prefix)
    for index, group in enumerate(blueprint.registry.model_groups if blueprint.registry else []):
        path: Path = ("registry", "model_groups", index)
        add(
            naming.SAGEMAKER_MODEL_PACKAGE_GROUP,
            naming.model_package_group_name(prefix, group),
            path,
            "model group",
            group,
        )
    if blueprint.feature_store:
        role(naming.feature_store_role_name(prefix, region))
        for index, feature_group in enumerate(blueprint.feature_store.groups):
            path = ("feature_store", "groups", index, "name")
            group_name = naming.feature_group_name(prefix, feature_group.name)
            add(naming.SAGEMAKER_FEATURE_GROUP, group_name, path, "feature group name", feature_group.name)
            if feature_group.offline:
                table = naming.glue_table_name(group_name)
                add(naming.GLUE_TABLE, table, path, "feature group name", feature_group.name)
    if blueprint.experiment_tracking:
        role(naming.tracking_role_name(prefix, region))
        add(naming.SAGEMAKER_TRACKING_SERVER, naming.tracking_server_name(prefix), platform, _PLATFORM, prefix)
    for index, endpoint in enumerate(blueprint.endpoints):
        names += _endpoint_names(prefix, index, endpoint)
    for index, monitor in enumerate(blueprint.monitoring.drift if blueprint.monitoring else []):
        path = ("monitoring", "drift", index, "name")
        schedule = naming.monitoring_schedule_name(prefix, monitor.name)
        add(naming.SAGEMAKER_MONITORING_SCHEDULE, schedule, path, "monitor name", monitor.name)
        definition = naming.monitoring_job_definition_name(schedule, None)
        add(naming.SAGEMAKER_MONITORING_JOB_DEFINITION, definition, path, "monitor name", monitor.name, versioned=True)
        for outcome in naming.MONITOR_OUTCOMES:
            rule_name = naming.outcome_rule_name(schedule, outcome)
            add(naming.EVENTBRIDGE_RULE, rule_name, path, "monitor name", monitor.name)
            alarm = naming.outcome_alarm_name(schedule, outcome)
            add(naming.CLOUDWATCH_ALARM, alarm, path, "monitor name", monitor.name)
    if blueprint.feedback:
        for rule, name in naming.feedback_resource_names(prefix, region).values():
            add(rule, name, platform, _PLATFORM, prefix)
    if blueprint.kubernetes:
        names += _kubernetes_names(blueprint, environment, prefix)
    return names


def _kubernetes_names(blueprint: Blueprint, environment: str, prefix: str) -> list[PhysicalName]:
    kubernetes = blueprint.kubernetes
    assert kubernetes is not None
    namespace = naming.kubernetes_namespace(kubernetes.namespace, environment)
    names = [
        PhysicalName(
            naming.KUBERNETES_NAMESPACE, namespace, ("kubernetes", "namespace"), "namespace", kubernetes.namespace
        )
    ]
    workloads: list[tuple[str, Path, str]] = []
    for index, service in enumerate(kubernetes.services):
        workloads.append((service.name, ("kubernetes", "services", index, "name"), "service name"))
    for index, job in enumerate(kubernetes.drift):
        workloads.append((job.name, ("kubernetes", "drift", index, "name"), "drift job name"))
    if blueprint.experiment_tracking and blueprint.experiment_tracking.kind == "mlflow-on-kubernetes":
        workloads.append(("mlflow", ("experiment_tracking", "kind"), _PLATFORM))
        names.append(
            PhysicalName(
                naming.RDS_INSTANCE,
                naming.rds_instance_name(prefix, "mlflow"),
                ("environments", environment),
                _PLATFORM,
                prefix,
            )
        )
    for index, job in enumerate(kubernetes.drift):
        alarm = naming.drift_report_alarm_name(prefix, job.name)
        job_path: Path = ("kubernetes", "drift", index, "name")
        names.append(PhysicalName(naming.CLOUDWATCH_ALARM, alarm, job_path, "drift job name", job.name))
    for workload, path, part in workloads:
        role = naming.kubernetes_role_name(prefix, blueprint.region, workload)
        names.append(PhysicalName(naming.IAM_ROLE, role, path, part, workload))
        names.append(PhysicalName(naming.IAM_ROLE_POLICY, naming.role_policy_name(role), path, part, workload))
    return names


def _endpoint_names(prefix: str, index: int, endpoint: Endpoint) -> list[PhysicalName]:
    here: Path = ("endpoints", index)
    at_name: Path = (*here, "name")
    endpoint_name = naming.endpoint_resource_name(prefix, endpoint.name)
    names = [
        PhysicalName(naming.SAGEMAKER_ENDPOINT, endpoint_name, at_name, "endpoint name", endpoint.name),
        PhysicalName(
            naming.SAGEMAKER_ENDPOINT_CONFIG,
            naming.endpoint_config_name(endpoint_name, None),
            at_name,
            "endpoint name",
            endpoint.name,
            versioned=True,
        ),
    ]
    for key in endpoint.models:
        names.append(
            PhysicalName(
                naming.SAGEMAKER_MODEL,
                naming.model_name(endpoint_name, key, None),
                (*here, "models", key),
                "model key",
                key,
                versioned=True,
            )
        )
    # Variants by name and where each is written; a serverless endpoint's variant is its model's key.
    variants: list[tuple[str, Path, str]] = [
        (v.name, (*here, "variants", i, "name"), "variant name") for i, v in enumerate(endpoint.variants)
    ]
    if endpoint.serverless:
        variants += [(key, (*here, "models", key), "model key") for key in serverless_models(endpoint)[:1]]
    hosts = [
        *variants,
        *([(endpoint.shadow.name, (*here, "shadow", "name"), "variant name")] if endpoint.shadow else []),
        *([(naming.COMPONENT_FLEET_VARIANT, (*here, "fleet"), "fleet")] if endpoint.components else []),
    ]
    for variant, path, part in hosts:
        names.append(PhysicalName(naming.SAGEMAKER_VARIANT, variant, path, part, variant))
    if endpoint.alarms and endpoint.alarms.p99_latency_ms is not None:
        for variant, path, part in variants:
            alarm = naming.latency_alarm_name(endpoint_name, variant)
            names.append(PhysicalName(naming.CLOUDWATCH_ALARM, alarm, path, part, variant))
    if endpoint.alarms and endpoint.alarms.error_rate is not None:
        alarm = naming.error_rate_alarm_name(endpoint_name)
        names.append(PhysicalName(naming.CLOUDWATCH_ALARM, alarm, at_name, "endpoint name", endpoint.name))
    if endpoint.autoscaling and endpoint.variants:
        for variant, path, part in variants:
            policy = naming.scaling_policy_name(endpoint_name, variant)
            names.append(PhysicalName(naming.SCALING_POLICY, policy, path, part, variant))
            if endpoint.autoscaling.min == 0:
                scaled = f"{endpoint_name}-{variant}"
                names.append(PhysicalName(naming.SCALING_POLICY, naming.wake_policy_name(scaled), path, part, variant))
                names.append(PhysicalName(naming.CLOUDWATCH_ALARM, naming.wake_alarm_name(scaled), path, part, variant))
    names += _component_names(endpoint_name, here, endpoint)
    if endpoint.asynchronous:
        settings = endpoint.asynchronous
        outcomes = (["success"] if settings.notifications.success else []) + (
            ["errors"] if settings.notifications.errors == "topic" else []
        )
        for outcome in outcomes:
            topic = naming.async_topic_name(endpoint_name, outcome)
            names.append(PhysicalName(naming.SNS_TOPIC, topic, at_name, "endpoint name", endpoint.name))
        alarm = naming.oldest_request_alarm_name(endpoint_name)
        names.append(PhysicalName(naming.CLOUDWATCH_ALARM, alarm, at_name, "endpoint name", endpoint.name))
    return names


def _component_names(endpoint_name: str, here: Path, endpoint: Endpoint) -> list[PhysicalName]:
    names: list[PhysicalName] = []
    for index, component in enumerate(endpoint.components):
        path: Path = (*here, "components", index, "name")
        part, value = "component name", component.name
        component_name = naming.inference_component_name(endpoint_name, component.name)
        names.append(PhysicalName(naming.SAGEMAKER_INFERENCE_COMPONENT, component_name, path, part, value))
        if component.copies.min < component.copies.max:
            policy = naming.scaling_policy_name(endpoint_name, component.name)
            names.append(PhysicalName(naming.SCALING_POLICY, policy, path, part, value))
        if component.copies.min == 0:
            names.append(
                PhysicalName(naming.SCALING_POLICY, naming.wake_policy_name(component_name), path, part, value)
            )
            names.append(
                PhysicalName(naming.CLOUDWATCH_ALARM, naming.wake_alarm_name(component_name), path, part, value)
            )
        if endpoint.alarms and endpoint.alarms.p99_latency_ms is not None:
            alarm = naming.latency_alarm_name(endpoint_name, component.name)
            names.append(PhysicalName(naming.CLOUDWATCH_ALARM, alarm, path, part, value))
    return names


def check(blueprint: Blueprint, environment: str | None = None, base: Blueprint | None = None) -> Iterator[Finding]:
    """Names AWS would reject: one finding per id and kind of name, with the environments it fails in.

    Without `environment`, every environment is checked with the blueprint as written. With it,
    `blueprint` is resolved for that environment, and only names its overrides changed from `base`
    are checked; the others were checked with the blueprint as written.
    """
    if not blueprint.blueprint or not blueprint.region:
        return  # the schema already reported them; names built from them would only repeat it
    worst: dict[tuple[Path, str], tuple[PhysicalName, str, list[str]]] = {}
    for env in [environment] if environment else list(blueprint.environments):
        as_written = {(p.rule.kind, p.name) for p in physical_names(base, env)} if base and environment else set()
        for physical in physical_names(blueprint, env):
            problem = physical.rule.problem(physical.name)
            if problem is None or (physical.rule.kind, physical.name) in as_written:
                continue
            key = (physical.path, physical.rule.kind)
            if key not in worst:
                worst[key] = (physical, problem, [env])
                continue
            kept, _, environments = worst[key]
            if env not in environments:
                environments.append(env)
            if len(physical.name) > len(kept.name):
                worst[key] = (physical, problem, environments)
    for (path, _), (physical, problem, environments) in worst.items():
        yield (path, _message(physical, problem, environments if environment is None else []))


def _message(physical: PhysicalName, problem: str, environments: list[str]) -> str:
    message = f"{physical.rule.kind} name {physical.name!r} {problem}"
    if environments:
        message += f", in environment{'s' if len(environments) > 1 else ''} {', '.join(environments)}"
    excess = len(physical.name) - physical.rule.max_length
    if excess > 0:
        room = len(physical.part_value) - excess
        message += (
            f": shorten the {physical.part} to at most {room} characters"
            if room > 0 and physical.part != _PLATFORM
            else f": shorten the {physical.part}"
        )
    return message
