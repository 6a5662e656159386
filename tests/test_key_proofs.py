"""Encryption proven through the dependency graph: a KMS key input unknown at preview passes when it
comes only from a KMS key created in the same stack, and the proof is recorded (never a finding).

The same rule object runs offline (over the plan or a `pulumi preview --json`) and under the
CrossGuard analyzer, which hands stack policies `PolicyResource.property_dependencies`.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format, struct_pb2  # type: ignore[import-untyped]
from pulumi.runtime import proto
from pulumi_policy import EnforcementLevel, PolicyCustomTimeouts, PolicyResource, PolicyResourceOptions
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from mlstack.policies.framework import KMS_ALIAS_TYPE, KMS_KEY_TYPE, checking_props
from mlstack.policies.offline import Report, evaluate, from_plan
from mlstack.policies.rules import ALL_RULES, build_policies, rule_named
from mlstack.policies.settings import PolicySettings
from mlstack.stack.plan import plan_file
from mlstack.stack.plan.check import check_plan, check_preview_json, policy_settings
from mlstack.stack.plan.engine import UNKNOWN_TEXT, Plan

EXAMPLES = Path("blueprints/examples")
PROD = PolicySettings(environment="prod")
KEY_ARN = "arn:aws:kms:eu-west-1:000000000000:key/11111111-2222-3333-4444-555555555555"
T_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
T_FG = "aws:sagemaker/featureGroup:FeatureGroup"
T_ROLE = "aws:iam/role:Role"
GRAPH_RULES = {r.name for r in ALL_RULES if r.reads_graph}
# Monitoring job output configs carry the bucket's S3 URI next to kmsKeyId: their property depends on
# the bucket as well as the key, so the graph cannot prove which one feeds the key.
UNPROVABLE = {
    ("sagemaker-monitoring-output-kms", "recsys-prod-fraud-quality-job"),
    ("sagemaker-monitoring-output-kms", "recsys-prod-ranker-data-job"),
}
PROVEN = "encrypted with the platform key (known after apply)"


@pytest.fixture(scope="module")
def reference() -> tuple[Plan, Report]:
    resolved, plan = plan_file(EXAMPLES / "recsys.yaml", "prod")
    return plan, check_plan(plan, policy_settings(resolved))


def test_reference_prod_proves_the_inputs_that_come_from_the_platform_key(reference: tuple[Plan, Report]) -> None:
    _, report = reference
    assert {"sagemaker-endpoint-config-kms", "sagemaker-feature-group-online-store-encryption"} <= GRAPH_RULES
    assert {(f.rule, f.name, f.kind) for f in report.findings if f.rule in GRAPH_RULES} == {
        (rule, name, "unknown") for rule, name in UNPROVABLE
    }
    proofs = {(p.rule, p.name): p for p in report.proofs}
    assert set(proofs) == {
        ("sagemaker-endpoint-config-kms", "recsys-prod-fraud-scorer-config"),
        ("sagemaker-feature-group-online-store-encryption", "recsys-prod-features-user-features"),
        ("sagemaker-monitoring-volume-kms", "recsys-prod-fraud-quality-job"),
        ("sagemaker-monitoring-volume-kms", "recsys-prod-ranker-data-job"),
    }
    config = proofs["sagemaker-endpoint-config-kms", "recsys-prod-fraud-scorer-config"]
    assert config.message == f"kmsKeyArn comes from KMS key recsys-prod-key of this stack: {PROVEN}"
    assert config.urn.endswith("::recsys-prod-fraud-scorer-config") and config.type == T_CONFIG
    group = proofs["sagemaker-feature-group-online-store-encryption", "recsys-prod-features-user-features"]
    assert group.message.startswith("onlineStoreConfig.securityConfig.kmsKeyId comes from KMS key recsys-prod-key")
    # Proofs are neither findings nor part of the exit code.
    assert not {(f.rule, f.urn) for f in report.findings} & {(p.rule, p.urn) for p in report.proofs}
    assert report.exit_code == 0


# --- resources built by hand, as tests/test_policies.py builds them ---------------------------------


def _options() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def _resource(type_: str, name: str, inputs: dict[str, Any], deps: dict[str, list[PolicyResource]]) -> PolicyResource:
    urn = f"urn:pulumi:prod::recsys::{type_}::{name}"
    dependencies = [d for sources in deps.values() for d in sources]
    return PolicyResource(type_, checking_props(inputs), urn, name, _options(), None, None, dependencies, deps)


def _key() -> PolicyResource:
    return _resource(KMS_KEY_TYPE, "platform-key", {"enableKeyRotation": True}, {})


def _role() -> PolicyResource:
    return _resource(T_ROLE, "execution-role", {"assumeRolePolicy": "{}"}, {})


def _alias(target: PolicyResource) -> PolicyResource:
    inputs = {"name": "alias/recsys-prod", "targetKeyId": UNKNOWN_TEXT}
    return _resource(KMS_ALIAS_TYPE, "platform-key-alias", inputs, {"targetKeyId": [target]})


def _config(key_arn: Any, sources: list[PolicyResource] | None) -> PolicyResource:
    inputs = {
        "kmsKeyArn": key_arn,
        "productionVariants": [{"variantName": "live", "instanceType": "ml.c6i.xlarge", "initialInstanceCount": 2}],
    }
    return _resource(T_CONFIG, "scorer-config", inputs, {} if sources is None else {"kmsKeyArn": sources})


def _evaluate(config: PolicyResource, *others: PolicyResource) -> Report:
    return evaluate([*others, config], PROD, rules=[rule_named("sagemaker-endpoint-config-kms")])


def test_a_key_input_from_this_stacks_key_or_its_alias_is_proven() -> None:
    key = _key()
    alias = _alias(key)
    for sources in ([key], [alias], [key, alias]):
        report = _evaluate(_config(UNKNOWN_TEXT, sources), key, alias)
        assert report.findings == ()
        [proof] = report.proofs
        assert (proof.rule, proof.name, proof.kind) == ("sagemaker-endpoint-config-kms", "scorer-config", "pass")
        assert proof.message == f"kmsKeyArn comes from KMS key platform-key of this stack: {PROVEN}"


@pytest.mark.parametrize(
    "sources",
    [
        "role",  # the value comes from a resource that is not a KMS key
        "key and role",  # which of the two the value is, the graph cannot say
        "alias of a role",  # an alias that points at no key of this stack
        "none",  # the resource carries no property dependencies (an old preview document)
    ],
)
def test_an_unknown_key_input_of_any_other_source_stays_advisory(sources: str) -> None:
    key, role = _key(), _role()
    by_case: dict[str, list[PolicyResource] | None] = {
        "role": [role],
        "key and role": [key, role],
        "alias of a role": [_alias(role)],
        "none": None,
    }
    report = _evaluate(_config(UNKNOWN_STRING_VALUE, by_case[sources]), key, role)
    assert report.proofs == ()
    assert [(f.kind, f.level, f.message) for f in report.findings] == [
        ("unknown", "advisory", "cannot evaluate during preview: kmsKeyArn is unknown")
    ]


def test_a_known_key_arn_passes_on_its_value_with_no_proof() -> None:
    """A key imported by its ARN string is known at preview: the rule judges the value, nothing to prove."""
    report = _evaluate(_config(KEY_ARN, None), _key())
    assert report.findings == () and report.proofs == ()
    missing = _evaluate(_config(None, None))
    assert [f.kind for f in missing.findings] == ["violation"]


def test_an_unknown_enclosing_object_is_not_proven() -> None:
    """When the whole securityConfig is unknown, the key input may not even be set."""
    key = _key()
    inputs = {"onlineStoreConfig": {"enableOnlineStore": True, "securityConfig": UNKNOWN_TEXT}}
    group = _resource(T_FG, "user-features", inputs, {"onlineStoreConfig": [key]})
    report = evaluate([key, group], PROD, rules=[rule_named("sagemaker-feature-group-online-store-encryption")])
    assert report.proofs == ()
    assert [f.message for f in report.findings] == [
        "cannot evaluate during preview: onlineStoreConfig.securityConfig is unknown"
    ]


# --- a `pulumi preview --json` document -------------------------------------------------------------


def _preview_document(plan: Plan, *, property_dependencies: bool) -> dict[str, Any]:
    """The plan as `pulumi preview --json` prints it: steps[].newState (apitype.ResourceV3), unknowns
    as the engine's sentinel, and `propertyDependencies` when asked for."""
    steps = []
    for r in plan.resources:
        state: dict[str, Any] = {
            "urn": r.urn,
            "type": r.type,
            "custom": r.custom,
            "inputs": r.inputs,
            "dependencies": list(r.dependencies),
        }
        if r.parent:
            state["parent"] = r.parent
        if property_dependencies and r.property_dependencies:
            state["propertyDependencies"] = {k: list(v) for k, v in r.property_dependencies.items()}
        steps.append({"op": "create", "urn": r.urn, "newState": state})
    text = json.dumps({"steps": steps}).replace(json.dumps(UNKNOWN_TEXT), json.dumps(UNKNOWN_STRING_VALUE))
    document: dict[str, Any] = json.loads(text)
    return document


