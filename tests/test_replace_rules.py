"""The provider replace-rule table covers what the program emits and reads the sources right."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import pytest

from mlstack.blueprints.load import validate_file
from mlstack.stack.plan import plan_file
from mlstack.stack.plan.engine import UNKNOWN_TEXT, PlannedResource
from mlstack.stack.plan.replace_rules import (
    K8S_AUTONAMED_ANNOTATION,
    RULES,
    UNKNOWN,
    UnknownResourceType,
    changed_paths,
    provider_delete_before_replace,
    replace_reasons,
    rule_for,
)
from tests.conftest import EXAMPLES

MODEL = "aws:sagemaker/model:Model"
ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
TF_ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
NATIVE_ENDPOINT = "aws-native:sagemaker:Endpoint"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DATA_QUALITY = "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
RDS = "aws:rds/instance:Instance"
INFERENCE_COMPONENT = "aws-native:sagemaker:InferenceComponent"


@lru_cache(maxsize=1)
def planned_custom_resources() -> dict[str, PlannedResource]:
    """One planned resource of every custom type, over every example and environment."""
    found: dict[str, PlannedResource] = {}
    for path in sorted(EXAMPLES.glob("*.yaml")):
        blueprint, _warnings = validate_file(path)
        for environment in blueprint.environments:
            _resolved, plan = plan_file(path, environment)
            for resource in plan.resources:
                if resource.custom:
                    found.setdefault(resource.type, resource)
    return found


def test_every_planned_custom_type_has_a_rule() -> None:
    planned = planned_custom_resources()
    assert len(planned) > 30
    missing = sorted(t for t in planned if t not in RULES)
    assert not missing, f"add a ReplaceRule for {missing}"


def test_unknown_literal_matches_the_engine() -> None:
    assert UNKNOWN == UNKNOWN_TEXT


def test_unknown_type_is_a_key_error() -> None:
    with pytest.raises(UnknownResourceType):
        rule_for("aws:nope/nope:Nope")
    with pytest.raises(KeyError):
        replace_reasons("aws:nope/nope:Nope", {}, {})


_SOURCE = re.compile(r"^[\w.-]+/[\w.-]+(@[0-9a-f]{40})?:[\w./-]+\.(go|json)")


@pytest.mark.parametrize("rule", list(RULES.values()), ids=lambda r: r.type)
def test_every_rule_cites_a_repository_and_path(rule: Any) -> None:
    assert rule.source, rule.type
    assert _SOURCE.match(rule.source), rule.source
    assert rule.type == rule_for(rule.type).type


@pytest.mark.parametrize("rule", list(RULES.values()), ids=lambda r: r.type)
def test_rules_are_internally_consistent(rule: Any) -> None:
    if rule.updatable:
        assert rule.force_new == ("*",), "updatable only qualifies a ('*',) rule"
    assert not (rule.delete_before_replace_when_named and rule.name_input is None)
    assert not (rule.delete_before_replace_when_kept and rule.name_input is None)
    assert not (rule.delete_before_replace_when_kept and rule.delete_before_replace_when_named)
    if rule.type.startswith("kubernetes:"):
        assert rule.force_new[:2] == ("metadata.name", "metadata.namespace"), rule.type
    assert len(set(rule.force_new)) == len(rule.force_new)


# --- changed_paths -----------------------------------------------------------------------------------


def test_changed_paths_indexes_lists_and_counts_one_sided_keys() -> None:
    old: dict[str, Any] = {"productionVariants": [{"initialInstanceCount": 1, "variantName": "a"}], "tags": {"t": "1"}}
    new: dict[str, Any] = {
        "productionVariants": [{"initialInstanceCount": 2, "variantName": "a"}, {"variantName": "b"}],
        "kmsKeyArn": "arn:k",
        "tags": {"t": "1"},
    }
    assert changed_paths(old, new) == [
        "kmsKeyArn",
        "productionVariants[0].initialInstanceCount",
        "productionVariants[1]",
    ]


def test_changed_paths_ignores_bookkeeping_and_nulls() -> None:
    old: dict[str, Any] = {"name": "m", "__defaults": [], "vpcConfig": None}
    new = {"name": "m", "__defaults": ["name"]}
    assert changed_paths(old, new) == []


# --- real cases from the sources ---------------------------------------------------------------------


def _model(image: str, **extra: Any) -> dict[str, Any]:
    return {
        "executionRoleArn": "arn:aws:iam::000000000000:role/x",
        "name": "m-1",
        "primaryContainer": {"image": image, "mode": "SingleModel", "modelDataUrl": "s3://b/m.tar.gz"},
        "tags": {"team": "a"},
        **extra,
    }


def test_model_image_change_replaces() -> None:
    assert replace_reasons(MODEL, _model("img:1"), _model("img:2")) == ["primaryContainer"]


def test_model_tags_change_updates() -> None:
    assert replace_reasons(MODEL, _model("img:1"), _model("img:1", tags={"team": "b"})) == []


def test_model_unknown_value_replaces() -> None:
    assert replace_reasons(MODEL, _model("img:1"), _model(UNKNOWN)) == ["primaryContainer"]


def _config(weights: list[int], **extra: Any) -> dict[str, Any]:
    variants = [
        {"initialInstanceCount": 1, "initialVariantWeight": w, "instanceType": "ml.m5.large", "variantName": f"v{i}"}
        for i, w in enumerate(weights)
    ]
    return {"name": "cfg-1", "productionVariants": variants, "tags": {"t": "x"}, **extra}


def test_endpoint_configuration_weight_change_replaces() -> None:
    assert replace_reasons(ENDPOINT_CONFIG, _config([90, 10]), _config([50, 50])) == ["productionVariants"]


def test_endpoint_configuration_added_variant_replaces() -> None:
    assert replace_reasons(ENDPOINT_CONFIG, _config([100]), _config([90, 10])) == ["productionVariants"]


def test_endpoint_configuration_tags_update() -> None:
    assert replace_reasons(ENDPOINT_CONFIG, _config([1]), _config([1], tags={"t": "y"})) == []


def _alarm(threshold: float, **extra: Any) -> dict[str, Any]:
    return {
        "comparisonOperator": "GreaterThanThreshold",
        "evaluationPeriods": 3,
        "metricName": "ModelLatency",
        "name": "a-latency",
        "namespace": "AWS/SageMaker",
        "period": 60,
        "statistic": "Average",
        "threshold": threshold,
        **extra,
    }


def test_metric_alarm_threshold_change_updates() -> None:
    assert replace_reasons(ALARM, _alarm(100), _alarm(250, evaluationPeriods=5)) == []


def test_metric_alarm_rename_replaces() -> None:
    assert replace_reasons(ALARM, _alarm(100), _alarm(100, name="b-latency")) == ["name"]


def _native_endpoint(**extra: Any) -> dict[str, Any]:
    return {
        "endpointConfigName": "cfg-1",
        "endpointName": "pricing",
        "deploymentConfig": {"blueGreenUpdatePolicy": {"terminationWaitInSeconds": 300}},
        "tags": [{"key": "team", "value": "a"}],
        **extra,
    }


def test_native_endpoint_config_and_deployment_changes_update() -> None:
    changed = _native_endpoint(
        endpointConfigName="cfg-2",
        deploymentConfig={"autoRollbackConfiguration": {"alarms": [{"alarmName": "x"}]}},
        tags=[{"key": "team", "value": "b"}],
    )
    assert replace_reasons(NATIVE_ENDPOINT, _native_endpoint(), changed) == []


def test_native_endpoint_rename_replaces_and_deletes_first() -> None:
    assert replace_reasons(NATIVE_ENDPOINT, _native_endpoint(), _native_endpoint(endpointName="p2")) == ["endpointName"]
    # aws-native asks for delete-before-replace whether or not the name was set.
    assert provider_delete_before_replace(NATIVE_ENDPOINT, {"endpointConfigName": "cfg-1"})


def test_inference_component_updates_everything_in_place() -> None:
    component = planned_custom_resources()[INFERENCE_COMPONENT].inputs
    rolled = _with(component, "specification.modelName", "assistants-prod-small-models-intent-0badc0de")
    scaled = _with(component, "runtimeConfig.copyCount", 3)
    bigger = _with(component, "specification.computeResourceRequirements.minMemoryRequiredInMb", 32768)
    moved = {**component, "endpointName": "elsewhere", "variantName": "other", "tags": []}
    for new in (rolled, scaled, bigger, moved):
        assert replace_reasons(INFERENCE_COMPONENT, component, new) == []
    assert rule_for(INFERENCE_COMPONENT).force_new == ()
    assert "rename" in rule_for(INFERENCE_COMPONENT).note


def _tf_endpoint(deployment: dict[str, Any] | None) -> dict[str, Any]:
    inputs: dict[str, Any] = {"endpointConfigName": "cfg-1", "name": "pricing"}
    if deployment is not None:
        inputs["deploymentConfig"] = deployment
    return inputs


def test_tf_endpoint_adding_auto_rollback_replaces() -> None:
    blue_green = {"blueGreenUpdatePolicy": {"terminationWaitInSeconds": 0}}
    with_rollback = {**blue_green, "autoRollbackConfiguration": {"alarms": [{"alarmName": "x"}]}}
    assert replace_reasons(TF_ENDPOINT, _tf_endpoint(blue_green), _tf_endpoint(with_rollback)) == [
        "deploymentConfig.autoRollbackConfiguration"
    ]
    assert replace_reasons(TF_ENDPOINT, _tf_endpoint(None), _tf_endpoint(with_rollback)) == [
        "deploymentConfig.autoRollbackConfiguration"
    ]


def test_tf_endpoint_alarm_edits_and_config_switch_update() -> None:
    before = {"autoRollbackConfiguration": {"alarms": [{"alarmName": "x"}]}}
    after = {"autoRollbackConfiguration": {"alarms": [{"alarmName": "x"}, {"alarmName": "y"}]}}
    old, new = _tf_endpoint(before), {**_tf_endpoint(after), "endpointConfigName": "cfg-2"}
    assert replace_reasons(TF_ENDPOINT, old, new) == []


def _data_quality(**extra: Any) -> dict[str, Any]:
    return {
        "dataQualityAppSpecification": {"imageUri": "img:1"},
        "jobResources": {"clusterConfig": {"instanceCount": 1, "instanceType": "ml.m5.xlarge", "volumeSizeInGb": 20}},
        "name": "dq-1",
        "roleArn": "arn:aws:iam::000000000000:role/x",
        "tags": {"team": "a"},
        **extra,
    }


def test_data_quality_tags_update_because_tags_are_not_force_new() -> None:
    assert replace_reasons(DATA_QUALITY, _data_quality(), _data_quality(tags={"team": "b"})) == []


def test_data_quality_nested_change_replaces() -> None:
    bigger = {"clusterConfig": {"instanceCount": 2, "instanceType": "ml.m5.xlarge", "volumeSizeInGb": 20}}
    assert replace_reasons(DATA_QUALITY, _data_quality(), _data_quality(jobResources=bigger)) == ["jobResources"]


def test_native_model_quality_tags_replace() -> None:
    kind = "aws-native:sagemaker:ModelQualityJobDefinition"
    old = {"jobDefinitionName": "mq", "tags": [{"key": "team", "value": "a"}]}
    new = {"jobDefinitionName": "mq", "tags": [{"key": "team", "value": "b"}]}
    assert replace_reasons(kind, old, new) == ["tags"]


def test_feature_definitions_replace_but_ttl_updates() -> None:
    kind = "aws:sagemaker/featureGroup:FeatureGroup"
    base = {
        "featureDefinitions": [{"featureName": "id", "featureType": "String"}],
        "featureGroupName": "fg",
        "onlineStoreConfig": {"enableOnlineStore": True},
    }
    more = {
        **base,
        "featureDefinitions": [*base["featureDefinitions"], {"featureName": "x", "featureType": "Integral"}],
    }
    ttl = {**base, "onlineStoreConfig": {"enableOnlineStore": True, "ttlDuration": {"unit": "Days", "value": 7}}}
    assert replace_reasons(kind, base, more) == ["featureDefinitions"]
    assert replace_reasons(kind, base, ttl) == []
    # Not auto-named: the bridge lets a same-name replacement create first.
    assert not provider_delete_before_replace(kind, base)


def test_identical_inputs_need_nothing() -> None:
    for kind in (MODEL, ENDPOINT_CONFIG, TF_ENDPOINT, NATIVE_ENDPOINT, ALARM, DATA_QUALITY):
        assert replace_reasons(kind, _model("i"), _model("i")) == []


# --- delete-before-replace ---------------------------------------------------------------------------


def test_named_model_asks_to_delete_first() -> None:
    assert provider_delete_before_replace(MODEL, _model("img:1"))


def test_unnamed_model_does_not() -> None:
    unnamed = {k: v for k, v in _model("img:1").items() if k != "name"}
    assert not provider_delete_before_replace(MODEL, unnamed)


def test_auto_named_model_does_not() -> None:
    # After Check the generated name is listed in __defaults; it is not the program's name.
    assert not provider_delete_before_replace(MODEL, {**_model("img:1"), "__defaults": ["name"]})


def test_providers_are_never_replaced() -> None:
    for kind in ("pulumi:providers:aws", "pulumi:providers:aws-native"):
        assert replace_reasons(kind, {"region": "eu-west-1"}, {"region": "us-east-1"}) == []


# A rename replaces everything the program names, except an HTTP API, whose name is updatable, an
# RDS instance, which TF renames in place (ModifyDBInstance NewDBInstanceIdentifier), and an inference
# component, whose schema has no create-only property at all.
_RENAME_UPDATES = {"aws:apigatewayv2/api:Api", RDS, INFERENCE_COMPONENT}


def _with(inputs: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `inputs` with the dot-separated `path` set to `value` (intermediate maps copied)."""
    head, _, rest = path.partition(".")
    if not rest:
        return {**inputs, head: value}
    return {**inputs, head: _with(dict(inputs.get(head) or {}), rest, value)}


