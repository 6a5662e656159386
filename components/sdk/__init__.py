"""The provider SDKs as the components name them: `aws`, `aws_native` and `k8s`.

Under `pulumi up` (and anywhere outside the offline plan) these are the typed SDK packages
themselves, `pulumi_aws`, `pulumi_aws_native` and `pulumi_kubernetes`, loaded on first use.

The offline plan registers the same resources through a light path instead (`light`): importing a
generated service package costs 0.1-0.3 s each (pulumi_aws.sagemaker alone imports 41 modules, most
of the time spent evaluating typing annotations), which was about half of a reference plan. The
light path sends the engine the same type token, inputs (translated to wire names with the SDK's
own metadata, kept in `light_table.json`), secrets and options as the typed class would;
`tests/test_sdk_light.py` proves it byte for byte on every example's RegisterResource requests.

Components import `from mlstack.components.sdk import aws`; type checkers see the typed package.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

TABLE_PATH = Path(__file__).with_name("light_table.json")
# Only the service packages go light: the top-level packages (providers, data sources) are small.
LIGHT_PACKAGES = ("pulumi_aws", "pulumi_aws_native", "pulumi_kubernetes")

__all__ = ["aws", "aws_native", "k8s"]


class _Namespace:
    """A package or module of an SDK, resolved on attribute access: light offline, typed otherwise."""

    def __init__(self, dotted: str) -> None:
        self._dotted = dotted

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        from mlstack.components.sdk import light

        if light.active():
            found = light.lookup(f"{self._dotted}.{name}")
            if found is not None:
                return found
        return getattr(importlib.import_module(self._dotted), name)

    def __repr__(self) -> str:
        return f"<sdk namespace {self._dotted}>"


if TYPE_CHECKING:
    import pulumi_aws as aws
    import pulumi_aws_native as aws_native
    import pulumi_kubernetes as k8s
else:
    aws = _Namespace("pulumi_aws")
    aws_native = _Namespace("pulumi_aws_native")
    k8s = _Namespace("pulumi_kubernetes")
