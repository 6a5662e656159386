"""NetworkPolicies: deny by default, then admit exactly the traffic a workload needs (Pulumi-free).

NetworkPolicies are additive: the namespace's default-deny policy selects every pod, and each
workload's own policy opens its few paths. They need a CNI that enforces them: on EKS, the VPC CNI
with network policy support turned on (`enableNetworkPolicy`), or Calico/Cilium.
https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy.html
Kubelet probes are not affected: traffic from the pod's own node is always allowed
(https://kubernetes.io/docs/concepts/services-networking/network-policies/).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mlstack.components.kubernetes.pod_security import Manifest

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
# CoreDNS on EKS keeps the kube-dns label of the Service it backs.
DNS_POD_LABELS = {"k8s-app": "kube-dns"}
# The EKS Pod Identity agent answers on this link-local address (port 80) on every node:
# https://docs.aws.amazon.com/eks/latest/userguide/pod-id-how-it-works.html
POD_IDENTITY_AGENT_CIDR = "169.254.170.23/32"
# Instance metadata: pods must not reach the node's role through IMDS.
IMDS_CIDR = "169.254.169.254/32"
ANYWHERE = "0.0.0.0/0"


def default_deny_spec() -> Manifest:
    """Every pod of the namespace: no ingress, no egress, unless another policy admits it."""
    return {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def namespace_peer(namespace: str, pod_labels: Mapping[str, str] | None = None) -> Manifest:
    """Pods of one namespace (all of them, or those with `pod_labels`)."""
    peer: Manifest = {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: namespace}}}
    if pod_labels is not None:
        peer["podSelector"] = {"matchLabels": dict(pod_labels)}
    return peer


def dns_egress() -> Manifest:
    """Name resolution through the cluster DNS."""
    return {
        "to": [namespace_peer("kube-system", DNS_POD_LABELS)],
        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
    }


def https_egress() -> Manifest:
    """HTTPS anywhere but instance metadata: S3, STS, SNS, through VPC endpoints or not."""
    return {"to": [{"ipBlock": {"cidr": ANYWHERE, "except": [IMDS_CIDR]}}], "ports": [{"protocol": "TCP", "port": 443}]}


def pod_identity_egress() -> Manifest:
    """The Pod Identity agent, which hands out the role's credentials."""
    return {"to": [{"ipBlock": {"cidr": POD_IDENTITY_AGENT_CIDR}}], "ports": [{"protocol": "TCP", "port": 80}]}


def workload_policy_spec(
    *,
    pod_labels: Mapping[str, str],
    ingress_from: Sequence[Manifest],
    ingress_port: int | None,
    pod_identity: bool,
    extra_egress: Sequence[Manifest] = (),
) -> Manifest:
    """One workload's policy: ingress on its port from `ingress_from` only (none when empty), egress
    to DNS, HTTPS, the Pod Identity agent when used, and `extra_egress`."""
    egress: list[Any] = [dns_egress(), https_egress()]
    if pod_identity:
        egress.append(pod_identity_egress())
    egress += list(extra_egress)
    spec: Manifest = {
        "podSelector": {"matchLabels": dict(pod_labels)},
        "policyTypes": ["Ingress", "Egress"],
        "egress": egress,
    }
    if ingress_from and ingress_port is not None:
        spec["ingress"] = [{"from": list(ingress_from), "ports": [{"protocol": "TCP", "port": ingress_port}]}]
    return spec
