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


# --- inference components, asynchronous endpoints, serial pipelines ------------------------------------

COMPONENT = "aws-native:sagemaker:InferenceComponent"
NATIVE_ENDPOINT = "aws-native:sagemaker:Endpoint"
TF_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
TF_MODEL = "aws:sagemaker/model:Model"
SMALL = "assistants-prod-small-models"


def _untouched(plan: UpdatePlan, resource_type: str, name: str) -> None:
    assert plan.by_name(resource_type, name).op == "same", (resource_type, name)


@pytest.mark.parametrize("key", ["component-copies-max", "component-copies-min"])
def test_component_copy_counts_leave_the_endpoint_its_configuration_and_the_models_alone(key: str) -> None:
    plan = update(key)
    _untouched(plan, NATIVE_ENDPOINT, f"{SMALL}-endpoint")
    _untouched(plan, TF_CONFIG, f"{SMALL}-config")
    for model in ("intent", "sentiment", "toxicity"):
        _untouched(plan, TF_MODEL, f"{SMALL}-model-{model}")
    target = plan.by_name("aws:appautoscaling/target:Target", f"{SMALL}-intent-scaling-target")
    assert target.op == "update"


def test_component_copy_counts_update_only_the_scaling_target() -> None:
    # The component is created with one copy and its CopyCount never changes: an update that sent it
    # would reset the live, autoscaled count. Application Auto Scaling scales out to a raised minimum.
    for key in ("component-copies-max", "component-copies-min"):
        assert operations(update(key)) == {f"aws:appautoscaling:Target {SMALL}-intent-scaling-target": "update"}
        assert update(key).by_name(COMPONENT, f"{SMALL}-intent").op == "same"


def test_a_component_model_version_rolls_the_component_and_leaves_the_endpoint_alone() -> None:
    plan = update("component-model-data")
    assert operations(plan) == {
        f"aws-native:sagemaker:InferenceComponent {SMALL}-intent": "update",
        "aws:iam:RolePolicy assistants-prod-execution-policy": "update",
        f"aws:sagemaker:Model {SMALL}-model-intent": "replace, create first",
    }
    model = plan.by_name(TF_MODEL, f"{SMALL}-model-intent")
    assert "name" in model.replace_reasons and not model.delete_before_replace
    assert plan.by_name(COMPONENT, f"{SMALL}-intent").diff_reasons == ("specification.modelName",)
    _untouched(plan, NATIVE_ENDPOINT, f"{SMALL}-endpoint")
    _untouched(plan, TF_CONFIG, f"{SMALL}-config")


def test_the_fleet_ceiling_is_a_new_configuration_and_an_endpoint_update() -> None:
    plan = update("fleet-max-instances")
    assert operations(plan) == {
        f"aws-native:sagemaker:Endpoint {SMALL}-endpoint": "update",
        f"aws:sagemaker:EndpointConfiguration {SMALL}-config": "replace, create first",
    }
    assert plan.by_name(NATIVE_ENDPOINT, f"{SMALL}-endpoint").diff_reasons == ("endpointConfigName",)
    for component in ("intent", "sentiment", "toxicity"):
        _untouched(plan, COMPONENT, f"{SMALL}-{component}")


def test_async_edits_are_a_new_configuration_and_an_endpoint_update() -> None:
    assert operations(update("async-concurrency")) == {
        "aws-native:sagemaker:Endpoint docs-prod-extractor-endpoint": "update",
        "aws:sagemaker:EndpointConfiguration docs-prod-extractor-config": "replace, create first",
    }
    plan = update("async-success-notifications")
    assert operations(plan) == {
        "aws-native:sagemaker:Endpoint docs-prod-extractor-endpoint": "update",
        "aws:iam:RolePolicy docs-prod-execution-policy": "update",
        "aws:sagemaker:EndpointConfiguration docs-prod-extractor-config": "replace, create first",
        "aws:sns:Topic docs-prod-extractor-async-success": "create",
    }
    config = plan.by_name(TF_CONFIG, "docs-prod-extractor-config")
    assert "asyncInferenceConfig.outputConfig.notificationConfig.successTopic" in config.diff_reasons


def test_a_pipeline_step_image_replaces_the_model_first_and_updates_the_endpoint() -> None:
    plan = update("pipeline-step-image")
    assert operations(plan) == {
        "aws-native:sagemaker:Endpoint payments-prod-screening-endpoint": "update",
        "aws:sagemaker:EndpointConfiguration payments-prod-screening-config": "replace, create first",
        "aws:sagemaker:Model payments-prod-screening-model-scorer": "replace, create first",
    }
    model = plan.by_name(TF_MODEL, "payments-prod-screening-model-scorer")
    assert set(model.replace_reasons) == {"containers", "name"}
