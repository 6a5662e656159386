"""The API oracle: every planned AWS request is one botocore's service model accepts; seeded mistakes are not.

See tests/api_oracle.py. Plans are real (every example blueprint and environment); seeded mistakes
copy one real planned resource and change one input, so they exercise the same translation path.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import importlib
import inspect
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_aws_native as aws_native
import pytest
from pulumi._types import input_type_py_to_pulumi_names

from mlstack.blueprints.errors import BlueprintInvalid
from mlstack.blueprints.load import load
from mlstack.stack.plan import plan_file
from mlstack.stack.plan.engine import SECRET_TEXT, UNKNOWN_TEXT, Plan, PlannedResource, run_offline
from tests.api_oracle import (
    ALL_TRANSLATIONS,
    AUTONAME_SUFFIX,
    CLOUDFORMATION_RANDOM,
    PLACEHOLDER_NAME,
    SAGEMAKER_TYPES,
    TRANSLATIONS,
    UPDATE_TRANSLATIONS,
    ApiRequest,
    Finding,
    OracleReport,
    Translation,
    check_plan,
    check_resources,
    compile_java_pattern,
    constraint_findings,
    input_shape,
    placeholder_for,
    schedule_period_hours,
    schedule_problem,
    translate,
    translate_all,
    translation_for,
    validate,
    with_inputs,
)
from tests.conftest import BASE, EXAMPLES, WriteBlueprint

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))
CASES = [(path, env) for path in EXAMPLE_FILES for env in load(path).environments]
REGION = "eu-west-1"  # recsys.yaml's region, where the seeded resources come from

MODEL = "aws:sagemaker/model:Model"
CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
ENDPOINT = "aws-native:sagemaker:Endpoint"
INFERENCE_COMPONENT = "aws-native:sagemaker:InferenceComponent"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TARGET = "aws:appautoscaling/target:Target"
POLICY = "aws:appautoscaling/policy:Policy"
FEATURE_GROUP = "aws:sagemaker/featureGroup:FeatureGroup"
TRACKING = "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer"
MODEL_GROUP = "aws:sagemaker/modelPackageGroup:ModelPackageGroup"
MODEL_GROUP_POLICY = "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
DATA_QUALITY = "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition"
MODEL_QUALITY = "aws-native:sagemaker:ModelQualityJobDefinition"
SCHEDULE = "aws:sagemaker/monitoringSchedule:MonitoringSchedule"
SERVING_TYPES = frozenset({MODEL, CONFIG, ENDPOINT})
MONITOR_TYPES = {"data-quality": DATA_QUALITY, "model-quality": MODEL_QUALITY}
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"


def _dashboard_overlap(finding: Finding) -> bool:
    return finding.operation == "PutDashboard" and "overlaps widgets[" in finding.message


# Findings of real plans that are known bugs in mlstack, each with a strict xfail test; none are open.
KNOWN_BUGS: Mapping[str, Callable[[Finding], bool]] = {}


def _unexplained(findings: Sequence[Finding]) -> list[str]:
    return [str(f) for f in findings if not any(bug(f) for bug in KNOWN_BUGS.values())]


@functools.cache
def _planned(path: Path, env: str) -> tuple[str, Plan]:
    resolved, plan = plan_file(path, env)
    return resolved.blueprint.region, plan


@functools.cache
def _report(path: Path, env: str) -> OracleReport:
    region, plan = _planned(path, env)
    return check_plan(plan, region=region)


def _real(resource_type: str, name: str) -> PlannedResource:
    """A resource exactly as recsys.yaml plans it for prod."""
    return _planned(EXAMPLES / "recsys.yaml", "prod")[1].get(resource_type, name)


def _findings(resource: PlannedResource) -> list[Finding]:
    return validate(translate(resource, region=REGION))


def _request(resource: PlannedResource) -> ApiRequest:
    request = translate(resource, region=REGION)
    assert validate(request) == []
    return request


# --- Every example blueprint and environment ---------------------------------------------------------


@pytest.mark.parametrize(("path", "env"), CASES, ids=lambda v: v.name if isinstance(v, Path) else v)
def test_every_planned_request_is_one_aws_accepts(path: Path, env: str) -> None:
    plan = _planned(path, env)[1]
    report = _report(path, env)
    assert _unexplained(report.findings) == []
    # Not vacuous: every supported resource was translated, every example keeps a bucket with a
    # lifecycle, and each section the blueprint declares was translated too.
    supported = {r.urn for r in plan.resources if r.type in TRANSLATIONS}
    assert report.translated_urns == supported
    blueprint = load(path)
    expected = {LIFECYCLE} | (SERVING_TYPES if blueprint.endpoints else set())
    expected |= {MODEL_GROUP} if blueprint.registry else set()
    expected |= {FEATURE_GROUP} if blueprint.feature_store else set()
    tracking = blueprint.experiment_tracking
    # MLflow on Kubernetes is no SageMaker request; its objects are checked by tests/test_manifests.py.
    expected |= {TRACKING} if tracking and tracking.kind == "sagemaker-mlflow" else set()
    monitors = blueprint.monitoring.drift if blueprint.monitoring else []
    expected |= {MONITOR_TYPES[m.kind] for m in monitors} | ({SCHEDULE, EVENT_RULE} if monitors else set())
    expected |= {TOPIC, SUBSCRIPTION} if blueprint.monitoring and blueprint.monitoring.on_call else set()
    expected |= {DASHBOARD} if blueprint.endpoints else set()
    expected |= {INFERENCE_COMPONENT} if any(e.components for e in blueprint.endpoints) else set()
    assert {request.resource_type for request in report.requests} >= expected
    assert all(request.params for request in report.requests)
    # Every schedule was checked against the job definition it runs (the rules across resources ran).
    schedules = [r for r in report.requests if r.resource_type == SCHEDULE]
    assert len(schedules) == len(monitors)
    definitions = {r.params["JobDefinitionName"] for r in report.requests if r.resource_type in MONITOR_TYPES.values()}
    assert {s.params["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"] for s in schedules} == definitions


def test_every_translation_is_exercised_by_a_real_plan() -> None:
    requests = [request for path, env in CASES for request in _report(path, env).requests]
    assert {request.resource_type for request in requests} == set(TRANSLATIONS)
    # Every operation too: a resource with an update translation becomes two requests.
    assert {(r.resource_type, r.operation) for r in requests} == {
        (t.resource_type, t.operation) for t in ALL_TRANSLATIONS
    }
    assert set(UPDATE_TRANSLATIONS) == {INFERENCE_COMPONENT}
    assert {FEATURE_GROUP, TRACKING, MODEL_GROUP, MODEL_GROUP_POLICY} | SERVING_TYPES <= SAGEMAKER_TYPES
    assert {DATA_QUALITY, MODEL_QUALITY, SCHEDULE} <= SAGEMAKER_TYPES


def test_examples_cover_alarms_and_autoscaling() -> None:
    types = {r.type for path, env in CASES for r in _planned(path, env)[1].resources}
    assert types >= {ALARM, TARGET, POLICY}


def test_longest_valid_names_fit_sagemaker(write_blueprint: WriteBlueprint) -> None:
    # Found by this oracle: Pulumi's random auto-names (logical name + suffix) overran SageMaker's
    # 63 characters for long endpoint names; models and configurations now get budgeted names.
    long_name = "ranker-" + "x" * 33  # 40 characters, the schema's maximum
    path = write_blueprint(BASE.replace("ranker", long_name))
    resolved, plan = plan_file(path, "prod")
    assert [str(f) for f in check_plan(plan, region=resolved.blueprint.region).findings] == []


def _many_variants_blueprint(count: int) -> str:
    variants = "".join(
        f"      - {{name: v{i}, model: main, instance_type: ml.c6i.xlarge, instances: 1}}\n" for i in range(count)
    )
    return (
        "blueprint: recsys\nteam: personalization\nowner: ml-platform@example.com\ncost_center: CC-4312\n"
        "region: eu-west-1\nenvironments:\n  prod: {}\nendpoints:\n  - name: ranker\n    models:\n"
        "      main: {image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/ranker:13, "
        "model_data: s3://recsys-artifacts/ranker/v13/model.tar.gz}\n"
        f"    variants:\n{variants}    alarms: {{p99_latency_ms: 250, error_rate: 0.01}}\n"
    )


def test_error_rate_alarm_over_too_many_variants_is_rejected_before_planning(write_blueprint: WriteBlueprint) -> None:
    # Found by this oracle: 2 metrics per variant overran CloudWatch's 10 per metric-math alarm.
    path = write_blueprint(_many_variants_blueprint(6))
    with pytest.raises(BlueprintInvalid) as raised:
        plan_file(path, "prod")
    assert "12 metrics for 6 variants, but a CloudWatch metric-math alarm takes at most 10" in str(raised.value)


def test_five_variants_fit_the_error_rate_alarm(write_blueprint: WriteBlueprint) -> None:
    resolved, plan = plan_file(write_blueprint(_many_variants_blueprint(5)), "prod")
    assert plan.by_type(ALARM)
    assert check_plan(plan, region=resolved.blueprint.region).findings == ()


# --- Seeded mistakes: a real planned resource with one input changed -------------------------------


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """An edit that sets the wire input at dotted `path` (`name[0]` indexes a list)."""

    def edit(inputs: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        holder: Any = inputs
        for segment in parents:
            holder = _step(holder, segment)
        indexed = re.fullmatch(r"(\w+)\[(\d+)\]", last)
        key: Any = last
        if indexed:
            holder, key = holder[indexed.group(1)], int(indexed.group(2))
        if value is _DELETE:
            del holder[key]
        else:
            holder[key] = value

    return edit


def _step(holder: Any, segment: str) -> Any:
    match = re.fullmatch(r"(\w+)\[(\d+)\]", segment)
    return holder[match.group(1)][int(match.group(2))] if match else holder[segment]


def _edits(*edits: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def edit(inputs: dict[str, Any]) -> None:
        for each in edits:
            each(inputs)

    return edit


_DELETE = object()
# Resources exactly as recsys.yaml plans them for prod.
USER_FEATURES = "recsys-prod-features-user-features"  # online (TTL) and offline (Iceberg)
ITEM_FEATURES = "recsys-prod-features-item-features"  # offline only (Glue)
TRACKING_SERVER = "recsys-prod-tracking-server"
RANKER_GROUP = "recsys-prod-registry-ranker"
RANKER_GROUP_POLICY = "recsys-prod-registry-ranker-policy"
BUCKET_LIFECYCLE = "recsys-prod-artifacts-lifecycle"
DATA_JOB = "recsys-prod-ranker-data-job"  # data quality on the ranker, hourly
QUALITY_JOB = "recsys-prod-fraud-quality-job"  # model quality on the fraud scorer, daily
DATA_SCHEDULE = "recsys-prod-ranker-data-schedule"
QUALITY_SCHEDULE = "recsys-prod-fraud-quality-schedule"
ON_CALL_TOPIC = "recsys-prod-on-call-topic"
ON_CALL_EMAIL = "recsys-prod-on-call-email"
VIOLATIONS_RULE = "recsys-prod-ranker-data-violations-rule"
_INSTANCE_TYPES = input_shape(TRANSLATIONS[CONFIG]).members["ProductionVariants"].member.members["InstanceType"]

SEEDED: list[tuple[str, str, str, Callable[[dict[str, Any]], None], str, str]] = [
    # (id, type, resource, edit, where the finding must be, what it must say)
    (
        "bogus-instance-type",
        CONFIG,
        "recsys-prod-ranker-config",
        _set("productionVariants[0].instanceType", "ml.g5.xlarg"),
        "ProductionVariants[0].InstanceType",
        f"'ml.g5.xlarg' is not one of the {len(_INSTANCE_TYPES.enum)} allowed values; did you mean 'ml.g5.xlarge'",
    ),
    (
        "variant-name-characters",
        CONFIG,
        "recsys-prod-ranker-config",
        _set("productionVariants[1].variantName", "bad_name!"),
        "ProductionVariants[1].VariantName",
        "'bad_name!' does not match the pattern",
    ),
    (
        "variant-name-64-characters",
        CONFIG,
        "recsys-prod-ranker-config",
        _set("productionVariants[0].variantName", "v" * 64),
        "ProductionVariants[0].VariantName",
        "is 64 characters long; at most 63 are allowed",
    ),
    (
        "zero-instances",
        CONFIG,
        "recsys-prod-ranker-config",
        _set("productionVariants[0].initialInstanceCount", 0),
        "ProductionVariants[0].InitialInstanceCount",
        "valid min value: 1",
    ),
    (
        "negative-weight",
        CONFIG,
        "recsys-prod-ranker-config",
        _set("productionVariants[1].initialVariantWeight", -1),
        "ProductionVariants[1].InitialVariantWeight",
        "valid min value: 0",
    ),
    (
        "sampling-over-100-percent",
        CONFIG,
        "recsys-prod-ranker-config",
        _set("dataCaptureConfig.initialSamplingPercentage", 101),
        "DataCaptureConfig.InitialSamplingPercentage",
        "101 is more than the maximum 100",
    ),
    (
        "capture-mode",
        CONFIG,
        "recsys-prod-ranker-config",
        _set("dataCaptureConfig.captureOptions[1].captureMode", "Both"),
        "DataCaptureConfig.CaptureOptions[1].CaptureMode",
        "'Both' is not one of the 3 allowed values",
    ),
    (
        "missing-production-variants",
        CONFIG,
        "recsys-prod-ranker-config",
        _set("productionVariants", _DELETE),
        "ProductionVariants",
        "missing required field",
    ),
    (
        "routing-strategy",
        CONFIG,
        "recsys-prod-ranker-config",
        _set("productionVariants[0].routingConfigs", [{"routingStrategy": "FASTEST"}]),
        "ProductionVariants[0].RoutingConfig.RoutingStrategy",
        "'FASTEST' is not one of the",
    ),
    (
        "endpoint-name-64-characters",
        ENDPOINT,
        "recsys-prod-ranker-endpoint",
        _set("endpointName", "recsys-prod-" + "r" * 52),
        "EndpointName",
        "is 64 characters long; at most 63 are allowed",
    ),
    (
        "canary-size-type",
        ENDPOINT,
        "recsys-prod-ranker-endpoint",
        _set("deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration.canarySize.type", "PERCENT"),
        "DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.CanarySize.Type",
        "'PERCENT' is not one of the 2 allowed values",
    ),
    (
        "canary-wait-over-an-hour",
        ENDPOINT,
        "recsys-prod-ranker-endpoint",
        _set("deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration.waitIntervalInSeconds", 3601),
        "DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.WaitIntervalInSeconds",
        "3601 is more than the maximum 3600",
    ),
    (
        "seventeen-subnets",
        MODEL,
        "recsys-prod-ranker-model-champion",
        _set("vpcConfig.subnets", [f"subnet-0a1b2c3d4e5f600{i:02d}" for i in range(17)]),
        "VpcConfig.Subnets",
        "17 items; at most 16 are allowed",
    ),
    (
        "environment-variable-name",
        MODEL,
        "recsys-prod-ranker-model-champion",
        _set("primaryContainer.environment", {"MODEL-NAME": "ranker"}),
        "PrimaryContainer.Environment (key: MODEL-NAME)",
        "'MODEL-NAME' does not match the pattern",
    ),
    (
        "model-data-not-s3",
        MODEL,
        "recsys-prod-ranker-model-champion",
        _set("primaryContainer.modelDataUrl", "recsys-artifacts/ranker/v12/model.tar.gz"),
        "PrimaryContainer.ModelDataUrl",
        "does not match the pattern",
    ),
    (
        "unknown-input",
        MODEL,
        "recsys-prod-ranker-model-champion",
        _set("primaryContainer.modelDataURL", "s3://recsys-artifacts/ranker/v12/model.tar.gz"),
        "PrimaryContainer.ModelDataURL",
        "not a member of this structure",
    ),
    (
        "tag-key-characters",
        MODEL,
        "recsys-prod-ranker-model-champion",
        _set("tags", {"cost|center": "CC-4312"}),
        "Tags[0].Key",
        "does not match the pattern",
    ),
    (
        "alarm-comparison-operator",
        ALARM,
        "recsys-prod-ranker-champion-p99-latency",
        _set("comparisonOperator", "Bigger"),
        "ComparisonOperator",
        "'Bigger' is not one of the",
    ),
    (
        "alarm-statistic-and-extended-statistic",
        ALARM,
        "recsys-prod-ranker-champion-p99-latency",
        _set("statistic", "Average"),
        "Statistic",
        "exactly one of Statistic and ExtendedStatistic",
    ),
    (
        "scalable-dimension",
        TARGET,
        "recsys-prod-ranker-champion-scaling-target",
        _set("scalableDimension", "sagemaker:variant:DesiredInstanceCnt"),
        "ScalableDimension",
        "did you mean 'sagemaker:variant:DesiredInstanceCount'",
    ),
    (
        "predefined-metric",
        POLICY,
        "recsys-prod-ranker-champion-scaling-policy",
        _set(
            "targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType",
            "SageMakerInvocationsPerInstance",
        ),
        "TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.PredefinedMetricType",
        "did you mean 'SageMakerVariantInvocationsPerInstance'",
    ),
    # --- Feature groups -------------------------------------------------------------------------------------
    (
        "feature-type-float",
        FEATURE_GROUP,
        USER_FEATURES,
        _set("featureDefinitions[2].featureType", "Float"),
        "FeatureDefinitions[2].FeatureType",
        "'Float' is not one of the 3 allowed values",
    ),
    (
        "feature-group-name-with-a-dot",
        FEATURE_GROUP,
        USER_FEATURES,
        _set("featureGroupName", "recsys-prod.user-features"),
        "FeatureGroupName",
        "'recsys-prod.user-features' does not match the pattern",
    ),
    (
        "feature-group-name-65-characters",
        FEATURE_GROUP,
        USER_FEATURES,
        _set("featureGroupName", "recsys-prod-" + "u" * 53),
        "FeatureGroupName",
        "is 65 characters long; at most 64 are allowed",
    ),
    (
        "feature-name-with-a-space",
        FEATURE_GROUP,
        USER_FEATURES,
        _set("featureDefinitions[3].featureName", "ctr 30d"),
        "FeatureDefinitions[3].FeatureName",
        "'ctr 30d' does not match the pattern",
    ),
    (
        "reserved-feature-name",
        FEATURE_GROUP,
        USER_FEATURES,
        _set("featureDefinitions[2].featureName", "write_time"),
        "FeatureDefinitions[2].FeatureName",
        "'write_time' is reserved",
    ),
    (
        "integral-event-time",
        FEATURE_GROUP,
        USER_FEATURES,
        _set("featureDefinitions[1].featureType", "Integral"),
        "EventTimeFeatureName",
        "'event_ts' is Integral; an event time must be String or Fractional",
    ),
    (
        "record-identifier-not-a-feature",
        FEATURE_GROUP,
        USER_FEATURES,
        _set("recordIdentifierFeatureName", "userid"),
        "RecordIdentifierFeatureName",
        "'userid' is not one of the FeatureDefinitions",
    ),
    (
        "ttl-unit-months",
        FEATURE_GROUP,
        USER_FEATURES,
        _set("onlineStoreConfig.ttlDuration.unit", "Months"),
        "OnlineStoreConfig.TtlDuration.Unit",
        "'Months' is not one of the 5 allowed values",
    ),
    (
        "ttl-zero",
        FEATURE_GROUP,
        USER_FEATURES,
        _set("onlineStoreConfig.ttlDuration.value", 0),
        "OnlineStoreConfig.TtlDuration.Value",
        "valid min value: 1",
    ),
    (
        "ttl-without-value",
        FEATURE_GROUP,
        USER_FEATURES,
        _set("onlineStoreConfig.ttlDuration.value", _DELETE),
        "OnlineStoreConfig.TtlDuration.Value",
        "valid min value: 1",  # the provider sends 0
    ),
    (
        "online-kms-key-id-not-an-arn",
        FEATURE_GROUP,
        USER_FEATURES,
        _set("onlineStoreConfig.securityConfig.kmsKeyId", "1234abcd-12ab-34cd-56ef-1234567890ab"),
        "OnlineStoreConfig.SecurityConfig.KmsKeyId",
        "is not an ARN",
    ),
    (
        "table-format-parquet",
        FEATURE_GROUP,
        USER_FEATURES,
        _set("offlineStoreConfig.tableFormat", "Parquet"),
        "OfflineStoreConfig.TableFormat",
        "'Parquet' is not one of the 3 allowed values",
    ),
    (
        "iceberg-without-glue-table",
        FEATURE_GROUP,
        USER_FEATURES,
        _set("offlineStoreConfig.disableGlueTableCreation", True),
        "OfflineStoreConfig.DisableGlueTableCreation",
        "the Iceberg table format needs the Glue table created",
    ),
    (
        "offline-s3-uri-without-scheme",
        FEATURE_GROUP,
        ITEM_FEATURES,
        _set("offlineStoreConfig.s3StorageConfig.s3Uri", "recsys-prod-000000000000-eu-west-1/feature-store/items"),
        "OfflineStoreConfig.S3StorageConfig.S3Uri",
        "does not match the pattern",
    ),
    (
        "offline-store-without-s3",
        FEATURE_GROUP,
        ITEM_FEATURES,
        _set("offlineStoreConfig.s3StorageConfig", _DELETE),
        "OfflineStoreConfig.S3StorageConfig",
        "missing required field",
    ),
    (
        "no-store-at-all",
        FEATURE_GROUP,
        ITEM_FEATURES,
        _set("offlineStoreConfig", _DELETE),
        "",
        "at least one of OnlineStoreConfig and OfflineStoreConfig is required",
    ),
    # --- MLflow tracking server -----------------------------------------------------------------------------
    (
        "tracking-server-size-huge",
        TRACKING,
        TRACKING_SERVER,
        _set("trackingServerSize", "Huge"),
        "TrackingServerSize",
        "'Huge' is not one of the 3 allowed values",
    ),
    (
        "artifact-store-uri-without-scheme",
        TRACKING,
        TRACKING_SERVER,
        _set("artifactStoreUri", "recsys-prod-000000000000-eu-west-1/mlflow/"),
        "ArtifactStoreUri",
        "does not match the pattern",
    ),
    (
        "tracking-server-name-underscore",
        TRACKING,
        TRACKING_SERVER,
        _set("trackingServerName", "recsys_prod_mlflow"),
        "TrackingServerName",
        "'recsys_prod_mlflow' does not match the pattern",
    ),
    (
        "maintenance-window-hour",
        TRACKING,
        TRACKING_SERVER,
        _set("weeklyMaintenanceWindowStart", "Sun:3:00"),
        "WeeklyMaintenanceWindowStart",
        "'Sun:3:00' does not match the pattern",
    ),
    # --- Model registry -------------------------------------------------------------------------------------
    (
        "model-package-group-name-64-characters",
        MODEL_GROUP,
        RANKER_GROUP,
        _set("modelPackageGroupName", "recsys-prod-" + "r" * 52),
        "ModelPackageGroupName",
        "is 64 characters long; at most 63 are allowed",
    ),
    (
        "model-package-group-name-underscore",
        MODEL_GROUP,
        RANKER_GROUP,
        _set("modelPackageGroupName", "recsys_prod_ranker"),
        "ModelPackageGroupName",
        "does not match the pattern",
    ),
    (
        "model-package-group-description-control-character",
        MODEL_GROUP,
        RANKER_GROUP,
        _set("modelPackageGroupDescription", "Versions of ranker\n"),
        "ModelPackageGroupDescription",
        "does not match the pattern",
    ),
    (
        "policy-group-name-64-characters",
        MODEL_GROUP_POLICY,
        RANKER_GROUP_POLICY,
        _set("modelPackageGroupName", "recsys-prod-" + "r" * 52),
        "ModelPackageGroupName",
        "is 64 characters long; at most 63 are allowed",
    ),
    (
        "policy-not-json",
        MODEL_GROUP_POLICY,
        RANKER_GROUP_POLICY,
        _set("resourcePolicy", "{'Version': '2012-10-17'}"),
        "ResourcePolicy",
        "not valid JSON",
    ),
    # --- Bucket lifecycle -----------------------------------------------------------------------------------
    (
        "rule-status-lowercase",
        LIFECYCLE,
        BUCKET_LIFECYCLE,
        _set("rules[0].status", "enabled"),
        "LifecycleConfiguration.Rules[0].Status",
        "did you mean 'Enabled'",
    ),
    (
        "expiration-days-zero",
        LIFECYCLE,
        BUCKET_LIFECYCLE,
        _set("rules[0].expiration", {"days": 0}),
        "LifecycleConfiguration.Rules[0].Expiration.Days",
        "0 is less than the minimum 1",
    ),
    (
        "expiration-days-and-date",
        LIFECYCLE,
        BUCKET_LIFECYCLE,
        _set("rules[0].expiration", {"days": 30, "date": "2030-01-01T00:00:00Z"}),
        "LifecycleConfiguration.Rules[0].Expiration",
        "at most one of Date, Days and ExpiredObjectDeleteMarker",
    ),
    (
        "noncurrent-days-zero",
        LIFECYCLE,
        BUCKET_LIFECYCLE,
        _set("rules[0].noncurrentVersionExpiration.noncurrentDays", 0),
        "LifecycleConfiguration.Rules[0].NoncurrentVersionExpiration.NoncurrentDays",
        "0 is less than the minimum 1",
    ),
    (
        "transition-storage-class",
        LIFECYCLE,
        BUCKET_LIFECYCLE,
        _set("rules[0].transitions", [{"days": 30, "storageClass": "GLACIER_FLEXIBLE_RETRIEVAL"}]),
        "LifecycleConfiguration.Rules[0].Transitions[0].StorageClass",
        "'GLACIER_FLEXIBLE_RETRIEVAL' is not one of the 6 allowed values",
    ),
    (
        "abort-uploads-with-a-tag-filter",
        LIFECYCLE,
        BUCKET_LIFECYCLE,
        _set("rules[0].filter", {"tag": {"key": "retain", "value": "false"}}),
        "LifecycleConfiguration.Rules[0].AbortIncompleteMultipartUpload",
        "cannot be combined with a filter on ['Tag']",
    ),
    (
        "filter-with-two-predicates",
        LIFECYCLE,
        BUCKET_LIFECYCLE,
        _edits(
            _set("rules[0].abortIncompleteMultipartUpload", _DELETE),
            _set("rules[0].filter", {"prefix": "logs/", "objectSizeGreaterThan": 1024}),
        ),
        "LifecycleConfiguration.Rules[0].Filter",
        "a filter takes at most one of",
    ),
    (
        "filter-and-prefix",
        LIFECYCLE,
        BUCKET_LIFECYCLE,
        _set("rules[0].prefix", "logs/"),
        "LifecycleConfiguration.Rules[0]",
        "exactly one of Filter and Prefix is required",
    ),
    (
        "rule-without-action",
        LIFECYCLE,
        BUCKET_LIFECYCLE,
        _set("rules[0]", {"id": "nothing", "status": "Enabled", "filter": {"prefix": ""}}),
        "LifecycleConfiguration.Rules[0]",
        "a rule needs at least one action",
    ),
    (
        "duplicate-rule-id",
        LIFECYCLE,
        BUCKET_LIFECYCLE,
        lambda inputs: inputs["rules"].append({**inputs["rules"][0], "filter": {"prefix": "other/"}}),
        "LifecycleConfiguration.Rules[1].ID",
        "'expire-noncurrent-versions' is also rule 0's ID",
    ),
    (
        "rule-id-256-characters",
        LIFECYCLE,
        BUCKET_LIFECYCLE,
        _set("rules[0].id", "r" * 256),
        "LifecycleConfiguration.Rules[0].ID",
        "256 characters; 1 to 255 are allowed",
    ),
    # --- Data quality job definition (pulumi-aws) ------------------------------------------------------------
    (
        "data-quality-instance-type",
        DATA_QUALITY,
        DATA_JOB,
        _set("jobResources.clusterConfig.instanceType", "ml.g5.xlarg"),
        "JobResources.ClusterConfig.InstanceType",
        "did you mean 'ml.g5.xlarge'",
    ),
    (
        "data-quality-volume-zero",
        DATA_QUALITY,
        DATA_JOB,
        _set("jobResources.clusterConfig.volumeSizeInGb", 0),
        "JobResources.ClusterConfig.VolumeSizeInGB",
        "valid min value: 1",
    ),
    (
        "data-quality-volume-over-the-provider-limit",
        DATA_QUALITY,
        DATA_JOB,
        _set("jobResources.clusterConfig.volumeSizeInGb", 513),
        "JobResources.ClusterConfig.VolumeSizeInGB",
        "513 is more than pulumi-aws allows for a data quality job (512 GB)",
    ),
    (
        "data-quality-zero-instances",
        DATA_QUALITY,
        DATA_JOB,
        _set("jobResources.clusterConfig.instanceCount", 0),
        "JobResources.ClusterConfig.InstanceCount",
        "valid min value: 1",
    ),
    (
        "data-quality-runtime-over-an-hour",
        DATA_QUALITY,
        DATA_JOB,
        _set("stoppingCondition.maxRuntimeInSeconds", 3601),
        "StoppingCondition.MaxRuntimeInSeconds",
        "3601 is more than pulumi-aws allows for a data quality job (3600)",
    ),
    (
        "data-quality-name-64-characters",
        DATA_QUALITY,
        DATA_JOB,
        _set("name", "recsys-prod-" + "d" * 52),
        "JobDefinitionName",
        "is 64 characters long; at most 63 are allowed",
    ),
    (
        "data-quality-endpoint-name-underscore",
        DATA_QUALITY,
        DATA_JOB,
        _set("dataQualityJobInput.endpointInput.endpointName", "recsys_prod_ranker"),
        "DataQualityJobInput.EndpointInput.EndpointName",
        "does not match the pattern",
    ),
    (
        "data-quality-local-path-outside-processing",
        DATA_QUALITY,
        DATA_JOB,
        _set("dataQualityJobInput.endpointInput.localPath", "/tmp/endpoint"),
        "DataQualityJobInput.EndpointInput.LocalPath",
        "does not start with /opt/ml/processing/",
    ),
    (
        "data-quality-without-input",
        DATA_QUALITY,
        DATA_JOB,
        _set("dataQualityJobInput", {}),
        "DataQualityJobInput",
        "neither is set",
    ),
    (
        "data-quality-kms-alias",
        DATA_QUALITY,
        DATA_JOB,
        _set("dataQualityJobOutputConfig.kmsKeyId", "alias/mlstack/recsys-prod"),
        "DataQualityJobOutputConfig.KmsKeyId",
        "is not an ARN",
    ),
    (
        "data-quality-output-not-s3",
        DATA_QUALITY,
        DATA_JOB,
        _set("dataQualityJobOutputConfig.monitoringOutputs.s3Output.s3Uri", "recsys-prod/monitoring/ranker-data"),
        "DataQualityJobOutputConfig.MonitoringOutputs[0].S3Output.S3Uri",
        "does not match the pattern",
    ),
    (
        "data-quality-upload-mode",
        DATA_QUALITY,
        DATA_JOB,
        _set("dataQualityJobOutputConfig.monitoringOutputs.s3Output.s3UploadMode", "AtEnd"),
        "DataQualityJobOutputConfig.MonitoringOutputs[0].S3Output.S3UploadMode",
        "'AtEnd' is not one of the 2 allowed values",
    ),
    (
        "data-quality-six-security-groups",
        DATA_QUALITY,
        DATA_JOB,
        _set("networkConfig.vpcConfig.securityGroupIds", [f"sg-0a1b2c3d4e5f600{i:02d}" for i in range(6)]),
        "NetworkConfig.VpcConfig.SecurityGroupIds",
        "6 items; at most 5 are allowed",
    ),
    (
        "data-quality-environment-name",
        DATA_QUALITY,
        DATA_JOB,
        _set("dataQualityAppSpecification.environment", {"publish-cloudwatch-metrics": "Enabled"}),
        "DataQualityAppSpecification.Environment (key: publish-cloudwatch-metrics)",
        "does not match the pattern",
    ),
    # --- Model quality job definition (pulumi-aws-native) ------------------------------------------------------
    (
        "model-quality-problem-type",
        MODEL_QUALITY,
        QUALITY_JOB,
        _set("modelQualityAppSpecification.problemType", "Clustering"),
        "ModelQualityAppSpecification.ProblemType",
        "'Clustering' is not one of the 3 allowed values",
    ),
    (
        "model-quality-instance-type",
        MODEL_QUALITY,
        QUALITY_JOB,
        _set("jobResources.clusterConfig.instanceType", "ml.m5.xlarg"),
        "JobResources.ClusterConfig.InstanceType",
        "did you mean 'ml.m5.xlarge'",
    ),
    (
        "model-quality-runtime-over-a-day",
        MODEL_QUALITY,
        QUALITY_JOB,
        _set("stoppingCondition.maxRuntimeInSeconds", 86401),
        "StoppingCondition.MaxRuntimeInSeconds",
        "86401 is more than the maximum 86400",
    ),
    (
        "model-quality-volume-zero",
        MODEL_QUALITY,
        QUALITY_JOB,
        _set("jobResources.clusterConfig.volumeSizeInGb", 0),
        "JobResources.ClusterConfig.VolumeSizeInGB",
        "valid min value: 1",
    ),
    (
        "model-quality-without-ground-truth",
        MODEL_QUALITY,
        QUALITY_JOB,
        _set("modelQualityJobInput.groundTruthS3Input", _DELETE),
        "ModelQualityJobInput.GroundTruthS3Input",
        "missing required field",
    ),
    (
        "model-quality-start-offset",
        MODEL_QUALITY,
        QUALITY_JOB,
        _set("modelQualityJobInput.endpointInput.startTimeOffset", "1 hour"),
        "ModelQualityJobInput.EndpointInput.StartTimeOffset",
        "does not match the pattern",
    ),
    (
        "model-quality-two-outputs",
        MODEL_QUALITY,
        QUALITY_JOB,
        lambda inputs: inputs["modelQualityJobOutputConfig"]["monitoringOutputs"].append(
            inputs["modelQualityJobOutputConfig"]["monitoringOutputs"][0]
        ),
        "ModelQualityJobOutputConfig.MonitoringOutputs",
        "2 items; at most 1 are allowed",
    ),
    (
        "model-quality-51-tags",
        MODEL_QUALITY,
        QUALITY_JOB,
        _set("tags", [{"key": f"k{i}", "value": "v"} for i in range(51)]),
        "Tags",
        "51 items; at most 50 are allowed",
    ),
    (
        "model-quality-tag-key-characters",
        MODEL_QUALITY,
        QUALITY_JOB,
        _set("tags", [{"key": "cost|center", "value": "CC-4312"}]),
        "Tags[0].Key",
        "does not match the pattern",
    ),
    # --- Monitoring schedule (pulumi-aws) -------------------------------------------------------------------
    (
        "schedule-monitoring-type",
        SCHEDULE,
        DATA_SCHEDULE,
        _set("monitoringScheduleConfig.monitoringType", "Drift"),
        "MonitoringScheduleConfig.MonitoringType",
        "'Drift' is not one of the 4 allowed values",
    ),
    (
        "schedule-name-64-characters",
        SCHEDULE,
        DATA_SCHEDULE,
        _set("name", "recsys-prod-" + "s" * 52),
        "MonitoringScheduleName",
        "is 64 characters long; at most 63 are allowed",
    ),
    (
        "schedule-job-definition-name-underscore",
        SCHEDULE,
        DATA_SCHEDULE,
        _set("monitoringScheduleConfig.monitoringJobDefinitionName", "recsys_prod_ranker_data"),
        "MonitoringScheduleConfig.MonitoringJobDefinitionName",
        "does not match the pattern",
    ),
    (
        "schedule-every-six-hours-with-a-star",
        SCHEDULE,
        DATA_SCHEDULE,
        _set("monitoringScheduleConfig.scheduleConfig.scheduleExpression", "cron(0 */6 ? * * *)"),
        "MonitoringScheduleConfig.ScheduleConfig.ScheduleExpression",
        "is not one of SageMaker's documented schedule forms",
    ),
    (
        "schedule-rate-expression",
        SCHEDULE,
        DATA_SCHEDULE,
        _set("monitoringScheduleConfig.scheduleConfig.scheduleExpression", "rate(1 hour)"),
        "MonitoringScheduleConfig.ScheduleConfig.ScheduleExpression",
        "is not one of SageMaker's documented schedule forms",
    ),
    (
        "schedule-without-job",
        SCHEDULE,
        DATA_SCHEDULE,
        _set("monitoringScheduleConfig.monitoringJobDefinitionName", _DELETE),
        "MonitoringScheduleConfig",
        "a schedule needs MonitoringJobDefinitionName",
    ),
    # --- On-call topic, its subscription, and the EventBridge rules of the monitors ----------------------------------
    (
        "topic-name-with-a-dot",
        TOPIC,
        ON_CALL_TOPIC,
        _set("name", "recsys-prod.on-call"),
        "Name",
        "'recsys-prod.on-call' is not 1-256 letters, digits, _ or -",
    ),
    (
        "fifo-topic-without-fifo-suffix",
        TOPIC,
        ON_CALL_TOPIC,
        _set("fifoTopic", True),
        "Name",
        "is not a FIFO topic name",
    ),
    (
        "subscription-protocol",
        SUBSCRIPTION,
        ON_CALL_EMAIL,
        _set("protocol", "e-mail"),
        "Protocol",
        "did you mean 'email'",
    ),
    (
        "subscription-email-without-domain",
        SUBSCRIPTION,
        ON_CALL_EMAIL,
        _set("endpoint", "ml-oncall"),
        "Endpoint",
        "'ml-oncall' is not an e-mail address, which the email protocol needs",
    ),
    (
        "rule-pattern-not-json",
        EVENT_RULE,
        VIOLATIONS_RULE,
        _set("eventPattern", "{source: [aws.sagemaker]}"),
        "EventPattern",
        "not valid JSON",
    ),
    (
        "rule-pattern-value-not-an-array",
        EVENT_RULE,
        VIOLATIONS_RULE,
        _set("eventPattern", json.dumps({"source": "aws.sagemaker", "detail": {"ProcessingJobStatus": ["Failed"]}})),
        "EventPattern (source)",
        '"aws.sagemaker" is not a non-empty array of values to match',
    ),
    (
        "rule-pattern-not-an-object",
        EVENT_RULE,
        VIOLATIONS_RULE,
        _set("eventPattern", json.dumps(["aws.sagemaker"])),
        "EventPattern",
        "an event pattern is a JSON object",
    ),
    (
        "rule-without-pattern-or-schedule",
        EVENT_RULE,
        VIOLATIONS_RULE,
        _set("eventPattern", _DELETE),
        "",
        "a rule needs an EventPattern or a ScheduleExpression",
    ),
    (
        "rule-name-with-a-colon",
        EVENT_RULE,
        VIOLATIONS_RULE,
        _set("name", "recsys-prod:ranker-data-violations"),
        "Name",
        "does not match the pattern",
    ),
    (
        "rule-name-65-characters",
        EVENT_RULE,
        VIOLATIONS_RULE,
        _set("name", "recsys-prod-" + "v" * 53),
        "Name",
        "is 65 characters long; at most 64 are allowed",
    ),
    (
        "rule-description-513-characters",
        EVENT_RULE,
        VIOLATIONS_RULE,
        _set("description", "d" * 513),
        "Description",
        "at most 512 are allowed",
    ),
    (
        "rule-state",
        EVENT_RULE,
        VIOLATIONS_RULE,
        _set("state", "ON"),
        "State",
        "'ON' is not one of the 3 allowed values",
    ),
]


@pytest.mark.parametrize(
    ("resource_type", "name", "edit", "path", "message"), [s[1:] for s in SEEDED], ids=[s[0] for s in SEEDED]
)
def test_seeded_mistake_is_caught(
    resource_type: str, name: str, edit: Callable[[dict[str, Any]], None], path: str, message: str
) -> None:
    real = _real(resource_type, name)
    assert _findings(real) == []
    findings = _findings(with_inputs(real, edit))
    assert findings, "the seeded mistake was not caught"
    assert {f.path for f in findings} == {path}, [str(f) for f in findings]
    assert any(message in f.message for f in findings), [str(f) for f in findings]
    assert {(f.resource, f.operation) for f in findings} == {(name, TRANSLATIONS[resource_type].operation)}


def test_unknowns_never_hide_a_mistake_next_to_them() -> None:
    config = with_inputs(
        with_inputs(_real(CONFIG, "recsys-prod-ranker-config"), _set("productionVariants[0].instanceType", "ml.x")),
        _set("productionVariants[0].modelName", UNKNOWN_TEXT),
    )
    request = translate(config, region=REGION)
    assert {s.path for s in request.substitutions if s.reason == "unknown at preview"} >= {
        "ProductionVariants[0].ModelName",
        "DataCaptureConfig.KmsKeyId",
    }
    assert [f.path for f in validate(request)] == ["ProductionVariants[0].InstanceType"]


def test_auto_name_over_63_characters_is_caught() -> None:
    model = with_inputs(_real(MODEL, "recsys-prod-ranker-model-champion"), _set("name", _DELETE))
    long_logical = dataclasses.replace(model, name="m" * 56)
    (finding,) = _findings(long_logical)
    assert finding.path == "ModelName"
    assert f"'{'m' * 56}{AUTONAME_SUFFIX}' is 64 characters long" in finding.message


def test_a_list_the_provider_truncates_is_a_finding() -> None:
    two = [{"routingStrategy": "RANDOM"}, {"routingStrategy": "LEAST_OUTSTANDING_REQUESTS"}]
    config = with_inputs(_real(CONFIG, "recsys-prod-ranker-config"), _set("productionVariants[0].routingConfigs", two))
    (finding,) = _findings(config)
    assert finding.path == "ProductionVariants[0].RoutingConfig"
    assert "only the first of these 2 items" in finding.message


def test_deployment_config_needs_exactly_one_update_policy() -> None:
    endpoint = _real(ENDPOINT, "recsys-prod-ranker-endpoint")
    only_rollback = with_inputs(endpoint, _set("deploymentConfig.blueGreenUpdatePolicy", _DELETE))
    (finding,) = _findings(only_rollback)
    assert finding.path == "DeploymentConfig"
    assert "exactly one of BlueGreenUpdatePolicy and RollingUpdatePolicy" in finding.message


# --- The translation quirks ------------------------------------------------------------------------------


def test_tags_map_becomes_a_key_value_list() -> None:
    model = _real(MODEL, "recsys-prod-ranker-model-champion")
    tags = _request(model).params["Tags"]
    assert tags == [{"Key": key, "Value": value} for key, value in sorted(model.inputs["tags"].items())]
    assert {"Key": "managed-by", "Value": "mlstack"} in tags


def test_model_without_name_gets_pulumis_auto_name() -> None:
    model = with_inputs(_real(MODEL, "recsys-prod-ranker-model-champion"), _set("name", _DELETE))
    assert "name" not in model.inputs
    request = _request(model)
    assert request.params["ModelName"] == "recsys-prod-ranker-model-champion" + AUTONAME_SUFFIX
    assert re.fullmatch(r"-[0-9a-f]{7}", AUTONAME_SUFFIX)
    assert [s.reason for s in request.substitutions if s.path == "ModelName"] == ["auto-name"]


def test_vpc_config_and_primary_container() -> None:
    model = _real(MODEL, "recsys-prod-ranker-model-champion")
    params = _request(model).params
    assert params["VpcConfig"] == {
        "SecurityGroupIds": model.inputs["vpcConfig"]["securityGroupIds"],
        "Subnets": model.inputs["vpcConfig"]["subnets"],
    }
    assert params["PrimaryContainer"]["ModelDataUrl"] == model.inputs["primaryContainer"]["modelDataUrl"]
    assert params["ExecutionRoleArn"] == model.inputs["executionRoleArn"]
    assert params["EnableNetworkIsolation"] is True


def test_s3_data_sources_list_becomes_one_s3_data_source() -> None:
    prefix = "s3://recsys-artifacts/llm/assistant-8b/"
    source = {"s3Uri": prefix, "s3DataType": "S3Prefix", "compressionType": "None"}

    def uncompressed(inputs: dict[str, Any]) -> None:
        del inputs["primaryContainer"]["modelDataUrl"]
        inputs["primaryContainer"]["modelDataSource"] = {"s3DataSources": [source]}

    model = with_inputs(_real(MODEL, "recsys-prod-ranker-model-champion"), uncompressed)
    params = _request(model).params
    assert params["PrimaryContainer"]["ModelDataSource"] == {
        "S3DataSource": {"S3Uri": prefix, "S3DataType": "S3Prefix", "CompressionType": "None"}
    }
    bad = with_inputs(model, _set("primaryContainer.modelDataSource.s3DataSources[0].compressionType", "gzip"))
    assert [f.path for f in _findings(bad)] == ["PrimaryContainer.ModelDataSource.S3DataSource.CompressionType"]


def test_kms_key_arn_becomes_kms_key_id() -> None:
    arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    config = with_inputs(_real(CONFIG, "recsys-prod-ranker-config"), _set("kmsKeyArn", arn))
    params = _request(config).params
    assert params["KmsKeyId"] == arn
    assert "KmsKeyArn" not in params


def test_unknown_kms_key_becomes_a_key_arn_placeholder() -> None:
    region, plan = _planned(EXAMPLES / "fraud-minimal.yaml", "prod")
    (config,) = plan.by_type(CONFIG)
    assert config.inputs["kmsKeyArn"] == UNKNOWN_TEXT
    request = translate(config, region=region)
    assert validate(request) == []
    assert re.fullmatch(rf"arn:aws:kms:{region}:\d{{12}}:key/[0-9a-f-]{{36}}", request.params["KmsKeyId"])
    (kms,) = [s for s in request.substitutions if s.path == "KmsKeyId"]
    assert (kms.reason, kms.verified) == ("unknown at preview", True)


def test_production_variant_translation() -> None:
    config = _real(CONFIG, "recsys-prod-ranker-config")
    request = _request(config)
    champion = request.params["ProductionVariants"][0]
    assert champion == {
        "VariantName": "champion",
        "ModelName": champion["ModelName"],
        "InstanceType": "ml.g5.xlarge",
        "InitialInstanceCount": 2,
        "InitialVariantWeight": 90,
    }
    assert request.params["DataCaptureConfig"]["CaptureOptions"] == [
        {"CaptureMode": "Input"},
        {"CaptureMode": "Output"},
    ]
    assert request.params["EndpointConfigName"] == config.inputs["name"]


def test_serverless_shadow_timeouts_and_default_weight() -> None:
    def variants(inputs: dict[str, Any]) -> None:
        inputs["productionVariants"] = [
            {
                "variantName": "serverless",
                "modelName": UNKNOWN_TEXT,
                "serverlessConfig": {"memorySizeInMb": 4096, "maxConcurrency": 20, "provisionedConcurrency": 2},
            }
        ]
        inputs["shadowProductionVariants"] = [
            {
                "variantName": "shadow",
                "modelName": UNKNOWN_TEXT,
                "instanceType": "ml.c6i.xlarge",
                "initialInstanceCount": 1,
                "containerStartupHealthCheckTimeoutInSeconds": 600,
                "modelDataDownloadTimeoutInSeconds": 1200,
                "volumeSizeInGb": 64,
                "enableSsmAccess": True,
            }
        ]

    params = _request(with_inputs(_real(CONFIG, "recsys-prod-ranker-config"), variants)).params
    (serverless,) = params["ProductionVariants"]
    assert serverless["ServerlessConfig"] == {"MemorySizeInMB": 4096, "MaxConcurrency": 20, "ProvisionedConcurrency": 2}
    assert serverless["InitialVariantWeight"] == 1.0  # Terraform's Default: 1
    (shadow,) = params["ShadowProductionVariants"]
    assert shadow["ContainerStartupHealthCheckTimeoutInSeconds"] == 600
    assert shadow["ModelDataDownloadTimeoutInSeconds"] == 1200
    assert shadow["VolumeSizeInGB"] == 64
    assert shadow["EnableSSMAccess"] is True


def test_deployment_config_translation() -> None:
    endpoint = _real(ENDPOINT, "recsys-prod-ranker-endpoint")
    config = _request(endpoint).params["DeploymentConfig"]
    assert config["AutoRollbackConfiguration"]["Alarms"][0] == {"AlarmName": "recsys-prod-ranker-champion-p99-latency"}
    routing = config["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert routing == {
        "Type": "CANARY",
        "WaitIntervalInSeconds": 600,
        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
    }

    def rolling(inputs: dict[str, Any]) -> None:
        del inputs["deploymentConfig"]["blueGreenUpdatePolicy"]
        inputs["deploymentConfig"]["rollingUpdatePolicy"] = {
            "maximumBatchSize": {"type": "INSTANCE_COUNT", "value": 1},
            "rollbackMaximumBatchSize": {"type": "CAPACITY_PERCENT", "value": 100},
            "waitIntervalInSeconds": 300,
            "maximumExecutionTimeoutInSeconds": 3600,
        }

    policy = _request(with_inputs(endpoint, rolling)).params["DeploymentConfig"]["RollingUpdatePolicy"]
    assert policy["MaximumBatchSize"] == {"Type": "INSTANCE_COUNT", "Value": 1}


def test_secrets_and_unknown_structures_get_verified_stand_ins() -> None:
    def opaque(inputs: dict[str, Any]) -> None:
        inputs["primaryContainer"]["environment"] = {"HF_TOKEN": SECRET_TEXT}
        inputs["vpcConfig"] = UNKNOWN_TEXT

    request = translate(with_inputs(_real(MODEL, "recsys-prod-ranker-model-champion"), opaque), region=REGION)
    assert validate(request) == []
    reasons = {s.path: (s.reason, s.verified) for s in request.substitutions}
    assert reasons["PrimaryContainer.Environment.HF_TOKEN"] == ("secret", True)
    assert reasons["VpcConfig"] == ("unknown at preview", True)
    assert set(request.params["VpcConfig"]) == {"SecurityGroupIds", "Subnets"}


# --- Feature store, experiment tracking, model registry and bucket lifecycle -------------------------------


def test_feature_group_translation() -> None:
    user = _request(_real(FEATURE_GROUP, USER_FEATURES))
    params = user.params
    assert params["FeatureGroupName"] == "recsys-prod-user-features"
    assert (params["RecordIdentifierFeatureName"], params["EventTimeFeatureName"]) == ("user_id", "event_ts")
    assert params["FeatureDefinitions"][2] == {"FeatureName": "clicks_7d", "FeatureType": "Integral"}
    online = params["OnlineStoreConfig"]
    assert online["EnableOnlineStore"] is True
    assert online["TtlDuration"] == {"Unit": "Days", "Value": 30}
    offline = params["OfflineStoreConfig"]
    assert offline["DataCatalogConfig"] == {
        "Catalog": "AwsDataCatalog",
        "Database": "sagemaker_featurestore",
        "TableName": "recsys_prod_user_features",
    }
    assert (offline["TableFormat"], offline["DisableGlueTableCreation"]) == ("Iceberg", False)
    assert offline["S3StorageConfig"]["S3Uri"] == "s3://recsys-prod-000000000000-eu-west-1/feature-store/user-features"
    assert {"Key": "managed-by", "Value": "mlstack"} in params["Tags"]
    unknown = {s.path for s in user.substitutions if s.reason == "unknown at preview" and s.verified}
    # The role ARN is built from its name, so it is known at preview.
    assert params["RoleArn"] == "arn:aws:iam::000000000000:role/recsys-prod-euw1-feature-store"
    assert unknown == {
        "OnlineStoreConfig.SecurityConfig.KmsKeyId",
        "OfflineStoreConfig.S3StorageConfig.KmsKeyId",
    }
    item = _request(_real(FEATURE_GROUP, ITEM_FEATURES)).params
    assert "OnlineStoreConfig" not in item
    assert item["OfflineStoreConfig"]["TableFormat"] == "Glue"


def test_feature_group_provider_defaults() -> None:
    def bare(inputs: dict[str, Any]) -> None:
        del inputs["onlineStoreConfig"]["enableOnlineStore"]
        del inputs["offlineStoreConfig"]["disableGlueTableCreation"]
        del inputs["offlineStoreConfig"]["tableFormat"]

    request = _request(with_inputs(_real(FEATURE_GROUP, USER_FEATURES), bare))
    assert request.params["OnlineStoreConfig"]["EnableOnlineStore"] is False
    assert request.params["OfflineStoreConfig"]["DisableGlueTableCreation"] is False
    assert request.params["OfflineStoreConfig"]["TableFormat"] == "Glue"
    defaults = {s.path for s in request.substitutions if s.reason == "provider default"}
    assert defaults == {
        "OnlineStoreConfig.EnableOnlineStore",
        "OfflineStoreConfig.DisableGlueTableCreation",
        "OfflineStoreConfig.TableFormat",
    }


def test_tracking_server_translation_and_defaults() -> None:
    server = _real(TRACKING, TRACKING_SERVER)
    params = _request(server).params
    assert params["TrackingServerName"] == "recsys-prod-mlflow"
    assert params["ArtifactStoreUri"] == "s3://recsys-prod-000000000000-eu-west-1/mlflow/"
    assert (params["TrackingServerSize"], params["AutomaticModelRegistration"]) == ("Small", True)
    bare = with_inputs(server, _edits(_set("trackingServerSize", _DELETE), _set("automaticModelRegistration", _DELETE)))
    params = _request(bare).params
    assert (params["TrackingServerSize"], params["AutomaticModelRegistration"]) == ("Small", False)


def test_model_package_group_and_policy_translation() -> None:
    group = _request(_real(MODEL_GROUP, RANKER_GROUP)).params
    assert group["ModelPackageGroupName"] == "recsys-prod-ranker"
    assert group["ModelPackageGroupDescription"] == "Versions of ranker, registered by mlstack"
    planned = _real(MODEL_GROUP_POLICY, RANKER_GROUP_POLICY)
    policy = _request(planned).params
    assert policy["ModelPackageGroupName"] == "recsys-prod-ranker"
    document = json.loads(planned.inputs["resourcePolicy"])
    # Terraform's NormalizeJsonString re-encodes the document compactly.
    assert policy["ResourcePolicy"] == json.dumps(document, separators=(",", ":"), sort_keys=True)
    assert "arn:aws:sagemaker:eu-west-1:000000000000:model-package-group/recsys-prod-ranker" in policy["ResourcePolicy"]


def test_a_pretty_printed_policy_is_sent_on_one_line() -> None:
    planned = _real(MODEL_GROUP_POLICY, RANKER_GROUP_POLICY)
    pretty = json.dumps(json.loads(planned.inputs["resourcePolicy"]), indent=2)
    assert "\n" in pretty
    # As written, the multi-line document would fail PolicyString's `.*` (Java's `.` stops at line ends) ...
    shape = input_shape(TRANSLATIONS[MODEL_GROUP_POLICY]).members["ResourcePolicy"]
    assert constraint_findings(pretty, shape) != []
    # ... but the provider normalizes it first, so the request is the same as for the compact one.
    request = _request(with_inputs(planned, _set("resourcePolicy", pretty)))
    assert request.params == _request(planned).params


def test_lifecycle_translation() -> None:
    params = _request(_real(LIFECYCLE, BUCKET_LIFECYCLE)).params
    assert params == {
        "Bucket": "recsys-prod-000000000000-eu-west-1",
        "LifecycleConfiguration": {
            "Rules": [
                {
                    "ID": "expire-noncurrent-versions",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                }
            ]
        },
        "TransitionDefaultMinimumObjectSize": "all_storage_classes_128K",  # the provider's default
    }


def test_lifecycle_provider_quirks() -> None:
    def rules(inputs: dict[str, Any]) -> None:
        inputs["timeouts"] = {"create": "5m"}
        inputs["rules"] = [
            {"id": "no-filter", "status": "Enabled", "expiration": {}},
            {"id": "prefix", "status": "Enabled", "prefix": "logs/", "expiration": {"days": 30}},
            # A rule-level prefix of "" counts as unset: not sent, and no conflict with the filter.
            {"id": "empty-prefix", "status": "Enabled", "prefix": "", "filter": {"prefix": "a/"}, "expiration": {}},
            {
                "id": "tagged",
                "status": "Enabled",
                "filter": {"and": {"prefix": "tmp/", "tags": {"retain": "false"}}},
                "transitions": [
                    {"storageClass": "GLACIER"},
                    {"date": "2030-01-01T00:00:00Z", "storageClass": "GLACIER_IR"},
                ],
            },
        ]

    request = _request(with_inputs(_real(LIFECYCLE, BUCKET_LIFECYCLE), rules))
    no_filter, prefix, empty_prefix, tagged = request.params["LifecycleConfiguration"]["Rules"]
    # No filter and no prefix: an empty filter; an empty expiration: ExpiredObjectDeleteMarker false.
    assert no_filter["Filter"] == {}
    assert no_filter["Expiration"] == {"ExpiredObjectDeleteMarker": False}
    assert (prefix["Prefix"], "Filter" in prefix, prefix["Expiration"]) == ("logs/", False, {"Days": 30})
    assert "Prefix" not in empty_prefix
    assert empty_prefix["Filter"] == {"Prefix": "a/"}
    assert tagged["Filter"] == {"And": {"Prefix": "tmp/", "Tags": [{"Key": "retain", "Value": "false"}]}}
    assert tagged["Transitions"] == [
        {"StorageClass": "GLACIER", "Days": 0},
        {"StorageClass": "GLACIER_IR", "Date": "2030-01-01T00:00:00Z"},
    ]
    assert "Timeouts" not in request.params


# --- Model Monitor: job definitions and schedules ---------------------------------------------------------


def _data_job_name() -> str:
    name: str = _real(DATA_QUALITY, DATA_JOB).inputs["name"]
    return name


def test_data_quality_translation() -> None:
    planned = _real(DATA_QUALITY, DATA_JOB)
    params = _request(planned).params
    # Content-versioned: an immutable definition is replaced under a new name.
    assert re.fullmatch(r"recsys-prod-ranker-data-[0-9a-f]{8}", params["JobDefinitionName"])
    # pulumi-aws's monitoringOutputs is one object (a Terraform MaxItems-1 block); the API takes a list.
    assert isinstance(planned.inputs["dataQualityJobOutputConfig"]["monitoringOutputs"], dict)
    assert params["DataQualityJobOutputConfig"]["MonitoringOutputs"] == [
        {
            "S3Output": {
                "S3Uri": "s3://recsys-prod-000000000000-eu-west-1/monitoring/ranker-data",
                "LocalPath": "/opt/ml/processing/output",
                "S3UploadMode": "EndOfJob",
            }
        }
    ]
    assert params["JobResources"]["ClusterConfig"]["VolumeSizeInGB"] == 30
    assert params["DataQualityJobInput"]["EndpointInput"]["EndpointName"] == "recsys-prod-ranker"
    assert params["NetworkConfig"]["VpcConfig"]["Subnets"] == planned.inputs["networkConfig"]["vpcConfig"]["subnets"]
    assert {"Key": "managed-by", "Value": "mlstack"} in params["Tags"]


def test_data_quality_provider_defaults_and_auto_name() -> None:
    def bare(inputs: dict[str, Any]) -> None:
        del inputs["name"]
        del inputs["dataQualityJobInput"]["endpointInput"]["localPath"]
        del inputs["dataQualityJobOutputConfig"]["monitoringOutputs"]["s3Output"]["localPath"]
        inputs["networkConfig"] = {"vpcConfig": inputs["networkConfig"]["vpcConfig"]}

    request = _request(with_inputs(_real(DATA_QUALITY, DATA_JOB), bare))
    params = request.params
    assert params["JobDefinitionName"] == DATA_JOB + AUTONAME_SUFFIX
    assert params["DataQualityJobInput"]["EndpointInput"]["LocalPath"] == "/opt/ml/processing/input"
    assert params["DataQualityJobOutputConfig"]["MonitoringOutputs"][0]["S3Output"]["LocalPath"] == (
        "/opt/ml/processing/output"
    )
    # expandMonitoringNetworkConfig sends both booleans whenever network_config is set.
    network = params["NetworkConfig"]
    assert (network["EnableInterContainerTrafficEncryption"], network["EnableNetworkIsolation"]) == (False, False)
    assert {s.path for s in request.substitutions if s.reason == "provider default"} == {
        "DataQualityJobInput.EndpointInput.LocalPath",
        "DataQualityJobOutputConfig.MonitoringOutputs[0].S3Output.LocalPath",
        "NetworkConfig.EnableInterContainerTrafficEncryption",
        "NetworkConfig.EnableNetworkIsolation",
    }


def test_model_quality_translation() -> None:
    planned = _real(MODEL_QUALITY, QUALITY_JOB)
    assert planned.inputs["endpointName"] == "recsys-prod-fraud-scorer"
    params = _request(planned).params
    # endpointName is a CloudFormation-only property: the handler never sends it.
    assert "EndpointName" not in params
    assert re.fullmatch(r"recsys-prod-fraud-quality-[0-9a-f]{8}", params["JobDefinitionName"])
    assert params["ModelQualityAppSpecification"]["ProblemType"] == "BinaryClassification"
    assert params["ModelQualityJobInput"] == {
        "EndpointInput": {"EndpointName": "recsys-prod-fraud-scorer", "LocalPath": "/opt/ml/processing/input/endpoint"},
        "GroundTruthS3Input": {"S3Uri": "s3://recsys-artifacts/labels/fraud/"},
    }
    assert params["JobResources"]["ClusterConfig"]["VolumeSizeInGB"] == 30
    # aws-native tags are already a list of {key, value}.
    assert params["Tags"] == [{"Key": t["key"], "Value": t["value"]} for t in planned.inputs["tags"]]


def test_model_quality_without_a_name_gets_the_cloudformation_handlers() -> None:
    request = _request(with_inputs(_real(MODEL_QUALITY, QUALITY_JOB), _set("jobDefinitionName", _DELETE)))
    assert request.params["JobDefinitionName"] == f"CFN-{QUALITY_JOB[:20]}-{CLOUDFORMATION_RANDOM}"
    assert [s.reason for s in request.substitutions if s.path == "JobDefinitionName"] == ["auto-name"]


def test_model_quality_batch_transform_parquet_flag() -> None:
    def batch(inputs: dict[str, Any]) -> None:
        inputs["modelQualityJobInput"] = {
            "batchTransformInput": {
                "dataCapturedDestinationS3Uri": "s3://recsys-artifacts/batch-capture/",
                "datasetFormat": {"parquet": True},
                "localPath": "/opt/ml/processing/input/batch",
                "probabilityThresholdAttribute": 0.5,
            },
            "groundTruthS3Input": {"s3Uri": "s3://recsys-artifacts/labels/fraud/"},
        }

    params = _request(with_inputs(_real(MODEL_QUALITY, QUALITY_JOB), batch)).params
    assert params["ModelQualityJobInput"]["BatchTransformInput"]["DatasetFormat"] == {"Parquet": {}}


def test_schedule_translation() -> None:
    params = _request(_real(SCHEDULE, DATA_SCHEDULE)).params
    assert params["MonitoringScheduleName"] == "recsys-prod-ranker-data"
    assert params["MonitoringScheduleConfig"] == {
        "MonitoringJobDefinitionName": _data_job_name(),
        "MonitoringType": "DataQuality",
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
    }


def test_schedule_with_an_inline_job_definition() -> None:
    definition = _real(DATA_QUALITY, DATA_JOB).inputs

    def inline(inputs: dict[str, Any]) -> None:
        config = inputs["monitoringScheduleConfig"]
        del config["monitoringJobDefinitionName"]
        config["monitoringJobDefinition"] = {
            "baseline": definition["dataQualityBaselineConfig"],
            "monitoringAppSpecification": {
                "imageUri": definition["dataQualityAppSpecification"]["imageUri"],
                "containerEntrypoints": ["python3", "/opt/program/analyze.py"],
            },
            "monitoringInputs": {"endpointInput": definition["dataQualityJobInput"]["endpointInput"]},
            "monitoringOutputConfig": {
                "monitoringOutputs": definition["dataQualityJobOutputConfig"]["monitoringOutputs"]
            },
            "monitoringResources": definition["jobResources"]
            | {"clusterConfig": {"instanceCount": 1, "instanceType": "ml.m5.xlarge", "volumeSizeInGb": 30}},
            "roleArn": definition["roleArn"],
            "stoppingConditions": [{"maxRuntimeInSeconds": 1800}],
        }

    job = _request(with_inputs(_real(SCHEDULE, DATA_SCHEDULE), inline)).params["MonitoringScheduleConfig"][
        "MonitoringJobDefinition"
    ]
    assert job["BaselineConfig"]["StatisticsResource"] == {
        "S3Uri": "s3://recsys-artifacts/baselines/ranker/statistics.json"
    }
    assert job["MonitoringAppSpecification"]["ContainerEntrypoint"] == ["python3", "/opt/program/analyze.py"]
    assert job["MonitoringInputs"] == [
        {"EndpointInput": {"EndpointName": "recsys-prod-ranker", "LocalPath": "/opt/ml/processing/input/endpoint"}}
    ]
    assert len(job["MonitoringOutputConfig"]["MonitoringOutputs"]) == 1
    assert job["MonitoringResources"]["ClusterConfig"]["VolumeSizeInGB"] == 30
    assert job["StoppingCondition"] == {"MaxRuntimeInSeconds": 1800}


def test_now_needs_an_analysis_window_pulumi_aws_cannot_send() -> None:
    schedule = with_inputs(
        _real(SCHEDULE, DATA_SCHEDULE), _set("monitoringScheduleConfig.scheduleConfig.scheduleExpression", "NOW")
    )
    assert {(f.path, f.message) for f in _findings(schedule)} == {
        ("MonitoringScheduleConfig.ScheduleConfig.DataAnalysisStartTime", "required when ScheduleExpression is NOW"),
        ("MonitoringScheduleConfig.ScheduleConfig.DataAnalysisEndTime", "required when ScheduleExpression is NOW"),
    }


@pytest.mark.parametrize(
    ("expression", "period"),
    [
        ("cron(0 * ? * * *)", 1),
        ("cron(0 0 ? * * *)", 24),
        ("cron(0 12 ? * * *)", 24),
        ("cron(0 23 ? * * *)", 24),
        ("cron(0 0/2 ? * * *)", 2),
        ("cron(0 17/12 ? * * *)", 12),  # "Every 12 hours, starting at 5pm UTC"
        ("cron(0 0/1 ? * * *)", 1),
        ("cron(0 0/5 ? * * *)", 4),  # ... 20:00, then 00:00
        ("cron(0 0/24 ? * * *)", 24),
        ("NOW", None),
    ],
)
def test_documented_schedule_forms(expression: str, period: int | None) -> None:
    assert schedule_problem(expression) is None
    assert schedule_period_hours(expression) == period


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 */6 ? * * *)",
        "cron(30 * ? * * *)",
        "cron(0 24 ? * * *)",
        "cron(0 0/25 ? * * *)",
        "cron(0 0/0 ? * * *)",
        "cron(0 * * * ? *)",
        "cron(0 0 ? * MON *)",
        "rate(1 hour)",
        "hourly",
        "now",
    ],
)
def test_undocumented_schedule_forms(expression: str) -> None:
    assert schedule_problem(expression) is not None
    assert schedule_period_hours(expression) is None


def _recsys_findings(*edits: tuple[str, str, Callable[[dict[str, Any]], None]]) -> list[str]:
    """Findings of recsys prod's plan (across resources too, known bugs aside) after editing some resources."""
    by_key = {(resource_type, name): edit for resource_type, name, edit in edits}
    resources = [
        with_inputs(r, by_key[(r.type, r.name)]) if (r.type, r.name) in by_key else r
        for r in _planned(EXAMPLES / "recsys.yaml", "prod")[1].resources
    ]
    return _unexplained(check_resources(resources, region=REGION).findings)


