"""Kubernetes labels and annotations of every mlstack object, and what makes them valid (Pulumi-free).

Label syntax: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set
(a value is at most 63 characters, empty or alphanumeric at both ends with `-_.` inside; a key is
an optional DNS-subdomain prefix of at most 253 characters, a slash, and a name like a value but
non-empty). Platform tags whose key or value break those rules (an owner e-mail has `@`) become
annotations, which take any string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

PART_OF = "mlstack"
MANAGED_BY = "mlstack"
NAME_LABEL = "app.kubernetes.io/name"
COMPONENT_LABEL = "app.kubernetes.io/component"

_LABEL_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
# Kubernetes object names that become DNS labels (Service, and names this module prefixes):
# RFC 1035 labels, https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#rfc-1035-label-names
_DNS_1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_DNS_1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


def is_label_value(value: str) -> bool:
    """Whether `value` is a valid label value."""
    return value == "" or (len(value) <= 63 and _LABEL_NAME.fullmatch(value) is not None)


def is_label_key(key: str) -> bool:
    """Whether `key` is a valid label (or annotation) key."""
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or _DNS_SUBDOMAIN.fullmatch(prefix) is None):
        return False
    return 0 < len(name) <= 63 and _LABEL_NAME.fullmatch(name) is not None


def is_dns_1035_label(name: str) -> bool:
    """Whether `name` is a valid Service name (and so a valid DNS label in the cluster domain)."""
    return len(name) <= 63 and _DNS_1035_LABEL.fullmatch(name) is not None


def is_dns_1123_label(name: str) -> bool:
    """Whether `name` is a valid namespace name."""
    return len(name) <= 63 and _DNS_1123_LABEL.fullmatch(name) is not None


def split_tags(tags: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Platform tags as (labels, annotations): each tag goes to labels when both its key and value
    are label syntax, to annotations otherwise."""
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    for key, value in sorted(tags.items()):
        if is_label_key(key) and is_label_value(value):
            labels[key] = value
        elif is_label_key(key):
            annotations[key] = value
        else:
            # A key that is not even an annotation key (`cost center`) is kept under ours.
            annotations[f"mlstack.io/tag-{re.sub(r'[^A-Za-z0-9_.-]', '-', key)[:50].strip('-_.')}"] = value
    return labels, annotations


def selector_labels(name: str, component: str) -> dict[str, str]:
    """Labels that select one workload's pods; stable forever (a Deployment's selector is immutable).
    The component keeps an InferenceService and a DriftJob of the same name apart."""
    return {NAME_LABEL: name, COMPONENT_LABEL: component, "app.kubernetes.io/part-of": PART_OF}


def object_metadata(
    *,
    name: str,
    namespace: str,
    component: str,
    labels: Mapping[str, str] = {},
    annotations: Mapping[str, Any] = {},
    tags: Mapping[str, str] = {},
    app: str | None = None,
) -> dict[str, Any]:
    """`metadata` of an mlstack object: explicit name and namespace (never auto-named), the caller's
    labels and tags first, mlstack's own labels last so they always win. Annotation values may be
    Pulumi outputs (a role ARN); this module only passes them through. `app` is the workload the
    object belongs to (its `app.kubernetes.io/name`) when that is not the object's own name."""
    tag_labels, tag_annotations = split_tags(tags)
    merged_labels = {
        **tag_labels,
        **labels,
        **selector_labels(app or name, component),
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }
    merged_annotations: dict[str, Any] = {**tag_annotations, **annotations}
    metadata: dict[str, Any] = {"name": name, "namespace": namespace, "labels": merged_labels}
    if merged_annotations:
        metadata["annotations"] = merged_annotations
    return metadata


def label_problems(labels: Mapping[str, str], where: str) -> list[str]:
    """Every label that the API server would reject, named with `where`."""
    problems = []
    for key, value in sorted(labels.items()):
        if not is_label_key(key):
            problems.append(f"{where}: label key {key!r} is not a valid Kubernetes label key")
        if not is_label_value(value):
            problems.append(f"{where}: label {key}={value!r} is not a valid label value (<= 63 of A-Za-z0-9-_.)")
    return problems
