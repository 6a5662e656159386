"""SageMaker instance catalog: what each ML instance type is, where it is valid, what it costs per hour.

Pulumi-free and import-cheap: the CSVs in `data/` (provenance in `data/SOURCES.md`) are read with the
standard library on first use and cached. botocore's bundled service model is the oracle for which
types are valid where; `tests/test_instances.py` checks the copy here against it.
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

DATA = Path(__file__).resolve().parent / "data"
INSTANCES_CSV = DATA / "sagemaker_instances.csv"
BILLED_CSV = DATA / "sagemaker_billed_unit_prices_eu_west_1_2023_12.csv"
SERVERLESS_CSV = DATA / "sagemaker_serverless_inference_prices.csv"

Purpose = Literal["endpoint", "processing"]

# The hosting prices in the CSV are us-east-1 figures (FMBench does not say so, but they match the
# us-east-1 Studio-Notebook feed; see data/SOURCES.md section 7).
PRICE_REGION = "us-east-1"

_PRICE_SOURCE_LABELS = {
    "fmbench": "FMBench pricing.yml",
    "sm-serverless-benchmarking": "sm-serverless-benchmarking 0.2.3 cost_constants.py",
}
_BILLED_SOURCE = "AWS bill, eu-west-1, 2023-12 (aws-samples/sagemaker-ssh-helper Sample_Costs.md)"
_EC2_SOURCE = "Karpenter EC2 on-demand price list (2026-07-20)"
_SERVERLESS_SOURCE = "sm-serverless-benchmarking 0.2.3 cost_constants.py (2023-10-09)"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Burstable (CPU-credit) families are t2, t3, t3a, t4g...; trn1 also starts with "t", hence the digit.
_BURSTABLE = re.compile(r"t\d")
# sagemaker-core's `common_utils.volume_size_supported` encodes which families have local NVMe
# instance storage instead of an attachable EBS volume: any family with a "d" in it, plus these.
# CreateEndpointConfig rejects KmsKeyId for such types, the instance encrypts the NVMe itself:
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html
# tests/test_instances.py checks this rule against sagemaker-core for every type.
_LOCAL_NVME_FAMILY_PREFIXES = ("g5", "g6", "g7e", "p5", "p6-b200", "trn1", "trn2")


@dataclass(frozen=True)
class HourlyPrice:
    """The SageMaker hosting price of one instance for one hour, and how much to trust it."""

    usd_per_hour: float
    provenance: Literal["listed", "estimated"]
    region: str
    """Region the figure is for; "us-east-1" when a us-east-1 figure stands in for another region."""
    source: str
    """Human-readable source and date, e.g. "FMBench pricing.yml (2025-01-26)"."""
    note: str
    """How the figure was derived and what to watch out for; empty when there is nothing to say."""


@dataclass(frozen=True)
class ServerlessPrice:
    """Serverless inference price for one memory size."""

    memory_mb: int
    usd_per_second: float
    usd_per_gb_processed: float
    region: str
    source: str
    note: str


@dataclass(frozen=True)
class InstanceType:
    """One SageMaker ML instance type."""

    name: str
    vcpu: int | None
    memory_gib: float | None
    gpus: int
    """0 for CPU-only types, and for the few types no source has GPU data for (ml.dl1.24xlarge)."""
    gpu_type: str | None
    gpu_memory_gib: float
    """Total across all GPUs, vendor-nominal (A10G = 24 GiB each); 0 when there is no GPU."""
    accelerator_type: str | None
    """Neuron accelerator ("inferentia", "inferentia2", "trainium"), None otherwise."""
    accelerator_count: int
    endpoint: bool
    """Valid as a real-time endpoint ProductionVariant instance type."""
    processing: bool
    """Valid for Processing jobs, and so for Model Monitor schedules."""
    burstable: bool
    local_storage: bool
    """Has local NVMe instance storage; CreateEndpointConfig then refuses a KmsKeyId."""

    @property
    def family(self) -> str:
        """The family, e.g. "g5" for ml.g5.xlarge."""
        return self.name.split(".")[1]

    @property
    def has_gpu(self) -> bool:
        return self.gpus > 0


class UnknownInstanceType(ValueError):
    """An instance type that is not valid for the purpose, with the nearest valid names."""

    def __init__(self, name: str, suggestions: list[str], message: str) -> None:
        super().__init__(message)
        self.name = name
        self.suggestions = suggestions


@dataclass(frozen=True)
class _PriceRow:
    hosting_usd: float | None
    hosting_source: str
    hosting_as_of: str
    hosting_note: str
    ec2_usd: float | None


def _float(text: str) -> float | None:
    return float(text) if text else None


def _has_local_storage(family: str) -> bool:
    return "d" in family or family.startswith(_LOCAL_NVME_FAMILY_PREFIXES)


@functools.cache
def _rows() -> tuple[dict[str, str], ...]:
    with INSTANCES_CSV.open(newline="", encoding="utf-8") as handle:
        return tuple(csv.DictReader(handle))


@functools.cache
def _catalog() -> dict[str, InstanceType]:
    catalog: dict[str, InstanceType] = {}
    for row in _rows():
        name = row["instance_type"]
        family = name.split(".")[1]
        catalog[name] = InstanceType(
            name=name,
            vcpu=int(row["vcpu"]) if row["vcpu"] else None,
            memory_gib=_float(row["memory_gib"]),
            gpus=int(row["gpus"] or 0),
            gpu_type=row["gpu_type"] or None,
            gpu_memory_gib=float(row["gpu_memory_gib"] or 0),
            accelerator_type=row["accelerator_type"] or None,
            accelerator_count=int(row["accelerator_count"] or 0),
            endpoint=row["in_production_variant_enum"] == "true",
            processing=row["in_processing_enum"] == "true",
            burstable=_BURSTABLE.match(family) is not None,
            local_storage=_has_local_storage(family),
        )
    return catalog


@functools.cache
def _prices() -> dict[str, _PriceRow]:
    return {
        row["instance_type"]: _PriceRow(
            hosting_usd=_float(row["price_usd_hour_us_east_1"]),
            hosting_source=row["price_source"],
            hosting_as_of=row["price_as_of"],
            hosting_note=row["price_note"],
            ec2_usd=_float(row["ec2_ondemand_usd_hour_us_east_1_reference"]),
        )
        for row in _rows()
    }


@functools.cache
def _billed_hosting() -> dict[tuple[str, str], float]:
    # Only the "Hosting" component is a real-time endpoint price; the same bill's Studio-Notebook,
    # Training and Processing lines are other products and must not stand in for it.
    with BILLED_CSV.open(newline="", encoding="utf-8") as handle:
        return {
            (row["region"], row["instance_type_or_item"]): float(row["price_usd"])
            for row in csv.DictReader(handle)
            if row["component"] == "Hosting" and row["unit"] == "hour"
        }


@functools.cache
def sagemaker_to_ec2_ratio() -> tuple[float, int]:
    """Median SageMaker-hosting / EC2-on-demand price ratio (us-east-1), and how many types it is over."""
    import statistics  # deferred: it pulls in fractions and decimal, and only estimates need it

    ratios = [
        price.hosting_usd / price.ec2_usd
        for price in _prices().values()
        if price.hosting_usd is not None and price.ec2_usd
    ]
    return statistics.median(ratios), len(ratios)


def _names_for(purpose: Purpose) -> list[str]:
    return [t.name for t in _catalog().values() if (t.endpoint if purpose == "endpoint" else t.processing)]


def lookup(name: str, *, purpose: Purpose = "endpoint") -> InstanceType:
    """The instance type `name`, which must be valid for `purpose`.

    Raises UnknownInstanceType naming up to three close valid names when it is not.
    """
    instance = _catalog().get(name)
    if instance is not None and (instance.endpoint if purpose == "endpoint" else instance.processing):
        return instance
    raise _unknown(name, purpose, known=instance is not None)


def _unknown(name: str, purpose: Purpose, *, known: bool) -> UnknownInstanceType:
    import difflib  # deferred: only the error path needs it

    suggestions = difflib.get_close_matches(name, _names_for(purpose), n=3)
    hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
    if known:
        other = "processing" if purpose == "endpoint" else "endpoint"
        message = f"{name} is valid for {other} but not for {purpose}{hint}"
    else:
        message = f"unknown instance type {name!r}{hint}"
    return UnknownInstanceType(name, suggestions, message)


def endpoint_instance_types() -> tuple[InstanceType, ...]:
    """Every valid real-time endpoint instance type, in botocore's ProductionVariantInstanceType order."""
    return tuple(t for t in _catalog().values() if t.endpoint)


