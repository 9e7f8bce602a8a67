r"""Progressive hedging for ``rsoi hedge --method ph``, on mpi-sppy, with a certified gap.

**Names.** The nonanticipative variables are the shared first-stage names
``family[entity,...,period]`` (each column's index tuple, not its position, which differs
between members), in the order of ``shared_keys``: mpi-sppy's skeleton variable
``nonantVars["ROOT", i]`` is name ``keys[i]`` in every member. A name a member lacks, or one
fixed to 0 in the extensive form, is fixed to 0 there.

**Subproblems.** mpi-sppy runs PH and its spokes in agnostic mode on
``rsoi.analysis.ph_guest.HighsGuest``: each member's LP stays in one warm HiGHS instance, with
a piecewise-linear proximal term in place of the quadratic one (proof of its bounds there).
The Pyomo bridge ``rsoi.lp.pyomo_model`` is not on this path: compiling each member through
``appsi_highs`` cost 7.5 s per solve on ``rheostat_poll``, against 0.17 s for a member solved
alone in HiGHS.

**Rho from the price scale** (mpi-sppy's ``rho_setter``; in the spirit of Watson & Woodruff
2011's cost-proportional rho, with shadow prices in place of the cost, since most first-stage
columns cost nothing and draw their value from the rows they enter). For first-stage name
$i$, with $y_s$ the shadow prices of member $s$ solved alone and $x_s$ its own plan,

$$ \rho_i = \texttt{RHO\_SCALE} \cdot \frac{\sum_s p_s \sum_r |a_{ri}|\,|y_{s,r}|}
   {\max\big(\sum_s p_s |x_{s,i} - \bar x_i|,\ \texttt{SPREAD\_FLOOR} \cdot \max(1, \max_s |x_{s,i}|)\big)} $$

(at least ``RHO_MIN``): the value of one unit of the column over how far the members' plans
differ on it, so that W_i moves by about its optimal multiplier per step in the column's own
unit (a ton of ammunition is worth hundreds, a share of a force millions). One rho for every
name (60,000, a tenth of the largest penalty) made PH's weights reach 1e10 on the shipped
sets, where the extensive form's nonanticipativity duals are at most 2.5e6.

**Certified gap** (Birge & Louveaux 2011, ch. 9; the bounds mpi-sppy's Lagrangian and xhat
spokes compute). Every ``GAP_EVERY`` iterations a converger computes, from PH's current
weights $W_s$ recentred so that $\sum_s p_s W_s = 0$,

$$ LB = \sum_s p_s \min_x \{ c_s^\top x + W_s^\top x_{\text{first}} : x \in X_s \}
   \le \min_{x_s \in X_s,\ x_{s,\text{first}} = \hat x} \sum_s p_s c_s^\top x_s = RP $$

(relaxing nonanticipativity with multipliers that sum to 0 lowers the optimum), and

$$ UB = \sum_s p_s \min_x \{ c_s^\top x : x \in X_s,\ x_{\text{first}} = \bar x \} \ge RP $$

for a plan $\bar x$ feasible in every member: PH's average first stage and, as mpi-sppy's
xhat-shuffle spoke does, each member's own first stage (PH's average rarely passes in every
member before PH has converged; the reference plans are tried first).
The relative gap $(UB - LB) / \max(1, |UB|)$ is certified; PH stops when it is at most
``rel_gap`` (``--rel-gap``, default 1%) or at ``time_limit``, never on agreement between the
members alone. The plan returned is the best $\bar x$ seen (the one with the least $UB$).
Both bounds are solved with HiGHS on rsoi's own LPs (warm, one instance per member).

**Processes.** Serial by default (PH with the converger above). Under MPI (``pip install
'rsoi[mpi]'``: the mpich and mpi4py wheels) with a multiple of three ranks, ``mpiexec -n 3
python -m mpi4py -m rsoi hedge --method ph`` runs mpi-sppy's hub and spokes: the PH hub, a
Lagrangian spoke (LB from the hub's weights) and an xhat-shuffle spoke (UB: each member's
first stage tried in every member); the hub stops when their gap is at most ``rel_gap`` or at
``time_limit``, the best xhat is evaluated again on rsoi's LPs beside the reference plans, and
the lower bound is the spoke's. With another number of ranks mpi-sppy spreads the members over
them and the converger gathers their weights. Only rank 0 writes the folder.

The lower bound starts at the wait-and-see value $WS = \sum_s p_s z_s$ (the bound for
$W = 0$, the members solved alone), so the gap is finite once a plan passes.
A Lagrangian subproblem would be unbounded when the weights price a zero-lag cycle below 0
(a force swinging korea to taiwan and back in one period, which no row bounds): every check
on the shipped sets was, so the lower bound stayed at WS. The subproblems (and PH's members)
therefore carry the upper bounds of ``ph_guest.implied_upper``, which cut off no optimum (proof there),
and every subproblem has a finite optimum. A subproblem HiGHS leaves without an answer is
solved once more from scratch, then counts as no bound.

**State on the shipped sets** (serial, ``--rel-gap 0.01``): ``rheostat_poll`` reaches a
certified gap of 0.79% in 25 iterations (21 s of PH; RP 37.12 M inside [36.95 M, 37.24 M]),
``ladder_korea_timing`` 0.996% in 25 iterations (156 s of PH; RP 15.10 M inside
[15.01 M, 15.16 M]); ``scripts/bench_stochastic.py`` prints the figures of the day.
"""

