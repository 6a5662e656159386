"""`mlstack status | shift | promote | rollback`: day-2 operations on a deployed environment.

Exit codes: 0 in sync / done, 1 a mismatch, an abort, or AWS refusing or timing out (the message
says where the endpoint stands), 2 bad input (the blueprint, a flag, no credentials), 3 a bug.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from mlstack.stack.cli.common import EXIT_INVALID, BadFlag, BlueprintFile, err, guarded, out, print_wrapped

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID
    from rich.table import Table

    from mlstack.stack.ops.aws import Aws
    from mlstack.stack.ops.status import EndpointStatus
    from mlstack.stack.ops.target import EndpointTarget, Environment
    from mlstack.stack.ops.traffic import Timing

EXIT_NOT_DONE = 1
T = TypeVar("T")

EnvOption = Annotated[str, typer.Option("--env", "-e", help="Environment the endpoints are deployed in.")]
EndpointOption = Annotated[str, typer.Option("--endpoint", help="The endpoint's name in the blueprint.")]
OutputsOption = Annotated[
    Path | None,
    typer.Option(
        "--outputs",
        help="`pulumi stack output --json` of the deployed stack, to check the plan's names against it.",
        readable=False,
    ),
]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Change the endpoint without asking (for CI).")]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="Show what would change; change nothing.")]
PollOption = Annotated[str, typer.Option("--poll", help="How often to read the endpoint and its alarms.")]
TimeoutOption = Annotated[
    str, typer.Option("--timeout", help="How long one change may take to reach InService before the run stops.")
]
LeaseOption = Annotated[
    str,
    typer.Option("--lease", help="A run silent this long (no heartbeat) is taken to be dead and may be resumed."),
]
BakeOption = Annotated[str, typer.Option("--bake", help="Time each step runs, watched by the alarms, before the next.")]


def _ops(action: Callable[[], T]) -> T:
    """`guarded`, plus AWS's answers: OpsFailed and unexpected API errors exit 1, OpsUnusable 2."""
    from mlstack.stack.ops.aws import ApiError, OpsFailed, OpsUnusable

    def run() -> T:
        try:
            return action()
        except OpsUnusable as unusable:
            err.print(f"mlstack: {unusable}", markup=False)
            raise typer.Exit(EXIT_INVALID) from None
        except (OpsFailed, ApiError) as failure:
            err.print(f"mlstack: {failure}", markup=False)
            raise typer.Exit(EXIT_NOT_DONE) from None

    return guarded(run)


def _flag_problem(flag: str, message: str) -> BadFlag:
    return BadFlag(flag, message)


def _duration(flag: str, text: str) -> float:
    from mlstack.stack.ops.weights import parse_duration

    seconds = parse_duration(text)
    if seconds is None:
        raise _flag_problem(flag, f"{text!r} is not a duration like 30s, 10m, 1h30m or 500ms")
    return seconds


def _environment(file: Path, env: str, outputs: Path | None) -> tuple[Environment, Aws]:
    from mlstack.stack.ops.aws import Aws
    from mlstack.stack.ops.target import apply_stack_outputs, environment_of
    from mlstack.stack.plan import plan_file

    resolved, planned = plan_file(file, env)
    environment = environment_of(file, resolved, planned)
    if outputs is not None:
        environment = apply_stack_outputs(environment, outputs)
    return environment, Aws(environment.region)


def _timing(bake: str, poll: str, timeout: str) -> Timing:
    from mlstack.stack.ops.traffic import Timing

    return Timing(
        bake=_duration("--bake", bake), poll=_duration("--poll", poll), timeout=_duration("--timeout", timeout)
    )


def _confirm(question: str, yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        err.print("mlstack: not a terminal, so nobody can confirm: pass --yes to change the endpoint", markup=False)
        raise typer.Exit(EXIT_INVALID)
    if not typer.confirm(question, default=False, err=True):
        err.print("nothing changed", markup=False)
        raise typer.Exit(EXIT_NOT_DONE)


class ConsoleReporter:
    """Lines on stderr; in a terminal, a progress bar for each wait with the time left."""

    def __init__(self) -> None:
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def line(self, text: str) -> None:
        err.print(text, markup=False)

    def wait(self, label: str, total: float | None) -> Callable[[float, str], None]:
        if not err.is_terminal:
            err.print(f"{label}…", markup=False)
            return lambda elapsed, detail: None
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        )
        progress.start()
        task = progress.add_task(label, total=total, detail="")
        self._progress, self._task = progress, task

        def update(elapsed: float, detail: str) -> None:
            progress.update(task, completed=elapsed, detail=detail)

        return update

    def done_waiting(self) -> None:
        if self._progress is not None:
            self._progress.stop()
        self._progress, self._task = None, None


# --- status --------------------------------------------------------------------------------------


