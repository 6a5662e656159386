"""The README's example of the components used without a blueprint plans under the offline mocks."""

from __future__ import annotations

import re
from collections import Counter

from mlstack.stack.plan.engine import run_offline
from tests.conftest import REPO

MARKER = "<!-- components-example -->"


def _example() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    after = readme[readme.index(MARKER) + len(MARKER) :]
    block = re.match(r"\s*```python\n(.*?)```", after, re.S)
    assert block is not None, "the marker is not followed by a Python block"
    return block.group(1)


def test_the_example_is_short() -> None:
    # Thirty lines of program, besides its imports and blank lines (ruff formats the block).
    body = [line for line in _example().splitlines() if line.strip() and not line.startswith(("import ", "from "))]
    assert len(body) <= 30


def test_the_components_example_plans() -> None:
    code = compile(_example(), "README.md#components-example", "exec")

    def program() -> dict[str, object]:
        exec(code, {"__name__": "__main__"})
        return {}

    plan = run_offline(program, project="search", stack="search-prod", region="eu-west-1")  # type: ignore[arg-type]
    kinds = Counter(resource.type for resource in plan.resources)
    assert kinds["aws-native:sagemaker:Endpoint"] == 1
    assert kinds["aws:sagemaker/model:Model"] == 1
    assert kinds["aws:cloudwatch/metricAlarm:MetricAlarm"] == 2
    assert kinds["aws:kms/key:Key"] == 1 and kinds["aws:iam/role:Role"] == 1
    endpoint = plan.by_type("aws-native:sagemaker:Endpoint")[0]
    assert endpoint.inputs["endpointName"] == "search-prod-ranker"
    role_policy = str(plan.by_type("aws:iam/rolePolicy:RolePolicy")[0].inputs["policy"])
    assert "search-models" in role_policy  # the role may read the model it serves
