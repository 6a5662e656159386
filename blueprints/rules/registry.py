"""The model registry: model groups and the models that name them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from mlstack.blueprints.rules.common import Finding, suggest
from mlstack.blueprints.schema import Blueprint


def check(blueprint: Blueprint) -> Iterator[Finding]:
    groups = blueprint.registry.model_groups if blueprint.registry else []
    counts = Counter(groups)
    for index, group in enumerate(groups):
        if counts[group] > 1 and groups.index(group) != index:
            yield (("registry", "model_groups", index), f"duplicate model group {group!r}")
    for e_index, endpoint in enumerate(blueprint.endpoints):
        for key, model in endpoint.models.items():
            if model.model_group is None or model.model_group in groups:
                continue
            path = ("endpoints", e_index, "models", key, "model_group")
            if blueprint.registry is None:
                yield (path, f"model_group {model.model_group!r} needs a `registry` section that declares it")
            else:
                yield (
                    path,
                    f"model_group {model.model_group!r} is not in registry.model_groups ({', '.join(groups)})"
                    + suggest(model.model_group, groups),
                )
