"""The offline plan: run the real Pulumi program in-process under the SDK's mocks and capture it.

No Pulumi CLI, provider plugin or cloud account is involved. The mock "provider" creates nothing:
it echoes each resource's inputs back as its state and leaves everything the provider would
compute (ids of auto-named resources, ARNs) unknown, exactly as `pulumi preview` shows them.
Data sources answer with clearly fake but well-formed values (see `FAKE_ACCOUNT_ID`).
"""

from __future__ import annotations

import asyncio
import atexit
import gc
import hashlib
import itertools
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks, rpc, settings
from pulumi.runtime import resource as runtime_resource
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from mlstack.blueprints.errors import UnusableSetting
from mlstack.components.sdk import light

# The offline plan's AWS identity. 000000000000 is well-formed (12 digits) and never a real
# account, so a plan can never be mistaken for one that talked to AWS.
FAKE_ACCOUNT_ID = "000000000000"
FAKE_CALLER_ARN = f"arn:aws:iam::{FAKE_ACCOUNT_ID}:user/mlstack-offline-plan"
UNKNOWN_TEXT = "(known after apply)"
SECRET_TEXT = "[secret]"

# Inputs that carry a resource's physical name; when given, the provider's id is that name.
_NAME_INPUTS = ("name", "bucket")