from __future__ import annotations

import contextlib
import io
import logging
import time
from typing import TYPE_CHECKING

import numpy as np

from rsoi.analysis.ph_guest import HighsGuest, member_highs, own_plans
from rsoi.errors import SolverError

if TYPE_CHECKING:
    import highspy

    from rsoi.analysis.hedge import HedgeResult, Member

GAP_EVERY = 5
"""PH iterations between two computations of the certified bounds."""

REL_GAP = 0.01
"""Default relative gap at which PH stops (``--rel-gap``)."""

CYLINDERS = 3
"""Ranks per hub-and-spoke wheel: the PH hub, the Lagrangian spoke, the xhat spoke."""

RHO_SCALE = 0.3
"""Fraction of price / spread taken as rho (0.3 reaches the 1% gap on both shipped sets)."""

SPREAD_FLOOR = 0.05
"""A spread below this fraction of the column's magnitude (at least 1 unit) counts as it."""

RHO_MIN = 1e-3
"""No name gets a rho below this (a column no priced row touches)."""

DEFAULT_OPTIONS: dict = {
    "PHIterLimit": 1000,
    "defaultPHrho": 1.0,  # replaced per variable by the rho setter
    "convthresh": -1.0,  # never stop on agreement: the converger stops on the gap
    "solver_name": "appsi_highs",  # named for mpi-sppy; the guest solves (ph_guest)
}
"""mpi-sppy settings; the stop is the certified gap (or the time limit)."""


def price_scale_rho(members: list[Member], keys: list[str], alone) -> np.ndarray:
    r"""rho_i = RHO_SCALE * price_i / spread_i (module doc): the value of a unit of name i
    over how far the members' own plans differ on it, so that one PH step moves W_i by about
    the size of its optimal multiplier, in the column's own unit (tons or shares)."""
    p = np.array([m.probability for m in members])
    price = np.zeros(len(keys))
    own = own_plans(members, keys, alone)
    for m in members:
        y = m.alone_row_dual if m.alone_row_dual is not None else np.zeros(m.lp.n_rows)
        column_price = abs(m.lp.matrix_csc()).T @ np.abs(y)
        for i, key in enumerate(keys):
            if key in m.first_stage:
                price[i] += m.probability * column_price[m.first_stage[key]]
    spread = p @ np.abs(own - p @ own)
    scale = np.maximum(spread, SPREAD_FLOOR * np.maximum(1.0, np.abs(own).max(axis=0)))
    return np.maximum(RHO_SCALE * price / scale, RHO_MIN)


