"""`mlstack instances`: the instance finder, a typer command function registered by `stack.cli.app`.

Exit codes: 0 types listed, 1 nothing fits (the message says why), 2 a bad flag or price file, 3 a bug.
"""

from __future__ import annotations

import json
import math
import sys
from typing import TYPE_CHECKING, Annotated, Any, get_args

import typer

from mlstack.stack.cli import common as cli

if TYPE_CHECKING:
    from rich.table import Table

    from mlstack.stack.cost.finder import Match, Query, Search

EXIT_NOTHING_FITS = 1
DEFAULT_LIMIT = 10


def _flag_problem(flag: str, message: str) -> cli.BadFlag:
    return cli.BadFlag(flag, message)


def _number(flag: str, text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _flag_problem(flag, f"{text!r} is not {what}") from None
    # float() reads "nan" and "inf": NaN passes every bound (it compares false) and neither is a size or a price.
    if not math.isfinite(value):
        raise _flag_problem(flag, f"{text!r} is not {what}")
    return value


def _whole(flag: str, text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise _flag_problem(flag, f"{text!r} is not {what}") from None


def _blueprint_bound(flag: str, field: str, value: float) -> None:
    """Hold `value` to the bounds the blueprint's Model field has, so the finder takes what a blueprint takes."""
    import pydantic

    from mlstack.blueprints.schema import Model

    annotation = Model.model_fields[field].annotation
    assert annotation is not None
    try:
        pydantic.TypeAdapter(annotation).validate_python(value)
    except pydantic.ValidationError as error:
        message = error.errors()[0]["msg"]
        raise _flag_problem(flag, f"{value:g}: {message[0].lower()}{message[1:]} (as {field} in a blueprint)") from None


def dtypes() -> tuple[str, ...]:
    """The blueprint's dtype values (blueprints/schema.py Model.dtype)."""
    from mlstack.blueprints.schema import Model

    [literal, _none] = get_args(Model.model_fields["dtype"].annotation)
    return tuple(str(value) for value in get_args(literal))


def _dtype(text: str) -> str:
    known = dtypes()
    if text not in known:
        raise _flag_problem("--dtype", f"unknown dtype {text!r}; one of {', '.join(known)}")
    return text


def _region(text: str) -> str:
    import difflib
    import re

    from mlstack.blueprints.schema import Blueprint
    from mlstack.components import images

    [constraint] = Blueprint.model_fields["region"].metadata
    if not re.fullmatch(constraint.pattern, text):
        raise _flag_problem("--region", f"{text!r} is not a region name like eu-central-1")
    # The regions sagemaker-core publishes images in: a well-formed typo would otherwise be priced silently.
    known = images.catalog()["dns_suffix"]
    if text not in known:
        close = difflib.get_close_matches(text, known, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise _flag_problem("--region", f"unknown region {text!r}{hint} ({len(known)} regions are known)")
    return text


def query_of(params: str | None, dtype: str | None, gpus: str | None, region: str, max_price: str | None) -> Query:
    """The finder's query from the flags' text; raises BadFlag naming the first bad flag."""
    from mlstack.stack.cost.finder import Query

    parameters = None
    if params is not None:
        parameters = _number("--params", params, "a model size in billions of parameters, like 13 or 0.5")
        _blueprint_bound("--params", "parameters_billions", parameters)
    chosen_dtype = None if dtype is None else _dtype(dtype)
    if parameters is not None and chosen_dtype is None:
        raise _flag_problem("--params", f"give --dtype too: the weights' size depends on it ({', '.join(dtypes())})")
    count = None
    if gpus is not None:
        count = _whole("--gpus", gpus, "a whole number of GPUs, like 4")
        _blueprint_bound("--gpus", "tensor_parallel_degree", count)
    ceiling = None
    if max_price is not None:
        ceiling = _number("--max-price", max_price, "a price in US dollars per hour, like 12.5")
        if ceiling <= 0:
            raise _flag_problem("--max-price", f"{max_price!r}: a price ceiling must be more than 0")
    return Query(parameters, chosen_dtype, count, _region(region), ceiling)


def _limit(text: str) -> int | None:
    limit = _whole("--limit", text, "a whole number of rows, like 10 (0 for all)")
    if limit < 0:
        raise _flag_problem("--limit", f"{text!r}: give 0 for all rows, or more")
    return limit or None


def instances(
    params: Annotated[
        str | None,
        typer.Option("--params", metavar="BILLIONS", help="Model size in billions of parameters (needs --dtype)."),
    ] = None,
    dtype: Annotated[
        str | None,
        typer.Option("--dtype", metavar="DTYPE", help="Precision served: fp32, fp16, bf16, fp8, int8 or int4."),
    ] = None,
    gpus: Annotated[
        str | None,
        typer.Option(
            "--gpus", metavar="N", help="Exactly N GPUs, the model sharded over all of them (tensor_parallel_degree)."
        ),
    ] = None,
    region: Annotated[
        str,
        typer.Option("--region", metavar="REGION", help="Region to price in; us-east-1 prices stand in where none."),
    ] = "us-east-1",
    max_price: Annotated[
        str | None, typer.Option("--max-price", metavar="USD", help="Only types at most this many US dollars an hour.")
    ] = None,
    limit: Annotated[
        str, typer.Option("--limit", metavar="N", help="Show the N cheapest (0 for all); the rest are counted.")
    ] = str(DEFAULT_LIMIT),
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON (deterministic).")] = False,
    prices: cli.PricesOption = None,
) -> None:
    """Find the SageMaker endpoint instance types that serve a model, cheapest first, with price provenance.

    Without --params it lists the catalogue, narrowed by --dtype, --gpus and --max-price.
    """
    from mlstack.stack.cost.finder import find
    from mlstack.stack.cost.prices import load_price_book

    def run() -> tuple[Search, int | None]:
        query = query_of(params, dtype, gpus, region, max_price)
        return find(query, load_price_book(prices)), _limit(limit)

    search, rows = cli.guarded(run)
    shown = search.matches[:rows] if rows else search.matches
    if as_json:
        document = to_json(search, shown)
        sys.stdout.write(cli.guarded(lambda: json.dumps(document, indent=2, sort_keys=True, allow_nan=False)) + "\n")
    if not search.matches:
        cli.err.print(f"mlstack: nothing fits: {search.why_nothing()}", markup=False)
        raise typer.Exit(EXIT_NOTHING_FITS)
    if as_json:
        return
    requirements = search.query.requirements()
    if requirements:
        cli.out.print(f"Needs: {', '.join(requirements)}", markup=False)
    cli.print_wrapped(cli.out, table(search, shown))
    for line in footer(search, shown):
        cli.out.print(line, markup=False)


def to_json(search: Search, shown: tuple[Match, ...]) -> dict[str, Any]:
    """The listing as JSON: the query, counts and the shown types, cheapest first."""
    return {
        "query": search.query.to_json(),
        "requirements": search.query.requirements(),
        "matched": len(search.matches),
        "shown": len(shown),
        "instances": [match.to_json() for match in shown],
        "reason": None if search.matches else search.why_nothing(),
    }


def _gpu(match: Match) -> str:
    instance = match.instance
    if instance.gpu_type:
        return instance.gpu_type.removeprefix("NVIDIA ")
    if instance.accelerator_type:
        return f"{instance.accelerator_type} (Neuron)"
    return "-"


def _compute(match: Match) -> str:
    from mlstack.components.sizing import MIN_COMPUTE_CAPABILITY
    from mlstack.stack.cost.finder import compute_capability, supported_dtypes

    if not match.instance.has_gpu:
        return "-"
    gated = [dtype for dtype in supported_dtypes(match.instance) if dtype in MIN_COMPUTE_CAPABILITY]
    return (
        f"{compute_capability(match.instance) or '?'} ({', '.join(gated) or 'no ' + ', '.join(MIN_COMPUTE_CAPABILITY)})"
    )


def _provenance(search: Search, match: Match) -> str:
    rate = match.rate
    if rate is None:
        return "none"
    return f"{rate.provenance} ({rate.region})" if search.stands_in(match) else rate.provenance


def table(search: Search, shown: tuple[Match, ...]) -> Table:
    from rich.table import Table

    region = search.query.region
    which = "that fit" if search.query.requirements() else "in the catalogue"
    listing = Table(title=f"SageMaker endpoint instance types {which}, cheapest first ({region})")
    listing.add_column("Instance type")
    listing.add_column("GPU")
    listing.add_column("GPUs", justify="right")
    listing.add_column("GPU memory", justify="right")
    listing.add_column("Compute (dtypes)")
    listing.add_column("USD/hour", justify="right")
    listing.add_column("Price")
    for match in shown:
        instance = match.instance
        listing.add_row(
            instance.name,
            _gpu(match),
            str(instance.gpus) if instance.gpus else "-",
            f"{instance.gpu_memory_gib:g} GiB" if instance.gpus else "-",
            _compute(match),
            "-" if match.rate is None else f"${match.rate.usd:.4f}",
            _provenance(search, match),
        )
    return listing


def footer(search: Search, shown: tuple[Match, ...]) -> list[str]:
    matched, region = len(search.matches), search.query.region
    lines = [f"{matched} type{'s' if matched != 1 else ''} match"]
    if len(shown) < matched:
        lines[0] += f"; {matched - len(shown)} more not shown (--limit 0 shows all)"
    if search.over_budget:
        lines[0] += f"; {len(search.over_budget)} more serve it above --max-price or without a price"
    priced = [match.rate for match in shown if match.rate is not None]
    stand_ins = [match.rate for match in shown if match.rate is not None and search.stands_in(match)]
    if stand_ins:
        others = " and ".join(sorted({rate.region for rate in stand_ins}))
        if len(stand_ins) == len(priced):
            which = f"no price shown is for {region} (none is listed there); {others} figures stand in"
        else:
            which = (
                f"{len(priced) - len(stand_ins)} of the {len(priced)} prices shown are for {region}; "
                f"{others} figures stand in for the rest"
            )
        lines.append(f"Prices for {region}: {which}, as in `mlstack cost` (prices differ between regions).")
    if any(match.rate is None for match in shown):
        lines.append("Price none: no hosting price and no EC2 reference price for that type.")
    if any(match.provenance == "estimated" for match in shown):
        lines.append(
            "Price estimated: the EC2 on-demand price times the median SageMaker/EC2 price ratio (no listed price)."
        )
    return lines
