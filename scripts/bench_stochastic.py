"""Benchmark of `rsoi hedge` and `rsoi interdict` on the shipped model (issue 12 goals).

Prints, in one run:

1. the hedged plan of each shipped set (or ``--set``) by the extensive form: its solve time
   beside the sum of the single-scenario solves, and progressive hedging's wall time beside
   the whole ``hedge --method ef`` (mpi-sppy; stops on a 1% certified gap or at
   ``--ph-time-limit``): its objective, lower and upper bound, certified gap, wall time and
   iterations, serially and (unless ``--no-mpi``, when mpiexec is found) as hub + Lagrangian
   spoke + xhat spoke under ``mpiexec -n 3``; ``--no-ph`` skips it;
2. `interdict --k 2` over the friendly nodes: the MILP proposal + certificate (exact) against enumerating
   all pairs cold (load, build and solve each pair from scratch, as `resilience` does a
   node), and against enumerating them warm; all three must find the same worst pair;
3. `interdict --k 3` with the MILP, which must finish.

Usage: ``PYTHONPATH=src python scripts/bench_stochastic.py [--model M] [--set S] [--no-cold]
[--no-interdict] [--no-mpi] [--ph-time-limit SECONDS]``
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from rsoi.analysis.hedge import extensive_form, hedge, load_members, shared_keys  # noqa: E402
from rsoi.analysis.interdict import (  # noqa: E402
    attack,
    load_network,
    worst_by_enumeration,
)
from rsoi.lp.highs_io import make_highs  # noqa: E402


def clock(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def bench_hedge(model: str, set_name: str) -> None:
    (name, entry, members), t_build = clock(lambda: load_members(model, set_name))
    single = 0.0
    for m in members:
        h = make_highs(m.lp, None, "choose")
        _, t = clock(h.run)
        single += t
    keys, missing = shared_keys(members)
    (ef, _), t_ef_build = clock(lambda: extensive_form(members, keys, missing))
    h = make_highs(ef, None, "choose")
    _, t_ef = clock(h.run)
    print(f"hedge {name}: {len(members)} scenarios, K = {entry.here_and_now_periods}")
    print(f"  building the member LPs                  {t_build:8.2f} s")
    print(f"  sum of single-scenario solves (cold)     {single:8.2f} s")
    print(
        f"  extensive form solve                     {t_ef:8.2f} s"
        f"   ({ef.n_cols:,} columns, {ef.n_rows:,} rows; stacking {t_ef_build:.2f} s)"
    )
    print(f"  ratio extensive form / sum of singles    {t_ef / single:8.2f}")


def bench_ph(model: str, set_name: str, time_limit: float | None, mpi: bool) -> None:
    ef, t_ef = clock(lambda: hedge(model, set_name, "ef"))
    options = {"time_limit": time_limit}
    ph, t_ph = clock(lambda: hedge(model, set_name, "ph", ph_options=options))
    info = ph.ph_info
    z = ef.hedged_objective
    print(f"hedge {set_name}: progressive hedging beside the extensive form")
    print(f"  hedge --method ef (whole command)        {t_ef:8.2f} s   objective {z:,.2f}")
    _print_ph("hedge --method ph (serial, whole command)", t_ph, info, ph.hedged_objective, z)
    if not mpi:
        return
    mpiexec = shutil.which("mpiexec", path=str(Path(sys.executable).parent)) or shutil.which(
        "mpiexec"
    )
    if mpiexec is None:
        print("  mpiexec -n 3: no mpiexec (pip install -e '.[mpi]')")
        return
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ph"
        command = [mpiexec, "-n", "3", sys.executable, "-m", "mpi4py", "-m", "rsoi", "hedge",
                   model, "--set", set_name, "--method", "ph", "--out", str(out)]  # fmt: skip
        if time_limit is not None:
            command += ["--time-limit", str(time_limit)]
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        proc, t_mpi = clock(
            lambda: subprocess.run(command, capture_output=True, text=True, env=env)
        )
        if proc.returncode != 0:
            print(f"  mpiexec -n 3 failed (rc {proc.returncode}): {proc.stderr.strip()[-300:]}")
            return
        summary = json.loads((out / "hedge_summary.json").read_text())
    _print_ph(
        "mpiexec -n 3 hub + 2 spokes (whole command)",
        t_mpi,
        summary["progressive_hedging"],
        summary["hedged_objective"],
        z,
    )


def _print_ph(what: str, wall: float, info: dict, objective: float, z_ef: float) -> None:
    print(
        f"  {what:<45}{wall:8.2f} s   objective {objective:,.2f} after "
        f"{info['iterations']} iterations (PH itself {info['seconds']:.1f} s)"
    )
    print(
        f"    lower {info['lower_bound']:,.2f}, upper {info['upper_bound']:,.2f}, certified gap "
        f"{info['rel_gap']:.3%} (target {info['rel_gap_target']:.0%}: "
        f"{'reached' if info['gap_reached'] else 'NOT reached'}); |PH - EF| / EF = "
        f"{abs(objective - z_ef) / max(1.0, abs(z_ef)):.3%}"
    )


def cold_pair(model: str, scenario: str | None, pair: tuple[str, ...], period: int) -> float:
    from rsoi.lp.build import build
    from rsoi.lp.prepare import prepare
    from rsoi.model.loader import load_model
    from rsoi.model.schema import Attack

    loaded = load_model(model, scenario)
    for node in pair:
        loaded.spec.events.attacks.append(
            Attack(target=node, from_period=period, capacity_factor=0.0, source="bench")
        )
    lp, _ = build(prepare(loaded))
    h = make_highs(lp, None, loaded.spec.settings.solver)
    h.run()
    return h.getInfo().objective_function_value


def bench_interdict(model: str, cold: bool) -> None:
    net, t_load = clock(lambda: load_network(model, None))
    nodes = net.candidates
    print(f"interdict over {len(nodes)} friendly nodes, from period 1")
    print(f"  build the LP and the loss rows           {t_load:8.2f} s")
    if net.rebuild:  # losses also ground units: every set is a rebuilt solve (rsoi interdict)
        print(f"  {net.rebuild}")
        (pair, value), t_enum = clock(lambda: attack(net, 2, "enumerate"))
        print(
            f"  k=2 enumerate on the rebuilt LP (exact) {t_enum:8.2f} s   worst "
            f"{'+'.join(pair)} (objective {value:,.1f}); the MILP does not apply, k=3 skipped"
        )
        return
    (pair, value), t_milp = clock(lambda: attack(net, 2, "milp"))
    print(
        f"  k=2 MILP + certificate (exact)           {t_milp:8.2f} s   worst {'+'.join(pair)}"
        f" (objective {value:,.1f}; +{t_load:.2f} s build = {t_milp + t_load:.2f} s)"
    )
    (pair_w, value_w), t_warm = clock(lambda: worst_by_enumeration(net, 2))
    n_pairs = len(list(itertools.combinations(nodes, 2)))
    print(
        f"  k=2 enumerate {n_pairs} pairs warm            {t_warm:8.2f} s   worst "
        f"{'+'.join(pair_w)} (objective {value_w:,.1f})"
    )
    if cold:
        t = time.perf_counter()
        best = max((cold_pair(model, None, p, 1), p) for p in itertools.combinations(nodes, 2))
        t_cold = time.perf_counter() - t
        print(
            f"  k=2 enumerate {n_pairs} pairs cold            {t_cold:8.2f} s   worst "
            f"{'+'.join(best[1])} (objective {best[0]:,.1f})"
        )
        assert abs(best[0] - value) <= 1e-6 * max(1.0, abs(value)), "cold and MILP disagree"
        print(f"  MILP speed-up over cold enumeration      {t_cold / (t_milp + t_load):8.1f}x")
    assert abs(value_w - value) <= 1e-6 * max(1.0, abs(value)), "warm and MILP disagree"
    (triple, value3), t3 = clock(lambda: attack(net, 3, "milp"))
    print(
        f"  k=3 MILP + certificate (exact)           {t3:8.2f} s   worst {'+'.join(triple)}"
        f" (objective {value3:,.1f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "korea_taiwan.yaml"))
    parser.add_argument("--set", action="append", help="scenario set(s); default: every set")
    parser.add_argument("--no-cold", action="store_true", help="skip the cold enumeration")
    parser.add_argument("--no-ph", action="store_true", help="skip progressive hedging")
    parser.add_argument("--no-interdict", action="store_true", help="skip interdict")
    parser.add_argument("--no-mpi", action="store_true", help="skip the mpiexec -n 3 PH run")
    parser.add_argument(
        "--ph-time-limit", type=float, default=None, help="stop each PH run after this many seconds"
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # each figure shows as soon as it is measured
    from rsoi.model.loader import load_model

    sets = args.set or list(load_model(args.model, use_default=False).spec.scenario_sets)
    for set_name in sets:
        bench_hedge(args.model, set_name)
        if not args.no_ph:
            bench_ph(args.model, set_name, args.ph_time_limit, not args.no_mpi)
    if not args.no_interdict:
        bench_interdict(args.model, cold=not args.no_cold)


if __name__ == "__main__":
    main()
