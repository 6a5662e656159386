"""The parts of the day-2 commands that need no AWS: steps, durations, weights, targets, blueprint edits."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from mlstack.blueprints.errors import BlueprintInvalid
from mlstack.blueprints.load import load_for_environment
from mlstack.stack.ops.blueprint_edit import variant_edits
from mlstack.stack.ops.ledger import Progress, abandoned
from mlstack.stack.ops.target import environment_of
from mlstack.stack.ops.weights import parse_duration, parse_steps, same_split, shares, step_weights
from mlstack.stack.plan import plan_file

EXAMPLES = Path(__file__).resolve().parents[1] / "blueprints" / "examples"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("10m", 600), ("30s", 30), ("1h30m", 5400), ("250ms", 0.25), ("0.5s", 0.5), ("2h", 7200)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "10", "10x", "m", "-1m", "1m-", "ten minutes"])
def test_not_durations(text: str) -> None:
    assert parse_duration(text) is None


def test_steps() -> None:
    assert parse_steps("10,25,50,100") == (10, 25, 50, 100)
    assert "increase" in str(parse_steps("10,10,50"))
    assert "above 0" in str(parse_steps("0,50"))
    assert "above 0" in str(parse_steps("50,101"))
    assert "comma-separated" in str(parse_steps("10;20"))


def test_step_weights_keep_the_others_in_their_ratio() -> None:
    start = {"champion": 60.0, "challenger": 10.0, "third": 30.0}
    weights = step_weights(start, "challenger", 50)
    assert weights == {"champion": pytest.approx(50 * 60 / 90), "challenger": 50, "third": pytest.approx(50 * 30 / 90)}
    assert list(weights) == list(start)


def test_step_weights_share_the_rest_evenly_when_the_others_had_none() -> None:
    assert step_weights({"a": 0.0, "b": 0.0, "c": 1.0}, "c", 40) == {"a": 30, "b": 30, "c": 40}


@given(
    st.dictionaries(st.sampled_from("abcd"), st.floats(0, 1000), min_size=2),
    st.floats(0.01, 100),
)
def test_every_step_gives_the_target_its_percent(start: dict[str, float], percent: float) -> None:
    target = sorted(start)[0]
    weights = step_weights(start, target, percent)
    assert sum(weights.values()) == pytest.approx(100, abs=1e-4)
    assert shares(weights)[target] == pytest.approx(percent / 100, abs=1e-6)
    assert all(weight >= 0 for weight in weights.values())


def test_same_split_compares_shares_not_weights() -> None:
    assert same_split({"a": 90, "b": 10}, {"a": 9, "b": 1})
    assert not same_split({"a": 90, "b": 10}, {"a": 80, "b": 20})
    assert not same_split({"a": 1}, {"b": 1})


def test_targets_come_from_the_plan() -> None:
    file = EXAMPLES / "recsys.yaml"
    resolved, plan = plan_file(file, "prod")
    environment = environment_of(file, resolved, plan)
    ranker = environment.endpoint("ranker")
    assert ranker.endpoint_name == plan.outputs["endpoint_ranker"]
    config = next(r for r in plan.resources if r.type.endswith("EndpointConfiguration") and "ranker" in r.name)
    assert ranker.config_name == config.inputs["name"]
    assert ranker.weights == {"champion": 90, "challenger": 10}
    assert ranker.scaling["champion"].minimum == 2
    assert f"{ranker.endpoint_name}-error-rate" in ranker.alarm_names
    fraud = environment.endpoint("fraud-scorer")
    assert fraud.fallback_model_key == "v7"
    assert fraud.fallback_model_name == plan.outputs["fallback_model_fraud-scorer"]
    assert [v.name for v in fraud.shadow_variants] == ["candidate"]


def test_an_unknown_endpoint_is_bad_input() -> None:
    file = EXAMPLES / "recsys.yaml"
    environment = environment_of(file, *plan_file(file, "prod"))
    with pytest.raises(Exception, match=r"no endpoint named 'rankr'.*ranker"):
        environment.endpoint("rankr")


def _applied(text: str, diff: str) -> str:
    """`diff` applied to `text` (our diffs replace whole lines within hunks)."""
    lines = text.splitlines(keepends=True)
    result: list[str] = []
    position = 0
    for line in diff.splitlines(keepends=True)[2:]:
        if line.startswith("@@"):
            start = int(line.split()[1].split(",")[0][1:]) - 1
            result.extend(lines[position:start])
            position = start
        elif line.startswith("-"):
            position += 1
        elif line.startswith("+"):
            result.append(line[1:])
        else:
            result.append(lines[position])
            position += 1
    result.extend(lines[position:])
    return "".join(result)


def test_a_promotion_edit_makes_the_blueprint_say_the_live_weights(tmp_path: Path) -> None:
    file = tmp_path / "recsys.yaml"
    file.write_text((EXAMPLES / "recsys.yaml").read_text())
    diff = variant_edits(file, "prod", "ranker", {"champion": {"weight": 0.0}, "challenger": {"weight": 100.0}})
    body = diff.splitlines()[2:]
    assert sum(line.startswith("-") for line in body) == 2 and sum(line.startswith("+") for line in body) == 2
    file.write_text(_applied(file.read_text(), diff))
    variants = load_for_environment(file, "prod").blueprint.endpoints[0].variants
    assert {v.name: v.weight for v in variants} == {"champion": 0, "challenger": 100}


def test_an_edit_inserts_a_missing_weight_in_block_style_and_edits_overrides(tmp_path: Path) -> None:
    file = tmp_path / "b.yaml"
    source = yaml.safe_load((EXAMPLES / "ab-test.yaml").read_text())
    endpoint = source["endpoints"][0]
    first, second = endpoint["variants"][:2]
    first.pop("weight", None)
    source["environments"]["prod"]["overrides"] = {f"endpoints.{endpoint['name']}.variants.{second['name']}.weight": 7}
    file.write_text(yaml.safe_dump(source, sort_keys=False, default_flow_style=False))
    before = load_for_environment(file, "dev").blueprint.endpoints[0].variants
    diff = variant_edits(
        file, "prod", endpoint["name"], {first["name"]: {"weight": 25}, second["name"]: {"weight": 75}}
    )
    file.write_text(_applied(file.read_text(), diff))
    prod = {v.name: v.weight for v in load_for_environment(file, "prod").blueprint.endpoints[0].variants}
    assert prod == {first["name"]: 25, second["name"]: 75}
    dev = {v.name: v.weight for v in load_for_environment(file, "dev").blueprint.endpoints[0].variants}
    # The second variant's prod weight lives in prod's override: dev keeps its own.
    assert dev[second["name"]] == next(v.weight for v in before if v.name == second["name"])


def test_a_dead_owner_on_this_host_is_abandoned_at_once() -> None:
    import subprocess
    import sys

    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    dead = int(child.stdout)
    record = Progress(command="shift", target="b", steps=(50.0,), start_weights={"a": 1.0}, owner_pid=dead)
    assert abandoned(record)
    alive = Progress(command="shift", target="b", steps=(50.0,), start_weights={"a": 1.0})
    assert not abandoned(alive)
    assert abandoned(alive, now=alive.heartbeat + 301)
    assert not abandoned(
        Progress(command="shift", target="b", steps=(), start_weights={}, state="finished", owner_pid=dead)
    )
    assert Progress.from_json(alive.to_json()) == alive
    assert Progress.from_json("{not json") is None


def test_a_component_endpoint_is_refused_with_the_reason() -> None:
    file = EXAMPLES / "inference-components.yaml"
    environment = environment_of(file, *plan_file(file, "dev"))
    with pytest.raises(BlueprintInvalid) as raised:
        environment.endpoint("small-models")
    assert "hosts inference components" in str(raised.value.problems[0])
    with pytest.raises(BlueprintInvalid) as missing:
        environment.endpoint("nope")
    assert "no endpoint named 'nope'" in str(missing.value.problems[0])
