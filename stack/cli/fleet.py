"""Many blueprints and environments in one run: `mlstack plan|check|cost FILE... --all-envs --jobs N`.

Each stack runs the very command a single `mlstack plan FILE --env E` runs, with the same flags
(rebuilt from the parsed ones), its output captured and printed in the order the stacks were
named, so a stack's output is byte-identical to running it alone. With `-o DIR` each stack writes
`DIR/<blueprint>-<env>.<ext>`. The exit code is the worst of any stack's (3 > 2 > 1 > 0).

Worker processes (`--jobs`, default the cores) each import the Pulumi SDKs once and then plan
their share of the stacks in a warm interpreter; small fleets run in this process, where that
start-up would cost more than it saves.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from mlstack.stack.cli.common import BadFlag, err, out

FilesArgument = Annotated[
    list[Path],
    typer.Argument(help="Blueprint YAML file(s).", show_default=False, exists=False, readable=False),
]
EnvsOption = Annotated[
    list[str] | None, typer.Option("--env", "-e", help="Environment (repeatable: each makes one stack).")
]
AllEnvsOption = Annotated[bool, typer.Option("--all-envs", help="Every environment of each blueprint.")]
JobsOption = Annotated[
    int | None, typer.Option("--jobs", "-j", min=1, help="Worker processes for many stacks (default: the cores).")
]

FLEET_PARAMETERS = frozenset({"files", "env", "all_envs", "jobs", "output"})
# Below this many stacks per worker, spawning workers (each importing the SDKs, ~2 s) costs more
# than planning in this warm process.
STACKS_PER_WORKER = 3


@dataclass(frozen=True)
class Stack:
    file: Path
    environment: str
    name: str
    """`<blueprint>-<environment>`: the Pulumi stack, and the output's file name."""


def is_fleet(files: Sequence[Path], environments: Sequence[str], all_envs: bool) -> bool:
    return len(files) > 1 or len(environments) > 1 or all_envs


def _blueprint_and_environments(file: Path) -> tuple[str, list[str]]:
    """The blueprint id and environment names, read loosely: an invalid file is reported by its own run."""
    from mlstack.blueprints.errors import BlueprintInvalid
    from mlstack.blueprints.yaml_source import read_yaml

    try:
        data = read_yaml(file).data
    except BlueprintInvalid:
        return file.stem, []
    if not isinstance(data, dict):
        return file.stem, []
    blueprint = data.get("blueprint")
    environments = data.get("environments")
    names = [str(name) for name in environments] if isinstance(environments, dict) else []
    return (str(blueprint) if isinstance(blueprint, str) and blueprint else file.stem), names


def stacks_of(files: Sequence[Path], environments: Sequence[str], all_envs: bool) -> list[Stack]:
    """Each file with each named environment, or with every environment it has (--all-envs)."""
    if all_envs and environments:
        raise BadFlag("--all-envs", "give --all-envs or --env, not both")
    if not all_envs and not environments:
        raise BadFlag("--env", "name the environment (repeatable), or pass --all-envs")
    stacks: list[Stack] = []
    for file in files:
        blueprint, known = _blueprint_and_environments(file)
        # A file whose environments cannot be read still gets one run, which reports why.
        for environment in (known or ["prod"]) if all_envs else environments:
            stacks.append(Stack(file, environment, f"{blueprint}-{environment}"))
    seen: dict[str, Stack] = {}
    for stack in stacks:
        if stack.name in seen and seen[stack.name].file != stack.file:
            raise BadFlag("FILE", f"{seen[stack.name].file} and {stack.file} both make stack {stack.name}")
        seen[stack.name] = stack
    return stacks


def _flag_arguments(context: typer.Context) -> list[str]:
    """The flags of this invocation that every stack shares, as command-line arguments again."""
    arguments: list[str] = []
    for parameter in context.command.params:
        name = parameter.name or ""
        if name in FLEET_PARAMETERS or parameter.param_type_name != "option":
            continue
        value = context.params.get(name)
        if value is None or value == parameter.default:
            continue
        flag = parameter.opts[0]
        if isinstance(value, bool):
            secondary = getattr(parameter, "secondary_opts", [])
            if value:
                arguments.append(flag)
            elif secondary:
                arguments.append(secondary[0])
        elif isinstance(value, list | tuple):
            for item in value:
                arguments += [flag, str(item)]
        else:
            arguments += [flag, str(value)]
    return arguments


def run_one(arguments: list[str]) -> tuple[int, str, str]:
    """One stack's command, as `mlstack <arguments>` would run it: exit code, stdout, stderr."""
    from mlstack.stack.cli.app import app

    command = typer.main.get_command(app)
    captured_out, captured_err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(captured_out), contextlib.redirect_stderr(captured_err):
        try:
            result = command.main(arguments, prog_name="mlstack", standalone_mode=False)
            code = result if isinstance(result, int) else 0
        except typer.Exit as exit_:
            code = exit_.exit_code
        except typer._click.exceptions.ClickException as problem:
            problem.show()
            code = problem.exit_code
    return code, captured_out.getvalue(), captured_err.getvalue()


def _results(all_arguments: list[list[str]], jobs: int) -> list[tuple[int, str, str]]:
    workers = min(jobs, len(all_arguments) // STACKS_PER_WORKER)
    if workers <= 1:
        return [run_one(arguments) for arguments in all_arguments]
    # spawn, not fork: a forked copy of a process that has imported gRPC and started Pulumi's
    # event loops is not safe; each worker imports afresh and keeps its interpreter warm.
    context = multiprocessing.get_context("spawn")
    chunk = max(1, len(all_arguments) // (workers * 2))
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(pool.map(run_one, all_arguments, chunksize=chunk))


def run(
    context: typer.Context,
    command: str,
    stacks: Sequence[Stack],
    *,
    output_directory: Path | None,
    extension: str,
    jobs: int | None,
) -> NoReturn:
    """Run `command` for every stack, print each one's output in order, and exit with the worst code."""
    shared = _flag_arguments(context)
    all_arguments = []
    for stack in stacks:
        arguments = [command, str(stack.file), "--env", stack.environment, *shared]
        if output_directory is not None:
            arguments += ["--output", str(output_directory / f"{stack.name}.{extension}")]
        all_arguments.append(arguments)
    results = _results(all_arguments, jobs or os.cpu_count() or 1)
    for stack, (code, stdout, stderr) in zip(stacks, results, strict=True):
        out.print(f"== {stack.name} ({stack.file}, {stack.environment}): exit {code}", markup=False)
        sys.stdout.write(stdout)
        sys.stderr.write(stderr)
    worst = max(code for code, _, _ in results)
    counts: dict[int, int] = {}
    for code, _, _ in results:
        counts[code] = counts.get(code, 0) + 1
    meaning = {0: "done", 1: "findings", 2: "invalid input", 3: "internal error"}
    shown = ", ".join(f"{counts[code]} {meaning.get(code, f'exit {code}')}" for code in sorted(counts))
    err.print(f"{len(stacks)} stacks: {shown}; exit {worst}", markup=False)
    raise typer.Exit(worst)
