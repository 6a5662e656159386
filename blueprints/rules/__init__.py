"""Cross-field rules of the blueprint language, checked after the schema accepts the shape.

Each rule yields `(path, message)`; the caller pins the path to its YAML line. Rules never stop at
the first problem: users see everything wrong with a blueprint at once. One module per domain.
"""

from __future__ import annotations

from mlstack.blueprints.rules import (
    environments,
    feature_store,
    feedback,
    image_refs,
    kubernetes,
    monitoring,
    names,
    policies,
    registry,
    serving,
)
from mlstack.blueprints.rules.common import Finding, Path
from mlstack.blueprints.rules.monitoring import SCHEDULE_ALIASES, schedule_problem
from mlstack.blueprints.rules.serving import serverless_models
from mlstack.blueprints.schema import Blueprint

__all__ = ["SCHEDULE_ALIASES", "Finding", "Path", "check", "schedule_problem", "serverless_models", "warnings"]

_CHECKS = (
    serving.check,
    registry.check,
    feature_store.check,
    monitoring.check,
    feedback.check,
    kubernetes.check,
    image_refs.check,
    policies.check,
)


def check(blueprint: Blueprint, environment: str | None = None, base: Blueprint | None = None) -> list[Finding]:
    """Every cross-field problem in `blueprint`.

    Physical names are checked in every environment, or, for a blueprint resolved for `environment`,
    those its overrides changed from `base` (see `names.check`).
    """
    return [finding for rule in _CHECKS for finding in rule(blueprint)] + list(
        names.check(blueprint, environment, base)
    )


def warnings(blueprint: Blueprint) -> list[Finding]:
    """What is allowed but probably not meant; reported without failing."""
    return (
        list(feedback.warnings(blueprint)) + list(environments.warnings(blueprint)) + list(serving.warnings(blueprint))
    )
