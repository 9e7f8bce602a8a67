r"""A plan that holds before the scenario is known: the two-stage stochastic program.

**Formulation** (``rsoi hedge``). A scenario set $\Sigma$ gives scenarios $s$ with
probabilities $p_s$ (``scenario_sets``) and the here-and-now horizon $K$. Each scenario has
its own rsoi LP, $\min\{c_s^\top x_s : L_s \le A_s x_s \le U_s,\ l_s \le x_s \le u_s\}$ (built
by ``rsoi.lp.build``).

**First stage.** Every column whose own time index (its ``period`` key) is at most $K$ is a
first-stage decision, whatever its family: flows (every stock movement), production,
deliveries, stock levels, force shares, departures and swings, provider allocations and any
family a later model adds with a ``period`` key. Shortfall and slack columns (families named
``*_shortfall`` or ``*_slack``) are not decisions: they measure what the decisions leave
undone, so they stay per scenario. A first-stage column is identified across scenarios by
its name ``family[keys]`` (e.g. ``flow[busan-kaohsiung,ammo_155mm,rok,2]``; the rule is
``FIRST_STAGE_TIME_KEY`` and ``is_slack_family``).

**One first-stage space.** The first stage $N$ is the union of the members' first-stage names,
the same vector in every member. A name some member lacks (a route whose arrival falls past
that member's horizon, a task slot or demand line that exists only once China acts) is a
decision that member cannot carry out; **the rule: such a decision is not available in
periods 1..K in any member** (fixed to 0 everywhere: in the extensive form, in the
expected-value problem, in the reference plans and in progressive hedging). Stock can still be
moved towards such a slot or line by the decisions every member has. Their number is reported
(``first_stage_unusable``). The extensive form (the recourse problem, RP) is

$$ z^{RP} = \min \sum_s p_s\, c_s^\top x_s \quad \text{s.t.} \quad L_s \le A_s x_s \le U_s,\;
   l_s \le x_s \le u_s \;\; \forall s, \qquad
   x_{s,n} = x_{1,n} \;\; \forall s > 1,\ n \in N, \qquad x_{s,n} = 0 \;\; n \in N^{0} $$

(family ``nonanticipativity[variable,scenario]``), $N^{0}$ the unusable names. Everything
after $K$ is the second stage, decided per scenario. The objective is always the weighted one
(a lexicographic model is solved with its weights).

**Value of information and of the stochastic solution** (Birge & Louveaux, *Introduction to
Stochastic Programming*, 2nd ed., 2011, section 4.1). With $z_s$ the optimum of scenario $s$
solved alone (wait-and-see, $WS = \sum_s p_s z_s$):

$$ \mathrm{EVPI} = z^{RP} - WS \ge 0. $$

The **expected-value problem** (EV) replaces the random data by their expectation: its
objective, matrix and row bounds are $\bar c = \sum_s p_s c_s$, $\bar A = \sum_s p_s A_s$,
$\bar L = \sum_s p_s L_s$, $\bar U = \sum_s p_s U_s$, aligned by row and column name, a row or
column a member lacks contributing 0 there (an absent row is $0 \le 0 \le 0$); a column's
bounds are their average over the members that have it; its first stage lies in the same
space $N$ (unusable names fixed to 0). With $\bar x$ its first stage and $z_s(\bar x)$ the
optimum of $s$ with its first stage fixed to $\bar x$:

$$ \mathrm{EEV} = \sum_s p_s\, z_s(\bar x), \qquad \mathrm{VSS} = \mathrm{EEV} - z^{RP} \ge 0 $$

($\bar x$ is feasible for RP's first stage whenever EEV is finite, so VSS ≥ 0). Beside it,
under its own name, **``vss_default_scenario``** uses instead the first stage of the model's
``default_scenario`` solved alone (the most probable member when the default is not one):
what hedging gains over planning for the scenario the planners expect.

**Ties.** When the EV problem (or the default scenario) has several optimal plans, $\bar x$
is chosen as the **least-cost plan among the optima**: a second, lexicographic solve
minimises $\sum_s p_s c_s^\top x_s$ over the members' recourse, subject to the reference
problem's own rows and its objective within $10^{-7}$ (relative, HiGHS's own feasibility tolerance; a tighter row cut every optimum off on the shipped expected-value problem) of its optimum, its first
stage equal to every member's. So each VSS figure is the smallest value consistent with the
reference problem: a lucky or unlucky vertex from the solver never moves it.

The reference problem's optima are its **optimal face**, written without the objective: by
complementary slackness, with $(\pi, d)$ the optimal duals HiGHS returns and $(y^*, Ay^*)$ its
optimum, a feasible $y$ is optimal iff $y_j = y^*_j$ wherever $|d_j| > \tau$ and
$(Ay)_i = (Ay^*)_i$ wherever $|\pi_i| > \tau$ (those are at a bound in every optimum), with
$\tau$ = ``FACE_DUAL_TOL``. The tie-break fixes those columns and rows in its copy of the
reference problem and keeps the objective row as a guard for the duals below $\tau$. Without
the face, that one dense near-equality row made HiGHS run for over an hour on the shipped sets;
with it, the tie-break takes seconds.

**When the reference plan cannot be carried out.** If no optimal reference plan is feasible
in every member (e.g. it ships more through a port than one scenario's attacks leave open),
EEV and the VSS are infinite (as in Birge & Louveaux). rsoi then also reports
``gain_over_cut_back_plan``: the expected objective of the reference plan carried out as
closely as each member allows (in a member where it cannot pass: minimise
$\sum_n |x_{s,n} - \bar x_n|$ over the first stage; then, keeping that deviation, minimise
the member's objective) minus $z^{RP}$, and names those members
(``reference_plan_cut_back_in``). **It is not a bound on the VSS and can be negative**: the
cut back differs between members, so that plan is not nonanticipative and may beat the
hedged plan.

**Decomposition** (``--method ph``): progressive hedging in mpi-sppy with a certified gap; see
``rsoi.analysis.ph`` (next section: the names, rho and the gap, defined there).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import highspy
import numpy as np
import pandas as pd

from rsoi.errors import InfeasibleError, Problem, SolverError, did_you_mean
from rsoi.lp.build import Context
from rsoi.lp.highs_io import HIGHS_INF, Point, change_col_bounds, make_highs, read_point
from rsoi.lp.interrupt import run_highs
from rsoi.lp.program import LinearProgram, index_names
from rsoi.model.loader import LoadedModel, load_model, read_yaml
from rsoi.results.tables import strict_json

FIRST_STAGE_TIME_KEY = "period"
"""The index key holding a column's own time: columns with it at most K are first stage."""

