"""The change catalogue: routine edits of a live platform and what `pulumi up` does for each.

Each edit is applied to an example blueprint (`blueprints/examples/recsys.yaml` unless the edit names
another) and planned against the unedited blueprint for one environment; the update plan
(`stack.plan.lifecycle`) gives each resource's operation from the providers' replace rules.
`tests/test_change_catalogue.py` pins the operations, and the README's "The change catalogue" table
is this module's `markdown_table()`, checked by a test.
"""

from __future__ import annotations

import copy
import functools
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mlstack.blueprints.load import load_for_environment
from mlstack.stack.plan import plan_resolved
from mlstack.stack.plan.engine import Plan
from mlstack.stack.plan.lifecycle import UpdatePlan, base_from_plan, update_plan
from mlstack.stack.plan.render import short_type

EXAMPLES = Path(__file__).resolve().parent.parent / "blueprints" / "examples"
DEFAULT_EXAMPLE = "recsys"
ENVIRONMENT = "prod"
Blueprint = dict[str, Any]


def _endpoint(blueprint: Blueprint, name: str) -> dict[str, Any]:
    return next(e for e in blueprint["endpoints"] if e["name"] == name)


def _variant(blueprint: Blueprint, endpoint: str, name: str) -> dict[str, Any]:
    return next(v for v in _endpoint(blueprint, endpoint)["variants"] if v["name"] == name)


def _monitor(blueprint: Blueprint, name: str) -> dict[str, Any]:
    return next(m for m in blueprint["monitoring"]["drift"] if m["name"] == name)


@dataclass(frozen=True)
class Edit:
    """One routine change: `edit` turns the base blueprint into the changed one."""

    key: str
    what: str
    edit: Callable[[Blueprint], None]
    base: Callable[[Blueprint], None] | None = None
    """Applied to the base as well (for "add" edits, which start from a blueprint without the thing)."""
    example: str = DEFAULT_EXAMPLE
    """The example blueprint the edit starts from: a file stem in `blueprints/examples/`."""


def _set(path: Callable[[Blueprint], dict[str, Any]], key: str, value: Any) -> Callable[[Blueprint], None]:
    def apply(blueprint: Blueprint) -> None:
        path(blueprint)[key] = value

    return apply


def _drop(path: Callable[[Blueprint], dict[str, Any]], key: str) -> Callable[[Blueprint], None]:
    def apply(blueprint: Blueprint) -> None:
        del path(blueprint)[key]

    return apply


def _add_variant(blueprint: Blueprint) -> None:
    ranker = _endpoint(blueprint, "ranker")
    ranker["models"]["candidate"] = {
        "framework": "pytorch",
        "framework_version": "2.6",
        "model_data": "s3://recsys-artifacts/ranker/v14/model.tar.gz",
    }
    ranker["variants"].append(
        {"name": "candidate", "model": "candidate", "instance_type": "ml.g5.xlarge", "instances": 1, "weight": 5}
    )


def _remove_challenger(blueprint: Blueprint) -> None:
    ranker = _endpoint(blueprint, "ranker")
    ranker["variants"] = [v for v in ranker["variants"] if v["name"] != "challenger"]
    del ranker["models"]["challenger"]


def _no_shadow(blueprint: Blueprint) -> None:
    del _endpoint(blueprint, "fraud-scorer")["shadow"]


def _new_feature(blueprint: Blueprint) -> None:
    blueprint["feature_store"]["groups"][0]["features"]["views_7d"] = "integral"


def _no_prod_network(blueprint: Blueprint) -> None:
    del blueprint["environments"]["prod"]["network"]


def _ranker(blueprint: Blueprint) -> dict[str, Any]:
    return _endpoint(blueprint, "ranker")


def _fraud(blueprint: Blueprint) -> dict[str, Any]:
    return _endpoint(blueprint, "fraud-scorer")


# inference-components.yaml: three components on one fleet; prod's copy floors are overrides.
COMPONENTS = "inference-components"