def test_renaming_a_planned_resource_replaces_it() -> None:
    for kind, resource in planned_custom_resources().items():
        rule = rule_for(kind)
        assert replace_reasons(kind, resource.inputs, resource.inputs) == [], kind
        if rule.name_input is None or kind in _RENAME_UPDATES:
            continue
        path = rule.name_input
        if path.split(".")[0] not in resource.inputs:
            continue
        renamed = _with(resource.inputs, path, "renamed-by-test")
        assert replace_reasons(kind, resource.inputs, renamed) == [path], kind
        # A Kubernetes rename creates the new object first; a bridged name deletes first.
        assert provider_delete_before_replace(kind, renamed, old=resource.inputs) == (
            rule.delete_before_replace_when_named or rule.delete_before_replace_always
        ), kind


def test_rds_rename_updates_in_place() -> None:
    db = planned_custom_resources()[RDS].inputs
    assert replace_reasons(RDS, db, {**db, "identifier": "lab-prod-mlflow-2"}) == []


# --- Kubernetes (pulumi-kubernetes forceNewProperties) ------------------------------------------------


def _deployment() -> dict[str, Any]:
    return dict(planned_custom_resources()[DEPLOYMENT].inputs)


def _image(inputs: dict[str, Any], image: str) -> dict[str, Any]:
    spec = inputs["spec"]
    pod = spec["template"]["spec"]
    containers = [{**pod["containers"][0], "image": image}, *pod["containers"][1:]]
    template = {**spec["template"], "spec": {**pod, "containers": containers}}
    return {**inputs, "spec": {**spec, "template": template}}


