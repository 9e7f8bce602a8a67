r"""Progressive hedging for ``rsoi hedge --method ph``, on mpi-sppy, with a certified gap.

**Names.** Each member's LP goes to Pyomo through ``rsoi.lp.pyomo_model.to_pyomo_environ``.
Its nonanticipative variables are not the exported columns (whose Pyomo names are column
positions, which differ between members) but one variable ``rsoi_first_stage[key]`` per
shared first-stage name ``family[entity,...,period]`` (the column's index tuple), tied to
the member's column by an equality row. The names are therefore identical in every member;
a name a member lacks, or one fixed to 0 in the extensive form, is fixed to 0 there.

**Rho from the cost scale** (mpi-sppy's ``rho_setter``): for first-stage name $i$,
$\rho_i = \max(\bar c_i,\ 0.1\, c_{\max})$ where $\bar c_i$ is the probability-weighted
$|c_{s,i}|$ over the members and $c_{\max}$ the largest $|c|$ of any column (the largest
penalty per unit), so a model whose units cost ~1,000 gets rho ~100, not 1.

**Certified gap** (Birge & Louveaux 2011, ch. 9; the bounds mpi-sppy's Lagrangian and xhat
spokes compute). Every ``GAP_EVERY`` iterations a converger computes, from PH's current
weights $W_s$ recentred so that $\sum_s p_s W_s = 0$,

$$ LB = \sum_s p_s \min_x \{ c_s^\top x + W_s^\top x_{\text{first}} : x \in X_s \}
   \le \min_{x_s \in X_s,\ x_{s,\text{first}} = \hat x} \sum_s p_s c_s^\top x_s = RP $$

(relaxing nonanticipativity with multipliers that sum to 0 lowers the optimum), and

$$ UB = \sum_s p_s \min_x \{ c_s^\top x : x \in X_s,\ x_{\text{first}} = \bar x \} \ge RP $$

for PH's average first stage $\bar x$ (any plan feasible in every member is an upper bound).
The relative gap $(UB - LB) / \max(1, |UB|)$ is certified; PH stops when it is at most
``rel_gap`` (``--rel-gap``, default 1%) or at ``time_limit``, never on agreement between the
members alone. The plan returned is the best $\bar x$ seen (the one with the least $UB$).
Both bounds are solved with HiGHS on rsoi's own LPs (warm, one instance per member).

**Processes.** Serial by default. Under MPI (``mpiexec -n N python -m mpi4py -m rsoi hedge
--method ph``, with ``pip install 'rsoi[mpi]'``) mpi-sppy spreads the members over the ranks;
the converger's bounds use the members local to each rank and are summed with an allreduce;
only rank 0 writes the folder.
"""

from __future__ import annotations

import contextlib
import io
import time
from typing import TYPE_CHECKING

import numpy as np

from rsoi.errors import SolverError

if TYPE_CHECKING:
    import highspy

    from rsoi.analysis.hedge import HedgeResult, Member

GAP_EVERY = 5
"""PH iterations between two computations of the certified bounds."""

REL_GAP = 0.01
"""Default relative gap at which PH stops (``--rel-gap``)."""

RHO_FLOOR = 0.1
"""rho_i is at least this fraction of the largest cost coefficient (the cost scale)."""

DEFAULT_OPTIONS: dict = {
    "PHIterLimit": 1000,
    "defaultPHrho": 1.0,  # replaced per variable by the rho setter
    "convthresh": -1.0,  # never stop on agreement: the converger stops on the gap
    "solver_name": "appsi_highs",
    "linearize_proximal_terms": True,  # the Pyomo HiGHS interface takes no quadratic term
    "proximal_linearization_tolerance": 1e-3,
}
"""mpi-sppy settings; the stop is the certified gap (or the time limit)."""


def cost_scale_rho(members: list[Member], keys: list[str]) -> np.ndarray:
    """rho_i = max(probability-weighted |c_{s,i}|, RHO_FLOOR * largest |c|) (module doc)."""
    weighted = np.zeros(len(keys))
    largest = 0.0
    for m in members:
        c = np.abs(m.lp.cost())
        largest = max(largest, float(c.max()) if len(c) else 0.0)
        for i, key in enumerate(keys):
            if key in m.first_stage:
                weighted[i] += m.probability * c[m.first_stage[key]]
    return np.maximum(weighted, max(RHO_FLOOR * largest, 1e-6))


