"""`mlstack instances`: it lists what the validation rule accepts, cheapest first, priced as `mlstack cost` prices.

The command runs on a local typer app, as `stack.cli.app` registers it; the agreement test puts every
listed type, and the cheapest one left out, into a blueprint and runs the real validation rules on it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner, Result

from mlstack.blueprints import rules
from mlstack.blueprints.schema import Blueprint
from mlstack.components import instances, sizing
from mlstack.stack.cli.instances import dtypes
from mlstack.stack.cli.instances import instances as instances_command

app = typer.Typer()
app.command()(instances_command)

EXAMPLE = ["--params", "13", "--dtype", "bf16", "--gpus", "4", "--region", "eu-central-1"]
REGION = "eu-central-1"
SHAPE = sizing.ModelShape.declared(13, "bf16", 4, needs_gpu=True)
JSON_KEYS = {
    "instance_type",
    "gpu_type",
    "gpus",
    "gpu_memory_gib",
    "usable_gpu_memory_gib",
    "compute_capability",
    "dtypes",
    "accelerator_type",
    "vcpu",
    "memory_gib",
    "usd_per_hour",
    "provenance",
    "price_region",
    "source",
    "note",
}


def run(*args: str) -> Result:
    # Wide enough that no table cell wraps, so each row is one line.
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def table_rows(text: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.split("│")[1:-1]] for line in text.splitlines() if line.startswith("│ ml.")]


def listing(*args: str) -> dict[str, Any]:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_the_example_lists_only_bf16_capable_four_gpu_types_with_room_cheapest_first() -> None:
    result = run(*EXAMPLE)
    assert result.exit_code == 0, result.output
    rows = table_rows(result.stdout)
    names = [row[0] for row in rows]
    assert names[:2] == ["ml.g6.12xlarge", "ml.g5.12xlarge"]
    weights = sizing.weights_gib(13, "bf16")
    prices = []
    for name, _gpu, gpus, _memory, compute, usd, provenance in rows:
        instance = instances.lookup(name)
        assert gpus == "4" == str(instance.gpus)
        assert instance.gpu_type is not None and sizing.COMPUTE_CAPABILITY[instance.gpu_type] >= (8, 0)
        assert "bf16" in compute
        assert sizing.usable_gpu_gib(instance) >= weights
        price = instances.hourly_price(name, REGION)
        assert price is not None
        assert usd == f"${price.usd_per_hour:.4f}"
        # No eu-central-1 price in the catalogue: the us-east-1 figure stands in and the row says so.
        assert provenance == f"{price.provenance} (us-east-1)"
        prices.append(price.usd_per_hour)
    assert prices == sorted(prices)
    expected = {t.name for t in instances.endpoint_instance_types() if t.gpus == 4 and not SHAPE.problems(t)}
    assert set(names) == expected and len(names) == len(expected) == 8
    assert "Needs: GPUs with 30.3 GiB for 24.2 GiB of weights, bf16 support" in result.stdout
    assert "8 types match" in result.stdout
    assert "no price shown is for eu-central-1 (none is listed there); us-east-1 figures stand in" in result.stdout


def test_json_has_stable_keys_the_same_order_and_the_cheapest_fit_of_sizing_first() -> None:
    document = listing(*EXAMPLE)
    assert set(document) == {"query", "requirements", "matched", "shown", "instances", "reason"}
    assert document["query"] == {
        "parameters_billions": 13.0,
        "dtype": "bf16",
        "gpus": 4,
        "region": REGION,
        "max_usd_per_hour": None,
    }
    assert document["matched"] == document["shown"] == 8 and document["reason"] is None
    rows = document["instances"]
    assert all(set(row) == JSON_KEYS for row in rows)
    assert [row["instance_type"] for row in rows] == [r[0] for r in table_rows(run(*EXAMPLE).stdout)]
    assert [row["usd_per_hour"] for row in rows] == sorted(row["usd_per_hour"] for row in rows)
    first = rows[0]
    fit = sizing.cheapest_fit(SHAPE, REGION)
    assert fit is not None and first["instance_type"] == fit.instance.name
    assert first["usd_per_hour"] == round(fit.price.usd_per_hour, 4)
    assert (first["provenance"], first["price_region"]) == ("listed", "us-east-1")
    assert first["note"] == "us-east-1 price stands in for eu-central-1"
    assert first["compute_capability"] == "8.9" and "bf16" in first["dtypes"]
    assert {row["provenance"] for row in rows} == {"listed", "estimated"}


def test_every_listed_type_passes_the_validation_rule_and_the_cheaper_excluded_type_fails_it() -> None:
    listed = [row["instance_type"] for row in listing(*EXAMPLE)["instances"]]
    cheapest = instances.hourly_price(listed[0], REGION)
    assert cheapest is not None
    cheaper_excluded = sorted(
        (price.usd_per_hour, t.name)
        for t in instances.endpoint_instance_types()
        if t.gpus == 4 and t.name not in listed and (price := instances.hourly_price(t.name, REGION))
        if price.usd_per_hour < cheapest.usd_per_hour
    )
    assert cheaper_excluded, "the example should leave out a cheaper 4-GPU type"
    excluded = cheaper_excluded[0][1]
    assert excluded == "ml.g4dn.12xlarge"  # T4 GPUs, compute capability 7.5: no bf16
    types = [*listed, excluded]
    blueprint = Blueprint.model_validate(
        {
            "blueprint": "finder",
            "team": "ml-platform",
            "owner": "ml-platform@example.com",
            "cost_center": "CC-4312",
            "region": REGION,
            "environments": {"dev": {}},
            "endpoints": [
                {
                    "name": "llm",
                    "models": {
                        "m": {
                            "container": "djl-lmi",
                            "model_data": "s3://finder-models/llm/",
                            "parameters_billions": 13,
                            "dtype": "bf16",
                            "tensor_parallel_degree": 4,
                        }
                    },
                    "variants": [
                        {"name": f"v{i}", "model": "m", "instance_type": name, "weight": 1}
                        for i, name in enumerate(types)
                    ],
                }
            ],
        }
    )
    findings: dict[str, list[str]] = {name: [] for name in types}
    for path, message in rules.check(blueprint):
        assert path[:3] == ("endpoints", 0, "variants") and path[4] == "instance_type", (path, message)
        findings[types[int(path[3])]].append(message)
    assert {name: messages for name, messages in findings.items() if messages} == {excluded: findings[excluded]}
    [message] = findings[excluded]
    assert "bf16 needs GPUs of compute capability 8.0 or newer" in message
    assert f"the cheapest type that fits is {listed[0]} " in message


def test_without_params_the_catalogue_is_listed_narrowed_by_the_other_flags() -> None:
    everything = listing("--limit", "0")
    assert everything["matched"] == everything["shown"] == len(instances.endpoint_instance_types())
    eight = listing("--gpus", "8", "--limit", "0")["instances"]
    assert {row["instance_type"] for row in eight} == {
        t.name for t in instances.endpoint_instance_types() if t.gpus == 8
    }
    assert any("bf16" not in row["dtypes"] for row in eight)  # no dtype asked, none filtered out
    fp8 = listing("--dtype", "fp8", "--limit", "0")["instances"]
    assert fp8 and all("fp8" in row["dtypes"] and row["gpus"] > 0 for row in fp8)
    assert "ml.g5.xlarge" not in {row["instance_type"] for row in fp8}  # A10G is 8.6


def test_limit_counts_the_rest_and_max_price_caps_the_price() -> None:
    result = run("--params", "7", "--dtype", "fp16", "--limit", "3")
    assert result.exit_code == 0, result.output
    matched = listing("--params", "7", "--dtype", "fp16", "--limit", "0")["matched"]
    assert len(table_rows(result.stdout)) == 3
    assert f"{matched} types match; {matched - 3} more not shown (--limit 0 shows all)" in result.stdout
    capped = listing("--params", "7", "--dtype", "fp16", "--max-price", "2", "--limit", "0")
    assert capped["matched"] and all(row["usd_per_hour"] <= 2 for row in capped["instances"])
    assert capped["matched"] < matched


def test_a_price_file_reorders_the_list_and_is_named(tmp_path: Path) -> None:
    prices = tmp_path / "prices.csv"
    prices.write_text("kind,name,region,usd,unit,source\ninstance,ml.g5.24xlarge,*,1.5,hour,EDP\n", encoding="utf-8")
    first = listing(*EXAMPLE, "--prices", str(prices))["instances"][0]
    assert (first["instance_type"], first["usd_per_hour"], first["provenance"]) == ("ml.g5.24xlarge", 1.5, "listed")
    # A price for every region ("*") is no stand-in.
    assert first["price_region"] == "*" and first["source"] == f"your price file {prices}:2 (EDP)"


def test_a_bad_price_file_is_exit_2_with_its_line(tmp_path: Path) -> None:
    prices = tmp_path / "prices.csv"
    prices.write_text("kind,name,region,usd,unit,source\ninstance,ml.g5.24xlarge,*,-1,hour,\n", encoding="utf-8")
    result = run(*EXAMPLE, "--prices", str(prices))
    assert result.exit_code == 2, result.output
    assert f"{prices}:2:" in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--dtype", "bf17"], "mlstack: --dtype: unknown dtype 'bf17'; one of fp32, fp16, bf16, fp8, int8, int4"),
        (["--params", "x", "--dtype", "bf16"], "mlstack: --params: 'x' is not a model size"),
        (["--params", "nan", "--dtype", "bf16"], "mlstack: --params: 'nan' is not a model size"),
        (["--params", "0", "--dtype", "bf16"], "mlstack: --params: 0: input should be greater than 0"),
        (["--params", "20000", "--dtype", "bf16"], "mlstack: --params: 20000: input should be less than or equal"),
        (["--params", "13"], "mlstack: --params: give --dtype too"),
        (["--gpus", "0"], "mlstack: --gpus: 0: input should be greater than or equal to 1"),
        (["--gpus", "2.5"], "mlstack: --gpus: '2.5' is not a whole number of GPUs"),
        (["--region", "eu-centrl-1"], "mlstack: --region: unknown region 'eu-centrl-1'; did you mean eu-central-1?"),
        (["--region", "Frankfurt"], "mlstack: --region: 'Frankfurt' is not a region name like eu-central-1"),
        (["--max-price", "-1"], "mlstack: --max-price: '-1': a price ceiling must be more than 0"),
        (["--max-price", "inf"], "mlstack: --max-price: 'inf' is not a price"),
        (["--limit", "ten"], "mlstack: --limit: 'ten' is not a whole number of rows"),
        (["--limit", "-1"], "mlstack: --limit: '-1': give 0 for all rows, or more"),
    ],
)
def test_a_bad_flag_is_one_line_and_exit_2(args: list[str], line: str) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    [only] = result.stderr.splitlines()
    assert only.startswith(line), only


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (
            ["--params", "2000", "--dtype", "fp16", "--gpus", "8"],
            "none of the 14 types considered serves it (14 with too little GPU memory); it needs GPUs with 4656.6 GiB "
            "for 3725.3 GiB of weights; exactly 8 GPUs (tensor_parallel_degree 8). The closest, ml.p6-b300.48xlarge: "
            "the weights take 3725.3 GiB, but ml.p6-b300.48xlarge has 2100 GiB of GPU memory",
        ),
        (
            ["--params", "13", "--dtype", "bf16", "--gpus", "3"],
            "no SageMaker endpoint instance type has exactly 3 GPUs",
        ),
        (
            ["--params", "13", "--dtype", "bf16", "--gpus", "4", "--max-price", "5"],
            "8 types serve it, none at or below $5/h: the cheapest is ml.g6.12xlarge at $5.7520/h (listed)",
        ),
    ],
)
def test_nothing_fits_says_why_and_exits_1(args: list[str], why: str) -> None:
    result = run(*args)
    assert result.exit_code == 1, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith(f"mlstack: nothing fits: {why}"), line
    as_json = run(*args, "--json")
    assert as_json.exit_code == 1
    document = json.loads(as_json.stdout)
    assert document["instances"] == [] and document["matched"] == 0 and document["reason"].startswith(why)


def test_the_dtype_flag_takes_the_blueprint_dtypes_which_sizing_knows() -> None:
    assert dtypes() == tuple(sizing.BYTES_PER_PARAMETER)
