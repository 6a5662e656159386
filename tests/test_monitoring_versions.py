"""Monitoring job definitions are replaced on any change: their names carry a digest of every input,
so the new definition exists before the schedule moves to it and the old one is deleted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mlstack.stack.plan import plan_file
from mlstack.stack.plan.engine import Plan
from tests.conftest import EXAMPLES, WriteBlueprint

REFERENCE = (EXAMPLES / "recsys.yaml").read_text(encoding="utf-8")
DATA_QUALITY = "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition"
MODEL_QUALITY = "aws-native:sagemaker:ModelQualityJobDefinition"
SCHEDULE = "aws:sagemaker/monitoringSchedule:MonitoringSchedule"
RULE = "aws:cloudwatch/eventRule:EventRule"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DEFINITIONS = {
    "ranker-data": (DATA_QUALITY, "name"),
    "fraud-quality": (MODEL_QUALITY, "jobDefinitionName"),
}


def _plan(path: Path) -> Plan:
    return plan_file(path, "prod")[1]


def _definition_names(plan: Plan) -> dict[str, str]:
    return {
        monitor: plan.get(kind, f"recsys-prod-{monitor}-job").inputs[field]
        for monitor, (kind, field) in DEFINITIONS.items()
    }


@pytest.fixture(scope="module")
def reference() -> Plan:
    return _plan(EXAMPLES / "recsys.yaml")


def test_definition_names_are_versioned_and_valid(reference: Plan) -> None:
    for monitor, name in _definition_names(reference).items():
        assert re.fullmatch(rf"recsys-prod-{monitor}-[0-9a-f]{{8}}", name), name
        assert len(name) <= 63
        schedule = reference.get(SCHEDULE, f"recsys-prod-{monitor}-schedule").inputs
        assert schedule["name"] == f"recsys-prod-{monitor}"
        assert schedule["monitoringScheduleConfig"]["monitoringJobDefinitionName"] == name


@pytest.mark.parametrize(
    ("old", "new", "replaced"),
    [
        pytest.param(
            "owner: ml-platform@example.com",
            "owner: ml-oncall@example.com",
            {"ranker-data", "fraud-quality"},
            id="owner tag",
        ),
        pytest.param("baselines/ranker/", "baselines/ranker-v2/", {"ranker-data"}, id="baseline"),
        pytest.param("labels/fraud/", "labels/fraud-v2/", {"fraud-quality"}, id="ground truth"),
        pytest.param(
            "problem_type: binary-classification", "problem_type: regression", {"fraud-quality"}, id="problem type"
        ),
        # Hourly model-quality runs are capped at 1800 s: the schedule is an input of that definition...
        pytest.param(
            "binary-classification\n      schedule: daily",
            "binary-classification\n      schedule: hourly",
            {"fraud-quality"},
            id="model-quality schedule",
        ),
        # ... and of no data-quality one: only the schedule changes.
        pytest.param(
            "      schedule: hourly\n", '      schedule: "cron(0 0/6 ? * * *)"\n', set(), id="data-quality schedule"
        ),
    ],
)
def test_a_changed_input_gets_a_new_definition_name_and_the_schedule_keeps_its_own(
    write_blueprint: WriteBlueprint, reference: Plan, old: str, new: str, replaced: set[str]
) -> None:
    assert REFERENCE.count(old) == 1
    changed = _plan(write_blueprint(REFERENCE.replace(old, new)))
    before, after = _definition_names(reference), _definition_names(changed)
    assert {monitor for monitor in DEFINITIONS if before[monitor] != after[monitor]} == replaced
    for monitor in DEFINITIONS:
        # The schedule keeps its name (it is updated in place) and runs the current definition.
        schedule = changed.get(SCHEDULE, f"recsys-prod-{monitor}-schedule").inputs
        assert schedule["name"] == f"recsys-prod-{monitor}"
        assert schedule["monitoringScheduleConfig"]["monitoringJobDefinitionName"] == after[monitor]


def test_versioned_and_renamed_only_resources_are_created_before_the_old_ones_are_deleted(reference: Plan) -> None:
    for monitor, (kind, _) in DEFINITIONS.items():
        for resource in (
            reference.get(kind, f"recsys-prod-{monitor}-job"),
            reference.get(SCHEDULE, f"recsys-prod-{monitor}-schedule"),
            *(reference.get(RULE, f"recsys-prod-{monitor}-{outcome}-rule") for outcome in ("violations", "failed")),
            *(reference.get(ALARM, f"recsys-prod-{monitor}-{outcome}-alarm") for outcome in ("violations", "failed")),
        ):
            assert resource.options.get("deleteBeforeReplace") is False, resource.name
