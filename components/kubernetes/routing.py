"""Sticky routing (Gateway API HTTPRoute, Envoy Gateway BackendTrafficPolicy) and platform namespaces."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi


@dataclass(frozen=True)
class NamespaceArgs:
    """Inputs of a PlatformNamespace."""

    name: str
    """Namespace name (a DNS-1123 label)."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Extra labels; the Pod Security Admission labels and mlstack's own labels win."""
    annotations: Mapping[str, str] = field(default_factory=dict)
    """Extra annotations."""


class PlatformNamespace(pulumi.ComponentResource):
    """A namespace that enforces the `restricted` Pod Security Standard and denies all traffic by default."""

    namespace_name: pulumi.Output[str]
    """The namespace's name."""
