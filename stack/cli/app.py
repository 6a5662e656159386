"""`mlstack`: validate blueprints, plan them offline, publish the schema.

Exit codes: 0 success, 2 invalid input (every problem printed with its file and line),
3 an internal error (a bug: please report it with the blueprint).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from mlstack.blueprints.errors import Problem
from mlstack.stack.cli.common import (
    EXIT_INVALID,
    BadFlag,
    BlueprintFile,
    PricesOption,
    err,
    guarded,
    out,
    plain_text,
    print_wrapped,
    write_atomically,
)
from mlstack.stack.cli.cost import cost, diff
from mlstack.stack.cli.docs import docs
from mlstack.stack.cli.fleet import AllEnvsOption, EnvsOption, FilesArgument, JobsOption, is_fleet, stacks_of
from mlstack.stack.cli.fleet import run as run_fleet
from mlstack.stack.cli.init import init
from mlstack.stack.cli.instances import instances
from mlstack.stack.cli.ops import promote, rollback, shift, status

if TYPE_CHECKING:
    from mlstack.policies.offline import Report
    from mlstack.stack.plan.engine import Plan

# The blueprint `check --preview-json` reads when none is given; the CrossGuard pack reads it too.
BLUEPRINT_VARIABLE = "MLSTACK_BLUEPRINT"
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "blueprints" / "schema.json"

app = typer.Typer(
    name="mlstack",
    help="Declarative ML platforms on AWS: validate, plan and cost a blueprint offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(requested: bool) -> None:
    if requested:
        from mlstack.policies.report import tool_version

        out.print(f"mlstack {tool_version()}", markup=False)
        raise typer.Exit()


@app.callback()
def options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Declarative ML platforms on AWS: validate, plan and cost a blueprint offline."""


@app.command()
def validate(
    file: BlueprintFile,
    env: Annotated[list[str] | None, typer.Option("--env", "-e", help="Only this environment (repeatable).")] = None,
) -> None:
    """Check a blueprint and its environments; print every problem with its line."""
    from mlstack.blueprints.load import load_for_environment, validate_file

    def run() -> tuple[list[str], list[Problem]]:
        if env:
            resolved = [load_for_environment(file, name) for name in env]
            return [r.environment_name for r in resolved], sorted({w for r in resolved for w in r.warnings})
        blueprint, warnings = validate_file(file)
        return list(blueprint.environments), warnings

    checked, warnings = guarded(run)
    _print_warnings(warnings)
    out.print(f"{file}: valid for {', '.join(checked)}", markup=False)


def _print_warnings(warnings: Iterable[Problem]) -> None:
    for warning in warnings:
        err.print(str(warning), markup=False)


BaseOption = Annotated[
    str | None,
    typer.Option(
        "--base",
        help="Show what `pulumi up` would do to the stack deployed from the blueprint at this git revision.",
    ),
]
BasePlanOption = Annotated[
    Path | None,
    typer.Option(
        "--base-plan",
        help="Show what `pulumi up` would do to the stack an earlier `mlstack plan --json` or `pulumi stack export` "
        "shows.",
        readable=False,
    ),
]


@app.command()
def plan(
    context: typer.Context,
    files: FilesArgument,
    env: EnvsOption = None,
    all_envs: AllEnvsOption = False,
    jobs: JobsOption = None,
    prices: PricesOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print `pulumi preview --json`'s shape.")] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write the JSON plan to this file instead (many stacks: a directory, one file each)."
        ),
    ] = None,
    base: BaseOption = None,
    base_plan: BasePlanOption = None,
    manifests: Annotated[
        Path | None,
        typer.Option(
            "--manifests",
            help="Also write each Kubernetes object as YAML under this directory (replaced as a whole).",
        ),
    ] = None,
) -> None:
    """Plan a blueprint offline: every resource the Pulumi program would create, or with --base what an update does.

    Many files or environments (--env repeated, --all-envs) plan in one run, in parallel workers.
    """
    if is_fleet(files, env or [], all_envs):
        if as_json and output is None:
            guarded(lambda: _raise(BadFlag("--json", "many stacks print one JSON document each: give -o DIR")))
        stacks = guarded(lambda: stacks_of(files, env or [], all_envs))
        run_fleet(context, "plan", stacks, output_directory=output, extension="json", jobs=jobs)
    file, single_env = guarded(lambda: _single(files, env))
    _plan_one(file, single_env, prices, as_json, output, base, base_plan, manifests)


def _raise(error: Exception) -> NoReturn:
    raise error


def _single(files: list[Path], env: list[str] | None, default: str | None = None) -> tuple[Path, str]:
    if not env and default is None:
        raise BadFlag("--env", "name the environment")
    return files[0], env[0] if env else str(default)


