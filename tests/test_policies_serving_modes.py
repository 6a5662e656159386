"""The policy pack on the three serving modes of 3d562c2: inference-component endpoints, asynchronous
endpoints and serial pipelines, over their example blueprints' real plans (edited one field at a time,
as tests/test_policies.py does, or planned from a blueprint variant)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from pulumi_policy import StackValidationPolicy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from mlstack.blueprints.load import load_for_environment
from mlstack.policies.framework import Outcome
from mlstack.policies.offline import evaluate, from_plan
from mlstack.policies.rules import ALL_RULES, build_policies, rule_named
from mlstack.policies.settings import PolicySettings
from mlstack.stack.plan import plan_file
from mlstack.stack.plan.check import policy_settings
from mlstack.stack.plan.engine import UNKNOWN_TEXT, Plan
from tests.conftest import EXAMPLES, WriteBlueprint
from tests.test_policies import DELETE, KEY_ARN, TOPIC_ARN, Edit, edited, graph_args, resource_args, rewired, stack_args

PROD = PolicySettings(environment="prod")
DEV = PolicySettings(environment="dev")
SERVING_MODES = ("inference-components.yaml", "async.yaml", "pipeline.yaml")
NEW_RULES = ("sagemaker-async-output-kms", "sagemaker-prod-async-error-notifications", "sagemaker-scale-from-zero")

T_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
T_ENDPOINT = "aws-native:sagemaker:Endpoint"
T_COMPONENT = "aws-native:sagemaker:InferenceComponent"
T_TARGET = "aws:appautoscaling/target:Target"
T_POLICY = "aws:appautoscaling/policy:Policy"
T_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
T_KEY = "aws:kms/key:Key"

COMPONENTS = ("intent", "sentiment", "toxicity")
OUTPUT_KEY = ("asyncInferenceConfig", "outputConfig", "kmsKeyId")
ERROR_TOPIC = ("asyncInferenceConfig", "outputConfig", "notificationConfig", "errorTopic")


@pytest.fixture(scope="module")
def plans() -> dict[tuple[str, str], Plan]:
    """Each serving-mode example planned once per environment."""
    return {(name, env): plan_file(EXAMPLES / name, env)[1] for name in SERVING_MODES for env in ("prod", "dev")}


def without(plan: Plan, type_: str, *names: str) -> Plan:
    """The plan with these resources of `type_` left out (as if the program never made them)."""
    kept = tuple(r for r in plan.resources if not (r.type == type_ and r.name in names))
    assert len(kept) == len(plan.resources) - len(names), "every name must be a resource of the plan"
    return dataclasses.replace(plan, resources=kept)


def run(rule_name: str, plan: Plan, settings: PolicySettings, edits: list[Edit] | None = None) -> list[Outcome]:
    """A stack rule's outcomes over the (edited) plan, as offline evaluation and CrossGuard hand it."""
    return rule_named(rule_name).evaluate(stack_args(plan, edits or []), settings)


def messages(outcomes: list[Outcome], kind: str = "violation") -> list[str]:
    return [o.message for o in outcomes if o.kind == kind]


# --- the examples ---------------------------------------------------------------------------------


@pytest.mark.parametrize("env", ["prod", "dev"])
@pytest.mark.parametrize("example", SERVING_MODES)
def test_the_serving_mode_examples_have_no_mandatory_findings(
    plans: dict[tuple[str, str], Plan], example: str, env: str
) -> None:
    settings = policy_settings(load_for_environment(EXAMPLES / example, env))
    report = evaluate(from_plan(plans[(example, env)]), settings)
    assert [(f.rule, f.name, f.message) for f in report.mandatory_violations()] == []
    assert not [f for f in report.findings if f.kind == "error"]
    assert report.exit_code == 0
    # Not even an advisory violation of the new rules (unknowns at preview aside).
    assert not [f for f in report.findings if f.rule in NEW_RULES and f.kind == "violation"]


