"""Image URIs: the offline catalog against sagemaker-core, concrete URIs, and the error messages."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from mlstack.components import images, images_refresh
from mlstack.components.images import UnsupportedImage
from tests.conftest import REPO

STALE = f"{images.CATALOG.name} is stale: run `{images_refresh.REFRESH_COMMAND}` and commit the result"


@pytest.fixture(scope="module")
def image_uris() -> Iterator[Any]:
    from sagemaker.core import image_uris

    with images_refresh.fast_retrieve():
        yield image_uris


def test_catalog_was_generated_by_the_installed_sagemaker_core(image_uris: Any) -> None:
    from importlib import metadata

    on_disk = images.CATALOG.read_text(encoding="utf-8")
    assert json.loads(on_disk)["sagemaker_core_version"] == metadata.version("sagemaker-core"), STALE
    # build() also checks each entry against retrieve() in every region sagemaker-core knows.
    assert images_refresh.render(images_refresh.build()) == on_disk, STALE


def test_catalog_stays_small() -> None:
    assert images.CATALOG.stat().st_size < 300_000


def _ours(framework: str, version: str, processor: str, region: str) -> str | None:
    try:
        if framework in images.FRAMEWORKS:
            return images.framework_image(framework, version, region, gpu=processor == "gpu")
        if framework in images.CONTAINERS:
            return images.container_image(framework, region, version=version)
        return images.model_monitor_image(region)
    except UnsupportedImage:
        return None


def _theirs(image_uris: Any, framework: str, version: str, processor: str, region: str) -> str | None:
    entry = images.catalog()["frameworks"][framework]["versions"][version]
    kwargs: dict[str, Any] = {}
    if framework != images.MONITOR:
        kwargs = {"version": version, "image_scope": "inference"}
        kwargs["instance_type"] = "ml.m5.xlarge" if processor == "cpu" else "ml.g5.xlarge"
    if "py_version" in entry:
        kwargs["py_version"] = entry["py_version"]
    if "base" in entry:
        kwargs["base_framework_version"] = entry["base"]
    try:
        return str(image_uris.retrieve(framework, region, **kwargs))
    except (ValueError, KeyError):
        return None


def test_public_functions_agree_with_sagemaker_core_in_every_region(image_uris: Any) -> None:
    catalog = images.catalog()
    regions = sorted(catalog["dns_suffix"])
    checked = 0
    for framework, entries in catalog["frameworks"].items():
        for version, entry in entries["versions"].items():
            for processor in entry["images"]:
                for region in regions:
                    ours = _ours(framework, version, processor, region)
                    theirs = _theirs(image_uris, framework, version, processor, region)
                    assert ours == theirs, (framework, version, processor, region, STALE)
                    checked += ours is not None
    assert checked > 8000


def test_python_version_and_huggingface_base_are_the_newest(image_uris: Any) -> None:
    for version, entry in images.catalog()["frameworks"]["pytorch"]["versions"].items():
        newest = max(
            image_uris.list_py_versions("pytorch", version, image_scope="inference"), key=images_refresh._py_key
        )
        assert entry.get("py_version") == newest, version
    config = image_uris.config_for_framework("huggingface")["inference"]
    for version, entry in images.catalog()["frameworks"]["huggingface"]["versions"].items():
        bases = [key for key in config["versions"][entry.get("alias_for", version)] if key.startswith("pytorch")]
        assert entry.get("base") == max(bases, key=lambda key: images_refresh._version_key(key[len("pytorch") :]))


def test_pytorch_2_6_in_eu_west_1() -> None:
    assert (
        images.framework_image("pytorch", "2.6", "eu-west-1", gpu=True)
        == "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.6-gpu-py312"
    )
    assert (
        images.framework_image("pytorch", "2.6", "eu-west-1", gpu=False)
        == "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.6-cpu-py312"
    )
    # The full version is its own tag, as sagemaker-core builds it.
    assert images.framework_image("pytorch", "2.6.0", "eu-west-1", gpu=True).endswith(":2.6.0-gpu-py312")


def test_china_regions_use_their_own_registry_and_domain() -> None:
    assert (
        images.framework_image("pytorch", "2.6", "cn-north-1", gpu=True)
        == "727897471807.dkr.ecr.cn-north-1.amazonaws.com.cn/pytorch-inference:2.6-gpu-py312"
    )


def test_huggingface_4_49_resolves_on_cpu_and_gpu() -> None:
    prefix = "763104351884.dkr.ecr.eu-west-1.amazonaws.com/huggingface-pytorch-inference:2.6.0-transformers4.49.0"
    assert images.framework_image("huggingface", "4.49", "eu-west-1", gpu=True) == (
        f"{prefix}-gpu-py312-cu124-ubuntu22.04"
    )
    assert images.framework_image("huggingface", "4.49", "eu-west-1", gpu=False) == f"{prefix}-cpu-py312-ubuntu22.04"


def test_containers_default_to_their_newest_gpu_image() -> None:
    djl = images.container_image("djl-lmi", "eu-west-1")
    assert djl.startswith("763104351884.dkr.ecr.eu-west-1.amazonaws.com/djl-inference:")
    assert "-lmi" in djl.split(":")[1]
    assert djl == images.container_image("djl-lmi", "eu-west-1", version="latest")
    tgi = images.container_image("huggingface-llm", "eu-west-1")
    assert "/huggingface-pytorch-tgi-inference:" in tgi
    assert "-gpu-" in tgi
    newest_tgi = images.supported_versions("huggingface-llm")[1]
    assert tgi == images.container_image("huggingface-llm", "eu-west-1", version=newest_tgi)
    assert "/huggingface-vllm:" in images.container_image("huggingface-vllm", "eu-west-1")


def test_model_monitor_image() -> None:
    assert (
        images.model_monitor_image("eu-west-1")
        == "468650794304.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-model-monitor-analyzer"
    )


def test_supported_versions_newest_first_with_aliases_before_their_targets() -> None:
    assert images.supported_versions("pytorch")[:4] == ["2.6", "2.6.0", "2.5", "2.5.1"]
    assert images.supported_versions("djl-lmi")[:2] == ["latest", "0.38.0"]
    with pytest.raises(UnsupportedImage, match="unknown framework 'tensorflow'"):
        images.supported_versions("tensorflow")


def test_unknown_version_lists_supported_versions_newest_first() -> None:
    with pytest.raises(UnsupportedImage) as raised:
        images.framework_image("pytorch", "1.14", "eu-west-1", gpu=True)
    assert str(raised.value) == (
        "pytorch 1.14 is not available for inference; supported versions: 2.6, 2.5, 2.4, 2.3, 2.2, 2.1, 2.0, "
        "2.0.0, 1.13, 1.12, 1.12.0, 1.11, 1.10, 1.10.0, 1.9, 1.9.0, 1.8, 1.8.0, 1.7, 1.6, 1.5, 1.4, 1.3, 1.2, "
        "1.1, 1.0, 0.4 (or a full version such as 2.6.0)"
    )


def test_unknown_framework_and_container_list_the_supported_ones() -> None:
    with pytest.raises(UnsupportedImage) as raised:
        images.framework_image("tensorflow", "2.16", "eu-west-1", gpu=True)
    assert str(raised.value) == "unknown framework 'tensorflow'; supported frameworks: pytorch, huggingface"
    with pytest.raises(UnsupportedImage, match="djl-lmi is a container, see container_image"):
        images.framework_image("djl-lmi", "0.38.0", "eu-west-1", gpu=True)
    with pytest.raises(UnsupportedImage) as raised:
        images.container_image("tgi", "eu-west-1")
    assert str(raised.value) == (
        "unknown container 'tgi'; supported containers: djl-lmi, huggingface-llm, huggingface-vllm"
    )


def test_region_errors_stay_short() -> None:
    with pytest.raises(UnsupportedImage) as raised:
        images.framework_image("pytorch", "2.6", "eu-west1", gpu=True)
    assert str(raised.value) == (
        "pytorch 2.6 has no image in unknown region 'eu-west1'; did you mean eu-west-1? (39 regions have it)"
    )
    with pytest.raises(UnsupportedImage) as raised:
        images.model_monitor_image("ap-southeast-7")
    assert str(raised.value) == "model-monitor is not published in 'ap-southeast-7' (30 regions have it)"


def test_version_with_only_one_processor_says_which() -> None:
    # No pytorch or huggingface version in sagemaker-core 2.27 lacks a processor, so drop one here.
    catalog = copy.deepcopy(images.catalog())
    del catalog["frameworks"]["pytorch"]["versions"]["2.6"]["images"]["cpu"]
    with pytest.raises(UnsupportedImage) as raised:
        images.image_uri(catalog, "pytorch", "2.6", "cpu", "eu-west-1")
    assert str(raised.value) == (
        "pytorch 2.6 has no CPU image for inference, only GPU; use a GPU instance type or another version"
    )


def test_importing_and_resolving_loads_neither_sagemaker_nor_pandas() -> None:
    code = (
        "import sys\n"
        "from components import images\n"
        "images.framework_image('pytorch', '2.6', 'eu-west-1', gpu=True)\n"
        "images.container_image('djl-lmi', 'eu-west-1')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sagemaker', 'pandas', 'botocore', 'pulumi'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
