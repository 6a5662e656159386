"""An independent oracle for planned AWS resources: the API request AWS would receive, checked by botocore.

The offline plan runs under the Pulumi SDK's mocks, which accept any value: a bogus instance type, a
variant name SageMaker rejects, an instance count of 0 all plan fine and fail only at `pulumi up`.
This module turns each planned pulumi-aws resource into the request the provider sends
(CreateModel, CreateEndpointConfig, CreateEndpoint, CreateInferenceComponent, PutMetricAlarm,
RegisterScalableTarget, PutScalingPolicy, CreateFeatureGroup, CreateMlflowTrackingServer,
CreateModelPackageGroup, PutModelPackageGroupPolicy, PutBucketLifecycleConfiguration,
CreateDataQualityJobDefinition, CreateModelQualityJobDefinition, CreateMonitoringSchedule, CreateTopic,
Subscribe, PutRule, PutDashboard) and checks it against botocore's bundled service model, which AWS
publishes for its SDKs. An input that no create operation has a member for, but an update does (an
inference component's DeploymentConfig), is checked in that update's request too (UpdateInferenceComponent):
`UPDATE_TRANSLATIONS`. It shares no code with the components it checks.

The translation mirrors pulumi-aws, a bridge over the Terraform AWS provider: inputs arrive in
pulumi-aws's camelCase wire names, and the provider's `expand*` functions build the request. The
model-quality job definition, the endpoint and inference components come from pulumi-aws-native
instead, over AWS Cloud Control: its wire names are the CloudFormation property names in camelCase,
and the CloudFormation resource handler (aws-cloudformation-resource-providers-sagemaker,
TranslatorForRequest) builds the request. The default rule is camelCase -> PascalCase with the same
shape; `Translation.fields` lists every exception, each with where it was verified. Values unknown at
preview are replaced by realistic placeholders, and every replacement is recorded in
`ApiRequest.substitutions`.

Some rules span resources (a schedule and the job definition it runs, a job definition and the
endpoint it watches, a component and its endpoint, variant and model, a scaling target or policy and
what it scales): `check_resources` checks them over the whole plan.

Validation is `botocore.validate.ParamValidator` (required members, unknown members, types, `min`)
plus a walk of the shape for what it skips: `enum`, `pattern` (a full match, as AWS's Java services
apply them), `max` of strings, lists, maps and numbers, and map sizes.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import functools
import itertools
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import botocore.loaders
import botocore.model
import botocore.validate

from mlstack.stack.plan.engine import SECRET_TEXT, UNKNOWN_TEXT, Plan, PlannedResource

Shape = Any
"""A `botocore.model.Shape` (botocore ships no type information)."""

PLACEHOLDER_NAME = "mlstack-known-after-apply"
PLACEHOLDER_ACCOUNT = "000000000000"
# Pulumi's auto-name is `<logical name>-<7 random hex digits>` (tfbridge.AutoName, which pulumi-aws
# applies to every resource with a `name` input: provider/autonaming.go, maxLength 255).
AUTONAME_SUFFIX = "-0a1b2c3"
# Terraform's `create.Name(name, prefix)` appends `id.UniqueId()`'s 26-digit timestamp and counter.
TERRAFORM_UNIQUE_SUFFIX = "20250101000000000000000001"
CLOUDFORMATION_RANDOM = "a1B2c3D4e5F6"

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
    how: Literal[
        "rename",
        "drop",
        "first",
        "wrap",
        "map_to_list",
        "number",
        "json",
        "omit_empty",
        "flag_struct",
        "attribute",
        "enabled_state",
    ] = "rename"
    """`drop`: not sent; `first`: a Pulumi list of which the provider sends only item 0 as a structure;
    `wrap`: a Pulumi object (a Terraform MaxItems-1 block) the provider sends as a one-item list;
    `map_to_list`: a map sent as a list of {key, value} structures; `number`: a string sent as a double;
    `json`: a JSON document the provider re-encodes compactly (invalid JSON fails before any request);
    `omit_empty`: a string not sent when empty; `flag_struct`: a boolean sent as an empty structure when
    true, not at all when false; `attribute`: an entry of a string-to-string attribute map (booleans as
    "true"/"false", numbers as digits); `enabled_state`: a boolean sent as "ENABLED" or "DISABLED"."""
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
    auto_name: Literal["pulumi", "cloudformation"] = "pulumi"
    """Who names the resource when no name is given: Pulumi's auto-name, or the CloudFormation handler's."""

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
    dependencies: tuple[str, ...] = ()
    """URNs of the resources this one waits for (creation order, for the rules across resources)."""

    def substituted(self, path: str) -> bool:
        """Whether the value at `path` (or above it) is a stand-in rather than the planned value."""
        return any(
            path == s.path or path.startswith((f"{s.path}.", f"{s.path}["))
            for s in self.substitutions
            if s.reason in ("unknown at preview", "secret")
        )


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
    # Blue/green and rolling updates are alternatives (API_DeploymentConfig.html), and an
    # AutoRollbackConfiguration alone would leave SageMaker's default update with nothing to roll
    # back: mlstack always sends exactly one policy with its alarms.
    config = request.get("DeploymentConfig")
    if isinstance(config, Mapping):
        present = [key for key in ("BlueGreenUpdatePolicy", "RollingUpdatePolicy") if key in config]
        if len(present) != 1:
            yield (
                "DeploymentConfig",
                f"exactly one of BlueGreenUpdatePolicy and RollingUpdatePolicy is required, got {present or 'none'}",
            )


def _model_container_rules(request: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    # CreateModel takes one PrimaryContainer or a pipeline of Containers: "Instead of setting one PrimaryContainer, you
    # use the Containers parameter" (the developer guide's inference-pipelines.html, quoted in aws/aws-cdk#13405);
    # "SageMaker expects either a single primary container, xor a list of container definitions"
    # (aws/amazon-sagemaker-operator-for-k8s#164). Terraform's resourceModelCreate sends whichever of primary_container
    # and container is set.
    present = [key for key in ("PrimaryContainer", "Containers") if request.get(key)]
    if len(present) != 1:
        yield "", f"exactly one of PrimaryContainer and Containers is required, got {present or 'none'}"
    containers = [c for c in request.get("Containers") or [] if isinstance(c, Mapping)]
    # ContainerDefinition.ContainerHostname: "If you specify a value for the ContainerHostName for any
    # ContainerDefinition that is part of an inference pipeline, you must specify a value for the ContainerHostName
    # parameter of every ContainerDefinition in that pipeline"; the value "uniquely identifies the container".
    hostnames = [c.get("ContainerHostname") for c in containers]
    named = [h for h in hostnames if h is not None]
    if named and len(named) != len(hostnames):
        missing = [i for i, h in enumerate(hostnames) if h is None]
        yield "Containers", f"containers {missing} have no ContainerHostname, which every container needs once one has"
    for index, hostname in enumerate(hostnames):
        if hostname is not None and hostnames.index(hostname) != index:
            yield (
                f"Containers[{index}].ContainerHostname",
                f"{hostname!r} is also container {hostnames.index(hostname)}'s",
            )


def _async_inference_provider_rules(request: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    # The Terraform schema of async_inference_config (internal/service/sagemaker/endpoint_configuration.go) is stricter
    # than the API, whose AsyncInferenceOutputConfig requires no member: output_config.s3_output_path is Required, and
    # kms_key_id, notification_config.success_topic and error_topic are verify.ValidARN. pulumi-aws rejects these
    # before any request.
    config = request.get("AsyncInferenceConfig")
    output = config.get("OutputConfig") if isinstance(config, Mapping) else None
    if not isinstance(output, Mapping):
        return
    if "S3OutputPath" not in output:
        yield "AsyncInferenceConfig.OutputConfig.S3OutputPath", "required by pulumi-aws (output_config.s3_output_path)"
    notification = output.get("NotificationConfig")
    for member, holder in (
        ("KmsKeyId", output),
        ("NotificationConfig.SuccessTopic", notification),
        ("NotificationConfig.ErrorTopic", notification),
    ):
        value = holder.get(member.rsplit(".", 1)[-1]) if isinstance(holder, Mapping) else None
        if isinstance(value, str) and not _is_arn(value):
            yield (
                f"AsyncInferenceConfig.OutputConfig.{member}",
                f"{value!r} is not an ARN; pulumi-aws takes only an ARN",
            )


def _inference_component_rules(request: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    # Specifications (botocore's documentation): "You can use either this parameter or the singular Specification
    # parameter, but not both"; the CloudFormation schema requires one of them (oneOf, aws-sagemaker-inferencecomponent
    # .json).
    present = [key for key in ("Specification", "Specifications") if key in request]
    if len(present) != 1:
        yield "", f"exactly one of Specification and Specifications is required, got {present or 'none'}"
    # ComputeResourceRequirements: "Omit this parameter if your request is meant to create an adapter inference
    # component", which "uses the compute resources of the base inference component".
    specification = request.get("Specification")
    if isinstance(specification, Mapping) and {"BaseInferenceComponentName", "ComputeResourceRequirements"} <= set(
        specification
    ):
        yield "Specification.ComputeResourceRequirements", "an adapter (BaseInferenceComponentName) reserves none"


# InferenceComponentRollingUpdatePolicy.MaximumBatchSize (botocore's documentation): "The value must be between 5% to
# 50% of the copy count of the inference component."
COMPONENT_BATCH_PERCENT = (5, 50)


def _component_rollout_rules(request: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    policy = (request.get("DeploymentConfig") or {}).get("RollingUpdatePolicy")
    size = policy.get("MaximumBatchSize") if isinstance(policy, Mapping) else None
    if not isinstance(size, Mapping) or size.get("Type") != "CAPACITY_PERCENT":
        return  # a COPY_COUNT batch is a share of a copy count that autoscaling changes
    value: Any = size.get("Value")
    low, high = COMPONENT_BATCH_PERCENT
    if _is_number(value) and not low <= value <= high:
        yield (
            "DeploymentConfig.RollingUpdatePolicy.MaximumBatchSize.Value",
            f"{value}% per batch; a rolling update of a component takes {low}% to {high}% of its copies per batch",
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
    step = request.get("StepScalingPolicyConfiguration")
    if isinstance(step, Mapping):
        yield from _step_scaling_rules(step, "StepScalingPolicyConfiguration")


def _step_scaling_rules(config: Mapping[str, Any], path: str) -> Iterator[tuple[str, str]]:
    # StepScalingPolicyConfiguration (botocore's documentation): "AdjustmentType is required if you are adding a new
    # step scaling policy configuration"; "At least one step adjustment is required if you are adding a new step
    # scaling policy configuration."
    if "AdjustmentType" not in config:
        yield f"{path}.AdjustmentType", "required for a new step scaling policy"
    steps = [s for s in config.get("StepAdjustments") or [] if isinstance(s, Mapping)]
    if not steps:
        yield f"{path}.StepAdjustments", "a new step scaling policy needs at least one step adjustment"
        return
    # StepAdjustment: "The upper and lower bound can't be null in the same step adjustment"; MetricIntervalUpperBound:
    # "The upper bound must be greater than the lower bound"; ScalingAdjustment: "For exact capacity, you must specify
    # a non-negative value."
    bounds: list[tuple[float, float, int]] = []
    for index, adjustment in enumerate(steps):
        where = f"{path}.StepAdjustments[{index}]"
        lower: Any = adjustment.get("MetricIntervalLowerBound")
        upper: Any = adjustment.get("MetricIntervalUpperBound")
        if lower is None and upper is None:
            yield where, "the lower and upper bound cannot both be null (unbounded) in one step adjustment"
        elif _is_number(lower) and _is_number(upper) and upper <= lower:
            yield where, f"upper bound {upper} is not greater than lower bound {lower}"
        scaling: Any = adjustment.get("ScalingAdjustment")
        if config.get("AdjustmentType") == "ExactCapacity" and _is_number(scaling) and scaling < 0:
            yield f"{where}.ScalingAdjustment", f"{scaling}: an exact capacity cannot be negative"
        if (lower is None or _is_number(lower)) and (upper is None or _is_number(upper)):
            low = float("-inf") if lower is None else float(lower)
            high = float("inf") if upper is None else float(upper)
            bounds.append((low, high, index))
    # "At most one step adjustment can have a null lower bound. If one step adjustment has a negative lower bound,
    # then there must be a step adjustment with a null lower bound." (and the same for upper bounds)
    lows, highs = [b[0] for b in bounds], [b[1] for b in bounds]
    if lows.count(float("-inf")) > 1:
        yield f"{path}.StepAdjustments", "at most one step adjustment can have a null lower bound"
    if any(low < 0 for low in lows) and float("-inf") not in lows:
        yield f"{path}.StepAdjustments", "a negative lower bound needs a step adjustment with a null lower bound"
    if highs.count(float("inf")) > 1:
        yield f"{path}.StepAdjustments", "at most one step adjustment can have a null upper bound"
    if any(high > 0 for high in highs) and float("inf") not in highs:
        yield f"{path}.StepAdjustments", "a positive upper bound needs a step adjustment with a null upper bound"
    # "The ranges of your step adjustments can't overlap or have a gap."
    ordered = sorted(bounds)
    for (_, high, before), (low, _, after) in itertools.pairwise(ordered):
        if low != high:
            kind = "overlap" if low < high else "leave a gap"
            yield (
                f"{path}.StepAdjustments",
                f"step adjustments {before} and {after} {kind} between {min(low, high)} and {max(low, high)}",
            )


# RegisterScalableTarget ResourceId (botocore's documentation), by SageMaker scalable dimension: "SageMaker endpoint
# variant - ... Example: endpoint/my-end-point/variant/KMeansClustering", "SageMaker serverless endpoint - ... (the
# same form)", "SageMaker inference component - ... Example: inference-component/my-inference-component".
_SAGEMAKER_RESOURCE_IDS: Mapping[str, tuple[re.Pattern[str], str]] = {
    "sagemaker:variant:DesiredInstanceCount": (re.compile(r"endpoint/[^/]+/variant/[^/]+"), "endpoint/E/variant/V"),
    "sagemaker:variant:DesiredProvisionedConcurrency": (
        re.compile(r"endpoint/[^/]+/variant/[^/]+"),
        "endpoint/E/variant/V",
    ),
    "sagemaker:inference-component:DesiredCopyCount": (
        re.compile(r"inference-component/[^/]+"),
        "inference-component/NAME",
    ),
}


def _scalable_resource_rules(request: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    resource_id, dimension = request.get("ResourceId"), request.get("ScalableDimension")
    form = _SAGEMAKER_RESOURCE_IDS.get(str(dimension))
    if request.get("ServiceNamespace") != "sagemaker" or form is None or not isinstance(resource_id, str):
        return
    if PLACEHOLDER_NAME in resource_id:
        return  # a stand-in for an unknown id says nothing about the real one
    if form[0].fullmatch(resource_id) is None:
        yield "ResourceId", f"{resource_id!r} is not a {dimension} resource id ({form[1]})"


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


# --- Model Monitor: job definitions and schedules ------------------------------------------------

# CreateMonitoringSchedule's ScheduleConfig.ScheduleExpression (documentation in botocore's model, which has
# no pattern for it): "The supported cron expressions are": hourly `cron(0 * ? * * *)`, daily
# `cron(0 [00-23] ? * * *)`, every N hours `cron(0 [00-23]/[01-24] ? * * *)`, and `NOW` for one run at once.
_SCHEDULE_FORM = re.compile(r"cron\(0 (?:(\*)|(\d{1,2})(?:/(\d{1,2}))?) \? \* \* \*\)")
SCHEDULE_FORMS = "cron(0 * ? * * *), cron(0 H ? * * *), cron(0 H/N ? * * *) (H 0-23, N 1-24) or NOW"


def schedule_problem(expression: str) -> str | None:
    """Why SageMaker would reject `expression` as a monitoring ScheduleExpression, or None."""
    if expression == "NOW":
        return None
    match = _SCHEDULE_FORM.fullmatch(expression)
    start = int(match.group(2)) if match and match.group(2) else 0
    step = int(match.group(3)) if match and match.group(3) else 1
    if match is None or start > 23 or not 1 <= step <= 24:
        return f"{expression!r} is not one of SageMaker's documented schedule forms: {SCHEDULE_FORMS}"
    return None


def schedule_period_hours(expression: str) -> int | None:
    """The shortest time between two runs of a documented cron form, in hours; None for NOW or other forms."""
    if schedule_problem(expression) is not None or expression == "NOW":
        return None
    match = _SCHEDULE_FORM.fullmatch(expression)
    assert match is not None
    if match.group(1):
        return 1
    if match.group(3) is None:
        return 24
    start, step = int(match.group(2)), int(match.group(3))
    runs_after_the_first = (23 - start) // step
    # As cron reads it, the last run of a day is followed by the next day's first, at `start` again; SageMaker
    # describes H/N as "every N hours" even past midnight (cron(0 17/12 ? * * *): "Every 12 hours, starting at
    # 5pm UTC"). The shorter of the two readings bounds a run.
    return min(step, 24 - step * runs_after_the_first) if runs_after_the_first else step


def _monitoring_schedule_rules(request: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    config = request.get("MonitoringScheduleConfig")
    if not isinstance(config, Mapping):
        return
    if "MonitoringJobDefinition" not in config and "MonitoringJobDefinitionName" not in config:
        yield "MonitoringScheduleConfig", "a schedule needs MonitoringJobDefinitionName (or MonitoringJobDefinition)"
    schedule = config.get("ScheduleConfig")
    if not isinstance(schedule, Mapping):
        return
    expression = schedule.get("ScheduleExpression")
    if isinstance(expression, str):
        problem = schedule_problem(expression)
        if problem:
            yield "MonitoringScheduleConfig.ScheduleConfig.ScheduleExpression", problem
        if expression == "NOW":
            # DataAnalysisStartTime / DataAnalysisEndTime: "If you set ScheduleExpression to NOW, this parameter
            # is required." pulumi-aws's schedule_config has no input for either (Terraform schedule_config).
            for member in ("DataAnalysisStartTime", "DataAnalysisEndTime"):
                if member not in schedule:
                    yield f"MonitoringScheduleConfig.ScheduleConfig.{member}", "required when ScheduleExpression is NOW"


def _job_input_rules(input_member: str) -> Check:
    def check(request: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
        job_input = request.get(input_member)
        if isinstance(job_input, Mapping) and not ({"EndpointInput", "BatchTransformInput"} & set(job_input)):
            yield input_member, "a monitoring job reads an EndpointInput or a BatchTransformInput; neither is set"

    return check


# The Terraform schema of aws_sagemaker_data_quality_job_definition (internal/service/sagemaker/
# data_quality_job_definition.go) is stricter than the API; pulumi-aws rejects these before any request.
TERRAFORM_MONITORING_MAX_RUNTIME = 3600  # stopping_condition.max_runtime_in_seconds: IntBetween(1, 3600)
TERRAFORM_MONITORING_MAX_VOLUME_GB = 512  # cluster_config.volume_size_in_gb: IntBetween(1, 512)
_PROCESSING_PATH = re.compile(r"/opt/ml/processing/.*", re.DOTALL)  # local_path: ^\/opt\/ml\/processing\/.*


def _data_quality_provider_rules(request: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    job_input = request.get("DataQualityJobInput") or {}
    output = request.get("DataQualityJobOutputConfig") or {}
    cluster = (request.get("JobResources") or {}).get("ClusterConfig") or {}
    paths: list[tuple[str, Any]] = [
        (f"DataQualityJobInput.{member}.LocalPath", (job_input.get(member) or {}).get("LocalPath"))
        for member in ("EndpointInput", "BatchTransformInput")
    ]
    for index, item in enumerate(output.get("MonitoringOutputs") or []):
        if isinstance(item, Mapping):
            paths.append(
                (
                    f"DataQualityJobOutputConfig.MonitoringOutputs[{index}].S3Output.LocalPath",
                    (item.get("S3Output") or {}).get("LocalPath"),
                )
            )
    for path, value in paths:
        if isinstance(value, str) and not _PROCESSING_PATH.fullmatch(value):
            yield path, f"{value!r} does not start with /opt/ml/processing/, which pulumi-aws requires"
    # verify.ValidARN on role_arn, kms_key_id and volume_kms_key_id: a key id or alias fails at preview.
    for path, value in (
        ("RoleArn", request.get("RoleArn")),
        ("DataQualityJobOutputConfig.KmsKeyId", output.get("KmsKeyId")),
        ("JobResources.ClusterConfig.VolumeKmsKeyId", cluster.get("VolumeKmsKeyId")),
    ):
        if isinstance(value, str) and not _is_arn(value):
            yield path, f"{value!r} is not an ARN; pulumi-aws takes only an ARN here"
    runtime: Any = (request.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds")
    if _is_number(runtime) and runtime > TERRAFORM_MONITORING_MAX_RUNTIME:
        yield (
            "StoppingCondition.MaxRuntimeInSeconds",
            f"{runtime} is more than pulumi-aws allows for a data quality job ({TERRAFORM_MONITORING_MAX_RUNTIME})",
        )
    volume: Any = cluster.get("VolumeSizeInGB")
    if _is_number(volume) and volume > TERRAFORM_MONITORING_MAX_VOLUME_GB:
        yield (
            "JobResources.ClusterConfig.VolumeSizeInGB",
            f"{volume} is more than pulumi-aws allows for a data quality job ({TERRAFORM_MONITORING_MAX_VOLUME_GB} GB)",
        )


# --- Monitoring plumbing: SNS, EventBridge, CloudWatch dashboards -----------------------------------------

# CreateTopic Name (botocore's documentation; Terraform resourceTopicCustomizeDiff applies the same regexes):
# "uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, ... between 1 and 256 characters";
# a FIFO topic's name ends in .fifo.
_TOPIC_NAME = re.compile(r"[0-9A-Za-z_-]{1,256}")
_FIFO_TOPIC_NAME = re.compile(r"[0-9A-Za-z_-]{1,251}\.fifo")


def _topic_rules(request: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    name = request.get("Name")
    fifo = (request.get("Attributes") or {}).get("FifoTopic") == "true"
    if isinstance(name, str) and not (_FIFO_TOPIC_NAME if fifo else _TOPIC_NAME).fullmatch(name):
        kind = (
            "a FIFO topic name: 1-251 letters, digits, _ or -, then .fifo" if fifo else "1-256 letters, digits, _ or -"
        )
        yield "Name", f"{name!r} is not {kind}"


# Subscribe Protocol: Terraform's protocol ValidateFunc (SubscriptionProtocol_Values) and the protocols botocore's
# documentation lists; Endpoint: "Endpoints vary by protocol" (botocore's documentation of Subscribe Endpoint).
SUBSCRIPTION_PROTOCOLS = ("application", "email", "email-json", "firehose", "http", "https", "lambda", "sms", "sqs")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_ENDPOINT_FORMS: Mapping[str, tuple[str, Callable[[str], bool]]] = {
    "email": ("an e-mail address", lambda e: _EMAIL.fullmatch(e) is not None),
    "email-json": ("an e-mail address", lambda e: _EMAIL.fullmatch(e) is not None),
    "http": ("a URL beginning with http://", lambda e: e.startswith("http://")),
    "https": ("a URL beginning with https://", lambda e: e.startswith("https://")),
    "sqs": ("an SQS queue ARN", lambda e: _is_arn(e) and e.split(":")[2] == "sqs"),
    "lambda": ("a Lambda function ARN", lambda e: _is_arn(e) and e.split(":")[2] == "lambda"),
    "firehose": ("a Firehose delivery stream ARN", lambda e: _is_arn(e) and e.split(":")[2] == "firehose"),
}


def _subscription_rules(request: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    protocol, endpoint = request.get("Protocol"), request.get("Endpoint")
    if isinstance(protocol, str) and protocol not in SUBSCRIPTION_PROTOCOLS:
        close = difflib.get_close_matches(protocol, SUBSCRIPTION_PROTOCOLS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        yield "Protocol", f"{protocol!r} is not a protocol SNS supports{hint}"
    form = _ENDPOINT_FORMS.get(str(protocol))
    if isinstance(endpoint, str) and form is not None and not form[1](endpoint):
        yield "Endpoint", f"{endpoint!r} is not {form[0]}, which the {protocol} protocol needs"


def _parsed_json(text: Any) -> Any:
    # A value the provider could not parse was reported while translating; a stand-in for an unknown one is not JSON.
    try:
        return json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _event_rule_rules(request: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    # Terraform: event_pattern and schedule_expression are AtLeastOneOf.
    if "EventPattern" not in request and "ScheduleExpression" not in request:
        yield "", "a rule needs an EventPattern or a ScheduleExpression"
    pattern = _parsed_json(request.get("EventPattern"))
    if pattern is None:
        return
    # EventBridge event patterns (EventBridge User Guide, "Event patterns"): a JSON object whose fields hold either
    # nested objects or arrays of the values to match.
    if not isinstance(pattern, dict):
        yield "EventPattern", "an event pattern is a JSON object"
        return
    for path, leaf in _pattern_leaves(pattern, ""):
        if not isinstance(leaf, list) or not leaf:
            yield f"EventPattern ({path})", f"{json.dumps(leaf)} is not a non-empty array of values to match"


def _pattern_leaves(pattern: Mapping[str, Any], path: str) -> Iterator[tuple[str, Any]]:
    for key, value in pattern.items():
        where = f"{path}.{key}" if path else key
        if isinstance(value, dict):
            yield from _pattern_leaves(value, where)
        else:
            yield where, value


# PutDashboard DashboardName (botocore's documentation): "The maximum length is 255, and valid characters are A-Z,
# a-z, 0-9, "-", and "_"."; the body: CloudWatch "Dashboard Body Structure and Syntax" (a widgets array of 0-500
# widgets; x 0-23, y >= 0, width 1-24, height 1-1000 on a 24-column grid; type and properties required; a metric
# widget's properties need `metrics` and `region`; each metric is [Namespace, MetricName, (DimensionName,
# DimensionValue)..., {rendering options}], or an expression object).
_DASHBOARD_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
MAX_DASHBOARD_WIDGETS = 500
DASHBOARD_COLUMNS = 24
_WIDGET_BOUNDS: Mapping[str, tuple[int, int | None]] = {
    "x": (0, DASHBOARD_COLUMNS - 1),
    "y": (0, None),
    "width": (1, DASHBOARD_COLUMNS),
    "height": (1, 1000),
}


def _dashboard_rules(request: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    name = request.get("DashboardName")
    if isinstance(name, str) and not _DASHBOARD_NAME.fullmatch(name):
        yield "DashboardName", f"{name!r} is not 1-255 of A-Z, a-z, 0-9, - and _"
    body = _parsed_json(request.get("DashboardBody"))
    if body is None:
        return
    widgets = body.get("widgets") if isinstance(body, dict) else None
    if not isinstance(widgets, list):
        yield "DashboardBody", "the body must be a JSON object with a widgets array"
        return
    if len(widgets) > MAX_DASHBOARD_WIDGETS:
        yield "DashboardBody", f"{len(widgets)} widgets; at most {MAX_DASHBOARD_WIDGETS} are allowed"
    placed: list[tuple[int, str, tuple[int, int, int, int]]] = []
    for index, widget in enumerate(widgets):
        where = f"DashboardBody (widgets[{index}])"
        if not isinstance(widget, dict):
            yield where, "a widget is a JSON object"
            continue
        yield from _widget_problems(widget, where)
        box = [widget.get("x"), widget.get("y"), widget.get("width", 6), widget.get("height", 6)]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in box):
            continue  # placed by CloudWatch at the next free position
        x, y, w, h = box
        title = str((widget.get("properties") or {}).get("title", widget.get("type")))
        for other, other_title, (ox, oy, ow, oh) in placed:
            if x < ox + ow and ox < x + w and y < oy + oh and oy < y + h:
                yield (
                    where,
                    f"{title!r} at x={x}, y={y} ({w}x{h}) overlaps widgets[{other}] {other_title!r} at x={ox}, "
                    f"y={oy} ({ow}x{oh}): the dashboard cannot show both where the body puts them",
                )
        placed.append((index, title, (x, y, w, h)))


def _widget_problems(widget: Mapping[str, Any], where: str) -> Iterator[tuple[str, str]]:
    if "type" not in widget:
        yield where, "a widget needs a type"
    properties = widget.get("properties")
    if not isinstance(properties, dict):
        yield where, "a widget needs properties"
        properties = {}
    for key, (low, high) in _WIDGET_BOUNDS.items():
        value = widget.get(key)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < low or (high is not None and value > high):
            yield where, f"{key} {value!r} is not an integer in {low}..{'' if high is None else high}"
    x, width = widget.get("x"), widget.get("width", 6)
    if isinstance(x, int) and isinstance(width, int) and x + width > DASHBOARD_COLUMNS:
        yield where, f"x {x} + width {width} runs past the {DASHBOARD_COLUMNS}-column grid"
    if widget.get("type") == "metric":
        yield from _metric_widget_problems(properties, where)


def _metric_widget_problems(properties: Mapping[str, Any], where: str) -> Iterator[tuple[str, str]]:
    if "region" not in properties:
        yield where, "a metric widget needs a region"
    metrics = properties.get("metrics")
    if not isinstance(metrics, list) or not metrics:
        yield where, "a metric widget needs a metrics array"
        return
    for number, metric in enumerate(metrics):
        if not isinstance(metric, list) or not metric:
            yield where, f"metrics[{number}] is not a metric array"
            continue
        if isinstance(metric[0], dict):
            continue  # a math expression: [{"expression": ...}]
        names = metric[:-1] if isinstance(metric[-1], dict) else metric
        if any(n in (".", "..") for n in names):
            continue  # repeats the previous metric's values
        if len(names) < 2 or len(names) % 2 or not all(isinstance(n, str) for n in names):
            yield (
                where,
                f"metrics[{number}] {json.dumps(metric)} is not [Namespace, MetricName, (DimensionName, "
                "DimensionValue)...]",
            )


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
    checks=(_model_container_rules,),
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
    checks=(_async_inference_provider_rules,),
)

# pulumi-aws-native -> AWS Cloud Control -> the AWS::SageMaker::Endpoint handler, which sends the model's
# properties as CreateEndpoint's members (aws-cloudformation-schema/aws-sagemaker-endpoint.json). The
# retention settings are UpdateEndpoint members (write-only in the schema): a create never sends them.
_UPDATE_ONLY = Field(how="drop", why="UpdateEndpoint-only member; write-only in the CloudFormation schema")
SAGEMAKER_ENDPOINT = Translation(
    resource_type="aws-native:sagemaker:Endpoint",
    service="sagemaker",
    operation="CreateEndpoint",
    name_member="EndpointName",
    auto_name="cloudformation",
    fields={
        "retainAllVariantProperties": _UPDATE_ONLY,
        "excludeRetainedVariantProperties": _UPDATE_ONLY,
        "retainDeploymentConfig": _UPDATE_ONLY,
    },
    checks=(_deployment_policy_exactly_one,),
)

# pulumi-aws-native -> AWS Cloud Control -> the AWS::SageMaker::InferenceComponent handler, whose source is not public:
# what it sends is read from its schema (pulumi/pulumi-aws-native aws-cloudformation-schema/
# aws-sagemaker-inferencecomponent.json), whose properties are CreateInferenceComponent's members, in camelCase on the
# wire (the default rule; `tags` is already a list of {key, value}). The create handler's only SageMaker permission is
# CreateInferenceComponent, the update handler's UpdateInferenceComponent and UpdateInferenceComponentRuntimeConfig.
# The SDK also takes the schema's read-only properties as inputs; CloudFormation never sends those.
_READ_ONLY = Field(how="drop", why="readOnlyProperties in the CloudFormation schema: output only, never sent")
_COMPONENT_READ_ONLY = {
    "runtimeConfig.currentCopyCount": _READ_ONLY,
    "runtimeConfig.desiredCopyCount": _READ_ONLY,
    "runtimeConfig.placementStatus": _READ_ONLY,
    "**.currentDataCacheConfig": _READ_ONLY,
    "specification.container.deployedImage": _READ_ONLY,
    # A schema property with no API member in either operation (the endpoint is EndpointName).
    "endpointArn": Field(how="drop", why="no CreateInferenceComponent or UpdateInferenceComponent member"),
}
SAGEMAKER_INFERENCE_COMPONENT = Translation(
    resource_type="aws-native:sagemaker:InferenceComponent",
    service="sagemaker",
    operation="CreateInferenceComponent",
    name_member="InferenceComponentName",
    auto_name="cloudformation",
    fields={
        **_COMPONENT_READ_ONLY,
        # DeploymentConfig is a writeOnlyProperty and an UpdateInferenceComponent member only: a create cannot carry
        # it (SAGEMAKER_INFERENCE_COMPONENT_UPDATE validates it).
        "deploymentConfig": Field(how="drop", why="not a CreateInferenceComponent member; UpdateInferenceComponent's"),
    },
    checks=(_inference_component_rules,),
)

# What a later `pulumi up` sends to change a component in place (the schema has no createOnlyProperties): the
# properties UpdateInferenceComponent has members for. Which of them the unpublished handler sends in one call, and
# which through UpdateInferenceComponentRuntimeConfig, is not verified; the shapes are the same either way.
SAGEMAKER_INFERENCE_COMPONENT_UPDATE = Translation(
    resource_type="aws-native:sagemaker:InferenceComponent",
    service="sagemaker",
    operation="UpdateInferenceComponent",
    name_member="InferenceComponentName",
    auto_name="cloudformation",
    fields={
        **_COMPONENT_READ_ONLY,
        "endpointName": Field(how="drop", why="no UpdateInferenceComponent member: a component stays on its endpoint"),
        "variantName": Field(how="drop", why="no UpdateInferenceComponent member"),
        "tags": Field(how="drop", why="the update handler's AddTags and DeleteTags permissions: tags are not members"),
    },
    checks=(_component_rollout_rules,),
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
    checks=(_scalable_resource_rules,),
)

APPAUTOSCALING_POLICY = Translation(
    resource_type="aws:appautoscaling/policy:Policy",
    service="application-autoscaling",
    operation="PutScalingPolicy",
    name_member="PolicyName",
    fields={
        "name": Field(to="PolicyName", why="Terraform getPutScalingPolicyInput: PolicyName from name"),
        "region": _REGION,
        # Terraform keeps step bounds as strings, because "there's no way to detect whether or not an uninitialized,
        # optional schema element is "0.0" deliberately": internal/service/appautoscaling/policy.go
        # expandStepAdjustments sends a bound only if it is not "", as strconv.ParseFloat(bound, 64), and fails with
        # "metric_interval_lower_bound must be a float value represented as a string" otherwise. The API's
        # MetricScale is a double.
        "**.metricIntervalLowerBound": Field(how="number", why="Terraform expandStepAdjustments: ParseFloat"),
        "**.metricIntervalUpperBound": Field(how="number", why="Terraform expandStepAdjustments: ParseFloat"),
        "predictiveScalingPolicyConfiguration.metricSpecifications.targetValue": Field(
            how="number", why="Terraform expandPredictiveScalingMetricSpecification: a string parsed to a double"
        ),
    },
    defaults=(Default("PolicyType", "StepScaling", why="Terraform policy_type Default StepScaling"),),
    checks=(_scaling_policy_rules, _scalable_resource_rules),
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

_VOLUME_SIZE = Field(to="VolumeSizeInGB", why="API spells it VolumeSizeInGB (MonitoringClusterConfig)")
_WRAPPED_OUTPUTS = Field(
    to="MonitoringOutputs",
    how="wrap",
    why="Terraform monitoring_outputs is a MaxItems-1 block (an object in pulumi-aws); expandMonitoringOutputs "
    "builds the MonitoringOutputs list from it",
)

# internal/service/sagemaker/data_quality_job_definition.go: resourceDataQualityJobDefinitionCreate and the
# expand* functions it calls (expandMonitoringOutputConfig, expandMonitoringResources, ...).
SAGEMAKER_DATA_QUALITY_JOB_DEFINITION = Translation(
    resource_type="aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition",
    service="sagemaker",
    operation="CreateDataQualityJobDefinition",
    name_member="JobDefinitionName",
    fields={
        "name": Field(to="JobDefinitionName", why="resourceDataQualityJobDefinitionCreate: JobDefinitionName = name"),
        "region": _REGION,
        "tags": _TAGS,
        "dataQualityJobOutputConfig.monitoringOutputs": _WRAPPED_OUTPUTS,
        "**.volumeSizeInGb": _VOLUME_SIZE,
    },
    defaults=(
        # local_path has a schema Default, so expandEndpointInput / expandBatchTransformInput /
        # expandMonitoringS3Output always send it.
        Default("DataQualityJobInput.EndpointInput.LocalPath", "/opt/ml/processing/input", why="local_path Default"),
        Default("DataQualityJobInput.BatchTransformInput.LocalPath", "/opt/ml/processing/input", why="ditto"),
        Default(
            "DataQualityJobOutputConfig.MonitoringOutputs[].S3Output.LocalPath",
            "/opt/ml/processing/output",
            why="s3_output.local_path Default",
        ),
        # expandMonitoringNetworkConfig: `if v, ok := m["enable_..."]; ok` is true for every schema key, so both
        # booleans are sent (false when unset) whenever network_config is.
        Default("NetworkConfig.EnableInterContainerTrafficEncryption", False, why="expandMonitoringNetworkConfig"),
        Default("NetworkConfig.EnableNetworkIsolation", False, why="expandMonitoringNetworkConfig"),
    ),
    checks=(_job_input_rules("DataQualityJobInput"), _data_quality_provider_rules),
)

# pulumi-aws-native -> AWS Cloud Control -> the AWS::SageMaker::ModelQualityJobDefinition handler
# (aws-cloudformation-resource-providers-sagemaker, aws-sagemaker-modelqualityjobdefinition):
# TranslatorForRequest.translateToCreateRequest copies the model property by property into the request.
SAGEMAKER_MODEL_QUALITY_JOB_DEFINITION = Translation(
    resource_type="aws-native:sagemaker:ModelQualityJobDefinition",
    service="sagemaker",
    operation="CreateModelQualityJobDefinition",
    name_member="JobDefinitionName",
    auto_name="cloudformation",
    fields={
        # A CloudFormation-only property: translateToCreateRequest never reads it (the endpoint is in
        # ModelQualityJobInput.EndpointInput.EndpointName).
        "endpointName": Field(how="drop", why="TranslatorForRequest.translateToCreateRequest does not send it"),
        "**.volumeSizeInGb": _VOLUME_SIZE,
        # CloudFormation's DatasetFormat.Parquet is a boolean; the API's is the empty MonitoringParquetDatasetFormat.
        "modelQualityJobInput.batchTransformInput.datasetFormat.parquet": Field(
            how="flag_struct", why="CloudFormation Parquet: boolean; API Parquet: MonitoringParquetDatasetFormat {}"
        ),
        # `tags` is already a list of {key, value}, which the handler maps to Tag{Key, Value}: the default rule.
    },
    checks=(_job_input_rules("ModelQualityJobInput"),),
)

# internal/service/sagemaker/monitoring_schedule.go: resourceMonitoringScheduleCreate, expandMonitoringScheduleConfig
# and expandMonitoringJobDefinition.
SAGEMAKER_MONITORING_SCHEDULE = Translation(
    resource_type="aws:sagemaker/monitoringSchedule:MonitoringSchedule",
    service="sagemaker",
    operation="CreateMonitoringSchedule",
    name_member="MonitoringScheduleName",
    fields={
        "name": Field(
            to="MonitoringScheduleName", why="resourceMonitoringScheduleCreate: MonitoringScheduleName = name"
        ),
        "region": _REGION,
        "tags": _TAGS,
        # An inline job definition (instead of monitoringJobDefinitionName), expandMonitoringJobDefinition:
        "monitoringScheduleConfig.monitoringJobDefinition.baseline": Field(
            to="BaselineConfig", why="expandMonitoringJobDefinition: BaselineConfig from baseline"
        ),
        "monitoringScheduleConfig.monitoringJobDefinition.monitoringInputs": Field(
            how="wrap", why="monitoring_inputs is a MaxItems-1 block; expandMonitoringInputs builds the list"
        ),
        "monitoringScheduleConfig.monitoringJobDefinition.monitoringOutputConfig.monitoringOutputs": _WRAPPED_OUTPUTS,
        "monitoringScheduleConfig.monitoringJobDefinition.monitoringAppSpecification.containerEntrypoints": Field(
            to="ContainerEntrypoint",
            why="expandMonitoringAppSpecification: ContainerEntrypoint from container_entrypoint",
        ),
        # stopping_condition is a list without MaxItems (pulumi-aws's plural); expandMonitoringStoppingCondition
        # reads item 0 only.
        "monitoringScheduleConfig.monitoringJobDefinition.stoppingConditions": Field(
            to="StoppingCondition", how="first", why="expandMonitoringStoppingCondition: tfList[0]"
        ),
        "**.volumeSizeInGb": _VOLUME_SIZE,
    },
    checks=(_monitoring_schedule_rules,),
)

# internal/service/sns/topic.go resourceTopicCreate: CreateTopic gets Name, Tags and (only) the FifoTopic attribute,
# which "must be passed in the call to CreateTopic"; every other attribute follows in SetTopicAttributes calls
# (putTopicAttributes, one attribute each), so none is part of this request.
_SET_TOPIC_ATTRIBUTE = Field(how="drop", why="topic.go putTopicAttributes: SetTopicAttributes after CreateTopic")
SNS_TOPIC = Translation(
    resource_type="aws:sns/topic:Topic",
    service="sns",
    operation="CreateTopic",
    name_member="Name",
    name_prefix_input="namePrefix",
    fields={
        "namePrefix": Field(how="drop", why="topicName: only used to generate Name"),
        "region": _REGION,
        "tags": _TAGS,
        "fifoTopic": Field(to="Attributes.FifoTopic", how="attribute", why="resourceTopicCreate: FifoTopic attribute"),
        **{
            wire: _SET_TOPIC_ATTRIBUTE
            for wire in (
                "applicationFailureFeedbackRoleArn",
                "applicationSuccessFeedbackRoleArn",
                "applicationSuccessFeedbackSampleRate",
                "archivePolicy",
                "contentBasedDeduplication",
                "deliveryPolicy",
                "displayName",
                "fifoThroughputScope",
                "firehoseFailureFeedbackRoleArn",
                "firehoseSuccessFeedbackRoleArn",
                "firehoseSuccessFeedbackSampleRate",
                "httpFailureFeedbackRoleArn",
                "httpSuccessFeedbackRoleArn",
                "httpSuccessFeedbackSampleRate",
                "kmsMasterKeyId",
                "lambdaFailureFeedbackRoleArn",
                "lambdaSuccessFeedbackRoleArn",
                "lambdaSuccessFeedbackSampleRate",
                "maximumMessageSize",
                "policy",
                "signatureVersion",
                "sqsFailureFeedbackRoleArn",
                "sqsSuccessFeedbackRoleArn",
                "sqsSuccessFeedbackSampleRate",
                "tracingConfig",
            )
        },
    },
    checks=(_topic_rules,),
)


def _subscription_attribute(name: str) -> Field:
    return Field(to=f"Attributes.{name}", how="attribute", why="topic_subscription.go: subscriptionAttributeMap")


# internal/service/sns/topic_subscription.go resourceTopicSubscriptionCreate: Subscribe{Attributes, Endpoint, Protocol,
# ReturnSubscriptionArn: true, TopicArn}; the attributes come from subscriptionAttributeMap.
SNS_TOPIC_SUBSCRIPTION = Translation(
    resource_type="aws:sns/topicSubscription:TopicSubscription",
    service="sns",
    operation="Subscribe",
    name_member="",
    fields={
        "region": _REGION,
        "topic": Field(to="TopicArn", why="pulumi-aws renames Terraform's topic_arn to topic"),
        "confirmationTimeoutInMinutes": Field(how="drop", why="how long the provider waits for confirmation"),
        "endpointAutoConfirms": Field(how="drop", why="whether the provider waits for confirmation"),
        "deliveryPolicy": _subscription_attribute("DeliveryPolicy"),
        "filterPolicy": _subscription_attribute("FilterPolicy"),
        "filterPolicyScope": _subscription_attribute("FilterPolicyScope"),
        "rawMessageDelivery": _subscription_attribute("RawMessageDelivery"),
        "redrivePolicy": _subscription_attribute("RedrivePolicy"),
        "replayPolicy": _subscription_attribute("ReplayPolicy"),
        "subscriptionRoleArn": _subscription_attribute("SubscriptionRoleArn"),
    },
    defaults=(Default("ReturnSubscriptionArn", True, why="resourceTopicSubscriptionCreate: always true"),),
    checks=(_subscription_rules,),
)

# internal/service/events/rule.go resourceRuleCreate and expandPutRuleInput.
CLOUDWATCH_EVENT_RULE = Translation(
    resource_type="aws:cloudwatch/eventRule:EventRule",
    service="events",
    operation="PutRule",
    name_member="Name",
    name_prefix_input="namePrefix",
    fields={
        "namePrefix": Field(how="drop", why="create.Name(name, name_prefix): only used to generate Name"),
        "region": _REGION,
        "tags": _TAGS,
        "forceDestroy": Field(how="drop", why="DeleteRule's Force: never part of PutRule"),
        # ruleEventPatternJSONDecoder: json.Unmarshal then json.Marshal (compact, keys sorted).
        "eventPattern": Field(how="json", why="expandPutRuleInput: ruleEventPatternJSONDecoder"),
        "isEnabled": Field(to="State", how="enabled_state", why="expandPutRuleInput: State from is_enabled"),
    },
    defaults=(Default("EventBusName", "default", why="event_bus_name Default DefaultEventBusName"),),
    checks=(_event_rule_rules,),
)

# internal/service/cloudwatch/dashboard.go resourceDashboardPut: PutDashboardInput{DashboardBody, DashboardName}.
CLOUDWATCH_DASHBOARD = Translation(
    resource_type="aws:cloudwatch/dashboard:Dashboard",
    service="cloudwatch",
    operation="PutDashboard",
    name_member="",  # dashboard_name is required
    fields={
        "region": _REGION,
        "dashboardBody": Field(how="json", why="dashboard_body: StringIsJSON, NormalizeJsonString"),
    },
    checks=(_dashboard_rules,),
)

TRANSLATIONS: Mapping[str, Translation] = {
    t.resource_type: t
    for t in (
        SAGEMAKER_MODEL,
        SAGEMAKER_ENDPOINT_CONFIGURATION,
        SAGEMAKER_ENDPOINT,
        SAGEMAKER_INFERENCE_COMPONENT,
        CLOUDWATCH_METRIC_ALARM,
        APPAUTOSCALING_TARGET,
        APPAUTOSCALING_POLICY,
        SAGEMAKER_FEATURE_GROUP,
        SAGEMAKER_MLFLOW_TRACKING_SERVER,
        SAGEMAKER_MODEL_PACKAGE_GROUP,
        SAGEMAKER_MODEL_PACKAGE_GROUP_POLICY,
        S3_BUCKET_LIFECYCLE_CONFIGURATION,
        SAGEMAKER_DATA_QUALITY_JOB_DEFINITION,
        SAGEMAKER_MODEL_QUALITY_JOB_DEFINITION,
        SAGEMAKER_MONITORING_SCHEDULE,
        SNS_TOPIC,
        SNS_TOPIC_SUBSCRIPTION,
        CLOUDWATCH_EVENT_RULE,
        CLOUDWATCH_DASHBOARD,
    )
}
SAGEMAKER_TYPES = frozenset(t.resource_type for t in TRANSLATIONS.values() if t.service == "sagemaker")
# Requests beyond the create: members a create operation has no place for, sent when a later `pulumi up` changes the
# resource in place. A resource of these types becomes two requests.
UPDATE_TRANSLATIONS: Mapping[str, Translation] = {t.resource_type: t for t in (SAGEMAKER_INFERENCE_COMPONENT_UPDATE,)}
ALL_TRANSLATIONS: tuple[Translation, ...] = (*TRANSLATIONS.values(), *UPDATE_TRANSLATIONS.values())
_BY_OPERATION: Mapping[tuple[str, str], Translation] = {(t.resource_type, t.operation): t for t in ALL_TRANSLATIONS}


def translation_for(resource_type: str, operation: str) -> Translation:
    return _BY_OPERATION[(resource_type, operation)]


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
        if rule.how == "wrap" and isinstance(value, Mapping):
            element = shape.member if shape is not None and shape.type_name == "list" else None
            return [self.convert(value, wire_path, element, f"{path}[0]")]
        if rule.how == "flag_struct" and isinstance(value, bool):
            return {} if value else _OMIT
        if rule.how == "attribute":
            return _attribute_text(value)
        if rule.how == "enabled_state" and isinstance(value, bool):
            return "ENABLED" if value else "DISABLED"
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
        elif self.translation.auto_name == "cloudformation":
            # CreateHandler.generateParameterName: "CFN-", the logical id cut to 20 characters, "-", and 12
            # random letters and digits.
            name = f"CFN-{self.resource.name[:20]}-{CLOUDFORMATION_RANDOM}"
        else:
            name = self.resource.name + AUTONAME_SUFFIX
        params[member] = name
        # Verified by the validation that follows: a too-long logical name is a real finding.
        self.substitutions.append(Substitution(member, name, "auto-name"))


_OMIT: Any = object()


def _attribute_text(value: Any) -> Any:
    # SNS attribute maps hold strings: Terraform's attrmap writes booleans as "true"/"false" and integers in decimal.
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_number(value):
        return str(int(value)) if float(value).is_integer() else str(value)
    return value


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


def translate(resource: PlannedResource, *, region: str, translation: Translation | None = None) -> ApiRequest:
    """The API request the provider would send to create `resource` (of a type in `TRANSLATIONS`), or the one of
    `translation` (another request of the same resource type, e.g. its update)."""
    translation = translation or TRANSLATIONS[resource.type]
    assert translation.resource_type == resource.type, (translation.operation, resource.type)
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
        dependencies=tuple(resource.dependencies),
    )


def translate_all(resource: PlannedResource, *, region: str) -> tuple[ApiRequest, ...]:
    """Every request of `resource`: its create, then (if its type has one) the update of what a create cannot carry."""
    update = UPDATE_TRANSLATIONS.get(resource.type)
    create = translate(resource, region=region)
    return (create, translate(resource, region=region, translation=update)) if update else (create,)


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
    "TopicArn": f"arn:{{partition}}:sns:{{region}}:{{account}}:{PLACEHOLDER_NAME}",
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
    "MonitoringTimeOffsetString": "-PT1H",
    "EventPattern": '{{"source":["aws.sagemaker"]}}',  # braces doubled: placeholders are format strings
    "DashboardBody": '{{"widgets":[]}}',
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
    translation = translation_for(request.resource_type, request.operation)
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


# --- Rules across resources ---------------------------------------------------------------------------

# The job definition operation each MonitoringType schedules (CreateMonitoringSchedule MonitoringType: "The type of
# the monitoring job definition to schedule").
JOB_DEFINITION_OPERATIONS: Mapping[str, str] = {
    "DataQuality": "CreateDataQualityJobDefinition",
    "ModelQuality": "CreateModelQualityJobDefinition",
    "ModelBias": "CreateModelBiasJobDefinition",
    "ModelExplainability": "CreateModelExplainabilityJobDefinition",
}
_JOB_INPUT_MEMBERS = {
    "CreateDataQualityJobDefinition": "DataQualityJobInput",
    "CreateModelQualityJobDefinition": "ModelQualityJobInput",
}
# MonitoringStoppingCondition.MaxRuntimeInSeconds (botocore's model): "The MaxRuntimeInSeconds cannot exceed the
# frequency of the job. For data quality and model explainability, this can be up to 3600 seconds for an hourly
# schedule. For model bias and model quality hourly schedules, this can be up to 1800 seconds."
HOURLY_MAX_RUNTIME = {"DataQuality": 3600, "ModelExplainability": 3600, "ModelQuality": 1800, "ModelBias": 1800}


def cross_resource_findings(requests: Sequence[ApiRequest]) -> Iterator[Finding]:
    """What no single request shows: a schedule and the job it runs, a job and the endpoint it watches, a component
    and the endpoint, variant and model it names, a scaling target or policy and what it scales."""
    definitions: dict[str, list[ApiRequest]] = {}
    for request in requests:
        if request.operation in _JOB_INPUT_MEMBERS and isinstance(request.params.get("JobDefinitionName"), str):
            definitions.setdefault(request.params["JobDefinitionName"], []).append(request)
    for request in requests:
        links: Iterable[tuple[str, str]] = ()
        if request.operation == "CreateMonitoringSchedule":
            links = _schedule_links(request, definitions)
        elif request.operation in _JOB_INPUT_MEMBERS:
            links = _endpoint_links(request, requests)
        elif request.operation == "CreateInferenceComponent":
            links = _component_links(request, requests)
        elif request.operation in ("RegisterScalableTarget", "PutScalingPolicy"):
            links = _scaling_links(request, requests)
        for path, message in links:
            yield Finding(request.resource, request.operation, path, message)


def _created(requests: Sequence[ApiRequest], operation: str, member: str, name: str) -> ApiRequest | None:
    """The request of the plan that creates `name` (`member` of `operation`), if any."""
    return next((r for r in requests if r.operation == operation and r.params.get(member) == name), None)


def _waits_for(request: ApiRequest, path: str, creator: ApiRequest, name: str) -> Iterator[tuple[str, str]]:
    if creator.urn not in request.dependencies:
        yield path, f"does not wait for {creator.resource}, which creates {name!r}"


def _component_links(component: ApiRequest, requests: Sequence[ApiRequest]) -> Iterator[tuple[str, str]]:
    # CreateInferenceComponent (botocore's documentation): EndpointName "The name of an existing endpoint where you host
    # the inference component"; VariantName "The name of an existing production variant"; Specification.ModelName "The
    # name of an existing SageMaker AI model object". mlstack creates each in the same plan.
    endpoint_name = component.params.get("EndpointName")
    if isinstance(endpoint_name, str) and not component.substituted("EndpointName"):
        endpoint = _created(requests, "CreateEndpoint", "EndpointName", endpoint_name)
        if endpoint is None:
            yield "EndpointName", f"no endpoint named {endpoint_name!r} in this plan"
        else:
            yield from _waits_for(component, "EndpointName", endpoint, endpoint_name)
            yield from _variant_link(component, endpoint, requests)
    specification = component.params.get("Specification")
    model = specification.get("ModelName") if isinstance(specification, Mapping) else None
    if isinstance(model, str) and not component.substituted("Specification.ModelName"):
        created = _created(requests, "CreateModel", "ModelName", model)
        if created is None:
            yield "Specification.ModelName", f"no model named {model!r} in this plan"
        else:
            yield from _waits_for(component, "Specification.ModelName", created, model)


def _variant_link(
    component: ApiRequest, endpoint: ApiRequest, requests: Sequence[ApiRequest]
) -> Iterator[tuple[str, str]]:
    variant, config_name = component.params.get("VariantName"), endpoint.params.get("EndpointConfigName")
    if not isinstance(variant, str) or not isinstance(config_name, str):
        return
    if component.substituted("VariantName") or endpoint.substituted("EndpointConfigName"):
        return
    config = _created(requests, "CreateEndpointConfig", "EndpointConfigName", config_name)
    if config is None:
        return
    names = [v.get("VariantName") for v in config.params.get("ProductionVariants") or [] if isinstance(v, Mapping)]
    if variant not in names:
        yield (
            "VariantName",
            f"{variant!r} is not a production variant of {config_name!r} (its variants: {', '.join(map(str, names))})",
        )


_COMPONENT_RESOURCE = "inference-component/"


def _scaling_links(request: ApiRequest, requests: Sequence[ApiRequest]) -> Iterator[tuple[str, str]]:
    resource_id = request.params.get("ResourceId")
    if not isinstance(resource_id, str) or request.substituted("ResourceId"):
        return
    if request.operation == "RegisterScalableTarget":
        # A scalable inference component must exist (ResourceId "inference-component/my-inference-component").
        if resource_id.startswith(_COMPONENT_RESOURCE):
            name = resource_id.removeprefix(_COMPONENT_RESOURCE)
            component = _created(requests, "CreateInferenceComponent", "InferenceComponentName", name)
            if component is None:
                yield "ResourceId", f"no inference component named {name!r} in this plan"
            else:
                yield from _waits_for(request, "ResourceId", component, name)
        return
    # PutScalingPolicy: "You cannot create a scaling policy until you have registered the resource as a scalable
    # target", identified "by a service namespace, resource ID, and scalable dimension".
    key = tuple(request.params.get(m) for m in ("ServiceNamespace", "ResourceId", "ScalableDimension"))
    targets = [
        r
        for r in requests
        if r.operation == "RegisterScalableTarget"
        and tuple(r.params.get(m) for m in ("ServiceNamespace", "ResourceId", "ScalableDimension")) == key
    ]
    if not targets:
        yield "ResourceId", f"no scalable target of this plan registers {resource_id!r} ({key[2]})"
    else:
        yield from _waits_for(request, "ResourceId", targets[0], resource_id)


def _schedule_links(schedule: ApiRequest, definitions: Mapping[str, list[ApiRequest]]) -> Iterator[tuple[str, str]]:
    config = schedule.params.get("MonitoringScheduleConfig")
    name_path = "MonitoringScheduleConfig.MonitoringJobDefinitionName"
    if not isinstance(config, Mapping) or schedule.substituted(name_path):
        return
    name, monitoring_type = config.get("MonitoringJobDefinitionName"), config.get("MonitoringType")
    if (
        not isinstance(name, str)
        or not isinstance(monitoring_type, str)
        or monitoring_type not in JOB_DEFINITION_OPERATIONS
    ):
        return
    candidates = definitions.get(name, [])
    if not candidates:
        # CreateMonitoringSchedule runs a job definition that must already exist; mlstack creates every one it uses.
        yield name_path, f"no job definition named {name!r} in this plan"
        return
    operation = JOB_DEFINITION_OPERATIONS[monitoring_type]
    matching = [d for d in candidates if d.operation == operation]
    if not matching:
        kinds = ", ".join(sorted({d.operation.removeprefix("Create") for d in candidates}))
        yield (
            "MonitoringScheduleConfig.MonitoringType",
            f"a {monitoring_type} schedule runs a {operation.removeprefix('Create')}, but {name!r} is a {kinds}",
        )
        return
    definition = matching[0]
    if definition.urn not in schedule.dependencies:
        yield name_path, f"the schedule does not wait for {definition.resource}, which creates {name!r}"
    runtime: Any = (definition.params.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds")
    schedule_config = config.get("ScheduleConfig")
    expression = schedule_config.get("ScheduleExpression") if isinstance(schedule_config, Mapping) else None
    period = schedule_period_hours(expression) if isinstance(expression, str) else None
    if not _is_number(runtime) or period is None:
        return
    limit = HOURLY_MAX_RUNTIME.get(monitoring_type, 3600) if period == 1 else period * 3600
    if runtime > limit:
        yield (
            "MonitoringScheduleConfig.ScheduleConfig.ScheduleExpression",
            f"runs every {period} h, but job definition {name!r} allows a run {runtime} s "
            f"(StoppingCondition.MaxRuntimeInSeconds); a {monitoring_type} run on this schedule may take {limit} s "
            "at most",
        )


def _endpoint_links(definition: ApiRequest, requests: Sequence[ApiRequest]) -> Iterator[tuple[str, str]]:
    # EndpointInput.EndpointName: "An endpoint in customer's account which has enabled DataCaptureConfig enabled."
    member = _JOB_INPUT_MEMBERS[definition.operation]
    path = f"{member}.EndpointInput.EndpointName"
    endpoint_name = ((definition.params.get(member) or {}).get("EndpointInput") or {}).get("EndpointName")
    if not isinstance(endpoint_name, str) or definition.substituted(path):
        return
    endpoints = [
        r for r in requests if r.operation == "CreateEndpoint" and r.params.get("EndpointName") == endpoint_name
    ]
    if not endpoints or endpoints[0].substituted("EndpointConfigName"):
        return  # an endpoint this plan does not create, or one whose configuration is not known yet
    config_name = endpoints[0].params.get("EndpointConfigName")
    configs = [
        r
        for r in requests
        if r.operation == "CreateEndpointConfig" and r.params.get("EndpointConfigName") == config_name
    ]
    if not configs:
        return
    capture = configs[0].params.get("DataCaptureConfig")
    if not isinstance(capture, Mapping) or capture.get("EnableCapture") is False:
        yield (
            path,
            f"endpoint {endpoint_name!r} does not capture data (its configuration {config_name!r} has no "
            "DataCaptureConfig), and the job reads captured data",
        )


# --- Whole plans ------------------------------------------------------------------------------------


def check_resources(resources: Iterable[PlannedResource], *, region: str) -> OracleReport:
    """Translate and validate every resource of a supported type (others are ignored), then the rules across them."""
    requests = tuple(
        request for r in resources if r.type in TRANSLATIONS for request in translate_all(r, region=region)
    )
    findings = [finding for request in requests for finding in validate(request)]
    findings.extend(cross_resource_findings(requests))
    return OracleReport(requests, tuple(findings))


def check_plan(plan: Plan, *, region: str) -> OracleReport:
    return check_resources(plan.resources, region=region)


def with_inputs(resource: PlannedResource, edit: Callable[[dict[str, Any]], object]) -> PlannedResource:
    """A copy of `resource` whose inputs (deep-copied) `edit` has changed in place."""
    inputs = copy.deepcopy(dict(resource.inputs))
    edit(inputs)
    return dataclasses.replace(resource, inputs=inputs)


__all__ = [
    "ALL_TRANSLATIONS",
    "CLOUDFORMATION_RANDOM",
    "SAGEMAKER_TYPES",
    "TRANSLATIONS",
    "UPDATE_TRANSLATIONS",
    "ApiRequest",
    "Finding",
    "OracleReport",
    "Substitution",
    "Translation",
    "check_plan",
    "check_resources",
    "compile_java_pattern",
    "constraint_findings",
    "cross_resource_findings",
    "input_shape",
    "placeholder_for",
    "schedule_period_hours",
    "schedule_problem",
    "service_model",
    "translate",
    "translate_all",
    "translation_for",
    "validate",
    "with_inputs",
]
