"""Command line: ``python -m rsoi solve|validate|scenarios|schema``.

Exit codes: 0 solved (shortfalls are results), 1 internal error, 2 invalid input,
3 infeasible hard constraints, 4 solver stopped without a usable solution.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rsoi.errors import InfeasibleError, InputError, Problem, SolverError

DEFAULT_MODEL = Path("models/korea_taiwan.yaml")
EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_SOLVER = 0, 1, 2, 3, 4

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rsoi", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("solve", help="solve a model and write a run folder")
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
    v = sub.add_parser("validate", help="check a model and all its scenarios without solving")
    v.add_argument("model", nargs="?", default=str(DEFAULT_MODEL))
    c = sub.add_parser("scenarios", help="list scenarios: name, then description")
    c.add_argument("model", nargs="?", default=str(DEFAULT_MODEL))
    c.add_argument("--json", action="store_true", help="machine-readable output")
    sub.add_parser("schema", help="print the JSON Schema of the model YAML")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return {
            "solve": cmd_solve,
            "validate": cmd_validate,
            "scenarios": cmd_scenarios,
            "schema": cmd_schema,
        }[args.command](args)
    except InputError as exc:
        _print_problems(exc.problems)
        return EXIT_INPUT
    except InfeasibleError as exc:
        err.print(f"[bold red]infeasible:[/] {exc}")
        if exc.conflicting:
            err.print("conflicting constraints (irreducible infeasible subset):")
            for name in exc.conflicting:
                err.print(f"  - {name}")
        err.print("fix: relax one of them, or set its policy `mode: elastic`")
        return EXIT_INFEASIBLE
    except SolverError as exc:
        err.print(f"[bold red]solver:[/] {exc}")
        return EXIT_SOLVER
    except KeyboardInterrupt:
        err.print("interrupted: no run folder written")
        return 130


def _print_problems(problems: list[Problem]) -> None:
    err.print(
        f"[bold red]invalid input[/] ({len(problems)} problem{'s' if len(problems) != 1 else ''}):"
    )
    for problem in problems:
        err.print(str(problem), markup=False)


def cmd_validate(args) -> int:
    from rsoi.loader import load_model, read_yaml
    from rsoi.prepare import prepare

    doc = read_yaml(Path(args.model))
    names = [None, *sorted(doc.data.get("scenarios") or {})]
    problems: list[Problem] = []
    for name in names:
        try:
            prepare(load_model(args.model, name, use_default=False))
        except InputError as exc:
            problems.extend(p for p in exc.problems if p not in problems)
    if problems:
        raise InputError(problems)
    out.print(f"{args.model}: valid (base model and {len(names) - 1} scenarios)")
    return EXIT_OK


def cmd_scenarios(args) -> int:
    from rsoi.loader import load_model

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


def cmd_schema(args) -> int:
    from rsoi.schema import ModelSpec

    sys.stdout.write(json.dumps(ModelSpec.model_json_schema(), indent=2) + "\n")
    return EXIT_OK


def cmd_solve(args) -> int:
    from rsoi.pipeline import run_model, write_run
    from rsoi.results import RunExists, default_run_dir

    target = Path(args.out) if args.out else None
    if target is not None and target.exists() and not args.force:
        raise InputError(
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
    with err.status("solving…") as status:
        run = run_model(
            args.model, args.scenario, args.time_limit, progress=lambda msg: status.update(msg)
        )
    if target is None:
        target = default_run_dir(Path("runs"), run.model.spec.name, run.model.scenario)

    def extra(run, folder: Path) -> None:
        if args.save_lp:
            from rsoi.solve import make_highs

            make_highs(run.lp, None, "choose").writeModel(str(folder / "model.mps"))

    try:
        write_run(run, target, force=args.force, extra=extra)
    except RunExists:
        raise InputError(
            [
                Problem(
                    str(target),
                    None,
                    None,
                    "--out",
                    "run folder already exists",
                    "choose another --out, or pass --force",
                )
            ]
        ) from None
    if args.quiet:
        out.print(str(target))
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
    policy = binding[binding["family"].str.startswith("policy_")].sort_values(
        ["abs", "constraint"], ascending=[False, True]
    )
    other = binding[~binding["family"].str.startswith("policy_")].sort_values(
        ["abs", "constraint"], ascending=[False, True]
    )
    t = Table(title="binding constraints (hardest first)", show_edge=False)
    for col in ("constraint", "shadow price", "source"):
        t.add_column(col, justify="right" if col == "shadow price" else "left", overflow="fold")
    for frame in (policy.head(5), other.head(8)):
        for row in frame.itertuples(index=False):
            t.add_row(escape(row.constraint), f"{row.shadow_price:,.3f}", escape(str(row.source)))
    out.print(t)
    for w in s["warnings"]:
        out.print(f"[yellow]warning:[/] {escape(w)}")
    out.print(f"run folder: [bold]{target}[/]")


if __name__ == "__main__":
    raise SystemExit(main())
