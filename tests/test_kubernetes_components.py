"""The Kubernetes components as the offline engine captures them: inputs by (type, name), and what must be absent."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import kubernetes_validate  # type: ignore[import-untyped]
import pulumi
import pulumi_aws as aws
import pytest
import yaml

from mlstack.components.kubernetes.cron import max_interval_seconds, missing_run_alarm_window, parse
from mlstack.components.kubernetes.drift import DriftJob, DriftJobArgs
from mlstack.components.kubernetes.labels import split_tags
from mlstack.components.kubernetes.mlflow import MLFLOW_IMAGE, MlflowOnKubernetes, MlflowOnKubernetesArgs
from mlstack.components.kubernetes.routing import NamespaceArgs, PlatformNamespace
from mlstack.components.kubernetes.service import GatewayRefArgs, InferenceService, InferenceServiceArgs, PodIamArgs
from mlstack.stack.plan.engine import FAKE_ACCOUNT_ID, SECRET_TEXT, UNKNOWN_TEXT, Plan, PlannedResource, run_offline

# The Gateway API and Envoy Gateway CRDs, kept in the repository with their sources.
CRDS = Path(__file__).resolve().parents[1] / "components" / "data" / "crds"
REGION = "eu-west-1"
KEY_ARN = f"arn:aws:kms:{REGION}:{FAKE_ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{FAKE_ACCOUNT_ID}:recsys-prod-on-call"
BUCKET = f"recsys-prod-{FAKE_ACCOUNT_ID}-{REGION}"
TAGS = {"team": "personalization", "owner": "ml-platform@example.com", "cost_center": "CC-4312"}
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/gnn-scorer:1.4.0@sha256:" + "0" * 64

GPU = "recsys-prod-gnn-scorer"
CPU = "recsys-prod-feature-api"
DRIFT = "recsys-prod-intent-text-drift"
MLFLOW = "recsys-prod-mlflow"
NAMESPACE = "recsys-prod-namespace"

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
SECRET = "kubernetes:core/v1:Secret"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
CRON_JOB = "kubernetes:batch/v1:CronJob"
HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
STICKY = "kubernetes:gateway.envoyproxy.io/v1alpha1:BackendTrafficPolicy"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
BUCKET_METRIC = "aws:s3/bucketMetric:BucketMetric"
RDS = "aws:rds/instance:Instance"


def iam(role_name: str, **changes: Any) -> PodIamArgs:
    values: dict[str, Any] = {
        "cluster_name": "recsys-prod",
        "role_name": role_name,
        "partition": "aws",
        "account_id": FAKE_ACCOUNT_ID,
        "region": REGION,
        "read_prefixes": [],
        "kms_key_arn": KEY_ARN,
    }
    values.update(changes)
    return PodIamArgs(**values)


def gpu_service(**changes: Any) -> InferenceServiceArgs:
    values: dict[str, Any] = {
        "name": "gnn-scorer",
        "namespace": "recsys",
        "image": IMAGE,
        "gpus": 1,
        "replicas_min": 2,
        "replicas_max": 6,
        "target_gpu_utilization": 60,
        "model_data": "s3://recsys-artifacts/gnn/v3/model.tar.gz",
        "session_header": "x-session-id",
        "gateway": GatewayRefArgs(name="recsys-gateway", namespace="gateways"),
        "iam": iam("recsys-prod-euw1-gnn-scorer"),
        "tags": TAGS,
    }
    values.update(changes)
    return InferenceServiceArgs(**values)


def cpu_service(**changes: Any) -> InferenceServiceArgs:
    values: dict[str, Any] = {"name": "feature-api", "namespace": "recsys", "image": IMAGE, "tags": TAGS}
    values.update(changes)
    return InferenceServiceArgs(**values)


def drift_job(**changes: Any) -> DriftJobArgs:
    values: dict[str, Any] = {
        "name": "intent-text-drift",
        "namespace": "recsys",
        "image": IMAGE,
        "source": "s3://recsys-artifacts/requests/intent-classifier/",
        "report_uri": pulumi.Output.from_input(f"s3://{BUCKET}/drift/intent-text-drift/"),
        "schedule": "0 * * * *",
        "iam": iam("recsys-prod-euw1-intent-text-drift"),
        "alarm_topic_arn": TOPIC_ARN,
        "command": ["python", "-m", "drift"],
        "tags": TAGS,
    }
    values.update(changes)
    return DriftJobArgs(**values)


def mlflow(**changes: Any) -> MlflowOnKubernetesArgs:
    values: dict[str, Any] = {
        "name": "mlflow",
        "namespace": "recsys",
        "image": MLFLOW_IMAGE,
        "artifact_uri": f"s3://{BUCKET}/mlflow/",
        "database": "rds-postgres",
        "iam": iam("recsys-prod-euw1-mlflow-eks"),
        "subnet_ids": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
        "vpc_id": "vpc-0a1b2c3d4e5f60718",
        "client_security_group_ids": ["sg-0a1b2c3d4e5f60003"],
        "kms_key_arn": KEY_ARN,
        "db_identifier": "recsys-prod-mlflow",
        "db_subnet_group_name": "recsys-prod-mlflow",
        "tags": TAGS,
    }
    values.update(changes)
    return MlflowOnKubernetesArgs(**values)


def plan_of(program: Callable[[], Mapping[str, pulumi.Output[Any]]]) -> Plan:
    return run_offline(program, project="mlstack", stack="t-prod", region=REGION)


@pytest.fixture(scope="module")
def plan() -> Plan:
    """Every component once, as one stack would hold them."""

    def program() -> dict[str, pulumi.Output[Any]]:
        PlatformNamespace(NAMESPACE, NamespaceArgs(name="recsys", tags=TAGS))
        gpu = InferenceService(GPU, gpu_service())
        cpu = InferenceService(CPU, cpu_service())
        drift = DriftJob(DRIFT, drift_job())
        tracking = MlflowOnKubernetes(MLFLOW, mlflow())
        assert drift.alarm_arn is not None
        return {
            "gpu_url": gpu.service_url,
            "cpu_url": cpu.service_url,
            "drift": drift.cron_job_name,
            "alarm": drift.alarm_arn,
            "tracking": tracking.tracking_uri,
        }

    return plan_of(program)


def kubernetes_objects(plan: Plan) -> list[PlannedResource]:
    return [r for r in plan.resources if r.type.startswith("kubernetes:")]


def pod_specs(plan: Plan) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for resource in plan.by_type(DEPLOYMENT):
        yield resource.name, resource.inputs["spec"]["template"]["spec"]
    for resource in plan.by_type(CRON_JOB):
        yield resource.name, resource.inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def document(plan: Plan, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(plan.get(ROLE_POLICY, name).inputs["policy"])
    return loaded


def statements(plan: Plan, name: str) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in document(plan, name)["Statement"]}


def walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, Mapping):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


# --- structure and metadata -----------------------------------------------------------------------


def test_each_component_owns_its_resources_under_stable_names(plan: Plan) -> None:
    for name, token in (
        (GPU, "mlstack:kubernetes:InferenceService"),
        (CPU, "mlstack:kubernetes:InferenceService"),
        (DRIFT, "mlstack:kubernetes:DriftJob"),
        (MLFLOW, "mlstack:kubernetes:MlflowOnKubernetes"),
        (NAMESPACE, "mlstack:kubernetes:PlatformNamespace"),
    ):
        [component] = [r for r in plan.by_type(token) if r.name == name]
        children = plan.children(component.urn)
        assert children
        assert all(child.name.startswith(f"{name}-") for child in children)
    assert sorted(r.name for r in plan.children(plan.get("mlstack:kubernetes:InferenceService", GPU).urn)) == sorted(
        f"{GPU}-{suffix}"
        for suffix in (
            "role",
            "role-policy",
            "pod-identity",
            "service-account",
            "deployment",
            "service",
            "autoscaler",
            "disruption-budget",
            "network-policy",
            "route",
            "sticky",
        )
    )


def test_outputs_are_cluster_urls(plan: Plan) -> None:
    assert plan.outputs == {
        "gpu_url": "http://gnn-scorer.recsys.svc.cluster.local:8080",
        "cpu_url": "http://feature-api.recsys.svc.cluster.local:8080",
        "drift": "intent-text-drift",
        "alarm": UNKNOWN_TEXT,
        "tracking": "http://mlflow.recsys.svc.cluster.local:5000",
    }


def test_every_object_is_named_namespaced_and_labelled_explicitly(plan: Plan) -> None:
    objects = kubernetes_objects(plan)
    assert len(objects) > 20
    for resource in objects:
        metadata = resource.inputs["metadata"]
        assert metadata["name"], resource.name
        assert "generateName" not in metadata
        if resource.inputs["kind"] != "Namespace":
            assert metadata["namespace"] in ("recsys", "gateways"), resource.name
        labels = metadata["labels"]
        assert labels["app.kubernetes.io/part-of"] == "mlstack", resource.name
        assert labels["app.kubernetes.io/managed-by"] == "mlstack", resource.name
        assert labels["app.kubernetes.io/name"], resource.name


def test_platform_tags_are_labels_only_where_valid_and_annotations_otherwise(plan: Plan) -> None:
    metadata = plan.get(DEPLOYMENT, f"{GPU}-deployment").inputs["metadata"]
    assert metadata["labels"]["team"] == "personalization"
    assert metadata["labels"]["cost_center"] == "CC-4312"
    assert "owner" not in metadata["labels"]
    assert metadata["annotations"] == {"owner": "ml-platform@example.com"}
    assert split_tags({"cost center": "x"}) == ({}, {"mlstack.io/tag-cost-center": "x"})
    # AWS resources get the tags as they are.
    assert plan.get(ROLE, f"{GPU}-role").inputs["tags"] == TAGS


def test_kubernetes_objects_validate_against_their_schemas(plan: Plan) -> None:
    """Built-in kinds against Kubernetes' OpenAPI (strict, oldest and newest EKS-relevant), custom
    resources against the CRDs in components/data/crds. A Secret's data is hidden in the plan."""
    schemas: dict[tuple[str, str], Any] = {}
    for path in CRDS.glob("*.yaml"):
        crd = yaml.safe_load(path.read_text(encoding="utf-8"))
        for version in crd["spec"]["versions"]:
            key = (f"{crd['spec']['group']}/{version['name']}", crd["spec"]["names"]["kind"])
            schemas[key] = version["schema"]["openAPIV3Schema"]
    checked = set()
    for resource in kubernetes_objects(plan):
        manifest = json.loads(json.dumps(resource.inputs))
        if manifest["kind"] == "Secret":
            assert manifest.pop("stringData") == SECRET_TEXT
        key = (manifest["apiVersion"], manifest["kind"])
        if manifest["apiVersion"].startswith("gateway."):
            assert key in schemas, f"no CRD schema for {key} in {CRDS}"
            jsonschema.validate(manifest, schemas[key])
        else:
            for version in ("1.30.0", "1.37.0"):
                kubernetes_validate.validate(manifest, version, strict=True)
        checked.add(manifest["kind"])
    assert checked >= {
        "Deployment",
        "Service",
        "ServiceAccount",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "CronJob",
        "Secret",
        "Namespace",
        "HTTPRoute",
        "BackendTrafficPolicy",
    }


