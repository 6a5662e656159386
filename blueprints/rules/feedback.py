"""The feedback API: its endpoints must exist, and should capture data to be joined."""

from __future__ import annotations

from collections.abc import Iterator

from mlstack.blueprints.rules.common import Finding, suggest
from mlstack.blueprints.schema import Blueprint


def check(blueprint: Blueprint) -> Iterator[Finding]:
    if blueprint.feedback is None:
        return
    names = [e.name for e in blueprint.endpoints]
    for index, name in enumerate(blueprint.feedback.endpoints):
        if name not in names:
            yield (
                ("feedback", "endpoints", index),
                f"endpoint {name!r} is not one of this blueprint's endpoints ({', '.join(names) or 'none'})"
                + suggest(name, names),
            )


def warnings(blueprint: Blueprint) -> Iterator[Finding]:
    """Feedback endpoints without data capture: their feedback cannot be joined to the requests."""
    by_name = {e.name: e for e in blueprint.endpoints}
    for index, name in enumerate(blueprint.feedback.endpoints if blueprint.feedback else []):
        endpoint = by_name.get(name)
        if endpoint is not None and endpoint.data_capture is None:
            yield (
                ("feedback", "endpoints", index),
                f"endpoint {name} does not capture data (endpoints.{name}.data_capture), so its feedback "
                "cannot be joined to the requests it answers",
            )