def test_recsys_monitoring_has_no_findings_across_resources() -> None:
    assert _recsys_findings() == []


def test_schedule_naming_a_job_definition_of_another_type() -> None:
    findings = _recsys_findings(
        (SCHEDULE, DATA_SCHEDULE, _set("monitoringScheduleConfig.monitoringType", "ModelQuality"))
    )
    assert findings == [
        f"{DATA_SCHEDULE}: CreateMonitoringSchedule MonitoringScheduleConfig.MonitoringType: a ModelQuality schedule "
        f"runs a ModelQualityJobDefinition, but '{_data_job_name()}' is a DataQualityJobDefinition"
    ]


def test_schedule_naming_no_job_definition_of_the_plan() -> None:
    findings = _recsys_findings(
        (SCHEDULE, DATA_SCHEDULE, _set("monitoringScheduleConfig.monitoringJobDefinitionName", "recsys-prod-ranker"))
    )
    assert findings == [
        f"{DATA_SCHEDULE}: CreateMonitoringSchedule MonitoringScheduleConfig.MonitoringJobDefinitionName: "
        "no job definition named 'recsys-prod-ranker' in this plan"
    ]


def test_schedule_not_waiting_for_its_job_definition() -> None:
    schedule = _real(SCHEDULE, DATA_SCHEDULE)
    definition = _real(DATA_QUALITY, DATA_JOB)
    assert definition.urn in schedule.dependencies
    resources = [
        dataclasses.replace(r, dependencies=()) if r.urn == schedule.urn else r
        for r in _planned(EXAMPLES / "recsys.yaml", "prod")[1].resources
    ]
    findings = _unexplained(check_resources(resources, region=REGION).findings)
    assert findings == [
        f"{DATA_SCHEDULE}: CreateMonitoringSchedule MonitoringScheduleConfig.MonitoringJobDefinitionName: the schedule "
        f"does not wait for {DATA_JOB}, which creates '{_data_job_name()}'"
    ]


