"""mlstack vs AWS CDK: the same SageMaker platform for N endpoints, planned / synthesized as whole processes.

Run: `uv run --frozen python bench/vs_cdk.py [--sizes 10,100,500] [--rounds R] [--quick]`

What is compared, for N endpoints:

- mlstack: one blueprint with N endpoints, timed as
  `.venv/bin/python -m mlstack plan FILE --env prod --json > /dev/null` (the offline plan: the real
  Pulumi program in-process under the Pulumi SDK's mocks).
- CDK as shipped: a generated CDK Python app (`app.py`, L1 `Cfn*` constructs, `app.synth()` into a
  fresh output directory), timed as `python app.py OUTDIR` in its own virtual environment.
- CDK with validation off: the same process with `CDK_VALIDATION=false`. That variable is real and
  read by aws-cdk-lib itself, not only by the CLI: in aws-cdk-lib 2.275.0,
  `core/lib/private/synthesis-validation.js` has
  `defaultValidationEnabled(app) = app._builtinCloudFormationValidation && process.env.CDK_VALIDATION !== "false"`,
  and the `App` docs (`core/lib/app.d.ts`, `builtinCloudFormationValidation`; README section
  "CloudFormationValidatePlugin") list `CDK_VALIDATION=false`, `cdk synth --no-validation` and
  `new App({ builtinCloudFormationValidation: false })` as the ways to turn it off. What it turns off
  is the built-in `CloudFormationValidatePlugin` (template checks by the bundled WebAssembly engine
  `@aws/cloudformation-validate`, run after synthesis). It does not skip construct validation
  (`node.validate()`; that is `app.synth(skip_validation=True)`), which L1 constructs barely use.

Per endpoint both sides make the same 6 resources, the ones mlstack plans for a one-variant real-time
endpoint with `alarms: {p99_latency_ms: 250}` and `autoscaling: {min: 2, max: 10,
target_invocations_per_instance: 500}`:

  1. SageMaker Model              mlstack aws:sagemaker/model:Model         CDK sagemaker.CfnModel
  2. SageMaker EndpointConfig     aws:sagemaker/endpointConfiguration       sagemaker.CfnEndpointConfig
  3. SageMaker Endpoint           aws-native:sagemaker:Endpoint             sagemaker.CfnEndpoint
  4. CloudWatch p99-latency alarm aws:cloudwatch/metricAlarm:MetricAlarm    cloudwatch.CfnAlarm
  5. scalable target              aws:appautoscaling/target:Target          applicationautoscaling.CfnScalableTarget
  6. target-tracking policy       aws:appautoscaling/policy:Policy          applicationautoscaling.CfnScalingPolicy

(The error-rate alarm is left out: with it each endpoint would make 7.) The shared parts are made
once on each side, with the same settings: mlstack's foundation (KMS key + alias, artifact bucket with
versioning, encryption, lifecycle, ownership, public-access block and TLS-only policy, execution role
+ inline policy), the on-call SNS topic + e-mail subscription (`monitoring.on_call`) and the platform
dashboard (3 widgets per endpoint). mlstack plans the bucket's settings as 7 resources, CDK as 2
(settings are `CfnBucket` properties), so the shared part is 14 resources for mlstack and 9 for CDK.
Resources are counted from the outputs: the plan's custom resources without Pulumi providers, the
templates' `Resources` without `AWS::CDK::Metadata`.

CloudFormation allows 500 resources per stack, and aws-cdk-lib fails synthesis above that
(`TooManyResourcesInStack`: 609 at 100 endpoints), so the CDK app puts the shared parts in one stack
and the endpoints in stacks of at most 80 (480 resources), the key, role and topic crossing over as
exports and `Fn::ImportValue`: 1 + ceil(N / 80) stacks. Pulumi has no such limit: mlstack plans one
stack. The app has this shape at every N, so N = 10 already has 2 stacks.

Every size starts with an untimed check run per side (blueprint validated, both outputs counted,
6 per endpoint asserted, caches warmed, peak RSS of the whole process tree sampled); then rounds
alternate mlstack / CDK / CDK with validation off, the order rotated each round: 5 rounds, 3 from
500 endpoints up, and 2 where a check run took over 60 s (the table notes it). Wall time is the
median; "peak RSS" of timed runs is wait4's ru_maxrss (the largest single process: for CDK that is
the node process jsii starts, the Python process beside it is not added). "tree RSS" adds up every
process of the tree, sampled every 20 ms in the check run.

aws-cdk-lib and constructs are pinned and installed from the package registry into a virtual
environment outside the repository (under $XDG_CACHE_HOME or ~/.cache, `mlstack-bench/`); it is never
a dependency of mlstack. jsii needs Node.js on PATH.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import plan_scaling  # bench/, beside this script

REPO = Path(__file__).resolve().parent.parent
CDK_LIB_VERSION = "2.275.0"
CONSTRUCTS_VERSION = "10.8.1"
PER_ENDPOINT = 6
SLOW_RUN_SECONDS = 60.0
SLOW_ROUNDS = 2
VARIANTS = ("mlstack", "cdk", "cdk-no-validation")
LABELS = {"mlstack": "mlstack plan", "cdk": "CDK as shipped", "cdk-no-validation": "CDK_VALIDATION=false"}

# plan_scaling's platform, plus the on-call topic the alarms notify.
HEADER = plan_scaling.HEADER.replace(
    "endpoints:\n", "monitoring:\n  on_call: {email: ml-oncall@example.com}\nendpoints:\n"
)

ENDPOINT = """\
  - name: ep{index}
    models:
      main: {{image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/svc:{index}", model_data: "s3://bench-models/ep{index}/model.tar.gz"}}
    variants:
      - {{name: main, model: main, instance_type: ml.c6i.xlarge, instances: 2}}
    alarms: {{p99_latency_ms: 250}}
    autoscaling: {{min: 2, max: 10, target_invocations_per_instance: 500}}
"""

# The CDK app, written as text so that neither mypy nor the project needs aws_cdk. It mirrors the
# properties mlstack plans (names, tags, key policy, bucket settings, alarm, scaling), written the way
# a CDK user would: a loop over the endpoints, tags through Tags.of(stack), references through attrs.
CDK_APP = '''\
"""The mlstack bench platform as an AWS CDK app (generated by bench/vs_cdk.py)."""

import json
import sys

import aws_cdk as cdk
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns

ENDPOINTS = __ENDPOINTS__
PREFIX = "bench-prod"
ACCOUNT = "000000000000"
REGION = "eu-west-1"
BUCKET = f"{PREFIX}-{ACCOUNT}-{REGION}"
ALIAS = f"alias/mlstack/{PREFIX}"
ROLE = f"{PREFIX}-euw1-sagemaker-execution"
SUBNETS = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]
SECURITY_GROUPS = ["sg-0a1b2c3d4e5f60003"]
TAGS = {
    "blueprint": "bench",
    "cost_center": "CC-0000",
    "environment": "prod",
    "managed-by": "mlstack",
    "owner": "perf@example.com",
    "team": "perf",
}

# CloudFormation allows 500 resources per stack and aws-cdk-lib refuses to synthesize more
# (TooManyResourcesInStack), so the endpoints go into stacks of at most 80 (480 resources) beside the
# platform stack; their references to the key, role and topic become exports and Fn::ImportValue.
ENDPOINTS_PER_STACK = 80

app = cdk.App(outdir=sys.argv[1])
env = cdk.Environment(account=ACCOUNT, region=REGION)
stack = cdk.Stack(app, "bench-prod", env=env)
endpoint_stacks = [
    cdk.Stack(app, f"bench-prod-endpoints-{number}", env=env)
    for number in range((ENDPOINTS + ENDPOINTS_PER_STACK - 1) // ENDPOINTS_PER_STACK)
]
for tag_key, tag_value in TAGS.items():
    cdk.Tags.of(app).add(tag_key, tag_value)

# Shared: the foundation (key, bucket, role) and the on-call topic, once.
key = kms.CfnKey(
    stack,
    "Key",
    description=f"mlstack {PREFIX}: artifacts, endpoints, monitoring",
    enable_key_rotation=True,
    pending_window_in_days=30,
    key_policy={
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AccountIamPolicies", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "CloudWatchAlarmsToEncryptedTopic", "Effect": "Allow",
             "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
             "Resource": "*", "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}},
            {"Sid": "CloudWatchLogsEncryption", "Effect": "Allow",
             "Principal": {"Service": f"logs.{REGION}.amazonaws.com"},
             "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
             "Resource": "*",
             "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn":
                                       f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:*"}}},
        ],
    },
)
kms.CfnAlias(stack, "KeyAlias", alias_name=ALIAS, target_key_id=key.ref)
bucket = s3.CfnBucket(
    stack,
    "Artifacts",
    bucket_name=BUCKET,
    versioning_configuration=s3.CfnBucket.VersioningConfigurationProperty(status="Enabled"),
    bucket_encryption=s3.CfnBucket.BucketEncryptionProperty(
        server_side_encryption_configuration=[
            s3.CfnBucket.ServerSideEncryptionRuleProperty(
                server_side_encryption_by_default=s3.CfnBucket.ServerSideEncryptionByDefaultProperty(
                    sse_algorithm="aws:kms", kms_master_key_id=key.attr_arn
                ),
                bucket_key_enabled=True,
            )
        ]
    ),
    lifecycle_configuration=s3.CfnBucket.LifecycleConfigurationProperty(
        rules=[
            s3.CfnBucket.RuleProperty(
                id="expire-noncurrent-versions",
                status="Enabled",
                prefix="",
                abort_incomplete_multipart_upload=s3.CfnBucket.AbortIncompleteMultipartUploadProperty(
                    days_after_initiation=7
                ),
                noncurrent_version_expiration=s3.CfnBucket.NoncurrentVersionExpirationProperty(noncurrent_days=90),
            )
        ]
    ),
    ownership_controls=s3.CfnBucket.OwnershipControlsProperty(
        rules=[s3.CfnBucket.OwnershipControlsRuleProperty(object_ownership="BucketOwnerEnforced")]
    ),
    public_access_block_configuration=s3.CfnBucket.PublicAccessBlockConfigurationProperty(
        block_public_acls=True, block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True
    ),
)
s3.CfnBucketPolicy(
    stack,
    "ArtifactsTlsOnly",
    bucket=bucket.ref,
    policy_document={
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": [bucket.attr_arn, f"{bucket.attr_arn}/*"],
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
        ],
    },
)
role = iam.CfnRole(
    stack,
    "ExecutionRole",
    role_name=ROLE,
    description=f"SageMaker execution role of mlstack {PREFIX}",
    max_session_duration=3600,
    assume_role_policy_document={
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}
        ],
    },
)
iam.CfnRolePolicy(
    stack,
    "ExecutionPolicy",
    role_name=role.ref,
    policy_name=ROLE,
    policy_document={
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ArtifactBucketList", "Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
             "Resource": [bucket.attr_arn]},
            {"Sid": "ArtifactBucketObjects", "Effect": "Allow",
             "Action": ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
             "Resource": [f"{bucket.attr_arn}/*"]},
            {"Sid": "PlatformKey", "Effect": "Allow",
             "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
             "Resource": [key.attr_arn]},
            {"Sid": "SageMakerLogs", "Effect": "Allow",
             "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
                        "logs:DescribeLogStreams"],
             "Resource": [f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/sagemaker/*"]},
            {"Sid": "ModelArtifacts", "Effect": "Allow", "Action": ["s3:GetObject"],
             "Resource": ["arn:aws:s3:::bench-models/*"]},
        ],
    },
)
topic = sns.CfnTopic(stack, "OnCallTopic", topic_name=f"{PREFIX}-on-call", kms_master_key_id=ALIAS)
sns.CfnSubscription(stack, "OnCallEmail", topic_arn=topic.ref, protocol="email", endpoint="ml-oncall@example.com")

# Per endpoint: the 6 resources.
widgets = []
for index in range(ENDPOINTS):
    name = f"{PREFIX}-ep{index}"
    scope = endpoint_stacks[index // ENDPOINTS_PER_STACK]
    model = sagemaker.CfnModel(
        scope,
        f"Ep{index}Model",
        model_name=f"{name}-main",
        execution_role_arn=role.attr_arn,
        enable_network_isolation=True,
        primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
            image=f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/svc:{index}",
            mode="SingleModel",
            model_data_url=f"s3://bench-models/ep{index}/model.tar.gz",
        ),
        vpc_config=sagemaker.CfnModel.VpcConfigProperty(security_group_ids=SECURITY_GROUPS, subnets=SUBNETS),
    )
    config = sagemaker.CfnEndpointConfig(
        scope,
        f"Ep{index}Config",
        endpoint_config_name=f"{name}-config",
        kms_key_id=key.attr_arn,
        production_variants=[
            sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                variant_name="main",
                model_name=model.attr_model_name,
                initial_instance_count=2,
                initial_variant_weight=1,
                instance_type="ml.c6i.xlarge",
            )
        ],
    )
    endpoint = sagemaker.CfnEndpoint(
        scope,
        f"Ep{index}Endpoint",
        endpoint_name=name,
        endpoint_config_name=config.attr_endpoint_config_name,
        retain_all_variant_properties=True,
        exclude_retained_variant_properties=[
            sagemaker.CfnEndpoint.VariantPropertyProperty(variant_property_type="DesiredWeight"),
            sagemaker.CfnEndpoint.VariantPropertyProperty(variant_property_type="DataCaptureConfig"),
        ],
    )
    cloudwatch.CfnAlarm(
        scope,
        f"Ep{index}P99Latency",
        alarm_name=f"{name}-main-p99-latency",
        alarm_description=(
            f"p99 model latency of {name}/main above 250 ms. Check the variant's instance metrics and recent "
            "deployments; a rollout in progress rolls back on this alarm."
        ),
        namespace="AWS/SageMaker",
        metric_name="ModelLatency",
        dimensions=[
            cloudwatch.CfnAlarm.DimensionProperty(name="EndpointName", value=endpoint.attr_endpoint_name),
            cloudwatch.CfnAlarm.DimensionProperty(name="VariantName", value="main"),
        ],
        extended_statistic="p99",
        period=60,
        evaluation_periods=5,
        datapoints_to_alarm=3,
        threshold=250000,
        comparison_operator="GreaterThanThreshold",
        treat_missing_data="notBreaching",
        alarm_actions=[topic.ref],
        ok_actions=[topic.ref],
    )
    target = appscaling.CfnScalableTarget(
        scope,
        f"Ep{index}ScalingTarget",
        service_namespace="sagemaker",
        resource_id=f"endpoint/{name}/variant/main",
        scalable_dimension="sagemaker:variant:DesiredInstanceCount",
        min_capacity=2,
        max_capacity=10,
    )
    target.add_resource_dependency(endpoint)
    appscaling.CfnScalingPolicy(
        scope,
        f"Ep{index}ScalingPolicy",
        policy_name=f"{name}-main-target-tracking",
        policy_type="TargetTrackingScaling",
        scaling_target_id=target.ref,
        target_tracking_scaling_policy_configuration=(
            appscaling.CfnScalingPolicy.TargetTrackingScalingPolicyConfigurationProperty(
                target_value=500,
                scale_in_cooldown=600,
                scale_out_cooldown=300,
                predefined_metric_specification=appscaling.CfnScalingPolicy.PredefinedMetricSpecificationProperty(
                    predefined_metric_type="SageMakerVariantInvocationsPerInstance"
                ),
            )
        ),
    )
    for column, (metric, stat, title) in enumerate(
        [("Invocations", "Sum", "Invocations"), ("ModelLatency", "p99", "p99 model latency (us)"),
         ("Invocation5XXErrors", "Sum", "5xx errors")]
    ):
        widgets.append({
            "type": "metric", "x": 8 * column, "y": 6 * index, "width": 8, "height": 6,
            "properties": {"title": f"{name}: {title}", "region": REGION, "period": 60, "view": "timeSeries",
                           "metrics": [["AWS/SageMaker", metric, "EndpointName", name, "VariantName", "main",
                                        {"stat": stat}]]},
        })

cloudwatch.CfnDashboard(stack, "Dashboard", dashboard_name=PREFIX, dashboard_body=json.dumps({"widgets": widgets}))

app.synth()
'''

# Per-endpoint resource types on each side, to assert that both make the same 6.
MLSTACK_PER_ENDPOINT = {
    "aws:sagemaker/model:Model",
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
    "aws-native:sagemaker:Endpoint",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:appautoscaling/target:Target",
    "aws:appautoscaling/policy:Policy",
}
CDK_PER_ENDPOINT = {
    "AWS::SageMaker::Model",
    "AWS::SageMaker::EndpointConfig",
    "AWS::SageMaker::Endpoint",
    "AWS::CloudWatch::Alarm",
    "AWS::ApplicationAutoScaling::ScalableTarget",
    "AWS::ApplicationAutoScaling::ScalingPolicy",
}


@dataclass
class Run:
    wall: float
    rss_mib: float


@dataclass
class Size:
    endpoints: int
    resources: dict[str, int] = field(default_factory=dict)
    tree_rss_mib: dict[str, float] = field(default_factory=dict)
    runs: dict[str, list[Run]] = field(default_factory=dict)
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    note: str = ""


def blueprint_text(endpoints: int) -> str:
    return HEADER + "".join(ENDPOINT.format(index=index) for index in range(endpoints))


def cdk_app_text(endpoints: int) -> str:
    return CDK_APP.replace("__ENDPOINTS__", str(endpoints))


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mlstack-bench" / f"cdk-{CDK_LIB_VERSION}-constructs-{CONSTRUCTS_VERSION}"


def node_version() -> str:
    """jsii runs aws-cdk-lib's JavaScript in a node process; without node nothing else can run."""
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node not found on PATH: aws-cdk-lib (jsii) needs Node.js >= 18; install it and rerun")
    result = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"`node --version` failed: {result.stderr.strip()}")
    return result.stdout.strip()


def cdk_python() -> Path:
    """The CDK venv's python, created and filled with the pinned packages on first use.

    Outside the repository, so that neither git nor uv sees it, and keyed by the pinned versions, so a
    version bump makes a fresh environment instead of upgrading in place.
    """
    env = cache_dir()
    python = env / "bin" / "python"
    marker = env / "installed.ok"
    if marker.exists() and python.exists():
        return python
    print(f"installing aws-cdk-lib=={CDK_LIB_VERSION} constructs=={CONSTRUCTS_VERSION} into {env} ...", flush=True)
    # venv from the base interpreter, not from the repo's .venv, so the two environments share nothing.
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--clear", str(env)], check=True)
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            f"aws-cdk-lib=={CDK_LIB_VERSION}",
            f"constructs=={CONSTRUCTS_VERSION}",
        ],
        check=True,
    )
    marker.write_text(f"aws-cdk-lib=={CDK_LIB_VERSION}\nconstructs=={CONSTRUCTS_VERSION}\n", encoding="utf-8")
    return python


