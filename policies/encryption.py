"""Encryption at rest and in transit: endpoint configs, feature store, S3, KMS, MLflow.

A key input is often unknown at preview: the platform key's ARN is assigned when the key is
created. The rules that read one prove it through the dependency graph instead (`proven_key`):
an unknown input that comes only from a KMS key of this stack passes, recorded as a proof.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from mlstack.components import instances
from mlstack.policies.framework import (
    MalformedInput,
    Proof,
    ResourceView,
    Rule,
    StackView,
    Violation,
    bool_input,
    dig,
    index_of,
    list_input,
    object_input,
    peek,
    per_resource,
    policy_statements,
    proven_key,
    string_input,
)
from mlstack.policies.sagemaker import (
    ENDPOINT_CONFIG,
    FEATURE_GROUP,
    KMS_KEY,
    MLFLOW,
    depends_on_stack_key,
    instance_type_of,
    is_serverless,
    variants,
)
from mlstack.policies.settings import PolicySettings

BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
SSE_TYPES = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
VERSIONING_TYPES = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")


def attached(bucket: Any, resources: Sequence[Any], types: tuple[str, ...]) -> list[Any]:
    """The bucket's sub-resources of `types` (pulumi-aws v7 splits a bucket's settings into
    separate resources): those depending on it, or naming it in their `bucket` input."""
    index = index_of(resources)
    name = peek(bucket.props, "bucket")
    named = index.named("bucket", *types).get(name, []) if isinstance(name, str) else []
    return index.in_stack_order([*index.dependents(bucket, *types), *named])


# --- endpoint configuration KMS -------------------------------------------------------------------


def _endpoint_config_kms(args: ResourceView, _settings: PolicySettings) -> Iterator[str | Proof]:
    all_variants = variants(args.props)
    if all_variants and all(is_serverless(v) for v in all_variants):
        return  # serverless has no ML storage volume, and CreateEndpointConfig rejects a KmsKeyId
    types = [instance_type_of(v) for v in all_variants if not is_serverless(v)]
    if types and all(instances.lookup(t).local_storage for t in types):
        return  # instance (NVMe) storage only: CreateEndpointConfig rejects a KmsKeyId for these types
    proof = proven_key(args, "kmsKeyArn")
    if proof is not None:
        yield proof
    elif not string_input(args.props, "kmsKeyArn"):
        yield (
            f"endpoint configuration {args.name} has no kmsKeyArn for its ML storage volumes "
            f"(instance types {', '.join(sorted(set(types)))} use EBS volumes)"
        )


ENDPOINT_CONFIG_KMS = Rule(
    name="sagemaker-endpoint-config-kms",
    description=(
        "Checks whether SageMaker endpoint configurations encrypt their ML storage volumes with a KMS key. "
        "Exempt: serverless configurations and configurations whose instance types all have local NVMe "
        "storage, where SageMaker rejects a KmsKeyId. A kmsKeyArn unknown at preview passes when it comes "
        "only from a KMS key of this stack."
    ),
    severity="high",
    remediation="Set kmsKeyArn on the EndpointConfiguration (mlstack sets the platform key by default).",
    check=_endpoint_config_kms,
    kind="resource",
    resource_types=(ENDPOINT_CONFIG,),
    reads_graph=True,
    checkov=("CKV_AWS_98",),
    cdk_nag=("SageMakerEndpointConfigurationKMSKeyConfigured",),
    aws_config=("sagemaker-endpoint-configuration-kms-key-configured",),
)


# --- asynchronous inference output -----------------------------------------------------------------


def _async_output_kms(args: ResourceView, _settings: PolicySettings) -> Iterator[str | Proof]:
    if object_input(args.props, "asyncInferenceConfig") is None:
        return
    # outputConfig also carries the S3 paths (from the bucket) and the SNS topics: when those come
    # from resources of this stack too, the graph cannot say which feeds kmsKeyId, and an unknown
    # key stays advisory, as the monitoring jobs' output key does.
    proof = proven_key(args, "asyncInferenceConfig", "outputConfig", "kmsKeyId")
    if proof is not None:
        yield proof
    elif not string_input(args.props, "asyncInferenceConfig", "outputConfig", "kmsKeyId"):
        yield (
            f"asynchronous endpoint configuration {args.name} does not encrypt its results and failures in S3 "
            "with a KMS key (asyncInferenceConfig.outputConfig.kmsKeyId): they hold inference payloads"
        )


ASYNC_OUTPUT_KMS = Rule(
    name="sagemaker-async-output-kms",
    description=(
        "Checks whether SageMaker asynchronous endpoint configurations encrypt the results and failures they "
        "write to S3 with a KMS key (asyncInferenceConfig.outputConfig.kmsKeyId): they hold inference payloads. "
        "A kmsKeyId unknown at preview passes when asyncInferenceConfig comes only from a KMS key of this stack."
    ),
    severity="high",
    remediation="Set asyncInferenceConfig.outputConfig.kmsKeyId (mlstack sets the platform key).",
    check=_async_output_kms,
    kind="resource",
    resource_types=(ENDPOINT_CONFIG,),
    reads_graph=True,
)


# --- feature group online store --------------------------------------------------------------------


def _feature_group_online(args: ResourceView, _settings: PolicySettings) -> Iterator[str | Proof]:
    if bool_input(args.props, "onlineStoreConfig", "enableOnlineStore") is not True:
        return
    proof = proven_key(args, "onlineStoreConfig", "securityConfig", "kmsKeyId")
    if proof is not None:
        yield proof
    elif not string_input(args.props, "onlineStoreConfig", "securityConfig", "kmsKeyId"):
        yield f"feature group {args.name} has an online store without securityConfig.kmsKeyId"


FEATURE_GROUP_ONLINE_ENCRYPTION = Rule(
    name="sagemaker-feature-group-online-store-encryption",
    description=(
        "Checks whether SageMaker feature groups with an online store encrypt it with a KMS key. A kmsKeyId "
        "unknown at preview passes when it comes only from a KMS key of this stack."
    ),
    severity="high",
    remediation="Set onlineStoreConfig.securityConfig.kmsKeyId to the platform's KMS key.",
    check=_feature_group_online,
    kind="resource",
    resource_types=(FEATURE_GROUP,),
    reads_graph=True,
    aws_config=("sagemaker-featuregroup-online-store-encryption",),
)


# --- KMS rotation ----------------------------------------------------------------------------------


def _kms_rotation(args: ResourceView, _settings: PolicySettings) -> Iterator[str]:
    spec = (
        string_input(args.props, "customerMasterKeySpec") or string_input(args.props, "keySpec") or "SYMMETRIC_DEFAULT"
    )
    if spec != "SYMMETRIC_DEFAULT":
        return  # AWS rotates only symmetric encryption keys
    if bool_input(args.props, "enableKeyRotation") is not True:
        yield f"KMS key {args.name} does not rotate its key material (enableKeyRotation is not true)"


KMS_ROTATION = Rule(
    name="kms-key-rotation",
    description="Checks whether symmetric customer-managed KMS keys rotate their key material yearly.",
    severity="medium",
    remediation="Set enableKeyRotation: true on the aws.kms.Key.",
    check=_kms_rotation,
    kind="resource",
    resource_types=(KMS_KEY,),
    checkov=("CKV_AWS_7",),
    cdk_nag=("KMSBackingKeyRotationEnabled",),
    aws_config=("cmk-backing-key-rotation-enabled",),
)


# --- S3 --------------------------------------------------------------------------------------------


def _sse_uses_kms(sse: Any) -> bool:
    rules = list_input(sse.props, "rules")
    return bool(rules) and all(
        string_input(sse.props, "rules", position, "applyServerSideEncryptionByDefault", "sseAlgorithm")
        in KMS_ALGORITHMS
        for position in range(len(rules))
    )


def _s3_sse_kms(args: StackView, _settings: PolicySettings) -> Iterator[Violation]:
    resources = args.resources

    def check(bucket: Any) -> Iterator[str]:
        configs = attached(bucket, resources, SSE_TYPES)
        if not configs:
            yield f"bucket {bucket.name} has no server-side encryption configuration"
        elif not all(_sse_uses_kms(c) for c in configs):
            yield f"bucket {bucket.name} does not default to SSE-KMS (sseAlgorithm aws:kms)"

    yield from per_resource(index_of(resources).of_type(*BUCKET_TYPES), check)


S3_SSE_KMS = Rule(
    name="s3-bucket-sse-kms",
    description="Checks whether every S3 bucket encrypts new objects with SSE-KMS by default.",
    severity="high",
    remediation="Add a BucketServerSideEncryptionConfiguration with sseAlgorithm aws:kms and the platform key.",
    check=_s3_sse_kms,
    kind="stack",
    checkov=("CKV_AWS_145",),
    cdk_nag=("S3DefaultEncryptionKMS",),
    aws_config=("s3-default-encryption-kms",),
)


def _s3_versioning(args: StackView, _settings: PolicySettings) -> Iterator[Violation]:
    resources = args.resources

    def check(bucket: Any) -> Iterator[str]:
        configs = attached(bucket, resources, VERSIONING_TYPES)
        if not any(string_input(c.props, "versioningConfiguration", "status") == "Enabled" for c in configs):
            yield f"bucket {bucket.name} does not have versioning Enabled"

    yield from per_resource(index_of(resources).of_type(*BUCKET_TYPES), check)


S3_VERSIONING = Rule(
    name="s3-bucket-versioning",
    description="Checks whether every S3 bucket has versioning enabled, so overwritten data can be restored.",
    severity="medium",
    remediation="Add a BucketVersioning with versioningConfiguration.status Enabled.",
    check=_s3_versioning,
    kind="stack",
    checkov=("CKV_AWS_21",),
    cdk_nag=("S3BucketVersioningEnabled",),
    aws_config=("s3-bucket-versioning-enabled",),
)


def _denies_insecure_transport(statement: dict[str, Any]) -> bool:
    """Whether a statement (from `policy_statements`) denies every S3 request made without TLS."""
    if statement["Effect"] != "Deny":
        return False
    if not any(a in ("*", "s3:*") for a in statement.get("Action", [])):
        return False
    principal = statement.get("Principal")
    if principal not in ("*", {"AWS": "*"}):
        return False
    bool_conditions = (statement.get("Condition") or {}).get("Bool")
    secure = bool_conditions.get("aws:SecureTransport") if isinstance(bool_conditions, dict) else None
    return str(secure).lower() == "false"


def _s3_tls_only(args: StackView, _settings: PolicySettings) -> Iterator[Violation]:
    resources = args.resources

    def check(bucket: Any) -> Iterator[str]:
        for policy in attached(bucket, resources, (BUCKET_POLICY,)):
            try:
                statements = policy_statements(dig(policy.props, "policy"))
            except MalformedInput as error:
                raise MalformedInput(f"bucket policy {policy.name}: {error}") from None
            if any(_denies_insecure_transport(s) for s in statements):
                return
        yield f"bucket {bucket.name} has no bucket policy denying requests without TLS (aws:SecureTransport false)"

    yield from per_resource(index_of(resources).of_type(*BUCKET_TYPES), check)


S3_TLS_ONLY = Rule(
    name="s3-bucket-tls-only",
    description="Checks whether every S3 bucket's policy denies requests that do not use TLS.",
    severity="high",
    remediation="Add a BucketPolicy statement: Deny s3:* to * when aws:SecureTransport is false.",
    check=_s3_tls_only,
    kind="stack",
    cdk_nag=("S3BucketSSLRequestsOnly",),
    aws_config=("s3-bucket-ssl-requests-only",),
)


# --- the blueprint's key on MLflow and the feature store -------------------------------------------


def _key_set(props: Any, *path: str) -> bool:
    """Whether the key input at `path` is set; one unknown at preview is set (the group's dependency
    on a key of this stack, checked next, says which key it is)."""
    try:
        return bool(string_input(props, *path))
    except UnknownValueError:
        return True


def _feature_store_key(args: StackView, _settings: PolicySettings) -> Iterator[Violation]:
    resources = args.resources

    def check(group: Any) -> Iterator[str]:
        props = group.props
        missing = []
        offline = "offlineStoreConfig", "s3StorageConfig", "kmsKeyId"
        if object_input(props, "offlineStoreConfig") is not None and not _key_set(props, *offline):
            missing.append(".".join(offline))
        online = "onlineStoreConfig", "securityConfig", "kmsKeyId"
        if bool_input(props, "onlineStoreConfig", "enableOnlineStore") is True and not _key_set(props, *online):
            missing.append(".".join(online))
        if missing:
            yield f"feature group {group.name} sets no {' or '.join(missing)}"
        elif not depends_on_stack_key(group, resources):
            yield f"feature group {group.name} is not encrypted with a KMS key of this platform (it depends on none)"

    yield from per_resource(index_of(resources).of_type(FEATURE_GROUP), check)


FEATURE_STORE_PLATFORM_KEY = Rule(
    name="feature-store-platform-key",
    description=(
        "Checks whether feature groups encrypt their offline and online stores with the platform's own KMS key "
        "(a kmsKeyId is set and the group depends on a KMS key of this stack)."
    ),
    severity="high",
    remediation="Pass the platform key (Foundation.key) to the feature store; do not use AWS-managed keys.",
    check=_feature_store_key,
    kind="stack",
)


def _bucket_of_uri(uri: str) -> str:
    return uri.removeprefix("s3://").split("/", 1)[0]


def _mlflow_key(args: StackView, _settings: PolicySettings) -> Iterator[Violation]:
    resources = args.resources
    index = index_of(resources)
    buckets = index.named("bucket", *BUCKET_TYPES)

    def check(server: Any) -> Iterator[str]:
        bucket_name = _bucket_of_uri(string_input(server.props, "artifactStoreUri") or "")
        bucket = next(iter(buckets.get(bucket_name, [])), None)
        if bucket is None:
            yield f"MLflow server {server.name} stores artifacts in {bucket_name!r}, not in a bucket of this platform"
            return
        configs = attached(bucket, resources, SSE_TYPES)
        if not configs or not all(_sse_uses_kms(c) and depends_on_stack_key(c, resources) for c in configs):
            yield (
                f"MLflow server {server.name} stores artifacts in bucket {bucket.name}, "
                "which is not encrypted with a KMS key of this platform"
            )

    yield from per_resource(index.of_type(MLFLOW), check)


MLFLOW_PLATFORM_KEY = Rule(
    name="mlflow-platform-key",
    description=(
        "Checks whether MLflow tracking servers keep artifacts in a bucket of this platform that is "
        "SSE-KMS encrypted with the platform's own KMS key."
    ),
    severity="high",
    remediation="Point artifactStoreUri at the platform bucket, whose encryption uses the platform key.",
    check=_mlflow_key,
    kind="stack",
)

RULES = (
    ENDPOINT_CONFIG_KMS,
    ASYNC_OUTPUT_KMS,
    FEATURE_GROUP_ONLINE_ENCRYPTION,
    KMS_ROTATION,
    S3_SSE_KMS,
    S3_VERSIONING,
    S3_TLS_ONLY,
    FEATURE_STORE_PLATFORM_KEY,
    MLFLOW_PLATFORM_KEY,
)
