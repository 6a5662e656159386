"""The instance finder: which SageMaker endpoint instance types can serve a model, priced, cheapest first.

Whether a type can serve the model is `components.sizing.ModelShape.problems`, the judge the
blueprint rules, cost rightsizing and the policy pack use; this module only narrows (an exact GPU
count, a price ceiling), prices through the PriceBook (so a user price file counts) and ranks.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from typing import Any

from mlstack.components import instances, sizing
from mlstack.stack.cost.prices import ANY_REGION, PriceBook, Rate


@dataclass(frozen=True)
class Query:
    """What the finder is asked; None means not asked."""

    parameters_billions: float | None = None
    dtype: str | None = None
    gpus: int | None = None
    """Exactly this many GPUs, the model sharded over all of them (tensor_parallel_degree)."""
    region: str = instances.PRICE_REGION
    max_usd_per_hour: float | None = None

    @property
    def shape(self) -> sizing.ModelShape:
        # Anything asked of the model makes it a GPU model: the finder serves the large-model containers,
        # which need GPUs whatever the model, so the shape is the one the validation rule builds for them.
        asked = self.parameters_billions is not None or self.dtype is not None or self.gpus is not None
        return sizing.ModelShape.declared(self.parameters_billions, self.dtype, self.gpus, needs_gpu=asked)

    def requirements(self) -> list[str]:
        """What a type must have, in words; the GPU count is said once, as an exact count."""
        parts = dataclasses.replace(self.shape, tensor_parallel_degree=None).requirements()
        if self.gpus is not None:
            parts.append(f"exactly {self.gpus} GPU{'s' if self.gpus != 1 else ''} (tensor_parallel_degree {self.gpus})")
        if self.max_usd_per_hour is not None:
            parts.append(f"at most ${self.max_usd_per_hour:g}/h")
        return parts

    def to_json(self) -> dict[str, Any]:
        return {
            "parameters_billions": self.parameters_billions,
            "dtype": self.dtype,
            "gpus": self.gpus,
            "region": self.region,
            "max_usd_per_hour": self.max_usd_per_hour,
        }


@dataclass(frozen=True)
class Match:
    """An instance type that serves the model, and its hourly price (None: no source prices it)."""

    instance: instances.InstanceType
    rate: Rate | None

    @property
    def provenance(self) -> str:
        return self.rate.provenance if self.rate else "none"

    def to_json(self) -> dict[str, Any]:
        instance, rate = self.instance, self.rate
        return {
            "instance_type": instance.name,
            "gpu_type": instance.gpu_type,
            "gpus": instance.gpus,
            "gpu_memory_gib": instance.gpu_memory_gib,
            "usable_gpu_memory_gib": round(sizing.usable_gpu_gib(instance), 2),
            "compute_capability": compute_capability(instance),
            "dtypes": supported_dtypes(instance),
            "accelerator_type": instance.accelerator_type,
            "vcpu": instance.vcpu,
            "memory_gib": instance.memory_gib,
            "usd_per_hour": None if rate is None else round(rate.usd, 4),
            "provenance": self.provenance,
            "price_region": None if rate is None else rate.region,
            "source": "" if rate is None else rate.source,
            "note": "" if rate is None else rate.note,
        }


@dataclass(frozen=True)
class Search:
    """The finder's answer: the matches, cheapest first, and what was left out and why."""

    query: Query
    matches: tuple[Match, ...]
    candidates: int
    """Endpoint types with the asked GPU count (all of them when no count is asked)."""
    rejected: dict[str, int]
    """How many candidates each sizing problem kind rules out (a type may have several)."""
    closest: tuple[instances.InstanceType, tuple[sizing.Problem, ...]] | None
    """The candidate with the fewest problems (then the most GPU memory), when none serves the model."""
    over_budget: tuple[Match, ...]
    """Types that serve the model but cost more than the ceiling or have no price to compare, cheapest first."""

    def stands_in(self, match: Match) -> bool:
        """Whether `match` is priced with another region's figure (us-east-1 standing in for the asked region)."""
        return match.rate is not None and match.rate.region not in (self.query.region, ANY_REGION)

    def why_nothing(self) -> str:
        """Why nothing matched, in one line (only meaningful when `matches` is empty)."""
        query = self.query
        if self.candidates == 0:
            counts = sorted({t.gpus for t in instances.endpoint_instance_types() if t.gpus})
            return (
                f"no SageMaker endpoint instance type has exactly {query.gpus} GPUs; "
                f"the GPU counts there are: {', '.join(map(str, counts))}"
            )
        if self.closest is not None:
            instance, problems = self.closest
            considered = (
                "the one type considered does not serve it"
                if self.candidates == 1
                else f"none of the {self.candidates} types considered serves it"
            )
            ruled_out = ", ".join(f"{count} {_REJECTED[kind]}" for kind, count in sorted(self.rejected.items()))
            return (
                f"{considered} ({ruled_out}); it needs "
                f"{'; '.join(query.requirements())}. The closest, {instance.name}: {'; '.join(map(str, problems))}"
            )
        priced = [match for match in self.over_budget if match.rate is not None]
        if not priced:
            return f"{len(self.over_budget)} types serve it, but none has a price to compare with the ceiling"
        cheapest = priced[0]
        assert cheapest.rate is not None
        return (
            f"{len(self.over_budget)} types serve it, none at or below ${query.max_usd_per_hour:g}/h: "
            f"the cheapest is {cheapest.instance.name} at ${cheapest.rate.usd:.4f}/h ({cheapest.provenance})"
        )