# --- pod security ---------------------------------------------------------------------------------


def test_every_pod_is_restricted(plan: Plan) -> None:
    specs = dict(pod_specs(plan))
    assert set(specs) == {f"{GPU}-deployment", f"{CPU}-deployment", f"{MLFLOW}-deployment", f"{DRIFT}-cron-job"}
    for name, spec in specs.items():
        assert spec["automountServiceAccountToken"] is False, name
        for host in ("hostNetwork", "hostPID", "hostIPC"):
            assert not spec.get(host), name
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True
        assert pod["runAsUser"] == 10001
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
        mounted = {volume["name"] for volume in spec["volumes"]}
        assert all("emptyDir" in volume for volume in spec["volumes"])
        for container in [*spec["containers"], *spec.get("initContainers", [])]:
            context = container["securityContext"]
            assert context["privileged"] is False
            assert context["allowPrivilegeEscalation"] is False
            assert context["readOnlyRootFilesystem"] is True
            assert context["runAsNonRoot"] is True
            assert context["runAsUser"] > 10000
            assert context["capabilities"] == {"drop": ["ALL"]}
            assert context["seccompProfile"] == {"type": "RuntimeDefault"}
            assert container["imagePullPolicy"] == "Always"
            assert container["resources"]["requests"] == container["resources"]["limits"]
            assert {"cpu", "memory"} <= set(container["resources"]["limits"])
            assert {"/tmp"} <= {m["mountPath"] for m in container["volumeMounts"]}
            assert {m["name"] for m in container["volumeMounts"]} <= mounted


