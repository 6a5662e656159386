"""Monthly cost of a plan, resource by resource, with where every figure comes from; and rightsizing.

Pure: a Plan, the ResolvedBlueprint it was planned from and a PriceBook in, a CostReport out. Nothing
here talks to AWS. A month is 730 hours (8,760 hours a year / 12) and `DAYS_PER_MONTH` days.

What is priced, and how:
- SageMaker instance variants (production and shadow) of an EndpointConfiguration: instances x price
  per hour x 730 h. The baseline is the variant's autoscaling minimum (the Application Auto Scaling
  target `endpoint/<name>/variant/<variant>`, `minCapacity`), else its initial instance count; the
  ceiling is the target's `maxCapacity`, else the same count. Shadow variants do not autoscale.
- Serverless variants: requests per day x `DAYS_PER_MONTH` x mean duration in seconds x the price per
  second of the memory size, from the endpoint's `traffic:` block. Without one the variant is
  `usage-priced`: it has a cost, and no figure is made up for it.
- Model Monitor schedules: runs per month x `MONITOR_RUN_HOURS` (an assumption) x instances x the
  SageMaker Processing price; the ceiling takes each run at its stopping condition's maximum runtime.
- The MLflow tracking server by size, KMS keys, IAM and Application Auto Scaling from the service
  prices (components/data/service_prices.csv) or a user price file.
- Everything else is listed with the reason it is unpriced; a user price file can price any resource
  type per month.

Provenance labels, on every figure: `listed` (a published, billed or user-supplied price: source and
date given), `estimated` (derived; the note says how), `usage-priced` (billed by use, and no usage
figures were given), `unpriced` (no price source; the reason is given), `included` (no charge of its
own here: its cost is counted on the line it names).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from blueprints.load import ResolvedBlueprint
from blueprints.schema import Endpoint, Model
from components import instances, sizing
from components.naming import platform_prefix
from stack.cost.prices import (
    AUTOSCALING,
    HOURS_PER_MONTH,
    IAM,
    KMS_KEY,
    PriceBook,
    Rate,
    mlflow_service,
    short_type,
)
from stack.plan.engine import UNKNOWN_TEXT, Plan, PlannedResource

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

NVIDIA_CUDA_GPUS = "https://developer.nvidia.com/cuda-gpus"
# bf16 arithmetic needs compute capability 8.0 (Ampere) or newer; these GPUs predate it
# (K80 3.7, V100 7.0, T4 7.5: NVIDIA_CUDA_GPUS). A bf16 model would not load, or run emulated.
_NO_BF16_GPUS = frozenset({"NVIDIA Tesla K80", "NVIDIA Tesla V100", "NVIDIA T4 Tensor Core"})
# FP8 tensor cores need compute capability 8.9 (Ada: L4, L40S), 9.0 (Hopper) or Blackwell.
_FP8_GPUS = frozenset(
    {
        "NVIDIA L4",
        "NVIDIA L40S",
        "NVIDIA H100",
        "NVIDIA H200",
        "NVIDIA B200",
        "NVIDIA B300",
        "NVIDIA GB202",
        "NVIDIA RTX PRO 4500 Blackwell",
    }
)
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
    return CostReport(
        blueprint=resolved.blueprint.blueprint,
        environment=resolved.environment_name,
        region=resolved.blueprint.region,
        items=items,
        rightsizing=tuple(context.suggestions),
        price_file=book.user_file,
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


class _Context:
    def __init__(self, plan: Plan, resolved: ResolvedBlueprint, prices: PriceBook) -> None:
        self.plan = plan
        self.resolved = resolved
        self.blueprint = resolved.blueprint
        self.region = resolved.blueprint.region
        self.prices = prices
        self.prefix = platform_prefix(resolved.blueprint.blueprint, resolved.environment_name)
        self.by_urn = {resource.urn: resource for resource in plan.resources}
        self.suggestions: list[Suggestion] = []
        self.scaling: dict[str, tuple[int, int]] = {}
        for target in plan.by_type(SCALING_TARGET):
            resource_id = target.inputs.get("resourceId")
            low, high = _int(target.inputs.get("minCapacity")), _int(target.inputs.get("maxCapacity"))
            if isinstance(resource_id, str) and low is not None and high is not None:
                self.scaling[resource_id] = (low, high)
        self.models_by_name = {
            str(model.inputs.get("name")): model for model in plan.by_type(MODEL) if model.inputs.get("name")
        }
        self.served_models = {
            str(variant.get("modelName"))
            for config in plan.by_type(ENDPOINT_CONFIG)
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
        config_name = config.inputs.get("name")
        endpoints = self.plan.by_type(ENDPOINT)
        for endpoint in endpoints:
            if config_name and endpoint.inputs.get("endpointConfigName") == config_name:
                return _str(endpoint.inputs.get("endpointName"))
        for endpoint in endpoints:
            if endpoint.parent == config.parent:
                return _str(endpoint.inputs.get("endpointName"))
        return None

    def blueprint_endpoint(self, endpoint_name: str | None) -> Endpoint | None:
        for endpoint in self.blueprint.endpoints:
            if endpoint_name == f"{self.prefix}-{endpoint.name}":
                return endpoint
        return None

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
        if endpoint_name and not shadow:
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
            arithmetic = (
                f"baseline {variant.minimum} (autoscaling min) × {per} = {usd(baseline)}; "
                f"ceiling {variant.maximum} (autoscaling max) × {per} = {usd(ceiling)}"
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
        best: tuple[float, str, Rate] | None = None
        for candidate in instances.endpoint_instance_types():
            if candidate.name == current.name or not needs.met_by(candidate):
                continue
            rate = self.prices.instance_hour(candidate.name, self.region)
            if rate is None or rate.usd >= current_rate.usd:
                continue
            if best is None or (rate.usd, candidate.name) < (best[0], best[1]):
                best = (rate.usd, candidate.name, rate)
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
        config = schedule.inputs.get("monitoringScheduleConfig")
        wanted = config.get("monitoringJobDefinitionName") if isinstance(config, dict) else None
        candidates = [r for r in self.plan.resources if _JOB_DEFINITION.match(r.type)]
        for definition in candidates:
            if wanted and wanted in (definition.inputs.get("name"), definition.inputs.get("jobDefinitionName")):
                return definition
        return next((d for d in candidates if d.parent == schedule.parent), None)

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


_KMS_NOTE = (
    "per key-month; KMS requests are billed by use and not estimated; with rotation on, each yearly "
    "backing key adds $1/month (same page)"
)


@dataclass(frozen=True)
class _Needs:
    """What an instance type must have to serve a variant's model."""

    gpu: bool
    arm64: bool
    weights_gib: float | None
    tensor_parallel: int | None
    dtype: str | None
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
        weights = None
        if gpu and model is not None and model.parameters_billions and model.dtype:
            weights = sizing.weights_gib(model.parameters_billions, model.dtype)
        tensor_parallel = model.tensor_parallel_degree if model is not None else None
        dtype = model.dtype if model is not None else None
        vcpu, memory = current.vcpu or 0, current.memory_gib or 0.0
        arm64 = _is_arm64(current)
        if weights is not None:
            parts = [f"GPUs with {weights / sizing.GPU_MEMORY_HEADROOM:.1f} GiB for {weights:.1f} GiB of weights"]
            if tensor_parallel and tensor_parallel > 1:
                parts.append(f"a GPU count divisible by tensor_parallel_degree {tensor_parallel}")
            if dtype in ("bf16", "fp8"):
                parts.append(f"{dtype} support")
            return cls(True, arm64, weights, tensor_parallel, dtype, 0.0, 0, 0.0, ", ".join(parts))
        if gpu:
            why = "a GPU image" if gpu_image else "an image that may need its GPU"
            text = f"{why}: a GPU with at least {current.gpu_memory_gib:g} GiB, {vcpu} vCPU and {memory:g} GiB memory"
            return cls(True, arm64, None, None, None, current.gpu_memory_gib, vcpu, memory, text)
        text = f"at least {vcpu} vCPU and {memory:g} GiB memory"
        return cls(False, arm64, None, None, None, 0.0, vcpu, memory, text)

    def met_by(self, candidate: instances.InstanceType) -> bool:
        # Burstable types throttle under sustained load once their CPU credits run out, and Neuron
        # (Inferentia/Trainium) types need a model compiled for them: neither is a drop-in change.
        if candidate.burstable or candidate.accelerator_type or candidate.vcpu is None or candidate.memory_gib is None:
            return False
        if self.gpu != candidate.has_gpu or self.arm64 != _is_arm64(candidate):
            return False
        if self.weights_gib is not None:
            if not sizing.fits(candidate, self.weights_gib):
                return False
            if self.tensor_parallel and sizing.tensor_parallel_problem(candidate, self.tensor_parallel):
                return False
            if self.dtype == "bf16" and candidate.gpu_type in _NO_BF16_GPUS:
                return False
            return not (self.dtype == "fp8" and candidate.gpu_type not in _FP8_GPUS)
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
