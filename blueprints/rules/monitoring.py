"""Drift monitors: their endpoint, schedule, processing instance and model-quality fields."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mlstack.blueprints.rules.common import Finding, Path, duplicates, suggest
from mlstack.blueprints.schema import Blueprint
from mlstack.components import instances

# SageMaker monitoring schedules run at most hourly, on the hour. The documented forms
# (ScheduleConfig.ScheduleExpression) are cron(0 * ? * * *), cron(0 H ? * * *) and cron(0 H/N ? * * *);
# "every N hours" is cron(0 0/N ? * * *), not */N.
_CRON = re.compile(r"^cron\(0 (\*|(\d{1,2})|(\d{1,2})/(\d{1,2})) \? \* \* \*\)$")
SCHEDULE_ALIASES = {"hourly": "cron(0 * ? * * *)", "daily": "cron(0 0 ? * * *)"}


def schedule_problem(schedule: str) -> str | None:
    """Why SageMaker would reject `schedule`, or None."""
    if schedule in SCHEDULE_ALIASES:
        return None
    match = _CRON.match(schedule)
    hour = match.group(2) or match.group(3) if match else None
    step = match.group(4) if match else None
    if match is None or (hour is not None and int(hour) > 23) or (step is not None and not 1 <= int(step) <= 24):
        return (
            f"schedule {schedule!r} is not one SageMaker accepts: use hourly, daily, cron(0 H ? * * *) or "
            "cron(0 H/N ? * * *), e.g. cron(0 0/6 ? * * *) for every 6 hours (monitoring runs at most hourly, "
            "on the hour)"
        )
    return None


def check(blueprint: Blueprint) -> Iterator[Finding]:
    if blueprint.monitoring is None:
        return
    monitors = blueprint.monitoring.drift
    yield from duplicates([m.name for m in monitors], ("monitoring", "drift"), "monitor")
    indexes = {e.name: i for i, e in enumerate(blueprint.endpoints)}
    for index, monitor in enumerate(monitors):
        path: Path = ("monitoring", "drift", index)
        problem = schedule_problem(monitor.schedule)
        if problem:
            yield ((*path, "schedule"), problem)
        try:
            instances.lookup(monitor.instance_type, purpose="processing")
        except instances.UnknownInstanceType as error:
            yield ((*path, "instance_type"), str(error))
        if monitor.kind == "model-quality":
            for field in ("ground_truth", "problem_type"):
                if getattr(monitor, field) is None:
                    yield (path, f"a model-quality monitor needs `{field}`")
        else:
            for field in ("ground_truth", "problem_type", "inference_attribute", "probability_attribute"):
                if getattr(monitor, field) is not None:
                    yield ((*path, field), f"`{field}` applies to model-quality monitors only")
        if monitor.endpoint not in indexes:
            yield (
                (*path, "endpoint"),
                f"endpoint {monitor.endpoint!r} is not one of this blueprint's endpoints "
                f"({', '.join(indexes) or 'none'})" + suggest(monitor.endpoint, list(indexes)),
            )
            continue
        endpoint = blueprint.endpoints[indexes[monitor.endpoint]]
        where = f"endpoints.{endpoint.name}"
        if endpoint.serverless is not None:
            yield (
                (*path, "endpoint"),
                f"endpoint {endpoint.name} ({where}) is serverless, and Model Monitor cannot watch serverless "
                "endpoints; use a scheduled drift job on Kubernetes instead (`kubernetes.drift`)",
            )
        elif endpoint.data_capture is None:
            yield (
                (*path, "endpoint"),
                f"endpoint {endpoint.name} has no data_capture ({where}.data_capture), and Model Monitor reads "
                "captured requests: add data_capture to the endpoint",
            )
