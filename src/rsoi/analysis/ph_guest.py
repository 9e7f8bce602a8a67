r"""rsoi's members as an mpi-sppy *agnostic guest* on HiGHS: PH's subproblems without Pyomo.

mpi-sppy's agnostic mode (``mpisppy.agnostic``) runs PH, its Lagrangian and xhat spokes on a
skeleton Pyomo model that holds only the nonanticipative variables, and calls the guest for
every solve. Here each member's LP stays in one HiGHS instance (warm started from its last
basis): a PH solve of a ``rheostat_poll`` member costs a fraction of a second, against 7.5 s
through Pyomo and ``appsi_highs`` (measured with cProfile over three iterations).
``member_highs`` builds that instance (with ``implied_upper``'s caps) for the guest and for the
certified bounds of ``rsoi.analysis.ph`` alike.

**Proximal term.** HiGHS's QP solver does not finish these subproblems (two minutes without
an answer on one ``rheostat_poll`` member), so the term $\frac{\rho_i}{2}(x_i - \bar x_i)^2$
is replaced by the convex piecewise-linear function through it at the breakpoints
$\pm b_{ik}$, $b_{ik} = s_{f(i)} \cdot \texttt{PROX\_BREAKPOINTS}_k$, where $s_f$ is the
largest magnitude of family $f$ in the members' own plans (at least 1): tons for flows, shares
for forces. With $d_i = x_i - \bar x_i = \sum_k (u_{ik} - v_{ik})$, $0 \le u_{ik}, v_{ik} \le
b_{ik} - b_{i,k-1}$ (the last segment unbounded) and costs $\frac{\rho_i}{2}(b_{i,k-1} +
b_{ik})$ per unit (the secant's slope on segment $k$), the LP's optimum equals the quadratic
one's at the breakpoints and is above it between them. The row $x_i - \sum_k u_{ik} + \sum_k
v_{ik} = \bar x_i$ changes only its right-hand side between iterations, so HiGHS stays warm.

The function's kink at $d_i = 0$ has slope $\frac{\rho_i}{2} b_{i1}$; a PH fixed point is then
a Lagrangian optimum up to that slope, which is why the first breakpoint is tiny (a few parts in
$10^8$ of the family's magnitude): with a first breakpoint at $3^{-8}$ of it, PH stalled with
a certified gap of 2.5% on ``rheostat_poll``; with ``PROX_BREAKPOINTS`` below it reaches 1%.
Without the proximal term (the Lagrangian spoke, xhat evaluations) the segments cost 0 and the
row binds nothing.

**Callouts.** mpi-sppy calls the guest by the name of the function calling it
(``solve_one``, ``attach_Ws_and_prox``, ``_fix_nonants``...). The guest reads the host's W, rho,
xbar, the switches ``W_on``/``prox_on`` and each nonant's fixedness at every solve, so the
fixing callouts have nothing to do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    import highspy

    from rsoi.analysis.hedge import Member

PROX_BREAKPOINTS = 4.0 ** np.arange(-12, 4)
"""Breakpoints of the piecewise proximal term, as fractions of the family's magnitude."""

IMPLIED_SHARE_CAP = ("deploy", "swing", "share_change")
"""Families of force-share movements: at most the whole force (1) at some optimum."""


def implied_upper(member: Member) -> tuple[np.ndarray, np.ndarray]:
    r"""Upper bounds that some optimum of every member (and of the RP) respects, for the
    columns no bound or row caps: ``deploy``, ``swing`` and ``share_change`` at 1 (a share of
    one force), ``unit_move`` at the provider's unit count $N_u$. Returns (columns, bounds).

    Why they cut off no optimum: a swing appears only in the two ``force_position`` rows it
    links and costs nothing, so in any solution the swings of one force that form a cycle
    within a period (zero swing lag, korea to taiwan and back) can be cancelled together
    without changing any other row or the cost; what remains is a flow of the force's share
    along paths, at most the share present, which is at most 1 (home, theater and in-transit
    shares sum to 1). The same holds for ``unit_move`` (``unit_position`` rows, units summing
    to $N_u$). A departure from home is at most the home share, 1. A ``share_change`` costs
    $\beta \ge 0$ and only has to cover $|z_t - z_{t-1}| \le 1$. The cancellation is
    determined by the columns' values, so it maps a nonanticipative solution to one.

    Without them a Lagrangian subproblem is unbounded as soon as PH's weights price a
    zero-lag cycle below 0 (no bound from that check); with them every subproblem has a
    finite optimum, since every other first-stage column is capped by rows."""
    ids, upper = [], []
    counts = {u.id: float(u.count) for u in member.model.spec.providers}
    for fam, block in member.lp.variables.items():
        if not block.size:
            continue
        if fam in IMPLIED_SHARE_CAP:
            cap = np.ones(block.size)
        elif fam == "unit_move":
            cap = block.index["provider"].map(counts).to_numpy(float)
        else:
            continue
        ids.append(block.ids)
        upper.append(np.minimum(block.upper, cap))
    if not ids:
        return np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(ids), np.concatenate(upper)


