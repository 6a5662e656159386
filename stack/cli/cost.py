"""`mlstack cost` and `mlstack diff`: typer command functions, registered by `stack.cli.app`.

Exit codes as for every mlstack command: 0 success, 2 invalid input (a blueprint, a price file, a
revision or an option), 3 an internal error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mlstack.stack.cli import common as cli
from mlstack.stack.cli.fleet import AllEnvsOption, EnvsOption, FilesArgument, JobsOption

if TYPE_CHECKING:
    from rich.table import Table

    from mlstack.stack.cost.estimate import CostReport, LineItem, Subtotal

DIFF_FORMATS = ("text", "markdown", "json")


def cost(
    context: typer.Context,
    files: FilesArgument,
    env: EnvsOption = None,
    all_envs: AllEnvsOption = False,
    jobs: JobsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the estimate as JSON (deterministic).")] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write the JSON estimate to this file (many stacks: a directory, one file each)."
        ),
    ] = None,
    prices: cli.PricesOption = None,
) -> None:
    """Estimate an environment's monthly cost: per component and resource, baseline and ceiling, with provenance.

    Many files or environments (--env repeated, --all-envs) are priced in one run.
    """
    from mlstack.stack.cli.fleet import is_fleet, stacks_of
    from mlstack.stack.cli.fleet import run as run_fleet

    if is_fleet(files, env or [], all_envs):
        stacks = cli.guarded(lambda: stacks_of(files, env or [], all_envs))
        run_fleet(context, "cost", stacks, output_directory=output, extension="json", jobs=jobs)
    if not env:
        cli.guarded(_no_environment)
    _cost_one(files[0], env[0] if env else "", as_json, output, prices)


def _no_environment() -> None:
    raise cli.BadFlag("--env", "name the environment")


def _cost_one(file: Path, env: str, as_json: bool, output: Path | None, prices: Path | None) -> None:
    from mlstack.stack.cost.estimate import cost_report
    from mlstack.stack.cost.prices import load_price_book
    from mlstack.stack.plan import plan_file

    def run() -> CostReport:
        book = load_price_book(prices)
        resolved, planned = plan_file(file, env)
        for warning in resolved.warnings:
            cli.err.print(str(warning), markup=False)
        return cost_report(planned, resolved, book)

    report = cli.guarded(run)
    if as_json or output is not None:
        text = cli.guarded(lambda: json.dumps(report.to_json(), indent=2, sort_keys=True, allow_nan=False)) + "\n"
        if output is not None:
            cli.write_atomically(output, text)
            cli.err.print(f"wrote {output}", markup=False)
        else:
            sys.stdout.write(text)
        return
    cli.print_wrapped(cli.out, cost_table(report))
    for line in cost_footer(report):
        cli.out.print(line, markup=False)


def diff(
    file: cli.BlueprintFile,
    env: Annotated[
        list[str],
        typer.Option("--env", "-e", help="Two environments to compare (base first), or one with --base."),
    ],
    base: Annotated[
        str | None,
        typer.Option("--base", help="Compare the blueprint at this git revision with the working tree."),
    ] = None,
    format: Annotated[
        str, typer.Option("--format", "-f", help="text, markdown (for a pull-request comment) or json.")
    ] = "text",
    prices: cli.PricesOption = None,
) -> None:
    """Show what changes between two environments, or since a git revision: resources and monthly cost."""
    from mlstack.stack.cost.diff import (
        PlanDiff,
        diff_environments,
        diff_revision,
        render_markdown,
        render_text,
        to_json,
    )
    from mlstack.stack.cost.prices import load_price_book

    problems = []
    if format not in DIFF_FORMATS:
        problems.append(f"--format must be text, markdown or json (got {format!r})")
    if base is None and len(env) != 2:
        problems.append("give two environments to compare (--env dev --env prod), or one with --base REV")
    if base is not None and len(env) != 1:
        problems.append("with --base, give exactly one environment (--env prod)")
    if problems:
        for problem in problems:
            cli.err.print(f"mlstack diff: {problem}", markup=False)
        raise typer.Exit(cli.EXIT_INVALID)

    def run() -> PlanDiff:
        book = load_price_book(prices)
        if base is not None:
            return diff_revision(file, env[0], base, book)
        return diff_environments(file, env[0], env[1], book)

    result = cli.guarded(run)
    if format == "json":
        sys.stdout.write(
            cli.guarded(lambda: json.dumps(to_json(result), indent=2, sort_keys=True, allow_nan=False)) + "\n"
        )
    elif format == "markdown":
        sys.stdout.write(render_markdown(result))
    else:
        cli.out.print(render_text(result), markup=False)


def cost_table(report: CostReport) -> Table:
    """One row per costed resource, grouped by top-level component with a subtotal each."""
    from rich.table import Table

    from mlstack.stack.cost.estimate import usd

    table = Table(
        title=f"{report.blueprint} / {report.environment} ({report.region}): monthly cost, USD",
        title_justify="left",
        show_lines=False,
    )
    table.add_column("component / resource")
    table.add_column("item")
    table.add_column("baseline", justify="right")
    table.add_column("ceiling", justify="right")
    table.add_column("provenance")
    table.add_column("how / why")
    subtotals = {(sub.component, sub.component_type): sub for sub in report.subtotals()}
    sources = source_numbers(report)
    current: tuple[str, str] | None = None
    for item in sorted(report.items, key=lambda i: (i.component == "", i.component, i.name)):
        key = (item.component, item.component_type)
        if key != current:
            if current is not None:
                _subtotal_row(table, subtotals[current])
            current = key
            table.add_section()
            table.add_row(f"[bold]{item.component or '(stack)'}[/bold]", item.component_type, "", "", "", "")
        for index, part in enumerate(item.parts):
            table.add_row(
                f"  {item.name}" if index == 0 else "",
                part.what,
                usd(part.baseline_usd) if part.baseline_usd is not None else "-",
                usd(part.ceiling_usd) if part.ceiling_usd is not None else "-",
                part.provenance,
                _escape(
                    "; ".join(text for text in (part.arithmetic, part.note) if text)
                    + (f" [{sources[part.source]}]" if part.source else "")
                ),
            )
    if current is not None:
        _subtotal_row(table, subtotals[current])
    table.add_section()
    table.add_row(
        "[bold]total[/bold]",
        "",
        f"[bold]{usd(report.baseline_usd)}[/bold]",
        f"[bold]{usd(report.ceiling_usd)}[/bold]",
        "",
        "",
    )
    return table


def source_numbers(report: CostReport) -> dict[str, int]:
    """Each distinct source, numbered in order of first use; the table cites them as [n]."""
    numbers: dict[str, int] = {}
    for item in sorted(report.items, key=lambda i: (i.component == "", i.component, i.name)):
        for part in item.parts:
            if part.source and part.source not in numbers:
                numbers[part.source] = len(numbers) + 1
    for suggestion in report.rightsizing:
        for rate in (suggestion.current_rate, suggestion.suggested_rate):
            numbers.setdefault(rate.source, len(numbers) + 1)
    return numbers


def _subtotal_row(table: Table, subtotal: Subtotal) -> None:
    from mlstack.stack.cost.estimate import usd

    left = f"{subtotal.unpriced} without a figure" if subtotal.unpriced else ""
    table.add_row("", "[italic]subtotal[/italic]", usd(subtotal.baseline_usd), usd(subtotal.ceiling_usd), "", left)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def cost_footer(report: CostReport) -> list[str]:
    """Totals, what they leave out, rightsizing and the assumptions, as plain lines."""
    from mlstack.stack.cost.estimate import usd

    lines = [
        f"Total per month: {usd(report.baseline_usd)} at baseline (autoscaling minimum), "
        f"{usd(report.ceiling_usd)} at ceiling (autoscaling maximum)."
    ]
    usage = report.without_figure("usage-priced")
    unpriced = report.without_figure("unpriced")
    if usage:
        lines.append(f"Usage-priced, not in the totals ({len(usage)}): " + ", ".join(item.name for item in usage))
    if unpriced:
        lines.append(f"Unpriced, not in the totals ({len(unpriced)}): " + _group_by_type(unpriced))
    if report.price_file:
        lines.append(f"Your prices from {report.price_file} override ours where given.")
    sources = source_numbers(report)
    if report.rightsizing:
        lines.append("Rightsizing (cheaper instance types that still meet each variant's needs):")
        lines += [
            f"  - {suggestion.text()} [{sources[suggestion.suggested_rate.source]}]"
            for suggestion in report.rightsizing
        ]
    lines.append("Sources:")
    lines += [f"  [{number}] {source}" for source, number in sources.items()]
    lines.append("Assumptions: " + "; ".join(report.assumptions) + ".")
    return lines


def _group_by_type(items: list[LineItem]) -> str:
    from mlstack.stack.cost.prices import short_type

    counts: dict[str, int] = {}
    for item in items:
        kind = short_type(item.type)
        counts[kind] = counts.get(kind, 0) + 1
    return ", ".join(f"{count} {kind}" for kind, count in counts.items())
