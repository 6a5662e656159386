"""How `mlstack check` scales against `mlstack plan`: whole-process wall time by blueprint size.

Run: `uv run python bench/check_scaling.py [--sizes 10 100 500] [--repeat 3]`

Each size is the generated blueprint of bench/plan_scaling.py with that many endpoints (A/B pairs on
GPU instances and single CPU variants, alternating), run for `prod` as users run it: `mlstack plan
FILE --output plan.json` and `mlstack check FILE --format json --output report.json`, each in a
fresh process. `check` plans too, then estimates the cost, runs the policy pack and locates the
findings in the blueprint; the pack's rules and the cost estimate must each be O(resources), so
target: check at most 1.15x plan at every size (issue 16). Issue 16 measured check at 17.3 s against
plan's 9.7 s at 500 endpoints, before the cost estimate indexed the plan (a scan of the plan per
endpoint configuration) and the policy evaluation collected garbage rarely.

The two commands alternate (plan first, then check first, ...) so a neighbour's load spreads over
both, and the median of `--repeat` runs is reported with the load average. One unmeasured run of
each warms the bytecode cache (in a scratch PYTHONPYCACHEPREFIX, even under PYTHONDONTWRITEBYTECODE):
users' Python caches what a command imports, and check imports more than plan.

`--preview-sizes 10000 20000 40000` instead times `mlstack check --preview-json` by resource count:
a `pulumi preview --json` document of copies of the recsys prod plan's custom resources, each copy
renamed (`recsys-prod-` -> `recsys-prod-cN-` in URNs, parents, dependencies and physical names), so
the joins the stack rules make stay within one copy; checked without a blueprint, as CI runs it.
Target there: roughly linear (before `policies.framework.StackIndex`, 40,000 resources took 300 s
against 29 s for 10,000).
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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from plan_scaling import blueprint_text

REPO = Path(__file__).resolve().parent.parent
BLUEPRINT = REPO / "blueprints" / "examples" / "recsys.yaml"
PREFIX = "recsys-prod-"
TARGET_RATIO = 1.15


def _mlstack(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "mlstack", *arguments]


def run_once(command: list[str], env: Mapping[str, str], *, ok: tuple[int, ...] = (0,)) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS in MiB of one process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # wait4 reports this one child's peak RSS (getrusage(RUSAGE_CHILDREN) would mix all runs).
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in ok:
        raise SystemExit(f"{' '.join(command[2:])} failed with exit {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def child_environment(scratch: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
    return env


def _load() -> str:
    """The 1- and 5-minute load averages: above the core count, a neighbour competes for the CPU."""
    one, five, _ = os.getloadavg()
    return f"{one:.2f}/{five:.2f}"


def plan_versus_check(sizes: list[int], repeat: int) -> None:
    # (endpoints, resources, plan wall, check wall, plan CPU, check CPU, load before, load after)
    rows: list[tuple[int, int, float, float, float, float, str, str]] = []
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        env = child_environment(scratch)
        for size in sizes:
            blueprint = scratch / f"bench-{size}.yaml"
            blueprint.write_text(blueprint_text(size), encoding="utf-8")
            plan_out, report_out = scratch / f"plan-{size}.json", scratch / f"report-{size}.json"
            plan = _mlstack("plan", str(blueprint), "--env", "prod", "--output", str(plan_out))
            check = _mlstack("check", str(blueprint), "--env", "prod", "--format", "json", "--output", str(report_out))
            # Exit 1 is check's verdict (mandatory findings), not a failure.
            commands = {"plan": (plan, (0,)), "check": (check, (0, 1))}
            if size == sizes[0]:
                for command, ok in commands.values():
                    run_once(command, env, ok=ok)  # warm the bytecode cache
            before = _load()
            runs: dict[str, list[tuple[float, float, float]]] = {"plan": [], "check": []}
            for run in range(repeat):
                for name in ("plan", "check") if run % 2 == 0 else ("check", "plan"):
                    command, ok = commands[name]
                    runs[name].append(run_once(command, env, ok=ok))
            resources = sum(1 for step in json.loads(plan_out.read_text())["steps"] if step["newState"]["custom"])
            wall = {name: statistics.median(r[0] for r in measured) for name, measured in runs.items()}
            cpu = {name: statistics.median(r[1] for r in measured) for name, measured in runs.items()}
            rows.append((size, resources, wall["plan"], wall["check"], cpu["plan"], cpu["check"], before, _load()))
            shown = {name: ", ".join(f"{r[0]:.2f}" for r in measured) for name, measured in runs.items()}
            print(f"{size:>5} endpoints: plan runs {shown['plan']} s; check runs {shown['check']} s", file=sys.stderr)

    print(
        f"{'endpoints':>9} {'resources':>9} {'plan s':>7} {'check s':>7} {'ratio':>6}"
        f" {'plan CPU':>8} {'check CPU':>9} {'ratio':>6}  load average before -> after"
    )
    for size, resources, plan_wall, check_wall, plan_cpu, check_cpu, before, after in rows:
        print(
            f"{size:>9} {resources:>9} {plan_wall:>7.2f} {check_wall:>7.2f} {check_wall / plan_wall:>5.2f}x"
            f" {plan_cpu:>8.2f} {check_cpu:>9.2f} {check_cpu / plan_cpu:>5.2f}x  {before} -> {after}"
        )
    worst = max(row[3] / row[2] for row in rows)
    verdict = "meets" if worst <= TARGET_RATIO else "MISSES"
    print(f"\ntarget: check wall at most {TARGET_RATIO:.2f}x plan wall at every size: {verdict} (worst {worst:.2f}x)")
    print(
        f"machine: {os.cpu_count()} cores; medians of {repeat} alternating runs; wall is the whole process, "
        "start-up included; CPU (user + system) is steadier when a neighbour loads the machine"
    )


# --- check --preview-json by resource count --------------------------------------------------------


def template_steps(scratch: Path, env: Mapping[str, str]) -> list[dict[str, Any]]:
    """The custom resources' steps of the recsys prod plan."""
    plan = scratch / "recsys-prod.json"
    run_once(_mlstack("plan", str(BLUEPRINT), "--env", "prod", "--output", str(plan)), env)
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


def preview_scaling(sizes: list[int], repeat: int) -> None:
    rows: list[tuple[int, int, float, float]] = []
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        env = child_environment(scratch)
        steps = template_steps(scratch, env)
        for size in sizes:
            document, resources = preview_document(steps, size)
            path = scratch / f"preview-{size}.json"
            path.write_text(document, encoding="utf-8")
            del document
            report = scratch / "report.json"
            command = _mlstack("check", "--preview-json", str(path), "--env", "prod", "--format", "json")
            runs = [run_once([*command, "--output", str(report)], env, ok=(0, 1)) for _ in range(repeat)]
            wall = statistics.median(r[0] for r in runs)
            rows.append((resources, path.stat().st_size, wall, max(r[2] for r in runs)))
            path.unlink()
            print(f"{resources:>9} resources done in {wall:.1f} s ({_load()})", file=sys.stderr)

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
    print(f"machine: {os.cpu_count()} cores; wall is the whole process, start-up included; {_load()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 500], help="endpoints per blueprint")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size and command; the median is reported")
    parser.add_argument(
        "--preview-sizes", type=int, nargs="+", help="time check --preview-json at these resource counts instead"
    )
    args = parser.parse_args()
    if args.preview_sizes:
        preview_scaling(args.preview_sizes, args.repeat)
    else:
        plan_versus_check(args.sizes, args.repeat)


if __name__ == "__main__":
    main()
