"""Problems found in a blueprint, each pinned to the file, line and blueprint path it is about."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

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


class UnusableSetting(ValueError):
    """A setting outside the blueprint (an environment variable) is unusable: bad input, not a bug."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")


class BlueprintInvalid(Exception):
    """Raised with every problem found, so users fix them all in one round."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


def shown(value: Any, limit: int = 40) -> str:
    """`repr(value)` cut to `limit` characters: a problem quotes what it is about, not a whole file.

    A huge integer is described, not converted: Python refuses to print one of over 4,300 digits.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"a {value.bit_length() * 30103 // 100000 + 1}-digit number"
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."
