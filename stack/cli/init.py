"""`mlstack init DIR`: scaffold a team repository for one blueprint (registered by stack.cli.app).

In a terminal it asks for what the flags do not give; otherwise it takes the flags and defaults.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from mlstack.stack.cli.common import EXIT_INVALID, err, guarded, out, write_all


def _default_blueprint(directory: Path) -> str:
    # The blueprint id pattern: lower case, digits and dashes, 2-20 characters, starting with a letter.
    name = re.sub(r"[^a-z0-9]+", "-", directory.resolve().name.lower()).strip("-")
    name = re.sub(r"^[^a-z]+", "", name)[:20].rstrip("-")
    return name if len(name) >= 2 else "platform"


def interactive() -> bool:
    """Whether someone can answer questions: standard input is a terminal."""
    return sys.stdin.isatty()


def _ask(value: str | None, question: str, default: str) -> str:
    if value is not None:
        return value
    if interactive():
        answer: str = typer.prompt(question, default=default, err=True)
        return answer.strip()
    return default


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _fail(message: str) -> None:
    err.print(f"mlstack init: {message}", markup=False)
    raise typer.Exit(EXIT_INVALID)


def init(
    directory: Annotated[Path, typer.Argument(help="The repository to scaffold (created if missing).")],
    blueprint: Annotated[str | None, typer.Option(help="Blueprint id: part of every resource name.")] = None,
    team: Annotated[str | None, typer.Option(help="Team that owns the platform.")] = None,
    owner: Annotated[str | None, typer.Option(help="Owner's e-mail address, tagged on every resource.")] = None,
    cost_center: Annotated[str | None, typer.Option(help="Cost center tagged on every resource.")] = None,
    region: Annotated[str | None, typer.Option(help="AWS region of the platform.")] = None,
    environments: Annotated[
        str | None, typer.Option(help="Comma-separated environments, each one Pulumi stack.")
    ] = None,
    with_components: Annotated[
        str | None,
        typer.Option(
            "--with", help="Comma-separated: endpoints,feature-store,tracking,monitoring,feedback,kubernetes."
        ),
    ] = None,
    on_call: Annotated[str | None, typer.Option(help="E-mail address alarms notify (with monitoring).")] = None,
    mlstack_requirement: Annotated[
        str | None,
        typer.Option(
            "--mlstack",
            help="How the repository depends on mlstack, as a pip requirement "
            "(default: this version; e.g. `mlstack @ git+https://github.com/<org>/mlstack@v0.1.0`).",
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite files that exist.")] = False,
) -> None:
    """Scaffold a team repository: blueprint, Pulumi project and stacks, CI workflow and README."""
    flags = _Flags(
        blueprint, team, owner, cost_center, region, environments, with_components, on_call, mlstack_requirement
    )
    guarded(lambda: _scaffold(directory, flags, force=force))


@dataclass(frozen=True)
class _Flags:
    blueprint: str | None
    team: str | None
    owner: str | None
    cost_center: str | None
    region: str | None
    environments: str | None
    with_components: str | None
    on_call: str | None
    mlstack_requirement: str | None


def _scaffold(directory: Path, flags: _Flags, *, force: bool) -> None:
    from mlstack.policies.report import tool_version
    from mlstack.stack.scaffold import (
        COMPONENTS,
        DEFAULT_COMPONENTS,
        Answers,
        answer_problems,
        component_problems,
        existing,
        render,
    )

    if directory.exists() and not directory.is_dir():
        _fail(f"{directory} exists and is not a directory")
    version = tool_version()
    chosen_blueprint = _ask(flags.blueprint, "Blueprint id", _default_blueprint(directory))
    chosen_team = _ask(flags.team, "Team", chosen_blueprint)
    chosen_owner = _ask(flags.owner, "Owner e-mail", f"{chosen_team.lower().replace(' ', '-')}@example.com")
    chosen_cost_center = _ask(flags.cost_center, "Cost center", "CC-0000")
    chosen_region = _ask(flags.region, "AWS region", "us-east-1")
    chosen_environments = _split(_ask(flags.environments, "Environments", "dev,prod"))
    components = _split(
        _ask(flags.with_components, f"Components ({','.join(COMPONENTS)})", ",".join(DEFAULT_COMPONENTS))
    )
    problems = component_problems(components)
    if problems:
        _fail(f"--with: {'; '.join(problems)}")
    chosen_on_call = (
        _ask(flags.on_call, "On-call e-mail", chosen_owner)
        if {"monitoring", "endpoints"} & set(components)
        else chosen_owner
    )
    if not chosen_environments:
        _fail("--environments: name at least one environment")
    answers = Answers(
        blueprint=chosen_blueprint,
        team=chosen_team,
        owner=chosen_owner,
        cost_center=chosen_cost_center,
        region=chosen_region,
        environments=chosen_environments,
        components=tuple(name for name in COMPONENTS if name in components),
        on_call=chosen_on_call,
        requirement=flags.mlstack_requirement or f"mlstack>={version}",
        version=version,
    )
    _check_region(answers.region)
    files = render(answers)
    problems = answer_problems(files["blueprint.yaml"])
    if problems:
        _fail("; ".join(problems))
    in_the_way = existing(directory, files)
    if in_the_way and not force:
        _fail(f"{directory} already has {', '.join(in_the_way)}; nothing written (pass --force to overwrite)")
    write_all({directory / name: text for name, text in files.items()})
    out.print(f"wrote {len(files)} files to {directory}:", markup=False)
    for name in sorted(files):
        out.print(f"  {name}", markup=False)
    out.print(
        f"next: cd {directory} && uv sync && uv run mlstack plan blueprint.yaml --env {answers.environments[0]}",
        markup=False,
    )


def _check_region(region: str) -> None:
    import botocore.session

    known = botocore.session.get_session().get_available_regions("sagemaker")
    if region not in known:
        _fail(f"--region: SageMaker has no region {region!r} (botocore knows {len(known)}: {', '.join(sorted(known))})")
