"""Wall time of the real `rsoi solve` command, per stage, against HiGHS's own solve time.

Runs ``python -m rsoi solve MODEL --out <tmp> --quiet`` as a fresh process (imports
included) REPEAT times and prints the median of each stage. Stage times come from the run's
``summary.json`` (``timings_seconds``: load, build, handover, solve, tables, check, export
and write, as rsoi records them); ``python + imports`` is what the process spent outside
those stages (interpreter start, imports, CLI, writing the CSVs). Each line shows its ratio
to HiGHS's solve time. Goal for the shipped model: <= 2 s wall.

    PYTHONPATH=src .venv/bin/python scripts/bench_cli.py [MODEL] [--repeat 3]

CPU seconds (user + system of the child) are printed too: on a busy machine they vary less
than wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "korea_taiwan.yaml"
# stages nested in others are shown indented and not added twice
ORDER = ["load", "build", "handover", "solve", "tables", "write"]
INSIDE_WRITE = ["check", "export"]


def one_run(model: Path, extra: list[str]) -> tuple[float, float, dict[str, float]]:
    """(wall seconds, child CPU seconds, timings_seconds) of one `rsoi solve` process."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "rsoi",
                "solve",
                str(model),
                "--out",
                str(out),
                "--quiet",
                *extra,
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT / "src"))},
        )
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise SystemExit(f"rsoi solve failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
        timings = json.loads((out / "summary.json").read_text())["timings_seconds"]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, timings


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", nargs="?", default=str(MODEL))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("extra", nargs="*", help="more arguments for rsoi solve (after --)")
    args = ap.parse_args(argv)

    runs = [one_run(Path(args.model), args.extra) for _ in range(args.repeat)]
    walls = [w for w, _, _ in runs]
    median = statistics.median
    stages: dict[str, float] = {}
    for name in ORDER + INSIDE_WRITE + sorted({k for _, _, t in runs for k in t}):
        if name not in stages:
            stages[name] = median(t.get(name, 0.0) for _, _, t in runs)
    wall = median(walls)
    solve = stages.get("solve", 0.0) or float("nan")
    outside = wall - sum(stages.get(k, 0.0) for k in ORDER)
    print(f"rsoi solve {Path(args.model).name}: median of {args.repeat} whole-process runs")
    print(f"{'stage':<22}{'seconds':>9}{'x solve':>9}")
    print(f"{'python + imports':<22}{outside:>9.3f}{outside / solve:>9.1f}")
    for name in ORDER:
        print(f"{name:<22}{stages.get(name, 0.0):>9.3f}{stages.get(name, 0.0) / solve:>9.1f}")
        if name == "write":
            for inner in INSIDE_WRITE + sorted(k for k in stages if k.startswith("export_")):
                v = stages.get(inner, 0.0)
                print(f"{'  ' + inner:<22}{v:>9.3f}{v / solve:>9.1f}")
    print(f"{'WALL':<22}{wall:>9.3f}{wall / solve:>9.1f}")
    print(f"runs (wall s): {', '.join(f'{w:.2f}' for w in walls)}")
    print(f"child CPU s (user+sys): {', '.join(f'{c:.2f}' for _, c, _ in runs)}")
    print(f"goal <= 2 s wall: {'met' if wall <= 2.0 else 'not met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