def test_a_preview_json_with_property_dependencies_gets_the_same_proofs(
    reference: tuple[Plan, Report], tmp_path: Path
) -> None:
    plan, offline = reference
    resolved, _ = plan_file(EXAMPLES / "recsys.yaml", "prod")
    settings = policy_settings(resolved)
    path = tmp_path / "preview.json"
    path.write_text(json.dumps(_preview_document(plan, property_dependencies=True)), encoding="utf-8")
    preview = check_preview_json(path, settings)
    assert preview.proofs == offline.proofs and len(preview.proofs) == 4
    assert {(f.rule, f.name) for f in preview.findings if f.rule in GRAPH_RULES} == UNPROVABLE
    # Without propertyDependencies the graph cannot say where the key comes from: advisory, as before.
    path.write_text(json.dumps(_preview_document(plan, property_dependencies=False)), encoding="utf-8")
    bare = check_preview_json(path, settings)
    assert bare.proofs == ()
    assert {(f.rule, f.name, f.kind) for f in bare.findings if f.rule in GRAPH_RULES} == {
        ("sagemaker-endpoint-config-kms", "recsys-prod-fraud-scorer-config", "unknown"),
        ("sagemaker-feature-group-online-store-encryption", "recsys-prod-features-user-features", "unknown"),
        ("sagemaker-monitoring-volume-kms", "recsys-prod-fraud-quality-job", "unknown"),
        ("sagemaker-monitoring-volume-kms", "recsys-prod-ranker-data-job", "unknown"),
        *((rule, name, "unknown") for rule, name in UNPROVABLE),
    }


