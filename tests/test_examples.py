"""Every example blueprint validates and plans for each of its environments, deterministically."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlstack.blueprints.load import load
from mlstack.stack.plan import plan_file
from mlstack.stack.plan.preview_json import preview_json
from mlstack.stack.plan.render import plan_tree
from tests.conftest import EXAMPLES

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))
CASES = [(path, env) for path in EXAMPLE_FILES for env in load(path).environments]


def test_there_are_examples() -> None:
    assert len(EXAMPLE_FILES) >= 2


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_example_declares_the_schema_for_editors(path: Path) -> None:
    assert path.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=../schema.json\n")


@pytest.mark.parametrize(("path", "env"), CASES, ids=lambda v: v.name if isinstance(v, Path) else v)
def test_example_plans(path: Path, env: str) -> None:
    resolved, plan = plan_file(path, env)
    types = {r.type for r in plan.resources}
    assert {"mlstack:foundation:Foundation", "aws:kms/key:Key", "aws:s3/bucket:Bucket", "aws:iam/role:Role"} <= types
    endpoints = plan.by_type("aws-native:sagemaker:Endpoint")
    assert len(endpoints) == len(resolved.blueprint.endpoints)
    document = json.loads(preview_json(plan))
    assert {step["op"] for step in document["steps"]} == {"create"}
    assert all("type" in step["newState"] and "inputs" in step["newState"] for step in document["steps"])
    assert plan_tree(plan, "t").label


def test_plan_json_is_byte_identical_across_runs() -> None:
    path = EXAMPLES / "recsys.yaml"
    first = preview_json(plan_file(path, "prod")[1])
    for _ in range(3):
        assert preview_json(plan_file(path, "prod")[1]) == first


def test_reduced_reference_plans_every_environment() -> None:
    path = EXAMPLES / "recsys.yaml"
    counts = {}
    for env in ("dev", "staging", "prod"):
        _, plan = plan_file(path, env)
        counts[env] = sum(1 for r in plan.resources if r.custom)
        config = plan.get("aws:sagemaker/endpointConfiguration:EndpointConfiguration", f"recsys-{env}-ranker-config")
        weights = [v["initialVariantWeight"] for v in config.inputs["productionVariants"]]
        assert weights == [90, 10]
    # Same resources everywhere; prod differs in settings (VPC), not in what exists.
    assert len(set(counts.values())) == 1
