"""One sizing truth: validation, cost rightsizing and the policy pack judge GPU fit by components.sizing.

The agreement tests run each of the three over every endpoint instance type of the catalogue and
every dtype, and require the same accept/reject. Where the policy pack cannot see something (the
weights' size; fp8 served by djl-lmi or huggingface-vllm, read from the checkpoint), the tests say so.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from functools import cache
from typing import Any

import pytest

from mlstack.blueprints import rules
from mlstack.blueprints.load import load_for_environment
from mlstack.blueprints.rules.models import model_shape
from mlstack.blueprints.schema import Blueprint, Model
from mlstack.components import images, instances, sizing
from mlstack.components.containers import large_model_environment, read_large_model_environment
from mlstack.policies.framework import OFFLINE_UNKNOWN_TEXT
from mlstack.policies.offline import evaluate, from_plan
from mlstack.policies.rules import rule_named
from mlstack.policies.settings import PolicySettings
from mlstack.stack.cost.estimate import _Needs
from mlstack.stack.plan import plan_resolved
from mlstack.stack.plan.check import policy_settings
from mlstack.stack.plan.engine import Plan, PlannedResource
from tests.conftest import EXAMPLES, WriteBlueprint, line_of, problems

TYPES = instances.endpoint_instance_types()
DTYPES = tuple(sizing.BYTES_PER_PARAMETER)
TENSOR_PARALLEL = (None, 1, 2, 4, 8)
SIZES = (1.0, 13.0, 70.0)  # 1B never fills any catalogue GPU's memory; 13B and 70B do on some
REGION = "us-east-1"
RULE = rule_named("sagemaker-large-model-sizing")
PROD = PolicySettings(environment="prod")
T_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
T_MODEL = "aws:sagemaker/model:Model"
MULTI_GPU = EXAMPLES / "multi-gpu.yaml"
FIT = re.compile(r"the cheapest type that fits is (ml\.\S+) \(")

Shape = tuple[str, float, int | None]  # dtype, parameters_billions, tensor_parallel_degree
SHAPES: tuple[Shape, ...] = tuple((d, p, tp) for d in DTYPES for p in SIZES for tp in TENSOR_PARALLEL)


def _model(dtype: str, parameters: float, tp: int | None, container: str = "djl-lmi") -> dict[str, Any]:
    model: dict[str, Any] = {
        "container": container,
        "model_data": "s3://sizing-models/llm/",
        "parameters_billions": parameters,
        "dtype": dtype,
    }
    if tp is not None:
        model["tensor_parallel_degree"] = tp
    return model


@cache
def validation_sweep() -> tuple[Blueprint, dict[tuple[Shape, str], list[str]]]:
    """Every shape on every type, validated by the real rules: the problems at each variant's instance_type."""
    endpoints: list[dict[str, Any]] = []
    where: dict[tuple[int, int], tuple[Shape, str]] = {}
    for shape in SHAPES:
        for start in range(0, len(TYPES), 10):  # a blueprint endpoint has at most 10 variants
            chunk = TYPES[start : start + 10]
            for index, instance in enumerate(chunk):
                where[(len(endpoints), index)] = (shape, instance.name)
            endpoints.append(
                {
                    "name": f"e{len(endpoints)}",
                    "models": {"m": _model(*shape)},
                    "variants": [{"name": f"v{i}", "model": "m", "instance_type": t.name} for i, t in enumerate(chunk)],
                }
            )
    blueprint = Blueprint.model_validate(
        {
            "blueprint": "sizing",
            "team": "ml-platform",
            "owner": "ml-platform@example.com",
            "cost_center": "CC-4312",
            "region": REGION,
            "environments": {"dev": {}},
            "endpoints": endpoints,
        }
    )
    found: dict[tuple[Shape, str], list[str]] = {key: [] for key in where.values()}
    for path, message in rules.check(blueprint):
        assert path[0] == "endpoints" and path[2] == "variants" and path[4] == "instance_type", (path, message)
        found[where[(int(path[1]), int(path[3]))]].append(message)
    return blueprint, found


