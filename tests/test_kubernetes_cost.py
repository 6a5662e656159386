"""Kubernetes workloads priced by the node capacity their pods reserve: hand-computed figures from the data.

Price rows used (components/data/ec2_ondemand_prices_us_east_1.csv, EC2 on-demand us-east-1):
- m6i.large 2 vCPU, 8 GiB, 0.096 $/h (the cheapest m6i, the default CPU node);
- g5.xlarge 4 vCPU, 16 GiB, 1 GPU, 1.006 $/h (the cheapest g5, the default GPU node);
- g5.12xlarge 48 vCPU, 192 GiB, 4 GPUs, 5.672 $/h; g6.xlarge 4 vCPU, 16 GiB, 1 GPU, 0.8048 $/h.

The workloads are those of `tests.test_manifests.fixture_plan()`.
"""

from __future__ import annotations

import copy
import csv
import dataclasses
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from mlstack.blueprints.load import ResolvedBlueprint, load_for_environment
from mlstack.components import instances
from mlstack.stack.cost.estimate import (
    ASSUMPTIONS,
    DAYS_PER_MONTH,
    EC2_PRICES_CSV,
    KUBERNETES_ASSUMPTIONS,
    CostReport,
    LineItem,
    cost_report,
    cron_runs_per_month,
    ec2_nodes,
    pod_shape,
    quantity,
)
from mlstack.stack.cost.prices import PriceBook, UserPrice
from mlstack.stack.plan.engine import Plan
from tests.conftest import WriteBlueprint
from tests.test_manifests import fixture_plan

BLUEPRINT = """\
blueprint: shop
team: t
owner: a@example.com
cost_center: CC-1
region: {region}
environments:
  prod: {{}}
"""

DEPLOYMENT = ("kubernetes:apps/v1:Deployment", "gnn-deployment")
CRON_JOB = ("kubernetes:batch/v1:CronJob", "drift-cronjob")
POD_SPEC: dict[tuple[str, str], tuple[str | int, ...]] = {
    DEPLOYMENT: ("spec", "template", "spec"),
    CRON_JOB: ("spec", "jobTemplate", "spec", "template", "spec"),
}


@pytest.fixture
def resolved(write_blueprint: WriteBlueprint) -> ResolvedBlueprint:
    return load_for_environment(write_blueprint(BLUEPRINT.format(region="us-east-1")), "prod")


def line(report: CostReport, name: str) -> LineItem:
    [item] = [item for item in report.items if item.name == name]
    return item


def edited(plan: Plan, target: tuple[str, str], path: tuple[str | int, ...], value: Any) -> Plan:
    resources = []
    for resource in plan.resources:
        inputs = copy.deepcopy(dict(resource.inputs))
        if (resource.type, resource.name) == target:
            node: Any = inputs
            for step in path[:-1]:
                node = node[step]
            if value is None:
                del node[path[-1]]
            else:
                node[path[-1]] = value
        resources.append(dataclasses.replace(resource, inputs=inputs))
    return dataclasses.replace(plan, resources=tuple(resources))


def test_a_gpu_deployment_costs_its_hpa_bounds_of_whole_gpu_nodes(resolved: ResolvedBlueprint) -> None:
    item = line(cost_report(fixture_plan(), resolved), "gnn-deployment")
    # 4 CPU, 16 GiB, 1 GPU fits g5.xlarge (4 vCPU, 16 GiB, 1 GPU, $1.006/h) exactly: share max(1, 1, 1) = 1.
    # Baseline 2 (HPA min) x 1 x 1.006 x 730 = 1468.76; ceiling 6 (HPA max) x 1 x 1.006 x 730 = 4406.28.
    assert item.baseline_usd == pytest.approx(1468.76)
    assert item.ceiling_usd == pytest.approx(4406.28)
    assert item.provenance == "estimated"
    [part] = item.parts
    assert part.what == "Deployment gnn-scorer: 2-6 × pod (4 CPU, 16 GiB, 1 GPU) on g5.xlarge"
    assert part.arithmetic == (
        "4 CPU, 16 GiB, 1 GPU on g5.xlarge (4 vCPU, 16 GiB, 1 GPU, $1.006/h): "
        "share max(4/4 CPU, 16/16 GiB, 1/1 GPU) = 1; "
        "baseline 2 (HPA min) × 1 × $1.006/h × 730 h = $1,468.76; "
        "ceiling 6 (HPA max) × 1 × $1.006/h × 730 h = $4,406.28"
    )
    assert "Karpenter price list generated 2026-07-20" in part.source
    assert "the cheapest g5 size that holds it: an assumption" in part.note
    assert "stands in" not in part.note  # a us-east-1 blueprint: the us-east-1 price is its own
    # The HPA is counted on the Deployment, not twice.
    hpa = line(cost_report(fixture_plan(), resolved), "gnn-hpa")
    assert hpa.provenance == "included" and "Deployment gnn-scorer it scales" in hpa.parts[0].note


