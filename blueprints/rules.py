"""Cross-field rules of the blueprint language, checked after the schema accepts the shape.

Each rule yields `(path, message)`; the caller pins the path to its YAML line. Rules never stop at
the first problem: users see everything wrong with a blueprint at once.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from blueprints.schema import Blueprint, Endpoint, Model
from components import images, instances, sizing
from components.naming import MAX_SAGEMAKER_NAME, endpoint_resource_name, platform_name

Path = tuple[str | int, ...]
Finding = tuple[Path, str]


def check(blueprint: Blueprint) -> list[Finding]:
    """Every cross-field problem in `blueprint`."""
    findings: list[Finding] = []
    findings += _duplicates([e.name for e in blueprint.endpoints], ("endpoints",), "endpoint")
    for index, endpoint in enumerate(blueprint.endpoints):
        findings += _endpoint(blueprint, endpoint, ("endpoints", index))
    findings += _registry(blueprint)
    findings += _feature_store(blueprint)
    findings += _experiment_tracking(blueprint)
    findings += _monitoring(blueprint)
    findings += _feedback(blueprint)
    findings += _policies(blueprint)
    return findings


def _policies(blueprint: Blueprint) -> Iterator[Finding]:
    environments = list(blueprint.environments)
    policies = blueprint.policies
    if policies.levels or policies.suppressions:
        # Imported only when a rule is named: the pack pulls in pulumi_policy (~0.2 s).
        from policies.rules import ALL_RULES

        known = sorted(rule.name for rule in ALL_RULES)
        named: list[tuple[Path, str]] = [(("policies", "levels", rule), rule) for rule in policies.levels]
        named += [(("policies", "suppressions", i, "rule"), s.rule) for i, s in enumerate(policies.suppressions)]
        for path, rule in named:
            if rule not in known:
                # A misspelt rule would otherwise suppress or relax nothing, silently.
                yield (path, f"no policy rule {rule!r}" + (_suggest(rule, known) or f"; rules: {', '.join(known)}"))
    for rule, by_environment in blueprint.policies.levels.items():
        for environment in by_environment:
            if environment not in environments:
                yield (
                    ("policies", "levels", rule, environment),
                    f"no environment {environment!r}; this blueprint has: {', '.join(environments)}",
                )
    for index, suppression in enumerate(blueprint.policies.suppressions):
        for environment in suppression.environments or []:
            if environment not in environments:
                yield (
                    ("policies", "suppressions", index, "environments"),
                    f"no environment {environment!r}; this blueprint has: {', '.join(environments)}",
                )


def warnings(blueprint: Blueprint) -> list[Finding]:
    """What is allowed but probably not meant; reported without failing."""
    found: list[Finding] = []
    by_name = {e.name: e for e in blueprint.endpoints}
    for index, name in enumerate(blueprint.feedback.endpoints if blueprint.feedback else []):
        endpoint = by_name.get(name)
        if endpoint is not None and endpoint.data_capture is None:
            found.append(
                (
                    ("feedback", "endpoints", index),
                    f"endpoint {name} does not capture data (endpoints.{name}.data_capture), so its feedback "
                    "cannot be joined to the requests it answers",
                )
            )
    return found


# SageMaker monitoring schedules run at most hourly, on the hour. The documented forms
# (ScheduleConfig.ScheduleExpression) are cron(0 * ? * * *), cron(0 H ? * * *) and cron(0 H/N ? * * *);
# "every N hours" is cron(0 0/N ? * * *), not */N.
_CRON = re.compile(r"^cron\(0 (\*|(\d{1,2})|(\d{1,2})/(\d{1,2})) \? \* \* \*\)$")
SCHEDULE_ALIASES = {"hourly": "cron(0 * ? * * *)", "daily": "cron(0 0 ? * * *)"}


def schedule_problem(schedule: str) -> str | None:
    """Why SageMaker would reject `schedule`, or None."""
    if schedule in SCHEDULE_ALIASES:
        return None
    match = _CRON.match(schedule)
    hour = match.group(2) or match.group(3) if match else None
    step = match.group(4) if match else None
    if match is None or (hour is not None and int(hour) > 23) or (step is not None and not 1 <= int(step) <= 24):
        return (
            f"schedule {schedule!r} is not one SageMaker accepts: use hourly, daily, cron(0 H ? * * *) or "
            "cron(0 H/N ? * * *), e.g. cron(0 0/6 ? * * *) for every 6 hours (monitoring runs at most hourly, "
            "on the hour)"
        )
    return None


def _monitoring(blueprint: Blueprint) -> Iterator[Finding]:
    if blueprint.monitoring is None:
        return
    monitors = blueprint.monitoring.drift
    yield from _duplicates([m.name for m in monitors], ("monitoring", "drift"), "monitor")
    indexes = {e.name: i for i, e in enumerate(blueprint.endpoints)}
    for index, monitor in enumerate(monitors):
        path: Path = ("monitoring", "drift", index)
        problem = schedule_problem(monitor.schedule)
        if problem:
            yield ((*path, "schedule"), problem)
        try:
            instances.lookup(monitor.instance_type, purpose="processing")
        except instances.UnknownInstanceType as error:
            yield ((*path, "instance_type"), str(error))
        if monitor.kind == "model-quality":
            for field in ("ground_truth", "problem_type"):
                if getattr(monitor, field) is None:
                    yield (path, f"a model-quality monitor needs `{field}`")
        else:
            for field in ("ground_truth", "problem_type", "inference_attribute", "probability_attribute"):
                if getattr(monitor, field) is not None:
                    yield ((*path, field), f"`{field}` applies to model-quality monitors only")
        if monitor.endpoint not in indexes:
            yield (
                (*path, "endpoint"),
                f"endpoint {monitor.endpoint!r} is not one of this blueprint's endpoints "
                f"({', '.join(indexes) or 'none'})" + _suggest(monitor.endpoint, list(indexes)),
            )
            continue
        endpoint = blueprint.endpoints[indexes[monitor.endpoint]]
        where = f"endpoints.{endpoint.name}"
        if endpoint.serverless is not None:
            yield (
                (*path, "endpoint"),
                f"endpoint {endpoint.name} ({where}) is serverless, and Model Monitor cannot watch serverless "
                "endpoints; use a scheduled job on Kubernetes instead",
            )
        elif endpoint.data_capture is None:
            yield (
                (*path, "endpoint"),
                f"endpoint {endpoint.name} has no data_capture ({where}.data_capture), and Model Monitor reads "
                "captured requests: add data_capture to the endpoint",
            )


def _feedback(blueprint: Blueprint) -> Iterator[Finding]:
    if blueprint.feedback is None:
        return
    names = [e.name for e in blueprint.endpoints]
    for index, name in enumerate(blueprint.feedback.endpoints):
        if name not in names:
            yield (
                ("feedback", "endpoints", index),
                f"endpoint {name!r} is not one of this blueprint's endpoints ({', '.join(names) or 'none'})"
                + _suggest(name, names),
            )


def _registry(blueprint: Blueprint) -> Iterator[Finding]:
    groups = blueprint.registry.model_groups if blueprint.registry else []
    counts = Counter(groups)
    for index, group in enumerate(groups):
        if counts[group] > 1 and groups.index(group) != index:
            yield (("registry", "model_groups", index), f"duplicate model group {group!r}")
        name = platform_name(blueprint.blueprint, _longest_environment(blueprint), group)
        if len(name) > MAX_SAGEMAKER_NAME:
            yield (
                ("registry", "model_groups", index),
                f"model package group name {name!r} would be {len(name)} characters; SageMaker allows "
                f"{MAX_SAGEMAKER_NAME}",
            )
    for e_index, endpoint in enumerate(blueprint.endpoints):
        for key, model in endpoint.models.items():
            if model.model_group is None or model.model_group in groups:
                continue
            path = ("endpoints", e_index, "models", key, "model_group")
            if blueprint.registry is None:
                yield (path, f"model_group {model.model_group!r} needs a `registry` section that declares it")
            else:
                yield (
                    path,
                    f"model_group {model.model_group!r} is not in registry.model_groups ({', '.join(groups)})"
                    + _suggest(model.model_group, groups),
                )


# CreateFeatureGroup: "FeatureNames cannot be any of the following: is_deleted, write_time,
# api_invocation_time" (the offline store adds those columns itself).
RESERVED_FEATURE_NAMES = ("is_deleted", "write_time", "api_invocation_time")
# "An EventTime can be a String or Fractional" (CreateFeatureGroup EventTimeFeatureName).
EVENT_TIME_TYPES = ("string", "fractional")
# Identifiers are matched exactly on GetRecord; a fractional identifier would not round-trip.
RECORD_ID_TYPES = ("string", "integral")
MAX_FEATURE_GROUP_NAME = 64


def _feature_store(blueprint: Blueprint) -> Iterator[Finding]:
    if blueprint.feature_store is None:
        return
    groups = blueprint.feature_store.groups
    yield from _duplicates([g.name for g in groups], ("feature_store", "groups"), "feature group")
    for index, group in enumerate(groups):
        path: Path = ("feature_store", "groups", index)
        name = platform_name(blueprint.blueprint, _longest_environment(blueprint), group.name)
        if len(name) > MAX_FEATURE_GROUP_NAME:
            yield (
                (*path, "name"),
                f"feature group name {name!r} would be {len(name)} characters; SageMaker allows "
                f"{MAX_FEATURE_GROUP_NAME}",
            )
        if group.online is None and group.offline is None:
            yield (path, "a feature group needs an online store, an offline store, or both")
        for field, allowed in (("record_id", RECORD_ID_TYPES), ("event_time", EVENT_TIME_TYPES)):
            feature = getattr(group, field)
            if feature not in group.features:
                yield (
                    (*path, field),
                    f"{field} {feature!r} is not one of the group's features" + _suggest(feature, list(group.features)),
                )
            elif group.features[feature] not in allowed:
                yield (
                    (*path, field),
                    f"{field} {feature!r} is {group.features[feature]}; it must be {' or '.join(allowed)}",
                )
        for feature in group.features:
            if feature.lower() in RESERVED_FEATURE_NAMES:
                yield (
                    (*path, "features", feature),
                    f"feature name {feature!r} is reserved by SageMaker Feature Store "
                    f"({', '.join(RESERVED_FEATURE_NAMES)})",
                )


SUPPORTED_TRACKING_KINDS = ("sagemaker-mlflow",)


def _experiment_tracking(blueprint: Blueprint) -> Iterator[Finding]:
    tracking = blueprint.experiment_tracking
    if tracking is not None and tracking.kind not in SUPPORTED_TRACKING_KINDS:
        yield (
            ("experiment_tracking", "kind"),
            f"kind {tracking.kind!r} is not supported yet; supported today: {', '.join(SUPPORTED_TRACKING_KINDS)}",
        )


def _longest_environment(blueprint: Blueprint) -> str:
    return max(blueprint.environments, key=len, default="")


def _suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _duplicates(names: list[str], path: tuple[str | int, ...], what: str) -> list[Finding]:
    counts = Counter(names)
    findings: list[Finding] = []
    seen: set[str] = set()
    for index, name in enumerate(names):
        if counts[name] > 1 and name in seen:
            findings.append(((*path, index, "name"), f"duplicate {what} name {name!r}"))
        seen.add(name)
    return findings


def _endpoint(blueprint: Blueprint, endpoint: Endpoint, path: Path) -> Iterator[Finding]:
    longest_env = max(blueprint.environments, key=len, default="")
    resource_name = endpoint_resource_name(blueprint.blueprint, longest_env, endpoint.name)
    if len(resource_name) > MAX_SAGEMAKER_NAME:
        yield (
            (*path, "name"),
            f"endpoint name {resource_name!r} would be {len(resource_name)} characters; SageMaker allows "
            f"{MAX_SAGEMAKER_NAME} (blueprint id + environment + endpoint name): shorten the endpoint name",
        )
    for model_name, model in endpoint.models.items():
        yield from _model(blueprint, model, (*path, "models", model_name))
    yield from _duplicates(
        [v.name for v in endpoint.variants] + ([endpoint.shadow.name] if endpoint.shadow else []),
        (*path, "variants"),
        "variant",
    )
    for index, variant in enumerate(endpoint.variants):
        variant_path = (*path, "variants", index)
        yield from _model_reference(endpoint, variant.model, (*variant_path, "model"), "variant")
        if not variant.weight > 0:
            yield ((*variant_path, "weight"), f"weight must be positive, got {variant.weight:g}")
    for host in _hosts(endpoint, path):
        yield from _host(blueprint, endpoint, host)
    if endpoint.fallback:
        yield from _model_reference(endpoint, endpoint.fallback.model, (*path, "fallback", "model"), "fallback")
    if endpoint.serverless:
        yield from _serverless(endpoint, path)
    elif not endpoint.variants:
        yield ((*path, "variants"), "an endpoint needs at least one variant, or `serverless`")
    if endpoint.shadow:
        yield from _shadow(endpoint, path)
    if endpoint.rollout:
        yield from _rollout(endpoint, path)
    if endpoint.autoscaling:
        yield from _autoscaling(endpoint, path)
    if endpoint.alarms and endpoint.alarms.error_rate and 2 * len(endpoint.variants) > MAX_ALARM_METRICS:
        yield (
            (*path, "alarms", "error_rate"),
            f"the error-rate alarm sums 5xx errors and invocations of every variant: {2 * len(endpoint.variants)} "
            f"metrics for {len(endpoint.variants)} variants, but a CloudWatch metric-math alarm takes at most "
            f"{MAX_ALARM_METRICS}; use at most {MAX_ALARM_METRICS // 2} variants with error_rate",
        )


@dataclass(frozen=True)
class _Host:
    """A production or shadow variant: something that runs a model on instances."""

    path: Path
    kind: str
    name: str
    model: str
    instance_type: str
    instances: int


def _hosts(endpoint: Endpoint, path: Path) -> list[_Host]:
    hosts = [
        _Host((*path, "variants", index), "variant", v.name, v.model, v.instance_type, v.instances)
        for index, v in enumerate(endpoint.variants)
    ]
    if endpoint.shadow:
        shadow = endpoint.shadow
        hosts.append(
            _Host((*path, "shadow"), "shadow", shadow.name, shadow.model, shadow.instance_type, shadow.instances)
        )
    return hosts


def _model_reference(endpoint: Endpoint, model: str, path: Path, what: str) -> Iterator[Finding]:
    if model not in endpoint.models:
        yield (
            path,
            f"{what} names model {model!r}, which is not in this endpoint's models "
            f"({', '.join(sorted(endpoint.models))})",
        )


def _host(blueprint: Blueprint, endpoint: Endpoint, host: _Host) -> Iterator[Finding]:
    try:
        instance = instances.lookup(host.instance_type, purpose="endpoint")
    except instances.UnknownInstanceType as error:
        yield ((*host.path, "instance_type"), str(error))
        return
    model = endpoint.models.get(host.model)
    if model is None:
        return
    if model.container is not None and not instance.has_gpu:
        yield (
            (*host.path, "instance_type"),
            f"{host.kind} {host.name} serves the {model.container} container, which needs GPUs; "
            f"{instance.name} has none",
        )
        return
    if model.tensor_parallel_degree is not None:
        problem = sizing.tensor_parallel_problem(instance, model.tensor_parallel_degree)
        if problem:
            yield ((*host.path, "instance_type"), f"{host.kind} {host.name} serves model {host.model}: {problem}")
    if model.parameters_billions is not None and model.dtype is not None:
        weights = sizing.weights_gib(model.parameters_billions, model.dtype)
        if not sizing.fits(instance, weights):
            yield ((*host.path, "instance_type"), _does_not_fit(blueprint, host, model, instance, weights))


def _does_not_fit(
    blueprint: Blueprint, host: _Host, model: Model, instance: instances.InstanceType, weights: float
) -> str:
    message = (
        f"{host.kind} {host.name}: the {model.dtype} weights of model {host.model} "
        f"({model.parameters_billions:g}B parameters) take {weights:.1f} GiB, but {instance.name} has "
        f"{instance.gpu_memory_gib:g} GiB of GPU memory, {sizing.usable_gpu_gib(instance):.1f} GiB usable "
        f"with {100 - 100 * sizing.GPU_MEMORY_HEADROOM:.0f}% headroom for the KV cache"
    )
    fit = sizing.cheapest_fit(
        weights, blueprint.region or "us-east-1", tensor_parallel_degree=model.tensor_parallel_degree
    )
    if fit is None:
        return message + "; no single SageMaker instance type holds it: quantize (dtype) or shard across endpoints"
    return (
        message + f"; the cheapest type that fits is {fit.instance.name} ({fit.instance.gpus} GPUs, "
        f"{fit.instance.gpu_memory_gib:g} GiB, ${fit.price.usd_per_hour:.2f}/h {fit.price.provenance})"
    )


def _serverless(endpoint: Endpoint, path: Path) -> Iterator[Finding]:
    serverless = endpoint.serverless
    assert serverless is not None
    not_supported = {
        "variants": bool(endpoint.variants),
        "shadow": endpoint.shadow is not None,
        "data_capture": endpoint.data_capture is not None,
        "autoscaling": endpoint.autoscaling is not None,
        "rollout": endpoint.rollout is not None,
        "routing": endpoint.routing is not None,
    }
    reasons = {
        "variants": "it serves its one model without instances or variants",
        "shadow": "SageMaker does not support shadow variants on serverless endpoints",
        "data_capture": "SageMaker cannot capture data on serverless endpoints",
        "autoscaling": "serverless endpoints scale by themselves up to max_concurrency",
        "rollout": "deployment guardrails do not support serverless endpoints",
        "routing": "routing strategies apply to instance-based variants only",
    }
    for field, present in not_supported.items():
        if present:
            yield ((*path, field), f"a serverless endpoint cannot have `{field}`: {reasons[field]}")
    served = serverless_models(endpoint)
    if len(served) != 1:
        yield (
            (*path, "models"),
            f"a serverless endpoint serves exactly one model (besides its fallback); it has {len(served)}: "
            f"{', '.join(served)}",
        )
    for key in served:
        if endpoint.models[key].container is not None:
            yield (
                (*path, "models", key, "container"),
                "large-model containers need GPUs, and serverless endpoints have none",
            )
    if serverless.provisioned_concurrency and serverless.provisioned_concurrency > serverless.max_concurrency:
        yield (
            (*path, "serverless", "provisioned_concurrency"),
            f"provisioned_concurrency {serverless.provisioned_concurrency} exceeds max_concurrency "
            f"{serverless.max_concurrency}",
        )


def serverless_models(endpoint: Endpoint) -> list[str]:
    """The models a serverless endpoint serves: all but a separate fallback."""
    fallback = endpoint.fallback.model if endpoint.fallback else None
    served = [key for key in endpoint.models if key != fallback]
    return served or ([fallback] if fallback in endpoint.models else [])


def _shadow(endpoint: Endpoint, path: Path) -> Iterator[Finding]:
    shadow = endpoint.shadow
    assert shadow is not None
    yield from _model_reference(endpoint, shadow.model, (*path, "shadow", "model"), "shadow")
    if shadow.instance_type.startswith("ml.inf1."):
        yield ((*path, "shadow", "instance_type"), "SageMaker shadow variants do not support Inf1 instances")
    if len(endpoint.variants) != 1 and not endpoint.serverless:
        yield (
            (*path, "shadow"),
            f"a shadow variant needs exactly one production variant beside it; this endpoint has "
            f"{len(endpoint.variants)} ({', '.join(v.name for v in endpoint.variants) or 'none'})",
        )


_ROLLOUT_FIELDS = {"canary": "canary_percent", "linear": "step_percent", "rolling": "step_percent"}
# TrafficRoutingConfig / RollingUpdatePolicy limits, as shares of a variant's capacity (botocore
# SageMaker model: CanarySize <= 50%, LinearStepSize 10-50%, MaximumBatchSize 5-50%).
_STEP_LIMITS = {"canary": (1, 50), "linear": (10, 50), "rolling": (5, 50)}
# A metric-math alarm may query at most 10 metrics:
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataQuery.html
MAX_ALARM_METRICS = 10
# AutoRollbackConfig.Alarms holds at most 10 alarms (botocore AlarmList max).
MAX_ROLLBACK_ALARMS = 10


def _rollout(endpoint: Endpoint, path: Path) -> Iterator[Finding]:
    rollout = endpoint.rollout
    assert rollout is not None
    here = (*path, "rollout")
    needed = _ROLLOUT_FIELDS.get(rollout.strategy)
    for field in ("canary_percent", "step_percent"):
        value = getattr(rollout, field)
        if field == needed and value is None:
            yield (here, f"strategy {rollout.strategy} needs `{field}`")
        elif field != needed and value is not None:
            users = ", ".join(s for s, f in _ROLLOUT_FIELDS.items() if f == field)
            yield ((*here, field), f"`{field}` does not apply to strategy {rollout.strategy} (it is for {users})")
        elif value is not None:
            low, high = _STEP_LIMITS[rollout.strategy]
            if not low <= value <= high:
                yield (
                    (*here, field),
                    f"{rollout.strategy} steps must be {low}-{high}% of a variant's capacity; got {value}%",
                )
    if rollout.strategy == "rolling" and len(endpoint.variants) > 1:
        yield (
            here,
            f"SageMaker does not support rolling deployments of multi-variant endpoints (this one has "
            f"{len(endpoint.variants)}); use canary, linear or all-at-once",
        )
    for host in _hosts(endpoint, path):
        if host.instance_type.startswith("ml.inf1."):
            yield (
                (*host.path, "instance_type"),
                f"deployment guardrails do not support Inf1 instances ({host.instance_type}): SageMaker would "
                "silently fall back to all-at-once without baking; drop `rollout` or use Inf2",
            )
    if endpoint.alarms:
        count = (len(endpoint.variants) if endpoint.alarms.p99_latency_ms else 0) + (
            1 if endpoint.alarms.error_rate else 0
        )
        if count > MAX_ROLLBACK_ALARMS:
            yield (
                (*path, "alarms"),
                f"this endpoint would have {count} rollback alarms (a latency alarm per variant plus the error "
                f"rate); SageMaker allows {MAX_ROLLBACK_ALARMS}",
            )


def _autoscaling(endpoint: Endpoint, path: Path) -> Iterator[Finding]:
    scaling = endpoint.autoscaling
    assert scaling is not None
    here = (*path, "autoscaling")
    if scaling.min > scaling.max:
        yield ((*here, "min"), f"min {scaling.min} is above max {scaling.max}")
    targets = [t for t in ("target_invocations_per_instance", "target_gpu_utilization") if getattr(scaling, t)]
    if len(targets) != 1:
        yield (
            here,
            "autoscaling needs exactly one target: target_invocations_per_instance or target_gpu_utilization"
            + (f"; got {' and '.join(targets)}" if targets else ""),
        )
    for index, variant in enumerate(endpoint.variants):
        variant_path = (*path, "variants", index)
        try:
            instance = instances.lookup(variant.instance_type)
        except instances.UnknownInstanceType:
            continue  # reported by the variant's own check
        if instance.burstable:
            yield (
                (*variant_path, "instance_type"),
                f"variant {variant.name}: Application Auto Scaling does not support burstable instances "
                f"({instance.name}); choose a non-burstable type or drop autoscaling",
            )
        if scaling.target_gpu_utilization and not instance.has_gpu:
            yield (
                (*here, "target_gpu_utilization"),
                f"variant {variant.name} runs on {instance.name}, which has no GPUs to measure",
            )
        if variant.instances > scaling.max:
            yield (
                (*variant_path, "instances"),
                f"variant {variant.name} starts with {variant.instances} instances, "
                f"above autoscaling max {scaling.max}",
            )


def _model(blueprint: Blueprint, model: Model, path: tuple[str | int, ...]) -> Iterator[Finding]:
    sources = [
        name
        for name, given in (
            ("framework", model.framework is not None or model.framework_version is not None),
            ("image", model.image is not None),
            ("container", model.container is not None),
        )
        if given
    ]
    if not sources:
        yield (path, "a model needs one of: framework + framework_version, image, or container")
        return
    if len(sources) > 1:
        yield (path, f"a model takes exactly one of framework, image or container; got {' and '.join(sources)}")
        return
    if sources == ["framework"]:
        if model.framework is None:
            yield ((*path, "framework"), "framework_version is set but framework is missing")
        elif model.framework not in images.FRAMEWORKS:
            yield (
                (*path, "framework"),
                f"unknown framework {model.framework!r}; supported: {', '.join(images.FRAMEWORKS)} "
                "(or give your own `image`)",
            )
        elif model.framework_version is None:
            yield ((*path, "framework_version"), f"framework {model.framework} needs a framework_version")
        elif blueprint.region:  # without a valid region there is nothing to resolve against
            try:
                # The processor does not matter here: which versions exist is what is checked.
                images.framework_image(model.framework, model.framework_version, blueprint.region, gpu=True)
            except images.UnsupportedImage as gpu_error:
                try:
                    images.framework_image(model.framework, model.framework_version, blueprint.region, gpu=False)
                except images.UnsupportedImage:
                    yield ((*path, "framework_version"), str(gpu_error))
    if (model.parameters_billions is None) != (model.dtype is None):
        yield (path, "parameters_billions and dtype go together: give both to size GPU memory, or neither")
    if model.tensor_parallel_degree is not None and sources != ["container"]:
        yield ((*path, "tensor_parallel_degree"), "tensor_parallel_degree applies to large-model `container` models")
    if sources == ["container"] and model.container not in images.CONTAINERS:
        yield (
            (*path, "container"),
            f"unknown container {model.container!r}; supported: {', '.join(images.CONTAINERS)}",
        )
