"""The blueprint language: frozen pydantic models whose field names are the product's API.

`shared/blueprints/reference.yaml` is the contract. Sections are added here one issue at a time;
each model forbids unknown fields so a typo is an error, never a silently ignored setting.
Rules that span fields or sections live in `blueprints.rules`, not here, so that all problems
are found in one pass and reported together.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from mlstack.components.images import CONTAINERS, FRAMEWORKS
from mlstack.components.naming import LOG_RETENTION_DAYS, OTHER_LOG_DAYS, PROD_LOG_DAYS

# The largest number a blueprint may hold. Past it, JSON readers lose integer precision (2^53 is
# about 9e15), and a count times a price times 730 hours can overflow a float to infinity.
MAX_NUMBER = 10**15


class Strict(BaseModel):
    """Base for every blueprint model: immutable, unknown fields are errors, and numbers are finite.

    YAML's `.inf` and `.nan` are floats: they would pass `gt=0`-style bounds (NaN compares false with
    everything) and print as "nan% of traffic" or `Infinity`, which is not JSON. Every float field
    refuses them, and every number is at most MAX_NUMBER in magnitude.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False, allow_inf_nan=False)

    @field_validator("*", mode="after", check_fields=False)
    @classmethod
    def _bounded(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
            raise PydanticCustomError(
                "number_too_large",
                "numbers in a blueprint are at most 10^15 in magnitude: past that, JSON loses precision "
                "and cost figures overflow",
            )
        return value


# SageMaker names are `[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`; we also forbid upper case so that the
# same name is valid for S3 prefixes and Kubernetes objects.
Name = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", min_length=1, max_length=40),
]
EnvironmentName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]*$", min_length=1, max_length=12)]
S3Uri = Annotated[str, StringConstraints(pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$")]
# An image URI is judged by `rules.image_refs`, not here: a constraint failing here would print the
# value back, and a URI may carry credentials. The JSON schema still tells editors the shape.
IMAGE_URI_MAX_LENGTH = 255
ImageUri = Annotated[str, Field(json_schema_extra={"pattern": r"^\S+$", "maxLength": IMAGE_URI_MAX_LENGTH})]


# EKS cluster names: 1-100 characters, `^[0-9A-Za-z][A-Za-z0-9\-_]*` (CreateCluster API).
ClusterName = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][A-Za-z0-9\-_]*$", min_length=1, max_length=100)]
# Kubernetes object names here are DNS-1035 labels: a Service name must be one.
KubernetesName = Annotated[str, StringConstraints(pattern=r"^[a-z]([a-z0-9-]*[a-z0-9])?$", min_length=1, max_length=40)]
# A Kubernetes resource quantity (`500m`, `2`, `4Gi`): the API's canonical forms, without exponents.
Quantity = Annotated[str, StringConstraints(pattern=r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$", max_length=20)]


class Network(Strict):
    """The environment's VPC: endpoints and jobs run inside it."""

    vpc_id: Annotated[str, StringConstraints(pattern=r"^vpc-[0-9a-f]{8,17}$")]
    # SageMaker's VpcConfig allows at most 16 subnets and 5 security groups.
    subnet_ids: Annotated[
        list[Annotated[str, StringConstraints(pattern=r"^subnet-[0-9a-f]{8,17}$")]],
        Field(min_length=1, max_length=16),
    ]
    security_group_ids: Annotated[
        list[Annotated[str, StringConstraints(pattern=r"^sg-[0-9a-f]{8,17}$")]],
        Field(min_length=1, max_length=5),
    ]


class Budget(Strict):
    """Which estimate the budget rule holds to `budget_usd_month`."""

    enforce: Literal["baseline", "ceiling"] = Field(
        default="baseline",
        description="`baseline`: the estimate at autoscaling minimums must fit the budget; a ceiling (autoscaling "
        "maximums) over it is advisory. `ceiling`: the ceiling must fit too.",
    )


class Environment(Strict):
    """One deployment target (dev, staging, prod): its budget, network and overrides."""

    budget_usd_month: Annotated[float, Field(gt=0)] | None = Field(
        default=None, description="Monthly budget in USD that the environment's estimate must stay within."
    )
    budget: Budget | None = Field(
        default=None, description="How `budget_usd_month` is enforced: `{enforce: ceiling}` holds the ceiling to it."
    )
    network: Network | None = Field(default=None, description="VPC to run in; prod should set one.")
    cluster: ClusterName | None = Field(
        default=None,
        description="EKS cluster of this environment's Kubernetes services (default `<blueprint>-<environment>`). "
        "Credentials come from stack config (`kubernetes:kubeconfig`, `kubernetes:context`) or the ambient "
        "kubeconfig, never from the blueprint.",
    )
    overrides: dict[str, Any] = Field(
        default_factory=dict,
        description="Dotted paths into the blueprint with the value for this environment; "
        "list items are addressed by their `name`, e.g. `endpoints.ranker.variants.champion.instances`.",
    )


# Container environment variable names (SageMaker's EnvironmentKey pattern).
EnvironmentKey = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$", max_length=1024)]


class PipelineStep(Strict):
    """One container of a serial inference pipeline: a filter, the model, business rules.

    A step with no `image` and no `framework` is the model's own container (its framework, image or
    large-model container, and its `model_data`).
    """

    name: Name = Field(description="The container's hostname in the pipeline, unique within it.")
    framework: str | None = Field(
        default=None, description="SageMaker framework image.", json_schema_extra={"enum": list(FRAMEWORKS)}
    )
    framework_version: str | None = Field(default=None, description='Framework version, quoted: "1.2-1".')
    image: ImageUri | None = Field(default=None, description="Your own container image URI.")
    model_data: S3Uri | None = Field(default=None, description="S3 URI of this step's model.tar.gz, if it has one.")
    environment: dict[EnvironmentKey, Annotated[str, StringConstraints(max_length=1024)]] = Field(
        default_factory=dict, description="Environment variables of this container (at most 100)."
    )


class Model(Strict):
    """A model artifact and the container that serves it.

    Exactly one way to name the container: `framework` + `framework_version` (a SageMaker
    framework image), `image` (your own image), or `container` (a large-model container).
    """

    framework: str | None = Field(
        default=None, description="SageMaker framework image.", json_schema_extra={"enum": list(FRAMEWORKS)}
    )
    framework_version: str | None = Field(default=None, description='Framework version, quoted: "2.6".')
    image: ImageUri | None = Field(default=None, description="Your own container image URI.")
    container: str | None = Field(
        default=None,
        description="Large-model inference container, resolved to a SageMaker-published image.",
        json_schema_extra={"enum": list(CONTAINERS)},
    )
    model_data: S3Uri = Field(description="S3 URI of model.tar.gz, or an S3 prefix of uncompressed weights.")
    parameters_billions: Annotated[float, Field(gt=0, le=10_000)] | None = Field(
        default=None, description="Model size in billions of parameters; sizes GPU memory for large models."
    )
    dtype: Literal["fp32", "fp16", "bf16", "fp8", "int8", "int4"] | None = Field(
        default=None, description="Precision the weights are served in."
    )
    tensor_parallel_degree: Annotated[int, Field(ge=1, le=64)] | None = Field(
        default=None, description="GPUs one copy of the model is sharded over; must divide the instance's GPUs."
    )
    model_group: str | None = Field(
        default=None, description="The registry model group this model's versions are registered in."
    )
    pipeline: list[PipelineStep] | None = Field(
        default=None,
        description="A serial inference pipeline: containers called in order, each one's response the next one's "
        "request (CreateModel Containers with InferenceExecutionConfig Serial), at most 15. Exactly one step names "
        "no image or framework: it is this model's own container.",
        json_schema_extra={"maxItems": 15},
    )


class Variant(Strict):
    """A production variant: a model on instances, taking a weighted share of traffic."""

    name: Name
    model: str = Field(description="Key of the model in this endpoint's `models`.")
    instance_type: str = Field(description="SageMaker endpoint instance type, e.g. ml.g5.xlarge.")
    instances: Annotated[int, Field(ge=1)] = 1
    weight: float = Field(default=1.0, description="Relative traffic weight; shares are weight / sum.")


Percent = Annotated[float, Field(gt=0, le=100)]


class Shadow(Strict):
    """A shadow variant: gets a copy of live traffic; its answers are logged, never returned."""

    name: Name
    model: str = Field(description="Key of the model in this endpoint's `models`.")
    instance_type: str
    instances: Annotated[int, Field(ge=1)] = 1
    sample_percent: Percent = Field(description="Share of live requests copied to the shadow.")


class Fallback(Strict):
    """A known-good model kept deployed (as a SageMaker Model) for day-2 rollback."""

    model: str = Field(description="Key of the model in this endpoint's `models`.")


class Rollout(Strict):
    """How a changed endpoint shifts traffic to the new fleet, with automatic rollback on its alarms."""

    strategy: Literal["all-at-once", "canary", "linear", "rolling"]
    canary_percent: Annotated[int, Field(ge=1, le=99)] | None = Field(
        default=None, description="canary: share of capacity that takes traffic first."
    )
    step_percent: Annotated[int, Field(ge=1, le=99)] | None = Field(
        default=None, description="linear: share of capacity shifted per step; rolling: share replaced per batch."
    )
    bake_minutes: Annotated[int, Field(ge=0, le=60)] = Field(
        default=10, description="Minutes to watch the alarms after each step before going on."
    )


class Alarms(Strict):
    """CloudWatch alarms on the endpoint; they also roll a rollout back."""

    p99_latency_ms: Annotated[float, Field(gt=0)] | None = Field(
        default=None, description="Alarm when p99 model latency exceeds this many milliseconds."
    )
    error_rate: Annotated[float, Field(gt=0, lt=1)] | None = Field(
        default=None, description="Alarm when 5xx errors / invocations exceeds this fraction."
    )


class Autoscaling(Strict):
    """Instance count bounds for each variant, and the target-tracking metric."""

    min: Annotated[int, Field(ge=0)] = Field(
        description="Fewest instances per variant; 0 only for an `async` endpoint, which then scales out from zero "
        "when requests queue."
    )
    max: Annotated[int, Field(ge=1)]
    target_invocations_per_instance: Annotated[int, Field(ge=1)] | None = None
    target_gpu_utilization: Annotated[float, Field(gt=0, le=100)] | None = Field(
        default=None, description="Average GPU utilisation in percent of all the instance's GPUs."
    )
    target_backlog_per_instance: Annotated[float, Field(gt=0)] | None = Field(
        default=None,
        description="async endpoints: queued requests per instance (ApproximateBacklogSizePerInstance) to hold.",
    )
    # AWS's own example: scale in slowly (a lull is often brief), scale out sooner; new SageMaker
    # instances take minutes to serve, so a shorter scale-out cooldown would stack launches.
    # https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-add-code-define.html
    scale_in_cooldown_seconds: Annotated[int, Field(ge=0, le=3600)] = 600
    scale_out_cooldown_seconds: Annotated[int, Field(ge=0, le=3600)] = 300


class Serverless(Strict):
    """Serverless inference: pay per request, no instances."""

    memory_mb: Literal[1024, 2048, 3072, 4096, 5120, 6144]
    max_concurrency: Annotated[int, Field(ge=1, le=200)]
    provisioned_concurrency: Annotated[int, Field(ge=1, le=200)] | None = None


class Routing(Strict):
    """How SageMaker picks an instance for each request."""

    strategy: Literal["least-outstanding-requests", "random"] = "random"
    sticky_sessions: bool = Field(
        default=False, description="Route a client's session to the same instance (stateful sessions)."
    )


class DataCapture(Strict):
    """Capture requests and responses to the artifact bucket, KMS-encrypted."""

    sample_percent: Annotated[int, Field(ge=1, le=100)]


class Traffic(Strict):
    """Expected load; prices usage-billed (serverless) endpoints."""

    requests_per_day: Annotated[float, Field(ge=0)]
    mean_duration_ms: Annotated[float, Field(gt=0)] = Field(description="Mean compute time per request.")


class Copies(Strict):
    """How many copies of an inference component run; autoscaled between the two."""

    min: Annotated[int, Field(ge=0)] = Field(description="Fewest copies; 0 lets the component scale to zero.")
    max: Annotated[int, Field(ge=1)]


class InferenceComponent(Strict):
    """A model on an endpoint's shared instances, with the compute each copy reserves."""

    name: Name
    model: str = Field(description="Key of the model in this endpoint's `models`.")
    cpu_cores: Annotated[float, Field(ge=0.25)] | None = Field(
        default=None, description="CPU cores reserved per copy (NumberOfCpuCoresRequired, at least 0.25)."
    )
    accelerators: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="GPUs (or Neuron devices) reserved per copy (NumberOfAcceleratorDevicesRequired)."
    )
    memory_mb: Annotated[int, Field(ge=128)] = Field(
        description="Memory reserved per copy in MiB (MinMemoryRequiredInMb, at least 128)."
    )
    copies: Copies
    target_invocations_per_copy: Annotated[float, Field(gt=0)] | None = Field(
        default=None,
        description="Invocations per copy per minute to hold (SageMakerInferenceComponentInvocationsPerCopy); "
        "needed when copies.min < copies.max.",
    )


class Fleet(Strict):
    """The instances an inference-component endpoint's components share, scaled by SageMaker itself."""

    instance_type: str = Field(description="SageMaker endpoint instance type, e.g. ml.g5.12xlarge.")
    min_instances: Annotated[int, Field(ge=0)] = Field(
        description="Fewest instances (ManagedInstanceScaling MinInstanceCount); 0 scales the endpoint to zero."
    )
    max_instances: Annotated[int, Field(ge=1)] = Field(description="Most instances (MaxInstanceCount).")


class AsyncNotifications(Strict):
    """Where SageMaker says that an asynchronous request finished."""

    success: bool = Field(default=False, description="Publish each success to a topic of this endpoint.")
    errors: Literal["topic", "on-call", "none"] = Field(
        default="topic", description="Publish each failure to a topic of this endpoint, to on-call, or nowhere."
    )


class Async(Strict):
    """Asynchronous inference: requests queue, results and failures land in the platform bucket."""

    max_concurrent_invocations_per_instance: Annotated[int, Field(ge=1, le=1000)] | None = Field(
        default=None, description="Requests each instance works on at once; unset lets SageMaker choose."
    )
    notifications: AsyncNotifications = Field(default_factory=AsyncNotifications)
    max_request_age_minutes: Annotated[int, Field(ge=1, le=1440)] = Field(
        default=60, description="Alarm when the oldest queued request is older than this."
    )


class Endpoint(Strict):
    """A SageMaker real-time, serverless or asynchronous endpoint, or one hosting inference components."""

    model_config = ConfigDict(populate_by_name=True)

    name: Name
    # Model keys become parts of SageMaker model names, and a serverless endpoint's variant name.
    models: Annotated[dict[Name, Model], Field(min_length=1)]
    # CreateEndpointConfig accepts at most 10 production variants (ProductionVariantList max).
    variants: Annotated[list[Variant], Field(max_length=10)] = Field(default_factory=list)
    shadow: Shadow | None = None
    fallback: Fallback | None = None
    rollout: Rollout | None = None
    alarms: Alarms | None = None
    autoscaling: Autoscaling | None = None
    serverless: Serverless | None = None
    routing: Routing | None = None
    data_capture: DataCapture | None = None
    traffic: Traffic | None = None
    fleet: Fleet | None = Field(default=None, description="The shared instances of `components`.")
    components: list[InferenceComponent] = Field(
        default_factory=list,
        description="Inference components instead of variants: models sharing the fleet's instances.",
    )
    asynchronous: Async | None = Field(default=None, alias="async", description="Asynchronous inference.")


class Registry(Strict):
    """Versioned models: one SageMaker model package group each."""

    model_groups: Annotated[list[Name], Field(min_length=1)]


# SageMaker feature names: `[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63}`.
FeatureName = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63}$")]


class OnlineStore(Strict):
    """Low-latency store of each record's latest values, KMS-encrypted."""

    ttl_days: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="Records expire this many days after their event time."
    )


