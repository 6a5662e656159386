"""Regenerate `data/sagemaker_images.json` from sagemaker-core: `uv run python -m mlstack.components.images_refresh`.

`sagemaker.core.image_uris` resolves SageMaker container image URIs offline, but importing it takes
over a second (it pulls in pandas), too slow for an offline plan that must finish in about one. So
the URIs it resolves for the images mlstack uses are snapshotted into a compact JSON catalog that
`components.images` reads with the standard library.

Every URI is `{account}.dkr.ecr.{region}.{dns_suffix}/{repository}:{tag}`. The catalog stores, per
(framework, version, processor), the `repository:tag` once and an index into a shared table of
region -> account maps, plus one region -> DNS suffix table. The build calls `retrieve` for every
entry in every region sagemaker-core knows, derives the tables from what it returns, and then checks
that `components.images` rebuilds each of those URIs exactly and refuses every region where
`retrieve` refused. `--check` exits non-zero when the file on disk differs from a fresh build.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from typing import Any, cast

from mlstack.components import images

IMAGE_SCOPE = "inference"
REFRESH_COMMAND = "uv run python -m mlstack.components.images_refresh"
# One instance type per processor: sagemaker-core picks the processor from the instance family.
_INSTANCE_FOR = {"cpu": "ml.m5.xlarge", "gpu": "ml.g5.xlarge"}
_PY = re.compile(r"^py(?P<major>\d)(?P<minor>\d*)$")


class CatalogMismatchError(RuntimeError):
    """The compact catalog does not rebuild what sagemaker-core returns."""


@dataclass(frozen=True)
class Request:
    """One image the catalog holds: a version string as users write it, on one processor."""

    framework: str
    version: str
    """As accepted by `retrieve`: a full version ("2.6.0") or an alias ("2.6", "latest")."""
    processor: str
    """"cpu", "gpu", or "any" for images without a processor dimension."""
    py_version: str | None
    base: str | None
    """HuggingFace only: the base framework, e.g. "pytorch2.6.0"."""

    def retrieve_kwargs(self) -> dict[str, Any]:
        """Keyword arguments to `sagemaker.core.image_uris.retrieve` besides framework and region."""
        kwargs: dict[str, Any] = {}
        if self.framework == images.MONITOR:
            return kwargs
        kwargs["image_scope"] = IMAGE_SCOPE
        kwargs["version"] = self.version
        kwargs["instance_type"] = _INSTANCE_FOR["cpu" if self.processor == "cpu" else "gpu"]
        if self.py_version is not None:
            kwargs["py_version"] = self.py_version
        if self.base is not None:
            kwargs["base_framework_version"] = self.base
        return kwargs


@contextmanager
def fast_retrieve() -> Iterator[None]:
    """Let `retrieve` reuse one botocore endpoint resolver instead of re-reading endpoints.json each call.

    Building a resolver parses botocore's endpoints.json (~40 ms); the resolver is immutable, so
    sharing it changes no result and makes thousands of calls take seconds instead of minutes.
    """
    from sagemaker.core import common_utils

    original = common_utils._botocore_resolver
    common_utils._botocore_resolver = functools.cache(original)
    try:
        yield
    finally:
        common_utils._botocore_resolver = original


def _version_key(version: str) -> tuple[int, Any]:
    from packaging.version import InvalidVersion, Version

    try:
        return (1, Version(version))
    except InvalidVersion:
        return (0, version)


def _py_key(py_version: str) -> tuple[int, int]:
    match = _PY.match(py_version)
    if match is None:
        raise CatalogMismatchError(f"unexpected Python version {py_version!r}")
    return int(match["major"]), int(match["minor"] or -1)


def _scope(framework: str) -> dict[str, Any]:
    from sagemaker.core import image_uris

    config: dict[str, Any] = image_uris.config_for_framework(framework)
    return config if "versions" in config else config[IMAGE_SCOPE]


def _regions(node: Any) -> set[str]:
    """Every region any `registries` map under `node` names."""
    if not isinstance(node, dict):
        return set()
    found = set(node["registries"]) if isinstance(node.get("registries"), dict) else set()
    for key, value in node.items():
        if key != "registries":
            found |= _regions(value)
    return found


def _requests(framework: str) -> tuple[list[Request], list[str], dict[str, str]]:
    """The images to snapshot for `framework`, the versions newest first, and the aliases."""
    from sagemaker.core import image_uris

    scope = _scope(framework)
    aliases: dict[str, str] = dict(scope.get("version_aliases", {}))
    concrete = sorted(scope["versions"], key=_version_key, reverse=True)
    listed = image_uris.list_versions(framework, image_scope=scope.get("scope", [IMAGE_SCOPE])[0])
    if set(listed) != set(concrete) | set(aliases):
        raise CatalogMismatchError(f"{framework}: list_versions disagrees with the config: {listed}")
    order: list[str] = []
    for version in concrete:
        order += sorted((a for a, target in aliases.items() if target == version), key=_version_key, reverse=True)
        order.append(version)
    if framework in images.CONTAINERS or framework == images.MONITOR:
        processors = ["any"] if framework == images.MONITOR or not scope.get("processors") else ["gpu"]
    else:
        processors = ["gpu", "cpu"]
    requests = []
    for version in order:
        config = scope["versions"][aliases.get(version, version)]
        base = None
        if framework == "huggingface":
            # HuggingFace inference images come per base framework; mlstack serves PyTorch models,
            # so take the newest PyTorch base built for this transformers version.
            bases = [key for key in config if key.startswith("pytorch")]
            if not bases:
                continue
            base = max(bases, key=lambda key: _version_key(key.removeprefix("pytorch")))
            config = config[base]
        py_versions = config.get("py_versions", [])
        py_version = max(py_versions, key=_py_key) if py_versions else None
        requests += [Request(framework, version, processor, py_version, base) for processor in processors]
    return requests, order, aliases


def _retrieve(request: Request, region: str) -> str | None:
    from sagemaker.core import image_uris

    try:
        return str(image_uris.retrieve(request.framework, region, **request.retrieve_kwargs()))
    except (ValueError, KeyError):
        # ValueError: region, version or processor not offered; KeyError: a version whose config
        # has no container_version for this processor, i.e. no such image.
        return None


def build() -> dict[str, Any]:
    """Snapshot every image of `components.images`' frameworks and containers, verified region by region."""
    with fast_retrieve():
        return _build()