class Bounds:
    """The certified bounds of module doc, on rsoi's LPs in HiGHS (one instance per member)."""

    def __init__(self, members: list[Member], keys: list[str], missing: list[str], alone):
        self.members, self.keys, self.alone = members, keys, alone
        # W = 0 is a valid multiplier: the wait-and-see value (the members alone) bounds RP
        # from below before any Lagrangian check has answered
        probability = np.array([m.probability for m in members])
        self.lower = float(probability @ np.array([a[1] for a in alone]))
        self.upper = np.inf
        self.plan: dict[str, float] | None = None
        self.history: list[tuple[int, float, float]] = []
        self.tried: set[tuple[float, ...]] = set()  # plans evaluated, rounded
        self.highs: list[highspy.Highs] = [member_highs(m, set(missing))[0] for m in members]

    def lagrangian(self, weights: dict[str, np.ndarray]) -> float:
        """LB for the weights W_s (by member name, over `keys`), recentred to sum to 0."""

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
            value = _lagrangian_value(h, f"scenario {m.name}: Lagrangian bound")
            if not np.isfinite(value):
                return -np.inf
            total += m.probability * value
        return total

    def evaluate(self, plan: dict[str, float]) -> float:
        """UB: the expected objective with the first stage fixed to `plan` (inf if it fails)."""
        from rsoi.analysis.hedge import evaluate_plan

        values, _ = evaluate_plan(self.alone, self.members, plan)
        return float(np.dot([m.probability for m in self.members], values))

    def offer(self, plan: dict[str, float]) -> None:
        """An xhat: keep `plan` if its expected objective beats the best upper bound (a plan
        already evaluated, to 1e-9, is not evaluated again: members' plans repeat as PH
        converges, and each evaluation is one solve per member)."""
        signature = tuple(np.round([plan.get(k, 0.0) for k in self.keys], 9).tolist())
        if signature in self.tried:
            return
        self.tried.add(signature)
        upper = self.evaluate(plan)
        if upper < self.upper:
            self.upper, self.plan = upper, dict(plan)

    def update(
        self,
        iteration: int,
        weights: dict[str, np.ndarray],
        plan: dict[str, float],
        own: dict[str, dict[str, float]] | None = None,
    ):
        """Both bounds at `iteration`: the Lagrangian from `weights`; xhats `plan` (PH's
        average) and every member's own first stage in `own` (as mpi-sppy's xhat-shuffle
        spoke tries them: PH's average is rarely feasible in every member before it
        converges, while a member with the tightest first stage has a plan that fits all)."""
        self.lower = max(self.lower, self.lagrangian(weights))
        self.offer(plan)
        for m in self.members:
            if own and m.name in own:
                self.offer(own[m.name])
        self.history.append((iteration, self.lower, self.upper))

    @property
    def gap(self) -> float:
        if not (np.isfinite(self.lower) and np.isfinite(self.upper)):
            return np.inf
        return max(0.0, (self.upper - self.lower) / max(1.0, abs(self.upper)))


