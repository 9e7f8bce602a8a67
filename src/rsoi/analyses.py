"""Analyses that need many solves, run as Dask tasks (a local cluster unless a scheduler is named).

- `sweep`: one task per scenario; each scenario is written as its own run folder inside one
  new sweep folder, and `sweep.csv` compares them.
- `resilience`: one task per friendly logistics node; each solves the scenario with that node's
  capacity lost from a given period (the single-node-loss sensitivity of the alliance's own
  network, in the spirit of the attacker-defender models in GLOSSARY.md) and `resilience.csv`
  ranks nodes by the objective increase.

Tasks are independent and deterministic, so the tables do not depend on which worker ran what.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from rsoi.results import atomic_run_dir, write_analysis_marker, write_csv


def _row(summary: dict) -> dict:
    row = {
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


def solve_scenario(model_path: str, scenario: str, out_dir: str) -> dict:
    """Solve one scenario and write its run folder; return one row of the sweep table."""
    from rsoi.pipeline import run_model, write_run

    run = run_model(model_path, scenario)
    write_run(run, Path(out_dir) / scenario)
    return {"scenario": scenario, **_row(run.summary())}


def solve_node_loss(
    model_path: str, scenario: str | None, node: str | None, from_period: int
) -> dict:
    """Solve `scenario` with `node`'s capacity lost from `from_period` (None: the baseline)."""
    from rsoi.build import build
    from rsoi.loader import load_model
    from rsoi.pipeline import Run
    from rsoi.prepare import prepare
    from rsoi.results import make_tables
    from rsoi.schema import Attack
    from rsoi.solve import solve

    model = load_model(model_path, scenario)
    if node is not None:
        model.spec.events.attacks.append(
            Attack(
                target=node,
                from_period=from_period,
                capacity_factor=0.0,
                source="resilience analysis",
            )
        )
    prep = prepare(model)
    lp, ctx = build(prep)
    settings = model.spec.settings
    sol = solve(
        lp,
        objective=settings.objective,
        class_order=[c.id for c in settings.priority_classes],
        algorithm=settings.solver,
        lexicographic_tolerance=settings.lexicographic_tolerance,
    )
    run = Run(model, prep, lp, ctx, sol, make_tables(lp, ctx, sol))
    return {"node": node or "(none)", **_row(run.summary())}


def friendly_nodes(model_path: str, scenario: str | None) -> list[str]:
    """Places in South Korea with cargo or aircraft capacity: the nodes a resilience run removes."""
    from rsoi.loader import load_model
    from rsoi.prepare import prepare

    prep = prepare(load_model(model_path, scenario))
    return sorted(
        p.id
        for p in prep.spec.places
        if p.country == "KR" and (p.cargo_t_per_day is not None or p.mog is not None)
    )


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator:
    """A Client on `scheduler` (address of a real cluster) or on a new LocalCluster."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    import os

    from rsoi.interrupt import workers_ignore_ctrl_c

    n = workers or max(1, min(os.cpu_count() or 1, 4))
    with workers_ignore_ctrl_c():  # Ctrl-C stops the command, which stops its workers
        cluster = LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
        )
    with cluster, Client(cluster) as client:
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
            solve_scenario,
            [str(model_path)] * len(scenarios),
            scenarios,
            [str(tmp)] * len(scenarios),
            pure=False,
        )
        rows = client.gather(futures)
        table = pd.DataFrame(rows).sort_values("scenario").reset_index(drop=True)
        write_csv(tmp / "sweep.csv", table)
        write_analysis_marker(tmp, "sweep")
    return table


def resilience(
    model_path: str | Path,
    scenario: str | None,
    target: Path,
    nodes: list[str] | None = None,
    from_period: int = 1,
    scheduler: str | None = None,
    workers: int | None = None,
) -> pd.DataFrame:
    """Rank friendly nodes by how much losing each one raises the objective; write `target/`."""
    nodes = nodes if nodes is not None else friendly_nodes(str(model_path), scenario)
    with atomic_run_dir(target) as tmp, dask_client(scheduler, workers) as client:
        variants = [None, *nodes]
        futures = client.map(
            solve_node_loss,
            [str(model_path)] * len(variants),
            [scenario] * len(variants),
            variants,
            [from_period] * len(variants),
            pure=False,
        )
        rows = client.gather(futures)
        base = rows[0]["objective"]
        table = pd.DataFrame(rows[1:])
        table.insert(2, "objective_increase", table["objective"] - base)
        table = table.sort_values(
            ["objective_increase", "node"], ascending=[False, True]
        ).reset_index(drop=True)
        write_csv(tmp / "resilience.csv", table)
        write_analysis_marker(tmp, "resilience")
    return table
