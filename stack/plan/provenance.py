"""Which blueprint line made each planned resource, so a finding can point at what a user wrote.

The program records the blueprint path of every top-level component (`stack.program.SourceMap`);
every resource below a component inherits its path through the parent chain. A finding on a
resource no blueprint path made (a stack rule, a deleted resource) points at the environment it
was checked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from mlstack.blueprints.load import display_path
from mlstack.blueprints.yaml_source import Path_, SourceDocument, read_yaml
from mlstack.components.urns import type_of, urn_key

if TYPE_CHECKING:
    # The policy pack is loaded by what checks (`Locator`), not by every plan.
    from mlstack.policies.offline import Report, SourceLocation

_STACK_TYPE = "pulumi:pulumi:Stack"


def resource_paths(
    resources: Iterable[tuple[str, str, str | None]], components: Mapping[str, Path_]
) -> dict[str, Path_]:
    """URN -> blueprint path, for each (urn, name, parent urn) under a recorded top-level component."""
    rows = list(resources)
    parents = {urn: parent for urn, _, parent in rows}
    top = {
        urn: components[name]
        for urn, name, parent in rows
        if name in components and (parent is None or type_of(parent) == _STACK_TYPE)
    }
    paths: dict[str, Path_] = {}
    for urn in parents:
        probe: str | None = urn
        seen: set[str] = set()
        while probe is not None and probe not in top and probe not in seen:
            seen.add(probe)
            probe = parents.get(probe)
        if probe is not None and probe in top:
            paths[urn] = top[probe]
    return paths


def repository_uri(file: Path) -> str:
    """`file` relative to the root of its git checkout, as GitHub code scanning wants it.

    Outside a checkout: relative to the working directory when under it, else the path as given.
    """
    absolute = file.resolve()
    for directory in absolute.parents:
        if (directory / ".git").exists():
            return absolute.relative_to(directory).as_posix()
    try:
        return absolute.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return file.as_posix()


class Locator:
    """Blueprint locations of one environment's resources."""

    def __init__(self, file: Path, environment: str, paths: Mapping[str, Path_]) -> None:
        self.file = file
        self.document: SourceDocument = read_yaml(file)
        self.uri = repository_uri(file)
        self.environment_path: Path_ = ("environments", environment)
        self.by_key = {urn_key(urn): path for urn, path in paths.items()}

    def at(self, path: Path_) -> SourceLocation:
        from mlstack.policies.offline import SourceLocation

        line, column = self.document.position(path)
        return SourceLocation(
            file=str(self.file),
            uri=self.uri,
            line=line,
            column=column,
            path=display_path(path, self.document.data) or "(blueprint)",
        )

    def of(self, urn: str) -> SourceLocation:
        """Where the resource `urn` comes from; the environment for a stack-wide finding."""
        path = self.by_key.get(urn_key(urn)) if urn else None
        return self.at(path if path is not None else self.environment_path)

    def locate(self, report: Report) -> Report:
        """The report with every finding's and proof's blueprint location filled in."""
        return report.located(self.of)
