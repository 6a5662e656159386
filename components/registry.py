"""ModelRegistry: one SageMaker model package group per model family, readable across environments."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from mlstack.components.naming import role_arn
from mlstack.components.options import child_options
from mlstack.components.sdk import aws

# What another environment's execution role may do with this environment's model versions:
# look, not touch. Promotion copies an approved version into the target environment's group.
CROSS_ENVIRONMENT_READ_ACTIONS = (
    "sagemaker:DescribeModelPackage",
    "sagemaker:DescribeModelPackageGroup",
    "sagemaker:ListModelPackages",
)


@dataclass
class ModelRegistryArgs:
    """Inputs of a ModelRegistry."""

    group_names: Mapping[str, str]
    """Physical model package group name by blueprint group name."""
    account_id: pulumi.Input[str]
    """Account of the platform; every environment's roles live here."""
    partition: pulumi.Input[str]
    """AWS partition, for ARNs."""
    region: str
    """Region of the groups."""
    reader_role_names: Sequence[str]
    """Execution roles of the other environments, allowed to read versions (for promotion)."""
    tags: Mapping[str, str]
    """Tags the platform owns."""


def model_package_group_arn(partition: str, region: str, account_id: str, group: str) -> str:
    return f"arn:{partition}:sagemaker:{region}:{account_id}:model-package-group/{group}"


def model_package_arns(partition: str, region: str, account_id: str, group: str) -> list[str]:
    """The group and every version in it (versions are `model-package/<group>/<n>`)."""
    return [
        model_package_group_arn(partition, region, account_id, group),
        f"arn:{partition}:sagemaker:{region}:{account_id}:model-package/{group}/*",
    ]


class ModelRegistry(pulumi.ComponentResource):
    """Model package groups with a resource policy that lets the other environments read them."""

    group_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: ModelRegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlstack:registry:ModelRegistry", name, None, opts)
        child = child_options(self, opts)
        self.group_arns = {}
        for key, group_name in args.group_names.items():
            group = aws.sagemaker.ModelPackageGroup(
                f"{name}-{key}",
                model_package_group_name=group_name,
                model_package_group_description=f"Versions of {key}, registered by mlstack",
                tags=dict(args.tags),
                opts=child,
            )
            if args.reader_role_names:
                policy = _read_policy_output(args, group_name)
                aws.sagemaker.ModelPackageGroupPolicy(
                    f"{name}-{key}-policy",
                    model_package_group_name=group.model_package_group_name,
                    resource_policy=policy,
                    opts=child,
                )
            self.group_arns[key] = group.arn
        self.register_outputs({"group_arns": self.group_arns})


def _read_policy_output(args: ModelRegistryArgs, group_name: str) -> pulumi.Output[str]:
    return pulumi.Output.all(args.partition, args.account_id).apply(
        lambda values: _read_policy(values[0], args.region, values[1], group_name, args.reader_role_names)
    )


def _read_policy(partition: str, region: str, account_id: str, group: str, reader_roles: Sequence[str]) -> str:
    # The principal is the account, narrowed by aws:PrincipalArn: a role ARN as principal is
    # rejected until that role exists, and the other environments may be deployed later.
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "OtherEnvironmentsRead",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                    "Action": list(CROSS_ENVIRONMENT_READ_ACTIONS),
                    "Resource": model_package_arns(partition, region, account_id, group),
                    "Condition": {
                        "ArnLike": {
                            "aws:PrincipalArn": [role_arn(partition, account_id, role) for role in sorted(reader_roles)]
                        }
                    },
                }
            ],
        },
        sort_keys=True,
    )
