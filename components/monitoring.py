"""Model Monitor drift schedules, the on-call topic, and their alarms.

Model Monitor reports violations per feature (data quality) or per metric (model quality), so no
single CloudWatch metric counts them. Every monitoring execution is a processing job, though, and
its end state arrives on EventBridge: a rule per outcome (violations found, execution failed)
counts them in `AWS/Events MatchedEvents`, and the alarms watch that count.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi

from mlstack.components.naming import (
    MONITOR_OUTCOMES,
    monitoring_job_definition_name,
    outcome_alarm_name,
    outcome_rule_name,
)
from mlstack.components.options import child_options, replacement_options
from mlstack.components.sdk import aws, aws_native

# Paths inside the Model Monitor container (the analyzer reads and writes these).
CAPTURE_INPUT_PATH = "/opt/ml/processing/input/endpoint"
GROUND_TRUTH_PATH = "/opt/ml/processing/groundtruth"
OUTPUT_PATH = "/opt/ml/processing/output"
# SageMaker caps a monitoring run at 3600 s, and an hourly model-quality (or bias) run at 1800 s:
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_MonitoringStoppingCondition.html
MAX_RUNTIME_SECONDS = 3600
MAX_HOURLY_MODEL_QUALITY_RUNTIME_SECONDS = 1800
HOURLY = "cron(0 * ? * * *)"
VOLUME_SIZE_GB = 30
_PROBLEM_TYPES = {
    "binary-classification": "BinaryClassification",
    "multiclass-classification": "MulticlassClassification",
    "regression": "Regression",
}


@dataclass
class OnCallArgs:
    """Inputs of the on-call topic."""

    topic_name: str
    email: str
    key_alias: str
    """Platform key alias; SNS accepts an alias, so the topic is encrypted with our key."""
    tags: Mapping[str, str]


class OnCall(pulumi.ComponentResource):
    """A KMS-encrypted SNS topic with the on-call e-mail subscribed."""

    topic_arn: pulumi.Output[str]

    def __init__(self, name: str, args: OnCallArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlstack:monitoring:OnCall", name, None, opts)
        child = child_options(self, opts)
        topic = aws.sns.Topic(
            f"{name}-topic",
            name=args.topic_name,
            kms_master_key_id=args.key_alias,
            tags=dict(args.tags),
            opts=child,
        )
        # E-mail subscriptions stay pending until the recipient confirms the message AWS sends.
        aws.sns.TopicSubscription(f"{name}-email", topic=topic.arn, protocol="email", endpoint=args.email, opts=child)
        self.topic_arn = topic.arn
        self.register_outputs({"topic_arn": self.topic_arn})


@dataclass(frozen=True)
class MonitorVpc:
    subnet_ids: Sequence[str]
    security_group_ids: Sequence[str]


@dataclass
class DriftMonitorArgs:
    """Inputs of a DriftMonitor."""

    monitor_name: str
    """Physical name of the schedule; the job definition, rules and alarms start with it."""
    kind: Literal["data-quality", "model-quality"]
    endpoint_name: str
    baseline_uri: str
    """S3 prefix with statistics.json and constraints.json."""
    schedule_expression: str
    image_uri: str
    """Model Monitor analyzer image for the region."""
    instance_type: str
    output_uri: pulumi.Input[str]
    role_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    key_alias: str
    """Alias of `kms_key_arn`. The key's ARN is unknown until the key exists, so the alias, which
    names the platform's one key, stands in for it in the job definition's versioned name."""
    tags: Mapping[str, str]
    ground_truth_uri: str | None = None
    problem_type: str | None = None
    inference_attribute: str | None = None
    probability_attribute: str | None = None
    probability_threshold: float | None = None
    vpc: MonitorVpc | None = None
    alarm_topic_arn: pulumi.Input[str] | None = None
    """Where the drift and failure alarms notify; None leaves them without actions."""
    extra_tags: Mapping[str, str] = field(default_factory=dict)


class DriftMonitor(pulumi.ComponentResource):
    """A monitoring job definition, its schedule, and alarms on violations and failed runs."""

    schedule_name: str
    alarm_names: list[str]

    def __init__(self, name: str, args: DriftMonitorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlstack:monitoring:DriftMonitor", name, None, opts)
        child = child_options(self, opts)
        tags = {**args.extra_tags, **args.tags}
        if args.kind == "data-quality":
            definition_name: pulumi.Output[str] = _data_quality(name, args, tags, child)
            monitoring_type = "DataQuality"
        else:
            definition_name = _model_quality(name, args, tags, child)
            monitoring_type = "ModelQuality"
        schedule = aws.sagemaker.MonitoringSchedule(
            f"{name}-schedule",
            name=args.monitor_name,
            # Not ForceNew (monitoring_schedule.go): a new job definition, schedule or type updates
            # the schedule in place, which then runs the new definition.
            monitoring_schedule_config={
                "monitoring_job_definition_name": definition_name,
                "monitoring_type": monitoring_type,
                "schedule_config": {"schedule_expression": args.schedule_expression},
            },
            tags=tags,
            # Only the name is ForceNew, so a replacement has a new name (a renamed monitor).
            opts=replacement_options(child),
        )
        self.schedule_name = args.monitor_name
        self.alarm_names = [
            _outcome_alarm(name, args=args, schedule=schedule, outcome=outcome, tags=tags, opts=child)
            for outcome in MONITOR_OUTCOMES
        ]
        self.register_outputs({"schedule_name": self.schedule_name, "alarm_names": self.alarm_names})


def _vpc(args: DriftMonitorArgs) -> dict[str, list[str]] | None:
    if not args.vpc:
        return None
    return {"subnets": list(args.vpc.subnet_ids), "security_group_ids": list(args.vpc.security_group_ids)}


# Job definitions cannot be changed, only replaced, and both providers replace them on any change:
# - DataQualityJobDefinition (pulumi-aws): every argument is ForceNew except tags, updated in place,
#   and role_arn, which Update ignores ("Tags only"), so a new role would never reach SageMaker:
#   https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/sagemaker/data_quality_job_definition.go
# - ModelQualityJobDefinition (aws-native): every property is createOnly, Tags included:
#   https://github.com/pulumi/pulumi-aws-native/blob/master/aws-cloudformation-schema/aws-sagemaker-modelqualityjobdefinition.json
# Under a fixed name a replacement deletes the definition the schedule runs and creates it again. So
# the name carries a digest of every input (monitoring_job_definition_name): a change creates the
# new definition beside the old one, the schedule moves to it, and the old one is deleted last.
def _definition_name(args: DriftMonitorArgs, inputs: Callable[[str, str], Mapping[str, object]]) -> pulumi.Output[str]:
    """The versioned name of the definition built by `inputs(role_arn, output_uri)`, the key by its alias."""
    return pulumi.Output.all(args.role_arn, args.output_uri).apply(
        lambda known: monitoring_job_definition_name(args.monitor_name, inputs(str(known[0]), str(known[1])))
    )


def _data_quality(
    name: str, args: DriftMonitorArgs, tags: Mapping[str, str], opts: pulumi.ResourceOptions
) -> pulumi.Output[str]:
    definition = aws.sagemaker.DataQualityJobDefinition(
        f"{name}-job",
        name=_definition_name(
            args,
            lambda role_arn, output_uri: _data_quality_inputs(
                args, tags, role_arn=role_arn, output_uri=output_uri, kms_key=args.key_alias
            ),
        ),
        **_data_quality_inputs(
            args, tags, role_arn=args.role_arn, output_uri=args.output_uri, kms_key=args.kms_key_arn
        ),
        opts=replacement_options(opts),
    )
    return definition.name


def _data_quality_inputs(
    args: DriftMonitorArgs,
    tags: Mapping[str, str],
    *,
    role_arn: pulumi.Input[str],
    output_uri: pulumi.Input[str],
    kms_key: pulumi.Input[str],
) -> dict[str, Any]:
    """Every argument of the DataQualityJobDefinition but its name."""
    baseline = args.baseline_uri.rstrip("/")
    network: aws.sagemaker.DataQualityJobDefinitionNetworkConfigArgsDict = {
        "enable_inter_container_traffic_encryption": True,
        "enable_network_isolation": True,
    }
    vpc = _vpc(args)
    if vpc:
        network["vpc_config"] = {"subnets": vpc["subnets"], "security_group_ids": vpc["security_group_ids"]}
    return {
        "data_quality_app_specification": {
            "image_uri": args.image_uri,
            # Per-feature drift metrics in /aws/sagemaker/Endpoints/data-metrics, for the dashboard.
            "environment": {"publish_cloudwatch_metrics": "Enabled"},
        },
        "data_quality_baseline_config": {
            "constraints_resource": {"s3_uri": f"{baseline}/constraints.json"},
            "statistics_resource": {"s3_uri": f"{baseline}/statistics.json"},
        },
        "data_quality_job_input": {
            "endpoint_input": {"endpoint_name": args.endpoint_name, "local_path": CAPTURE_INPUT_PATH}
        },
        "data_quality_job_output_config": {
            "kms_key_id": kms_key,
            "monitoring_outputs": {
                "s3_output": {"s3_uri": output_uri, "local_path": OUTPUT_PATH, "s3_upload_mode": "EndOfJob"}
            },
        },
        "job_resources": {
            "cluster_config": {
                "instance_count": 1,
                "instance_type": args.instance_type,
                "volume_size_in_gb": VOLUME_SIZE_GB,
                "volume_kms_key_id": kms_key,
            }
        },
        "network_config": network,
        "role_arn": role_arn,
        "stopping_condition": {"max_runtime_in_seconds": MAX_RUNTIME_SECONDS},
        "tags": dict(tags),
    }


def _model_quality(
    name: str, args: DriftMonitorArgs, tags: Mapping[str, str], opts: pulumi.ResourceOptions
) -> pulumi.Output[str]:
    # pulumi-aws has no ModelQualityJobDefinition; the AWS Cloud Control provider does.
    definition = aws_native.sagemaker.ModelQualityJobDefinition(
        f"{name}-job",
        job_definition_name=_definition_name(
            args,
            lambda role_arn, output_uri: _model_quality_inputs(
                args, tags, role_arn=role_arn, output_uri=output_uri, kms_key=args.key_alias
            ),
        ),
        **_model_quality_inputs(
            args, tags, role_arn=args.role_arn, output_uri=args.output_uri, kms_key=args.kms_key_arn
        ),
        opts=replacement_options(opts),
    )
    return definition.job_definition_name.apply(str)


def _model_quality_inputs(
    args: DriftMonitorArgs,
    tags: Mapping[str, str],
    *,
    role_arn: pulumi.Input[str],
    output_uri: pulumi.Input[str],
    kms_key: pulumi.Input[str],
) -> dict[str, Any]:
    """Every property of the ModelQualityJobDefinition but its name."""
    assert args.ground_truth_uri is not None and args.problem_type is not None
    endpoint_input: aws_native.sagemaker.ModelQualityJobDefinitionEndpointInputArgsDict = {
        "endpoint_name": args.endpoint_name,
        "local_path": CAPTURE_INPUT_PATH,
    }
    if args.inference_attribute:
        endpoint_input["inference_attribute"] = args.inference_attribute
    if args.probability_attribute:
        endpoint_input["probability_attribute"] = args.probability_attribute
    if args.probability_threshold is not None:
        endpoint_input["probability_threshold_attribute"] = args.probability_threshold
    network: aws_native.sagemaker.ModelQualityJobDefinitionNetworkConfigArgsDict = {
        "enable_inter_container_traffic_encryption": True,
        "enable_network_isolation": True,
    }
    vpc = _vpc(args)
    if vpc:
        network["vpc_config"] = {"subnets": vpc["subnets"], "security_group_ids": vpc["security_group_ids"]}
    return {
        "endpoint_name": args.endpoint_name,
        "model_quality_app_specification": {
            "image_uri": args.image_uri,
            "problem_type": aws_native.sagemaker.ModelQualityJobDefinitionProblemType(
                _PROBLEM_TYPES[args.problem_type]
            ),
            "environment": {"publish_cloudwatch_metrics": "Enabled"},
        },
        "model_quality_baseline_config": {
            "constraints_resource": {"s3_uri": f"{args.baseline_uri.rstrip('/')}/constraints.json"}
        },
        "model_quality_job_input": {
            "endpoint_input": endpoint_input,
            "ground_truth_s3_input": {"s3_uri": args.ground_truth_uri},
        },
        "model_quality_job_output_config": {
            "kms_key_id": kms_key,
            "monitoring_outputs": [
                {
                    "s3_output": {
                        "s3_uri": output_uri,
                        "local_path": OUTPUT_PATH,
                        "s3_upload_mode": aws_native.sagemaker.ModelQualityJobDefinitionS3OutputS3UploadMode.END_OF_JOB,
                    }
                }
            ],
        },
        "job_resources": {
            "cluster_config": {
                "instance_count": 1,
                "instance_type": args.instance_type,
                "volume_size_in_gb": VOLUME_SIZE_GB,
                "volume_kms_key_id": kms_key,
            }
        },
        "network_config": network,
        "role_arn": role_arn,
        "stopping_condition": {
            "max_runtime_in_seconds": MAX_HOURLY_MODEL_QUALITY_RUNTIME_SECONDS
            if args.schedule_expression == HOURLY
            else MAX_RUNTIME_SECONDS
        },
        "tags": [{"key": key, "value": value} for key, value in sorted(tags.items())],
    }


_OUTCOMES = {
    # A monitoring run that found violations completes with this exit message.
    "violations": {"ExitMessage": [{"prefix": "CompletedWithViolations"}]},
    "failed": {"ProcessingJobStatus": ["Failed"]},
}
_OUTCOME_RULE_DESCRIPTION = {
    "violations": "Runs of monitoring schedule {monitor} that found violations",
    "failed": "Runs of monitoring schedule {monitor} that failed",
}
_OUTCOME_ADVICE = {
    "violations": "found drift against its baseline. Open the violations report in the monitor's S3 output; "
    "retrain or roll back if the drift is real, re-baseline if the change is expected.",
    "failed": "failed to run. Check the processing job's logs (/aws/sagemaker/ProcessingJobs); a missing "
    "baseline or no captured data in the window are the usual causes.",
}


def _outcome_alarm(
    name: str,
    *,
    args: DriftMonitorArgs,
    schedule: aws.sagemaker.MonitoringSchedule,
    outcome: str,
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> str:
    rule_name = outcome_rule_name(args.monitor_name, outcome)
    # Rules and alarms are replaced only under a new name (a renamed monitor): their names and the
    # rule's event bus are their only ForceNew arguments (events/rule.go, cloudwatch/metric_alarm.go).
    aws.cloudwatch.EventRule(
        f"{name}-{outcome}-rule",
        name=rule_name,
        description=_OUTCOME_RULE_DESCRIPTION[outcome].format(monitor=args.monitor_name),
        event_pattern=schedule.arn.apply(
            lambda arn: json.dumps(
                {
                    "source": ["aws.sagemaker"],
                    "detail-type": ["SageMaker Processing Job State Change"],
                    "detail": {"MonitoringScheduleArn": [arn], **_OUTCOMES[outcome]},  # type: ignore[dict-item]
                },
                sort_keys=True,
            )
        ),
        tags=dict(tags),
        opts=replacement_options(opts),
    )
    alarm_name = outcome_alarm_name(args.monitor_name, outcome)
    actions = [args.alarm_topic_arn] if args.alarm_topic_arn is not None else []
    aws.cloudwatch.MetricAlarm(
        f"{name}-{outcome}-alarm",
        name=alarm_name,
        alarm_description=(
            f"Model Monitor schedule {args.monitor_name} on {args.endpoint_name} {_OUTCOME_ADVICE[outcome]}"
        ),
        namespace="AWS/Events",
        metric_name="MatchedEvents",
        dimensions={"RuleName": rule_name},
        statistic="Sum",
        # Runs are hourly at most: look at the last hour as one datapoint.
        period=3600,
        evaluation_periods=1,
        threshold=0,
        comparison_operator="GreaterThanThreshold",
        # No matching event in the hour means nothing went wrong.
        treat_missing_data="notBreaching",
        alarm_actions=actions,
        ok_actions=actions,
        tags=dict(tags),
        opts=replacement_options(opts),
    )
    return alarm_name
