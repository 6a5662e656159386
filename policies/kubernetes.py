"""Pod security on Kubernetes workloads: the Pod Security Standards' "restricted" profile, plus resources and probes.

Every rule reads the pod template of Deployments, StatefulSets, DaemonSets, Jobs, CronJobs (through
`jobTemplate`) and bare Pods, and judges each container (init containers too, except for probes).
A container's `securityContext` overrides its pod's, as the kubelet applies them:
https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
The checks follow https://kubernetes.io/docs/concepts/security/pod-security-standards/ and match the
Checkov ids named on each rule. Mandatory in prod, advisory elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mlstack.policies.framework import (
    MalformedInput,
    ResourceView,
    Rule,
    bool_input,
    dig,
    has_key,
    list_input,
    object_input,
)
from mlstack.policies.settings import Level, PolicySettings

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
DAEMON_SET = "kubernetes:apps/v1:DaemonSet"
JOB = "kubernetes:batch/v1:Job"
CRON_JOB = "kubernetes:batch/v1:CronJob"
POD = "kubernetes:core/v1:Pod"
WORKLOADS = (DEPLOYMENT, STATEFUL_SET, DAEMON_SET, JOB, CRON_JOB, POD)
# Run to completion: the kubelet restarts them on failure, and probes would only kill a busy batch run.
BATCH = (JOB, CRON_JOB)
PROD_MANDATORY: Mapping[str, Level] = {"prod": "mandatory", "*": "advisory"}

# A pod that must reach the Kubernetes API says why with Checkov's own skip annotation, so both
# tools accept the same exception: `checkov.io/skip1: CKV_K8S_38=<why the pod needs its token>`.
TOKEN_CHECK = "CKV_K8S_38"
SKIP_ANNOTATION_PREFIX = "checkov.io/skip"
# The restricted profile allows adding back only this one capability.
ALLOWED_ADDED_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})


def pod_spec(props: Mapping[str, Any], resource_type: str) -> Any:
    """The pod spec a workload runs: a Pod's own, a CronJob's jobTemplate's, every other's template.
    MalformedInput when it, or an object on the way to it, is not an object."""
    if resource_type == POD:
        return object_input(props, "spec")
    if resource_type == CRON_JOB:
        return object_input(props, "spec", "jobTemplate", "spec", "template", "spec")
    return object_input(props, "spec", "template", "spec")


def containers(spec: Any, *, init: bool = True) -> list[Any]:
    kinds = ("containers", "initContainers", "ephemeralContainers") if init else ("containers",)
    found = []
    for kind in kinds:
        for position, container in enumerate(list_input(spec, kind)):
            if not isinstance(container, Mapping):
                raise MalformedInput(f"{kind}[{position}] is not an object")
            found.append(container)
    return found


def _label(args: ResourceView) -> str:
    return f"{args.resource_type.rsplit(':', 1)[-1]} {args.name}"


def _effective(spec: Any, container: Any, *path: str) -> Any:
    """A security setting as the kubelet applies it: the container's, else the pod's."""
    own = object_input(container, "securityContext")
    if has_key(own, path[0]):
        return dig(own, *path)
    return dig(object_input(spec, "securityContext"), *path)


def _each_container(args: ResourceView, *, init: bool = True) -> Iterator[tuple[Any, Any, str]]:
    """(pod spec, container, "Deployment x: container y") for every container of the workload."""
    spec = pod_spec(args.props, args.resource_type)
    if spec is None:
        return
    for container in containers(spec, init=init):
        yield spec, container, f"{_label(args)}: container {dig(container, 'name')}"


# --- the rules ---------------------------------------------------------------------------------------


def _non_root(args: ResourceView, _settings: PolicySettings) -> Iterator[str]:
    for spec, container, where in _each_container(args):
        if _effective(spec, container, "runAsNonRoot") is not True:
            yield f"{where} may run as root: set securityContext.runAsNonRoot: true"
        if _effective(spec, container, "runAsUser") == 0:
            yield f"{where} runs as UID 0 (root)"


RUN_AS_NON_ROOT = Rule(
    name="kubernetes-run-as-non-root",
    description="Checks whether every container of a Kubernetes workload must run as a non-root user "
    "(runAsNonRoot: true, and no runAsUser 0).",
    severity="high",
    remediation="Set runAsNonRoot: true and a non-zero runAsUser (10000 or more) in the pod or container "
    "securityContext, and build the image to run as that user.",
    check=_non_root,
    kind="resource",
    resource_types=WORKLOADS,
    checkov=("CKV_K8S_23",),
    default_levels=PROD_MANDATORY,
)


def _read_only_root(args: ResourceView, _settings: PolicySettings) -> Iterator[str]:
    for _spec, container, where in _each_container(args):
        if dig(container, "securityContext", "readOnlyRootFilesystem") is not True:
            yield f"{where} has a writable root filesystem: set securityContext.readOnlyRootFilesystem: true"


READ_ONLY_ROOT_FILESYSTEM = Rule(
    name="kubernetes-read-only-root-filesystem",
    description="Checks whether every container of a Kubernetes workload mounts its root filesystem read-only.",
    severity="medium",
    remediation="Set readOnlyRootFilesystem: true in each container's securityContext; mount an emptyDir "
    "where the process must write (/tmp, caches).",
    check=_read_only_root,
    kind="resource",
    resource_types=WORKLOADS,
    checkov=("CKV_K8S_22",),
    default_levels=PROD_MANDATORY,
)


def _no_escalation(args: ResourceView, _settings: PolicySettings) -> Iterator[str]:
    for _spec, container, where in _each_container(args):
        # Unset means allowed: the kernel's no_new_privs flag is set only when this is false.
        if dig(container, "securityContext", "allowPrivilegeEscalation") is not False:
            yield f"{where} may gain privileges: set securityContext.allowPrivilegeEscalation: false"


NO_PRIVILEGE_ESCALATION = Rule(
    name="kubernetes-no-privilege-escalation",
    description="Checks whether every container of a Kubernetes workload sets allowPrivilegeEscalation: false.",
    severity="high",
    remediation="Set allowPrivilegeEscalation: false in each container's securityContext.",
    check=_no_escalation,
    kind="resource",
    resource_types=WORKLOADS,
    checkov=("CKV_K8S_20",),
    default_levels=PROD_MANDATORY,
)


def _capabilities(args: ResourceView, _settings: PolicySettings) -> Iterator[str]:
    for _spec, container, where in _each_container(args):
        dropped = {str(c) for c in list_input(container, "securityContext", "capabilities", "drop")}
        if "ALL" not in dropped:
            yield f"{where} keeps the runtime's default capabilities (NET_RAW among them): drop ALL"
        added = {str(c) for c in list_input(container, "securityContext", "capabilities", "add")}
        extra = sorted(added - ALLOWED_ADDED_CAPABILITIES)
        if extra:
            yield f"{where} adds capabilities {', '.join(extra)}; only NET_BIND_SERVICE may be added back"


DROP_ALL_CAPABILITIES = Rule(
    name="kubernetes-drop-all-capabilities",
    description="Checks whether every container of a Kubernetes workload drops ALL Linux capabilities "
    "and adds back none but NET_BIND_SERVICE.",
    severity="medium",
    remediation="Set securityContext.capabilities.drop: [ALL] on each container, and add nothing back.",
    check=_capabilities,
    kind="resource",
    resource_types=WORKLOADS,
    checkov=("CKV_K8S_28", "CKV_K8S_37"),
    default_levels=PROD_MANDATORY,
)


def _seccomp(args: ResourceView, _settings: PolicySettings) -> Iterator[str]:
    for spec, container, where in _each_container(args):
        profile = _effective(spec, container, "seccompProfile")
        kind = dig(profile, "type") if profile is not None else None
        if kind != "RuntimeDefault":
            shown = kind or "unset (Unconfined on most runtimes)"
            yield f"{where} runs with seccomp profile {shown}: set seccompProfile.type: RuntimeDefault"


SECCOMP_RUNTIME_DEFAULT = Rule(
    name="kubernetes-seccomp-runtime-default",
    description="Checks whether every container of a Kubernetes workload runs under the RuntimeDefault "
    "seccomp profile.",
    severity="medium",
    remediation="Set securityContext.seccompProfile.type: RuntimeDefault in the pod spec (and no container override).",
    check=_seccomp,
    kind="resource",
    resource_types=WORKLOADS,
    checkov=("CKV_K8S_31",),
    default_levels=PROD_MANDATORY,
)


def _resources(args: ResourceView, _settings: PolicySettings) -> Iterator[str]:
    for _spec, container, where in _each_container(args):
        missing = [
            f"{kind}.{resource}"
            for kind in ("requests", "limits")
            for resource in ("cpu", "memory")
            if dig(container, "resources", kind, resource) is None
        ]
        if missing:
            yield f"{where} lacks resources {', '.join(missing)}"


REQUESTS_AND_LIMITS = Rule(
    name="kubernetes-resource-requests-and-limits",
    description="Checks whether every container of a Kubernetes workload requests and limits CPU and memory.",
    severity="medium",
    remediation="Set resources.requests and resources.limits for cpu and memory on each container; requests "
    "reserve node capacity (and are what the cost estimate prices), limits stop one pod starving the rest.",
    check=_resources,
    kind="resource",
    resource_types=WORKLOADS,
    checkov=("CKV_K8S_10", "CKV_K8S_11", "CKV_K8S_12", "CKV_K8S_13"),
    default_levels=PROD_MANDATORY,
)


def _probes(args: ResourceView, _settings: PolicySettings) -> Iterator[str]:
    if args.resource_type in BATCH:
        return
    for _spec, container, where in _each_container(args, init=False):
        missing = [probe for probe in ("livenessProbe", "readinessProbe") if object_input(container, probe) is None]
        if missing:
            yield f"{where} has no {' or '.join(missing)}"


PROBES = Rule(
    name="kubernetes-liveness-and-readiness-probes",
    description="Checks whether every container of a long-running Kubernetes workload (not Jobs or CronJobs) "
    "has a liveness and a readiness probe.",
    severity="medium",
    remediation="Add livenessProbe and readinessProbe (httpGet on the model server's health paths) to each "
    "container, so traffic reaches only ready pods and hung ones restart.",
    check=_probes,
    kind="resource",
    resource_types=WORKLOADS,
    checkov=("CKV_K8S_8", "CKV_K8S_9"),
    default_levels=PROD_MANDATORY,
)


def token_exemption(props: Mapping[str, Any]) -> str | None:
    """The reason given for mounting the service-account token, from Checkov's skip annotation."""
    annotations = dig(props, "metadata", "annotations")
    if not isinstance(annotations, Mapping):
        return None
    for key in annotations:
        if not str(key).startswith(SKIP_ANNOTATION_PREFIX):
            continue
        check, _, reason = str(annotations[key]).partition("=")
        if check.strip() == TOKEN_CHECK and reason.strip():
            return reason.strip()
    return None


