r"""A plan that holds before the scenario is known: the two-stage stochastic program.

**Formulation** (``rsoi hedge``). A scenario set $\Sigma$ gives scenarios $s$ with
probabilities $p_s$ (``scenario_sets``) and the here-and-now horizon $K$. Each scenario has
its own rsoi LP, $\min\{c_s^\top x_s : L_s \le A_s x_s \le U_s,\ l_s \le x_s \le u_s\}$ (built
by ``rsoi.lp.build``). The first stage $N_s$ is the set of columns of scenario $s$ decided before
the scenario is known:

- flows $x_{rkt}$ departing in $t \le K$ (every stock movement is a flow);
- force shares $z_{f\theta t}$ for $t \le K$;
- provider allocations $a_{u\sigma t}$ for $t \le K$.

A first-stage column is identified across scenarios by its name ``family[keys]``
(e.g. ``flow[busan-kaohsiung,ammo_155mm,rok,2]``, route, commodity, cargo class, period). The extensive form is

$$ \min \sum_s p_s\, c_s^\top x_s \quad \text{s.t.} \quad L_s \le A_s x_s \le U_s,\;
   l_s \le x_s \le u_s \;\; \forall s, \qquad
   x_{s,n} - x_{\bar s(n),n} = 0 \;\; \forall s,\ \forall n \in N_s,\ s \ne \bar s(n) $$

(family ``nonanticipativity[variable,scenario]``), where $\bar s(n)$ is the first member
that has column $n$. **Columns some members lack.** A provider allocation to a task slot
that only some scenarios have (e.g. base security at a Taiwan airfield, required only once
China acts) is a commitment that can be made anyway: a member without the slot gets a
column ``allocation_committed[provider,task,place,theater,period]`` that uses up the
provider's availability ($\sum_\sigma a_{u\sigma t} + a^{c}_{u t} \le N_u$) and does nothing
else, so units sent to a slot that turns out idle are lost to that scenario. Any other
first-stage column a member lacks (a route or a force-theater pair that does not exist
there) cannot be carried out in that member and is fixed to 0 in every member. Their number
is reported (``first_stage_missing`` in ``hedge_summary.json``).

Everything after $K$ is the second stage, decided per scenario. The objective is always
the weighted one (a lexicographic model is solved with its weights).

**Value of hedging.** With $z_s$ the optimum of scenario $s$ solved alone, $z^{HN}$ the
hedged optimum and $\hat x$ the first stage of the reference scenario's own plan (the
model's ``default_scenario`` when it is a member, else the most probable member):

$$ \mathrm{EVPI} = z^{HN} - \sum_s p_s z_s \ge 0, \qquad
   \mathrm{VSS} = \sum_s p_s\, z_s(\hat x) - z^{HN} \ge 0 $$

with $z_s(\hat x)$ the optimum of $s$ with its first-stage columns fixed to $\hat x$ (a column
of $s$ that the reference plan lacks is fixed to 0). If $\hat x$ cannot be carried out in
some member (e.g. it ships more through a port than that scenario's attacks leave), the
strict VSS is infinite; rsoi then also reports the VSS with the plan *cut back* in those
members, a finite lower bound on the strict VSS, and names them
(``reference_plan_cut_back_in``). Cut back means: carry out as much of the plan as the member
allows (maximise $\sum_n x_{s,n}$ subject to $0 \le x_{s,n} \le \hat x_n$: nothing is
added, what cannot pass is cancelled), then, keeping that amount, minimise the member's
objective.

**Decomposition** (``--method ph``): progressive hedging in mpi-sppy over the Pyomo export of
each member's LP (``rsoi.lp.pyomo_model.to_pyomo_environ``); the nonanticipative variables are
the same named columns (a column a member lacks becomes a variable fixed at 0 there). The
reported objective is the expected objective of PH's consensus first stage, each member
re-solved with it fixed: an upper bound on $z^{HN}$ within the PH convergence tolerance. If PH
stops before its convergence threshold, or its consensus cannot be carried out in a member,
the command stops (exit 4) and says so rather than report a plan that is not hedged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import highspy
import numpy as np
import pandas as pd

from rsoi.errors import InputError, Problem, SolverError, did_you_mean
from rsoi.lp.build import Context
from rsoi.lp.highs_io import HIGHS_INF, change_col_bounds, make_highs, read_point
from rsoi.lp.interrupt import run_highs
from rsoi.lp.program import LinearProgram, _names
from rsoi.model.loader import LoadedModel, load_model, read_yaml

FIRST_STAGE_FAMILIES = ("flow", "share", "allocation", "unit_move")
"""Variable families whose columns in periods 1..K form the first stage (``unit_move``: a
support unit leaving one station for another, rsoi.lp.build.units; positions follow from it)."""

TOL = 1e-7


@dataclass
class Member:
    """One scenario of the set, built."""

    name: str
    probability: float
    model: LoadedModel
    lp: LinearProgram
    ctx: Context
    first_stage: dict[str, int] = field(default_factory=dict)  # name -> column


@dataclass
class HedgeResult:
    set_name: str
    description: str
    source: str
    K: int
    method: str
    reference: str
    members: list[Member]
    keys: list[str]
    missing: list[str]
    hedged_objective: float
    hedged_x: list[np.ndarray]  # per member
    alone_objective: list[float]
    alone_x: list[np.ndarray]
    ref_plan_objective: list[float]  # cut back where the strict plan is infeasible
    cut_back: list[str] = field(default_factory=list)  # members where it was cut back
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
    def expected_ref_plan(self) -> float:
        return float(np.dot(self.probabilities, self.ref_plan_objective))

    @property
    def evpi(self) -> float:
        return self.hedged_objective - self.expected_alone

    @property
    def vss_cut_back(self) -> float:
        """VSS with the reference plan cut back where it cannot be carried out (a lower bound)."""
        return self.expected_ref_plan - self.hedged_objective

    @property
    def vss(self) -> float:
        """Strict VSS: infinite when the reference plan cannot be carried out in a member."""
        return np.inf if self.cut_back else self.vss_cut_back


# --- loading -----------------------------------------------------------------------------


def _problem(model_path: Path, field_: str, message: str, hint: str) -> InputError:
    return InputError([Problem(str(model_path), None, None, field_, message, hint)])


def load_members(model_path: str | Path, set_name: str | None) -> tuple[str, object, list[Member]]:
    """The set's name, its spec entry and its members built (InputError if unknown)."""
    from rsoi.lp.build import build
    from rsoi.lp.prepare import prepare

    model_path = Path(model_path)
    doc = read_yaml(model_path)
    spec = load_model(model_path, use_default=False, document=doc).spec
    if not spec.scenario_sets:
        raise _problem(
            model_path,
            "scenario_sets",
            "the model declares no scenario sets",
            "add a `scenario_sets:` section (see docs/schema.md)",
        )
    name = set_name or next(iter(spec.scenario_sets))
    if name not in spec.scenario_sets:
        raise _problem(
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
        member = Member(m.scenario, m.probability, loaded, lp, ctx)
        member.first_stage = first_stage_columns(lp, entry.here_and_now_periods)
        members.append(member)
    keys, _ = shared_keys(members)
    for member in members:
        add_commitment_columns(member, [k for k in keys if k not in member.first_stage])
    return name, entry, members


def add_commitment_columns(member: Member, lacking: list[str]) -> None:
    """Columns for allocations to slots this member lacks: they only use up availability."""
    wanted = [k for k in lacking if k.startswith("allocation[")]
    if not wanted:
        return
    lp = member.lp
    keys = [k[len("allocation[") : -1].split(",") for k in wanted]
    index = pd.DataFrame(keys, columns=["provider", "task", "place", "theater", "period"])
    index["period"] = index["period"].astype(int)
    block = lp.add_variables(
        "allocation_committed",
        index,
        integer=member.model.spec.settings.integer_units,
        doc="provider units committed in the first stage to a slot this scenario lacks",
    )
    avail = lp.constraints.get("provider_availability")
    rows, cols = [], []
    if avail is not None:
        row_of = {
            (str(p), int(t)): avail.start + i
            for i, (p, t) in enumerate(avail.index.itertuples(index=False, name=None))
        }
        for i, (provider, period) in enumerate(
            zip(index["provider"], index["period"], strict=True)
        ):
            row = row_of.get((provider, int(period)))
            if row is not None:
                rows.append(row)
                cols.append(block.ids[i])
    # extra coefficients in existing rows: LinearProgram keeps COO triplets, so append one
    lp._coo.append((np.array(rows, np.int64), np.array(cols, np.int64), np.ones(len(rows))))
    member.first_stage.update(zip(wanted, block.ids.tolist(), strict=True))


def first_stage_columns(lp: LinearProgram, K: int) -> dict[str, int]:
    """Column of every first-stage variable by name (families in FIRST_STAGE_FAMILIES, t <= K)."""
    out: dict[str, int] = {}
    for family in FIRST_STAGE_FAMILIES:
        block = lp.variables.get(family)
        if block is None or block.size == 0:
            continue
        mask = (block.index["period"].to_numpy() <= K).nonzero()[0]
        names = _names(family, block.index.iloc[mask])
        out.update(zip(names, block.ids[mask].tolist(), strict=True))
    return out


def shared_keys(members: list[Member]) -> tuple[list[str], list[str]]:
    """All first-stage names (first member's order, then new ones) and those some member lacks."""
    keys: dict[str, None] = {}
    for m in members:
        keys.update(dict.fromkeys(m.first_stage))
    missing = [k for k in keys if any(k not in m.first_stage for m in members)]
    return list(keys), missing


# --- extensive form ----------------------------------------------------------------------


def extensive_form(
    members: list[Member], keys: list[str], missing: list[str]
) -> tuple[LinearProgram, list[int]]:
    """All members in one LP (blocks ``<scenario>:<family>``) plus nonanticipativity rows."""
    ef = LinearProgram()
    offsets = []
    for m in members:
        off = ef.n_cols
        offsets.append(off)
        for family, b in m.lp.variables.items():
            ef.add_variables(f"{m.name}:{family}", b.index, b.lower, b.upper, b.integer, b.doc)
        A = m.lp.matrix_csc().tocsr()
        for family, cb in m.lp.constraints.items():
            sub = A[cb.start : cb.start + cb.size].tocoo()
            ef.add_constraints(
                f"{m.name}:{family}",
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
        for part, (cols, coefs) in m.lp.objective_parts.items():
            ef.add_objective(f"{m.name}:{part}", cols + off, m.probability * coefs)
    lost = set(missing)
    rows, cols, coefs, index = [], [], [], []
    for key in keys:
        present = [(s, m) for s, m in enumerate(members) if key in m.first_stage]
        if key in lost:  # not possible in every member: fixed to 0 in all
            for _s, m in present:
                _fix_column(ef, m, m.first_stage[key], 0.0)
            continue
        s0, m0 = present[0]
        ref_col = offsets[s0] + m0.first_stage[key]
        for s, m in present[1:]:
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


def _fix_column(ef: LinearProgram, m: Member, col: int, value: float) -> None:
    for family, b in m.lp.variables.items():
        if b.start <= col < b.start + b.size:
            block = ef.variables[f"{m.name}:{family}"]
            block.lower[col - b.start] = value
            block.upper[col - b.start] = value
            return
    raise IndexError(col)


def _run(h: highspy.Highs, what: str) -> tuple[float, np.ndarray] | None:
    """Solve; (objective, x) when optimal, None when infeasible, SolverError otherwise."""
    run_highs(h)
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
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
            from rsoi.errors import InfeasibleError

            raise InfeasibleError(f"scenario {m.name}: the hard constraints conflict", [])
        out.append((h, *result))
    return out


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
            result = _cut_back(h, m, cols, np.minimum(lo[cols], fixed), fixed)
            cut_back.append(m.name)
        values.append(np.inf if result is None else result[0])
        xs.append(np.full_like(x_alone, np.nan) if result is None else result[1])
        change_col_bounds(h, cols, lo[cols], up[cols])
    return values, xs


def _cut_back(
    h: highspy.Highs, m: Member, cols: np.ndarray, lower: np.ndarray, planned: np.ndarray
) -> tuple[float, np.ndarray] | None:
    """Carry out as much of the plan as this member allows, then plan the rest optimally.

    Stage 1 maximises the sum of the first-stage columns within [lower, planned]; stage 2
    keeps that sum (a row) and minimises the member's objective. Costs and rows are restored.
    """
    n = m.lp.n_cols
    every = np.arange(n, dtype=np.int32)
    cost = m.lp.cost()
    change_col_bounds(h, cols, lower, planned)
    stage1 = np.zeros(n)
    stage1[cols] = -1.0
    h.changeColsCost(n, every, stage1)
    first = _run(h, f"scenario {m.name}: how much of the plan can be carried out")
    if first is None:
        h.changeColsCost(n, every, cost)
        return None
    carried = -first[0]
    h.addRow(carried - 1e-9 * max(1.0, carried), HIGHS_INF, len(cols), cols, np.ones(len(cols)))
    h.changeColsCost(n, every, cost)
    result = _run(h, f"scenario {m.name} with the plan cut back")
    h.deleteRows(1, np.array([h.getNumRow() - 1], dtype=np.int32))
    return result


def reference_scenario(members: list[Member]) -> str:
    """The model's default scenario if it is a member, else the most probable member."""
    default = members[0].model.spec.default_scenario
    names = [m.name for m in members]
    if default in names:
        return default
    return max(members, key=lambda m: (m.probability, -names.index(m.name))).name


def hedge(
    model_path: str | Path,
    set_name: str | None = None,
    method: str = "ef",
    ph_options: dict | None = None,
) -> HedgeResult:
    """Build and solve the hedged plan of a scenario set, and its EVPI and VSS."""
    timings: dict[str, float] = {}
    t = time.perf_counter()
    name, entry, members = load_members(model_path, set_name)
    keys, missing = shared_keys(members)
    timings["build"] = time.perf_counter() - t
    t = time.perf_counter()
    alone = solve_alone(members)
    timings["solve_alone"] = time.perf_counter() - t
    ref = reference_scenario(members)
    ref_i = [m.name for m in members].index(ref)
    ref_x = alone[ref_i][2]
    ref_plan = {k: float(ref_x[c]) for k, c in members[ref_i].first_stage.items()}
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
            from rsoi.errors import InfeasibleError

            raise InfeasibleError("no first stage is feasible in every member", [])
        hedged_objective, x = result
        hedged_x = [x[o : o + m.lp.n_cols] for o, m in zip(offsets, members, strict=True)]
        timings["solve_extensive_form"] = time.perf_counter() - t
    elif method == "ph":
        from rsoi.analysis.ph import progressive_hedging

        plan, ph_info = progressive_hedging(members, keys, missing, **(ph_options or {}))
        timings["progressive_hedging"] = time.perf_counter() - t
        t = time.perf_counter()
        if ph_info["convergence"] > ph_info["convthresh"]:
            raise SolverError(
                f"progressive hedging did not converge in {ph_info['iterations']} iterations "
                f"(convergence {ph_info['convergence']:.3g} > {ph_info['convthresh']:g}); "
                "use the extensive form (--method ef)"
            )
        values, hedged_x = evaluate_plan(alone, members, plan)
        if not np.all(np.isfinite(values)):
            raise SolverError(
                "progressive hedging's consensus first stage is infeasible in a member; "
                "use the extensive form (--method ef)"
            )
        hedged_objective = float(np.dot([m.probability for m in members], values))
        timings["evaluate_plan"] = time.perf_counter() - t
    else:
        raise ValueError(f"unknown method {method}")
    t = time.perf_counter()
    cut_back: list[str] = []
    ref_values, _ = evaluate_plan(alone, members, ref_plan, cut_back)
    timings["evaluate_reference_plan"] = time.perf_counter() - t
    return HedgeResult(
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
        ref_plan_objective=[float(v) for v in ref_values],
        cut_back=cut_back,
        ef_size=ef_size,
        timings=timings,
        ph_info=ph_info,
    )


# --- tables ------------------------------------------------------------------------------


def plan_table(result: HedgeResult) -> pd.DataFrame:
    """hedge_plan.csv: every first-stage decision of the hedged plan beside the reference's."""
    ref_i = [m.name for m in result.members].index(result.reference)
    rows = []
    for key in result.keys:
        holder = next(i for i, m in enumerate(result.members) if key in m.first_stage)
        value = float(result.hedged_x[holder][result.members[holder].first_stage[key]])
        ref_m = result.members[ref_i]
        ref_value = (
            float(result.alone_x[ref_i][ref_m.first_stage[key]])
            if key in ref_m.first_stage
            else 0.0
        )
        value = 0.0 if abs(value) < TOL else value
        ref_value = 0.0 if abs(ref_value) < TOL else ref_value
        if value == 0.0 and ref_value == 0.0:
            continue
        family = key.split("[", 1)[0]
        period = int(key.rsplit(",", 1)[1].rstrip("]"))
        rows.append((family, key, period, value, ref_value, value - ref_value))
    return pd.DataFrame(
        rows,
        columns=[
            "family",
            "variable",
            "period",
            "hedged",
            f"plan_of_{result.reference}",
            "difference",
        ],
    )


def scenario_table(result: HedgeResult) -> pd.DataFrame:
    """hedge_scenarios.csv: per member, objectives (hedged, alone, reference plan), parts, shortfalls."""
    from rsoi.results.tables import _shortfalls

    rows = []
    for m, x, z_alone, z_ref in zip(
        result.members,
        result.hedged_x,
        result.alone_objective,
        result.ref_plan_objective,
        strict=True,
    ):
        parts = {p: float(np.dot(v, x[c])) for p, (c, v) in m.lp.objective_parts.items()}
        row: dict = {
            "scenario": m.name,
            "probability": m.probability,
            "objective_hedged": float(np.dot(m.lp.cost(), x)),
            "objective_alone": z_alone,
            f"objective_plan_of_{result.reference}": z_ref,
        }
        row.update({f"hedged:{p}": v for p, v in sorted(parts.items())})
        short = _shortfalls(m.lp, m.ctx, x)
        for cls in (c.id for c in m.model.spec.settings.priority_classes):
            sel = short[short["priority"] == cls]
            row[f"lines_short:{cls}"] = int((sel["shortfall"] > 1e-6).sum())
        rows.append(row)
    return pd.DataFrame(rows).fillna(0.0)


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
        "expected_objective_reference_plan": (
            round(result.expected_ref_plan, 6) if np.isfinite(result.expected_ref_plan) else None
        ),
        "evpi": round(result.evpi, 6),
        "vss": round(result.vss, 6) if np.isfinite(result.vss) else "infinite",
        "vss_cut_back": round(result.vss_cut_back, 6),
        "reference_plan_cut_back_in": result.cut_back,
        "first_stage_decisions": len(result.keys),
        "first_stage_missing": len(result.missing),
        "extensive_form": dict(
            zip(("variables", "constraints", "nonzeros"), result.ef_size, strict=True)
        ),
        "progressive_hedging": result.ph_info,
        "notional_data": True,
        "timings_seconds": {k: round(v, 3) for k, v in result.timings.items()},
    }


# --- words -------------------------------------------------------------------------------


def differences_in_words(result: HedgeResult) -> list[str]:
    """Sentences: what the hedged plan does differently from the reference scenario's plan."""
    ref_i = [m.name for m in result.members].index(result.reference)
    m = result.members[ref_i]
    hedged, own = result.hedged_x[ref_i], result.alone_x[ref_i]
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
    cut = f" (cut back in {', '.join(result.cut_back)})" if result.cut_back else ""
    measures = table(
        ["measure", f"value ({unit})"],
        [
            ("hedged expected objective", num(result.hedged_objective, 2)),
            ("expected objective, each scenario known in advance", num(result.expected_alone, 2)),
            ("EVPI (value of knowing the scenario)", num(result.evpi, 2)),
            (f"expected objective with the {ref} plan's first stage", num(result.expected_ref_plan, 2)),
            (f"VSS (value of hedging over the {ref} plan)", num(result.vss, 2)),
            (f"VSS with the {ref} plan cut back where it cannot pass{cut}", num(result.vss_cut_back, 2)),
        ],
        [False, True],
    )  # fmt: skip
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
