"""What each endpoint of an environment should be, read off the offline plan.

The plan is the program `pulumi up` runs, so its physical names (endpoint, configuration, alarms,
scalable targets) are the deployed ones; nothing is guessed from naming conventions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlstack.blueprints.errors import BlueprintInvalid, Problem
from mlstack.blueprints.load import ResolvedBlueprint
from mlstack.stack.plan.engine import Plan, PlannedResource

ENDPOINT_COMPONENT = "mlstack:serving:ModelEndpoint"
ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
ENDPOINT = "aws-native:sagemaker:Endpoint"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SCALABLE_TARGET = "aws:appautoscaling/target:Target"


@dataclass(frozen=True)
class PlannedVariant:
    """A production or shadow variant as the endpoint configuration defines it."""

    name: str
    model_name: str
    weight: float
    instance_type: str | None
    """None for a serverless variant."""
    instance_count: int | None
    """The initial count; None for a serverless variant."""


@dataclass(frozen=True)
class ScalingRange:
    minimum: int
    maximum: int


@dataclass(frozen=True)
class EndpointTarget:
    """One blueprint endpoint in one environment, as deployed by the plan."""

    key: str
    """The blueprint's name for it (`endpoints[].name`), which the commands take."""
    index: int
    """Its position in the blueprint's `endpoints` list (for YAML locations)."""
    endpoint_name: str
    config_name: str
    variants: tuple[PlannedVariant, ...]
    shadow_variants: tuple[PlannedVariant, ...]
    scaling: Mapping[str, ScalingRange]
    """Application Auto Scaling bounds by variant name; empty when the blueprint sets none."""
    alarm_names: tuple[str, ...]
    fallback_model_name: str | None
    fallback_model_key: str | None

    def variant(self, name: str) -> PlannedVariant | None:
        return next((v for v in self.variants if v.name == name), None)

    @property
    def weights(self) -> dict[str, float]:
        return {variant.name: variant.weight for variant in self.variants}


@dataclass(frozen=True)
class Environment:
    """The deployed environment the commands act on."""

    file: Path
    resolved: ResolvedBlueprint
    stack: str
    region: str
    endpoints: Mapping[str, EndpointTarget]
    component_endpoints: frozenset[str] = frozenset()
    """Endpoints hosting inference components: they have no variant weights to shift or check."""

    def endpoint(self, key: str) -> EndpointTarget:
        """The endpoint the blueprint calls `key`; bad input when there is none."""
        if key in self.endpoints:
            return self.endpoints[key]
        if key in self.component_endpoints:
            message = (
                f"endpoint {key!r} hosts inference components, whose traffic goes to each component by name, "
                "not by variant weights: status, shift, promote and rollback act on variant endpoints only; "
                "change a component's copies or model in the blueprint and run pulumi up"
            )
        else:
            known = ", ".join(self.endpoints) or "none"
            message = f"no endpoint named {key!r} in this blueprint (it has: {known})"
        raise BlueprintInvalid([Problem(str(self.file), 1, 1, "endpoints", message)])


def _variant(entry: Mapping[str, Any]) -> PlannedVariant:
    serverless = "serverlessConfig" in entry
    return PlannedVariant(
        name=str(entry["variantName"]),
        model_name=str(entry["modelName"]),
        # CreateEndpointConfig's default InitialVariantWeight is 1.0 (API_ProductionVariant.html).
        weight=float(entry.get("initialVariantWeight", 1.0)),
        instance_type=None if serverless else str(entry.get("instanceType")),
        instance_count=None if serverless else int(entry.get("initialInstanceCount", 1)),
    )


def _endpoint_target(
    key: str, index: int, children: list[PlannedResource], fallback: tuple[str, str] | None
) -> EndpointTarget:
    def one(resource_type: str) -> PlannedResource:
        return next(r for r in children if r.type == resource_type)

    config = one(ENDPOINT_CONFIG).inputs
    endpoint = one(ENDPOINT).inputs
    scaling = {
        str(r.inputs["resourceId"]).rsplit("/", 1)[-1]: ScalingRange(
            int(r.inputs["minCapacity"]), int(r.inputs["maxCapacity"])
        )
        for r in children
        if r.type == SCALABLE_TARGET
    }
    alarm_models = {str(r.inputs["name"]): r for r in children if r.type == METRIC_ALARM}
    return EndpointTarget(
        key=key,
        index=index,
        endpoint_name=str(endpoint["endpointName"]),
        config_name=str(config["name"]),
        variants=tuple(_variant(v) for v in config.get("productionVariants") or ()),
        shadow_variants=tuple(_variant(v) for v in config.get("shadowProductionVariants") or ()),
        scaling=scaling,
        alarm_names=tuple(sorted(alarm_models)),
        fallback_model_name=fallback[1] if fallback else None,
        fallback_model_key=fallback[0] if fallback else None,
    )


def environment_of(file: Path, resolved: ResolvedBlueprint, plan: Plan) -> Environment:
    """Every endpoint of the plan, by its blueprint name."""
    components = {r.urn: r for r in plan.resources if r.type == ENDPOINT_COMPONENT}
    children: dict[str, list[PlannedResource]] = {urn: [] for urn in components}
    for resource in plan.resources:
        if resource.parent in children:
            children[resource.parent].append(resource)
    endpoints: dict[str, EndpointTarget] = {}
    for urn, component in components.items():
        path = plan.sources.get(urn, ())
        if len(path) < 2 or path[0] != "endpoints" or not isinstance(path[1], int):
            continue
        index = path[1]
        blueprint_endpoint = resolved.blueprint.endpoints[index]
        key = blueprint_endpoint.name
        fallback_name = plan.outputs.get(f"fallback_model_{key}")
        fallback = (
            (blueprint_endpoint.fallback.model, str(fallback_name))
            if blueprint_endpoint.fallback and fallback_name
            else None
        )
        endpoints[key] = _endpoint_target(key, index, children[component.urn], fallback)
    return Environment(
        file=file,
        resolved=resolved,
        stack=plan.stack,
        region=resolved.blueprint.region,
        endpoints=endpoints,
        component_endpoints=frozenset(e.name for e in resolved.blueprint.endpoints if e.components),
    )


def apply_stack_outputs(environment: Environment, outputs_file: Path) -> Environment:
    """Check the plan's endpoint names against `pulumi stack output --json` of the deployed stack.

    The names are the program's, so they agree unless the stack was deployed from another
    blueprint or environment; acting on the wrong endpoint is worse than refusing.
    """
    from mlstack.blueprints.yaml_source import read_text

    text = read_text(outputs_file, "stack outputs", kind="stack output files")
    try:
        outputs = json.loads(text)
    except json.JSONDecodeError as error:
        raise BlueprintInvalid(
            [Problem(str(outputs_file), error.lineno, error.colno, "", f"not JSON: {error.msg}")]
        ) from None
    if not isinstance(outputs, dict):
        raise BlueprintInvalid(
            [Problem(str(outputs_file), 1, 1, "", "expected the object `pulumi stack output --json` prints")]
        )
    problems = []
    for key, target in environment.endpoints.items():
        deployed = outputs.get(f"endpoint_{key}")
        if deployed is not None and deployed != target.endpoint_name:
            problems.append(
                Problem(
                    str(outputs_file),
                    1,
                    1,
                    f"endpoint_{key}",
                    f"the stack's endpoint is {deployed!r} but {environment.file} plans {target.endpoint_name!r} "
                    f"for {environment.resolved.environment_name}: these outputs are from another stack",
                )
            )
    if problems:
        raise BlueprintInvalid(problems)
    return environment