SLACK_SUFFIXES = ("_shortfall", "_slack")
"""Families with these name endings measure what is left undone: never first stage."""

TIE_TOLERANCE = 1e-7
"""Relative slack on the reference problem's optimum in the tie-break solve."""

FACE_DUAL_TOL = 1e-7
"""Duals above this (HiGHS's dual feasibility tolerance) are non-zero: their column or row
keeps its optimal value on the optimal face."""

TOL = 1e-7


def is_slack_family(family: str) -> bool:
    """True for shortfall and slack families (not decisions, so never first stage)."""
    return family.endswith(SLACK_SUFFIXES)


@dataclass
class Member:
    """One scenario of the set, built."""

    name: str
    probability: float
    model: LoadedModel
    lp: LinearProgram
    ctx: Context
    first_stage: dict[str, int] = field(default_factory=dict)  # name -> column
    source: str = ""  # where the probability comes from (the member's, else the set's)
    alone_row_dual: np.ndarray | None = None  # shadow prices of the member solved alone


@dataclass
class ReferenceFigure:
    """One reference plan (EV problem or default scenario) evaluated over the members."""

    name: str  # "expected_value" or the default scenario's name
    objective: float  # the reference problem's own optimum
    eev: float  # expected objective of its least-cost optimal plan (inf: none can be carried out)
    plan: dict[str, float]  # its first stage (the tie-broken plan when eev is finite)
    per_member: list[float]  # z_s(plan); cut back where the plan cannot pass
    cut_back: list[str] = field(default_factory=list)
    cut_back_expected: float = np.nan  # expected objective with the plan cut back (if any)


@dataclass
class HedgeResult:
    set_name: str
    description: str
    source: str
    K: int
    method: str
    reference: str  # the default scenario (or most probable member)
    members: list[Member]
    keys: list[str]
    missing: list[str]
    hedged_objective: float
    hedged_x: list[np.ndarray]  # per member
    alone_objective: list[float]
    alone_x: list[np.ndarray]
    ev: ReferenceFigure
    default: ReferenceFigure
    ef_size: tuple[int, int, int] = (0, 0, 0)
    timings: dict[str, float] = field(default_factory=dict)
    ph_info: dict = field(default_factory=dict)

    @property
    def probabilities(self) -> np.ndarray:
        return np.array([m.probability for m in self.members])

    @property
    def expected_alone(self) -> float:
        return float(np.dot(self.probabilities, self.alone_objective))

    @property
    def evpi(self) -> float:
        return self.hedged_objective - self.expected_alone

    @property
    def vss(self) -> float:
        """Standard VSS = EEV - RP (Birge & Louveaux); infinite when EEV is."""
        return self.ev.eev - self.hedged_objective

    @property
    def vss_default_scenario(self) -> float:
        """EEV of the default scenario's plan minus RP; infinite when it cannot be carried out."""
        return self.default.eev - self.hedged_objective

    def gain_over_cut_back_plan(self, figure: ReferenceFigure) -> float:
        """Expected objective of `figure`'s plan cut back where it cannot pass, minus RP
        (not a bound: can be negative); NaN when the plan passes everywhere."""
        return figure.cut_back_expected - self.hedged_objective


# --- loading -----------------------------------------------------------------------------


def load_members(model_path: str | Path, set_name: str | None) -> tuple[str, object, list[Member]]:
    """The set's name, its spec entry and its members built (InputError if unknown)."""
    from rsoi.lp.build import build
    from rsoi.lp.prepare import prepare

    model_path = Path(model_path)
    doc = read_yaml(model_path)
    spec = load_model(model_path, use_default=False, document=doc).spec
    if not spec.scenario_sets:
        raise Problem.about(
            model_path,
            "scenario_sets",
            "the model declares no scenario sets",
            "add a `scenario_sets:` section (see docs/schema.md)",
        )
    name = set_name or next(iter(spec.scenario_sets))
    if name not in spec.scenario_sets:
        raise Problem.about(
            model_path,
            "--set",
            f"unknown scenario set '{name}'",
            did_you_mean(name, spec.scenario_sets) or "name one under `scenario_sets`",
        )
    entry = spec.scenario_sets[name]
    members = []
    for m in entry.members:
        loaded = load_model(model_path, m.scenario, use_default=False, document=doc)
        lp, ctx = build(prepare(loaded))
        member = Member(m.scenario, m.probability, loaded, lp, ctx, source=m.source or entry.source)
        member.first_stage = first_stage_columns(lp, entry.here_and_now_periods)
        members.append(member)
    return name, entry, members


