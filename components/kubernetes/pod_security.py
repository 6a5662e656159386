"""Pods that pass the `restricted` Pod Security Standard and Checkov's Kubernetes checks (Pulumi-free).

Every container built here:
- runs as user and group 10001 (`runAsNonRoot`; CKV_K8S_23, and CKV_K8S_40 wants a UID above
  10000 so it cannot collide with a host user), never privileged (CKV_K8S_16), no privilege
  escalation (CKV_K8S_20), every capability dropped (CKV_K8S_28, CKV_K8S_37), seccomp
  `RuntimeDefault` on pod and container (CKV_K8S_31), a read-only root filesystem (CKV_K8S_22)
  with emptyDir volumes for `/tmp` and the model cache;
- pulls its image every time (`imagePullPolicy: Always`, CKV_K8S_15), so a moved tag cannot run a
  stale node-cached image, and a pod cannot use another tenant's cached private image;
- requests exactly what it limits, for CPU and memory (CKV_K8S_10 to 13). Equal requests and limits
  put the pod in the Guaranteed QoS class: it is the last to be evicted under node pressure and
  its memory cannot be overcommitted, at the price of CPU throttling above the limit. Serving
  latency is better predictable than bursty, so that is the trade mlstack makes;
- has liveness and readiness probes (CKV_K8S_8, CKV_K8S_9).
Pods never share the host's network, PID or IPC namespaces (CKV_K8S_17 to 19: those fields are
never set, and default to false), never use the `default` namespace (CKV_K8S_21), and do not mount
the Kubernetes API token (`automountServiceAccountToken: false`, CKV_K8S_38): AWS credentials come
from a separate projected token (see `components.kubernetes.identity`).

GPU pods: `nvidia.com/gpu` requests and limits (the NVIDIA device plugin's extended resource;
Kubernetes requires requests to equal limits for extended resources), the node selector
`nvidia.com/gpu.present: "true"` (set by NVIDIA GPU feature discovery, part of the GPU operator)
unless the caller selects nodes itself, and a toleration of the `nvidia.com/gpu` NoSchedule taint
that GPU node groups commonly carry (EKS managed node groups and Karpenter add no such taint on
their own: it is the node group's choice, and a toleration without the taint is harmless).
https://kubernetes.io/docs/tasks/manage-gpus/scheduling-gpus/
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

RUN_AS_USER = 10001
RUN_AS_GROUP = 10001
TMP_PATH = "/tmp"
MODEL_CACHE_PATH = "/opt/ml/model"
TMP_VOLUME = "tmp"
CACHE_VOLUME = "model-cache"
GPU_RESOURCE = "nvidia.com/gpu"
GPU_NODE_SELECTOR = {"nvidia.com/gpu.present": "true"}
GPU_TOLERATION = {"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}
SECCOMP = {"type": "RuntimeDefault"}

Manifest = dict[str, Any]


def http_probe(
    path: str,
    port: int,
    *,
    period_seconds: int = 10,
    failure_threshold: int = 3,
    timeout_seconds: int = 2,
    initial_delay_seconds: int = 0,
) -> Manifest:
    """An HTTP GET probe on the container's port."""
    probe: Manifest = {
        "httpGet": {"path": path, "port": port, "scheme": "HTTP"},
        "periodSeconds": period_seconds,
        "timeoutSeconds": timeout_seconds,
        "failureThreshold": failure_threshold,
    }
    if initial_delay_seconds:
        probe["initialDelaySeconds"] = initial_delay_seconds
    return probe


def exec_probe(command: Sequence[str], *, period_seconds: int = 30, failure_threshold: int = 3) -> Manifest:
    """A probe that runs `command` in the container."""
    return {
        "exec": {"command": list(command)},
        "periodSeconds": period_seconds,
        "timeoutSeconds": 5,
        "failureThreshold": failure_threshold,
    }


def container_security_context() -> Manifest:
    """The container-level security context every mlstack container gets."""
    return {
        "runAsNonRoot": True,
        "runAsUser": RUN_AS_USER,
        "runAsGroup": RUN_AS_GROUP,
        "privileged": False,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": dict(SECCOMP),
    }


def pod_security_context() -> Manifest:
    """The pod-level security context: the same user, and the group that owns mounted volumes
    (projected tokens and emptyDirs included), so the non-root user can read them."""
    return {
        "runAsNonRoot": True,
        "runAsUser": RUN_AS_USER,
        "runAsGroup": RUN_AS_GROUP,
        "fsGroup": RUN_AS_GROUP,
        "seccompProfile": dict(SECCOMP),
    }


