"""`mlstack init`: what it writes validates, plans and passes the policy pack, from the source
tree and from the package installed in a fresh environment as a team would install it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from typer.testing import CliRunner

from mlstack.stack.cli.app import app
from mlstack.stack.scaffold import COMPONENTS
from tests.conftest import REPO

ALL = ",".join(COMPONENTS)


def mlstack(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    "components", [ALL, "endpoints", "feature-store", "tracking", "monitoring", "kubernetes", "endpoints,feedback"]
)
def test_what_init_writes_validates_plans_and_passes_the_policy_pack(tmp_path: Path, components: str) -> None:
    code, stdout, stderr = mlstack(
        "init", str(tmp_path), "--blueprint", "search", "--region", "eu-central-1", "--with", components,
        "--environments", "dev,staging,prod",
    )  # fmt: skip
    assert code == 0, stderr
    blueprint = tmp_path / "blueprint.yaml"
    for env in ("dev", "staging", "prod"):
        assert (tmp_path / f"Pulumi.search-{env}.yaml").is_file()
        code, _, stderr = mlstack("plan", str(blueprint), "--env", env, "--json")
        assert code == 0, stderr
    code, stdout, stderr = mlstack("check", str(blueprint), "--env", "prod")
    assert code == 0, stdout + stderr
    assert "0 mandatory" in stdout
    data = yaml.safe_load(blueprint.read_text())
    sections = {
        "endpoints": "endpoints",
        "feature-store": "feature_store",
        "tracking": "experiment_tracking",
        "monitoring": "monitoring",
        "feedback": "feedback",
        "kubernetes": "kubernetes",
    }
    chosen = components.split(",")
    # An endpoint's alarms page on-call, so endpoints bring monitoring's on-call with them.
    expected = {key for name, key in sections.items() if name in chosen} | (
        {"monitoring"} if "endpoints" in chosen else set()
    )
    assert expected == set(data) & set(sections.values())


def test_the_repository_files(tmp_path: Path) -> None:
    code, _, stderr = mlstack("init", str(tmp_path), "--blueprint", "search", "--team", "Search: ranking #1")
    assert code == 0, stderr
    text = (tmp_path / "blueprint.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    assert yaml.safe_load(text)["team"] == "Search: ranking #1"  # quoted, not YAML syntax
    project = yaml.safe_load((tmp_path / "Pulumi.yaml").read_text())
    assert project["runtime"]["name"] == "python" and project["main"] == "__main__.py"
    stack = yaml.safe_load((tmp_path / "Pulumi.search-prod.yaml").read_text())
    assert stack["config"] == {"mlstack:blueprint": "blueprint.yaml", "mlstack:environment": "prod"}
    compile((tmp_path / "__main__.py").read_text(), "__main__.py", "exec")
    pyproject = tomllib.loads((tmp_path / "pyproject.toml").read_text())
    [requirement] = pyproject["project"]["dependencies"]
    assert Requirement(requirement).name == "mlstack"
    workflow = yaml.safe_load((tmp_path / ".github" / "workflows" / "mlstack.yml").read_text())
    steps = " ".join(str(step.get("run", "")) for step in workflow["jobs"]["check"]["steps"])
    for command in ("mlstack validate", "mlstack plan", "mlstack cost", "mlstack diff", "mlstack check"):
        assert command in steps
    assert "--format sarif" in steps
    assert "--all-envs" in steps
    assert "for env in dev prod; do" in steps
    assert "uv run mlstack plan blueprint.yaml --env dev" in (tmp_path / "README.md").read_text()
    assert oct((tmp_path / "blueprint.yaml").stat().st_mode & 0o777) != "0o600"


def test_it_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("ours\n")
    code, _, stderr = mlstack("init", str(tmp_path))
    assert code == 2
    assert "already has README.md; nothing written (pass --force to overwrite)" in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md"]
    assert (tmp_path / "README.md").read_text() == "ours\n"
    code, _, _ = mlstack("init", str(tmp_path), "--force")
    assert code == 0 and (tmp_path / "README.md").read_text() != "ours\n"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--with", "endpoints,gpus"), "--with: unknown component 'gpus'; choose from endpoints,"),
        (("--with", "feedback"), "--with: feedback needs endpoints"),
        (("--region", "eu-nowhere-1"), "--region: SageMaker has no region 'eu-nowhere-1'"),
        (("--owner", "nobody"), "--owner: 'nobody' is not valid here"),
        (("--blueprint", "Search_1"), "--blueprint: 'Search_1' is not valid here"),
        (("--environments", "Prod"), "--environments"),
    ],
)
def test_bad_answers_exit_2_with_the_flag(tmp_path: Path, flags: tuple[str, ...], message: str) -> None:
    code, _, stderr = mlstack("init", str(tmp_path / "repo"), *flags)
    assert code == 2
    assert message in stderr and stderr.startswith("mlstack init: ") and stderr.count("\n") == 1
    assert not (tmp_path / "repo").exists()


def test_in_a_terminal_it_asks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("mlstack.stack.cli.init.interactive", lambda: True)
    answers = "fraud\nRisk\nrisk@example.com\nCC-9\neu-west-1\ndev,prod\nendpoints,monitoring\noncall@example.com\n"
    code, _, stderr = mlstack("init", str(tmp_path), input=answers)
    assert code == 0, stderr
    data = yaml.safe_load((tmp_path / "blueprint.yaml").read_text())
    assert (data["blueprint"], data["team"], data["owner"], data["region"]) == (
        "fraud", "Risk", "risk@example.com", "eu-west-1",
    )  # fmt: skip
    assert data["monitoring"]["on_call"]["email"] == "oncall@example.com"
    assert "Blueprint id" in stderr and "On-call e-mail" in stderr


# --- the package as a team installs it --------------------------------------------------------------


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)


PROGRAM_UNDER_MOCKS = """
import json, runpy, sys
import pulumi
from mlstack.stack.plan.engine import run_offline

