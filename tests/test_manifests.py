"""Kubernetes manifests of a plan, checked by the real validators: kubernetes-validate, CRD schemas, Checkov.

Pinned Kubernetes version: 1.33 (`KUBERNETES_VERSION`). It is the oldest minor that Amazon EKS still
supports through mid-2027 (standard support ended 2026-07-29, extended support runs to 2027-07-29;
1.32's ends 2027-03-23, per the EKS version calendar), so a manifest that passes its strict schema
uses no field a supported cluster lacks. The newest bundled schema (`NEWEST_VERSION`) is checked too,
so nothing planned uses an API a newer cluster has removed.

Until the examples carry a `kubernetes:` section, `fixture_plan()` builds the objects the
Kubernetes components are meant to emit with pulumi-kubernetes itself, under the same mocks.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import kubernetes_validate  # type: ignore[import-untyped]
import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest
import yaml
from typer.testing import CliRunner

from mlstack.blueprints.load import load_for_environment, validate_file
from mlstack.stack.cli.app import app
from mlstack.stack.plan import plan_file
from mlstack.stack.plan.engine import SECRET_TEXT, UNKNOWN_TEXT, Plan, PlannedResource, run_offline
from mlstack.stack.plan.manifests import (
    AUTO_NAMED_ANNOTATION,
    INDEX_FILE,
    OMITTED_ANNOTATION,
    UNKNOWN_ANNOTATION,
    ManifestError,
    kubernetes_objects,
    manifests,
    write_manifests,
)
from tests.conftest import EXAMPLES, REPO

KUBERNETES_VERSION = "1.33"
NEWEST_VERSION = kubernetes_validate.utils.latest_version()
CRD_DIRECTORY = REPO / "components" / "data" / "crds"
CHECKOV_PROJECT = REPO / "tools" / "checkov"
# The Checkov Kubernetes checks every manifest must pass (the rest are cluster or PSP checks, or
# policy choices this product does not make: CKV_K8S_15 pull policy Always, CKV_K8S_35 secrets as files...).
CHECKOV_IDS = tuple(f"CKV_K8S_{number}" for number in (*range(8, 15), *range(16, 24), *range(28, 32), 37, 38, 40, 43))
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))
# The examples the lead adds with a `kubernetes:` section; they must produce manifests.
KUBERNETES_EXAMPLES = ("recsys.yaml", "kubernetes-gnn.yaml", "mlflow-kubernetes.yaml")

NAMESPACE = "recsys-prod"
DIGEST = "sha256:" + "0123456789abcdef" * 4
GNN_IMAGE = f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/gnn-scorer:1.4.0@{DIGEST}"
DRIFT_IMAGE = f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/text-drift:0.9.0@{DIGEST}"
UID = 10001


# --- the fixture program: what the Kubernetes components are meant to emit -------------------------


def pod_security() -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": UID,
        "runAsGroup": UID,
        "fsGroup": UID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": UID,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container(
    name: str, image: str, *, cpu: str, memory: str, gpus: int = 0, probes: bool = True, env: Any = None
) -> dict[str, Any]:
    limits: dict[str, Any] = {"cpu": cpu, "memory": memory}
    if gpus:
        limits["nvidia.com/gpu"] = str(gpus)
    spec: dict[str, Any] = {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "resources": {"requests": dict(limits), "limits": limits},
        "securityContext": container_security(),
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    if probes:
        spec["ports"] = [{"name": "http", "containerPort": 8080}]
        spec["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10}
        spec["readinessProbe"] = {"httpGet": {"path": "/ready", "port": "http"}, "periodSeconds": 5}
    if env is not None:
        spec["env"] = env
    return spec


def pod_spec(*containers: dict[str, Any], restart: str | None = None, account: str = "gnn-scorer") -> dict[str, Any]:
    spec: dict[str, Any] = {
        "serviceAccountName": account,
        "automountServiceAccountToken": False,
        "securityContext": pod_security(),
        "containers": list(containers),
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}],
    }
    if restart:
        spec["restartPolicy"] = restart
    return spec


def build(resource: Any, name: str, **args: Any) -> Any:
    """A pulumi-kubernetes object from Kubernetes JSON (camelCase, as the wire carries it); its typed
    dictionaries spell fields in snake_case, so the type checker cannot relate the two."""
    return resource(name, **args)


def labels(app: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": app, "app.kubernetes.io/managed-by": "mlstack"}


def meta(name: str, app: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": NAMESPACE, "labels": labels(app or name), **extra}


def secure_platform() -> dict[str, pulumi.Output[Any]]:
    """A GNN scorer with sticky sessions, a scheduled drift job and MLflow's pieces, hardened."""
    role = aws.iam.Role("gnn-role", assume_role_policy="{}")
    build(k8s.core.v1.Namespace, "ns", metadata={"name": NAMESPACE, "labels": labels(NAMESPACE)})
    account = build(
        k8s.core.v1.ServiceAccount, "gnn-sa", metadata=meta("gnn-scorer"), automount_service_account_token=False
    )
    aws.eks.PodIdentityAssociation(
        "gnn-pod-identity",
        cluster_name="recsys-prod",
        namespace=NAMESPACE,
        service_account="gnn-scorer",
        role_arn=role.arn,
    )
    selector = {"matchLabels": {"app.kubernetes.io/name": "gnn-scorer"}}
    gnn = container("gnn-scorer", GNN_IMAGE, cpu="4", memory="16Gi", gpus=1)
    build(
        k8s.apps.v1.Deployment,
        "gnn-deployment",
        metadata=meta("gnn-scorer"),
        spec={
            "replicas": 2,
            "selector": selector,
            "template": {"metadata": {"labels": labels("gnn-scorer")}, "spec": pod_spec(gnn)},
        },
        opts=pulumi.ResourceOptions(depends_on=[account]),
    )
    build(
        k8s.core.v1.Service,
        "gnn-service",
        metadata=meta("gnn-scorer"),
        spec={
            "type": "ClusterIP",
            "selector": selector["matchLabels"],
            "ports": [{"name": "http", "port": 8080, "targetPort": "http"}],
        },
    )
    build(
        k8s.autoscaling.v2.HorizontalPodAutoscaler,
        "gnn-hpa",
        metadata=meta("gnn-scorer"),
        spec={
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "gnn-scorer"},
            "minReplicas": 2,
            "maxReplicas": 6,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                }
            ],
        },
    )
    build(
        k8s.policy.v1.PodDisruptionBudget,
        "gnn-pdb",
        metadata=meta("gnn-scorer"),
        spec={"minAvailable": 1, "selector": selector},
    )
    build(
        k8s.networking.v1.NetworkPolicy,
        "gnn-network-policy",
        metadata=meta("gnn-scorer"),
        spec={
            "podSelector": selector,
            "policyTypes": ["Ingress"],
            "ingress": [{"ports": [{"port": 8080, "protocol": "TCP"}]}],
        },
    )
    # An ARN only AWS knows: shown as a placeholder, never as if it were real.
    build(
        k8s.core.v1.ConfigMap,
        "gnn-config",
        metadata=meta("gnn-scorer-config", "gnn-scorer"),
        data={"ROLE_ARN": role.arn, "CACHE": "warm"},
    )
    build(
        k8s.core.v1.Secret,
        "mlflow-db",
        metadata=meta("mlflow-db", "mlflow"),
        type="Opaque",
        string_data={"password": pulumi.Output.secret("not-a-real-password")},
    )
    build(
        k8s.apiextensions.CustomResource,
        "gateway",
        api_version="gateway.networking.k8s.io/v1",
        kind="Gateway",
        metadata=meta("mlstack"),
        spec={
            "gatewayClassName": "eg",
            "listeners": [
                {"name": "http", "protocol": "HTTP", "port": 80, "allowedRoutes": {"namespaces": {"from": "Same"}}}
            ],
        },
    )
    build(
        k8s.apiextensions.CustomResource,
        "gnn-route",
        api_version="gateway.networking.k8s.io/v1",
        kind="HTTPRoute",
        metadata=meta("gnn-scorer"),
        spec={
            "parentRefs": [{"name": "mlstack"}],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/gnn-scorer"}}],
                    "backendRefs": [{"name": "gnn-scorer", "port": 8080}],
                }
            ],
        },
    )
    build(
        k8s.apiextensions.CustomResource,
        "gnn-affinity",
        api_version="gateway.envoyproxy.io/v1alpha1",
        kind="BackendTrafficPolicy",
        metadata=meta("gnn-scorer"),
        spec={
            "targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "gnn-scorer"}],
            "loadBalancer": {
                "type": "ConsistentHash",
                "consistentHash": {"type": "Header", "header": {"name": "x-session-id"}},
            },
        },
    )
    drift = container("drift", DRIFT_IMAGE, cpu="1", memory="2Gi", probes=False)
    build(
        k8s.batch.v1.CronJob,
        "drift-cronjob",
        metadata=meta("intent-text-drift"),
        spec={
            "schedule": "0 * * * *",
            "concurrencyPolicy": "Forbid",
            "jobTemplate": {
                "spec": {
                    "activeDeadlineSeconds": 3600,
                    "backoffLimit": 1,
                    "template": {
                        "metadata": {"labels": labels("intent-text-drift")},
                        "spec": pod_spec(drift, restart="Never", account="intent-text-drift"),
                    },
                }
            },
        },
    )
    cache = container("cache", GNN_IMAGE, cpu="500m", memory="1Gi")
    build(
        k8s.apps.v1.StatefulSet,
        "cache-statefulset",
        metadata=meta("gnn-cache"),
        spec={
            "serviceName": "gnn-cache",
            "replicas": 3,
            "selector": {"matchLabels": {"app.kubernetes.io/name": "gnn-cache"}},
            "template": {"metadata": {"labels": labels("gnn-cache")}, "spec": pod_spec(cache)},
        },
    )
    migrate = container("migrate", DRIFT_IMAGE, cpu="250m", memory="512Mi", probes=False)
    build(
        k8s.batch.v1.Job,
        "mlflow-migrate",
        metadata=meta("mlflow-migrate", "mlflow"),
        spec={
            "activeDeadlineSeconds": 600,
            "backoffLimit": 2,
            "template": {"metadata": {"labels": labels("mlflow")}, "spec": pod_spec(migrate, restart="Never")},
        },
    )
    debug = container("debug", GNN_IMAGE, cpu="250m", memory="256Mi")
    build(k8s.core.v1.Pod, "debug-pod", metadata=meta("gnn-debug"), spec=pod_spec(debug))
    return {}


