"""`rsoi solve`: one run folder (rsoi.pipeline.solve_to_folder), then its summary."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape

from rsoi.cli.console import err, notice, out, print_summary, warn
from rsoi.cli.exits import EXIT_INPUT, EXIT_INTERNAL, EXIT_OK
from rsoi.cli.folders import run_exists


def cmd_solve(args: argparse.Namespace) -> int:
    from rsoi.pipeline import solve_to_folder
    from rsoi.results.tables import RunExists, check_replaceable, preflight_out

    target = Path(args.out) if args.out else None
    if target is not None and (target.exists() or target.is_symlink()):
        if not args.force:
            raise run_exists(target)
        check_replaceable(target, protect=[Path(args.model)])  # before the solve, not after
    if target is not None:
        preflight_out(target)  # a link, a name too long, a read-only parent: exit 2 now
    warnings: list[str] = []  # printed as soon as known, before the solve

    def say_warning(message: str) -> None:
        warnings.append(message)
        warn(message)

    try:
        with err.status("solving…") as status:
            solved = solve_to_folder(
                args.model,
                args.scenario,
                target,
                time_limit=args.time_limit,
                solver=args.solver,
                max_memory=args.max_memory,
                force=args.force,
                save_lp=args.save_lp,
                geojson=args.geojson,
                check=not args.no_check,
                progress=lambda msg: status.update(msg),
                on_warning=say_warning,
                notify=notice,
            )
    except RunExists as exc:  # appeared during the solve
        raise run_exists(Path(str(exc))) from None
    run, target = solved.run, solved.folder
    if run.solution.status != "optimal":
        err.print(
            f"[bold yellow]status {run.solution.status}:[/] the solver stopped at the time limit; "
            "the plan is feasible but may not be optimal"
        )
    if args.quiet:
        for w in run.summary()["warnings"]:
            if w not in warnings:  # numerics warnings were printed before the solve
                warn(w)
        out.print(str(target), markup=False)
    else:
        print_summary(run, target, printed=warnings)
    if solved.outputs_failure is not None:
        return _report_failed_outputs(target, solved.outputs_failure)
    return EXIT_OK


def _report_failed_outputs(target: Path, cause: BaseException) -> int:
    """The run folder is in place with its checked tables; its maps/report failed."""
    from rsoi.pipeline import failure_text

    err.print(
        f"[bold red]outputs failed:[/] the run solved and {escape(str(target))} holds its "
        f"checked tables and summary.json, but not its maps and report: "
        f"{escape(failure_text(cause))}"
    )
    if isinstance(cause, OSError):
        err.print(f"fix: then draw them with `rsoi map {escape(str(target))}`")
        return EXIT_INPUT
    err.print(
        "this is a bug in rsoi: please report it (rerun with RSOI_DEBUG=1 for a traceback); "
        f"the tables are valid, `rsoi map {escape(str(target))}` retries the maps"
    )
    return EXIT_INTERNAL
