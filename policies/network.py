"""Network exposure: model isolation, models in a VPC, S3 public access."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from mlstack.policies.encryption import BUCKET_TYPES, attached
from mlstack.policies.framework import (
    Rule,
    StackIndex,
    StackView,
    Violation,
    dig,
    environment_of,
    index_of,
    is_prod,
    list_input,
    peek,
    per_resource,
)
from mlstack.policies.sagemaker import ENDPOINT_CONFIG, MODEL, is_serverless, variants
from mlstack.policies.settings import PolicySettings

PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def serverless_only_models(resources: Sequence[Any]) -> set[str]:
    """URNs of models served only by serverless configs, which support neither VPC nor isolation.

    https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html#serverless-endpoints-how-it-works-exclusions
    """
    index = index_of(resources)
    return set(index.memo("serverless-only-models", lambda: _serverless_only_models(index)))


def _serverless_only_models(index: StackIndex) -> frozenset[str]:
    by_name = index.named("name", MODEL)
    serverless: set[str] = set()
    instance: set[str] = set()
    for config in index.of_type(ENDPOINT_CONFIG):
        for variant in variants(config.props):
            wanted = peek(variant, "modelName")
            served = {m.urn for m in by_name.get(wanted, [])} if isinstance(wanted, str) else set()
            if not served and wanted is None:
                # The model's name is unknown at preview: the config depends on the models it serves.
                served = {m.urn for m in index.depended_on(config, MODEL)}
            (serverless if is_serverless(variant) else instance).update(served)
    return frozenset(serverless - instance)


def _isolation(args: StackView, _settings: PolicySettings) -> Iterator[Violation]:
    resources = args.resources
    exempt = serverless_only_models(resources)

    def check(model: Any) -> Iterator[str]:
        if model.urn not in exempt and dig(model.props, "enableNetworkIsolation") is not True:
            yield f"model {model.name} does not enable network isolation"

    yield from per_resource(index_of(resources).of_type(MODEL), check)


MODEL_NETWORK_ISOLATION = Rule(
    name="sagemaker-model-network-isolation",
    description=(
        "Checks whether SageMaker models run with network isolation (no outbound network from the container). "
        "Exempt: models served only by serverless endpoints, which do not support it."
    ),
    severity="high",
    remediation="Set enableNetworkIsolation: true on the Model; containers then read model data only from S3.",
    check=_isolation,
    kind="stack",
    checkov=("CKV_AWS_370",),
    aws_config=("sagemaker-model-isolation-enabled",),
)


def _model_in_vpc(args: StackView, settings: PolicySettings) -> Iterator[Violation]:
    resources = args.resources
    exempt = serverless_only_models(resources)

    def check(model: Any) -> Iterator[str]:
        if model.urn in exempt or not is_prod(environment_of(model.props, settings)):
            return
        subnets = list_input(model.props, "vpcConfig", "subnets")
        security_groups = list_input(model.props, "vpcConfig", "securityGroupIds")
        if not subnets or not security_groups:
            yield f"prod model {model.name} has no vpcConfig with subnets and security groups"

    yield from per_resource(index_of(resources).of_type(MODEL), check)


MODEL_IN_VPC = Rule(
    name="sagemaker-model-in-vpc-prod",
    description=(
        "Checks whether SageMaker models in prod run inside a VPC (vpcConfig with subnets and security groups). "
        "Exempt: models served only by serverless endpoints, which do not support VPC configuration."
    ),
    severity="medium",
    remediation="Give the prod environment a network (subnets, security groups) so models get a vpcConfig.",
    check=_model_in_vpc,
    kind="stack",
    aws_config=("sagemaker-model-in-vpc",),
)


def _public_access(args: StackView, _settings: PolicySettings) -> Iterator[Violation]:
    resources = args.resources

    def check(bucket: Any) -> Iterator[str]:
        blocks = attached(bucket, resources, (PUBLIC_ACCESS_BLOCK,))
        if not any(all(dig(b.props, flag) is True for flag in PUBLIC_ACCESS_FLAGS) for b in blocks):
            yield f"bucket {bucket.name} lacks a public access block with all four settings true"

    yield from per_resource(index_of(resources).of_type(*BUCKET_TYPES), check)


S3_PUBLIC_ACCESS_BLOCK = Rule(
    name="s3-bucket-public-access-block",
    description=(
        "Checks whether every S3 bucket blocks public ACLs and policies with all four public access block settings."
    ),
    severity="critical",
    remediation=(
        "Add a BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and "
        "restrictPublicBuckets true."
    ),
    check=_public_access,
    kind="stack",
    checkov=("CKV2_AWS_6",),
    cdk_nag=("S3BucketLevelPublicAccessProhibited",),
    aws_config=("s3-bucket-level-public-access-prohibited",),
)

RULES = (MODEL_NETWORK_ISOLATION, MODEL_IN_VPC, S3_PUBLIC_ACCESS_BLOCK)
