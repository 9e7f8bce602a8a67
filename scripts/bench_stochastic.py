"""Benchmark of `rsoi hedge` and `rsoi interdict` on the shipped model (issue 12 goals).

Prints, in one run:

1. the hedged plan of each shipped set (or ``--set``) by the extensive form: its solve time
   beside the sum of the single-scenario solves, and progressive hedging's wall time beside
   the whole ``hedge --method ef`` (mpi-sppy, serial; stops on a 1% certified gap) with its
   bounds and the agreement with the extensive form (``--no-ph`` skips it);
2. `interdict --k 2` over the friendly nodes: the MILP proposal + certificate (exact) against enumerating
   all pairs cold (load, build and solve each pair from scratch, as `resilience` does a
   node), and against enumerating them warm; all three must find the same worst pair;
3. `interdict --k 3` with the MILP, which must finish.

Usage: ``PYTHONPATH=src python scripts/bench_stochastic.py [--model M] [--no-cold]``
"""

from __future__ import annotations

import argparse
import itertools
import sys
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


def bench_ph(model: str, set_name: str) -> None:
    ef, t_ef = clock(lambda: hedge(model, set_name, "ef"))
    ph, t_ph = clock(lambda: hedge(model, set_name, "ph"))
    info = ph.ph_info
    print(f"hedge {set_name}: progressive hedging (serial) beside the extensive form")
    print(
        f"  hedge --method ef (whole command)        {t_ef:8.2f} s   objective {ef.hedged_objective:,.2f}"
    )
    print(
        f"  hedge --method ph (whole command)        {t_ph:8.2f} s   objective {ph.hedged_objective:,.2f}"
        f" after {info['iterations']} iterations"
    )
    print(
        f"  PH bounds: lower {info['lower_bound']:,.2f}, upper {info['upper_bound']:,.2f}, "
        f"certified gap {info['rel_gap']:.3%}; |PH - EF| / EF = "
        f"{abs(ph.hedged_objective - ef.hedged_objective) / max(1.0, abs(ef.hedged_objective)):.3%}"
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
    args = parser.parse_args()
    from rsoi.model.loader import load_model

    sets = args.set or list(load_model(args.model, use_default=False).spec.scenario_sets)
    for set_name in sets:
        bench_hedge(args.model, set_name)
        if not args.no_ph:
            bench_ph(args.model, set_name)
    if not args.no_interdict:
        bench_interdict(args.model, cold=not args.no_cold)


if __name__ == "__main__":
    main()
