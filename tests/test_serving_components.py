"""What the serving components register for the reference endpoints, by (type, name)."""

from __future__ import annotations

import pytest

from mlstack.stack.plan import plan_file
from mlstack.stack.plan.engine import UNKNOWN_TEXT, Plan
from tests.conftest import EXAMPLES, WriteBlueprint

MODEL = "aws:sagemaker/model:Model"
CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
ENDPOINT = "aws-native:sagemaker:Endpoint"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TARGET = "aws:appautoscaling/target:Target"
POLICY = "aws:appautoscaling/policy:Policy"


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {env: plan_file(EXAMPLES / "recsys.yaml", env)[1] for env in ("dev", "prod")}


def test_ab_variants_keep_their_weights(plans: dict[str, Plan]) -> None:
    config = plans["prod"].get(CONFIG, "recsys-prod-ranker-config")
    assert [(v["variantName"], v["initialVariantWeight"]) for v in config.inputs["productionVariants"]] == [
        ("champion", 90),
        ("challenger", 10),
    ]


def test_data_capture_goes_to_the_bucket_encrypted(plans: dict[str, Plan]) -> None:
    capture = plans["prod"].get(CONFIG, "recsys-prod-ranker-config").inputs["dataCaptureConfig"]
    assert capture["enableCapture"] is True
    assert capture["initialSamplingPercentage"] == 20
    assert capture["destinationS3Uri"] == "s3://recsys-prod-000000000000-eu-west-1/data-capture/ranker"
    assert capture["kmsKeyId"] == UNKNOWN_TEXT  # the platform key, created in the same run
    assert capture["captureOptions"] == [{"captureMode": "Input"}, {"captureMode": "Output"}]


def test_no_data_capture_where_none_was_asked_for(plans: dict[str, Plan]) -> None:
    assert "dataCaptureConfig" not in plans["prod"].get(CONFIG, "recsys-prod-assistant-llm-config").inputs


def test_shadow_variant_copies_its_sample_of_traffic(plans: dict[str, Plan]) -> None:
    config = plans["prod"].get(CONFIG, "recsys-prod-fraud-scorer-config").inputs
    [live] = config["productionVariants"]
    [shadow] = config["shadowProductionVariants"]
    assert live["variantName"] == "live" and live["initialInstanceCount"] == 2
    assert shadow["variantName"] == "candidate"
    assert shadow["instanceType"] == "ml.c6i.xlarge"
    # sample_percent 100 with a production weight of 1: the shadow's weight is 1 x 100 / 100.
    assert shadow["initialVariantWeight"] == live["initialVariantWeight"] == 1


def test_shadow_weight_follows_the_sample(write_blueprint: WriteBlueprint) -> None:
    text = (EXAMPLES / "shadow.yaml").read_text()
    _, plan = plan_file(write_blueprint(text), "dev")
    [shadow] = plan.get(CONFIG, "shadow-dev-fraud-scorer-config").inputs["shadowProductionVariants"]
    assert shadow["initialVariantWeight"] == 0.5  # sample_percent 50 of a weight-1 production variant


def test_fallback_model_is_deployed_and_named_in_the_outputs(plans: dict[str, Plan]) -> None:
    plan = plans["prod"]
    assert plan.get(MODEL, "recsys-prod-fraud-scorer-model-v7")
    assert "fallback_model_fraud-scorer" in plan.outputs
    assert "fallback_model_ranker" not in plan.outputs


def test_canary_rollout_rolls_back_on_the_endpoint_alarms(plans: dict[str, Plan]) -> None:
    endpoint = plans["prod"].get(ENDPOINT, "recsys-prod-ranker-endpoint")
    deployment = endpoint.inputs["deploymentConfig"]
    routing = deployment["blueGreenUpdatePolicy"]["trafficRoutingConfiguration"]
    assert routing == {
        "canarySize": {"type": "CAPACITY_PERCENT", "value": 10},
        "type": "CANARY",
        "waitIntervalInSeconds": 600,
    }
    assert deployment["blueGreenUpdatePolicy"]["terminationWaitInSeconds"] == 600
    # Two steps of (bake 600 s + 900 s to provision) plus the final 600 s bake = 3600 s, within 600-28800.
    assert deployment["blueGreenUpdatePolicy"]["maximumExecutionTimeoutInSeconds"] == 3600
    assert deployment["autoRollbackConfiguration"]["alarms"] == [
        {"alarmName": "recsys-prod-ranker-champion-p99-latency"},
        {"alarmName": "recsys-prod-ranker-challenger-p99-latency"},
        {"alarmName": "recsys-prod-ranker-error-rate"},
    ]
    alarm_urns = {
        plans["prod"].get(ALARM, f"recsys-prod-ranker-{n}").urn for n in ("champion-p99-latency", "error-rate")
    }
    assert alarm_urns <= set(endpoint.dependencies)