@pytest.mark.parametrize(
    ("schedule", "expression", "runtime", "limit"),
    [
        (QUALITY_SCHEDULE, "cron(0 * ? * * *)", 3600, 1800),  # model quality, hourly: 1800 s
        (QUALITY_SCHEDULE, "cron(0 0/1 ? * * *)", 1801, 1800),
        (DATA_SCHEDULE, "cron(0 * ? * * *)", 3601, 3600),  # data quality, hourly: 3600 s
        (QUALITY_SCHEDULE, "cron(0 0/2 ? * * *)", 7201, 7200),  # no run may outlast the schedule's period
    ],
)
def test_max_runtime_cannot_exceed_the_schedule(schedule: str, expression: str, runtime: int, limit: int) -> None:
    job, definition_type = (QUALITY_JOB, MODEL_QUALITY) if schedule == QUALITY_SCHEDULE else (DATA_JOB, DATA_QUALITY)
    findings = _recsys_findings(
        (SCHEDULE, schedule, _set("monitoringScheduleConfig.scheduleConfig.scheduleExpression", expression)),
        (definition_type, job, _set("stoppingCondition.maxRuntimeInSeconds", runtime)),
    )
    cross = [f for f in findings if "may take" in f]
    assert len(cross) == 1, findings
    assert cross[0].startswith(
        f"{schedule}: CreateMonitoringSchedule MonitoringScheduleConfig.ScheduleConfig.ScheduleExpression"
    )
    assert f"allows a run {runtime} s" in cross[0] and f"may take {limit} s at most" in cross[0]


