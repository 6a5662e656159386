"""The platform as one graph: what `mlstack docs` draws, built from the resolved blueprint and its plan.

One model, two renderers (`stack.docs.render`: Mermaid and DOT), so the picture on GitHub and the
SVG never disagree. Every node and flow comes from a planned resource or its inputs: endpoints and
their variants from the endpoint configurations (weights, shadow copies, data capture), the alarm
flows from each alarm's `alarmActions` dependency on the on-call topic, the Kubernetes routes from
the HTTPRoutes. The blueprint supplies what the plan only knows by physical name: which endpoint a
component is (through `Plan.sources`), a variant's model key, a monitor's endpoint.

Flows run left to right: model versions (registry) -> endpoints -> variants; endpoints -> drift
monitors (their captured traffic) -> on-call; writers -> the artifact bucket.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from mlstack.blueprints.load import ResolvedBlueprint
from mlstack.blueprints.schema import Endpoint
from mlstack.components.endpoint import MODEL_GROUP_TAG
from mlstack.components.naming import cluster_name, platform_prefix
from mlstack.stack.plan.engine import SECRET_TEXT, UNKNOWN_TEXT, Plan, PlannedResource

NodeKind = Literal[
    "endpoint",
    "variant",
    "shadow",
    "bucket",
    "key",
    "registry",
    "topic",
    "monitor",
    "api",
    "gateway",
    "service",
    "job",
    "tracking",
    "features",
    "other",
]
EdgeKind = Literal["traffic", "shadow", "data", "alarm", "control"]
"""`traffic`: requests; `shadow`: a copy of requests; `data`: objects written or read; `alarm`:
notifications; `control`: model versions and registrations."""

ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
ENDPOINT = "aws-native:sagemaker:Endpoint"
MODEL = "aws:sagemaker/model:Model"
SCALING_TARGET = "aws:appautoscaling/target:Target"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
BUCKET = "aws:s3/bucket:Bucket"
KMS_KEY = "aws:kms/key:Key"
KMS_ALIAS = "aws:kms/alias:Alias"
MODEL_GROUP = "aws:sagemaker/modelPackageGroup:ModelPackageGroup"
FEATURE_GROUP = "aws:sagemaker/featureGroup:FeatureGroup"
MLFLOW_SERVER = "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer"
SCHEDULE = "aws:sagemaker/monitoringSchedule:MonitoringSchedule"
FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
API = "aws:apigatewayv2/api:Api"
LAMBDA = "aws:lambda/function:Function"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
CRON_JOB = "kubernetes:batch/v1:CronJob"
K8S_SERVICE = "kubernetes:core/v1:Service"
GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
RDS_INSTANCE = "aws:rds/instance:Instance"

# Inputs that carry a physical name; Kubernetes objects use metadata. By type first: a monitoring job
# definition's `endpointName` names the endpoint it watches, not itself.
_NAME_INPUT_OF = {
    ENDPOINT: "endpointName",
    FEATURE_GROUP: "featureGroupName",
    MODEL_GROUP: "modelPackageGroupName",
    MLFLOW_SERVER: "trackingServerName",
    RDS_INSTANCE: "identifier",
    "aws-native:sagemaker:ModelQualityJobDefinition": "jobDefinitionName",
}
_NAME_INPUTS = ("name", "bucket")


@dataclass(frozen=True)
class Node:
    id: str
    title: str
    kind: NodeKind
    details: tuple[str, ...] = ()
    cluster: str | None = None


@dataclass(frozen=True)
class Cluster:
    id: str
    label: str
    parent: str | None = None
    one_column: bool = False
    """Draw its nodes side by side across the flow (one DOT rank): for sinks that every flow ends in."""


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str
    kind: EdgeKind
    leave: tuple[str, str] | None = None
    """(cluster, node): a flow of a whole endpoint leaves its cluster's edge, drawn from `node` (its
    first variant, at the cluster's right) rather than from the endpoint box, which would cross the
    variants. Only DOT uses it (`ltail`)."""


@dataclass(frozen=True)
class Graph:
    """Nodes in clusters (which may nest) and the flows between them, in a stable order."""

    title: str
    clusters: tuple[Cluster, ...]
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    columns: tuple[tuple[str, ...], ...] = ()
    """Nodes drawn in one column (a DOT rank) so that like stands under like: all endpoints, all variants."""

    def node(self, node_id: str) -> Node:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)


@dataclass(frozen=True)
class VariantView:
    """One variant of an endpoint as the page's traffic table shows it."""

    name: str
    model: str
    fleet: str
    share_percent: float
    """Production variants: weight / sum of weights x 100. Shadow: the share of requests copied."""
    shadow: bool = False
    component: bool = False
    """An inference component: clients name it in each request; it takes no share of the others'."""


