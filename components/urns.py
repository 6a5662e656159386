"""Pulumi URNs, read the same way by the plan, the policy pack and the preview checker.

`urn:pulumi:<stack>::<project>::<parent type>$<type>::<name>`
"""

from __future__ import annotations


def urn_key(urn: str) -> str:
    """A URN without its stack and project (`parent$type::name`): the same for a real and an offline stack."""
    parts = urn.split("::", 2)
    return parts[2] if len(parts) == 3 else urn


def type_of(urn: str) -> str:
    """`urn:pulumi:stack::project::parent$type::name` -> `type` (a resource no longer planned)."""
    parts = urn.split("::")
    return parts[2].rsplit("$", 1)[-1] if len(parts) >= 4 else ""
