"""InferenceService: a custom model server on EKS with sticky routing, autoscaling and its own IAM role.

What runs (all children named `<name>-<suffix>`, Kubernetes objects named after the service):
- Deployment: rolling updates that never drop below the current capacity (maxUnavailable 0,
  maxSurge 1: a GPU service needs room for one more GPU pod while it rolls), `minReadySeconds`
  so a pod that crashes right after becoming ready stops the rollout, a startup probe that gives
  a large model up to 10 minutes to load, and a graceful stop: `preStop` sleeps `drain_seconds`
  while the endpoint is removed from the Service and the Gateway, then the server gets SIGTERM and
  the rest of `termination_grace_seconds` to finish in-flight requests. `replicas` is left to the
  HPA (a replica count in the program would reset the HPA's choice on every `pulumi up`).
- Service (ClusterIP), HPA (`autoscaling/v2`, CPU and optionally GPU), PodDisruptionBudget
  (`maxUnavailable: 1`, so node drains proceed one pod at a time even with a single replica),
  NetworkPolicy, ServiceAccount without an API token, and the pod's IAM role.
- With a gateway: an HTTPRoute, and with a session header a BackendTrafficPolicy hashing on it
  (`components.kubernetes.gateway_api`). `gateway.create` adds the Gateway itself; set it on one
  service per Gateway only.

Model artifacts: the server gets `MODEL_DATA_URI` (the `s3://` URI) and `MODEL_CACHE_DIR`
(/opt/ml/model, an emptyDir sized `model_cache_size`) and downloads the artifacts itself at start
with the pod's role, which may read exactly that URI. Nothing is baked into the image or shared
between pods; a restarted pod downloads again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from mlstack.components.kubernetes.identity import PodIamArgs, pod_role
from mlstack.components.kubernetes.labels import (
    is_dns_1035_label,
    is_dns_1123_label,
    label_problems,
    object_metadata,
    selector_labels,
)
from mlstack.components.kubernetes.network import namespace_peer, workload_policy_spec
from mlstack.components.kubernetes.pod_security import (
    Manifest,
    http_probe,
    secure_container,
    secure_pod_spec,
    wire,
)
from mlstack.components.kubernetes.routing import create_gateway, create_http_route, create_sticky_policy
from mlstack.components.options import child_options
from mlstack.components.sdk import k8s

__all__ = ["GatewayRefArgs", "InferenceService", "InferenceServiceArgs", "PodIamArgs", "validate_service_args"]

COMPONENT = "inference"
GPU_METRIC = "DCGM_FI_DEV_GPU_UTIL"
# RFC 9110 field-name token characters.
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
ENVOY_PROXY_LABELS = {"app.kubernetes.io/managed-by": "envoy-gateway", "app.kubernetes.io/component": "proxy"}


@dataclass(frozen=True)
class GatewayRefArgs:
    """The Gateway API Gateway an InferenceService's HTTPRoute attaches to."""

    name: str
    """Gateway name: the team's shared Gateway, or the one this stack creates."""
    namespace: str
    """Namespace of the Gateway."""
    create: bool = False
    """Create the Gateway here (one HTTP listener) instead of attaching to an existing one."""
    gateway_class: str = "eg"
    """GatewayClass of a created Gateway; "eg" is Envoy Gateway's quickstart class name."""
    listener_port: int = 80
    """Port of a created Gateway's HTTP listener."""
    proxy_namespace: str = "envoy-gateway-system"
    """Namespace Envoy Gateway runs this Gateway's Envoy proxies in: the controller's namespace by
    default, the Gateway's own namespace in Envoy Gateway's GatewayNamespace deploy mode. The
    service's NetworkPolicy admits traffic only from those proxy pods."""


