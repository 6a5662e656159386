"""Inference-component copies on instances: the packing search against brute force."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlstack.components import instances, placement
from mlstack.components.placement import Reservation

GPU_BOX = Reservation(accelerators=4, memory_mb=196_608, cpu_cores=48.0)


def _brute_force(copies: list[Reservation], per_instance: Reservation, count: int) -> bool:
    """Every assignment of copies to instances, checked one by one."""
    for assignment in itertools.product(range(count), repeat=len(copies)):
        used = [Reservation(0, 0, 0.0)] * count
        for copy, slot in zip(copies, assignment, strict=True):
            room = used[slot]
            used[slot] = Reservation(
                room.accelerators + copy.accelerators, room.memory_mb + copy.memory_mb, room.cpu_cores + copy.cpu_cores
            )
        if all(u.fits(per_instance) for u in used):
            return True
    return False


reservations = st.builds(
    Reservation,
    accelerators=st.integers(0, 4),
    memory_mb=st.integers(128, 200_000),
    cpu_cores=st.sampled_from([0.0, 0.25, 1.0, 4.0, 16.0, 48.0]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(reservations, max_size=6), st.integers(1, 3))
def test_the_search_agrees_with_brute_force(copies: list[Reservation], count: int) -> None:
    assert placement.packs(copies, GPU_BOX, count) is _brute_force(copies, GPU_BOX, count)


def test_sums_that_fit_are_not_enough() -> None:
    # Two 3-GPU copies: six GPUs are fewer than eight, but no 4-GPU instance holds two of them.
    three = Reservation(3, 1024, 1.0)
    assert placement.packs([three, three], GPU_BOX, 1) is False
    assert placement.packs([three, three], GPU_BOX, 2) is True
    assert placement.instances_needed([three] * 5, GPU_BOX, most=10) == 5


def test_a_copy_larger_than_an_instance_never_fits() -> None:
    assert placement.packs([Reservation(5, 1024, 1.0)], GPU_BOX, 10) is False
    assert placement.instances_needed([Reservation(5, 1024, 1.0)], GPU_BOX, most=10) is None


def test_past_the_budget_the_answer_is_undecided(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(placement, "SEARCH_BUDGET", 3)
    # Copies that need real search to place: three nodes are not enough to decide.
    copies = [Reservation(a, 1000 * a, 1.0) for a in (3, 3, 2, 2, 1, 1, 1, 1, 1, 1)]
    assert placement.packs(copies, GPU_BOX, 4) is None


def test_capacity_comes_from_the_instance_catalogue() -> None:
    g5 = placement.capacity(instances.lookup("ml.g5.12xlarge"))
    assert g5 == Reservation(accelerators=4, memory_mb=192 * 1024, cpu_cores=48.0)
    inf2 = placement.capacity(instances.lookup("ml.inf2.xlarge"))
    assert inf2 is not None and inf2.accelerators >= 1
