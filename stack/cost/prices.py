"""The PriceBook: what one unit of each thing mlstack prices costs, and where that figure comes from.

Our prices come from `components.instances` (SageMaker hosting, serverless; provenance in
`components/data/SOURCES.md`), the billed eu-west-1 Processing rate, and
`components/data/service_prices.csv` (KMS keys, IAM, Application Auto Scaling; provenance in
`components/data/SERVICE_PRICES.md`). A user price file overrides any of them: negotiated discounts,
newer list prices, or prices we have no source for (the MLflow tracking server, CloudWatch...).

User price file
---------------
YAML (`.yaml` / `.yml`): a mapping with one key, `prices`, a list of entries::

    prices:
      - kind: instance            # instance | processing | serverless | service
        name: ml.g5.xlarge
        region: eu-west-1         # optional; "*" (the default) means every region
        usd: 1.12
        unit: hour
        source: "EDP rate card, 2026-10"   # optional; shown beside every figure that uses it
      - {kind: service, name: mlflow-tracking-server/Small, usd: 0.70, unit: hour}

CSV (`.csv`): a header row naming the same fields, one entry per row; `region` and `source` may be
empty or left out::

    kind,name,region,usd,unit,source
    instance,ml.g5.xlarge,eu-west-1,1.12,hour,"EDP rate card, 2026-10"

Kinds, names and units:

- `instance`: SageMaker real-time hosting, per instance; `name` an endpoint instance type; unit `hour`.
- `processing`: SageMaker Processing (Model Monitor jobs), per instance; `name` a processing
  instance type; unit `hour`.
- `serverless`: serverless inference compute; `name` the memory size in MB (1024, 2048 ... 6144);
  unit `second`.
- `service`: everything else; unit `month` or `hour` (x 730 for a month). `name` is one of
  `kms-key` (per key), `iam` (per role or role policy), `application-auto-scaling` (per target or
  policy), `mlflow-tracking-server/Small` (or `/Medium`, `/Large`; per server), or any Pulumi resource
  type as the plan shows it, full (`aws:cloudwatch/metricAlarm:MetricAlarm`) or short
  (`aws:cloudwatch:MetricAlarm`): a flat price per resource of that type.

A region-specific entry wins over a `*` entry; either wins over our price. Two entries for the same
kind, name and region are an error. `usd` is a finite number, 0 or more: NaN would pass every
budget (it compares false with everything) and infinity is not JSON. The file is UTF-8 text without
control characters, at most 1 MiB. Every problem in the file is reported at once, each with its
file and line, and the command exits 2.
"""

from __future__ import annotations

import csv
import functools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from mlstack.blueprints.errors import BlueprintInvalid, Problem, shown
from mlstack.blueprints.yaml_source import character_problems, parse_yaml, read_text
from mlstack.components import instances

SERVICE_PRICES_CSV = instances.DATA / "service_prices.csv"

HOURS_PER_MONTH = 730.0

Kind = Literal["instance", "processing", "serverless", "service"]
Unit = Literal["hour", "second", "month"]
KINDS: tuple[Kind, ...] = ("instance", "processing", "serverless", "service")
_UNITS_BY_KIND: dict[str, tuple[Unit, ...]] = {
    "instance": ("hour",),
    "processing": ("hour",),
    "serverless": ("second",),
    "service": ("month", "hour"),
}
ANY_REGION = "*"
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_FIELDS = ("kind", "name", "region", "usd", "unit", "source")
_REQUIRED = ("kind", "name", "usd", "unit")

# Service names (kind `service`).
KMS_KEY = "kms-key"
IAM = "iam"
AUTOSCALING = "application-auto-scaling"
MLFLOW_SIZES = ("Small", "Medium", "Large")


def mlflow_service(size: str) -> str:
    """Service name of a SageMaker MLflow tracking server of `size` (Small, Medium, Large)."""
    return f"mlflow-tracking-server/{size}"


_NAMED_SERVICES = (KMS_KEY, IAM, AUTOSCALING, *(mlflow_service(size) for size in MLFLOW_SIZES))


def short_type(resource_type: str) -> str:
    """`aws:sagemaker/endpointConfiguration:EndpointConfiguration` -> `aws:sagemaker:EndpointConfiguration`."""
    package, _, rest = resource_type.partition(":")
    module, _, kind = rest.partition(":")
    return f"{package}:{module.split('/')[0]}:{kind}" if kind else resource_type


