"""`python -m mlstack`: the `mlstack` command."""

from mlstack.stack.cli.app import main

main()
