"""Inference components, asynchronous endpoints and serial pipelines: the examples' plans, and what
validation rejects (each problem with its message and its blueprint line)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlstack.components import instances
from mlstack.stack.cost.estimate import cost_report
from mlstack.stack.cost.prices import PriceBook
from mlstack.stack.plan import plan_file
from mlstack.stack.plan.check import check_plan, cost_estimate, policy_settings
from mlstack.stack.plan.engine import Plan, PlannedResource
from tests.conftest import line_of, problems

EXAMPLES = Path(__file__).resolve().parents[1] / "blueprints" / "examples"
COMPONENTS = EXAMPLES / "inference-components.yaml"
ASYNC = EXAMPLES / "async.yaml"
PIPELINE = EXAMPLES / "pipeline.yaml"
CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
COMPONENT = "aws-native:sagemaker:InferenceComponent"
TARGET = "aws:appautoscaling/target:Target"
POLICY = "aws:appautoscaling/policy:Policy"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
MODEL = "aws:sagemaker/model:Model"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"

WriteBlueprint = Callable[[str], Path]


def _plan(path: Path, environment: str) -> Plan:
    return plan_file(path, environment)[1]


def _one(plan: Plan, resource_type: str) -> PlannedResource:
    [resource] = plan.by_type(resource_type)
    return resource


def _execution_policy(plan: Plan) -> dict[str, Any]:
    [policy] = [r for r in plan.by_type(ROLE_POLICY) if r.name.endswith("-execution-policy")]
    document: dict[str, Any] = json.loads(policy.inputs["policy"])
    return document


# --- the examples --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [COMPONENTS, ASYNC, PIPELINE], ids=lambda p: p.stem)
@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_examples_plan_and_pass_the_policy_pack(path: Path, environment: str) -> None:
    resolved, plan = plan_file(path, environment)
    report = check_plan(plan, policy_settings(resolved, cost_estimate(resolved, plan)))
    assert report.mandatory_violations() == []
    assert len(plan.resources) > 20


def test_component_endpoint_config_has_a_managed_fleet_and_no_model() -> None:
    dev, prod = _plan(COMPONENTS, "dev"), _plan(COMPONENTS, "prod")
    for plan, floor in ((dev, 0), (prod, 2)):
        config = _one(plan, CONFIG)
        [variant] = config.inputs["productionVariants"]
        assert "modelName" not in variant
        assert variant["managedInstanceScaling"] == {
            "status": "ENABLED",
            "minInstanceCount": floor,
            "maxInstanceCount": 3,
        }
        # InitialInstanceCount has a minimum of 1; SageMaker scales in to zero afterwards.
        assert variant["initialInstanceCount"] == max(1, floor)
        assert config.inputs["executionRoleArn"].endswith("-sagemaker-execution")
        # ml.g5.12xlarge has local NVMe storage: CreateEndpointConfig refuses a KmsKeyId with it.
        assert instances.lookup("ml.g5.12xlarge").local_storage and "kmsKeyArn" not in config.inputs


def test_components_reserve_compute_and_scale_copies() -> None:
    dev = _plan(COMPONENTS, "dev")
    components = {c.inputs["inferenceComponentName"]: c for c in dev.by_type(COMPONENT)}
    assert sorted(components) == [f"assistants-dev-small-models-{n}" for n in ("intent", "sentiment", "toxicity")]
    intent = components["assistants-dev-small-models-intent"]
    assert intent.inputs["variantName"] == "fleet"
    assert intent.inputs["endpointName"] == "assistants-dev-small-models"
    assert intent.inputs["specification"]["computeResourceRequirements"] == {
        "minMemoryRequiredInMb": 16384,
        "numberOfAcceleratorDevicesRequired": 1,
        "numberOfCpuCoresRequired": 4,
    }
    assert intent.inputs["specification"]["modelName"].startswith("assistants-dev-small-models-intent-")
    assert intent.inputs["runtimeConfig"] == {"copyCount": 1}
    rolling = intent.inputs["deploymentConfig"]["rollingUpdatePolicy"]
    assert rolling["maximumBatchSize"] == {"type": "CAPACITY_PERCENT", "value": 50}
    targets = {t.inputs["resourceId"]: t.inputs for t in dev.by_type(TARGET)}
    assert targets["inference-component/assistants-dev-small-models-intent"]["minCapacity"] == 0
    assert targets["inference-component/assistants-dev-small-models-intent"]["maxCapacity"] == 4
    assert {t["scalableDimension"] for t in targets.values()} == {"sagemaker:inference-component:DesiredCopyCount"}


def test_zero_copies_get_the_documented_wake_up_and_prod_does_not_need_it() -> None:
    dev, prod = _plan(COMPONENTS, "dev"), _plan(COMPONENTS, "prod")
    steps = [p for p in dev.by_type(POLICY) if p.inputs["policyType"] == "StepScaling"]
    assert len(steps) == 3
    assert steps[0].inputs["stepScalingPolicyConfiguration"]["adjustmentType"] == "ChangeInCapacity"
    wakes = [a for a in dev.by_type(ALARM) if a.inputs.get("metricName") == "NoCapacityInvocationFailures"]
    assert sorted(a.inputs["dimensions"]["InferenceComponentName"] for a in wakes) == sorted(
        f"assistants-dev-small-models-{n}" for n in ("intent", "sentiment", "toxicity")
    )
    assert all(a.inputs["comparisonOperator"] == "GreaterThanOrEqualToThreshold" for a in wakes)
    assert [p for p in prod.by_type(POLICY) if p.inputs["policyType"] == "StepScaling"] == []
    tracking = [p for p in prod.by_type(POLICY) if p.inputs["policyType"] == "TargetTrackingScaling"]
    assert {
        p.inputs["targetTrackingScalingPolicyConfiguration"]["predefinedMetricSpecification"]["predefinedMetricType"]
        for p in tracking
    } == {"SageMakerInferenceComponentInvocationsPerCopy"}


def test_component_alarms_watch_each_component() -> None:
    prod = _plan(COMPONENTS, "prod")
    latency = [a for a in prod.by_type(ALARM) if a.inputs.get("metricName") == "ModelLatency"]
    assert sorted(a.inputs["dimensions"]["InferenceComponentName"] for a in latency) == sorted(
        f"assistants-prod-small-models-{n}" for n in ("intent", "sentiment", "toxicity")
    )
    intent = next(c for c in prod.by_type(COMPONENT) if c.inputs["inferenceComponentName"].endswith("-intent"))
    rollback = {a["alarmName"] for a in intent.inputs["deploymentConfig"]["autoRollbackConfiguration"]["alarms"]}
    assert "assistants-prod-small-models-error-rate" in rollback


def test_scale_to_zero_costs_nothing_at_baseline_and_the_fleet_at_the_ceiling() -> None:
    prices = PriceBook()
    hourly = prices.instance_hour("ml.g5.12xlarge", "us-east-1")
    assert hourly is not None
    for environment, floor in (("dev", 0), ("prod", 2)):
        resolved, plan = plan_file(COMPONENTS, environment)
        report = cost_report(plan, resolved, prices)
        config = next(item for item in report.items if item.type == CONFIG)
        assert config.baseline_usd == pytest.approx(floor * hourly.usd * 730, abs=0.01)
        assert config.ceiling_usd == pytest.approx(3 * hourly.usd * 730, abs=0.01)
        assert "managed instance scaling" in config.parts[0].arithmetic


def test_async_config_writes_encrypted_results_and_notifies() -> None:
    dev = _plan(ASYNC, "dev")
    config = _one(dev, CONFIG).inputs["asyncInferenceConfig"]
    output = config["outputConfig"]
    bucket = _one(dev, "aws:s3/bucket:Bucket").inputs["bucket"]
    assert output["s3OutputPath"] == f"s3://{bucket}/async/extractor/output/"
    assert output["s3FailurePath"] == f"s3://{bucket}/async/extractor/failure/"
    assert output["kmsKeyId"] == "(known after apply)"
    assert set(output["notificationConfig"]) == {"successTopic", "errorTopic"}
    assert config["clientConfig"] == {"maxConcurrentInvocationsPerInstance": 4}
    topics = [t.inputs for t in dev.by_type("aws:sns/topic:Topic")]
    assert {t["name"] for t in topics} == {"docs-dev-on-call", "docs-dev-extractor-async-success"}
    assert all("kmsMasterKeyId" in t for t in topics)
    [publish] = [s for s in _execution_policy(dev)["Statement"] if s["Sid"] == "AsyncNotifications"]
    assert publish["Resource"] == [
        "arn:aws:sns:eu-west-1:000000000000:docs-dev-extractor-async-success",
        "arn:aws:sns:eu-west-1:000000000000:docs-dev-on-call",
    ]


def test_async_scales_on_its_queue_and_wakes_from_zero_in_dev_only() -> None:
    dev, prod = _plan(ASYNC, "dev"), _plan(ASYNC, "prod")
    tracking = next(p for p in dev.by_type(POLICY) if p.inputs["policyType"] == "TargetTrackingScaling")
    metric = tracking.inputs["targetTrackingScalingPolicyConfiguration"]["customizedMetricSpecification"]
    assert metric["metricName"] == "ApproximateBacklogSizePerInstance"
    assert _one(dev, TARGET).inputs["minCapacity"] == 0
    assert [a.inputs["metricName"] for a in dev.by_type(ALARM) if "scale-from-zero" in a.name] == [
        "HasBacklogWithoutCapacity"
    ]
    assert _one(prod, TARGET).inputs["minCapacity"] == 2
    assert [a for a in prod.by_type(ALARM) if "scale-from-zero" in a.name] == []
    oldest = next(a for a in prod.by_type(ALARM) if a.inputs.get("metricName") == "ApproximateAgeOfOldestRequest")
    assert oldest.inputs["threshold"] == 30 * 60
    assert oldest.inputs["alarmActions"]


def test_pipeline_is_one_model_of_serial_containers() -> None:
    prod = _plan(PIPELINE, "prod")
    model = _one(prod, MODEL).inputs
    assert "primaryContainer" not in model
    assert model["inferenceExecutionConfig"] == {"mode": "Serial"}
    hostnames = [c["containerHostname"] for c in model["containers"]]
    assert hostnames == ["filter-input", "model", "business-rules"]
    filter_input, scorer, rules = model["containers"]
    assert "modelDataUrl" not in filter_input
    assert filter_input["environment"] == {"MAX_AMOUNT_EUR": "250000", "REJECT_UNKNOWN_CURRENCY": "true"}
    assert scorer["modelDataUrl"] == "s3://risk-models/screening/v21/model.tar.gz"
    assert "pytorch-inference" in scorer["image"]
    assert rules["modelDataUrl"] == "s3://risk-models/screening/rules/v9/rules.tar.gz"
    # Network isolation and the VPC are the Model's, so every container has them.
    assert model["enableNetworkIsolation"] is True
    assert model["vpcConfig"]["subnets"]
    statements = {s["Sid"]: s for s in _execution_policy(prod)["Statement"]}
    pulls = statements["ImagesPull"]["Resource"]
    assert "arn:aws:ecr:eu-west-1:123456789012:repository/risk/filter-input" in pulls
    assert "arn:aws:ecr:eu-west-1:123456789012:repository/risk/business-rules" in pulls
    assert "arn:aws:s3:::risk-models/screening/rules/v9/rules.tar.gz" in statements["ModelArtifactsRead"]["Resource"]


# --- what validation rejects -----------------------------------------------------------------------


def _rejected(write_blueprint: WriteBlueprint, text: str, needle: str, message: str) -> None:
    """`text` is refused with exactly one problem, at the line of `needle`, whose message contains `message`."""
    found = problems(write_blueprint(text))
    assert len(found) == 1, found
    assert found[0].startswith(f"bp.yaml:{line_of(text, needle)}:"), found[0]
    assert message in found[0], found[0]


def _edit(path: Path, *replacements: tuple[str, str]) -> str:
    text = path.read_text()
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def test_reservations_over_the_instance_are_rejected(write_blueprint: WriteBlueprint) -> None:
    text = _edit(COMPONENTS, ("accelerators: 1, memory_mb: 16384", "accelerators: 8, memory_mb: 16384"))
    _rejected(
        write_blueprint,
        text,
        "{name: intent, model: intent",
        "component intent reserves 8 accelerators, 4 CPU cores, 16384 MiB per copy, but ml.g5.12xlarge has "
        "4 accelerators",
    )


def test_memory_over_the_instance_is_rejected(write_blueprint: WriteBlueprint) -> None:
    text = _edit(COMPONENTS, ("memory_mb: 16384", "memory_mb: 400000"))
    _rejected(write_blueprint, text, "{name: intent, model: intent", "400000 MiB per copy, but ml.g5.12xlarge has")


def test_starting_copies_that_do_not_pack_are_rejected(write_blueprint: WriteBlueprint) -> None:
    # Three copies of three GPUs each: nine GPUs fit in 3 x 4 but not on one 4-GPU instance per copy pair.
    text = _edit(
        COMPONENTS,
        (
            "fleet: {instance_type: ml.g5.12xlarge, min_instances: 0, max_instances: 3}",
            "fleet: {instance_type: ml.g5.12xlarge, min_instances: 2, max_instances: 3}",
        ),
        (
            "cpu_cores: 4, accelerators: 1, memory_mb: 16384,\n         copies: {min: 0, max: 4}",
            "cpu_cores: 4, accelerators: 3, memory_mb: 16384,\n         copies: {min: 3, max: 4}",
        ),
    )
    found = problems(write_blueprint(text))
    [packing] = [p for p in found if "do not fit on 2 ml.g5.12xlarge" in p]
    assert packing.startswith(f"bp.yaml:{line_of(text, 'ml.g5.12xlarge, min_instances: 2')}:")
    assert "3 × intent" in packing and "they need 3" in packing


def test_zero_instances_with_copies_kept_is_rejected(write_blueprint: WriteBlueprint) -> None:
    text = _edit(COMPONENTS, ("copies: {min: 0, max: 2}", "copies: {min: 1, max: 2}"))
    _rejected(
        write_blueprint,
        text,
        "min_instances: 0",
        "min_instances 0 lets SageMaker remove every instance, but toxicity keeps 1 copy, which need one",
    )


def test_zero_instances_on_a_real_time_variant_is_rejected(write_blueprint: WriteBlueprint) -> None:
    text = _edit(PIPELINE, ("autoscaling: {min: 2, max: 8,", "autoscaling: {min: 0, max: 8,"))
    _rejected(write_blueprint, text, "autoscaling: {min: 0", "real-time variants cannot scale to zero instances")


def test_components_need_a_fleet(write_blueprint: WriteBlueprint) -> None:
    text = _edit(
        COMPONENTS,
        ("    fleet: {instance_type: ml.g5.12xlarge, min_instances: 0, max_instances: 3}\n", ""),
        ("      endpoints.small-models.fleet.min_instances: 2\n", ""),
    )
    _rejected(write_blueprint, text, "    components:", "inference components need a `fleet`")


def test_components_and_variants_exclude_each_other(write_blueprint: WriteBlueprint) -> None:
    text = _edit(
        COMPONENTS,
        (
            "    routing: {strategy: least-outstanding-requests}",
            "    variants:\n      - {name: main, model: intent, instance_type: ml.g5.xlarge}\n"
            "    routing: {strategy: least-outstanding-requests}",
        ),
    )
    _rejected(write_blueprint, text, "variants:", "an endpoint with inference components cannot have `variants`")


def test_components_roll_out_only_rolling(write_blueprint: WriteBlueprint) -> None:
    text = _edit(
        COMPONENTS,
        ("rollout: {strategy: rolling, step_percent: 50,", "rollout: {strategy: canary, canary_percent: 10,"),
    )
    _rejected(write_blueprint, text, "rollout:", "inference components update with rolling deployments only")


def test_component_model_must_exist(write_blueprint: WriteBlueprint) -> None:
    text = _edit(COMPONENTS, ("{name: sentiment, model: sentiment,", "{name: sentiment, model: sentimnt,"))
    _rejected(
        write_blueprint,
        text,
        "model: sentimnt",
        "component names model 'sentimnt', which is not in this endpoint's models",
    )


def test_scaled_copies_need_a_target(write_blueprint: WriteBlueprint) -> None:
    text = _edit(
        COMPONENTS, ("copies: {min: 0, max: 2}, target_invocations_per_copy: 300}", "copies: {min: 0, max: 2}}")
    )
    found = problems(write_blueprint(text))
    # Once as written, and once more for prod, whose override changes copies.min.
    assert [p.split(": ", 1)[0] for p in found] == [f"bp.yaml:{line_of(text, '{name: toxicity')}:9"] * 2
    assert "copies scale between 0 and 2 on invocations per copy: set `target_invocations_per_copy`" in found[0]


def test_too_small_a_cpu_reservation_is_rejected(write_blueprint: WriteBlueprint) -> None:
    text = _edit(
        COMPONENTS,
        ("{name: sentiment, model: sentiment, cpu_cores: 2,", "{name: sentiment, model: sentiment, cpu_cores: 0.1,"),
    )
    _rejected(write_blueprint, text, "cpu_cores: 0.1", "greater than or equal to 0.25")


def test_async_on_serverless_is_rejected(write_blueprint: WriteBlueprint) -> None:
    text = _edit(
        ASYNC,
        (
            "    variants:\n      - {name: main, model: main, instance_type: ml.g5.2xlarge, instances: 1}\n",
            "    serverless: {memory_mb: 4096, max_concurrency: 10}\n",
        ),
        ("    autoscaling: {min: 0, max: 6, target_backlog_per_instance: 5}\n", ""),
        ("      endpoints.extractor.variants.main.instances: 2\n      endpoints.extractor.autoscaling.min: 2\n", ""),
        ("    overrides:\n", ""),
    )
    found = problems(write_blueprint(text))
    [async_problem] = [p for p in found if "an asynchronous endpoint runs on instances" in p]
    assert async_problem.startswith(f"bp.yaml:{line_of(text, 'async:')}:")


def test_async_with_shadow_is_rejected(write_blueprint: WriteBlueprint) -> None:
    text = _edit(
        ASYNC,
        (
            "    async:\n",
            "    shadow: {name: next, model: main, instance_type: ml.g5.2xlarge, sample_percent: 10}\n    async:\n",
        ),
    )
    _rejected(write_blueprint, text, "shadow:", "an asynchronous endpoint cannot have one")


def test_async_scaling_needs_a_queue_target(write_blueprint: WriteBlueprint) -> None:
    text = _edit(ASYNC, ("target_backlog_per_instance: 5}", "target_invocations_per_instance: 5}"))
    _rejected(write_blueprint, text, "autoscaling: {min: 0", "an asynchronous endpoint scales on its queue")


def test_async_errors_to_on_call_need_on_call(write_blueprint: WriteBlueprint) -> None:
    text = _edit(ASYNC, ("monitoring:\n  on_call: {email: document-ai-oncall@example.com}\n", ""))
    found = problems(write_blueprint(text))
    [on_call] = [p for p in found if "errors go to on-call, but `monitoring.on_call` is not set" in p]
    assert on_call.startswith(f"bp.yaml:{line_of(text, 'errors: on-call')}:")


def test_async_concurrency_is_bounded(write_blueprint: WriteBlueprint) -> None:
    text = _edit(ASYNC, ("max_concurrent_invocations_per_instance: 4", "max_concurrent_invocations_per_instance: 1001"))
    _rejected(write_blueprint, text, "1001", "less than or equal to 1000")


def test_sixteen_containers_are_rejected(write_blueprint: WriteBlueprint) -> None:
    extra = "".join(
        f'          - {{name: step-{i}, image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/risk/s{i}:1"}}\n'
        for i in range(13)
    )
    text = _edit(PIPELINE, ("          - name: model\n", "          - name: model\n" + extra))
    _rejected(
        write_blueprint,
        text,
        "        pipeline:",
        "a serial inference pipeline has 2 to 15 containers (CreateModel Containers); this one has 16",
    )


def test_a_pipeline_needs_exactly_one_model_step(write_blueprint: WriteBlueprint) -> None:
    text = _edit(PIPELINE, ("          - name: model\n", ""))
    _rejected(write_blueprint, text, "        pipeline:", "exactly one step is the model's own container")


def test_pipeline_step_names_are_unique(write_blueprint: WriteBlueprint) -> None:
    text = _edit(PIPELINE, ("          - name: business-rules\n", "          - name: filter-input\n"))
    found = problems(write_blueprint(text))
    assert any("filter-input" in p and "pipeline" in p and "duplicate" in p.lower() for p in found), found


def test_pipeline_on_serverless_is_rejected(write_blueprint: WriteBlueprint) -> None:
    text = _edit(
        PIPELINE,
        (
            "    variants:\n      - {name: main, model: scorer, instance_type: ml.c6i.xlarge, instances: 2}\n"
            "    autoscaling: {min: 2, max: 8, target_invocations_per_instance: 400}\n",
            "    serverless: {memory_mb: 4096, max_concurrency: 10}\n",
        ),
    )
    found = problems(write_blueprint(text))
    [serverless] = [p for p in found if "serverless endpoints do not support inference pipelines" in p]
    assert serverless.startswith(f"bp.yaml:{line_of(text, '        pipeline:')}:")


def test_a_step_takes_an_image_or_a_framework(write_blueprint: WriteBlueprint) -> None:
    text = _edit(
        PIPELINE,
        (
            '            image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/risk/filter-input:1.4.0"\n',
            '            image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/risk/filter-input:1.4.0"\n'
            '            framework: pytorch\n            framework_version: "2.6"\n',
        ),
    )
    _rejected(
        write_blueprint, text, "- name: filter-input", "step filter-input takes an image or a framework, not both"
    )


def test_component_names_fit_every_environment(write_blueprint: WriteBlueprint) -> None:
    long_name = "c" * 40
    text = _edit(COMPONENTS, ("{name: toxicity, model: toxicity,", f"{{name: {long_name}, model: toxicity,"))
    found = problems(write_blueprint(text))
    [name] = [p for p in found if "SageMaker inference component name" in p]
    assert name.startswith(f"bp.yaml:{line_of(text, long_name)}:")
    assert "names have at most 63" in name


def test_more_rollback_alarms_than_sagemaker_takes_are_rejected(write_blueprint: WriteBlueprint) -> None:
    # Every component's rolling update names all the endpoint's alarms: a latency alarm per component
    # and the error rate. AutoRollbackConfiguration takes at most 10.
    extra = "".join(
        f"      - {{name: extra{i}, model: toxicity, accelerators: 1, memory_mb: 1024, copies: {{min: 0, max: 1}}}}\n"
        for i in range(8)
    )
    text = _edit(
        COMPONENTS,
        (
            "    routing: {strategy: least-outstanding-requests}\n",
            extra + "    routing: {strategy: least-outstanding-requests}\n",
        ),
    )
    found = problems(write_blueprint(text))
    [alarms] = [p for p in found if "rollback alarms" in p]
    assert alarms.startswith(f"bp.yaml:{line_of(text, 'alarms: {p99_latency_ms: 300')}:")
    assert "12 rollback alarms (a latency alarm per component plus the error rate); SageMaker allows 10" in alarms
