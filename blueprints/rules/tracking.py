"""Experiment tracking: only the kinds that exist today."""

from __future__ import annotations

from collections.abc import Iterator

from blueprints.rules.common import Finding
from blueprints.schema import Blueprint

SUPPORTED_TRACKING_KINDS = ("sagemaker-mlflow", "mlflow-on-kubernetes")


def check(blueprint: Blueprint) -> Iterator[Finding]:
    tracking = blueprint.experiment_tracking
    if tracking is not None and tracking.kind not in SUPPORTED_TRACKING_KINDS:
        yield (
            ("experiment_tracking", "kind"),
            f"kind {tracking.kind!r} is not supported yet; supported today: {', '.join(SUPPORTED_TRACKING_KINDS)}",
        )