def test_the_component_example_is_judged_by_its_components(plans: dict[tuple[str, str], Plan]) -> None:
    """Before the adaptation, its prod plan failed both rules (a variant target, EndpointName alarms)."""
    plan = plans[("inference-components.yaml", "prod")]
    config = plan.get(T_CONFIG, "assistants-prod-small-models-config")
    assert config.inputs["productionVariants"][0]["managedInstanceScaling"]["status"] == "ENABLED"
    assert not [r for r in plan.resources if r.type == T_TARGET and r.inputs["resourceId"].startswith("endpoint/")]
    assert all("EndpointName" not in (r.inputs.get("dimensions") or {}) for r in plan.resources if r.type == T_ALARM)
    for rule_name in ("sagemaker-prod-endpoint-autoscaling", "sagemaker-prod-endpoint-alarms"):
        assert run(rule_name, plan, PROD) == []


def test_the_zero_minimum_examples_have_their_step_policies(plans: dict[tuple[str, str], Plan]) -> None:
    zero = {
        r.inputs["resourceId"]
        for example in ("inference-components.yaml", "async.yaml")
        for r in plans[(example, "dev")].resources
        if r.type == T_TARGET and r.inputs["minCapacity"] == 0
    }
    assert zero == {
        "endpoint/docs-dev-extractor/variant/main",
        *(f"inference-component/assistants-dev-small-models-{c}" for c in COMPONENTS),
    }
    for example in ("inference-components.yaml", "async.yaml"):
        assert run("sagemaker-scale-from-zero", plans[(example, "dev")], DEV) == []


# --- sagemaker-prod-endpoint-autoscaling ------------------------------------------------------------


def test_a_component_without_a_copy_target_fails_autoscaling(plans: dict[tuple[str, str], Plan]) -> None:
    plan = without(
        plans[("inference-components.yaml", "prod")], T_TARGET, "assistants-prod-small-models-sentiment-scaling-target"
    )
    outcomes = run("sagemaker-prod-endpoint-autoscaling", plan, PROD)
    assert messages(outcomes) == [
        "prod endpoint assistants-prod-small-models-endpoint: variant fleet scales its instances itself "
        "(managedInstanceScaling), but inference component assistants-prod-small-models-sentiment on it lacks "
        "scaling target inference-component/assistants-prod-small-models-sentiment"
    ]
    assert [o.urn for o in outcomes] == [plan.get(T_ENDPOINT, "assistants-prod-small-models-endpoint").urn]


def test_a_copy_target_named_for_another_component_does_not_count(plans: dict[tuple[str, str], Plan]) -> None:
    plan = plans[("inference-components.yaml", "prod")]
    target = "assistants-prod-small-models-intent-scaling-target"
    edits: list[Edit] = [(T_TARGET, target, ("resourceId",), "inference-component/someone-else")]
    assert len(messages(run("sagemaker-prod-endpoint-autoscaling", plan, PROD, edits))) == 1
    # A resourceId unknown at preview (from the component's outputs) counts through the graph: the
    # target depends on the component.
    unknown: list[Edit] = [(T_TARGET, target, ("resourceId",), UNKNOWN_TEXT)]
    assert run("sagemaker-prod-endpoint-autoscaling", plan, PROD, unknown) == []


def test_a_component_with_an_unknown_endpoint_name_is_found_through_the_graph(
    plans: dict[tuple[str, str], Plan],
) -> None:
    plan = without(
        plans[("inference-components.yaml", "prod")], T_TARGET, "assistants-prod-small-models-toxicity-scaling-target"
    )
    edits: list[Edit] = [(T_COMPONENT, "assistants-prod-small-models-toxicity", ("endpointName",), UNKNOWN_TEXT)]
    [message] = messages(run("sagemaker-prod-endpoint-autoscaling", plan, PROD, edits))
    assert message.endswith("lacks scaling target inference-component/assistants-prod-small-models-toxicity")


