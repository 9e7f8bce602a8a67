r"""The worst k losses: the attacker-defender model on rsoi's LP (``rsoi interdict``).

**Inner problem.** The scenario's LP $\min\{c^\top x : L \le Ax \le U,\ l \le x \le u\}$.
Losing friendly node $p$ from period $P$ sets its capacity factor to 0 from $P$ on, as
``resilience`` does: the rows $I_p$ it caps (``place_throughput[p,t]`` and
``airfield_mog[p,t]`` for $t \ge P$, found by building the LP with and without the loss)
get the upper bound $U^1_i = 0$ instead of $U^0_i$. With binaries $w_p$ (1 = node lost):

$$ z(w) = \min_x \{ c^\top x : L \le Ax \le U^0 - \textstyle\sum_p w_p \sum_{i \in I_p}
   (U^0_i - U^1_i) e_i,\ l \le x \le u \} $$

**Outer problem.** $\max_w z(w)$ s.t. $\sum_p w_p = k$, $w \in \{0,1\}$ (the increase over
the undamaged optimum is $z(w) - z(0)$).

**Dualised single MILP** (Brown, Carlyle, Salmerón and Wood 2006). By LP duality, with
$\alpha \ge 0$ ($\beta \ge 0$) the duals of the finite lower (upper) row bounds and
$\rho \ge 0$ ($\mu \ge 0$) those of the finite lower (upper) column bounds,

$$ \max_{w, \alpha, \beta, \rho, \mu, v} \; L^\top \alpha - U^{0\top} \beta + l^\top \rho - u^\top \mu
   + \sum_p \sum_{i \in I_p} (U^0_i - U^1_i)\, v_i $$

$$ \text{s.t.}\quad A^\top(\alpha - \beta) + \rho - \mu = c, \qquad
   v_i \le \beta_i, \qquad v_i \le M_i\, w_{p(i)}, \qquad \sum_p w_p = k, \qquad
   \alpha, \beta, \rho, \mu, v \ge 0 $$

($v_i$ linearises the product $w_p \beta_i$). **Bounds on the duals, and why they are
checked.** With the bound $v_i \le M_i w_p$ the MILP's value for a set $S$ is, by LP
duality, the optimum of the inner LP in which each lost unit of capacity can be bought back
at price $M_i$: $\Phi_M(S) \le z(S)$, with equality exactly when buying back is not worth
it, i.e. when some optimal dual of $S$'s inner LP has $\beta_i \le M_i$ on every lost row
($z$ is convex in the row bounds, so an optimal dual is a subgradient and bounds the gain of
any buy-back). The starting bound is the largest penalty per ton, $M_i = \bar W$ for
``place_throughput`` rows and $M_i = \pi \bar W$ for ``airfield_mog`` rows ($\pi$ tons per
sortie). It does **not** hold in general: storage breaks it (a ton that cannot pass a lost
port can be stranded at a full depot and displace other cargo, so one ton of lost throughput
can cost several tons short; tests/test_interdict.py has such a case where the true dual is
twice $\bar W$). So rsoi checks it: every inner LP it solves (each single loss, each greedy
set, each set the MILP picks) reports the duals of its lost rows, and when one exceeds its
bound, every bound is scaled by the largest ratio seen and the MILP solved again (the
single losses are always evaluated first; a picked set whose duals do not fit at least
doubles the bounds), until the set it picks satisfies its bounds or after ``MAX_BOUND_ROUNDS`` (``dual_bound_scale`` in
``interdict_summary.json``). At that point the picked set $S^*$ has $\Phi_M(S^*) = z(S^*)$
and $\Phi_M(S^*) \ge \Phi_M(S)$ for every $S$, so $S^*$ is the worst among all sets whose
duals fit the final bounds; a set whose duals exceed even those could still be worse, which
only the certificate rules out. So the MILP is only a *proposal*.

**Exact certificate** (:func:`certify`, always run after the proposal): primal cuts that
hold for any LP of this form, no dual bound assumed. (1) Monotonicity: losing a node only
lowers upper row bounds, so $S \subseteq T \Rightarrow z(S) \le z(T)$ and $\bar Z = z(C)$
(every unprotected candidate lost) bounds all sets. (2) Feasibility: if $\hat x_T$ is
optimal with $T$ lost and uses the capacity rows of the candidates $U_T$ only, it stays
feasible when any $S$ with $S \cap U_T = \emptyset$ is lost, so $z(S) \le z(T)$. The
master $\max \eta$ s.t. $\eta \le z(T) + (\bar Z - z(T)) \sum_{p \in U_T} w_p$ for every
evaluated $T$, $\eta \le \bar Z$, $\sum_p w_p = k$ bounds every $z(S)$ from above; it is
re-solved, and its set evaluated, until its bound meets the best evaluated set (a set's own
cut caps the master at $z(S)$ there, so the loop is finite; at worst it enumerates). The
reported ``upper_bound`` is the master's final bound: equal to the objective when proved
(Israeli and Wood 2002 use the same cut from inner solutions). **Verification:** before
reporting, rsoi re-solves the inner LP of the chosen set and of the greedy set, and never
reports a set that is better for the attacker than one it has evaluated (column
``found_by``: ``milp``, ``certificate``, ``enumerate``, ``greedy`` or ``seen``).

**Losses that change more than bounds.** The model above holds while losing a node only
lowers the upper bounds of its capacity rows. The first candidate's loss is checked against
a rebuild of the LP with the loss as an attack; when the rebuild differs in anything else
(on the shipped model an attack also degrades the units at the base and what they launch:
``unit_launch`` rows and coefficients, ``rules.at_attacked_place``), the MILP and the
certificate's cuts no longer describe the loss. Then every set is evaluated on its own
rebuilt LP (the warm engine of ``resilience``: exact, one rebuild per set) and the method is
enumeration, whatever was asked; the summary's ``method_note`` says why.

**Enumeration** (``--method enumerate``, and the cross-check): every $k$-subset of the
candidates re-solved warm from the undamaged basis (``changeRowsBounds``, then restored).

**Greedy** (for comparison): the $k$ nodes with the largest single-loss increases (the
``resilience`` ranking), lost together.

**Hardening** (``--harden M``, defender-attacker-defender): choose $M$ nodes that cannot be
lost so that the worst $k$ losses among the others hurt least. Exact by the branching rule
of Brown et al.: an optimal hardening set contains a node of the attacker's best set
against the current hardening (else that attack still works), so the search branches on
the $\le k$ nodes of each best attack, solving one attacker problem per branch
($\le \sum_{j \le M} k^j$ attacker solves).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from rsoi.errors import Problem, SolverError, did_you_mean
from rsoi.lp.highs_io import (
    HIGHS_INF,
    change_row_bounds,
    configured_highs,
    is_infeasible,
    is_optimal,
    make_highs,
    objective_value,
    pass_arrays,
    read_point,
    status_text,
)
from rsoi.lp.interrupt import run_highs
from rsoi.lp.program import LinearProgram
from rsoi.model.families import attack_scaled
from rsoi.model.loader import geodata_dir

if TYPE_CHECKING:  # HiGHS is reached through rsoi.lp.highs_io
    import highspy

KIND_GROUPS: dict[str, set[str]] = {
    "ports": {"seaport", "naval_base"},
    "airfields": {"airbase"},
    "depots": {"depot", "army_base", "maintenance_facility", "staging_area"},
}
"""Candidate groups of ``--candidates`` by place kind (a place with MOG counts as an airfield)."""

INTERDICTED_FAMILIES = tuple(f for f, entity in attack_scaled().items() if entity == "place")
"""Place capacities an interdiction removes (rsoi.model.families: attack-scaled, per place)."""
LOSS_LAYER = "worst_losses"  # the map layer of plan.gpkg

USE_TOL = 1e-7
"""A capacity row with activity at most this (HiGHS's primal feasibility tolerance) is unused."""

GAP_TOL = 1e-9
"""Relative gap at which the certificate stops: upper bound <= best seen * (1 + GAP_TOL)."""


@dataclass
class Network:
    """The scenario's LP, live in HiGHS, and what losing each candidate changes."""

    model_path: Path
    scenario: str | None
    from_period: int
    lp: LinearProgram
    ctx: object
    highs: highspy.Highs
    base_objective: float
    candidates: list[str]
    rows: dict[str, np.ndarray]  # node -> global rows whose upper bound the loss changes
    new_upper: dict[str, np.ndarray]
    bound: dict[str, np.ndarray]  # node -> M_i per row
    coords: dict[str, tuple[float, float]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    basemap: Path | None = None  # the model's geodata/basemap.gpkg, for the report's map
    solves: int = 0
    bound_scale: float = 1.0  # every M_i is bound[p] * bound_scale (raised where duals exceed it)
    needed_scale: float = 1.0  # the least scale every dual seen so far fits under
    seen: dict[tuple[str, ...], float] = field(default_factory=dict)  # set -> true optimum
    used: dict[tuple[str, ...], frozenset[str]] = field(default_factory=dict)  # set -> U(x_T)
    rebuild: str = ""  # why losses are evaluated by rebuilding the LP ("" : bounds suffice)

    def usable_method(self, method: str) -> str:
        """`method`, except "enumerate" when losses need a rebuilt LP (`rebuild`): the
        dualised MILP and its certificate model a loss as lowered row bounds only."""
        return "enumerate" if self.rebuild else method

    def objective(self, lost: tuple[str, ...]) -> float:
        """Optimum with `lost` nodes lost: a warm re-solve, bounds restored afterwards. Records
        the set's value in `seen` and checks the duals of its lost rows against the bounds."""
        lost = tuple(sorted(lost))
        if not lost:
            if () not in self.used:
                self.seen[()] = self.base_objective
                self.used[()] = self.uses(read_point(self.highs).row_value)
            return self.base_objective
        if self.rebuild:
            return self._rebuilt_objective(lost)
        rows = np.concatenate([self.rows[p] for p in lost]).astype(np.int32)
        new = np.concatenate([self.new_upper[p] for p in lost])
        lo, up = self.lp.row_bounds()
        h = self.highs
        change_row_bounds(h, rows, lo[rows], new)
        run_highs(h)
        self.solves += 1
        optimal = is_optimal(h)
        if optimal:
            point = read_point(h)
            self.used[lost] = self.uses(point.row_value)
            duals = np.abs(point.row_dual[rows])
            bound = np.concatenate([self.bound[p] for p in lost])
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(bound > 0, duals / bound, np.where(duals > 1e-9, np.inf, 0.0))
            if len(ratio):
                self.needed_scale = max(self.needed_scale, float(ratio.max()))
        value = objective_value(h) if optimal else np.inf if is_infeasible(h) else None
        stopped = status_text(h)  # before the bounds change resets it
        change_row_bounds(h, rows, lo[rows], up[rows])
        if value is None:
            raise SolverError(f"losing {', '.join(lost)}: HiGHS stopped with status {stopped}")
        self.seen[lost] = float(value)
        return float(value)

    def _rebuilt_objective(self, lost: tuple[str, ...]) -> float:
        """The optimum with `lost` applied as attacks and the LP rebuilt (the warm engine of
        ``resilience``): exact whatever else an attack changes (the units at the base)."""
        from rsoi.analysis.warm import solve_variant
        from rsoi.model.variant import Variant

        attacks = tuple((p, self.from_period, 0.0) for p in lost)
        r = solve_variant(
            str(self.model_path), self.scenario, Variant("-".join(lost), attacks=attacks)
        )
        self.solves += 1
        if r.status == "infeasible":
            value = np.inf
        elif r.status != "optimal":
            raise SolverError(f"losing {', '.join(lost)}: {r.status} {r.error}".strip())
        else:
            value = r.objective
        self.seen[lost] = float(value)
        return float(value)

    def uses(self, row_value: np.ndarray) -> frozenset[str]:
        """U(x): candidates whose capacity rows carry activity above HiGHS's primal
        feasibility tolerance in a solution x (x stays feasible if any other node is lost)."""
        return frozenset(
            p
            for p in self.candidates
            if len(self.rows[p]) and float(np.max(row_value[self.rows[p]])) > USE_TOL
        )


def _candidate_ids(prep, spec: str, where: str) -> list[str]:
    """Friendly (South Korean) nodes with cargo or aircraft capacity, filtered by kind or id."""
    friendly = [
        p
        for p in prep.spec.places
        if prep.place_by_id[p.id].country == "KR"
        and (p.cargo_t_per_day is not None or p.mog is not None)
    ]
    out: list[str] = []
    for token in (t.strip() for t in spec.split(",") if t.strip()):
        if token in KIND_GROUPS:
            for p in friendly:
                kind = str(prep.place_by_id[p.id].kind or "")
                kind = kind.split(".")[-1]
                airfield = token == "airfields" and p.mog is not None
                if (kind in KIND_GROUPS[token] or airfield) and p.id not in out:
                    out.append(p.id)
        elif token in prep.place_by_id:
            if token not in out:
                out.append(token)
        else:
            raise Problem.about(
                "--candidates",
                "--candidates",
                f"'{token}' is neither a place id nor one of {', '.join(KIND_GROUPS)}",
                did_you_mean(token, [*KIND_GROUPS, *prep.place_by_id])
                or f"use {', '.join(KIND_GROUPS)} or place ids",
            )
    return sorted(out)


def load_network(
    model_path: str | Path,
    scenario: str | None,
    candidates: str = "ports,airfields,depots",
    from_period: int = 1,
    verify: bool = False,
) -> Network:
    """Build the scenario's LP once and, per candidate, the rows its loss changes.

    The LP is rebuilt with a loss applied as an attack (as ``resilience`` does) for the first
    candidate, or every candidate with `verify`, to check that exactly the rows of
    :func:`lost_rows` change, and only to 0."""
    from rsoi.analysis.common import check_from_period
    from rsoi.lp.build import build
    from rsoi.lp.prepare import prepare
    from rsoi.model.loader import load_model, read_yaml

    model_path = Path(model_path)
    doc = read_yaml(model_path)
    loaded = load_model(model_path, scenario, document=doc)
    check_from_period(loaded.spec, from_period)
    prep = prepare(loaded)
    lp, ctx = build(prep)
    nodes = _candidate_ids(prep, candidates, "--candidates")
    rows: dict[str, np.ndarray] = {}
    new_upper: dict[str, np.ndarray] = {}
    bound: dict[str, np.ndarray] = {}
    family_of = np.empty(lp.n_rows, dtype=object)
    for name, block in lp.constraints.items():
        family_of[block.start : block.start + block.size] = name
    w_bar = max((prep.priority_weight[d.priority] for d in prep.demands), default=0.0)
    air = loaded.spec.modes.get("air")
    payload = air.payload_t_per_sortie if air is not None and air.payload_t_per_sortie else 0.0
    for node in nodes:
        rows[node] = lost_rows(lp, node, from_period)
        new_upper[node] = np.zeros(len(rows[node]))
        bound[node] = np.where(family_of[rows[node]] == "airfield_mog", payload * w_bar, w_bar)
    # the first candidate is always checked against a rebuild (a guard against the builder
    # applying attack factors to more rows one day); `verify` checks them all
    rebuild = ""
    for node in nodes if verify else nodes[:1]:
        try:
            verify_loss_rule(lp, model_path, scenario, node, from_period, doc)
        except SolverError:
            rebuild = (
                f"losing {node} changes more than its capacity rows (attacks also degrade the "
                "units there and what they launch), so each set is re-solved on the rebuilt LP "
                "and every set is enumerated"
            )
            break
    h = make_highs(lp, None, loaded.spec.settings.solver)
    run_highs(h)
    if not is_optimal(h):
        raise SolverError("the undamaged scenario has no optimal solution")
    return Network(
        model_path=model_path,
        scenario=loaded.scenario,
        from_period=from_period,
        lp=lp,
        ctx=ctx,
        highs=h,
        base_objective=objective_value(h),
        candidates=nodes,
        rows=rows,
        new_upper=new_upper,
        bound=bound,
        coords={p: tuple(prep.coords[p]) for p in nodes},
        names={p.id: p.name or p.id for p in prep.spec.places if p.id in set(nodes)},
        basemap=geodata_dir(model_path, prep.spec) / "basemap.gpkg",
        rebuild=rebuild,
    )


def lost_rows(lp: LinearProgram, node: str, from_period: int) -> np.ndarray:
    """Global rows a loss of `node` from `from_period` sets to 0 (its capacity rows)."""
    out = []
    for family in INTERDICTED_FAMILIES:
        block = lp.constraints.get(family)
        if block is None or block.size == 0:
            continue
        idx = block.index
        hit = (idx["place"].astype(str) == node).to_numpy() & (
            idx["period"].to_numpy() >= from_period
        )
        out.append(block.start + np.flatnonzero(hit))
    return np.concatenate(out) if out else np.zeros(0, np.int64)


def verify_loss_rule(
    lp: LinearProgram, model_path: Path, scenario: str | None, node: str, from_period: int, doc
) -> None:
    """Rebuild with the loss as an attack; only the rows of `lost_rows` may change, to 0."""
    from rsoi.lp.build import build
    from rsoi.lp.prepare import prepare
    from rsoi.model.loader import load_model
    from rsoi.model.schema import Attack

    hit = load_model(model_path, scenario, document=doc)
    hit.spec.events.attacks.append(
        Attack(target=node, from_period=from_period, capacity_factor=0.0, source="interdict")
    )
    lp1, _ = build(prepare(hit))
    lo0, up0 = lp.row_bounds()
    lo1, up1 = lp1.row_bounds()
    same = (
        lp1.n_rows == lp.n_rows
        and lp1.n_cols == lp.n_cols
        and (lp.matrix_csc() != lp1.matrix_csc()).nnz == 0
        and np.array_equal(lo0, lo1)
        and all(np.array_equal(a, b) for a, b in zip(lp.bounds(), lp1.bounds(), strict=True))
        and np.array_equal(lp.cost(), lp1.cost())
    )
    expected = up0.copy()
    expected[lost_rows(lp, node, from_period)] = 0.0
    if not same or not np.array_equal(up1, expected):
        raise SolverError(f"losing {node} changes the LP beyond its capacity rows")


# --- the attacker's problem --------------------------------------------------------------


def worst_by_enumeration(
    net: Network, k: int, protected: frozenset[str] = frozenset()
) -> tuple[tuple[str, ...], float]:
    """Every k-subset of the unprotected candidates, warm; ties go to the first in sort order."""
    pool = [p for p in net.candidates if p not in protected]
    best: tuple[tuple[str, ...], float] | None = None
    for subset in itertools.combinations(pool, min(k, len(pool))):
        value = net.objective(subset)
        if best is None or value > best[1] + 1e-9 * max(1.0, abs(best[1])):
            best = (subset, value)
    return best if best is not None else ((), net.base_objective)


MAX_BOUND_ROUNDS = 5
"""Re-solves of the proposing MILP with raised dual bounds (each at least doubles them); the
certificate (:func:`certify`) makes the answer exact whatever the proposal."""


def worst_by_milp(
    net: Network, k: int, protected: frozenset[str] = frozenset()
) -> tuple[tuple[str, ...], float]:
    """The dualised attacker MILP as a *proposal* (module docstring): solve, re-solve the
    chosen set's inner LP, raise the bounds if a dual of a lost row exceeds them, repeat a few
    times. Returns the best set it picked and its primal optimum (exactness comes from
    :func:`certify`, not from here)."""
    pool = [p for p in net.candidates if p not in protected]
    if k <= 0 or not pool:
        return (), net.base_objective
    for p in net.candidates:  # every single loss checks the bounds on its node's rows
        if (p,) not in net.seen:
            net.objective((p,))
    best: tuple[tuple[str, ...], float] | None = None
    for _ in range(MAX_BOUND_ROUNDS):
        net.bound_scale = max(net.bound_scale, net.needed_scale)
        chosen = milp_proposal(net, k, protected)
        value = net.objective(chosen)
        if best is None or value > best[1]:
            best = (chosen, value)
        if net.needed_scale <= net.bound_scale * (1 + 1e-9):
            break
        net.needed_scale = max(net.needed_scale, 2 * net.bound_scale)
    assert best is not None
    return best


@dataclass
class Certificate:
    """What :func:`certify` proved: `worst` is a worst set of its size avoiding the protected
    nodes, within `upper_bound` (a bound on every such set's optimum)."""

    worst: tuple[str, ...]
    value: float
    upper_bound: float
    rounds: int  # master problems solved
    evaluated: int  # inner LPs solved by the certificate itself

    @property
    def gap(self) -> float:
        """Relative gap (upper bound - best) / max(1, |best|); 0 when proved optimal."""
        if not np.isfinite(self.value):
            return 0.0
        return max(0.0, (self.upper_bound - self.value) / max(1.0, abs(self.value)))


def certify(net: Network, k: int, protected: frozenset[str] = frozenset()) -> Certificate:
    r"""The exact worst set of size k (among unprotected candidates), by primal cuts.

    **Bounds that hold by construction.** Write $z(S)$ for the inner optimum with the set $S$
    lost. (1) Losing a node only lowers upper row bounds, so the feasible set shrinks and
    $S \subseteq T \Rightarrow z(S) \le z(T)$; with $C$ the unprotected candidates,
    $\bar Z = z(C)$ bounds every $z(S)$. (2) For any evaluated set $T$ with optimal solution
    $\hat x_T$, let $U_T$ be the candidates whose capacity rows $\hat x_T$ uses. If $S$
    avoids $U_T$, then $\hat x_T$ is feasible with $S$ lost (its rows for $S$ already carry
    nothing), so $z(S) \le c^\top \hat x_T = z(T)$. Hence for every $w$ of a set $S$

    $$ z(S) \le z(T) + (\bar Z - z(T)) \textstyle\sum_{p \in U_T} w_p $$

    (if some $w_p = 1$ the right side is at least $\bar Z$). **Master:** $\max \eta$ subject to
    these cuts for every evaluated $T$, $\eta \le \bar Z$, $\sum_p w_p = k$, binary $w$ (a
    few dozen binaries). Its optimum bounds every $z(S)$ from above. **Loop:** solve the
    master; if its bound is at most the best evaluated set of size k, that set is optimal;
    else evaluate the master's set $S$ (one warm LP) and add its cut. A set's own cut caps
    the master at $z(S)$ there, so no set is proposed twice and the loop ends (at worst after
    every set). No dual bound is assumed anywhere; the MILP's proposal and the greedy set only
    seed the cuts. When $\bar Z$ is infinite (losing every candidate leaves the LP infeasible)
    the cuts carry no information and every set is enumerated.
    """
    pool = [p for p in net.candidates if p not in protected]
    size = min(k, len(pool))
    if size == 0:
        return Certificate((), net.base_objective, net.base_objective, 0, 0)
    solves0 = net.solves
    z_bar = net.objective(tuple(pool)) if size < len(pool) else None
    if z_bar is None:  # every unprotected candidate is lost: one set
        value = net.objective(tuple(pool))
        return Certificate(tuple(pool), value, value, 0, net.solves - solves0)
    if not np.isfinite(z_bar):
        worst, value = worst_by_enumeration(net, size, protected)
        return Certificate(worst, value, value, 0, net.solves - solves0)
    index = {p: i for i, p in enumerate(pool)}

    def best_seen() -> tuple[tuple[str, ...], float]:
        fits = [
            (value, t) for t, value in net.seen.items() if len(t) == size and not protected & set(t)
        ]
        if not fits:
            return (), -np.inf
        value, t = min(fits, key=lambda vt: (-vt[0], vt[1]))  # ties: first in sort order
        return t, value

    rounds = 0
    while True:
        worst, lower = best_seen()
        h = configured_highs()
        h.setOptionValue("mip_rel_gap", 0.0)
        n = len(pool)
        # columns: w_0..w_{n-1} (binary), eta
        cuts = [(value, net.used[t]) for t, value in net.seen.items() if t in net.used]
        lower_cols = np.zeros(n + 1)
        lower_cols[n] = -HIGHS_INF
        upper_cols = np.concatenate([np.ones(n), [z_bar]])
        rows_r, rows_c, rows_v, row_lo, row_up = [], [], [], [], []
        rows_r += [0] * n
        rows_c += list(range(n))
        rows_v += [1.0] * n
        row_lo.append(size)
        row_up.append(size)
        for j, (value, used) in enumerate(cuts, start=1):
            rows_r.append(j)
            rows_c.append(n)
            rows_v.append(1.0)
            for p in used:
                if p in index:
                    rows_r.append(j)
                    rows_c.append(index[p])
                    rows_v.append(-(z_bar - value))
            row_lo.append(-np.inf)
            row_up.append(value)
        matrix = sp.csc_matrix((rows_v, (rows_r, rows_c)), shape=(len(row_lo), n + 1))
        cost = np.zeros(n + 1)
        cost[n] = -1.0  # maximise eta
        integrality = np.concatenate([np.ones(n, np.int32), [0]]).astype(np.int32)
        pass_arrays(h, cost, lower_cols, upper_cols, np.array(row_lo), np.array(row_up),
                    matrix, integrality, what="the interdiction master")  # fmt: skip
        run_highs(h)
        rounds += 1
        if not is_optimal(h):
            raise SolverError(f"interdiction master: HiGHS stopped with {status_text(h)}")
        point = read_point(h).col_value
        upper = float(point[n])
        if upper <= lower + GAP_TOL * max(1.0, abs(lower)):
            return Certificate(worst, lower, max(upper, lower), rounds, net.solves - solves0)
        chosen = tuple(sorted(p for p in pool if point[index[p]] > 0.5))
        if chosen in net.seen:  # cannot happen with exact arithmetic: its own cut caps it
            raise SolverError(
                f"interdiction master proposed {', '.join(chosen)} twice (bound {upper:,.6g}, "
                f"best {lower:,.6g}); use --method enumerate"
            )
        net.objective(chosen)


def milp_proposal(net: Network, k: int, protected: frozenset[str]) -> tuple[str, ...]:
    """One solve of the dualised MILP with bounds bound[p] * bound_scale; the chosen set."""
    lp = net.lp
    if lp.integrality().any():  # LP duality does not hold for an integer inner problem
        raise Problem.about(
            str(net.model_path),
            "settings.integer_units",
            "the dualised MILP needs a continuous inner problem (integer_units is on)",
            "use --method enumerate",
        )
    A = lp.matrix_csc()
    n = lp.n_cols
    L, U = lp.row_bounds()
    lo, up = lp.bounds()
    c = lp.cost()
    fin_L, fin_U = np.flatnonzero(np.isfinite(L)), np.flatnonzero(np.isfinite(U))
    fin_l, fin_u = np.flatnonzero(np.isfinite(lo)), np.flatnonzero(np.isfinite(up))
    nodes = [p for p in net.candidates if p not in protected]
    lost_rows = np.concatenate([net.rows[p] for p in nodes]) if nodes else np.zeros(0, int)
    drop = np.concatenate([U[net.rows[p]] - net.new_upper[p] for p in nodes]) if nodes else []
    big_m = np.concatenate([net.bound[p] for p in nodes]) * net.bound_scale
    owner = np.concatenate([np.full(len(net.rows[p]), i) for i, p in enumerate(nodes)])
    # dual columns: alpha (fin_L), beta (fin_U), rho (fin_l), mu (fin_u), v (lost rows), w
    blocks = [len(fin_L), len(fin_U), len(fin_l), len(fin_u), len(lost_rows), len(nodes)]
    start = np.concatenate([[0], np.cumsum(blocks)])
    n_dual = int(start[-1])
    At = A.T.tocsr()  # n x m
    eye_n = sp.identity(n, format="csc")
    stationarity = sp.hstack(
        [
            At[:, fin_L],
            -At[:, fin_U],
            eye_n[:, fin_l],
            -eye_n[:, fin_u],
            sp.csr_matrix((n, len(lost_rows) + len(nodes))),
        ],
        format="csr",
    )
    # v_i - beta_i <= 0 ; v_i - M_i w_p <= 0 ; sum w = k
    beta_pos = np.searchsorted(fin_U, lost_rows)
    if len(lost_rows) and not np.array_equal(fin_U[beta_pos], lost_rows):
        raise SolverError("a lost row has no finite upper bound")
    r = np.arange(len(lost_rows))
    v_cols = start[4] + r
    link1 = sp.csr_matrix(
        (
            np.concatenate([np.ones(len(r)), -np.ones(len(r))]),
            (np.concatenate([r, r]), np.concatenate([v_cols, start[1] + beta_pos])),
        ),
        shape=(len(r), n_dual),
    )
    link2 = sp.csr_matrix(
        (
            np.concatenate([np.ones(len(r)), -big_m]),
            (np.concatenate([r, r]), np.concatenate([v_cols, start[5] + owner])),
        ),
        shape=(len(r), n_dual),
    )
    card = sp.csr_matrix(
        (np.ones(len(nodes)), (np.zeros(len(nodes), int), start[5] + np.arange(len(nodes)))),
        shape=(1, n_dual),
    )
    M = sp.vstack([stationarity, link1, link2, card], format="csc")
    kk = min(k, len(nodes))
    row_lo = np.concatenate([c, np.full(2 * len(r), -np.inf), [kk]])
    row_up = np.concatenate([c, np.zeros(2 * len(r)), [kk]])
    # maximise: minimise the negative dual objective
    obj = np.concatenate(
        [-L[fin_L], U[fin_U], -lo[fin_l], up[fin_u], -np.asarray(drop, float), np.zeros(len(nodes))]
    )
    col_lo = np.zeros(n_dual)
    col_up = np.full(n_dual, np.inf)
    col_up[start[5] :] = 1.0
    integrality = np.zeros(n_dual, dtype=np.int32)
    integrality[start[5] :] = 1
    h = configured_highs()
    h.setOptionValue("mip_rel_gap", 1e-9)
    # few binaries, and the dual is large: sub-MIP heuristics cost most of the time here
    for option in ("mip_heuristic_run_rins", "mip_heuristic_run_rens"):
        h.setOptionValue(option, False)
    pass_arrays(
        h, obj, col_lo, col_up, row_lo, row_up, M, integrality, what="the interdiction MILP"
    )
    run_highs(h)
    if not is_optimal(h):
        raise SolverError(f"interdiction MILP: HiGHS stopped with {status_text(h)}")
    w = read_point(h).col_value[start[5] :]
    chosen = tuple(sorted(p for p, wp in zip(nodes, w, strict=True) if wp > 0.5))
    return chosen


def attack(
    net: Network, k: int, method: str, protected: frozenset[str] = frozenset()
) -> tuple[tuple[str, ...], float]:
    """The worst set and its optimum, exact (see :func:`attack_verified`)."""
    worst, value, _, _ = attack_verified(net, k, method, protected)
    return worst, value


def attack_verified(
    net: Network, k: int, method: str, protected: frozenset[str] = frozenset()
) -> tuple[tuple[str, ...], float, str, float]:
    """(set, true optimum, found_by, upper bound) for the worst k losses avoiding `protected`.

    ``milp``: the dualised MILP proposes a set (cheap, not exact when its dual bounds fail),
    then :func:`certify` proves optimality or finds a worse set. ``enumerate``: every set.
    Either way the reported set is re-solved (its optimum is the inner LP's, not a bound's)
    and is never milder than a set of the same size already evaluated (single losses, the
    greedy set, other k); found_by names where it came from ('milp', 'enumerate',
    'certificate' or 'seen'). The method is `net.usable_method`'s."""
    method = net.usable_method(method)
    if method == "milp":
        proposal, _ = worst_by_milp(net, k, protected)
        cert = certify(net, k, protected)
        worst, value, upper = cert.worst, cert.value, cert.upper_bound
        found_by = "milp" if worst == tuple(sorted(proposal)) else "certificate"
    elif method == "enumerate":
        worst, value = worst_by_enumeration(net, k, protected)
        upper, found_by = value, "enumerate"
    else:
        raise ValueError(method)
    worst = tuple(sorted(worst))
    if worst:
        value = net.objective(worst)  # verify: the inner LP re-solved for the chosen set
    size = min(k, len([p for p in net.candidates if p not in protected]))
    for other, other_value in sorted(net.seen.items()):
        fits = len(other) == size and not protected & set(other)
        if fits and other_value > value + 1e-9 * max(1.0, abs(value)):
            worst, value, found_by = other, other_value, "seen"
    return worst, value, found_by, max(upper, value)


def best_hardening(
    net: Network, k: int, m: int, method: str
) -> tuple[tuple[str, ...], tuple, float]:
    """Best m nodes to harden against the worst k losses (branch on each best attack)."""
    best: list = [(), (), np.inf]

    def search(hardened: frozenset[str], left: int) -> None:
        worst, value = attack(net, k, method, hardened)
        if value < best[2] - 1e-9 * max(1.0, abs(value)) or (
            abs(value - best[2]) <= 1e-9 * max(1.0, abs(value)) and len(hardened) < len(best[0])
        ):
            best[:] = [tuple(sorted(hardened)), worst, value]
        if left == 0:
            return
        for p in worst:
            search(hardened | {p}, left - 1)

    search(frozenset(), m)
    return best[0], best[1], best[2]


# --- the command -------------------------------------------------------------------------


@dataclass
class InterdictResult:
    scenario: str | None
    from_period: int
    candidates: list[str]
    base_objective: float
    singles: pd.DataFrame
    table: pd.DataFrame
    hardening: pd.DataFrame | None
    coords: dict[str, tuple[float, float]]
    timings: dict[str, float]
    solves: int
    dual_bound_scale: float = 1.0
    names: dict[str, str] = field(default_factory=dict)
    basemap: Path | None = None
    model: str = ""
    method: str = "milp"  # the method used (enumerate when losses need the LP rebuilt)
    note: str = ""  # why the method differs from the one asked for


def interdict(
    model_path: str | Path,
    scenario: str | None = None,
    k: int = 2,
    candidates: str = "ports,airfields,depots",
    from_period: int = 1,
    method: str = "milp",
    harden: int = 0,
) -> InterdictResult:
    """Worst j losses for j = 1..k, beside the greedy sets; optionally the best hardening."""
    if k < 0:
        raise Problem.about("--k", "--k", "k must be at least 0", "use --k 1")
    timings: dict[str, float] = {}
    t = time.perf_counter()
    net = load_network(model_path, scenario, candidates, from_period)
    if k > len(net.candidates):
        raise Problem.about(
            "--k",
            "--k",
            f"k = {k} but only {len(net.candidates)} candidate nodes",
            f"use --k {len(net.candidates)} or fewer, or widen --candidates",
        )
    method = net.usable_method(method)
    timings["build"] = time.perf_counter() - t
    t = time.perf_counter()
    singles = pd.DataFrame(
        {"node": net.candidates, "objective": [net.objective((p,)) for p in net.candidates]}
    )
    singles["objective_increase"] = singles["objective"] - net.base_objective
    singles = singles.sort_values(
        ["objective_increase", "node"], ascending=[False, True]
    ).reset_index(drop=True)
    timings["single_losses"] = time.perf_counter() - t
    rows = []
    t = time.perf_counter()
    for j in range(1, k + 1):
        greedy = tuple(sorted(singles["node"].head(j)))
        greedy_value = net.objective(greedy)  # seen before the attack: it can win
        worst, value, found_by, upper = attack_verified(net, j, method)
        rows.append(
            {
                "k": j,
                "method": method,
                "found_by": "greedy"
                if found_by in ("seen", "certificate") and worst == greedy
                else found_by,
                "worst_set": ";".join(worst),
                "objective": value,
                "objective_increase": value - net.base_objective,
                "upper_bound": upper,
                "greedy_set": ";".join(greedy),
                "greedy_objective": greedy_value,
                "greedy_increase": greedy_value - net.base_objective,
                "greedy_is_worst": bool(greedy_value >= value - 1e-9 * max(1.0, abs(value))),
            }
        )
    timings["attacker"] = time.perf_counter() - t
    hardening = None
    if harden and k:
        t = time.perf_counter()
        hardened, worst, value = best_hardening(net, k, harden, method)
        hardening = pd.DataFrame(
            [
                {
                    "m": harden,
                    "k": k,
                    "hardened": ";".join(hardened),
                    "worst_set_after": ";".join(worst),
                    "objective": value,
                    "objective_increase": value - net.base_objective,
                }
            ]
        )
        timings["harden"] = time.perf_counter() - t
    return InterdictResult(
        scenario=net.scenario,
        from_period=from_period,
        candidates=net.candidates,
        base_objective=net.base_objective,
        singles=singles,
        table=pd.DataFrame(rows),
        hardening=hardening,
        coords=net.coords,
        timings=timings,
        solves=net.solves,
        dual_bound_scale=net.bound_scale,
        names=net.names,
        basemap=net.basemap,
        model=Path(model_path).stem,
        method=method,
        note=net.rebuild,
    )


def worst_set_layer(result: InterdictResult):
    """Points of the worst set for each k (one feature per node and k), EPSG:4326."""
    import geopandas as gpd
    import shapely

    records = []
    for row in result.table.itertuples(index=False):
        for node in row.worst_set.split(";") if row.worst_set else []:
            lon, lat = result.coords[node]
            records.append(
                {
                    "k": row.k,
                    "node": node,
                    "from_period": result.from_period,
                    "objective_increase": row.objective_increase,
                    "in_greedy_set": node in row.greedy_set.split(";"),
                    "geometry": shapely.Point(lon, lat),
                }
            )
    if not records:  # k = 0 or no candidates: an empty layer with the same columns
        columns = ["k", "node", "from_period", "objective_increase", "in_greedy_set"]
        return gpd.GeoDataFrame(
            pd.DataFrame(columns=columns), geometry=gpd.GeoSeries([], crs="EPSG:4326")
        )
    return gpd.GeoDataFrame(records, geometry="geometry", crs="EPSG:4326")


def write_loss_gpkg(frame, path: Path) -> None:
    """plan.gpkg with the ``worst_losses`` layer and its default style (QGIS QML + SLD), as a
    GeoPackage 1.2 like a run's, with fixed timestamps (byte-identical reruns)."""
    import pyogrio

    from rsoi.outputs.export import gdal_options
    from rsoi.outputs.gis import FIXED_TIME, layer_styles, qml
    from rsoi.outputs.sld import sld

    with gdal_options({"OGR_CURRENT_DATE": FIXED_TIME}):
        pyogrio.write_dataframe(
            frame, path, layer=LOSS_LAYER, driver="GPKG", dataset_options={"VERSION": "1.2"}
        )
        styles = layer_styles({LOSS_LAYER: (qml(LOSS_LAYER, 1.0), sld(LOSS_LAYER))})
        pyogrio.write_dataframe(
            styles, path, layer="layer_styles", driver="GPKG", layer_options={"FID": "id"}
        )


def write_interdict(result: InterdictResult, target: Path) -> Path:
    """interdict.csv, single_losses.csv, (hardening.csv), plan.gpkg layer ``worst_losses``
    and report.html."""
    from rsoi.analysis.interdict_report import report_html
    from rsoi.results.tables import atomic_run_dir, write_csv, write_json

    with atomic_run_dir(target, analysis="interdict") as tmp:
        write_csv(tmp / "interdict.csv", result.table)
        write_csv(tmp / "single_losses.csv", result.singles)
        if result.hardening is not None:
            write_csv(tmp / "hardening.csv", result.hardening)
        layer = worst_set_layer(result)
        if len(layer):
            write_loss_gpkg(layer, tmp / "plan.gpkg")
        (tmp / "report.html").write_text(report_html(result), encoding="utf-8")
        write_json(
            tmp / "interdict_summary.json",
            {
                "scenario": result.scenario,
                "from_period": result.from_period,
                "candidates": result.candidates,
                "base_objective": round(result.base_objective, 6),
                "lp_solves": result.solves,
                "dual_bound_scale": round(result.dual_bound_scale, 6),
                "method": result.method,
                "method_note": result.note,
                "notional_data": True,
                "timings_seconds": {k: round(v, 3) for k, v in result.timings.items()},
            },
        )
    return target
