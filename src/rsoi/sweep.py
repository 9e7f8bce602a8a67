"""Scenario sweeps on Dask: one task per scenario, a local cluster unless a scheduler is named.

Each scenario is solved and written as its own run folder inside one new sweep folder, and a
`sweep.csv` compares them (status, objective, parts, penalty per priority class). Tasks are
independent and deterministic, so the table does not depend on which worker solved what.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from rsoi.results import FLOAT_FORMAT, atomic_run_dir


def solve_scenario(model_path: str, scenario: str, out_dir: str) -> dict:
    """Solve one scenario and write its run folder; return one row of the sweep table."""
    from rsoi.pipeline import run_model, write_run

    run = run_model(model_path, scenario)
    write_run(run, Path(out_dir) / scenario)
    summary = run.summary()
    row = {
        "scenario": scenario,
        "status": summary["status"],
        "objective": summary["objective"],
        "china_action": summary["china_action"],
        "korea_conflict": summary["korea_conflict"]["timing"],
        "rok_support_level": summary["rok_support_level"],
    }
    row.update({f"objective:{k}": v for k, v in summary["objective_parts"].items()})
    for cls, figures in summary["shortfall_by_priority"].items():
        row[f"lines_short:{cls}"] = figures["lines_short"]
    return row


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator:
    """A Client on `scheduler` (address of a real cluster) or on a new LocalCluster."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    import os

    n = workers or max(1, min(os.cpu_count() or 1, 4))
    with (
        LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        yield client


def sweep(
    model_path: str | Path,
    scenarios: list[str],
    target: Path,
    scheduler: str | None = None,
    workers: int | None = None,
) -> pd.DataFrame:
    """Solve `scenarios` in parallel; write `target/` (atomically) with one run folder each."""
    with atomic_run_dir(target) as tmp, dask_client(scheduler, workers) as client:
        futures = client.map(
            solve_scenario, [str(model_path)] * len(scenarios), scenarios, [str(tmp)] * len(scenarios),
            pure=False,
        )
        rows = client.gather(futures)
        table = pd.DataFrame(rows).sort_values("scenario").reset_index(drop=True)
        table.to_csv(tmp / "sweep.csv", index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
    return table