def test_a_fleet_without_managed_scaling_needs_its_variant_target(plans: dict[tuple[str, str], Plan]) -> None:
    plan = plans[("inference-components.yaml", "prod")]
    name = "assistants-prod-small-models-config"
    edits: list[Edit] = [(T_CONFIG, name, ("productionVariants", 0, "managedInstanceScaling", "status"), "DISABLED")]
    assert messages(run("sagemaker-prod-endpoint-autoscaling", plan, PROD, edits)) == [
        "prod endpoint assistants-prod-small-models-endpoint: variant fleet lacks scaling target "
        "endpoint/assistants-prod-small-models/variant/fleet"
    ]
    unknown: list[Edit] = [
        (T_CONFIG, name, ("productionVariants", 0, "managedInstanceScaling", "status"), UNKNOWN_TEXT)
    ]
    [outcome] = run("sagemaker-prod-endpoint-autoscaling", plan, PROD, unknown)
    assert outcome.kind == "unknown"
    assert outcome.message.endswith("managedInstanceScaling.status is unknown")


def test_an_ordinary_prod_endpoint_without_autoscaling_still_fails(plans: dict[tuple[str, str], Plan]) -> None:
    plan = plans[("async.yaml", "prod")]
    assert run("sagemaker-prod-endpoint-autoscaling", plan, PROD) == []
    bare = without(plan, T_TARGET, "docs-prod-extractor-main-scaling-target")
    assert messages(run("sagemaker-prod-endpoint-autoscaling", bare, PROD)) == [
        "prod endpoint docs-prod-extractor-endpoint: variant main lacks scaling target "
        "endpoint/docs-prod-extractor/variant/main"
    ]
    # Components scale only on a managed fleet: in dev the rule does not apply at all.
    dev = without(
        plans[("inference-components.yaml", "dev")], T_TARGET, "assistants-dev-small-models-intent-scaling-target"
    )
    assert run("sagemaker-prod-endpoint-autoscaling", dev, DEV) == []


# --- sagemaker-prod-endpoint-alarms -----------------------------------------------------------------

LATENCY_ALARMS = [f"assistants-prod-small-models-{c}-p99-latency" for c in COMPONENTS]
ERROR_ALARM = "assistants-prod-small-models-error-rate"
NO_ALARM = (
    "prod endpoint assistants-prod-small-models-endpoint has no {} alarm with alarmActions "
    "(nobody is paged when it degrades)"
)


@pytest.mark.parametrize(
    ("silenced", "missing"),
    [
        (LATENCY_ALARMS, "latency"),
        ([ERROR_ALARM], "error"),
        ([*LATENCY_ALARMS, ERROR_ALARM], "latency or error"),
    ],
)
def test_a_component_endpoint_without_paging_component_alarms_fails(
    plans: dict[tuple[str, str], Plan], silenced: list[str], missing: str
) -> None:
    plan = plans[("inference-components.yaml", "prod")]
    edits: list[Edit] = [(T_ALARM, name, ("alarmActions",), []) for name in silenced]
    assert messages(run("sagemaker-prod-endpoint-alarms", plan, PROD, edits)) == [NO_ALARM.format(missing)]


def test_component_alarms_count_for_the_endpoint_hosting_the_component(plans: dict[tuple[str, str], Plan]) -> None:
    plan = plans[("inference-components.yaml", "prod")]
    # One component's latency alarm is enough, as one variant's is on an ordinary endpoint.
    quiet: list[Edit] = [(T_ALARM, name, ("alarmActions",), []) for name in LATENCY_ALARMS[1:]]
    assert run("sagemaker-prod-endpoint-alarms", plan, PROD, quiet) == []
    # If that component were hosted elsewhere, its alarm would not count here.
    moved: list[Edit] = [
        *quiet,
        (T_COMPONENT, "assistants-prod-small-models-intent", ("endpointName",), "assistants-prod-other"),
    ]
    assert messages(run("sagemaker-prod-endpoint-alarms", plan, PROD, moved)) == [NO_ALARM.format("latency")]
    # An alarm on a component no resource of this stack hosts counts for no endpoint.
    renamed: list[Edit] = [
        *quiet,
        (T_ALARM, LATENCY_ALARMS[0], ("dimensions", "InferenceComponentName"), "assistants-prod-unknown-component"),
    ]
    assert messages(run("sagemaker-prod-endpoint-alarms", plan, PROD, renamed)) == [NO_ALARM.format("latency")]