def _status_table(status: EndpointStatus) -> Table:
    from rich.table import Table

    target, live = status.target, status.live
    title = f"{target.key} ({target.endpoint_name})"
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for column in ("variant", "weight live / blueprint", "instances desired / current / blueprint", "autoscaling"):
        table.add_column(column)
    if live is None:
        return table
    from mlstack.stack.ops.weights import shares

    live_shares = shares(live.desired_weights)
    planned_shares = shares(target.weights)
    for variant in target.variants:
        live_variant = live.variant(variant.name)
        bounds = target.scaling.get(variant.name)
        registered = status.scaling.get(variant.name)
        counts = (
            f"{live_variant.desired_count} / {live_variant.current_count} / {variant.instance_count}"
            if live_variant is not None and variant.instance_count is not None
            else "serverless"
        )
        scaling = (
            f"{registered.minimum}-{registered.maximum} (blueprint {bounds.minimum}-{bounds.maximum})"
            if registered and bounds
            else (f"not registered (blueprint {bounds.minimum}-{bounds.maximum})" if bounds else "-")
        )
        weight = (
            f"{live_shares.get(variant.name, 0) * 100:.4g}% / {planned_shares[variant.name] * 100:.4g}%"
            if live_variant is not None
            else f"missing / {planned_shares[variant.name] * 100:.4g}%"
        )
        table.add_row(variant.name, weight, counts, scaling)
    return table


def _print_status(status: EndpointStatus, file: Path, environment: str) -> None:
    from mlstack.stack.ops.weights import shares

    print_wrapped(out, _status_table(status))
    live = status.live
    if live is not None:
        config = "the plan's" if live.config_name == status.target.config_name else f"plan: {status.target.config_name}"
        out.print(f"  status {live.status}, configuration {live.config_name} ({config})", markup=False)
        if live.failure_reason:
            out.print(f"  FailureReason: {live.failure_reason}", markup=False)
        if live.last_modified is not None:
            deployment = f", {live.last_deployment}" if live.last_deployment else ""
            out.print(f"  last deployment {live.last_modified:%Y-%m-%d %H:%M:%S %Z}{deployment}", markup=False)
    if status.alarms:
        states = ", ".join(f"{name} {alarm.state}" for name, alarm in sorted(status.alarms.items()))
        out.print(f"  alarms: {states}", markup=False)
    if status.rollout is not None:
        rollout = status.rollout
        dead = ", owner gone: resumable" if status.rollout_abandoned else ""
        out.print(
            f"  last traffic change: `mlstack {rollout.command}` {rollout.state}{dead} "
            f"({rollout.finished_steps}/{len(rollout.steps)} steps; {rollout.detail})",
            markup=False,
        )
    for mismatch in status.mismatches:
        out.print(f"  {mismatch.kind}: {mismatch.message}", markup=False)
    weights_drift = (
        live is not None
        and live.config_name == status.target.config_name
        and any(m.kind == "drift" and m.message.startswith("traffic is") for m in status.mismatches)
    )
    if weights_drift and live is not None:
        from mlstack.stack.ops.blueprint_edit import variant_edits

        live_shares = shares(live.desired_weights)
        diff = variant_edits(
            file,
            environment,
            status.target.key,
            {name: {"weight": share * 100} for name, share in live_shares.items()},
        )
        out.print("  to keep the live weights, change the blueprint (or `mlstack rollback` to restore its own):")
        out.print(diff, markup=False, end="")
    out.print()


def _status_json(statuses: list[EndpointStatus]) -> str:
    document = [
        {
            "endpoint": s.target.key,
            "endpointName": s.target.endpoint_name,
            "inSync": s.in_sync,
            "status": s.live.status if s.live else None,
            "configName": s.live.config_name if s.live else None,
            "planConfigName": s.target.config_name,
            "weights": s.live.desired_weights if s.live else None,
            "planWeights": s.target.weights,
            "alarms": {name: alarm.state for name, alarm in sorted(s.alarms.items())},
            "mismatches": [{"kind": m.kind, "message": m.message} for m in s.mismatches],
        }
        for s in statuses
    ]
    return json.dumps(document, indent=2, sort_keys=True, default=str) + "\n"


