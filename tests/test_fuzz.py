"""Mutation fuzzing of every example and of preview JSON against the CLI's contract.

Each mutant is run in-process through the real commands (validate, plan, cost, check; check
--preview-json). The contract:
- exit 0, 1 (check only, and only with an unsuppressed mandatory finding) or 2;
- never 3 (an internal error), never a traceback;
- on exit 2, every line names `FILE:LINE:COL: ` (or is the closing count, or an `mlstack:` line);
- no partial output file: an output exists only after exit 0 or 1, and then it is whole JSON.

The CI profile keeps the suite's share under a minute; `--hypothesis-profile=long` goes deeper and
prints its tally of outcomes (see conftest.py).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from mlstack.stack.cli.app import app
from tests.conftest import EXAMPLES

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))
EXAMPLE_TEXTS = {path.name: path.read_text(encoding="utf-8") for path in EXAMPLE_FILES}
PROBLEM_LINE = re.compile(r"^(?P<file>.+?):\d+:\d+: ")
CLOSING = re.compile(r"^\d+ problems? found$")
# Filled by every run; the long profile prints it (tests/conftest.py).
OUTCOMES: Counter[str] = Counter()

CONTROL = st.sampled_from(["\x00", "\x07", "\x1b", "\x7f", "\x85", "\ufeff", "\u2028"])
# The suite's share stays under a minute; `--hypothesis-profile=long` (conftest.py) runs its own count.
_PROFILE = settings.default
LONG_RUN = _PROFILE is not None and _PROFILE.max_examples > 100
FUZZ_EXAMPLES = _PROFILE.max_examples if _PROFILE is not None and LONG_RUN else 40
# The suite's run draws the same cases every time, so CI never fails on a case no commit caused;
# the long run draws new ones, and what it finds becomes a named test.
DERANDOMIZE = not LONG_RUN
WEIRD_SCALARS = st.one_of(
    st.sampled_from([".nan", ".inf", "-.inf", "1e309", "10" * 20, "-1", "0", "''", "~", "[]", "{}", "yes"]),
    st.text(min_size=1, max_size=12),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        data = data[step]
    return data


@st.composite
def blueprint_mutants(draw: st.DrawFn) -> tuple[str, str]:
    """(example name, mutated YAML text): structural edits on the data, or raw edits on the text."""
    name = draw(st.sampled_from(sorted(EXAMPLE_TEXTS)))
    text = EXAMPLE_TEXTS[name]
    kinds = ["delete", "retype", "scalar", "nest", "duplicate-key", "control", "bytes", "unicode", "comment"]
    kind = draw(st.sampled_from(kinds))
    if kind in ("delete", "retype", "scalar", "nest"):
        data = yaml.safe_load(text)
        path = draw(st.sampled_from(_paths(data)))
        parent = _parent(data, path)
        if kind == "delete":
            del parent[path[-1]]
        elif kind == "retype":
            parent[path[-1]] = draw(st.sampled_from(["a string", 7, 2.5, [1, "x"], {"unexpected": True}, None, True]))
        else:
            parent[path[-1]] = "__SCALAR__"
        mutated = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1_000)
        if kind == "nest":  # as flow text: PyYAML's own dumper recurses and cannot write it
            depth = draw(st.integers(min_value=50, max_value=1_500))
            return name, mutated.replace("__SCALAR__", "[" * depth + "1" + "]" * depth, 1)
        return name, mutated.replace("__SCALAR__", draw(WEIRD_SCALARS), 1)
    lines = text.splitlines(keepends=True)
    at = draw(st.integers(min_value=0, max_value=len(lines) - 1))
    if kind == "duplicate-key":
        lines.insert(at, lines[at])
        return name, "".join(lines)
    if kind == "comment":  # still the same blueprint: the mutant must get through plan, cost and check
        comment = draw(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=20))
        lines.insert(at, f"# {comment}\n")
        return name, "".join(lines)
    offset = draw(st.integers(min_value=0, max_value=len(text)))
    if kind == "control":
        return name, text[:offset] + draw(CONTROL) + text[offset:]
    if kind == "unicode":
        return name, text[:offset] + draw(st.text(min_size=1, max_size=8)) + text[offset:]
    return name, text[:offset] + "\udcff" + text[offset:]  # an undecodable byte, written as surrogateescape


def _write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8", errors="surrogateescape"))


def _contract(command: str, result: Any, output: Path | None, *, findings_allowed: bool) -> None:
    allowed = {0, 1, 2} if findings_allowed else {0, 2}
    stderr = result.stderr or ""
    everything = (result.stdout or "") + stderr
    OUTCOMES[f"{command} exit {result.exit_code}"] += 1
    assert result.exit_code in allowed, (command, result.exit_code, everything[-2_000:])
    assert "Traceback" not in everything and "internal error" not in everything, everything[-2_000:]
    if result.exit_code == 2:
        lines = [line for line in stderr.splitlines() if line.strip()]
        assert lines, "exit 2 without a word"
        for line in lines:
            assert PROBLEM_LINE.match(line) or CLOSING.match(line) or line.startswith("mlstack: "), line
    if output is not None:
        if result.exit_code == 2:
            assert not output.exists(), "a partial output file"
        elif output.exists():
            json.loads(output.read_text(encoding="utf-8"))
        assert not list(output.parent.glob("*.tmp")), "a temporary file left behind"


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=True)


def _finite_json(text: str) -> None:
    json.loads(text, parse_constant=lambda constant: pytest.fail(f"non-JSON number {constant}"))


@settings(
    max_examples=FUZZ_EXAMPLES,
    derandomize=DERANDOMIZE,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    deadline=None,
)
@given(mutant=blueprint_mutants())
def test_mutated_examples_keep_the_contract(mutant: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> None:
    name, text = mutant
    directory = tmp_path_factory.mktemp("mutant")
    blueprint = directory / name
    _write(blueprint, text)
    validated = _invoke("validate", str(blueprint))
    _contract("validate", validated, None, findings_allowed=False)
    environment = "prod" if "prod:" in text else "dev"
    plan_file = directory / "plan.json"
    planned = _invoke("plan", str(blueprint), "--env", environment, "-o", str(plan_file))
    _contract("plan", planned, plan_file, findings_allowed=False)
    if planned.exit_code == 0:
        _finite_json(plan_file.read_text(encoding="utf-8"))
        costed = _invoke("cost", str(blueprint), "--env", environment, "--json")
        _contract("cost", costed, None, findings_allowed=False)
        if costed.exit_code == 0:
            _finite_json(costed.stdout)
        report = directory / "report.json"
        checked = _invoke("check", str(blueprint), "--env", environment, "--format", "json", "-o", str(report))
        _contract("check", checked, report, findings_allowed=True)
        if checked.exit_code == 1:
            findings = json.loads(report.read_text(encoding="utf-8"))["findings"]
            assert any(f["level"] == "mandatory" and not f["suppressed"] for f in findings)


@pytest.fixture(scope="module")
def preview_document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("preview") / "preview.json"
    result = _invoke("plan", str(EXAMPLES / "recsys.yaml"), "--env", "prod", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    loaded: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return loaded


JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


@st.composite
def preview_mutants(draw: st.DrawFn, document: dict[str, Any]) -> str:
    """A `pulumi preview --json` document with one edit: a deleted or retyped value, a huge nesting,
    or raw damage to the text."""
    kind = draw(st.sampled_from(["delete", "retype", "nest", "truncate", "control", "duplicate-step"]))
    data = json.loads(json.dumps(document))
    if kind in ("delete", "retype", "nest"):
        path = draw(st.sampled_from(_paths(data)))
        parent = _parent(data, path)
        if kind == "delete":
            del parent[path[-1]]
        elif kind == "retype":
            parent[path[-1]] = draw(JSON_VALUES)
        else:
            depth = draw(st.integers(min_value=100, max_value=200_000))
            return json.dumps(data).replace('"steps"', '"deep": ' + "[" * depth + "]" * depth + ', "steps"', 1)
        return json.dumps(data)
    if kind == "duplicate-step":
        data["steps"].append(draw(st.sampled_from(data["steps"])))
        return json.dumps(data)
    text = json.dumps(data, indent=1)
    offset = draw(st.integers(min_value=0, max_value=len(text)))
    if kind == "truncate":
        return text[:offset]
    return text[:offset] + draw(CONTROL) + text[offset:]


@settings(
    max_examples=FUZZ_EXAMPLES,
    derandomize=DERANDOMIZE,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    deadline=None,
)
@given(data=st.data())
def test_mutated_preview_json_keeps_the_contract(
    data: st.DataObject, preview_document: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    text = data.draw(preview_mutants(preview_document))
    directory = tmp_path_factory.mktemp("preview-mutant")
    preview = directory / "preview.json"
    _write(preview, text)
    report = directory / "report.sarif"
    with_blueprint = data.draw(st.booleans())
    args = ["check", *([str(EXAMPLES / "recsys.yaml")] if with_blueprint else [])]
    checked = _invoke(*args, "--env", "prod", "--preview-json", str(preview), "--format", "sarif", "-o", str(report))
    _contract("check --preview-json", checked, report, findings_allowed=True)
