"""SageMaker framework and serving-container image URIs, resolved offline in microseconds.

The URIs come from `data/sagemaker_images.json`, a snapshot of what `sagemaker.core.image_uris`
returns (regenerate with `uv run python -m mlstack.components.images_refresh`; `tests/test_images.py` fails
when it is stale). sagemaker-core itself is not imported: it takes over a second to import.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import NotRequired, TypedDict, cast

CATALOG = Path(__file__).resolve().parent / "data" / "sagemaker_images.json"

FRAMEWORKS: tuple[str, ...] = ("pytorch", "huggingface")
"""Frameworks whose inference images serve a model from `model_data` with the framework's handler."""
CONTAINERS: tuple[str, ...] = ("djl-lmi", "huggingface-llm", "huggingface-vllm")
"""Large-model serving containers, configured through environment variables; GPU images."""
MONITOR = "model-monitor"


class UnsupportedImage(ValueError):
    """No image for that framework, version, processor or region."""


class CatalogEntry(TypedDict):
    registries: int
    """Index into `Catalog.registries`."""
    images: dict[str, str]
    """`repository:tag` by processor: "cpu", "gpu", or "any" for images without a processor."""
    alias_for: NotRequired[str]
    py_version: NotRequired[str]
    base: NotRequired[str]
    """HuggingFace: the base framework of the image, e.g. "pytorch2.6.0"."""


class CatalogFramework(TypedDict):
    order: list[str]
    """Every accepted version, newest first, each alias just before the version it stands for."""
    versions: dict[str, CatalogEntry]


class Catalog(TypedDict):
    comment: str
    sagemaker_core_version: str
    image_scope: str
    dns_suffix: dict[str, str]
    """ECR DNS suffix by region: amazonaws.com, amazonaws.com.cn, ..."""
    registries: list[dict[str, str]]
    """Shared region -> registry account maps; most versions share one."""
    frameworks: dict[str, CatalogFramework]


@functools.cache
def catalog() -> Catalog:
    """The image catalog, read once."""
    return cast(Catalog, json.loads(CATALOG.read_text(encoding="utf-8")))


def _label(framework: str, version: str) -> str:
    return f"{framework} {version}" if version else framework


def _shown_versions(entry: CatalogFramework) -> list[str]:
    """One name per image, newest first: the short alias ("2.6") where one exists, else the full version."""
    shown: list[str] = []
    for version in entry["order"]:
        target = entry["versions"][version].get("alias_for")
        if target is None:
            if not (shown and entry["versions"][shown[-1]].get("alias_for") == version):
                shown.append(version)
        elif target.startswith(f"{version}."):
            # Aliases such as "latest", or huggingface-llm's "2.0" -> 2.4.0, would only confuse here.
            shown.append(version)
    return shown


def image_uri(snapshot: Catalog, framework: str, version: str, processor: str, region: str) -> str:
    """The URI of one catalog entry in `region`; the lowest level, shared with `images_refresh`."""
    framework_entry = snapshot["frameworks"].get(framework)
    if framework_entry is None:
        raise UnsupportedImage(f"no images for {framework!r}; the catalog has {', '.join(snapshot['frameworks'])}")
    entry = framework_entry["versions"].get(version)
    if entry is None:
        shown = _shown_versions(framework_entry)
        targets = [t for v in shown if (t := framework_entry["versions"][v].get("alias_for"))]
        full = f" (or a full version such as {targets[0]})" if targets else ""
        raise UnsupportedImage(
            f"{framework} {version} is not available for {snapshot['image_scope']}; "
            f"supported versions: {', '.join(shown)}{full}"
        )
    image = entry["images"].get(processor)
    if image is None:
        others = " or ".join(sorted(entry["images"])).upper()
        raise UnsupportedImage(
            f"{_label(framework, version)} has no {processor.upper()} image for {snapshot['image_scope']}, "
            f"only {others}; use a {others} instance type or another version"
        )
    accounts = snapshot["registries"][entry["registries"]]
    account = accounts.get(region)
    if account is None:
        import difflib  # deferred: only the error path needs it

        known = region in snapshot["dns_suffix"]
        close = difflib.get_close_matches(region, accounts, n=1)
        hint = f"; did you mean {close[0]}?" if close and not known else ""
        what = "is not published in" if known else "has no image in unknown region"
        raise UnsupportedImage(
            f"{_label(framework, version)} {what} {region!r}{hint} ({len(accounts)} regions have it)"
        )
    return f"{account}.dkr.ecr.{region}.{snapshot['dns_suffix'][region]}/{image}"


def framework_image(framework: str, version: str, region: str, *, gpu: bool) -> str:
    """The inference image of `framework` `version` (e.g. "pytorch", "2.6") in `region`.

    For huggingface, `version` is the transformers version; the image is the newest PyTorch base
    built for it. The Python version is the newest the image was built for.
    """
    if framework not in FRAMEWORKS:
        hint = f"; {framework} is a container, see container_image" if framework in CONTAINERS else ""
        raise UnsupportedImage(f"unknown framework {framework!r}; supported frameworks: {', '.join(FRAMEWORKS)}{hint}")
    return image_uri(catalog(), framework, version, "gpu" if gpu else "cpu", region)


def container_image(container: str, region: str, *, version: str | None = None) -> str:
    """The GPU image of a serving container (e.g. "djl-lmi") in `region`; the newest version by default."""
    if container not in CONTAINERS:
        raise UnsupportedImage(f"unknown container {container!r}; supported containers: {', '.join(CONTAINERS)}")
    entry = catalog()["frameworks"][container]
    if version is None:
        version = next(v for v in entry["order"] if "alias_for" not in entry["versions"][v])
    # djl-lmi's config has no processor dimension; its images are GPU builds all the same.
    known = entry["versions"].get(version)
    processor = "any" if known is not None and "gpu" not in known["images"] else "gpu"
    return image_uri(catalog(), container, version, processor, region)


def model_monitor_image(region: str) -> str:
    """SageMaker Model Monitor's analyzer image, which data-quality jobs run, in `region`."""
    return image_uri(catalog(), MONITOR, "", "any", region)


def supported_versions(framework: str) -> list[str]:
    """Every version string accepted for a framework or container, newest first, aliases included."""
    if framework not in (*FRAMEWORKS, *CONTAINERS):
        raise UnsupportedImage(f"unknown framework {framework!r}; supported: {', '.join((*FRAMEWORKS, *CONTAINERS))}")
    return list(catalog()["frameworks"][framework]["order"])
