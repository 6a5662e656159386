"""Trust and permission documents of pod roles (Pulumi-free).

Each role can do exactly what its workload needs: read its S3 prefixes, write its report or
artifact prefix, use the platform key only through S3 (and SNS for publishers), publish to one
topic. No `*` actions, no `*` resources.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Literal

from mlstack.components.policy_documents import Statement, s3_bucket_and_key

POD_IDENTITY_PRINCIPAL = "pods.eks.amazonaws.com"
IRSA_AUDIENCE = "sts.amazonaws.com"


def pod_identity_trust_policy(cluster_name: str, namespace: str, service_account: str) -> str:
    """Trust of an EKS Pod Identity role, for one service account of one cluster only.

    EKS Pod Identity tags its STS session with the cluster, namespace and service account; the
    conditions restrict the role to this association even if someone associates it elsewhere:
    https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html and pod-id-abac.html. The
    association must keep session tags on (`disable_session_tags` unset), or the role cannot be assumed.
    """
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "EksPodIdentity",
                    "Effect": "Allow",
                    "Principal": {"Service": POD_IDENTITY_PRINCIPAL},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                    "Condition": {
                        "StringEquals": {
                            "aws:RequestTag/eks-cluster-name": cluster_name,
                            "aws:RequestTag/kubernetes-namespace": namespace,
                            "aws:RequestTag/kubernetes-service-account": service_account,
                        }
                    },
                }
            ],
        },
        sort_keys=True,
    )


def irsa_trust_policy(oidc_provider_arn: str, namespace: str, service_account: str) -> str:
    """Trust of an IRSA role: the cluster's OIDC provider, for exactly one service account.

    https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
    """
    issuer = oidc_provider_arn.split(":oidc-provider/", 1)[1]
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "EksIrsa",
                    "Effect": "Allow",
                    "Principal": {"Federated": oidc_provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            f"{issuer}:aud": IRSA_AUDIENCE,
                            f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                        }
                    },
                }
            ],
        },
        sort_keys=True,
    )


def trust_policy(
    mode: Literal["pod-identity", "irsa"],
    *,
    cluster_name: str,
    namespace: str,
    service_account: str,
    oidc_provider_arn: str | None,
) -> str:
    """The trust policy for `mode`."""
    if mode == "irsa":
        if oidc_provider_arn is None:
            raise ValueError("IRSA needs oidc_provider_arn")
        return irsa_trust_policy(oidc_provider_arn, namespace, service_account)
    return pod_identity_trust_policy(cluster_name, namespace, service_account)


def _object_resource(partition: str, uri: str) -> str:
    bucket, key = s3_bucket_and_key(uri)
    # A prefix (trailing /, or a whole bucket) covers everything under it; an object only itself.
    return (
        f"arn:{partition}:s3:::{bucket}/{key}*"
        if key.endswith("/") or not key
        else f"arn:{partition}:s3:::{bucket}/{key}"
    )


def _list_statements(partition: str, sid: str, uris: Iterable[str]) -> list[Statement]:
    prefixes: dict[str, set[str]] = {}
    for uri in uris:
        bucket, key = s3_bucket_and_key(uri)
        prefixes.setdefault(bucket, set()).add(key if key.endswith("/") or not key else key.rsplit("/", 1)[0] + "/")
    return [
        {
            "Sid": f"{sid}{index}",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [f"arn:{partition}:s3:::{bucket}"],
            "Condition": {"StringLike": {"s3:prefix": sorted(f"{p}*" if p != "/" else "*" for p in keys)}},
        }
        for index, (bucket, keys) in enumerate(sorted(prefixes.items()))
    ]


def role_policy(
    *,
    partition: str,
    region: str,
    read_uris: Sequence[str],
    write_uris: Sequence[str] = (),
    delete_uris: Sequence[str] = (),
    kms_key_arn: str | None = None,
    topic_arn: str | None = None,
    account_id: str | None = None,
    kms_key_alias: str | None = None,
) -> str | None:
    """The permission policy of a pod role; None when it may do nothing (IAM rejects an empty policy)."""
    statements: list[Statement] = []
    if read_uris:
        statements.append(
            {
                "Sid": "S3Read",
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": sorted({_object_resource(partition, uri) for uri in read_uris}),
            }
        )
        statements += _list_statements(partition, "S3ReadList", read_uris)
    if write_uris:
        statements.append(
            {
                "Sid": "S3Write",
                "Effect": "Allow",
                "Action": ["s3:AbortMultipartUpload", "s3:PutObject"],
                "Resource": sorted({_object_resource(partition, uri) for uri in write_uris}),
            }
        )
    if delete_uris:
        statements.append(
            {
                "Sid": "S3Delete",
                "Effect": "Allow",
                "Action": ["s3:DeleteObject"],
                "Resource": sorted({_object_resource(partition, uri) for uri in delete_uris}),
            }
        )
    if (kms_key_arn is not None or kms_key_alias is not None) and (read_uris or write_uris or topic_arn):
        suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
        services = [f"s3.{region}.{suffix}"] + ([f"sns.{region}.{suffix}"] if topic_arn else [])
        actions = ["kms:Decrypt"] + (["kms:GenerateDataKey"] if write_uris or topic_arn else [])
        condition: dict[str, object] = {"StringEquals": {"kms:ViaService": services}}
        if kms_key_alias is not None:
            # The platform's convention: the key through its alias, known before the key exists.
            resource = f"arn:{partition}:kms:{region}:{account_id}:key/*"
            condition["ForAnyValue:StringEquals"] = {"kms:ResourceAliases": kms_key_alias}
        else:
            resource = str(kms_key_arn)
        statements.append(
            {
                # Only through S3 (SSE-KMS objects) and SNS (the encrypted topic), never directly:
                # https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
                "Sid": "PlatformKeyViaServices",
                "Effect": "Allow",
                "Action": actions,
                "Resource": [resource],
                "Condition": condition,
            }
        )
    if topic_arn is not None:
        statements.append(
            {"Sid": "OnCallPublish", "Effect": "Allow", "Action": ["sns:Publish"], "Resource": [topic_arn]}
        )
    if not statements:
        return None
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)