@functools.cache
def fixture_plan() -> Plan:
    return run_offline(secure_platform, project="mlstack", stack="t-prod", region="eu-west-1")


# --- the validators ---------------------------------------------------------------------------------


def _strict(schema: Any) -> Any:
    """Reject unknown fields, as the API server's strict field validation does (kubectl --validate=strict);
    CRD structural schemas otherwise prune them silently."""
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: _strict(value) for key, value in schema.items()}
    if (
        "properties" in schema
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        result["additionalProperties"] = False
    return result


@functools.cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> the strict openAPIV3Schema of each served version of our CRD copies."""
    schemas: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(CRD_DIRECTORY.glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if not crd:
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                if version["served"]:
                    schemas[(f"{group}/{version['name']}", kind)] = _strict(version["schema"]["openAPIV3Schema"])
    return schemas


def crd_groups() -> set[str]:
    return {api_version.split("/")[0] for api_version, _ in crd_schemas()}


def is_custom(document: Mapping[str, Any]) -> bool:
    return str(document["apiVersion"]).split("/")[0] in crd_groups()


def crd_errors(document: Mapping[str, Any]) -> list[str]:
    schema = crd_schemas().get((document["apiVersion"], document["kind"]))
    if schema is None:
        return [f"no served CRD version for {document['apiVersion']} {document['kind']} in {CRD_DIRECTORY}"]
    # OpenAPI 3.0 schemas use draft-4 semantics (boolean exclusiveMinimum...); formats are not checked.
    validator = jsonschema.Draft4Validator(schema)
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(document)]


def builtin_errors(document: Mapping[str, Any], version: str = KUBERNETES_VERSION) -> list[str]:
    try:
        kubernetes_validate.validate(dict(document), version, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{'/'.join(map(str, error.path))}: {error.message}"]
    except kubernetes_validate.SchemaNotFoundError as error:
        return [error.message]
    return []


def validation_errors(document: Mapping[str, Any], version: str = KUBERNETES_VERSION) -> list[str]:
    return crd_errors(document) if is_custom(document) else builtin_errors(document, version)


def read_documents(paths: list[Path]) -> list[dict[str, Any]]:
    return [yaml.safe_load(path.read_text(encoding="utf-8")) for path in paths]


def example_plans() -> Iterator[tuple[str, Plan]]:
    for path in EXAMPLE_FILES:
        blueprint, _ = validate_file(path)
        for environment in blueprint.environments:
            yield f"{path.stem}-{environment}", plan_file(path, environment)[1]


@dataclasses.dataclass(frozen=True)
class Written:
    """Every manifest written for the test session: the fixture's and each example's per environment."""

    root: Path
    files: dict[str, list[Path]]


@pytest.fixture(scope="session")
def fixture_written(tmp_path_factory: pytest.TempPathFactory) -> Written:
    root = tmp_path_factory.mktemp("manifests")
    return Written(root, {"fixture": write_manifests(fixture_plan(), root / "fixture")})


@pytest.fixture(scope="session")
def written(fixture_written: Written) -> Written:
    files = dict(fixture_written.files)
    for label, plan in example_plans():
        files[label] = write_manifests(plan, fixture_written.root / label)
    return Written(fixture_written.root, files)


def checkov_command() -> list[str]:
    uv = os.environ.get("UV") or shutil.which("uv")
    base = [uv] if uv else [sys.executable, "-m", "uv"]
    return [*base, "run", "--frozen", "--project", str(CHECKOV_PROJECT), "checkov"]


def run_checkov(directory: Path, checks: tuple[str, ...] = CHECKOV_IDS) -> dict[str, Any]:
    """Checkov's Kubernetes framework over `directory`; fails the test (never skips) if it cannot run."""
    command = [
        *checkov_command(),
        "--framework",
        "kubernetes",
        "--directory",
        str(directory),
        "--check",
        ",".join(checks),
        "--output",
        "json",
        "--skip-download",
    ]
    # The project's own venv must not leak into the tool's.
    env = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")}
    env["BC_SKIP_MAPPING"] = "TRUE"
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        pytest.fail(f"Checkov could not run ({' '.join(command)}): {error}")
    if done.returncode not in (0, 1):
        pytest.fail(f"Checkov exited {done.returncode}: {done.stderr[-2000:]}")
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"Checkov printed no JSON report: {done.stdout[-1000:]} {done.stderr[-2000:]}")
    reports = report if isinstance(report, list) else [report]
    merged: dict[str, Any] = {"passed": [], "failed": [], "resources": 0}
    for part in reports:
        if part.get("check_type") != "kubernetes":
            continue
        merged["passed"] += part["results"].get("passed_checks", [])
        merged["failed"] += part["results"].get("failed_checks", [])
        merged["resources"] += part["summary"]["resource_count"]
    return merged