def _token(args: ResourceView, _settings: PolicySettings) -> Iterator[str]:
    spec = pod_spec(args.props, args.resource_type)
    if spec is None or dig(spec, "automountServiceAccountToken") is False:
        return
    if token_exemption(args.props) is None:
        yield (
            f"{_label(args)} mounts a service-account token: set automountServiceAccountToken: false, or annotate "
            f"the workload `{SKIP_ANNOTATION_PREFIX}1: {TOKEN_CHECK}=<why it calls the Kubernetes API>`"
        )


SERVICE_ACCOUNT_TOKEN = Rule(
    name="kubernetes-no-service-account-token",
    description="Checks whether Kubernetes workloads keep the service-account token out of their pods "
    "(automountServiceAccountToken: false) unless an annotation says why they need it.",
    severity="medium",
    remediation="Set automountServiceAccountToken: false in the pod spec (AWS access comes from EKS Pod "
    f"Identity, not the token); a pod that calls the Kubernetes API gets `{SKIP_ANNOTATION_PREFIX}1: "
    f"{TOKEN_CHECK}=<reason>` on the workload.",
    check=_token,
    kind="resource",
    resource_types=WORKLOADS,
    checkov=(TOKEN_CHECK,),
    default_levels=PROD_MANDATORY,
)


