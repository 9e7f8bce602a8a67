"""How the LP and HiGHS's time grow with the horizon (shipped model) and with theater size.

    PYTHONPATH=src .venv/bin/python scripts/bench_scale.py [--periods 30,60,120,240]
        [--solver simplex] [--scale 4,1] [--synthetic 10k,50k,100k] [--scenario NAME]

For the shipped model only ``horizon.periods`` is raised (a variant edit, as the analyses make
them: nothing else changes, so the optimum must stay the same). For each size it prints
variables, rows, non-zeros, the rows and columns left after HiGHS's presolve, build seconds
(prepare + numpy build), HiGHS seconds (hand-over excluded: HiGHS's own `run()`), simplex
iterations and the objective; then the ratio HiGHS(last)/HiGHS(first), all measured in this
one process, one after the other. Goal (issue 19): HiGHS(240) <= 30x HiGHS(30); linear would
be 8x. ``--solver`` takes several methods and ``--scale`` several values of HiGHS's
``simplex_scale_strategy`` (comma-separated; default rsoi's,
``rsoi.lp.highs_io.SIMPLEX_SCALE_STRATEGY``; HiGHS's own default is 1) to compare the curves;
the synthetic theaters (`rsoi.bench.synthetic`) follow with the first of each.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "korea_taiwan.yaml"
GOAL_RATIO = 30.0


def measure(model, method: str, scale: int | None = None) -> dict:
    """Build and solve `model` (a LoadedModel); sizes and seconds."""
    from rsoi.lp.build import build
    from rsoi.lp.highs_io import is_optimal, make_highs, objective_value, status_text
    from rsoi.lp.interrupt import run_highs
    from rsoi.lp.prepare import prepare

    t = time.perf_counter()
    lp, _ctx = build(prepare(model))
    built = time.perf_counter() - t
    h = make_highs(lp, None, method)
    if scale is not None:
        h.setOptionValue("simplex_scale_strategy", scale)
    t = time.perf_counter()
    run_highs(h)
    solved = time.perf_counter() - t
    pre = make_highs(lp, None, method)  # HiGHS's presolve alone, outside the timing
    pre.presolve()
    reduced = pre.getPresolvedLp()
    return {
        "presolved_rows": reduced.num_row_,
        "presolved_cols": reduced.num_col_,
        "iterations": h.getInfo().simplex_iteration_count,
        "variables": lp.n_cols,
        "rows": lp.n_rows,
        "nonzeros": lp.nnz,
        "build_s": built,
        "highs_s": solved,
        "objective": objective_value(h) if is_optimal(h) else float("nan"),
        "status": status_text(h),
    }


def print_row(label: str, r: dict) -> None:
    print(
        f"{label:<18}{r['variables']:>10,}{r['rows']:>10,}{r['nonzeros']:>11,}"
        f"{r['presolved_cols']:>10,}{r['presolved_rows']:>10,}"
        f"{r['build_s']:>9.2f}{r['highs_s']:>9.2f}{r['iterations']:>8,}"
        f"  {r['objective']:,.2f} ({r['status']})",
        flush=True,
    )


HEADER = (
    f"{'size':<18}{'variables':>10}{'rows':>10}{'nonzeros':>11}{'pre cols':>10}{'pre rows':>10}"
    f"{'build s':>9}{'HiGHS s':>9}{'iters':>8}  objective"
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(MODEL))
    ap.add_argument("--scenario", default=None, help="default: the model's default scenario")
    ap.add_argument("--periods", default="30,60,120,240")
    ap.add_argument("--solver", default="choose", help="HiGHS method(s), comma-separated")
    ap.add_argument(
        "--scale",
        default="",
        help="simplex_scale_strategy value(s), comma-separated (default rsoi's)",
    )
    ap.add_argument("--synthetic", default="10k,50k", help="synthetic sizes ('' for none)")
    args = ap.parse_args(argv)

    from rsoi.bench.synthetic import parse_size, size_for, synthetic_model, write_model
    from rsoi.lp.highs_io import SIMPLEX_SCALE_STRATEGY
    from rsoi.model.loader import load_model
    from rsoi.model.variant import Variant, apply_variant

    base = load_model(args.model, args.scenario)
    periods = [int(p) for p in args.periods.split(",") if p]
    methods = [m for m in args.solver.split(",") if m]
    scales = [int(s) for s in args.scale.split(",") if s] or [SIMPLEX_SCALE_STRATEGY]
    for method, scale in [(m, s) for m in methods for s in scales]:
        print(
            f"{Path(args.model).name} scenario {base.scenario}, HiGHS method {method}, "
            f"simplex_scale_strategy {scale}"
        )
        print(HEADER)
        times = {}
        for n in periods:
            variant = Variant(f"T{n}", settings=(("horizon.periods", n),))
            r = measure(apply_variant(base, variant), method, scale)
            times[n] = r["highs_s"]
            print_row(f"{n} periods", r)
        if len(periods) > 1:
            first, last = periods[0], periods[-1]
            ratio = times[last] / max(times[first], 1e-9)
            verdict = "met" if ratio <= GOAL_RATIO else "not met"
            print(
                f"HiGHS({last})/HiGHS({first}) = {ratio:.1f}x "
                f"(linear {last / first:.0f}x; goal <= {GOAL_RATIO:.0f}x: {verdict})"
            )
        print()
    sizes = [s for s in args.synthetic.split(",") if s]
    if sizes:
        print(
            f"synthetic theaters (rsoi.bench.synthetic), HiGHS method {methods[0]}, "
            f"simplex_scale_strategy {scales[0]}"
        )
        print(HEADER)
        with tempfile.TemporaryDirectory() as tmp:
            for text in sizes:
                path = write_model(
                    Path(tmp) / f"syn-{text}.yaml", synthetic_model(**size_for(parse_size(text)))
                )
                print_row(f"synthetic {text}", measure(load_model(path), methods[0], scales[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
