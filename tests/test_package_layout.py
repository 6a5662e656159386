"""What gets installed is one import package, `mlstack`, whose floors import one way.

In the repository the floors are top-level folders, importable bare only because the checkout is
on sys.path; in the wheel they exist under `mlstack/` alone. A bare `import components` would work
here and fail (or import a team's own `components`) once installed, so no module may use one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

FLOORS = ("components", "blueprints", "policies", "stack")
"""Ground first: each floor may import the ones before it, never one after."""
SOURCES = sorted(
    path
    for folder in (*FLOORS, "tests", "bench", "mlstack")
    for path in (REPO / folder).rglob("*.py")
    if (not any(part in {"__pycache__", ".venv"} for part in path.parts) and (REPO / "mlstack") not in path.parents)
    or (path.parent == REPO / "mlstack")
)


# Known upward imports, each with its reason; a new one fails the test.
UPWARD_ALLOWED = {
    # Validation checks that a suppression names a real policy rule; the rule names live with the rules.
    ("blueprints/rules/policies.py", "mlstack.policies.rules"),
}


def _type_only(tree: ast.Module) -> set[int]:
    """Ids of the import nodes under `if TYPE_CHECKING:`: no dependency when the code runs."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            inside.update(id(child) for statement in node.body for child in ast.walk(statement))
    return inside


def _imported(path: Path, *, at_run_time: bool = False) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_only(tree) if at_run_time else set()
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def test_the_sources_are_found() -> None:
    assert len(SOURCES) > 100
    assert REPO / "stack" / "program.py" in SOURCES


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_bare_import_of_a_floor(path: Path) -> None:
    bare = [f"{line}: {name}" for line, name in _imported(path) if name.split(".")[0] in FLOORS]
    assert not bare, f"{path.relative_to(REPO)} imports a floor without `mlstack.`: {bare}"


@pytest.mark.parametrize("floor", FLOORS)
def test_floors_import_one_way(floor: str) -> None:
    above = set(FLOORS[FLOORS.index(floor) + 1 :])
    upward = [
        f"{path.relative_to(REPO)}:{line}: {name}"
        for path in SOURCES
        # An entry point (`python -m mlstack.policies`, the CrossGuard pack) sits on top of the house.
        if path.is_relative_to(REPO / floor) and path.name != "__main__.py"
        for line, name in _imported(path, at_run_time=True)
        if name.startswith("mlstack.")
        and name.split(".")[1] in above
        and (str(path.relative_to(REPO)), ".".join(name.split(".")[:3])) not in UPWARD_ALLOWED
    ]
    assert not upward, f"{floor} imports a floor above it: {upward}"


def test_mlstack_links_to_the_floors() -> None:
    for floor in FLOORS:
        link = REPO / "mlstack" / floor
        assert link.is_symlink() and link.resolve() == (REPO / floor).resolve()
    assert (REPO / "mlstack" / "py.typed").is_file()