def first_stage_columns(lp: LinearProgram, K: int) -> dict[str, int]:
    """Column of every first-stage variable by name: every family with a ``period`` key
    (FIRST_STAGE_TIME_KEY), its columns with period <= K, shortfalls and slacks excepted."""
    out: dict[str, int] = {}
    for family, block in lp.variables.items():
        if (
            block.size == 0
            or is_slack_family(family)
            or FIRST_STAGE_TIME_KEY not in block.index.columns
        ):
            continue
        mask = (block.index[FIRST_STAGE_TIME_KEY].to_numpy() <= K).nonzero()[0]
        names = index_names(family, block.index.iloc[mask])
        out.update(zip(names, block.ids[mask].tolist(), strict=True))
    return out


def shared_keys(members: list[Member]) -> tuple[list[str], list[str]]:
    """All first-stage names (first member's order, then new ones) and those some member lacks
    (unusable: fixed to 0 in every member)."""
    keys: dict[str, None] = {}
    for m in members:
        keys.update(dict.fromkeys(m.first_stage))
    missing = [k for k in keys if any(k not in m.first_stage for m in members)]
    return list(keys), missing


# --- extensive form ----------------------------------------------------------------------


def _append_lp(ef: LinearProgram, prefix: str, lp: LinearProgram, weight: float) -> int:
    """Copy `lp` into `ef` (blocks ``<prefix>:<family>``), objective times `weight`; offset."""
    off = ef.n_cols
    for family, b in lp.variables.items():
        ef.add_variables(f"{prefix}:{family}", b.index, b.lower, b.upper, b.integer, b.doc)
    A = lp.matrix_csc().tocsr()
    for family, cb in lp.constraints.items():
        sub = A[cb.start : cb.start + cb.size].tocoo()
        ef.add_constraints(
            f"{prefix}:{family}",
            cb.index,
            sub.row,
            sub.col + off,
            sub.data,
            cb.lower,
            cb.upper,
            cb.source,
            cb.entity,
            cb.doc,
        )
    if weight:
        for part, (cols, coefs) in lp.objective_parts.items():
            ef.add_objective(f"{prefix}:{part}", cols + off, weight * coefs)
    return off


def _fix_in(ef: LinearProgram, col: int, value: float) -> None:
    for b in ef.variables.values():
        if b.start <= col < b.start + b.size:
            b.lower[col - b.start] = value
            b.upper[col - b.start] = value
            return
    raise IndexError(col)


def extensive_form(
    members: list[Member], keys: list[str], missing: list[str]
) -> tuple[LinearProgram, list[int]]:
    """All members in one LP (blocks ``<scenario>:<family>``) plus nonanticipativity rows."""
    ef = LinearProgram()
    offsets = [_append_lp(ef, m.name, m.lp, m.probability) for m in members]
    lost = set(missing)
    rows, cols, coefs, index = [], [], [], []
    for key in keys:
        if key in lost:  # a decision some member cannot carry out: not taken in any member
            for s, m in enumerate(members):
                if key in m.first_stage:
                    _fix_in(ef, offsets[s] + m.first_stage[key], 0.0)
            continue
        ref_col = offsets[0] + members[0].first_stage[key]
        for s, m in enumerate(members[1:], start=1):
            r = len(index)
            index.append((key, m.name))
            rows += [r, r]
            cols += [offsets[s] + m.first_stage[key], ref_col]
            coefs += [1.0, -1.0]
    ef.add_constraints(
        "nonanticipativity",
        pd.DataFrame(index, columns=["variable", "scenario"]),
        np.array(rows, dtype=np.int64),
        np.array(cols, dtype=np.int64),
        np.array(coefs),
        lower=0.0,
        upper=0.0,
        source="two-stage stochastic program (rsoi hedge)",
        entity="variable",
        doc=extensive_form.__doc__ or "",
    )
    return ef, offsets


# --- the expected-value problem ----------------------------------------------------------


def _all_names(lp: LinearProgram, kind: str) -> list[str]:
    blocks = lp.variables if kind == "col" else lp.constraints
    out: list[str] = []
    for b in blocks.values():
        out += index_names(b.name, b.index)
    return out


