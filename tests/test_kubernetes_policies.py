"""Kubernetes pod-security rules: each passes and fails on one changed field of a real planned workload.

The workloads are the hardened objects of `tests.test_manifests.fixture_plan()` (a Deployment, a CronJob,
a StatefulSet, a Job and a Pod), planned with pulumi-kubernetes under the offline mocks.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest
from pulumi_policy import ResourceValidationArgs

from mlstack.policies import kubernetes
from mlstack.policies.framework import Outcome
from mlstack.policies.offline import evaluate, from_plan
from mlstack.policies.rules import ALL_RULES, build_policies, rule_named
from mlstack.policies.settings import PolicySettings
from mlstack.stack.plan.engine import UNKNOWN_TEXT, Plan
from tests.test_manifests import fixture_plan

PROD = PolicySettings(environment="prod")
DELETE: Any = object()

DEPLOYMENT = ("kubernetes:apps/v1:Deployment", "gnn-deployment", ("spec", "template", "spec"))
CRON_JOB = ("kubernetes:batch/v1:CronJob", "drift-cronjob", ("spec", "jobTemplate", "spec", "template", "spec"))
STATEFUL_SET = ("kubernetes:apps/v1:StatefulSet", "cache-statefulset", ("spec", "template", "spec"))
JOB = ("kubernetes:batch/v1:Job", "mlflow-migrate", ("spec", "template", "spec"))
POD = ("kubernetes:core/v1:Pod", "debug-pod", ("spec",))
Workload = tuple[str, str, tuple[str, ...]]
Path = tuple[str | int, ...]


def pod(workload: Workload, *path: str | int) -> Path:
    return (*workload[2], *path)


def first_container(workload: Workload, *path: str | int) -> Path:
    return pod(workload, "containers", 0, *path)


def set_path(inputs: dict[str, Any], path: Path, value: Any) -> None:
    target: Any = inputs
    for step in path[:-1]:
        target = target[step]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = copy.deepcopy(value)


def edited(plan: Plan, workload: Workload, edits: list[tuple[Path, Any]]) -> Plan:
    resources = []
    for resource in plan.resources:
        inputs = copy.deepcopy(dict(resource.inputs))
        if (resource.type, resource.name) == workload[:2]:
            for path, value in edits:
                set_path(inputs, path, value)
        resources.append(dataclasses.replace(resource, inputs=inputs))
    return dataclasses.replace(plan, resources=tuple(resources))


def outcomes(
    rule_name: str, workload: Workload, edits: list[tuple[Path, Any]], settings: PolicySettings = PROD
) -> list[Outcome]:
    plan = edited(fixture_plan(), workload, edits)
    resource = plan.get(*workload[:2])
    policy_resource = next(r for r in from_plan(plan) if r.urn == resource.urn)
    args = ResourceValidationArgs(
        resource.type, policy_resource.props, resource.urn, resource.name, policy_resource.opts, None
    )
    rule = rule_named(rule_name)
    assert rule.applies_to(resource.type)
    return rule.evaluate(args, settings)


SEC = "securityContext"
TOKEN_SKIP = "checkov.io/skip1"

# (rule, workload, edits for both, the one field, compliant value, non-compliant value)
CASES: list[tuple[str, Workload, list[tuple[Path, Any]], Path, Any, Any]] = [
    (
        "kubernetes-no-privileged-or-host-namespaces",
        DEPLOYMENT,
        [],
        first_container(DEPLOYMENT, SEC, "privileged"),
        False,
        True,
    ),
    ("kubernetes-no-privileged-or-host-namespaces", CRON_JOB, [], pod(CRON_JOB, "hostNetwork"), False, True),
    ("kubernetes-no-privileged-or-host-namespaces", POD, [], pod(POD, "hostPID"), False, True),
    ("kubernetes-no-privileged-or-host-namespaces", JOB, [], pod(JOB, "hostIPC"), False, True),
    ("kubernetes-run-as-non-root", DEPLOYMENT, [], first_container(DEPLOYMENT, SEC, "runAsNonRoot"), True, False),
    ("kubernetes-run-as-non-root", CRON_JOB, [], first_container(CRON_JOB, SEC, "runAsUser"), 10001, 0),
    # Without a container setting, the pod's applies.
    (
        "kubernetes-run-as-non-root",
        STATEFUL_SET,
        [(first_container(STATEFUL_SET, SEC, "runAsNonRoot"), DELETE)],
        pod(STATEFUL_SET, SEC, "runAsNonRoot"),
        True,
        DELETE,
    ),
    (
        "kubernetes-no-privilege-escalation",
        STATEFUL_SET,
        [],
        first_container(STATEFUL_SET, SEC, "allowPrivilegeEscalation"),
        False,
        DELETE,
    ),
    ("kubernetes-no-privilege-escalation", JOB, [], first_container(JOB, SEC, "allowPrivilegeEscalation"), False, True),
    ("kubernetes-read-only-root-filesystem", JOB, [], first_container(JOB, SEC, "readOnlyRootFilesystem"), True, False),
    (
        "kubernetes-read-only-root-filesystem",
        POD,
        [],
        first_container(POD, SEC, "readOnlyRootFilesystem"),
        True,
        DELETE,
    ),
    (
        "kubernetes-drop-all-capabilities",
        POD,
        [],
        first_container(POD, SEC, "capabilities", "drop"),
        ["ALL"],
        ["NET_RAW"],
    ),
    (
        "kubernetes-drop-all-capabilities",
        DEPLOYMENT,
        [],
        first_container(DEPLOYMENT, SEC, "capabilities", "add"),
        ["NET_BIND_SERVICE"],
        ["SYS_ADMIN"],
    ),
    (
        "kubernetes-seccomp-runtime-default",
        CRON_JOB,
        [],
        first_container(CRON_JOB, SEC, "seccompProfile"),
        {"type": "RuntimeDefault"},
        {"type": "Unconfined"},
    ),
    (
        "kubernetes-seccomp-runtime-default",
        DEPLOYMENT,
        [(first_container(DEPLOYMENT, SEC, "seccompProfile"), DELETE)],
        pod(DEPLOYMENT, SEC, "seccompProfile"),
        {"type": "RuntimeDefault"},
        DELETE,
    ),
    (
        "kubernetes-no-service-account-token",
        DEPLOYMENT,
        [],
        pod(DEPLOYMENT, "automountServiceAccountToken"),
        False,
        True,
    ),
    ("kubernetes-no-service-account-token", CRON_JOB, [], pod(CRON_JOB, "automountServiceAccountToken"), False, DELETE),
    # A pod that needs its token says why, in the annotation Checkov reads too; a bare id is not a reason.
    (
        "kubernetes-no-service-account-token",
        STATEFUL_SET,
        [(pod(STATEFUL_SET, "automountServiceAccountToken"), True)],
        ("metadata", "annotations"),
        {TOKEN_SKIP: "CKV_K8S_38=watches its own Endpoints to warm peer caches"},
        {TOKEN_SKIP: "CKV_K8S_38"},
    ),
    (
        "kubernetes-resource-requests-and-limits",
        STATEFUL_SET,
        [],
        first_container(STATEFUL_SET, "resources", "limits", "memory"),
        "1Gi",
        DELETE,
    ),
    (
        "kubernetes-resource-requests-and-limits",
        JOB,
        [],
        first_container(JOB, "resources", "requests", "cpu"),
        "250m",
        DELETE,
    ),
    (
        "kubernetes-liveness-and-readiness-probes",
        DEPLOYMENT,
        [],
        first_container(DEPLOYMENT, "readinessProbe"),
        {"httpGet": {"path": "/ready", "port": 8080}},
        DELETE,
    ),
    (
        "kubernetes-liveness-and-readiness-probes",
        POD,
        [],
        first_container(POD, "livenessProbe"),
        {"httpGet": {"path": "/healthz", "port": 8080}},
        DELETE,
    ),
]


@pytest.mark.parametrize(("rule_name", "workload", "base", "field", "good", "bad"), CASES)
def test_rule_passes_and_fails_on_one_field(
    rule_name: str, workload: Workload, base: list[tuple[Path, Any]], field: Path, good: Any, bad: Any
) -> None:
    compliant = outcomes(rule_name, workload, [*base, (field, good)])
    failing = outcomes(rule_name, workload, [*base, (field, bad)])
    assert compliant == []
    assert len(failing) >= 1 and all(o.kind == "violation" for o in failing), failing


def test_every_kubernetes_rule_has_a_case_and_is_registered() -> None:
    names = {rule.name for rule in kubernetes.RULES}
    assert {case[0] for case in CASES} == names
    assert names <= {rule.name for rule in ALL_RULES}
    for rule in kubernetes.RULES:
        assert rule.description.startswith("Checks whether") and rule.checkov
        assert set(rule.resource_types) == set(kubernetes.WORKLOADS)
        assert PROD.level_for(rule.name, rule.default_levels) == "mandatory"
        for environment in ("dev", "staging", "qa"):
            settings = PolicySettings(environment=environment)
            assert settings.level_for(rule.name, rule.default_levels) == "advisory"
    every_workload = {case[1][0] for case in CASES}
    assert every_workload == {w[0] for w in (DEPLOYMENT, CRON_JOB, STATEFUL_SET, JOB, POD)}


def test_the_hardened_workloads_pass_every_rule_in_prod() -> None:
    report = evaluate(from_plan(fixture_plan()), PROD, rules=list(kubernetes.RULES))
    assert report.findings == ()
    checked = {urn.rsplit("::", 1)[-1] for _, urn in report.checked}
    assert checked == {"gnn-deployment", "drift-cronjob", "cache-statefulset", "mlflow-migrate", "debug-pod"}


def test_batch_workloads_need_no_probes() -> None:
    # The fixture's Job and CronJob have none, by design: a probe would only kill a busy batch run.
    assert outcomes("kubernetes-liveness-and-readiness-probes", JOB, []) == []
    assert outcomes("kubernetes-liveness-and-readiness-probes", CRON_JOB, []) == []


def test_a_violation_in_dev_is_advisory_and_in_prod_blocks() -> None:
    plan = edited(fixture_plan(), DEPLOYMENT, [(first_container(DEPLOYMENT, SEC, "privileged"), True)])
    prod = evaluate(from_plan(plan), PROD, rules=list(kubernetes.RULES))
    assert [(f.rule, f.name, f.level) for f in prod.findings] == [
        ("kubernetes-no-privileged-or-host-namespaces", "gnn-deployment", "mandatory")
    ]
    assert "container gnn-scorer is privileged" in prod.findings[0].message
    assert prod.exit_code == 1
    dev = evaluate(from_plan(plan), PolicySettings(environment="dev"), rules=list(kubernetes.RULES))
    assert [f.level for f in dev.findings] == ["advisory"] and dev.exit_code == 0


def test_an_unknown_value_cannot_be_evaluated_and_is_no_pass() -> None:
    [outcome] = outcomes(
        "kubernetes-read-only-root-filesystem",
        JOB,
        [(first_container(JOB, SEC, "readOnlyRootFilesystem"), UNKNOWN_TEXT)],
    )
    assert outcome.kind == "unknown" and "is unknown" in outcome.message


def test_rules_run_as_crossguard_policies() -> None:
    policies = {p.name: p for p in build_policies(PROD)}
    assert {rule.name for rule in kubernetes.RULES} <= set(policies)
    plan = edited(fixture_plan(), POD, [(pod(POD, "hostNetwork"), True)])
    resource = plan.get(*POD[:2])
    policy_resource = next(r for r in from_plan(plan) if r.urn == resource.urn)
    args = ResourceValidationArgs(
        resource.type, policy_resource.props, resource.urn, resource.name, policy_resource.opts, None
    )
    reported: list[tuple[str, str | None]] = []
    policies["kubernetes-no-privileged-or-host-namespaces"].validate(args, lambda m, u: reported.append((m, u)))  # type: ignore[attr-defined]
    assert reported == [("Pod debug-pod shares the node's namespace: hostNetwork: true", resource.urn)]
