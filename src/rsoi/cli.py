"""Command line: ``python -m rsoi solve|validate|check|map|scenarios|schema``.

Exit codes: 0 solved (shortfalls are results), 1 internal error (including a plan that fails
the independent check), 2 invalid input, 3 infeasible hard constraints, 4 solver stopped
without a usable solution, 130/143 interrupted by SIGINT/SIGTERM (no run folder written).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rsoi.errors import (
    CheckError,
    InfeasibleError,
    InputError,
    Problem,
    SolverError,
    did_you_mean,
)

DEFAULT_MODEL = Path("models/korea_taiwan.yaml")
EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_SOLVER = 0, 1, 2, 3, 4
EXIT_SIGINT, EXIT_SIGTERM = 130, 143
TEST_PAUSE_ENV = "RSOI_TEST_PAUSE_IN_WRITE"
"""Test-only: seconds to sleep inside the temporary run folder (proves interrupt cleanup)."""

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class Terminated(KeyboardInterrupt):
    """SIGTERM, delivered like Ctrl-C so every `finally` (temporary folders) runs."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rsoi", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    outside = argparse.ArgumentParser(add_help=False)
    outside.add_argument(
        "--allow-outside-paths",
        action="store_true",
        help="let the model's geodata/sea_lanes paths point outside its project folder",
    )
    s = sub.add_parser("solve", help="solve a model and write a run folder", parents=[outside])
    s.add_argument("model", nargs="?", default=str(DEFAULT_MODEL))
    s.add_argument("--scenario", help="scenario name (default: the model's default_scenario)")
    s.add_argument("--out", help="run folder (default: runs/<model>-<scenario>-<UTC time>/)")
    s.add_argument("--time-limit", type=float, help="HiGHS time limit in seconds")
    s.add_argument(
        "--save-lp",
        action="store_true",
        help="also write model.mps into the run folder (for inspection; the solve never reads it)",
    )
    s.add_argument("--force", action="store_true", help="replace an existing --out folder")
    s.add_argument("--quiet", action="store_true", help="print only the run folder")
    s.add_argument("--geojson", action="store_true", help="also write GeoJSON layers")
    s.add_argument(
        "--no-check", action="store_true", help="skip the independent check of the solution"
    )
    v = sub.add_parser(
        "validate", help="check a model and all its scenarios without solving", parents=[outside]
    )
    v.add_argument("model", nargs="?", default=str(DEFAULT_MODEL))
    k = sub.add_parser(
        "check", help="independently verify a run folder against its model", parents=[outside]
    )
    k.add_argument("run_dir")
    k.add_argument("--model", help="model file (default: model_file in summary.json)")
    m = sub.add_parser(
        "map", help="write plan.gpkg, maps and report into a run folder", parents=[outside]
    )
    m.add_argument("run_dir")
    m.add_argument("--geojson", action="store_true", help="also write GeoJSON layers")
    c = sub.add_parser(
        "scenarios", help="list scenarios: name, then description", parents=[outside]
    )
    c.add_argument("model", nargs="?", default=str(DEFAULT_MODEL))
    c.add_argument("--json", action="store_true", help="machine-readable output")
    sub.add_parser("schema", help="print the JSON Schema of the model YAML")
    dask_args = argparse.ArgumentParser(add_help=False)
    dask_args.add_argument("--scheduler", help="Dask scheduler address (default: a local cluster)")
    dask_args.add_argument(
        "--workers", type=int, help="local cluster workers (default: cores, max 4)"
    )
    dask_args.add_argument(
        "--out", help="output folder (default: runs/<model>-<analysis>-<UTC time>/)"
    )
    w = sub.add_parser(
        "sweep", help="solve many scenarios in parallel on Dask", parents=[outside, dask_args]
    )
    w.add_argument("model", nargs="?", default=str(DEFAULT_MODEL))
    w.add_argument("--scenarios", default="all", help="comma-separated names, or 'all'")
    r = sub.add_parser(
        "resilience",
        help="rank friendly logistics nodes by the cost of losing each one (Dask)",
        parents=[outside, dask_args],
    )
    r.add_argument("model", nargs="?", default=str(DEFAULT_MODEL))
    r.add_argument("--scenario", help="scenario (default: the model's default_scenario)")
    r.add_argument(
        "--nodes", help="comma-separated place ids (default: Korean ports and airfields)"
    )
    r.add_argument("--from-period", type=int, default=1, help="first period without the node")
    return p


