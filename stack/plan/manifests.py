"""The Kubernetes objects of a plan as YAML manifests, one file per object, for review and offline validation.

Every custom `kubernetes:*` resource of a Plan is one object: pulumi-kubernetes registers the object
itself as the resource's inputs (`apiVersion`, `kind`, `metadata`, `spec`, `data`...). Components
(Helm charts, yaml ConfigGroups) and `*Patch` resources (partial objects applied server-side) are not
objects of their own and are left out.

What a plan cannot know is never written as if it were real:
- **Unknown values** (`(known after apply)`: an ARN, an RDS address) stay the placeholder text
  `(known after apply)`, and the object's annotation `plan.mlstack.dev/known-after-apply` lists their
  JSON Pointers (RFC 6901). A validator that rejects the placeholder where a number or pattern is due
  is right to: the value is not known yet.
- **Secrets** are never written. A `Secret` object is written without its `data` and `stringData`, and
  its annotation `plan.mlstack.dev/values-omitted` lists what was left out. A secret value in any other
  object (say a password inline in a Deployment's `env`) is refused with a ManifestError: such objects
  should reference a Secret (`secretKeyRef`) instead, and Pulumi marks the whole field secret, so
  nothing truthful could be written in its place.
- **Auto-named objects** (no `metadata.name`: Pulumi appends a random suffix at apply) get
  `metadata.generateName: <logical name>-` and the annotation `plan.mlstack.dev/auto-named`.

Files are `<namespace>/<kind>-<name>.yaml` (kind lower-cased), `_cluster/` for cluster-scoped kinds,
`_no-namespace/` for namespaced objects that name none (the provider's default namespace applies).
The directory is replaced as a whole (all files or none), and only when it is new, empty or holds
exactly what an earlier `write_manifests` wrote (listed in its `.mlstack-manifests` index), so stale
manifests of removed objects never linger and no file of yours is deleted. The manifests are for
review and validation (kubernetes-validate, CRD schemas, Checkov); `pulumi up` is what applies them.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from mlstack.stack.plan.engine import SECRET_TEXT, UNKNOWN_TEXT, Plan, PlannedResource

ANNOTATION_PREFIX = "plan.mlstack.dev/"
UNKNOWN_ANNOTATION = f"{ANNOTATION_PREFIX}known-after-apply"
OMITTED_ANNOTATION = f"{ANNOTATION_PREFIX}values-omitted"
AUTO_NAMED_ANNOTATION = f"{ANNOTATION_PREFIX}auto-named"
INDEX_FILE = ".mlstack-manifests"
_INDEX_HEADER = "# Written by `mlstack plan --manifests`; the directory is replaced as a whole on the next run.\n"

CLUSTER_DIRECTORY = "_cluster"
NO_NAMESPACE_DIRECTORY = "_no-namespace"
UNKNOWN_NAMESPACE_DIRECTORY = "_known-after-apply"

# Kinds the API server keeps outside namespaces (`kubectl api-resources --namespaced=false` on a
# cluster with the Gateway API installed); any other kind is namespaced.
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "APIService",
        "CertificateSigningRequest",
        "ClusterRole",
        "ClusterRoleBinding",
        "ComponentStatus",
        "CSIDriver",
        "CSINode",
        "CustomResourceDefinition",
        "FlowSchema",
        "GatewayClass",
        "IngressClass",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "RuntimeClass",
        "StorageClass",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    }
)
SECRET_FIELDS = ("data", "stringData")

# Object names are DNS subdomains (RFC 1123), namespaces DNS labels: safe as path parts, never `..`.
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_KIND = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")


class ManifestError(Exception):
    """The plan's Kubernetes objects cannot be written truthfully; every reason, one per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Manifest:
    """One Kubernetes object of the plan, ready to write."""

    path: PurePosixPath
    """Relative to the manifests directory: `<namespace>/<kind>-<name>.yaml`."""
    document: Mapping[str, Any]
    resource: PlannedResource
    unknown: tuple[str, ...] = ()
    """JSON Pointers of the values shown as `(known after apply)`."""
    omitted: tuple[str, ...] = ()
    """JSON Pointers of the secret values left out."""

    @property
    def kind(self) -> str:
        return str(self.document["kind"])

    def text(self) -> str:
        header = f"# {self.resource.urn}\n# Planned by mlstack, not read from a cluster.\n"
        if self.unknown:
            header += f"# Placeholders: `{UNKNOWN_TEXT}` marks values known only after apply ({UNKNOWN_ANNOTATION}).\n"
        if self.omitted:
            header += f"# Secret values are never written ({OMITTED_ANNOTATION}).\n"
        body = yaml.safe_dump(
            dict(self.document), sort_keys=False, default_flow_style=False, allow_unicode=True, width=4096
        )
        return header + body


