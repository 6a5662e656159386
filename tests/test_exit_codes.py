"""One exit-code table for every command: 0 ok, 1 findings (check), 2 invalid input or an unusable
environment (an output that cannot be written), 3 a bug. An unwritable output is one line and exit 2,
never a traceback, never exit 1 (which `check` reserves for findings), never a partial file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, REPO

RECSYS = str(EXAMPLES / "recsys.yaml")


def mlstack(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlstack", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "COLUMNS": "1000"},
        check=False,
    )


def _unwritable(tmp_path: Path) -> list[Path]:
    """Outputs no process can write, even as root: under a regular file, in /proc, onto a directory."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    directory = tmp_path / "a-directory"
    directory.mkdir()
    return [blocker / "out.json", Path("/proc/mlstack-out.json"), directory]


@pytest.mark.parametrize(
    "command",
    [
        ["plan", RECSYS, "--env", "prod", "-o"],
        ["check", RECSYS, "--env", "prod", "--format", "sarif", "-o"],
        ["check", RECSYS, "--env", "prod", "--format", "table", "-o"],
        ["schema", "-o"],
    ],
    ids=["plan", "check-sarif", "check-table", "schema"],
)
def test_an_unwritable_output_is_exit_2_in_one_line(command: list[str], tmp_path: Path) -> None:
    for target in _unwritable(tmp_path):
        result = mlstack(*command, str(target))
        assert result.returncode == 2, (target, result.stderr)
        assert "Traceback" not in result.stderr
        [line] = [line for line in result.stderr.splitlines() if "cannot write" in line]
        assert line.startswith(f"mlstack: cannot write {target}: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-directory", "a-file"]
    assert list((tmp_path / "a-directory").iterdir()) == []  # no temporary file left behind


def test_check_writes_the_table_to_a_file_too(tmp_path: Path) -> None:
    out = tmp_path / "findings.txt"
    result = mlstack("check", RECSYS, "--env", "prod", "-o", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert "mlstack policy findings (prod)" in text
    assert text.rstrip().splitlines()[-1] == "0 mandatory, 4 advisory, 4 suppressed; exit 0"
    assert "\x1b[" not in text  # no terminal colours in a file
    assert result.stdout == ""


def test_plan_json_reads_the_price_file_too(tmp_path: Path) -> None:
    prices = tmp_path / "prices.yaml"
    prices.write_text("- {instance_type: ml.m5.large, usd_per_hour: -1}\n")
    for mode in (["--json"], ["-o", str(tmp_path / "plan.json")], []):
        result = mlstack("plan", RECSYS, "--env", "prod", "--prices", str(prices), *mode)
        assert result.returncode == 2, (mode, result.stderr)
        assert result.stderr.startswith(f"{prices}:1:"), result.stderr
    assert not (tmp_path / "plan.json").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["validate", "{missing}"],
        ["plan", "{missing}", "--env", "prod"],
        ["cost", "{missing}", "--env", "prod"],
        ["diff", "{missing}", "--env", "dev", "--env", "prod"],
        ["check", "{missing}", "--env", "prod"],
        ["check", "--preview-json", "{missing}"],
        ["plan", RECSYS, "--env", "prod", "--prices", "{missing}"],
        ["plan", RECSYS, "--env", "prod", "--base-plan", "{missing}"],
    ],
    ids=["validate", "plan", "cost", "diff", "check", "preview-json", "prices", "base-plan"],
)
def test_a_missing_input_is_one_line_from_our_reader(command: list[str], tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    result = mlstack(*[str(missing) if arg == "{missing}" else arg for arg in command])
    assert result.returncode == 2, result.stderr
    assert "╭" not in result.stderr and "Usage:" not in result.stderr  # no click box
    assert any(line.startswith(f"{missing}:1:1: ") for line in result.stderr.splitlines()), result.stderr


def test_a_huge_number_is_described_not_printed(tmp_path: Path) -> None:
    # Python refuses to print an integer of over 4,300 digits; the message must not try.
    text = (EXAMPLES / "recsys.yaml").read_text(encoding="utf-8")
    blueprint = tmp_path / "huge.yaml"
    blueprint.write_text(text.replace("cost_center: CC-4312", "cost_center: " + "9" * 5000, 1), encoding="utf-8")
    result = mlstack("validate", str(blueprint))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert "5000-character number" in result.stderr and "9" * 100 not in result.stderr
