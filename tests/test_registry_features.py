"""Model registry, feature store, experiment tracking and bucket retention: rules and components."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlstack.stack.plan import plan_file
from mlstack.stack.plan.engine import FAKE_ACCOUNT_ID, UNKNOWN_TEXT, Plan
from tests.conftest import EXAMPLES, WriteBlueprint, line_of, only_problem

EXAMPLE = (EXAMPLES / "registry-features.yaml").read_text(encoding="utf-8")
FEATURE_GROUP = "aws:sagemaker/featureGroup:FeatureGroup"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


# --- invalid blueprints ---------------------------------------------------------------------------


def test_record_id_must_be_a_declared_feature(write_blueprint: WriteBlueprint) -> None:
    text = EXAMPLE.replace("record_id: customer_id", "record_id: customer")
    assert only_problem(write_blueprint, text) == (
        f"bp.yaml:{line_of(text, 'record_id: customer')}:7: feature_store.groups.customer-features.record_id: "
        "record_id 'customer' is not one of the group's features; did you mean 'customer_id'?"
    )


def test_feature_type_must_be_known(write_blueprint: WriteBlueprint) -> None:
    text = EXAMPLE.replace("monthly_spend: fractional", "monthly_spend: float")
    assert only_problem(write_blueprint, text) == (
        f"bp.yaml:{line_of(text, 'monthly_spend: float')}:9: "
        "feature_store.groups.customer-features.features.monthly_spend: input should be 'string', 'integral' "
        "or 'fractional' (got 'float')"
    )


def test_duplicate_feature_group(write_blueprint: WriteBlueprint) -> None:
    group = EXAMPLE[EXAMPLE.index("    - name: customer-features") : EXAMPLE.index("experiment_tracking:")]
    text = EXAMPLE.replace("experiment_tracking:", group + "experiment_tracking:")
    problem = only_problem(write_blueprint, text)
    assert problem.endswith(
        "feature_store.groups.customer-features.name: duplicate feature group name 'customer-features'"
    )
    assert problem.startswith(f"bp.yaml:{line_of(EXAMPLE, 'experiment_tracking:')}:")


def test_unknown_tracking_size(write_blueprint: WriteBlueprint) -> None:
    text = EXAMPLE.replace("size: Medium", "size: Huge")
    assert only_problem(write_blueprint, text) == (
        f"bp.yaml:{line_of(text, 'size: Huge')}:3: experiment_tracking.size: input should be 'Small', 'Medium' "
        "or 'Large' (got 'Huge')"
    )


def test_unknown_model_group(write_blueprint: WriteBlueprint) -> None:
    text = EXAMPLE.replace("model_group: churn-model", "model_group: churn-modle")
    assert only_problem(write_blueprint, text) == (
        f"bp.yaml:{line_of(text, 'model_group: churn-modle')}:9: endpoints.churn.models.main.model_group: "
        "model_group 'churn-modle' is not in registry.model_groups (churn-model); did you mean 'churn-model'?"
    )


def test_model_group_without_a_registry(write_blueprint: WriteBlueprint) -> None:
    text = EXAMPLE.replace("registry:\n  model_groups: [churn-model]\n", "")
    assert only_problem(write_blueprint, text).endswith(
        "endpoints.churn.models.main.model_group: model_group 'churn-model' needs a `registry` section that declares it"
    )


def test_mlflow_on_kubernetes_needs_a_kubernetes_section(write_blueprint: WriteBlueprint) -> None:
    text = EXAMPLE.replace("kind: sagemaker-mlflow", "kind: mlflow-on-kubernetes")
    assert only_problem(write_blueprint, text) == (
        f"bp.yaml:{line_of(text, 'kind: mlflow-on-kubernetes')}:3: experiment_tracking.kind: "
        "mlflow-on-kubernetes needs a `kubernetes:` section (its namespace)"
    )


def test_group_needs_a_store(write_blueprint: WriteBlueprint) -> None:
    text = EXAMPLE.replace("      online: {ttl_days: 7}\n      offline: {format: iceberg}\n", "")
    assert only_problem(write_blueprint, text) == (
        f"bp.yaml:{line_of(text, '- name: customer-features')}:7: feature_store.groups.customer-features: "
        "a feature group needs an online store, an offline store, or both"
    )


def test_reserved_feature_name(write_blueprint: WriteBlueprint) -> None:
    text = EXAMPLE.replace("        plan: string\n", "        plan: string\n        write_time: string\n")
    assert only_problem(write_blueprint, text).endswith(
        "feature_store.groups.customer-features.features.write_time: feature name 'write_time' is reserved by "
        "SageMaker Feature Store (is_deleted, write_time, api_invocation_time)"
    )


def test_event_time_must_be_string_or_fractional(write_blueprint: WriteBlueprint) -> None:
    text = EXAMPLE.replace("event_time: fractional", "event_time: integral")
    assert only_problem(write_blueprint, text).endswith(
        "feature_store.groups.customer-features.event_time: event_time 'event_time' is integral; it must be "
        "string or fractional"
    )


def test_duplicate_model_group(write_blueprint: WriteBlueprint) -> None:
    text = EXAMPLE.replace("model_groups: [churn-model]", "model_groups: [churn-model, churn-model]")
    assert only_problem(write_blueprint, text).endswith("registry.model_groups[1]: duplicate model group 'churn-model'")


def test_invalid_feature_name(write_blueprint: WriteBlueprint) -> None:
    text = EXAMPLE.replace("        plan: string\n", "        plan.tier: string\n")
    assert only_problem(write_blueprint, text).endswith(
        "feature_store.groups.customer-features.features.plan.tier: 'plan.tier' is not valid here: it must match "
        "^[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63}$"
    )


# --- components -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {env: plan_file(EXAMPLES / "registry-features.yaml", env)[1] for env in ("staging", "prod")}


def policy(plan: Plan, name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(plan.get(ROLE_POLICY, name).inputs["policy"])
    return document


def test_feature_group_stores_are_encrypted_with_the_platform_key(plans: dict[str, Plan]) -> None:
    group = plans["prod"].get(FEATURE_GROUP, "churn-prod-features-customer-features").inputs
    assert group["featureGroupName"] == "churn-prod-customer-features"
    assert group["recordIdentifierFeatureName"] == "customer_id"
    assert group["eventTimeFeatureName"] == "event_time"
    assert group["featureDefinitions"][0] == {"featureName": "customer_id", "featureType": "Integral"}
    online = group["onlineStoreConfig"]
    assert online["enableOnlineStore"] is True
    assert online["securityConfig"] == {"kmsKeyId": UNKNOWN_TEXT}  # the platform key, created in this run
    assert online["ttlDuration"] == {"unit": "Days", "value": 7}
    offline = group["offlineStoreConfig"]
    assert offline["s3StorageConfig"] == {
        "kmsKeyId": UNKNOWN_TEXT,
        "s3Uri": f"s3://churn-prod-{FAKE_ACCOUNT_ID}-us-east-1/feature-store/customer-features",
    }
    assert offline["tableFormat"] == "Iceberg"
    assert offline["dataCatalogConfig"] == {
        "catalog": "AwsDataCatalog",
        "database": "sagemaker_featurestore",
        "tableName": "churn_prod_customer_features",
    }


def test_offline_only_group_has_no_online_store(write_blueprint: WriteBlueprint) -> None:
    _, plan = plan_file(EXAMPLES / "recsys.yaml", "prod")
    items = plan.get(FEATURE_GROUP, "recsys-prod-features-item-features").inputs
    assert "onlineStoreConfig" not in items
    assert items["offlineStoreConfig"]["tableFormat"] == "Glue"


def test_feature_store_role_reaches_only_its_prefix_and_tables(plans: dict[str, Plan]) -> None:
    statements = {s["Sid"]: s for s in policy(plans["prod"], "churn-prod-features-role-policy")["Statement"]}
    bucket = f"churn-prod-{FAKE_ACCOUNT_ID}-us-east-1"
    assert statements["OfflineStoreObjects"]["Resource"] == [f"arn:aws:s3:::{bucket}/feature-store/customer-features/*"]
    assert statements["OfflineStoreTables"]["Resource"][-1] == (
        f"arn:aws:glue:us-east-1:{FAKE_ACCOUNT_ID}:table/sagemaker_featurestore/churn_prod_customer_features"
    )
    assert statements["PlatformKey"]["Condition"] == {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/mlstack/churn-prod"}
    }
    for statement in statements.values():
        assert "*" not in statement["Resource"]
        assert not any(action.endswith("*") for action in statement["Action"])


def test_mlflow_server(plans: dict[str, Plan]) -> None:
    plan = plans["prod"]
    server = plan.get("aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer", "churn-prod-tracking-server").inputs
    bucket = f"churn-prod-{FAKE_ACCOUNT_ID}-us-east-1"
    assert server["trackingServerName"] == "churn-prod-mlflow"
    assert server["trackingServerSize"] == "Medium"
    assert server["artifactStoreUri"] == f"s3://{bucket}/mlflow/"
    assert server["automaticModelRegistration"] is True
    assert plan.outputs["tracking_server_arn"] == UNKNOWN_TEXT
    assert "tracking_server_url" in plan.outputs
    statements = {s["Sid"]: s for s in policy(plan, "churn-prod-tracking-role-policy")["Statement"]}
    assert statements["ArtifactObjects"]["Resource"] == [f"arn:aws:s3:::{bucket}/mlflow/*"]
    assert statements["ModelRegistry"]["Resource"] == [
        f"arn:aws:sagemaker:us-east-1:{FAKE_ACCOUNT_ID}:model-package-group/churn-prod-churn-model",
        f"arn:aws:sagemaker:us-east-1:{FAKE_ACCOUNT_ID}:model-package/churn-prod-churn-model/*",
    ]
    for statement in statements.values():
        assert "*" not in statement["Resource"]
        assert not any(action.endswith("*") for action in statement["Action"])


def test_model_group_is_readable_by_the_other_environments(plans: dict[str, Plan]) -> None:
    plan = plans["prod"]
    group = plan.get("aws:sagemaker/modelPackageGroup:ModelPackageGroup", "churn-prod-registry-churn-model").inputs
    assert group["modelPackageGroupName"] == "churn-prod-churn-model"
    resource_policy = json.loads(
        plan.get(
            "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy", "churn-prod-registry-churn-model-policy"
        ).inputs["resourcePolicy"]
    )
    [statement] = resource_policy["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{FAKE_ACCOUNT_ID}:root"}
    assert statement["Condition"]["ArnLike"]["aws:PrincipalArn"] == [
        f"arn:aws:iam::{FAKE_ACCOUNT_ID}:role/churn-dev-use1-sagemaker-execution",
        f"arn:aws:iam::{FAKE_ACCOUNT_ID}:role/churn-staging-use1-sagemaker-execution",
    ]
    assert statement["Action"] == [
        "sagemaker:DescribeModelPackage",
        "sagemaker:DescribeModelPackageGroup",
        "sagemaker:ListModelPackages",
    ]


def test_endpoint_model_links_to_its_group_and_the_role_may_read_it(plans: dict[str, Plan]) -> None:
    plan = plans["staging"]
    model = plan.get("aws:sagemaker/model:Model", "churn-staging-churn-model-main").inputs
    assert model["tags"]["mlstack-model-group"] == "churn-staging-churn-model"
    statements = {s["Sid"]: s for s in policy(plan, "churn-staging-execution-policy")["Statement"]}
    assert statements["ModelRegistryRead"]["Resource"] == [
        f"arn:aws:sagemaker:us-east-1:{FAKE_ACCOUNT_ID}:model-package-group/churn-staging-churn-model",
        f"arn:aws:sagemaker:us-east-1:{FAKE_ACCOUNT_ID}:model-package/churn-staging-churn-model/*",
    ]


def test_lifecycle_rules(plans: dict[str, Plan]) -> None:
    rules = (
        plans["prod"]
        .get("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "churn-prod-artifacts-lifecycle")
        .inputs["rules"]
    )
    by_id = {rule["id"]: rule for rule in rules}
    assert by_id["expire-noncurrent-versions"]["noncurrentVersionExpiration"] == {"noncurrentDays": 30}
    assert by_id["expire-data-capture"] == {
        "expiration": {"days": 90},
        "filter": {"prefix": "data-capture/"},
        "id": "expire-data-capture",
        "status": "Enabled",
    }
    # Offline-store records have no retention set: they are kept.
    assert "expire-feature-store" not in by_id


def test_default_noncurrent_retention_is_90_days() -> None:
    _, plan = plan_file(EXAMPLES / "fraud-minimal.yaml", "dev")
    [rule] = plan.get(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "fraud-dev-artifacts-lifecycle"
    ).inputs["rules"]
    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 90}
    assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}


def test_reference_sections_plan_in_every_environment() -> None:
    for env in ("dev", "staging", "prod"):
        _, plan = plan_file(Path(EXAMPLES / "recsys.yaml"), env)
        assert len(plan.by_type("aws:sagemaker/modelPackageGroup:ModelPackageGroup")) == 4
        assert len(plan.by_type(FEATURE_GROUP)) == 2
        assert len(plan.by_type("aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer")) == 1
