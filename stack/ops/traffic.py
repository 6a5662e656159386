"""Traffic changes on a live endpoint: step-wise shifts with bake and alarm watch, promotion, rollback.

Every change of weights is one UpdateEndpointWeightsAndCapacities call carrying every production
variant's weight, so the endpoint only ever holds the weights it started from or those of a step:
a run that dies at any point leaves a split some step defined, and its record (stack.ops.ledger)
says which. Only weights are sent, never instance counts, which Application Auto Scaling owns.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from mlstack.stack.ops.aws import ApiError, Aws, OpsFailed
from mlstack.stack.ops.ledger import Ledger, Lock, LostLock, Progress, abandoned
from mlstack.stack.ops.live import AlarmState, LiveEndpoint, alarm_states, describe_config, describe_endpoint
from mlstack.stack.ops.status import CREATED_BY_TAG
from mlstack.stack.ops.target import EndpointTarget
from mlstack.stack.ops.weights import format_duration, same_split, show_split, step_weights

RESUMABLE = frozenset({"shift", "promote"})


class Aborted(OpsFailed):
    """An alarm fired during a bake; the starting weights were restored."""


class Reporter(Protocol):
    """Where a run tells the user what it does; the CLI draws progress bars, tests collect lines."""

    def line(self, text: str) -> None: ...

    def wait(self, label: str, total: float | None) -> Callable[[float, str], None]:
        """Start showing a wait of `total` seconds (None: unknown); the returned call updates it."""
        ...

    def done_waiting(self) -> None: ...


@dataclass(frozen=True)
class Timing:
    bake: float
    poll: float
    timeout: float
    """How long one step may take to reach InService before the run stops."""


@dataclass(frozen=True)
class StepPlan:
    number: int
    percent: float
    weights: dict[str, float]


@dataclass(frozen=True)
class ShiftPlan:
    """What a shift will do, worked out before anything changes (shown, confirmed, then executed)."""

    target: EndpointTarget
    live: LiveEndpoint
    command: str
    to: str
    steps: tuple[float, ...]
    start_weights: dict[str, float]
    resume_from: int
    """Steps an interrupted run already finished; 0 for a new run."""
    resumed_run: Progress | None
    plan: tuple[StepPlan, ...] = field(default=())

    @property
    def remaining(self) -> tuple[StepPlan, ...]:
        return self.plan[self.resume_from :]

    @property
    def final_weights(self) -> dict[str, float]:
        return self.plan[-1].weights if self.plan else self.start_weights


def _order(target: EndpointTarget) -> list[str]:
    return [v.name for v in target.variants]


def _firing(states: Mapping[str, AlarmState]) -> list[AlarmState]:
    return [state for state in states.values() if state.state == "ALARM"]


def _describe_firing(firing: Sequence[AlarmState]) -> str:
    return "; ".join(f"{alarm.name} ({alarm.reason})" if alarm.reason else alarm.name for alarm in firing)


def _require_live(aws: Aws, target: EndpointTarget) -> LiveEndpoint:
    live = describe_endpoint(aws, target.endpoint_name)
    if live is None:
        raise OpsFailed(f"{target.endpoint_name} does not exist in {aws.region}: deploy it with `pulumi up` first")
    return live


def _require_in_service(live: LiveEndpoint) -> None:
    if live.status != "InService":
        raise OpsFailed(
            f"{live.name} is {live.status}; weights can only change on an InService endpoint. "
            "Wait for the change under way (`mlstack status`), then run the command again"
        )


def _require_plans_config(target: EndpointTarget, live: LiveEndpoint) -> None:
    if live.config_name != target.config_name:
        raise OpsFailed(
            f"{live.name} serves {live.config_name}, not the plan's {target.config_name}: the live variants may not "
            "be the blueprint's. Run `mlstack status`, and deploy or fix the blueprint first"
        )


def _require_quiet_alarms(aws: Aws, target: EndpointTarget) -> None:
    firing = _firing(alarm_states(aws, list(target.alarm_names)))
    if firing:
        raise OpsFailed(f"alarms of {target.endpoint_name} are firing before any change: {_describe_firing(firing)}")


def plan_shift(aws: Aws, target: EndpointTarget, to: str, steps: tuple[float, ...], command: str) -> ShiftPlan:
    """Check the endpoint can be shifted now and work out every step's weights (no change made)."""
    if target.variant(to) is None:
        shadow = any(v.name == to for v in target.shadow_variants)
        why = (
            "is a shadow variant: it answers no user; make it a production variant in the blueprint and deploy"
            if shadow
            else f"is not a production variant of {target.key} (it has: {', '.join(_order(target))})"
        )
        raise OpsFailed(f"{to!r} {why}")
    if len(target.variants) < 2:
        raise OpsFailed(f"{target.key} has one production variant; there is no traffic to shift")
    live = _require_live(aws, target)
    _require_in_service(live)
    _require_plans_config(target, live)
    _require_quiet_alarms(aws, target)
    _, previous = Ledger(aws, target.endpoint_name).latest()
    resumable = previous is not None and (
        previous.state == "interrupted" or (previous.state == "running" and abandoned(previous))
    )
    start = live.desired_weights
    resume_from = 0
    resumed: Progress | None = None
    if previous is not None and resumable and previous.command in RESUMABLE:
        if not previous.same_change(to, steps):
            raise OpsFailed(
                f"an unfinished `mlstack {previous.command}` of {target.endpoint_name} to {previous.target} "
                f"(steps {','.join(f'{s:g}' for s in previous.steps)}) stopped after step "
                f"{previous.finished_steps}/{len(previous.steps)}: run that command again to resume it, "
                "or `mlstack rollback` to restore the blueprint's weights"
            )
        start = dict(previous.start_weights)
        resume_from = previous.finished_steps
        resumed = previous
    plan = tuple(
        StepPlan(number, percent, step_weights(start, to, percent)) for number, percent in enumerate(steps, start=1)
    )
    return ShiftPlan(target, live, command, to, steps, dict(start), resume_from, resumed, plan)


