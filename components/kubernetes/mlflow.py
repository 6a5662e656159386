"""MlflowOnKubernetes: a self-hosted MLflow tracking server on EKS, backed by RDS PostgreSQL or SQLite.

The server (`mlflow server --serve-artifacts`) proxies every artifact upload and download to
`artifact_uri`, so clients need no S3 access of their own; only the server's role may touch the
prefix. Clients reach it at `tracking_uri` from the namespaces the NetworkPolicy admits.

Image: `MLFLOW_IMAGE`, MLflow's own `-full` variant, which carries the PostgreSQL drivers and the
AWS S3 client (boto3); the plain `ghcr.io/mlflow/mlflow:v<version>` image has neither, and `-full`
exists from MLflow 3.9.0 (mlflow/mlflow docker/README.md, docker/Dockerfile.full). It is pinned by
tag: its digest could not be resolved offline, so pin `image` as `...:v3.10.0-full@sha256:<digest>`
(`docker buildx imagetools inspect`) to pass CKV_K8S_43.

Backend store:
- `rds-postgres`: PostgreSQL on RDS in the private subnets, never publicly accessible, storage
  and Performance Insights encrypted with the platform key, deletion protection on, automated
  backups, a final snapshot on deletion, TLS required by the client (`sslmode=require`). Its
  master password is a `pulumi_random.RandomPassword` (a secret in the state, never printed) and
  the database URI reaches the pod only through a Kubernetes Secret (`<name>-backend-store`),
  expanded into the server's arguments by the kubelet. Schema upgrades after an MLflow version
  bump need `mlflow db upgrade <uri>` once, before the new server starts (MLflow refuses to run
  on an old schema). Two replicas behind a PodDisruptionBudget.
- `sqlite`: a file on an emptyDir, lost whenever the pod is deleted or rescheduled: dev only, one
  replica, `Recreate` updates. Never durable.

MLflow 3.5 and later reject requests whose Host header is not allowed (DNS-rebinding guard), so
`--allowed-hosts` lists the Service's cluster names; `/health` is exempt and serves the probes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_random as random

from mlstack.components.kubernetes.identity import PodIamArgs, pod_role
from mlstack.components.kubernetes.labels import (
    is_dns_1035_label,
    is_dns_1123_label,
    label_problems,
    object_metadata,
    selector_labels,
)
from mlstack.components.kubernetes.network import namespace_peer, workload_policy_spec
from mlstack.components.kubernetes.pod_security import Manifest, http_probe, secure_container, secure_pod_spec, wire
from mlstack.components.kubernetes.service import service_url
from mlstack.components.options import child_options
from mlstack.components.sdk import aws, k8s

# https://github.com/mlflow/mlflow docker/README.md: `-full` from 3.9.0; tag used by public deployments.
MLFLOW_IMAGE = "ghcr.io/mlflow/mlflow:v3.10.0-full"
COMPONENT = "mlflow"
DB_NAME = "mlflow"
DB_USER = "mlflow"
DB_PORT = 5432
SQLITE_DIR = "/var/lib/mlflow"
URI_SECRET_KEY = "uri"
# RDS identifiers: 1-63 letters, digits and hyphens, starting with a letter, no "--", no trailing "-"
# (botocore rds CreateDBInstance DBInstanceIdentifier documentation); lowercase is how RDS stores them.
_DB_IDENTIFIER = re.compile(r"[a-z](?!.*--)[a-z0-9-]{0,62}(?<!-)")
# DB subnet group names: at most 255 letters, digits, periods, underscores, spaces or hyphens, not "default".
_SUBNET_GROUP = re.compile(r"[a-z0-9._ -]{1,255}")


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
    replicas: int | None = None
    """Server replicas: 2 for rds-postgres, and sqlite allows only 1."""


class MlflowOnKubernetes(pulumi.ComponentResource):
    """MLflow tracking server: Deployment, ClusterIP Service, NetworkPolicy, ServiceAccount and IAM,
    and for rds-postgres an encrypted private RDS instance whose URI lives in a Kubernetes Secret."""

    tracking_uri: pulumi.Output[str]
    """`http://<name>.<namespace>.svc.cluster.local:<port>`."""

    def __init__(self, name: str, args: MlflowOnKubernetesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        problems = validate_mlflow_args(args)
        if problems:
            raise ValueError(f"{name}: " + "; ".join(problems))
        super().__init__("mlstack:kubernetes:MlflowOnKubernetes", name, None, opts)
        child = child_options(self, opts)
        pods = selector_labels(args.name, COMPONENT)
        postgres = args.database == "rds-postgres"
        replicas = args.replicas or (2 if postgres else 1)

        def metadata(object_name: str = args.name, extra_annotations: Mapping[str, Any] = {}) -> Manifest:
            annotations: dict[str, Any] = dict(args.annotations)
            annotations.update(extra_annotations)
            return object_metadata(
                name=object_name,
                namespace=args.namespace,
                component=COMPONENT,
                labels=args.labels,
                annotations=annotations,
                tags=args.tags,
                app=args.name,
            )

        role = pod_role(
            name,
            self,
            opts,
            args.iam,
            namespace=args.namespace,
            service_account=args.name,
            description=f"MLflow tracking server {args.namespace}/{args.name}: its artifact prefix",
            tags=args.tags,
            extra_read=[args.artifact_uri],
            extra_write=[args.artifact_uri],
            # Deleting a run's artifacts (mlflow gc, the UI) deletes objects under the prefix.
            delete=[args.artifact_uri],
        )
        account = k8s.core.v1.ServiceAccount(
            f"{name}-service-account",
            metadata=wire(metadata(extra_annotations=role.service_account_annotations)),
            automount_service_account_token=False,
            opts=child,
        )
        waits: list[pulumi.Resource] = [account, *role.dependencies]
        if postgres:
            secret = self._database(name, args, opts, metadata(f"{args.name}-backend-store"))
            waits.append(secret)
            backend = "$(MLFLOW_BACKEND_STORE_URI)"
            secret_env = {"MLFLOW_BACKEND_STORE_URI": (f"{args.name}-backend-store", URI_SECRET_KEY)}
            self.database_endpoint: pulumi.Output[str] | None = self._endpoint
        else:
            backend = f"sqlite:///{SQLITE_DIR}/mlflow.db"
            secret_env = {}
            self.database_endpoint = None
        hosts = ",".join(
            f"{host}:*"
            for host in (
                args.name,
                f"{args.name}.{args.namespace}",
                f"{args.name}.{args.namespace}.svc",
                f"{args.name}.{args.namespace}.svc.cluster.local",
                "localhost",
            )
        )
        container = secure_container(
            name="mlflow",
            image=args.image,
            cpu=args.cpu,
            memory=args.memory,
            port=args.port,
            command=["mlflow", "server"],
            args=[
                "--host=0.0.0.0",
                f"--port={args.port}",
                # The kubelet expands $(VAR) from the container's environment (the Secret's URI).
                f"--backend-store-uri={backend}",
                "--serve-artifacts",
                pulumi.Output.concat("--artifacts-destination=", args.artifact_uri),
                f"--allowed-hosts={hosts}",
            ],
            env={"AWS_REGION": args.iam.region, "AWS_DEFAULT_REGION": args.iam.region, "HOME": "/tmp"},
            secret_env=secret_env,
            liveness=http_probe("/health", args.port, period_seconds=15, failure_threshold=4, timeout_seconds=5),
            readiness=http_probe("/health", args.port, period_seconds=10, failure_threshold=3, timeout_seconds=5),
            startup=http_probe("/health", args.port, period_seconds=10, failure_threshold=30, timeout_seconds=5),
            cache_path=SQLITE_DIR,
            cache_volume="data",
        )
        pod_spec = secure_pod_spec(
            containers=[container],
            service_account_name=args.name,
            termination_grace_seconds=30,
            cache_size="5Gi",
            cache_volume="data",
        )
        template_meta = metadata()
        pod_metadata: Manifest = {"labels": {**template_meta["labels"], **pods}}
        if "annotations" in template_meta:
            pod_metadata["annotations"] = template_meta["annotations"]
        k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=wire(metadata()),
            spec=wire(
                {
                    "replicas": replicas,
                    "selector": {"matchLabels": dict(pods)},
                    "minReadySeconds": 5,
                    "revisionHistoryLimit": 5,
                    # Two servers on one SQLite file would corrupt it: the old pod goes first.
                    "strategy": (
                        {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
                        if postgres
                        else {"type": "Recreate"}
                    ),
                    "template": {"metadata": pod_metadata, "spec": pod_spec},
                }
            ),
            opts=child_options(self, opts, waits),
        )
        k8s.core.v1.Service(
            f"{name}-service",
            metadata=wire(metadata()),
            spec=wire(
                {
                    "type": "ClusterIP",
                    "selector": dict(pods),
                    "ports": [{"name": "http", "port": args.port, "targetPort": "http", "protocol": "TCP"}],
                }
            ),
            opts=child,
        )
        if replicas > 1:
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-disruption-budget",
                metadata=wire(metadata()),
                spec=wire(
                    {
                        "selector": {"matchLabels": dict(pods)},
                        "maxUnavailable": 1,
                        "unhealthyPodEvictionPolicy": "AlwaysAllow",
                    }
                ),
                opts=child,
            )
        database_egress = (
            [
                {
                    "to": [{"ipBlock": {"cidr": cidr}} for cidr in args.database_cidrs],
                    "ports": [{"protocol": "TCP", "port": DB_PORT}],
                }
            ]
            if postgres
            else []
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-network-policy",
            metadata=wire(metadata()),
            spec=wire(
                workload_policy_spec(
                    pod_labels=pods,
                    ingress_from=[
                        {"podSelector": {}},
                        *(namespace_peer(ns) for ns in sorted(set(args.allowed_client_namespaces))),
                    ],
                    ingress_port=args.port,
                    pod_identity=args.iam.mode == "pod-identity",
                    extra_egress=database_egress,
                )
            ),
            opts=child,
        )
        self.tracking_uri = pulumi.Output.from_input(service_url(args.name, args.namespace, args.port))
        self.register_outputs({"tracking_uri": self.tracking_uri, "database_endpoint": self.database_endpoint})

    def _database(
        self, name: str, args: MlflowOnKubernetesArgs, opts: pulumi.ResourceOptions | None, secret_metadata: Manifest
    ) -> k8s.core.v1.Secret:
        """RDS PostgreSQL and the Kubernetes Secret with its URI; sets `self._endpoint`."""
        assert args.db_identifier is not None and args.db_subnet_group_name is not None  # validated
        child = child_options(self, opts)
        tags = dict(args.tags)
        # URL-unreserved specials only, so the password needs no escaping inside the URI.
        password = random.RandomPassword(
            f"{name}-db-password", length=40, special=True, override_special="-_~", min_special=2, opts=child
        )
        subnets = aws.rds.SubnetGroup(
            f"{name}-db-subnets",
            name=args.db_subnet_group_name,
            description=f"Private subnets of the MLflow database {args.db_identifier}",
            subnet_ids=list(args.subnet_ids),
            tags=tags,
            opts=child,
        )
        groups: list[pulumi.Input[str]] = list(args.security_group_ids)
        if args.vpc_id is not None:
            group = aws.ec2.SecurityGroup(
                f"{name}-db-security-group",
                name=f"{args.db_identifier}-db",
                description=f"PostgreSQL of {args.db_identifier}, from the MLflow pods' security groups only",
                vpc_id=args.vpc_id,
                ingress=[
                    {
                        "description": "PostgreSQL from the tracking server",
                        "protocol": "tcp",
                        "from_port": DB_PORT,
                        "to_port": DB_PORT,
                        "security_groups": list(args.client_security_group_ids),
                    }
                ],
                # The database opens no connections of its own.
                egress=[],
                tags=tags,
                opts=child,
            )
            groups.append(group.id)
        instance = aws.rds.Instance(
            f"{name}-db",
            identifier=args.db_identifier,
            engine="postgres",
            # A major version alone: RDS picks its default minor, and minor upgrades apply themselves.
            engine_version=args.db_engine_version,
            auto_minor_version_upgrade=True,
            instance_class=args.db_instance_class,
            allocated_storage=args.db_allocated_storage_gb,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=args.kms_key_arn,
            db_name=DB_NAME,
            username=DB_USER,
            password=password.result,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=groups,
            publicly_accessible=False,
            multi_az=args.db_multi_az,
            deletion_protection=True,
            backup_retention_period=args.db_backup_retention_days,
            copy_tags_to_snapshot=True,
            skip_final_snapshot=False,
            final_snapshot_identifier=f"{args.db_identifier}-final",
            performance_insights_enabled=True,
            performance_insights_kms_key_id=args.kms_key_arn,
            enabled_cloudwatch_logs_exports=["postgresql", "upgrade"],
            tags=tags,
            opts=child_options(self, opts, [subnets]),
        )
        self._endpoint: pulumi.Output[str] = instance.address
        uri: pulumi.Output[str] = pulumi.Output.all(password.result, instance.address).apply(
            lambda v: f"postgresql+psycopg2://{DB_USER}:{v[0]}@{v[1]}:{DB_PORT}/{DB_NAME}?sslmode=require"
        )
        secret_uri: pulumi.Output[str] = pulumi.Output.secret(uri)
        return k8s.core.v1.Secret(
            f"{name}-backend-store",
            metadata=wire(secret_metadata),
            type="Opaque",
            string_data={URI_SECRET_KEY: secret_uri},
            opts=child_options(self, opts, [instance]),
        )


def validate_mlflow_args(args: MlflowOnKubernetesArgs) -> list[str]:
    """Every problem with `args`, each naming its field; empty when the server can be created."""
    problems: list[str] = []
    if not is_dns_1035_label(args.name) or len(args.name) > 48:
        problems.append(f"name {args.name!r} must be a DNS-1035 label of at most 48 characters")
    if not is_dns_1123_label(args.namespace) or args.namespace == "default":
        problems.append(f"namespace {args.namespace!r} must be a DNS-1123 label other than 'default'")
    if isinstance(args.artifact_uri, str) and not (
        args.artifact_uri.startswith("s3://") and args.artifact_uri.endswith("/")
    ):
        problems.append(f"artifact_uri {args.artifact_uri!r} must be an s3:// prefix ending in '/'")
    if args.database == "sqlite" and args.replicas not in (None, 1):
        problems.append("sqlite allows one replica only: the database is a file inside the pod")
    if args.replicas is not None and args.replicas < 1:
        problems.append(f"replicas {args.replicas} must be at least 1")
    if args.database == "rds-postgres":
        if args.db_identifier is None or not _DB_IDENTIFIER.fullmatch(args.db_identifier):
            problems.append(
                f"db_identifier {args.db_identifier!r} must be 1-63 lowercase letters, digits and hyphens, "
                "starting with a letter, without '--' or a trailing '-'"
            )
        if (
            args.db_subnet_group_name is None
            or not _SUBNET_GROUP.fullmatch(args.db_subnet_group_name)
            or args.db_subnet_group_name == "default"
        ):
            problems.append(
                f"db_subnet_group_name {args.db_subnet_group_name!r} must be at most 255 lowercase letters, digits, "
                "'.', '_', ' ' or '-', and not 'default'"
            )
        if len(args.subnet_ids) < 2:
            problems.append("rds-postgres needs subnet_ids in at least two availability zones")
        if not args.security_group_ids and args.vpc_id is None:
            problems.append("rds-postgres needs security_group_ids or vpc_id (else RDS uses the VPC's default group)")
        if args.vpc_id is not None and not args.client_security_group_ids:
            problems.append("vpc_id needs client_security_group_ids: the groups the MLflow pods connect from")
        if args.kms_key_arn is None:
            problems.append("rds-postgres needs kms_key_arn: the database is encrypted with the platform key")
        if not 1 <= args.db_backup_retention_days <= 35:
            problems.append(f"db_backup_retention_days {args.db_backup_retention_days} must be 1-35")
        if args.db_allocated_storage_gb < 20:
            problems.append(f"db_allocated_storage_gb {args.db_allocated_storage_gb} must be at least 20 (gp3)")
    return problems + label_problems(args.labels, "labels")
