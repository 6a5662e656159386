"""How SageMaker resources of one stack refer to each other (by name, or by dependency when the
name is unknown at preview)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from policies.framework import depends_on, dig, has_key, items, of_type, peek

# mlstack plans endpoints with aws-native (updated in place); a stack deployed by an older mlstack,
# or someone else's program, has pulumi-aws ones. Rules read both.
ENDPOINT = "aws-native:sagemaker:Endpoint"
CLASSIC_ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
ENDPOINTS = (ENDPOINT, CLASSIC_ENDPOINT)
ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
MODEL = "aws:sagemaker/model:Model"
MONITORING_SCHEDULE = "aws:sagemaker/monitoringSchedule:MonitoringSchedule"
SCALING_TARGET = "aws:appautoscaling/target:Target"
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


def config_of(endpoint: Any, resources: Iterable[Any]) -> Any | None:
    """The endpoint's configuration: the one it depends on, else the one its name points at."""
    configs = of_type(resources, ENDPOINT_CONFIG)
    depended = [c for c in configs if depends_on(endpoint, c)]
    if len(depended) == 1:
        return depended[0]
    wanted = peek(endpoint.props, "endpointConfigName")
    named = [c for c in configs if wanted is not None and peek(c.props, "name") == wanted]
    return named[0] if len(named) == 1 else None


def variants(config_props: Any, *, shadow: bool = True) -> list[Any]:
    keys = ("productionVariants", "shadowProductionVariants") if shadow else ("productionVariants",)
    return [v for key in keys if has_key(config_props, key) for v in items(config_props[key])]


def is_serverless(variant: Any) -> bool:
    return has_key(variant, "serverlessConfig")


def instance_variants(config_props: Any, *, shadow: bool = True) -> list[Any]:
    return [v for v in variants(config_props, shadow=shadow) if not is_serverless(v)]


def _endpoint_name_key(props: Any) -> str:
    return "endpointName" if has_key(props, "endpointName") else "name"


def endpoint_name_of(props: Any) -> Any:
    """The physical endpoint name (`endpointName` on aws-native, `name` on pulumi-aws), for a
    verdict: raises UnknownValueError when unknown."""
    return dig(props, _endpoint_name_key(props))


def endpoint_named(name: str, resources: Iterable[Any]) -> Any | None:
    return next((e for e in of_type(resources, *ENDPOINTS) if peek(e.props, _endpoint_name_key(e.props)) == name), None)


def kms_keys(resources: Iterable[Any]) -> list[Any]:
    return of_type(resources, KMS_KEY)


def depends_on_stack_key(resource: Any, resources: Iterable[Any]) -> bool:
    return any(depends_on(resource, key) for key in kms_keys(resources))