@dataclass(frozen=True)
class EndpointView:
    name: str
    physical_name: str
    variants: tuple[VariantView, ...]
    capture_percent: float | None = None


@dataclass(frozen=True)
class Architecture:
    graph: Graph
    endpoints: tuple[EndpointView, ...]


def percent(value: float) -> str:
    """`90%`, `33.3%`: whole numbers without a decimal, others to one (0.05% stays visible)."""
    if abs(value - round(value)) < 1e-9:
        return f"{round(value)}%"
    return f"{value:.1f}%" if value >= 0.1 else f"{value:.2g}%"


def physical_name(resource: PlannedResource) -> str:
    """The name the resource has in AWS or Kubernetes, when the plan knows it; "" otherwise."""
    inputs = resource.inputs
    metadata = inputs.get("metadata")
    if resource.type.startswith("kubernetes:") and isinstance(metadata, Mapping):
        name = _known(metadata.get("name"))
        namespace = _known(metadata.get("namespace"))
        return f"{namespace}/{name}" if name and namespace else name
    for key in (_NAME_INPUT_OF.get(resource.type, "name"), *_NAME_INPUTS):
        name = _known(inputs.get(key))
        if name:
            return name
    return ""


def _known(value: object) -> str:
    return value if isinstance(value, str) and value not in (UNKNOWN_TEXT, SECRET_TEXT) else ""