def test_max_runtime_within_the_schedule_is_accepted() -> None:
    assert (
        _recsys_findings(
            (
                SCHEDULE,
                QUALITY_SCHEDULE,
                _set("monitoringScheduleConfig.scheduleConfig.scheduleExpression", "cron(0 * ? * * *)"),
            ),
            (MODEL_QUALITY, QUALITY_JOB, _set("stoppingCondition.maxRuntimeInSeconds", 1800)),
        )
        == []
    )


def test_job_definition_on_an_endpoint_without_data_capture() -> None:
    findings = _recsys_findings((CONFIG, "recsys-prod-ranker-config", _set("dataCaptureConfig", _DELETE)))
    (finding,) = findings
    assert finding.startswith(
        f"{DATA_JOB}: CreateDataQualityJobDefinition DataQualityJobInput.EndpointInput.EndpointName: "
        "endpoint 'recsys-prod-ranker' does not capture data"
    )
    disabled = _recsys_findings(
        (CONFIG, "recsys-prod-fraud-scorer-config", _set("dataCaptureConfig.enableCapture", False))
    )
    assert [f.split(" ")[:2] for f in disabled] == [[f"{QUALITY_JOB}:", "CreateModelQualityJobDefinition"]]


def test_unknown_names_never_link_resources() -> None:
    # A schedule whose job definition name is not known at preview is not matched against the plan.
    findings = _recsys_findings(
        (SCHEDULE, DATA_SCHEDULE, _set("monitoringScheduleConfig.monitoringJobDefinitionName", UNKNOWN_TEXT))
    )
    assert findings == []


