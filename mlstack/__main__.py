"""`python -m mlstack`: the `mlstack` command."""

from mlstack.stack.cli.app import main

# Guarded: a spawned worker process (fleets, --jobs) imports the main module again.
if __name__ == "__main__":
    main()
