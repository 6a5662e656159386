"""Monthly cost of a plan, resource by resource, with where every figure comes from; and rightsizing.

Pure: a Plan, the ResolvedBlueprint it was planned from and a PriceBook in, a CostReport out. Nothing
here talks to AWS. A month is 730 hours (8,760 hours a year / 12) and `DAYS_PER_MONTH` days.

What is priced, and how:
- SageMaker instance variants (production and shadow) of an EndpointConfiguration: instances x price
  per hour x 730 h. The baseline is the variant's autoscaling minimum (the Application Auto Scaling
  target `endpoint/<name>/variant/<variant>`, `minCapacity`), else its initial instance count; the
  ceiling is the target's `maxCapacity`, else the same count. Shadow variants do not autoscale.
  A variant with SageMaker managed instance scaling (an inference-component endpoint's fleet) runs
  between its `managedInstanceScaling` minimum and maximum: a fleet that scales to zero costs $0 at
  baseline and its maximum instances at the ceiling.
- Serverless variants: requests per day x `DAYS_PER_MONTH` x mean duration in seconds x the price per
  second of the memory size, from the endpoint's `traffic:` block. Without one the variant is
  `usage-priced`: it has a cost, and no figure is made up for it.
- Model Monitor schedules: runs per month x `MONITOR_RUN_HOURS` (an assumption) x instances x the
  SageMaker Processing price; the ceiling takes each run at its stopping condition's maximum runtime.
- The MLflow tracking server by size, KMS keys, IAM and Application Auto Scaling from the service
  prices (components/data/service_prices.csv) or a user price file.
- Kubernetes Deployments, StatefulSets and Pods: the node capacity their pods reserve, `estimated`.
  A pod's share of a node is the largest of its CPU, memory and GPU requests over that node's
  capacity; the node is the cheapest size of the family the pod selects (`node.kubernetes.io/instance-type`
  or an instance-family label), else of `KUBERNETES_CPU_FAMILY` / `KUBERNETES_GPU_FAMILY`, that holds the
  pod; its EC2 on-demand price (us-east-1, components/data/ec2_ondemand_prices_us_east_1.csv) x share x
  replicas x 730 h. Replicas: the HorizontalPodAutoscaler's minimum for the baseline and maximum for the
  ceiling, else `spec.replicas`. CronJobs: runs per month of the schedule x `activeDeadlineSeconds` (the
  longest a run may take) x `parallelism` x the pod's hourly share, baseline and ceiling alike.
- Everything else is listed with the reason it is unpriced; a user price file can price any resource
  type per month.

Provenance labels, on every figure: `listed` (a published, billed or user-supplied price: source and
date given), `estimated` (derived; the note says how), `usage-priced` (billed by use, and no usage
figures were given), `unpriced` (no price source; the reason is given), `included` (no charge of its
own here: its cost is counted on the line it names).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, NamedTuple

from mlstack.blueprints.load import ResolvedBlueprint
from mlstack.blueprints.schema import Endpoint, Model
from mlstack.components import instances, sizing
from mlstack.components.kubernetes import cron
from mlstack.components.naming import platform_prefix
from mlstack.stack.cost.prices import (
    AUTOSCALING,
    HOURS_PER_MONTH,
    IAM,
    KMS_KEY,
    PriceBook,
    Rate,
    mlflow_service,
    short_type,
)
from mlstack.stack.plan.engine import UNKNOWN_TEXT, Plan, PlannedResource

# 730 h / 24 h = 30.417 days; two decimals keep the arithmetic in a report short enough to redo by hand.
DAYS_PER_MONTH = 30.42
# An assumption, not a measurement: a Model Monitor data- or model-quality job over an hour's captured
# traffic typically finishes in minutes, but the job provisions its instance and pulls the analyzer
# image first. A quarter-hour per run is the baseline; the ceiling takes every run at its stopping
# condition's maximum runtime (mlstack sets 3600 s), which AWS bills at most.
MONITOR_RUN_HOURS = 0.25

ASSUMPTIONS = (
    f"a month is {HOURS_PER_MONTH:g} hours and {DAYS_PER_MONTH:g} days",
    "instance variants run all month: baseline at the autoscaling minimum, ceiling at the maximum",
    f"each Model Monitor run takes {MONITOR_RUN_HOURS:g} h (assumed); "
    "the ceiling takes every run at its maximum runtime",
    "serverless endpoints cost what their `traffic:` figures say; their ceiling is the same figure",
    "on-demand prices; no free tier, savings plan or reserved capacity is applied",
    "storage, requests and data transfer (S3, endpoint ML storage, KMS requests, CloudWatch) are not estimated",
)
KUBERNETES_ASSUMPTIONS = (
    "Kubernetes pods cost their share of a node: the largest of their CPU, memory and GPU requests over the "
    "capacity of the cheapest node that holds them, of the family they select (m6i for CPU pods, g5 for GPU "
    "pods by default), at its EC2 us-east-1 on-demand price; kubelet reservations, DaemonSets, unused node "
    "capacity, EBS volumes and the EKS cluster fee are not counted",
    "each Kubernetes CronJob run is priced at its activeDeadlineSeconds, the longest it may run",
)

Provenance = Literal["listed", "estimated", "usage-priced", "unpriced", "included"]
# A line is as trustworthy as its weakest part.
_WEAKNESS: dict[Provenance, int] = {"included": 0, "listed": 1, "estimated": 2, "usage-priced": 3, "unpriced": 4}

ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
ENDPOINT = "aws-native:sagemaker:Endpoint"
MODEL = "aws:sagemaker/model:Model"
SCALING_TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
MONITORING_SCHEDULE = "aws:sagemaker/monitoringSchedule:MonitoringSchedule"
MLFLOW_SERVER = "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer"
KMS_KEY_TYPE = "aws:kms/key:Key"
_IAM_TYPES = ("aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy")
_JOB_DEFINITION = re.compile(
    r"^aws(-native)?:sagemaker(/\w+)?:(DataQuality|ModelQuality|ModelBias|ModelExplainability)JobDefinition$"
)

# Why a resource has no figure, by short type; the fallback says no source prices it.
_UNPRICED_REASONS = {
    "aws:sagemaker:FeatureGroup": "Feature Store bills reads, writes and storage; no Feature Store price was found "
    "(components/data/SOURCES.md)",
    "aws:s3:Bucket": "S3 bills storage, requests and transfer; no S3 price source in components/data",
    "aws:cloudwatch:MetricAlarm": "CloudWatch bills alarms per alarm metric; no sourced CloudWatch price",
    "aws:cloudwatch:Dashboard": "CloudWatch bills dashboards per month; no sourced CloudWatch price",
    "aws:cloudwatch:LogGroup": "CloudWatch Logs bills ingestion and storage; no sourced price",
    "aws:cloudwatch:LogStream": "CloudWatch Logs bills ingestion and storage; no sourced price",
    "aws:cloudwatch:EventRule": "EventBridge bills events; no sourced price",
    "aws:sns:Topic": "SNS bills requests and deliveries; no sourced price",
    "aws:sns:TopicSubscription": "SNS bills deliveries; no sourced price",
    "aws:lambda:Function": "Lambda bills requests and compute time; no sourced price",
    "aws:apigatewayv2:Api": "API Gateway bills requests; no sourced price",
    "aws:kinesis:FirehoseDeliveryStream": "Firehose bills data ingested; no sourced price",
    "aws:sagemaker:ModelPackageGroup": "no price source for the model registry",
    "aws:kms:Alias": "no price is given for aliases on the KMS pricing page",
}
_BUCKET_CONFIG = re.compile(r"^aws:s3/bucket\w+:")

# Graviton families (c6g, m7gd, r8g, g5g, t4g...) are arm64: an x86 image does not start on them, and
# the reverse. https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-nitro-instances.html
_GRAVITON = re.compile(r"^[a-z]+\d+g")
_GPU_TAG = re.compile(r"(^|[-_.])gpu([-_.]|$)|(^|[-_.])cu\d{2,3}([-_.]|$)")
_CPU_TAG = re.compile(r"(^|[-_.])cpu([-_.]|$)")


@dataclass(frozen=True)
class CostPart:
    """One priced thing inside a resource: a variant, a monitoring run, a key."""

    what: str
    provenance: Provenance
    baseline_usd: float | None
    ceiling_usd: float | None
    arithmetic: str = ""
    """How the figures were computed, in numbers a reader can redo by hand."""
    source: str = ""
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "provenance": self.provenance,
            "baseline_usd": _round(self.baseline_usd),
            "ceiling_usd": _round(self.ceiling_usd),
            "arithmetic": self.arithmetic,
            "source": self.source,
            "note": self.note,
        }


@dataclass(frozen=True)
class LineItem:
    """The monthly cost of one resource of the plan."""

    urn: str
    type: str
    name: str
    component: str
    """The top-level component the resource belongs to, e.g. `recsys-prod-ranker`; "" at the stack's root."""
    component_type: str
    parts: tuple[CostPart, ...]

    @property
    def provenance(self) -> Provenance:
        return max((part.provenance for part in self.parts), key=lambda label: _WEAKNESS[label])

    @property
    def priced(self) -> bool:
        return any(part.baseline_usd is not None for part in self.parts)

    @property
    def baseline_usd(self) -> float | None:
        return _sum(part.baseline_usd for part in self.parts)

    @property
    def ceiling_usd(self) -> float | None:
        return _sum(part.ceiling_usd for part in self.parts)

    @property
    def reason(self) -> str:
        """Why the line has no (full) figure; empty when every part is priced."""
        return "; ".join(part.note for part in self.parts if part.provenance in ("unpriced", "usage-priced"))

    def summary(self) -> str:
        """Short text for a plan tree: `$2,056.26-$8,225.06/mo listed`, `unpriced`, `included`."""
        if not self.priced:
            return self.provenance
        baseline, ceiling = self.baseline_usd or 0.0, self.ceiling_usd or 0.0
        figure = usd(baseline) if _same(baseline, ceiling) else f"{usd(baseline)}-{usd(ceiling)}"
        return f"{figure}/mo {self.provenance}"

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "component": self.component,
            "provenance": self.provenance,
            "baseline_usd": _round(self.baseline_usd),
            "ceiling_usd": _round(self.ceiling_usd),
            "parts": [part.to_json() for part in self.parts],
        }