def test_deployment_image_change_is_patched_in_place() -> None:
    old = _deployment()
    new = _image(old, "123456789012.dkr.ecr.eu-west-1.amazonaws.com/gnn-scorer:1.5.0")
    assert changed_paths(old, new) == ["spec.template.spec.containers[0].image"]
    assert replace_reasons(DEPLOYMENT, old, new) == []
    assert replace_reasons(DEPLOYMENT, old, _with(old, "spec.replicas", 7)) == []


def test_deployment_selector_change_replaces_and_deletes_first_when_named() -> None:
    old = _deployment()
    new = _with(old, "spec.selector.matchLabels", {"app.kubernetes.io/name": "gnn-scorer-v2"})
    assert replace_reasons(DEPLOYMENT, old, new) == ["spec.selector"]
    # Same program-set name and namespace: the provider deletes the old Deployment first.
    assert provider_delete_before_replace(DEPLOYMENT, new, old=old)
    assert provider_delete_before_replace(DEPLOYMENT, new)


def test_deployment_selector_change_with_rename_creates_first() -> None:
    old = _deployment()
    new = _with(_with(old, "spec.selector.matchLabels", {"app": "x"}), "metadata.name", "gnn-scorer-2")
    assert replace_reasons(DEPLOYMENT, old, new) == ["metadata.name", "spec.selector"]
    assert not provider_delete_before_replace(DEPLOYMENT, new, old=old)