def _build() -> dict[str, Any]:
    frameworks = (*images.FRAMEWORKS, *images.CONTAINERS, images.MONITOR)
    all_regions = sorted(set().union(*(_regions(_scope(framework)) for framework in frameworks)))
    suffixes: dict[str, str] = {}
    tables: list[dict[str, str]] = []
    catalog_frameworks: dict[str, Any] = {}
    resolved: list[tuple[Request, dict[str, str | None]]] = []
    for framework in frameworks:
        requests, order, aliases = _requests(framework)
        versions: dict[str, Any] = {}
        for request in requests:
            uris = {region: _retrieve(request, region) for region in all_regions}
            accounts: dict[str, str] = {}
            found: set[str] = set()
            for region, uri in uris.items():
                if uri is None:
                    continue
                match = re.fullmatch(
                    rf"(?P<account>\d{{12}})\.dkr\.ecr\.{re.escape(region)}\.(?P<suffix>[^/]+)/(?P<image>.+)", uri
                )
                if match is None:
                    raise CatalogMismatchError(f"{request}: unexpected URI shape {uri}")
                if suffixes.setdefault(region, match["suffix"]) != match["suffix"]:
                    raise CatalogMismatchError(
                        f"{region}: two ECR DNS suffixes, {suffixes[region]} and {match['suffix']}"
                    )
                accounts[region] = match["account"]
                found.add(match["image"])
            if not accounts:
                continue
            if len(found) != 1:
                raise CatalogMismatchError(f"{request}: the image differs by region: {sorted(found)}")
            if accounts not in tables:
                tables.append(accounts)
            entry = versions.setdefault(request.version, {"registries": tables.index(accounts), "images": {}})
            if entry["registries"] != tables.index(accounts):
                raise CatalogMismatchError(f"{request}: processors are published in different regions")
            entry["images"][request.processor] = found.pop()
            if request.version in aliases:
                entry["alias_for"] = aliases[request.version]
            if request.py_version is not None:
                entry["py_version"] = request.py_version
            if request.base is not None:
                entry["base"] = request.base
            resolved.append((request, uris))
        catalog_frameworks[framework] = {"order": [v for v in order if v in versions], "versions": versions}
    catalog = {
        "comment": f"Generated by `{REFRESH_COMMAND}`; do not edit. URI = "
        "{registries[region]}.dkr.ecr.{region}.{dns_suffix[region]}/{image}",
        "sagemaker_core_version": metadata.version("sagemaker-core"),
        "image_scope": IMAGE_SCOPE,
        "dns_suffix": dict(sorted(suffixes.items())),
        "registries": [dict(sorted(table.items())) for table in tables],
        "frameworks": catalog_frameworks,
    }
    _verify(catalog, resolved)
    return catalog


def _verify(catalog: dict[str, Any], resolved: list[tuple[Request, dict[str, str | None]]]) -> None:
    """`components.images` must rebuild every URI `retrieve` returned and refuse every region it refused."""
    for request, uris in resolved:
        for region, expected in uris.items():
            try:
                actual: str | None = images.image_uri(
                    cast(images.Catalog, catalog), request.framework, request.version, request.processor, region
                )
            except images.UnsupportedImage:
                actual = None
            if actual != expected:
                raise CatalogMismatchError(f"{request} in {region}: rebuilt {actual}, sagemaker-core says {expected}")


def render(catalog: dict[str, Any]) -> str:
    """The catalog as the file stores it: sorted keys, one item per line, so diffs stay readable."""
    return json.dumps(catalog, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mlstack.components.images_refresh", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the catalog on disk is stale")
    args = parser.parse_args(argv)
    text = render(build())
    if args.check:
        current = images.CATALOG.read_text(encoding="utf-8") if images.CATALOG.exists() else ""
        if current != text:
            print(f"{images.CATALOG} is stale; run `{REFRESH_COMMAND}`", file=sys.stderr)
            return 1
        return 0
    images.CATALOG.write_text(text, encoding="utf-8")
    print(f"wrote {images.CATALOG} ({len(text.encode())} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