@pytest.fixture(scope="session")
def checkov_report(written: Written) -> dict[str, Any]:
    return run_checkov(written.root)


# --- writing -----------------------------------------------------------------------------------------


def by_kind(paths: list[Path]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(d["kind"], d["metadata"].get("name") or d["metadata"]["generateName"]): d for d in read_documents(paths)}


def test_every_kubernetes_object_is_one_file_named_by_namespace_kind_and_name(fixture_written: Written) -> None:
    paths = fixture_written.files["fixture"]
    root = fixture_written.root / "fixture"
    relative = sorted(path.relative_to(root).as_posix() for path in paths)
    assert relative == [
        "_cluster/namespace-recsys-prod.yaml",
        "recsys-prod/backendtrafficpolicy-gnn-scorer.yaml",
        "recsys-prod/configmap-gnn-scorer-config.yaml",
        "recsys-prod/cronjob-intent-text-drift.yaml",
        "recsys-prod/deployment-gnn-scorer.yaml",
        "recsys-prod/gateway-mlstack.yaml",
        "recsys-prod/horizontalpodautoscaler-gnn-scorer.yaml",
        "recsys-prod/httproute-gnn-scorer.yaml",
        "recsys-prod/job-mlflow-migrate.yaml",
        "recsys-prod/networkpolicy-gnn-scorer.yaml",
        "recsys-prod/pod-gnn-debug.yaml",
        "recsys-prod/poddisruptionbudget-gnn-scorer.yaml",
        "recsys-prod/secret-mlflow-db.yaml",
        "recsys-prod/service-gnn-scorer.yaml",
        "recsys-prod/serviceaccount-gnn-scorer.yaml",
        "recsys-prod/statefulset-gnn-cache.yaml",
    ]
    # AWS resources (the IAM role, the pod identity association) are not Kubernetes objects.
    assert len(paths) == len(kubernetes_objects(fixture_plan())) == 16
    index = (root / INDEX_FILE).read_text(encoding="utf-8").splitlines()
    assert [line for line in index if not line.startswith("#")] == relative
    deployment = by_kind(paths)[("Deployment", "gnn-scorer")]
    assert list(deployment)[:3] == ["apiVersion", "kind", "metadata"]
    assert deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert deployment["spec"]["replicas"] == 2  # an int, not the wire's float
    text = (root / "recsys-prod/deployment-gnn-scorer.yaml").read_text(encoding="utf-8")
    urn = "urn:pulumi:t-prod::mlstack::pulumi:pulumi:Stack$kubernetes:apps/v1:Deployment::gnn-deployment"
    assert text.startswith(f"# {urn}\n# Planned by mlstack, not read from a cluster.\n")


