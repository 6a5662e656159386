"""Foundation: the encryption key, artifact bucket and SageMaker execution role of one platform.

Every other component encrypts with this key, writes under this bucket and runs as this role.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi

from mlstack.components.naming import (
    artifact_bucket_name,
    execution_role_name,
    key_alias_name,
    platform_prefix,
    role_arn,
    role_policy_name,
)
from mlstack.components.options import replacement_options
from mlstack.components.policy_documents import (
    model_read_statements,
    network_interface_statements,
    platform_key_grant_statement,
    platform_key_statement,
    sagemaker_trust_policy,
)
from mlstack.components.registry import CROSS_ENVIRONMENT_READ_ACTIONS, model_package_arns
from mlstack.components.sdk import aws


@dataclass
class FoundationArgs:
    """Inputs of a Foundation."""

    blueprint: str
    """Stable blueprint id; first part of every physical name."""
    environment: str
    """Environment name (dev, staging, prod)."""
    account_id: pulumi.Input[str]
    """AWS account the platform is deployed to; makes the bucket name globally unique."""
    partition: pulumi.Input[str]
    """AWS partition (aws, aws-cn, aws-us-gov), for ARNs."""
    region: str
    """AWS region of the platform."""
    tags: Mapping[str, str]
    """Tags the platform owns; merged last on every resource."""
    model_data_uris: Sequence[str] = ()
    """S3 URIs of model artifacts the execution role may read (outside the artifact bucket)."""
    image_uris: Sequence[str] = ()
    """ECR images the execution role may pull."""
    subnet_ids: Sequence[str] = ()
    """Subnets endpoints run in; the role may attach network interfaces there."""
    security_group_ids: Sequence[str] = ()
    """Security groups endpoints use."""
    model_group_names: Sequence[str] = ()
    """Model package groups whose versions the execution role may read (endpoints deploy them)."""
    publishes_monitoring_metrics: bool = False
    """Model Monitor jobs run as the execution role and publish drift metrics to CloudWatch."""
    notification_topic_names: Sequence[str] = ()
    """SNS topics SageMaker publishes asynchronous results to, as the execution role."""
    noncurrent_version_days: int = 90
    """Days an overwritten or deleted object version stays recoverable."""
    prefix_expiration_days: Mapping[str, int] = field(default_factory=dict)
    """Prefixes whose objects expire, e.g. {"data-capture/": 30}; others are kept."""
    key_deletion_window_days: int = 30
    """Days a deleted key stays recoverable; the maximum, because losing it loses the data."""
    extra_tags: Mapping[str, str] = field(default_factory=dict)
    """Caller tags; the platform's own `tags` win on conflict."""


class Foundation(pulumi.ComponentResource):
    """KMS key with rotation, a locked-down versioned artifact bucket, and a scoped execution role."""

    key_arn: pulumi.Output[str]
    key_id: pulumi.Output[str]
    key_alias: str
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    execution_role_arn: pulumi.Output[str]
    execution_role_name: pulumi.Output[str]

    def __init__(self, name: str, args: FoundationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlstack:foundation:Foundation", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = {**args.extra_tags, **args.tags}
        prefix = platform_prefix(args.blueprint, args.environment)

        key = aws.kms.Key(
            f"{name}-key",
            description=f"mlstack {prefix}: artifacts, endpoints, monitoring",
            enable_key_rotation=True,
            deletion_window_in_days=args.key_deletion_window_days,
            policy=pulumi.Output.all(args.account_id, args.partition).apply(
                lambda values: _key_policy(account_id=values[0], partition=values[1], region=args.region)
            ),
            tags=tags,
            opts=child,
        )
        key_alias = key_alias_name(prefix)
        aws.kms.Alias(f"{name}-key-alias", name=key_alias, target_key_id=key.key_id, opts=child)

        # Bucket names are global: account and region make ours unique without a random suffix,
        # so the plan shows the real name and re-creating the stack finds the same bucket.
        bucket_name = pulumi.Output.from_input(args.account_id).apply(
            lambda account_id: artifact_bucket_name(prefix, account_id, args.region)
        )
        # Derived from the name rather than read back from the bucket, so that policies are fully
        # known at preview time and policy checks can read them before anything exists.
        bucket_arn = pulumi.Output.concat("arn:", args.partition, ":s3:::", bucket_name)
        bucket = aws.s3.Bucket(
            f"{name}-artifacts",
            bucket=bucket_name,
            force_destroy=False,
            tags=tags,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-artifacts-ownership",
            bucket=bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        aws.s3.BucketPublicAccessBlock(
            f"{name}-artifacts-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketVersioning(
            f"{name}-artifacts-versioning",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-artifacts-lifecycle",
            bucket=bucket.id,
            rules=_lifecycle_rules(args),
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-artifacts-encryption",
            bucket=bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": key.arn,
                    },
                    # Bucket keys cut KMS request costs by ~99% for SageMaker's many small writes.
                    "bucket_key_enabled": True,
                }
            ],
            opts=child,
        )
        aws.s3.BucketPolicy(
            f"{name}-artifacts-tls-only",
            bucket=bucket.id,
            policy=bucket_arn.apply(_tls_only_policy),
            opts=child,
        )

        role_name = execution_role_name(prefix, args.region)
        role = aws.iam.Role(
            f"{name}-execution-role",
            name=role_name,
            description=f"SageMaker execution role of mlstack {prefix}",
            assume_role_policy=pulumi.Output.from_input(args.account_id).apply(sagemaker_trust_policy),
            max_session_duration=3600,
            tags=tags,
            # Only the name (and path) of a role are ForceNew, so a replacement always has a new name
            # and can be created before the old role is deleted, once nothing uses it any more.
            opts=replacement_options(child),
        )
        policy = pulumi.Output.all(bucket_arn=bucket_arn, account_id=args.account_id, partition=args.partition).apply(
            lambda values: _execution_policy(
                bucket_arn=values["bucket_arn"],
                key_alias=key_alias,
                account_id=values["account_id"],
                partition=values["partition"],
                args=args,
            )
        )
        aws.iam.RolePolicy(
            f"{name}-execution-policy",
            name=role_policy_name(role_name),
            role=role.id,
            policy=policy,
            # Only the role and the name are ForceNew: a replacement sits on a new role or has a new
            # name, so the role keeps its permissions until the new policy is in place.
            opts=replacement_options(child),
        )

        self.key_arn = key.arn
        self.key_id = key.key_id
        self.key_alias = key_alias
        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket_arn
        self.execution_role_arn = pulumi.Output.all(args.partition, args.account_id, role.name).apply(
            lambda values: role_arn(*values)
        )
        self.execution_role_name = role.name
        self.register_outputs(
            {
                "key_arn": self.key_arn,
                "bucket_name": self.bucket_name,
                "execution_role_arn": self.execution_role_arn,
            }
        )


