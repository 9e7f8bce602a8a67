"""One run, end to end: YAML -> validated model -> LP -> solution -> tables -> run folder."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rsoi.lp.budget import check_fits
from rsoi.lp.build import Context, build
from rsoi.lp.prepare import Prepared, prepare
from rsoi.lp.program import LinearProgram
from rsoi.lp.solve import Solution, solve_with_settings
from rsoi.model.loader import LoadedModel, load_model
from rsoi.model.schema import effective_rok_level
from rsoi.model.variant import with_solver
from rsoi.results.tables import (
    RUN_FORMAT,
    Tables,
    atomic_run_dir,
    make_tables,
    write_json,
    write_tables,
)

Progress = Callable[[str], None]

OBJECTIVE_REPORTED = (
    "weighted sum of all objective_parts at the final plan (in lexicographic mode too; "
    "each stage's own optimum is in lexicographic_stages)"
)


@dataclass
class Run:
    """Everything one run produced, in memory."""

    model: LoadedModel
    prep: Prepared
    lp: LinearProgram
    ctx: Context
    solution: Solution
    tables: Tables
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict:
        """The content of summary.json (only `timings_seconds` varies between identical runs)."""
        spec = self.model.spec
        sol = self.solution
        short = self.tables.shortfalls
        by_class = {
            cls: {
                "penalty": round(sol.objective_parts.get(f"shortfall:{cls}", 0.0), 9) + 0.0,
                "lines_short": int((short.loc[short["priority"] == cls, "shortfall"] > 1e-6).sum()),
            }
            for cls in (c.id for c in spec.settings.priority_classes)
        }
        return {
            "format": RUN_FORMAT,  # marks the folder as a run (`--force` trusts only this)
            "model": spec.name,
            "model_file": str(self.model.path),
            "scenario": self.model.scenario,
            "status": sol.status,
            "solver_model_status": sol.model_status,
            "objective": round(sol.objective, 9) + 0.0,  # + 0.0: never "-0"
            "objective_parts": {k: round(v, 9) + 0.0 for k, v in sol.objective_parts.items()},
            "objective_mode": spec.settings.objective,
            "objective_reported": OBJECTIVE_REPORTED,
            "lexicographic_stages": sol.stages,
            "solver": sol.solver,
            "solver_version": sol.solver_version,
            "solver_method": spec.settings.solver,
            "mip": sol.mip,
            "variables": self.lp.n_cols,
            "constraints": self.lp.n_rows,
            "nonzeros": self.lp.nnz,
            "input_hash": self.model.input_hash,
            "china_action": spec.events.china_action.value,
            "korea_conflict": spec.events.korea_conflict.model_dump(mode="json"),
            "rok_support_level": effective_rok_level(spec).value,
            "shortfall_by_priority": by_class,
            "warnings": self.prep.warnings + sol.solver_messages,
            "notional_data": True,
            "timings_seconds": {k: round(v, 3) for k, v in self.timings.items()},
        }


def run_model(
    path: str | Path,
    scenario: str | None = None,
    time_limit: float | None = None,
    progress: Progress | None = None,
    on_warning: Progress | None = None,
    max_memory: int | None = None,
    solver: str | None = None,
    on_prepared: Callable[[Prepared], None] | None = None,
) -> Run:
    """Load, build and solve; raises InputError / InfeasibleError / SolverError.

    Warnings about the input (extreme coefficient ranges, closed routes) go to `on_warning`
    as soon as they are known, before the solve, and into the run's summary. `solver`
    overrides the model's ``settings.solver`` (HiGHS method) for this run; `on_prepared` is
    called with the prepared model before the build (the CLI starts its export worker there).
    """
    from rsoi.model.numerics import scan

    say = progress or (lambda _msg: None)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    say("loading model")
    model = with_solver(load_model(path, scenario), solver)
    check_fits(model.spec, str(model.path), max_memory)  # before anything big is built
    prep = prepare(model)
    prep.warnings.extend(scan(prep.spec, {r.id: r.distance_km for r in prep.routes}))
    for warning in prep.warnings:
        if on_warning is not None:
            on_warning(warning)
    timings["load"] = time.perf_counter() - t
    if on_prepared is not None:
        on_prepared(prep)
    t = time.perf_counter()
    say("building LP")
    lp, ctx = build(prep)
    timings["build"] = time.perf_counter() - t
    say(f"solving with HiGHS ({lp.n_cols} variables, {lp.n_rows} constraints)")
    sol = solve_with_settings(lp, model.spec.settings, time_limit)
    timings["handover"] = sol.handover_seconds
    timings["solve"] = sol.solve_seconds
    t = time.perf_counter()
    tables = make_tables(lp, ctx, sol)
    timings["tables"] = time.perf_counter() - t
    return Run(model, prep, lp, ctx, sol, tables, timings)


def write_run(
    run: Run,
    target: Path,
    force: bool = False,
    extra: Callable[[Run, Path], None] | None = None,
    notify: Callable[[str], None] | None = None,
) -> Path:
    """Write the run folder atomically; `extra` adds more files (maps, report) inside it.

    Every file is written once: the tables, then `extra` (which gets the summary from
    `run.summary()`, not from disk), then summary.json with the timings of all of it.
    `force` replaces only an earlier rsoi output folder, never one holding the model file.
    """
    t = time.perf_counter()
    with atomic_run_dir(target, force=force, protect=[run.model.path], notify=notify) as tmp:
        write_tables(tmp, run.tables)
        if extra is not None:
            extra(run, tmp)
        run.timings["write"] = time.perf_counter() - t
        write_json(tmp / "summary.json", run.summary())
    return target