@dataclass(frozen=True)
class Rate:
    """The price of one unit (an instance-hour, a GB-second, a key-month), and how far to trust it."""

    usd: float
    unit: Unit
    provenance: Literal["listed", "estimated"]
    """`listed`: a published, billed or user-supplied price; `estimated`: derived, `note` says how."""
    region: str
    """The region the figure is for ("*" for every region); differs from the asked region when another stands in."""
    source: str
    """Where the figure comes from, with its date."""
    note: str = ""
    """How it was derived, which region stands in, what it leaves out; empty when there is nothing to say."""

    @property
    def monthly_usd(self) -> float:
        """The figure per month, for `hour` and `month` units."""
        return self.usd * HOURS_PER_MONTH if self.unit == "hour" else self.usd


@dataclass(frozen=True)
class UserPrice:
    """One entry of a user price file."""

    kind: Kind
    name: str
    region: str
    usd: float
    unit: Unit
    source: str
    file: str
    line: int

    def rate(self, asked_region: str) -> Rate:
        where = "every region" if self.region == ANY_REGION else self.region
        return Rate(
            usd=self.usd,
            unit=self.unit,
            provenance="listed",
            region=self.region,
            source=f"your price file {self.file}:{self.line}" + (f" ({self.source})" if self.source else ""),
            note=f"user price for {where}" if self.region != asked_region else "user price",
        )


class PriceBook:
    """Our prices, overridden by the entries of a user price file."""

    def __init__(self, user_prices: Iterable[UserPrice] = (), *, user_file: str | None = None) -> None:
        self.user_file = user_file
        self._user: dict[tuple[str, str, str], UserPrice] = {
            (price.kind, price.name, price.region): price for price in user_prices
        }

    def _user_rate(self, kind: Kind, name: str, region: str) -> Rate | None:
        price = self._user.get((kind, name, region)) or self._user.get((kind, name, ANY_REGION))
        return price.rate(region) if price else None

    def instance_hour(self, instance_type: str, region: str) -> Rate | None:
        """SageMaker real-time hosting, per instance-hour; None when no source prices it."""
        user = self._user_rate("instance", instance_type, region)
        if user:
            return user
        try:
            price = instances.hourly_price(instance_type, region)
        except instances.UnknownInstanceType:
            return None
        if price is None:
            return None
        return Rate(price.usd_per_hour, "hour", price.provenance, price.region, price.source, price.note)

    def processing_hour(self, instance_type: str, region: str) -> Rate | None:
        """SageMaker Processing (Model Monitor jobs), per instance-hour.

        A billed Processing rate for the region is listed. Otherwise the hosting price stands in,
        labelled estimated: no Processing price list was found (components/data/SOURCES.md), and where
        the bill has both for one type, they are equal.
        """
        user = self._user_rate("processing", instance_type, region)
        if user:
            return user
        billed = _billed_hour("Processing").get((region, instance_type))
        if billed is not None:
            return Rate(billed, "hour", "listed", region, _BILLED_SOURCE, "billed unit price; newer prices may differ")
        hosting = self.instance_hour(instance_type, region)
        if hosting is None:
            return None
        return Rate(
            hosting.usd,
            "hour",
            "estimated",
            hosting.region,
            hosting.source,
            _join(
                f"no SageMaker Processing price for {instance_type} in {region}: the hosting price "
                f"({hosting.provenance}) stands in{_processing_evidence()}",
                hosting.note,
            ),
        )

    def serverless_second(self, memory_mb: int, region: str) -> Rate | None:
        """Serverless inference compute, per second of one invocation at `memory_mb`."""
        user = self._user_rate("serverless", str(memory_mb), region)
        if user:
            return user
        price = instances.serverless_price(memory_mb)
        if price is None:
            return None
        stand_in = "" if region == price.region else f"{price.region} price stands in for {region}"
        return Rate(price.usd_per_second, "second", "listed", price.region, price.source, _join(price.note, stand_in))

    def service(self, name: str, region: str) -> Rate | None:
        """A service price by name (see the module docstring); None when neither file prices it."""
        user = self._user_rate("service", name, region)
        if user:
            return user
        ours = _service_prices()
        row = ours.get((name, region)) or ours.get((name, ANY_REGION))
        return row

    def resource_type(self, resource_type: str, region: str) -> Rate | None:
        """A user's flat price for every resource of a Pulumi type (full or short token), if any."""
        return self._user_rate("service", resource_type, region) or self._user_rate(
            "service", short_type(resource_type), region
        )


_BILLED_SOURCE = "AWS bill, eu-west-1, 2023-12 (aws-samples/sagemaker-ssh-helper Sample_Costs.md)"


def _join(*parts: str) -> str:
    return "; ".join(part for part in parts if part)