@dataclass(frozen=True)
class InferenceServiceArgs:
    """Inputs of an InferenceService."""

    name: str
    """Kubernetes name of every object (Deployment, Service, ...): a DNS-1035 label, at most 63 characters."""
    namespace: str
    """Namespace the service runs in (never `default`)."""
    image: str
    """Container image. Pin it by digest (`repo:tag@sha256:...`) to pass CKV_K8S_43; a tag alone
    is accepted (CKV_K8S_14 rejects only `latest` and untagged images)."""
    port: int = 8080
    """Port the server listens on, and the Service's port."""
    replicas_min: int = 1
    """Lower bound of the HorizontalPodAutoscaler (and the Deployment's initial replicas)."""
    replicas_max: int = 1
    """Upper bound of the HorizontalPodAutoscaler."""
    cpu: str = "1"
    """CPU request and limit of the server container (Kubernetes quantity)."""
    memory: str = "2Gi"
    """Memory request and limit of the server container (Kubernetes quantity)."""
    gpus: int = 0
    """`nvidia.com/gpu` limit; GPU pods get the GPU node selector and toleration."""
    environment: Mapping[str, str] = field(default_factory=dict)
    """Plain environment variables of the server (never secrets)."""
    model_data: str | None = None
    """`s3://` URI of the model artifacts. The server receives it as `MODEL_DATA_URI` and
    `MODEL_CACHE_DIR=/opt/ml/model` (an emptyDir) and downloads it at start, with the pod's role;
    the startup probe gives it time and the readiness probe keeps traffic away until it is loaded."""
    liveness_path: str = "/healthz"
    """HTTP path of the liveness probe."""
    readiness_path: str = "/ready"
    """HTTP path of the readiness (and startup) probe."""
    node_selector: Mapping[str, str] = field(default_factory=dict)
    """Node labels the pods must run on; GPU pods default to `nvidia.com/gpu.present: "true"`."""
    target_cpu_utilization: int = 70
    """HPA target: average CPU utilization, percent of the request."""
    target_gpu_utilization: int | None = None
    """HPA target: average GPU utilization (percent), read as the pods metric `DCGM_FI_DEV_GPU_UTIL`.
    Needs NVIDIA's dcgm-exporter scraped by Prometheus and prometheus-adapter serving that series
    on `custom.metrics.k8s.io`; without them the HPA reports the metric as unavailable and scales
    on CPU alone."""
    session_header: str | None = None
    """Sticky routing: requests with the same value of this header go to the same pod (Envoy
    Gateway consistent hashing), so per-session caches stay warm. Needs `gateway`."""
    gateway: GatewayRefArgs | None = None
    """Expose the service through this Gateway with an HTTPRoute; None keeps it cluster-internal."""
    iam: PodIamArgs | None = None
    """AWS role of the pods; None gives the service account no AWS identity."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Extra Kubernetes labels of every object; mlstack's own labels win."""
    annotations: Mapping[str, str] = field(default_factory=dict)
    """Extra Kubernetes annotations of every object."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Platform tags: AWS tags of the IAM role and pod identity association, and Kubernetes labels
    where key and value are valid label syntax (annotations otherwise, e.g. an owner e-mail)."""
    path_prefix: str = "/"
    """HTTPRoute path prefix on the Gateway."""
    hostnames: Sequence[str] = ()
    """HTTPRoute hostnames; empty matches every hostname of the listener."""
    allowed_client_namespaces: Sequence[str] = ()
    """Namespaces (besides the service's own and the Gateway's proxies) whose pods may call the
    service directly on its cluster URL."""
    termination_grace_seconds: int = 60
    """Time a pod gets to finish in-flight requests after removal from the endpoints."""
    drain_seconds: int = 15
    """preStop pause, so load balancers stop sending before the server gets SIGTERM."""
    model_cache_size: str = "20Gi"
    """Size limit of the model-cache emptyDir (node ephemeral storage)."""
    min_ready_seconds: int = 10
    """How long a new pod must stay ready before the rollout counts it."""


