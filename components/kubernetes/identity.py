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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi


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
    mode: Literal["pod-identity", "irsa"] = "pod-identity"
    """How the role is bound to the service account (see the module docstring)."""
    oidc_provider_arn: str | None = None
    """IRSA only: ARN of the cluster's IAM OIDC provider,
    `arn:<partition>:iam::<account>:oidc-provider/oidc.eks.<region>.amazonaws.com/id/<ID>`."""