def test_an_ordinary_prod_endpoint_without_alarms_still_fails(plans: dict[tuple[str, str], Plan]) -> None:
    plan = plans[("async.yaml", "prod")]
    assert run("sagemaker-prod-endpoint-alarms", plan, PROD) == []
    edits: list[Edit] = [
        (T_ALARM, name, ("alarmActions",), [])
        for name in ("docs-prod-extractor-main-p99-latency", "docs-prod-extractor-error-rate")
    ]
    assert messages(run("sagemaker-prod-endpoint-alarms", plan, PROD, edits)) == [
        "prod endpoint docs-prod-extractor-endpoint has no latency or error alarm with alarmActions "
        "(nobody is paged when it degrades)"
    ]


# --- sagemaker-async-output-kms ---------------------------------------------------------------------

ASYNC_CONFIG = "docs-prod-extractor-config"


def test_async_output_without_a_key_fails(plans: dict[tuple[str, str], Plan]) -> None:
    rule = rule_named("sagemaker-async-output-kms")
    plan = plans[("async.yaml", "prod")]
    urn = plan.get(T_CONFIG, ASYNC_CONFIG).urn
    assert (
        rule.evaluate(graph_args(plan, T_CONFIG, ASYNC_CONFIG, [(T_CONFIG, ASYNC_CONFIG, OUTPUT_KEY, KEY_ARN)]), PROD)
        == []
    )
    [outcome] = rule.evaluate(
        graph_args(plan, T_CONFIG, ASYNC_CONFIG, [(T_CONFIG, ASYNC_CONFIG, OUTPUT_KEY, DELETE)]), PROD
    )
    assert (outcome.kind, outcome.urn) == ("violation", urn)
    assert outcome.message == (
        "asynchronous endpoint configuration docs-prod-extractor-config does not encrypt its results and failures "
        "in S3 with a KMS key (asyncInferenceConfig.outputConfig.kmsKeyId): they hold inference payloads"
    )
    # It is mandatory outside dev and advisory in dev, like every rule without its own defaults.
    report = evaluate(from_plan(edited(plan, [(T_CONFIG, ASYNC_CONFIG, OUTPUT_KEY, DELETE)])), PROD, rules=[rule])
    assert [(f.name, f.level, f.kind) for f in report.findings] == [(ASYNC_CONFIG, "mandatory", "violation")]
    assert DEV.level_for(rule.name, rule.default_levels) == "advisory"


def test_async_output_key_unknown_at_preview_is_advisory_unless_the_graph_proves_it(
    plans: dict[tuple[str, str], Plan],
) -> None:
    rule = rule_named("sagemaker-async-output-kms")
    plan = plans[("async.yaml", "prod")]
    # As planned, asyncInferenceConfig comes from the key, the bucket and the topics: nothing proves
    # which one feeds kmsKeyId.
    [outcome] = rule.evaluate(graph_args(plan, T_CONFIG, ASYNC_CONFIG, []), PROD)
    assert (outcome.kind, outcome.message) == (
        "unknown",
        "cannot evaluate during preview: asyncInferenceConfig.outputConfig.kmsKeyId is unknown",
    )
    key = plan.get(T_KEY, "docs-prod-key").urn
    only_key = rewired(plan, T_CONFIG, ASYNC_CONFIG, "asyncInferenceConfig", key)
    [proof] = rule.evaluate(graph_args(only_key, T_CONFIG, ASYNC_CONFIG, []), PROD)
    assert proof.kind == "pass"
    assert proof.message.startswith("asyncInferenceConfig.outputConfig.kmsKeyId comes from KMS key docs-prod-key")


