"""`mlstack check`, `cost` and `diff` as CI runs them: exit codes, report files, the rules that must fire."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, REPO

REFERENCE = (EXAMPLES / "recsys.yaml").read_text(encoding="utf-8")


def mlstack(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlstack", *args], capture_output=True, text=True, cwd=REPO, check=False
    )


def findings(report: Path) -> list[dict[str, object]]:
    document: dict[str, list[dict[str, object]]] = json.loads(report.read_text())
    return document["findings"]


def test_reference_prod_has_no_mandatory_violations_and_lists_its_suppressions(tmp_path: Path) -> None:
    result = mlstack(
        "check", str(EXAMPLES / "recsys.yaml"), "--env", "prod", "--format", "json", "-o", str(tmp_path / "r.json")
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("suppressed ") == 4
    unsuppressed = [f for f in findings(tmp_path / "r.json") if f["level"] == "mandatory" and not f["suppressed"]]
    assert unsuppressed == []


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        # Data capture off on the ranker while its drift monitor still watches it (validation would
        # refuse that blueprint, so the plan JSON is edited the way a hand-written stack could be).
        ("data_capture", "monitored-endpoint-captures-data"),
        ("kms", "sagemaker-endpoint-config-kms"),
        ("alarms", "sagemaker-prod-endpoint-alarms"),
    ],
)
def test_removing_a_safeguard_fires_its_rule(tmp_path: Path, change: str, rule: str) -> None:
    plan_path = tmp_path / "plan.json"
    assert mlstack("plan", str(EXAMPLES / "recsys.yaml"), "--env", "prod", "-o", str(plan_path)).returncode == 0
    document = json.loads(plan_path.read_text())
    for step in document["steps"]:
        state = step["newState"]
        if change == "data_capture" and state["type"].endswith("EndpointConfiguration") and "ranker" in state["urn"]:
            del state["inputs"]["dataCaptureConfig"]
        if change == "kms" and state["type"].endswith("EndpointConfiguration") and "fraud-scorer" in state["urn"]:
            del state["inputs"]["kmsKeyArn"]
        if (
            change == "alarms"
            and state["type"] == "aws:cloudwatch/metricAlarm:MetricAlarm"
            and "ranker" in state["urn"]
        ):
            state["inputs"]["alarmActions"] = []
    plan_path.write_text(json.dumps(document))
    report = tmp_path / "report.json"
    result = mlstack(
        "check",
        str(EXAMPLES / "recsys.yaml"),
        "--env",
        "prod",
        "--preview-json",
        str(plan_path),
        "--format",
        "json",
        "-o",
        str(report),
    )
    assert result.returncode == 1, result.stderr
    fired = {f["rule"] for f in findings(report) if f["level"] == "mandatory" and not f["suppressed"]}
    assert rule in fired


def test_budget_below_the_estimate_fails_prod_but_not_dev(write_blueprint: object, tmp_path: Path) -> None:
    low = tmp_path / "low.yaml"
    low.write_text(
        REFERENCE.replace("budget_usd_month: 60000", "budget_usd_month: 5000").replace(
            "budget_usd_month: 12000", "budget_usd_month: 5000"
        )
    )
    sarif = tmp_path / "prod.sarif"
    result = mlstack("check", str(low), "--env", "prod", "--format", "sarif", "-o", str(sarif))
    assert result.returncode == 1
    # The report is written even when the check fails, so CI can upload it.
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    budget = [r for r in results if r["ruleId"] == "monthly-cost-within-budget"]
    assert budget and budget[0]["level"] == "error"
    assert "biggest items: recsys-prod-assistant-llm-config" in budget[0]["message"]["text"]
    assert (
        mlstack("check", str(low), "--env", "dev", "--format", "json", "-o", str(tmp_path / "d.json")).returncode == 0
    )


def test_check_rejects_an_unknown_format() -> None:
    result = mlstack("check", str(EXAMPLES / "recsys.yaml"), "--format", "xml")
    assert result.returncode == 2
    assert "--format must be one of table, json, sarif, junit" in result.stderr


def test_cost_and_diff_commands() -> None:
    cost = mlstack("cost", str(EXAMPLES / "recsys.yaml"), "--env", "prod", "--json")
    assert cost.returncode == 0, cost.stderr
    assert json.loads(cost.stdout)["environment"] == "prod"
    diff = mlstack("diff", str(EXAMPLES / "recsys.yaml"), "--env", "dev", "--env", "prod", "--format", "markdown")
    assert diff.returncode == 0, diff.stderr
    assert "`productionVariants.champion.initialInstanceCount` | `1` | `2`" in diff.stdout
    assert "monitoringScheduleConfig.scheduleConfig.scheduleExpression" in diff.stdout


def test_plan_tree_shows_costs() -> None:
    result = mlstack("plan", str(EXAMPLES / "recsys.yaml"), "--env", "prod")
    assert result.returncode == 0
    assert "/month" in result.stdout.splitlines()[0]
    assert "listed" in result.stdout and "unpriced" in result.stdout
