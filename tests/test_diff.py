"""Plan diffs: between environments of one blueprint, and across a git revision."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from mlstack.blueprints.errors import BlueprintInvalid
from mlstack.stack.cli.cost import cost, diff
from mlstack.stack.cost.diff import (
    ABSENT,
    PlanDiff,
    diff_environments,
    diff_revision,
    render_markdown,
    render_text,
    to_json,
)
from tests.conftest import EXAMPLES

VPC = {
    "securityGroupIds": ["sg-0a1b2c3d4e5f60003"],
    "subnets": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
}


@pytest.fixture(scope="module")
def recsys_dev_prod() -> PlanDiff:
    return diff_environments(EXAMPLES / "recsys.yaml", "dev", "prod")


def changed_fields(result: PlanDiff) -> dict[tuple[str, str], dict[str, tuple[object, object]]]:
    return {
        (resource.type, resource.name): {change.path: (change.before, change.after) for change in resource.fields}
        for resource in result.changed
    }


def test_recsys_dev_to_prod_lists_exactly_the_overrides_and_the_vpc(recsys_dev_prod: PlanDiff) -> None:
    result = recsys_dev_prod
    assert (result.added, result.removed) == ((), ())
    fields = changed_fields(result)
    registry_principals = "resourcePolicy.Statement.OtherEnvironmentsRead.Condition.ArnLike.aws:PrincipalArn"
    assert {key: set(paths) for key, paths in fields.items()} == {
        # What the dev overrides change:
        # endpoints.ranker.variants.champion.instances: 1 (challenger is 1 in both, so it does not show)
        ("aws:sagemaker:EndpointConfiguration", "recsys-<env>-ranker-config"): {
            "productionVariants.champion.initialInstanceCount"
        },
        # endpoints.ranker.autoscaling.min: 1
        ("aws:appautoscaling:Target", "recsys-<env>-ranker-champion-scaling-target"): {"minCapacity"},
        # endpoints.assistant-llm.variants.main.instance_type: ml.g5.12xlarge
        ("aws:sagemaker:EndpointConfiguration", "recsys-<env>-assistant-llm-config"): {
            "productionVariants.main.instanceType"
        },
        # monitoring.drift.ranker-data.schedule: daily
        ("aws:sagemaker:MonitoringSchedule", "recsys-<env>-ranker-data-schedule"): {
            "monitoringScheduleConfig.scheduleConfig.scheduleExpression"
        },
        # What follows from the environment itself: prod runs in a VPC...
        ("aws:sagemaker:Model", "recsys-<env>-ranker-model-champion"): {"vpcConfig"},
        ("aws:sagemaker:Model", "recsys-<env>-ranker-model-challenger"): {"vpcConfig"},
        ("aws:sagemaker:Model", "recsys-<env>-fraud-scorer-model-v7"): {"vpcConfig"},
        ("aws:sagemaker:Model", "recsys-<env>-fraud-scorer-model-v8"): {"vpcConfig"},
        ("aws:sagemaker:Model", "recsys-<env>-assistant-llm-model-main"): {"vpcConfig"},
        ("aws:sagemaker:DataQualityJobDefinition", "recsys-<env>-ranker-data-job"): {"networkConfig.vpcConfig"},
        ("aws-native:sagemaker:ModelQualityJobDefinition", "recsys-<env>-fraud-quality-job"): {
            "networkConfig.vpcConfig"
        },
        # ...so the execution role may manage network interfaces there;
        ("aws:iam:RolePolicy", "recsys-<env>-execution-policy"): {
            "policy.Statement.VpcDescribe",
            "policy.Statement.VpcNetworkInterfaces",
        },
        # prod keeps its logs a year, dev a month (retention.log_days unset);
        ("aws:cloudwatch:LogGroup", "recsys-<env>-feedback-access-logs"): {"retentionInDays"},
        ("aws:cloudwatch:LogGroup", "recsys-<env>-feedback-function-logs"): {"retentionInDays"},
        ("aws:cloudwatch:LogGroup", "recsys-<env>-feedback-stream-logs"): {"retentionInDays"},
        # and each registry group lets the *other* environments' roles read it.
        ("aws:sagemaker:ModelPackageGroupPolicy", "recsys-<env>-registry-ranker-policy"): {registry_principals},
        ("aws:sagemaker:ModelPackageGroupPolicy", "recsys-<env>-registry-fraud-scorer-policy"): {registry_principals},
        ("aws:sagemaker:ModelPackageGroupPolicy", "recsys-<env>-registry-assistant-llm-policy"): {registry_principals},
        ("aws:sagemaker:ModelPackageGroupPolicy", "recsys-<env>-registry-intent-classifier-policy"): {
            registry_principals
        },
    }
    config = fields[("aws:sagemaker:EndpointConfiguration", "recsys-<env>-ranker-config")]
    assert config["productionVariants.champion.initialInstanceCount"] == (1, 2)
    assert fields[("aws:sagemaker:EndpointConfiguration", "recsys-<env>-assistant-llm-config")][
        "productionVariants.main.instanceType"
    ] == ("ml.g5.12xlarge", "ml.g6.12xlarge")
    assert fields[("aws:sagemaker:MonitoringSchedule", "recsys-<env>-ranker-data-schedule")][
        "monitoringScheduleConfig.scheduleConfig.scheduleExpression"
    ] == ("cron(0 0 ? * * *)", "cron(0 * ? * * *)")
    assert fields[("aws:sagemaker:Model", "recsys-<env>-ranker-model-champion")]["vpcConfig"] == (ABSENT, VPC)


def test_recsys_dev_to_prod_cost_delta(recsys_dev_prod: PlanDiff) -> None:
    result = recsys_dev_prod
    # prod - dev at baseline, from the changed lines alone:
    #   ranker champion +1 instance x 1.4084 x 730          = +1028.132
    #   assistant-llm ml.g6.12xlarge 5.752 (us-east-1 stand-in) - ml.g5.12xlarge 7.91 (billed eu-west-1) x 730
    #                                                        = -1575.34
    #   ranker-data hourly (730 runs) - daily (30.42) x 0.25 h x 0.257 = 46.9025 - 1.954485 = +44.948015
    # = -502.259985: prod's baseline is lower than dev's, because dev's larger LLM instance costs more.
    assert result.baseline_delta == pytest.approx(-502.259985)
    assert result.baseline_delta < 0
    # ceiling: ranker unchanged (8 + 8 in both); llm 3 x (5.752 - 7.91) x 730 = -4726.02; monitor 730 x 1 x 0.257
    # - 30.42 x 1 x 0.257 = +179.7906  => -4546.2294
    assert result.ceiling_delta == pytest.approx(-4546.2294)
    llm = next(r for r in result.changed if r.name == "recsys-<env>-assistant-llm-config")
    assert llm.baseline_delta == pytest.approx(-1575.34)


def test_diff_renderings(recsys_dev_prod: PlanDiff) -> None:
    text = render_text(recsys_dev_prod)
    assert "productionVariants.champion.initialInstanceCount: 1 -> 2" in text
    assert (
        "Monthly cost: baseline $9,804.65 -> $9,302.39 (-$502.26); ceiling $38,696.34 -> $34,150.11 (-$4,546.23)"
        in text
    )
    markdown = render_markdown(recsys_dev_prod)
    assert markdown.startswith("### mlstack diff: `recsys` dev → prod\n")
    assert "| **change** | **-$502.26** | **-$4,546.23** |" in markdown
    assert "| `productionVariants.main.instanceType` | `ml.g5.12xlarge` | `ml.g6.12xlarge` |" in markdown
    document = to_json(recsys_dev_prod)
    assert json.dumps(document, sort_keys=True) == json.dumps(to_json(recsys_dev_prod), sort_keys=True)
    model = next(r for r in document["changed"] if r["name"] == "recsys-<env>-ranker-model-champion")
    assert model["fields"] == [{"path": "vpcConfig", "after": VPC}]
    assert document["cost"]["baseline_delta_usd"] == pytest.approx(-502.26)


BLUEPRINT = """\
blueprint: shop
team: t
owner: a@example.com
cost_center: CC-1
region: us-east-1
environments:
  prod: {}
