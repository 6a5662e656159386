"""The `kubernetes:` section: the reference's fields, and every mistake reported at its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlstack.blueprints.errors import BlueprintInvalid
from mlstack.blueprints.load import load, load_for_environment
from mlstack.blueprints.rules.kubernetes import cron_problem
from tests.conftest import EXAMPLES, WriteBlueprint, line_of, only_problem

REFERENCE = Path(__file__).resolve().parent / "data" / "reference.yaml"
# The reference's Kubernetes section, on the example platform that plans today.
SECTION = REFERENCE.read_text(encoding="utf-8").split("kubernetes:", 1)[1].split("\n\npolicies:", 1)[0]
BASE = (EXAMPLES / "recsys.yaml").read_text(encoding="utf-8")
if "\nkubernetes:" not in BASE:
    BASE = BASE.replace("\npolicies:", "\nkubernetes:" + SECTION + "\n\npolicies:", 1)


def test_the_reference_blueprint_validates_unchanged_for_every_environment() -> None:
    blueprint = load(REFERENCE)
    assert blueprint.kubernetes is not None
    assert [s.name for s in blueprint.kubernetes.services] == ["gnn-scorer"]
    for environment in blueprint.environments:
        load_for_environment(REFERENCE, environment)


def test_min_replicas_above_max(write_blueprint: WriteBlueprint) -> None:
    text = BASE.replace("replicas: {min: 2, max: 6}", "replicas: {min: 7, max: 6}")
    found = only_problem(write_blueprint, text)
    assert found.startswith(f"bp.yaml:{line_of(text, 'replicas: {min: 7, max: 6}')}:")
    assert found.endswith("kubernetes.services.gnn-scorer.replicas: replicas.min (7) is above replicas.max (6)")


def test_a_session_header_that_is_no_http_header(write_blueprint: WriteBlueprint) -> None:
    text = BASE.replace("session_affinity: {header: x-session-id}", 'session_affinity: {header: "x session id"}')
    found = only_problem(write_blueprint, text)
    assert found.startswith(f"bp.yaml:{line_of(text, 'x session id')}:")
    assert (
        "kubernetes.services.gnn-scorer.session_affinity.header: 'x session id' is not a valid HTTP header name"
        in found
    )


def test_a_drift_schedule_that_is_no_cron(write_blueprint: WriteBlueprint) -> None:
    text = BASE.replace('schedule: "0 * * * *"', 'schedule: "0 25 * * *"')
    found = only_problem(write_blueprint, text)
    assert found.startswith(f"bp.yaml:{line_of(text, '0 25 * * *')}:")
    assert found.endswith(
        "kubernetes.drift.intent-text-drift.schedule: schedule '0 25 * * *' is not a cron schedule: "
        "the hour '25' is outside 0-23"
    )


def test_a_service_named_like_an_endpoint(write_blueprint: WriteBlueprint) -> None:
    text = BASE.replace("- name: gnn-scorer ", "- name: ranker ")
    found = only_problem(write_blueprint, text)
    assert found.startswith(f"bp.yaml:{line_of(text, '# graph neural network scorer')}:")
    assert "kubernetes.services.ranker.name: 'ranker' is also an endpoint's name" in found


def test_cron_forms() -> None:
    for good in ("0 * * * *", "*/15 2-4 1,15 jan-mar mon-fri", "@hourly", "0 0 * * 7"):
        assert cron_problem(good) is None, good
    for bad, why in (("0 * * *", "needs 5 fields"), ("61 * * * *", "minute '61'"), ("0 0 * * foo", "'foo'")):
        problem = cron_problem(bad)
        assert problem is not None and why in problem, (bad, problem)


def test_mlflow_on_kubernetes_needs_the_section(write_blueprint: WriteBlueprint) -> None:
    text = (
        (EXAMPLES / "recsys.yaml")
        .read_text(encoding="utf-8")
        .replace("kind: sagemaker-mlflow", "kind: mlflow-on-kubernetes")
    )
    if "\nkubernetes:" in text:
        text = text.split("\nkubernetes:", 1)[0] + "\npolicies:" + text.split("\npolicies:", 1)[1]
    found = only_problem(write_blueprint, text)
    assert "experiment_tracking.kind: mlflow-on-kubernetes needs a `kubernetes:` section" in found


def test_mlflow_on_rds_needs_two_subnets(tmp_path: Path) -> None:
    # Found by tests/test_fuzz.py: the component refused it at plan time (exit 3).
    text = (EXAMPLES / "mlflow-kubernetes.yaml").read_text(encoding="utf-8")
    two = "subnet_ids: [subnet-0123456789abcdef1, subnet-0123456789abcdef2]"
    assert two in text
    one_subnet = text.replace(two, "subnet_ids: [subnet-0123456789abcdef2]")
    path = tmp_path / "mlflow.yaml"
    path.write_text(one_subnet, encoding="utf-8")
    with pytest.raises(BlueprintInvalid) as raised:
        load_for_environment(path, "prod")
    [problem] = raised.value.problems
    assert problem.path == "environments.prod.network.subnet_ids"
    assert "at least two availability zones" in problem.message