_REJECTED: dict[str, str] = {
    "gpu": "without GPUs",
    "tensor-parallel": "with a GPU count the tensor_parallel_degree does not divide",
    "memory": "with too little GPU memory",
    "dtype": "without the dtype's compute capability",
}


def compute_capability(instance: instances.InstanceType) -> str | None:
    """ "8.6" for an A10G type; None without GPUs or for a GPU whose capability is not known."""
    capability = sizing.COMPUTE_CAPABILITY.get(instance.gpu_type or "") if instance.has_gpu else None
    return None if capability is None else f"{capability[0]}.{capability[1]}"


def supported_dtypes(instance: instances.InstanceType) -> list[str]:
    """The dtypes `instance`'s GPUs compute in, by sizing's dtype rule; empty without GPUs (not modelled)."""
    if not instance.has_gpu:
        return []
    return [dtype for dtype in sizing.BYTES_PER_PARAMETER if sizing.dtype_problem(instance, dtype) is None]


def _cheapest_first(match: Match) -> tuple[bool, float, str]:
    # The order of sizing.cheapest_fit (price, then name), with the unpriced types last.
    return (match.rate is None, match.rate.usd if match.rate else 0.0, match.instance.name)


def find(query: Query, prices: PriceBook | None = None) -> Search:
    """Every endpoint instance type that serves `query`'s model within its GPU count and price ceiling."""
    book = prices or PriceBook()
    shape = query.shape
    candidates = [t for t in instances.endpoint_instance_types() if query.gpus is None or t.gpus == query.gpus]
    serving: list[Match] = []
    rejected: Counter[str] = Counter()
    judged: list[tuple[instances.InstanceType, tuple[sizing.Problem, ...]]] = []
    for instance in candidates:
        problems = tuple(shape.problems(instance))
        if problems:
            rejected.update({problem.kind for problem in problems})
            judged.append((instance, problems))
        else:
            serving.append(Match(instance, book.instance_hour(instance.name, query.region)))
    serving.sort(key=_cheapest_first)
    ceiling = query.max_usd_per_hour
    matches = tuple(m for m in serving if ceiling is None or (m.rate is not None and m.rate.usd <= ceiling))
    closest = None
    if not serving and judged:
        closest = min(judged, key=lambda item: (len(item[1]), -item[0].gpu_memory_gib, item[0].name))
    return Search(
        query=query,
        matches=matches,
        candidates=len(candidates),
        rejected=dict(rejected),
        closest=closest,
        over_budget=tuple(m for m in serving if m.instance.name not in {kept.instance.name for kept in matches}),
    )