def expected_value_problem(
    members: list[Member], missing: list[str]
) -> tuple[LinearProgram, dict[str, int]]:
    """The EV problem (module docstring): members' data averaged by row and column name.
    Returns the LP (one block each, ``expected_value``) and its first-stage column by name."""
    col_of: dict[str, int] = {}
    row_of: dict[str, int] = {}
    per_member = []
    for m in members:
        cn, rn = _all_names(m.lp, "col"), _all_names(m.lp, "row")
        cmap = np.array([col_of.setdefault(n, len(col_of)) for n in cn], dtype=np.int64)
        rmap = np.array([row_of.setdefault(n, len(row_of)) for n in rn], dtype=np.int64)
        per_member.append((cmap, rmap))
    n, r = len(col_of), len(row_of)
    cost, lo_sum, up_sum, present = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    integer = np.zeros(n, dtype=bool)
    row_lo, row_up = np.zeros(r), np.zeros(r)
    rows, cols, vals = [], [], []
    for m, (cmap, rmap) in zip(members, per_member, strict=True):
        p = m.probability
        np.add.at(cost, cmap, p * m.lp.cost())
        lo, up = m.lp.bounds()
        np.add.at(lo_sum, cmap, p * lo)
        np.add.at(up_sum, cmap, np.where(np.isinf(up), np.inf, p * up))
        np.add.at(present, cmap, p)
        integer[cmap] |= m.lp.integrality().astype(bool)
        L, U = m.lp.row_bounds()
        np.add.at(row_lo, rmap, np.where(np.isinf(L), -np.inf, p * L))
        np.add.at(row_up, rmap, np.where(np.isinf(U), np.inf, p * U))
        A = m.lp.matrix_csc().tocoo()
        rows.append(rmap[A.row]), cols.append(cmap[A.col]), vals.append(p * A.data)
    ev = LinearProgram()
    names = list(col_of)
    # one block per integrality so HiGHS sees integer columns as integer
    order = np.concatenate([np.flatnonzero(~integer), np.flatnonzero(integer)])
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    for flag, sel in ((False, order[: (~integer).sum()]), (True, order[(~integer).sum() :])):
        if len(sel):
            ev.add_variables(
                "expected_value_integer" if flag else "expected_value",
                pd.DataFrame({"variable": [names[i] for i in sel]}),
                lo_sum[sel] / present[sel],
                up_sum[sel] / present[sel],
                integer=flag,
                doc="a column of the expected-value problem",
            )
    ev.add_constraints(
        "expected_value",
        pd.DataFrame({"constraint": list(row_of)}),
        np.concatenate(rows) if rows else np.zeros(0, np.int64),
        pos[np.concatenate(cols)] if cols else np.zeros(0, np.int64),
        np.concatenate(vals) if vals else np.zeros(0),
        row_lo,
        row_up,
        source="expected-value problem (Birge & Louveaux 2011, 4.1)",
        entity="constraint",
        doc=expected_value_problem.__doc__ or "",
    )
    ev.add_objective("expected_value", np.arange(n, dtype=np.int64), cost[order])
    keys = dict.fromkeys(k for m in members for k in m.first_stage)
    first = {k: int(pos[col_of[k]]) for k in keys}
    for k in missing:
        _fix_in(ev, first[k], 0.0)
    return ev, first


# --- solving -----------------------------------------------------------------------------


def _run(h: highspy.Highs, what: str) -> tuple[float, np.ndarray] | None:
    """Solve; (objective, x) when optimal, None when infeasible, SolverError otherwise."""
    run_highs(h)
    status = h.getModelStatus()
    if status in (highspy.HighsModelStatus.kInfeasible,):
        return None
    if status != highspy.HighsModelStatus.kOptimal:
        raise SolverError(f"{what}: HiGHS stopped with status '{h.modelStatusToString(status)}'")
    return h.getInfo().objective_function_value, read_point(h).col_value


def _algorithm(members: list[Member]) -> str:
    return members[0].model.spec.settings.solver


def solve_alone(members: list[Member]) -> list[tuple[highspy.Highs, float, np.ndarray]]:
    """Each member solved on its own; the Highs instances are kept for warm re-solves."""
    out = []
    for m in members:
        h = make_highs(m.lp, None, _algorithm(members))
        result = _run(h, f"scenario {m.name}")
        if result is None:
            raise InfeasibleError(f"scenario {m.name}: the hard constraints conflict", [])
        m.alone_row_dual = np.array(h.getSolution().row_dual)  # PH's price-scale rho
        out.append((h, *result))
    return out


def least_cost_among_optima(
    members: list[Member],
    keys: list[str],
    missing: list[str],
    ref_lp: LinearProgram,
    ref_first: dict[str, int],
    z_ref: float,
) -> tuple[float, dict[str, float], list[float]] | None:
    """The tie-break solve (module docstring): min expected objective over the members with the
    first stage equal to a plan optimal for `ref_lp` (objective within TIE_TOLERANCE of
    `z_ref`). (EEV, plan, each member's objective), or None when no optimal reference plan passes in every member."""
    big, offsets = extensive_form(members, keys, missing)
    off = _append_lp(big, "reference", ref_lp, 0.0)
    lost = set(missing)
    for k, c in ref_first.items():
        if k in lost:
            _fix_in(big, off + c, 0.0)
    cost = ref_lp.cost()
    used = np.flatnonzero(cost)
    link = [k for k in keys if k not in lost and k in ref_first]
    m0 = members[0]
    n_link = len(link)
    rows = np.concatenate([np.repeat(np.arange(n_link), 2), np.full(len(used), n_link)])
    cols = np.concatenate(
        [
            np.array(
                [[off + ref_first[k], offsets[0] + m0.first_stage[k]] for k in link],
                dtype=np.int64,
            ).reshape(-1),
            off + used,
        ]
    )
    coefs = np.concatenate([np.tile([1.0, -1.0], n_link), cost[used]])
    slack = TIE_TOLERANCE * max(1.0, abs(z_ref))
    lower = np.concatenate([np.zeros(n_link), [-np.inf]])
    upper = np.concatenate([np.zeros(n_link), [z_ref + slack]])
    index = pd.DataFrame({"what": [f"link[{k}]" for k in link] + ["reference_optimal"]})
    big.add_constraints("tie_break", index, rows, cols, coefs, lower, upper, doc="tie-break")
    h = make_highs(big, None, _algorithm(members))
    result = _run(h, "tie-break among the reference problem's optima")
    if result is None:
        return None
    eev, x = result
    per_member = [
        float(np.dot(m.lp.cost(), x[o : o + m.lp.n_cols]))
        for o, m in zip(offsets, members, strict=True)
    ]
    return eev, {k: float(x[off + c]) for k, c in ref_first.items()}, per_member


