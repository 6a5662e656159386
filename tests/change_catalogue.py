"""The change catalogue: routine edits of a live platform and what `pulumi up` does for each.

Each edit is applied to `blueprints/examples/recsys.yaml` and planned against the unedited blueprint
for one environment; the update plan (`stack.plan.lifecycle`) gives each resource's operation from
the providers' replace rules. `tests/test_change_catalogue.py` pins the operations, and the README's
"Changing a live platform" section is this module's `markdown_table()`, checked by a test.
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

RECSYS = Path(__file__).resolve().parent.parent / "blueprints" / "examples" / "recsys.yaml"
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
)


@functools.cache
def _plan_text(text: str, environment: str) -> Plan:
    with tempfile.TemporaryDirectory(prefix="mlstack-catalogue-") as directory:
        path = Path(directory) / "recsys.yaml"
        path.write_text(text, encoding="utf-8")
        return plan_resolved(load_for_environment(path, environment))


def plan_blueprint(blueprint: Blueprint, environment: str = ENVIRONMENT) -> Plan:
    """The plan of `blueprint` (plans of identical blueprints are computed once)."""
    return _plan_text(yaml.safe_dump(blueprint, sort_keys=False), environment)


@functools.cache
def _original() -> Blueprint:
    loaded: Blueprint = yaml.safe_load(RECSYS.read_text(encoding="utf-8"))
    return loaded


def original() -> Blueprint:
    """A fresh copy of the example blueprint."""
    return copy.deepcopy(_original())


def apply(edit: Edit) -> UpdatePlan:
    """Plan `edit` against the blueprint it starts from: what `pulumi up` of the edit does."""
    base = copy.deepcopy(_original())
    if edit.base is not None:
        edit.base(base)
    # An "add" edit starts from the blueprint without the thing and ends at the example itself.
    head = copy.deepcopy(_original() if edit.base is not None else base)
    edit.edit(head)
    return update_plan(
        base_from_plan(plan_blueprint(base)), plan_blueprint(head), f"recsys {ENVIRONMENT} before: {edit.what}"
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
    rows = ["| edit | what `pulumi up` does (every other resource: unchanged) |", "|---|---|"]
    for edit in EDITS:
        ops = results[edit.key]
        grouped: dict[str, list[str]] = {}
        for resource, op in sorted(ops.items()):
            kind, name = resource.split(" ", 1)
            short = kind.rsplit(":", 1)[-1]
            grouped.setdefault(op, []).append(f"{short} `{name.removeprefix('recsys-prod-')}`")
        text = "; ".join(f"**{op}**: {_listed(items)}" for op, items in sorted(grouped.items())) or "nothing"
        rows.append(f"| {edit.what} | {text} |")
    return "\n".join(rows) + "\n"
