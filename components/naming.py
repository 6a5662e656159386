"""Every physical name the platform sets, one function per name, with AWS's limit beside it (Pulumi-free).

Components, the blueprint rules and day-2 tooling all build names here, so `mlstack validate` checks
exactly the names `pulumi up` would send (`blueprints/rules/names.py`). Renaming a resource replaces
it, so these functions only change with a note in README's "Physical names".

Most names start with the platform prefix `<blueprint>-<environment>`: the blueprint id (<= 20
characters) and the environment (<= 12) are unique per account and region. IAM is global to the
account, so role names add a short region code.

Limits and patterns come from botocore's bundled service models (`shape` below, read with
`botocore.session.get_session().get_service_model(service)`), which are what the AWS APIs validate;
where a shape carries none, from the API reference page linked.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class NameRule:
    """What AWS accepts for one kind of name."""

    kind: str
    """What the name names, e.g. "SageMaker endpoint"."""
    max_length: int
    pattern: str | None
    """Regular expression the whole name must match; None where AWS documents none."""
    source: str
    """Where the limit is written down: a botocore shape or an API reference page."""
    min_length: int = 1

    def problem(self, name: str) -> str | None:
        """Why AWS would reject `name`, or None."""
        if not self.min_length <= len(name) <= self.max_length:
            return (
                f"has {len(name)} characters; {self.kind} names have at most {self.max_length} ({self.source})"
                if len(name) > self.max_length
                else f"has {len(name)} characters; {self.kind} names have at least {self.min_length}"
            )
        if self.pattern is not None and re.fullmatch(self.pattern, name) is None:
            return f"does not match {self.pattern}, the pattern of {self.kind} names ({self.source})"
        return None


# The SageMaker resource-name pattern, shared by most of its name shapes.
_SAGEMAKER_PATTERN = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
# IAM names: roleNameType and policyNameType.
_IAM_PATTERN = r"[\w+=,.@-]+"

SAGEMAKER_ENDPOINT = NameRule("SageMaker endpoint", 63, _SAGEMAKER_PATTERN, "botocore sagemaker EndpointName")
SAGEMAKER_ENDPOINT_CONFIG = NameRule(
    "SageMaker endpoint configuration", 63, _SAGEMAKER_PATTERN, "botocore sagemaker EndpointConfigName"
)
SAGEMAKER_MODEL = NameRule(
    "SageMaker model", 63, r"[a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?", "botocore sagemaker ModelName"
)
SAGEMAKER_VARIANT = NameRule("SageMaker production variant", 63, _SAGEMAKER_PATTERN, "botocore sagemaker VariantName")
SAGEMAKER_INFERENCE_COMPONENT = NameRule(
    "SageMaker inference component", 63, _SAGEMAKER_PATTERN, "botocore sagemaker InferenceComponentName"
)
SAGEMAKER_MODEL_PACKAGE_GROUP = NameRule(
    "SageMaker model package group", 63, _SAGEMAKER_PATTERN, "botocore sagemaker EntityName (ModelPackageGroupName)"
)
SAGEMAKER_FEATURE_GROUP = NameRule(
    "SageMaker feature group", 64, r"[a-zA-Z0-9]([_-]*[a-zA-Z0-9]){0,63}", "botocore sagemaker FeatureGroupName"
)
SAGEMAKER_TRACKING_SERVER = NameRule(
    "SageMaker MLflow tracking server",
    256,
    r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}",
    "botocore sagemaker TrackingServerName",
)
SAGEMAKER_MONITORING_JOB_DEFINITION = NameRule(
    "SageMaker monitoring job definition", 63, _SAGEMAKER_PATTERN, "botocore sagemaker MonitoringJobDefinitionName"
)
SAGEMAKER_MONITORING_SCHEDULE = NameRule(
    "SageMaker monitoring schedule", 63, _SAGEMAKER_PATTERN, "botocore sagemaker MonitoringScheduleName"
)
GLUE_TABLE = NameRule(
    "Glue table",
    255,
    # Glue's NameString admits more; Athena, which queries the offline store, only these:
    # https://docs.aws.amazon.com/athena/latest/ug/tables-databases-columns-names.html
    r"[a-z0-9_]+",
    "botocore glue NameString; Athena table names",
)
IAM_ROLE = NameRule("IAM role", 64, _IAM_PATTERN, "botocore iam roleNameType")
IAM_ROLE_POLICY = NameRule("IAM role policy", 128, _IAM_PATTERN, "botocore iam policyNameType")
S3_BUCKET = NameRule(
    "S3 bucket",
    63,
    # botocore's BucketName has no constraints; the rules are in the user guide. Ours have no dots.
    r"[a-z0-9][a-z0-9-]*[a-z0-9]",
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
    min_length=3,
)
KMS_ALIAS = NameRule("KMS alias", 256, r"alias/[a-zA-Z0-9:/_-]+", "botocore kms AliasNameType")
SNS_TOPIC = NameRule(
    "SNS topic", 256, r"[A-Za-z0-9_-]+", "https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html"
)
CLOUDWATCH_ALARM = NameRule("CloudWatch alarm", 255, None, "botocore cloudwatch AlarmName")
CLOUDWATCH_DASHBOARD = NameRule(
    "CloudWatch dashboard",
    255,
    r"[A-Za-z0-9_-]+",
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html",
)
# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy, retentionInDays).
LOG_RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)
# Environments held to production standards (longer log retention; the policy pack's prod levels).
PROD_ENVIRONMENTS = frozenset({"prod", "production"})
# Log retention when the blueprint sets none: a year in prod (Checkov CKV_AWS_338), a month elsewhere.
PROD_LOG_DAYS = 365
OTHER_LOG_DAYS = 30
LOG_GROUP = NameRule("CloudWatch Logs log group", 512, r"[\.\-_/#A-Za-z0-9]+", "botocore logs LogGroupName")
LOG_STREAM = NameRule("CloudWatch Logs log stream", 512, r"[^:*]*", "botocore logs LogStreamName")
EVENTBRIDGE_RULE = NameRule("EventBridge rule", 64, r"[\.\-_A-Za-z0-9]+", "botocore events RuleName")
LAMBDA_FUNCTION = NameRule(
    "Lambda function",
    # botocore's FunctionName (140) admits a full ARN; a bare name is limited to 64:
    # https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html#lambda-CreateFunction-request-FunctionName
    64,
    r"[a-zA-Z0-9_-]+",
    "https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html",
)
FIREHOSE_STREAM = NameRule("Firehose delivery stream", 64, r"[a-zA-Z0-9_.-]+", "botocore firehose DeliveryStreamName")
HTTP_API = NameRule("API Gateway HTTP API", 128, None, "botocore apigatewayv2 StringWithLengthBetween1And128")
# Kubernetes namespaces are DNS-1123 labels (RFC 1123): at most 63 lower-case alphanumerics and '-'.
# https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-label-names
KUBERNETES_NAMESPACE = NameRule(
    "Kubernetes namespace", 63, r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", "kubernetes.io names: DNS label names"
)
# RDS DB instance identifiers: 1-63 letters, digits and hyphens, starting with a letter, no '--' and
# no trailing hyphen (botocore rds CreateDBInstance DBInstanceIdentifier documentation).
RDS_INSTANCE = NameRule(
    "RDS DB instance", 63, r"[a-z](-?[a-z0-9])*", "botocore rds CreateDBInstanceMessage DBInstanceIdentifier"
)
RDS_SUBNET_GROUP = NameRule(
    "RDS DB subnet group", 255, r"[a-z0-9 ._-]+", "botocore rds CreateDBSubnetGroupMessage DBSubnetGroupName"
)
SCALING_POLICY = NameRule(
    # botocore's pattern is \p{Print}+; Python's re has no \p, and our names are printable ASCII.
    "Application Auto Scaling policy",
    256,
    r"[\x20-\x7e]+",
    "botocore application-autoscaling PolicyName",
)

NAME_RULES: tuple[NameRule, ...] = (
    SAGEMAKER_ENDPOINT,
    SAGEMAKER_ENDPOINT_CONFIG,
    SAGEMAKER_MODEL,
    SAGEMAKER_VARIANT,
    SAGEMAKER_MODEL_PACKAGE_GROUP,
    SAGEMAKER_FEATURE_GROUP,
    SAGEMAKER_TRACKING_SERVER,
    SAGEMAKER_MONITORING_JOB_DEFINITION,
    SAGEMAKER_MONITORING_SCHEDULE,
    GLUE_TABLE,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    S3_BUCKET,
    KMS_ALIAS,
    SNS_TOPIC,
    CLOUDWATCH_ALARM,
    CLOUDWATCH_DASHBOARD,
    LOG_GROUP,
    LOG_STREAM,
    EVENTBRIDGE_RULE,
    LAMBDA_FUNCTION,
    FIREHOSE_STREAM,
    HTTP_API,
    SCALING_POLICY,
)

# Kept for callers that size SageMaker names themselves.
MAX_SAGEMAKER_NAME = SAGEMAKER_ENDPOINT.max_length


# --- the platform ---------------------------------------------------------------------------------


def platform_prefix(blueprint: str, environment: str) -> str:
    """Prefix of every physical name of one blueprint in one environment; also its Pulumi stack."""
    return f"{blueprint}-{environment}"


# The words of AWS region names, shortened: eu-west-1 -> euw1, ap-southeast-2 -> apse2,
# us-gov-west-1 -> usgw1, us-isob-east-1 -> usibe1. A test checks that every region botocore knows
# gets its own code.
_REGION_WORDS = {
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "central": "c",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
    "gov": "g",
    "iso": "i",
    "isob": "ib",
    "isoe": "ie",
    "isof": "if",
}


def region_code(region: str) -> str:
    """A short code of `region`, unique among AWS regions, for names that are global to an account."""
    area, *words, number = region.split("-")
    return area + "".join(_REGION_WORDS.get(word, word) for word in words) + number


def artifact_bucket_name(prefix: str, account_id: str, region: str) -> str:
    """Bucket names are global: the account and region make ours unique without a random suffix.

    Blueprint ids (<= 20), environment names (<= 12), account ids (12) and region names (<= 15)
    keep this within S3's 63 characters (S3_BUCKET).
    """
    return f"{prefix}-{account_id}-{region}"


def key_alias_name(prefix: str) -> str:
    """The platform key's alias (KMS_ALIAS); IAM policies name the key through it."""
    return f"alias/mlstack/{prefix}"