def evaluate_plan(
    alone: list[tuple[highspy.Highs, float, np.ndarray]],
    members: list[Member],
    plan: dict[str, float],
    cut_back: list[str] | None = None,
) -> tuple[list[float], list[np.ndarray]]:
    """Each member's optimum and solution with its first stage fixed to `plan` (names a member
    lacks in `plan`: 0); objective inf and x NaN if infeasible. Warm re-solves on the members'
    Highs instances; their bounds are restored afterwards."""
    values, xs = [], []
    for (h, _z, x_alone), m in zip(alone, members, strict=True):
        names = list(m.first_stage)
        cols = np.array([m.first_stage[k] for k in names], dtype=np.int32)
        fixed = np.array([plan.get(k, 0.0) for k in names])
        lo, up = m.lp.bounds()
        # a plan value a hair outside this member's bounds is a round-off of the other solve
        fixed = np.clip(fixed, lo[cols], up[cols])
        change_col_bounds(h, cols, fixed, fixed)
        result = _run(h, f"scenario {m.name} with the plan fixed")
        if result is None and cut_back is not None:
            result = _cut_back(h, m, cols, fixed)
            cut_back.append(m.name)
        values.append(np.inf if result is None else result[0])
        xs.append(np.full_like(x_alone, np.nan) if result is None else result[1])
        change_col_bounds(h, cols, lo[cols], up[cols])
    return values, xs


def _cut_back(
    h: highspy.Highs, m: Member, cols: np.ndarray, planned: np.ndarray
) -> tuple[float, np.ndarray] | None:
    """Carry out the plan as closely as this member allows, then plan the rest optimally.

    Stage 1 minimises the total absolute deviation of the first-stage columns from the plan
    (deviation columns d+ and d-: x - d+ + d- = plan); stage 2 keeps that deviation (a row)
    and minimises the member's objective. Columns, rows and costs are restored.
    """
    n, k = m.lp.n_cols, len(cols)
    lo, up = m.lp.bounds()
    change_col_bounds(h, cols, lo[cols], up[cols])
    every = np.arange(n, dtype=np.int32)
    cost = m.lp.cost()
    h.changeColsCost(n, every, np.zeros(n))
    zeros = np.zeros(2 * k, dtype=np.int32)
    h.addCols(2 * k, np.ones(2 * k), np.zeros(2 * k), np.full(2 * k, HIGHS_INF), 0,
              zeros, np.zeros(0, np.int32), np.zeros(0))  # fmt: skip
    rows0 = h.getNumRow()
    index = np.column_stack([cols, n + np.arange(k), n + k + np.arange(k)]).reshape(-1)
    values = np.tile([1.0, -1.0, 1.0], k)
    h.addRows(k, planned, planned, 3 * k, (3 * np.arange(k)).astype(np.int32),
              index.astype(np.int32), values)  # fmt: skip
    first = _run(h, f"scenario {m.name}: how closely the plan can be carried out")
    result = None
    if first is not None:
        deviation = first[0]
        dev_cols = (n + np.arange(2 * k)).astype(np.int32)
        h.addRow(-HIGHS_INF, deviation + 1e-9 * max(1.0, deviation), 2 * k, dev_cols,
                 np.ones(2 * k))  # fmt: skip
        h.changeColsCost(n, every, cost)
        h.changeColsCost(2 * k, dev_cols, np.zeros(2 * k))
        result = _run(h, f"scenario {m.name} with the plan cut back")
        if result is not None:
            result = (result[0], result[1][:n])
    h.deleteRows(h.getNumRow() - rows0, np.arange(rows0, h.getNumRow(), dtype=np.int32))
    h.deleteCols(2 * k, (n + np.arange(2 * k)).astype(np.int32))
    h.changeColsCost(n, every, cost)
    return result


def reference_scenario(members: list[Member]) -> str:
    """The model's default scenario if it is a member, else the most probable member."""
    default = members[0].model.spec.default_scenario
    names = [m.name for m in members]
    if default in names:
        return default
    return max(members, key=lambda m: (m.probability, -names.index(m.name))).name


def in_common_space(lp: LinearProgram, first: dict[str, int], missing: list[str]) -> LinearProgram:
    """A copy of `lp` whose unusable first-stage names are fixed to 0."""
    out = LinearProgram()
    _append_lp(out, "s", lp, 1.0)
    for k in missing:
        if k in first:
            _fix_in(out, first[k], 0.0)
    return out


def optimal_face(lp: LinearProgram, point: Point, tol: float = FACE_DUAL_TOL) -> LinearProgram:
    """A copy of `lp` restricted to its optimal face (module docstring, Ties): each column
    with a reduced cost and each row with a dual above `tol` in magnitude is fixed at the
    value it has in `point` (an optimum with its duals)."""
    out = LinearProgram()
    _append_lp(out, "s", lp, 1.0)
    col_fixed = np.abs(point.col_dual) > tol
    row_fixed = np.abs(point.row_dual) > tol
    for b in out.variables.values():
        sel = col_fixed[b.start : b.start + b.size]
        value = point.col_value[b.start : b.start + b.size][sel]
        b.lower[sel] = value
        b.upper[sel] = value
    for b in out.constraints.values():
        sel = row_fixed[b.start : b.start + b.size]
        value = point.row_value[b.start : b.start + b.size][sel]
        b.lower[sel] = value
        b.upper[sel] = value
    return out


def reference_figure(
    name: str,
    ref_lp: LinearProgram,
    ref_first: dict[str, int],
    members: list[Member],
    keys: list[str],
    missing: list[str],
    alone: list[tuple[highspy.Highs, float, np.ndarray]],
) -> ReferenceFigure:
    """Solve a reference problem in the common first-stage space, then its EEV with the
    least-cost tie-break; cut back (module docstring) when no optimal plan passes."""
    h = make_highs(ref_lp, None, _algorithm(members))
    solved = _run(h, f"reference problem {name}")
    if solved is None:
        raise InfeasibleError(f"reference problem {name}: the hard constraints conflict", [])
    z_ref, x_ref = solved
    point = read_point(h)
    face = optimal_face(ref_lp, point) if point.dual_valid else ref_lp
    tie = least_cost_among_optima(members, keys, missing, face, ref_first, z_ref)
    if tie is not None:
        eev, plan, per_member = tie
        return ReferenceFigure(name, float(z_ref), float(eev), plan, per_member)
    plan = {k: float(x_ref[c]) for k, c in ref_first.items()}
    cut_back: list[str] = []
    values, _ = evaluate_plan(alone, members, plan, cut_back)
    probabilities = np.array([m.probability for m in members])
    return ReferenceFigure(
        name,
        float(z_ref),
        np.inf,
        plan,
        [float(v) for v in values],
        cut_back,
        float(np.dot(probabilities, values)),
    )