def test_no_deployment_config_without_a_rollout(plans: dict[str, Plan]) -> None:
    assert "deploymentConfig" not in plans["prod"].get(ENDPOINT, "recsys-prod-fraud-scorer-endpoint").inputs


def test_linear_and_rolling_rollouts(write_blueprint: WriteBlueprint) -> None:
    _, plan = plan_file(write_blueprint((EXAMPLES / "rollout.yaml").read_text()), "prod")
    linear = plan.get(ENDPOINT, "rollout-prod-pricing-endpoint").inputs["deploymentConfig"]
    assert linear["blueGreenUpdatePolicy"]["trafficRoutingConfiguration"] == {
        "linearStepSize": {"type": "CAPACITY_PERCENT", "value": 25},
        "type": "LINEAR",
        "waitIntervalInSeconds": 300,
    }
    rolling = plan.get(ENDPOINT, "rollout-prod-search-rerank-endpoint").inputs["deploymentConfig"]
    assert "blueGreenUpdatePolicy" not in rolling
    assert rolling["rollingUpdatePolicy"] == {
        "maximumBatchSize": {"type": "CAPACITY_PERCENT", "value": 25},
        "maximumExecutionTimeoutInSeconds": 4500,  # 4 batches x (180 s bake + 900 s) + a final 180 s bake
        "rollbackMaximumBatchSize": {"type": "CAPACITY_PERCENT", "value": 100},
        "waitIntervalInSeconds": 180,
    }
    assert rolling["autoRollbackConfiguration"]["alarms"] == [
        {"alarmName": "rollout-prod-search-rerank-main-p99-latency"},
        {"alarmName": "rollout-prod-search-rerank-error-rate"},
    ]


def test_latency_alarm_is_in_microseconds(plans: dict[str, Plan]) -> None:
    alarm = plans["prod"].get(ALARM, "recsys-prod-ranker-champion-p99-latency").inputs
    assert alarm["metricName"] == "ModelLatency"
    assert alarm["namespace"] == "AWS/SageMaker"
    assert alarm["extendedStatistic"] == "p99"
    assert alarm["threshold"] == 250_000  # 250 ms
    assert alarm["dimensions"] == {"EndpointName": "recsys-prod-ranker", "VariantName": "champion"}
    assert alarm["treatMissingData"] == "notBreaching"
    assert "statistic" not in alarm


def test_error_rate_alarm_is_metric_math_over_all_variants(plans: dict[str, Plan]) -> None:
    alarm = plans["prod"].get(ALARM, "recsys-prod-ranker-error-rate").inputs
    assert alarm["threshold"] == 0.01
    queries = {q["id"]: q for q in alarm["metricQueries"]}
    assert queries["error_rate"]["expression"] == (
        "IF((FILL(invocations0, 0) + FILL(invocations1, 0)) > 0, "
        "(FILL(errors0, 0) + FILL(errors1, 0)) / (FILL(invocations0, 0) + FILL(invocations1, 0)), 0)"
    )
    assert queries["error_rate"]["returnData"] is True
    assert queries["errors1"]["metric"] == {
        "dimensions": {"EndpointName": "recsys-prod-ranker", "VariantName": "challenger"},
        "metricName": "Invocation5XXErrors",
        "namespace": "AWS/SageMaker",
        "period": 60,
        "stat": "Sum",
    }
    assert "metricName" not in alarm


