"""Benchmark the analyses: today's cold path (``--cold``) and the warm path side by side.

    python scripts/bench_analysis.py [--model models/korea_taiwan.yaml] [--points 21]
                                     [--frontier-scenario invasion_korea_simultaneous]
                                     [--check none] [--json out.json]

1. ``resilience`` on the model's default scenario, cold then warm, in this one process (the
   imports are shared; each path starts its own Dask cluster as the command does: cold on
   processes, warm in this process): wall time and the solve phase. Goal: warm <= 0.2 x cold.
2. one ``rsoi solve`` of the frontier scenario and ``rsoi frontier --points N`` of it, warm
   and cold, each as a fresh ``python -m rsoi`` subprocess (user-visible wall time, imports
   included). Goal: the warm N-point frontier <= 3 x one solve.
3. re-solves per second per core, warm and cold: resilience members / solve-phase seconds /
   workers (warm: one live model; cold: the local cluster's processes).

Both paths write and check the same folders (``--check``, default ``none``: the comparison
is of the solves; ``sample`` adds the checker's time to both). The cold and warm resilience
tables must agree to 1e-6 relative. Figures are printed, never asserted in unit tests.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(args: list[str], cwd: Path) -> float:
    """Wall seconds of `python -m rsoi ARGS` (raises if it fails)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "rsoi", *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"rsoi {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
    return wall


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=str(ROOT / "models" / "korea_taiwan.yaml"))
    p.add_argument("--points", type=int, default=21)
    p.add_argument("--frontier-scenario", default="invasion_korea_simultaneous")
    p.add_argument("--check", default="none", choices=["none", "sample", "all"])
    p.add_argument("--json", help="also write the figures here")
    a = p.parse_args()
    model = str(Path(a.model).resolve())
    figures: dict[str, float] = {}
    from rsoi.analysis.common import Settings
    from rsoi.analysis.resilience import friendly_nodes, resilience
    from rsoi.lp.prepare import prepare
    from rsoi.model.loader import load_model

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        check = ["--check", a.check]
        spec = load_model(model).spec
        scenario_name = spec.default_scenario
        nodes = friendly_nodes(prepare(load_model(model, scenario_name)).spec)
        tables = {}
        for path in ("cold", "warm"):
            settings = Settings(cold=path == "cold", check=a.check)
            t = time.perf_counter()
            table, _ = resilience(model, scenario_name, out / f"res-{path}", nodes, 1, settings)
            wall = time.perf_counter() - t
            tables[path] = table.set_index("node")
            members = len(nodes) + 1
            workers = 1 if path == "warm" else min(os.cpu_count() or 1, 4)
            solve_phase = settings.timings["solve_all"]
            figures[f"resilience_{path}_wall_s"] = wall
            figures[f"resilience_{path}_solve_phase_s"] = solve_phase
            figures[f"resolves_per_s_per_core_{path}"] = members / solve_phase / workers
            figures["resilience_members"] = members
            print(f"resilience {path}: {wall:.1f} s wall, {members} solves", flush=True)
        cold, warm = tables["cold"], tables["warm"]
        gap = ((warm["objective"] - cold["objective"]).abs() / cold["objective"].abs()).max()
        figures["resilience_max_relative_gap_warm_vs_cold"] = float(gap)
        scenario = ["--scenario", a.frontier_scenario]
        figures["solve_wall_s"] = run(
            ["solve", model, *scenario, "--out", str(out / "solve"), "--quiet"], ROOT
        )
        print(f"solve: {figures['solve_wall_s']:.1f} s wall", flush=True)
        for path in ("warm", "cold"):
            flag = ["--cold"] if path == "cold" else []
            folder = out / f"frontier-{path}"
            wall = run(
                ["frontier", model, *scenario, "--points", str(a.points), "--out", str(folder),
                 *check, *flag],
                ROOT,
            )  # fmt: skip
            figures[f"frontier_{path}_wall_s"] = wall
            print(f"frontier {path}: {wall:.1f} s wall", flush=True)
    ratio = figures["resilience_warm_wall_s"] / figures["resilience_cold_wall_s"]
    frontier_ratio = figures["frontier_warm_wall_s"] / figures["solve_wall_s"]
    figures["resilience_warm_over_cold"] = ratio
    figures["frontier_warm_over_one_solve"] = frontier_ratio
    print()
    print(f"machine: {os.cpu_count()} cores; check level: {a.check}")
    print(
        f"resilience ({figures['resilience_members']:.0f} solves): cold "
        f"{figures['resilience_cold_wall_s']:.1f} s, warm {figures['resilience_warm_wall_s']:.1f} s"
        f" -> warm/cold {ratio:.2f} (goal <= 0.20) {'OK' if ratio <= 0.2 else 'MISSED'}"
    )
    print(
        f"  solve phase: cold {figures['resilience_cold_solve_phase_s']:.1f} s, warm "
        f"{figures['resilience_warm_solve_phase_s']:.1f} s; max relative gap warm vs cold "
        f"{figures['resilience_max_relative_gap_warm_vs_cold']:.1e}"
    )
    print(
        f"re-solves per second per core: warm {figures['resolves_per_s_per_core_warm']:.2f}, "
        f"cold {figures['resolves_per_s_per_core_cold']:.2f}"
    )
    print(
        f"{a.points}-point frontier: warm {figures['frontier_warm_wall_s']:.1f} s, cold "
        f"{figures['frontier_cold_wall_s']:.1f} s; one solve {figures['solve_wall_s']:.1f} s -> "
        f"warm frontier / solve {frontier_ratio:.2f} (goal <= 3) "
        f"{'OK' if frontier_ratio <= 3 else 'MISSED'}"
    )
    if a.json:
        Path(a.json).write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