class OfflineStore(Strict):
    """Historical store in the artifact bucket, with a Glue table for queries."""

    format: Literal["glue", "iceberg"] = "glue"


class FeatureGroup(Strict):
    """A SageMaker feature group."""

    name: Name
    record_id: str = Field(description="The feature that identifies a record.")
    event_time: str = Field(description="The feature holding each record's event time.")
    online: OnlineStore | None = None
    offline: OfflineStore | None = None
    # CreateFeatureGroup accepts at most 2500 feature definitions.
    features: Annotated[
        dict[FeatureName, Literal["string", "integral", "fractional"]], Field(min_length=1, max_length=2500)
    ]


class FeatureStore(Strict):
    """SageMaker Feature Store groups."""

    groups: Annotated[list[FeatureGroup], Field(min_length=1)]


class ExperimentTracking(Strict):
    """Experiment tracking server."""

    kind: Literal["sagemaker-mlflow", "mlflow-on-kubernetes"]
    size: Literal["Small", "Medium", "Large"] = "Small"
    image: ImageUri | None = Field(
        default=None,
        description="mlflow-on-kubernetes: the tracking server image, best your mirror pinned by digest "
        "(default ghcr.io/mlflow/mlflow:v3.10.0-full).",
    )


class Replicas(Strict):
    """How many pods serve; the HorizontalPodAutoscaler moves between the two."""

    min: Annotated[int, Field(ge=1, le=1000)] = 1
    max: Annotated[int, Field(ge=1, le=1000)] = 1