def test_only_async_configurations_need_an_output_key(plans: dict[tuple[str, str], Plan]) -> None:
    rule = rule_named("sagemaker-async-output-kms")
    for example, config in (
        ("inference-components.yaml", "assistants-prod-small-models-config"),
        ("pipeline.yaml", "payments-prod-screening-config"),
    ):
        plan = plans[(example, "prod")]
        assert "asyncInferenceConfig" not in plan.get(T_CONFIG, config).inputs
        assert rule.evaluate(graph_args(plan, T_CONFIG, config, []), PROD) == []


# --- sagemaker-prod-async-error-notifications -------------------------------------------------------

ERRORS_NONE = ("notifications: {success: true, errors: on-call}", "notifications: {success: true, errors: none}")


def test_prod_async_without_an_error_topic_fails(write_blueprint: WriteBlueprint) -> None:
    text = (EXAMPLES / "async.yaml").read_text(encoding="utf-8")
    assert text.count(ERRORS_NONE[0]) == 1
    path = write_blueprint(text.replace(*ERRORS_NONE))
    resolved, plan = plan_file(path, "prod")
    config = plan.get(T_CONFIG, ASYNC_CONFIG)
    assert "errorTopic" not in config.inputs["asyncInferenceConfig"]["outputConfig"]["notificationConfig"]
    report = evaluate(from_plan(plan), policy_settings(resolved))
    assert [(f.rule, f.name, f.level, f.message) for f in report.mandatory_violations()] == [
        (
            "sagemaker-prod-async-error-notifications",
            ASYNC_CONFIG,
            "mandatory",
            "prod asynchronous endpoint configuration docs-prod-extractor-config publishes failed requests to no "
            "SNS topic (asyncInferenceConfig.outputConfig.notificationConfig.errorTopic): a failure is found only "
            "by polling s3://docs-prod-000000000000-eu-west-1/async/extractor/failure/",
        )
    ]
    assert report.exit_code == 1
    # Dev is not judged: the rule is for prod.
    dev_resolved, dev_plan = plan_file(path, "dev")
    dev = evaluate(from_plan(dev_plan), policy_settings(dev_resolved))
    assert "sagemaker-prod-async-error-notifications" not in {f.rule for f in dev.findings}


def test_prod_async_error_topic_known_unknown_or_absent(plans: dict[tuple[str, str], Plan]) -> None:
    rule = rule_named("sagemaker-prod-async-error-notifications")
    plan = plans[("async.yaml", "prod")]

    def outcomes(value: Any) -> list[Outcome]:
        return rule.evaluate(
            resource_args(plan, T_CONFIG, ASYNC_CONFIG, [(T_CONFIG, ASYNC_CONFIG, ERROR_TOPIC, value)]), PROD
        )

    assert outcomes(TOPIC_ARN) == []
    assert [o.kind for o in outcomes(DELETE)] == ["violation"]
    assert [o.kind for o in outcomes("")] == ["violation"]
    [unknown] = outcomes(UNKNOWN_STRING_VALUE)
    assert unknown.kind == "unknown" and unknown.message.endswith("notificationConfig.errorTopic is unknown")
    [malformed] = outcomes(7)
    assert malformed.kind == "error" and "errorTopic is a number (7), expected a string" in malformed.message
    # Not an asynchronous configuration: nothing to notify about.
    sync = plans[("pipeline.yaml", "prod")]
    assert rule.evaluate(resource_args(sync, T_CONFIG, "payments-prod-screening-config", []), PROD) == []


# --- sagemaker-scale-from-zero ----------------------------------------------------------------------