def _role(prefix: str, region: str, purpose: str) -> str:
    # IAM is global to the account: one blueprint id deployed in two regions of an account would
    # otherwise give both deployments the same role names.
    return f"{prefix}-{region_code(region)}-{purpose}"


def execution_role_name(prefix: str, region: str) -> str:
    """The SageMaker execution role (IAM_ROLE); other environments' registry policies name it."""
    return _role(prefix, region, "sagemaker-execution")


def feature_store_role_name(prefix: str, region: str) -> str:
    """The role Feature Store assumes to write offline stores (IAM_ROLE)."""
    return _role(prefix, region, "feature-store")


def tracking_role_name(prefix: str, region: str) -> str:
    """The role the MLflow tracking server assumes (IAM_ROLE)."""
    return _role(prefix, region, "mlflow")


def feedback_lambda_role_name(prefix: str, region: str) -> str:
    """The feedback function's role (IAM_ROLE)."""
    return _role(prefix, region, "feedback-lambda")


def feedback_firehose_role_name(prefix: str, region: str) -> str:
    """The feedback delivery stream's role (IAM_ROLE)."""
    return _role(prefix, region, "feedback-firehose")


def role_arn(partition: str, account_id: str, role_name: str) -> str:
    """A role's ARN, from its name: known at preview, so a plan shows what uses a renamed role change with it."""
    return f"arn:{partition}:iam::{account_id}:role/{role_name}"


