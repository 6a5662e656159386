"""Log retention: a blueprint setting, a year by default in prod, a rule that holds prod to it (CKV_AWS_338)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlstack.blueprints.errors import BlueprintInvalid
from mlstack.blueprints.load import load_for_environment
from mlstack.stack.plan import plan_resolved
from mlstack.stack.plan.check import check_plan, policy_settings
from tests.conftest import EXAMPLES, WriteBlueprint

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
REFERENCE = (EXAMPLES / "recsys.yaml").read_text(encoding="utf-8")


def _retentions(path: Path, environment: str) -> set[int]:
    plan = plan_resolved(load_for_environment(path, environment))
    groups = plan.by_type(LOG_GROUP)
    assert groups
    return {g.inputs["retentionInDays"] for g in groups}


def test_a_year_in_prod_a_month_elsewhere_by_default() -> None:
    assert _retentions(EXAMPLES / "recsys.yaml", "prod") == {365}
    assert _retentions(EXAMPLES / "recsys.yaml", "dev") == {30}


def test_the_blueprint_sets_it_and_the_prod_rule_holds_it(write_blueprint: WriteBlueprint) -> None:
    path = write_blueprint(REFERENCE + "retention:\n  log_days: 90\n")
    assert _retentions(path, "prod") == {90}
    resolved = load_for_environment(path, "prod")
    report = check_plan(plan_resolved(resolved), policy_settings(resolved))
    failing = [f for f in report.findings if f.rule == "cloudwatch-prod-log-retention"]
    assert len(failing) == 3 and all(f.blocking for f in failing)
    assert "keeps logs 90 days" in failing[0].message
    dev = load_for_environment(path, "dev")
    assert not [
        f for f in check_plan(plan_resolved(dev), policy_settings(dev)).findings if f.rule.startswith("cloudwatch")
    ]


def test_only_cloudwatch_retention_periods(write_blueprint: WriteBlueprint) -> None:
    path = write_blueprint(REFERENCE + "retention:\n  log_days: 45\n")
    with pytest.raises(BlueprintInvalid) as raised:
        load_for_environment(path, "prod")
    [problem] = raised.value.problems
    assert problem.path == "retention.log_days"
    assert "not a CloudWatch Logs retention period" in problem.message and "the nearest is 30" in problem.message