# --- the CrossGuard analyzer ------------------------------------------------------------------------


def _analyze_stack(plan: Plan, policy_names: set[str]) -> list[Any]:
    """Run pulumi_policy's own analyzer servicer over the plan, as `pulumi preview --policy-pack` would."""
    document = _preview_document(plan, property_dependencies=True)
    resources = []
    for step in document["steps"]:
        state = step["newState"]
        if not state["custom"]:
            continue
        resources.append(
            proto.AnalyzerResource(
                type=state["type"],
                properties=json_format.ParseDict(state["inputs"], struct_pb2.Struct()),
                urn=state["urn"],
                name=state["urn"].rsplit("::", 1)[-1],
                parent=state.get("parent", ""),
                dependencies=state["dependencies"],
                propertyDependencies={
                    key: proto.AnalyzerPropertyDependencies(urns=urns)
                    for key, urns in state.get("propertyDependencies", {}).items()
                },
            )
        )
    policies = [p for p in build_policies(PROD) if p.name in policy_names]
    servicer = _PolicyAnalyzerServicer("mlstack", "1.0.0", policies, EnforcementLevel.MANDATORY)
    response = servicer.AnalyzeStack(proto.AnalyzeStackRequest(resources=resources), None)  # type: ignore[no-untyped-call]
    return list(response.diagnostics)


def test_crossguard_proves_the_same_and_reports_nothing(reference: tuple[Plan, Report]) -> None:
    plan, _ = reference
    # Only the unprovable output keys: one advisory "cannot run during preview" for their rule.
    diagnostics = _analyze_stack(plan, GRAPH_RULES)
    assert {d.policyName for d in diagnostics} == {rule for rule, _ in UNPROVABLE}
    assert all(d.enforcementLevel == proto.ADVISORY for d in diagnostics)


def test_crossguard_keeps_an_unproven_key_advisory(reference: tuple[Plan, Report]) -> None:
    plan, _ = reference
    config = plan.get(T_CONFIG, "recsys-prod-fraud-scorer-config")
    role = plan.get(T_ROLE, "recsys-prod-execution-role").urn
    rewired = tuple(
        dataclasses.replace(r, property_dependencies={**r.property_dependencies, "kmsKeyArn": (role,)})
        if r.urn == config.urn
        else r
        for r in plan.resources
    )
    [diagnostic] = _analyze_stack(dataclasses.replace(plan, resources=rewired), {"sagemaker-endpoint-config-kms"})
    assert diagnostic.policyName == "sagemaker-endpoint-config-kms"
    assert "during preview: cannot evaluate during preview: kmsKeyArn is unknown" in diagnostic.message
    assert diagnostic.enforcementLevel == proto.ADVISORY
    # Offline, the same plan gives the same advisory.
    offline = evaluate(from_plan(dataclasses.replace(plan, resources=rewired)), PROD)
    assert [(f.name, f.kind) for f in offline.findings if f.rule == "sagemaker-endpoint-config-kms"] == [
        ("recsys-prod-fraud-scorer-config", "unknown")
    ]