def _shape_model(blueprint: Blueprint, shape: Shape) -> Model:
    index = SHAPES.index(shape) * len(range(0, len(TYPES), 10))
    return blueprint.endpoints[index].models["m"]


def test_every_catalogue_gpu_has_a_known_compute_capability() -> None:
    gpu_types = {t.gpu_type for t in instances.endpoint_instance_types() if t.has_gpu}
    assert None not in gpu_types
    assert gpu_types <= set(sizing.COMPUTE_CAPABILITY), gpu_types - set(sizing.COMPUTE_CAPABILITY)
    no_bf16 = {g for g, cc in sizing.COMPUTE_CAPABILITY.items() if cc < (8, 0)}
    fp8 = {g for g, cc in sizing.COMPUTE_CAPABILITY.items() if cc >= (8, 9)}
    assert no_bf16 == {"NVIDIA Tesla K80", "NVIDIA Tesla V100", "NVIDIA T4 Tensor Core"}
    assert fp8 == set(sizing.COMPUTE_CAPABILITY) - no_bf16 - {"NVIDIA A100", "NVIDIA A10G"}


def test_an_unknown_gpu_fails_bf16_and_fp8_but_not_fp16() -> None:
    future = dataclasses.replace(instances.lookup("ml.g6.12xlarge"), gpu_type="NVIDIA Z9000")
    for dtype in ("bf16", "fp8"):
        [problem] = sizing.ModelShape(dtype=dtype).problems(future)
        assert problem.kind == "dtype"
        assert "compute capability of the NVIDIA Z9000 GPUs of ml.g6.12xlarge is not known" in problem.message
    assert sizing.ModelShape(dtype="fp16").problems(future) == []


def test_validation_and_rightsizing_agree_on_every_type_and_dtype() -> None:
    blueprint, found = validation_sweep()
    image = images.container_image("djl-lmi", REGION)
    current = instances.lookup("ml.g5.12xlarge")
    # GPU types rightsizing never offers whatever the model: no vCPU/memory figures in the catalogue.
    never_offered = {t.name for t in TYPES if t.has_gpu and (t.vcpu is None or t.memory_gib is None)}
    assert never_offered == {"ml.p2.xlarge", "ml.p2.8xlarge", "ml.p2.16xlarge", "ml.p6e-gb200.36xlarge"}
    checked = 0
    for shape in SHAPES:
        model = _shape_model(blueprint, shape)
        judged = model_shape(model)
        needs = _Needs.of(current, model, image)
        for instance in TYPES:
            messages = found[(shape, instance.name)]
            accepted = not messages
            assert accepted == (not judged.problems(instance)), (shape, instance.name, messages)
            assert needs.met_by(instance) == (accepted and instance.name not in never_offered), (shape, instance.name)
            for message in messages:
                if match := FIT.search(message):  # a named alternative really serves the model
                    assert judged.problems(instances.lookup(match.group(1))) == [], message
            checked += 1
    assert checked == len(SHAPES) * len(TYPES) == 90 * 277


def test_rightsizing_honours_the_tensor_parallel_degree_without_a_declared_size() -> None:
    model = Model(container="djl-lmi", model_data="s3://sizing-models/llm/", tensor_parallel_degree=4)
    needs = _Needs.of(instances.lookup("ml.g5.12xlarge"), model, images.container_image("djl-lmi", REGION))
    assert "a GPU count divisible by tensor_parallel_degree 4" in needs.text
    offered = {t.name for t in TYPES if needs.met_by(t)}
    assert offered and all(instances.lookup(name).gpus % 4 == 0 for name in offered)
    assert "ml.g7e.2xlarge" not in offered  # 96 GiB like ml.g5.12xlarge, but one GPU


# --- the 13B bf16 model of the report, through `mlstack validate` --------------------------------