class SessionAffinity(Strict):
    """Sticky routing: every request with the same value of `header` reaches the same pod while the pool is stable."""

    header: str = Field(description="HTTP request header whose value keys the session, e.g. x-session-id.")


class Probes(Strict):
    """HTTP paths the kubelet checks."""

    liveness_path: Annotated[str, StringConstraints(pattern=r"^/\S*$")] = "/healthz"
    readiness_path: Annotated[str, StringConstraints(pattern=r"^/\S*$")] = "/ready"


class KubernetesService(Strict):
    """A model served from the team's own container on Kubernetes (what SageMaker serves poorly)."""

    name: KubernetesName
    image: ImageUri
    gpus: Annotated[int, Field(ge=0, le=8)] = Field(default=0, description="nvidia.com/gpu per pod.")
    replicas: Replicas = Field(default_factory=Replicas)
    session_affinity: SessionAffinity | None = None
    port: Annotated[int, Field(ge=1024, le=65535)] = Field(default=8080, description="Container port (non-root).")
    cpu: Quantity = Field(default="1", description="CPU per pod, requested and limited.")
    memory: Quantity = Field(default="2Gi", description="Memory per pod, requested and limited.")
    environment: dict[Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], str] = Field(
        default_factory=dict
    )
    model_data: S3Uri | None = Field(
        default=None, description="S3 prefix of the model artifacts; the pods may read exactly this."
    )
    probes: Probes = Field(default_factory=Probes)
    node_selector: dict[str, str] = Field(default_factory=dict)
    target_cpu_utilization: Annotated[int, Field(ge=1, le=100)] = 70
    target_gpu_utilization: Annotated[int, Field(ge=1, le=100)] | None = Field(
        default=None, description="Scale on GPU utilisation (needs the DCGM metrics adapter) instead of CPU."
    )


