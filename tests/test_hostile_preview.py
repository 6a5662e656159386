"""Hostile `mlstack check --preview-json` input (issue 13): a malformed file exits 2 with
`FILE:LINE:COL: path: message` lines, never 3 or a traceback."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from policies import preview
from stack.cli.app import app
from tests.conftest import REPO

runner = CliRunner()
STACK = "urn:pulumi:shop-prod::mlstack::"
TAGS = {"owner": "o@example.com", "team": "t", "cost_center": "CC-1", "environment": "prod"}
WILDCARD = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def check(path: Path, *extra: str) -> Result:
    return runner.invoke(app, ["check", "--preview-json", str(path), "--env", "prod", *extra])


def problem_lines(result: Result, path: Path) -> list[str]:
    return [line.removeprefix(f"{path}:") for line in result.stderr.splitlines() if line.startswith(f"{path}:")]


def assert_invalid(result: Result, path: Path, *expected: str) -> list[str]:
    """Exit 2, no traceback, and each `LINE:COL: path: message` of `expected` among the problems."""
    assert result.exit_code == 2, (result.exit_code, result.stderr, result.exception)
    assert "internal error" not in result.stderr and "Traceback" not in result.output
    lines = problem_lines(result, path)
    for line in expected:
        assert line in lines, lines
    return lines


def write(tmp_path: Path, text: str | bytes, name: str = "preview.json") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def step(type_: str, name: str, inputs: dict[str, Any], **state: Any) -> dict[str, Any]:
    urn = f"{STACK}{type_}::{name}"
    return {
        "op": "create",
        "urn": urn,
        "newState": {"urn": urn, "type": type_, "custom": True, "inputs": inputs, **state},
    }


# --- the document: syntax, encoding, size, shape ---------------------------------------------------


def test_a_step_that_is_not_an_object(tmp_path: Path) -> None:
    path = write(tmp_path, '{"steps": [1]}')
    assert_invalid(check(path), path, "1:12: steps[0]: is a number, expected an object")


def test_a_new_state_without_urn_names_the_step_and_field(tmp_path: Path) -> None:
    text = '{\n  "steps": [\n    {"op": "create", "newState": {"type": "aws:s3/bucket:Bucket"}}\n  ]\n}\n'
    path = write(tmp_path, text)
    assert_invalid(check(path), path, "3:34: steps[0].newState.urn: missing")


def test_a_type_that_is_a_number(tmp_path: Path) -> None:
    text = '{"steps": [\n{"op": "create", "newState": {"urn": "urn:pulumi:s::p::t::n", "type": 5}}\n]}'
    path = write(tmp_path, text)
    assert_invalid(
        check(path),
        path,
        "2:71: steps[0].newState.type: is a number, expected a resource type token such as aws:s3/bucket:Bucket",
    )


def test_deep_nesting_is_a_problem_not_a_recursion_error(tmp_path: Path) -> None:
    depth = 100_000
    path = write(tmp_path, '{"steps": ' + "[" * depth + "]" * depth + "}")
    # The real process, whose recursion limit json.loads hits.
    result = subprocess.run(
        [sys.executable, "-m", "stack.cli", "check", "--preview-json", str(path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{path}:1:111: <root>: nesting deeper than 100 levels" in result.stderr.splitlines()


def test_inputs_nested_past_the_limit(tmp_path: Path) -> None:
    inputs: dict[str, Any] = {}
    innermost = inputs
    for _ in range(120):
        innermost["a"] = {}
        innermost = innermost["a"]
    path = write(tmp_path, json.dumps({"steps": [step("aws:s3/bucket:Bucket", "b", inputs)]}))
    lines = assert_invalid(check(path), path)
    assert len(lines) == 1 and lines[0].endswith(
        "steps[0].newState.inputs.a.a.a.a.a.a.a.a…: nesting deeper than 100 levels"
    )


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, b'{"steps": [\n  {"op": "cr\xffeate"}]}')
    assert_invalid(check(path), path, "2:13: <root>: file is not UTF-8: invalid start byte (byte 0xff)")


def test_utf16_from_powershell_says_how_to_save_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, '{"steps": []}'.encode("utf-16"))
    (line,) = assert_invalid(check(path), path)
    assert "UTF-16" in line and "Out-File -Encoding utf8" in line


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbf" + json.dumps({"steps": []}).encode())
    assert check(path).exit_code == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"steps": [\n{"op": "create", "x": NaN}]}', "2:23: <root>: NaN is not JSON (nor anything Pulumi writes)"),
        ('{"steps": [{"op": "create", "x": ' + "9" * 5000 + "}]}", "1:34: <root>: a number of more than 4300 digits"),
        ('{"steps": [}', "1:12: <root>: not a `pulumi preview --json` document: Expecting value"),
        (
            "[]",
            "1:1: <root>: is a list, expected an object with a `steps` list (the output of `pulumi preview --json`)",
        ),
        ('{"changeSummary": {}}', "1:1: steps: missing: not a `pulumi preview --json` document"),
        ('{"steps": {}}', "1:11: steps: is an object, expected a list: not a `pulumi preview --json` document"),
    ],
)
def test_not_json_or_not_a_preview(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    assert_invalid(check(path), path, expected)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ({"inputs": []}, "steps[0].newState.inputs: is a list, expected an object"),
        ({"urn": "bucket"}, "steps[0].newState.urn: is a string, expected a Pulumi URN"),
        ({"custom": "yes"}, "steps[0].newState.custom: is a string, expected a boolean"),
        ({"parent": 7}, "steps[0].newState.parent: is a number, expected a URN"),
        ({"dependencies": "urn:pulumi:x"}, "steps[0].newState.dependencies: is a string, expected a list of URNs"),
        ({"dependencies": [7]}, "steps[0].newState.dependencies[0]: is a number, expected a URN"),
        ({"propertyDependencies": []}, "steps[0].newState.propertyDependencies: is a list, expected an object"),
        ({"propertyDependencies": {"k": [1]}}, "steps[0].newState.propertyDependencies.k[0]: is a number"),
    ],
)
def test_every_field_the_rules_read_is_checked(tmp_path: Path, state: dict[str, Any], expected: str) -> None:
    document = {"steps": [step("aws:s3/bucket:Bucket", "b", {})]}
    document["steps"][0]["newState"].update(state)
    path = write(tmp_path, json.dumps(document, indent=2))
    lines = assert_invalid(check(path), path)
    assert any(line.split(": ", 1)[1].startswith(expected) for line in lines), lines


def test_an_op_that_is_not_a_string(tmp_path: Path) -> None:
    path = write(tmp_path, '{"steps": [{"op": 3}]}')
    assert_invalid(
        check(path), path, "1:19: steps[0].op: is a number, expected a string such as create, update or same"
    )


def test_problems_are_capped_and_counted(tmp_path: Path) -> None:
    path = write(tmp_path, json.dumps({"steps": [1] * 70}, indent=1))
    lines = assert_invalid(check(path), path, "1:1: steps: and 20 more problems like these")
    assert len(lines) == preview.MAX_PROBLEMS + 1


def test_a_file_over_the_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(preview, "MAX_PREVIEW_JSON_BYTES", 1024 * 1024)
    path = write(tmp_path, '{"steps": []}' + " " * (1024 * 1024))
    (line,) = assert_invalid(check(path), path)
    assert line == "1:1: <root>: file is over 1 MiB, the limit for preview JSON (no stack's preview is this big)"


def test_the_size_limit_fits_a_large_stack() -> None:
    # The recsys prod preview is about 3.5 KiB per resource; the limit holds over 70,000 of them.
    assert preview.MAX_PREVIEW_JSON_BYTES == 256 * 1024 * 1024


def test_an_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.json"
    assert_invalid(check(path), path, "1:1: <root>: cannot read file: No such file or directory")


# --- duplicate URNs --------------------------------------------------------------------------------


def test_one_urn_with_two_different_states_is_an_error(tmp_path: Path) -> None:
    first = step("aws:s3/bucket:Bucket", "b", {"bucket": "one"})
    second = copy.deepcopy(first)
    second["newState"]["inputs"]["bucket"] = "two"
    path = write(tmp_path, json.dumps({"steps": [first, second]}, indent=2))
    (line,) = assert_invalid(check(path), path)
    assert line.startswith("19:16: ") and "steps[1].newState.urn: " in line
    assert "is also the URN of steps[0], with a different newState" in line


def test_replacement_steps_with_the_same_state_are_one_resource(tmp_path: Path) -> None:
    # `pulumi preview --json --show-replacement-steps`: create-replacement, replace, delete-replaced.
    replaced = step("aws:kms/key:Key", "k", {"enableKeyRotation": False, "tags": TAGS})
    steps = [
        {**copy.deepcopy(replaced), "op": "create-replacement"},
        {**copy.deepcopy(replaced), "op": "replace"},
        {"op": "delete-replaced", "urn": replaced["urn"], "oldState": replaced["newState"]},
    ]
    path = write(tmp_path, json.dumps({"steps": steps}))
    result = check(path, "--format", "json", "-o", str(tmp_path / "report.json"))
    assert result.exit_code == 1, result.stderr
    findings = json.loads((tmp_path / "report.json").read_text())["findings"]
    assert [f["rule"] for f in findings if f["resource"]["name"] == "k"] == ["kms-key-rotation"]