@dataclass
class _Run:
    aws: Aws
    target: EndpointTarget
    timing: Timing
    reporter: Reporter
    lock: Lock

    def set_weights(self, weights: Mapping[str, float]) -> None:
        self.lock.still_held()
        self.aws.call(
            "sagemaker",
            "update_endpoint_weights_and_capacities",
            EndpointName=self.target.endpoint_name,
            DesiredWeightsAndCapacities=[
                {"VariantName": name, "DesiredWeight": float(weight)} for name, weight in weights.items()
            ],
        )

    def wait_in_service(self, what: str) -> LiveEndpoint:
        """Poll until the endpoint is InService with the weights it was given; stop at the timeout."""
        started = time.monotonic()
        update = self.reporter.wait(f"{what}: waiting for InService", None)
        try:
            while True:
                live = _require_live(self.aws, self.target)
                if live.settled():
                    return live
                if live.status == "Failed":
                    raise OpsFailed(f"{live.name} failed during {what}: {live.failure_reason or 'no reason given'}")
                elapsed = time.monotonic() - started
                if elapsed >= self.timing.timeout:
                    raise OpsFailed(
                        f"{live.name} is still {live.status} {format_duration(elapsed)} after {what} "
                        f"(--timeout {format_duration(self.timing.timeout)})"
                    )
                update(elapsed, live.status)
                time.sleep(self.timing.poll)
                self.lock.heartbeat()
        finally:
            self.reporter.done_waiting()

    def bake(self, what: str) -> list[AlarmState]:
        """Watch the endpoint's alarms for the bake time; the alarms that fired, or none."""
        started = time.monotonic()
        update = self.reporter.wait(f"{what}: baking", self.timing.bake)
        try:
            while True:
                firing = _firing(alarm_states(self.aws, list(self.target.alarm_names)))
                if firing:
                    return firing
                elapsed = time.monotonic() - started
                if elapsed >= self.timing.bake:
                    return []
                update(elapsed, f"{format_duration(self.timing.bake - elapsed)} left")
                time.sleep(min(self.timing.poll, max(self.timing.bake - elapsed, 0.0)))
                self.lock.heartbeat()
        finally:
            self.reporter.done_waiting()


def _record_quietly(lock: Lock, **changes: Any) -> None:
    """Best effort: a record that cannot be written is taken over after the lease instead."""
    with contextlib.suppress(OpsFailed):
        lock.record(**changes)


