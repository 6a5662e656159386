"""Component inputs as the Pulumi program registers them, by (type, name): secure defaults and absences."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mlstack.stack.plan import plan_file
from mlstack.stack.plan.engine import FAKE_ACCOUNT_ID, UNKNOWN_TEXT, Plan
from tests.conftest import BASE, WriteBlueprint

MODEL = "aws:sagemaker/model:Model"
CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
ENDPOINT = "aws-native:sagemaker:Endpoint"
TAGS = {
    "blueprint": "recsys",
    "team": "personalization",
    "owner": "ml-platform@example.com",
    "cost_center": "CC-4312",
    "managed-by": "mlstack",
}


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Plan]:
    path = tmp_path_factory.mktemp("bp") / "blueprint.yaml"
    path.write_text(BASE, encoding="utf-8")
    return {env: plan_file(Path(path), env)[1] for env in ("dev", "prod")}


def test_kms_key_rotates(plans: dict[str, Plan]) -> None:
    key = plans["prod"].get("aws:kms/key:Key", "recsys-prod-key")
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 30
    assert key.inputs["tags"] == {**TAGS, "environment": "prod"}
    alias = plans["prod"].get("aws:kms/alias:Alias", "recsys-prod-key-alias")
    assert alias.inputs["name"] == "alias/mlstack/recsys-prod"


def test_artifact_bucket_is_locked_down(plans: dict[str, Plan]) -> None:
    plan = plans["prod"]
    bucket = plan.get("aws:s3/bucket:Bucket", "recsys-prod-artifacts")
    assert bucket.inputs["bucket"] == f"recsys-prod-{FAKE_ACCOUNT_ID}-eu-west-1"
    assert bucket.inputs["forceDestroy"] is False
    block = plan.get("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "recsys-prod-artifacts-public-access")
    assert {
        k: block.inputs[k]
        for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    } == {
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    versioning = plan.get("aws:s3/bucketVersioning:BucketVersioning", "recsys-prod-artifacts-versioning")
    assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}
    encryption = plan.get(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "recsys-prod-artifacts-encryption",
    )
    [rule] = encryption.inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    # The key's ARN exists only after creation: the plan says so instead of inventing one.
    assert rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == UNKNOWN_TEXT
    ownership = plan.get("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "recsys-prod-artifacts-ownership")
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}


def test_bucket_policy_denies_plain_http(plans: dict[str, Plan]) -> None:
    policy = json.loads(
        plans["prod"].get("aws:s3/bucketPolicy:BucketPolicy", "recsys-prod-artifacts-tls-only").inputs["policy"]
    )
    [statement] = policy["Statement"]
    bucket_arn = f"arn:aws:s3:::recsys-prod-{FAKE_ACCOUNT_ID}-eu-west-1"
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statement["Resource"] == [bucket_arn, f"{bucket_arn}/*"]


def test_execution_role_is_scoped(plans: dict[str, Plan]) -> None:
    plan = plans["prod"]
    role = plan.get("aws:iam/role:Role", "recsys-prod-execution-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert trust["Statement"][0]["Condition"] == {"StringEquals": {"aws:SourceAccount": FAKE_ACCOUNT_ID}}
    policy = json.loads(plan.get("aws:iam/rolePolicy:RolePolicy", "recsys-prod-execution-policy").inputs["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    for statement in statements.values():
        actions = statement["Action"]
        assert "*" not in actions and not any(a.endswith(":*") for a in actions), statement
    # `*` resources only for actions AWS cannot scope, all read-only or auth.
    star = {sid for sid, s in statements.items() if "*" in s["Resource"]}
    assert star == {"ImagesAuth", "VpcDescribe"}
    bucket_arn = f"arn:aws:s3:::recsys-prod-{FAKE_ACCOUNT_ID}-eu-west-1"
    assert statements["ArtifactBucketObjects"]["Resource"] == [f"{bucket_arn}/*"]
    assert statements["PlatformKey"]["Condition"] == {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/mlstack/recsys-prod"}
    }
    assert statements["ModelArtifactsRead"]["Resource"] == [
        "arn:aws:s3:::recsys-artifacts/ranker/v12/model.tar.gz",
        "arn:aws:s3:::recsys-artifacts/ranker/v13/model.tar.gz",
    ]
    assert statements["ImagesPull"]["Resource"] == [
        "arn:aws:ecr:eu-west-1:123456789012:repository/ranker",
        "arn:aws:ecr:eu-west-1:763104351884:repository/pytorch-inference",
    ]
    assert statements["VpcNetworkInterfaces"]["Resource"][1:] == [
        f"arn:aws:ec2:eu-west-1:{FAKE_ACCOUNT_ID}:subnet/subnet-0a1b2c3d4e5f60001",
        f"arn:aws:ec2:eu-west-1:{FAKE_ACCOUNT_ID}:security-group/sg-0a1b2c3d4e5f60003",
    ]


def test_no_vpc_permissions_without_a_network(plans: dict[str, Plan]) -> None:
    policy = json.loads(
        plans["dev"].get("aws:iam/rolePolicy:RolePolicy", "recsys-dev-execution-policy").inputs["policy"]
    )
    assert not [s for s in policy["Statement"] if s["Sid"].startswith("Vpc")]


def test_models_are_isolated_and_in_the_vpc_in_prod(plans: dict[str, Plan]) -> None:
    champion = plans["prod"].get(MODEL, "recsys-prod-ranker-model-champion")
    assert champion.inputs["enableNetworkIsolation"] is True
    assert (
        champion.inputs["executionRoleArn"]
        == f"arn:aws:iam::{FAKE_ACCOUNT_ID}:role/recsys-prod-euw1-sagemaker-execution"
    )
    assert champion.inputs["vpcConfig"] == {
        "securityGroupIds": ["sg-0a1b2c3d4e5f60003"],
        "subnets": ["subnet-0a1b2c3d4e5f60001"],
    }
    assert champion.inputs["primaryContainer"] == {
        "image": "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.6-gpu-py312",
        "mode": "SingleModel",
        "modelDataUrl": "s3://recsys-artifacts/ranker/v12/model.tar.gz",
    }
    assert champion.inputs["tags"]["environment"] == "prod"


def test_dev_has_no_vpc_config(plans: dict[str, Plan]) -> None:
    champion = plans["dev"].get(MODEL, "recsys-dev-ranker-model-champion")
    assert "vpcConfig" not in champion.inputs
    assert champion.inputs["enableNetworkIsolation"] is True


def test_endpoint_config_has_weighted_variants(plans: dict[str, Plan]) -> None:
    config = plans["prod"].get(CONFIG, "recsys-prod-ranker-config")
    variants = config.inputs["productionVariants"]
    assert [
        (v["variantName"], v["instanceType"], v["initialInstanceCount"], v["initialVariantWeight"]) for v in variants
    ] == [
        ("champion", "ml.g5.xlarge", 2, 90),
        ("challenger", "ml.c6i.xlarge", 1, 10),
    ]
    # Names carry a digest of their content: known at preview, new whenever the content changes.
    champion = plans["prod"].get(MODEL, "recsys-prod-ranker-model-champion")
    assert variants[0]["modelName"] == champion.inputs["name"]
    assert re.fullmatch(r"recsys-prod-ranker-champion-[0-9a-f]{8}", champion.inputs["name"])
    assert re.fullmatch(r"recsys-prod-ranker-[0-9a-f]{8}", config.inputs["name"])
    assert champion.urn in config.dependencies
    # g5 instances have local NVMe storage, and SageMaker rejects a volume KMS key for them.
    assert "kmsKeyArn" not in config.inputs


def test_dev_override_reaches_the_config(plans: dict[str, Plan]) -> None:
    config = plans["dev"].get(CONFIG, "recsys-dev-ranker-config")
    assert [v["initialInstanceCount"] for v in config.inputs["productionVariants"]] == [1, 1]


def test_volume_key_is_set_when_every_instance_allows_it(write_blueprint: WriteBlueprint) -> None:
    path = write_blueprint(BASE.replace("ml.g5.xlarge", "ml.c6i.2xlarge"))
    _, plan = plan_file(path, "prod")
    config = plan.get(CONFIG, "recsys-prod-ranker-config")
    assert config.inputs["kmsKeyArn"] == UNKNOWN_TEXT
    champion = plan.get(MODEL, "recsys-prod-ranker-model-champion")
    assert champion.inputs["primaryContainer"]["image"].endswith("pytorch-inference:2.6-cpu-py312")


def test_endpoint_has_a_fixed_name_and_depends_on_its_config(plans: dict[str, Plan]) -> None:
    plan = plans["prod"]
    endpoint = plan.get(ENDPOINT, "recsys-prod-ranker-endpoint")
    config = plan.get(CONFIG, "recsys-prod-ranker-config")
    assert endpoint.inputs["endpointName"] == "recsys-prod-ranker"
    assert config.urn in endpoint.dependencies
    component = plan.get("mlstack:serving:ModelEndpoint", "recsys-prod-ranker")
    assert endpoint.parent == component.urn
    assert plan.outputs["endpoint_ranker"] == "recsys-prod-ranker"


def test_large_model_container_reads_uncompressed_weights_from_a_prefix(write_blueprint: WriteBlueprint) -> None:
    text = BASE.replace(
        "        image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/ranker:13\n"
        "        model_data: s3://recsys-artifacts/ranker/v13/model.tar.gz",
        "        container: djl-lmi\n        model_data: s3://recsys-artifacts/llm/assistant-8b/",
    ).replace("instance_type: ml.c6i.xlarge", "instance_type: ml.g6.12xlarge")
    _, plan = plan_file(write_blueprint(text), "dev")
    container = plan.get(MODEL, "recsys-dev-ranker-model-challenger").inputs["primaryContainer"]
    assert "modelDataUrl" not in container
    assert container["modelDataSource"] == {
        "s3DataSources": [
            {"compressionType": "None", "s3DataType": "S3Prefix", "s3Uri": "s3://recsys-artifacts/llm/assistant-8b/"}
        ]
    }
    assert container["image"].startswith("763104351884.dkr.ecr.eu-west-1.amazonaws.com/djl-inference:")
    policy = json.loads(plan.get("aws:iam/rolePolicy:RolePolicy", "recsys-dev-execution-policy").inputs["policy"])
    reads = next(s for s in policy["Statement"] if s["Sid"] == "ModelArtifactsRead")
    assert "arn:aws:s3:::recsys-artifacts/llm/assistant-8b/*" in reads["Resource"]
