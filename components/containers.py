"""Settings the large-model inference containers read from their environment (Pulumi-free).

Each container documents its own variable names; SageMaker mounts weights from an S3 prefix
(ModelDataSource) at /opt/ml/model.
"""

from __future__ import annotations

MODEL_DIR = "/opt/ml/model"

# TGI takes a torch dtype name for unquantized weights and a quantization method otherwise.
_TGI_DTYPE = {"fp16": "float16", "bf16": "bfloat16"}
_TGI_QUANTIZE = {"fp8": "fp8", "int8": "bitsandbytes", "int4": "bitsandbytes-nf4"}
# LMI and vLLM take these dtype names; quantized formats are read from the checkpoint itself.
_LMI_DTYPE = {"fp32": "fp32", "fp16": "fp16", "bf16": "bf16"}
_VLLM_DTYPE = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}


def large_model_environment(container: str, *, gpus: int, dtype: str | None) -> dict[str, str]:
    """Environment of `container` sharding one model copy over `gpus` GPUs in `dtype`."""
    if container == "djl-lmi":
        # https://docs.djl.ai/master/docs/serving/serving/docs/lmi/user_guides/configurations.html
        environment = {"HF_MODEL_ID": MODEL_DIR, "OPTION_TENSOR_PARALLEL_DEGREE": str(gpus)}
        if dtype in _LMI_DTYPE:
            environment["OPTION_DTYPE"] = _LMI_DTYPE[dtype]
        return environment
    if container == "huggingface-llm":
        # https://huggingface.co/docs/sagemaker/en/reference/inference-toolkit (TGI on SageMaker)
        environment = {"HF_MODEL_ID": MODEL_DIR, "SM_NUM_GPUS": str(gpus)}
        if dtype in _TGI_DTYPE:
            environment["DTYPE"] = _TGI_DTYPE[dtype]
        elif dtype in _TGI_QUANTIZE:
            environment["HF_MODEL_QUANTIZE"] = _TGI_QUANTIZE[dtype]
        return environment
    if container == "huggingface-vllm":
        # The SageMaker vLLM image turns SM_VLLM_<ARG> into vLLM's --<arg> flags.
        environment = {"SM_VLLM_MODEL": MODEL_DIR, "SM_VLLM_TENSOR_PARALLEL_SIZE": str(gpus)}
        if dtype in _VLLM_DTYPE:
            environment["SM_VLLM_DTYPE"] = _VLLM_DTYPE[dtype]
        return environment
    raise ValueError(f"unknown large-model container {container!r}")
