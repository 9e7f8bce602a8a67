"""Command line: ``python -m rsoi solve|validate|check|map|scenarios|schema``.

Exit codes: 0 solved (shortfalls are results), 1 internal error (including a plan that fails
the independent check), 2 invalid input, 3 infeasible hard constraints, 4 solver stopped
without a usable solution, 5 an analysis (sweep, resilience, frontier, policies) wrote its
folder but at least one member failed (its row says why), 130/143 interrupted by
SIGINT/SIGTERM (no run folder written).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import sys
import time
import traceback
from collections.abc import Iterable
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from rsoi.errors import (
    CheckError,
    InfeasibleError,
    InputError,
    Problem,
    SolverError,
    did_you_mean,
    environment_error,
)
from rsoi.lp.interrupt import (
    Terminated,
    close_dask_clusters,
    signals_deferred,
    sigterm_as_interrupt,
)

DEFAULT_MODEL = Path("models/korea_taiwan.yaml")
EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_SOLVER = 0, 1, 2, 3, 4
EXIT_SIGINT, EXIT_SIGTERM = 130, 143
TEST_PAUSE_ENV = "RSOI_TEST_PAUSE_IN_WRITE"
"""Test-only: seconds to sleep inside the temporary run folder (proves interrupt cleanup)."""

_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""Control characters (C0 but newline and tab, DEL, C1) and bidi overrides: never printed."""


def printable(text: str) -> str:
    """`text` without control characters or bidi overrides (escape sequences, bells)."""
    return _UNPRINTABLE.sub("", text)


class SafeConsole(Console):
    """A rich Console that strips control characters from every piece of text it prints.

    Model text (sources, ids, names) reaches the terminal in messages and tables; an escape
    sequence in it must not move the cursor, retitle the window or hide text. Styling and the
    progress spinner are rendered by rich itself (control segments) and pass unchanged.
    """

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(
            segment if segment.control else Segment(printable(segment.text), segment.style)
            for segment in buffer
        )


class PlainTable(Table):
    """A rich Table whose cells are plain text, never markup.

    Model text (units, ids, sources) and paths reach the terminal in table cells; `tons [/] net`
    or `run[red]` must print as written. Every table the CLI prints is one of these, so no
    cell needs escaping by hand.
    """

    def add_row(self, *renderables, **kwargs) -> None:
        super().add_row(
            *(Text(cell) if isinstance(cell, str) else cell for cell in renderables), **kwargs
        )


out = SafeConsole(highlight=False, soft_wrap=True)
err = SafeConsole(stderr=True, highlight=False, soft_wrap=True)


def _time_limit(text: str) -> float:
    """--time-limit: a finite number of seconds >= 0 (HiGHS would ignore -1 or nan silently)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a finite number of seconds >= 0")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' must be 1 or more")
    return value


def _count(text: str) -> int:
    """A whole number >= 0 (one value: `--harden 2`, not `--harden 1,2`)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not one whole number (give a single count, e.g. 2)"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' must be 0 or more")
    return value


