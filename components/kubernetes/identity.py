"""IAM for pods: one least-privilege role per workload, bound to its Kubernetes service account.

Two bindings exist on EKS:
- EKS Pod Identity (default): the role trusts `pods.eks.amazonaws.com` and an
  `aws.eks.PodIdentityAssociation` binds it to (cluster, namespace, service account). Needs the
  `eks-pod-identity-agent` add-on on the cluster.
  https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html
- IRSA: the role trusts the cluster's OIDC provider for exactly `system:serviceaccount:<ns>:<sa>`
  and the service account carries the `eks.amazonaws.com/role-arn` annotation.
  https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html

How the pod gets its token with `automountServiceAccountToken: false` (CKV_K8S_38): that field
only controls the default `kube-api-access-*` volume (the Kubernetes API token). Both bindings
work through a separate projected service account token that the EKS pod identity webhook adds to
every pod whose service account is bound (audience `pods.eks.amazonaws.com` at
/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token, or `sts.amazonaws.com`
at /var/run/secrets/eks.amazonaws.com/serviceaccount/token), plus the SDK's environment variables.
The webhook never looks at `automountServiceAccountToken`
(aws/amazon-eks-pod-identity-webhook pkg/handler/handler.go), so pods keep the API token off and
still get AWS credentials. `fsGroup` is set so the non-root user can read the projected token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi

from mlstack.components.kubernetes.iam_documents import role_policy, trust_policy
from mlstack.components.naming import role_arn, role_policy_name
from mlstack.components.options import child_options, replacement_options
from mlstack.components.sdk import aws


@dataclass(frozen=True)
class PodIamArgs:
    """The IAM role a workload's pods assume, and what it may touch."""

    cluster_name: str
    """EKS cluster the pods run in."""
    role_name: str
    """Physical IAM role name, computed by the caller from `components.naming` (at most 64 characters)."""
    partition: pulumi.Input[str]
    """AWS partition of the account (aws, aws-cn, aws-us-gov)."""
    account_id: pulumi.Input[str]
    """Account the role and the cluster live in."""
    region: str
    """Region of the cluster."""
    read_prefixes: Sequence[pulumi.Input[str]]
    """`s3://bucket/prefix` URIs the pods may read: exactly their model artifacts or sources. A URI
    ending in `/` grants everything under it; otherwise exactly that object."""
    write_prefixes: Sequence[pulumi.Input[str]] = ()
    """`s3://bucket/prefix/` URIs the pods may write under (reports, MLflow artifacts)."""
    kms_key_arn: pulumi.Input[str] | None = None
    """Platform key of SSE-KMS objects (and of the on-call topic): Decrypt for reads, GenerateDataKey
    for writes and publishes."""
    kms_key_alias: str | None = None
    """Alias of the platform key (`alias/mlstack/<prefix>`). When set, the policy names the key
    through it (`kms:ResourceAliases`) instead of by ARN, so the whole document is known at
    preview even while the key's ARN is not, as the rest of mlstack does
    (`components.policy_documents.platform_key_statement`)."""
    mode: Literal["pod-identity", "irsa"] = "pod-identity"
    """How the role is bound to the service account (see the module docstring)."""
    oidc_provider_arn: str | None = None
    """IRSA only: ARN of the cluster's IAM OIDC provider,
    `arn:<partition>:iam::<account>:oidc-provider/oidc.eks.<region>.amazonaws.com/id/<ID>`."""


IRSA_ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"


@dataclass(frozen=True)
class PodRole:
    """What `pod_role` created."""

    role: aws.iam.Role
    policy: aws.iam.RolePolicy | None
    association: aws.eks.PodIdentityAssociation | None
    service_account_annotations: Mapping[str, pulumi.Input[str]]
    """Annotations the service account needs (the IRSA role ARN), empty for Pod Identity."""
    dependencies: Sequence[pulumi.Resource]
    """What pods must wait for: the policy (and association), so they never start without access."""


def pod_role(
    name: str,
    parent: pulumi.Resource,
    opts: pulumi.ResourceOptions | None,
    iam: PodIamArgs,
    *,
    namespace: str,
    service_account: str,
    description: str,
    tags: Mapping[str, str],
    extra_read: Sequence[pulumi.Input[str]] = (),
    extra_write: Sequence[pulumi.Input[str]] = (),
    delete: Sequence[pulumi.Input[str]] = (),
    topic_arn: pulumi.Input[str] | None = None,
) -> PodRole:
    """The role `f"{name}-role"`, its inline policy `f"{name}-role-policy"` and, for Pod Identity,
    the association `f"{name}-pod-identity"`, all children of `parent`."""
    if iam.mode == "irsa" and not iam.oidc_provider_arn:
        raise ValueError(f"{name}: IRSA needs oidc_provider_arn")
    child = child_options(parent, opts)
    role = aws.iam.Role(
        f"{name}-role",
        name=iam.role_name,
        description=description,
        assume_role_policy=trust_policy(
            iam.mode,
            cluster_name=iam.cluster_name,
            namespace=namespace,
            service_account=service_account,
            oidc_provider_arn=iam.oidc_provider_arn,
        ),
        tags=dict(tags),
        # Only a new name replaces a role, so the replacement can exist first (see components.options).
        opts=replacement_options(child),
    )
    reads = [*iam.read_prefixes, *extra_read]
    writes = [*iam.write_prefixes, *extra_write]
    document = pulumi.Output.all(
        pulumi.Output.from_input(iam.partition),
        pulumi.Output.all(*reads),
        pulumi.Output.all(*writes),
        pulumi.Output.all(*delete),
        # By alias, the key's unknown ARN need not be resolved (see `kms_key_alias`).
        pulumi.Output.from_input(None if iam.kms_key_alias else iam.kms_key_arn),
        pulumi.Output.from_input(topic_arn),
        pulumi.Output.from_input(iam.account_id),
    ).apply(
        lambda v: role_policy(
            partition=v[0],
            region=iam.region,
            read_uris=v[1],
            write_uris=v[2],
            delete_uris=v[3],
            kms_key_arn=v[4],
            topic_arn=v[5],
            account_id=v[6],
            kms_key_alias=iam.kms_key_alias,
        )
    )
    has_permissions = bool(reads or writes or delete or topic_arn is not None)
    policy = (
        aws.iam.RolePolicy(
            f"{name}-role-policy",
            name=role_policy_name(iam.role_name),
            role=role.id,
            policy=document.apply(lambda text: text or "{}"),
            opts=replacement_options(child),
        )
        if has_permissions
        else None
    )
    dependencies: list[pulumi.Resource] = [policy] if policy is not None else [role]
    association = None
    annotations: dict[str, pulumi.Input[str]] = {}
    if iam.mode == "pod-identity":
        association = aws.eks.PodIdentityAssociation(
            f"{name}-pod-identity",
            cluster_name=iam.cluster_name,
            namespace=namespace,
            service_account=service_account,
            role_arn=role.arn,
            tags=dict(tags),
            opts=child,
        )
        dependencies.append(association)
    else:
        arn = pulumi.Output.all(pulumi.Output.from_input(iam.partition), pulumi.Output.from_input(iam.account_id))
        annotations[IRSA_ROLE_ANNOTATION] = arn.apply(lambda v: role_arn(v[0], v[1], iam.role_name))
    return PodRole(role, policy, association, annotations, dependencies)
