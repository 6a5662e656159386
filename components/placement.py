"""Whether inference-component copies fit on an endpoint's instances.

SageMaker places each copy of an inference component on one instance, reserving the CPU cores,
accelerators and memory its ComputeResourceRequirements ask for; a copy never spans instances
(https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-deploy-models.html). So
"fits" is bin packing in three dimensions, not a comparison of sums: two copies of three GPUs each
need two 4-GPU instances although six GPUs are fewer than eight.

The search is exact for the sizes blueprints have (tens of copies) and gives up, returning None,
past a node budget; callers then fall back to the necessary conditions (each copy fits one instance,
the sums fit the fleet) rather than claim a misfit they could not prove.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mlstack.components.instances import InstanceType

SEARCH_BUDGET = 200_000


@dataclass(frozen=True, order=True)
class Reservation:
    """What one copy reserves on its instance."""

    accelerators: int
    memory_mb: int
    cpu_cores: float

    def fits(self, capacity: Reservation) -> bool:
        return (
            self.accelerators <= capacity.accelerators
            and self.memory_mb <= capacity.memory_mb
            and self.cpu_cores <= capacity.cpu_cores
        )

    def minus(self, other: Reservation) -> Reservation:
        return Reservation(
            self.accelerators - other.accelerators, self.memory_mb - other.memory_mb, self.cpu_cores - other.cpu_cores
        )

    def text(self) -> str:
        parts = [f"{self.memory_mb} MiB"]
        if self.cpu_cores:
            parts.insert(0, f"{self.cpu_cores:g} CPU cores")
        if self.accelerators:
            parts.insert(0, f"{self.accelerators} accelerators")
        return ", ".join(parts)


def capacity(instance: InstanceType) -> Reservation | None:
    """What one instance offers copies; None when the catalogue lacks its CPU or memory figures.

    Accelerators are GPUs, or Neuron devices on Inferentia and Trainium types.
    """
    if instance.vcpu is None or instance.memory_gib is None:
        return None
    accelerators = instance.gpus or instance.accelerator_count
    return Reservation(accelerators, int(instance.memory_gib * 1024), float(instance.vcpu))


def packs(copies: Sequence[Reservation], per_instance: Reservation, instances: int) -> bool | None:
    """Whether `copies` can be placed on `instances` identical instances; None if undecided."""
    if not copies:
        return True
    if instances <= 0 or any(not copy.fits(per_instance) for copy in copies):
        return False
    total = Reservation(
        sum(c.accelerators for c in copies), sum(c.memory_mb for c in copies), sum(c.cpu_cores for c in copies)
    )
    whole = Reservation(
        per_instance.accelerators * instances, per_instance.memory_mb * instances, per_instance.cpu_cores * instances
    )
    if not total.fits(whole):
        return False
    ordered = sorted(copies, reverse=True)
    budget = [SEARCH_BUDGET]

    def place(index: int, free: list[Reservation]) -> bool | None:
        if index == len(ordered):
            return True
        budget[0] -= 1
        if budget[0] < 0:
            return None
        copy = ordered[index]
        tried: set[Reservation] = set()
        undecided = False
        for slot, room in enumerate(free):
            # Instances with the same room left are interchangeable: try one of them.
            if room in tried or not copy.fits(room):
                continue
            tried.add(room)
            free[slot] = room.minus(copy)
            outcome = place(index + 1, free)
            free[slot] = room
            if outcome:
                return True
            undecided = undecided or outcome is None
        return None if undecided else False

    return place(0, [per_instance] * instances)


def instances_needed(copies: Sequence[Reservation], per_instance: Reservation, most: int) -> int | None:
    """The fewest instances, up to `most`, that hold `copies`; None if none up to `most` provably does."""
    for count in range(1, most + 1):
        if packs(copies, per_instance, count):
            return count
    return None