class KubernetesDrift(Strict):
    """A scheduled drift job: the image reads `source` and writes reports under drift/<name>/."""

    name: KubernetesName
    image: ImageUri
    source: S3Uri
    schedule: str = Field(description="Five-field cron, e.g. `0 * * * *`.")
    cpu: Quantity = "1"
    memory: Quantity = "2Gi"
    deadline_minutes: Annotated[int, Field(ge=1, le=1440)] = 60


class Gateway(Strict):
    """The Gateway API Gateway that routes to the services: the team's (by name), or one the stack creates."""

    name: KubernetesName = "mlstack"
    namespace: KubernetesName | None = Field(default=None, description="Default: the platform's namespace.")
    create: bool = Field(default=True, description="Create it (Envoy Gateway class `eg`), or use the team's.")
    class_name: KubernetesName = "eg"


class Kubernetes(Strict):
    """Custom serving and scheduled jobs on the environment's EKS cluster."""

    namespace: KubernetesName = Field(description="One namespace per blueprint and environment: `<namespace>-<env>`.")
    gateway: Gateway = Field(default_factory=Gateway)
    services: list[KubernetesService] = Field(default_factory=list)
    drift: list[KubernetesDrift] = Field(default_factory=list)


class Retention(Strict):
    """How long the artifact bucket keeps what it holds."""

    noncurrent_version_days: Annotated[int, Field(ge=1)] = Field(
        default=90, description="Days an overwritten or deleted object version stays recoverable."
    )
    data_capture_days: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="Days captured requests are kept; unset keeps them."
    )
    offline_store_days: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="Days offline feature-store records are kept; unset keeps them."
    )
    log_days: int | None = Field(
        default=None,
        description="Days the platform's CloudWatch log groups keep logs, one of CloudWatch's retention periods "
        f"({', '.join(str(d) for d in sorted(LOG_RETENTION_DAYS))}); unset: {PROD_LOG_DAYS} in prod "
        f"(Checkov CKV_AWS_338 asks for a year), {OTHER_LOG_DAYS} elsewhere.",
    )

    @field_validator("log_days")
    @classmethod
    def _cloudwatch_retention(cls, days: int | None) -> int | None:
        if days is not None and days not in LOG_RETENTION_DAYS:
            nearest = min(LOG_RETENTION_DAYS, key=lambda allowed: (abs(allowed - days), allowed))
            raise PydanticCustomError(
                "log_retention",
                "{days} days is not a CloudWatch Logs retention period (PutRetentionPolicy accepts only "
                "{allowed}); the nearest is {nearest}",
                {"days": days, "allowed": ", ".join(str(d) for d in sorted(LOG_RETENTION_DAYS)), "nearest": nearest},
            )
        return days