def test_cpu_workloads_cost_their_share_of_the_smallest_general_purpose_node(resolved: ResolvedBlueprint) -> None:
    report = cost_report(fixture_plan(), resolved)
    cache = line(report, "cache-statefulset")
    # 500m, 1 GiB on m6i.large (2 vCPU, 8 GiB, $0.096/h): share max(0.25, 0.125) = 0.25;
    # 3 (spec.replicas) x 0.25 x 0.096 x 730 = 52.56.
    assert cache.baseline_usd == pytest.approx(52.56) and cache.ceiling_usd == pytest.approx(52.56)
    assert cache.parts[0].arithmetic == (
        "0.5 CPU, 1 GiB on m6i.large (2 vCPU, 8 GiB, $0.096/h): share max(0.5/2 CPU, 1/8 GiB) = 0.25; "
        "3 (spec.replicas) × 0.25 × $0.096/h × 730 h = $52.56"
    )
    debug = line(report, "debug-pod")
    # 250m, 256 MiB: share max(0.125, 0.03125) = 0.125; 1 x 0.125 x 0.096 x 730 = 8.76.
    assert debug.baseline_usd == pytest.approx(8.76)
    assert "1 (a bare pod) × 0.125 × $0.096/h × 730 h = $8.76" in debug.parts[0].arithmetic


def test_a_cron_job_costs_its_runs_at_their_deadline(resolved: ResolvedBlueprint) -> None:
    item = line(cost_report(fixture_plan(), resolved), "drift-cronjob")
    # "0 * * * *": 1 run/h x 730 h = 730 runs; deadline 3600 s = 1 h; 1 CPU, 2 GiB on m6i.large: share
    # max(0.5, 0.25) = 0.5; 730 x 1 x 1 x 0.5 x 0.096 = 35.04, baseline and ceiling alike.
    assert item.baseline_usd == pytest.approx(35.04) and item.ceiling_usd == pytest.approx(35.04)
    assert item.parts[0].arithmetic == (
        "1 CPU, 2 GiB on m6i.large (2 vCPU, 8 GiB, $0.096/h): share max(1/2 CPU, 2/8 GiB) = 0.5; "
        "730 runs/month (0 * * * *) × 1 h (activeDeadlineSeconds 3600) × 1 pod × 0.5 × $0.096/h = $35.04"
    )
    assert "each run is priced at its deadline" in item.parts[0].note


def test_the_environment_total_and_what_stays_unpriced(resolved: ResolvedBlueprint) -> None:
    report = cost_report(fixture_plan(), resolved)
    # 1468.76 + 52.56 + 8.76 + 35.04 = 1565.12 at baseline; 4406.28 + 52.56 + 8.76 + 35.04 = 4502.64 at the
    # ceiling. The IAM role is listed at $0.
    assert report.baseline_usd == pytest.approx(1565.12)
    assert report.ceiling_usd == pytest.approx(4502.64)
    assert line(report, "mlflow-migrate").provenance == "unpriced"  # a one-off Job
    assert "load balancer" in line(report, "gateway").reason
    for name in ("gnn-service", "gnn-pdb", "gnn-network-policy", "gnn-config", "mlflow-db", "gnn-route", "ns"):
        assert line(report, name).provenance == "included", name
    assert report.assumptions == ASSUMPTIONS + KUBERNETES_ASSUMPTIONS


def test_without_kubernetes_workloads_the_assumptions_are_unchanged(resolved: ResolvedBlueprint) -> None:
    plan = dataclasses.replace(fixture_plan(), resources=())
    assert cost_report(plan, resolved).assumptions == ASSUMPTIONS


def test_another_region_says_the_us_east_1_price_stands_in(write_blueprint: WriteBlueprint) -> None:
    resolved = load_for_environment(write_blueprint(BLUEPRINT.format(region="eu-west-1")), "prod")
    part = line(cost_report(fixture_plan(), resolved), "gnn-deployment").parts[0]
    assert "the EC2 us-east-1 price stands in for eu-west-1" in part.note
    assert part.baseline_usd == pytest.approx(1468.76)