# Bugs this oracle found in blueprints that pass validation: strict, so each fails loudly once fixed.


# Found by this oracle: model-quality runs on an hourly schedule are capped at 1800 s; fixed.
def test_hourly_model_quality_monitor_fits_its_schedule(write_blueprint: WriteBlueprint) -> None:
    text = (EXAMPLES / "recsys.yaml").read_text()
    hourly = text.replace(
        "problem_type: binary-classification\n      schedule: daily",
        "problem_type: binary-classification\n      schedule: hourly",
    )
    assert hourly != text
    resolved, plan = plan_file(write_blueprint(hourly), "prod")
    assert [str(f) for f in check_plan(plan, region=resolved.blueprint.region).findings] == []


def test_every_n_hours_schedule_is_a_documented_form(write_blueprint: WriteBlueprint) -> None:
    # Found by this oracle: cron(0 */N ? * * *) is not a documented form; validation now rejects it and
    # the documented cron(0 0/N ? * * *) plans without findings.
    text = (EXAMPLES / "recsys.yaml").read_text()
    with pytest.raises(BlueprintInvalid):
        plan_file(write_blueprint(text.replace("schedule: hourly", "schedule: cron(0 */6 ? * * *)")), "prod")
    resolved, plan = plan_file(
        write_blueprint(text.replace("schedule: hourly", "schedule: cron(0 0/6 ? * * *)")), "prod"
    )
    assert [str(f) for f in check_plan(plan, region=resolved.blueprint.region).findings] == []


# --- On-call topic, subscription, EventBridge rules and the dashboard -----------------------------------------


def test_topic_translation() -> None:
    planned = _real(TOPIC, ON_CALL_TOPIC)
    assert planned.inputs["kmsMasterKeyId"] == "alias/mlstack/recsys-prod"
    params = _request(planned).params
    # Only the FIFO attribute goes in CreateTopic; the provider sets the key afterwards (SetTopicAttributes).
    assert params == {"Name": "recsys-prod-on-call", "Tags": params["Tags"]}
    assert {"Key": "managed-by", "Value": "mlstack"} in params["Tags"]
    fifo = _request(with_inputs(planned, _edits(_set("fifoTopic", True), _set("name", "recsys-prod-on-call.fifo"))))
    assert fifo.params["Attributes"] == {"FifoTopic": "true"}


def test_subscription_translation() -> None:
    request = _request(_real(SUBSCRIPTION, ON_CALL_EMAIL))
    assert request.params == {
        "Endpoint": "ml-oncall@example.com",
        "Protocol": "email",
        "TopicArn": f"arn:aws:sns:{REGION}:000000000000:mlstack-known-after-apply",
        "ReturnSubscriptionArn": True,
    }
    raw = _request(
        with_inputs(
            _real(SUBSCRIPTION, ON_CALL_EMAIL),
            _edits(_set("rawMessageDelivery", True), _set("endpointAutoConfirms", True)),
        )
    )
    assert raw.params["Attributes"] == {"RawMessageDelivery": "true"}
    assert "EndpointAutoConfirms" not in raw.params


def test_event_rule_translation() -> None:
    planned = _real(EVENT_RULE, VIOLATIONS_RULE)
    assert planned.inputs["eventPattern"] == UNKNOWN_TEXT  # built from the schedule's ARN
    request = _request(planned)
    assert (request.params["Name"], request.params["EventBusName"]) == ("recsys-prod-ranker-data-violations", "default")
    pattern = {"detail": {"ExitMessage": [{"prefix": "CompletedWithViolations"}]}, "source": ["aws.sagemaker"]}
    known = _request(
        with_inputs(planned, _edits(_set("eventPattern", json.dumps(pattern, indent=2)), _set("isEnabled", False)))
    )
    # ruleEventPatternJSONDecoder re-encodes the pattern compactly; is_enabled becomes State.
    assert known.params["EventPattern"] == json.dumps(pattern, separators=(",", ":"), sort_keys=True)
    assert known.params["State"] == "DISABLED"


def _clean_dashboard() -> PlannedResource:
    (dashboard,) = _planned(EXAMPLES / "fraud-minimal.yaml", "prod")[1].by_type(DASHBOARD)
    assert _findings(dashboard) == []
    return dashboard


def _widgets(edit: Callable[[list[dict[str, Any]]], object]) -> Callable[[dict[str, Any]], None]:
    def change(inputs: dict[str, Any]) -> None:
        body = json.loads(inputs["dashboardBody"])
        edit(body["widgets"])
        inputs["dashboardBody"] = json.dumps(body)

    return change


DASHBOARD_MISTAKES: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    ("name-with-a-dot", _set("dashboardName", "fraud.prod"), "DashboardName", "is not 1-255 of A-Z"),
    ("body-not-json", _set("dashboardBody", "{widgets: []}"), "DashboardBody", "not valid JSON"),
    ("body-without-widgets", _set("dashboardBody", "{}"), "DashboardBody", "with a widgets array"),
    (
        "x-past-the-grid",
        _widgets(lambda w: w[0].update(x=24)),
        "DashboardBody (widgets[0])",
        "x 24 is not an integer in 0..23",
    ),
    (
        "width-past-the-grid",
        _widgets(lambda w: w[2].update(width=12)),
        "DashboardBody (widgets[2])",
        "x 16 + width 12 runs past the 24-column grid",
    ),
    ("height-zero", _widgets(lambda w: w[1].update(height=0)), "DashboardBody (widgets[1])", "height 0 is not"),
    (
        "overlapping-widgets",
        _widgets(lambda w: w[1].update(x=4)),
        "DashboardBody (widgets[1])",
        "overlaps widgets[0]",
    ),
    (
        "metric-without-dimension-value",
        _widgets(lambda w: w[0]["properties"]["metrics"][0].pop(3)),
        "DashboardBody (widgets[0])",
        "is not [Namespace, MetricName, (DimensionName, DimensionValue)...]",
    ),
    (
        "metric-widget-without-region",
        _widgets(lambda w: w[0]["properties"].pop("region")),
        "DashboardBody (widgets[0])",
        "a metric widget needs a region",
    ),
    ("widget-without-type", _widgets(lambda w: w[0].pop("type")), "DashboardBody (widgets[0])", "needs a type"),
]


@pytest.mark.parametrize(
    ("edit", "path", "message"), [m[1:] for m in DASHBOARD_MISTAKES], ids=[m[0] for m in DASHBOARD_MISTAKES]
)
def test_seeded_dashboard_mistake_is_caught(edit: Callable[[dict[str, Any]], None], path: str, message: str) -> None:
    findings = _findings(with_inputs(_clean_dashboard(), edit))
    assert {f.path for f in findings} == {path}, [str(f) for f in findings]
    assert any(message in f.message for f in findings), [str(f) for f in findings]


def test_dashboard_translation() -> None:
    dashboard = _clean_dashboard()
    params = _request(dashboard).params
    assert params["DashboardName"] == dashboard.inputs["dashboardName"]
    # NormalizeJsonString: the same document, compact.
    assert json.loads(params["DashboardBody"]) == json.loads(dashboard.inputs["dashboardBody"])
    assert ", " not in params["DashboardBody"]


# Found by this oracle: wrapped graphs overlapped the next endpoint's row; fixed.
def test_dashboard_widgets_do_not_overlap() -> None:
    overlaps = [str(f) for path, env in CASES for f in _report(path, env).findings if _dashboard_overlap(f)]
    assert overlaps == []


# --- Inference components, asynchronous inference and serial pipelines ----------------------------------------

COMPONENTS_EXAMPLE = "inference-components.yaml"
ASYNC_EXAMPLE = "async.yaml"
PIPELINE_EXAMPLE = "pipeline.yaml"
SERVING_EXAMPLES = (COMPONENTS_EXAMPLE, ASYNC_EXAMPLE, PIPELINE_EXAMPLE)
SERVING_CASES = [(EXAMPLES / name, env) for name in SERVING_EXAMPLES for env in load(EXAMPLES / name).environments]

# Every request each example plans, by operation. Dev lets the components and the asynchronous variant scale to
# zero, so it has the step-scaling policies and alarms that wake them; prod keeps capacity and has none.
SERVING_REQUESTS: Mapping[tuple[str, str], Mapping[str, int]] = {
    (COMPONENTS_EXAMPLE, "dev"): {
        "CreateInferenceComponent": 3,
        "UpdateInferenceComponent": 3,
        "CreateModel": 3,
        "CreateEndpointConfig": 1,
        "CreateEndpoint": 1,
        "RegisterScalableTarget": 3,
        "PutScalingPolicy": 6,  # target tracking and scale-from-zero for each component
        "PutMetricAlarm": 7,  # p99 per component, the error rate, a scale-from-zero alarm per component
        "CreateTopic": 1,
        "Subscribe": 1,
        "PutBucketLifecycleConfiguration": 1,
        "PutDashboard": 1,
    },
    (COMPONENTS_EXAMPLE, "prod"): {
        "CreateInferenceComponent": 3,
        "UpdateInferenceComponent": 3,
        "CreateModel": 3,
        "CreateEndpointConfig": 1,
        "CreateEndpoint": 1,
        "RegisterScalableTarget": 3,
        "PutScalingPolicy": 3,
        "PutMetricAlarm": 4,
        "CreateTopic": 1,
        "Subscribe": 1,
        "PutBucketLifecycleConfiguration": 1,
        "PutDashboard": 1,
    },
    (ASYNC_EXAMPLE, "dev"): {
        "CreateModel": 1,
        "CreateEndpointConfig": 1,
        "CreateEndpoint": 1,
        "RegisterScalableTarget": 1,
        "PutScalingPolicy": 2,  # backlog tracking and scale-from-zero
        "PutMetricAlarm": 4,  # p99, error rate, HasBacklogWithoutCapacity, ApproximateAgeOfOldestRequest
        "CreateTopic": 2,  # on-call and the success topic (errors go to on-call)
        "Subscribe": 1,
        "PutBucketLifecycleConfiguration": 1,
        "PutDashboard": 1,
    },
    (ASYNC_EXAMPLE, "prod"): {
        "CreateModel": 1,
        "CreateEndpointConfig": 1,
        "CreateEndpoint": 1,
        "RegisterScalableTarget": 1,
        "PutScalingPolicy": 1,
        "PutMetricAlarm": 3,
        "CreateTopic": 2,
        "Subscribe": 1,
        "PutBucketLifecycleConfiguration": 1,
        "PutDashboard": 1,
    },
    **{
        (PIPELINE_EXAMPLE, env): {
            "CreateModel": 1,
            "CreateEndpointConfig": 1,
            "CreateEndpoint": 1,
            "RegisterScalableTarget": 1,
            "PutScalingPolicy": 1,
            "PutMetricAlarm": 2,
            "CreateTopic": 1,
            "Subscribe": 1,
            "PutBucketLifecycleConfiguration": 1,
            "PutDashboard": 1,
        }
        for env in ("dev", "prod")
    },
}


@pytest.mark.parametrize(("path", "env"), SERVING_CASES, ids=lambda v: v.name if isinstance(v, Path) else v)
def test_serving_examples_requests_are_validated(path: Path, env: str) -> None:
    report = _report(path, env)
    assert [str(f) for f in report.findings] == []
    assert dict(Counter(r.operation for r in report.requests)) == SERVING_REQUESTS[(path.name, env)]
    # Each request was checked against its own operation's shape: the validation really ran on these kinds.
    for request in report.requests:
        translation = translation_for(request.resource_type, request.operation)
        assert set(request.params) <= set(input_shape(translation).members), request.resource


def test_serving_cases_are_every_environment_of_the_three_examples() -> None:
    assert {(p.name, env) for p, env in SERVING_CASES} == set(SERVING_REQUESTS)
    assert {(p.name, env) for p, env in SERVING_CASES} <= {(p.name, env) for p, env in CASES}


def _serving(example: str, env: str = "dev") -> tuple[str, Plan]:
    return _planned(EXAMPLES / example, env)


def _serving_requests(example: str, resource_type: str, name: str, env: str = "dev") -> list[ApiRequest]:
    region, plan = _serving(example, env)
    requests = list(translate_all(plan.get(resource_type, name), region=region))
    assert [str(f) for r in requests for f in validate(r)] == []
    return requests


COMPONENT = "assistants-dev-small-models-intent"
COMPONENT_CONFIG = "assistants-dev-small-models-config"
COMPONENT_TARGET = "assistants-dev-small-models-intent-scaling-target"
COMPONENT_WAKE = "assistants-dev-small-models-intent-scale-from-zero"  # a step policy and an alarm by this name
ASYNC_CONFIG = "docs-dev-extractor-config"
ASYNC_TOPIC = "docs-dev-extractor-async-success"
ASYNC_WAKE = "docs-dev-extractor-main-scale-from-zero"
OLDEST_REQUEST = "docs-dev-extractor-oldest-request"
PIPELINE_MODEL = "payments-dev-screening-model-scorer"
COMPONENT_ROLLBACK_ALARMS = [
    {"AlarmName": f"assistants-dev-small-models-{name}"}
    for name in ("intent-p99-latency", "sentiment-p99-latency", "toxicity-p99-latency", "error-rate")
]


def test_inference_component_create_and_update_requests() -> None:
    create, update = _serving_requests(COMPONENTS_EXAMPLE, INFERENCE_COMPONENT, COMPONENT)
    specification = {
        "ModelName": create.params["Specification"]["ModelName"],
        "ComputeResourceRequirements": {
            "NumberOfCpuCoresRequired": 4,
            "NumberOfAcceleratorDevicesRequired": 1,
            "MinMemoryRequiredInMb": 16384,
        },
    }
    assert re.fullmatch(r"assistants-dev-small-models-intent-[0-9a-f]{8}", specification["ModelName"])
    assert (create.operation, update.operation) == ("CreateInferenceComponent", "UpdateInferenceComponent")
    tags = create.params["Tags"]
    assert create.params == {
        "InferenceComponentName": COMPONENT,
        "EndpointName": "assistants-dev-small-models",
        "VariantName": "fleet",
        "Specification": specification,
        "RuntimeConfig": {"CopyCount": 1},  # copies.min 0: it starts with one and may scale in to none
        "Tags": tags,
    }
    assert {"Key": "managed-by", "Value": "mlstack"} in tags
    # DeploymentConfig is no CreateInferenceComponent member: only the update carries it, with what a change re-sends.
    assert "DeploymentConfig" not in input_shape(translation_for(INFERENCE_COMPONENT, create.operation)).members
    assert update.params == {
        "InferenceComponentName": COMPONENT,
        "Specification": specification,
        "RuntimeConfig": {"CopyCount": 1},
        "DeploymentConfig": {
            "RollingUpdatePolicy": {
                "MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 50},
                "WaitIntervalInSeconds": 300,
                "MaximumExecutionTimeoutInSeconds": 2700,
                "RollbackMaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 100},
            },
            "AutoRollbackConfiguration": {"Alarms": COMPONENT_ROLLBACK_ALARMS},
        },
    }


def test_inference_component_read_only_inputs_are_never_sent() -> None:
    def outputs(inputs: dict[str, Any]) -> None:
        inputs["endpointArn"] = "arn:aws:sagemaker:us-east-1:000000000000:endpoint/assistants-dev-small-models"
        inputs["runtimeConfig"].update(currentCopyCount=1, desiredCopyCount=1)
        inputs["specification"]["currentDataCacheConfig"] = {"enableCaching": True}

    region, plan = _serving(COMPONENTS_EXAMPLE)
    planned = plan.get(INFERENCE_COMPONENT, COMPONENT)
    edited = translate_all(with_inputs(planned, outputs), region=region)
    assert [r.params for r in edited] == [r.params for r in translate_all(planned, region=region)]


def test_component_endpoint_configuration() -> None:
    (config,) = _serving_requests(COMPONENTS_EXAMPLE, CONFIG, COMPONENT_CONFIG)
    (variant,) = config.params["ProductionVariants"]
    # The fleet variant names no model and gets no weight (Terraform sends InitialVariantWeight only with a model);
    # the configuration carries the execution role the components' models run with.
    assert variant == {
        "VariantName": "fleet",
        "InstanceType": "ml.g5.12xlarge",
        "InitialInstanceCount": 1,
        "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 0, "MaxInstanceCount": 3},
        "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"},
    }
    assert config.params["ExecutionRoleArn"] == "arn:aws:iam::000000000000:role/assistants-dev-use1-sagemaker-execution"
    (prod,) = _serving_requests(COMPONENTS_EXAMPLE, CONFIG, "assistants-prod-small-models-config", "prod")
    assert prod.params["ProductionVariants"][0]["ManagedInstanceScaling"]["MinInstanceCount"] == 2


def test_async_endpoint_configuration() -> None:
    (config,) = _serving_requests(ASYNC_EXAMPLE, CONFIG, ASYNC_CONFIG)
    topic = f"arn:aws:sns:eu-west-1:000000000000:{PLACEHOLDER_NAME}"
    assert config.params["AsyncInferenceConfig"] == {
        "OutputConfig": {
            "S3OutputPath": "s3://docs-dev-000000000000-eu-west-1/async/extractor/output/",
            "S3FailurePath": "s3://docs-dev-000000000000-eu-west-1/async/extractor/failure/",
            "KmsKeyId": "arn:aws:kms:eu-west-1:000000000000:key/00000000-0000-4000-8000-000000000000",
            "NotificationConfig": {"SuccessTopic": topic, "ErrorTopic": topic},
        },
        "ClientConfig": {"MaxConcurrentInvocationsPerInstance": 4},
    }
    # The key and the topics' ARNs are not known at preview: verified stand-ins.
    unknown = {s.path: s.verified for s in config.substitutions if s.reason == "unknown at preview"}
    assert unknown == {
        "AsyncInferenceConfig.OutputConfig.KmsKeyId": True,
        "AsyncInferenceConfig.OutputConfig.NotificationConfig.SuccessTopic": True,
        "AsyncInferenceConfig.OutputConfig.NotificationConfig.ErrorTopic": True,
    }
    # The API requires no member of the output configuration; pulumi-aws requires S3OutputPath (Terraform's
    # output_config.s3_output_path is Required).
    output = input_shape(TRANSLATIONS[CONFIG]).members["AsyncInferenceConfig"].members["OutputConfig"]
    assert output.required_members == []


