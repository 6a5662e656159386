"""The Pulumi program: `pulumi up` runs this, and so does the offline plan (under mocks).

Stack config: `mlstack:blueprint` (path to the blueprint, relative to the project) and
`mlstack:environment` (one of the blueprint's environments).
"""

from __future__ import annotations

from pathlib import Path

import pulumi

from mlstack.blueprints.errors import BlueprintInvalid
from mlstack.blueprints.load import load_for_environment
from mlstack.stack.program import run

# Relative blueprint paths are relative to the project (where Pulumi.yaml is), wherever Pulumi
# starts the program from.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

config = pulumi.Config("mlstack")
blueprint_path = PROJECT_ROOT / config.require("blueprint")
environment = config.require("environment")
try:
    resolved = load_for_environment(blueprint_path, environment)
except BlueprintInvalid as invalid:
    # Pulumi shows the message; every problem with its line, not a traceback.
    raise pulumi.RunError(f"blueprint {blueprint_path} is invalid:\n{invalid}") from None

run(resolved)
