"""Environments: a field of an environment dedented out of it becomes an environment of that name."""

from __future__ import annotations

from collections.abc import Iterator

from mlstack.blueprints.rules.common import Finding
from mlstack.blueprints.schema import Blueprint, Environment


def misplaced_field(name: str, environments: list[str]) -> str | None:
    """The hint for an environment named like an environment's field, or None for any other name."""
    if name not in Environment.model_fields:
        return None
    others = [e for e in environments if e not in Environment.model_fields]
    under = f" ({', '.join(others)})" if others else ""
    return (
        f"environment {name!r} has the name of an environment field; is it meant to be indented under an "
        f"environment{under}?"
    )


def warnings(blueprint: Blueprint) -> Iterator[Finding]:
    """Environments named like a field whose settings are valid: perhaps meant, so only a warning.

    One whose value is not a valid environment is an error, reported with the schema's problems.
    """
    for name in blueprint.environments:
        message = misplaced_field(name, list(blueprint.environments))
        if message:
            yield (("environments", name), message)
