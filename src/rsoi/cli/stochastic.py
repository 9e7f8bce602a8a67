"""`hedge` (two-stage plan over a scenario set) and `interdict` (worst k nodes lost)."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape

from rsoi.cli.console import PlainTable, err, out
from rsoi.cli.exits import EXIT_OK
from rsoi.cli.folders import analysis_folder, run_exists


def cmd_hedge(args: argparse.Namespace) -> int:
    from rsoi.analysis.hedge import differences_in_words, hedge, measures, write_hedge

    if args.out and Path(args.out).exists():
        raise run_exists(Path(args.out))
    with err.status("solving the scenario set…"):
        options = {"rel_gap": args.rel_gap, "time_limit": args.time_limit}
        result = hedge(args.model, args.scenario_set, args.method, options)
    if result.ph_info.get("rank", 0) != 0:  # under MPI only rank 0 writes and prints
        return EXIT_OK
    target = analysis_folder(args, args.model, f"hedge-{result.set_name}")
    write_hedge(result, target)
    out.print(
        f"[bold]rsoi hedge[/] {escape(result.set_name)} · {len(result.members)} scenarios · "
        f"first stage periods 1-{result.K} · method {result.method} · notional data"
    )
    t = PlainTable(show_edge=False)
    t.add_column("measure")
    t.add_column("value", justify="right")
    for measure, value in measures(result):
        t.add_row(measure, value)
    out.print(t)
    for sentence in differences_in_words(result):
        out.print(f"- {escape(sentence)}")
    out.print(f"hedge folder: [bold]{escape(str(target))}[/]")
    return EXIT_OK


def cmd_interdict(args: argparse.Namespace) -> int:
    from rsoi.analysis.interdict import interdict, write_interdict

    if args.out and Path(args.out).exists():
        raise run_exists(Path(args.out))
    with err.status("solving the attacker-defender problem…"):
        result = interdict(
            args.model,
            args.scenario,
            k=args.k,
            candidates=args.candidates,
            from_period=args.from_period,
            method=args.method,
            harden=args.harden,
        )
    target = analysis_folder(args, args.model, "interdict")
    write_interdict(result, target)
    out.print(
        f"[bold]rsoi interdict[/] {escape(result.scenario or 'base model')} · {len(result.candidates)} "
        f"candidate nodes · lost from period {args.from_period} · method {result.method} · "
        f"undamaged objective {result.base_objective:,.2f}"
    )
    if result.note:
        out.print(f"method {result.method}: {escape(result.note)}")
    for row in result.table.itertuples(index=False):
        same = (
            "same set"
            if row.greedy_set == row.worst_set
            else ("greedy is as bad" if row.greedy_is_worst else "greedy misses the worst set")
        )
        proved = row.upper_bound <= row.objective * (1 + 1e-9) + 1e-9
        out.print(
            f"k={row.k}  worst: {escape(row.worst_set.replace(';', ' + '))}  "
            f"+{row.objective_increase:,.2f} (found by {row.found_by}; "
            f"{'proved worst' if proved else f'bound {row.upper_bound:,.2f}'})   greedy: "
            f"{escape(row.greedy_set.replace(';', ' + '))}  +{row.greedy_increase:,.2f}  ({same})"
        )
    if result.hardening is not None:
        h = result.hardening.iloc[0]
        out.print(
            f"harden {h['m']}: {escape(str(h['hardened']).replace(';', ' + '))} -> worst "
            f"{args.k} then {escape(str(h['worst_set_after']).replace(';', ' + '))} "
            f"+{h['objective_increase']:,.2f}"
        )
    out.print(f"interdict folder: [bold]{escape(str(target))}[/]")
    return EXIT_OK
