"""`python -m stack.cli`: the `mlstack` command."""

from mlstack.stack.cli.app import main

main()
