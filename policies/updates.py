"""Update rules: what a `pulumi up` over the deployed stack would do must not take serving down.

They judge an update plan (`mlstack check --base REV` or `--base-plan FILE`): the steps the
providers' own replace rules give for the change (`stack.plan.lifecycle`). Under the Pulumi CLI,
`pulumi preview` itself shows these operations; CrossGuard hands policies no operations, so these
rules run offline only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mlstack.policies.framework import Rule, UpdateStepView, UpdateView, Violation
from mlstack.policies.sagemaker import ENDPOINT_CONFIG, ENDPOINTS, SCALING_TARGET
from mlstack.policies.settings import Level, PolicySettings

PROD_MANDATORY: Mapping[str, Level] = {"prod": "mandatory", "*": "advisory"}
SCALING_UPDATE_DOC = "https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling-update.html"


def _endpoint_kept(update: UpdateView, _settings: PolicySettings) -> Iterator[Violation]:
    for step in update.steps:
        if step.type not in ENDPOINTS:
            continue
        if step.op == "replace":
            order = (
                "deleted first, so it serves nothing until the new one is InService"
                if step.delete_before_replace
                else "replaced: clients of the old endpoint lose it"
            )
            reasons = ", ".join(step.replace_reasons)
            yield Violation(f"endpoint {step.name} would be {order} ({reasons} changed)", step.urn)
        elif step.op == "delete":
            yield Violation(f"endpoint {step.name} would be deleted", step.urn)


ENDPOINT_KEPT = Rule(
    name="update-keeps-endpoints",
    description="Checks whether an update leaves every live SageMaker endpoint in place (no replace, no delete).",
    severity="critical",
    remediation=(
        "Change the endpoint through its configuration (variants, models, capture) and rollout, which update it "
        "in place. If deleting it is intended, suppress this rule for it with a reason."
    ),
    check=_endpoint_kept,
    kind="update",
    default_levels=PROD_MANDATORY,
)


def _in_use_deleted_first(update: UpdateView, _settings: PolicySettings) -> Iterator[Violation]:
    names = {step.urn: step.name for step in update.steps}
    for step in update.steps:
        if step.op == "replace" and step.delete_before_replace and step.dependents:
            users = ", ".join(sorted(names.get(u, u.rsplit("::", 1)[-1]) for u in step.dependents))
            yield Violation(
                f"{step.name} would be deleted before its replacement exists ({', '.join(step.replace_reasons)} "
                f"changed) while {users} use it",
                step.urn,
            )


IN_USE_DELETED_FIRST = Rule(
    name="update-no-delete-before-replace-in-use",
    description=(
        "Checks whether every resource an update replaces while others use it is created before the old one is deleted."
    ),
    severity="high",
    remediation=(
        "Give the resource a name that changes with what forces the replacement (mlstack's content-versioned names) "
        "and delete_before_replace=False, or make the change in a way the provider updates in place."
    ),
    check=_in_use_deleted_first,
    kind="update",
    default_levels=PROD_MANDATORY,
)


# Resources that hold data or identity others depend on: replacing one loses what it held.
STATEFUL_TYPES = {
    "aws:sagemaker/featureGroup:FeatureGroup": "its online and offline store records",
    "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer": "its experiments and runs",
    "aws:sagemaker/modelPackageGroup:ModelPackageGroup": "every registered model version",
    "aws:s3/bucket:Bucket": "every artifact, capture and feedback object",
    "aws:kms/key:Key": "the key everything is encrypted with (deletion is scheduled, data becomes unreadable)",
}


def _stateful_kept(update: UpdateView, _settings: PolicySettings) -> Iterator[Violation]:
    for step in update.steps:
        lost = STATEFUL_TYPES.get(step.type)
        if lost is None or step.op not in ("replace", "delete"):
            continue
        if step.op == "delete":
            yield Violation(f"{step.name} would be deleted, and with it {lost}", step.urn)
            continue
        reasons = ", ".join(step.replace_reasons)
        same_name = _same_physical_name(step)
        how = (
            "; its replacement would be created first under the same name, which AWS refuses, so the update "
            "fails at this resource"
            if same_name and not step.delete_before_replace
            else ""
        )
        yield Violation(f"{step.name} would be replaced ({reasons} changed), losing {lost}{how}", step.urn)


def _same_physical_name(step: UpdateStepView) -> bool:
    old, new = step.old_inputs or {}, step.new_inputs or {}
    for key in ("featureGroupName", "trackingServerName", "modelPackageGroupName", "bucket", "name"):
        if key in new:
            return bool(old.get(key) == new.get(key))
    return False


STATEFUL_KEPT = Rule(
    name="update-keeps-stateful-resources",
    description=(
        "Checks whether an update leaves every resource that holds data (feature groups, MLflow servers, model "
        "registries, the artifact bucket, the platform key) in place."
    ),
    severity="critical",
    remediation=(
        "Make the change without replacing the resource: pulumi-aws replaces a feature group for a new feature "
        "and for a new role or description, and an MLflow server for a new role. Add a feature group under a new "
        "name instead (and move readers to it), or change it with the AWS API and run `pulumi refresh`."
    ),
    check=_stateful_kept,
    kind="update",
    default_levels=PROD_MANDATORY,
)


def _variants(config_inputs: Mapping[str, Any] | None) -> dict[str, str]:
    """variant name -> instance type (serverless variants have none)."""
    variants = (config_inputs or {}).get("productionVariants") or []
    return {
        str(v.get("variantName")): str(v.get("instanceType"))
        for v in variants
        if isinstance(v, Mapping) and v.get("variantName")
    }


def _endpoint_name(inputs: Mapping[str, Any] | None) -> str | None:
    if not inputs:
        return None
    name = inputs.get("endpointName", inputs.get("name"))
    return name if isinstance(name, str) else None


def _config_named(update: UpdateView, name: Any, side: str) -> UpdateStepView | None:
    steps: list[UpdateStepView] = list(update.steps)
    for step in steps:
        inputs = step.old_inputs if side == "old" else step.new_inputs
        if step.type == ENDPOINT_CONFIG and inputs and inputs.get("name") == name:
            return step
    return None


def _scaling_blocks_update(update: UpdateView, _settings: PolicySettings) -> Iterator[Violation]:
    # Application Auto Scaling fails UpdateEndpoint when it would change the instance type of, or
    # remove, a variant that is a registered scalable target; the target must be deregistered first.
    # Pulumi deletes (or updates) targets only after the endpoint update, so the update would fail.
    registered: dict[str, set[str]] = {}
    for step in update.steps:
        if step.type == SCALING_TARGET and step.old_inputs:
            resource_id = str(step.old_inputs.get("resourceId", ""))
            parts = resource_id.split("/")
            if len(parts) == 4 and parts[0] == "endpoint" and parts[2] == "variant":
                registered.setdefault(parts[1], set()).add(parts[3])
    for step in update.steps:
        if step.type not in ENDPOINTS or step.op not in ("update", "same") or not step.old_inputs:
            continue
        name = _endpoint_name(step.old_inputs)
        old_config_name = step.old_inputs.get("endpointConfigName")
        new_config_name = (step.new_inputs or {}).get("endpointConfigName")
        if name is None or old_config_name == new_config_name or name not in registered:
            continue
        old_config = _config_named(update, old_config_name, "old")
        new_config = _config_named(update, new_config_name, "new")
        if old_config is None or new_config is None:
            continue
        before, after = _variants(old_config.old_inputs), _variants(new_config.new_inputs)
        for variant in sorted(registered[name]):
            if variant not in before:
                continue
            if variant not in after:
                yield Violation(
                    f"endpoint {name}: the update removes variant {variant}, which stays registered with "
                    "Application Auto Scaling until after the update, so UpdateEndpoint fails",
                    step.urn,
                )
            elif before[variant] != after[variant]:
                yield Violation(
                    f"endpoint {name}: the update changes variant {variant} from {before[variant]} to "
                    f"{after[variant]} while it is registered with Application Auto Scaling, so UpdateEndpoint fails",
                    step.urn,
                )


SCALING_BLOCKS_UPDATE = Rule(
    name="update-autoscaled-variant-change",
    description=(
        "Checks whether an endpoint update leaves the instance type and the presence of every autoscaled variant "
        "unchanged, as Application Auto Scaling requires."
    ),
    severity="high",
    remediation=(
        "Deploy in two steps: first remove the endpoint's `autoscaling` (that update deregisters its variants), "
        "then change the instance type or remove the variant and restore `autoscaling`. Or add a variant with the "
        f"new instance type beside the old one and move traffic to it. {SCALING_UPDATE_DOC}"
    ),
    check=_scaling_blocks_update,
    kind="update",
    default_levels=PROD_MANDATORY,
)

RULES: tuple[Rule, ...] = (ENDPOINT_KEPT, STATEFUL_KEPT, IN_USE_DELETED_FIRST, SCALING_BLOCKS_UPDATE)
