"""IAM statements scoped to exactly the resources a platform uses (Pulumi-free).

No statement grants `*` actions; `*` resources appear only where AWS offers no resource-level
permission, and only for read-only or authentication actions, each with its reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence

Statement = dict[str, object]

_ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/(?P<repo>[^:@]+)"
)


def s3_bucket_and_key(uri: str) -> tuple[str, str]:
    """Split `s3://bucket/key` into bucket and key."""
    without_scheme = uri.removeprefix("s3://")
    bucket, _, key = without_scheme.partition("/")
    return bucket, key


def model_read_statements(
    partition: str, region: str, model_data_uris: Iterable[str], image_uris: Iterable[str]
) -> list[Statement]:
    """Read access to the model artifacts and pull access to the images, nothing more."""
    statements: list[Statement] = []
    objects: set[str] = set()
    buckets: dict[str, set[str]] = {}
    for uri in model_data_uris:
        bucket, key = s3_bucket_and_key(uri)
        # A prefix (uncompressed weights) needs everything under it; an object needs itself.
        objects.add(
            f"arn:{partition}:s3:::{bucket}/{key}*"
            if key.endswith("/") or not key
            else f"arn:{partition}:s3:::{bucket}/{key}"
        )
        buckets.setdefault(bucket, set()).add(key if key.endswith("/") else key.rsplit("/", 1)[0] + "/")
    if objects:
        statements.append(
            {"Sid": "ModelArtifactsRead", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": sorted(objects)}
        )
        for index, (bucket, prefixes) in enumerate(sorted(buckets.items())):
            statements.append(
                {
                    "Sid": f"ModelArtifactsList{index}",
                    "Effect": "Allow",
                    "Action": ["s3:ListBucket"],
                    "Resource": [f"arn:{partition}:s3:::{bucket}"],
                    "Condition": {"StringLike": {"s3:prefix": sorted(f"{p}*" for p in prefixes)}},
                }
            )
    repositories = sorted(
        {
            f"arn:{partition}:ecr:{match['region']}:{match['account']}:repository/{match['repo']}"
            for uri in image_uris
            if (match := _ECR_IMAGE.match(uri))
        }
    )
    if repositories:
        statements.append(
            {
                "Sid": "ImagesPull",
                "Effect": "Allow",
                "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                "Resource": repositories,
            }
        )
        # GetAuthorizationToken has no resource-level permissions:
        # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerregistry.html
        statements.append(
            {"Sid": "ImagesAuth", "Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": ["*"]}
        )
    return statements


def network_interface_statements(
    partition: str, region: str, account_id: str, subnet_ids: Iterable[str], security_group_ids: Iterable[str]
) -> list[Statement]:
    """What SageMaker needs to place endpoints in a VPC, limited to the given subnets and groups.

    https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html (CreateModel API: VpcConfig)
    """
    subnets = sorted(subnet_ids)
    groups = sorted(security_group_ids)
    if not subnets:
        return []
    ec2 = f"arn:{partition}:ec2:{region}:{account_id}"
    return [
        {
            "Sid": "VpcDescribe",
            # Describe* calls have no resource-level permissions; they are read-only.
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
            ],
            "Resource": ["*"],
        },
        {
            "Sid": "VpcNetworkInterfaces",
            "Effect": "Allow",
            "Action": [
                "ec2:CreateNetworkInterface",
                "ec2:CreateNetworkInterfacePermission",
                "ec2:DeleteNetworkInterface",
                "ec2:DeleteNetworkInterfacePermission",
            ],
            "Resource": [
                f"{ec2}:network-interface/*",
                *(f"{ec2}:subnet/{subnet}" for subnet in subnets),
                *(f"{ec2}:security-group/{group}" for group in groups),
            ],
        },
    ]


def sagemaker_trust_policy(account_id: str) -> str:
    """Trust policy of a role SageMaker assumes on behalf of this account only."""
    # aws:SourceAccount stops another account's SageMaker job from assuming our role
    # (confused deputy): https://docs.aws.amazon.com/sagemaker/latest/dg/security-confused-deputy-prevention.html
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sagemaker.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                }
            ],
        },
        sort_keys=True,
    )


PLATFORM_KEY_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")


def platform_key_statement(
    partition: str, region: str, account_id: str, key_alias: str, actions: Sequence[str] = PLATFORM_KEY_ACTIONS
) -> Statement:
    """Use of the platform key, named through its alias.

    The key's ARN is only known after creation; its alias is ours and fixed, so policies name the
    key through it and stay fully known at preview (ABAC; alias changes take up to 5 minutes):
    https://docs.aws.amazon.com/kms/latest/developerguide/alias-authorization.html
    """
    return {
        "Sid": "PlatformKey",
        "Effect": "Allow",
        "Action": list(actions),
        "Resource": [f"arn:{partition}:kms:{region}:{account_id}:key/*"],
        "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": key_alias}},
    }


def platform_key_grant_statement(partition: str, region: str, account_id: str, key_alias: str) -> Statement:
    """Grants on the platform key, only as an AWS service creates them for its resources.

    SageMaker creates grants for the storage volumes of the instances it launches. The condition is
    true only when a service integrated with KMS makes the call on the role's behalf, so the role
    cannot hand the key to another principal itself:
    https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource
    """
    return {
        "Sid": "PlatformKeyGrantsForAwsResources",
        "Effect": "Allow",
        "Action": ["kms:CreateGrant"],
        "Resource": [f"arn:{partition}:kms:{region}:{account_id}:key/*"],
        "Condition": {
            "ForAnyValue:StringEquals": {"kms:ResourceAliases": key_alias},
            "Bool": {"kms:GrantIsForAWSResource": "true"},
        },
    }