def member_highs(member: Member, fixed: set[str]) -> tuple[highspy.Highs, np.ndarray, np.ndarray]:
    """The member's LP in HiGHS as PH solves it: ``implied_upper``'s caps, and the names in
    `fixed` (those some member cannot use) at 0. Returns (instance, lower, upper bounds)."""
    from rsoi.lp.highs_io import change_col_bounds, make_highs

    h = make_highs(member.lp, None, member.model.spec.settings.solver)
    lower, upper = member.lp.bounds()
    capped, cap = implied_upper(member)
    upper = upper.copy()
    upper[capped] = cap
    change_col_bounds(h, capped, lower[capped], cap)
    zero = [member.first_stage[k] for k in member.first_stage if k in fixed]
    if zero:
        change_col_bounds(h, zero, np.zeros(len(zero)), np.zeros(len(zero)))
    return h, lower, upper


def own_plans(members: list[Member], keys: list[str], alone) -> np.ndarray:
    """x_{s,i}: member s's own plan (solved alone) on name i, 0 where it lacks the name."""
    own = np.zeros((len(members), len(keys)))
    for s, (m, (_h, _z, x)) in enumerate(zip(members, alone, strict=True)):
        for i, key in enumerate(keys):
            if key in m.first_stage:
                own[s, i] = x[m.first_stage[key]]
    return own


def family_scale(members: list[Member], keys: list[str], alone) -> np.ndarray:
    """s_f for every name: the largest |x| of the name's family over the members' own plans,
    at least 1 (the unit of the proximal breakpoints)."""
    family = np.array([k.split("[", 1)[0] for k in keys])
    own = np.abs(own_plans(members, keys, alone)).max(axis=0, initial=0.0)
    scale = np.ones(len(keys))
    for f in np.unique(family):
        mask = family == f
        scale[mask] = max(1.0, own[mask].max())
    return scale


class HighsGuest:
    """mpi-sppy's agnostic guest for rsoi's members (module doc)."""

    def __init__(self, members: list[Member], keys: list[str], missing: list[str], alone):
        self.members = {m.name: m for m in members}
        self.keys, self.fixed = keys, set(missing)
        self.scale = family_scale(members, keys, alone)
        self.subproblems: dict[str, _Subproblem] = {}

    # mpi-sppy's side: the scenario creator and its callouts (named as mpi-sppy calls them)
    def scenario_creator(self, name: str) -> dict:
        import pyomo.environ as pyo

        member = self.members[name]
        self.subproblems[name] = sub = _Subproblem(member, self.keys, self.fixed, self.scale)
        nonants = [("ROOT", i) for i in range(len(self.keys))]
        return {
            "scenario": sub,
            "nonants": {n: n[1] for n in nonants},
            "nonant_fixedness": {n: bool(sub.fixed_zero[n[1]]) for n in nonants},
            "nonant_start": {n: 0.0 for n in nonants},
            "nonant_names": {n: self.keys[n[1]] for n in nonants},
            "probability": member.probability,
            "sense": pyo.minimize,
            "BFs": None,
        }

    def attach_Ws_and_prox(self, Ag, sname, scenario):
        """Nothing to attach: W, rho and xbar are read from the host at each solve."""

    def attach_PH_to_objective(self, Ag, sname, scenario, add_duals, add_prox):
        """Nothing to attach: the W and proximal costs are set at each solve."""

    def _disable_prox(self, Ag, scenario):
        """The host's ``prox_on`` is read at each solve."""

    _disable_W = _reenable_prox = _reenable_W = _disable_prox

    def _restore_nonants(self, Ag, s):
        """The host's nonant values and fixedness are read at each solve."""

    _restore_original_fixedness = _fix_nonants = _fix_root_nonants = _restore_nonants

    def solve_one(self, Ag, s, solve_keyword_args, gripe, tee=False, need_solution=True):
        """Solve member `s` with the host's W, proximal term and fixed nonants; hand back the
        nonants and the optimum (the outer bound, exact for an LP)."""
        sub: _Subproblem = s._agnostic_dict["scenario"]
        model = s._mpisppy_model
        data = s._mpisppy_data
        n = len(self.keys)
        nonants = [data.nonant_indices[("ROOT", i)] for i in range(n)]
        fixed = np.array([v.fixed for v in nonants])
        value = np.array([v._value if v._value is not None else 0.0 for v in nonants], float)
        w_on = hasattr(model, "W") and bool(model.W_on.value)
        prox_on = hasattr(model, "prox_on") and bool(model.prox_on.value)
        weights = np.array([model.W[("ROOT", i)]._value for i in range(n)]) if w_on else None
        if prox_on:
            rho = np.array([model.rho[("ROOT", i)]._value for i in range(n)])
            xbar = np.array([model.xbars[("ROOT", i)]._value for i in range(n)])
        else:
            rho = xbar = None
        x = sub.solve(weights, rho, xbar, fixed, value)
        if x is None:
            data.solution_available = False
            if gripe:
                print(f"no optimum for scenario {s.name}: {sub.status}")
            return
        data.solution_available = True
        for v, xi in zip(nonants, x, strict=True):
            v._value = float(xi)
        data.outer_bound = data.inner_bound = sub.objective


