"""The `mlstack` command as users run it: exit codes, output, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import BASE, EXAMPLES, REPO, WriteBlueprint


def mlstack(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlstack", *args], capture_output=True, text=True, cwd=REPO, check=False
    )


def test_plan_prints_a_tree_with_counts() -> None:
    result = mlstack("plan", str(EXAMPLES / "recsys.yaml"), "--env", "prod")
    assert result.returncode == 0, result.stderr
    assert "stack recsys-prod:" in result.stdout
    assert "ModelEndpoint recsys-prod-ranker" in result.stdout
    assert "champion: 2x ml.g5.xlarge, 1 GPU each, 90% of traffic" in result.stdout
    assert "shadow candidate: 1x ml.c6i.xlarge, copy of 100%" in result.stdout
    assert "rollout canary 10%, bake 10 min, rolls back on 3 alarms" in result.stdout
    assert "main: 1x ml.g6.12xlarge, 4 GPUs each, 100% of traffic" in result.stdout
    assert "distilbert: serverless 4096 MB, max concurrency 20" in result.stdout


def test_plan_json_to_file(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    result = mlstack("plan", str(EXAMPLES / "recsys.yaml"), "--env", "dev", "--output", str(target))
    assert result.returncode == 0, result.stderr
    document = json.loads(target.read_text())
    assert document["steps"][0]["newState"]["type"] == "pulumi:pulumi:Stack"


def test_invalid_blueprint_exits_2_with_every_problem_and_no_traceback(write_blueprint: WriteBlueprint) -> None:
    text = (
        BASE.replace("cost_center: CC-4312", "cost_centre: CC-4312")
        .replace("model: challenger,", "model: challenjer,")
        .replace("variants.champion.instances", "variants.champ.instances")
    )
    path = write_blueprint(text)
    for command in (["validate", str(path)], ["plan", str(path), "--env", "dev"]):
        result = mlstack(*command)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        assert f"{path}:4:1: cost_centre: unknown field 'cost_centre'; did you mean 'cost_center'?" in result.stderr
        assert f"{path}:27:28: endpoints.ranker.variants.challenger.model:" in result.stderr
        assert f"{path}:9:7: environments.dev.overrides:" in result.stderr
        assert "4 problems found" in result.stderr
    # Nothing was written for a plan that failed.
    assert not (REPO / "plan.json").exists()


def test_failed_plan_writes_no_partial_output(write_blueprint: WriteBlueprint, tmp_path: Path) -> None:
    target = tmp_path / "out" / "plan.json"
    path = write_blueprint(BASE.replace("ml.g5.xlarge", "ml.g5.xlarg"))
    result = mlstack("plan", str(path), "--env", "prod", "--output", str(target))
    assert result.returncode == 2
    assert not target.exists()


def test_validate_one_environment() -> None:
    result = mlstack("validate", str(EXAMPLES / "recsys.yaml"), "--env", "prod")
    assert result.returncode == 0
    assert result.stdout.strip().endswith("valid for prod")


def test_schema_is_committed_and_fresh() -> None:
    result = mlstack("schema", "--check")
    assert result.returncode == 0, f"{result.stderr} (run `uv run mlstack schema`)"
    schema = json.loads((REPO / "blueprints" / "schema.json").read_text())
    assert schema["additionalProperties"] is False
    assert "endpoints" in schema["properties"]
