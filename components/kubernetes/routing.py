"""Sticky routing (Gateway API HTTPRoute, Envoy Gateway BackendTrafficPolicy) and platform namespaces.

The object specs come from `components.kubernetes.gateway_api` (Pulumi-free); this module creates
them as `pulumi_kubernetes.apiextensions.CustomResource`s, and the namespaces the platform's
workloads run in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi

from mlstack.components.kubernetes.gateway_api import (
    ENVOY_GATEWAY_API_VERSION,
    GATEWAY_API_VERSION,
    gateway_spec,
    http_route_spec,
    sticky_policy_spec,
)
from mlstack.components.kubernetes.labels import is_dns_1123_label, label_problems, object_metadata, split_tags
from mlstack.components.kubernetes.network import default_deny_spec
from mlstack.components.kubernetes.pod_security import wire
from mlstack.components.options import child_options
from mlstack.components.sdk import k8s

# Pod Security Admission: reject any pod that is not `restricted`, and say so on audit and warn too.
# https://kubernetes.io/docs/concepts/security/pod-security-admission/
POD_SECURITY_LABELS = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
}
DEFAULT_DENY_NAME = "default-deny-all"


def create_gateway(
    name: str,
    parent: pulumi.Resource,
    opts: pulumi.ResourceOptions | None,
    *,
    gateway_name: str,
    namespace: str,
    gateway_class: str,
    port: int,
    route_namespaces: Sequence[str],
    metadata: Mapping[str, object],
) -> k8s.apiextensions.CustomResource:
    """A Gateway `f"{name}-gateway"` with one HTTP listener for routes from `route_namespaces`."""
    return k8s.apiextensions.CustomResource(
        f"{name}-gateway",
        api_version=GATEWAY_API_VERSION,
        kind="Gateway",
        metadata={**metadata, "name": gateway_name, "namespace": namespace},
        spec=gateway_spec(
            gateway_class=gateway_class, port=port, gateway_namespace=namespace, route_namespaces=route_namespaces
        ),
        opts=child_options(parent, opts),
    )


def create_http_route(
    name: str,
    parent: pulumi.Resource,
    opts: pulumi.ResourceOptions | None,
    *,
    metadata: Mapping[str, object],
    gateway_name: str,
    gateway_namespace: str,
    service_name: str,
    service_port: int,
    path_prefix: str,
    hostnames: Sequence[str],
    depends_on: Sequence[pulumi.Resource] = (),
) -> k8s.apiextensions.CustomResource:
    """The HTTPRoute `f"{name}-route"` from the Gateway to the Service."""
    return k8s.apiextensions.CustomResource(
        f"{name}-route",
        api_version=GATEWAY_API_VERSION,
        kind="HTTPRoute",
        metadata=dict(metadata),
        spec=http_route_spec(
            gateway_name=gateway_name,
            gateway_namespace=gateway_namespace,
            service_name=service_name,
            service_port=service_port,
            path_prefix=path_prefix,
            hostnames=hostnames,
        ),
        opts=child_options(parent, opts, depends_on),
    )


def create_sticky_policy(
    name: str,
    parent: pulumi.Resource,
    opts: pulumi.ResourceOptions | None,
    *,
    metadata: Mapping[str, object],
    route: k8s.apiextensions.CustomResource,
    route_name: str,
    session_header: str,
) -> k8s.apiextensions.CustomResource:
    """The BackendTrafficPolicy `f"{name}-sticky"`: consistent hashing on the session header.
    It must live in the HTTPRoute's namespace (a local policy reference)."""
    return k8s.apiextensions.CustomResource(
        f"{name}-sticky",
        api_version=ENVOY_GATEWAY_API_VERSION,
        kind="BackendTrafficPolicy",
        metadata=dict(metadata),
        spec=sticky_policy_spec(route_name=route_name, session_header=session_header),
        opts=child_options(parent, opts, [route]),
    )


@dataclass(frozen=True)
class NamespaceArgs:
    """Inputs of a PlatformNamespace."""

    name: str
    """Namespace name (a DNS-1123 label)."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Extra labels; the Pod Security Admission labels and mlstack's own labels win."""
    annotations: Mapping[str, str] = field(default_factory=dict)
    """Extra annotations."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Platform tags: labels where valid label syntax, annotations otherwise."""


def validate_namespace_args(args: NamespaceArgs) -> list[str]:
    """Every problem with `args`, each naming its field."""
    problems = []
    if not is_dns_1123_label(args.name):
        problems.append(f"namespace name {args.name!r} must be a DNS-1123 label (a-z, 0-9, '-', at most 63)")
    if args.name in ("default", "kube-system", "kube-public", "kube-node-lease"):
        problems.append(f"namespace name {args.name!r} is reserved; mlstack workloads get their own namespace")
    return problems + label_problems(args.labels, "namespace labels")


class PlatformNamespace(pulumi.ComponentResource):
    """A namespace that enforces the `restricted` Pod Security Standard and denies all traffic by default."""

    namespace_name: pulumi.Output[str]
    """The namespace's name."""

    def __init__(self, name: str, args: NamespaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        problems = validate_namespace_args(args)
        if problems:
            raise ValueError(f"{name}: " + "; ".join(problems))
        super().__init__("mlstack:kubernetes:PlatformNamespace", name, None, opts)
        tag_labels, tag_annotations = split_tags(args.tags)
        labels = {
            **tag_labels,
            **args.labels,
            "app.kubernetes.io/name": args.name,
            "app.kubernetes.io/part-of": "mlstack",
            "app.kubernetes.io/managed-by": "mlstack",
            **POD_SECURITY_LABELS,
        }
        annotations = {**tag_annotations, **args.annotations}
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={"name": args.name, "labels": labels, **({"annotations": annotations} if annotations else {})},
            opts=child_options(self, opts),
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-default-deny",
            metadata=wire(
                object_metadata(
                    name=DEFAULT_DENY_NAME,
                    namespace=args.name,
                    component="namespace",
                    labels=args.labels,
                    annotations=args.annotations,
                    tags=args.tags,
                )
            ),
            spec=wire(default_deny_spec()),
            opts=child_options(self, opts, [namespace]),
        )
        self.namespace_name = pulumi.Output.from_input(args.name)
        self.register_outputs({"namespace_name": self.namespace_name})