def test_a_node_selector_names_the_node(resolved: ResolvedBlueprint) -> None:
    selector = (*POD_SPEC[DEPLOYMENT], "nodeSelector")
    exact = edited(fixture_plan(), DEPLOYMENT, selector, {"node.kubernetes.io/instance-type": "g5.12xlarge"})
    part = line(cost_report(exact, resolved), "gnn-deployment").parts[0]
    # On g5.12xlarge (48 vCPU, 192 GiB, 4 GPUs, $5.672/h): share max(4/48, 16/192, 1/4) = 0.25;
    # baseline 2 x 0.25 x 5.672 x 730 = 2070.28; ceiling 6 x 0.25 x 5.672 x 730 = 6210.84.
    assert part.baseline_usd == pytest.approx(2070.28) and part.ceiling_usd == pytest.approx(6210.84)
    assert "share max(4/48 CPU, 16/192 GiB, 1/4 GPU) = 0.25" in part.arithmetic
    assert "the instance type its nodeSelector names" in part.note
    family = edited(fixture_plan(), DEPLOYMENT, selector, {"karpenter.k8s.aws/instance-family": "g6"})
    part = line(cost_report(family, resolved), "gnn-deployment").parts[0]
    # g6.xlarge (4 vCPU, 16 GiB, 1 GPU, $0.8048/h): 2 x 1 x 0.8048 x 730 = 1175.008.
    assert part.baseline_usd == pytest.approx(1175.008)
    assert "on g6.xlarge" in part.arithmetic
    unknown = edited(fixture_plan(), DEPLOYMENT, selector, {"node.kubernetes.io/instance-type": "m7a.large"})
    assert "no EC2 price for instance type m7a.large" in line(cost_report(unknown, resolved), "gnn-deployment").reason
    small = edited(fixture_plan(), DEPLOYMENT, selector, {"node.kubernetes.io/instance-type": "m6i.large"})
    assert "would never be scheduled" in line(cost_report(small, resolved), "gnn-deployment").reason


def test_a_pod_larger_than_one_default_node_takes_a_larger_size(resolved: ResolvedBlueprint) -> None:
    container: tuple[str | int, ...] = (*POD_SPEC[CRON_JOB], "containers", 0, "resources")
    plan = edited(fixture_plan(), CRON_JOB, container, {"requests": {"cpu": "3", "memory": "4Gi"}})
    part = line(cost_report(plan, resolved), "drift-cronjob").parts[0]
    # No limits: requests stand. 3 CPU needs m6i.xlarge (4 vCPU, 16 GiB, $0.192/h): share 0.75;
    # 730 x 1 h x 1 x 0.75 x 0.192 = 105.12.
    assert part.baseline_usd == pytest.approx(105.12)
    assert "share max(3/4 CPU, 4/16 GiB) = 0.75" in part.arithmetic


def test_what_cannot_be_priced_says_why(resolved: ResolvedBlueprint) -> None:
    resources: tuple[str | int, ...] = (*POD_SPEC[DEPLOYMENT], "containers", 0, "resources")
    best_effort = edited(fixture_plan(), DEPLOYMENT, resources, {})
    assert "reserves no node capacity" in line(cost_report(best_effort, resolved), "gnn-deployment").reason
    no_deadline = edited(fixture_plan(), CRON_JOB, ("spec", "jobTemplate", "spec", "activeDeadlineSeconds"), None)
    item = line(cost_report(no_deadline, resolved), "drift-cronjob")
    assert item.provenance == "usage-priced" and "unbounded" in item.reason
    bad = edited(fixture_plan(), CRON_JOB, ("spec", "schedule"), "every hour")
    assert "cannot count the runs" in line(cost_report(bad, resolved), "drift-cronjob").reason
    suspended = edited(fixture_plan(), CRON_JOB, ("spec", "suspend"), True)
    assert line(cost_report(suspended, resolved), "drift-cronjob").baseline_usd == 0.0


def test_a_user_price_for_the_type_wins(resolved: ResolvedBlueprint) -> None:
    price = UserPrice("service", "kubernetes:apps/v1:Deployment", "*", 100.0, "month", "chargeback", "p.yaml", 3)
    item = line(cost_report(fixture_plan(), resolved, PriceBook([price])), "gnn-deployment")
    assert (item.baseline_usd, item.provenance) == (100.0, "listed")
    assert "your price file p.yaml:3 (chargeback)" in item.parts[0].source