COMMANDS = {
    "solve": "cmd_solve",
    "validate": "cmd_validate",
    "check": "cmd_check",
    "map": "cmd_map",
    "scenarios": "cmd_scenarios",
    "schema": "cmd_schema",
    "sweep": "cmd_sweep",
    "resilience": "cmd_resilience",
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from rsoi.loader import outside_paths_allowed

    command = globals()[COMMANDS[args.command]]
    try:
        with (
            _sigterm_as_interrupt(),
            outside_paths_allowed(getattr(args, "allow_outside_paths", False)),
        ):
            return command(args)
    except InputError as exc:
        _print_problems(exc.problems)
        return EXIT_INPUT
    except InfeasibleError as exc:
        err.print(f"[bold red]infeasible:[/] {escape(str(exc))}")
        if exc.conflicting:
            err.print("conflicting constraints (irreducible infeasible subset):")
            for name in exc.conflicting:
                err.print(f"  - {escape(name)}")
        err.print("fix: relax one of them, or set its policy `mode: elastic`")
        return EXIT_INFEASIBLE
    except SolverError as exc:
        err.print(f"[bold red]solver:[/] {escape(str(exc))}")
        err.print("fix: raise --time-limit, or simplify the model")
        return EXIT_SOLVER
    except CheckError as exc:
        _print_check_failure(exc)
        return EXIT_INTERNAL
    except Terminated:
        err.print("terminated: no run folder written")
        return EXIT_SIGTERM
    except KeyboardInterrupt:
        err.print("interrupted: no run folder written")
        return EXIT_SIGINT
    except Exception as exc:  # the last line of defence: no traceback unless RSOI_DEBUG=1
        if os.environ.get("RSOI_DEBUG") == "1":
            traceback.print_exc()
        err.print(
            f"[bold red]internal error:[/] {escape(type(exc).__name__)}: "
            f"{escape(str(exc).splitlines()[0] if str(exc) else '')}"
        )
        err.print(
            "this is a bug in rsoi, not in your input: please report it on the project's issue "
            "tracker with the command line (rerun with RSOI_DEBUG=1 for a traceback)"
        )
        return EXIT_INTERNAL


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into `Terminated` for the duration of a command (main thread only)."""

    def on_term(signum, frame):
        raise Terminated

    try:
        previous = signal.signal(signal.SIGTERM, on_term)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _print_problems(problems: list[Problem]) -> None:
    err.print(
        f"[bold red]invalid input[/] ({len(problems)} problem{'s' if len(problems) != 1 else ''}):"
    )
    for problem in problems:
        err.print(str(problem), markup=False)


def _print_check_failure(exc: CheckError) -> None:
    err.print(
        f"[bold red]CHECK FAILED:[/] the plan violates {len(exc.violations)} item(s) of the model "
        "(independent check, rsoi.check); do not use these numbers",
    )
    for violation in exc.violations[:50]:
        err.print(f"  - {violation}", markup=False)
    if len(exc.violations) > 50:
        err.print(f"  ... and {len(exc.violations) - 50} more")
    err.print(
        "this is an internal error (exit 1): please report it with the model; "
        "`rsoi solve --no-check` writes the run folder anyway for inspection"
    )


def cmd_validate(args: argparse.Namespace) -> int:
    from rsoi.loader import load_model, read_yaml
    from rsoi.numerics import scan
    from rsoi.prepare import prepare

    doc = read_yaml(Path(args.model))
    scenarios = doc.data.get("scenarios")
    names = [None, *sorted(scenarios)] if isinstance(scenarios, dict) else [None]
    problems: list[Problem] = []
    warnings: list[str] = []
    for name in names:
        try:
            prep = prepare(load_model(args.model, name, use_default=False, document=doc))
        except InputError as exc:
            problems.extend(p for p in exc.problems if p not in problems)
            continue
        distance = {r.id: r.distance_km for r in prep.routes}
        warnings.extend(w for w in scan(prep.spec, distance) if w not in warnings)
    if problems:
        raise InputError(problems)
    for warning in warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}")
    out.print(f"{args.model}: valid (base model and {len(names) - 1} scenarios)", markup=False)
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from rsoi.check import verify_run

    report = verify_run(Path(args.run_dir), model_path=args.model)
    out.print(f"{args.run_dir}: check passed ({len(report.checked)} families)", markup=False)
    for item in report.checked:
        out.print(f"  ok  {item}", markup=False)
    return EXIT_OK


def cmd_map(args: argparse.Namespace) -> int:
    from rsoi.check import load_summary
    from rsoi.gis import export_run

    load_summary(Path(args.run_dir))  # InputError unless a run folder
    for path in export_run(Path(args.run_dir), geojson=args.geojson):
        out.print(str(path), markup=False)
    return EXIT_OK


def cmd_scenarios(args: argparse.Namespace) -> int:
    from rsoi.loader import load_model
    from rsoi.schema import scenario_grid_entry

    spec = load_model(args.model, use_default=False).spec
    if args.json:
        out.print_json(
            json.dumps(
                [
                    {
                        "name": k,
                        "description": s.description,
                        "inherits": s.inherits,
                        "default": k == spec.default_scenario,
                        **scenario_grid_entry(load_model(args.model, k).spec),
                    }
                    for k, s in spec.scenarios.items()
                ]
            )
        )
        return EXIT_OK
    width = max((len(k) for k in spec.scenarios), default=0)
    for name, scenario in spec.scenarios.items():
        out.print(f"{name:<{width}}  {scenario.description}", markup=False)
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from rsoi.schema import ModelSpec

    sys.stdout.write(json.dumps(ModelSpec.model_json_schema(), indent=2) + "\n")
    return EXIT_OK


def _run_exists(target: Path) -> InputError:
    return InputError(
        [
            Problem(
                str(target),
                None,
                None,
                "--out",
                "run folder already exists",
                "choose another --out, or pass --force to replace it",
            )
        ]
    )


def _export_maps(folder: Path, geojson: bool, prep=None) -> str | None:
    """Maps, GeoPackage and report via rsoi.gis (inside the temporary run folder).

    Returns a warning instead of failing the run when the maps cannot be drawn from the
    model's data (e.g. no base map beside its geodata): the checked tables are still valid.
    """
    from rsoi.gis import export_run

    try:
        export_run(folder, geojson=geojson, prep=prep)
    except InputError as exc:
        reason = "; ".join(f"{p.field}: {p.message}" for p in exc.problems)
        return f"maps not written: {reason}"
    return None


def _analysis_target(args: argparse.Namespace, model: str, analysis: str) -> Path:
    from rsoi.loader import load_model
    from rsoi.results import default_run_dir

    if args.out:
        target = Path(args.out)
        if target.exists():
            raise _run_exists(target)
        return target
    name = load_model(model, use_default=False).spec.name
    return default_run_dir(Path("runs"), name, analysis)


def _print_frame(frame, columns: list[str], title: str) -> None:
    t = Table(title=title, show_edge=False)
    for col in columns:
        t.add_column(col, justify="right" if frame[col].dtype.kind in "fi" else "left")
    for row in frame[columns].itertuples(index=False):
        t.add_row(*(f"{v:,.2f}" if isinstance(v, float) else escape(str(v)) for v in row))
    out.print(t)


def cmd_sweep(args: argparse.Namespace) -> int:
    from rsoi.analyses import sweep
    from rsoi.loader import load_model, read_yaml

    doc = read_yaml(Path(args.model))
    if args.scenarios == "all":
        names = list(doc.data.get("scenarios") or {})
    else:
        names = [n.strip() for n in args.scenarios.split(",")]
    for name in names:  # fail fast, with file and line, before any worker starts
        load_model(args.model, name, use_default=False, document=doc)
    target = _analysis_target(args, args.model, "sweep")
    with err.status(f"solving {len(names)} scenarios on Dask…"):
        table = sweep(args.model, names, target, scheduler=args.scheduler, workers=args.workers)
    _print_frame(table, ["scenario", "status", "objective"], "scenario sweep")
    out.print(f"sweep folder: [bold]{escape(str(target))}[/]")
    return EXIT_OK


def cmd_resilience(args: argparse.Namespace) -> int:
    from rsoi.analyses import resilience
    from rsoi.loader import load_model

    model = load_model(args.model, args.scenario)
    nodes = [n.strip() for n in args.nodes.split(",")] if args.nodes else None
    known = {p.id for p in model.spec.places}
    unknown = [n for n in nodes or [] if n not in known]
    if unknown:
        raise InputError(
            [
                Problem(
                    "--nodes",
                    None,
                    None,
                    "--nodes",
                    f"unknown place '{unknown[0]}'",
                    did_you_mean(unknown[0], known),
                )
            ]
        )
    target = _analysis_target(args, args.model, "resilience")
    with err.status("solving node-loss variants on Dask…"):
        table = resilience(
            args.model,
            model.scenario,
            target,
            nodes=nodes,
            from_period=args.from_period,
            scheduler=args.scheduler,
            workers=args.workers,
        )
    _print_frame(table, ["node", "objective_increase", "objective"], "loss of one node")
    out.print(f"resilience folder: [bold]{escape(str(target))}[/]")
    return EXIT_OK


def cmd_solve(args: argparse.Namespace) -> int:
    from rsoi.pipeline import run_model, write_run
    from rsoi.results import RunExists, default_run_dir

    target = Path(args.out) if args.out else None
    if target is not None and target.exists() and not args.force:
        raise _run_exists(target)
    warnings: list[str] = []  # printed as soon as known, before the solve

    def warn(message: str) -> None:
        warnings.append(message)
        err.print(f"[yellow]warning:[/] {escape(message)}")

    with err.status("solving…") as status:
        run = run_model(
            args.model,
            args.scenario,
            args.time_limit,
            progress=lambda msg: status.update(msg),
            on_warning=warn,
        )
    if target is None:
        target = default_run_dir(Path("runs"), run.model.spec.name, run.model.scenario)

    def extra(run, folder: Path) -> None:
        if args.save_lp:
            from rsoi.solve import make_highs

            make_highs(run.lp, None, "choose").writeModel(str(folder / "model.mps"))
        if not args.no_check:
            from rsoi.check import verify_run

            t = time.perf_counter()
            verify_run(folder, model_path=run.model.path)
            run.timings["check"] = time.perf_counter() - t
        warning = _export_maps(folder, args.geojson, run.prep)
        if warning:  # printed with the others after the run
            run.prep.warnings.append(warning)
        pause = os.environ.get(TEST_PAUSE_ENV)
        if pause:  # test-only hook: lets a test interrupt a run while its folder is half-built
            err.print(f"{TEST_PAUSE_ENV}: pausing in {folder}", markup=False)
            time.sleep(float(pause))

    try:
        write_run(run, target, force=args.force, extra=extra)
    except RunExists:
        raise _run_exists(target) from None
    if run.solution.status != "optimal":
        err.print(
            f"[bold yellow]status {run.solution.status}:[/] the solver stopped at the time limit; "
            "the plan is feasible but may not be optimal"
        )
    if args.quiet:
        for w in run.summary()["warnings"]:
            if w not in warnings:  # numerics warnings were printed before the solve
                err.print(f"[yellow]warning:[/] {escape(w)}")
        out.print(str(target), markup=False)
    else:
        print_summary(run, target)
    return EXIT_OK


def print_summary(run, target: Path) -> None:
    """Status, objective parts, shortfalls by task and theater, hardest-binding constraints."""
    s = run.summary()
    out.print(
        f"[bold]rsoi[/] {s['model']} · scenario [bold]{s['scenario'] or 'base'}[/] · "
        f"{s['status']} ({s['solver']} {s['solver_version']}) · notional data"
    )
    out.print(
        f"variables {s['variables']:,} · constraints {s['constraints']:,} · "
        f"objective {s['objective']:,.2f}"
    )
    t = Table(title="objective parts", show_edge=False)
    t.add_column("part")
    t.add_column("value", justify="right")
    for part, value in s["objective_parts"].items():
        t.add_row(part, f"{value:,.2f}")
    out.print(t)
    short = run.tables.shortfalls
    if len(short):
        agg = (
            short.groupby(["family", "item", "theater", "unit"], as_index=False)[
                ["required", "shortfall"]
            ]
            .sum()
            .sort_values(["family", "item", "theater"])
        )
        t = Table(title="shortfalls by task and theater", show_edge=False)
        for col in ("family", "item", "theater", "required", "shortfall", "unit"):
            t.add_column(col, justify="right" if col in ("required", "shortfall") else "left")
        for row in agg.itertuples(index=False):
            style = "red" if row.shortfall > 1e-6 else None
            t.add_row(
                row.family,
                row.item,
                row.theater,
                f"{row.required:,.1f}",
                f"{row.shortfall:,.1f}",
                row.unit,
                style=style,
            )
        out.print(t)
    duals = run.tables.duals
    binding = duals[duals["binding"]].copy()
    binding["abs"] = binding["shadow_price"].abs()
    # the hardest-binding row of each family: policies first, then capacities and the rest
    hardest = (
        binding.sort_values(["abs", "constraint"], ascending=[False, True])
        .groupby("family", sort=False)
        .head(1)
    )
    is_policy = hardest["family"].str.startswith("policy_")
    t = Table(title="binding constraints (hardest row per family)", show_edge=False)
    t.add_column("constraint", no_wrap=True, overflow="ellipsis")
    t.add_column("shadow price", justify="right", no_wrap=True, min_width=13)
    t.add_column("source", no_wrap=True, overflow="ellipsis", max_width=34)
    for frame in (hardest[is_policy], hardest[~is_policy].head(8)):
        for row in frame.itertuples(index=False):
            t.add_row(escape(row.constraint), f"{row.shadow_price:,.3f}", escape(str(row.source)))
    out.print(t)
    for w in s["warnings"]:
        out.print(f"[yellow]warning:[/] {escape(w)}")
    out.print(f"run folder: [bold]{target}[/]")


if __name__ == "__main__":
    raise SystemExit(main())