@dataclass(frozen=True)
class Suggestion:
    """A cheaper instance type that still meets a variant's needs."""

    endpoint: str
    variant: str
    shadow: bool
    current_type: str
    current_rate: Rate
    suggested_type: str
    suggested_rate: Rate
    instances: int
    """The variant's baseline instance count, which the saving is computed for."""
    needs: str
    """What the suggestion had to meet, in words."""

    @property
    def monthly_saving_usd(self) -> float:
        return (self.current_rate.usd - self.suggested_rate.usd) * self.instances * HOURS_PER_MONTH

    def text(self) -> str:
        kind = "shadow variant" if self.shadow else "variant"
        return (
            f"{self.endpoint} {kind} {self.variant}: {self.suggested_type} at ${_rate(self.suggested_rate.usd)}/h "
            f"({self.suggested_rate.provenance}) instead of {self.current_type} at ${_rate(self.current_rate.usd)}/h "
            f"({self.current_rate.provenance}) meets its needs ({self.needs}); saves "
            f"{self.instances} × ${_rate(self.current_rate.usd - self.suggested_rate.usd)}/h × {HOURS_PER_MONTH:g} h "
            f"= {usd(self.monthly_saving_usd)}/mo at baseline"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "variant": self.variant,
            "shadow": self.shadow,
            "current": _rate_json(self.current_type, self.current_rate),
            "suggested": _rate_json(self.suggested_type, self.suggested_rate),
            "instances": self.instances,
            "needs": self.needs,
            "monthly_saving_usd": _round(self.monthly_saving_usd),
        }


@dataclass(frozen=True)
class Subtotal:
    """The cost of one top-level component."""

    component: str
    component_type: str
    baseline_usd: float
    ceiling_usd: float
    unpriced: int
    """Lines without a full figure (unpriced or usage-priced)."""


@dataclass(frozen=True)
class CostReport:
    """The monthly cost of one environment's plan."""

    blueprint: str
    environment: str
    region: str
    items: tuple[LineItem, ...]
    rightsizing: tuple[Suggestion, ...] = ()
    price_file: str | None = None
    assumptions: tuple[str, ...] = field(default=ASSUMPTIONS)

    @property
    def baseline_usd(self) -> float:
        return sum(item.baseline_usd or 0.0 for item in self.items)

    @property
    def ceiling_usd(self) -> float:
        return sum(item.ceiling_usd or 0.0 for item in self.items)

    def by_urn(self) -> dict[str, LineItem]:
        return {item.urn: item for item in self.items}

    def without_figure(self, provenance: Provenance) -> list[LineItem]:
        """Lines with a part labelled `provenance` ("unpriced" or "usage-priced")."""
        return [item for item in self.items if any(part.provenance == provenance for part in item.parts)]

    def subtotals(self) -> list[Subtotal]:
        """Per top-level component, in plan order; the stack's own resources under ""."""
        order: dict[tuple[str, str], list[LineItem]] = {}
        for item in self.items:
            order.setdefault((item.component, item.component_type), []).append(item)
        return [
            Subtotal(
                component=name,
                component_type=kind,
                baseline_usd=sum(item.baseline_usd or 0.0 for item in items),
                ceiling_usd=sum(item.ceiling_usd or 0.0 for item in items),
                unpriced=sum(1 for item in items if item.provenance in ("unpriced", "usage-priced")),
            )
            for (name, kind), items in order.items()
        ]

    def biggest(self, count: int = 3) -> list[LineItem]:
        """The priced lines with the largest baseline, largest first."""
        priced = [item for item in self.items if item.priced and (item.baseline_usd or 0.0) > 0]
        return sorted(priced, key=lambda item: (-(item.baseline_usd or 0.0), item.urn))[:count]

    def to_json(self) -> dict[str, Any]:
        """A deterministic document: same plan and prices, same bytes."""
        return {
            "blueprint": self.blueprint,
            "environment": self.environment,
            "region": self.region,
            "currency": "USD",
            "hours_per_month": HOURS_PER_MONTH,
            "price_file": self.price_file,
            "totals": {
                "baseline_usd": _round(self.baseline_usd),
                "ceiling_usd": _round(self.ceiling_usd),
                "unpriced": len(self.without_figure("unpriced")),
                "usage_priced": len(self.without_figure("usage-priced")),
            },
            "components": [
                {
                    "component": sub.component,
                    "type": sub.component_type,
                    "baseline_usd": _round(sub.baseline_usd),
                    "ceiling_usd": _round(sub.ceiling_usd),
                    "unpriced": sub.unpriced,
                }
                for sub in self.subtotals()
            ],
            "resources": [item.to_json() for item in self.items],
            "rightsizing": [suggestion.to_json() for suggestion in self.rightsizing],
            "assumptions": list(self.assumptions),
        }


