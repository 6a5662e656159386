"""GPU sizing for large models (Pulumi-free): can an instance type serve a model, and what is the cheapest one.

The one place that knows GPU memory, GPU count against tensor-parallel degree, and which GPU
generations support which dtype. The blueprint rules (reject what cannot load), cost rightsizing
(never offer what cannot load), the policy pack (catch it in a `pulumi preview`) and the program
(container timeouts) all ask here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

from mlstack.components import instances

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

NVIDIA_CUDA_GPUS = "https://developer.nvidia.com/cuda-gpus"
# Compute capability of every `gpu_type` in data/sagemaker_instances.csv, from NVIDIA_CUDA_GPUS.
# A10G is AWS's variant of the A10 (GA102); GB202 is the RTX PRO 6000 Blackwell Server Edition's chip.
# tests/test_sizing.py fails when the catalogue gains a GPU type that is not listed here.
COMPUTE_CAPABILITY: dict[str, tuple[int, int]] = {
    "NVIDIA Tesla K80": (3, 7),
    "NVIDIA Tesla V100": (7, 0),
    "NVIDIA T4 Tensor Core": (7, 5),
    "NVIDIA A100": (8, 0),
    "NVIDIA A10G": (8, 6),
    "NVIDIA L4": (8, 9),
    "NVIDIA L40S": (8, 9),
    "NVIDIA H100": (9, 0),
    "NVIDIA H200": (9, 0),
    "NVIDIA B200": (10, 0),
    "NVIDIA B300": (10, 3),
    "NVIDIA GB202": (12, 0),
    "NVIDIA RTX PRO 4500 Blackwell": (12, 0),
}
# The compute capability a dtype needs. bf16 arithmetic needs Ampere (8.0) or newer: on T4 (7.5),
# V100 (7.0) and K80 (3.7) a bf16 model does not load, or runs emulated. FP8 tensor cores need Ada
# (8.9: L4, L40S), Hopper (9.0) or Blackwell (10.x, 12.x). fp32, fp16, int8 and int4 are taken to run
# on every GPU in the catalogue (which quantized kernels a container has for old GPUs is not modelled).
MIN_COMPUTE_CAPABILITY: dict[str, tuple[int, int]] = {"bf16": (8, 0), "fp8": (8, 9)}
_GENERATION = {"bf16": "Ampere or newer", "fp8": "Ada, Hopper or Blackwell"}

ProblemKind = Literal["gpu", "tensor-parallel", "memory", "dtype"]


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


def _version(capability: tuple[int, int]) -> str:
    return f"{capability[0]}.{capability[1]}"


def dtype_problem(instance: instances.InstanceType, dtype: str) -> str | None:
    """Why `instance`'s GPUs cannot compute in `dtype`, or None when they can.

    A GPU type missing from COMPUTE_CAPABILITY fails a bf16 or fp8 requirement: passing it would
    promise support nobody checked, and a model that does not load is found only at deploy time.
    """
    if dtype not in BYTES_PER_PARAMETER:
        raise ValueError(f"unknown dtype {dtype!r}; known: {', '.join(BYTES_PER_PARAMETER)}")
    needed = MIN_COMPUTE_CAPABILITY.get(dtype)
    if needed is None or instance.gpus == 0:
        return None
    capability = COMPUTE_CAPABILITY.get(instance.gpu_type or "")
    if capability is None:
        return (
            f"the compute capability of the {instance.gpu_type or 'unnamed'} GPUs of {instance.name} is not known "
            f"(components/sizing.py COMPUTE_CAPABILITY), so {dtype} support cannot be confirmed"
        )
    if capability < needed:
        return (
            f"{dtype} needs GPUs of compute capability {_version(needed)} or newer ({_GENERATION[dtype]}); "
            f"the {instance.gpu_type} GPUs of {instance.name} are {_version(capability)} ({NVIDIA_CUDA_GPUS})"
        )
    return None


@dataclass(frozen=True)
class Problem:
    """One reason an instance type cannot serve a model."""

    kind: ProblemKind
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ModelShape:
    """What serving one copy of a model asks of an instance type's GPUs; None means not declared.

    `needs_gpu` is set for the large-model containers, which run on GPUs whatever the model; declared
    weights or a tensor-parallel degree imply GPUs too. A dtype alone does not: CPU dtypes are not modelled.
    """

    weights_gib: float | None = None
    tensor_parallel_degree: int | None = None
    dtype: str | None = None
    needs_gpu: bool = False

    @classmethod
    def declared(
        cls,
        parameters_billions: float | None,
        dtype: str | None,
        tensor_parallel_degree: int | None,
        *,
        needs_gpu: bool = False,
    ) -> ModelShape:
        """The shape of a model declared with these blueprint fields (weights need both size and dtype)."""
        weights = None if parameters_billions is None or dtype is None else weights_gib(parameters_billions, dtype)
        return cls(weights, tensor_parallel_degree, dtype, needs_gpu)

    @property
    def requires_gpu(self) -> bool:
        return self.needs_gpu or self.weights_gib is not None or self.tensor_parallel_degree is not None

    def problems(self, instance: instances.InstanceType) -> list[Problem]:
        """Every reason `instance` cannot serve this model; empty when it can."""
        if not instance.has_gpu:
            return [Problem("gpu", f"{instance.name} has no GPUs")] if self.requires_gpu else []
        found: list[Problem] = []
        if self.tensor_parallel_degree is not None:
            tensor_parallel = tensor_parallel_problem(instance, self.tensor_parallel_degree)
            if tensor_parallel:
                found.append(Problem("tensor-parallel", tensor_parallel))
        if self.weights_gib is not None and not fits(instance, self.weights_gib):
            found.append(
                Problem(
                    "memory",
                    f"the weights take {self.weights_gib:.1f} GiB, but {instance.name} has "
                    f"{instance.gpu_memory_gib:g} GiB of GPU memory, {usable_gpu_gib(instance):.1f} GiB usable "
                    f"with {100 - 100 * GPU_MEMORY_HEADROOM:.0f}% headroom for the KV cache",
                )
            )
        if self.dtype is not None:
            unsupported = dtype_problem(instance, self.dtype)
            if unsupported:
                found.append(Problem("dtype", unsupported))
        return found

    def requirements(self) -> list[str]:
        """What an instance type must have, in words (empty when the shape asks nothing of the GPUs)."""
        parts = []
        if self.weights_gib is not None:
            parts.append(
                f"GPUs with {self.weights_gib / GPU_MEMORY_HEADROOM:.1f} GiB for {self.weights_gib:.1f} GiB of weights"
            )
        if self.tensor_parallel_degree and self.tensor_parallel_degree > 1:
            parts.append(f"a GPU count divisible by tensor_parallel_degree {self.tensor_parallel_degree}")
        if self.dtype in MIN_COMPUTE_CAPABILITY:
            parts.append(f"{self.dtype} support (compute capability {_version(MIN_COMPUTE_CAPABILITY[self.dtype])}+)")
        return parts


@dataclass(frozen=True)
class Fit:
    """An instance type that can serve a model, and what it costs."""

    instance: instances.InstanceType
    price: instances.HourlyPrice


@functools.cache
def cheapest_fit(shape: ModelShape, region: str) -> Fit | None:
    """The cheapest priced endpoint instance type with no sizing problem for `shape`."""
    candidates: list[Fit] = []
    for instance in instances.endpoint_instance_types():
        if shape.problems(instance):
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
