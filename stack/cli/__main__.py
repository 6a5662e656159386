"""`python -m stack.cli`: the `mlstack` command."""

from stack.cli.app import main

main()