class InferenceService(pulumi.ComponentResource):
    """Deployment, ClusterIP Service, HPA, PDB, NetworkPolicy, ServiceAccount and its IAM role,
    plus an HTTPRoute and a BackendTrafficPolicy for sticky routing when a gateway is given."""

    service_url: pulumi.Output[str]
    """`http://<name>.<namespace>.svc.cluster.local:<port>`."""

    def __init__(self, name: str, args: InferenceServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        problems = validate_service_args(args)
        if problems:
            raise ValueError(f"{name}: " + "; ".join(problems))
        super().__init__("mlstack:kubernetes:InferenceService", name, None, opts)
        child = child_options(self, opts)
        pods = selector_labels(args.name, COMPONENT)

        def metadata(object_name: str = args.name, extra_annotations: Mapping[str, pulumi.Input[str]] = {}) -> Any:
            annotations: dict[str, Any] = dict(args.annotations)
            annotations.update(extra_annotations)
            meta = object_metadata(
                name=object_name,
                namespace=args.namespace,
                component=COMPONENT,
                labels=args.labels,
                annotations=annotations,
                tags=args.tags,
                app=args.name,
            )
            return wire(meta)

        role = (
            pod_role(
                name,
                self,
                opts,
                args.iam,
                namespace=args.namespace,
                service_account=args.name,
                description=f"Pods of the {args.namespace}/{args.name} inference service",
                tags=args.tags,
                extra_read=[args.model_data] if args.model_data else [],
            )
            if args.iam is not None
            else None
        )
        account = k8s.core.v1.ServiceAccount(
            f"{name}-service-account",
            metadata=metadata(extra_annotations=role.service_account_annotations if role else {}),
            automount_service_account_token=False,
            opts=child,
        )
        environment = dict(args.environment)
        if args.model_data:
            environment.update({"MODEL_DATA_URI": args.model_data, "MODEL_CACHE_DIR": MODEL_CACHE_DIR})
        container = secure_container(
            name="server",
            image=args.image,
            cpu=args.cpu,
            memory=args.memory,
            gpus=args.gpus,
            port=args.port,
            env=environment,
            liveness=http_probe(args.liveness_path, args.port, period_seconds=10, failure_threshold=3),
            readiness=http_probe(args.readiness_path, args.port, period_seconds=5, failure_threshold=2),
            # Liveness waits for the startup probe: 60 x 10 s lets a large model download and load.
            startup=http_probe(args.readiness_path, args.port, period_seconds=10, failure_threshold=60),
            pre_stop_sleep_seconds=args.drain_seconds,
        )
        pod_spec = secure_pod_spec(
            containers=[container],
            service_account_name=args.name,
            gpus=args.gpus,
            node_selector=args.node_selector,
            termination_grace_seconds=args.termination_grace_seconds,
            cache_size=args.model_cache_size,
        )
        # Spread over zones when possible, so one zone's loss leaves pods serving.
        pod_spec["topologySpreadConstraints"] = [
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": dict(pods)},
            }
        ]
        deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=metadata(),
            spec=wire(
                {
                    "selector": {"matchLabels": dict(pods)},
                    "minReadySeconds": args.min_ready_seconds,
                    "progressDeadlineSeconds": 1800,
                    "revisionHistoryLimit": 5,
                    "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
                    "template": {"metadata": _pod_metadata(args, pods), "spec": pod_spec},
                }
            ),
            opts=child_options(self, opts, [account, *(role.dependencies if role else [])]),
        )
        service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=metadata(),
            spec=wire(
                {
                    "type": "ClusterIP",
                    "selector": dict(pods),
                    "ports": [{"name": "http", "port": args.port, "targetPort": "http", "protocol": "TCP"}],
                }
            ),
            opts=child,
        )
        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{name}-autoscaler",
            metadata=metadata(),
            spec=wire(autoscaler_spec(args)),
            opts=child_options(self, opts, [deployment]),
        )
        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-disruption-budget",
            metadata=metadata(),
            spec=wire(
                {
                    "selector": {"matchLabels": dict(pods)},
                    "maxUnavailable": 1,
                    # A crash-looping pod must not block node drains.
                    "unhealthyPodEvictionPolicy": "AlwaysAllow",
                }
            ),
            opts=child,
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-network-policy",
            metadata=metadata(),
            spec=wire(
                workload_policy_spec(
                    pod_labels=pods,
                    ingress_from=ingress_peers(args),
                    ingress_port=args.port,
                    pod_identity=args.iam is not None and args.iam.mode == "pod-identity",
                )
            ),
            opts=child,
        )
        if args.gateway is not None:
            gateway = (
                [
                    create_gateway(
                        name,
                        self,
                        opts,
                        gateway_name=args.gateway.name,
                        namespace=args.gateway.namespace,
                        gateway_class=args.gateway.gateway_class,
                        port=args.gateway.listener_port,
                        route_namespaces=[args.namespace],
                        metadata=object_metadata(
                            name=args.gateway.name,
                            namespace=args.gateway.namespace,
                            component="gateway",
                            labels=args.labels,
                            annotations=args.annotations,
                            tags=args.tags,
                        ),
                    )
                ]
                if args.gateway.create
                else []
            )
            route = create_http_route(
                name,
                self,
                opts,
                metadata=metadata(),
                gateway_name=args.gateway.name,
                gateway_namespace=args.gateway.namespace,
                service_name=args.name,
                service_port=args.port,
                path_prefix=args.path_prefix,
                hostnames=args.hostnames,
                depends_on=[service, *gateway],
            )
            if args.session_header is not None:
                create_sticky_policy(
                    name,
                    self,
                    opts,
                    metadata=metadata(f"{args.name}-sticky"),
                    route=route,
                    route_name=args.name,
                    session_header=args.session_header,
                )
        self.service_url = pulumi.Output.from_input(service_url(args.name, args.namespace, args.port))
        self.register_outputs({"service_url": self.service_url})


MODEL_CACHE_DIR = "/opt/ml/model"


def service_url(name: str, namespace: str, port: int) -> str:
    """The in-cluster URL of a Service."""
    return f"http://{name}.{namespace}.svc.cluster.local:{port}"


