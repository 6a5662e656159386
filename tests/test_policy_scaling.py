"""The policy pack and the cost estimate index the plan once: the same answers as scanning, linear work.

No test here is timed (speed targets live in bench/check_scaling.py, which prints figures):

- Same answers, without a golden file: every example blueprint and environment is checked and
  priced twice, as shipped and with every index lookup replaced by the scan it stands for
  (`ScanningIndex`, `ScanningContext`: a fresh scan per lookup, nothing memoised). The reports
  (findings in order with their levels, messages and suppressions; proofs; the (rule, resource)
  pairs checked) and the cost reports must be equal. A golden file would pin today's findings and go
  stale with every legitimate rule or example change; this pins only what the indexes promise: to
  change the speed, never the answer. (The change that brought the indexes was also checked
  against reports and cost reports of every example saved from the commit before it: identical.)
- Linear work: how many resource attributes checking and pricing read, counted on a platform with
  2N endpoints against N. A scan of the plan per resource (the quadratic loops the indexes replace)
  reads O(N^2) of them and fails the bound, whatever the machine's speed.
"""

from __future__ import annotations

import copy
import dataclasses
import sys
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from pulumi_policy import PolicyResource

from mlstack.blueprints.load import ResolvedBlueprint, load, load_for_environment
from mlstack.blueprints.schema import Endpoint
from mlstack.policies import framework, offline
from mlstack.policies.offline import Report
from mlstack.policies.settings import PolicySettings
from mlstack.stack.cost import estimate
from mlstack.stack.cost.prices import Rate
from mlstack.stack.plan import plan_resolved
from mlstack.stack.plan.check import check_plan, check_preview_json, cost_estimate, policy_settings
from mlstack.stack.plan.engine import Plan, PlannedResource
from tests.conftest import REPO

EXAMPLES = sorted((REPO / "blueprints" / "examples").glob("*.yaml"))
REFERENCE = REPO / "tests" / "data" / "reference.yaml"
INSECURE = sorted((REPO / "tests" / "data" / "insecure").glob("*.json"))
T = TypeVar("T")


def _cases() -> list[tuple[Path, str]]:
    return [(path, env) for path in [*EXAMPLES, REFERENCE] for env in sorted(load(path).environments)]


@pytest.fixture(scope="module")
def planned() -> dict[tuple[Path, str], tuple[ResolvedBlueprint, Plan]]:
    """Each example environment resolved and planned once, for both runs of each comparison."""
    found: dict[tuple[Path, str], tuple[ResolvedBlueprint, Plan]] = {}
    for path, env in _cases():
        resolved = load_for_environment(path, env)
        found[(path, env)] = resolved, plan_resolved(resolved)
    return found


# --- the scans the indexes stand for --------------------------------------------------------------


class ScanningIndex(framework.StackIndex):
    """`StackIndex` by its definitions: every lookup scans the stack again; nothing is memoised."""

    def of_type(self, *types: str) -> tuple[Any, ...]:
        return tuple(r for r in self.resources if r.resource_type in types)

    def in_stack_order(self, resources: Iterable[Any]) -> list[Any]:
        wanted = list(resources)
        return [r for r in self.resources if any(w is r for w in wanted)]

    def memo(self, key: Hashable, build: Callable[[], T]) -> T:
        return build()

    def dependents(self, target: Any, *types: str) -> list[Any]:
        return [r for r in self.of_type(*types) if any(getattr(d, "urn", None) == target.urn for d in r.dependencies)]

    def depended_on(self, resource: Any, *types: str) -> list[Any]:
        urns = {getattr(d, "urn", None) for d in resource.dependencies}
        return [r for r in self.of_type(*types) if r.urn in urns]

    def named(self, prop: str, *types: str) -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = {}
        for resource in self.of_type(*types):
            name = framework.peek(resource.props, prop)
            if isinstance(name, str):
                found.setdefault(name, []).append(resource)
        return found