def execute_shift(aws: Aws, plan: ShiftPlan, timing: Timing, reporter: Reporter, *, lease: float) -> dict[str, float]:
    """Run the remaining steps; the weights in force at the end. Raises OpsFailed when it stops early."""
    target = plan.target
    order = _order(target)
    lock = Ledger(aws, target.endpoint_name, lease=lease).acquire(
        Progress(
            command=plan.command,
            target=plan.to,
            steps=plan.steps,
            start_weights=plan.start_weights,
            finished_steps=plan.resume_from,
        )
    )
    run = _Run(aws, target, timing, reporter, lock)
    current = plan.live.desired_weights
    total = len(plan.plan)
    holding = f"the weights this run found ({show_split(current, order)})"
    try:
        for step in plan.remaining:
            label = f"step {step.number}/{total}: {plan.to} {step.percent:g}%"
            if not same_split(current, step.weights):
                lock.record(detail=f"applying step {step.number}")
                reporter.line(f"{label}: setting {show_split(step.weights, order)}")
                run.set_weights(step.weights)
                holding = f"step {step.number}'s weights ({show_split(step.weights, order)})"
                current = run.wait_in_service(label).desired_weights
            else:
                reporter.line(f"{label}: already at {show_split(step.weights, order)}")
            firing = run.bake(label)
            if firing:
                _abort(run, plan, firing, label)
            lock.record(finished_steps=step.number, detail=f"finished step {step.number}")
            reporter.line(f"{label}: baked {format_duration(timing.bake)} with no alarm")
        lock.record(state="finished", detail="all steps finished")
        return plan.final_weights
    except (LostLock, Aborted):
        raise
    except OpsFailed as failure:
        if lock.progress.state == "running":
            _record_quietly(lock, state="interrupted", detail=str(failure))
        raise OpsFailed(f"{failure}. {_where_weights_are(plan, lock.progress.finished_steps, holding)}") from None
    except KeyboardInterrupt:
        _record_quietly(lock, state="interrupted", detail="interrupted")
        raise OpsFailed(f"interrupted. {_where_weights_are(plan, lock.progress.finished_steps, holding)}") from None


def _where_weights_are(plan: ShiftPlan, finished: int, holding: str) -> str:
    return (
        f"The endpoint holds {holding}; {finished}/{len(plan.plan)} steps finished. Run the same command to resume, "
        "or `mlstack rollback` to restore the blueprint's weights"
    )


def _abort(run: _Run, plan: ShiftPlan, firing: Sequence[AlarmState], label: str) -> None:
    order = _order(plan.target)
    run.reporter.line(f"{label}: alarm: {_describe_firing(firing)}; restoring {show_split(plan.start_weights, order)}")
    run.set_weights(plan.start_weights)
    run.wait_in_service("restoring the starting weights")
    run.lock.record(state="aborted", detail=f"aborted at {label}: {_describe_firing(firing)}")
    raise Aborted(
        f"aborted at {label}: {_describe_firing(firing)}. The starting weights are back: "
        f"{show_split(plan.start_weights, order)}"
    )


@dataclass(frozen=True)
class RollbackPlan:
    target: EndpointTarget
    live: LiveEndpoint
    weights: dict[str, float]
    interrupted: Progress | None


def plan_rollback(aws: Aws, target: EndpointTarget) -> RollbackPlan:
    live = _require_live(aws, target)
    _require_in_service(live)
    if sorted(v.name for v in live.variants) != sorted(_order(target)):
        raise OpsFailed(
            f"{live.name} has variants {', '.join(v.name for v in live.variants)}, not the blueprint's "
            f"{', '.join(_order(target))}: its weights cannot be restored; deploy the blueprint or use --to-fallback"
        )
    _, previous = Ledger(aws, target.endpoint_name).latest()
    return RollbackPlan(target, live, target.weights, previous)


def execute_rollback(
    aws: Aws, plan: RollbackPlan, timing: Timing, reporter: Reporter, *, lease: float, take_over: bool
) -> dict[str, float]:
    target = plan.target
    lock = Ledger(aws, target.endpoint_name, lease=lease).acquire(
        Progress(command="rollback", target="", steps=(), start_weights=plan.live.desired_weights),
        take_over=take_over,
    )
    run = _Run(aws, target, timing, reporter, lock)
    try:
        if same_split(plan.live.desired_weights, plan.weights):
            reporter.line(f"{target.endpoint_name} already has the blueprint's weights")
        else:
            reporter.line(f"setting {show_split(plan.weights, _order(target))}")
            run.set_weights(plan.weights)
            run.wait_in_service("rollback")
        lock.record(state="finished", detail="the blueprint's weights")
    except OpsFailed as failure:
        _record_quietly(lock, state="interrupted", detail=str(failure))
        raise
    return plan.weights


# --- --to-fallback -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FallbackPlan:
    target: EndpointTarget
    live: LiveEndpoint
    config_name: str
    request: dict[str, Any]
    """CreateEndpointConfig's request; empty when the configuration exists already."""


