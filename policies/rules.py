"""Every rule of the pack, in report order."""

from __future__ import annotations

from pulumi_policy import Policy

from mlstack.policies import cost, encryption, iam, kubernetes, logs, monitoring, network, serving, tagging, updates
from mlstack.policies.framework import Rule
from mlstack.policies.settings import PolicySettings

ALL_RULES: tuple[Rule, ...] = (
    *encryption.RULES,
    *network.RULES,
    *serving.RULES,
    *monitoring.RULES,
    *logs.RULES,
    *kubernetes.RULES,
    *iam.RULES,
    *tagging.RULES,
    *cost.RULES,
    *updates.RULES,
)


def rule_named(name: str) -> Rule:
    return next(r for r in ALL_RULES if r.name == name)


def build_policies(settings: PolicySettings) -> list[Policy]:
    """The CrossGuard policy objects, one per rule (disabled ones, and update rules, left out)."""
    return [
        r.to_policy(settings)
        for r in ALL_RULES
        if r.kind != "update" and settings.level_for(r.name, r.default_levels) != "disabled"
    ]