def resources(cpu: str, memory: str, gpus: int = 0) -> Manifest:
    """Requests equal to limits (Guaranteed QoS), plus GPUs when asked for."""
    limits: dict[str, Any] = {"cpu": cpu, "memory": memory}
    if gpus:
        limits[GPU_RESOURCE] = str(gpus)
    return {"requests": dict(limits), "limits": limits}


def secure_container(
    *,
    name: str,
    image: str,
    cpu: str,
    memory: str,
    liveness: Manifest | None,
    readiness: Manifest | None,
    gpus: int = 0,
    port: int | None = None,
    command: Sequence[str] = (),
    args: Sequence[Any] = (),
    env: Mapping[str, Any] = {},
    secret_env: Mapping[str, tuple[str, str]] = {},
    field_env: Mapping[str, str] = {},
    startup: Manifest | None = None,
    cache_path: str = MODEL_CACHE_PATH,
    cache_volume: str = CACHE_VOLUME,
    pre_stop_sleep_seconds: int | None = None,
) -> Manifest:
    """One container: the security context above, /tmp and `cache_path` on emptyDirs, probes,
    requests == limits. `env` values may be Pulumi inputs; `secret_env` maps a variable to (Secret
    name, key), `field_env` to a pod field (`metadata.name`). Probes are None only for
    run-to-completion containers, which serve nothing to probe."""
    container: Manifest = {
        "name": name,
        "image": image,
        "imagePullPolicy": "Always",
        "securityContext": container_security_context(),
        "resources": resources(cpu, memory, gpus),
        "volumeMounts": [
            {"name": TMP_VOLUME, "mountPath": TMP_PATH},
            {"name": cache_volume, "mountPath": cache_path},
        ],
        # A readable reason in `kubectl describe` when the process dies before writing one.
        "terminationMessagePolicy": "FallbackToLogsOnError",
    }
    if liveness is not None:
        container["livenessProbe"] = liveness
    if readiness is not None:
        container["readinessProbe"] = readiness
    if command:
        container["command"] = list(command)
    if args:
        container["args"] = list(args)
    if port is not None:
        container["ports"] = [{"name": "http", "containerPort": port, "protocol": "TCP"}]
    variables: list[Manifest] = [{"name": key, "value": value} for key, value in sorted(env.items())]
    variables += [
        {"name": key, "valueFrom": {"secretKeyRef": {"name": secret, "key": secret_key}}}
        for key, (secret, secret_key) in sorted(secret_env.items())
    ]
    variables += [
        {"name": key, "valueFrom": {"fieldRef": {"fieldPath": path}}} for key, path in sorted(field_env.items())
    ]
    if variables:
        container["env"] = variables
    if startup is not None:
        container["startupProbe"] = startup
    if pre_stop_sleep_seconds:
        # The `sleep` action needs no shell or sleep binary in the image (PodLifecycleSleepAction,
        # beta and on by default since Kubernetes 1.30): endpoints drain while the server still serves.
        container["lifecycle"] = {"preStop": {"sleep": {"seconds": pre_stop_sleep_seconds}}}
    return container


def secure_pod_spec(
    *,
    containers: Sequence[Manifest],
    service_account_name: str,
    gpus: int = 0,
    node_selector: Mapping[str, str] = {},
    termination_grace_seconds: int = 30,
    restart_policy: str | None = None,
    cache_size: str = "20Gi",
    cache_volume: str = CACHE_VOLUME,
    tmp_size: str = "1Gi",
) -> Manifest:
    """A pod spec around `containers`: no API token, the pod security context, the emptyDir volumes
    the containers mount, and GPU scheduling when `gpus` > 0. The caller's `node_selector` wins
    over the GPU default."""
    spec: Manifest = {
        "serviceAccountName": service_account_name,
        "automountServiceAccountToken": False,
        # Service links put every Service of the namespace into the environment: noise and a leak.
        "enableServiceLinks": False,
        "securityContext": pod_security_context(),
        "terminationGracePeriodSeconds": termination_grace_seconds,
        "containers": list(containers),
        "volumes": [
            {"name": TMP_VOLUME, "emptyDir": {"sizeLimit": tmp_size}},
            {"name": cache_volume, "emptyDir": {"sizeLimit": cache_size}},
        ],
    }
    selector = dict(node_selector) if node_selector else (dict(GPU_NODE_SELECTOR) if gpus else {})
    if selector:
        spec["nodeSelector"] = selector
    if gpus:
        spec["tolerations"] = [dict(GPU_TOLERATION)]
    if restart_policy is not None:
        spec["restartPolicy"] = restart_policy
    return spec


def wire(manifest: Mapping[str, Any]) -> Any:
    """`manifest` as a pulumi-kubernetes input. The manifests here are Kubernetes JSON with its
    camelCase field names, which pulumi-kubernetes sends unchanged; its typed dictionaries spell
    the same fields in snake_case, so the type checker cannot relate the two."""
    return manifest