class Bounds:
    """The certified bounds of module doc, on rsoi's LPs in HiGHS (one instance per member)."""

    def __init__(self, members: list[Member], keys: list[str], missing: list[str], alone):
        from rsoi.lp.highs_io import change_col_bounds, make_highs

        self.members, self.keys, self.alone = members, keys, alone
        self.lower, self.upper = -np.inf, np.inf
        self.plan: dict[str, float] | None = None
        self.history: list[tuple[int, float, float]] = []
        self.highs: list[highspy.Highs] = []
        fixed = set(missing)
        for m in members:
            h = make_highs(m.lp, None, m.model.spec.settings.solver)
            zero = [m.first_stage[k] for k in m.first_stage if k in fixed]
            if zero:
                change_col_bounds(h, zero, np.zeros(len(zero)), np.zeros(len(zero)))
            self.highs.append(h)

    def lagrangian(self, weights: dict[str, np.ndarray]) -> float:
        """LB for the weights W_s (by member name, over `keys`), recentred to sum to 0."""
        from rsoi.analysis.hedge import _run

        p = np.array([m.probability for m in self.members])
        stacked = np.array([weights[m.name] for m in self.members])
        stacked = stacked - p @ stacked  # sum_s p_s W_s = 0 exactly
        total = 0.0
        for m, h, w in zip(self.members, self.highs, stacked, strict=True):
            cost = m.lp.cost().copy()
            for i, key in enumerate(self.keys):
                if key in m.first_stage:
                    cost[m.first_stage[key]] += w[i]
            n = m.lp.n_cols
            h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
            result = _run(h, f"scenario {m.name}: Lagrangian bound")
            if result is None:
                return -np.inf
            total += m.probability * result[0]
        return total

    def evaluate(self, plan: dict[str, float]) -> float:
        """UB: the expected objective with the first stage fixed to `plan` (inf if it fails)."""
        from rsoi.analysis.hedge import evaluate_plan

        values, _ = evaluate_plan(self.alone, self.members, plan)
        return float(np.dot([m.probability for m in self.members], values))

    def offer(self, plan: dict[str, float]) -> None:
        """An xhat: keep `plan` if its expected objective beats the best upper bound."""
        upper = self.evaluate(plan)
        if upper < self.upper:
            self.upper, self.plan = upper, dict(plan)

    def update(self, iteration: int, weights: dict[str, np.ndarray], plan: dict[str, float]):
        self.lower = max(self.lower, self.lagrangian(weights))
        self.offer(plan)
        self.history.append((iteration, self.lower, self.upper))

    @property
    def gap(self) -> float:
        if not (np.isfinite(self.lower) and np.isfinite(self.upper)):
            return np.inf
        return max(0.0, (self.upper - self.lower) / max(1.0, abs(self.upper)))


