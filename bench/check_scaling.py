"""How `mlstack check --preview-json` scales: whole-process wall time and peak RSS by resource count.

Run: `uv run python bench/check_scaling.py [--sizes 10000 20000 40000] [--repeat 1]`

Each size is a `pulumi preview --json` document holding copies of the recsys prod plan's custom
resources (`mlstack plan blueprints/examples/recsys.yaml --env prod --json`), each copy renamed
(`recsys-prod-` -> `recsys-prod-cN-` in URNs, parents, dependencies and physical names), so the
joins the stack rules make (endpoint -> configuration -> model, alarms, scaling targets, buckets)
stay within one copy. It is checked without a blueprint, in a fresh process, as CI runs it. Target:
roughly linear, i.e. the time per resource stays flat as the stack grows (before the stack rules
joined through `policies.framework.StackIndex`, 40,000 resources took 300 s against 29 s for 10,000).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BLUEPRINT = REPO / "blueprints" / "examples" / "recsys.yaml"
PREFIX = "recsys-prod-"


def template_steps(scratch: Path) -> list[dict[str, Any]]:
    """The custom resources' steps of the recsys prod plan."""
    plan = scratch / "recsys-prod.json"
    command = [sys.executable, "-m", "mlstack", "plan", str(BLUEPRINT), "--env", "prod", "--output", str(plan)]
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    steps: list[dict[str, Any]] = json.loads(plan.read_text(encoding="utf-8"))["steps"]
    return [step for step in steps if step["newState"].get("custom")]


def preview_document(steps: list[dict[str, Any]], resources: int) -> tuple[str, int]:
    """A preview JSON of about `resources` resources, and its exact resource count."""
    text = json.dumps(steps)
    copies = max(1, round(resources / len(steps)))
    parts = [text[1:-1].replace(PREFIX, f"{PREFIX}c{index}-") for index in range(copies)]
    document = '{"steps": [' + ", ".join(parts) + "]}"
    urns = [step["urn"] for step in json.loads(document)["steps"]]
    if len(set(urns)) != len(urns):
        raise SystemExit("the renamed copies share URNs; the template changed")
    return document, len(urns)


def run_once(path: Path, report: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS in MiB of one `mlstack check --preview-json` process."""
    command = [
        sys.executable,
        "-m",
        "mlstack",
        "check",
        "--preview-json",
        str(path),
        "--env",
        "prod",
        "--format",
        "json",
        "--output",
        str(report),
    ]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # wait4 reports this one child's peak RSS (getrusage(RUSAGE_CHILDREN) would mix all runs).
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"check failed for {path} with exit {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 20_000, 40_000])
    parser.add_argument("--repeat", type=int, default=1, help="runs per size; the median is reported")
    args = parser.parse_args()

    rows: list[tuple[int, int, float, float]] = []
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        steps = template_steps(scratch)
        for size in args.sizes:
            document, resources = preview_document(steps, size)
            path = scratch / f"preview-{size}.json"
            path.write_text(document, encoding="utf-8")
            del document
            runs = [run_once(path, scratch / "report.json") for _ in range(args.repeat)]
            wall = statistics.median(r[0] for r in runs)
            rows.append((resources, path.stat().st_size, wall, max(r[1] for r in runs)))
            path.unlink()
            print(f"{resources:>9} resources done in {wall:.1f} s", file=sys.stderr)

    print(f"{'resources':>9} {'file MiB':>8} {'wall s':>8} {'ms/resource':>11} {'peak RSS MiB':>12}")
    for resources, size_bytes, wall, rss in rows:
        print(f"{resources:>9} {size_bytes / 2**20:>8.1f} {wall:>8.2f} {wall * 1000 / resources:>11.3f} {rss:>12.0f}")
    if len(rows) >= 2:
        slope, intercept = statistics.linear_regression([r[0] for r in rows], [r[2] for r in rows])
        print(f"\nfit: wall = {intercept:.2f} s start-up floor + {slope * 1000:.3f} ms per resource")
        (small, _, small_wall, _), (large, _, large_wall, _) = rows[0], rows[-1]
        # 1.0 is linear, 2.0 quadratic: the exponent k in wall ~ resources^k between the extremes,
        # start-up included (which pulls it below 1).
        exponent = math.log(large_wall / small_wall) / math.log(large / small)
        print(f"growth: wall ~ resources^{exponent:.2f} between {small} and {large} resources (1.0 is linear)")
    print(f"machine: {os.cpu_count()} cores; wall is the whole process, start-up included")


if __name__ == "__main__":
    main()