def test_autonamed_kubernetes_object_creates_first() -> None:
    old = _deployment()
    annotations = {**old["metadata"].get("annotations", {}), K8S_AUTONAMED_ANNOTATION: "true"}
    new = _with(_with(old, "metadata.annotations", annotations), "spec.selector.matchLabels", {"a": "b"})
    assert replace_reasons(DEPLOYMENT, old, new) == ["spec.selector"]
    assert not provider_delete_before_replace(DEPLOYMENT, new, old=old)


def test_namespace_move_replaces_every_kubernetes_object() -> None:
    for kind, resource in planned_custom_resources().items():
        if not kind.startswith("kubernetes:") or "namespace" not in resource.inputs.get("metadata", {}):
            continue
        moved = _with(resource.inputs, "metadata.namespace", "elsewhere")
        assert replace_reasons(kind, resource.inputs, moved) == ["metadata.namespace"], kind
        assert not provider_delete_before_replace(kind, moved, old=resource.inputs), kind


def test_service_type_updates_but_cluster_ip_replaces() -> None:
    kind = "kubernetes:core/v1:Service"
    old = planned_custom_resources()[kind].inputs
    assert replace_reasons(kind, old, _with(old, "spec.type", "NodePort")) == []
    assert replace_reasons(kind, old, _with(old, "spec.clusterIP", "10.0.0.10")) == ["spec.clusterIP"]


