"""The Pulumi program of this repository's project (Pulumi.yaml `main: stack/`).

A team's repository runs the same function from its own two-line `__main__.py`, which
`mlstack init` writes: Pulumi's Python host runs a file of the project, not an installed module.
"""

from mlstack.stack.program import run_from_stack_config

run_from_stack_config()
