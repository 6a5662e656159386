"""Model monitoring and on-call: monitoring job encryption, data capture under monitors, alarms."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from mlstack.policies.framework import (
    Proof,
    ResourceView,
    Rule,
    StackIndex,
    StackView,
    Violation,
    bool_input,
    environment_of,
    has_key,
    index_of,
    is_prod,
    items,
    object_input,
    peek,
    per_resource,
    proven_key,
    string_input,
    typed_input,
)
from mlstack.policies.sagemaker import (
    ENDPOINT_CONFIG,
    ENDPOINTS,
    METRIC_ALARM,
    MONITORING_JOB_DEFINITIONS,
    MONITORING_SCHEDULE,
    component_hosts,
    config_of,
    endpoint_name_of,
    endpoint_named,
)
from mlstack.policies.settings import PolicySettings


def _job_output_kms(args: ResourceView, _settings: PolicySettings) -> Iterator[str | Proof]:
    key = next((str(k) for k in args.props if str(k).endswith("JobOutputConfig")), None)
    # The output config also carries the S3 URI, which comes from the bucket: the graph cannot say
    # which of the two feeds kmsKeyId, so an unknown key here stays advisory.
    proof = proven_key(args, key, "kmsKeyId") if key is not None else None
    if proof is not None:
        yield proof
    elif key is None or not string_input(args.props, key, "kmsKeyId"):
        yield f"monitoring job definition {args.name} does not encrypt its S3 output with a KMS key"


def _job_volume_kms(args: ResourceView, _settings: PolicySettings) -> Iterator[str | Proof]:
    proof = proven_key(args, "jobResources", "clusterConfig", "volumeKmsKeyId")
    if proof is not None:
        yield proof
    elif not string_input(args.props, "jobResources", "clusterConfig", "volumeKmsKeyId"):
        yield f"monitoring job definition {args.name} does not encrypt its processing volume with a KMS key"


def _job_inter_container(args: ResourceView, _settings: PolicySettings) -> Iterator[str]:
    if bool_input(args.props, "networkConfig", "enableInterContainerTrafficEncryption") is not True:
        yield f"monitoring job definition {args.name} does not encrypt traffic between its containers"


MONITORING_OUTPUT_KMS = Rule(
    name="sagemaker-monitoring-output-kms",
    description="Checks whether SageMaker model monitoring job definitions encrypt their S3 output with a KMS key.",
    severity="high",
    remediation="Set kmsKeyId in the job definition's output config (the platform key).",
    check=_job_output_kms,
    kind="resource",
    resource_types=MONITORING_JOB_DEFINITIONS,
    reads_graph=True,
    checkov=("CKV_AWS_367",),
)

MONITORING_VOLUME_KMS = Rule(
    name="sagemaker-monitoring-volume-kms",
    description=(
        "Checks whether SageMaker model monitoring job definitions encrypt their processing volumes with a KMS key."
    ),
    severity="high",
    remediation="Set jobResources.clusterConfig.volumeKmsKeyId (the platform key).",
    check=_job_volume_kms,
    kind="resource",
    resource_types=MONITORING_JOB_DEFINITIONS,
    reads_graph=True,
    checkov=("CKV_AWS_368",),
)

MONITORING_INTER_CONTAINER = Rule(
    name="sagemaker-monitoring-inter-container-encryption",
    description="Checks whether SageMaker model monitoring job definitions encrypt inter-container traffic.",
    severity="medium",
    remediation="Set networkConfig.enableInterContainerTrafficEncryption: true.",
    check=_job_inter_container,
    kind="resource",
    resource_types=MONITORING_JOB_DEFINITIONS,
    checkov=("CKV_AWS_369",),
)


def _find_endpoint_name(value: Any) -> str | None:
    """The first `endpointName` anywhere in a job definition (its place differs per job type)."""
    if isinstance(value, Mapping):
        if has_key(value, "endpointName"):
            return str(value["endpointName"])
        for key in value:
            found = _find_endpoint_name(value[key])
            if found:
                return found
    elif not isinstance(value, str):
        for item in items(value):
            found = _find_endpoint_name(item)
            if found:
                return found
    return None


def _jobs_by_name(index: StackIndex) -> dict[str, Any]:
    """Job definitions by `name` (pulumi-aws) or `jobDefinitionName` (aws-native): the first of each."""
    found: dict[str, Any] = {}
    for job in index.of_type(*MONITORING_JOB_DEFINITIONS):
        for prop in ("name", "jobDefinitionName"):
            name = peek(job.props, prop)
            if isinstance(name, str):
                found.setdefault(name, job)
    return found


def _job_definition(schedule: Any, resources: Sequence[Any]) -> Any | None:
    index = index_of(resources)
    wanted = peek(schedule.props, "monitoringScheduleConfig", "monitoringJobDefinitionName")
    named = index.memo("jobs-by-name", lambda: _jobs_by_name(index))
    if isinstance(wanted, str) and wanted in named:
        return named[wanted]
    depended = index.depended_on(schedule, *MONITORING_JOB_DEFINITIONS)
    return depended[0] if len(depended) == 1 else None


def _monitored_capture(args: StackView, _settings: PolicySettings) -> Iterator[Violation]:
    resources = args.resources

    def check(schedule: Any) -> Iterator[str]:
        job = _job_definition(schedule, resources)
        if job is None:
            yield f"monitoring schedule {schedule.name}: its job definition is not in this stack"
            return
        endpoint_name = _find_endpoint_name(job.props)
        if endpoint_name is None:
            return  # a batch-transform monitor: no endpoint to capture from
        endpoint = endpoint_named(endpoint_name, resources)
        if endpoint is None:
            yield f"monitoring schedule {schedule.name} watches endpoint {endpoint_name}, which is not in this stack"
            return
        config = config_of(endpoint, resources)
        capture = object_input(config.props, "dataCaptureConfig") if config is not None else None
        if capture is None or bool_input(capture, "enableCapture") is False:
            yield (
                f"monitoring schedule {schedule.name} watches endpoint {endpoint_name}, which captures no data: "
                "the monitor will have nothing to analyse"
            )

    yield from per_resource(index_of(resources).of_type(MONITORING_SCHEDULE), check)


MONITORED_ENDPOINT_CAPTURES = Rule(
    name="monitored-endpoint-captures-data",
    description="Checks whether every endpoint watched by a drift monitor (monitoring schedule) captures request data.",
    severity="high",
    remediation="Turn on data_capture for the endpoint the monitor watches.",
    check=_monitored_capture,
    kind="stack",
)

LATENCY_METRICS = frozenset({"ModelLatency", "OverheadLatency"})
ERROR_METRICS = frozenset({"Invocation5XXErrors", "Invocation4XXErrors", "ModelError", "InvocationModelErrors"})


def _scope(dimensions: Any, hosts: Mapping[str, str]) -> str | None:
    """The endpoint a metric's dimensions scope it to: its EndpointName, else the endpoint hosting
    the inference component it names (SageMaker reports a component's invocation, latency and error
    metrics with the InferenceComponentName dimension alone)."""
    endpoint = peek(dimensions, "EndpointName")
    if isinstance(endpoint, str):
        return endpoint
    component = peek(dimensions, "InferenceComponentName")
    return hosts.get(component) if isinstance(component, str) else None


def _alarm_metrics(alarm: Any, hosts: Mapping[str, str]) -> dict[str, set[str]]:
    """The metric names of `alarm` by the endpoint each is scoped to (plain or metric-math alarms);
    `hosts` gives the endpoint of each inference component, by its name."""
    props = alarm.props
    found: dict[str, set[str]] = {}
    endpoint, metric = _scope(peek(props, "dimensions"), hosts), peek(props, "metricName")
    if endpoint is not None and metric:
        found.setdefault(endpoint, set()).add(str(metric))
    for query in items(peek(props, "metricQueries")):
        endpoint = _scope(peek(query, "metric", "dimensions"), hosts)
        if endpoint is not None:
            found.setdefault(endpoint, set()).add(str(peek(query, "metric", "metricName")))
    return found


def _alarms_by_endpoint(index: StackIndex) -> dict[str, list[tuple[Any, set[str]]]]:
    """Each endpoint name's alarms, with the metrics each watches on it, in stack order."""
    hosts = component_hosts(index.resources)
    found: dict[str, list[tuple[Any, set[str]]]] = {}
    for alarm in index.of_type(METRIC_ALARM):
        for endpoint, metrics in _alarm_metrics(alarm, hosts).items():
            found.setdefault(endpoint, []).append((alarm, metrics))
    return found