class Totals(NamedTuple):
    """An environment's monthly estimate."""

    baseline_usd: float
    ceiling_usd: float
    unpriced: int
    """Resources with no (full) figure: unpriced or usage-priced."""


class BudgetStatus(NamedTuple):
    """What the budget rule needs: the baseline estimate, the budget, and the lines that cost most."""

    estimate_usd: float
    budget_usd: float | None
    biggest_items: tuple[LineItem, ...]


# --- public entry points -----------------------------------------------------------------------


def cost_report(plan: Plan, resolved: ResolvedBlueprint, prices: PriceBook | None = None) -> CostReport:
    """Price every resource of `plan` (planned from `resolved`) with `prices` (ours by default)."""
    book = prices or PriceBook()
    context = _Context(plan, resolved, book)
    items = tuple(item for resource in plan.resources if (item := context.line_item(resource)) is not None)
    kubernetes = any(item.type in KUBERNETES_PRICED for item in items)
    return CostReport(
        blueprint=resolved.blueprint.blueprint,
        environment=resolved.environment_name,
        region=resolved.blueprint.region,
        items=items,
        rightsizing=tuple(context.suggestions),
        price_file=book.user_file,
        assumptions=ASSUMPTIONS + KUBERNETES_ASSUMPTIONS if kubernetes else ASSUMPTIONS,
    )


def resource_costs(plan: Plan, resolved: ResolvedBlueprint, prices: PriceBook | None = None) -> dict[str, LineItem]:
    """Each costed resource's line, by URN, for the plan tree (components and providers have none)."""
    return cost_report(plan, resolved, prices).by_urn()


def environment_total(plan: Plan, resolved: ResolvedBlueprint, prices: PriceBook | None = None) -> Totals:
    """The environment's monthly baseline and ceiling, and how many resources they leave out."""
    report = cost_report(plan, resolved, prices)
    return report_totals(report)


def report_totals(report: CostReport) -> Totals:
    unpriced = sum(1 for item in report.items if item.provenance in ("unpriced", "usage-priced"))
    return Totals(report.baseline_usd, report.ceiling_usd, unpriced)


def budget_status(report: CostReport, resolved: ResolvedBlueprint, *, biggest: int = 3) -> BudgetStatus:
    """The baseline estimate against the environment's `budget_usd_month` (None when it sets none)."""
    return BudgetStatus(report.baseline_usd, resolved.environment.budget_usd_month, tuple(report.biggest(biggest)))


def usd(amount: float) -> str:
    """`$1,234.56`."""
    return f"-${-amount:,.2f}" if amount < 0 else f"${amount:,.2f}"


# --- pricing each resource ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Variant:
    name: str
    instance_type: str
    initial: int
    minimum: int
    maximum: int
    model_name: str
    shadow: bool
    autoscaled: bool
    managed: bool = False
    """SageMaker scales the instances itself (ManagedInstanceScaling), not Application Auto Scaling."""


