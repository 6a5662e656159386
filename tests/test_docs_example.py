"""docs/examples holds `mlstack docs` of the reference blueprint's prod, and it is current."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlstack.stack.cli.app import app
from tests.conftest import REPO

COMMITTED = REPO / "docs" / "examples"
REGENERATE = "uv run mlstack docs blueprints/examples/recsys.yaml --env prod -o docs/examples"


def test_the_committed_page_is_what_mlstack_docs_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # the page names the blueprint by the path it was given
    result = CliRunner().invoke(
        app, ["docs", "blueprints/examples/recsys.yaml", "--env", "prod", "-o", str(tmp_path)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    for name in ("recsys-prod.md", "recsys-prod.dot"):
        assert (tmp_path / name).read_text() == (COMMITTED / name).read_text(), f"{name} is stale: run `{REGENERATE}`"
    svg = (COMMITTED / "recsys-prod.svg").read_text()
    assert svg.lstrip().startswith(("<?xml", "<svg")) and "Endpoint ranker" in svg
