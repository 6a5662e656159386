"""ExperimentTracking: a SageMaker managed MLflow tracking server with a narrowly scoped role."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi

from mlstack.components.naming import role_arn, role_policy_name
from mlstack.components.options import child_options, replacement_options
from mlstack.components.policy_documents import platform_key_statement, sagemaker_trust_policy
from mlstack.components.registry import model_package_arns
from mlstack.components.sdk import aws

ARTIFACT_PREFIX = "mlflow"


@dataclass
class ExperimentTrackingArgs:
    """Inputs of an ExperimentTracking server."""

    server_name: str
    """Physical tracking server name."""
    size: Literal["Small", "Medium", "Large"]
    """SageMaker's TrackingServerSize."""
    bucket_name: pulumi.Input[str]
    """Artifact bucket; MLflow artifacts go under mlflow/."""
    key_alias: str
    """Alias of the platform key that encrypts the bucket."""
    role_name: str
    """Name of the role the tracking server assumes."""
    model_group_names: Sequence[str]
    """Physical model package groups MLflow may register models in."""
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    region: str
    tags: Mapping[str, str]
    extra_tags: Mapping[str, str] = field(default_factory=dict)


class ExperimentTracking(pulumi.ComponentResource):
    """A managed MLflow server that can reach only its artifact prefix and the platform's registry."""

    tracking_server_arn: pulumi.Output[str]
    tracking_server_url: pulumi.Output[str]

    def __init__(self, name: str, args: ExperimentTrackingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlstack:tracking:ExperimentTracking", name, None, opts)
        child = child_options(self, opts)
        tags = {**args.extra_tags, **args.tags}
        role = aws.iam.Role(
            f"{name}-role",
            name=args.role_name,
            description="SageMaker MLflow tracking server: its artifact prefix and the model registry",
            assume_role_policy=pulumi.Output.from_input(args.account_id).apply(sagemaker_trust_policy),
            tags=tags,
            # A role is replaced only under a new name (name and path are its only ForceNew inputs),
            # so the new one can exist first. The server's role_arn is ForceNew as well: a new role
            # replaces the server, under the same name, so delete first (mlflow_tracking_server.go).
            opts=replacement_options(child),
        )
        policy = aws.iam.RolePolicy(
            f"{name}-role-policy",
            name=role_policy_name(args.role_name),
            role=role.id,
            policy=pulumi.Output.all(args.bucket_name, args.account_id, args.partition).apply(
                lambda values: _role_policy(bucket=values[0], account_id=values[1], partition=values[2], args=args)
            ),
            # Replaced only on a new role or name, so the old policy can stay until the new one exists.
            opts=replacement_options(child),
        )
        server = aws.sagemaker.MlflowTrackingServer(
            f"{name}-server",
            tracking_server_name=args.server_name,
            tracking_server_size=args.size,
            artifact_store_uri=pulumi.Output.concat("s3://", args.bucket_name, f"/{ARTIFACT_PREFIX}/"),
            role_arn=pulumi.Output.all(args.partition, args.account_id, role.name).apply(lambda v: role_arn(*v)),
            # Models logged in MLflow appear as versions in the SageMaker Model Registry.
            automatic_model_registration=True,
            tags=tags,
            opts=child_options(self, opts, [policy]),
        )
        self.tracking_server_arn = server.arn
        self.tracking_server_url = server.tracking_server_url
        self.register_outputs(
            {"tracking_server_arn": self.tracking_server_arn, "tracking_server_url": self.tracking_server_url}
        )


def _role_policy(*, bucket: str, account_id: str, partition: str, args: ExperimentTrackingArgs) -> str:
    statements: list[dict[str, object]] = [
        {
            "Sid": "ArtifactObjects",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
            "Resource": [f"arn:{partition}:s3:::{bucket}/{ARTIFACT_PREFIX}/*"],
        },
        {
            "Sid": "ArtifactList",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [f"arn:{partition}:s3:::{bucket}"],
            "Condition": {"StringLike": {"s3:prefix": [f"{ARTIFACT_PREFIX}/*"]}},
        },
        {
            # GetBucketLocation carries no s3:prefix key, so under the listing's prefix condition it
            # would always be denied: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
            "Sid": "ArtifactBucketLocation",
            "Effect": "Allow",
            "Action": ["s3:GetBucketLocation"],
            "Resource": [f"arn:{partition}:s3:::{bucket}"],
        },
        platform_key_statement(partition, args.region, account_id, args.key_alias),
    ]
    if args.model_group_names:
        statements.append(
            {
                "Sid": "ModelRegistry",
                "Effect": "Allow",
                "Action": [
                    "sagemaker:AddTags",
                    "sagemaker:CreateModelPackage",
                    "sagemaker:CreateModelPackageGroup",
                    "sagemaker:DescribeModelPackage",
                    "sagemaker:DescribeModelPackageGroup",
                    "sagemaker:ListModelPackages",
                    "sagemaker:UpdateModelPackage",
                ],
                "Resource": [
                    arn
                    for group in sorted(args.model_group_names)
                    for arn in model_package_arns(partition, args.region, account_id, group)
                ],
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)
