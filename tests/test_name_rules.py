"""`validate` checks every physical name in every environment, at the line of the id that made it too long."""

from __future__ import annotations

from mlstack.blueprints.load import load
from mlstack.blueprints.rules.names import physical_names
from mlstack.components import naming
from tests.conftest import EXAMPLES, WriteBlueprint, line_of, only_problem, problems

REFERENCE = (EXAMPLES / "recsys.yaml").read_text(encoding="utf-8")
LONG_MONITOR = "ranker-data-drift-on-captured-requests-x"  # 40 characters, the schema's most


def _rename_monitor(text: str, name: str) -> str:
    return text.replace("- name: ranker-data ", f"- name: {name} ").replace(
        "monitoring.drift.ranker-data.schedule", f"monitoring.drift.{name}.schedule"
    )


def test_a_40_character_monitor_name_overruns_the_eventbridge_rule_limit(write_blueprint: WriteBlueprint) -> None:
    text = _rename_monitor(REFERENCE, LONG_MONITOR)
    # recsys-staging-<monitor>-violations: 14 + 1 + 40 + 11 = 66; dev and prod are shorter.
    assert only_problem(write_blueprint, text) == (
        f"bp.yaml:{line_of(text, f'- name: {LONG_MONITOR}')}:7: monitoring.drift.{LONG_MONITOR}.name: EventBridge "
        f"rule name 'recsys-staging-{LONG_MONITOR}-violations' has 66 characters; EventBridge rule names have at "
        "most 64 (botocore events RuleName), in environment staging: shorten the monitor name to at most 38 "
        "characters"
    )


def test_long_valid_ids_overrun_the_schedule_and_rule_limits_in_every_environment(
    write_blueprint: WriteBlueprint,
) -> None:
    # The longest blueprint id (20) and environment name (12) the schema allows, and a 40-character monitor.
    text = _rename_monitor(REFERENCE, LONG_MONITOR).replace("blueprint: recsys ", "blueprint: recsys-personalizati ")
    text = text.replace("  staging:\n", "  preproductio:\n")
    line = line_of(text, f"- name: {LONG_MONITOR}")
    schedule = f"recsys-personalizati-preproductio-{LONG_MONITOR}"
    assert problems(write_blueprint(text)) == [
        f"bp.yaml:{line}:7: monitoring.drift.{LONG_MONITOR}.name: EventBridge rule name '{schedule}-violations' has "
        "85 characters; EventBridge rule names have at most 64 (botocore events RuleName), in environments dev, "
        "preproductio, prod: shorten the monitor name to at most 19 characters",
        f"bp.yaml:{line}:7: monitoring.drift.{LONG_MONITOR}.name: SageMaker monitoring schedule name '{schedule}' has "
        "74 characters; SageMaker monitoring schedule names have at most 63 (botocore sagemaker "
        "MonitoringScheduleName), in environments dev, preproductio, prod: shorten the monitor name to at most 29 "
        "characters",
    ]


def test_a_name_an_override_makes_too_long_is_reported_at_the_override(write_blueprint: WriteBlueprint) -> None:
    override = f"    overrides:\n      monitoring.drift.ranker-data.name: {LONG_MONITOR}\n"
    text = REFERENCE.replace(
        "  staging:\n    budget_usd_month: 20000\n", "  staging:\n    budget_usd_month: 20000\n" + override
    )
    assert only_problem(write_blueprint, text) == (
        f"bp.yaml:{line_of(text, 'monitoring.drift.ranker-data.name:')}:7: monitoring.drift.{LONG_MONITOR}.name: "
        f"EventBridge rule name 'recsys-staging-{LONG_MONITOR}-violations' has 66 characters; EventBridge rule names "
        "have at most 64 (botocore events RuleName): shorten the monitor name to at most 38 characters "
        "(in environment staging)"
    )


def test_model_keys_must_be_sagemaker_names(write_blueprint: WriteBlueprint) -> None:
    # A model key becomes part of a SageMaker model name, and a serverless endpoint's variant name.
    text = REFERENCE.replace("      champion:\n", "      Champion_V12:\n", 1).replace(
        "model: champion", "model: Champion_V12"
    )
    found = problems(write_blueprint(text))
    assert (
        f"bp.yaml:{line_of(text, 'Champion_V12:')}:7: endpoints.ranker.models.Champion_V12: 'Champion_V12' is not "
        "valid here: it must match ^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"
    ) in found


def test_the_reference_names_fit_and_follow_every_pattern() -> None:
    blueprint = load(EXAMPLES / "recsys.yaml")
    for environment in blueprint.environments:
        names = physical_names(blueprint, environment)
        assert {n.rule for n in names} >= {naming.IAM_ROLE, naming.EVENTBRIDGE_RULE, naming.SAGEMAKER_MODEL}
        assert [n for n in names if n.rule.problem(n.name)] == []


def test_every_rule_cites_its_source() -> None:
    for rule in naming.NAME_RULES:
        assert rule.source.startswith(("botocore ", "https://docs.aws.amazon.com/")), rule
        assert 1 <= rule.min_length <= rule.max_length