def role_policy_name(role_name: str) -> str:
    """A role's one inline policy (IAM_ROLE_POLICY), named after the role: policy names are per role."""
    return role_name


def on_call_topic_name(prefix: str) -> str:
    """The SNS topic every alarm notifies (SNS_TOPIC)."""
    return f"{prefix}-on-call"


def dashboard_name(prefix: str) -> str:
    """The platform's CloudWatch dashboard (CLOUDWATCH_DASHBOARD)."""
    return prefix


# --- serving --------------------------------------------------------------------------------------


def endpoint_resource_name(prefix: str, endpoint: str) -> str:
    """The SageMaker endpoint clients invoke (SAGEMAKER_ENDPOINT); fixed so callers need no lookup."""
    return f"{prefix}-{endpoint}"


def model_name(endpoint_name: str, model: str, content: object) -> str:
    """A SageMaker model (SAGEMAKER_MODEL), versioned by everything it is made of."""
    return versioned_name(f"{endpoint_name}-{model}", content, SAGEMAKER_MODEL.max_length)


def endpoint_config_name(endpoint_name: str, content: object) -> str:
    """An endpoint configuration (SAGEMAKER_ENDPOINT_CONFIG), versioned by everything it is made of."""
    return versioned_name(endpoint_name, content, SAGEMAKER_ENDPOINT_CONFIG.max_length)


def latency_alarm_name(endpoint_name: str, variant: str) -> str:
    """A variant's p99 latency alarm (CLOUDWATCH_ALARM); a rollback alarm, so fixed."""
    return f"{endpoint_name}-{variant}-p99-latency"