def _dicts(value: object) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _number(value: object, default: float) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class _Builder:
    """Collects nodes, clusters and edges; gives each node an id both renderers accept."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.clusters: list[Cluster] = []
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.columns: dict[str, list[str]] = {}
        self._ids: set[str] = set()

    def new_id(self, *parts: str) -> str:
        # Letters, digits and underscores only: valid unquoted in DOT and Mermaid. The `n_` start keeps
        # an id from being a keyword of either (`end`, `graph`, `subgraph`, `node`...).
        base = "n_" + "_".join(re.sub(r"[^A-Za-z0-9]+", "_", part).strip("_") for part in parts)
        candidate, number = base, 2
        while candidate in self._ids:
            candidate, number = f"{base}_{number}", number + 1
        self._ids.add(candidate)
        return candidate

    def cluster(self, label: str, parent: str | None = None, *key: str, one_column: bool = False) -> str:
        cluster_id = self.new_id("cluster", *(key or (label,)))
        self.clusters.append(Cluster(cluster_id, label, parent, one_column))
        return cluster_id

    def node(
        self,
        key: Sequence[str],
        title: str,
        kind: NodeKind,
        details: Iterable[str] = (),
        cluster: str | None = None,
        column: str | None = None,
    ) -> str:
        node_id = self.new_id(*key)
        self.nodes.append(Node(node_id, title, kind, tuple(d for d in details if d), cluster))
        if column is not None:
            self.columns.setdefault(column, []).append(node_id)
        return node_id

    def edge(
        self,
        source: str | None,
        target: str | None,
        label: str,
        kind: EdgeKind,
        leave: tuple[str, str] | None = None,
    ) -> None:
        if source is not None and target is not None:
            self.edges.append(Edge(source, target, label, kind, leave))

    def graph(self) -> Graph:
        used = {node.cluster for node in self.nodes}
        # A cluster is drawn when it or a cluster inside it holds a node.
        parents = {c.id: c.parent for c in self.clusters}
        shown: set[str] = set()
        for cluster_id in used:
            probe = cluster_id
            while probe is not None and probe not in shown:
                shown.add(probe)
                probe = parents.get(probe)
        return Graph(
            self.title,
            tuple(c for c in self.clusters if c.id in shown),
            tuple(self.nodes),
            tuple(self.edges),
            tuple(tuple(ids) for ids in self.columns.values() if len(ids) > 1),
        )


@dataclass
class _Context:
    resolved: ResolvedBlueprint
    plan: Plan
    prefix: str
    by_path: dict[tuple[str | int, ...], PlannedResource] = field(default_factory=dict)
    topic_urn: str | None = None

    def below(self, component: PlannedResource) -> list[PlannedResource]:
        found: list[PlannedResource] = []
        for child in self.plan.children(component.urn):
            found.append(child)
            found += self.below(child)
        return found

    def first(self, component: PlannedResource, resource_type: str) -> PlannedResource | None:
        return next((r for r in self.below(component) if r.type == resource_type), None)

    def alarms(self, component: PlannedResource) -> int:
        """Alarms below `component` that notify the on-call topic (their `alarmActions` depend on it)."""
        if self.topic_urn is None:
            return 0
        return sum(
            1
            for resource in self.below(component)
            if resource.type == METRIC_ALARM
            and self.topic_urn in resource.property_dependencies.get("alarmActions", ())
        )

    def logical(self, physical: str) -> str:
        """`recsys-prod-ranker` -> `ranker`: the blueprint's name for a platform-prefixed one."""
        return physical.removeprefix(f"{self.prefix}-")


def architecture(resolved: ResolvedBlueprint, plan: Plan) -> Architecture:
    """The graph of `plan`, planned from `resolved`, and the traffic of each endpoint."""
    blueprint = resolved.blueprint
    prefix = platform_prefix(blueprint.blueprint, resolved.environment_name)
    context = _Context(resolved, plan, prefix)
    for resource in plan.children(None):
        path = plan.sources.get(resource.urn)
        if path is not None and not resource.custom:
            context.by_path[tuple(path)] = resource
    topic = next(iter(plan.by_type(TOPIC)), None)
    context.topic_urn = topic.urn if topic is not None else None

    build = _Builder(f"{blueprint.blueprint} / {resolved.environment_name}")
    # Cluster order is drawing order: dot places earlier clusters first within a rank.
    registry_cluster = build.cluster("Model lifecycle", None, "lifecycle")
    serving = build.cluster("SageMaker endpoints", None, "endpoints")
    kubernetes_cluster = build.cluster(_kubernetes_label(context), None, "kubernetes")
    observing = build.cluster("Monitoring and feedback", None, "monitoring")
    # The bucket, key and topic are where flows end: one column at the right, not a band across.
    platform = build.cluster("Shared platform", None, "platform", one_column=True)

    bucket, _key, topic_node = _foundation(context, build, platform)
    registry = _registry(context, build, registry_cluster)
    _tracking(context, build, registry_cluster, kubernetes_cluster, registry, bucket)
    _feature_store(context, build, registry_cluster, bucket)
    endpoints, endpoint_nodes, leaves = _endpoints(context, build, serving, registry, bucket, topic_node)
    _monitors(context, build, observing, endpoint_nodes, leaves, topic_node)
    _feedback(context, build, observing, bucket)
    _kubernetes(context, build, kubernetes_cluster, bucket, topic_node)
    _others(context, build)
    return Architecture(build.graph(), tuple(endpoints))