def _stand_in(region: str) -> str:
    return "" if region == PRICE_REGION else f"{PRICE_REGION} price stands in for {region}"


def _join(*parts: str) -> str:
    return "; ".join(part for part in parts if part)


def hourly_price(name: str, region: str) -> HourlyPrice | None:
    """SageMaker real-time hosting price of `name` in `region`, or None when no source prices it.

    In order: a billed price for that region; the us-east-1 listed price (standing in for other
    regions); an estimate from the EC2 on-demand price times the median SageMaker/EC2 ratio.
    Raises UnknownInstanceType for a name that is not a SageMaker instance type at all.
    """
    if name not in _catalog():
        raise _unknown(name, "endpoint", known=False)
    billed = _billed_hosting().get((region, name))
    if billed is not None:
        return HourlyPrice(
            usd_per_hour=billed,
            provenance="listed",
            region=region,
            source=_BILLED_SOURCE,
            note="billed unit price; newer prices may differ",
        )
    price = _prices()[name]
    if price.hosting_usd is not None:
        date = _DATE.search(price.hosting_as_of)
        label = _PRICE_SOURCE_LABELS.get(price.hosting_source, price.hosting_source)
        return HourlyPrice(
            usd_per_hour=price.hosting_usd,
            provenance="listed",
            region=PRICE_REGION,
            source=f"{label} ({date.group() if date else price.hosting_as_of})",
            note=_join(price.hosting_note, _stand_in(region)),
        )
    if price.ec2_usd is not None:
        ratio, pairs = sagemaker_to_ec2_ratio()
        return HourlyPrice(
            usd_per_hour=price.ec2_usd * ratio,
            provenance="estimated",
            region=PRICE_REGION,
            source=f"{_EC2_SOURCE} × SageMaker/EC2 ratio",
            note=_join(
                f"estimated: EC2 on-demand ${price.ec2_usd:g}/h × {ratio:g}, the median SageMaker hosting/EC2 "
                f"price ratio over the {pairs} instance types that have both prices",
                _stand_in(region),
            ),
        )
    return None


@functools.cache
def _serverless() -> dict[int, ServerlessPrice]:
    with SERVERLESS_CSV.open(newline="", encoding="utf-8") as handle:
        return {
            int(row["memory_mb"]): ServerlessPrice(
                memory_mb=int(row["memory_mb"]),
                usd_per_second=float(row["price_usd_per_second"]),
                usd_per_gb_processed=float(row["data_processing_usd_per_gb"]),
                region=PRICE_REGION,
                source=_SERVERLESS_SOURCE,
                note="the source does not state a region; us-east-1 assumed",
            )
            for row in csv.DictReader(handle)
        }


def serverless_price(memory_mb: int) -> ServerlessPrice | None:
    """Serverless inference price for a memory size (1024 to 6144 MB in 1024 steps), else None."""
    return _serverless().get(memory_mb)
