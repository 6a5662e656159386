from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# A nightly-sized fuzz run: `pytest tests/test_fuzz.py --hypothesis-profile=long`.
settings.register_profile("long", max_examples=1_000, deadline=None)

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "blueprints" / "examples"

# A valid blueprint in the reference's style; tests change one thing at a time.
BASE = """\
blueprint: recsys
team: personalization
owner: ml-platform@example.com
cost_center: CC-4312
region: eu-west-1
environments:
  dev:
    overrides:
      endpoints.ranker.variants.champion.instances: 1
  prod:
    network:
      vpc_id: vpc-0a1b2c3d4e5f60718
      subnet_ids: [subnet-0a1b2c3d4e5f60001]
      security_group_ids: [sg-0a1b2c3d4e5f60003]
endpoints:
  - name: ranker
    models:
      champion:
        framework: pytorch
        framework_version: "2.6"
        model_data: s3://recsys-artifacts/ranker/v12/model.tar.gz
      challenger:
        image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/ranker:13
        model_data: s3://recsys-artifacts/ranker/v13/model.tar.gz
    variants:
      - {name: champion, model: champion, instance_type: ml.g5.xlarge, instances: 2, weight: 90}
      - {name: challenger, model: challenger, instance_type: ml.c6i.xlarge, instances: 1, weight: 10}
"""

WriteBlueprint = Callable[[str], Path]


@pytest.fixture
def write_blueprint(tmp_path: Path) -> WriteBlueprint:
    """Write YAML text (dedented) to a file and return its path."""

    def write(text: str) -> Path:
        path = tmp_path / "blueprint.yaml"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


def line_of(text: str, needle: str) -> int:
    """1-based line of the only occurrence of `needle` in `text`."""
    assert text.count(needle) == 1, f"{needle!r} is not unique"
    return text[: text.index(needle)].count("\n") + 1


def problems(path: Path, environment: str | None = None) -> list[str]:
    """Every problem loading `path` reports, with the file shown as `bp.yaml`."""
    from mlstack.blueprints.errors import BlueprintInvalid
    from mlstack.blueprints.load import load, load_for_environment

    with pytest.raises(BlueprintInvalid) as raised:
        if environment:
            load_for_environment(path, environment)
        else:
            load(path)
    return [str(p).replace(str(path), "bp.yaml") for p in raised.value.problems]


def only_problem(write_blueprint: WriteBlueprint, text: str) -> str:
    """The single problem `text` has; fails if there are none or several."""
    found = problems(write_blueprint(text))
    assert len(found) == 1, found
    return found[0]


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """mlstack wraps its output to the terminal (COLUMNS): tests that look for whole lines read a
    wide one. The width behaviour itself is tested with an explicit COLUMNS (test_findings_output.py).
    Per test, so pytest's own report keeps the real width."""
    monkeypatch.setenv("COLUMNS", "1000")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The fuzz tests' outcomes by command and exit code, for the closing notes of long runs."""
    fuzz = sys.modules.get("tests.test_fuzz")
    outcomes = getattr(fuzz, "OUTCOMES", None)
    if outcomes:
        tally = ", ".join(f"{key}: {count}" for key, count in sorted(outcomes.items()))
        terminalreporter.write_line(f"fuzz outcomes: {tally}")
