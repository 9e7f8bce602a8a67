"""One run, end to end: YAML -> validated model -> LP -> solution -> tables -> run folder."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rsoi.errors import InputError, Problem, environment_error
from rsoi.lp.budget import available_memory, check_fits
from rsoi.lp.prepare import Prepared, prepare
from rsoi.model.loader import LoadedModel, load_model, read_yaml
from rsoi.model.rules import china_steps
from rsoi.model.schema import effective_rok_level
from rsoi.model.variant import with_solver

if TYPE_CHECKING:  # numpy, scipy, pandas and HiGHS: imported by the solve, not by `validate`
    from rsoi.lp.build import Context
    from rsoi.lp.program import LinearProgram
    from rsoi.lp.solve import Solution
    from rsoi.results.tables import Tables

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
        from rsoi.results.tables import RUN_FORMAT

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
            "china_steps": china_steps(spec.events),
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
    from rsoi.lp.build import build
    from rsoi.lp.solve import solve_with_settings
    from rsoi.model.numerics import scan
    from rsoi.results.tables import make_tables

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
    `run.summary()`, not from disk), then summary.json with the timings of all of it and the
    list of the folder's files. `force` replaces only an earlier rsoi output folder, never one
    holding the model file.
    """
    from rsoi.results.tables import (
        MANIFEST_KEY,
        atomic_run_dir,
        folder_manifest,
        write_json,
        write_tables,
    )

    t = time.perf_counter()
    with atomic_run_dir(target, force=force, protect=[run.model.path], notify=notify) as tmp:
        write_tables(tmp, run.tables)
        if extra is not None:
            extra(run, tmp)
        run.timings["write"] = time.perf_counter() - t
        summary = run.summary()
        summary[MANIFEST_KEY] = folder_manifest(tmp, SUMMARY_FILE)
        write_json(tmp / SUMMARY_FILE, summary)
    return target


SUMMARY_FILE = "summary.json"
TEST_PAUSE_ENV = "RSOI_TEST_PAUSE_IN_WRITE"
"""Test-only: seconds to sleep inside the temporary run folder (proves interrupt cleanup)."""


@dataclass
class Validated:
    """A model whose base and every scenario load and prepare."""

    scenarios: int
    warnings: list[str]  # each once, prefixed `scenario <name>: ` where only a scenario has it


def validate_all(path: str | Path, max_memory: int | None = None) -> Validated:
    """Load, size-check and prepare the base model and each of its scenarios (no build).

    Raises one InputError with the problems of all of them, each named once.
    """
    from rsoi.model.numerics import scan

    doc = read_yaml(Path(path))
    scenarios = doc.data.get("scenarios")
    names = [None, *sorted(scenarios)] if isinstance(scenarios, dict) else [None]
    problems: list[Problem] = []
    warnings: list[str] = []
    said: set[str] = set()
    seen_problems: set[Problem] = set()
    limit = max_memory or available_memory()  # one figure for every scenario
    base = None  # the base model, validated once: each scenario reuses its scenario sections
    for name in names:
        try:
            model = load_model(path, name, use_default=False, document=doc, base=base)
            if name is None:
                base = model.spec
            check_fits(model.spec, str(path), limit)
            prep = prepare(model)
        except InputError as exc:
            problems.extend(p for p in exc.problems if p not in seen_problems)
            seen_problems.update(exc.problems)
            continue
        distance = {r.id: r.distance_km for r in prep.routes}
        where = f"scenario {name}: " if name else ""
        found = [f"{where}{w}" for w in (*prep.warnings, *scan(prep.spec, distance))]
        # a base-model warning holds in every scenario that inherits it: say it once
        for w in found:  # a set beside the list: N scenarios' warnings cost O(N), not O(N²)
            if w not in said and w[len(where) :] not in said:
                warnings.append(w)
                said.add(w)
    if problems:
        raise InputError(problems)
    return Validated(len(names) - 1, warnings)


@dataclass
class Solved:
    """A run written to its folder; `outputs_failure` is why its maps and report are missing
    (its checked tables and summary.json are in place all the same)."""

    run: Run
    folder: Path
    outputs_failure: BaseException | None = None


def solve_to_folder(
    path: str | Path,
    scenario: str | None = None,
    target: Path | None = None,
    *,
    time_limit: float | None = None,
    solver: str | None = None,
    max_memory: int | None = None,
    force: bool = False,
    save_lp: bool = False,
    geojson: bool = False,
    check: bool = True,
    progress: Progress | None = None,
    on_warning: Progress | None = None,
    notify: Progress | None = None,
) -> Solved:
    """Solve, then write the run folder: tables, model.mps (`save_lp`), the independent check
    (`check`), maps, GeoPackage and report, then summary.json, each file once.

    The maps are drawn in a forked worker started as soon as the model is prepared, while
    the solve and the check run. `target` None: a new folder under runs/. A failed check
    (CheckError) leaves no folder; failed maps leave the checked run (see `Solved`).
    """
    from rsoi.outputs.worker import ExportWorker
    from rsoi.results.tables import default_run_dir

    workers: list[ExportWorker] = []
    failures: list[BaseException] = []

    def start_export(prep: Prepared) -> None:  # draws while the solve and the check run
        workers.append(ExportWorker(prep))

    def outputs(run: Run, folder: Path) -> None:
        if save_lp:
            from rsoi.lp.highs_io import make_highs

            make_highs(run.lp, None, "choose").writeModel(str(folder / "model.mps"))
        summary = run.summary()
        worker = workers[0]
        worker.submit(folder, geojson, summary)
        if check:
            from rsoi.results.check import verify_run

            t = time.perf_counter()
            # the model parsed once; the checker derives the rest
            verify_run(folder, model=run.model, summary=summary)
            run.timings["check"] = time.perf_counter() - t
        outcome = worker.result()
        run.timings.update(outcome.timings)
        warning = outcome.warning
        if outcome.failure is not None:
            failures.append(outcome.failure)
            warning = f"maps not written: {failure_text(outcome.failure)}"
        if warning:  # printed with the others after the run
            run.prep.warnings.append(warning)
        pause = os.environ.get(TEST_PAUSE_ENV)
        if pause:  # test-only hook: lets a test interrupt a run while its folder is half-built
            print(f"{TEST_PAUSE_ENV}: pausing in {folder}", file=sys.stderr, flush=True)
            time.sleep(float(pause))

    try:
        run = run_model(
            path,
            scenario,
            time_limit,
            progress=progress,
            on_warning=on_warning,
            max_memory=max_memory,
            solver=solver,
            on_prepared=start_export,
        )
        if target is None:
            target = default_run_dir(Path("runs"), run.model.spec.name, run.model.scenario)
        write_run(run, target, force=force, extra=outputs, notify=notify)
    finally:
        for worker in workers:
            worker.close()
    return Solved(run, target, failures[0] if failures else None)


def failure_text(exc: BaseException) -> str:
    """Why the maps failed, in one line: the environment, an input problem or a bug."""
    from rsoi.outputs.worker import problems_text

    if isinstance(exc, OSError):
        return str(environment_error(exc).problems[0]).replace("\n", "")
    if isinstance(exc, InputError):
        return problems_text(exc)
    return f"internal error {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
