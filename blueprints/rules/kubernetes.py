"""Kubernetes: services, sticky sessions, drift jobs, and names that must not collide."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mlstack.blueprints.rules.common import Finding, Path, duplicates
from mlstack.blueprints.schema import Blueprint

# An HTTP field name is a token (RFC 9110 section 5.1 and 5.6.2).
_HEADER_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# Headers the proxy owns: keying sessions on them routes on the connection, not the user.
_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer", "host", "content-length"}
# Kubernetes CronJob schedules: five fields, or a macro (kubernetes.io CronJob "Schedule syntax").
_CRON_MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
_CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7))
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
_CRON_NAMES = {
    "month": {name: index + 1 for index, name in enumerate(_MONTHS)},
    "day of week": {name: index for index, name in enumerate(_WEEKDAYS)},
}


def cron_problem(schedule: str) -> str | None:
    """Why Kubernetes would reject `schedule` as a CronJob schedule, or None."""
    text = schedule.strip()
    if text.lower() in _CRON_MACROS:
        return None
    fields = text.split()
    if len(fields) != len(_CRON_FIELDS):
        return (
            f"schedule {schedule!r} is not a cron schedule: it needs 5 fields "
            f"(minute hour day month weekday), got {len(fields)}"
        )
    for value, (what, low, high) in zip(fields, _CRON_FIELDS, strict=True):
        problem = _cron_field_problem(value, what, low, high)
        if problem:
            return f"schedule {schedule!r} is not a cron schedule: {problem}"
    return None


def _cron_field_problem(value: str, what: str, low: int, high: int) -> str | None:
    names = _CRON_NAMES.get(what, {})
    for part in value.split(","):
        body, _, step = part.partition("/")
        if step and not (step.isdigit() and int(step) >= 1):
            return f"the {what} step {step!r} is not a positive number"
        if body in ("*", "?"):
            continue
        for bound in body.split("-", 1):
            number = names.get(bound.lower()) if not bound.isdigit() else int(bound)
            if number is None or not low <= number <= high:
                return f"the {what} {bound!r} is outside {low}-{high}"
    return None


def check(blueprint: Blueprint) -> Iterator[Finding]:
    kubernetes = blueprint.kubernetes
    tracking = blueprint.experiment_tracking
    if tracking is not None and tracking.kind == "mlflow-on-kubernetes":
        for name, environment in blueprint.environments.items():
            # Where the environment has a VPC, MLflow's database is RDS PostgreSQL, and a DB subnet
            # group must cover at least two availability zones (CreateDBSubnetGroup).
            if environment.network is not None and len(environment.network.subnet_ids) < 2:
                yield (
                    ("environments", name, "network", "subnet_ids"),
                    "mlflow-on-kubernetes keeps its database in RDS PostgreSQL where the environment has a "
                    "network, and an RDS subnet group needs subnets in at least two availability zones: "
                    "list two or more subnet_ids",
                )
    if kubernetes is None:
        if tracking is not None and tracking.kind == "mlflow-on-kubernetes":
            yield (
                ("experiment_tracking", "kind"),
                "mlflow-on-kubernetes needs a `kubernetes:` section (its namespace)",
            )
        return
    workloads = [s.name for s in kubernetes.services] + [d.name for d in kubernetes.drift]
    yield from duplicates(workloads, ("kubernetes",), "Kubernetes service or drift job")
    endpoints = {e.name for e in blueprint.endpoints}
    named: list[tuple[str, int, str]] = [("services", i, s.name) for i, s in enumerate(kubernetes.services)]
    named += [("drift", i, d.name) for i, d in enumerate(kubernetes.drift)]
    for kind, index, name in named:
        if name in endpoints:
            yield (
                ("kubernetes", kind, index, "name"),
                f"{name!r} is also an endpoint's name: dashboards, alarms and feedback name both the same "
                "way, so give one of them another name",
            )
        if name == "mlflow" and tracking is not None and tracking.kind == "mlflow-on-kubernetes":
            yield (("kubernetes", kind, index, "name"), "'mlflow' is the tracking server's name on Kubernetes")
    for index, service in enumerate(kubernetes.services):
        yield from _service(service, ("kubernetes", "services", index))
    for index, job in enumerate(kubernetes.drift):
        problem = cron_problem(job.schedule)
        if problem:
            yield (("kubernetes", "drift", index, "schedule"), problem)


def _service(service: object, path: Path) -> Iterator[Finding]:
    from mlstack.blueprints.schema import KubernetesService

    assert isinstance(service, KubernetesService)
    if service.replicas.min > service.replicas.max:
        yield (
            (*path, "replicas"),
            f"replicas.min ({service.replicas.min}) is above replicas.max ({service.replicas.max})",
        )
    if service.session_affinity is not None:
        header = service.session_affinity.header
        if not _HEADER_TOKEN.match(header):
            yield (
                (*path, "session_affinity", "header"),
                f"{header!r} is not a valid HTTP header name (letters, digits and !#$%&'*+-.^_`|~ only)",
            )
        elif header.lower() in _HOP_HEADERS:
            yield ((*path, "session_affinity", "header"), f"{header!r} belongs to the connection, not the session")
    if service.target_gpu_utilization is not None and service.gpus == 0:
        yield ((*path, "target_gpu_utilization"), "a service without `gpus` cannot scale on GPU utilisation")