def hedge(
    model_path: str | Path,
    set_name: str | None = None,
    method: str = "ef",
    ph_options: dict | None = None,
) -> HedgeResult:
    """Build and solve the hedged plan of a scenario set, its EVPI and both VSS figures."""
    timings: dict[str, float] = {}
    t = time.perf_counter()
    name, entry, members = load_members(model_path, set_name)
    keys, missing = shared_keys(members)
    timings["build"] = time.perf_counter() - t
    t = time.perf_counter()
    alone = solve_alone(members)
    timings["solve_alone"] = time.perf_counter() - t
    t = time.perf_counter()
    ev_lp, ev_first = expected_value_problem(members, missing)
    ev = reference_figure("expected_value", ev_lp, ev_first, members, keys, missing, alone)
    timings["expected_value_problem"] = time.perf_counter() - t
    t = time.perf_counter()
    ref = reference_scenario(members)
    ref_m = members[[m.name for m in members].index(ref)]
    default = reference_figure(
        ref,
        in_common_space(ref_m.lp, ref_m.first_stage, missing),
        ref_m.first_stage,
        members,
        keys,
        missing,
        alone,
    )
    timings["default_scenario_plan"] = time.perf_counter() - t
    t = time.perf_counter()
    ef_size = (0, 0, 0)
    ph_info: dict = {}
    if method == "ef":
        ef, offsets = extensive_form(members, keys, missing)
        ef_size = (ef.n_cols, ef.n_rows, ef.nnz)
        timings["build_extensive_form"] = time.perf_counter() - t
        t = time.perf_counter()
        h = make_highs(ef, None, _algorithm(members))
        result = _run(h, "extensive form")
        if result is None:
            raise InfeasibleError("no first stage is feasible in every member", [])
        hedged_objective, x = result
        hedged_x = [x[o : o + m.lp.n_cols] for o, m in zip(offsets, members, strict=True)]
        timings["solve_extensive_form"] = time.perf_counter() - t
    elif method == "ph":
        from rsoi.analysis.ph import progressive_hedging

        plan, ph_info = progressive_hedging(
            members, keys, missing, alone, [ev.plan, default.plan], **(ph_options or {})
        )
        timings["progressive_hedging"] = time.perf_counter() - t
        t = time.perf_counter()
        values, hedged_x = evaluate_plan(alone, members, plan)
        if not np.all(np.isfinite(values)):
            raise SolverError(
                "progressive hedging's plan is infeasible in a member; "
                "use the extensive form (--method ef)"
            )
        hedged_objective = float(np.dot([m.probability for m in members], values))
        timings["evaluate_plan"] = time.perf_counter() - t
    else:
        raise ValueError(f"unknown method {method}")
    result = HedgeResult(
        set_name=name,
        description=entry.description,
        source=entry.source,
        K=entry.here_and_now_periods,
        method=method,
        reference=ref,
        members=members,
        keys=keys,
        missing=missing,
        hedged_objective=float(hedged_objective),
        hedged_x=hedged_x,
        alone_objective=[float(a[1]) for a in alone],
        alone_x=[a[2] for a in alone],
        ev=ev,
        default=default,
        ef_size=ef_size,
        timings=timings,
        ph_info=ph_info,
    )
    if method == "ph":
        from rsoi.analysis.ph import certify

        certify(result)
    return result


# --- tables ------------------------------------------------------------------------------


def plan_table(result: HedgeResult) -> pd.DataFrame:
    """hedge_plan.csv: every first-stage decision of the hedged plan beside the reference
    plans (the default scenario's and the expected-value problem's, tie-broken)."""
    rows = []
    for key in result.keys:
        holder = next(i for i, m in enumerate(result.members) if key in m.first_stage)
        value = float(result.hedged_x[holder][result.members[holder].first_stage[key]])
        values = [value, result.default.plan.get(key, 0.0), result.ev.plan.get(key, 0.0)]
        values = [0.0 if abs(v) < TOL else v for v in values]
        if not any(values):
            continue
        family = key.split("[", 1)[0]
        period = int(key.rsplit(",", 1)[1].rstrip("]"))
        rows.append((family, key, period, *values, values[0] - values[1]))
    return pd.DataFrame(
        rows,
        columns=[
            "family",
            "variable",
            "period",
            "hedged",
            f"plan_of_{result.reference}",
            "plan_expected_value",
            "difference",
        ],
    )