def _lagrangian_value(h: highspy.Highs, what: str) -> float:
    """The optimum of one Lagrangian subproblem; -inf when W opens an unbounded ray (the
    weights are not yet dual feasible: no bound this time), +inf when infeasible."""
    import highspy

    from rsoi.lp.interrupt import run_highs

    answered = (
        highspy.HighsModelStatus.kOptimal,
        highspy.HighsModelStatus.kUnbounded,
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
        highspy.HighsModelStatus.kInfeasible,
    )
    run_highs(h)
    status = h.getModelStatus()
    if status not in answered:  # a warm start HiGHS could not finish: once more, cold
        h.clearSolver()
        run_highs(h)
        status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        return float(h.getInfo().objective_function_value)
    if status in (
        highspy.HighsModelStatus.kUnbounded,
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
    ):
        return -np.inf
    if status == highspy.HighsModelStatus.kInfeasible:
        return np.inf
    if status in (highspy.HighsModelStatus.kNotset, highspy.HighsModelStatus.kUnknown):
        return -np.inf  # HiGHS gave no answer even cold: no bound this time (the gap stays open)
    raise SolverError(f"{what}: HiGHS stopped with status '{h.modelStatusToString(status)}'")


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

        with _quiet_mpisppy():
            from mpisppy.agnostic.agnostic import Agnostic
            from mpisppy.convergers.converger import Converger
            from mpisppy.opt.ph import PH
    except ImportError as exc:  # the optional extra is not installed
        raise SolverError(
            f"--method ph needs mpi-sppy (pip install 'rsoi[stochastic]'): {exc}"
        ) from None

    rel_gap = REL_GAP if rel_gap is None else float(rel_gap)
    rho = price_scale_rho(members, keys, alone)
    bounds = Bounds(members, keys, missing, alone)
    start = time.perf_counter()
    for plan in candidates or []:
        bounds.offer(plan)

    guest = Agnostic(HighsGuest(members, keys, missing, alone), None)

    def rho_setter(scenario, **_kwargs):
        var = scenario.nonantVars
        return [(id(var["ROOT", i]), float(rho[i])) for i in range(len(keys))]

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
            weights, plan, own = _state(self.opt, keys, pyo)
            bounds.update(it, weights, plan, own)
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
        "Ag": guest,
    }
    settings.update(options)
    if _wheel_size() >= CYLINDERS:
        return _wheel(
            members, keys, guest, rho_setter, bounds, settings, rel_gap, time_limit, rho,
            start,
        )  # fmt: skip
    with contextlib.redirect_stdout(io.StringIO()):  # mpi-sppy prints progress
        ph = PH(
            settings,
            [m.name for m in members],
            guest.scenario_creator,
            rho_setter=rho_setter,
            ph_converger=GapConverger,
        )
        ph.ph_main(finalize=False)
    iterations = int(ph._PHIter)
    if not bounds.history or bounds.history[-1][0] != iterations:  # the last state, too
        weights, plan, own = _state(ph, keys, pyo)
        bounds.update(iterations, weights, plan, own)
    if bounds.plan is None or not np.isfinite(bounds.upper):
        raise SolverError(
            "progressive hedging found no plan feasible in every member; use --method ef"
        )
    return bounds.plan, _info(
        bounds, iterations, rel_gap, rho, start, int(getattr(ph, "cylinder_rank", 0)),
        "ph+converger",
    )  # fmt: skip


def _info(bounds, iterations, rel_gap, rho, start, rank, cylinders) -> dict:
    """PH's figures for hedge_summary.json and the printout."""
    return {
        "iterations": iterations,
        "lower_bound": float(bounds.lower),
        "upper_bound": float(bounds.upper),
        "rel_gap": float(bounds.gap),
        "rel_gap_target": rel_gap,
        "gap_reached": bool(bounds.gap <= rel_gap),
        "rho_min": float(rho.min()) if len(rho) else 0.0,
        "rho_max": float(rho.max()) if len(rho) else 0.0,
        "solver": "HiGHS (rsoi.analysis.ph_guest, mpi-sppy agnostic guest)",
        "seconds": time.perf_counter() - start,
        "bounds_history": [[int(i), float(lo), float(up)] for i, lo, up in bounds.history],
        "rank": int(rank),
        "cylinders": cylinders,
    }


@contextlib.contextmanager
def _quiet_mpisppy():
    """Import mpi-sppy without its side effects: it announces itself on stdout, and its
    cylinder modules open log files (hub.log, xhatclp.log, xhateval.log) in the working
    directory, which is the planner's folder, not ours to write in."""
    with contextlib.redirect_stdout(io.StringIO()):
        import mpisppy.log

        def setup_logger(name, out, level=logging.DEBUG, mode="w", fmt=None):
            logging.getLogger(name).setLevel(level)
            logging.getLogger(name).addHandler(logging.NullHandler())

        mpisppy.log.setup_logger = setup_logger
        yield


def _wheel_size() -> int:
    """The MPI world's size when it holds whole hub-and-spoke wheels (a multiple of
    CYLINDERS ranks), else 0 (serial, or PH's members spread over the ranks)."""
    with _quiet_mpisppy():
        from mpisppy import MPI, haveMPI
    size = MPI.COMM_WORLD.Get_size() if haveMPI else 1
    return size if size >= CYLINDERS and size % CYLINDERS == 0 else 0


