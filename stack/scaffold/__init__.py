"""`mlstack init`: a team repository for one blueprint, from the jinja2 templates beside this file.

What it writes validates for every environment, plans, and passes `mlstack check` in production
with no mandatory finding (tests/test_init.py runs the installed package on it). Nothing is
written unless every file can be: existing files are refused first, unless forced.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2

from mlstack.blueprints.errors import BlueprintInvalid, Problem
from mlstack.components.naming import PROD_ENVIRONMENTS

TEMPLATES = Path(__file__).resolve().parent / "templates"
COMPONENTS = ("endpoints", "feature-store", "tracking", "monitoring", "feedback", "kubernetes")
DEFAULT_COMPONENTS = ("endpoints", "monitoring")
BLUEPRINT_FILE = "blueprint.yaml"
SCHEMA_URL = "https://raw.githubusercontent.com/mlstack/mlstack/main/blueprints/schema.json"
# Components that act on an endpoint, and so need the `endpoints` section.
_NEEDS_ENDPOINTS = {"feedback": "the feedback API joins feedback to an endpoint's captured requests"}
# Flags by the blueprint path they fill, to name the flag in a problem.
FLAG_OF_FIELD = {
    "blueprint": "--blueprint",
    "team": "--team",
    "owner": "--owner",
    "cost_center": "--cost-center",
    "region": "--region",
    "environments": "--environments",
    "monitoring.on_call": "--on-call",
}
_DEFAULT_BUDGET = {"dev": 2000, "staging": 4000}
_PROD_BUDGET = 10000
_OTHER_BUDGET = 4000
PLACEHOLDER_ACCOUNT = "123456789012"


@dataclass(frozen=True)
class Answers:
    """What `mlstack init` asks, or takes from flags."""

    blueprint: str
    team: str
    owner: str
    cost_center: str
    region: str
    environments: tuple[str, ...]
    components: tuple[str, ...]
    on_call: str
    requirement: str
    """The pip requirement of mlstack in the generated pyproject.toml."""
    version: str


def component_problems(components: Sequence[str]) -> list[str]:
    """Unknown component names, and components whose prerequisite is missing."""
    problems = [
        f"unknown component {name!r}; choose from {', '.join(COMPONENTS)}"
        for name in components
        if name not in COMPONENTS
    ]
    problems += [
        f"{name} needs endpoints ({why}): add endpoints to --with"
        for name, why in _NEEDS_ENDPOINTS.items()
        if name in components and "endpoints" not in components
    ]
    return problems


def _environment() -> jinja2.Environment:
    # StrictUndefined: a template naming a value nobody passed is a bug, not an empty string.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # YAML, TOML, Markdown and Python, never HTML
    )


def render(answers: Answers) -> dict[str, str]:
    """Every file of the repository, by its path relative to the repository's root."""
    templates = _environment()
    prod = [env for env in answers.environments if env in PROD_ENVIRONMENTS]
    context: dict[str, object] = {
        "blueprint": answers.blueprint,
        "team": answers.team,
        "owner": answers.owner,
        "cost_center": answers.cost_center,
        "region": answers.region,
        "environments": list(answers.environments),
        "prod_environments": prod,
        "prod_placeholders": prod,
        "budgets": {
            env: _PROD_BUDGET if env in PROD_ENVIRONMENTS else _DEFAULT_BUDGET.get(env, _OTHER_BUDGET)
            for env in answers.environments
        },
        "components": list(answers.components),
        "endpoints": "endpoints" in answers.components,
        "feature_store": "feature-store" in answers.components,
        "tracking": "tracking" in answers.components,
        "monitoring": "monitoring" in answers.components,
        "feedback": "feedback" in answers.components,
        "kubernetes": "kubernetes" in answers.components,
        "on_call": answers.on_call,
        "account": PLACEHOLDER_ACCOUNT,
        "file": BLUEPRINT_FILE,
        "schema_url": SCHEMA_URL,
        "requirement": answers.requirement,
        "version": answers.version,
    }
    files = {
        BLUEPRINT_FILE: templates.get_template("blueprint.yaml.j2").render(context),
        "Pulumi.yaml": templates.get_template("Pulumi.yaml.j2").render(context),
        "__main__.py": templates.get_template("__main__.py.j2").render(context),
        "pyproject.toml": templates.get_template("pyproject.toml.j2").render(context),
        ".gitignore": templates.get_template("gitignore.j2").render(context),
        ".github/workflows/mlstack.yml": templates.get_template("workflow.yml.j2").render(context),
        "README.md": templates.get_template("README.md.j2").render(context),
    }
    stack_template = templates.get_template("Pulumi.stack.yaml.j2")
    for env in answers.environments:
        files[f"Pulumi.{answers.blueprint}-{env}.yaml"] = stack_template.render({**context, "env": env})
    return files


def answer_problems(text: str) -> list[str]:
    """Validate the generated blueprint for every environment: `--flag: message` for each problem."""
    from mlstack.blueprints.load import load_for_environment, validate_file

    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / BLUEPRINT_FILE
        path.write_text(text, encoding="utf-8")
        try:
            blueprint, _ = validate_file(path)
            for environment in blueprint.environments:
                load_for_environment(path, environment)
        except BlueprintInvalid as invalid:
            return _answer_problems(invalid.problems)
    return []


def _flag_of(path: str) -> str | None:
    return next(
        (flag for field, flag in FLAG_OF_FIELD.items() if path == field or path.startswith((f"{field}.", f"{field}["))),
        None,
    )


def _answer_problems(problems: Sequence[Problem]) -> list[str]:
    """The problems of answers, as `--flag: message`; others are consequences of a bad answer
    (a bad blueprint id makes bad bucket names), or, with no bad answer, bugs of the templates."""
    by_flag = [(_flag_of(problem.path), problem.message) for problem in problems]
    answered = [f"{flag}: {message}" for flag, message in by_flag if flag is not None]
    if not answered:
        raise AssertionError(f"mlstack init's templates made an invalid blueprint: {problems[0]}")
    return answered


def existing(directory: Path, files: Mapping[str, str]) -> list[str]:
    return sorted(name for name in files if (directory / name).exists())