def test_serving_pods_have_probes_and_drain_before_stopping(plan: Plan) -> None:
    for name in (f"{GPU}-deployment", f"{CPU}-deployment", f"{MLFLOW}-deployment"):
        [container] = plan.get(DEPLOYMENT, name).inputs["spec"]["template"]["spec"]["containers"]
        assert container["livenessProbe"]["httpGet"]["port"] == container["ports"][0]["containerPort"]
        assert container["readinessProbe"]["httpGet"]["path"]
        assert container["startupProbe"]["failureThreshold"] >= 30
    spec = plan.get(DEPLOYMENT, f"{GPU}-deployment").inputs["spec"]
    [container] = spec["template"]["spec"]["containers"]
    assert container["lifecycle"] == {"preStop": {"sleep": {"seconds": 15}}}
    assert spec["template"]["spec"]["terminationGracePeriodSeconds"] == 60
    assert spec["minReadySeconds"] == 10
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    # The HPA owns the replica count.
    assert "replicas" not in spec


def test_gpu_limits_selector_and_toleration_only_on_gpu_pods(plan: Plan) -> None:
    gpu = plan.get(DEPLOYMENT, f"{GPU}-deployment").inputs["spec"]["template"]["spec"]
    [container] = gpu["containers"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert container["resources"]["requests"]["nvidia.com/gpu"] == "1"
    assert gpu["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert gpu["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    for name in (f"{CPU}-deployment", f"{MLFLOW}-deployment"):
        spec = plan.get(DEPLOYMENT, name).inputs["spec"]["template"]["spec"]
        assert "nvidia.com/gpu" not in json.dumps(spec), name
        assert "tolerations" not in spec and "nodeSelector" not in spec, name


def test_a_node_selector_replaces_the_gpu_default() -> None:
    selected = plan_of(
        lambda: {
            "url": InferenceService(
                GPU, gpu_service(node_selector={"karpenter.k8s.aws/instance-gpu-name": "a10g"})
            ).service_url
        }
    )
    spec = selected.get(DEPLOYMENT, f"{GPU}-deployment").inputs["spec"]["template"]["spec"]
    assert spec["nodeSelector"] == {"karpenter.k8s.aws/instance-gpu-name": "a10g"}
    assert spec["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]


def test_model_artifacts_are_handed_to_the_server(plan: Plan) -> None:
    [container] = plan.get(DEPLOYMENT, f"{GPU}-deployment").inputs["spec"]["template"]["spec"]["containers"]
    assert {e["name"]: e["value"] for e in container["env"]} == {
        "MODEL_CACHE_DIR": "/opt/ml/model",
        "MODEL_DATA_URI": "s3://recsys-artifacts/gnn/v3/model.tar.gz",
    }
    assert {"name": "model-cache", "mountPath": "/opt/ml/model"} in container["volumeMounts"]


# --- routing --------------------------------------------------------------------------------------


def test_sticky_routing_hashes_on_the_session_header(plan: Plan) -> None:
    route = plan.get(HTTP_ROUTE, f"{GPU}-route").inputs
    assert route["metadata"]["name"] == "gnn-scorer"
    assert route["metadata"]["namespace"] == "recsys"
    assert route["spec"]["parentRefs"] == [
        {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "recsys-gateway", "namespace": "gateways"}
    ]
    [rule] = route["spec"]["rules"]
    assert rule["backendRefs"] == [{"group": "", "kind": "Service", "name": "gnn-scorer", "port": 8080, "weight": 1}]
    policy = plan.get(STICKY, f"{GPU}-sticky").inputs
    assert policy["metadata"]["namespace"] == "recsys"
    assert policy["spec"]["targetRefs"] == [
        {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "gnn-scorer"}
    ]
    balancer = policy["spec"]["loadBalancer"]
    assert balancer["type"] == "ConsistentHash"
    assert balancer["consistentHash"]["type"] == "Header"
    assert balancer["consistentHash"]["header"] == {"name": "x-session-id"}
    # The team's Gateway is attached to, not created.
    assert plan.by_type(GATEWAY) == []


def test_no_route_or_policy_without_a_gateway(plan: Plan) -> None:
    names = {r.name for r in plan.resources}
    assert not {f"{CPU}-route", f"{CPU}-sticky", f"{CPU}-gateway"} & names


def test_a_created_gateway_admits_only_the_services_namespace() -> None:
    created = plan_of(
        lambda: {
            "url": InferenceService(
                GPU, gpu_service(gateway=GatewayRefArgs(name="recsys-gateway", namespace="recsys", create=True))
            ).service_url
        }
    )
    gateway = created.get(GATEWAY, f"{GPU}-gateway").inputs
    assert gateway["metadata"]["name"] == "recsys-gateway"
    [listener] = gateway["spec"]["listeners"]
    assert listener["allowedRoutes"]["namespaces"] == {"from": "Same"}
    assert listener["port"] == 80 and listener["protocol"] == "HTTP"
    assert gateway["spec"]["gatewayClassName"] == "eg"
    # The route waits for the Gateway it attaches to.
    assert any(dep.endswith(f"::{GPU}-gateway") for dep in created.get(HTTP_ROUTE, f"{GPU}-route").dependencies)


# --- network policies -----------------------------------------------------------------------------


def test_namespace_enforces_restricted_and_denies_by_default(plan: Plan) -> None:
    namespace = plan.get("kubernetes:core/v1:Namespace", f"{NAMESPACE}-namespace").inputs["metadata"]
    assert namespace["name"] == "recsys"
    assert namespace["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    deny = plan.get(NETWORK_POLICY, f"{NAMESPACE}-default-deny").inputs
    assert deny["metadata"]["namespace"] == "recsys"
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_service_admits_only_the_gateway_proxies_and_its_namespace(plan: Plan) -> None:
    spec = plan.get(NETWORK_POLICY, f"{GPU}-network-policy").inputs["spec"]
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    assert spec["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "gnn-scorer"
    [ingress] = spec["ingress"]
    assert ingress["ports"] == [{"protocol": "TCP", "port": 8080}]
    proxies, own = ingress["from"]
    assert proxies["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "envoy-gateway-system"}}
    assert proxies["podSelector"]["matchLabels"]["gateway.envoyproxy.io/owning-gateway-name"] == "recsys-gateway"
    assert proxies["podSelector"]["matchLabels"]["gateway.envoyproxy.io/owning-gateway-namespace"] == "gateways"
    assert own == {"podSelector": {}}
    egress_ports = sorted((p["protocol"], p["port"]) for rule in spec["egress"] for p in rule["ports"])
    assert egress_ports == [("TCP", 53), ("TCP", 80), ("TCP", 443), ("UDP", 53)]
    [agent] = [rule for rule in spec["egress"] if rule["ports"] == [{"protocol": "TCP", "port": 80}]]
    assert agent["to"] == [{"ipBlock": {"cidr": "169.254.170.23/32"}}]
    [https] = [rule for rule in spec["egress"] if rule["ports"] == [{"protocol": "TCP", "port": 443}]]
    assert https["to"] == [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}}]


def test_drift_job_accepts_no_ingress_and_has_no_agent_path_without_pod_identity(plan: Plan) -> None:
    spec = plan.get(NETWORK_POLICY, f"{DRIFT}-network-policy").inputs["spec"]
    assert "ingress" not in spec and "Ingress" in spec["policyTypes"]
    cpu = plan.get(NETWORK_POLICY, f"{CPU}-network-policy").inputs["spec"]
    assert "169.254.170.23/32" not in json.dumps(cpu)


# --- scaling --------------------------------------------------------------------------------------


def test_autoscaler_tracks_cpu_and_gpu(plan: Plan) -> None:
    spec = plan.get(HPA, f"{GPU}-autoscaler").inputs["spec"]
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "gnn-scorer"}
    assert (spec["minReplicas"], spec["maxReplicas"]) == (2, 6)
    cpu, gpu = spec["metrics"]
    assert cpu["resource"] == {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}
    assert gpu["pods"] == {
        "metric": {"name": "DCGM_FI_DEV_GPU_UTIL"},
        "target": {"type": "AverageValue", "averageValue": "60"},
    }
    only_cpu = plan.get(HPA, f"{CPU}-autoscaler").inputs["spec"]["metrics"]
    assert [metric["type"] for metric in only_cpu] == ["Resource"]


def test_disruption_budget_lets_drains_take_one_pod_at_a_time(plan: Plan) -> None:
    spec = plan.get(PDB, f"{GPU}-disruption-budget").inputs["spec"]
    assert spec["maxUnavailable"] == 1
    assert "minAvailable" not in spec
    assert spec["selector"]["matchLabels"]["app.kubernetes.io/name"] == "gnn-scorer"


# --- IAM ------------------------------------------------------------------------------------------


def test_pod_identity_role_trusts_exactly_its_service_account(plan: Plan) -> None:
    trust = json.loads(plan.get(ROLE, f"{GPU}-role").inputs["assumeRolePolicy"])
    [statement] = trust["Statement"]
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert statement["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    assert statement["Condition"] == {
        "StringEquals": {
            "aws:RequestTag/eks-cluster-name": "recsys-prod",
            "aws:RequestTag/kubernetes-namespace": "recsys",
            "aws:RequestTag/kubernetes-service-account": "gnn-scorer",
        }
    }
    association = plan.get(ASSOCIATION, f"{GPU}-pod-identity").inputs
    assert {k: association[k] for k in ("clusterName", "namespace", "serviceAccount")} == {
        "clusterName": "recsys-prod",
        "namespace": "recsys",
        "serviceAccount": "gnn-scorer",
    }
    assert "disableSessionTags" not in association
    assert plan.get(ROLE, f"{GPU}-role").inputs["name"] == "recsys-prod-euw1-gnn-scorer"


def test_service_role_reads_exactly_its_model(plan: Plan) -> None:
    found = statements(plan, f"{GPU}-role-policy")
    assert set(found) == {"S3Read", "S3ReadList0", "PlatformKeyViaServices"}
    assert found["S3Read"]["Resource"] == ["arn:aws:s3:::recsys-artifacts/gnn/v3/model.tar.gz"]
    assert found["S3ReadList0"]["Condition"] == {"StringLike": {"s3:prefix": ["gnn/v3/*"]}}
    assert found["PlatformKeyViaServices"]["Action"] == ["kms:Decrypt"]
    assert found["PlatformKeyViaServices"]["Condition"] == {
        "StringEquals": {"kms:ViaService": ["s3.eu-west-1.amazonaws.com"]}
    }


def test_a_key_alias_keeps_the_policy_known_before_the_key_exists() -> None:
    def program(alias: str | None) -> dict[str, pulumi.Output[Any]]:
        key = aws.kms.Key("recsys-prod-key")
        role = iam("recsys-prod-euw1-gnn-scorer", kms_key_arn=key.arn, kms_key_alias=alias)
        return {"url": InferenceService(GPU, gpu_service(iam=role)).service_url}

    by_arn = plan_of(lambda: program(None))
    assert by_arn.get(ROLE_POLICY, f"{GPU}-role-policy").inputs["policy"] == UNKNOWN_TEXT
    by_alias = plan_of(lambda: program("alias/mlstack/recsys-prod"))
    key = statements(by_alias, f"{GPU}-role-policy")["PlatformKeyViaServices"]
    assert key["Resource"] == [f"arn:aws:kms:eu-west-1:{FAKE_ACCOUNT_ID}:key/*"]
    assert key["Condition"] == {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/mlstack/recsys-prod"},
        "StringEquals": {"kms:ViaService": ["s3.eu-west-1.amazonaws.com"]},
    }


def test_no_role_grants_wildcards(plan: Plan) -> None:
    policies = plan.by_type(ROLE_POLICY)
    assert len(policies) == 3
    for resource in policies:
        for statement in json.loads(resource.inputs["policy"])["Statement"]:
            assert statement["Effect"] == "Allow"
            assert not any(a == "*" or a.endswith(":*") for a in statement["Action"]), statement
            assert "*" not in statement["Resource"], statement


def test_service_without_iam_has_no_role(plan: Plan) -> None:
    names = {r.name for r in plan.resources}
    assert not {f"{CPU}-role", f"{CPU}-role-policy", f"{CPU}-pod-identity"} & names
    account = plan.get(SERVICE_ACCOUNT, f"{CPU}-service-account").inputs
    assert account["automountServiceAccountToken"] is False
    assert "eks.amazonaws.com/role-arn" not in account["metadata"].get("annotations", {})


def test_irsa_annotates_the_service_account_instead_of_an_association() -> None:
    provider = (
        f"arn:aws:iam::{FAKE_ACCOUNT_ID}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B7"
    )
    irsa = plan_of(
        lambda: {
            "url": InferenceService(
                GPU, gpu_service(iam=iam("recsys-prod-euw1-gnn-scorer", mode="irsa", oidc_provider_arn=provider))
            ).service_url
        }
    )
    assert irsa.by_type(ASSOCIATION) == []
    account = irsa.get(SERVICE_ACCOUNT, f"{GPU}-service-account").inputs
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == (
        f"arn:aws:iam::{FAKE_ACCOUNT_ID}:role/recsys-prod-euw1-gnn-scorer"
    )
    [statement] = json.loads(irsa.get(ROLE, f"{GPU}-role").inputs["assumeRolePolicy"])["Statement"]
    issuer = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B7"
    assert statement["Principal"] == {"Federated": provider}
    assert statement["Condition"] == {
        "StringEquals": {
            f"{issuer}:aud": "sts.amazonaws.com",
            f"{issuer}:sub": "system:serviceaccount:recsys:gnn-scorer",
        }
    }
    spec = irsa.get(NETWORK_POLICY, f"{GPU}-network-policy").inputs["spec"]
    assert "169.254.170.23/32" not in json.dumps(spec)


def test_invalid_service_args_are_reported_together() -> None:
    with pytest.raises(ValueError, match="recsys-prod-bad") as raised:
        InferenceService(
            "recsys-prod-bad",
            cpu_service(name="Bad_Name", namespace="default", replicas_min=3, replicas_max=2, session_header="x-s"),
        )
    message = str(raised.value)
    assert "name 'Bad_Name'" in message
    assert "namespace 'default'" in message
    assert "replicas_max 2 is below replicas_min 3" in message
    assert "session_header needs a gateway" in message
    with pytest.raises(ValueError, match="target_gpu_utilization needs gpus > 0"):
        InferenceService("recsys-prod-bad", cpu_service(target_gpu_utilization=50))


# --- drift job ------------------------------------------------------------------------------------


def test_cron_job_never_overlaps_and_bounds_each_run(plan: Plan) -> None:
    cron = plan.get(CRON_JOB, f"{DRIFT}-cron-job").inputs
    assert cron["metadata"]["name"] == "intent-text-drift"
    spec = cron["spec"]
    assert spec["schedule"] == "0 * * * *"
    assert spec["timeZone"] == "Etc/UTC"
    assert spec["concurrencyPolicy"] == "Forbid"
    assert (spec["successfulJobsHistoryLimit"], spec["failedJobsHistoryLimit"]) == (3, 5)
    job = spec["jobTemplate"]["spec"]
    assert job["backoffLimit"] == 2
    assert job["activeDeadlineSeconds"] == 3600
    pod = job["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["serviceAccountName"] == "intent-text-drift"
    assert job["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == "drift"


def test_drift_container_wraps_the_entrypoint_to_report_failures(plan: Plan) -> None:
    [container] = plan.get(CRON_JOB, f"{DRIFT}-cron-job").inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"][
        "containers"
    ]
    assert container["command"][:2] == ["/bin/sh", "-c"]
    assert "aws sns publish" in container["command"][2]
    assert container["args"] == ["python", "-m", "drift"]
    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}
    assert env["ALARM_TOPIC_ARN"] == TOPIC_ARN
    assert env["DRIFT_SOURCE_URI"] == "s3://recsys-artifacts/requests/intent-classifier/"
    assert env["DRIFT_REPORT_URI"] == f"s3://{BUCKET}/drift/intent-text-drift/"
    assert env["POD_NAME"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    # A run-to-completion container has no probes to fail.
    assert "livenessProbe" not in container and "readinessProbe" not in container


def test_drift_role_reads_its_source_writes_its_report_and_publishes_to_on_call(plan: Plan) -> None:
    found = statements(plan, f"{DRIFT}-role-policy")
    assert found["S3Read"]["Resource"] == ["arn:aws:s3:::recsys-artifacts/requests/intent-classifier/*"]
    assert found["S3Write"] == {
        "Sid": "S3Write",
        "Effect": "Allow",
        "Action": ["s3:AbortMultipartUpload", "s3:PutObject"],
        "Resource": [f"arn:aws:s3:::{BUCKET}/drift/intent-text-drift/*"],
    }
    assert found["OnCallPublish"]["Resource"] == [TOPIC_ARN]
    assert found["OnCallPublish"]["Action"] == ["sns:Publish"]
    assert found["PlatformKeyViaServices"]["Condition"]["StringEquals"]["kms:ViaService"] == [
        "s3.eu-west-1.amazonaws.com",
        "sns.eu-west-1.amazonaws.com",
    ]
    assert "S3Delete" not in found


def test_missing_reports_alarm_on_call(plan: Plan) -> None:
    metric = plan.get(BUCKET_METRIC, f"{DRIFT}-report-metrics").inputs
    assert metric == {
        "bucket": BUCKET,
        "name": "drift-intent-text-drift",
        "filter": {"prefix": "drift/intent-text-drift/"},
    }
    alarm = plan.get(ALARM, f"{DRIFT}-report-missing").inputs
    assert alarm["namespace"] == "AWS/S3"
    assert alarm["metricName"] == "PutRequests"
    assert alarm["dimensions"] == {"BucketName": BUCKET, "FilterId": "drift-intent-text-drift"}
    assert alarm["treatMissingData"] == "breaching"
    assert alarm["comparisonOperator"] == "LessThanThreshold" and alarm["threshold"] == 1
    assert alarm["alarmActions"] == [TOPIC_ARN] and alarm["okActions"] == [TOPIC_ARN]
    assert alarm["evaluationPeriods"] == alarm["datapointsToAlarm"]
    # An hour between runs, an hour of deadline, 15 minutes' grace: 135 minutes of silence.
    assert alarm["period"] * alarm["evaluationPeriods"] == 135 * 60


def test_drift_job_without_a_topic_has_no_alarm_publish_or_wrapper() -> None:
    quiet = plan_of(lambda: {"name": DriftJob(DRIFT, drift_job(alarm_topic_arn=None, command=())).cron_job_name})
    assert quiet.by_type(ALARM) == [] and quiet.by_type(BUCKET_METRIC) == []
    assert "OnCallPublish" not in statements(quiet, f"{DRIFT}-role-policy")
    [container] = quiet.get(CRON_JOB, f"{DRIFT}-cron-job").inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"][
        "containers"
    ]
    assert "command" not in container and "args" not in container
    assert "ALARM_TOPIC_ARN" not in {e["name"] for e in container["env"]}


def test_invalid_drift_args_are_reported_together() -> None:
    with pytest.raises(ValueError) as raised:
        DriftJob(DRIFT, drift_job(schedule="0 0 * *", source="recsys-artifacts/requests/", backoff_limit=-1))
    message = str(raised.value)
    assert "schedule '0 0 * *'" in message
    assert "source 'recsys-artifacts/requests/'" in message
    assert "backoff_limit -1" in message
    with pytest.raises(ValueError, match="7 days"):
        DriftJob(DRIFT, drift_job(schedule="@monthly"))


@pytest.mark.parametrize(
    ("schedule", "hours"),
    [("0 * * * *", 1), ("*/15 * * * *", 0.25), ("0 3 * * 1-5", 72), ("@weekly", 168), ("0 9,17 * * *", 16)],
)
def test_longest_gap_between_runs(schedule: str, hours: float) -> None:
    assert max_interval_seconds(schedule) == hours * 3600


def test_alarm_window_fits_cloudwatch_limits() -> None:
    assert missing_run_alarm_window("0 * * * *", 3600) == (300, 27)
    period, periods = missing_run_alarm_window("0 3 * * 1-5", 3600)
    assert period == 3600 and period * periods <= 7 * 86400
    with pytest.raises(ValueError, match="never runs"):
        parse("0 0 30 2 *")
    with pytest.raises(ValueError, match="time zone"):
        parse("CRON_TZ=UTC 0 * * * *")


# --- MLflow ---------------------------------------------------------------------------------------


def test_database_is_encrypted_private_and_protected(plan: Plan) -> None:
    db = plan.get(RDS, f"{MLFLOW}-db").inputs
    assert db["identifier"] == "recsys-prod-mlflow"
    assert db["engine"] == "postgres"
    assert db["storageEncrypted"] is True
    assert db["kmsKeyId"] == KEY_ARN
    assert db["publiclyAccessible"] is False
    assert db["deletionProtection"] is True
    assert db["backupRetentionPeriod"] == 7
    assert db["skipFinalSnapshot"] is False
    assert db["finalSnapshotIdentifier"] == "recsys-prod-mlflow-final"
    assert db["dbSubnetGroupName"] == "recsys-prod-mlflow"
    assert db["performanceInsightsKmsKeyId"] == KEY_ARN
    subnets = plan.get("aws:rds/subnetGroup:SubnetGroup", f"{MLFLOW}-db-subnets").inputs
    assert subnets["subnetIds"] == ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]
    group = plan.get("aws:ec2/securityGroup:SecurityGroup", f"{MLFLOW}-db-security-group").inputs
    [ingress] = group["ingress"]
    assert (ingress["fromPort"], ingress["toPort"], ingress["securityGroups"]) == (5432, 5432, ["sg-0a1b2c3d4e5f60003"])
    assert "cidrBlocks" not in ingress
    assert group["egress"] == []


def test_database_password_is_a_secret_everywhere(plan: Plan) -> None:
    assert plan.get(RDS, f"{MLFLOW}-db").inputs["password"] == SECRET_TEXT
    secret = plan.get(SECRET, f"{MLFLOW}-backend-store").inputs
    assert secret["metadata"]["name"] == "mlflow-backend-store"
    assert secret["stringData"] == SECRET_TEXT
    password = plan.get("random:index/randomPassword:RandomPassword", f"{MLFLOW}-db-password")
    assert password.inputs["length"] >= 32
    # The generated password, not a literal (pulumi-aws would hide a literal as a secret too).
    assert password.urn in plan.get(RDS, f"{MLFLOW}-db").dependencies
    assert not any(
        isinstance(value, str) and "postgresql+psycopg2://" in value for r in plan.resources for value in walk(r.inputs)
    )
    [container] = plan.get(DEPLOYMENT, f"{MLFLOW}-deployment").inputs["spec"]["template"]["spec"]["containers"]
    assert {
        "name": "MLFLOW_BACKEND_STORE_URI",
        "valueFrom": {"secretKeyRef": {"name": "mlflow-backend-store", "key": "uri"}},
    } in container["env"]
    assert "--backend-store-uri=$(MLFLOW_BACKEND_STORE_URI)" in container["args"]


def test_tracking_server_proxies_artifacts_with_its_own_role(plan: Plan) -> None:
    [container] = plan.get(DEPLOYMENT, f"{MLFLOW}-deployment").inputs["spec"]["template"]["spec"]["containers"]
    assert container["image"] == MLFLOW_IMAGE
    assert "--serve-artifacts" in container["args"]
    assert f"--artifacts-destination=s3://{BUCKET}/mlflow/" in container["args"]
    assert any(
        arg.startswith("--allowed-hosts=") and "mlflow.recsys.svc.cluster.local:*" in arg for arg in container["args"]
    )
    found = statements(plan, f"{MLFLOW}-role-policy")
    prefix = [f"arn:aws:s3:::{BUCKET}/mlflow/*"]
    assert found["S3Read"]["Resource"] == found["S3Write"]["Resource"] == found["S3Delete"]["Resource"] == prefix
    spec = plan.get(NETWORK_POLICY, f"{MLFLOW}-network-policy").inputs["spec"]
    [database] = [rule for rule in spec["egress"] if rule["ports"] == [{"protocol": "TCP", "port": 5432}]]
    assert "0.0.0.0/0" not in json.dumps(database)


def test_sqlite_is_one_replica_on_an_emptydir_without_a_database() -> None:
    dev = plan_of(lambda: {"uri": MlflowOnKubernetes(MLFLOW, mlflow(database="sqlite")).tracking_uri})
    assert dev.by_type(RDS) == [] and dev.by_type(SECRET) == [] and dev.by_type(PDB) == []
    assert dev.by_type("random:index/randomPassword:RandomPassword") == []
    spec = dev.get(DEPLOYMENT, f"{MLFLOW}-deployment").inputs["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "Recreate"}
    [container] = spec["template"]["spec"]["containers"]
    assert "--backend-store-uri=sqlite:////var/lib/mlflow/mlflow.db" in container["args"]
    assert {"name": "data", "emptyDir": {"sizeLimit": "5Gi"}} in spec["template"]["spec"]["volumes"]
    network = dev.get(NETWORK_POLICY, f"{MLFLOW}-network-policy").inputs["spec"]
    assert "5432" not in json.dumps(network)
    with pytest.raises(ValueError, match="one replica"):
        MlflowOnKubernetes(MLFLOW, mlflow(database="sqlite", replicas=2))


def test_rds_needs_caller_names_subnets_and_the_key() -> None:
    with pytest.raises(ValueError) as raised:
        MlflowOnKubernetes(
            MLFLOW, replace(mlflow(), db_identifier="Recsys--MLflow", subnet_ids=["subnet-1"], kms_key_arn=None)
        )
    message = str(raised.value)
    assert "db_identifier 'Recsys--MLflow'" in message
    assert "at least two availability zones" in message
    assert "kms_key_arn" in message
