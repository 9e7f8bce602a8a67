"""Benchmark rsoi against linopy and a direct numpy->highspy build on synthetic theaters.

    python scripts/bench.py [--sizes 10k,100k,1M] [--no-solve-above 300k] [--no-solve]
                            [--skip-linopy] [--algorithm ipm] [--json out.json]

For each size it writes a synthetic model YAML (`rsoi.bench.synthetic`), then measures each tool in
a FRESH subprocess (``--worker``), so peak RSS is not polluted by an earlier run:

- ``direct``: load + prepare + the numpy build + `make_highs` (CSC arrays to highspy
  `passModel`) and, when solving, HiGHS's solve: nothing else. The memory baseline.
- ``rsoi``: load, build, hand-over, HiGHS solve, tables, write (the run folder).
- ``linopy``: load (same rsoi loader), linopy build (`rsoi.bench.linopy_model`), hand-over via
  `linopy.io.to_highspy`, HiGHS solve, write (non-zero values of every variable to CSV).

Every stage prints seconds and the peak RSS high-water mark (MB) after it. Non-solver time is
everything except HiGHS's own `run()`. Solves are skipped above ``--no-solve-above`` (default
300k variables: at 1M HiGHS alone needs many minutes on a 2-core machine); without a solve the
tables/write stages use x = 1 on as many evenly spread columns as the LP has rows (the most
non-zeros a basic solution can have: an upper bound on the table sizes). Goals (checked here
only, never in unit tests): rsoi non-solver time <= linopy's, and rsoi's peak memory <= 1.5x
the direct build's (both with the same solve, or both without).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

GOAL_TIME = 1.0  # rsoi non-solver / linopy non-solver
GOAL_MEMORY = 1.5  # rsoi peak / direct peak
TOOLS = ("direct", "rsoi", "linopy")


# --- worker -------------------------------------------------------------------------------


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


class Stages:
    """Times stages; records the peak-RSS high-water mark after each and a sampled stage peak."""

    def __init__(self) -> None:
        import psutil

        self.result: dict[str, dict[str, float]] = {}
        self._proc = psutil.Process()
        self._stage_peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self._stage_peak = max(self._stage_peak, self._proc.memory_info().rss / 2**20)
            time.sleep(0.005)

    def run(self, name: str, fn: Callable[[], Any]) -> Any:
        self._stage_peak = self._proc.memory_info().rss / 2**20
        t = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - t
        self.result[name] = {
            "seconds": seconds,
            "peak_mb": _rss_mb(),
            "stage_peak_mb": max(self._stage_peak, self._proc.memory_info().rss / 2**20),
        }
        return out

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def stand_in_x(n_cols: int, n_rows: int) -> Any:
    """Values standing in for a skipped solve: 1 on `n_rows` evenly spread columns, else 0.

    A basic (vertex) solution has at most `n_rows` non-zeros, so the tables written from this
    are at least as large as from a real optimum (measured: ~8% non-zeros at 10k variables).
    """
    import numpy as np

    x = np.zeros(n_cols)
    if n_cols:
        x[np.linspace(0, n_cols - 1, num=min(n_cols, n_rows)).astype(np.int64)] = 1.0
    return x


def _solution(h: Any, lp: Any, solved: bool) -> Any:
    """An rsoi `Solution` from HiGHS (or `stand_in_x` when the solve was skipped)."""
    import numpy as np

    from rsoi.lp.solve import Solution

    n, m = lp.n_cols, lp.n_rows
    if solved:
        sol = h.getSolution()
        x = np.asarray(sol.col_value, dtype=float)
        activity = np.asarray(sol.row_value, dtype=float)
        dual = np.asarray(sol.row_dual, dtype=float)
        cdual = np.asarray(sol.col_dual, dtype=float)
    else:
        x, activity, dual, cdual = stand_in_x(n, m), np.zeros(m), np.zeros(m), np.zeros(n)
    parts = {p: float(np.dot(c, x[cols])) for p, (cols, c) in lp.objective_parts.items()}
    return Solution(
        status="optimal",
        model_status="Optimal" if solved else "not solved (bench)",
        objective=float(np.dot(lp.cost(), x)),
        x=x,
        row_activity=activity,
        row_dual=dual,
        col_dual=cdual,
        objective_parts=dict(sorted(parts.items())),
        solver="HiGHS",
        solver_version="",
        handover_seconds=0.0,
        solve_seconds=0.0,
        mip=False,
    )


def worker(tool: str, model: Path, solve: bool, algorithm: str) -> dict:
    """Measure one tool on one model in this (fresh) process."""
    from rsoi.lp.build import build
    from rsoi.lp.prepare import prepare
    from rsoi.model.loader import load_model

    st = Stages()
    out: dict[str, Any] = {"tool": tool, "solved": False}
    loaded = st.run("load", lambda: _load(load_model, prepare, model))
    prep = loaded[1]
    out["rss_after_load_mb"] = _rss_mb()
    if tool in ("direct", "rsoi"):
        from rsoi.lp.highs_io import make_highs

        lp, ctx = st.run("build", lambda: build(prep))
        h = st.run("handover", lambda: make_highs(lp, None, algorithm))
        out.update(cols=lp.n_cols, rows=lp.n_rows, nnz=lp.nnz)
        if tool == "direct" and solve:  # the memory baseline includes HiGHS's own solve too
            st.run("solve", h.run)
        if tool == "rsoi":
            if solve:
                st.run("solve", h.run)
                out["objective"] = h.getInfo().objective_function_value
                out["status"] = h.modelStatusToString(h.getModelStatus())
                out["solved"] = True
            from rsoi.pipeline import Run, write_run
            from rsoi.results.tables import make_tables

            sol = _solution(h, lp, solve)
            del h  # as in rsoi.lp.solve.solve: the HiGHS instance is gone before the tables
            gc.collect()
            tables = st.run("tables", lambda: make_tables(lp, ctx, sol))
            tmp = Path(tempfile.mkdtemp(prefix="rsoi-bench-"))
            try:
                run = Run(loaded[0], prep, lp, ctx, sol, tables)
                st.run("write", lambda: write_run(run, tmp / "run"))
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    else:
        import numpy as np

        from rsoi.bench.linopy_model import build_linopy, to_highs

        m = st.run("build", lambda: build_linopy(prep))
        h = st.run("handover", lambda: to_highs(m, algorithm))
        out.update(cols=h.getNumCol(), rows=h.getNumRow(), nnz=h.getNumNz())
        if solve:
            st.run("solve", h.run)
            out["objective"] = h.getInfo().objective_function_value
            out["status"] = h.modelStatusToString(h.getModelStatus())
            out["solved"] = True
            x = np.asarray(h.getSolution().col_value, dtype=float)
        else:
            x = stand_in_x(h.getNumCol(), h.getNumRow())
        del h  # same as the rsoi worker: free the HiGHS instance before the write
        gc.collect()
        tmp = Path(tempfile.mkdtemp(prefix="linopy-bench-"))
        try:
            st.run("write", lambda: _write_linopy(m, None, x, tmp))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    st.close()
    out["stages"] = st.result
    return out


def _load(load_model: Callable, prepare: Callable, model: Path) -> tuple[Any, Any]:
    loaded = load_model(model)
    return loaded, prepare(loaded)


def _write_linopy(m: Any, h: Any, x: Any, folder: Path) -> None:
    from rsoi.bench.linopy_model import solution_frames

    for name, frame in solution_frames(m, h, x).items():
        frame.to_csv(folder / f"{name}.csv", index=False, float_format="%.9g")


# --- parent -------------------------------------------------------------------------------


def _run_worker(tool: str, model: Path, solve: bool, args: argparse.Namespace) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = Path(fh.name)
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        tool,
        "--model",
        str(model),
        "--algorithm",
        args.algorithm,
        "--out",
        str(out),
    ]
    if solve:
        cmd.append("--solve")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        return {"tool": tool, "error": proc.stderr.strip().splitlines()[-1:] or ["failed"]}
    data = json.loads(out.read_text())
    out.unlink()
    return data


def _non_solver(r: dict) -> float:
    return sum(v["seconds"] for k, v in r.get("stages", {}).items() if k != "solve")


def _core(r: dict) -> float:
    s = r.get("stages", {})
    return sum(s[k]["seconds"] for k in ("load", "build", "handover") if k in s)


def _peak(r: dict) -> float:
    """Peak RSS over all stages (the high-water mark of the worker process)."""
    return max(v["peak_mb"] for v in r["stages"].values())


def report(results: list[dict]) -> str:
    """Plain-text tables: per-stage seconds / peak MB, then the headline figures."""
    stages = ("load", "build", "handover", "solve", "tables", "write")
    lines = []
    for res in results:
        lines.append(
            f"\n== {res['label']}: {res['params']}  "
            f"({res.get('cols', 0):,} vars, {res.get('rows', 0):,} rows, {res.get('nnz', 0):,} nnz)"
        )
        head = f"{'tool':<7}" + "".join(f"{s:>17}" for s in stages) + f"{'non-solver s':>14}"
        lines.append(head + "    (each stage: seconds / peak RSS MB after it)")
        for tool in TOOLS:
            r = res["tools"].get(tool)
            if r is None:
                continue
            if "error" in r:
                lines.append(f"{tool:<7} ERROR {r['error']}")
                continue
            cells = []
            for s in stages:
                v = r["stages"].get(s)
                cells.append(f"{v['seconds']:8.2f} /{v['peak_mb']:6.0f}" if v else f"{'-':>17}")
            lines.append(
                f"{tool:<7}" + "".join(f"{c:>17}" for c in cells) + f"{_non_solver(r):14.2f}"
            )
    lines.append(
        "\n== headline (non-solver = everything but HiGHS run(); core = load+build+handover)"
    )
    cols = (
        "size",
        "vars",
        "rsoi non-solver s",
        "linopy non-solver s",
        "HiGHS solve s",
        "rsoi/linopy",
        "core rsoi/linopy",
        "rsoi MB",
        "direct MB",
        "rsoi/direct",
        "check",
    )
    widths = (6, 11, 18, 20, 14, 12, 17, 9, 10, 12, 16)
    lines.append("".join(f"{c:>{w}}" for c, w in zip(cols, widths, strict=True)))
    for res in results:
        t = res["tools"]
        r, li, d = t.get("rsoi", {}), t.get("linopy", {}), t.get("direct", {})
        rn = _non_solver(r) if "stages" in r else float("nan")
        ln = _non_solver(li) if "stages" in li else float("nan")
        solve = r.get("stages", {}).get("solve", {}).get("seconds")
        rm = _peak(r) if "stages" in r else float("nan")
        dm = _peak(d) if "stages" in d else float("nan")
        ratio_t = rn / ln if ln == ln and ln else float("nan")
        core_t = _core(r) / _core(li) if "stages" in li and "stages" in r else float("nan")
        ratio_m = rm / dm if dm == dm and dm else float("nan")
        check = res.get("check", "-")
        cells = (
            res["label"],
            f"{r.get('cols', 0):,}",
            f"{rn:.2f}",
            f"{ln:.2f}",
            f"{solve:.2f}" if solve is not None else "skipped",
            f"{ratio_t:.2f} {'ok' if ratio_t <= GOAL_TIME else 'MISS'}",
            f"{core_t:.2f}",
            f"{rm:.0f}",
            f"{dm:.0f}",
            f"{ratio_m:.2f} {'ok' if ratio_m <= GOAL_MEMORY else 'MISS'}",
            check,
        )
        lines.append("".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True)))
    lines.append(
        f"goals: rsoi/linopy non-solver <= {GOAL_TIME}; rsoi/direct peak memory <= {GOAL_MEMORY}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from rsoi.bench.synthetic import parse_size

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10k,100k,1M", help="target variable counts (10k,100k,1M)")
    ap.add_argument(
        "--no-solve-above",
        default="300k",
        help="skip the HiGHS solve for sizes above this many variables (300k)",
    )
    ap.add_argument("--no-solve", action="store_true", help="measure every stage but the solve")
    ap.add_argument("--skip-linopy", action="store_true", help="do not build the linopy model")
    ap.add_argument("--algorithm", default="choose", choices=["choose", "simplex", "ipm"])
    ap.add_argument("--json", type=Path, help="also write all measurements to this file")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workdir", type=Path, help="keep generated models here")
    ap.add_argument("--worker", choices=TOOLS, help=argparse.SUPPRESS)
    ap.add_argument("--model", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--solve", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        data = worker(args.worker, args.model, args.solve, args.algorithm)
        args.out.write_text(json.dumps(data))
        return 0

    from rsoi.bench.synthetic import size_for, synthetic_model, write_model

    limit = parse_size(args.no_solve_above)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="rsoi-bench-models-"))
    work.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        for label in args.sizes.split(","):
            target = parse_size(label)
            params = size_for(target)
            path = write_model(
                work / f"synthetic-{label}.yaml", synthetic_model(**params, seed=args.seed)
            )
            solve = not args.no_solve and target <= limit
            res: dict[str, Any] = {"label": label, "params": params, "target": target, "tools": {}}
            for tool in TOOLS:
                if tool == "linopy" and args.skip_linopy:
                    continue
                print(f"[{label}] {tool} ...", file=sys.stderr, flush=True)
                res["tools"][tool] = _run_worker(tool, path, solve, args)
            r = res["tools"].get("rsoi", {})
            res.update(cols=r.get("cols", 0), rows=r.get("rows", 0), nnz=r.get("nnz", 0))
            li = res["tools"].get("linopy", {})
            if "objective" in r and "objective" in li:
                a, b = r["objective"], li["objective"]
                rel = abs(a - b) / max(1.0, abs(a))
                res["check"] = f"{'ok' if rel <= 1e-6 else 'DIFF'} {rel:.1e}"
            results.append(res)
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