class _Context:
    def __init__(self, plan: Plan, resolved: ResolvedBlueprint, prices: PriceBook) -> None:
        self.plan = plan
        self.resolved = resolved
        self.blueprint = resolved.blueprint
        self.region = resolved.blueprint.region
        self.prices = prices
        self.prefix = platform_prefix(resolved.blueprint.blueprint, resolved.environment_name)
        self.by_urn = {resource.urn: resource for resource in plan.resources}
        # The plan indexed once: each configuration, schedule and variant is priced by lookups, not
        # by scanning the plan (`Plan.by_type` is a scan; once per configuration it was quadratic).
        by_type: dict[str, list[PlannedResource]] = {}
        for resource in plan.resources:
            by_type.setdefault(resource.type, []).append(resource)
        self.endpoints = by_type.get(ENDPOINT, [])
        # The first endpoint (in plan order) using each configuration name, and under each parent.
        self.endpoint_by_config: dict[str, PlannedResource] = {}
        self.endpoint_by_parent: dict[str | None, PlannedResource] = {}
        for endpoint in self.endpoints:
            config_name = endpoint.inputs.get("endpointConfigName")
            if isinstance(config_name, str):
                self.endpoint_by_config.setdefault(config_name, endpoint)
            self.endpoint_by_parent.setdefault(endpoint.parent, endpoint)
        self.blueprint_endpoints: dict[str, Endpoint] = {}
        for declared in self.blueprint.endpoints:
            self.blueprint_endpoints.setdefault(f"{self.prefix}-{declared.name}", declared)
        self.job_definitions = [r for r in plan.resources if _JOB_DEFINITION.match(r.type)]
        # The first job definition (in plan order) by either of its names, and under each parent.
        self.job_by_name: dict[str, PlannedResource] = {}
        self.job_by_parent: dict[str | None, PlannedResource] = {}
        for definition in self.job_definitions:
            for name in _job_names(definition):
                if isinstance(name, str):
                    self.job_by_name.setdefault(name, definition)
            self.job_by_parent.setdefault(definition.parent, definition)
        # The cheapest cheaper type per (current type, its rate, what the model needs): the answer
        # depends on nothing else, and searching the catalogue per variant was most of the estimate.
        self.cheapest: dict[tuple[str, float, _Needs], tuple[float, str, Rate] | None] = {}
        self.suggestions: list[Suggestion] = []
        self.scaling: dict[str, tuple[int, int]] = {}
        for target in by_type.get(SCALING_TARGET, []):
            resource_id = target.inputs.get("resourceId")
            low, high = _int(target.inputs.get("minCapacity")), _int(target.inputs.get("maxCapacity"))
            if isinstance(resource_id, str) and low is not None and high is not None:
                self.scaling[resource_id] = (low, high)
        self.models_by_name = {
            str(model.inputs.get("name")): model for model in by_type.get(MODEL, []) if model.inputs.get("name")
        }
        self.autoscalers = _autoscalers(plan)
        self.served_models = {
            str(variant.get("modelName"))
            for config in by_type.get(ENDPOINT_CONFIG, [])
            for key in ("productionVariants", "shadowProductionVariants")
            for variant in _dicts(config.inputs.get(key))
        }

    # -- structure --

    def top_component(self, resource: PlannedResource) -> PlannedResource | None:
        node = resource
        while node.parent is not None and node.parent in self.by_urn:
            node = self.by_urn[node.parent]
        return node if node.is_component else None

    def line_item(self, resource: PlannedResource) -> LineItem | None:
        if resource.is_component or resource.type.startswith("pulumi:providers:"):
            return None
        parts = self.parts(resource)
        top = self.top_component(resource)
        return LineItem(
            urn=resource.urn,
            type=resource.type,
            name=resource.name,
            component=top.name if top else "",
            component_type=top.type if top else "",
            parts=tuple(parts),
        )

    def parts(self, resource: PlannedResource) -> list[CostPart]:
        kind = resource.type
        if kind == ENDPOINT_CONFIG:
            return self.endpoint_config(resource)
        if kind == ENDPOINT:
            config = resource.inputs.get("endpointConfigName")
            return [_included(f"its instances are priced on its endpoint configuration {config}")]
        if kind == MODEL:
            if resource.inputs.get("name") in self.served_models:
                return [_included("it runs on the instances of the variants that serve it, priced there")]
            return [
                _unpriced(
                    "SageMaker model no variant serves (kept for rollback)",
                    "no charge is documented for a model definition; its artifact's S3 storage is not estimated",
                )
            ]
        if kind == MONITORING_SCHEDULE:
            return self.monitoring_schedule(resource)
        if _JOB_DEFINITION.match(kind):
            return [_included("its runs are priced on the monitoring schedule that starts them")]
        if kind == MLFLOW_SERVER:
            return self.mlflow(resource)
        if kind == KMS_KEY_TYPE:
            return [self.service_part("customer managed KMS key", KMS_KEY, 1, "key", extra=_KMS_NOTE)]
        if kind in _IAM_TYPES:
            return [self.service_part("IAM", IAM, 1, short_type(kind).rsplit(":", 1)[1])]
        if kind in (SCALING_TARGET, SCALING_POLICY):
            extra = "its target-tracking alarms are CloudWatch alarms, not estimated" if kind == SCALING_POLICY else ""
            return [self.service_part("Application Auto Scaling", AUTOSCALING, 1, "resource", extra=extra)]
        if kind.startswith("kubernetes:") and self.prices.resource_type(kind, self.region) is None:
            return self.kubernetes(resource)
        return [self.other(resource)]

    # -- generic --

    def service_part(self, what: str, service: str, count: int, unit_name: str, *, extra: str = "") -> CostPart:
        rate = self.prices.service(service, self.region)
        if rate is None:
            return _unpriced(what, f"no price for service {service!r}")
        monthly = count * rate.monthly_usd
        per = f"${_rate(rate.usd)}/h × {HOURS_PER_MONTH:g} h" if rate.unit == "hour" else f"${_rate(rate.usd)}/month"
        return CostPart(
            what=what,
            provenance=rate.provenance,
            baseline_usd=monthly,
            ceiling_usd=monthly,
            arithmetic=f"{count} {unit_name} × {per} = {usd(monthly)}",
            source=rate.source,
            note=_join(rate.note, extra),
        )

    def other(self, resource: PlannedResource) -> CostPart:
        short = short_type(resource.type)
        rate = self.prices.resource_type(resource.type, self.region)
        if rate is not None:
            monthly = rate.monthly_usd
            per = (
                f"${_rate(rate.usd)}/h × {HOURS_PER_MONTH:g} h" if rate.unit == "hour" else f"${_rate(rate.usd)}/month"
            )
            return CostPart(
                short, rate.provenance, monthly, monthly, f"1 × {per} = {usd(monthly)}", rate.source, rate.note
            )
        if _BUCKET_CONFIG.match(resource.type):
            return _unpriced(short, "configuration of its S3 bucket; S3 bills the bucket's storage and requests")
        reason = _UNPRICED_REASONS.get(short)
        if reason is None and short.startswith(("aws:apigatewayv2:", "aws:lambda:", "aws:sagemaker:ModelPackageGroup")):
            reason = "no charge of its own is documented here; its service bills by use"
        return _unpriced(short, reason or f"no price source for {short}")

    # -- endpoints --

    def endpoint_name(self, config: PlannedResource) -> str | None:
        """The name of the endpoint using `config`: the first naming it, else the first beside it."""
        config_name = config.inputs.get("name")
        endpoint = None
        if isinstance(config_name, str):
            endpoint = self.endpoint_by_config.get(config_name) if config_name else None
        elif config_name:  # not a name a plan gives: compare as the scan did
            endpoint = next((e for e in self.endpoints if e.inputs.get("endpointConfigName") == config_name), None)
        if endpoint is None:
            endpoint = self.endpoint_by_parent.get(config.parent)
        return _str(endpoint.inputs.get("endpointName")) if endpoint is not None else None

    def blueprint_endpoint(self, endpoint_name: str | None) -> Endpoint | None:
        return self.blueprint_endpoints.get(endpoint_name) if endpoint_name is not None else None

    def endpoint_config(self, config: PlannedResource) -> list[CostPart]:
        endpoint_name = self.endpoint_name(config)
        endpoint = self.blueprint_endpoint(endpoint_name)
        shown = endpoint.name if endpoint else (endpoint_name or config.name)
        parts: list[CostPart] = []
        for raw in _dicts(config.inputs.get("productionVariants")):
            serverless = raw.get("serverlessConfig")
            if isinstance(serverless, dict):
                parts += self.serverless(raw, serverless, endpoint)
                continue
            variant = self.variant(raw, endpoint_name, shadow=False)
            parts.append(self.variant_part(variant))
            self.rightsize(variant, shown, endpoint)
        for raw in _dicts(config.inputs.get("shadowProductionVariants")):
            variant = self.variant(raw, endpoint_name, shadow=True)
            parts.append(self.variant_part(variant))
            self.rightsize(variant, shown, endpoint)
        return parts or [_unpriced("endpoint configuration", "no variants in the plan")]

    def variant(self, raw: Mapping[str, Any], endpoint_name: str | None, *, shadow: bool) -> _Variant:
        name = str(raw.get("variantName", "?"))
        initial = _int(raw.get("initialInstanceCount")) or 1
        bounds = None
        managed = _mapping(raw.get("managedInstanceScaling"))
        if managed.get("status") == "ENABLED" and _int(managed.get("maxInstanceCount")) is not None:
            bounds = (_int(managed.get("minInstanceCount")) or 0, _int(managed.get("maxInstanceCount")) or 0)
        elif endpoint_name and not shadow:
            bounds = self.scaling.get(f"endpoint/{endpoint_name}/variant/{name}")
        low, high = bounds if bounds else (initial, initial)
        return _Variant(
            name=name,
            instance_type=str(raw.get("instanceType", "")),
            initial=initial,
            minimum=low,
            maximum=high,
            model_name=str(raw.get("modelName", "")),
            shadow=shadow,
            autoscaled=bounds is not None,
            managed=managed.get("status") == "ENABLED",
        )

    def variant_part(self, variant: _Variant) -> CostPart:
        kind = "shadow variant" if variant.shadow else "variant"
        count = f"{variant.minimum}-{variant.maximum}" if variant.minimum != variant.maximum else str(variant.minimum)
        what = f"{kind} {variant.name}: {count} × {variant.instance_type}"
        rate = self.prices.instance_hour(variant.instance_type, self.region)
        if rate is None:
            return _unpriced(what, f"no hosting price or EC2 reference price for {variant.instance_type}")
        baseline = variant.minimum * rate.usd * HOURS_PER_MONTH
        ceiling = variant.maximum * rate.usd * HOURS_PER_MONTH
        per = f"${_rate(rate.usd)}/h × {HOURS_PER_MONTH:g} h"
        if variant.autoscaled:
            how = "managed instance scaling" if variant.managed else "autoscaling"
            arithmetic = (
                f"baseline {variant.minimum} ({how} min) × {per} = {usd(baseline)}; "
                f"ceiling {variant.maximum} ({how} max) × {per} = {usd(ceiling)}"
            )
        else:
            arithmetic = f"{variant.minimum} × {per} = {usd(baseline)}"
        return CostPart(what, rate.provenance, baseline, ceiling, arithmetic, rate.source, rate.note)

    def serverless(
        self, raw: Mapping[str, Any], config: Mapping[str, Any], endpoint: Endpoint | None
    ) -> list[CostPart]:
        memory = _int(config.get("memorySizeInMb")) or 0
        what = f"serverless variant {raw.get('variantName', '?')}: {memory} MB"
        parts: list[CostPart] = []
        provisioned = _int(config.get("provisionedConcurrency"))
        traffic = endpoint.traffic if endpoint else None
        rate = self.prices.serverless_second(memory, self.region)
        if traffic is None:
            parts.append(
                CostPart(
                    what,
                    "usage-priced",
                    None,
                    None,
                    note="billed per request by compute time; the endpoint has no `traffic:` figures "
                    "(requests_per_day, mean_duration_ms) to estimate it from",
                    source=rate.source if rate else "",
                )
            )
        elif rate is None:
            parts.append(_unpriced(what, f"no serverless price for {memory} MB"))
        else:
            seconds = traffic.requests_per_day * DAYS_PER_MONTH * traffic.mean_duration_ms / 1000
            monthly = seconds * rate.usd
            arithmetic = (
                f"{traffic.requests_per_day:,g} requests/day × {DAYS_PER_MONTH:g} days × "
                f"{traffic.mean_duration_ms / 1000:g} s × ${_rate(rate.usd)}/s = {usd(monthly)}"
            )
            note = _join(rate.note, "plus data processed per GB (payload sizes unknown, not estimated)")
            parts.append(CostPart(what, rate.provenance, monthly, monthly, arithmetic, rate.source, note))
        if provisioned:
            parts.append(
                _unpriced(
                    f"provisioned concurrency {provisioned}",
                    "serverless provisioned concurrency is billed separately; no price source for it",
                )
            )
        return parts

    # -- rightsizing --

    def rightsize(self, variant: _Variant, endpoint_name: str, endpoint: Endpoint | None) -> None:
        try:
            current = instances.lookup(variant.instance_type)
        except instances.UnknownInstanceType:
            return
        current_rate = self.prices.instance_hour(current.name, self.region)
        if current_rate is None:
            return
        model = self.blueprint_model(endpoint, variant)
        image = self.image_of(variant.model_name)
        needs = _Needs.of(current, model, image)
        best = self.cheapest_for(current, current_rate, needs)
        if best is not None:
            self.suggestions.append(
                Suggestion(
                    endpoint=endpoint_name,
                    variant=variant.name,
                    shadow=variant.shadow,
                    current_type=current.name,
                    current_rate=current_rate,
                    suggested_type=best[1],
                    suggested_rate=best[2],
                    instances=variant.minimum,
                    needs=needs.text,
                )
            )

    def cheapest_for(
        self, current: instances.InstanceType, current_rate: Rate, needs: _Needs
    ) -> tuple[float, str, Rate] | None:
        """`cheaper_type`, searched once per distinct (type, rate, needs)."""
        key = (current.name, current_rate.usd, needs)
        if key not in self.cheapest:
            self.cheapest[key] = self.cheaper_type(current, current_rate, needs)
        return self.cheapest[key]

    def cheaper_type(
        self, current: instances.InstanceType, current_rate: Rate, needs: _Needs
    ) -> tuple[float, str, Rate] | None:
        """The cheapest endpoint type that meets `needs` for less than `current_rate`, with its rate."""
        best: tuple[float, str, Rate] | None = None
        for candidate in instances.endpoint_instance_types():
            if candidate.name == current.name or not needs.met_by(candidate):
                continue
            rate = self.prices.instance_hour(candidate.name, self.region)
            if rate is None or rate.usd >= current_rate.usd:
                continue
            if best is None or (rate.usd, candidate.name) < (best[0], best[1]):
                best = (rate.usd, candidate.name, rate)
        return best

    def blueprint_model(self, endpoint: Endpoint | None, variant: _Variant) -> Model | None:
        if endpoint is None:
            return None
        if variant.shadow and endpoint.shadow and endpoint.shadow.name == variant.name:
            return endpoint.models.get(endpoint.shadow.model)
        for declared in endpoint.variants:
            if declared.name == variant.name:
                return endpoint.models.get(declared.model)
        return None

    def image_of(self, model_name: str) -> str:
        model = self.models_by_name.get(model_name)
        if model is None:
            return ""
        container = model.inputs.get("primaryContainer")
        if not isinstance(container, dict):
            containers = _dicts(model.inputs.get("containers"))
            container = containers[0] if containers else {}
        return str(container.get("image", ""))

    # -- monitoring, tracking --

    def job_definition(self, schedule: PlannedResource) -> PlannedResource | None:
        """The schedule's job definition: the first named as it says, else the first beside it."""
        config = schedule.inputs.get("monitoringScheduleConfig")
        wanted = config.get("monitoringJobDefinitionName") if isinstance(config, dict) else None
        found = None
        if isinstance(wanted, str):
            found = self.job_by_name.get(wanted) if wanted else None
        elif wanted:  # not a name a plan gives: compare as the scan did
            found = next((d for d in self.job_definitions if wanted in _job_names(d)), None)
        return found if found is not None else self.job_by_parent.get(schedule.parent)

    def monitoring_schedule(self, schedule: PlannedResource) -> list[CostPart]:
        config = schedule.inputs.get("monitoringScheduleConfig")
        expression = ""
        if isinstance(config, dict) and isinstance(config.get("scheduleConfig"), dict):
            expression = str(config["scheduleConfig"].get("scheduleExpression", ""))
        definition = self.job_definition(schedule)
        cluster: Mapping[str, Any] = {}
        max_runtime = None
        if definition is not None:
            resources = definition.inputs.get("jobResources")
            if isinstance(resources, dict) and isinstance(resources.get("clusterConfig"), dict):
                cluster = resources["clusterConfig"]
            stopping = definition.inputs.get("stoppingCondition")
            if isinstance(stopping, dict):
                max_runtime = _int(stopping.get("maxRuntimeInSeconds"))
        instance_type = str(cluster.get("instanceType", ""))
        count = _int(cluster.get("instanceCount")) or 1
        what = f"Model Monitor runs: {expression or '?'} on {count} × {instance_type or '?'}"
        runs = runs_per_month(expression)
        if runs is None:
            return [_unpriced(what, f"cannot count the runs of schedule {expression!r}")]
        rate = self.prices.processing_hour(instance_type, self.region) if instance_type else None
        if rate is None:
            return [
                _unpriced(what, f"no Processing or hosting price for {instance_type or 'an unknown instance type'}")
            ]
        baseline = runs * MONITOR_RUN_HOURS * count * rate.usd
        ceiling_hours = max_runtime / 3600 if max_runtime else MONITOR_RUN_HOURS
        ceiling = runs * ceiling_hours * count * rate.usd
        arithmetic = (
            f"baseline {runs:g} runs × {MONITOR_RUN_HOURS:g} h (assumed per run) × {count} × ${_rate(rate.usd)}/h "
            f"= {usd(baseline)}; ceiling {runs:g} runs × {ceiling_hours:g} h (max runtime) × {count} × "
            f"${_rate(rate.usd)}/h = {usd(ceiling)}"
        )
        return [CostPart(what, rate.provenance, baseline, ceiling, arithmetic, rate.source, rate.note)]

    def mlflow(self, server: PlannedResource) -> list[CostPart]:
        size = str(server.inputs.get("trackingServerSize", "Small"))
        what = f"MLflow tracking server, size {size}"
        rate = self.prices.service(mlflow_service(size), self.region)
        if rate is None:
            return [
                _unpriced(
                    what,
                    "no source for SageMaker MLflow tracking server prices (components/data/SOURCES.md, "
                    f"'Not found'); give one in a price file as service {mlflow_service(size)}",
                )
            ]
        return [self.service_part(what, mlflow_service(size), 1, "server")]

    # -- Kubernetes --

    def kubernetes(self, resource: PlannedResource) -> list[CostPart]:
        kind = str(resource.inputs.get("kind", ""))
        name = _object_name(resource)
        what = f"{kind} {name}"
        if resource.type in (K8S_DEPLOYMENT, K8S_STATEFUL_SET, K8S_POD):
            return [self.pods(resource, what)]
        if resource.type == K8S_CRON_JOB:
            return [self.cron_job(resource, what)]
        if resource.type == K8S_JOB:
            return [_unpriced(what, "a Job runs once at `pulumi up`, not every month; its run is not estimated")]
        if resource.type == K8S_DAEMON_SET:
            return [_unpriced(what, "a DaemonSet runs one pod per node, and the cluster's nodes are not in this plan")]
        if resource.type in K8S_AUTOSCALERS:
            target = _mapping(_mapping(resource.inputs.get("spec")).get("scaleTargetRef"))
            return [
                _included(f"its pods are priced on the {target.get('kind', '?')} {target.get('name', '?')} it scales")
            ]
        spec = _mapping(resource.inputs.get("spec"))
        if kind == "Service" and spec.get("type") == "LoadBalancer":
            return [_unpriced(what, "a LoadBalancer Service creates an AWS load balancer; no ELB price source")]
        if kind == "Gateway" and str(resource.inputs.get("apiVersion", "")).startswith("gateway.networking.k8s.io/"):
            return [
                _unpriced(
                    what,
                    "the Gateway's controller (Envoy Gateway) runs proxy pods and an AWS load balancer for it; "
                    "neither is in this plan, and no ELB price source exists here",
                )
            ]
        return [
            _included(
                "a Kubernetes API object: no charge of its own (the cluster stores it; the cluster is not in this plan)"
            )
        ]

    def replicas(self, resource: PlannedResource) -> tuple[int, int, str]:
        """(baseline, ceiling, how) replicas of a workload: its HPA's bounds, else spec.replicas (default 1)."""
        if resource.type == K8S_POD:
            return 1, 1, "1 (a bare pod)"
        kind = str(resource.inputs.get("kind", ""))
        bounds = self.autoscalers.get((_namespace(resource), kind, _object_name(resource)))
        if bounds is not None:
            return bounds[0], bounds[1], "hpa"
        replicas = _int(_mapping(resource.inputs.get("spec")).get("replicas"))
        count = 1 if replicas is None else replicas
        return count, count, f"{count} (spec.replicas{'' if replicas is not None else ' unset: 1'})"

    def pods(self, resource: PlannedResource, what: str) -> CostPart:
        pod = _pod_template_spec(resource)
        low, high, how = self.replicas(resource)
        placed = _place(pod)
        if isinstance(placed, str):
            return _unpriced(what, placed)
        share, node, shape = placed
        hourly = share.value * node.usd
        baseline, ceiling = low * hourly * HOURS_PER_MONTH, high * hourly * HOURS_PER_MONTH
        per = f"{share.text} × ${_rate(node.usd)}/h × {HOURS_PER_MONTH:g} h"
        if how == "hpa":
            arithmetic = (
                f"{shape.text} on {node.text}: share {share.formula}; baseline {low} (HPA min) × {per} = "
                f"{usd(baseline)}; ceiling {high} (HPA max) × {per} = {usd(ceiling)}"
            )
        else:
            arithmetic = f"{shape.text} on {node.text}: share {share.formula}; {how} × {per} = {usd(baseline)}"
        count = f"{low}-{high}" if low != high else str(low)
        return CostPart(
            f"{what}: {count} × pod ({shape.text}) on {node.name}",
            "estimated",
            baseline,
            ceiling,
            arithmetic,
            K8S_NODE_SOURCE,
            self.node_note(node),
        )

    def cron_job(self, resource: PlannedResource, what: str) -> CostPart:
        spec = _mapping(resource.inputs.get("spec"))
        job = _mapping(_mapping(spec.get("jobTemplate")).get("spec"))
        schedule = _str(spec.get("schedule")) or ""
        if spec.get("suspend") is True:
            return CostPart(what, "estimated", 0.0, 0.0, "suspended: 0 runs", note="spec.suspend is true")
        runs = cron_runs_per_month(schedule)
        if runs is None:
            return _unpriced(what, f"cannot count the runs of schedule {schedule!r}")
        deadline = _int(job.get("activeDeadlineSeconds"))
        if deadline is None:
            return _unpriced(
                what,
                "no jobTemplate activeDeadlineSeconds: a run's length is unbounded, so its cost is billed by use",
                provenance="usage-priced",
            )
        placed = _place(_pod_template_spec(resource))
        if isinstance(placed, str):
            return _unpriced(what, placed)
        share, node, shape = placed
        parallelism = _int(job.get("parallelism"))
        pods = 1 if parallelism is None else parallelism
        hours = deadline / 3600
        monthly = runs * hours * pods * share.value * node.usd
        arithmetic = (
            f"{shape.text} on {node.text}: share {share.formula}; {_count(runs)} runs/month ({schedule}) × "
            f"{hours:g} h (activeDeadlineSeconds {deadline}) × {pods} pod{'s' if pods != 1 else ''} × {share.text} × "
            f"${_rate(node.usd)}/h = {usd(monthly)}"
        )
        return CostPart(
            f"{what}: {_count(runs)} runs/month × pod ({shape.text}) on {node.name}",
            "estimated",
            monthly,
            monthly,
            arithmetic,
            K8S_NODE_SOURCE,
            _join(self.node_note(node), "each run is priced at its deadline; shorter runs cost less"),
        )

    def node_note(self, node: _Node) -> str:
        stand_in = (
            f"the EC2 {EC2_PRICE_REGION} price stands in for {self.region}" if self.region != EC2_PRICE_REGION else ""
        )
        return _join(
            f"estimated: the pod's share of a {node.name} ({node.why}); the cluster's real nodes are not in this plan",
            "EC2 on-demand, not a SageMaker price",
            "kubelet reservations, DaemonSets and idle node capacity are not counted",
            stand_in,
        )


