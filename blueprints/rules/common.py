"""What every rule module shares: the finding type and the did-you-mean and duplicate helpers."""

from __future__ import annotations

import difflib
from collections import Counter

Path = tuple[str | int, ...]
Finding = tuple[Path, str]


def suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def duplicates(names: list[str], path: Path, what: str) -> list[Finding]:
    counts = Counter(names)
    findings: list[Finding] = []
    seen: set[str] = set()
    for index, name in enumerate(names):
        if counts[name] > 1 and name in seen:
            findings.append(((*path, index, "name"), f"duplicate {what} name {name!r}"))
        seen.add(name)
    return findings