@dataclass(frozen=True)
class PlannedResource:
    """One resource as `pulumi preview` would create it."""

    urn: str
    type: str
    name: str
    parent: str | None
    dependencies: tuple[str, ...]
    inputs: Mapping[str, Any]
    custom: bool
    options: Mapping[str, Any] = field(default_factory=dict)
    """Resource options that decide how a real update proceeds, as the program set them:
    `deleteBeforeReplace` (only when set explicitly), `ignoreChanges`, `replaceOnChanges`,
    `retainOnDelete`, `protect`, `customTimeouts`."""
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Input property name -> URNs its value depends on, as the RegisterResource request carries
    them (and `pulumi preview --json` shows them in `newState.propertyDependencies`)."""

    @property
    def is_component(self) -> bool:
        return not self.custom


@dataclass(frozen=True)
class Plan:
    """Every resource of one stack, in a deterministic order, and its outputs."""

    project: str
    stack: str
    resources: tuple[PlannedResource, ...]
    outputs: Mapping[str, Any] = field(default_factory=dict)
    sources: Mapping[str, tuple[str | int, ...]] = field(default_factory=dict)
    """URN -> the blueprint path that made the resource (`stack.plan.provenance`)."""

    # Grouped once per plan, in plan order: the tree and the docs page ask for each node's children,
    # which as a scan of the plan per node made their output quadratic in the resources.
    @cached_property
    def _by_type(self) -> dict[str, list[PlannedResource]]:
        grouped: dict[str, list[PlannedResource]] = {}
        for resource in self.resources:
            grouped.setdefault(resource.type, []).append(resource)
        return grouped

    @cached_property
    def _by_parent(self) -> dict[str | None, list[PlannedResource]]:
        grouped: dict[str | None, list[PlannedResource]] = {}
        for resource in self.resources:
            grouped.setdefault(resource.parent, []).append(resource)
        return grouped

    def by_type(self, resource_type: str) -> list[PlannedResource]:
        return list(self._by_type.get(resource_type, ()))

    def get(self, resource_type: str, name: str) -> PlannedResource:
        for resource in self._by_type.get(resource_type, ()):
            if resource.name == name:
                return resource
        raise KeyError(f"no {resource_type} named {name!r} in the plan")

    def children(self, parent_urn: str | None) -> list[PlannedResource]:
        return list(self._by_parent.get(parent_urn, ()))


def _partition_of(region: str) -> tuple[str, str]:
    if region.startswith("cn-"):
        return "aws-cn", "amazonaws.com.cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov", "amazonaws.com"
    return "aws", "amazonaws.com"


class _OfflineProvider(mocks.Mocks):
    """Answers resource registrations and data-source calls without any cloud."""

    def __init__(self, region: str) -> None:
        self.region = region

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        physical = next((args.inputs[key] for key in _NAME_INPUTS if isinstance(args.inputs.get(key), str)), "")
        # An empty id is how the engine marks "unknown until created" during preview.
        return physical, dict(args.inputs)

    def call(self, args: mocks.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        partition, dns_suffix = _partition_of(self.region)
        answers: dict[str, dict[str, Any]] = {
            "aws:index/getCallerIdentity:getCallerIdentity": {
                "accountId": FAKE_ACCOUNT_ID,
                "arn": FAKE_CALLER_ARN,
                "userId": "AIDAMLSTACKOFFLINEPLAN",
                "id": FAKE_ACCOUNT_ID,
            },
            "aws:index/getPartition:getPartition": {
                "partition": partition,
                "dnsSuffix": dns_suffix,
                "id": partition,
                "reverseDnsPrefix": ".".join(reversed(dns_suffix.split("."))),
            },
            "aws:index/getRegion:getRegion": {
                "name": self.region,
                "region": self.region,
                "id": self.region,
                "endpoint": f"ec2.{self.region}.{dns_suffix}",
                "description": self.region,
            },
        }
        if args.token not in answers:
            raise NotImplementedError(f"the offline plan has no answer for data source {args.token}")
        return answers[args.token]


class _CapturingMonitor(mocks.MockMonitor):
    """Records each registration with its parent and dependencies, which Mocks alone do not see."""

    def __init__(self, provider: _OfflineProvider) -> None:
        super().__init__(provider)
        self._lock = threading.Lock()
        self._order = itertools.count()
        self.registrations: list[tuple[int, PlannedResource]] = []
        self.stack_urn = ""

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type == "pulumi:pulumi:Stack":
            self.stack_urn = response.urn
            return response
        inputs = rpc.deserialize_properties(request.object)
        resource = PlannedResource(
            urn=response.urn,
            type=request.type,
            name=request.name,
            # Top-level resources hang off the stack, which the plan treats as the root (None).
            parent=request.parent if request.parent and request.parent != self.stack_urn else None,
            dependencies=tuple(sorted(set(request.dependencies))),
            inputs=_plain(inputs),
            custom=bool(request.custom),
            options=_lifecycle_options(request),
            property_dependencies={
                key: tuple(sorted(set(deps.urns)))
                for key, deps in sorted(request.propertyDependencies.items())
                if deps.urns
            },
        )
        with self._lock:
            self.registrations.append((next(self._order), resource))
        return response


def _lifecycle_options(request: Any) -> dict[str, Any]:
    """The options of a registration that change what `pulumi up` does on a later update."""
    options: dict[str, Any] = {}
    # The SDK sends False both for "not set" and for an explicit False; only the second overrides
    # the provider's own delete-before-replace answer.
    if request.deleteBeforeReplaceDefined:
        options["deleteBeforeReplace"] = bool(request.deleteBeforeReplace)
    for key in ("ignoreChanges", "replaceOnChanges"):
        values = sorted(getattr(request, key))
        if values:
            options[key] = values
    for key in ("retainOnDelete", "protect"):
        if getattr(request, key):
            options[key] = True
    timeouts = {
        kind: getattr(request.customTimeouts, kind)
        for kind in ("create", "update", "delete")
        if getattr(request.customTimeouts, kind)
    }
    if timeouts:
        options["customTimeouts"] = timeouts
    return options


def _plain(value: Any) -> Any:
    """Wire values as users read them: ints back from floats, secrets hidden, unknowns named."""
    if isinstance(value, pulumi.output.Unknown) or value == rpc.UNKNOWN:
        return UNKNOWN_TEXT
    if isinstance(value, pulumi.AssetArchive):
        return {"archive": {name: _plain(item) for name, item in sorted(value.assets.items())}}
    if isinstance(value, pulumi.FileAsset | pulumi.FileArchive):
        return _file_asset(Path(value.path))
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return SECRET_TEXT
        return {key: _plain(item) for key, item in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    # The wire protocol has only doubles, so every int arrives as a float.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# Asset paths are shown relative to the project, with a digest of their content, so a plan is the
# same on every machine and still changes when the packaged code does.
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _file_asset(path: Path) -> dict[str, Any]:
    resolved = path.resolve()
    shown = resolved.relative_to(PROJECT_ROOT) if resolved.is_relative_to(PROJECT_ROOT) else resolved
    digest = hashlib.sha256(resolved.read_bytes()).hexdigest() if resolved.is_file() else None
    return {"asset": {"path": shown.as_posix(), "sha256": digest}}


def _close_loops_at_exit() -> None:
    """Close, when the process exits, every event loop the SDK opened.

    The SDK opens one loop per thread that awaits (`pulumi.runtime.sync_await._ensure_event_loop`:
    the main thread's and one per mock worker thread), and never closes them. Left to the garbage
    collector during teardown, they sometimes printed "Exception ignored in BaseEventLoop.__del__
    ... Invalid file descriptor: -1" into CI logs after a good plan. Plans share the main loop
    (Outputs made outside one plan are awaited in another), so none can be closed earlier; and the
    worker threads' loops are reachable only through the collector, hence the scan (tens of ms, once).
    """
    for candidate in gc.get_objects():
        if isinstance(candidate, asyncio.BaseEventLoop) and not candidate.is_closed():
            _close(candidate)


def _close(loop: asyncio.AbstractEventLoop) -> None:
    """Finish what the SDK left scheduled, join the default executor's threads, close the loop."""
    if loop.is_closed() or loop.is_running():
        return
    try:
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        loop.close()


atexit.register(_close_loops_at_exit)


# `MLSTACK_OFFLINE_SDK=typed` plans through the generated SDK classes, as `pulumi up` runs the
# program; the default is the light path (`mlstack.components.sdk`), which registers the same.
SDK_SWITCH = "MLSTACK_OFFLINE_SDK"


def run_offline(
    program: Callable[[], Mapping[str, pulumi.Output[Any]]],
    *,
    project: str,
    stack: str,
    region: str,
    monitor_class: type[_CapturingMonitor] | None = None,
) -> Plan:
    """Run `program` as `pulumi preview` would, with nothing real behind it, and capture the plan.

    `program` returns the stack outputs. They are resolved here rather than through
    `pulumi.export`, because mocks never register the root stack's outputs.
    """
    # The SDK walks and formats the whole Python stack for every resource, so that the engine can
    # point error messages at source lines: about a third of a large plan's time. Nothing reads
    # those positions offline, so the plan skips them.
    capture_stack_trace = runtime_resource._get_stack_trace
    runtime_resource._get_stack_trace = source_pb2.StackTrace
    monitor = (monitor_class or _CapturingMonitor)(_OfflineProvider(region))
    # Each plan starts from a fresh root stack resource, so one process can plan many stacks.
    settings.set_root_resource(None)  # type: ignore[arg-type]
    mocks.set_mocks(monitor.mocks, project=project, stack=stack, preview=True, monitor=monitor)
    # The SDK's mock settings leave the project root (pulumi.get_root_directory()) a placeholder
    # string; offline, the project is where the plan runs.
    settings.SETTINGS.root_directory = os.getcwd()
    resolved_outputs: dict[str, Any] = {}

    async def body() -> None:
        outputs = program()
        for name in sorted(outputs):
            resolved_outputs[name] = await _output_value(outputs[name])

    # The SDK allocates many short-lived objects per resource, and the collector's repeated full
    # passes over everything imported cost ~30% of a large plan. Freezing what exists and
    # collecting less often keeps memory flat enough (about +10%) for a much faster plan.
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    sdk = os.environ.get(SDK_SWITCH, "light")
    if sdk not in ("light", "typed"):
        raise UnusableSetting(SDK_SWITCH, f"must be light or typed, not {sdk!r}")
    try:
        with light.registering_light(sdk == "light"):
            _sync_await(run_pulumi_func(body))
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
        runtime_resource._get_stack_trace = capture_stack_trace
    ordered = [resource for _, resource in sorted(monitor.registrations, key=lambda pair: pair[0])]
    return Plan(project, stack, _tree_order(ordered), resolved_outputs)


async def _output_value(output: pulumi.Output[Any]) -> Any:
    if not await output.is_known():
        return UNKNOWN_TEXT
    if await output.is_secret():
        return SECRET_TEXT
    return _plain(await output.future())


def _tree_order(resources: list[PlannedResource]) -> tuple[PlannedResource, ...]:
    """Parents before children, siblings by URN: independent of thread scheduling."""
    children: dict[str | None, list[PlannedResource]] = {}
    known = {r.urn for r in resources}
    for resource in resources:
        parent = resource.parent if resource.parent in known else None
        children.setdefault(parent, []).append(resource)
    ordered: list[PlannedResource] = []

    def visit(parent: str | None) -> None:
        for resource in sorted(children.get(parent, []), key=lambda r: r.urn):
            ordered.append(resource)
            visit(resource.urn)

    visit(None)
    return tuple(ordered)