def _kubernetes_label(context: _Context) -> str:
    kubernetes = context.resolved.blueprint.kubernetes
    if kubernetes is None:
        return "Kubernetes"
    namespace = f"{kubernetes.namespace}-{context.resolved.environment_name}"
    cluster = cluster_name(context.prefix, context.resolved.environment.cluster)
    return f"Kubernetes: EKS {cluster}, namespace {namespace}"


def _foundation(context: _Context, build: _Builder, platform: str) -> tuple[str | None, str | None, str | None]:
    bucket = key = topic = None
    foundation = context.by_path.get(("blueprint",))
    if foundation is not None:
        below = context.below(foundation)
        retention = context.resolved.blueprint.retention
        for resource in below:
            if resource.type == BUCKET:
                bucket = build.node(
                    ("bucket",),
                    "Artifact bucket",
                    "bucket",
                    (
                        physical_name(resource) or resource.name,
                        f"versioned; old versions kept {retention.noncurrent_version_days} days",
                    ),
                    platform,
                )
            elif resource.type == KMS_KEY:
                alias = next((physical_name(r) for r in below if r.type == KMS_ALIAS), "")
                rotation = "rotation on" if resource.inputs.get("enableKeyRotation") else "rotation OFF"
                key = build.node(
                    ("kms",), "Platform KMS key", "key", (alias, f"encrypts data at rest; {rotation}"), platform
                )
    on_call = context.by_path.get(("monitoring", "on_call"))
    if on_call is not None:
        below = context.below(on_call)
        topic_resource = next((r for r in below if r.type == TOPIC), None)
        emails = [
            _known(r.inputs.get("endpoint"))
            for r in below
            if r.type == SUBSCRIPTION and r.inputs.get("protocol") == "email"
        ]
        topic = build.node(
            ("on_call",),
            "On-call topic (SNS)",
            "topic",
            (physical_name(topic_resource) if topic_resource else "", *(f"e-mails {e}" for e in emails if e)),
            platform,
        )
    return bucket, key, topic


def _registry(context: _Context, build: _Builder, cluster: str) -> str | None:
    component = context.by_path.get(("registry",))
    if component is None:
        return None
    groups = [physical_name(r) for r in context.below(component) if r.type == MODEL_GROUP]
    return build.node(
        ("registry",),
        "Model registry",
        "registry",
        (_plural(len(groups), "model package group"), *groups),
        cluster,
    )


def _tracking(
    context: _Context,
    build: _Builder,
    lifecycle: str,
    kubernetes: str,
    registry: str | None,
    bucket: str | None,
) -> None:
    component = context.by_path.get(("experiment_tracking",))
    if component is None:
        return
    server = context.first(component, MLFLOW_SERVER)
    if server is not None:
        node = build.node(
            ("tracking",),
            "MLflow tracking (SageMaker)",
            "tracking",
            (physical_name(server), f"size {server.inputs.get('trackingServerSize')}"),
            lifecycle,
        )
        if server.inputs.get("automaticModelRegistration") and registry is not None:
            build.edge(node, registry, "registers model versions", "control")
        build.edge(node, bucket, "artifacts: mlflow/", "data")
        return
    # mlflow-on-kubernetes: a Deployment behind a Service in the platform's namespace.
    service = context.first(component, K8S_SERVICE)
    database = context.first(component, RDS_INSTANCE)
    node = build.node(
        ("tracking",),
        "MLflow tracking (Kubernetes)",
        "tracking",
        (
            physical_name(service) if service is not None else "",
            f"PostgreSQL {physical_name(database)}" if database is not None else "file database in the pod",
        ),
        kubernetes,
    )
    build.edge(node, bucket, "artifacts: mlflow/", "data")