@functools.cache
def _billed_hour(component: str) -> dict[tuple[str, str], float]:
    with instances.BILLED_CSV.open(newline="", encoding="utf-8") as handle:
        return {
            (row["region"], row["instance_type_or_item"]): float(row["price_usd"])
            for row in csv.DictReader(handle)
            if row["component"] == component and row["unit"] == "hour"
        }


@functools.cache
def _processing_evidence() -> str:
    hosting, processing = _billed_hour("Hosting"), _billed_hour("Processing")
    pairs = sorted(key for key in processing if key in hosting)
    if not pairs:
        return ""
    equal = all(hosting[key] == processing[key] for key in pairs)
    named = ", ".join(f"{name} in {region}" for region, name in pairs)
    return f" (the 2023-12 bill prices both for {named}: {'equal' if equal else 'different'} rates)"


@functools.cache
def _service_prices() -> dict[tuple[str, str], Rate]:
    with SERVICE_PRICES_CSV.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    prices: dict[tuple[str, str], Rate] = {}
    for row in rows:
        unit = row["unit"]
        assert unit in ("month", "hour"), unit
        prices[(row["name"], row["region"])] = Rate(
            usd=float(row["usd"]),
            unit="month" if unit == "month" else "hour",
            provenance="listed",
            region=row["region"],
            source=f'{row["source"]} ({row["source_date"]}): "{row["quote"]}"',
        )
    return prices


# --- user price files ---------------------------------------------------------------------------


def load_price_book(path: Path | None) -> PriceBook:
    """Our prices, overridden by the price file at `path` when one is given."""
    if path is None:
        return PriceBook()
    return PriceBook(read_price_file(path), user_file=str(path))


def read_price_file(path: Path) -> list[UserPrice]:
    """Read and check a user price file; raise BlueprintInvalid naming every bad entry's line."""
    file = str(path)
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".csv"):
        raise BlueprintInvalid([Problem(file, 1, 1, "", "a price file must be .yaml, .yml or .csv")])
    # Unreadable, too large, not UTF-8 or holding control characters: each at its line and column.
    text = read_text(path, "price file", "price files")
    if suffix == ".csv" and (unreadable := character_problems(text, file)):
        raise BlueprintInvalid(
            Problem(p.file, p.line, p.column, p.path, p.message.replace("in YAML", "in a price file"))
            for p in unreadable
        )
    entries = _csv_entries(text, file) if suffix == ".csv" else _yaml_entries(text, file)
    problems: list[Problem] = []
    prices: list[UserPrice] = []
    first_line: dict[tuple[str, str, str], int] = {}
    for entry in entries:
        price, entry_problems = _check(entry)
        problems += entry_problems
        if price is None:
            continue
        key = (price.kind, price.name, price.region)
        if key in first_line:
            message = (
                f"duplicate price for {price.kind} {price.name} in region {price.region} "
                f"(first given on line {first_line[key]})"
            )
            problems.append(Problem(file, entry.line, 1, entry.path, message))
            continue
        first_line[key] = entry.line
        prices.append(price)
    if problems:
        raise BlueprintInvalid(problems)
    return prices


@dataclass(frozen=True)
class _Entry:
    file: str
    line: int
    path: str
    values: Mapping[str, Any]
    lines: Mapping[str, tuple[int, int]]
    """Line and column of each field (YAML); CSV fields are all on the row's line."""

    def problem(self, field: str, message: str) -> Problem:
        line, column = self.lines.get(field, (self.line, 1))
        return Problem(self.file, line, column, f"{self.path}.{field}" if field else self.path, message)


def _yaml_entries(text: str, file: str) -> list[_Entry]:
    try:
        document = parse_yaml(text, file)
    except BlueprintInvalid as invalid:
        # The reader speaks of blueprints; say "price file" where it does.
        raise BlueprintInvalid(
            Problem(
                p.file,
                p.line,
                p.column,
                p.path,
                "a price file must be a YAML mapping with a `prices:` list"
                if "blueprint" in p.message and "mapping" in p.message
                else p.message,
            )
            for p in invalid.problems
        ) from None
    data = document.data
    problems = [
        document.problem((key,), key, f"unknown key {key!r}; a price file has one key, `prices`")
        for key in data
        if key != "prices"
    ]
    raw = data.get("prices")
    if not isinstance(raw, list):
        problems.append(document.problem(("prices",), "prices", "`prices` must be a list of price entries"))
        raise BlueprintInvalid(problems)
    entries: list[_Entry] = []
    for index, item in enumerate(raw):
        line, column = document.position(("prices", index))
        path = f"prices[{index}]"
        if not isinstance(item, dict):
            problems.append(Problem(file, line, column, path, "a price entry must be a mapping"))
            continue
        lines = {key: document.position(("prices", index, key)) for key in item}
        entries.append(_Entry(file, line, path, item, lines))
    if problems:
        raise BlueprintInvalid(problems)
    return entries