@pytest.mark.parametrize(
    ("schedule", "runs"),
    [
        ("0 * * * *", 730.0),  # every hour: 730 h
        ("*/15 * * * *", 2920.0),  # 4 an hour x 730 h
        ("@hourly", 730.0),
        ("0 2 * * *", DAYS_PER_MONTH),  # once a day x 30.42 days
        ("0 0,12 * * *", 2 * DAYS_PER_MONTH),
        ("@daily", DAYS_PER_MONTH),
        # 400 Gregorian years hold 146,097 days = 20,871 weeks exactly, in 4,800 months.
        ("0 3 * * 1", 20871 / 4800),  # Mondays
        ("0 3 * * MON", 20871 / 4800),
        ("0 9-17 * * 1-5", 9 * 5 * 20871 / 4800),  # 9 runs on each weekday
        ("30 6 1 * *", 1.0),  # the 1st of every month
        ("0 0 29 2 *", 97 / 4800),  # 97 leap days in 400 years
        # Both day fields restricted: either matches (robfig/cron). 1st of a month or a Sunday:
        # 4,800 firsts + 20,871 Sundays - 688 Sunday firsts (each date's weekday recurs 688 times in 400 years).
        ("0 0 1 * 0", (4800 + 20871 - 688) / 4800),
    ],
)
def test_cron_runs_per_month(schedule: str, runs: float) -> None:
    assert cron_runs_per_month(schedule) == pytest.approx(runs)


@pytest.mark.parametrize("schedule", ["", "0 * * *", "61 * * * *", "0 0 31 2 *", "every hour", "CRON_TZ=UTC 0 * * * *"])
def test_cron_schedules_that_cannot_be_counted(schedule: str) -> None:
    assert cron_runs_per_month(schedule) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", Decimal("0.5")),
        ("2", Decimal(2)),
        ("1.5", Decimal("1.5")),
        ("16Gi", Decimal(16 * 2**30)),
        ("512Mi", Decimal(512 * 2**20)),
        ("1G", Decimal(10**9)),
        ("2k", Decimal(2000)),
        ("1e3", Decimal(1000)),
        (4, Decimal(4)),
    ],
)
def test_kubernetes_quantities(text: Any, value: Decimal) -> None:
    assert quantity(text) == value


@pytest.mark.parametrize("text", ["", "Gi", "1.2.3", "5 Gi", "1Gb", None, True])
def test_not_quantities(text: Any) -> None:
    assert quantity(text) is None


def test_pod_shape_counts_sidecars_and_the_largest_init_container() -> None:
    def box(cpu: str, memory: str, **extra: Any) -> dict[str, Any]:
        return {"resources": {"limits": {"cpu": cpu, "memory": memory}}, **extra}

    pod = {
        "containers": [box("1", "1Gi"), box("500m", "512Mi")],
        "initContainers": [box("250m", "256Mi", restartPolicy="Always"), box("4", "1Gi")],
    }
    shape = pod_shape(pod)
    # Running: 1 + 0.5 + 0.25 (sidecar) = 1.75 CPU, 1.75 GiB; the init container's 4 CPU is larger.
    assert (shape.cpu, shape.memory_gib, shape.gpus) == (4.0, 1.75, 0)


def test_the_ec2_price_file_is_the_projection_of_the_instance_table() -> None:
    with instances.INSTANCES_CSV.open(newline="", encoding="utf-8") as handle:
        source = [
            {
                "instance_type": row["ec2_instance_type"],
                "vcpu": row["vcpu"],
                "memory_gib": row["memory_gib"],
                "gpus": row["gpus"] or "0",
                "gpu_type": row["gpu_type"],
                "gpu_memory_gib": row["gpu_memory_gib"],
                "usd_hour_us_east_1": row["ec2_ondemand_usd_hour_us_east_1_reference"],
            }
            for row in csv.DictReader(handle)
            if row["ec2_ondemand_usd_hour_us_east_1_reference"] and row["vcpu"] and row["memory_gib"]
        ]
    with Path(EC2_PRICES_CSV).open(newline="", encoding="utf-8") as handle:
        copied = list(csv.DictReader(handle))
    assert copied == sorted(source, key=lambda row: row["instance_type"])
    assert len(ec2_nodes()) == len(copied) == 343
    assert ec2_nodes()["g5.xlarge"].usd == 1.006 and ec2_nodes()["m6i.large"].usd == 0.096
