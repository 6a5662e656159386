"""The budget rule judges both figures: the baseline (autoscaling minimums) and the ceiling (maximums).

The reference's prod plan costs about $9,300/month at baseline and $34,150 at ceiling (tests/test_cost.py
has the arithmetic). With a $20,000 budget the baseline fits and the ceiling does not.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlstack.policies.offline import Finding, Report, evaluate, from_plan
from mlstack.policies.rules import rule_named
from mlstack.policies.settings import CeilingDriver, CostEstimate, PolicySettings
from mlstack.stack.cli.app import app
from mlstack.stack.plan import plan_file
from mlstack.stack.plan.check import check_plan, cost_estimate, policy_settings
from mlstack.stack.plan.engine import Plan
from tests.conftest import EXAMPLES

REFERENCE = (EXAMPLES / "recsys.yaml").read_text(encoding="utf-8")
RULE = "monthly-cost-within-budget"
PROD_BUDGET = "  prod:\n    budget_usd_month: 60000\n"


def blueprint(tmp_path: Path, prod: str) -> Path:
    assert REFERENCE.count(PROD_BUDGET) == 1
    path = tmp_path / "recsys.yaml"
    path.write_text(REFERENCE.replace(PROD_BUDGET, f"  prod:\n{prod}"), encoding="utf-8")
    return path


def budget_findings(path: Path) -> tuple[Report, list[Finding]]:
    resolved, plan = plan_file(path, "prod")
    report = check_plan(plan, policy_settings(resolved, cost_estimate(resolved, plan)))
    return report, [f for f in report.findings if f.rule == RULE]


def test_the_estimate_carries_both_figures_and_what_drives_the_ceiling() -> None:
    resolved, plan = plan_file(EXAMPLES / "recsys.yaml", "prod")
    estimate = cost_estimate(resolved, plan)
    assert estimate.ceiling_usd is not None and estimate.ceiling_usd > estimate.baseline_usd
    drivers = [d.what for d in estimate.ceiling_drivers]
    # The LLM variant (1-3 instances of ml.g6.12xlarge) grows most; the ranker's two variants (up to 8 each) next.
    assert drivers[0] == "recsys-prod-assistant-llm-config variant main: 1-3 × ml.g6.12xlarge"
    assert "recsys-prod-ranker-config variant challenger: 1-8 × ml.g5.xlarge" in drivers[:3]
    headroom = [d.headroom_usd for d in estimate.ceiling_drivers]
    assert headroom == sorted(headroom, reverse=True) and all(h > 0 for h in headroom)
    assert sum(headroom) == pytest.approx(estimate.ceiling_usd - estimate.baseline_usd)
    assert policy_settings(resolved).budget_enforce == "baseline"


def test_a_ceiling_over_budget_is_an_advisory_finding_naming_its_drivers(tmp_path: Path) -> None:
    report, [finding] = budget_findings(blueprint(tmp_path, "    budget_usd_month: 20000\n"))
    assert (finding.kind, finding.level, finding.blocking) == ("violation", "advisory", False)
    assert finding.message.startswith("prod: estimated $34,150/month at ceiling (autoscaling maximums) exceeds ")
    assert "budget_usd_month $20,000; $9,302/month at baseline is within" in finding.message
    assert "the ceiling is driven by recsys-prod-assistant-llm-config variant main: 1-3 × ml.g6.12xlarge" in (
        finding.message
    )
    assert report.exit_code == 0


def test_enforce_ceiling_fails_at_the_rules_level(tmp_path: Path) -> None:
    path = blueprint(tmp_path, "    budget_usd_month: 20000\n    budget: {enforce: ceiling}\n")
    _, [finding] = budget_findings(path)
    assert (finding.kind, finding.level, finding.blocking) == ("violation", "mandatory", True)
    assert "$34,150/month at ceiling" in finding.message and "$9,302/month at baseline" in finding.message
    assert "budget.enforce is ceiling" in finding.message
    # Through `mlstack check`, as CI runs it: exit 1, and the report names both figures.
    output = tmp_path / "report.json"
    result = CliRunner().invoke(
        app, ["check", str(path), "--env", "prod", "--format", "json", "-o", str(output)], catch_exceptions=False
    )
    assert result.exit_code == 1, result.output
    [reported] = [f for f in json.loads(output.read_text())["findings"] if f["rule"] == RULE]
    assert reported["level"] == "mandatory" and "$34,150/month at ceiling" in reported["message"]
    # The same blueprint with the default (baseline) passes: the ceiling is only a warning.
    relaxed = blueprint(tmp_path, "    budget_usd_month: 20000\n    budget: {enforce: baseline}\n")
    result = CliRunner().invoke(app, ["check", str(relaxed), "--env", "prod", "-o", str(tmp_path / "r.txt")])
    assert result.exit_code == 0, result.output


def test_a_ceiling_within_budget_gives_nothing_and_the_baseline_over_it_fails_with_both_figures(
    tmp_path: Path,
) -> None:
    _, findings = budget_findings(blueprint(tmp_path, "    budget_usd_month: 60000\n    budget: {enforce: ceiling}\n"))
    assert findings == []
    _, [over] = budget_findings(blueprint(tmp_path, "    budget_usd_month: 5000\n"))
    assert over.level == "mandatory"
    assert over.message.startswith("prod: estimated $9,302/month at baseline ($34,150/month at ceiling) exceeds ")
    assert "biggest items: recsys-prod-assistant-llm-config" in over.message


def test_an_unknown_enforce_value_is_refused(tmp_path: Path) -> None:
    path = blueprint(tmp_path, "    budget_usd_month: 20000\n    budget: {enforce: maximum}\n")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "budget.enforce" in result.output
    with pytest.raises(ValueError, match="budget_enforce"):
        PolicySettings(budget_enforce="maximum")  # type: ignore[arg-type]


def test_an_estimate_without_a_ceiling_judges_the_baseline_only() -> None:
    rule = rule_named(RULE)
    empty = Plan("recsys", "prod", ())
    baseline_only = PolicySettings(cost_estimate=CostEstimate(900.0, 1000.0))
    assert evaluate(from_plan(empty), baseline_only, rules=[rule]).findings == ()
    driver = CeilingDriver("ranker-config variant champion: 2-8 × ml.g5.xlarge", 500.0, 2000.0)
    with_ceiling = PolicySettings(
        cost_estimate=CostEstimate(900.0, 1000.0, ceiling_usd=2400.0, ceiling_drivers=(driver,))
    )
    [finding] = evaluate(from_plan(empty), with_ceiling, rules=[rule]).findings
    assert finding.level == "advisory"
    assert "driven by ranker-config variant champion: 2-8 × ml.g5.xlarge $500-$2,000" in finding.message