def _pages_someone(alarm: Any) -> bool:
    """Whether the alarm has actions: a non-empty alarmActions list (its ARNs may be unknown)."""
    actions = typed_input(alarm.props, "alarmActions", kind="list")
    return actions is not None and len(actions) > 0


def _prod_alarms(args: StackView, settings: PolicySettings) -> Iterator[Violation]:
    index = index_of(args.resources)
    alarms = index.memo("alarms-by-endpoint", lambda: _alarms_by_endpoint(index))

    def check(endpoint: Any) -> Iterator[str]:
        if not is_prod(environment_of(endpoint.props, settings)):
            return
        name = endpoint_name_of(endpoint.props)
        watching = alarms.get(name, []) if name is not None else []
        wired = [metrics for alarm, metrics in watching if _pages_someone(alarm)]
        metrics = set().union(*wired)
        missing = [
            kind for kind, wanted in (("latency", LATENCY_METRICS), ("error", ERROR_METRICS)) if not metrics & wanted
        ]
        if missing:
            yield (
                f"prod endpoint {endpoint.name} has no {' or '.join(missing)} alarm with alarmActions "
                "(nobody is paged when it degrades)"
            )

    yield from per_resource(index.of_type(*ENDPOINTS), check)


PROD_ENDPOINT_ALARMS = Rule(
    name="sagemaker-prod-endpoint-alarms",
    description=(
        "Checks whether every prod endpoint has latency and error alarms that notify someone (non-empty alarmActions). "
        "An alarm on an inference component (dimension InferenceComponentName) counts for the endpoint hosting it."
    ),
    severity="high",
    remediation="Add alarms (p99_latency_ms, error_rate) to the endpoint and an on-call destination.",
    check=_prod_alarms,
    kind="stack",
)