def test_serial_pipeline_model() -> None:
    (model,) = _serving_requests(PIPELINE_EXAMPLE, MODEL, PIPELINE_MODEL)
    assert "PrimaryContainer" not in model.params
    assert model.params["InferenceExecutionConfig"] == {"Mode": "Serial"}
    filter_input, scorer, rules = model.params["Containers"]
    assert filter_input == {
        "ContainerHostname": "filter-input",
        "Image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/risk/filter-input:1.4.0",
        "Environment": {"MAX_AMOUNT_EUR": "250000", "REJECT_UNKNOWN_CURRENCY": "true"},
        "Mode": "SingleModel",
    }
    assert (scorer["ContainerHostname"], scorer["ModelDataUrl"]) == (
        "model",
        "s3://risk-models/screening/v21/model.tar.gz",
    )
    assert rules["ModelDataUrl"] == "s3://risk-models/screening/rules/v9/rules.tar.gz"
    assert model.params["EnableNetworkIsolation"] is True


def test_scale_from_zero_step_policy_bound_is_a_double() -> None:
    plan = _serving(COMPONENTS_EXAMPLE)[1]
    planned = plan.get(POLICY, COMPONENT_WAKE)
    # pulumi-aws's wire value is a string; Terraform's expandStepAdjustments parses it (strconv.ParseFloat).
    assert planned.inputs["stepScalingPolicyConfiguration"]["stepAdjustments"] == [
        {"metricIntervalLowerBound": "0", "scalingAdjustment": 1}
    ]
    (policy,) = _serving_requests(COMPONENTS_EXAMPLE, POLICY, COMPONENT_WAKE)
    assert policy.params == {
        "PolicyName": COMPONENT_WAKE,
        "PolicyType": "StepScaling",
        "ServiceNamespace": "sagemaker",
        "ResourceId": f"inference-component/{COMPONENT}",
        "ScalableDimension": "sagemaker:inference-component:DesiredCopyCount",
        "StepScalingPolicyConfiguration": {
            "AdjustmentType": "ChangeInCapacity",
            "Cooldown": 60,
            "MetricAggregationType": "Maximum",
            "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}],
        },
    }
    bound = policy.params["StepScalingPolicyConfiguration"]["StepAdjustments"][0]["MetricIntervalLowerBound"]
    assert isinstance(bound, float)
    assert (
        input_shape(TRANSLATIONS[POLICY])
        .members["StepScalingPolicyConfiguration"]
        .members["StepAdjustments"]
        .member.members["MetricIntervalLowerBound"]
        .type_name
        == "double"
    )
    (asynchronous,) = _serving_requests(ASYNC_EXAMPLE, POLICY, ASYNC_WAKE)
    step = asynchronous.params["StepScalingPolicyConfiguration"]
    assert (asynchronous.params["ResourceId"], step["MetricAggregationType"], step["Cooldown"]) == (
        "endpoint/docs-dev-extractor/variant/main",
        "Average",
        300,
    )


def test_component_scalable_target() -> None:
    (target,) = _serving_requests(COMPONENTS_EXAMPLE, TARGET, COMPONENT_TARGET)
    assert target.params == {
        "ServiceNamespace": "sagemaker",
        "ResourceId": f"inference-component/{COMPONENT}",
        "ScalableDimension": "sagemaker:inference-component:DesiredCopyCount",
        "MinCapacity": 0,
        "MaxCapacity": 4,
        "Tags": target.params["Tags"],
    }
    assert isinstance(target.params["Tags"], dict)


@pytest.mark.parametrize(
    ("example", "name", "metric", "dimensions", "statistic"),
    [
        (
            COMPONENTS_EXAMPLE,
            COMPONENT_WAKE,
            "NoCapacityInvocationFailures",
            {"InferenceComponentName": COMPONENT},
            "Sum",
        ),
        (ASYNC_EXAMPLE, ASYNC_WAKE, "HasBacklogWithoutCapacity", {"EndpointName": "docs-dev-extractor"}, "Average"),
        (
            ASYNC_EXAMPLE,
            OLDEST_REQUEST,
            "ApproximateAgeOfOldestRequest",
            {"EndpointName": "docs-dev-extractor"},
            "Maximum",
        ),
    ],
)
def test_serving_alarms(example: str, name: str, metric: str, dimensions: dict[str, str], statistic: str) -> None:
    (alarm,) = _serving_requests(example, ALARM, name)
    params = alarm.params
    assert (params["Namespace"], params["MetricName"], params["Statistic"]) == ("AWS/SageMaker", metric, statistic)
    assert params["Dimensions"] == [{"Name": k, "Value": v} for k, v in dimensions.items()]
    assert params["AlarmName"] == name
    # A wake alarm's action is its step policy's ARN, unknown at preview.
    if name != OLDEST_REQUEST:
        assert [s.path for s in alarm.substitutions if s.reason == "unknown at preview"] == ["AlarmActions[0]"]


def test_async_topic() -> None:
    (topic,) = _serving_requests(ASYNC_EXAMPLE, TOPIC, ASYNC_TOPIC)
    assert topic.params == {"Name": ASYNC_TOPIC, "Tags": topic.params["Tags"]}


_ELEVEN_ALARMS = [{"alarmName": f"assistants-dev-small-models-c{i}-p99-latency"} for i in range(11)]
_RUNTIME_AND_SPECIFICATION = ("CreateInferenceComponent", "UpdateInferenceComponent")

# (id, example, type, resource, edit, operations that must report it, where, what it must say); all from dev.
SERVING_SEEDED: list[tuple[str, str, str, str, Callable[[dict[str, Any]], None], tuple[str, ...], str, str]] = [
    # --- CreateInferenceComponent (and the same Specification and RuntimeConfig in its update)
    (
        "component-copy-count-negative",
        COMPONENTS_EXAMPLE,
        INFERENCE_COMPONENT,
        COMPONENT,
        _set("runtimeConfig.copyCount", -1),
        _RUNTIME_AND_SPECIFICATION,
        "RuntimeConfig.CopyCount",
        "value: -1, valid min value: 0",
    ),
    (
        "component-cpu-cores-below-a-quarter",
        COMPONENTS_EXAMPLE,
        INFERENCE_COMPONENT,
        COMPONENT,
        _set("specification.computeResourceRequirements.numberOfCpuCoresRequired", 0.1),
        _RUNTIME_AND_SPECIFICATION,
        "Specification.ComputeResourceRequirements.NumberOfCpuCoresRequired",
        "valid min value: 0.25",
    ),
    (
        "component-zero-accelerators",
        COMPONENTS_EXAMPLE,
        INFERENCE_COMPONENT,
        COMPONENT,
        _set("specification.computeResourceRequirements.numberOfAcceleratorDevicesRequired", 0),
        _RUNTIME_AND_SPECIFICATION,
        "Specification.ComputeResourceRequirements.NumberOfAcceleratorDevicesRequired",
        "valid min value: 1",
    ),
    (
        "component-memory-below-128-mb",
        COMPONENTS_EXAMPLE,
        INFERENCE_COMPONENT,
        COMPONENT,
        _set("specification.computeResourceRequirements.minMemoryRequiredInMb", 64),
        _RUNTIME_AND_SPECIFICATION,
        "Specification.ComputeResourceRequirements.MinMemoryRequiredInMb",
        "valid min value: 128",
    ),
    (
        "component-without-memory",
        COMPONENTS_EXAMPLE,
        INFERENCE_COMPONENT,
        COMPONENT,
        _set("specification.computeResourceRequirements.minMemoryRequiredInMb", _DELETE),
        _RUNTIME_AND_SPECIFICATION,
        "Specification.ComputeResourceRequirements.MinMemoryRequiredInMb",
        "missing required field",
    ),
    (
        "component-download-timeout-under-a-minute",
        COMPONENTS_EXAMPLE,
        INFERENCE_COMPONENT,
        COMPONENT,
        _set("specification.startupParameters", {"modelDataDownloadTimeoutInSeconds": 30}),
        _RUNTIME_AND_SPECIFICATION,
        "Specification.StartupParameters.ModelDataDownloadTimeoutInSeconds",
        "valid min value: 60",
    ),
    (
        "component-name-64-characters",
        COMPONENTS_EXAMPLE,
        INFERENCE_COMPONENT,
        COMPONENT,
        _set("inferenceComponentName", "assistants-dev-" + "c" * 49),
        _RUNTIME_AND_SPECIFICATION,
        "InferenceComponentName",
        "is 64 characters long; at most 63 are allowed",
    ),
    (
        "component-variant-name-underscore",
        COMPONENTS_EXAMPLE,
        INFERENCE_COMPONENT,
        COMPONENT,
        _set("variantName", "fleet_1"),
        ("CreateInferenceComponent",),
        "VariantName",
        "'fleet_1' does not match the pattern",
    ),
    (
        "component-without-specification",
        COMPONENTS_EXAMPLE,
        INFERENCE_COMPONENT,
        COMPONENT,
        _set("specification", _DELETE),
        ("CreateInferenceComponent",),
        "",
        "exactly one of Specification and Specifications is required, got none",
    ),
    # --- UpdateInferenceComponent's DeploymentConfig (no member of CreateInferenceComponent)
    (
        "component-batch-size-type",
        COMPONENTS_EXAMPLE,
        INFERENCE_COMPONENT,
        COMPONENT,
        _set("deploymentConfig.rollingUpdatePolicy.maximumBatchSize.type", "PERCENT"),
        ("UpdateInferenceComponent",),
        "DeploymentConfig.RollingUpdatePolicy.MaximumBatchSize.Type",
        "'PERCENT' is not one of the 2 allowed values",
    ),
    (
        "component-batch-over-half-the-copies",
        COMPONENTS_EXAMPLE,
        INFERENCE_COMPONENT,
        COMPONENT,
        _set("deploymentConfig.rollingUpdatePolicy.maximumBatchSize.value", 60),
        ("UpdateInferenceComponent",),
        "DeploymentConfig.RollingUpdatePolicy.MaximumBatchSize.Value",
        "60% per batch; a rolling update of a component takes 5% to 50% of its copies per batch",
    ),
    (
        "component-batch-size-zero",
        COMPONENTS_EXAMPLE,
        INFERENCE_COMPONENT,
        COMPONENT,
        _set("deploymentConfig.rollingUpdatePolicy.rollbackMaximumBatchSize.value", 0),
        ("UpdateInferenceComponent",),
        "DeploymentConfig.RollingUpdatePolicy.RollbackMaximumBatchSize.Value",
        "valid min value: 1",
    ),
    (
        "component-bake-over-an-hour",
        COMPONENTS_EXAMPLE,
        INFERENCE_COMPONENT,
        COMPONENT,
        _set("deploymentConfig.rollingUpdatePolicy.waitIntervalInSeconds", 3601),
        ("UpdateInferenceComponent",),
        "DeploymentConfig.RollingUpdatePolicy.WaitIntervalInSeconds",
        "3601 is more than the maximum 3600",
    ),
    (
        "component-rollout-timeout-under-ten-minutes",
        COMPONENTS_EXAMPLE,
        INFERENCE_COMPONENT,
        COMPONENT,
        _set("deploymentConfig.rollingUpdatePolicy.maximumExecutionTimeoutInSeconds", 599),
        ("UpdateInferenceComponent",),
        "DeploymentConfig.RollingUpdatePolicy.MaximumExecutionTimeoutInSeconds",
        "valid min value: 600",
    ),
    (
        "component-eleven-rollback-alarms",
        COMPONENTS_EXAMPLE,
        INFERENCE_COMPONENT,
        COMPONENT,
        _set("deploymentConfig.autoRollbackConfiguration.alarms", _ELEVEN_ALARMS),
        ("UpdateInferenceComponent",),
        "DeploymentConfig.AutoRollbackConfiguration.Alarms",
        "11 items; at most 10 are allowed",
    ),
    (
        "component-rollback-without-rolling-policy",
        COMPONENTS_EXAMPLE,
        INFERENCE_COMPONENT,
        COMPONENT,
        _set("deploymentConfig.rollingUpdatePolicy", _DELETE),
        ("UpdateInferenceComponent",),
        "DeploymentConfig.RollingUpdatePolicy",
        "missing required field",
    ),
    # --- CreateEndpointConfig of the component fleet
    (
        "managed-scaling-status",
        COMPONENTS_EXAMPLE,
        CONFIG,
        COMPONENT_CONFIG,
        _set("productionVariants[0].managedInstanceScaling.status", "ON"),
        ("CreateEndpointConfig",),
        "ProductionVariants[0].ManagedInstanceScaling.Status",
        "'ON' is not one of the 2 allowed values",
    ),
    (
        "managed-scaling-min-negative",
        COMPONENTS_EXAMPLE,
        CONFIG,
        COMPONENT_CONFIG,
        _set("productionVariants[0].managedInstanceScaling.minInstanceCount", -1),
        ("CreateEndpointConfig",),
        "ProductionVariants[0].ManagedInstanceScaling.MinInstanceCount",
        "valid min value: 0",
    ),
    (
        "managed-scaling-max-zero",
        COMPONENTS_EXAMPLE,
        CONFIG,
        COMPONENT_CONFIG,
        _set("productionVariants[0].managedInstanceScaling.maxInstanceCount", 0),
        ("CreateEndpointConfig",),
        "ProductionVariants[0].ManagedInstanceScaling.MaxInstanceCount",
        "valid min value: 1",
    ),
    (
        "fleet-routing-strategy",
        COMPONENTS_EXAMPLE,
        CONFIG,
        COMPONENT_CONFIG,
        _set("productionVariants[0].routingConfigs", [{"routingStrategy": "ROUND_ROBIN"}]),
        ("CreateEndpointConfig",),
        "ProductionVariants[0].RoutingConfig.RoutingStrategy",
        "'ROUND_ROBIN' is not one of the 4 allowed values",
    ),
    (
        "fleet-execution-role-not-an-arn",
        COMPONENTS_EXAMPLE,
        CONFIG,
        COMPONENT_CONFIG,
        _set("executionRoleArn", "assistants-dev-use1-sagemaker-execution"),
        ("CreateEndpointConfig",),
        "ExecutionRoleArn",
        "'assistants-dev-use1-sagemaker-execution' does not match the pattern",
    ),
    # --- CreateEndpointConfig AsyncInferenceConfig
    (
        "async-concurrency-1001",
        ASYNC_EXAMPLE,
        CONFIG,
        ASYNC_CONFIG,
        _set("asyncInferenceConfig.clientConfig.maxConcurrentInvocationsPerInstance", 1001),
        ("CreateEndpointConfig",),
        "AsyncInferenceConfig.ClientConfig.MaxConcurrentInvocationsPerInstance",
        "1001 is more than the maximum 1000",
    ),
    (
        "async-concurrency-zero",
        ASYNC_EXAMPLE,
        CONFIG,
        ASYNC_CONFIG,
        _set("asyncInferenceConfig.clientConfig.maxConcurrentInvocationsPerInstance", 0),
        ("CreateEndpointConfig",),
        "AsyncInferenceConfig.ClientConfig.MaxConcurrentInvocationsPerInstance",
        "valid min value: 1",
    ),
    (
        # Not a botocore constraint (AsyncInferenceOutputConfig requires nothing): the Terraform schema's.
        "async-without-output-path",
        ASYNC_EXAMPLE,
        CONFIG,
        ASYNC_CONFIG,
        _set("asyncInferenceConfig.outputConfig.s3OutputPath", _DELETE),
        ("CreateEndpointConfig",),
        "AsyncInferenceConfig.OutputConfig.S3OutputPath",
        "required by pulumi-aws (output_config.s3_output_path)",
    ),
    (
        "async-without-output-config",
        ASYNC_EXAMPLE,
        CONFIG,
        ASYNC_CONFIG,
        _set("asyncInferenceConfig.outputConfig", _DELETE),
        ("CreateEndpointConfig",),
        "AsyncInferenceConfig.OutputConfig",
        "missing required field",
    ),
    (
        "async-output-path-not-s3",
        ASYNC_EXAMPLE,
        CONFIG,
        ASYNC_CONFIG,
        _set("asyncInferenceConfig.outputConfig.s3OutputPath", "docs-dev-000000000000-eu-west-1/async/extractor/"),
        ("CreateEndpointConfig",),
        "AsyncInferenceConfig.OutputConfig.S3OutputPath",
        "does not match the pattern '(https|s3)://([^/])/?(.*)'",
    ),
    (
        "async-failure-path-513-characters",
        ASYNC_EXAMPLE,
        CONFIG,
        ASYNC_CONFIG,
        _set("asyncInferenceConfig.outputConfig.s3FailurePath", "s3://docs/" + "f" * 503),
        ("CreateEndpointConfig",),
        "AsyncInferenceConfig.OutputConfig.S3FailurePath",
        "is 513 characters long; at most 512 are allowed",
    ),
    (
        "async-success-topic-not-an-arn",
        ASYNC_EXAMPLE,
        CONFIG,
        ASYNC_CONFIG,
        _set("asyncInferenceConfig.outputConfig.notificationConfig.successTopic", ASYNC_TOPIC),
        ("CreateEndpointConfig",),
        "AsyncInferenceConfig.OutputConfig.NotificationConfig.SuccessTopic",
        f"'{ASYNC_TOPIC}' does not match the pattern",
    ),
    (
        "async-kms-alias",
        ASYNC_EXAMPLE,
        CONFIG,
        ASYNC_CONFIG,
        _set("asyncInferenceConfig.outputConfig.kmsKeyId", "alias/mlstack/docs-dev"),
        ("CreateEndpointConfig",),
        "AsyncInferenceConfig.OutputConfig.KmsKeyId",
        "'alias/mlstack/docs-dev' is not an ARN; pulumi-aws takes only an ARN",
    ),
    (
        "async-include-response-in",
        ASYNC_EXAMPLE,
        CONFIG,
        ASYNC_CONFIG,
        _set("asyncInferenceConfig.outputConfig.notificationConfig.includeInferenceResponseIns", ["SUCCESS"]),
        ("CreateEndpointConfig",),
        "AsyncInferenceConfig.OutputConfig.NotificationConfig.IncludeInferenceResponseIn[0]",
        "'SUCCESS' is not one of the 2 allowed values",
    ),
    # --- CreateModel Containers and InferenceExecutionConfig
    (
        "pipeline-16-containers",
        PIPELINE_EXAMPLE,
        MODEL,
        PIPELINE_MODEL,
        lambda inputs: inputs.update(
            containers=[{**inputs["containers"][0], "containerHostname": f"step-{i}"} for i in range(16)]
        ),
        ("CreateModel",),
        "Containers",
        "16 items; at most 15 are allowed",
    ),
    (
        "pipeline-execution-mode",
        PIPELINE_EXAMPLE,
        MODEL,
        PIPELINE_MODEL,
        _set("inferenceExecutionConfig.mode", "Parallel"),
        ("CreateModel",),
        "InferenceExecutionConfig.Mode",
        "'Parallel' is not one of the 2 allowed values",
    ),
    (
        "pipeline-container-mode",
        PIPELINE_EXAMPLE,
        MODEL,
        PIPELINE_MODEL,
        _set("containers[1].mode", "Multi"),
        ("CreateModel",),
        "Containers[1].Mode",
        "'Multi' is not one of the 2 allowed values",
    ),
    (
        "pipeline-hostname-underscore",
        PIPELINE_EXAMPLE,
        MODEL,
        PIPELINE_MODEL,
        _set("containers[0].containerHostname", "filter_input"),
        ("CreateModel",),
        "Containers[0].ContainerHostname",
        "'filter_input' does not match the pattern",
    ),
    (
        "pipeline-duplicate-hostname",
        PIPELINE_EXAMPLE,
        MODEL,
        PIPELINE_MODEL,
        _set("containers[2].containerHostname", "filter-input"),
        ("CreateModel",),
        "Containers[2].ContainerHostname",
        "'filter-input' is also container 0's",
    ),
    (
        "pipeline-hostname-missing",
        PIPELINE_EXAMPLE,
        MODEL,
        PIPELINE_MODEL,
        _set("containers[1].containerHostname", _DELETE),
        ("CreateModel",),
        "Containers",
        "containers [1] have no ContainerHostname",
    ),
    (
        "pipeline-and-primary-container",
        PIPELINE_EXAMPLE,
        MODEL,
        PIPELINE_MODEL,
        lambda inputs: inputs.update(primaryContainer=inputs["containers"][1]),
        ("CreateModel",),
        "",
        "exactly one of PrimaryContainer and Containers is required, got ['PrimaryContainer', 'Containers']",
    ),
    # --- PutScalingPolicy StepScaling
    (
        "step-bound-not-a-number",
        COMPONENTS_EXAMPLE,
        POLICY,
        COMPONENT_WAKE,
        _set("stepScalingPolicyConfiguration.stepAdjustments[0].metricIntervalUpperBound", "ten"),
        ("PutScalingPolicy",),
        "StepScalingPolicyConfiguration.StepAdjustments[0].MetricIntervalUpperBound",
        "'ten' is not a number; the provider cannot parse it",
    ),
    (
        "step-both-bounds-unbounded",
        COMPONENTS_EXAMPLE,
        POLICY,
        COMPONENT_WAKE,
        _set("stepScalingPolicyConfiguration.stepAdjustments[0].metricIntervalLowerBound", ""),
        ("PutScalingPolicy",),
        "StepScalingPolicyConfiguration.StepAdjustments[0]",
        "the lower and upper bound cannot both be null",
    ),
    (
        "step-gap",
        COMPONENTS_EXAMPLE,
        POLICY,
        COMPONENT_WAKE,
        _set(
            "stepScalingPolicyConfiguration.stepAdjustments",
            [
                {"metricIntervalLowerBound": "0", "metricIntervalUpperBound": "10", "scalingAdjustment": 1},
                {"metricIntervalLowerBound": "20", "scalingAdjustment": 2},
            ],
        ),
        ("PutScalingPolicy",),
        "StepScalingPolicyConfiguration.StepAdjustments",
        "step adjustments 0 and 1 leave a gap between 10.0 and 20.0",
    ),
    (
        "step-without-adjustments",
        COMPONENTS_EXAMPLE,
        POLICY,
        COMPONENT_WAKE,
        _set("stepScalingPolicyConfiguration.stepAdjustments", []),
        ("PutScalingPolicy",),
        "StepScalingPolicyConfiguration.StepAdjustments",
        "a new step scaling policy needs at least one step adjustment",
    ),
    (
        "step-without-adjustment-type",
        COMPONENTS_EXAMPLE,
        POLICY,
        COMPONENT_WAKE,
        _set("stepScalingPolicyConfiguration.adjustmentType", _DELETE),
        ("PutScalingPolicy",),
        "StepScalingPolicyConfiguration.AdjustmentType",
        "required for a new step scaling policy",
    ),
    (
        "step-adjustment-type",
        COMPONENTS_EXAMPLE,
        POLICY,
        COMPONENT_WAKE,
        _set("stepScalingPolicyConfiguration.adjustmentType", "ChangeInCapacities"),
        ("PutScalingPolicy",),
        "StepScalingPolicyConfiguration.AdjustmentType",
        "did you mean 'ChangeInCapacity'",
    ),
    (
        "step-aggregation-type",
        COMPONENTS_EXAMPLE,
        POLICY,
        COMPONENT_WAKE,
        _set("stepScalingPolicyConfiguration.metricAggregationType", "Max"),
        ("PutScalingPolicy",),
        "StepScalingPolicyConfiguration.MetricAggregationType",
        "'Max' is not one of the 3 allowed values",
    ),
    (
        "step-policy-without-configuration",
        COMPONENTS_EXAMPLE,
        POLICY,
        COMPONENT_WAKE,
        _set("stepScalingPolicyConfiguration", _DELETE),
        ("PutScalingPolicy",),
        "PolicyType",
        "StepScaling needs StepScalingPolicyConfiguration",
    ),
    # --- RegisterScalableTarget of a component's copies
    (
        "component-target-dimension",
        COMPONENTS_EXAMPLE,
        TARGET,
        COMPONENT_TARGET,
        _set("scalableDimension", "sagemaker:inference-component:DesiredCopies"),
        ("RegisterScalableTarget",),
        "ScalableDimension",
        "did you mean 'sagemaker:inference-component:DesiredCopyCount'",
    ),
    (
        "component-target-resource-id-of-a-variant",
        COMPONENTS_EXAMPLE,
        TARGET,
        COMPONENT_TARGET,
        _set("resourceId", "endpoint/assistants-dev-small-models/variant/fleet"),
        ("RegisterScalableTarget",),
        "ResourceId",
        "is not a sagemaker:inference-component:DesiredCopyCount resource id (inference-component/NAME)",
    ),
    # --- PutMetricAlarm of the wake and queue-age alarms, CreateTopic of an async topic
    (
        "wake-alarm-statistic",
        COMPONENTS_EXAMPLE,
        ALARM,
        COMPONENT_WAKE,
        _set("statistic", "Total"),
        ("PutMetricAlarm",),
        "Statistic",
        "'Total' is not one of the 5 allowed values",
    ),
    (
        "queue-age-alarm-comparison",
        ASYNC_EXAMPLE,
        ALARM,
        OLDEST_REQUEST,
        _set("comparisonOperator", "Above"),
        ("PutMetricAlarm",),
        "ComparisonOperator",
        "'Above' is not one of the",
    ),
    (
        "async-topic-name-with-a-dot",
        ASYNC_EXAMPLE,
        TOPIC,
        ASYNC_TOPIC,
        _set("name", "docs-dev.extractor-async-success"),
        ("CreateTopic",),
        "Name",
        "'docs-dev.extractor-async-success' is not 1-256 letters, digits, _ or -",
    ),
]


