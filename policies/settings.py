"""Policy configuration: enforcement per environment, per-rule overrides, suppressions, rule settings.

A plain dataclass on purpose: the blueprint's `policies:` section maps onto it in `stack/`, and the
CrossGuard pack builds one from policy-pack config, so neither depends on the other's format.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Level = Literal["advisory", "mandatory", "disabled"]
LEVELS: tuple[Level, ...] = ("advisory", "mandatory", "disabled")
BudgetEnforce = Literal["baseline", "ceiling"]
BUDGET_ENFORCE: tuple[BudgetEnforce, ...] = ("baseline", "ceiling")

# Dev is where people experiment; everything that can reach users is enforced.
DEFAULT_LEVELS: Mapping[str, Level] = {"dev": "advisory", "staging": "mandatory", "prod": "mandatory"}
FALLBACK_LEVEL: Level = "mandatory"


@dataclass(frozen=True)
class Suppression:
    """Silences one rule on the resources whose logical name matches a glob, for a stated reason."""

    rule: str
    resources: tuple[str, ...]
    reason: str
    environments: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise ValueError(f"suppression of {self.rule!r} needs a reason")
        if not self.resources:
            raise ValueError(f"suppression of {self.rule!r} names no resources (use ['*'] for all)")

    def matches(self, rule: str, resource_name: str, environment: str) -> bool:
        if rule != self.rule:
            return False
        if self.environments and environment not in self.environments:
            return False
        return any(fnmatch.fnmatchcase(resource_name, pattern) for pattern in self.resources)


@dataclass(frozen=True)
class CeilingDriver:
    """One priced part whose cost grows between baseline and ceiling (an autoscaled variant, say)."""

    what: str
    """The resource and its part, e.g. `recsys-prod-ranker-config variant champion: 2-8 × ml.g5.xlarge`."""
    baseline_usd: float
    ceiling_usd: float

    @property
    def headroom_usd(self) -> float:
        return self.ceiling_usd - self.baseline_usd


@dataclass(frozen=True)
class CostEstimate:
    """What the budget rule needs from the cost engine: the monthly cost at baseline (autoscaling
    minimums) and at ceiling (maximums), the largest baseline items and what drives the ceiling."""

    baseline_usd: float
    budget_usd: float | None
    biggest: tuple[tuple[str, float], ...] = ()
    ceiling_usd: float | None = None
    """None when the estimate has no ceiling figure: the rule then judges the baseline only."""
    ceiling_drivers: tuple[CeilingDriver, ...] = ()
    """The parts with the most headroom above their baseline, most first."""


@dataclass(frozen=True)
class PolicySettings:
    """Everything a policy evaluation is configured by. `levels[rule][environment]` overrides defaults."""

    environment: str = "prod"
    levels: Mapping[str, Mapping[str, Level]] = field(default_factory=dict)
    suppressions: tuple[Suppression, ...] = ()
    allow_gpu_in_dev: bool = False
    max_shadow_sample_percent: float = 100.0
    cost_estimate: CostEstimate | None = None
    # Which estimate must fit the budget: "ceiling" also fails the budget rule when the ceiling is over.
    budget_enforce: BudgetEnforce = "baseline"

    def __post_init__(self) -> None:
        for rule, per_env in self.levels.items():
            for env, level in per_env.items():
                if level not in LEVELS:
                    raise ValueError(f"levels.{rule}.{env}: {level!r} is not one of {', '.join(LEVELS)}")
        if not 0 <= self.max_shadow_sample_percent <= 100:
            raise ValueError("max_shadow_sample_percent must be within 0-100")
        if self.budget_enforce not in BUDGET_ENFORCE:
            raise ValueError(f"budget_enforce: {self.budget_enforce!r} is not one of {', '.join(BUDGET_ENFORCE)}")

    def level_for(self, rule: str, rule_defaults: Mapping[str, Level] | None = None) -> Level:
        """The rule's level here: an explicit override, else the rule's own default, else the environment's."""
        override = self.levels.get(rule, {})
        if self.environment in override:
            return override[self.environment]
        if "*" in override:
            return override["*"]
        for defaults in (rule_defaults or {}, DEFAULT_LEVELS):
            if self.environment in defaults:
                return defaults[self.environment]
            if "*" in defaults:
                return defaults["*"]
        return FALLBACK_LEVEL

    def suppression_for(self, rule: str, resource_name: str) -> Suppression | None:
        return next((s for s in self.suppressions if s.matches(rule, resource_name, self.environment)), None)