def _thirteen_b(instance_type: str) -> str:
    text = MULTI_GPU.read_text(encoding="utf-8")
    return text.replace("parameters_billions: 8", "parameters_billions: 13").replace(
        "instance_type: ml.g6.12xlarge", f"instance_type: {instance_type}"
    )


@pytest.mark.parametrize("instance_type", ["ml.g4dn.12xlarge", "ml.p3.8xlarge"])
def test_bf16_on_gpus_older_than_ampere_is_an_error_naming_a_type_that_works(
    write_blueprint: WriteBlueprint, instance_type: str
) -> None:
    text = _thirteen_b(instance_type)
    [problem] = problems(write_blueprint(text))
    line = line_of(text, f"{{name: main, model: main, instance_type: {instance_type}")
    gpu = instances.lookup(instance_type).gpu_type
    assert problem.startswith(f"bp.yaml:{line}:35: endpoints.assistant.variants.main.instance_type: variant main ")
    assert f"bf16 needs GPUs of compute capability 8.0 or newer (Ampere or newer); the {gpu} GPUs" in problem
    match = FIT.search(problem)
    assert match, problem
    suggested = instances.lookup(match.group(1))
    shape = sizing.ModelShape.declared(13, "bf16", 4, needs_gpu=True)
    assert shape.problems(suggested) == []
    assert suggested.family not in ("g4dn", "p3")
    assert re.search(r"\(4 GPUs, \d+ GiB, \$\d+\.\d\d/h (listed|estimated)\)$", problem), problem


def test_the_does_not_fit_suggestion_honours_the_dtype(write_blueprint: WriteBlueprint) -> None:
    # 13B bf16 = 24.2 GiB; ml.g5.2xlarge has one 24 GiB A10G (19.2 usable) and 1 GPU for degree 4. The cheapest
    # 4-GPU type with the memory is ml.g4dn.12xlarge (T4, no bf16): it must not be the suggestion.
    found = problems(write_blueprint(_thirteen_b("ml.g5.2xlarge")))
    [memory] = [p for p in found if "take 24.2 GiB" in p]
    match = FIT.search(memory)
    assert match, memory
    assert match.group(1) not in {t.name for t in TYPES if t.family in ("g4dn", "p3")}
    assert sizing.ModelShape.declared(13, "bf16", 4).problems(instances.lookup(match.group(1))) == []


def test_fp8_before_ada_is_an_error(write_blueprint: WriteBlueprint) -> None:
    text = _thirteen_b("ml.g5.12xlarge").replace("dtype: bf16", "dtype: fp8")
    [problem] = problems(write_blueprint(text))
    assert "fp8 needs GPUs of compute capability 8.9 or newer (Ada, Hopper or Blackwell); the NVIDIA A10G" in problem
    match = FIT.search(problem)
    assert match and instances.lookup(match.group(1)).gpu_type in {"NVIDIA L4", "NVIDIA L40S"} | {
        g for g, cc in sizing.COMPUTE_CAPABILITY.items() if cc >= (9, 0)
    }


# --- the policy pack ------------------------------------------------------------------------------


def test_the_container_environment_reads_back() -> None:
    hidden = set()
    for container in images.CONTAINERS:
        for dtype in (None, *DTYPES):
            environment = large_model_environment(container, gpus=4, dtype=dtype)
            read = read_large_model_environment(environment)
            assert read is not None and (read.container, read.tensor_parallel_degree) == (container, 4)
            written = len(environment) == 3  # the model path, the degree, and the dtype when the container takes it
            assert read.dtype == (dtype if written else None), (container, dtype, environment)
            if dtype in sizing.MIN_COMPUTE_CAPABILITY and read.dtype is None:
                hidden.add((container, dtype))
    # The environment hides no dtype some catalogue GPU lacks, except fp8 on LMI and vLLM (read from the checkpoint).
    assert hidden == {("djl-lmi", "fp8"), ("huggingface-vllm", "fp8")}
    assert read_large_model_environment({"MODEL_CACHE_ROOT": "/opt/ml/model"}) is None