def _pod_metadata(args: InferenceServiceArgs, pods: Mapping[str, str]) -> Manifest:
    meta = object_metadata(
        name=args.name,
        namespace=args.namespace,
        component=COMPONENT,
        labels=args.labels,
        annotations=args.annotations,
        tags=args.tags,
    )
    # A pod template carries labels and annotations only; its name and namespace come from the Deployment.
    template: Manifest = {"labels": {**meta["labels"], **pods}}
    if "annotations" in meta:
        template["annotations"] = meta["annotations"]
    return template


def ingress_peers(args: InferenceServiceArgs) -> list[Manifest]:
    """Who may call the pods: the Gateway's Envoy proxies, the service's own namespace, and the
    namespaces the caller names."""
    peers: list[Manifest] = []
    if args.gateway is not None:
        peers.append(
            namespace_peer(
                args.gateway.proxy_namespace,
                {
                    **ENVOY_PROXY_LABELS,
                    "gateway.envoyproxy.io/owning-gateway-name": args.gateway.name,
                    "gateway.envoyproxy.io/owning-gateway-namespace": args.gateway.namespace,
                },
            )
        )
    peers.append({"podSelector": {}})  # every pod of the service's own namespace
    peers += [namespace_peer(namespace) for namespace in sorted(set(args.allowed_client_namespaces))]
    return peers


def autoscaler_spec(args: InferenceServiceArgs) -> Manifest:
    """CPU utilization, and GPU utilization through the custom metrics API when asked for."""
    metrics: list[Manifest] = [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": args.target_cpu_utilization},
            },
        }
    ]
    if args.target_gpu_utilization is not None:
        metrics.append(
            {
                "type": "Pods",
                "pods": {
                    "metric": {"name": GPU_METRIC},
                    "target": {"type": "AverageValue", "averageValue": str(args.target_gpu_utilization)},
                },
            }
        )
    return {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": args.name},
        "minReplicas": args.replicas_min,
        "maxReplicas": args.replicas_max,
        "metrics": metrics,
        # Scaling in moves sessions to other pods (their caches are cold there): do it slowly.
        "behavior": {
            "scaleDown": {
                "stabilizationWindowSeconds": 600,
                "policies": [{"type": "Pods", "value": 1, "periodSeconds": 300}],
            }
        },
    }


def validate_service_args(args: InferenceServiceArgs) -> list[str]:
    """Every problem with `args`, each naming its field; empty when the service can be created."""
    problems: list[str] = []
    if not is_dns_1035_label(args.name):
        problems.append(f"name {args.name!r} must be a DNS-1035 label (a-z first, then a-z 0-9 '-', at most 63)")
    if not is_dns_1123_label(args.namespace) or args.namespace == "default":
        problems.append(f"namespace {args.namespace!r} must be a DNS-1123 label other than 'default'")
    if not 1 <= args.port <= 65535:
        problems.append(f"port {args.port} must be 1-65535")
    if args.replicas_min < 1:
        problems.append(f"replicas_min {args.replicas_min} must be at least 1")
    if args.replicas_max < args.replicas_min:
        problems.append(f"replicas_max {args.replicas_max} is below replicas_min {args.replicas_min}")
    if args.gpus < 0:
        problems.append(f"gpus {args.gpus} must not be negative")
    if not 1 <= args.target_cpu_utilization <= 100:
        problems.append(f"target_cpu_utilization {args.target_cpu_utilization} must be 1-100")
    if args.target_gpu_utilization is not None:
        if args.gpus == 0:
            problems.append("target_gpu_utilization needs gpus > 0")
        if not 1 <= args.target_gpu_utilization <= 100:
            problems.append(f"target_gpu_utilization {args.target_gpu_utilization} must be 1-100")
    if args.session_header is not None:
        if args.gateway is None:
            problems.append("session_header needs a gateway: sticky routing happens in the Gateway's Envoy")
        if not _HEADER_NAME.fullmatch(args.session_header):
            problems.append(f"session_header {args.session_header!r} is not an HTTP header name")
    if args.model_data is not None and not args.model_data.startswith("s3://"):
        problems.append(f"model_data {args.model_data!r} must be an s3:// URI")
    if not args.path_prefix.startswith("/"):
        problems.append(f"path_prefix {args.path_prefix!r} must start with '/'")
    if args.drain_seconds >= args.termination_grace_seconds:
        problems.append(
            f"drain_seconds {args.drain_seconds} must be below termination_grace_seconds "
            f"{args.termination_grace_seconds}: the grace period includes the preStop pause"
        )
    for key in args.environment:
        if key in ("MODEL_DATA_URI", "MODEL_CACHE_DIR"):
            problems.append(f"environment {key} is set by mlstack from model_data")
    return problems + label_problems(args.labels, "labels")