# --- Kubernetes workloads -------------------------------------------------------------------------

K8S_DEPLOYMENT = "kubernetes:apps/v1:Deployment"
K8S_STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
K8S_DAEMON_SET = "kubernetes:apps/v1:DaemonSet"
K8S_POD = "kubernetes:core/v1:Pod"
K8S_JOB = "kubernetes:batch/v1:Job"
K8S_CRON_JOB = "kubernetes:batch/v1:CronJob"
K8S_AUTOSCALERS = (
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    "kubernetes:autoscaling/v1:HorizontalPodAutoscaler",
    "kubernetes:autoscaling/v2beta2:HorizontalPodAutoscaler",
)
KUBERNETES_PRICED = (K8S_DEPLOYMENT, K8S_STATEFUL_SET, K8S_POD, K8S_CRON_JOB)
EC2_PRICES_CSV = instances.DATA / "ec2_ondemand_prices_us_east_1.csv"
EC2_PRICE_REGION = "us-east-1"
K8S_NODE_SOURCE = (
    "EC2 on-demand us-east-1, Karpenter price list generated 2026-07-20 "
    "(components/data/ec2_ondemand_prices_us_east_1.csv)"
)
# The reference node families when a pod selects none: m6i is the current general-purpose x86
# generation (4 GiB per vCPU); g5 (NVIDIA A10G, 24 GiB) is the GPU the SageMaker examples serve on.
KUBERNETES_CPU_FAMILY = "m6i"
KUBERNETES_GPU_FAMILY = "g5"
GPU_RESOURCE = "nvidia.com/gpu"
# Well-known node labels: https://kubernetes.io/docs/reference/labels-annotations-taints/ and Karpenter's /
# EKS Auto Mode's instance-family labels.
INSTANCE_TYPE_LABELS = ("node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type")
INSTANCE_FAMILY_LABELS = ("karpenter.k8s.aws/instance-family", "eks.amazonaws.com/instance-family")
# The Gregorian calendar repeats every 400 years: counting a schedule's run days over one cycle
# gives its exact long-run average per month.
_CYCLE_START = dt.date(2001, 1, 1)
_CYCLE_DAYS = 146_097
_CYCLE_MONTHS = 4_800