def error_rate_alarm_name(endpoint_name: str) -> str:
    """The endpoint's 5xx error-rate alarm (CLOUDWATCH_ALARM); a rollback alarm, so fixed."""
    return f"{endpoint_name}-error-rate"


def scaling_policy_name(endpoint_name: str, variant: str) -> str:
    """A variant's target-tracking policy (SCALING_POLICY)."""
    return f"{endpoint_name}-{variant}-target-tracking"


# The one production variant of an inference-component endpoint (SAGEMAKER_VARIANT); components name it.
COMPONENT_FLEET_VARIANT = "fleet"


def inference_component_name(endpoint_name: str, component: str) -> str:
    """An inference component (SAGEMAKER_INFERENCE_COMPONENT); clients invoke it by this name."""
    return f"{endpoint_name}-{component}"


def wake_alarm_name(scaled: str) -> str:
    """The alarm whose step-scaling action scales a component or async variant out from zero."""
    return f"{scaled}-scale-from-zero"


def wake_policy_name(scaled: str) -> str:
    """The step-scaling policy (SCALING_POLICY) that adds capacity when nothing can serve."""
    return f"{scaled}-scale-from-zero"


def async_prefix(endpoint: str) -> str:
    """Where an asynchronous endpoint's results and failures go in the artifact bucket."""
    return f"async/{endpoint}"


def async_topic_name(endpoint_name: str, outcome: str) -> str:
    """An asynchronous endpoint's success or error topic (SNS_TOPIC)."""
    return f"{endpoint_name}-async-{outcome}"


def oldest_request_alarm_name(endpoint_name: str) -> str:
    """An asynchronous endpoint's queue-age alarm (CLOUDWATCH_ALARM)."""
    return f"{endpoint_name}-oldest-request"


def data_capture_prefix(endpoint: str) -> str:
    """Where an endpoint's captured requests and responses go in the artifact bucket."""
    return f"data-capture/{endpoint}"


# --- registry, feature store, tracking ------------------------------------------------------------


def model_package_group_name(prefix: str, group: str) -> str:
    """A registry model group (SAGEMAKER_MODEL_PACKAGE_GROUP)."""
    return f"{prefix}-{group}"


def feature_group_name(prefix: str, group: str) -> str:
    """A feature group (SAGEMAKER_FEATURE_GROUP)."""
    return f"{prefix}-{group}"


def feature_store_prefix(group: str) -> str:
    """Where a feature group's offline store lives in the artifact bucket."""
    return f"feature-store/{group}"


def glue_table_name(physical_group_name: str) -> str:
    """A feature group's offline-store table (GLUE_TABLE): Glue/Athena tables are lower case with underscores."""
    return physical_group_name.lower().replace("-", "_")


def tracking_server_name(prefix: str) -> str:
    """The MLflow tracking server (SAGEMAKER_TRACKING_SERVER)."""
    return f"{prefix}-mlflow"


# --- monitoring -----------------------------------------------------------------------------------

MONITOR_OUTCOMES = ("violations", "failed")


def monitoring_schedule_name(prefix: str, monitor: str) -> str:
    """A drift monitor's schedule (SAGEMAKER_MONITORING_SCHEDULE); the monitor's other names start with it."""
    return f"{prefix}-{monitor}"


def monitoring_job_definition_name(schedule_name: str, content: object) -> str:
    """A monitor's job definition (SAGEMAKER_MONITORING_JOB_DEFINITION), versioned by all its inputs."""
    return versioned_name(schedule_name, content, SAGEMAKER_MONITORING_JOB_DEFINITION.max_length)


def outcome_rule_name(schedule_name: str, outcome: str) -> str:
    """The EventBridge rule matching a monitor's runs that end in `outcome` (EVENTBRIDGE_RULE)."""
    return f"{schedule_name}-{outcome}"


def outcome_alarm_name(schedule_name: str, outcome: str) -> str:
    """The alarm on that rule's matches (CLOUDWATCH_ALARM)."""
    return f"{schedule_name}-{outcome}"


# --- feedback -------------------------------------------------------------------------------------

# Firehose's error-logging stream inside the delivery stream's log group (LOG_STREAM).
FEEDBACK_DELIVERY_LOG_STREAM = "DestinationDelivery"


def feedback_api_name(prefix: str) -> str:
    """The feedback HTTP API (HTTP_API)."""
    return f"{prefix}-feedback"


