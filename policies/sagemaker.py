"""How SageMaker resources of one stack refer to each other (by name, or by dependency when the
name is unknown at preview)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from mlstack.policies.framework import (
    MalformedInput,
    StackIndex,
    has_key,
    index_of,
    list_input,
    object_input,
    peek,
    string_input,
)

# mlstack plans endpoints with aws-native (updated in place); a stack deployed by an older mlstack,
# or someone else's program, has pulumi-aws ones. Rules read both.
ENDPOINT = "aws-native:sagemaker:Endpoint"
CLASSIC_ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
ENDPOINTS = (ENDPOINT, CLASSIC_ENDPOINT)
ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
MODEL = "aws:sagemaker/model:Model"
MONITORING_SCHEDULE = "aws:sagemaker/monitoringSchedule:MonitoringSchedule"
SCALING_TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
# pulumi-aws has no InferenceComponent; mlstack plans them with aws-native.
INFERENCE_COMPONENT = "aws-native:sagemaker:InferenceComponent"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
FEATURE_GROUP = "aws:sagemaker/featureGroup:FeatureGroup"
MLFLOW = "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer"
KMS_KEY = "aws:kms/key:Key"
MONITORING_JOB_DEFINITIONS = (
    "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition",
    "aws-native:sagemaker:DataQualityJobDefinition",
    "aws-native:sagemaker:ModelQualityJobDefinition",
    "aws-native:sagemaker:ModelBiasJobDefinition",
    "aws-native:sagemaker:ModelExplainabilityJobDefinition",
)


def config_of(endpoint: Any, resources: Sequence[Any]) -> Any | None:
    """The endpoint's configuration: the one it depends on, else the one its name points at."""
    index = index_of(resources)
    depended = index.depended_on(endpoint, ENDPOINT_CONFIG)
    if len(depended) == 1:
        return depended[0]
    wanted = peek(endpoint.props, "endpointConfigName")
    named = index.named("name", ENDPOINT_CONFIG).get(wanted, []) if isinstance(wanted, str) else []
    return named[0] if len(named) == 1 else None


def _variants(config_props: Any, key: str) -> list[Any]:
    found = list_input(config_props, key)
    for position, variant in enumerate(found):
        if not isinstance(variant, Mapping):
            raise MalformedInput(f"{key}[{position}] is not an object")
    return found


def variants(config_props: Any, *, shadow: bool = True) -> list[Any]:
    """The configuration's variants (production, then shadow), each an object: MalformedInput otherwise."""
    production = _variants(config_props, "productionVariants")
    return production + shadow_variants(config_props) if shadow else production


def shadow_variants(config_props: Any) -> list[Any]:
    return _variants(config_props, "shadowProductionVariants")


def variant_name(variant: Any) -> str:
    name = string_input(variant, "variantName")
    if not name:
        raise MalformedInput("a variant has no variantName")
    return name


def instance_type_of(variant: Any) -> str:
    """An instance-based variant's instance type (SageMaker requires one)."""
    instance_type = string_input(variant, "instanceType")
    if not instance_type:
        raise MalformedInput(f"variant {variant_name(variant)} has no instanceType")
    return instance_type


def is_serverless(variant: Any) -> bool:
    """Whether the variant is serverless (it has a serverlessConfig). The config is not read when
    it is unknown at preview: being set is enough."""
    try:
        return object_input(variant, "serverlessConfig") is not None
    except UnknownValueError:
        return True


def instance_variants(config_props: Any, *, shadow: bool = True) -> list[Any]:
    return [v for v in variants(config_props, shadow=shadow) if not is_serverless(v)]


def managed_instance_scaling(variant: Any) -> bool:
    """Whether SageMaker scales the variant's instances itself (`managedInstanceScaling` status
    ENABLED, as on an inference-component fleet): Application Auto Scaling then scales each
    component's copies, not the variant. Raises UnknownValueError when the status is unknown."""
    return string_input(variant, "managedInstanceScaling", "status") == "ENABLED"


def _endpoint_name_key(props: Any) -> str:
    return "endpointName" if has_key(props, "endpointName") else "name"


def endpoint_name_of(props: Any) -> str | None:
    """The physical endpoint name (`endpointName` on aws-native, `name` on pulumi-aws), for a
    verdict: raises UnknownValueError when unknown, MalformedInput when not a string."""
    return string_input(props, _endpoint_name_key(props))


def _endpoints_by_name(index: StackIndex) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for endpoint in index.of_type(*ENDPOINTS):
        name = peek(endpoint.props, _endpoint_name_key(endpoint.props))
        if isinstance(name, str):
            found.setdefault(name, endpoint)
    return found


def endpoint_named(name: str, resources: Sequence[Any]) -> Any | None:
    index = index_of(resources)
    return index.memo("endpoints-by-name", lambda: _endpoints_by_name(index)).get(name)


def _components_by_endpoint(index: StackIndex) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for component in index.of_type(INFERENCE_COMPONENT):
        name = peek(component.props, "endpointName")
        if not isinstance(name, str):
            # Unknown at preview (it may come from the endpoint's outputs): the one endpoint it depends on.
            hosts = index.depended_on(component, *ENDPOINTS)
            name = peek(hosts[0].props, _endpoint_name_key(hosts[0].props)) if len(hosts) == 1 else None
        if isinstance(name, str):
            found.setdefault(name, []).append(component)
    return found


def components_on(endpoint_name: str, resources: Sequence[Any]) -> list[Any]:
    """The inference components of this stack hosted on the endpoint named `endpoint_name`, in
    stack order: by their `endpointName`, or by the endpoint they depend on when it is unknown."""
    index = index_of(resources)
    return index.memo("components-by-endpoint", lambda: _components_by_endpoint(index)).get(endpoint_name, [])


def _component_hosts(index: StackIndex) -> dict[str, str]:
    hosts: dict[str, str] = {}
    for endpoint, components in index.memo("components-by-endpoint", lambda: _components_by_endpoint(index)).items():
        for component in components:
            name = peek(component.props, "inferenceComponentName")
            if isinstance(name, str):
                hosts.setdefault(name, endpoint)
    return hosts


def component_hosts(resources: Sequence[Any]) -> dict[str, str]:
    """Endpoint names by the `inferenceComponentName` of each inference component of this stack
    (SageMaker reports a component's metrics by its name alone, without the endpoint's)."""
    index = index_of(resources)
    return index.memo("component-hosts", lambda: _component_hosts(index))


def kms_keys(resources: Sequence[Any]) -> list[Any]:
    return list(index_of(resources).of_type(KMS_KEY))


def depends_on_stack_key(resource: Any, resources: Sequence[Any]) -> bool:
    return bool(index_of(resources).depended_on(resource, KMS_KEY))