@dataclass(frozen=True)
class _Node:
    """An EC2 instance type a pod can be placed on."""

    name: str
    vcpu: int
    memory_gib: float
    gpus: int
    usd: float
    why: str = ""

    @property
    def family(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def text(self) -> str:
        gpus = f", {self.gpus} GPU" if self.gpus else ""
        return f"{self.name} ({self.vcpu} vCPU, {self.memory_gib:g} GiB{gpus}, ${_rate(self.usd)}/h)"


@dataclass(frozen=True)
class _PodShape:
    """What one pod requests, summed over its containers as the scheduler does."""

    cpu: float
    memory_gib: float
    gpus: int

    @property
    def text(self) -> str:
        gpus = f", {self.gpus} GPU" if self.gpus else ""
        return f"{self.cpu:g} CPU, {self.memory_gib:g} GiB{gpus}"


@dataclass(frozen=True)
class _Share:
    value: float
    formula: str

    @property
    def text(self) -> str:
        return f"{self.value:.4g}"


@functools.cache
def ec2_nodes() -> dict[str, _Node]:
    """EC2 types with shape and us-east-1 on-demand price (components/data/SOURCES.md)."""
    with EC2_PRICES_CSV.open(newline="", encoding="utf-8") as handle:
        return {
            row["instance_type"]: _Node(
                name=row["instance_type"],
                vcpu=int(row["vcpu"]),
                memory_gib=float(row["memory_gib"]),
                gpus=int(row["gpus"] or 0),
                usd=float(row["usd_hour_us_east_1"]),
            )
            for row in csv.DictReader(handle)
        }


_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "P": Decimal(10**15),
    "E": Decimal(10**18),
}
_QUANTITY = re.compile(r"^([+-]?[0-9.]+)([eE][+-]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?$")


