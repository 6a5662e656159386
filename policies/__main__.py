"""The CrossGuard entry point: `pulumi preview --policy-pack policies/`.

The only place a `PolicyPack` is constructed: its constructor serves gRPC and never returns.
Enforcement comes from the environment's defaults (`MLSTACK_ENVIRONMENT`, else prod, the strictest);
`--policy-pack-config` overrides any rule's level, as with every CrossGuard pack.
"""

import os

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.rules import build_policies
from policies.settings import PolicySettings

settings = PolicySettings(
    environment=os.environ.get("MLSTACK_ENVIRONMENT", "prod"),
    allow_gpu_in_dev=os.environ.get("MLSTACK_ALLOW_GPU_IN_DEV", "").lower() in {"1", "true", "yes"},
)

PolicyPack(
    name="mlstack",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=build_policies(settings),
    description="mlstack guardrails for ML platforms on AWS",
)