def _lifecycle_rules(args: FoundationArgs) -> list[aws.s3.BucketLifecycleConfigurationRuleArgsDict]:
    rules: list[aws.s3.BucketLifecycleConfigurationRuleArgsDict] = [
        {
            "id": "expire-noncurrent-versions",
            "status": "Enabled",
            "filter": {"prefix": ""},
            # Versioning makes every model and dataset recoverable; old versions still cost money.
            "noncurrent_version_expiration": {"noncurrent_days": args.noncurrent_version_days},
            "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
        }
    ]
    for prefix, days in sorted(args.prefix_expiration_days.items()):
        rules.append(
            {
                "id": f"expire-{prefix.strip('/').replace('/', '-')}",
                "status": "Enabled",
                "filter": {"prefix": prefix},
                "expiration": {"days": days},
            }
        )
    return rules


def _key_policy(*, account_id: str, partition: str, region: str) -> str:
    logs_service = f"logs.{region}.amazonaws.com" + (".cn" if partition == "aws-cn" else "")
    log_groups = f"arn:{partition}:logs:{region}:{account_id}:log-group:*"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    # The AWS default: the account's IAM policies decide who may use the key.
                    "Sid": "AccountIamPolicies",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    # CloudWatch alarms publish to the KMS-encrypted on-call topic only if the key
                    # lets CloudWatch use it: https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger
                    "Sid": "CloudWatchAlarmsToEncryptedTopic",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                },
                {
                    # CloudWatch Logs encrypts a log group with a customer key only if the key policy
                    # admits the regional logs service, for this account's log groups only:
                    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
                    "Sid": "CloudWatchLogsEncryption",
                    "Effect": "Allow",
                    "Principal": {"Service": logs_service},
                    "Action": [
                        "kms:Encrypt*",
                        "kms:Decrypt*",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:Describe*",
                    ],
                    "Resource": "*",
                    "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
                },
            ],
        },
        sort_keys=True,
    )


def _tls_only_policy(bucket_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        },
        sort_keys=True,
    )


def _execution_policy(*, bucket_arn: str, key_alias: str, account_id: str, partition: str, args: FoundationArgs) -> str:
    statements: list[dict[str, object]] = [
        {
            "Sid": "ArtifactBucketList",
            "Effect": "Allow",
            "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
            "Resource": [bucket_arn],
        },
        {
            "Sid": "ArtifactBucketObjects",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
            "Resource": [f"{bucket_arn}/*"],
        },
        platform_key_statement(partition, args.region, account_id, key_alias),
        platform_key_grant_statement(partition, args.region, account_id, key_alias),
        {
            "Sid": "SageMakerLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            "Resource": [
                f"arn:{partition}:logs:{args.region}:{account_id}:log-group:/aws/sagemaker/*",
                f"arn:{partition}:logs:{args.region}:{account_id}:log-group:/aws/sagemaker/*:log-stream:*",
            ],
        },
    ]
    statements += model_read_statements(partition, args.region, args.model_data_uris, args.image_uris)
    if args.publishes_monitoring_metrics:
        statements.append(
            {
                "Sid": "ModelMonitorMetrics",
                "Effect": "Allow",
                "Action": ["cloudwatch:PutMetricData"],
                # PutMetricData has no resource-level permissions; the namespace condition is the scope.
                "Resource": ["*"],
                "Condition": {"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/Endpoints/*"]}},
            }
        )
    if args.model_group_names:
        statements.append(
            {
                "Sid": "ModelRegistryRead",
                "Effect": "Allow",
                "Action": list(CROSS_ENVIRONMENT_READ_ACTIONS),
                "Resource": [
                    arn
                    for group in sorted(args.model_group_names)
                    for arn in model_package_arns(partition, args.region, account_id, group)
                ],
            }
        )
    if args.notification_topic_names:
        # Asynchronous endpoints publish success and error notifications as the execution role:
        # https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-create-endpoint-prerequisites.html
        statements.append(
            {
                "Sid": "AsyncNotifications",
                "Effect": "Allow",
                "Action": ["sns:Publish"],
                "Resource": [
                    f"arn:{partition}:sns:{args.region}:{account_id}:{topic}"
                    for topic in sorted(args.notification_topic_names)
                ],
            }
        )
    statements += network_interface_statements(
        partition, args.region, account_id, args.subnet_ids, args.security_group_ids
    )
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)
