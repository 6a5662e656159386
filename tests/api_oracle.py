"""An independent oracle for planned AWS resources: the API request AWS would receive, checked by botocore.

The offline plan runs under the Pulumi SDK's mocks, which accept any value: a bogus instance type, a
variant name SageMaker rejects, an instance count of 0 all plan fine and fail only at `pulumi up`.
This module turns each planned pulumi-aws resource into the request the provider sends
(CreateModel, CreateEndpointConfig, CreateEndpoint, PutMetricAlarm, RegisterScalableTarget,
PutScalingPolicy, CreateFeatureGroup, CreateMlflowTrackingServer, CreateModelPackageGroup,
PutModelPackageGroupPolicy, PutBucketLifecycleConfiguration) and checks it against botocore's bundled
service model, which AWS publishes for its SDKs. It shares no code with the components it checks.

The translation mirrors pulumi-aws, a bridge over the Terraform AWS provider: inputs arrive in
pulumi-aws's camelCase wire names, and the provider's `expand*` functions build the request. The
default rule is camelCase -> PascalCase with the same shape; `Translation.fields` lists every
exception, each with where it was verified. Values unknown at preview are replaced by realistic
placeholders, and every replacement is recorded in `ApiRequest.substitutions`.

Validation is `botocore.validate.ParamValidator` (required members, unknown members, types, `min`)
plus a walk of the shape for what it skips: `enum`, `pattern` (a full match, as AWS's Java services
apply them), `max` of strings, lists, maps and numbers, and map sizes.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import functools
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import botocore.loaders
import botocore.model
import botocore.validate

from stack.engine import SECRET_TEXT, UNKNOWN_TEXT, Plan, PlannedResource

Shape = Any
"""A `botocore.model.Shape` (botocore ships no type information)."""

PLACEHOLDER_NAME = "mlstack-known-after-apply"
PLACEHOLDER_ACCOUNT = "000000000000"
# Pulumi's auto-name is `<logical name>-<7 random hex digits>` (tfbridge.AutoName, which pulumi-aws
# applies to every resource with a `name` input: provider/autonaming.go, maxLength 255).
AUTONAME_SUFFIX = "-0a1b2c3"
# Terraform's `create.Name(name, prefix)` appends `id.UniqueId()`'s 26-digit timestamp and counter.
TERRAFORM_UNIQUE_SUFFIX = "20250101000000000000000001"

Reason = Literal["unknown at preview", "secret", "auto-name", "provider default"]


@dataclass(frozen=True)
class Finding:
    """One way in which AWS would reject (or silently change) a planned resource's request."""

    resource: str
    """Logical name of the planned resource."""
    operation: str
    """The API operation, e.g. CreateEndpointConfig."""
    path: str
    """Where in the request, e.g. `ProductionVariants[0].InstanceType`; empty for the whole request."""
    message: str

    def __str__(self) -> str:
        return f"{self.resource}: {self.operation} {self.path or '(request)'}: {self.message}"


@dataclass(frozen=True)
class Substitution:
    """A value the plan cannot know, replaced in the request by a realistic stand-in."""

    path: str
    value: Any
    reason: Reason
    verified: bool = True
    """Whether the stand-in satisfies the field's constraints; findings on unverified ones are dropped."""


@dataclass(frozen=True)
class Field:
    """How one pulumi-aws input reaches the request where it differs from the default.

    The default is: member name = the wire name with its first letter upper-cased; same shape.
    """

    to: str | None = None
    """API member; a dotted name nests inside the current structure; None keeps the default name."""
    how: Literal["rename", "drop", "first", "map_to_list", "number", "json", "omit_empty"] = "rename"
    """`drop`: not sent; `first`: a Pulumi list of which the provider sends only item 0 as a structure;
    `map_to_list`: a map sent as a list of {key, value} structures; `number`: a string sent as a double;
    `json`: a JSON document the provider re-encodes compactly (invalid JSON fails before any request);
    `omit_empty`: a string not sent when empty."""
    key: str = "Key"
    value: str = "Value"
    why: str = ""
    """Where this exception was verified."""


@dataclass(frozen=True)
class Default:
    """A member the provider sends when the input is absent (a Terraform schema Default or always-set field)."""

    path: str
    """API path; `[]` steps into every list item. Nothing is created above the member."""
    value: Any
    requires: tuple[str, ...] = ()
    """Sibling members that must be present."""
    unless: tuple[str, ...] = ()
    """Sibling members that must be absent."""
    why: str = ""


Check = Callable[[Mapping[str, Any]], Iterator[tuple[str, str]]]
"""A rule over the request that the service model cannot express: yields (path, message)."""


@dataclass(frozen=True)
class Translation:
    """How one pulumi-aws resource type becomes one API request."""

    resource_type: str
    service: str
    operation: str
    name_member: str
    """The member that carries the resource's physical name (auto-named by Pulumi when absent); empty
    when pulumi-aws makes the name a required input, which it never auto-names."""
    fields: Mapping[str, Field]
    """Exceptions by wire path: dotted wire names (list items add no segment), or `**.<name>` at any depth."""
    defaults: tuple[Default, ...] = ()
    name_prefix_input: str | None = None
    checks: tuple[Check, ...] = ()

    def field_for(self, wire_path: Sequence[str]) -> Field:
        exact = self.fields.get(".".join(wire_path))
        if exact is not None:
            return exact
        return self.fields.get(f"**.{wire_path[-1]}", _DEFAULT_FIELD)


_DEFAULT_FIELD = Field()


@dataclass(frozen=True)
class ApiRequest:
    """The request one planned resource becomes."""

    resource: str
    urn: str
    resource_type: str
    service: str
    operation: str
    params: Mapping[str, Any]
    substitutions: tuple[Substitution, ...]
    translation_findings: tuple[Finding, ...] = ()
    """Problems found while translating, e.g. list items the provider silently drops."""


@dataclass(frozen=True)
class OracleReport:
    """Every supported resource of a plan, translated and validated."""

    requests: tuple[ApiRequest, ...]
    findings: tuple[Finding, ...]

    @property
    def translated_urns(self) -> frozenset[str]:
        return frozenset(request.urn for request in self.requests)


# --- Rules the service model cannot express ------------------------------------------------------