def scenario_table(result: HedgeResult) -> pd.DataFrame:
    """hedge_scenarios.csv: per member, objectives (hedged, alone, reference plan), parts, shortfalls."""
    from rsoi.results.tables import _shortfalls

    rows = []
    for m, x, z_alone, z_ref, z_ev in zip(
        result.members,
        result.hedged_x,
        result.alone_objective,
        result.default.per_member,
        result.ev.per_member,
        strict=True,
    ):
        parts = {p: float(np.dot(v, x[c])) for p, (c, v) in m.lp.objective_parts.items()}
        row: dict = {
            "scenario": m.name,
            "probability": m.probability,
            "probability_source": m.source,
            "objective_hedged": float(np.dot(m.lp.cost(), x)),
            "objective_alone": z_alone,
            f"objective_plan_of_{result.reference}": z_ref,
            "objective_expected_value_plan": z_ev,
        }
        row.update({f"hedged:{p}": v for p, v in sorted(parts.items())})
        short = _shortfalls(m.lp, m.ctx, x)
        for cls in (c.id for c in m.model.spec.settings.priority_classes):
            sel = short[short["priority"] == cls]
            row[f"lines_short:{cls}"] = int((sel["shortfall"] > 1e-6).sum())
        rows.append(row)
    return pd.DataFrame(rows).fillna(0.0)


def _num(v: float) -> float | str | None:
    """A figure for strict JSON: rounded, or "infinite" / "-infinite", or None (NaN)."""
    if np.isnan(v):
        return None
    if not np.isfinite(v):
        return strict_json(float(v))
    return round(float(v), 6)


def _figure(result: HedgeResult, f: ReferenceFigure) -> dict:
    return {
        "reference_objective": _num(f.objective),
        "eev": _num(f.eev),
        "reference_plan_cut_back_in": f.cut_back,
        "expected_objective_cut_back_plan": _num(f.cut_back_expected),
        "gain_over_cut_back_plan": _num(result.gain_over_cut_back_plan(f)),
    }


def summary(result: HedgeResult) -> dict:
    return {
        "scenario_set": result.set_name,
        "description": result.description,
        "source": result.source,
        "here_and_now_periods": result.K,
        "method": result.method,
        "members": {m.name: m.probability for m in result.members},
        "reference_scenario": result.reference,
        "hedged_objective": round(result.hedged_objective, 6),
        "expected_objective_alone": round(result.expected_alone, 6),
        "evpi": round(result.evpi, 6),
        "vss": _num(result.vss),
        "vss_default_scenario": _num(result.vss_default_scenario),
        "vss_tie_break": "least-cost plan among the reference problem's optima",
        "expected_value_problem": _figure(result, result.ev),
        "default_scenario_plan": _figure(result, result.default),
        "first_stage_decisions": len(result.keys),
        "first_stage_unusable": len(result.missing),
        "extensive_form": dict(
            zip(("variables", "constraints", "nonzeros"), result.ef_size, strict=True)
        ),
        "progressive_hedging": result.ph_info,
        "notional_data": True,
        "timings_seconds": {k: round(v, 3) for k, v in result.timings.items()},
    }


def measures(result: HedgeResult) -> list[tuple[str, str]]:
    """The printed table: each figure with its name."""

    def num(v: float) -> str:
        if np.isnan(v):
            return "none"
        if not np.isfinite(v):
            return "infinite" if v > 0 else "-infinite (no bound)"
        return f"{v:,.2f}"

    rows = [
        ("hedged expected objective (RP)", num(result.hedged_objective)),
        ("expected objective, scenario known (WS)", num(result.expected_alone)),
        ("EVPI = RP - WS", num(result.evpi)),
        ("EEV (expected-value plan)", num(result.ev.eev)),
        ("VSS = EEV - RP", num(result.vss)),
        (f"vss_default_scenario ({result.reference} plan)", num(result.vss_default_scenario)),
    ]
    for label, f in (("expected-value", result.ev), (result.reference, result.default)):
        if f.cut_back:
            rows.append(
                (
                    f"gain over the {label} plan cut back in {', '.join(f.cut_back)}",
                    num(result.gain_over_cut_back_plan(f)),
                )
            )
    if result.ph_info:
        info = result.ph_info
        rows += [
            ("PH lower bound (best Lagrangian; zero weights give WS)", num(info["lower_bound"])),
            ("PH upper bound (xhat: best plan evaluated)", num(info["upper_bound"])),
            ("PH certified relative gap", f"{info['rel_gap']:.3%}"),
        ]
    return rows


# --- words -------------------------------------------------------------------------------


