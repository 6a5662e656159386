"""`mlstack docs`: a typer command function, registered by `stack.cli.app`.

`mlstack docs FILE --env E -o DIR` writes three files into DIR, named after the Pulumi stack:

- `<blueprint>-<env>.md`: the page (architecture as a Mermaid `flowchart LR`, which GitHub renders,
  endpoints and traffic shares, data flows, resources, cost, policy findings);
- `<blueprint>-<env>.dot`: the same graph for Graphviz;
- `<blueprint>-<env>.svg`: that graph drawn by `dot -Tsvg`, embedded in the page.

Not `README.md`: one directory can then hold every environment of every blueprint (`docs/platform/`
with `recsys-dev.md` and `recsys-prod.md`) without one page overwriting another or a team's own README,
and the page, its SVG and its DOT share one name.

Graphviz is optional unless asked for. Without `dot` on PATH the page (whose Mermaid diagram needs
no renderer) and the .dot file are still written, stderr says the SVG was not drawn, the page says how
to draw it, and the exit code is 0. With `--svg` the picture was asked for, so a missing `dot` is an
unusable environment: exit 2 and nothing written. `--no-svg` never runs it. A `dot` that fails on our
own DOT is a bug: exit 3.

The files are written together or not at all: everything is rendered first, each file goes to a
temporary file beside its target, and only when all are on disk are they renamed into place.

Exit codes as for every mlstack command: 0 success, 2 invalid input (a blueprint, an environment, a
price file) or an unusable environment (an unwritable DIR, `--svg` without Graphviz), 3 an internal error.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mlstack.stack.cli import common as cli

if TYPE_CHECKING:
    from mlstack.stack.docs.render import PageInput

DOT_TIMEOUT_SECONDS = 120


def docs(
    file: cli.BlueprintFile,
    env: Annotated[str, typer.Option("--env", "-e", help="Environment to document.")],
    output_dir: Annotated[
        Path,
        typer.Option(
            "--output-dir",
            "-o",
            help="Directory to write <blueprint>-<env>.md, .dot and .svg into (created if missing).",
            exists=False,
            writable=False,
            readable=False,
        ),
    ],
    svg: Annotated[
        bool | None,
        typer.Option(
            "--svg/--no-svg",
            help="--svg: Graphviz must draw the SVG (exit 2 without it); --no-svg: do not draw it. "
            "Default: draw it when `dot` is on PATH.",
            show_default=False,
        ),
    ] = None,
    prices: cli.PricesOption = None,
) -> None:
    """Write a page to commit or publish: architecture diagram, resources, cost and policy findings."""
    from mlstack.stack.docs.render import dot, page

    data = cli.guarded(lambda: _page_input(file, env, prices))
    dot_text = cli.guarded(lambda: dot(data.architecture.graph))
    renderer = shutil.which("dot") if svg is not False else None
    if svg is True and renderer is None:
        cli.err.print(
            "mlstack docs: --svg needs Graphviz's `dot` on PATH (Debian/Ubuntu: apt-get install graphviz); "
            "nothing was written",
            markup=False,
        )
        raise typer.Exit(cli.EXIT_INVALID)
    svg_text = cli.guarded(lambda: _draw(renderer, dot_text)) if renderer is not None else None
    markdown = cli.guarded(lambda: page(replace(data, svg=svg_text is not None)))
    files = {output_dir / f"{data.stem}.md": markdown, output_dir / f"{data.stem}.dot": dot_text}
    if svg_text is not None:
        files[output_dir / f"{data.stem}.svg"] = svg_text
    cli.write_all(files)
    for path in files:
        cli.err.print(f"wrote {path}", markup=False)
    if svg_text is None:
        stale = output_dir / f"{data.stem}.svg"
        why = "--no-svg" if svg is False else "Graphviz's `dot` is not on PATH"
        note = f"; {stale} from an earlier run is left as it was" if stale.exists() else ""
        cli.err.print(f"mlstack docs: the SVG was not rendered ({why}){note}", markup=False)


def _page_input(file: Path, env: str, prices: Path | None) -> PageInput:
    """Plan, price and check as `mlstack plan`, `cost` and `check` do; the page only lays them out."""
    from mlstack.stack.cost.estimate import cost_report
    from mlstack.stack.cost.prices import load_price_book
    from mlstack.stack.docs.graph import architecture
    from mlstack.stack.docs.render import PageInput
    from mlstack.stack.plan import plan_file, stack_name
    from mlstack.stack.plan.check import check_plan, cost_estimate, policy_settings
    from mlstack.stack.plan.provenance import Locator

    book = load_price_book(prices)
    resolved, planned = plan_file(file, env)
    for warning in resolved.warnings:
        cli.err.print(str(warning), markup=False)
    estimate = cost_estimate(resolved, planned, prices)
    policy = Locator(file, env, planned.sources).locate(check_plan(planned, policy_settings(resolved, estimate)))
    return PageInput(
        resolved=resolved,
        plan=planned,
        architecture=architecture(resolved, planned),
        cost=cost_report(planned, resolved, book),
        ceiling_drivers=estimate.ceiling_drivers,
        policy=policy,
        blueprint_file=str(file),
        stem=stack_name(resolved),
        svg=False,
    )


def _draw(renderer: str, dot_text: str) -> str:
    """`dot -Tsvg` of `dot_text`; a failure is ours (we wrote the DOT), so it surfaces as exit 3."""
    result = subprocess.run(
        [renderer, "-Tsvg"],
        input=dot_text.encode("utf-8"),
        capture_output=True,
        timeout=DOT_TIMEOUT_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"dot -Tsvg exited {result.returncode}: {message}")
    return result.stdout.decode("utf-8")