def _deployment_policy_exactly_one(request: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    # Terraform: blue_green_update_policy and rolling_update_policy are ExactlyOneOf, so a
    # deployment_config with only auto_rollback_configuration fails at preview
    # (internal/service/sagemaker/endpoint.go).
    config = request.get("DeploymentConfig")
    if isinstance(config, Mapping):
        present = [key for key in ("BlueGreenUpdatePolicy", "RollingUpdatePolicy") if key in config]
        if len(present) != 1:
            yield (
                "DeploymentConfig",
                f"exactly one of BlueGreenUpdatePolicy and RollingUpdatePolicy is required, got {present or 'none'}",
            )


def _alarm_metric_rules(request: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html and the
    # Terraform provider's ValidateConfig (internal/service/cloudwatch/metric_alarm.go).
    if "EvaluationCriteria" in request:
        return
    has_metric = "MetricName" in request
    has_metrics = bool(request.get("Metrics"))
    if has_metric and has_metrics:
        yield "Metrics", "MetricName and Metrics are mutually exclusive"
    if has_metric and ("Statistic" in request) == ("ExtendedStatistic" in request):
        yield "Statistic", "a single-metric alarm needs exactly one of Statistic and ExtendedStatistic"
    if (has_metric or has_metrics) and "ComparisonOperator" not in request:
        yield "ComparisonOperator", "required for a metric alarm"
    if (has_metric or has_metrics) and "EvaluationPeriods" not in request:
        yield "EvaluationPeriods", "required for a metric alarm"
    for index, query in enumerate(request.get("Metrics") or []):
        if isinstance(query, Mapping) and ("Expression" in query) == ("MetricStat" in query):
            yield f"Metrics[{index}]", "each query needs exactly one of Expression and MetricStat"
    queries = [q for q in request.get("Metrics") or [] if isinstance(q, Mapping)]
    if has_metrics and sum(1 for q in queries if q.get("ReturnData") is True) != 1:
        yield "Metrics", "exactly one query must have ReturnData true: the alarm's metric"
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataQuery.html: in
    # PutMetricAlarm, at most 20 queries, of which at most 10 MetricStat and at most 10 Expression.
    metrics = sum(1 for q in queries if "MetricStat" in q)
    expressions = sum(1 for q in queries if "Expression" in q)
    if len(queries) > 20 or metrics > 10 or expressions > 10:
        yield (
            "Metrics",
            f"{len(queries)} queries with {metrics} metrics and {expressions} expressions; an alarm allows 20 "
            "queries: at most 10 metrics (MetricStat) and 10 expressions",
        )


def _scaling_policy_rules(request: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    # https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PutScalingPolicy.html: the policy
    # type's configuration is required; a target-tracking one names exactly one metric.
    configuration = {
        "StepScaling": "StepScalingPolicyConfiguration",
        "TargetTrackingScaling": "TargetTrackingScalingPolicyConfiguration",
        "PredictiveScaling": "PredictiveScalingPolicyConfiguration",
    }.get(str(request.get("PolicyType")))
    if configuration is not None and configuration not in request:
        yield "PolicyType", f"{request['PolicyType']} needs {configuration}"
    tracking = request.get("TargetTrackingScalingPolicyConfiguration")
    if isinstance(tracking, Mapping):
        specs = [k for k in ("PredefinedMetricSpecification", "CustomizedMetricSpecification") if k in tracking]
        if len(specs) != 1:
            yield (
                "TargetTrackingScalingPolicyConfiguration",
                "exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification, "
                f"got {specs or 'none'}",
            )


# CreateFeatureGroup's documentation in botocore's model (sagemaker service-2) states these; the Terraform
# schema (internal/service/sagemaker/feature_group.go) repeats some of them.
RESERVED_FEATURE_NAMES = ("is_deleted", "write_time", "api_invocation_time")
EVENT_TIME_FEATURE_TYPES = ("String", "Fractional")


def _feature_group_rules(request: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    # "You must include at least one of OnlineStoreConfig and OfflineStoreConfig" (Terraform: AtLeastOneOf).
    if "OnlineStoreConfig" not in request and "OfflineStoreConfig" not in request:
        yield "", "at least one of OnlineStoreConfig and OfflineStoreConfig is required"
    definitions = [d for d in request.get("FeatureDefinitions") or [] if isinstance(d, Mapping)]
    types = {d.get("FeatureName"): d.get("FeatureType") for d in definitions}
    # "RecordIdentifierFeatureName must be one of feature definitions' names"; "An EventTime can be a String
    # or Fractional" (and must be a feature: every record carries it).
    for member in ("RecordIdentifierFeatureName", "EventTimeFeatureName"):
        name = request.get(member)
        if isinstance(name, str) and name not in types:
            yield member, f"{name!r} is not one of the FeatureDefinitions ({', '.join(map(str, types))})"
    event_time = request.get("EventTimeFeatureName")
    if event_time in types and types[event_time] not in EVENT_TIME_FEATURE_TYPES:
        yield (
            "EventTimeFeatureName",
            f"{event_time!r} is {types[event_time]}; an event time must be String or Fractional",
        )
    for index, definition in enumerate(definitions):
        # "FeatureNames cannot be any of the following: is_deleted, write_time, api_invocation_time"
        # (Terraform: StringNotInSlice, case-sensitive).
        if definition.get("FeatureName") in RESERVED_FEATURE_NAMES:
            yield f"FeatureDefinitions[{index}].FeatureName", f"{definition['FeatureName']!r} is reserved"
        # CollectionType "Vector: ... Must have elements with fractional feature types."
        if definition.get("CollectionType") == "Vector" and definition.get("FeatureType") != "Fractional":
            yield f"FeatureDefinitions[{index}].FeatureType", "a Vector collection must be Fractional"
    offline = request.get("OfflineStoreConfig")
    if (
        isinstance(offline, Mapping)
        and offline.get("TableFormat") == "Iceberg"
        and offline.get("DisableGlueTableCreation")
    ):
        # DisableGlueTableCreation: "The Iceberg table format is only supported when this is set to False."
        yield "OfflineStoreConfig.DisableGlueTableCreation", "the Iceberg table format needs the Glue table created"
    # Terraform validates both KMS keys with verify.ValidARN: a bare key id fails at preview.
    online = request.get("OnlineStoreConfig")
    for path, holder, key in (
        ("OnlineStoreConfig.SecurityConfig.KmsKeyId", (online or {}).get("SecurityConfig"), "KmsKeyId"),
        ("OfflineStoreConfig.S3StorageConfig.KmsKeyId", (offline or {}).get("S3StorageConfig"), "KmsKeyId"),
    ):
        value = holder.get(key) if isinstance(holder, Mapping) else None
        if isinstance(value, str) and not _is_arn(value):
            yield path, f"{value!r} is not an ARN; pulumi-aws takes only a KMS key ARN here"
    throughput = request.get("ThroughputConfig")
    if isinstance(throughput, Mapping):
        # Terraform expandThroughputConfig sends the capacity units only in Provisioned mode.
        for unit in ("ProvisionedReadCapacityUnits", "ProvisionedWriteCapacityUnits"):
            if unit in throughput and throughput.get("ThroughputMode") != "Provisioned":
                yield f"ThroughputConfig.{unit}", "pulumi-aws drops this unless ThroughputMode is Provisioned"
        # "PROVISIONED throughput mode is supported only for feature groups that are offline-only, or use
        # the Standard tier online store."
        if throughput.get("ThroughputMode") == "Provisioned" and (online or {}).get("StorageType") == "InMemory":
            yield "ThroughputConfig.ThroughputMode", "Provisioned throughput needs an offline-only or Standard store"


def _is_arn(value: str) -> bool:
    # Terraform verify.ValidARN: arn.Parse succeeds (six colon-separated parts, the first "arn").
    parts = value.split(":", 5)
    return len(parts) == 6 and parts[0] == "arn" and all(parts[i] for i in (1, 2, 5))


# PutBucketLifecycleConfiguration's documentation in botocore's model (s3 service-2), except where noted.
# S3 User Guide: "An S3 Lifecycle configuration can have up to 1,000 rules" (quoted in minio/minio#10084).
MAX_LIFECYCLE_RULES = 1000
_LIFECYCLE_ACTIONS = (
    "Expiration",
    "Transitions",
    "NoncurrentVersionExpiration",
    "NoncurrentVersionTransitions",
    "AbortIncompleteMultipartUpload",
)
_FILTER_PREDICATES = ("Prefix", "Tag", "ObjectSizeGreaterThan", "ObjectSizeLessThan", "And")


def _lifecycle_rules(request: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    configuration = request.get("LifecycleConfiguration")
    rules = configuration.get("Rules") if isinstance(configuration, Mapping) else None
    if not isinstance(rules, list):
        return
    if not rules or len(rules) > MAX_LIFECYCLE_RULES:
        # Terraform: listvalidator.SizeAtLeast(1); S3: at most 1,000 rules.
        yield "LifecycleConfiguration.Rules", f"{len(rules)} rules; 1 to {MAX_LIFECYCLE_RULES} are allowed"
    seen: dict[Any, int] = {}
    for index, rule in enumerate(rules):
        if not isinstance(rule, Mapping):
            continue
        yield from _lifecycle_rule(rule, f"LifecycleConfiguration.Rules[{index}]")
        if "ID" in rule and rule["ID"] in seen:
            # S3: "InvalidArgument: Rule ID must be unique. Found same ID for more than one rule"
            # (reported in pingcap/tiflash#9889).
            yield f"LifecycleConfiguration.Rules[{index}].ID", f"{rule['ID']!r} is also rule {seen[rule['ID']]}'s ID"
        seen.setdefault(rule.get("ID"), index)


def _lifecycle_rule(rule: Mapping[str, Any], path: str) -> Iterator[tuple[str, str]]:
    rule_id = rule.get("ID")
    if isinstance(rule_id, str) and not 1 <= len(rule_id) <= 255:
        # "The value cannot be longer than 255 characters" (Terraform: LengthBetween(1, 255)).
        yield f"{path}.ID", f"{len(rule_id)} characters; 1 to 255 are allowed"
    # "Filter is required if the LifecycleRule does not contain a Prefix element"; not both.
    if ("Filter" in rule) == ("Prefix" in rule):
        yield path, "exactly one of Filter and Prefix is required"
    rule_filter = rule.get("Filter")
    if isinstance(rule_filter, Mapping):
        present = [p for p in _FILTER_PREDICATES if p in rule_filter]
        if len(present) > 1:
            yield f"{path}.Filter", f"a filter takes at most one of {', '.join(_FILTER_PREDICATES)}, got {present}"
    # S3: "InvalidRequest: At least one action needs to be specified in a rule" (crossplane-contrib/provider-aws#1337).
    if not any(rule.get(action) for action in _LIFECYCLE_ACTIONS):
        yield path, f"a rule needs at least one action ({', '.join(_LIFECYCLE_ACTIONS)})"
    expiration = rule.get("Expiration")
    if isinstance(expiration, Mapping):
        chosen = [k for k in ("Date", "Days") if k in expiration]
        if expiration.get("ExpiredObjectDeleteMarker") is True:
            chosen.append("ExpiredObjectDeleteMarker")  # "cannot be specified with Days or Date"
        if len(chosen) > 1:
            yield f"{path}.Expiration", f"at most one of Date, Days and ExpiredObjectDeleteMarker, got {chosen}"
        yield from _at_least(expiration, "Days", 1, f"{path}.Expiration")  # "a non-zero positive integer"
    noncurrent = rule.get("NoncurrentVersionExpiration")
    if isinstance(noncurrent, Mapping):
        yield from _at_least(noncurrent, "NoncurrentDays", 1, f"{path}.NoncurrentVersionExpiration")
        versions: Any = noncurrent.get("NewerNoncurrentVersions")
        if _is_number(versions) and not 1 <= versions <= 100:  # "up to 100"; Terraform AtLeast(1)
            yield f"{path}.NoncurrentVersionExpiration.NewerNoncurrentVersions", f"{versions}; 1 to 100 are allowed"
    for key, days in (("Transitions", "Days"), ("NoncurrentVersionTransitions", "NoncurrentDays")):
        for index, transition in enumerate(rule.get(key) or []):
            if isinstance(transition, Mapping):
                yield from _at_least(transition, days, 0, f"{path}.{key}[{index}]")  # "0 or any positive integer"
    # S3 refuses AbortIncompleteMultipartUpload (and ExpiredObjectDeleteMarker) with a tag or object-size
    # filter: "InvalidRequest: AbortIncompleteMultipartUpload cannot be specified with Tags" / "... with Object
    # Size" (terraform-aws-modules/terraform-aws-s3-bucket#109, umccr/infrastructure#332).
    if isinstance(rule_filter, Mapping):
        narrowing = [p for p in ("Tag", "ObjectSizeGreaterThan", "ObjectSizeLessThan") if p in rule_filter]
        and_filter = rule_filter.get("And")
        if isinstance(and_filter, Mapping):
            narrowing += [p for p in ("Tags", "ObjectSizeGreaterThan", "ObjectSizeLessThan") if and_filter.get(p)]
        if narrowing and "AbortIncompleteMultipartUpload" in rule:
            yield f"{path}.AbortIncompleteMultipartUpload", f"cannot be combined with a filter on {narrowing}"
        if narrowing and isinstance(expiration, Mapping) and expiration.get("ExpiredObjectDeleteMarker") is True:
            yield f"{path}.Expiration.ExpiredObjectDeleteMarker", f"cannot be combined with a filter on {narrowing}"


def _at_least(holder: Mapping[str, Any], member: str, minimum: int, path: str) -> Iterator[tuple[str, str]]:
    value: Any = holder.get(member)
    if _is_number(value) and value < minimum:
        yield f"{path}.{member}", f"{value} is less than the minimum {minimum}"


# --- The translation tables -----------------------------------------------------------------------

_TAGS = Field(how="map_to_list", why="Terraform getTagsIn: the tags map becomes a list of {Key, Value}")
_REGION = Field(how="drop", why="pulumi-aws v7 per-resource region: selects the endpoint, never sent")

SAGEMAKER_MODEL = Translation(
    resource_type="aws:sagemaker/model:Model",
    service="sagemaker",
    operation="CreateModel",
    name_member="ModelName",
    fields={
        "name": Field(to="ModelName", why="Terraform resourceModelCreate: ModelName from name, else a unique id"),
        "region": _REGION,
        "tags": _TAGS,
        # Terraform's s3_data_source is a list (no MaxItems), hence pulumi-aws's plural `s3DataSources`;
        # expandS3ModelDataSource sends only item 0 as the one S3DataSource structure.
        "**.s3DataSources": Field(to="S3DataSource", how="first", why="Terraform expandS3ModelDataSource: l[0]"),
    },
    defaults=(
        Default("PrimaryContainer.Mode", "SingleModel", why="Terraform primary_container.mode Default"),
        Default("Containers[].Mode", "SingleModel", why="Terraform container.mode Default"),
    ),
)

# Values pass through as planned, even where Terraform would drop them (expandProductionVariants sends
# initial_instance_count only if > 0): its schema rejects them first (IntAtLeast(1)), so reporting the
# API's own bound names the same mistake.
SAGEMAKER_ENDPOINT_CONFIGURATION = Translation(
    resource_type="aws:sagemaker/endpointConfiguration:EndpointConfiguration",
    service="sagemaker",
    operation="CreateEndpointConfig",
    name_member="EndpointConfigName",
    name_prefix_input="namePrefix",
    fields={
        "name": Field(to="EndpointConfigName", why="Terraform create.Name(name, name_prefix)"),
        "namePrefix": Field(how="drop", why="only used to generate EndpointConfigName"),
        "region": _REGION,
        "tags": _TAGS,
        "kmsKeyArn": Field(to="KmsKeyId", why="Terraform resourceEndpointConfigurationCreate: KmsKeyId = kms_key_arn"),
        "**.routingConfigs": Field(to="RoutingConfig", how="first", why="Terraform expandRoutingConfig: configured[0]"),
        "**.memorySizeInMb": Field(to="MemorySizeInMB", why="Terraform expandServerlessConfig"),
        "**.volumeSizeInGb": Field(to="VolumeSizeInGB", why="Terraform expandProductionVariants"),
        "**.enableSsmAccess": Field(to="EnableSSMAccess", why="Terraform expandProductionVariants"),
        "**.includeInferenceResponseIns": Field(
            to="IncludeInferenceResponseIn", why="Terraform expandEndpointConfigNotificationConfig (a set)"
        ),
    },
    defaults=(
        # expandProductionVariants: an absent variant_name becomes sdkid.UniqueId().
        Default("ProductionVariants[].VariantName", f"terraform-{TERRAFORM_UNIQUE_SUFFIX}", why="sdkid.UniqueId()"),
        Default("ShadowProductionVariants[].VariantName", f"terraform-{TERRAFORM_UNIQUE_SUFFIX}", why="ditto"),
        # initial_variant_weight has Default: 1, sent only for model-based variants.
        Default("ProductionVariants[].InitialVariantWeight", 1.0, requires=("ModelName",), why="Terraform Default 1"),
        Default("ShadowProductionVariants[].InitialVariantWeight", 1.0, requires=("ModelName",), why="ditto"),
    ),
)

SAGEMAKER_ENDPOINT = Translation(
    resource_type="aws:sagemaker/endpoint:Endpoint",
    service="sagemaker",
    operation="CreateEndpoint",
    name_member="EndpointName",
    fields={
        "name": Field(to="EndpointName", why="Terraform resourceEndpointCreate: EndpointName from name"),
        "region": _REGION,
        "tags": _TAGS,
    },
    defaults=(
        Default(
            "DeploymentConfig.BlueGreenUpdatePolicy.TerminationWaitInSeconds",
            0,
            why="Terraform termination_wait_in_seconds Default 0, always sent",
        ),
    ),
    checks=(_deployment_policy_exactly_one,),
)

_DIMENSIONS = Field(how="map_to_list", key="Name", value="Value", why="Terraform expandMetricAlarmDimensions")

CLOUDWATCH_METRIC_ALARM = Translation(
    resource_type="aws:cloudwatch/metricAlarm:MetricAlarm",
    service="cloudwatch",
    operation="PutMetricAlarm",
    name_member="AlarmName",
    fields={
        "name": Field(to="AlarmName", why="pulumi-aws renames Terraform's alarm_name to name"),
        "region": _REGION,
        "tags": _TAGS,
        "okActions": Field(to="OKActions", why="API spells it OKActions"),
        "dimensions": _DIMENSIONS,
        "evaluateLowSampleCountPercentiles": Field(
            to="EvaluateLowSampleCountPercentile", why="Terraform expandPutMetricAlarmInput"
        ),
        "evaluationCriteria.promqlCriteria": Field(to="PromQLCriteria", why="Terraform expandEvaluationCriteria"),
        # metric_query becomes MetricDataQuery; its `metric` block is split into MetricStat{Metric{...}, Period,
        # Stat, Unit} (Terraform expandMetricAlarmMetrics / expandMetricAlarmMetricsMetric).
        "metricQueries": Field(to="Metrics", why="Terraform expandMetricAlarmMetrics"),
        "metricQueries.metric": Field(to="MetricStat", why="Terraform expandMetricAlarmMetricsMetric"),
        "metricQueries.metric.metricName": Field(to="Metric.MetricName", why="ditto"),
        "metricQueries.metric.namespace": Field(to="Metric.Namespace", why="ditto"),
        "metricQueries.metric.dimensions": Field(
            to="Metric.Dimensions", how="map_to_list", key="Name", value="Value", why="ditto"
        ),
    },
    defaults=(
        Default(
            "Metrics[].ReturnData", False, why="Terraform expandMetricAlarmMetrics sends return_data, false if unset"
        ),
        Default("ActionsEnabled", True, unless=("EvaluationCriteria",), why="Terraform actions_enabled Default true"),
        Default(
            "TreatMissingData", "missing", unless=("EvaluationCriteria",), why="Terraform treat_missing_data Default"
        ),
        Default(
            "Threshold",
            0.0,
            unless=("EvaluationCriteria", "ThresholdMetricId"),
            why="Terraform sends threshold unless threshold_metric_id",
        ),
    ),
    checks=(_alarm_metric_rules,),
)

APPAUTOSCALING_TARGET = Translation(
    resource_type="aws:appautoscaling/target:Target",
    service="application-autoscaling",
    operation="RegisterScalableTarget",
    name_member="",
    fields={
        "region": _REGION,
        "roleArn": Field(to="RoleARN", why="API spells it RoleARN"),
        # RegisterScalableTarget's Tags is a map (TagMap), unlike SageMaker's and CloudWatch's lists.
    },
)

APPAUTOSCALING_POLICY = Translation(
    resource_type="aws:appautoscaling/policy:Policy",
    service="application-autoscaling",
    operation="PutScalingPolicy",
    name_member="PolicyName",
    fields={
        "name": Field(to="PolicyName", why="Terraform getPutScalingPolicyInput: PolicyName from name"),
        "region": _REGION,
        # Terraform keeps step bounds as strings ("" = unbounded) and parses them into doubles.
        "**.metricIntervalLowerBound": Field(how="number", why="Terraform expandStepAdjustments: ParseFloat"),
        "**.metricIntervalUpperBound": Field(how="number", why="Terraform expandStepAdjustments: ParseFloat"),
        "predictiveScalingPolicyConfiguration.metricSpecifications.targetValue": Field(
            how="number", why="Terraform expandPredictiveScalingMetricSpecification: a string parsed to a double"
        ),
    },
    defaults=(Default("PolicyType", "StepScaling", why="Terraform policy_type Default StepScaling"),),
    checks=(_scaling_policy_rules,),
)

SAGEMAKER_FEATURE_GROUP = Translation(
    resource_type="aws:sagemaker/featureGroup:FeatureGroup",
    service="sagemaker",
    operation="CreateFeatureGroup",
    name_member="",  # feature_group_name is required: never auto-named
    fields={
        "region": _REGION,
        "tags": _TAGS,
        # Everything else keeps its name: feature_definition becomes pulumi-aws's `featureDefinitions` and
        # Terraform's MaxItems-1 blocks (offline/online store, s3_storage_config, data_catalog_config,
        # security_config, ttl_duration, collection_config, vector_config) are objects, exactly as the
        # expandFeatureGroup* functions (internal/service/sagemaker/feature_group.go) build the request.
    },
    defaults=(
        # expandFeatureGroupOnlineStoreConfig: EnableOnlineStore: aws.Bool(m["enable_online_store"]), Default false.
        Default("OnlineStoreConfig.EnableOnlineStore", False, why="Terraform enable_online_store Default false"),
        # expandFeatureGroupOnlineStoreConfigTTLDuration: Value: aws.Int32(m["value"]), 0 when unset.
        Default("OnlineStoreConfig.TtlDuration.Value", 0, why="Terraform sends ttl_duration.value, 0 if unset"),
        # expandFeatureGroupOfflineStoreConfig: DisableGlueTableCreation from the (zero-valued) bool, and
        # table_format (Default Glue) are always sent.
        Default("OfflineStoreConfig.DisableGlueTableCreation", False, why="Terraform sends the bool, false if unset"),
        Default("OfflineStoreConfig.TableFormat", "Glue", why="Terraform table_format Default Glue"),
    ),
    checks=(_feature_group_rules,),
)

SAGEMAKER_MLFLOW_TRACKING_SERVER = Translation(
    resource_type="aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer",
    service="sagemaker",
    operation="CreateMlflowTrackingServer",
    name_member="",  # tracking_server_name is required: never auto-named
    fields={"region": _REGION, "tags": _TAGS},
    defaults=(
        # resourceMlflowTrackingServerCreate (internal/service/sagemaker/mlflow_tracking_server.go) always
        # sets both: automatic_model_registration Default false, tracking_server_size Default Small.
        Default("AutomaticModelRegistration", False, why="Terraform automatic_model_registration Default false"),
        Default("TrackingServerSize", "Small", why="Terraform tracking_server_size Default Small"),
    ),
)

SAGEMAKER_MODEL_PACKAGE_GROUP = Translation(
    resource_type="aws:sagemaker/modelPackageGroup:ModelPackageGroup",
    service="sagemaker",
    operation="CreateModelPackageGroup",
    name_member="",  # model_package_group_name is required: never auto-named
    # resourceModelPackageGroupCreate: ModelPackageGroupName, ModelPackageGroupDescription, Tags.
    fields={"region": _REGION, "tags": _TAGS},
)

SAGEMAKER_MODEL_PACKAGE_GROUP_POLICY = Translation(
    resource_type="aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy",
    service="sagemaker",
    operation="PutModelPackageGroupPolicy",
    name_member="",
    fields={
        "region": _REGION,
        "resourcePolicy": Field(
            how="json", why="Terraform resourceModelPackageGroupPolicyPut: structure.NormalizeJsonString"
        ),
    },
)

# A Terraform Plugin Framework resource: AutoFlex expands the model (internal/service/s3/
# bucket_lifecycle_configuration.go). Values pass through as planned where the provider would drop them
# (expiration `days` 0 is sent as unset): the rule checks name the same mistake.
S3_BUCKET_LIFECYCLE_CONFIGURATION = Translation(
    resource_type="aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    service="s3",
    operation="PutBucketLifecycleConfiguration",
    name_member="",
    fields={
        "region": _REGION,
        "timeouts": Field(how="drop", why="Terraform timeouts block: client-side waits, never sent"),
        "rules": Field(
            to="LifecycleConfiguration.Rules",
            why="Create: LifecycleConfiguration = BucketLifecycleConfiguration{Rules}",
        ),
        "rules.id": Field(to="ID", why="lifecycleRuleModel.Expand: r.ID"),
        "rules.prefix": Field(how="omit_empty", why="lifecycleRuleModel.Expand: EmptyStringAsNull(m.Prefix)"),
        "rules.filter.and.tags": Field(
            how="map_to_list", why="lifecycleRuleAndOperatorModel.Expand: svcTags, a list of {Key, Value}"
        ),
    },
    defaults=(
        # lifecycleRuleModel.Expand: with neither filter nor prefix, an empty LifecycleRuleFilter is sent.
        Default("LifecycleConfiguration.Rules[].Filter", {}, unless=("Prefix",), why="lifecycleRuleModel.Expand"),
        # lifecycleExpirationModel.Expand: ExpiredObjectDeleteMarker false when neither date nor days is set.
        Default(
            "LifecycleConfiguration.Rules[].Expiration.ExpiredObjectDeleteMarker",
            False,
            unless=("Date", "Days"),
            why="lifecycleExpirationModel.Expand",
        ),
        # transitionModel.Expand: Days 0 when neither days nor date is set.
        Default("LifecycleConfiguration.Rules[].Transitions[].Days", 0, unless=("Date",), why="transitionModel.Expand"),
        # transitionDefaultMinimumObjectSizeDefault: all_storage_classes_128K for general purpose buckets
        # (mlstack creates no directory buckets, which get nothing).
        Default(
            "TransitionDefaultMinimumObjectSize",
            "all_storage_classes_128K",
            why="Terraform plan modifier transitionDefaultMinimumObjectSizeDefault",
        ),
    ),
    checks=(_lifecycle_rules,),
)

TRANSLATIONS: Mapping[str, Translation] = {
    t.resource_type: t
    for t in (
        SAGEMAKER_MODEL,
        SAGEMAKER_ENDPOINT_CONFIGURATION,
        SAGEMAKER_ENDPOINT,
        CLOUDWATCH_METRIC_ALARM,
        APPAUTOSCALING_TARGET,
        APPAUTOSCALING_POLICY,
        SAGEMAKER_FEATURE_GROUP,
        SAGEMAKER_MLFLOW_TRACKING_SERVER,
        SAGEMAKER_MODEL_PACKAGE_GROUP,
        SAGEMAKER_MODEL_PACKAGE_GROUP_POLICY,
        S3_BUCKET_LIFECYCLE_CONFIGURATION,
    )
}
SAGEMAKER_TYPES = frozenset(t.resource_type for t in TRANSLATIONS.values() if t.service == "sagemaker")


# --- botocore models ------------------------------------------------------------------------------


@functools.cache
def service_model(service: str) -> Any:
    """botocore's bundled model of `service` (a `botocore.model.ServiceModel`)."""
    loader = botocore.loaders.Loader()
    return botocore.model.ServiceModel(loader.load_service_model(service, "service-2"), service)


def input_shape(translation: Translation) -> Shape:
    return service_model(translation.service).operation_model(translation.operation).input_shape


# --- Translation ------------------------------------------------------------------------------------


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


class _Translator:
    def __init__(self, translation: Translation, resource: PlannedResource, region: str) -> None:
        self.translation = translation
        self.resource = resource
        self.region = region
        self.substitutions: list[Substitution] = []
        self.findings: list[Finding] = []

    def finding(self, path: str, message: str) -> None:
        self.findings.append(Finding(self.resource.name, self.translation.operation, path, message))

    def request(self) -> dict[str, Any]:
        shape = input_shape(self.translation)
        params = self.struct(self.resource.inputs, (), shape, "")
        self.apply_defaults(params)
        self.apply_name(params)
        return params

    def struct(self, value: Mapping[str, Any], wire_path: tuple[str, ...], shape: Shape, path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in sorted(value):
            item_path = (*wire_path, key)
            rule = self.translation.field_for(item_path)
            if rule.how == "drop":
                continue
            *parents, member = (rule.to or key[:1].upper() + key[1:]).split(".")
            holder, holder_shape, holder_path = out, shape, path
            for parent in parents:
                holder = holder.setdefault(parent, {})
                holder_shape = _member(holder_shape, parent)
                holder_path = _join(holder_path, parent)
            converted = self.field(
                value[key], rule, item_path, _member(holder_shape, member), _join(holder_path, member)
            )
            if converted is not _OMIT:
                holder[member] = converted
        return out

    def field(self, value: Any, rule: Field, wire_path: tuple[str, ...], shape: Shape, path: str) -> Any:
        if _is_opaque(value):
            return self.placeholder(value, shape, path)
        if rule.how == "first" and isinstance(value, list):
            if len(value) > 1:
                self.finding(path, f"pulumi-aws sends only the first of these {len(value)} items; the rest are dropped")
            return self.convert(value[0], wire_path, shape, path) if value else _OMIT
        if rule.how == "map_to_list" and isinstance(value, Mapping):
            element = shape.member if shape is not None and shape.type_name == "list" else None
            items = []
            for index, key in enumerate(sorted(value)):
                item_path = f"{path}[{index}]"
                items.append(
                    {
                        rule.key: key,
                        rule.value: self.convert(value[key], wire_path, _member(element, rule.value), item_path),
                    }
                )
            return items
        if rule.how == "omit_empty" and value == "":
            return _OMIT
        if rule.how == "json" and isinstance(value, str):
            # Terraform structure.NormalizeJsonString: json.Unmarshal then json.Marshal (compact, keys sorted).
            try:
                document = json.loads(value)
            except ValueError as error:
                self.finding(path, f"not valid JSON ({error}); the provider rejects it before calling AWS")
                return value
            return json.dumps(document, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
        if rule.how == "number" and isinstance(value, str):
            if value == "":
                return _OMIT  # Terraform: an empty bound means unbounded and is not sent
            try:
                return float(value)
            except ValueError:
                self.finding(path, f"{value!r} is not a number; the provider cannot parse it")
                return _OMIT
        return self.convert(value, wire_path, shape, path)

    def convert(self, value: Any, wire_path: tuple[str, ...], shape: Shape, path: str) -> Any:
        if _is_opaque(value):
            return self.placeholder(value, shape, path)
        kind = shape.type_name if shape is not None else None
        if isinstance(value, Mapping):
            if kind == "map":
                return {k: self.convert(v, wire_path, shape.value, f"{path}.{k}") for k, v in value.items()}
            return self.struct(value, wire_path, shape if kind == "structure" else None, path)
        if isinstance(value, list):
            element = shape.member if kind == "list" else None
            return [self.convert(item, wire_path, element, f"{path}[{i}]") for i, item in enumerate(value)]
        return value

    def placeholder(self, value: Any, shape: Shape, path: str) -> Any:
        reason: Reason = "secret" if value == SECRET_TEXT else "unknown at preview"
        if shape is None:
            # Not a member the API knows: keep the text, so that ParamValidator names the member.
            return value
        member = re.sub(r"\[\d+\]$", "", path.rsplit(".", 1)[-1])
        stand_in = placeholder_for(shape, member, self.region)
        self.substitutions.append(
            Substitution(path, stand_in, reason, verified=not constraint_findings(stand_in, shape))
        )
        return stand_in

    def apply_defaults(self, params: dict[str, Any]) -> None:
        for default in self.translation.defaults:
            for holder, path in _holders(params, default.path.split(".")[:-1], ""):
                member = default.path.rsplit(".", 1)[-1]
                if member in holder or any(r not in holder for r in default.requires):
                    continue
                if any(u in holder for u in default.unless):
                    continue
                holder[member] = copy.deepcopy(default.value)
                self.substitutions.append(Substitution(_join(path, member), default.value, "provider default"))

    def apply_name(self, params: dict[str, Any]) -> None:
        member = self.translation.name_member
        if not member or member in params:
            return
        prefix_input = self.translation.name_prefix_input
        prefix = self.resource.inputs.get(prefix_input) if prefix_input else None
        if isinstance(prefix, str) and not _is_opaque(prefix):
            name = prefix + TERRAFORM_UNIQUE_SUFFIX
        else:
            name = self.resource.name + AUTONAME_SUFFIX
        params[member] = name
        # Verified by the validation that follows: a too-long logical name is a real finding.
        self.substitutions.append(Substitution(member, name, "auto-name"))


_OMIT: Any = object()


def _is_opaque(value: Any) -> bool:
    return isinstance(value, str) and value in (UNKNOWN_TEXT, SECRET_TEXT)


def _join(path: str, member: str) -> str:
    return f"{path}.{member}" if path else member


def _member(shape: Shape, name: str) -> Shape:
    if shape is None or shape.type_name != "structure":
        return None
    return shape.members.get(name)


def _holders(value: Any, segments: list[str], path: str) -> Iterator[tuple[dict[str, Any], str]]:
    """The existing structures at `segments` (`X[]` steps into every item of list X)."""
    if not segments:
        if isinstance(value, dict):
            yield value, path
        return
    head, rest = segments[0], segments[1:]
    name = head.removesuffix("[]")
    if not isinstance(value, dict) or name not in value:
        return
    if head.endswith("[]"):
        items = value[name]
        for index, item in enumerate(items if isinstance(items, list) else []):
            yield from _holders(item, rest, f"{_join(path, name)}[{index}]")
    else:
        yield from _holders(value[name], rest, _join(path, name))


def translate(resource: PlannedResource, *, region: str) -> ApiRequest:
    """The API request pulumi-aws would send to create `resource` (of a type in `TRANSLATIONS`)."""
    translation = TRANSLATIONS[resource.type]
    translator = _Translator(translation, resource, region)
    params = translator.request()
    return ApiRequest(
        resource=resource.name,
        urn=resource.urn,
        resource_type=resource.type,
        service=translation.service,
        operation=translation.operation,
        params=params,
        substitutions=tuple(translator.substitutions),
        translation_findings=tuple(translator.findings),
    )


# --- Placeholders for values unknown at preview ------------------------------------------------------

# By API member name first (the same shape can mean different things), then by botocore shape name.
# `{region}`, `{partition}` and `{account}` are filled in.
_S3_PLACEHOLDER = f"s3://{PLACEHOLDER_NAME}/known-after-apply/"
_PLACEHOLDERS_BY_MEMBER: Mapping[str, str] = {
    "RoleARN": f"arn:{{partition}}:iam::{{account}}:role/{PLACEHOLDER_NAME}",
    "ResourceId": f"endpoint/{PLACEHOLDER_NAME}/variant/AllTraffic",
    "AlarmActions": f"arn:{{partition}}:sns:{{region}}:{{account}}:{PLACEHOLDER_NAME}",
    "OKActions": f"arn:{{partition}}:sns:{{region}}:{{account}}:{PLACEHOLDER_NAME}",
    "InsufficientDataActions": f"arn:{{partition}}:sns:{{region}}:{{account}}:{PLACEHOLDER_NAME}",
}
_PLACEHOLDERS_BY_SHAPE: Mapping[str, str] = {
    "ModelName": PLACEHOLDER_NAME,
    "EndpointConfigName": PLACEHOLDER_NAME,
    "EndpointName": PLACEHOLDER_NAME,
    "VariantName": PLACEHOLDER_NAME,
    "AlarmName": PLACEHOLDER_NAME,
    "KmsKeyId": "arn:{partition}:kms:{region}:{account}:key/00000000-0000-4000-8000-000000000000",
    "RoleArn": f"arn:{{partition}}:iam::{{account}}:role/{PLACEHOLDER_NAME}",
    "ContainerImage": f"{{account}}.dkr.ecr.{{region}}.amazonaws.com/{PLACEHOLDER_NAME}:latest",
    "Url": _S3_PLACEHOLDER,
    "S3ModelUri": _S3_PLACEHOLDER,
    "DestinationS3Uri": _S3_PLACEHOLDER,
    "SnsTopicArn": f"arn:{{partition}}:sns:{{region}}:{{account}}:{PLACEHOLDER_NAME}",
    "CsvContentType": "text/csv",
    "JsonContentType": "application/json",
    "ClarifyMimeType": "application/json",
    "MetricsEndpointPath": "/metrics",
    "AcceleratorPartitionType": "mig-1g.10gb",
    "AccountId": "{account}",
    "MlflowVersion": "2.16.2",
    "WeeklyMaintenanceWindowStart": "Sun:03:00",
}
_GENERIC_STRINGS = (
    PLACEHOLDER_NAME,
    f"arn:{{partition}}:sagemaker:{{region}}:{{account}}:endpoint/{PLACEHOLDER_NAME}",
    _S3_PLACEHOLDER,
    "a",
)


def placeholder_for(shape: Shape, member: str, region: str) -> Any:
    """A realistic value of `shape` (for the request member `member`) that satisfies its constraints."""
    kind = shape.type_name
    metadata = shape.metadata
    if kind == "structure":
        return {name: placeholder_for(shape.members[name], name, region) for name in shape.required_members}
    if kind == "list":
        return [placeholder_for(shape.member, member, region)] * max(1, int(metadata.get("min", 1)))
    if kind == "map":
        return {}
    if kind == "boolean":
        return False
    if kind in _NUMBER_KINDS:
        number = max(metadata.get("min", 1), 1)
        if "max" in metadata and number > metadata["max"]:
            number = metadata.get("min", metadata["max"])
        return float(number) if kind in ("float", "double") else int(number)
    if kind == "timestamp":
        return "2025-01-01T00:00:00Z"
    if kind != "string":
        return PLACEHOLDER_NAME
    if metadata.get("enum"):
        return metadata["enum"][0]
    fill = {"region": region, "partition": partition_of(region), "account": PLACEHOLDER_ACCOUNT}
    preferred = _PLACEHOLDERS_BY_MEMBER.get(member) or _PLACEHOLDERS_BY_SHAPE.get(shape.name)
    candidates = ([preferred] if preferred else []) + list(_GENERIC_STRINGS)
    for candidate in candidates:
        text = candidate.format(**fill)
        if not constraint_findings(text, shape):
            return text
    return candidates[0].format(**fill)


# --- Validation ---------------------------------------------------------------------------------------


def validate(request: ApiRequest) -> list[Finding]:
    """Every reason AWS (or the provider, before calling it) would reject `request`."""
    translation = TRANSLATIONS[request.resource_type]
    shape = input_shape(translation)
    params = copy.deepcopy(dict(request.params))
    problems: list[tuple[str, str]] = []
    report = botocore.validate.ParamValidator().validate(params, shape)
    for error in report._errors:
        problems.append(_param_validator_problem(report, error))
    problems.extend(constraint_findings(params, shape))
    for check in translation.checks:
        problems.extend(check(params))
    # A stand-in that could not be made to fit says nothing about the real value: drop what it caused.
    unverified = tuple(s.path for s in request.substitutions if not s.verified)
    findings = list(request.translation_findings)
    seen: set[tuple[str, str]] = set()
    for path, message in problems:
        if any(path == u or path.startswith((f"{u}.", f"{u}[", f"{u} ")) for u in unverified):
            continue
        if (path, message) in seen:
            continue
        seen.add((path, message))
        findings.append(Finding(request.resource, request.operation, path, message))
    return findings


def _param_validator_problem(report: Any, error: tuple[str, str, Mapping[str, Any]]) -> tuple[str, str]:
    reason, name, extra = error
    path = name[1:] if name.startswith(".") else name
    if reason == "missing required field":
        return _join(path, extra["required_name"]), "missing required field"
    if reason == "unknown field":
        return (
            _join(path, extra["unknown_param"]),
            f"not a member of this structure (members: {', '.join(extra['valid_names'])})",
        )
    return path, str(report._format_error(error))


def constraint_findings(value: Any, shape: Shape, path: str = "") -> list[tuple[str, str]]:
    """(path, message) for what ParamValidator skips: enum, pattern, max of strings/lists/numbers, map sizes."""
    problems: list[tuple[str, str]] = []
    _walk(value, shape, path, problems)
    return problems


def _walk(value: Any, shape: Shape, path: str, out: list[tuple[str, str]]) -> None:
    kind = shape.type_name
    metadata = shape.metadata
    if kind == "structure" and isinstance(value, Mapping):
        for key, item in value.items():
            member = shape.members.get(key)
            if member is not None:
                _walk(item, member, _join(path, key), out)
    elif kind == "list" and isinstance(value, list | tuple):
        if "max" in metadata and len(value) > metadata["max"]:
            out.append((path, f"{len(value)} items; at most {metadata['max']} are allowed"))
        for index, item in enumerate(value):
            _walk(item, shape.member, f"{path}[{index}]", out)
    elif kind == "map" and isinstance(value, Mapping):
        if len(value) < metadata.get("min", 0) or len(value) > metadata.get("max", len(value)):
            out.append((path, f"{len(value)} entries; allowed {metadata.get('min', 0)}..{metadata.get('max')}"))
        for key, item in value.items():
            _walk(key, shape.key, f"{path} (key: {key})", out)
            _walk(item, shape.value, f"{path}.{key}", out)
    elif kind == "string" and isinstance(value, str):
        _check_string(value, shape, path, out)
    elif kind in _NUMBER_KINDS and _is_number(value) and value > metadata.get("max", float("inf")):
        out.append((path, f"{value} is more than the maximum {metadata['max']}"))


_NUMBER_KINDS = ("integer", "long", "float", "double")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_string(value: str, shape: Shape, path: str, out: list[tuple[str, str]]) -> None:
    metadata = shape.metadata
    allowed = metadata.get("enum")
    if allowed and value not in allowed:
        message = f"{value!r} is not one of the {len(allowed)} allowed values"
        close = difflib.get_close_matches(value, allowed, n=3)
        out.append((path, message + (f"; did you mean {', '.join(map(repr, close))}?" if close else "")))
    if "max" in metadata and len(value) > metadata["max"]:
        out.append((path, f"{value!r} is {len(value)} characters long; at most {metadata['max']} are allowed"))
    pattern = metadata.get("pattern")
    if pattern is not None and compile_java_pattern(pattern).fullmatch(value) is None:
        out.append((path, f"{value!r} does not match the pattern {pattern!r}"))


# --- botocore's patterns are Java regular expressions -------------------------------------------------

_PROPERTY = re.compile(r"\\p\{(\w+)\}")
_JAVA_DOT = "[^\\n\\r\\u0085\\u2028\\u2029]"
_SURROGATE_PAIR = re.compile(r"\\u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})")


@functools.cache
def compile_java_pattern(pattern: str) -> re.Pattern[str]:
    """`pattern` (Java syntax) as a Python regex with Java's meaning; use `fullmatch`, as Java's `matches()`.

    Differences handled: `\\p{L}`-style Unicode categories and `\\p{Print}` (which `re` lacks), UTF-16
    surrogate pairs in ranges (`\\uD800\\uDC00-\\uDBFF\\uDFFF` = U+10000..U+10FFFF), and ASCII-only
    `\\w \\d \\s` (Java's default, `re.ASCII`); and `.`, which in Java excludes every line terminator
    (`\\n \\r \\u0085 \\u2028 \\u2029`), not only `\\n`. An unsupported construct raises, never passes silently.
    """
    out: list[str] = []
    index, in_class = 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            prop = _PROPERTY.match(pattern, index)
            pair = _SURROGATE_PAIR.match(pattern, index)
            if prop:
                body = _property_class_body(prop.group(1))
                out.append(body if in_class else f"[{body}]")
                index = prop.end()
            elif pair:
                high, low = int(pair.group(1), 16), int(pair.group(2), 16)
                out.append(f"\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08x}")
                index = pair.end()
            else:
                out.append(pattern[index : index + 2])
                index += 2
            continue
        if char == "." and not in_class:
            out.append(_JAVA_DOT)
            index += 1
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        index += 1
    return re.compile("".join(out), re.ASCII)


@functools.cache
def _property_class_body(name: str) -> str:
    if name == "Print":
        return r"\x20-\x7e"  # Java's POSIX \p{Print} is US-ASCII only
    if name not in ("L", "N", "Z", "P", "S", "M", "C"):
        raise ValueError(f"unsupported Java regex property \\p{{{name}}}")
    return "".join(_range_text(low, high) for low, high in _category_ranges()[name])


@functools.cache
def _category_ranges() -> Mapping[str, list[tuple[int, int]]]:
    ranges: dict[str, list[tuple[int, int]]] = {}
    for code in range(0x110000):
        category = unicodedata.category(chr(code))[0]
        spans = ranges.setdefault(category, [])
        if spans and spans[-1][1] == code - 1:
            spans[-1] = (spans[-1][0], code)
        else:
            spans.append((code, code))
    return ranges


def _range_text(low: int, high: int) -> str:
    return f"\\U{low:08x}" if low == high else f"\\U{low:08x}-\\U{high:08x}"


# --- Whole plans ------------------------------------------------------------------------------------


def check_resources(resources: Iterable[PlannedResource], *, region: str) -> OracleReport:
    """Translate and validate every resource of a supported type; others are ignored."""
    requests = tuple(translate(r, region=region) for r in resources if r.type in TRANSLATIONS)
    findings = tuple(finding for request in requests for finding in validate(request))
    return OracleReport(requests, findings)


def check_plan(plan: Plan, *, region: str) -> OracleReport:
    return check_resources(plan.resources, region=region)


def with_inputs(resource: PlannedResource, edit: Callable[[dict[str, Any]], object]) -> PlannedResource:
    """A copy of `resource` whose inputs (deep-copied) `edit` has changed in place."""
    inputs = copy.deepcopy(dict(resource.inputs))
    edit(inputs)
    return dataclasses.replace(resource, inputs=inputs)


__all__ = [
    "SAGEMAKER_TYPES",
    "TRANSLATIONS",
    "ApiRequest",
    "Finding",
    "OracleReport",
    "Substitution",
    "Translation",
    "check_plan",
    "check_resources",
    "compile_java_pattern",
    "constraint_findings",
    "input_shape",
    "placeholder_for",
    "service_model",
    "translate",
    "validate",
    "with_inputs",
]
