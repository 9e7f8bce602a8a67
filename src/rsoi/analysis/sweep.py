"""Sweep: one run folder per scenario inside one sweep folder, and `sweep.csv` comparing them.

Scenarios are solved on Dask. On the warm path each worker keeps the first scenario's LP live
in HiGHS and solves every other scenario as the difference to it (rows and variables a
scenario adds or drops included), from the first scenario's optimal basis; `--cold` solves
each scenario from scratch. Every scenario's run folder is written and, unless
``--check none``, verified by the independent checker (every scenario is a reported row).

A scenario that fails (infeasible, invalid, solver stopped) keeps its row in `sweep.csv` with
its status and error, and has no run folder; the other scenarios are kept.
With `baseline`, each row also gives its change against that scenario, and a compare folder
(`compare-<scenario>/`) holds the table-by-table comparison (see `rsoi.analysis.compare`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rsoi.analysis.cluster import task_runner
from rsoi.analysis.common import Settings, base_row, folder_name, write_summary
from rsoi.analysis.warm import VariantResult, solve_variant
from rsoi.model.variant import Variant
from rsoi.results.tables import atomic_run_dir, write_csv

BASE_NAME = "base"
"""Member name of the base model (no scenario) when a model defines no scenarios."""


def sweep(
    model_path: str | Path,
    scenarios: list[str | None],
    target: Path,
    settings: Settings | None = None,
    baseline: str | None = None,
) -> pd.DataFrame:
    """Solve `scenarios` (None: the base model) in parallel; write `target/` atomically."""
    import time

    settings = settings or Settings()
    path = str(Path(model_path).resolve())
    names = [s or BASE_NAME for s in scenarios]
    # warm: every scenario is a variant of the first one's live LP
    anchor = scenarios[0] if scenarios else None
    variants = [Variant(name, scenario=s) for name, s in zip(names, scenarios, strict=True)]
    n = len(variants)
    with (
        atomic_run_dir(target, analysis="sweep") as tmp,
        task_runner(
            settings.scheduler, settings.workers, settings.cold, settings.scheduler_timeout
        ) as run,
    ):
        t0 = time.perf_counter()
        results: list[VariantResult] = run(
            solve_variant,
            [path] * n,
            [anchor] * n,
            variants,
            [settings.cold] * n,
            [str(tmp / folder_name(v.name)) for v in variants],
            [settings.check != "none"] * n,
            [settings.solver] * n,
        )
        settings.timings["solve_all"] = time.perf_counter() - t0
        rows = []
        for r in results:
            row = {"scenario": r.name, **base_row(r)}
            row["run_dir"] = r.run_dir and folder_name(r.name)
            row["check"] = r.checked or "not checked"
            rows.append(row)
        table = pd.DataFrame(rows).sort_values("scenario", kind="stable").reset_index(drop=True)
        if baseline is not None:
            table = _against_baseline(table, baseline, tmp)
        write_csv(tmp / "sweep.csv", table)
        write_summary(tmp, "sweep", model_path, None, results, settings, {"baseline": baseline})
    return table


def _against_baseline(table: pd.DataFrame, baseline: str, folder: Path) -> pd.DataFrame:
    """Change of each number against the baseline row, and compare folders for solved pairs."""
    from rsoi.analysis.compare import compare_runs, write_compare

    base = table.loc[table["scenario"] == baseline]
    numeric = [
        c
        for c in table.columns
        if c == "objective" or c.split(":")[0] in ("objective", "shortfall", "combat_power")
    ]
    out = table.copy()
    for col in numeric:
        value = base[col].iloc[0] if len(base) and base["status"].iloc[0] == "optimal" else None
        out[f"change:{col}"] = out[col] - value if value is not None else float("nan")
    base_dir = folder / folder_name(baseline)
    out["compare_dir"] = ""
    if not (base_dir / "summary.json").exists():
        return out
    taken = {folder_name(s) for s in out["scenario"]}  # member folders: never overwritten
    for i, row in out.iterrows():
        run_dir = folder / folder_name(row["scenario"])
        if row["scenario"] == baseline or not (run_dir / "summary.json").exists():
            continue
        name, n = f"compare-{folder_name(row['scenario'])}", 1
        while name in taken:  # a scenario named `compare-s1` beside `s1`
            n += 1
            name = f"compare-{folder_name(row['scenario'])}-{n}"
        taken.add(name)
        write_compare(compare_runs(base_dir, run_dir), folder / name, make_dir=True)
        out.loc[i, "compare_dir"] = name
    return out
