"""Blueprint file + environment -> offline Plan (the main job of `mlstack plan`)."""

from __future__ import annotations

from pathlib import Path

from blueprints.load import ResolvedBlueprint, load_for_environment
from components.naming import platform_prefix
from stack import program
from stack.plan.engine import Plan, run_offline

PROJECT = "mlstack"


def stack_name(resolved: ResolvedBlueprint) -> str:
    """One Pulumi stack per blueprint and environment, e.g. `recsys-prod`."""
    return platform_prefix(resolved.blueprint.blueprint, resolved.environment_name)


def plan_resolved(resolved: ResolvedBlueprint) -> Plan:
    return run_offline(
        lambda: program.build_platform(resolved),
        project=PROJECT,
        stack=stack_name(resolved),
        region=resolved.blueprint.region,
    )


def plan_file(path: Path, environment: str) -> tuple[ResolvedBlueprint, Plan]:
    """Validate `path`, resolve it for `environment` and plan it offline."""
    resolved = load_for_environment(path, environment)
    return resolved, plan_resolved(resolved)