def _feature_store(context: _Context, build: _Builder, cluster: str, bucket: str | None) -> None:
    component = context.by_path.get(("feature_store",))
    if component is None:
        return
    for group in (r for r in context.below(component) if r.type == FEATURE_GROUP):
        name = physical_name(group)
        online = group.inputs.get("onlineStoreConfig")
        offline = group.inputs.get("offlineStoreConfig")
        details = [name, _plural(len(_dicts(group.inputs.get("featureDefinitions"))), "feature")]
        if isinstance(online, Mapping):
            ttl = online.get("ttlDuration")
            expiry = f", TTL {ttl.get('value')} {str(ttl.get('unit')).lower()}" if isinstance(ttl, Mapping) else ""
            details.append(f"online store{expiry}")
        node = build.node(("features", name), f"Feature group {context.logical(name)}", "features", details, cluster)
        if isinstance(offline, Mapping):
            build.edge(node, bucket, f"offline store ({offline.get('tableFormat', 'Glue')})", "data")


def _fleet(raw: Mapping[str, Any], scaling: Mapping[str, tuple[object, object]], endpoint_name: str) -> str:
    serverless = raw.get("serverlessConfig")
    if isinstance(serverless, Mapping):
        return f"serverless {serverless.get('memorySizeInMb')} MB, max concurrency {serverless.get('maxConcurrency')}"
    fleet = f"{raw.get('initialInstanceCount')} × {raw.get('instanceType')}"
    bounds = scaling.get(f"endpoint/{endpoint_name}/variant/{raw.get('variantName')}")
    return fleet + (f", autoscales {bounds[0]}-{bounds[1]}" if bounds else "")


def _rollout(endpoint: PlannedResource | None) -> str:
    deployment = endpoint.inputs.get("deploymentConfig") if endpoint is not None else None
    if not isinstance(deployment, Mapping):
        return ""
    blue_green = deployment.get("blueGreenUpdatePolicy")
    rolling = deployment.get("rollingUpdatePolicy")
    if isinstance(blue_green, Mapping):
        routing = blue_green.get("trafficRoutingConfiguration") or {}
        kind = str(routing.get("type", "")).lower().replace("_", "-")
        size = routing.get("canarySize") or routing.get("linearStepSize")
        step = f" {size.get('value')}%" if isinstance(size, Mapping) else ""
        return f"rollout {kind}{step}, bake {_number(routing.get('waitIntervalInSeconds'), 0) / 60:g} min"
    if isinstance(rolling, Mapping):
        batch = (rolling.get("maximumBatchSize") or {}).get("value")
        return f"rollout rolling {batch}% batches"
    return ""


def _endpoints(
    context: _Context,
    build: _Builder,
    serving: str,
    registry: str | None,
    bucket: str | None,
    topic: str | None,
) -> tuple[list[EndpointView], dict[str, str], dict[str, tuple[str, str] | None]]:
    views: list[EndpointView] = []
    nodes: dict[str, str] = {}
    leaves: dict[str, tuple[str, str] | None] = {}
    scaling = {
        str(r.inputs.get("resourceId")): (r.inputs.get("minCapacity"), r.inputs.get("maxCapacity"))
        for r in context.plan.by_type(SCALING_TARGET)
    }
    monitoring = context.resolved.blueprint.monitoring
    watched = {monitor.endpoint for monitor in monitoring.drift} if monitoring else set()
    for index, endpoint in enumerate(context.resolved.blueprint.endpoints):
        component = context.by_path.get(("endpoints", index))
        if component is None:
            continue
        config = context.first(component, ENDPOINT_CONFIG)
        live = context.first(component, ENDPOINT)
        physical = (physical_name(live) if live is not None else "") or f"{context.prefix}-{endpoint.name}"
        inputs: Mapping[str, Any] = config.inputs if config is not None else {}
        capture = inputs.get("dataCaptureConfig")
        capture_percent = _number(capture.get("initialSamplingPercentage"), 0) if isinstance(capture, Mapping) else None
        group = build.cluster(endpoint.name, serving, "endpoint", endpoint.name)
        details = [physical, _rollout(live)]
        if endpoint.fallback is not None:
            details.append(f"fallback model {endpoint.fallback.model} kept deployed")
        node = build.node(
            ("endpoint", endpoint.name), f"Endpoint {endpoint.name}", "endpoint", details, group, "endpoints"
        )
        nodes[endpoint.name] = node
        before = len(build.nodes)
        variants = _variants(context, build, endpoint, inputs, scaling, physical, node, group)
        leave = (group, build.nodes[before].id) if len(build.nodes) > before else None
        leaves[endpoint.name] = leave
        views.append(EndpointView(endpoint.name, physical, tuple(variants), capture_percent))
        for model in (r for r in context.below(component) if r.type == MODEL):
            tags = model.inputs.get("tags")
            model_group = tags.get(MODEL_GROUP_TAG) if isinstance(tags, Mapping) else None
            if isinstance(model_group, str):
                build.edge(registry, node, f"versions of {context.logical(model_group)}", "control")
        if capture_percent is not None and endpoint.name not in watched:
            build.edge(node, bucket, f"data capture {percent(capture_percent)}", "data", leave)
        alarms = context.alarms(component)
        if alarms:
            build.edge(node, topic, _plural(alarms, "alarm"), "alarm", leave)
    return views, nodes, leaves


