"""Shared by the analyses: running variants (warm or cold) on Dask, recording failed members,
writing and independently checking the run folders an analysis keeps, and its summary.json.

Check levels (``--check``):

- ``all``: every variant's run folder is written and verified by `rsoi.results.check`;
- ``sample`` (default): the baseline and every variant reported as a top result (the rows the
  terminal shows) are written and verified;
- ``none``: no run folders, only the analysis tables (nothing to verify; the fastest).

(`sweep` always writes every scenario's run folder: that is what it produces; ``none`` only
skips their verification.)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rsoi.analysis.cluster import task_runner
from rsoi.analysis.warm import VariantResult, solve_variant
from rsoi.errors import Problem
from rsoi.model.variant import Variant
from rsoi.results.tables import write_json

CHECK_LEVELS = ("all", "sample", "none")
TOP_N = 5
"""Rows an analysis reports as top results (terminal and report); `sample` checks these."""

FORMAT = "rsoi-analysis/1"
"""Format marker in an analysis folder's summary.json."""


def folder_name(name: str) -> str:
    """A variant name as a folder name: letters, digits, '.', '_' and '-' only."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "variant"


@dataclass
class Settings:
    """How an analysis runs its members."""

    cold: bool = False
    check: str = "sample"
    scheduler: str | None = None
    workers: int | None = None
    scheduler_timeout: float | None = None
    solver: str | None = None
    """HiGHS method for every member (None: the model's ``settings.solver``)."""
    timings: dict[str, float] = field(default_factory=dict)


def run_variants(
    model_path: str | Path,
    scenario: str | None,
    variants: list[Variant],
    folder: Path,
    settings: Settings,
    top: Callable[[list[VariantResult]], list[str]],
) -> list[VariantResult]:
    """Solve every variant, then write (and check) the baseline's and the top results' folders.

    The first variant must be the baseline. Members that fail are returned with their status
    and error; they never stop the others.
    """
    import time

    path = str(Path(model_path).resolve())
    n = len(variants)
    t0 = time.perf_counter()
    # threads locally on the warm path (shared imports, one live model per thread); processes
    # for the cold path, as the analyses ran before the warm engine
    with task_runner(
        settings.scheduler, settings.workers, settings.cold, settings.scheduler_timeout
    ) as run:
        results: list[VariantResult] = run(
            solve_variant,
            [path] * n,
            [scenario] * n,
            variants,
            [settings.cold] * n,
            [None] * n,
            [False] * n,
            [settings.solver] * n,
        )
        settings.timings["solve_all"] = time.perf_counter() - t0
        if settings.check == "none":
            return results
        keep = set(v.name for v in variants) if settings.check == "all" else set(top(results))
        keep.add(variants[0].name)
        chosen = [i for i, r in enumerate(results) if r.name in keep and r.ok]
        t1 = time.perf_counter()
        written: list[VariantResult] = run(
            solve_variant,
            [path] * len(chosen),
            [scenario] * len(chosen),
            [variants[i] for i in chosen],
            [settings.cold] * len(chosen),
            [str(folder / folder_name(variants[i].name)) for i in chosen],
            [settings.check != "none"] * len(chosen),
            [settings.solver] * len(chosen),
        )
        settings.timings["write_and_check"] = time.perf_counter() - t1
    for i, again in zip(chosen, written, strict=True):
        results[i].run_dir = folder_name(variants[i].name)
        results[i].checked = again.checked if again.ok else f"FAILED: {again.error}"
    return results


def base_row(result: VariantResult) -> dict:
    """Columns every analysis table shares, in a fixed order."""
    row = {
        "status": result.status,
        "error": result.error,
        "objective": result.objective,
    }
    row.update({f"objective:{k}": v for k, v in result.objective_parts.items()})
    row.update({f"shortfall:{k}": v for k, v in result.shortfall_by_class.items()})
    row.update({f"lines_short:{k}": v for k, v in result.lines_short_by_class.items()})
    row.update({f"combat_power:{k}": v for k, v in result.power_by_theater.items()})
    return row


def check_columns(result: VariantResult) -> dict:
    return {"run_dir": result.run_dir, "check": result.checked or "not checked"}


def failures(results: list[VariantResult]) -> list[VariantResult]:
    return [r for r in results if not r.ok]


def check_failures(results: list[VariantResult]) -> list[VariantResult]:
    return [r for r in results if r.checked.startswith("FAILED")]


def write_summary(
    folder: Path,
    analysis: str,
    model_path: str | Path,
    scenario: str | None,
    results: list[VariantResult],
    settings: Settings,
    extra: dict | None = None,
) -> None:
    """summary.json of an analysis folder (`format` marks it as written by rsoi)."""
    summary = {
        "format": FORMAT,
        "analysis": analysis,
        "model_file": str(model_path),
        "scenario": scenario,
        "members": len(results),
        "failed": sorted(r.name for r in failures(results)),
        "check": settings.check,
        "checked": sorted(r.name for r in results if r.checked == "passed"),
        "check_failed": sorted(r.name for r in check_failures(results)),
        "path": "cold" if settings.cold else "warm",
        "solver_method": settings.solver or "settings.solver of the model",
        **(extra or {}),
        "timings_seconds": {k: round(v, 3) for k, v in settings.timings.items()},
    }
    write_json(folder / "summary.json", summary)


def check_from_period(spec, from_period: int) -> None:
    """Refuse a loss period outside the horizon (an attack there would change nothing)."""
    periods = spec.horizon.periods
    if not 1 <= from_period <= periods:
        raise Problem.about(
            "--from-period",
            "--from-period",
            f"period {from_period} is outside the horizon (1..{periods})",
            f"give a period from 1 to {periods}",
        )


def largest_increases(results: list[VariantResult]) -> list[str]:
    """Names of the TOP_N solved variants that raise the objective most over the baseline
    (results[0]); ties by name. The members `--check sample` writes and verifies."""
    base = results[0].objective
    ok = sorted((r for r in results[1:] if r.ok), key=lambda r: (-(r.objective - base), r.name))
    return [r.name for r in ok[:TOP_N]]
