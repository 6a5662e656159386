"""Invalid serving blueprints: each SageMaker rule fires with its specific message, path and line."""

from __future__ import annotations

import pytest

from mlstack.blueprints.load import load
from tests.conftest import EXAMPLES, WriteBlueprint, line_of, only_problem, problems

REFERENCE = (EXAMPLES / "recsys.yaml").read_text(encoding="utf-8")


def base_and_dev_problem(write_blueprint: WriteBlueprint, text: str) -> str:
    """The base problem; dev overrides the LLM's instance type, so dev reports it again at its override."""
    dev, base = problems(write_blueprint(text))  # sorted by line: the override comes first
    override_line = line_of(text, "endpoints.assistant-llm.variants.main.instance_type")
    assert dev.startswith(f"bp.yaml:{override_line}:7: ") and dev.endswith("(in environment dev)"), dev
    return base


def test_reference_endpoints_are_valid() -> None:
    blueprint = load(EXAMPLES / "recsys.yaml")
    assert [e.name for e in blueprint.endpoints] == ["ranker", "fraud-scorer", "assistant-llm", "intent-classifier"]


def test_tensor_parallel_degree_above_gpu_count_names_the_gpus(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace("tensor_parallel_degree: 4", "tensor_parallel_degree: 8")
    problem = base_and_dev_problem(write_blueprint, text)
    line = line_of(text, "{name: main, model: main, instance_type: ml.g6.12xlarge")
    assert problem.startswith(f"bp.yaml:{line}:")
    assert problem.endswith(
        "endpoints.assistant-llm.variants.main.instance_type: variant main serves model main: "
        "tensor_parallel_degree 8 exceeds the 4 GPUs of ml.g6.12xlarge"
    )


def test_tensor_parallel_degree_must_divide_the_gpus(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace("tensor_parallel_degree: 4", "tensor_parallel_degree: 3")
    assert base_and_dev_problem(write_blueprint, text).endswith(
        "tensor_parallel_degree 3 does not divide the 4 GPUs of ml.g6.12xlarge; use one of 1, 2, 4"
    )


def test_model_too_large_for_gpu_memory_suggests_the_cheapest_fit(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace("parameters_billions: 8", "parameters_billions: 70").replace(
        "instance_type: ml.g6.12xlarge", "instance_type: ml.g5.12xlarge"
    )
    problem = base_and_dev_problem(write_blueprint, text)
    assert problem.startswith(f"bp.yaml:{line_of(text, '{name: main, model: main, instance_type: ml.g5.12xlarge')}:")
    # 70e9 parameters x 2 bytes / 2^30 = 130.4 GiB; 4 x 24 GiB A10G = 96 GiB, 76.8 usable at 80%.
    assert (
        "the bf16 weights of model main (70B parameters) take 130.4 GiB, but ml.g5.12xlarge has 96 GiB of GPU "
        "memory, 76.8 GiB usable with 20% headroom for the KV cache; the cheapest type that fits is "
    ) in problem
    suggestion = problem.split("the cheapest type that fits is ")[1]
    assert suggestion.split(" ")[0] in {"ml.g6e.12xlarge", "ml.p4d.24xlarge", "ml.g6e.24xlarge", "ml.p4de.24xlarge"}


def test_dev_override_is_checked_against_the_model_too(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace(
        "endpoints.assistant-llm.variants.main.instance_type: ml.g5.12xlarge",
        "endpoints.assistant-llm.variants.main.instance_type: ml.g5.2xlarge",
    )
    problem = only_problem(write_blueprint, text)
    assert problem.startswith(f"bp.yaml:{line_of(text, 'endpoints.assistant-llm.variants.main.instance_type')}:")
    assert "tensor_parallel_degree 4 exceeds the 1 GPUs of ml.g5.2xlarge (in environment dev)" in problem


def test_shadow_beside_two_production_variants_fails(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace(
        "      - {name: live, model: v7, instance_type: ml.c6i.xlarge, instances: 2}\n",
        "      - {name: live, model: v7, instance_type: ml.c6i.xlarge, instances: 2}\n"
        "      - {name: live-b, model: v7, instance_type: ml.c6i.xlarge, instances: 1}\n",
    )
    problem = only_problem(write_blueprint, text)
    assert problem == (
        f"bp.yaml:{line_of(text, 'shadow: {name: candidate')}:5: endpoints.fraud-scorer.shadow: a shadow variant "
        "needs exactly one production variant beside it; this endpoint has 2 (live, live-b)"
    )


def test_shadow_model_must_exist(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace("shadow: {name: candidate, model: v8", "shadow: {name: candidate, model: v9")
    assert only_problem(write_blueprint, text).endswith(
        "endpoints.fraud-scorer.shadow.model: shadow names model 'v9', which is not in this endpoint's models (v7, v8)"
    )


def test_shadow_name_must_differ_from_the_variant(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace("shadow: {name: candidate", "shadow: {name: live")
    assert "duplicate variant name 'live'" in only_problem(write_blueprint, text)


def test_fallback_model_must_exist(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace("fallback: {model: v7}", "fallback: {model: v6}")
    problem = only_problem(write_blueprint, text)
    assert problem.startswith(f"bp.yaml:{line_of(text, 'fallback: {model: v6}')}:")
    assert problem.endswith("fallback names model 'v6', which is not in this endpoint's models (v7, v8)")


@pytest.mark.parametrize(
    ("addition", "field", "reason"),
    [
        ("    data_capture: {sample_percent: 10}\n", "data_capture", "SageMaker cannot capture data"),
        (
            "    autoscaling: {min: 1, max: 2, target_invocations_per_instance: 10}\n",
            "autoscaling",
            "serverless endpoints scale by themselves",
        ),
        ("    rollout: {strategy: all-at-once}\n", "rollout", "deployment guardrails do not support serverless"),
        ("    routing: {strategy: random}\n", "routing", "routing strategies apply to instance-based variants only"),
    ],
)
def test_serverless_rejects_what_it_cannot_do(
    write_blueprint: WriteBlueprint, addition: str, field: str, reason: str
) -> None:
    serverless = "    serverless: {memory_mb: 4096, max_concurrency: 20}\n"
    text = REFERENCE.replace(serverless, serverless + addition)
    problem = only_problem(write_blueprint, text)
    assert problem.startswith(f"bp.yaml:{line_of(text, addition.strip())}:")
    assert f"endpoints.intent-classifier.{field}: a serverless endpoint cannot have `{field}`: {reason}" in problem


def test_serverless_memory_size_must_be_a_valid_step(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace("memory_mb: 4096", "memory_mb: 4000")
    problem = only_problem(write_blueprint, text)
    assert "endpoints.intent-classifier.serverless.memory_mb: input should be 1024, 2048, 3072, 4096, 5120 or 6144" in (
        problem
    )


def test_serverless_concurrency_limits(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace("max_concurrency: 20}", "max_concurrency: 20, provisioned_concurrency: 30}")
    assert only_problem(write_blueprint, text).endswith(
        "endpoints.intent-classifier.serverless.provisioned_concurrency: provisioned_concurrency 30 exceeds "
        "max_concurrency 20"
    )
    text = REFERENCE.replace("max_concurrency: 20}", "max_concurrency: 500}")
    assert "serverless.max_concurrency: input should be less than or equal to 200 (got 500)" in only_problem(
        write_blueprint, text
    )


def test_serverless_cannot_run_a_gpu_container(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace(
        '        framework: huggingface\n        framework_version: "4.49"\n        model_data: s3://recsys-artifacts/intent',
        "        container: huggingface-llm\n        model_data: s3://recsys-artifacts/intent",
    )
    assert only_problem(write_blueprint, text).endswith(
        "endpoints.intent-classifier.models.distilbert.container: large-model containers need GPUs, and serverless "
        "endpoints have none"
    )


def test_autoscaling_rejects_burstable_instances(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace(
        "{name: champion, model: champion, instance_type: ml.g5.xlarge",
        "{name: champion, model: champion, instance_type: ml.t2.large",
    )
    problem = only_problem(write_blueprint, text)
    assert problem.startswith(f"bp.yaml:{line_of(text, 'ml.t2.large')}:")
    assert "Application Auto Scaling does not support burstable instances (ml.t2.large)" in problem


def test_autoscaling_min_above_max(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace("autoscaling: {min: 2, max: 8,", "autoscaling: {min: 9, max: 8,")
    found = problems(write_blueprint(text))
    assert any(p.endswith("endpoints.ranker.autoscaling.min: min 9 is above max 8") for p in found)


def test_autoscaling_needs_exactly_one_target(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace(
        "target_invocations_per_instance: 300}", "target_invocations_per_instance: 300, target_gpu_utilization: 50}"
    )
    assert only_problem(write_blueprint, text).endswith(
        "endpoints.ranker.autoscaling: autoscaling needs exactly one target: target_invocations_per_instance or "
        "target_gpu_utilization; got target_invocations_per_instance and target_gpu_utilization"
    )


def test_gpu_utilization_target_needs_gpus(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace(
        "    alarms: {p99_latency_ms: 80, error_rate: 0.001}",
        "    alarms: {p99_latency_ms: 80, error_rate: 0.001}\n"
        "    autoscaling: {min: 2, max: 4, target_gpu_utilization: 60}",
    )
    assert only_problem(write_blueprint, text).endswith(
        "endpoints.fraud-scorer.autoscaling.target_gpu_utilization: variant live runs on ml.c6i.xlarge, which has "
        "no GPUs to measure"
    )


def test_canary_needs_its_size_and_limits(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace("rollout: {strategy: canary, canary_percent: 10,", "rollout: {strategy: canary,")
    assert only_problem(write_blueprint, text).endswith(
        "endpoints.ranker.rollout: strategy canary needs `canary_percent`"
    )
    text = REFERENCE.replace("canary_percent: 10", "canary_percent: 60")
    assert only_problem(write_blueprint, text).endswith(
        "endpoints.ranker.rollout.canary_percent: canary steps must be 1-50% of a variant's capacity; got 60%"
    )


def test_rollout_field_of_another_strategy(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace(
        "rollout: {strategy: canary, canary_percent: 10,",
        "rollout: {strategy: linear, canary_percent: 10, step_percent: 20,",
    )
    assert only_problem(write_blueprint, text).endswith(
        "endpoints.ranker.rollout.canary_percent: `canary_percent` does not apply to strategy linear (it is for canary)"
    )


def test_rolling_update_of_a_multi_variant_endpoint_fails(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace(
        "rollout: {strategy: canary, canary_percent: 10,", "rollout: {strategy: rolling, step_percent: 20,"
    )
    assert only_problem(write_blueprint, text).endswith(
        "endpoints.ranker.rollout: SageMaker does not support rolling deployments of multi-variant endpoints "
        "(this one has 2); use canary, linear or all-at-once"
    )


def test_unknown_rollout_strategy(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace("strategy: canary", "strategy: blue-green")
    assert "endpoints.ranker.rollout.strategy: input should be 'all-at-once', 'canary', 'linear' or 'rolling'" in (
        only_problem(write_blueprint, text)
    )


def test_too_many_variants(write_blueprint: WriteBlueprint) -> None:
    extra = "".join(
        f"      - {{name: v{i}, model: challenger, instance_type: ml.g5.xlarge, instances: 1, weight: 1}}\n"
        for i in range(9)
    )
    text = REFERENCE.replace("    autoscaling: {min: 2, max: 8", extra + "    autoscaling: {min: 2, max: 8")
    found = problems(write_blueprint(text))
    assert any(
        "endpoints.ranker.variants: list should have at most 10 items after validation, not 11" in p for p in found
    )


def test_large_model_container_on_a_cpu_instance(write_blueprint: WriteBlueprint) -> None:
    text = (
        REFERENCE.replace("instance_type: ml.g6.12xlarge", "instance_type: ml.c6i.4xlarge")
        .replace("      endpoints.assistant-llm.variants.main.instance_type: ml.g5.12xlarge\n", "")
        .replace("target_gpu_utilization: 70}", "target_invocations_per_instance: 10}")
    )
    assert only_problem(write_blueprint, text).endswith(
        "endpoints.assistant-llm.variants.main.instance_type: variant main serves the djl-lmi container, which "
        "needs GPUs; ml.c6i.4xlarge has none"
    )


def test_size_fields_go_together(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace("        dtype: bf16\n", "")
    assert only_problem(write_blueprint, text).endswith(
        "endpoints.assistant-llm.models.main: parameters_billions and dtype go together: give both to size GPU "
        "memory, or neither"
    )


def test_data_capture_percent_range(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace("data_capture: {sample_percent: 20}", "data_capture: {sample_percent: 0}")
    assert "endpoints.ranker.data_capture.sample_percent: input should be greater than or equal to 1 (got 0)" in (
        only_problem(write_blueprint, text)
    )


def test_error_rate_must_be_a_fraction(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace("error_rate: 0.01}", "error_rate: 5}")
    assert "endpoints.ranker.alarms.error_rate: input should be less than 1 (got 5)" in only_problem(
        write_blueprint, text
    )


def test_unknown_routing_strategy(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace("strategy: least-outstanding-requests", "strategy: round-robin")
    assert "endpoints.assistant-llm.routing.strategy: input should be 'least-outstanding-requests' or 'random'" in (
        only_problem(write_blueprint, text)
    )


def test_a_rollout_longer_than_sagemakers_deployment_limit(write_blueprint: WriteBlueprint) -> None:
    # 10 linear steps of (60 min bake + 15 min to provision), plus the final bake: 810 minutes > 480.
    text = REFERENCE.replace(
        "rollout: {strategy: canary, canary_percent: 10, bake_minutes: 10}",
        "rollout: {strategy: linear, step_percent: 10, bake_minutes: 60}",
    )
    found = only_problem(write_blueprint, text)
    assert found.startswith(f"bp.yaml:{line_of(text, 'strategy: linear, step_percent: 10')}:")
    assert "endpoints.ranker.rollout.bake_minutes: this rollout needs about 810 minutes" in found
    assert "480-minute deployment limit" in found
    # Four 25% steps of the same bake fit: 4 x 75 + 60 = 360 minutes.
    fits = text.replace("step_percent: 10, bake_minutes: 60", "step_percent: 25, bake_minutes: 60")
    load(write_blueprint(fits))  # raises if any problem remains
