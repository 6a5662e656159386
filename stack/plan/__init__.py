"""Blueprint file + environment -> offline Plan (the main job of `mlstack plan`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from mlstack.blueprints.errors import BlueprintInvalid, Problem
from mlstack.blueprints.load import ResolvedBlueprint, load_for_environment
from mlstack.components.naming import platform_prefix
from mlstack.stack import program
from mlstack.stack.plan.engine import Plan, run_offline
from mlstack.stack.plan.provenance import resource_paths

if TYPE_CHECKING:
    from mlstack.stack.plan.lifecycle import UpdatePlan

PROJECT = "mlstack"


def stack_name(resolved: ResolvedBlueprint) -> str:
    """One Pulumi stack per blueprint and environment, e.g. `recsys-prod`."""
    return platform_prefix(resolved.blueprint.blueprint, resolved.environment_name)


def plan_resolved(resolved: ResolvedBlueprint) -> Plan:
    """The offline plan, each resource with the blueprint path that made it (`Plan.sources`)."""
    sources = program.SourceMap()
    planned = run_offline(
        lambda: program.build_platform(resolved, sources),
        project=PROJECT,
        stack=stack_name(resolved),
        region=resolved.blueprint.region,
    )
    rows = ((r.urn, r.name, r.parent) for r in planned.resources)
    return dataclasses.replace(planned, sources=resource_paths(rows, sources.by_component))


def plan_file(path: Path, environment: str) -> tuple[ResolvedBlueprint, Plan]:
    """Validate `path`, resolve it for `environment` and plan it offline."""
    resolved = load_for_environment(path, environment)
    return resolved, plan_resolved(resolved)


def update_against(
    path: Path, environment: str, planned: Plan, *, revision: str | None = None, base_file: Path | None = None
) -> UpdatePlan | None:
    """What `pulumi up` of `planned` would do to the stack deployed from the blueprint at git
    `revision`, or to the one an earlier plan or `pulumi stack export` (`base_file`) shows."""
    from mlstack.stack.plan.lifecycle import base_from_plan, read_base_file, update_plan
    from mlstack.stack.plan.revision import plan_at_revision

    if revision is not None and base_file is not None:
        raise BlueprintInvalid([Problem(str(base_file), 1, 1, "", "give --base or --base-plan, not both")])
    if revision is not None:
        _, base = plan_at_revision(path, environment, revision)
        return update_plan(base_from_plan(base), planned, f"{revision} ({environment})")
    if base_file is not None:
        return update_plan(read_base_file(base_file), planned, str(base_file))
    return None