@pytest.fixture(scope="module")
def plan() -> Plan:
    return plan_resolved(load_for_environment(MULTI_GPU, "prod"))


def _policy_rejects(plan: Plan, container: str, dtype: str, tp: int | None) -> dict[str, bool]:
    """The rule's verdict on every type: a configuration per type, cut from the real plan, and its model."""
    model = plan.get(T_MODEL, "llm-prod-assistant-model-main")
    config = plan.get(T_CONFIG, "llm-prod-assistant-config")
    resources: dict[str, PlannedResource] = {}
    urns = {}
    for index, instance in enumerate(TYPES):
        # As stack/program.py writes it: the declared degree, else every GPU of the instance. One model
        # per distinct environment keeps the stack small.
        degree = tp or max(instance.gpus, 1)
        name = f"{model.name}-{degree}"
        model_urn = f"{model.urn}-{degree}"
        if model_urn not in resources:
            model_inputs = copy.deepcopy(dict(model.inputs))
            model_inputs["name"] = name
            model_inputs["primaryContainer"]["image"] = images.container_image(container, "eu-west-1")
            model_inputs["primaryContainer"]["environment"] = large_model_environment(
                container, gpus=degree, dtype=dtype
            )
            resources[model_urn] = dataclasses.replace(model, urn=model_urn, name=name, inputs=model_inputs)
        config_inputs = copy.deepcopy(dict(config.inputs))
        config_inputs["productionVariants"][0].update(instanceType=instance.name, modelName=name)
        config_urn = f"{config.urn}-{index}"
        resources[config_urn] = dataclasses.replace(
            config, urn=config_urn, name=f"{config.name}-{index}", inputs=config_inputs, dependencies=(model_urn,)
        )
        urns[config_urn] = instance.name
    report = evaluate(from_plan(dataclasses.replace(plan, resources=tuple(resources.values()))), PROD, [RULE])
    assert all(f.kind == "violation" for f in report.findings), report.findings
    rejected = {urns[f.urn] for f in report.findings}
    return {t.name: t.name in rejected for t in TYPES}


@pytest.mark.parametrize("container", images.CONTAINERS)
def test_the_policy_agrees_with_validation_on_every_type_and_dtype(plan: Plan, container: str) -> None:
    # A 1B model fits every GPU's memory, so what validation rejects is GPUs, degree or dtype: what the
    # resources show. (The weights are not in the props; GPU memory is validation's alone.)
    blueprint, found = validation_sweep()
    for dtype in DTYPES:
        for tp in TENSOR_PARALLEL:
            rejects = _policy_rejects(plan, container, dtype, tp)
            visible = read_large_model_environment(large_model_environment(container, gpus=1, dtype=dtype))
            assert visible is not None
            for instance in TYPES:
                validation = [p.kind for p in model_shape(_shape_model(blueprint, (dtype, 1.0, tp))).problems(instance)]
                assert bool(found[((dtype, 1.0, tp), instance.name)]) == bool(validation)
                expected = validation if visible.dtype == dtype else [k for k in validation if k != "dtype"]
                assert rejects[instance.name] == bool(expected), (container, dtype, tp, instance.name, validation)


def _resolved_with(dtype: str, instance_type: str, container: str = "djl-lmi") -> Any:
    resolved = load_for_environment(MULTI_GPU, "prod")
    endpoint = resolved.blueprint.endpoints[0]
    model = endpoint.models["main"].model_copy(update={"dtype": dtype, "container": container})
    variant = endpoint.variants[0].model_copy(update={"instance_type": instance_type})
    endpoint = endpoint.model_copy(update={"models": {"main": model}, "variants": [variant]})
    blueprint = resolved.blueprint.model_copy(update={"endpoints": [endpoint, *resolved.blueprint.endpoints[1:]]})
    return dataclasses.replace(resolved, blueprint=blueprint)


