"""Cost allocation and ownership tags on every taggable resource."""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Iterator

from mlstack.components.sdk import light
from mlstack.policies.framework import ResourceView, Rule, tags_of
from mlstack.policies.settings import PolicySettings

REQUIRED_TAGS = ("owner", "team", "cost_center", "environment")
_PACKAGES = {"aws": "pulumi_aws", "aws-native": "pulumi_aws_native"}


@functools.cache
def is_taggable(type_token: str) -> bool:
    """Whether the provider's resource class takes `tags`, read from the installed SDK itself.

    `aws:s3/bucket:Bucket` -> `pulumi_aws.s3.Bucket`; `aws-native:sagemaker:Endpoint` ->
    `pulumi_aws_native.sagemaker.Endpoint`. Types of other packages (components, providers) have no tags.
    """
    package, _, rest = type_token.partition(":")
    if package not in _PACKAGES or rest.count(":") != 1:
        return False
    # The classes mlstack's components use are in the light table, read from these same classes;
    # importing a generated service package costs 0.1-0.3 s, most of an offline check's start-up.
    known = light.input_names(type_token)
    if known is not None:
        return "tags" in known
    module_part, class_name = rest.split(":")
    module = module_part.split("/")[0]
    base = _PACKAGES[package]
    candidates = [base] if module == "index" else [f"{base}.{module}", f"{base}.{module}_"]
    for name in candidates:
        try:
            loaded = importlib.import_module(name)
        except ImportError:
            continue
        cls = getattr(loaded, class_name, None)
        if cls is not None:
            init = getattr(cls, "_internal_init", cls.__init__)
            return "tags" in inspect.signature(init).parameters
    raise LookupError(f"no resource class for {type_token} in {base}")


def _required_tags(args: ResourceView, _settings: PolicySettings) -> Iterator[str]:
    if not is_taggable(args.resource_type):
        return
    tags = tags_of(args.props) or {}
    missing = [t for t in REQUIRED_TAGS if not tags.get(t)]
    if missing:
        yield f"{args.name} lacks required tags: {', '.join(missing)}"


REQUIRED_TAGS_RULE = Rule(
    name="required-tags",
    description="Checks whether every taggable resource carries the owner, team, cost_center and environment tags.",
    severity="low",
    remediation="Set owner, team and cost_center in the blueprint; mlstack tags every resource with them.",
    check=_required_tags,
    kind="resource",
    aws_config=("required-tags",),
)

RULES = (REQUIRED_TAGS_RULE,)