class _Subproblem:
    """One member's LP in HiGHS, with the implied caps, the unusable names fixed to 0 and
    the proximal columns (module doc); `solve` sets costs and bounds for one PH solve."""

    def __init__(self, member: Member, keys: list[str], fixed: set[str], scale: np.ndarray):
        from rsoi.lp.highs_io import add_cols, add_rows

        lp = member.lp
        self.h, lower, upper = member_highs(member, fixed)
        self.cost = lp.cost()
        n = len(keys)
        self.column = np.array([member.first_stage.get(k, -1) for k in keys])
        self.fixed_zero = np.array([k in fixed or k not in member.first_stage for k in keys])
        self.free = np.flatnonzero(~self.fixed_zero)  # names this member decides
        self.cols = self.column[self.free]
        self.lower, self.upper = lower[self.cols], upper[self.cols]
        # proximal rows x_i - sum u + sum v = xbar_i and segment columns u, v (module doc)
        k = len(self.free)
        self.rows = np.arange(lp.n_rows, lp.n_rows + k, dtype=np.int32)
        add_rows(self.h, np.zeros(k), np.zeros(k), sp.identity(k, format="csr"), self.cols)
        b = np.outer(scale[self.free], PROX_BREAKPOINTS)
        self.b_sum = b + np.hstack([np.zeros((k, 1)), b[:, :-1]])  # b_{k-1} + b_k
        width = np.diff(np.hstack([np.zeros((k, 1)), b]), axis=1)
        width[:, -1] = np.inf
        segments = len(PROX_BREAKPOINTS)
        ones = sp.csc_matrix(
            (np.ones(k * segments), (np.repeat(np.arange(k), segments), np.arange(k * segments))),
            shape=(k, k * segments),
        )
        first = lp.n_cols
        for sign in (-1.0, 1.0):  # u enters the row with -1, v with +1
            add_cols(self.h, np.zeros(k * segments), np.zeros(k * segments), width.ravel(),
                     sign * ones, self.rows)  # fmt: skip
        self.segment_cols = np.arange(first, first + 2 * k * segments, dtype=np.int32)
        self.n_model = lp.n_cols
        self.n = n
        self.status = ""
        self.objective = np.nan

    def solve(self, weights, rho, xbar, fixed, value) -> np.ndarray | None:
        """Nonant values at the optimum of cost + W x + prox (None without an optimum)."""
        import highspy

        from rsoi.lp.highs_io import change_col_bounds
        from rsoi.lp.interrupt import run_highs

        h = self.h
        cost = self.cost.copy()
        if weights is not None:
            cost[self.cols] += weights[self.free]
        h.changeColsCost(self.n_model, np.arange(self.n_model, dtype=np.int32), cost)
        if rho is not None:
            slope = (rho[self.free, None] / 2.0 * self.b_sum).ravel()
            h.changeColsCost(len(self.segment_cols), self.segment_cols, np.tile(slope, 2))
            h.changeRowsBounds(len(self.rows), self.rows, xbar[self.free], xbar[self.free])
        else:  # no proximal term: free segments, the rows bind nothing
            h.changeColsCost(
                len(self.segment_cols), self.segment_cols, np.zeros(len(self.segment_cols))
            )
        pin = fixed[self.free]
        lower = np.where(pin, value[self.free], self.lower)
        upper = np.where(pin, value[self.free], self.upper)
        change_col_bounds(h, self.cols, lower, upper)
        run_highs(h)
        status = h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:  # a warm start HiGHS could not finish
            h.clearSolver()
            run_highs(h)
            status = h.getModelStatus()
        self.status = h.modelStatusToString(status)
        if status != highspy.HighsModelStatus.kOptimal:
            self.objective = np.inf
            return None
        self.objective = float(h.getInfo().objective_function_value)
        x = np.zeros(self.n)
        x[self.free] = np.asarray(h.getSolution().col_value)[self.cols]
        return x
