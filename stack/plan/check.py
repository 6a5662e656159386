"""Blueprint + environment -> policy report: the offline half of `mlstack check`."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from mlstack.blueprints.load import ResolvedBlueprint
from mlstack.policies.offline import Report, evaluate, from_plan, from_preview_json
from mlstack.policies.preview import PreviewInvalid, located, read_preview_json
from mlstack.policies.settings import CeilingDriver, CostEstimate, PolicySettings, Suppression
from mlstack.stack.plan.engine import Plan

if TYPE_CHECKING:
    from mlstack.stack.plan.lifecycle import UpdatePlan


@contextmanager
def few_collections() -> Iterator[None]:
    """Collect garbage rarely while the block runs, as `stack.plan.engine` does while planning.

    Checking a plan allocates many short-lived objects per resource (the rules' proxies, the cost
    parts), and with the default thresholds the collector's full passes over everything alive (the
    plan, the SDKs) cost ~30% of checking 500 endpoints, growing with the plan. A no-op when the
    collector is frozen already: unfreezing here would thaw what the caller froze."""
    if gc.get_freeze_count():
        yield
        return
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def policy_settings(resolved: ResolvedBlueprint, cost_estimate: CostEstimate | None = None) -> PolicySettings:
    """The blueprint's `policies:` section, for one environment."""
    policies = resolved.blueprint.policies
    return PolicySettings(
        environment=resolved.environment_name,
        levels={rule: dict(by_environment) for rule, by_environment in policies.levels.items()},
        suppressions=tuple(
            Suppression(
                rule=suppression.rule,
                resources=tuple(suppression.resources),
                reason=suppression.reason,
                environments=tuple(suppression.environments or ()),
            )
            for suppression in policies.suppressions
        ),
        allow_gpu_in_dev=policies.settings.allow_gpu_in_dev,
        max_shadow_sample_percent=policies.settings.max_shadow_sample_percent,
        cost_estimate=cost_estimate,
        budget_enforce=budget.enforce if (budget := resolved.environment.budget) else "baseline",
    )


def cost_estimate(resolved: ResolvedBlueprint, plan: Plan, prices: Path | None = None) -> CostEstimate:
    """The environment's estimated monthly cost at baseline and at ceiling, for the budget rule."""
    from mlstack.stack.cost.estimate import budget_status, cost_report
    from mlstack.stack.cost.prices import load_price_book

    with few_collections():
        report = cost_report(plan, resolved, load_price_book(prices))
    status = budget_status(report, resolved)
    # What drives the ceiling: each priced part (a variant, a monitor's runs, a pod) that costs more
    # at its maximum than at its minimum, by how much more.
    drivers = sorted(
        (
            CeilingDriver(f"{item.name} {part.what}", part.baseline_usd, part.ceiling_usd)
            for item in report.items
            for part in item.parts
            if part.baseline_usd is not None
            and part.ceiling_usd is not None
            and part.ceiling_usd - part.baseline_usd > 0.005
        ),
        key=lambda driver: (-driver.headroom_usd, driver.what),
    )
    return CostEstimate(
        baseline_usd=status.estimate_usd,
        budget_usd=status.budget_usd,
        biggest=tuple((item.name, item.baseline_usd or 0.0) for item in status.biggest_items),
        ceiling_usd=report.ceiling_usd,
        ceiling_drivers=tuple(drivers),
    )


def check_plan(plan: Plan, settings: PolicySettings, update: UpdatePlan | None = None) -> Report:
    with few_collections():
        return evaluate(from_plan(plan), settings, update=update)


def check_preview_json(path: Path, settings: PolicySettings, update: UpdatePlan | None = None) -> Report:
    """Run the rules over the output of a real `pulumi preview --json`. A file that is not one, in
    any way (size, encoding, syntax, shape), raises BlueprintInvalid with located problems."""
    text, document = read_preview_json(path)
    try:
        resources = from_preview_json(document)
    except PreviewInvalid as invalid:
        raise located(invalid, text, str(path)) from None
    del text, document
    with few_collections():
        return evaluate(resources, settings, update=update)
