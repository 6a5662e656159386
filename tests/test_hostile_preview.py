"""Hostile `mlstack check --preview-json` input (issue 13): a malformed file exits 2 with
`FILE:LINE:COL: path: message` lines, never 3 or a traceback; a rule that cannot read a malformed
input fails closed with a finding."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from mlstack.policies import preview
from mlstack.stack.cli.app import app
from mlstack.stack.plan import plan_file
from mlstack.stack.plan.preview_json import preview_json
from tests.conftest import EXAMPLES, REPO

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
        [sys.executable, "-m", "mlstack", "check", "--preview-json", str(path)],
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
        # A name that would carry a terminal escape, or a character XML forbids, into every report.
        (
            {"urn": f"{STACK}aws:s3/bucket:Bucket::b\x1b[31m"},
            "steps[0].newState.urn: contains the control character U+001B",
        ),
        ({"type": "aws:s3/bucket:Bucket\x00"}, "steps[0].newState.type: contains the control character U+0000"),
        ({"propertyDependencies": {"k\x1b": 5}}, "steps[0].newState.propertyDependencies.k\\x1b: is a number"),
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


def test_an_op_that_is_a_list_with_a_state(tmp_path: Path) -> None:
    # Found by tests/test_fuzz.py: a list is unhashable, and the op was looked up in a set.
    state = step("aws:s3/bucket:Bucket", "b", {})["newState"]
    path = write(tmp_path, json.dumps({"steps": [{"op": [1, 2], "newState": state}]}))
    result = check(path)
    assert result.exit_code == 2, result.output
    assert any("steps[0].op: is a list, expected a string" in line for line in problem_lines(result, path))


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


def test_steps_of_one_urn_are_compared_on_what_rules_read(tmp_path: Path) -> None:
    # Outputs are not checked, so they may nest as deep as JSON parses (comparing them could recurse
    # past Python's limit), and rules do not read them: steps that differ only there are one resource.
    first = step("aws:s3/bucket:Bucket", "b", {"bucket": "one"})
    second = copy.deepcopy(first)
    second["newState"]["outputs"] = {"arn": "arn:aws:s3:::one"}
    deep = '"outputs": ' + "[" * 900 + "]" * 900 + ', "inputs"'
    path = write(tmp_path, json.dumps({"steps": [first, second]}).replace('"inputs"', deep, 1))
    result = check(path, "--format", "json", "-o", str(tmp_path / "report.json"))
    assert result.exit_code == 1, (result.stderr, result.exception)
    findings = json.loads((tmp_path / "report.json").read_text())["findings"]
    assert len([f for f in findings if f["rule"] == "s3-bucket-versioning"]) == 1


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


# --- rules fail closed on inputs they cannot read ---------------------------------------------------


def findings_of(tmp_path: Path, document: dict[str, Any]) -> list[dict[str, Any]]:
    path = write(tmp_path, json.dumps(document))
    report = tmp_path / "report.json"
    result = check(path, "--format", "json", "-o", str(report))
    assert result.exit_code in (0, 1), (result.stderr, result.exception)
    found: list[dict[str, Any]] = json.loads(report.read_text())["findings"]
    return found


def fired(tmp_path: Path, steps: list[dict[str, Any]], rule: str) -> list[tuple[str, str, str]]:
    """(resource, kind, message) of each blocking finding of `rule`."""
    return [
        (f["resource"]["name"], f["kind"], f["message"])
        for f in findings_of(tmp_path, {"steps": steps})
        if f["rule"] == rule and f["level"] == "mandatory"
    ]


ROLE = "aws:iam/role:Role"


@pytest.mark.parametrize(
    ("type_", "inputs"),
    [
        (ROLE, {"assumeRolePolicy": "{}", "inlinePolicies": [{"name": "admin", "policy": json.dumps(WILDCARD)}]}),
        (ROLE, {"assumeRolePolicy": "{}", "inlinePolicies": [{"name": "admin", "policy": WILDCARD}]}),
        ("aws:iam/policy:Policy", {"policy": json.dumps(WILDCARD)}),
        ("aws:iam/policy:Policy", {"policy": WILDCARD}),
        ("aws:iam/userPolicy:UserPolicy", {"policy": json.dumps(WILDCARD), "user": "u"}),
        ("aws:iam/groupPolicy:GroupPolicy", {"policy": json.dumps(WILDCARD), "group": "g"}),
        # A single statement object, not a list, is a valid IAM document.
        ("aws:iam/rolePolicy:RolePolicy", {"policy": json.dumps({**WILDCARD, "Statement": WILDCARD["Statement"][0]})}),
    ],
)
def test_every_policy_document_is_read(tmp_path: Path, type_: str, inputs: dict[str, Any]) -> None:
    steps = [step(type_, "p", {**inputs, "tags": TAGS})]
    for rule in ("iam-no-wildcard-actions", "iam-no-wildcard-resources-on-write"):
        [(name, kind, _)] = fired(tmp_path, steps, rule)
        assert (name, kind) == ("p", "violation")


def _policy(statement: Any) -> dict[str, Any]:
    return {"policy": json.dumps({"Version": "2012-10-17", "Statement": statement})}


@pytest.mark.parametrize(
    ("inputs", "reason"),
    [
        (_policy(json.dumps(WILDCARD["Statement"])), 'policy: Statement is a string (\'[{"Effect": '),
        (_policy([{"Action": "*", "Resource": "*"}]), "policy: Statement[0].Effect is missing, expected Allow or Deny"),
        (_policy([{"Effect": "allow", "Action": "*", "Resource": "*"}]), "Statement[0].Effect is a string ('allow')"),
        (_policy([{"Effect": "Allow", "Action": 5, "Resource": "*"}]), "Statement[0].Action is a number (5), expected"),
        (_policy(["*"]), "policy: Statement[0] is a string ('*'), expected an object"),
        ({"policy": json.dumps({"Version": "2012-10-17"})}, "policy: the policy has no Statement"),
        ({"policy": "{not json"}, "policy: the policy is not JSON"),
        ({"policy": "[secret]"}, "the policy is a secret (the preview shows '[secret]')"),
        ({"policy": 7}, "the policy is a number (7), expected JSON text or an object"),
    ],
)
def test_a_policy_iam_would_refuse_fails_closed(tmp_path: Path, inputs: dict[str, Any], reason: str) -> None:
    steps = [step("aws:iam/rolePolicy:RolePolicy", "p", {**inputs, "role": "r"})]
    for rule in ("iam-no-wildcard-actions", "iam-no-wildcard-resources-on-write"):
        [(name, kind, message)] = fired(tmp_path, steps, rule)
        assert (name, kind) == ("p", "error")
        assert message.startswith("cannot read its input, so it fails closed: ") and reason in message, message


def test_inline_policies_that_are_not_a_list_fail_closed(tmp_path: Path) -> None:
    steps = [step(ROLE, "r", {"assumeRolePolicy": "{}", "inlinePolicies": {"name": "a", "policy": WILDCARD}})]
    [(_, kind, message)] = fired(tmp_path, steps, "iam-no-wildcard-actions")
    assert kind == "error" and "inlinePolicies is an object, expected a list" in message


def test_not_resource_is_as_wide_as_a_wildcard(tmp_path: Path) -> None:
    statement = [{"Effect": "Allow", "Action": ["s3:PutObject"], "NotResource": "arn:aws:s3:::audit/*"}]
    steps = [step("aws:iam/rolePolicy:RolePolicy", "p", {**_policy(statement), "role": "r"})]
    [(_, kind, message)] = fired(tmp_path, steps, "iam-no-wildcard-resources-on-write")
    assert kind == "violation" and "s3:PutObject on NotResource, i.e. every other resource" in message


# The recsys prod plan as a preview; each case breaks one input's type.
@pytest.fixture(scope="module")
def recsys_preview() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(preview_json(plan_file(EXAMPLES / "recsys.yaml", "prod")[1]))
    return document


def edited(document: dict[str, Any], name: str, path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    [state] = [s["newState"] for s in changed["steps"] if s["urn"].endswith(f"::{name}")]
    target = state["inputs"]
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return changed


WRONG_TYPES: list[tuple[str, str, tuple[str | int, ...], Any, str]] = [
    (
        "sagemaker-endpoint-config-kms",
        "recsys-prod-fraud-scorer-config",
        ("kmsKeyArn",),
        7,
        "kmsKeyArn is a number (7), expected a string",
    ),
    (
        "sagemaker-feature-group-online-store-encryption",
        "recsys-prod-features-user-features",
        ("onlineStoreConfig", "securityConfig", "kmsKeyId"),
        7,
        "onlineStoreConfig.securityConfig.kmsKeyId is a number (7), expected a string",
    ),
    (
        "sagemaker-feature-group-online-store-encryption",
        "recsys-prod-features-user-features",
        ("onlineStoreConfig", "enableOnlineStore"),
        "true",
        "onlineStoreConfig.enableOnlineStore is a string ('true'), expected a boolean",
    ),
    (
        "feature-store-platform-key",
        "recsys-prod-features-item-features",
        ("offlineStoreConfig", "s3StorageConfig", "kmsKeyId"),
        ["arn"],
        "offlineStoreConfig.s3StorageConfig.kmsKeyId is a list, expected a string",
    ),
    (
        "sagemaker-monitoring-volume-kms",
        "recsys-prod-ranker-data-job",
        ("jobResources", "clusterConfig", "volumeKmsKeyId"),
        7,
        "jobResources.clusterConfig.volumeKmsKeyId is a number (7), expected a string",
    ),
    (
        "sagemaker-monitoring-output-kms",
        "recsys-prod-ranker-data-job",
        ("dataQualityJobOutputConfig", "kmsKeyId"),
        True,
        "dataQualityJobOutputConfig.kmsKeyId is a boolean (true), expected a string",
    ),
    (
        "kms-key-rotation",
        "recsys-prod-key",
        ("enableKeyRotation",),
        "true",
        "enableKeyRotation is a string ('true'), expected a boolean",
    ),
    (
        "monitored-endpoint-captures-data",
        "recsys-prod-ranker-config",
        ("dataCaptureConfig",),
        "yes",
        "dataCaptureConfig is a string ('yes'), expected an object",
    ),
    (
        "sagemaker-prod-instance-count",
        "recsys-prod-fraud-scorer-config",
        ("productionVariants", 0, "initialInstanceCount"),
        "2",
        "initialInstanceCount is a string ('2'), expected a number",
    ),
    (
        "sagemaker-model-in-vpc-prod",
        "recsys-prod-fraud-scorer-model-v8",
        ("vpcConfig", "subnets"),
        "subnet-1",
        "vpcConfig.subnets is a string ('subnet-1'), expected a list",
    ),
    (
        "sagemaker-prod-endpoint-alarms",
        "recsys-prod-ranker-error-rate",
        ("alarmActions",),
        "arn:aws:sns:eu-west-1:000000000000:on-call",
        "alarmActions is a string ('arn:aws:sns:eu-west-1:000000000000:o...), expected a list",
    ),
    (
        "kubernetes-no-privileged-or-host-namespaces",
        "recsys-prod-gnn-scorer-deployment",
        ("spec", "template", "spec", "hostNetwork"),
        "true",
        "hostNetwork is a string ('true'), expected a boolean",
    ),
    (
        "kubernetes-run-as-non-root",
        "recsys-prod-gnn-scorer-deployment",
        ("spec", "template", "spec"),
        "privileged",
        "spec.template.spec is a string ('privileged'), expected an object",
    ),
    (
        "kubernetes-drop-all-capabilities",
        "recsys-prod-gnn-scorer-deployment",
        ("spec", "template", "spec", "containers", 0, "securityContext", "capabilities", "add"),
        "SYS_ADMIN",
        "securityContext.capabilities.add is a string ('SYS_ADMIN'), expected a list",
    ),
]


@pytest.mark.parametrize(("rule", "name", "path", "value", "reason"), WRONG_TYPES)
def test_an_input_of_the_wrong_type_fails_closed(
    tmp_path: Path,
    recsys_preview: dict[str, Any],
    rule: str,
    name: str,
    path: tuple[str | int, ...],
    value: Any,
    reason: str,
) -> None:
    document = edited(recsys_preview, name, path, value)
    found = [
        (f["resource"]["name"], f["kind"], f["message"]) for f in findings_of(tmp_path, document) if f["rule"] == rule
    ]
    errors = [(n, message) for n, kind, message in found if kind == "error"]
    assert errors, found
    assert all(message.startswith("cannot read its input, so it fails closed: ") for _, message in errors)
    assert any(reason in message for _, message in errors), errors


def test_one_malformed_resource_does_not_hide_the_others(tmp_path: Path, recsys_preview: dict[str, Any]) -> None:
    # The ranker's data capture is malformed, and the fraud scorer's capture is turned off: both are findings.
    document = edited(recsys_preview, "recsys-prod-ranker-config", ("dataCaptureConfig",), "yes")
    document = edited(document, "recsys-prod-fraud-scorer-config", ("dataCaptureConfig", "enableCapture"), False)
    found = {
        (f["resource"]["name"], f["kind"])
        for f in findings_of(tmp_path, document)
        if f["rule"] == "monitored-endpoint-captures-data"
    }
    assert found == {("recsys-prod-ranker-data-schedule", "error"), ("recsys-prod-fraud-quality-schedule", "violation")}