def _plan_one(
    file: Path,
    env: str,
    prices: Path | None,
    as_json: bool,
    output: Path | None,
    base: str | None,
    base_plan: Path | None,
    manifests: Path | None,
) -> None:
    from mlstack.stack.plan import plan_file, update_against
    from mlstack.stack.plan.preview_json import preview_json

    resolved, planned = guarded(lambda: plan_file(file, env))
    update = guarded(lambda: update_against(file, env, planned, revision=base, base_file=base_plan))
    # A broken price file is bad input in every mode, though only the tree shows costs; the JSON
    # of a plan without one loads neither prices nor the cost model.
    if prices is not None or not (as_json or output):
        from mlstack.stack.cost.prices import load_price_book

        book = guarded(lambda: load_price_book(prices))
    _print_warnings(resolved.warnings)
    if manifests is not None:
        _write_manifests(planned, manifests)
    if as_json or output:
        text = guarded(lambda: preview_json(planned, update))
        if output:
            write_atomically(output, text)
            err.print(f"wrote {output}", markup=False)
        else:
            sys.stdout.write(text)
        return
    from mlstack.stack.cost.estimate import cost_report
    from mlstack.stack.plan.render import plan_tree

    report = guarded(lambda: cost_report(planned, resolved, book))
    print_wrapped(
        out, plan_tree(planned, f"{resolved.blueprint.blueprint} / {resolved.environment_name}", report, update)
    )


def _write_manifests(planned: Plan, directory: Path) -> None:
    """`plan --manifests`: all files or none; a refusal or an unwritable directory exits 2, never a traceback."""
    from mlstack.stack.plan.manifests import ManifestError, write_manifests

    try:
        written = write_manifests(planned, directory)
    except ManifestError as refused:
        for problem in refused.problems:
            err.print(f"mlstack: cannot write manifests: {problem}", markup=False)
        raise typer.Exit(EXIT_INVALID) from None
    except OSError as error:
        reason = error.strerror or str(error)
        err.print(f"mlstack: cannot write manifests to {directory}: {reason}", markup=False)
        raise typer.Exit(EXIT_INVALID) from None
    count = len(written)
    none = " (the plan has no Kubernetes objects)" if not count else ""
    err.print(f"wrote {count} Kubernetes manifest{'s' if count != 1 else ''} to {directory}{none}", markup=False)


@app.command()
def check(
    context: typer.Context,
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Blueprint YAML file(s) (each one's `policies:` section configures the rules).",
            readable=False,
            exists=False,
            show_default=False,
        ),
    ] = None,
    env: Annotated[
        list[str] | None, typer.Option("--env", "-e", help="Environment to check (default prod; repeatable).")
    ] = None,
    all_envs: AllEnvsOption = False,
    jobs: JobsOption = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="table, json, sarif or junit.")] = "table",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the report to this file (many stacks: a directory, one file each)."),
    ] = None,
    preview_json: Annotated[
        Path | None,
        typer.Option(
            "--preview-json",
            help="Check the output of a real `pulumi preview --json` instead of planning.",
            readable=False,
        ),
    ] = None,
    prices: PricesOption = None,
    base: BaseOption = None,
    base_plan: BasePlanOption = None,
) -> None:
    """Run the policy pack offline: exit 1 on mandatory violations, 0 otherwise.

    With --base or --base-plan, the update rules also judge what `pulumi up` would do to the deployed stack.
    Many files or environments (--env repeated, --all-envs) check in one run; the exit code is the worst.
    """
    if files and is_fleet(files, env or [], all_envs):
        extension = REPORT_EXTENSIONS.get(output_format)
        if extension is None or preview_json is not None:
            flag, why = (
                ("--format", "must be one of " + ", ".join(REPORT_EXTENSIONS))
                if extension is None
                else ("--preview-json", "checks one stack: give one file and one --env")
            )
            guarded(lambda: _raise(BadFlag(flag, why)))
        stacks = guarded(lambda: stacks_of(files, env or [], all_envs))
        run_fleet(context, "check", stacks, output_directory=output, extension=str(extension), jobs=jobs)
    _check_one(
        files[0] if files else None,
        env[0] if env else "prod",
        output_format,
        output,
        preview_json,
        prices,
        base,
        base_plan,
    )


# The file each report format is written to in a directory of many stacks' reports.
REPORT_EXTENSIONS = {"table": "txt", "json": "json", "sarif": "sarif", "junit": "xml"}


