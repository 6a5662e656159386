"""What every `mlstack` command shares: consoles, exit codes, the error guard and atomic writes.

Exit codes: 0 success, 2 invalid input (every problem printed with its file and line),
3 an internal error (a bug: please report it with the blueprint).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import typer

from mlstack.blueprints.errors import BlueprintInvalid, UnusableSetting

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

EXIT_INVALID = 2
EXIT_INTERNAL = 3

# Width of text for a reader with no terminal (a CI log): wide enough that plans rarely wrap.
LOG_WIDTH = 120


class _Console:
    """A rich Console made on first use: `plan --json` of a blueprint without warnings never
    prints through one, and importing rich costs ~50 ms of its start-up."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def print(self, *objects: Any, **options: Any) -> None:
        # A plain line (markup off, nothing else asked) is written as it is: rich would print the
        # same characters (highlighting is off, lines are never wrapped) but for turning `:name:`
        # into emoji, which no message of ours means.
        if options == {"markup": False} and len(objects) == 1 and isinstance(objects[0], str):
            stream = sys.stderr if self._options.get("stderr") else sys.stdout
            stream.write(objects[0] + "\n")
            return
        self.__getattr__("print")(*objects, **options)

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


# Plain lines are never wrapped (a reader greps them); trees and tables go through `print_wrapped`.
out = cast("Console", _Console(highlight=False, soft_wrap=True))
err = cast("Console", _Console(stderr=True, highlight=False, soft_wrap=True))


def render_width(console: Console) -> int:
    """COLUMNS when set, else the terminal's width; LOG_WIDTH for a file or a CI log, where rich
    would assume 80. Read at each print, so the environment of the moment decides."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return console.width if console.is_terminal else LOG_WIDTH


def print_wrapped(console: Console, renderable: RenderableType, **options: Any) -> None:
    """Print a tree, a table or a long line wrapped at spaces to the output's width."""
    console.print(renderable, soft_wrap=False, width=render_width(console), **options)


T = TypeVar("T")

# No click checks (readable=True is typer's default): an unreadable file, a directory or a missing one is
# reported by our reader as `FILE:1:1: cannot read file: ...`, like every other problem, not in click's box.
# Input files are read, and their errors reported, by our readers (`FILE:1:1: cannot read file: ...`),
# never by click's checks (`readable=True` by default), which print a box instead of a line.
BlueprintFile = Annotated[
    Path, typer.Argument(help="Blueprint YAML file.", show_default=False, exists=False, readable=False)
]
PricesOption = Annotated[
    Path | None,
    typer.Option(
        "--prices",
        help="Your price file (YAML or CSV); its prices override ours. Format: stack/cost/prices.py.",
        readable=False,
    ),
]


class BadFlag(Exception):
    """A flag's value is unusable: one line naming the flag, exit 2."""

    def __init__(self, flag: str, message: str) -> None:
        super().__init__(f"{flag}: {message}")


def guarded(action: Callable[[], T]) -> T:
    """Run `action`; turn bad input into exit 2 with every problem, and bugs into exit 3."""
    try:
        return action()
    except (BadFlag, UnusableSetting) as bad:
        err.print(f"mlstack: {bad}", markup=False)
        raise typer.Exit(EXIT_INVALID) from None
    except BlueprintInvalid as invalid:
        for problem in invalid.problems:
            err.print(str(problem), markup=False)
        count = len(invalid.problems)
        err.print(f"{count} problem{'s' if count != 1 else ''} found", markup=False)
        raise typer.Exit(EXIT_INVALID) from None
    except typer.Exit:
        raise
    except Exception as error:
        err.print(f"mlstack: internal error: {type(error).__name__}: {error}", markup=False)
        err.print("This is a bug in mlstack; please report it with the blueprint that caused it.")
        if os.environ.get("MLSTACK_DEBUG"):
            raise
        raise typer.Exit(EXIT_INTERNAL) from None


def write_atomically(path: Path, text: str) -> None:
    """Write all of `text` or nothing: a failed run never leaves half a file behind."""
    write_all({path: text})


def write_all(files: Mapping[Path, str]) -> None:
    """Write every file or none: each goes to a temporary file beside it, and no target is
    replaced until all are written.

    An output that cannot be written (a read-only directory, /proc, a directory in the way) is an
    unusable environment: exit 2 with one line, never a traceback, and never exit 1, which
    `mlstack check` reserves for findings.
    """
    written: list[tuple[str, Path]] = []
    current: Path | None = None
    # Temporary files are private (0600); an output gets the mode any new file would.
    umask = os.umask(0)
    os.umask(umask)
    try:
        for path, text in files.items():
            current = path
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                "w", dir=path.parent, delete=False, prefix=f".{path.name}.", suffix=".tmp", encoding="utf-8"
            ) as handle:
                written.append((handle.name, path))
                handle.write(text)
            os.chmod(handle.name, 0o666 & ~umask)
        for temporary, path in written:
            current = path
            os.replace(temporary, path)
    except OSError as error:
        for temporary, _ in written:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        err.print(f"mlstack: cannot write {current}: {error.strerror or error}", markup=False)
        raise typer.Exit(EXIT_INVALID) from None


def plain_text(renderable: RenderableType) -> str:
    """A tree or table as text without colour, at the output's width: for `-o FILE`."""
    from rich.console import Console

    console = Console(file=io.StringIO(), width=render_width(out), highlight=False, color_system=None)
    print_wrapped(console, renderable)
    file = console.file
    assert isinstance(file, io.StringIO)
    return file.getvalue()