def _memory(text: str) -> int:
    """--max-memory: bytes, with an optional K/M/G/T suffix (powers of 1024)."""
    units = {"k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
    t = text.strip().lower().removesuffix("b").removesuffix("i")
    factor = units.get(t[-1:], 1)
    try:
        value = float(t[:-1] if factor > 1 else t)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a size such as 4G or 512M") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"'{text}' must be a positive size")
    return int(value * factor)


def _add_solver(parser: argparse.ArgumentParser) -> None:
    from rsoi.lp.methods import METHODS

    parser.add_argument(
        "--solver",
        choices=[m for m in METHODS if m != "choose"],
        help="HiGHS method (default: the model's settings.solver): simplex, ipm or hipo "
        "(interior point, then crossover), pdlp (first-order)",
    )


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
    s.add_argument("--time-limit", type=_time_limit, help="HiGHS time limit in seconds")
    _add_solver(s)
    s.add_argument(
        "--save-lp",
        action="store_true",
        help="also write model.mps into the run folder (for inspection; the solve never reads it)",
    )
    s.add_argument(
        "--force", action="store_true", help="replace an existing --out folder rsoi wrote"
    )
    memory_help = "refuse models whose LP needs more (e.g. 4G; default: the available memory)"
    s.add_argument("--quiet", action="store_true", help="print only the run folder")
    s.add_argument("--max-memory", type=_memory, help=memory_help)
    s.add_argument("--geojson", action="store_true", help="also write GeoJSON layers")
    s.add_argument(
        "--no-check", action="store_true", help="skip the independent check of the solution"
    )
    v = sub.add_parser(
        "validate", help="check a model and all its scenarios without solving", parents=[outside]
    )
    v.add_argument("model", nargs="?", default=str(DEFAULT_MODEL))
    v.add_argument("--max-memory", type=_memory, help=memory_help)
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
        "--workers", type=_positive_int, help="local cluster workers (default: cores, max 4)"
    )
    dask_args.add_argument(
        "--out", help="output folder (default: runs/<model>-<analysis>-<UTC time>-<pid>/)"
    )
    dask_args.add_argument(
        "--scheduler-timeout",
        type=float,
        default=None,
        help="seconds to wait for --scheduler before exit 2 (default: 10)",
    )
    dask_args.add_argument(
        "--check",
        choices=["all", "sample", "none"],
        default="sample",
        help="run folders written and verified: all, sample (baseline + top results; "
        "default) or none (tables only; sweep: its folders, unverified)",
    )
    dask_args.add_argument(
        "--cold",
        action="store_true",
        help="rebuild and re-solve every variant from scratch (the warm path's cross-check)",
    )
    w = sub.add_parser(
        "sweep", help="solve many scenarios in parallel on Dask", parents=[outside, dask_args]
    )
    w.add_argument("model", nargs="?", default=str(DEFAULT_MODEL))
    w.add_argument("--scenarios", default="all", help="comma-separated names, or 'all'")
    w.add_argument("--baseline", help="scenario every other one is compared against")
    _add_solver(w)
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
    r.add_argument(
        "--from-period", type=_positive_int, default=1, help="first period without the node"
    )
    fr = sub.add_parser(
        "frontier",
        help="trace the Korea-defense / Taiwan-support trade-off (epsilon-constraint)",
        parents=[outside, dask_args],
    )
    fr.add_argument("model", nargs="?", default=str(DEFAULT_MODEL))
    fr.add_argument("--scenario", help="scenario (default: the model's default_scenario)")
    fr.add_argument(
        "--points",
        type=_positive_int,
        default=11,
        help="points, both extremes included (default 11)",
    )
    po = sub.add_parser(
        "policies",
        help="price each policy setting: one re-solve per setting against the scenario as is",
        parents=[outside, dask_args],
    )
    po.add_argument("model", nargs="?", default=str(DEFAULT_MODEL))
    po.add_argument("--scenario", help="scenario (default: the model's default_scenario)")
    cp = sub.add_parser("compare", help="compare two run folders table by table", parents=[outside])
    cp.add_argument("run_a")
    cp.add_argument("run_b")
    cp.add_argument(
        "--out", help="compare folder (default: runs/compare-<A>-<B>-<UTC time>-<pid>/)"
    )
    _add_stochastic_parsers(sub, outside)
    return p