def test_autoscaling_targets_each_variant(plans: dict[str, Plan]) -> None:
    plan = plans["prod"]
    champion = plan.get(TARGET, "recsys-prod-ranker-champion-scaling-target").inputs
    challenger = plan.get(TARGET, "recsys-prod-ranker-challenger-scaling-target").inputs
    assert champion["resourceId"] == "endpoint/recsys-prod-ranker/variant/champion"
    assert champion["scalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
    assert (champion["minCapacity"], champion["maxCapacity"]) == (2, 8)
    # The challenger starts with one instance; autoscaling keeps that as its floor.
    assert (challenger["minCapacity"], challenger["maxCapacity"]) == (1, 8)
    policy = plan.get(POLICY, "recsys-prod-ranker-champion-scaling-policy").inputs
    tracking = policy["targetTrackingScalingPolicyConfiguration"]
    assert tracking == {
        "predefinedMetricSpecification": {"predefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
        "scaleInCooldown": 600,
        "scaleOutCooldown": 300,
        "targetValue": 300,
    }


def test_gpu_utilization_target_is_scaled_by_the_gpu_count(plans: dict[str, Plan]) -> None:
    policy = plans["prod"].get(POLICY, "recsys-prod-assistant-llm-main-scaling-policy").inputs
    tracking = policy["targetTrackingScalingPolicyConfiguration"]
    # GPUUtilization sums the instance's GPUs: 70% of each of 4 GPUs is 280.
    assert tracking["targetValue"] == 280
    assert tracking["customizedMetricSpecification"]["metricName"] == "GPUUtilization"
    assert tracking["customizedMetricSpecification"]["namespace"] == "/aws/sagemaker/Endpoints"


def test_no_autoscaling_where_none_was_asked_for(plans: dict[str, Plan]) -> None:
    names = {r.name for r in plans["prod"].by_type(TARGET)}
    assert names == {
        "recsys-prod-ranker-champion-scaling-target",
        "recsys-prod-ranker-challenger-scaling-target",
        "recsys-prod-assistant-llm-main-scaling-target",
    }


def test_serverless_endpoint(plans: dict[str, Plan]) -> None:
    plan = plans["prod"]
    config = plan.get(CONFIG, "recsys-prod-intent-classifier-config").inputs
    [variant] = config["productionVariants"]
    assert variant["serverlessConfig"] == {"maxConcurrency": 20, "memorySizeInMb": 4096}
    assert "instanceType" not in variant and "initialInstanceCount" not in variant
    # Serverless supports neither a KMS volume key, data capture, VPC nor network isolation.
    assert "kmsKeyArn" not in config and "dataCaptureConfig" not in config
    model = plan.get(MODEL, "recsys-prod-intent-classifier-model-distilbert").inputs
    assert "vpcConfig" not in model
    assert model["enableNetworkIsolation"] is False
    assert model["primaryContainer"]["image"].endswith("-cpu-py312-ubuntu22.04")


def test_large_model_container_settings(plans: dict[str, Plan]) -> None:
    plan = plans["prod"]
    model = plan.get(MODEL, "recsys-prod-assistant-llm-model-main").inputs
    assert model["primaryContainer"]["environment"] == {
        "HF_MODEL_ID": "/opt/ml/model",
        "OPTION_DTYPE": "bf16",
        "OPTION_TENSOR_PARALLEL_DEGREE": "4",
    }
    [variant] = plan.get(CONFIG, "recsys-prod-assistant-llm-config").inputs["productionVariants"]
    # 8B bf16 = 14.9 GiB of weights: 1800 s + 30 s/GiB = 2247 s.
    assert variant["containerStartupHealthCheckTimeoutInSeconds"] == 2247
    assert variant["modelDataDownloadTimeoutInSeconds"] == 2247
    assert variant["routingConfigs"] == [{"routingStrategy": "LEAST_OUTSTANDING_REQUESTS"}]
    ranker = plan.get(CONFIG, "recsys-prod-ranker-config").inputs["productionVariants"][0]
    assert "containerStartupHealthCheckTimeoutInSeconds" not in ranker and "routingConfigs" not in ranker


def test_other_containers_get_their_own_settings(write_blueprint: WriteBlueprint) -> None:
    _, plan = plan_file(write_blueprint((EXAMPLES / "multi-gpu.yaml").read_text()), "dev")
    tgi = plan.get(MODEL, "llm-dev-summarizer-model-main").inputs["primaryContainer"]
    assert tgi["environment"] == {"DTYPE": "float16", "HF_MODEL_ID": "/opt/ml/model", "SM_NUM_GPUS": "4"}
    assert "huggingface-pytorch-tgi-inference" in tgi["image"]
    _, plan = plan_file(write_blueprint((EXAMPLES / "routing.yaml").read_text()), "dev")
    vllm = plan.get(MODEL, "routing-dev-chat-model-main").inputs["primaryContainer"]
    assert vllm["environment"] == {
        "SM_VLLM_DTYPE": "bfloat16",
        "SM_VLLM_MODEL": "/opt/ml/model",
        "SM_VLLM_TENSOR_PARALLEL_SIZE": "1",
    }


def test_sticky_sessions_are_recorded_on_the_endpoint(plans: dict[str, Plan]) -> None:
    llm = plans["prod"].get(ENDPOINT, "recsys-prod-assistant-llm-endpoint").inputs
    assert {"key": "mlstack-stateful-sessions", "value": "X-Amzn-SageMaker-Session-Id"} in llm["tags"]
    ranker = plans["prod"].get(ENDPOINT, "recsys-prod-ranker-endpoint").inputs
    assert "mlstack-stateful-sessions" not in {tag["key"] for tag in ranker["tags"]}


def test_dev_overrides_reach_the_llm_and_the_autoscaling(plans: dict[str, Plan]) -> None:
    [variant] = plans["dev"].get(CONFIG, "recsys-dev-assistant-llm-config").inputs["productionVariants"]
    assert variant["instanceType"] == "ml.g5.12xlarge"
    champion = plans["dev"].get(TARGET, "recsys-dev-ranker-champion-scaling-target").inputs
    assert champion["minCapacity"] == 1
