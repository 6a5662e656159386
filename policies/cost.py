"""Cost: the environment's estimated monthly cost stays within its budget.

The estimate comes from the cost engine through `PolicySettings.cost_estimate` (a `CostEstimate`);
without one (e.g. under the Pulumi CLI) the rule does not apply. It has two figures: the baseline
(every autoscaled variant at its minimum) and the ceiling (at its maximum). The baseline over
`budget_usd_month` fails at the rule's level. The ceiling over it is an advisory finding naming
what drives it, unless the environment sets `budget: {enforce: ceiling}`: then it fails too.
"""

from __future__ import annotations

from collections.abc import Iterator

from mlstack.policies.framework import Rule, StackView, Violation
from mlstack.policies.settings import CostEstimate, PolicySettings


def _usd(amount: float) -> str:
    return f"${amount:,.0f}"


def _drivers(estimate: CostEstimate) -> str:
    drivers = ", ".join(f"{d.what} {_usd(d.baseline_usd)}-{_usd(d.ceiling_usd)}" for d in estimate.ceiling_drivers[:3])
    return f"; the ceiling is driven by {drivers}" if drivers else ""


def _budget(_args: StackView, settings: PolicySettings) -> Iterator[Violation]:
    estimate = settings.cost_estimate
    if estimate is None or estimate.budget_usd is None:
        return
    budget = f"budget_usd_month {_usd(estimate.budget_usd)}"
    ceiling = estimate.ceiling_usd
    at_ceiling = f"{_usd(ceiling)}/month at ceiling" if ceiling is not None else "no ceiling figure"
    if estimate.baseline_usd > estimate.budget_usd:
        biggest = ", ".join(f"{name} {_usd(usd)}" for name, usd in estimate.biggest[:3])
        yield Violation(
            f"{settings.environment}: estimated {_usd(estimate.baseline_usd)}/month at baseline "
            f"({at_ceiling}) exceeds {budget}" + (f"; biggest items: {biggest}" if biggest else "")
        )
    elif ceiling is not None and ceiling > estimate.budget_usd:
        enforced = settings.budget_enforce == "ceiling"
        why = "budget.enforce is ceiling" if enforced else "advisory: budget.enforce is baseline"
        yield Violation(
            f"{settings.environment}: estimated {_usd(ceiling)}/month at ceiling (autoscaling maximums) exceeds "
            f"{budget}; {_usd(estimate.baseline_usd)}/month at baseline is within ({why})" + _drivers(estimate),
            advisory=not enforced,
        )


MONTHLY_COST_WITHIN_BUDGET = Rule(
    name="monthly-cost-within-budget",
    description=(
        "Checks whether the environment's estimated monthly cost at baseline is within its budget_usd_month; "
        "a ceiling (autoscaling maximums) over it is advisory, or fails with budget: {enforce: ceiling}."
    ),
    severity="medium",
    remediation=(
        "Shrink the biggest items (instance types, counts, autoscaling minimums) or raise budget_usd_month; "
        "for the ceiling, lower the autoscaling maximums of the variants that drive it."
    ),
    check=_budget,
    kind="stack",
    default_levels={"prod": "mandatory", "*": "advisory"},
)

RULES = (MONTHLY_COST_WITHIN_BUDGET,)