def _add_stochastic_parsers(sub, outside: argparse.ArgumentParser) -> None:
    """`hedge` and `interdict` (rsoi.analysis.hedge / rsoi.analysis.interdict)."""
    h = sub.add_parser(
        "hedge",
        help="two-stage stochastic plan over a scenario set: hedged plan, EVPI and VSS",
        parents=[outside],
    )
    h.add_argument("model", nargs="?", default=str(DEFAULT_MODEL))
    h.add_argument("--set", dest="scenario_set", help="scenario set (default: the first one)")
    h.add_argument(
        "--method",
        choices=["ef", "ph"],
        default="ef",
        help="ef: extensive form in one LP (default); ph: progressive hedging (mpi-sppy)",
    )
    h.add_argument(
        "--rel-gap",
        type=float,
        default=0.01,
        help="ph: stop when (upper - lower bound) / |upper| is at most this (default 0.01)",
    )
    h.add_argument(
        "--time-limit",
        type=_time_limit,
        help="ph: stop after this many seconds (the certified gap reached is reported)",
    )
    h.add_argument("--out", help="output folder (default: runs/<model>-hedge-<set>-<UTC time>/)")
    i = sub.add_parser(
        "interdict",
        help="worst k friendly nodes to lose (attacker-defender), beside the greedy ranking",
        parents=[outside],
    )
    i.add_argument("model", nargs="?", default=str(DEFAULT_MODEL))
    i.add_argument("--scenario", help="scenario (default: the model's default_scenario)")
    i.add_argument("--k", type=int, required=True, help="number of nodes lost")
    i.add_argument(
        "--candidates",
        default="ports,airfields,depots",
        help="kinds of friendly (South Korean) node to consider, comma-separated, or place ids",
    )
    i.add_argument("--from-period", type=int, default=1, help="first period without the nodes")
    i.add_argument(
        "--method",
        choices=["milp", "enumerate"],
        default="milp",
        help="milp: the dualised attacker-defender MILP (default); enumerate: every k-subset",
    )
    i.add_argument(
        "--harden", type=_count, default=0, help="defender: best M nodes to harden (one number)"
    )
    i.add_argument("--out", help="output folder (default: runs/<model>-interdict-<UTC time>/)")