def test_secret_data_change_replaces_with_the_default_provider() -> None:
    kind = "kubernetes:core/v1:Secret"
    old = planned_custom_resources()[kind].inputs
    assert replace_reasons(kind, old, {**old, "stringData": {"uri": "postgresql://new"}}) == ["stringData"]
    labels = {**old["metadata"]["labels"], "team": "other"}
    assert replace_reasons(kind, old, _with(old, "metadata.labels", labels)) == []


def test_policy_v1_budget_and_cron_job_spec_changes_are_patched() -> None:
    budget = "kubernetes:policy/v1:PodDisruptionBudget"
    old = planned_custom_resources()[budget].inputs
    assert replace_reasons(budget, old, _with(old, "spec.maxUnavailable", 2)) == []
    cron = "kubernetes:batch/v1:CronJob"
    old = planned_custom_resources()[cron].inputs
    assert replace_reasons(cron, old, _with(old, "spec.schedule", "17 3 * * *")) == []
    assert replace_reasons(cron, old, _with(old, "spec.jobTemplate.spec.backoffLimit", 5)) == []


def test_custom_resource_spec_changes_are_patched() -> None:
    kind = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
    old = planned_custom_resources()[kind].inputs
    assert replace_reasons(kind, old, _with(old, "spec.rules", [])) == []


