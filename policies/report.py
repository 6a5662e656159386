"""Report formats: a rich table for people, JSON, SARIF 2.1.0 for code scanning, JUnit XML for CI."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import re
from typing import Any
from xml.etree import ElementTree as ET

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from mlstack.components.urns import urn_key
from mlstack.policies.framework import Rule
from mlstack.policies.offline import Finding, Proven, Report, SourceLocation

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
TOOL_URI = "https://github.com/mlstack/mlstack"


def where(f: Finding) -> str:
    """`FILE:LINE` of the blueprint entry that made the finding's resource; empty when unknown."""
    return f"{f.location.file}:{f.location.line}" if f.location is not None else ""


def summary_line(report: Report) -> str:
    """E.g. "3 mandatory, 4 advisory, 2 suppressed; exit 1"."""
    mandatory = sum(1 for f in report.findings if f.blocking)
    advisory = sum(1 for f in report.findings if f.level == "advisory" and not f.suppressed)
    suppressed = sum(1 for f in report.findings if f.suppressed)
    return f"{mandatory} mandatory, {advisory} advisory, {suppressed} suppressed; exit {report.exit_code}"


def to_table(report: Report) -> Group:
    """Findings as a two-column table that wraps to the console width, each failing rule's
    remediation, and a summary line.

    Two columns, not one per field: at 100 columns a table of rule, resource, location and message
    would fold every name mid-word.
    """
    table = Table(title=f"mlstack policy findings ({report.environment})", show_lines=True)
    table.add_column("level", no_wrap=True)
    table.add_column("finding", overflow="fold")
    for f in report.findings:
        level = "suppressed" if f.suppressed else f.level
        body = Text()
        if f.location is not None:
            body.append(f"{where(f)}  ", style="cyan")
        body.append(f.rule, style="bold")
        body.append(f"\n{f.name or '(stack)'}\n")
        body.append(f.message)
        if f.suppressed:
            body.append(f"\nsuppressed: {f.suppression_reason}", style="dim")
        table.add_row(level, body)
    parts: list[RenderableType] = [table] if report.findings else [Text("no findings")]
    if report.proofs:
        parts.append(Text("Proven at preview through the dependency graph:", style="bold"))
        for proof in report.proofs:
            located = f"{proof.location.file}:{proof.location.line}  " if proof.location is not None else ""
            parts.append(
                Padding(Text(f"{located}{proof.rule} on {proof.name}: {proof.message}"), (0, 0, 0, 2), expand=False)
            )
    failing = {f.rule for f in report.findings if f.kind != "unknown" and not f.suppressed}
    remedies = [r for r in report.rules if r.name in failing]
    if remedies:
        parts.append(Text("How to fix:", style="bold"))
        parts.extend(Padding(Text(f"{r.name}: {r.remediation}"), (0, 0, 0, 2), expand=False) for r in remedies)
    parts.append(Text(summary_line(report), style="bold"))
    return Group(*parts)


def _location_json(location: SourceLocation | None) -> dict[str, Any] | None:
    if location is None:
        return None
    return {
        "file": location.file,
        "uri": location.uri,
        "line": location.line,
        "column": location.column,
        "path": location.path,
    }


def _finding_json(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "severity": f.severity,
        "level": f.level,
        "kind": f.kind,
        "resource": {"urn": f.urn, "name": f.name, "type": f.type},
        "location": _location_json(f.location),
        "message": f.message,
        "suppressed": f.suppressed,
        "suppression_reason": f.suppression_reason,
    }


def to_json(report: Report) -> dict[str, Any]:
    return {
        "environment": report.environment,
        "exit_code": report.exit_code,
        "summary": summary_line(report),
        "findings": [_finding_json(f) for f in report.findings],
        "suppressions": [
            {"rule": s.rule, "resources": list(s.resources), "environments": list(s.environments), "reason": s.reason}
            for s in report.suppressions
        ],
        "proofs": [
            {
                "rule": p.rule,
                "resource": {"urn": p.urn, "name": p.name, "type": p.type},
                "location": _location_json(p.location),
                "message": p.message,
            }
            for p in report.proofs
        ],
        "rules": [
            {"name": r.name, "severity": r.severity, "description": r.description, **r.peer_ids} for r in report.rules
        ],
    }