@pytest.mark.parametrize(
    ("example", "resource_type", "name", "edit", "operations", "path", "message"),
    [s[1:] for s in SERVING_SEEDED],
    ids=[s[0] for s in SERVING_SEEDED],
)
def test_seeded_serving_mistake_is_caught(
    example: str,
    resource_type: str,
    name: str,
    edit: Callable[[dict[str, Any]], None],
    operations: tuple[str, ...],
    path: str,
    message: str,
) -> None:
    region, plan = _serving(example)
    real = plan.get(resource_type, name)
    assert [f for r in translate_all(real, region=region) for f in validate(r)] == []
    findings = [f for r in translate_all(with_inputs(real, edit), region=region) for f in validate(r)]
    assert findings, "the seeded mistake was not caught"
    assert {f.path for f in findings} == {path}, [str(f) for f in findings]
    for operation in operations:
        assert any(f.operation == operation and message in f.message for f in findings), [str(f) for f in findings]
    assert {(f.resource, f.operation) for f in findings} == {(name, op) for op in operations}


def test_seeded_serving_mistakes_cover_every_new_operation() -> None:
    operations = {op for s in SERVING_SEEDED for op in s[5]}
    assert operations >= {
        "CreateInferenceComponent",
        "UpdateInferenceComponent",
        "CreateEndpointConfig",
        "CreateModel",
        "PutScalingPolicy",
        "RegisterScalableTarget",
        "PutMetricAlarm",
        "CreateTopic",
    }


# --- ... and the rules across their resources


ENDPOINT_CONFIG_TYPE = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"


def _serving_findings(example: str, *edits: tuple[str, str, Callable[[PlannedResource], PlannedResource]]) -> list[str]:
    """Findings of the example's dev plan (across resources too) after replacing some resources."""
    region, plan = _serving(example)
    by_key = {(resource_type, name): edit for resource_type, name, edit in edits}
    resources = [by_key[(r.type, r.name)](r) if (r.type, r.name) in by_key else r for r in plan.resources]
    return [str(f) for f in check_resources(resources, region=region).findings]


def _inputs(edit: Callable[[dict[str, Any]], None]) -> Callable[[PlannedResource], PlannedResource]:
    return lambda resource: with_inputs(resource, edit)


def _without_dependency(name: str) -> Callable[[PlannedResource], PlannedResource]:
    def drop(resource: PlannedResource) -> PlannedResource:
        kept = tuple(d for d in resource.dependencies if not d.endswith(f"::{name}"))
        assert len(kept) == len(resource.dependencies) - 1
        return dataclasses.replace(resource, dependencies=kept)

    return drop


@pytest.mark.parametrize(
    ("example", "edits", "expected"),
    [
        (
            COMPONENTS_EXAMPLE,
            [(INFERENCE_COMPONENT, COMPONENT, _inputs(_set("variantName", "main")))],
            [
                f"{COMPONENT}: CreateInferenceComponent VariantName: 'main' is not a production variant of "
                "'{config}' (its variants: fleet)"
            ],
        ),
        (
            COMPONENTS_EXAMPLE,
            [(INFERENCE_COMPONENT, COMPONENT, _without_dependency("assistants-dev-small-models-endpoint"))],
            [
                f"{COMPONENT}: CreateInferenceComponent EndpointName: does not wait for "
                "assistants-dev-small-models-endpoint, which creates 'assistants-dev-small-models'"
            ],
        ),
        (
            COMPONENTS_EXAMPLE,
            [(INFERENCE_COMPONENT, COMPONENT, _inputs(_set("specification.modelName", "assistants-dev-intent")))],
            [
                f"{COMPONENT}: CreateInferenceComponent Specification.ModelName: no model named "
                "'assistants-dev-intent' in this plan"
            ],
        ),
        (
            COMPONENTS_EXAMPLE,
            [(TARGET, COMPONENT_TARGET, _without_dependency(COMPONENT))],
            [
                f"{COMPONENT_TARGET}: RegisterScalableTarget ResourceId: does not wait for {COMPONENT}, which "
                f"creates '{COMPONENT}'"
            ],
        ),
        (
            COMPONENTS_EXAMPLE,
            [(TARGET, COMPONENT_TARGET, _inputs(_set("resourceId", "inference-component/assistants-dev-intent")))],
            # ... and the component's two policies are left without a registered target.
            [
                f"{COMPONENT_TARGET}: RegisterScalableTarget ResourceId: no inference component named "
                "'assistants-dev-intent' in this plan",
                *(
                    f"{policy}: PutScalingPolicy ResourceId: no scalable target of this plan registers "
                    f"'inference-component/{COMPONENT}' (sagemaker:inference-component:DesiredCopyCount)"
                    for policy in (COMPONENT_WAKE, "assistants-dev-small-models-intent-scaling-policy")
                ),
            ],
        ),
        (
            ASYNC_EXAMPLE,
            [(POLICY, ASYNC_WAKE, _inputs(_set("resourceId", "endpoint/docs-dev-extractor/variant/other")))],
            [
                f"{ASYNC_WAKE}: PutScalingPolicy ResourceId: no scalable target of this plan registers "
                "'endpoint/docs-dev-extractor/variant/other' (sagemaker:variant:DesiredInstanceCount)"
            ],
        ),
    ],
    ids=[
        "component-on-another-variant",
        "component-before-its-endpoint",
        "component-model-not-planned",
        "target-before-its-component",
        "target-of-no-component",
        "policy-without-target",
    ],
)
def test_serving_links_across_resources(
    example: str, edits: list[tuple[str, str, Callable[[PlannedResource], PlannedResource]]], expected: list[str]
) -> None:
    assert _serving_findings(example) == []
    # The endpoint configuration's name ends in a digest of its content: read it from the plan.
    _, plan = _serving(example)
    config = next((r.inputs["name"] for r in plan.resources if r.type == ENDPOINT_CONFIG_TYPE), "")
    assert sorted(_serving_findings(example, *edits)) == sorted(e.replace("{config}", config) for e in expected)


def _components_blueprint(count: int) -> str:
    """inference-components.yaml with `count` one-GPU components, each with a p99 alarm and no error-rate alarm."""
    text = (EXAMPLES / COMPONENTS_EXAMPLE).read_text()
    models = "".join(
        f'      m{i}: {{framework: pytorch, framework_version: "2.6", model_data: "s3://assistants-models/m{i}/model.tar.gz"}}\n'
        for i in range(count)
    )
    components = "".join(
        f"      - {{name: c{i}, model: m{i}, cpu_cores: 1, accelerators: 1, memory_mb: 4096, "
        "copies: {min: 0, max: 1}, target_invocations_per_copy: 100}\n"
        for i in range(count)
    )
    edited = re.sub(r"    models:\n(?:      .*\n)+?(?=    # ml)", "    models:\n" + models, text)
    edited = re.sub(r"    components:\n(?:      .*\n)+?(?=    routing)", "    components:\n" + components, edited)
    edited = re.sub(r"    overrides:\n(?:      .*\n)+", "", edited)
    edited = edited.replace(
        "min_instances: 0, max_instances: 3}", f"min_instances: {-(-count // 4)}, max_instances: 10}}"
    )
    edited = edited.replace("alarms: {p99_latency_ms: 300, error_rate: 0.01}", "alarms: {p99_latency_ms: 300}")
    assert edited.count("accelerators: 1") == count and "error_rate" not in edited
    return edited