def quantity(value: Any) -> Decimal | None:
    """A Kubernetes resource quantity (`500m`, `2`, `16Gi`, `1e3`) as a number; None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    if not isinstance(value, str):
        return None
    match = _QUANTITY.match(value.strip())
    if not match:
        return None
    number, suffix = match.group(1), match.group(2) or ""
    try:
        base = Decimal(number)
    except InvalidOperation:
        return None
    if suffix in _BINARY:
        return base * _BINARY[suffix]
    if suffix[:1] in ("e", "E"):
        return base * Decimal(10) ** int(suffix[1:])
    return base * _DECIMAL[suffix]


_Requests = tuple[Decimal, Decimal, Decimal]


def _container_requests(container: Mapping[str, Any]) -> _Requests:
    """(CPU cores, memory bytes, GPUs) a container reserves: its requests, else its limits (the API
    server copies limits into unset requests)."""
    resources = _mapping(container.get("resources"))
    requests, limits = _mapping(resources.get("requests")), _mapping(resources.get("limits"))

    def pick(name: str) -> Decimal:
        return quantity(requests.get(name, limits.get(name))) or Decimal(0)

    return pick("cpu"), pick("memory"), pick(GPU_RESOURCE)


def pod_shape(pod: Mapping[str, Any]) -> _PodShape:
    """A pod's effective request: its containers and sidecars (restartable init containers) summed,
    or its largest other init container if that is larger (each runs alone, before the rest)."""
    running = [_container_requests(c) for c in _dicts(pod.get("containers"))]
    sidecars: list[_Requests] = []
    init: list[_Requests] = []
    for container in _dicts(pod.get("initContainers")):
        (sidecars if container.get("restartPolicy") == "Always" else init).append(_container_requests(container))
    together = running + sidecars
    totals = [sum((values[index] for values in together), Decimal(0)) for index in range(3)]
    for index in range(3):
        totals[index] = max([totals[index], *(values[index] for values in init)])
    return _PodShape(float(totals[0]), float(totals[1] / _BINARY["Gi"]), int(totals[2]))


def _place(pod: Mapping[str, Any]) -> tuple[_Share, _Node, _PodShape] | str:
    """The pod's share of the node it reserves, or why it cannot be priced."""
    shape = pod_shape(pod)
    if not shape.cpu and not shape.memory_gib and not shape.gpus:
        return "its containers request no CPU, memory or GPU, so it reserves no node capacity to price"
    selector = _mapping(pod.get("nodeSelector"))
    nodes = ec2_nodes()
    exact = next((str(selector[label]) for label in INSTANCE_TYPE_LABELS if label in selector), None)
    if exact is not None:
        node = nodes.get(exact)
        if node is None:
            return f"no EC2 price for instance type {exact} (its nodeSelector) in components/data"
        if not _fits(shape, node):
            return f"a pod of {shape.text} does not fit a {node.text}: it would never be scheduled"
        return _share(shape, node), replace(node, why="the instance type its nodeSelector names"), shape
    family = next((str(selector[label]) for label in INSTANCE_FAMILY_LABELS if label in selector), None)
    why = "the cheapest size of the instance family its nodeSelector names that holds it"
    if family is None:
        family = KUBERNETES_GPU_FAMILY if shape.gpus else KUBERNETES_CPU_FAMILY
        why = f"the cheapest {family} size that holds it: an assumption, the pod names no instance type"
    candidates = [node for node in nodes.values() if node.family == family and _fits(shape, node)]
    if not candidates:
        return f"no {family} instance type in components/data holds a pod of {shape.text}"
    node = min(candidates, key=lambda n: (n.usd, n.name))
    return _share(shape, node), replace(node, why=why), shape


def _fits(shape: _PodShape, node: _Node) -> bool:
    return shape.cpu <= node.vcpu and shape.memory_gib <= node.memory_gib and shape.gpus <= node.gpus


def _share(shape: _PodShape, node: _Node) -> _Share:
    """The largest fraction of the node the pod's requests take: nothing else can use that part."""
    fractions = [
        (shape.cpu / node.vcpu, f"{shape.cpu:g}/{node.vcpu} CPU"),
        (shape.memory_gib / node.memory_gib, f"{shape.memory_gib:g}/{node.memory_gib:g} GiB"),
    ]
    if node.gpus:
        fractions.append((shape.gpus / node.gpus, f"{shape.gpus}/{node.gpus} GPU"))
    value = max(fraction for fraction, _ in fractions)
    return _Share(value, f"max({', '.join(text for _, text in fractions)}) = {value:.4g}")


def _pod_template_spec(resource: PlannedResource) -> Mapping[str, Any]:
    spec = _mapping(resource.inputs.get("spec"))
    if resource.type == K8S_POD:
        return spec
    if resource.type == K8S_CRON_JOB:
        spec = _mapping(_mapping(spec.get("jobTemplate")).get("spec"))
    return _mapping(_mapping(spec.get("template")).get("spec"))


def _job_names(definition: PlannedResource) -> tuple[Any, Any]:
    """A job definition's `name` (pulumi-aws) and `jobDefinitionName` (aws-native)."""
    return definition.inputs.get("name"), definition.inputs.get("jobDefinitionName")


