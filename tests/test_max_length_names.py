"""A blueprint of maximum-length ids, planned for every environment: every physical name in the plan's
inputs is within AWS's limit and pattern, and is exactly a name `validate` checked beforehand."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from mlstack.blueprints.load import load
from mlstack.blueprints.rules.names import physical_names
from mlstack.components import naming
from mlstack.components.naming import NameRule
from mlstack.stack.plan import plan_file
from mlstack.stack.plan.engine import Plan
from tests.conftest import REPO

MAX_LENGTH = REPO / "tests" / "data" / "max-length.yaml"
ENVIRONMENTS = list(load(MAX_LENGTH).environments)

# Where each resource type carries a physical name the program sets: input paths (`[]` walks a list).
NAMED: dict[str, list[tuple[str, NameRule]]] = {
    "aws:sagemaker/model:Model": [("name", naming.SAGEMAKER_MODEL)],
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration": [
        ("name", naming.SAGEMAKER_ENDPOINT_CONFIG),
        ("productionVariants[].variantName", naming.SAGEMAKER_VARIANT),
        ("shadowProductionVariants[].variantName", naming.SAGEMAKER_VARIANT),
    ],
    "aws-native:sagemaker:Endpoint": [("endpointName", naming.SAGEMAKER_ENDPOINT)],
    "aws-native:sagemaker:InferenceComponent": [
        ("inferenceComponentName", naming.SAGEMAKER_INFERENCE_COMPONENT),
        ("variantName", naming.SAGEMAKER_VARIANT),
    ],
    "aws:sagemaker/modelPackageGroup:ModelPackageGroup": [
        ("modelPackageGroupName", naming.SAGEMAKER_MODEL_PACKAGE_GROUP)
    ],
    "aws:sagemaker/featureGroup:FeatureGroup": [
        ("featureGroupName", naming.SAGEMAKER_FEATURE_GROUP),
        ("offlineStoreConfig.dataCatalogConfig.tableName", naming.GLUE_TABLE),
    ],
    "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer": [
        ("trackingServerName", naming.SAGEMAKER_TRACKING_SERVER)
    ],
    "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition": [
        ("name", naming.SAGEMAKER_MONITORING_JOB_DEFINITION)
    ],
    "aws-native:sagemaker:ModelQualityJobDefinition": [
        ("jobDefinitionName", naming.SAGEMAKER_MONITORING_JOB_DEFINITION)
    ],
    "aws:sagemaker/monitoringSchedule:MonitoringSchedule": [("name", naming.SAGEMAKER_MONITORING_SCHEDULE)],
    "aws:iam/role:Role": [("name", naming.IAM_ROLE)],
    "aws:iam/rolePolicy:RolePolicy": [("name", naming.IAM_ROLE_POLICY)],
    "aws:s3/bucket:Bucket": [("bucket", naming.S3_BUCKET)],
    "aws:kms/alias:Alias": [("name", naming.KMS_ALIAS)],
    "aws:sns/topic:Topic": [("name", naming.SNS_TOPIC)],
    "aws:cloudwatch/metricAlarm:MetricAlarm": [("name", naming.CLOUDWATCH_ALARM)],
    "aws:cloudwatch/dashboard:Dashboard": [("dashboardName", naming.CLOUDWATCH_DASHBOARD)],
    "aws:cloudwatch/logGroup:LogGroup": [("name", naming.LOG_GROUP)],
    "aws:cloudwatch/logStream:LogStream": [("name", naming.LOG_STREAM)],
    "aws:cloudwatch/eventRule:EventRule": [("name", naming.EVENTBRIDGE_RULE)],
    "aws:lambda/function:Function": [("name", naming.LAMBDA_FUNCTION)],
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": [("name", naming.FIREHOSE_STREAM)],
    "aws:apigatewayv2/api:Api": [("name", naming.HTTP_API)],
    "aws:appautoscaling/policy:Policy": [("name", naming.SCALING_POLICY)],
}
# Types that set no physical name of their own, and why.
UNNAMED = {
    "aws:kms/key:Key": "keys have ids, not names; the alias names it",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "names the bucket it configures",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "names the bucket it configures",
    "aws:s3/bucketPolicy:BucketPolicy": "names the bucket it configures",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "names the bucket it configures",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "names the bucket",
    "aws:s3/bucketVersioning:BucketVersioning": "names the bucket it configures",
    "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy": "names the group it governs",
    "aws:sns/topicSubscription:TopicSubscription": "subscriptions have ARNs, not names",
    "aws:apigatewayv2/integration:Integration": "integrations have ids",
    "aws:apigatewayv2/route:Route": "a route is its key, POST /feedback",
    "aws:apigatewayv2/stage:Stage": "$default is API Gateway's own stage name",
    "aws:lambda/permission:Permission": "Pulumi auto-names the statement id",
    "aws:appautoscaling/target:Target": "a target is the variant's resource id",
    "pulumi:providers:aws": "not an AWS resource",
    "pulumi:providers:aws-native": "not an AWS resource",
}
_DIGEST = re.compile(rf"-[0-9a-f]{{{naming.DIGEST_LENGTH}}}$")


def _values(inputs: Any, path: str) -> Iterator[str]:
    head, _, rest = path.partition(".")
    key, walks_list = head.removesuffix("[]"), head.endswith("[]")
    value = inputs.get(key) if isinstance(inputs, dict) else None
    for item in (value or []) if walks_list else ([value] if value is not None else []):
        if rest:
            yield from _values(item, rest)
        else:
            assert isinstance(item, str), (path, item)
            yield item


def _unversioned(name: str) -> str:
    assert _DIGEST.search(name), name
    return _DIGEST.sub("", name)


@pytest.fixture(scope="module", params=ENVIRONMENTS)
def planned(request: pytest.FixtureRequest) -> tuple[str, Plan]:
    environment = str(request.param)
    return environment, plan_file(MAX_LENGTH, environment)[1]


def _planned_names(plan: Plan) -> Iterator[tuple[NameRule, str]]:
    for resource in plan.resources:
        if not resource.custom or resource.type in UNNAMED:
            continue
        assert resource.type in NAMED, f"{resource.type}: list its name inputs in NAMED, or say in UNNAMED why none"
        for path, rule in NAMED[resource.type]:
            for name in _values(resource.inputs, path):
                yield rule, name


def test_every_planned_name_is_within_its_limit_and_pattern(planned: tuple[str, Plan]) -> None:
    _, plan = planned
    found = list(_planned_names(plan))
    assert len(found) > 60
    assert [f"{rule.kind} {name!r}: {rule.problem(name)}" for rule, name in found if rule.problem(name)] == []


def test_the_planned_names_are_the_ones_validate_checked(planned: tuple[str, Plan]) -> None:
    environment, plan = planned
    versioned = {naming.SAGEMAKER_MODEL, naming.SAGEMAKER_ENDPOINT_CONFIG, naming.SAGEMAKER_MONITORING_JOB_DEFINITION}
    in_plan = {(rule.kind, _unversioned(name) if rule in versioned else name) for rule, name in _planned_names(plan)}
    checked = {
        (n.rule.kind, _unversioned(n.name) if n.versioned else n.name)
        for n in physical_names(load(MAX_LENGTH), environment)
    }
    assert in_plan == checked


def test_the_blueprint_reaches_the_limits_in_its_longest_environment() -> None:
    blueprint = load(MAX_LENGTH)
    longest = max(blueprint.environments, key=len)
    assert len(blueprint.blueprint) == 20 and len(longest) == 12
    by_rule: dict[NameRule, int] = {}
    for name in physical_names(blueprint, longest):
        if not name.versioned:
            by_rule[name.rule] = max(by_rule.get(name.rule, 0), len(name.name))
    for rule in (
        naming.SAGEMAKER_ENDPOINT,
        naming.SAGEMAKER_MODEL_PACKAGE_GROUP,
        naming.SAGEMAKER_FEATURE_GROUP,
        naming.EVENTBRIDGE_RULE,
    ):
        assert by_rule[rule] == rule.max_length, rule.kind
