"""The `mlstack` command line: `app` holds the commands, `common` what they share."""
