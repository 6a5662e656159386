"""`mlstack status`: each live endpoint beside what the plan says it should be, mismatches by kind."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from mlstack.stack.ops.aws import Aws
from mlstack.stack.ops.ledger import Ledger, Progress, abandoned
from mlstack.stack.ops.live import (
    CHANGING,
    AlarmState,
    LiveEndpoint,
    alarm_states,
    config_tags,
    describe_config,
    scalable_targets,
)
from mlstack.stack.ops.live import describe_endpoint as read_endpoint
from mlstack.stack.ops.target import EndpointTarget, ScalingRange
from mlstack.stack.ops.weights import same_split, show_split

Kind = Literal["rollback", "drift", "updating", "failed", "not-deployed"]

# Tag on an endpoint configuration mlstack made outside the blueprint (rollback --to-fallback).
CREATED_BY_TAG = "mlstack-created-by"


@dataclass(frozen=True)
class Mismatch:
    kind: Kind
    message: str


@dataclass(frozen=True)
class EndpointStatus:
    target: EndpointTarget
    live: LiveEndpoint | None
    scaling: dict[str, ScalingRange] = field(default_factory=dict)
    alarms: dict[str, AlarmState] = field(default_factory=dict)
    mismatches: tuple[Mismatch, ...] = ()
    rollout: Progress | None = None
    rollout_abandoned: bool = False

    @property
    def in_sync(self) -> bool:
        return not self.mismatches


def _config_mismatch(aws: Aws, target: EndpointTarget, live: LiveEndpoint) -> Mismatch | None:
    if live.config_name == target.config_name:
        return None
    expected = describe_config(aws, target.config_name)
    serving = describe_config(aws, live.config_name)
    if expected is None:
        return Mismatch(
            "not-deployed",
            f"serves {live.config_name}; the plan's configuration {target.config_name} does not exist yet: "
            "the blueprint has changes `pulumi up` has not deployed",
        )
    reason = f" (FailureReason: {live.failure_reason})" if live.failure_reason else ""
    expected_at = expected.get("CreationTime")
    serving_at = serving.get("CreationTime") if serving else None
    if serving_at is not None and expected_at is not None and serving_at < expected_at and live.status == "InService":
        return Mismatch(
            "rollback",
            f"SageMaker rolled back: the endpoint serves the older configuration {live.config_name}, not "
            f"{target.config_name}, and reports InService{reason}. The last `pulumi up` may have reported success "
            "(terraform-provider-aws #46663, #48997); see the endpoint's events, fix the cause, deploy again",
        )
    made_by = config_tags(aws, serving).get(CREATED_BY_TAG) if serving is not None else None
    if made_by:
        return Mismatch(
            "drift",
            f"serves {live.config_name}, made by `{made_by}`, not the plan's "
            f"{target.config_name}; change the blueprint to match (README: Operating a live platform) or deploy it",
        )
    return Mismatch(
        "drift",
        f"serves {live.config_name}, which the plan does not make (it expects {target.config_name}){reason}",
    )


def _variant_mismatches(target: EndpointTarget, live: LiveEndpoint, scaling: dict[str, ScalingRange]) -> list[Mismatch]:
    found: list[Mismatch] = []
    planned_names = [v.name for v in target.variants]
    live_names = [v.name for v in live.variants]
    if sorted(planned_names) != sorted(live_names):
        return [Mismatch("drift", f"variants are {', '.join(live_names)}; the plan has {', '.join(planned_names)}")]
    if not same_split(target.weights, live.desired_weights):
        found.append(
            Mismatch(
                "drift",
                f"traffic is {show_split(live.desired_weights, planned_names)}; the blueprint says "
                f"{show_split(target.weights, planned_names)}",
            )
        )
    for variant in target.variants:
        live_variant = live.variant(variant.name)
        if live_variant is None or variant.instance_count is None or live_variant.desired_count is None:
            continue
        bounds = target.scaling.get(variant.name)
        count = live_variant.desired_count
        if bounds is None and count != variant.instance_count:
            found.append(
                Mismatch("drift", f"{variant.name} runs {count} instances; the blueprint says {variant.instance_count}")
            )
        elif bounds is not None and not bounds.minimum <= count <= bounds.maximum:
            found.append(
                Mismatch(
                    "drift",
                    f"{variant.name} runs {count} instances, outside the blueprint's autoscaling "
                    f"{bounds.minimum}-{bounds.maximum}",
                )
            )
    for name, bounds in sorted(target.scaling.items()):
        registered = scaling.get(name)
        if registered is None:
            found.append(Mismatch("drift", f"{name} is not registered with Application Auto Scaling"))
        elif registered != bounds:
            found.append(
                Mismatch(
                    "drift",
                    f"{name} scales {registered.minimum}-{registered.maximum}; the blueprint says "
                    f"{bounds.minimum}-{bounds.maximum}",
                )
            )
    planned_shadow = sorted(v.name for v in target.shadow_variants)
    live_shadow = sorted(v.name for v in live.shadow_variants)
    if planned_shadow != live_shadow:
        found.append(
            Mismatch(
                "drift",
                f"shadow variants are {', '.join(live_shadow) or 'none'}; "
                f"the plan has {', '.join(planned_shadow) or 'none'}",
            )
        )
    return found


def endpoint_status(aws: Aws, target: EndpointTarget) -> EndpointStatus:
    live = read_endpoint(aws, target.endpoint_name)
    _, rollout = Ledger(aws, target.endpoint_name).latest()
    if live is None:
        return EndpointStatus(
            target,
            None,
            mismatches=(Mismatch("not-deployed", f"{target.endpoint_name} does not exist: run `pulumi up`"),),
            rollout=rollout,
        )
    scaling = scalable_targets(aws, target.endpoint_name, sorted(target.scaling))
    alarms = alarm_states(aws, list(target.alarm_names))
    mismatches: list[Mismatch] = []
    if live.status == "Failed":
        mismatches.append(Mismatch("failed", f"the endpoint failed: {live.failure_reason or 'no reason given'}"))
    elif live.status in CHANGING:
        mismatches.append(Mismatch("updating", f"{live.status}: a change is under way; run status again when it ends"))
    config = _config_mismatch(aws, target, live)
    if config is not None:
        mismatches.append(config)
    elif live.status not in CHANGING:
        mismatches.extend(_variant_mismatches(target, live, scaling))
        if live.failure_reason and live.status == "InService":
            # The configuration is the plan's, so the failure is of a later change (weights, capacity).
            mismatches.append(Mismatch("failed", f"the last update failed: {live.failure_reason}"))
    missing = sorted(set(target.alarm_names) - set(alarms))
    if missing:
        mismatches.append(Mismatch("drift", f"alarms missing: {', '.join(missing)}"))
    return EndpointStatus(
        target,
        live,
        scaling=scaling,
        alarms=alarms,
        mismatches=tuple(mismatches),
        rollout=rollout,
        rollout_abandoned=rollout is not None and abandoned(rollout),
    )


def environment_status(aws: Aws, targets: Sequence[EndpointTarget]) -> list[EndpointStatus]:
    return [endpoint_status(aws, target) for target in targets]