IC_DEV = ("inference-components.yaml", "dev")
INTENT_TARGET = "assistants-dev-small-models-intent-scaling-target"
INTENT_STEP = "assistants-dev-small-models-intent-scale-from-zero"


def test_a_component_that_scales_to_zero_without_a_step_policy_fails(plans: dict[tuple[str, str], Plan]) -> None:
    plan = without(plans[IC_DEV], T_POLICY, INTENT_STEP)
    outcomes = run("sagemaker-scale-from-zero", plan, DEV)
    assert [o.urn for o in outcomes] == [plan.get(T_TARGET, INTENT_TARGET).urn]
    assert messages(outcomes) == [
        "scaling target assistants-dev-small-models-intent-scaling-target lets inference component "
        "assistants-dev-small-models-intent scale in to zero (minCapacity 0), but no StepScaling policy acts on "
        "inference-component/assistants-dev-small-models-intent sagemaker:inference-component:DesiredCopyCount: "
        "target tracking cannot scale out from zero capacity (its per-instance or per-copy metric has no value "
        "there), so once inference component assistants-dev-small-models-intent has scaled in to zero it stays "
        "there and its requests go unserved"
    ]
    # A minimum of one copy needs no way back from zero.
    assert run("sagemaker-scale-from-zero", plan, DEV, [(T_TARGET, INTENT_TARGET, ("minCapacity",), 1)]) == []
    # Other services' targets are not SageMaker's.
    assert run("sagemaker-scale-from-zero", plan, DEV, [(T_TARGET, INTENT_TARGET, ("serviceNamespace",), "ecs")]) == []


def test_an_async_variant_that_scales_to_zero_without_a_step_policy_fails(plans: dict[tuple[str, str], Plan]) -> None:
    plan = without(plans[("async.yaml", "dev")], T_POLICY, "docs-dev-extractor-main-scale-from-zero")
    [message] = messages(run("sagemaker-scale-from-zero", plan, DEV))
    assert message.startswith(
        "scaling target docs-dev-extractor-main-scaling-target lets variant main of endpoint docs-dev-extractor "
        "scale in to zero (minCapacity 0), but no StepScaling policy acts on endpoint/docs-dev-extractor/variant/main "
        "sagemaker:variant:DesiredInstanceCount: target tracking cannot scale out from zero capacity"
    )
    # Mandatory outside dev: the same plan judged as staging blocks.
    staging = evaluate(
        from_plan(plan), PolicySettings(environment="staging"), rules=[rule_named("sagemaker-scale-from-zero")]
    )
    assert [(f.level, f.kind) for f in staging.findings] == [("mandatory", "violation")]


@pytest.mark.parametrize(
    ("edit", "kind"),
    [
        ((T_POLICY, INTENT_STEP, ("policyType",), "TargetTrackingScaling"), "violation"),
        ((T_POLICY, INTENT_STEP, ("policyType",), DELETE), None),  # pulumi-aws defaults policyType to StepScaling
        ((T_POLICY, INTENT_STEP, ("resourceId",), "inference-component/another"), "violation"),
        ((T_POLICY, INTENT_STEP, ("scalableDimension",), "sagemaker:variant:DesiredInstanceCount"), "violation"),
        ((T_POLICY, INTENT_STEP, ("resourceId",), UNKNOWN_TEXT), None),  # depends on the target: it is its policy
        ((T_POLICY, INTENT_STEP, ("policyType",), UNKNOWN_TEXT), "unknown"),
        ((T_TARGET, INTENT_TARGET, ("minCapacity",), UNKNOWN_TEXT), "unknown"),
        ((T_TARGET, INTENT_TARGET, ("minCapacity",), "0"), "error"),
    ],
)
def test_the_step_policy_must_be_one_on_the_same_resource_and_dimension(
    plans: dict[tuple[str, str], Plan], edit: Edit, kind: str | None
) -> None:
    outcomes = run("sagemaker-scale-from-zero", plans[IC_DEV], DEV, [edit])
    assert [o.kind for o in outcomes] == ([kind] if kind else [])
    if kind:
        assert outcomes[0].urn == plans[IC_DEV].get(T_TARGET, INTENT_TARGET).urn


