"""The blueprint's `policies` section: named rules must exist, named environments too."""

from __future__ import annotations

from collections.abc import Iterator

from mlstack.blueprints.rules.common import Finding, Path, suggest
from mlstack.blueprints.schema import Blueprint


def check(blueprint: Blueprint) -> Iterator[Finding]:
    environments = list(blueprint.environments)
    policies = blueprint.policies
    if policies.levels or policies.suppressions:
        # Imported only when a rule is named: the pack pulls in pulumi_policy (~0.2 s).
        from mlstack.policies.rules import ALL_RULES

        known = sorted(rule.name for rule in ALL_RULES)
        named: list[tuple[Path, str]] = [(("policies", "levels", rule), rule) for rule in policies.levels]
        named += [(("policies", "suppressions", i, "rule"), s.rule) for i, s in enumerate(policies.suppressions)]
        for path, rule in named:
            if rule not in known:
                # A misspelt rule would otherwise suppress or relax nothing, silently.
                yield (path, f"no policy rule {rule!r}" + (suggest(rule, known) or f"; rules: {', '.join(known)}"))
    for rule, by_environment in blueprint.policies.levels.items():
        for environment in by_environment:
            if environment not in environments:
                yield (
                    ("policies", "levels", rule, environment),
                    f"no environment {environment!r}; this blueprint has: {', '.join(environments)}",
                )
    for index, suppression in enumerate(blueprint.policies.suppressions):
        for environment in suppression.environments or []:
            if environment not in environments:
                yield (
                    ("policies", "suppressions", index, "environments"),
                    f"no environment {environment!r}; this blueprint has: {', '.join(environments)}",
                )
