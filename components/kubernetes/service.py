"""InferenceService: a custom model server on EKS with sticky routing, autoscaling and its own IAM role."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi

from components.kubernetes.identity import PodIamArgs

__all__ = ["GatewayRefArgs", "InferenceService", "InferenceServiceArgs", "PodIamArgs"]


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


class InferenceService(pulumi.ComponentResource):
    """Deployment, ClusterIP Service, HPA, PDB, NetworkPolicy, ServiceAccount and its IAM role,
    plus an HTTPRoute and a BackendTrafficPolicy for sticky routing when a gateway is given."""

    service_url: pulumi.Output[str]
    """`http://<name>.<namespace>.svc.cluster.local:<port>`."""