def differences_in_words(result: HedgeResult) -> list[str]:
    """Sentences: what the hedged plan does differently from the reference scenario's plan."""
    ref_i = [m.name for m in result.members].index(result.reference)
    m = result.members[ref_i]
    hedged = result.hedged_x[ref_i]
    own = np.zeros_like(hedged)  # the default scenario's (tie-broken) first stage
    for key, col in m.first_stage.items():
        own[col] = result.default.plan.get(key, 0.0)
    K, ref = result.K, result.reference
    span = "period 1" if K == 1 else f"periods 1-{K}"
    out: list[str] = []
    share = m.lp.variables.get("share")
    if share is not None and share.size:
        idx = share.index
        first = (idx["period"] <= K).to_numpy()
        power = idx["force"].map({f.id: f.combat_power for f in m.ctx.spec.forces}).to_numpy(float)
        for theater in sorted(set(idx["theater"].astype(str))):
            sel = first & (idx["theater"].astype(str) == theater).to_numpy()
            a = float((power[sel] * hedged[share.ids[sel]]).sum()) / K
            b = float((power[sel] * own[share.ids[sel]]).sum()) / K
            if abs(a - b) > 1e-6:
                word = "more" if a > b else "less"
                out.append(
                    f"In {span} the hedged plan apportions {abs(a - b):,.1f} {word} combat "
                    f"power per period to {theater} ({a:,.1f} against {b:,.1f} in the {ref} plan)."
                )
    flow = m.lp.variables.get("flow")
    if flow is not None and flow.size:
        idx = flow.index
        first = (idx["period"] <= K).to_numpy()
        tons = m.ctx.tons[m.ctx.f_comm]
        theater = m.ctx.r_theater[m.ctx.f_route]
        for th in sorted(set(theater[first].astype(str))):
            sel = first & (theater.astype(str) == th)
            a = float((tons[sel] * hedged[flow.ids[sel]]).sum())
            b = float((tons[sel] * own[flow.ids[sel]]).sum())
            if abs(a - b) > 1e-3:
                word = "more" if a > b else "fewer"
                out.append(
                    f"It moves {abs(a - b):,.0f} {word} short tons on {th} routes in "
                    f"{span} ({a:,.0f} against {b:,.0f})."
                )
        diff = pd.DataFrame(
            {
                "route": idx["route"].astype(str).to_numpy()[first],
                "d": (tons * (hedged[flow.ids] - own[flow.ids]))[first],
            }
        )
        by_route = diff.groupby("route")["d"].sum()
        top = by_route[by_route.abs() > 1e-3].sort_values(key=np.abs, ascending=False).head(3)
        if len(top):
            out.append(
                "Largest route changes: "
                + "; ".join(f"{r} {v:+,.0f} t" for r, v in top.sort_index().items())
                + "."
            )
    alloc = m.lp.variables.get("allocation")
    if alloc is not None and alloc.size:
        idx = alloc.index
        first = (idx["period"] <= K).to_numpy()
        frame = pd.DataFrame(
            {
                "task": idx["task"].astype(str).to_numpy()[first],
                "d": (hedged[alloc.ids] - own[alloc.ids])[first],
            }
        )
        by_task = frame.groupby("task")["d"].sum()
        moved = by_task[by_task.abs() > 1e-6]
        if len(moved):
            out.append(
                f"Provider unit-periods in {span}, hedged minus {ref} plan: "
                + "; ".join(f"{t} {v:+,.1f}" for t, v in moved.items())
                + "."
            )
    if not out:
        out.append(f"In {span} the hedged plan makes the same decisions as the {ref} plan.")
    return out


def report_html(result: HedgeResult, scenarios: pd.DataFrame) -> str:
    """The hedge page, from the one HTML kit (rsoi.outputs.html)."""
    from rsoi.outputs.html import escape, num, page, table

    ref = result.reference
    unit = "penalty units"
    rows_m = [
        ("hedged expected objective (RP)", num(result.hedged_objective, 2)),
        ("expected objective, each scenario known in advance (WS)", num(result.expected_alone, 2)),
        ("EVPI = RP - WS (value of knowing the scenario)", num(result.evpi, 2)),
        ("expected objective of the expected-value plan (EEV)", num(result.ev.eev, 2)),
        ("VSS = EEV - RP (Birge & Louveaux)", num(result.vss, 2)),
        (f"expected objective with the {ref} plan's first stage", num(result.default.eev, 2)),
        (f"vss_default_scenario (value of hedging over the {ref} plan)",
         num(result.vss_default_scenario, 2)),
    ]  # fmt: skip
    for label, f in (("expected-value", result.ev), (ref, result.default)):
        if f.cut_back:
            rows_m.append(
                (f"gain over the {label} plan cut back in {', '.join(f.cut_back)} (not a bound)",
                 num(result.gain_over_cut_back_plan(f), 2))
            )  # fmt: skip
    if result.ph_info:
        info = result.ph_info
        rows_m += [
            ("PH lower bound (Lagrangian)", num(info["lower_bound"], 2)),
            ("PH upper bound (xhat)", num(info["upper_bound"], 2)),
            ("PH certified relative gap", f"{info['rel_gap']:.4%}"),
        ]
    measures = table(["measure", f"value ({unit})"], rows_m, [False, True])
    intro = (
        f"<p>{escape(result.description)}. Probabilities: {escape(result.source)}. Notional "
        f"data.</p><p>Periods 1–{result.K} are decided once for every scenario "
        f"({len(result.keys):,} first-stage decisions); later periods per scenario. Method: "
        f"{escape(result.method)}. Objectives in {unit} (the model's weighted shortfall, "
        "lateness and cost; lower is better); ∞: the plan cannot be carried out.</p>"
    )
    words = "".join(f"<li>{escape(s)}</li>" for s in differences_in_words(result))
    rows = [
        (r.scenario, f"{r.probability:.4g}", num(r.objective_hedged, 2),
         num(r.objective_alone, 2), num(r.ref, 2))
        for r in scenarios.rename(
            columns={f"objective_plan_of_{ref}": "ref"}
        ).itertuples(index=False)
    ]  # fmt: skip
    per_scenario = table(
        ["scenario", "probability", f"hedged plan ({unit})",
         f"scenario known in advance ({unit})", f"{ref} plan's first stage ({unit})"],
        rows,
        [False, True, True, True, True],
    )  # fmt: skip
    return page(
        f"rsoi hedge: {result.set_name}",
        [
            ("hedge", f"Hedged plan: {result.set_name}", intro + measures),
            ("differences", f"What the hedged plan does differently from the {ref} plan",
             f"<ul>{words}</ul>"),
            ("scenarios", "Scenarios", per_scenario),
        ],
    )  # fmt: skip


def write_hedge(result: HedgeResult, target: Path) -> Path:
    """Write the run folder atomically (never overwriting)."""
    from rsoi.results.tables import atomic_run_dir, write_csv, write_json

    scenarios = scenario_table(result)
    with atomic_run_dir(target, analysis="hedge") as tmp:
        write_csv(tmp / "hedge_plan.csv", plan_table(result))
        write_csv(tmp / "hedge_scenarios.csv", scenarios)
        write_json(tmp / "hedge_summary.json", summary(result))
        (tmp / "report.html").write_text(report_html(result, scenarios), encoding="utf-8")
    return target
