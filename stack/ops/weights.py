"""Traffic steps as SageMaker variant weights, and durations as the commands read them."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence

# Shares within this of each other are the same split: weights are floats on the wire.
SHARE_TOLERANCE = 1e-6
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float | None:
    """Seconds in `10m`, `30s`, `1h30m` or `250ms`; None when `text` is not such a duration."""
    compact = text.strip().lower()
    if not compact or _DURATION.sub("", compact):
        return None
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in _DURATION.findall(compact))


def format_duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{rest}s" if rest else ""]
    return "".join(parts) or "0s"


def parse_steps(text: str) -> tuple[float, ...] | str:
    """`10,25,50,100` as percentages; a message when they are not increasing percentages in (0, 100]."""
    try:
        steps = tuple(float(part) for part in text.split(","))
    except ValueError:
        return f"{text!r} is not a comma-separated list of percentages like 10,25,50,100"
    if not steps or any(not 0 < step <= 100 for step in steps):
        return f"{text!r}: every step is a percentage of traffic above 0 and at most 100"
    if any(later <= earlier for earlier, later in itertools.pairwise(steps)):
        return f"{text!r}: steps must increase"
    return steps


def shares(weights: Mapping[str, float]) -> dict[str, float]:
    """Each variant's fraction of traffic: SageMaker routes by weight / sum of weights."""
    total = sum(weights.values())
    if total <= 0:
        return {name: 0.0 for name in weights}
    return {name: weight / total for name, weight in weights.items()}


def same_split(left: Mapping[str, float], right: Mapping[str, float]) -> bool:
    if set(left) != set(right):
        return False
    a, b = shares(left), shares(right)
    return all(abs(a[name] - b[name]) <= SHARE_TOLERANCE for name in a)


def step_weights(start: Mapping[str, float], target: str, percent: float) -> dict[str, float]:
    """Weights giving `target` `percent` % of traffic; the others share the rest as they did at the start."""
    others = {name: weight for name, weight in start.items() if name != target}
    rest = 100.0 - percent
    total = sum(others.values())
    weights = {target: percent}
    for name, weight in others.items():
        # Variants that had no traffic share the rest evenly rather than leaving it to nobody.
        weights[name] = rest * (weight / total if total > 0 else 1 / len(others))
    return {name: round(weights[name], 6) for name in start}


def show_split(weights: Mapping[str, float], order: Sequence[str] | None = None) -> str:
    split = shares(weights)
    names = order or list(weights)
    return ", ".join(f"{name} {split[name] * 100:.4g}%" for name in names if name in split)
