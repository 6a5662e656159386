"""Cost estimates: hand-computed figures from the real price data, provenance, user prices, budgets, rightsizing.

Price rows used (components/data):
- sagemaker_instances.csv `price_usd_hour_us_east_1`: ml.c5.xlarge 0.204 (FMBench), ml.g5.xlarge 1.4084
  (FMBench), ml.g6.12xlarge 5.752 (FMBench), ml.m5.xlarge 0.23 (FMBench).
- sagemaker_instances.csv `ec2_ondemand_usd_hour_us_east_1_reference`: ml.c6i.xlarge 0.17 (no hosting
  price), x the median SageMaker/EC2 ratio 1.25.
- sagemaker_billed_unit_prices_eu_west_1_2023_12.csv: Hosting ml.g4dn.4xlarge 1.678, Hosting
  ml.g5.12xlarge 7.91, Processing ml.m5.xlarge 0.257.
- sagemaker_serverless_inference_prices.csv: 2048 MB 0.00004 $/s.
- service_prices.csv: kms-key 1.00 $/month; iam and application-auto-scaling 0.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from mlstack.blueprints.errors import BlueprintInvalid
from mlstack.stack.cli.cost import cost, diff
from mlstack.stack.cost.estimate import (
    DAYS_PER_MONTH,
    MONITOR_RUN_HOURS,
    CostReport,
    LineItem,
    budget_status,
    cost_report,
    environment_total,
    resource_costs,
    runs_per_month,
)
from mlstack.stack.cost.prices import PriceBook, load_price_book, read_price_file
from mlstack.stack.plan import plan_file
from tests.conftest import EXAMPLES, WriteBlueprint

HEADER = """\
blueprint: shop
team: t
owner: a@example.com
cost_center: CC-1
region: {region}
environments:
  dev: {{}}
"""


def report_for(path: Path, env: str = "dev", prices: PriceBook | None = None) -> CostReport:
    resolved, plan = plan_file(path, env)
    return cost_report(plan, resolved, prices)


def line(report: CostReport, name: str) -> LineItem:
    matches = [item for item in report.items if item.name == name]
    assert len(matches) == 1, [item.name for item in report.items]
    return matches[0]


SCORER_US = (
    HEADER.format(region="us-east-1")
    + """\