def _small_models(blueprint: Blueprint) -> dict[str, Any]:
    return _endpoint(blueprint, "small-models")


def _intent_copies(blueprint: Blueprint) -> dict[str, Any]:
    component = next(c for c in _small_models(blueprint)["components"] if c["name"] == "intent")
    copies: dict[str, Any] = component["copies"]
    return copies


def _prod_overrides(blueprint: Blueprint) -> dict[str, Any]:
    overrides: dict[str, Any] = blueprint["environments"]["prod"]["overrides"]
    return overrides


# async.yaml: an asynchronous endpoint; pipeline.yaml: a serial inference pipeline.
ASYNC = "async"
PIPELINE = "pipeline"


def _extractor_async(blueprint: Blueprint) -> dict[str, Any]:
    config: dict[str, Any] = _endpoint(blueprint, "extractor")["async"]
    return config


def _no_success_notifications(blueprint: Blueprint) -> None:
    _extractor_async(blueprint)["notifications"]["success"] = False


def _filter_step(blueprint: Blueprint) -> dict[str, Any]:
    steps = _endpoint(blueprint, "screening")["models"]["scorer"]["pipeline"]
    step: dict[str, Any] = next(s for s in steps if s["name"] == "filter-input")
    return step


EDITS: tuple[Edit, ...] = (
    Edit(
        "instances-autoscaled",
        "instance count of an autoscaled variant (ranker champion 2 -> 3)",
        _set(lambda b: _variant(b, "ranker", "champion"), "instances", 3),
    ),
    Edit(
        "instances-fixed",
        "instance count of a fixed variant (fraud-scorer live 2 -> 3)",
        _set(lambda b: _variant(b, "fraud-scorer", "live"), "instances", 3),
    ),
    Edit(
        "weight",
        "variant weight (ranker challenger 10 -> 20)",
        _set(lambda b: _variant(b, "ranker", "challenger"), "weight", 20),
    ),
    Edit(
        "instance-type-fixed",
        "instance type of a fixed variant (fraud-scorer live ml.c6i.xlarge -> ml.c6i.2xlarge)",
        _set(lambda b: _variant(b, "fraud-scorer", "live"), "instance_type", "ml.c6i.2xlarge"),
    ),
    Edit(
        "instance-type-autoscaled",
        "instance type of an autoscaled variant (ranker challenger ml.g5.xlarge -> ml.g5.2xlarge)",
        _set(lambda b: _variant(b, "ranker", "challenger"), "instance_type", "ml.g5.2xlarge"),
    ),
    Edit(
        "model-data",
        "new model version: model_data (ranker challenger v13 -> v14)",
        _set(
            lambda b: _ranker(b)["models"]["challenger"], "model_data", "s3://recsys-artifacts/ranker/v14/model.tar.gz"
        ),
    ),
    Edit(
        "image",
        "new model version: image (fraud-scorer v8 8.0.1 -> 8.0.2)",
        _set(
            lambda b: _fraud(b)["models"]["v8"],
            "image",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fraud-scorer:8.0.2",
        ),
    ),
    Edit("add-variant", "add a variant (ranker candidate, 5% of traffic)", _add_variant),
    Edit("remove-variant", "remove an autoscaled variant (ranker challenger)", _remove_challenger),
    Edit("remove-shadow", "remove the shadow (fraud-scorer candidate)", _no_shadow),
    Edit("add-shadow", "add a shadow (fraud-scorer candidate)", lambda b: None, base=_no_shadow),
    Edit(
        "latency-threshold",
        "alarm threshold (ranker p99 250 -> 300 ms)",
        _set(lambda b: _ranker(b)["alarms"], "p99_latency_ms", 300),
    ),
    Edit(
        "remove-alarm-kind",
        "remove an alarm kind (ranker error_rate)",
        _drop(lambda b: _ranker(b)["alarms"], "error_rate"),
    ),
    Edit(
        "add-alarm-kind",
        "add an alarm kind (ranker error_rate)",
        lambda b: None,
        base=_drop(lambda b: _ranker(b)["alarms"], "error_rate"),
    ),
    Edit(
        "rollout-strategy",
        "rollout strategy (ranker canary -> linear 20%)",
        _set(_ranker, "rollout", {"strategy": "linear", "step_percent": 20, "bake_minutes": 10}),
    ),
    Edit("bake-time", "bake time (ranker 10 -> 30 minutes)", _set(lambda b: _ranker(b)["rollout"], "bake_minutes", 30)),
    Edit(
        "add-rollout",
        "add guarded rollouts (fraud-scorer canary)",
        _set(_fraud, "rollout", {"strategy": "canary", "canary_percent": 10, "bake_minutes": 10}),
    ),
    Edit("autoscaling-max", "autoscaling max (ranker 8 -> 10)", _set(lambda b: _ranker(b)["autoscaling"], "max", 10)),
    Edit("autoscaling-min", "autoscaling min (ranker 2 -> 1)", _set(lambda b: _ranker(b)["autoscaling"], "min", 1)),
    Edit(
        "autoscaling-target",
        "autoscaling target (ranker 300 -> 400 invocations per instance)",
        _set(lambda b: _ranker(b)["autoscaling"], "target_invocations_per_instance", 400),
    ),
    Edit(
        "capture-percent",
        "data-capture percent (ranker 20 -> 50)",
        _set(lambda b: _ranker(b)["data_capture"], "sample_percent", 50),
    ),
    Edit(
        "monitor-schedule",
        "a monitor's schedule (ranker-data hourly -> daily)",
        _set(lambda b: _monitor(b, "ranker-data"), "schedule", "daily"),
    ),
    Edit(
        "monitor-baseline",
        "a monitor's baseline (fraud-quality: a new baseline prefix)",
        _set(lambda b: _monitor(b, "fraud-quality"), "baseline", "s3://recsys-artifacts/baselines/fraud-v2/"),
    ),
    Edit("new-feature", "a new feature in a feature group (user-features views_7d)", _new_feature),
    Edit(
        "owner",
        "owner tag (ml-platform@ -> ml-serving@example.com)",
        _set(lambda b: b, "owner", "ml-serving@example.com"),
    ),
    Edit("team", "team tag (personalization -> discovery)", _set(lambda b: b, "team", "discovery")),
    Edit("remove-network", "remove the prod network (VPC)", _no_prod_network),
    Edit("add-network", "add the prod network (VPC)", lambda b: None, base=_no_prod_network),
    Edit(
        "component-copies-max",
        "a component's copies.max (small-models intent 4 -> 6)",
        _set(_intent_copies, "max", 6),
        example=COMPONENTS,
    ),
    Edit(
        "component-copies-min",
        "a component's copies.min in prod (small-models intent 1 -> 2)",
        _set(_prod_overrides, "endpoints.small-models.components.intent.copies.min", 2),
        example=COMPONENTS,
    ),
    Edit(
        "component-model-data",
        "new model version of a component: model_data (small-models intent v7 -> v8)",
        _set(
            lambda b: _small_models(b)["models"]["intent"],
            "model_data",
            "s3://assistants-models/intent/v8/model.tar.gz",
        ),
        example=COMPONENTS,
    ),
    Edit(
        "fleet-max-instances",
        "the component fleet's max_instances (small-models 3 -> 4)",
        _set(lambda b: _small_models(b)["fleet"], "max_instances", 4),
        example=COMPONENTS,
    ),
    Edit(
        "async-concurrency",
        "async max_concurrent_invocations_per_instance (extractor 4 -> 8)",
        _set(_extractor_async, "max_concurrent_invocations_per_instance", 8),
        example=ASYNC,
    ),
    Edit(
        "async-success-notifications",
        "turn async success notifications on (extractor)",
        lambda b: None,
        base=_no_success_notifications,
        example=ASYNC,
    ),
    Edit(
        "pipeline-step-image",
        "new image tag of a pipeline step (screening filter-input 1.4.0 -> 1.4.1)",
        _set(_filter_step, "image", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/risk/filter-input:1.4.1"),
        example=PIPELINE,
    ),
)


@functools.cache
def _plan_text(text: str, environment: str, example: str) -> Plan:
    with tempfile.TemporaryDirectory(prefix="mlstack-catalogue-") as directory:
        path = Path(directory) / f"{example}.yaml"
        path.write_text(text, encoding="utf-8")
        return plan_resolved(load_for_environment(path, environment))


def plan_blueprint(blueprint: Blueprint, environment: str = ENVIRONMENT, example: str = DEFAULT_EXAMPLE) -> Plan:
    """The plan of `blueprint` (plans of identical blueprints are computed once)."""
    return _plan_text(yaml.safe_dump(blueprint, sort_keys=False), environment, example)


@functools.cache
def _original(example: str) -> Blueprint:
    loaded: Blueprint = yaml.safe_load((EXAMPLES / f"{example}.yaml").read_text(encoding="utf-8"))
    return loaded


def original(example: str = DEFAULT_EXAMPLE) -> Blueprint:
    """A fresh copy of an example blueprint (recsys.yaml unless named)."""
    return copy.deepcopy(_original(example))


def resource_prefix(edit: Edit) -> str:
    """What every resource name of the edit's plan starts with: `<blueprint>-<environment>-`."""
    return f"{_original(edit.example)['blueprint']}-{ENVIRONMENT}-"


def apply(edit: Edit) -> UpdatePlan:
    """Plan `edit` against the blueprint it starts from: what `pulumi up` of the edit does."""
    base = original(edit.example)
    if edit.base is not None:
        edit.base(base)
    # An "add" edit starts from the blueprint without the thing and ends at the example itself.
    head = original(edit.example) if edit.base is not None else copy.deepcopy(base)
    edit.edit(head)
    return update_plan(
        base_from_plan(plan_blueprint(base, example=edit.example)),
        plan_blueprint(head, example=edit.example),
        f"{edit.example} {ENVIRONMENT} before: {edit.what}",
    )


def edit_named(key: str) -> Edit:
    return next(edit for edit in EDITS if edit.key == key)


def operations(update: UpdatePlan) -> dict[str, str]:
    """`short type name` -> op of every custom resource that is not `same`; replacements say their order."""
    found: dict[str, str] = {}
    for step in update.steps:
        if not step.custom or step.op == "same":
            continue
        op: str = step.op
        if op == "replace":
            op = "replace, delete first" if step.delete_before_replace else "replace, create first"
        found[f"{short_type(step.type)} {step.name}"] = op
    return found


def _listed(items: list[str]) -> str:
    if len(items) <= 8:
        return ", ".join(items)
    kinds: dict[str, int] = {}
    for item in items:
        kind = item.split(" ", 1)[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    return f"{len(items)} resources (" + ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items())) + ")"


def markdown_table(results: dict[str, dict[str, str]]) -> str:
    """The README's catalogue: one row per edit, the operations `pulumi up` performs."""
    rows = [
        f"| edit (of `{DEFAULT_EXAMPLE}.yaml` unless the row names another example) "
        "| what `pulumi up` does (every other resource: unchanged) |",
        "|---|---|",
    ]
    for edit in EDITS:
        ops = results[edit.key]
        grouped: dict[str, list[str]] = {}
        for resource, op in sorted(ops.items()):
            kind, name = resource.split(" ", 1)
            short = kind.rsplit(":", 1)[-1]
            grouped.setdefault(op, []).append(f"{short} `{name.removeprefix(resource_prefix(edit))}`")
        text = "; ".join(f"**{op}**: {_listed(items)}" for op, items in sorted(grouped.items())) or "nothing"
        where = "" if edit.example == DEFAULT_EXAMPLE else f"`{edit.example}.yaml`: "
        rows.append(f"| {where}{edit.what} | {text} |")
    return "\n".join(rows) + "\n"
