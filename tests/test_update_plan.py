"""`mlstack plan/check --base`: operations against a deployed stack, its input files, and the update rules."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlstack.policies.offline import evaluate, from_plan
from mlstack.policies.settings import PolicySettings
from mlstack.policies.updates import RULES as UPDATE_RULES
from mlstack.stack.plan.engine import UNKNOWN_TEXT, Plan
from mlstack.stack.plan.lifecycle import BaseResource, base_from_plan, read_base_file, update_plan
from mlstack.stack.plan.preview_json import preview_json
from tests.change_catalogue import original, plan_blueprint
from tests.conftest import EXAMPLES, REPO

RECSYS = EXAMPLES / "recsys.yaml"
ENDPOINT = "aws-native:sagemaker:Endpoint"
CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
MODEL = "aws:sagemaker/model:Model"
PROD = PolicySettings(environment="prod")


def mlstack(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlstack", *args], capture_output=True, text=True, cwd=REPO, check=False
    )


def write_edited(tmp_path: Path, edit: Any) -> Path:
    blueprint = original()
    edit(blueprint)
    path = tmp_path / "recsys.yaml"
    path.write_text(yaml.safe_dump(blueprint, sort_keys=False), encoding="utf-8")
    return path


def reweigh(blueprint: dict[str, Any]) -> None:
    blueprint["endpoints"][0]["variants"][1]["weight"] = 20


def drop_challenger(blueprint: dict[str, Any]) -> None:
    ranker = blueprint["endpoints"][0]
    ranker["variants"] = [v for v in ranker["variants"] if v["name"] != "challenger"]
    del ranker["models"]["challenger"]


@pytest.fixture(scope="module")
def prod_plan() -> Plan:
    return plan_blueprint(original())


def test_an_unchanged_tree_against_head_is_all_same() -> None:
    result = mlstack("plan", str(RECSYS), "--env", "prod", "--base", "HEAD", "--json")
    assert result.returncode == 0, result.stderr
    steps = json.loads(result.stdout)["steps"]
    assert len(steps) > 80
    assert {step["op"] for step in steps} == {"same"}
    text = mlstack("plan", str(RECSYS), "--env", "prod", "--base", "HEAD")
    custom = sum(1 for step in steps if step["newState"]["custom"])
    assert f"against HEAD (prod): {custom} unchanged" in text.stdout and "REPLACE" not in text.stdout


def test_base_plan_json_shows_pulumi_preview_steps(tmp_path: Path, prod_plan: Plan) -> None:
    base = tmp_path / "base.json"
    base.write_text(preview_json(prod_plan), encoding="utf-8")
    result = mlstack("plan", str(write_edited(tmp_path, reweigh)), "--env", "prod", "--base-plan", str(base), "--json")
    assert result.returncode == 0, result.stderr
    steps = {step["urn"].rsplit("::", 1)[-1]: step for step in json.loads(result.stdout)["steps"]}
    config = steps["recsys-prod-ranker-config"]
    assert config["op"] == "replace"
    assert config["deleteBeforeReplace"] is False
    assert "productionVariants" in config["replaceReasons"]
    assert "productionVariants[1].initialVariantWeight" in config["diffReasons"]
    assert config["oldState"]["inputs"]["name"] != config["newState"]["inputs"]["name"]
    endpoint = steps["recsys-prod-ranker-endpoint"]
    assert (endpoint["op"], endpoint["diffReasons"]) == ("update", ["endpointConfigName"])
    assert "replaceReasons" not in endpoint
    ops = {
        step["op"]
        for name, step in steps.items()
        if name not in ("recsys-prod-ranker-config", "recsys-prod-ranker-endpoint")
    }
    assert ops == {"same"}


def _deployed(value: Any, *, wire_numbers: bool = False) -> Any:
    """A planned value as the provider filled it in: unknowns become real ids (and ints floats, on the wire)."""
    if value == UNKNOWN_TEXT:
        return "arn:aws:sagemaker:eu-west-1:000000000000:deployed/thing"
    if isinstance(value, dict):
        return {k: _deployed(v, wire_numbers=wire_numbers) for k, v in value.items()}
    if isinstance(value, list):
        return [_deployed(v, wire_numbers=wire_numbers) for v in value]
    if wire_numbers and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _stack_export(plan: Plan) -> dict[str, Any]:
    """The plan as `pulumi stack export` holds a deployed stack: real ids, secrets wrapped, bookkeeping keys."""

    stack_urn = f"urn:pulumi:{plan.stack}::mlstack::pulumi:pulumi:Stack::mlstack-{plan.stack}"
    resources: list[dict[str, Any]] = [{"urn": stack_urn, "type": "pulumi:pulumi:Stack", "custom": False}]
    for resource in plan.resources:
        inputs = {**_deployed(dict(resource.inputs), wire_numbers=True), "__defaults": []}
        resources.append(
            {
                "urn": resource.urn,
                "type": resource.type,
                "custom": resource.custom,
                "inputs": inputs,
                "parent": resource.parent or stack_urn,
                "dependencies": list(resource.dependencies),
            }
        )
    return {"version": 3, "deployment": {"manifest": {}, "resources": resources}}


def test_a_stack_export_of_the_same_platform_is_all_same(tmp_path: Path, prod_plan: Plan) -> None:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(_stack_export(prod_plan)), encoding="utf-8")
    update = update_plan(read_base_file(path), prod_plan, "export")
    assert not update.changed, [(s.name, s.op, s.diff_reasons) for s in update.steps if s.op != "same"]


def test_provider_computed_values_change_only_where_their_source_is_replaced(prod_plan: Plan) -> None:
    """The deployed values behind `(known after apply)` count as unchanged unless what they come from changes."""
    deployed = [dataclasses.replace(r, inputs=_deployed(r.inputs)) for r in base_from_plan(prod_plan)]
    assert not update_plan(deployed, prod_plan, "deployed").changed
    # A replaced key gets a new ARN: whatever names it and cannot change it in place is replaced too.
    key = next(r for r in prod_plan.resources if r.type == "aws:kms/key:Key")
    other_key = [
        dataclasses.replace(r, inputs={**r.inputs, "keyUsage": "SIGN_VERIFY"}) if r.urn == key.urn else r
        for r in deployed
    ]
    update = update_plan(other_key, prod_plan, "deployed")
    assert update.step(key.urn).op == "replace"
    config = update.by_name(CONFIG, "recsys-prod-ranker-config")
    assert config.op == "replace" and "dataCaptureConfig" in config.replace_reasons
    # Far from the key, nothing moves.
    assert update.by_name("aws:cloudwatch/dashboard:Dashboard", "recsys-prod-dashboard").op == "same"


def _deps(plan: Plan, urn: str) -> tuple[str, ...]:
    return next(r.dependencies for r in plan.resources if r.urn == urn)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not JSON"),
        ('{"resources": []}', "neither an `mlstack plan --json` output"),
        ('{"steps": [1]}', "steps[].newState item 0 is not a resource"),
        ('{"deployment": {"resources": [{"type": 5}]}}', "deployment.resources[] item 0 is not a resource"),
        ("[" * 100000, "not JSON"),
    ],
)
def test_a_bad_base_plan_is_invalid_input(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "base.json"
    path.write_text(content, encoding="utf-8")
    result = mlstack("plan", str(RECSYS), "--env", "prod", "--base-plan", str(path))
    assert result.returncode == 2, result.stderr
    assert str(path) in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr


def test_base_and_base_plan_together_or_a_missing_file_are_invalid_input(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    both = mlstack("plan", str(RECSYS), "--env", "prod", "--base", "HEAD", "--base-plan", str(missing))
    assert both.returncode == 2 and "not both" in both.stderr
    gone = mlstack("plan", str(RECSYS), "--env", "prod", "--base-plan", str(missing))
    assert gone.returncode == 2 and "cannot read file" in gone.stderr
    unknown = mlstack("plan", str(RECSYS), "--env", "prod", "--base", "no-such-revision")
    assert unknown.returncode == 2 and "unknown git revision" in unknown.stderr


def test_check_with_a_base_fails_an_update_aws_would_refuse(tmp_path: Path, prod_plan: Plan) -> None:
    base = tmp_path / "base.json"
    base.write_text(preview_json(prod_plan), encoding="utf-8")
    report = tmp_path / "report.json"
    blueprint = write_edited(tmp_path, drop_challenger)
    args = ("check", str(blueprint), "--env", "prod", "--format", "json", "-o", str(report))
    result = mlstack(*args, "--base-plan", str(base))
    assert result.returncode == 1, result.stderr
    blocking = [
        f for f in json.loads(report.read_text())["findings"] if f["level"] == "mandatory" and not f["suppressed"]
    ]
    assert [f["rule"] for f in blocking] == ["update-autoscaled-variant-change"]
    assert "removes variant challenger" in blocking[0]["message"]
    # Without a base there is no update to judge: the same blueprint passes.
    assert mlstack(*args).returncode == 0
    # Outside prod the update rules are advisory.
    staging = tmp_path / "staging.json"
    staging.write_text(preview_json(plan_blueprint(original(), "staging")), encoding="utf-8")
    assert mlstack("check", str(blueprint), "--env", "staging", "--base-plan", str(staging)).returncode == 0


def test_text_plan_marks_replacements_and_updates(tmp_path: Path, prod_plan: Plan) -> None:
    base = tmp_path / "base.json"
    base.write_text(preview_json(prod_plan), encoding="utf-8")
    result = mlstack("plan", str(write_edited(tmp_path, reweigh)), "--env", "prod", "--base-plan", str(base))
    assert result.returncode == 0, result.stderr
    custom = sum(1 for r in prod_plan.resources if r.custom)
    assert f"1 to update, 1 to replace (0 deleted first), {custom - 2} unchanged" in result.stdout
    assert "+/- REPLACE aws:sagemaker:EndpointConfiguration  recsys-prod-ranker-config" in result.stdout
    assert "replaced because name, productionVariants changed; created first" in result.stdout
    assert "~ aws-native:sagemaker:Endpoint  recsys-prod-ranker-endpoint" in result.stdout


# --- the update rules, each with a passing and a failing update -------------------------------------


def _fired(update: Any) -> set[str]:
    report = evaluate(from_plan(update.plan), PROD, UPDATE_RULES, update=update)
    return {f.rule for f in report.findings if f.blocking}


def test_a_renamed_endpoint_fails_update_keeps_endpoints(prod_plan: Plan) -> None:
    base = [
        dataclasses.replace(r, inputs={**r.inputs, "endpointName": "recsys-prod-old-ranker"})
        if r.type == ENDPOINT and r.name == "recsys-prod-ranker-endpoint"
        else r
        for r in base_from_plan(prod_plan)
    ]
    update = update_plan(base, prod_plan, "deployed")
    step = update.by_name(ENDPOINT, "recsys-prod-ranker-endpoint")
    assert (step.op, step.replace_reasons, step.delete_before_replace) == ("replace", ("endpointName",), True)
    # aws-native deletes first, while the endpoint's alarms and scaling targets still refer to it.
    assert _fired(update) == {"update-keeps-endpoints", "update-no-delete-before-replace-in-use"}
    assert _fired(update_plan(base_from_plan(prod_plan), prod_plan, "same")) == set()


def test_a_deleted_endpoint_fails_update_keeps_endpoints(prod_plan: Plan) -> None:
    without = plan_blueprint({**original(), "endpoints": original()["endpoints"][:3]})
    update = update_plan(base_from_plan(prod_plan), without, "deployed")
    assert update.by_name(ENDPOINT, "recsys-prod-intent-classifier-endpoint").op == "delete"
    assert "update-keeps-endpoints" in _fired(update)


def test_a_model_deleted_before_its_replacement_fails_the_in_use_rule(tmp_path: Path, prod_plan: Plan) -> None:
    blueprint = original()
    blueprint["endpoints"][0]["models"]["challenger"]["model_data"] = "s3://recsys-artifacts/ranker/v14/model.tar.gz"
    head = plan_blueprint(blueprint)
    assert _fired(update_plan(base_from_plan(prod_plan), head, "deployed")) == set()
    # Without the program's delete_before_replace=False the bridge deletes the named model first.
    bridge_default = dataclasses.replace(
        head,
        resources=tuple(
            dataclasses.replace(r, options={k: v for k, v in r.options.items() if k != "deleteBeforeReplace"})
            for r in head.resources
        ),
    )
    update = update_plan(base_from_plan(prod_plan), bridge_default, "deployed")
    model = update.by_name(MODEL, "recsys-prod-ranker-model-challenger")
    assert model.delete_before_replace and model.dependents
    assert _fired(update) == {"update-no-delete-before-replace-in-use"}


def test_base_resources_keep_their_stack_parent_out(tmp_path: Path, prod_plan: Plan) -> None:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(_stack_export(prod_plan)), encoding="utf-8")
    loaded: list[BaseResource] = read_base_file(path)
    assert all(r.type != "pulumi:pulumi:Stack" for r in loaded)
    top = [r for r in loaded if r.parent is None]
    assert {r.urn for r in top} == {r.urn for r in prod_plan.resources if r.parent is None}