def is_kubernetes_object(resource: PlannedResource) -> bool:
    """Whether the resource is one Kubernetes object (not a chart, a ConfigGroup, a patch or a provider)."""
    return (
        resource.custom
        and resource.type.startswith("kubernetes:")
        and not resource.type.endswith("Patch")
        and isinstance(resource.inputs.get("apiVersion"), str)
        and isinstance(resource.inputs.get("kind"), str)
    )


def kubernetes_objects(plan: Plan) -> list[PlannedResource]:
    return [resource for resource in plan.resources if is_kubernetes_object(resource)]


def manifests(plan: Plan) -> list[Manifest]:
    """Every Kubernetes object of `plan` as a Manifest, sorted by path; ManifestError lists every problem."""
    built: list[Manifest] = []
    problems: list[str] = []
    for resource in kubernetes_objects(plan):
        try:
            built.append(_manifest(resource))
        except ManifestError as error:
            problems += error.problems
    seen: dict[PurePosixPath, Manifest] = {}
    for manifest in built:
        other = seen.setdefault(manifest.path, manifest)
        if other is not manifest:
            problems.append(
                f"{manifest.resource.urn}: the same object ({manifest.path}) as {other.resource.urn}; "
                "two resources would fight over one Kubernetes object"
            )
    if problems:
        raise ManifestError(problems)
    return sorted(built, key=lambda manifest: str(manifest.path))