endpoints:
  - name: scorer
    models:
      m: {image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/scorer:1, model_data: s3://shop-artifacts/m.tar.gz}
    variants:
      - {name: main, model: m, instance_type: ml.c5.xlarge, instances: 1}
"""


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=mlstack-test", "-c", "user.email=test@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with the blueprint committed, then changed in the working tree."""
    root = tmp_path / "repo"
    (root / "platform").mkdir(parents=True)
    path = root / "platform" / "shop.yaml"
    path.write_text(BLUEPRINT, encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", "platform/shop.yaml")
    git(root, "commit", "-q", "-m", "blueprint")
    path.write_text(
        BLUEPRINT.replace("instances: 1}", "instances: 3}")
        + """\
  - name: ranker
    models:
      m: {image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/ranker:1, model_data: s3://shop-artifacts/r.tar.gz}
    variants:
      - {name: main, model: m, instance_type: ml.c5.xlarge, instances: 1}
""",
        encoding="utf-8",
    )
    return path


def test_diff_against_a_git_revision(repo: Path) -> None:
    result = diff_revision(repo, "prod", "HEAD")
    assert (result.base_label, result.head_label) == ("HEAD (prod)", "working tree (prod)")
    fields = changed_fields(result)
    config = fields[("aws:sagemaker:EndpointConfiguration", "shop-<env>-scorer-config")]
    # Same environment on both sides: the versioned name's digest is kept, since it changes with the content
    # (SageMaker replaces the configuration).
    assert set(config) == {"name", "productionVariants.main.initialInstanceCount"}
    assert config["productionVariants.main.initialInstanceCount"] == (1, 3)
    endpoint = fields[("aws-native:sagemaker:Endpoint", "shop-<env>-scorer-endpoint")]
    assert set(endpoint) == {"endpointConfigName"}
    # The new endpoint's model becomes readable by the execution role, and the dashboard gets its widgets.
    assert (
        "policy.Statement.ModelArtifactsRead.Resource" in fields[("aws:iam:RolePolicy", "shop-<env>-execution-policy")]
    )
    assert all(
        path.startswith("dashboardBody.widgets[")
        for path in fields[("aws:cloudwatch:Dashboard", "shop-<env>-dashboard")]
    )
    assert len(fields) == 4
    added = {(r.type, r.name) for r in result.added}
    assert added == {
        ("aws:sagemaker:Model", "shop-<env>-ranker-model-m"),
        ("aws:sagemaker:EndpointConfiguration", "shop-<env>-ranker-config"),
        ("aws-native:sagemaker:Endpoint", "shop-<env>-ranker-endpoint"),
    }
    assert result.removed == ()
    # ml.c5.xlarge 0.204 $/h (FMBench, us-east-1): scorer 1 -> 3 instances: +2 x 0.204 x 730 = +297.84;
    # the new ranker: 1 x 0.204 x 730 = +148.92; together +446.76
    assert result.baseline_delta == pytest.approx(446.76)
    assert result.ceiling_delta == pytest.approx(446.76)


def test_diff_revision_errors(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(BlueprintInvalid, match="unknown git revision 'nope'"):
        diff_revision(repo, "prod", "nope")
    new_file = repo.parent / "new.yaml"
    new_file.write_text(BLUEPRINT, encoding="utf-8")
    with pytest.raises(BlueprintInvalid, match=r"platform/new\.yaml does not exist at revision HEAD"):
        diff_revision(new_file, "prod", "HEAD")
    outside = tmp_path / "outside"
    outside.mkdir()
    lone = outside / "shop.yaml"
    lone.write_text(BLUEPRINT, encoding="utf-8")
    with pytest.raises(BlueprintInvalid, match="needs a git repository"):
        diff_revision(lone, "prod", "HEAD")


def test_diff_revision_reports_problems_of_the_old_blueprint_at_rev(repo: Path) -> None:
    repo.write_text(BLUEPRINT.replace("ml.c5.xlarge", "ml.c5.xlarg"), encoding="utf-8")
    git(repo.parent.parent, "commit", "-q", "-am", "typo")
    repo.write_text(BLUEPRINT, encoding="utf-8")
    with pytest.raises(BlueprintInvalid) as raised:
        diff_revision(repo, "prod", "HEAD")
    (problem,) = raised.value.problems
    assert problem.file == "HEAD:platform/shop.yaml"
    assert problem.message.endswith("(at HEAD)")


def invoke(*args: str) -> tuple[int, str, str]:
    app = typer.Typer()
    app.command()(cost)
    app.command()(diff)
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_diff_command(repo: Path) -> None:
    code, out, err = invoke("diff", str(repo), "--env", "prod", "--base", "HEAD", "--format", "markdown")
    assert code == 0, err
    assert out.startswith("### mlstack diff: `shop` HEAD (prod) → working tree (prod)")
    assert "| **change** | **+$446.76** | **+$446.76** |" in out
    code, out, _ = invoke("diff", str(repo), "--env", "prod", "--base", "HEAD", "--format", "json")
    assert code == 0
    assert json.loads(out)["cost"]["baseline_delta_usd"] == pytest.approx(446.76)
    code, _, err = invoke("diff", str(repo), "--env", "prod")
    assert code == 2
    assert "give two environments" in err
    code, _, err = invoke("diff", str(repo), "--env", "prod", "--base", "HEAD", "--format", "html")
    assert code == 2
    assert "--format must be text, markdown or json" in err
    code, _, err = invoke("diff", str(repo), "--env", "prod", "--base", "nope")
    assert code == 2
    assert "unknown git revision 'nope'" in err
