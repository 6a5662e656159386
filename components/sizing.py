"""GPU sizing for large models (Pulumi-free): does a model fit, and what is the cheapest fit.

Shared by the blueprint rules (reject what cannot load), the program (container timeouts) and
cost rightsizing.
"""

from __future__ import annotations

from dataclasses import dataclass

from components import instances

BYTES_PER_PARAMETER = {"fp32": 4.0, "fp16": 2.0, "bf16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5}

# Weights may fill at most this share of GPU memory. The rest holds the KV cache, activations and
# the CUDA context; serving stacks such as vLLM and LMI reserve ~90% of memory and need a fair
# share of it beyond the weights to batch requests at all.
GPU_MEMORY_HEADROOM = 0.8

# SageMaker's allowed range for both ContainerStartupHealthCheckTimeoutInSeconds and
# ModelDataDownloadTimeoutInSeconds is 60-3600 s.
MAX_TIMEOUT_SECONDS = 3600
# LMI gives a model 1800 s to load by default and asks for a health-check timeout at least that long:
# https://docs.djl.ai/docs/serving/serving/docs/lmi/deployment_guide/configurations.html
LARGE_MODEL_BASE_SECONDS = 1800
LARGE_MODEL_SECONDS_PER_GIB = 30


def weights_gib(parameters_billions: float, dtype: str) -> float:
    """Memory the weights alone take on the GPUs."""
    return parameters_billions * 1e9 * BYTES_PER_PARAMETER[dtype] / 2**30


def usable_gpu_gib(instance: instances.InstanceType) -> float:
    return instance.gpu_memory_gib * GPU_MEMORY_HEADROOM


def fits(instance: instances.InstanceType, weights: float) -> bool:
    return instance.gpus > 0 and weights <= usable_gpu_gib(instance)


def tensor_parallel_problem(instance: instances.InstanceType, degree: int) -> str | None:
    """Why `degree` cannot shard over `instance`'s GPUs, or None when it can."""
    if instance.gpus == 0:
        return f"{instance.name} has no GPUs; tensor parallelism needs a GPU instance"
    if degree > instance.gpus:
        return f"tensor_parallel_degree {degree} exceeds the {instance.gpus} GPUs of {instance.name}"
    if instance.gpus % degree:
        return (
            f"tensor_parallel_degree {degree} does not divide the {instance.gpus} GPUs of {instance.name}; "
            f"use one of {', '.join(str(d) for d in range(1, instance.gpus + 1) if instance.gpus % d == 0)}"
        )
    return None


@dataclass(frozen=True)
class Fit:
    """An instance type that can hold a model, and what it costs."""

    instance: instances.InstanceType
    price: instances.HourlyPrice


def cheapest_fit(weights: float, region: str, *, tensor_parallel_degree: int | None = None) -> Fit | None:
    """The cheapest priced endpoint instance type whose GPUs hold `weights` (and shard evenly)."""
    candidates: list[Fit] = []
    for instance in instances.endpoint_instance_types():
        if not fits(instance, weights):
            continue
        if tensor_parallel_degree and tensor_parallel_problem(instance, tensor_parallel_degree):
            continue
        price = instances.hourly_price(instance.name, region)
        if price is not None:
            candidates.append(Fit(instance, price))
    return min(candidates, key=lambda fit: (fit.price.usd_per_hour, fit.instance.name), default=None)


# Without a declared size, assume a mid-sized model (about 10B parameters in 16-bit).
ASSUMED_LARGE_MODEL_GIB = 20.0


def large_model_timeout_seconds(weights: float | None) -> int:
    """Time to download and load `weights` GiB before the container must answer health checks."""
    gib = ASSUMED_LARGE_MODEL_GIB if weights is None else weights
    return min(MAX_TIMEOUT_SECONDS, LARGE_MODEL_BASE_SECONDS + round(LARGE_MODEL_SECONDS_PER_GIB * gib))
