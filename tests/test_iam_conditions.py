"""Condition keys of IAM statements, read from the planned policies: a condition on a key the action
never carries denies the action, and a missing one grants more than meant."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mlstack.stack.plan import plan_file
from mlstack.stack.plan.engine import Plan
from tests.conftest import EXAMPLES

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return plan_file(EXAMPLES / "registry-features.yaml", "prod")[1]


def _statements(plan: Plan, role_policy: str, action: str) -> list[dict[str, Any]]:
    document = json.loads(plan.get(ROLE_POLICY, role_policy).inputs["policy"])
    return [s for s in document["Statement"] if action in s["Action"]]


def test_bucket_location_of_the_tracking_role_has_no_prefix_condition(plan: Plan) -> None:
    # s3:GetBucketLocation never carries s3:prefix; under that condition it would always be denied.
    (location,) = _statements(plan, "churn-prod-tracking-role-policy", "s3:GetBucketLocation")
    assert location["Action"] == ["s3:GetBucketLocation"]
    assert "Condition" not in location
    (listing,) = _statements(plan, "churn-prod-tracking-role-policy", "s3:ListBucket")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["mlflow/*"]}}


def test_key_grants_of_the_execution_role_are_for_aws_resources_only(plan: Plan) -> None:
    (grants,) = _statements(plan, "churn-prod-execution-policy", "kms:CreateGrant")
    assert grants["Action"] == ["kms:CreateGrant"]
    assert grants["Condition"] == {
        "Bool": {"kms:GrantIsForAWSResource": "true"},
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/mlstack/churn-prod"},
    }


def test_no_policy_grants_create_grant_without_the_aws_resource_condition(plan: Plan) -> None:
    for resource in plan.by_type(ROLE_POLICY):
        document = json.loads(resource.inputs["policy"])
        for statement in document["Statement"]:
            if "kms:CreateGrant" in statement["Action"]:
                assert statement["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}, resource.name
