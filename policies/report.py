"""Report formats: a rich table for people, JSON, SARIF 2.1.0 for code scanning, JUnit XML for CI."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

from rich.table import Table

from policies.offline import Finding, Report

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
TOOL_URI = "https://github.com/mlstack/mlstack"


def to_table(report: Report) -> Table:
    table = Table(title=f"mlstack policy findings ({report.environment})")
    for column in ("rule", "resource", "level", "message"):
        table.add_column(column, overflow="fold")
    for f in report.findings:
        level = f"{f.level} (suppressed: {f.suppression_reason})" if f.suppressed else f.level
        table.add_row(f.rule, f.name or "(stack)", level, f.message)
    return table


def _finding_json(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "severity": f.severity,
        "level": f.level,
        "kind": f.kind,
        "resource": {"urn": f.urn, "name": f.name, "type": f.type},
        "message": f.message,
        "suppressed": f.suppressed,
        "suppression_reason": f.suppression_reason,
    }


def to_json(report: Report) -> dict[str, Any]:
    return {
        "environment": report.environment,
        "exit_code": report.exit_code,
        "findings": [_finding_json(f) for f in report.findings],
        "suppressions": [
            {"rule": s.rule, "resources": list(s.resources), "environments": list(s.environments), "reason": s.reason}
            for s in report.suppressions
        ],
        "rules": [
            {"name": r.name, "severity": r.severity, "description": r.description, **r.peer_ids} for r in report.rules
        ],
    }


def _sarif_level(f: Finding) -> str:
    if f.kind == "unknown":
        return "note"
    return "error" if f.level == "mandatory" else "warning"


def to_sarif(report: Report) -> dict[str, Any]:
    rules = [
        {
            "id": r.name,
            "name": r.name,
            "shortDescription": {"text": r.description.split(". ")[0].rstrip(".") + "."},
            "fullDescription": {"text": r.description},
            "help": {"text": r.remediation},
            "properties": {
                "severity": r.severity,
                "checkov": list(r.checkov),
                "cdk_nag": list(r.cdk_nag),
                "aws_config": list(r.aws_config),
            },
        }
        for r in report.rules
    ]
    index = {r.name: i for i, r in enumerate(report.rules)}
    results = []
    for f in report.findings:
        result: dict[str, Any] = {
            "ruleId": f.rule,
            "level": _sarif_level(f),
            "message": {"text": f.message},
            "properties": {"enforcement": f.level, "kind": f.kind, "severity": f.severity},
        }
        if f.rule in index:
            result["ruleIndex"] = index[f.rule]
        if f.urn:
            result["locations"] = [
                {"logicalLocations": [{"name": f.name, "fullyQualifiedName": f.urn, "kind": "resource"}]}
            ]
        if f.suppressed:
            result["suppressions"] = [{"kind": "external", "justification": f.suppression_reason or ""}]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "mlstack-policies", "informationUri": TOOL_URI, "rules": rules}},
                "results": results,
                "properties": {"environment": report.environment},
            }
        ],
    }


def to_junit(report: Report) -> str:
    """One testcase per rule and resource checked; a failure for each blocking finding."""
    by_subject: dict[tuple[str, str], list[Finding]] = {}
    for f in report.findings:
        by_subject.setdefault((f.rule, f.urn), []).append(f)
    cases: list[tuple[str, str, list[Finding]]] = []
    seen: set[tuple[str, str]] = set()
    for rule, urn in report.checked:
        if urn:
            cases.append((rule, urn, by_subject.get((rule, urn), [])))
            seen.add((rule, urn))
        else:  # a stack rule: one case per resource it reported on, or one passing case
            own = [key for key in by_subject if key[0] == rule]
            for key in own:
                cases.append((rule, key[1], by_subject[key]))
                seen.add(key)
            if not own:
                cases.append((rule, "", []))
    suite = ET.Element("testsuite", name=f"mlstack-policies-{report.environment}")
    failures = 0
    for rule, urn, findings in cases:
        case = ET.SubElement(suite, "testcase", classname=rule, name=urn.rsplit("::", 1)[-1] if urn else "stack")
        blocking = [f for f in findings if f.blocking]
        if blocking:
            failures += 1
            failure = ET.SubElement(case, "failure", message=blocking[0].message, type=blocking[0].severity)
            failure.text = "\n".join(f.message for f in blocking)
        elif findings and all(f.suppressed for f in findings):
            ET.SubElement(case, "skipped", message=f"suppressed: {findings[0].suppression_reason}")
        if findings and not blocking:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(f"{f.level}: {f.message}" for f in findings)
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(failures))
    suites = ET.Element("testsuites")
    suites.append(suite)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)


def render(report: Report, fmt: str) -> str:
    """A report as text in one of: json, sarif, junit."""
    if fmt == "json":
        return json.dumps(to_json(report), indent=2)
    if fmt == "sarif":
        return json.dumps(to_sarif(report), indent=2)
    if fmt == "junit":
        return to_junit(report)
    raise ValueError(f"unknown report format {fmt!r} (json, sarif, junit; the table is printed with rich)")