def _autoscalers(plan: Plan) -> dict[tuple[str, str, str], tuple[int, int]]:
    """(namespace, kind, name) of each HPA's target -> (minReplicas, maxReplicas)."""
    bounds: dict[tuple[str, str, str], tuple[int, int]] = {}
    for resource in plan.resources:
        if resource.type not in K8S_AUTOSCALERS:
            continue
        spec = _mapping(resource.inputs.get("spec"))
        target = _mapping(spec.get("scaleTargetRef"))
        low, high = _int(spec.get("minReplicas")), _int(spec.get("maxReplicas"))
        if high is None or not isinstance(target.get("name"), str):
            continue
        key = (_namespace(resource), str(target.get("kind", "")), str(target["name"]))
        bounds[key] = (1 if low is None else low, high)
    return bounds


def _namespace(resource: PlannedResource) -> str:
    return str(_mapping(resource.inputs.get("metadata")).get("namespace") or "")


def _object_name(resource: PlannedResource) -> str:
    return str(_mapping(resource.inputs.get("metadata")).get("name") or resource.name)


def cron_runs_per_month(schedule: str) -> float | None:
    """Runs per month of a Kubernetes CronJob schedule (5 fields, robfig/cron syntax); None if invalid.

    Every hour of every day: runs per hour x 730 h. Every day: runs per day x `DAYS_PER_MONTH`.
    Otherwise the run days of a whole 400-year Gregorian cycle / 4,800 months x runs per day.
    """
    try:
        parsed = cron.parse(schedule)
    except ValueError:
        return None
    per_hour = len(parsed.minutes)
    every_day = parsed.dom_star and parsed.dow_star and len(parsed.months) == 12
    if every_day and len(parsed.hours) == 24:
        return per_hour * HOURS_PER_MONTH
    per_day = per_hour * len(parsed.hours)
    if every_day:
        return per_day * DAYS_PER_MONTH
    return per_day * _run_days_per_cycle(parsed) / _CYCLE_MONTHS


def _run_days_per_cycle(parsed: cron.Schedule) -> int:
    return sum(1 for day in range(_CYCLE_DAYS) if parsed.runs_on(_CYCLE_START + dt.timedelta(days=day)))


def _count(value: float) -> str:
    return f"{value:,.4g}" if value != int(value) else f"{int(value):,}"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


_KMS_NOTE = (
    "per key-month; KMS requests are billed by use and not estimated; with rotation on, each yearly "
    "backing key adds $1/month (same page)"
)


@dataclass(frozen=True)
class _Needs:
    """What an instance type must have to serve a variant's model."""

    gpu: bool
    arm64: bool
    shape: sizing.ModelShape | None
    """The model's GPU sizing (components.sizing judges it), for a GPU model; None otherwise."""
    min_gpu_gib: float
    min_vcpu: int
    min_memory_gib: float
    text: str

    @classmethod
    def of(cls, current: instances.InstanceType, model: Model | None, image: str) -> _Needs:
        tag = image.rsplit(":", 1)[-1] if ":" in image else ""
        container_model = model is not None and model.container is not None
        gpu_image = container_model or bool(_GPU_TAG.search(tag))
        cpu_image = bool(_CPU_TAG.search(tag))
        # An image we cannot classify (your own) on a GPU type may need that GPU: keep one.
        gpu = gpu_image or (current.has_gpu and not cpu_image)
        shape = None
        if gpu and model is not None:
            shape = sizing.ModelShape.declared(
                model.parameters_billions, model.dtype, model.tensor_parallel_degree, needs_gpu=True
            )
        vcpu, memory = current.vcpu or 0, current.memory_gib or 0.0
        arm64 = _is_arm64(current)
        if shape is not None and shape.weights_gib is not None:
            # Declared weights size the GPUs; CPU and host memory follow from the type that holds them.
            return cls(True, arm64, shape, 0.0, 0, 0.0, ", ".join(shape.requirements()))
        if gpu:
            why = "a GPU image" if gpu_image else "an image that may need its GPU"
            text = f"{why}: a GPU with at least {current.gpu_memory_gib:g} GiB, {vcpu} vCPU and {memory:g} GiB memory"
            text = ", ".join([text, *(shape.requirements() if shape is not None else [])])
            return cls(True, arm64, shape, current.gpu_memory_gib, vcpu, memory, text)
        text = f"at least {vcpu} vCPU and {memory:g} GiB memory"
        return cls(False, arm64, None, 0.0, vcpu, memory, text)

    def met_by(self, candidate: instances.InstanceType) -> bool:
        # Burstable types throttle under sustained load once their CPU credits run out, and Neuron
        # (Inferentia/Trainium) types need a model compiled for them: neither is a drop-in change.
        if candidate.burstable or candidate.accelerator_type or candidate.vcpu is None or candidate.memory_gib is None:
            return False
        if self.gpu != candidate.has_gpu or self.arm64 != _is_arm64(candidate):
            return False
        if self.shape is not None and self.shape.problems(candidate):
            return False
        if self.shape is not None and self.shape.weights_gib is not None:
            return True
        return (
            candidate.gpu_memory_gib >= self.min_gpu_gib
            and candidate.vcpu >= self.min_vcpu
            and candidate.memory_gib >= self.min_memory_gib
        )


def _is_arm64(instance: instances.InstanceType) -> bool:
    return _GRAVITON.match(instance.family) is not None


def runs_per_month(expression: str) -> float | None:
    """Runs per month of a SageMaker monitoring schedule `cron(0 H ? * * *)`; None if it is not one.

    The hour field is `*` (every hour), `*/N`, `H` or `H/N`: the forms SageMaker accepts for
    monitoring schedules, which run at most hourly, on the hour.
    """
    match = re.fullmatch(r"cron\(0 (\S+) \? \* \* \*\)", expression.strip())
    if not match:
        return None
    hours = match.group(1)
    step_match = re.fullmatch(r"(\*|\d{1,2})(?:/(\d{1,2}))?", hours)
    if not step_match:
        return None
    start_text, step_text = step_match.groups()
    if start_text == "*" and step_text is None:
        per_day = 24
    else:
        start = 0 if start_text == "*" else int(start_text)
        step = int(step_text) if step_text else None
        if start > 23 or (step is not None and step < 1):
            return None
        per_day = len(range(start, 24, step)) if step else 1
    return HOURS_PER_MONTH if per_day == 24 else per_day * DAYS_PER_MONTH


# --- small helpers ------------------------------------------------------------------------------


def _included(note: str) -> CostPart:
    return CostPart("no charge of its own", "included", None, None, note=note)


def _unpriced(what: str, reason: str, *, provenance: Provenance = "unpriced") -> CostPart:
    return CostPart(what, provenance, None, None, note=reason)


def _sum(values: Iterable[float | None]) -> float | None:
    numbers = [value for value in values if value is not None]
    return sum(numbers) if numbers else None


def _same(a: float, b: float) -> bool:
    return abs(a - b) < 0.005


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _rate(value: float) -> str:
    """A unit price without float noise or exponents: 0.00008, 1.4084, 0.2125."""
    text = f"{value:.8f}".rstrip("0").rstrip(".")
    return text or "0"


def _rate_json(instance_type: str, rate: Rate) -> dict[str, Any]:
    return {
        "instance_type": instance_type,
        "usd_per_hour": rate.usd,
        "provenance": rate.provenance,
        "region": rate.region,
        "source": rate.source,
        "note": rate.note,
    }


def _join(*parts: str) -> str:
    return "; ".join(part for part in parts if part)


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value == UNKNOWN_TEXT:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value != UNKNOWN_TEXT else None


def _dicts(value: Any) -> Sequence[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