def progressive_hedging(
    members: list[Member],
    keys: list[str],
    missing: list[str],
    alone,
    candidates: list[dict[str, float]] | None = None,
    rel_gap: float | None = None,
    time_limit: float | None = None,
    **options,
) -> tuple[dict[str, float], dict]:
    """Run PH until the certified gap is at most `rel_gap`; the best plan and PH's figures.

    `candidates` (the reference plans) seed the upper bound, as mpi-sppy's xhat spokes try
    scenario plans: the plan returned is never worse than any of them."""
    try:
        import pyomo.environ as pyo

        with contextlib.redirect_stdout(io.StringIO()):  # mpi-sppy announces itself on import
            from mpisppy.convergers.converger import Converger
            from mpisppy.opt.ph import PH
            from mpisppy.utils import sputils
    except ImportError as exc:  # the optional extra is not installed
        raise SolverError(
            f"--method ph needs mpi-sppy (pip install 'rsoi[stochastic]'): {exc}"
        ) from None
    from rsoi.lp.pyomo_model import environ_columns, to_pyomo_environ

    rel_gap = REL_GAP if rel_gap is None else float(rel_gap)
    by_name = {m.name: m for m in members}
    fixed_zero = set(missing)
    rho = cost_scale_rho(members, keys)
    bounds = Bounds(members, keys, missing, alone)
    start = time.perf_counter()
    for plan in candidates or []:
        bounds.offer(plan)

    def scenario_creator(name: str):
        member = by_name[name]
        model = to_pyomo_environ(member.lp)
        columns = environ_columns(model, member.lp)
        model.rsoi_first_stage = pyo.Var(keys, within=pyo.Reals)
        model.rsoi_tie = pyo.ConstraintList()
        for key in keys:
            var = model.rsoi_first_stage[key]
            if key in member.first_stage and key not in fixed_zero:
                model.rsoi_tie.add(var == columns[member.first_stage[key]])
            else:
                var.fix(0.0)
                if key in member.first_stage:
                    columns[member.first_stage[key]].fix(0.0)
        sputils.attach_root_node(model, 0.0, [model.rsoi_first_stage[k] for k in keys])
        model._mpisppy_probability = member.probability
        return model

    def rho_setter(scenario, **_kwargs):
        return [(id(scenario.rsoi_first_stage[k]), float(rho[i])) for i, k in enumerate(keys)]

    class GapConverger(Converger):
        """Stops PH on the certified gap (module doc), checked every GAP_EVERY iterations."""

        def __init__(self, opt):
            super().__init__(opt)
            self.opt = opt

        def is_converged(self) -> bool:
            it = int(self.opt._PHIter)
            over = time_limit is not None and time.perf_counter() - start >= time_limit
            if it % GAP_EVERY and not over:
                return False
            weights, plan = _state(self.opt, keys, pyo)
            bounds.update(it, weights, plan)
            self.conv = bounds.gap
            return bounds.gap <= rel_gap or over

    settings = {
        **DEFAULT_OPTIONS,
        "asynchronousPH": False,
        "verbose": False,
        "display_timing": False,
        "display_progress": False,
        "iter0_solver_options": {},
        "iterk_solver_options": {},
        "toc": False,
        "time_limit": None,
    }
    settings.update(options)
    with contextlib.redirect_stdout(io.StringIO()):  # mpi-sppy prints progress
        ph = PH(
            settings,
            [m.name for m in members],
            scenario_creator,
            rho_setter=rho_setter,
            ph_converger=GapConverger,
        )
        ph.ph_main(finalize=False)
    iterations = int(ph._PHIter)
    if not bounds.history or bounds.history[-1][0] != iterations:  # the last state, too
        weights, plan = _state(ph, keys, pyo)
        bounds.update(iterations, weights, plan)
    if bounds.plan is None or not np.isfinite(bounds.upper):
        raise SolverError(
            "progressive hedging found no plan feasible in every member; use --method ef"
        )
    info = {
        "iterations": iterations,
        "lower_bound": float(bounds.lower),
        "upper_bound": float(bounds.upper),
        "rel_gap": float(bounds.gap),
        "rel_gap_target": rel_gap,
        "gap_reached": bool(bounds.gap <= rel_gap),
        "rho_min": float(rho.min()) if len(rho) else 0.0,
        "rho_max": float(rho.max()) if len(rho) else 0.0,
        "solver": settings["solver_name"],
        "seconds": time.perf_counter() - start,
        "bounds_history": [[int(i), float(lo), float(up)] for i, lo, up in bounds.history],
        "rank": int(getattr(ph, "cylinder_rank", 0)),
    }
    return bounds.plan, info


def _state(opt, keys: list[str], pyo) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """PH's current weights W_s (by member) and average first stage xbar (by name)."""
    weights: dict[str, np.ndarray] = {}
    xbar: dict[str, float] = {}
    for name, scenario in opt.local_scenarios.items():
        model = scenario._mpisppy_model
        weights[name] = np.array([pyo.value(model.W[("ROOT", i)]) for i in range(len(keys))])
        if not xbar:
            xbar = {k: float(pyo.value(model.xbars[("ROOT", i)])) for i, k in enumerate(keys)}
    comm = getattr(opt, "mpicomm", None)
    if comm is not None and comm.Get_size() > 1:  # members spread over ranks: gather them all
        for part in comm.allgather((weights, xbar)):
            weights.update(part[0])
            xbar = xbar or part[1]
    return weights, xbar


def certify(result: HedgeResult) -> None:
    """A PH plan is reported as hedged only if its upper bound is at or below the expected
    objective of both reference plans (the expected-value plan's and the default scenario's
    first stage): otherwise PH has not done better than not hedging, and rsoi says so."""
    info = result.ph_info
    reference = min(result.ev.eev, result.default.eev)
    upper = info["upper_bound"]
    info["hedged"] = bool(upper <= reference + 1e-9 * max(1.0, abs(reference)))
    if not info["hedged"]:
        raise SolverError(
            f"progressive hedging's plan ({upper:,.2f}) is no better than the reference plan "
            f"({reference:,.2f}) after {info['iterations']} iterations (certified gap "
            f"{info['rel_gap']:.2%}); fix: use --method ef, or raise --time-limit"
        )