def _csv_entries(text: str, file: str) -> list[_Entry]:
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    problems = []
    unknown = [name for name in header if name not in _FIELDS]
    if unknown:
        problems.append(
            Problem(file, 1, 1, "", f"unknown column(s) {', '.join(map(repr, unknown))}; use {', '.join(_FIELDS)}")
        )
    missing = [name for name in _REQUIRED if name not in header]
    if missing:
        problems.append(Problem(file, 1, 1, "", f"missing column(s) {', '.join(missing)} in the header row"))
    if problems:
        raise BlueprintInvalid(problems)
    entries = []
    rows = iter(reader)
    line = reader.line_num
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as error:
            # A field over the csv module's limit, say: reported where its row starts.
            problems.append(Problem(file, line + 1, 1, f"row {line + 1}", f"not valid CSV: {error}"))
            break
        line = reader.line_num
        if None in row:
            problems.append(Problem(file, line, 1, f"row {line}", "more values than header columns"))
            continue
        values = {key: value for key, value in row.items() if value not in (None, "")}
        if not values:
            continue
        entries.append(_Entry(file, line, f"row {line}", values, {}))
    if problems:
        raise BlueprintInvalid(problems)
    return entries


def _check(entry: _Entry) -> tuple[UserPrice | None, list[Problem]]:
    values = entry.values
    problems = [
        entry.problem(key, f"unknown field {key!r}; an entry has {', '.join(_FIELDS)}")
        for key in values
        if key not in _FIELDS
    ]
    problems += [entry.problem("", f"required field {key!r} is missing") for key in _REQUIRED if key not in values]
    if problems:
        return None, problems
    kind = str(values["kind"])
    if kind not in KINDS:
        return None, [entry.problem("kind", f"kind {shown(kind)} is not one of {', '.join(KINDS)}")]
    name_problem, name = _check_name(kind, values["name"])
    if name_problem:
        problems.append(entry.problem("name", name_problem))
    region = str(values.get("region", ANY_REGION))
    if region != ANY_REGION and not _REGION.match(region):
        problems.append(
            entry.problem("region", f"region {shown(region)} is not an AWS region name (e.g. eu-west-1) or *")
        )
    usd = _number(values["usd"])
    if usd is None or usd < 0:
        message = f"usd must be a number of dollars, 0 or more (got {shown(values['usd'])})"
        # NaN compares false with everything, so it would pass every budget; infinity is not JSON.
        if _non_finite(values["usd"]):
            message += "; it must be finite (NaN and infinity are not prices)"
        problems.append(entry.problem("usd", message))
    unit = str(values["unit"])
    units = _UNITS_BY_KIND[kind]
    if unit not in units:
        problems.append(entry.problem("unit", f"unit for kind {kind} must be {' or '.join(units)} (got {shown(unit)})"))
    source = values.get("source", "")
    if not isinstance(source, str):
        problems.append(entry.problem("source", "source must be text"))
    if problems or usd is None:
        return None, problems
    price = UserPrice(
        kind=kind,
        name=name,
        region=region,
        usd=usd,
        unit=unit,  # type: ignore[arg-type]
        source=str(source),
        file=entry.file,
        line=entry.line,
    )
    return price, []


def _number(value: Any) -> float | None:
    """`value` as a finite float, or None: not a number, NaN, infinite, or too large for a float."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _non_finite(value: Any) -> bool:
    """Whether `value` reads as NaN, an infinity, or a number too large for a float."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return False
    try:
        return not math.isfinite(float(value))
    except OverflowError:
        return True
    except ValueError:
        return False


def _check_name(kind: str, raw: Any) -> tuple[str | None, str]:
    name = str(raw).strip()
    if not name:
        return "name must not be empty", name
    if kind in ("instance", "processing"):
        try:
            instances.lookup(name, purpose="endpoint" if kind == "instance" else "processing")
        except instances.UnknownInstanceType as unknown:
            return str(unknown), name
        return None, name
    if kind == "serverless":
        number = _number(raw)
        if number is None or not number.is_integer() or instances.serverless_price(int(number)) is None:
            sizes = "1024, 2048, 3072, 4096, 5120 or 6144"
            return f"serverless name must be a memory size in MB: {sizes} (got {shown(raw)})", name
        return None, str(int(number))
    if name in _NAMED_SERVICES or name.count(":") >= 2:
        return None, name
    return (
        f"unknown service {name!r}; use one of {', '.join(_NAMED_SERVICES)}, "
        "or a Pulumi resource type such as aws:cloudwatch:MetricAlarm"
    ), name
