"""Settings the large-model inference containers read from their environment (Pulumi-free).

Each container documents its own variable names; SageMaker mounts weights from an S3 prefix
(ModelDataSource) at /opt/ml/model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MODEL_DIR = "/opt/ml/model"

# TGI takes a torch dtype name for unquantized weights and a quantization method otherwise.
_TGI_DTYPE = {"fp16": "float16", "bf16": "bfloat16"}
_TGI_QUANTIZE = {"fp8": "fp8", "int8": "bitsandbytes", "int4": "bitsandbytes-nf4"}
# LMI and vLLM take these dtype names; quantized formats are read from the checkpoint itself.
_LMI_DTYPE = {"fp32": "fp32", "fp16": "fp16", "bf16": "bf16"}
_VLLM_DTYPE = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}
# The variable each container shards one model copy over GPUs by.
_TENSOR_PARALLEL = {
    "djl-lmi": "OPTION_TENSOR_PARALLEL_DEGREE",
    "huggingface-llm": "SM_NUM_GPUS",
    "huggingface-vllm": "SM_VLLM_TENSOR_PARALLEL_SIZE",
}
# The variables each container takes a dtype in, with the names it takes.
_DTYPES: dict[str, tuple[tuple[str, dict[str, str]], ...]] = {
    "djl-lmi": (("OPTION_DTYPE", _LMI_DTYPE),),
    "huggingface-llm": (("DTYPE", _TGI_DTYPE), ("HF_MODEL_QUANTIZE", _TGI_QUANTIZE)),
    "huggingface-vllm": (("SM_VLLM_DTYPE", _VLLM_DTYPE),),
}


def large_model_environment(container: str, *, gpus: int, dtype: str | None) -> dict[str, str]:
    """Environment of `container` sharding one model copy over `gpus` GPUs in `dtype`."""
    # djl-lmi: https://docs.djl.ai/master/docs/serving/serving/docs/lmi/user_guides/configurations.html
    # huggingface-llm: https://huggingface.co/docs/sagemaker/en/reference/inference-toolkit (TGI on SageMaker)
    # huggingface-vllm: the SageMaker vLLM image turns SM_VLLM_<ARG> into vLLM's --<arg> flags.
    if container not in _TENSOR_PARALLEL:
        raise ValueError(f"unknown large-model container {container!r}")
    model_key = "SM_VLLM_MODEL" if container == "huggingface-vllm" else "HF_MODEL_ID"
    environment = {model_key: MODEL_DIR, _TENSOR_PARALLEL[container]: str(gpus)}
    for key, names in _DTYPES[container]:
        if dtype in names:
            environment[key] = names[dtype]
            break
    return environment


@dataclass(frozen=True)
class LargeModelSettings:
    """What a large-model container's environment says about the model it serves."""

    container: str
    tensor_parallel_degree: int | None
    """None when the value is not a positive whole number."""
    dtype: str | None
    """A blueprint dtype; None when the environment does not say. LMI and vLLM read fp8, int8 and
    int4 from the checkpoint, so those never show here."""


def read_large_model_environment(environment: Mapping[str, Any]) -> LargeModelSettings | None:
    """The inverse of `large_model_environment`: None when `environment` is no large-model container's.

    Values are read only for the keys present, by indexing, so an unknown-checking mapping (the
    policy pack's) raises on exactly the unknown value that matters.
    """
    keys = set(environment)  # iterating reads keys, never values
    container = next((c for c, key in _TENSOR_PARALLEL.items() if key in keys), None)
    if container is None:
        return None
    degree_text = str(environment[_TENSOR_PARALLEL[container]])
    degree = int(degree_text) if degree_text.isdigit() and int(degree_text) > 0 else None
    dtype = None
    for key, names in _DTYPES[container]:
        if key in keys:
            value = str(environment[key])
            dtype = next((ours for ours, theirs in names.items() if theirs == value), None)
            break
    return LargeModelSettings(container, degree, dtype)