def _check_one(
    file: Path | None,
    env: str,
    output_format: str,
    output: Path | None,
    preview_json: Path | None,
    prices: Path | None,
    base: str | None,
    base_plan: Path | None,
) -> None:
    from mlstack.blueprints.load import load_for_environment
    from mlstack.policies.report import render, summary_line, to_table
    from mlstack.policies.settings import PolicySettings
    from mlstack.stack.plan import plan_resolved, update_against
    from mlstack.stack.plan.check import check_plan, check_preview_json, cost_estimate, policy_settings
    from mlstack.stack.plan.provenance import Locator

    formats = ("table", "json", "sarif", "junit")
    if output_format not in formats:
        err.print(f"--format must be one of {', '.join(formats)}", markup=False)
        raise typer.Exit(EXIT_INVALID)
    blueprint_file = file
    if blueprint_file is None and os.environ.get(BLUEPRINT_VARIABLE):
        blueprint_file = Path(os.environ[BLUEPRINT_VARIABLE])
        err.print(f"blueprint {blueprint_file} (from {BLUEPRINT_VARIABLE})", markup=False)
    if blueprint_file is None and preview_json is None:
        err.print(f"give a blueprint file (or set {BLUEPRINT_VARIABLE}), --preview-json, or both", markup=False)
        raise typer.Exit(EXIT_INVALID)
    if blueprint_file is None and (base is not None or base_plan is not None):
        err.print("--base and --base-plan need the blueprint file", markup=False)
        raise typer.Exit(EXIT_INVALID)
    if blueprint_file is None:
        err.print(
            "mlstack: no blueprint: its `policies:` levels and suppressions are not applied and findings have no "
            f"blueprint lines; give the blueprint file before --preview-json, or set {BLUEPRINT_VARIABLE}",
            markup=False,
        )

    def run() -> Report:
        if blueprint_file is None:
            assert preview_json is not None
            return check_preview_json(preview_json, PolicySettings(environment=env))
        resolved = load_for_environment(blueprint_file, env)
        planned = plan_resolved(resolved)
        settings = policy_settings(resolved, cost_estimate(resolved, planned, prices))
        update = update_against(blueprint_file, env, planned, revision=base, base_file=base_plan)
        if preview_json is not None:
            report = check_preview_json(preview_json, settings, update)
        else:
            report = check_plan(planned, settings, update)
        return Locator(blueprint_file, env, planned.sources).locate(report)

    report = guarded(run)
    if output_format == "table" and not output:
        print_wrapped(out, to_table(report))  # it ends with the summary line
    else:
        text = guarded(
            lambda: plain_text(to_table(report)) if output_format == "table" else render(report, output_format)
        )
        if output:
            write_atomically(output, text)
            err.print(f"wrote {output}", markup=False)
        else:
            sys.stdout.write(text)
        for suppression in report.suppressions:
            where = ", ".join(suppression.resources)
            print_wrapped(err, f"suppressed {suppression.rule} on {where}: {suppression.reason}", markup=False)
        err.print(summary_line(report), markup=False)
    raise typer.Exit(report.exit_code)


@app.command()
def schema(
    check: Annotated[bool, typer.Option("--check", help="Fail if the committed schema is stale.")] = False,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write it.")] = SCHEMA_PATH,
) -> None:
    """Write the blueprint JSON Schema that editors use for completion."""
    from mlstack.blueprints.json_schema import blueprint_json_schema

    text = json.dumps(blueprint_json_schema(), indent=2, sort_keys=True) + "\n"
    if check:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current != text:
            err.print(f"{output} is stale: run `mlstack schema`", markup=False)
            raise typer.Exit(1)
        out.print(f"{output} is up to date", markup=False)
        return
    write_atomically(output, text)
    out.print(f"wrote {output}", markup=False)


# Cost and diff live in their own module; registered here so `mlstack --help` lists them.
app.command()(cost)
app.command()(diff)
# A team repository for one blueprint, the page that documents a platform, the instance finder.
app.command()(init)
app.command()(docs)
app.command()(instances)
# Day-2 operations on a deployed environment (boto3; the plan names what they act on).
app.command()(status)
app.command()(shift)
app.command()(promote)
app.command()(rollback)


def main() -> None:
    """The `mlstack` command: run it, flush what it printed, and leave without tearing down.

    Tearing down an interpreter that imported ~1,600 modules (the Pulumi SDKs' generated classes)
    took 0.6-1.0 s after a plan had printed everything. Every file a command writes is closed
    before it returns (stack.cli.common.write_all), so once the standard streams are flushed
    nothing is left to do, and `os._exit` keeps the exit code. An unexpected exception still takes
    the normal path, with its traceback.
    """
    try:
        app()
        code = 0
    except SystemExit as exit_:
        code = _exit_code(exit_.code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            # A closed pipe (`mlstack plan --json | head`) loses the rest of the output, not the code.
            code = code or 1
    os._exit(code)


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    # sys.exit("message") prints the message and exits 1.
    print(code, file=sys.stderr)
    return 1


if __name__ == "__main__":
    main()
