"""MlflowOnKubernetes: a self-hosted MLflow tracking server on EKS, backed by RDS PostgreSQL or SQLite."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi

from components.kubernetes.identity import PodIamArgs


@dataclass(frozen=True)
class MlflowOnKubernetesArgs:
    """Inputs of MlflowOnKubernetes."""

    name: str
    """Kubernetes name of the Deployment, Service and service account."""
    namespace: str
    """Namespace the server runs in (never `default`)."""
    image: str
    """Pinned MLflow tracking-server image with the PostgreSQL driver and boto3 (`MLFLOW_IMAGE`)."""
    artifact_uri: pulumi.Input[str]
    """`s3://bucket/mlflow/`: the server proxies every artifact read and write here."""
    database: Literal["rds-postgres", "sqlite"]
    """Backend store. sqlite lives on an emptyDir: it is lost with the pod, for dev only."""
    iam: PodIamArgs
    """AWS role of the server; `artifact_uri` is added to its read and write prefixes."""
    subnet_ids: Sequence[pulumi.Input[str]] = ()
    """rds-postgres: private subnets of the DB subnet group (at least two availability zones)."""
    security_group_ids: Sequence[pulumi.Input[str]] = ()
    """rds-postgres: security groups attached to the database as they are."""
    vpc_id: pulumi.Input[str] | None = None
    """rds-postgres: when set, a security group is created in this VPC admitting PostgreSQL only
    from `client_security_group_ids`."""
    client_security_group_ids: Sequence[pulumi.Input[str]] = ()
    """Security groups of the pods' network interfaces (the EKS node or pod security group)."""
    kms_key_arn: pulumi.Input[str] | None = None
    """Platform key: encrypts the database storage and Performance Insights; artifacts use the
    bucket's default encryption."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Extra Kubernetes labels of every object; mlstack's own labels win."""
    annotations: Mapping[str, str] = field(default_factory=dict)
    """Extra Kubernetes annotations of every object."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """AWS tags of the RDS and IAM resources; Kubernetes labels where valid label syntax."""
    db_identifier: str | None = None
    """rds-postgres: physical DB instance identifier (lowercase, at most 63 characters), from the caller."""
    db_subnet_group_name: str | None = None
    """rds-postgres: physical DB subnet group name (lowercase, at most 255 characters), from the caller."""
    db_instance_class: str = "db.t4g.small"
    """rds-postgres: instance class."""
    db_allocated_storage_gb: int = 20
    """rds-postgres: gp3 storage size."""
    db_engine_version: str = "16"
    """rds-postgres: PostgreSQL major version; RDS picks its default minor version."""
    db_backup_retention_days: int = 7
    """rds-postgres: automated backup retention (1-35 days)."""
    db_multi_az: bool = False
    """rds-postgres: a standby in a second availability zone."""
    database_cidrs: Sequence[str] = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
    """Where the server's egress to PostgreSQL (5432) may go: private address space by default."""
    cpu: str = "1"
    """CPU request and limit of the server."""
    memory: str = "2Gi"
    """Memory request and limit of the server."""
    port: int = 5000
    """Port of the server and its Service."""
    allowed_client_namespaces: Sequence[str] = ()
    """Namespaces (besides its own) whose pods may reach the tracking server."""


class MlflowOnKubernetes(pulumi.ComponentResource):
    """MLflow tracking server: Deployment, ClusterIP Service, NetworkPolicy, ServiceAccount and IAM,
    and for rds-postgres an encrypted private RDS instance whose URI lives in a Kubernetes Secret."""

    tracking_uri: pulumi.Output[str]
    """`http://<name>.<namespace>.svc.cluster.local:<port>`."""