def _variants(
    context: _Context,
    build: _Builder,
    endpoint: Endpoint,
    inputs: Mapping[str, Any],
    scaling: Mapping[str, tuple[object, object]],
    physical: str,
    node: str,
    group: str,
) -> list[VariantView]:
    if endpoint.components:
        return _components(context, build, endpoint, inputs, scaling, physical, node, group)
    models = {variant.name: variant.model for variant in endpoint.variants}
    if endpoint.shadow is not None:
        models[endpoint.shadow.name] = endpoint.shadow.model
    production = _dicts(inputs.get("productionVariants"))
    total = sum(_number(raw.get("initialVariantWeight"), 1.0) for raw in production) or 1.0
    views: list[VariantView] = []
    for raw in production:
        name = str(raw.get("variantName"))
        share = 100 * _number(raw.get("initialVariantWeight"), 1.0) / total
        # A serverless endpoint's one variant is named after its model.
        model = models.get(name, name)
        fleet = _fleet(raw, scaling, physical)
        views.append(VariantView(name, model, fleet, share))
        variant = build.node(
            ("variant", endpoint.name, name), f"Variant {name}", "variant", (f"model {model}", fleet), group, "variants"
        )
        build.edge(node, variant, f"{percent(share)} of traffic", "traffic")
    # SageMaker copies a shadow's share relative to the first production variant's weight.
    first_weight = _number(production[0].get("initialVariantWeight"), 1.0) if production else 1.0
    for raw in _dicts(inputs.get("shadowProductionVariants")):
        name = str(raw.get("variantName"))
        sample = 100 * _number(raw.get("initialVariantWeight"), 1.0) / (first_weight or 1.0)
        model = models.get(name, name)
        fleet = _fleet(raw, scaling, physical)
        views.append(VariantView(name, model, fleet, sample, shadow=True))
        shadow = build.node(
            ("shadow", endpoint.name, name),
            f"Shadow {name}",
            "shadow",
            (f"model {model}", fleet, "answers logged, never returned"),
            group,
            "variants",
        )
        build.edge(node, shadow, f"copy of {percent(sample)}", "shadow")
    return views


