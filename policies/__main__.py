"""The CrossGuard entry point: `pulumi preview --policy-pack policies/`.

The only place a `PolicyPack` is constructed: its constructor serves gRPC and never returns.

Settings, in order of preference:
- `MLSTACK_BLUEPRINT` (a blueprint path) and `MLSTACK_ENVIRONMENT`: the blueprint's `policies:`
  section, exactly as `mlstack check` applies it (levels, suppressions with reasons, settings);
- otherwise the environment's defaults (`MLSTACK_ENVIRONMENT`, else prod, the strictest) and
  `MLSTACK_ALLOW_GPU_IN_DEV`.
`--policy-pack-config` overrides any rule's level, as with every CrossGuard pack.
"""

import os
from pathlib import Path

from pulumi_policy import EnforcementLevel, PolicyPack

from mlstack.policies.rules import build_policies
from mlstack.policies.settings import PolicySettings

environment = os.environ.get("MLSTACK_ENVIRONMENT", "prod")
blueprint = os.environ.get("MLSTACK_BLUEPRINT")
if blueprint:
    from mlstack.blueprints.load import load_for_environment
    from mlstack.stack.plan.check import policy_settings

    settings = policy_settings(load_for_environment(Path(blueprint), environment))
else:
    settings = PolicySettings(
        environment=environment,
        allow_gpu_in_dev=os.environ.get("MLSTACK_ALLOW_GPU_IN_DEV", "").lower() in {"1", "true", "yes"},
    )

PolicyPack(
    name="mlstack",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=build_policies(settings),
    description="mlstack guardrails for ML platforms on AWS",
)
