"""The argument parser: only parses. Each command's function is its ``func`` default.

Arguments shared by several commands are parent parsers, declared once: the model file, the
scenario, ``--allow-outside-paths`` and the Dask analyses' options.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from rsoi.cli.analyses import cmd_frontier, cmd_policies, cmd_resilience, cmd_sweep
from rsoi.cli.model import cmd_scenarios, cmd_schema, cmd_validate
from rsoi.cli.runs import cmd_check, cmd_compare, cmd_map
from rsoi.cli.solve import cmd_solve
from rsoi.cli.stochastic import cmd_hedge, cmd_interdict

DESCRIPTION = (
    "rsoi: RSOI and dual-apportionment planning as a linear program (notional, open-source "
    "data; logistics and apportionment analysis only). Start with `python -m rsoi solve`."
)
DEFAULT_MODEL = Path("models/korea_taiwan.yaml")
MEMORY_HELP = "refuse models whose LP needs more (e.g. 4G; default: the available memory)"


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


def _parent() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(add_help=False)


Shared = dict[str, argparse.ArgumentParser]
"""The parent parsers by name: `outside`, `model`, `scenario`, `dask`."""


def _shared() -> Shared:
    """Arguments several commands share, each declared once."""
    outside = _parent()
    outside.add_argument(
        "--allow-outside-paths",
        action="store_true",
        help="let the model's geodata/sea_lanes paths point outside its project folder",
    )
    model_file = _parent()
    model_file.add_argument("model", nargs="?", default=str(DEFAULT_MODEL))
    scenario = _parent()
    scenario.add_argument(
        "--scenario", help="scenario name (default: the model's default_scenario)"
    )
    dask = _parent()
    dask.add_argument("--scheduler", help="Dask scheduler address (default: a local cluster)")
    dask.add_argument(
        "--workers", type=_positive_int, help="local cluster workers (default: cores, max 4)"
    )
    dask.add_argument(
        "--out", help="output folder (default: runs/<model>-<analysis>-<UTC time>-<pid>/)"
    )
    dask.add_argument(
        "--scheduler-timeout",
        type=float,
        default=None,
        help="seconds to wait for --scheduler before exit 2 (default: 10)",
    )
    dask.add_argument(
        "--check",
        choices=["all", "sample", "none"],
        default="sample",
        help="run folders written and verified: all, sample (baseline + top results; "
        "default) or none (tables only; sweep: its folders, unverified)",
    )
    dask.add_argument(
        "--cold",
        action="store_true",
        help="rebuild and re-solve every variant from scratch (the warm path's cross-check)",
    )
    return {"outside": outside, "model": model_file, "scenario": scenario, "dask": dask}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rsoi", description=DESCRIPTION)
    sub = p.add_subparsers(dest="command", required=True)
    shared = _shared()
    for add in (
        _add_solve,
        _add_validate,
        _add_check,
        _add_map,
        _add_scenarios,
        _add_schema,
        _add_sweep,
        _add_resilience,
        _add_frontier,
        _add_policies,
        _add_compare,
        _add_hedge,
        _add_interdict,
    ):
        add(sub, shared)
    return p


def _add_solve(sub, shared: Shared) -> None:
    s = sub.add_parser(
        "solve",
        help="solve a model and write a run folder",
        parents=[shared["outside"], shared["model"], shared["scenario"]],
    )
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
    s.add_argument("--quiet", action="store_true", help="print only the run folder")
    s.add_argument("--max-memory", type=_memory, help=MEMORY_HELP)
    s.add_argument("--geojson", action="store_true", help="also write GeoJSON layers")
    s.add_argument(
        "--no-check", action="store_true", help="skip the independent check of the solution"
    )
    s.set_defaults(func=cmd_solve)


def _add_validate(sub, shared: Shared) -> None:
    v = sub.add_parser(
        "validate",
        help="check a model and all its scenarios without solving",
        parents=[shared["outside"], shared["model"]],
    )
    v.add_argument("--max-memory", type=_memory, help=MEMORY_HELP)
    v.set_defaults(func=cmd_validate)


def _add_check(sub, shared: Shared) -> None:
    k = sub.add_parser(
        "check",
        help="independently verify a run folder against its model",
        parents=[shared["outside"]],
    )
    k.add_argument("run_dir")
    k.add_argument("--model", help="model file (default: model_file in summary.json)")
    k.set_defaults(func=cmd_check)


def _add_map(sub, shared: Shared) -> None:
    m = sub.add_parser(
        "map",
        help="write plan.gpkg, maps and report into a run folder",
        parents=[shared["outside"]],
    )
    m.add_argument("run_dir")
    m.add_argument("--geojson", action="store_true", help="also write GeoJSON layers")
    m.set_defaults(func=cmd_map)


def _add_scenarios(sub, shared: Shared) -> None:
    c = sub.add_parser(
        "scenarios",
        help="list scenarios: name, then description",
        parents=[shared["outside"], shared["model"]],
    )
    c.add_argument("--json", action="store_true", help="machine-readable output")
    c.set_defaults(func=cmd_scenarios)


def _add_schema(sub, shared: Shared) -> None:
    c = sub.add_parser("schema", help="print the JSON Schema of the model YAML")
    c.set_defaults(func=cmd_schema)


def _analysis_parents(shared: Shared, scenario: bool = True) -> list[argparse.ArgumentParser]:
    names = ["outside", "dask", "model"] + (["scenario"] if scenario else [])
    return [shared[name] for name in names]


def _add_sweep(sub, shared: Shared) -> None:
    w = sub.add_parser(
        "sweep",
        help="solve many scenarios in parallel on Dask",
        parents=_analysis_parents(shared, scenario=False),
    )
    w.add_argument("--scenarios", default="all", help="comma-separated names, or 'all'")
    w.add_argument("--baseline", help="scenario every other one is compared against")
    _add_solver(w)
    w.set_defaults(func=cmd_sweep)


def _add_resilience(sub, shared: Shared) -> None:
    r = sub.add_parser(
        "resilience",
        help="rank friendly logistics nodes by the cost of losing each one (Dask)",
        parents=_analysis_parents(shared),
    )
    r.add_argument(
        "--nodes", help="comma-separated place ids (default: Korean ports and airfields)"
    )
    r.add_argument(
        "--from-period", type=_positive_int, default=1, help="first period without the node"
    )
    r.set_defaults(func=cmd_resilience)


def _add_frontier(sub, shared: Shared) -> None:
    fr = sub.add_parser(
        "frontier",
        help="trace the Korea-defense / Taiwan-support trade-off (epsilon-constraint)",
        parents=_analysis_parents(shared),
    )
    fr.add_argument(
        "--points",
        type=_positive_int,
        default=11,
        help="points, both extremes included (default 11)",
    )
    fr.set_defaults(func=cmd_frontier)


def _add_policies(sub, shared: Shared) -> None:
    po = sub.add_parser(
        "policies",
        help="price each policy setting: one re-solve per setting against the scenario as is",
        parents=_analysis_parents(shared),
    )
    po.set_defaults(func=cmd_policies)


def _add_compare(sub, shared: Shared) -> None:
    cp = sub.add_parser(
        "compare", help="compare two run folders table by table", parents=[shared["outside"]]
    )
    cp.add_argument("run_a")
    cp.add_argument("run_b")
    cp.add_argument(
        "--out", help="compare folder (default: runs/compare-<A>-<B>-<UTC time>-<pid>/)"
    )
    cp.set_defaults(func=cmd_compare)


def _add_hedge(sub, shared: Shared) -> None:
    h = sub.add_parser(
        "hedge",
        help="two-stage stochastic plan over a scenario set: hedged plan, EVPI and VSS",
        parents=[shared["outside"], shared["model"]],
    )
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
    h.set_defaults(func=cmd_hedge)


def _add_interdict(sub, shared: Shared) -> None:
    i = sub.add_parser(
        "interdict",
        help="worst k friendly nodes to lose (attacker-defender), beside the greedy ranking",
        parents=[shared["outside"], shared["model"], shared["scenario"]],
    )
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
    i.set_defaults(func=cmd_interdict)