def _sarif_level(f: Finding) -> str:
    if f.kind == "unknown":
        return "note"
    return "error" if f.level == "mandatory" else "warning"


# GitHub ranks code scanning alerts of rules tagged "security" by `security-severity`, a score from
# 0.1 to 10 (over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, below low):
# https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning
_SECURITY_SEVERITY = {"low": "3.0", "medium": "5.5", "high": "8.0", "critical": "9.5"}
# Rule modules whose findings are security findings; the others are cost, reliability and tagging.
_SECURITY_DOMAINS = frozenset({"encryption", "iam", "network", "kubernetes"})


def _domain(rule: Rule) -> str:
    return getattr(rule.check, "__module__", "").rsplit(".", 1)[-1]


def _sarif_rule(rule: Rule) -> dict[str, Any]:
    domain = _domain(rule)
    properties: dict[str, Any] = {
        "severity": rule.severity,
        "tags": ["mlstack", domain, *(["security"] if domain in _SECURITY_DOMAINS else [])],
        "checkov": list(rule.checkov),
        "cdk_nag": list(rule.cdk_nag),
        "aws_config": list(rule.aws_config),
    }
    if domain in _SECURITY_DOMAINS:
        properties["security-severity"] = _SECURITY_SEVERITY[rule.severity]
    return {
        "id": rule.name,
        "name": rule.name,
        "shortDescription": {"text": rule.description.split(". ")[0].rstrip(".") + "."},
        "fullDescription": {"text": rule.description},
        "help": {"text": rule.remediation},
        "defaultConfiguration": {"level": "error" if rule.severity in ("high", "critical") else "warning"},
        "properties": properties,
    }


def fingerprint(f: Finding, occurrence: int = 0) -> str:
    """What makes a finding the same one across runs: its rule, its subject and which of the rule's
    findings on that subject it is; never its line or wording.

    GitHub matches alerts across uploads by `partialFingerprints`; a moved line or a reworded message
    must not close one alert and open another.
    """
    subject = urn_key(f.urn) if f.urn else (f.location.path if f.location is not None else "")
    return hashlib.sha256(f"{f.rule}\0{subject}\0{occurrence}".encode()).hexdigest()[:32]


def _sarif_locations(f: Finding) -> list[dict[str, Any]]:
    location: dict[str, Any] = {}
    if f.location is not None:
        location["physicalLocation"] = {
            "artifactLocation": {"uri": f.location.uri},
            "region": {"startLine": f.location.line, "startColumn": f.location.column},
        }
        location["message"] = {"text": f.location.path}
    if f.urn:
        location["logicalLocations"] = [{"name": f.name, "fullyQualifiedName": f.urn, "kind": "resource"}]
    return [location] if location else []


def to_sarif(report: Report) -> dict[str, Any]:
    index = {r.name: i for i, r in enumerate(report.rules)}
    results = []
    occurrences: dict[tuple[str, str], int] = {}
    for f in report.findings:
        occurrence = occurrences[(f.rule, f.urn)] = occurrences.get((f.rule, f.urn), -1) + 1
        result: dict[str, Any] = {
            "ruleId": f.rule,
            "level": _sarif_level(f),
            "message": {"text": f.message},
            "partialFingerprints": {"mlstackFinding/v1": fingerprint(f, occurrence)},
            "properties": {"enforcement": f.level, "kind": f.kind, "severity": f.severity},
        }
        if f.rule in index:
            result["ruleIndex"] = index[f.rule]
        locations = _sarif_locations(f)
        if locations:
            result["locations"] = locations
        if f.suppressed:
            result["suppressions"] = [{"kind": "external", "justification": f.suppression_reason or ""}]
        results.append(result)
    driver = {
        "name": "mlstack-policies",
        "informationUri": TOOL_URI,
        "version": tool_version(),
        "rules": [_sarif_rule(r) for r in report.rules],
    }
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                # GitHub keeps one set of alerts per category: one per environment, so a dev check
                # does not close the prod alerts.
                "automationDetails": {"id": f"mlstack-check/{report.environment}/"},
                "results": results,
                "properties": {"environment": report.environment},
            }
        ],
    }


