"""Cost: the environment's estimated monthly cost at baseline stays within its budget.

The estimate comes from the cost engine through `PolicySettings.cost_estimate` (a `CostEstimate`);
without one (e.g. under the Pulumi CLI) the rule does not apply.
"""

from __future__ import annotations

from collections.abc import Iterator

from policies.framework import Rule, StackView, Violation
from policies.settings import PolicySettings


def _budget(_args: StackView, settings: PolicySettings) -> Iterator[Violation]:
    estimate = settings.cost_estimate
    if estimate is None or estimate.budget_usd is None:
        return
    if estimate.baseline_usd > estimate.budget_usd:
        biggest = ", ".join(f"{name} ${usd:,.0f}" for name, usd in estimate.biggest[:3])
        yield Violation(
            f"{settings.environment}: estimated ${estimate.baseline_usd:,.0f}/month at baseline exceeds "
            f"budget_usd_month ${estimate.budget_usd:,.0f}" + (f"; biggest items: {biggest}" if biggest else "")
        )


MONTHLY_COST_WITHIN_BUDGET = Rule(
    name="monthly-cost-within-budget",
    description="Checks whether the environment's estimated monthly cost at baseline is within its budget_usd_month.",
    severity="medium",
    remediation="Shrink the biggest items (instance types, counts, autoscaling minimums) or raise budget_usd_month.",
    check=_budget,
    kind="stack",
    default_levels={"prod": "mandatory", "*": "advisory"},
)

RULES = (MONTHLY_COST_WITHIN_BUDGET,)