class OnCall(Strict):
    """Who gets paged: an e-mail subscription to the platform's alarm topic."""

    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class DriftMonitor(Strict):
    """A SageMaker Model Monitor schedule on an endpoint's captured traffic."""

    name: Name
    endpoint: str = Field(description="Name of the endpoint to watch; it must capture data.")
    kind: Literal["data-quality", "model-quality"]
    baseline: S3Uri = Field(description="S3 prefix holding the baseline's statistics.json and constraints.json.")
    schedule: str = Field(
        description="hourly, daily, or a SageMaker cron such as cron(0 0/6 ? * * *)",
        json_schema_extra={"examples": ["hourly", "daily", "cron(0 0/6 ? * * *)"]},
    )
    ground_truth: S3Uri | None = Field(default=None, description="model-quality: where ground-truth labels land.")
    problem_type: Literal["binary-classification", "multiclass-classification", "regression"] | None = None
    inference_attribute: str | None = Field(
        default=None, description="model-quality: the field of the model's output holding the prediction."
    )
    probability_attribute: str | None = Field(
        default=None, description="model-quality: the field of the model's output holding the probability."
    )
    probability_threshold: Annotated[float, Field(ge=0, le=1)] | None = None
    instance_type: str = Field(default="ml.m5.xlarge", description="Processing instance type of the job.")


