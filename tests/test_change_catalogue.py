"""Every routine edit of a live platform updates it in place, and the README says what `pulumi up` does."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

from mlstack.policies.offline import evaluate, from_plan
from mlstack.policies.settings import PolicySettings
from mlstack.policies.updates import RULES as UPDATE_RULES
from mlstack.stack.plan.lifecycle import UpdatePlan
from tests.change_catalogue import EDITS, apply, markdown_table, operations

README = Path(__file__).resolve().parent.parent / "README.md"
ENDPOINT_TYPES = {"aws-native:sagemaker:Endpoint", "aws:sagemaker/endpoint:Endpoint"}
# Edits AWS cannot make while the variant is registered with Application Auto Scaling; the update
# rules stop them before `pulumi up` (see test_update_rules.py).
REFUSED_BY_AWS = {"instance-type-autoscaled", "remove-variant"}
# Edits that replace a resource holding data; the update rules stop them too.
REPLACES_DATA = {"new-feature"}


@functools.cache
def update(key: str) -> UpdatePlan:
    return apply(next(edit for edit in EDITS if edit.key == key))


@pytest.mark.parametrize("key", [edit.key for edit in EDITS])
def test_the_endpoint_is_never_replaced_and_nothing_in_use_is_deleted_first(key: str) -> None:
    plan = update(key)
    assert plan.changed, f"{key} changes nothing: the edit is not applied"
    for step in plan.steps:
        if step.type in ENDPOINT_TYPES:
            assert step.op in ("same", "update"), (key, step.name, step.op, step.replace_reasons)
        if step.op == "replace":
            assert not (step.delete_before_replace and step.dependents), (key, step.name, step.dependents)
            # A replacement created first needs a name of its own, or AWS refuses it.
            name_changes = any(r in ("name", "jobDefinitionName") for r in step.replace_reasons)
            assert name_changes or key in REPLACES_DATA, (key, step.name, step.replace_reasons)


@pytest.mark.parametrize("key", [edit.key for edit in EDITS])
def test_prod_update_rules_pass_every_edit_but_those_aws_refuses(key: str) -> None:
    plan = update(key)
    report = evaluate(from_plan(plan.plan), PolicySettings(environment="prod"), UPDATE_RULES, update=plan)
    fired = {f.rule for f in report.findings if f.blocking}
    if key in REFUSED_BY_AWS:
        assert fired == {"update-autoscaled-variant-change"}
    elif key in REPLACES_DATA:
        assert fired == {"update-keeps-stateful-resources"}
    else:
        assert fired == set(), [f.message for f in report.findings]


def test_a_new_model_version_creates_before_it_deletes() -> None:
    ops = operations(update("model-data"))
    assert ops["aws:sagemaker:Model recsys-prod-ranker-model-challenger"] == "replace, create first"
    assert ops["aws:sagemaker:EndpointConfiguration recsys-prod-ranker-config"] == "replace, create first"
    assert ops["aws-native:sagemaker:Endpoint recsys-prod-ranker-endpoint"] == "update"
    endpoint = update("model-data").by_name("aws-native:sagemaker:Endpoint", "recsys-prod-ranker-endpoint")
    assert endpoint.diff_reasons == ("endpointConfigName",)


def test_a_new_variant_changes_the_rollback_alarms_in_place() -> None:
    ops = operations(update("add-variant"))
    assert ops["aws:cloudwatch:MetricAlarm recsys-prod-ranker-candidate-p99-latency"] == "create"
    endpoint = update("add-variant").by_name("aws-native:sagemaker:Endpoint", "recsys-prod-ranker-endpoint")
    assert endpoint.op == "update"
    assert any(r.startswith("deploymentConfig.autoRollbackConfiguration") for r in endpoint.diff_reasons)


def test_rollout_and_alarm_edits_touch_only_what_they_name() -> None:
    assert operations(update("bake-time")) == {"aws-native:sagemaker:Endpoint recsys-prod-ranker-endpoint": "update"}
    assert set(operations(update("latency-threshold")).values()) == {"update"}
    assert operations(update("monitor-schedule")) == {
        "aws:sagemaker:MonitoringSchedule recsys-prod-ranker-data-schedule": "update"
    }


def test_immutable_monitors_get_a_new_definition_before_the_old_one_goes() -> None:
    plan = update("monitor-baseline")
    job = plan.by_name("aws-native:sagemaker:ModelQualityJobDefinition", "recsys-prod-fraud-quality-job")
    assert (job.op, job.delete_before_replace) == ("replace", False)
    assert "jobDefinitionName" in job.replace_reasons
    schedule = plan.by_name("aws:sagemaker/monitoringSchedule:MonitoringSchedule", "recsys-prod-fraud-quality-schedule")
    assert schedule.op == "update"


def test_readme_holds_the_catalogue() -> None:
    table = markdown_table({edit.key: operations(update(edit.key)) for edit in EDITS})
    text = README.read_text(encoding="utf-8")
    section = re.search(r"<!-- change-catalogue -->\n(.*?)<!-- /change-catalogue -->", text, re.S)
    assert section is not None, "README lacks the change catalogue markers"
    assert section.group(1) == table, "README's catalogue is stale: paste tests.change_catalogue.markdown_table()"