def test_unknown_values_are_placeholders_listed_in_an_annotation(fixture_written: Written) -> None:
    config = by_kind(fixture_written.files["fixture"])[("ConfigMap", "gnn-scorer-config")]
    assert config["data"] == {"CACHE": "warm", "ROLE_ARN": UNKNOWN_TEXT}
    assert config["metadata"]["annotations"] == {UNKNOWN_ANNOTATION: "/data/ROLE_ARN"}
    # Objects without unknowns carry no such annotation.
    service = by_kind(fixture_written.files["fixture"])[("Service", "gnn-scorer")]
    assert "annotations" not in service["metadata"]


def test_secrets_are_never_written(fixture_written: Written) -> None:
    secret = by_kind(fixture_written.files["fixture"])[("Secret", "mlflow-db")]
    assert "stringData" not in secret and "data" not in secret
    assert secret["type"] == "Opaque"
    assert secret["metadata"]["annotations"] == {OMITTED_ANNOTATION: "/stringData"}
    for path in fixture_written.root.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert "not-a-real-password" not in text and SECRET_TEXT not in text


def test_a_secret_value_outside_a_secret_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    def program() -> dict[str, pulumi.Output[Any]]:
        env = [{"name": "DB_PASSWORD", "value": pulumi.Output.secret("hunter2")}]
        build(
            k8s.apps.v1.Deployment,
            "leaky",
            metadata=meta("leaky"),
            spec={
                "selector": {"matchLabels": {"app": "leaky"}},
                "template": {
                    "metadata": {"labels": {"app": "leaky"}},
                    "spec": pod_spec(container("leaky", GNN_IMAGE, cpu="1", memory="1Gi", env=env)),
                },
            },
        )
        return {}

    plan = run_offline(program, project="mlstack", stack="t-prod", region="eu-west-1")
    # Pulumi marks the whole `spec` secret when any value inside it is.
    assert plan.get("kubernetes:apps/v1:Deployment", "leaky").inputs["spec"] == SECRET_TEXT
    with pytest.raises(ManifestError, match=r"/spec holds a secret; mlstack never writes secrets"):
        write_manifests(plan, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert list(tmp_path.iterdir()) == []  # no staging directory left behind


def test_auto_named_objects_say_so() -> None:
    def program() -> dict[str, pulumi.Output[Any]]:
        build(k8s.core.v1.ConfigMap, "settings", metadata={"namespace": NAMESPACE}, data={"a": "b"})
        return {}

    [manifest] = manifests(run_offline(program, project="mlstack", stack="t-prod", region="eu-west-1"))
    assert str(manifest.path) == "recsys-prod/configmap-settings.yaml"
    assert manifest.document["metadata"]["generateName"] == "settings-"
    assert "name" not in manifest.document["metadata"]
    assert AUTO_NAMED_ANNOTATION in manifest.document["metadata"]["annotations"]
    assert builtin_errors(manifest.document) == []


def test_rewriting_replaces_the_directory_and_refuses_foreign_files(tmp_path: Path) -> None:
    out = tmp_path / "k8s"
    first = write_manifests(fixture_plan(), out)
    stale = out / "recsys-prod" / "deployment-removed.yaml"
    stale.write_text("kind: Deployment\n", encoding="utf-8")
    # A file the index does not list is not ours to delete.
    with pytest.raises(ManifestError, match="did not write"):
        write_manifests(fixture_plan(), out)
    assert stale.exists()
    stale.unlink()
    (out / "recsys-prod" / "deployment-gnn-scorer.yaml").write_text("edited\n", encoding="utf-8")
    again = write_manifests(fixture_plan(), out)
    assert again == first
    assert "edited" not in (out / "recsys-prod" / "deployment-gnn-scorer.yaml").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k8s"]  # nothing staged or retired is left
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep\n", encoding="utf-8")
    with pytest.raises(ManifestError, match="not written by mlstack"):
        write_manifests(fixture_plan(), other)


def test_manifests_are_deterministic(tmp_path: Path) -> None:
    one = write_manifests(fixture_plan(), tmp_path / "one")
    two = write_manifests(
        run_offline(secure_platform, project="mlstack", stack="t-prod", region="eu-west-1"), tmp_path / "two"
    )
    assert [p.read_bytes() for p in one] == [p.read_bytes() for p in two]


# --- the real validators over everything written --------------------------------------------------


def test_the_kubernetes_examples_produce_manifests(written: Written) -> None:
    """Cannot pass vacuously: each Kubernetes example writes manifests in every environment."""
    missing = [name for name in KUBERNETES_EXAMPLES if not (EXAMPLES / name).exists()]
    assert missing == [], f"Kubernetes examples not written yet: {missing}"
    every_kind: set[str] = set()
    for name in KUBERNETES_EXAMPLES:
        blueprint, _ = validate_file(EXAMPLES / name)
        assert blueprint.kubernetes is not None, f"{name} has no kubernetes: section"
        for environment in blueprint.environments:
            files = written.files[f"{Path(name).stem}-{environment}"]
            kinds = {d["kind"] for d in read_documents(files)}
            assert {"Deployment", "Service"} <= kinds, (name, environment, kinds)
            every_kind |= kinds
    # Between them, the examples route through the Gateway API with sticky sessions and schedule jobs.
    assert {"HTTPRoute", "BackendTrafficPolicy", "CronJob"} <= every_kind


@pytest.mark.parametrize("version", [KUBERNETES_VERSION, NEWEST_VERSION])
def test_every_built_in_object_passes_kubernetes_validate_strict(written: Written, version: str) -> None:
    failures = {}
    checked = 0
    for label, paths in written.files.items():
        for path, document in zip(paths, read_documents(paths), strict=True):
            if is_custom(document):
                continue
            checked += 1
            errors = builtin_errors(document, version)
            if errors:
                failures[f"{label}/{path.name}"] = errors
    assert failures == {}
    assert checked >= 13


def test_every_custom_resource_passes_its_crd_schema(written: Written) -> None:
    failures = {}
    kinds = set()
    for label, paths in written.files.items():
        for path, document in zip(paths, read_documents(paths), strict=True):
            if not is_custom(document):
                continue
            kinds.add(document["kind"])
            errors = crd_errors(document)
            if errors:
                failures[f"{label}/{path.name}"] = errors
    assert failures == {}
    assert {"Gateway", "HTTPRoute", "BackendTrafficPolicy"} <= kinds


def test_checkov_finds_no_failure_in_any_manifest(checkov_report: dict[str, Any]) -> None:
    failed = sorted({(c["check_id"], c["resource"], c["file_path"]) for c in checkov_report["failed"]})
    # CKV_K8S_43 wants every image pinned by digest (`repo:tag@sha256:...`) in the blueprint.
    assert failed == [], "\n".join(" ".join(finding) for finding in failed)
    # It really looked: every workload of the fixture was checked by each pod-level check.
    passed = {(c["check_id"], c["resource"]) for c in checkov_report["passed"]}
    for workload in ("Deployment", "CronJob", "StatefulSet", "Job", "Pod"):
        checked = {check for check, resource in passed if resource.startswith(f"{workload}.{NAMESPACE}.")}
        assert {"CKV_K8S_16", "CKV_K8S_20", "CKV_K8S_23", "CKV_K8S_38", "CKV_K8S_40", "CKV_K8S_43"} <= checked, workload


# --- each validator can fail ------------------------------------------------------------------------


def fixture_document(kind: str, name: str) -> dict[str, Any]:
    found = [m for m in manifests(fixture_plan()) if m.kind == kind and m.document["metadata"].get("name") == name]
    return copy.deepcopy(dict(found[0].document))


def test_kubernetes_validate_rejects_an_unknown_deployment_field() -> None:
    document = fixture_document("Deployment", "gnn-scorer")
    assert builtin_errors(document) == []
    document["spec"]["template"]["spec"]["containers"][0]["gpus"] = 1
    [error] = builtin_errors(document)
    assert "Additional properties are not allowed ('gpus' was unexpected)" in error


def test_kubernetes_validate_rejects_a_wrong_type() -> None:
    document = fixture_document("Deployment", "gnn-scorer")
    document["spec"]["replicas"] = "two"
    [error] = builtin_errors(document)
    assert error.startswith("spec/replicas: 'two' is not of type 'integer'")


def test_the_crd_schema_rejects_a_bad_httproute() -> None:
    document = fixture_document("HTTPRoute", "gnn-scorer")
    assert crd_errors(document) == []
    unknown = copy.deepcopy(document)
    unknown["spec"]["rules"][0]["backendRefs"][0]["sticky"] = True
    assert any("'sticky' was unexpected" in error for error in crd_errors(unknown))
    bad_enum = copy.deepcopy(document)
    bad_enum["spec"]["rules"][0]["matches"][0]["path"]["type"] = "Prefix"
    assert any("'Prefix' is not one of" in error for error in crd_errors(bad_enum))
    bad_port = copy.deepcopy(document)
    bad_port["spec"]["rules"][0]["backendRefs"][0]["port"] = 70000
    assert any("70000 is greater than the maximum" in error for error in crd_errors(bad_port))


def test_the_crd_schema_rejects_a_bad_backend_traffic_policy_and_an_unserved_version() -> None:
    document = fixture_document("BackendTrafficPolicy", "gnn-scorer")
    assert crd_errors(document) == []
    document["spec"]["loadBalancer"]["consistentHash"]["type"] = "Session"
    assert any("'Session' is not one of" in error for error in crd_errors(document))
    route = fixture_document("HTTPRoute", "gnn-scorer")
    route["apiVersion"] = "gateway.networking.k8s.io/v1alpha1"
    assert crd_errors(route) == [
        f"no served CRD version for gateway.networking.k8s.io/v1alpha1 HTTPRoute in {CRD_DIRECTORY}"
    ]


def test_checkov_reports_a_privileged_container(tmp_path: Path) -> None:
    document = fixture_document("Deployment", "gnn-scorer")
    security = document["spec"]["template"]["spec"]["containers"][0]["securityContext"]
    security.update({"privileged": True, "allowPrivilegeEscalation": True})
    del document["spec"]["template"]["spec"]["automountServiceAccountToken"]
    document["spec"]["template"]["spec"]["containers"][0]["image"] = "gnn-scorer:latest"
    (tmp_path / "deployment.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    report = run_checkov(tmp_path)
    failed = {c["check_id"] for c in report["failed"]}
    assert {"CKV_K8S_14", "CKV_K8S_16", "CKV_K8S_20", "CKV_K8S_38", "CKV_K8S_43"} <= failed


# --- the CLI ----------------------------------------------------------------------------------------


def test_plan_manifests_option_writes_and_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlstack.stack.plan

    path = EXAMPLES / "fraud-minimal.yaml"
    resolved = load_for_environment(path, "prod")
    monkeypatch.setattr(mlstack.stack.plan, "plan_file", lambda _file, _env: (resolved, fixture_plan()))
    out = tmp_path / "k8s"
    result = CliRunner().invoke(app, ["plan", str(path), "--env", "prod", "--json", "--manifests", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote 16 Kubernetes manifests to {out}" in result.stderr
    assert json.loads(result.stdout)["steps"]  # the JSON on stdout stays clean
    assert len(list(out.rglob("*.yaml"))) == 16


def test_plan_manifests_of_a_plan_without_kubernetes_objects(tmp_path: Path) -> None:
    out = tmp_path / "k8s"
    result = CliRunner().invoke(
        app, ["plan", str(EXAMPLES / "fraud-minimal.yaml"), "--env", "dev", "--manifests", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "wrote 0 Kubernetes manifests" in result.stderr and "no Kubernetes objects" in result.stderr
    assert [p.name for p in out.iterdir()] == [INDEX_FILE]


@pytest.mark.parametrize("where", ["a-file", "a-file/below"])
def test_plan_manifests_to_an_unwritable_directory_exits_2(tmp_path: Path, where: str) -> None:
    (tmp_path / "a-file").write_text("not a directory\n", encoding="utf-8")
    out = tmp_path / where
    result = CliRunner().invoke(
        app, ["plan", str(EXAMPLES / "fraud-minimal.yaml"), "--env", "dev", "--manifests", str(out)]
    )
    assert result.exit_code == 2, result.output
    assert f"mlstack: cannot write manifests to {out}: Not a directory" in result.stderr
    assert "Traceback" not in result.output
    assert (tmp_path / "a-file").read_text(encoding="utf-8") == "not a directory\n"


def test_plan_manifests_refused_exits_2_with_the_reason(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["plan", str(EXAMPLES / "fraud-minimal.yaml"), "--env", "dev", "--manifests", str(out)]
    )
    assert result.exit_code == 2, result.output
    assert "was not written by mlstack" in result.stderr
    assert (out / "notes.txt").exists()


def test_planned_resources_are_untouched_by_writing() -> None:
    plan = fixture_plan()
    before = [dict(r.inputs) for r in plan.resources]
    manifests(plan)
    assert [dict(r.inputs) for r in plan.resources] == before
    secret: PlannedResource = plan.get("kubernetes:core/v1:Secret", "mlflow-db")
    assert secret.inputs["stringData"] == SECRET_TEXT