def _input_members(value: Any, shape: Any) -> Any:
    """`value` (a Describe response part) reduced to what `shape` (a Create input shape) accepts.

    A structure missing a member the input requires comes back None and is left out: a describe
    answer can hold a stub (moto answers `DataCaptureConfig: {EnableCapture: false}` for an
    endpoint without capture) that CreateEndpointConfig would reject.
    """
    if shape.type_name == "structure" and isinstance(value, Mapping):
        reduced = {
            key: member
            for key, item in value.items()
            if key in shape.members and (member := _input_members(item, shape.members[key])) is not None
        }
        return reduced if all(name in reduced for name in shape.required_members) else None
    if shape.type_name == "list" and isinstance(value, list):
        return [member for item in value if (member := _input_members(item, shape.member)) is not None]
    return value


def fallback_config_name(endpoint_name: str, serving_config: str, fallback_model: str) -> str:
    from mlstack.components.naming import endpoint_config_name

    return endpoint_config_name(endpoint_name, {"fallback": fallback_model, "from": serving_config})


def plan_fallback(aws: Aws, target: EndpointTarget) -> FallbackPlan:
    """A configuration like the one in service with every production variant on the fallback model."""
    if target.fallback_model_name is None:
        raise OpsFailed(
            f"{target.key} has no `fallback: {{model: ...}}` in the blueprint; --to-fallback needs one deployed"
        )
    live = _require_live(aws, target)
    _require_in_service(live)
    try:
        aws.call("sagemaker", "describe_model", ModelName=target.fallback_model_name)
    except ApiError as error:
        raise OpsFailed(
            f"the fallback model {target.fallback_model_name} is not deployed ({error.code}): run `pulumi up`"
        ) from None
    name = fallback_config_name(target.endpoint_name, live.config_name, target.fallback_model_name)
    if describe_config(aws, name) is not None:
        return FallbackPlan(target, live, name, {})
    serving = describe_config(aws, live.config_name)
    if serving is None:
        raise OpsFailed(f"the configuration in service, {live.config_name}, cannot be read")
    shape = aws.client("sagemaker").meta.service_model.operation_model("CreateEndpointConfig").input_shape
    request = _input_members(serving, shape)
    request["EndpointConfigName"] = name
    # The shadow is the candidate a fallback moves away from; the fallback answers alone.
    request.pop("ShadowProductionVariants", None)
    for variant in request.get("ProductionVariants", ()):
        variant["ModelName"] = target.fallback_model_name
    request["Tags"] = [
        {"Key": CREATED_BY_TAG, "Value": f"mlstack rollback --to-fallback of {live.config_name}"},
    ]
    return FallbackPlan(target, live, name, request)


def execute_fallback(
    aws: Aws, plan: FallbackPlan, timing: Timing, reporter: Reporter, *, lease: float, take_over: bool
) -> None:
    target = plan.target
    lock = Ledger(aws, target.endpoint_name, lease=lease).acquire(
        Progress(command="rollback", target=target.fallback_model_key or "", steps=(), start_weights={}),
        take_over=take_over,
    )
    run = _Run(aws, target, timing, reporter, lock)
    try:
        if plan.request:
            reporter.line(f"creating {plan.config_name} (every variant on {target.fallback_model_name})")
            aws.call("sagemaker", "create_endpoint_config", **plan.request)
        lock.still_held()
        update: dict[str, Any] = {"EndpointName": target.endpoint_name, "EndpointConfigName": plan.config_name}
        if target.scaling:
            # As the component does: keep the instance counts autoscaling set, take weights from the configuration.
            update["RetainAllVariantProperties"] = True
            update["ExcludeRetainedVariantProperties"] = [{"VariantPropertyType": "DesiredWeight"}]
        reporter.line(f"moving {target.endpoint_name} to {plan.config_name}")
        aws.call("sagemaker", "update_endpoint", **update)
        live = run.wait_in_service("rollback to the fallback model")
        if live.config_name != plan.config_name:
            raise OpsFailed(
                f"SageMaker rolled the update back: {target.endpoint_name} serves {live.config_name}, not "
                f"{plan.config_name}{f' ({live.failure_reason})' if live.failure_reason else ''}"
            )
        lock.record(state="finished", detail=f"serving {target.fallback_model_name} through {plan.config_name}")
    except OpsFailed as failure:
        _record_quietly(lock, state="interrupted", detail=str(failure))
        raise