class Monitoring(Strict):
    """Drift monitors and the on-call destination of every alarm."""

    on_call: OnCall | None = None
    drift: list[DriftMonitor] = Field(default_factory=list)


class Feedback(Strict):
    """An API that receives feedback on predictions, joined to captured requests by inference id."""

    endpoints: Annotated[list[str], Field(min_length=1)]


PolicyLevel = Literal["advisory", "mandatory", "disabled"]


class Suppression(Strict):
    """An accepted exception to a policy rule; listed in every report."""

    rule: str = Field(description="Name of the rule, e.g. prod-instance-count.")
    resources: Annotated[list[str], Field(min_length=1)] = Field(
        description="Logical resource names or globs (recsys-prod-ranker-*) the exception covers."
    )
    environments: list[EnvironmentName] | None = Field(
        default=None, description="Environments it applies to; all when unset."
    )
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10)] = Field(
        description="Why this is acceptable; shown in every report."
    )


class PolicyOptions(Strict):
    """Settings some rules read."""

    allow_gpu_in_dev: bool = False
    max_shadow_sample_percent: Annotated[float, Field(gt=0, le=100)] = 100


class Policies(Strict):
    """How the policy pack treats this blueprint: levels per rule and environment, suppressions."""

    levels: dict[str, dict[EnvironmentName, PolicyLevel]] = Field(
        default_factory=dict,
        description="Per rule, per environment: advisory, mandatory or disabled. Defaults: advisory in dev, "
        "mandatory elsewhere.",
    )
    suppressions: list[Suppression] = Field(default_factory=list)
    settings: PolicyOptions = Field(default_factory=PolicyOptions)


class Blueprint(Strict):
    """One team's ML platform across its environments."""

    blueprint: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*[a-z0-9]$", min_length=2, max_length=20)] = (
        Field(description="Stable id, part of every resource name; never change it.")
    )
    team: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    owner: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] = Field(
        description="Owner's e-mail address, tagged on every resource."
    )
    cost_center: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    region: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")]
    environments: Annotated[dict[EnvironmentName, Environment], Field(min_length=1)]
    registry: Registry | None = None
    feature_store: FeatureStore | None = None
    experiment_tracking: ExperimentTracking | None = None
    retention: Retention = Field(default_factory=Retention)
    endpoints: list[Endpoint] = Field(default_factory=list)
    monitoring: Monitoring | None = None
    feedback: Feedback | None = None
    kubernetes: Kubernetes | None = None
    policies: Policies = Field(default_factory=Policies)