def feedback_function_name(prefix: str) -> str:
    """The feedback function (LAMBDA_FUNCTION)."""
    return f"{prefix}-feedback"


def feedback_stream_name(prefix: str) -> str:
    """The feedback delivery stream (FIREHOSE_STREAM)."""
    return f"{prefix}-feedback"


def feedback_function_log_group(prefix: str) -> str:
    """The function's log group (LOG_GROUP): where Lambda writes unless told otherwise; ours owns its retention."""
    return f"/aws/lambda/{feedback_function_name(prefix)}"


def feedback_access_log_group(prefix: str) -> str:
    """The API's access log group (LOG_GROUP).

    /aws/vendedlogs/ avoids CloudWatch's 5,120-character log-group resource policy limit, which API
    Gateway otherwise fills with one statement per log group:
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html
    """
    return f"/aws/vendedlogs/apigateway/{prefix}-feedback"


def feedback_stream_log_group(prefix: str) -> str:
    """The delivery stream's error log group (LOG_GROUP)."""
    return f"/aws/kinesisfirehose/{feedback_stream_name(prefix)}"


def feedback_resource_names(prefix: str, region: str) -> dict[str, tuple[NameRule, str]]:
    """Every physical name of the feedback API, by the role it plays, with the rule it must follow."""
    lambda_role = feedback_lambda_role_name(prefix, region)
    firehose_role = feedback_firehose_role_name(prefix, region)
    return {
        "api": (HTTP_API, feedback_api_name(prefix)),
        "function": (LAMBDA_FUNCTION, feedback_function_name(prefix)),
        "stream": (FIREHOSE_STREAM, feedback_stream_name(prefix)),
        "lambda_role": (IAM_ROLE, lambda_role),
        "lambda_policy": (IAM_ROLE_POLICY, role_policy_name(lambda_role)),
        "firehose_role": (IAM_ROLE, firehose_role),
        "firehose_policy": (IAM_ROLE_POLICY, role_policy_name(firehose_role)),
        "function_logs": (LOG_GROUP, feedback_function_log_group(prefix)),
        "access_logs": (LOG_GROUP, feedback_access_log_group(prefix)),
        "stream_logs": (LOG_GROUP, feedback_stream_log_group(prefix)),
        "stream_log_stream": (LOG_STREAM, FEEDBACK_DELIVERY_LOG_STREAM),
    }


# --- versioned names ------------------------------------------------------------------------------

DIGEST_LENGTH = 8


def versioned_name(base: str, content: object, max_length: int = MAX_SAGEMAKER_NAME) -> str:
    """`base` plus a digest of `base` and `content`, within `max_length`.

    SageMaker models, endpoint configurations and monitoring job definitions are immutable: a change
    replaces them. A name that changes with the content lets the replacement exist beside the old one
    (create, then delete), keeps the name readable and known at preview, and stays within SageMaker's
    63 characters, which Pulumi's random auto-names (logical name + 8 characters) overrun for long
    endpoint names.

    The digest covers the whole base too: a long base is cut to fit, and two resources whose bases
    differ only after the cut (endpoints `...-euw-a` and `...-euw-b` serving the same model) would
    otherwise get the same name.
    """
    identity = {"base": base, "content": content}
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:DIGEST_LENGTH]
    return f"{base[: max_length - DIGEST_LENGTH - 1].rstrip('-')}-{digest}"


# --- Kubernetes -------------------------------------------------------------------------------------


def kubernetes_namespace(namespace: str, environment: str) -> str:
    """One namespace per blueprint and environment (KUBERNETES_NAMESPACE), so environments that share
    a cluster never share objects."""
    return f"{namespace}-{environment}"


def kubernetes_role_name(prefix: str, region: str, workload: str) -> str:
    """The IAM role of one Kubernetes workload's pods (IAM_ROLE): each gets exactly its own access."""
    return _role(prefix, region, f"k8s-{workload}")


def rds_instance_name(prefix: str, purpose: str) -> str:
    """An RDS instance (RDS_INSTANCE), e.g. MLflow's backend store."""
    return f"{prefix}-{purpose}"


def cluster_name(prefix: str, configured: str | None) -> str:
    """The EKS cluster of an environment: as configured, else `<blueprint>-<environment>`."""
    return configured or prefix


def drift_report_alarm_name(prefix: str, job: str) -> str:
    """The alarm of a Kubernetes drift job whose report did not arrive (CLOUDWATCH_ALARM)."""
    return f"{prefix}-{job}-drift-report-missing"