pulumi.runtime.set_all_config({"mlstack:blueprint": "blueprint.yaml", "mlstack:environment": sys.argv[1]})

def program():
    runpy.run_path("__main__.py", run_name="__main__")
    return {}

plan = run_offline(program, project="fraud", stack="fraud-" + sys.argv[1], region="eu-west-1")
endpoints = [r.name for r in plan.by_type("aws-native:sagemaker:Endpoint")]
print(json.dumps({"resources": len(plan.resources), "endpoints": endpoints}))
"""


def test_init_with_the_installed_package(tmp_path: Path) -> None:
    uv = os.environ.get("UV") or "uv"
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH", "UV_PROJECT_ENVIRONMENT"}}
    built = _run([uv, "build", "--wheel", "--quiet", "-o", str(tmp_path / "dist"), str(REPO)], tmp_path, env)
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("mlstack-*.whl")
    requirements = tmp_path / "requirements.txt"
    exported = _run(
        [uv, "export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes", "--quiet",
         "--project", str(REPO), "-o", str(requirements)],
        tmp_path, env,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    team = tmp_path / "fraud-platform"
    team.mkdir()
    assert _run([uv, "venv", "--quiet", "--python", sys.executable, str(team / ".venv")], team, env).returncode == 0
    python = team / ".venv" / "bin" / "python"
    installed = _run(
        [uv, "pip", "install", "--quiet", "--python", str(python), "-r", str(requirements), str(wheel)], team, env
    )
    assert installed.returncode == 0, installed.stderr
    cli = str(team / ".venv" / "bin" / "mlstack")

    where = _run(
        [str(python), "-c", "import mlstack, mlstack.components; print(mlstack.components.__file__)"], team, env
    )
    assert where.returncode == 0 and str(team / ".venv") in where.stdout, where.stdout + where.stderr
    version = _run([cli, "--version"], team, env)
    assert version.stdout.strip() == "mlstack 0.1.0"

    init = _run([cli, "init", ".", "--blueprint", "fraud", "--region", "eu-west-1", "--with", ALL], team, env)
    assert init.returncode == 0, init.stderr
    assert _run([cli, "validate", "blueprint.yaml"], team, env).returncode == 0
    for environment in ("dev", "prod"):
        plan = _run([cli, "plan", "blueprint.yaml", "--env", environment, "--json"], team, env)
        assert plan.returncode == 0, plan.stderr
        assert json.loads(plan.stdout)["steps"]
    check = _run([cli, "check", "blueprint.yaml", "--env", "prod"], team, env)
    assert check.returncode == 0 and "0 mandatory" in check.stdout, check.stdout + check.stderr
    # The team's Pulumi program (its __main__.py) runs mlstack's packaged program for its stack config.
    program = _run([str(python), "-c", PROGRAM_UNDER_MOCKS, "prod"], team, env)
    assert program.returncode == 0, program.stderr
    summary = json.loads(program.stdout.strip().splitlines()[-1])
    assert summary["resources"] > 50 and summary["endpoints"] == ["fraud-prod-predictor-endpoint"]