def test_ten_components_fit_the_rollback_alarms(write_blueprint: WriteBlueprint) -> None:
    resolved, plan = plan_file(write_blueprint(_components_blueprint(10)), "dev")
    report = check_plan(plan, region=resolved.blueprint.region)
    assert [str(f) for f in report.findings] == []
    updates = [r for r in report.requests if r.operation == "UpdateInferenceComponent"]
    assert len(updates) == 10
    assert {len(r.params["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]) for r in updates} == {10}


# Found by this oracle: each component's rolling update rolls back on every component's p99 alarm (and the error
# rate), and AutoRollbackConfiguration takes at most 10 alarms, so 11 components with only a p99_latency_ms alarm
# planned an UpdateInferenceComponent DeploymentConfig with 11; validation now rejects them (the seeded mistake
# component-eleven-rollback-alarms keeps the oracle's side).
def test_eleven_components_are_rejected_before_planning(write_blueprint: WriteBlueprint) -> None:
    with pytest.raises(BlueprintInvalid) as raised:
        plan_file(write_blueprint(_components_blueprint(11)), "dev")
    assert "11 rollback alarms" in str(raised.value)
    assert "SageMaker allows 10" in str(raised.value)


# --- CloudWatch alarms and Application Auto Scaling, with pulumi-aws's wire names --------------------

TAGS = {"blueprint": "recsys", "environment": "prod", "managed-by": "mlstack"}
DIMENSIONS = {"EndpointName": "recsys-prod-ranker", "VariantName": "champion"}


def _sagemaker_metric(metric: str) -> dict[str, Any]:
    return {"metricName": metric, "namespace": "AWS/SageMaker", "period": 60, "stat": "Sum", "dimensions": DIMENSIONS}


ERROR_RATE_ALARM: dict[str, Any] = {
    "name": "recsys-prod-ranker-error-rate",
    "alarmDescription": "5xx error rate of recsys-prod-ranker above 1%",
    "comparisonOperator": "GreaterThanThreshold",
    "evaluationPeriods": 5,
    "datapointsToAlarm": 3,
    "threshold": 0.01,
    "treatMissingData": "notBreaching",
    "metricQueries": [
        {"id": "errors", "metric": _sagemaker_metric("Invocation5XXErrors"), "returnData": False},
        {"id": "invocations", "metric": _sagemaker_metric("Invocations"), "returnData": False},
        {"id": "rate", "expression": "errors / invocations", "label": "5xx rate", "returnData": True},
    ],
    "tags": TAGS,
}
LATENCY_ALARM: dict[str, Any] = {
    "name": "recsys-prod-ranker-champion-p99-latency",
    "namespace": "AWS/SageMaker",
    "metricName": "ModelLatency",
    "extendedStatistic": "p99",
    "unit": "Microseconds",
    "period": 60,
    "evaluationPeriods": 5,
    "datapointsToAlarm": 3,
    "threshold": 250000,
    "comparisonOperator": "GreaterThanThreshold",
    "dimensions": DIMENSIONS,
    "alarmActions": ["arn:aws:sns:eu-west-1:123456789012:recsys-prod-alerts"],
    "tags": TAGS,
}
SCALABLE = {
    "resourceId": "endpoint/recsys-prod-ranker/variant/champion",
    "scalableDimension": "sagemaker:variant:DesiredInstanceCount",
    "serviceNamespace": "sagemaker",
}
SCALING_TARGET: dict[str, Any] = {**SCALABLE, "minCapacity": 2, "maxCapacity": 8, "tags": TAGS}
INVOCATIONS_POLICY: dict[str, Any] = {
    **SCALABLE,
    "name": "recsys-prod-ranker-champion-invocations",
    "policyType": "TargetTrackingScaling",
    "targetTrackingScalingPolicyConfiguration": {
        "targetValue": 300,
        "scaleInCooldown": 600,
        "scaleOutCooldown": 60,
        "predefinedMetricSpecification": {"predefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
    },
}
GPU_POLICY: dict[str, Any] = {
    **SCALABLE,
    "name": "recsys-prod-ranker-champion-gpu",
    "policyType": "TargetTrackingScaling",
    "targetTrackingScalingPolicyConfiguration": {
        "targetValue": 70,
        "customizedMetricSpecification": {
            "metricName": "GPUUtilization",
            "namespace": "/aws/sagemaker/Endpoints",
            "statistic": "Average",
            "unit": "Percent",
            "dimensions": [
                {"name": "EndpointName", "value": "recsys-prod-ranker"},
                {"name": "VariantName", "value": "champion"},
            ],
        },
    },
}
HAND_BUILT = {
    "error-rate": (ALARM, ERROR_RATE_ALARM),
    "p99-latency": (ALARM, LATENCY_ALARM),
    "target": (TARGET, SCALING_TARGET),
    "invocations-policy": (POLICY, INVOCATIONS_POLICY),
    "gpu-policy": (POLICY, GPU_POLICY),
}


def _hand_built(key: str, edit: Callable[[dict[str, Any]], None] | None = None) -> PlannedResource:
    resource_type, inputs = HAND_BUILT[key]
    resource = PlannedResource(f"urn:test::{key}", resource_type, key, None, (), inputs, custom=True)
    return with_inputs(resource, edit) if edit else resource


def _snake(wire: Any) -> Any:
    """pulumi-aws Python arguments for wire inputs (object keys snake_case, maps kept)."""
    if isinstance(wire, list):
        return [_snake(item) for item in wire]
    if isinstance(wire, dict):
        return {re.sub(r"[A-Z]", lambda m: "_" + m.group().lower(), k): _keep_maps(k, v) for k, v in wire.items()}
    return wire


def _keep_maps(key: str, value: Any) -> Any:
    return value if key in ("tags", "dimensions") and isinstance(value, dict) else _snake(value)


def test_hand_built_inputs_are_what_pulumi_aws_registers() -> None:
    constructors: dict[str, Callable[..., pulumi.CustomResource]] = {
        ALARM: aws.cloudwatch.MetricAlarm,
        TARGET: aws.appautoscaling.Target,
        POLICY: aws.appautoscaling.Policy,
    }

    def program() -> Mapping[str, pulumi.Output[Any]]:
        for key, (resource_type, inputs) in HAND_BUILT.items():
            constructors[resource_type](key, **_snake(inputs))
        return {}

    plan = run_offline(program, project="oracle", stack="test", region=REGION)
    registered = {r.name: r.inputs for r in plan.resources if r.type in TRANSLATIONS}
    assert registered == {key: inputs for key, (_, inputs) in HAND_BUILT.items()}


@pytest.mark.parametrize("key", sorted(HAND_BUILT))
def test_hand_built_alarm_and_scaling_requests_are_accepted(key: str) -> None:
    assert _findings(_hand_built(key)) == []


def test_metric_math_alarm_translation() -> None:
    params = _request(_hand_built("error-rate")).params
    assert params["AlarmName"] == "recsys-prod-ranker-error-rate"
    errors, _, rate = params["Metrics"]
    assert errors == {
        "Id": "errors",
        "ReturnData": False,
        "MetricStat": {
            "Metric": {
                "MetricName": "Invocation5XXErrors",
                "Namespace": "AWS/SageMaker",
                "Dimensions": [
                    {"Name": "EndpointName", "Value": "recsys-prod-ranker"},
                    {"Name": "VariantName", "Value": "champion"},
                ],
            },
            "Period": 60,
            "Stat": "Sum",
        },
    }
    assert rate == {"Id": "rate", "Expression": "errors / invocations", "Label": "5xx rate", "ReturnData": True}
    assert params["ActionsEnabled"] is True  # Terraform's Default
    assert params["Tags"] == [{"Key": k, "Value": v} for k, v in sorted(TAGS.items())]


def test_percentile_alarm_translation() -> None:
    params = _request(_hand_built("p99-latency")).params
    assert (params["ExtendedStatistic"], params["MetricName"], params["Unit"]) == (
        "p99",
        "ModelLatency",
        "Microseconds",
    )
    assert params["Dimensions"] == [
        {"Name": "EndpointName", "Value": "recsys-prod-ranker"},
        {"Name": "VariantName", "Value": "champion"},
    ]
    assert params["AlarmActions"] == LATENCY_ALARM["alarmActions"]
    assert "Statistic" not in params


def test_scaling_translation() -> None:
    target = _request(_hand_built("target")).params
    assert target == {
        "ResourceId": "endpoint/recsys-prod-ranker/variant/champion",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
        "ServiceNamespace": "sagemaker",
        "MinCapacity": 2,
        "MaxCapacity": 8,
        "Tags": TAGS,  # RegisterScalableTarget takes a tag map, not a list
    }
    policy = _request(_hand_built("gpu-policy")).params
    assert policy["PolicyName"] == "recsys-prod-ranker-champion-gpu"
    custom = policy["TargetTrackingScalingPolicyConfiguration"]["CustomizedMetricSpecification"]
    assert custom["Dimensions"] == [
        {"Name": "EndpointName", "Value": "recsys-prod-ranker"},
        {"Name": "VariantName", "Value": "champion"},
    ]


def test_step_scaling_bounds_are_strings_on_the_wire() -> None:
    step = {
        **SCALABLE,
        "name": "recsys-prod-ranker-champion-step",
        "stepScalingPolicyConfiguration": {
            "adjustmentType": "ChangeInCapacity",
            "cooldown": 300,
            "metricAggregationType": "Average",
            "stepAdjustments": [
                {"metricIntervalLowerBound": "0", "metricIntervalUpperBound": "20", "scalingAdjustment": 1},
                {"metricIntervalLowerBound": "20", "metricIntervalUpperBound": "", "scalingAdjustment": 2},
            ],
        },
    }
    request = _request(PlannedResource("urn:test::step", POLICY, "step", None, (), step, custom=True))
    assert request.params["PolicyType"] == "StepScaling"  # Terraform's Default
    adjustments = request.params["StepScalingPolicyConfiguration"]["StepAdjustments"]
    assert adjustments == [
        {"MetricIntervalLowerBound": 0.0, "MetricIntervalUpperBound": 20.0, "ScalingAdjustment": 1},
        {"MetricIntervalLowerBound": 20.0, "ScalingAdjustment": 2},
    ]


HAND_BUILT_MISTAKES: list[tuple[str, str, Callable[[dict[str, Any]], None], str, str]] = [
    ("error-rate", "comparison-operator", _set("comparisonOperator", "Bigger"), "ComparisonOperator", "'Bigger'"),
    ("error-rate", "two-results", _set("metricQueries[0].returnData", True), "Metrics", "exactly one query"),
    (
        "error-rate",
        "expression-and-metric",
        _set("metricQueries[2].metric", _sagemaker_metric("Invocations")),
        "Metrics[2]",
        "exactly one of Expression and MetricStat",
    ),
    (
        "error-rate",
        "eleven-metrics",
        _set(
            "metricQueries",
            [{"id": f"m{i}", "metric": _sagemaker_metric("Invocations"), "returnData": False} for i in range(11)]
            + [{"id": "total", "expression": "SUM(METRICS())", "returnData": True}],
        ),
        "Metrics",
        "at most 10 metrics (MetricStat)",
    ),
    ("p99-latency", "unit", _set("unit", "Microsecond"), "Unit", "did you mean 'Microseconds'"),
    (
        "p99-latency",
        "six-actions",
        _set("alarmActions", LATENCY_ALARM["alarmActions"] * 6),
        "AlarmActions",
        "at most 5",
    ),
    (
        "target",
        "scalable-dimension",
        _set("scalableDimension", "sagemaker:variant:DesiredInstanceCnt"),
        "ScalableDimension",
        "not one of the",
    ),
    ("target", "missing-namespace", _set("serviceNamespace", _DELETE), "ServiceNamespace", "missing required field"),
    (
        "invocations-policy",
        "policy-type",
        _set("policyType", "TargetTracking"),
        "PolicyType",
        "did you mean 'TargetTrackingScaling'",
    ),
    (
        "invocations-policy",
        "two-metric-specifications",
        _set(
            "targetTrackingScalingPolicyConfiguration.customizedMetricSpecification",
            GPU_POLICY["targetTrackingScalingPolicyConfiguration"]["customizedMetricSpecification"],
        ),
        "TargetTrackingScalingPolicyConfiguration",
        "exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification",
    ),
    (
        "gpu-policy",
        "statistic",
        _set("targetTrackingScalingPolicyConfiguration.customizedMetricSpecification.statistic", "p99"),
        "TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification.Statistic",
        "'p99' is not one of the 5 allowed values",
    ),
]


@pytest.mark.parametrize(
    ("key", "edit", "path", "message"),
    [(m[0], *m[2:]) for m in HAND_BUILT_MISTAKES],
    ids=[f"{m[0]}-{m[1]}" for m in HAND_BUILT_MISTAKES],
)
def test_seeded_alarm_and_scaling_mistake_is_caught(
    key: str, edit: Callable[[dict[str, Any]], None], path: str, message: str
) -> None:
    findings = _findings(_hand_built(key, edit))
    assert {f.path for f in findings} == {path}, [str(f) for f in findings]
    assert any(message in f.message for f in findings), [str(f) for f in findings]


# --- The translation table itself ------------------------------------------------------------------------

ARGS_CLASSES = {
    MODEL: ("sagemaker", "ModelArgs"),
    CONFIG: ("sagemaker", "EndpointConfigurationArgs"),
    ENDPOINT: ("sagemaker", "EndpointArgs"),
    INFERENCE_COMPONENT: ("sagemaker", "InferenceComponentArgs"),
    ALARM: ("cloudwatch", "MetricAlarmArgs"),
    TARGET: ("appautoscaling", "TargetArgs"),
    POLICY: ("appautoscaling", "PolicyArgs"),
    FEATURE_GROUP: ("sagemaker", "FeatureGroupArgs"),
    TRACKING: ("sagemaker", "MlflowTrackingServerArgs"),
    MODEL_GROUP: ("sagemaker", "ModelPackageGroupArgs"),
    MODEL_GROUP_POLICY: ("sagemaker", "ModelPackageGroupPolicyArgs"),
    LIFECYCLE: ("s3", "BucketLifecycleConfigurationArgs"),
    DATA_QUALITY: ("sagemaker", "DataQualityJobDefinitionArgs"),
    MODEL_QUALITY: ("sagemaker", "ModelQualityJobDefinitionArgs"),
    SCHEDULE: ("sagemaker", "MonitoringScheduleArgs"),
    TOPIC: ("sns", "TopicArgs"),
    SUBSCRIPTION: ("sns", "TopicSubscriptionArgs"),
    EVENT_RULE: ("cloudwatch", "EventRuleArgs"),
    DASHBOARD: ("cloudwatch", "DashboardArgs"),
}


def _every_input(cls: type, module: Any, prefix: tuple[str, ...], paths: set[str]) -> dict[str, Any]:
    """A wire value that sets every input pulumi-aws's `cls` has, recursively; records each wire path."""
    names = input_type_py_to_pulumi_names(cls)
    value: dict[str, Any] = {}
    for python_name, parameter in inspect.signature(cls).parameters.items():
        wire = names[python_name]
        path = (*prefix, wire)
        paths.add(".".join(path))
        annotation = str(parameter.annotation)
        # pulumi-aws-native also refers to its root package's types (`_root_inputs.CreateOnlyTagArgs`).
        nested = re.findall(r"'(?:_root_inputs\.)?(\w+Args)'", annotation)
        enums = [e for e in (_enum(module, n) for n in re.findall(r"'(\w+)'", annotation)) if e is not None]
        item: Any
        if nested:
            nested_cls = getattr(module, nested[0], None) or getattr(aws_native, nested[0])
            item = _every_input(nested_cls, module, path, paths)
        elif enums:
            item = next(iter(enums[0])).value
        elif "Mapping" in annotation or "Any" in annotation:  # aws-native types JSON objects as Any
            item = {"key": "1"}
        else:
            item = next(sample for word, sample in _SCALARS if word in annotation)
        value[wire] = [item] if "Sequence" in annotation else item
    return value


def _enum(module: Any, name: str) -> type[enum.Enum] | None:
    candidate = getattr(module, name, None)
    return candidate if isinstance(candidate, type) and issubclass(candidate, enum.Enum) else None


_SCALARS: list[tuple[str, Any]] = [("bool", True), ("int", 1), ("float", 1.5), ("str", "1")]


@functools.cache
def _pulumi_inputs(resource_type: str) -> tuple[dict[str, Any], frozenset[str]]:
    module_name, class_name = ARGS_CLASSES[resource_type]
    package = "pulumi_aws_native" if resource_type.startswith("aws-native:") else "pulumi_aws"
    module = importlib.import_module(f"{package}.{module_name}")
    paths: set[str] = set()
    inputs = _every_input(getattr(module, class_name), module, (), paths)
    return inputs, frozenset(paths)


def _translation_id(translation: Translation) -> str:
    return f"{translation.resource_type}:{translation.operation}"


@pytest.mark.parametrize("translation", ALL_TRANSLATIONS, ids=_translation_id)
def test_every_pulumi_aws_input_reaches_a_member_aws_knows(translation: Translation) -> None:
    """The exception table is complete: a request setting every pulumi-aws input has no unknown or mistyped member."""
    inputs, paths = _pulumi_inputs(translation.resource_type)
    assert len(paths) >= 3
    resource = PlannedResource("urn:test", translation.resource_type, "everything", None, (), inputs, True)
    request = translate(resource, region=REGION, translation=translation)
    assert request.operation == translation.operation
    structural = [
        str(f)
        for f in validate(request)
        if f.message.startswith(("not a member", "Invalid type")) or "cannot parse" in f.message
    ]
    assert structural == []


@pytest.mark.parametrize("translation", ALL_TRANSLATIONS, ids=_translation_id)
def test_every_exception_names_a_real_pulumi_input(translation: Translation) -> None:
    _, paths = _pulumi_inputs(translation.resource_type)
    for key, rule in translation.fields.items():
        if key.startswith("**."):
            assert any(p.split(".")[-1] == key[3:] for p in paths), key
        else:
            assert key in paths, key
        assert rule.why, f"{key}: say where this exception was verified"


def _string_shapes(shape: Any, member: str, seen: set[tuple[str, str]]) -> Iterator[tuple[Any, str]]:
    if (shape.name, member) in seen:
        return
    seen.add((shape.name, member))
    if shape.type_name == "structure":
        for name, child in shape.members.items():
            yield from _string_shapes(child, name, seen)
    elif shape.type_name == "list":
        yield from _string_shapes(shape.member, member, seen)
    elif shape.type_name == "map":
        yield from _string_shapes(shape.key, member, seen)
        yield from _string_shapes(shape.value, member, seen)
    else:
        yield shape, member


def test_every_placeholder_satisfies_its_field() -> None:
    checked = 0
    for translation in ALL_TRANSLATIONS:
        for shape, member in _string_shapes(input_shape(translation), "", set()):
            value = placeholder_for(shape, member, REGION)
            assert constraint_findings(value, shape) == [], (shape.name, member, value)
            checked += 1
    assert checked > 150


# --- botocore's Java patterns ----------------------------------------------------------------------------


def test_every_pattern_in_these_operations_compiles() -> None:
    patterns = {
        shape.metadata["pattern"]
        for translation in ALL_TRANSLATIONS
        for shape, _ in _string_shapes(input_shape(translation), "", set())
        if "pattern" in shape.metadata
    }
    assert len(patterns) > 20
    for pattern in patterns:
        compile_java_pattern(pattern)


@pytest.mark.parametrize(
    ("pattern", "accepted", "rejected"),
    [
        # Full match, as Java's matches(): a valid prefix is not enough.
        ("[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", ["ranker", "a-b--c"], ["bad_name!", "-lead", "x" * 64]),
        # Unicode categories: letters, separators, numbers.
        ("([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)", ["cost_center", "équipe données", "٣"], ["cost|center", "a\tb"]),
        # POSIX \p{Print} is US-ASCII only.
        ("\\p{Print}+", ["policy name ~"], ["tab\there", "é"]),
        # UTF-16 surrogate pairs describe the supplementary planes.
        ("[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\r\\n\\t]*", ["a😀b"], ["\x00", "\x1f"]),
        # Java's \S and \w are ASCII.
        ("[\\S]+", ["s3://b/k", "a\u00a0b"], ["a b", "a\tb"]),
        # Java's `.` stops at every line terminator, not only \n.
        (".*", ["a b", '{"a":"\\n"}'], ["a\nb", "a\rb", "a\u2028b", "a\u0085b"]),
    ],
)
def test_java_pattern_semantics(pattern: str, accepted: list[str], rejected: list[str]) -> None:
    compiled = compile_java_pattern(pattern)
    assert [v for v in accepted if not compiled.fullmatch(v)] == []
    assert [v for v in rejected if compiled.fullmatch(v)] == []
