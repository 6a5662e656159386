"""The blueprint file as it was at a git revision, for plans and diffs against it."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from mlstack.blueprints.errors import BlueprintInvalid, Problem

if TYPE_CHECKING:
    from mlstack.blueprints.load import ResolvedBlueprint
    from mlstack.stack.plan.engine import Plan


@contextmanager
def blueprint_at_revision(path: Path, revision: str) -> Iterator[tuple[Path, str]]:
    """Yield a temporary copy of `path` as it was at git `revision`, and how to name it (`REV:path`)."""
    file = str(path)
    directory = path.resolve().parent
    if not directory.is_dir():
        raise BlueprintInvalid([Problem(file, 1, 1, "", f"no directory {directory}")])
    top = _git(["rev-parse", "--show-toplevel"], directory)
    if top.returncode != 0:
        raise BlueprintInvalid(
            [Problem(file, 1, 1, "", f"--base needs a git repository, and {directory} is not in one")]
        )
    root = Path(top.stdout.decode().strip()).resolve()
    relative = path.resolve().relative_to(root).as_posix()
    shown = f"{revision}:{relative}"
    if _git(["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], root).returncode != 0:
        raise BlueprintInvalid([Problem(file, 1, 1, "", f"unknown git revision {revision!r}")])
    content = _git(["show", f"{revision}:{relative}"], root)
    if content.returncode != 0:
        raise BlueprintInvalid([Problem(file, 1, 1, "", f"{relative} does not exist at revision {revision}")])
    with tempfile.TemporaryDirectory(prefix="mlstack-diff-") as temporary:
        old_path = Path(temporary) / path.name
        old_path.write_bytes(content.stdout)
        yield old_path, shown


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise BlueprintInvalid([Problem(str(cwd), 1, 1, "", "--base needs git, and git is not installed")]) from None


def plan_at_revision(path: Path, environment: str, revision: str) -> tuple[ResolvedBlueprint, Plan]:
    """Plan `environment` of the blueprint as it was at git `revision` (with today's program)."""
    from mlstack.stack.plan import plan_file

    with blueprint_at_revision(path, revision) as (old_path, shown):
        try:
            return plan_file(old_path, environment)
        except BlueprintInvalid as invalid:
            # Point at the blueprint as it was at REV, not at the temporary copy.
            raise BlueprintInvalid(
                replace(p, file=shown, message=f"{p.message} (at {revision})") for p in invalid.problems
            ) from None