def _async_error_notifications(args: ResourceView, settings: PolicySettings) -> Iterator[str]:
    if not is_prod(environment_of(args.props, settings)):
        return
    if object_input(args.props, "asyncInferenceConfig") is None:
        return
    if not string_input(args.props, "asyncInferenceConfig", "outputConfig", "notificationConfig", "errorTopic"):
        failures = peek(args.props, "asyncInferenceConfig", "outputConfig", "s3FailurePath")
        where = failures if isinstance(failures, str) else "S3"
        yield (
            f"prod asynchronous endpoint configuration {args.name} publishes failed requests to no SNS topic "
            f"(asyncInferenceConfig.outputConfig.notificationConfig.errorTopic): a failure is found only by "
            f"polling {where}"
        )


PROD_ASYNC_ERROR_NOTIFICATIONS = Rule(
    name="sagemaker-prod-async-error-notifications",
    description=(
        "Checks whether every prod asynchronous endpoint configuration (asyncInferenceConfig) publishes failed "
        "requests to an SNS topic (outputConfig.notificationConfig.errorTopic)."
    ),
    severity="medium",
    remediation=(
        "Set the endpoint's async.notifications.errors to topic or on-call (not none), which sets errorTopic; "
        "on-call needs monitoring.on_call."
    ),
    check=_async_error_notifications,
    kind="resource",
    resource_types=(ENDPOINT_CONFIG,),
)

RULES = (
    MONITORING_OUTPUT_KMS,
    MONITORING_VOLUME_KMS,
    MONITORING_INTER_CONTAINER,
    MONITORED_ENDPOINT_CAPTURES,
    PROD_ENDPOINT_ALARMS,
    PROD_ASYNC_ERROR_NOTIFICATIONS,
)