def _components(
    context: _Context,
    build: _Builder,
    endpoint: Endpoint,
    inputs: Mapping[str, Any],
    scaling: Mapping[str, tuple[object, object]],
    physical: str,
    node: str,
    group: str,
) -> list[VariantView]:
    """An inference-component endpoint: one node per component, on the fleet the configuration scales."""
    [fleet_raw] = _dicts(inputs.get("productionVariants"))[:1] or [{}]
    managed = fleet_raw.get("managedInstanceScaling")
    bounds = (
        f"{managed.get('minInstanceCount')}-{managed.get('maxInstanceCount')}" if isinstance(managed, Mapping) else "?"
    )
    fleet = f"{bounds} × {fleet_raw.get('instanceType')} (scaled by SageMaker)"
    views: list[VariantView] = []
    for component in endpoint.components:
        copies = scaling.get(f"inference-component/{physical}-{component.name}")
        count = f"{copies[0]}-{copies[1]}" if copies else f"{component.copies.min}-{component.copies.max}"
        reserved = ", ".join(
            part
            for part in (
                f"{component.accelerators} GPU" if component.accelerators else "",
                f"{component.cpu_cores:g} CPU" if component.cpu_cores else "",
                f"{component.memory_mb} MiB",
            )
            if part
        )
        shown = f"{count} copies × ({reserved})"
        views.append(VariantView(component.name, component.model, f"{shown} on {fleet}", 100.0, component=True))
        hosted = build.node(
            ("component", endpoint.name, component.name),
            f"Component {component.name}",
            "variant",
            (f"model {component.model}", shown),
            group,
            "variants",
        )
        build.edge(node, hosted, "requests naming it", "traffic")
    return views


def _monitors(
    context: _Context,
    build: _Builder,
    cluster: str,
    endpoints: Mapping[str, str],
    leaves: Mapping[str, tuple[str, str] | None],
    topic: str | None,
) -> None:
    monitoring = context.resolved.blueprint.monitoring
    for index, monitor in enumerate(monitoring.drift if monitoring else ()):
        component = context.by_path.get(("monitoring", "drift", index))
        if component is None:
            continue
        schedule = context.first(component, SCHEDULE)
        config: Mapping[str, Any] = {}
        if schedule is not None and isinstance(schedule.inputs.get("monitoringScheduleConfig"), Mapping):
            config = schedule.inputs["monitoringScheduleConfig"]
        expression = (config.get("scheduleConfig") or {}).get("scheduleExpression", monitor.schedule)
        node = build.node(
            ("monitor", monitor.name),
            f"Drift monitor {monitor.name}",
            "monitor",
            (
                physical_name(schedule) if schedule is not None else "",
                f"{monitor.kind}, {expression}",
                f"labels from {monitor.ground_truth}" if monitor.ground_truth else "",
            ),
            cluster,
        )
        endpoint = next((e for e in context.resolved.blueprint.endpoints if e.name == monitor.endpoint), None)
        capture = endpoint.data_capture.sample_percent if endpoint and endpoint.data_capture else None
        label = f"data capture {percent(capture)}" if capture is not None else "captured traffic"
        build.edge(endpoints.get(monitor.endpoint), node, label, "data", leaves.get(monitor.endpoint))
        alarms = context.alarms(component)
        if alarms:
            build.edge(node, topic, _plural(alarms, "alarm"), "alarm")


def _feedback(context: _Context, build: _Builder, cluster: str, bucket: str | None) -> None:
    component = context.by_path.get(("feedback",))
    feedback = context.resolved.blueprint.feedback
    if component is None or feedback is None:
        return
    api = context.first(component, API)
    stream = context.first(component, FIREHOSE)
    node = build.node(
        ("feedback",),
        "Feedback API",
        "api",
        (
            physical_name(api) if api is not None else "",
            "API Gateway → Lambda → Firehose",
            f"on predictions of {', '.join(feedback.endpoints)}",
        ),
        cluster,
    )
    prefix = "feedback/"
    if stream is not None and isinstance(stream.inputs.get("extendedS3Configuration"), Mapping):
        configured = str(stream.inputs["extendedS3Configuration"].get("prefix", prefix))
        prefix = configured.split("/", 1)[0] + "/"
    build.edge(node, bucket, prefix, "data")