def mlstack_python() -> Path:
    venv = REPO / ".venv" / "bin" / "python"
    return venv if venv.exists() else Path(sys.executable)


def tree_rss_kib(root: int) -> int:
    """Sum of VmRSS over `root` and its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid, ppid = int(entry), int(fields.get("PPid", "0").strip() or 0)
        children.setdefault(ppid, []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def run_process(
    command: list[str], env: dict[str, str], stdout: Any, *, sample_tree: bool = False
) -> tuple[Run, float]:
    """One whole process: wall seconds and wait4's peak RSS; with sample_tree, the tree's peak RSS sum."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=stdout, stderr=subprocess.PIPE)
    peak_tree = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_tree
        while not done.wait(0.02):
            peak_tree = max(peak_tree, tree_rss_kib(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    if sample_tree:
        sampler.start()
    # Read stderr while the child runs (a full pipe would block it); wait4 then gives this one child's
    # rusage, where getrusage(RUSAGE_CHILDREN) would mix all runs so far.
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    if sample_tree:
        sampler.join()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(command)} exited {code}:\n{errors.decode(errors='replace')[-4000:]}")
    return Run(wall, usage.ru_maxrss / 1024), peak_tree / 1024


def count_mlstack(plan: dict[str, Any], endpoints: int) -> int:
    types = [
        step["newState"]["type"]
        for step in plan["steps"]
        if step["newState"].get("custom") and not step["newState"]["type"].startswith("pulumi:providers:")
    ]
    per_type = Counter(types)
    for kind in MLSTACK_PER_ENDPOINT:
        if per_type[kind] != endpoints:
            raise SystemExit(f"mlstack plans {per_type[kind]} {kind} for {endpoints} endpoints, expected one each")
    return len(types)


def count_cdk(outdir: Path, endpoints: int) -> int:
    types = [
        resource["Type"]
        for path in sorted(outdir.glob("*.template.json"))
        for resource in json.loads(path.read_text(encoding="utf-8"))["Resources"].values()
        if resource["Type"] != "AWS::CDK::Metadata"
    ]
    per_type = Counter(types)
    for kind in CDK_PER_ENDPOINT:
        if per_type[kind] != endpoints:
            raise SystemExit(f"the CDK app makes {per_type[kind]} {kind} for {endpoints} endpoints, expected one each")
    return len(types)


def bench_size(endpoints: int, rounds: int, cdk: Path, scratch: Path) -> Size:
    size = Size(endpoints, runs={variant: [] for variant in VARIANTS})
    blueprint = scratch / f"bench-{endpoints}.yaml"
    blueprint.write_text(blueprint_text(endpoints), encoding="utf-8")
    app = scratch / f"app-{endpoints}.py"
    app.write_text(cdk_app_text(endpoints), encoding="utf-8")
    mlstack = mlstack_python()
    subprocess.run(
        [str(mlstack), "-m", "mlstack", "validate", str(blueprint), "--env", "prod"],
        cwd=REPO,
        check=True,
        stdout=subprocess.DEVNULL,
    )

    base_env = dict(os.environ)
    # "As shipped" means no validation switch from the caller's shell either.
    base_env.pop("CDK_VALIDATION", None)
    envs = {"mlstack": base_env, "cdk": base_env, "cdk-no-validation": {**base_env, "CDK_VALIDATION": "false"}}

    def command(variant: str, outdir: Path) -> list[str]:
        if variant == "mlstack":
            return [str(mlstack), "-m", "mlstack", "plan", str(blueprint), "--env", "prod", "--json"]
        return [str(cdk), str(app), str(outdir)]

    def once(variant: str, *, check: bool) -> Run:
        outdir = Path(tempfile.mkdtemp(prefix=f"cdk-{endpoints}-", dir=scratch))
        try:
            if check and variant == "mlstack":
                plan = scratch / f"plan-{endpoints}.json"
                with plan.open("wb") as stdout:
                    run, tree = run_process(command(variant, outdir), envs[variant], stdout, sample_tree=True)
                size.resources[variant] = count_mlstack(json.loads(plan.read_text(encoding="utf-8")), endpoints)
            else:
                run, tree = run_process(command(variant, outdir), envs[variant], subprocess.DEVNULL, sample_tree=check)
                if check:
                    size.resources[variant] = count_cdk(outdir, endpoints)
            if check:
                size.tree_rss_mib[variant] = tree
            return run
        finally:
            shutil.rmtree(outdir, ignore_errors=True)

    size.load_before = os.getloadavg()
    slowest = max(once(variant, check=True).wall for variant in VARIANTS)
    if slowest > SLOW_RUN_SECONDS and rounds > SLOW_ROUNDS:
        # Keeps a full run within the better part of an hour on 2 cores; the table says so.
        size.note = f"a check run took {slowest:.0f} s (> {SLOW_RUN_SECONDS:.0f} s): {SLOW_ROUNDS} rounds, not {rounds}"
        rounds = SLOW_ROUNDS
    for round_index in range(rounds):
        # Rotate who goes first, so no side always runs right after the same neighbour.
        order = VARIANTS[round_index % 3 :] + VARIANTS[: round_index % 3]
        for variant in order:
            size.runs[variant].append(once(variant, check=False))
        print(f"  N={endpoints}: round {round_index + 1}/{rounds} done, load {os.getloadavg()[0]:.2f}", flush=True)
    size.load_after = os.getloadavg()
    return size


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_text(load: tuple[float, float, float]) -> str:
    return " / ".join(f"{value:.2f}" for value in load)


def report(sizes: list[Size]) -> None:
    header = (
        f"{'N':>4} {'side':<21} {'resources':>9} {'rounds':>6} {'median s':>9} {'min s':>7} {'ms/res':>7} "
        f"{'peak RSS MiB':>12} {'tree RSS MiB':>12} {'x mlstack':>9}"
    )
    print("\n" + header)
    print("-" * len(header))
    for size in sizes:
        base = statistics.median(run.wall for run in size.runs["mlstack"])
        for variant in VARIANTS:
            runs = size.runs[variant]
            median = statistics.median(run.wall for run in runs)
            resources = size.resources[variant]
            ratio = "" if variant == "mlstack" else f"{median / base:.2f}"
            print(
                f"{size.endpoints:>4} {LABELS[variant]:<21} {resources:>9} {len(runs):>6} {median:>9.3f} "
                f"{min(run.wall for run in runs):>7.3f} {median / resources * 1000:>7.2f} "
                f"{max(run.rss_mib for run in runs):>12.1f} {size.tree_rss_mib[variant]:>12.1f} {ratio:>9}"
            )
        print(
            f"     load average (1/5/15 min) before {load_text(size.load_before)}, after {load_text(size.load_after)}"
        )
        if size.note:
            print(f"     note: {size.note}")

    if len(sizes) >= 2:
        print("\nmarginal cost per added endpoint resource (least-squares slope of median wall over resources):")
        for variant in VARIANTS:
            xs = [size.resources[variant] for size in sizes]
            ys = [statistics.median(run.wall for run in size.runs[variant]) for size in sizes]
            slope, intercept = statistics.linear_regression(xs, ys)
            print(f"  {LABELS[variant]:<21} {slope * 1000:6.2f} ms/resource, intercept {intercept:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100,500", help="comma-separated endpoint counts")
    parser.add_argument("--rounds", type=int, help="rounds per size (default: 5, and 3 from 500 endpoints up)")
    parser.add_argument("--quick", action="store_true", help="smoke run: N=10, 2 rounds")
    args = parser.parse_args()
    sizes = [10] if args.quick else [int(part) for part in args.sizes.split(",") if part.strip()]
    if any(size < 1 for size in sizes):
        parser.error("--sizes must be positive")

    node = node_version()
    cdk = cdk_python()
    jsii = subprocess.run(
        [str(cdk), "-c", "import importlib.metadata as m; print(m.version('jsii'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(
        f"machine: {os.cpu_count()} cores, {cpu_model()}; python {platform.python_version()}; node {node}; "
        f"aws-cdk-lib {CDK_LIB_VERSION}, constructs {CONSTRUCTS_VERSION}, jsii {jsii}"
    )
    started_load = os.getloadavg()
    print(f"load average before: {load_text(started_load)}", flush=True)

    results: list[Size] = []
    with tempfile.TemporaryDirectory(prefix="mlstack-vs-cdk-") as scratch:
        for endpoints in sizes:
            rounds = 2 if args.quick else args.rounds or (3 if endpoints >= 500 else 5)
            results.append(bench_size(endpoints, rounds, cdk, Path(scratch)))
    report(results)
    print(f"\nload average before {load_text(started_load)}, after {load_text(os.getloadavg())}")
    print("wall is the whole process, interpreter and node start-up included; ms/res = median / resources")


if __name__ == "__main__":
    main()