def test_kubernetes_provider_namespace_updates_but_kubeconfig_replaces() -> None:
    kind = "pulumi:providers:kubernetes"
    assert replace_reasons(kind, {"namespace": "a"}, {"namespace": "b"}) == []
    assert replace_reasons(kind, {"namespace": "a"}, {"namespace": "a", "kubeconfig": UNKNOWN}) == ["kubeconfig"]


# --- the MLflow database and its password -------------------------------------------------------------


def test_rds_engine_version_and_password_update_but_db_name_replaces() -> None:
    db = planned_custom_resources()[RDS].inputs
    assert replace_reasons(RDS, db, {**db, "engineVersion": "17", "password": "rotated"}) == []
    assert replace_reasons(RDS, db, {**db, "dbName": "tracking"}) == ["dbName"]
    # A new KMS key is unknown at preview time, and an unknown ForceNew value replaces the database.
    keyed = {**db, "kmsKeyId": "arn:aws:kms:eu-west-1:000000000000:key/1"}
    assert replace_reasons(RDS, keyed, {**keyed, "kmsKeyId": UNKNOWN}) == ["kmsKeyId"]
    # The identifier is auto-named in pulumi-aws v7 and the program sets it: a replacement deletes first.
    assert provider_delete_before_replace(RDS, db)


def test_any_random_password_change_regenerates_it() -> None:
    kind = "random:index/randomPassword:RandomPassword"
    old = planned_custom_resources()[kind].inputs
    assert replace_reasons(kind, old, {**old, "length": 48}) == ["length"]
    assert replace_reasons(kind, old, {**old, "overrideSpecial": "-_"}) == ["overrideSpecial"]
    assert replace_reasons(kind, old, {**old, "keepers": {"rotation": "2026-09"}}) == ["keepers"]


def test_security_group_rules_update_but_description_replaces() -> None:
    kind = "aws:ec2/securityGroup:SecurityGroup"
    old = planned_custom_resources()[kind].inputs
    assert replace_reasons(kind, old, {**old, "ingress": []}) == []
    assert replace_reasons(kind, old, {**old, "description": "PostgreSQL"}) == ["description"]
    assert provider_delete_before_replace(kind, old)


def test_pod_identity_role_updates_but_service_account_replaces() -> None:
    kind = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
    old = planned_custom_resources()[kind].inputs
    assert replace_reasons(kind, old, {**old, "roleArn": "arn:aws:iam::000000000000:role/other"}) == []
    assert replace_reasons(kind, old, {**old, "serviceAccount": "other"}) == ["serviceAccount"]
    assert not provider_delete_before_replace(kind, old)


def test_bucket_metric_filter_updates() -> None:
    kind = "aws:s3/bucketMetric:BucketMetric"
    old = planned_custom_resources()[kind].inputs
    assert replace_reasons(kind, old, {**old, "filter": {"prefix": "drift/other/"}}) == []
    assert replace_reasons(kind, old, {**old, "bucket": "other-bucket"}) == ["bucket"]


def test_step_scaling_configuration_is_put_in_place() -> None:
    kind = "aws:appautoscaling/policy:Policy"
    wake: dict[str, Any] = {
        "name": "a-intent-scale-from-zero",
        "policyType": "StepScaling",
        "resourceId": "inference-component/a-intent",
        "scalableDimension": "sagemaker:inference-component:DesiredCopyCount",
        "serviceNamespace": "sagemaker",
        "stepScalingPolicyConfiguration": {
            "adjustmentType": "ChangeInCapacity",
            "cooldown": 60,
            "metricAggregationType": "Maximum",
            "stepAdjustments": [{"metricIntervalLowerBound": "0", "scalingAdjustment": 1}],
        },
    }
    slower = _with(wake, "stepScalingPolicyConfiguration.cooldown", 120)
    steeper = _with(wake, "stepScalingPolicyConfiguration.stepAdjustments", [{"scalingAdjustment": 2}])
    assert replace_reasons(kind, wake, slower) == replace_reasons(kind, wake, steeper) == []
    assert replace_reasons(kind, wake, {**wake, "resourceId": "inference-component/a-other"}) == ["resourceId"]