def tool_version() -> str:
    """mlstack's installed version (0.0.0 when run from a source tree that is not installed)."""
    try:
        return importlib.metadata.version("mlstack")
    except importlib.metadata.PackageNotFoundError:
        return "0.0.0"


def to_junit(report: Report) -> str:
    """One testcase per rule and resource checked; a failure for each blocking finding."""
    by_subject: dict[tuple[str, str], list[Finding]] = {}
    # Each rule's subjects in the order first reported: a stack rule's cases, without a scan of
    # every subject per stack rule.
    subjects_of: dict[str, list[tuple[str, str]]] = {}
    for f in report.findings:
        if (f.rule, f.urn) not in by_subject:
            subjects_of.setdefault(f.rule, []).append((f.rule, f.urn))
        by_subject.setdefault((f.rule, f.urn), []).append(f)
    cases: list[tuple[str, str, list[Finding]]] = []
    proofs: dict[tuple[str, str], list[Proven]] = {}
    for proof in report.proofs:
        proofs.setdefault((proof.rule, proof.urn), []).append(proof)
    seen: set[tuple[str, str]] = set()
    for rule, urn in report.checked:
        if urn:
            cases.append((rule, urn, by_subject.get((rule, urn), [])))
            seen.add((rule, urn))
        else:  # a stack rule: one case per resource it reported on, or one passing case
            own = subjects_of.get(rule, [])
            for key in own:
                cases.append((rule, key[1], by_subject[key]))
                seen.add(key)
            if not own:
                cases.append((rule, "", []))
    suite = ET.Element("testsuite", name=f"mlstack-policies-{report.environment}")
    failures = 0
    for rule, urn, findings in cases:
        case = ET.SubElement(suite, "testcase", classname=rule, name=urn.rsplit("::", 1)[-1] if urn else "stack")
        located = findings[0].location if findings else report.locations.get(urn)
        if located is not None:
            # `file` and `line` on a testcase are what CI test reporters (GitLab, Jenkins, GitHub
            # actions such as dorny/test-reporter) link to.
            case.set("file", located.uri)
            case.set("line", str(located.line))
        blocking = [f for f in findings if f.blocking]
        if blocking:
            failures += 1
            failure = ET.SubElement(case, "failure", message=blocking[0].message, type=blocking[0].severity)
            failure.text = "\n".join(_located_message(f) for f in blocking)
        elif findings and all(f.suppressed for f in findings):
            ET.SubElement(case, "skipped", message=f"suppressed: {findings[0].suppression_reason}")
        notes = [f"{f.level}: {_located_message(f)}" for f in findings if not blocking]
        notes += [f"proven: {p.message}" for p in proofs.get((rule, urn), [])]
        if notes:
            ET.SubElement(case, "system-out").text = "\n".join(notes)
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(failures))
    suites = ET.Element("testsuites")
    suites.append(suite)
    for element in suites.iter():
        element.text = _xml_safe(element.text)
        for attribute, value in list(element.attrib.items()):
            element.set(attribute, _xml_safe(value) or "")
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)


# Characters XML 1.0 forbids even escaped (https://www.w3.org/TR/xml/#charsets). A rule message may
# quote an input that holds one, and ElementTree would write it as is: a file no CI can parse.
_XML_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_safe(text: str | None) -> str | None:
    return _XML_FORBIDDEN.sub("\ufffd", text) if text else text


def _located_message(f: Finding) -> str:
    return f"{where(f)}: {f.message}" if f.location is not None else f.message


def render(report: Report, fmt: str) -> str:
    """A report as text in one of: json, sarif, junit."""
    if fmt == "json":
        return json.dumps(to_json(report), indent=2, allow_nan=False)
    if fmt == "sarif":
        return json.dumps(to_sarif(report), indent=2, allow_nan=False)
    if fmt == "junit":
        return to_junit(report)
    raise ValueError(f"unknown report format {fmt!r} (json, sarif, junit; the table is printed with rich)")