class ScanningContext(estimate._Context):
    """The cost estimate's lookups as the scans they replaced."""

    def endpoint_name(self, config: PlannedResource) -> str | None:
        config_name = config.inputs.get("name")
        endpoints = self.plan.by_type(estimate.ENDPOINT)
        for endpoint in endpoints:
            if config_name and endpoint.inputs.get("endpointConfigName") == config_name:
                return estimate._str(endpoint.inputs.get("endpointName"))
        for endpoint in endpoints:
            if endpoint.parent == config.parent:
                return estimate._str(endpoint.inputs.get("endpointName"))
        return None

    def blueprint_endpoint(self, endpoint_name: str | None) -> Endpoint | None:
        return next((e for e in self.blueprint.endpoints if endpoint_name == f"{self.prefix}-{e.name}"), None)

    def job_definition(self, schedule: PlannedResource) -> PlannedResource | None:
        config = schedule.inputs.get("monitoringScheduleConfig")
        wanted = config.get("monitoringJobDefinitionName") if isinstance(config, dict) else None
        candidates = [r for r in self.plan.resources if estimate._JOB_DEFINITION.match(r.type)]
        for definition in candidates:
            if wanted and wanted in (definition.inputs.get("name"), definition.inputs.get("jobDefinitionName")):
                return definition
        return next((d for d in candidates if d.parent == schedule.parent), None)

    def cheapest_for(self, current: Any, current_rate: Rate, needs: Any) -> tuple[float, str, Rate] | None:
        return self.cheaper_type(current, current_rate, needs)


def _scanning(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every module of the pack that imported `index_of` gets a fresh `ScanningIndex` per call instead."""
    _replace(monkeypatch, framework.index_of, ScanningIndex)
    monkeypatch.setattr(estimate, "_Context", ScanningContext)


def _replace(monkeypatch: pytest.MonkeyPatch, original: object, replacement: object) -> None:
    """`original` replaced in every module of the pack that holds it (read before patching framework)."""
    for name, module in list(sys.modules.items()):
        if name.startswith("mlstack.policies.") and getattr(module, "index_of", None) is original:
            monkeypatch.setattr(module, "index_of", replacement)


def _outcome(report: Report) -> tuple[Any, ...]:
    return report.findings, report.proofs, report.checked


@pytest.mark.parametrize(("path", "env"), _cases(), ids=lambda v: v.name if isinstance(v, Path) else v)
def test_indexed_checks_and_costs_equal_scanning_ones(
    path: Path,
    env: str,
    planned: dict[tuple[Path, str], tuple[ResolvedBlueprint, Plan]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resolved, plan = planned[(path, env)]
    estimate_indexed = cost_estimate(resolved, plan)
    report_indexed = check_plan(plan, policy_settings(resolved, estimate_indexed))
    cost_indexed = estimate.cost_report(plan, resolved).to_json()
    with monkeypatch.context() as patched:
        _scanning(patched)
        estimate_scanned = cost_estimate(resolved, plan)
        report_scanned = check_plan(plan, policy_settings(resolved, estimate_scanned))
        cost_scanned = estimate.cost_report(plan, resolved).to_json()
    assert estimate_indexed == estimate_scanned
    assert cost_indexed == cost_scanned
    assert _outcome(report_indexed) == _outcome(report_scanned)


@pytest.mark.parametrize("path", INSECURE, ids=lambda p: p.name)
def test_indexed_preview_checks_equal_scanning_ones(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for env in ("prod", "dev"):
        indexed = check_preview_json(path, PolicySettings(environment=env))
        with monkeypatch.context() as patched:
            _scanning(patched)
            scanned = check_preview_json(path, PolicySettings(environment=env))
        assert indexed.findings, f"{path.name} should have findings to compare"
        assert _outcome(indexed) == _outcome(scanned)


def test_the_scanning_reference_is_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison above is only worth something if the pack's rules did call the replacement."""
    built: list[ScanningIndex] = []

    class Recording(ScanningIndex):
        def __init__(self, resources: Sequence[Any]) -> None:
            super().__init__(resources)
            built.append(self)

    _scanning(monkeypatch)
    _replace(monkeypatch, ScanningIndex, Recording)
    rules = check_preview_json(INSECURE[0], PolicySettings(environment="prod")).rules
    stack_rules = [rule.name for rule in rules if rule.kind == "stack"]
    # One index per stack rule's lookup at least: none is left reading the real one.
    assert len(built) >= len(stack_rules) > 0


# --- linear work -----------------------------------------------------------------------------------


class _Reads:
    """Attribute reads of the resources the pack and the estimate are given, and blueprint endpoints visited."""

    count = 0


class CountedPolicyResource(PolicyResource):
    def __getattribute__(self, name: str) -> Any:
        _Reads.count += 1
        return super().__getattribute__(name)


class CountedPlannedResource(PlannedResource):
    def __getattribute__(self, name: str) -> Any:
        _Reads.count += 1
        return super().__getattribute__(name)


class CountedList(list[T]):
    def __iter__(self) -> Iterator[T]:
        for item in super().__iter__():
            _Reads.count += 1
            yield item


def _platform(copies: int) -> str:
    """The reference blueprint with each endpoint, drift monitor and feedback route `copies` times."""
    data = yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))

    def named(name: str, k: int) -> str:
        return name if k == 0 else f"{name}-c{k}"  # copy 0 keeps its name: the overrides point at it

    endpoints = data["endpoints"]
    data["endpoints"] = [{**copy.deepcopy(e), "name": named(e["name"], k)} for k in range(copies) for e in endpoints]
    drift = data["monitoring"]["drift"]
    data["monitoring"]["drift"] = [
        {**d, "name": named(d["name"], k), "endpoint": named(d["endpoint"], k)} for k in range(copies) for d in drift
    ]
    routes = data["feedback"]["endpoints"]
    data["feedback"]["endpoints"] = [named(name, k) for k in range(copies) for name in routes]
    return yaml.safe_dump(data, sort_keys=False)