def _host_and_privileged(args: ResourceView, _settings: PolicySettings) -> Iterator[str]:
    spec = pod_spec(args.props, args.resource_type)
    if spec is None:
        return
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if bool_input(spec, field) is True:
            yield f"{_label(args)} shares the node's namespace: {field}: true"
    for _spec, container, where in _each_container(args):
        if bool_input(container, "securityContext", "privileged") is True:
            yield f"{where} is privileged: it has every capability and the node's devices"


NO_PRIVILEGED_OR_HOST_NAMESPACES = Rule(
    name="kubernetes-no-privileged-or-host-namespaces",
    description="Checks whether Kubernetes workloads run no privileged container and share none of the "
    "node's network, PID or IPC namespaces.",
    severity="critical",
    remediation="Remove privileged: true, hostNetwork, hostPID and hostIPC; GPUs need only the nvidia.com/gpu "
    "resource limit, not privilege.",
    check=_host_and_privileged,
    kind="resource",
    resource_types=WORKLOADS,
    checkov=("CKV_K8S_16", "CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19"),
    default_levels=PROD_MANDATORY,
)

RULES = (
    NO_PRIVILEGED_OR_HOST_NAMESPACES,
    RUN_AS_NON_ROOT,
    NO_PRIVILEGE_ESCALATION,
    READ_ONLY_ROOT_FILESYSTEM,
    DROP_ALL_CAPABILITIES,
    SECCOMP_RUNTIME_DEFAULT,
    SERVICE_ACCOUNT_TOKEN,
    REQUESTS_AND_LIMITS,
    PROBES,
)
