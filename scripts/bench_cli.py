"""Wall time of the real `rsoi solve` command against a raw highspy script on the same LP.

First writes the model's LP once (``rsoi solve --save-lp``: ``model.mps``). Then REPEAT
alternating pairs of fresh processes: ``python -m rsoi solve MODEL --out <tmp> --quiet``
(every output written: tables, summary, independent check, plan.gpkg, maps, report) and
``python -c RAW`` (import highspy, read model.mps, solve: the least any tool can do). Prints
the median wall time of each, their ratio (issue 19 goal: <= 4x) and the median of each
stage of `rsoi solve` from its ``summary.json`` (``timings_seconds``; the export runs in
another process while the check runs, so stages overlap and need not add up);
``python + imports`` is the wall time outside the recorded stages.

    PYTHONPATH=src .venv/bin/python scripts/bench_cli.py [MODEL] [--repeat 5]

CPU seconds (user + system of the child) are printed too: on a busy machine they vary less
than wall time. Other sessions share the cores: note `uptime` with the figures.
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
GOAL_RATIO = 4.0
RAW = """
import sys, highspy
h = highspy.Highs()
h.setOptionValue("output_flag", False)
h.readModel(sys.argv[1])
h.run()
assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
print(h.getInfo().objective_function_value)
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT / "src"))}


def save_lp(model: Path, folder: Path) -> Path:
    """model.mps of `model`, written by `rsoi solve --save-lp` (the LP rsoi hands HiGHS)."""
    out = folder / "lp"
    proc = subprocess.run(
        [sys.executable, "-m", "rsoi", "solve", str(model), "--out", str(out), "--quiet",
         "--save-lp", "--no-check"],
        capture_output=True, text=True, env=_env(),
    )  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"rsoi solve --save-lp failed:\n{proc.stderr[-2000:]}")
    return out / "model.mps"


def raw_run(mps: Path) -> tuple[float, float]:
    """(wall seconds, child CPU seconds) of a bare highspy process solving `mps`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", RAW, str(mps)], capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"raw highspy failed:\n{proc.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


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
            env=_env(),
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
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("extra", nargs="*", help="more arguments for rsoi solve (after --)")
    args = ap.parse_args(argv)

    runs, raws = [], []
    with tempfile.TemporaryDirectory() as tmp:
        mps = save_lp(Path(args.model), Path(tmp))
        for _ in range(args.repeat):  # alternating pairs: a load spike hits both sides
            runs.append(one_run(Path(args.model), args.extra))
            raws.append(raw_run(mps))
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
    raw = median(w for w, _ in raws)
    ratio = wall / raw
    print(f"rsoi solve runs (wall s): {', '.join(f'{w:.2f}' for w in walls)}")
    print(f"raw highspy runs (wall s): {', '.join(f'{w:.2f}' for w, _ in raws)}")
    print(f"rsoi child CPU s (user+sys): {', '.join(f'{c:.2f}' for _, c, _ in runs)}")
    print(f"raw child CPU s (user+sys): {', '.join(f'{c:.2f}' for _, c in raws)}")
    print(f"median wall: rsoi solve {wall:.3f} s, raw highspy {raw:.3f} s")
    verdict = "met" if ratio <= GOAL_RATIO else "not met"
    print(f"ratio rsoi/raw = {ratio:.2f}x (goal <= {GOAL_RATIO:.0f}x: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
