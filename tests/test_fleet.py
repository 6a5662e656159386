"""Many stacks in one run (`plan|check|cost FILE... --all-envs / --env ... --jobs N`): each stack's
output is byte-identical to running it alone, and the exit code is the worst of any."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlstack.stack.cli.app import app
from tests.conftest import REPO

EXAMPLES = REPO / "blueprints" / "examples"
FLEET = [EXAMPLES / "ab-test.yaml", EXAMPLES / "serverless.yaml", EXAMPLES / "fraud-minimal.yaml"]


def mlstack(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _environments(file: Path) -> list[str]:
    import yaml

    return list(yaml.safe_load(file.read_text())["environments"])


def _blueprint(file: Path) -> str:
    import yaml

    return str(yaml.safe_load(file.read_text())["blueprint"])


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_fleet_plan_writes_what_each_plan_alone_writes(tmp_path: Path, jobs: str) -> None:
    # Two jobs over six stacks runs worker processes; one job plans them all in this process.
    code, stdout, stderr = mlstack(
        "plan", *map(str, FLEET), "--all-envs", "--jobs", jobs, "-o", str(tmp_path / "fleet")
    )
    assert code == 0, stderr
    stacks = [(file, env) for file in FLEET for env in _environments(file)]
    assert len(stacks) >= 6
    assert sorted(p.name for p in (tmp_path / "fleet").iterdir()) == sorted(
        f"{_blueprint(file)}-{env}.json" for file, env in stacks
    )
    for file, env in stacks:
        alone = tmp_path / "alone.json"
        assert mlstack("plan", str(file), "--env", env, "-o", str(alone))[0] == 0
        fleet = tmp_path / "fleet" / f"{_blueprint(file)}-{env}.json"
        assert fleet.read_bytes() == alone.read_bytes(), f"{file.name} {env}"
    # The report names every stack in the order given, and counts them.
    headers = [line for line in stdout.splitlines() if line.startswith("== ")]
    assert [h.split()[1] for h in headers] == [f"{_blueprint(file)}-{env}" for file, env in stacks]
    assert f"{len(stacks)} stacks: {len(stacks)} done; exit 0" in stderr


def test_a_fleet_check_exits_with_the_worst_stack(tmp_path: Path) -> None:
    # The A/B example without its alarms: prod's endpoint alarm rule is mandatory.
    insecure = tmp_path / "unsafe.yaml"
    text = (EXAMPLES / "ab-test.yaml").read_text().replace("blueprint: abtest", "blueprint: unsafe")
    insecure.write_text("".join(line for line in text.splitlines(keepends=True) if "alarms:" not in line))
    broken = tmp_path / "broken.yaml"
    broken.write_text("blueprint: broken\nteam: [\n")
    code, stdout, stderr = mlstack("check", str(EXAMPLES / "ab-test.yaml"), str(insecure), "--env", "prod")
    assert code == 1, stdout + stderr
    assert "2 stacks: 1 done, 1 findings; exit 1" in stderr
    code, _, stderr = mlstack("check", str(EXAMPLES / "ab-test.yaml"), str(insecure), str(broken), "--env", "prod")
    assert code == 2
    assert "3 stacks: 1 done, 1 findings, 1 invalid input; exit 2" in stderr
    # Per-stack reports in a directory, in the format asked for.
    code, _, _ = mlstack(
        "check", str(EXAMPLES / "ab-test.yaml"), "--all-envs", "--format", "sarif", "-o", str(tmp_path / "sarif")
    )
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "sarif").iterdir()) == ["abtest-dev.sarif", "abtest-prod.sarif"]
    alone = tmp_path / "alone.sarif"
    assert (
        mlstack("check", str(EXAMPLES / "ab-test.yaml"), "--env", "prod", "--format", "sarif", "-o", str(alone))[0] == 0
    )
    assert (tmp_path / "sarif" / "abtest-prod.sarif").read_bytes() == alone.read_bytes()


def test_a_fleet_cost_writes_each_estimate(tmp_path: Path) -> None:
    code, _, stderr = mlstack("cost", str(EXAMPLES / "serverless.yaml"), "--all-envs", "-o", str(tmp_path))
    assert code == 0, stderr
    for env in _environments(EXAMPLES / "serverless.yaml"):
        _, alone, _ = mlstack("cost", str(EXAMPLES / "serverless.yaml"), "--env", env, "--json")
        assert (tmp_path / f"{_blueprint(EXAMPLES / 'serverless.yaml')}-{env}.json").read_text() == alone


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("plan", str(FLEET[0]), "--all-envs", "--env", "prod"), "mlstack: --all-envs: give --all-envs or --env"),
        (("plan", str(FLEET[0]), str(FLEET[1])), "mlstack: --env: name the environment (repeatable)"),
        (("plan", str(FLEET[0]), "--all-envs", "--json"), "mlstack: --json: many stacks print one JSON document"),
        (("plan", str(FLEET[0]), str(FLEET[0]), "--env", "prod"), None),
        (("check", str(FLEET[0]), "--all-envs", "--format", "html"), "mlstack: --format: must be one of"),
        (("plan", str(FLEET[0])), "mlstack: --env: name the environment"),
    ],
)
def test_bad_fleet_flags(args: tuple[str, ...], message: str | None) -> None:
    code, _, stderr = mlstack(*args)
    if message is None:
        # The same file twice is the same stacks twice: planned twice, not refused.
        assert code == 0
        return
    assert code == 2
    assert message in stderr
