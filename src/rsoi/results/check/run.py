"""Entry points: check a run folder against its model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rsoi.errors import CheckError, Problem
from rsoi.model.loader import LoadedModel, load_model
from rsoi.results.check.analysis import check_analysis, is_analysis_folder
from rsoi.results.check.base import CheckReport
from rsoi.results.check.checker import _Checker
from rsoi.results.check.derive import derive
from rsoi.results.check.io import load_summary, read_tables


def check_run(
    folder: str | Path,
    summary: dict | None = None,
    model_path: str | Path | None = None,
    allow_outside_paths: bool | None = None,
    model: LoadedModel | None = None,
) -> CheckReport:
    """Verify a run folder against its model; the report lists every violation found.

    `summary` defaults to the folder's summary.json (pass it while the run is being written);
    `model_path` defaults to the `model_file` recorded in the summary. `model` is an already
    loaded model (the pipeline passes the one it parsed, to spare a second YAML parse); the
    checker still derives everything else from it itself. Its input hash must match the run's.
    Malformed tables (unknown ids, text in a number column, a missing column) raise
    InputError naming the table, line and column.
    """
    folder = Path(folder)
    if summary is None and is_analysis_folder(folder):  # members checked, tables tied to them
        return check_analysis(
            folder, lambda run: check_run(run, allow_outside_paths=allow_outside_paths)
        )
    summary = load_summary(folder) if summary is None else summary
    report = CheckReport(str(folder))
    if model is not None:
        return _check_loaded(folder, summary, model, report)
    path = Path(model_path or summary.get("model_file") or "")
    if not path.is_file():
        raise Problem.about(
            str(folder / "summary.json"),
            "model_file",
            f"model file not found: '{path}' (relative paths start at {Path.cwd()})",
            "run from the folder the solve ran in, or pass --model PATH",
        )
    model = load_model(
        path, summary.get("scenario"), use_default=False, allow_outside_paths=allow_outside_paths
    )
    return _check_loaded(folder, summary, model, report)


def _check_loaded(
    folder: Path, summary: dict, model: LoadedModel, report: CheckReport
) -> CheckReport:
    if isinstance(summary.get("variant"), dict):  # an analysis variant: the same edits
        from rsoi.model.variant import Variant, apply_variant

        model = apply_variant(model, Variant.from_json(summary["variant"]))
    recorded = summary.get("input_hash")
    if not recorded:
        report.violations.append(
            "input_hash: missing from summary.json, so the run cannot be tied to its model; "
            "re-run the solve"
        )
        return report
    if recorded != model.input_hash:
        report.violations.append(
            f"input_hash: the model file {model.path} changed since the run, or is not the "
            f"run's model (scenario {summary.get('scenario')!r}; hash differs); check the run "
            "against its own model, or re-run the solve"
        )
        return report
    status = summary.get("status")
    if status not in ("optimal", "time_limit_feasible"):
        report.violations.append(f"status: '{status}' is not a solved status")
    tables, problems = read_tables(folder)
    report.violations.extend(problems)
    if problems:
        return report
    checker = _Checker(derive(model), tables, summary, folder)
    flows = checker.check_flows()
    route_load = checker.check_route_capacity(flows)
    checker.check_places(flows)
    stored = checker.check_balance(flows)
    deliveries = checker.deliveries
    checker.check_cargo(flows)
    parts = checker.check_shortfalls(deliveries)
    parts = checker.objective_parts(flows, deliveries, parts)
    report.objective = checker.check_objective(parts)
    checker.check_allocations(flows)
    checker.check_apportionment()
    checker.check_units()
    checker.check_text_columns(flows)
    checker.check_duals(route_load, stored)
    checker.check_activities(flows)
    checker.check_reduced_costs(flows)
    checker.check_summary_figures(flows)
    checker.check_geopackage(flows)
    checker.name_unvouched_files()
    report.violations.extend(checker.violations)
    report.checked = checker.checked
    report.unverified.extend(checker.unverified)
    return report


def verify_run(folder: str | Path, **kwargs: Any) -> CheckReport:
    """`check_run`, raising CheckError when anything is violated."""
    report = check_run(folder, **kwargs)
    if report.violations:
        raise CheckError(report.violations, report.folder)
    return report