def _wheel(members, keys, guest, rho_setter, bounds, settings, rel_gap, time_limit, rho,
           start):  # fmt: skip
    """Hub (PH) and two spokes (Lagrangian lower bound, xhat-shuffle upper bound) on
    mpi-sppy's WheelSpinner: the ranks are split into CYLINDERS cylinders, each holding every
    member (or a share, with more ranks). The hub stops when the spokes' bounds are within
    `rel_gap`; the plan is the best xhat, evaluated again on rsoi's LPs beside the reference
    plans (`bounds`), so the upper bound reported is rsoi's own; the lower bound is the spoke's.
    """
    with _quiet_mpisppy():
        import mpisppy.utils.cfg_vanilla as vanilla
        from mpisppy import MPI
        from mpisppy.spin_the_wheel import WheelSpinner
        from mpisppy.utils import config

    cfg = config.Config()
    cfg.popular_args()
    cfg.two_sided_args()
    cfg.ph_args()
    cfg.lagrangian_args()
    cfg.xhatshuffle_args()
    cfg.solver_name = settings["solver_name"]
    cfg.default_rho = settings["defaultPHrho"]
    cfg.max_iterations = settings["PHIterLimit"]
    cfg.rel_gap = rel_gap
    cfg.time_limit = time_limit
    cfg.lagrangian = cfg.xhatshuffle = True
    beans = (cfg, guest.scenario_creator, None, [m.name for m in members])
    hub = vanilla.ph_hub(*beans, rho_setter=rho_setter)
    spokes = [
        vanilla.lagrangian_spoke(*beans, rho_setter=rho_setter),
        vanilla.xhatshuffle_spoke(*beans),
    ]
    for cylinder in (hub, *spokes):
        cylinder["opt_kwargs"]["options"]["Ag"] = guest
    world = MPI.COMM_WORLD
    with contextlib.redirect_stdout(io.StringIO()):  # mpi-sppy prints progress
        wheel = WheelSpinner(hub, spokes)
        wheel.spin()
        winner = wheel._determine_innerbound_winner()  # the cylinder with the best xhat
    xhat = wheel.local_nonant_cache().get("ROOT") if winner else None
    found = [
        x
        for x in world.allgather(xhat if winner and wheel.spcomm.cylinder_rank == 0 else None)
        if x is not None
    ]
    hub_figures = None
    if wheel.global_rank == 0:
        hub_figures = (
            float(wheel.BestOuterBound),
            float(wheel.BestInnerBound),
            int(wheel.spcomm.opt._PHIter),
        )
    outer, inner, iterations = world.bcast(hub_figures, root=0)
    if found:
        bounds.offer({k: float(v) for k, v in zip(keys, found[0], strict=True)})
    bounds.lower = max(bounds.lower, outer)
    bounds.history.append((iterations, bounds.lower, bounds.upper))
    if bounds.plan is None or not np.isfinite(bounds.upper):
        raise SolverError(
            "progressive hedging found no plan feasible in every member; use --method ef"
        )
    info = _info(
        bounds,
        iterations,
        rel_gap,
        rho,
        start,
        world.Get_rank(),
        "hub+lagrangian+xhatshuffle",
    )
    info["spoke_outer_bound"], info["spoke_inner_bound"] = outer, inner
    return bounds.plan, info


def _state(
    opt, keys: list[str], pyo
) -> tuple[dict[str, np.ndarray], dict[str, float], dict[str, dict[str, float]]]:
    """PH's current weights W_s (by member), average first stage xbar (by name) and each
    member's own first stage (by member, then name)."""
    weights: dict[str, np.ndarray] = {}
    xbar: dict[str, float] = {}
    own: dict[str, dict[str, float]] = {}
    for name, scenario in opt.local_scenarios.items():
        model = scenario._mpisppy_model
        weights[name] = np.array([pyo.value(model.W[("ROOT", i)]) for i in range(len(keys))])
        nonants = scenario._mpisppy_data.nonant_indices
        own[name] = {k: float(nonants["ROOT", i]._value or 0.0) for i, k in enumerate(keys)}
        if not xbar:
            xbar = {k: float(pyo.value(model.xbars[("ROOT", i)])) for i, k in enumerate(keys)}
    comm = getattr(opt, "mpicomm", None)
    if comm is not None and comm.Get_size() > 1:  # members spread over ranks: gather them all
        for part in comm.allgather((weights, xbar, own)):
            weights.update(part[0])
            xbar = xbar or part[1]
            own.update(part[2])
    return weights, xbar, own


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