def _counted_platform(copies: int, directory: Path) -> tuple[ResolvedBlueprint, Plan]:
    """`copies` copies of the platform, planned for prod, its resources and endpoints counting reads."""
    path = directory / f"platform-{copies}.yaml"
    path.write_text(_platform(copies), encoding="utf-8")
    resolved = load_for_environment(path, "prod")
    plan = plan_resolved(resolved)
    counted = tuple(
        CountedPlannedResource(**{f.name: getattr(r, f.name) for f in dataclasses.fields(r)}) for r in plan.resources
    )
    object.__setattr__(resolved.blueprint, "endpoints", CountedList(resolved.blueprint.endpoints))
    return resolved, dataclasses.replace(plan, resources=counted)


def _reads(resolved: ResolvedBlueprint, plan: Plan, monkeypatch: pytest.MonkeyPatch) -> int:
    """Attribute reads of checking and pricing `plan` (as `mlstack check` does), and of pricing it (`mlstack cost`)."""
    with monkeypatch.context() as patched:
        patched.setattr(offline, "PolicyResource", CountedPolicyResource)
        _Reads.count = 0
        report = check_plan(plan, policy_settings(resolved, cost_estimate(resolved, plan)))
        estimate.cost_report(plan, resolved)
        assert report.checked
        return _Reads.count


def _growth(reads: Sequence[int]) -> float:
    """What the last doubling of the endpoints added to the work, against what the one before added."""
    w2, w4, w8 = reads
    return (w8 - w4) / (w4 - w2)


@pytest.fixture(scope="module")
def platforms(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[ResolvedBlueprint, Plan]]:
    directory = tmp_path_factory.mktemp("platforms")
    return [_counted_platform(copies, directory) for copies in (2, 4, 8)]


def test_checking_and_pricing_read_each_resource_a_bounded_number_of_times(
    platforms: list[tuple[ResolvedBlueprint, Plan]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The platform's stack-wide part (feature store, tracking, Kubernetes, the key) stays as the
    # endpoints grow, so the work is compared by what each doubling of the endpoints adds: the same
    # again when the work is linear (2x the previous step's), 4x when it is quadratic.
    r2, r4, r8 = (len(plan.resources) for _, plan in platforms)
    assert (r8 - r4) == 2 * (r4 - r2), "each copy of the endpoints should add the same resources"
    reads = [_reads(resolved, plan, monkeypatch) for resolved, plan in platforms]
    assert _growth(reads) < 2.3, f"reads {reads} for {r2}, {r4}, {r8} resources: {_growth(reads):.2f}x"


def test_the_count_sees_a_scan_per_resource(
    platforms: list[tuple[ResolvedBlueprint, Plan]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bound above fails for the pack run on `ScanningIndex` (a scan per lookup, as before the index)."""
    _scanning(monkeypatch)
    reads = [_reads(resolved, plan, monkeypatch) for resolved, plan in platforms]
    assert _growth(reads) > 2.3, f"reads {reads}: {_growth(reads):.2f}x"