@pytest.mark.parametrize(
    ("dtype", "instance_type", "container", "fragment"),
    [
        ("bf16", "ml.g4dn.12xlarge", "djl-lmi", "bf16 needs GPUs of compute capability 8.0 or newer"),
        ("bf16", "ml.p3.8xlarge", "huggingface-vllm", "the NVIDIA Tesla V100 GPUs of ml.p3.8xlarge are 7.0"),
        ("fp8", "ml.g5.12xlarge", "huggingface-llm", "fp8 needs GPUs of compute capability 8.9 or newer"),
        ("fp16", "ml.g6.2xlarge", "djl-lmi", "tensor_parallel_degree 4 exceeds the 1 GPUs of ml.g6.2xlarge"),
    ],
)
def test_the_policy_rule_fires_on_the_plan_of_such_a_blueprint(
    dtype: str, instance_type: str, container: str, fragment: str
) -> None:
    # Planned from the blueprint as the program builds it (validation, which would stop it, is skipped).
    resolved = _resolved_with(dtype, instance_type, container)
    report = evaluate(from_plan(plan_resolved(resolved)), policy_settings(resolved))
    [finding] = [f for f in report.findings if f.rule == RULE.name]
    assert (finding.kind, finding.level, finding.name) == ("violation", "mandatory", "llm-prod-assistant-config")
    assert finding.message.startswith(
        f"variant main of llm-prod-assistant-config serves model llm-prod-assistant-model-main ({container}) "
        f"on {instance_type}: "
    )
    assert fragment in finding.message
    assert report.exit_code == 1


def test_the_policy_rule_passes_on_a_good_plan(plan: Plan) -> None:
    resolved = _resolved_with("fp8", "ml.g6.12xlarge", "huggingface-llm")
    for checked in (plan, plan_resolved(resolved)):
        report = evaluate(from_plan(checked), PROD, [RULE])
        assert report.findings == ()
        assert report.checked == ((RULE.name, ""),)


def _edited(plan: Plan, name: str, edit: Any) -> Plan:
    resources = []
    for resource in plan.resources:
        inputs = copy.deepcopy(dict(resource.inputs))
        if resource.name == name:
            edit(inputs)
        resources.append(dataclasses.replace(resource, inputs=inputs))
    return dataclasses.replace(plan, resources=tuple(resources))


def test_an_unknown_degree_cannot_be_evaluated_and_is_not_a_pass(plan: Plan) -> None:
    def unknown_degree(inputs: dict[str, Any]) -> None:
        inputs["primaryContainer"]["environment"]["OPTION_TENSOR_PARALLEL_DEGREE"] = OFFLINE_UNKNOWN_TEXT

    report = evaluate(from_plan(_edited(plan, "llm-prod-assistant-model-main", unknown_degree)), PROD, [RULE])
    [finding] = report.findings
    assert (finding.kind, finding.level, finding.name) == ("unknown", "advisory", "llm-prod-assistant-config")
    assert "OPTION_TENSOR_PARALLEL_DEGREE is unknown" in finding.message


@pytest.mark.parametrize("unknown", ["the variant's modelName", "the model's name"])
def test_an_unknown_model_name_joins_by_dependency(plan: Plan, unknown: str) -> None:
    def on_t4(inputs: dict[str, Any]) -> None:
        inputs["productionVariants"][0]["instanceType"] = "ml.g4dn.12xlarge"
        if unknown == "the variant's modelName":
            inputs["productionVariants"][0]["modelName"] = OFFLINE_UNKNOWN_TEXT

    def unknown_name(inputs: dict[str, Any]) -> None:
        if unknown == "the model's name":
            inputs["name"] = OFFLINE_UNKNOWN_TEXT

    edited = _edited(_edited(plan, "llm-prod-assistant-config", on_t4), "llm-prod-assistant-model-main", unknown_name)
    report = evaluate(from_plan(edited), PROD, [RULE])
    [finding] = report.findings
    assert finding.kind == "violation" and "bf16 needs GPUs of compute capability 8.0" in finding.message
