"""The Dask analyses: `sweep`, `resilience`, `frontier`, `policies`.

Each checks its own arguments (file and line) before any worker starts, writes one analysis
folder and exits 0, 1 (a written run folder failed the check) or 5 (a member failed).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape

from rsoi.cli.console import err, out, print_frame
from rsoi.cli.exits import EXIT_INTERNAL, EXIT_OK, EXIT_PARTIAL
from rsoi.cli.folders import analysis_folder
from rsoi.errors import Problem, did_you_mean


def _settings(args: argparse.Namespace):
    from rsoi.analysis.common import Settings

    if args.workers is not None and args.workers < 1:
        raise Problem.about("--workers", "--workers", "must be 1 or more", "e.g. 2")
    if args.scheduler_timeout is not None and not 0 < args.scheduler_timeout < float("inf"):
        raise Problem.about(
            "--scheduler-timeout",
            "--scheduler-timeout",
            "must be a positive number of seconds",
            "e.g. 10",
        )
    return Settings(
        cold=args.cold,
        check=args.check,
        scheduler=args.scheduler,
        workers=args.workers,
        scheduler_timeout=args.scheduler_timeout,
        solver=getattr(args, "solver", None),
    )


def _exit_code(results, kind: str) -> int:
    """0 all members solved and checked; 1 a written folder failed the check; 5 a member failed."""
    from rsoi.analysis.common import check_failures, failures

    bad_check = check_failures(results)
    for r in bad_check:
        err.print(
            f"[bold red]CHECK FAILED[/] for {escape(r.name)}: {escape(r.checked)}", markup=True
        )
    failed = failures(results)
    for r in failed:
        err.print(f"[bold yellow]{kind} {escape(r.name)}: {escape(r.status)}[/] {escape(r.error)}")
    if bad_check:
        return EXIT_INTERNAL
    if failed:
        err.print(
            f"{len(failed)} of {len(results)} {kind}s failed (exit {EXIT_PARTIAL}); "
            "the others are in the folder"
        )
        return EXIT_PARTIAL
    return EXIT_OK


def _checked(value) -> str:
    return "" if value == "not checked" else str(value)


def _scenario_names(args: argparse.Namespace, doc) -> list[str | None]:
    declared = list(doc.data.get("scenarios") or {})
    if args.scenarios == "all":
        return declared or [None]  # a model without scenarios: its base model is the member
    names: list[str | None] = []
    for raw in args.scenarios.split(","):
        name = raw.strip()
        if not name:
            continue
        if name in names:
            err.print(f"[yellow]warning:[/] scenario {escape(name)} listed twice; solved once")
            continue
        names.append(name)
    if not names:
        raise Problem.about("--scenarios", "--scenarios", "no scenario named", "give names")
    return names


def cmd_sweep(args: argparse.Namespace) -> int:
    from rsoi.analysis.sweep import BASE_NAME, sweep
    from rsoi.model.loader import load_model, read_yaml

    settings = _settings(args)
    doc = read_yaml(Path(args.model))
    names = _scenario_names(args, doc)
    if args.baseline is not None and args.baseline not in names:
        names.append(args.baseline)
    for name in names:  # fail fast, with file and line, before any worker starts
        if name is not None:
            load_model(args.model, name, use_default=False, document=doc)
    target = analysis_folder(args, args.model, "sweep")
    with err.status(f"solving {len(names)} scenarios on Dask…"):
        table = sweep(args.model, names, target, settings=settings, baseline=args.baseline)
    columns = ["scenario", "status", "objective", "check"]
    if args.baseline is not None:
        columns.insert(3, "change:objective")
    print_frame(table, columns, "scenario sweep")
    out.print(f"sweep folder: [bold]{escape(str(target))}[/]")
    from rsoi.analysis.warm import VariantResult

    results = [
        VariantResult(
            row.scenario if row.scenario != BASE_NAME else BASE_NAME,
            row.status,
            error=str(row.error),
            checked=_checked(row.check),
        )
        for row in table.itertuples(index=False)
    ]
    return _exit_code(results, "scenario")


def cmd_resilience(args: argparse.Namespace) -> int:
    from rsoi.analysis.common import check_from_period
    from rsoi.analysis.resilience import friendly_nodes, resilience
    from rsoi.model.loader import load_model

    settings = _settings(args)
    model = load_model(args.model, args.scenario)
    check_from_period(model.spec, args.from_period)
    nodes = [n.strip() for n in args.nodes.split(",") if n.strip()] if args.nodes else None
    known = {p.id for p in model.spec.places}
    unknown = [n for n in nodes or [] if n not in known]
    if unknown:
        raise Problem.about(
            "--nodes", "--nodes", f"unknown place '{unknown[0]}'", did_you_mean(unknown[0], known)
        )
    if not nodes:
        from rsoi.lp.prepare import prepare

        nodes = friendly_nodes(prepare(model).spec)  # country and capacities from geodata
    nodes = list(dict.fromkeys(nodes))
    target = analysis_folder(args, args.model, "resilience")
    with err.status(f"solving {len(nodes) + 1} node-loss variants on Dask…"):
        table, base = resilience(
            args.model,
            model.scenario,
            target,
            nodes=nodes,
            from_period=args.from_period,
            settings=settings,
        )
    out.print(
        f"baseline ({escape(str(model.scenario or 'base'))}): {base.status}, objective "
        f"{base.objective:,.2f}, check {escape(base.checked or 'not run')}"
    )
    print_frame(
        table.head(10), ["node", "status", "objective_increase", "check"], "loss of one node"
    )
    out.print(f"resilience folder: [bold]{escape(str(target))}[/]")
    from rsoi.analysis.warm import VariantResult

    members = [base] + [
        VariantResult(row.node, row.status, error=str(row.error), checked=_checked(row.check))
        for row in table.itertuples(index=False)
    ]
    return _exit_code(members, "variant")


def cmd_frontier(args: argparse.Namespace) -> int:
    from rsoi.analysis.frontier import frontier
    from rsoi.model.loader import load_model

    settings = _settings(args)
    model = load_model(args.model, args.scenario)
    if not 2 <= args.points <= 1000:
        raise Problem.about(
            "--points",
            "--points",
            f"{args.points} points: give 2 (both extremes) to 1000",
            "e.g. 11",
        )
    target = analysis_folder(args, args.model, "frontier")
    with err.status(f"tracing a {args.points}-point frontier…"):
        result = frontier(args.model, model.scenario, target, args.points, settings)
    table = result.table
    out.print(
        f"[bold]frontier[/] {escape(result.korea_label)} vs {escape(result.taiwan_label)} · "
        f"scenario {escape(str(model.scenario or 'base'))} · {len(table)} rows"
    )
    print_frame(
        table,
        ["point", "korea_shortfall", "taiwan_shortfall", "objective", "current_weights"],
        "Korea-defense / Taiwan-support frontier",
    )
    if result.no_trade_off:
        out.print(f"[bold yellow]degenerate frontier:[/] {escape(result.no_trade_off)}")
    out.print(f"frontier folder: [bold]{escape(str(target))}[/]")
    return _exit_code(result.results, "point")


def cmd_policies(args: argparse.Namespace) -> int:
    from rsoi.analysis.policies import policies
    from rsoi.model.loader import load_model

    settings = _settings(args)
    model = load_model(args.model, args.scenario)
    target = analysis_folder(args, args.model, "policies")
    with err.status("re-solving once per policy setting…"):
        result = policies(args.model, model.scenario, target, settings)
    out.print(
        f"[bold]policies[/] · scenario {escape(str(model.scenario or 'base'))} · baseline "
        f"objective {result.baseline.objective:,.2f} ({escape(result.baseline.status)})"
    )
    print_frame(
        result.table,
        ["rank", "policy", "setting", "shipped", "status", "objective_change"],
        "price of each policy setting (costliest first)",
    )
    for line in result.poll_lines:
        out.print(escape(line))
    out.print(f"policies folder: [bold]{escape(str(target))}[/]")
    return _exit_code([result.baseline, *result.results], "setting")