COMMANDS = {
    "solve": "cmd_solve",
    "validate": "cmd_validate",
    "check": "cmd_check",
    "map": "cmd_map",
    "scenarios": "cmd_scenarios",
    "schema": "cmd_schema",
    "sweep": "cmd_sweep",
    "resilience": "cmd_resilience",
    "frontier": "cmd_frontier",
    "policies": "cmd_policies",
    "compare": "cmd_compare",
    "hedge": "cmd_hedge",
    "interdict": "cmd_interdict",
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from rsoi.model.loader import outside_paths_allowed

    command = globals()[COMMANDS[args.command]]
    try:
        with (
            sigterm_as_interrupt(),
            outside_paths_allowed(getattr(args, "allow_outside_paths", False)),
        ):
            return command(args)
    except InputError as exc:
        _print_problems(exc.problems)
        return EXIT_INPUT
    except InfeasibleError as exc:
        err.print(f"[bold red]infeasible:[/] {escape(str(exc))}")
        if exc.conflicting:
            source = getattr(exc, "conflict_source", "irreducible infeasible subset")
            err.print(f"conflicting constraints ({escape(source)}):")
            for name in exc.conflicting:
                err.print(f"  - {escape(name)}")
        err.print("fix: relax one of them, or set its policy `mode: elastic`")
        return EXIT_INFEASIBLE
    except SolverError as exc:
        err.print(f"[bold red]solver:[/] {escape(str(exc))}")
        if hasattr(args, "time_limit"):
            err.print("fix: raise --time-limit, or simplify the model")
        else:  # hedge, interdict, ...: no time limit to raise
            err.print(f"fix: simplify the model or the {args.command} inputs (smaller set or k)")
        return EXIT_SOLVER
    except CheckError as exc:
        _print_check_failure(exc)
        return EXIT_INTERNAL
    except OSError as exc:  # the environment failed (disk full, read-only, permissions, ...)
        _print_problems(environment_error(exc).problems)
        return EXIT_INPUT
    except RecursionError:  # a document nested beyond any reader (e.g. a hand-edited JSON)
        err.print(
            "[bold red]invalid input:[/] a file is nested too deeply to read "
            "(summary.json or a table edited by hand?); fix: restore the file rsoi wrote"
        )
        return EXIT_INPUT
    except KeyboardInterrupt as exc:
        terminated = isinstance(exc, Terminated)
        with signals_deferred():  # the cleanup runs to its end, then the one line
            close_dask_clusters()
            err.print(f"{'terminated' if terminated else 'interrupted'}: no run folder written")
        return EXIT_SIGTERM if terminated else EXIT_SIGINT
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


def _print_problems(problems: list[Problem]) -> None:
    err.print(
        f"[bold red]invalid input[/] ({len(problems)} problem{'s' if len(problems) != 1 else ''}):"
    )
    for problem in problems:
        err.print(str(problem), markup=False)


def _print_check_failure(exc: CheckError) -> None:
    err.print(
        f"[bold red]CHECK FAILED:[/] the plan violates {len(exc.violations)} item(s) of the model "
        "(independent check, rsoi.results.check); do not use these numbers",
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
    from rsoi.lp.budget import available_memory, check_fits
    from rsoi.lp.prepare import prepare
    from rsoi.model.loader import load_model, read_yaml
    from rsoi.model.numerics import scan

    doc = read_yaml(Path(args.model))
    scenarios = doc.data.get("scenarios")
    names = [None, *sorted(scenarios)] if isinstance(scenarios, dict) else [None]
    problems: list[Problem] = []
    warnings: list[str] = []
    said: set[str] = set()
    seen_problems: set[Problem] = set()
    limit = args.max_memory or available_memory()  # one figure for every scenario
    base = None  # the base model, validated once: each scenario reuses its scenario sections
    for name in names:
        try:
            model = load_model(args.model, name, use_default=False, document=doc, base=base)
            if name is None:
                base = model.spec
            check_fits(model.spec, args.model, limit)
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
    for warning in warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}")
    out.print(f"{args.model}: valid (base model and {len(names) - 1} scenarios)", markup=False)
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from rsoi.results.check import verify_run
    from rsoi.results.tables import require_readable_run_folder, write_leftovers

    require_readable_run_folder(Path(args.run_dir))  # no FIFO or device among its tables
    report = verify_run(Path(args.run_dir), model_path=args.model)
    for path in write_leftovers(Path(args.run_dir)):  # not part of the run: say so
        err.print(
            f"[yellow]warning:[/] {escape(str(path))}: temporary file of an interrupted `map`, "
            "not part of the run (`rsoi map` removes it)"
        )
    out.print(f"{args.run_dir}: check passed ({len(report.checked)} families)", markup=False)
    for item in report.checked:
        out.print(f"  ok  {item}", markup=False)
    for item in report.unverified:  # named, never counted as passed
        out.print(f"  not verified  {item}", markup=False)
    return EXIT_OK


def cmd_map(args: argparse.Namespace) -> int:
    from rsoi.outputs.gis import export_run
    from rsoi.results.check import load_summary
    from rsoi.results.tables import (
        record_manifest,
        remove_write_leftovers,
        require_readable_run_folder,
    )

    require_readable_run_folder(Path(args.run_dir))  # no FIFO or device among its tables
    load_summary(Path(args.run_dir))  # InputError unless a run folder
    for path in remove_write_leftovers(Path(args.run_dir)):
        _notice(f"removed {path}: temporary file of a map that was interrupted")
    from rsoi.results.check import verify_run

    verify_run(Path(args.run_dir))  # never draw a plan that fails the check: CHECK FAILED, exit 1
    written = export_run(Path(args.run_dir), geojson=args.geojson)
    record_manifest(Path(args.run_dir), written)  # `--force` may later replace these too
    for path in written:
        out.print(str(path), markup=False)
    return EXIT_OK


def cmd_scenarios(args: argparse.Namespace) -> int:
    from rsoi.model.loader import load_model, read_yaml
    from rsoi.model.schema import scenario_grid_entry

    doc = read_yaml(Path(args.model))  # parsed once for every scenario
    spec = load_model(args.model, use_default=False, document=doc).spec
    if args.json:
        out.print_json(
            json.dumps(
                [
                    {
                        "name": k,
                        "description": s.description,
                        "inherits": s.inherits,
                        "default": k == spec.default_scenario,
                        **scenario_grid_entry(
                            load_model(args.model, k, document=doc, base=spec).spec
                        ),
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
    from rsoi.model.schema import ModelSpec

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


def _notice(message: str) -> None:
    err.print(f"[yellow]note:[/] {escape(message)}")


class OutputsFailed(Exception):
    """The run solved and its checked tables were written, but maps or report failed.

    `cause` is the failure; the CLI reports it after the run folder is in place, with the
    exit code of the failure (2 for the environment, 1 for a bug in rsoi).
    """

    def __init__(self, cause: BaseException) -> None:
        self.cause = cause
        super().__init__(str(cause))


def _analysis_target(args: argparse.Namespace, model: str, analysis: str) -> Path:
    from rsoi.model.loader import load_model
    from rsoi.results.tables import default_run_dir, preflight_out

    if args.out:
        target = Path(args.out)
        if target.exists() or target.is_symlink():
            raise _run_exists(target)
        preflight_out(target)  # before the solves, not after
        return target
    name = load_model(model, use_default=False).spec.name
    return default_run_dir(Path("runs"), name, analysis)  # never an existing folder


def _print_frame(frame, columns: list[str], title: str) -> None:
    t = PlainTable(title=title, show_edge=False)
    for col in columns:
        t.add_column(col, justify="right" if frame[col].dtype.kind in "fi" else "left")
    for row in frame[columns].itertuples(index=False):
        t.add_row(*(f"{v:,.2f}" if isinstance(v, float) else str(v) for v in row))
    out.print(t)


EXIT_PARTIAL = 5
"""An analysis folder was written, but at least one member failed (see its status column)."""


def _analysis_settings(args: argparse.Namespace):
    from rsoi.analysis.common import Settings

    if args.workers is not None and args.workers < 1:
        raise InputError(
            [Problem("--workers", None, None, "--workers", "must be 1 or more", "e.g. 2")]
        )
    if args.scheduler_timeout is not None and not 0 < args.scheduler_timeout < float("inf"):
        raise InputError(
            [
                Problem(
                    "--scheduler-timeout",
                    None,
                    None,
                    "--scheduler-timeout",
                    "must be a positive number of seconds",
                    "e.g. 10",
                )
            ]
        )
    return Settings(
        cold=args.cold,
        check=args.check,
        scheduler=args.scheduler,
        workers=args.workers,
        scheduler_timeout=args.scheduler_timeout,
        solver=getattr(args, "solver", None),
    )


def _analysis_exit(results, kind: str) -> int:
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
        raise InputError(
            [Problem("--scenarios", None, None, "--scenarios", "no scenario named", "give names")]
        )
    return names


def cmd_sweep(args: argparse.Namespace) -> int:
    from rsoi.analysis.sweep import BASE_NAME, sweep
    from rsoi.model.loader import load_model, read_yaml

    settings = _analysis_settings(args)
    doc = read_yaml(Path(args.model))
    names = _scenario_names(args, doc)
    if args.baseline is not None and args.baseline not in names:
        names.append(args.baseline)
    for name in names:  # fail fast, with file and line, before any worker starts
        if name is not None:
            load_model(args.model, name, use_default=False, document=doc)
    target = _analysis_target(args, args.model, "sweep")
    with err.status(f"solving {len(names)} scenarios on Dask…"):
        table = sweep(args.model, names, target, settings=settings, baseline=args.baseline)
    columns = ["scenario", "status", "objective", "check"]
    if args.baseline is not None:
        columns.insert(3, "change:objective")
    _print_frame(table, columns, "scenario sweep")
    out.print(f"sweep folder: [bold]{escape(str(target))}[/]")
    from rsoi.analysis.warm import VariantResult

    results = [
        VariantResult(
            row.scenario if row.scenario != BASE_NAME else BASE_NAME,
            row.status,
            error=str(row.error),
            checked=str(row.check) if row.check != "not checked" else "",
        )
        for row in table.itertuples(index=False)
    ]
    return _analysis_exit(results, "scenario")


def cmd_resilience(args: argparse.Namespace) -> int:
    from rsoi.analysis.common import check_from_period
    from rsoi.analysis.resilience import friendly_nodes, resilience
    from rsoi.model.loader import load_model

    settings = _analysis_settings(args)
    model = load_model(args.model, args.scenario)
    check_from_period(model.spec, args.from_period)
    nodes = [n.strip() for n in args.nodes.split(",") if n.strip()] if args.nodes else None
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
    if not nodes:
        from rsoi.lp.prepare import prepare

        nodes = friendly_nodes(prepare(model).spec)  # country and capacities from geodata
    nodes = list(dict.fromkeys(nodes))
    target = _analysis_target(args, args.model, "resilience")
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
    _print_frame(
        table.head(10), ["node", "status", "objective_increase", "check"], "loss of one node"
    )
    out.print(f"resilience folder: [bold]{escape(str(target))}[/]")
    from rsoi.analysis.warm import VariantResult

    members = [base] + [
        VariantResult(row.node, row.status, error=str(row.error), checked=_checked(row.check))
        for row in table.itertuples(index=False)
    ]
    return _analysis_exit(members, "variant")


def _checked(value) -> str:
    return "" if value == "not checked" else str(value)


def cmd_frontier(args: argparse.Namespace) -> int:
    from rsoi.analysis.frontier import frontier
    from rsoi.model.loader import load_model

    settings = _analysis_settings(args)
    model = load_model(args.model, args.scenario)
    if not 2 <= args.points <= 1000:
        raise InputError(
            [
                Problem(
                    "--points",
                    None,
                    None,
                    "--points",
                    f"{args.points} points: give 2 (both extremes) to 1000",
                    "e.g. 11",
                )
            ]
        )
    target = _analysis_target(args, args.model, "frontier")
    with err.status(f"tracing a {args.points}-point frontier…"):
        result = frontier(args.model, model.scenario, target, args.points, settings)
    table = result.table
    out.print(
        f"[bold]frontier[/] {escape(result.korea_label)} vs {escape(result.taiwan_label)} · "
        f"scenario {escape(str(model.scenario or 'base'))} · {len(table)} rows"
    )
    _print_frame(
        table,
        ["point", "korea_shortfall", "taiwan_shortfall", "objective", "current_weights"],
        "Korea-defense / Taiwan-support frontier",
    )
    if result.no_trade_off:
        out.print(f"[bold yellow]degenerate frontier:[/] {escape(result.no_trade_off)}")
    out.print(f"frontier folder: [bold]{escape(str(target))}[/]")
    return _analysis_exit(result.results, "point")


def cmd_policies(args: argparse.Namespace) -> int:
    from rsoi.analysis.policies import policies
    from rsoi.model.loader import load_model

    settings = _analysis_settings(args)
    model = load_model(args.model, args.scenario)
    target = _analysis_target(args, args.model, "policies")
    with err.status("re-solving once per policy setting…"):
        result = policies(args.model, model.scenario, target, settings)
    out.print(
        f"[bold]policies[/] · scenario {escape(str(model.scenario or 'base'))} · baseline "
        f"objective {result.baseline.objective:,.2f} ({escape(result.baseline.status)})"
    )
    _print_frame(
        result.table,
        ["rank", "policy", "setting", "shipped", "status", "objective_change"],
        "price of each policy setting (costliest first)",
    )
    for line in result.poll_lines:
        out.print(escape(line))
    out.print(f"policies folder: [bold]{escape(str(target))}[/]")
    return _analysis_exit([result.baseline, *result.results], "setting")


def _verify_for(run_dir: Path, command: str) -> None:
    """CheckError (CHECK FAILED, exit 1) unless `run_dir` passes the independent check."""
    from rsoi.errors import CheckError
    from rsoi.results.check import verify_run
    from rsoi.results.tables import require_readable_run_folder

    require_readable_run_folder(run_dir)
    try:
        verify_run(run_dir)
    except CheckError as exc:
        head = f"{command} refuses {run_dir}: it fails the independent check"
        raise CheckError([head, *exc.violations], exc.folder) from None


def cmd_compare(args: argparse.Namespace) -> int:
    from rsoi.analysis.compare import compare_runs, write_compare
    from rsoi.results.tables import default_run_dir, preflight_out

    if args.out:
        target = Path(args.out)
        if target.exists() or target.is_symlink():
            raise _run_exists(target)
        preflight_out(target)
    for run_dir in (args.run_a, args.run_b):  # never compare a plan that fails the check
        _verify_for(Path(run_dir), "compare")
    result = compare_runs(Path(args.run_a), Path(args.run_b))
    if not args.out:
        name = f"{Path(args.run_a).name}-vs-{Path(args.run_b).name}"
        target = default_run_dir(Path("runs"), "compare", name)
    write_compare(result, target)
    parts = result.tables["objective"]
    _print_frame(parts, ["part", "a", "b", "change"], "objective parts (b - a)")
    for name, table in result.tables.items():
        if name != "objective":
            out.print(f"{name}: {len(table)} rows differ", markup=False)
    out.print(f"compare folder: [bold]{escape(str(target))}[/]")
    return EXIT_OK


def cmd_solve(args: argparse.Namespace) -> int:
    from rsoi.pipeline import run_model, write_run
    from rsoi.results.tables import RunExists, check_replaceable, default_run_dir, preflight_out

    target = Path(args.out) if args.out else None
    if target is not None and (target.exists() or target.is_symlink()):
        if not args.force:
            raise _run_exists(target)
        check_replaceable(target, protect=[Path(args.model)])  # before the solve, not after
    if target is not None:
        preflight_out(target)  # a link, a name too long, a read-only parent: exit 2 now
    warnings: list[str] = []  # printed as soon as known, before the solve

    def warn(message: str) -> None:
        warnings.append(message)
        err.print(f"[yellow]warning:[/] {escape(message)}")

    from rsoi.outputs.worker import ExportWorker

    workers: list[ExportWorker] = []

    def start_export(prep) -> None:  # draws while the solve and the check run
        workers.append(ExportWorker(prep))

    failed: list[OutputsFailed] = []

    def extra(run, folder: Path) -> None:
        if args.save_lp:
            from rsoi.lp.highs_io import make_highs

            make_highs(run.lp, None, "choose").writeModel(str(folder / "model.mps"))
        summary = run.summary()
        worker = workers[0]
        worker.submit(folder, args.geojson, summary)
        if not args.no_check:
            from rsoi.results.check import verify_run

            t = time.perf_counter()
            # the model parsed once; the checker derives the rest
            verify_run(folder, model=run.model, summary=summary)
            run.timings["check"] = time.perf_counter() - t
        outcome = worker.result()
        run.timings.update(outcome.timings)
        warning = outcome.warning
        if outcome.failure is not None:
            failed.append(OutputsFailed(outcome.failure))
            warning = f"maps not written: {_failure_text(outcome.failure)}"
        if warning:  # printed with the others after the run
            run.prep.warnings.append(warning)
        pause = os.environ.get(TEST_PAUSE_ENV)
        if pause:  # test-only hook: lets a test interrupt a run while its folder is half-built
            err.print(f"{TEST_PAUSE_ENV}: pausing in {folder}", markup=False)
            time.sleep(float(pause))

    try:
        with err.status("solving…") as status:
            run = run_model(
                args.model,
                args.scenario,
                args.time_limit,
                progress=lambda msg: status.update(msg),
                on_warning=warn,
                max_memory=args.max_memory,
                solver=args.solver,
                on_prepared=start_export,
            )
        if target is None:
            target = default_run_dir(Path("runs"), run.model.spec.name, run.model.scenario)
        write_run(run, target, force=args.force, extra=extra, notify=_notice)
    except RunExists:
        raise _run_exists(target) from None
    finally:
        for worker in workers:
            worker.close()
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
        print_summary(run, target, printed=warnings)
    if failed:
        return _report_failed_outputs(target, failed[0].cause)
    return EXIT_OK


def _failure_text(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return str(environment_error(exc).problems[0]).replace("\n", "")
    if isinstance(exc, InputError):
        return "; ".join(f"{p.field}: {p.message}" for p in exc.problems)
    return f"internal error {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def _report_failed_outputs(target: Path, cause: BaseException) -> int:
    """The run folder is in place with its checked tables; its maps/report failed."""
    err.print(
        f"[bold red]outputs failed:[/] the run solved and {escape(str(target))} holds its "
        f"checked tables and summary.json, but not its maps and report: "
        f"{escape(_failure_text(cause))}"
    )
    if isinstance(cause, OSError):
        err.print(f"fix: then draw them with `rsoi map {escape(str(target))}`")
        return EXIT_INPUT
    err.print(
        "this is a bug in rsoi: please report it (rerun with RSOI_DEBUG=1 for a traceback); "
        f"the tables are valid, `rsoi map {escape(str(target))}` retries the maps"
    )
    return EXIT_INTERNAL


def print_summary(run, target: Path, printed: list[str] | None = None) -> None:
    """Status, objective parts, shortfalls by task and theater, hardest-binding constraints."""
    s = run.summary()
    out.print(
        f"[bold]rsoi[/] {escape(str(s['model']))} · scenario "
        f"[bold]{escape(str(s['scenario'] or 'base'))}[/] · "
        f"{escape(str(s['status']))} ({s['solver']} {s['solver_version']}) · notional data"
    )
    out.print(
        f"variables {s['variables']:,} · constraints {s['constraints']:,} · "
        f"objective {s['objective']:,.2f}"
    )
    t = PlainTable(title="objective parts", show_edge=False)
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
        t = PlainTable(title="shortfalls by task and theater", show_edge=False)
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
    t = PlainTable(title="binding constraints (hardest row per family)", show_edge=False)
    t.add_column("constraint", no_wrap=True, overflow="ellipsis")
    t.add_column("shadow price", justify="right", no_wrap=True, min_width=13)
    t.add_column("source", no_wrap=True, overflow="ellipsis", max_width=34)
    for frame in (hardest[is_policy], hardest[~is_policy].head(8)):
        for row in frame.itertuples(index=False):
            t.add_row(row.constraint, f"{row.shadow_price:,.3f}", str(row.source))
    out.print(t)
    for w in s["warnings"]:
        if w not in (printed or []):  # those known before the solve were printed then
            out.print(f"[yellow]warning:[/] {escape(w)}")
    out.print(f"run folder: [bold]{escape(str(target))}[/]")


def entry() -> None:
    """Console entry point: `main`, and after an interrupt a prompt exit.

    By the time `main` returns 130/143 every `finally` has run (temporary folder removed, Dask
    cluster closed). If a HiGHS solve was cancelled, the interpreter's own teardown is skipped:
    native solver threads stopped mid-solve can abort it ("terminate called ..."), turning
    exit 130 into a crash.
    """
    import rsoi.lp.interrupt

    code = main()
    if code in (EXIT_SIGINT, EXIT_SIGTERM) and rsoi.lp.interrupt.solve_interrupted:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)
    raise SystemExit(code)


def cmd_hedge(args: argparse.Namespace) -> int:
    from rsoi.analysis.hedge import differences_in_words, hedge, measures, write_hedge

    if args.out and Path(args.out).exists():
        raise _run_exists(Path(args.out))
    with err.status("solving the scenario set…"):
        options = {"rel_gap": args.rel_gap, "time_limit": args.time_limit}
        result = hedge(args.model, args.scenario_set, args.method, options)
    if result.ph_info.get("rank", 0) != 0:  # under MPI only rank 0 writes and prints
        return EXIT_OK
    target = _analysis_target(args, args.model, f"hedge-{result.set_name}")
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
        raise _run_exists(Path(args.out))
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
    target = _analysis_target(args, args.model, "interdict")
    write_interdict(result, target)
    out.print(
        f"[bold]rsoi interdict[/] {escape(result.scenario or 'base model')} · {len(result.candidates)} "
        f"candidate nodes · lost from period {args.from_period} · method {args.method} · "
        f"undamaged objective {result.base_objective:,.2f}"
    )
    for row in result.table.itertuples(index=False):
        same = (
            "same set"
            if row.greedy_set == row.worst_set
            else ("greedy is as bad" if row.greedy_is_worst else "greedy misses the worst set")
        )
        out.print(
            f"k={row.k}  worst: {escape(row.worst_set.replace(';', ' + '))}  "
            f"+{row.objective_increase:,.2f} (found by {row.found_by}; "
            f"{'proved worst' if row.upper_bound <= row.objective * (1 + 1e-9) + 1e-9 else f'bound {row.upper_bound:,.2f}'})   greedy: "
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


if __name__ == "__main__":
    entry()
