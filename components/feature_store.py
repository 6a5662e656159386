"""FeatureStore: SageMaker feature groups with KMS-encrypted online and offline stores."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi

from mlstack.components.naming import feature_store_prefix, glue_table_name, role_arn, role_policy_name
from mlstack.components.options import child_options, replacement_options
from mlstack.components.policy_documents import platform_key_statement, sagemaker_trust_policy
from mlstack.components.sdk import aws

# SageMaker creates offline-store tables in this Glue database unless told otherwise; naming it
# explicitly keeps the role's Glue permissions exact.
GLUE_DATABASE = "sagemaker_featurestore"
_FEATURE_TYPES = {"string": "String", "integral": "Integral", "fractional": "Fractional"}


@dataclass(frozen=True)
class FeatureGroupArgs:
    """One feature group."""

    key: str
    """Blueprint name of the group; part of logical names."""
    group_name: str
    """Physical feature group name."""
    record_id: str
    event_time: str
    features: Mapping[str, Literal["string", "integral", "fractional"]]
    online_ttl_days: int | None = None
    online: bool = False
    offline_format: Literal["glue", "iceberg"] | None = None
    """Offline table format; None for no offline store."""


@dataclass
class FeatureStoreArgs:
    """Inputs of a FeatureStore."""

    groups: Sequence[FeatureGroupArgs]
    bucket_name: pulumi.Input[str]
    """Artifact bucket; offline stores live under feature-store/<group>/."""
    kms_key_arn: pulumi.Input[str]
    """Platform key for both stores."""
    key_alias: str
    """Alias of the platform key, for the role's policy (known at preview)."""
    role_name: str
    """Name of the role Feature Store assumes to write the offline store."""
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    region: str
    tags: Mapping[str, str]
    extra_tags: Mapping[str, str] = field(default_factory=dict)


class FeatureStore(pulumi.ComponentResource):
    """Feature groups plus the scoped role that writes their offline stores."""

    group_arns: dict[str, pulumi.Output[str]]
    role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: FeatureStoreArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlstack:features:FeatureStore", name, None, opts)
        child = child_options(self, opts)
        tags = {**args.extra_tags, **args.tags}
        role = aws.iam.Role(
            f"{name}-role",
            name=args.role_name,
            description="SageMaker Feature Store: writes offline stores of this platform",
            assume_role_policy=pulumi.Output.from_input(args.account_id).apply(sagemaker_trust_policy),
            tags=tags,
            # A role is replaced only under a new name (name and path are its only ForceNew inputs),
            # so the new one can exist first. A group's role_arn is ForceNew as well: a new role
            # replaces the groups, under the same names, so delete first (feature_group.go).
            opts=replacement_options(child),
        )
        # From the name rather than read back, so that a plan shows the groups change with a renamed role.
        known_role_arn = pulumi.Output.all(args.partition, args.account_id, role.name).apply(lambda v: role_arn(*v))
        offline_groups = [g for g in args.groups if g.offline_format]
        policy = aws.iam.RolePolicy(
            f"{name}-role-policy",
            name=role_policy_name(args.role_name),
            role=role.id,
            policy=pulumi.Output.all(args.bucket_name, args.account_id, args.partition).apply(
                lambda values: _role_policy(
                    bucket=values[0],
                    account_id=values[1],
                    partition=values[2],
                    region=args.region,
                    key_alias=args.key_alias,
                    groups=offline_groups,
                )
            ),
            # Replaced only on a new role or name, so the old policy can stay until the new one exists.
            opts=replacement_options(child),
        )
        self.group_arns = {}
        for group in args.groups:
            resource = aws.sagemaker.FeatureGroup(
                f"{name}-{group.key}",
                feature_group_name=group.group_name,
                record_identifier_feature_name=group.record_id,
                event_time_feature_name=group.event_time,
                feature_definitions=[
                    {"feature_name": feature, "feature_type": _FEATURE_TYPES[kind]}
                    for feature, kind in group.features.items()
                ],
                online_store_config=_online(group, args.kms_key_arn),
                offline_store_config=_offline(group, args.bucket_name, args.kms_key_arn),
                role_arn=known_role_arn,
                description=f"mlstack feature group {group.key}",
                tags=tags,
                # The role must be able to write before SageMaker validates the offline store.
                opts=child_options(self, opts, [policy]),
            )
            self.group_arns[group.key] = resource.arn
        self.role_arn = known_role_arn
        self.register_outputs({"group_arns": self.group_arns, "role_arn": self.role_arn})


def _online(
    group: FeatureGroupArgs, kms_key_arn: pulumi.Input[str]
) -> aws.sagemaker.FeatureGroupOnlineStoreConfigArgsDict | None:
    if not group.online:
        return None
    config: aws.sagemaker.FeatureGroupOnlineStoreConfigArgsDict = {
        "enable_online_store": True,
        "security_config": {"kms_key_id": kms_key_arn},
    }
    if group.online_ttl_days:
        config["ttl_duration"] = {"unit": "Days", "value": group.online_ttl_days}
    return config


def _offline(
    group: FeatureGroupArgs, bucket_name: pulumi.Input[str], kms_key_arn: pulumi.Input[str]
) -> aws.sagemaker.FeatureGroupOfflineStoreConfigArgsDict | None:
    if not group.offline_format:
        return None
    return {
        "s3_storage_config": {
            "s3_uri": pulumi.Output.concat("s3://", bucket_name, "/", feature_store_prefix(group.key)),
            "kms_key_id": kms_key_arn,
        },
        "table_format": "Iceberg" if group.offline_format == "iceberg" else "Glue",
        "disable_glue_table_creation": False,
        "data_catalog_config": {
            "catalog": "AwsDataCatalog",
            "database": GLUE_DATABASE,
            "table_name": glue_table_name(group.group_name),
        },
    }


def _role_policy(
    *, bucket: str, account_id: str, partition: str, region: str, key_alias: str, groups: Sequence[FeatureGroupArgs]
) -> str:
    prefixes = [feature_store_prefix(g.key) for g in groups]
    glue = f"arn:{partition}:glue:{region}:{account_id}"
    statements: list[dict[str, object]] = [platform_key_statement(partition, region, account_id, key_alias)]
    if groups:
        statements += [
            {
                "Sid": "OfflineStoreObjects",
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                "Resource": [f"arn:{partition}:s3:::{bucket}/{prefix}/*" for prefix in prefixes],
            },
            {
                "Sid": "OfflineStoreBucket",
                "Effect": "Allow",
                "Action": ["s3:GetBucketAcl", "s3:GetBucketLocation", "s3:ListBucket"],
                "Resource": [f"arn:{partition}:s3:::{bucket}"],
            },
            {
                "Sid": "OfflineStoreTables",
                "Effect": "Allow",
                "Action": [
                    "glue:CreateDatabase",
                    "glue:CreateTable",
                    "glue:GetDatabase",
                    "glue:GetTable",
                    "glue:UpdateTable",
                ],
                "Resource": [
                    f"{glue}:catalog",
                    f"{glue}:database/{GLUE_DATABASE}",
                    *(f"{glue}:table/{GLUE_DATABASE}/{glue_table_name(g.group_name)}" for g in groups),
                ],
            },
        ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)