def _kubernetes(context: _Context, build: _Builder, cluster: str, bucket: str | None, topic: str | None) -> None:
    kubernetes = context.resolved.blueprint.kubernetes
    if kubernetes is None:
        return
    gateways: dict[str, str] = {}
    created = {physical_name(r) for r in context.plan.by_type(GATEWAY)}
    for index, service in enumerate(kubernetes.services):
        component = context.by_path.get(("kubernetes", "services", index))
        if component is None:
            continue
        below = context.below(component)
        deployment = next((r for r in below if r.type == DEPLOYMENT), None)
        autoscaler = next((r for r in below if r.type == HPA), None)
        replicas = (
            f"{service.replicas.min}-{service.replicas.max} pods" if autoscaler else f"{service.replicas.min} pods"
        )
        node = build.node(
            ("service", service.name),
            f"Service {service.name}",
            "service",
            (
                physical_name(deployment) if deployment is not None else "",
                replicas + (f", {_plural(service.gpus, 'GPU')} each" if service.gpus else ""),
                f"sticky on {service.session_affinity.header}" if service.session_affinity else "",
            ),
            cluster,
        )
        for route in (r for r in below if r.type == HTTP_ROUTE):
            spec = route.inputs.get("spec")
            if not isinstance(spec, Mapping):
                continue
            paths = sorted(
                {
                    str((match.get("path") or {}).get("value", "/"))
                    for rule in _dicts(spec.get("rules"))
                    for match in _dicts(rule.get("matches"))
                }
            )
            for parent in _dicts(spec.get("parentRefs")):
                where = f"{parent.get('namespace', '')}/{parent.get('name', '')}"
                if where not in gateways:
                    origin = "created by the stack" if where in created else "the team's, not managed here"
                    gateways[where] = build.node(
                        ("gateway", where), f"Gateway {parent.get('name')}", "gateway", (where, origin), cluster
                    )
                build.edge(gateways[where], node, "HTTPRoute " + ", ".join(paths or ["/"]), "traffic")
    for index, job in enumerate(kubernetes.drift):
        component = context.by_path.get(("kubernetes", "drift", index))
        if component is None:
            continue
        cron = context.first(component, CRON_JOB)
        schedule = ""
        if cron is not None and isinstance(cron.inputs.get("spec"), Mapping):
            schedule = str(cron.inputs["spec"].get("schedule", ""))
        node = build.node(
            ("drift_job", job.name),
            f"Drift job {job.name}",
            "job",
            (physical_name(cron) if cron is not None else "", f"CronJob {schedule}".strip(), f"reads {job.source}"),
            cluster,
        )
        build.edge(node, bucket, f"reports: drift/{job.name}/", "data")
        alarms = context.alarms(component)
        if alarms:
            build.edge(node, topic, _plural(alarms, "alarm"), "alarm")


# Components drawn by the functions above, or infrastructure with no flow of its own.
_DRAWN = {
    "mlstack:foundation:Foundation",
    "mlstack:monitoring:OnCall",
    "mlstack:registry:ModelRegistry",
    "mlstack:tracking:ExperimentTracking",
    "mlstack:kubernetes:MlflowOnKubernetes",
    "mlstack:features:FeatureStore",
    "mlstack:serving:ModelEndpoint",
    "mlstack:serving:ComponentEndpoint",
    "mlstack:monitoring:DriftMonitor",
    "mlstack:feedback:FeedbackApi",
    "mlstack:kubernetes:InferenceService",
    "mlstack:kubernetes:DriftJob",
    "mlstack:kubernetes:PlatformNamespace",
}


def _others(context: _Context, build: _Builder) -> None:
    """A component this module does not know yet still appears, so the picture never hides one."""
    for resource in context.plan.children(None):
        if not resource.custom and resource.type not in _DRAWN:
            build.node(("other", resource.name), resource.name, "other", (resource.type,))