endpoints:
  - name: scorer
    models:
      m: {image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/scorer:1, model_data: s3://shop-artifacts/m.tar.gz}
    variants:
      - {name: main, model: m, instance_type: ml.c5.xlarge, instances: 2}
    autoscaling: {min: 1, max: 4, target_invocations_per_instance: 100}
"""
)


def test_autoscaled_variant_baseline_is_the_minimum_and_ceiling_the_maximum(write_blueprint: WriteBlueprint) -> None:
    report = report_for(write_blueprint(SCORER_US))
    config = line(report, "shop-dev-scorer-config")
    # ml.c5.xlarge 0.204 $/h (FMBench, us-east-1): baseline 1 x 0.204 x 730 = 148.92; ceiling 4 x 0.204 x 730 = 595.68
    assert config.baseline_usd == pytest.approx(148.92)
    assert config.ceiling_usd == pytest.approx(595.68)
    assert config.provenance == "listed"
    part = config.parts[0]
    assert part.source == "FMBench pricing.yml (2025-01-26)"
    assert part.note == ""  # us-east-1 data for a us-east-1 blueprint: nothing stands in
    assert "1 (autoscaling min) × $0.204/h × 730 h = $148.92" in part.arithmetic
    # The environment: the variant plus one KMS key at 1.00 $/month; IAM and autoscaling are listed at $0.
    # baseline 148.92 + 1 = 149.92; ceiling 595.68 + 1 = 596.68
    assert report.baseline_usd == pytest.approx(149.92)
    assert report.ceiling_usd == pytest.approx(596.68)
    key = line(report, "shop-dev-key")
    assert (key.baseline_usd, key.provenance) == (1.0, "listed")
    assert "https://aws.amazon.com/kms/pricing/" in key.parts[0].source
    target = line(report, "shop-dev-scorer-main-scaling-target")
    assert (target.baseline_usd, target.provenance) == (0.0, "listed")
    assert line(report, "shop-dev-execution-role").baseline_usd == 0.0


def test_regional_price_listed_stand_in_and_estimate(write_blueprint: WriteBlueprint) -> None:
    path = write_blueprint(
        HEADER.format(region="eu-west-1")
        + """\
endpoints:
  - name: vision
    models:
      m: {framework: pytorch, framework_version: "2.6", model_data: s3://shop-artifacts/v.tar.gz}
    variants:
      - {name: billed, model: m, instance_type: ml.g4dn.4xlarge, instances: 1, weight: 1}
      - {name: stand-in, model: m, instance_type: ml.g5.xlarge, instances: 1, weight: 1}
  - name: tabular
    models:
      m: {image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/tab:1, model_data: s3://shop-artifacts/t.tar.gz}
    variants:
      - {name: main, model: m, instance_type: ml.c6i.xlarge, instances: 1}
"""
    )
    report = report_for(path)
    billed, stand_in = line(report, "shop-dev-vision-config").parts
    # Billed eu-west-1 Hosting row ml.g4dn.4xlarge 1.678: 1 x 1.678 x 730 = 1224.94, for eu-west-1 itself.
    assert billed.baseline_usd == pytest.approx(1224.94)
    assert billed.provenance == "listed"
    assert billed.source.startswith("AWS bill, eu-west-1, 2023-12")
    assert "stands in" not in billed.note
    # No eu-west-1 figure for ml.g5.xlarge: the us-east-1 FMBench 1.4084 stands in, and says so.
    # 1 x 1.4084 x 730 = 1028.132
    assert stand_in.baseline_usd == pytest.approx(1028.132)
    assert stand_in.provenance == "listed"
    assert "us-east-1 price stands in for eu-west-1" in stand_in.note
    # ml.c6i.xlarge has no hosting price: EC2 0.17 x 1.25 = 0.2125 $/h, estimated; 0.2125 x 730 = 155.125
    estimated = line(report, "shop-dev-tabular-config")
    assert estimated.baseline_usd == pytest.approx(155.125)
    assert estimated.provenance == "estimated"
    assert "estimated: EC2 on-demand $0.17/h × 1.25" in estimated.parts[0].note
    # Total: 1224.94 + 1028.132 + 155.125 + 1 (KMS key) = 2409.197
    assert report.baseline_usd == pytest.approx(2409.197)


def test_shadow_variant_is_priced_like_a_production_variant(write_blueprint: WriteBlueprint) -> None:
    path = write_blueprint(
        HEADER.format(region="us-east-1")
        + """\
endpoints:
  - name: fraud
    models:
      v1: {image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/f:1, model_data: s3://shop-artifacts/1.tar.gz}
      v2: {image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/f:2, model_data: s3://shop-artifacts/2.tar.gz}
    variants:
      - {name: live, model: v1, instance_type: ml.c5.xlarge, instances: 2}
    shadow: {name: candidate, model: v2, instance_type: ml.c5.xlarge, instances: 1, sample_percent: 50}
"""
    )
    config = line(report_for(path), "shop-dev-fraud-config")
    live, shadow = config.parts
    # live 2 x 0.204 x 730 = 297.84; shadow 1 x 0.204 x 730 = 148.92; together 446.76, no autoscaling: ceiling the same
    assert live.baseline_usd == pytest.approx(297.84)
    assert shadow.baseline_usd == pytest.approx(148.92)
    assert shadow.what.startswith("shadow variant candidate")
    assert config.baseline_usd == pytest.approx(446.76)
    assert config.ceiling_usd == pytest.approx(446.76)


SERVERLESS = (
    HEADER.format(region="eu-west-1")
    + """\
endpoints:
  - name: intent
    models:
      m: {framework: huggingface, framework_version: "4.49", model_data: s3://shop-artifacts/i.tar.gz}
    serverless: {memory_mb: 2048, max_concurrency: 5}
"""
)


def test_serverless_is_usage_priced_without_traffic_and_priced_with_it(write_blueprint: WriteBlueprint) -> None:
    report = report_for(write_blueprint(SERVERLESS))
    config = line(report, "shop-dev-intent-config")
    assert config.provenance == "usage-priced"
    assert config.baseline_usd is None  # not zero: it has a cost, and no figure is invented
    assert "traffic" in config.reason
    assert config in report.without_figure("usage-priced")

    with_traffic = SERVERLESS + "    traffic: {requests_per_day: 100000, mean_duration_ms: 200}\n"
    config = line(report_for(write_blueprint(with_traffic)), "shop-dev-intent-config")
    # 2048 MB at 0.00004 $/s: 100,000 requests/day x 30.42 days x 0.2 s x 0.00004 = 24.336
    assert DAYS_PER_MONTH == 30.42
    assert config.baseline_usd == pytest.approx(24.336)
    assert config.ceiling_usd == pytest.approx(24.336)
    assert config.provenance == "listed"
    assert "us-east-1 price stands in for eu-west-1" in config.parts[0].note


def monitored(region: str, schedule: str) -> str:
    return (
        HEADER.format(region=region)
        + f"""\
endpoints:
  - name: scorer
    models:
      m: {{image: 123456789012.dkr.ecr.{region}.amazonaws.com/s:1, model_data: s3://shop-artifacts/m.tar.gz}}
    variants:
      - {{name: main, model: m, instance_type: ml.c5.xlarge, instances: 1}}
    data_capture: {{sample_percent: 10}}
monitoring:
  drift:
    - name: drift
      endpoint: scorer
      kind: data-quality
      baseline: s3://shop-artifacts/base/
      schedule: "{schedule}"
"""
    )


def test_model_monitor_runs_with_the_billed_processing_price(write_blueprint: WriteBlueprint) -> None:
    report = report_for(write_blueprint(monitored("eu-west-1", "hourly")))
    schedule = line(report, "shop-dev-drift-schedule")
    assert MONITOR_RUN_HOURS == 0.25
    # Processing ml.m5.xlarge billed in eu-west-1 at 0.257 $/h: baseline 730 runs x 0.25 h x 0.257 = 46.9025;
    # ceiling 730 runs x 1 h (maxRuntimeInSeconds 3600) x 0.257 = 187.61
    assert schedule.baseline_usd == pytest.approx(46.9025)
    assert schedule.ceiling_usd == pytest.approx(187.61)
    assert schedule.provenance == "listed"
    assert line(report, "shop-dev-drift-job").provenance == "included"


def test_model_monitor_elsewhere_uses_the_hosting_price_as_an_estimate(write_blueprint: WriteBlueprint) -> None:
    report = report_for(write_blueprint(monitored("us-east-1", "cron(0 0/6 ? * * *)")))
    schedule = line(report, "shop-dev-drift-schedule")
    # Every 6 hours: 4 runs a day x 30.42 = 121.68 runs; no Processing price for us-east-1, so the hosting
    # ml.m5.xlarge 0.23 $/h (FMBench) stands in, estimated: 121.68 x 0.25 h x 0.23 = 6.9966
    assert schedule.baseline_usd == pytest.approx(6.9966)
    assert schedule.provenance == "estimated"
    assert "hosting price (listed) stands in" in schedule.parts[0].note


def test_runs_per_month_from_the_hour_field() -> None:
    assert runs_per_month("cron(0 * ? * * *)") == 730  # hourly
    assert runs_per_month("cron(0 0 ? * * *)") == pytest.approx(30.42)  # daily
    assert runs_per_month("cron(0 */6 ? * * *)") == pytest.approx(4 * 30.42)  # 0, 6, 12, 18
    assert runs_per_month("cron(0 1/5 ? * * *)") == pytest.approx(5 * 30.42)  # 1, 6, 11, 16, 21
    assert runs_per_month("cron(0 12 ? * * *)") == pytest.approx(30.42)
    assert runs_per_month("rate(1 hour)") is None


TRACKED = (
    HEADER.format(region="eu-west-1")
    + """\
experiment_tracking: {kind: sagemaker-mlflow, size: Medium}
"""
)


def test_mlflow_is_unpriced_with_its_reason(write_blueprint: WriteBlueprint) -> None:
    report = report_for(write_blueprint(TRACKED))
    server = line(report, "shop-dev-tracking-server")
    assert server.provenance == "unpriced"
    assert server.baseline_usd is None
    assert "MLflow tracking server prices" in server.reason
    assert "mlflow-tracking-server/Medium" in server.reason
    # Everything else without a source is listed as unpriced, with a reason, never as zero.
    bucket = line(report, "shop-dev-artifacts")
    assert (bucket.provenance, bucket.baseline_usd) == ("unpriced", None)
    assert "S3" in bucket.reason


def test_user_yaml_prices_override_ours_and_price_what_we_cannot(
    write_blueprint: WriteBlueprint, tmp_path: Path
) -> None:
    path = write_blueprint(
        SCORER_US.replace("environments:", "experiment_tracking: {kind: sagemaker-mlflow}\nenvironments:")
    )
    price_file = tmp_path / "prices.yaml"
    price_file.write_text(
        """\
prices:
  - {kind: instance, name: ml.c5.xlarge, region: us-east-1, usd: 0.15, unit: hour, source: "EDP 2026-10"}
  - {kind: instance, name: ml.c5.xlarge, usd: 0.99, unit: hour}
  - {kind: service, name: mlflow-tracking-server/Small, usd: 0.5, unit: hour, source: "quote 2026-11"}
  - {kind: service, name: aws:s3:Bucket, usd: 2.5, unit: month}
""",
        encoding="utf-8",
    )
    report = report_for(path, prices=load_price_book(price_file))
    config = line(report, "shop-dev-scorer-config")
    # The us-east-1 entry wins over the "*" one: baseline 1 x 0.15 x 730 = 109.5; ceiling 4 x 0.15 x 730 = 438
    assert config.baseline_usd == pytest.approx(109.5)
    assert config.ceiling_usd == pytest.approx(438.0)
    assert config.provenance == "listed"
    assert config.parts[0].source == f"your price file {price_file}:2 (EDP 2026-10)"
    server = line(report, "shop-dev-tracking-server")
    # 0.5 $/h x 730 h = 365
    assert server.baseline_usd == pytest.approx(365.0)
    assert server.provenance == "listed"
    assert line(report, "shop-dev-artifacts").baseline_usd == pytest.approx(2.5)
    assert report.price_file == str(price_file)


def test_user_csv_prices(write_blueprint: WriteBlueprint, tmp_path: Path) -> None:
    price_file = tmp_path / "prices.csv"
    price_file.write_text("kind,name,region,usd,unit,source\ninstance,ml.c5.xlarge,,0.1,hour,\n", encoding="utf-8")
    config = line(report_for(write_blueprint(SCORER_US), prices=load_price_book(price_file)), "shop-dev-scorer-config")
    # "*" region from an empty cell: 1 x 0.1 x 730 = 73
    assert config.baseline_usd == pytest.approx(73.0)
    assert "user price for every region" in config.parts[0].note


def test_malformed_yaml_price_file_names_every_bad_line(tmp_path: Path) -> None:
    price_file = tmp_path / "prices.yaml"
    price_file.write_text(
        """\
prices:
  - {kind: instance, name: ml.g5.xlarge, usd: 1.0, unit: hour}
  - {kind: instance, name: ml.g5.xlarg, usd: 1.0, unit: hour}
  - kind: serverless
    name: 4000
    usd: -1
    unit: hour
  - {kind: instance, name: ml.g5.xlarge, usd: 2.0, unit: hour}
""",
        encoding="utf-8",
    )
    with pytest.raises(BlueprintInvalid) as raised:
        read_price_file(price_file)
    messages = [str(problem) for problem in raised.value.problems]
    file = str(price_file)
    assert any(m.startswith(f"{file}:3:") and "ml.g5.xlarg" in m and "did you mean ml.g5.xlarge" in m for m in messages)
    assert any(m.startswith(f"{file}:5:") and "memory size in MB" in m for m in messages)
    assert any(m.startswith(f"{file}:6:") and "usd must be a number" in m for m in messages)
    assert any(m.startswith(f"{file}:7:") and "unit for kind serverless must be second" in m for m in messages)
    assert any(m.startswith(f"{file}:8:") and "duplicate price" in m and "line 2" in m for m in messages)
    assert len(messages) == 5


def test_malformed_csv_price_file_names_its_line(tmp_path: Path) -> None:
    price_file = tmp_path / "prices.csv"
    price_file.write_text("kind,name,usd,unit\ninstance,ml.g5.xlarge,1.2,hour\nwidget,x,1,hour\n", encoding="utf-8")
    with pytest.raises(BlueprintInvalid) as raised:
        read_price_file(price_file)
    assert [str(p) for p in raised.value.problems] == [
        f"{price_file}:3:1: row 3.kind: kind 'widget' is not one of instance, processing, serverless, service"
    ]
    other = tmp_path / "prices.txt"
    other.write_text("x", encoding="utf-8")
    with pytest.raises(BlueprintInvalid, match=r"must be \.yaml, \.yml or \.csv"):
        read_price_file(other)


def test_recsys_totals_per_environment_by_hand() -> None:
    reports = {env: report_for(EXAMPLES / "recsys.yaml", env) for env in ("dev", "staging", "prod")}
    # prod and staging (no overrides), eu-west-1:
    #   ranker champion   2 (min) x 1.4084 x 730 = 2056.264   ceiling 8 x 1.4084 x 730 = 8225.056
    #   ranker challenger 1 (min) x 1.4084 x 730 = 1028.132   ceiling 8 x 1.4084 x 730 = 8225.056
    #   assistant-llm     1 (min) x 5.752  x 730 = 4198.96    ceiling 3 x 5.752  x 730 = 12596.88
    #   fraud-scorer live 2 x 0.2125 x 730 = 310.25 and shadow 1 x 0.2125 x 730 = 155.125 (estimated)
    #   ranker-data hourly: 730 x 0.25 x 0.257 = 46.9025     ceiling 730 x 1 x 0.257 = 187.61
    #   fraud-quality daily: 30.42 x 0.25 x 0.257 = 1.954485 ceiling 30.42 x 1 x 0.257 = 7.81794
    #   KMS key 1.00
    #   Kubernetes gnn-scorer (1 GPU: the whole g5.xlarge at $1.006/h): 2 (HPA min) x 1.006 x 730 = 1468.76,
    #     ceiling 6 x 1.006 x 730 = 4406.28; intent-text-drift: 730 runs x 1 h x 0.5 x $0.096/h = 35.04
    # SageMaker and KMS baseline = 7798.587985 (+ 1468.76 + 35.04 = 9302.387985);
    # ceiling = 8225.056 x 2 + 12596.88 + 465.375 + 187.61 + 7.81794 + 1 = 29708.79494 (+ 4406.28 + 35.04)
    for env in ("staging", "prod"):
        assert reports[env].baseline_usd == pytest.approx(9302.387985)
        assert reports[env].ceiling_usd == pytest.approx(34150.11494)
    # dev overrides: champion 1 instance and min 1 (1028.132, ceiling unchanged); assistant-llm on ml.g5.12xlarge,
    # billed eu-west-1 at 7.91: 1 x 7.91 x 730 = 5774.3, ceiling 3 x = 17322.9; ranker-data daily: 1.954485 / 7.81794
    # baseline = 1028.132 x 2 + 5774.3 + 465.375 + 1.954485 x 2 + 1 = 8300.84797, + 1503.80 on Kubernetes
    assert reports["dev"].baseline_usd == pytest.approx(9804.64797)
    assert reports["dev"].ceiling_usd == pytest.approx(34255.02288 + 4441.32)
    serverless = line(reports["prod"], "recsys-prod-intent-classifier-config")
    assert serverless.provenance == "usage-priced"


def test_plan_tree_hooks_and_budget_status() -> None:
    resolved, plan = plan_file(EXAMPLES / "recsys.yaml", "dev")
    costs = resource_costs(plan, resolved)
    config = next(item for item in costs.values() if item.name == "recsys-dev-ranker-config")
    # champion 1 x 1.4084 x 730 + challenger 1 x 1.4084 x 730 = 2056.264; ceilings 8 + 8 instances = 16450.112
    assert config.summary() == "$2,056.26-$16,450.11/mo listed"
    assert all(not urn.endswith("::recsys-dev-aws") for urn in costs)  # providers have no line
    totals = environment_total(plan, resolved)
    assert totals.baseline_usd == pytest.approx(9804.64797)
    # 49 SageMaker-side resources without a price, and 5 more from the Kubernetes section.
    assert totals.unpriced == 54
    status = budget_status(cost_report(plan, resolved), resolved)
    estimate, budget, biggest = status
    assert estimate == pytest.approx(9804.64797)
    assert budget == 12000
    # 5774.30, 2056.26, then the GPU service's 1468.76 above the fraud scorer's 465.38.
    assert [item.name for item in biggest] == [
        "recsys-dev-assistant-llm-config",
        "recsys-dev-ranker-config",
        "recsys-dev-gnn-scorer-deployment",
    ]


def test_rightsizing_recsys() -> None:
    report = report_for(EXAMPLES / "recsys.yaml", "dev")
    suggestions = {(s.endpoint, s.variant): s for s in report.rightsizing}
    llm = suggestions[("assistant-llm", "main")]
    # 8B bf16 = 14.9 GiB over tensor_parallel_degree 4 on ml.g5.12xlarge (7.91 billed): ml.g6.12xlarge at 5.752
    # holds it. ml.g4dn.12xlarge (billed 5.453, 4 x T4) is cheaper but T4 has no bf16, so it is not offered.
    assert (llm.suggested_type, llm.suggested_rate.usd) == ("ml.g6.12xlarge", 5.752)
    assert "bf16 support" in llm.needs
    # saving (7.91 - 5.752) x 1 x 730 = 1575.34
    assert llm.monthly_saving_usd == pytest.approx(1575.34)
    # The fraud scorer's own image on ml.c6i.xlarge (4 vCPU, 8 GiB, estimated 0.2125): ml.c5.xlarge at 0.204
    # (listed) has as much; Graviton types (c6g...) are cheaper but arm64, which an x86 image cannot run on.
    fraud = suggestions[("fraud-scorer", "live")]
    assert (fraud.suggested_type, fraud.current_rate.provenance, fraud.suggested_rate.provenance) == (
        "ml.c5.xlarge",
        "estimated",
        "listed",
    )
    assert suggestions[("fraud-scorer", "candidate")].shadow
    # The ranker's PyTorch GPU image keeps a GPU with at least the A10G's 24 GiB.
    ranker = suggestions[("ranker", "champion")]
    assert ranker.suggested_type == "ml.g6.xlarge"
    assert "a GPU image" in ranker.needs
    assert ranker.text().startswith("ranker variant champion: ml.g6.xlarge at $1.006/h (estimated) instead of")


def test_rightsizing_a_large_model_and_nothing_cheaper(write_blueprint: WriteBlueprint) -> None:
    text = SCORER_US.replace(
        "m: {image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/scorer:1, model_data: s3://shop-artifacts/m.tar.gz}",
        "m: {container: djl-lmi, model_data: s3://shop-artifacts/llm/, parameters_billions: 30, dtype: bf16}",
    )
    # 30B bf16 = 55.9 GiB of weights needs 69.8 GiB of GPU memory (80% headroom). On ml.g6.12xlarge (4 x L4,
    # 96 GiB, 5.752 $/h listed) the cheapest type that holds it is ml.g7e.2xlarge (1 Blackwell GPU, 96 GiB):
    # EC2 3.3631 x 1.25 = 4.2039 $/h, estimated.
    report = report_for(write_blueprint(text.replace("ml.c5.xlarge", "ml.g6.12xlarge")))
    (suggestion,) = report.rightsizing
    assert (suggestion.suggested_type, suggestion.suggested_rate.provenance) == ("ml.g7e.2xlarge", "estimated")
    assert suggestion.suggested_rate.usd == pytest.approx(4.2039)
    # On ml.g7e.2xlarge itself nothing cheaper holds the weights.
    assert report_for(write_blueprint(text.replace("ml.c5.xlarge", "ml.g7e.2xlarge"))).rightsizing == ()


def run_cli(*args: str) -> tuple[int, str]:
    """Exit code and standard output of the commands as `stack.cli` registers them."""
    app = typer.Typer()
    app.command()(cost)
    app.command()(diff)
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout


def run_cli_stderr(*args: str) -> tuple[int, str]:
    app = typer.Typer()
    app.command()(cost)
    app.command()(diff)
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stderr


def test_cost_command_table_and_deterministic_json(tmp_path: Path) -> None:
    code, output = run_cli("cost", str(EXAMPLES / "recsys.yaml"), "--env", "prod")
    assert code == 0, output
    assert "recsys-prod-ranker-config" in output
    assert "Total per month: $9,302.39 at baseline (autoscaling minimum), $34,150.11 at ceiling" in output
    assert "Usage-priced, not in the totals (1): recsys-prod-intent-classifier-config" in output
    assert "Rightsizing" in output
    code, first = run_cli("cost", str(EXAMPLES / "recsys.yaml"), "--env", "prod", "--json")
    assert code == 0
    _, second = run_cli("cost", str(EXAMPLES / "recsys.yaml"), "--env", "prod", "--json")
    assert first == second
    document = json.loads(first)
    assert document["totals"] == {
        "baseline_usd": 9302.388,
        "ceiling_usd": 34150.1149,
        "unpriced": 53,
        "usage_priced": 1,
    }


def test_cost_command_bad_price_file_exits_2_naming_the_line(tmp_path: Path) -> None:
    price_file = tmp_path / "prices.yaml"
    price_file.write_text(
        "prices:\n  - {kind: instance, name: ml.g5.xlarge, usd: cheap, unit: hour}\n", encoding="utf-8"
    )
    code, output = run_cli_stderr("cost", str(EXAMPLES / "recsys.yaml"), "--env", "prod", "--prices", str(price_file))
    assert code == 2
    assert f"{price_file}:2:" in output
    assert "usd must be a number" in output


def test_the_readme_reference_figures_are_what_cost_prints() -> None:
    from mlstack.stack.cost.estimate import usd

    readme = (EXAMPLES.parent.parent / "README.md").read_text(encoding="utf-8")
    for environment in ("dev", "staging", "prod"):
        report = report_for(EXAMPLES / "recsys.yaml", environment)
        row = f"| {environment} | {usd(report.baseline_usd)} | {usd(report.ceiling_usd)} |"
        assert row in readme, f"README's reference cost table is stale; {environment} is now: {row}"