# --- the pack -----------------------------------------------------------------------------------------


def test_the_new_rules_are_in_the_pack_and_run_under_crossguard(plans: dict[tuple[str, str], Plan]) -> None:
    assert set(NEW_RULES) <= {r.name for r in ALL_RULES}
    assert {rule_named(n).severity for n in NEW_RULES} == {"high", "medium"}
    assert rule_named("sagemaker-prod-async-error-notifications").severity == "medium"
    policies = {p.name: p for p in build_policies(PROD)}
    assert set(NEW_RULES) <= set(policies)
    # A graph-reading rule and a stack rule are CrossGuard stack policies; both report the same messages.
    reported: list[tuple[str, str | None]] = []
    plan = without(plans[IC_DEV], T_POLICY, INTENT_STEP)
    scale = policies["sagemaker-scale-from-zero"]
    assert isinstance(scale, StackValidationPolicy)
    scale.validate(stack_args(plan, []), lambda m, u: reported.append((m, u)))
    assert reported == [
        (messages(run("sagemaker-scale-from-zero", plan, PROD))[0], plan.get(T_TARGET, INTENT_TARGET).urn)
    ]
    kms = policies["sagemaker-async-output-kms"]
    assert isinstance(kms, StackValidationPolicy)
    kms_reported: list[str] = []
    bad: list[Edit] = [(T_CONFIG, ASYNC_CONFIG, OUTPUT_KEY, DELETE)]
    kms.validate(stack_args(plans[("async.yaml", "prod")], bad), lambda m, u: kms_reported.append(m))
    assert len(kms_reported) == 1 and "kmsKeyId" in kms_reported[0]
    errors = policies["sagemaker-prod-async-error-notifications"]
    errors_reported: list[str] = []
    args = resource_args(
        plans[("async.yaml", "prod")], T_CONFIG, ASYNC_CONFIG, [(T_CONFIG, ASYNC_CONFIG, ERROR_TOPIC, DELETE)]
    )
    errors.validate(args, lambda m, u: errors_reported.append(m))  # type: ignore[attr-defined]
    assert len(errors_reported) == 1 and "errorTopic" in errors_reported[0]


def test_the_blueprint_accepts_suppressions_of_the_new_rules(write_blueprint: WriteBlueprint) -> None:
    text = (EXAMPLES / "async.yaml").read_text(encoding="utf-8").replace(*ERRORS_NONE)
    suppression = (
        "  suppressions:\n"
        "    - rule: sagemaker-prod-async-error-notifications\n"
        "      resources: ['docs-*-extractor-config']\n"
        "      reason: failures are read from S3 by the nightly reconciliation job\n"
    )
    path = write_blueprint(text.replace("policies:\n", "policies:\n" + suppression))
    resolved, plan = plan_file(path, "prod")
    report = evaluate(from_plan(plan), policy_settings(resolved))
    assert [(f.rule, f.suppressed) for f in report.findings if f.rule in NEW_RULES and f.kind == "violation"] == [
        ("sagemaker-prod-async-error-notifications", True)
    ]
    assert report.exit_code == 0


def test_a_step_policy_no_alarm_fires_does_not_count(plans: dict[tuple[str, str], Plan]) -> None:
    wake = "assistants-dev-small-models-intent-scale-from-zero"
    plan = without(plans[IC_DEV], "aws:cloudwatch/metricAlarm:MetricAlarm", wake)
    outcomes = run("sagemaker-scale-from-zero", plan, DEV)
    assert [o.urn for o in outcomes] == [plan.get(T_TARGET, INTENT_TARGET).urn]
    [message] = messages(outcomes)
    assert f"StepScaling policy {INTENT_STEP} would scale it out again, but no CloudWatch alarm fires that policy" in (
        message
    )