def write_manifests(plan: Plan, directory: Path) -> list[Path]:
    """Write every Kubernetes object of `plan` under `directory`, replacing it as a whole: all or nothing.

    Raises ManifestError (nothing written) when an object cannot be written truthfully or the
    directory holds files mlstack did not write, and OSError when the directory cannot be written.
    """
    planned = manifests(plan)
    _check_replaceable(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=".tmp", dir=directory.parent))
    try:
        for manifest in planned:
            target = staging.joinpath(*manifest.path.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(manifest.text(), encoding="utf-8")
        index = "".join(f"{manifest.path}\n" for manifest in planned)
        (staging / INDEX_FILE).write_text(_INDEX_HEADER + index, encoding="utf-8")
        _swap_in(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [directory.joinpath(*manifest.path.parts) for manifest in planned]


# --- one object -----------------------------------------------------------------------------------


def _manifest(resource: PlannedResource) -> Manifest:
    inputs = dict(resource.inputs)
    kind = str(inputs["kind"])
    where = f"{resource.urn} ({kind})"
    problems: list[str] = []
    omitted: list[str] = []
    if kind == "Secret" and str(inputs["apiVersion"]) == "v1":
        for key in SECRET_FIELDS:
            if key in inputs:
                value = inputs.pop(key)
                keys = sorted(value) if isinstance(value, Mapping) else []
                omitted += [_pointer(key, item) for item in keys] or [_pointer(key)]
    secrets = list(_paths_of(inputs, SECRET_TEXT))
    if secrets:
        problems.append(
            f"{where}: {', '.join(secrets)} holds a secret; mlstack never writes secrets to manifests. "
            "Put the value in a Secret and reference it (env valueFrom.secretKeyRef, or a secret volume)"
        )
    unknown = list(_paths_of(inputs, UNKNOWN_TEXT))
    metadata = inputs.get("metadata")
    metadata = dict(metadata) if isinstance(metadata, Mapping) else {}
    annotations = metadata.get("annotations")
    annotations = dict(annotations) if isinstance(annotations, Mapping) else {}
    name = metadata.get("name")
    if not _KIND.match(kind):
        problems.append(f"{where}: kind {kind!r} is not a Kubernetes kind")
    if name is None:
        # pulumi-kubernetes auto-names an object without metadata.name: `<logical name>-<random suffix>`.
        metadata["generateName"] = f"{resource.name}-"
        annotations[AUTO_NAMED_ANNOTATION] = f"Pulumi names it {resource.name}-<random suffix> at apply"
        file_name = resource.name
    elif name == UNKNOWN_TEXT:
        file_name = resource.name
    else:
        file_name = str(name)
    if not _DNS_SUBDOMAIN.match(file_name) or len(file_name) > 253:
        problems.append(f"{where}: metadata.name {file_name!r} is not a DNS subdomain, so not a Kubernetes name")
    directory = _directory(kind, metadata.get("namespace"), where, problems)
    if problems:
        raise ManifestError(problems)
    if unknown:
        annotations[UNKNOWN_ANNOTATION] = ",".join(unknown)
    if omitted:
        annotations[OMITTED_ANNOTATION] = ",".join(omitted)
    if annotations:
        metadata["annotations"] = dict(sorted(annotations.items()))
    document: dict[str, Any] = {"apiVersion": inputs.pop("apiVersion"), "kind": inputs.pop("kind")}
    inputs.pop("metadata", None)
    document["metadata"] = _ordered_metadata(metadata)
    document.update(sorted(inputs.items()))
    path = PurePosixPath(directory, f"{kind.lower()}-{file_name}.yaml")
    return Manifest(path, document, resource, tuple(unknown), tuple(omitted))


def _directory(kind: str, namespace: Any, where: str, problems: list[str]) -> str:
    if namespace is None or namespace == "":
        return CLUSTER_DIRECTORY if kind in CLUSTER_SCOPED_KINDS else NO_NAMESPACE_DIRECTORY
    if namespace == UNKNOWN_TEXT:
        return UNKNOWN_NAMESPACE_DIRECTORY
    if not isinstance(namespace, str) or not _DNS_LABEL.match(namespace) or len(namespace) > 63:
        problems.append(f"{where}: metadata.namespace {namespace!r} is not a DNS label, so not a namespace")
        return ""
    return namespace


def _ordered_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """name, generateName and namespace first, as people write them; the rest sorted."""
    first = [key for key in ("name", "generateName", "namespace") if key in metadata]
    return {key: metadata[key] for key in [*first, *sorted(set(metadata) - set(first))]}


def _paths_of(value: Any, marker: str, *path: str | int) -> Iterator[str]:
    """JSON Pointers of every occurrence of the plan's `marker` text in `value`."""
    if value == marker:
        yield _pointer(*path)
    elif isinstance(value, Mapping):
        for key in sorted(value):
            yield from _paths_of(value[key], marker, *path, key)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _paths_of(item, marker, *path, index)


def _pointer(*path: str | int) -> str:
    """RFC 6901: `~` is `~0` and `/` is `~1` inside a reference token."""
    return "".join("/" + str(step).replace("~", "~0").replace("/", "~1") for step in path) or "/"


# --- the directory ------------------------------------------------------------------------------


def _check_replaceable(directory: Path) -> None:
    for ancestor in directory.parents:
        if ancestor.exists():
            if not ancestor.is_dir():
                raise NotADirectoryError(20, "Not a directory", str(ancestor))
            break
    if not directory.exists():
        return
    if not directory.is_dir():
        raise NotADirectoryError(20, "Not a directory", str(directory))
    if not any(directory.iterdir()):
        return
    index = directory / INDEX_FILE
    # Look inside only a directory mlstack wrote: `--manifests ~` must not walk a home directory.
    if not index.is_file():
        message = f"{directory} is not empty and was not written by mlstack (no {INDEX_FILE})"
        raise ManifestError([f"{message}; give a new or empty directory"])
    listed = {line for line in index.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")}
    present = {path.relative_to(directory).as_posix() for path in directory.rglob("*") if not path.is_dir()}
    foreign = sorted(present - listed - {INDEX_FILE})
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise ManifestError(
            [f"{directory} holds files an earlier `mlstack plan --manifests` did not write ({shown}); move them first"]
        )


def _swap_in(staging: Path, directory: Path) -> None:
    """Put `staging` where `directory` is; the old directory is removed only once the new one is in place."""
    if not directory.exists():
        os.replace(staging, directory)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=".old", dir=directory.parent))
    os.rmdir(retired)
    os.replace(directory, retired)
    try:
        os.replace(staging, directory)
    except BaseException:
        os.replace(retired, directory)
        raise
    shutil.rmtree(retired, ignore_errors=True)