def status(
    file: BlueprintFile,
    env: EnvOption,
    outputs: OutputsOption = None,
    endpoint: Annotated[str | None, typer.Option("--endpoint", help="Only this endpoint.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Each live endpoint beside the plan: configuration, weights, counts, autoscaling, alarms, rollbacks."""
    from mlstack.stack.ops.status import environment_status

    environment, aws = _ops(lambda: _environment(file, env, outputs))
    targets = [environment.endpoint(endpoint)] if endpoint else list(environment.endpoints.values())
    skipped = sorted(environment.component_endpoints) if endpoint is None else []
    not_checked = (
        f"not checked: {', '.join(skipped)} (inference components: no variant weights to compare)" if skipped else ""
    )
    if not targets:
        out.print(f"{file}: no variant endpoints in {env}" + (f"; {not_checked}" if skipped else ""), markup=False)
        return
    statuses = _ops(lambda: environment_status(aws, targets))
    if as_json:
        sys.stdout.write(_status_json(statuses))
    else:
        for each in statuses:
            _print_status(each, file, env)
        off = [
            f"{s.target.key} ({', '.join(sorted({m.kind for m in s.mismatches}))})" for s in statuses if s.mismatches
        ]
        in_sync = len(statuses) - len(off)
        summary = f"{in_sync} of {len(statuses)} endpoints in sync" + (
            f"; not in sync: {', '.join(off)}" if off else ""
        )
        out.print(summary, markup=False)
        if skipped:
            out.print(not_checked, markup=False)
    if any(s.mismatches for s in statuses):
        raise typer.Exit(EXIT_NOT_DONE)


# --- shift / promote -----------------------------------------------------------------------------


def _show_steps(target: EndpointTarget, plan_steps: list[tuple[int, float, Mapping[str, float]]], done: int) -> None:
    from rich.table import Table

    table = Table(show_edge=False, pad_edge=False)
    table.add_column("step")
    table.add_column("traffic")
    for variant in target.variants:
        table.add_column(f"{variant.name} weight", justify="right")
    for number, percent, weights in plan_steps:
        state = " (done)" if number <= done else ""
        table.add_row(f"{number}{state}", f"{percent:g}%", *(f"{weights[v.name]:g}" for v in target.variants))
    print_wrapped(out, table)


def _steps(command: str, text: str) -> tuple[float, ...]:
    from mlstack.stack.ops.weights import parse_steps

    parsed = parse_steps(text)
    if isinstance(parsed, str):
        raise _flag_problem("--steps", parsed)
    if command == "promote" and parsed[-1] != 100:
        raise _flag_problem("--steps", f"{text!r}: a promotion ends with the variant at 100")
    return parsed


def _permanent_edit(file: Path, env: str, target: EndpointTarget, weights: Mapping[str, float]) -> None:
    from mlstack.stack.ops.blueprint_edit import variant_edits

    diff = variant_edits(file, env, target.key, {name: {"weight": weight} for name, weight in weights.items()})
    out.print(
        "The next `pulumi up` that updates this endpoint resets its weights to the blueprint's. "
        "Make the change permanent with this edit, then commit it:",
        markup=False,
    )
    out.print(diff, markup=False, end="")


def _shift(
    command: str,
    file: Path,
    env: str,
    endpoint: str,
    to: str,
    steps: str,
    timing: Timing,
    lease: float,
    outputs: Path | None,
    yes: bool,
    dry_run: bool,
) -> None:
    from mlstack.stack.ops.traffic import execute_shift, plan_shift
    from mlstack.stack.ops.weights import format_duration, show_split

    parsed = _ops(lambda: _steps(command, steps))
    environment, aws = _ops(lambda: _environment(file, env, outputs))
    target = _ops(lambda: environment.endpoint(endpoint))
    plan = _ops(lambda: plan_shift(aws, target, to, parsed, command))
    order = [v.name for v in target.variants]
    out.print(
        f"{command} {target.endpoint_name} ({env}, {aws.region}) to {to}: now {show_split(plan.start_weights, order)}; "
        f"bake {format_duration(timing.bake)} per step, watched by {len(target.alarm_names)} alarms",
        markup=False,
    )
    if plan.resumed_run is not None:
        out.print(
            f"resuming run {plan.resumed_run.run} ({plan.resumed_run.owner}, {plan.resumed_run.state}) after step "
            f"{plan.resume_from}/{len(plan.plan)}; its starting weights are restored on an alarm",
            markup=False,
        )
    _show_steps(target, [(s.number, s.percent, s.weights) for s in plan.plan], plan.resume_from)
    if dry_run:
        out.print("dry run: nothing changed", markup=False)
        return
    _confirm(f"Shift live traffic of {target.endpoint_name}?", yes)
    final = _ops(lambda: execute_shift(aws, plan, timing, ConsoleReporter(), lease=lease))
    out.print(f"{target.endpoint_name}: {show_split(final, order)}", markup=False)
    _permanent_edit(file, env, target, final)


def shift(
    file: BlueprintFile,
    env: EnvOption,
    endpoint: EndpointOption,
    to: Annotated[str, typer.Option("--to", help="The variant traffic moves to.")],
    steps: Annotated[
        str, typer.Option("--steps", help="Its share of traffic after each step, in percent.")
    ] = "10,25,50,100",
    bake: BakeOption = "10m",
    poll: PollOption = "15s",
    timeout: TimeoutOption = "30m",
    lease: LeaseOption = "5m",
    outputs: OutputsOption = None,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
) -> None:
    """Move traffic to a variant step by step, baking each step under the endpoint's alarms; resumable."""
    timing = _ops(lambda: _timing(bake, poll, timeout))
    lease_seconds = _ops(lambda: _duration("--lease", lease))
    _shift("shift", file, env, endpoint, to, steps, timing, lease_seconds, outputs, yes, dry_run)


def promote(
    file: BlueprintFile,
    env: EnvOption,
    endpoint: EndpointOption,
    to: Annotated[str, typer.Option("--to", help="The variant that takes all traffic.")],
    steps: Annotated[str, typer.Option("--steps", help="Steps on the way to 100%, in percent.")] = "100",
    bake: BakeOption = "10m",
    poll: PollOption = "15s",
    timeout: TimeoutOption = "30m",
    lease: LeaseOption = "5m",
    outputs: OutputsOption = None,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
) -> None:
    """Give a variant all traffic (a shift ending at 100%), then print the blueprint edit that keeps it."""
    timing = _ops(lambda: _timing(bake, poll, timeout))
    lease_seconds = _ops(lambda: _duration("--lease", lease))
    _shift("promote", file, env, endpoint, to, steps, timing, lease_seconds, outputs, yes, dry_run)


# --- rollback ------------------------------------------------------------------------------------


def rollback(
    file: BlueprintFile,
    env: EnvOption,
    endpoint: EndpointOption,
    to_fallback: Annotated[
        bool, typer.Option("--to-fallback", help="Serve the blueprint's fallback model on every variant.")
    ] = False,
    take_over: Annotated[
        bool, typer.Option("--take-over", help="Stop a shift that holds the endpoint and roll back at once.")
    ] = False,
    poll: PollOption = "15s",
    timeout: TimeoutOption = "30m",
    lease: LeaseOption = "5m",
    outputs: OutputsOption = None,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
) -> None:
    """Restore the blueprint's weights, or with --to-fallback serve its fallback model."""
    from mlstack.stack.ops.traffic import execute_fallback, execute_rollback, plan_fallback, plan_rollback
    from mlstack.stack.ops.weights import show_split

    timing = _ops(lambda: _timing("0s", poll, timeout))
    lease_seconds = _ops(lambda: _duration("--lease", lease))
    environment, aws = _ops(lambda: _environment(file, env, outputs))
    target = _ops(lambda: environment.endpoint(endpoint))
    order = [v.name for v in target.variants]
    if to_fallback:
        fallback = _ops(lambda: plan_fallback(aws, target))
        out.print(
            f"rollback {target.endpoint_name} ({env}, {aws.region}) to the fallback model "
            f"{target.fallback_model_name}: {'create' if fallback.request else 'reuse'} {fallback.config_name} "
            f"from {fallback.live.config_name} and move the endpoint to it",
            markup=False,
        )
        if dry_run:
            out.print("dry run: nothing changed", markup=False)
            return
        _confirm(f"Move {target.endpoint_name} to its fallback model?", yes)
        _ops(
            lambda: execute_fallback(aws, fallback, timing, ConsoleReporter(), lease=lease_seconds, take_over=take_over)
        )
        out.print(f"{target.endpoint_name} serves {target.fallback_model_name}", markup=False)
        _fallback_edit(file, env, target)
        return
    plan = _ops(lambda: plan_rollback(aws, target))
    out.print(
        f"rollback {target.endpoint_name} ({env}, {aws.region}): now {show_split(plan.live.desired_weights, order)}; "
        f"the blueprint's: {show_split(plan.weights, order)}",
        markup=False,
    )
    if plan.interrupted is not None and plan.interrupted.state in {"running", "interrupted"}:
        out.print(
            f"this ends `mlstack {plan.interrupted.command}` run {plan.interrupted.run} ({plan.interrupted.state})",
            markup=False,
        )
    if dry_run:
        out.print("dry run: nothing changed", markup=False)
        return
    _confirm(f"Restore the blueprint's weights on {target.endpoint_name}?", yes)
    weights = _ops(
        lambda: execute_rollback(aws, plan, timing, ConsoleReporter(), lease=lease_seconds, take_over=take_over)
    )
    out.print(f"{target.endpoint_name}: {show_split(weights, order)}", markup=False)


def _fallback_edit(file: Path, env: str, target: EndpointTarget) -> None:
    from mlstack.stack.ops.blueprint_edit import variant_edits

    key = target.fallback_model_key or ""
    diff = variant_edits(file, env, target.key, {v.name: {"model": key} for v in target.variants})
    out.print(
        "After `pulumi refresh`, or with the next change to this endpoint, `pulumi up` moves it back to the "
        "blueprint's configuration. To keep the fallback, point the variants at it (and remove the candidate), "
        "then commit:",
        markup=False,
    )
    out.print(diff, markup=False, end="")
