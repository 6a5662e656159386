"""Problems found in a blueprint, each pinned to the file, line and blueprint path it is about."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One finding: `FILE:LINE:COL: path.to.field: message`."""

    file: str
    line: int
    column: int
    path: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        prefix = "" if self.severity == "error" else "warning: "
        return f"{where}: {self.path or '<root>'}: {prefix}{self.message}"


class BlueprintInvalid(Exception):
    """Raised with every problem found, so users fix them all in one round."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))
